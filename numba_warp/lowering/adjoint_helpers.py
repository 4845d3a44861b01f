"""Type-generic helpers that generated backward code calls.

The adjoint transformer works on the AST, before Numba knows any types, so everything
it emits is a call to one of these, and the types decide what happens:

* ``adj_zero(x)`` -> a zero of ``x``'s type (scalars, vectors, matrices, structs, tuples).
* ``accum(adj, c)`` -> ``adj + c`` component by component, ``c`` cast to ``adj``'s type.
  Integers and booleans have no gradient: ``accum`` returns ``adj`` unchanged. Arrays
  carry their gradient in a ``.grad`` array, which is updated in place, so ``accum``
  on an array is also the identity.
* ``adj_alias(x, adj_x)`` -> the adjoint of a copy of ``x``: for arrays (and structs
  holding arrays) the same gradient arrays, otherwise a zero.
* ``adj_getitem`` / ``adj_getattr`` / ``adj_store`` / ``adj_atomic``: the reverse of
  reading a component or an array element, of storing into an array and of atomics.
* ``stack_*``: thread-local checkpoint stacks for loops (see ``transform``).

A gradient array that is absent (the array has no ``requires_grad``) arrives as an empty
array; every helper that touches a gradient array does nothing when it is empty.
"""

from __future__ import annotations

from llvmlite import ir
from numba import int64
from numba.core import cgutils, types
from numba.core.errors import TypingError
from numba.core.imputils import impl_ret_borrowed
from numba.extending import intrinsic, models, overload, register_model

from ..lowering.atomics import atomic_add
from ..lowering.half import float_to_half, half_to_float
from ..lowering.kernel_helpers import setattr_value, store
from ..typing.mat import MatType
from ..typing.structs import StructType
from ..typing.vec import VecType

__all__ = [
    "adj_zero", "accum", "neg", "scale", "adj_alias", "adj_field_init", "adj_getitem",
    "adj_getitem_owned", "owned_load", "owned_store", "owned_total", "consume", "adj_getattr", "adj_store", "adj_atomic_add", "adj_atomic_sub",
    "adj_atomic_minmax",
    "atomic_replay", "stack_alloc", "stack_get", "stack_set", "stack_compact", "range_len",
    "range_cond", "has_grad", "index_tuple",
]


# ---------------------------------------------------------------------------------------
# Structure of values: what is differentiable, and component-wise combination
# ---------------------------------------------------------------------------------------

def _is_float_array(t) -> bool:
    """An array whose elements carry a gradient: floats, float vectors and matrices, and
    structs with such fields (their gradient arrays are arrays of the same struct)."""
    return isinstance(t, types.Array) and _has_float_leaves(t.dtype)


def _has_float_leaves(dt) -> bool:
    if isinstance(dt, (VecType, MatType)):
        dt = dt.dtype
    if isinstance(dt, StructType):
        return any(_has_float_leaves(ft) for _, ft in dt.members)
    return isinstance(dt, types.Float)


def _holds_arrays(t) -> bool:
    if isinstance(t, types.Array):
        return True
    if isinstance(t, StructType):
        return any(_holds_arrays(ft) for _, ft in t.members)
    if isinstance(t, types.BaseTuple):
        return any(_holds_arrays(et) for et in t.types)
    return False


def _parts(t):
    """Component types of an aggregate value, or None for a leaf."""
    if isinstance(t, VecType):
        return [t.dtype] * t.length
    if isinstance(t, MatType):
        return [t.dtype] * t.count
    if isinstance(t, StructType):
        return [ft for _, ft in t.members]
    if isinstance(t, types.BaseTuple):
        return list(t.types)
    return None


def _compatible(a, c) -> bool:
    """Can a contribution of type ``c`` be accumulated into an adjoint of type ``a``?"""
    if isinstance(a, (types.Integer, types.Boolean, types.Array, types.NoneType)):
        return True
    if isinstance(a, types.Float):
        return isinstance(c, (types.Float, types.Integer, types.Boolean))
    pa, pc = _parts(a), _parts(c)
    if pa is None or pc is None or len(pa) != len(pc):
        return False
    return all(_compatible(x, y) for x, y in zip(pa, pc))


