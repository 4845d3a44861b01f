"""DLPack import/export written in Python with ``ctypes``.

This module speaks both flavours of the DLPack Python protocol:

* the legacy, unversioned ``"dltensor"`` capsule holding a ``DLManagedTensor``;
* the DLPack 1.x ``"dltensor_versioned"`` capsule holding a
  ``DLManagedTensorVersioned`` (exported with version 1.0).

Arrays are described the way the rest of the library describes them: a raw
pointer, a shape, *byte* strides, a NumPy dtype and a device
(``device_type``, ``device_id``).  No memory is ever read or copied here, so
device (e.g. CUDA) pointers are handled exactly like host pointers.

Contract
--------
Export (:func:`to_dlpack_capsule`)
    The DLPack structures are allocated with ``ctypes`` and registered in a
    module level table together with ``owner``.  The table entry, i.e. the
    structures *and* the reference to ``owner``, is dropped exactly once, by
    whichever comes first of

    * the consumer calling ``managed->deleter(managed)`` after having renamed
      the capsule to ``"used_dltensor"`` / ``"used_dltensor_versioned"``;
    * the capsule being destroyed while still unconsumed (its name is still
      ``"dltensor"`` / ``"dltensor_versioned"``): the capsule destructor then
      calls the deleter, as the DLPack Python specification requires.

    The deleter may be called from any thread, with or without the GIL (it
    acquires the GIL itself).  Further calls for the same tensor are ignored.
    DLPack strides are in elements, so every byte stride must be a multiple
    of the scalar item size (``BufferError`` otherwise).  Dtypes with an
    inner shape (``np.dtype((np.float32, 3))``) are exported as their base
    scalar type with the inner shape appended to the shape and C-contiguous
    inner strides appended to the strides.  A read-only export requires the
    versioned capsule (the legacy one cannot express it): ``BufferError``.

Import (:func:`from_dlpack_capsule`, :func:`from_dlpack`)
    A capsule is consumed at most once: it is renamed to ``"used_dltensor"``
    or ``"used_dltensor_versioned"`` only once the tensor has been validated.
    If validation fails (unsupported dtype, unknown major version, ...) the
    capsule is left untouched and its producer's destructor remains
    responsible for it.  The returned ``keepalive`` (a
    :class:`DLPackKeepAlive`) calls the producer's deleter exactly once: on
    :meth:`DLPackKeepAlive.release` or when it is finalised, whichever is
    first.  The caller must keep it alive as long as the pointer is used.

Callbacks and errors in flight
    The deleter and the capsule destructor are ``ctypes`` callbacks
    (``_deleter_impl`` and ``_capsule_destructor_impl`` in the private
    module :mod:`numba_warp.interop._dlpack_capi`).  C code may call
    them while a Python error is already set, e.g. when NumPy frees an array
    imported from us while an exception propagates
    (``np.from_dlpack(x).reshape(-3)``) or drops a capsule it rejected.  A
    ``ctypes`` callback cannot preserve such an error (CPython replaces it
    with a ``SystemError``).  So when ``llvmlite`` (a numba dependency) is
    importable, the addresses handed to C are two small native trampolines,
    JIT-compiled at import from the LLVM IR in that module, that acquire the
    GIL and save/restore the error state around the Python callbacks
    (:data:`NATIVE_TRAMPOLINES` is then True).  Without llvmlite, or with the
    environment variable ``NUMBA_WARP_DLPACK_PURE_CTYPES=1``, the ``ctypes``
    callbacks are used directly: tensors are still released correctly, but in
    those situations the original error is only reported through
    ``sys.unraisablehook`` and the caller sees a ``SystemError``.

Lifetime
    The ``ctypes`` callbacks, the JIT-compiled code and the capsule names are
    kept alive for the whole process (deliberately never freed), so capsules
    or consumer arrays that outlive this module during interpreter shutdown
    never call into freed memory.  Once the interpreter is finalising, the
    native deleter does nothing (the tensor is leaked rather than touching a
    dying interpreter).
"""

