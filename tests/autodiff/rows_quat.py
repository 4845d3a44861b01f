"""Gradient-table rows: Quaternion Math (see gradtable.py)."""

from .gradtable import Row

ROWS = [
    Row("quaternion", ["f", "f", "f", "f"], "q"), Row("quaternion", ["v3", "f"], "q"),
    Row("quaternion", ["q"], "q", key="quaternion(q) conversion"),
    Row("quat_from_axis_angle", ["v3u", "f"], "q"),
    Row("quat_from_axis_angle", ["v3", "f"], "q", key="quat_from_axis_angle(v3, f)"),
    Row("quat_to_axis_angle", ["q"], ["v3", "f"]),
    Row("quat_inverse", ["q"], "q"),
    Row("quat_rotate", ["q", "v3"], "v3"), Row("quat_rotate_inv", ["q", "v3"], "v3"),
    Row("quat_to_matrix", ["q"], "m33"),
    Row("quat_from_matrix", ["m33"], "q"), Row("quat_from_matrix", ["m44"], "q"),
    Row("quat_rpy", ["f", "f", "f"], "q"), Row("quat_to_rpy", ["q"], "v3"),
    Row("quat_from_euler", ["v3", "c:0", "c:1", "c:2"], "q"),
    Row("quat_from_euler", ["v3", "c:2", "c:0", "c:2"], "q", key="quat_from_euler(proper)"),
    Row("quat_to_euler", ["q", "c:0", "c:1", "c:2"], "v3"),
    Row("quat_to_euler", ["q", "c:2", "c:0", "c:1"], "v3", key="quat_to_euler(2, 0, 1)"),
    Row("quat_to_euler", ["q", "c:1", "c:0", "c:1"], "v3", key="quat_to_euler(proper)"),
    Row("quat_slerp", ["q", "q", "u"], "q"),
    Row("quat_slerp", ["q", "q", "p1"], "q", key="quat_slerp(q, q, p1)"),
    Row("quat_twist", ["v3u", "q"], "q"),
    Row("quat_twist", ["v3", "q"], "q", key="quat_twist(v3, q)"),
    Row("quat_twist_angle", ["v3u", "q"], "f"),
    Row("quat_twist_angle", ["v3", "q"], "f", key="quat_twist_angle(v3, q)"),
    Row("quat_twist_angle_signed", ["v3u", "q"], "f"),
    Row("mul", ["q", "q"], "q", call="wp.mul", key="quat * quat"),
    Row("lerp", ["q", "q", "u"], "q"), Row("quat_between_vectors", ["v3", "v3"], "q"),
]
