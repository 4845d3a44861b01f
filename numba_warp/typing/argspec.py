"""What a kernel/function parameter or struct field accepts, read off its annotation.

``ArgSpec`` kinds:

* ``scalar`` - ``float``, ``int``, ``wp.float32``, ... (a Numba scalar type)
* ``value``  - a composite value type with ``_numba_type`` (vectors, matrices,
  quaternions, transforms, spatial types)
* ``array``  - ``wp.array(dtype=..., ndim=...)`` and its spellings
* ``indexedarray`` - ``wp.indexedarray(dtype=..., ndim=...)``: passed flattened (data,
  index arrays, extents) and rebuilt in the kernel (``typing.indexed``)
* ``struct`` - a ``@wp.struct`` class
* ``any``    - ``typing.Any``: generic, the type comes from the call or launch; a
  generic value type (``wp.types.vector(length=Any, dtype=Any)``, ``typing/generic.py``)
  is an ``any`` restricted to its family (``template``; see :meth:`ArgSpec.accepts_type`)

Arrays are defined above this floor (``runtime/array.py``), so they are recognised by a
protocol rather than by class: an object is a Warp array (a value, or an annotation such
as ``wp.array(dtype=float, ndim=2)``) when its class sets ``__wp_array__ = True``; it then
has ``dtype`` (the element type, or ``typing.Any`` for a generic annotation) and ``ndim``.
See :func:`is_warp_array`. Indexed arrays follow the same protocol with
``__wp_indexedarray__ = True`` (:func:`is_indexed_array`).
"""

from __future__ import annotations

import ast
import typing

import numpy as np
from numba.core import types

from .dtypes import element_type, type_name
from .generic import GenericValueType
from .indexed import make_indexedarray
from .scalars import ScalarType, scalar_class_for, to_numba_type

__all__ = ["ArgSpec", "arg_spec_from_annotation", "is_warp_array", "is_indexed_array",
           "parse_array_subscript", "array_descriptor", "array_descriptor_dtype"]

ARRAY_MAX_DIMS = 4


def parse_array_subscript(name: str, params, ndim: int | None = None):
    """``(dtype, ndim)`` of a subscripted array annotation, as Warp reads them:
    ``wp.array[float]``, ``wp.array[float, 2]``, ``wp.array[float, Literal[2]]``;
    ``wp.array2d[float]`` (``ndim`` given: one parameter only)."""
    if ndim is not None:
        if isinstance(params, tuple):
            raise TypeError(f"wp.{name} expects a single type parameter (dtype), got "
                            f"{len(params)}")
        return params, ndim
    if not isinstance(params, tuple):
        return params, 1
    if len(params) != 2:
        raise TypeError(f"wp.{name} expects 1 or 2 type parameters, got {len(params)}")
    dtype, nd = params
    if typing.get_origin(nd) is typing.Literal:
        nd = typing.get_args(nd)[0]
    if nd is typing.Any:
        raise TypeError(f"wp.{name}[dtype, Any] (an array of any number of dimensions) is not "
                        "supported; give the number of dimensions, e.g. "
                        f"wp.{name}[dtype, 2]")
    if isinstance(nd, bool) or not isinstance(nd, (int, np.integer)):
        raise TypeError(f"ndim must be an integer, got {nd!r}")
    if not 1 <= nd <= ARRAY_MAX_DIMS:
        raise ValueError(f"ndim must be between 1 and {ARRAY_MAX_DIMS}, got {nd}")
    return dtype, int(nd)


def is_warp_array(obj) -> bool:
    """Whether ``obj`` is a Warp array or array annotation (the ``__wp_array__`` protocol).

    The class is asked, not the instance, so an object's ``__getattr__`` cannot claim it.
    """
    return getattr(type(obj), "__wp_array__", False) is True


def array_descriptor_dtype(ndim: int) -> np.dtype:
    """The memory layout of an array value inside a struct stored in memory: Numba's
    array data model (``meminfo, parent, nitems, itemsize, data, shape, strides``). The
    first two are always zero there (a stored array is a view, see ``typing.structs``)."""
    return np.dtype([("meminfo", np.uint64), ("parent", np.uint64), ("nitems", np.int64),
                     ("itemsize", np.int64), ("data", np.uint64),
                     ("shape", np.int64, (ndim,)), ("strides", np.int64, (ndim,))],
                    align=True)


