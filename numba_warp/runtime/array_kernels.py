"""Kernels behind array methods: filling and copying strided views on GPUs, and the
gathers, scatters and fills of indexed arrays (on every device).

Contiguous fills and copies use memset/memcpy; views with gaps (``a[:, 1]``,
transposes) go through these kernels, one per dimensionality, generic in dtype.
Kernels are built on arrays, so ``array.py`` and ``indexed.py`` cannot import this
module: importing it installs :func:`fill_strided` and :func:`copy_strided` into
``array.py`` (``install_strided_kernels``) and the indexed-array kernels into
``indexed.py`` (``install_indexed_kernels``); the package's face imports it.
"""

import typing

import numpy as np

from ..lang import tid
from ..typing.structs import is_struct_class
from .array import array, copy_into, install_strided_kernels
from .indexed import indexedarray, install_indexed_kernels
from .kernel import library_kernel
from .launch import launch
from .memory import element_bytes

__all__ = ["fill_strided", "copy_strided", "gather_indexed", "scatter_indexed",
           "fill_indexed", "copy_indexed"]


def _make(ndim: int):
    ann = array(dtype=typing.Any, ndim=ndim)
    if ndim == 1:
        @library_kernel(f"numba_warp_fill_{ndim}d")
        def fill(dst: ann, value: typing.Any):
            i = tid()
            dst[i] = value

        @library_kernel(f"numba_warp_copy_{ndim}d")
        def copy(dst: ann, src: ann):
            i = tid()
            dst[i] = src[i]
    elif ndim == 2:
        @library_kernel(f"numba_warp_fill_{ndim}d")
        def fill(dst: ann, value: typing.Any):
            i, j = tid()
            dst[i, j] = value

        @library_kernel(f"numba_warp_copy_{ndim}d")
        def copy(dst: ann, src: ann):
            i, j = tid()
            dst[i, j] = src[i, j]
    elif ndim == 3:
        @library_kernel(f"numba_warp_fill_{ndim}d")
        def fill(dst: ann, value: typing.Any):
            i, j, k = tid()
            dst[i, j, k] = value

        @library_kernel(f"numba_warp_copy_{ndim}d")
        def copy(dst: ann, src: ann):
            i, j, k = tid()
            dst[i, j, k] = src[i, j, k]
    else:
        @library_kernel(f"numba_warp_fill_{ndim}d")
        def fill(dst: ann, value: typing.Any):
            i, j, k, m = tid()
            dst[i, j, k, m] = value

        @library_kernel(f"numba_warp_copy_{ndim}d")
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


# -- indexed arrays: gathers, scatters and fills through the indices ----------------------
def _make_indexed(ndim: int):
    dense = array(dtype=typing.Any, ndim=ndim)
    view = indexedarray(dtype=typing.Any, ndim=ndim)
    if ndim == 1:
        @library_kernel("numba_warp_gather_1d")
        def gather(dst: dense, src: view):
            i = tid()
            dst[i] = src[i]

        @library_kernel("numba_warp_scatter_1d")
        def scatter(dst: view, src: dense):
            i = tid()
            dst[i] = src[i]

        @library_kernel("numba_warp_fill_indexed_1d")
        def fill(dst: view, value: typing.Any):
            i = tid()
            dst[i] = value
    elif ndim == 2:
        @library_kernel("numba_warp_gather_2d")
        def gather(dst: dense, src: view):
            i, j = tid()
            dst[i, j] = src[i, j]

        @library_kernel("numba_warp_scatter_2d")
        def scatter(dst: view, src: dense):
            i, j = tid()
            dst[i, j] = src[i, j]

        @library_kernel("numba_warp_fill_indexed_2d")
        def fill(dst: view, value: typing.Any):
            i, j = tid()
            dst[i, j] = value
    elif ndim == 3:
        @library_kernel("numba_warp_gather_3d")
        def gather(dst: dense, src: view):
            i, j, k = tid()
            dst[i, j, k] = src[i, j, k]

        @library_kernel("numba_warp_scatter_3d")
        def scatter(dst: view, src: dense):
            i, j, k = tid()
            dst[i, j, k] = src[i, j, k]

        @library_kernel("numba_warp_fill_indexed_3d")
        def fill(dst: view, value: typing.Any):
            i, j, k = tid()
            dst[i, j, k] = value
    else:
        @library_kernel("numba_warp_gather_4d")
        def gather(dst: dense, src: view):
            i, j, k, m = tid()
            dst[i, j, k, m] = src[i, j, k, m]

        @library_kernel("numba_warp_scatter_4d")
        def scatter(dst: view, src: dense):
            i, j, k, m = tid()
            dst[i, j, k, m] = src[i, j, k, m]

        @library_kernel("numba_warp_fill_indexed_4d")
        def fill(dst: view, value: typing.Any):
            i, j, k, m = tid()
            dst[i, j, k, m] = value
    return gather, scatter, fill


_indexed_kernels = {n: _make_indexed(n) for n in range(1, 5)}


def gather_indexed(dst: array, src: indexedarray) -> None:
    """``dst[...] = src[...]``: the elements of an indexed array into a dense array of its
    shape on its device."""
    launch(_indexed_kernels[src.ndim][0], dim=src.shape, inputs=[dst, src], device=src.device)


def scatter_indexed(dst: indexedarray, src: array) -> None:
    """``dst[...] = src[...]``: a dense array written through an indexed array's indices."""
    launch(_indexed_kernels[dst.ndim][1], dim=dst.shape, inputs=[dst, src], device=dst.device)


def fill_indexed(dst: indexedarray, value) -> None:
    """Every element of an indexed array set to ``value`` (converted to its dtype)."""
    et = dst.element_type
    if is_struct_class(et.dtype):
        # a struct is no value for a generic kernel parameter: scatter a filled copy
        filled = array(shape=dst.shape, dtype=et.dtype, device=dst.device)
        filled.fill_(value)
        scatter_indexed(dst, filled)
        return
    comps = np.frombuffer(element_bytes(value, et), dtype=et.scalar_np)
    item = et.dtype(comps) if et.inner_shape else comps[0]
    launch(_indexed_kernels[dst.ndim][2], dim=dst.shape, inputs=[dst, item], device=dst.device)


def copy_indexed(dst, src, stream=None) -> None:
    """A copy between arrays of one shape on one device where at least one is indexed."""
    dev = dst.device
    if stream is not None and dev.is_cuda and stream != dev.stream:
        dev.stream.wait_stream(stream)
        copy_indexed(dst, src)
        stream.wait_stream(dev.stream)
        return
    if isinstance(src, indexedarray):
        src = src.contiguous()
    if isinstance(dst, indexedarray):
        dst.scatter_from(src)
    else:
        copy_into(dst, src)


install_indexed_kernels(gather_indexed, scatter_indexed, fill_indexed)
