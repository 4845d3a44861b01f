"""Type-generic helpers that generated backward code calls.

The adjoint compiler works on the AST, before Numba knows any types, so everything
it emits is a call to one of these, and the types decide what happens:

* ``adj_zero``, ``accum``, ``neg``, ``scale``, ``adj_alias``, ``has_grad``: adjoint
  arithmetic on any value (see ``adjoint_values``; re-exported here).
* ``adj_getitem`` / ``adj_getattr`` / ``adj_store`` / ``adj_atomic``: the reverse of
  reading a component or an array element, of storing into an array and of atomics.
* ``owned_*``, ``consume``: a thread's own gradient element, read and cleared.
* ``grad_prefetch``: a hint (CPU only) that an element and its gradient are needed soon.
* ``stack_*``: thread-local checkpoint stacks for loops (see ``autodiff``'s writer).
* ``range_len``, ``range_cond``: iteration counts of ``range`` loops.

:data:`__all__` is the list of names the adjoint compiler refers to. A gradient array
that is absent (the array has no ``requires_grad``) arrives as an empty array; every
helper that touches a gradient array does nothing when it is empty.
"""

from __future__ import annotations

from llvmlite import ir
from numba import int64
from numba.core import cgutils, types
from numba.core.errors import TypingError
from numba.core.imputils import impl_ret_borrowed
from numba.extending import intrinsic, models, overload, register_model

from ..typing.mat import MatType
from ..typing.structs import StructType
from ..typing.vec import VecType
from .adjoint_values import (
    accum,
    adj_alias,
    adj_zero,
    has_grad,
    holds_arrays,
    is_float_array,
    neg,
    scale,
    tuple_accum_at,
    zero_type,
)
from .atomics import atomic_add, element_pointer, is_cuda_context
from .kernel_helpers import setattr_value, store

__all__ = [
    "accum",
    "adj_alias",
    "adj_atomic_add",
    "adj_atomic_minmax",
    "adj_atomic_sub",
    "adj_field_init",
    "adj_getattr",
    "adj_getitem",
    "adj_getitem_owned",
    "adj_store",
    "adj_zero",
    "atomic_replay",
    "consume",
    "grad_prefetch",
    "has_grad",
    "index_tuple",
    "neg",
    "owned_load",
    "owned_store",
    "owned_total",
    "range_cond",
    "range_len",
    "scale",
    "stack_alloc",
    "stack_compact",
    "stack_get",
    "stack_set",
]


# ---------------------------------------------------------------------------------------
# Components and fields
# ---------------------------------------------------------------------------------------

def index_source(n: int) -> str:
    """Source of the indices unpacked from the tuple ``idx``."""
    return ", ".join(f"idx[{k}]" for k in range(n))


_GEN_CACHE: dict = {}


def _gen(key, src: str):
    """Compile a helper implementation from one of the fixed templates below."""
    fn = _GEN_CACHE.get(key)
    if fn is None:
        scope = {"accum": accum, "store": store, "setattr_value": setattr_value,
                 "atomic_add": atomic_add, "adj_zero": adj_zero, "has_grad": has_grad,
                 "zero_element": zero_element, "neg": neg,
                 "tuple_accum_at": tuple_accum_at}
        exec(src, scope)  # noqa: S102 - fixed templates
        fn = _GEN_CACHE[key] = scope["f"]
    return fn


def index_tuple(idx):
    """An index as a tuple: ``i`` -> ``(i,)``; tuples unchanged."""


@overload(index_tuple, target="generic")
def _ol_index_tuple(idx):
    if isinstance(idx, types.BaseTuple):
        return lambda idx: idx
    return lambda idx: (idx,)


def index_count(idx) -> int:
    return len(idx) if isinstance(idx, types.BaseTuple) else 1


def adj_getitem(base, adj_base, idx, adj_t):
    """Reverse of ``t = base[idx...]`` (``idx`` is a tuple of indices)."""


