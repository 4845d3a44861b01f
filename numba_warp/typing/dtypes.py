"""Element types of arrays: one description for scalars, vectors, matrices and structs.

Any element type object exposes ``_numba_type`` (the Numba type in kernels) and
``_np_dtype`` (the NumPy dtype of one element; vectors and matrices use a sub-array
dtype such as ``(float32, (3,))`` so a vec3 array reads as an ``(n, 3)`` NumPy array).
Python scalars and NumPy scalar types resolve to the Warp scalar class they stand for
(``float`` is float32, ``int`` int32). :func:`element_type` caches its answers.
"""

from __future__ import annotations

import typing

import numpy as np

from .scalars import ScalarType, scalar_class_for, scalar_types, to_numba_type

__all__ = ["ElementType", "element_type", "from_numpy_dtype", "type_name"]


class ElementType:
    """Resolved element type: the user-facing dtype, Numba type and NumPy dtype."""

    __slots__ = ("dtype", "numba_type", "np_dtype", "itemsize", "inner_shape", "scalar_np")

    def __init__(self, dtype, numba_type, np_dtype: np.dtype):
        self.dtype = dtype
        self.numba_type = numba_type
        self.np_dtype = np_dtype
        self.itemsize = np_dtype.itemsize
        if np_dtype.subdtype is not None:
            self.scalar_np, self.inner_shape = np_dtype.subdtype
        else:
            self.scalar_np, self.inner_shape = np_dtype, ()

    def __eq__(self, other):
        return isinstance(other, ElementType) and self.numba_type == other.numba_type

    def __hash__(self):
        return hash(self.numba_type)


_cache: dict = {}


def element_type(dtype) -> ElementType:
    """Resolve a dtype spelling (``float``, ``wp.float32``, ``np.int8``, a struct, ...)."""
    if dtype is typing.Any:
        raise TypeError("a concrete dtype is needed here, not typing.Any")
    if dtype is None or isinstance(dtype, str):
        # NumPy would read these as float64 ("float", None) or int64 ("int"), where Warp
        # means float32/int32; Warp rejects them, and so do we
        raise TypeError(
            f"dtype={dtype!r} is not a type; pass the type itself: dtype=float (float32, as "
            "in Warp), int (int32), wp.float64, wp.vec3, np.float32, ...")
    key = id(dtype)
    hit = _cache.get(key)
    if hit is not None and hit[0] is dtype:
        return hit[1]
    if hasattr(dtype, "_numba_type") and hasattr(dtype, "_np_dtype"):
        et = ElementType(dtype, dtype._numba_type, np.dtype(dtype._np_dtype))
    else:
        nbt = to_numba_type(dtype)
        cls = scalar_class_for(nbt) if nbt is not None else None
        if cls is None:
            raise TypeError(
                f"unsupported dtype {dtype!r}; use a Warp scalar type (wp.float32, wp.int32, "
                "...), float, int, bool, a NumPy scalar type, or a @wp.struct"
            )
        et = ElementType(cls, cls._numba_type, cls._np_dtype)
    _cache[key] = (dtype, et)
    return et


def type_name(dtype) -> str:
    """The Warp name of a dtype, for messages (``float`` is ``float32``, as in Warp)."""
    if isinstance(dtype, ScalarType):
        return dtype.__name__
    if dtype in (float, int, bool):
        return {float: "float32", int: "int32", bool: "bool"}[dtype]
    return getattr(dtype, "__name__", str(dtype))


def from_numpy_dtype(npdt: np.dtype):
    """The Warp scalar class for a NumPy dtype."""
    npdt = np.dtype(npdt)
    for cls in scalar_types.values():
        if cls._np_dtype == npdt:
            return cls
    raise TypeError(f"NumPy dtype {npdt} has no Warp equivalent")
