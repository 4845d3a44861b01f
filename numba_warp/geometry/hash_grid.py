"""``wp.HashGrid``: Warp 1.19's hash grid for neighbour queries on points.

``HashGrid(dim_x, dim_y, dim_z, device=None, dtype=None)`` makes an empty grid;
``build(points, radius, groups=None)`` buckets the points into cubic cells of width
``radius``, in a grid of ``dim_x * dim_y * dim_z`` cells that wraps around (the cell of
coordinate ``c`` is ``floor(c / radius)`` modulo the dimension, for negative
coordinates too). In kernels, ``wp.hash_grid_query(grid.id, p, r)`` visits the cells
overlapping the cube ``p +- r`` (see ``lowering/hash_grid_ops.py``).

A build runs on the grid's device, as kernels, and gives each cell the range
``[cell_starts[c], cell_ends[c])`` of ``ids``, the points sorted by cell and, within a
cell, by index (Warp's order, so neighbour loops visit points in the same order). On
the CPU: each point's cell (``keys``) and index, a radix sort of the pairs by cell
(``wp.utils.radix_sort_pairs``, over only the bits a cell index needs), then the ranges.
On a GPU, a counting sort, which needs no sort of the points: count each cell's points
(atomics), an exclusive scan of the counts (``runtime/cuda_scan.py``) gives the starts,
each point takes a slot in its cell (atomics), and each cell sorts its few ids. With
``groups``, the sort key is ``(cell << 32) | group`` (a radix sort on every device), so
a cell's points are sorted by group and a grouped query narrows the range by binary
search. Buffers grow by half again when a build needs more (``reserve`` sets them ahead,
e.g. before a graph capture); the descriptor (``id``) is rewritten only when a buffer
moves.
"""

from __future__ import annotations

import operator
import typing

import numpy as np

from ..lowering import hash_grid_ops as ops
from ..lowering.atomics import atomic_add
from ..runtime import cuda_scan, handles
from ..runtime.array import array
from ..runtime.array_sort import radix_sort_pairs
from ..runtime.device import get_device
from ..runtime.factories import empty, zeros
from ..runtime.kernel import library_kernel
from ..runtime.launch import launch
from ..lang import tid
from ..typing.scalars import scalar_types
from ..typing.vec import vector_class

__all__ = ["HashGrid"]

_I32 = scalar_types["int32"]
_I64 = scalar_types["int64"]
_U64 = scalar_types["uint64"]
_F16, _F32, _F64 = scalar_types["float16"], scalar_types["float32"], scalar_types["float64"]
_POINT_TYPES = {_F16: vector_class(3, _F16), _F32: vector_class(3, _F32),
                _F64: vector_class(3, _F64)}
_MAX_CELLS = (1 << 31) - 1


@library_kernel("numba_warp_hash_grid_cells")
def _point_cells(grid: _U64, points: array(dtype=typing.Any, ndim=1),
                 cells: array(dtype=_I32, ndim=1), ids: array(dtype=_I32, ndim=1)):
    i = tid()
    cells[i] = ops.hash_grid_cell(grid, points[i])
    ids[i] = i


@library_kernel("numba_warp_hash_grid_keys")
def _point_keys(grid: _U64, points: array(dtype=typing.Any, ndim=1),
                groups: array(dtype=_I32, ndim=1), keys: array(dtype=_U64, ndim=1),
                ids: array(dtype=_I32, ndim=1)):
    i = tid()
    keys[i] = ops.hash_grid_key(ops.hash_grid_cell(grid, points[i]), groups[i])
    ids[i] = i


@library_kernel("numba_warp_hash_grid_key_cells")
def _key_cells(keys: array(dtype=_U64, ndim=1), cells: array(dtype=_I32, ndim=1)):
    i = tid()
    cells[i] = ops.hash_grid_key_cell(keys[i])


@library_kernel("numba_warp_hash_grid_offsets")
def _cell_offsets(cells: array(dtype=_I32, ndim=1), n: int,
                  starts: array(dtype=_I32, ndim=1), ends: array(dtype=_I32, ndim=1)):
    i = tid()
    c = cells[i]
    if i == 0:
        starts[c] = 0
    else:
        p = cells[i - 1]
        if c != p:
            starts[c] = i
            ends[p] = i
    if i == n - 1:
        ends[c] = i + 1


@library_kernel("numba_warp_hash_grid_count")
def _count_cells(grid: _U64, points: array(dtype=typing.Any, ndim=1),
                 cells: array(dtype=_I32, ndim=1), counts: array(dtype=_I32, ndim=1)):
    i = tid()
    c = ops.hash_grid_cell(grid, points[i])
    cells[i] = c
    atomic_add(counts, c, 1)


@library_kernel("numba_warp_hash_grid_place")
def _place_points(cells: array(dtype=_I32, ndim=1), cursors: array(dtype=_I32, ndim=1),
                  ids: array(dtype=_I32, ndim=1)):
    i = tid()
    ids[atomic_add(cursors, cells[i], 1)] = i


