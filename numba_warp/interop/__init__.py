"""Zero-copy exchange with other array libraries (DLPack; more frameworks to come)."""

from __future__ import annotations

from ..runtime.array import array
from ..runtime.device import get_device
from ..typing.dtypes import element_type, from_numpy_dtype
from . import dlpack

__all__ = ["from_dlpack", "to_dlpack"]


def from_dlpack(source, dtype=None):
    """A ``wp.array`` viewing the memory of any DLPack producer (NumPy, torch, JAX, CuPy).

    No copy is made; the producer's memory stays alive as long as the array does.
    ``dtype`` reinterprets the elements (e.g. ``wp.float32`` data as another 4-byte type).
    """
    ptr, shape, strides, npdt, dev_type, dev_id, keep = dlpack.from_dlpack(source)
    if dev_type == dlpack.KDL_CUDA:
        device = get_device(f"cuda:{dev_id}")
    elif dev_type in (dlpack.KDL_CPU, dlpack.KDL_CUDA_HOST):
        device = get_device("cpu")
    else:
        raise BufferError(f"DLPack device type {dev_type} is not supported (CPU and CUDA are)")
    et = element_type(from_numpy_dtype(npdt.base if npdt.subdtype else npdt))
    out = array(ptr=ptr, shape=tuple(shape), strides=tuple(strides), dtype=et, device=device,
                owner=keep)
    return out.view(dtype) if dtype is not None else out


def to_dlpack(arr):
    """A DLPack capsule for a ``wp.array`` (most consumers prefer the array itself)."""
    return arr.__dlpack__()
