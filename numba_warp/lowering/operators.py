"""Warp's "Operators" and "Utility" builtins that are not atomics or scalar math.

Function forms of the operators (``wp.add(a, b)`` is ``a + b``, ``wp.bit_and``,
``wp.lshift``, ``wp.invert``, ``wp.unot``, ...), ``wp.where`` (and the older
``wp.select``), ``wp.cast``, ``wp.len``, ``wp.print``/``wp.printf``, ``wp.expect_near``,
``wp.block_dim`` and ``wp.breakpoint``. Each is a Python function (its Python-scope
meaning) with the Numba implementation right below it.
"""

from __future__ import annotations

import builtins
import operator

from llvmlite import ir
from numba.core import cgutils, types
from numba.core.errors import TypingError
from numba.core.imputils import lower_builtin
from numba.core.typing.templates import AbstractTemplate, infer_global, signature

from ..typing.mat import MatType
from ..typing.vec import VecType
from .adjoint_values import adj_zero
from .atomics import is_cuda_context
from .builtin import adjoint, implements, nondifferentiable
from .intops import integer_operator

__all__ = ["add", "sub", "mul", "neg", "pos", "bit_and", "bit_or", "bit_xor", "lshift",
           "rshift", "invert", "unot", "div_approx", "where", "select", "cast", "len",
           "print", "printf", "expect_near", "block_dim", "breakpoint"]


def _operator(name, op, doc, kind, symbol):
    """``wp.<name>``: the operator ``op`` as a function, with Warp's fixed-width integer
    rules (see ``intops.integer_operator``); the code generator writes kernels'
    operators as calls of these."""
    if kind in ("neg", "invert"):
        def fn(a):
            return op(a)
    else:
        def fn(a, b):
            return op(a, b)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    return integer_operator(fn, op, kind, symbol)


add = _operator("add", operator.add, "a + b.", "add", "+")
sub = _operator("sub", operator.sub, "a - b.", "sub", "-")
mul = _operator("mul", operator.mul, "a * b (matrix product for matrices).", "mul", "*")
bit_and = _operator("bit_and", operator.and_, "Bitwise a & b.", "and", "&")
bit_or = _operator("bit_or", operator.or_, "Bitwise a | b.", "or", "|")
bit_xor = _operator("bit_xor", operator.xor, "Bitwise a ^ b.", "xor", "^")
lshift = _operator("lshift", operator.lshift, "a << b.", "lshift", "<<")
rshift = _operator("rshift", operator.rshift, "a >> b.", "rshift", ">>")
neg = _operator("neg", operator.neg, "-a.", "neg", "-")
invert = _operator("invert", operator.invert, "Bitwise ~a.", "invert", "~")


def pos(a):
    """+a."""
    return +a


@implements(pos)
def _ol_pos(a):
    return lambda a: +a


def unot(a):
    """Logical not: True when ``a`` is zero/False (works on ints, floats, bools, arrays)."""
    return not a


@implements(unot)
def _ol_unot(a):
    if isinstance(a, types.Array):
        return lambda a: a.size == 0
    return lambda a: not a


def div_approx(a, b):
    """a / b, allowed to use a faster, less exact division on GPUs."""
    return a / b


@implements(div_approx)
def _ol_div_approx(a, b):
    return lambda a, b: a / b


def where(cond, value_if_true, value_if_false):
    """``value_if_true`` if ``cond`` else ``value_if_false`` (both are evaluated)."""
    return value_if_true if cond else value_if_false


@implements(where)
def _ol_where(cond, a, b):
    if a == b or (isinstance(a, types.Number) and isinstance(b, types.Number)):
        return lambda cond, a, b: a if cond else b
    raise TypingError(f"wp.where() needs both values of one type, got {a} and {b}")


def select(cond, value_if_false, value_if_true):
    """Deprecated in Warp (use :func:`where`): ``value_if_true`` if ``cond``, note the order."""
    return value_if_true if cond else value_if_false


@implements(select)
def _ol_select(cond, a, b):
    return lambda cond, a, b: b if cond else a


def cast(a, dtype):
    """``a`` converted to ``dtype`` (scalars, and vectors/matrices component-wise)."""
    return dtype(a)


@implements(cast)
def _ol_cast(a, dtype):
    return lambda a, dtype: dtype(a)


_builtin_len = builtins.len
_builtin_print = builtins.print