def _combine(context, builder, aty, a, cty, c, leaf):
    """Apply ``leaf(builder, float_type, a, c_cast)`` to every float component."""
    if isinstance(aty, types.Float):
        cv = context.cast(builder, c, cty, aty)
        return leaf(builder, aty, a, cv)
    parts = _parts(aty)
    if parts is None:
        return a  # integers, booleans, arrays, None: no gradient value
    cparts = _parts(cty)
    out = a
    for k, (pt, ct) in enumerate(zip(parts, cparts)):
        av = builder.extract_value(a, k)
        cv = builder.extract_value(c, k)
        out = builder.insert_value(out, _combine(context, builder, pt, av, ct, cv, leaf), k)
    return out


def _map(context, builder, ty, a, leaf):
    if isinstance(ty, types.Float):
        return leaf(builder, ty, a)
    parts = _parts(ty)
    if parts is None:
        return a
    out = a
    for k, pt in enumerate(parts):
        out = builder.insert_value(out, _map(context, builder, pt, builder.extract_value(a, k),
                                             leaf), k)
    return out


def _fadd(builder, t, a, c):
    if t == types.float16:  # held as its bits: add in float32, round once
        return float_to_half(builder, builder.fadd(half_to_float(builder, a),
                                                   half_to_float(builder, c)))
    return builder.fadd(a, c)


def _fneg(builder, t, a):
    if t == types.float16:
        return builder.xor(a, ir.Constant(a.type, 0x8000))  # the sign bit
    # NVVM rejects LLVM's fneg instruction
    return builder.fsub(ir.Constant(a.type, -0.0), a)


# ---------------------------------------------------------------------------------------
# Zero, accumulate, negate, alias
# ---------------------------------------------------------------------------------------

def _zero_type(x):
    if isinstance(x, types.Literal):
        x = types.unliteral(x)
    return x


@intrinsic
def adj_zero(typingctx, x):
    """A zero adjoint of ``x``'s type."""
    t = _zero_type(x)
    if _holds_arrays(t) and any(
            _is_float_array(a) for a in _array_leaves(t)):
        if isinstance(t, types.Array):
            raise TypingError(
                "a gradient cannot flow through this array variable: only array parameters "
                "of kernels and functions (and arrays in their struct parameters) carry "
                "gradients, not thread-local arrays (wp.zeros in a kernel) or arrays chosen "
                "by a branch. Compute with values, or give the kernel enable_backward=False.")
        raise TypingError(f"a gradient cannot flow through a {t} made in the kernel: its "
                          "arrays have no gradients; pass the struct as a parameter instead")

    def codegen(context, builder, sig, args):
        return context.get_constant_null(sig.return_type)

    return t(x), codegen


def _array_leaves(t):
    if isinstance(t, types.Array):
        return [t]
    out = []
    for p in _parts(t) or ():
        out.extend(_array_leaves(p))
    return out


@intrinsic
def accum(typingctx, adj, c):
    """``adj + c``, component-wise, for float components (others: ``adj`` unchanged)."""
    if isinstance(c, types.NoneType) or isinstance(adj, types.NoneType):
        def codegen_none(context, builder, sig, args):
            return args[0]

        return adj(adj, c), codegen_none
    if not _compatible(adj, c):
        raise TypingError(f"internal error in a gradient rule: cannot accumulate a {c} into "
                          f"an adjoint of type {adj}")

    def codegen(context, builder, sig, args):
        out = _combine(context, builder, adj, args[0], c, args[1], _fadd)
        if isinstance(adj, types.Array):
            return impl_ret_borrowed(context, builder, adj, out)
        return out

    return adj(adj, c), codegen


@intrinsic
def neg(typingctx, x):
    """``-x`` component-wise (floats), for any adjoint value."""
    t = _zero_type(x)

    def codegen(context, builder, sig, args):
        if isinstance(t, (types.Integer, types.Boolean)):
            return context.cast(builder, args[0], x, t)
        return _map(context, builder, t, context.cast(builder, args[0], x, t), _fneg)

    return t(x), codegen


@intrinsic
def scale(typingctx, x, s):
    """Every float component of ``x`` times the scalar ``s``."""
    t = _zero_type(x)

    def codegen(context, builder, sig, args):
        sv = args[1]

        def leaf(b, ft, a):
            if ft == types.float16:  # held as its bits
                f = context.cast(b, sv, s, types.float32)
                return float_to_half(b, b.fmul(half_to_float(b, a), f))
            return b.fmul(a, context.cast(b, sv, s, ft))

        return _map(context, builder, t, context.cast(builder, args[0], x, t), leaf)

    return t(x, s), codegen


