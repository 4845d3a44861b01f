"""Warp's type introspection (the functions of ``warp.types``) over numba_warp's types.

Contract: each function answers as Warp 1.19's function of the same name does for the
corresponding Warp type, with these deliberate differences:

* ``type_repr(wp.bool)`` is ``"bool"`` (Warp prints its internal module path);
  ``type_size``/``type_size_in_bytes`` of Python's ``bool`` are 1 (Warp raises);
* ``type_ctype`` of a vector/matrix is a ``ctypes`` array of the same layout (Warp's
  vector classes are ctypes arrays themselves; ours are not); a struct holding arrays
  has no ctypes layout here and raises ``TypeError``;
* ``Scalar``, ``Float`` and ``Int`` are ``typing.Any`` in numba_warp, so templates
  spelled with them are the ``Any`` templates.

Arrays are recognised by the ``__wp_array__`` protocol (``argspec.is_warp_array``),
structs by their ``_wp_struct_`` descriptor, so this module needs no runtime object.
"""

from __future__ import annotations

import builtins
import ctypes
import hashlib
import typing

import numpy as np

from .argspec import is_warp_array
from .generic import TEMPLATE_GROUPS, GenericValueType
from .scalars import ScalarType, ScalarValue
from .scalars import scalar_types as _scalars
from .vec import SUFFIX, AggregateValue

__all__ = [
    "int_types", "float_types", "scalar_types", "scalar_and_bool_types", "value_types",
    "np_dtype_to_warp_type", "warp_type_to_np_dtype", "dtype_from_numpy", "dtype_to_numpy",
    "type_is_int", "type_is_float", "type_is_scalar", "type_is_vector", "type_is_matrix",
    "type_is_quaternion", "type_is_transformation", "type_is_composite", "type_is_value",
    "type_is_struct", "type_is_array", "type_is_tile", "is_int", "is_float", "is_scalar",
    "is_vector", "is_matrix", "is_quaternion", "is_transformation", "is_composite",
    "is_value", "is_struct", "is_array", "is_tile", "type_repr", "type_size",
    "type_size_in_bytes", "type_ctype", "type_scalar_type", "type_length", "types_equal",
    "type_to_warp", "get_type_code", "type_is_generic", "scalar_base",
]

Any = typing.Any

int_types = tuple(_scalars[n] for n in ("int8", "uint8", "int16", "uint16", "int32",
                                        "uint32", "int64", "uint64"))
#: Warp's tuple also holds bfloat16, which numba_warp does not have
float_types = tuple(_scalars[n] for n in ("float16", "float32", "float64"))
scalar_types = int_types + float_types
scalar_and_bool_types = (*scalar_types, _scalars["bool"])
value_types = (int, float, builtins.bool, *scalar_and_bool_types)

np_dtype_to_warp_type: dict = {}
for _cls in scalar_and_bool_types:
    np_dtype_to_warp_type[_cls._np_dtype.type] = _cls
    np_dtype_to_warp_type[_cls._np_dtype] = _cls
warp_type_to_np_dtype = {cls: cls._np_dtype.type for cls in scalar_and_bool_types}


def dtype_from_numpy(numpy_dtype):
    """The Warp scalar type of a NumPy dtype or scalar type (``np.float32`` ->
    ``wp.float32``). Raises TypeError for anything else (strings and Python types
    included, as in Warp).

    Example
    -------
    >>> wp.dtype_from_numpy(np.float32) is wp.float32
    True
    >>> wp.dtype_from_numpy(np.dtype("uint16")) is wp.uint16
    True
    >>> wp.dtype_from_numpy(float)
    Traceback (most recent call last):
    ...
    TypeError: Cannot convert <class 'float'> to a Warp type
    """
    try:
        found = np_dtype_to_warp_type.get(numpy_dtype)
    except TypeError:  # unhashable
        found = None
    if found is None:
        raise TypeError(f"Cannot convert {numpy_dtype} to a Warp type")
    return found


