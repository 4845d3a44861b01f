"""Array factories with Warp's names: ``empty``, ``zeros``, ``ones``, ``full``, their
``*_like`` forms, ``clone``, ``copy`` (with offsets and counts, across devices) and
``from_numpy``.
"""

from __future__ import annotations

import ctypes
import operator
import typing

import numpy as np

from ..lowering.local_arrays import register_kernel_pointer_array, register_kernel_zeros
from . import capture_state, recording
from .array import allocate, array, as_shape, copy_into
from .array_kernels import copy_indexed
from .indexed import is_array_like
from .device import get_device
from ..typing.dtypes import element_type, from_numpy_dtype, type_name
from ..typing.mat import matrix
from ..typing.vec import vector
from .memory import memcpy
from .python_mode import register_local_zeros

__all__ = ["empty", "zeros", "ones", "full", "empty_like", "zeros_like", "ones_like",
           "full_like", "clone", "copy", "from_numpy"]


def _finish(out: array, requires_grad: bool, retain_grad: bool) -> array:
    if requires_grad:
        out.requires_grad = True
    if retain_grad:
        out.retain_grad = True
    return out


def _shape_of(shape, kwargs, where):
    """The shape of a factory call: ``shape``, or Warp's older keyword ``n=`` (a length)."""
    if "n" in kwargs:
        n = kwargs.pop("n")
        if shape is not None:
            raise TypeError(f"{where}() takes shape= or n=, not both")
        shape = (n,)
    if kwargs:
        raise TypeError(f"{where}() got unexpected keyword argument(s) {sorted(kwargs)}")
    return 0 if shape is None else shape


def empty(shape=None, dtype=float, device=None, requires_grad: bool = False,
          pinned: bool = False, retain_grad: bool = False, **kwargs) -> array:
    """An array with uninitialised contents (``n=length`` is Warp's older form of
    ``shape``).

    Example
    -------
    >>> a = wp.empty((4, 2), dtype=wp.vec3)  # the contents are whatever memory held
    >>> a.shape, a.dtype is wp.vec3
    ((4, 2), True)
    >>> wp.empty(n=5).shape
    (5,)
    """
    shape = _shape_of(shape, kwargs, "wp.empty")
    et = element_type(dtype)
    dev = get_device(device)
    out = allocate(as_shape(shape), et, dev, pinned)
    return _finish(out, requires_grad, retain_grad)


def zeros(shape=None, dtype=float, device=None, requires_grad: bool = False,
          pinned: bool = False, retain_grad: bool = False, **kwargs) -> array:
    """An array of zeros.

    Example
    -------
    >>> print(wp.zeros((2, 3), dtype=int).numpy())
    [[0 0 0]
     [0 0 0]]
    >>> a = wp.zeros(4, dtype=wp.vec3, requires_grad=True)
    >>> a.shape, a.dtype is wp.vec3, a.grad.shape
    ((4,), True, (4,))
    """
    out = empty(_shape_of(shape, kwargs, "wp.zeros"), dtype, device, False, pinned)
    out.zero_()
    return _finish(out, requires_grad, retain_grad)


def ones(shape=None, dtype=float, device=None, requires_grad: bool = False,
         pinned: bool = False, retain_grad: bool = False, **kwargs) -> array:
    """An array of ones.

    Example
    -------
    >>> print(wp.ones(3, dtype=wp.float64).numpy())
    [1. 1. 1.]
    >>> wp.ones(2, dtype=wp.vec2).numpy().tolist()  # every component
    [[1.0, 1.0], [1.0, 1.0]]
    """
    shape = _shape_of(shape, kwargs, "wp.ones")
    return full(shape, 1, dtype, device, requires_grad, pinned, retain_grad)


def _dtype_of_value(value):
    """The dtype ``wp.full`` infers from its value, as Warp 1.19 does: int -> int32,
    float -> float32, bool -> bool, a Warp scalar/vector/matrix/struct -> its type, a
    sequence -> a vector (1-D) or matrix (2-D) of the sequence's NumPy scalar type."""
    if type(value) is bool:
        return bool
    if type(value) is int:
        return int
    if type(value) is float:
        return float
    cls = type(value)
    if hasattr(cls, "_np_dtype") or hasattr(cls, "_wp_struct_"):
        return cls
    if hasattr(value, "__len__"):
        try:
            na = np.asarray(value)
            scalar = from_numpy_dtype(na.dtype)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"wp.full(): cannot read {value!r} as a vector or matrix "
                             f"value: {exc}") from None
        if na.ndim == 1:
            return vector(na.size, scalar)
        if na.ndim == 2:
            return matrix(na.shape, scalar)
        raise ValueError("wp.full(): values with more than two dimensions are not supported")
    raise ValueError(f"wp.full(): cannot infer an array dtype from a value of type "
                     f"{cls.__name__}; pass dtype=")


