"""Tests of devices, default-device scoping, synchronisation, CUDA streams and events.

Device tests run everywhere; stream and event tests need a GPU (``gpu_device``), except
the checks that the CPU has neither.
"""

from __future__ import annotations

import re
import threading

import numpy as np
import pytest

import numba_warp as wp

HAS_GPU = wp.is_cuda_available()


@pytest.fixture
def restore_default_device():
    """Put the default device back after a test that changes it."""
    saved = wp.get_device()
    yield saved
    wp.set_device(saved)


# ---------------------------------------------------------------------------------------
# device lookup
# ---------------------------------------------------------------------------------------
def test_default_device_is_preferred_device():
    expected = "cuda:0" if HAS_GPU else "cpu"
    assert wp.get_preferred_device() == expected
    assert wp.get_device() == wp.get_preferred_device()
    assert wp.get_device() is wp.get_device(None)


def test_default_device_is_cpu_without_gpu():
    if HAS_GPU:
        pytest.skip("a GPU is present")
    d = wp.get_device()
    assert d.is_cpu and not d.is_cuda
    assert d == "cpu"


def test_get_device_cpu():
    d = wp.get_device("cpu")
    assert isinstance(d, wp.Device)
    assert d.is_cpu and not d.is_cuda
    assert d.alias == "cpu"
    assert wp.get_device("cpu") is d
    assert wp.get_device(d) is d
    assert d.name and isinstance(d.name, str)
    assert d.total_memory > 0


def test_device_equality_with_strings():
    d = wp.get_device("cpu")
    assert d == "cpu"
    assert "cpu" == d
    assert not (d != "cpu")
    assert d != "cuda:0"  # no exception, even without a GPU
    assert d != "cuda"
    assert d != "not-a-device"
    assert d == wp.get_device("cpu")
    assert d != 3
    assert d in ["cpu"]


def test_device_hash_matches_alias():
    d = wp.get_device("cpu")
    assert {d: 1}[wp.get_device("cpu")] == 1
    assert hash(d) == hash("cpu")
    assert len({d, wp.get_device("cpu")}) == 1


def test_device_str_and_repr():
    d = wp.get_device("cpu")
    assert str(d) == "cpu"
    assert "cpu" in repr(d)
    assert f"{d}" == "cpu"


def test_cuda_without_gpu_raises_runtime_error():
    if HAS_GPU:
        pytest.skip("a GPU is present")
    for name in ("cuda", "cuda:0"):
        with pytest.raises(RuntimeError, match="(?i)cuda") as info:
            wp.get_device(name)
        msg = str(info.value)
        assert name in msg
        assert "GPU" in msg or "available" in msg
    with pytest.raises(RuntimeError):
        wp.zeros(3, device="cuda")
    with pytest.raises(RuntimeError):
        wp.set_device("cuda:0")
    assert wp.get_device() == "cpu"  # unchanged by the failed set_device


@pytest.mark.parametrize("name", ["gpu", "tpu", "", "cpu:0", "cuda0", "metal", "CUDA0"])
def test_invalid_names_raise_value_error(name):
    with pytest.raises(ValueError):
        wp.get_device(name)


@pytest.mark.parametrize("name", ["cuda:abc", "cuda:"])
def test_malformed_cuda_name_raises_value_error(name):
    with pytest.raises(ValueError):
        wp.get_device(name)


def test_out_of_range_ordinal():
    n = wp.get_cuda_device_count()
    # without a GPU any CUDA name is a RuntimeError; with one, a missing ordinal is a ValueError
    with pytest.raises(ValueError if n else RuntimeError):
        wp.get_device(f"cuda:{n}")
    with pytest.raises(ValueError if n else RuntimeError):
        wp.get_device(f"cuda:{n + 7}")


def test_non_string_device_raises():
    with pytest.raises((TypeError, ValueError)):
        wp.get_device(1.5)
    with pytest.raises((TypeError, ValueError)):
        wp.zeros(3, device=[1])


