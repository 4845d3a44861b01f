"""Atomic operations on array elements, for the multithreaded CPU and for CUDA.

``atomic_add(arr, i[, j, k, l], value)`` and its siblings return the element's old
value. One lowering serves both targets: on the CPU it emits LLVM ``atomicrmw`` /
``cmpxchg`` (correct under the parallel launcher); on CUDA it emits the NVVM forms
numba-cuda uses (``atom.global.*`` in PTX). Scalar dtypes are handled here; composite
dtypes register a component-wise rule through :func:`register_elementwise_atomic`.
"""

from __future__ import annotations

from llvmlite import ir
from numba.core import cgutils, types
from numba.core.errors import TypingError
from numba.core.imputils import lower_builtin
from numba.core.typing.templates import AbstractTemplate, infer_global, signature

from .half import float_to_half, half_to_float

__all__ = [
    "atomic_add",
    "atomic_sub",
    "atomic_min",
    "atomic_max",
    "atomic_and",
    "atomic_or",
    "atomic_xor",
    "atomic_exch",
    "atomic_cas",
    "emit_atomic",
    "element_pointer",
    "register_elementwise_atomic",
    "register_array_like",
    "ATOMIC_SCALARS",
    "INT_ONLY_OPS",
]

#: the scalar types an atomic operation takes (on every target)
ATOMIC_SCALARS = (types.int32, types.uint32, types.int64, types.uint64,
                   types.float16, types.float32, types.float64)
#: the atomic operations defined for integers only
INT_ONLY_OPS = {"and", "or", "xor"}
# composite dtype class -> function(context, builder, op, dtype, ptr, val) -> old value
_elementwise_rules: dict[type, object] = {}


# array-like type class -> rule(context, builder, type, value, idxtys, idxs) -> element pointer
_array_like_rules: dict[type, object] = {}


def register_array_like(type_class, pointer_rule):
    """Let a type of array-like values (``ndim``, ``dtype``; e.g. indexed arrays) take
    part in the atomics: ``pointer_rule`` gives the address of one element."""
    _array_like_rules[type_class] = pointer_rule


def register_elementwise_atomic(type_class, rule):
    """Let composite dtypes (vectors, matrices) take part in the atomics."""
    _elementwise_rules[type_class] = rule


def is_cuda_context(context) -> bool:
    return "CUDA" in type(context).__name__


def memory_order(context) -> str:
    """LLVM ordering of the atomics. CPU: sequentially consistent, so a lock taken with
    ``wp.atomic_cas`` and released with ``wp.atomic_exch`` orders the plain loads and
    stores between them (the optimiser may not move them across; on x86 the instructions
    are the same as relaxed ones). CUDA: relaxed, as Warp's ``atomicAdd``/``atomicCAS``
    (a GPU fence per atomic would cost every reduction)."""
    return "monotonic" if is_cuda_context(context) else "seq_cst"


def emit_atomic(context, builder, op: str, dtype, ptr, val):
    """Emit an atomic read-modify-write of ``op`` on ``*ptr``; return the old value."""
    for cls, rule in _elementwise_rules.items():
        if isinstance(dtype, cls):
            return rule(context, builder, op, dtype, ptr, val)
    is_float = isinstance(dtype, types.Float)
    if dtype == types.float16:
        return _half_atomic(builder, op, ptr, val, word=is_cuda_context(context),
                            order=memory_order(context))
    if is_cuda_context(context):
        from numba.cuda import nvvmutils

        bits = dtype.bitwidth
        if is_float and op in ("add", "sub"):
            # (-0.0 - v is -v exactly; NVVM's IR has no fneg)
            neg = builder.fsub(ir.Constant(val.type, -0.0), val) if op == "sub" else val
            return _cuda_float_add(builder, ptr, neg)
        if is_float and op in ("min", "max"):
            name = {32: "float32", 64: "float64"}[bits]
            fn = getattr(nvvmutils, f"declare_atomic_{op}_{name}")(builder.module)
            return builder.call(fn, (ptr, val))
    if is_float:
        if op in ("add", "sub", "min", "max"):
            return builder.atomic_rmw("f" + op, ptr, val, memory_order(context))
        if op == "xchg":
            ity = ir.IntType(dtype.bitwidth)
            iptr = builder.bitcast(ptr, ity.as_pointer())
            old = builder.atomic_rmw("xchg", iptr, builder.bitcast(val, ity),
                                     memory_order(context))
            return builder.bitcast(old, val.type)
        raise TypingError(f"atomic {op} is not defined for {dtype}")
    if op in ("min", "max") and not dtype.signed:
        op = "u" + op
    return builder.atomic_rmw(op, ptr, val, memory_order(context))


