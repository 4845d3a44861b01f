"""Mesh data and box/sphere queries in kernels, with Warp 1.19's meaning:
``mesh_get``, ``mesh_get_point``, ``mesh_get_index``, ``mesh_get_velocity``,
``mesh_eval_position``, ``mesh_eval_velocity``, ``mesh_eval_face_normal``,
``mesh_get_bvh``, ``mesh_get_group_root``, ``mesh_query_aabb``, ``mesh_query_sphere`` and
``mesh_query_next`` / ``mesh_query_aabb_next`` (the closest-point and ray queries are in
``mesh_queries``).

A ``wp.Mesh`` (``numba_warp/geometry/mesh.py``) is a BVH over its triangles (the layout of
``bvh_ops``; items are faces) plus the arrays below. Its descriptor starts with the BVH's
slots, so ``mesh_get_bvh(id)`` is ``id`` itself and the ``bvh_query_*`` builtins work on a
mesh's faces. Face ``f`` has the vertices ``points[indices[3 f + k]]``; a position on it
with barycentric weights ``(u, v)`` is ``u p0 + v p1 + (1 - u - v) p2``.

Lookups of a face (or face-vertex) index outside the mesh return zeros (``-1`` for
``mesh_get_index``) instead of reading outside its arrays.

Gradients (as in Warp): ``mesh_eval_position`` / ``mesh_eval_velocity`` carry gradients
to ``bary_u`` and ``bary_v``; and, beyond Warp (whose adjoint leaves them out), to the
mesh's ``points`` / ``velocities`` when those arrays were created with
``requires_grad=True``: the Python object records the gradient arrays' addresses in
the descriptor. Lookups (``mesh_get_*``, face normals) have no gradient.
"""

from __future__ import annotations

import collections

import numpy as np
from numba.core import types

from ..typing.vec import vector_class
from .atomics import atomic_add
from .builtin import adjoint, implements, is_float, is_int, jitable, nondifferentiable
from .bvh_ops import (
    NUM_BVH_SLOTS,
    SLOT_NODES,
    SLOT_NUM_ITEMS,
    BvhQueryAabb,
    advance,
    box_distance_sq,
    bvh_get_group_root,
    fmax,
    leaf_test,
    node_test,
    slot,
    start_node,
)
from .handles import array_at, load_at
from .stateful_calls import register_iterable, register_stateful
from .triangle_ops import closest_point_to_triangle, cross, dot, normalize, sub, weighted

__all__ = [
    "MeshQuery",
    "MeshQueryAABB",
    "mesh_eval_face_normal",
    "mesh_eval_position",
    "mesh_eval_velocity",
    "mesh_get",
    "mesh_get_bvh",
    "mesh_get_group_root",
    "mesh_get_index",
    "mesh_get_point",
    "mesh_get_velocity",
    "mesh_query_aabb",
    "mesh_query_aabb_next",
    "mesh_query_next",
    "mesh_query_sphere",
]

# -- descriptor slots after the BVH's (int64 each; geometry/mesh.py writes them) ----------
MAGIC_MESH = 0x4853_454D_5744_4E01  # "a numba_warp mesh"
SLOT_POINTS, SLOT_NUM_POINTS, SLOT_INDICES, SLOT_VELOCITIES = 8, 9, 10, 11
SLOT_EDGE = 12  # address of a float32: the average edge length (for sign_normal)
SLOT_WINDING = 13  # address of the nodes' far-field descriptions, 0 without them
SLOT_POINTS_GRAD, SLOT_VELOCITIES_GRAD = 14, 15  # gradient arrays' addresses, or 0
NUM_MESH_SLOTS = 16
assert NUM_BVH_SLOTS <= SLOT_POINTS

_F32 = np.float32
_VEC3 = vector_class(3, types.float32)

#: what ``mesh_get`` returns: the mesh's arrays
MeshData = collections.namedtuple("Mesh", ("points", "velocities", "indices", "num_points",
                                           "num_tris", "id"))
