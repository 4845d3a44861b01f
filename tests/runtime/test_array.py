"""Tests of ``wp.array``: construction, dtypes, factories, copies, views, interop, errors.

Every test that makes arrays runs on the CPU and on each GPU (the ``device`` fixture).
None of these tests launches a kernel on the CPU; on a GPU, strided fills and copies
use the runtime's own helper kernels.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import numba_warp as wp


# (Warp scalar type, NumPy dtype)
SCALARS = [
    (wp.bool, np.bool_),
    (wp.int8, np.int8),
    (wp.uint8, np.uint8),
    (wp.int16, np.int16),
    (wp.uint16, np.uint16),
    (wp.int32, np.int32),
    (wp.uint32, np.uint32),
    (wp.int64, np.int64),
    (wp.uint64, np.uint64),
    (wp.float16, np.float16),
    (wp.float32, np.float32),
    (wp.float64, np.float64),
]
SCALAR_IDS = [np.dtype(n).name for _, n in SCALARS]
SHAPES = [(5,), (2, 3), (2, 3, 2), (2, 1, 3, 2)]


def c_strides(shape, itemsize):
    out, acc = [], itemsize
    for n in reversed(shape):
        out.append(acc)
        acc *= max(n, 1)
    return tuple(reversed(out))


def sample(np_dtype, shape):
    """Deterministic, dtype-appropriate data (negative values for signed types)."""
    n = math.prod(shape)
    dt = np.dtype(np_dtype)
    if dt.kind == "b":
        return (np.arange(n) % 3 == 0).reshape(shape)
    if dt.kind == "u":
        return (np.arange(n) * 7 % 100).astype(dt).reshape(shape)
    if dt.kind == "i":
        return ((np.arange(n) * 7 % 100) - 50).astype(dt).reshape(shape)
    return ((np.arange(n) - n / 2) * 0.5).astype(dt).reshape(shape)


def arange2d(device, rows=3, cols=4, dtype=np.float32):
    ref = np.arange(rows * cols, dtype=dtype).reshape(rows, cols)
    return wp.array(ref, device=device), ref


# ---------------------------------------------------------------------------------------
# construction from lists and NumPy, every dtype, 1-4 dimensions
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: f"{len(s)}d")
@pytest.mark.parametrize("wp_type,np_type", SCALARS, ids=SCALAR_IDS)
def test_from_numpy_all_dtypes_and_ndims(device, wp_type, np_type, shape):
    ref = sample(np_type, shape)
    a = wp.array(ref, dtype=wp_type, device=device)
    assert a.dtype is wp_type
    assert a.shape == shape
    assert a.ndim == len(shape)
    assert a.size == ref.size
    assert a.strides == c_strides(shape, np.dtype(np_type).itemsize)
    assert a.is_contiguous
    assert a.device == device
    out = a.numpy()
    assert out.dtype == np.dtype(np_type)
    assert out.shape == shape
    np.testing.assert_array_equal(out, ref)


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: f"{len(s)}d")
@pytest.mark.parametrize("wp_type,np_type", SCALARS, ids=SCALAR_IDS)
def test_from_list_all_dtypes_and_ndims(device, wp_type, np_type, shape):
    ref = sample(np_type, shape)
    a = wp.array(ref.tolist(), dtype=wp_type, device=device)
    assert a.dtype is wp_type
    assert a.shape == shape
    np.testing.assert_array_equal(a.numpy(), ref)
    assert a.list() == ref.reshape(-1).tolist()  # flat, as in Warp 1.19


@pytest.mark.parametrize("wp_type,np_type", SCALARS, ids=SCALAR_IDS)
def test_numpy_dtype_is_inferred_without_dtype(device, wp_type, np_type):
    ref = sample(np_type, (2, 3))
    a = wp.array(ref, device=device)
    assert a.dtype is wp_type
    np.testing.assert_array_equal(a.numpy(), ref)


def test_extreme_values_survive_round_trip(device):
    cases = [
        (wp.int8, [-128, 127]),
        (wp.uint8, [0, 255]),
        (wp.int16, [-32768, 32767]),
        (wp.uint16, [0, 65535]),
        (wp.int32, [-2**31, 2**31 - 1]),
        (wp.uint32, [0, 2**32 - 1]),
        (wp.int64, [-2**63, 2**63 - 1]),
        (wp.uint64, [2**64 - 1]),
        (wp.float16, [-65504.0, 65504.0]),
        (wp.float64, [1e300, -1e-300]),
    ]
    for dtype, values in cases:
        assert wp.array(values, dtype=dtype, device=device).list() == values, dtype


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_large_uint64_list_with_small_values(device):
    values = [0, 2**64 - 1, 2**63 + 1]
    assert wp.array(values, dtype=wp.uint64, device=device).list() == values


@pytest.mark.parametrize("spelling,expected", [
    (float, wp.float32),
    (int, wp.int32),
    (bool, wp.bool),
    (wp.float32, wp.float32),
    (np.float32, wp.float32),
    (np.float64, wp.float64),
    (np.int64, wp.int64),
    (np.uint8, wp.uint8),
    (np.float16, wp.float16),
    (wp.half, wp.float16),
], ids=lambda x: getattr(x, "__name__", str(x)))
def test_dtype_spellings(device, spelling, expected):
    a = wp.array([1, 0, 1], dtype=spelling, device=device)
    assert a.dtype is expected
    assert wp.zeros(3, dtype=spelling, device=device).dtype is expected
    assert a.numpy().dtype == np.dtype(expected._np_dtype)


def test_python_floats_infer_numpy_dtype(device):
    # as in Warp, the dtype of list data is NumPy's inference (float64 for floats)
    a = wp.array([1.5, 2.0, -3.25], device=device)
    assert a.dtype is wp.float64
    assert a.numpy().dtype == np.float64
    assert a.list() == [1.5, 2.0, -3.25]
    b = wp.array([[1.0, 2.0], [3.0, 4.0]], device=device)
    assert b.dtype is wp.float64 and b.shape == (2, 2)


def test_python_ints_infer_numpy_dtype(device):
    a = wp.array([1, -2, 3], device=device)
    assert a.dtype is wp.int64
    assert a.numpy().dtype == np.int64
    assert a.list() == [1, -2, 3]
    assert wp.array([[1, 2, 3]], device=device).dtype is wp.int64


def test_python_bools_default_to_bool(device):
    a = wp.array([True, False, True], device=device)
    assert a.dtype is wp.bool
    assert a.list() == [True, False, True]


def test_mixed_ints_and_floats_infer_float64(device):
    a = wp.array([1, 2.5], device=device)
    assert a.dtype is wp.float64
    assert a.list() == [1.0, 2.5]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_large_python_ints_are_not_silently_truncated(device):
    a = wp.array([2**40, 1], device=device)
    assert a.list() == [2**40, 1]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_out_of_range_value_for_dtype_raises(device):
    with pytest.raises((OverflowError, ValueError, RuntimeError, TypeError)):
        wp.array([300], dtype=wp.int8, device=device)


def test_non_contiguous_numpy_source(device):
    ref = np.arange(24, dtype=np.float32).reshape(4, 6)
    src = ref.T[::2]  # non-contiguous, transposed
    a = wp.array(src, device=device)
    assert a.shape == src.shape
    assert a.is_contiguous
    np.testing.assert_array_equal(a.numpy(), src)


def test_data_with_explicit_shape(device):
    a = wp.array(np.arange(6), dtype=float, shape=(2, 3), device=device)
    assert a.shape == (2, 3) and a.dtype is wp.float32
    np.testing.assert_array_equal(a.numpy(), np.arange(6, dtype=np.float32).reshape(2, 3))


def test_numpy_float64_converted_to_requested_dtype(device):
    a = wp.array(np.array([0.5, 1.25], dtype=np.float64), dtype=wp.float32, device=device)
    assert a.dtype is wp.float32
    assert a.numpy().dtype == np.float32
    assert a.list() == [0.5, 1.25]


def test_from_wp_array_copies(device):
    a, ref = arange2d(device)
    b = wp.array(a, device=device)
    assert b.ptr != a.ptr
    b.fill_(0.0)
    np.testing.assert_array_equal(a.numpy(), ref)


def test_from_wp_array_copy_false_aliases(device):
    a, ref = arange2d(device)
    b = wp.array(a, copy=False, device=device)
    assert b.ptr == a.ptr
    b.fill_(2.0)
    np.testing.assert_array_equal(a.numpy(), np.full_like(ref, 2.0))


def test_from_non_contiguous_cpu_view_to_device(device):
    a, ref = arange2d("cpu")
    b = wp.array(a[:, 1], device=device)
    assert b.device == device
    assert b.shape == (3,)
    np.testing.assert_array_equal(b.numpy(), ref[:, 1])


# ---------------------------------------------------------------------------------------
# properties
# ---------------------------------------------------------------------------------------
def test_properties(device):
    a = wp.zeros((2, 3, 4), dtype=wp.float64, device=device)
    assert a.shape == (2, 3, 4)
    assert a.strides == (96, 32, 8)
    assert a.ndim == 3
    assert a.size == 24
    assert len(a) == 2
    assert a.dtype is wp.float64
    assert a.is_contiguous
    assert isinstance(a.device, wp.Device)
    assert a.device == device
    assert str(a.device) == str(wp.get_device(device))
    assert a.ptr != 0
    assert a.capacity >= 24 * 8


def test_int_shape_and_empty_shape(device):
    a = wp.zeros(7, device=device)
    assert a.shape == (7,) and a.ndim == 1
    e = wp.zeros((0,), device=device)
    assert e.size == 0 and e.shape == (0,)
    assert e.numpy().shape == (0,)
    e.fill_(1.0)  # no-op, no error
    e2 = wp.zeros((3, 0), dtype=wp.int32, device=device)
    assert e2.size == 0 and e2.numpy().shape == (3, 0)


def test_str_and_repr(device):
    a = wp.array([1.0, 2.0], dtype=float, device=device)
    assert "1." in str(a) and "2." in str(a)
    r = repr(a)
    assert "float32" in r and "(2,)" in r


def test_truth_value_follows_len(device):
    assert bool(wp.zeros(3, device=device))
    assert not bool(wp.zeros(0, device=device))


# ---------------------------------------------------------------------------------------
# factories
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("wp_type,np_type", SCALARS, ids=SCALAR_IDS)
def test_zeros_ones(device, wp_type, np_type):
    z = wp.zeros((2, 3), dtype=wp_type, device=device)
    assert z.dtype is wp_type and z.shape == (2, 3) and z.device == device
    np.testing.assert_array_equal(z.numpy(), np.zeros((2, 3), dtype=np_type))
    o = wp.ones((4,), dtype=wp_type, device=device)
    np.testing.assert_array_equal(o.numpy(), np.ones(4, dtype=np_type))


def test_zeros_default_dtype_is_float32(device):
    assert wp.zeros(3, device=device).dtype is wp.float32
    assert wp.ones(3, device=device).dtype is wp.float32
    assert wp.empty(3, device=device).dtype is wp.float32


@pytest.mark.parametrize("value,dtype,expected", [
    (2.5, wp.float32, 2.5),
    (-7, wp.int32, -7),
    (True, wp.bool, True),
    (1.5, wp.float16, 1.5),
    (3.25, wp.float64, 3.25),
    (2**63 + 5, wp.uint64, 2**63 + 5),
    (-3, wp.int8, -3),
    (40000, wp.uint16, 40000),
])
def test_full(device, value, dtype, expected):
    a = wp.full((2, 3), value, dtype=dtype, device=device)
    assert a.dtype is dtype
    assert a.list() == [expected] * 6  # flat, as in Warp 1.19


def test_full_infers_dtype_from_value(device):
    assert wp.full(3, 2, device=device).dtype is wp.int32
    assert wp.full(3, 2.0, device=device).dtype is wp.float32
    assert wp.full(3, True, device=device).dtype is wp.bool
    assert wp.full(3, value=4.5, device=device).list() == [4.5] * 3


def test_empty(device):
    a = wp.empty((3, 2), dtype=wp.int16, device=device)
    assert a.shape == (3, 2) and a.dtype is wp.int16 and a.device == device
    assert a.is_contiguous and a.strides == (4, 2)


def test_like_factories(device):
    src = wp.array(np.arange(6, dtype=np.float64).reshape(2, 3), device=device)
    for fn, expect in [(wp.zeros_like, 0.0), (wp.ones_like, 1.0)]:
        b = fn(src)
        assert b.shape == src.shape and b.dtype is wp.float64 and b.device == device
        assert b.ptr != src.ptr
        np.testing.assert_array_equal(b.numpy(), np.full((2, 3), expect))
    e = wp.empty_like(src)
    assert e.shape == src.shape and e.dtype is wp.float64 and e.device == device
    f = wp.full_like(src, 9)
    assert f.dtype is wp.float64
    np.testing.assert_array_equal(f.numpy(), np.full((2, 3), 9.0))
    # the source is untouched
    np.testing.assert_array_equal(src.numpy(), np.arange(6).reshape(2, 3))


def test_like_factories_of_strided_view_are_contiguous(device):
    a, _ = arange2d(device)
    v = a[:, ::2]
    for fn in (wp.zeros_like, wp.empty_like, wp.ones_like):
        b = fn(v)
        assert b.shape == (3, 2) and b.is_contiguous


def test_like_factories_on_other_device(device):
    src = wp.zeros((2, 2), dtype=wp.int32, device="cpu")
    b = wp.zeros_like(src, device=device)
    assert b.device == device and b.dtype is wp.int32


def test_clone_is_independent(device):
    a, ref = arange2d(device)
    c = wp.clone(a)
    assert c.device == device and c.ptr != a.ptr
    np.testing.assert_array_equal(c.numpy(), ref)
    c.fill_(-1.0)
    np.testing.assert_array_equal(a.numpy(), ref)


def test_clone_of_strided_view(device):
    a, ref = arange2d(device)
    c = wp.clone(a[:, 1::2])
    assert c.is_contiguous and c.shape == (3, 2)
    np.testing.assert_array_equal(c.numpy(), ref[:, 1::2])


def test_clone_to_cpu_and_back(device):
    a, ref = arange2d(device)
    c = wp.clone(a, device="cpu")
    assert c.device == "cpu"
    np.testing.assert_array_equal(c.numpy(), ref)
    d = wp.clone(c, device=device)
    assert d.device == device
    np.testing.assert_array_equal(d.numpy(), ref)


def test_from_numpy(device):
    ref = np.arange(6, dtype=np.int16)
    a = wp.from_numpy(ref, device=device)
    assert a.dtype is wp.int16 and a.device == device
    np.testing.assert_array_equal(a.numpy(), ref)
    b = wp.from_numpy(ref, dtype=wp.float32, shape=(2, 3), device=device)
    assert b.dtype is wp.float32 and b.shape == (2, 3)
    np.testing.assert_array_equal(b.numpy(), ref.reshape(2, 3).astype(np.float32))
    c = wp.from_numpy(np.ones(3, dtype=np.float64), device=device, requires_grad=True)
    assert c.requires_grad and c.grad is not None


# ---------------------------------------------------------------------------------------
# wp.copy
# ---------------------------------------------------------------------------------------
def test_copy_whole(device):
    src, ref = arange2d(device)
    dst = wp.zeros((3, 4), device=device)
    wp.copy(dst, src)
    np.testing.assert_array_equal(dst.numpy(), ref)


def test_copy_with_offsets_and_count(device):
    src = wp.array(np.arange(10, dtype=np.float32), device=device)
    dst = wp.zeros(10, device=device)
    wp.copy(dst, src, dest_offset=3, src_offset=5, count=4)
    expect = np.zeros(10, dtype=np.float32)
    expect[3:7] = [5, 6, 7, 8]
    np.testing.assert_array_equal(dst.numpy(), expect)
    np.testing.assert_array_equal(src.numpy(), np.arange(10))


def test_copy_offsets_out_of_bounds(device):
    src = wp.zeros(5, device=device)
    dst = wp.zeros(5, device=device)
    with pytest.raises((ValueError, RuntimeError)):
        wp.copy(dst, src, dest_offset=3, count=4)
    with pytest.raises((ValueError, RuntimeError)):
        wp.copy(dst, src, src_offset=4, count=2)


def test_copy_into_smaller_destination_raises(device):
    with pytest.raises((ValueError, RuntimeError)):
        wp.copy(wp.zeros(3, device=device), wp.zeros(5, device=device))


def test_copy_between_different_itemsizes_raises(device):
    with pytest.raises((TypeError, ValueError, RuntimeError)):
        wp.copy(wp.zeros(3, dtype=wp.float64, device=device),
                wp.zeros(3, dtype=wp.float32, device=device))


def test_copy_into_larger_destination(device):
    src = wp.array([1.0, 2.0, 3.0], dtype=float, device=device)
    dst = wp.zeros(5, device=device)
    wp.copy(dst, src)
    assert dst.list() == [1.0, 2.0, 3.0, 0.0, 0.0]


def test_copy_same_size_different_shape(device):
    src = wp.array(np.arange(6, dtype=np.float32), device=device)
    dst = wp.zeros((2, 3), device=device)
    wp.copy(dst, src)
    np.testing.assert_array_equal(dst.numpy(), np.arange(6).reshape(2, 3))


@pytest.mark.parametrize("direction", ["to_device", "to_cpu"])
def test_copy_between_cpu_and_device(device, direction):
    ref = np.arange(12, dtype=np.int32).reshape(3, 4)
    if direction == "to_device":
        src, dst = wp.array(ref, device="cpu"), wp.zeros((3, 4), dtype=wp.int32, device=device)
    else:
        src, dst = wp.array(ref, device=device), wp.zeros((3, 4), dtype=wp.int32, device="cpu")
    wp.copy(dst, src)
    np.testing.assert_array_equal(dst.numpy(), ref)
    # offsets across devices
    dst.zero_()
    wp.copy(dst, src, dest_offset=1, src_offset=6, count=3)
    np.testing.assert_array_equal(dst.numpy().ravel(), [0, 6, 7, 8] + [0] * 8)


def test_copy_strided_across_devices(device):
    cpu = wp.zeros((3, 4), device="cpu")
    src = wp.array([1.0, 2.0, 3.0], dtype=float, device=device)
    wp.copy(cpu[:, 2], src)
    expect = np.zeros((3, 4), dtype=np.float32)
    expect[:, 2] = [1, 2, 3]
    np.testing.assert_array_equal(cpu.numpy(), expect)

    dev2d, ref = arange2d(device)
    out = wp.zeros(3, device="cpu")
    wp.copy(out, dev2d[:, 1])
    np.testing.assert_array_equal(out.numpy(), ref[:, 1])

    # device strided destination from a CPU source
    dst = wp.zeros((3, 4), device=device)
    wp.copy(dst[:, ::2], wp.array(ref[:, :2], device="cpu"))
    expect = np.zeros((3, 4), dtype=np.float32)
    expect[:, ::2] = ref[:, :2]
    np.testing.assert_array_equal(dst.numpy(), expect)


def test_copy_strided_same_device(device):
    a, ref = arange2d(device)
    dst = wp.zeros((4, 3), device=device)
    wp.copy(dst, a.transpose())
    np.testing.assert_array_equal(dst.numpy(), ref.T)


def test_copy_rejects_non_arrays(device):
    with pytest.raises((TypeError, RuntimeError)):
        wp.copy(wp.zeros(3, device=device), np.zeros(3, dtype=np.float32))


# ---------------------------------------------------------------------------------------
# methods
# ---------------------------------------------------------------------------------------
def test_numpy_and_list(device):
    a, ref = arange2d(device)
    n = a.numpy()
    assert isinstance(n, np.ndarray)
    np.testing.assert_array_equal(n, ref)
    lst = a.list()
    assert isinstance(lst, list) and lst == ref.reshape(-1).tolist()  # flat, as in Warp


def test_cpu_numpy_is_a_view():
    a = wp.zeros(4, dtype=wp.int32, device="cpu")
    n = a.numpy()
    n[2] = 5
    assert a.list() == [0, 0, 5, 0]
    assert np.shares_memory(a.numpy(), n)
    assert a.numpy().ctypes.data == a.ptr


def test_gpu_numpy_is_a_copy(gpu_device):
    a = wp.zeros(4, dtype=wp.int32, device=gpu_device)
    n = a.numpy()
    n[2] = 5
    assert a.list() == [0, 0, 0, 0]


@pytest.mark.parametrize("wp_type,value", [
    (wp.float32, 1.5), (wp.float64, -2.25), (wp.float16, 0.5), (wp.int8, -3),
    (wp.uint8, 200), (wp.int64, -2**40), (wp.uint64, 2**64 - 2), (wp.bool, True),
    (wp.int16, -2), (wp.uint32, 2**32 - 1),
])
def test_fill_(device, wp_type, value):
    a = wp.zeros((3, 2), dtype=wp_type, device=device)
    a.fill_(value)
    assert a.list() == [value] * 6  # flat, as in Warp 1.19
    a[1:].zero_()
    assert a.list() == [value] * 2 + [0] * 4
    a.zero_()
    np.testing.assert_array_equal(a.numpy(), np.zeros((3, 2), dtype=a.numpy().dtype))


@pytest.mark.parametrize("wp_type,np_type", SCALARS, ids=SCALAR_IDS)
def test_strided_read_and_fill_every_dtype(device, wp_type, np_type):
    ref = sample(np_type, (3, 4))
    a = wp.array(ref, dtype=wp_type, device=device)
    v = a[:, 1::2]
    assert not v.is_contiguous
    np.testing.assert_array_equal(v.numpy(), ref[:, 1::2])
    value = np.ones((), dtype=np_type)[()]
    v.fill_(value)
    ref[:, 1::2] = value
    np.testing.assert_array_equal(a.numpy(), ref)
    t = a.transpose()
    np.testing.assert_array_equal(t.numpy(), ref.T)
    np.testing.assert_array_equal(wp.clone(t).numpy(), ref.T)


def test_fill_with_warp_scalar(device):
    a = wp.zeros(3, dtype=wp.float32, device=device)
    a.fill_(wp.float32(2.5))
    assert a.list() == [2.5] * 3


def test_assign(device):
    a = wp.zeros((2, 3), dtype=wp.float32, device=device)
    a.assign(np.arange(6, dtype=np.float32).reshape(2, 3))
    np.testing.assert_array_equal(a.numpy(), np.arange(6).reshape(2, 3))
    a.assign([[1, 1, 1], [2, 2, 2]])
    assert a.list() == [1, 1, 1, 2, 2, 2]
    a.assign(wp.full((2, 3), 4.0, device="cpu"))
    assert a.list() == [4.0] * 6
    a.assign(wp.full((2, 3), 5.0, device=device))
    assert a.list() == [5.0] * 6


def test_assign_wrong_shape_raises(device):
    a = wp.zeros(3, device=device)
    with pytest.raises((ValueError, RuntimeError)):
        a.assign([1.0, 2.0, 3.0, 4.0, 5.0])
    with pytest.raises((ValueError, RuntimeError)):
        a.assign(wp.zeros(4, device=device))
    assert a.list() == [0.0, 0.0, 0.0]


def test_to(device):
    a, ref = arange2d("cpu")
    b = a.to(device)
    assert b.device == device
    np.testing.assert_array_equal(b.numpy(), ref)
    c = b.to("cpu")
    assert c.device == "cpu"
    np.testing.assert_array_equal(c.numpy(), ref)
    assert b.to(device) is b  # already there: no copy
    assert b.to(wp.get_device(device)) is b


def test_to_keeps_requires_grad(device):
    a = wp.zeros(3, device="cpu", requires_grad=True)
    b = a.to(device)
    assert b.requires_grad and b.grad is not None and b.grad.shape == (3,)


def test_reshape(device):
    a = wp.array(np.arange(24, dtype=np.float32), device=device)
    b = a.reshape((2, 3, 4))
    assert b.shape == (2, 3, 4) and b.strides == (48, 16, 4) and b.ptr == a.ptr
    np.testing.assert_array_equal(b.numpy(), np.arange(24).reshape(2, 3, 4))
    assert a.reshape((4, -1)).shape == (4, 6)
    assert a.reshape((-1, 2, 3)).shape == (4, 2, 3)
    assert a.reshape(-1).shape == (24,)
    assert a.reshape(24).shape == (24,)
    # a reshaped view aliases the original
    a.reshape((2, 12))[1].fill_(-1.0)
    np.testing.assert_array_equal(a.numpy()[12:], -np.ones(12))


def test_reshape_errors(device):
    a = wp.zeros(12, device=device)
    with pytest.raises((ValueError, RuntimeError)):
        a.reshape((5, 3))
    with pytest.raises((ValueError, RuntimeError)):
        a.reshape((5, -1))
    with pytest.raises((ValueError, RuntimeError)):
        a.reshape((-1, -1))
    with pytest.raises((ValueError, RuntimeError)):
        a.reshape((1, 1, 1, 2, 6))
    b, _ = arange2d(device)
    with pytest.raises((ValueError, RuntimeError)):
        b[:, ::2].reshape(6)  # not contiguous


def test_flatten(device):
    a = wp.array(np.arange(24, dtype=np.int32).reshape(2, 3, 4), device=device)
    f = a.flatten()
    assert f.shape == (24,) and f.ndim == 1 and f.ptr == a.ptr
    np.testing.assert_array_equal(f.numpy(), np.arange(24))


def test_view_same_itemsize(device):
    ref = np.array([1.0, -2.5, 0.0], dtype=np.float32)
    a = wp.array(ref, device=device)
    v = a.view(wp.int32)
    assert v.dtype is wp.int32 and v.shape == a.shape and v.ptr == a.ptr
    np.testing.assert_array_equal(v.numpy(), ref.view(np.int32))
    u = wp.array([-1, 2], dtype=wp.int16, device=device).view(wp.uint16)
    assert u.list() == [65535, 2]
    h = wp.array([1.0], dtype=wp.float16, device=device).view(wp.uint16)
    assert h.list() == [0x3C00]


def test_view_of_strided_array(device):
    a, ref = arange2d(device)
    v = a[:, 1].view(wp.uint32)
    assert v.strides == (16,)
    np.testing.assert_array_equal(v.numpy(), ref[:, 1].view(np.uint32))


def test_view_different_itemsize_raises(device):
    a = wp.zeros(4, dtype=wp.float32, device=device)
    with pytest.raises((ValueError, RuntimeError), match="size"):
        a.view(wp.float64)
    with pytest.raises((ValueError, RuntimeError)):
        a.view(wp.int8)


def test_transpose(device):
    a, ref = arange2d(device)
    t = a.transpose()
    assert t.shape == (4, 3) and t.strides == (4, 16) and t.ptr == a.ptr
    assert not t.is_contiguous
    assert t.is_transposed and not a.is_transposed and not t.T.is_transposed  # Warp's flag
    np.testing.assert_array_equal(t.numpy(), ref.T)
    assert a.T.shape == (4, 3)
    a3 = wp.array(np.arange(24, dtype=np.float32).reshape(2, 3, 4), device=device)
    t3 = a3.transpose((1, 2, 0))
    assert t3.shape == (3, 4, 2)
    np.testing.assert_array_equal(t3.numpy(), np.arange(24).reshape(2, 3, 4).transpose(1, 2, 0))
    with pytest.raises((ValueError, RuntimeError)):
        a3.transpose((0, 0, 1))


def test_contiguous(device):
    a, ref = arange2d(device)
    assert a.contiguous() is a
    v = a[:, 1:3]
    assert not v.is_contiguous
    c = v.contiguous()
    assert c.is_contiguous and c.shape == (3, 2) and c.strides == (8, 4)
    np.testing.assert_array_equal(c.numpy(), ref[:, 1:3])
    c.fill_(0.0)  # a copy: the parent stays
    np.testing.assert_array_equal(a.numpy(), ref)


# ---------------------------------------------------------------------------------------
# slicing and views
# ---------------------------------------------------------------------------------------
def test_slice_range(device):
    ref = np.arange(10, dtype=np.float32)
    a = wp.array(ref, device=device)
    v = a[2:5]
    assert v.shape == (3,) and v.strides == (4,) and v.is_contiguous
    assert v.ptr == a.ptr + 8
    np.testing.assert_array_equal(v.numpy(), ref[2:5])


def test_slice_column(device):
    a, ref = arange2d(device)
    v = a[:, 1]
    assert v.shape == (3,) and v.strides == (16,) and v.ndim == 1
    assert not v.is_contiguous
    assert v.ptr == a.ptr + 4
    np.testing.assert_array_equal(v.numpy(), ref[:, 1])


def test_slice_step(device):
    ref = np.arange(10, dtype=np.float64)
    a = wp.array(ref, device=device)
    v = a[::2]
    assert v.shape == (5,) and v.strides == (16,) and not v.is_contiguous
    np.testing.assert_array_equal(v.numpy(), ref[::2])


def test_slice_2d_range_and_step(device):
    ref = np.arange(30, dtype=np.int32).reshape(5, 6)
    a = wp.array(ref, device=device)
    v = a[1:3, ::2]
    assert v.shape == (2, 3) and v.strides == (24, 8)
    assert v.ptr == a.ptr + 24
    np.testing.assert_array_equal(v.numpy(), ref[1:3, ::2])


def test_row_index_gives_view(device):
    a, ref = arange2d(device)
    r = a[1]
    assert r.shape == (4,) and r.is_contiguous and r.ptr == a.ptr + 16
    np.testing.assert_array_equal(r.numpy(), ref[1])
    assert a[-1].list() == ref[-1].reshape(-1).tolist()


def test_ellipsis_index(device):
    a = wp.array(np.arange(24, dtype=np.float32).reshape(2, 3, 4), device=device)
    ref = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    np.testing.assert_array_equal(a[..., 1].numpy(), ref[..., 1])
    np.testing.assert_array_equal(a[0, ...].numpy(), ref[0, ...])


def test_view_of_view(device):
    ref = np.arange(40, dtype=np.float32).reshape(5, 8)
    a = wp.array(ref, device=device)
    v = a[1:, ::2][::2, 1:3]
    np.testing.assert_array_equal(v.numpy(), ref[1:, ::2][::2, 1:3])


def test_index_errors(device):
    a, _ = arange2d(device)
    with pytest.raises(IndexError):
        a[3]
    with pytest.raises(IndexError):
        a[:, 0, 0]
    with pytest.raises((TypeError, IndexError)):
        a[1.5]


def test_write_through_range_view(device):
    a = wp.zeros(8, device=device)
    a[:4].fill_(1.0)
    assert a.list() == [1.0] * 4 + [0.0] * 4
    a[6:].fill_(3.0)
    assert a.list() == [1.0] * 4 + [0.0, 0.0, 3.0, 3.0]


def test_write_through_column_view(device):
    a = wp.zeros((3, 4), dtype=wp.int32, device=device)
    a[:, 1].fill_(7)
    expect = np.zeros((3, 4), dtype=np.int32)
    expect[:, 1] = 7
    np.testing.assert_array_equal(a.numpy(), expect)


def test_write_through_strided_2d_view(device):
    a = wp.zeros((4, 6), dtype=wp.float64, device=device)
    a[1:3, ::2].fill_(2.5)
    a[::3, 5].assign([8.0, 9.0])
    expect = np.zeros((4, 6))
    expect[1:3, ::2] = 2.5
    expect[::3, 5] = [8.0, 9.0]
    np.testing.assert_array_equal(a.numpy(), expect)


def test_zero_through_view(device):
    a = wp.full((2, 3), 5, dtype=wp.int32, device=device)
    a[:, 1:].zero_()
    assert a.list() == [5, 0, 0, 5, 0, 0]


def test_write_through_transpose(device):
    a = wp.zeros((2, 3), dtype=wp.float32, device=device)
    a.transpose()[1].fill_(4.0)  # column 1 of a
    assert a.list() == [0.0, 4.0, 0.0, 0.0, 4.0, 0.0]


def test_view_keeps_memory_alive(device):
    v = wp.array(np.arange(6, dtype=np.float32), device=device)[2:4]
    import gc

    gc.collect()
    wp.zeros(1000, device=device)  # reuse freed memory if any
    assert v.list() == [2.0, 3.0]


@st.composite
def shapes_and_keys(draw):
    ndim = draw(st.integers(1, 3))
    shape = tuple(draw(st.integers(0, 6)) for _ in range(ndim))
    nkey = draw(st.integers(1, ndim))
    key = []
    bound = st.none() | st.integers(-8, 8)
    for d in range(nkey):
        n = shape[d]
        if n > 0 and draw(st.booleans()):
            key.append(draw(st.integers(-n, n - 1)))
        else:
            key.append(slice(draw(bound), draw(bound), draw(st.none() | st.integers(1, 3))))
    if nkey == ndim and all(isinstance(k, int) for k in key):
        key[-1] = slice(None)
    return shape, (key[0] if len(key) == 1 and draw(st.booleans()) else tuple(key))


_PROP = settings(max_examples=30, deadline=None,
                 suppress_health_check=[HealthCheck.function_scoped_fixture])


@_PROP
@given(case=shapes_and_keys())
def test_slicing_matches_numpy(device, case):
    shape, key = case
    ref = np.arange(math.prod(shape), dtype=np.float32).reshape(shape)
    a = wp.array(ref, device=device)
    v = a[key]
    expect = ref[key]
    assert v.shape == expect.shape
    assert v.ndim == expect.ndim
    np.testing.assert_array_equal(v.numpy(), expect)
    if expect.size:
        # NumPy's strides are only meaningful for non-empty arrays and axes longer than 1
        assert [s for s, n in zip(v.strides, v.shape) if n > 1] == \
            [s for s, n in zip(expect.strides, expect.shape) if n > 1]
        assert v.ptr - a.ptr == expect.__array_interface__["data"][0] - ref.ctypes.data


@_PROP
@given(case=shapes_and_keys())
def test_fill_through_slice_matches_numpy(device, case):
    shape, key = case
    ref = np.arange(math.prod(shape), dtype=np.float32).reshape(shape)
    a = wp.array(ref, device=device)
    a[key].fill_(-1.5)
    ref[key] = -1.5
    np.testing.assert_array_equal(a.numpy(), ref)


# ---------------------------------------------------------------------------------------
# zero-copy aliasing of NumPy arrays
# ---------------------------------------------------------------------------------------
def test_copy_false_aliases_numpy_on_cpu(device):
    n = np.arange(6, dtype=np.float32)
    a = wp.array(n, dtype=wp.float32, copy=False, device=device)
    n[0] = 42.0
    if wp.get_device(device).is_cpu:
        assert a.ptr == n.ctypes.data
        assert a.list()[0] == 42.0
        a.fill_(1.0)
        np.testing.assert_array_equal(n, np.ones(6))
    else:  # a GPU array is always a copy
        assert a.list()[0] == 0.0


def test_copy_false_aliases_strided_numpy():
    base = np.arange(12, dtype=np.float32).reshape(3, 4)
    n = base[:, ::2]
    a = wp.array(n, copy=False, device="cpu")
    assert a.strides == n.strides
    assert np.shares_memory(a.numpy(), base)
    a.fill_(0.0)
    np.testing.assert_array_equal(base[:, ::2], np.zeros((3, 2)))
    np.testing.assert_array_equal(base[:, 1::2], [[1, 3], [5, 7], [9, 11]])


def test_copy_true_does_not_alias(device):
    n = np.arange(6, dtype=np.float32)
    a = wp.array(n, device=device)
    n[0] = 42.0
    assert a.list()[0] == 0.0


def test_copy_false_with_dtype_conversion_does_not_alias():
    n = np.arange(4, dtype=np.float64)
    a = wp.array(n, dtype=wp.float32, copy=False, device="cpu")
    assert a.dtype is wp.float32
    n[0] = 9.0
    assert a.list() == [0.0, 1.0, 2.0, 3.0]


# ---------------------------------------------------------------------------------------
# gradients
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [wp.float32, wp.float64, wp.float16])
def test_requires_grad_allocates_zero_grad(device, dtype):
    a = wp.ones((2, 3), dtype=dtype, device=device, requires_grad=True)
    assert a.requires_grad
    g = a.grad
    assert isinstance(g, wp.array)
    assert g.shape == (2, 3) and g.dtype is dtype and g.device == device
    assert g.ptr != a.ptr
    np.testing.assert_array_equal(g.numpy(), np.zeros((2, 3)))


def test_requires_grad_on_constructors(device):
    for a in (wp.array([1.0, 2.0], device=device, requires_grad=True),
              wp.zeros(2, device=device, requires_grad=True),
              wp.empty(2, device=device, requires_grad=True),
              wp.full(2, 3.0, device=device, requires_grad=True)):
        assert a.requires_grad and a.grad.shape == (2,)
        assert a.grad.list() == [0.0, 0.0]
    b = wp.zeros(2, device=device)
    assert not b.requires_grad and b.grad is None
    b.requires_grad = True
    assert b.grad is not None and b.grad.list() == [0.0, 0.0]
    b.requires_grad = False
    assert b.grad is None


def test_like_factories_inherit_requires_grad(device):
    a = wp.zeros(3, device=device, requires_grad=True)
    assert wp.zeros_like(a).requires_grad
    assert not wp.zeros_like(a, requires_grad=False).requires_grad
    assert wp.clone(a).requires_grad


def test_grad_setter_checks_shape(device):
    a = wp.zeros(3, device=device)
    a.grad = wp.zeros(3, device=device)
    assert a.requires_grad
    with pytest.raises((ValueError, RuntimeError)):
        a.grad = wp.zeros(4, device=device)


# ---------------------------------------------------------------------------------------
# Python-scope element access is rejected
# ---------------------------------------------------------------------------------------
def test_setitem_raises_type_error(device):
    a = wp.zeros(4, device=device)
    with pytest.raises(TypeError, match="fill_|assign|numpy"):
        a[1] = 2.0
    with pytest.raises(TypeError, match="fill_|assign|numpy"):
        a[1:3] = 2.0
    b = wp.zeros((2, 2), device=device)
    with pytest.raises(TypeError, match="fill_|assign|numpy"):
        b[0, 1] = 1.0
    assert a.list() == [0.0] * 4


def test_getitem_scalar_raises_type_error(device):
    a = wp.zeros(4, device=device)
    with pytest.raises(TypeError, match="fill_|assign|numpy"):
        a[1]
    with pytest.raises(TypeError, match="fill_|assign|numpy"):
        a[np.int64(-1)]
    b = wp.zeros((2, 2, 2), device=device)
    with pytest.raises(TypeError, match="fill_|assign|numpy"):
        b[0, 1, 1]


# ---------------------------------------------------------------------------------------
# annotations
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("ann,ndim,dtype", [
    (lambda: wp.array(dtype=float), 1, wp.float32),
    (lambda: wp.array(dtype=wp.float64), 1, wp.float64),
    (lambda: wp.array(dtype=float, ndim=2), 2, wp.float32),
    (lambda: wp.array(dtype=int, ndim=3), 3, wp.int32),
    (lambda: wp.array1d(dtype=wp.uint8), 1, wp.uint8),
    (lambda: wp.array2d(dtype=float), 2, wp.float32),
    (lambda: wp.array3d(dtype=wp.int64), 3, wp.int64),
    (lambda: wp.array4d(dtype=wp.float16), 4, wp.float16),
    (lambda: wp.array[float], 1, wp.float32),
    (lambda: wp.array[wp.int16], 1, wp.int16),
], ids=["array-float", "array-f64", "array-ndim2", "array-int-ndim3", "array1d", "array2d",
        "array3d", "array4d", "getitem-float", "getitem-int16"])
def test_annotations(ann, ndim, dtype):
    a = ann()
    assert isinstance(a, wp.array)
    assert a.ndim == ndim
    assert a.dtype is dtype
    assert a.device is None
    assert str(ndim) in repr(a)


def test_annotation_bad_ndim():
    with pytest.raises((ValueError, RuntimeError)):
        wp.array(dtype=float, ndim=5)


# ---------------------------------------------------------------------------------------
# interop protocols
# ---------------------------------------------------------------------------------------
def test_array_interface_on_cpu():
    a = wp.array(np.arange(6, dtype=np.float32).reshape(2, 3), device="cpu")
    ai = a.__array_interface__
    assert ai["shape"] == (2, 3)
    assert ai["data"][0] == a.ptr
    assert np.dtype(ai["typestr"]) == np.float32
    n = np.asarray(a)
    assert np.shares_memory(n, a.numpy())
    n[0, 0] = 11.0
    assert a.list()[0] == 11.0
    # strided views export their strides
    col = np.asarray(a[:, 1])
    np.testing.assert_array_equal(col, [1, 4])
    assert col.strides == (12,)
    col[1] = -1.0
    assert a.list()[4] == -1.0


def test_cuda_array_interface_absent_on_cpu():
    a = wp.zeros(3, device="cpu")
    assert not hasattr(a, "__cuda_array_interface__")
    with pytest.raises(AttributeError):
        a.__cuda_array_interface__


def test_cuda_array_interface_on_gpu(gpu_device):
    a = wp.array(np.arange(6, dtype=np.float32).reshape(2, 3), device=gpu_device)
    cai = a.__cuda_array_interface__
    assert cai["shape"] == (2, 3)
    assert cai["data"][0] == a.ptr
    assert np.dtype(cai["typestr"]) == np.float32
    assert cai["version"] >= 2
    v = a[:, 1]
    assert tuple(v.__cuda_array_interface__["strides"]) == (12,)
    assert not hasattr(a, "__array_interface__")
    # np.asarray of a GPU array falls back to a host copy
    np.testing.assert_array_equal(np.asarray(a), np.arange(6).reshape(2, 3))


def test_from_cuda_array_interface_object(gpu_device):
    a = wp.array(np.arange(4, dtype=np.float32), device=gpu_device)

    class Holder:
        __cuda_array_interface__ = a.__cuda_array_interface__

    b = wp.array(Holder(), copy=False, device=gpu_device)
    assert b.ptr == a.ptr and b.dtype is wp.float32
    assert b.list() == [0.0, 1.0, 2.0, 3.0]


def test_dlpack_on_cpu():
    pytest.importorskip("numba_warp.interop.dlpack")
    a = wp.array(np.arange(6, dtype=np.float32).reshape(2, 3), device="cpu")
    assert tuple(a.__dlpack_device__()) == (1, 0)  # kDLCPU
    n = np.from_dlpack(a)
    assert n.shape == (2, 3) and n.dtype == np.float32
    np.testing.assert_array_equal(n, np.arange(6).reshape(2, 3))
    assert np.shares_memory(n, a.numpy())
    v = np.from_dlpack(a[:, ::2])
    np.testing.assert_array_equal(v, [[0, 2], [3, 5]])


def test_dlpack_device_on_gpu(gpu_device):
    pytest.importorskip("numba_warp.interop.dlpack")
    a = wp.zeros(3, device=gpu_device)
    assert tuple(a.__dlpack_device__()) == (2, wp.get_device(gpu_device).ordinal)  # kDLCUDA


# ---------------------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------------------
def test_negative_shape_raises(device):
    for fn in (wp.zeros, wp.empty, wp.ones):
        with pytest.raises((ValueError, RuntimeError)):
            fn((2, -1), device=device)
    with pytest.raises((ValueError, RuntimeError)):
        wp.full(-3, 1.0, device=device)
    with pytest.raises((ValueError, RuntimeError)):
        wp.array(shape=(-1,), dtype=float, device=device)


def test_too_many_dims_raises(device):
    with pytest.raises((ValueError, RuntimeError), match="4"):
        wp.zeros((1, 1, 1, 1, 1), device=device)
    with pytest.raises((ValueError, RuntimeError)):
        wp.array(np.zeros((1, 2, 1, 2, 1), dtype=np.float32), device=device)
    with pytest.raises((ValueError, RuntimeError)):
        wp.empty((1,) * 5, device=device)


@pytest.mark.parametrize("spelling", ["float", "float32", "int", None])
def test_dtype_strings_and_none_are_rejected(device, spelling):
    # NumPy reads "float", "int" and None as float64/int64, where Warp's float and int
    # are 32-bit; Warp rejects these spellings, and so does every factory here
    makers = [lambda: wp.zeros(3, dtype=spelling, device=device),
              lambda: wp.empty(3, dtype=spelling, device=device),
              lambda: wp.array([1.0, 2.0], dtype=spelling, device=device)]
    if spelling is not None:  # wp.full's dtype=None is Warp 1.19's default: inferred
        makers.append(lambda: wp.full(3, 1.0, dtype=spelling, device=device))
    for make in makers:
        with pytest.raises(TypeError, match="dtype") as info:
            make()
        assert repr(spelling) in str(info.value) and "float32" in str(info.value)
    assert wp.full(3, 1.0, dtype=None, device=device).dtype is wp.float32


def test_fractional_shape_is_rejected(device):
    with pytest.raises(TypeError, match=r"shape.*2\.5"):
        wp.zeros((2, 2.5), device=device)
    with pytest.raises(TypeError, match="shape"):
        wp.empty(2.5, device=device)
    assert wp.zeros((2, 3.0), device=device).shape == (2, 3)  # whole floats: as in Warp


def test_bad_dtype_raises(device):
    with pytest.raises((TypeError, RuntimeError)):
        wp.zeros(3, dtype=str, device=device)
    with pytest.raises((TypeError, RuntimeError)):
        wp.array([1, 2], dtype=dict, device=device)
    with pytest.raises((TypeError, RuntimeError)):
        wp.array(np.zeros(3, dtype=np.complex64), device=device)
    with pytest.raises((TypeError, RuntimeError)):
        wp.empty(3, dtype=object, device=device)


def test_bad_shape_type_raises(device):
    with pytest.raises((TypeError, ValueError, RuntimeError)):
        wp.zeros("abc", device=device)


# ---------------------------------------------------------------------------------------
# arrays of structs: zeros, fills and gradients
# ---------------------------------------------------------------------------------------


@wp.struct
class Particle:
    pos: wp.vec3
    mass: float
    tag: wp.int8


@wp.kernel
def move_particles(p: wp.array(dtype=Particle), out: wp.array(dtype=float)):
    i = wp.tid()
    q = p[i]
    q.pos = q.pos + wp.vec3(1.0, 0.0, 0.0)
    p[i] = q
    out[i] = q.mass + float(q.tag)


def test_struct_array_zeros_and_fills(device):
    zeros = wp.zeros(3, dtype=Particle, device=device)
    like = wp.zeros_like(zeros)
    emptied = wp.empty(3, dtype=Particle, device=device).zero_()
    graded = wp.zeros(3, dtype=Particle, device=device, requires_grad=True)
    for a in (zeros, like, emptied, graded.grad):
        rec = a.numpy()
        assert rec.dtype == Particle.numpy_dtype
        np.testing.assert_array_equal(rec["pos"], np.zeros((3, 3)))
        np.testing.assert_array_equal(rec["mass"], 0)
        np.testing.assert_array_equal(rec["tag"], 0)
    full = wp.full(4, Particle(wp.vec3(1.0, 2.0, 3.0), 2.5, 7), device=device)
    assert full.dtype is Particle
    full[1:3].fill_(Particle(mass=-1.0))  # a strided view too
    full[::3].fill_(Particle(wp.vec3(9.0), 0.5, 1))
    rec = full.numpy()
    np.testing.assert_array_equal(rec["pos"], [[9, 9, 9], [0, 0, 0], [0, 0, 0], [9, 9, 9]])
    np.testing.assert_array_equal(rec["mass"], [0.5, -1.0, -1.0, 0.5])
    np.testing.assert_array_equal(rec["tag"], [1, 0, 0, 1])
    out = wp.zeros(4, dtype=float, device=device)
    wp.launch(move_particles, dim=4, inputs=[full, out], device=device)
    np.testing.assert_array_equal(out.numpy(), [1.5, -1.0, -1.0, 1.5])
    np.testing.assert_array_equal(full.numpy()["pos"][:, 0], [10, 1, 1, 10])
    with pytest.raises(ValueError, match="Particle instance, or 0"):
        full.fill_(1.0)
