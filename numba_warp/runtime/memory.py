"""The memory under arrays: allocation, NumPy views over raw memory, byte copies.

CPU memory is a NumPy buffer (pinned host memory from the CUDA driver when asked for);
GPU memory comes from numba-cuda allocations. Nothing here knows the ``array`` class:
copies take any objects with ``device`` and ``pinned`` attributes.
"""

from __future__ import annotations

import ctypes
import math

import numpy as np

from . import cuda_backend, memory_tracker
from .device import Device
from ..typing.dtypes import ElementType, type_name
from ..typing.structs import struct_arrays

ARRAY_MAX_DIMS = 4

__all__ = ["ARRAY_MAX_DIMS", "as_shape", "with_element_shape", "c_strides", "numpy_view",
           "void_view", "DeleterOwner", "allocate_memory", "memcpy", "host_data_for",
           "element_bytes", "held_arrays"]


def with_element_shape(arr: np.ndarray, et) -> np.ndarray:
    """``arr`` shaped as (outer dims..., element dims...), with at least one outer dim.

    As in Warp: data whose trailing dims are the element's shape keeps its outer dims
    (none gives one element: ``np.zeros(4)`` as ``quat`` is one quaternion); otherwise a
    last dim that is a multiple of the element's size is the elements flattened
    (``(2, 6)`` as ``vec3`` is ``(2, 2)`` vectors, ``(2, 9)`` as ``mat33`` two matrices)."""
    inner = et.inner_shape
    if inner and arr.shape[arr.ndim - len(inner):] != inner:
        size = math.prod(inner)
        if arr.ndim == 0 or arr.shape[-1] % size:
            raise ValueError(
                f"data of shape {arr.shape} cannot be read as {type_name(et.dtype)} elements: "
                f"its trailing dims must be the element shape {inner}, or its last dim a "
                f"multiple of the element size {size}")
        n = arr.shape[-1] // size  # one element per row is no dim (Warp: (2, 9) -> (2,))
        arr = arr.reshape(arr.shape[:-1] + ((n,) if n > 1 else ()) + inner)
    if arr.ndim == len(inner):
        arr = arr.reshape((1,) + arr.shape)
    return arr


def as_shape(shape, where="shape"):
    if isinstance(shape, (int, np.integer)):
        shape = (int(shape),)
    try:
        shape = tuple(shape)
    except TypeError:
        raise TypeError(f"{where} must be an int or a tuple of ints, got {shape!r}") from None
    if not all(isinstance(n, (int, np.integer)) or
               (isinstance(n, (float, np.floating)) and float(n).is_integer()) for n in shape):
        # int() would truncate (2, 2.5) to (2, 2) without a word
        raise TypeError(f"{where} must be an int or a tuple of ints, got {shape!r}")
    shape = tuple(int(n) for n in shape)
    if len(shape) > ARRAY_MAX_DIMS:
        raise ValueError(f"arrays have at most {ARRAY_MAX_DIMS} dimensions, {where} is {shape}")
    if any(n < 0 for n in shape):
        raise ValueError(f"{where} has a negative dimension: {shape}")
    return shape


def c_strides(shape, itemsize):
    strides, acc = [], itemsize
    for n in reversed(shape):
        strides.append(acc)
        acc *= max(int(n), 1)
    return tuple(reversed(strides))


def numpy_view(ptr, shape, strides, et: ElementType, owner) -> np.ndarray:
    """A plain ndarray over raw memory; its base keeps ``owner`` alive."""
    if math.prod(shape) == 0:
        return np.zeros(shape + et.inner_shape, dtype=et.scalar_np)
    lo = sum(min(0, (n - 1) * s) for n, s in zip(shape, strides))
    hi = sum(max(0, (n - 1) * s) for n, s in zip(shape, strides)) + et.itemsize
    buf = (ctypes.c_char * (hi - lo)).from_address(ptr + lo)
    buf._wp_owner = owner
    return np.ndarray(shape, dtype=et.np_dtype, buffer=buf, offset=-lo, strides=strides)


def void_view(ptr, shape, strides, void: np.dtype, owner) -> np.ndarray:
    """An ndarray over raw memory whose elements are opaque bytes (``void``); its base
    keeps ``owner`` alive."""
    if math.prod(shape) == 0:
        return np.zeros(shape, dtype=void)
    lo = sum(min(0, (n - 1) * s) for n, s in zip(shape, strides))
    hi = sum(max(0, (n - 1) * s) for n, s in zip(shape, strides)) + void.itemsize
    buf = (ctypes.c_char * (hi - lo)).from_address(ptr + lo)
    buf._wp_owner = owner
    return np.ndarray(shape, dtype=void, buffer=buf, offset=-lo, strides=strides)


class DeleterOwner:
    """Owner of memory given with a user ``deleter``: calls it when the last array over
    the memory is gone."""

    def __init__(self, deleter, ptr, size):
        self.deleter, self.ptr, self.size = deleter, ptr, size

    def __del__(self):
        try:
            self.deleter(self.ptr, self.size)
        except Exception:  # a failing user deleter must not crash the interpreter
            pass


