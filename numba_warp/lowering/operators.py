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

import numpy as np

from llvmlite import ir
from numba.core import cgutils, types
from numba.core.errors import TypingError
from numba.core.imputils import lower_builtin
from numba.core.typing.templates import AbstractTemplate, infer_global, signature
from numba.extending import intrinsic

from ..typing.introspect import dtype_to_numpy
from ..typing.mat import MatType
from ..typing.scalar_values import ScalarValue
from ..typing.scalars import WeakFloat
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


add = _operator("add", operator.add, """a + b.

Example
-------
>>> wp.add(2, 3), wp.add(1.5, 0.25)
(5, 1.75)
>>> wp.add(wp.vec2(1.0, 2.0), wp.vec2(3.0, 4.0))
vec2f(4.0, 6.0)
>>> wp.add(wp.int8(127), wp.int8(1))  # fixed-width integers wrap around
int8(-128)
""", "add", "+")
sub = _operator("sub", operator.sub, """a - b.

Example
-------
>>> wp.sub(5.0, 1.5)
3.5
>>> wp.sub(wp.vec3(1.0, 2.0, 3.0), wp.vec3(1.0, 1.0, 1.0))
vec3f(0.0, 1.0, 2.0)
>>> wp.sub(wp.uint8(0), wp.uint8(1))  # fixed-width integers wrap around
uint8(255)
""", "sub", "-")
mul = _operator("mul", operator.mul, """a * b (matrix product for matrices).

Example
-------
>>> wp.mul(3, 4), wp.mul(2.0, wp.vec2(1.0, 2.5))
(12, vec2f(2.0, 5.0))
>>> wp.mul(wp.mat22(1.0, 2.0, 3.0, 4.0), wp.vec2(1.0, 1.0))  # matrix times vector
vec2f(3.0, 7.0)
>>> wp.mul(wp.mat22(1.0, 2.0, 3.0, 4.0), wp.mat22(0.0, 1.0, 1.0, 0.0))
mat22f([2.0, 1.0], [4.0, 3.0])
""", "mul", "*")
bit_and = _operator("bit_and", operator.and_, """Bitwise a & b.

Example
-------
>>> wp.bit_and(0b1100, 0b1010)  # 0b1000
8
""", "and", "&")
bit_or = _operator("bit_or", operator.or_, """Bitwise a | b.

Example
-------
>>> wp.bit_or(0b1100, 0b1010)  # 0b1110
14
""", "or", "|")
bit_xor = _operator("bit_xor", operator.xor, """Bitwise a ^ b.

Example
-------
>>> wp.bit_xor(0b1100, 0b1010)  # 0b0110
6
""", "xor", "^")
lshift = _operator("lshift", operator.lshift, """a << b.

Example
-------
>>> wp.lshift(1, 4), wp.lshift(3, 2)
(16, 12)
""", "lshift", "<<")
rshift = _operator("rshift", operator.rshift, """a >> b.

Example
-------
>>> wp.rshift(256, 4), wp.rshift(-16, 2)  # arithmetic shift of signed integers
(16, -4)
""", "rshift", ">>")
neg = _operator("neg", operator.neg, """-a.

Example
-------
>>> wp.neg(2.5)
-2.5
>>> wp.neg(wp.vec3(1.0, -2.0, 3.0))
vec3f(-1.0, 2.0, -3.0)
""", "neg", "-")
invert = _operator("invert", operator.invert, """Bitwise ~a.

Example
-------
>>> wp.invert(5), wp.invert(wp.uint8(5))  # ~5 == -6; in 8 bits, 0b11111010
(-6, uint8(250))
""", "invert", "~")


def pos(a):
    """+a.

    Example
    -------
    >>> wp.pos(-2)
    -2
    >>> wp.pos(wp.vec2(1.0, -2.0))
    vec2f(1.0, -2.0)
    """
    return +a


@implements(pos)
def _ol_pos(a):
    return lambda a: +a


def unot(a):
    """Logical not: True when ``a`` is zero/False (works on ints, floats, bools, arrays).

    Example
    -------
    >>> wp.unot(0), wp.unot(2.5), wp.unot(False), wp.unot(True)
    (True, False, True, False)
    """
    return not a


