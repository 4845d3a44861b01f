"""Dam break: a column of water, 6000 smoothed-particle-hydrodynamics (SPH) particles at
one end of a long box, collapses under gravity, runs along the floor and splashes up the
far wall; neighbours are found through a ``wp.HashGrid``.

Each substep rebuilds the hash grid and runs three kernels: the density of every particle
is summed over its neighbours (``wp.hash_grid_query``) with the poly6 kernel and turned
into a pressure by a stiff Tait equation of state (weakly compressible water); the
accelerations sum symmetric pressure forces (the spiky kernel's gradient), viscosity (the
viscosity kernel's Laplacian) and gravity; a semi-implicit Euler step moves the particles.
The walls are mirrors: near one, each neighbour also counts as its mirror image behind it
(a ghost particle), so the fluid has its full density there and is pushed off the wall;
a clamp to the box, reflecting and damping the velocity into a wall, is a safety net.
Each frame is drawn by splatting shaded spheres into a depth buffer with
``wp.atomic_min`` and shading the sphere that won every pixel, coloured by speed (deep
blue at rest, pale where fast) over the box's floor and back wall.
Run ``python examples/example_sph.py`` (CPU, all cores: about 15 s, half a minute the
first time while the kernels compile) or ``--device cuda --particles 100000``; writes
``examples/output/sph.png`` (four frames, 0.15 s apart, side by side) and prints timings.
"""

from __future__ import annotations

import argparse
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import numba_warp as wp  # noqa: E402
from _image import write_png  # noqa: E402
from _progress import Timings, steps  # noqa: E402

LENGTH, DEPTH, HEIGHT = 1.6, 0.4, 1.0  # the box: x in [0, LENGTH], y in [0, HEIGHT], ...
COLUMN = (0.4, 0.6)  # the water column: width (x, and all of the box's depth) and height
REST_DENSITY = 1000.0
GRAVITY = 9.81
YAW_C, YAW_S = 0.978, 0.208  # the camera: turned 12 degrees about the vertical,
PITCH_C, PITCH_S = 0.94, 0.342  # looking 20 degrees down, at the floor's centre
CENTRE_Y = 0.76  # which is drawn this far down the frame


@wp.func
def near_walls(p: wp.vec3, h: float):
    """Per axis, the wall (its coordinate) within h of a point, or -1 where there is none."""
    upper = wp.vec3(LENGTH, HEIGHT, DEPTH)
    walls = wp.vec3(-1.0, -1.0, -1.0)
    for k in range(3):
        if p[k] < h:
            walls[k] = 0.0
        elif p[k] > upper[k] - h:
            walls[k] = upper[k]
    return walls


@wp.func
def ghost(p: wp.vec3, m: int, walls: wp.vec3):
    """A point mirrored in the walls whose axes are the bits of m (its ghost behind them)."""
    b0 = float(m & 1)
    b1 = float((m >> 1) & 1)
    b2 = float((m >> 2) & 1)
    return p + wp.vec3(b0 * (walls[0] - p[0]), b1 * (walls[1] - p[1]),
                       b2 * (walls[2] - p[2])) * 2.0


@wp.func
def poly6(d: wp.vec3, h2: float):
    q = wp.max(h2 - wp.length_sq(d), 0.0)
    return q * q * q  # (h^2 - r^2)^3, zero beyond h


@wp.func
def push(d: wp.vec3, h: float):
    """-grad W_spiky(d) up to its constant: (h - r)^2 d / r, zero beyond h."""
    r = wp.length(d)
    f = wp.vec3(0.0, 0.0, 0.0)
    if r < h and r > 1.0e-9:
        f = d * ((h - r) * (h - r) / r)
    return f


