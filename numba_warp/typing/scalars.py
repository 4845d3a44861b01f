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
import math
import operator

import numpy as np
from llvmlite import ir
from numba.core import types
from numba.core.imputils import lower_constant
from numba.core.typeconv import Conversion
from numba.extending import lower_cast, models, register_model

from .registry import register_typeof

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


class ScalarValue:
    """Base of the scalar classes: a boxed Python-scope value, as in Warp."""

    __slots__ = ("value",)

    def __init__(self, x=0):
        self.value = type(self)._np_dtype.type(x).item()

    def __float__(self):
        return float(self.value)

    def __int__(self):
        return int(self.value)

    def __bool__(self):
        return builtins.bool(self.value)

    def __index__(self):
        if type(self)._np_dtype.kind not in "iu":
            raise TypeError(f"{type(self).__name__} value cannot be used as an index")
        return int(self.value)

    def __eq__(self, other):
        other = other.value if isinstance(other, ScalarValue) else other
        return self.value == other

    def __hash__(self):
        return hash(self.value)

    def __repr__(self):
        return f"{type(self).__name__}({self.value!r})"

    def __str__(self):  # the value, printed in its own precision: str(wp.float32(0.1)) is 0.1
        return str(type(self)._np_dtype.type(self.value))

    def __lt__(self, other):
        return self.value < _plain(other)

    def __le__(self, other):
        return self.value <= _plain(other)

    def __gt__(self, other):
        return self.value > _plain(other)

    def __ge__(self, other):
        return self.value >= _plain(other)

    def __neg__(self):
        return _arith(lambda a: -a, self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _arith(abs, self)

    def __invert__(self):
        if type(self)._np_dtype.kind not in "iu":
            raise TypeError(f"bad operand type for unary ~: '{type(self).__name__}'")
        return _arith(lambda a: ~a, self)


def _plain(x):
    return x.value if isinstance(x, ScalarValue) else x


def _wrap(value, dt: np.dtype):
    """``value`` as a ``dt`` (integers wrap around, as in C and in Warp's kernels)."""
    if dt.kind in "iu":
        bits = dt.itemsize * 8
        value = int(value) % (1 << bits)
        if dt.kind == "i" and value >= 1 << (bits - 1):
            value -= 1 << bits
        return value
    if dt.kind == "b":
        return builtins.bool(value)
    return dt.type(value).item()


def _result_class(a, b):
    """Warp's result type at Python scope (as in kernels): a Python number adopts the
    other operand's type; of two integer types the wider (unsigned at equal width)."""
    ca = type(a) if isinstance(a, ScalarValue) else None
    cb = type(b) if isinstance(b, ScalarValue) else None
    if cb is None or ca is cb:
        if isinstance(b, builtins.float) and ca._np_dtype.kind in "iub":
            return None  # an integer with a Python float: Python's float arithmetic
        return ca
    if ca is None:
        if isinstance(a, builtins.float) and cb._np_dtype.kind in "iub":
            return None
        return cb
    da, db = ca._np_dtype, cb._np_dtype
    if (da.kind == "f") != (db.kind == "f"):
        return ca if da.kind == "f" else cb
    if da.itemsize != db.itemsize:
        return ca if da.itemsize > db.itemsize else cb
    return ca if da.kind == "u" else cb


def c_int_div(a: int, b: int) -> int:
    """C's integer ``a / b`` on Python ints: truncated toward zero; 0 when ``b`` is 0
    (what kernels compute, where division by zero must not trap)."""
    if b == 0:
        return 0
    q = builtins.abs(a) // builtins.abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def c_int_rem(a: int, b: int) -> int:
    """C's integer ``a % b`` on Python ints: the sign of ``a``; 0 when ``b`` is 0."""
    return 0 if b == 0 else a - c_int_div(a, b) * b


def _shift(left: bool):
    def op(a, b, dt):
        count = int(b) & (dt.itemsize * 8 - 1)
        return a << count if left else a >> count

    return op


_INT_OPS = {
    "add": lambda a, b, dt: a + b, "sub": lambda a, b, dt: a - b,
    "mul": lambda a, b, dt: a * b,
    "truediv": lambda a, b, dt: c_int_div(a, b),
    "floordiv": lambda a, b, dt: 0 if b == 0 else a // b,
    "mod": lambda a, b, dt: c_int_rem(a, b),
    "and": lambda a, b, dt: a & b, "or": lambda a, b, dt: a | b,
    "xor": lambda a, b, dt: a ^ b, "lshift": _shift(True), "rshift": _shift(False),
}
_FLOAT_OPS = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "truediv": lambda a, b: a / b if b else (math.copysign(math.inf, a) * math.copysign(
        1.0, b) if a else math.nan),
    "floordiv": lambda a, b: math.floor(a / b) if b else math.nan,
    "mod": lambda a, b: math.fmod(a, b) if b else math.nan,
}


def _arith(op, a):
    cls = type(a)
    return cls(_wrap(op(a.value), cls._np_dtype))


def _binary_method(name, reflected=False):
    def method(self, other):
        a, b = (other, self) if reflected else (self, other)
        if not isinstance(_plain(other), (builtins.int, builtins.float, builtins.bool)):
            return NotImplemented
        cls = _result_class(a, b)
        x, y = _plain(a), _plain(b)
        if cls is None:
            return getattr(operator, name if name not in ("and", "or") else name + "_")(x, y)
        dt = cls._np_dtype
        if dt.kind in "iub":
            op = _INT_OPS.get(name)
            if op is None:
                return NotImplemented
            return cls(_wrap(op(int(x), int(y), dt), dt))
        op = _FLOAT_OPS.get(name)
        if op is None:
            return NotImplemented
        return cls(op(builtins.float(x), builtins.float(y)))

    return method


for _op in ("add", "sub", "mul", "truediv", "floordiv", "mod", "and", "or", "xor", "lshift",
            "rshift"):
    setattr(ScalarValue, f"__{_op}__", _binary_method(_op))
    setattr(ScalarValue, f"__r{_op}__", _binary_method(_op, reflected=True))


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
