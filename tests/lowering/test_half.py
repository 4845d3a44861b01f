"""float16 values in kernels on every device (``numba_warp.lowering.half`` for the CPU).

Warp computes float16 arithmetic in float32 and rounds each result to float16, on the CPU
and on GPUs; NumPy's float16 arithmetic does the same, so it is the reference here, to
the bit. Conversions are checked exhaustively (every float16) in plain ``@numba.njit``
code.
"""

import numba
import numpy as np

import numba_warp as wp

H = np.float16


@wp.kernel
def half_math(a: wp.array(dtype=wp.float16), b: wp.array(dtype=wp.float16),
              h: wp.array2d(dtype=wp.float16), f: wp.array2d(dtype=float),
              flags: wp.array2d(dtype=wp.int32)):
    i = wp.tid()
    x, y = a[i], b[i]
    h[i, 0] = x * wp.float16(3.0) + x
    h[i, 1] = x / y
    h[i, 2] = x - y * y
    h[i, 3] = -x
    h[i, 4] = wp.sqrt(wp.abs(x))
    h[i, 5] = wp.max(x, y)  # Warp: a if a > b else b (so max(nan, 1) == 1)
    h[i, 6] = x % y
    h[i, 7] = wp.float16(f[i, 0] * 3.0)  # float32 -> float16
    h[i, 8] = x * 0.5  # a literal takes the float16 type
    z = x
    z += y
    h[i, 9] = z
    f[i, 1] = float(x)
    f[i, 2] = float(x) * float(y)  # float32 arithmetic
    f[i, 3] = x + f[i, 0]  # mixed: float32
    flags[i, 0] = int(x < y)
    flags[i, 1] = int(x == y)
    flags[i, 2] = int(x)
    flags[i, 3] = int(wp.isnan(x))


@wp.kernel
def half_vectors(a: wp.array(dtype=wp.vec3h), b: wp.array(dtype=wp.vec3h),
                 v: wp.array2d(dtype=wp.vec3h), s: wp.array2d(dtype=wp.float16)):
    i = wp.tid()
    x, y = a[i], b[i]
    v[i, 0] = x * wp.float16(2.0) + y
    v[i, 1] = -x
    v[i, 2] = wp.cross(x, y)
    s[i, 0] = wp.dot(x, y)
    s[i, 1] = wp.length(x)
    s[i, 2] = wp.float16(1.0) if x == y else wp.float16(0.0)


def _inputs(device):
    a = np.array([1.5, 2.25, 1000.0, -3.0, 6e-5, 65504.0, np.inf, np.nan, 0.1, -0.0], H)
    b = np.array([0.7, 2.25, 3.0, 7.0, 3e-7, 2.0, 1.0, 1.0, 0.3, 5.0], H)
    return a, b


def test_scalar_arithmetic_matches_numpy_float16(device):
    a, b = _inputs(device)
    n = len(a)
    h = wp.zeros((n, 10), dtype=wp.float16, device=device)
    f = wp.zeros((n, 4), dtype=float, device=device)
    f0 = np.linspace(-1, 1, n).astype(np.float32) * 7.3
    f.assign(np.stack([f0, f0, f0, f0], axis=1))
    flags = wp.zeros((n, 4), dtype=wp.int32, device=device)
    wp.launch(half_math, dim=n, device=device,
              inputs=[wp.array(a, dtype=wp.float16, device=device),
                      wp.array(b, dtype=wp.float16, device=device), h, f, flags])
    h, f, flags = h.numpy(), f.numpy(), flags.numpy()
    with np.errstate(all="ignore"):
        expected = [a * H(3.0) + a, a / b, a - b * b, -a, np.sqrt(np.abs(a)),
                    np.where(a > b, a, b), np.fmod(a, b), (f0 * np.float32(3.0)).astype(H),
                    a * H(0.5), a + b]
        for k, e in enumerate(expected):
            np.testing.assert_array_equal(h[:, k], e, err_msg=f"column {k}")
        np.testing.assert_array_equal(f[:, 1], a.astype(np.float32))
        np.testing.assert_array_equal(f[:, 2], a.astype(np.float32) * b.astype(np.float32))
        np.testing.assert_array_equal(f[:, 3], a.astype(np.float32) + f0)
        finite = np.isfinite(a)
        np.testing.assert_array_equal(flags[:, 0], a < b)
        np.testing.assert_array_equal(flags[:, 1], a == b)
        np.testing.assert_array_equal(flags[finite, 2], a[finite].astype(np.int32))
        np.testing.assert_array_equal(flags[:, 3], np.isnan(a))


