"""Closest-point and ray queries on a ``wp.Mesh`` in kernels, with Warp 1.19's meaning:
``mesh_query_point`` (sign by three axis rays), ``mesh_query_point_no_sign``,
``mesh_query_point_sign_normal`` (angle-weighted pseudo-normal),
``mesh_query_point_sign_winding_number``, ``mesh_query_point_sign_parity``,
``mesh_query_furthest_point_no_sign``, ``mesh_query_ray``, ``mesh_query_ray_anyhit`` and
``mesh_query_ray_count_intersections``.

The traversals keep a stack (``bvh_ops.STACK_SIZE`` slots of the thread's own stack) and
visit the nearer child first, pruning by the best distance found so far. Results are
Warp's structs as named tuples: ``MeshQueryPoint(result, sign, face, u, v)`` and
``MeshQueryRay(result, sign, face, t, u, v, normal)``; a query that finds nothing
returns ``result=False`` and zeros. ``sign`` is negative inside the mesh. Triangles that
are slivers (area tiny against their edges) are skipped by the closest-point searches,
as in Warp.

Winding numbers: a node far enough from the query point (distance > ``accuracy`` times
the node's radius) contributes the solid angle of its area-weighted normal seen from
there (a dipole: the first term of Barill et al.'s expansion; Warp adds two more terms,
so values differ slightly far from the surface, never in sign for points outside a
band of a few percent of the mesh's size around it); leaves contribute exactly. A mesh
built without ``support_winding_number`` falls back to the ray-voting sign, as in Warp.
The gradients and Warp's older output-argument forms are in ``mesh_query_forms``.
"""

from __future__ import annotations

import collections
import math

import numpy as np
from numba.core import types

from ..typing.vec import vector_class
from .builtin import implements, inline_on_cpu, is_float, is_int, jitable
from .bvh_ops import (
    SLOT_NODES,
    STACK_SIZE,
    box_distance_sq,
    node_code,
    node_escape,
    node_record,
    ray_box,
    ray_box_robust,
    slot,
    start_node,
)
from .handles import load_at, stack_alloca, store_at
from .mesh_ops import SLOT_EDGE, SLOT_WINDING, mesh_arrays, triangle, triangle_at
from .random_ops import pcg, uniform_next
from .triangle_ops import (
    closest_point_to_triangle,
    cross,
    dot,
    is_sliver,
    normalize,
    ray_triangle,
    scale,
    solid_angle,
    sub,
    weighted,
)

__all__ = [
    "MeshQueryPoint",
    "MeshQueryRay",
    "mesh_query_furthest_point_no_sign",
    "mesh_query_point",
    "mesh_query_point_no_sign",
    "mesh_query_point_sign_normal",
    "mesh_query_point_sign_parity",
    "mesh_query_point_sign_winding_number",
    "mesh_query_ray",
    "mesh_query_ray_anyhit",
    "mesh_query_ray_count_intersections",
]

_F32 = np.float32
_ZERO = _F32(0.0)
_ONE = _F32(1.0)
_BIG = _F32(3.4028234663852886e38)
_VEC3 = vector_class(3, types.float32)
_PROP_WORDS = 8
_ENTRY_SLOTS = 2 * STACK_SIZE  # a stack of (code, key) entries

MeshQueryPoint = collections.namedtuple("MeshQueryPoint", ("result", "sign", "face", "u", "v"))
MeshQueryRay = collections.namedtuple("MeshQueryRay", ("result", "sign", "face", "t", "u", "v",
                                                       "normal"))
MeshQueryPoint.__doc__ = """What the closest-point queries (:func:`mesh_query_point` and its
    variants) return (Warp's ``wp.MeshQueryPoint``): ``result`` (a face was found within
    ``max_dist``), ``sign`` (-1 inside the mesh, 1 outside, 0 without a sign), ``face`` and
    the barycentric ``u``, ``v`` of the closest point on it (pass them to
    :func:`mesh_eval_position`).

    Example
    -------
    >>> points = wp.array([(0, 0, 0), (1, 0, 0), (0, 1, 0), (0, 0, 1)], dtype=wp.vec3)
    >>> mesh = wp.Mesh(points, wp.array([0, 2, 1, 0, 1, 3, 0, 3, 2, 1, 2, 3], dtype=wp.int32))
    >>> @wp.kernel
    ... def probe(mesh: wp.uint64, x: wp.vec3, out: wp.array(dtype=wp.vec4)):
    ...     q = wp.mesh_query_point(mesh, x, 10.0)  # a wp.MeshQueryPoint
    ...     if q.result:  # found a face within max_dist
    ...         out[0] = wp.vec4(q.sign, float(q.face), q.u, q.v)
    >>> out = wp.zeros(1, dtype=wp.vec4)
    >>> wp.launch(probe, 1, inputs=[mesh.id, wp.vec3(0.2, 0.3, -1.0), out])
    >>> print(np.round(out.numpy(), 4))  # outside, face 0, at 0.5 p0 + 0.3 p1 + 0.2 p2
    [[1.  0.  0.5 0.3]]
    """