def len(a):  # noqa: A001 - Warp's name
    """Number of components of a vector, rows of a matrix, or the first dimension of an array."""
    return _builtin_len(a)


@infer_global(len)
class _LenTemplate(AbstractTemplate):
    def generic(self, args, kws):
        if _builtin_len(args) != 1 or kws:
            return None
        return signature(types.int32, *args)


@lower_builtin(len, types.Any)
def _lower_len(context, builder, sig, args):
    t = sig.args[0]
    if isinstance(t, types.Array):
        ary = context.make_array(t)(context, builder, args[0])
        n = cgutils.unpack_tuple(builder, ary.shape)[0]
        return builder.trunc(n, ir.IntType(32))
    shape = getattr(t, "shape", None)
    n = shape[0] if shape is not None else getattr(t, "length", None)
    if n is None:
        raise TypingError(f"wp.len() takes a vector, matrix or array, got {t}")
    return context.get_constant(types.int32, n)


@infer_global(_builtin_len)
class _PythonLenOfValues(AbstractTemplate):
    """Python's len() on vectors and matrices in kernels (as in Warp)."""

    def generic(self, args, kws):
        if _builtin_len(args) == 1 and not kws and (
                hasattr(args[0], "shape") and not isinstance(args[0], types.Array)
                or hasattr(args[0], "length")):
            return signature(types.int32, *args)
        return None


def _register_len_of_values():
    lower_builtin(_builtin_len, VecType)(_lower_len)
    lower_builtin(_builtin_len, MatType)(_lower_len)


_register_len_of_values()


def print(*args):  # noqa: A001 - Warp's name
    """Print one value on its own line, as Warp's ``print`` does (works in kernels on the
    CPU and the GPU): numbers with ``%g``/``%d``, booleans as True/False, vectors and
    matrices component by component."""
    _builtin_print(*args)


_PRINTS: dict = {}


@implements(print, prefer_literal=True)
def _ol_print(*args):
    if builtins.len(args) != 1:
        raise TypingError(f"print() in kernels takes one value, as in Warp; got "
                          f"{builtins.len(args)}. Use wp.printf(\"%f %d\\n\", x, i) to print "
                          "several values on a line")
    key = str(args[0])
    impl = _PRINTS.get(key)
    if impl is None:
        lines = _print_lines(args[0])
        scope = {"printf": printf, "F32": types.float32}
        exec("def impl(*args):\n    v = args[0]\n" +  # noqa: S102 - our own text
             "".join(f"    {line}\n" for line in lines), scope)
        impl = _PRINTS[key] = scope["impl"]
    return impl


def _print_lines(t) -> list:
    """The statements printing ``v`` of type ``t`` in Warp's format."""
    if isinstance(t, types.Boolean):
        return ["if v:", "    printf('True\\n')", "else:", "    printf('False\\n')"]
    if isinstance(t, types.StringLiteral):
        return [f"printf({(t.literal_value.replace('%', '%%') + chr(10))!r})"]
    if isinstance(t, types.Float):
        return ["printf('%g\\n', v)"]
    if isinstance(t, types.Integer):
        size = "ll" if t.bitwidth == 64 else ""
        return [f"printf('%{size}{'d' if t.signed else 'u'}\\n', v)"]
    if isinstance(t, VecType):
        items = [f"F32(v[{k}])" for k in range(t.length)]
        if t.kind == "quaternion":
            fmt = "%g %g %g %g\n"
        elif t.kind == "transformation":
            fmt = "(%g %g %g) (%g %g %g %g)\n"
        else:
            fmt = "%g " * t.length + "\n"
        return [f"printf({fmt!r}, {', '.join(items)})"]
    if isinstance(t, MatType):
        rows, cols = t.shape
        items = [f"F32(v[{i}, {j}])" for i in range(rows) for j in range(cols)]
        return [f"printf({('%g ' * cols + chr(10)) * rows!r}, {', '.join(items)})"]
    return ["printf('<type without print implementation>\\n')"]


def printf(fmt, *args):
    """C-style formatted printing: ``wp.printf("%d: %f\\n", i, x)``; string constants
    print with ``%s``."""
    _builtin_print(fmt % args, end="")


