"""float16 in CPU code: stored as its 16 bits, computed in float32, as Warp's CPU does.

Numba's CPU target has no float16. numba-cuda holds a float16 value as its bits (an
``i16``) and computes with PTX half instructions; this module gives the CPU target the
same representation, registered for the CPU only (CUDA keeps numba-cuda's support):

* conversions between float16 and every number type, done in software with IEEE
  round-to-nearest-even (no dependence on the host's F16C instructions or on
  compiler-runtime helpers that Numba's JIT may not resolve). float64 and integers
  convert through float32, as Warp's ``half(x)`` does;
* ``+ - * / **`` and unary ``- +`` on float16 operands (a float literal next to one takes
  its type) give a float16: the float32 result rounded once, which is what Warp's CPU
  computes and what a GPU's half instructions give (a float32 operation on float16
  inputs is exact enough that rounding it to float16 is the correctly rounded result);
* the math functions numba-cuda gives float16 results (``sqrt``, ``sin``, ``cos``,
  ``exp``, ``log``, ``floor``, ...) give float16 results computed in float32;
* everything else (comparisons, other math functions, mixed float16/float32 arithmetic)
  goes through the conversions, as Numba's type promotion already asks for.

So ``a[i]`` of a float16 array is a float16 value, ``b[i] = x`` stores a float16, and a
kernel computes the same values on the CPU as on a GPU.
"""

from __future__ import annotations

import math
import operator

import numpy as np
from llvmlite import ir
from numba.core import types
from numba.core.datamodel import default_manager, models
from numba.core.imputils import Registry, lower_cast
from numba.core.registry import cpu_target
from numba.extending import overload

from ..typing.scalars import WeakFloat
from .cpu_init import when_cpu_target_starts

__all__ = ["half_to_float", "float_to_half"]

F16, F32 = types.float16, types.float32
_I32 = ir.IntType(32)


def _c(value):
    return ir.Constant(_I32, value)


def half_to_float(builder, h):
    """The float32 value of float16 bits ``h`` (an i16): exact."""
    u = builder.zext(h, _I32)
    o = builder.shl(builder.and_(u, _c(0x7FFF)), _c(13))  # exponent and mantissa bits
    exp = builder.and_(o, _c(0x7C00 << 13))
    o = builder.add(o, _c((127 - 15) << 23))  # rebias the exponent
    inf_nan = builder.add(o, _c((128 - 16) << 23))
    # zero and subnormals: as float32, (1 + m / 1024) * 2^-14 - 2^-14 = m * 2^-24
    sub = builder.fsub(builder.bitcast(builder.add(o, _c(1 << 23)), ir.FloatType()),
                       builder.bitcast(_c(113 << 23), ir.FloatType()))
    o = builder.select(builder.icmp_unsigned("==", exp, _c(0x7C00 << 13)), inf_nan,
                       builder.select(builder.icmp_unsigned("==", exp, _c(0)),
                                      builder.bitcast(sub, _I32), o))
    o = builder.or_(o, builder.shl(builder.and_(u, _c(0x8000)), _c(16)))
    return builder.bitcast(o, ir.FloatType())


def float_to_half(builder, f):
    """The float16 bits (an i16) of float32 ``f``, rounded to nearest, ties to even."""
    u = builder.bitcast(f, _I32)
    sign = builder.and_(u, _c(0x80000000))
    u = builder.xor(u, sign)
    # NaN -> quiet NaN, too large -> inf
    big = builder.select(builder.icmp_unsigned(">", u, _c(255 << 23)), _c(0x7E00), _c(0x7C00))
    # subnormal results: adding 0.5 lines the float16 subnormal bits up at the bottom of
    # the float32 mantissa, and the float32 addition rounds to nearest even
    magic = _c(((127 - 15) + (23 - 10) + 1) << 23)
    sub = builder.sub(builder.bitcast(builder.fadd(builder.bitcast(u, ir.FloatType()),
                                                   builder.bitcast(magic, ir.FloatType())),
                                      _I32), magic)
    # normal results: rebias, round to nearest even on the 13 dropped bits
    odd = builder.and_(builder.lshr(u, _c(13)), _c(1))
    normal = builder.lshr(builder.add(builder.add(u, _c(((15 - 127) << 23) + 0xFFF)), odd),
                          _c(13))
    o = builder.select(builder.icmp_unsigned(">=", u, _c((127 + 16) << 23)), big,
                       builder.select(builder.icmp_unsigned("<", u, _c(113 << 23)), sub,
                                      normal))
    o = builder.or_(o, builder.lshr(sign, _c(16)))
    return builder.trunc(o, ir.IntType(16))


