"""Warp's matrix decompositions: ``eig3``, ``svd3``, ``svd2`` and ``qr3``.

Numerically robust, written once for every float type: ``eig3`` (symmetric Jacobi
rotations on the lower triangle, which it reads alone like ``numpy.linalg.eigh``) returns
``(Q, d)`` with ``Q`` a rotation whose columns are eigenvectors; ``svd3``/``svd2``
(one-sided Jacobi) return ``(U, sigma, V)`` with ``A = U diag(sigma) V^T``, ``U``/``V``
rotations, sigma sorted by decreasing magnitude and only the last component possibly
negative (the sign of ``det(A)``); ``qr3`` (Givens) returns ``(Q, R)`` with ``Q`` a
rotation and ``R`` upper triangular. Jacobi sweeps stop when converged (at most 16).
Adjoint rules (analytic, for distinct singular/eigen values) are at the end.
"""

from __future__ import annotations

import math

import numpy as np

from ..typing.vec import vector_class
from .builtin import adjoint, as_array, implements, is_mat, jitable, mcls, vcls
from .kernel_helpers import store
from .matrix_math import ddot, diag, get_diag, identity, inverse, matrix_from_cols, transpose
from .vector_math import cross, dot, length, normalize

__all__ = ["eig3", "svd3", "svd2", "qr3"]


# ---------------------------------------------------------------------------------------
# Decompositions: eig3 (symmetric Jacobi), svd3/svd2 (one-sided Jacobi), qr3 (Givens)
# ---------------------------------------------------------------------------------------

_MAX_SWEEPS = 16  # cyclic Jacobi on 3x3 converges (quadratically) in far fewer sweeps


def _eps(ft):
    return float(np.finfo(np.float32 if ft.bitwidth <= 32 else np.float64).eps)


@jitable
def _plane_rotation(eye, p, q, c, s):
    """The identity ``eye`` with the (p, q) plane rotated: J[p,p] = J[q,q] = c,
    J[p,q] = s, J[q,p] = -s (determinant +1 when c^2 + s^2 = 1)."""
    j = store(store(eye, (p, p), c), (q, q), c)
    return store(store(j, (p, q), s), (q, p), -s)


@jitable
def _jacobi_tangent(theta, one):
    """The smaller root t of t^2 + 2 theta t - 1 = 0 (tan of the Jacobi angle)."""
    r = abs(theta)
    if r < 1e15:
        t = one / (r + math.sqrt(one + r * r))
    else:
        t = one / (r + r)
    return -t if theta < 0 else t


def eig3(A):
    """Eigen-decomposition of a symmetric 3x3 matrix: (Q, d) with A = Q diag(d) Q^T.

    Example
    -------
    >>> A = wp.mat33(2.0, 1.0, 0.0, 1.0, 2.0, 0.0, 0.0, 0.0, 5.0)
    >>> Q, d = wp.eig3(A)
    >>> sorted(round(x, 4) for x in d)  # the order of the eigenvalues is not specified
    [1.0, 3.0, 5.0]
    >>> np.allclose(Q * wp.diag(d) * wp.transpose(Q), A, atol=1e-5)
    True
    """
    w, q = np.linalg.eigh(as_array(A).astype(np.float64))
    if np.linalg.det(q) < 0:
        q[:, 2] = -q[:, 2]
    return A._new(q), vector_class(3, A._dtype)(w)


@implements(eig3)
def _ol_eig3(A):
    if not is_mat(A, square=True, floats=True, sizes=(3,)):
        return None
    ft = A.dtype
    tol = ft(_eps(ft) ** 2)

    def impl(A):
        # the lower triangle mirrored: the result is a function of it alone, as at Python
        # scope (numpy's eigh), so non-symmetric inputs and their gradients are defined
        a = store(store(store(A, (0, 1), A[1, 0]), (0, 2), A[2, 0]), (1, 2), A[2, 1])
        eye = identity(3, ft)
        q = eye
        for _ in range(_MAX_SWEEPS):
            off = a[0, 1] * a[0, 1] + a[0, 2] * a[0, 2] + a[1, 2] * a[1, 2]
            if off <= tol * ddot(a, a):
                break
            for k in range(3):
                p, r = (0, 1) if k == 0 else ((0, 2) if k == 1 else (1, 2))
                apr = a[p, r]
                if apr != ft(0.0):
                    t = _jacobi_tangent((a[r, r] - a[p, p]) / (apr + apr), ft(1.0))
                    c = ft(1.0) / math.sqrt(ft(1.0) + t * t)
                    j = _plane_rotation(eye, p, r, c, t * c)
                    a = transpose(j) * a * j
                    a = store(store(a, (p, r), ft(0.0)), (r, p), ft(0.0))
                    q = q * j
        return q, get_diag(a)

    return impl


