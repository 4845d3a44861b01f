"""Isosurfaces of dense 3-D fields: Warp 1.19's ``IsoSurfaceBase`` interface and its
marching-cubes backend ``IsoSurfaceMarchingCubes`` (``wp.MarchingCubes`` is Warp's
deprecated name for it); ``surface_nets.py`` has the other backend.

Contract (Warp's): the input is a ``wp.float32`` array of shape ``(nx, ny, nz)``, values
at grid nodes, at least 2 nodes per axis; node ``(i, j, k)`` sits at
``lower + (i, j, k) * (upper - lower) / (n - 1)`` (default ``lower`` 0 and ``upper``
``n - 1``: integer coordinates). Outputs: ``verts``, a ``wp.vec3`` array, and ``indices``,
a flat ``wp.int32`` array with 3 vertex indices per triangle, wound counter-clockwise seen
from outside for a signed distance field (negative inside), on the field's device.

Marching cubes here produces what Warp's does: one vertex per grid edge whose ends are
on either side of the threshold (``>= threshold`` is above), at the linear crossing, in
the order of the edges (node by node, x/y/z), shared by the triangles of the cells around
it, so a closed surface gives a closed (watertight) mesh; the triangles of each cell in
cell order, with the same number per cell as Warp's (see ``cube_tables``; loops of more
than three edges may be split along another diagonal). The vertices are
differentiable: under a ``wp.Tape``, the gradient reaches ``field`` through the
interpolation (as in Warp); ``indices`` carry none.

Three library kernels do the work on the field's device (every core on the CPU): the
first counts, per grid node, its crossing edges and the triangles of the cell at that
node, packed in one int64 (vertices in the low, triangles in the high 32 bits) so that
one in-place scan (``wp.utils.array_scan``) gives both running totals; one host read of
the totals sizes the outputs; then one kernel writes the vertices, another the triangles
(a triangle's vertex index is the scanned count before its edge's node plus the edge's
rank among that node's crossings). A GPU thread takes one node (neighbouring threads read
neighbouring values), a CPU thread a whole row of nodes along z (``runs``). A NaN in the
field is an error (Warp would write triangles with index -1), as are grids too large for
the packed counts and more than 2**31 - 1 vertices or indices.
"""

from __future__ import annotations

import abc
import functools
import warnings

import numpy as np

from .. import lang
from ..lang import tid
from ..runtime.array import array
from ..runtime.array_reduce import array_scan
from ..runtime.factories import empty
from ..runtime.func import func
from ..runtime.kernel import library_kernel
from ..runtime.launch import launch
from ..typing.scalars import scalar_types
from ..typing.vec import ALIASES
from . import cube_tables

__all__ = ["IsoSurfaceBase", "IsoSurfaceMarchingCubes", "cell_case", "check_grid", "check_totals",
           "count_before", "count_readback", "nan_error", "resolve_domain_bounds", "runs",
           "validate_field"]

float32, int32, int64 = scalar_types["float32"], scalar_types["int32"], scalar_types["int64"]
vec3, vec3i = ALIASES["vec3"], ALIASES["vec3i"]
_F3 = array(dtype=float32, ndim=3)
_I32 = array(dtype=int32, ndim=1)
_I64 = array(dtype=int64, ndim=1)
_EDGES = array(dtype=int32, ndim=2)
_V3 = array(dtype=vec3, ndim=1)
#: the low 32 bits of a packed count
LOW = 0xFFFFFFFF
_INT32_MAX = 2**31 - 1


