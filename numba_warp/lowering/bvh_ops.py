"""BVH queries in kernels: ``bvh_query_aabb``, ``bvh_query_ray``, ``bvh_query_sphere``,
``bvh_query_capsule``, ``bvh_query_next`` and ``bvh_get_group_root``, with Warp 1.19's
meaning; and the tree layout that ``wp.Bvh`` and ``wp.Mesh`` build
(``numba_warp/geometry/lbvh.py``) and every traversal here and in ``mesh_ops`` reads.

The tree. ``n`` items give ``2n - 1`` nodes: internal nodes ``0 .. n-2`` (node 0 is the
root) and leaves ``n-1 .. 2n-2``, one item each (a linear BVH, Karras 2012). A node is a
record of eight 32-bit words::

    lower.x lower.y lower.z code | upper.x upper.y upper.z escape

``code`` is the left child of an internal node (the right child is the left child's
``escape``), or ``-(item + 1)`` for a leaf. ``escape`` is the node a depth-first
traversal visits next once this node's subtree is done (-1 after the last one). With
escape links a traversal needs no stack: test the node; on a hit descend to ``code``
(or report the leaf's item), otherwise jump to ``escape``. A query is therefore an
immutable value of a few words (the current node and where to stop), which is what
``bvh_query_next`` advances; traversals that order children by distance (the mesh's
closest-point and ray queries) use a stack of :data:`STACK_SIZE` slots instead, which
is deeper than any tree the builder makes (see ``lbvh``).

Queries report every item whose stored box passes the query's test (boxes touching the
query box count), in an order that is not specified, as in Warp. ``max_dist`` of
``bvh_query_next`` bounds ray queries (``t < max_dist``, in multiples of ``dir``) and
capsule sweeps (``t <= max_dist``); it does not affect box and sphere queries. Roots
other than -1 restrict a query to a subtree (``bvh_get_group_root`` of a grouped tree).

The descriptor (see ``lowering/handles.py``) has the slots below; a mesh's descriptor
starts with the same slots, so a mesh id is also the id of its BVH.
"""

from __future__ import annotations

import collections
import math

import numpy as np
from numba.core import types

from .builtin import (absent, implements, inline_on_cpu, is_float, is_int, is_vec, jitable,
                      nondifferentiable)
from .handles import load_at, load_node_record, lower_bound_at, replace_field
from .stateful_calls import register_iterable, register_stateful

__all__ = [
    "BvhQuery",
    "bvh_get_group_root",
    "bvh_query_aabb",
    "bvh_query_capsule",
    "bvh_query_next",
    "bvh_query_ray",
    "bvh_query_sphere",
]

# -- descriptor slots (int64 each; geometry/lbvh.py writes them) -------------------------
MAGIC_BVH = 0x4856_424E_5744_4E01  # "a numba_warp BVH" (checked at Python scope)
SLOT_MAGIC, SLOT_NUM_ITEMS, SLOT_NODES, SLOT_GROUPS, SLOT_GROUP_ROOTS = 0, 1, 2, 3, 4
NUM_BVH_SLOTS = 8
#: 32-bit words per node record
NODE_WORDS = 8
#: slots of a traversal stack: deeper than any tree lbvh builds (<= 93 levels)
STACK_SIZE = 96

_F32 = np.float32

#: query values, one class per kind (the kind picks the node test when compiling)
BvhQueryAabb = collections.namedtuple("BvhQuery", ("node", "stop", "nodes", "lower", "upper"))
BvhQueryRay = collections.namedtuple("BvhQuery", ("node", "stop", "nodes", "start", "rcp"))
BvhQuerySphere = collections.namedtuple("BvhQuery", ("node", "stop", "nodes", "center",
                                                     "radius_sq"))
BvhQueryCapsule = collections.namedtuple("BvhQuery", ("node", "stop", "nodes", "start",
                                                      "dir", "rcp", "radius"))
