"""The parallel steps of a linear BVH build, called one thread per item or node by the
build kernels of ``numba_warp/geometry/lbvh.py`` (the tree layout is ``bvh_ops``'s).

1. Each item's box centre gets a 30-bit Morton code on a 1024^3 grid over the centres'
   bounds (:func:`morton_code`); a grouped build puts the group (sign bit flipped) in
   the upper 32 bits of a 64-bit key, so a radix sort orders items by group, then along
   the curve.
2. Each internal node finds its range of sorted items and its split from the sorted keys
   alone (:func:`build_internal`, Karras 2012, "Maximizing parallelism in the
   construction of BVHs, octrees and k-d trees"): the common-prefix length of two keys,
   with the items' positions breaking ties between equal keys, so every tree is binary
   and at most 30 + 32 levels deep (plus 32 for the group bits of a grouped build). A
   group's items form one subtree, whose root the node spanning exactly the group's range
   records.
3. Each node finds its escape link by walking up to the first ancestor it is left of
   (:func:`escape_of`).
4. Bounds, bottom up (:func:`refit_up`): every leaf writes its box and walks towards the
   root; at each internal node an atomic counter lets the first child's thread stop and
   the second one (which then sees both children's boxes) write the union and go on.
   Refits repeat this step only. For meshes that support winding numbers the same walk
   combines each node's area-weighted normal, centre and radius (its far-field
   description for ``mesh_ops``'s winding number). On the CPU, where an atomic per node
   costs more than the union itself, a refit writes the leaves, then each thread
   completes whole subtrees below a cut of the tree children-first
   (:func:`refit_subtree`) and one thread the few nodes above it.
"""

from __future__ import annotations

import math

import numpy as np
from numba.core import types

from .builtin import implements, jitable
from .bvh_ops import NODE_WORDS, fmax, fmin
from .handles import (
    counter_arrive,
    leading_zeros,
    load_at,
    load_fresh_at,
    load_node_record_written,
    stack_alloca,
    store_at,
)

__all__ = [
    "PROP_WORDS",
    "box_of",
    "build_internal",
    "combine_children",
    "edge_sum",
    "escape_of",
    "item_key",
    "mark_leaf",
    "morton_code",
    "no_props",
    "refit_subtree",
    "refit_up",
    "triangle_box",
    "triangle_props",
    "write_escape",
    "write_leaf",
]

_F32 = np.float32
_I32 = np.int32
#: 32-bit words of a node's winding-number description: centre (3), area, normal (3),
#: radius
PROP_WORDS = 8


@jitable
def _spread_bits(v):
    """The low 10 bits of ``v`` spread out to every third bit."""
    x = np.uint32(v) & np.uint32(0x3FF)
    x = (x | (x << np.uint32(16))) & np.uint32(0x030000FF)
    x = (x | (x << np.uint32(8))) & np.uint32(0x0300F00F)
    x = (x | (x << np.uint32(4))) & np.uint32(0x030C30C3)
    x = (x | (x << np.uint32(2))) & np.uint32(0x09249249)
    return x


@jitable
def _grid_coord(c, lo, inv):
    g = (c - lo) * inv
    if not g > _F32(0.0):  # also NaN
        return np.uint32(0)
    if g >= _F32(1023.0):
        return np.uint32(1023)
    return np.uint32(g)


@jitable
def morton_code(cx, cy, cz, lo, inv):
    """30-bit Morton code of a centre; ``lo``/``inv``: the grid origin and 1023 / extent
    per axis (as tuples)."""
    return (_spread_bits(_grid_coord(cz, lo[2], inv[2])) << np.uint32(2)) | \
        (_spread_bits(_grid_coord(cy, lo[1], inv[1])) << np.uint32(1)) | \
        _spread_bits(_grid_coord(cx, lo[0], inv[0]))


@jitable
def _delta(keys, n, i, j):
    """Common-prefix length of sorted keys ``i`` and ``j`` (their positions break ties);
    -1 outside the array."""
    if j < 0 or j >= n:
        return np.int64(-1)
    ki = np.uint64(keys[i])
    kj = np.uint64(keys[j])
    if ki == kj:
        return 64 + leading_zeros(np.uint32(i ^ j))
    return leading_zeros(ki ^ kj)


