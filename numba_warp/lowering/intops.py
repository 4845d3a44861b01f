"""Integer division and remainder with C semantics, safe for every input.

Python rounds integer division toward -inf; Warp (C) truncates toward zero. LLVM's
``sdiv``/``srem`` are C's operators but trap (SIGFPE) on division by zero and on
``INT_MIN / -1``, which would kill the interpreter on the CPU; both cases are mapped
to 0 (x / 0), and to a wrapping negation (INT_MIN / -1) instead.
"""

from __future__ import annotations

from llvmlite import ir
from numba.core import types
from numba.extending import intrinsic

__all__ = ["c_div", "c_rem", "c_fmod", "assume_nonneg", "emit_int_divmod"]


def emit_int_divmod(builder, kind: str, x, y, signed: bool):
    """C-style ``x / y`` (kind "div") or ``x % y`` ("rem") that never traps."""
    zero = ir.Constant(x.type, 0)
    one = ir.Constant(x.type, 1)
    is_zero = builder.icmp_unsigned("==", y, zero)
    if signed:
        minus_one = ir.Constant(x.type, -1)
        is_m1 = builder.icmp_signed("==", y, minus_one)
        bad = builder.or_(is_zero, is_m1)
        safe_y = builder.select(bad, one, y)
        if kind == "div":
            q = builder.sdiv(x, safe_y)
            return builder.select(is_zero, zero, builder.select(is_m1, builder.neg(x), q))
        return builder.select(bad, zero, builder.srem(x, safe_y))
    safe_y = builder.select(is_zero, one, y)
    res = builder.udiv(x, safe_y) if kind == "div" else builder.urem(x, safe_y)
    return builder.select(is_zero, zero, res)


def _int_binop(kind):
    @intrinsic
    def fn(typingctx, a, b):
        if not (isinstance(a, types.Integer) and isinstance(b, types.Integer)):
            return None
        rt = typingctx.unify_pairs(a, b)
        if not isinstance(rt, types.Integer):
            rt = types.int64

        def codegen(context, builder, sig, args):
            x = context.cast(builder, args[0], sig.args[0], rt)
            y = context.cast(builder, args[1], sig.args[1], rt)
            return emit_int_divmod(builder, kind, x, y, rt.signed)

        return rt(a, b), codegen

    return fn


c_div = _int_binop("div")
c_rem = _int_binop("rem")


@intrinsic
def c_fmod(typingctx, a, b):
    """C's fmod (LLVM ``frem``) for floats of one type: sign of ``a``, NaN for b == 0."""
    if not (isinstance(a, types.Float) and isinstance(b, types.Float)):
        return None
    from ..typing.scalars import WeakFloat

    rt = a if not isinstance(a, WeakFloat) else (b if not isinstance(b, WeakFloat)
                                                 else types.float32)

    # float16 is held as bits: the remainder of the float32 values is exact, then rounded
    wt = types.float32 if rt == types.float16 else rt

    def codegen(context, builder, sig, args):
        x = context.cast(builder, args[0], sig.args[0], wt)
        y = context.cast(builder, args[1], sig.args[1], wt)
        return context.cast(builder, builder.frem(x, y), wt, rt)

    return rt(a, b), codegen


@intrinsic
def assume_nonneg(typingctx, x):
    """``x``, with a promise to LLVM that it is >= 0 (thread indices are).

    That lets the optimiser drop Python's negative-index wraparound on ``a[i]``, which
    on the CPU is what allows loops over array elements to vectorise.
    """
    if not isinstance(x, types.Integer):
        return None

    def codegen(context, builder, sig, args):
        val = args[0]
        fnty = ir.FunctionType(ir.VoidType(), [ir.IntType(1)])
        assume = builder.module.declare_intrinsic("llvm.assume", fnty=fnty)
        builder.call(assume, [builder.icmp_signed(">=", val, ir.Constant(val.type, 0))])
        return val

    return x(x), codegen
