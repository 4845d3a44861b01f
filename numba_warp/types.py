"""``wp.types``: Warp's type construction and introspection module.

Warp 1.19's public ``warp.types`` names (``vector``, ``matrix``, ``quaternion``,
``transformation``, the ``is_*``/``type_is_*`` predicates, ``type_repr``,
``type_size``, ``type_size_in_bytes``, ``type_ctype``, ``types_equal``), plus the
names Warp programs commonly reach through ``wp.types`` from earlier Warp versions
(``type_scalar_type``, ``type_length``, ``float_types``, ``int_types``,
``scalar_types``, ``vector_types``, ``np_dtype_to_warp_type``,
``warp_type_to_np_dtype``, ``get_type_code``, ``scalar_base``, the scalar and
vector/matrix classes, ``array``).

Example
-------
>>> vec5 = wp.types.vector(length=5, dtype=float)
>>> wp.types.types_equal(wp.vec3, wp.types.vector(3, wp.float32))
True
>>> @wp.func
... def norm1(v: wp.types.vector(length=typing.Any, dtype=typing.Any)):
...     ...
"""

from __future__ import annotations

import typing as _typing

from .runtime.array import array
from .runtime.array_annotations import array1d, array2d, array3d, array4d
from .typing.generic import matrix, quaternion, transformation, vector
from .typing.introspect import *  # noqa: F401,F403
from .typing.introspect import __all__ as _introspect_all
from .typing.mat import ALIASES as _MAT_ALIASES
from .typing.scalars import scalar_types as _scalar_classes
from .typing.vec import ALIASES as _VEC_ALIASES

Any = _typing.Any
Scalar = _typing.Any
Float = _typing.Any
Int = _typing.Any

globals().update(_scalar_classes)
globals().update(_VEC_ALIASES)
globals().update(_MAT_ALIASES)
half = _scalar_classes["float16"]

#: every concrete vector/matrix/quaternion/transform alias, in Warp's order
vector_types = tuple(
    [_VEC_ALIASES[f"vec{n}{s}"] for n in (2, 3, 4)
     for s in ("b", "ub", "s", "us", "i", "ui", "l", "ul", "h", "f", "d")]
    + [_MAT_ALIASES[f"mat{n}{n}{s}"] for n in (2, 3, 4) for s in "hfd"]
    + [_VEC_ALIASES[f"quat{s}"] for s in "hfd"]
    + [_VEC_ALIASES[f"transform{s}"] for s in "hfd"]
    + [_VEC_ALIASES[f"spatial_vector{s}"] for s in "hfd"]
    + [_MAT_ALIASES[f"spatial_matrix{s}"] for s in "hfd"])

__all__ = ["vector", "matrix", "quaternion", "transformation", "vector_types", "Any",
           "Scalar", "Float", "Int", "array", "array1d", "array2d", "array3d", "array4d",
           "half"] + list(_introspect_all)
