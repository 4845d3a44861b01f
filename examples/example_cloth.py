"""A square cloth dropped over a sphere: an N x N mass-spring sheet (structural, shear and
bend springs) falls under gravity, drapes over a ball and settles on the ground; it is drawn
by ray casting the cloth as a ``wp.Mesh`` that is refitted every frame.

Each substep is two kernels: one thread per spring adds its spring and damper force to its
two particles with ``wp.atomic_add`` / ``wp.atomic_sub`` (springs are softer in compression,
so the cloth folds instead of bulging), then one thread per particle integrates
(semi-implicit Euler with air drag), pushes the particle out of the sphere and off the
ground, and removes its velocity into the surface and some of its sliding velocity (Coulomb
friction). The time step follows the springs' wave speed, so a finer cloth takes more
substeps. Each frame refits a ``wp.Mesh`` built on the particle positions (the very array
the simulation updates), adds up smooth vertex normals with atomics and traces one camera
ray per pixel: ``wp.mesh_query_ray`` against the cloth (a checkered fabric from the hit's
barycentric coordinates, lit on the side the camera sees), the sphere and the ground
analytically, with a shadow ray and the sphere's ambient occlusion. Run ``python
examples/example_cloth.py`` (48 x 48 particles on the CPU, all cores, a few seconds once
compiled) or ``--device cuda --n 128``; writes ``examples/output/cloth.png`` (four frames,
0.5 s apart, side by side) and prints the largest spring stretch, the closest approach to
the sphere and a table of timings.
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

SIZE = 2.0  # the cloth is SIZE x SIZE metres
CENTER = (0.0, 0.55, 0.0)  # the sphere; the ground is the plane y = 0
RADIUS = 0.5
THICKNESS = 0.01  # particles keep this far from the sphere and the ground
DROP = 1.45  # the cloth starts flat at this height
STIFFNESS = 1000.0  # of the structural springs, per unit mass, times the spacing squared
DAMPING = 2.0e-4  # seconds: the springs resist their rate of stretch this much
COMPRESSION = 0.2  # springs are this much softer when compressed than when stretched
DRAG = 3.0  # per second: air drag on every particle
FRICTION = 0.6  # Coulomb friction coefficient on the sphere and the ground


@wp.kernel
def spring_forces(x: wp.array(dtype=wp.vec3), v: wp.array(dtype=wp.vec3),
                  springs: wp.array2d(dtype=wp.int32), rest: wp.array(dtype=float),
                  stiffness: wp.array(dtype=float), tau: float, f: wp.array(dtype=wp.vec3),
                  peak: wp.array(dtype=float)):
    """One thread per spring; forces are per unit mass (all particles weigh the same).
    ``peak`` keeps each spring's largest stretch so far (relative to its rest length)."""
    s = wp.tid()
    i = springs[s, 0]
    j = springs[s, 1]
    d = x[j] - x[i]
    length = wp.length(d)
    if length > 1.0e-9:
        n = d / length
        # Hooke's law plus a damper on the rate of stretch (stiffness-proportional damping)
        rate = wp.dot(v[j] - v[i], n)
        k = stiffness[s]
        if length < rest[s]:
            k = k * COMPRESSION  # cloth buckles rather than compresses
        force = n * (k * ((length - rest[s]) + tau * rate))
        wp.atomic_add(f, i, force)
        wp.atomic_sub(f, j, force)
        peak[s] = wp.max(peak[s], length / rest[s] - 1.0)


@wp.func
def friction(vel: wp.vec3, n: wp.vec3, mu: float):
    """Remove the velocity into the surface with normal ``n``, and up to ``mu`` times as
    much of the sliding velocity (Coulomb friction, at the velocity level)."""
    vn = wp.dot(vel, n)
    if vn >= 0.0:
        return vel
    vt = vel - n * vn
    slide = wp.length(vt)
    if slide <= -mu * vn:
        return wp.vec3(0.0, 0.0, 0.0)
    return vt * (1.0 + mu * vn / slide)


