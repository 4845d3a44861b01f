"""Warp's type factories with generic parameters: ``vector(length=Any, dtype=Any)``,
``matrix(shape=(Any, Any), dtype=...)``, ``quaternion(dtype=Any)``,
``transformation(dtype=Any)``.

Contract:

* With every parameter concrete, a factory returns the one class the concrete factories
  make (``vector(3, float) is wp.vec3``, ``quaternion(float) is wp.quat``).
* With a generic parameter (``typing.Any``; ``wp.Scalar``/``wp.Float``/``wp.Int`` are
  ``Any`` here) it returns a *template*: a class that cannot be instantiated, usable as
  a ``@wp.func``/kernel parameter annotation. Such a parameter is generic (kind
  ``"any"`` in ``argspec``) restricted to the values the template :meth:`matches`; the
  function is specialised per concrete argument type.
* Matching follows Warp's grouping: a vector template takes vectors and spatial
  vectors (Warp's spatial vectors are plain vectors), a matrix template matrices and
  spatial matrices; quaternions and transforms match only their own templates.
"""

from __future__ import annotations

import builtins
import typing

from .mat import MatType, matrix_class, register_matrix_constructor
from .scalars import ScalarType, scalar_class_for, scalar_types, to_numba_type
from .vec import VecType, register_vector_constructor, vector_class

__all__ = ["GenericValueType", "generic_template", "is_generic_template", "vector",
           "matrix", "quaternion", "transformation", "canonical_dtype", "TEMPLATE_GROUPS"]

Any = typing.Any

#: template kind -> the kinds of concrete types it takes
TEMPLATE_GROUPS = {
    "vector": ("vector", "spatial_vector"),
    "matrix": ("matrix", "spatial_matrix"),
    "quaternion": ("quaternion",),
    "transformation": ("transformation",),
}
_GENERIC_STR = {"vector": "vec_t", "matrix": "mat_t", "quaternion": "quat_t",
                "transformation": "transform_t"}


def canonical_dtype(dtype):
    """Warp's scalar class for a dtype spelling (``float`` is float32, ``int`` int32,
    ``bool`` wp.bool); ``Any`` stays ``Any``. Raises TypeError for anything else."""
    if dtype is Any:
        return Any
    if dtype is builtins.bool:
        return scalar_types["bool"]
    if isinstance(dtype, ScalarType):
        return dtype
    try:  # a string ("float32") is not a type in Warp either
        nbt = None if isinstance(dtype, str) else to_numba_type(dtype)
    except TypeError:
        nbt = None
    cls = scalar_class_for(nbt) if nbt is not None else None
    if cls is None:
        raise TypeError(f"{dtype!r} is not a scalar type; use a Warp scalar type (wp.float32, "
                        "wp.int32, wp.bool, ...), float, int, bool, or typing.Any")
    return cls


def _param_repr(p) -> str:
    if p is Any:
        return "Any"
    return getattr(p, "__name__", repr(p))


class GenericValueType(type):
    """Metaclass of the templates: a template class describes a family of value types."""

    def __repr__(cls):
        return f"<generic type {cls.__name__}>"

    def matches(cls, t) -> bool:
        """Whether Numba type ``t`` (an argument's type) is one of this family."""
        kind, shape, dtype = cls._template
        if not isinstance(t, (VecType, MatType)) or t.kind not in TEMPLATE_GROUPS[kind]:
            return False
        dims = (t.length,) if isinstance(t, VecType) else t.shape
        if len(dims) != len(shape):
            return False
        if any(s is not Any and s != d for s, d in zip(shape, dims)):
            return False
        return dtype is Any or dtype._numba_type == t.dtype

    def matches_class(cls, value_cls) -> bool:
        """Whether a concrete value class (``wp.vec3``, ...) is one of this family."""
        nbt = getattr(value_cls, "_numba_type", None)
        return nbt is not None and cls.matches(nbt)


class _TemplateBase:
    __slots__ = ()

    def __init__(self, *args):
        raise TypeError(f"{type(self).__name__} is a generic type (it has an Any parameter); "
                        "it can annotate a @wp.func parameter but has no values")