def test_vectors_of_float16(device):
    rng = np.random.default_rng(5)
    a = rng.normal(size=(4, 3)).astype(H) * H(20)
    b = rng.normal(size=(4, 3)).astype(H)
    b[3] = a[3]
    v = wp.zeros((4, 3), dtype=wp.vec3h, device=device)
    s = wp.zeros((4, 3), dtype=wp.float16, device=device)
    wp.launch(half_vectors, dim=4, device=device,
              inputs=[wp.array(a, dtype=wp.vec3h, device=device),
                      wp.array(b, dtype=wp.vec3h, device=device), v, s])
    v, s = v.numpy(), s.numpy()
    np.testing.assert_array_equal(v[:, 0], a * H(2.0) + b)  # each operation rounded
    np.testing.assert_array_equal(v[:, 1], -a)
    cross = np.stack([a[:, 1] * b[:, 2] - a[:, 2] * b[:, 1], a[:, 2] * b[:, 0] - a[:, 0] * b[:, 2],
                      a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0]], axis=1)
    dot = a[:, 0] * b[:, 0] + a[:, 1] * b[:, 1] + a[:, 2] * b[:, 2]
    length = np.sqrt(a[:, 0] * a[:, 0] + a[:, 1] * a[:, 1] + a[:, 2] * a[:, 2])
    if device == "cpu":
        check = np.testing.assert_array_equal
    else:
        # GPUs contract a * b + c into one fused multiply-add (as Warp's CUDA code does):
        # one rounding fewer, so sums of products may differ by a rounding of a product
        tol = 4 * 2.0**-10 * float(np.max(np.abs(a)).astype(np.float32)) * float(
            max(np.max(np.abs(a)), np.max(np.abs(b))).astype(np.float32))

        def check(got, want):
            np.testing.assert_allclose(got.astype(np.float32), want.astype(np.float32),
                                       rtol=2.0**-9, atol=tol)
    check(v[:, 2], cross)
    check(s[:, 0], dot)
    check(s[:, 1], length)
    np.testing.assert_array_equal(s[:, 2], [0, 0, 0, 1])


@numba.njit
def _convert(h, f, x32, h32, x64, h64, i16):
    for k in range(h.shape[0]):
        f[k] = h[k]
    for k in range(x32.shape[0]):
        h32[k] = x32[k]
    for k in range(x64.shape[0]):
        h64[k] = x64[k]
    for k in range(i16.shape[0]):
        i16[k] = np.int32(h[k]) if abs(np.float32(h[k])) < 1e9 else 0


def test_conversions_are_exact_and_round_to_nearest_even():
    every = np.arange(1 << 16, dtype=np.uint32).astype(np.uint16).view(H)
    wide = every.astype(np.float32)
    with np.errstate(all="ignore"):
        finite = wide[np.isfinite(wide)]
        up = np.nextafter(finite, np.float32(np.inf))
        # around every float16: exact ties (midpoints), and just above and below them
        nxt = np.nextafter(finite.astype(H), H(np.inf)).astype(np.float32)
        mid = finite + (nxt - finite) / 2
        x32 = np.concatenate([wide, up, mid, np.nextafter(mid, np.float32(0)),
                              np.float32([65519.99, 65520.0, 1e6, -1e30, 2 ** -25, 2 ** -26])])
        x32 = x32[~np.isnan(x32)].astype(np.float32)
        x64 = np.concatenate([x32.astype(np.float64), [1 + 2 ** -11 + 2 ** -40, 1e300]])
        f = np.empty(len(every), np.float32)
        h32 = np.empty(len(x32), H)
        h64 = np.empty(len(x64), H)
        i16 = np.empty(len(every), np.int32)
        _convert(every, f, x32, h32, x64, h64, i16)
        same = f.view(np.uint32) == wide.view(np.uint32)
        assert (same | np.isnan(wide)).all() and np.isnan(f[np.isnan(wide)]).all()
        np.testing.assert_array_equal(h32.view(np.uint16), x32.astype(H).view(np.uint16))
        # float64 converts through float32, as Warp's half(double) does
        np.testing.assert_array_equal(h64.view(np.uint16),
                                      x64.astype(np.float32).astype(H).view(np.uint16))
        small = np.abs(wide) < 1e9
        np.testing.assert_array_equal(i16[small], wide[small].astype(np.int32))