#: query values of ``mesh_query_aabb`` and ``mesh_query_sphere``
MeshQueryAABB = BvhQueryAabb
MeshQuerySphere = collections.namedtuple("MeshQuery", ("node", "stop", "nodes", "center",
                                                       "radius_sq", "mesh"))
#: Warp's name of a mesh query's type
MeshQuery = MeshQueryAABB


def _kernel_only(name):
    raise RuntimeError(f"wp.{name}() can only be called inside a kernel or function")


def mesh_get(id):
    """The mesh's arrays: ``m.points``, ``m.velocities``, ``m.indices``.

    Example
    -------
    >>> points = wp.array([(0, 0, 0), (1, 0, 0), (0, 1, 0), (0, 0, 1)], dtype=wp.vec3)
    >>> mesh = wp.Mesh(points, wp.array([0, 2, 1, 0, 1, 3, 0, 3, 2, 1, 2, 3], dtype=wp.int32))
    >>> @wp.kernel
    ... def last_face(mesh: wp.uint64, out: wp.array(dtype=wp.vec3)):
    ...     m = wp.mesh_get(mesh)
    ...     k = wp.tid()
    ...     out[k] = m.points[m.indices[9 + k]]  # face 3's vertices
    >>> out = wp.zeros(3, dtype=wp.vec3)
    >>> wp.launch(last_face, 3, inputs=[mesh.id, out])
    >>> print(out.numpy())
    [[1. 0. 0.]
     [0. 1. 0.]
     [0. 0. 1.]]
    """
    _kernel_only("mesh_get")


def mesh_get_point(id, index):
    """``points[indices[index]]``: the position of face-vertex ``index``.

    Example
    -------
    >>> points = wp.array([(0, 0, 0), (1, 0, 0), (0, 1, 0), (0, 0, 1)], dtype=wp.vec3)
    >>> mesh = wp.Mesh(points, wp.array([0, 2, 1, 0, 1, 3, 0, 3, 2, 1, 2, 3], dtype=wp.int32))
    >>> @wp.kernel
    ... def corners(mesh: wp.uint64, index: wp.array(dtype=int), point: wp.array(dtype=wp.vec3)):
    ...     k = wp.tid()  # face 1's corners are the face-vertex indices 3, 4, 5
    ...     index[k] = wp.mesh_get_index(mesh, 3 + k)
    ...     point[k] = wp.mesh_get_point(mesh, 3 + k)
    >>> index, point = wp.zeros(3, dtype=int), wp.zeros(3, dtype=wp.vec3)
    >>> wp.launch(corners, 3, inputs=[mesh.id, index, point])
    >>> print(point.numpy())
    [[0. 0. 0.]
     [1. 0. 0.]
     [0. 0. 1.]]
    """
    _kernel_only("mesh_get_point")


def mesh_get_index(id, index):
    """``indices[index]``: the vertex of face-vertex ``index``.

    Example
    -------
    >>> points = wp.array([(0, 0, 0), (1, 0, 0), (0, 1, 0), (0, 0, 1)], dtype=wp.vec3)
    >>> mesh = wp.Mesh(points, wp.array([0, 2, 1, 0, 1, 3, 0, 3, 2, 1, 2, 3], dtype=wp.int32))
    >>> @wp.kernel
    ... def corners(mesh: wp.uint64, index: wp.array(dtype=int), point: wp.array(dtype=wp.vec3)):
    ...     k = wp.tid()  # face 1's corners are the face-vertex indices 3, 4, 5
    ...     index[k] = wp.mesh_get_index(mesh, 3 + k)
    ...     point[k] = wp.mesh_get_point(mesh, 3 + k)
    >>> index, point = wp.zeros(3, dtype=int), wp.zeros(3, dtype=wp.vec3)
    >>> wp.launch(corners, 3, inputs=[mesh.id, index, point])
    >>> print(index.numpy())
    [0 1 3]
    """
    _kernel_only("mesh_get_index")


