"""``wp.utils``: array_sum, array_inner, array_scan, array_cast, radix_sort_pairs,
segmented_sort_pairs and runlength_encode, on every device.

Expected values marked "Warp 1.19" were printed by NVIDIA Warp 1.19.0 (CPU) for the same
calls (the script ran them under ``import warp as wp`` and under numba_warp); sums of
random data are checked against NumPy (the chunked sums differ from Warp's in the last
bits only).
"""

from __future__ import annotations

import numpy as np
import pytest

import numba_warp as wp

U = wp.utils
N = 8194  # more than MAX_CHUNKS elements, and not a multiple of the chunk length


def test_sums_and_inner_products(device):
    rng = np.random.default_rng(1)
    x = rng.random(N).astype(np.float32)
    a = wp.array(x, device=device)
    s = U.array_sum(a)
    assert isinstance(s, np.float32)
    np.testing.assert_allclose(s, x.astype(np.float64).sum(), rtol=1e-5)
    np.testing.assert_allclose(U.array_sum(a, value_count=10), x[:10].sum(), rtol=1e-6)
    np.testing.assert_allclose(U.array_inner(a, a), (x.astype(np.float64) ** 2).sum(), rtol=1e-5)
    x2 = np.arange(12, dtype=np.float64).reshape(3, 4)
    a2 = wp.array(x2, device=device)
    # Warp 1.19
    assert U.array_sum(a2, axis=0).numpy().tolist() == [[12.0, 15.0, 18.0, 21.0]]
    assert U.array_inner(a2, a2, axis=1, count=2).numpy().tolist() == [[1.0], [41.0], [145.0]]
    out = wp.zeros(1, dtype=wp.float64, device=device)
    assert U.array_sum(a2[:, 1:], out=out) is out and out.numpy()[0] == x2[:, 1:].sum()
    np.testing.assert_array_equal(U.array_sum(a2, axis=-1, value_count=3).numpy(),
                                  x2[:, :3].sum(axis=1, keepdims=True))
    m = wp.array(np.arange(8, dtype=np.float32).reshape(2, 2, 2), dtype=wp.mat22, device=device)
    assert U.array_sum(m).tolist() == [[4.0, 6.0], [8.0, 10.0]]  # Warp 1.19
    assert U.array_inner(m, m) == 140.0
    v = wp.array(np.arange(6, dtype=np.float32).reshape(2, 3), dtype=wp.vec3, device=device)
    assert U.array_inner(v, v) == 55.0 and U.array_sum(v).tolist() == [3.0, 5.0, 7.0]
    assert U.array_inner(a2, a2, count=0) == 0.0 and U.array_sum(a, value_count=0) == 0.0


def test_reduction_errors():
    ints = wp.array([1, 2], dtype=int, device="cpu")
    with pytest.raises(RuntimeError, match="unsupported data type"):
        U.array_sum(ints)
    with pytest.raises(IndexError, match="out of bounds"):
        U.array_sum(wp.zeros((2, 2), device="cpu"), axis=2)
    with pytest.raises(ValueError, match="same shape"):
        U.array_inner(wp.zeros(2, device="cpu"), wp.zeros(3, device="cpu"))
    with pytest.raises(RuntimeError, match="shape"):
        U.array_sum(wp.zeros((2, 2), device="cpu"), out=wp.zeros(2, device="cpu"), axis=0)


