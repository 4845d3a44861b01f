"""Adjoint rules of the operators: ``a + b``, ``a - b``, ``-a``, ``a * b`` (and ``@``),
``a / b``, ``a % b``, ``a ** b``, and of their function forms (``wp.add``, ``wp.mul``,
``wp.div``, ``wp.mod``, ``wp.pow``...).

Each rule takes the operands, the result and the result's adjoint and returns the two
contributions; scalars, vectors, matrices and their mixes are handled here, products of
other value kinds (quaternions, transforms) come from :data:`registry.MUL_RULES`, filled
next to those builtins. Integer operands have no gradient (``accum`` ignores what their
rules return); floor division and the bit operations have no gradient (marked next
to them, in ``operators`` and ``scalar_math``; as operators their rule is
``adj_zero_binop``), nor have the integer helpers of ``intops`` (marked here).

Registered when this module is imported (``lang`` imports it with the builtins).
"""

from __future__ import annotations

import math

import numpy as np
from numba.core import types
from numba.core.errors import TypingError
from numba.extending import overload

from ..typing.mat import MatType, flat_get
from ..typing.vec import VecType
from . import intops, operators
from . import scalar_math as sm
from .adjoint_values import neg, scale
from .matrix_math import outer, transpose
from .registry import MUL_RULES, nondifferentiable, register_binop, register_rule
from .vector_math import cw_div, cw_mul

__all__ = [
    "adj_add",
    "adj_div",
    "adj_inner",
    "adj_mod",
    "adj_mul",
    "adj_neg",
    "adj_pos",
    "adj_pow",
    "adj_sub",
    "adj_zero_binop",
    "inner",
]


def kind_of(t):
    """The kind of value of a Numba type: "int", "scalar", "matrix", a vector's kind
    ("vector", "quaternion", "transformation", "spatial_vector"), or None."""
    if isinstance(t, (types.Integer, types.Boolean)):
        return "int"
    if isinstance(t, types.Float):
        return "scalar"
    if isinstance(t, MatType):
        return "matrix"
    if isinstance(t, VecType):
        return t.kind  # vector, quaternion, transformation, spatial_vector
    return None


def _flat_count(t):
    return t.count if isinstance(t, MatType) else len(t)


def inner(a, b):
    """Sum of products of the float components of two same-shaped values."""
    return float((np.asarray(a, dtype=float) * np.asarray(b, dtype=float)).sum())


@overload(inner, target="generic")
def _ol_inner(a, b):
    if isinstance(a, types.Number) and isinstance(b, types.Number):
        return lambda a, b: a * b
    n = _flat_count(a)
    if _flat_count(b) != n:
        raise TypingError(f"inner needs two values of one size, got {a} and {b}")

    def impl(a, b):
        s = flat_get(a, 0) * flat_get(b, 0)
        for k in range(1, n):
            s += flat_get(a, k) * flat_get(b, k)
        return s

    return impl


def adj_inner(a, b, ret, adj_ret):
    """Reverse of ``inner(a, b)``."""


@overload(adj_inner, target="generic", strict=False)
def _ol_adj_inner(a, b, ret, adj_ret):
    return lambda a, b, ret, adj_ret: (scale(b, adj_ret), scale(a, adj_ret))


def adj_add(a, b, ret, adj_ret):
    return adj_ret, adj_ret


@overload(adj_add, target="generic", strict=False)
def _ol_adj_add(a, b, ret, adj_ret):
    return lambda a, b, ret, adj_ret: (adj_ret, adj_ret)


def adj_sub(a, b, ret, adj_ret):
    return adj_ret, -adj_ret


@overload(adj_sub, target="generic", strict=False)
def _ol_adj_sub(a, b, ret, adj_ret):
    return lambda a, b, ret, adj_ret: (adj_ret, neg(adj_ret))


def adj_neg(a, ret, adj_ret):
    return (-adj_ret,)


@overload(adj_neg, target="generic", strict=False)
def _ol_adj_neg(a, ret, adj_ret):
    return lambda a, ret, adj_ret: (neg(adj_ret),)


def adj_pos(a, ret, adj_ret):
    return (adj_ret,)


@overload(adj_pos, target="generic", strict=False)
def _ol_adj_pos(a, ret, adj_ret):
    return lambda a, ret, adj_ret: (adj_ret,)


def adj_mul(a, b, ret, adj_ret):
    """Reverse of ``a * b`` (and ``a @ b``) for scalars, vectors and matrices."""


@overload(adj_mul, target="generic", strict=False)
def _ol_adj_mul(a, b, ret, adj_ret):
    ka, kb = kind_of(a), kind_of(b)
    if ka == "int" and kb == "int":
        return lambda a, b, ret, adj_ret: (adj_ret, adj_ret)  # ints: accum ignores these
    if ka in ("scalar", "int") and kb in ("scalar", "int"):
        return lambda a, b, ret, adj_ret: (adj_ret * b, adj_ret * a)
    if ka in ("scalar", "int"):
        return lambda a, b, ret, adj_ret: (inner(adj_ret, b), adj_ret * a)
    if kb in ("scalar", "int"):
        return lambda a, b, ret, adj_ret: (adj_ret * b, inner(adj_ret, a))
    if ka == "matrix" and kb == "matrix":
        return lambda a, b, ret, adj_ret: (adj_ret * transpose(b), transpose(a) * adj_ret)
    if ka == "matrix" and kb in ("vector", "spatial_vector"):
        return lambda a, b, ret, adj_ret: (outer(adj_ret, b), transpose(a) * adj_ret)
    if ka in ("vector", "spatial_vector") and kb == "matrix":
        return lambda a, b, ret, adj_ret: (b * adj_ret, outer(a, adj_ret))
    rule = MUL_RULES.get((ka, kb))
    if rule is not None:
        return rule
    return None


