"""Triangle geometry for the mesh queries (``mesh_ops``, ``mesh_queries``): closest point,
ray intersection, solid angle, and the derivatives their adjoints need.

Points are 3-tuples of float32 here (the queries unpack ``wp.vec3`` values once), and every
constant is a float32, so the arithmetic is Warp's single precision. The formulas follow
the methods Warp 1.19 uses, so that queries agree with Warp's to the last bit in all but
rounding ties:

* closest point: the Voronoi-region walk of Ericson's *Real-Time Collision Detection*
  (5.1.5), returning barycentric weights ``(u, v)`` of vertices ``a`` and ``b``
  (``w = 1 - u - v`` weighs ``c``);
* ray-triangle: the watertight test of Woop, Benthin and Wald (JCGT 2013) with Warp's
  conventions: ``u``, ``v`` weigh ``a`` and ``b``, ``sign`` is the determinant (negative
  when the ray meets the triangle's back, i.e. its winding is clockwise seen from the
  ray's origin), edges shared by two triangles are hit exactly once;
* solid angle: Van Oosterom and Strackee's formula.

Derivatives: with ``h = start + t * dir = u a + v b + w c`` the hit point,
``(t, u, v)`` solves ``[-dir, a - c, b - c] (t, u, v) = start - c``; so for output
adjoints ``g = M^-T (adj_t, adj_u, adj_v)`` the inputs' adjoints are ``start: g``,
``dir: t g``, ``a: -u g``, ``b: -v g``, ``c: -w g`` (:func:`ray_hit_adjoint`). The
closest point's ``(u, v)`` depend on the query point inside a face (the projection's
barycentric coordinates) or along an edge, and not at a vertex
(:func:`closest_point_adjoint`).
"""

from __future__ import annotations

import math

import numpy as np
from llvmlite import ir
from numba.core import cgutils, types
from numba.extending import intrinsic

from .builtin import jitable

__all__ = [
    "closest_point_adjoint",
    "closest_point_to_triangle",
    "is_sliver",
    "ray_hit_adjoint",
    "ray_triangle",
    "solid_angle",
]

_F32 = np.float32
_ZERO = _F32(0.0)
_ONE = _F32(1.0)


@intrinsic
def fma(typingctx, a, b, c):
    """``a * b + c`` rounded once (float32)."""
    if not all(t == types.float32 for t in (a, b, c)):
        return None

    def codegen(context, builder, sig, args):
        fn = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.FloatType(), [ir.FloatType()] * 3),
            "llvm.fma.f32")
        return builder.call(fn, args)

    return types.float32(a, b, c), codegen


# -- tuple vectors --------------------------------------------------------------------------------

@jitable
def sub(a, b):
    return (a[0] - b[0], a[1] - b[1], a[2] - b[2])


@jitable
def add(a, b):
    return (a[0] + b[0], a[1] + b[1], a[2] + b[2])


@jitable
def scale(a, s):
    return (a[0] * s, a[1] * s, a[2] * s)


@jitable
def dot(a, b):
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


@jitable
def cross(a, b):
    return (a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0])


@jitable
def length(a):
    return math.sqrt(dot(a, a))


@jitable
def normalize(a):
    n = length(a)
    if n > _ZERO:
        return scale(a, _ONE / n)
    return (_ZERO, _ZERO, _ZERO)


@jitable
def weighted(a, b, c, u, v):
    """``u a + v b + (1 - u - v) c``, as Warp evaluates it."""
    w = _ONE - u - v
    return (u * a[0] + v * b[0] + w * c[0], u * a[1] + v * b[1] + w * c[1],
            u * a[2] + v * b[2] + w * c[2])


@jitable
def as_tuple(v):
    return (_F32(v[0]), _F32(v[1]), _F32(v[2]))


# -- closest point --------------------------------------------------------------------------------

