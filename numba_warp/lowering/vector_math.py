"""Warp's "Vector Math" builtins on vectors, for kernels, plain Numba code and Python
scope (the matrix builtins are in ``matrix_math``).

Each builtin is one block in ``builtin``'s declaration form: a Python function (what
runs at Python scope, computing with NumPy on ``wp.vec*`` / ``wp.mat*`` values and
returning the same kinds of values), its Numba implementation (``@implements``: CPU
and CUDA alike) and its adjoint rule. Implementations are written once for every length
and dtype: loop bounds and result classes are captured from the argument types, so LLVM
sees fully unrolled straight-line code.

Semantics (Warp's): ``normalize`` of a zero vector is the zero vector (of a zero
quaternion the identity quaternion); ``argmin``/``argmax`` skip NaNs, return the first
index among ties, 0 if every component is NaN, as ``uint32``. Gradients follow Warp:
length/normalize of a zero vector have zero gradient; norm_l1 uses sign(0) = 1 (as abs).
Building a vector (``wp.vector(...)``, ``vec3(...)``) slices the result's adjoint
(``construct``).

This module also adds vector forms of ``wp.min``/``wp.max`` (component-wise on two
vectors, or the smallest/largest component of one) and ``wp.abs`` to the scalar
builtins of ``scalar_math`` (extra overloads of the same functions).
"""

from __future__ import annotations

import math

import numpy as np
from numba.core import types

from ..typing.mat import componentwise, flat_set
from ..typing.generic import vector as generic_vector
from ..typing.vec import vector
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
    nondifferentiable,
    scalar_out,
    vcls,
)
from .kernel_helpers import store

__all__ = [
    "dot", "cross", "length", "length_sq", "normalize", "cw_mul", "cw_div", "argmin",
    "argmax", "norm_l1", "norm_l2", "norm_huber", "norm_pseudo_huber", "smooth_normalize",
]

constructor(vector, generic_vector)


# ---------------------------------------------------------------------------------------
# Products and lengths
# ---------------------------------------------------------------------------------------


def dot(a, b):
    """Dot product of two vectors (or quaternions) of the same type.

    Example
    -------
    >>> wp.dot(wp.vec3(1.0, 2.0, 3.0), wp.vec3(4.0, 5.0, 6.0))
    32.0
    >>> wp.dot(wp.vec2i(1, 2), wp.vec2i(3, 4))
    11
    """
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


@adjoint(dot)
def adj_dot(a, b, ret, adj_ret):
    return scale(b, adj_ret), scale(a, adj_ret)


def cross(a, b):
    """Cross product of two 3D vectors.

    Example
    -------
    >>> wp.cross(wp.vec3(1.0, 0.0, 0.0), wp.vec3(0.0, 1.0, 0.0))
    vec3f(0.0, 0.0, 1.0)
    >>> wp.cross(wp.vec3(1.0, 2.0, 3.0), wp.vec3(4.0, 5.0, 6.0))
    vec3f(-3.0, 6.0, -3.0)
    """
    return a._new(np.cross(as_array(a), as_array(b)))


@implements(cross)
def _ol_cross(a, b):
    if is_vec(a, 3) and a == b:
        V = vcls(3, a.dtype, a.kind)

        def impl(a, b):
            return V(a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2],
                     a[0] * b[1] - a[1] * b[0])

        return impl


@adjoint(cross)
def adj_cross(a, b, ret, adj_ret):
    return cross(b, adj_ret), cross(adj_ret, a)


def length_sq(a):
    """Squared length of a vector or quaternion: dot(a, a).

    Example
    -------
    >>> wp.length_sq(wp.vec3(1.0, 2.0, 3.0))
    14.0
    """
    return dot(a, a)


@implements(length_sq)
def _ol_length_sq(a):
    if is_vec(a):
        return lambda a: dot(a, a)


@adjoint(length_sq)
def adj_length_sq(a, ret, adj_ret):
    return (scale(a, 2.0 * adj_ret),)


def length(a):
    """Euclidean length of a float vector or quaternion.

    Example
    -------
    >>> wp.length(wp.vec3(3.0, 4.0, 0.0))
    5.0
    >>> round(wp.length(wp.vec2(1.0, 1.0)), 6)
    1.414214
    """
    return scalar_out(np.sqrt(np.dot(as_array(a), as_array(a))))


@implements(length)
def _ol_length(a):
    if is_vec(a, floats=True):
        return lambda a: math.sqrt(dot(a, a))


def normalize(a):
    """a / length(a); if length(a) is 0, the zero vector (the identity for a quaternion).

    Example
    -------
    >>> [round(x, 5) for x in wp.normalize(wp.vec3(3.0, 0.0, 4.0))]
    [0.6, 0.0, 0.8]
    >>> wp.normalize(wp.vec3(0.0, 0.0, 0.0))
    vec3f(0.0, 0.0, 0.0)
    """
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


@adjoint(normalize)
def adj_normalize(a, ret, adj_ret):
    n = length(a)
    if n > 0.0:
        # (I - r r^T) / n applied to adj_ret, r = ret
        return (scale(adj_ret - scale(ret, dot(ret, adj_ret)), 1.0 / n),)
    return (adj_zero(a),)


# ---------------------------------------------------------------------------------------
# Component-wise products
# ---------------------------------------------------------------------------------------


