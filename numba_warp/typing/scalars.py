"""Warp's scalar types as Python classes and Numba types.

Contract:

* ``wp.float32``, ``wp.int8``, ... ``wp.bool`` are Python classes (made by one
  metaclass, :class:`ScalarType`). At Python scope ``wp.float32(1.5)`` is a value with a
  ``.value``; in a kernel, ``wp.float32(x)`` is a cast. Numba types the class objects
  as ``NumberClass`` so the cast works in kernels, in ``@numba.njit`` and in
  ``@numba.cuda.jit`` code alike.
* :func:`to_numba_type` maps any dtype spelling a user may write (``float``, ``int``,
  ``wp.float32``, ``np.float32``, a NumPy dtype, a Numba type) to the Numba type.
* Float literals in kernels are *weak*: ``x * 0.5`` keeps the precision of ``x``
  (float32 stays float32, float64 stays float64 at full precision), and a bare
  ``y = 0.5`` is a float32, as in Warp. That is :data:`weak_float`, a Numba type
  carried at run time as a double and converted exactly to float32/float64 on use.
"""

from __future__ import annotations

import builtins
import ctypes

import numpy as np
from llvmlite import ir
from numba.core import types
from numba.core.imputils import lower_constant
from numba.core.typeconv import Conversion
from numba.extending import lower_cast, models, register_model

from .registry import register_typeof
from .scalar_values import ScalarValue, c_int_div, c_int_rem

__all__ = [
    "ScalarType",
    "ScalarValue",
    "scalar_types",
    "to_numba_type",
    "to_numpy_dtype",
    "scalar_class_for",
    "WeakFloat",
    "weak_float",
    "WeakFloatLiteral",
    "c_int_div",
    "c_int_rem",
]


class ScalarType(type):
    """Metaclass of Warp's scalar classes (``wp.float32`` etc.)."""

    _numba_type: types.Number
    _np_dtype: np.dtype

    def __repr__(cls):
        return f"<class 'numba_warp.{cls.__name__}'>"


_SCALAR_SPECS = [
    # name, numba type, numpy dtype, ctypes type (Warp's: float16 is its bits)
    ("bool", types.boolean, np.bool_, ctypes.c_bool),
    ("int8", types.int8, np.int8, ctypes.c_int8),
    ("uint8", types.uint8, np.uint8, ctypes.c_uint8),
    ("int16", types.int16, np.int16, ctypes.c_int16),
    ("uint16", types.uint16, np.uint16, ctypes.c_uint16),
    ("int32", types.int32, np.int32, ctypes.c_int32),
    ("uint32", types.uint32, np.uint32, ctypes.c_uint32),
    ("int64", types.int64, np.int64, ctypes.c_int64),
    ("uint64", types.uint64, np.uint64, ctypes.c_uint64),
    ("float16", types.float16, np.float16, ctypes.c_uint16),
    ("float32", types.float32, np.float32, ctypes.c_float),
    ("float64", types.float64, np.float64, ctypes.c_double),
]

scalar_types: dict[str, ScalarType] = {}
_by_numba_type: dict[types.Type, ScalarType] = {}
for _name, _nbty, _npty, _ctype in _SCALAR_SPECS:
    _cls = ScalarType(
        _name,
        (ScalarValue,),
        # _length_ and _type_ as Warp's scalar classes have them (code reads them)
        {"__slots__": (), "_numba_type": _nbty, "_np_dtype": np.dtype(_npty),
         "_length_": 1, "_type_": _ctype, "__module__": __name__},
    )
    scalar_types[_name] = _cls
    _by_numba_type[_nbty] = _cls


@register_typeof(ScalarType)
def _typeof_scalar_class(val, c):
    return types.NumberClass(val._numba_type)


@register_typeof(ScalarValue)
def _typeof_scalar_value(val, c):
    return type(val)._numba_type


def scalar_class_for(nbtype: types.Type) -> ScalarType | None:
    """The Warp scalar class for a Numba scalar type, or None."""
    return _by_numba_type.get(nbtype)


# ---------------------------------------------------------------------------------------
# Mapping user dtype spellings to Numba types
# ---------------------------------------------------------------------------------------

_PY_DEFAULTS = {
    builtins.float: types.float32,
    builtins.int: types.int32,
    builtins.bool: types.boolean,
}