@wp.kernel
def integrate(x: wp.array(dtype=wp.vec3), v: wp.array(dtype=wp.vec3),
              f: wp.array(dtype=wp.vec3), dt: float, drag: float, center: wp.vec3,
              radius: float, thickness: float, mu: float):
    i = wp.tid()
    vel = (v[i] + (f[i] + wp.vec3(0.0, -9.81, 0.0)) * dt) * (1.0 - drag * dt)
    f[i] = wp.vec3(0.0, 0.0, 0.0)  # ready for the next substep's springs
    p = x[i] + vel * dt
    # the sphere: push out to its surface (plus the cloth's thickness), then friction
    d = p - center
    dist = wp.length(d)
    if dist < radius + thickness and dist > 1.0e-9:
        n = d / dist
        p = center + n * (radius + thickness)
        vel = friction(vel, n, mu)
    if p[1] < thickness:  # the ground
        p = wp.vec3(p[0], thickness, p[2])
        vel = friction(vel, wp.vec3(0.0, 1.0, 0.0), mu)
    x[i] = p
    v[i] = vel


@wp.kernel
def vertex_normals(points: wp.array(dtype=wp.vec3), indices: wp.array(dtype=wp.int32),
                   normals: wp.array(dtype=wp.vec3)):
    """Area-weighted face normals added into the vertices (normalised when shading)."""
    t = wp.tid()
    a = indices[3 * t]
    b = indices[3 * t + 1]
    c = indices[3 * t + 2]
    n = wp.cross(points[b] - points[a], points[c] - points[a])
    wp.atomic_add(normals, a, n)
    wp.atomic_add(normals, b, n)
    wp.atomic_add(normals, c, n)


@wp.func
def sphere_hit(ro: wp.vec3, rd: wp.vec3, center: wp.vec3, radius: float):
    """Distance along the unit ray to the sphere, or -1 when it misses."""
    oc = ro - center
    b = wp.dot(oc, rd)
    c = wp.dot(oc, oc) - radius * radius
    disc = b * b - c
    if disc < 0.0:
        return -1.0
    t = -b - wp.sqrt(disc)
    if t < 0.0:
        t = -b + wp.sqrt(disc)
    if t < 0.0:
        return -1.0
    return t


@wp.func
def lit(mesh: wp.uint64, p: wp.vec3, n: wp.vec3, light: wp.vec3, center: wp.vec3,
        radius: float):
    """Direct sunlight at ``p`` (normal ``n``): Lambert, shadowed by the cloth and sphere."""
    diffuse = wp.max(wp.dot(n, light), 0.0)
    if diffuse > 0.0:
        start = p + n * 2.0e-3
        if wp.mesh_query_ray(mesh, start, light, 20.0).result:
            diffuse = 0.0
        elif sphere_hit(start, light, center, radius) > 0.0:
            diffuse = 0.0
    return diffuse


@wp.func
def sphere_occlusion(p: wp.vec3, n: wp.vec3, center: wp.vec3, radius: float):
    """Ambient light the sphere hides from a point with normal ``n`` (a cosine-weighted
    estimate for a sphere seen from outside)."""
    d = center - p
    dist = wp.length(d)
    return 1.0 - wp.clamp(wp.dot(n, d / dist), 0.0, 1.0) * radius * radius / (dist * dist)


@wp.func
def shade(albedo: wp.vec3, diffuse: float, ambient: float, n: wp.vec3):
    sky = 0.55 + 0.45 * n[1]  # more ambient light from above than from the ground
    return wp.cw_mul(albedo, wp.vec3(1.0, 0.95, 0.86) * (1.5 * diffuse)
                     + wp.vec3(0.42, 0.48, 0.6) * (ambient * sky))


