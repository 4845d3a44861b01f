"""Warp's "Vector Math" builtins on matrices, for kernels, plain Numba code and Python
scope (the vector builtins are in ``vector_math``, the decompositions in
``decompositions``).

Each builtin is one block in ``builtin``'s declaration form: a Python function (NumPy
at Python scope), its Numba implementation (``@implements``) and its adjoint rule (see
``vector_math`` for the conventions).

Semantics (Warp's): ``inverse`` of a singular matrix (determinant exactly 0) is the zero
matrix, with zero gradient. Building a matrix (``wp.matrix(...)``, ``matrix_from_rows``)
slices the result's adjoint (``construct``). The decompositions
(``svd3``/``svd2``/``qr3``/``eig3``, in ``decompositions.py``): ``svd3``/``svd2`` return
``(U, sigma, V)`` with ``A = U diag(sigma) V^T``, ``U`` and ``V`` rotations (determinant
+1), sigma sorted by decreasing magnitude, every component but the last nonnegative (the
last carries the sign of ``det(A)``); ``qr3`` returns ``(Q, R)`` with ``Q`` a rotation
and ``R`` upper triangular; ``eig3`` returns ``(Q, d)`` for a symmetric matrix with ``Q``
a rotation whose columns are the eigenvectors. The decompositions use Jacobi rotations
(one-sided for the SVD) and Givens rotations (QR).
"""

from __future__ import annotations

import numpy as np
from numba.core import types
from numba.extending import intrinsic

from ..typing.generic import matrix as generic_matrix
from ..typing.mat import flat_get, flat_set, matrix, matrix_class
from ..typing.scalars import WeakFloat, scalar_class_for, to_numba_type
from ..typing.vec import pack, unpack, vector_class
from .adjoint_values import adj_zero, neg, scale
from .builtin import (
    adjoint,
    as_array,
    constructor,
    implements,
    is_mat,
    is_vec,
    jitable,
    matrix_value,
    mcls,
    nondifferentiable,
    scalar_out,
    vcls,
)
from .construct import adj_construct
from .kernel_helpers import store

__all__ = [
    "outer", "transpose", "determinant", "inverse", "inverse_approx", "identity", "diag",
    "get_diag", "trace", "skew", "matrix_from_rows", "matrix_from_cols", "ddot",
]

constructor(matrix, generic_matrix)


# ---------------------------------------------------------------------------------------
# Construction and structure
# ---------------------------------------------------------------------------------------


def outer(a, b):
    """Outer product a b^T of two vectors: a len(a) x len(b) matrix.

    Example
    -------
    >>> wp.outer(wp.vec2(1.0, 2.0), wp.vec3(3.0, 4.0, 5.0))
    mat23f([3.0, 4.0, 5.0], [6.0, 8.0, 10.0])
    """
    kind = "spatial_matrix" if getattr(a, "_kind", "") == "spatial_vector" else "matrix"
    return matrix_value(np.outer(as_array(a), as_array(b)), a._dtype, kind)


@implements(outer)
def _ol_outer(a, b):
    if is_vec(a) and is_vec(b) and a.dtype == b.dtype:
        r, c = a.length, b.length
        kind = "spatial_matrix" if a.kind == b.kind == "spatial_vector" else "matrix"
        M = mcls(r, c, a.dtype, kind)

        def impl(a, b):
            m = M()
            for i in range(r):
                for j in range(c):
                    m = store(m, (i, j), a[i] * b[j])
            return m

        return impl


@adjoint(outer)
def adj_outer(a, b, ret, adj_ret):
    return adj_ret * b, transpose(adj_ret) * a


def identity(n, dtype=float):
    """The n x n identity matrix of ``dtype``.

    Example
    -------
    >>> wp.identity(2, dtype=float)
    mat22f([1.0, 0.0], [0.0, 1.0])
    >>> wp.identity(n=3, dtype=wp.float64).dtype is wp.float64
    True
    """
    return matrix_class((n, n), dtype)(np.eye(n))


