"""Gradient-table rows: Transformations (see gradtable.py)."""

from .gradtable import Row

ROWS = [
    Row("transformation", ["v3", "q"], "t"),
    Row("transformation", ["f"] * 7, "t", key="transformation(7 components)"),
    Row("transform_get_translation", ["t"], "v3"), Row("transform_get_rotation", ["t"], "q"),
    Row("transform_set_translation", ["t", "v3"], "t"),
    Row("transform_set_rotation", ["t", "q"], "t"),
    Row("transform_multiply", ["t", "t"], "t"),
    Row("mul", ["t", "t"], "t", call="wp.mul", key="transform * transform"),
    Row("transform_inverse", ["t"], "t"),
    Row("transform_point", ["t", "v3"], "v3"), Row("transform_vector", ["t", "v3"], "v3"),
    Row("transform_point", ["m44", "v3"], "v3", key="transform_point(m44, v3)"),
    Row("transform_vector", ["m44", "v3"], "v3", key="transform_vector(m44, v3)"),
    Row("transform_to_matrix", ["t"], "m44"),
    Row("transform_from_matrix", ["m44"], "t"),
    Row("transform_compose", ["v3", "q", "v3"], "m44"),
    Row("transform_decompose", ["m44"], ["v3", "q", "v3"]),
    Row("lerp", ["t", "t", "u"], "t"),
]