def dtype_to_numpy(warp_dtype):
    """The NumPy scalar type of a Warp scalar type (``wp.float32`` -> ``np.float32``).
    Raises TypeError for anything else (Python's ``float``, vector types, ...).

    Example
    -------
    >>> wp.dtype_to_numpy(wp.float16) is np.float16, wp.dtype_to_numpy(wp.int64) is np.int64
    (True, True)
    >>> np.zeros(2, dtype=wp.dtype_to_numpy(wp.uint8)).dtype.name
    'uint8'
    >>> wp.dtype_to_numpy(wp.vec3)
    Traceback (most recent call last):
    ...
    TypeError: Cannot convert ... to a NumPy type
    """
    try:
        found = warp_type_to_np_dtype.get(warp_dtype)
    except TypeError:
        found = None
    if found is None:
        raise TypeError(f"Cannot convert {warp_dtype} to a NumPy type")
    return found


# ---------------------------------------------------------------------------------------
# Predicates on types
# ---------------------------------------------------------------------------------------


def type_to_warp(dtype):
    """``float``/``int``/``bool`` as Warp's float32/int32/bool; anything else unchanged."""
    if dtype is float:
        return _scalars["float32"]
    if dtype is int:
        return _scalars["int32"]
    if dtype is builtins.bool:
        return _scalars["bool"]
    return dtype


def _group(t):
    """Warp's type family of a composite type (vector/matrix/quaternion/transformation),
    or None."""
    if isinstance(t, GenericValueType):
        return t._template[0]
    if isinstance(t, type) and issubclass(t, AggregateValue):
        kind = t._numba_type.kind
        return next(g for g, kinds in TEMPLATE_GROUPS.items() if kind in kinds)
    return None


def type_is_int(t) -> bool:
    return type_to_warp(t) in int_types


def type_is_float(t) -> bool:
    return type_to_warp(t) in float_types


def type_is_scalar(t) -> bool:
    return type_is_int(t) or type_is_float(t)


def type_is_vector(t) -> bool:
    return _group(t) == "vector"


def type_is_matrix(t) -> bool:
    return _group(t) == "matrix"


def type_is_quaternion(t) -> bool:
    return _group(t) == "quaternion"


def type_is_transformation(t) -> bool:
    return _group(t) == "transformation"


def type_is_composite(t) -> bool:
    return _group(t) is not None


def type_is_value(t) -> bool:
    return t in value_types or type_is_composite(t)


def type_is_struct(t) -> bool:
    return isinstance(t, type) and hasattr(t, "_wp_struct_")


def type_is_array(t) -> bool:
    """Whether ``t`` is one of the array classes (``wp.array``)."""
    return isinstance(t, type) and getattr(t, "__wp_array__", False) is True


def type_is_tile(t) -> bool:
    return False  # numba_warp has no tiles


def type_is_generic(t) -> bool:
    """Whether ``t`` has a generic (``Any``) part."""
    if t is Any or isinstance(t, GenericValueType):
        return True
    return is_warp_array(t) and t.dtype is Any


# ---------------------------------------------------------------------------------------
# Predicates on values
# ---------------------------------------------------------------------------------------


def is_int(x) -> bool:
    return type_is_int(type(x))


def is_float(x) -> bool:
    return type_is_float(type(x))


def is_scalar(x) -> bool:
    return type_is_scalar(type(x))


def _value_group(x):
    return None if isinstance(x, type) else _group(type(x))


def is_vector(x) -> bool:
    return _value_group(x) == "vector"


def is_matrix(x) -> bool:
    return _value_group(x) == "matrix"


def is_quaternion(x) -> bool:
    return _value_group(x) == "quaternion"


def is_transformation(x) -> bool:
    return _value_group(x) == "transformation"


def is_composite(x) -> bool:
    return _value_group(x) is not None