@intrinsic
def _alias(typingctx, x, adj_x):
    def codegen(context, builder, sig, args):
        return impl_ret_borrowed(context, builder, sig.return_type, args[1])

    return adj_x(x, adj_x), codegen


@intrinsic
def adj_alias(typingctx, x, adj_x):
    """The adjoint of a copy of ``x``: shared gradient arrays, or a zero value.

    (An intrinsic: without NRT a function may only return an array it was passed.)
    """
    if _holds_arrays(x):
        def codegen(context, builder, sig, args):
            return impl_ret_borrowed(context, builder, sig.return_type, args[1])

        return adj_x(x, adj_x), codegen
    t = _zero_type(x)

    def codegen_zero(context, builder, sig, args):
        return context.get_constant_null(sig.return_type)

    return t(x, adj_x), codegen_zero


def has_grad(adj_arr):
    """True when a gradient array is present (not the empty stand-in)."""


@overload(has_grad, target="generic")
def _ol_has_grad(adj_arr):
    def impl(adj_arr):
        return adj_arr.size != 0

    return impl


# ---------------------------------------------------------------------------------------
# Components and fields
# ---------------------------------------------------------------------------------------

def _ix(n: int) -> str:
    """Source of the indices unpacked from the tuple ``idx``."""
    return ", ".join(f"idx[{k}]" for k in range(n))


_GEN_CACHE: dict = {}


def _gen(key, src: str):
    """Compile a helper implementation from one of the fixed templates below."""
    fn = _GEN_CACHE.get(key)
    if fn is None:
        scope = {"accum": accum, "store": store, "setattr_value": setattr_value,
                 "atomic_add": atomic_add, "adj_zero": adj_zero, "has_grad": has_grad,
                 "_alias": _alias, "_zero_like_elem": _zero_like_elem, "neg": neg,
                 "_tuple_accum_at": _tuple_accum_at}
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


def _n_index(idx) -> int:
    return len(idx) if isinstance(idx, types.BaseTuple) else 1


def adj_getitem(base, adj_base, idx, adj_t):
    """Reverse of ``t = base[idx...]`` (``idx`` is a tuple of indices)."""


@overload(adj_getitem, target="generic", prefer_literal=True)
def _ol_getitem(base, adj_base, idx, adj_t):
    n = _n_index(idx)
    ix = _ix(n)
    if isinstance(base, types.Array):
        if not _is_float_array(base):
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
                                 "    return _tuple_accum_at(adj_base, idx[0], adj_t)\n")
    return _gen(("gi_noop",), "def f(base, adj_base, idx, adj_t):\n    return adj_base\n")


def owned_load(arr, adj_arr, idx):
    """This thread's gradient element (zero when absent or out of bounds)."""


def _in_bounds_source(n):
    return " and ".join(f"0 <= idx[{k}] < adj_arr.shape[{k}]" for k in range(n))


@overload(owned_load, target="generic")
def _ol_owned_load(arr, adj_arr, idx):
    n = _n_index(idx)
    if not _is_float_array(arr):
        return _gen(("ol_noop",), "def f(arr, adj_arr, idx):\n"
                                  "    return _zero_like_elem(arr)\n")
    return _gen(("ol", n), f"def f(arr, adj_arr, idx):\n"
                           f"    if {_in_bounds_source(n)}:\n"
                           f"        return adj_arr[{_ix(n)}]\n"
                           f"    return _zero_like_elem(arr)\n")


def owned_store(adj_arr, idx, d, z):
    """Apply this thread's changes to its gradient element (when present, in bounds)."""


@overload(owned_store, target="generic")
def _ol_owned_store(adj_arr, idx, d, z):
    n = _n_index(idx)
    if not _is_float_array(adj_arr):
        return _gen(("os_noop",), "def f(adj_arr, idx, d, z):\n    return None\n")
    ix = _ix(n)
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
    n = _n_index(idx)
    ix = _ix(n)
    if isinstance(base, types.Array) and _is_float_array(base):
        return _gen(("gi_own", n), f"def f(base, adj_base, idx, adj_t):\n"
                                   f"    if has_grad(adj_base):\n"
                                   f"        adj_base[{ix}] = accum(adj_base[{ix}], adj_t)\n"
                                   f"    return adj_base\n")
    return _ol_getitem(base, adj_base, idx, adj_t)