from __future__ import annotations

import ctypes
import operator

import numpy

from ._dlpack_capi import (  # noqa: F401  (re-exported: part of the API or used by tests)
    _CAPSULE_DESTRUCTOR_ADDR,
    _CAPSULE_TYPE,
    _DELETER_ADDR,
    _DELETER_CALL,
    _EXPORTS,
    _NAME_LEGACY,
    _NAME_PTRS,
    _NAME_USED_LEGACY,
    _NAME_USED_VERSIONED,
    _NAME_VERSIONED,
    _OWN_DELETERS,
    NATIVE_TRAMPOLINES,
    DLDataType,
    DLDevice,
    DLManagedTensor,
    DLManagedTensorVersioned,
    DLPackVersion,
    DLTensor,
    _live_export_count,
    _PyCapsule_GetName,
    _PyCapsule_GetPointer,
    _PyCapsule_IsValid,
    _PyCapsule_New,
    _PyCapsule_SetName,
    _release_export,
)

__all__ = [
    "KDL_CPU",
    "KDL_CUDA",
    "KDL_CUDA_HOST",
    "KDL_OPENCL",
    "KDL_VULKAN",
    "KDL_METAL",
    "KDL_VPI",
    "KDL_ROCM",
    "KDL_ROCM_HOST",
    "KDL_EXT_DEV",
    "KDL_CUDA_MANAGED",
    "KDL_ONEAPI",
    "KDL_INT",
    "KDL_UINT",
    "KDL_FLOAT",
    "KDL_OPAQUE_HANDLE",
    "KDL_BFLOAT",
    "KDL_COMPLEX",
    "KDL_BOOL",
    "DLPACK_FLAG_BITMASK_READ_ONLY",
    "DLPACK_FLAG_BITMASK_IS_COPIED",
    "DLPACK_FLAG_BITMASK_IS_SUBBYTE_TYPE_PADDED",
    "DLPACK_VERSION",
    "DLDevice",
    "DLDataType",
    "DLTensor",
    "DLManagedTensor",
    "DLPackVersion",
    "DLManagedTensorVersioned",
    "DLPackKeepAlive",
    "to_dlpack_capsule",
    "from_dlpack_capsule",
    "from_dlpack",
]

# ---------------------------------------------------------------------------
# Constants (dlpack.h)
# ---------------------------------------------------------------------------

KDL_CPU = 1
KDL_CUDA = 2
KDL_CUDA_HOST = 3
KDL_OPENCL = 4
KDL_VULKAN = 7
KDL_METAL = 8
KDL_VPI = 9
KDL_ROCM = 10
KDL_ROCM_HOST = 11
KDL_EXT_DEV = 12
KDL_CUDA_MANAGED = 13
KDL_ONEAPI = 14

KDL_INT = 0
KDL_UINT = 1
KDL_FLOAT = 2
KDL_OPAQUE_HANDLE = 3
KDL_BFLOAT = 4
KDL_COMPLEX = 5
KDL_BOOL = 6

DLPACK_FLAG_BITMASK_READ_ONLY = 1 << 0
DLPACK_FLAG_BITMASK_IS_COPIED = 1 << 1
DLPACK_FLAG_BITMASK_IS_SUBBYTE_TYPE_PADDED = 1 << 2

#: Version written into exported ``DLManagedTensorVersioned`` structures.
DLPACK_VERSION = (1, 0)

_INT64_MIN = -(1 << 63)
_INT64_MAX = (1 << 63) - 1
_INT32_MIN = -(1 << 31)
_INT32_MAX = (1 << 31) - 1
_UINTPTR_MAX = (1 << (8 * ctypes.sizeof(ctypes.c_void_p))) - 1


# ---------------------------------------------------------------------------
# dtype conversion
# ---------------------------------------------------------------------------


