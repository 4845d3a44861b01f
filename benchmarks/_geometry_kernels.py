"""Kernels of bench_geometry.py's mesh cases, loaded by numba_warp and (through
``_warp_twin``) by NVIDIA Warp from this same source."""

import numba_warp as wp


@wp.kernel
def closest_points(mesh: wp.uint64, points: wp.array(dtype=wp.vec3), max_dist: float,
                   out: wp.array(dtype=wp.vec3)):
    i = wp.tid()
    q = wp.mesh_query_point_no_sign(mesh, points[i], max_dist)
    if q.result:
        out[i] = wp.mesh_eval_position(mesh, q.face, q.u, q.v)


@wp.kernel
def ray_hits(mesh: wp.uint64, dirs: wp.array(dtype=wp.vec3), out: wp.array(dtype=float)):
    i = wp.tid()
    q = wp.mesh_query_ray(mesh, wp.vec3(0.0, 0.0, 0.0), dirs[i], 1.0e6)
    if q.result:
        out[i] = q.t