@overload(adj_getitem, target="generic", prefer_literal=True)
def _ol_getitem(base, adj_base, idx, adj_t):
    n = index_count(idx)
    ix = index_source(n)
    if isinstance(base, types.Array):
        if not is_float_array(base):
            return _gen(("gi_noop",), "def f(base, adj_base, idx, adj_t):\n"
                                      "    return adj_base\n")
        return _gen(("gi_arr", n), f"def f(base, adj_base, idx, adj_t):\n"
                                   f"    if has_grad(adj_base):\n"
                                   f"        atomic_add(adj_base, {ix}, adj_t)\n"
                                   f"    return adj_base\n")
    if isinstance(base, (VecType, MatType)):
        key = ix if n == 1 else f"({ix})"
        return _gen(("gi_val", n),
                    f"def f(base, adj_base, idx, adj_t):\n"
                    f"    return store(adj_base, {key}, accum(adj_base[{key}], adj_t))\n")
    if isinstance(base, types.BaseTuple):
        return _gen(("gi_tup",), "def f(base, adj_base, idx, adj_t):\n"
                                 "    return tuple_accum_at(adj_base, idx[0], adj_t)\n")
    return _gen(("gi_noop",), "def f(base, adj_base, idx, adj_t):\n    return adj_base\n")


def owned_load(arr, adj_arr, idx):
    """This thread's gradient element (zero when absent or out of bounds)."""


def _in_bounds_source(n):
    return " and ".join(f"0 <= idx[{k}] < adj_arr.shape[{k}]" for k in range(n))


@overload(owned_load, target="generic")
def _ol_owned_load(arr, adj_arr, idx):
    n = index_count(idx)
    if not is_float_array(arr):
        return _gen(("ol_noop",), "def f(arr, adj_arr, idx):\n"
                                  "    return zero_element(arr)\n")
    return _gen(("ol", n), f"def f(arr, adj_arr, idx):\n"
                           f"    if {_in_bounds_source(n)}:\n"
                           f"        return adj_arr[{index_source(n)}]\n"
                           f"    return zero_element(arr)\n")


def owned_store(adj_arr, idx, d, z):
    """Apply this thread's changes to its gradient element (when present, in bounds)."""


@overload(owned_store, target="generic")
def _ol_owned_store(adj_arr, idx, d, z):
    n = index_count(idx)
    if not is_float_array(adj_arr):
        return _gen(("os_noop",), "def f(adj_arr, idx, d, z):\n    return None\n")
    ix = index_source(n)
    return _gen(("os", n), f"def f(adj_arr, idx, d, z):\n"
                           f"    if {_in_bounds_source(n)}:\n"
                           f"        if z:\n"
                           f"            adj_arr[{ix}] = d\n"
                           f"        else:\n"
                           f"            adj_arr[{ix}] = accum(adj_arr[{ix}], d)\n")


def owned_total(g, d, z):
    """The current gradient of an owned element (see ``BackwardWriter.load_owned``)."""


@overload(owned_total, target="generic")
def _ol_owned_total(g, d, z):
    def impl(g, d, z):
        return d if z else accum(g, d)

    return impl


def consume(z, d, retain):
    """(z, d) after a store consumed the element: zeroed, unless retained."""


@overload(consume, target="generic")
def _ol_consume(z, d, retain):
    def impl(z, d, retain):
        if retain:
            return z, d
        return True, adj_zero(d)

    return impl


def adj_getitem_owned(base, adj_base, idx, adj_t):
    """``adj_getitem`` for an element no other thread touches: no atomic needed."""


