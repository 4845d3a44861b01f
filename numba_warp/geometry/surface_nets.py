"""``IsoSurfaceNets``: Warp 1.19's surface-nets backend of ``IsoSurfaceBase`` (triangles or
quads), on the field's device.

What it produces (Warp's meaning, which follows OpenVDB's uniform volume-to-mesh):

* each cell crossed by the surface gets one vertex per sheet of surface through it (an
  *edge group*: the loop of crossing edges, see ``cube_tables``), at the average of the
  linear crossings on the group's edges, computed in the cell's index space;
* an ambiguous cell whose one ambiguous face is also ambiguous, the other way round, in
  the neighbour across it is resolved the other way (its case is flipped), so the two
  cells agree;
* every crossing grid edge with four cells around it gets a quad through their vertices
  (split along its first diagonal into two triangles for ``topology="triangle"``),
  counter-clockwise seen from outside for a signed distance field. Edges on the grid's
  boundary faces have fewer cells and no quad, so a surface leaving the grid is open; a
  group none of whose edges is interior gets no vertex (every vertex is used).

A closed surface inside the grid is watertight. Vertices are ordered by cell, then by
group; faces by the cell owning their edge (x, y, z edges from the cell's origin). The
numbering of groups in cells with several sheets is ``cube_tables``' (by first edge),
which may order those vertices differently from Warp's (OpenVDB's) numbering; positions
may differ from Warp's in the last bits (another summation order). Vertices carry the
gradient of ``field`` under a ``wp.Tape``.

Kernels (a cell per GPU thread, a row of cells per CPU thread, as in ``isosurface``):
classify (case, flipped if needed, flags, and vertex and quad counts packed in an int64
for one scan), vertices, faces. Only the cells the surface crosses do more than read
their corners: the others' flags are never written nor read (the later kernels go by the
scanned counts).
"""

from __future__ import annotations

import functools

import numpy as np

from .. import lang
from ..lang import tid
from ..runtime.array import array
from ..runtime.array_reduce import array_scan
from ..runtime.factories import empty
from ..runtime.func import func
from ..runtime.kernel import library_kernel
from ..runtime.launch import launch
from . import cube_tables
from .isosurface import (
    LOW,
    IsoSurfaceBase,
    cell_case,
    check_grid,
    check_totals,
    count_before,
    count_readback,
    float32,
    int32,
    int64,
    nan_error,
    resolve_domain_bounds,
    runs,
    validate_field,
    vec3,
    vec3i,
)

__all__ = ["IsoSurfaceNets"]

_F3 = array(dtype=float32, ndim=3)
_I32 = array(dtype=int32, ndim=1)
_I64 = array(dtype=int64, ndim=1)
_T2 = array(dtype=int32, ndim=2)
_V3 = array(dtype=vec3, ndim=1)
_TOPOLOGIES = ("triangle", "quad")
# cell flag bits: 0-7 the (corrected) case, 8 corner 0 below the threshold, 9-11 the
# cell's own x/y/z edges (from its origin node) cross, 12-15 edge group g+1 has a vertex
_BELOW0, _XEDGE, _GROUPS = 8, 9, 12


# -- the quads around an edge ---------------------------------------------------------------
def _quad_table() -> tuple:
    """Rows ``4 * axis + slot``: (cell offset dx, dy, dz, the edge's number in that cell)
    of the four cells around the edge from a cell's origin along ``axis``, in cyclic
    order starting at the owning cell; and per axis 1 if that order turns
    counter-clockwise about +axis."""
    edge_of = {row: e for e, row in enumerate(cube_tables.EDGE_NODE_AXIS)}
    # (first, second) perpendicular axes stepped back from the owner: the owner, one step
    # along first, both, one step along second (the same cells as Warp's, in its order)
    steps = {0: (1, 2), 1: (2, 0), 2: (1, 0)}
    rows, ccw = [], []
    for axis in range(3):
        first, second = steps[axis]
        cells = []
        for back in ((), (first,), (first, second), (second,)):
            off = [0, 0, 0]
            for d in back:
                off[d] = -1
            node = tuple(-o for o in off)  # the edge's origin seen from that cell
            cells.append(off)
            rows.append((*off, edge_of[(*node, axis)]))
        # orientation: the cross product of the first two steps' directions (cell centres
        # relative to the edge) along +axis
        c = [[o + 0.5 for o in cell] for cell in cells[:2]]
        ccw.append(1 if np.cross(c[0], c[1])[axis] > 0 else 0)
    return rows, ccw