MeshQueryRay.__doc__ = """What :func:`mesh_query_ray` returns (Warp's ``wp.MeshQueryRay``):
    ``result`` (a hit was found), ``sign`` (1 when the ray hits a face's front, -1 its back),
    ``face``, ``t`` (the hit is ``start + t * dir``), the barycentric ``u``, ``v`` of the
    hit on the face and the face's unit ``normal``.

    Example
    -------
    >>> points = wp.array([(0, 0, 0), (1, 0, 0), (0, 1, 0), (0, 0, 1)], dtype=wp.vec3)
    >>> mesh = wp.Mesh(points, wp.array([0, 2, 1, 0, 1, 3, 0, 3, 2, 1, 2, 3], dtype=wp.int32))
    >>> @wp.kernel
    ... def cast(mesh: wp.uint64, start: wp.vec3, dir: wp.vec3, out: wp.array(dtype=wp.vec3)):
    ...     hit = wp.mesh_query_ray(mesh, start, dir, 10.0)  # a wp.MeshQueryRay
    ...     if hit.result:
    ...         out[0] = wp.vec3(hit.t, float(hit.face), hit.sign)
    ...         out[1] = hit.normal
    >>> out = wp.zeros(2, dtype=wp.vec3)
    >>> wp.launch(cast, 1, inputs=[mesh.id, wp.vec3(0.2, 0.3, -1.0), wp.vec3(0.0, 0.0, 1.0), out])
    >>> print(np.round(out.numpy(), 4) + 0.0)  # face 0 at t = 1, hit from outside; normal -z
    [[ 1.  0.  1.]
     [ 0.  0. -1.]]
    """


def _kernel_only(name):
    raise RuntimeError(f"wp.{name}() can only be called inside a kernel or function")


def mesh_query_point(id, point, max_dist):
    """The closest point of the mesh to ``point`` within ``max_dist``; its sign from three
    axis-aligned rays' closest hits (a majority vote).

    Example
    -------
    >>> points = wp.array([(0, 0, 0), (1, 0, 0), (0, 1, 0), (0, 0, 1)], dtype=wp.vec3)
    >>> mesh = wp.Mesh(points, wp.array([0, 2, 1, 0, 1, 3, 0, 3, 2, 1, 2, 3], dtype=wp.int32))
    >>> @wp.kernel
    ... def closest_signed(mesh: wp.uint64, xs: wp.array(dtype=wp.vec3),
    ...                    out: wp.array(dtype=wp.vec4)):
    ...     i = wp.tid()
    ...     q = wp.mesh_query_point(mesh, xs[i], 10.0)  # a wp.MeshQueryPoint
    ...     if q.result:
    ...         p = wp.mesh_eval_position(mesh, q.face, q.u, q.v)
    ...         out[i] = wp.vec4(p[0], p[1], p[2], q.sign)
    >>> xs = wp.array([(0.2, 0.2, -1.0), (2.0, 2.0, 2.0), (0.1, 0.2, 0.3)], dtype=wp.vec3)
    >>> out = wp.zeros(3, dtype=wp.vec4)
    >>> wp.launch(closest_signed, 3, inputs=[mesh.id, xs, out])
    >>> print(np.round(out.numpy(), 4))  # closest points, and sign -1 inside the mesh
    [[ 0.2     0.2     0.      1.    ]
     [ 0.3333  0.3333  0.3333  1.    ]
     [ 0.      0.2     0.3    -1.    ]]
    """
    _kernel_only("mesh_query_point")


def mesh_query_point_no_sign(id, point, max_dist):
    """The closest point of the mesh to ``point`` within ``max_dist``, without a sign.

    Example
    -------
    >>> points = wp.array([(0, 0, 0), (1, 0, 0), (0, 1, 0), (0, 0, 1)], dtype=wp.vec3)
    >>> mesh = wp.Mesh(points, wp.array([0, 2, 1, 0, 1, 3, 0, 3, 2, 1, 2, 3], dtype=wp.int32))
    >>> @wp.kernel
    ... def distance(mesh: wp.uint64, xs: wp.array(dtype=wp.vec3), out: wp.array(dtype=float)):
    ...     i = wp.tid()
    ...     q = wp.mesh_query_point_no_sign(mesh, xs[i], 5.0)
    ...     out[i] = -1.0  # nothing within 5.0
    ...     if q.result:
    ...         out[i] = wp.length(xs[i] - wp.mesh_eval_position(mesh, q.face, q.u, q.v))
    >>> xs = wp.array([(0.2, 0.2, -1.0), (2.0, 2.0, 2.0), (9.0, 9.0, 9.0)], dtype=wp.vec3)
    >>> out = wp.zeros(3, dtype=float)
    >>> wp.launch(distance, 3, inputs=[mesh.id, xs, out])
    >>> print(np.round(out.numpy(), 4))  # the third point is farther than max_dist
    [ 1.      2.8868 -1.    ]
    """
    _kernel_only("mesh_query_point_no_sign")


def mesh_query_point_sign_normal(id, point, max_dist, epsilon=1.0e-3):
    """The closest point, signed by the angle-weighted pseudo-normal (``epsilon=1e-3``:
    features within that fraction of the average edge length count as equally close).

    Example
    -------
    >>> points = wp.array([(0, 0, 0), (1, 0, 0), (0, 1, 0), (0, 0, 1)], dtype=wp.vec3)
    >>> mesh = wp.Mesh(points, wp.array([0, 2, 1, 0, 1, 3, 0, 3, 2, 1, 2, 3], dtype=wp.int32))
    >>> @wp.kernel
    ... def side(mesh: wp.uint64, xs: wp.array(dtype=wp.vec3), sign: wp.array(dtype=float)):
    ...     i = wp.tid()
    ...     sign[i] = wp.mesh_query_point_sign_normal(mesh, xs[i], 10.0).sign
    >>> xs = wp.array([(0.1, 0.2, 0.3), (2.0, 2.0, 2.0), (-0.5, -0.5, -0.5)], dtype=wp.vec3)
    >>> sign = wp.zeros(3, dtype=float)
    >>> wp.launch(side, 3, inputs=[mesh.id, xs, sign])
    >>> print(sign.numpy())  # -1 inside, 1 outside (the last point is closest to vertex 0)
    [-1.  1.  1.]
    """
    _kernel_only("mesh_query_point_sign_normal")