@overload(adj_getitem_owned, target="generic", prefer_literal=True)
def _ol_getitem_owned(base, adj_base, idx, adj_t):
    n = index_count(idx)
    ix = index_source(n)
    if isinstance(base, types.Array) and is_float_array(base):
        return _gen(("gi_own", n), f"def f(base, adj_base, idx, adj_t):\n"
                                   f"    if has_grad(adj_base):\n"
                                   f"        adj_base[{ix}] = accum(adj_base[{ix}], adj_t)\n"
                                   f"    return adj_base\n")
    return _ol_getitem(base, adj_base, idx, adj_t)


def adj_getattr(base, adj_base, name, adj_t):
    """Reverse of ``t = base.name``."""


@overload(adj_getattr, target="generic", prefer_literal=True)
def _ol_getattr(base, adj_base, name, adj_t):
    if not isinstance(name, types.StringLiteral):
        return None
    attr = name.literal_value
    differentiable = False
    if isinstance(base, types.BaseNamedTuple) and attr in base.fields:
        # (query results: wp.MeshQueryPoint and friends are named tuples)
        pos = base.fields.index(attr)
        if holds_arrays(base.types[pos]):
            return _gen(("ga_none",), "def f(base, adj_base, name, adj_t):\n"
                                      "    return adj_base\n")
        return _gen(("ga_nt", pos), f"def f(base, adj_base, name, adj_t):\n"
                                    f"    return tuple_accum_at(adj_base, {pos}, adj_t)\n")
    if isinstance(base, StructType):
        ft = dict(base.members).get(attr)
        differentiable = ft is not None and not holds_arrays(ft)
    elif isinstance(base, (VecType, MatType)):
        differentiable = True
    if not differentiable:
        return _gen(("ga_none",), "def f(base, adj_base, name, adj_t):\n"
                                  "    return adj_base\n")
    return _gen(("ga", attr),
                f"def f(base, adj_base, name, adj_t):\n"
                f"    return setattr_value(adj_base, '{attr}', accum(adj_base.{attr}, adj_t))\n")


@intrinsic(prefer_literal=True)
def adj_field_init(typingctx, t, adj_base, name):
    """Initial adjoint of ``t = base.name``: the gradients of an array field, else a zero."""
    if not isinstance(name, types.StringLiteral):
        return None
    attr = name.literal_value
    rt = zero_type(t)
    if holds_arrays(t) and isinstance(adj_base, StructType):
        names = [n for n, _ in adj_base.members]
        pos = names.index(attr)

        def codegen(context, builder, sig, args):
            v = builder.extract_value(args[1], pos)
            return impl_ret_borrowed(context, builder, sig.return_type, v)

        return adj_base.members[pos][1](t, adj_base, name), codegen

    def codegen_zero(context, builder, sig, args):
        return context.get_constant_null(sig.return_type)

    return rt(t, adj_base, name), codegen_zero


# ---------------------------------------------------------------------------------------
# Array stores and atomics
# ---------------------------------------------------------------------------------------

@intrinsic
def zero_element(typingctx, arr):
    def codegen(context, builder, sig, args):
        return context.get_constant_null(sig.return_type)

    return arr.dtype(arr), codegen


@intrinsic
def grad_prefetch(typingctx, arr, adj_arr, idx):
    """Ask the CPU to fetch ``arr[idx]`` for reading and ``adj_arr[idx]`` (a float
    gradient) for writing: a backward loop issues it a few iterations before it gathers
    the element and scatters into its gradient, whose atomic compare-and-swap would
    otherwise wait for a cache miss with every later load stalled behind it. A prefetch
    never faults (an absent gradient, an index out of bounds: no effect). On CUDA it is
    nothing: the atomic adds there do not wait for the memory."""
    ints = isinstance(idx, types.BaseTuple) and all(isinstance(t, types.Integer) for t in idx)
    arrays = [a for a in (arr, adj_arr) if ints and isinstance(a, types.Array) and
              a.ndim == len(idx)]  # anything else (a view, a value): nothing to fetch

    def codegen(context, builder, sig, args):
        if is_cuda_context(context) or not arrays:
            return context.get_dummy_value()
        idxs = [builder.extract_value(args[2], k) for k in range(len(idx))]
        for write, (aty, val) in enumerate(zip((arr, adj_arr), args[:2])):
            if aty not in arrays or (write and not is_float_array(aty)):
                continue
            ptr = element_pointer(context, builder, aty, val, list(idx), idxs)
            _prefetch(builder, ptr, write)
        return context.get_dummy_value()

    return types.none(arr, adj_arr, idx), codegen