def mesh_get_velocity(id, index):
    """``velocities[indices[index]]`` (zero without velocities).

    Example
    -------
    >>> points = wp.array([(0, 0, 0), (1, 0, 0), (0, 1, 0), (0, 0, 1)], dtype=wp.vec3)
    >>> velocities = wp.array([(0, 0, 0), (1, 0, 0), (2, 0, 0), (3, 0, 0)], dtype=wp.vec3)
    >>> indices = wp.array([0, 2, 1, 0, 1, 3, 0, 3, 2, 1, 2, 3], dtype=wp.int32)
    >>> mesh = wp.Mesh(points, indices, velocities=velocities)
    >>> @wp.kernel
    ... def speeds(mesh: wp.uint64, corner: wp.array(dtype=wp.vec3), mid: wp.array(dtype=wp.vec3)):
    ...     corner[0] = wp.mesh_get_velocity(mesh, 11)  # face 3's last corner: vertex 3
    ...     mid[0] = wp.mesh_eval_velocity(mesh, 3, 1.0 / 3.0, 1.0 / 3.0)  # face 3's centre
    >>> corner, mid = wp.zeros(1, dtype=wp.vec3), wp.zeros(1, dtype=wp.vec3)
    >>> wp.launch(speeds, 1, inputs=[mesh.id, corner, mid])
    >>> print(corner.numpy())
    [[3. 0. 0.]]
    """
    _kernel_only("mesh_get_velocity")


def mesh_eval_position(id, face, bary_u, bary_v):
    """``u p0 + v p1 + (1 - u - v) p2`` on face ``face``.

    Example
    -------
    >>> points = wp.array([(0, 0, 0), (1, 0, 0), (0, 1, 0), (0, 0, 1)], dtype=wp.vec3)
    >>> mesh = wp.Mesh(points, wp.array([0, 2, 1, 0, 1, 3, 0, 3, 2, 1, 2, 3], dtype=wp.int32))
    >>> @wp.kernel
    ... def at(mesh: wp.uint64, face: int, u: float, v: float, out: wp.array(dtype=wp.vec3)):
    ...     out[0] = wp.mesh_eval_position(mesh, face, u, v)
    >>> out = wp.zeros(1, dtype=wp.vec3)
    >>> wp.launch(at, 1, inputs=[mesh.id, 0, 0.2, 0.3, out])  # face 0 is vertices 0, 2, 1
    >>> print(np.round(out.numpy(), 4))  # 0.2 * p0 + 0.3 * p2 + 0.5 * p1
    [[0.5 0.3 0. ]]
    """
    _kernel_only("mesh_eval_position")


def mesh_eval_velocity(id, face, bary_u, bary_v):
    """The velocities interpolated as mesh_eval_position interpolates points (zero
    without velocities).

    Example
    -------
    >>> points = wp.array([(0, 0, 0), (1, 0, 0), (0, 1, 0), (0, 0, 1)], dtype=wp.vec3)
    >>> velocities = wp.array([(0, 0, 0), (1, 0, 0), (2, 0, 0), (3, 0, 0)], dtype=wp.vec3)
    >>> indices = wp.array([0, 2, 1, 0, 1, 3, 0, 3, 2, 1, 2, 3], dtype=wp.int32)
    >>> mesh = wp.Mesh(points, indices, velocities=velocities)
    >>> @wp.kernel
    ... def speeds(mesh: wp.uint64, corner: wp.array(dtype=wp.vec3), mid: wp.array(dtype=wp.vec3)):
    ...     corner[0] = wp.mesh_get_velocity(mesh, 11)  # face 3's last corner: vertex 3
    ...     mid[0] = wp.mesh_eval_velocity(mesh, 3, 1.0 / 3.0, 1.0 / 3.0)  # face 3's centre
    >>> corner, mid = wp.zeros(1, dtype=wp.vec3), wp.zeros(1, dtype=wp.vec3)
    >>> wp.launch(speeds, 1, inputs=[mesh.id, corner, mid])
    >>> print(np.round(mid.numpy(), 4))  # the mean of vertices 1, 2, 3's velocities
    [[2. 0. 0.]]
    """
    _kernel_only("mesh_eval_velocity")


