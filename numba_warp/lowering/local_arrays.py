"""``wp.zeros(shape, dtype)`` and ``wp.array(ptr, shape, dtype)`` inside kernels.

Warp's kernel builtin ``zeros`` makes a thread-local array of constant shape. Here it is
stack memory (an LLVM ``alloca``, zero-filled) wrapped as a Numba array with no owner, on
the CPU and on CUDA (local memory). The array lives as long as the function that made
it: use it inside that kernel or function, do not return it from a ``@wp.func``.
``wp.array(ptr=..., shape=..., dtype=...)`` views memory at a raw address.

Both names are the runtime's Python-scope objects (the factory ``wp.zeros``, the class
``wp.array``), which live above this floor: the runtime hands them to
:func:`register_kernel_zeros` and :func:`register_kernel_pointer_array` when it defines
them, and this module types and lowers their calls in kernels.
"""

from __future__ import annotations

import math

from llvmlite import ir
from numba.core import cgutils, types
from numba.core.errors import TypingError
from numba.core.imputils import lower_builtin
from numba.core.typing.templates import AbstractTemplate, infer_global, signature

from ..typing.vec import composite_type_named_by, keyword_pysig

__all__ = ["fill_array", "register_kernel_pointer_array", "register_kernel_zeros"]

MAX_LOCAL_BYTES = 1 << 16


def _constant_shape(t):
    if isinstance(t, types.IntegerLiteral):
        return (t.literal_value,)
    if isinstance(t, types.BaseTuple) and all(isinstance(x, types.IntegerLiteral) for x in t):
        return tuple(x.literal_value for x in t)
    raise TypingError(f"wp.zeros() in a kernel needs a constant shape, got {t}")


def _element_type(t):
    if isinstance(t, types.NumberClass):
        return t.instance_type
    nbt = composite_type_named_by(t)  # a vector/matrix class
    if nbt is not None:
        return nbt
    raise TypingError(f"wp.zeros() in a kernel needs dtype= a Warp type, got {t}")


class _LocalZeros(AbstractTemplate):
    prefer_literal = True

    def generic(self, args, kws):
        kws = dict(kws)
        shape = kws.pop("shape", args[0] if args else None)
        dtype = kws.pop("dtype", args[1] if len(args) > 1 else None)
        if shape is None or dtype is None or kws or len(args) > 2:
            raise TypingError("wp.zeros() in a kernel takes shape= (constant) and dtype=")
        dims = _constant_shape(shape)
        et = _element_type(dtype)
        if not 1 <= len(dims) <= 4 or min(dims) < 1:
            raise TypingError(f"wp.zeros() shape must have 1-4 positive sizes, got {dims}")
        names = [n for n in ("shape", "dtype")][len(args):]
        sig = signature(types.Array(et, len(dims), "C"), *args,
                        *[v for k, v in (("shape", shape), ("dtype", dtype)) if k in names])
        return sig.replace(pysig=keyword_pysig(0, ["shape", "dtype"]))


def register_kernel_zeros(zeros) -> None:
    """Type and lower ``zeros(shape, dtype)`` in kernels (``zeros`` is ``wp.zeros``)."""
    infer_global(zeros)(_LocalZeros)
    lower_builtin(zeros, types.Any, types.Any)(_lower_local_zeros)


def _lower_local_zeros(context, builder, sig, args):
    arrty = sig.return_type
    dims = _constant_shape(sig.args[0])
    n = math.prod(dims)
    data_type = context.get_data_type(arrty.dtype)
    itemsize = context.get_abi_sizeof(data_type)
    if n * itemsize > MAX_LOCAL_BYTES:
        raise TypingError(f"wp.zeros() in a kernel is limited to {MAX_LOCAL_BYTES} bytes")
    with builder.goto_entry_block():
        storage = builder.alloca(ir.ArrayType(data_type, n))
    builder.store(ir.Constant(storage.type.pointee, None), storage)  # zero-fill
    ary = context.make_array(arrty)(context, builder)
    strides, acc = [], itemsize
    for d in reversed(dims):
        strides.append(acc)
        acc *= d
    intp = context.get_value_type(types.intp)
    fill_array(
        context, builder, arrty, ary, data=builder.bitcast(storage, data_type.as_pointer()),
        shape=cgutils.pack_array(builder, [ir.Constant(intp, d) for d in dims]),
        strides=cgutils.pack_array(builder, [ir.Constant(intp, s) for s in reversed(strides)]),
        itemsize=ir.Constant(intp, itemsize), meminfo=None)
    return ary._getvalue()