def full(shape=None, value=0, dtype=None, device=None, requires_grad: bool = False,
         pinned: bool = False, retain_grad: bool = False, **kwargs) -> array:
    """An array with every element set to ``value`` (dtype inferred from it when not
    given, as in Warp).

    Example
    -------
    >>> a = wp.full(3, 7)  # an int: int32
    >>> a.dtype is wp.int32, a.numpy().tolist()
    (True, [7, 7, 7])
    >>> v = wp.full((2,), wp.vec3(1.0, 2.0, 3.0))
    >>> v.dtype is wp.vec3, v.numpy().tolist()
    (True, [[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]])
    >>> print(wp.full((2, 2), 0.5, dtype=wp.float64).numpy())
    [[0.5 0.5]
     [0.5 0.5]]
    """
    shape = _shape_of(shape, kwargs, "wp.full")
    if dtype is None or dtype is typing.Any:
        dtype = _dtype_of_value(value)
    out = empty(shape, dtype, device, False, pinned)
    out.fill_(value)
    return _finish(out, requires_grad, retain_grad)


def _like(src, device, requires_grad, pinned):
    dev = src.device if device is None else get_device(device)
    rg = getattr(src, "requires_grad", False) if requires_grad is None else requires_grad
    pin = getattr(src, "pinned", False) if pinned is None else pinned
    return dev, rg, pin


def empty_like(src, device=None, requires_grad: bool | None = None,
               pinned: bool | None = None, retain_grad: bool = False) -> array:
    """An uninitialised array of ``src``'s shape and dtype (on its device by default).

    Example
    -------
    >>> a = wp.ones((2, 3), dtype=wp.int64)
    >>> b = wp.empty_like(a)
    >>> b.shape, b.dtype is wp.int64, b.device == a.device
    ((2, 3), True, True)
    """
    dev, rg, pin = _like(src, device, requires_grad, pinned)
    return empty(src.shape, src.dtype, dev, rg, pin, retain_grad)


def zeros_like(src, device=None, requires_grad: bool | None = None,
               pinned: bool | None = None, retain_grad: bool = False) -> array:
    """An array of zeros of ``src``'s shape and dtype.

    Example
    -------
    >>> a = wp.array([[1.0, 2.0], [3.0, 4.0]], dtype=wp.float64)
    >>> z = wp.zeros_like(a)
    >>> z.dtype is wp.float64, z.numpy().tolist()
    (True, [[0.0, 0.0], [0.0, 0.0]])
    """
    dev, rg, pin = _like(src, device, requires_grad, pinned)
    return zeros(src.shape, src.dtype, dev, rg, pin, retain_grad)


def ones_like(src, device=None, requires_grad: bool | None = None,
              pinned: bool | None = None, retain_grad: bool = False) -> array:
    """An array of ones of ``src``'s shape and dtype.

    Example
    -------
    >>> a = wp.zeros(3, dtype=wp.int16)
    >>> b = wp.ones_like(a)
    >>> b.dtype is wp.int16, b.numpy().tolist()
    (True, [1, 1, 1])
    """
    dev, rg, pin = _like(src, device, requires_grad, pinned)
    return ones(src.shape, src.dtype, dev, rg, pin, retain_grad)


def full_like(src, value, device=None, requires_grad: bool | None = None,
              pinned: bool | None = None, retain_grad: bool = False) -> array:
    """An array of ``src``'s shape and dtype with every element set to ``value``.

    Example
    -------
    >>> a = wp.zeros((2, 2), dtype=wp.float32)
    >>> print(wp.full_like(a, 2.5).numpy())
    [[2.5 2.5]
     [2.5 2.5]]
    """
    dev, rg, pin = _like(src, device, requires_grad, pinned)
    return full(src.shape, value, src.dtype, dev, rg, pin, retain_grad)


