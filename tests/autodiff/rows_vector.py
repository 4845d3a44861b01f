"""Gradient-table rows: Vector Math and where/select/cast (see gradtable.py)."""

from .gradtable import Row

_V = ["v2", "v3", "v4"]
_M = ["m22", "m33", "m44"]

ROWS = [
    *(Row("dot", [v, v], "f") for v in _V), Row("dot", ["q", "q"], "f"),
    Row("cross", ["v3", "v3"], "v3"),
    *(Row("length", [v], "f") for v in _V), *(Row("length_sq", [v], "f") for v in _V),
    *(Row("normalize", [v], v) for v in _V), Row("normalize", ["q"], "q"),
    *(Row("outer", [v, v], m) for v, m in zip(_V, _M)),
    *(Row("transpose", [m], m) for m in _M),
    *(Row("determinant", [m], "f") for m in [*_M, "spd33"]),
    *(Row("inverse", [m], m) for m in ["m22", "spd22", "spd33"]),
    Row("inverse", ["m33s"], "m33"), Row("inverse", ["m44"], "m44"),
    Row("inverse_approx", ["spd33"], "m33"),
    *(Row("diag", [v], m) for v, m in zip(_V, _M)),
    *(Row("get_diag", [m], v) for v, m in zip(_V, _M)),
    *(Row("trace", [m], "f") for m in _M),
    Row("cw_mul", ["v3", "v3"], "v3"), Row("cw_mul", ["m33", "m33"], "m33"),
    Row("cw_mul", ["v4", "v4"], "v4"),
    Row("cw_div", ["v3", "v3+"], "v3"),
    Row("cw_div", ["m22", "c:wp.mat22d(1.5, -2.0, 0.5, 3.0)"], "m22"),
    Row("skew", ["v3"], "m33"),
    Row("matrix_from_cols", ["v2", "v2"], "m22"),
    Row("matrix_from_cols", ["v3", "v3", "v3"], "m33"),
    Row("matrix_from_cols", ["v4", "v4", "v4", "v4"], "m44"),
    Row("matrix_from_rows", ["v3", "v3", "v3"], "m33"),
    Row("matrix_from_rows", ["v2", "v2"], "m22"),
    *(Row("norm_l1", [v], "f") for v in _V), *(Row("norm_l2", [v], "f") for v in _V),
    Row("norm_huber", ["v3"], "f"), Row("norm_huber", ["v3", "f+"], "f"),
    Row("norm_huber", ["v2", "c:10.0"], "f"), Row("norm_huber", ["v4", "c:0.1"], "f"),
    Row("norm_pseudo_huber", ["v3"], "f"), Row("norm_pseudo_huber", ["v3", "f+"], "f"),
    Row("norm_pseudo_huber", ["v4", "c:0.5"], "f"),
    Row("smooth_normalize", ["v3"], "v3"), Row("smooth_normalize", ["v3", "f+"], "v3"),
    Row("smooth_normalize", ["v2", "c:0.5"], "v2"),
    *(Row("ddot", [m, m], "f") for m in _M),
    Row("where", ["c:True", "f", "f"], "f"), Row("where", ["c:False", "v3", "v3"], "v3"),
    Row("select", ["c:True", "f", "f"], "f"), Row("select", ["c:False", "m22", "m22"], "m22"),
    # (wp.cast reinterprets bits: no gradient, as in Warp; no row)
    # value constructors (the adjoint slices the result's adjoint)
    Row("vector", ["f", "f", "f"], "v3"),
    Row("vector", ["f", "c:length=4"], "v4", key="vector(fill)"),
    Row("matrix", ["f", "f", "f", "f", "c:shape=(2, 2)"], "m22"),
    Row("vector", ["v3", "c:dtype=wp.float64"], "v3", key="vector(convert)"),
    Row("lerp", ["v3", "v3", "u"], "v3"), Row("lerp", ["m22", "m22", "u"], "m22"),
    Row("div", ["f", "c:wp.mat22d(1.5, -2.0, 0.5, 3.0)"], "m22", key="div(f, m22)"),
]
