"""Second-order rules (Hessian-vector products): how the contributions of each adjoint
rule change along a tangent. See ``autodiff/second_order.py`` for the kinds.

Rules written as plain Python (``@adjoint(f)``) and the scalar table
(``unary_adjoint``) need nothing here: they are compiled again as generic functions and
differentiated by the forward-mode compiler. This module says which of the other rules
are linear in the adjoint alone, and gives the products, quotients and powers their
second derivatives.
"""

from __future__ import annotations

import math

from numba.core import types
from numba.core.errors import TypingError
from numba.extending import overload

from . import kernel_helpers as kh
from . import matrix_math, slots, spatial, store_rules, transform, vector_math
from . import scalar_math as sm
from .adjoint_values import accum
from .construct import adj_cast
from .operator_rules import (adj_add, adj_div, adj_inner, adj_mod, adj_mul, adj_neg, adj_pos,
                             adj_pow, adj_sub, adj_zero_binop, inner, kind_of)
from .registry import RULES, second_order

__all__ = ["tan_sum", "so_mul", "so_div", "so_pow"]


def tan_sum(a, b):
    """``a + b`` for contributions (None counts as zero)."""


@overload(tan_sum, target="generic", strict=False)
def _ol_tan_sum(a, b):
    if a is None or isinstance(a, (types.NoneType, types.Omitted)):
        return lambda a, b: b
    if b is None or isinstance(b, (types.NoneType, types.Omitted)):
        return lambda a, b: a
    return lambda a, b: accum(a, b)


def _bilinear(rule):
    """The tangent of a bilinear product's contributions: ``rule(a, b, ret, tadj) +
    rule(ta, tb, tret, adj_ret)``."""

    def impl(a, b, ret, adj_ret, ta, tb, tret, tadj):
        c1 = rule(a, b, ret, tadj)
        c2 = rule(ta, tb, tret, adj_ret)
        return tan_sum(c1[0], c2[0]), tan_sum(c1[1], c2[1])

    return impl


def so_mul(a, b, ret, adj_ret, ta, tb, tret, tadj):
    """Tangent of ``adj_mul``'s contributions: products are bilinear."""


@overload(so_mul, target="generic", strict=False)
def _ol_so_mul(a, b, ret, adj_ret, ta, tb, tret, tadj):
    bilinear = ("int", "scalar", "vector", "matrix", "spatial_vector", "quaternion")
    if kind_of(a) not in bilinear or kind_of(b) not in bilinear:
        # (an allow-list: a product that is not bilinear must not pass for one)
        raise TypingError(f"the product of a {kind_of(a)} and a {kind_of(b)} has no second "
                          "derivative yet (Hessian-vector products); for transforms, "
                          "call wp.transform_multiply")
    return _bilinear(adj_mul)


def so_inner(a, b, ret, adj_ret, ta, tb, tret, tadj):
    """Tangent of ``adj_inner``'s contributions (bilinear)."""


@overload(so_inner, target="generic", strict=False)
def _ol_so_inner(a, b, ret, adj_ret, ta, tb, tret, tadj):
    return _bilinear(adj_inner)


def so_div(a, b, ret, adj_ret, ta, tb, tret, tadj):
    """Tangent of ``adj_div``'s contributions: ``c_a = u / b``,
    ``c_b = -<u, ret> / b``."""


@overload(so_div, target="generic", strict=False)
def _ol_so_div(a, b, ret, adj_ret, ta, tb, tret, tadj):
    ka, kb = kind_of(a), kind_of(b)
    if ka == "int" and kb == "int":
        return lambda a, b, ret, adj_ret, ta, tb, tret, tadj: adj_div(a, b, ret, tadj)
    if kb not in ("scalar", "int"):
        raise TypingError("division by a vector or matrix has no second derivative yet "
                          "(Hessian-vector products); write it with wp.cw_div")
    if ka in ("scalar", "int"):
        def impl(a, b, ret, u, ta, tb, tret, tu):
            b2 = b * b
            return (tu / b - u * tb / b2,
                    -(tu * ret + u * tret) / b + u * ret * tb / b2)
        return impl

    def impl_vec(a, b, ret, u, ta, tb, tret, tu):
        b2 = b * b
        return (tu / b - u * (tb / b2),
                -(inner(tu, ret) + inner(u, tret)) / b + inner(u, ret) * tb / b2)

    return impl_vec


def so_pow(a, b, ret, adj_ret, ta, tb, tret, tadj):
    """Tangent of ``adj_pow``'s contributions (scalars)."""


@overload(so_pow, target="generic", strict=False)
def _ol_so_pow(a, b, ret, adj_ret, ta, tb, tret, tadj):
    if isinstance(a, types.Integer) and isinstance(b, types.Integer):
        return lambda a, b, ret, adj_ret, ta, tb, tret, tadj: adj_pow(a, b, ret, tadj)
    if kind_of(a) not in ("scalar", "int") or kind_of(b) not in ("scalar", "int"):
        raise TypingError("pow of vectors has no second derivative yet "
                          "(Hessian-vector products)")

    def impl(a, b, r, u, ta, tb, tr, tu):
        c = adj_pow(a, b, r, tu)
        # d(ga) and d(gb) along (ta, tb, tr), ga = d ret/da, gb = d ret/db (as adj_pow)
        if a == 0.0:
            if b >= 2.0 or (1.0 < b < 2.0):
                dga = b * (b - 1.0) * (a ** (b - 2.0)) * ta
            else:
                dga = r * 0.0
        else:
            dga = (tb * r + b * tr) / a - b * r * ta / (a * a)
        dgb = tr * math.log(a) + r * ta / a if a > 0.0 else r * 0.0
        return tan_sum(c[0], dga * u), tan_sum(c[1], dgb * u)

    return impl


# -- which rule gets its tangent how -----------------------------------------------------
# contributions that depend on the primal values only through their types or through
# quantities constant near the point (selections, signs, integer parts)
second_order("linear", adj_cast, adj_add, adj_sub, adj_neg, adj_pos, adj_mod, adj_zero_binop,
             *(r for r in (RULES.get(f) for f in (
                 sm.min, sm.max, sm.abs, sm.floor, sm.ceil, sm.round, sm.rint, sm.trunc,
                 sm.step, sm.nonzero, matrix_math.trace, matrix_math.matrix_from_cols,
                 transform.transform_get_translation, transform.transform_get_rotation,
                 spatial.spatial_top, spatial.spatial_bottom,
                 kh.store, kh.inplace_add, kh.inplace_sub, kh.setattr_value, slots.slot_add,
                 slots.slot_sub))
               if r is not None))
second_order(so_mul, adj_mul)
second_order(so_inner, adj_inner)
second_order(so_div, adj_div)
second_order(so_pow, adj_pow)
# bilinear in two of their arguments, their rules not reading the result
second_order("bilinear", *(r for r in (RULES.get(f) for f in (
    spatial.spatial_cross, spatial.spatial_cross_dual)) if r is not None))
del store_rules  # (imported for its rules)
second_order("linear", *(r for r in (RULES.get(f) for f in (
    sm.clamp, vector_math.norm_l1, matrix_math.skew, spatial.spatial_adjoint,
    transform.transform_set_translation, transform.transform_set_rotation)) if r is not None))

