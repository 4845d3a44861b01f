"""Kernels behind array methods on GPUs: filling and copying strided views.

Contiguous fills and copies use memset/memcpy; views with gaps (``a[:, 1]``,
transposes) go through these kernels, one per dimensionality, generic in dtype.
Kernels are built on arrays, so ``array.py`` cannot import this module: importing it
installs :func:`fill_strided` and :func:`copy_strided` into ``array.py``
(``install_strided_kernels``); the package's face imports it.
"""

import typing

from ..lang import tid
from .array import array, install_strided_kernels
from .kernel import kernel
from .launch import launch

__all__ = ["fill_strided", "copy_strided"]


def _make(ndim: int):
    ann = array(dtype=typing.Any, ndim=ndim)
    if ndim == 1:
        @kernel(name=f"numba_warp_fill_{ndim}d")
        def fill(dst: ann, value: typing.Any):
            i = tid()
            dst[i] = value

        @kernel(name=f"numba_warp_copy_{ndim}d")
        def copy(dst: ann, src: ann):
            i = tid()
            dst[i] = src[i]
    elif ndim == 2:
        @kernel(name=f"numba_warp_fill_{ndim}d")
        def fill(dst: ann, value: typing.Any):
            i, j = tid()
            dst[i, j] = value

        @kernel(name=f"numba_warp_copy_{ndim}d")
        def copy(dst: ann, src: ann):
            i, j = tid()
            dst[i, j] = src[i, j]
    elif ndim == 3:
        @kernel(name=f"numba_warp_fill_{ndim}d")
        def fill(dst: ann, value: typing.Any):
            i, j, k = tid()
            dst[i, j, k] = value

        @kernel(name=f"numba_warp_copy_{ndim}d")
        def copy(dst: ann, src: ann):
            i, j, k = tid()
            dst[i, j, k] = src[i, j, k]
    else:
        @kernel(name=f"numba_warp_fill_{ndim}d")
        def fill(dst: ann, value: typing.Any):
            i, j, k, m = tid()
            dst[i, j, k, m] = value

        @kernel(name=f"numba_warp_copy_{ndim}d")
        def copy(dst: ann, src: ann):
            i, j, k, m = tid()
            dst[i, j, k, m] = src[i, j, k, m]
    return fill, copy


_kernels = {n: _make(n) for n in range(1, 5)}


def fill_strided(arr: array, value) -> None:
    """Set every element of a (possibly strided) GPU array to a NumPy scalar ``value``."""
    launch(_kernels[arr.ndim][0], dim=arr.shape, inputs=[arr, value], device=arr.device)


def copy_strided(dst: array, src: array) -> None:
    """Copy ``src`` into ``dst`` (same shape and item size), both on one GPU."""
    if src.element_type != dst.element_type:
        src = src.view(dst.dtype)
    launch(_kernels[dst.ndim][1], dim=dst.shape, inputs=[dst, src], device=dst.device)


install_strided_kernels(fill_strided, copy_strided)
