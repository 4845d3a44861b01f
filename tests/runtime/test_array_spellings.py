"""Warp 1.19's spellings of array types and factories: ``wp.array2d[float]``,
``wp.array[dtype, ndim]``, ``wp.fixedarray``, the factories' keyword forms (``n=``,
``full``'s inferred dtype, ``*_like(pinned=, retain_grad=)``), ``from_numpy``'s inferred
vector/matrix dtypes and ``wp.copy``'s rules for strided arrays.

Expected values marked "Warp 1.19" were printed by NVIDIA Warp 1.19.0 (CPU) for the same
calls (the scripts ran each call under ``import warp as wp`` and under numba_warp).
"""

from __future__ import annotations

import gc
import inspect
from typing import Literal

import numpy as np
import pytest

import numba_warp as wp


@wp.kernel
def subscript_annotations(a: wp.array2d[float], b: wp.array3d[wp.vec3],
                          c: wp.array[float, Literal[2]], d: wp.array[int],
                          e: wp.array4d[wp.float64], f: wp.array[wp.vec2, 2]):
    i, j = wp.tid()
    c[i, j] = a[i, j] + b[i, j, 0][1] + float(d[0]) + float(e[0, 0, 0, 0]) + f[i, j][0]


@wp.func
def first_plus_last(v: wp.fixedarray(dtype=float, shape=4)) -> float:
    return v[0] + v[3]


@wp.kernel
def uses_fixedarray(out: wp.array1d[float]):
    v = wp.zeros(shape=4, dtype=float)
    v[0] = 1.5
    v[3] = 2.0
    out[0] = first_plus_last(v)


def test_subscripted_annotations_in_kernels(device):
    a = wp.full((2, 3), 1.0, device=device)
    b = wp.ones((2, 3, 1), dtype=wp.vec3, device=device)
    c = wp.zeros((2, 3), device=device)
    e = wp.full((1, 1, 1, 1), 0.25, dtype=wp.float64, device=device)
    f = wp.full((2, 3), wp.vec2(4.0, 0.0), device=device)
    wp.launch(subscript_annotations, (2, 3), inputs=[a, b, c, wp.array([5], dtype=int,
                                                                      device=device), e, f],
              device=device)
    np.testing.assert_array_equal(c.numpy(), np.full((2, 3), 11.25, np.float32))
    with pytest.raises(Exception, match="expects a 2-D array"):
        wp.launch(subscript_annotations, (2, 3), inputs=[wp.zeros(6, device=device), b, c,
                                                         wp.zeros(1, dtype=int, device=device),
                                                         e, f], device=device)


def test_fixedarray_annotates_a_local_array(device):
    out = wp.zeros(1, device=device)
    wp.launch(uses_fixedarray, 1, inputs=[out], device=device)
    assert out.numpy()[0] == 3.5


def test_subscript_objects():
    for cls, nd in ((wp.array1d, 1), (wp.array2d, 2), (wp.array3d, 3), (wp.array4d, 4)):
        ann = cls[wp.vec3]
        assert isinstance(ann, wp.array) and ann.ndim == nd and ann.dtype is wp.vec3
        assert cls(dtype=float).ndim == nd  # calls still make annotations
        with pytest.raises(TypeError, match="single type parameter"):
            cls[float, 2]
    assert wp.array[float].ndim == 1 and wp.array[float].dtype is wp.float32
    assert wp.array[wp.vec3, Literal[3]].ndim == 3 and wp.array[int, 2].ndim == 2
    with pytest.raises(ValueError, match="between 1 and 4"):
        wp.array[float, 5]
    with pytest.raises(TypeError, match="number of dimensions"):
        wp.array[float, wp.Any]
    # a call with data makes an array of that many dimensions, as in Warp
    a = wp.array2d(np.ones((2, 2)), dtype=float, device="cpu")
    assert a.shape == (2, 2) and not isinstance(a, wp.array2d)
    fa = wp.fixedarray(dtype=float, shape=(2, 3))
    assert isinstance(fa, wp.array) and fa.ndim == 2 and fa.size == 6


def test_struct_field_subscript_annotation():
    @wp.struct
    class Holder:
        values: wp.array2d[float]

    h = Holder()
    assert h.values is None
    h.values = wp.zeros((2, 2), device="cpu")


# -- factories ------------------------------------------------------------------------------
FACTORIES = ["zeros", "empty", "ones", "full", "zeros_like", "empty_like", "full_like",
             "ones_like", "clone", "copy", "from_numpy"]