def _dtype_of(t):
    """Numba scalar type named by a ``dtype`` argument's type in a kernel."""
    if isinstance(t, types.NumberClass):
        return t.instance_type
    if isinstance(t, types.Function) and t.typing_key in (float, int):
        return to_numba_type(t.typing_key)
    if isinstance(t, types.Omitted):
        return to_numba_type(t.value)
    if isinstance(t, types.DType):
        return t.dtype
    return None


@implements(identity, prefer_literal=True)
def _ol_identity(n, dtype=float):
    dt = _dtype_of(dtype)
    if dt is None:
        return None
    if isinstance(dt, WeakFloat):
        dt = types.float32
    if not isinstance(n, types.IntegerLiteral):
        raise TypeError("wp.identity(n, dtype): n must be a constant integer")
    size = n.literal_value
    M = mcls(size, size, dt)
    one = scalar_class_for(dt)._numba_type

    def impl(n, dtype=float):
        m = M()
        for i in range(size):
            m = store(m, (i, i), one(1))
        return m

    return impl


nondifferentiable(identity)


def diag(v):
    """The square matrix with the components of ``v`` on its diagonal.

    Example
    -------
    >>> wp.diag(wp.vec3(1.0, 2.0, 3.0))
    mat33f([1.0, 0.0, 0.0], [0.0, 2.0, 0.0], [0.0, 0.0, 3.0])
    """
    return matrix_value(np.diag(as_array(v)), v._dtype)


@implements(diag)
def _ol_diag(v):
    if is_vec(v):
        n = v.length
        M = mcls(n, n, v.dtype)

        def impl(v):
            m = M()
            for i in range(n):
                m = store(m, (i, i), v[i])
            return m

        return impl


@adjoint(diag)
def adj_diag(v, ret, adj_ret):
    return (get_diag(adj_ret),)


def get_diag(m):
    """The diagonal of a square matrix, as a vector.

    Example
    -------
    >>> wp.get_diag(wp.mat22(1.0, 2.0, 3.0, 4.0))
    vec2f(1.0, 4.0)
    """
    return vector_class(m._shape[0], m._dtype)(np.diag(as_array(m)))


@implements(get_diag)
def _ol_get_diag(m):
    if is_mat(m, square=True):
        n = m.shape[0]
        V = vcls(n, m.dtype)

        def impl(m):
            v = V()
            for i in range(n):
                v = store(v, i, m[i, i])
            return v

        return impl


@adjoint(get_diag)
def adj_get_diag(m, ret, adj_ret):
    return (diag(adj_ret),)


def trace(m):
    """Sum of the diagonal of a square matrix.

    Example
    -------
    >>> wp.trace(wp.mat22(1.0, 2.0, 3.0, 4.0))
    5.0
    """
    return scalar_out(np.trace(as_array(m)))


@implements(trace)
def _ol_trace(m):
    if is_mat(m, square=True):
        n = m.shape[0]

        def impl(m):
            acc = m[0, 0]
            for i in range(1, n):
                acc += m[i, i]
            return acc

        return impl


@adjoint(trace, typed=True)
def adj_trace(m, ret, adj_ret):
    n = m.shape[0]

    def impl(m, ret, adj_ret):
        out = adj_zero(m)
        for i in range(n):
            out = store(out, (i, i), adj_ret)
        return (out,)

    return impl


def transpose(m):
    """The transpose of a matrix.

    Example
    -------
    >>> wp.transpose(wp.mat22(1.0, 2.0, 3.0, 4.0))
    mat22f([1.0, 3.0], [2.0, 4.0])
    >>> wp.transpose(wp.matrix_from_rows(wp.vec3(1.0, 2.0, 3.0), wp.vec3(4.0, 5.0, 6.0)))
    mat32f([1.0, 4.0], [2.0, 5.0], [3.0, 6.0])
    """
    return matrix_value(as_array(m).T, m._dtype, m._numba_type.kind)


@implements(transpose)
def _ol_transpose(m):
    if is_mat(m):
        r, c = m.shape
        M = mcls(c, r, m.dtype, m.kind if r == c else "matrix")

        def impl(m):
            t = M()
            for i in range(r):
                for j in range(c):
                    t = store(t, (j, i), m[i, j])
            return t

        return impl


@adjoint(transpose)
def adj_transpose(m, ret, adj_ret):
    return (transpose(adj_ret),)


