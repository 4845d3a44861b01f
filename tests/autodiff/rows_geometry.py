"""Gradient-table rows: the Geometry builtins with an adjoint (see gradtable.py).

closest_point_edge_edge on standard-normal endpoints (in float64, which numba_warp adds to
Warp's vec3): its branches are mostly the free case and the clamped ones (a point past an
end of the other segment), whose gradients are checked alike. The constant edges of the
second row make the closest points interior, the third row's first edge a point.
intersect_tri_tri has no gradient (marked in geometry_prims).
"""

from .gradtable import Row

_E = "c:1.0e-6"

ROWS = [
    Row("closest_point_edge_edge", ["v3", "v3", "v3", "v3", _E], "v3"),
    Row("closest_point_edge_edge", ["c:wp.vec3d(-2.0, 0.1, 0.0)", "c:wp.vec3d(2.0, -0.2, 0.1)",
                                    "v3", "c:wp.vec3d(0.2, 0.3, 3.0)", _E], "v3",
        key="closest_point_edge_edge(interior)"),
    Row("closest_point_edge_edge", ["v3", "c:wp.vec3d(0.5, 0.5, 0.5)",
                                    "c:wp.vec3d(0.5, 0.5, 0.5)", "v3", _E], "v3",
        key="closest_point_edge_edge(mixed)"),
]