def _cuda_float_add(builder, ptr, val):
    """CUDA float atomic add (``a - b`` is ``a + -b`` exactly). NVVM emits a global-memory
    atomic (``red.global``) only where it sees that the pointer is global; a pointer read
    from a kernel parameter inside a loop, as gradient arrays are in backward passes, comes
    out as a generic atomic (springs' backward pass, H200: 6.6 ms generic, 6.0 global). So the
    address is tested (``isspacep.global``: a few integer instructions, folded away where
    NVVM knows the space) and a global address takes the global form; local and shared
    memory keep the generic one."""
    mod = builder.module
    fty = ptr.type.pointee
    suffix = "f32" if isinstance(fty, ir.FloatType) else "f64"
    gptr_t = ir.PointerType(fty, addrspace=1)
    name = f"llvm.nvvm.atomic.load.add.{suffix}"
    generic = cgutils.get_or_insert_function(
        mod, ir.FunctionType(fty, (ptr.type, fty)), f"{name}.p0{suffix}")
    in_global = cgutils.get_or_insert_function(
        mod, ir.FunctionType(ir.IntType(1), (ir.IntType(8).as_pointer(),)),
        "llvm.nvvm.isspacep.global")
    to_global = cgutils.get_or_insert_function(
        mod, ir.FunctionType(fty, (gptr_t, fty)), f"{name}.p1{suffix}")
    flag = builder.call(in_global, (builder.bitcast(ptr, ir.IntType(8).as_pointer()),))
    with builder.if_else(flag, likely=True) as (on_global, other):
        with on_global:
            old_g = builder.call(to_global, (builder.addrspacecast(ptr, gptr_t), val))
            from_g = builder.block
        with other:
            old_o = builder.call(generic, (ptr, val))
            from_o = builder.block
    old = builder.phi(fty)
    old.add_incoming(old_g, from_g)
    old.add_incoming(old_o, from_o)
    return old


def _half_atomic(builder, op: str, ptr, val, word: bool, order: str = "monotonic"):
    """float16 (held as its bits, an i16) read-modify-write: a compare-and-swap loop, the
    arithmetic done in float32 and rounded once (Warp's float16 atomics). With ``word``
    (CUDA: NVVM has no 16-bit compare-and-swap) the loop swaps the aligned 32-bit word
    that holds the 16 bits."""
    if op not in ("add", "sub", "min", "max", "xchg"):
        raise TypingError(f"atomic {op} is not defined for float16")
    i16, i32 = ir.IntType(16), ir.IntType(32)
    if word:
        addr = builder.ptrtoint(ptr, ir.IntType(64))
        cell = builder.inttoptr(builder.and_(addr, ir.Constant(addr.type, ~3)), i32.as_pointer())
        shift = builder.trunc(builder.shl(builder.and_(addr, ir.Constant(addr.type, 2)),
                                          ir.Constant(addr.type, 3)), i32)
        keep = builder.xor(builder.shl(ir.Constant(i32, 0xFFFF), shift), ir.Constant(i32, -1))
    else:
        cell = builder.bitcast(ptr, i16.as_pointer())
    entry = builder.block
    first = builder.load(cell)
    loop = builder.append_basic_block("f16_atomic")
    done = builder.append_basic_block("f16_atomic_done")
    builder.branch(loop)
    builder.position_at_end(loop)
    cur_cell = builder.phi(first.type)
    cur_cell.add_incoming(first, entry)
    old = builder.trunc(builder.lshr(cur_cell, shift), i16) if word else cur_cell
    if op == "xchg":
        bits = val
    else:
        cur, v = half_to_float(builder, old), half_to_float(builder, val)
        if op in ("add", "sub"):
            new = builder.fadd(cur, v) if op == "add" else builder.fsub(cur, v)
        else:  # NaN-ignoring, like the float32/float64 atomics
            better = builder.fcmp_ordered("<" if op == "min" else ">", v, cur)
            new = builder.select(builder.or_(builder.fcmp_unordered("uno", cur, cur), better),
                                 v, cur)
        bits = float_to_half(builder, new)
    new_cell = builder.or_(builder.and_(cur_cell, keep),
                           builder.shl(builder.zext(bits, i32), shift)) if word else bits
    pair = builder.cmpxchg(cell, cur_cell, new_cell, order, "monotonic")
    seen = builder.extract_value(pair, 0)
    cur_cell.add_incoming(seen, builder.block)
    builder.cbranch(builder.extract_value(pair, 1), done, loop)
    builder.position_at_end(done)
    return old