def mesh_query_point_sign_winding_number(id, point, max_dist, accuracy=2.0, threshold=0.5):
    """The closest point, signed by the winding number (``accuracy=2.0``,
    ``threshold=0.5``; needs ``support_winding_number=True``).

    Example
    -------
    >>> points = wp.array([(0, 0, 0), (1, 0, 0), (0, 1, 0), (0, 0, 1)], dtype=wp.vec3)
    >>> indices = wp.array([0, 2, 1, 0, 1, 3, 0, 3, 2, 1, 2, 3], dtype=wp.int32)
    >>> mesh = wp.Mesh(points, indices, support_winding_number=True)
    >>> @wp.kernel
    ... def side(mesh: wp.uint64, xs: wp.array(dtype=wp.vec3), sign: wp.array(dtype=float)):
    ...     i = wp.tid()
    ...     sign[i] = wp.mesh_query_point_sign_winding_number(mesh, xs[i], 10.0).sign
    >>> xs = wp.array([(0.1, 0.2, 0.3), (2.0, 2.0, 2.0), (-0.5, -0.5, -0.5)], dtype=wp.vec3)
    >>> sign = wp.zeros(3, dtype=float)
    >>> wp.launch(side, 3, inputs=[mesh.id, xs, sign])
    >>> print(sign.numpy())  # -1 inside (winding number 1), 1 outside (0)
    [-1.  1.  1.]
    """
    _kernel_only("mesh_query_point_sign_winding_number")


def mesh_query_point_sign_parity(id, point, max_dist, n_sample=1, perturbation_scale=0.1):
    """The closest point, signed by the parity of ``n_sample`` rays' crossings.

    Example
    -------
    >>> points = wp.array([(0, 0, 0), (1, 0, 0), (0, 1, 0), (0, 0, 1)], dtype=wp.vec3)
    >>> mesh = wp.Mesh(points, wp.array([0, 2, 1, 0, 1, 3, 0, 3, 2, 1, 2, 3], dtype=wp.int32))
    >>> @wp.kernel
    ... def side(mesh: wp.uint64, xs: wp.array(dtype=wp.vec3), sign: wp.array(dtype=float)):
    ...     i = wp.tid()
    ...     sign[i] = wp.mesh_query_point_sign_parity(mesh, xs[i], 10.0).sign
    >>> xs = wp.array([(0.1, 0.2, 0.3), (2.0, 2.0, 2.0), (-0.5, -0.5, -0.5)], dtype=wp.vec3)
    >>> sign = wp.zeros(3, dtype=float)
    >>> wp.launch(side, 3, inputs=[mesh.id, xs, sign])
    >>> print(sign.numpy())  # -1 inside (an odd number of crossings), 1 outside
    [-1.  1.  1.]
    """
    _kernel_only("mesh_query_point_sign_parity")


def mesh_query_furthest_point_no_sign(id, point, min_dist):
    """The furthest point of the mesh from ``point``, farther than ``min_dist``.

    Example
    -------
    >>> points = wp.array([(0, 0, 0), (1, 0, 0), (0, 1, 0), (0, 0, 1)], dtype=wp.vec3)
    >>> mesh = wp.Mesh(points, wp.array([0, 2, 1, 0, 1, 3, 0, 3, 2, 1, 2, 3], dtype=wp.int32))
    >>> @wp.kernel
    ... def furthest(mesh: wp.uint64, x: wp.vec3, out: wp.array(dtype=wp.vec3)):
    ...     q = wp.mesh_query_furthest_point_no_sign(mesh, x, 0.0)
    ...     if q.result:
    ...         out[0] = wp.mesh_eval_position(mesh, q.face, q.u, q.v)
    >>> out = wp.zeros(1, dtype=wp.vec3)
    >>> wp.launch(furthest, 1, inputs=[mesh.id, wp.vec3(0.1, 0.1, -1.0), out])
    >>> print(np.round(out.numpy(), 4))  # vertex 3, 2.005 away
    [[0. 0. 1.]]
    """
    _kernel_only("mesh_query_furthest_point_no_sign")


def mesh_query_ray(id, start, dir, max_t, root=-1):
    """The closest hit of the ray ``start + t dir`` with ``0 <= t < max_t``.

    Example
    -------
    >>> points = wp.array([(0, 0, 0), (1, 0, 0), (0, 1, 0), (0, 0, 1)], dtype=wp.vec3)
    >>> mesh = wp.Mesh(points, wp.array([0, 2, 1, 0, 1, 3, 0, 3, 2, 1, 2, 3], dtype=wp.int32))
    >>> @wp.kernel
    ... def cast(mesh: wp.uint64, start: wp.vec3, dir: wp.vec3, out: wp.array(dtype=wp.vec3)):
    ...     hit = wp.mesh_query_ray(mesh, start, dir, 10.0)  # a wp.MeshQueryRay
    ...     if hit.result:
    ...         out[0] = wp.vec3(hit.t, float(hit.face), hit.sign)
    ...         out[1] = hit.normal
    >>> out = wp.zeros(2, dtype=wp.vec3)
    >>> wp.launch(cast, 1, inputs=[mesh.id, wp.vec3(0.2, 0.2, 1.0), wp.vec3(0.0, 0.0, -1.0), out])
    >>> print(np.round(out.numpy(), 4))  # face 3 (x + y + z = 1) at t = 0.4, from outside
    [[0.4    3.     1.    ]
     [0.5774 0.5774 0.5774]]
    """
    _kernel_only("mesh_query_ray")


