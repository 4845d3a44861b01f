"""Warp's "Vector Math" builtins, for kernels, plain Numba code and Python scope.

Each builtin is a Python function (what runs at Python scope, computing with NumPy on
``wp.vec*`` / ``wp.mat*`` values and returning the same kinds of values) followed by
its Numba overload (``target="generic"``: CPU and CUDA alike). Overload bodies are
written once for every length and dtype: loop bounds and result classes are captured
from the argument types, so LLVM sees fully unrolled straight-line code.

Semantics (Warp's): ``normalize`` of a zero vector is the zero vector (of a zero quaternion
the identity quaternion); ``inverse`` of a
singular matrix (determinant exactly 0) is the zero matrix; ``argmin``/``argmax`` skip
NaNs, return the first index among ties, 0 if every component is NaN, as ``uint32``;
The decompositions (``svd3``/``svd2``/``qr3``/``eig3``) live in ``decompositions.py``:
``svd3``/``svd2`` return ``(U, sigma, V)`` with ``A = U diag(sigma) V^T``, ``U`` and ``V``
rotations (determinant +1), sigma sorted by decreasing magnitude, every component but
the last nonnegative (the last carries the sign of ``det(A)``); ``qr3`` returns ``(Q, R)``
with ``Q`` a rotation and ``R`` upper triangular; ``eig3`` returns ``(Q, d)`` for a
symmetric matrix with ``Q`` a rotation whose columns are the eigenvectors. The
decompositions use Jacobi rotations (one-sided for the SVD) and Givens rotations (QR).

This module also adds vector forms of ``wp.min``/``wp.max`` (component-wise on two
vectors, or the smallest/largest component of one) and ``wp.abs`` to the scalar
builtins of ``scalar_math`` (extra overloads of the same functions).
"""

from __future__ import annotations

import math

import numpy as np
from numba.core import types
from numba.extending import intrinsic

from ..typing.mat import MatType, componentwise, flat_get, flat_set, matrix, matrix_class
from ..typing.scalars import WeakFloat, scalar_class_for, to_numba_type
from ..typing.vec import VecType, pack, unpack, vector, vector_class
from . import scalar_math
from .adjoint_values import adj_zero, neg, scale
from .builtin import (
    adjoint,
    as_array,
    constructor,
    implements,
    is_mat,
    is_number,
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
    "dot", "cross", "length", "length_sq", "normalize", "outer", "transpose", "determinant",
    "inverse", "inverse_approx", "identity", "diag", "get_diag", "trace", "cw_mul", "cw_div",
    "skew", "argmin", "argmax", "matrix_from_rows", "matrix_from_cols", "norm_l1", "norm_l2",
    "norm_huber", "norm_pseudo_huber", "smooth_normalize", "ddot",
]

# ---------------------------------------------------------------------------------------
# Products and lengths
# ---------------------------------------------------------------------------------------


def dot(a, b):
    """Dot product of two vectors (or quaternions) of the same type."""
    return scalar_out(np.dot(as_array(a), as_array(b)))


@implements(dot)
def _ol_dot(a, b):
    if is_vec(a) and a == b:
        n = a.length

        def impl(a, b):
            acc = a[0] * b[0]
            for i in range(1, n):
                acc += a[i] * b[i]
            return acc

        return impl


def cross(a, b):
    """Cross product of two 3D vectors."""
    return a._new(np.cross(as_array(a), as_array(b)))


@implements(cross)
def _ol_cross(a, b):
    if is_vec(a, 3) and a == b:
        V = vcls(3, a.dtype, a.kind)

        def impl(a, b):
            return V(a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2],
                     a[0] * b[1] - a[1] * b[0])

        return impl


def length_sq(a):
    """Squared length of a vector or quaternion: dot(a, a)."""
    return dot(a, a)


@implements(length_sq)
def _ol_length_sq(a):
    if is_vec(a):
        return lambda a: dot(a, a)


def length(a):
    """Euclidean length of a float vector or quaternion."""
    return scalar_out(np.sqrt(np.dot(as_array(a), as_array(a))))


@implements(length)
def _ol_length(a):
    if is_vec(a, floats=True):
        return lambda a: math.sqrt(dot(a, a))


def normalize(a):
    """a / length(a); if length(a) is 0, the zero vector (the identity for a quaternion)."""
    v = as_array(a)
    n = np.sqrt(np.dot(v, v))
    if n > 0:
        return a._new(v / n)
    zero = np.zeros_like(v)
    if getattr(a, "_kind", "") == "quaternion":
        zero[3] = 1
    return a._new(zero)