def test_warp_like_device_object_is_accepted():
    class Other:
        alias = "cpu"

    assert wp.get_device(Other()) == "cpu"


# ---------------------------------------------------------------------------------------
# default device: set_device and ScopedDevice
# ---------------------------------------------------------------------------------------
def test_set_device(restore_default_device):
    wp.set_device("cpu")
    assert wp.get_device() == "cpu"
    assert wp.zeros(2).device == "cpu"
    wp.set_device(wp.get_device("cpu"))
    assert wp.get_device() == "cpu"
    with pytest.raises(ValueError):
        wp.set_device("bogus")
    assert wp.get_device() == "cpu"


def test_set_device_gpu(gpu_device, restore_default_device):
    wp.set_device(gpu_device)
    assert wp.get_device() == gpu_device
    assert wp.zeros(2).device == gpu_device
    assert wp.get_device("cuda") == gpu_device  # "cuda" is the current CUDA device
    wp.set_device("cpu")
    assert wp.zeros(2).device == "cpu"


def test_scoped_device_restores(restore_default_device):
    before = wp.get_device()
    with wp.ScopedDevice("cpu") as d:
        assert d == "cpu"
        assert isinstance(d, wp.Device)
        assert wp.get_device() == "cpu"
        assert wp.empty(3).device == "cpu"
    assert wp.get_device() is before


def test_scoped_device_nested_and_exception(restore_default_device):
    before = wp.get_device()
    other = wp.get_cuda_devices()[-1] if HAS_GPU else wp.get_device("cpu")
    with wp.ScopedDevice(other):
        with wp.ScopedDevice("cpu"):
            assert wp.get_device() == "cpu"
        assert wp.get_device() == other
        with pytest.raises(KeyError):
            with wp.ScopedDevice("cpu"):
                raise KeyError("boom")
        assert wp.get_device() == other
    assert wp.get_device() is before


def test_scoped_device_gpu(gpu_device, restore_default_device):
    wp.set_device("cpu")
    with wp.ScopedDevice(gpu_device):
        assert wp.get_device() == gpu_device
        a = wp.zeros(4)
        assert a.device == gpu_device
    assert wp.get_device() == "cpu"
    assert wp.zeros(1).device == "cpu"


def test_scoped_device_invalid_name():
    before = wp.get_device()
    with pytest.raises(ValueError):
        wp.ScopedDevice("nope")
    assert wp.get_device() is before


def test_scoped_device_restores_after_set_device_inside(restore_default_device):
    devices = wp.get_devices()
    if len(devices) < 2:
        pytest.skip("needs two devices (CPU and a GPU)")
    result = {}

    def body():  # a fresh thread has no thread-local default yet
        before = wp.get_device()
        other = devices[1] if before.is_cpu else devices[0]
        with wp.ScopedDevice(other):
            wp.set_device(other)
        result["before"], result["after"] = before, wp.get_device()

    t = threading.Thread(target=body)
    t.start()
    t.join()
    assert result["after"] == result["before"]


# ---------------------------------------------------------------------------------------
# device enumeration
# ---------------------------------------------------------------------------------------
def test_cuda_enumeration_consistent():
    n = wp.get_cuda_device_count()
    devs = wp.get_cuda_devices()
    assert isinstance(n, int) and n >= 0
    assert len(devs) == n
    assert wp.is_cuda_available() == (n > 0)
    for i, d in enumerate(devs):
        assert d.is_cuda and not d.is_cpu
        assert str(d) == f"cuda:{i}"
        assert d.ordinal == i
        assert wp.get_device(f"cuda:{i}") is d
    all_devs = wp.get_devices()
    assert all_devs[0] == "cpu"
    assert all_devs[1:] == devs
    assert wp.is_cpu_available()


