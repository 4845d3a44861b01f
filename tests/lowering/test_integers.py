"""Warp's fixed-width integer arithmetic: every integer type and operator against NumPy.

In kernels and ``@wp.func``s, ``uint32 + uint32`` is a ``uint32`` that wraps around (as in
Warp and C), not Numba's widened ``int64``; the same through ``wp.add``/``wp.mul``/...
in plain ``@numba.njit`` code, and for Warp scalar values at Python scope. Results are
written as ``int64`` so that a result computed in a wider type (not wrapped) would show.
"""

from typing import Any

import numba
import numpy as np
import pytest

import numba_warp as wp

INT_TYPES = [wp.int8, wp.uint8, wp.int16, wp.uint16, wp.int32, wp.uint32, wp.int64, wp.uint64]


@wp.kernel
def int_table(a: wp.array(dtype=Any), b: wp.array(dtype=Any), out: wp.array2d(dtype=wp.int64),
              flags: wp.array2d(dtype=wp.bool)):
    i = wp.tid()
    x = a[i]
    y = b[i]
    out[0, i] = wp.int64(x + y)
    out[1, i] = wp.int64(x - y)
    out[2, i] = wp.int64(x * y)
    out[3, i] = wp.int64(x // y)
    out[4, i] = wp.int64(x % y)
    out[5, i] = wp.int64(x / y)
    out[6, i] = wp.int64(x << y)
    out[7, i] = wp.int64(x >> y)
    out[8, i] = wp.int64(x & y)
    out[9, i] = wp.int64(x | y)
    out[10, i] = wp.int64(x ^ y)
    out[11, i] = wp.int64(-x)
    out[12, i] = wp.int64(~x)
    out[13, i] = wp.int64(x + 1)  # a Python literal adopts the type of the other operand
    out[14, i] = wp.int64((x * y) >> 3)  # a wrapped product, shifted
    out[15, i] = wp.int64((x + y) // (y | 1))
    s = x
    s += y  # augmented assignment on a local
    s *= y
    out[16, i] = wp.int64(s)
    out[17, i] = wp.int64(wp.add(x, y) ^ wp.mul(x, y))
    flags[0, i] = x + y < x
    flags[1, i] = (x - y) > x


def _expected(a, b):
    """The same table in NumPy's fixed-width arithmetic (C's division, masked shifts)."""
    t = a.dtype.type
    bits = a.dtype.itemsize * 8
    with np.errstate(all="ignore"):
        safe = np.where(b == 0, t(1), b)
        rem = np.where(b == 0, t(0), np.fmod(a, safe))
        trunc = np.where(b == 0, t(0), (a - rem) // safe)
        floor = np.where(b == 0, t(0), a // safe)
        count = b & t(bits - 1)
        prod = a * b
        s = (a + b) * b
        rows = [a + b, a - b, prod, floor, rem, trunc, a << count, a >> count, a & b, a | b,
                a ^ b, -a, ~a, a + t(1), prod >> t(3), (a + b) // (b | t(1)), s,
                (a + b) ^ prod]
        flags = [(a + b) < a, (a - b) > a]
    return np.array([r.astype(t).astype(np.int64) for r in rows]), np.array(flags)


def _operands(dtype, n=64, seed=0):
    info = np.iinfo(dtype)
    rng = np.random.default_rng(seed)
    edge = [0, 1, 2, info.max, info.max - 1, info.min, info.min + 1]
    if info.min < 0:
        edge += [-1, -2]
    edge_a = np.array(edge * len(edge), dtype=dtype)
    edge_b = np.repeat(np.array(edge, dtype=dtype), len(edge))
    a = np.concatenate([edge_a, rng.integers(info.min, info.max, n, endpoint=True, dtype=dtype)])
    b = np.concatenate([edge_b, rng.integers(info.min, info.max, n, endpoint=True, dtype=dtype)])
    return a, b


@pytest.mark.parametrize("dtype", INT_TYPES, ids=lambda t: t.__name__)
def test_integer_operators_wrap_like_numpy(device, dtype):
    a_np, b_np = _operands(dtype._np_dtype.type)
    n = len(a_np)
    a = wp.array(a_np, dtype=dtype, device=device)
    b = wp.array(b_np, dtype=dtype, device=device)
    out = wp.zeros((18, n), dtype=wp.int64, device=device)
    flags = wp.zeros((2, n), dtype=wp.bool, device=device)
    wp.launch(int_table, n, [a, b, out, flags], device=device)
    want, want_flags = _expected(a_np, b_np)
    got = out.numpy()
    for row in range(len(want)):
        bad = np.nonzero(got[row] != want[row])[0]
        assert bad.size == 0, (f"row {row} ({dtype.__name__}): a={a_np[bad[:3]]} "
                               f"b={b_np[bad[:3]]} got {got[row][bad[:3]]} "
                               f"want {want[row][bad[:3]]}")
    np.testing.assert_array_equal(flags.numpy(), want_flags)


@wp.func
def pcg_hash(seed: wp.uint32):
    state = seed * wp.uint32(747796405) + wp.uint32(2891336453)
    word = ((state >> ((state >> wp.uint32(28)) + wp.uint32(4))) ^ state) * wp.uint32(277803737)
    return (word >> wp.uint32(22)) ^ word


@wp.kernel
def hash_kernel(seeds: wp.array(dtype=wp.uint32), out: wp.array(dtype=wp.uint32),
                issue: wp.array(dtype=wp.int64)):
    i = wp.tid()
    out[i] = pcg_hash(seeds[i])
    if i == 0:
        issue[0] = wp.int64(wp.uint32(4000000000) + wp.uint32(4000000000))
        issue[1] = wp.int64((wp.uint32(0) - wp.uint32(1)) >> wp.uint32(16))
        issue[2] = wp.int64(wp.int32(2147483647) + 1 < 0)
        issue[3] = wp.int64(wp.uint8(200) + wp.uint8(100))
        issue[4] = wp.tid() + 2147483647  # wp.tid() stays int64, as documented


def test_hash_function_gives_warps_numbers(device):
    """A PCG hash (as users write them for random numbers) matches NVIDIA Warp 1.19's
    output for these seeds, and the issue's reproducers give Warp's values."""
    seeds = wp.array(np.array([0, 1, 12345, 4294967295], dtype=np.uint32), device=device)
    out = wp.zeros(4, dtype=wp.uint32, device=device)
    issue = wp.zeros(5, dtype=wp.int64, device=device)
    wp.launch(hash_kernel, 4, [seeds, out, issue], device=device)
    assert out.numpy().tolist() == [129708002, 2831084092, 4099845390, 3861530882]
    assert issue.numpy().tolist() == [3705032704, 65535, 1, 44, 2147483647]


@numba.njit
def _njit_ops(x, y):
    return (wp.add(x, y), wp.sub(x, y), wp.mul(x, y), wp.lshift(x, y), wp.rshift(x, y),
            wp.bit_xor(x, y), wp.neg(x), wp.invert(x), wp.floordiv(x, y))


@pytest.mark.parametrize("dtype", [wp.uint32, wp.int8], ids=lambda t: t.__name__)
def test_operator_builtins_wrap_in_plain_njit(dtype):
    t = dtype._np_dtype.type
    x, y = t(np.iinfo(t).max - 3), t(7)
    got = _njit_ops(dtype(x), dtype(y))
    with np.errstate(all="ignore"):
        want = (x + y, x - y, x * y, x << y, x >> y, x ^ y, -x, ~x, x // y)
    assert [int(g) for g in got] == [int(w) for w in want]


def test_python_scope_scalars_wrap():
    assert wp.uint32(4000000000) + wp.uint32(4000000000) == 3705032704
    assert isinstance(wp.uint8(200) + wp.uint8(100), wp.uint8)
    assert (wp.uint8(200) + wp.uint8(100)).value == 44
    assert ((wp.uint32(0) - wp.uint32(1)) >> 16).value == 65535
    assert wp.int32(2147483647) + 1 < 0
    assert (-wp.int8(-128)).value == -128 and (~wp.uint16(0)).value == 65535
    # int32 and float32 results are Python numbers, as in Warp 1.19 (tests/runtime/
    # test_scalar_values.py checks them against Warp)
    assert wp.int32(-7) / wp.int32(2) == -3 and wp.int32(-7) % 2 == -1
    assert wp.int32(-7) // 2 == -4 and wp.int32(5) // 0 == 0
    assert wp.int32(7) % 0 == 0 and wp.int32(7) / 0 == 0  # as in kernels
    assert wp.add(wp.uint8(200), wp.uint8(100)).value == 44
    assert type(wp.float32(1.5) * 2) is float and wp.int32(3) * 2.5 == 7.5
