"""Warp's special scalar functions and interpolation (``erfinv``, ``erfcinv``,
``copysign``, ``bit_count``, ``lerp``, ``smoothstep``), for kernels, plain Numba code and
Python scope; re-exported by ``scalar_math`` (same contract).
"""

from __future__ import annotations

import math

from numba import njit
from numba.core import types

from ..typing.mat import flat_get
from .adjoint_values import scale
from .builtin import (
    adjoint,
    float_like,
    implements,
    is_int,
    is_scalar,
    nondifferentiable,
    same_kind_result,
    unary_adjoint,
)

__all__ = [
    "bit_count", "copysign", "erfcinv", "erfinv", "lerp", "smoothstep",
]

_SQRT_PI = math.sqrt(math.pi)


def copysign(x, y):
    """``|x|`` with the sign of y.

    Example
    -------
    >>> wp.copysign(3.0, -1.0), wp.copysign(-2.0, 0.5)
    (-3.0, 2.0)
    """
    return math.copysign(float(x), float(y))


@implements(copysign)
def _ol_copysign(x, y):
    if is_scalar(x) and is_scalar(y):
        t = same_kind_result(x, y, float_only=True)
        return lambda x, y: math.copysign(t(x), t(y))


@adjoint(copysign)
def adj_copysign(x, y, ret, adj_ret):
    same = (x >= 0.0) == (ret >= 0.0)
    return (adj_ret if same else -adj_ret), 0.0 * y


def _erfinv_py(y):
    # Giles (2010), "Approximating the erfinv function", single-precision branch,
    # followed by two Newton steps, which bring it to double precision.
    if y <= -1.0:
        return -math.inf
    if y >= 1.0:
        return math.inf
    w = -math.log((1.0 - y) * (1.0 + y))
    if w < 5.0:
        w = w - 2.5
        p = 2.81022636e-08
        for c in (3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
                  -0.00125372503, -0.00417768164, 0.246640727, 1.50140941):
            p = c + p * w
    else:
        w = math.sqrt(w) - 3.0
        p = -0.000200214257
        for c in (0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
                  -0.0076224613, 0.00943887047, 1.00167406, 2.83297682):
            p = c + p * w
    x = p * y
    for _ in range(2):
        err = math.erf(x) - y
        x -= err / (2.0 / math.sqrt(math.pi) * math.exp(-x * x))
    return x


def erfinv(x):
    """Inverse error function (±inf at ±1, NaN outside [-1, 1]).

    Example
    -------
    >>> round(wp.erfinv(0.5), 6), round(wp.erf(wp.erfinv(0.3)), 6)
    (0.476936, 0.3)
    >>> wp.erfinv(1.0), wp.isnan(wp.erfinv(2.0))
    (inf, True)
    """
    x = float(x)
    return math.nan if abs(x) > 1.0 else _erfinv_py(x)


def erfcinv(x):
    """Inverse complementary error function: erfinv(1 - x).

    Example
    -------
    >>> round(wp.erfcinv(0.25), 6), round(wp.erfc(wp.erfcinv(0.25)), 6)
    (0.81342, 0.25)
    """
    return erfinv(1.0 - float(x))


@implements(erfinv)
def _ol_erfinv(x):
    if is_scalar(x):
        t = float_like(x)
        core = njit(_erfinv_py)

        def impl(x):
            y = float(x)
            if math.fabs(y) > 1.0:
                return t(math.nan)
            return t(core(y))

        return impl


@implements(erfcinv)
def _ol_erfcinv(x):
    if is_scalar(x):
        t = float_like(x)
        return lambda x: t(erfinv(1.0 - float(x)))


unary_adjoint(erfinv, lambda x, r: 0.5 * _SQRT_PI * math.exp(r * r))
unary_adjoint(erfcinv, lambda x, r: -0.5 * _SQRT_PI * math.exp(r * r))


