"""Operators on vectors, quaternions and matrices, for kernels and plain Numba code.

``+ - * / @``, unary ``-``/``+`` and ``== !=`` with Warp's meaning:

* vector (+|-) vector of the same type; vector * scalar, scalar * vector, vector / scalar,
  scalar / vector (component-wise);
* matrix (+|-) matrix; matrix * scalar; scalar / matrix (component-wise); matrix * vector
  and vector * matrix; matrix * matrix (``*`` and ``@`` are both the matrix product);
* quaternion * quaternion is the Hamilton product;
* ``& | ^ << >>`` and ``~`` on integer vectors and matrices of one type, component-wise,
  each component as the scalar operator computes it.

The in-place forms (``s += v``, ``m @= n``, ``k &= j``, ...) compute the same values (the
values are immutable: ``s += v`` is ``s = s + v``), in kernels and in plain Numba code.

Every operator is one typing rule plus one lowering that works component by component
(inlined, no calls), the same for the CPU and CUDA. Mismatched shapes are typing errors
that name the operation and both types.
"""

from __future__ import annotations

import operator

from llvmlite import ir
from numba.core import types
from numba.core.errors import TypingError
from numba.core.imputils import lower_builtin
from numba.core.typing.templates import AbstractTemplate, infer_global, signature
from numba.extending import overload

from ..typing.mat import MatType, componentwise, flat_get, flat_set, matrix_class
from ..typing.vec import VecType, pack, same_structure, unpack, vector_class
from .atomics import emit_atomic, register_elementwise_atomic
from .half import float_to_half, half_to_float
from .intops import emit_int_divmod

__all__ = ["scalar_binop", "scalar_neg"]

_SYMBOL = {operator.add: "+", operator.sub: "-", operator.mul: "*", operator.truediv: "/",
           operator.matmul: "@", operator.eq: "==", operator.ne: "!=", operator.and_: "&",
           operator.or_: "|", operator.xor: "^", operator.lshift: "<<", operator.rshift: ">>"}
_COMPOSITE = (VecType, MatType)


def scalar_binop(builder, op, dtype, a, b):
    """``a op b`` on two LLVM scalars of ``dtype`` (Warp's integer division rules)."""
    if dtype == types.float16:
        # held as bits on every target: computed in float32 and rounded once, as Warp does
        r = scalar_binop(builder, op, types.float32, half_to_float(builder, a),
                         half_to_float(builder, b))
        return float_to_half(builder, r)
    if isinstance(dtype, types.Float):
        fn = {operator.add: builder.fadd, operator.sub: builder.fsub,
              operator.mul: builder.fmul, operator.truediv: builder.fdiv}[op]
        return fn(a, b)
    if op is operator.truediv:
        return emit_int_divmod(builder, "div", a, b, dtype.signed)
    fn = {operator.add: builder.add, operator.sub: builder.sub, operator.mul: builder.mul}[op]
    return fn(a, b)


def scalar_neg(builder, dtype, a):
    if dtype == types.float16:
        return builder.xor(a, ir.Constant(a.type, 0x8000))  # the sign bit
    if isinstance(dtype, types.Float):
        return builder.fsub(ir.Constant(a.type, -0.0), a)  # NVVM rejects LLVM's fneg
    return builder.sub(ir.Constant(a.type, 0), a)


def _mismatch(op, a, b):
    return TypingError(f"cannot compute {a} {_SYMBOL.get(op, op)} {b}: the operand types or "
                     "shapes do not match")


def _is_scalar(t):
    return isinstance(t, (types.Integer, types.Float)) and not isinstance(t, types.Boolean)


def _bool_composite(t) -> bool:
    return isinstance(t, _COMPOSITE) and isinstance(t.dtype, types.Boolean)