def skew(v):
    """The skew-symmetric matrix of a 3D vector: skew(a) * b == cross(a, b).

    Example
    -------
    >>> wp.skew(wp.vec3(1.0, 2.0, 3.0))
    mat33f([0.0, -3.0, 2.0], [3.0, 0.0, -1.0], [-2.0, 1.0, 0.0])
    >>> wp.skew(wp.vec3(1.0, 2.0, 3.0)) * wp.vec3(4.0, 5.0, 6.0)  # cross((1, 2, 3), (4, 5, 6))
    vec3f(-3.0, 6.0, -3.0)
    """
    x, y, z = as_array(v).tolist()
    return matrix_value([[0, -z, y], [z, 0, -x], [-y, x, 0]], v._dtype)


@implements(skew)
def _ol_skew(v):
    if is_vec(v, 3):
        M = mcls(3, 3, v.dtype)
        ft = v.dtype

        def impl(v):
            x, y, z = v[0], v[1], v[2]
            zero = ft(0)
            return M(zero, -z, y, z, zero, -x, -y, x, zero)

        return impl


@adjoint(skew)
def adj_skew(v, ret, adj_ret):
    w = adj_ret
    out = flat_set(adj_zero(v), 0, w[2, 1] - w[1, 2])
    out = flat_set(out, 1, w[0, 2] - w[2, 0])
    return (flat_set(out, 2, w[1, 0] - w[0, 1]),)


def ddot(a, b):
    """Double dot product: the sum of the component-wise products of two matrices.

    Example
    -------
    >>> wp.ddot(wp.mat22(1.0, 2.0, 3.0, 4.0), wp.mat22(1.0, 0.0, 2.0, 1.0))  # 1 + 6 + 4
    11.0
    """
    return scalar_out((as_array(a) * as_array(b)).sum())


@implements(ddot)
def _ol_ddot(a, b):
    if is_mat(a) and a == b:
        n = a.count

        def impl(a, b):
            acc = flat_get(a, 0) * flat_get(b, 0)
            for i in range(1, n):
                acc += flat_get(a, i) * flat_get(b, i)
            return acc

        return impl


@adjoint(ddot)
def adj_ddot(a, b, ret, adj_ret):
    return scale(b, adj_ret), scale(a, adj_ret)


# ---------------------------------------------------------------------------------------
# Matrices from vectors
# ---------------------------------------------------------------------------------------


def matrix_from_rows(*rows):
    """The matrix whose rows are the given vectors (all of one type).

    Example
    -------
    >>> wp.matrix_from_rows(wp.vec2(1.0, 2.0), wp.vec2(3.0, 4.0))
    mat22f([1.0, 2.0], [3.0, 4.0])
    >>> wp.matrix_from_rows(wp.vec3(1.0, 2.0, 3.0), wp.vec3(4.0, 5.0, 6.0)).shape
    (2, 3)
    """
    return matrix_value(np.stack([as_array(r) for r in rows]), rows[0]._dtype)


def matrix_from_cols(*cols):
    """The matrix whose columns are the given vectors (all of one type).

    Example
    -------
    >>> wp.matrix_from_cols(wp.vec2(1.0, 2.0), wp.vec2(3.0, 4.0))
    mat22f([1.0, 3.0], [2.0, 4.0])
    >>> wp.matrix_from_cols(wp.vec3(1.0, 2.0, 3.0), wp.vec3(4.0, 5.0, 6.0)).shape
    (3, 2)
    """
    return matrix_value(np.stack([as_array(c) for c in cols], axis=1), cols[0]._dtype)


def _stacker(by_rows):
    @intrinsic
    def stack(typingctx, vs):
        """A matrix from a tuple of vectors, as its rows (or its columns)."""
        k, n = len(vs), vs[0].length
        shape = (k, n) if by_rows else (n, k)
        mt = mcls(*shape, vs[0].dtype)._numba_type

        def codegen(context, builder, sig, args):
            comps = [unpack(builder, builder.extract_value(args[0], i), n) for i in range(k)]
            if by_rows:
                flat = [c for vec in comps for c in vec]
            else:
                flat = [comps[j][i] for i in range(n) for j in range(k)]
            return pack(context, builder, mt, flat)

        return mt(vs), codegen

    return stack


