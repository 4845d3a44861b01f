"""Gradient-table rows: Spatial Math (see gradtable.py)."""

from .gradtable import Row

ROWS = [
    Row("spatial_top", ["sv"], "v3"), Row("spatial_bottom", ["sv"], "v3"),
    Row("spatial_dot", ["sv", "sv"], "f"), Row("spatial_cross", ["sv", "sv"], "sv"),
    Row("spatial_cross_dual", ["sv", "sv"], "sv"),
    Row("spatial_adjoint", ["m33", "m33"], "sm"),
    Row("transform_twist", ["t", "sv"], "sv"), Row("transform_wrench", ["t", "sv"], "sv"),
    Row("velocity_at_point", ["sv", "v3"], "v3"),
    Row("mul", ["sm", "sv"], "sv", call="wp.mul", key="spatial_matrix * spatial_vector"),
    Row("mul", ["sm", "sm"], "sm", call="wp.mul", key="spatial_matrix * spatial_matrix"),
]