@implements(normalize)
def _ol_normalize(a):
    if is_vec(a, floats=True):
        ft = a.dtype
        V = vcls(a.length, ft, a.kind)
        last = a.length - 1
        # the zero vector, or for a quaternion (as in Warp) the identity rotation
        fill = 1.0 if a.kind == "quaternion" else 0.0

        def impl(a):
            n = math.sqrt(dot(a, a))
            if n > ft(0.0):
                return a * (ft(1.0) / n)
            return flat_set(V(), last, fill)

        return impl


def outer(a, b):
    """Outer product a b^T of two vectors: a len(a) x len(b) matrix."""
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


def cw_mul(a, b):
    """Component-wise product of two vectors or matrices of the same type."""
    return a._new(as_array(a) * as_array(b))


def cw_div(a, b):
    """Component-wise quotient of two vectors or matrices (integers truncate, as in C)."""
    if np.issubdtype(as_array(a).dtype, np.integer):
        return a._new([scalar_math.div(int(x), int(y))
                       for x, y in zip(as_array(a).reshape(-1), as_array(b).reshape(-1))])
    return a._new(as_array(a) / as_array(b))


def _cw_mul_op(x, y):
    return x * y


jitable(_cw_mul_op)


def _register_cw(fn, op):
    @implements(fn)
    def _ol(a, b):
        if isinstance(a, (VecType, MatType)) and a == b:
            return componentwise(op, len(a))


_register_cw(cw_mul, _cw_mul_op)
_register_cw(cw_div, scalar_math.div)


# ---------------------------------------------------------------------------------------
# Norms
# ---------------------------------------------------------------------------------------


def norm_l1(v):
    """L1 norm: the sum of the absolute values of the components."""
    return scalar_out(np.abs(as_array(v)).sum())


@implements(norm_l1)
def _ol_norm_l1(v):
    if is_vec(v, floats=True):
        n = v.length

        def impl(v):
            acc = abs(v[0])
            for i in range(1, n):
                acc += abs(v[i])
            return acc

        return impl


def norm_l2(v):
    """L2 norm: length(v)."""
    return length(v)


@implements(norm_l2)
def _ol_norm_l2(v):
    if is_vec(v, floats=True):
        return lambda v: length(v)


def norm_huber(v, delta=1.0):
    """Huber norm: |v|^2 / 2 if |v| <= delta, else delta (|v| - delta / 2)."""
    a = length(v)
    return 0.5 * a * a if a <= delta else delta * (a - 0.5 * delta)


def norm_pseudo_huber(v, delta=1.0):
    """Pseudo-Huber norm: delta * sqrt(1 + |v|^2 / delta^2)."""
    return delta * math.sqrt(1.0 + length_sq(v) / (delta * delta))


def smooth_normalize(v, delta=1.0):
    """v divided by its pseudo-Huber norm."""
    return v._new(as_array(v) / norm_pseudo_huber(v, delta))


def _delta_ok(delta):
    return delta is None or isinstance(delta, (types.Omitted, float, int)) or is_number(delta)


@implements(norm_huber)
def _ol_norm_huber(v, delta=1.0):
    if is_vec(v, floats=True) and _delta_ok(delta):
        ft = v.dtype

        def impl(v, delta=1.0):
            d = ft(delta)
            a = length(v)
            if a <= d:
                return ft(0.5) * a * a
            return d * (a - ft(0.5) * d)

        return impl


@implements(norm_pseudo_huber)
def _ol_norm_pseudo_huber(v, delta=1.0):
    if is_vec(v, floats=True) and _delta_ok(delta):
        ft = v.dtype

        def impl(v, delta=1.0):
            d = ft(delta)
            return d * math.sqrt(ft(1.0) + dot(v, v) / (d * d))

        return impl


@implements(smooth_normalize)
def _ol_smooth_normalize(v, delta=1.0):
    if is_vec(v, floats=True) and _delta_ok(delta):
        ft = v.dtype
        return lambda v, delta=1.0: v * (ft(1.0) / norm_pseudo_huber(v, ft(delta)))


# ---------------------------------------------------------------------------------------
# Reductions over components: argmin/argmax, and vector forms of min/max/abs
# ---------------------------------------------------------------------------------------


def _arg_extreme(v, better):
    best, idx = None, 0
    for i, x in enumerate(as_array(v).tolist()):
        if x == x and (best is None or better(x, best)):
            best, idx = x, i
    return idx


def argmin(v):
    """Index (uint32) of the smallest component; NaNs are skipped, ties take the first."""
    return _arg_extreme(v, lambda x, b: x < b)


def argmax(v):
    """Index (uint32) of the largest component; NaNs are skipped, ties take the first."""
    return _arg_extreme(v, lambda x, b: x > b)


def _register_arg(fn, less):
    @implements(fn)
    def _ol(v):
        if is_vec(v):
            n = v.length

            def impl(v):
                idx = 0
                best = v[0]
                for i in range(1, n):
                    x = v[i]
                    # `best != best`: the best so far is a NaN (only ever the first one)
                    if x == x and (best != best or (x < best if less else x > best)):
                        best = x
                        idx = i
                return types.uint32(idx)

            return impl