def mesh_eval_face_normal(id, face):
    """``normalize(cross(p1 - p0, p2 - p0))`` of face ``face``.

    Example
    -------
    >>> points = wp.array([(0, 0, 0), (1, 0, 0), (0, 1, 0), (0, 0, 1)], dtype=wp.vec3)
    >>> mesh = wp.Mesh(points, wp.array([0, 2, 1, 0, 1, 3, 0, 3, 2, 1, 2, 3], dtype=wp.int32))
    >>> @wp.kernel
    ... def normals(mesh: wp.uint64, out: wp.array(dtype=wp.vec3)):
    ...     f = wp.tid()
    ...     out[f] = wp.mesh_eval_face_normal(mesh, f)
    >>> out = wp.zeros(4, dtype=wp.vec3)
    >>> wp.launch(normals, 4, inputs=[mesh.id, out])
    >>> print(np.round(out.numpy(), 4) + 0.0)  # outward: -z, -y, -x and (1, 1, 1) / sqrt(3)
    [[ 0.      0.     -1.    ]
     [ 0.     -1.      0.    ]
     [-1.      0.      0.    ]
     [ 0.5774  0.5774  0.5774]]
    """
    _kernel_only("mesh_eval_face_normal")


def mesh_get_bvh(id):
    """The id of the mesh's BVH (its faces are the items), for the bvh_query builtins.

    Example
    -------
    >>> points = wp.array([(0, 0, 0), (1, 0, 0), (0, 1, 0), (0, 0, 1)], dtype=wp.vec3)
    >>> mesh = wp.Mesh(points, wp.array([0, 2, 1, 0, 1, 3, 0, 3, 2, 1, 2, 3], dtype=wp.int32))
    >>> @wp.kernel
    ... def boxes_hit(mesh: wp.uint64, hit: wp.array(dtype=int)):
    ...     bvh = wp.mesh_get_bvh(mesh)  # items: the faces' bounding boxes
    ...     query = wp.bvh_query_ray(bvh, wp.vec3(0.2, 0.2, -1.0), wp.vec3(0.0, 0.0, 1.0))
    ...     f = int(0)
    ...     while wp.bvh_query_next(query, f):
    ...         hit[f] = 1
    >>> hit = wp.zeros(4, dtype=int)
    >>> wp.launch(boxes_hit, 1, inputs=[mesh.id, hit])
    >>> print(hit.numpy())  # faces 1 (y = 0) and 2 (x = 0) have flat boxes the ray misses
    [1 0 0 1]
    """
    _kernel_only("mesh_get_bvh")


def mesh_get_group_root(id, group):
    """The root of ``group``'s faces in a grouped mesh (-1: the whole mesh).

    Example
    -------
    >>> points = wp.array([(0, 0, 0), (1, 0, 0), (0, 1, 0), (0, 0, 1)], dtype=wp.vec3)
    >>> indices = wp.array([0, 2, 1, 0, 1, 3, 0, 3, 2, 1, 2, 3], dtype=wp.int32)
    >>> mesh = wp.Mesh(points, indices, groups=wp.array([0, 0, 0, 1], dtype=wp.int32))
    >>> @wp.kernel
    ... def first_hit(mesh: wp.uint64, face: wp.array(dtype=int)):
    ...     group = wp.tid()
    ...     root = wp.mesh_get_group_root(mesh, group)  # a ray cast among that group's faces
    ...     start, up = wp.vec3(0.2, 0.2, -1.0), wp.vec3(0.0, 0.0, 1.0)
    ...     face[group] = wp.mesh_query_ray(mesh, start, up, 9.0, root).face
    >>> face = wp.zeros(2, dtype=int)
    >>> wp.launch(first_hit, 2, inputs=[mesh.id, face])
    >>> print(face.numpy())  # the ray meets face 0 first; among group 1's faces, face 3
    [0 3]
    """
    _kernel_only("mesh_get_group_root")