_QUERY_CLASSES = (BvhQueryAabb, BvhQueryRay, BvhQuerySphere, BvhQueryCapsule)
#: Warp's name of a BVH query's type (here each kind has its own named tuple class)
BvhQuery = BvhQueryAabb
BvhQueryAabb.__doc__ = """The state of a box query in a kernel (Warp's ``wp.BvhQuery``): what
    :func:`bvh_query_aabb` returns, and :func:`mesh_query_aabb` too (``wp.MeshQueryAABB``,
    also named ``wp.MeshQuery``: here the three names are one class, where Warp has three
    types). Advance it with :func:`bvh_query_next` (:func:`mesh_query_next` for a mesh's).
    The ray, sphere and capsule queries have classes of their own. Its fields are internal.

    Example
    -------
    >>> lowers = wp.array([(0.0, 0.0, 0.0), (2.0, 0.0, 0.0), (4.0, 0.0, 0.0)], dtype=wp.vec3)
    >>> uppers = wp.array([(1.0, 1.0, 1.0), (3.0, 1.0, 1.0), (5.0, 1.0, 1.0)], dtype=wp.vec3)
    >>> bvh = wp.Bvh(lowers, uppers)
    >>> @wp.kernel
    ... def overlaps(bvh: wp.uint64, lo: wp.vec3, hi: wp.vec3, hit: wp.array(dtype=int)):
    ...     query = wp.bvh_query_aabb(bvh, lo, hi)  # a wp.BvhQuery
    ...     i = int(0)
    ...     while wp.bvh_query_next(query, i):  # sets i to the next box
    ...         hit[i] = 1
    >>> hit = wp.zeros(3, dtype=int)
    >>> wp.launch(overlaps, 1, inputs=[bvh.id, wp.vec3(0.5, 0.0, 0.0), wp.vec3(2.5, 1.0, 1.0), hit])
    >>> print(hit.numpy())
    [1 1 0]
    >>> wp.MeshQueryAABB is wp.BvhQuery and wp.MeshQuery is wp.BvhQuery  # one class here
    True
    """


def _kernel_only(name):
    raise RuntimeError(f"wp.{name}() can only be called inside a kernel or function")


def bvh_query_aabb(id, low, high, root=-1):
    """Start a query for the items whose boxes overlap the box ``[low, high]`` (touching
    counts); ``root``: a subtree to restrict it to (-1: the whole tree).

    Example
    -------
    >>> lowers = wp.array([(0.0, 0.0, 0.0), (2.0, 0.0, 0.0), (4.0, 0.0, 0.0)], dtype=wp.vec3)
    >>> uppers = wp.array([(1.0, 1.0, 1.0), (3.0, 1.0, 1.0), (5.0, 1.0, 1.0)], dtype=wp.vec3)
    >>> bvh = wp.Bvh(lowers, uppers)
    >>> @wp.kernel
    ... def overlaps(bvh: wp.uint64, lo: wp.vec3, hi: wp.vec3, hit: wp.array(dtype=int)):
    ...     query = wp.bvh_query_aabb(bvh, lo, hi)  # a wp.BvhQuery
    ...     i = int(0)
    ...     while wp.bvh_query_next(query, i):  # sets i to the next box
    ...         hit[i] = 1
    >>> hit = wp.zeros(3, dtype=int)
    >>> wp.launch(overlaps, 1, inputs=[bvh.id, wp.vec3(1.0, 0.0, 0.0), wp.vec3(2.0, 1.0, 1.0), hit])
    >>> print(hit.numpy())  # touching boxes count
    [1 1 0]
    """
    _kernel_only("bvh_query_aabb")


def bvh_query_ray(id, start, dir, root=-1):
    """Start a query for the items whose boxes the ray ``start + t * dir`` enters (``dir``
    need not be normalized: ``max_dist`` of bvh_query_next is in multiples of it).

    Example
    -------
    >>> lowers = wp.array([(0.0, 0.0, 0.0), (2.0, 0.0, 0.0), (4.0, 0.0, 0.0)], dtype=wp.vec3)
    >>> uppers = wp.array([(1.0, 1.0, 1.0), (3.0, 1.0, 1.0), (5.0, 1.0, 1.0)], dtype=wp.vec3)
    >>> bvh = wp.Bvh(lowers, uppers)
    >>> @wp.kernel
    ... def crossed(bvh: wp.uint64, start: wp.vec3, dir: wp.vec3, hit: wp.array(dtype=int)):
    ...     query = wp.bvh_query_ray(bvh, start, dir)
    ...     i = int(0)
    ...     while wp.bvh_query_next(query, i):
    ...         hit[i] = 1
    >>> hit = wp.zeros(3, dtype=int)
    >>> wp.launch(crossed, 1, inputs=[bvh.id, wp.vec3(2.5, 0.5, 0.5), wp.vec3(1.0, 0.0, 0.0), hit])
    >>> print(hit.numpy())  # a ray from inside box 1 along +x: boxes 1 and 2
    [0 1 1]
    """
    _kernel_only("bvh_query_ray")


