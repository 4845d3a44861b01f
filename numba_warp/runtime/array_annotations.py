"""Warp's other spellings of array types: ``wp.array1d`` .. ``wp.array4d`` and
``wp.fixedarray``.

``wp.array2d(...)`` makes a ``wp.array`` with ``ndim=2`` (an annotation without data,
an array with it) and ``wp.array2d[float]`` is the annotation ``wp.array(dtype=float,
ndim=2)``, as in Warp 1.19; none of them is a class of its own at run time
(``isinstance(a, wp.array2d)`` is False, as in Warp).

``wp.fixedarray(dtype, shape)`` is Warp's compiler-only, fixed-size stack array: the type
of ``wp.zeros(shape, dtype)`` made inside a kernel. It exists for type hints, e.g. a
``@wp.func`` parameter that takes such a local array; it is an array annotation of
``len(shape)`` dimensions here. Like Warp, it cannot hold data at Python scope or be
passed to a launch.
"""

from __future__ import annotations

import math
import typing

from ..typing.argspec import parse_array_subscript
from .array import ARRAY_MAX_DIMS, array, as_shape

__all__ = ["array1d", "array2d", "array3d", "array4d", "fixedarray"]


class _ArrayOfDims:
    """Base of ``array1d`` .. ``array4d``: calls and subscripts make ``wp.array`` objects."""

    _ndim = 1

    def __new__(cls, *args, **kwargs):
        kwargs["ndim"] = cls._ndim
        return array(*args, **kwargs)

    def __class_getitem__(cls, params):
        dtype, ndim = parse_array_subscript(cls.__name__, params, cls._ndim)
        return array(dtype=dtype, ndim=ndim)


class array1d(_ArrayOfDims):
    """Create or annotate a 1-D ``wp.array`` (``wp.array1d(dtype=float)``,
    ``wp.array1d[float]``).

    Example
    -------
    >>> a = wp.array1d([1.0, 2.0, 3.0], dtype=float)
    >>> a.ndim, a.numpy().tolist()
    (1, [1.0, 2.0, 3.0])
    >>> wp.array1d[float].ndim  # the annotation wp.array(dtype=float, ndim=1)
    1
    """

    _ndim = 1


class array2d(_ArrayOfDims):
    """Create or annotate a 2-D ``wp.array`` (``wp.array2d(dtype=float)``,
    ``wp.array2d[float]``).

    Example
    -------
    >>> @wp.kernel
    ... def transpose(a: wp.array2d(dtype=float), b: wp.array2d[float]):
    ...     i, j = wp.tid()
    ...     b[j, i] = a[i, j]
    >>> a = wp.array2d(np.arange(6.0).reshape(2, 3), dtype=float)
    >>> b = wp.zeros((3, 2), dtype=float)
    >>> wp.launch(transpose, dim=a.shape, inputs=[a, b])
    >>> print(b.numpy())
    [[0. 3.]
     [1. 4.]
     [2. 5.]]
    """

    _ndim = 2


class array3d(_ArrayOfDims):
    """Create or annotate a 3-D ``wp.array`` (``wp.array3d(dtype=float)``,
    ``wp.array3d[float]``).

    Example
    -------
    >>> t = wp.array3d(dtype=wp.vec3)  # an annotation: no data
    >>> t.ndim, t.dtype is wp.vec3
    (3, True)
    >>> wp.array3d(np.zeros((2, 3, 4)), dtype=float).shape
    (2, 3, 4)
    """

    _ndim = 3


class array4d(_ArrayOfDims):
    """Create or annotate a 4-D ``wp.array`` (``wp.array4d(dtype=float)``,
    ``wp.array4d[float]``).

    Example
    -------
    >>> a = wp.array4d(np.ones((1, 2, 3, 4)), dtype=wp.float64)
    >>> a.ndim, a.shape, a.dtype is wp.float64
    (4, (1, 2, 3, 4), True)
    >>> wp.array4d[int].ndim
    4
    """

    _ndim = 4


class fixedarray(array):
    """A fixed-size stack array's type (see the module docstring): an annotation only.

    Example
    -------
    >>> @wp.func
    ... def total(v: wp.fixedarray(dtype=float, shape=4)) -> float:
    ...     return v[0] + v[1] + v[2] + v[3]
    """

    def __init__(self, dtype: typing.Any = typing.Any, shape=None):
        shape = (0,) if shape is None else as_shape(shape, "fixedarray shape")
        if not 1 <= len(shape) <= ARRAY_MAX_DIMS:
            raise ValueError(f"a fixedarray has 1 to {ARRAY_MAX_DIMS} dimensions, got shape "
                             f"{shape}")
        super().__init__(dtype=dtype, ndim=len(shape))
        self.fixed_shape = shape

    @property
    def size(self) -> int:
        return math.prod(self.fixed_shape)

    def __repr__(self):
        return f"fixedarray(dtype={getattr(self.dtype, '__name__', self.dtype)}, " \
               f"shape={self.fixed_shape})"