def _prefetch(builder, ptr, write: int):
    i8p, i32 = ir.IntType(8).as_pointer(), ir.IntType(32)
    fn = cgutils.get_or_insert_function(
        builder.module, ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32]),
        "llvm.prefetch.p0i8")
    # (address, read 0 / write 1, locality 3: keep in all cache levels, data cache 1)
    builder.call(fn, [builder.bitcast(ptr, i8p), i32(write), i32(3), i32(1)])


def adj_store(arr, adj_arr, idx, retain):
    """Reverse of ``arr[idx] = v``: the adjoint of ``v``.

    That is the gradient of the written element, which is then zeroed (consumed) unless
    the array was made with ``retain_grad=True``, so that only the last write of an
    element receives its gradient (Warp's rule).
    """


@overload(adj_store, target="generic")
def _ol_store(arr, adj_arr, idx, retain):
    n = index_count(idx)
    ix = index_source(n)
    if not is_float_array(arr):
        return _gen(("st_noop",), "def f(arr, adj_arr, idx, retain):\n"
                                  "    return zero_element(arr)\n")
    return _gen(("st", n), f"def f(arr, adj_arr, idx, retain):\n"
                           f"    if not has_grad(adj_arr):\n"
                           f"        return zero_element(arr)\n"
                           f"    g = adj_arr[{ix}]\n"
                           f"    if not retain:\n"
                           f"        adj_arr[{ix}] = zero_element(arr)\n"
                           f"    return g\n")


def adj_atomic_add(arr, adj_arr, idx):
    """Adjoint of the value added by ``atomic_add(arr, idx..., v)``: ``adj_arr[idx]``."""


@overload(adj_atomic_add, target="generic")
def _ol_atomic_add(arr, adj_arr, idx):
    n = index_count(idx)
    if not is_float_array(arr):
        return _gen(("aa_noop",), "def f(arr, adj_arr, idx):\n"
                                  "    return zero_element(arr)\n")
    return _gen(("aa", n), f"def f(arr, adj_arr, idx):\n"
                           f"    if not has_grad(adj_arr):\n"
                           f"        return zero_element(arr)\n"
                           f"    return adj_arr[{index_source(n)}]\n")


def adj_atomic_sub(arr, adj_arr, idx):
    """Adjoint of the value subtracted by ``atomic_sub``: ``-adj_arr[idx]``."""


@overload(adj_atomic_sub, target="generic")
def _ol_atomic_sub(arr, adj_arr, idx):
    scope = {"adj_atomic_add": adj_atomic_add, "neg": neg}
    fn = _GEN_CACHE.get("as")
    if fn is None:
        exec("def f(arr, adj_arr, idx):\n"  # noqa: S102 - fixed template
             "    return neg(adj_atomic_add(arr, adj_arr, idx))\n", scope)
        fn = _GEN_CACHE["as"] = scope["f"]
    return fn


def adj_atomic_minmax(arr, adj_arr, idx, v):
    """Adjoint of the value of ``atomic_min/max(arr, idx..., v)``.

    The value that ended up in the array (the minimum or maximum) receives the element's
    gradient; the others receive none (Warp's rule).
    """