def bvh_query_sphere(id, center, radius, root=-1):
    """Start a query for the items whose boxes are within ``radius`` of ``center``
    (exact sphere-box test; a negative radius counts as 0).

    Example
    -------
    >>> lowers = wp.array([(0.0, 0.0, 0.0), (2.0, 0.0, 0.0), (4.0, 0.0, 0.0)], dtype=wp.vec3)
    >>> uppers = wp.array([(1.0, 1.0, 1.0), (3.0, 1.0, 1.0), (5.0, 1.0, 1.0)], dtype=wp.vec3)
    >>> bvh = wp.Bvh(lowers, uppers)
    >>> @wp.kernel
    ... def near(bvh: wp.uint64, center: wp.vec3, radius: float, hit: wp.array(dtype=int)):
    ...     query = wp.bvh_query_sphere(bvh, center, radius)
    ...     i = int(0)
    ...     while wp.bvh_query_next(query, i):
    ...         hit[i] = 1
    >>> hit = wp.zeros(3, dtype=int)
    >>> wp.launch(near, 1, inputs=[bvh.id, wp.vec3(3.0, 2.0, 0.5), 1.2, hit])
    >>> print(hit.numpy())  # box 1 is 1.0 away, boxes 0 and 2 farther than 1.2
    [0 1 0]
    """
    _kernel_only("bvh_query_sphere")


def bvh_query_capsule(id, start, dir, radius, root=-1):
    """Start a conservative capsule sweep: the items whose boxes, inflated by ``radius``,
    the ray ``start + t * dir`` enters (pass ``dir = p1 - p0`` and ``max_dist=1.0``).

    Example
    -------
    >>> lowers = wp.array([(0.0, 0.0, 0.0), (2.0, 0.0, 0.0), (4.0, 0.0, 0.0)], dtype=wp.vec3)
    >>> uppers = wp.array([(1.0, 1.0, 1.0), (3.0, 1.0, 1.0), (5.0, 1.0, 1.0)], dtype=wp.vec3)
    >>> bvh = wp.Bvh(lowers, uppers)
    >>> @wp.kernel
    ... def swept(bvh: wp.uint64, p0: wp.vec3, p1: wp.vec3, r: float, hit: wp.array(dtype=int)):
    ...     query = wp.bvh_query_capsule(bvh, p0, p1 - p0, r)  # a sphere of radius r moving
    ...     i = int(0)
    ...     while wp.bvh_query_next(query, i, 1.0):  # from p0 to p1
    ...         hit[i] = 1
    >>> hit = wp.zeros(3, dtype=int)
    >>> p0, p1 = wp.vec3(0.5, 1.2, 0.5), wp.vec3(2.5, 1.2, 0.5)
    >>> wp.launch(swept, 1, inputs=[bvh.id, p0, p1, 0.5, hit])
    >>> print(hit.numpy())
    [1 1 0]
    """
    _kernel_only("bvh_query_capsule")


def bvh_query_next(query, index, max_dist=math.inf):
    """Advance ``query``; set ``index`` to the next item and return True, or return
    False when the query is done.

    Example
    -------
    >>> lowers = wp.array([(0.0, 0.0, 0.0), (2.0, 0.0, 0.0), (4.0, 0.0, 0.0)], dtype=wp.vec3)
    >>> uppers = wp.array([(1.0, 1.0, 1.0), (3.0, 1.0, 1.0), (5.0, 1.0, 1.0)], dtype=wp.vec3)
    >>> bvh = wp.Bvh(lowers, uppers)
    >>> @wp.kernel
    ... def first_hits(bvh: wp.uint64, hit: wp.array(dtype=int)):
    ...     query = wp.bvh_query_ray(bvh, wp.vec3(-1.0, 0.5, 0.5), wp.vec3(1.0, 0.0, 0.0))
    ...     i = int(0)
    ...     while wp.bvh_query_next(query, i, 3.5):  # boxes the ray enters at t < 3.5
    ...         hit[i] = 1
    >>> hit = wp.zeros(3, dtype=int)
    >>> wp.launch(first_hits, 1, inputs=[bvh.id, hit])
    >>> print(hit.numpy())
    [1 1 0]
    """
    _kernel_only("bvh_query_next")