@jitable
def _range_and_split(keys, n, i):
    """(first, last, split) of internal node ``i``: its sorted items and the last item
    of its left child."""
    d = 1 if _delta(keys, n, i, i + 1) > _delta(keys, n, i, i - 1) else -1
    dmin = _delta(keys, n, i, i - d)
    lmax = np.int64(2)
    while _delta(keys, n, i, i + lmax * d) > dmin:
        lmax *= 2
    ln = np.int64(0)
    t = lmax // 2
    while t >= 1:
        if _delta(keys, n, i, i + (ln + t) * d) > dmin:
            ln += t
        t //= 2
    j = i + ln * d
    dnode = _delta(keys, n, i, j)
    s = np.int64(0)
    div = np.int64(2)
    while True:
        t = (ln + div - 1) // div
        if _delta(keys, n, i, i + (s + t) * d) > dnode:
            s += t
        if t <= 1:
            break
        div *= 2
    split = i + s * d + min(d, 0)
    return min(i, j), max(i, j), split


@jitable
def _is_group_range(groups, n, first, last):
    g = groups[first]
    return groups[last] == g and (first == 0 or groups[first - 1] != g) and \
        (last == n - 1 or groups[last + 1] != g)


@jitable
def build_internal(keys, n, i, nodes, parents, rights, groups, group_roots, grouped):
    """Children, parent links and (grouped builds) group root of internal node ``i``."""
    first, last, split = _range_and_split(keys, n, i)
    left = split + (n - 1) if first == split else split
    right = split + n if last == split + 1 else split + 1
    store_at(nodes, i * NODE_WORDS + 3, _I32(left))
    rights[i] = right
    parents[left] = i
    parents[right] = i
    if grouped and _is_group_range(groups, n, first, last):
        group_roots[first] = i


@jitable
def mark_leaf(n, k, item, nodes, groups, group_roots, grouped):
    """Leaf ``k`` (in sorted order) holds ``item``."""
    store_at(nodes, (n - 1 + k) * NODE_WORDS + 3, _I32(-item - 1))
    if grouped and _is_group_range(groups, n, k, k):
        group_roots[k] = n - 1 + k


@jitable
def escape_of(nodes, parents, rights, x):
    """The node after ``x``'s subtree in depth-first order (-1: none)."""
    y = np.int64(x)
    while y != 0:
        p = np.int64(parents[y])
        if np.int64(load_at(nodes, p * NODE_WORDS + 3, _I32(0))) == y:
            return np.int64(rights[p])
        y = p
    return np.int64(-1)


@jitable
def _write_box(nodes, i, b):
    w = i * NODE_WORDS
    store_at(nodes, w, b[0])
    store_at(nodes, w + 1, b[1])
    store_at(nodes, w + 2, b[2])
    store_at(nodes, w + 4, b[3])
    store_at(nodes, w + 5, b[4])
    store_at(nodes, w + 6, b[5])


@jitable
def _fresh_box(nodes, i):
    w = i * NODE_WORDS
    return (load_fresh_at(nodes, w, _F32(0)), load_fresh_at(nodes, w + 1, _F32(0)),
            load_fresh_at(nodes, w + 2, _F32(0)), load_fresh_at(nodes, w + 4, _F32(0)),
            load_fresh_at(nodes, w + 5, _F32(0)), load_fresh_at(nodes, w + 6, _F32(0)))


@jitable
def _union(a, b):
    return (min(a[0], b[0]), min(a[1], b[1]), min(a[2], b[2]),
            max(a[3], b[3]), max(a[4], b[4]), max(a[5], b[5]))


@jitable
def _write_props(props, i, p):
    w = i * PROP_WORDS
    for k in range(PROP_WORDS):
        store_at(props, w + k, p[k])


@jitable
def _fresh_props(props, i):
    w = i * PROP_WORDS
    return (load_fresh_at(props, w, _F32(0)), load_fresh_at(props, w + 1, _F32(0)),
            load_fresh_at(props, w + 2, _F32(0)), load_fresh_at(props, w + 3, _F32(0)),
            load_fresh_at(props, w + 4, _F32(0)), load_fresh_at(props, w + 5, _F32(0)),
            load_fresh_at(props, w + 6, _F32(0)), load_fresh_at(props, w + 7, _F32(0)))


@jitable
def _dist(ax, ay, az, bx, by, bz):
    return math.sqrt((ax - bx) * (ax - bx) + (ay - by) * (ay - by) + (az - bz) * (az - bz))