@wp.kernel
def density(grid: wp.uint64, x: wp.array(dtype=wp.vec3), h: float, mass_poly6: float,
            rest: float, stiffness: float, rho: wp.array(dtype=float),
            pressure: wp.array(dtype=float)):
    i = wp.tid()
    xi = x[i]
    h2 = h * h
    # the walls are mirrors: the fluid goes on behind them (ghost particles) and so has
    # its full density there too
    walls = near_walls(xi, h)
    mask = int(walls[0] >= 0.0) | (int(walls[1] >= 0.0) << 1) | (int(walls[2] >= 0.0) << 2)
    total = float(0.0)
    for j in wp.hash_grid_query(grid, xi, h):
        xj = x[j]
        if wp.length_sq(xi - xj) < h2:  # (else its ghosts are further still)
            total += poly6(xi - xj, h2)  # the particle itself included
            if mask != 0:
                for m in range(1, 8):
                    if m & mask == m:
                        total += poly6(xi - ghost(xj, m, walls), h2)
    d = mass_poly6 * total
    rho[i] = d
    # Tait's equation, B ((rho / rho0)^7 - 1), without tension (none pulls the surface)
    s = d / rest
    s2 = s * s
    pressure[i] = wp.max(stiffness * (s2 * s2 * s2 * s - 1.0), 0.0)


@wp.kernel
def accelerations(grid: wp.uint64, x: wp.array(dtype=wp.vec3), v: wp.array(dtype=wp.vec3),
                  rho: wp.array(dtype=float), pressure: wp.array(dtype=float), h: float,
                  mass_spiky: float, mass_visc: float, spacing: float, repulse: float,
                  a: wp.array(dtype=wp.vec3)):
    i = wp.tid()
    xi = x[i]
    vi = v[i]
    pr_i = pressure[i] / (rho[i] * rho[i])
    walls = near_walls(xi, h)
    mask = int(walls[0] >= 0.0) | (int(walls[1] >= 0.0) << 1) | (int(walls[2] >= 0.0) << 2)
    h2 = h * h
    w_spacing = poly6(wp.vec3(spacing, 0.0, 0.0), h2)
    acc = wp.vec3(0.0, -GRAVITY, 0.0)
    for j in wp.hash_grid_query(grid, xi, h):
        xj = x[j]
        if wp.length_sq(xi - xj) >= h2:  # out of reach, and so are its ghosts
            continue
        rj = rho[j]
        pr = pr_i + pressure[j] / (rj * rj)
        if j != i:
            # pressure: -m (p_i / rho_i^2 + p_j / rho_j^2) grad W_spiky (pushes apart), and
            # Monaghan's artificial pressure, R (W(r) / W(spacing))^4, which keeps particles
            # from pairing up where the pressure is zero (the free surface)
            f = poly6(xi - xj, h2) / w_spacing
            acc += push(xi - xj, h) * ((pr + repulse * f * f * f * f) * mass_spiky)
            # viscosity: nu m (v_j - v_i) / rho_j lap W_visc, lap W_visc = c (h - r)
            acc += (v[j] - vi) * (mass_visc * (h - wp.length(xi - xj)) / rj)
        if mask != 0:  # the ghosts push too (the walls let the fluid slide)
            for m in range(1, 8):
                if m & mask == m:
                    d = xi - ghost(xj, m, walls)
                    f = poly6(d, h2) / w_spacing
                    acc += push(d, h) * ((pr + repulse * f * f * f * f) * mass_spiky)
    a[i] = acc


@wp.kernel
def integrate(x: wp.array(dtype=wp.vec3), v: wp.array(dtype=wp.vec3),
              a: wp.array(dtype=wp.vec3), dt: float, margin: float, bounce: float,
              friction: float):
    i = wp.tid()
    vel = v[i] + a[i] * dt  # semi-implicit Euler: the new velocity moves the particle
    p = x[i] + vel * dt
    upper = wp.vec3(LENGTH - margin, HEIGHT - margin, DEPTH - margin)
    for k in range(3):
        hit = False
        if p[k] < margin:
            p[k] = margin
            hit = vel[k] < 0.0
        if p[k] > upper[k]:
            p[k] = upper[k]
            hit = vel[k] > 0.0
        if hit:  # reflect the velocity into the wall, damped, and slow the sliding
            vn = vel[k]
            vel = vel * friction
            vel[k] = -bounce * vn
    v[i] = vel
    x[i] = p


