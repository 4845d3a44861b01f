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


sqrt = _unary_float("sqrt", math.sqrt, "Square root of x (NaN for x < 0).")
unary_adjoint(sqrt, lambda x, r: 0.5 / r)
exp = _unary_float("exp", math.exp, "e raised to the power x.")
unary_adjoint(exp, lambda x, r: r)
log = _unary_float("log", math.log, "Natural logarithm of x.")
unary_adjoint(log, lambda x, r: 1.0 / x)
log2 = _unary_float("log2", math.log2, "Base-2 logarithm of x.")
unary_adjoint(log2, lambda x, r: 1.0 / (x * _LN2))
log10 = _unary_float("log10", math.log10, "Base-10 logarithm of x.")
unary_adjoint(log10, lambda x, r: 1.0 / (x * _LN10))
sin = _unary_float("sin", math.sin, "Sine of x (radians).")
unary_adjoint(sin, lambda x, r: math.cos(x))
cos = _unary_float("cos", math.cos, "Cosine of x (radians).")
unary_adjoint(cos, lambda x, r: -math.sin(x))
tan = _unary_float("tan", math.tan, "Tangent of x (radians).")
unary_adjoint(tan, lambda x, r: 1.0 + r * r)
atan = _unary_float("atan", math.atan, "Arctangent of x.")
unary_adjoint(atan, lambda x, r: 1.0 / (1.0 + x * x))
sinh = _unary_float("sinh", math.sinh, "Hyperbolic sine of x.")
unary_adjoint(sinh, lambda x, r: math.cosh(x))
cosh = _unary_float("cosh", math.cosh, "Hyperbolic cosine of x.")
unary_adjoint(cosh, lambda x, r: math.sinh(x))
tanh = _unary_float("tanh", math.tanh, "Hyperbolic tangent of x.")
unary_adjoint(tanh, lambda x, r: 1.0 - r * r)
erf = _unary_float("erf", math.erf, "Error function of x.")
unary_adjoint(erf, lambda x, r: 2.0 / _SQRT_PI * math.exp(-x * x))
erfc = _unary_float("erfc", math.erfc, "Complementary error function of x.")
unary_adjoint(erfc, lambda x, r: -2.0 / _SQRT_PI * math.exp(-x * x))
floor = _unary_rounding("floor", math.floor, "Largest integer <= x.")
ceil = _unary_rounding("ceil", math.ceil, "Smallest integer >= x.")
trunc = _unary_rounding("trunc", math.trunc, "x rounded toward zero.")
for _f in (floor, ceil, trunc):
    unary_adjoint(_f, lambda x, r: 0.0 * x)


def _clamp_unit(x):
    return _builtin_min(_builtin_max(x, -1.0), 1.0)


def acos(x):
    """Arccosine of x; x is clamped to [-1, 1] first, as in Warp."""
    return math.acos(_clamp_unit(float(x)))


def asin(x):
    """Arcsine of x; x is clamped to [-1, 1] first, as in Warp."""
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
    """Angle of the point (x, y), in radians."""
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
    """x raised to the power y."""
    return math.pow(float(x), float(y)) if float(x) >= 0 else float(x) ** float(y)


@implements(pow)
def _ol_pow(x, y):
    if is_scalar(x) and is_scalar(y):
        ft = same_kind_result(x, y, float_only=True)
        return lambda x, y: ft(x) ** ft(y)


# pow's rule is the operator's, a ** b (operator_rules.adj_pow)


def cbrt(x):
    """Cube root of x (negative for negative x)."""
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
    """Absolute value of x (component-wise for vectors)."""
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
    """-1 if x < 0, else 1 (Warp's convention: sign(0) == 1); component-wise for vectors."""
    if hasattr(x, "_new"):
        return x._new(np.where(x._v < 0, -1, 1))
    return -1 if x < 0 else 1


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
    NaN follows Warp (and C's fmin): min(nan, x) = min(x, nan) = x."""
    if b is None:
        return functools.reduce(_fmin, a._v.tolist())
    if hasattr(a, "_new"):
        return a._new(np.fmin(a._v, getattr(b, "_v", b)))
    return _fmin(a, b)


def max(a, b=None):
    """The larger of a and b (component-wise for vectors); max(v): the largest component.
    NaN follows Warp (and C's fmax): max(nan, x) = max(x, nan) = x."""
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
    gives a, a NaN bound is ignored, and b wins when a > b."""
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
    """1.0 if x < 0, else 0.0 (Warp's definition)."""
    return 1.0 if x < 0 else 0.0


def nonzero(x):
    """1.0 if x != 0, else 0.0."""
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
    """Radians to degrees."""
    return float(x) * (180.0 / math.pi)


def radians(x):
    """Degrees to radians."""
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
    """x rounded to the nearest integer, halves away from zero."""
    x = float(x)
    return math.copysign(math.floor(_builtin_abs(x) + 0.5), x)


def rint(x):
    """x rounded to the nearest integer, halves to even."""
    return float(_builtin_round(float(x)))


def frac(x):
    """Fractional part of x: x - trunc(x)."""
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
    """True if x is neither infinite nor NaN (vectors, matrices: every component)."""
    if hasattr(x, "_v"):
        return bool(np.all(np.isfinite(x._v)))
    return math.isfinite(float(x))


def isnan(x):
    """True if x is NaN (vectors, matrices: some component)."""
    if hasattr(x, "_v"):
        return bool(np.any(np.isnan(x._v)))
    return math.isnan(float(x))


def isinf(x):
    """True if x is +inf or -inf (vectors, matrices: some component)."""
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
    """a / b; integer operands divide with truncation toward zero (C semantics)."""
    if isinstance(a, int) and isinstance(b, int):
        return c_int_div(a, b)
    return a / b


def mod(a, b):
    """Remainder with the sign of a (C's fmod / truncated remainder); component-wise for
    vectors."""
    if hasattr(a, "_new"):
        return a._new([mod(x, y) for x, y in zip(a, b)])
    if isinstance(a, int) and isinstance(b, int):
        return c_int_rem(a, b)
    return math.fmod(a, b)


def floordiv(a, b):
    """Floor division: floor(a / b); integers stay in their type (INT_MIN // -1 wraps,
    x // 0 is 0)."""
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