@jitable
def closest_point_to_triangle(a, b, c, p):
    """Barycentric weights ``(u, v)`` of ``a`` and ``b`` of the point of the triangle
    closest to ``p``, and the region it lies in (0: a vertex, 1: edge ab, 2: edge ac,
    3: edge bc, 4: the face)."""
    ab = sub(b, a)
    ac = sub(c, a)
    ap = sub(p, a)
    d1 = dot(ab, ap)
    d2 = dot(ac, ap)
    if d1 <= _ZERO and d2 <= _ZERO:
        return _ONE, _ZERO, 0
    bp = sub(p, b)
    d3 = dot(ab, bp)
    d4 = dot(ac, bp)
    if d3 >= _ZERO and d4 <= d3:
        return _ZERO, _ONE, 0
    vc = d1 * d4 - d3 * d2
    if vc <= _ZERO and d1 >= _ZERO and d3 <= _ZERO:
        v = d1 / (d1 - d3)
        return _ONE - v, v, 1
    cp = sub(p, c)
    d5 = dot(ab, cp)
    d6 = dot(ac, cp)
    if d6 >= _ZERO and d5 <= d6:
        return _ZERO, _ZERO, 0
    vb = d5 * d2 - d1 * d6
    if vb <= _ZERO and d2 >= _ZERO and d6 <= _ZERO:
        w = d2 / (d2 - d6)
        return _ONE - w, _ZERO, 2
    va = d3 * d6 - d5 * d4
    if va <= _ZERO and (d4 - d3) >= _ZERO and (d5 - d6) >= _ZERO:
        w = (d4 - d3) / ((d4 - d3) + (d5 - d6))
        v = _ONE - w
        return _ONE - v - w, v, 3
    denom = _ONE / (va + vb + vc)
    v = vb * denom
    w = vc * denom
    return _ONE - v - w, v, 4


@jitable
def is_sliver(a, b, c):
    """Warp skips (nearly) degenerate triangles in closest-point searches."""
    e0 = sub(b, a)
    e1 = sub(c, a)
    e2 = sub(c, b)
    return length(cross(e0, e1)) / (dot(e0, e0) + dot(e1, e1) + dot(e2, e2)) < _F32(1.0e-6)


@jitable
def closest_point_adjoint(a, b, c, p, region, adj_u, adj_v):
    """The adjoint of the query point ``p`` from those of the closest point's ``(u, v)``
    (the closest point's own dependence on the vertices is not propagated, as in Warp)."""
    if region == 0:
        return (_ZERO, _ZERO, _ZERO)
    if region == 1:  # v = |ab . (p - a)| / |ab|^2, u = 1 - v
        e = sub(b, a)
        return scale(e, (adj_v - adj_u) / dot(e, e))
    if region == 2:  # w along ac, u = 1 - w, v = 0
        e = sub(c, a)
        return scale(e, -adj_u / dot(e, e))
    if region == 3:  # w along bc from b, v = 1 - w, u = 0
        e = sub(c, b)
        return scale(e, -adj_v / dot(e, e))
    n = cross(sub(b, a), sub(c, a))
    nn = dot(n, n)
    du = scale(cross(n, sub(c, b)), _ONE / nn)
    dv = scale(cross(n, sub(a, c)), _ONE / nn)
    return add(scale(du, adj_u), scale(dv, adj_v))


# -- ray ------------------------------------------------------------------------------------------

@jitable
def _diff_product(a, b, c, d):
    """``a * b - c * d`` with the rounding error of ``c * d`` compensated (two FMAs)."""
    cd = c * d
    return fma(a, b, -cd) + fma(-c, d, cd)


@jitable
def _axis_order(dir):
    kz = 0
    m = abs(dir[0])
    if abs(dir[1]) > m:
        kz = 1
        m = abs(dir[1])
    if abs(dir[2]) > m:
        kz = 2
    kx = (kz + 1) % 3
    ky = (kx + 1) % 3
    if dir[kz] < _ZERO:
        kx, ky = ky, kx
    return kx, ky, kz


@jitable
def _sheared(q, kx, ky, kz, sx, sy):
    return q[kx] - sx * q[kz], q[ky] - sy * q[kz]