def allocate_memory(dev: Device, shape, et: ElementType, pinned: bool, zero: bool):
    """New memory for a C-contiguous array: ``(owner, address, NumPy view or None)``
    (noted by the allocation tracker when it is on; see memory_tracker)."""
    out = _allocate(dev, shape, et, pinned, zero)
    if memory_tracker.tracking():
        # (Warp's report lists page-locked host memory as the device "pinned")
        where = "pinned" if dev.is_cpu and pinned and cuda_backend.available() else dev
        memory_tracker.note_allocation(where, shape, et.dtype,
                                       math.prod(shape) * et.itemsize, out[0])
    return out


def _allocate(dev: Device, shape, et: ElementType, pinned: bool, zero: bool):
    nbytes = math.prod(shape) * et.itemsize
    if dev.is_cpu:
        if pinned and cuda_backend.available():
            _, buf = cuda_backend.alloc_pinned(nbytes)  # buf's base keeps the memory alive
            npview = np.ndarray(shape, dtype=et.np_dtype, buffer=buf)
            if zero:
                buf[...] = 0
            return npview, npview.ctypes.data, npview
        npview = np.zeros(shape, dtype=et.np_dtype) if zero else np.empty(shape, et.np_dtype)
        return npview, npview.ctypes.data, npview
    owner, ptr = cuda_backend.alloc(dev.ordinal, nbytes)
    if zero and nbytes:
        cuda_backend.memset8(ptr, 0, nbytes, dev.stream.numba_stream, dev.ordinal)
    return owner, ptr, None


def memcpy(dst, src, dptr: int, sptr: int, nbytes: int, stream=None):
    """Copy bytes between arrays' memory; queued on ``stream`` or the GPU's current stream.

    Copies from or to pageable host memory wait for completion (the host buffer may be
    reused at once); with pinned host memory they stay asynchronous, as in Warp.
    """
    if nbytes <= 0:
        return
    gpu = dst.device if dst.device.is_cuda else src.device
    s = stream if stream is not None else gpu.stream
    ns = s.numba_stream
    if dst.device.is_cuda and src.device.is_cuda:
        if dst.device == src.device:
            cuda_backend.memcpy_dtod(dptr, sptr, nbytes, ns, gpu.ordinal)
        else:
            src.device.stream.synchronize()
            cuda_backend.memcpy_peer(dptr, dst.device.ordinal, sptr, src.device.ordinal,
                                     nbytes, ns)
    elif dst.device.is_cuda:
        cuda_backend.memcpy_htod(dptr, sptr, nbytes, ns, gpu.ordinal, pinned=src.pinned)
        if not src.pinned:
            s.synchronize()
    else:
        cuda_backend.memcpy_dtoh(dptr, sptr, nbytes, ns, gpu.ordinal, pinned=dst.pinned)
        if not dst.pinned:
            s.synchronize()


def host_data_for(data, et: ElementType) -> np.ndarray:
    """``data`` (array-like) as host data of ``et``'s scalar type (or record dtype)."""
    if isinstance(data, np.ndarray) and data.dtype == et.np_dtype:
        return data
    if et.np_dtype.fields is not None:
        if isinstance(data, (list, tuple)):
            data = [v.to_record() if hasattr(v, "to_record") else v for v in data]
        return np.asarray(data, dtype=et.np_dtype)
    if not isinstance(data, np.ndarray) and not hasattr(data, "__array_interface__"):
        # lists and scalars: NumPy converts element by element and raises OverflowError
        # for values that do not fit (rather than wrapping them)
        return np.asarray(data, dtype=et.scalar_np)
    arr = np.asarray(data)
    if arr.dtype.fields is not None and arr.dtype.itemsize == et.itemsize:
        return arr.view(et.scalar_np).reshape(arr.shape + et.inner_shape)
    return arr.astype(et.scalar_np, copy=False)


def element_bytes(value, et: ElementType) -> bytes:
    """The bytes of one element of ``et`` holding ``value`` (for fills)."""
    if et.np_dtype.fields is not None:
        return _struct_bytes(value, et)
    v = np.asarray(getattr(value, "value", value), dtype=et.scalar_np)
    if et.inner_shape:
        v = np.broadcast_to(v, et.inner_shape)
    elif v.ndim:
        raise ValueError(f"fill_ needs a scalar for an array of {type_name(et.dtype)}")
    return np.ascontiguousarray(v).tobytes()


def _struct_bytes(value, et: ElementType) -> bytes:
    """One struct element's bytes: from an instance of the struct, or zeros for ``0``
    (Warp's two accepted fill values)."""
    cls = et.dtype
    if isinstance(value, cls):
        return np.array(value.to_record(), dtype=et.np_dtype).tobytes()
    if not isinstance(value, (bool, np.bool_)) and isinstance(value, (int, float, np.number)) \
            and value == 0:
        return bytes(et.itemsize)
    raise ValueError(f"cannot fill an array of struct {cls.__qualname__} with {value!r}: "
                     f"pass a {cls.__qualname__} instance, or 0 for zeros")


def held_arrays(values, et, device) -> list:
    """The arrays in the array fields of struct ``values`` stored into an array of ``et``
    on ``device``: each must be on that device. The array of structs keeps them alive
    (its elements hold their addresses; arrays stored by kernels are not kept)."""
    out = []
    for v in values:
        if not isinstance(v, et.dtype):
            continue
        for a in struct_arrays(v):
            if a.device is not None and a.device != device:
                raise ValueError(f"a {et.dtype.__qualname__} holds an array on {a.device}; an "
                                 f"array of these structs on {device} needs its arrays there "
                                 "too (move them with .to())")
            out.append(a)
    return out
