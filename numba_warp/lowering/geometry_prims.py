"""Warp's Geometry builtins that need no spatial structure: ``closest_point_edge_edge``
and ``intersect_tri_tri``, for kernels, plain Numba code and Python scope.

Meaning (Warp 1.19's, checked against Warp on random and degenerate inputs):

* ``closest_point_edge_edge(p1, q1, p2, q2, epsilon)`` returns ``vec3(s, t, d)``: the
  closest points of the segments ``[p1, q1]`` and ``[p2, q2]`` are ``p1 + s (q1 - p1)``
  and ``p2 + t (q2 - p2)`` (``s``, ``t`` in [0, 1]) and ``d`` is their distance. A segment
  whose squared length is ``<= epsilon`` is a point (its weight is 0). Parallel segments
  take ``s = 0`` and project it (Ericson, *Real-Time Collision Detection* 5.1.9). The two
  differences of products of the general case are computed with a fused multiply-add
  compensation, as Warp does, so near-parallel segments lose no more precision than
  Warp's. Warp declares only ``vec3``; ``vec3d`` works the same way here in float64.
  Differentiable, with Warp's analytic adjoint: the branch the forward took is
  differentiated (clamped weights pass no gradient), and where the segments are parallel
  to within ``sin^2 = 1e-6`` the gradient through the free weight ``s`` is dropped, so
  that ``1 / denom`` cannot blow float noise up into the gradient. ``epsilon`` gets none.
* ``intersect_tri_tri(v0, v1, v2, u0, u1, u2)`` returns 1 when the triangles intersect
  (touching counts) and 0 otherwise, by Moller's interval-overlap test (1997, the version
  without divisions): signed distances of each triangle's vertices to the other's plane
  (below 1e-6 in magnitude they count as 0), overlap of the two intervals on the line
  where the planes meet, and for coplanar triangles a 2-D test of edge crossings and
  containment in the coordinate plane where the triangles' projection is largest.
  ``vec3`` (float32) and ``vec3d`` (float64) overloads, as in Warp. No gradient.

Warp defines neither at Python scope (``wp.closest_point_edge_edge`` is missing there);
here both also run at Python scope, through their Numba implementations.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba.core import types
from numba.core.typing.templates import signature
from numba.extending import intrinsic

from .builtin import (
    adjoint,
    implements,
    is_number,
    is_vec3,
    jitable,
    nondifferentiable,
    python_scope,
    vcls,
)
from .scalar_math import clamp
from .vector_math import cross, dot, length

__all__ = ["closest_point_edge_edge", "intersect_tri_tri"]

#: Warp's threshold below which the adjoint treats the segments as parallel: denom <=
#: this * |d1|^2 |d2|^2, i.e. sin^2 of the angle between them
_PARALLEL_TOL = 1.0e-6
#: intersect_tri_tri's results: Warp's ``int`` (int32)
_ZERO, _ONE = np.int32(0), np.int32(1)
#: Moller's coplanarity tolerance on signed plane distances (a double in Warp's C++: the
#: float32 overload compares in float64 too)
_PLANE_EPS = 1.0e-6


def _float_vec3(t) -> bool:
    return is_vec3(t) and t.dtype in (types.float32, types.float64)


@intrinsic
def _fma(typingctx, a, b, c):
    """a * b + c rounded once (LLVM's fma: the hardware instruction where there is one)."""
    if isinstance(a, types.Float) and a == b == c:
        def codegen(context, builder, sig, args):
            t = args[0].type
            fn = builder.module.declare_intrinsic("llvm.fma", [t], ir.FunctionType(t, [t] * 3))
            return builder.call(fn, args)

        return signature(a, a, b, c), codegen
    return None


def _diff_product(a, b, c, d):
    """a * b - c * d with the rounding error of c * d added back (Kahan's method)."""
    cd = c * d
    return _fma(a, b, -cd) + _fma(-c, d, cd)


jitable(_diff_product)


# ---------------------------------------------------------------------------------------
# closest_point_edge_edge
# ---------------------------------------------------------------------------------------


def closest_point_edge_edge(p1, q1, p2, q2, epsilon):
    """The closest points of the segments ``[p1, q1]`` and ``[p2, q2]``: ``vec3(s, t, d)``
    with the points ``p1 + s * (q1 - p1)`` and ``p2 + t * (q2 - p2)`` (``s``, ``t`` in
    [0, 1]) and their distance ``d``. A segment with squared length ``<= epsilon`` is
    treated as a point (weight 0).

    Example
    -------
    >>> wp.closest_point_edge_edge(wp.vec3(0.0, 0.0, 0.0), wp.vec3(1.0, 0.0, 0.0),
    ...                            wp.vec3(0.5, 1.0, 1.0), wp.vec3(0.5, 1.0, -1.0), 1.0e-6)
    vec3f(0.5, 0.5, 1.0)
    """
    return python_scope(closest_point_edge_edge, p1, q1, p2, q2, epsilon)


def _edge_weights(d1, d2, r, eps):
    """(s, t, branch, s_free, denom) of Warp's closest-point computation on the segment
    directions ``d1``, ``d2`` and ``r = p1 - p2``. ``branch``: 0 both points, 1 first a
    point, 2 second a point, 3 general (s free), 4 general near-parallel (s not
    differentiated), 5 t clamped to 0, 6 t clamped to 1. ``s_free`` is the unclamped
    weight the branch clamps (t for branch 1)."""


@implements(_edge_weights)
def _ol_edge_weights(d1, d2, r, eps):
    ft = d1.dtype
    zero, one = ft(0.0), ft(1.0)
    tol = ft(_PARALLEL_TOL)

    def impl(d1, d2, r, eps):
        a, e, f = dot(d1, d1), dot(d2, d2), dot(d2, r)
        degen1, degen2 = a <= eps, e <= eps
        if degen1 and degen2:
            return zero, zero, 0, zero, zero
        if degen1:
            t_free = f / e
            return zero, clamp(t_free, zero, one), 1, t_free, zero
        c = dot(d1, r)
        if degen2:
            s_free = -c / a
            return clamp(s_free, zero, one), zero, 2, s_free, zero
        b = dot(d1, d2)
        denom = _diff_product(a, e, b, b)
        s_free = zero
        s = zero
        if denom > zero:  # else parallel to within rounding: s = 0, and t corrects it
            s_free = _diff_product(b, f, c, e) / denom
            s = clamp(s_free, zero, one)
        t = (b * s + f) / e
        if t < zero:  # past p2: t = 0, and s again for that t
            s_free = -c / a
            return clamp(s_free, zero, one), zero, 5, s_free, denom
        if t > one:  # past q2
            s_free = (b - c) / a
            return clamp(s_free, zero, one), one, 6, s_free, denom
        stable = denom > zero and denom > tol * a * e
        return s, t, 3 if stable else 4, s_free, denom

    return impl


@implements(closest_point_edge_edge)
def _ol_closest_point_edge_edge(p1, q1, p2, q2, epsilon):
    if _float_vec3(p1) and p1 == q1 == p2 == q2 and is_number(epsilon):
        ft = p1.dtype
        V = vcls(3, ft)

        def impl(p1, q1, p2, q2, epsilon):
            d1, d2 = q1 - p1, q2 - p2
            s, t, _b, _sf, _dn = _edge_weights(d1, d2, p1 - p2, ft(epsilon))
            return V(s, t, length((p2 + d2 * t) - (p1 + d1 * s)))

        return impl


def _clamp_pass(x, g):
    """The gradient Warp's clamp(x, 0, 1) passes to x: all of ``g`` for 0 <= x < 1."""


@implements(_clamp_pass)
def _ol_clamp_pass(x, g):
    zero = g(0.0)
    return lambda x, g: g if (x >= 0.0 and x < 1.0) else zero


@adjoint(closest_point_edge_edge, typed=True)
def adj_closest_point_edge_edge(p1, q1, p2, q2, epsilon, ret, adj_ret):
    ft = p1.dtype
    zero = ft(0.0)

    def impl(p1, q1, p2, q2, epsilon, ret, adj_ret):
        d1, d2, r = q1 - p1, q2 - p2, p1 - p2
        s, t, branch, s_free, denom = _edge_weights(d1, d2, r, ft(epsilon))
        diff = (p2 + d2 * t) - (p1 + d1 * s)
        dist = length(diff)
        adj_diff = diff * (adj_ret[2] / dist) if dist > zero else diff * zero
        # diff = c2 - c1 with c1 = p1 + s d1, c2 = p2 + t d2
        adj_p1, adj_p2 = -adj_diff, adj_diff
        adj_d1, adj_d2 = adj_diff * (-s), adj_diff * t
        adj_s = -dot(d1, adj_diff) + adj_ret[0]
        adj_t = dot(d2, adj_diff) + adj_ret[1]
        a, e, f = dot(d1, d1), dot(d2, d2), dot(d2, r)
        b, c = dot(d1, d2), dot(d1, r)
        adj_a = adj_e = adj_b = adj_c = adj_f = zero
        if branch == 1:  # t = clamp(f / e)
            g = _clamp_pass(s_free, adj_t)
            adj_f = g / e
            adj_e = -g * s_free / e
        elif branch == 2 or branch == 5:  # s = clamp(-c / a)
            g = _clamp_pass(s_free, adj_s)
            adj_c = -g / a
            adj_a = -g * s_free / a
        elif branch == 6:  # s = clamp((b - c) / a)
            g = _clamp_pass(s_free, adj_s)
            adj_b = g / a
            adj_c = -g / a
            adj_a = -g * s_free / a
        elif branch == 3 or branch == 4:  # t = (b s + f) / e
            adj_b = adj_t * s / e
            adj_f = adj_t / e
            adj_e = -adj_t * t / e
            if branch == 3:  # s = clamp(num / denom), num = b f - c e, denom = a e - b b
                g = _clamp_pass(s_free, adj_s + adj_t * b / e)
                adj_num, adj_den = g / denom, -g * s_free / denom
                adj_b += adj_num * f - ft(2.0) * adj_den * b
                adj_f += adj_num * b
                adj_c -= adj_num * e
                adj_e += adj_den * a - adj_num * c
                adj_a += adj_den * e
        # through the dot products, then d1 = q1 - p1, d2 = q2 - p2, r = p1 - p2
        adj_d1 = adj_d1 + d1 * (ft(2.0) * adj_a) + d2 * adj_b + r * adj_c
        adj_d2 = adj_d2 + d2 * (ft(2.0) * adj_e) + d1 * adj_b + r * adj_f
        adj_r = d1 * adj_c + d2 * adj_f
        return (adj_p1 - adj_d1 + adj_r, adj_d1, adj_p2 - adj_d2 - adj_r, adj_d2,
                zero)

    return impl


# ---------------------------------------------------------------------------------------
# intersect_tri_tri
# ---------------------------------------------------------------------------------------


def intersect_tri_tri(v0, v1, v2, u0, u1, u2):
    """1 if the triangles ``(v0, v1, v2)`` and ``(u0, u1, u2)`` intersect (touching and
    coplanar overlap count), else 0: Moller's test. The float32 (``vec3``) overload can
    misjudge near-degenerate configurations; ``vec3d`` inputs are more robust.

    Example
    -------
    >>> wp.intersect_tri_tri(wp.vec3(0.0, 0.0, 0.0), wp.vec3(2.0, 0.0, 0.0),
    ...                      wp.vec3(0.0, 2.0, 0.0), wp.vec3(1.0, 1.0, -1.0),
    ...                      wp.vec3(1.0, 1.0, 1.0), wp.vec3(1.0, -1.0, 0.0))
    1
    """
    return python_scope(intersect_tri_tri, v0, v1, v2, u0, u1, u2)


def _plane_distances(n, p, a, b, c):
    """Signed distances (times |n|) of a, b, c to the plane through p with normal n; those
    under the coplanarity tolerance are 0."""


@implements(_plane_distances)
def _ol_plane_distances(n, p, a, b, c):
    zero = n.dtype(0.0)

    def impl(n, p, a, b, c):
        d = -dot(n, p)
        da, db, dc = dot(n, a) + d, dot(n, b) + d, dot(n, c) + d
        return (zero if abs(da) < _PLANE_EPS else da, zero if abs(db) < _PLANE_EPS else db,
                zero if abs(dc) < _PLANE_EPS else dc)

    return impl


def _interval(p0, p1, p2, d0, d1, d2):
    """Moller's interval of a triangle on the planes' common line, as the numerators and
    denominators (a, b, c, x0, x1) of its ends (no divisions), from the projections
    p0..p2 of its vertices and their plane distances d0..d2; ok False: coplanar (the
    other values are then meaningless)."""
    if d0 * d1 > 0.0:  # d2 alone on the other side (or on the plane)
        return True, p2, (p0 - p2) * d2, (p1 - p2) * d2, d2 - d0, d2 - d1
    if d0 * d2 > 0.0:
        return True, p1, (p0 - p1) * d1, (p2 - p1) * d1, d1 - d0, d1 - d2
    if d1 * d2 > 0.0 or d0 != 0.0:
        return True, p0, (p1 - p0) * d0, (p2 - p0) * d0, d0 - d1, d0 - d2
    if d1 != 0.0:
        return True, p1, (p0 - p1) * d1, (p2 - p1) * d1, d1 - d0, d1 - d2
    if d2 != 0.0:
        return True, p2, (p0 - p2) * d2, (p1 - p2) * d2, d2 - d0, d2 - d1
    return False, p0, p0, p0, p0, p0


def _segments_cross(ax, ay, v0x, v0y, u0x, u0y, u1x, u1y):
    """Whether the segment from (v0x, v0y) along (ax, ay) meets the segment u0-u1 (Franklin
    Antonio's test, endpoints included)."""
    bx, by = u0x - u1x, u0y - u1y
    cx, cy = v0x - u0x, v0y - u0y
    f = ay * bx - ax * by
    d = by * cx - bx * cy
    if (f > 0.0 and d >= 0.0 and d <= f) or (f < 0.0 and d <= 0.0 and d >= f):
        e = ax * cy - ay * cx
        if f > 0.0:
            return e >= 0.0 and e <= f
        return e <= 0.0 and e >= f
    return False


def _edge_crosses_triangle(v0x, v0y, v1x, v1y, u0x, u0y, u1x, u1y, u2x, u2y):
    ax, ay = v1x - v0x, v1y - v0y
    return (_segments_cross(ax, ay, v0x, v0y, u0x, u0y, u1x, u1y)
            or _segments_cross(ax, ay, v0x, v0y, u1x, u1y, u2x, u2y)
            or _segments_cross(ax, ay, v0x, v0y, u2x, u2y, u0x, u0y))


def _side(px, py, ax, ay, bx, by):
    """Which side of the line a->b the point p lies (the sign; 0 on the line)."""
    a = by - ay
    b = -(bx - ax)
    return a * px + b * py + (-a * ax - b * ay)


def _point_in_triangle(px, py, u0x, u0y, u1x, u1y, u2x, u2y):
    d0 = _side(px, py, u0x, u0y, u1x, u1y)
    d1 = _side(px, py, u1x, u1y, u2x, u2y)
    d2 = _side(px, py, u2x, u2y, u0x, u0y)
    return d0 * d1 > 0.0 and d0 * d2 > 0.0


for _helper in (_interval, _segments_cross, _edge_crosses_triangle, _side,
                _point_in_triangle):
    jitable(_helper, strict=False)


def _coplanar(n, v0, v1, v2, u0, u1, u2):
    """The 2-D test of two coplanar triangles with normal n: projected onto the coordinate
    plane where their area is largest, does an edge of one cross an edge of the other, or
    does one contain a vertex of the other."""


@implements(_coplanar)
def _ol_coplanar(n, v0, v1, v2, u0, u1, u2):
    def impl(n, v0, v1, v2, u0, u1, u2):
        ax, ay, az = abs(n[0]), abs(n[1]), abs(n[2])
        i0, i1 = 0, 1  # drop the axis of n's largest component (ties: z, then y)
        if ax > ay:
            if ax > az:
                i0, i1 = 1, 2
        elif not az > ay:
            i0, i1 = 0, 2
        v0x, v0y, v1x, v1y, v2x, v2y = v0[i0], v0[i1], v1[i0], v1[i1], v2[i0], v2[i1]
        u0x, u0y, u1x, u1y, u2x, u2y = u0[i0], u0[i1], u1[i0], u1[i1], u2[i0], u2[i1]
        if (_edge_crosses_triangle(v0x, v0y, v1x, v1y, u0x, u0y, u1x, u1y, u2x, u2y)
                or _edge_crosses_triangle(v1x, v1y, v2x, v2y, u0x, u0y, u1x, u1y, u2x, u2y)
                or _edge_crosses_triangle(v2x, v2y, v0x, v0y, u0x, u0y, u1x, u1y, u2x,
                                          u2y)):
            return _ONE
        if _point_in_triangle(v0x, v0y, u0x, u0y, u1x, u1y, u2x, u2y):
            return _ONE
        if _point_in_triangle(u0x, u0y, v0x, v0y, v1x, v1y, v2x, v2y):
            return _ONE
        return _ZERO

    return impl


@implements(intersect_tri_tri)
def _ol_intersect_tri_tri(v0, v1, v2, u0, u1, u2):
    if _float_vec3(v0) and v0 == v1 == v2 == u0 == u1 == u2:
        def impl(v0, v1, v2, u0, u1, u2):
            n1 = cross(v1 - v0, v2 - v0)
            du0, du1, du2 = _plane_distances(n1, v0, u0, u1, u2)
            if du0 * du1 > 0.0 and du0 * du2 > 0.0:  # u entirely on one side of v's plane
                return _ZERO
            n2 = cross(u1 - u0, u2 - u0)
            dv0, dv1, dv2 = _plane_distances(n2, u0, v0, v1, v2)
            if dv0 * dv1 > 0.0 and dv0 * dv2 > 0.0:
                return _ZERO
            line = cross(n1, n2)
            k = 0  # the axis of the line direction's largest component
            big = abs(line[0])
            if abs(line[1]) > big:
                big, k = abs(line[1]), 1
            if abs(line[2]) > big:
                k = 2
            ok, a, b, c, x0, x1 = _interval(v0[k], v1[k], v2[k], dv0, dv1, dv2)
            if not ok:
                return _coplanar(n1, v0, v1, v2, u0, u1, u2)
            ok, d, e, f, y0, y1 = _interval(u0[k], u1[k], u2[k], du0, du1, du2)
            if not ok:
                return _coplanar(n1, v0, v1, v2, u0, u1, u2)
            # the intervals' ends, all scaled by x0 x1 y0 y1 (no division)
            xx, yy = x0 * x1, y0 * y1
            xxyy = xx * yy
            s0, s1 = a * xxyy + b * x1 * yy, a * xxyy + c * x0 * yy
            r0, r1 = d * xxyy + e * xx * y1, d * xxyy + f * xx * y0
            lo1, hi1 = min(s0, s1), max(s0, s1)
            lo2, hi2 = min(r0, r1), max(r0, r1)
            return _ZERO if (hi1 < lo2 or hi2 < lo1) else _ONE

        return impl


nondifferentiable(intersect_tri_tri)