# Warp 1.19's parameters (name, default), from inspect.signature(warp.<name>)
WARP_SIGNATURES = {
    "zeros": [("shape", None), ("dtype", float), ("device", None), ("requires_grad", False),
              ("pinned", False), ("retain_grad", False), ("kwargs", "**")],
    "full": [("shape", None), ("value", 0), ("dtype", None), ("device", None),
             ("requires_grad", False), ("pinned", False), ("retain_grad", False),
             ("kwargs", "**")],
    "zeros_like": [("src", "-"), ("device", None), ("requires_grad", None), ("pinned", None),
                   ("retain_grad", False)],
    "full_like": [("src", "-"), ("value", "-"), ("device", None), ("requires_grad", None),
                  ("pinned", None), ("retain_grad", False)],
    "copy": [("dest", "-"), ("src", "-"), ("dest_offset", 0), ("src_offset", 0), ("count", 0),
             ("stream", None)],
    "from_numpy": [("arr", "-"), ("dtype", None), ("shape", None), ("device", None),
                   ("requires_grad", False), ("retain_grad", False)],
}
WARP_SIGNATURES["empty"] = WARP_SIGNATURES["ones"] = WARP_SIGNATURES["zeros"]
for _n in ("empty_like", "ones_like", "clone"):
    WARP_SIGNATURES[_n] = WARP_SIGNATURES["zeros_like"]


@pytest.mark.parametrize("name", FACTORIES)
def test_factory_signatures_match_warp(name):
    got = []
    for p in inspect.signature(getattr(wp, name)).parameters.values():
        default = "**" if p.kind is p.VAR_KEYWORD else \
            ("-" if p.default is inspect.Parameter.empty else p.default)
        got.append((p.name, default))
    assert got == WARP_SIGNATURES[name]


def test_factory_keyword_forms(device):
    assert wp.zeros(n=3, dtype=int, device=device).numpy().tolist() == [0, 0, 0]
    assert wp.empty(n=0, device=device).shape == (0,)
    assert wp.ones(n=2, dtype=wp.vec2, device=device).numpy().tolist() == [[1, 1], [1, 1]]
    assert wp.zeros(device=device).shape == (0,)
    assert wp.full(value=3.0, n=2, device=device).numpy().tolist() == [3.0, 3.0]
    with pytest.raises(TypeError, match="foo"):
        wp.zeros(2, foo=1, device=device)


# value -> (dtype, contents): Warp 1.19
FULL_INFERENCE = [
    (7, wp.int32, [7, 7]),
    (1.5, wp.float32, [1.5, 1.5]),
    (True, wp.bool, [True, True]),
    ([1.0, 2.0, 3.0], wp.vec3d, [[1.0, 2.0, 3.0]] * 2),
    ([1, 2], wp.vec2l, [[1, 2]] * 2),
    ([[1.0, 2.0], [3.0, 4.0]], wp.mat22d, [[[1.0, 2.0], [3.0, 4.0]]] * 2),
    (wp.vec3(1.0, 2.0, 3.0), wp.vec3, [[1.0, 2.0, 3.0]] * 2),
    (wp.float64(2.0), wp.float64, [2.0, 2.0]),
]


@pytest.mark.parametrize("value,dtype,expect", FULL_INFERENCE)
def test_full_infers_dtype_like_warp(device, value, dtype, expect):
    a = wp.full(2, value, device=device)
    assert a.dtype is dtype
    assert a.numpy().tolist() == expect


def test_like_factories_and_retain_grad(device):
    a = wp.array([1.0, 2.0], dtype=float, requires_grad=True, device=device)
    z = wp.zeros_like(a)
    assert z.requires_grad and not z.retain_grad and z.device == a.device
    f = wp.full_like(a, 3.0, retain_grad=True)
    assert f.retain_grad and f.numpy().tolist() == [3.0, 3.0]
    c = wp.clone(a, retain_grad=True)
    assert c.requires_grad and c.retain_grad and c.numpy().tolist() == [1.0, 2.0]
    assert not wp.clone(a, requires_grad=False).requires_grad
    # Warp 1.19: retain_grad=True without requires_grad is a ValueError
    with pytest.raises(ValueError, match="requires_grad"):
        wp.zeros_like(a, requires_grad=False, retain_grad=True)
    with pytest.raises(ValueError, match="requires_grad"):
        wp.zeros(2, retain_grad=True, device=device)
    a.requires_grad = False
    assert not a.retain_grad