@implements(unot)
def _ol_unot(a):
    if isinstance(a, types.Array):
        return lambda a: a.size == 0
    return lambda a: not a


def div_approx(a, b):
    """a / b, allowed to use a faster, less exact division on GPUs.

    Example
    -------
    >>> round(wp.div_approx(1.0, 3.0), 5), wp.div_approx(6.0, 4.0)
    (0.33333, 1.5)
    """
    return a / b


@implements(div_approx)
def _ol_div_approx(a, b):
    return lambda a, b: a / b


def where(cond, value_if_true, value_if_false):
    """``value_if_true`` if ``cond`` else ``value_if_false`` (both are evaluated).

    Example
    -------
    >>> wp.where(True, 1.0, 2.0), wp.where(0, 1.0, 2.0)
    (1.0, 2.0)
    >>> v = wp.vec2(3.0, 4.0)
    >>> wp.where(wp.length(v) > 1.0, wp.normalize(v), v)
    vec2f(0.6000000238418579, 0.800000011920929)
    """
    return value_if_true if cond else value_if_false


@implements(where)
def _ol_where(cond, a, b):
    if a == b or (isinstance(a, types.Number) and isinstance(b, types.Number)):
        return lambda cond, a, b: a if cond else b
    raise TypingError(f"wp.where() needs both values of one type, got {a} and {b}")


def select(cond, value_if_false, value_if_true):
    """Deprecated in Warp (use :func:`where`): ``value_if_true`` if ``cond``, note the order.

    Example
    -------
    >>> wp.select(True, 1.0, 2.0), wp.select(False, 1.0, 2.0)  # (cond, if false, if true)
    (2.0, 1.0)
    """
    return value_if_true if cond else value_if_false


@implements(select)
def _ol_select(cond, a, b):
    return lambda cond, a, b: b if cond else a


def cast(a, dtype):
    """``a``'s bits read as a ``dtype`` of the same size (Warp's ``wp.cast``: a bit
    reinterpretation, not a value conversion; for a conversion call the type:
    ``wp.float32(i)``). ``a`` is a scalar, or a vector or matrix whose bytes add up to
    ``dtype``'s size; ``dtype`` is a scalar type.

    Example
    -------
    >>> wp.cast(wp.int32(0x40000000), wp.float32)  # the bits of 2.0
    float32(2.0)
    >>> wp.cast(wp.float32(1.0), wp.int32)
    int32(1065353216)
    >>> wp.cast(wp.int32(-1), wp.uint32)
    uint32(4294967295)
    """
    if hasattr(a, "_v"):  # a vector or matrix: its components' bytes
        raw = np.ascontiguousarray(a._v)
    else:  # a scalar; plain Python numbers as Warp's literals (float32, int32)
        src = np.dtype(dtype_to_numpy(type(a))) if isinstance(a, ScalarValue) else \
            np.dtype(np.float32 if isinstance(a, float) else np.int32)
        raw = np.array(getattr(a, "value", a), dtype=src)
    dst = np.dtype(dtype_to_numpy(dtype))
    if raw.nbytes != dst.itemsize:
        raise TypeError(f"wp.cast: {type(a).__name__} has {raw.nbytes} bytes and {dst} "
                        f"{dst.itemsize}: a bit reinterpretation needs the same size")
    return dtype(raw.reshape(-1).view(dst)[0])


@intrinsic
def _bitcast(typingctx, a, dtype):
    if not isinstance(dtype, types.NumberClass):
        raise TypingError(f"wp.cast(a, dtype): dtype must be a scalar type, got {dtype} "
                          "(wp.cast reinterprets bits; to convert a value call the type)")
    target = dtype.instance_type

    def codegen(context, builder, sig, args):
        src_ty = context.get_data_type(sig.args[0])
        dst_ty = context.get_data_type(target)
        if context.get_abi_sizeof(src_ty) != context.get_abi_sizeof(dst_ty):
            raise TypingError(f"wp.cast: {sig.args[0]} and {target} differ in size; "
                              "a bit reinterpretation needs types of the same size")
        slot = cgutils.alloca_once(builder, src_ty)
        builder.store(context.get_value_as_data(builder, sig.args[0], args[0]), slot)
        raw = builder.load(builder.bitcast(slot, dst_ty.as_pointer()))
        return context.get_data_as_value(builder, target, raw)

    return target(a, dtype), codegen