def adj_div(a, b, ret, adj_ret):
    """Reverse of ``a / b``."""


@overload(adj_div, target="generic", strict=False)
def _ol_adj_div(a, b, ret, adj_ret):
    ka, kb = kind_of(a), kind_of(b)
    if ka == "int" and kb == "int":
        return lambda a, b, ret, adj_ret: (adj_ret, adj_ret)
    if kb in ("scalar", "int") and ka in ("scalar", "int"):
        return lambda a, b, ret, adj_ret: (adj_ret / b, -adj_ret * ret / b)
    if kb in ("scalar", "int"):
        # vector / scalar
        return lambda a, b, ret, adj_ret: (adj_ret / b, -inner(adj_ret, ret) / b)
    if ka in ("scalar", "int"):
        # scalar / vector, component-wise: ret_i = a / b_i
        return lambda a, b, ret, adj_ret: (_sum_div(adj_ret, b),
                                           -cw_mul(adj_ret, cw_div(ret, b)))
    return None


def _sum_div(adj, b):
    """sum_i adj_i / b_i."""


@overload(_sum_div, target="generic")
def _ol_sum_div(adj, b):
    n = _flat_count(b)

    def impl(adj, b):
        s = flat_get(adj, 0) / flat_get(b, 0)
        for k in range(1, n):
            s += flat_get(adj, k) / flat_get(b, k)
        return s

    return impl


def adj_mod(a, b, ret, adj_ret):
    """Reverse of C-style ``a % b`` on floats: a - b * trunc(a / b)."""


@overload(adj_mod, target="generic", strict=False)
def _ol_adj_mod(a, b, ret, adj_ret):
    if isinstance(a, types.Integer) and isinstance(b, types.Integer):
        return lambda a, b, ret, adj_ret: (adj_ret, adj_ret)
    if kind_of(a) not in ("scalar", "int"):  # vectors, component-wise
        return lambda a, b, ret, adj_ret: (adj_ret, neg(cw_mul(adj_ret, cw_div(a - ret, b))))

    def impl(a, b, ret, adj_ret):
        q = (a - ret) / b  # = trunc(a / b)
        return adj_ret, -adj_ret * q

    return impl


def adj_pow(a, b, ret, adj_ret):
    """Reverse of ``pow(a, b)`` and of the operator ``a ** b``; the gradient in ``b`` is 0
    where ``a <= 0``."""


@overload(adj_pow, target="generic", strict=False)
def _ol_adj_pow(a, b, ret, adj_ret):
    if isinstance(a, types.Integer) and isinstance(b, types.Integer):
        return lambda a, b, ret, adj_ret: (adj_ret, adj_ret)  # no gradient: accum drops it

    def impl(a, b, ret, adj_ret):
        if a == 0.0:
            ga = b * (a ** (b - 1.0)) if b >= 1.0 else ret * 0.0
        else:
            ga = b * ret / a
        gb = ret * math.log(a) if a > 0.0 else ret * 0.0
        return ga * adj_ret, gb * adj_ret

    return impl


def adj_zero_binop(a, b, ret, adj_ret):
    """Operators with no gradient (floor division, bit operations)."""


@overload(adj_zero_binop, target="generic", strict=False)
def _ol_adj_zero_binop(a, b, ret, adj_ret):
    return lambda a, b, ret, adj_ret: (None, None)


for _op, _rule in (("Add", adj_add), ("Sub", adj_sub), ("Mult", adj_mul), ("MatMult", adj_mul),
                   ("Pow", adj_pow), ("FloorDiv", adj_zero_binop), ("LShift", adj_zero_binop),
                   ("RShift", adj_zero_binop), ("BitAnd", adj_zero_binop),
                   ("BitOr", adj_zero_binop), ("BitXor", adj_zero_binop)):
    register_binop(_op, _rule)

register_rule(inner, adj_inner)
# also the generated code's ``/`` and ``%`` (kernel_helpers re-exports these two)
register_rule(sm.div, adj_div)
register_rule(sm.mod, adj_mod)
register_rule(sm.pow, adj_pow)
register_rule(operators.add, adj_add)
register_rule(operators.sub, adj_sub)
register_rule(operators.mul, adj_mul)
register_rule(operators.neg, adj_neg)
register_rule(operators.pos, adj_pos)
register_rule(operators.div_approx, adj_div)
# the integer helpers the code generator emits (intops imports no rule machinery: it sits
# below scalar_math, which typing/ still reaches through kernel_helpers)
nondifferentiable(intops.range_arg, intops.assume_nonneg, intops.c_div, intops.c_rem,
                  intops.tid_lead)
