"""Array factories with Warp's names: ``empty``, ``zeros``, ``ones``, ``full``, their
``*_like`` forms, ``clone``, ``copy`` (with offsets and counts, across devices) and
``from_numpy``.
"""

from __future__ import annotations

import ctypes
import typing

import numpy as np

from ..lowering.local_arrays import register_kernel_pointer_array, register_kernel_zeros
from . import capture_state, recording
from .array import allocate, array, as_shape, copy_into
from .device import get_device
from ..typing.dtypes import element_type
from .memory import memcpy

__all__ = ["empty", "zeros", "ones", "full", "empty_like", "zeros_like", "ones_like",
           "full_like", "clone", "copy", "from_numpy"]


def _finish(out: array, requires_grad: bool, retain_grad: bool) -> array:
    if requires_grad:
        out.requires_grad = True
    out.retain_grad = bool(retain_grad)
    return out


def empty(shape=0, dtype=float, device=None, requires_grad=False, pinned=False,
          retain_grad=False) -> array:
    """An array with uninitialised contents."""
    et = element_type(dtype)
    dev = get_device(device)
    out = allocate(as_shape(shape), et, dev, pinned)
    return _finish(out, requires_grad, retain_grad)


def zeros(shape=0, dtype=float, device=None, requires_grad=False, pinned=False,
          retain_grad=False) -> array:
    """An array of zeros."""
    out = empty(shape, dtype, device, False, pinned)
    out.zero_()
    return _finish(out, requires_grad, retain_grad)


def ones(shape=0, dtype=float, device=None, requires_grad=False, pinned=False,
         retain_grad=False) -> array:
    """An array of ones."""
    return full(shape, 1, dtype, device, requires_grad, pinned, retain_grad)


def full(shape=0, value=0, dtype=typing.Any, device=None, requires_grad=False,
         pinned=False, retain_grad=False) -> array:
    """An array with every element set to ``value``."""
    if dtype is typing.Any:
        v = getattr(value, "value", value)
        if hasattr(type(value), "_np_dtype"):
            dtype = type(value)
        elif isinstance(v, bool):
            dtype = bool
        elif isinstance(v, (int, np.integer)):
            dtype = int
        else:
            dtype = float
    out = empty(shape, dtype, device, False, pinned)
    out.fill_(value)
    return _finish(out, requires_grad, retain_grad)


def _like(src: array, device, requires_grad):
    dev = src.device if device is None else get_device(device)
    rg = src.requires_grad if requires_grad is None else requires_grad
    return dev, rg


def empty_like(src: array, device=None, requires_grad=None) -> array:
    dev, rg = _like(src, device, requires_grad)
    return empty(src.shape, src.dtype, dev, rg, src.pinned)


def zeros_like(src: array, device=None, requires_grad=None) -> array:
    dev, rg = _like(src, device, requires_grad)
    return zeros(src.shape, src.dtype, dev, rg, src.pinned)


def ones_like(src: array, device=None, requires_grad=None) -> array:
    dev, rg = _like(src, device, requires_grad)
    return ones(src.shape, src.dtype, dev, rg, src.pinned)


def full_like(src: array, value, device=None, requires_grad=None) -> array:
    dev, rg = _like(src, device, requires_grad)
    return full(src.shape, value, src.dtype, dev, rg, src.pinned)


def clone(src: array, device=None, requires_grad=None, pinned=None) -> array:
    """A copy of ``src`` (on ``device`` if given)."""
    dev, rg = _like(src, device, requires_grad)
    out = empty(src.shape, src.dtype, dev, False, src.pinned if pinned is None else pinned)
    copy_into(out, src)
    if rg:
        out.requires_grad = True
    out.mark_write("wp.clone()")
    recording.record_copy(out, src, "wp.clone()")
    return out


def copy(dest: array, src: array, dest_offset: int = 0, src_offset: int = 0,
         count: int = 0, stream=None) -> None:
    """Copy ``count`` elements from ``src[src_offset:]`` to ``dest[dest_offset:]``.

    With the defaults the whole of ``src`` is copied (shapes must match, or both be
    contiguous with the same size). Works host<->device and device<->device. Offsets
    and counts work on contiguous arrays (flat element order) and on 1-D strided ones.
    On a recording ``wp.Tape`` the copy is differentiable.
    """
    if not isinstance(dest, array) or not isinstance(src, array):
        raise TypeError("wp.copy() copies between wp.array objects")
    if count == 0 and dest_offset == 0 and src_offset == 0:
        if dest.shape == src.shape and stream is None:
            dest.mark_write("wp.copy()")
            recording.record_copy(dest, src, "wp.copy()", 0, 0, src.size)
            copy_into(dest, src)
            return
        if dest.size < src.size:
            raise ValueError(f"cannot copy {src.size} elements into an array of {dest.size}; "
                             "the destination must be at least as large as the source")
        count = src.size
    if count == 0:
        count = src.size - src_offset
    if src_offset < 0 or dest_offset < 0 or count < 0 or src_offset + count > src.size or \
            dest_offset + count > dest.size:
        raise ValueError(f"copy range out of bounds: {count} elements from offset {src_offset} "
                         f"of {src.size} into offset {dest_offset} of {dest.size}")
    if src.element_type.itemsize != dest.element_type.itemsize:
        raise TypeError("cannot copy between arrays of different element sizes")
    contiguous = dest.is_contiguous and src.is_contiguous
    if not contiguous and not (dest.ndim == 1 and src.ndim == 1):
        raise ValueError("copies with offsets or counts between non-contiguous arrays need "
                         "1-D arrays (copy a contiguous clone, or copy whole arrays)")
    dest.mark_write("wp.copy()")
    recording.record_copy(dest, src, "wp.copy()", dest_offset, src_offset, count)
    if not contiguous:
        copy_into(dest[dest_offset:dest_offset + count], src[src_offset:src_offset + count])
        return
    copy_elements(dest, src, dest_offset, src_offset, count, stream)


def copy_elements(dest: array, src: array, dest_offset: int, src_offset: int, count: int,
                  stream=None) -> None:
    """Copy ``count`` elements between contiguous arrays (recorded instead during a CPU
    graph capture; see capture_state)."""
    if capture_state.defer((dest.device, src.device), copy_elements, dest, src, dest_offset,
                           src_offset, count, stream):
        return
    isz = src.element_type.itemsize
    if dest.device.is_cpu and src.device.is_cpu:
        ctypes.memmove(dest.ptr + dest_offset * isz, src.ptr + src_offset * isz, count * isz)
        return
    memcpy(dest, src, dest.ptr + dest_offset * isz, src.ptr + src_offset * isz, count * isz,
            stream)


def from_numpy(arr, dtype=None, shape=None, device=None, requires_grad=False) -> array:
    """A wp.array with a copy of a NumPy array's contents."""
    return array(np.asarray(arr), dtype=typing.Any if dtype is None else dtype, shape=shape,
                 device=device, requires_grad=requires_grad)


# in kernels, wp.zeros makes a thread-local array and wp.array(ptr=...) views an address
register_kernel_zeros(zeros)
register_kernel_pointer_array(array)
