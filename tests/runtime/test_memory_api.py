"""Memory pools, peer access and allocation tracking, with Warp 1.19's answers.

CPU answers were produced by Warp 1.19 (``import warp``, CPU): is_mempool_supported("cpu")
and is_mempool_enabled("cpu") are False, pool values and enabling pools/peer access on
the CPU are ValueErrors, disabling them is accepted; the ScopedMemoryTracker report below
is the one Warp printed for the same allocations (apart from the file name)."""

from __future__ import annotations

import re

import pytest

import numba_warp as wp


def test_cpu_answers():
    assert wp.is_mempool_supported("cpu") is False
    assert wp.is_mempool_enabled("cpu") is False
    for fn in (wp.get_mempool_release_threshold, wp.get_mempool_used_mem_current,
               wp.get_mempool_used_mem_high):
        with pytest.raises(ValueError, match="only supported on CUDA devices"):
            fn("cpu")
    with pytest.raises(ValueError, match="only supported on CUDA devices"):
        wp.set_mempool_release_threshold("cpu", 0.5)
    with pytest.raises(ValueError, match="only supported on CUDA devices"):
        wp.set_mempool_enabled("cpu", True)
    wp.set_mempool_enabled("cpu", False)
    for fn in (wp.is_peer_access_supported, wp.is_peer_access_enabled,
               wp.is_mempool_access_supported, wp.is_mempool_access_enabled):
        assert fn("cpu", "cpu") is False
    with pytest.raises(ValueError, match="Peer access is only supported"):
        wp.set_peer_access_enabled("cpu", "cpu", True)
    wp.set_peer_access_enabled("cpu", "cpu", False)
    with pytest.raises(ValueError, match="Memory pool access is only supported"):
        wp.set_mempool_access_enabled("cpu", "cpu", True)
    wp.set_mempool_access_enabled("cpu", "cpu", False)
    with pytest.raises(ValueError):
        with wp.ScopedMempool("cpu", True):
            pass
    with pytest.raises(ValueError):
        with wp.ScopedPeerAccess("cpu", "cpu", True):
            pass
    with wp.ScopedMempoolAccess("cpu", "cpu", False):
        pass


def _make():
    return wp.zeros((10, 3), dtype=wp.vec3, device="cpu")


def test_memory_tracker_report(capsys):
    with wp.ScopedMemoryTracker("outer", print=False) as tracker:
        tracker.clear()
        a = wp.zeros(1000, dtype=float, device="cpu")
        b = wp.ones(10, dtype=wp.int32, device="cpu")
        del b  # released: counted in the totals, no longer live
        with wp.ScopedMemoryTracker("inner", print=False):
            c = _make()  # noqa: F841
        wp.print_memory_report()
    text = re.sub(r"test_memory_api.py:\d+", "F", capsys.readouterr().out)
    assert text == (
        "Allocation Tracking Report\n"
        "  Total allocations:\n"
        "    cpu              3 (4.30 KB)\n"
        "  Peak usage:\n"
        "    cpu              4.26 KB\n"
        "  Live allocations:\n"
        "    cpu              2 (4.26 KB)\n"
        "\n"
        "  Scope breakdown:\n"
        "    outer:\n"
        "      cpu: 2 allocs, 3.95 KB\n"
        "    outer/inner:\n"
        "      cpu: 1 allocs, 360 B\n"
        "\n"
        "  Live cpu allocations by size (largest first) (up to 10):\n"
        "    3.91 KB : cpu : array[float32, 1000] : F : test_memory_tracker_report()\n"
        "    360 B : cpu : array[vec3f, (10, 3)] : F : _make()\n")
    got = []
    tracker.report(sort="chronological", max_items=1)
    wp.ScopedMemoryTracker(report_func=got.append).report()
    out = capsys.readouterr().out
    assert "Live cpu allocations chronological (up to 1):" in out and "_make" not in out
    assert got and got[0].startswith("Allocation Tracking Report")
    with pytest.raises(ValueError, match="sort order"):
        tracker.report(sort="random")
    del a


def test_print_memory_report_needs_tracking(monkeypatch):
    with pytest.raises(RuntimeError, match="Allocation tracking is not active"):
        wp.print_memory_report()
    monkeypatch.setattr(wp.config, "track_memory", True)
    wp.print_memory_report()


def test_gpu_pool_queries(gpu_device):
    if not wp.is_mempool_supported(gpu_device):
        pytest.skip("the GPU has no memory pools")
    assert wp.is_mempool_enabled(gpu_device) is False  # numba-cuda allocates: cuMemAlloc
    saved = wp.get_mempool_release_threshold(gpu_device)
    wp.set_mempool_release_threshold(gpu_device, 1024**2)
    assert wp.get_mempool_release_threshold(gpu_device) == 1024**2
    wp.set_mempool_release_threshold(gpu_device, saved)
    assert wp.get_mempool_used_mem_current(gpu_device) >= 0
    assert wp.get_mempool_used_mem_high(gpu_device) >= 0
    with pytest.warns(UserWarning, match="no effect"):
        with wp.ScopedMempool(gpu_device, True):
            assert wp.is_mempool_enabled(gpu_device) is False
    assert wp.is_peer_access_enabled(gpu_device, gpu_device)
    assert wp.is_mempool_access_enabled(gpu_device, gpu_device)


def test_gpu_out_of_memory_is_a_clear_error_and_frees_are_returned(gpu_device):
    from numba_warp.runtime import cuda_backend
    ordinal = wp.get_device(gpu_device).ordinal
    with pytest.raises(RuntimeError) as err:
        wp.empty(2**44, dtype=wp.uint8, device=gpu_device)  # 16 TiB
    text = str(err.value)
    assert "failed to allocate 17,592,186,044,416 bytes" in text
    assert f"on cuda:{ordinal}: CUDA_ERROR_OUT_OF_MEMORY" in text
    assert re.search(r"has [\d.,]+ GiB free of [\d.,]+ GiB", text)
    # the GPU still works
    a = wp.full(8, 3.0, dtype=wp.float32, device=gpu_device)
    assert a.numpy().tolist() == [3.0] * 8

    # freed arrays numba-cuda still holds are returned on demand (a launch refused for
    # memory does this before its retry)
    cuda_backend.release_deferred(ordinal)
    b = wp.empty(2**28, dtype=wp.uint8, device=gpu_device)
    del b
    assert cuda_backend.release_deferred(ordinal) >= 2**28
    assert cuda_backend.release_deferred(ordinal) == 0


def test_peer_access_between_gpus():
    devices = wp.get_cuda_devices()
    if len(devices) < 2:
        pytest.skip("needs two GPUs")
    a, b = devices[:2]
    if not wp.is_peer_access_supported(a, b):
        pytest.skip("the GPUs cannot access each other")
    with wp.ScopedPeerAccess(a, b, True):
        assert wp.is_peer_access_enabled(a, b)
    with wp.ScopedPeerAccess(a, b, False):
        assert not wp.is_peer_access_enabled(a, b)
    if wp.is_mempool_access_supported(a, b):
        with wp.ScopedMempoolAccess(a, b, True):
            assert wp.is_mempool_access_enabled(a, b)