def emit_cas(context, builder, dtype, ptr, compare, val):
    """Atomic compare-and-swap; returns the old value."""
    if isinstance(dtype, types.Float):
        ity = ir.IntType(dtype.bitwidth)
        iptr = builder.bitcast(ptr, ity.as_pointer())
        pair = builder.cmpxchg(iptr, builder.bitcast(compare, ity), builder.bitcast(val, ity),
                               memory_order(context), "monotonic")
        return builder.bitcast(builder.extract_value(pair, 0), val.type)
    pair = builder.cmpxchg(ptr, compare, val, memory_order(context), "monotonic")
    return builder.extract_value(pair, 0)


def element_pointer(context, builder, arrty, arr, idxtys, idxs):
    """Pointer to ``arr[idxs...]`` (indices cast to intp, no wraparound)."""
    rule = _array_like_rules.get(type(arrty))
    if rule is not None:
        return rule(context, builder, arrty, arr, idxtys, idxs)
    ary = context.make_array(arrty)(context, builder, arr)
    idxs = [context.cast(builder, v, t, types.intp) for v, t in zip(idxs, idxtys)]
    return cgutils.get_item_pointer(context, builder, arrty, ary, idxs, wraparound=False)


def _check_args(name, args, n_values):
    """Validate (array, indices..., values...) and return (array type, index types)."""
    if len(args) < 1 + n_values + 1:
        return None
    arr = args[0]
    if not isinstance(arr, types.Array) and type(arr) not in _array_like_rules:
        return None
    idx = args[1: len(args) - n_values]
    if len(idx) != arr.ndim or not all(isinstance(t, types.Integer) for t in idx):
        raise TypingError(
            f"wp.{name}() on a {arr.ndim}-D array needs {arr.ndim} integer indices, "
            f"got ({', '.join(str(t) for t in idx)})"
        )
    return arr, idx


def _supported(name, op, dtype):
    if any(isinstance(dtype, cls) for cls in _elementwise_rules):
        return True
    if dtype not in ATOMIC_SCALARS:
        raise TypingError(
            f"wp.{name}() does not support arrays of {dtype}; use int32, uint32, int64, "
            "uint64, float16, float32 or float64"
        )
    if op in INT_ONLY_OPS and isinstance(dtype, types.Float):
        raise TypingError(f"wp.{name}() needs an integer array, got an array of {dtype}")
    return True