def _register_from_vectors(fn, by_rows):
    stack = _stacker(by_rows)

    @implements(fn)
    def _ol(*vs):
        if vs and all(is_vec(v) and v.dtype == vs[0].dtype and v.length == vs[0].length
                      for v in vs):
            return lambda *vs: stack(vs)
        if vs:
            raise TypeError(f"wp.{fn.__name__}() takes vectors of one length and dtype, got "
                            f"({', '.join(map(str, vs))})")


_register_from_vectors(matrix_from_rows, True)


_register_from_vectors(matrix_from_cols, False)


constructor(matrix_from_rows)


@adjoint(matrix_from_cols, typed=True)
def adj_matrix_from_cols(*args):
    # matrix_from_cols(c...) == transpose(matrix_from_rows(c...)): slice the transpose
    def impl(*args):
        return adj_construct(args[:-2], transpose(args[-2]), transpose(args[-1]))

    return impl


# ---------------------------------------------------------------------------------------
# Determinant and inverse (closed forms for 2x2, 3x3 and 4x4)
# ---------------------------------------------------------------------------------------


def determinant(m):
    """Determinant of a square 2x2, 3x3 or 4x4 float matrix.

    Example
    -------
    >>> wp.determinant(wp.mat22(1.0, 2.0, 3.0, 4.0))
    -2.0
    >>> round(wp.determinant(wp.mat33(2.0, 0.0, 0.0, 0.0, 3.0, 0.0, 1.0, 0.0, 4.0)), 4)
    24.0
    """
    return scalar_out(np.linalg.det(as_array(m).astype(np.float64)).astype(as_array(m).dtype))


def inverse(m):
    """Inverse of a square 2x2, 3x3 or 4x4 float matrix; the zero matrix if singular.

    Example
    -------
    >>> wp.inverse(wp.mat22(1.0, 2.0, 3.0, 4.0))
    mat22f([-2.0, 1.0], [1.5, -0.5])
    >>> wp.inverse(wp.mat22(1.0, 2.0, 2.0, 4.0))  # singular
    mat22f([0.0, 0.0], [0.0, 0.0])
    """
    a = as_array(m)
    if np.linalg.det(a.astype(np.float64)) == 0:
        return m._new(np.zeros_like(a))
    return m._new(np.linalg.inv(a.astype(np.float64)))


def inverse_approx(m):
    """Approximate inverse; here the same as :func:`inverse` on every device.

    Example
    -------
    >>> wp.inverse_approx(wp.mat22(1.0, 2.0, 3.0, 4.0))
    mat22f([-2.0, 1.0], [1.5, -0.5])
    """
    return inverse(m)


@jitable
def _det2(m):
    return m[0, 0] * m[1, 1] - m[0, 1] * m[1, 0]


@jitable
def _det3(m):
    return (m[0, 0] * (m[1, 1] * m[2, 2] - m[1, 2] * m[2, 1])
            - m[0, 1] * (m[1, 0] * m[2, 2] - m[1, 2] * m[2, 0])
            + m[0, 2] * (m[1, 0] * m[2, 1] - m[1, 1] * m[2, 0]))


@jitable
def _minors4(m):
    """2x2 minors of rows (0, 1) and of rows (2, 3) of a 4x4 matrix."""
    s = (m[0, 0] * m[1, 1] - m[1, 0] * m[0, 1], m[0, 0] * m[1, 2] - m[1, 0] * m[0, 2],
         m[0, 0] * m[1, 3] - m[1, 0] * m[0, 3], m[0, 1] * m[1, 2] - m[1, 1] * m[0, 2],
         m[0, 1] * m[1, 3] - m[1, 1] * m[0, 3], m[0, 2] * m[1, 3] - m[1, 2] * m[0, 3])
    c = (m[2, 0] * m[3, 1] - m[3, 0] * m[2, 1], m[2, 0] * m[3, 2] - m[3, 0] * m[2, 2],
         m[2, 0] * m[3, 3] - m[3, 0] * m[2, 3], m[2, 1] * m[3, 2] - m[3, 1] * m[2, 2],
         m[2, 1] * m[3, 3] - m[3, 1] * m[2, 3], m[2, 2] * m[3, 3] - m[3, 2] * m[2, 3])
    return s, c