def mesh_query_aabb(id, low, high):
    """Start a query for the faces whose bounding boxes overlap ``[low, high]``.

    Example
    -------
    >>> points = wp.array([(0, 0, 0), (1, 0, 0), (0, 1, 0), (0, 0, 1)], dtype=wp.vec3)
    >>> mesh = wp.Mesh(points, wp.array([0, 2, 1, 0, 1, 3, 0, 3, 2, 1, 2, 3], dtype=wp.int32))
    >>> @wp.kernel
    ... def face_boxes(mesh: wp.uint64, lo: wp.vec3, hi: wp.vec3, hit: wp.array(dtype=int)):
    ...     query = wp.mesh_query_aabb(mesh, lo, hi)
    ...     f = int(0)
    ...     while wp.mesh_query_next(query, f):  # sets f to the next face
    ...         hit[f] = 1
    >>> hit = wp.zeros(4, dtype=int)
    >>> lo, hi = wp.vec3(0.5, 0.5, -0.1), wp.vec3(1.0, 1.0, 0.1)
    >>> wp.launch(face_boxes, 1, inputs=[mesh.id, lo, hi, hit])
    >>> print(hit.numpy())  # the faces whose bounding boxes overlap the box
    [1 0 0 1]
    """
    _kernel_only("mesh_query_aabb")


def mesh_query_sphere(id, center, radius):
    """Start a query for the faces within ``radius`` of ``center``.

    Example
    -------
    >>> points = wp.array([(0, 0, 0), (1, 0, 0), (0, 1, 0), (0, 0, 1)], dtype=wp.vec3)
    >>> mesh = wp.Mesh(points, wp.array([0, 2, 1, 0, 1, 3, 0, 3, 2, 1, 2, 3], dtype=wp.int32))
    >>> @wp.kernel
    ... def touched(mesh: wp.uint64, center: wp.vec3, radius: float, hit: wp.array(dtype=int)):
    ...     query = wp.mesh_query_sphere(mesh, center, radius)
    ...     f = int(0)
    ...     while wp.mesh_query_next(query, f):
    ...         hit[f] = 1
    >>> hit = wp.zeros(4, dtype=int)
    >>> wp.launch(touched, 1, inputs=[mesh.id, wp.vec3(0.2, 0.2, 0.6), 0.25, hit])
    >>> print(hit.numpy())  # faces 1 and 2 are 0.2 away, face 3 passes through the centre
    [0 1 1 1]
    """
    _kernel_only("mesh_query_sphere")


def mesh_query_next(query, index):
    """Advance a mesh query; set ``index`` to the next face and return True, or return
    False when done.

    Example
    -------
    >>> points = wp.array([(0, 0, 0), (1, 0, 0), (0, 1, 0), (0, 0, 1)], dtype=wp.vec3)
    >>> mesh = wp.Mesh(points, wp.array([0, 2, 1, 0, 1, 3, 0, 3, 2, 1, 2, 3], dtype=wp.int32))
    >>> @wp.kernel
    ... def face_boxes(mesh: wp.uint64, lo: wp.vec3, hi: wp.vec3, hit: wp.array(dtype=int)):
    ...     query = wp.mesh_query_aabb(mesh, lo, hi)
    ...     f = int(0)
    ...     while wp.mesh_query_next(query, f):  # sets f to the next face
    ...         hit[f] = 1
    >>> hit = wp.zeros(4, dtype=int)
    >>> lo, hi = wp.vec3(0.5, 0.5, 0.5), wp.vec3(1.0, 1.0, 1.0)
    >>> wp.launch(face_boxes, 1, inputs=[mesh.id, lo, hi, hit])
    >>> print(hit.numpy())
    [0 0 0 1]
    """
    _kernel_only("mesh_query_next")


def mesh_query_aabb_next(query, index):
    """``mesh_query_next`` under its older name.

    Example
    -------
    >>> points = wp.array([(0, 0, 0), (1, 0, 0), (0, 1, 0), (0, 0, 1)], dtype=wp.vec3)
    >>> mesh = wp.Mesh(points, wp.array([0, 2, 1, 0, 1, 3, 0, 3, 2, 1, 2, 3], dtype=wp.int32))
    >>> @wp.kernel
    ... def count(mesh: wp.uint64, lo: wp.vec3, hi: wp.vec3, out: wp.array(dtype=int)):
    ...     query = wp.mesh_query_aabb(mesh, lo, hi)
    ...     f = int(0)
    ...     while wp.mesh_query_aabb_next(query, f):
    ...         out[0] += 1
    >>> out = wp.zeros(1, dtype=int)
    >>> wp.launch(count, 1, inputs=[mesh.id, wp.vec3(-1.0), wp.vec3(2.0), out])
    >>> print(out.numpy())
    [4]
    """
    _kernel_only("mesh_query_aabb_next")


