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

Also here, the few low-level pieces the builds and traversals need on both targets:
:func:`load_node_record` (a BVH node as two 16-byte vector loads; CUDA: the read-only
path), :func:`stack_alloca` (a traversal stack in the thread's own frame),
:func:`counter_arrive` and :func:`load_fresh_at` (the fenced atomic counter and L2
reads of a bottom-up refit), :func:`leading_zeros`, :func:`array_at` (an array view
at an address), and the tuple helpers :func:`replace_field`, :func:`cast_like`,
:func:`tuple_range` (query values are immutable named tuples).
"""

from __future__ import annotations

from llvmlite import ir
from numba.core import cgutils, types
from numba.extending import intrinsic

from .builtin import jitable
from .local_arrays import fill_array

__all__ = [
    "lower_bound_at",
    "array_at",
    "cast_like",
    "counter_arrive",
    "leading_zeros",
    "load_at",
    "load_fresh_at",
    "load_node_record",
    "load_node_record_written",
    "replace_field",
    "stack_alloca",
    "store_at",
    "tuple_range",
]


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


# -- helpers of the structures' builds and traversals --------------------------------------

def _is_cuda(context) -> bool:
    return "CUDA" in type(context).__name__


def _cuda_fence(builder):
    asm = ir.InlineAsm(ir.FunctionType(ir.VoidType(), []), "membar.gl;", "~{memory}",
                       side_effect=True)
    builder.call(asm, [])


@intrinsic
def stack_alloca(typingctx, size):
    """The address of ``size`` (a constant) uninitialised int32 slots of the calling
    function's own stack frame (CUDA: local memory): a traversal stack. Valid until that
    function returns; never return or store the address."""
    if not isinstance(size, types.IntegerLiteral):
        return None
    n = size.literal_value

    def codegen(context, builder, sig, args):
        slots = cgutils.alloca_once(builder, ir.ArrayType(ir.IntType(32), n))
        return builder.ptrtoint(slots, ir.IntType(64))

    return types.int64(size), codegen


@intrinsic
def counter_arrive(typingctx, addr, index):
    """Atomically add 1 to the int32 at ``addr[index]`` and return the old count, ordered
    after this thread's earlier stores and before its later loads (a release/acquire
    pair): the second thread to arrive at a tree node sees what the first one wrote."""
    if not isinstance(addr, types.Integer) or not isinstance(index, types.Integer):
        return None

    def codegen(context, builder, sig, args):
        ptr = _element_pointer(context, builder, types.int32,
                               _as_i64(context, builder, args[0], sig.args[0]),
                               _as_i64(context, builder, args[1], sig.args[1]))
        one = ir.Constant(ir.IntType(32), 1)
        if _is_cuda(context):
            _cuda_fence(builder)
            old = builder.atomic_rmw("add", ptr, one, "monotonic")
            _cuda_fence(builder)
            return old
        return builder.atomic_rmw("add", ptr, one, "seq_cst")

    return types.int32(addr, index), codegen


@intrinsic
def load_fresh_at(typingctx, addr, index, proto):
    """:func:`load_at` of a float32 or int32 another thread wrote during this launch
    (after :func:`counter_arrive`): on CUDA read from L2 (``ld.global.cg``), past an L1
    line this SM may hold from before the write."""
    if not isinstance(addr, types.Integer) or not isinstance(index, types.Integer):
        return None
    ty = _value_type(proto)
    if ty not in (types.float32, types.int32):
        return None

    def codegen(context, builder, sig, args):
        ptr = _element_pointer(context, builder, ty,
                               _as_i64(context, builder, args[0], sig.args[0]),
                               _as_i64(context, builder, args[1], sig.args[1]))
        if not _is_cuda(context):
            return builder.load(ptr)
        lty = context.get_value_type(ty)
        kind, reg = ("f32", "f") if ty == types.float32 else ("b32", "r")
        asm = ir.InlineAsm(ir.FunctionType(lty, [ir.IntType(64)]),
                           f"ld.global.cg.{kind} $0, [$1];", f"={reg},l,~{{memory}}",
                           side_effect=True)
        return builder.call(asm, [builder.ptrtoint(ptr, ir.IntType(64))])

    return ty(addr, index, proto), codegen


@intrinsic
def leading_zeros(typingctx, x):
    """The number of leading zero bits of the unsigned integer ``x`` (its width if 0)."""
    if not isinstance(x, types.Integer):
        return None

    def codegen(context, builder, sig, args):
        ity = ir.IntType(sig.args[0].bitwidth)
        fn = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ity, [ity, ir.IntType(1)]),
            f"llvm.ctlz.i{sig.args[0].bitwidth}")
        n = builder.call(fn, [args[0], ir.Constant(ir.IntType(1), 0)])
        return builder.zext(n, ir.IntType(64)) if ity.width < 64 else n

    return types.int64(x), codegen


@intrinsic(prefer_literal=True)
def replace_field(typingctx, tup, k, value):
    """``tup`` (a tuple or namedtuple) with entry ``k`` (a constant) set to ``value``
    (cast to the entry's type): how a traversal's immutable query value moves on."""
    if not isinstance(tup, types.BaseTuple) or not isinstance(k, types.IntegerLiteral):
        return None
    pos = k.literal_value
    if not 0 <= pos < len(tup.types):
        return None

    def codegen(context, builder, sig, args):
        v = context.cast(builder, args[2], sig.args[2], tup.types[pos])
        return builder.insert_value(args[0], v, pos)

    return tup(tup, k, value), codegen


@intrinsic
def array_at(typingctx, addr, count, proto):
    """A 1-D array of ``count`` elements of ``proto``'s type over the memory at ``addr``
    (owned by nobody: the structure that holds the memory keeps it alive)."""
    if not isinstance(addr, types.Integer) or not isinstance(count, types.Integer):
        return None
    et = _value_type(proto)
    arrty = types.Array(et, 1, "C")

    def codegen(context, builder, sig, args):
        data_type = context.get_data_type(et)
        intp = context.get_value_type(types.intp)
        itemsize = context.get_abi_sizeof(data_type)
        ary = context.make_array(arrty)(context, builder)
        n = context.cast(builder, args[1], sig.args[1], types.intp)
        fill_array(context, builder, arrty, ary,
                   data=builder.inttoptr(_as_i64(context, builder, args[0], sig.args[0]),
                                         data_type.as_pointer()),
                   shape=cgutils.pack_array(builder, [n]),
                   strides=cgutils.pack_array(builder, [ir.Constant(intp, itemsize)]),
                   itemsize=ir.Constant(intp, itemsize), meminfo=None)
        return ary._getvalue()

    return arrty(addr, count, proto), codegen


@intrinsic
def cast_like(typingctx, value, proto):
    """``value`` converted to ``proto``'s type (an output variable keeps its type)."""
    target = types.unliteral(proto)

    def codegen(context, builder, sig, args):
        return context.cast(builder, args[0], sig.args[0], target)

    return target(value, proto), codegen


@intrinsic(prefer_literal=True)
def tuple_range(typingctx, tup, start, stop):
    """Entries ``start .. stop-1`` (constants; ``stop`` may exceed the length) of ``tup``."""
    if not isinstance(tup, types.BaseTuple) or not isinstance(start, types.IntegerLiteral) \
            or not isinstance(stop, types.IntegerLiteral):
        return None
    lo = start.literal_value
    hi = min(stop.literal_value, len(tup.types))
    picked = [tup.types[k] for k in range(lo, hi)]
    rty = types.Tuple(picked)

    def codegen(context, builder, sig, args):
        vals = [builder.extract_value(args[0], k) for k in range(lo, hi)]
        return context.make_tuple(builder, rty, vals)

    return rty(tup, start, stop), codegen


def _record_loader(invariant: bool):
    def typer(typingctx, addr, index):
        if not isinstance(addr, types.Integer) or not isinstance(index, types.Integer):
            return None
        return _record_signature(addr, index, invariant)

    return typer


@intrinsic
def load_node_record(typingctx, addr, index):
    """The eight 32-bit words of record ``index`` (32 bytes each, 16-byte aligned) at
    ``addr``, as ``(f32, f32, f32, i32, f32, f32, f32, i32)``: two 16-byte vector loads,
    marked invariant (a BVH's nodes do not change while kernels query them)."""
    return _record_loader(True)(typingctx, addr, index)


@intrinsic
def load_node_record_written(typingctx, addr, index):
    """:func:`load_node_record` of records this kernel writes (a refit): not invariant."""
    return _record_loader(False)(typingctx, addr, index)


def _record_signature(addr, index, invariant: bool):
    rty = types.Tuple([types.float32] * 3 + [types.int32] + [types.float32] * 3 +
                      [types.int32])

    def codegen(context, builder, sig, args):
        i32 = ir.IntType(32)
        vty = ir.VectorType(i32, 4)
        # CUDA: the records are in global memory, read through the read-only path
        space = 1 if _is_cuda(context) and invariant else 0
        base = builder.inttoptr(_as_i64(context, builder, args[0], sig.args[0]),
                                vty.as_pointer(space))
        first = builder.mul(_as_i64(context, builder, args[1], sig.args[1]),
                            ir.Constant(ir.IntType(64), 2))
        words = []
        for half in range(2):
            ptr = builder.gep(base, [builder.add(first, ir.Constant(ir.IntType(64), half))])
            vec = builder.load(ptr, align=16)
            if invariant:
                vec.set_metadata("invariant.load", builder.module.add_metadata([]))
            for k in range(4):
                w = builder.extract_element(vec, ir.Constant(i32, k))
                words.append(w if k == 3 else builder.bitcast(w, ir.FloatType()))
        return context.make_tuple(builder, rty, words)

    return rty(addr, index), codegen


@jitable
def lower_bound_at(addr, lo, hi, key, proto):
    """The first position in ``[lo, hi)`` of the sorted array of ``proto``'s type at
    ``addr`` whose element is not less than ``key`` (``hi`` if there is none)."""
    while lo < hi:
        mid = lo + (hi - lo) // 2
        if load_at(addr, mid, proto) < key:
            lo = mid + 1
        else:
            hi = mid
    return lo
