"""Warp's fixed-width integer arithmetic, safe for every input.

Warp's integers are C's: ``uint32 + uint32`` is a ``uint32`` that wraps around, ``int8``
arithmetic stays ``int8``, and so on. Numba's own rules differ (small integers widen to
64 bits: ``uint32 + uint32`` is ``int64``), and changing Numba's rules would change the
meaning of every ``@njit`` program in the process. So Warp's rules are Warp's builtins
(``wp.add``, ``wp.mul``, ``wp.lshift``, ...: :func:`integer_operator` makes them), and the
code generator writes every arithmetic, shift and bitwise operator of a kernel or
``@wp.func`` as a call of those. On integers they follow :func:`int_result`; on anything
else they are the Python operator itself (typed and compiled exactly as the operator).

Division: Python rounds integer division toward -inf; Warp (C) truncates toward zero.
LLVM's ``sdiv``/``srem`` are C's operators but trap (SIGFPE) on division by zero and on
``INT_MIN / -1``, which would kill the interpreter on the CPU; both cases are mapped to 0
(x / 0), and to a wrapping negation (INT_MIN / -1) instead. Shift counts are taken
modulo the type's width (LLVM leaves larger shifts undefined).
"""

from __future__ import annotations

from llvmlite import ir
from numba.core import types
from numba.core.errors import TypingError
from numba.core.imputils import lower_builtin
from numba.core.typing.templates import AbstractTemplate, infer_global, signature
from numba.extending import intrinsic

from ..typing.scalars import WeakFloat
from .atomics import is_cuda_context

__all__ = ["c_div", "c_rem", "c_fmod", "assume_nonneg", "tid_lead", "range_arg", "emit_int_divmod",
           "int_result", "integer_operator"]


def _strong_int(t) -> bool:
    return isinstance(t, types.Integer) and not isinstance(t, types.IntegerLiteral)


def int_result(a, b):
    """Warp's type for an integer operator on Numba types ``a`` and ``b``, or None.

    * two operands of one integer type: that type (wrapping);
    * an integer and a Python int literal (or a bool): the integer's type; the literal
      wraps into it (``wp.int32(2147483647) + 1`` is ``-2147483648``, as in Warp);
    * two integer types (Warp rejects these; C's rule): the wider one, and of two of
      one width the unsigned one;
    * None when an operand is not an integer or bool, or both are literals (constant
      arithmetic keeps Python's unbounded ints, as Numba does).
    """
    sa, sb = _strong_int(a), _strong_int(b)
    if not (sa or sb):
        return None
    if not all(isinstance(t, (types.Integer, types.Boolean)) for t in (a, b)):
        return None
    if not sb:
        return a
    if not sa:
        return b
    if a == b:
        return a
    if a.bitwidth != b.bitwidth:
        return a if a.bitwidth > b.bitwidth else b
    return a if not a.signed else b


def _shift_result(a, b):
    """Shifts keep the type of the value shifted (C's rule, without promotion)."""
    if _strong_int(a) and isinstance(b, (types.Integer, types.Boolean)):
        return a
    return int_result(a, b)


def _unary_result(a):
    return a if _strong_int(a) else None


def _floor_divmod(builder, x, y, signed: bool):
    q = emit_int_divmod(builder, "div", x, y, signed)
    if not signed:
        return q
    # truncated quotient -> floor: one less when the remainder's sign differs from y's
    r = builder.sub(x, builder.mul(q, y))
    zero = ir.Constant(x.type, 0)
    fix = builder.and_(builder.icmp_signed("!=", r, zero),  # (y == 0 leaves r = x != 0)
                       builder.xor(builder.icmp_signed("<", r, zero),
                                   builder.icmp_signed("<", y, zero)))
    fix = builder.and_(fix, builder.icmp_signed("!=", y, zero))
    return builder.select(fix, builder.sub(q, ir.Constant(x.type, 1)), q)


def _shift(kind):
    def emit(builder, x, y, signed):
        count = builder.and_(y, ir.Constant(y.type, x.type.width - 1))
        if kind == "shl":
            return builder.shl(x, count)
        return builder.ashr(x, count) if signed else builder.lshr(x, count)

    return emit


def _cuda_neg16(builder, x):
    """``-x`` for a 16-bit integer on CUDA. ptxas (CUDA 13, sm_90) miscompiles
    ``neg.s16`` followed by a sign extension: -(-32768) comes out as +32768 in the wider
    register. ``~x + 1`` is the same value and compiles correctly, as long as LLVM cannot
    fold it back into a negation: the 1 goes through an (empty) inline-assembly move."""
    fnty = ir.FunctionType(x.type, [x.type])
    one = builder.call(ir.InlineAsm(fnty, "mov.b16 $0, $1;", "=h,h"), [ir.Constant(x.type, 1)])
    return builder.add(builder.not_(x), one)


