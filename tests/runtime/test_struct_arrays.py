"""Arrays of structs whose fields are arrays (``wp.array(dtype=S)`` where ``S`` has
``wp.array`` fields): allocation, construction from instances, fills, clones, kernels
that read and write through the stored arrays, nested structs, and ``list()``.

Expected values marked "Warp 1.19" were printed by NVIDIA Warp 1.19.0 (CPU) for the same
program (run under ``import warp as wp`` and under numba_warp).
"""

from __future__ import annotations

import numpy as np
import pytest

import numba_warp as wp


@wp.struct
class Holder:
    a: wp.array(dtype=float)
    x: float


@wp.struct
class Outer:
    s: Holder
    y: wp.vec3


@wp.kernel
def read_and_write(s: wp.array(dtype=Holder), out: wp.array(dtype=float)):
    i = wp.tid()
    out[i] = s[i].a[1] + s[i].x + float(s[i].a.shape[0])
    s[i].a[0] = 7.0


@wp.kernel
def read_only(s: wp.array(dtype=Holder), out: wp.array(dtype=float)):
    i = wp.tid()
    out[i] = s[i].a[1] * s[i].x


@wp.kernel
def store_struct(s: wp.array(dtype=Holder), src: Holder):
    i = wp.tid()
    s[i] = src


@wp.kernel
def read_nested(t: wp.array(dtype=Outer), out: wp.array(dtype=float)):
    i = wp.tid()
    out[i] = t[i].s.a[0] + t[i].y[1]


def _holder(values, x, device):
    h = Holder()
    h.a = wp.array(values, dtype=float, device=device)
    h.x = x
    return h


def test_kernels_read_and_write_through_stored_arrays(device):
    s0, s1 = _holder([1.0, 2.0], 10.0, device), _holder([3.0, 4.0], 20.0, device)
    arr = wp.array([s0, s1], dtype=Holder, device=device)
    out = wp.zeros(2, device=device)
    wp.launch(read_and_write, 2, inputs=[arr, out], device=device)
    # Warp 1.19 (plus the extent, 2, which the Warp program did not add)
    assert out.numpy().tolist() == [12.0 + 2, 24.0 + 2]
    assert s0.a.numpy().tolist() == [7.0, 2.0] and s1.a.numpy().tolist() == [7.0, 4.0]
    c = wp.clone(arr)
    wp.launch(read_and_write, 2, inputs=[c, out], device=device)
    assert out.numpy().tolist() == [14.0, 26.0]


def test_zeros_hold_null_arrays_and_fill_stores_instances(device):
    arr = wp.zeros(3, dtype=Holder, device=device)
    out = wp.zeros(3, device=device)
    s0 = _holder([1.0, 5.0], 0.5, device)
    arr.fill_(s0)
    wp.launch(read_and_write, 3, inputs=[arr, out], device=device)
    assert out.numpy().tolist() == [7.5] * 3
    assert s0.a.numpy().tolist() == [7.0, 5.0]
    # a kernel stores a struct argument's array: later launches read it through the array
    s1 = _holder([0.0, 3.0], 1.0, device)
    wp.launch(store_struct, 3, inputs=[arr, s1], device=device)
    wp.launch(read_and_write, 3, inputs=[arr, out], device=device)
    assert out.numpy().tolist() == [6.0] * 3


def test_nested_struct_with_array_field(device):
    o = Outer()
    o.s = _holder([4.0, 0.0], 0.0, device)
    o.y = wp.vec3(1.0, 2.0, 3.0)
    t = wp.array([o, o], dtype=Outer, device=device)
    out = wp.zeros(2, device=device)
    wp.launch(read_nested, 2, inputs=[t, out], device=device)
    assert out.numpy().tolist() == [6.0, 6.0]


def test_host_views_and_checks():
    s0 = _holder([1.0, 2.0], 10.0, "cpu")
    arr = wp.array([s0], dtype=Holder, device="cpu")
    rec = arr.numpy()[0]
    assert rec["x"] == 10.0 and rec["a"]["data"] == s0.a.ptr and rec["a"]["meminfo"] == 0
    assert tuple(rec["a"]["shape"]) == (2,)
    (back,) = arr.list()  # as in Warp 1.19: struct instances, array fields as annotations
    assert isinstance(back, Holder) and back.x == 10.0 and back.a.device is None
    assert arr.dtype is Holder and Holder.numpy_dtype.itemsize == 64
    if wp.is_cuda_available():
        with pytest.raises(ValueError, match="move them"):
            wp.array([s0], dtype=Holder, device="cuda:0")


def test_backward_through_struct_array_elements_is_an_error(device):
    # Warp 1.19 lets gradients reach the stored arrays' .grad; here it is a clear error
    s0 = _holder([1.0, 2.0], 3.0, device)
    arr = wp.array([s0], dtype=Holder, device=device, requires_grad=True)
    out = wp.zeros(1, device=device, requires_grad=True)
    tape = wp.Tape()
    with tape:
        wp.launch(read_only, 1, inputs=[arr, out], device=device)
    np.testing.assert_array_equal(out.numpy(), [6.0])
    with pytest.raises(Exception, match="gradient cannot flow"):
        tape.backward(grads={out: wp.ones(1, device=device)})