_templates: dict = {}


def generic_template(kind: str, shape: tuple, dtype):
    """The template class for ``kind`` with ``shape`` (a tuple with Any entries) and
    ``dtype`` (a scalar class or Any); made once, then cached."""
    key = (kind, tuple(shape), dtype)
    cls = _templates.get(key)
    if cls is not None:
        return cls
    if kind == "vector":
        name = f"vector(length={_param_repr(shape[0])}, dtype={_param_repr(dtype)})"
    elif kind == "matrix":
        name = (f"matrix(shape=({_param_repr(shape[0])}, {_param_repr(shape[1])}), "
                f"dtype={_param_repr(dtype)})")
    else:
        name = f"{'quat' if kind == 'quaternion' else 'transform'}(dtype={_param_repr(dtype)})"
    dims = tuple(0 if s is Any else int(s) for s in shape)
    ns = {
        "__slots__": (), "__module__": "numba_warp.types", "_template": key,
        "_wp_generic_": True, "_wp_scalar_type_": dtype,
        "_length_": 0 if 0 in dims else (dims[0] if len(dims) == 1 else dims[0] * dims[1]),
        "_shape_": (0,) * len(dims) if 0 in dims else dims,
        "_wp_type_params_": (*shape, dtype) if kind in ("vector", "matrix") else (dtype,),
        "_wp_generic_type_str_": _GENERIC_STR[kind], "_kind": kind,
    }
    cls = GenericValueType(name, (_TemplateBase,), ns)
    _templates[key] = cls
    return cls


def is_generic_template(obj) -> bool:
    return isinstance(obj, GenericValueType)


def _check_dim(value, what):
    if value is Any:
        return Any
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise TypeError(f"{what} must be a positive int or typing.Any, got {value!r}")
    return value


def vector(length, dtype):
    """A vector type of ``length`` components of ``dtype`` (Warp's ``wp.types.vector``).

    Either may be ``typing.Any``: the result is then a generic type for annotating
    ``@wp.func`` parameters. Example: ``vec5 = wp.types.vector(length=5, dtype=float)``.
    """
    length = _check_dim(length, "vector length")
    dtype = canonical_dtype(dtype)
    if length is Any or dtype is Any:
        return generic_template("vector", (length,), dtype)
    return vector_class(length, dtype)


def matrix(shape, dtype):
    """A matrix type of ``shape`` (rows, cols) of ``dtype`` (Warp's ``wp.types.matrix``).

    Entries of ``shape`` and ``dtype`` may be ``typing.Any`` (a generic type).
    """
    if not isinstance(shape, (tuple, list)) or len(shape) != 2:
        n = len(shape) if isinstance(shape, (tuple, list)) else "no"
        raise ValueError(f"Matrix shape must have exactly two dimensions, got {n} in shape "
                         f"{shape!r}")
    shape = (_check_dim(shape[0], "matrix rows"), _check_dim(shape[1], "matrix cols"))
    dtype = canonical_dtype(dtype)
    if Any in shape or dtype is Any:
        return generic_template("matrix", shape, dtype)
    return matrix_class(shape, dtype)


# in kernels, wp.types.vector(...) / wp.types.matrix(...) build values as wp.vector and
# wp.matrix do (in Warp they are one function each)
register_vector_constructor(vector)
register_matrix_constructor(matrix)


def quaternion(dtype=Any):
    """The quaternion type of ``dtype`` (``wp.quat`` for float32); generic for Any."""
    dtype = canonical_dtype(dtype)
    if dtype is Any:
        return generic_template("quaternion", (4,), Any)
    return vector_class(4, dtype, "quaternion")


def transformation(dtype=Any):
    """The transform type of ``dtype`` (``wp.transform`` for float32); generic for Any."""
    dtype = canonical_dtype(dtype)
    if dtype is Any:
        return generic_template("transformation", (7,), Any)
    return vector_class(7, dtype, "transformation")