@intrinsic(prefer_literal=True)
def _tuple_accum_at(typingctx, tup, k, v):
    if not isinstance(k, types.IntegerLiteral):
        raise TypingError("tuples can only be indexed by constants")
    pos = k.literal_value

    def codegen(context, builder, sig, args):
        et = tup.types[pos]
        cur = builder.extract_value(args[0], pos)
        new = _combine(context, builder, et, cur, v, args[2], _fadd)
        return builder.insert_value(args[0], new, pos)

    return tup(tup, k, v), codegen


def adj_getattr(base, adj_base, name, adj_t):
    """Reverse of ``t = base.name``."""


@overload(adj_getattr, target="generic", prefer_literal=True)
def _ol_getattr(base, adj_base, name, adj_t):
    if not isinstance(name, types.StringLiteral):
        return None
    attr = name.literal_value
    differentiable = False
    if isinstance(base, StructType):
        ft = dict(base.members).get(attr)
        differentiable = ft is not None and not _holds_arrays(ft)
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
    rt = _zero_type(t)
    if _holds_arrays(t) and isinstance(adj_base, StructType):
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
def _zero_like_elem(typingctx, arr):
    def codegen(context, builder, sig, args):
        return context.get_constant_null(sig.return_type)

    return arr.dtype(arr), codegen


def adj_store(arr, adj_arr, idx, retain):
    """Reverse of ``arr[idx] = v``: the adjoint of ``v``.

    That is the gradient of the written element, which is then zeroed (consumed) unless
    the array was made with ``retain_grad=True``, so that only the last write of an
    element receives its gradient (Warp's rule).
    """


@overload(adj_store, target="generic")
def _ol_store(arr, adj_arr, idx, retain):
    n = _n_index(idx)
    ix = _ix(n)
    if not _is_float_array(arr):
        return _gen(("st_noop",), "def f(arr, adj_arr, idx, retain):\n"
                                  "    return _zero_like_elem(arr)\n")
    return _gen(("st", n), f"def f(arr, adj_arr, idx, retain):\n"
                           f"    if not has_grad(adj_arr):\n"
                           f"        return _zero_like_elem(arr)\n"
                           f"    g = adj_arr[{ix}]\n"
                           f"    if not retain:\n"
                           f"        adj_arr[{ix}] = _zero_like_elem(arr)\n"
                           f"    return g\n")


def adj_atomic_add(arr, adj_arr, idx):
    """Adjoint of the value added by ``atomic_add(arr, idx..., v)``: ``adj_arr[idx]``."""


@overload(adj_atomic_add, target="generic")
def _ol_atomic_add(arr, adj_arr, idx):
    n = _n_index(idx)
    if not _is_float_array(arr):
        return _gen(("aa_noop",), "def f(arr, adj_arr, idx):\n"
                                  "    return _zero_like_elem(arr)\n")
    return _gen(("aa", n), f"def f(arr, adj_arr, idx):\n"
                           f"    if not has_grad(adj_arr):\n"
                           f"        return _zero_like_elem(arr)\n"
                           f"    return adj_arr[{_ix(n)}]\n")


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
    n = _n_index(idx)
    ix = _ix(n)
    if not _is_float_array(arr):
        return _gen(("am_noop",), "def f(arr, adj_arr, idx, v):\n"
                                  "    return _zero_like_elem(arr)\n")
    return _gen(("am", n), f"def f(arr, adj_arr, idx, v):\n"
                           f"    if has_grad(adj_arr) and arr[{ix}] == v:\n"
                           f"        return adj_arr[{ix}]\n"
                           f"    return _zero_like_elem(arr)\n")


def atomic_replay(arr, idx):
    """What an atomic returns when the backward pass replays it: a zero (it is not re-run)."""


@overload(atomic_replay, target="generic")
def _ol_atomic_replay(arr, idx):
    return _gen(("ar",), "def f(arr, idx):\n    return _zero_like_elem(arr)\n")


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
