"""Adjoint values: zero, accumulate, negate, scale, alias, for any value type.

The adjoint compiler works on the AST, before Numba knows any types, so what it emits
for adjoint arithmetic is a call of one of these, and the types decide what happens:

* ``adj_zero(x)`` -> a zero of ``x``'s type (scalars, vectors, matrices, structs, tuples).
* ``accum(adj, c)`` -> ``adj + c`` component by component, ``c`` cast to ``adj``'s type.
  Integers and booleans have no gradient: ``accum`` returns ``adj`` unchanged. Arrays
  carry their gradient in a ``.grad`` array, which is updated in place, so ``accum``
  on an array is also the identity.
* ``neg(x)``, ``scale(x, s)`` -> ``-x`` and ``x * s`` on every float component.
* ``adj_alias(x, adj_x)`` -> the adjoint of a copy of ``x``: for arrays (and structs
  holding arrays) the same gradient arrays, otherwise a zero.
* ``tuple_accum_at(tup, k, v)`` -> ``tup`` with ``v`` accumulated into entry ``k``.

Builtins' adjoint rules use these too; ``adjoint_helpers`` builds the array and loop
helpers on them. Imports only ``typing/`` and ``half`` (float16 is held as its bits).
"""

from __future__ import annotations

from llvmlite import ir
from numba.core import types
from numba.core.errors import TypingError
from numba.core.imputils import impl_ret_borrowed
from numba.extending import intrinsic, overload

from ..typing.mat import MatType
from ..typing.structs import StructType
from ..typing.vec import VecType
from .half import float_to_half, half_to_float

__all__ = [
    "accum",
    "adj_alias",
    "adj_zero",
    "has_grad",
    "holds_arrays",
    "is_float_array",
    "neg",
    "scale",
    "tuple_accum_at",
    "zero_type",
]


# ---------------------------------------------------------------------------------------
# Structure of values: what is differentiable, and component-wise combination
# ---------------------------------------------------------------------------------------

def is_float_array(t) -> bool:
    """An array whose elements carry a gradient: floats, float vectors and matrices, and
    structs with such fields (their gradient arrays are arrays of the same struct)."""
    return isinstance(t, types.Array) and _has_float_leaves(t.dtype)


def _has_float_leaves(dt) -> bool:
    if isinstance(dt, (VecType, MatType)):
        dt = dt.dtype
    if isinstance(dt, StructType):
        return any(_has_float_leaves(ft) for _, ft in dt.members)
    return isinstance(dt, types.Float)


def holds_arrays(t) -> bool:
    if isinstance(t, types.Array):
        return True
    if isinstance(t, StructType):
        return any(holds_arrays(ft) for _, ft in t.members)
    if isinstance(t, types.BaseTuple):
        return any(holds_arrays(et) for et in t.types)
    return False


def value_parts(t):
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
    pa, pc = value_parts(a), value_parts(c)
    if pa is None or pc is None or len(pa) != len(pc):
        return False
    return all(_compatible(x, y) for x, y in zip(pa, pc))


def _combine(context, builder, aty, a, cty, c, leaf):
    """Apply ``leaf(builder, float_type, a, c_cast)`` to every float component."""
    if isinstance(aty, types.Float):
        cv = context.cast(builder, c, cty, aty)
        return leaf(builder, aty, a, cv)
    parts = value_parts(aty)
    if parts is None:
        return a  # integers, booleans, arrays, None: no gradient value
    cparts = value_parts(cty)
    out = a
    for k, (pt, ct) in enumerate(zip(parts, cparts)):
        av = builder.extract_value(a, k)
        cv = builder.extract_value(c, k)
        out = builder.insert_value(out, _combine(context, builder, pt, av, ct, cv, leaf), k)
    return out


def _map(context, builder, ty, a, leaf):
    if isinstance(ty, types.Float):
        return leaf(builder, ty, a)
    parts = value_parts(ty)
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

def zero_type(x):
    if isinstance(x, types.Literal):
        x = types.unliteral(x)
    return x


@intrinsic
def adj_zero(typingctx, x):
    """A zero adjoint of ``x``'s type."""
    t = zero_type(x)
    if holds_arrays(t) and any(
            is_float_array(a) for a in _array_leaves(t)):
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
    for p in value_parts(t) or ():
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
    t = zero_type(x)

    def codegen(context, builder, sig, args):
        if isinstance(t, (types.Integer, types.Boolean)):
            return context.cast(builder, args[0], x, t)
        return _map(context, builder, t, context.cast(builder, args[0], x, t), _fneg)

    return t(x), codegen


@intrinsic
def scale(typingctx, x, s):
    """Every float component of ``x`` times the scalar ``s``."""
    t = zero_type(x)

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
def adj_alias(typingctx, x, adj_x):
    """The adjoint of a copy of ``x``: shared gradient arrays, or a zero value.

    (An intrinsic: without NRT a function may only return an array it was passed.)
    """
    if holds_arrays(x):
        def codegen(context, builder, sig, args):
            return impl_ret_borrowed(context, builder, sig.return_type, args[1])

        return adj_x(x, adj_x), codegen
    t = zero_type(x)

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


@intrinsic(prefer_literal=True)
def tuple_accum_at(typingctx, tup, k, v):
    """``tup`` with ``v`` accumulated into its entry ``k`` (a constant)."""
    if not isinstance(k, types.IntegerLiteral):
        raise TypingError("tuples can only be indexed by constants")
    pos = k.literal_value

    def codegen(context, builder, sig, args):
        et = tup.types[pos]
        cur = builder.extract_value(args[0], pos)
        new = _combine(context, builder, et, cur, v, args[2], _fadd)
        return builder.insert_value(args[0], new, pos)

    return tup(tup, k, v), codegen
