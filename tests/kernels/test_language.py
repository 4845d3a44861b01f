"""The kernel language: indices, arguments, control flow, Warp's arithmetic rules,
constants and closures, ``@wp.func``, ``@wp.struct``, atomics and launches.

Kernels are defined once at module level (each compile costs about a second) and
shared by the tests; every test runs on every device through the ``device`` fixture.
"""

import itertools
import linecache
import typing

import numpy as np
import pytest

import numba_warp as wp

# ---------------------------------------------------------------------------------------
# wp.tid() in 1-4 dimensions
# ---------------------------------------------------------------------------------------


@wp.kernel
def tid_1d(out: wp.array(dtype=wp.int32)):
    i = wp.tid()
    out[i] = i * 3


@wp.kernel
def tid_2d(out: wp.array2d(dtype=wp.int32)):
    i, j = wp.tid()
    out[i, j] = i * 100 + j


@wp.kernel
def tid_3d(out: wp.array3d(dtype=wp.int32)):
    i, j, k = wp.tid()
    out[i, j, k] = i * 100 + j * 10 + k


@wp.kernel
def tid_4d(out: wp.array4d(dtype=wp.int32), hits: wp.array4d(dtype=wp.int32)):
    i, j, k, l = wp.tid()
    out[i, j, k, l] = i * 1000 + j * 100 + k * 10 + l
    hits[i, j, k, l] += 1


@wp.kernel
def tid_is_int32(out: wp.array(dtype=wp.int64)):
    i = wp.tid()
    out[i] = wp.int64(i * i)  # int32 arithmetic wraps past 2**31 - 1, as in Warp/C


def test_tid_1d(device):
    out = wp.zeros(37, dtype=wp.int32, device=device)
    wp.launch(tid_1d, dim=37, inputs=[out], device=device)
    np.testing.assert_array_equal(out.numpy(), np.arange(37) * 3)


def test_tid_is_int64(device):
    # a documented deviation from Warp (int32 there): index arithmetic does not wrap
    n = 50_000
    out = wp.zeros(n, dtype=wp.int64, device=device)
    wp.launch(tid_is_int32, dim=n, inputs=[out], device=device)
    i = np.arange(n, dtype=np.int64)
    expect = i * i
    np.testing.assert_array_equal(out.numpy(), expect)


def test_tid_2d_unpacked(device):
    out = wp.zeros((5, 7), dtype=wp.int32, device=device)
    wp.launch(tid_2d, dim=(5, 7), inputs=[out], device=device)
    i, j = np.indices((5, 7))
    np.testing.assert_array_equal(out.numpy(), i * 100 + j)


def test_tid_3d(device):
    out = wp.zeros((3, 4, 5), dtype=wp.int32, device=device)
    wp.launch(tid_3d, dim=(3, 4, 5), inputs=[out], device=device)
    i, j, k = np.indices((3, 4, 5))
    np.testing.assert_array_equal(out.numpy(), i * 100 + j * 10 + k)


def test_tid_4d_every_index_once(device):
    shape = (2, 3, 4, 5)
    out = wp.full(shape, -1, dtype=wp.int32, device=device)
    hits = wp.zeros(shape, dtype=wp.int32, device=device)
    wp.launch(tid_4d, dim=shape, inputs=[out, hits], device=device)
    i, j, k, l = np.indices(shape)
    np.testing.assert_array_equal(out.numpy(), i * 1000 + j * 100 + k * 10 + l)
    np.testing.assert_array_equal(hits.numpy(), np.ones(shape, dtype=np.int32))


@wp.kernel
def tid_count_1(hits: wp.array(dtype=wp.int32)):
    i = wp.tid()
    wp.atomic_add(hits, i, 1)


@wp.kernel
def tid_count_2(hits: wp.array2d(dtype=wp.int32)):
    i, j = wp.tid()
    wp.atomic_add(hits, i, j, 1)


@wp.kernel
def tid_value_count(hits: wp.array(dtype=wp.int32)):
    wp.atomic_add(hits, wp.tid(), 1)


def test_tid_unpacked_into_fewer_names_than_dims(device):
    # Warp 1.19's meaning (checked against it): wp.tid() unpacked into fewer names than
    # the launch has dims gives the leading coordinates; every thread still runs
    hits = wp.zeros(6, dtype=wp.int32, device=device)
    wp.launch(tid_count_1, dim=(2, 3), inputs=[hits], device=device)
    np.testing.assert_array_equal(hits.numpy(), [3, 3, 0, 0, 0, 0])
    hits = wp.zeros(6, dtype=wp.int32, device=device)
    wp.launch(tid_value_count, dim=(3, 2, 2), inputs=[hits], device=device)
    np.testing.assert_array_equal(hits.numpy(), [4, 4, 4, 0, 0, 0])
    hits = wp.zeros((3, 4), dtype=wp.int32, device=device)
    wp.launch(tid_count_2, dim=(2, 3, 4), inputs=[hits], device=device)
    np.testing.assert_array_equal(hits.numpy()[:2, :3], np.full((2, 3), 4))
    assert hits.numpy().sum() == 24


def test_tid_unpacked_into_more_names_than_dims(device):
    # ... and into more names: the missing dims are 1, their indices 0 (as in Warp)
    hits = wp.zeros((5, 2), dtype=wp.int32, device=device)
    wp.launch(tid_count_2, dim=5, inputs=[hits], device=device)
    np.testing.assert_array_equal(hits.numpy(), [[1, 0]] * 5)


# ---------------------------------------------------------------------------------------
# Scalar arguments and arrays of several dtypes and dimensions
# ---------------------------------------------------------------------------------------


@wp.kernel
def scalar_args(f: float, n: int, d: wp.float64, big: wp.int64, u: wp.uint8, flag: bool,
                outf: wp.array(dtype=float), outd: wp.array(dtype=wp.float64),
                outl: wp.array(dtype=wp.int64)):
    outf[0] = f
    outf[1] = float(n)
    outf[2] = f * 2.0
    outd[0] = d
    outd[1] = d * wp.float64(3.0)
    outl[0] = big
    outl[1] = big + wp.int64(1)
    outl[2] = wp.int64(u)
    outl[3] = wp.int64(n)
    if flag:
        outl[4] = wp.int64(11)
    else:
        outl[4] = wp.int64(22)


