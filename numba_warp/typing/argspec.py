"""What a kernel/function parameter or struct field accepts, read off its annotation.

``ArgSpec`` kinds:

* ``scalar`` - ``float``, ``int``, ``wp.float32``, ... (a Numba scalar type)
* ``value``  - a composite value type with ``_numba_type`` (vectors, matrices,
  quaternions, transforms, spatial types)
* ``array``  - ``wp.array(dtype=..., ndim=...)`` and its spellings
* ``struct`` - a ``@wp.struct`` class
* ``any``    - ``typing.Any``: generic, the type comes from the call or launch; a
  generic value type (``wp.types.vector(length=Any, dtype=Any)``, ``typing/generic.py``)
  is an ``any`` restricted to its family (``template``; see :meth:`ArgSpec.accepts_type`)

Arrays are defined above this floor (``runtime/array.py``), so they are recognised by a
protocol rather than by class: an object is a Warp array (a value, or an annotation such
as ``wp.array(dtype=float, ndim=2)``) when its class sets ``__wp_array__ = True``; it then
has ``dtype`` (the element type, or ``typing.Any`` for a generic annotation) and ``ndim``.
See :func:`is_warp_array`.
"""

from __future__ import annotations

import typing

import numpy as np
from numba.core import types

from .dtypes import element_type, type_name
from .generic import GenericValueType
from .scalars import ScalarType, scalar_class_for, to_numba_type

__all__ = ["ArgSpec", "arg_spec_from_annotation", "is_warp_array"]


def is_warp_array(obj) -> bool:
    """Whether ``obj`` is a Warp array or array annotation (the ``__wp_array__`` protocol).

    The class is asked, not the instance, so an object's ``__getattr__`` cannot claim it.
    """
    return getattr(type(obj), "__wp_array__", False) is True


class ArgSpec:
    """A parameter's accepted type; see the module docstring for the kinds."""

    def __init__(self, kind, annotation, *, numba_type=None, dtype=None, ndim=None,
                 struct_cls=None, generic_dtype=False, template=None):
        self.kind = kind
        self.annotation = annotation
        self.numba_type = numba_type
        self.dtype = dtype  # arrays: element type object (None when generic)
        self.ndim = ndim
        self.struct_cls = struct_cls
        self.generic_dtype = generic_dtype
        self.template = template  # ``any`` only: the generic value type, or None
        self._element = None

    def accepts_type(self, t) -> bool:
        """``any`` parameters: whether an argument of Numba type ``t`` fits the
        annotation (always, for ``typing.Any``)."""
        return self.template is None or self.template.matches(t)

    is_array = property(lambda self: self.kind == "array")

    @property
    def cast_class(self):
        """For scalar parameters of functions: the class that casts an argument."""
        return scalar_class_for(self.numba_type) if self.kind == "scalar" else None

    @property
    def member_type(self):
        """Numba type of this spec as a struct member."""
        if self.kind in ("scalar", "value"):
            return self.numba_type
        if self.kind == "array":
            return types.Array(self.element.numba_type, self.ndim, "A")
        if self.kind == "struct":
            return self.struct_cls._wp_struct_.numba_type
        raise TypeError("generic parameters have no fixed type")

    @property
    def element(self):
        et = self._element
        if et is None:
            et = self._element = element_type(self.dtype)
        return et

    @property
    def numpy_dtype(self):
        if self.kind in ("scalar", "value"):
            return np.dtype(getattr(self.annotation, "_np_dtype", None) or
                            scalar_class_for(self.numba_type)._np_dtype)
        if self.kind == "struct" and self.struct_cls.numpy_dtype is not None:
            return self.struct_cls.numpy_dtype
        raise TypeError("no NumPy layout")

    def flatten(self, name, ref):
        """Structs only: flattened kernel parameter names and the AST that rebuilds them."""
        if self.kind != "struct":
            return None
        return self.struct_cls._wp_struct_.rebuild_expression(name, ref)

    # Python-scope values for struct fields
    def default_value(self):
        if self.kind == "scalar":
            return scalar_class_for(self.numba_type)._np_dtype.type(0)
        if self.kind == "struct":
            return self.struct_cls()
        if self.kind == "value":
            return self.annotation()
        return None

    def coerce_field(self, value, where):
        if self.kind == "scalar":
            npt = scalar_class_for(self.numba_type)._np_dtype.type
            v = getattr(value, "value", value)
            if isinstance(self.numba_type, types.Integer) and isinstance(v, float):
                raise TypeError(f"{where} is an integer field, got the float {v!r}")
            return npt(v)
        if self.kind == "array":
            if value is not None and not is_warp_array(value):
                raise TypeError(f"{where} must be a wp.array or None, got {type(value).__name__}")
            return value
        if self.kind == "struct":
            if not isinstance(value, self.struct_cls):
                raise TypeError(f"{where} must be a {self.struct_cls.__qualname__}")
            return value
        if self.kind == "value":
            return value if isinstance(value, self.annotation) else self.annotation(value)
        return value

    def describe(self) -> str:
        if self.kind == "array":
            dt = "Any" if self.dtype is None else type_name(self.dtype)
            return f"wp.array(dtype={dt}, ndim={self.ndim})"
        if self.kind == "struct":
            return self.struct_cls.__qualname__
        if self.kind == "any":
            return "Any" if self.template is None else self.template.__name__
        return type_name(self.annotation) if isinstance(self.annotation, type) else \
            str(self.numba_type)


def arg_spec_from_annotation(ann, where: str) -> ArgSpec:
    """Read an annotation; raise TypeError naming ``where`` if it is not a kernel type."""
    if ann is typing.Any:
        return ArgSpec("any", ann)
    if isinstance(ann, GenericValueType):
        return ArgSpec("any", ann, template=ann)
    if is_warp_array(ann):
        generic = ann.dtype is typing.Any
        if not generic:
            try:
                element_type(ann.dtype)
            except TypeError as exc:
                # wp.array(dtype=<not a type>) is accepted where it is written, as in Warp;
                # the kernel or function annotated with it fails here, when it is compiled
                raise TypeError(f"{where} is an array of an unusable dtype: {exc}") from None
        return ArgSpec("array", ann, dtype=None if generic else ann.dtype, ndim=ann.ndim,
                       generic_dtype=generic)
    if isinstance(ann, type) and hasattr(ann, "_wp_struct_"):
        return ArgSpec("struct", ann, struct_cls=ann)
    if isinstance(ann, ScalarType) or ann in (float, int, bool):
        return ArgSpec("scalar", ann, numba_type=to_numba_type(ann))
    if hasattr(ann, "_numba_type"):
        return ArgSpec("value", ann, numba_type=ann._numba_type)
    nbt = to_numba_type(ann) if not isinstance(ann, str) else None
    if isinstance(nbt, (types.Integer, types.Float, types.Boolean)):
        return ArgSpec("scalar", ann, numba_type=nbt)
    raise TypeError(
        f"{where} has an unsupported type annotation {ann!r}; expected a scalar type "
        "(float, int, wp.float32, ...), wp.array(dtype=...), a @wp.struct or typing.Any"
    )