# -- shared helpers (surface nets uses them too) ------------------------------------------
def validate_field(field) -> None:
    """Warp's checks of a field: a 3-D ``wp.float32`` array with at least 2 nodes per axis."""
    if not isinstance(field, array):
        raise TypeError(f"Expected a wp.array for 'field', but got {type(field).__name__}; "
                        "convert it with wp.array(values, dtype=wp.float32)")
    if len(field.shape) != 3:
        raise ValueError(f"Expected a 3D array for 'field', but got an array with shape "
                         f"{field.shape}.")
    if any(n < 2 for n in field.shape):
        raise ValueError(f"Expected 'field' to have at least 2 nodes on each axis, but got an "
                         f"array with shape {field.shape}.")
    if field.dtype is not float32:
        raise TypeError(f"Expected a dtype of wp.float32 for 'field', but got "
                        f"{getattr(field.dtype, '__name__', field.dtype)}.")


def resolve_domain_bounds(shape, lower, upper) -> tuple:
    """(lower corner, grid spacing) as ``wp.vec3`` values: Warp's defaults put node
    ``(i, j, k)`` at ``(i, j, k)``."""
    lower = vec3(0.0, 0.0, 0.0) if lower is None else vec3(*lower)
    upper = (vec3(*(float(n - 1) for n in shape)) if upper is None else vec3(*upper))
    cells = vec3(*(float(n - 1) for n in shape))
    return lower, lang.cw_div(upper - lower, cells)


def count_readback(counts: array, n: int) -> tuple:
    """(packed total of the scanned ``counts[:n]``, NaN flag in ``counts[n]``), one read."""
    tail = counts[n - 1:n + 1].numpy()
    return int(tail[0]), int(tail[1])


def nan_error(field: array, what: str) -> ValueError:
    """The error for a field holding NaN (found on the host: this is the failure path)."""
    where = tuple(int(x) for x in np.argwhere(np.isnan(field.numpy()))[0])
    return ValueError(f"{what}: 'field' holds NaN (the first at index {where}); its "
                      "crossings are undefined. Replace NaN values before extracting, e.g. "
                      "with wp.where(wp.isnan(v), fill, v) in the kernel that writes the field.")


def check_grid(what: str, points: int, per_point: int) -> None:
    """Refuse a grid whose counts could overflow the packed 32-bit halves (``points``
    nodes or cells, each with up to ``per_point`` vertices)."""
    if points * per_point >= 2**32:
        raise ValueError(f"{what}: a grid of {points} points is too large to extract at once "
                         f"(at most {(2**32 - 1) // per_point}); extract it in pieces")


def check_totals(what: str, **totals) -> None:
    for name, value in totals.items():
        if value > _INT32_MAX:
            raise ValueError(f"{what}: the surface has {value} {name}, more than the int32 "
                             "indices of the output can address; extract it in pieces")


class IsoSurfaceBase(abc.ABC):
    """Warp's interface of isosurface extractors on dense fields: make one for the grid's
    node counts, call :meth:`surface` (results in :attr:`verts`, :attr:`indices`), or the
    one-shot class method :meth:`extract`.

    Parameters
    ----------
    nx, ny, nz : int
        Numbers of grid nodes per axis (one more than the numbers of cells).
    lower, upper : wp.vec3 or tuple, optional
        Where the nodes ``(0, 0, 0)`` and ``(nx - 1, ny - 1, nz - 1)`` sit (defaults: the
        origin and ``(nx - 1, ny - 1, nz - 1)``).
    """

    def __init__(self, nx: int, ny: int, nz: int, *, lower=None, upper=None):
        self.nx, self.ny, self.nz = nx, ny, nz
        self.lower = lower
        self.upper = upper
        #: vertex positions (``wp.vec3``), set by :meth:`surface`
        self.verts: array | None = None
        #: face vertex indices (``wp.int32``, flat), set by :meth:`surface`
        self.indices: array | None = None

    def resize(self, nx: int, ny: int, nz: int) -> None:
        """New node counts for the next :meth:`surface` call."""
        self.nx, self.ny, self.nz = nx, ny, nz

    def _check_field_shape(self, field) -> None:
        if field.shape != (self.nx, self.ny, self.nz):
            raise ValueError(f"Field shape {field.shape} does not match context grid "
                             f"dimensions {(self.nx, self.ny, self.nz)}.")

    @abc.abstractmethod
    def surface(self, field, threshold: float) -> None:
        """Extract the surface ``field == threshold`` into :attr:`verts` and :attr:`indices`
        (``field``'s shape must be ``(nx, ny, nz)``)."""

    @classmethod
    @abc.abstractmethod
    def extract(cls, field, threshold: float = 0.0, *, lower=None, upper=None) -> tuple:
        """``(verts, indices)`` of the surface ``field == threshold``, without an instance."""