def test_gpu_device_properties(gpu_device):
    d = wp.get_device(gpu_device)
    assert d.is_cuda and not d.is_cpu
    assert isinstance(d.name, str) and d.name
    assert d.arch >= 50
    assert d.total_memory > 2**30
    assert d.is_uva
    assert d == gpu_device and str(d) == gpu_device
    assert repr(d).count(gpu_device) == 1
    assert d != "cpu"


# ---------------------------------------------------------------------------------------
# synchronisation
# ---------------------------------------------------------------------------------------
def test_synchronize_functions(device):
    a = wp.full(1000, 2.0, device=device)
    wp.synchronize()
    wp.synchronize_device()
    wp.synchronize_device(device)
    wp.synchronize_device(wp.get_device(device))
    wp.get_device(device).synchronize()
    assert a.numpy().sum() == 2000.0


def test_synchronize_device_cpu():
    wp.synchronize_device("cpu")  # a no-op, no error
    with pytest.raises(ValueError):
        wp.synchronize_device("bogus")


# ---------------------------------------------------------------------------------------
# streams and events on the CPU are errors
# ---------------------------------------------------------------------------------------
def test_streams_and_events_on_cpu_raise():
    with pytest.raises(RuntimeError):
        wp.Stream("cpu")
    with pytest.raises(RuntimeError):
        wp.Stream(device="cpu")
    with pytest.raises(RuntimeError):
        wp.Event("cpu")
    with pytest.raises(RuntimeError):
        wp.Event(device="cpu", enable_timing=True)
    with pytest.raises(RuntimeError):
        wp.get_stream("cpu")
    with pytest.raises(RuntimeError):
        wp.get_device("cpu").stream
    assert not wp.get_device("cpu").has_stream


def test_default_stream_without_gpu_raises(restore_default_device):
    if HAS_GPU:
        pytest.skip("a GPU is present")
    with pytest.raises(RuntimeError):
        wp.Stream()
    with pytest.raises(RuntimeError):
        wp.get_stream()
    with pytest.raises(RuntimeError):
        wp.record_event()


# ---------------------------------------------------------------------------------------
# streams and events on a GPU
# ---------------------------------------------------------------------------------------
def test_stream_creation(gpu_device):
    s = wp.Stream(gpu_device)
    assert s.device == gpu_device
    assert isinstance(s.cuda_stream, int) and s.cuda_stream != 0
    s2 = wp.Stream(device=gpu_device)
    assert s2.cuda_stream != s.cuda_stream
    cur = wp.get_stream(gpu_device)
    assert isinstance(cur, wp.Stream)
    assert cur is wp.get_stream(gpu_device)  # stable
    assert cur.cuda_stream not in (s.cuda_stream, s2.cuda_stream)
    assert s.__cuda_stream__() == (0, s.cuda_stream)
    with wp.ScopedDevice(gpu_device):
        assert wp.Stream().device == gpu_device
    wrapped = wp.Stream(gpu_device, cuda_stream=s.cuda_stream)
    assert wrapped.cuda_stream == s.cuda_stream
    s.synchronize()
    wp.synchronize_stream(s)


def test_stream_is_complete_after_synchronize(gpu_device):
    s = wp.Stream(gpu_device)
    s.synchronize()
    assert s.is_complete


def test_scoped_stream(gpu_device, restore_default_device):
    s = wp.Stream(gpu_device)
    before = wp.get_stream(gpu_device)
    wp.set_device("cpu")
    with wp.ScopedStream(s) as got:
        assert got is s
        assert wp.get_stream() is s  # the stream's device became the default
        assert wp.get_stream(gpu_device) is s
        assert wp.get_device() == gpu_device
    assert wp.get_stream(gpu_device) is before
    assert wp.get_device() == "cpu"
    with wp.ScopedStream(None):  # a no-op
        assert wp.get_stream(gpu_device) is before