@jitable
def _combine_props(a, b):
    """Far-field description of two subtrees together (centre: area-weighted)."""
    area = a[3] + b[3]
    if area > _F32(0.0):
        wa = a[3] / area
        wb = b[3] / area
    else:
        wa = _F32(0.5)
        wb = _F32(0.5)
    cx = wa * a[0] + wb * b[0]
    cy = wa * a[1] + wb * b[1]
    cz = wa * a[2] + wb * b[2]
    r = max(_dist(cx, cy, cz, a[0], a[1], a[2]) + a[7],
            _dist(cx, cy, cz, b[0], b[1], b[2]) + b[7])
    return (_F32(cx), _F32(cy), _F32(cz), _F32(area), a[4] + b[4], a[5] + b[5], a[6] + b[6],
            _F32(r))


@jitable
def refit_up(nodes, parents, rights, counters, props, x, box, prop):
    """Write leaf ``x``'s ``box`` (and far-field ``prop`` when ``props`` is not 0), then
    carry unions up while this thread is the second to reach a node."""
    _write_box(nodes, x, box)
    if props != 0:
        _write_props(props, x, prop)
    node = np.int64(x)
    while node != 0:
        p = np.int64(parents[node])
        if counter_arrive(counters, p) == 0:
            return
        left = np.int64(load_at(nodes, p * NODE_WORDS + 3, _I32(0)))
        sibling = np.int64(rights[p]) if left == node else left
        box = _union(box, _fresh_box(nodes, sibling))
        _write_box(nodes, p, box)
        if props != 0:
            prop = _combine_props(prop, _fresh_props(props, sibling))
            _write_props(props, p, prop)
        node = p


@jitable
def write_leaf(nodes, props, x, box, prop):
    """Write leaf ``x``'s box (and far-field description when ``props`` is not 0)."""
    _write_box(nodes, x, box)
    if props != 0:
        _write_props(props, x, prop)


@jitable
def _box_at(nodes, i):
    w = i * NODE_WORDS
    return (load_at(nodes, w, _F32(0)), load_at(nodes, w + 1, _F32(0)),
            load_at(nodes, w + 2, _F32(0)), load_at(nodes, w + 4, _F32(0)),
            load_at(nodes, w + 5, _F32(0)), load_at(nodes, w + 6, _F32(0)))


@jitable
def _props_at(props, i):
    w = i * PROP_WORDS
    return (load_at(props, w, _F32(0)), load_at(props, w + 1, _F32(0)),
            load_at(props, w + 2, _F32(0)), load_at(props, w + 3, _F32(0)),
            load_at(props, w + 4, _F32(0)), load_at(props, w + 5, _F32(0)),
            load_at(props, w + 6, _F32(0)), load_at(props, w + 7, _F32(0)))


@jitable
def combine_children(nodes, props, p):
    """Internal node ``p``'s box (and description) from its children's, which are done."""
    left = np.int64(load_at(nodes, p * NODE_WORDS + 3, _I32(0)))
    lr = load_node_record_written(nodes, left)
    rr = load_node_record_written(nodes, lr[7])
    _write_box(nodes, p, (min(lr[0], rr[0]), min(lr[1], rr[1]), min(lr[2], rr[2]),
                          max(lr[4], rr[4]), max(lr[5], rr[5]), max(lr[6], rr[6])))
    if props != 0:
        _write_props(props, p, _combine_props(_props_at(props, left),
                                              _props_at(props, np.int64(lr[7]))))


#: slots of the post-order stack of :func:`refit_subtree` (3 per level of a <= 93-deep tree)
SUBTREE_STACK = 288


@jitable
def refit_subtree(nodes, props, root):
    """Boxes of every internal node under ``root`` (its leaves are written), children
    first, by one thread: the CPU's refit, with no atomics (a stack of ``node * 2 +
    children_done``)."""
    stack = stack_alloca(SUBTREE_STACK)
    store_at(stack, 0, _I32(root * 2))
    count = 1
    while count > 0:
        count -= 1
        entry = np.int64(load_at(stack, count, _I32(0)))
        node = entry >> 1
        if entry & 1:
            combine_children(nodes, props, node)
            continue
        left = np.int64(load_at(nodes, node * NODE_WORDS + 3, _I32(0)))
        if left < 0:
            continue
        right = np.int64(load_at(nodes, left * NODE_WORDS + 7, _I32(0)))
        store_at(stack, count, _I32(node * 2 + 1))
        store_at(stack, count + 1, _I32(left * 2))
        store_at(stack, count + 2, _I32(right * 2))
        count += 3


