"""numba_warp.geometry: Warp's spatial structures (``HashGrid``, ``Bvh``, ``Mesh``, built
on the device that owns the data) and ``warp.geometry``'s isosurface extraction from dense
fields; the structures' in-kernel queries are builtins in ``numba_warp/lowering``.

``IsoSurfaceBase`` is Warp 1.19's interface of dense-field isosurface extractors, with
the backends ``IsoSurfaceMarchingCubes`` (triangles) and ``IsoSurfaceNets`` (triangles or
quads). Warp's other ``warp.geometry`` functions (sparse marching cubes, swept volumes,
Delaunay edge flips) are not provided.
"""

from .bvh import Bvh, is_cubql_available
from .hash_grid import HashGrid
from .isosurface import IsoSurfaceBase, IsoSurfaceMarchingCubes
from .mesh import Mesh
from .surface_nets import IsoSurfaceNets

__all__ = ["Bvh", "HashGrid", "IsoSurfaceBase", "IsoSurfaceMarchingCubes", "IsoSurfaceNets",
           "Mesh", "is_cubql_available"]
