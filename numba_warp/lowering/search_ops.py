"""``wp.lower_bound``: binary search of a sorted 1-D array, in kernels (Warp's Algorithms).

``lower_bound(arr, value)`` and ``lower_bound(arr, arr_begin, arr_end, value)`` return
the first index ``i`` of ``[arr_begin, arr_end)`` with ``arr[i] >= value``, as an int32,
with Warp 1.19's exact result at the edges (array.h): the search runs over
``[arr_begin, arr_end - 1]``, so when every element is below ``value`` the result is
``arr_end - 1`` (not ``arr_end``), and an empty range gives ``arr_begin``. ``value`` is
compared as the array's dtype. Not differentiable (the result is an index).
"""

from __future__ import annotations

import numpy as np
from numba.core import types
from numba.core.errors import TypingError

from .builtin import absent, implements, is_int, is_number, jitable, nondifferentiable

__all__ = ["lower_bound"]


def _search(arr, begin, end, value):
    lower = np.int32(begin)
    upper = np.int32(end) - np.int32(1)
    while lower < upper:
        mid = lower + (upper - lower) // np.int32(2)
        if arr[mid] < value:
            lower = mid + np.int32(1)
        else:
            upper = mid
    return lower


jitable(_search)


def lower_bound(arr, arr_begin, arr_end=None, value=None):
    """Index of the first element of the sorted 1-D ``arr`` (within ``[arr_begin,
    arr_end)`` when given) that is ``>= value``; ``arr_end - 1`` when none is.

    Example
    -------
    >>> a = wp.array([1, 3, 3, 7, 9], dtype=int)
    >>> [wp.lower_bound(a, v) for v in (0, 3, 4, 9)]
    [0, 1, 3, 4]
    >>> wp.lower_bound(a, 10), wp.lower_bound(a, 2, 5, 8)  # none >= 10: arr_end - 1
    (4, 4)
    """
    data = arr.numpy() if hasattr(arr, "numpy") else np.asarray(arr)
    if data.ndim != 1:
        raise TypeError(f"wp.lower_bound(arr, ...): arr must be a 1-D array of numbers, "
                        f"got one of shape {data.shape}")
    if value is None:
        arr_begin, arr_end, value = 0, data.shape[0], arr_begin
    return int(_search(data, arr_begin, arr_end, data.dtype.type(value)))


@implements(lower_bound)
def _ol_lower_bound(arr, arr_begin, arr_end=None, value=None):
    if not (isinstance(arr, types.Array) and arr.ndim == 1 and is_number(arr.dtype)):
        raise TypingError(f"wp.lower_bound(arr, ...): arr must be a 1-D array of "
                          f"numbers, got {arr}")
    dtype = arr.dtype
    if absent(arr_end) and absent(value):
        if not is_number(arr_begin):
            raise TypingError(f"wp.lower_bound(arr, value): value must be a number, "
                              f"got {arr_begin}")

        def impl(arr, arr_begin, arr_end=None, value=None):
            return _search(arr, 0, arr.shape[0], dtype(arr_begin))
        return impl
    if not (is_int(arr_begin) and is_int(arr_end) and is_number(value)):
        raise TypingError("wp.lower_bound(arr, arr_begin, arr_end, value): arr_begin and "
                          f"arr_end must be ints and value a number, got {arr_begin}, "
                          f"{arr_end}, {value}")

    def impl4(arr, arr_begin, arr_end=None, value=None):
        return _search(arr, arr_begin, arr_end, dtype(value))
    return impl4


nondifferentiable(lower_bound)