def _mesh_query_next(query, index):
    """``mesh_query_next`` as a pure function: ``(query, index, found)``."""
    _kernel_only("mesh_query_next")


# -- mesh data ---------------------------------------------------------------------------------

@jitable
def point_of(points, i):
    return (load_at(points, 3 * i, _F32(0)), load_at(points, 3 * i + 1, _F32(0)),
            load_at(points, 3 * i + 2, _F32(0)))


@jitable
def face_vertices(mesh, face):
    indices = slot(mesh, SLOT_INDICES)
    return (np.int64(load_at(indices, 3 * face, np.int32(0))),
            np.int64(load_at(indices, 3 * face + 1, np.int32(0))),
            np.int64(load_at(indices, 3 * face + 2, np.int32(0))))


@jitable
def triangle(mesh, face):
    """The three vertices of ``face`` as tuples."""
    i, j, k = face_vertices(mesh, face)
    points = slot(mesh, SLOT_POINTS)
    return point_of(points, i), point_of(points, j), point_of(points, k)


@jitable
def mesh_arrays(mesh):
    """(points, indices) addresses, read once before a traversal's loop (inside it, the
    stack's stores would make the compiler read the descriptor again each time)."""
    return slot(mesh, SLOT_POINTS), slot(mesh, SLOT_INDICES)


@jitable
def triangle_at(arrays, face):
    """:func:`triangle` with the addresses of :func:`mesh_arrays`."""
    points, indices = arrays
    i = np.int64(load_at(indices, 3 * face, np.int32(0)))
    j = np.int64(load_at(indices, 3 * face + 1, np.int32(0)))
    k = np.int64(load_at(indices, 3 * face + 2, np.int32(0)))
    return point_of(points, i), point_of(points, j), point_of(points, k)


@jitable
def _vec(t):
    return _VEC3(t[0], t[1], t[2])


@jitable
def _zero3():
    return _VEC3(_F32(0.0), _F32(0.0), _F32(0.0))


def _face_args(id, face):
    return is_int(id) and is_int(face)


def _weights(u, v):
    return (is_float(u) or is_int(u)) and (is_float(v) or is_int(v))


@jitable
def _has_face(mesh, face):
    """Whether ``face`` is a face of the mesh (lookups outside return zeros instead of
    reading outside the arrays)."""
    return 0 <= face < slot(mesh, SLOT_NUM_ITEMS)


@jitable
def _eval(mesh, field, face, u, v):
    data = slot(mesh, field)
    if data == 0 or not _has_face(mesh, face):
        return _zero3()
    i, j, k = face_vertices(mesh, face)
    return _vec(weighted(point_of(data, i), point_of(data, j), point_of(data, k), _F32(u),
                         _F32(v)))


@implements(mesh_eval_position)
def _ol_eval_position(id, face, bary_u, bary_v):
    if _face_args(id, face) and _weights(bary_u, bary_v):
        return lambda id, face, bary_u, bary_v: _eval(np.int64(id), SLOT_POINTS, face,
                                                      bary_u, bary_v)
    return None


@implements(mesh_eval_velocity)
def _ol_eval_velocity(id, face, bary_u, bary_v):
    if _face_args(id, face) and _weights(bary_u, bary_v):
        return lambda id, face, bary_u, bary_v: _eval(np.int64(id), SLOT_VELOCITIES, face,
                                                      bary_u, bary_v)
    return None


@jitable
def scatter_grad(grad, i, s, g):
    """``grad[i] += s * g`` (an array of vec3 at address ``grad``, atomically)."""
    arr = array_at(grad, 3 * i + 3, _F32(0.0))
    atomic_add(arr, 3 * i, s * g[0])
    atomic_add(arr, 3 * i + 1, s * g[1])
    atomic_add(arr, 3 * i + 2, s * g[2])