def _no_bool_arithmetic(symbol, *operands):
    """Warp has no arithmetic on vectors/matrices of bool; say so (and what to do)."""
    bad = next((t for t in operands if _bool_composite(t)), None)
    if bad is not None:
        n = bad.length if isinstance(bad, VecType) else ""
        raise TypingError(
            f"cannot compute {symbol} on a {bad}: vectors and matrices of bool support "
            "construction, indexing, == and != only (as in Warp); convert first, e.g. "
            f"wp.vector(v, dtype=int) or wp.vec{n}i(v)")


def _result_type(op, a, b):
    """The result type of a binary operator on composite operands, or None."""
    if not (isinstance(a, _COMPOSITE) or isinstance(b, _COMPOSITE)):
        return None
    if op not in (operator.eq, operator.ne):
        _no_bool_arithmetic(_SYMBOL.get(op, op), a, b)
    if op in (operator.add, operator.sub):
        if a == b:
            return a
        if same_structure(a, b):  # spatial_vector and vector(6): one type in Warp
            return a if a.kind.startswith("spatial") else b
        raise _mismatch(op, a, b)
    if op in (operator.eq, operator.ne):
        if a == b or same_structure(a, b):
            return types.boolean
        raise _mismatch(op, a, b)
    if op is operator.truediv:
        if isinstance(a, _COMPOSITE) and _is_scalar(b):
            return a
        if isinstance(b, _COMPOSITE) and _is_scalar(a):
            return b
        raise _mismatch(op, a, b)
    # mul and matmul
    if op is operator.mul and (_is_scalar(a) or _is_scalar(b)):
        return a if isinstance(a, _COMPOSITE) else b
    if isinstance(a, VecType) and isinstance(b, VecType):
        if op is operator.mul and a == b and a.kind == "quaternion":
            return a
        if op is operator.mul and a == b and a.kind == "transformation":
            return None  # transform * transform is transform_multiply (lowering/transform.py)
        raise _mismatch(op, a, b)
    # a spatial matrix or vector in a product keeps the result spatial where the shape
    # allows (Warp's results are plain vector(6)/matrix((6, 6)), the same types there)
    if isinstance(a, MatType) and isinstance(b, VecType):
        if a.shape[1] == b.length and a.dtype == b.dtype:
            return vector_class(a.shape[0], a.dtype, _product_kind(a, b, a.shape[0]))._numba_type
        raise _mismatch(op, a, b)
    if isinstance(a, VecType) and isinstance(b, MatType):
        if b.shape[0] == a.length and a.dtype == b.dtype:
            return vector_class(b.shape[1], b.dtype, _product_kind(a, b, b.shape[1]))._numba_type
        raise _mismatch(op, a, b)
    if isinstance(a, MatType) and isinstance(b, MatType):
        if a.shape[1] == b.shape[0] and a.dtype == b.dtype:
            shape = (a.shape[0], b.shape[1])
            kind = "spatial_matrix" if shape == (6, 6) and "spatial_matrix" in (
                a.kind, b.kind) else "matrix"
            return matrix_class(shape, a.dtype, kind)._numba_type
        raise _mismatch(op, a, b)
    raise _mismatch(op, a, b)


def _product_kind(a, b, length: int) -> str:
    """The kind of a matrix-vector product's result of ``length`` components: a spatial
    vector where either operand is spatial and the result has 6 components."""
    spatial = any(t.kind in ("spatial_vector", "spatial_matrix") for t in (a, b))
    return "spatial_vector" if spatial and length == 6 else "vector"


_INPLACE = {operator.add: operator.iadd, operator.sub: operator.isub,
            operator.mul: operator.imul, operator.truediv: operator.itruediv,
            operator.matmul: operator.imatmul}