def mesh_query_ray_anyhit(id, start, dir, max_t, root=-1):
    """Whether the ray hits the mesh with ``0 <= t < max_t``.

    Example
    -------
    >>> points = wp.array([(0, 0, 0), (1, 0, 0), (0, 1, 0), (0, 0, 1)], dtype=wp.vec3)
    >>> mesh = wp.Mesh(points, wp.array([0, 2, 1, 0, 1, 3, 0, 3, 2, 1, 2, 3], dtype=wp.int32))
    >>> @wp.kernel
    ... def blocked(mesh: wp.uint64, start: wp.vec3, ends: wp.array(dtype=wp.vec3),
    ...             out: wp.array(dtype=int)):
    ...     i = wp.tid()  # a hit on the segment start -> ends[i] (t < 1)
    ...     out[i] = int(wp.mesh_query_ray_anyhit(mesh, start, ends[i] - start, 1.0))
    >>> ends = wp.array([(0.2, 0.2, 1.0), (0.2, 0.2, -0.5), (2.0, 0.0, -1.0)], dtype=wp.vec3)
    >>> out = wp.zeros(3, dtype=int)
    >>> wp.launch(blocked, 3, inputs=[mesh.id, wp.vec3(0.2, 0.2, -1.0), ends, out])
    >>> print(out.numpy())  # only the first segment reaches the tetrahedron
    [1 0 0]
    """
    _kernel_only("mesh_query_ray_anyhit")


def mesh_query_ray_count_intersections(id, start, dir, root=-1):
    """How many faces the ray crosses at ``t >= 0``.

    Example
    -------
    >>> points = wp.array([(0, 0, 0), (1, 0, 0), (0, 1, 0), (0, 0, 1)], dtype=wp.vec3)
    >>> mesh = wp.Mesh(points, wp.array([0, 2, 1, 0, 1, 3, 0, 3, 2, 1, 2, 3], dtype=wp.int32))
    >>> @wp.kernel
    ... def crossings(mesh: wp.uint64, starts: wp.array(dtype=wp.vec3), out: wp.array(dtype=int)):
    ...     i = wp.tid()
    ...     out[i] = wp.mesh_query_ray_count_intersections(mesh, starts[i], wp.vec3(0.0, 0.0, 1.0))
    >>> starts = wp.array([(0.2, 0.2, -1.0), (0.2, 0.2, 0.3), (0.2, 0.2, 2.0)], dtype=wp.vec3)
    >>> out = wp.zeros(3, dtype=int)
    >>> wp.launch(crossings, 3, inputs=[mesh.id, starts, out])
    >>> print(out.numpy())  # up the z axis: from below, from inside, from above
    [2 1 0]
    """
    _kernel_only("mesh_query_ray_count_intersections")


# -- stack ----------------------------------------------------------------------------------------

@jitable
def _push(stack, count, node):
    store_at(stack, count, np.int32(node))
    return count + 1


@jitable
def _pop(stack, count):
    count -= 1
    return count, np.int64(load_at(stack, count, np.int32(0)))


@jitable
def _push_entry(stack, count, code, key):
    """Push a node as its code and its key (a distance), two slots of a stack made with
    ``stack_alloca(_ENTRY_SLOTS)``: popping it then needs no load of its record."""
    store_at(stack, 2 * count, np.int32(code))
    store_at(stack, 2 * count + 1, _F32(key))
    return count + 1


@jitable
def _pop_entry(stack, count):
    """(count, code, key) of the top entry (see ``_push_entry``)."""
    count -= 1
    return count, np.int64(load_at(stack, 2 * count, np.int32(0))), \
        load_at(stack, 2 * count + 1, _ZERO)


@jitable
def _child_records(nodes, code):
    """The records of the two children of an internal node whose code is ``code``."""
    left = node_record(nodes, code)
    return left, node_record(nodes, left[7])


@jitable
def _box(r):
    """The box ``(lx, ly, lz, hx, hy, hz)`` of a node record."""
    return r[0], r[1], r[2], r[4], r[5], r[6]


@jitable
def _children(nodes, code):
    """(left, right, their records) of an internal node whose code is ``code``."""
    left = node_record(nodes, code)
    right = node_record(nodes, left[7])
    return code, np.int64(left[7]), left, right


# -- closest and furthest points ------------------------------------------------------------------

@jitable
def _dist_sq(a, b):
    d = sub(a, b)
    return dot(d, d)


