"""Warp's "Scalar Math" builtins, for kernels, plain Numba code and Python scope.

Each builtin is one block in ``builtin``'s declaration form: a Python function (which
is also what runs at Python scope), its Numba implementation used in kernels on both
targets and its adjoint rule (or its no-gradient mark). Semantics follow Warp's
documentation: ``sign(0) == 1``, ``step(x) = 1 if x < 0``, ``acos``/``asin`` clamp their
input to [-1, 1], ``round`` rounds half away from zero and ``rint`` half to even, ``mod``
is C's truncated remainder. Subgradients follow Warp: abs has gradient 1 at 0; min/max
send the gradient to the argument they returned; rounding functions, sign, step and
nonzero have gradient 0.

The special functions and interpolation (``erfinv``, ``lerp``, ``smoothstep``...) live in
``scalar_special`` and are re-exported here, so this module's ``__all__`` names every
scalar builtin.
"""

from __future__ import annotations

import functools
import math
import operator

import numpy as np
from llvmlite import ir
from numba.core import cgutils, types
from numba.extending import intrinsic

from ..typing.mat import flat_get, flat_set
from ..typing.scalars import c_int_div, c_int_rem
from .adjoint_values import adj_zero
from .builtin import (
    adjoint,
    float_like,
    implements,
    is_int,
    is_scalar,
    jitable,
    nondifferentiable,
    same_kind_result,
    unary_adjoint,
)
from .atomics import is_cuda_context
from .intops import c_div, c_fmod, c_rem, integer_operator
from .scalar_special import bit_count, copysign, erfcinv, erfinv, lerp, smoothstep

__all__ = [
    "abs", "acos", "asin", "atan", "atan2", "bit_count", "cbrt", "ceil", "clamp",
    "copysign", "cos", "cosh", "degrees", "div", "erf", "erfc", "erfcinv", "erfinv", "exp",
    "floor", "floordiv", "frac", "isfinite", "isinf", "isnan", "lerp", "log", "log2",
    "log10", "max", "min", "mod", "nonzero", "pow", "radians", "rint", "round", "sign",
    "sin", "sinh", "smoothstep", "sqrt", "step", "tan", "tanh", "trunc",
]


# ---------------------------------------------------------------------------------------
# Elementary functions
# ---------------------------------------------------------------------------------------


_builtin_abs, _builtin_min, _builtin_max, _builtin_round = abs, min, max, round
_LN2 = math.log(2.0)
_LN10 = math.log(10.0)
_SQRT_PI = math.sqrt(math.pi)


def _unary_float(name, pyfn, doc):
    """A float function of one scalar: float in, same float out; ints as float32."""

    def wrapper(x):
        return pyfn(float(x))

    wrapper.__name__ = wrapper.__qualname__ = name
    wrapper.__doc__ = doc

    @implements(wrapper)
    def _ol(x):
        if is_scalar(x):
            ft = float_like(x)

            def impl(x):
                return ft(pyfn(ft(x)))

            return impl

    return wrapper


def _unary_rounding(name, pyfn, doc):
    """floor/ceil/trunc: a float result of the argument's float type."""

    def wrapper(x):
        return float(pyfn(float(x)))

    wrapper.__name__ = wrapper.__qualname__ = name
    wrapper.__doc__ = doc

    @implements(wrapper)
    def _ol(x):
        if is_scalar(x):
            ft = float_like(x)

            if ft in (types.float32, types.float64):
                # one instruction on the CPU (roundss) and on CUDA (cvt.rmi): the LLVM
                # intrinsic, not the C library call that math.floor becomes on the CPU
                rounding = _LLVM_ROUNDING[name]
                return lambda x: rounding(ft(x))

            def impl(x):
                y = ft(x)
                # |y| >= 2**52 is already integral (also passes NaN and inf through),
                # and math.floor's int64 result would overflow there.
                return ft(pyfn(y)) if math.fabs(y) < 4503599627370496.0 else y

            return impl

    return wrapper


