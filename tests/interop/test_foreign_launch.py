"""Other libraries' arrays passed straight to wp.launch (runtime/foreign.py): zero-copy
views read with the parameter's dtype, as Warp 1.19 does: NumPy arrays and objects with
``__array_interface__`` or ``__array__()`` on the CPU, ``__cuda_array_interface__``
objects (Numba device arrays here) on a GPU. Anything that would need a conversion is
refused with what to do: a converted copy would drop the kernel's writes."""

import gc

import numpy as np
import pytest

import numba_warp as wp


@wp.kernel
def scale_points(points: wp.array(dtype=wp.vec3), s: float, out: wp.array(dtype=float)):
    i = wp.tid()
    p = points[i]
    points[i] = p * s
    out[i] = p[0] + 10.0 * p[2]


@wp.kernel
def double(a: wp.array2d(dtype=float)):
    i, j = wp.tid()
    a[i, j] = 2.0 * a[i, j]


class Interface:
    """Only ``__array_interface__`` (a library that is not NumPy)."""

    def __init__(self, x):
        self.x = x

    @property
    def __array_interface__(self):
        return self.x.__array_interface__


class ArrayMethod:
    """Only ``__array__()`` returning a view (as torch CPU tensors)."""

    def __init__(self, x):
        self.x = x

    def __array__(self, dtype=None, copy=None):
        return self.x


@pytest.mark.parametrize("wrap", [lambda x: x, Interface, ArrayMethod],
                         ids=["ndarray", "array_interface", "array_method"])
def test_cpu_arrays_are_viewed_with_the_parameters_dtype_and_written_in_place(wrap):
    x = np.arange(12, dtype=np.float32).reshape(4, 3)
    out = np.zeros(4, dtype=np.float32)
    wp.launch(scale_points, 4, inputs=[wrap(x), 2.0, wrap(out)], device="cpu")
    np.testing.assert_array_equal(out, [20.0, 53.0, 86.0, 119.0])  # Warp's figures
    np.testing.assert_array_equal(x, 2.0 * np.arange(12).reshape(4, 3))  # in place


def test_strided_views_are_viewed_not_copied():
    base = np.arange(24, dtype=np.float32).reshape(4, 6)
    view = base[:, ::2]  # (4, 3), a stride of 8 bytes along rows
    wp.launch(double, (4, 3), inputs=[view], device="cpu")
    want = np.arange(24, dtype=np.float32).reshape(4, 6)
    want[:, ::2] *= 2.0
    np.testing.assert_array_equal(base, want)


def test_what_would_need_a_copy_is_refused():
    out = np.zeros(4, dtype=np.float32)
    with pytest.raises(Exception, match=r"argument 'points'.*holds float64 values.*vec3f \(float32 "
                             r"components\).*astype\(np.float32\)"):
        wp.launch(scale_points, 4, inputs=[np.zeros((4, 3)), 1.0, out], device="cpu")
    with pytest.raises(Exception, match=r"argument 'points'.*shape \(4, 2\).*trailing "
                                        r"dimensions \(3,\)"):
        wp.launch(scale_points, 4, inputs=[np.zeros((4, 2), np.float32), 1.0, out],
                  device="cpu")
    apart = np.zeros((4, 6), np.float32)[:, ::2]
    with pytest.raises(Exception, match=r"argument 'points'.*components.*apart in memory"):
        wp.launch(scale_points, 4, inputs=[apart, 1.0, out], device="cpu")
    with pytest.raises(Exception, match=r"argument 'points'.*got list.*has no "
                                        r"__array_interface__"):
        wp.launch(scale_points, 1, inputs=[[[1.0, 2.0, 3.0]], 1.0, out], device="cpu")


def test_the_view_keeps_the_producer_alive_through_a_recorded_launch():
    x = np.ones((8, 3), dtype=np.float32)
    out = np.zeros(8, dtype=np.float32)
    cmd = wp.launch(scale_points, 8, inputs=[Interface(x), 3.0, out], device="cpu",
                    record_cmd=True)
    del x  # the launch's view owns the interface object, which holds the memory
    gc.collect()
    cmd.launch()  # reads the ones (out = 1 + 10 * 1) and triples them
    np.testing.assert_array_equal(out, np.full(8, 11.0, np.float32))
    cmd.launch()  # the points it tripled the first time, still in the same memory
    np.testing.assert_array_equal(out, np.full(8, 33.0, np.float32))


