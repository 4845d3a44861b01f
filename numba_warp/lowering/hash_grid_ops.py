"""Hash grid queries in kernels: ``hash_grid_query``, ``hash_grid_query_next`` and
``hash_grid_point_id``, with Warp 1.19's meaning.

A ``wp.HashGrid`` (``numba_warp/geometry/hash_grid.py``) buckets points into the cells
of a ``dim_x * dim_y * dim_z`` grid that wraps around (a point's cell coordinates are
taken modulo the dimensions, so the grid covers all of space). A query visits the
cells that overlap the cube ``point +- max_dist`` and yields the index of every point
in them: the caller filters by distance, as in Warp. A grid that was never built yields
nothing.

``query = wp.hash_grid_query(grid, p, r)`` makes the query; ``wp.hash_grid_query_next(
query, index)`` advances it in place and sets ``index`` (Warp's C++ takes both by
reference). Values are immutable here, so the code generator turns each call into
``query, index, ok = _hash_grid_query_next(query, index)`` (``frontend/stateful.py``),
and ``for index in wp.hash_grid_query(grid, p, r):`` into that loop.

The grid's descriptor (see ``lowering/handles.py``) has the slots below; the grid
module writes them.
"""

from __future__ import annotations

import collections

import numpy as np
from numba.core import types

from .builtin import implements, inline_on_cpu, is_float, is_int, is_vec, jitable, nondifferentiable
from .handles import load_at, lower_bound_at
from .scalar_math import floor
from .stateful_calls import register_iterable, register_stateful

__all__ = ["HashGridQuery", "hash_grid_query", "hash_grid_query_next", "hash_grid_point_id"]

# -- descriptor slots (int64 each; the grid module writes them) --------------------------
MAGIC = 0x4847_5744_4e42_0001  # "a numba_warp hash grid" (checked at Python scope)
SLOT_MAGIC, SLOT_DIM_X, SLOT_DIM_Y, SLOT_DIM_Z, SLOT_NUM_POINTS = 0, 1, 2, 3, 4
SLOT_IDS, SLOT_STARTS, SLOT_ENDS, SLOT_KEYS = 5, 6, 7, 8
SLOT_INV32, SLOT_INV64 = 9, 10  # 1 / cell width, as float32 (low 4 bytes) and float64
NUM_SLOTS = 12

#: a query's state: array addresses and the grid's size; the cell box as its first cell
#: (wrapped into the grid) and its size in cells; the current cell as its offset in the
#: box (cx, cy, cz) and wrapped (wx, wy, wz); the range [i, end) of sorted points left in
#: it; the group it is restricted to. Cells are visited x fastest, then y, then z, as in
#: Warp, without a division per cell.
HashGridQuery = collections.namedtuple(
    "HashGridQuery", ("ids", "starts", "ends", "keys", "dim_x", "dim_y", "dim_z",
                      "wx0", "wy0", "wz0", "nx", "ny", "nz", "cx", "cy", "cz",
                      "wx", "wy", "wz", "i", "end", "group", "grouped"))
HashGridQuery.__doc__ = """The state of a hash grid query in a kernel (Warp's ``wp.HashGridQuery``):
    what :func:`hash_grid_query` returns. Advance it with :func:`hash_grid_query_next`, or
    loop over it with ``for index in wp.hash_grid_query(...)``. Its fields are internal.

    Example
    -------
    >>> points = wp.array([(0.0, 0.0, 0.0), (0.5, 0.0, 0.0), (3.0, 0.0, 0.0)], dtype=wp.vec3)
    >>> grid = wp.HashGrid(8, 8, 8)
    >>> grid.build(points, radius=1.0)
    >>> @wp.kernel
    ... def count_next(grid: wp.uint64, points: wp.array(dtype=wp.vec3), out: wp.array(dtype=int)):
    ...     i = wp.tid()
    ...     query = wp.hash_grid_query(grid, points[i], 1.0)  # a wp.HashGridQuery
    ...     j = int(0)
    ...     while wp.hash_grid_query_next(query, j):  # sets j to the next candidate
    ...         if j != i and wp.length(points[j] - points[i]) <= 1.0:
    ...             out[i] += 1
    >>> out = wp.zeros(3, dtype=int)
    >>> wp.launch(count_next, 3, inputs=[grid.id, points, out])
    >>> print(out.numpy())
    [1 1 0]
    """