def cw_mul(a, b):
    """Component-wise product of two vectors or matrices of the same type.

    Example
    -------
    >>> wp.cw_mul(wp.vec3(1.0, 2.0, 3.0), wp.vec3(4.0, 5.0, 6.0))
    vec3f(4.0, 10.0, 18.0)
    >>> wp.cw_mul(wp.mat22(1.0, 2.0, 3.0, 4.0), wp.mat22(2.0, 0.0, 1.0, -1.0))
    mat22f([2.0, 0.0], [3.0, -4.0])
    """
    return a._new(as_array(a) * as_array(b))


def cw_div(a, b):
    """Component-wise quotient of two vectors or matrices (integers truncate, as in C).

    Example
    -------
    >>> wp.cw_div(wp.vec3(6.0, 8.0, 9.0), wp.vec3(2.0, 4.0, 3.0))
    vec3f(3.0, 2.0, 3.0)
    >>> wp.cw_div(wp.vec2i(7, -7), wp.vec2i(2, 2))
    vec2i(3, -3)
    """
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
        if (is_vec(a) or is_mat(a)) and a == b:
            return componentwise(op, len(a))


_register_cw(cw_mul, _cw_mul_op)


_register_cw(cw_div, scalar_math.div)


@adjoint(cw_mul)
def adj_cw_mul(a, b, ret, adj_ret):
    return cw_mul(adj_ret, b), cw_mul(adj_ret, a)


@adjoint(cw_div)
def adj_cw_div(a, b, ret, adj_ret):
    ca = cw_div(adj_ret, b)
    return ca, neg(cw_mul(ca, ret))


# ---------------------------------------------------------------------------------------
# Norms
# ---------------------------------------------------------------------------------------


def norm_l1(v):
    """L1 norm: the sum of the absolute values of the components.

    Example
    -------
    >>> wp.norm_l1(wp.vec3(1.0, -2.0, 3.0))
    6.0
    """
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


@adjoint(norm_l1, typed=True)
def adj_norm_l1(v, ret, adj_ret):
    n = v.length

    def impl(v, ret, adj_ret):
        out = adj_zero(v)
        for i in range(n):
            out = flat_set(out, i, adj_ret if v[i] >= 0 else -adj_ret)
        return (out,)

    return impl


def norm_l2(v):
    """L2 norm: length(v).

    Example
    -------
    >>> wp.norm_l2(wp.vec3(3.0, -4.0, 0.0))
    5.0
    """
    return length(v)


@implements(norm_l2)
def _ol_norm_l2(v):
    if is_vec(v, floats=True):
        return lambda v: length(v)


@adjoint([length, norm_l2])
def adj_length(a, ret, adj_ret):
    if ret > 0.0:
        return (scale(a, adj_ret / ret),)
    return (adj_zero(a),)


def norm_huber(v, delta=1.0):
    """Huber norm: ``|v|^2 / 2`` if ``|v| <= delta``, else ``delta (|v| - delta / 2)``.

    Example
    -------
    >>> round(wp.norm_huber(wp.vec2(0.3, 0.4)), 6)  # |v| = 0.5 <= 1: 0.5 * 0.5**2
    0.125
    >>> wp.norm_huber(wp.vec2(3.0, 4.0)), wp.norm_huber(wp.vec2(3.0, 4.0), 2.0)
    (4.5, 8.0)
    """
    a = length(v)
    return 0.5 * a * a if a <= delta else delta * (a - 0.5 * delta)


def norm_pseudo_huber(v, delta=1.0):
    """Pseudo-Huber norm: ``delta * sqrt(1 + |v|^2 / delta^2)``.

    Example
    -------
    >>> round(wp.norm_pseudo_huber(wp.vec2(3.0, 4.0)), 5)  # sqrt(26)
    5.09902
    >>> round(wp.norm_pseudo_huber(wp.vec2(3.0, 4.0), 2.0), 5)  # 2 sqrt(1 + 25 / 4)
    5.38516
    """
    return delta * math.sqrt(1.0 + length_sq(v) / (delta * delta))


def smooth_normalize(v, delta=1.0):
    """v divided by its pseudo-Huber norm.

    Example
    -------
    >>> [round(x, 5) for x in wp.smooth_normalize(wp.vec2(3.0, 4.0))]  # (3, 4) / sqrt(26)
    [0.58835, 0.78446]
    >>> [round(x, 5) for x in wp.smooth_normalize(wp.vec2(3.0, 4.0), 0.1)]  # near normalize
    [0.59988, 0.79984]
    """
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
    """Index (uint32) of the smallest component; NaNs are skipped, ties take the first.

    Example
    -------
    >>> int(wp.argmin(wp.vec4(4.0, -1.0, 7.0, -1.0)))
    1
    >>> int(wp.argmin(wp.vec3(wp.nan, 2.0, 1.0)))
    2
    """
    return _arg_extreme(v, lambda x, b: x < b)


def argmax(v):
    """Index (uint32) of the largest component; NaNs are skipped, ties take the first.

    Example
    -------
    >>> int(wp.argmax(wp.vec4(1.0, 5.0, 3.0, 5.0)))
    1
    >>> int(wp.argmax(wp.vec3(2.0, wp.nan, 1.0)))
    0
    """
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


nondifferentiable(argmin, argmax)


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