@jitable
def closest_face(mesh, p, max_dist):
    """``(found, face, u, v)`` of the closest non-sliver face within ``max_dist``."""
    nodes = slot(mesh, SLOT_NODES)
    arrs = mesh_arrays(mesh)
    limit = _F32(max_dist) * _F32(max_dist)
    best = limit
    face = np.int64(0)
    bv = _ZERO
    bw = _ZERO
    if nodes == 0:
        return False, np.int32(0), _ZERO, _ZERO
    stack = stack_alloca(_ENTRY_SLOTS)
    root = node_record(nodes, 0)
    count = _push_entry(stack, 0, root[3], box_distance_sq(p, *_box(root)))
    while count > 0:
        count, code, key = _pop_entry(stack, count)
        if key > best:
            continue
        if code < 0:
            f = -code - 1
            a, b, c = triangle_at(arrs, f)
            if is_sliver(a, b, c):
                continue
            u, v, _region = closest_point_to_triangle(a, b, c, p)
            d = _dist_sq(weighted(a, b, c, u, v), p)
            if d < best:
                best, face, bv, bw = d, f, v, _ONE - u - v
            continue
        lrec, rrec = _child_records(nodes, code)
        dl = box_distance_sq(p, *_box(lrec))
        dr = box_distance_sq(p, *_box(rrec))
        near, far, dnear, dfar = (lrec[3], rrec[3], dl, dr) if dl < dr else \
            (rrec[3], lrec[3], dr, dl)
        if dfar < best:
            count = _push_entry(stack, count, far, dfar)
        if dnear < best:
            count = _push_entry(stack, count, near, dnear)
    if best < limit:
        return True, np.int32(face), _ONE - bv - bw, bv
    return False, np.int32(0), _ZERO, _ZERO


@jitable
def _furthest_box_sq(p, lx, ly, lz, hx, hy, hz):
    dx = max(abs(p[0] - lx), abs(p[0] - hx))
    dy = max(abs(p[1] - ly), abs(p[1] - hy))
    dz = max(abs(p[2] - lz), abs(p[2] - hz))
    return dx * dx + dy * dy + dz * dz


@jitable
def _furthest_vertex(a, b, c, p):
    da, db, dc = _dist_sq(p, a), _dist_sq(p, b), _dist_sq(p, c)
    if da > db and da > dc:
        return _ONE, _ZERO
    if db > dc:
        return _ZERO, _ONE
    return _ZERO, _ZERO


@jitable
def furthest_face(mesh, p, min_dist):
    """``(found, face, u, v)`` of the furthest point (a vertex) farther than ``min_dist``."""
    nodes = slot(mesh, SLOT_NODES)
    arrs = mesh_arrays(mesh)
    limit = _F32(min_dist) * _F32(min_dist)
    best = limit
    face = np.int64(0)
    bv = _ZERO
    bw = _ZERO
    if nodes == 0:
        return False, np.int32(0), _ZERO, _ZERO
    stack = stack_alloca(_ENTRY_SLOTS)
    root = node_record(nodes, 0)
    count = _push_entry(stack, 0, root[3], _furthest_box_sq(p, *_box(root)))
    while count > 0:
        count, code, key = _pop_entry(stack, count)
        if key < best:
            continue
        if code < 0:
            f = -code - 1
            a, b, c = triangle_at(arrs, f)
            if is_sliver(a, b, c):
                continue
            u, v = _furthest_vertex(a, b, c, p)
            d = _dist_sq(weighted(a, b, c, u, v), p)
            if d > best:
                best, face, bv, bw = d, f, v, _ONE - u - v
            continue
        lrec, rrec = _child_records(nodes, code)
        dl = _furthest_box_sq(p, *_box(lrec))
        dr = _furthest_box_sq(p, *_box(rrec))
        near, far, dnear, dfar = (lrec[3], rrec[3], dl, dr) if dl > dr else \
            (rrec[3], lrec[3], dr, dl)
        if dfar > best:
            count = _push_entry(stack, count, far, dfar)
        if dnear > best:
            count = _push_entry(stack, count, near, dnear)
    if best > limit:
        return True, np.int32(face), _ONE - bv - bw, bv
    return False, np.int32(0), _ZERO, _ZERO


# -- signs ----------------------------------------------------------------------------------------

@jitable
def _closest_hit_sign(mesh, nodes, start, dir):
    """(hit, sign of the determinant) of the ray's closest hit (push-both traversal)."""
    arrs = mesh_arrays(mesh)
    rcp = (_ONE / dir[0], _ONE / dir[1], _ONE / dir[2])
    min_t = _BIG
    sign = _ZERO
    hit = False
    stack = stack_alloca(STACK_SIZE)
    count = _push(stack, 0, 0)
    while count > 0:
        count, node = _pop(stack, count)
        rec = node_record(nodes, node)
        ok, t = ray_box_robust(start, dir, rcp, *_box(rec))
        if not (ok and t < min_t):
            continue
        code = np.int64(rec[3])
        if code < 0:
            a, b, c = triangle_at(arrs, -code - 1)
            ok, t, _u, _v, det = ray_triangle(start, dir, a, b, c)
            if ok and t >= _ZERO and t < min_t:
                min_t, sign, hit = t, det, True
            continue
        count = _push(stack, count, code)
        count = _push(stack, count, node_escape(nodes, code))
    return hit, sign


@jitable
def sign_by_rays(mesh, p):
    """-1 when at least two of the three axis rays from ``p`` first hit a face's back."""
    nodes = slot(mesh, SLOT_NODES)
    votes = 0
    for axis in range(3):
        d = (_ONE if axis == 0 else _ZERO, _ONE if axis == 1 else _ZERO,
             _ONE if axis == 2 else _ZERO)
        hit, sign = _closest_hit_sign(mesh, nodes, p, d)
        if hit and sign < _ZERO:
            votes += 1
    return -_ONE if votes >= 2 else _ONE


