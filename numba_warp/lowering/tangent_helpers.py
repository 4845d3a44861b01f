"""Type-generic helpers that generated tangent (forward-mode, JVP) code calls.

The tangent compiler (``autodiff/tangent.py``) writes, beside every value ``x`` of a
kernel, its tangent ``tan_x`` (a value of ``x``'s type; for an array, the array of its
tangents, or an empty stand-in when the array has none). Like the backward pass it works
before Numba knows any types, so what depends on types is here:

* ``tan_count(x)``, ``tan_basis(x, k)``, ``tan_set(x, k, v)``, ``tan_dot(c, t)``: the float
  components of any value (scalar, vector, matrix, quaternion, transform, struct, tuple),
  one at a time. With them the tangent of a builtin call is derived from its adjoint
  rule: component ``k`` of the result's tangent is ``<rule(args, ret, e_k), tangents>``,
  where ``e_k`` is the ``k``-th basis value of the result's type. Every builtin with an
  adjoint rule has its tangent this way (a scalar result costs one rule call).
* ``tan_getitem`` / ``tan_getattr``: the tangent of reading an element or a field (an
  array element reads the tangent array; absent tangents read as zero).
* ``tan_store`` / ``tan_write`` / ``tan_atomic``: the tangent side of writing an array
  element, of the code generator's in-place updates and of atomics; nothing happens when
  the array has no tangent.
"""

from __future__ import annotations

from llvmlite import ir
from numba.core import types
from numba.core.errors import TypingError
from numba.core.imputils import impl_ret_borrowed
from numba.extending import intrinsic, overload

from . import kernel_helpers as kh
from . import operator_rules
from . import slots, vector_math
from .operator_rules import adj_div, adj_mul
from .adjoint_helpers import index_source, index_count, zero_element
from .adjoint_values import value_parts, adj_zero, has_grad, zero_type
from .atomics import atomic_add, atomic_exch, atomic_sub
from .half import float_to_half, half_to_float

__all__ = ["tan_count", "tan_basis", "tan_set", "tan_dot", "tan_getitem", "tan_getattr",
           "tan_store", "tan_write", "tan_update", "tan_atomic", "tan_mul", "tan_div",
           "tan_normalize"]


# ---------------------------------------------------------------------------------------
# Float components of a value
# ---------------------------------------------------------------------------------------

def _leaves(t, path=()):
    """[(path, float type)] of every float component of a value type, in order (arrays
    and integers have none)."""
    t = zero_type(t)
    if isinstance(t, types.Float):
        return [(path, t)]
    parts = value_parts(t)
    if parts is None:
        return []
    out = []
    for k, p in enumerate(parts):
        out.extend(_leaves(p, path + (k,)))
    return out


def _get(builder, value, path):
    return builder.extract_value(value, list(path)) if path else value


def _put(builder, agg, value, path):
    return builder.insert_value(agg, value, list(path)) if path else value


def _to_double(context, builder, v, ft):
    if ft == types.float16:  # held as its bits
        return builder.fpext(half_to_float(builder, v), ir.DoubleType())
    return context.cast(builder, v, ft, types.float64)


def _from_double(context, builder, v, ft):
    if ft == types.float16:
        return float_to_half(builder, builder.fptrunc(v, ir.FloatType()))
    return context.cast(builder, v, types.float64, ft)


@intrinsic
def tan_count(typingctx, x):
    """The number of float components of ``x``'s type (a constant)."""
    n = len(_leaves(x))

    def codegen(context, builder, sig, args):
        return context.get_constant(types.intp, n)

    return types.intp(x), codegen


@intrinsic
def tan_basis(typingctx, x, k):
    """A value of ``x``'s type whose float component ``k`` is 1, all others 0."""
    t = zero_type(x)
    leaves = _leaves(t)

    def codegen(context, builder, sig, args):
        out = context.get_constant_null(t)
        kv = args[1]
        for j, (path, ft) in enumerate(leaves):
            hit = builder.icmp_signed("==", kv, ir.Constant(kv.type, j))
            one = _from_double(context, builder, context.get_constant(types.float64, 1.0), ft)
            zero = context.get_constant_null(ft)
            out = _put(builder, out, builder.select(hit, one, zero), path)
        return out

    return t(x, types.intp), codegen


