"""Warp's ``quat_between_vectors``: the shortest-arc rotation between two directions.

Warp defines it as a ``@wp.func`` in ``warp.utils`` (outside its builtin registry); here
it is a builtin like the others of ``quat.py``, for any float dtype, with an adjoint
rule. Its one departure from Warp is documented on the function: (nearly) opposite
directions give the rotation that takes ``a`` onto ``b`` instead of Warp's identity.
"""

from __future__ import annotations

import math

from .builtin import adjoint, implements, is_vec3, python_scope, vcls
from .vector_math import cross, dot, normalize

__all__ = ["quat_between_vectors"]


def quat_between_vectors(a, b):
    """The shortest-arc rotation taking the direction of ``a`` onto the direction of ``b``
    (vec3s of any nonzero length): ``normalize(quat(cross(a', b'), 1 + dot(a', b')))`` of
    the normalized vectors ``a'``, ``b'``, as in Warp.

    Where that formula loses accuracy, for nearly opposite directions, the same rotation
    is computed as the turn by ``atan2(|a' x b'|, a' . b')`` about ``a' x b'`` made exactly
    perpendicular to ``a'``, or, when that axis is rounding noise, about the axis
    perpendicular to ``a'`` and to the coordinate axis least aligned with it: a half turn
    for opposite directions. (Warp 1.19 documents opposite directions as unhandled and
    returns the identity, which does not rotate ``a`` onto ``b``.) A zero vector gives the
    identity.

    Example
    -------
    >>> q = wp.quat_between_vectors(wp.vec3(1.0, 0.0, 0.0), wp.vec3(0.0, 2.0, 0.0))
    >>> print(np.round(np.array(q), 4))  # 90 degrees about z
    [0.     0.     0.7071 0.7071]
    >>> print(np.round(np.array(wp.quat_rotate(q, wp.vec3(1.0, 0.0, 0.0))), 4) + 0.0)
    [0. 1. 0.]
    """
    return python_scope(quat_between_vectors, a, b)


_EPS = {16: 9.8e-4, 32: 1.2e-7, 64: 2.3e-16}


@implements(quat_between_vectors)
def _ol_quat_between_vectors(a, b):
    if is_vec3(a) and a == b:
        ft = a.dtype
        Q, V = vcls(4, ft, "quaternion"), vcls(3, ft)
        # below tiny_w the cancellation in w = 1 + dot(a', b') makes Warp's formula lose
        # accuracy (and give the identity for exactly opposite directions)
        eps = _EPS[ft.bitwidth]
        tiny_w, tiny_axis = math.sqrt(eps), 16.0 * eps

        def impl(a, b):
            an, bn = normalize(a), normalize(b)
            c = cross(an, bn)
            w = ft(1.0) + dot(an, bn)
            if w > tiny_w:  # Warp's formula, exact enough away from opposite directions
                n = ft(math.sqrt(dot(c, c) + w * w))
                return Q(c[0] / n, c[1] / n, c[2] / n, w / n)
            axis = c - an * dot(an, c)
            s = ft(math.sqrt(dot(axis, axis)))
            if s > tiny_axis:
                axis = axis / s
            else:
                x, y, z = abs(an[0]), abs(an[1]), abs(an[2])
                e = V(1.0, 0.0, 0.0) if x <= y and x <= z else (
                    V(0.0, 1.0, 0.0) if y <= z else V(0.0, 0.0, 1.0))
                axis = normalize(cross(an, e))
            half = ft(0.5) * ft(math.atan2(math.sqrt(dot(c, c)), dot(an, bn)))
            sh = ft(math.sin(half))
            return Q(axis[0] * sh, axis[1] * sh, axis[2] * sh, ft(math.cos(half)))

        return impl


# -- adjoints ---------------------------------------------------------------------------


def normalize_adj(x, xn, g):
    """The adjoint of ``x`` for ``xn = normalize(x)`` and the adjoint ``g`` of ``xn``."""


@implements(normalize_adj)
def _ol_normalize_adj(x, xn, g):
    ft = x.dtype

    def impl(x, xn, g):
        n = ft(math.sqrt(dot(x, x)))
        if n > ft(0.0):
            return (g - xn * dot(xn, g)) / n
        return g * ft(0.0)

    return impl


@adjoint(quat_between_vectors, typed=True)
def adj_quat_between_vectors(a, b, ret, adj_ret):
    # q = p / |p|, p = (cross(an, bn), 1 + dot(an, bn)), an = a / |a|, bn = b / |b|. The
    # forward's other branch computes the same function more accurately, so the same
    # rule applies there; exactly opposite directions (p = 0) are a discontinuity: no
    # gradient
    ft = a.dtype
    V = vcls(3, ft)

    def impl(a, b, ret, adj_ret):
        an, bn = normalize(a), normalize(b)
        c = cross(an, bn)
        w = ft(1.0) + dot(an, bn)
        n = ft(math.sqrt(dot(c, c) + w * w))
        if not n > ft(0.0):
            return V(), V()
        g = (adj_ret - ret * dot(ret, adj_ret)) / n
        gc = V(g[0], g[1], g[2])
        adj_an = cross(bn, gc) + bn * g[3]
        adj_bn = cross(gc, an) + an * g[3]
        return normalize_adj(a, an, adj_an), normalize_adj(b, bn, adj_bn)

    return impl
