"""Several GPUs: arrays, launches, streams and copies on "cuda:1" (skipped with < 2 GPUs)."""

import numpy as np
import pytest

import numba_warp as wp

pytestmark = pytest.mark.skipif(wp.get_cuda_device_count() < 2, reason="needs two GPUs")


@wp.kernel
def scale_add(a: wp.array(dtype=float), s: float, b: wp.array(dtype=float)):
    i = wp.tid()
    b[i] = a[i] * s + b[i]


def test_launch_on_second_gpu():
    a = wp.array(np.arange(1000, dtype=np.float32), device="cuda:1")
    b = wp.ones(1000, dtype=float, device="cuda:1")
    wp.launch(scale_add, dim=1000, inputs=[a, 2.0, b], device="cuda:1")
    np.testing.assert_array_equal(b.numpy(), np.arange(1000) * 2 + 1)
    assert a.device == "cuda:1" and b.device == wp.get_device("cuda:1")


def test_scoped_device_second_gpu_is_default():
    with wp.ScopedDevice("cuda:1"):
        a = wp.zeros(16, dtype=float)
        b = wp.ones(16, dtype=float)
        wp.launch(scale_add, dim=16, inputs=[b, 3.0, a])
        assert a.device == "cuda:1"
    np.testing.assert_array_equal(a.numpy(), np.full(16, 3.0))
    assert wp.get_device() == "cuda:0"


def test_peer_copies_between_gpus():
    src = wp.array(np.arange(64, dtype=np.int32), device="cuda:0")
    dst = wp.zeros(64, dtype=wp.int32, device="cuda:1")
    wp.copy(dst, src)
    np.testing.assert_array_equal(dst.numpy(), np.arange(64))
    back = wp.clone(dst, device="cuda:0")
    np.testing.assert_array_equal(back.numpy(), np.arange(64))
    strided = wp.zeros((8, 16), dtype=wp.int32, device="cuda:1")
    wp.copy(strided[:, 3], src[:8])
    assert list(strided.numpy()[:, 3]) == list(range(8))


def test_streams_and_events_on_second_gpu():
    s = wp.Stream("cuda:1")
    e0, e1 = wp.Event("cuda:1", enable_timing=True), wp.Event("cuda:1", enable_timing=True)
    a = wp.ones(1 << 16, dtype=float, device="cuda:1")
    b = wp.zeros(1 << 16, dtype=float, device="cuda:1")
    with wp.ScopedStream(s):
        s.record_event(e0)
        wp.launch(scale_add, dim=a.size, inputs=[a, 5.0, b], device="cuda:1")
        s.record_event(e1)
    assert wp.get_event_elapsed_time(e0, e1) >= 0.0
    s.synchronize()
    assert s.is_complete
    np.testing.assert_array_equal(b.numpy(), np.full(a.size, 5.0))


def test_launch_with_array_on_other_gpu_is_an_error():
    a = wp.zeros(4, dtype=float, device="cuda:0")
    b = wp.zeros(4, dtype=float, device="cuda:1")
    with pytest.raises(TypeError, match="cuda:0"):
        wp.launch(scale_add, dim=4, inputs=[a, 1.0, b], device="cuda:1")