def fill_array(context, builder, arrty, ary, data, shape, strides, itemsize, meminfo=None):
    """Set every field of ``ary`` (``context.make_array(arrty)(context, builder)``): an
    array over ``data`` with ``shape`` and ``strides`` (packed ``intp`` arrays), item
    size ``itemsize`` (an ``intp`` value), owned by NRT ``meminfo`` (None: by nobody), no
    parent object, and its item count.

    What Numba's ``populate_array`` does; written here because importing its module
    (``numba.np.arrayobj``) registers Numba's array overloads, which must not happen in
    the middle of a CUDA compile (numba-cuda would see ``operator.add`` change between
    typing and lowering), nor cost every ``import numba_warp`` ~60 ms."""
    model = context.data_model_manager[arrty]
    nitems = context.get_constant(types.intp, 1)
    for extent in cgutils.unpack_tuple(builder, shape, shape.type.count):
        nitems = builder.mul(nitems, extent, flags=["nsw"])
    if meminfo is None:
        meminfo = ir.Constant(context.get_value_type(model.get_type("meminfo")), None)
    ary.meminfo = meminfo
    ary.parent = ir.Constant(context.get_value_type(model.get_type("parent")), None)
    ary.nitems = nitems
    ary.itemsize = itemsize
    ary.data = data
    ary.shape = shape
    ary.strides = strides
    return ary


# ---------------------------------------------------------------------------------------
# wp.array(ptr=..., shape=..., dtype=...) in kernels: an array over a raw address
# ---------------------------------------------------------------------------------------


class _PointerArray(AbstractTemplate):
    prefer_literal = True

    def generic(self, args, kws):
        kws = dict(kws)
        if args or set(kws) != {"ptr", "shape", "dtype"}:
            raise TypingError("wp.array() in a kernel takes ptr= (an integer address), "
                              "shape= (constant) and dtype=")
        if not isinstance(kws["ptr"], types.Integer):
            raise TypingError(f"wp.array(ptr=...) needs an integer address, got {kws['ptr']}")
        dims = _constant_shape(kws["shape"])
        et = _element_type(kws["dtype"])
        sig = signature(types.Array(et, len(dims), "C"), kws["ptr"], kws["shape"],
                        kws["dtype"])
        return sig.replace(pysig=keyword_pysig(0, ["ptr", "shape", "dtype"]))


def register_kernel_pointer_array(array_cls) -> None:
    """Type and lower ``array(ptr=, shape=, dtype=)`` in kernels (``array_cls`` is
    ``wp.array``)."""
    infer_global(array_cls)(_PointerArray)
    lower_builtin(array_cls, types.Integer, types.Any, types.Any)(_lower_pointer_array)


def _lower_pointer_array(context, builder, sig, args):
    arrty = sig.return_type
    dims = _constant_shape(sig.args[1])
    data_type = context.get_data_type(arrty.dtype)
    itemsize = context.get_abi_sizeof(data_type)
    intp = context.get_value_type(types.intp)
    addr = context.cast(builder, args[0], sig.args[0], types.intp)
    strides, acc = [], itemsize
    for d in reversed(dims):
        strides.append(acc)
        acc *= d
    ary = context.make_array(arrty)(context, builder)
    fill_array(
        context, builder, arrty, ary, data=builder.inttoptr(addr, data_type.as_pointer()),
        shape=cgutils.pack_array(builder, [ir.Constant(intp, d) for d in dims]),
        strides=cgutils.pack_array(builder, [ir.Constant(intp, s) for s in reversed(strides)]),
        itemsize=ir.Constant(intp, itemsize), meminfo=None)
    return ary._getvalue()
