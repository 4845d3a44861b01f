"""The linear BVH that ``wp.Bvh`` and ``wp.Mesh`` share: its arrays on one device and the
build and refit, as kernels on that device (every core on the CPU).

A build over ``n`` leaf boxes (items' ``lowers``/``uppers``, or a mesh's triangles):

1. the bounds of the boxes' centres (a strided reduction with atomics; NaN centres, and
   triangles with a NaN or infinite vertex, are counted so that the owner can refuse
   them),
2. each item's Morton key (with its group in the upper bits for a grouped tree) and
   index, radix-sorted by key (``runtime/array_sort``),
3. the topology from the sorted keys, every internal node in parallel, then each node's
   escape link (``lowering/bvh_build``; the layout is ``lowering/bvh_ops``'s),
4. the bounds, bottom up (a refit: on the GPU one thread per leaf walking up past atomic
   counters; on the CPU the leaves, then whole subtrees per thread, then the top).

``refit`` repeats step 4 (after the boxes moved; a mesh's refit also leaves each
triangle's summed edge lengths in ``edges``); ``rebuild`` repeats everything in the same
buffers. Nothing is read back to the host except the NaN count at construction.
"""

from __future__ import annotations

import typing

import numpy as np

from ..lang import tid
from ..lowering import bvh_build as build
from ..lowering import bvh_ops as ops
from ..lowering.atomics import atomic_add, atomic_max, atomic_min
from ..lowering.scalar_math import isfinite, isnan
from ..runtime.array import array
from ..runtime.array_sort import radix_sort_pairs
from ..runtime.factories import empty, zeros
from ..runtime.kernel import library_kernel
from ..runtime.launch import launch
from ..typing.scalars import scalar_types
from ..typing.vec import vector_class

__all__ = ["LinearBvh"]

_I32, _U32, _U64 = scalar_types["int32"], scalar_types["uint32"], scalar_types["uint64"]
_F32 = scalar_types["float32"]
_VEC3 = vector_class(3, _F32)
_V3 = array(dtype=_VEC3, ndim=1)
_I1 = array(dtype=_I32, ndim=1)
_F1 = array(dtype=_F32, ndim=1)
_ANY1 = array(dtype=typing.Any, ndim=1)
_BIG = 3.0e38


# -- leaf boxes ------------------------------------------------------------------------------
@library_kernel("numba_warp_bvh_centre_bounds_boxes")
def _centre_bounds_boxes(lowers: _V3, uppers: _V3, n: int, stride: int, bounds: _F1,
                         bad: _I1):
    t = tid()
    lo = _VEC3(_BIG, _BIG, _BIG)
    hi = _VEC3(-_BIG, -_BIG, -_BIG)
    nan = 0
    i = t
    while i < n:
        c = (lowers[i] + uppers[i]) * 0.5
        if isnan(c[0]) or isnan(c[1]) or isnan(c[2]):
            nan += 1
        else:
            for k in range(3):
                lo[k] = min(lo[k], c[k])
                hi[k] = max(hi[k], c[k])
        i += stride
    for k in range(3):
        atomic_min(bounds, k, lo[k])
        atomic_max(bounds, 3 + k, hi[k])
    if nan > 0:
        atomic_add(bad, 0, nan)


@library_kernel("numba_warp_bvh_centre_bounds_triangles")
def _centre_bounds_triangles(points: _V3, indices: _I1, n: int, stride: int, bounds: _F1,
                             bad: _I1):
    t = tid()
    lo = _VEC3(_BIG, _BIG, _BIG)
    hi = _VEC3(-_BIG, -_BIG, -_BIG)
    nan = 0
    i = t
    while i < n:
        a = points[indices[3 * i]]
        b = points[indices[3 * i + 1]]
        c = points[indices[3 * i + 2]]
        m = (min(min(a, b), c) + max(max(a, b), c)) * 0.5
        if not isfinite(a[0] + a[1] + a[2] + b[0] + b[1] + b[2] + c[0] + c[1] + c[2]):
            nan += 1  # (min/max skip NaN: test the vertices themselves)
        else:
            for k in range(3):
                lo[k] = min(lo[k], m[k])
                hi[k] = max(hi[k], m[k])
        i += stride
    for k in range(3):
        atomic_min(bounds, k, lo[k])
        atomic_max(bounds, 3 + k, hi[k])
    if nan > 0:
        atomic_add(bad, 0, nan)