def _run_scalar_args(device, f, n, d, big, u, flag):
    outf = wp.zeros(3, dtype=float, device=device)
    outd = wp.zeros(2, dtype=wp.float64, device=device)
    outl = wp.zeros(5, dtype=wp.int64, device=device)
    wp.launch(scalar_args, dim=1, inputs=[f, n, d, big, u, flag, outf, outd, outl],
              device=device)
    return outf.numpy(), outd.numpy(), outl.numpy()


def test_scalar_args_each_type(device):
    big = 2**40 + 3
    f, d, l = _run_scalar_args(device, 0.1, -5, 0.1, big, 200, True)
    # a Python float for a float32 parameter arrives rounded to float32
    assert f[0] == np.float32(0.1)
    assert f[1] == -5.0
    assert f[2] == np.float32(0.1) * np.float32(2.0)
    # a float64 parameter keeps full double precision
    assert d[0] == 0.1
    assert d[1] == 0.1 * 3.0
    assert l[0] == big and l[1] == big + 1
    assert l[2] == 200
    assert l[3] == -5
    assert l[4] == 11


def test_scalar_args_other_spellings(device):
    # int for a float param, Warp scalar objects, NumPy scalars, False for bool
    f, d, l = _run_scalar_args(device, 3, np.int32(7), wp.float64(0.25), np.int64(-(2**35)),
                               wp.uint8(255), False)
    assert f[0] == 3.0 and f[1] == 7.0
    assert d[0] == 0.25
    assert l[0] == -(2**35)
    assert l[2] == 255
    assert l[4] == 22


@wp.kernel
def arrays_nd(a1: wp.array(dtype=wp.float32), a2: wp.array2d(dtype=wp.float64),
              a3: wp.array3d(dtype=wp.int32), a4: wp.array4d(dtype=wp.int64)):
    # one thread walks every array with nested loops over a.shape
    for i in range(a1.shape[0]):
        a1[i] = a1[i] * 2.0 + 1.0
    for i in range(a2.shape[0]):
        for j in range(a2.shape[1]):
            a2[i, j] = a2[i, j] * wp.float64(0.5) + wp.float64(i * 10 + j)
    for i in range(a3.shape[0]):
        for j in range(a3.shape[1]):
            for k in range(a3.shape[2]):
                a3[i, j, k] = a3[i, j, k] - (i * 100 + j * 10 + k)
    for i in range(a4.shape[0]):
        for j in range(a4.shape[1]):
            for k in range(a4.shape[2]):
                for l in range(a4.shape[3]):
                    a4[i, j, k, l] = a4[i, j, k, l] * wp.int64(3) + wp.int64(
                        i * 1000 + j * 100 + k * 10 + l)


def test_arrays_of_each_dtype_and_ndim(device):
    rng = np.random.default_rng(0)
    n1 = rng.standard_normal(6).astype(np.float32)
    n2 = rng.standard_normal((3, 4))
    n3 = rng.integers(-50, 50, (2, 3, 4)).astype(np.int32)
    n4 = rng.integers(-(2**40), 2**40, (2, 2, 3, 2)).astype(np.int64)
    a1 = wp.array(n1, dtype=wp.float32, device=device)
    a2 = wp.array(n2, dtype=wp.float64, device=device)
    a3 = wp.array(n3, dtype=wp.int32, device=device)
    a4 = wp.array(n4, dtype=wp.int64, device=device)
    wp.launch(arrays_nd, dim=1, inputs=[a1, a2, a3, a4], device=device)
    np.testing.assert_array_equal(a1.numpy(), n1 * np.float32(2) + np.float32(1))
    i, j = np.indices(n2.shape)
    np.testing.assert_array_equal(a2.numpy(), n2 * 0.5 + (i * 10 + j))
    i, j, k = np.indices(n3.shape)
    np.testing.assert_array_equal(a3.numpy(), n3 - (i * 100 + j * 10 + k))
    i, j, k, l = np.indices(n4.shape)
    np.testing.assert_array_equal(a4.numpy(), n4 * 3 + (i * 1000 + j * 100 + k * 10 + l))


@wp.kernel
def scale_strided(a: wp.array(dtype=float), s: float):
    i = wp.tid()
    a[i] = a[i] * s


def test_strided_view_argument(device):
    base = wp.array(np.arange(10, dtype=np.float32), device=device)
    view = base[1::3]  # elements 1, 4, 7
    wp.launch(scale_strided, dim=view.shape[0], inputs=[view, 10.0], device=device)
    expect = np.arange(10, dtype=np.float32)
    expect[1::3] *= 10
    np.testing.assert_array_equal(base.numpy(), expect)


# ---------------------------------------------------------------------------------------
# Control flow
# ---------------------------------------------------------------------------------------


@wp.kernel
def classify(vals: wp.array(dtype=wp.int32), out: wp.array(dtype=wp.int32)):
    i = wp.tid()
    v = vals[i]
    if v < 0:
        out[i] = -1
    elif v == 0:
        out[i] = 0
    elif v < 10:
        out[i] = 1
    else:
        out[i] = 2


def test_if_elif_else(device):
    vals = wp.array(np.array([-5, 0, 3, 9, 10, 1000], dtype=np.int32), device=device)
    out = wp.zeros(6, dtype=wp.int32, device=device)
    wp.launch(classify, dim=6, inputs=[vals, out], device=device)
    np.testing.assert_array_equal(out.numpy(), [-1, 0, 1, 1, 2, 2])