def is_value(x) -> bool:
    return isinstance(x, value_types) or is_composite(x)


def is_struct(x) -> bool:
    """Whether ``x`` is an instance of a ``@wp.struct`` class."""
    return not isinstance(x, type) and hasattr(type(x), "_wp_struct_")


def is_array(x) -> bool:
    """Whether ``x`` is an array or an array annotation (``wp.array(dtype=float)``)."""
    return is_warp_array(x)


def is_tile(x) -> bool:
    return False


# ---------------------------------------------------------------------------------------
# Names, sizes, layouts
# ---------------------------------------------------------------------------------------


def type_repr(t) -> str:
    """A readable name of a type, as Warp writes it (``vec3f``, ``mat22d``,
    ``vector(length=5, dtype=float32)``, ``array(ndim=1, dtype=float32)``)."""
    if t is Any:
        return "Any"
    if is_warp_array(t):
        if getattr(t, "device", None) is None:
            ndim = "Any" if t.ndim is Any else t.ndim
            return f"{type(t).__name__}(ndim={ndim}, dtype={type_repr(t.dtype)})"
        return f"{type(t).__name__}(shape={t.shape}, dtype={type_repr(t.dtype)})"
    if isinstance(t, GenericValueType):
        return t.__name__
    group = _group(t)
    if group is not None:
        return _composite_repr(t, group)
    if isinstance(t, ScalarType):
        return t.__name__
    if t in (float, int, builtins.bool):
        return t.__name__
    name = getattr(t, "__qualname__", None) or getattr(t, "__name__", None)
    if name is None:
        return repr(t)
    return f"{t.__module__}.{name}"


def _composite_repr(t, group) -> str:
    dtype = t._wp_scalar_type_
    sfx = SUFFIX.get(dtype.__name__)
    shape = t._shape_
    if group in ("quaternion", "transformation"):
        base = "quat" if group == "quaternion" else "transform"
        return f"{base}{sfx}" if sfx else f"{base}(dtype={dtype.__name__})"
    if group == "vector":
        if sfx and shape[0] <= 4:
            return f"vec{shape[0]}{sfx}"
        return f"vector(length={shape[0]}, dtype={dtype.__name__})"
    if sfx and shape[0] <= 4 and shape[1] <= 4:
        return f"mat{shape[0]}{shape[1]}{sfx}"
    return f"matrix(shape=({shape[0]}, {shape[1]}), dtype={dtype.__name__})"


def type_size(dtype) -> int:
    """Number of components: 1 for a scalar or struct, the length of a vector, rows *
    cols of a matrix (0 for a generic length)."""
    if dtype in (float, int, builtins.bool) or type_is_struct(dtype):
        return 1
    length = getattr(dtype, "_length_", None)
    if length is None:
        raise TypeError(f"{type_repr(dtype)} is not a Warp value type")
    return length


def type_size_in_bytes(dtype) -> int:
    """Size in bytes of one value of ``dtype`` (as stored in an array)."""
    if dtype is Any or isinstance(dtype, GenericValueType):
        raise TypeError("A concrete type is required")
    dtype = type_to_warp(dtype)
    if type_is_struct(dtype):
        if dtype.numpy_dtype is None:
            raise TypeError(f"struct {dtype.__qualname__} holds arrays: numba_warp gives it no "
                            "fixed byte layout (it cannot be an array element)")
        return dtype.numpy_dtype.itemsize
    np_dtype = getattr(dtype, "_np_dtype", None)
    if np_dtype is None:
        raise TypeError(f"Invalid data type: {dtype}")
    return np.dtype(np_dtype).itemsize


_ctype_cache: dict = {}