def _dl_dtype_from_numpy(dt):
    """Map a native scalar NumPy dtype to ``(code, bits)``; ``BufferError`` otherwise."""
    if dt.fields is not None or dt.hasobject or dt.subdtype is not None:
        raise BufferError(f"DLPack cannot describe dtype {dt!r}")
    if not dt.isnative:
        raise BufferError(f"DLPack requires native byte order, got dtype {dt!r}")
    kind, size = dt.kind, dt.itemsize
    if kind == "b":
        return KDL_BOOL, 8
    if kind == "i" and size in (1, 2, 4, 8):
        return KDL_INT, 8 * size
    if kind == "u" and size in (1, 2, 4, 8):
        return KDL_UINT, 8 * size
    if kind == "f" and size in (2, 4, 8):
        return KDL_FLOAT, 8 * size
    if kind == "c" and size in (8, 16):
        return KDL_COMPLEX, 8 * size
    raise BufferError(f"dtype {dt!r} has no DLPack equivalent")


_NUMPY_FROM_DL = {
    (KDL_BOOL, 8): numpy.dtype(numpy.bool_),
    (KDL_INT, 8): numpy.dtype(numpy.int8),
    (KDL_INT, 16): numpy.dtype(numpy.int16),
    (KDL_INT, 32): numpy.dtype(numpy.int32),
    (KDL_INT, 64): numpy.dtype(numpy.int64),
    (KDL_UINT, 8): numpy.dtype(numpy.uint8),
    (KDL_UINT, 16): numpy.dtype(numpy.uint16),
    (KDL_UINT, 32): numpy.dtype(numpy.uint32),
    (KDL_UINT, 64): numpy.dtype(numpy.uint64),
    (KDL_FLOAT, 16): numpy.dtype(numpy.float16),
    (KDL_FLOAT, 32): numpy.dtype(numpy.float32),
    (KDL_FLOAT, 64): numpy.dtype(numpy.float64),
    (KDL_COMPLEX, 64): numpy.dtype(numpy.complex64),
    (KDL_COMPLEX, 128): numpy.dtype(numpy.complex128),
}


def _numpy_from_dl_dtype(code, bits, lanes):
    """Map a ``DLDataType`` to a NumPy dtype; ``lanes > 1`` gives an inner shape."""
    base = _NUMPY_FROM_DL.get((code, bits))
    if base is None:
        raise BufferError(f"unsupported DLPack dtype (code={code}, bits={bits}, lanes={lanes})")
    if lanes == 1:
        return base
    if lanes < 1:
        raise BufferError(f"invalid DLPack dtype lanes={lanes}")
    return numpy.dtype((base, (lanes,)))


# ---------------------------------------------------------------------------
# Export
# ---------------------------------------------------------------------------


def _as_int_tuple(values, what):
    try:
        return tuple(operator.index(v) for v in values)
    except TypeError:
        raise TypeError(f"{what} must be a sequence of integers, got {values!r}") from None


