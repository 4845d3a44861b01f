"""A gyroid-carved shape: an animated signed distance field, meshed by marching cubes and
ray-traced through a BVH, with shadows, ambient occlusion and a ground plane.

Each frame is four kernels: the SDF sampled on a grid (a ``@wp.func`` reused by the
renderer for normals and occlusion), ``wp.geometry.IsoSurfaceMarchingCubes`` to a
triangle mesh, ``wp.Mesh`` (a BVH), and one renderer thread per pixel tracing a camera
ray and a shadow ray with ``wp.mesh_query_ray``. Run ``python
examples/example_sdf_render.py`` (CPU, all cores, about half a minute with compilation)
or add ``--device cuda`` and larger ``--res``/``--width`` on a GPU. Writes
``examples/output/sdf_render.png`` (the frames side by side) and the last frame's mesh
as ``examples/output/sdf_render.obj``.
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

GROUND = -1.15  # height of the ground plane


@wp.func
def smooth_union(a: float, b: float, k: float):
    h = wp.clamp(0.5 + 0.5 * (b - a) / k, 0.0, 1.0)
    return b * (1.0 - h) + a * h - k * h * (1.0 - h)


@wp.func
def scene_sdf(p: wp.vec3, t: float):
    """A sphere bobbing through a twisting torus, hollowed into a gyroid lattice."""
    angle = 2.0 * wp.pi * t
    c = wp.cos(angle + p[1] * 1.5)
    s = wp.sin(angle + p[1] * 1.5)
    q = wp.vec3(c * p[0] - s * p[2], p[1], s * p[0] + c * p[2])
    ring = wp.vec2(wp.length(wp.vec2(q[0], q[2])) - 0.75, q[1] * 1.3)
    torus = wp.length(ring) - 0.3
    ball = wp.length(p - wp.vec3(0.0, 0.3 * wp.sin(angle), 0.0)) - 0.62
    body = smooth_union(torus, ball, 0.3)
    f = 9.0
    g = (wp.sin(f * p[0]) * wp.cos(f * p[1]) + wp.sin(f * p[1]) * wp.cos(f * p[2])
         + wp.sin(f * p[2]) * wp.cos(f * p[0]))
    shell = wp.abs(g) / f - 0.028
    return wp.max(body, shell)


@wp.kernel
def sample_sdf(field: wp.array3d(dtype=float), lower: wp.vec3, step: float, t: float):
    i, j, k = wp.tid()
    p = lower + wp.vec3(float(i), float(j), float(k)) * step
    field[i, j, k] = scene_sdf(p, t)


@wp.func
def sdf_normal(p: wp.vec3, t: float):
    e = 1.0e-3
    dx = scene_sdf(p + wp.vec3(e, 0.0, 0.0), t) - scene_sdf(p - wp.vec3(e, 0.0, 0.0), t)
    dy = scene_sdf(p + wp.vec3(0.0, e, 0.0), t) - scene_sdf(p - wp.vec3(0.0, e, 0.0), t)
    dz = scene_sdf(p + wp.vec3(0.0, 0.0, e), t) - scene_sdf(p - wp.vec3(0.0, 0.0, e), t)
    return wp.normalize(wp.vec3(dx, dy, dz))


@wp.func
def occlusion(p: wp.vec3, n: wp.vec3, t: float):
    """Ambient occlusion read off the distance field along the normal."""
    occ = float(0.0)
    w = float(1.0)
    for k in range(1, 6):
        h = 0.045 * float(k)
        occ += w * (h - scene_sdf(p + n * h, t))
        w *= 0.6
    return wp.clamp(1.0 - 2.5 * occ, 0.0, 1.0)


@wp.func
def lit(mesh: wp.uint64, p: wp.vec3, n: wp.vec3, rd: wp.vec3, light: wp.vec3):
    """Sun light with a traced shadow, a cool fill from below and a rim."""
    diffuse = wp.max(wp.dot(n, light), 0.0)
    if diffuse > 0.0:
        shadow = wp.mesh_query_ray(mesh, p + n * 2.0e-3, light, 20.0)
        if shadow.result:
            diffuse = 0.0
    half = wp.normalize(light - rd)
    spec = wp.pow(wp.max(wp.dot(n, half), 0.0), 60.0) * wp.sign(diffuse)
    fill = 0.5 + 0.5 * wp.dot(n, wp.vec3(0.3, -0.6, -0.5))
    rim = wp.pow(1.0 - wp.abs(wp.dot(n, rd)), 4.0)
    return diffuse, spec, fill, rim


@wp.kernel
def render(mesh: wp.uint64, t: float, eye: wp.vec3, target: wp.vec3, fov: float,
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
    light = wp.normalize(wp.vec3(-0.55, 0.9, 0.35))

    sky = wp.vec3(0.03, 0.035, 0.05) * (1.0 - v) + wp.vec3(0.22, 0.27, 0.36) * v
    color = sky
    t_plane = float(1.0e9)
    if rd[1] < 0.0:
        t_plane = (GROUND - eye[1]) / rd[1]
    hit = wp.mesh_query_ray(mesh, eye, rd, 100.0)
    if hit.result and hit.t < t_plane:
        p = eye + rd * hit.t
        n = sdf_normal(p, t)
        if wp.dot(n, rd) > 0.0:
            n = -n
        ao = occlusion(p, n, t)
        diffuse, spec, fill, rim = lit(mesh, p, n, rd, light)
        height01 = wp.clamp(0.5 + 0.45 * p[1], 0.0, 1.0)
        base = wp.vec3(0.85, 0.22, 0.08) * (1.0 - height01) + wp.vec3(1.0, 0.62, 0.12) * height01
        color = wp.cw_mul(base, wp.vec3(1.0, 0.95, 0.85) * (2.2 * diffuse)
                          + wp.vec3(0.2, 0.3, 0.55) * (0.45 * fill * ao))
        color = color + wp.vec3(1.0, 0.92, 0.8) * (1.2 * spec)
        color = color + wp.vec3(0.3, 0.5, 0.95) * (0.6 * rim * ao)
    elif t_plane < 1.0e8:
        p = eye + rd * t_plane
        checker = float((int(wp.floor(p[0] * 2.0)) + int(wp.floor(p[2] * 2.0))) & 1)
        albedo = 0.16 + 0.06 * checker
        shade = float(1.0)
        blocked = wp.mesh_query_ray(mesh, p + wp.vec3(0.0, 1.0e-3, 0.0), light, 20.0)
        if blocked.result:
            shade = 0.2
        fade = wp.exp(-0.02 * t_plane * t_plane)
        ground = wp.vec3(albedo, albedo * 1.02, albedo * 1.08) * (0.3 + 1.4 * shade * light[1])
        color = ground * fade + sky * (1.0 - fade)
    # a soft tone map (Reinhard, exposure 1.4) and a vignette
    color = color * 1.4
    color = wp.vec3(color[0] / (1.0 + color[0]), color[1] / (1.0 + color[1]),
                    color[2] / (1.0 + color[2])) * 1.25
    vignette = 1.0 - 0.25 * (u * u + v * v)
    pixels[y, x] = color * vignette


def write_obj(path: str, verts: np.ndarray, faces: np.ndarray) -> None:
    with open(path, "w") as f:
        f.write("# marching cubes of the gyroid-carved shape (numba_warp example_sdf_render)\n")
        np.savetxt(f, verts, fmt="v %.5f %.5f %.5f")
        np.savetxt(f, faces.reshape(-1, 3) + 1, fmt="f %d %d %d")


def run(device: str, res: int, width: int, height: int, frames: int, out: str) -> dict:
    lower, upper = np.array([-1.25, -1.25, -1.25]), np.array([1.25, 1.25, 1.25])
    step = float((upper - lower)[0] / (res - 1))
    field = wp.empty((res, res, res), dtype=float, device=device)
    pixels = wp.empty((height, width), dtype=wp.vec3, device=device)
    images, stats = [], {"triangles": []}
    timings = Timings(device)
    t0 = time.perf_counter()
    for frame in steps(frames, "frames"):
        t = frame / max(frames, 1)
        with timings("sample SDF"):
            wp.launch(sample_sdf, field.shape, inputs=[field, wp.vec3(*lower), step, t],
                      device=device)
        with timings("marching cubes"):
            verts, indices = wp.geometry.IsoSurfaceMarchingCubes.extract(
                field, 0.0, lower=wp.vec3(*lower), upper=wp.vec3(*upper))
        with timings("build BVH"):
            mesh = wp.Mesh(points=verts, indices=indices)
        orbit = 0.6 + 2.0 * math.pi * t / 3.0
        eye = wp.vec3(3.4 * math.sin(orbit), 1.35, 3.4 * math.cos(orbit))
        with timings("ray trace"):
            wp.launch(render, pixels.shape, inputs=[mesh.id, t, eye, wp.vec3(0.0, -0.1, 0.0),
                                                    math.radians(38.0), pixels], device=device)
        rgb = np.clip(pixels.numpy(), 0.0, 1.0) ** (1.0 / 2.2)
        images.append((rgb * 255.0 + 0.5).astype(np.uint8))
        stats["triangles"].append(indices.shape[0] // 3)
    stats["timings"] = timings
    stats["seconds"] = time.perf_counter() - t0
    cols = 2 if frames > 1 else 1
    rows = (frames + cols - 1) // cols
    sheet = np.full((rows * height, cols * width, 3), 255, np.uint8)
    for k, img in enumerate(images):
        r, c = divmod(k, cols)
        sheet[r * height:(r + 1) * height, c * width:(c + 1) * width] = img
    png = os.path.join(out, "sdf_render.png")
    obj = os.path.join(out, "sdf_render.obj")
    write_png(png, sheet)
    write_obj(obj, verts.numpy(), indices.numpy())
    stats.update(png=png, obj=obj, image=sheet)
    return stats


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--res", type=int, default=128, help="grid nodes per axis")
    parser.add_argument("--width", type=int, default=480)
    parser.add_argument("--height", type=int, default=300)
    parser.add_argument("--frames", type=int, default=4)
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "output"))
    args = parser.parse_args(argv)
    stats = run(args.device, args.res, args.width, args.height, args.frames, args.out)
    print(f"{args.frames} frames of {args.width}x{args.height} from a {args.res}^3 field "
          f"({min(stats['triangles'])}-{max(stats['triangles'])} triangles) on "
          f"{args.device} in {stats['seconds']:.1f} s (including compilation)")
    print("time per phase (the first frame's include compilation):")
    stats["timings"].summary()
    print(f"wrote {stats['png']} and {stats['obj']}")
    return stats


if __name__ == "__main__":
    main()