@jitable
def _eval_adjoint(mesh, field, grad_field, face, u, v, adj_ret):
    data = slot(mesh, field)
    if data == 0 or not _has_face(mesh, face):
        return _F32(0.0), _F32(0.0)
    i, j, k = face_vertices(mesh, face)
    p, q, r = point_of(data, i), point_of(data, j), point_of(data, k)
    g = (_F32(adj_ret[0]), _F32(adj_ret[1]), _F32(adj_ret[2]))
    grad = slot(mesh, grad_field)
    if grad != 0:
        w = _F32(1.0) - _F32(u) - _F32(v)
        scatter_grad(grad, i, _F32(u), g)
        scatter_grad(grad, j, _F32(v), g)
        scatter_grad(grad, k, w, g)
    return dot(sub(p, r), g), dot(sub(q, r), g)


@adjoint(mesh_eval_position)
def adj_mesh_eval_position(id, face, bary_u, bary_v, ret, adj_ret):
    du, dv = _eval_adjoint(np.int64(id), SLOT_POINTS, SLOT_POINTS_GRAD, face, bary_u, bary_v,
                           adj_ret)
    return 0, 0, du, dv


@adjoint(mesh_eval_velocity)
def adj_mesh_eval_velocity(id, face, bary_u, bary_v, ret, adj_ret):
    du, dv = _eval_adjoint(np.int64(id), SLOT_VELOCITIES, SLOT_VELOCITIES_GRAD, face,
                           bary_u, bary_v, adj_ret)
    return 0, 0, du, dv


@implements(mesh_eval_face_normal)
def _ol_face_normal(id, face):
    if not _face_args(id, face):
        return None

    def impl(id, face):
        mesh = np.int64(id)
        if slot(mesh, SLOT_POINTS) == 0 or not _has_face(mesh, face):
            return _zero3()
        a, b, c = triangle(mesh, face)
        return _vec(normalize(cross(sub(b, a), sub(c, a))))

    return impl


@jitable
def _has_corner(mesh, index):
    return 0 <= index < 3 * slot(mesh, SLOT_NUM_ITEMS)


@jitable
def _get_vertex(mesh, field, index):
    data = slot(mesh, field)
    if data == 0 or not _has_corner(mesh, index):
        return _zero3()
    i = np.int64(load_at(slot(mesh, SLOT_INDICES), index, np.int32(0)))
    return _vec(point_of(data, i))


@implements(mesh_get_point)
def _ol_get_point(id, index):
    if _face_args(id, index):
        return lambda id, index: _get_vertex(np.int64(id), SLOT_POINTS, index)
    return None


@implements(mesh_get_velocity)
def _ol_get_velocity(id, index):
    if _face_args(id, index):
        return lambda id, index: _get_vertex(np.int64(id), SLOT_VELOCITIES, index)
    return None


@implements(mesh_get_index)
def _ol_get_index(id, index):
    if not _face_args(id, index):
        return None

    def impl(id, index):
        indices = slot(np.int64(id), SLOT_INDICES)
        if indices == 0 or not _has_corner(np.int64(id), index):
            return np.int32(-1)
        return load_at(indices, index, np.int32(0))

    return impl


@implements(mesh_get)
def _ol_mesh_get(id):
    if not is_int(id):
        return None

    def impl(id):
        mesh = np.int64(id)
        n_points = slot(mesh, SLOT_NUM_POINTS)
        n_tris = slot(mesh, SLOT_NUM_ITEMS)
        velocities = slot(mesh, SLOT_VELOCITIES)
        return MeshData(array_at(slot(mesh, SLOT_POINTS), n_points, _zero3()),
                        array_at(velocities, n_points if velocities != 0 else 0, _zero3()),
                        array_at(slot(mesh, SLOT_INDICES), 3 * n_tris, np.int32(0)),
                        np.int32(n_points), np.int32(n_tris), np.uint64(id))

    return impl


@implements(mesh_get_bvh)
def _ol_get_bvh(id):
    if is_int(id):
        return lambda id: np.uint64(id)
    return None