@jitable
def _det4(m):
    s, c = _minors4(m)
    return s[0] * c[5] - s[1] * c[4] + s[2] * c[3] + s[3] * c[2] - s[4] * c[1] + s[5] * c[0]


@implements(determinant)
def _ol_determinant(m):
    if is_mat(m, square=True, floats=True, sizes=(2, 3, 4)):
        return {2: lambda m: _det2(m), 3: lambda m: _det3(m), 4: lambda m: _det4(m)}[
            m.shape[0]]


@adjoint(determinant, typed=True)
def adj_determinant(m, ret, adj_ret):
    # d det / dm = the cofactor matrix, the transposed adjugate (exact even if singular)
    n = m.shape[0]
    adj = {2: _adj2, 3: _adj3, 4: _adj4}[n]
    M = mcls(n, n, m.dtype)

    def impl(m, ret, adj_ret):
        return (scale(transpose(M(*adj(m))), adj_ret),)

    return impl


@jitable
def _adj2(m):
    return (m[1, 1], -m[0, 1], -m[1, 0], m[0, 0])  # Numba negates with fsub (no fneg)


@jitable
def _adj3(m):
    a, b, c = m[0, 0], m[0, 1], m[0, 2]
    d, e, f = m[1, 0], m[1, 1], m[1, 2]
    g, h, k = m[2, 0], m[2, 1], m[2, 2]
    return (e * k - f * h, c * h - b * k, b * f - c * e,
            f * g - d * k, a * k - c * g, c * d - a * f,
            d * h - e * g, b * g - a * h, a * e - b * d)


@jitable
def _adj4(m):
    s, c = _minors4(m)
    return (m[1, 1] * c[5] - m[1, 2] * c[4] + m[1, 3] * c[3],
            m[0, 2] * c[4] - m[0, 1] * c[5] - m[0, 3] * c[3],
            m[3, 1] * s[5] - m[3, 2] * s[4] + m[3, 3] * s[3],
            m[2, 2] * s[4] - m[2, 1] * s[5] - m[2, 3] * s[3],
            m[1, 2] * c[2] - m[1, 0] * c[5] - m[1, 3] * c[1],
            m[0, 0] * c[5] - m[0, 2] * c[2] + m[0, 3] * c[1],
            m[3, 2] * s[2] - m[3, 0] * s[5] - m[3, 3] * s[1],
            m[2, 0] * s[5] - m[2, 2] * s[2] + m[2, 3] * s[1],
            m[1, 0] * c[4] - m[1, 1] * c[2] + m[1, 3] * c[0],
            m[0, 1] * c[2] - m[0, 0] * c[4] - m[0, 3] * c[0],
            m[3, 0] * s[4] - m[3, 1] * s[2] + m[3, 3] * s[0],
            m[2, 1] * s[2] - m[2, 0] * s[4] - m[2, 3] * s[0],
            m[1, 1] * c[1] - m[1, 0] * c[3] - m[1, 2] * c[0],
            m[0, 0] * c[3] - m[0, 1] * c[1] + m[0, 2] * c[0],
            m[3, 1] * s[1] - m[3, 0] * s[3] - m[3, 2] * s[0],
            m[2, 0] * s[3] - m[2, 1] * s[1] + m[2, 2] * s[0])


def _register_inverse(fn):
    @implements(fn)
    def _ol(m):
        if not is_mat(m, square=True, floats=True, sizes=(2, 3, 4)):
            return None
        n, ft = m.shape[0], m.dtype
        det, adj = {2: (_det2, _adj2), 3: (_det3, _adj3), 4: (_det4, _adj4)}[n]
        M = mcls(n, n, ft, m.kind)

        def impl(m):
            d = det(m)
            if d == ft(0.0):
                return M()
            return M(*adj(m)) * (ft(1.0) / d)

        return impl


_register_inverse(inverse)


_register_inverse(inverse_approx)


@adjoint([inverse, inverse_approx])
def adj_inverse(m, ret, adj_ret):
    # -R^T adj R^T; zero for a singular m (ret is the zero matrix)
    rt = transpose(ret)
    return (neg(rt * adj_ret * rt),)