@wp.func
def project(p: wp.vec3, scale: float, cx: float, cy: float):
    """Screen position (pixels) and depth of a point: the box seen from the front, above."""
    q = p - wp.vec3(0.5 * LENGTH, 0.0, 0.5 * DEPTH)
    xr = YAW_C * q[0] - YAW_S * q[2]  # a slight turn about the vertical
    zr = YAW_S * q[0] + YAW_C * q[2]
    y = q[1] * PITCH_C - zr * PITCH_S  # and looking down: the far side shows higher up
    depth = 4.0 - zr * PITCH_C - q[1] * PITCH_S  # the smaller, the nearer the camera
    return wp.vec3(cx + xr * scale, cy - y * scale, depth)


@wp.func
def backdrop(sx: float, sy: float, v: float):
    """The colour behind the water at a screen point (box units from the screen centre):
    the box's tiled floor, its back wall, or the dark background."""
    colour = wp.vec3(0.02, 0.024, 0.035) * (1.0 - v) + wp.vec3(0.06, 0.067, 0.09) * v
    zr = -sy / PITCH_S  # the floor, y = 0
    fx = YAW_C * sx + YAW_S * zr
    fz = -YAW_S * sx + YAW_C * zr
    if wp.abs(fx) <= 0.5 * LENGTH and wp.abs(fz) <= 0.5 * DEPTH:
        tile = (int(wp.floor((fx + 4.0) * 10.0)) + int(wp.floor((fz + 4.0) * 10.0))) % 2
        shade = 0.3 - 0.12 * (fz / DEPTH + 0.5)  # lighter near the camera
        colour = wp.vec3(0.55, 0.58, 0.62) * (shade + 0.04 * float(tile))
    bx = (sx + YAW_S * (-0.5 * DEPTH)) / YAW_C  # the back wall, z = 0
    bzr = YAW_S * bx - YAW_C * 0.5 * DEPTH
    by = (sy + bzr * PITCH_S) / PITCH_C
    if wp.abs(bx) <= 0.5 * LENGTH and by >= 0.0 and by <= 0.7 * HEIGHT:
        colour = wp.vec3(0.075, 0.087, 0.115) * (1.0 - 0.5 * by / HEIGHT)
    return colour


@wp.kernel
def splat(x: wp.array(dtype=wp.vec3), radius: float, scale: float,
          depth: wp.array2d(dtype=wp.int64)):
    i = wp.tid()
    h = depth.shape[0]
    w = depth.shape[1]
    s = project(x[i], scale, float(w) * 0.5, float(h) * CENTRE_Y)
    rp = radius * scale
    for py in range(int(s[1] - rp) - 1, int(s[1] + rp) + 2):
        for px in range(int(s[0] - rp) - 1, int(s[0] + rp) + 2):
            if py >= 0 and py < h and px >= 0 and px < w:
                dx = (float(px) + 0.5 - s[0]) / rp
                dy = (float(py) + 0.5 - s[1]) / rp
                if dx * dx + dy * dy < 1.0:
                    # the nearest sphere surface wins: (depth, particle) packed in an int64
                    z = s[2] - radius * wp.sqrt(1.0 - dx * dx - dy * dy)
                    key = (wp.int64(z * 1.0e5) << wp.int64(24)) | wp.int64(i)
                    wp.atomic_min(depth, py, px, key)


