"""Adopting numba_warp's types in an existing Numba code base.

A typical Numba project keeps particles as (n, 3) float32 arrays and writes the vector
algebra out by hand. After ``import numba_warp as wp`` the same @numba.njit function can
use wp.vec3 / wp.quat / wp.mat33 values and builtins directly, and view the (n, 3)
arrays as arrays of wp.vec3 without copying. This example rotates a point cloud both
ways, checks they agree, and writes a PNG of the result (examples/output/interop.png).
"""

from __future__ import annotations

import math
import os
import sys

import numba
import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import numba_warp as wp  # noqa: E402
from _image import write_png  # noqa: E402


@numba.njit
def spin_by_hand(points, axis, angle, out):
    """The 'before' version: quaternion rotation written out component by component."""
    s = math.sin(angle * 0.5)
    qx, qy, qz, qw = axis[0] * s, axis[1] * s, axis[2] * s, math.cos(angle * 0.5)
    for i in range(points.shape[0]):
        x, y, z = points[i, 0], points[i, 1], points[i, 2]
        cx, cy, cz = qy * z - qz * y, qz * x - qx * z, qx * y - qy * x
        out[i, 0] = x + 2.0 * (qw * cx + qy * cz - qz * cy)
        out[i, 1] = y + 2.0 * (qw * cy + qz * cx - qx * cz)
        out[i, 2] = z + 2.0 * (qw * cz + qx * cy - qy * cx)


@numba.njit
def spin_with_warp_types(points, axis, angle, out):
    """The 'after' version: same function, Warp's types and builtins inside plain Numba."""
    pts = wp.as_vectors(points, wp.vec3)  # (n, 3) float32 -> n vec3, zero-copy
    dst = wp.as_vectors(out, wp.vec3)
    q = wp.quat_from_axis_angle(wp.normalize(wp.vec3(axis[0], axis[1], axis[2])), angle)
    for i in range(pts.shape[0]):
        dst[i] = wp.quat_rotate(q, pts[i])


def main(out_path=None):
    rng = np.random.default_rng(7)
    # a torus point cloud
    u, v = rng.uniform(0, 2 * np.pi, (2, 20000))
    pts = np.stack([(1 + 0.35 * np.cos(v)) * np.cos(u), (1 + 0.35 * np.cos(v)) * np.sin(u),
                    0.35 * np.sin(v)], axis=1).astype(np.float32)
    axis = np.array([1.0, 0.0, 0.0], dtype=np.float32)
    a = np.zeros_like(pts)
    b = np.zeros_like(pts)
    spin_by_hand(pts, axis, np.float32(1.1), a)
    spin_with_warp_types(pts, axis, np.float32(1.1), b)
    err = float(np.abs(a - b).max())
    print(f"hand-written and wp-typed versions agree to {err:.2e}")
    # orthographic view of the rotated torus, coloured by depth
    img = np.full((256, 256, 3), 255, dtype=np.uint8)
    px = ((b[:, 0] + 1.5) / 3.0 * 255).astype(int).clip(0, 255)
    py = ((b[:, 1] + 1.5) / 3.0 * 255).astype(int).clip(0, 255)
    depth = ((b[:, 2] - b[:, 2].min()) / np.ptp(b[:, 2]) * 200).astype(np.uint8)
    order = np.argsort(b[:, 2])
    img[py[order], px[order]] = np.stack([depth, 80 + depth // 3, 255 - depth], 1)[order]
    out_path = out_path or os.path.join(os.path.dirname(__file__), "output", "interop.png")
    write_png(out_path, img)
    print(f"wrote {out_path}")
    return err


if __name__ == "__main__":
    main()