# -- kernels ------------------------------------------------------------------------------
@func
def cell_case(field: _F3, i: int, j: int, k: int, threshold: float32) -> int:
    """The cell's case: bit c set when its corner c (cube_tables numbering) is above."""
    code = int(0)
    if field[i, j, k] >= threshold:
        code = code | 1
    if field[i + 1, j, k] >= threshold:
        code = code | 2
    if field[i + 1, j + 1, k] >= threshold:
        code = code | 4
    if field[i, j + 1, k] >= threshold:
        code = code | 8
    if field[i, j, k + 1] >= threshold:
        code = code | 16
    if field[i + 1, j, k + 1] >= threshold:
        code = code | 32
    if field[i + 1, j + 1, k + 1] >= threshold:
        code = code | 64
    if field[i, j + 1, k + 1] >= threshold:
        code = code | 128
    return code


@func
def _crosses(field: _F3, i: int, j: int, k: int, axis: int, threshold: float32) -> int:
    """1 if the grid edge from node (i, j, k) along ``axis`` exists and crosses, else 0."""
    i2, j2, k2 = i, j, k
    if axis == 0:
        i2 = i + 1
    elif axis == 1:
        j2 = j + 1
    else:
        k2 = k + 1
    if i2 >= field.shape[0] or j2 >= field.shape[1] or k2 >= field.shape[2]:
        return 0
    if (field[i, j, k] >= threshold) != (field[i2, j2, k2] >= threshold):
        return 1
    return 0


@func
def count_before(counts: _I64, node: int) -> int64:
    """The scanned (inclusive) packed count before ``node``."""
    if node == 0:
        return int64(0)
    return counts[node - 1]


@library_kernel("numba_warp_mc_count")
def _mc_count(field: _F3, threshold: float32, tri_range: _I32, run: int, counts: _I64):
    i, j, kb = tid()
    nx, ny, nz = field.shape[0], field.shape[1], field.shape[2]
    for k in range(kb * run, lang.min(kb * run + run, nz)):
        if field[i, j, k] != field[i, j, k]:
            counts[nx * ny * nz] = int64(1)
        nv = int(0)
        nt = int(0)
        if i + 1 < nx and j + 1 < ny and k + 1 < nz:
            c = cell_case(field, i, j, k, threshold)
            if c != 0 and c != 255:
                nt = (tri_range[c + 1] - tri_range[c]) // 3
                # the node's own x, y, z edges go to the cell's corners 1, 3 and 4
                nv = ((c & 1) ^ ((c >> 1) & 1)) + ((c & 1) ^ ((c >> 3) & 1)) \
                    + ((c & 1) ^ ((c >> 4) & 1))
        else:
            nv = _crosses(field, i, j, k, 0, threshold) + _crosses(field, i, j, k, 1, threshold) \
                + _crosses(field, i, j, k, 2, threshold)
        counts[(i * ny + j) * nz + k] = int64(nv) | (int64(nt) << int64(32))


@func
def _node_pos(lower: vec3, delta: vec3, i: int, j: int, k: int) -> vec3:
    return lower + vec3(float32(i) * delta[0], float32(j) * delta[1], float32(k) * delta[2])