def bvh_get_group_root(id, group):
    """The root node of ``group``'s subtree in a grouped BVH (-1, the whole tree, if no
    item has that group).

    Example
    -------
    >>> lowers = wp.array([(0.0, 0.0, 0.0), (2.0, 0.0, 0.0), (4.0, 0.0, 0.0)], dtype=wp.vec3)
    >>> uppers = wp.array([(1.0, 1.0, 1.0), (3.0, 1.0, 1.0), (5.0, 1.0, 1.0)], dtype=wp.vec3)
    >>> bvh = wp.Bvh(lowers, uppers, groups=wp.array([7, 3, 7], dtype=wp.int32))
    >>> @wp.kernel
    ... def in_group(bvh: wp.uint64, group: int, hit: wp.array(dtype=int)):
    ...     root = wp.bvh_get_group_root(bvh, group)
    ...     query = wp.bvh_query_aabb(bvh, wp.vec3(-10.0), wp.vec3(10.0), root)
    ...     i = int(0)
    ...     while wp.bvh_query_next(query, i):
    ...         hit[i] = 1
    >>> hit = wp.zeros(3, dtype=int)
    >>> wp.launch(in_group, 1, inputs=[bvh.id, 7, hit])
    >>> print(hit.numpy())  # only group 7's boxes
    [1 0 1]
    """
    _kernel_only("bvh_get_group_root")


def _bvh_query_next(query, index, max_dist=math.inf):
    """``bvh_query_next`` as a pure function: ``(query, index, found)``."""
    _kernel_only("bvh_query_next")


# -- nodes ---------------------------------------------------------------------------------

@jitable
def slot(handle, k):
    return load_at(handle, k, np.int64(0))


@jitable
def node_record(nodes, i):
    """Node ``i``: ``(lx, ly, lz, code, hx, hy, hz, escape)`` (see the module docstring)."""
    return load_node_record(nodes, i)


@jitable
def node_bounds(nodes, i):
    """The box of node ``i``: ``(lx, ly, lz, hx, hy, hz)``."""
    lx, ly, lz, _code, hx, hy, hz, _escape = load_node_record(nodes, i)
    return lx, ly, lz, hx, hy, hz


@jitable
def node_code(nodes, i):
    """The left child of internal node ``i``, or ``-(item + 1)`` of a leaf."""
    return np.int64(load_at(nodes, i * NODE_WORDS + 3, np.int32(0)))


@jitable
def node_escape(nodes, i):
    return np.int64(load_at(nodes, i * NODE_WORDS + 7, np.int32(0)))


@jitable
def start_node(handle, nodes, root):
    """(first node, node to stop at) of a traversal from ``root`` (-1: the tree's root)."""
    if nodes == 0:
        return np.int64(-1), np.int64(-1)
    if root < 0:
        return np.int64(0), np.int64(-1)
    if root >= 2 * slot(handle, SLOT_NUM_ITEMS) - 1:
        return np.int64(-1), np.int64(-1)
    return np.int64(root), node_escape(nodes, root)


# -- box tests (Warp's intersect.h semantics: fmin/fmax ignore a NaN operand) ------------

@jitable
def fmin(a, b):
    if a <= b:
        return a
    return a if math.isnan(b) else b


@jitable
def fmax(a, b):
    if a >= b:
        return a
    return a if math.isnan(b) else b


@jitable
def aabb_overlap(al, ah, lx, ly, lz, hx, hy, hz):
    return not (al[0] > hx or al[1] > hy or al[2] > hz or ah[0] < lx or ah[1] < ly
                or ah[2] < lz)


@jitable
def box_distance_sq(p, lx, ly, lz, hx, hy, hz):
    """Squared distance from ``p`` to the box (0 inside)."""
    dx = fmax(fmax(lx - p[0], p[0] - hx), _F32(0.0))
    dy = fmax(fmax(ly - p[1], p[1] - hy), _F32(0.0))
    dz = fmax(fmax(lz - p[2], p[2] - hz), _F32(0.0))
    return dx * dx + dy * dy + dz * dz


