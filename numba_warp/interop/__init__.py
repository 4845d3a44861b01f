"""Zero-copy exchange with other array libraries (DLPack; more frameworks to come)."""

from __future__ import annotations

from ..runtime.array import array
from ..runtime.device import get_device
from ..runtime.foreign import element_layout
from ..typing.dtypes import element_type, from_numpy_dtype, type_name
from . import dlpack

__all__ = ["from_dlpack", "to_dlpack"]


def from_dlpack(source, dtype=None):
    """A ``wp.array`` viewing the memory of any DLPack producer (NumPy, torch, JAX, CuPy).

    No copy is made; the producer's memory stays alive as long as the array does.
    ``dtype`` reinterprets the elements: a vector/matrix type takes the trailing
    dimensions as its components (a float32 ``(n, 3)`` tensor as ``n`` ``wp.vec3``), a
    scalar type of the same size the bits (e.g. int32 data as uint32).

    Example
    -------
    >>> x = np.arange(6, dtype=np.float32).reshape(2, 3)
    >>> a = wp.from_dlpack(x, dtype=wp.vec3)
    >>> a.shape, a.dtype is wp.vec3
    ((2,), True)
    >>> x[1, 2] = 60.0  # a shares x's memory
    >>> a.numpy()[1].tolist()
    [3.0, 4.0, 60.0]
    >>> wp.from_dlpack(np.array([-1], dtype=np.int32), dtype=wp.uint32).numpy().tolist()
    [4294967295]
    """
    ptr, shape, strides, npdt, dev_type, dev_id, keep = dlpack.from_dlpack(source)
    if dev_type == dlpack.KDL_CUDA:
        device = get_device(f"cuda:{dev_id}")
    elif dev_type in (dlpack.KDL_CPU, dlpack.KDL_CUDA_HOST):
        device = get_device("cpu")
    else:
        raise BufferError(f"DLPack device type {dev_type} is not supported (CPU and CUDA are)")
    et = element_type(from_numpy_dtype(npdt.base if npdt.subdtype else npdt))
    shape, strides = tuple(shape), tuple(strides)
    if dtype is not None and element_type(dtype).inner_shape:
        want = element_type(dtype)
        if want.scalar_np != et.scalar_np:
            raise RuntimeError(f"Cannot view {et.scalar_np.name} data as "
                               f"{type_name(want.dtype)} ({want.scalar_np.name} components)")
        shape, strides, problem = element_layout(shape, strides, et.itemsize, want)
        if problem is not None:
            raise RuntimeError(f"Cannot view the DLPack data as {type_name(want.dtype)}: it "
                               f"{problem}")
        et, dtype = want, None
    out = array(ptr=ptr, shape=shape, strides=strides, dtype=et, device=device, owner=keep)
    return out.view(dtype) if dtype is not None else out


def to_dlpack(arr):
    """A DLPack capsule for a ``wp.array`` (most consumers prefer the array itself).

    Example
    -------
    >>> a = wp.array([1.0, 2.0, 3.0], dtype=wp.float32, device="cpu")
    >>> capsule = wp.to_dlpack(a)
    >>> type(capsule).__name__, wp.from_dlpack(capsule).numpy().tolist()
    ('PyCapsule', [1.0, 2.0, 3.0])
    >>> np.from_dlpack(a).tolist()  # the array itself: a DLPack producer
    [1.0, 2.0, 3.0]
    """
    return arr.__dlpack__()