@wp.kernel
def control_flow(n: int, out: wp.array(dtype=wp.int32)):
    # 0: for over range(n), n a kernel argument
    s = int(0)
    for k in range(n):
        s += k
    out[0] = s
    # 1: range(a, b, step)
    s = 0
    for k in range(2, 11, 3):
        s += k
    out[1] = s
    # 2: negative step with literal bounds
    s = 0
    for k in range(10, 0, -3):
        s += k
    out[2] = s
    # 3: negative step with runtime bounds
    s = 0
    for k in range(n, -n, -2):
        s += k
    out[3] = s
    # 4: while
    v = 100
    count = 0
    while v > 1:
        v = v / 2
        count += 1
    out[4] = count
    # 5: break / continue
    s = 0
    for k in range(100):
        if k % 2 == 0:
            continue
        if k > 9:
            break
        s += k
    out[5] = s
    # 6: nested loops, break in the inner loop only
    s = 0
    for a in range(4):
        for b in range(10):
            if b >= a:
                break
            s += a * b
    out[6] = s
    # 7: tuple unpacking and swapping
    p, q = 3, 4
    p, q = q, p
    out[7] = p * 10 + q
    # 8: local reassignment and augmented assignment
    x = 1
    x = x + 5
    x *= 2
    x -= 1
    out[8] = x
    # 9, 10: IfExp
    out[9] = 7 if n > 3 else 9
    out[10] = 7 if n > 30 else 9
    # 11-13: boolean operators
    out[11] = 1 if (n > 3 and n < 10) or n == 100 else 0
    out[12] = 1 if not (n > 3) else 0
    out[13] = 1 if n < 0 or n > 100 else 0
    # 14-16: chained comparisons
    out[14] = 1 if 0 < n < 10 else 0
    out[15] = 1 if 0 < n < 3 else 0
    out[16] = 1 if 1 <= 2 <= n <= 5 else 0
    # 17: while with break
    w = 0
    while True:
        w += 3
        if w > 10:
            break
    out[17] = w
    # 18: loop variable usable after a loop with an early break
    found = -1
    for k in range(n * 10):
        if k * k > 40:
            found = k
            break
    out[18] = found


def test_control_flow(device):
    out = wp.full(20, -99, dtype=wp.int32, device=device)
    n = 5
    wp.launch(control_flow, dim=1, inputs=[n, out], device=device)
    got = out.numpy()
    expect = {
        0: sum(range(n)),
        1: sum(range(2, 11, 3)),
        2: sum(range(10, 0, -3)),
        3: sum(range(n, -n, -2)),
        4: 6,
        5: 1 + 3 + 5 + 7 + 9,
        6: sum(a * b for a in range(4) for b in range(a)),
        7: 43,
        8: 11,
        9: 7,
        10: 9,
        11: 1,
        12: 0,
        13: 0,
        14: 1,
        15: 0,
        16: 1,
        17: 12,
        18: 7,
    }
    for k, v in expect.items():
        assert got[k] == v, f"slot {k}: got {got[k]}, expected {v}"


@wp.kernel
def early_return(out: wp.array(dtype=wp.int32)):
    i = wp.tid()
    if i % 3 == 0:
        return
    out[i] = 1
    if i % 3 == 1:
        return
    out[i] = 2


def test_early_return(device):
    out = wp.zeros(9, dtype=wp.int32, device=device)
    wp.launch(early_return, dim=9, inputs=[out], device=device)
    np.testing.assert_array_equal(out.numpy(), [0, 1, 2] * 3)


# ---------------------------------------------------------------------------------------
# Warp's arithmetic rules
# ---------------------------------------------------------------------------------------


@wp.kernel
def int_rules(v32: wp.array(dtype=wp.int32), v64: wp.array(dtype=wp.int64),
              out32: wp.array(dtype=wp.int32), out64: wp.array(dtype=wp.int64)):
    a = v32[0]  # -7
    b = v32[1]  # 2
    c = v32[2]  # 3
    z = v32[3]  # 0
    out32[0] = a / b
    out32[1] = a % c
    out32[2] = a // b
    out32[3] = a / z
    out32[4] = a % z
    out32[5] = (-a) / (-b)  # 7 / -2
    out32[6] = (-a) % (-c)  # 7 % -3
    out32[7] = (-a) // (-b)  # 7 // -2
    out32[8] = (-a) / b  # 7 / 2
    out32[9] = (-a) // b  # 7 // 2
    # literal operands follow the same rules (no Python true division)
    out32[10] = -7 / 2
    out32[11] = -7 % 3
    la = v64[0]  # -(2**40 + 1)
    lb = v64[1]  # 2
    lz = v64[2]  # 0
    out64[0] = la / lb
    out64[1] = la % lb
    out64[2] = la // lb
    out64[3] = la / lz
    out64[4] = la % lz


def test_integer_division_rules(device):
    v32 = wp.array(np.array([-7, 2, 3, 0], dtype=np.int32), device=device)
    big = -(2**40 + 1)
    v64 = wp.array(np.array([big, 2, 0], dtype=np.int64), device=device)
    out32 = wp.full(12, 99, dtype=wp.int32, device=device)
    out64 = wp.full(5, 99, dtype=wp.int64, device=device)
    wp.launch(int_rules, dim=1, inputs=[v32, v64, out32, out64], device=device)
    np.testing.assert_array_equal(out32.numpy(),
                                  [-3, -1, -4, 0, 0, -3, 1, -4, 3, 3, -3, -1])
    np.testing.assert_array_equal(out64.numpy(), [-(2**39), -1, -(2**39) - 1, 0, 0])


@wp.kernel
def float_literals(x32: wp.array(dtype=wp.float32), x64: wp.array(dtype=wp.float64),
                   o32: wp.array(dtype=wp.float32), o64: wp.array(dtype=wp.float64)):
    a = x32[0]
    d = x64[0]
    o32[0] = a * 0.1
    o32[1] = a + 0.1
    o32[2] = 0.1 / a
    o64[0] = wp.float64(d) * 0.1
    o64[1] = d + 0.1
    o64[2] = 0.1 / d
    o64[3] = d * 0.1 * 0.3
    o64[4] = wp.float64(0.1)
    o32[3] = a / x32[1]  # float division by zero: IEEE inf, no error
    o64[5] = d / x64[1]
    o64[6] = (d - d) / x64[1]  # nan