def _llvm_rounding(which: str):
    """An intrinsic: ``llvm.<which>`` of a float32 or float64 (``floor``, ``ceil``,
    ``trunc``; NaN and infinities pass through, as in C). On CUDA, libdevice's
    ``__nv_<which>[f]`` (the same instruction): NVVM does not take these LLVM intrinsics
    (its verifier rejects the module)."""

    @intrinsic
    def rounding(typingctx, x):
        if x not in (types.float32, types.float64):
            return None

        def codegen(context, builder, sig, args):
            ty = args[0].type
            if is_cuda_context(context):
                name = f"__nv_{which}{'f' if x == types.float32 else ''}"
                fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ty, [ty]),
                                                    name)
            else:
                fn = builder.module.declare_intrinsic(f"llvm.{which}", [ty])
            return builder.call(fn, [args[0]])

        return x(x), codegen

    return rounding


_LLVM_ROUNDING = {n: _llvm_rounding(n) for n in ("floor", "ceil", "trunc")}


sqrt = _unary_float("sqrt", math.sqrt, """Square root of x (NaN for x < 0).

Example
-------
>>> wp.sqrt(16.0), round(wp.sqrt(2.0), 6)
(4.0, 1.414214)
""")
unary_adjoint(sqrt, lambda x, r: 0.5 / r)
exp = _unary_float("exp", math.exp, """e raised to the power x.

Example
-------
>>> wp.exp(0.0), round(wp.exp(1.0), 6)
(1.0, 2.718282)
""")
unary_adjoint(exp, lambda x, r: r)
log = _unary_float("log", math.log, """Natural logarithm of x.

Example
-------
>>> round(wp.log(wp.e ** 2), 6), round(wp.log(10.0), 6)
(2.0, 2.302585)
""")
unary_adjoint(log, lambda x, r: 1.0 / x)
log2 = _unary_float("log2", math.log2, """Base-2 logarithm of x.

Example
-------
>>> round(wp.log2(8.0), 6), round(wp.log2(0.5), 6)
(3.0, -1.0)
""")
unary_adjoint(log2, lambda x, r: 1.0 / (x * _LN2))
log10 = _unary_float("log10", math.log10, """Base-10 logarithm of x.

Example
-------
>>> round(wp.log10(1000.0), 6), round(wp.log10(0.01), 6)
(3.0, -2.0)
""")
unary_adjoint(log10, lambda x, r: 1.0 / (x * _LN10))
sin = _unary_float("sin", math.sin, """Sine of x (radians).

Example
-------
>>> round(wp.sin(wp.pi / 6.0), 6), round(wp.sin(1.0), 6)
(0.5, 0.841471)
""")
unary_adjoint(sin, lambda x, r: math.cos(x))
cos = _unary_float("cos", math.cos, """Cosine of x (radians).

Example
-------
>>> round(wp.cos(wp.pi / 3.0), 6), round(wp.cos(1.0), 6)
(0.5, 0.540302)
""")
unary_adjoint(cos, lambda x, r: -math.sin(x))
tan = _unary_float("tan", math.tan, """Tangent of x (radians).

Example
-------
>>> round(wp.tan(wp.pi / 4.0), 6), round(wp.tan(1.0), 6)
(1.0, 1.557408)
""")
unary_adjoint(tan, lambda x, r: 1.0 + r * r)
atan = _unary_float("atan", math.atan, """Arctangent of x.

Example
-------
>>> round(wp.atan(1.0), 6), round(wp.atan(-1.0e10), 6)  # pi / 4, -pi / 2
(0.785398, -1.570796)
""")
unary_adjoint(atan, lambda x, r: 1.0 / (1.0 + x * x))
sinh = _unary_float("sinh", math.sinh, """Hyperbolic sine of x.

Example
-------
>>> round(wp.sinh(1.0), 6), round(wp.sinh(-1.0), 6)
(1.175201, -1.175201)
""")
unary_adjoint(sinh, lambda x, r: math.cosh(x))
cosh = _unary_float("cosh", math.cosh, """Hyperbolic cosine of x.

Example
-------
>>> wp.cosh(0.0), round(wp.cosh(1.0), 6)
(1.0, 1.543081)
""")
unary_adjoint(cosh, lambda x, r: math.sinh(x))
tanh = _unary_float("tanh", math.tanh, """Hyperbolic tangent of x.

Example
-------
>>> round(wp.tanh(0.5), 6), round(wp.tanh(20.0), 6)
(0.462117, 1.0)
""")
unary_adjoint(tanh, lambda x, r: 1.0 - r * r)
erf = _unary_float("erf", math.erf, """Error function of x.

Example
-------
>>> round(wp.erf(0.5), 6), round(wp.erf(-3.0), 6)
(0.5205, -0.999978)
""")
unary_adjoint(erf, lambda x, r: 2.0 / _SQRT_PI * math.exp(-x * x))
erfc = _unary_float("erfc", math.erfc, """Complementary error function of x.

Example
-------
>>> round(wp.erfc(0.5), 6), round(wp.erfc(0.0), 6)  # 1 - erf(x)
(0.4795, 1.0)
""")
unary_adjoint(erfc, lambda x, r: -2.0 / _SQRT_PI * math.exp(-x * x))
floor = _unary_rounding("floor", math.floor, """Largest integer <= x.

Example
-------
>>> wp.floor(1.7), wp.floor(-1.5)
(1.0, -2.0)
""")
ceil = _unary_rounding("ceil", math.ceil, """Smallest integer >= x.

Example
-------
>>> wp.ceil(1.2), wp.ceil(-1.5)
(2.0, -1.0)
""")
trunc = _unary_rounding("trunc", math.trunc, """x rounded toward zero.

Example
-------
>>> wp.trunc(1.7), wp.trunc(-1.7)
(1.0, -1.0)
""")
for _f in (floor, ceil, trunc):
    unary_adjoint(_f, lambda x, r: 0.0 * x)