@wp.func
def cloth_color(mesh: wp.uint64, normals: wp.array(dtype=wp.vec3),
                uvs: wp.array(dtype=wp.vec2), face: int, u: float, v: float, rd: wp.vec3):
    """The fabric's normal (interpolated, facing the viewer) and its checkered albedo."""
    a = wp.mesh_get_index(mesh, 3 * face)
    b = wp.mesh_get_index(mesh, 3 * face + 1)
    c = wp.mesh_get_index(mesh, 3 * face + 2)
    w = 1.0 - u - v  # the weights of mesh_eval_position: a * u + b * v + c * w
    n = wp.normalize(normals[a] * u + normals[b] * v + normals[c] * w)
    if wp.dot(n, rd) > 0.0:
        n = -n  # two-sided: light the side the camera sees
    uv = uvs[a] * u + uvs[b] * v + uvs[c] * w
    check = (int(wp.floor(uv[0] * 10.0)) + int(wp.floor(uv[1] * 10.0))) & 1
    albedo = wp.vec3(0.62, 0.05, 0.07)
    if check == 1:
        albedo = wp.vec3(0.85, 0.78, 0.62)
    # a thin darker seam around the edge of the cloth
    edge = wp.min(wp.min(uv[0], 1.0 - uv[0]), wp.min(uv[1], 1.0 - uv[1]))
    if edge < 0.012:
        albedo = wp.vec3(0.12, 0.1, 0.12)
    return n, albedo


@wp.kernel
def render(mesh: wp.uint64, normals: wp.array(dtype=wp.vec3), uvs: wp.array(dtype=wp.vec2),
           center: wp.vec3, radius: float, eye: wp.vec3, target: wp.vec3, fov: float,
           pixels: wp.array2d(dtype=wp.vec3)):
    y, x = wp.tid()
    height = pixels.shape[0]
    width = pixels.shape[1]
    forward = wp.normalize(target - eye)
    right = wp.normalize(wp.cross(forward, wp.vec3(0.0, 1.0, 0.0)))
    up = wp.cross(right, forward)
    scale = wp.tan(0.5 * fov)
    u = (2.0 * (float(x) + 0.5) / float(width) - 1.0) * scale * float(width) / float(height)
    v = (1.0 - 2.0 * (float(y) + 0.5) / float(height)) * scale
    rd = wp.normalize(forward + right * u + up * v)
    light = wp.normalize(wp.vec3(-0.5, 1.0, 0.45))

    # the nearest of the ground (kind 3), the sphere (2) and the cloth (1), or the sky (0)
    kind = int(0)
    t = float(1.0e9)
    if rd[1] < 0.0:
        t = -eye[1] / rd[1]
        kind = 3
    t_ball = sphere_hit(eye, rd, center, radius)
    if t_ball > 0.0 and t_ball < t:
        t = t_ball
        kind = 2
    hit = wp.mesh_query_ray(mesh, eye, rd, t)
    if hit.result:
        t = hit.t
        kind = 1
    p = eye + rd * t
    sky = wp.vec3(0.1, 0.12, 0.17) * (1.0 - v) + wp.vec3(0.36, 0.43, 0.55) * v
    color = sky
    n = wp.vec3(0.0, 1.0, 0.0)
    check = float((int(wp.floor(p[0] * 2.0)) + int(wp.floor(p[2] * 2.0))) & 1)
    albedo = wp.vec3(0.36, 0.37, 0.38) + wp.vec3(0.06, 0.06, 0.06) * check
    if kind == 1:
        n, albedo = cloth_color(mesh, normals, uvs, hit.face, hit.u, hit.v, rd)
    elif kind == 2:
        n = (p - center) / radius
        albedo = wp.vec3(0.25, 0.4, 0.62)
    if kind > 0:
        diffuse = lit(mesh, p, n, light, center, radius)
        ambient = float(1.0)
        if kind != 2:
            ambient = sphere_occlusion(p, n, center, radius)
        color = shade(albedo, diffuse, ambient, n)
        if kind == 2:  # a glossy ball
            half = wp.normalize(light - rd)
            gloss = wp.pow(wp.max(wp.dot(n, half), 0.0), 50.0)
            color = color + wp.vec3(1.0, 1.0, 1.0) * (0.5 * wp.sign(diffuse) * gloss)
        if kind == 3:  # the ground fades into the sky with distance
            fade = wp.exp(-0.012 * t * t)
            color = color * fade + sky * (1.0 - fade)
    vignette = 1.0 - 0.18 * (u * u + v * v)
    pixels[y, x] = color * vignette