def test_numba_device_arrays_on_the_gpu(gpu_device):
    from numba import cuda

    x = np.arange(12, dtype=np.float32).reshape(4, 3)
    d = cuda.to_device(x)
    out = cuda.device_array(4, dtype=np.float32)
    wp.launch(scale_points, 4, inputs=[d, 2.0, out], device=gpu_device)
    wp.synchronize_device(gpu_device)
    np.testing.assert_array_equal(out.copy_to_host(), [20.0, 53.0, 86.0, 119.0])
    np.testing.assert_array_equal(d.copy_to_host(), 2.0 * x)
    with pytest.raises(Exception, match=r"argument 'points'.*holds float64"):
        wp.launch(scale_points, 4, inputs=[cuda.to_device(x.astype(np.float64)), 1.0, out],
                  device=gpu_device)


@wp.kernel
def fill_index(a: wp.array(dtype=float)):
    i = wp.tid()
    a[i] = float(i) + 1.0


def test_the_fast_path_caches_a_view_per_object_and_keeps_nothing_alive():
    import weakref

    from numba_warp.runtime import foreign

    for _ in range(3):  # new objects, maybe at a dead one's address (id): each is written
        x = np.zeros(8, dtype=np.float32)
        wp.launch(fill_index, 8, inputs=[x], device="cpu")
        np.testing.assert_array_equal(x, np.arange(1, 9))
        assert id(x) in foreign._cache  # (the launch went through the cached view)
        ref = weakref.ref(x)
        del x
        gc.collect()
        assert ref() is None  # the cache holds no reference to the producer


def test_a_changed_producer_is_viewed_afresh():
    torch = pytest.importorskip("torch")
    t = torch.zeros(8)
    wp.launch(fill_index, 8, inputs=[t], device="cpu")
    old = t.data_ptr()
    t.set_(torch.zeros(16))  # same object, other memory and shape
    assert t.data_ptr() != old
    wp.launch(fill_index, 16, inputs=[t], device="cpu")
    assert t.tolist() == list(range(1, 17))


class GpuOnly:
    """A producer of GPU memory (only ``__cuda_array_interface__``)."""

    @property
    def __cuda_array_interface__(self):
        return {"shape": (4,), "typestr": "<f4", "data": (0, False), "version": 3}


def test_memory_of_the_other_side_is_refused_with_what_to_do():
    with pytest.raises(Exception, match=r"argument 'a'.*is GPU memory, but the kernel is "
                                        r"launched on 'cpu'"):
        wp.launch(fill_index, 4, inputs=[GpuOnly()], device="cpu")


def test_read_only_memory_is_read_but_never_written():
    x = np.arange(12, dtype=np.float32).reshape(4, 3)
    x.flags.writeable = False
    out = np.zeros(4, dtype=np.float32)
    for _ in range(2):  # (the second launch: the fast path, which must not cache it)
        with pytest.raises(Exception, match=r"argument 'points'.*is read-only memory.*"
                                            r"the kernel writes it.*np.array\(x\)"):
            wp.launch(scale_points, 4, inputs=[x, 2.0, out], device="cpu")
    np.testing.assert_array_equal(x, np.arange(12).reshape(4, 3))  # untouched
    frozen = np.ones(8, dtype=np.float32)
    frozen.flags.writeable = False
    total = np.zeros(1, dtype=np.float32)
    for _ in range(2):  # a kernel that only reads it: fine
        wp.launch(sum_into, 8, inputs=[frozen, total], device="cpu")
    assert total[0] == 16.0


@wp.kernel
def sum_into(x: wp.array(dtype=float), total: wp.array(dtype=float)):
    i = wp.tid()
    wp.atomic_add(total, 0, x[i])