@jitable
def count_crossings(mesh, start, dir, root):
    """How many faces the ray crosses at ``t >= 0`` (under ``root``)."""
    nodes = slot(mesh, SLOT_NODES)
    arrs = mesh_arrays(mesh)
    node, _stop = start_node(mesh, nodes, np.int64(root))
    if node < 0:
        return np.int32(0)
    rcp = (_ONE / dir[0], _ONE / dir[1], _ONE / dir[2])
    hits = np.int32(0)
    stack = stack_alloca(STACK_SIZE)
    count = _push(stack, 0, node)
    while count > 0:
        count, node = _pop(stack, count)
        rec = node_record(nodes, node)
        ok, _t = ray_box_robust(start, dir, rcp, *_box(rec))
        if not ok:
            continue
        code = np.int64(rec[3])
        if code < 0:
            a, b, c = triangle_at(arrs, -code - 1)
            ok, t, _u, _v, _det = ray_triangle(start, dir, a, b, c)
            if ok and t >= _ZERO:
                hits += np.int32(1)
            continue
        count = _push(stack, count, code)
        count = _push(stack, count, node_escape(nodes, code))
    return hits


@jitable
def sign_by_parity(mesh, p, n_sample, scale_):
    """-1 when at least half of ``n_sample`` perturbed (1, 1, 1) rays cross the mesh an
    odd number of times (Warp's fixed seed, so the same rays every call)."""
    state = pcg(np.uint32(42))
    votes = 0
    s = _F32(scale_)
    for _ in range(n_sample):
        while True:
            state, u0 = uniform_next(state)
            state, u1 = uniform_next(state)
            state, u2 = uniform_next(state)
            d = (_ONE + ((s + s) * u0 - s), _ONE + ((s + s) * u1 - s),
                 _ONE + ((s + s) * u2 - s))
            if dot(d, d) >= _F32(1.0e-8):
                break
        if count_crossings(mesh, p, d, -1) % 2 == 1:
            votes += 1
    return -_ONE if votes * 2 >= n_sample else _ONE


@jitable
def _prop(props, node, k):
    return load_at(props, node * _PROP_WORDS + k, _ZERO)


@jitable
def winding_number(mesh, p, accuracy):
    """The winding number of the mesh around ``p`` (1 inside a closed outward-wound mesh,
    0 outside); ``props`` must have been built."""
    nodes = slot(mesh, SLOT_NODES)
    arrs = mesh_arrays(mesh)
    props = slot(mesh, SLOT_WINDING)
    acc2 = _F32(accuracy) * _F32(accuracy)
    total = _ZERO
    stack = stack_alloca(STACK_SIZE)
    count = _push(stack, 0, 0)
    while count > 0:
        count, node = _pop(stack, count)
        code = node_code(nodes, node)
        if code < 0:
            a, b, c = triangle_at(arrs, -code - 1)
            total += solid_angle(a, b, c, p)
            continue
        q = (p[0] - _prop(props, node, 0), p[1] - _prop(props, node, 1),
             p[2] - _prop(props, node, 2))
        q2 = dot(q, q)
        r = _prop(props, node, 7)
        if q2 > r * r * acc2:
            n = (_prop(props, node, 4), _prop(props, node, 5), _prop(props, node, 6))
            total -= dot(q, n) / (q2 * math.sqrt(q2))
            continue
        count = _push(stack, count, code)
        count = _push(stack, count, node_escape(nodes, code))
    return total * _F32(1.0 / (4.0 * math.pi))


@jitable
def _angle(a, b):
    return math.acos(min(max(dot(normalize(a), normalize(b)), -_ONE), _ONE))


@jitable
def _feature_weight(a, b, c, cp, eps_sq):
    """The angle with which the closest feature (vertex, edge or face) of the triangle
    weighs its normal in the pseudo-normal."""
    e0, e1, e2 = sub(b, a), sub(c, a), sub(c, b)
    ca, cb, cc = sub(cp, a), sub(cp, b), sub(cp, c)
    if dot(ca, ca) < eps_sq:
        return _angle(e0, e1)
    if dot(cb, cb) < eps_sq:
        return _angle(e2, scale(e0, -_ONE))
    if dot(cc, cc) < eps_sq:
        return _angle(scale(e1, -_ONE), scale(e2, -_ONE))
    n0, n1, n2 = dot(e0, e0), dot(e1, e1), dot(e2, e2)
    p0, p2, p1 = dot(e0, ca), dot(e2, cb), dot(e1, ca)
    if dot(ca, ca) * n0 - p0 * p0 < eps_sq * n0 or dot(cb, cb) * n2 - p2 * p2 < eps_sq * n2 \
            or dot(ca, ca) * n1 - p1 * p1 < eps_sq * n1:
        return _F32(math.pi)
    return _F32(2.0 * math.pi)