# ---------------------------------------------------------------------------------------
# The CPU data model: float16 as its bits
# ---------------------------------------------------------------------------------------


class _HalfBitsModel(models.PrimitiveModel):
    def __init__(self, dmm, fe_type):
        super().__init__(dmm, fe_type, ir.IntType(16))


_float_model = default_manager._handlers[types.Float]


def _float_or_half_model(dmm, fe_type):
    if fe_type == F16:
        return _HalfBitsModel(dmm, fe_type)
    return _float_model(dmm, fe_type)


# numba-cuda's data model manager puts its own float model (float16 as i16 too) in front
# of this default one, so this changes the CPU only
default_manager.register(types.Float, _float_or_half_model)

# ---------------------------------------------------------------------------------------
# Conversions and constants (a registry installed in the CPU target only)
# ---------------------------------------------------------------------------------------

_cpu = Registry("numba_warp.float16_cpu")


@_cpu.lower_cast(F16, types.Float)
def _half_to_float_cast(context, builder, fromty, toty, val):
    return context.cast(builder, half_to_float(builder, val), F32, toty)


@_cpu.lower_cast(types.Float, F16)
def _float_to_half_cast(context, builder, fromty, toty, val):
    return float_to_half(builder, context.cast(builder, val, fromty, F32))


@_cpu.lower_cast(F16, types.Integer)
@_cpu.lower_cast(F16, types.Boolean)
def _half_to_other_cast(context, builder, fromty, toty, val):
    return context.cast(builder, half_to_float(builder, val), F32, toty)


@_cpu.lower_cast(types.Integer, F16)
@_cpu.lower_cast(types.IntegerLiteral, F16)
@_cpu.lower_cast(types.Boolean, F16)
@_cpu.lower_cast(types.BooleanLiteral, F16)
def _other_to_half_cast(context, builder, fromty, toty, val):
    return float_to_half(builder, context.cast(builder, val, fromty, F32))


# float16 -> integer truncates toward zero, as in C and Warp, on every target. numba-cuda's
# own cast rounds to the nearest integer (cvt.rni); these casts name exact types, so they
# are chosen over its (float16, Integer) one on CUDA, and over the one above on the CPU.
def _half_to_integer_cast(context, builder, fromty, toty, val):
    return context.cast(builder, context.cast(builder, val, F16, F32), F32, toty)


for _int in sorted(types.integer_domain, key=str):
    lower_cast(F16, _int)(_half_to_integer_cast)


@_cpu.lower_constant(F16)
def _half_constant(context, builder, ty, pyval):
    return ir.Constant(ir.IntType(16), int(np.float16(pyval).view(np.uint16)))


# Installed after Numba's own registries (@intrinsic lowerings go to the first registry
# of a target that lacks Numba's builtin one, and this one is never refreshed), when the
# CPU target first starts: starting it here would cost every import a quarter second.
when_cpu_target_starts(lambda: cpu_target.target_context.install_registry(_cpu))

# ---------------------------------------------------------------------------------------
# Arithmetic: float16 results, computed in float32 (CPU only: target="cpu")
# ---------------------------------------------------------------------------------------


def _half_pair(a, b) -> bool:
    return (a == F16 and (b == F16 or isinstance(b, WeakFloat))) or (
        b == F16 and isinstance(a, WeakFloat))


def _register_binary(op):
    @overload(op, target="cpu", jit_options={"error_model": "numpy"})
    def _ol(a, b):
        if _half_pair(a, b):
            return lambda a, b: F16(op(F32(a), F32(b)))


for _op in (operator.add, operator.sub, operator.mul, operator.truediv, operator.pow,
            operator.iadd, operator.isub, operator.imul, operator.itruediv, operator.ipow):
    _register_binary(_op)


def _register_unary(op):
    @overload(op, target="cpu")
    def _ol(a):
        if a == F16:
            return lambda a: F16(op(F32(a)))


for _op in (operator.neg, operator.pos):
    _register_unary(_op)


# math functions that numba-cuda types float16 -> float16 (the others promote to float32
# on both targets)
_HALF_MATH = (math.sin, math.cos, math.ceil, math.floor, math.sqrt, math.log, math.log2,
              math.log10, math.exp, math.exp2, math.fabs, math.trunc)


def _register_math(fn):
    @overload(fn, target="cpu", jit_options={"error_model": "numpy"})
    def _ol(x):
        if x == F16:
            return lambda x: F16(fn(F32(x)))


for _fn in _HALF_MATH:
    _register_math(_fn)