def array_descriptor(value, ndim: int) -> tuple:
    """The record (see :func:`array_descriptor_dtype`) of a Warp array, or of None (the
    null array: no elements)."""
    if value is None or value.device is None:
        return (0, 0, 0, 0, 0, (0,) * ndim, (0,) * ndim)
    return (0, 0, value.size, element_type(value.dtype).itemsize, value.ptr, value.shape,
            value.strides)


def is_indexed_array(obj) -> bool:
    """Whether ``obj`` is a Warp indexed array or its annotation (``__wp_indexedarray__``)."""
    return getattr(type(obj), "__wp_indexedarray__", False) is True


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

    #: indexed arrays are arrays to the code generator (stores, atomic updates)
    is_array = property(lambda self: self.kind in ("array", "indexedarray"))

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
        if self.kind == "indexedarray":
            raise TypeError("wp.indexedarray fields in structs are not supported; use a "
                            "wp.array field (and an index array field) instead")
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
        if self.kind == "array":
            return array_descriptor_dtype(self.ndim)
        raise TypeError("no NumPy layout")

    def flatten(self, name, ref):
        """Structs and indexed arrays: flattened kernel parameter names and the AST that
        rebuilds the value from them (``ref(obj, hint)`` names a global); else None."""
        if self.kind == "struct":
            return self.struct_cls._wp_struct_.rebuild_expression(name, ref)
        if self.kind != "indexedarray":
            return None
        data = f"{name}__data"
        idx = [f"{name}__idx{d}" for d in range(self.ndim)]
        ext = [f"{name}__dim{d}" for d in range(self.ndim)]

        def names(ns):
            return ast.Tuple([ast.Name(n, ast.Load()) for n in ns], ast.Load())

        call = ast.Call(ref(make_indexedarray, "make_indexedarray"),
                        [ast.Name(data, ast.Load()), names(idx), names(ext)], [])
        return [data, *idx, *ext], call

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
        if self.kind in ("array", "indexedarray"):
            dt = "Any" if self.dtype is None else type_name(self.dtype)
            return f"wp.{self.kind}(dtype={dt}, ndim={self.ndim})"
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
    if is_warp_array(ann) or is_indexed_array(ann):
        kind = "array" if is_warp_array(ann) else "indexedarray"
        generic = ann.dtype is typing.Any
        if not generic:
            try:
                element_type(ann.dtype)
            except TypeError as exc:
                # wp.array(dtype=<not a type>) is accepted where it is written, as in Warp;
                # the kernel or function annotated with it fails here, when it is compiled
                raise TypeError(f"{where} is an array of an unusable dtype: {exc}") from None
        return ArgSpec(kind, ann, dtype=None if generic else ann.dtype, ndim=ann.ndim,
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
    if isinstance(ann, type) and getattr(ann, "__wp_array__", False) is True:
        raise TypeError(f"{where} is annotated '{_annotation_text(ann)}' without a dtype: "
                        "give the element type, e.g. wp.array(dtype=float)")
    raise TypeError(
        f"{where} has an unsupported type annotation {_annotation_text(ann)}; expected a "
        "scalar type (float, int, wp.float32, ...), wp.array(dtype=...), a @wp.struct or "
        "typing.Any"
    )


def _annotation_text(ann) -> str:
    """An annotation as the user wrote it: ``wp.vec3`` for numba_warp's classes, not
    ``<class 'numba_warp.runtime.array.array'>``."""
    if not isinstance(ann, type):
        name = getattr(ann, "__qualname__", None)
        return f"{name} (a {type(ann).__name__})" if isinstance(name, str) else repr(ann)
    module = getattr(ann, "__module__", "")
    if module == "builtins":
        return ann.__name__
    if module.split(".")[0] == "numba_warp":
        return f"wp.{ann.__name__}"
    return f"{module}.{ann.__qualname__}"