def make_cloth(n: int):
    """Particle positions, triangles, uv coordinates and the springs of an n x n sheet."""
    h = SIZE / (n - 1)
    ij = np.stack(np.meshgrid(np.arange(n), np.arange(n), indexing="ij"), -1).reshape(-1, 2)
    flat = (ij - (n - 1) / 2.0) * h
    turn = math.radians(25.0)  # rotated about the vertical so the folds are not axis-aligned
    c, s = math.cos(turn), math.sin(turn)
    pos = np.stack([c * flat[:, 0] - s * flat[:, 1], np.full(n * n, DROP),
                    s * flat[:, 0] + c * flat[:, 1]], -1)
    idx = np.arange(n * n).reshape(n, n)
    a, b, c_, d = idx[:-1, :-1], idx[1:, :-1], idx[:-1, 1:], idx[1:, 1:]
    tris = np.concatenate([np.stack([a, b, d], -1).reshape(-1, 3),
                           np.stack([a, d, c_], -1).reshape(-1, 3)])
    # (pairs, stiffness relative to the structural springs)
    kinds = [(np.stack([idx[:-1, :], idx[1:, :]], -1), 1.0),
             (np.stack([idx[:, :-1], idx[:, 1:]], -1), 1.0),
             (np.stack([a, d], -1), 0.4), (np.stack([b, c_], -1), 0.4),
             (np.stack([idx[:-2, :], idx[2:, :]], -1), 0.05),
             (np.stack([idx[:, :-2], idx[:, 2:]], -1), 0.05)]
    springs = np.concatenate([k.reshape(-1, 2) for k, _ in kinds])
    relative = np.concatenate([np.full(k.size // 2, r) for k, r in kinds])
    rest = np.linalg.norm(pos[springs[:, 1]] - pos[springs[:, 0]], axis=1)
    uv = ij / (n - 1.0)
    return pos, tris, uv, springs, rest, relative, h


def strain(x: np.ndarray, springs: np.ndarray, rest: np.ndarray) -> float:
    """The largest stretch of any spring, relative to its rest length."""
    length = np.linalg.norm(x[springs[:, 1]] - x[springs[:, 0]], axis=1)
    return float(np.max(length / rest - 1.0))


def draw(mesh, normals, uvs, pixels, device) -> np.ndarray:
    """Refit the cloth's mesh to the particles, smooth its normals and ray-cast a frame."""
    mesh.refit()
    normals.zero_()
    wp.launch(vertex_normals, len(mesh.indices) // 3, inputs=[mesh.points, mesh.indices,
                                                              normals], device=device)
    eye, target = wp.vec3(1.8, 1.95, 2.6), wp.vec3(0.0, 0.4, 0.0)
    wp.launch(render, pixels.shape, inputs=[mesh.id, normals, uvs, wp.vec3(*CENTER), RADIUS,
                                            eye, target, math.radians(40.0), pixels],
              device=device)
    rgb = np.clip(pixels.numpy(), 0.0, 1.0) ** (1.0 / 2.2)
    return (rgb * 255.0 + 0.5).astype(np.uint8)


def run(device="cpu", n=48, frames=4, steps_per_frame=None, width=320, height=260,
        out=None, frame_time=0.5) -> dict:
    pos, tris, uv, springs, rest, relative, h = make_cloth(n)
    # Stiffness per unit mass ~ 1 / h^2, so that the draped cloth stretches about as much
    # at every resolution; the springs' wave speed is then sqrt(STIFFNESS) and the time
    # step a fraction of the time a wave takes to cross one spacing (CFL).
    k = STIFFNESS / (h * h)
    auto = int(math.ceil(frame_time / (0.45 * h / math.sqrt(STIFFNESS))))
    steps_per_frame = steps_per_frame or auto
    dt = frame_time / steps_per_frame
    x = wp.array(pos.astype(np.float32), dtype=wp.vec3, device=device)
    v = wp.zeros(n * n, dtype=wp.vec3, device=device)
    f = wp.zeros(n * n, dtype=wp.vec3, device=device)
    spring_ids = wp.array(springs.astype(np.int32), dtype=wp.int32, device=device)
    rest_wp = wp.array(rest.astype(np.float32), dtype=float, device=device)
    stiff = wp.array((k * relative).astype(np.float32), dtype=float, device=device)
    peak = wp.zeros(len(springs), dtype=float, device=device)
    indices = wp.array(tris.reshape(-1).astype(np.int32), dtype=wp.int32, device=device)
    mesh = wp.Mesh(points=x, indices=indices)  # on the particles: refitted for each frame
    uvs = wp.array(uv.astype(np.float32), dtype=wp.vec2, device=device)
    normals = wp.zeros(n * n, dtype=wp.vec3, device=device)
    pixels = wp.empty((height, width), dtype=wp.vec3, device=device)
    timings = Timings(device)
    images, strains = [], []
    t0 = time.perf_counter()
    for step in steps(frames * steps_per_frame, "cloth"):
        with timings("simulate"):
            wp.launch(spring_forces, len(springs), inputs=[x, v, spring_ids, rest_wp, stiff,
                                                           DAMPING, f, peak], device=device)
            wp.launch(integrate, n * n, inputs=[x, v, f, dt, DRAG, wp.vec3(*CENTER), RADIUS,
                                                THICKNESS, FRICTION], device=device)
        if (step + 1) % steps_per_frame == 0:
            with timings("render"):
                images.append(draw(mesh, normals, uvs, pixels, device))
            now = x.numpy()
            if not np.all(np.isfinite(now)):
                raise FloatingPointError(
                    f"the cloth blew up by frame {len(images)}: a step of {dt:.2e} s is too "
                    f"long for these springs; use more steps per frame (default {auto})")
            strains.append(strain(now, springs, rest))
    seconds = time.perf_counter() - t0
    sheet = np.concatenate(images, axis=1)
    if out is not None:
        write_png(out, sheet)
    final = x.numpy()
    gap = np.linalg.norm(final - np.array(CENTER), axis=1) - RADIUS
    return {"seconds": seconds, "positions": final, "start": pos, "velocities": v.numpy(),
            "image": sheet, "steps": frames * steps_per_frame, "dt": dt,
            "springs": len(springs), "max_strain": float(peak.numpy().max()),
            "frame_strains": strains, "min_gap": float(gap.min()), "timings": timings}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--n", type=int, default=48, help="particles along each side")
    parser.add_argument("--frames", type=int, default=4)
    parser.add_argument("--steps-per-frame", type=int, default=None,
                        help="substeps per frame (default: from the springs' stiffness)")
    parser.add_argument("--width", type=int, default=320)
    parser.add_argument("--height", type=int, default=260)
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "output",
                                                      "cloth.png"))
    args = parser.parse_args(argv)
    r = run(args.device, args.n, args.frames, args.steps_per_frame, args.width, args.height,
            out=args.out)
    print(f"{args.n}x{args.n} cloth ({r['springs']} springs), {r['steps']} substeps of "
          f"{1e3 * r['dt']:.2f} ms and {args.frames} frames of {args.width}x{args.height} on "
          f"{args.device} in {r['seconds']:.1f} s (including compilation)")
    speed = np.linalg.norm(r["velocities"], axis=1).max()
    print(f"largest spring stretch {100 * r['max_strain']:.1f} % (at the end "
          f"{100 * r['frame_strains'][-1]:.1f} %), closest particle {1e3 * r['min_gap']:.1f} mm "
          f"from the sphere's surface, fastest {speed:.2f} m/s at the end")
    print(f"wrote {args.out}")
    r["timings"].summary()
    return r


if __name__ == "__main__":
    main()