@infer_global(printf)
class _PrintfTemplate(AbstractTemplate):
    def generic(self, args, kws):
        if kws or not args or not isinstance(args[0], types.StringLiteral):
            raise TypingError("wp.printf() needs a constant format string first")
        for a in args[1:]:
            if not isinstance(a, (types.Number, types.Boolean, types.StringLiteral)):
                raise TypingError(f"wp.printf() prints numbers and string constants, got {a}")
        return signature(types.none, *args)

    prefer_literal = True


@lower_builtin(printf, types.StringLiteral, types.VarArg(types.Any))
@lower_builtin(printf, types.StringLiteral)
def _lower_printf(context, builder, sig, args):
    fmt = sig.args[0].literal_value
    cuda = is_cuda_context(context)
    vals = []
    for t, v in zip(sig.args[1:], args[1:]):  # C variadic promotion
        if isinstance(t, types.StringLiteral):
            vals.append(context.insert_string_const_addrspace(builder, t.literal_value) if cuda
                        else context.insert_const_string(builder.module, t.literal_value))
        elif isinstance(t, types.Float):
            vals.append(context.cast(builder, v, t, types.float64))
        elif isinstance(t, types.Boolean) or (isinstance(t, types.Integer) and t.bitwidth < 32):
            vals.append(context.cast(builder, v, t, types.int32))
        else:
            vals.append(v)
    if cuda:
        _cuda_vprintf(context, builder, fmt, vals)
    else:
        cgutils.printf(builder, fmt, *vals)
    return context.get_dummy_value()


def _cuda_vprintf(context, builder, fmt, vals):
    from numba.cuda import nvvmutils

    fmt_ptr = context.insert_string_const_addrspace(builder, fmt)
    if vals:
        struct = ir.LiteralStructType([v.type for v in vals])
        buf = cgutils.alloca_once(builder, struct)
        for i, v in enumerate(vals):
            builder.store(v, cgutils.gep_inbounds(builder, buf, 0, i))
        buf = builder.bitcast(buf, ir.IntType(8).as_pointer())
    else:
        buf = ir.Constant(ir.IntType(8).as_pointer(), None)
    builder.call(nvvmutils.declare_vprint(builder.module), (fmt_ptr, buf))


def expect_near(a, b, tolerance=1e-6):
    """Print a message when ``a`` and ``b`` differ by more than ``tolerance``."""
    if builtins.abs(a - b) > tolerance:
        _builtin_print(f"expect_near failed: {a} vs {b} (tolerance {tolerance})")


@implements(expect_near)
def _ol_expect_near(a, b, tolerance=1e-6):
    if isinstance(a, types.Number) and isinstance(b, types.Number):
        def impl(a, b, tolerance=1e-6):
            d = a - b
            if (d if d >= 0 else -d) > tolerance:
                printf("expect_near failed: %f vs %f\n", a, b)

        return impl


def block_dim():
    """Threads per block of the current launch (1 on the CPU)."""
    return 1


@infer_global(block_dim)
class _BlockDimTemplate(AbstractTemplate):
    def generic(self, args, kws):
        return signature(types.int32) if not args and not kws else None


@lower_builtin(block_dim)
def _lower_block_dim(context, builder, sig, args):
    if is_cuda_context(context):
        from numba.cuda import nvvmutils

        return nvvmutils.call_sreg(builder, "ntid.x")
    return context.get_constant(types.int32, 1)


def breakpoint():  # noqa: A001 - Warp's name
    """A debugger breakpoint in Warp's CUDA debug builds; a no-op here."""


@implements(breakpoint)
def _ol_breakpoint():
    return lambda: None


# -- adjoints ---------------------------------------------------------------------------
# The rules of the operator forms (add, sub, mul, neg, pos, div_approx) are the operators'
# rules, in operator_rules. The condition of where/select has no gradient.


@adjoint(where)
def adj_where(cond, a, b, ret, adj_ret):
    z = adj_zero(adj_ret)
    if cond:
        return adj_zero(cond), adj_ret, z
    return adj_zero(cond), z, adj_ret


@adjoint(select)
def adj_select(cond, a, b, ret, adj_ret):
    z = adj_zero(adj_ret)
    if cond:
        return adj_zero(cond), z, adj_ret
    return adj_zero(cond), adj_ret, z


@adjoint(cast)
def adj_cast(a, dtype, ret, adj_ret):
    # the adjoint is converted back to a's type when accumulated (none for integer results)
    return adj_ret, None


nondifferentiable(block_dim, bit_and, bit_or, bit_xor, lshift, rshift, invert, unot, len)