def test_from_numpy_infers_vectors_and_matrices(device):
    v = wp.from_numpy(np.ones((2, 3), np.float32), device=device)
    assert v.dtype is wp.vec3 and v.shape == (2,)
    m = wp.from_numpy(np.ones((2, 2, 2), np.float64), device=device)
    assert m.dtype is wp.mat22d and m.shape == (2,)
    s = wp.from_numpy(np.arange(3), device=device)
    assert s.dtype is wp.int64 and s.shape == (3,)
    f = wp.from_numpy(np.ones((2, 3), np.float32), dtype=float, device=device)
    assert f.shape == (2, 3)
    r = wp.from_numpy(np.ones(2, np.float32), requires_grad=True, retain_grad=True)
    assert r.requires_grad and r.retain_grad


def test_array_constructor_keywords(device):
    a = wp.array(data=[1, 2, 3], dtype=float, shape=(3,), device=device, requires_grad=True)
    assert a.dtype is wp.float32 and a.requires_grad and a.numpy().tolist() == [1, 2, 3]
    b = wp.array(data=np.arange(6), dtype=float, shape=(2, 3), device=device)
    assert b.numpy().tolist() == [[0, 1, 2], [3, 4, 5]]
    host = np.arange(4, dtype=np.float32)
    p = wp.array(ptr=host.ctypes.data, shape=(2,), strides=(8,), dtype=float, device="cpu",
                 capacity=16)
    assert p.numpy().tolist() == [0.0, 2.0] and p.capacity == 16


def test_array_from_pointer_like_warp():
    host = np.arange(6, dtype=np.float32)
    freed = []
    a = wp.array(ptr=host.ctypes.data, dtype=float, shape=(2, 3), device="cpu",
                 deleter=lambda ptr, size: freed.append((ptr, size)))
    assert a.numpy().tolist() == [[0, 1, 2], [3, 4, 5]] and a.capacity == 24
    del a
    gc.collect()
    assert freed == [(host.ctypes.data, 24)]  # Warp 1.19: the deleter gets the capacity
    s = wp.array(ptr=host.ctypes.data, dtype=float, shape=(3,), strides=(8,), device="cpu")
    assert s.capacity == 24 and not s.is_contiguous  # Warp 1.19: shape[0] * strides[0]
    with pytest.raises(TypeError, match="dtype"):  # Warp 1.19 raises TypeError too
        wp.array(ptr=host.ctypes.data, shape=(3,), device="cpu")


# -- wp.copy -------------------------------------------------------------------------------
def _base(device, n=12):
    return wp.array(np.arange(n, dtype=np.float32) + 1, device=device)


def _copy(dest, src, **kw):
    wp.copy(dest, src, **kw)
    return dest


def _into_every_other(device, src, **kw):
    """Copy into every other element of 8 zeros; return the 8."""
    z = wp.zeros(8, device=device)
    wp.copy(z[::2], src, **kw)
    return z


# (name, make(device) -> the array to read back, expected contents): Warp 1.19
COPIES = [
    ("strided src, offsets", lambda d: _copy(wp.zeros(6, device=d), _base(d)[::2],
                                             dest_offset=1, src_offset=2, count=3),
     [0, 5, 7, 9, 0, 0]),
    ("strided src, count", lambda d: _copy(wp.zeros(6, device=d), _base(d)[::2], count=4),
     [1, 3, 5, 7, 0, 0]),
    ("strided src into larger dest", lambda d: _copy(wp.zeros(8, device=d), _base(d)[::2]),
     [1, 3, 5, 7, 9, 11, 0, 0]),
    ("strided dest, offsets", lambda d: _into_every_other(d, _base(d), dest_offset=1,
                                                          src_offset=3, count=2),
     [0, 0, 4, 0, 5, 0, 0, 0]),
    ("both strided", lambda d: _into_every_other(d, _base(d)[::3], src_offset=1, count=3),
     [4, 0, 7, 0, 10, 0, 0, 0]),
    ("strided 2-D whole", lambda d: _copy(
        wp.zeros((2, 2), device=d),
        wp.array(np.arange(16, dtype=np.float32).reshape(4, 4), device=d)[::2, ::2]),
     [[0, 2], [8, 10]]),
    ("contiguous 2-D flat offsets", lambda d: _copy(
        wp.zeros((2, 3), device=d), wp.array(np.arange(6, dtype=np.float32).reshape(3, 2),
                                             device=d), dest_offset=1, src_offset=2, count=3),
     [[0, 2, 3], [4, 0, 0]]),
    ("NumPy integer offsets", lambda d: _copy(wp.zeros(6, device=d), _base(d, 6),
                                              src_offset=np.int64(1), count=np.int32(2)),
     [2, 3, 0, 0, 0, 0]),
    ("strided into a far offset", lambda d: _copy(wp.zeros(12, device=d), _base(d)[::2],
                                                  dest_offset=6),
     [0] * 6 + [1, 3, 5, 7, 9, 11]),
    ("strided vectors", lambda d: _copy(
        wp.zeros(2, dtype=wp.vec3, device=d),
        wp.array(np.arange(12, dtype=np.float32).reshape(4, 3), dtype=wp.vec3, device=d)[::2],
        src_offset=1, count=1, dest_offset=1), [[0, 0, 0], [6, 7, 8]]),
]