@functools.cache
def _sn_device_tables(device) -> tuple:
    """(edge groups 256 x 12, ambiguous faces, edge -> node offset and axis, quad cells,
    quad orientation) as int32 arrays on ``device``."""
    groups, ambiguous = cube_tables.sn_tables()
    quads, ccw = _quad_table()
    tables = (np.reshape(groups, (256, 12)), ambiguous, cube_tables.EDGE_NODE_AXIS, quads, ccw)
    return tuple(array(np.asarray(t, np.int32), dtype=int32, device=device) for t in tables)


# -- kernels ------------------------------------------------------------------------------
@func
def _popcount4(bits: int) -> int:
    return (bits & 1) + ((bits >> 1) & 1) + ((bits >> 2) & 1) + ((bits >> 3) & 1)


@func
def _cell_nan(field: _F3, i: int, j: int, k: int) -> int:
    """1 if a node the cell owns holds NaN: its origin, and on the grid's far faces (whose
    nodes start no cell) its other corners too; every node is checked by some cell."""
    if field[i, j, k] != field[i, j, k]:
        return 1
    if i + 2 < field.shape[0] and j + 2 < field.shape[1] and k + 2 < field.shape[2]:
        return 0
    bad = int(0)
    for c in range(1, 8):
        v = field[i + (c & 1), j + ((c >> 1) & 1), k + ((c >> 2) & 1)]
        if v != v:
            bad = 1
    return bad


@func
def _flipped(field: _F3, threshold: float32, ambiguous: _I32, case: int, i: int, j: int,
             k: int) -> int:
    """The case, flipped when its one ambiguous face meets the neighbour's the other way."""
    face = ambiguous[case] - 1
    if face < 0:
        return case
    axis, step = face // 2, (face % 2) * 2 - 1
    a, b, c = i, j, k
    if axis == 0:
        a = i + step
    elif axis == 1:
        b = j + step
    else:
        c = k + step
    nx, ny, nz = field.shape[0] - 1, field.shape[1] - 1, field.shape[2] - 1
    if a < 0 or b < 0 or c < 0 or a >= nx or b >= ny or c >= nz:
        return case
    if ambiguous[cell_case(field, a, b, c, threshold)] - 1 == (face ^ 1):
        return (~case) & 255
    return case


@func
def _interior(edge_node: _T2, e: int, i: int, j: int, k: int, nx: int, ny: int,
              nz: int) -> int:
    """1 if the cell's edge ``e`` has four cells around it (not on a boundary face)."""
    axis = edge_node[e, 3]
    x, y, z = i + edge_node[e, 0], j + edge_node[e, 1], k + edge_node[e, 2]
    if axis != 0 and (x <= 0 or x >= nx - 1):
        return 0
    if axis != 1 and (y <= 0 or y >= ny - 1):
        return 0
    if axis != 2 and (z <= 0 or z >= nz - 1):
        return 0
    return 1


@func
def _classify(field: _F3, threshold: float32, groups: _T2, ambiguous: _I32, edge_node: _T2,
              raw: int, i: int, j: int, k: int) -> int64:
    """(flags << 32) | counts of a cell the surface crosses, its case being ``raw``."""
    nx, ny, nz = field.shape[0], field.shape[1], field.shape[2]
    f = ((1 - (raw & 1)) << _BELOW0) | ((raw & 1) ^ ((raw >> 1) & 1)) << _XEDGE
    f = f | (((raw & 1) ^ ((raw >> 3) & 1)) << (_XEDGE + 1))
    f = f | (((raw & 1) ^ ((raw >> 4) & 1)) << (_XEDGE + 2))
    case = _flipped(field, threshold, ambiguous, raw, i, j, k)
    with_vertex = int(0)
    for e in range(12):
        g = groups[case, e]
        if g != 0 and _interior(edge_node, e, i, j, k, nx, ny, nz) != 0:
            with_vertex = with_vertex | (1 << (g - 1))
    quads = int(0)
    if (f >> _XEDGE) & 1 != 0 and j > 0 and k > 0:
        quads = quads + 1
    if (f >> (_XEDGE + 1)) & 1 != 0 and i > 0 and k > 0:
        quads = quads + 1
    if (f >> (_XEDGE + 2)) & 1 != 0 and i > 0 and j > 0:
        quads = quads + 1
    return (int64(f | case | (with_vertex << _GROUPS)) << int64(32)) \
        | int64(_popcount4(with_vertex) + (quads << 16))