#: each generated atomic's docstring example (doctest lines, run by tests/test_docs.py)
_EXAMPLES = {
    "atomic_add": """\
>>> @wp.kernel
... def total(xs: wp.array(dtype=int), out: wp.array(dtype=int)):
...     wp.atomic_add(out, 0, xs[wp.tid()])
>>> out = wp.zeros(1, dtype=int)
>>> wp.launch(total, 4, inputs=[wp.array([1, 2, 3, 4], dtype=int), out])
>>> print(out.numpy())
[10]
""",
    "atomic_sub": """\
>>> @wp.kernel
... def take(xs: wp.array(dtype=int), out: wp.array(dtype=int)):
...     wp.atomic_sub(out, 0, xs[wp.tid()])
>>> out = wp.array([100], dtype=int)
>>> wp.launch(take, 4, inputs=[wp.array([1, 2, 3, 4], dtype=int), out])
>>> print(out.numpy())
[90]
""",
    "atomic_min": """\
>>> @wp.kernel
... def lowest(xs: wp.array(dtype=float), out: wp.array(dtype=float)):
...     wp.atomic_min(out, 0, xs[wp.tid()])
>>> out = wp.array([1.0e9], dtype=float)
>>> wp.launch(lowest, 4, inputs=[wp.array([3.0, -2.5, 7.0, 1.0], dtype=float), out])
>>> print(out.numpy())
[-2.5]
""",
    "atomic_max": """\
>>> @wp.kernel
... def highest(xs: wp.array(dtype=float), out: wp.array(dtype=float)):
...     wp.atomic_max(out, 0, xs[wp.tid()])
>>> out = wp.array([-1.0e9], dtype=float)
>>> wp.launch(highest, 4, inputs=[wp.array([3.0, -2.5, 7.0, 1.0], dtype=float), out])
>>> print(out.numpy())
[7.]
""",
    "atomic_and": """\
>>> @wp.kernel
... def clear_bits(masks: wp.array(dtype=wp.int32), out: wp.array(dtype=wp.int32)):
...     wp.atomic_and(out, 0, masks[wp.tid()])
>>> out = wp.array([0b1111], dtype=wp.int32)
>>> wp.launch(clear_bits, 2, inputs=[wp.array([0b1110, 0b0111], dtype=wp.int32), out])
>>> print(bin(int(out.numpy()[0])))
0b110
""",
    "atomic_or": """\
>>> @wp.kernel
... def set_bit(out: wp.array(dtype=wp.int32)):
...     i = wp.tid()
...     wp.atomic_or(out, 0, 1 << i)
>>> out = wp.zeros(1, dtype=wp.int32)
>>> wp.launch(set_bit, 5, inputs=[out])
>>> print(bin(int(out.numpy()[0])))
0b11111
""",
    "atomic_xor": """\
>>> @wp.kernel
... def flip(masks: wp.array(dtype=wp.int32), out: wp.array(dtype=wp.int32)):
...     wp.atomic_xor(out, 0, masks[wp.tid()])
>>> out = wp.zeros(1, dtype=wp.int32)
>>> wp.launch(flip, 3, inputs=[wp.array([0b0011, 0b0110, 0b1000], dtype=wp.int32), out])
>>> print(bin(int(out.numpy()[0])))
0b1101
""",
    "atomic_exch": """\
>>> @wp.kernel
... def swap(a: wp.array(dtype=int), old: wp.array(dtype=int)):
...     i = wp.tid()
...     old[i] = wp.atomic_exch(a, 0, i + 1)
>>> a = wp.zeros(1, dtype=int)
>>> old = wp.zeros(3, dtype=int)
>>> wp.launch(swap, 3, inputs=[a, old])
>>> sorted(old.numpy().tolist() + a.numpy().tolist())  # every value seen once
[0, 1, 2, 3]
""",
}


