"""CuPy arrays and Numba device arrays with numba_warp on a GPU: straight into launches,
shared both ways without a copy (``__cuda_array_interface__`` and DLPack), a view keeps
its producer alive, and launches on a CuPy stream order with CuPy's work."""

import gc

import numpy as np
import pytest

import numba_warp as wp

from .kernels import spread



@wp.kernel
def count_ones(x: wp.array(dtype=float), total: wp.array(dtype=float)):
    i = wp.tid()
    wp.atomic_add(total, 0, x[i])


def _cupy(device):
    cp = pytest.importorskip("cupy", reason="CuPy is the peer")
    return cp, cp.cuda.Device(wp.get_device(device).ordinal)


def test_cupy_arrays_go_into_launches_and_are_shared_both_ways(gpu_device):
    cp, dev = _cupy(gpu_device)
    with dev:
        p = cp.arange(12, dtype=cp.float32).reshape(4, 3)
        out = cp.zeros(4, dtype=cp.float32)
    wp.launch(spread, 4, inputs=[p, out], device=gpu_device)
    wp.synchronize_device(gpu_device)
    assert out.get().tolist() == [20.0, 53.0, 86.0, 119.0]  # NVIDIA Warp's figures
    np.testing.assert_array_equal(p.get(), 2.0 * np.arange(12).reshape(4, 3))
    a = wp.from_dlpack(p, dtype=wp.vec3)
    assert a.ptr == p.data.ptr and a.shape == (4,) and a.device == wp.get_device(gpu_device)
    a.fill_(wp.vec3(1.0, 2.0, 3.0))
    wp.synchronize_device(gpu_device)
    assert p.get()[3].tolist() == [1.0, 2.0, 3.0]
    for back in (cp.asarray(a), cp.from_dlpack(a)):  # the interface, then DLPack
        assert back.data.ptr == a.ptr and back.shape == (4, 3)
    with dev:
        cp.asarray(a)[1] = 7.0
        dev.synchronize()
    assert a.numpy()[1].tolist() == [7.0, 7.0, 7.0]


def test_views_of_cupy_memory_keep_it_alive(gpu_device):
    cp, dev = _cupy(gpu_device)
    with dev:
        x = cp.full(1000, 3.0, dtype=cp.float32)
    a = wp.from_dlpack(x)
    del x
    gc.collect()
    assert float(a.numpy().sum()) == 3000.0
    b = wp.full(1000, 5.0, dtype=float, device=gpu_device)
    with dev:
        c = cp.from_dlpack(b)
    del b
    gc.collect()
    assert float(c.sum()) == 5000.0


def test_launches_on_a_cupy_stream_order_with_cupy_work(gpu_device):
    cp, dev = _cupy(gpu_device)
    with dev:
        s = cp.cuda.Stream(non_blocking=True)
        x = cp.zeros(1 << 20, dtype=cp.float32)
        total = cp.zeros(1, dtype=cp.float32)
        dev.synchronize()
        with s:
            x.fill(1.0)  # queued on s, before the kernel that reads it
            stream = wp.Stream(gpu_device, cuda_stream=s.ptr)
            wp.launch(count_ones, x.shape[0], inputs=[x, total], device=gpu_device,
                      stream=stream)
        s.synchronize()
    assert float(total.get()[0]) == float(1 << 20)


def test_numba_device_arrays_both_ways(gpu_device):
    from numba import cuda

    a = wp.array(np.arange(12, dtype=np.float32).reshape(4, 3), dtype=wp.vec3,
                 device=gpu_device)
    d = cuda.as_cuda_array(a)  # a Numba view of the array (its interface), no copy
    assert d.shape == (4, 3) and d.__cuda_array_interface__["data"][0] == a.ptr
    out = cuda.device_array(4, dtype=np.float32)
    wp.launch(spread, 4, inputs=[d, out], device=gpu_device)
    wp.synchronize_device(gpu_device)
    assert out.copy_to_host().tolist() == [20.0, 53.0, 86.0, 119.0]
    np.testing.assert_array_equal(a.numpy(), 2.0 * np.arange(12).reshape(4, 3))