@library_kernel("numba_warp_sn_classify")
def _sn_classify(field: _F3, threshold: float32, groups: _T2, ambiguous: _I32,
                 edge_node: _T2, run: int, flags: _I32, counts: _I64):
    i, j, kb = tid()
    nx, ny, nz = field.shape[0], field.shape[1], field.shape[2]
    for k in range(kb * run, lang.min(kb * run + run, nz - 1)):
        cell = (i * (ny - 1) + j) * (nz - 1) + k
        if _cell_nan(field, i, j, k) != 0:
            counts[(nx - 1) * (ny - 1) * (nz - 1)] = int64(1)
        raw = cell_case(field, i, j, k, threshold)
        vertices = int(0)
        quads = int(0)
        if raw != 0 and raw != 255:  # the few cells on the surface: the rest of the work
            packed = _classify(field, threshold, groups, ambiguous, edge_node, raw, i, j, k)
            # (only these cells' flags are ever read: the later passes go by the counts)
            flags[cell] = int(packed >> int64(32))
            vertices = int(packed & int64(65535))
            quads = int((packed >> int64(16)) & int64(65535))
        counts[cell] = int64(vertices) | (int64(quads) << int64(32))


@func
def _crossing(field: _F3, threshold: float32, edge_node: _T2, e: int, i: int, j: int,
              k: int) -> vec3:
    """Where the surface crosses the cell's edge ``e``, in the cell's index space."""
    dx, dy, dz, axis = edge_node[e, 0], edge_node[e, 1], edge_node[e, 2], edge_node[e, 3]
    va = field[i + dx, j + dy, k + dz]
    vb = field[i + dx + int(axis == 0), j + dy + int(axis == 1), k + dz + int(axis == 2)]
    t = (threshold - va) / (vb - va)
    p = vec3(float32(dx), float32(dy), float32(dz))
    if axis == 0:
        p = vec3(p[0] + t, p[1], p[2])
    elif axis == 1:
        p = vec3(p[0], p[1] + t, p[2])
    else:
        p = vec3(p[0], p[1], p[2] + t)
    return p


@func
def _points(field: _F3, threshold: float32, groups: _T2, edge_node: _T2, flags: _I32,
            counts: _I64, lower: vec3, delta: vec3, verts: _V3, i: int, j: int, k: int):
    """Write the vertices of cell (i, j, k), one per edge group marked in its flags, at
    the average of the group's edge crossings."""
    ny, nz = field.shape[1], field.shape[2]
    cell = (i * (ny - 1) + j) * (nz - 1) + k
    f = flags[cell]
    with_vertex = f >> _GROUPS
    case = f & 255
    base = int(count_before(counts, cell) & int64(LOW))
    for g in range(4):
        if (with_vertex >> g) & 1 != 0:
            total = vec3(0.0, 0.0, 0.0)
            n = int(0)
            for e in range(12):
                if groups[case, e] == g + 1:
                    total = total + _crossing(field, threshold, edge_node, e, i, j, k)
                    n = n + 1
            local = vec3(float32(i), float32(j), float32(k)) + total * (float32(1.0)
                                                                     / float32(n))
            slot = base + _popcount4(with_vertex & ((1 << g) - 1))
            verts[slot] = lower + lang.cw_mul(local, delta)


@library_kernel("numba_warp_sn_points")
def _sn_points(field: _F3, threshold: float32, groups: _T2, edge_node: _T2, flags: _I32,
               counts: _I64, lower: vec3, delta: vec3, run: int, verts: _V3):
    i, j, kb = tid()
    ny, nz = field.shape[1], field.shape[2]
    for k in range(kb * run, lang.min(kb * run + run, nz - 1)):
        cell = (i * (ny - 1) + j) * (nz - 1) + k
        if (counts[cell] & int64(LOW)) != (count_before(counts, cell) & int64(LOW)):
            _points(field, threshold, groups, edge_node, flags, counts, lower, delta, verts, i,
                    j, k)