@pytest.mark.parametrize("make,expect", [c[1:] for c in COPIES], ids=[c[0] for c in COPIES])
def test_copy_matches_warp(device, make, expect):
    assert make(device).numpy().tolist() == expect


# (name, call(device)): Warp 1.19 raises RuntimeError for each
BAD_COPIES = [
    ("range past the source", lambda d: wp.copy(wp.zeros(6, device=d), _base(d)[::2],
                                                 src_offset=4, count=3)),
    ("offsets on strided 2-D", lambda d: wp.copy(
        wp.zeros((2, 2), device=d),
        wp.array(np.zeros((4, 4), np.float32), device=d)[::2, ::2], dest_offset=1, count=2)),
    ("strided shape mismatch", lambda d: wp.copy(
        wp.zeros(4, device=d), wp.array(np.zeros((4, 4), np.float32), device=d)[::2, ::2])),
    ("transposed dest from flat", lambda d: wp.copy(wp.zeros((2, 3), device=d).transpose(),
                                                   _base(d, 6))),
    ("contiguous dest too small", lambda d: wp.copy(wp.zeros(3, device=d), _base(d, 6))),
    ("negative offset", lambda d: wp.copy(wp.zeros(6, device=d), _base(d, 6), src_offset=-1,
                                          count=2)),
    ("float offset", lambda d: wp.copy(wp.zeros(6, device=d), _base(d, 6), src_offset=1.0,
                                       count=2)),
    ("item sizes differ", lambda d: wp.copy(wp.zeros(6, dtype=wp.float64, device=d),
                                            _base(d, 6))),
]


@pytest.mark.parametrize("call", [c[1] for c in BAD_COPIES], ids=[c[0] for c in BAD_COPIES])
def test_bad_copies_raise_runtime_error(device, call):
    with pytest.raises(RuntimeError, match="wp.copy"):
        call(device)


def test_failed_copy_does_not_count_as_a_write(device):
    dst = wp.zeros(3, device=device)
    before = dst.version
    with pytest.raises(RuntimeError):
        wp.copy(dst, _base(device, 6))
    assert dst.version == before


def test_copy_strided_offsets_across_devices(device):
    src = _base(device)[::3]  # 1, 4, 7, 10
    dst = wp.zeros(5, device="cpu")
    wp.copy(dst, src, dest_offset=2, src_offset=1, count=3)
    assert dst.numpy().tolist() == [0, 0, 4, 7, 10]
    back = wp.zeros(8, device=device)
    wp.copy(back[::2], dst, dest_offset=1, src_offset=2, count=3)
    assert back.numpy().tolist() == [0, 0, 4, 0, 7, 0, 10, 0]


def test_pinned_host_arrays_are_writable(gpu_device):
    # page-locked host memory (a CUDA machine): made, filled, written through NumPy and
    # copied to the GPU and back like any CPU array
    a = wp.zeros(5, dtype=float, device="cpu", pinned=True)
    assert a.pinned and np.all(a.numpy() == 0.0)
    a.numpy()[2] = 7.0
    b = wp.array([1.0, 2.0, 3.0], dtype=float, device="cpu", pinned=True)
    g = wp.clone(b, device=gpu_device)
    c = wp.empty(3, dtype=float, device="cpu", pinned=True)
    wp.copy(c, g)
    wp.synchronize_device(gpu_device)
    np.testing.assert_array_equal(a.numpy(), [0.0, 0.0, 7.0, 0.0, 0.0])
    np.testing.assert_array_equal(c.numpy(), [1.0, 2.0, 3.0])
    f = wp.full(4, 2.5, dtype=float, device="cpu", pinned=True)
    np.testing.assert_array_equal(f.numpy(), [2.5] * 4)