@library_kernel("numba_warp_bvh_init_bounds")
def _init_bounds(bounds: _F1, bad: _I1):
    k = tid()
    if k < 3:
        bounds[k] = _BIG
    else:
        bounds[k] = -_BIG
    if k == 0:
        bad[0] = 0


# -- keys ------------------------------------------------------------------------------------
@library_kernel("numba_warp_bvh_keys_boxes")
def _keys_boxes(lowers: _V3, uppers: _V3, bounds: _F1, groups: _I1, grouped: int,
                keys: _ANY1, ids: _I1):
    i = tid()
    c = (lowers[i] + uppers[i]) * 0.5
    keys[i] = build.item_key(c, bounds, groups, grouped, i, keys[i])
    ids[i] = i


@library_kernel("numba_warp_bvh_keys_triangles")
def _keys_triangles(points: _V3, indices: _I1, bounds: _F1, groups: _I1, grouped: int,
                    keys: _ANY1, ids: _I1):
    i = tid()
    a = points[indices[3 * i]]
    b = points[indices[3 * i + 1]]
    c = points[indices[3 * i + 2]]
    m = (min(min(a, b), c) + max(max(a, b), c)) * 0.5
    keys[i] = build.item_key(m, bounds, groups, grouped, i, keys[i])
    ids[i] = i


# -- topology ----------------------------------------------------------------------------------
@library_kernel("numba_warp_bvh_sorted_groups")
def _sorted_groups(groups: _I1, ids: _I1, sorted_groups: _I1):
    k = tid()
    sorted_groups[k] = groups[ids[k]]


@library_kernel("numba_warp_bvh_topology")
def _topology(keys: _ANY1, ids: _I1, n: int, nodes: _U64, parents: _I1, rights: _I1,
              sorted_groups: _I1, group_roots: _I1, grouped: int):
    k = tid()
    build.mark_leaf(n, k, ids[k], nodes, sorted_groups, group_roots, grouped)
    if k < n - 1:
        build.build_internal(keys, n, k, nodes, parents, rights, sorted_groups, group_roots,
                             grouped)


@library_kernel("numba_warp_bvh_escapes")
def _escapes(nodes: _U64, parents: _I1, rights: _I1):
    x = tid()
    build.write_escape(nodes, x, build.escape_of(nodes, parents, rights, x))


# -- bounds --------------------------------------------------------------------------------------
@library_kernel("numba_warp_bvh_refit_boxes")
def _refit_boxes(lowers: _V3, uppers: _V3, ids: _I1, n: int, nodes: _U64, parents: _I1,
                 rights: _I1, counters: _U64):
    k = tid()
    item = ids[k]
    build.refit_up(nodes, parents, rights, counters, _U64(0), n - 1 + k,
                   build.box_of(lowers[item], uppers[item]), build.no_props())


@library_kernel("numba_warp_bvh_refit_triangles")
def _refit_triangles(points: _V3, indices: _I1, ids: _I1, n: int, nodes: _U64, parents: _I1,
                     rights: _I1, counters: _U64, props: _U64, edges: _F1):
    k = tid()
    item = ids[k]
    a = points[indices[3 * item]]
    b = points[indices[3 * item + 1]]
    c = points[indices[3 * item + 2]]
    edges[k] = build.edge_sum(a, b, c)
    build.refit_up(nodes, parents, rights, counters, props, n - 1 + k,
                   build.triangle_box(a, b, c), build.triangle_props(a, b, c, props))