@intrinsic
def tan_set(typingctx, x, k, v):
    """``x`` with its float component ``k`` set to the float64 ``v``."""
    t = zero_type(x)
    leaves = _leaves(t)

    def codegen(context, builder, sig, args):
        out = context.cast(builder, args[0], x, t)
        kv = args[1]
        dv = context.cast(builder, args[2], v, types.float64)
        for j, (path, ft) in enumerate(leaves):
            hit = builder.icmp_signed("==", kv, ir.Constant(kv.type, j))
            new = _from_double(context, builder, dv, ft)
            out = _put(builder, out, builder.select(hit, new, _get(builder, out, path)), path)
        return out

    return t(x, types.intp, types.float64), codegen


def _pairs(ct, tt, path=()):
    """[(path, contribution leaf type, tangent float type)] of the float components of a
    tangent ``tt`` and the matching components of a contribution ``ct`` (a contribution
    of no gradient, None or an integer where a value is, pairs with nothing)."""
    ct, tt = zero_type(ct), zero_type(tt)
    if isinstance(tt, types.Float):
        if isinstance(ct, (types.Float, types.Integer, types.Boolean)):
            return [(path, ct, tt)]
        return []
    if isinstance(ct, types.NoneType):
        return []
    pt, pc = value_parts(tt), value_parts(ct)
    if pt is None:
        return []
    if pc is None or len(pc) != len(pt):
        raise TypingError(f"internal error in a tangent: a contribution of type {ct} does "
                          f"not match a tangent of type {tt}")
    out = []
    for k, (a, b) in enumerate(zip(pc, pt)):
        out.extend(_pairs(a, b, path + (k,)))
    return out


@intrinsic
def tan_dot(typingctx, c, t):
    """The sum over float components of ``c * t`` (float64): an adjoint rule's
    contribution for one argument against that argument's tangent."""
    pairs = _pairs(c, t)

    def codegen(context, builder, sig, args):
        acc = context.get_constant(types.float64, 0.0)
        for path, ct, ft in pairs:
            cv = _get(builder, args[0], path)
            if isinstance(ct, types.Float):
                cv = _to_double(context, builder, cv, ct)
            else:
                cv = context.cast(builder, cv, ct, types.float64)
            tv = _to_double(context, builder, _get(builder, args[1], path), ft)
            acc = builder.fadd(acc, builder.fmul(cv, tv))
        return acc

    return types.float64(c, t), codegen


# ---------------------------------------------------------------------------------------
# Reading and writing elements
# ---------------------------------------------------------------------------------------

_GEN: dict = {}


def _gen(key, src: str):
    fn = _GEN.get(key)
    if fn is None:
        scope = {"has_grad": has_grad, "store": kh.store, "adj_zero": adj_zero,
                 "zero_element": zero_element, "atomic_add": atomic_add,
                 "atomic_sub": atomic_sub, "atomic_exch": atomic_exch}
        scope.update({n: getattr(kh, n) for n in kh.__all__})
        scope.update({n: getattr(slots, n) for n in ("slot_add", "slot_sub")})
        exec(src, scope)  # noqa: S102 - fixed templates
        fn = _GEN[key] = scope["f"]
    return fn


def tan_getitem(base, tan_base, idx):
    """The tangent of ``base[idx...]`` (``idx`` a tuple of indices)."""