def test_float_literal_precision(device):
    x = 3.0000001
    x32 = wp.array(np.array([x, 0.0], dtype=np.float32), device=device)
    x64 = wp.array(np.array([x, 0.0], dtype=np.float64), device=device)
    o32 = wp.zeros(4, dtype=wp.float32, device=device)
    o64 = wp.zeros(7, dtype=wp.float64, device=device)
    wp.launch(float_literals, dim=1, inputs=[x32, x64, o32, o64], device=device)
    f = np.float32(x)
    lit = np.float32(0.1)
    np.testing.assert_array_equal(o32.numpy(), [f * lit, f + lit, lit / f, np.inf])
    # float64 kernels use the literal at full double precision
    np.testing.assert_array_equal(o64.numpy(), [x * 0.1, x + 0.1, 0.1 / x, x * 0.1 * 0.3, 0.1,
                                                np.inf, np.nan])


@wp.kernel
def conversions(x: wp.array(dtype=float), n: wp.array(dtype=wp.int32),
                of: wp.array(dtype=float), oi: wp.array(dtype=wp.int32)):
    i = wp.tid()
    oi[i] = int(x[i])
    of[i] = float(n[i]) / 4.0
    if i == 0:
        j = int(2.9)
        oi[4] = j
        oi[5] = int(-2.9)
        of[4] = float(7) / float(2)


def test_float_int_conversions(device):
    x = wp.array(np.array([2.7, -2.7, 0.5, -0.5], dtype=np.float32), device=device)
    n = wp.array(np.array([1, 2, -3, 10], dtype=np.int32), device=device)
    of = wp.zeros(5, dtype=float, device=device)
    oi = wp.zeros(6, dtype=wp.int32, device=device)
    wp.launch(conversions, dim=4, inputs=[x, n, of, oi], device=device)
    np.testing.assert_array_equal(oi.numpy(), [2, -2, 0, 0, 2, -2])  # toward zero
    np.testing.assert_array_equal(of.numpy(), [0.25, 0.5, -0.75, 2.5, 3.5])


# ---------------------------------------------------------------------------------------
# Constants, wp.static, closures, Python builtins
# ---------------------------------------------------------------------------------------

MODULE_INT = 7
MODULE_FLOAT = 0.5
WP_CONST_F = wp.constant(2.5)
WP_CONST_I = wp.constant(40)
STATIC_N = 4


@wp.kernel
def constants_and_static(out: wp.array(dtype=float), outi: wp.array(dtype=wp.int32)):
    out[0] = float(MODULE_INT) * MODULE_FLOAT
    out[1] = WP_CONST_F * 2.0
    out[2] = wp.static(MODULE_FLOAT * 8.0)
    out[3] = wp.PI
    outi[0] = WP_CONST_I + 2
    outi[1] = wp.static(STATIC_N * STATIC_N)
    s = 0
    for k in range(wp.static(STATIC_N + 1)):
        s += k
    outi[2] = s


def test_constants_and_static(device):
    out = wp.zeros(4, dtype=float, device=device)
    outi = wp.zeros(3, dtype=wp.int32, device=device)
    wp.launch(constants_and_static, dim=1, inputs=[out, outi], device=device)
    np.testing.assert_allclose(out.numpy(), [3.5, 5.0, 4.0, np.pi], rtol=1e-7)
    np.testing.assert_array_equal(outi.numpy(), [42, 16, 10])


def _make_scaler(factor, offset):
    @wp.kernel
    def scaled(a: wp.array(dtype=float)):
        i = wp.tid()
        a[i] = a[i] * factor + float(offset)

    return scaled


closure_double = _make_scaler(2.0, 1)
closure_triple = _make_scaler(3.0, 100)


def test_closures_capture_their_own_constants(device):
    a = wp.array(np.arange(4, dtype=np.float32), device=device)
    b = wp.array(np.arange(4, dtype=np.float32), device=device)
    wp.launch(closure_double, dim=4, inputs=[a], device=device)
    wp.launch(closure_triple, dim=4, inputs=[b], device=device)
    np.testing.assert_array_equal(a.numpy(), np.arange(4) * 2.0 + 1)
    np.testing.assert_array_equal(b.numpy(), np.arange(4) * 3.0 + 100)


@wp.kernel
def py_builtins(x: wp.array(dtype=float), n: wp.array(dtype=wp.int32),
                of: wp.array(dtype=float), oi: wp.array(dtype=wp.int32)):
    a = x[0]  # -1.5
    b = x[1]  # 2.25
    of[0] = min(a, b)
    of[1] = max(a, b)
    of[2] = abs(a)
    of[3] = max(a, 0.0)
    of[4] = min(b, 1.0)
    p = n[0]  # -4
    q = n[1]  # 9
    oi[0] = min(p, q)
    oi[1] = max(p, q)
    oi[2] = abs(p)
    oi[3] = max(p, 3)


def test_python_builtins_min_max_abs(device):
    x = wp.array(np.array([-1.5, 2.25], dtype=np.float32), device=device)
    n = wp.array(np.array([-4, 9], dtype=np.int32), device=device)
    of = wp.zeros(5, dtype=float, device=device)
    oi = wp.zeros(4, dtype=wp.int32, device=device)
    wp.launch(py_builtins, dim=1, inputs=[x, n, of, oi], device=device)
    np.testing.assert_array_equal(of.numpy(), [-1.5, 2.25, 1.5, 0.0, 1.0])
    np.testing.assert_array_equal(oi.numpy(), [-4, 9, 4, 3])


# ---------------------------------------------------------------------------------------
# @wp.func
# ---------------------------------------------------------------------------------------


@wp.func
def square(x: float):
    return x * x


@wp.func
def sum_of_squares(a: float, b: float):
    return square(a) + square(b)


@wp.func
def overloaded(x: float):
    return x * 2.0


@wp.func
def overloaded(x: int):  # noqa: F811 - a Warp overload by annotation
    return x + 100


@wp.func
def twice(x: typing.Any):
    return x + x


@wp.func
def quot_rem(a: int, b: int):
    return a / b, a % b


@wp.func
def scaled_by(x: float, s: float = 10.0):
    return x * s


@wp.kernel
def funcs_kernel(of: wp.array(dtype=float), oi: wp.array(dtype=wp.int32)):
    of[0] = square(3.0)
    of[1] = sum_of_squares(1.0, 2.0)
    of[2] = overloaded(1.5)
    oi[0] = overloaded(5)
    k = int(7)
    oi[1] = overloaded(k)
    q, r = quot_rem(17, 5)
    oi[2] = q
    oi[3] = r
    q2, r2 = quot_rem(-17, 5)
    oi[4] = q2
    oi[5] = r2
    of[3] = twice(1.25)
    oi[6] = twice(k)