def hash_grid_query(id, point, max_dist, group=None):
    """Start a query for the points in the cells overlapping the cube ``point +-
    max_dist`` (all of them: filter by distance yourself). With ``group``, only the
    points built with that group id (a grid built with ``groups=``).

    Example
    -------
    >>> points = wp.array([(0.0, 0.0, 0.0), (0.5, 0.0, 0.0), (3.0, 0.0, 0.0)], dtype=wp.vec3)
    >>> grid = wp.HashGrid(8, 8, 8)
    >>> grid.build(points, radius=1.0)
    >>> @wp.kernel
    ... def count(grid: wp.uint64, points: wp.array(dtype=wp.vec3), out: wp.array(dtype=int)):
    ...     i = wp.tid()
    ...     for j in wp.hash_grid_query(grid, points[i], 1.0):  # candidates: filter by distance
    ...         if j != i and wp.length(points[j] - points[i]) <= 1.0:
    ...             out[i] += 1
    >>> out = wp.zeros(3, dtype=int)
    >>> wp.launch(count, 3, inputs=[grid.id, points, out])
    >>> print(out.numpy())  # neighbours within 1.0 of each point
    [1 1 0]
    """
    raise RuntimeError("wp.hash_grid_query() can only be called inside a kernel or function")


def hash_grid_query_next(query, index):
    """Advance ``query``; set ``index`` to the next point and return True, or return
    False when the query is done.

    Example
    -------
    >>> points = wp.array([(0.0, 0.0, 0.0), (0.5, 0.0, 0.0), (3.0, 0.0, 0.0)], dtype=wp.vec3)
    >>> grid = wp.HashGrid(8, 8, 8)
    >>> grid.build(points, radius=1.0)
    >>> @wp.kernel
    ... def count_next(grid: wp.uint64, points: wp.array(dtype=wp.vec3), out: wp.array(dtype=int)):
    ...     i = wp.tid()
    ...     query = wp.hash_grid_query(grid, points[i], 1.0)  # a wp.HashGridQuery
    ...     j = int(0)
    ...     while wp.hash_grid_query_next(query, j):  # sets j to the next candidate
    ...         if j != i and wp.length(points[j] - points[i]) <= 1.0:
    ...             out[i] += 1
    >>> out = wp.zeros(3, dtype=int)
    >>> wp.launch(count_next, 3, inputs=[grid.id, points, out])
    >>> print(out.numpy())
    [1 1 0]
    """
    raise RuntimeError("wp.hash_grid_query_next() can only be called inside a kernel or "
                       "function")


def hash_grid_point_id(id, index):
    """The index of the ``index``-th point in the grid's cell order (-1 if the grid was
    never built): launching one thread per point and reading its point through this
    keeps neighbouring threads on neighbouring points.

    Example
    -------
    >>> points = wp.array([(3.0, 0.0, 0.0), (0.0, 0.0, 0.0), (0.5, 0.0, 0.0)], dtype=wp.vec3)
    >>> grid = wp.HashGrid(8, 8, 8)
    >>> grid.build(points, radius=1.0)
    >>> @wp.kernel
    ... def order(grid: wp.uint64, out: wp.array(dtype=int)):
    ...     tid = wp.tid()
    ...     out[tid] = wp.hash_grid_point_id(grid, tid)
    >>> out = wp.zeros(3, dtype=int)
    >>> wp.launch(order, 3, inputs=[grid.id, out])
    >>> print(out.numpy())  # by cell: cell 0 holds points 1 and 2, cell 3 point 0
    [1 2 0]
    """
    raise RuntimeError("wp.hash_grid_point_id() can only be called inside a kernel or "
                       "function")


def hash_grid_cell(id, point):
    """The cell (its index in the grid's arrays) that ``point`` falls in (for builds)."""
    raise RuntimeError("only inside kernels")


def hash_grid_key(cell, group):
    """The sort key of a point of a grouped build: ``(cell << 32) | group``, a uint64."""
    raise RuntimeError("only inside kernels")