@jitable
def ray_box(start, rcp, lx, ly, lz, hx, hy, hz):
    """Slab test: (hit, entry t). ``rcp`` is 1/dir component-wise."""
    l1 = (lx - start[0]) * rcp[0]
    l2 = (hx - start[0]) * rcp[0]
    lmin = fmin(l1, l2)
    lmax = fmax(l1, l2)
    l1 = (ly - start[1]) * rcp[1]
    l2 = (hy - start[1]) * rcp[1]
    lmin = fmax(fmin(l1, l2), lmin)
    lmax = fmin(fmax(l1, l2), lmax)
    l1 = (lz - start[2]) * rcp[2]
    l2 = (hz - start[2]) * rcp[2]
    lmin = fmax(fmin(l1, l2), lmin)
    lmax = fmin(fmax(l1, l2), lmax)
    return lmax >= _F32(0.0) and lmax >= lmin, lmin


@jitable
def _slab(s, d, r, lo, hi, lmin, lmax):
    if d == _F32(0.0):
        if s < lo or s > hi:
            return False, lmin, lmax
        return True, lmin, lmax
    l1 = (lo - s) * r
    l2 = (hi - s) * r
    return True, fmax(fmin(l1, l2), lmin), fmin(fmax(l1, l2), lmax)


@jitable
def ray_box_robust(start, dir, rcp, lx, ly, lz, hx, hy, hz):
    """Slab test that treats a zero direction component as a ray parallel to the slab."""
    big = _F32(3.4028234663852886e38)
    ok, lmin, lmax = _slab(start[0], dir[0], rcp[0], lx, hx, -big, big)
    if not ok:
        return False, lmin
    ok, lmin, lmax = _slab(start[1], dir[1], rcp[1], ly, hy, lmin, lmax)
    if not ok:
        return False, lmin
    ok, lmin, lmax = _slab(start[2], dir[2], rcp[2], lz, hz, lmin, lmax)
    if not ok:
        return False, lmin
    return lmax >= _F32(0.0) and lmax >= lmin, lmin


def node_test(q, lx, ly, lz, hx, hy, hz, max_dist):
    """Whether query ``q`` visits a node with that box (one rule per query kind; the
    mesh's queries add theirs in ``mesh_ops``)."""


def leaf_test(q, item):
    """Whether query ``q`` reports ``item`` once its leaf passed :func:`node_test` (a
    narrow phase; every BVH query reports it)."""


@implements(leaf_test)
def _ol_leaf_test(q, item):
    if getattr(q, "instance_class", None) in _QUERY_CLASSES:
        return lambda q, item: True
    return None


@implements(node_test)
def _ol_node_test(q, lx, ly, lz, hx, hy, hz, max_dist):
    kind = getattr(q, "instance_class", None)
    if kind is BvhQueryAabb:
        def impl(q, lx, ly, lz, hx, hy, hz, max_dist):
            return aabb_overlap(q.lower, q.upper, lx, ly, lz, hx, hy, hz)
    elif kind is BvhQueryRay:
        def impl(q, lx, ly, lz, hx, hy, hz, max_dist):
            hit, t = ray_box(q.start, q.rcp, lx, ly, lz, hx, hy, hz)
            return hit and not t >= max_dist
    elif kind is BvhQuerySphere:
        def impl(q, lx, ly, lz, hx, hy, hz, max_dist):
            return box_distance_sq(q.center, lx, ly, lz, hx, hy, hz) <= q.radius_sq
    elif kind is BvhQueryCapsule:
        def impl(q, lx, ly, lz, hx, hy, hz, max_dist):
            r = q.radius
            hit, t = ray_box_robust(q.start, q.dir, q.rcp, lx - r, ly - r, lz - r, hx + r,
                                    hy + r, hz + r)
            return hit and not t > max_dist
    else:
        return None
    return impl


@jitable
def advance(q, index, max_dist):
    """Step a stackless traversal (``q.node``, ``q.stop``, ``q.nodes`` are its first
    fields) to the next item that passes the tests: ``(query, index, found)``."""
    node = q.node
    while node != q.stop:
        lx, ly, lz, code, hx, hy, hz, escape = node_record(q.nodes, node)
        code = np.int64(code)
        if node_test(q, lx, ly, lz, hx, hy, hz, max_dist):
            if code < 0:
                if leaf_test(q, -code - 1):
                    return replace_field(q, 0, np.int64(escape)), np.int32(-code - 1), True
                node = np.int64(escape)
                continue
            node = code
        else:
            node = np.int64(escape)
    return replace_field(q, 0, node), np.int32(index), False