def to_numba_type(dtype):
    """Numba type for a dtype spelling (``float``, ``wp.float32``, ``np.float64``, ...).

    Returns None when ``dtype`` is not a scalar spelling this module knows; callers
    that accept composite types (vectors, structs) try those next.
    """
    if isinstance(dtype, ScalarType):
        return dtype._numba_type
    if dtype in _PY_DEFAULTS:
        return _PY_DEFAULTS[dtype]
    if isinstance(dtype, types.Type):
        return dtype
    try:
        npdt = np.dtype(dtype)
    except TypeError:
        return None
    if npdt.kind in "biuf" and npdt.type in {s[2] for s in _SCALAR_SPECS}:
        return _by_numpy[npdt]
    return None


_by_numpy = {np.dtype(s[2]): s[1] for s in _SCALAR_SPECS}


def to_numpy_dtype(nbtype: types.Type) -> np.dtype:
    """NumPy dtype for a Numba scalar type."""
    cls = _by_numba_type.get(nbtype)
    if cls is None:
        raise TypeError(f"{nbtype} has no NumPy scalar dtype")
    return cls._np_dtype


# ---------------------------------------------------------------------------------------
# Weak float literals
# ---------------------------------------------------------------------------------------


class WeakFloat(types.Float):
    """The type of a float literal in kernel code.

    It is a Float (so every ``isinstance(t, types.Float)`` rule accepts it) held as a
    double, converts *exactly* to float32 and *promotes* to float64. Numba's overload
    ranking then picks float32 arithmetic next to a float32 operand and float64 next
    to a float64 one, and unification with any float type yields that type.
    """

    def __init__(self):
        # Numba's NumPy-based rules (Number.unify, ufunc loops) read a dtype off the
        # name; "float32" makes them treat a literal as Warp does. Equality still tells
        # it apart from float32, because Numba types compare by class and key.
        types.Number.__init__(self, name="float32")
        self.bitwidth = 64

    def can_convert_to(self, typingctx, other):
        if isinstance(other, WeakFloat):
            return Conversion.exact
        if isinstance(other, types.Float):
            return Conversion.exact if other.bitwidth == 32 else Conversion.promote
        if isinstance(other, types.Complex):
            return Conversion.safe
        if isinstance(other, (types.Integer, types.Boolean)):
            return Conversion.unsafe
        return None

    def unify(self, typingctx, other):
        if isinstance(other, types.Float) and not isinstance(other, WeakFloat):
            return other
        return None


weak_float = WeakFloat()


class _WeakFloatModel(models.PrimitiveModel):
    def __init__(self, dmm, fe_type):
        super().__init__(dmm, fe_type, ir.DoubleType())


register_model(WeakFloat)(_WeakFloatModel)


@lower_cast(WeakFloat, types.float16)  # more specific than numba-cuda's (Float, float16)
def _cast_weak_to_half(context, builder, fromty, toty, val):
    # through float32, as NVVM rejects a direct double -> half truncation
    single = builder.fptrunc(val, ir.FloatType())
    return context.cast(builder, single, types.float32, types.float16)


@lower_cast(WeakFloat, types.Float)
def _cast_weak_to_float(context, builder, fromty, toty, val):
    if isinstance(toty, WeakFloat) or toty.bitwidth == 64:
        return val
    return builder.fptrunc(val, context.get_value_type(toty))


@lower_cast(WeakFloat, types.Integer)
def _cast_weak_to_int(context, builder, fromty, toty, val):
    lty = context.get_value_type(toty)
    return builder.fptosi(val, lty) if toty.signed else builder.fptoui(val, lty)


@lower_cast(WeakFloat, types.Boolean)
def _cast_weak_to_bool(context, builder, fromty, toty, val):
    return builder.fcmp_unordered("!=", val, ir.Constant(val.type, 0.0))


@lower_constant(WeakFloat)
def _weak_constant(context, builder, ty, pyval):
    return ir.Constant(ir.DoubleType(), float(pyval))


class WeakFloatLiteral(float):
    """A float constant from kernel source; Numba types it as :data:`weak_float`."""

    __slots__ = ()

    def __repr__(self):
        return f"WeakFloatLiteral({float(self)!r})"


@register_typeof(WeakFloatLiteral)
def _typeof_weak_literal(val, c):
    return weak_float