@overload(tan_getitem, target="generic", prefer_literal=True)
def _ol_tan_getitem(base, tan_base, idx):
    n = index_count(idx)
    ix = index_source(n)
    if isinstance(base, types.Array):
        if n < base.ndim:  # a view: the same view of the tangents (empty stays empty)
            return _gen(("gi_view", n), f"def f(base, tan_base, idx):\n"
                                        f"    return tan_base[{ix}]\n")
        return _gen(("gi_arr", n), f"def f(base, tan_base, idx):\n"
                                   f"    if has_grad(tan_base):\n"
                                   f"        return tan_base[{ix}]\n"
                                   f"    return zero_element(base)\n")
    if isinstance(base, types.BaseTuple):
        first = idx.types[0] if isinstance(idx, types.BaseTuple) else idx
        if isinstance(first, types.IntegerLiteral):
            k = first.literal_value
            return _gen(("gi_tup", k), f"def f(base, tan_base, idx):\n"
                                       f"    return tan_base[{k}]\n")
    key = ix if n == 1 else f"({ix})"
    return _gen(("gi_val", n), f"def f(base, tan_base, idx):\n"
                               f"    return tan_base[{key}]\n")


@intrinsic(prefer_literal=True)
def tan_getattr(typingctx, base, tan_base, name):
    """The tangent of ``base.name``: the field of the tangent (for a struct field that
    is an array, the tangent array); zero for an array's attributes (shape...)."""
    if not isinstance(name, types.StringLiteral):
        return None
    attr = name.literal_value
    if isinstance(base, types.Array):
        rt = zero_type(typingctx.resolve_getattr(base, attr))

        def codegen_zero(context, builder, sig, args):
            return context.get_constant_null(sig.return_type)

        return rt(base, tan_base, name), codegen_zero
    rt = typingctx.resolve_getattr(tan_base, attr)
    if rt is None:
        raise TypingError(f"internal error in a tangent: {tan_base} has no field '{attr}'")

    def codegen(context, builder, sig, args):
        impl = context.get_getattr(tan_base, attr)
        value = impl(context, builder, tan_base, args[1], attr)
        return impl_ret_borrowed(context, builder, sig.return_type, value)

    return rt(base, tan_base, name), codegen


def tan_store(tan_arr, idx, tan_v):
    """``tan_arr[idx] = tan_v`` when the array has tangents."""


@overload(tan_store, target="generic")
def _ol_tan_store(tan_arr, idx, tan_v):
    return _gen(("st",), "def f(tan_arr, idx, tan_v):\n"
                         "    if has_grad(tan_arr):\n"
                         "        store(tan_arr, idx, tan_v)\n")


def tan_write(helper, tan_base, idx, tan_v, spec=None):
    """The tangent side of ``helper(base, idx, v[, spec])`` on an array (``helper``'s
    name: ``store``, ``inplace_add``, ``inplace_sub``, ``slot_add``, ``slot_sub``)."""


@overload(tan_write, target="generic", prefer_literal=True)
def _ol_tan_write(helper, tan_base, idx, tan_v, spec=None):
    if not isinstance(helper, types.StringLiteral):
        return None
    h = helper.literal_value
    if h not in ("store", "inplace_add", "inplace_sub", "slot_add", "slot_sub"):
        # integer updates (and, or, xor): no tangent
        return _gen(("wr_noop",), "def f(helper, tan_base, idx, tan_v, spec=None):\n"
                                  "    return None\n")
    call = f"{h}(tan_base, idx, tan_v, spec)" if h.startswith("slot") else \
        f"{h}(tan_base, idx, tan_v)"
    return _gen(("wr", h), f"def f(helper, tan_base, idx, tan_v, spec=None):\n"
                           f"    if has_grad(tan_base):\n"
                           f"        {call}\n"
                           f"    return None\n")


def tan_update(helper, tan_base, idx, tan_v):
    """The tangent of ``helper(base, idx, v)`` on a value (a vector component, a struct
    field...): the same update of the tangents. (Arrays go through ``tan_write``.)"""


@overload(tan_update, target="generic", prefer_literal=True)
def _ol_tan_update(helper, tan_base, idx, tan_v):
    if not isinstance(helper, types.StringLiteral):
        return None
    if isinstance(tan_base, types.Array):
        raise TypingError("forward mode: this kernel writes into an array that is not one of "
                          "its parameters (or their fields), whose tangent is unknown; write "
                          "into a parameter array, or launch without tangents")
    h = helper.literal_value
    return _gen(("upd", h), f"def f(helper, tan_base, idx, tan_v):\n"
                            f"    return {h}(tan_base, idx, tan_v)\n")