@func
def _edge_vertex(field: _F3, threshold: float32, lower: vec3, delta: vec3, v: float32, i: int,
                 j: int, k: int, a: int, b: int, c: int) -> vec3:
    """Where the grid edge from node (i, j, k) (value v) to node (a, b, c) crosses."""
    w = field[a, b, c]
    t = lang.clamp((threshold - v) / (w - v), float32(0.0), float32(1.0))
    return lang.lerp(_node_pos(lower, delta, i, j, k), _node_pos(lower, delta, a, b, c), t)


@library_kernel("numba_warp_mc_verts")
def _mc_verts(field: _F3, threshold: float32, lower: vec3, delta: vec3, counts: _I64, run: int,
              verts: _V3):
    i, j, kb = tid()
    ny, nz = field.shape[1], field.shape[2]
    for k in range(kb * run, lang.min(kb * run + run, nz)):
        node = (i * ny + j) * nz + k
        out = int(count_before(counts, node) & int64(LOW))
        if int(counts[node] & int64(LOW)) > out:
            v = field[i, j, k]
            if _crosses(field, i, j, k, 0, threshold) != 0:
                verts[out] = _edge_vertex(field, threshold, lower, delta, v, i, j, k, i + 1, j,
                                          k)
                out = out + 1
            if _crosses(field, i, j, k, 1, threshold) != 0:
                verts[out] = _edge_vertex(field, threshold, lower, delta, v, i, j, k, i, j + 1,
                                          k)
                out = out + 1
            if _crosses(field, i, j, k, 2, threshold) != 0:
                verts[out] = _edge_vertex(field, threshold, lower, delta, v, i, j, k, i, j,
                                          k + 1)


@library_kernel("numba_warp_mc_tris")
def _mc_tris(field: _F3, threshold: float32, counts: _I64, tri_range: _I32, tri_edges: _I32,
             edge_node: _EDGES, run: int, indices: _I32):
    i, j, kb = tid()
    nx, ny, nz = field.shape[0], field.shape[1], field.shape[2]
    if i + 1 >= nx or j + 1 >= ny:
        return
    for k in range(kb * run, lang.min(kb * run + run, nz - 1)):
        node = (i * ny + j) * nz + k
        first = int(count_before(counts, node) >> int64(32))
        n = int(counts[node] >> int64(32)) - first
        if n > 0:
            base = tri_range[cell_case(field, i, j, k, threshold)]
            for m in range(3 * n):
                e = tri_edges[base + m]
                a, b, c = i + edge_node[e, 0], j + edge_node[e, 1], k + edge_node[e, 2]
                axis = edge_node[e, 3]
                vert = int(count_before(counts, (a * ny + b) * nz + c) & int64(LOW))
                if axis > 0:
                    vert = vert + _crosses(field, a, b, c, 0, threshold)
                if axis > 1:
                    vert = vert + _crosses(field, a, b, c, 1, threshold)
                indices[3 * first + m] = vert


for _k in (_mc_count, _mc_tris):  # integer outputs: never recorded, no backward pass
    _k.enable_backward = False


# -- the extractor ---------------------------------------------------------------------------
@functools.cache
def _mc_device_tables(device) -> tuple:
    """(case -> triangle range, triangle edges, edge -> node offset and axis) on ``device``."""
    ranges, tris = cube_tables.mc_tables()
    return (array(np.array(ranges, np.int32), dtype=int32, device=device),
            array(np.array(tris, np.int32), dtype=int32, device=device),
            array(np.array(cube_tables.EDGE_NODE_AXIS, np.int32), dtype=int32, device=device))