@library_kernel("numba_warp_bvh_leaves_boxes")
def _leaves_boxes(lowers: _V3, uppers: _V3, ids: _I1, n: int, nodes: _U64):
    k = tid()
    item = ids[k]
    build.write_leaf(nodes, _U64(0), n - 1 + k, build.box_of(lowers[item], uppers[item]),
                     build.no_props())


@library_kernel("numba_warp_bvh_leaves_triangles")
def _leaves_triangles(points: _V3, indices: _I1, ids: _I1, n: int, nodes: _U64, props: _U64,
                      edges: _F1):
    k = tid()
    item = ids[k]
    a = points[indices[3 * item]]
    b = points[indices[3 * item + 1]]
    c = points[indices[3 * item + 2]]
    edges[k] = build.edge_sum(a, b, c)
    build.write_leaf(nodes, props, n - 1 + k, build.triangle_box(a, b, c),
                     build.triangle_props(a, b, c, props))


@library_kernel("numba_warp_bvh_refit_subtrees", cpu_parallel_from=2)
def _refit_subtrees(nodes: _U64, props: _U64, roots: _I1):
    t = tid()
    build.refit_subtree(nodes, props, roots[t])


@library_kernel("numba_warp_bvh_refit_top")
def _refit_top(nodes: _U64, props: _U64, top: _I1, count: int):
    for i in range(count):
        build.combine_children(nodes, props, top[i])


#: subtrees a CPU refit hands out to its threads
_CPU_SUBTREES = 256


def _cut(nodes, target: int):
    """(subtree roots, nodes above them children-first): the tree cut into about
    ``target`` subtrees, level by level from the root (read on the host: CPU trees)."""
    words = nodes.numpy().view(np.int32)
    codes, escapes = words[3::8], words[7::8]
    frontier, top = [0], []
    while len(frontier) < target:
        grown = []
        for x in frontier:
            c = int(codes[x])
            if c >= 0:
                top.append(x)
                grown += [c, int(escapes[c])]
            else:
                grown.append(x)
        if len(grown) == len(frontier):
            break
        frontier = grown
    return frontier, top[::-1]