@jitable
def ray_triangle(p, dir, a, b, c):
    """``(hit, t, u, v, det)`` of the ray ``p + t dir`` and the triangle (any ``t``)."""
    kx, ky, kz = _axis_order(dir)
    sx = dir[kx] / dir[kz]
    sy = dir[ky] / dir[kz]
    sz = _ONE / dir[kz]
    pa = sub(a, p)
    pb = sub(b, p)
    pc = sub(c, p)
    ax, ay = _sheared(pa, kx, ky, kz, sx, sy)
    bx, by = _sheared(pb, kx, ky, kz, sx, sy)
    cx, cy = _sheared(pc, kx, ky, kz, sx, sy)
    u = _diff_product(cx, by, cy, bx)
    v = _diff_product(ax, cy, ay, cx)
    w = _diff_product(bx, ay, by, ax)
    if u == _ZERO or v == _ZERO or w == _ZERO:  # on an edge: decide in double precision
        u = _F32(np.float64(cx) * np.float64(by) - np.float64(cy) * np.float64(bx))
        v = _F32(np.float64(ax) * np.float64(cy) - np.float64(ay) * np.float64(cx))
        w = _F32(np.float64(bx) * np.float64(ay) - np.float64(by) * np.float64(ax))
    if (u < _ZERO or v < _ZERO or w < _ZERO) and (u > _ZERO or v > _ZERO or w > _ZERO):
        return False, _ZERO, _ZERO, _ZERO, _ZERO
    det = u + v + w
    if det == _ZERO:
        return False, _ZERO, _ZERO, _ZERO, _ZERO
    tt = u * (sz * pa[kz]) + v * (sz * pb[kz]) + w * (sz * pc[kz])
    if (tt < _ZERO and det > _ZERO) or (tt > _ZERO and det < _ZERO):
        return False, _ZERO, _ZERO, _ZERO, _ZERO
    inv = _ONE / det
    return True, tt * inv, u * inv, v * inv, det


@jitable
def _solve_transposed(m0, m1, m2, y):
    """``M^-T y`` for the matrix with columns ``m0, m1, m2``."""
    c12 = cross(m1, m2)
    c20 = cross(m2, m0)
    c01 = cross(m0, m1)
    det = dot(m0, c12)
    if det == _ZERO:
        return (_ZERO, _ZERO, _ZERO)
    inv = _ONE / det
    return scale(add(add(scale(c12, y[0]), scale(c20, y[1])), scale(c01, y[2])), inv)


@jitable
def ray_hit_adjoint(dir, a, b, c, t, u, v, adj_t, adj_u, adj_v):
    """Adjoints ``(start, dir, a, b, c)`` of a hit's ``(t, u, v)`` (see the module
    docstring)."""
    g = _solve_transposed(scale(dir, -_ONE), sub(a, c), sub(b, c), (adj_t, adj_u, adj_v))
    w = _ONE - u - v
    return g, scale(g, t), scale(g, -u), scale(g, -v), scale(g, -w)


# -- solid angle ----------------------------------------------------------------------------------

@jitable
def solid_angle(a, b, c, p):
    """The signed solid angle of the triangle seen from ``p`` (positive from the side its
    counter-clockwise winding faces away from)."""
    qa = sub(a, p)
    qb = sub(b, p)
    qc = sub(c, p)
    la = length(qa)
    lb = length(qb)
    lc = length(qc)
    if la == _ZERO or lb == _ZERO or lc == _ZERO:
        return _ZERO
    qa = scale(qa, _ONE / la)
    qb = scale(qb, _ONE / lb)
    qc = scale(qc, _ONE / lc)
    num = dot(qa, cross(sub(qb, qa), sub(qc, qa)))
    if num == _ZERO:
        return _ZERO
    den = _ONE + dot(qa, qb) + dot(qa, qc) + dot(qb, qc)
    return _F32(2.0) * math.atan2(num, den)