def runs(device, shape) -> tuple:
    """(points along z per thread, launch dims) for a grid of ``shape`` points (nodes or
    cells): on the CPU a thread takes a whole row (the cost of a thread, its index
    arithmetic, is then paid once per row); on a GPU one point, so that neighbouring
    threads read neighbouring values."""
    run = 1 if device.is_cuda else shape[2]
    return run, (shape[0], shape[1], -(-shape[2] // run))


def _marching_cubes(field: array, threshold: float, lower, upper) -> tuple:
    validate_field(field)
    origin, delta = resolve_domain_bounds(field.shape, lower, upper)
    device, shape, n = field.device, field.shape, field.size
    check_grid("IsoSurfaceMarchingCubes", n, 3)
    tri_range, tri_edges, edge_node = _mc_device_tables(device)
    threshold = float(threshold)
    counts = empty(n + 1, dtype=int64, device=device)
    counts[n:].zero_()
    run, rows = runs(device, shape)
    launch(_mc_count, rows, [field, threshold, tri_range, run], [counts], device=device,
           record_tape=False)
    array_scan(counts[:n], counts[:n], inclusive=True)
    total, nan = count_readback(counts, n)
    if nan:
        raise nan_error(field, "IsoSurfaceMarchingCubes")
    nverts, ntris = total & LOW, total >> 32
    check_totals("IsoSurfaceMarchingCubes", vertices=nverts, indices=3 * ntris)
    verts = empty(nverts, dtype=vec3, device=device, requires_grad=field.requires_grad)
    indices = empty(3 * ntris, dtype=int32, device=device)
    if nverts:
        launch(_mc_verts, rows, [field, threshold, origin, delta, counts, run], [verts],
               device=device)
        launch(_mc_tris, rows, [field, threshold, counts, tri_range, tri_edges, edge_node,
                                run], [indices], device=device, record_tape=False)
    return verts, indices


class _LazyTable:
    """A class attribute computed on first read (the tables take ~50 ms to generate)."""

    def __init__(self, pick):
        self.pick = pick

    def __get__(self, obj, cls=None):
        return self.pick()


_NOT_GIVEN = object()


def _deprecated(message: str) -> None:
    warnings.warn(message, DeprecationWarning, stacklevel=3)


class IsoSurfaceMarchingCubes(IsoSurfaceBase):
    """Marching cubes extraction, with Warp 1.19's interface (``IsoSurfaceBase``).

    ``domain_bounds_lower_corner`` / ``domain_bounds_upper_corner`` are Warp's deprecated
    names of ``lower`` / ``upper`` (a DeprecationWarning; both at once is a TypeError).

    Example
    -------
    >>> f = np.fromfunction(lambda i, j, k: k - 1.5, (4, 4, 4), dtype=np.float32)  # z - 1.5
    >>> iso = wp.geometry.IsoSurfaceMarchingCubes(4, 4, 4)
    >>> iso.surface(wp.array(f, dtype=wp.float32), threshold=0.0)
    >>> len(iso.verts), len(iso.indices) // 3  # the plane z = 1.5: 3 x 3 cells, 2 triangles each
    (16, 18)
    >>> print(np.unique(iso.verts.numpy()[:, 2]))  # wp.vec3 positions
    [1.5]
    """

    CUBE_CORNER_OFFSETS = cube_tables.CUBE_CORNER_OFFSETS
    EDGE_TO_CORNERS = cube_tables.EDGE_TO_CORNERS
    #: for case c, the triangles' edges are TRI_LOCAL_INDICES[range[c]:range[c + 1]]
    CASE_TO_TRI_RANGE = _LazyTable(lambda: cube_tables.mc_tables()[0])
    TRI_LOCAL_INDICES = _LazyTable(lambda: cube_tables.mc_tables()[1])

    def __init__(self, nx: int, ny: int, nz: int, lower=None, upper=None, *,
                 domain_bounds_lower_corner=_NOT_GIVEN, domain_bounds_upper_corner=_NOT_GIVEN):
        lower = self._old_bound("lower", lower, domain_bounds_lower_corner)
        upper = self._old_bound("upper", upper, domain_bounds_upper_corner)
        super().__init__(nx, ny, nz, lower=lower, upper=upper)

    @staticmethod
    def _old_bound(name: str, new, old):
        if old is _NOT_GIVEN:
            return new
        if new is not None and old is not None:
            raise TypeError(f"Cannot specify both `{name}` and `domain_bounds_{name}_corner`.")
        _deprecated(f"IsoSurfaceMarchingCubes() argument `domain_bounds_{name}_corner` is "
                    f"deprecated and will be removed in a future version of Warp. Use "
                    f"`{name}` instead.")
        return new if old is None else old

    @property
    def domain_bounds_lower_corner(self):
        """Deprecated name of :attr:`lower`."""
        _deprecated("IsoSurfaceMarchingCubes.domain_bounds_lower_corner is deprecated; use "
                    "`lower` instead.")
        return self.lower

    @domain_bounds_lower_corner.setter
    def domain_bounds_lower_corner(self, value):
        _deprecated("IsoSurfaceMarchingCubes.domain_bounds_lower_corner is deprecated; use "
                    "`lower` instead.")
        self.lower = value

    @property
    def domain_bounds_upper_corner(self):
        """Deprecated name of :attr:`upper`."""
        _deprecated("IsoSurfaceMarchingCubes.domain_bounds_upper_corner is deprecated; use "
                    "`upper` instead.")
        return self.upper

    @domain_bounds_upper_corner.setter
    def domain_bounds_upper_corner(self, value):
        _deprecated("IsoSurfaceMarchingCubes.domain_bounds_upper_corner is deprecated; use "
                    "`upper` instead.")
        self.upper = value

    def surface(self, field, threshold: float) -> None:
        """Extract the surface ``field == threshold`` into :attr:`verts` / :attr:`indices`.

        Example
        -------
        >>> f = np.fromfunction(lambda i, j, k: k - 1.5, (4, 4, 4), dtype=np.float32)
        >>> iso = wp.geometry.IsoSurfaceMarchingCubes(4, 4, 4, lower=(0, 0, 0), upper=(3, 3, 6))
        >>> iso.surface(wp.array(f, dtype=wp.float32), threshold=0.5)  # at node k = 2: z = 4
        >>> print(np.unique(iso.verts.numpy()[:, 2]), iso.indices.shape)
        [4.] (54,)
        """
        self._check_field_shape(field)
        self.verts, self.indices = self.extract(field, float(np.float32(threshold)),
                                                lower=self.lower, upper=self.upper)

    @classmethod
    def extract(cls, field, threshold: float = 0.0, *, lower=None, upper=None) -> tuple:
        """``(verts, indices)`` of the surface ``field == threshold``: ``wp.vec3`` vertex
        positions and a flat ``wp.int32`` array of 3 indices per triangle.

        Example
        -------
        >>> g = np.linspace(-1.0, 1.0, 9, dtype=np.float32)
        >>> x, y, z = np.meshgrid(g, g, g, indexing="ij")
        >>> sphere = wp.array(np.sqrt(x * x + y * y + z * z) - 0.7, dtype=wp.float32)
        >>> verts, indices = wp.geometry.IsoSurfaceMarchingCubes.extract(
        ...     sphere, 0.0, lower=(-1, -1, -1), upper=(1, 1, 1))
        >>> r = np.linalg.norm(verts.numpy(), axis=1)
        >>> bool(np.all(np.abs(r - 0.7) < 0.01)), len(indices) // 3  # on the sphere of radius 0.7
        (True, 248)
        """
        return _marching_cubes(field, threshold, lower, upper)

    @staticmethod
    def extract_surface_marching_cubes(field, threshold: float = 0.0,
                                       domain_bounds_lower_corner=None,
                                       domain_bounds_upper_corner=None) -> tuple:
        """Deprecated name of :meth:`extract`."""
        _deprecated("IsoSurfaceMarchingCubes.extract_surface_marching_cubes() is deprecated "
                    "and will be removed in a future version of Warp. Use "
                    "IsoSurfaceMarchingCubes.extract() instead.")
        return _marching_cubes(field, threshold, domain_bounds_lower_corner,
                               domain_bounds_upper_corner)
