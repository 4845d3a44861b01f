"""Kernels shared by the interop tests."""

import numba_warp as wp


@wp.kernel
def spread(p: wp.array(dtype=wp.vec3), out: wp.array(dtype=float)):
    """out = x + 10 z of each point; then the point doubles (NVIDIA Warp gives
    [20, 53, 86, 119] for points arange(12).reshape(4, 3))."""
    i = wp.tid()
    out[i] = p[i][0] + 10.0 * p[i][2]
    p[i] = p[i] * 2.0


@wp.kernel
def square_sum(x: wp.array(dtype=float), loss: wp.array(dtype=float)):
    i = wp.tid()
    wp.atomic_add(loss, 0, x[i] * x[i])
