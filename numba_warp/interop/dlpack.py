"""DLPack for the user: import any producer's tensor, export memory, in Python with ``ctypes``.

This module speaks both flavours of the DLPack Python protocol:

* the legacy, unversioned ``"dltensor"`` capsule holding a ``DLManagedTensor``;
* the DLPack 1.x ``"dltensor_versioned"`` capsule holding a
  ``DLManagedTensorVersioned`` (exported with version 1.0).

Arrays are described the way the rest of the library describes them: a raw
pointer, a shape, *byte* strides, a NumPy dtype and a device
(``device_type``, ``device_id``).  No memory is ever read or copied here, so
device (e.g. CUDA) pointers are handled exactly like host pointers.

The import side lives here.  The export side (:func:`to_dlpack_capsule`, the
constants and the dtype mapping) is :mod:`numba_warp.runtime.dlpack_export`,
because ``wp.array.__dlpack__`` needs it and runtime sits below interop; it is
re-exported here, so this module is the whole DLPack API.  Its contract (who
drops an export, strides, inner shapes, read-only) is stated there.

Contract
--------
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
    The deleter and the capsule destructor of our exports are ``ctypes``
    callbacks in :mod:`numba_warp.runtime.dlpack_capi`.  C code may call
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

from ..runtime.dlpack_capi import (  # noqa: F401  (re-exported: part of the API)
    CAPSULE_TYPE,
    NAME_LEGACY,
    NAME_USED_LEGACY,
    NAME_USED_VERSIONED,
    NAME_VERSIONED,
    NATIVE_TRAMPOLINES,
    DLDataType,
    DLDevice,
    DLManagedTensor,
    DLManagedTensorVersioned,
    DLPackVersion,
    DLTensor,
    capsule_get_name,
    capsule_get_pointer,
    capsule_is_valid,
    mark_consumed,
    producer_deleter,
)
from ..runtime import dlpack_export
from ..runtime.dlpack_export import (  # noqa: F401  (re-exported: part of the API)
    DLPACK_FLAG_BITMASK_IS_COPIED,
    DLPACK_FLAG_BITMASK_IS_SUBBYTE_TYPE_PADDED,
    DLPACK_FLAG_BITMASK_READ_ONLY,
    DLPACK_VERSION,
    KDL_BFLOAT,
    KDL_BOOL,
    KDL_COMPLEX,
    KDL_CPU,
    KDL_CUDA,
    KDL_CUDA_HOST,
    KDL_CUDA_MANAGED,
    KDL_EXT_DEV,
    KDL_FLOAT,
    KDL_INT,
    KDL_METAL,
    KDL_ONEAPI,
    KDL_OPAQUE_HANDLE,
    KDL_OPENCL,
    KDL_ROCM,
    KDL_ROCM_HOST,
    KDL_UINT,
    KDL_VPI,
    KDL_VULKAN,
    UINTPTR_MAX,
    numpy_from_dl_dtype,
    to_dlpack_capsule,
)

__all__ = [
    # the export side's constants (the device and dtype codes, the flags, the version)
    *(n for n in dlpack_export.__all__ if n.startswith(("KDL_", "DLPACK_"))),
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
    dt = numpy_from_dl_dtype(t.dtype.code, t.dtype.bits, t.dtype.lanes)
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
    ptr = ((t.data or 0) + t.byte_offset) & UINTPTR_MAX
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
    if capsule_is_valid(capsule, NAME_VERSIONED):
        versioned, name = True, NAME_VERSIONED
    elif capsule_is_valid(capsule, NAME_LEGACY):
        versioned, name = False, NAME_LEGACY
    elif capsule_is_valid(capsule, NAME_USED_VERSIONED) or capsule_is_valid(
        capsule, NAME_USED_LEGACY
    ):
        raise BufferError("DLPack capsule has already been consumed")
    elif type(capsule) is CAPSULE_TYPE:
        name = capsule_get_name(capsule)
        raise TypeError(f"expected a DLPack capsule, got a capsule named {name!r}")
    else:
        raise TypeError(f"expected a DLPack capsule, got {type(capsule).__name__}")

    addr = capsule_get_pointer(capsule, name)
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
    deleter = producer_deleter(managed.deleter)
    keepalive = DLPackKeepAlive(versioned, version, flags)

    mark_consumed(capsule, versioned)  # from here on, we own the tensor
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
    if type(obj) is CAPSULE_TYPE:
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
