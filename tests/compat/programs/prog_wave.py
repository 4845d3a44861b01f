"""Ripple tank: the 2-D wave equation on a grid, driven by a paddle on a Lissajous path.

A Warp program (written for this suite, in Warp's public API): heights live in a
``wp.array2d[float]``, a ``@wp.func`` reads them with reflecting (clamped) edges, a
leapfrog step integrates ``h_tt = c^2 lap(h) - k h_t``, and a paddle pins the heights under
it to an oscillation. Buffers are swapped in Python, as solvers do. A last kernel turns the
heights into ``wp.vec3`` vertices. ``run`` returns the final state.
"""

import math

import numpy as np
import warp as wp


@wp.func
def height(h: wp.array2d[float], i: int, j: int):
    ny = h.shape[0]
    nx = h.shape[1]
    return h[wp.clamp(i, 0, ny - 1), wp.clamp(j, 0, nx - 1)]


@wp.func
def laplace5(h: wp.array2d[float], i: int, j: int, inv_dx2: float):
    around = height(h, i - 1, j) + height(h, i + 1, j) + height(h, i, j - 1) + height(h, i, j + 1)
    return (around - 4.0 * h[i, j]) * inv_dx2


@wp.kernel
def paddle(h_now: wp.array2d[float], h_old: wp.array2d[float], center: wp.vec2, radius: float,
           value: float):
    i, j = wp.tid()
    d = wp.vec2(float(j), float(i)) - center
    if wp.length_sq(d) < radius * radius:
        h_now[i, j] = value
        h_old[i, j] = value


@wp.kernel
def leapfrog(h_now: wp.array2d[float], h_old: wp.array2d[float], inv_dx2: float,
             c2: float, damping: float, dt: float):
    i, j = wp.tid()
    h = h_now[i, j]
    v = h - h_old[i, j]
    acc = c2 * laplace5(h_now, i, j, inv_dx2) - damping * v / dt
    # h_old is the buffer of the next step: the caller swaps the two
    h_old[i, j] = h + v + dt * dt * acc


@wp.kernel
def to_vertices(h: wp.array2d[float], spacing: float, lift: float,
                verts: wp.array[wp.vec3]):
    i, j = wp.tid()
    nx = h.shape[1]
    verts[i * nx + j] = wp.vec3(float(j) * spacing, lift * h[i, j], float(i) * spacing)


class RippleTank:
    def __init__(self, n=64, substeps=8, spacing=0.1, speed=1.0, damping=0.05):
        self.n = n
        self.substeps = substeps
        self.dt = 1.0 / 60.0 / substeps
        self.spacing = spacing
        self.c2 = speed * speed
        self.damping = damping
        self.time = 0.0
        self.h_now = wp.zeros((n, n), dtype=float)
        self.h_old = wp.zeros((n, n), dtype=float)
        self.verts = wp.empty(n * n, dtype=wp.vec3)

    def paddle_center(self):
        half = 0.5 * self.n
        return wp.vec2(half + 0.3 * self.n * math.sin(1.3 * self.time),
                       half + 0.25 * self.n * math.cos(0.9 * self.time))

    def step(self):
        shape = (self.n, self.n)
        with wp.ScopedTimer("ripple step", print=False):
            for _ in range(self.substeps):
                wp.launch(paddle, dim=shape,
                          inputs=[self.h_now, self.h_old, self.paddle_center(), 3.0,
                                  0.4 * math.sin(30.0 * self.time)])
                wp.launch(leapfrog, dim=shape,
                          inputs=[self.h_now, self.h_old, 1.0 / self.spacing ** 2, self.c2,
                                  self.damping, self.dt])
                self.h_now, self.h_old = self.h_old, self.h_now
                self.time += self.dt
        wp.launch(to_vertices, dim=shape,
                  inputs=[self.h_now, self.spacing, 2.0], outputs=[self.verts])


def run(device, frames=6, n=64):
    with wp.ScopedDevice(device):
        tank = RippleTank(n=n)
        for _ in range(frames):
            tank.step()
        verts = tank.verts.numpy()
        return {"height": tank.h_now.numpy(), "previous": tank.h_old.numpy(),
                "vertex_y": verts[:, 1].reshape(n, n),
                "vertex_xz_sum": np.array(verts[:, [0, 2]].sum(axis=0), dtype=np.float64)}