def test_scoped_stream_restores_on_exception(gpu_device):
    s = wp.Stream(gpu_device)
    before = wp.get_stream(gpu_device)
    with pytest.raises(ZeroDivisionError):
        with wp.ScopedStream(s):
            1 / 0
    assert wp.get_stream(gpu_device) is before


def test_set_stream(gpu_device):
    before = wp.get_stream(gpu_device)
    s = wp.Stream(gpu_device)
    try:
        wp.set_stream(s)
        assert wp.get_stream(gpu_device) is s
        a = wp.array(np.arange(8, dtype=np.float32), device=gpu_device)
        assert a.list() == list(range(8))
    finally:
        wp.set_stream(before, sync=True)
    assert wp.get_stream(gpu_device) is before


def test_copy_on_stream_is_seen_by_numpy(gpu_device):
    n = 1 << 20
    ref = np.arange(n, dtype=np.float32)
    src = wp.array(ref, device=gpu_device)
    dst = wp.zeros(n, device=gpu_device)
    s = wp.Stream(gpu_device)
    with wp.ScopedStream(s):
        wp.copy(dst, src)
        dst[: n // 2].fill_(-1.0)
        out = dst.numpy()  # reads on the current stream, s
    expect = ref.copy()
    expect[: n // 2] = -1.0
    np.testing.assert_array_equal(out, expect)
    # queued on s, read after the block once s is synchronised
    dst2 = wp.zeros(n, device=gpu_device)
    wp.synchronize_device(gpu_device)
    with wp.ScopedStream(s):
        wp.copy(dst2, src)
    s.synchronize()
    np.testing.assert_array_equal(dst2.numpy(), ref)
    # host -> device and device -> host on a stream
    host = wp.zeros(n, device="cpu")
    with wp.ScopedStream(s):
        wp.copy(host, dst2)
    np.testing.assert_array_equal(host.numpy(), ref)


def test_event_record_and_synchronize(gpu_device):
    s = wp.Stream(gpu_device)
    e = wp.Event(gpu_device)
    assert e.device == gpu_device
    a = wp.zeros(1 << 20, device=gpu_device)
    with wp.ScopedStream(s):
        a.fill_(3.0)
        got = wp.record_event(e)
    assert got is e
    e.synchronize()
    assert e.is_complete
    wp.synchronize_event(e)
    e2 = s.record_event()
    assert isinstance(e2, wp.Event)
    e2.synchronize()
    assert e2.is_complete
    assert a.numpy()[-1] == 3.0


def test_event_elapsed_time(gpu_device):
    s = wp.Stream(gpu_device)
    start = wp.Event(gpu_device, enable_timing=True)
    end = wp.Event(gpu_device, enable_timing=True)
    src = wp.zeros(1 << 24, device=gpu_device)
    dst = wp.zeros(1 << 24, device=gpu_device)
    with wp.ScopedStream(s):
        wp.record_event(start)
        for _ in range(4):
            wp.copy(dst, src)
        wp.record_event(end)
    ms = wp.get_event_elapsed_time(start, end)
    assert isinstance(ms, float)
    assert 0.0 <= ms < 10_000.0
    ms2 = wp.get_event_elapsed_time(start, end, synchronize=True)
    assert ms2 == pytest.approx(ms)


def test_elapsed_time_needs_timing_events(gpu_device):
    a = wp.Event(gpu_device)
    b = wp.Event(gpu_device)
    s = wp.get_stream(gpu_device)
    s.record_event(a)
    s.record_event(b)
    with pytest.raises((ValueError, RuntimeError)):
        wp.get_event_elapsed_time(a, b)


def test_wait_stream_orders_work(gpu_device):
    n = 1 << 22
    ref = np.arange(n, dtype=np.float32)
    src = wp.array(ref, device=gpu_device)
    mid = wp.zeros(n, device=gpu_device)
    out = wp.zeros(n, device=gpu_device)
    wp.synchronize_device(gpu_device)
    s1, s2 = wp.Stream(gpu_device), wp.Stream(gpu_device)
    for _ in range(3):
        out.zero_()
        mid.zero_()
        wp.synchronize_device(gpu_device)
        with wp.ScopedStream(s1, sync_enter=False):
            wp.copy(mid, src)
        with wp.ScopedStream(s2, sync_enter=False):
            wp.wait_stream(s1)  # the current stream (s2) waits for s1's copy
            wp.copy(out, mid)
        s2.synchronize()
        np.testing.assert_array_equal(out.numpy(), ref)
    # the method form
    out.zero_()
    wp.synchronize_device(gpu_device)
    with wp.ScopedStream(s1, sync_enter=False):
        wp.copy(mid, src)
    s2.wait_stream(s1)
    with wp.ScopedStream(s2, sync_enter=False):
        wp.copy(out, mid)
    s2.synchronize()
    np.testing.assert_array_equal(out.numpy(), ref)


def test_wait_event_orders_work(gpu_device):
    n = 1 << 22
    ref = np.arange(n, dtype=np.float32)
    src = wp.array(ref, device=gpu_device)
    mid = wp.zeros(n, device=gpu_device)
    out = wp.zeros(n, device=gpu_device)
    wp.synchronize_device(gpu_device)
    s1, s2 = wp.Stream(gpu_device), wp.Stream(gpu_device)
    e = wp.Event(gpu_device)
    with wp.ScopedStream(s1, sync_enter=False):
        wp.copy(mid, src)
        wp.record_event(e)
    with wp.ScopedStream(s2, sync_enter=False):
        wp.wait_event(e)
        wp.copy(out, mid)
    s2.synchronize()
    np.testing.assert_array_equal(out.numpy(), ref)
    # the method form
    out.zero_()
    wp.synchronize_device(gpu_device)
    s1.record_event(e)
    s2.wait_event(e)
    s2.synchronize()


def test_copy_honours_stream_argument(gpu_device):
    """``wp.copy(..., stream=s)`` queues the copy on ``s``: timing events on ``s`` see it."""
    n = 1 << 28  # 1 GiB of float32
    src = wp.zeros(n, device=gpu_device)
    dst = wp.empty(n, device=gpu_device)
    wp.synchronize_device(gpu_device)
    s = wp.Stream(gpu_device)
    start = wp.Event(gpu_device, enable_timing=True)
    end = wp.Event(gpu_device, enable_timing=True)
    # reference: the same copy queued on s through ScopedStream
    with wp.ScopedStream(s, sync_enter=False):
        wp.copy(dst, src)  # warm-up
        wp.record_event(start)
        wp.copy(dst, src)
        wp.record_event(end)
    ref_ms = wp.get_event_elapsed_time(start, end)
    wp.synchronize_device(gpu_device)
    s.record_event(start)
    wp.copy(dst, src, stream=s)
    s.record_event(end)
    ms = wp.get_event_elapsed_time(start, end)
    wp.synchronize()
    assert ms > 0.25 * ref_ms, (ms, ref_ms)


def test_device_properties_warp_programs_read(device):
    """Warp's Device attributes, with Warp 1.19's answers on the CPU."""
    d = wp.get_device(device)
    assert 0 < d.free_memory <= d.total_memory
    if d.is_cpu:
        assert (d.sm_count, d.max_shared_memory_per_block, d.uuid, d.pci_bus_id) == \
            (0, 0, None, None)
        assert not (d.is_primary or d.has_context or d.is_mempool_supported)
    else:
        assert d.sm_count > 0 and d.max_shared_memory_per_block >= 48 * 1024
        assert d.uuid.startswith("GPU-")
        assert re.fullmatch(r"[0-9A-F]{8}:[0-9A-F]{2}:[0-9A-F]{2}", d.pci_bus_id)
        assert d.is_primary and d.has_context
    assert not d.is_mempool_enabled and not d.is_ipc_supported
