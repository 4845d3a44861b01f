"""Typed vector math vs the same computation in plain Numba on (n, 3) arrays.

Rotates 2^24 points by a quaternion, applies a rigid transform and a 3x3 matrix, in one
numba_warp kernel (``wp.vec3``/``wp.quat``/``wp.transform``/``wp.mat33`` values) and in a
plain ``@numba.njit(parallel=True)`` / ``@cuda.jit`` function written out component by
component on ``float32[:, 3]`` arrays. The goal: the typed version costs no more than 5%
extra. Run ``python benchmarks/bench_types.py [--quick]``.
"""

from __future__ import annotations

import argparse
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numba  # noqa: E402
from numba import prange  # noqa: E402

import numba_warp as wp  # noqa: E402
from _timing import best_of  # noqa: E402


@wp.kernel
def typed_transform(pts: wp.array(dtype=wp.vec3), q: wp.quat, xf: wp.transform, m: wp.mat33,
                    out: wp.array(dtype=wp.vec3)):
    i = wp.tid()
    p = wp.quat_rotate(q, pts[i])
    out[i] = m * wp.transform_point(xf, p)


TWO = np.float32(2.0)  # a float32 constant: a bare 2.0 would make Numba compute in float64


def _rotate(qx, qy, qz, qw, x, y, z):
    # v' = v + 2 w (u x v) + 2 u x (u x v), u = (qx, qy, qz)
    cx = qy * z - qz * y
    cy = qz * x - qx * z
    cz = qx * y - qy * x
    ccx = qy * cz - qz * cy
    ccy = qz * cx - qx * cz
    ccz = qx * cy - qy * cx
    return (x + TWO * (qw * cx + ccx), y + TWO * (qw * cy + ccy), z + TWO * (qw * cz + ccz))


_rotate_nb = numba.njit(inline="always")(_rotate)


@numba.njit(parallel=True, fastmath=False)
def plain_transform(pts, q, t, tq, m, out):
    # constants read once into locals (inside the loop they would be re-read from memory,
    # as `out` might alias them)
    q0, q1, q2, q3 = q[0], q[1], q[2], q[3]
    r0, r1, r2, r3 = tq[0], tq[1], tq[2], tq[3]
    t0, t1, t2 = t[0], t[1], t[2]
    m00, m01, m02, m10, m11, m12, m20, m21, m22 = (
        m[0, 0], m[0, 1], m[0, 2], m[1, 0], m[1, 1], m[1, 2], m[2, 0], m[2, 1], m[2, 2])
    for i in prange(pts.shape[0]):
        x, y, z = _rotate_nb(q0, q1, q2, q3, pts[i, 0], pts[i, 1], pts[i, 2])
        x, y, z = _rotate_nb(r0, r1, r2, r3, x, y, z)
        x, y, z = x + t0, y + t1, z + t2
        out[i, 0] = m00 * x + m01 * y + m02 * z
        out[i, 1] = m10 * x + m11 * y + m12 * z
        out[i, 2] = m20 * x + m21 * y + m22 * z


def quat_from_axis_angle(axis, angle):
    axis = np.asarray(axis, dtype=np.float64) / np.linalg.norm(axis)
    s = math.sin(angle / 2)
    return np.array([*(axis * s), math.cos(angle / 2)], dtype=np.float32)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    n = 1 << (20 if args.quick else 24)
    rng = np.random.default_rng(0)
    P = rng.standard_normal((n, 3)).astype(np.float32)
    q = quat_from_axis_angle([1, 2, 3], 0.7)
    tq = quat_from_axis_angle([0, 1, 0], 0.3)
    t = np.array([0.5, -1.0, 2.0], dtype=np.float32)
    M = rng.standard_normal((3, 3)).astype(np.float32)
    out_plain = np.zeros_like(P)
    plain_transform(P, q, t, tq, M, out_plain)

    wq, wxf = wp.quat(*q), wp.transform(*t, *tq)
    wm = wp.mat33(*M.reshape(-1))
    devices = ["cpu"] + (["cuda:0"] if wp.is_cuda_available() else [])
    for device in devices:
        pts = wp.array(P, dtype=wp.vec3, device=device)
        out = wp.zeros(n, dtype=wp.vec3, device=device)

        def run_typed():
            wp.launch(typed_transform, dim=n, inputs=[pts, wq, wxf, wm, out], device=device)
            wp.synchronize()

        t_typed = best_of(run_typed)
        np.testing.assert_allclose(out.numpy(), out_plain, rtol=1e-4, atol=1e-4)
        if device == "cpu":
            t_plain = best_of(lambda: plain_transform(P, q, t, tq, M, out_plain))
            base = "plain @njit(parallel=True) on (n, 3) arrays"
        else:
            t_plain = _cuda_plain(P, q, t, tq, M)
            base = "plain @cuda.jit on (n, 3) arrays"
        print(f"{device:7s} 2^{int(math.log2(n))} points: numba_warp {t_typed * 1e3:8.2f} ms   "
              f"{base} {t_plain * 1e3:8.2f} ms   typed/plain = {t_typed / t_plain:.3f}")


def _cuda_plain(P, q, t, tq, M):
    from numba import cuda

    rot = cuda.jit(device=True, inline=True)(_rotate)

    @cuda.jit
    def kern(pts, q, t, tq, m, out):
        i = cuda.grid(1)
        if i < pts.shape[0]:
            x, y, z = rot(q[0], q[1], q[2], q[3], pts[i, 0], pts[i, 1], pts[i, 2])
            x, y, z = rot(tq[0], tq[1], tq[2], tq[3], x, y, z)
            x, y, z = x + t[0], y + t[1], z + t[2]
            out[i, 0] = m[0, 0] * x + m[0, 1] * y + m[0, 2] * z
            out[i, 1] = m[1, 0] * x + m[1, 1] * y + m[1, 2] * z
            out[i, 2] = m[2, 0] * x + m[2, 1] * y + m[2, 2] * z

    d = [cuda.to_device(a) for a in (P, q, t, tq, M)]
    out = cuda.device_array_like(P)
    blocks = (P.shape[0] + 255) // 256

    def run():
        kern[blocks, 256](*d, out)
        cuda.synchronize()

    return best_of(run)


if __name__ == "__main__":
    main()
