"""numba_warp.geometry: Warp's ``warp.geometry`` (isosurface extraction from dense fields)
and the Python-side spatial structures; their in-kernel queries are builtins in
``numba_warp/lowering``.

``IsoSurfaceBase`` is Warp 1.19's interface of dense-field isosurface extractors, with
the backends ``IsoSurfaceMarchingCubes`` (triangles) and ``IsoSurfaceNets`` (triangles or
quads). Warp's other ``warp.geometry`` functions (sparse marching cubes, swept volumes,
Delaunay edge flips) are not provided.
"""

from .isosurface import IsoSurfaceBase, IsoSurfaceMarchingCubes
from .surface_nets import IsoSurfaceNets

__all__ = ["IsoSurfaceBase", "IsoSurfaceMarchingCubes", "IsoSurfaceNets"]
