"""``wp.array``: a typed, strided view of memory on the CPU or a GPU.

An array is a pointer, a shape, byte strides, an element type and a device, plus the
object that owns the memory. CPU memory is a NumPy buffer (so ``numpy()`` is a
zero-copy view, as in Warp); GPU memory comes from numba-cuda allocations. Arrays
export ``__array_interface__`` (CPU), ``__cuda_array_interface__`` (GPU) and DLPack.

Python-scope element access (``a[i] = x``) is deliberately not supported, as in
Warp: use ``fill_``, ``assign``, ``numpy()`` or a kernel. Slicing gives views.
"""

from __future__ import annotations

import math
import struct
import typing

import numpy as np
from numba.core import types

from . import capture_state, cuda_backend, recording
from .array_operators import ArrayOperators
from .device import Device, get_device
from .dlpack_export import KDL_CPU, KDL_CUDA, to_dlpack_capsule
from ..typing.argspec import parse_array_subscript
from ..typing.dtypes import ElementType, element_type, from_numpy_dtype, type_name
from ..typing.structs import is_struct_class, struct_from_record
from .memory import (
    ARRAY_MAX_DIMS,
    DeleterOwner,
    as_shape,
    with_element_shape,
    allocate_memory,
    c_strides,
    element_bytes,
    held_arrays,
    host_data_for,
    memcpy,
    numpy_view,
    void_view,
)
from .device import Event, Stream
from .versions import counter_for_memory

__all__ = ["array", "ARRAY_MAX_DIMS",
           "ArrayLaunchData", "allocate", "null_array", "as_shape", "copy_into",
           "install_strided_kernels", "same_type_view"]

_NEW = object()