@overload(adj_atomic_minmax, target="generic")
def _ol_atomic_minmax(arr, adj_arr, idx, v):
    n = index_count(idx)
    ix = index_source(n)
    if not is_float_array(arr):
        return _gen(("am_noop",), "def f(arr, adj_arr, idx, v):\n"
                                  "    return zero_element(arr)\n")
    return _gen(("am", n), f"def f(arr, adj_arr, idx, v):\n"
                           f"    if has_grad(adj_arr) and arr[{ix}] == v:\n"
                           f"        return adj_arr[{ix}]\n"
                           f"    return zero_element(arr)\n")


def atomic_replay(arr, idx):
    """What an atomic returns when the backward pass replays it: a zero (it is not re-run)."""


@overload(atomic_replay, target="generic")
def _ol_atomic_replay(arr, idx):
    return _gen(("ar",), "def f(arr, idx):\n    return zero_element(arr)\n")


# ---------------------------------------------------------------------------------------
# Loop checkpoint stacks (thread-local, fixed capacity)
# ---------------------------------------------------------------------------------------

class StackType(types.Type):
    """A thread-local array of ``capacity`` values of type ``elem``."""

    def __init__(self, elem, capacity: int):
        self.elem = elem
        self.capacity = int(capacity)
        super().__init__(name=f"wp_stack[{elem}, {capacity}]")


@register_model(StackType)
class _StackModel(models.PrimitiveModel):
    def __init__(self, dmm, fe_type):
        be = dmm.lookup(fe_type.elem).get_value_type()
        super().__init__(dmm, fe_type, ir.PointerType(be))


@intrinsic(prefer_literal=True)
def stack_alloc(typingctx, x, capacity):
    """Stack memory for ``capacity`` values of ``x``'s type (allocated once per call)."""
    if not isinstance(capacity, types.IntegerLiteral):
        raise TypingError("stack_alloc needs a constant capacity")
    elem = types.unliteral(x)
    st = StackType(elem, capacity.literal_value)

    def codegen(context, builder, sig, args):
        vt = context.get_value_type(elem)
        return cgutils.alloca_once(builder, vt, size=st.capacity, name="wp_loop_stack")

    return st(x, capacity), codegen


@intrinsic
def stack_set(typingctx, stk, k, x):
    def codegen(context, builder, sig, args):
        ptr = builder.gep(args[0], [args[1]])
        builder.store(context.cast(builder, args[2], x, stk.elem), ptr)
        return context.get_dummy_value()

    return types.none(stk, k, x), codegen


@intrinsic
def stack_get(typingctx, stk, k):
    def codegen(context, builder, sig, args):
        return builder.load(builder.gep(args[0], [args[1]]))

    return stk.elem(stk, k), codegen


@intrinsic
def stack_compact(typingctx, stk):
    """Keep every second entry: ``stk[j] = stk[2 j]`` for the first half."""

    def codegen(context, builder, sig, args):
        half = stk.capacity // 2
        with cgutils.for_range(builder, context.get_constant(types.intp, half)) as loop:
            j = loop.index
            src = builder.gep(args[0], [builder.mul(j, j.type(2))])
            builder.store(builder.load(src), builder.gep(args[0], [j]))
        return context.get_dummy_value()

    return types.none(stk), codegen


def range_len(start, stop, step):
    """Number of iterations of ``range(start, stop, step)``."""
    if step > 0:
        return max(0, (stop - start + step - 1) // step)
    return max(0, (start - stop - step - 1) // (-step))


@overload(range_len, target="generic")
def _ol_range_len(start, stop, step):
    def impl(start, stop, step):
        a, b, s = int64(start), int64(stop), int64(step)
        if s > 0:
            n = (b - a + s - 1) // s
        else:
            n = (a - b - s - 1) // (-s)
        return n if n > 0 else int64(0)

    return impl


def range_cond(i, stop, step):
    """Whether ``range`` continues at ``i``."""
    return i < stop if step > 0 else i > stop


@overload(range_cond, target="generic")
def _ol_range_cond(i, stop, step):
    def impl(i, stop, step):
        return i < stop if step > 0 else i > stop

    return impl