@implements(mesh_get_group_root)
def _ol_mesh_group_root(id, group):
    if is_int(id) and is_int(group):
        return lambda id, group: bvh_get_group_root(id, group)
    return None


# -- box and sphere queries ------------------------------------------------------------------

def _is_vec3f(t) -> bool:
    return getattr(t, "dtype", None) == types.float32 and getattr(t, "length", 0) == 3


@jitable
def _begin(id):
    mesh = np.int64(id)
    nodes = slot(mesh, SLOT_NODES)
    node, stop = start_node(mesh, nodes, np.int64(-1))
    return mesh, node, stop, nodes


@implements(mesh_query_aabb)
def _ol_query_aabb(id, low, high):
    if is_int(id) and _is_vec3f(low) and _is_vec3f(high):
        def impl(id, low, high):
            _mesh, node, stop, nodes = _begin(id)
            return MeshQueryAABB(node, stop, nodes, low, high)
        return impl
    return None


@implements(mesh_query_sphere)
def _ol_query_sphere(id, center, radius):
    if is_int(id) and _is_vec3f(center) and (is_float(radius) or is_int(radius)):
        def impl(id, center, radius):
            mesh, node, stop, nodes = _begin(id)
            r = fmax(_F32(radius), _F32(0.0))
            return MeshQuerySphere(node, stop, nodes, center, r * r, mesh)
        return impl
    return None


@implements(node_test)
def _ol_sphere_node_test(q, lx, ly, lz, hx, hy, hz, max_dist):
    if getattr(q, "instance_class", None) is MeshQuerySphere:
        return lambda q, lx, ly, lz, hx, hy, hz, max_dist: \
            box_distance_sq(q.center, lx, ly, lz, hx, hy, hz) <= q.radius_sq
    return None


@jitable
def _segment_point(p, q, c):
    pq = sub(q, p)
    len2 = dot(pq, pq)
    t = _F32(0.0)
    if len2 > _F32(0.0):
        t = min(max(dot(sub(c, p), pq) / len2, _F32(0.0)), _F32(1.0))
    return (p[0] + t * pq[0], p[1] + t * pq[1], p[2] + t * pq[2])


@jitable
def _closest_on_face(a, b, c, center):
    """The point of the triangle closest to ``center``; a zero-area face counts as its
    longest edge."""
    ab = sub(b, a)
    ac = sub(c, a)
    n = cross(ab, ac)
    if dot(n, n) == _F32(0.0):
        bc = sub(c, b)
        lab, lac, lbc = dot(ab, ab), dot(ac, ac), dot(bc, bc)
        if lab >= lac and lab >= lbc:
            return _segment_point(a, b, center)
        if lac >= lbc:
            return _segment_point(a, c, center)
        return _segment_point(b, c, center)
    u, v, _region = closest_point_to_triangle(a, b, c, center)
    return weighted(a, b, c, u, v)


@implements(leaf_test)
def _ol_sphere_leaf_test(q, item):
    if getattr(q, "instance_class", None) is not MeshQuerySphere:
        return None

    def impl(q, item):
        a, b, c = triangle(q.mesh, item)
        d = sub(_closest_on_face(a, b, c, q.center), q.center)
        return dot(d, d) <= q.radius_sq

    return impl


@implements(_mesh_query_next)
def _ol_next(query, index):
    if isinstance(query, types.BaseNamedTuple) and \
            query.instance_class in (MeshQueryAABB, MeshQuerySphere) and is_int(index):
        return lambda query, index: advance(query, index, _F32(np.inf))
    return None


register_stateful(mesh_query_next, _mesh_query_next, updates=2)
register_stateful(mesh_query_aabb_next, _mesh_query_next, updates=2)
register_iterable(mesh_query_aabb, mesh_query_next)
register_iterable(mesh_query_sphere, mesh_query_next)
nondifferentiable(mesh_get, mesh_get_point, mesh_get_index, mesh_get_velocity,
                  mesh_eval_face_normal, mesh_get_bvh, mesh_get_group_root, mesh_query_aabb,
                  mesh_query_sphere, mesh_query_next, mesh_query_aabb_next, _mesh_query_next)