def item_key(centre, bounds, groups, grouped, i, proto):
    """The sort key of item ``i`` with box centre ``centre``: its Morton code on the grid
    over ``bounds`` (6 floats: the centres' lower and upper corners), of ``proto``'s
    type; a uint64 key of a grouped build has the group (sign bit flipped) above it."""


@implements(item_key)
def _ol_item_key(centre, bounds, groups, grouped, i, proto):
    wide = proto == types.uint64

    def impl(centre, bounds, groups, grouped, i, proto):
        lo = (bounds[0], bounds[1], bounds[2])
        inv = (_inverse_extent(bounds[0], bounds[3]), _inverse_extent(bounds[1], bounds[4]),
               _inverse_extent(bounds[2], bounds[5]))
        code = morton_code(centre[0], centre[1], centre[2], lo, inv)
        if wide:
            g = np.uint64(np.uint32(groups[i]) ^ np.uint32(0x80000000)) if grouped \
                else np.uint64(0)
            return (g << np.uint64(32)) | np.uint64(code)
        return code

    return impl


@jitable
def _inverse_extent(lo, hi):
    extent = hi - lo
    if extent > _F32(0.0) and extent < _F32(3.0e38):
        return _F32(1023.0) / extent
    return _F32(0.0)


@jitable
def write_escape(nodes, i, escape):
    store_at(nodes, i * NODE_WORDS + 7, _I32(escape))


@jitable
def box_of(lower, upper):
    return (_F32(lower[0]), _F32(lower[1]), _F32(lower[2]), _F32(upper[0]), _F32(upper[1]),
            _F32(upper[2]))


@jitable
def triangle_box(a, b, c):
    """The bounding box of a triangle (its NaN coordinates are skipped, as vector min/max
    skip them)."""
    return (_fmin3(a[0], b[0], c[0]), _fmin3(a[1], b[1], c[1]), _fmin3(a[2], b[2], c[2]),
            _fmax3(a[0], b[0], c[0]), _fmax3(a[1], b[1], c[1]), _fmax3(a[2], b[2], c[2]))


@jitable
def _fmin3(x, y, z):
    return fmin(fmin(x, y), z)


@jitable
def _fmax3(x, y, z):
    return fmax(fmax(x, y), z)


@jitable
def edge_sum(a, b, c):
    """The summed lengths of a triangle's edges."""
    return _dist(a[0], a[1], a[2], b[0], b[1], b[2]) + \
        _dist(b[0], b[1], b[2], c[0], c[1], c[2]) + _dist(c[0], c[1], c[2], a[0], a[1], a[2])


@jitable
def no_props():
    z = _F32(0.0)
    return (z, z, z, z, z, z, z, z)


@jitable
def triangle_props(a, b, c, props):
    """Far-field description of one triangle: centroid, area, area vector, radius (only
    computed when the mesh keeps them)."""
    if props == 0:
        return no_props()
    e1x, e1y, e1z = b[0] - a[0], b[1] - a[1], b[2] - a[2]
    e2x, e2y, e2z = c[0] - a[0], c[1] - a[1], c[2] - a[2]
    nx = _F32(0.5) * (e1y * e2z - e1z * e2y)
    ny = _F32(0.5) * (e1z * e2x - e1x * e2z)
    nz = _F32(0.5) * (e1x * e2y - e1y * e2x)
    third = _F32(1.0 / 3.0)
    px = (a[0] + b[0] + c[0]) * third
    py = (a[1] + b[1] + c[1]) * third
    pz = (a[2] + b[2] + c[2]) * third
    r = max(max(_dist(px, py, pz, a[0], a[1], a[2]), _dist(px, py, pz, b[0], b[1], b[2])),
            _dist(px, py, pz, c[0], c[1], c[2]))
    area = math.sqrt(nx * nx + ny * ny + nz * nz)
    return (_F32(px), _F32(py), _F32(pz), _F32(area), _F32(nx), _F32(ny), _F32(nz), _F32(r))
