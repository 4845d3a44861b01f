"""Python-scope values of Warp's scalar types (``wp.int8(3)``, ``wp.float16(1.5)``), with
Warp 1.19's behaviour.

Contract (checked against Warp 1.19 value by value):

* A value keeps what it was made from (``wp.float32(0.1).value == 0.1``,
  ``wp.int8(200).value == 200``); ``int()``, ``float()``, ``==``, ``<``, ``hash`` see that
  value, while ``str``/``repr``/``__index__`` and all arithmetic see it converted to the
  type (``str(wp.int8(200)) == "-56"``), as in Warp.
* Arithmetic computes in the type, as kernels do: integers wrap around, ``/`` on integers
  truncates toward zero and ``%`` takes the sign of the dividend (C), floats round to
  their precision after each operation (float16 through float32, with ties rounded away
  from zero as Warp's CPU conversion does; kernels round ties to even, as GPUs do).
* Result types are Warp's: an ``int32`` result is a Python ``int`` and a ``float32``
  result a Python ``float`` (Warp's Python-scope builtins return those two types as
  Python numbers); any other result is a value of its type (``wp.int8(3) * wp.int8(2)``
  is ``int8(6)``). ``abs`` and ``round`` keep the type. Comparisons give ``bool``.
* Where Warp 1.19 raises (``wp.int8(3) + 1``, mixed types, ``//``, bitwise operators) this
  module computes the kernel's answer instead: a Python number adopts the other operand's
  type, of two integer types the wider one (unsigned at equal width) wins, a float type
  wins over an integer type. An integer type with a Python float gives a Python float.
"""

from __future__ import annotations

import builtins
import math

import numpy as np

__all__ = ["ScalarValue", "c_int_div", "c_int_rem"]


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


def _wrap_int(value: int, dt: np.dtype) -> int:
    """``value`` as an integer of ``dt`` (two's complement wrap-around, as in C)."""
    bits = dt.itemsize * 8
    value = int(value) % (1 << bits)
    if dt.kind == "i" and value >= 1 << (bits - 1):
        value -= 1 << bits
    return value


def _round_float(value: float, dt: np.dtype) -> float:
    with np.errstate(over="ignore", invalid="ignore"):
        if dt.itemsize == 2:
            return _to_half(value)
        return dt.type(value).item()


def _to_half(value: float) -> float:
    """``value`` (through float32) as a float16, rounding ties away from zero: what
    Warp's CPU conversion does (NumPy and GPUs round ties to even)."""
    single = float(np.float32(value))
    h = np.float16(single)
    if not np.isfinite(h) or float(h) == single:
        return float(h)
    toward = np.float16(np.inf if single > float(h) else -np.inf)
    other = np.nextafter(h, toward)
    if np.isfinite(other) and single - float(h) == float(other) - single and \
            abs(float(other)) > abs(float(h)):
        return float(other)
    return float(h)


class ScalarValue:
    """Base of the scalar classes: a boxed Python-scope value, as in Warp."""

    __slots__ = ("value",)

    def __init__(self, x=0):
        if isinstance(x, ScalarValue):
            x = x.value
        elif isinstance(x, np.generic):
            x = x.item()
        elif isinstance(x, (str, bytes)):
            raise TypeError(f"{type(self).__name__}() takes a number, got the string {x!r}")
        kind = type(self)._np_dtype.kind
        if kind in "iu":
            self.value = x if isinstance(x, builtins.bool) else int(x)
        elif kind == "f":
            # (Warp keeps an int as given: str(wp.float32(2)) is "2")
            self.value = x if isinstance(x, (int, float)) else float(x)
        else:
            self.value = x if isinstance(x, (builtins.bool, int)) else builtins.bool(x)

    def typed(self):
        """The value converted to the type: wrapped for integers, rounded for floats."""
        dt = type(self)._np_dtype
        if dt.kind in "iu":
            return _wrap_int(self.value, dt)
        if dt.kind == "f":
            return _round_float(self.value, dt)
        return builtins.bool(self.value)

    def __float__(self):
        return float(self.value)

    def __int__(self):
        return int(self.value)

    def __bool__(self):
        return self.value != 0

    def __index__(self):
        if type(self)._np_dtype.kind not in "iub":
            raise TypeError(f"{type(self).__name__} value cannot be used as an index")
        return int(self.typed())

    def __str__(self):
        if type(self)._np_dtype.kind == "f":
            return str(self.value)
        return str(self.typed())

    def __repr__(self):
        return f"{type(self).__name__}({self})"

    def __hash__(self):
        return hash(float(self) if type(self)._np_dtype.kind == "f" else int(self))

    def __neg__(self):
        return _unary(self, lambda v: -v)

    def __pos__(self):
        return _unary(self, lambda v: v)

    def __abs__(self):
        if type(self)._np_dtype.kind == "f":
            return type(self)(builtins.abs(float(self)))
        return type(self)(builtins.abs(int(self)))

    def __round__(self, ndigits=None):
        if type(self)._np_dtype.kind != "f":
            raise TypeError(f"type {type(self).__name__} doesn't define __round__ method")
        return type(self)(round(float(self), ndigits))

    def __invert__(self):
        if type(self)._np_dtype.kind not in "iu":
            raise TypeError(f"bad operand type for unary ~: '{type(self).__name__}'")
        return _unary(self, lambda v: ~v)


