"""``wp.utils``: Warp 1.19's array helpers, run as kernels on the arrays' device.

``array_sum``, ``array_inner``, ``array_scan``, ``array_cast`` (``runtime/array_reduce.py``)
and ``radix_sort_pairs``, ``segmented_sort_pairs``, ``runlength_encode``
(``runtime/array_sort.py``) take the same arguments as Warp's and follow its conventions
(output arrays, in-place sorts through ``2 * count`` scratch storage, values returned on
the host when no output array is given). See each function for details.
"""

from __future__ import annotations

from .runtime.array_reduce import array_cast, array_inner, array_scan, array_sum
from .runtime.array_sort import radix_sort_pairs, runlength_encode, segmented_sort_pairs

__all__ = ["array_cast", "array_inner", "array_scan", "array_sum", "radix_sort_pairs",
           "runlength_encode", "segmented_sort_pairs"]