def _clamp_unit(x):
    return _builtin_min(_builtin_max(x, -1.0), 1.0)


def acos(x):
    """Arccosine of x; x is clamped to [-1, 1] first, as in Warp.

    Example
    -------
    >>> round(wp.acos(0.5), 6)  # pi / 3
    1.047198
    >>> wp.acos(1.5)  # clamped: acos(1.0)
    0.0
    """
    return math.acos(_clamp_unit(float(x)))


def asin(x):
    """Arcsine of x; x is clamped to [-1, 1] first, as in Warp.

    Example
    -------
    >>> round(wp.asin(0.5), 6)  # pi / 6
    0.523599
    >>> round(wp.asin(-2.0), 6)  # clamped: asin(-1.0) = -pi / 2
    -1.570796
    """
    return math.asin(_clamp_unit(float(x)))


for _fn, _m in ((acos, math.acos), (asin, math.asin)):

    def _register(fn=_fn, m=_m):
        @implements(fn)
        def _ol(x):
            if is_scalar(x):
                ft = float_like(x)

                def impl(x):
                    y = ft(x)
                    return m(ft(-1.0) if y < -1.0 else (ft(1.0) if y > 1.0 else y))

                return impl

    _register()


# asin/acos clamp their input to [-1, 1]: zero gradient outside, and at the clamp
unary_adjoint(asin, lambda x, r: 1.0 / math.sqrt(1.0 - x * x) if -1.0 < x < 1.0 else 0.0 * x)
unary_adjoint(acos, lambda x, r: -1.0 / math.sqrt(1.0 - x * x) if -1.0 < x < 1.0 else 0.0 * x)


def atan2(y, x):
    """Angle of the point (x, y), in radians.

    Example
    -------
    >>> round(wp.atan2(1.0, -1.0), 6)  # 3 pi / 4: y first, then x
    2.356194
    >>> round(wp.atan2(-1.0, 0.0), 6)
    -1.570796
    """
    return math.atan2(float(y), float(x))


@implements(atan2)
def _ol_atan2(y, x):
    if is_scalar(y) and is_scalar(x):
        ft = same_kind_result(y, x, float_only=True)
        return lambda y, x: math.atan2(ft(y), ft(x))


@adjoint(atan2)
def adj_atan2(y, x, ret, adj_ret):
    d = x * x + y * y
    if d > 0:
        return adj_ret * x / d, -adj_ret * y / d
    return adj_ret * x, adj_ret * y  # zero at the origin, as in Warp (not 0 / 0)


