"""Warp's vector math builtins (``numba_warp.lowering.vector_math``) in kernels on every
device, in float32 and float64, against NumPy, plus Python-scope calls and the edge
cases Warp documents (normalize(0) == 0, inverse of a singular matrix == 0, argmin and
argmax skip NaNs, decompositions with rotation factors and sorted singular values).

A few generic kernels evaluate many builtins into the columns of output arrays, so the
module compiles only a handful of kernels (once per type).
"""

import typing

import numpy as np
import pytest

import numba_warp as wp

Any = typing.Any

VEC3 = [(wp.vec3, np.float32), (wp.vec3d, np.float64)]
MAT33I = wp.matrix((3, 3), wp.int32)


def _tol(dt):
    return dict(rtol=2e-5, atol=2e-5) if dt == np.float32 else dict(rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------------------------------
# Vectors
# ---------------------------------------------------------------------------------------


@wp.kernel
def vector_builtins(a: wp.array(dtype=Any), b: wp.array(dtype=Any), s: wp.array2d(dtype=Any),
                    v: wp.array2d(dtype=Any), m: wp.array2d(dtype=Any)):
    i = wp.tid()
    x = a[i]
    y = b[i]
    s[i, 0] = wp.dot(x, y)
    s[i, 1] = wp.length(x)
    s[i, 2] = wp.length_sq(x)
    s[i, 3] = wp.norm_l1(x)
    s[i, 4] = wp.norm_l2(x)
    s[i, 5] = wp.norm_huber(x)
    s[i, 6] = wp.norm_huber(x, 0.5)
    s[i, 7] = wp.norm_pseudo_huber(x)
    s[i, 8] = wp.norm_pseudo_huber(x, 2.0)
    s[i, 9] = wp.float32(wp.argmin(x))
    s[i, 10] = wp.float32(wp.argmax(x))
    s[i, 11] = wp.min(x)
    s[i, 12] = wp.max(x)
    s[i, 13] = wp.min(x[0], y[0])  # the scalar overloads still work
    v[i, 0] = wp.cross(x, y)
    v[i, 1] = wp.normalize(x)
    v[i, 2] = wp.normalize(x * 0.0)
    v[i, 3] = wp.cw_mul(x, y)
    v[i, 4] = wp.cw_div(x, y)
    v[i, 5] = wp.smooth_normalize(x)
    v[i, 6] = wp.smooth_normalize(x, 0.5)
    v[i, 7] = wp.min(x, y)
    v[i, 8] = wp.max(x, y)
    v[i, 9] = wp.abs(x)
    v[i, 10] = wp.skew(x) * y
    m[i, 0] = wp.outer(x, y)
    m[i, 1] = wp.skew(x)
    m[i, 2] = wp.diag(x)
    m[i, 3] = wp.matrix_from_rows(x, y, x + y)
    m[i, 4] = wp.matrix_from_cols(x, y, x + y)
    m[i, 5] = wp.transpose(wp.outer(x, y))


def _huber(n, d):
    return np.where(n <= d, 0.5 * n * n, d * (n - 0.5 * d))


def _pseudo_huber(n, d):
    return d * np.sqrt(1.0 + n * n / (d * d))


@pytest.mark.parametrize("vt,dt", VEC3)
def test_vector_builtins(device, vt, dt):
    rng = np.random.default_rng(3)
    n = 16
    A = rng.standard_normal((n, 3)).astype(dt)
    B = rng.standard_normal((n, 3)).astype(dt) + dt(3.0)  # no zero divisors
    A[0] = [0.1, -0.2, 0.05]  # short: the quadratic branch of the Huber norm
    A[1] = [1.0, 1.0, -1.0]  # ties: argmin/argmax take the first
    a = wp.array(A, dtype=vt, device=device)
    b = wp.array(B, dtype=vt, device=device)
    s = wp.zeros((n, 14), dtype=dt, device=device)
    v = wp.zeros((n, 11), dtype=vt, device=device)
    m = wp.zeros((n, 6), dtype=wp.matrix((3, 3), dt), device=device)
    wp.launch(vector_builtins, dim=n, inputs=[a, b, s, v, m], device=device)
    S, V, M = s.numpy(), v.numpy(), m.numpy()
    tol = _tol(dt)
    L = np.linalg.norm(A.astype(np.float64), axis=1)
    expect_s = [np.sum(A * B, 1), L, L * L, np.abs(A).sum(1), L, _huber(L, 1.0),
                _huber(L, 0.5), _pseudo_huber(L, 1.0), _pseudo_huber(L, 2.0),
                A.argmin(1), A.argmax(1), A.min(1), A.max(1), np.minimum(A[:, 0], B[:, 0])]
    for k, e in enumerate(expect_s):
        np.testing.assert_allclose(S[:, k], e, **tol, err_msg=f"column {k}")
    expect_v = [np.cross(A, B), A / L[:, None], np.zeros_like(A), A * B, A / B,
                A / _pseudo_huber(L, 1.0)[:, None], A / _pseudo_huber(L, 0.5)[:, None],
                np.minimum(A, B), np.maximum(A, B), np.abs(A), np.cross(A, B)]
    for k, e in enumerate(expect_v):
        np.testing.assert_allclose(V[:, k], e, **tol, err_msg=f"vector {k}")
    expect_m = [np.einsum("ni,nj->nij", A, B), None, np.einsum("ni,ij->nij", A, np.eye(3)),
                np.stack([A, B, A + B], 1), np.stack([A, B, A + B], 2),
                np.einsum("ni,nj->nji", A, B)]
    skew = np.zeros((n, 3, 3))
    skew[:, 0, 1], skew[:, 0, 2], skew[:, 1, 2] = -A[:, 2], A[:, 1], -A[:, 0]
    expect_m[1] = skew - skew.transpose(0, 2, 1)
    for k, e in enumerate(expect_m):
        np.testing.assert_allclose(M[:, k], e, **tol, err_msg=f"matrix {k}")
    assert S[1, 9] == 2 and S[1, 10] == 0


@wp.kernel
def int_and_nan_builtins(ai: wp.array(dtype=wp.vec3i), bi: wp.array(dtype=wp.vec3i),
                         f: wp.array(dtype=wp.vec3), iout: wp.array2d(dtype=wp.int32),
                         vout: wp.array2d(dtype=wp.vec3i), eyes: wp.array(dtype=wp.mat44d),
                         eyef: wp.array(dtype=wp.mat22), eyei: wp.array(dtype=MAT33I)):
    i = wp.tid()
    x = ai[i]
    y = bi[i]
    iout[i, 0] = wp.dot(x, y)
    iout[i, 1] = wp.length_sq(x)
    iout[i, 2] = int(wp.argmin(f[i]))
    iout[i, 3] = int(wp.argmax(f[i]))
    iout[i, 4] = wp.min(x)
    iout[i, 5] = wp.max(x)
    iout[i, 6] = wp.trace(wp.outer(x, y))
    vout[i, 0] = wp.cw_div(x, y)
    vout[i, 1] = wp.cross(x, y)
    vout[i, 2] = wp.abs(x)
    vout[i, 3] = wp.min(x, y)
    eyes[i] = wp.identity(4, wp.float64)
    eyef[i] = wp.identity(n=2, dtype=float)
    eyei[i] = wp.identity(3, dtype=wp.int32)


def test_integer_vectors_nan_argmin_and_identity(device):
    X = np.array([[7, -7, 3], [-9, 4, 0]], dtype=np.int32)
    Y = np.array([[2, 2, -2], [4, -3, 5]], dtype=np.int32)
    nan = np.nan
    F = np.array([[nan, 2.0, 1.0], [nan, nan, nan]], dtype=np.float32)
    ai = wp.array(X, dtype=wp.vec3i, device=device)
    bi = wp.array(Y, dtype=wp.vec3i, device=device)
    f = wp.array(F, dtype=wp.vec3, device=device)
    iout = wp.zeros((2, 7), dtype=wp.int32, device=device)
    vout = wp.zeros((2, 4), dtype=wp.vec3i, device=device)
    eyes = wp.zeros(2, dtype=wp.mat44d, device=device)
    eyef = wp.zeros(2, dtype=wp.mat22, device=device)
    eyei = wp.zeros(2, dtype=MAT33I, device=device)
    wp.launch(int_and_nan_builtins, dim=2, inputs=[ai, bi, f, iout, vout, eyes, eyef, eyei],
              device=device)
    io, vo = iout.numpy(), vout.numpy()
    np.testing.assert_array_equal(io[:, 0], (X * Y).sum(1))
    np.testing.assert_array_equal(io[:, 1], (X * X).sum(1))
    np.testing.assert_array_equal(io[:, 2], [2, 0])  # NaNs skipped; all NaN -> 0
    np.testing.assert_array_equal(io[:, 3], [1, 0])
    np.testing.assert_array_equal(io[:, 4], X.min(1))
    np.testing.assert_array_equal(io[:, 5], X.max(1))
    np.testing.assert_array_equal(io[:, 6], (X * Y).sum(1))
    np.testing.assert_array_equal(vo[:, 0], np.trunc(X / Y).astype(np.int32))  # C division
    np.testing.assert_array_equal(vo[:, 1], np.cross(X, Y))
    np.testing.assert_array_equal(vo[:, 2], np.abs(X))
    np.testing.assert_array_equal(vo[:, 3], np.minimum(X, Y))
    assert eyes.numpy().dtype == np.float64 and eyef.numpy().dtype == np.float32
    np.testing.assert_array_equal(eyes.numpy(), [np.eye(4)] * 2)
    np.testing.assert_array_equal(eyef.numpy(), [np.eye(2)] * 2)
    np.testing.assert_array_equal(eyei.numpy(), [np.eye(3)] * 2)


# ---------------------------------------------------------------------------------------
# Matrices: determinant, inverse, trace, ddot, transpose, get_diag
# ---------------------------------------------------------------------------------------


@wp.kernel
def matrix_builtins(a: wp.array(dtype=Any), s: wp.array2d(dtype=Any),
                    m: wp.array2d(dtype=Any), d: wp.array(dtype=Any)):
    i = wp.tid()
    x = a[i]
    s[i, 0] = wp.determinant(x)
    s[i, 1] = wp.trace(x)
    s[i, 2] = wp.ddot(x, x)
    m[i, 0] = wp.inverse(x)
    m[i, 1] = wp.inverse_approx(x)
    m[i, 2] = wp.transpose(x)
    m[i, 3] = wp.cw_mul(x, x)
    m[i, 4] = wp.cw_div(x, x * 2.0 + wp.transpose(x) * 0.0 + wp.diag(wp.get_diag(x)) * 0.0)
    d[i] = wp.get_diag(x)


@pytest.mark.parametrize("n,dt", [(2, np.float32), (3, np.float64), (4, np.float32),
                                  (4, np.float64)])
def test_matrix_builtins(device, n, dt):
    rng = np.random.default_rng(n)
    k = 8
    A = (rng.standard_normal((k, n, n)) + 2 * np.eye(n)).astype(dt)
    A[0] = 1.0  # singular: determinant 0, inverse is the zero matrix
    A[1] = np.diag(np.arange(1, n + 1))
    mt = wp.matrix((n, n), dt)
    a = wp.array(A, dtype=mt, device=device)
    s = wp.zeros((k, 3), dtype=dt, device=device)
    m = wp.zeros((k, 5), dtype=mt, device=device)
    d = wp.zeros(k, dtype=wp.vector(n, dt), device=device)
    wp.launch(matrix_builtins, dim=k, inputs=[a, s, m, d], device=device)
    S, M = s.numpy(), m.numpy()
    A64 = A.astype(np.float64)
    tol = dict(rtol=2e-4, atol=2e-4) if dt == np.float32 else dict(rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(S[:, 0], np.linalg.det(A64), **tol)
    assert S[0, 0] == 0
    np.testing.assert_allclose(S[:, 1], np.trace(A64, axis1=1, axis2=2), **tol)
    np.testing.assert_allclose(S[:, 2], (A64 * A64).sum((1, 2)), **tol)
    inv = np.linalg.inv(A64[1:])
    for j in (0, 1):
        assert not M[0, j].any()
        np.testing.assert_allclose(M[1:, j], inv, **tol)
    np.testing.assert_allclose(M[:, 2], A.transpose(0, 2, 1))
    np.testing.assert_allclose(M[:, 3], A * A, **_tol(dt))
    with np.errstate(invalid="ignore"):
        np.testing.assert_allclose(M[:, 4], A / (A * 2))  # 0 / 0 is NaN here too
    np.testing.assert_allclose(d.numpy(), np.diagonal(A, axis1=1, axis2=2))


# ---------------------------------------------------------------------------------------
# Decompositions
# ---------------------------------------------------------------------------------------


@wp.kernel
def decompositions(a: wp.array(dtype=Any), m: wp.array2d(dtype=Any),
                   v: wp.array2d(dtype=Any)):
    i = wp.tid()
    x = a[i]
    U, sigma, V = wp.svd3(x)
    m[i, 0] = U
    m[i, 1] = V
    v[i, 0] = sigma
    Q, R = wp.qr3(x)
    m[i, 2] = Q
    m[i, 3] = R
    E, d = wp.eig3(x + wp.transpose(x))
    m[i, 4] = E
    v[i, 1] = d


def _check_rotation(R, tol):
    n = R.shape[-1]
    np.testing.assert_allclose(R @ R.transpose(0, 2, 1), np.broadcast_to(np.eye(n), R.shape),
                               **tol)
    np.testing.assert_allclose(np.linalg.det(R), 1.0, **tol)


def _test_matrices(dt):
    rng = np.random.default_rng(11)
    A = rng.standard_normal((12, 3, 3))
    A[0] = 0.0
    A[1] = np.diag([1.0, 3.0, 2.0])  # repeated structure, already diagonal
    A[2] = np.outer([1.0, 2.0, 3.0], [0.5, -1.0, 2.0])  # rank 1
    A[3] = np.diag([2.0, 2.0, -2.0])  # repeated values, negative determinant
    A[4, :, 2] = A[4, :, 0] + A[4, :, 1]  # rank 2
    return A.astype(dt)


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_svd3_qr3_eig3(device, dt):
    A = _test_matrices(dt)
    k = len(A)
    mt = wp.matrix((3, 3), dt)
    a = wp.array(A, dtype=mt, device=device)
    m = wp.zeros((k, 5), dtype=mt, device=device)
    v = wp.zeros((k, 2), dtype=wp.vector(3, dt), device=device)
    wp.launch(decompositions, dim=k, inputs=[a, m, v], device=device)
    M, V = m.numpy().astype(np.float64), v.numpy().astype(np.float64)
    A64 = A.astype(np.float64)
    tol = dict(rtol=1e-5, atol=1e-5) if dt == np.float32 else dict(rtol=1e-12, atol=1e-12)
    # svd3
    U, Vm, sig = M[:, 0], M[:, 1], V[:, 0]
    _check_rotation(U, tol)
    _check_rotation(Vm, tol)
    np.testing.assert_allclose(U @ (sig[:, :, None] * Vm.transpose(0, 2, 1)), A64, **tol)
    np.testing.assert_allclose(np.abs(sig), np.linalg.svd(A64, compute_uv=False), **tol)
    assert (sig[:, :2] >= 0).all()
    det = np.linalg.det(A64)
    big = np.abs(det) > 1e-3
    assert (np.sign(sig[big, 2]) == np.sign(det[big])).all()
    # qr3
    Q, R = M[:, 2], M[:, 3]
    _check_rotation(Q, tol)
    np.testing.assert_allclose(Q @ R, A64, **tol)
    np.testing.assert_allclose(np.tril(R, -1), 0.0, atol=tol["atol"])
    # eig3 of the symmetric x + x^T
    S = A64 + A64.transpose(0, 2, 1)
    E, d = M[:, 4], V[:, 1]
    _check_rotation(E, tol)
    np.testing.assert_allclose(E @ (d[:, :, None] * E.transpose(0, 2, 1)), S, **tol)
    np.testing.assert_allclose(np.sort(d, 1), np.linalg.eigvalsh(S), **tol)


@wp.kernel
def svd2_kernel(a: wp.array(dtype=Any), m: wp.array2d(dtype=Any), v: wp.array(dtype=Any)):
    i = wp.tid()
    U, sigma, V = wp.svd2(a[i])
    m[i, 0] = U
    m[i, 1] = V
    v[i] = sigma


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_svd2(device, dt):
    rng = np.random.default_rng(5)
    A = rng.standard_normal((10, 2, 2))
    A[0] = 0.0
    A[1] = [[1.0, 2.0], [2.0, 4.0]]  # rank 1
    A[2] = [[0.0, 2.0], [3.0, 0.0]]  # negative determinant
    A = A.astype(dt)
    mt = wp.matrix((2, 2), dt)
    m = wp.zeros((10, 2), dtype=mt, device=device)
    v = wp.zeros(10, dtype=wp.vector(2, dt), device=device)
    wp.launch(svd2_kernel, dim=10, inputs=[wp.array(A, dtype=mt, device=device), m, v],
              device=device)
    M, sig = m.numpy().astype(np.float64), v.numpy().astype(np.float64)
    tol = dict(rtol=1e-5, atol=1e-5) if dt == np.float32 else dict(rtol=1e-12, atol=1e-12)
    U, Vm = M[:, 0], M[:, 1]
    eye = np.broadcast_to(np.eye(2), U.shape)
    np.testing.assert_allclose(U @ U.transpose(0, 2, 1), eye, **tol)
    np.testing.assert_allclose(Vm @ Vm.transpose(0, 2, 1), eye, **tol)
    np.testing.assert_allclose(U @ (sig[:, :, None] * Vm.transpose(0, 2, 1)), A, **tol)
    np.testing.assert_allclose(sig, np.linalg.svd(A.astype(np.float64), compute_uv=False),
                               **tol)


# ---------------------------------------------------------------------------------------
# Python scope
# ---------------------------------------------------------------------------------------


def test_python_scope():
    a, b = wp.vec3(1.0, -2.0, 3.0), wp.vec3(4.0, 5.0, 6.0)
    assert wp.dot(a, b) == 12.0 and wp.length_sq(a) == 14.0
    assert wp.cross(a, b) == wp.vec3(-27.0, 6.0, 13.0)
    assert wp.length(a) == pytest.approx(14 ** 0.5)
    assert wp.normalize(wp.vec3()) == wp.vec3()
    assert wp.argmin(a) == 1 and wp.argmax(a) == 2
    assert wp.norm_l1(a) == 6.0 and wp.norm_l2(a) == pytest.approx(14 ** 0.5)
    assert wp.norm_huber(wp.vec3(0.3, 0.4, 0.0)) == pytest.approx(0.125)
    assert wp.norm_pseudo_huber(wp.vec3(0.0, 3.0, 4.0), 1.0) == pytest.approx(26 ** 0.5)
    assert isinstance(wp.cw_mul(a, b), wp.vec3) and wp.cw_div(a, b)[0] == 0.25
    assert wp.cw_div(wp.vec3i(7, -7, 1), wp.vec3i(2, 2, 1)) == wp.vec3i(3, -3, 1)
    m = wp.mat33(1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 10.0)
    assert wp.determinant(m) == pytest.approx(-3.0, rel=1e-6)
    np.testing.assert_allclose(np.asarray(wp.inverse(m) * m), np.eye(3), atol=1e-5)
    assert not np.asarray(wp.inverse(wp.mat22(1.0, 2.0, 2.0, 4.0))).any()
    assert wp.trace(m) == 16.0 and wp.ddot(m, m) == float((np.asarray(m) ** 2).sum())
    assert wp.transpose(m)[0, 1] == 4.0 and wp.get_diag(m) == wp.vec3(1.0, 5.0, 10.0)
    assert wp.diag(a)[1, 1] == -2.0 and type(wp.outer(a, b)) is wp.mat33
    assert wp.skew(a) * b == wp.cross(a, b)
    assert wp.identity(3, wp.float64) == wp.mat33d(*np.eye(3).reshape(-1))
    r = wp.matrix_from_rows(a, b)
    assert r.shape == (2, 3) and r[1, 0] == 4.0
    assert wp.matrix_from_cols(a, b)[0, 1] == 4.0
    U, s, V = wp.svd3(m)
    np.testing.assert_allclose(np.asarray(U) @ np.diag(np.asarray(s)) @ np.asarray(V).T,
                               np.asarray(m), atol=1e-5)
    assert np.linalg.det(np.asarray(U)) == pytest.approx(1.0, abs=1e-5)
    Q, R = wp.qr3(m)
    np.testing.assert_allclose(np.asarray(Q) @ np.asarray(R), np.asarray(m), atol=1e-5)
    E, d = wp.eig3(m + wp.transpose(m))
    assert np.linalg.det(np.asarray(E)) == pytest.approx(1.0, abs=1e-5)
    U2, s2, V2 = wp.svd2(wp.mat22(0.0, 2.0, 3.0, 0.0))
    assert list(s2) == pytest.approx([3.0, 2.0])


def test_type_errors():
    def bad(a: wp.array(dtype=wp.vec2)):
        wp.cross(a[0], a[0])

    k = wp.kernel(bad)
    with pytest.raises(wp.WarpCodegenError):
        wp.launch(k, dim=1, inputs=[wp.zeros(1, dtype=wp.vec2, device="cpu")], device="cpu")