@wp.kernel
def shade(x: wp.array(dtype=wp.vec3), v: wp.array(dtype=wp.vec3), radius: float,
          scale: float, fast: float, depth: wp.array2d(dtype=wp.int64),
          pixels: wp.array2d(dtype=wp.vec3)):
    py, px = wp.tid()
    h = depth.shape[0]
    w = depth.shape[1]
    cx = float(w) * 0.5
    cy = float(h) * CENTRE_Y
    key = depth[py, px]
    if key == wp.int64(9223372036854775807):
        sx = (float(px) + 0.5 - cx) / scale
        sy = (cy - float(py) - 0.5) / scale
        pixels[py, px] = backdrop(sx, sy, float(py) / float(h))
        return
    i = int(key & wp.int64(16777215))
    s = project(x[i], scale, cx, cy)
    rp = radius * scale
    dx = (float(px) + 0.5 - s[0]) / rp
    dy = (float(py) + 0.5 - s[1]) / rp
    # the sphere's normal in screen space: x right, y up, z towards the camera
    n = wp.vec3(dx, -dy, wp.sqrt(wp.max(1.0 - dx * dx - dy * dy, 0.0)))
    light = wp.normalize(wp.vec3(-0.35, 0.75, 0.55))
    diffuse = wp.max(wp.dot(n, light), 0.0)
    spec = wp.pow(wp.max(wp.dot(n, wp.normalize(light + wp.vec3(0.0, 0.0, 1.0))), 0.0), 30.0)
    t = wp.min(wp.length(v[i]) / fast, 1.0)  # deep blue water, pale where it runs fast
    c = wp.vec3(0.02, 0.14, 0.55) * (1.0 - t) + wp.vec3(0.5, 0.78, 1.0) * t
    pixels[py, px] = c * (0.25 + 0.85 * diffuse) + wp.vec3(1.0, 1.0, 1.0) * (0.3 * spec)


def column(particles):
    """The water column at rest on a cubic lattice: positions and the lattice spacing."""
    width, height = COLUMN
    # n x m x n particles fill width x height x DEPTH (a cube each), filled from the floor
    n = max(2, int(round((particles * width * width / (height * DEPTH)) ** (1.0 / 3.0))))
    spacing = width / n
    across = max(1, int(round(DEPTH / spacing)))
    layers = int(math.ceil(particles / (n * across)))
    ijk = np.stack(np.meshgrid(np.arange(n), np.arange(layers), np.arange(across),
                               indexing="ij"), -1).reshape(-1, 3)
    ijk = ijk[np.argsort(ijk[:, 1], kind="stable")][:particles]
    start = (ijk + 0.5) * spacing
    start[:, 2] *= DEPTH / (across * spacing)
    rng = np.random.default_rng(7)
    start += rng.uniform(-0.05, 0.05, start.shape) * spacing
    return start.astype(np.float32), spacing


def constants(spacing):
    """The smoothing length, the particle mass, the SPH kernels' constants and a stable
    time step for a lattice spacing."""
    h = 2.0 * spacing
    # the mass that gives the lattice the rest density under the poly6 sum
    k = np.arange(-2, 3) * spacing
    r2 = (k[:, None, None] ** 2 + k[None, :, None] ** 2 + k[None, None, :] ** 2).ravel()
    poly6 = 315.0 / (64.0 * math.pi * h ** 9)
    mass = REST_DENSITY / (poly6 * np.sum(np.clip(h * h - r2, 0.0, None) ** 3))
    sound = 4.5 * math.sqrt(2.0 * GRAVITY * COLUMN[1])  # ~4.5 x the fastest flow
    nu = 0.01 * h * sound  # a little artificial viscosity, in proportion to h
    spiky = 45.0 / (math.pi * h ** 6)
    return {"h": h, "mass": mass, "mass_poly6": mass * poly6, "mass_spiky": mass * spiky,
            "mass_visc": nu * mass * spiky, "stiffness": REST_DENSITY * sound * sound / 7.0,
            "dt": 0.3 * h / sound, "nu": nu,
            # twice Monaghan's R (in the units of p / rho^2): 2% of the stiffness
            "repulse": 2.0 * 0.02 * sound * sound / 7.0 / REST_DENSITY}