@func
def _vertex_of(flags: _I32, groups: _T2, counts: _I64, ny: int, nz: int, i: int, j: int,
               k: int, e: int) -> int:
    """The index of cell (i, j, k)'s vertex on its edge ``e``."""
    cell = (i * (ny - 1) + j) * (nz - 1) + k
    base = int(count_before(counts, cell) & int64(LOW))
    f = flags[cell]
    g = groups[f & 255, e]
    return base + _popcount4((f >> _GROUPS) & ((1 << (g - 1)) - 1))


@func
def _write_face(indices: _I32, as_quads: int, face: int, a: int, b: int, c: int, d: int):
    """Quad (a, b, c, d), or its triangles (a, b, c) and (a, c, d), as face ``face``."""
    if as_quads != 0:
        indices[4 * face] = a
        indices[4 * face + 1] = b
        indices[4 * face + 2] = c
        indices[4 * face + 3] = d
    else:
        indices[6 * face] = a
        indices[6 * face + 1] = b
        indices[6 * face + 2] = c
        indices[6 * face + 3] = a
        indices[6 * face + 4] = c
        indices[6 * face + 5] = d


@func
def _faces(field: _F3, groups: _T2, flags: _I32, counts: _I64, quads: _T2, ccw: _I32,
           as_quads: int, indices: _I32, i: int, j: int, k: int):
    ny, nz = field.shape[1], field.shape[2]
    cell = (i * (ny - 1) + j) * (nz - 1) + k
    f = flags[cell]
    if (f >> _XEDGE) & 7 == 0:
        return
    out = int(count_before(counts, cell) >> int64(32))
    below = (f >> _BELOW0) & 1
    # the owner's x edge needs cells before it along y and z, its y edge along z and x, ...
    has = vec3i(int(j > 0 and k > 0), int(k > 0 and i > 0), int(i > 0 and j > 0))
    for axis in range(3):
        if (f >> (_XEDGE + axis)) & 1 != 0 and has[axis] != 0:
            r = 4 * axis
            v0 = _vertex_of(flags, groups, counts, ny, nz, i + quads[r, 0], j + quads[r, 1],
                            k + quads[r, 2], quads[r, 3])
            v1 = _vertex_of(flags, groups, counts, ny, nz, i + quads[r + 1, 0],
                            j + quads[r + 1, 1], k + quads[r + 1, 2], quads[r + 1, 3])
            v2 = _vertex_of(flags, groups, counts, ny, nz, i + quads[r + 2, 0],
                            j + quads[r + 2, 1], k + quads[r + 2, 2], quads[r + 2, 3])
            v3 = _vertex_of(flags, groups, counts, ny, nz, i + quads[r + 3, 0],
                            j + quads[r + 3, 1], k + quads[r + 3, 2], quads[r + 3, 3])
            if below != ccw[axis]:  # wound the other way round
                _write_face(indices, as_quads, out, v3, v2, v1, v0)
            else:
                _write_face(indices, as_quads, out, v0, v1, v2, v3)
            out = out + 1


@library_kernel("numba_warp_sn_faces")
def _sn_faces(field: _F3, groups: _T2, flags: _I32, counts: _I64, quads: _T2, ccw: _I32,
              as_quads: int, run: int, indices: _I32):
    i, j, kb = tid()
    ny, nz = field.shape[1], field.shape[2]
    for k in range(kb * run, lang.min(kb * run + run, nz - 1)):
        cell = (i * (ny - 1) + j) * (nz - 1) + k
        if (counts[cell] >> int64(32)) != (count_before(counts, cell) >> int64(32)):
            _faces(field, groups, flags, counts, quads, ccw, as_quads, indices, i, j, k)


for _k in (_sn_classify, _sn_faces):  # integer outputs: never recorded, no backward pass
    _k.enable_backward = False