def hash_grid_key_cell(key):
    """The cell of a grouped build's sort key."""
    raise RuntimeError("only inside kernels")


def _hash_grid_query_next(query, index):
    """``hash_grid_query_next`` as a pure function: ``(query, index, found)``."""
    raise RuntimeError("only inside kernels")


# -- implementation ----------------------------------------------------------------------

@jitable
def _slot(grid, k):
    return load_at(grid, k, np.int64(0))


@jitable
def _cell_coord(v):
    """floor(v) as an int, clamped as Warp does (NaN: 0; at most INT_MAX - 1, so that a
    cell range may step one past its end)."""
    c = floor(v)
    if c >= 2147483646.0:
        return 2147483646
    if c >= -2147483648.0:
        return int(c)
    if c < -2147483648.0:
        return -2147483648
    return 0


@jitable
def _range_end(start, end, dim):
    """At most ``dim`` cells along an axis: a wider box would visit cells twice."""
    return start + (dim - 1) if end - start >= dim else end


@jitable
def _cell_index(dim_x, dim_y, dim_z, x, y, z):
    return (z % dim_z) * (dim_x * dim_y) + (y % dim_y) * dim_x + (x % dim_x)


def _inverse_width(grid, component):
    """1 / cell width in the precision of a query point's ``component`` (float16 points
    use float32)."""


@implements(_inverse_width)
def _ol_inverse_width(grid, component):
    if component == types.float64:
        return lambda grid, component: load_at(grid + 8 * SLOT_INV64, 0, np.float64(0.0))
    return lambda grid, component: load_at(grid + 8 * SLOT_INV32, 0, np.float32(0.0))


@jitable
def _cell_range(q, wx, wy, wz):
    cell = (wz * q.dim_y + wy) * q.dim_x + wx
    start = np.int64(load_at(q.starts, cell, np.int32(0)))
    end = np.int64(load_at(q.ends, cell, np.int32(0)))
    if q.grouped != 0:
        key = (np.uint64(cell) << np.uint64(32)) | np.uint64(q.group & 0xFFFFFFFF)
        start = lower_bound_at(q.keys, start, end, key, np.uint64(0))
        end = lower_bound_at(q.keys, start, end, key + np.uint64(1), np.uint64(0))
    return start, end


@jitable
def _moved(q, cx, cy, cz, wx, wy, wz, i, end):
    i32 = np.int32
    return HashGridQuery(q.ids, q.starts, q.ends, q.keys, q.dim_x, q.dim_y, q.dim_z,
                         q.wx0, q.wy0, q.wz0, q.nx, q.ny, q.nz, i32(cx), i32(cy), i32(cz),
                         i32(wx), i32(wy), i32(wz), i32(i), i32(end), q.group, q.grouped)


@jitable
def _start(grid, point, radius, group, grouped):
    inv = _inverse_width(grid, point[0])
    dim_x, dim_y, dim_z = _slot(grid, SLOT_DIM_X), _slot(grid, SLOT_DIM_Y), _slot(grid, SLOT_DIM_Z)
    x0 = _cell_coord((point[0] - radius) * inv)
    y0 = _cell_coord((point[1] - radius) * inv)
    z0 = _cell_coord((point[2] - radius) * inv)
    x1 = _range_end(x0, _cell_coord((point[0] + radius) * inv), dim_x)
    y1 = _range_end(y0, _cell_coord((point[1] + radius) * inv), dim_y)
    z1 = _range_end(z0, _cell_coord((point[2] + radius) * inv), dim_z)
    keys = _slot(grid, SLOT_KEYS)
    i32 = np.int32
    wx0, wy0, wz0 = i32(x0 % dim_x), i32(y0 % dim_y), i32(z0 % dim_z)
    q = HashGridQuery(_slot(grid, SLOT_IDS), _slot(grid, SLOT_STARTS), _slot(grid, SLOT_ENDS),
                      keys, i32(dim_x), i32(dim_y), i32(dim_z), wx0, wy0, wz0,
                      i32(max(x1 - x0 + 1, 0)), i32(max(y1 - y0 + 1, 0)),
                      i32(max(z1 - z0 + 1, 0)), i32(0), i32(0), i32(0), wx0, wy0, wz0,
                      i32(0), i32(0), i32(group), i32(1 if grouped and keys != 0 else 0))
    if q.ids == 0 or q.nx == 0 or q.ny == 0 or q.nz == 0:
        return _moved(q, 0, 0, q.nz, wx0, wy0, wz0, 0, 0)  # (nothing to visit)
    i, end = _cell_range(q, wx0, wy0, wz0)
    return _moved(q, 0, 0, 0, wx0, wy0, wz0, i, end)