def bit_count(x):
    """Number of set bits in the integer x, in its type's width (a Python int is an int32,
    as in Warp, unless it needs 64 bits).

    Example
    -------
    >>> wp.bit_count(255), wp.bit_count(0b1011), wp.bit_count(0)
    (8, 3, 0)
    >>> wp.bit_count(-1), wp.bit_count(wp.int64(-1))  # all bits of an int32, of an int64
    (32, 64)
    """
    dt = getattr(type(x), "_np_dtype", None)
    if dt is not None:
        bits = dt.itemsize * 8
    else:
        bits = 32 if -(1 << 31) <= int(x) < (1 << 32) else 64
    return bin(int(x) & ((1 << bits) - 1)).count("1")


@implements(bit_count)
def _ol_bit_count(x):
    if is_int(x):
        u = types.uint64
        mask = u((1 << x.bitwidth) - 1) if x.bitwidth < 64 else u(0xFFFFFFFFFFFFFFFF)
        rt = x

        def impl(x):
            v = u(x) & mask
            n = 0
            while v:
                v &= v - u(1)
                n += 1
            return rt(n)

        return impl


nondifferentiable(bit_count)


def lerp(a, b, t):
    """Linear interpolation: a * (1 - t) + b * t (component-wise for vectors, matrices,
    quaternions and transforms).

    Example
    -------
    >>> wp.lerp(0.0, 10.0, 0.25)
    2.5
    >>> wp.lerp(wp.vec2(0.0, 0.0), wp.vec2(2.0, 4.0), 0.5)
    vec2f(1.0, 2.0)
    """
    return a * (1.0 - t) + b * t


@implements(lerp)
def _ol_lerp(a, b, t):
    if is_scalar(a) and is_scalar(b) and is_scalar(t):
        ft = same_kind_result(a, same_kind_result(b, t), float_only=True)
        return lambda a, b, t: ft(a) * (ft(1.0) - ft(t)) + ft(b) * ft(t)


@adjoint(lerp, typed=True)
def adj_lerp(a, b, t, ret, adj_ret):
    if is_scalar(a):
        return lambda a, b, t, ret, adj_ret: (adj_ret * (1.0 - t), adj_ret * t,
                                              (b - a) * adj_ret)
    # vectors, matrices, quaternions, transforms: component-wise; the gradient in t sums
    # over the components
    n = len(a)

    def impl(a, b, t, ret, adj_ret):
        gt = (flat_get(b, 0) - flat_get(a, 0)) * flat_get(adj_ret, 0)
        for k in range(1, n):
            gt += (flat_get(b, k) - flat_get(a, k)) * flat_get(adj_ret, k)
        return scale(adj_ret, 1.0 - t), scale(adj_ret, t), gt

    return impl


def smoothstep(a, b, x):
    """Smooth Hermite step from 0 at x <= a to 1 at x >= b.

    Example
    -------
    >>> wp.smoothstep(0.0, 1.0, 0.25), wp.smoothstep(0.0, 1.0, 0.5)  # 3 t^2 - 2 t^3
    (0.15625, 0.5)
    >>> wp.smoothstep(0.0, 1.0, -1.0), wp.smoothstep(0.0, 1.0, 2.0)
    (0.0, 1.0)
    """
    t = min(max((x - a) / (b - a), 0.0), 1.0)
    return t * t * (3.0 - 2.0 * t)


@implements(smoothstep)
def _ol_smoothstep(a, b, x):
    if is_scalar(a) and is_scalar(b) and is_scalar(x):
        ft = same_kind_result(a, same_kind_result(b, x), float_only=True)

        def impl(a, b, x):
            t = (ft(x) - ft(a)) / (ft(b) - ft(a))
            t = ft(0.0) if t < 0 else (ft(1.0) if t > 1 else t)
            return t * t * (ft(3.0) - ft(2.0) * t)

        return impl


@adjoint(smoothstep)
def adj_smoothstep(a, b, x, ret, adj_ret):
    t = (x - a) / (b - a)
    if t <= 0.0 or t >= 1.0:
        z = 0.0 * adj_ret
        return z, z, z
    g = 6.0 * t * (1.0 - t) * adj_ret / (b - a)
    return g * (x - b) / (b - a), -g * t, g