def pow(x, y):
    """x raised to the power y.

    Example
    -------
    >>> wp.pow(2.0, 10.0), round(wp.pow(9.0, 0.5), 6), wp.pow(-2.0, 3.0)
    (1024.0, 3.0, -8.0)
    >>> wp.pow(-8.0, 1.0 / 3.0)  # a negative base, a fractional exponent
    nan
    """
    x, y = float(x), float(y)
    if x < 0.0 and not y.is_integer():
        return math.nan  # as in kernels (and C's pow), not Python's complex result
    return math.pow(x, y) if x >= 0.0 else x ** y


@implements(pow)
def _ol_pow(x, y):
    if is_scalar(x) and is_scalar(y):
        ft = same_kind_result(x, y, float_only=True)
        return lambda x, y: ft(x) ** ft(y)


# pow's rule is the operator's, a ** b (operator_rules.adj_pow)


def cbrt(x):
    """Cube root of x (negative for negative x).

    Example
    -------
    >>> round(wp.cbrt(-27.0), 6), round(wp.cbrt(2.0), 6)
    (-3.0, 1.259921)
    """
    x = float(x)
    return math.copysign(_builtin_abs(x) ** (1.0 / 3.0), x)


@implements(cbrt)
def _ol_cbrt(x):
    if is_scalar(x):
        ft = float_like(x)

        def impl(x):
            y = ft(x)
            r = ft(math.pow(math.fabs(y), ft(1.0) / ft(3.0)))
            return -r if y < 0 else r

        return impl


unary_adjoint(cbrt, lambda x, r: 1.0 / (3.0 * r * r))


# ---------------------------------------------------------------------------------------
# Sign, absolute value, min, max, clamp
# ---------------------------------------------------------------------------------------


def abs(x):
    """Absolute value of x (component-wise for vectors).

    Example
    -------
    >>> wp.abs(-2.5), wp.abs(-3)
    (2.5, 3)
    >>> wp.abs(wp.vec3(-1.0, 2.0, -3.0))
    vec3f(1.0, 2.0, 3.0)
    """
    if hasattr(x, "_new"):
        return x._new(np.abs(x._v))
    return _builtin_abs(x)


@implements(abs)
def _ol_abs(x):
    if is_int(x) and not x.signed:
        return lambda x: x
    if is_int(x):
        return lambda x: -x if x < 0 else x
    if is_scalar(x):
        t = float_like(x)
        return lambda x: math.fabs(t(x))


@adjoint(abs, typed=True)
def adj_abs(x, ret, adj_ret):
    if is_scalar(x):
        return lambda x, ret, adj_ret: (adj_ret if x >= 0 else -adj_ret,)
    n = len(x)

    def impl(x, ret, adj_ret):
        out = adj_ret
        for k in range(n):
            if flat_get(x, k) < 0:
                out = flat_set(out, k, -flat_get(adj_ret, k))
        return (out,)

    return impl


def sign(x):
    """-1 if x < 0, else 1 (Warp's convention: sign(0) == 1); component-wise for vectors.

    Example
    -------
    >>> wp.sign(-2.5) == -1.0, wp.sign(0.0) == 1.0
    (True, True)
    >>> wp.sign(wp.vec3(-2.0, 0.0, 3.0))
    vec3f(-1.0, 1.0, 1.0)
    """
    if hasattr(x, "_new"):
        return x._new(np.where(x._v < 0, -1, 1))
    if isinstance(x, int) and not isinstance(x, bool):
        return -1 if x < 0 else 1
    return -1.0 if x < 0 else 1.0  # a float for floats, as in kernels


@implements(sign)
def _ol_sign(x):
    if is_scalar(x):
        t = float_like(x) if isinstance(x, types.Float) else x
        return lambda x: t(-1) if x < 0 else t(1)


@adjoint(sign)
def adj_sign(x, ret, adj_ret):
    return (adj_zero(x),)


def _fmin(a, b):
    """Warp's rule for floats (C's fmin): a NaN operand loses to a number; ties take a."""
    return a if a <= b else (b if b == b else a)


def _fmax(a, b):
    return a if a >= b else (b if b == b else a)


