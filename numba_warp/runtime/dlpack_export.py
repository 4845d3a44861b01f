"""DLPack constants, the dtype mapping, and exporting memory as a DLPack capsule.

This is what ``wp.array.__dlpack__`` needs, so it sits in ``runtime/``; importing other
libraries' capsules is :mod:`numba_warp.interop.dlpack`, which re-exports everything here
as the public DLPack API.  The C side (structures, capsules, the export table and the
deleter callbacks) is :mod:`numba_warp.runtime.dlpack_capi`.

Memory is described the way the rest of the library describes it: a raw pointer, a
shape, *byte* strides, a NumPy dtype and a device (``device_type``, ``device_id``).  No
memory is ever read or copied here, so device (e.g. CUDA) pointers are handled exactly
like host pointers.

Contract (:func:`to_dlpack_capsule`)
    The DLPack structures are allocated with ``ctypes`` and registered in the export
    table together with ``owner``.  The table entry, i.e. the structures *and* the
    reference to ``owner``, is dropped exactly once, by whichever comes first of

    * the consumer calling ``managed->deleter(managed)`` after having renamed the capsule
      to ``"used_dltensor"`` / ``"used_dltensor_versioned"``;
    * the capsule being destroyed while still unconsumed (its name is still
      ``"dltensor"`` / ``"dltensor_versioned"``): the capsule destructor then calls the
      deleter, as the DLPack Python specification requires.

    The deleter may be called from any thread, with or without the GIL (it acquires the
    GIL itself).  Further calls for the same tensor are ignored.  DLPack strides are in
    elements, so every byte stride must be a multiple of the scalar item size
    (``BufferError`` otherwise).  Dtypes with an inner shape (``np.dtype((np.float32,
    3))``) are exported as their base scalar type with the inner shape appended to the
    shape and C-contiguous inner strides appended to the strides.  A read-only export
    requires the versioned capsule (the legacy one cannot express it): ``BufferError``.
"""

from __future__ import annotations

import ctypes
import operator

import numpy

from .dlpack_capi import DLManagedTensor, DLManagedTensorVersioned, export_capsule

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
    "UINTPTR_MAX",
    "dl_dtype_from_numpy",
    "numpy_from_dl_dtype",
    "to_dlpack_capsule",
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

#: Largest address a pointer can hold (pointers are wrapped to it on import).
UINTPTR_MAX = (1 << (8 * ctypes.sizeof(ctypes.c_void_p))) - 1

_INT64_MIN = -(1 << 63)
_INT64_MAX = (1 << 63) - 1
_INT32_MIN = -(1 << 31)
_INT32_MAX = (1 << 31) - 1


# ---------------------------------------------------------------------------
# dtype conversion (both directions: the one table of what DLPack can describe)
# ---------------------------------------------------------------------------


def dl_dtype_from_numpy(dt: numpy.dtype) -> tuple:
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


def numpy_from_dl_dtype(code: int, bits: int, lanes: int) -> numpy.dtype:
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


def _checked_address(ptr, device_type, device_id) -> tuple:
    """``(ptr, device_type, device_id)`` as ints, ``ValueError`` when out of range."""
    ptr = operator.index(ptr)
    if not 0 <= ptr <= UINTPTR_MAX:
        raise ValueError(f"invalid pointer {ptr:#x}")
    device_type = operator.index(device_type)
    device_id = operator.index(device_id)
    if not (_INT32_MIN <= device_type <= _INT32_MAX and _INT32_MIN <= device_id <= _INT32_MAX):
        raise ValueError(f"invalid device ({device_type}, {device_id})")
    return ptr, device_type, device_id


def _c_strides(shape) -> list:
    """Row-major strides, in elements, of ``shape``."""
    strides, step = [], 1
    for n in reversed(shape):
        strides.append(step)
        step *= n
    return strides[::-1]


def _element_layout(shape, strides_bytes, np_dtype) -> tuple:
    """``(code, bits, shape, strides)`` of the export: scalar DLPack type, full shape and
    element strides, a dtype's inner shape appended (C-contiguous)."""
    shape = _as_int_tuple(shape, "shape")
    strides_bytes = _as_int_tuple(strides_bytes, "strides_bytes")
    if len(shape) != len(strides_bytes):
        raise ValueError(f"shape {shape} and strides {strides_bytes} differ in length")
    if any(n < 0 for n in shape):
        raise ValueError(f"negative extent in shape {shape}")
    dt = numpy.dtype(np_dtype)
    inner_shape = inner_strides = ()
    if dt.subdtype is not None:
        dt, inner_shape = dt.subdtype
        inner_strides = _c_strides(inner_shape)
    code, bits = dl_dtype_from_numpy(dt)
    itemsize = dt.itemsize
    for s in strides_bytes:
        if s % itemsize:
            raise BufferError(
                f"byte stride {s} is not a multiple of the item size {itemsize} of {dt}"
            )
    full_shape = shape + tuple(inner_shape)
    full_strides = tuple(s // itemsize for s in strides_bytes) + tuple(inner_strides)
    for v in full_shape + full_strides:
        if not _INT64_MIN <= v <= _INT64_MAX:
            raise ValueError(f"shape/stride value {v} does not fit in int64")
    return code, bits, full_shape, full_strides


def _new_managed_tensor(versioned: bool, readonly: bool):
    """An empty ``DLManagedTensorVersioned`` (version and flags set) or ``DLManagedTensor``."""
    if not versioned:
        return DLManagedTensor()
    managed = DLManagedTensorVersioned()
    managed.version.major, managed.version.minor = DLPACK_VERSION
    managed.flags = DLPACK_FLAG_BITMASK_READ_ONLY if readonly else 0
    return managed


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
    ptr, device_type, device_id = _checked_address(ptr, device_type, device_id)
    if readonly and not versioned:
        raise BufferError(
            "a read-only tensor can only be exported as a versioned (DLPack >= 1.0) capsule"
        )
    code, bits, full_shape, full_strides = _element_layout(shape, strides_bytes, np_dtype)
    ndim = len(full_shape)
    shape_arr = (ctypes.c_int64 * ndim)(*full_shape)
    strides_arr = (ctypes.c_int64 * ndim)(*full_strides)
    managed = _new_managed_tensor(versioned, readonly)
    t = managed.dl_tensor
    t.data, t.ndim, t.byte_offset = ptr, ndim, 0
    t.device.device_type, t.device.device_id = device_type, device_id
    t.dtype.code, t.dtype.bits, t.dtype.lanes = code, bits, 1
    t.shape, t.strides = ctypes.addressof(shape_arr), ctypes.addressof(strides_arr)
    return export_capsule(managed, (shape_arr, strides_arr, owner))