def clone(src, device=None, requires_grad: bool | None = None, pinned: bool | None = None,
          retain_grad: bool = False) -> array:
    """A copy of ``src`` (on ``device`` if given).

    Example
    -------
    >>> a = wp.array([1.0, 2.0, 3.0], dtype=float)
    >>> b = wp.clone(a)
    >>> wp.copy(a, wp.zeros(3, dtype=float))  # overwrite a: b has memory of its own
    >>> print(a.numpy(), b.numpy())
    [0. 0. 0.] [1. 2. 3.]
    >>> c = wp.clone(b, device="cpu")
    >>> c.device.is_cpu, c.numpy().tolist()
    (True, [1.0, 2.0, 3.0])
    """
    dev, rg, pin = _like(src, device, requires_grad, pinned)
    out = empty(src.shape, src.dtype, dev, False, pin)
    if isinstance(src, array):
        copy_into(out, src)
    else:  # an indexed array: gathered on its device
        copy(out, src)
    _finish(out, rg, retain_grad)
    out.mark_write("wp.clone()")
    recording.record_copy(out, src, "wp.clone()")
    return out


def _copy_count(name: str, value) -> int:
    try:
        value = operator.index(value)  # ints and NumPy ints; floats are refused
    except TypeError:
        raise RuntimeError(f"wp.copy(): {name} must be an integer, got {value!r}") from None
    if value < 0:
        raise RuntimeError(f"wp.copy(): {name} must be non-negative, got {value}")
    return value


def copy(dest, src, dest_offset: int = 0, src_offset: int = 0, count: int = 0,
         stream=None) -> None:
    """Copy ``count`` elements from ``src[src_offset:]`` to ``dest[dest_offset:]``, with
    Warp 1.19's rules.

    ``count=0`` copies all of ``src``. Offsets and counts are in elements, in flat
    (row-major) order. When both arrays are contiguous, any shapes work (the destination
    must hold ``dest_offset + count`` elements); when either is strided (a slice, a
    transpose) or indexed, offsets and counts need 1-D arrays and the copied ranges must
    have the same shape. Copies work host<->device and between GPUs (strided arrays are
    staged through a contiguous copy). On a recording ``wp.Tape`` the copy is
    differentiable. Errors are ``RuntimeError``, as in Warp.
    

    Example
    -------
    >>> src = wp.array([1, 2, 3, 4], dtype=int)
    >>> dest = wp.zeros(6, dtype=int)
    >>> wp.copy(dest, src, dest_offset=2, src_offset=1, count=3)
    >>> print(dest.numpy())
    [0 0 2 3 4 0]
    """
    if not is_array_like(dest) or not is_array_like(src):
        raise RuntimeError(f"wp.copy() copies between Warp arrays, got "
                           f"{type(dest).__name__} <- {type(src).__name__}")
    dest_offset = _copy_count("dest_offset", dest_offset)
    src_offset = _copy_count("src_offset", src_offset)
    count = _copy_count("count", count) or src.size
    if count == 0:
        return
    if src.element_type.itemsize != dest.element_type.itemsize:
        raise RuntimeError(f"wp.copy(): incompatible array data types: destination dtype="
                           f"{type_name(dest.dtype)}, source dtype={type_name(src.dtype)} "
                           "(element sizes differ)")
    cross = src.device != dest.device
    # across devices the bytes move contiguously (a strided source is staged, as in Warp)
    if dest.is_contiguous and (src.is_contiguous or cross):
        _check_range("source", src_offset, count, src.size)
        _check_range("destination", dest_offset, count, dest.size)
        sub = None
    else:
        sub = _strided_ranges(dest, src, dest_offset, src_offset, count)
    dest.mark_write("wp.copy()")
    recording.record_copy(dest, src, "wp.copy()", dest_offset, src_offset, count)
    if sub is not None:
        dest, src = sub
    if cross:
        src = src.contiguous()
        if not dest.is_contiguous:
            staged = empty(src.shape, src.dtype, dest.device)
            copy_into(staged, src)
            src = staged
    if sub is None:
        copy_elements(dest, src, dest_offset, src_offset, count, stream)
    else:
        _copy_strided(dest, src, stream)


