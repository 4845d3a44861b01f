"""Gradient-table rows: Quaternion Math (see gradtable.py)."""

from .gradtable import Row

ROWS = [
    Row("quaternion", ["f", "f", "f", "f"], "q"), Row("quaternion", ["v3", "f"], "q"),
    Row("quaternion", ["q"], "q", key="quaternion(q) conversion"),
    Row("quat_from_axis_angle", ["v3u", "f"], "q"),
    Row("quat_from_axis_angle", ["v3", "f"], "q", key="quat_from_axis_angle(v3, f)"),
    Row("quat_to_axis_angle", ["q"], ["v3", "f"]),
    # Warp's output-argument form: the values the outputs had are overwritten, so they get
    # no gradient (Warp passes the outputs' adjoints on to them)
    Row("quat_to_axis_angle", ["q"], "v4", key="quat_to_axis_angle(q, axis, angle)", body=[
        "axis = wp.vec3d({0}[0], {0}[1], {0}[2])", "angle = {0}[3]",
        "wp.quat_to_axis_angle({0}, axis, angle)",
        "r = wp.vec4d(axis[0], axis[1], axis[2], angle)"]),
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
    # Warp's formula off the unit sphere (the result has a's norm, b's norm is ignored)
    Row("quat_slerp", ["q", "q", "u"], "q", key="quat_slerp(non-unit)",
        body=["r = wp.quat_slerp({0} * wp.float64(0.7), {1} * wp.float64(1.6), {2})"]),
    # a = b and a = -b: no rotation, where Warp's gradient for b is zero (it is t, tangent)
    Row("quat_slerp", ["q0", "q0", "u"], "q", key="quat_slerp(a, a, t)"),
    Row("quat_slerp", ["q0", "q0", "u"], "q", key="quat_slerp(a, -a, t)",
        body=["r = wp.quat_slerp({0}, -{1}, {2})"]),
    Row("quat_twist", ["v3u", "q"], "q"),
    Row("quat_twist", ["v3", "q"], "q", key="quat_twist(v3, q)"),
    Row("quat_twist_angle", ["v3u", "q"], "f"),
    Row("quat_twist_angle", ["v3", "q"], "f", key="quat_twist_angle(v3, q)"),
    Row("quat_twist_angle_signed", ["v3u", "q"], "f"),
    Row("mul", ["q", "q"], "q", call="wp.mul", key="quat * quat"),
    Row("lerp", ["q", "q", "u"], "q"), Row("quat_between_vectors", ["v3", "v3"], "q"),
]