@jitable
def closest_face_pseudo_normal(mesh, p, max_dist, epsilon):
    """``(found, face, u, v, sign)``: the closest face and the sign of ``p`` against the
    angle-weighted normal of the features within ``epsilon`` average edges of it."""
    nodes = slot(mesh, SLOT_NODES)
    arrs = mesh_arrays(mesh)
    if nodes == 0:
        return False, np.int32(0), _ZERO, _ZERO, _ZERO
    eps = load_at(slot(mesh, SLOT_EDGE), 0, _ZERO) * _F32(epsilon)
    eps_sq = eps * eps
    best = _F32(max_dist)
    face = np.int64(0)
    bv = _ZERO
    bw = _ZERO
    acc = (_ZERO, _ZERO, _ZERO)
    stack = stack_alloca(_ENTRY_SLOTS)
    root = node_record(nodes, 0)
    count = _push_entry(stack, 0, root[3], box_distance_sq(p, *_box(root)))
    while count > 0:
        count, code, key = _pop_entry(stack, count)
        reach = (best + eps) * (best + eps)
        if key > reach:
            continue
        if code < 0:
            f = -code - 1
            a, b, c = triangle_at(arrs, f)
            if is_sliver(a, b, c):
                continue
            u, v, _region = closest_point_to_triangle(a, b, c, p)
            cp = weighted(a, b, c, u, v)
            dist = math.sqrt(_dist_sq(cp, p))
            if dist < best + eps:
                wn = scale(normalize(cross(sub(b, a), sub(c, a))),
                           _feature_weight(a, b, c, cp, eps_sq))
                if dist > best - eps:
                    acc = (acc[0] + wn[0], acc[1] + wn[1], acc[2] + wn[2])
                    if dist < best:
                        best, face, bv, bw = dist, f, v, _ONE - u - v
                else:
                    best, face, bv, bw, acc = dist, f, v, _ONE - u - v, wn
            continue
        lrec, rrec = _child_records(nodes, code)
        dl = box_distance_sq(p, *_box(lrec))
        dr = box_distance_sq(p, *_box(rrec))
        near, far, dnear, dfar = (lrec[3], rrec[3], dl, dr) if dl < dr else \
            (rrec[3], lrec[3], dr, dl)
        if dfar < reach:
            count = _push_entry(stack, count, far, dfar)
        if dnear < reach:
            count = _push_entry(stack, count, near, dnear)
    if not best < _F32(max_dist):
        return False, np.int32(0), _ZERO, _ZERO, _ZERO
    a, b, c = triangle(mesh, face)
    u = _ONE - bv - bw
    cp = (a[0] * u + b[0] * bv + c[0] * bw, a[1] * u + b[1] * bv + c[1] * bw,
          a[2] * u + b[2] * bv + c[2] * bw)
    sign = _ONE if dot(acc, sub(p, cp)) > _ZERO else -_ONE
    return True, np.int32(face), u, bv, sign


# -- rays -----------------------------------------------------------------------------------------

@jitable
def _ray_node(start, dir, rcp, fast, rec):
    if fast:
        return ray_box(start, rcp, *_box(rec))
    return ray_box_robust(start, dir, rcp, *_box(rec))


@jitable
def _safe(x):
    return x if x != _ZERO else _F32(1.0e-20)


@jitable
def ray_cast(mesh, start, dir, max_t, root, any_hit):
    """Closest hit ``(hit, t, u, v, sign, face, normal)`` with ``0 <= t < max_t`` (with
    ``any_hit``: the first one found)."""
    nodes = slot(mesh, SLOT_NODES)
    arrs = mesh_arrays(mesh)
    node, _stop = start_node(mesh, nodes, np.int64(root))
    best = _F32(max_t)
    hit = False
    face = np.int64(0)
    bu, bv, bsign = _ZERO, _ZERO, _ZERO
    normal = (_ZERO, _ZERO, _ZERO)
    if node < 0:
        return hit, best, bu, bv, bsign, np.int32(face), normal
    rcp = (_ONE / _safe(dir[0]), _ONE / _safe(dir[1]), _ONE / _safe(dir[2]))
    fast = dir[0] != _ZERO and dir[1] != _ZERO and dir[2] != _ZERO
    stack = stack_alloca(STACK_SIZE)
    count = 0
    while True:
        code = node_code(nodes, node)
        if code < 0:
            a, b, c = triangle_at(arrs, -code - 1)
            ok, t, u, v, det = ray_triangle(start, dir, a, b, c)
            if ok and t < best and t >= _ZERO:
                best, bu, bv, bsign, face, hit = t, u, v, det, -code - 1, True
                normal = cross(sub(b, a), sub(c, a))
                if any_hit:
                    break
            if count == 0:
                break
            count, node = _pop(stack, count)
            continue
        left, right, lrec, rrec = _children(nodes, code)
        h0, t0 = _ray_node(start, dir, rcp, fast, lrec)
        h1, t1 = _ray_node(start, dir, rcp, fast, rrec)
        h0 = h0 and t0 < best
        h1 = h1 and t1 < best
        if h0 and h1:
            if t0 < t1:
                count = _push(stack, count, right)
                node = left
            else:
                count = _push(stack, count, left)
                node = right
        elif h0:
            node = left
        elif h1:
            node = right
        elif count == 0:
            break
        else:
            count, node = _pop(stack, count)
    return hit, best, bu, bv, bsign, np.int32(face), normalize(normal)


# The per-node and per-triangle steps of the traversal loops: LLVM leaves these calls in
# the loops on the CPU (each passing its tuples through memory); Numba inlines them.
inline_on_cpu(closest_point_to_triangle, lambda a, b, c, p: closest_point_to_triangle)
inline_on_cpu(ray_triangle, lambda p, dir, a, b, c: ray_triangle)
inline_on_cpu(_ray_node, lambda start, dir, rcp, fast, rec: _ray_node)


# -- the struct-returning builtins ----------------------------------------------------------------

def _is_vec3f(t) -> bool:
    return getattr(t, "dtype", None) == types.float32 and getattr(t, "length", 0) == 3


def _num(t) -> bool:
    return isinstance(t, (int, float)) or is_float(t) or is_int(t)


def _point_args(id, point, dist) -> bool:
    return is_int(id) and _is_vec3f(point) and _num(dist)


@jitable
def point_result(found, face, u, v, sign):
    if not found:
        return MeshQueryPoint(False, _ZERO, np.int32(0), _ZERO, _ZERO)
    return MeshQueryPoint(True, _F32(sign), np.int32(face), u, v)