for _op in (operator.add, operator.sub, operator.mul, operator.truediv, operator.matmul,
            operator.eq, operator.ne):

    def _register(op=_op):
        def lower(context, builder, sig, args):
            return _lower_binary(op, context, builder, sig, args)

        for key in (op, _INPLACE.get(op)):
            if key is None:
                continue

            class _BinaryTemplate(AbstractTemplate):
                def generic(self, args, kws):
                    if len(args) != 2 or kws:
                        return None
                    rt = _result_type(op, *args)
                    return None if rt is None else signature(rt, *args)

            _BinaryTemplate.key = key
            infer_global(key)(_BinaryTemplate)
            for a in (VecType, MatType, types.Number):
                for b in (VecType, MatType, types.Number):
                    if not (a is types.Number and b is types.Number):
                        lower_builtin(key, a, b)(lower)

    _register()


# ---------------------------------------------------------------------------------------
# Bit operations on integer vectors and matrices
# ---------------------------------------------------------------------------------------


def _int_composite(t) -> bool:
    return isinstance(t, _COMPOSITE) and isinstance(t.dtype, types.Integer)


_BIT_OPS = {operator.and_: operator.iand, operator.or_: operator.ior,
            operator.xor: operator.ixor, operator.lshift: operator.ilshift,
            operator.rshift: operator.irshift}

for _op, _iop in _BIT_OPS.items():

    def _register_bit(op=_op, iop=_iop):
        def typer(a, b):
            if _int_composite(a) and a == b:
                return componentwise(op, len(a))
            if _int_composite(a) or _int_composite(b):
                raise _mismatch(op, a, b)

        overload(op, target="generic")(typer)
        overload(iop, target="generic")(typer)

    _register_bit()


@overload(operator.invert, target="generic")
def _ol_invert(a):
    if _int_composite(a):
        n = len(a)

        def impl(a):
            out = a
            for i in range(n):
                out = flat_set(out, i, ~flat_get(a, i))
            return out

        return impl


def _components(builder, t, v):
    return unpack(builder, v, len(t))


def _lower_binary(op, context, builder, sig, args):
    a_t, b_t = sig.args
    a, b = args
    rt = sig.return_type
    if op in (operator.eq, operator.ne):
        return _lower_compare(context, builder, op, a_t, a, b)
    if _is_scalar(a_t) or _is_scalar(b_t):
        comp_t = b_t if _is_scalar(a_t) else a_t
        s_t = a_t if _is_scalar(a_t) else b_t
        s = context.cast(builder, a if _is_scalar(a_t) else b, s_t, comp_t.dtype)
        comps = _components(builder, comp_t, b if _is_scalar(a_t) else a)
        if _is_scalar(a_t):
            out = [scalar_binop(builder, op, comp_t.dtype, s, c) for c in comps]
        else:
            out = [scalar_binop(builder, op, comp_t.dtype, c, s) for c in comps]
        return pack(context, builder, rt, out)
    if op in (operator.add, operator.sub):
        out = [scalar_binop(builder, op, a_t.dtype, x, y)
               for x, y in zip(_components(builder, a_t, a), _components(builder, b_t, b))]
        return pack(context, builder, rt, out)
    if isinstance(a_t, VecType) and isinstance(b_t, VecType):  # quaternion product
        return _quat_mul(context, builder, a_t, a, b)
    return _lower_product(context, builder, a_t, a, b_t, b, rt)


def _dot(builder, dtype, xs, ys):
    acc = scalar_binop(builder, operator.mul, dtype, xs[0], ys[0])
    for x, y in zip(xs[1:], ys[1:]):
        acc = scalar_binop(builder, operator.add, dtype, acc,
                           scalar_binop(builder, operator.mul, dtype, x, y))
    return acc


def _lower_product(context, builder, a_t, a, b_t, b, rt):
    """Matrix-vector, vector-matrix and matrix-matrix products."""
    dtype = rt.dtype
    if isinstance(a_t, MatType) and isinstance(b_t, VecType):
        r, c = a_t.shape
        m = unpack(builder, a, r * c)
        v = unpack(builder, b, c)
        out = [_dot(builder, dtype, m[i * c:(i + 1) * c], v) for i in range(r)]
    elif isinstance(a_t, VecType) and isinstance(b_t, MatType):
        r, c = b_t.shape
        m = unpack(builder, b, r * c)
        v = unpack(builder, a, r)
        out = [_dot(builder, dtype, v, [m[i * c + j] for i in range(r)]) for j in range(c)]
    else:
        r, k = a_t.shape
        c = b_t.shape[1]
        ma = unpack(builder, a, r * k)
        mb = unpack(builder, b, k * c)
        out = [_dot(builder, dtype, ma[i * k:(i + 1) * k], [mb[t * c + j] for t in range(k)])
               for i in range(r) for j in range(c)]
    return pack(context, builder, rt, out)