def run(device="cpu", particles=6000, frames=4, steps_per_frame=None, width=360, height=240,
        out=None, frame_time=0.15) -> dict:
    """Simulate ``frames * frame_time`` seconds of the dam break and draw a frame every
    ``frame_time``; ``steps_per_frame`` defaults to what keeps the time step stable."""
    start, spacing = column(particles)
    c = constants(spacing)
    if steps_per_frame is None:
        steps_per_frame = int(math.ceil(frame_time / c["dt"]))
    dt = frame_time / steps_per_frame
    x = wp.array(start, dtype=wp.vec3, device=device)
    v = wp.zeros(particles, dtype=wp.vec3, device=device)
    a = wp.zeros(particles, dtype=wp.vec3, device=device)
    rho = wp.zeros(particles, dtype=float, device=device)
    pressure = wp.zeros(particles, dtype=float, device=device)
    grid = wp.HashGrid(128, 64, 64, device=device)
    radius = 0.6 * spacing  # drawn a little larger than they are, to close the gaps
    scale = 0.9 * width / (LENGTH * YAW_C + DEPTH * YAW_S)
    depth = wp.empty((height, width), dtype=wp.int64, device=device)
    pixels = wp.empty((height, width), dtype=wp.vec3, device=device)
    timings = Timings(device)
    images = []
    for step in steps(frames * steps_per_frame, "sph"):
        with timings("simulate"):
            grid.build(x, c["h"])
            wp.launch(density, particles, inputs=[grid.id, x, c["h"], c["mass_poly6"],
                                                  REST_DENSITY, c["stiffness"], rho, pressure],
                      device=device)
            wp.launch(accelerations, particles, inputs=[grid.id, x, v, rho, pressure, c["h"],
                                                        c["mass_spiky"], c["mass_visc"],
                                                        spacing, c["repulse"], a],
                      device=device)
            wp.launch(integrate, particles, inputs=[x, v, a, dt, 0.25 * spacing, 0.3, 0.9995],
                      device=device)
        if (step + 1) % steps_per_frame == 0:
            with timings("render"):
                depth.fill_(np.iinfo(np.int64).max)
                wp.launch(splat, particles, inputs=[x, radius, scale, depth], device=device)
                wp.launch(shade, (height, width), inputs=[x, v, radius, scale, 4.0, depth,
                                                          pixels], device=device)
                rgb = np.clip(pixels.numpy(), 0.0, 1.0) ** (1.0 / 2.2)
                images.append((rgb * 255.0 + 0.5).astype(np.uint8))
    sheet = np.concatenate(images, axis=1)
    if out is not None:
        write_png(out, sheet)
    seconds = sum(timings.total.values())
    return {"seconds": seconds, "positions": x.numpy(), "velocities": v.numpy(),
            "density": rho.numpy(), "mean_density": float(rho.numpy().mean()),
            "rest_density": REST_DENSITY, "image": sheet, "steps": frames * steps_per_frame,
            "dt": dt, "spacing": spacing, "start": start, "timings": timings}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--particles", type=int, default=6000)
    parser.add_argument("--frames", type=int, default=4)
    parser.add_argument("--steps-per-frame", type=int, default=None,
                        help="substeps between frames (default: a stable time step)")
    parser.add_argument("--width", type=int, default=360)
    parser.add_argument("--height", type=int, default=240)
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "output",
                                                      "sph.png"))
    args = parser.parse_args(argv)
    r = run(args.device, args.particles, args.frames, args.steps_per_frame, args.width,
            args.height, out=args.out)
    print(f"{args.particles} particles, {r['steps']} substeps of {1e3 * r['dt']:.2f} ms (a hash "
          f"grid build and three kernels each) and {args.frames} frames on {args.device} in "
          f"{r['seconds']:.1f} s (including compilation); mean density "
          f"{r['mean_density']:.0f} kg/m^3 (rest {REST_DENSITY:.0f})")
    print(f"wrote {args.out}")
    r["timings"].summary()
    return r


if __name__ == "__main__":
    main()