def min(a, b=None):
    """The smaller of a and b (component-wise for vectors); min(v): the smallest component.
    NaN follows Warp (and C's fmin): min(nan, x) = min(x, nan) = x.

    Example
    -------
    >>> wp.min(3, 5), wp.min(2.5, -1.0), wp.min(wp.nan, 4.0)
    (3, -1.0, 4.0)
    >>> wp.min(wp.vec3(1.0, 5.0, 3.0), wp.vec3(4.0, 2.0, 6.0))
    vec3f(1.0, 2.0, 3.0)
    >>> wp.min(wp.vec3(4.0, 2.0, 6.0))
    2.0
    """
    if b is None:
        return functools.reduce(_fmin, a._v.tolist())
    if hasattr(a, "_new"):
        return a._new(np.fmin(a._v, getattr(b, "_v", b)))
    return _fmin(a, b)


def max(a, b=None):
    """The larger of a and b (component-wise for vectors); max(v): the largest component.
    NaN follows Warp (and C's fmax): max(nan, x) = max(x, nan) = x.

    Example
    -------
    >>> wp.max(3, 5), wp.max(2.5, -1.0), wp.max(wp.nan, 4.0)
    (5, 2.5, 4.0)
    >>> wp.max(wp.vec3(1.0, 5.0, 3.0), wp.vec3(4.0, 2.0, 6.0))
    vec3f(4.0, 5.0, 6.0)
    >>> wp.max(wp.vec3(4.0, 2.0, 6.0))
    6.0
    """
    if b is None:
        return functools.reduce(_fmax, a._v.tolist())
    if hasattr(a, "_new"):
        return a._new(np.fmax(a._v, getattr(b, "_v", b)))
    return _fmax(a, b)


@implements(min)
def _ol_min(a, b):
    if is_scalar(a) and is_scalar(b):
        t = same_kind_result(a, b)

        def impl(a, b):
            x, y = t(a), t(b)
            return x if x <= y else (y if y == y else x)

        return impl


@implements(max)
def _ol_max(a, b):
    if is_scalar(a) and is_scalar(b):
        t = same_kind_result(a, b)

        def impl(a, b):
            x, y = t(a), t(b)
            return x if x >= y else (y if y == y else x)

        return impl


def _minmax_rule(builtin, pick_first):
    @adjoint(builtin, typed=True)
    def rule(a, b=None, ret=None, adj_ret=None):
        if adj_ret is None:
            # one argument, min(v)/max(v): the selected component gets the gradient
            n = len(a)

            def impl1(a, ret, adj_ret):
                out = adj_zero(a)
                for k in range(n):
                    if flat_get(a, k) == ret:
                        return (flat_set(out, k, adj_ret),)
                # every component NaN: the forward returned the first one
                return (flat_set(out, 0, adj_ret),)

            return impl1
        if is_scalar(a) and is_scalar(b):
            def impl(a, b, ret, adj_ret):
                if pick_first(a, b):
                    return adj_ret, 0.0 * adj_ret
                return 0.0 * adj_ret, adj_ret

            return impl
        n = len(a)

        def implv(a, b, ret, adj_ret):
            ga = adj_zero(a)
            gb = adj_zero(b)
            for k in range(n):
                if pick_first(flat_get(a, k), flat_get(b, k)):
                    ga = flat_set(ga, k, flat_get(adj_ret, k))
                else:
                    gb = flat_set(gb, k, flat_get(adj_ret, k))
            return ga, gb

        return implv

    rule.__name__ = f"adj_{builtin.__name__}"
    return rule


# Which operand min/max picked, as Warp routes the gradient: the number when the other
# operand is NaN, the smaller (larger) one otherwise, the second on ties.
@jitable
def _less(a, b):
    return a == a and (b != b or a < b)


@jitable
def _greater(a, b):
    return a == a and (b != b or a > b)


_minmax_rule(min, _less)


_minmax_rule(max, _greater)


def clamp(x, a, b):
    """x limited to the range [a, b], computed as Warp does: min(max(a, x), b), so a NaN x
    gives a, a NaN bound is ignored, and b wins when a > b.

    Example
    -------
    >>> wp.clamp(1.5, 0.0, 1.0), wp.clamp(0.25, 0.0, 1.0), wp.clamp(-3, 0, 10)
    (1.0, 0.25, 0)
    """
    return _fmin(_fmax(a, x), b)