def _quat_mul(context, builder, qt, a, b):
    """Hamilton product of quaternions stored (x, y, z, w)."""
    dt = qt.dtype
    x1, y1, z1, w1 = unpack(builder, a, 4)
    x2, y2, z2, w2 = unpack(builder, b, 4)

    def mul(p, q):
        return scalar_binop(builder, operator.mul, dt, p, q)

    def add(p, q):
        return scalar_binop(builder, operator.add, dt, p, q)

    def sub(p, q):
        return scalar_binop(builder, operator.sub, dt, p, q)

    x = add(sub(add(mul(w1, x2), mul(x1, w2)), mul(z1, y2)), mul(y1, z2))
    y = add(sub(add(mul(w1, y2), mul(y1, w2)), mul(x1, z2)), mul(z1, x2))
    z = add(sub(add(mul(w1, z2), mul(z1, w2)), mul(y1, x2)), mul(x1, y2))
    w = sub(sub(sub(mul(w1, w2), mul(x1, x2)), mul(y1, y2)), mul(z1, z2))
    return pack(context, builder, qt, [x, y, z, w])


def _lower_compare(context, builder, op, t, a, b):
    eq = ir.Constant(ir.IntType(1), 1)
    for x, y in zip(_components(builder, t, a), _components(builder, t, b)):
        if t.dtype == types.float16:
            x, y = half_to_float(builder, x), half_to_float(builder, y)
        if isinstance(t.dtype, types.Float):
            same = builder.fcmp_ordered("==", x, y)
        else:
            same = builder.icmp_signed("==", x, y)
        eq = builder.and_(eq, same)
    return eq if op is operator.eq else builder.not_(eq)


class _UnaryTemplate(AbstractTemplate):
    def generic(self, args, kws):
        if len(args) == 1 and not kws and isinstance(args[0], _COMPOSITE):
            _no_bool_arithmetic("unary " + ("-" if self.key is operator.neg else "+"), args[0])
            return signature(args[0], args[0])
        return None


for _op in (operator.neg, operator.pos):
    infer_global(_op)(type(f"_Unary_{_op.__name__}", (_UnaryTemplate,), {"key": _op}))


@lower_builtin(operator.neg, VecType)
@lower_builtin(operator.neg, MatType)
def _lower_neg(context, builder, sig, args):
    t = sig.args[0]
    return pack(context, builder, t, [scalar_neg(builder, t.dtype, c)
                                      for c in _components(builder, t, args[0])])


@lower_builtin(operator.pos, VecType)
@lower_builtin(operator.pos, MatType)
def _lower_pos(context, builder, sig, args):
    return args[0]


# ---------------------------------------------------------------------------------------
# Atomics on arrays of vectors and matrices: component-wise
# ---------------------------------------------------------------------------------------


def _elementwise_atomic(context, builder, op, dtype, ptr, val):
    zero = ir.Constant(ir.IntType(32), 0)
    olds = []
    for i in range(len(dtype)):
        cptr = builder.gep(ptr, [zero, ir.Constant(ir.IntType(32), i)])
        olds.append(emit_atomic(context, builder, op, dtype.dtype, cptr,
                                builder.extract_value(val, i)))
    return pack(context, builder, dtype, olds)


def _register_atomics():
    register_elementwise_atomic(VecType, _elementwise_atomic)
    register_elementwise_atomic(MatType, _elementwise_atomic)


_register_atomics()