def tan_atomic(op, tan_arr, idx, tan_v):
    """The tangent side of ``atomic_<op>(arr, idx..., v)`` (add, sub, exch): the same
    atomic on the tangent array; returns the tangent element's old value."""


@overload(tan_atomic, target="generic", prefer_literal=True)
def _ol_tan_atomic(op, tan_arr, idx, tan_v):
    if not isinstance(op, types.StringLiteral) or op.literal_value not in ("add", "sub", "exch"):
        return None
    n = index_count(idx)
    fn = f"atomic_{op.literal_value}"
    return _gen(("at", fn, n), f"def f(op, tan_arr, idx, tan_v):\n"
                               f"    if not has_grad(tan_arr):\n"
                               f"        return zero_element(tan_arr)\n"
                               f"    return {fn}(tan_arr, {index_source(n)}, tan_v)\n")


# ---------------------------------------------------------------------------------------
# Direct tangents of the commonest operations (the rule-derived form calls the adjoint
# rule once per component of the result: a vec3 product would cost three)
# ---------------------------------------------------------------------------------------

_BY_RULE = """def f(a, b, ta, tb):
    n = {op}
    t = adj_zero(n)
    for k in range(tan_count(n)):
        c = {rule}(a, b, n, tan_basis(n, k))
        t = tan_set(t, k, tan_dot(c[0], ta) + tan_dot(c[1], tb))
    return t
"""


def _by_rule(op, rule):
    return _gen_direct(("by_rule", rule.__name__), _BY_RULE.format(op=op, rule=rule.__name__))


def _gen_direct(key, src):
    fn = _GEN.get(key)
    if fn is None:
        scope = {"adj_zero": adj_zero, "tan_count": tan_count, "tan_basis": tan_basis,
                 "tan_set": tan_set, "tan_dot": tan_dot, "adj_mul": adj_mul,
                 "adj_div": adj_div, "div": kh.div}
        exec(src, scope)  # noqa: S102 - fixed templates
        fn = _GEN[key] = scope["f"]
    return fn


def tan_mul(a, b, ta, tb):
    """The tangent of ``a * b``: ``ta * b + a * tb`` where the product is bilinear
    (scalars, vectors, matrices, quaternions); from the adjoint rule otherwise
    (transforms, whose product rotates)."""


@overload(tan_mul, target="generic", strict=False)
def _ol_tan_mul(a, b, ta, tb):
    pair = (operator_rules.kind_of(a), operator_rules.kind_of(b))
    if None in pair or (pair in operator_rules.MUL_RULES and
                        pair != ("quaternion", "quaternion")):
        return _by_rule("a * b", adj_mul)
    return lambda a, b, ta, tb: ta * b + a * tb


def tan_div(a, b, ta, tb):
    """The tangent of ``a / b``: ``(ta - (a / b) * tb) / b`` for a scalar ``b``; from the
    adjoint rule otherwise."""


@overload(tan_div, target="generic", strict=False)
def _ol_tan_div(a, b, ta, tb):
    if operator_rules.kind_of(b) == "scalar" and operator_rules.kind_of(a) is not None:
        return lambda a, b, ta, tb: kh.div(ta - kh.div(a, b) * tb, b)
    return _by_rule("div(a, b)", adj_div)


def tan_normalize(a, n, ta):
    """The tangent of ``n = normalize(a)``: ``(ta - n <n, ta>) / |a|`` (zero where ``a``
    is zero, as ``normalize`` gives zero there)."""


@overload(tan_normalize, target="generic", strict=False)
def _ol_tan_normalize(a, n, ta):
    def impl(a, n, ta):
        d = vector_math.length(a)
        if d > 0:
            return (ta - n * vector_math.dot(n, ta)) / d
        return adj_zero(n)

    return impl