# -- comparisons: Warp's (integers compare as ints unless the other side is a float) -------

_FLOATS = (float, np.floating)


def _compare(op):
    def method(self, other):
        try:
            if type(self)._np_dtype.kind == "f" or isinstance(other, _FLOATS) or (
                    isinstance(other, ScalarValue) and type(other)._np_dtype.kind == "f"):
                return op(float(self), float(other))
            return op(int(self), int(other))
        except (TypeError, ValueError):
            return NotImplemented

    return method


for _name, _op in (("eq", lambda a, b: a == b), ("ne", lambda a, b: a != b),
                   ("lt", lambda a, b: a < b), ("le", lambda a, b: a <= b),
                   ("gt", lambda a, b: a > b), ("ge", lambda a, b: a >= b)):
    setattr(ScalarValue, f"__{_name}__", _compare(_op))


# -- arithmetic ---------------------------------------------------------------------------

def _result(cls, value):
    """Warp's result: a Python number for int32 and float32, else a value of ``cls``."""
    kind = cls._np_dtype.kind
    if kind in "iu":
        value = _wrap_int(value, cls._np_dtype)
        return value if cls.__name__ == "int32" else cls(value)
    value = _round_float(value, cls._np_dtype)
    return value if cls.__name__ == "float32" else cls(value)


def _unary(x: ScalarValue, op):
    cls = type(x)
    if cls._np_dtype.kind == "b":
        raise TypeError(f"bad operand type for a unary operator: '{cls.__name__}'")
    return _result(cls, op(x.typed()))


def _result_class(a, b):
    """The type an operation on ``a`` and ``b`` computes in (None: Python's float)."""
    ca = type(a) if isinstance(a, ScalarValue) else None
    cb = type(b) if isinstance(b, ScalarValue) else None
    if cb is None or ca is cb:
        if isinstance(b, float) and ca._np_dtype.kind in "iu":
            return None
        return ca
    if ca is None:
        if isinstance(a, float) and cb._np_dtype.kind in "iu":
            return None
        return cb
    da, db = ca._np_dtype, cb._np_dtype
    if (da.kind == "f") != (db.kind == "f"):
        return ca if da.kind == "f" else cb
    if da.itemsize != db.itemsize:
        return ca if da.itemsize > db.itemsize else cb
    return ca if da.kind == "u" else cb


def _shift(left: bool):
    def op(a, b, bits):
        count = int(b) & (bits - 1)
        return a << count if left else a >> count

    return op


_INT_OPS = {
    "add": lambda a, b, bits: a + b, "sub": lambda a, b, bits: a - b,
    "mul": lambda a, b, bits: a * b,
    "truediv": lambda a, b, bits: c_int_div(a, b),
    "floordiv": lambda a, b, bits: 0 if b == 0 else a // b,
    "mod": lambda a, b, bits: c_int_rem(a, b),
    "and": lambda a, b, bits: a & b, "or": lambda a, b, bits: a | b,
    "xor": lambda a, b, bits: a ^ b, "lshift": _shift(True), "rshift": _shift(False),
}


def _fmod(a, b):
    return np.fmod(a, b) if b else a.dtype.type(math.nan)


def _floordiv(a, b):
    return np.floor(a / b) if b else a.dtype.type(math.nan)


_FLOAT_OPS = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "truediv": lambda a, b: a / b, "floordiv": _floordiv, "mod": _fmod,
    "pow": lambda a, b: a ** b,
}
_PY_OPS = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "truediv": lambda a, b: a / b, "floordiv": lambda a, b: a // b,
    "mod": lambda a, b: a % b, "pow": lambda a, b: a ** b,
}


def _operand(x):
    return x.typed() if isinstance(x, ScalarValue) else x


def _binary_method(name, reflected=False):
    def method(self, other):
        if not isinstance(other, (ScalarValue, int, float)) or \
                type(self)._np_dtype.kind == "b" or (
                isinstance(other, ScalarValue) and type(other)._np_dtype.kind == "b"):
            return NotImplemented
        a, b = (other, self) if reflected else (self, other)
        cls = _result_class(a, b)
        x, y = _operand(a), _operand(b)
        if cls is None:  # an integer type with a Python float: Python's arithmetic
            op = _PY_OPS.get(name)
            return NotImplemented if op is None else op(float(x), float(y))
        dt = cls._np_dtype
        if dt.kind in "iu":
            op = _INT_OPS.get(name)
            if op is None:
                return NotImplemented
            return _result(cls, op(int(x), int(y), dt.itemsize * 8))
        op = _FLOAT_OPS.get(name)
        if op is None:
            return NotImplemented
        # in the type's precision (float16 computes in float32 and rounds, as in Warp)
        work = np.float32 if dt.itemsize == 2 else dt.type
        with np.errstate(all="ignore"):
            value = op(work(x), work(y))
        return _result(cls, float(value))

    return method


for _op in ("add", "sub", "mul", "truediv", "floordiv", "mod", "and", "or", "xor", "lshift",
            "rshift", "pow"):
    setattr(ScalarValue, f"__{_op}__", _binary_method(_op))
    setattr(ScalarValue, f"__r{_op}__", _binary_method(_op, reflected=True))