def test_scans(device):
    xi = wp.array([3, -1, 4, 1, -5, 9, 2, -6], dtype=int, device=device)
    oi = wp.zeros(8, dtype=int, device=device)
    U.array_scan(xi, oi, inclusive=False)
    assert oi.numpy().tolist() == [0, 3, 2, 6, 7, 2, 11, 13]  # Warp 1.19
    U.array_scan(xi, xi)  # in place
    assert xi.numpy().tolist() == [3, 2, 6, 7, 2, 11, 13, 7]
    vs = wp.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], dtype=wp.vec2d, device=device)
    vo = wp.zeros(3, dtype=wp.vec2d, device=device)
    U.array_scan(vs, vo)
    assert vo.numpy().tolist() == [[1, 2], [4, 6], [9, 12]]  # Warp 1.19
    big = np.random.default_rng(2).integers(-9, 9, N).astype(np.int32)
    b = wp.array(big.reshape(2, N // 2), device=device)
    bo = wp.zeros(N, dtype=int, device=device)
    U.array_scan(b, bo)
    np.testing.assert_array_equal(bo.numpy(), np.cumsum(big))
    strided = wp.array(np.arange(20, dtype=np.int32), device=device)[::2]
    so = wp.zeros(10, dtype=int, device=device)
    U.array_scan(strided, so)
    np.testing.assert_array_equal(so.numpy(), np.cumsum(np.arange(0, 20, 2)))
    with pytest.raises(RuntimeError, match="sizes do not match"):
        U.array_scan(xi, wp.zeros(3, dtype=int, device=device))
    with pytest.raises(RuntimeError, match="data types"):
        U.array_scan(xi, wp.zeros(8, dtype=float, device=device))


def _pairs(keys, n, device, value_dtype=np.int32):
    k = np.concatenate([np.asarray(keys), np.zeros(n, dtype=np.asarray(keys).dtype)])
    return wp.array(k, device=device), wp.array(np.arange(2 * n).astype(value_dtype),
                                                 device=device)


def test_radix_sort_pairs(device):
    k = np.array([2.5, -0.0, 0.0, -np.inf, np.inf, -1.0, 2.5, 0.0], np.float32)
    keys, vals = _pairs(k, 8, device)
    U.radix_sort_pairs(keys, vals, 8)
    # Warp 1.19: stable, -0.0 before 0.0
    assert keys.numpy()[:8].tolist() == [-np.inf, -1.0, -0.0, 0.0, 0.0, 2.5, 2.5, np.inf]
    assert vals.numpy()[:8].tolist() == [3, 5, 1, 2, 7, 0, 6, 4]
    assert np.signbit(keys.numpy()[2])
    keys, vals = _pairs(np.array([5, -3, 5, 2**40, -2**40, 0], np.int64), 6, device, np.float64)
    U.radix_sort_pairs(keys, vals, 6)
    assert keys.numpy()[:6].tolist() == [-2**40, -3, 0, 5, 5, 2**40]  # Warp 1.19
    assert vals.numpy()[:6].tolist() == [4.0, 1.0, 5.0, 0.0, 2.0, 3.0]
    keys, vals = _pairs(np.array([0x0F, 0x13, 0x01, 0x12], np.int32), 4, device)
    U.radix_sort_pairs(keys, vals, 4, begin_bit=4, end_bit=8)
    assert keys.numpy()[:4].tolist() == [15, 1, 19, 18] and vals.numpy()[:4].tolist() == [0, 2, 1,
                                                                                          3]
    big = np.random.default_rng(3).integers(-50, 50, N).astype(np.int32)
    keys, vals = _pairs(big, N, device)
    U.radix_sort_pairs(keys, vals, N)
    order = np.argsort(big, kind="stable")
    np.testing.assert_array_equal(keys.numpy()[:N], big[order])
    np.testing.assert_array_equal(vals.numpy()[:N], order)
    # bits [3, 26): not a whole number of digits (8-bit on a GPU, up to 11-bit on the CPU)
    wide = np.random.default_rng(4).integers(0, 2**32, N, dtype=np.uint64).astype(np.uint32)
    keys, vals = _pairs(wide, N, device)
    U.radix_sort_pairs(keys, vals, N, begin_bit=3, end_bit=26)
    order = np.argsort((wide >> 3) & ((1 << 23) - 1), kind="stable")
    np.testing.assert_array_equal(vals.numpy()[:N], order)
    np.testing.assert_array_equal(keys.numpy()[:N], wide[order])


def test_radix_sort_errors():
    small = wp.zeros(5, dtype=int, device="cpu")
    with pytest.raises(RuntimeError, match="2\\*count"):
        U.radix_sort_pairs(small, small, 3)
    with pytest.raises(RuntimeError, match="data types"):
        U.radix_sort_pairs(wp.zeros(6, dtype=int), wp.zeros(6, dtype=wp.vec3), 3)
    with pytest.raises(RuntimeError, match="bit range"):
        U.radix_sort_pairs(wp.zeros(6, dtype=int), wp.zeros(6, dtype=int), 3, 4, 40)


def test_segmented_sort_pairs(device):
    keys, vals = _pairs(np.array([3, 1, 1, 2, -1, 0, 5, 4], np.float32), 8, device)
    U.segmented_sort_pairs(keys, vals, 8, wp.array([0, 3, 5], dtype=int, device=device),
                           wp.array([3, 5, 8], dtype=int, device=device))
    # Warp 1.19
    assert keys.numpy()[:8].tolist() == [1, 1, 3, -1, 2, 0, 4, 5]
    assert vals.numpy()[:8].tolist() == [1, 2, 0, 4, 3, 5, 7, 6]
    keys, vals = _pairs(np.array([3, 1, 1, 2, -1, 0, 5, 4], np.int32), 8, device)
    U.segmented_sort_pairs(keys, vals, 8, wp.array([1, 4, 8], dtype=int, device=device))
    assert keys.numpy()[:8].tolist() == [3, 1, 1, 2, -1, 0, 4, 5]  # Warp 1.19
    assert vals.numpy()[:8].tolist() == [0, 1, 2, 3, 4, 5, 7, 6]
    if device == "cpu":
        with pytest.raises(ValueError, match="segment"):
            U.segmented_sort_pairs(keys, vals, 4, wp.array([0, 5], dtype=int, device=device))
    with pytest.raises(TypeError, match="integer"):
        U.segmented_sort_pairs(keys, vals, 4.0, wp.array([0, 2], dtype=int, device=device))


def test_runlength_encode(device):
    values = wp.array([1, 1, 1, 2, 2, 3, 3, 3, 3, 1], dtype=int, device=device)
    rv = wp.zeros(10, dtype=int, device=device)
    rl = wp.zeros(10, dtype=int, device=device)
    assert U.runlength_encode(values, rv, rl) == 4  # Warp 1.19
    assert rv.numpy()[:4].tolist() == [1, 2, 3, 1] and rl.numpy()[:4].tolist() == [3, 2, 4, 1]
    rc = wp.zeros(1, dtype=int, device=device)
    assert U.runlength_encode(values, rv, rl, run_count=rc, value_count=4) is rc
    assert rc.numpy()[0] == 2 and rl.numpy()[:2].tolist() == [3, 1]
    assert U.runlength_encode(values, rv, rl, value_count=0) == 0
    with pytest.raises(RuntimeError, match="int32"):
        U.runlength_encode(values, rv, wp.zeros(10, dtype=wp.int64, device=device))


def test_array_cast(device):
    # float -> integer truncates toward zero; values the target type cannot hold (-2.5
    # or 300 as uint8) are undefined in C: Warp's CPU gives 254 and 44, a GPU saturates
    ci = wp.array([1.7, 2.5, 255.9], dtype=float, device=device)
    co = wp.zeros(3, dtype=wp.uint8, device=device)
    U.array_cast(ci, co)
    assert co.numpy().tolist() == [1, 2, 255]  # Warp 1.19
    cv = wp.array([[1.5, 2.5, 3.5], [4.5, 5.5, 6.5]], dtype=wp.vec3, device=device)
    cf = wp.zeros(6, dtype=wp.int32, device=device)
    U.array_cast(cv, cf, count=1)
    assert cf.numpy().tolist() == [1, 2, 3, 0, 0, 0]  # Warp 1.19
    c2 = wp.array(np.arange(6, dtype=np.float32).reshape(2, 3), device=device)
    c2o = wp.zeros((2, 3), dtype=int, device=device)
    U.array_cast(c2, c2o)
    assert c2o.numpy().tolist() == [[0, 1, 2], [3, 4, 5]]
    with pytest.raises(RuntimeError, match="partial cast"):
        U.array_cast(c2, c2o, count=2)
