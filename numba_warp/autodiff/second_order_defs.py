"""Second derivatives of typed rules, written as kernel-style Python (see
``autodiff/second_order.py``): each function here is compiled as a generic ``@wp.func``
and differentiated by the forward-mode compiler.

* ``("plain", f)``: ``f(args..., ret, adj_ret)`` returns the rule's contributions, as the
  typed rule does;
* ``("via", f)``: ``f(args...)`` computes the builtin from other builtins; its Hessian
  companion gives the tangent of the contributions;
* ``("unary", deriv)``: as the scalar table, ``deriv(x, ret)`` the derivative.

Registered by ``second_order.py`` (imported when a Hessian-vector product is compiled).
"""

from __future__ import annotations

import math
import types

from .. import lang
from ..lowering.operator_rules import inner
from ..lowering.quat import quaternion
from ..lowering.transform import transformation
from ..typing.vec import vector

#: the builtins as kernel code names them (``wp.sin``, ``wp.vector``...)
wp = types.SimpleNamespace(**{**{n: getattr(lang, n) for n in dir(lang) if not n.startswith("_")},
                              "vector": vector, "quaternion": quaternion,
                              "transformation": transformation})


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


def via_quat_rotate(q, v):
    # the forward formula: v (2w^2 - 1) + 2w (u x v) + 2u (u . v), u = q.xyz
    u = wp.vector(q[0], q[1], q[2])
    w = q[3]
    return v * (2.0 * w * w - 1.0) + wp.cross(u, v) * (2.0 * w) + u * (2.0 * wp.dot(u, v))


def via_quat_rotate_inv(q, v):
    u = wp.vector(-q[0], -q[1], -q[2])
    w = q[3]
    return v * (2.0 * w * w - 1.0) + wp.cross(u, v) * (2.0 * w) + u * (2.0 * wp.dot(u, v))


def via_transform_multiply(a, b):
    qa = wp.transform_get_rotation(a)
    return wp.transformation(wp.quat_rotate(qa, wp.transform_get_translation(b)) +
                             wp.transform_get_translation(a),
                             qa * wp.transform_get_rotation(b))


def via_transform_inverse(t):
    qi = wp.quat_inverse(wp.transform_get_rotation(t))
    return wp.transformation(-wp.quat_rotate(qi, wp.transform_get_translation(t)), qi)


def via_quat_from_axis_angle(axis, angle):
    s = wp.sin(angle * 0.5)
    return wp.quaternion(axis[0] * s, axis[1] * s, axis[2] * s, wp.cos(angle * 0.5))


def via_quat_to_matrix(q):
    zero = q[0] * 0.0
    one = zero + 1.0
    return wp.matrix_from_cols(wp.quat_rotate(q, wp.vector(one, zero, zero)),
                               wp.quat_rotate(q, wp.vector(zero, one, zero)),
                               wp.quat_rotate(q, wp.vector(zero, zero, one)))


def via_norm_huber(v, delta=1.0):
    a = wp.length(v)
    if a <= delta:
        return 0.5 * a * a
    return delta * (a - 0.5 * delta)


def via_norm_pseudo_huber(v, delta=1.0):
    return delta * wp.sqrt(1.0 + wp.dot(v, v) / (delta * delta))


def via_smooth_normalize(v, delta=1.0):
    return v * (1.0 / wp.norm_pseudo_huber(v, delta))


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
    "quat_rotate": ("via", via_quat_rotate),
    "transform_multiply": ("via", via_transform_multiply),
    "transform_inverse": ("via", via_transform_inverse),
    "quat_rotate_inv": ("via", via_quat_rotate_inv),
    "quat_to_matrix": ("via", via_quat_to_matrix),
    "norm_huber": ("via", via_norm_huber),
    "norm_pseudo_huber": ("via", via_norm_pseudo_huber),
    "smooth_normalize": ("via", via_smooth_normalize),
    "erfinv": ("unary", d_erfinv),
    "erfcinv": ("unary", d_erfcinv),
}
