"""Small typing helpers shared by the builtin modules."""

from __future__ import annotations

from numba.core import types

from ..typing.scalars import WeakFloat

__all__ = ["is_scalar", "is_int", "is_float", "float_like", "same_kind_result"]


def is_scalar(t) -> bool:
    return isinstance(t, (types.Integer, types.Float, types.Boolean))


def is_int(t) -> bool:
    return isinstance(t, types.Integer)


def is_float(t) -> bool:
    return isinstance(t, types.Float)


def concrete(t):
    """A weak float literal takes Warp's default float type, float32."""
    return types.float32 if isinstance(t, WeakFloat) else t


def float_like(t):
    """The float type a math function of ``t`` returns (ints and literals: float32)."""
    if isinstance(t, types.Float) and not isinstance(t, WeakFloat):
        return t
    return types.float32


def same_kind_result(a, b, float_only: bool = False):
    """Result type of a binary scalar builtin on ``a`` and ``b``.

    Floats win over ints; a weak literal adopts the other operand's float type;
    two ints unify to the wider int (or float32 when ``float_only``).
    """
    fa, fb = isinstance(a, types.Float), isinstance(b, types.Float)
    if fa and fb:
        if isinstance(a, WeakFloat):
            return concrete(b)
        if isinstance(b, WeakFloat):
            return a
        return a if a.bitwidth >= b.bitwidth else b
    if fa or fb:
        return concrete(a if fa else b)
    if float_only:
        return types.float32
    if isinstance(a, types.Boolean) or isinstance(b, types.Boolean):
        return b if isinstance(a, types.Boolean) else a
    if a == b:
        return a
    return a if a.bitwidth >= b.bitwidth else b