def test_funcs_nested_overloads_tuples(device):
    of = wp.zeros(4, dtype=float, device=device)
    oi = wp.zeros(7, dtype=wp.int32, device=device)
    wp.launch(funcs_kernel, dim=1, inputs=[of, oi], device=device)
    np.testing.assert_array_equal(of.numpy(), [9.0, 5.0, 3.0, 2.5])
    np.testing.assert_array_equal(oi.numpy(), [105, 107, 3, 2, -3, -2, 14])


@wp.kernel
def func_defaults_kernel(of: wp.array(dtype=float)):
    of[0] = scaled_by(2.0)
    of[1] = scaled_by(2.0, 3.0)


def test_func_default_arguments(device):
    of = wp.zeros(2, dtype=float, device=device)
    wp.launch(func_defaults_kernel, dim=1, inputs=[of], device=device)
    np.testing.assert_array_equal(of.numpy(), [20.0, 6.0])


@wp.kernel
def generic_func_both_precisions(a32: wp.array(dtype=wp.float32),
                                 a64: wp.array(dtype=wp.float64)):
    i = wp.tid()
    a32[i] = twice(a32[i])
    a64[i] = twice(a64[i])


def test_generic_func_specialises_per_dtype(device):
    vals = np.array([0.1, 1.0 / 3.0, -2.7])
    a32 = wp.array(vals.astype(np.float32), device=device)
    a64 = wp.array(vals, dtype=wp.float64, device=device)
    wp.launch(generic_func_both_precisions, dim=3, inputs=[a32, a64], device=device)
    np.testing.assert_array_equal(a32.numpy(), vals.astype(np.float32) * 2)
    np.testing.assert_array_equal(a64.numpy(), vals * 2)  # exact: no float32 round trip


def test_func_python_scope_call():
    assert square(3.0) == 9.0
    assert sum_of_squares(1.0, 2.0) == 5.0


# ---------------------------------------------------------------------------------------
# @wp.struct
# ---------------------------------------------------------------------------------------


@wp.struct
class Params:
    scale: float
    offset: wp.float64
    count: int
    data: wp.array(dtype=float)


@wp.struct
class Inner:
    a: float
    b: int


@wp.struct
class Outer:
    inner: Inner
    w: float


@wp.func
def inner_sum(s: Inner):
    return s.a + float(s.b)


@wp.kernel
def struct_args(p: Params, o: Outer, out: wp.array(dtype=float)):
    i = wp.tid()
    out[i] = p.data[i] * p.scale + float(p.offset) + float(p.count) + o.inner.a * o.w \
        + float(o.inner.b)


@wp.kernel
def struct_locals(out: wp.array(dtype=float)):
    s = Inner()
    s.a = 2.5
    s.b = 3
    t = Outer()
    t.inner = s
    t.inner.a = t.inner.a + 1.0
    t.w = 2.0
    out[0] = t.inner.a * t.w + float(t.inner.b)  # 3.5 * 2 + 3
    out[1] = s.a  # s is a value: changing t.inner did not change s
    out[2] = inner_sum(t.inner)
    z = Inner()
    out[3] = z.a + float(z.b)  # zero-initialised


@wp.struct
class Buffers:
    src: wp.array(dtype=float)
    dst: wp.array(dtype=float)
    total: wp.array(dtype=float)


@wp.kernel
def struct_field_atomic(b: Buffers):
    i = wp.tid()
    b.total[0] += b.src[i]
    b.dst[1] -= b.src[i]


@wp.kernel
def struct_field_store(b: Buffers, s: float):
    i = wp.tid()
    b.dst[i] = b.src[i] * s


@wp.kernel
def struct_field_store_i32(b: Buffers, idx: wp.array(dtype=wp.int32), k: int):
    i = wp.tid()
    b.dst[idx[i]] = b.src[i] + 0.5  # an int32 index
    b.total[k] = 7.0


@wp.kernel
def local_alias_store(a: wp.array(dtype=float), m: wp.array2d(dtype=float)):
    i = wp.tid()
    alias = a
    alias[i] = float(i) + 0.5
    alias2 = m
    alias2[i, 0] = 2.0


@wp.kernel
def local_alias_store_i32(a: wp.array(dtype=float), idx: wp.array(dtype=wp.int32), k: int):
    i = wp.tid()
    alias = a
    alias[idx[i]] = float(i) + 0.5  # an int32 index
    alias[k] = 9.0


def _params(device, values):
    p = Params()
    p.scale = 2.0
    p.offset = 0.25
    p.count = 3
    p.data = wp.array(np.asarray(values, dtype=np.float32), device=device)
    return p


def test_struct_arguments_scalars_arrays_nested(device):
    p = _params(device, [1.0, 2.0, 3.0])
    o = Outer()
    o.inner = Inner()
    o.inner.a = 1.5
    o.inner.b = 4
    o.w = 2.0
    out = wp.zeros(3, dtype=float, device=device)
    wp.launch(struct_args, dim=3, inputs=[p, o, out], device=device)
    np.testing.assert_array_equal(out.numpy(),
                                  np.array([1.0, 2.0, 3.0]) * 2 + 0.25 + 3 + 1.5 * 2 + 4)


def test_struct_locals_and_field_assignment(device):
    out = wp.full(4, -1.0, dtype=float, device=device)
    wp.launch(struct_locals, dim=1, inputs=[out], device=device)
    np.testing.assert_array_equal(out.numpy(), [10.0, 2.5, 6.5, 0.0])


def test_struct_with_string_annotations():
    # What `from __future__ import annotations` turns every annotation into.
    @wp.struct
    class Deferred:
        x: "float"
        data: "wp.array(dtype=float)"

    d = Deferred()
    d.x = 1.5
    assert d.x == 1.5