_register_arg(argmin, True)
_register_arg(argmax, False)


@implements(scalar_math.min)
def _ol_vec_min(a, b=None):
    return _vec_extreme(a, b, True)


@implements(scalar_math.max)
def _ol_vec_max(a, b=None):
    return _vec_extreme(a, b, False)


def _vec_extreme(a, b, less):
    """min/max of two same-typed vectors (component-wise) or of one vector's components."""
    if not is_vec(a):
        return None
    n = a.length
    if b is None or isinstance(b, (types.Omitted, types.NoneType)):

        # Warp's order and NaN rule: best = min(best, a[i]) from a[0], NaNs skipped
        def reduce(a, b=None):
            best = a[0]
            for i in range(1, n):
                x = a[i]
                if (best != best or x < best) if less else (best != best or x > best):
                    best = x
            return best

        return reduce
    if a != b:
        return None

    def pairwise(a, b=None):
        out = a
        for i in range(n):
            x, y = a[i], b[i]
            if less:
                z = x if x <= y else (y if y == y else x)
            else:
                z = x if x >= y else (y if y == y else x)
            out = store(out, i, z)
        return out

    return pairwise


@implements(scalar_math.abs)
def _ol_vec_abs(x):
    if is_vec(x):
        n = x.length

        def impl(x):
            out = x
            for i in range(n):
                out = store(out, i, abs(x[i]))
            return out

        return impl


# ---------------------------------------------------------------------------------------
# Matrix construction and structure
# ---------------------------------------------------------------------------------------


def identity(n, dtype=float):
    """The n x n identity matrix of ``dtype``."""
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


def diag(v):
    """The square matrix with the components of ``v`` on its diagonal."""
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


def get_diag(m):
    """The diagonal of a square matrix, as a vector."""
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


def trace(m):
    """Sum of the diagonal of a square matrix."""
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


def transpose(m):
    """The transpose of a matrix."""
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


def skew(v):
    """The skew-symmetric matrix of a 3D vector: skew(a) * b == cross(a, b)."""
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


def ddot(a, b):
    """Double dot product: the sum of the component-wise products of two matrices."""
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


def matrix_from_rows(*rows):
    """The matrix whose rows are the given vectors (all of one type)."""
    return matrix_value(np.stack([as_array(r) for r in rows]), rows[0]._dtype)


def matrix_from_cols(*cols):
    """The matrix whose columns are the given vectors (all of one type)."""
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


# ---------------------------------------------------------------------------------------
# Determinant and inverse (closed forms for 2x2, 3x3 and 4x4)
# ---------------------------------------------------------------------------------------


def determinant(m):
    """Determinant of a square 2x2, 3x3 or 4x4 float matrix."""
    return scalar_out(np.linalg.det(as_array(m).astype(np.float64)).astype(as_array(m).dtype))


def inverse(m):
    """Inverse of a square 2x2, 3x3 or 4x4 float matrix; the zero matrix if singular."""
    a = as_array(m)
    if np.linalg.det(a.astype(np.float64)) == 0:
        return m._new(np.zeros_like(a))
    return m._new(np.linalg.inv(a.astype(np.float64)))


def inverse_approx(m):
    """Approximate inverse; here the same as :func:`inverse` on every device."""
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


# -- adjoints ---------------------------------------------------------------------------
# One rule per differentiable builtin above: adj_f(inputs..., ret, adj_ret) returns the
# contributions to the inputs' adjoints (see lowering.registry). Conventions follow Warp:
# length/normalize of a zero vector and inverse of a singular matrix have zero gradient;
# norm_l1 uses sign(0) = 1 (as abs). Building a vector or matrix (wp.vector(...),
# wp.matrix(...), vec3(...), matrix_from_rows) slices the result's adjoint (construct).

constructor(vector, matrix, matrix_from_rows)


@adjoint(dot)
def adj_dot(a, b, ret, adj_ret):
    return scale(b, adj_ret), scale(a, adj_ret)


@adjoint(ddot)
def adj_ddot(a, b, ret, adj_ret):
    return scale(b, adj_ret), scale(a, adj_ret)


@adjoint(cross)
def adj_cross(a, b, ret, adj_ret):
    return cross(b, adj_ret), cross(adj_ret, a)


@adjoint(length_sq)
def adj_length_sq(a, ret, adj_ret):
    return (scale(a, 2.0 * adj_ret),)


@adjoint([length, norm_l2])
def adj_length(a, ret, adj_ret):
    if ret > 0.0:
        return (scale(a, adj_ret / ret),)
    return (adj_zero(a),)