# -- the extractor ---------------------------------------------------------------------------
def _surface_nets(field, threshold: float, lower, upper, topology: str) -> tuple:
    validate_field(field)
    _check_topology(topology)
    origin, delta = resolve_domain_bounds(field.shape, lower, upper)
    device = field.device
    cells = tuple(s - 1 for s in field.shape)
    n = cells[0] * cells[1] * cells[2]
    check_grid("IsoSurfaceNets", n, 4)
    groups, ambiguous, edge_node, quads, ccw = _sn_device_tables(device)
    threshold = float(threshold)
    flags = empty(n, dtype=int32, device=device)
    counts = empty(n + 1, dtype=int64, device=device)
    counts[n:].zero_()
    run, rows = runs(device, cells)
    launch(_sn_classify, rows, [field, threshold, groups, ambiguous, edge_node, run],
           [flags, counts], device=device, record_tape=False)
    array_scan(counts[:n], counts[:n], inclusive=True)
    total, nan = count_readback(counts, n)
    if nan:
        raise nan_error(field, "IsoSurfaceNets")
    nverts, nquads = total & LOW, total >> 32
    per_face = 4 if topology == "quad" else 6
    check_totals("IsoSurfaceNets", vertices=nverts, indices=per_face * nquads)
    verts = empty(nverts, dtype=vec3, device=device, requires_grad=field.requires_grad)
    indices = empty(per_face * nquads, dtype=int32, device=device)
    if nverts:
        launch(_sn_points, rows, [field, threshold, groups, edge_node, flags, counts, origin,
                                  delta, run], [verts], device=device)
    if nquads:
        launch(_sn_faces, rows, [field, groups, flags, counts, quads, ccw,
                                 1 if topology == "quad" else 0, run], [indices],
               device=device, record_tape=False)
    return verts, indices


def _check_topology(topology) -> None:
    if topology not in _TOPOLOGIES:
        raise ValueError(f"Expected 'topology' to be one of {_TOPOLOGIES}, but got "
                         f"{topology!r}.")


class IsoSurfaceNets(IsoSurfaceBase):
    """Surface nets extraction with Warp 1.19's interface (``IsoSurfaceBase``): one vertex
    per cell (per sheet) at the average of its edge crossings, one quad per crossing grid
    edge, ``topology="triangle"`` (two triangles per quad, the default) or ``"quad"``.

    Example
    -------
    >>> f = np.fromfunction(lambda i, j, k: k - 1.5, (4, 4, 4), dtype=np.float32)  # z - 1.5
    >>> nets = wp.geometry.IsoSurfaceNets(4, 4, 4, topology="quad")
    >>> nets.surface(wp.array(f, dtype=wp.float32), 0.0)
    >>> quads = nets.indices.numpy().reshape(-1, 4)
    >>> len(nets.verts), len(quads)  # a vertex per crossed cell, a quad per interior crossed edge
    (9, 4)
    >>> print(np.unique(nets.verts.numpy()[:, 2]))
    [1.5]
    """

    def __init__(self, nx: int, ny: int, nz: int, *, lower=None, upper=None,
                 topology: str = "triangle"):
        _check_topology(topology)
        super().__init__(nx, ny, nz, lower=lower, upper=upper)
        self.topology = topology

    def surface(self, field, threshold: float) -> None:
        """Extract the surface ``field == threshold`` into :attr:`verts` / :attr:`indices`
        (faces of :attr:`topology`).

        Example
        -------
        >>> f = np.fromfunction(lambda i, j, k: k - 1.5, (4, 4, 4), dtype=np.float32)
        >>> nets = wp.geometry.IsoSurfaceNets(4, 4, 4)  # triangles
        >>> nets.surface(wp.array(f, dtype=wp.float32), 0.5)  # z - 1.5 = 0.5: the plane z = 2
        >>> print(np.unique(nets.verts.numpy()[:, 2]), len(nets.indices) // 3)
        [2.] 8
        """
        self._check_field_shape(field)
        self.verts, self.indices = self.extract(field, float(np.float32(threshold)),
                                                lower=self.lower, upper=self.upper,
                                                topology=self.topology)

    @classmethod
    def extract(cls, field, threshold: float = 0.0, *, lower=None, upper=None,
                topology: str = "triangle") -> tuple:
        """``(verts, indices)``: ``wp.vec3`` positions and a flat ``wp.int32`` array of 3
        (``topology="triangle"``) or 4 (``"quad"``) indices per face.

        Example
        -------
        >>> f = np.fromfunction(lambda i, j, k: k - 1.5, (4, 4, 4), dtype=np.float32)
        >>> verts, indices = wp.geometry.IsoSurfaceNets.extract(wp.array(f, dtype=wp.float32), 0.0)
        >>> len(verts), len(indices) // 3  # 4 quads as 8 triangles
        (9, 8)
        """
        return _surface_nets(field, threshold, lower, upper, topology)