def test_struct_array_field_accepts_only_wp_arrays():
    # typing/ recognises arrays by the __wp_array__ protocol of runtime's wp.array
    p = Params()
    p.data = wp.zeros(2, dtype=float, device="cpu")
    p.data = None
    with pytest.raises(TypeError, match=r"Params\.data must be a wp\.array or None, got ndarray"):
        p.data = np.zeros(2, dtype=np.float32)


def _buffers(device, values):
    b = Buffers()
    b.src = wp.array(np.asarray(values, dtype=np.float32), device=device)
    b.dst = wp.zeros(len(values), dtype=float, device=device)
    b.total = wp.zeros(1, dtype=float, device=device)
    return b


def test_struct_array_field_atomic_update(device):
    b = _buffers(device, [1.0, 2.0, 3.0, 4.0])
    wp.launch(struct_field_atomic, dim=4, inputs=[b], device=device)
    assert b.total.numpy()[0] == 10.0
    np.testing.assert_array_equal(b.dst.numpy(), [0.0, -10.0, 0.0, 0.0])

def test_struct_array_field_store(device):
    b = _buffers(device, [1.0, 2.0, 3.0, 4.0])
    wp.launch(struct_field_store, dim=4, inputs=[b, 3.0], device=device)
    np.testing.assert_array_equal(b.dst.numpy(), [3.0, 6.0, 9.0, 12.0])

_STORE_I32_BUG = ("BUG: storing into an array that is not a kernel array parameter (a struct's "
                  "array field, a local alias) with an int32 index fails to compile with an "
                  "LLVM error 'Operands must be the same type, got (i32, i64)': "
                  "kernel_helpers.store calls the setitem implementation without casting the "
                  "arguments to its resolved signature")

def test_struct_array_field_store_int32_index(device):
    b = _buffers(device, [1.0, 2.0, 3.0, 4.0])
    idx = wp.array(np.array([2, 0, 1], dtype=np.int32), device=device)
    wp.launch(struct_field_store_i32, dim=3, inputs=[b, idx, 0], device=device)
    np.testing.assert_array_equal(b.dst.numpy(), [2.5, 3.5, 1.5, 0.0])
    assert b.total.numpy()[0] == 7.0

def test_local_array_alias_store(device):
    a = wp.zeros(3, dtype=float, device=device)
    m = wp.zeros((3, 2), dtype=float, device=device)
    wp.launch(local_alias_store, dim=3, inputs=[a, m], device=device)
    np.testing.assert_array_equal(a.numpy(), [0.5, 1.5, 2.5])
    np.testing.assert_array_equal(m.numpy()[:, 0], [2.0, 2.0, 2.0])

def test_local_array_alias_store_int32_index(device):
    a = wp.zeros(4, dtype=float, device=device)
    idx = wp.array(np.array([2, 0, 1], dtype=np.int32), device=device)
    wp.launch(local_alias_store_i32, dim=3, inputs=[a, idx, 3], device=device)
    np.testing.assert_array_equal(a.numpy(), [1.5, 2.5, 0.5, 9.0])

# ---------------------------------------------------------------------------------------
# Atomics
# ---------------------------------------------------------------------------------------

@wp.kernel
def histogram(bins: wp.array(dtype=wp.int32), fbins: wp.array(dtype=float),
              down: wp.array(dtype=wp.int64), grid: wp.array2d(dtype=wp.int32)):
    i = wp.tid()
    b = i % 4
    bins[b] += 1
    fbins[b] += 1.0
    down[b] -= wp.int64(2)
    grid[b, i % 3] += 1