def _strided_ranges(dest, src, dest_offset, src_offset, count):
    """The (destination, source) views a copy involving a non-contiguous array copies
    between, checked: the whole arrays, or 1-D ranges given by offsets and a count."""
    if src_offset or dest_offset or count != src.size or count != dest.size:
        if not (isinstance(src, array) and isinstance(dest, array)):
            raise RuntimeError("wp.copy(): dest_offset, src_offset and count are not supported "
                               "for indexed arrays; copy whole arrays")
        if src.ndim != 1 or dest.ndim != 1:
            raise RuntimeError(
                "wp.copy(): dest_offset, src_offset and count need 1-D arrays when an array is "
                f"not contiguous (destination shape {dest.shape}, source shape {src.shape}); "
                "copy whole arrays, or copy from/to a contiguous clone (a.contiguous())")
        _check_range("source", src_offset, count, src.size)
        _check_range("destination", dest_offset, count, dest.size)
        src = src[src_offset:src_offset + count]
        dest = dest[dest_offset:dest_offset + count]
    if src.shape != dest.shape:
        raise RuntimeError(f"wp.copy(): incompatible array shapes: destination shape="
                           f"{dest.shape}, source shape={src.shape} (a non-contiguous copy "
                           "copies between arrays of one shape)")
    return dest, src


def _check_range(which: str, offset: int, count: int, size: int):
    if offset + count > size:
        raise RuntimeError(f"wp.copy(): {count} element(s) from offset {offset} exceed the "
                           f"{which} size ({size})")


def copy_elements(dest: array, src: array, dest_offset: int, src_offset: int, count: int,
                  stream=None) -> None:
    """Copy ``count`` elements between contiguous arrays (ranges checked by the caller;
    recorded instead during a CPU graph capture; see capture_state)."""
    if capture_state.defer((dest.device, src.device), copy_elements, dest, src, dest_offset,
                           src_offset, count, stream):
        return
    isz = src.element_type.itemsize
    dptr, sptr = dest.ptr + dest_offset * isz, src.ptr + src_offset * isz
    if dest.device.is_cpu and src.device.is_cpu:
        ctypes.memmove(dptr, sptr, count * isz)
        return
    memcpy(dest, src, dptr, sptr, count * isz, stream)


def _copy_strided(dest, src, stream):
    """A copy between arrays of one shape on one device (strided or indexed)."""
    if not (isinstance(src, array) and isinstance(dest, array)):
        copy_indexed(dest, src, stream)
        return
    dev = dest.device
    if stream is None or dev.is_cpu or stream == dev.stream:
        copy_into(dest, src)
        return
    # the copy kernel runs on the device's stream: order it after and before ``stream``
    dev.stream.wait_stream(stream)
    copy_into(dest, src)
    stream.wait_stream(dev.stream)


def from_numpy(arr, dtype=None, shape=None, device=None, requires_grad: bool = False,
               retain_grad: bool = False) -> array:
    """A wp.array with a copy of a NumPy array's contents.

    Without ``dtype``, as in Warp: a 2-D array becomes an array of vectors (one per
    row), a 3-D array an array of matrices, any other an array of its scalar type.
    

    Example
    -------
    >>> a = wp.from_numpy(np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=np.float32))
    >>> a.shape, a.dtype is wp.vec3  # one vec3 per row
    ((2,), True)
    >>> b = wp.from_numpy(np.arange(3, dtype=np.int64))
    >>> b.dtype is wp.int64, b.numpy().tolist()
    (True, [0, 1, 2])
    >>> wp.from_numpy(np.zeros((2, 3)), dtype=wp.float32).shape
    (2, 3)
    """
    arr = np.asarray(arr)
    if dtype is None:
        scalar = from_numpy_dtype(arr.dtype)
        if arr.ndim == 2:
            dtype = vector(arr.shape[1], scalar)
        elif arr.ndim == 3:
            dtype = matrix((arr.shape[1], arr.shape[2]), scalar)
        else:
            dtype = scalar
    return array(arr, dtype=dtype, shape=shape, device=device, requires_grad=requires_grad,
                 retain_grad=retain_grad)


# in kernels, wp.zeros makes a thread-local array and wp.array(ptr=...) views an address
register_kernel_zeros(zeros)
register_local_zeros(zeros)
register_kernel_pointer_array(array)