@jitable
def point_tuple(v):
    return (_F32(v[0]), _F32(v[1]), _F32(v[2]))


@jitable
def point_no_sign(mesh, p, max_dist):
    found, face, u, v = closest_face(mesh, p, max_dist)
    return point_result(found, face, u, v, _ZERO)


@jitable
def point_sign_rays(mesh, p, max_dist):
    found, face, u, v = closest_face(mesh, p, max_dist)
    return point_result(found, face, u, v, sign_by_rays(mesh, p) if found else _ZERO)


@jitable
def point_sign_normal(mesh, p, max_dist, epsilon):
    found, face, u, v, sign = closest_face_pseudo_normal(mesh, p, max_dist, epsilon)
    return point_result(found, face, u, v, sign)


@jitable
def point_sign_winding(mesh, p, max_dist, accuracy, threshold):
    found, face, u, v = closest_face(mesh, p, max_dist)
    sign = _ZERO
    if found:
        if slot(mesh, SLOT_WINDING) == 0:
            sign = sign_by_rays(mesh, p)
        else:
            sign = -_ONE if winding_number(mesh, p, accuracy) > _F32(threshold) else _ONE
    return point_result(found, face, u, v, sign)


@jitable
def point_sign_parity(mesh, p, max_dist, n_sample, perturbation_scale):
    found, face, u, v = closest_face(mesh, p, max_dist)
    sign = _ZERO
    if found:
        sign = sign_by_parity(mesh, p, np.int64(n_sample), perturbation_scale)
    return point_result(found, face, u, v, sign)


@implements(mesh_query_point)
def _ol_point(id, point, max_dist):
    if _point_args(id, point, max_dist):
        return lambda id, point, max_dist: point_sign_rays(
            np.int64(id), point_tuple(point), _F32(max_dist))
    return None


@implements(mesh_query_point_no_sign)
def _ol_point_no_sign(id, point, max_dist):
    if _point_args(id, point, max_dist):
        return lambda id, point, max_dist: point_no_sign(
            np.int64(id), point_tuple(point), _F32(max_dist))
    return None


@implements(mesh_query_point_sign_normal)
def _ol_point_sign_normal(id, point, max_dist, epsilon=1.0e-3):
    if _point_args(id, point, max_dist) and _num(epsilon):
        return lambda id, point, max_dist, epsilon=1.0e-3: point_sign_normal(
            np.int64(id), point_tuple(point), _F32(max_dist), _F32(epsilon))
    return None


@implements(mesh_query_point_sign_winding_number)
def _ol_point_sign_winding(id, point, max_dist, accuracy=2.0, threshold=0.5):
    if _point_args(id, point, max_dist) and _num(accuracy) and _num(threshold):
        return lambda id, point, max_dist, accuracy=2.0, threshold=0.5: point_sign_winding(
            np.int64(id), point_tuple(point), _F32(max_dist), _F32(accuracy),
            _F32(threshold))
    return None


@implements(mesh_query_point_sign_parity)
def _ol_point_sign_parity(id, point, max_dist, n_sample=1, perturbation_scale=0.1):
    if _point_args(id, point, max_dist) and _num(n_sample) and _num(perturbation_scale):
        return lambda id, point, max_dist, n_sample=1, perturbation_scale=0.1: \
            point_sign_parity(np.int64(id), point_tuple(point), _F32(max_dist), n_sample,
                              _F32(perturbation_scale))
    return None


@implements(mesh_query_furthest_point_no_sign)
def _ol_furthest(id, point, min_dist):
    if not _point_args(id, point, min_dist):
        return None

    def impl(id, point, min_dist):
        found, face, u, v = furthest_face(np.int64(id), point_tuple(point), min_dist)
        return point_result(found, face, u, v, _ZERO)

    return impl


@jitable
def ray_result(mesh, start, dir, max_t, root=-1):
    hit, t, u, v, sign, face, n = ray_cast(mesh, point_tuple(start), point_tuple(dir),
                                           _F32(max_t), root, False)
    if not hit:
        z = _ZERO
        return MeshQueryRay(False, z, np.int32(0), z, z, z, _VEC3(z, z, z))
    return MeshQueryRay(True, sign, face, t, u, v, _VEC3(n[0], n[1], n[2]))


@implements(mesh_query_ray)
def _ol_ray(id, start, dir, max_t, root=-1):
    if is_int(id) and _is_vec3f(start) and _is_vec3f(dir) and _num(max_t) and _num(root):
        return lambda id, start, dir, max_t, root=-1: ray_result(np.int64(id), start, dir,
                                                                 max_t, root)
    return None


@implements(mesh_query_ray_anyhit)
def _ol_anyhit(id, start, dir, max_t, root=-1):
    if not (is_int(id) and _is_vec3f(start) and _is_vec3f(dir) and _num(max_t)
            and _num(root)):
        return None

    def impl(id, start, dir, max_t, root=-1):
        return ray_cast(np.int64(id), point_tuple(start), point_tuple(dir), _F32(max_t),
                        root, True)[0]

    return impl


@implements(mesh_query_ray_count_intersections)
def _ol_count(id, start, dir, root=-1):
    if not (is_int(id) and _is_vec3f(start) and _is_vec3f(dir) and _num(root)):
        return None
    return lambda id, start, dir, root=-1: count_crossings(
        np.int64(id), point_tuple(start), point_tuple(dir), root)