def _make_rmw(name: str, op: str):
    def stub(arr, *args):
        raise RuntimeError(f"wp.{name}() can only be called inside a kernel or function")

    stub.__name__ = stub.__qualname__ = name
    stub.__doc__ = (
        f"Atomically apply '{op}' of ``value`` to ``arr[i, ...]``; return the old value.\n\n"
        f"Usage in kernels: ``wp.{name}(arr, i[, j, k, l], value)``.\n\n"
        f"Example\n-------\n{_EXAMPLES[name]}"
    )
    globals()[name] = stub  # Numba requires typing keys to be reachable as module globals

    @infer_global(stub)
    class _Template(AbstractTemplate):
        def generic(self, args, kws):
            checked = _check_args(name, args, 1)
            if checked is None or kws:
                return None
            arr, idx = checked
            _supported(name, op, arr.dtype)
            if not any(isinstance(arr.dtype, c) for c in _elementwise_rules):
                return signature(arr.dtype, arr, *idx, arr.dtype)
            comp = getattr(arr.dtype, "dtype", None)  # vectors/matrices: their components
            if comp is None:  # structs: field by field, float fields only
                if op not in ("add", "sub"):
                    raise TypingError(f"wp.{name}() does not support arrays of {arr.dtype}")
                return signature(arr.dtype, arr, *idx, arr.dtype)
            if comp not in ATOMIC_SCALARS or (op in INT_ONLY_OPS and
                                               isinstance(comp, types.Float)):
                raise TypingError(f"wp.{name}() does not support arrays of {arr.dtype}")
            return signature(arr.dtype, arr, *idx, arr.dtype)

    @lower_builtin(stub, types.Array, types.VarArg(types.Any))
    @lower_builtin(stub, types.Type, types.VarArg(types.Any))  # registered array-likes
    def _lower(context, builder, sig, args):
        arrty = sig.args[0]
        ptr = element_pointer(context, builder, arrty, args[0], sig.args[1:-1], args[1:-1])
        return emit_atomic(context, builder, op, arrty.dtype, ptr, args[-1])

    return stub


atomic_add = _make_rmw("atomic_add", "add")
atomic_sub = _make_rmw("atomic_sub", "sub")
atomic_min = _make_rmw("atomic_min", "min")
atomic_max = _make_rmw("atomic_max", "max")
atomic_and = _make_rmw("atomic_and", "and")
atomic_or = _make_rmw("atomic_or", "or")
atomic_xor = _make_rmw("atomic_xor", "xor")
atomic_exch = _make_rmw("atomic_exch", "xchg")


def atomic_cas(arr, *args):
    """Atomically set ``arr[i, ...] = value`` if it equals ``compare``; return the old value.

    Usage in kernels: ``wp.atomic_cas(arr, i[, j, k, l], compare, value)``.

    Example
    -------
    >>> @wp.kernel
    ... def claim(owner: wp.array(dtype=int), wins: wp.array(dtype=int)):
    ...     i = wp.tid()
    ...     if wp.atomic_cas(owner, 0, -1, i) == -1:
    ...         wp.atomic_add(wins, 0, 1)
    >>> owner = wp.full(1, -1, dtype=int)
    >>> wins = wp.zeros(1, dtype=int)
    >>> wp.launch(claim, 8, inputs=[owner, wins])
    >>> print(wins.numpy(), 0 <= int(owner.numpy()[0]) < 8)  # exactly one thread won
    [1] True
    """
    raise RuntimeError("wp.atomic_cas() can only be called inside a kernel or function")


@infer_global(atomic_cas)
class _CasTemplate(AbstractTemplate):
    def generic(self, args, kws):
        checked = _check_args("atomic_cas", args, 2)
        if checked is None or kws:
            return None
        arr, idx = checked
        if arr.dtype not in ATOMIC_SCALARS:
            raise TypingError(f"wp.atomic_cas() does not support arrays of {arr.dtype}")
        return signature(arr.dtype, arr, *idx, arr.dtype, arr.dtype)


@lower_builtin(atomic_cas, types.Array, types.VarArg(types.Any))
@lower_builtin(atomic_cas, types.Type, types.VarArg(types.Any))  # registered array-likes
def _lower_cas(context, builder, sig, args):
    arrty = sig.args[0]
    ptr = element_pointer(context, builder, arrty, args[0], sig.args[1:-2], args[1:-2])
    return emit_cas(context, builder, arrty.dtype, ptr, args[-2], args[-1])