class LinearBvh:
    """A linear BVH over ``n`` leaves on ``device``: the node records and the arrays its
    build and refits need. ``grouped``: items carry groups (a grouped tree);
    ``winding``: keep each node's far-field description (meshes' winding numbers)."""

    def __init__(self, device, n: int, grouped: bool = False, winding: bool = False):
        self.device = device
        self.n = n
        self.grouped = grouped
        m = max(2 * n - 1, 1)
        self.nodes = zeros(m * ops.NODE_WORDS, dtype=_F32, device=device)
        self.parents = zeros(m, dtype=_I32, device=device)
        self.rights = zeros(max(n - 1, 1), dtype=_I32, device=device)
        self.counters = zeros(max(n - 1, 1), dtype=_I32, device=device)
        # the sort's scratch is the second half of keys and ids
        self.keys = empty(max(2 * n, 2), dtype=_U64 if grouped else _U32, device=device)
        self.ids = empty(max(2 * n, 2), dtype=_I32, device=device)
        self.bounds = empty(6, dtype=_F32, device=device)
        self.bad = zeros(1, dtype=_I32, device=device)
        self.sorted_groups = zeros(max(n, 1), dtype=_I32, device=device) if grouped else None
        self.group_roots = zeros(max(n, 1), dtype=_I32, device=device) if grouped else None
        self.props = zeros(m * build.PROP_WORDS, dtype=_F32, device=device) if winding \
            else None
        #: the edge lengths of each leaf's triangle, summed (written by triangle refits)
        self.edges = None
        #: refit by walking up from the leaves past atomic counters (the GPU's way; on
        #: the CPU by subtrees unless this is set, e.g. to test the other way there)
        self.walk_up = not device.is_cpu

    def slots(self) -> dict:
        """The descriptor slots the tree fills (see ``bvh_ops``)."""
        return {ops.SLOT_NUM_ITEMS: self.n,
                ops.SLOT_NODES: self.nodes.ptr if self.n else 0,
                ops.SLOT_GROUPS: self.sorted_groups.ptr if self.grouped and self.n else 0,
                ops.SLOT_GROUP_ROOTS: self.group_roots.ptr if self.grouped and self.n else 0}

    def _launch(self, kernel, dim, inputs):
        launch(kernel, dim, inputs=inputs, device=self.device, record_tape=False)

    def build(self, source: tuple, groups=None) -> int:
        """Build from ``source``: ``("boxes", lowers, uppers)`` or ``("triangles", points,
        indices)``; ``groups``: each item's group (grouped trees). Returns nothing; the
        NaN count of the centres is in :attr:`bad` (read it with :meth:`nan_count`)."""
        n = self.n
        if n == 0:
            return
        kind, a, b = source
        stride = min(n, 256 if self.device.is_cpu else 16384)
        self._launch(_init_bounds, 6, [self.bounds, self.bad])
        centre = _centre_bounds_boxes if kind == "boxes" else _centre_bounds_triangles
        self._launch(centre, stride, [a, b, n, stride, self.bounds, self.bad])
        grouped = 1 if self.grouped else 0
        group_arg = groups if self.grouped else self.ids
        keys = _keys_boxes if kind == "boxes" else _keys_triangles
        self._launch(keys, n, [a, b, self.bounds, group_arg, grouped, self.keys, self.ids])
        radix_sort_pairs(self.keys, self.ids, n, 0, 64 if self.grouped else 30)
        sorted_groups = self.sorted_groups if self.grouped else self.ids
        roots = self.group_roots if self.grouped else self.ids
        if self.grouped:
            self._launch(_sorted_groups, n, [groups, self.ids, self.sorted_groups])
        self._launch(_topology, n, [self.keys, self.ids, n, self.nodes.ptr, self.parents,
                                    self.rights, sorted_groups, roots, grouped])
        self._launch(_escapes, 2 * n - 1, [self.nodes.ptr, self.parents, self.rights])
        if self.device.is_cpu:
            roots, top = _cut(self.nodes, _CPU_SUBTREES)
            self._cpu_roots = array(np.array(roots, dtype=np.int32), dtype=_I32,
                                    device=self.device)
            self._cpu_top = array(np.array(top + [0], dtype=np.int32), dtype=_I32,
                                  device=self.device)
            self._cpu_top_count = len(top)
        self.refit(source)

    def refit(self, source: tuple):
        """Recompute every node's box (and far-field description) from ``source``."""
        n = self.n
        if n == 0:
            return
        if not self.walk_up:
            self._refit_cpu(source)
            return
        self.counters.zero_()
        kind, a, b = source
        if kind == "boxes":
            self._launch(_refit_boxes, n, [a, b, self.ids, n, self.nodes.ptr, self.parents,
                                           self.rights, self.counters.ptr])
        else:
            props = self.props.ptr if self.props is not None else 0
            if self.edges is None:
                self.edges = empty(n, dtype=_F32, device=self.device)
            self._launch(_refit_triangles, n, [a, b, self.ids, n, self.nodes.ptr,
                                               self.parents, self.rights, self.counters.ptr,
                                               props, self.edges])

    def _refit_cpu(self, source: tuple):
        n = self.n
        kind, a, b = source
        props = self.props.ptr if self.props is not None else 0
        if kind == "boxes":
            self._launch(_leaves_boxes, n, [a, b, self.ids, n, self.nodes.ptr])
        else:
            if self.edges is None:
                self.edges = empty(n, dtype=_F32, device=self.device)
            self._launch(_leaves_triangles, n, [a, b, self.ids, n, self.nodes.ptr,
                                                props, self.edges])
        self._launch(_refit_subtrees, len(self._cpu_roots), [self.nodes.ptr, props,
                                                              self._cpu_roots])
        self._launch(_refit_top, 1, [self.nodes.ptr, props, self._cpu_top,
                                     self._cpu_top_count])

    def nan_count(self) -> int:
        """How many leaf boxes had a NaN centre at the last build (reads the device)."""
        return int(self.bad.numpy()[0])
