"""Using numba_warp's vector and matrix types in existing Numba code.

Numba code usually keeps points as ``(n, 3)`` float arrays. :func:`as_vectors` views such
an array as a 1-D array of ``wp.vec3`` (or any vector/matrix type) without copying, inside
``@numba.njit`` and ``@cuda.jit`` functions as well as at Python scope::

    @numba.njit
    def centroid(points):                 # points: float32[:, 3]
        pts = wp.as_vectors(points, wp.vec3)
        acc = wp.vec3(0.0)
        for i in range(pts.shape[0]):
            acc += pts[i]
        return acc / float(pts.shape[0])
"""

from __future__ import annotations

import numpy as np
from numba.core import cgutils, ir_utils, types
from numba.core.errors import TypingError
from numba.core.imputils import impl_ret_borrowed, lower_builtin
from numba.core.typing.templates import AbstractTemplate, infer_global, signature

from ..lowering.local_arrays import fill_array
from ..runtime.array import array
from ..typing.vec import composite_type_named_by

__all__ = ["as_vectors"]


def as_vectors(arr, dtype):
    """View an array whose trailing axes are ``dtype``'s shape as an array of ``dtype``.

    At Python scope this takes a NumPy array (or a CPU ``wp.array``) and returns a CPU
    ``wp.array`` sharing its memory; in Numba-compiled code it returns a Numba array of
    the vector/matrix type.

    Example
    -------
    >>> pts = np.array([[1.0, 2.0, 2.0], [4.0, 5.0, 6.0]], dtype=np.float32)
    >>> v = wp.as_vectors(pts, wp.vec3)
    >>> v.shape, v.dtype is wp.vec3
    ((2,), True)
    >>> pts[1] = 0.0  # v shares pts' memory
    >>> v.numpy().tolist()
    [[1.0, 2.0, 2.0], [0.0, 0.0, 0.0]]
    >>> import numba
    >>> @numba.njit
    ... def first_length(points):
    ...     return wp.length(wp.as_vectors(points, wp.vec3)[0])
    >>> float(first_length(pts))
    3.0
    """
    if isinstance(arr, array):
        arr = arr.numpy()
    return array(np.asarray(arr), dtype=dtype, copy=False, device="cpu")


def _view_type(arr, dtype):
    vt = composite_type_named_by(dtype)
    if vt is None or not isinstance(arr, types.Array):
        return None
    k = len((vt.length,) if hasattr(vt, "length") else vt.shape)
    if arr.dtype != vt.dtype or arr.ndim <= k:
        raise TypingError(f"as_vectors() needs an array of {vt.dtype} with at least "
                          f"{k + 1} dimensions, got {arr}")
    return types.Array(vt, arr.ndim - k, "A", readonly=not arr.mutable)


@infer_global(as_vectors)
class _AsVectorsTemplate(AbstractTemplate):
    def generic(self, args, kws):
        if len(args) == 2 and not kws:
            rt = _view_type(*args)
            return None if rt is None else signature(rt, *args)
        return None


# Lowered inline (not an overload): numba-cuda does not let a device function return
# an array it did not receive, and a view must not be a separate function anyway.
@lower_builtin(as_vectors, types.Array, types.Any)
def _lower_as_vectors(context, builder, sig, args):
    rt = sig.return_type
    vt = rt.dtype
    src = context.make_array(sig.args[0])(context, builder, args[0])
    dst = context.make_array(rt)(context, builder)
    shape = cgutils.unpack_tuple(builder, src.shape)[: rt.ndim]
    strides = cgutils.unpack_tuple(builder, src.strides)[: rt.ndim]
    data_type = context.get_data_type(vt)
    itemsize = context.get_constant(types.intp, context.get_abi_sizeof(data_type))
    fill_array(context, builder, rt, dst, data=builder.bitcast(src.data, data_type.as_pointer()),
               shape=cgutils.pack_array(builder, shape),
               strides=cgutils.pack_array(builder, strides), itemsize=itemsize,
               meminfo=src.meminfo)
    # the view shares the source's memory: it must hold a reference to it
    return impl_ret_borrowed(context, builder, rt, dst._getvalue())


def _alias_of_argument(lhs, args, alias_map, arg_aliases) -> None:
    """Numba's alias analysis hook: ``lhs = as_vectors(arr, ...)`` aliases ``arr``.

    Without it, ``@njit(parallel=True)`` takes the view for a fresh array; a prange loop
    that only writes the view of an argument is then dead code to it and is removed,
    and the argument is silently never written."""
    src = args[0].name
    if src in arg_aliases:
        arg_aliases.add(lhs)
        return
    alias_map.setdefault(src, set()).add(lhs)
    alias_map.setdefault(lhs, set()).add(src)


# (keys as numba.core.ir_utils.find_callname names a call: wp.as_vectors through the
# package, or the function imported by name)
for _module in ("numba_warp", __name__):
    ir_utils.alias_func_extensions[("as_vectors", _module)] = _alias_of_argument