@jitable
def _one_sided_jacobi(b, v, eye, n, tol, one):
    """Rotate the columns of ``b`` (and ``v`` alike) until they are orthogonal."""
    for _ in range(_MAX_SWEEPS):
        rotated = False
        for k in range(n * (n - 1) // 2):
            p, q = (0, 1) if k == 0 else ((0, 2) if k == 1 else (1, 2))
            alpha, beta, gamma = one - one, one - one, one - one
            for i in range(n):
                alpha += b[i, p] * b[i, p]
                beta += b[i, q] * b[i, q]
                gamma += b[i, p] * b[i, q]
            if gamma != 0 and gamma * gamma > tol * alpha * beta:
                t = _jacobi_tangent((beta - alpha) / (gamma + gamma), one)
                c = one / math.sqrt(one + t * t)
                j = _plane_rotation(eye, p, q, c, t * c)
                b = b * j
                v = v * j
                rotated = True
        if not rotated:
            break
    return b, v


@jitable
def _sort_columns(b, v, eye, n, one):
    """Order columns by decreasing norm; each swap is a rotation (p, q) -> (q, -p)."""
    zero = one - one
    for k in range(3 if n == 3 else 1):
        p = 1 if k == 1 else 0
        q = p + 1
        np_, nq = zero, zero
        for i in range(n):
            np_ += b[i, p] * b[i, p]
            nq += b[i, q] * b[i, q]
        if nq > np_:
            j = _plane_rotation(eye, p, q, zero, -one)
            b = b * j
            v = v * j
    return b, v


@jitable
def _unit_perpendicular(u, one):
    """A unit vector orthogonal to the unit 3D vector ``u``."""
    ax, ay, az = abs(u[0]), abs(u[1]), abs(u[2])
    e = u - u
    if ax <= ay and ax <= az:
        e = store(e, 0, one)
    elif ay <= az:
        e = store(e, 1, one)
    else:
        e = store(e, 2, one)
    return normalize(cross(u, e))


def svd3(A):
    """SVD of a 3x3 matrix: (U, sigma, V) with A = U diag(sigma) V^T, U and V rotations,
    ``|sigma|`` decreasing, sigma[0], sigma[1] >= 0 and sigma[2] signed like det(A).

    Example
    -------
    >>> A = wp.mat33(1.0, 2.0, 3.0, 0.0, 4.0, 5.0, 1.0, 0.0, 6.0)
    >>> U, sigma, V = wp.svd3(A)
    >>> [round(s, 4) for s in sigma]
    [9.0607, 3.0444, 0.7976]
    >>> np.allclose(U * wp.diag(sigma) * wp.transpose(V), A, atol=1e-5)
    True
    """
    a = as_array(A).astype(np.float64)
    u, sig, vt = np.linalg.svd(a)
    v = vt.T
    if np.linalg.det(u) < 0:
        u[:, 2], sig[2] = -u[:, 2], -sig[2]
    if np.linalg.det(v) < 0:
        v[:, 2], sig[2] = -v[:, 2], -sig[2]
    return A._new(u), vector_class(3, A._dtype)(sig), A._new(v)


@implements(svd3)
def _ol_svd3(A):
    if not is_mat(A, square=True, floats=True, sizes=(3,)):
        return None
    ft = A.dtype
    tol = ft(_eps(ft) ** 2)
    small = ft(_eps(ft) * 4)
    V3 = vcls(3, ft)

    def impl(A):
        one = ft(1.0)
        eye = identity(3, ft)
        b, v = _one_sided_jacobi(A, eye, eye, 3, tol, one)
        b, v = _sort_columns(b, v, eye, 3, one)
        c0, c1, c2 = V3(b[0, 0], b[1, 0], b[2, 0]), V3(b[0, 1], b[1, 1], b[2, 1]), \
            V3(b[0, 2], b[1, 2], b[2, 2])
        s0 = length(c0)
        u0 = c0 * (one / s0) if s0 > ft(0.0) else V3(one, ft(0.0), ft(0.0))
        w = c1 - u0 * dot(c1, u0)
        u1 = normalize(w) if length(w) > small * s0 else _unit_perpendicular(u0, one)
        s1 = dot(c1, u1)
        if s1 < ft(0.0):
            u1, s1 = -u1, -s1
        u2 = cross(u0, u1)
        return matrix_from_cols(u0, u1, u2), V3(s0, s1, dot(c2, u2)), v

    return impl


def svd2(A):
    """SVD of a 2x2 matrix: (U, sigma, V) with A = U diag(sigma) V^T, sigma >= 0 and
    decreasing, U and V orthogonal (V a rotation).

    Example
    -------
    >>> A = wp.mat22(1.0, 2.0, 3.0, 4.0)
    >>> U, sigma, V = wp.svd2(A)
    >>> [round(s, 4) for s in sigma]
    [5.465, 0.366]
    >>> np.allclose(U * wp.diag(sigma) * wp.transpose(V), A, atol=1e-5)
    True
    """
    a = as_array(A).astype(np.float64)
    u, sig, vt = np.linalg.svd(a)
    v = vt.T
    if np.linalg.det(v) < 0:
        v[:, 1], u[:, 1] = -v[:, 1], -u[:, 1]
    return A._new(u), vector_class(2, A._dtype)(sig), A._new(v)


@implements(svd2)
def _ol_svd2(A):
    if not is_mat(A, square=True, floats=True, sizes=(2,)):
        return None
    ft = A.dtype
    tol = ft(_eps(ft) ** 2)
    V2 = vcls(2, ft)
    M2 = mcls(2, 2, ft)

    def impl(A):
        one = ft(1.0)
        eye = identity(2, ft)
        b, v = _one_sided_jacobi(A, eye, eye, 2, tol, one)
        b, v = _sort_columns(b, v, eye, 2, one)
        c0, c1 = V2(b[0, 0], b[1, 0]), V2(b[0, 1], b[1, 1])
        s0 = length(c0)
        u0 = c0 * (one / s0) if s0 > ft(0.0) else V2(one, ft(0.0))
        u1 = V2(-u0[1], u0[0])
        s1 = dot(c1, u1)
        if s1 < ft(0.0):
            u1, s1 = -u1, -s1
        return M2(u0[0], u1[0], u0[1], u1[1]), V2(s0, s1), v

    return impl


def qr3(A):
    """QR decomposition of a 3x3 matrix: (Q, R) with Q a rotation, R upper triangular.

    Example
    -------
    >>> A = wp.mat33(1.0, 2.0, 3.0, 0.0, 4.0, 5.0, 1.0, 0.0, 6.0)
    >>> Q, R = wp.qr3(A)
    >>> print(np.round(np.array(R), 4) + 0.0)  # (+ 0.0: no "-0.")
    [[1.4142 1.4142 6.364 ]
     [0.     4.2426 4.0069]
     [0.     0.     3.6667]]
    >>> np.allclose(Q * R, A, atol=1e-5), np.allclose(Q * wp.transpose(Q), np.eye(3), atol=1e-5)
    (True, True)
    """
    q, r = np.linalg.qr(as_array(A).astype(np.float64))
    d = np.sign(np.diag(r))
    d[d == 0] = 1
    q, r = q * d, (r.T * d).T  # nonnegative diagonal ...
    if np.linalg.det(q) < 0:  # ... except R[2, 2] where Q must stay a rotation
        q[:, 2], r[2] = -q[:, 2], -r[2]
    return A._new(q), A._new(r)


@implements(qr3)
def _ol_qr3(A):
    if not is_mat(A, square=True, floats=True, sizes=(3,)):
        return None
    ft = A.dtype

    def impl(A):
        eye = identity(3, ft)
        r = A
        q = eye
        for k in range(3):
            # zero r[2, 0] (rows 1, 2), then r[1, 0] (rows 0, 1), then r[2, 1] (rows 1, 2)
            p, i, col = (1, 2, 0) if k == 0 else ((0, 1, 0) if k == 1 else (1, 2, 1))
            x, y = r[p, col], r[i, col]
            h = math.sqrt(x * x + y * y)
            if y != ft(0.0) and h > ft(0.0):
                g = _plane_rotation(eye, p, i, x / h, y / h)
                r = g * r
                r = store(r, (i, col), ft(0.0))
                q = q * transpose(g)
        return q, r

    return impl


# -- adjoints ---------------------------------------------------------------------------
# Analytic adjoints of the decompositions as the forwards return them (signed last
# singular value, unsorted eigenvalues, R with nonnegative R[0,0], R[1,1]). The rotation
# terms divide by gaps between singular values squared (svd) or eigenvalues (eig3): like
# Warp, a gap below sqrt(eps) times the largest value is clamped to that size (keeping
# its sign), which keeps degenerate cases finite instead of zeroing their terms.


@jitable
def _pair(k):
    return (0, 1) if k == 0 else ((0, 2) if k == 1 else (1, 2))


@jitable
def _clamp_gap(gap, floor):
    if gap >= 0:
        return max(gap, floor)
    return min(gap, -floor)


@jitable
def _svd_adjoint(u, s, v, gu, gs, gv, n, rel, tiny):
    """Adjoint of A for A = U diag(s) V^T: A_bar = U P V^T where P holds gs on its
    diagonal and, per pair i < j, the adjoints of the rotations U^T dU and V^T dV."""
    x = transpose(u) * gu
    y = transpose(v) * gv
    p = diag(gs)
    floor = rel * s[0] * s[0] + tiny
    for k in range(n * (n - 1) // 2):
        i, j = _pair(k)
        gap = _clamp_gap(s[i] * s[i] - s[j] * s[j], floor)
        a = (x[j, i] - x[i, j]) / gap
        b = (y[j, i] - y[i, j]) / gap
        p = store(p, (i, j), a * s[j] + b * s[i])
        p = store(p, (j, i), a * s[i] + b * s[j])
    return u * p * transpose(v)


def _svd_rule(n):
    def rule(A, ret, adj_ret):
        if not is_mat(A, square=True, floats=True, sizes=(n,)):
            return None
        ft = A.dtype
        rel, tiny = ft(math.sqrt(_eps(ft))), ft(np.finfo(np.float32).tiny)

        def impl(A, ret, adj_ret):
            return (_svd_adjoint(ret[0], ret[1], ret[2], adj_ret[0], adj_ret[1], adj_ret[2],
                                 n, rel, tiny),)

        return impl

    rule.__name__ = f"adj_svd{n}"
    return adjoint(svd3 if n == 3 else svd2, typed=True)(rule)


adj_svd3 = _svd_rule(3)
adj_svd2 = _svd_rule(2)


@adjoint(eig3, typed=True)
def adj_eig3(A, ret, adj_ret):
    """G = Q (diag(d_bar) + F o (Q^T Q_bar)) Q^T with F_ij = 1 / (d_j - d_i); the forward
    reads the lower triangle, so G_ij + G_ji goes to A[i, j] for i > j, none above."""
    if not is_mat(A, square=True, floats=True, sizes=(3,)):
        return None
    ft = A.dtype
    rel, tiny = ft(math.sqrt(_eps(ft))), ft(np.finfo(np.float32).tiny)

    def impl(A, ret, adj_ret):
        q, d = ret
        x = transpose(q) * adj_ret[0]
        s = diag(adj_ret[1])
        floor = rel * max(abs(d[0]), max(abs(d[1]), abs(d[2]))) + tiny
        for k in range(3):
            i, j = _pair(k)
            f = ft(1.0) / _clamp_gap(d[j] - d[i], floor)
            s = store(store(s, (i, j), x[i, j] * f), (j, i), -x[j, i] * f)
        g = q * s * transpose(q)
        zero = ft(0.0)
        g = store(store(store(g, (1, 0), g[1, 0] + g[0, 1]), (2, 0), g[2, 0] + g[0, 2]),
                  (2, 1), g[2, 1] + g[1, 2])
        return (store(store(store(g, (0, 1), zero), (0, 2), zero), (1, 2), zero),)

    return impl


@adjoint(qr3)
def adj_qr3(A, ret, adj_ret):
    """A_bar = (Q_bar + Q copyltu(M)) R^-T with M = R R_bar^T - Q_bar^T Q, copyltu(M) the
    symmetric matrix with M's lower triangle (A square with full rank)."""
    q, r = ret
    gq, gr = adj_ret
    m = r * transpose(gr) - transpose(gq) * q
    m = store(store(store(m, (0, 1), m[1, 0]), (0, 2), m[2, 0]), (1, 2), m[2, 1])
    return ((gq + q * m) * inverse(transpose(r)),)
