"""Granular column collapse: 6000 discrete-element particles stacked in a tall column
slump into a spreading heap; contacts are found through a ``wp.HashGrid``, and the
particles are drawn by splatting shaded spheres with atomics.

Each substep rebuilds the hash grid, sums spring-dashpot contact forces with viscous
friction over each particle's neighbours (``wp.hash_grid_query``), adds walls and gravity,
and integrates.
Each frame is drawn by two kernels: every particle splats its disk into a depth buffer with
``wp.atomic_min`` on a packed (depth, id) key, then every pixel shades the sphere that
won. Run ``python examples/example_dem_pile.py`` (CPU, all cores, a few seconds) or
``--device cuda``; writes ``examples/output/dem_pile.png`` (four frames, 0.16 s apart,
side by side) and prints timings.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import numba_warp as wp  # noqa: E402
from _image import write_png  # noqa: E402
from _progress import Timings, steps  # noqa: E402

BOX = 1.6  # the box spans [-BOX, BOX] in x and z, the floor is at y = 0


@wp.kernel
def contact_forces(grid: wp.uint64, x: wp.array(dtype=wp.vec3), v: wp.array(dtype=wp.vec3),
                   radius: float, k_n: float, c_n: float, c_t: float,
                   f: wp.array(dtype=wp.vec3)):
    i = wp.tid()
    xi = x[i]
    vi = v[i]
    force = wp.vec3(0.0, -9.81, 0.0)  # per unit mass
    for j in wp.hash_grid_query(grid, xi, 2.0 * radius):
        if j != i:
            d = xi - x[j]
            dist = wp.length(d)
            overlap = 2.0 * radius - dist
            if overlap > 0.0 and dist > 1.0e-9:
                n = d / dist
                vrel = vi - v[j]
                vn = wp.dot(vrel, n)
                # normal spring-dashpot, and viscous friction against sliding
                force = force + n * (k_n * overlap - c_n * vn) - (vrel - n * vn) * c_t
    # the floor and the four walls
    for axis in range(3):
        for side in range(2):
            if axis != 1 or side == 0:
                s = float(1 - 2 * side)  # +1: the low wall, -1: the high wall
                wall = -BOX * s
                if axis == 1:
                    wall = 0.0
                overlap = radius - (xi[axis] - wall) * s
                if overlap > 0.0:
                    n = wp.vec3(0.0, 0.0, 0.0)
                    n[axis] = s
                    vt = vi - n * vi[axis] * s
                    force = force + n * (k_n * overlap - c_n * vi[axis] * s) - vt * c_t
    f[i] = force


@wp.kernel
def integrate(x: wp.array(dtype=wp.vec3), v: wp.array(dtype=wp.vec3),
              f: wp.array(dtype=wp.vec3), dt: float, damping: float):
    i = wp.tid()
    vel = (v[i] + f[i] * dt) * damping
    v[i] = vel
    x[i] = x[i] + vel * dt


@wp.func
def project(p: wp.vec3, yaw: float, scale: float, cx: float, cy: float):
    """Screen position (pixels) and depth of a point: a turntable view from slightly above."""
    c = wp.cos(yaw)
    s = wp.sin(yaw)
    xr = c * p[0] + s * p[2]
    zr = -s * p[0] + c * p[2]
    y = p[1] * 0.94 - zr * 0.34
    depth = -zr * 0.94 - p[1] * 0.34  # smaller is nearer: the camera is in front, above
    return wp.vec3(cx + xr * scale, cy - y * scale, depth)


@wp.kernel
def splat(x: wp.array(dtype=wp.vec3), radius: float, yaw: float, scale: float,
          depth: wp.array2d(dtype=wp.int64)):
    i = wp.tid()
    h = depth.shape[0]
    w = depth.shape[1]
    s = project(x[i], yaw, scale, float(w) * 0.5, float(h) * 0.82)
    rp = radius * scale
    for py in range(int(s[1] - rp) - 1, int(s[1] + rp) + 2):
        for px in range(int(s[0] - rp) - 1, int(s[0] + rp) + 2):
            if py >= 0 and py < h and px >= 0 and px < w:
                dx = (float(px) + 0.5 - s[0]) / rp
                dy = (float(py) + 0.5 - s[1]) / rp
                if dx * dx + dy * dy < 1.0:
                    # the nearest surface wins: (depth, particle) packed in one int64
                    z = s[2] - radius * wp.sqrt(1.0 - dx * dx - dy * dy) + 4.0
                    key = (wp.int64(z * 1.0e5) << wp.int64(24)) | wp.int64(i)
                    wp.atomic_min(depth, py, px, key)


@wp.kernel
def shade(x: wp.array(dtype=wp.vec3), radius: float, yaw: float, scale: float,
          depth: wp.array2d(dtype=wp.int64), colour: wp.array(dtype=wp.vec3),
          pixels: wp.array2d(dtype=wp.vec3)):
    py, px = wp.tid()
    h = depth.shape[0]
    w = depth.shape[1]
    v = float(py) / float(h)
    background = wp.vec3(0.09, 0.1, 0.13) * (1.0 - v) + wp.vec3(0.25, 0.27, 0.32) * v
    key = depth[py, px]
    if key == wp.int64(9223372036854775807):
        pixels[py, px] = background
        return
    i = int(key & wp.int64(16777215))
    s = project(x[i], yaw, scale, float(w) * 0.5, float(h) * 0.82)
    rp = radius * scale
    dx = (float(px) + 0.5 - s[0]) / rp
    dy = (float(py) + 0.5 - s[1]) / rp
    n = wp.normalize(wp.vec3(dx, -dy, -wp.sqrt(wp.max(1.0 - dx * dx - dy * dy, 0.0))))
    light = wp.normalize(wp.vec3(-0.4, 0.7, -0.6))
    diffuse = wp.max(wp.dot(n, light), 0.0)
    spec = wp.pow(wp.max(wp.dot(n, wp.normalize(light + wp.vec3(0.0, 0.0, -1.0))), 0.0), 40.0)
    c = colour[i]
    pixels[py, px] = c * (0.25 + 0.85 * diffuse) + wp.vec3(1.0, 1.0, 1.0) * (0.35 * spec)


def run(device="cpu", particles=6000, frames=4, steps_per_frame=80, width=360,
        height=300, out=None) -> dict:
    radius = 0.03
    # a tall column (a granular column collapse): 12 x 12 particles per layer
    side = 12
    layers = int(math.ceil(particles / (side * side)))
    rng = np.random.default_rng(3)
    ijk = np.stack(np.meshgrid(np.arange(side), np.arange(layers), np.arange(side),
                               indexing="ij"), -1).reshape(-1, 3)
    ijk = ijk[np.argsort(ijk[:, 1], kind="stable")][:particles]
    spacing = 2.05 * radius
    start = (ijk - np.array([(side - 1) / 2.0, 0.0, (side - 1) / 2.0])) * spacing
    start[:, 1] += radius * 1.05
    start[:, 0] -= 0.6
    start += rng.uniform(-0.02, 0.02, start.shape) * radius
    x = wp.array(start.astype(np.float32), dtype=wp.vec3, device=device)
    v = wp.zeros(particles, dtype=wp.vec3, device=device)
    f = wp.zeros(particles, dtype=wp.vec3, device=device)
    hue = (ijk[:, 1] / max(layers - 1, 1))[:, None]
    colour = wp.array((np.array([0.95, 0.45, 0.12]) * (1 - hue)
                       + np.array([0.2, 0.55, 0.95]) * hue).astype(np.float32),
                      dtype=wp.vec3, device=device)
    grid = wp.HashGrid(64, 64, 64, device=device)
    k_n, c_n, c_t, dt = 2.0e4, 120.0, 60.0, 2.0e-3
    depth = wp.empty((height, width), dtype=wp.int64, device=device)
    pixels = wp.empty((height, width), dtype=wp.vec3, device=device)
    images = []
    timings = Timings(device)
    t0 = time.perf_counter()
    for frame in steps(frames, "frames"):
        for _ in range(steps_per_frame):
            with timings("hash grid"):
                grid.build(x, 2.0 * radius)
            with timings("contacts + step"):
                wp.launch(contact_forces, particles,
                          inputs=[grid.id, x, v, radius, k_n, c_n, c_t, f], device=device)
                wp.launch(integrate, particles, inputs=[x, v, f, dt, 0.9999], device=device)
        yaw = 0.5 + 0.3 * frame
        with timings("render"):
            depth.fill_(np.iinfo(np.int64).max)
            wp.launch(splat, particles, inputs=[x, radius, yaw, 0.25 * width, depth],
                      device=device)
            wp.launch(shade, (height, width), inputs=[x, radius, yaw, 0.25 * width, depth,
                                                      colour, pixels], device=device)
        rgb = np.clip(pixels.numpy(), 0.0, 1.0) ** (1.0 / 2.2)
        images.append((rgb * 255.0 + 0.5).astype(np.uint8))
    seconds = time.perf_counter() - t0
    sheet = np.concatenate(images, axis=1)
    if out is not None:
        write_png(out, sheet)
    pos = x.numpy()
    return {"seconds": seconds, "positions": pos, "image": sheet,
            "steps": frames * steps_per_frame, "radius": radius, "timings": timings}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--particles", type=int, default=6000)
    parser.add_argument("--frames", type=int, default=4)
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "output",
                                                      "dem_pile.png"))
    args = parser.parse_args(argv)
    r = run(args.device, args.particles, args.frames, out=args.out)
    print(f"{args.particles} particles, {r['steps']} substeps (a hash grid build and two "
          f"kernels each) and {args.frames} frames on {args.device} in {r['seconds']:.1f} s "
          f"(including compilation)")
    r["timings"].summary()
    print(f"wrote {args.out}")
    return r


if __name__ == "__main__":
    main()