def type_ctype(dtype):
    """The ``ctypes`` type with the layout of one ``dtype`` value."""
    if dtype is float:
        return ctypes.c_float
    if dtype is int:
        return ctypes.c_int32
    if dtype is builtins.bool:
        return ctypes.c_bool
    if isinstance(dtype, ScalarType):
        return dtype._type_
    hit = _ctype_cache.get(dtype)
    if hit is not None:
        return hit
    if _group(dtype) is not None and not isinstance(dtype, GenericValueType):
        out = dtype._type_ * dtype._length_
    elif type_is_struct(dtype):
        out = _struct_ctype(dtype)
    else:
        raise TypeError(f"{type_repr(dtype)} has no ctypes layout: expected a scalar, vector, "
                        "matrix, quaternion, transform or plain-data @wp.struct type")
    _ctype_cache[dtype] = out
    return out


def _struct_ctype(cls):
    fields = []
    for name, spec in cls._wp_struct_.fields:
        if spec.kind == "array":
            raise TypeError(f"struct {cls.__qualname__} holds an array (field '{name}'): "
                            "numba_warp gives it no ctypes layout")
        fields.append((name, type_ctype(spec.annotation)))
    return type(cls.__name__, (ctypes.Structure,), {"_fields_": fields})


def type_scalar_type(dtype):
    """The scalar type of a vector/matrix type; any other type itself."""
    return getattr(dtype, "_wp_scalar_type_", dtype)


def type_length(obj) -> int:
    """The first dimension of a vector/matrix type (1 for a scalar type), else ``len``."""
    if hasattr(obj, "_shape_"):
        return obj._shape_[0]
    if hasattr(obj, "_length_"):
        return obj._length_
    if typing.get_origin(obj) is tuple:
        return len(typing.get_args(obj))
    return len(obj)


def types_equal(a, b) -> bool:
    """Whether two types are the same Warp type (``float`` is float32, a spatial vector
    is a length-6 vector, arrays compare by dtype)."""
    if a is b:
        return True
    a, b = type_to_warp(a), type_to_warp(b)
    ga, gb = _group(a), _group(b)
    if ga is not None or gb is not None:
        return ga == gb and tuple(a._wp_type_params_) == tuple(b._wp_type_params_)
    if is_warp_array(a) and is_warp_array(b):
        return type(a) is type(b) and types_equal(a.dtype, b.dtype)
    return a is b


_SIMPLE_CODES = {"bool": "b", "int8": "i1", "int16": "i2", "int32": "i4", "int64": "i8",
                 "uint8": "u1", "uint16": "u2", "uint32": "u4", "uint64": "u8",
                 "float16": "f2", "float32": "f4", "float64": "f8"}


def get_type_code(arg_type) -> str:
    """Warp's short code of a type (``f4``, ``v3f4``, ``m33f8``, ``qf4``, ``a1f4``, ...)."""
    if arg_type is Any:
        return "?"
    arg_type = type_to_warp(arg_type)
    if isinstance(arg_type, ScalarType):
        return _SIMPLE_CODES[arg_type.__name__]
    group = _group(arg_type)
    if group is not None:
        scalar = arg_type._wp_scalar_type_
        dt = "?" if scalar is Any else get_type_code(scalar)
        if group == "quaternion":
            return f"q{dt}"
        if group == "transformation":
            return f"t{dt}"
        dims = "".join("?" if d == 0 else str(d) for d in arg_type._shape_)
        return f"{'v' if group == 'vector' else 'm'}{dims}{dt}"
    if is_warp_array(arg_type):
        nd = "?" if arg_type.ndim is Any else str(arg_type.ndim)
        dt = "?" if arg_type.dtype is Any else get_type_code(arg_type.dtype)
        return f"a{nd}{dt}"
    if type_is_struct(arg_type):
        digest = hashlib.sha256(arg_type._wp_struct_.stable_key.encode()).hexdigest()[:8]
        return f"{arg_type.__name__}_{digest}"
    raise TypeError(f"Unrecognized type '{arg_type}'")


#: the base class of the scalar classes (Warp code tests ``issubclass(t, scalar_base)``)
scalar_base = ScalarValue