@implements(clamp)
def _ol_clamp(x, a, b):
    if is_scalar(x) and is_scalar(a) and is_scalar(b):
        t = same_kind_result(x, same_kind_result(a, b))

        def impl(x, a, b):
            lo, hi, v = t(a), t(b), t(x)
            m = lo if lo >= v else (v if v == v else lo)
            return m if m <= hi else (hi if hi == hi else m)

        return impl


@adjoint(clamp)
def adj_clamp(x, a, b, ret, adj_ret):
    # the chain rule through Warp's forward, min(max(a, x), b)
    z = 0.0 * adj_ret
    m = max(a, x)
    if not _less(m, b):
        return z, z, adj_ret
    if _greater(a, x):
        return z, adj_ret, z
    return adj_ret, z, z


# ---------------------------------------------------------------------------------------
# Steps, angles, rounding, classification
# ---------------------------------------------------------------------------------------


def step(x):
    """1.0 if x < 0, else 0.0 (Warp's definition).

    Example
    -------
    >>> wp.step(-1.0), wp.step(0.0), wp.step(2.0)
    (1.0, 0.0, 0.0)
    """
    return 1.0 if x < 0 else 0.0


def nonzero(x):
    """1.0 if x != 0, else 0.0.

    Example
    -------
    >>> wp.nonzero(-3.0), wp.nonzero(0.0), wp.nonzero(0.5)
    (1.0, 0.0, 1.0)
    """
    return 1.0 if x != 0 else 0.0


for _fn, _test in ((step, lambda x: x < 0), (nonzero, lambda x: x != 0)):

    def _register(fn=_fn):
        @implements(fn)
        def _ol(x):
            if is_scalar(x):
                t = float_like(x)
                if fn is step:
                    return lambda x: t(1.0) if x < 0 else t(0.0)
                return lambda x: t(1.0) if x != 0 else t(0.0)

    _register()


def degrees(x):
    """Radians to degrees.

    Example
    -------
    >>> round(wp.degrees(wp.pi), 6), round(wp.degrees(1.0), 4)
    (180.0, 57.2958)
    """
    return float(x) * (180.0 / math.pi)


def radians(x):
    """Degrees to radians.

    Example
    -------
    >>> round(wp.radians(180.0), 6), round(wp.radians(90.0), 6)
    (3.141593, 1.570796)
    """
    return float(x) * (math.pi / 180.0)


for _fn, _factor in ((degrees, 180.0 / math.pi), (radians, math.pi / 180.0)):

    def _register(fn=_fn, factor=_factor):
        @implements(fn)
        def _ol(x):
            if is_scalar(x):
                t = float_like(x)
                return lambda x: t(x) * t(factor)

    _register()


unary_adjoint(degrees, lambda x, r: 180.0 / math.pi + 0.0 * x)
unary_adjoint(radians, lambda x, r: math.pi / 180.0 + 0.0 * x)


def round(x):
    """x rounded to the nearest integer, halves away from zero.

    Example
    -------
    >>> wp.round(2.5), wp.round(-2.5), wp.round(2.4)
    (3.0, -3.0, 2.0)
    """
    x = float(x)
    return math.copysign(math.floor(_builtin_abs(x) + 0.5), x)


def rint(x):
    """x rounded to the nearest integer, halves to even.

    Example
    -------
    >>> wp.rint(2.5), wp.rint(3.5), wp.rint(-2.5), wp.rint(2.6)
    (2.0, 4.0, -2.0, 3.0)
    """
    return float(_builtin_round(float(x)))


def frac(x):
    """Fractional part of x: x - trunc(x).

    Example
    -------
    >>> wp.frac(2.75), wp.frac(-2.75)
    (0.75, -0.75)
    """
    x = float(x)
    return x - math.trunc(x)


@implements(round)
def _ol_round(x):
    if is_scalar(x):
        t = float_like(x)

        def impl(x):
            y = t(x)
            r = floor(math.fabs(y) + t(0.5))
            return math.copysign(r, y)

        return impl


@implements(rint)
def _ol_rint(x):
    if is_scalar(x):
        t = float_like(x)

        def impl(x):
            y = t(x)
            f = floor(y)
            d = y - f
            if d > t(0.5):
                return f + t(1.0)
            if d < t(0.5):
                return f
            return f if c_fmod(f, t(2.0)) == 0 else f + t(1.0)

        return impl