class array(ArrayOperators):
    """A multi-dimensional array on a device (Warp's ``wp.array``).

    Parameters
    ----------
    data : array-like, optional
        Initial contents: a NumPy array, a list, another ``wp.array``, or any object with
        ``__array_interface__``/``__cuda_array_interface__``/``__dlpack__``.
    dtype : element type (``float``, ``wp.float32``, ``wp.int32``, a struct, ...).
    shape : int or tuple, used when ``data`` is None (the memory is zero-filled).
    device : ``"cpu"``, ``"cuda"``, ``"cuda:N"`` or a Device (default: current device).
    copy : when False and ``data`` is a NumPy array on the CPU with the right dtype,
        the array aliases it instead of copying.
    requires_grad : allocate a gradient array of the same shape (``a.grad``).

    Examples
    --------
    >>> a = wp.array([1.0, 2.0, 3.0], dtype=wp.float32, device="cpu")
    >>> a.numpy()
    array([1., 2., 3.], dtype=float32)

    As a kernel annotation: ``wp.array(dtype=float)``, ``wp.array(dtype=float, ndim=2)``,
    ``wp.array2d(dtype=float)``, ``wp.array[float]``, ``wp.array2d[float]`` or
    ``wp.array[float, 2]``.
    """

    __array_priority__ = 0
    #: the typing floor recognises arrays by this protocol (see typing/argspec.py)
    __wp_array__ = True

    def __init__(self, data=None, dtype: typing.Any = typing.Any, shape=None, strides=None,
                 ptr=None, capacity=None, device=None, pinned=False, copy=True, deleter=None,
                 ndim=None, grad=None, requires_grad=False, retain_grad=False, owner=_NEW):
        self._grad = None
        self._requires_grad = False
        self._retain_grad = False
        self.pinned = bool(pinned)
        self._deleter = deleter
        if owner is not _NEW:  # internal fast path: a view of existing memory
            self._init_view(ptr, shape, strides, dtype, device, owner)
        elif data is None and ptr is None and shape is None:
            self._init_annotation(dtype, ndim)
        elif ptr is not None:
            self._init_from_ptr(ptr, dtype, shape, strides, device, capacity)
        elif data is None:
            self._init_new(dtype, as_shape(shape), device)
        else:
            self._init_from_data(data, dtype, shape, device, copy)
        if grad is not None:
            self.grad = grad
        elif requires_grad:
            self.requires_grad = True
        if retain_grad:
            self.retain_grad = True

    # -- construction ----------------------------------------------------------------
    def _init_view(self, ptr, shape, strides, et, device, owner):
        self._et = et
        self.dtype = et.dtype
        self.shape = tuple(shape)
        self.strides = tuple(strides)
        self.ndim = len(self.shape)
        self.device = device
        self.ptr = int(ptr)
        self._owner = owner
        self._np = None
        #: the ArrayLaunchData once a launch made it (``launch_data()``), else None
        self.launch_cache = None
        self._vc = None  # write counter, shared with views (see version)
        self._any_layout = False  # launches pass it as layout "A" even when contiguous
        self._capacity = None  # given with wp.array(ptr=..., capacity=...)

    def _init_annotation(self, dtype, ndim):
        self._is_annotation = True
        nd = 1 if ndim is None else int(ndim)
        if not 1 <= nd <= ARRAY_MAX_DIMS:
            raise ValueError(f"ndim must be between 1 and {ARRAY_MAX_DIMS}, got {ndim}")
        self.dtype = dtype
        try:
            self._et = None if dtype is typing.Any else element_type(dtype)
        except TypeError as exc:
            # as in Warp, a kernel or function annotated with it fails when it is compiled,
            # not the module that defines it when it is imported
            self._et, self._dtype_error = None, str(exc)
        if self._et is not None:
            self.dtype = self._et.dtype
        self.ndim = nd
        self.shape = (0,) * nd
        self.strides = (0,) * nd
        self._capacity = None
        self.device = None
        self.ptr = 0
        self._owner = None
        self._np = None
        self.launch_cache = None

    def _init_new(self, dtype, shape, device):
        et = element_type(float if dtype is typing.Any else dtype)
        dev = get_device(device)
        strides = c_strides(shape, et.itemsize)
        owner, ptr, npview = allocate_memory(dev, shape, et, self.pinned, zero=True)
        self._init_view(ptr, shape, strides, et, dev, owner)
        self._np = npview

    def _init_from_ptr(self, ptr, dtype, shape, strides, device, capacity):
        if dtype is typing.Any:
            raise TypeError("wp.array(ptr=...) needs dtype= (the type of the elements at ptr)")
        et = element_type(dtype)
        dev = get_device(device)
        shape = as_shape(shape)
        if capacity is None:  # Warp's: the bytes the shape (and strides) span
            capacity = math.prod(shape) * et.itemsize if strides is None else \
                shape[0] * int(strides[0]) if shape else 0
        strides = tuple(strides) if strides is not None else c_strides(shape, et.itemsize)
        owner = DeleterOwner(self._deleter, ptr, capacity) if self._deleter else None
        self._init_view(ptr, shape, strides, et, dev, owner)
        self._capacity = capacity

    def _init_from_data(self, data, dtype, shape, device, copy):
        if isinstance(data, array):
            src = data if dtype is typing.Any else data.view(dtype)
            dev = get_device(device) if device is not None else data.device
            if not copy and dev == data.device:
                self._init_view(src.ptr, src.shape, src.strides, src._et, src.device,
                                src._owner)
                self._np = src._np
                return
            self._init_new(src.dtype, src.shape, dev)
            copy_into(self, src)
            return
        dev = get_device(device)
        cai = getattr(data, "__cuda_array_interface__", None) if not isinstance(
            data, np.ndarray) else None
        if cai is not None:
            src = _wrap_cuda_array_interface(data, cai)
            if dtype is not typing.Any:
                src = src.view(dtype) if element_type(dtype) != src._et else src
            self._init_from_data(src, typing.Any, None, dev if device is not None else
                                 src.device, copy)
            return
        et = None if dtype is typing.Any else element_type(dtype)
        if et is None:
            arr = np.asarray(data)  # the dtype is NumPy's inference, as in Warp
            et = element_type(from_numpy_dtype(arr.dtype))
        else:
            arr = host_data_for(data, et)
            if is_struct_class(et.dtype) and isinstance(data, (list, tuple)):
                self._held = held_arrays(data, et, dev)
        if shape is not None:
            arr = arr.reshape(as_shape(shape) + et.inner_shape)
        arr = with_element_shape(arr, et)
        outer = as_shape(arr.shape[: arr.ndim - len(et.inner_shape)])
        if dev.is_cpu and not copy and isinstance(data, np.ndarray) and arr is data:
            self._init_view(arr.ctypes.data, outer, arr.strides[: len(outer)], et, dev, arr)
            self._np = arr
            return
        self._init_new(et.dtype, outer, dev)
        src = np.ascontiguousarray(arr)
        if dev.is_cpu:
            if capture_state.active[0]:  # (a CPU graph capture records the copy)
                copy_into(self, array(src.reshape(self._np.shape), dtype=et.dtype, copy=False))
                return
            self._np[...] = src.reshape(self._np.shape)
        else:
            cuda_backend.memcpy_htod(self.ptr, src.ctypes.data, src.nbytes,
                                     _stream_of(dev), dev.ordinal)
            _sync_stream(dev)  # the host source may be a temporary

    # -- annotations -----------------------------------------------------------------
    def __class_getitem__(cls, params):
        # wp.array[float], wp.array[wp.vec3, 2], wp.array[float, Literal[2]] (as in Warp)
        dtype, ndim = parse_array_subscript("array", params)
        return array(dtype=dtype, ndim=ndim)

    # -- basic properties ------------------------------------------------------------
    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def capacity(self) -> int:
        """Bytes addressable from ``ptr`` (given to ``wp.array(ptr=...)``, else the size's)."""
        if self._capacity is not None:
            return self._capacity
        return self.size * self._et.itemsize if self._et else 0

    @property
    def is_contiguous(self) -> bool:
        return self.size <= 1 or self.strides == c_strides(self.shape, self._et.itemsize)

    @property
    def is_transposed(self) -> bool:
        """Whether the axes are out of row-major order (a ``transpose()`` view), as Warp's."""
        return any(a < b for a, b in zip(self.strides, self.strides[1:]))

    @property
    def element_type(self) -> ElementType | None:
        """The resolved element type (Numba type, NumPy dtype, item size, element shape);
        None for an annotation with a generic dtype."""
        return self._et

    def launch_data(self) -> "ArrayLaunchData":
        """How a launch passes this array, worked out on its first launch."""
        data = self.launch_cache
        if data is None:
            data = self.launch_cache = ArrayLaunchData(self)
        return data

    @property
    def vars(self):
        return {"shape": self.shape, "dtype": self.dtype}

    def __len__(self):
        return self.shape[0]

    def __repr__(self):
        if getattr(self, "_is_annotation", False):
            return f"array(dtype={type_name(self.dtype)}, ndim={self.ndim})"
        return (f"array(shape={self.shape}, dtype={type_name(self.dtype)}, "
                f"device='{self.device}')")

    def __str__(self):
        if getattr(self, "_is_annotation", False) or self.device is None:
            return repr(self)
        return str(self.numpy())

    # -- write tracking (for Tape.backward's overwrite check) --------------------------
    def _version_counter(self) -> list:
        """``[writes so far, who wrote last]``, shared by every array over these bytes."""
        vc = self._vc
        if vc is None:
            lo = hi = self.ptr
            if self.size:
                for n, st in zip(self.shape, self.strides):
                    lo += min(0, (n - 1) * st)
                    hi += max(0, (n - 1) * st)
                hi += self._et.itemsize
            key = self.device.ordinal if self.device is not None else None
            vc = self._vc = counter_for_memory(key, lo, hi)
        return vc

    @property
    def last_writer(self) -> str | None:
        """Who wrote this array's memory last (a kernel's key or an array method), if any."""
        return self._version_counter()[1]

    def reset_version(self, version: int, writer: str | None) -> None:
        """Set the write counter back to an earlier ``version`` and ``last_writer``: for
        tools that put back data they overwrote (``wp.autograd``), so that it does not
        count as an overwrite for a tape."""
        self._version_counter()[:] = [version, writer]

    @property
    def version(self) -> int:
        """How many times this array's memory (through it, a view, or any other array over
        the same bytes) was written by a launch or an array method; ``Tape.backward()``
        compares it to detect overwritten inputs."""
        return self._version_counter()[0]

    def mark_write(self, writer: str = "a Python-scope write") -> None:
        """Record a write to this array (done by launches and array methods; call it
        after writing the memory in another way, e.g. through ``a.numpy()``)."""
        vc = self._vc
        if vc is None:
            vc = self._version_counter()
        vc[0] += 1
        vc[1] = writer

    def mark_read(self) -> None:
        """Accepted for Warp compatibility; reads are recorded per launch by the tape."""

    # -- gradients -------------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool):
        if value and self._grad is None:
            self._grad = allocate(self.shape, self._et, self.device, self.pinned, zero=True)
        elif not value:
            self._grad = None
            self._retain_grad = False
        self._requires_grad = bool(value)

    @property
    def retain_grad(self) -> bool:
        """Keep this array's gradient when the backward pass reads it (instead of zeroing
        it, Warp's default); needs ``requires_grad``."""
        return self._retain_grad

    @retain_grad.setter
    def retain_grad(self, value: bool):
        if value and not self._requires_grad:
            raise ValueError("retain_grad=True requires requires_grad=True")
        self._retain_grad = bool(value)

    @property
    def grad(self):
        return self._grad

    @grad.setter
    def grad(self, g):
        if g is None:
            self._grad = None
            self._requires_grad = False
            self._retain_grad = False
            return
        if not isinstance(g, array):
            g = array(g, dtype=self.dtype, device=self.device)
        if g.shape != self.shape or g._et != self._et:
            raise ValueError(f"gradient of shape {g.shape} and dtype {type_name(g.dtype)} does "
                             f"not match the array ({self.shape}, {type_name(self.dtype)})")
        self._grad = g
        self._requires_grad = True

    # -- element access (rejected, as in Warp) ----------------------------------------
    def __setitem__(self, key, value):
        raise TypeError(
            "wp.array does not support assigning elements at Python scope (a[i] = x). "
            "Use a.fill_(value) on a slice (a[2:5].fill_(1.0)), a.assign(values) with a "
            "NumPy array or list, or write the element in a kernel."
        )

    def __getitem__(self, key):
        if not isinstance(key, tuple):
            key = (key,)
        if any(k is Ellipsis for k in key):
            i = key.index(Ellipsis)
            fill = self.ndim - (len(key) - 1)
            key = key[:i] + (slice(None),) * fill + key[i + 1:]
        if len(key) > self.ndim:
            raise IndexError(f"too many indices ({len(key)}) for a {self.ndim}-D array")
        if len(key) == self.ndim and all(isinstance(k, (int, np.integer)) for k in key):
            raise TypeError(
                "reading single elements of a wp.array at Python scope is not supported "
                "(each read would be a device transfer). Use a.numpy()[i] (a.numpy() is a "
                "zero-copy view on the CPU), a.list(), or read the element in a kernel."
            )
        offset = 0
        shape, strides = [], []
        for d, k in enumerate(key):
            n, st = self.shape[d], self.strides[d]
            if isinstance(k, (int, np.integer)):
                k = int(k)
                if k < 0:
                    k += n
                if not 0 <= k < n:
                    raise IndexError(f"index {key[d]} is out of bounds for axis {d} of size {n}")
                offset += k * st
            elif isinstance(k, slice):
                start, stop, step = k.indices(n)
                count = len(range(start, stop, step))
                offset += start * st if count else 0
                shape.append(count)
                strides.append(st * step)
            else:
                raise TypeError(f"arrays are indexed with ints and slices, got {k!r}")
        shape += self.shape[len(key):]
        strides += self.strides[len(key):]
        view = array(ptr=self.ptr + offset, shape=tuple(shape), strides=tuple(strides),
                     dtype=self._et, device=self.device, owner=self._owner)
        view._vc = self._version_counter()
        if self._np is not None:
            view._np = self._np[key]
        if self._grad is not None:
            view._grad = self._grad[key]
            view._requires_grad = self._requires_grad
        return view

    # -- host interop ----------------------------------------------------------------
    def numpy(self) -> np.ndarray:
        """The contents as a NumPy array: a view on the CPU, a synchronised copy on a GPU."""
        if self.device is None:
            return np.zeros(self.shape + (self._et.inner_shape if self._et else ()),
                            dtype=self._et.scalar_np if self._et else np.float32)
        if self.device.is_cpu:
            return self._cpu_view()
        host = np.empty(self.shape, dtype=self._et.np_dtype)
        src = self if self.is_contiguous else self.contiguous()
        if src.size:
            cuda_backend.memcpy_dtoh(host.ctypes.data, src.ptr, host.nbytes,
                                     _stream_of(self.device), self.device.ordinal)
            _sync_stream(self.device)
        return host

    def _cpu_view(self) -> np.ndarray:
        if self._np is None:
            self._np = numpy_view(self.ptr, self.shape, self.strides, self._et, self._owner)
        return self._np

    def _kernel_view(self) -> np.ndarray:
        """The ndarray the CPU launcher takes: one element per entry, of the array's shape.

        For vector/matrix elements NumPy would expand the element into extra axes; the
        launcher needs exactly ``ndim`` axes, so those get an opaque ``V<itemsize>`` view.
        """
        if self._et.inner_shape:
            return void_view(self.ptr, self.shape, self.strides,
                             np.dtype((np.void, self._et.itemsize)), self._owner)
        return self._cpu_view()

    def list(self) -> list:
        """The elements as a flat Python list, as in Warp 1.19: Python numbers for scalar
        dtypes, vector/matrix objects (``wp.vec3``, ...), struct instances."""
        host = self.numpy()
        et = self._et
        if is_struct_class(et.dtype):
            return [struct_from_record(et.dtype, r) for r in host.reshape(-1)]
        if et.inner_shape:
            return [et.dtype(v) for v in host.reshape((-1,) + et.inner_shape)]
        return host.reshape(-1).tolist()

    def __array__(self, dtype=None, copy=None):
        out = self.numpy()
        return out.astype(dtype) if dtype is not None else out

    def _interface(self) -> dict:
        """The array-interface description shared by the CPU and CUDA protocols."""
        et = self._et
        return {
            "version": 3,
            "shape": self.shape + et.inner_shape,
            "typestr": et.scalar_np.str,
            "data": (self.ptr, False),
            "strides": self.strides + c_strides(et.inner_shape, et.scalar_np.itemsize),
        }

    @property
    def __array_interface__(self):
        if self.device is None or not self.device.is_cpu:
            raise AttributeError("__array_interface__ is only available for CPU arrays; "
                                 "use a.numpy() to copy GPU data to the host")
        return self._interface()

    @property
    def __cuda_array_interface__(self):
        if self.device is None or not self.device.is_cuda:
            raise AttributeError("__cuda_array_interface__ is only available for GPU arrays")
        desc = self._interface()
        desc["stream"] = None  # work is ordered by the array's device stream
        return desc

    def __dlpack__(self, stream=None, max_version=None, dl_device=None, copy=None):
        if self.device.is_cuda and stream not in (None, -1):
            _order_with_consumer(self.device, stream)
        kind = KDL_CUDA if self.device.is_cuda else KDL_CPU
        versioned = max_version is not None and tuple(max_version) >= (1, 0)
        et = self._et
        return to_dlpack_capsule(
            self.ptr, self.shape, self.strides, et.np_dtype, kind,
            max(self.device.ordinal, 0), self, versioned=versioned)

    def __dlpack_device__(self):
        if self.device.is_cuda:
            return (KDL_CUDA, self.device.ordinal)
        return (KDL_CPU, 0)

    # -- in-place operations ---------------------------------------------------------
    def fill_(self, value) -> "array":
        """Set every element to ``value``."""
        if self.size == 0:
            return self
        item = element_bytes(value, self._et)
        if is_struct_class(self.dtype):
            self._held = held_arrays([value], self._et, self.device)
        self.mark_write("fill_()")
        fill_bytes(self, item)
        return self

    def zero_(self) -> "array":
        """Set every element to zero."""
        return self.fill_(0)

    def assign(self, src) -> "array":
        """Copy ``src`` (an array, NumPy array or list of the same shape) into this array."""
        if not isinstance(src, array):
            src = array(src, dtype=self.dtype, device="cpu")
        if src.shape != self.shape:
            raise ValueError(f"cannot assign an array of shape {src.shape} to one of shape "
                             f"{self.shape}")
        self.mark_write("assign()")
        recording.record_copy(self, src, "assign()")
        copy_into(self, src)
        return self

    # -- conversions and views -------------------------------------------------------
    def to(self, device, requires_grad=None) -> "array":
        """This array on ``device`` (itself if already there, else a copy)."""
        dev = get_device(device)
        if dev == self.device:
            return self
        out = array(self, device=dev)
        if requires_grad if requires_grad is not None else self.requires_grad:
            out.requires_grad = True
        return out

    def contiguous(self) -> "array":
        """This array if it is contiguous, else a contiguous copy."""
        if self.is_contiguous:
            return self
        out = allocate(self.shape, self._et, self.device)
        copy_into(out, self)
        return out

    def reshape(self, shape) -> "array":
        """A view with a new shape (the array must be contiguous); -1 infers one size."""
        shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
        if shape.count(-1) > 1:
            raise ValueError("only one dimension may be -1")
        if -1 in shape:
            known = math.prod(n for n in shape if n != -1)
            shape = tuple(self.size // known if n == -1 else n for n in shape)
        shape = as_shape(shape)
        if math.prod(shape) != self.size:
            raise ValueError(f"cannot reshape an array of size {self.size} into shape {shape}")
        if not self.is_contiguous:
            raise ValueError("reshape needs a contiguous array; call .contiguous() first")
        out = self._view_as(shape, c_strides(shape, self._et.itemsize), self._et)
        return self._with_grad_view(out, lambda g: g.reshape(shape))

    def flatten(self) -> "array":
        """A 1-D view (the array must be contiguous)."""
        return self.reshape((self.size,))

    def view(self, dtype) -> "array":
        """Reinterpret the memory with another dtype of the same item size."""
        et = element_type(dtype)
        if et.itemsize != self._et.itemsize:
            raise ValueError(f"view() needs a dtype of the same size ({self._et.itemsize} "
                             f"bytes), {type_name(dtype)} has {et.itemsize}")
        return self._view_as(self.shape, self.strides, et)

    def transpose(self, axes=None) -> "array":
        """A view with permuted axes (reversed by default)."""
        axes = tuple(reversed(range(self.ndim))) if axes is None else tuple(axes)
        if sorted(axes) != list(range(self.ndim)):
            raise ValueError(f"axes {axes} are not a permutation of {tuple(range(self.ndim))}")
        out = self._view_as(tuple(self.shape[a] for a in axes),
                            tuple(self.strides[a] for a in axes), self._et)
        return self._with_grad_view(out, lambda g: g.transpose(axes))

    def padded_view(self, ndim: int = ARRAY_MAX_DIMS) -> "array":
        """A view with ``ndim`` dimensions (leading extents of 1), its gradient viewed the
        same way; launches pass it with layout "A" even when it is contiguous (one
        compiled variant for every size, for the runtime's generic kernels)."""
        pad = ndim - self.ndim
        out = self._view_as((1,) * pad + self.shape, (0,) * pad + self.strides, self._et)
        out._any_layout = True
        if self._grad is not None:
            out._grad = self._grad.padded_view(ndim)
            out._requires_grad = self._requires_grad
        return out

    def _view_as(self, shape, strides, et) -> "array":
        out = array(ptr=self.ptr, shape=shape, strides=strides, dtype=et, device=self.device,
                    owner=self._owner)
        out._vc = self._version_counter()
        return out

    def _with_grad_view(self, out, same_view) -> "array":
        """``out``, a view of this array, with the same view of its gradient (as Warp's
        reshape, flatten and transpose: a gradient written through either one is seen
        through the other)."""
        if self._grad is not None:
            out._grad = same_view(self._grad)
            out._requires_grad = self._requires_grad
        return out

    @property
    def T(self):
        return self.transpose()


class ArrayLaunchData:
    """How launches pass an array (``array.launch_data()``): made on its first launch, as
    an array's memory, shape, strides, type and device never change.

    ``numba_type`` selects the compiled variant; ``dtype`` is the element's Numba type;
    ``cpu_arg`` is what the CPU launcher takes (an ndarray with one entry per element;
    None for GPU arrays) and ``cuda_args`` the flattened CUDA kernel arguments
    (numba-cuda's ABI: ``meminfo, parent, nitems, itemsize, data, *shape, *strides``).
    """

    __slots__ = ("numba_type", "dtype", "cpu_arg", "cuda_args", "cuda_bytes")

    def __init__(self, a: array):
        et = a.element_type
        self.dtype = et.numba_type
        contiguous = a.is_contiguous and not a._any_layout
        self.numba_type = types.Array(et.numba_type, a.ndim, "C" if contiguous else "A")
        self.cuda_args = (0, 0, a.size, et.itemsize, a.ptr, *a.shape, *a.strides)
        self.cuda_bytes = struct.pack(f"<{len(self.cuda_args)}q", *self.cuda_args)  # 8-byte slots
        self.cpu_arg = a._kernel_view() if a.device.is_cpu else None


def allocate(shape: tuple, et: ElementType, device: Device, pinned: bool = False,
             zero: bool = False) -> array:
    """A new C-contiguous array of ``shape`` (checked by :func:`as_shape`) on ``device``;
    its contents are zeros with ``zero``, else undefined."""
    owner, ptr, npview = allocate_memory(device, shape, et, pinned, zero)
    out = array(ptr=ptr, shape=shape, strides=c_strides(shape, et.itemsize), dtype=et,
                device=device, pinned=pinned, owner=owner)
    out._np = npview
    return out


def null_array(et: ElementType, ndim: int, device: Device) -> array:
    """Warp's null array: ``ndim`` dimensions of size 0 and no memory."""
    out = array(ptr=0, shape=(0,) * ndim, strides=(et.itemsize,) * ndim, dtype=et,
                device=device, owner=None)
    out._np = np.zeros((0,) * ndim, dtype=et.np_dtype)
    return out


def _stream_of(dev: Device):
    return dev.stream.numba_stream


def _sync_stream(dev: Device):
    dev.stream.synchronize()


def _order_with_consumer(dev, stream):
    """Make the consumer's stream wait for our pending work (DLPack's stream rule)."""
    if stream in (1, 2):
        dev.stream.synchronize()
        return
    ev = Event(dev)
    dev.stream.record_event(ev)
    Stream(dev, cuda_stream=int(stream)).wait_event(ev)


def _wrap_cuda_array_interface(obj, cai) -> array:
    """A view of another library's GPU array (``__cuda_array_interface__``).

    The interface's ``stream`` entry is not waited on: work on the view is queued on our
    device's stream, after what the producer queued before handing it over."""
    shape = tuple(cai["shape"])
    npdt = np.dtype(cai["typestr"])
    strides = cai.get("strides") or c_strides(shape, npdt.itemsize)
    ptr = cai["data"][0]
    dev = _pointer_device(ptr) if ptr else get_device("cuda")
    et = element_type(from_numpy_dtype(npdt))
    return array(ptr=ptr, shape=shape, strides=tuple(strides), dtype=et, device=dev, owner=obj)


def _pointer_device(ptr: int) -> Device:
    """The GPU whose memory ``ptr`` points to; the current GPU when the driver does not
    know the pointer (memory of another API, or host memory)."""
    drv = cuda_backend.driver()
    attr = drv.binding.CUpointer_attribute.CU_POINTER_ATTRIBUTE_DEVICE_ORDINAL
    try:
        ordinal = int(drv.driver.cuPointerGetAttribute(attr, ptr))
    except drv.CudaAPIError:
        return get_device("cuda")
    return get_device(f"cuda:{ordinal}")


# -- GPU fills and copies -----------------------------------------------------------------
# Contiguous ones are memset/memcpy; strided views need kernels, and kernels are built on
# arrays (kernel.py and launch.py import this module), so this module cannot import them:
# runtime/array_kernels.py, above both, installs them here when imported (the package's
# face imports it, so they are in place after ``import numba_warp``).
_STRIDED_KERNELS: dict = {}


def install_strided_kernels(fill, copy) -> None:
    """Set ``fill(arr, value)`` and ``copy(dst, src)``, the kernels that fill and copy
    strided views on one GPU (``value`` a NumPy scalar or a vector/matrix value)."""
    _STRIDED_KERNELS.update(fill=fill, copy=copy)


def _strided_kernel(op: str):
    kern = _STRIDED_KERNELS.get(op)
    if kern is None:
        raise RuntimeError(f"a strided GPU {op} needs the kernels of "
                           "numba_warp.runtime.array_kernels, which `import numba_warp` "
                           "installs; the package's import did not finish")
    return kern


def _fill_cuda(arr: array, item: bytes):
    dev = arr.device
    n = len(item)
    if arr.is_contiguous and len(set(item)) == 1:
        cuda_backend.memset8(arr.ptr, item[0], arr.size * n, _stream_of(dev), dev.ordinal)
    elif arr.is_contiguous and n == 4:
        word = int.from_bytes(item, "little")
        cuda_backend.memset32(arr.ptr, word, arr.size, _stream_of(dev), dev.ordinal)
    elif arr.is_contiguous and n == 2:
        cuda_backend.memset16(arr.ptr, int.from_bytes(item, "little"), arr.size,
                              _stream_of(dev), dev.ordinal)
    elif arr._et.np_dtype.fields is not None:
        # a struct value is no kernel argument: copy from a filled host array instead
        host = np.full(arr.shape, np.frombuffer(item, dtype=arr._et.np_dtype)[0])
        copy_into(arr, array(host, dtype=arr.dtype, device="cpu"))
    else:
        comps = np.frombuffer(item, dtype=arr._et.scalar_np)
        value = arr._et.dtype(comps) if arr._et.inner_shape else comps[0]
        _strided_kernel("fill")(arr, value)


def fill_bytes(arr: array, item: bytes) -> None:
    """Set every element of ``arr`` to the element bytes ``item`` (recorded instead
    during a CPU graph capture; see capture_state)."""
    if capture_state.defer(arr.device, fill_bytes, arr, item):
        return
    if arr.device.is_cpu:
        arr._cpu_view()[...] = np.frombuffer(item, dtype=arr._et.np_dtype)[0]
        return
    _fill_cuda(arr, item)


def same_type_view(value: array, dtype) -> array:
    """An array of spatial vectors as one of ``vector(6)`` (or back; spatial and 6x6
    matrices alike): one type in Warp, so a launch takes either. A view, its gradient
    viewed the same way."""
    view = value.view(dtype)
    if value.grad is not None:
        view.grad = value.grad.view(dtype)
        view.requires_grad = value.requires_grad
        view.retain_grad = value.retain_grad and value.requires_grad
    return view


def copy_into(dst: array, src: array, dst_offset=0, src_offset=0, count=None):
    """Copy src into dst (same shape), across devices and strides (recorded instead
    during a CPU graph capture; see capture_state)."""
    if src._et.itemsize != dst._et.itemsize:
        raise TypeError(f"cannot copy {type_name(src.dtype)} data into an array of "
                        f"{type_name(dst.dtype)}")
    if dst.size == 0:
        return
    if capture_state.defer((dst.device, src.device), copy_into, dst, src):
        return
    if dst.device.is_cpu and src.device.is_cpu:
        dv, sv = dst._cpu_view(), src._cpu_view()
        if sv.dtype != dv.dtype:  # same element size: copy the bytes, as on a GPU
            sv = np.ascontiguousarray(sv).view(dv.dtype).reshape(dv.shape)
        dv[...] = sv
        return
    if dst.is_contiguous and src.is_contiguous:
        memcpy(dst, src, dst.ptr, src.ptr, dst.size * dst._et.itemsize)
        return
    if dst.device == src.device:
        _strided_kernel("copy")(dst, src)
        return
    # different devices and a strided side: stage through a contiguous copy
    staged = src.contiguous()
    if dst.is_contiguous:
        copy_into(dst, staged)
    else:
        tmp = allocate(dst.shape, dst._et, dst.device)
        copy_into(tmp, staged)
        copy_into(dst, tmp)