@library_kernel("numba_warp_hash_grid_order_cells")
def _order_cells(starts: array(dtype=_I32, ndim=1), ends: array(dtype=_I32, ndim=1),
                 ids: array(dtype=_I32, ndim=1), counts: array(dtype=_I32, ndim=1)):
    # the slots taken in _place_points follow no order: sort each cell's ids (a few);
    # and clear the cell's count for the next build
    c = tid()
    counts[c] = 0
    s = starts[c]
    e = ends[c]
    for j in range(s + 1, e):
        v = ids[j]
        k = j - 1
        while k >= s and ids[k] > v:
            ids[k + 1] = ids[k]
            k -= 1
        ids[k + 1] = v


class HashGrid:
    """Hash-based spatial grid for neighbour queries on points (Warp's ``wp.HashGrid``).

    Attributes: ``id`` (pass it to kernels), ``device``, ``dtype`` (float16, float32 or
    float64: the precision of the points), ``reserved`` (buffers allocated).

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

    def __init__(self, dim_x, dim_y, dim_z, device=None, dtype=None):
        dtype = _F32 if dtype is None else _scalar(dtype)
        if dtype not in _POINT_TYPES:
            raise TypeError(f"Unsupported dtype {dtype} for HashGrid. Supported types: "
                            "float16, float32, float64")
        try:
            dims = tuple(operator.index(d) for d in (dim_x, dim_y, dim_z))
        except TypeError as exc:
            raise TypeError("HashGrid dimensions must be integers") from exc
        if min(dims) <= 0:
            raise RuntimeError(f"Hash grid dimensions must be positive, got {dims}")
        if dims[0] * dims[1] * dims[2] > _MAX_CELLS:
            raise RuntimeError(f"Hash grid cell count exceeds supported limit: {dims[0]} * "
                               f"{dims[1]} * {dims[2]} > {_MAX_CELLS}")
        self.dtype = dtype
        self.device = get_device(device)
        self._dims = dims
        self._point_type = _POINT_TYPES[dtype]
        self.reserved = False
        self.groups = None
        self._capacity = 0
        self._keys = self._ids = self._cells = self._group_keys = None
        self._starts = self._ends = self._counts = self._scan_scratch = None
        self._descriptor_key = None
        self._slots = np.zeros(ops.NUM_SLOTS, dtype=np.int64)
        self._slots[[ops.SLOT_MAGIC, ops.SLOT_DIM_X, ops.SLOT_DIM_Y, ops.SLOT_DIM_Z]] = \
            (np.int64(ops.MAGIC), *dims)
        self._descriptor, self.id = handles.allocate(self, self.device, "HashGrid",
                                                     ops.NUM_SLOTS)
        self._descriptor.assign(self._slots)

    # -- Warp's API ----------------------------------------------------------------------
    def reserve(self, num_points, with_groups=False):
        """Allocate buffers for builds of up to ``num_points`` points (``with_groups``: also
        those of grouped builds), so that such builds allocate nothing.

        Example
        -------
        >>> grid = wp.HashGrid(16, 16, 16)
        >>> grid.reserve(1000)  # builds of up to 1000 points now allocate nothing
        >>> grid.reserved
        True
        """
        num_points = operator.index(num_points)
        if num_points < 0:
            raise ValueError(f"num_points must be >= 0, got {num_points}")
        self._grow(num_points, with_groups)
        self.reserved = True

    def build(self, points, radius, groups=None):
        """Bucket ``points`` (a 1-D array of the grid's point type: vec3 for float32,
        vec3d for float64, vec3h for float16) into cells of width ``radius``; with
        ``groups`` (int32, one per point), grouped queries see only their group.

        Example
        -------
        >>> grid = wp.HashGrid(4, 4, 4)
        >>> grid.build(wp.array([(0.1, 0.2, 0.3), (2.5, 0.0, 0.0)], dtype=wp.vec3), radius=0.5)
        >>> grid.build(wp.array([(0.0, 0.0, 0.0)], dtype=wp.vec3), radius=0.5)  # again, reusing
        >>> grid.reserved
        True
        """
        points = self._check_points(points)
        radius = float(radius)
        if not radius > 0.0:
            raise ValueError(f"Hash grid cell width must be positive, got {radius}")
        n = points.shape[0]
        if groups is not None:
            groups = self._check_groups(groups, points)
        self._grow(n, groups is not None)
        self.groups = groups
        self._write_descriptor(n, radius, grouped=n > 0 and groups is not None)
        if n and groups is None and self.device.is_cuda:
            self._count_sort(points, n)
        else:
            self._starts.zero_()
            self._ends.zero_()
            if n:
                cells = self._sort(points, groups, n)
                launch(_cell_offsets, n, inputs=[cells, n, self._starts, self._ends],
                       device=self.device, record_tape=False)
        self.reserved = True

    # -- internals -------------------------------------------------------------------------
    def _check_points(self, points):
        if not isinstance(points, array):
            raise TypeError(f"HashGrid.build(): points must be a wp.array of "
                            f"{self._point_type.__name__}, got {type(points).__name__}")
        if points.dtype is not self._point_type:
            raise TypeError(f"Hash grid points should have type {self._point_type.__name__}, "
                            f"got {getattr(points.dtype, '__name__', points.dtype)}")
        if points.device != self.device:
            raise RuntimeError(f"points must live on the same device as this HashGrid "
                               f"({self.device}), got {points.device}")
        if points.ndim > 1:
            points = points.flatten() if points.is_contiguous else points.contiguous().flatten()
        return points

    def _check_groups(self, groups, points):
        if not isinstance(groups, array) or groups.dtype is not _I32:
            raise RuntimeError("groups should be an array of type wp.int32")
        if groups.device != self.device:
            raise RuntimeError("groups must live on the same device as this HashGrid")
        if groups.size != points.size:
            raise RuntimeError(f"groups must have the same length as points ({points.size}), "
                               f"got {groups.size}")
        return groups.flatten() if groups.ndim > 1 else groups

    def _grow(self, n: int, grouped: bool):
        dev = self.device
        if self._starts is None:
            cells = self._dims[0] * self._dims[1] * self._dims[2]
            self._starts = zeros(cells, dtype=_I32, device=dev)
            self._ends = zeros(cells, dtype=_I32, device=dev)
            if dev.is_cuda:
                self._counts = zeros(cells, dtype=_I32, device=dev)
                self._scan_scratch = empty(cuda_scan.scratch_size(cells), dtype=_I64,
                                           device=dev)
        if n > self._capacity or self._ids is None:
            cap = max(n * 3 // 2, n, 1)
            # (the sort's scratch is the second half of keys and ids)
            self._keys = empty(2 * cap, dtype=_I32, device=dev)
            self._ids = empty(2 * cap, dtype=_I32, device=dev)
            self._cells = None  # (grouped builds only: ungrouped ones sort cells in _keys)
            self._group_keys = None
            self._capacity = cap
        if grouped and self._group_keys is None:
            self._group_keys = empty(2 * self._capacity, dtype=_U64, device=dev)
            self._cells = empty(self._capacity, dtype=_I32, device=dev)

    def _count_sort(self, points, n: int):
        """The GPU build without groups (see the module docstring). ``_counts`` is zero
        between builds (the last kernel clears it); the cursors are ``_ends``, which ends
        as each cell's end."""
        dev = self.device
        launch(_count_cells, n, inputs=[self.id, points, self._keys, self._counts],
               device=dev, record_tape=False)
        cuda_scan.scan(self._counts, self._starts, out2=self._ends, scratch=self._scan_scratch)
        launch(_place_points, n, inputs=[self._keys, self._ends, self._ids], device=dev,
               record_tape=False)
        launch(_order_cells, self._starts.shape[0], inputs=[self._starts, self._ends,
               self._ids, self._counts], device=dev, record_tape=False)

    def _sort(self, points, groups, n: int):
        """Sort the points' ids by cell (and group); returns the sorted cells."""
        dev = self.device
        if groups is None:
            launch(_point_cells, n, inputs=[self.id, points, self._keys, self._ids],
                   device=dev, record_tape=False)
            bits = max(1, (self._dims[0] * self._dims[1] * self._dims[2] - 1).bit_length())
            radix_sort_pairs(self._keys, self._ids, n, 0, bits)
            return self._keys
        else:
            launch(_point_keys, n, inputs=[self.id, points, groups, self._group_keys, self._ids],
                   device=dev, record_tape=False)
            radix_sort_pairs(self._group_keys, self._ids, n)
            launch(_key_cells, n, inputs=[self._group_keys, self._cells], device=dev,
                   record_tape=False)
            return self._cells

    def _write_descriptor(self, n: int, radius: float, grouped: bool):
        # (what the slots depend on: a rebuild with the same ones writes nothing and, in a
        # simulation loop, costs no NumPy work either)
        key = (n, radius, grouped, self._ids.ptr, self._starts.ptr, self._ends.ptr,
               self._group_keys.ptr if grouped else 0)
        if key == self._descriptor_key:
            return
        self._descriptor_key = key
        s = self._slots.copy()
        s[ops.SLOT_NUM_POINTS] = n
        s[ops.SLOT_IDS] = self._ids.ptr if n else 0
        s[ops.SLOT_STARTS], s[ops.SLOT_ENDS] = self._starts.ptr, self._ends.ptr
        s[ops.SLOT_KEYS] = self._group_keys.ptr if grouped else 0
        inv32 = np.float32(1.0) / np.float32(radius)
        s[ops.SLOT_INV32] = np.array([inv32, 0], dtype=np.float32).view(np.int64)[0]
        s[ops.SLOT_INV64] = np.float64(1.0 / radius).view(np.int64)
        if not np.array_equal(s, self._slots):
            self._slots = s
            self._descriptor.assign(s)


def _scalar(dtype):
    named = {float: _F32, "float32": _F32, "float64": _F64, "float16": _F16}
    return named.get(dtype, dtype)
