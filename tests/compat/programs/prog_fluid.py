"""Smoke plume: a small stable-fluids solver (Stam) on a collocated 2-D grid.

A Warp program (written for this suite, in Warp's public API). Each step: a swirling
emitter injects smoke and velocity, buoyancy lifts the smoke, the divergence of the
velocity is computed, a Jacobi pressure solve (captured once as a graph with
``wp.ScopedCapture`` and replayed with ``wp.capture_launch``) removes it, and a
semi-Lagrangian step advects velocity and smoke with bilinear interpolation.
``run`` returns the final fields.
"""

import math

import warp as wp


@wp.func
def at_clamped(f: wp.array2d[float], x: int, y: int):
    return f[wp.clamp(x, 0, f.shape[0] - 1), wp.clamp(y, 0, f.shape[1] - 1)]


@wp.func
def vel_or_zero(u: wp.array2d[wp.vec2], x: int, y: int):
    # no-slip walls: outside the grid the velocity is zero
    if x < 0 or y < 0 or x >= u.shape[0] or y >= u.shape[1]:
        return wp.vec2(0.0, 0.0)
    return u[x, y]


@wp.func
def bilerp_scalar(f: wp.array2d[float], p: wp.vec2):
    x0 = int(wp.floor(p[0]))
    y0 = int(wp.floor(p[1]))
    fx = p[0] - float(x0)
    fy = p[1] - float(y0)
    bottom = wp.lerp(at_clamped(f, x0, y0), at_clamped(f, x0 + 1, y0), fx)
    top = wp.lerp(at_clamped(f, x0, y0 + 1), at_clamped(f, x0 + 1, y0 + 1), fx)
    return wp.lerp(bottom, top, fy)


@wp.func
def bilerp_velocity(u: wp.array2d[wp.vec2], p: wp.vec2):
    x0 = int(wp.floor(p[0]))
    y0 = int(wp.floor(p[1]))
    fx = p[0] - float(x0)
    fy = p[1] - float(y0)
    bottom = wp.lerp(vel_or_zero(u, x0, y0), vel_or_zero(u, x0 + 1, y0), fx)
    top = wp.lerp(vel_or_zero(u, x0, y0 + 1), vel_or_zero(u, x0 + 1, y0 + 1), fx)
    return wp.lerp(bottom, top, fy)


@wp.kernel
def emit(smoke: wp.array2d[float], u: wp.array2d[wp.vec2], center: wp.vec2, radius: float,
         push: wp.vec2):
    x, y = wp.tid()
    if wp.length(wp.vec2(float(x), float(y)) - center) <= radius:
        smoke[x, y] = 1.0
        u[x, y] = push


@wp.kernel
def buoyancy(u: wp.array2d[wp.vec2], smoke: wp.array2d[float], lift: float, fade: float,
             dt: float):
    x, y = wp.tid()
    s = smoke[x, y]
    u[x, y] = u[x, y] + wp.vec2(0.0, lift * s * dt)
    smoke[x, y] = s * (1.0 - fade * dt)


@wp.kernel
def divergence(u: wp.array2d[wp.vec2], div: wp.array2d[float]):
    x, y = wp.tid()
    dudx = vel_or_zero(u, x + 1, y)[0] - vel_or_zero(u, x - 1, y)[0]
    dvdy = vel_or_zero(u, x, y + 1)[1] - vel_or_zero(u, x, y - 1)[1]
    div[x, y] = 0.5 * (dudx + dvdy)


@wp.kernel
def jacobi(p_in: wp.array2d[float], p_out: wp.array2d[float], div: wp.array2d[float]):
    x, y = wp.tid()
    around = at_clamped(p_in, x - 1, y) + at_clamped(p_in, x + 1, y) \
        + at_clamped(p_in, x, y - 1) + at_clamped(p_in, x, y + 1)
    p_out[x, y] = 0.25 * (around - div[x, y])


@wp.kernel
def project(u: wp.array2d[wp.vec2], p: wp.array2d[float]):
    x, y = wp.tid()
    grad = wp.vec2(at_clamped(p, x + 1, y) - at_clamped(p, x - 1, y),
                   at_clamped(p, x, y + 1) - at_clamped(p, x, y - 1))
    u[x, y] = u[x, y] - 0.5 * grad


@wp.kernel
def advect(u_in: wp.array2d[wp.vec2], u_out: wp.array2d[wp.vec2],
           s_in: wp.array2d[float], s_out: wp.array2d[float], dt: float):
    x, y = wp.tid()
    back = wp.vec2(float(x), float(y)) - dt * u_in[x, y]
    u_out[x, y] = bilerp_velocity(u_in, back)
    s_out[x, y] = bilerp_scalar(s_in, back)


class SmokePlume:
    def __init__(self, nx=64, ny=48, jacobi_iterations=40):
        self.shape = (nx, ny)
        self.time = 0.0
        self.dt = 1.0 / 120.0
        self.u = wp.zeros(self.shape, dtype=wp.vec2)
        self.u_next = wp.zeros(self.shape, dtype=wp.vec2)
        self.smoke = wp.zeros(self.shape, dtype=float)
        self.smoke_next = wp.zeros(self.shape, dtype=float)
        self.p = wp.zeros(self.shape, dtype=float)
        self.p_next = wp.zeros(self.shape, dtype=float)
        self.div = wp.zeros(self.shape, dtype=float)
        self.iterations = jacobi_iterations  # even: p and p_next end where they began
        with wp.ScopedCapture() as capture:
            self.pressure_solve()
        self.pressure_graph = capture.graph

    def pressure_solve(self):
        for _ in range(self.iterations):
            wp.launch(jacobi, dim=self.shape, inputs=[self.p, self.p_next, self.div])
            self.p, self.p_next = self.p_next, self.p

    def step(self):
        nx, ny = self.shape
        angle = 0.5 * math.pi + 0.8 * math.sin(3.0 * self.time)
        push = wp.vec2(60.0 * math.cos(angle), 60.0 * math.sin(angle))
        wp.launch(emit, dim=self.shape,
                  inputs=[self.smoke, self.u, wp.vec2(0.5 * nx, 0.15 * ny), 4.0, push])
        wp.launch(buoyancy, dim=self.shape, inputs=[self.u, self.smoke, 40.0, 0.2, self.dt])
        wp.launch(divergence, dim=self.shape, inputs=[self.u, self.div])
        self.p.zero_()
        self.p_next.zero_()
        wp.capture_launch(self.pressure_graph)
        wp.launch(project, dim=self.shape, inputs=[self.u, self.p])
        wp.launch(advect, dim=self.shape,
                  inputs=[self.u, self.u_next, self.smoke, self.smoke_next, self.dt])
        self.u, self.u_next = self.u_next, self.u
        self.smoke, self.smoke_next = self.smoke_next, self.smoke
        self.time += self.dt


def run(device, steps=4, nx=64, ny=48):
    with wp.ScopedDevice(device):
        plume = SmokePlume(nx, ny)
        for _ in range(steps):
            plume.step()
        return {"smoke": plume.smoke.numpy(), "velocity": plume.u.numpy(),
                "pressure": plume.p.numpy(), "divergence": plume.div.numpy()}
