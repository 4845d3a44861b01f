"""No growth in memory over many launches and array creations/frees (a test-sized run;
for a long run by hand: ``NUMBA_WARP_LEAK_ROUNDS=100000 pytest this file``). Host memory is
the process's resident set; on a GPU also the device memory this process holds (its live
allocations and those waiting to be freed) and, when no other test process shares the GPU,
the device's used memory."""

import gc
import os

import numpy as np

import numba_warp as wp

ROUNDS = int(os.environ.get("NUMBA_WARP_LEAK_ROUNDS", "20000"))  # ~1 KB per round: caught


@wp.kernel
def bump(a: wp.array(dtype=float), v: wp.array(dtype=wp.vec3), s: float):
    i = wp.tid()
    a[i] = a[i] + s
    v[i] = v[i] + wp.vec3(s)


def _resident_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _gpu_bytes_held(ordinal: int) -> int:
    """Device memory this process holds through numba-cuda's memory manager: live
    allocations plus those queued for freeing (other processes do not change it)."""
    from numba_warp.runtime import cuda_backend

    manager = cuda_backend.primary_context(ordinal).memory_manager
    live = sum(int(m.size) for m in list(manager.allocations.values()))
    return live + int(manager.deallocations._size)


def _gpu_shared() -> bool:
    # pytest-xdist workers share the GPU: its free memory moves with their tests
    return int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")) > 1


def _rounds(device, n):
    a = wp.zeros(64, dtype=float, device=device)
    v = wp.zeros(64, dtype=wp.vec3, device=device)
    host = np.ones(64, np.float32)
    for _ in range(n):
        wp.launch(bump, 64, inputs=[a, v, 1.0], device=device)  # the fast path
        tmp = wp.zeros(100, dtype=wp.vec3, device=device)
        copy = wp.array(host, dtype=float, device=device)
        wp.launch(bump, 64, inputs=[copy, tmp, 2.0], device=device)
        del tmp, copy
    wp.synchronize_device(device)


def test_no_memory_growth_over_launches_and_arrays(device):
    if not os.path.exists("/proc/self/statm"):
        import pytest

        pytest.skip("reads the resident set from /proc (Linux)")
    dev = wp.get_device(device)
    _rounds(device, 500)  # compiled, caches and pools warmed up
    gc.collect()
    host0 = _resident_mb()
    if dev.is_cuda:
        held0 = _gpu_bytes_held(dev.ordinal)
        gpu0 = dev.total_memory - dev.free_memory
    _rounds(device, ROUNDS)
    gc.collect()
    host_growth = _resident_mb() - host0
    assert host_growth < 16.0, f"{host_growth:.1f} MB more after {ROUNDS} rounds"
    if dev.is_cuda:
        held = (_gpu_bytes_held(dev.ordinal) - held0) / 2**20
        assert held < 1.0, f"this process holds {held:.1f} MB more GPU memory after {ROUNDS} rounds"
        if not _gpu_shared():
            gpu_growth = (dev.total_memory - dev.free_memory - gpu0) / 2**20
            assert gpu_growth < 64.0, f"{gpu_growth:.1f} MB more GPU memory after {ROUNDS} rounds"


@wp.kernel
def mark_bytes(a: wp.array(dtype=wp.uint8)):
    i = wp.tid()
    a[i] = wp.uint8(i % 251)


def test_arrays_of_more_than_2_to_the_31_elements(device):
    # thread ids and indices are int64: an array of 2**31 + 9 bytes is written by as many
    # threads, every one at its own index (checked around the 2**31 boundary and the end)
    n = 2**31 + 9
    a = wp.zeros(n, dtype=wp.uint8, device=device)
    wp.launch(mark_bytes, n, inputs=[a], device=device)
    for lo in (0, 2**31 - 2, n - 3):
        got = a[lo:lo + 3].numpy()
        assert [int(v) for v in got] == [(lo + k) % 251 for k in range(3)], lo
    del a