@jitable
def _advance(q, index):
    if q.ids == 0:
        return q, index, False
    cx, cy, cz, wx, wy, wz = q.cx, q.cy, q.cz, q.wx, q.wy, q.wz
    i, end = np.int64(q.i), np.int64(q.end)
    while True:
        if i < end:
            found = load_at(q.ids, i, np.int32(0))
            return _moved(q, cx, cy, cz, wx, wy, wz, i + 1, end), found, True
        if cz >= q.nz:
            return _moved(q, cx, cy, cz, wx, wy, wz, i, end), index, False
        cx += 1
        wx = 0 if wx + 1 == q.dim_x else wx + 1
        if cx == q.nx:
            cx = 0
            wx = q.wx0
            cy += 1
            wy = 0 if wy + 1 == q.dim_y else wy + 1
            if cy == q.ny:
                cy = 0
                wy = q.wy0
                cz += 1
                wz = 0 if wz + 1 == q.dim_z else wz + 1
                if cz == q.nz:
                    return _moved(q, cx, cy, cz, wx, wy, wz, i, end), index, False
        i, end = _cell_range(q, wx, wy, wz)


def _is_point(t) -> bool:
    return is_vec(t, 3, floats=True)


@implements(hash_grid_query)
def _ol_hash_grid_query(id, point, max_dist, group=None):
    if not (is_int(id) and _is_point(point) and (is_float(max_dist) or is_int(max_dist))):
        return None
    if group is None or isinstance(group, (types.NoneType, types.Omitted)):
        return lambda id, point, max_dist, group=None: _start(
            np.int64(id), point, max_dist, 0, False)
    if is_int(group):
        return lambda id, point, max_dist, group=None: _start(
            np.int64(id), point, max_dist, group, True)
    return None


@implements(_hash_grid_query_next)
def _ol_next(query, index):
    if isinstance(query, types.BaseNamedTuple) and query.instance_class is HashGridQuery \
            and is_int(index):
        return lambda query, index: _advance(query, index)
    return None


@implements(hash_grid_point_id)
def _ol_point_id(id, index):
    if not (is_int(id) and is_int(index)):
        return None

    def impl(id, index):
        ids = load_at(np.int64(id), SLOT_IDS, np.int64(0))
        if ids == 0:
            return np.int32(-1)
        return load_at(ids, index, np.int32(0))

    return impl


@implements(hash_grid_cell)
def _ol_cell(id, point):
    if not (is_int(id) and _is_point(point)):
        return None

    def impl(id, point):
        grid = np.int64(id)
        inv = _inverse_width(grid, point[0])
        return np.int32(_cell_index(
            _slot(grid, SLOT_DIM_X), _slot(grid, SLOT_DIM_Y), _slot(grid, SLOT_DIM_Z),
            _cell_coord(point[0] * inv), _cell_coord(point[1] * inv),
            _cell_coord(point[2] * inv)))

    return impl


@implements(hash_grid_key)
def _ol_key(cell, group):
    if is_int(cell) and is_int(group):
        return lambda cell, group: (np.uint64(cell) << np.uint64(32)) | \
            np.uint64(np.uint32(group))
    return None


@implements(hash_grid_key_cell)
def _ol_key_cell(key):
    if is_int(key):
        return lambda key: np.int32(np.uint64(key) >> np.uint64(32))
    return None


inline_on_cpu(_advance, lambda q, index: _advance)
inline_on_cpu(_hash_grid_query_next, _ol_next)

register_stateful(hash_grid_query_next, _hash_grid_query_next, updates=2)
register_iterable(hash_grid_query, hash_grid_query_next)
nondifferentiable(hash_grid_query, hash_grid_query_next, _hash_grid_query_next,
                  hash_grid_point_id, hash_grid_cell, hash_grid_key, hash_grid_key_cell)