_EMIT = {
    "add": lambda b, x, y, s: b.add(x, y),
    "sub": lambda b, x, y, s: b.sub(x, y),
    "mul": lambda b, x, y, s: b.mul(x, y),
    "and": lambda b, x, y, s: b.and_(x, y),
    "or": lambda b, x, y, s: b.or_(x, y),
    "xor": lambda b, x, y, s: b.xor(x, y),
    "floordiv": _floor_divmod,
    "lshift": _shift("shl"),
    "rshift": _shift("shr"),
    "neg": lambda b, x, s: b.neg(x),
    "invert": lambda b, x, s: b.not_(x),
}


def integer_operator(fn, op, kind: str, symbol: str):
    """Give the Python function ``fn`` (a builtin such as ``wp.add``) Warp's integer rules
    in compiled code: integers by :func:`int_result` (wrapping), anything else exactly as
    the operator ``op`` (``operator.add``...). Typed by a template and lowered in place,
    so no function is compiled per call site."""
    unary = kind in ("neg", "invert")
    rule = _unary_result if unary else (_shift_result if kind in ("lshift", "rshift")
                                        else int_result)
    emit = _EMIT[kind]

    class _Template(AbstractTemplate):
        key = fn
        prefer_literal = True

        def generic(self, args, kws):
            if kws or len(args) != (1 if unary else 2):
                return None
            rt = rule(*args)
            if rt is not None:
                return signature(rt, *map(types.unliteral, args))
            fnty = self.context.resolve_value_type(op)
            try:
                sig = self.context.resolve_function_type(fnty, args, {})
            except TypingError:
                sig = None
            if sig is None:
                what = " and ".join(str(types.unliteral(a)) for a in args)
                raise TypingError(f"unsupported operand type(s) for {symbol}: {what}")
            return signature(sig.return_type, *sig.args)

    infer_global(fn, types.Function(_Template))

    def lower(context, builder, sig, args):
        # integer operands and an integer result: the integer rule typed it (or, for
        # literals and bools, Numba's rule made the same choice of a 64-bit type)
        rt = sig.return_type
        if isinstance(rt, types.Integer) and \
                all(isinstance(t, (types.Integer, types.Boolean)) for t in sig.args):
            vals = [context.cast(builder, v, t, rt) for v, t in zip(args, sig.args)]
            if kind == "neg" and rt.bitwidth == 16 and is_cuda_context(context):
                return _cuda_neg16(builder, vals[0])
            return emit(builder, *vals, rt.signed)
        fnty = context.typing_context.resolve_value_type(op)
        return context.get_function(fnty, sig)(builder, args)

    if unary:
        lower_builtin(fn, types.Any)(lower)
    else:
        lower_builtin(fn, types.Any, types.Any)(lower)
    return fn


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
        rt = int_result(a, b) or types.int64

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


@intrinsic
def tid_lead(typingctx, t, r):
    """``t // r`` for the non-negative thread id ``t`` and ``r >= 1`` (the product of the
    launch dims past those ``wp.tid()`` is unpacked into), with the division behind a
    branch taken only when ``r != 1``.

    Warp's ``wp.tid()`` unpacked into fewer names than the launch has dimensions gives
    the leading coordinates (``i = wp.tid()`` in a ``dim=(2, 3)`` launch is 0, 0, 0, 1,
    1, 1). A launch with no dims past them (the usual case) keeps ``t`` as it is, and
    the branch on the loop-invariant ``r`` leaves the loop free to vectorise.
    """
    if not (isinstance(t, types.Integer) and isinstance(r, types.Integer)):
        return None

    def codegen(context, builder, sig, args):
        tv = context.cast(builder, args[0], sig.args[0], sig.return_type)
        rv = context.cast(builder, args[1], sig.args[1], sig.return_type)
        one = ir.Constant(rv.type, 1)
        with builder.if_else(builder.icmp_unsigned("==", rv, one), likely=True) as (same, div):
            with same:
                block_same = builder.block
            with div:
                quotient = builder.udiv(tv, rv)
                block_div = builder.block
        phi = builder.phi(tv.type)
        phi.add_incoming(tv, block_same)
        phi.add_incoming(quotient, block_div)
        return phi

    return types.int64(t, r), codegen


@intrinsic
def range_arg(typingctx, x):
    """An argument of ``range()`` in a kernel: ``x``, which must be an integer.

    Numba would convert a float to an integer here without a word (``range(2.5)`` would
    run twice); Warp, like Python, rejects it.
    """
    if isinstance(x, types.Boolean) or not isinstance(x, types.Integer):
        raise TypingError(f"range() arguments must be integers, got {x}; convert with "
                          "int(...) if truncation is meant")

    def codegen(context, builder, sig, args):
        return args[0]

    return x(x), codegen