@implements(frac)
def _ol_frac(x):
    if is_scalar(x):
        t = float_like(x)
        return lambda x: t(x) - trunc(t(x))


unary_adjoint(frac, lambda x, r: 1.0 + 0.0 * x)
for _f in (round, rint, step, nonzero):
    unary_adjoint(_f, lambda x, r: 0.0 * x)


def isfinite(x):
    """True if x is neither infinite nor NaN (vectors, matrices: every component).

    Example
    -------
    >>> wp.isfinite(1.0), wp.isfinite(wp.inf), wp.isfinite(wp.nan)
    (True, False, False)
    >>> wp.isfinite(wp.vec2(1.0, wp.inf))
    False
    """
    if hasattr(x, "_v"):
        return bool(np.all(np.isfinite(x._v)))
    return math.isfinite(float(x))


def isnan(x):
    """True if x is NaN (vectors, matrices: some component).

    Example
    -------
    >>> wp.isnan(wp.nan), wp.isnan(1.0), wp.isnan(wp.inf)
    (True, False, False)
    >>> wp.isnan(wp.vec2(0.0, wp.nan))
    True
    """
    if hasattr(x, "_v"):
        return bool(np.any(np.isnan(x._v)))
    return math.isnan(float(x))


def isinf(x):
    """True if x is +inf or -inf (vectors, matrices: some component).

    Example
    -------
    >>> wp.isinf(-wp.inf), wp.isinf(1.0e30), wp.isinf(wp.nan)
    (True, False, False)
    >>> wp.isinf(wp.vec3(0.0, wp.inf, 1.0))
    True
    """
    if hasattr(x, "_v"):
        return bool(np.any(np.isinf(x._v)))
    return math.isinf(float(x))


for _fn, _m in ((isfinite, math.isfinite), (isnan, math.isnan), (isinf, math.isinf)):

    def _register(fn=_fn, m=_m):
        @implements(fn)
        def _ol(x):
            if is_int(x):
                return lambda x: fn is isfinite
            if is_scalar(x):
                return lambda x: m(x)

    _register()


nondifferentiable(isfinite, isnan, isinf)


# ---------------------------------------------------------------------------------------
# Division family
# ---------------------------------------------------------------------------------------


def div(a, b):
    """a / b; integer operands divide with truncation toward zero (C semantics).

    Example
    -------
    >>> wp.div(7, 2), wp.div(-7, 2), wp.div(7.0, 2.0)
    (3, -3, 3.5)
    """
    if isinstance(a, int) and isinstance(b, int):
        return c_int_div(a, b)
    return a / b


def mod(a, b):
    """Remainder with the sign of a (C's fmod / truncated remainder); component-wise for
    vectors.

    Example
    -------
    >>> wp.mod(7, 3), wp.mod(-7, 3), wp.mod(-7.5, 2.0)
    (1, -1, -1.5)
    """
    if hasattr(a, "_new"):
        return a._new([mod(x, y) for x, y in zip(a, b)])
    if isinstance(a, int) and isinstance(b, int):
        return c_int_rem(a, b)
    return math.fmod(a, b)


def floordiv(a, b):
    """Floor division: floor(a / b); integers stay in their type (INT_MIN // -1 wraps,
    x // 0 is 0).

    Example
    -------
    >>> wp.floordiv(7, 2), wp.floordiv(-7, 2), wp.floordiv(7.5, 2.0)
    (3, -4, 3.0)
    """
    return a // b


integer_operator(floordiv, operator.floordiv, "floordiv", "//")


@implements(div)
def _ol_div(a, b):
    if is_int(a) and is_int(b):
        return lambda a, b: c_div(a, b)
    return lambda a, b: a / b


@implements(mod)
def _ol_mod(a, b):
    if is_int(a) and is_int(b):
        return lambda a, b: c_rem(a, b)
    if is_scalar(a) and is_scalar(b):
        t = same_kind_result(a, b, float_only=True)
        return lambda a, b: c_fmod(t(a), t(b))


nondifferentiable(floordiv)
