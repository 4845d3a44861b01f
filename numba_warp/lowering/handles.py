"""Reading a spatial structure's data in kernels through its handle.

A structure made at Python scope (``wp.HashGrid``, ``wp.Bvh``, ``wp.Mesh``) keeps its
data in arrays on its device and a small *descriptor*: an array of 64-bit slots on the
same device holding the structure's sizes and the addresses of its arrays. The
structure's ``id`` (a ``uint64`` kernels take as an argument, as in Warp) is the
descriptor's address. Queries read the slots they need with :func:`load_at` and then
the arrays the slots point to, on the CPU and on CUDA alike (the memory is the device's
own). The layout of each descriptor is fixed by the structure's module in
``numba_warp/geometry`` and read by its query module here in ``lowering/``; both use
the slot numbers declared next to the queries.
"""

from __future__ import annotations

from numba.core import types
from numba.extending import intrinsic

__all__ = ["load_at", "store_at"]


def _value_type(proto):
    if isinstance(proto, (types.NumberClass, types.TypeRef)):
        return proto.instance_type
    return proto


def _element_pointer(context, builder, ty, addr, index):
    base = builder.inttoptr(addr, context.get_data_type(ty).as_pointer())
    return builder.gep(base, [index])


def _as_i64(context, builder, value, ty):
    return context.cast(builder, value, ty, types.int64)


@intrinsic
def load_at(typingctx, addr, index, proto):
    """``load_at(addr, index, proto)``: element ``index`` of the array of ``proto``'s type
    (a value of that type, or the type) that starts at the integer address ``addr``."""
    if not isinstance(addr, types.Integer) or not isinstance(index, types.Integer):
        return None
    ty = _value_type(proto)

    def codegen(context, builder, sig, args):
        ptr = _element_pointer(context, builder, ty,
                               _as_i64(context, builder, args[0], sig.args[0]),
                               _as_i64(context, builder, args[1], sig.args[1]))
        return context.data_model_manager[ty].load_from_data_pointer(builder, ptr)

    return ty(addr, index, proto), codegen


@intrinsic
def store_at(typingctx, addr, index, value):
    """``store_at(addr, index, value)``: write ``value`` as element ``index`` of the array
    of its type that starts at the integer address ``addr``."""
    if not isinstance(addr, types.Integer) or not isinstance(index, types.Integer):
        return None

    def codegen(context, builder, sig, args):
        ptr = _element_pointer(context, builder, value,
                               _as_i64(context, builder, args[0], sig.args[0]),
                               _as_i64(context, builder, args[1], sig.args[1]))
        data = context.data_model_manager[value].as_data(builder, args[2])
        builder.store(data, ptr)
        return context.get_dummy_value()

    return types.none(addr, index, value), codegen
