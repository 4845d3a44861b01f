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

__all__ = ["c_div", "c_rem", "c_fmod", "assume_nonneg", "range_arg", "emit_int_divmod"]


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

    def codegen(context, builder, sig, args):
        x = context.cast(builder, args[0], sig.args[0], rt)
        y = context.cast(builder, args[1], sig.args[1], rt)
        return builder.frem(x, y)

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


@intrinsic
def range_arg(typingctx, x):
    """An argument of ``range()`` in a kernel: ``x``, which must be an integer.

    Numba would convert a float to an integer here without a word (``range(2.5)`` would
    run twice); Warp, like Python, rejects it.
    """
    if isinstance(x, types.Boolean) or not isinstance(x, types.Integer):
        from numba.core.errors import TypingError

        raise TypingError(f"range() arguments must be integers, got {x}; convert with "
                          "int(...) if truncation is meant")

    def codegen(context, builder, sig, args):
        return args[0]

    return x(x), codegen


from ..autodiff.rules import nondifferentiable  # noqa: E402

nondifferentiable(range_arg)
