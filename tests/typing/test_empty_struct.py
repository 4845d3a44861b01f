"""A ``@wp.struct`` with no fields, as Warp 1.19 allows: one byte (a C++ empty struct),
usable as a kernel argument, a function parameter, a field and an array element."""

import numpy as np

import numba_warp as wp


@wp.struct
class Empty:
    pass


@wp.struct
class Holder:
    e: Empty
    x: float


@wp.func
def doubled(e: Empty, x: float):
    return x * 2.0


@wp.kernel
def use_empty(e: Empty, h: Holder, a: wp.array(dtype=Empty), out: wp.array(dtype=float)):
    i = wp.tid()
    x = a[i]
    a[i] = Empty()
    out[i] = doubled(e, 1.5) + h.x + doubled(x, float(i)) + doubled(h.e, 0.0)


def test_python_scope():
    # Warp 1.19: type_size_in_bytes(Empty) == 1, numpy dtype itemsize 1, repr "Empty()"
    assert wp.types.type_size_in_bytes(Empty) == 1 and repr(Empty()) == "Empty()"
    assert wp.types.type_is_struct(Empty) and wp.types.is_struct(Empty())
    assert repr(Holder()).startswith("Holder(e=Empty(), x=")


def test_empty_struct_in_kernels_and_arrays(device):
    a = wp.zeros(3, dtype=Empty, device=device)
    assert a.numpy().dtype.itemsize == 1 and a.shape == (3,)
    out = wp.zeros(3, dtype=float, device=device)
    wp.launch(use_empty, 3, inputs=[Empty(), Holder(x=1.0), a, out], device=device)
    np.testing.assert_array_equal(out.numpy(), [4.0, 6.0, 8.0])
    b = wp.array([Empty(), Empty()], dtype=Empty, device=device)
    assert b.shape == (2,)