def test_augmented_array_updates_are_atomic(device):
    n = 100_000
    bins = wp.zeros(4, dtype=wp.int32, device=device)
    fbins = wp.zeros(4, dtype=float, device=device)
    down = wp.zeros(4, dtype=wp.int64, device=device)
    grid = wp.zeros((4, 3), dtype=wp.int32, device=device)
    wp.launch(histogram, dim=n, inputs=[bins, fbins, down, grid], device=device)
    np.testing.assert_array_equal(bins.numpy(), [n // 4] * 4)
    np.testing.assert_array_equal(fbins.numpy(), [n // 4] * 4)
    np.testing.assert_array_equal(down.numpy(), [-2 * (n // 4)] * 4)
    i = np.arange(n)
    expect = np.zeros((4, 3), dtype=np.int32)
    np.add.at(expect, (i % 4, i % 3), 1)
    np.testing.assert_array_equal(grid.numpy(), expect)

@wp.kernel
def atomic_sequence(a: wp.array(dtype=typing.Any), v: wp.array(dtype=typing.Any),
                    old: wp.array(dtype=typing.Any)):
    # one thread: a[0] starts at 10; v = [5, 3, 7, 9, 4, 20, 30]
    old[0] = wp.atomic_add(a, 0, v[0])  # 10 -> 15
    old[1] = wp.atomic_sub(a, 0, v[1])  # 15 -> 12
    old[2] = wp.atomic_min(a, 0, v[2])  # 12 -> 7
    old[3] = wp.atomic_max(a, 0, v[3])  # 7 -> 9
    old[4] = wp.atomic_exch(a, 0, v[4])  # 9 -> 4
    old[5] = wp.atomic_cas(a, 0, v[4], v[5])  # 4 == 4: -> 20
    old[6] = wp.atomic_cas(a, 0, v[4], v[6])  # 20 != 4: stays 20
    old[7] = wp.atomic_min(a, 0, v[6])  # 20 -> 20 (30 is larger)

@wp.kernel
def atomic_bits_sequence(a: wp.array(dtype=typing.Any), v: wp.array(dtype=typing.Any),
                         old: wp.array(dtype=typing.Any)):
    # a[1] starts at 12 (0b1100); v = [10, 3, 5]
    old[0] = wp.atomic_and(a, 1, v[0])  # -> 8
    old[1] = wp.atomic_or(a, 1, v[1])  # -> 11
    old[2] = wp.atomic_xor(a, 1, v[2])  # -> 14

ATOMIC_DTYPES = [wp.int32, wp.float32, wp.int64, wp.float64]

@pytest.mark.parametrize("dtype", ATOMIC_DTYPES, ids=lambda t: t.__name__)
def test_atomic_return_old_values(device, dtype):
    a = wp.array(np.array([10, 12]), dtype=dtype, device=device)
    v = wp.array(np.array([5, 3, 7, 9, 4, 20, 30]), dtype=dtype, device=device)
    old = wp.zeros(8, dtype=dtype, device=device)
    wp.launch(atomic_sequence, dim=1, inputs=[a, v, old], device=device)
    np.testing.assert_array_equal(old.numpy(), [10, 15, 12, 7, 9, 4, 20, 20])
    assert a.numpy()[0] == 20
    if dtype in (wp.int32, wp.int64):
        vb = wp.array(np.array([10, 3, 5]), dtype=dtype, device=device)
        oldb = wp.zeros(3, dtype=dtype, device=device)
        wp.launch(atomic_bits_sequence, dim=1, inputs=[a, vb, oldb], device=device)
        np.testing.assert_array_equal(oldb.numpy(), [12, 8, 11])
        assert a.numpy()[1] == 14

@wp.kernel
def atomic_many(acc: wp.array(dtype=typing.Any), v: wp.array(dtype=typing.Any)):
    i = wp.tid()
    x = v[i]
    wp.atomic_add(acc, 0, x)
    wp.atomic_sub(acc, 1, x)
    wp.atomic_min(acc, 2, x)
    wp.atomic_max(acc, 3, x)

@wp.kernel
def atomic_many_bits(acc: wp.array(dtype=typing.Any), v: wp.array(dtype=typing.Any),
                     m: wp.array(dtype=typing.Any)):
    i = wp.tid()
    wp.atomic_or(acc, 0, m[i])
    wp.atomic_and(acc, 1, ~m[i])
    wp.atomic_xor(acc, 2, v[i])

@pytest.mark.parametrize("dtype", ATOMIC_DTYPES, ids=lambda t: t.__name__)
def test_atomics_many_threads(device, dtype):
    n = 20_000  # above the serial threshold: the CPU runs it on all cores
    # shuffled values in [-1000, 1000): every partial sum, in any order, is an integer
    # below 2**24, so float32 sums are exact too
    vals = (np.arange(n) * 7919) % 2000 - 1000
    acc = wp.array(np.array([0, 0, 10**6, -(10**6)]), dtype=dtype, device=device)
    v = wp.array(vals, dtype=dtype, device=device)
    wp.launch(atomic_many, dim=n, inputs=[acc, v], device=device)
    total = int(vals.sum())
    np.testing.assert_array_equal(acc.numpy(), [total, -total, vals.min(), vals.max()])
    if dtype in (wp.int32, wp.int64):
        masks = np.left_shift(1, np.arange(n) % 20)
        bits = wp.array(np.array([0, -1, 0]), dtype=dtype, device=device)
        m = wp.array(masks, dtype=dtype, device=device)
        wp.launch(atomic_many_bits, dim=n, inputs=[bits, v, m], device=device)
        np.testing.assert_array_equal(
            bits.numpy(), [2**20 - 1, ~(2**20 - 1), np.bitwise_xor.reduce(vals)])

@wp.kernel
def cas_lock(lock: wp.array(dtype=wp.int32), winners: wp.array(dtype=wp.int32),
             who: wp.array(dtype=wp.int32)):
    i = wp.tid()
    if wp.atomic_cas(lock, 0, 0, 1) == 0:
        winners[0] += 1
        who[0] = i

def test_atomic_cas_exactly_one_winner(device):
    n = 50_000
    lock = wp.zeros(1, dtype=wp.int32, device=device)
    winners = wp.zeros(1, dtype=wp.int32, device=device)
    who = wp.full(1, -1, dtype=wp.int32, device=device)
    wp.launch(cas_lock, dim=n, inputs=[lock, winners, who], device=device)
    assert winners.numpy()[0] == 1
    assert lock.numpy()[0] == 1
    assert 0 <= who.numpy()[0] < n

# ---------------------------------------------------------------------------------------
# Launch API
# ---------------------------------------------------------------------------------------

@wp.kernel
def increment(a: wp.array(dtype=wp.int32), by: int):
    i = wp.tid()
    a[i] = a[i] + by

def test_record_cmd_returns_relaunchable_launch(device):
    a = wp.zeros(10, dtype=wp.int32, device=device)
    cmd = wp.launch(increment, dim=10, inputs=[a, 3], device=device, record_cmd=True)
    assert isinstance(cmd, wp.Launch)
    np.testing.assert_array_equal(a.numpy(), np.zeros(10))  # not run yet
    cmd.launch()
    cmd.launch()
    np.testing.assert_array_equal(a.numpy(), np.full(10, 6))

@wp.kernel
def axpy(x: wp.array(dtype=float), alpha: float, y: wp.array(dtype=float),
         out: wp.array(dtype=float)):
    i = wp.tid()
    out[i] = alpha * x[i] + y[i]

def test_inputs_and_outputs_split(device):
    x = wp.array(np.arange(5, dtype=np.float32), device=device)
    y = wp.full(5, 1.0, dtype=float, device=device)
    out = wp.zeros(5, dtype=float, device=device)
    wp.launch(axpy, dim=5, inputs=[x, 2.0], outputs=[y, out], device=device)
    np.testing.assert_array_equal(out.numpy(), np.arange(5) * 2.0 + 1.0)
    wp.launch(axpy, dim=5, inputs=[x], outputs=[3.0, y, out], device=device)
    np.testing.assert_array_equal(out.numpy(), np.arange(5) * 3.0 + 1.0)

def test_zero_sized_launch_does_nothing(device):
    a = wp.full(4, 5, dtype=wp.int32, device=device)
    wp.launch(increment, dim=0, inputs=[a, 1], device=device)
    wp.launch(increment, dim=(0,), inputs=[a, 1], device=device)
    out = wp.full((2, 3), 7, dtype=wp.int32, device=device)
    wp.launch(tid_2d, dim=(2, 0), inputs=[out], device=device)
    wp.launch(tid_2d, dim=(0, 3), inputs=[out], device=device)
    np.testing.assert_array_equal(a.numpy(), np.full(4, 5))
    np.testing.assert_array_equal(out.numpy(), np.full((2, 3), 7))

@wp.kernel
def generic_scale(a: wp.array(dtype=typing.Any), s: typing.Any):
    i = wp.tid()
    a[i] = a[i] * s + twice(a[i])

def test_generic_kernel_float32_then_float64(device):
    vals = np.array([0.1, 0.2, 1.0 / 3.0])
    a32 = wp.array(vals.astype(np.float32), device=device)
    # s = 0.5 keeps the product exact, so a fused multiply-add (CUDA) gives the same bits
    wp.launch(generic_scale, dim=3, inputs=[a32, wp.float32(0.5)], device=device)
    f = vals.astype(np.float32)
    np.testing.assert_array_equal(a32.numpy(), f * np.float32(0.5) + (f + f))
    a64 = wp.array(vals, dtype=wp.float64, device=device)
    wp.launch(generic_scale, dim=3, inputs=[a64, wp.float64(0.5)], device=device)
    assert a64.numpy().dtype == np.float64
    np.testing.assert_array_equal(a64.numpy(), vals * 0.5 + (vals + vals))

# ---------------------------------------------------------------------------------------
# Kernels defined in a notebook cell (source only in linecache)
# ---------------------------------------------------------------------------------------

_CELL_SOURCE = '''\
import numba_warp as wp

CELL_SCALE = 4.0

@wp.kernel
def cell_kernel(a: wp.array(dtype=float), b: wp.array(dtype=float)):
    i = wp.tid()
    b[i] = a[i] * CELL_SCALE + float(i)
'''

_CELL_FILE = "<ipython-input-7-numba-warp-test>"
linecache.cache[_CELL_FILE] = (len(_CELL_SOURCE), None, _CELL_SOURCE.splitlines(True), _CELL_FILE)
_cell_ns: dict = {"__name__": "__ipython_cell_test__"}
exec(compile(_CELL_SOURCE, _CELL_FILE, "exec"), _cell_ns)  # noqa: S102 - simulated cell
notebook_kernel = _cell_ns["cell_kernel"]

def test_notebook_cell_kernel(device):
    a = wp.array(np.arange(5, dtype=np.float32), device=device)
    b = wp.zeros(5, dtype=float, device=device)
    wp.launch(notebook_kernel, dim=5, inputs=[a, b], device=device)
    np.testing.assert_array_equal(b.numpy(), np.arange(5) * 4.0 + np.arange(5))

_RERUN_TEMPLATE = '''\
import numba_warp as wp

@wp.func
def rerun_helper(x: float):
    return x * FACTOR

@wp.kernel
def rerun_kernel(a: wp.array(dtype=float)):
    i = wp.tid()
    a[i] = rerun_helper(a[i])
'''
_cell_counter = itertools.count(100)

def _run_cell(factor: float):
    src = _RERUN_TEMPLATE.replace("FACTOR", repr(factor))
    fname = f"<ipython-input-{next(_cell_counter)}-rerun>"
    linecache.cache[fname] = (len(src), None, src.splitlines(True), fname)
    ns = {"__name__": "__ipython_rerun_test__"}
    exec(compile(src, fname, "exec"), ns)  # noqa: S102 - simulated cell
    return ns["rerun_kernel"]

def test_notebook_cell_rerun_replaces_func(device):
    first = _run_cell(2.0)
    a = wp.ones(3, dtype=float, device=device)
    wp.launch(first, dim=3, inputs=[a], device=device)
    np.testing.assert_array_equal(a.numpy(), [2.0, 2.0, 2.0])
    second = _run_cell(3.0)  # the same cell, edited and run again
    b = wp.ones(3, dtype=float, device=device)
    wp.launch(second, dim=3, inputs=[b], device=device)
    np.testing.assert_array_equal(b.numpy(), [3.0, 3.0, 3.0])


# ---------------------------------------------------------------------------------------
# Arrays of structs
# ---------------------------------------------------------------------------------------


@wp.struct
class Tag:
    a: wp.int8
    b: wp.float64


@wp.struct
class Particle:
    pos: float
    count: wp.int32
    mass: wp.float64
    alive: bool
    tag: Tag


@wp.kernel
def step_particles(ps: wp.array(dtype=Particle), out: wp.array(dtype=float)):
    i = wp.tid()
    p = ps[i]
    p.pos = p.pos + 1.0
    p.count += 2
    ps[i] = p
    ps[i].mass = p.mass * 2.0
    if p.alive:
        out[i] = p.pos + float(p.count) + float(p.tag.b)


def test_array_of_structs(device):
    p0 = Particle(pos=1.0, count=3, mass=2.0, alive=True, tag=Tag(a=1, b=0.5))
    p1 = Particle(pos=2.0, count=4, mass=3.0, alive=False)
    ps = wp.array([p0, p1], dtype=Particle, device=device)
    assert ps.dtype is Particle and ps.numpy().dtype == Particle.numpy_dtype
    out = wp.zeros(2, dtype=float, device=device)
    wp.launch(step_particles, dim=2, inputs=[ps, out], device=device)
    host = ps.numpy()
    np.testing.assert_array_equal(host["pos"], [2.0, 3.0])
    np.testing.assert_array_equal(host["count"], [5, 6])
    np.testing.assert_array_equal(host["mass"], [4.0, 6.0])
    assert host["tag"]["b"][0] == 0.5 and host["tag"]["a"][0] == 1
    np.testing.assert_array_equal(out.numpy(), [7.5, 0.0])


def test_struct_with_array_field_is_an_array_dtype():
    # as in Warp 1.19 (tests/runtime/test_struct_arrays.py covers kernels over them)
    assert wp.zeros(3, dtype=Buffers, device="cpu").shape == (3,)


@wp.kernel
def tid_in_expression(a: wp.array(dtype=float), out: wp.array(dtype=float)):
    out[wp.tid()] = a[wp.tid()] * 2.0


def test_tid_used_as_a_value(device):
    a = wp.array([1.0, 2.0, 3.0], dtype=float, device=device)
    out = wp.zeros(3, dtype=float, device=device)
    wp.launch(tid_in_expression, 3, inputs=[a, out], device=device)
    np.testing.assert_allclose(out.numpy(), [2.0, 4.0, 6.0])