@adjoint(normalize)
def adj_normalize(a, ret, adj_ret):
    n = length(a)
    if n > 0.0:
        # (I - r r^T) / n applied to adj_ret, r = ret
        return (scale(adj_ret - scale(ret, dot(ret, adj_ret)), 1.0 / n),)
    return (adj_zero(a),)


@adjoint(outer)
def adj_outer(a, b, ret, adj_ret):
    return adj_ret * b, transpose(adj_ret) * a


@adjoint(transpose)
def adj_transpose(m, ret, adj_ret):
    return (transpose(adj_ret),)


@adjoint(determinant, typed=True)
def adj_determinant(m, ret, adj_ret):
    # d det / dm = the cofactor matrix, the transposed adjugate (exact even if singular)
    n = m.shape[0]
    adj = {2: _adj2, 3: _adj3, 4: _adj4}[n]
    M = mcls(n, n, m.dtype)

    def impl(m, ret, adj_ret):
        return (scale(transpose(M(*adj(m))), adj_ret),)

    return impl


@adjoint([inverse, inverse_approx])
def adj_inverse(m, ret, adj_ret):
    # -R^T adj R^T; zero for a singular m (ret is the zero matrix)
    rt = transpose(ret)
    return (neg(rt * adj_ret * rt),)


@adjoint(diag)
def adj_diag(v, ret, adj_ret):
    return (get_diag(adj_ret),)


@adjoint(get_diag)
def adj_get_diag(m, ret, adj_ret):
    return (diag(adj_ret),)


@adjoint(trace, typed=True)
def adj_trace(m, ret, adj_ret):
    n = m.shape[0]

    def impl(m, ret, adj_ret):
        out = adj_zero(m)
        for i in range(n):
            out = store(out, (i, i), adj_ret)
        return (out,)

    return impl


@adjoint(cw_mul)
def adj_cw_mul(a, b, ret, adj_ret):
    return cw_mul(adj_ret, b), cw_mul(adj_ret, a)


@adjoint(cw_div)
def adj_cw_div(a, b, ret, adj_ret):
    ca = cw_div(adj_ret, b)
    return ca, neg(cw_mul(ca, ret))


@adjoint(skew)
def adj_skew(v, ret, adj_ret):
    w = adj_ret
    out = flat_set(adj_zero(v), 0, w[2, 1] - w[1, 2])
    out = flat_set(out, 1, w[0, 2] - w[2, 0])
    return (flat_set(out, 2, w[1, 0] - w[0, 1]),)


@adjoint(matrix_from_cols, typed=True)
def adj_matrix_from_cols(*args):
    # matrix_from_cols(c...) == transpose(matrix_from_rows(c...)): slice the transpose
    def impl(*args):
        return adj_construct(args[:-2], transpose(args[-2]), transpose(args[-1]))

    return impl


@adjoint(norm_l1, typed=True)
def adj_norm_l1(v, ret, adj_ret):
    n = v.length

    def impl(v, ret, adj_ret):
        out = adj_zero(v)
        for i in range(n):
            out = flat_set(out, i, adj_ret if v[i] >= 0 else -adj_ret)
        return (out,)

    return impl


@jitable
def _huber_grads(v, d, ret, adj_ret):
    a = length(v)
    if a <= d:
        return scale(v, adj_ret), 0.0 * adj_ret
    return scale(v, d * adj_ret / a), (a - d) * adj_ret


@jitable
def _pseudo_huber_grads(v, d, ret, adj_ret):
    # ret = sqrt(d^2 + |v|^2) (times sign(d)): d ret / dv = v / ret, d ret / dd = d / ret
    return scale(v, adj_ret / ret), d * adj_ret / ret


@jitable
def _smooth_normalize_grads(v, d, ret, adj_ret):
    p = norm_pseudo_huber(v, d)
    s = dot(ret, adj_ret)
    return scale(adj_ret - scale(ret, s), 1.0 / p), -s * d / (p * p)


def _delta_rule(builtin, grads):
    """Rule of f(v, delta=1.0), called as (v, ret, adj), (v, delta, ret, adj) or with
    delta= as a keyword: contributions to v (and to delta when it is positional)."""

    @adjoint(builtin, typed=True)
    def rule(v, x, y, z=None, delta=None):
        if z is not None and not isinstance(z, types.Omitted):
            return lambda v, x, y, z=None, delta=None: grads(v, x, y, z)
        if delta is not None and not isinstance(delta, types.Omitted):
            return lambda v, x, y, z=None, delta=None: (grads(v, delta, x, y)[0],)
        return lambda v, x, y, z=None, delta=None: (grads(v, 1.0, x, y)[0],)

    rule.__name__ = f"adj_{builtin.__name__}"
    return rule


_delta_rule(norm_huber, _huber_grads)
_delta_rule(norm_pseudo_huber, _pseudo_huber_grads)
_delta_rule(smooth_normalize, _smooth_normalize_grads)

nondifferentiable(argmin, argmax, identity)
