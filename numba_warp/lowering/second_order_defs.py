"""Second derivatives of typed rules, written as kernel-style Python (see
``autodiff/second_order.py``): each function here is compiled as a generic ``@wp.func``
and differentiated by the forward-mode compiler.

* ``("plain", f)``: ``f(args..., ret, adj_ret)`` returns the rule's contributions, as the
  typed rule does;
* ``("via", f)``: ``f(args...)`` computes the builtin from other builtins; its Hessian
  companion gives the tangent of the contributions;
* ``("unary", deriv)``: as the scalar table, ``deriv(x, ret)`` the derivative.

Imported by ``second_order_rules`` (itself imported when a Hessian-vector product is
compiled), when the whole builtin library is loaded.
"""

from __future__ import annotations

import math

from .. import lang as wp
from .operator_rules import inner


def so_lerp(a, b, t, ret, adj_ret):
    return adj_ret * (1.0 - t), adj_ret * t, inner(adj_ret, b - a)


def so_determinant(m, ret, adj_ret):
    return (wp.transpose(wp.inverse(m)) * (ret * adj_ret),)


def via_transform_point(t, p):
    return wp.quat_rotate(wp.transform_get_rotation(t), p) + wp.transform_get_translation(t)


def via_transform_vector(t, v):
    return wp.quat_rotate(wp.transform_get_rotation(t), v)


def via_velocity_at_point(qd, r):
    return wp.cross(wp.spatial_top(qd), r) + wp.spatial_bottom(qd)


def via_quat_from_axis_angle(axis, angle):
    s = wp.sin(angle * 0.5)
    return wp.quaternion(axis[0] * s, axis[1] * s, axis[2] * s, wp.cos(angle * 0.5))


def via_quat_to_matrix(q):
    zero = q[0] * 0.0
    one = zero + 1.0
    return wp.matrix_from_cols(wp.quat_rotate(q, wp.vector(one, zero, zero)),
                               wp.quat_rotate(q, wp.vector(zero, one, zero)),
                               wp.quat_rotate(q, wp.vector(zero, zero, one)))


def d_erfinv(x, r):
    return 0.5 * math.sqrt(math.pi) * math.exp(r * r)


def d_erfcinv(x, r):
    return -0.5 * math.sqrt(math.pi) * math.exp(r * r)


#: builtin name -> second-order spec
DEFS = {
    "lerp": ("plain", so_lerp),
    "determinant": ("plain", so_determinant),
    "transform_point": ("via", via_transform_point),
    "transform_vector": ("via", via_transform_vector),
    "velocity_at_point": ("via", via_velocity_at_point),
    "quat_from_axis_angle": ("via", via_quat_from_axis_angle),
    "quat_to_matrix": ("via", via_quat_to_matrix),
    "erfinv": ("unary", d_erfinv),
    "erfcinv": ("unary", d_erfcinv),
}
