"""JAX interop with Warp 1.19's names and meaning: ``wp.from_jax``, ``wp.to_jax``,
``wp.device_from_jax``/``device_to_jax`` and ``wp.dtype_from_jax``/``dtype_to_jax``.

Arrays are shared through DLPack, never copied: ``from_jax(x)`` is a ``wp.array`` over the
JAX array's buffer (a vector/matrix ``dtype`` takes its trailing dimensions as components)
and ``to_jax(a)`` a JAX array over the ``wp.array``'s memory. JAX arrays are immutable:
write into memory JAX does not own, i.e. launch on arrays numba_warp allocated and hand
them to JAX with ``to_jax`` afterwards.

jax is an optional dependency: it is imported by these functions, never by
``import numba_warp``.
"""

from __future__ import annotations

import numpy as np

from ..runtime.device import get_device
from ..typing.dtypes import element_type, type_name
from ..typing.scalars import scalar_types
from . import from_dlpack

__all__ = ["device_from_jax", "device_to_jax", "dtype_from_jax", "dtype_to_jax", "from_jax",
           "to_jax"]

#: numba_warp scalar types JAX has (all of them; bfloat16 is not a numba_warp type)
_NAMES = ("float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8",
          "uint16", "uint32", "uint64", "bool")


def _jax():
    import jax  # optional dependency (pip install jax)

    return jax


def dtype_to_jax(dtype):
    """The JAX dtype of a numba_warp scalar type.

    Example
    -------
    >>> wp.dtype_to_jax(wp.float16), wp.dtype_to_jax(wp.bool)
    (dtype('float16'), dtype('bool'))
    """
    try:
        name = type_name(element_type(dtype).dtype)
    except TypeError:
        name = None
    if name not in _NAMES:
        raise TypeError(f"Cannot convert {dtype} to a Jax type")
    import jax.numpy as jnp  # optional dependency

    return jnp.dtype(jnp.bool_ if name == "bool" else name)


def dtype_from_jax(jax_dtype):
    """The numba_warp scalar type of a JAX dtype (TypeError for bfloat16 and others
    numba_warp has no type for).

    Example
    -------
    >>> import jax.numpy as jnp
    >>> wp.dtype_from_jax(jnp.float32) is wp.float32, wp.dtype_from_jax(jnp.uint16) is wp.uint16
    (True, True)
    >>> wp.dtype_from_jax(jnp.bfloat16)
    Traceback (most recent call last):
    ...
    TypeError: Cannot convert ... to a numba_warp type
    """
    try:
        name = np.dtype(jax_dtype).name
    except TypeError:
        name = str(jax_dtype)
    if name not in _NAMES:
        raise TypeError(f"Cannot convert {jax_dtype} to a numba_warp type")
    return scalar_types[name]


def device_to_jax(device):
    """The local JAX device of a numba_warp device (a GPU by its process-local ordinal).

    Example
    -------
    >>> wp.device_to_jax("cpu").platform
    'cpu'
    """
    jax = _jax()
    dev = get_device(device)
    try:
        candidates = jax.local_devices(backend="cuda" if dev.is_cuda else "cpu")
    except RuntimeError:
        candidates = []
    for jd in candidates:
        if dev.is_cpu or jd.local_hardware_id == dev.ordinal:
            return jd
    raise RuntimeError(f"Jax device corresponding to '{device}' is not available")


def device_from_jax(jax_device):
    """The numba_warp device of a (local) JAX device.

    Example
    -------
    >>> import jax
    >>> wp.device_from_jax(jax.devices("cpu")[0]) == "cpu"
    True
    """
    if jax_device.platform == "cpu":
        return get_device("cpu")
    if jax_device.platform == "gpu":
        jax = _jax()
        if jax_device.process_index != jax.process_index() or \
                jax_device.local_hardware_id is None:
            raise RuntimeError(f"Jax device '{jax_device}' belongs to process "
                               f"{jax_device.process_index} and is not addressable from "
                               f"process {jax.process_index()}")
        return get_device(f"cuda:{jax_device.local_hardware_id}")
    raise RuntimeError(f"Unsupported Jax device platform '{jax_device.platform}'")


def to_jax(a):
    """A JAX array over the ``wp.array`` ``a``'s memory (no copy; vector/matrix elements
    become trailing dimensions).

    Example
    -------
    >>> x = wp.to_jax(wp.array([1.0, 2.0], dtype=wp.float32))
    >>> x.dtype, x.tolist()
    (dtype('float32'), [1.0, 2.0])
    >>> wp.to_jax(wp.zeros(4, dtype=wp.vec3)).shape
    (4, 3)
    """
    import jax.dlpack  # optional dependency

    return jax.dlpack.from_dlpack(a)


def from_jax(jax_array, dtype=None):
    """A ``wp.array`` over the JAX array's buffer (no copy); ``dtype`` as in
    ``wp.from_dlpack``.

    Example
    -------
    >>> import jax.numpy as jnp
    >>> x = jnp.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=jnp.float32)
    >>> a = wp.from_jax(x, dtype=wp.vec3)
    >>> a.shape, a.dtype is wp.vec3, a.numpy().tolist()
    ((2,), True, [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    """
    return from_dlpack(jax_array, dtype=dtype)