@implements(cast)
def _ol_cast(a, dtype):
    # literals have Warp's types: a float literal is a float32, an int literal an int32
    if isinstance(a, WeakFloat):
        return lambda a, dtype: _bitcast(np.float32(a), dtype)
    if isinstance(a, types.IntegerLiteral):
        return lambda a, dtype: _bitcast(np.int32(a), dtype)
    return lambda a, dtype: _bitcast(a, dtype)


_builtin_len = builtins.len
_builtin_print = builtins.print


def len(a):  # noqa: A001 - Warp's name
    """Number of components of a vector, rows of a matrix, or the first dimension of an array.

    Example
    -------
    >>> wp.len(wp.vec4()), wp.len(wp.mat33()), wp.len(wp.zeros((5, 2)))
    (4, 3, 5)
    >>> @wp.kernel
    ... def count(a: wp.array(dtype=float), out: wp.array(dtype=int)):
    ...     out[0] = wp.len(a) + len(wp.vec3())  # in kernels too (and Python's len)
    >>> out = wp.zeros(1, dtype=int)
    >>> wp.launch(count, dim=1, inputs=[wp.zeros(7, dtype=float), out])
    >>> out.numpy().tolist()
    [10]
    """
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
    matrices component by component.

    Example
    -------
    >>> @wp.kernel
    ... def show(x: float, v: wp.vec3):
    ...     wp.print(x)  # 2.5
    ...     wp.print(v)  # 1 2 3
    >>> wp.launch(show, dim=1, inputs=[2.5, wp.vec3(1.0, 2.0, 3.0)])
    >>> wp.synchronize()  # a kernel prints to the process's standard output, as in Warp
    >>> wp.print(2.5)  # at Python scope it is Python's print
    2.5
    """
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
    print with ``%s``.

    Example
    -------
    >>> @wp.kernel
    ... def show(x: float):
    ...     wp.printf("thread %d: x = %.2f\\n", wp.tid(), x)  # thread 0: x = 0.50
    >>> wp.launch(show, dim=1, inputs=[0.5])
    >>> wp.synchronize()  # a kernel prints to the process's standard output, as in Warp
    >>> wp.printf("%d: %.2f\\n", 3, 0.5)  # at Python scope, Python's % formatting
    3: 0.50
    """
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
    """Print a message when ``a`` and ``b`` differ by more than ``tolerance``.

    Example
    -------
    >>> @wp.kernel
    ... def check(x: float):
    ...     wp.expect_near(wp.sin(x) * wp.sin(x) + wp.cos(x) * wp.cos(x), 1.0, 1.0e-5)
    >>> wp.launch(check, dim=1, inputs=[0.3])  # prints nothing: the values are near
    >>> wp.expect_near(1.0, 1.1, 0.01)  # at Python scope too
    expect_near failed: 1.0 vs 1.1 (tolerance 0.01)
    """
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
    """Threads per block of the current launch (1 on the CPU).

    Example
    -------
    >>> @wp.kernel
    ... def k(out: wp.array(dtype=int)):
    ...     out[wp.tid()] = wp.block_dim()
    >>> out = wp.zeros(64, dtype=int)
    >>> wp.launch(k, dim=64, inputs=[out], block_dim=32)
    >>> int(out.numpy()[0]) in (1, 32)  # 1 on the CPU, 32 on a GPU
    True
    """
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
    """A debugger breakpoint in Warp's CUDA debug builds; a no-op here.

    Example
    -------
    >>> @wp.kernel
    ... def k(out: wp.array(dtype=int)):
    ...     wp.breakpoint()  # stops a debugger here in Warp's CUDA debug builds
    ...     out[0] = 1
    >>> out = wp.zeros(1, dtype=int)
    >>> wp.launch(k, dim=1, inputs=[out])
    >>> out.numpy().tolist()
    [1]
    """


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


# wp.cast reinterprets bits: no gradient flows through it, as in Warp (is_differentiable=False)
nondifferentiable(block_dim, bit_and, bit_or, bit_xor, lshift, rshift, invert, unot, len, cast)