def to_dlpack_capsule(
    ptr: int,
    shape: tuple,
    strides_bytes: tuple,
    np_dtype: numpy.dtype,
    device_type: int,
    device_id: int,
    owner: object,
    *,
    versioned: bool = False,
    readonly: bool = False,
) -> "PyCapsule":  # noqa: F821  (no public name for the capsule type before 3.13)
    """Export memory as a DLPack capsule.

    Parameters
    ----------
    ptr : int
        Address of the first element (host or device address).
    shape : tuple of int
        Extent of each dimension.
    strides_bytes : tuple of int
        Stride of each dimension in bytes; each must be a multiple of the
        scalar item size (DLPack strides are counted in elements).
    np_dtype : numpy.dtype or dtype-like
        Element type: bool, int8..int64, uint8..uint64, float16/32/64
        (complex64/128 are accepted too).  A dtype with an inner shape, e.g.
        ``np.dtype((np.float32, 3))``, is exported as its base type with the
        inner shape appended to ``shape`` (C-contiguous inner strides).
    device_type : int
        DLPack device type, e.g. :data:`KDL_CPU` or :data:`KDL_CUDA`.
    device_id : int
        Device ordinal.
    owner : object
        Object kept alive until the consumer calls the deleter or the capsule
        is destroyed unconsumed.
    versioned : bool, optional
        Produce a DLPack 1.x ``"dltensor_versioned"`` capsule instead of the
        legacy ``"dltensor"`` one.
    readonly : bool, optional
        Set ``DLPACK_FLAG_BITMASK_READ_ONLY``; requires ``versioned=True``.

    Returns
    -------
    PyCapsule
        A capsule named ``"dltensor"`` or ``"dltensor_versioned"``.

    Raises
    ------
    BufferError
        If the dtype has no DLPack equivalent, a byte stride is not a
        multiple of the item size, or ``readonly`` is requested for a legacy
        capsule.
    ValueError
        If ``shape`` and ``strides_bytes`` are inconsistent or out of range.
    """
    ptr = operator.index(ptr)
    if not 0 <= ptr <= _UINTPTR_MAX:
        raise ValueError(f"invalid pointer {ptr:#x}")
    device_type = operator.index(device_type)
    device_id = operator.index(device_id)
    if not (_INT32_MIN <= device_type <= _INT32_MAX and _INT32_MIN <= device_id <= _INT32_MAX):
        raise ValueError(f"invalid device ({device_type}, {device_id})")
    if readonly and not versioned:
        raise BufferError(
            "a read-only tensor can only be exported as a versioned (DLPack >= 1.0) capsule"
        )
    shape = _as_int_tuple(shape, "shape")
    strides_bytes = _as_int_tuple(strides_bytes, "strides_bytes")
    if len(shape) != len(strides_bytes):
        raise ValueError(f"shape {shape} and strides {strides_bytes} differ in length")
    if any(n < 0 for n in shape):
        raise ValueError(f"negative extent in shape {shape}")

    dt = numpy.dtype(np_dtype)
    if dt.subdtype is not None:
        dt, inner_shape = dt.subdtype
        inner_strides = []
        step = 1
        for n in reversed(inner_shape):
            inner_strides.append(step)
            step *= n
        inner_strides.reverse()
    else:
        inner_shape = inner_strides = ()
    code, bits = _dl_dtype_from_numpy(dt)
    itemsize = dt.itemsize

    elem_strides = []
    for s in strides_bytes:
        if s % itemsize:
            raise BufferError(
                f"byte stride {s} is not a multiple of the item size {itemsize} of {dt}"
            )
        elem_strides.append(s // itemsize)
    full_shape = shape + tuple(inner_shape)
    full_strides = tuple(elem_strides) + tuple(inner_strides)
    for v in full_shape + full_strides:
        if not _INT64_MIN <= v <= _INT64_MAX:
            raise ValueError(f"shape/stride value {v} does not fit in int64")
    ndim = len(full_shape)

    shape_arr = (ctypes.c_int64 * ndim)(*full_shape)
    strides_arr = (ctypes.c_int64 * ndim)(*full_strides)
    if versioned:
        managed = DLManagedTensorVersioned()
        managed.version.major, managed.version.minor = DLPACK_VERSION
        managed.flags = DLPACK_FLAG_BITMASK_READ_ONLY if readonly else 0
        name = _NAME_VERSIONED
    else:
        managed = DLManagedTensor()
        name = _NAME_LEGACY
    tensor = managed.dl_tensor
    tensor.data = ptr
    tensor.device.device_type = device_type
    tensor.device.device_id = device_id
    tensor.ndim = ndim
    tensor.dtype.code = code
    tensor.dtype.bits = bits
    tensor.dtype.lanes = 1
    tensor.shape = ctypes.addressof(shape_arr)
    tensor.strides = ctypes.addressof(strides_arr)
    tensor.byte_offset = 0
    addr = ctypes.addressof(managed)
    managed.manager_ctx = addr
    managed.deleter = _DELETER_ADDR

    _EXPORTS[addr] = (managed, shape_arr, strides_arr, owner)
    try:
        return _PyCapsule_New(addr, _NAME_PTRS[name], _CAPSULE_DESTRUCTOR_ADDR)
    except BaseException:
        _EXPORTS.pop(addr, None)
        raise


# ---------------------------------------------------------------------------
# Import
# ---------------------------------------------------------------------------


class DLPackKeepAlive:
    """Owner of an imported DLPack tensor.

    Calls the producer's deleter exactly once: on :meth:`release` or when the
    object is finalised, whichever comes first.  Keep it alive as long as the
    imported pointer is in use.

    Attributes
    ----------
    versioned : bool
        Whether the tensor came from a ``"dltensor_versioned"`` capsule.
    version : tuple of int or None
        ``(major, minor)`` of a versioned tensor, ``None`` for a legacy one.
    flags : int
        DLPack flags of a versioned tensor (0 for a legacy one).
    readonly : bool
        Whether the producer marked the memory read-only.
    """

    __slots__ = ("_pending", "versioned", "version", "flags", "readonly", "__weakref__")

    def __init__(self, versioned, version, flags):
        # Filled with one (callable, managed_ptr) pair once the capsule has
        # been consumed; list.pop() makes release() atomic.
        self._pending = []
        self.versioned = versioned
        self.version = version
        self.flags = flags
        self.readonly = bool(flags & DLPACK_FLAG_BITMASK_READ_ONLY)

    @property
    def released(self):
        """bool: whether the producer's deleter has already been called."""
        return not self._pending

    def release(self):
        """Call the producer's deleter now (subsequent calls do nothing)."""
        try:
            deleter, managed = self._pending.pop()
        except IndexError:
            return
        deleter(managed)

    def __del__(self):
        try:
            self.release()
        except BaseException:
            pass

    def __repr__(self):
        state = "released" if self.released else "alive"
        kind = f"versioned {self.version}" if self.versioned else "legacy"
        return f"<DLPackKeepAlive {kind} {state}>"


def _read_tensor(t):
    """Decode a ``DLTensor`` into the tuple returned by :func:`from_dlpack_capsule`."""
    ndim = t.ndim
    if ndim < 0:
        raise BufferError(f"invalid DLTensor ndim={ndim}")
    dt = _numpy_from_dl_dtype(t.dtype.code, t.dtype.bits, t.dtype.lanes)
    if ndim and not t.shape:
        raise BufferError("DLTensor has a NULL shape")
    shape = tuple((ctypes.c_int64 * ndim).from_address(t.shape)) if ndim else ()
    if any(n < 0 for n in shape):
        raise BufferError(f"invalid DLTensor shape {shape}")
    itemsize = dt.itemsize
    if ndim and t.strides:
        elem_strides = tuple((ctypes.c_int64 * ndim).from_address(t.strides))
    else:
        # NULL strides: compact row-major.
        elem_strides = []
        step = 1
        for n in reversed(shape):
            elem_strides.append(step)
            step *= n
        elem_strides = tuple(reversed(elem_strides))
    strides_bytes = tuple(s * itemsize for s in elem_strides)
    ptr = ((t.data or 0) + t.byte_offset) & _UINTPTR_MAX
    return ptr, shape, strides_bytes, dt, t.device.device_type, t.device.device_id


def from_dlpack_capsule(capsule) -> tuple:
    """Consume a DLPack capsule (legacy or versioned).

    Parameters
    ----------
    capsule : PyCapsule
        A ``"dltensor"`` or ``"dltensor_versioned"`` capsule.  On success it
        is renamed to ``"used_dltensor"`` / ``"used_dltensor_versioned"``.

    Returns
    -------
    tuple
        ``(ptr, shape, strides_bytes, np_dtype, device_type, device_id,
        keepalive)``: ``ptr`` already includes ``byte_offset``, strides are in
        bytes (C-contiguous ones are computed when the producer gave none),
        ``keepalive`` is a :class:`DLPackKeepAlive` that calls the producer's
        deleter exactly once when released or finalised.

    Raises
    ------
    TypeError
        If ``capsule`` is not a DLPack capsule.
    BufferError
        If the capsule was already consumed, its major version is not 1, or
        the tensor cannot be represented (dtype, shape).  The capsule is then
        left unconsumed.
    """
    if _PyCapsule_IsValid(capsule, _NAME_VERSIONED):
        versioned, name, used = True, _NAME_VERSIONED, _NAME_USED_VERSIONED
    elif _PyCapsule_IsValid(capsule, _NAME_LEGACY):
        versioned, name, used = False, _NAME_LEGACY, _NAME_USED_LEGACY
    elif _PyCapsule_IsValid(capsule, _NAME_USED_VERSIONED) or _PyCapsule_IsValid(
        capsule, _NAME_USED_LEGACY
    ):
        raise BufferError("DLPack capsule has already been consumed")
    elif type(capsule) is _CAPSULE_TYPE:
        name = _PyCapsule_GetName(capsule)
        raise TypeError(f"expected a DLPack capsule, got a capsule named {name!r}")
    else:
        raise TypeError(f"expected a DLPack capsule, got {type(capsule).__name__}")

    addr = _PyCapsule_GetPointer(capsule, name)
    if not addr:
        raise BufferError("DLPack capsule holds a NULL pointer")
    if versioned:
        managed = DLManagedTensorVersioned.from_address(addr)
        version = (managed.version.major, managed.version.minor)
        if version[0] != 1:
            raise BufferError(f"unsupported DLPack version {version[0]}.{version[1]}")
        flags = managed.flags
    else:
        managed = DLManagedTensor.from_address(addr)
        version, flags = None, 0
    result = _read_tensor(managed.dl_tensor)
    deleter_addr = managed.deleter
    if deleter_addr in _OWN_DELETERS:
        deleter = _release_export
    elif deleter_addr:
        deleter = _DELETER_CALL(deleter_addr)
    else:
        deleter = None
    keepalive = DLPackKeepAlive(versioned, version, flags)

    _PyCapsule_SetName(capsule, _NAME_PTRS[used])  # from here on, we own the tensor
    if deleter is not None:
        keepalive._pending.append((deleter, addr))
    return result + (keepalive,)


def from_dlpack(obj, stream=None) -> tuple:
    """Import any DLPack producer (or a raw capsule).

    Parameters
    ----------
    obj : object
        Object implementing ``__dlpack__`` (and normally
        ``__dlpack_device__``), or a DLPack capsule.
    stream : int or object, optional
        Consumer stream forwarded as ``__dlpack__(stream=...)`` when not
        ``None``.  It is dropped for producers whose ``__dlpack_device__``
        reports a CPU device, for which the protocol requires ``None``.

    Returns
    -------
    tuple
        Same as :func:`from_dlpack_capsule`.

    Notes
    -----
    ``__dlpack__`` is first called with ``max_version=(1, 0)``; producers that
    reject the keyword with ``TypeError`` are called again the legacy way.
    """
    if type(obj) is _CAPSULE_TYPE:
        return from_dlpack_capsule(obj)
    dlpack = getattr(obj, "__dlpack__", None)
    if dlpack is None:
        raise TypeError(f"{type(obj).__name__} does not implement the DLPack protocol")
    kwargs = {}
    if stream is not None:
        get_device = getattr(obj, "__dlpack_device__", None)
        device_type = get_device()[0] if get_device is not None else None
        if device_type != KDL_CPU:
            kwargs["stream"] = stream
    try:
        capsule = dlpack(max_version=DLPACK_VERSION, **kwargs)
    except TypeError:
        capsule = dlpack(**kwargs)
    return from_dlpack_capsule(capsule)
