"""Sphere tracing: a signed-distance scene rendered by a ray-marching kernel.

A Warp program (written for this suite, in Warp's public API). The scene is a rounded
box smoothly merged with a torus, a sphere carved out of it, on a ground plane. Each
thread of a 2-D launch marches one camera ray (fixed iteration count), takes the normal
from four SDF samples (tetrahedral differences), and shades with a Lambert term, a
Blinn highlight and a soft shadow marched toward the light. The camera is rotated with
quaternions. ``run`` returns the image.
"""

import numpy as np
import warp as wp


@wp.func
def sd_round_box(p: wp.vec3, half: wp.vec3, rounding: float):
    q = wp.vec3(wp.abs(p[0]), wp.abs(p[1]), wp.abs(p[2])) - half
    outside = wp.vec3(wp.max(q[0], 0.0), wp.max(q[1], 0.0), wp.max(q[2], 0.0))
    inside = wp.min(wp.max(q[0], wp.max(q[1], q[2])), 0.0)
    return wp.length(outside) + inside - rounding


@wp.func
def sd_torus(p: wp.vec3, major: float, minor: float):
    ring = wp.length(wp.vec2(p[0], p[2])) - major
    return wp.length(wp.vec2(ring, p[1])) - minor


@wp.func
def smooth_union(a: float, b: float, k: float):
    h = wp.clamp(0.5 + 0.5 * (b - a) / k, 0.0, 1.0)
    return wp.lerp(b, a, h) - k * h * (1.0 - h)


@wp.func
def scene(p: wp.vec3):
    body = sd_round_box(p - wp.vec3(0.0, 0.6, 0.0), wp.vec3(0.6, 0.35, 0.45), 0.08)
    ring = sd_torus(p - wp.vec3(0.0, 0.95, 0.0), 0.55, 0.12)
    d = smooth_union(body, ring, 0.2)
    hole = wp.length(p - wp.vec3(0.35, 0.9, 0.35)) - 0.3
    d = wp.max(d, -hole)
    return wp.min(d, p[1])  # ground plane y = 0


@wp.func
def surface_normal(p: wp.vec3):
    e = 2.0e-3
    a = wp.vec3(1.0, -1.0, -1.0)
    b = wp.vec3(-1.0, -1.0, 1.0)
    c = wp.vec3(-1.0, 1.0, -1.0)
    d = wp.vec3(1.0, 1.0, 1.0)
    n = a * scene(p + e * a) + b * scene(p + e * b) + c * scene(p + e * c) + d * scene(p + e * d)
    return wp.normalize(n)


@wp.func
def soft_shadow(origin: wp.vec3, to_light: wp.vec3, sharpness: float):
    light = float(1.0)
    t = float(0.02)
    for _ in range(48):
        d = scene(origin + t * to_light)
        light = wp.min(light, sharpness * d / t)
        t = t + wp.clamp(d, 0.01, 0.25)
    return wp.clamp(light, 0.0, 1.0)


@wp.kernel
def render(eye: wp.vec3, orientation: wp.quat, sun: wp.vec3,
           image: wp.array2d[wp.vec3]):
    row, col = wp.tid()
    height = image.shape[0]
    width = image.shape[1]
    u = (2.0 * (float(col) + 0.5) - float(width)) / float(height)
    v = (2.0 * (float(row) + 0.5) - float(height)) / float(height)
    tilt = wp.quat_from_axis_angle(wp.vec3(1.0, 0.0, 0.0), -0.35)
    ray = wp.quat_rotate(orientation * tilt, wp.normalize(wp.vec3(u, v, -1.8)))

    t = float(0.0)
    d = float(1.0)
    for _ in range(96):
        d = scene(eye + t * ray)
        t = t + d
    sky = wp.vec3(0.55, 0.65, 0.8) + (0.25 * v) * wp.vec3(1.0, 1.0, 1.0)
    color = sky
    if d < 1.0e-3 and t < 20.0:
        p = eye + t * ray
        n = surface_normal(p)
        diffuse = wp.max(wp.dot(n, sun), 0.0)
        half_vec = wp.normalize(sun - ray)
        highlight = wp.pow(wp.max(wp.dot(n, half_vec), 0.0), 32.0)
        shade = soft_shadow(p + 1.0e-3 * n, sun, 8.0)
        albedo = wp.vec3(0.9, 0.55, 0.3)
        if p[1] < 1.0e-2:
            albedo = wp.vec3(0.6, 0.6, 0.6)
        color = albedo * (0.15 + 0.85 * diffuse * shade) + (0.6 * highlight * shade) * sky
    image[row, col] = wp.vec3(wp.sqrt(wp.clamp(color[0], 0.0, 1.0)),
                              wp.sqrt(wp.clamp(color[1], 0.0, 1.0)),
                              wp.sqrt(wp.clamp(color[2], 0.0, 1.0)))


def camera():
    # roll, pitch, yaw at Python scope; the kernel composes it with a tilt about x
    return wp.vec3(-1.6, 1.5, 2.4), wp.quat_rpy(0.0, -0.6, 0.0)


def run(device, height=40, width=64):
    with wp.ScopedDevice(device):
        eye, orientation = camera()
        sun = wp.normalize(wp.vec3(0.5, 0.8, 0.3))
        image = wp.zeros((height, width), dtype=wp.vec3)
        wp.launch(render, dim=image.shape, inputs=[eye, orientation, sun], outputs=[image])
        return {"image": image.numpy().astype(np.float32)}