# -- builtins --------------------------------------------------------------------------------

def _is_vec3f(t) -> bool:
    return is_vec(t, 3) and t.dtype == types.float32


def _is_root(t) -> bool:
    return isinstance(t, int) or absent(t) or is_int(t)  # (an int: the default, omitted)


def _number(t) -> bool:
    return isinstance(t, float) or is_float(t) or is_int(t)


@jitable
def _begin(id, root):
    handle = np.int64(id)
    nodes = slot(handle, SLOT_NODES)
    node, stop = start_node(handle, nodes, np.int64(root))
    return node, stop, nodes


@jitable
def _reciprocal(v):
    return (_F32(1.0) / v[0], _F32(1.0) / v[1], _F32(1.0) / v[2])


@implements(bvh_query_aabb)
def _ol_query_aabb(id, low, high, root=-1):
    if is_int(id) and _is_vec3f(low) and _is_vec3f(high) and _is_root(root):
        def impl(id, low, high, root=-1):
            node, stop, nodes = _begin(id, root)
            return BvhQueryAabb(node, stop, nodes, low, high)
        return impl
    return None


@implements(bvh_query_ray)
def _ol_query_ray(id, start, dir, root=-1):
    if is_int(id) and _is_vec3f(start) and _is_vec3f(dir) and _is_root(root):
        def impl(id, start, dir, root=-1):
            node, stop, nodes = _begin(id, root)
            return BvhQueryRay(node, stop, nodes, start, _reciprocal(dir))
        return impl
    return None


@implements(bvh_query_sphere)
def _ol_query_sphere(id, center, radius, root=-1):
    if is_int(id) and _is_vec3f(center) and _number(radius) and _is_root(root):
        def impl(id, center, radius, root=-1):
            node, stop, nodes = _begin(id, root)
            r = fmax(_F32(radius), _F32(0.0))
            return BvhQuerySphere(node, stop, nodes, center, r * r)
        return impl
    return None


@implements(bvh_query_capsule)
def _ol_query_capsule(id, start, dir, radius, root=-1):
    if is_int(id) and _is_vec3f(start) and _is_vec3f(dir) and _number(radius) \
            and _is_root(root):
        def impl(id, start, dir, radius, root=-1):
            node, stop, nodes = _begin(id, root)
            return BvhQueryCapsule(node, stop, nodes, start, dir, _reciprocal(dir),
                                   fmax(_F32(radius), _F32(0.0)))
        return impl
    return None


@implements(_bvh_query_next)
def _ol_next(query, index, max_dist=math.inf):
    if not (isinstance(query, types.BaseNamedTuple) and query.instance_class in _QUERY_CLASSES
            and is_int(index) and (absent(max_dist) or _number(max_dist))):
        return None

    def impl(query, index, max_dist=math.inf):
        return advance(query, index, _F32(max_dist))

    return impl


@implements(bvh_get_group_root)
def _ol_group_root(id, group):
    if not (is_int(id) and is_int(group)):
        return None

    def impl(id, group):
        handle = np.int64(id)
        groups = slot(handle, SLOT_GROUPS)
        n = slot(handle, SLOT_NUM_ITEMS)
        if groups == 0:
            return np.int32(-1)
        g = np.int32(group)
        first = lower_bound_at(groups, np.int64(0), n, g, np.int32(0))
        if first >= n or load_at(groups, first, np.int32(0)) != g:
            return np.int32(-1)
        return load_at(slot(handle, SLOT_GROUP_ROOTS), first, np.int32(0))

    return impl


inline_on_cpu(advance, lambda q, index, max_dist: advance)
inline_on_cpu(_bvh_query_next, _ol_next)
register_stateful(bvh_query_next, _bvh_query_next, updates=2)
for _ctor in (bvh_query_aabb, bvh_query_ray, bvh_query_sphere, bvh_query_capsule):
    register_iterable(_ctor, bvh_query_next)
nondifferentiable(bvh_query_aabb, bvh_query_ray, bvh_query_sphere, bvh_query_capsule,
                  bvh_query_next, _bvh_query_next, bvh_get_group_root)
