"""Stable fluids (Jos Stam): swirling smoke from wobbling jets, one step captured as a graph.

A 2-D smoke solver on an N x N staggered (MAC) grid: velocity components live on the cell
faces, dye and pressure at the cell centres. Each step: vorticity (curl) at the centres;
semi-Lagrangian advection of the velocity (midpoint back-trace, clamped bilinear
sampling) plus vorticity confinement, buoyancy of the dye and three inflow jets whose
direction wobbles and whose strength pulses over time; the divergence; the pressure by
Jacobi iterations (ping-pong buffers, warm-started from the previous step); the projection
(subtracting the pressure gradient); advection of the dye, its slow decay and the jets'
new dye; and a tick of the step counter.

The whole step (7 + jacobi kernel launches) is recorded once with ``wp.ScopedCapture`` and
replayed with ``wp.capture_launch`` every step: a real CUDA graph on a GPU, a recorded
list of launches on the CPU. Scalars passed to a captured launch are frozen at capture
time, so what changes over time (the jets) is computed inside the kernels from a step
counter in a device array, which the graph itself increments. ``--no-capture`` runs the
same launches one by one (the results are identical).

Run ``python examples/example_stable_fluids.py`` (CPU, all cores, 128 x 128, 300 steps) or
``--device cuda --size 512 --jacobi 200`` on a GPU (velocities are in cells per step
and scale with the grid, so 300 steps show the same flow at any size). Writes
``examples/output/stable_fluids.png`` (the dye at four times, side by side) and prints
timings.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import numba_warp as wp  # noqa: E402
from _image import write_png  # noqa: E402
from _progress import Timings  # noqa: E402
from _progress import steps as progress_bar  # noqa: E402

# The jets: (x, y) of the nozzle as fractions of the box, direction (radians), phase.
JETS = np.array([[0.25, 0.06, 1.25, 0.0],
                 [0.75, 0.06, 1.90, 2.1],
                 [0.06, 0.55, 0.15, 4.2]], dtype=np.float32)


# -- sampling --------------------------------------------------------------------------
@wp.func
def bilinear(f: wp.array2d(dtype=float), x: float, y: float):
    """``f`` at the fractional index (x, y), clamped to the samples (no overshoot)."""
    nx = f.shape[0]
    ny = f.shape[1]
    cx = wp.clamp(x, 0.0, float(nx - 1))
    cy = wp.clamp(y, 0.0, float(ny - 1))
    i = wp.min(int(cx), nx - 2)
    j = wp.min(int(cy), ny - 2)
    s = cx - float(i)
    t = cy - float(j)
    bottom = wp.lerp(f[i, j], f[i + 1, j], s)
    top = wp.lerp(f[i, j + 1], f[i + 1, j + 1], s)
    return wp.lerp(bottom, top, t)


@wp.func
def velocity_at(u: wp.array2d(dtype=float), v: wp.array2d(dtype=float), p: wp.vec2):
    """The velocity at point ``p`` (in cells; cell (i, j) spans [i, i+1] x [j, j+1]).
    u[i, j] sits at (i, j + 1/2), v[i, j] at (i + 1/2, j)."""
    return wp.vec2(bilinear(u, p[0], p[1] - 0.5), bilinear(v, p[0] - 0.5, p[1]))


@wp.func
def trace_back(u: wp.array2d(dtype=float), v: wp.array2d(dtype=float), p: wp.vec2):
    """Where the fluid at ``p`` was one step ago (midpoint rule; velocities in cells/step)."""
    mid = p - 0.5 * velocity_at(u, v, p)
    return p - velocity_at(u, v, mid)


@wp.func
def cell(f: wp.array2d(dtype=float), i: int, j: int):
    """A cell-centred value, the index clamped into the grid."""
    return f[wp.clamp(i, 0, f.shape[0] - 1), wp.clamp(j, 0, f.shape[1] - 1)]


# -- the jets ----------------------------------------------------------------------------
@wp.func
def jet_weight(jet: wp.vec4, p: wp.vec2, n: int, t: float, radius: float):
    """How much of jet ``jet`` is at point ``p`` at step ``t`` (0 outside its nozzle)."""
    centre = wp.vec2(jet[0], jet[1]) * float(n)
    d = (p - centre) / radius
    # each jet pulses: on for most of a ~300-step cycle, off for the rest
    strength = wp.clamp(2.5 * wp.sin(0.021 * t + jet[3]) + 1.6, 0.0, 1.0)
    return wp.max(1.0 - wp.dot(d, d), 0.0) * strength


@wp.func
def jet_direction(jet: wp.vec4, t: float):
    angle = jet[2] + 0.45 * wp.sin(0.037 * t + 1.7 * jet[3])
    return wp.vec2(wp.cos(angle), wp.sin(angle))


@wp.func
def jets_velocity(jets: wp.array(dtype=wp.vec4), p: wp.vec2, n: int, t: float, radius: float,
                  speed: float, vel: wp.vec2):
    """``vel`` pulled towards each jet's velocity inside its nozzle."""
    out = vel
    for k in range(jets.shape[0]):
        w = wp.min(jet_weight(jets[k], p, n, t, radius), 1.0)
        out = out + (speed * jet_direction(jets[k], t) - out) * w
    return out


# -- vorticity confinement -----------------------------------------------------------------
@wp.kernel
def curl(u: wp.array2d(dtype=float), v: wp.array2d(dtype=float), w: wp.array2d(dtype=float)):
    i, j = wp.tid()
    n = w.shape[0]
    # centred differences of the cell-centred velocity (one-sided at the walls)
    il = wp.max(i - 1, 0)
    ir = wp.min(i + 1, n - 1)
    jb = wp.max(j - 1, 0)
    jt = wp.min(j + 1, n - 1)
    dvdx = 0.5 * (v[ir, j] + v[ir, j + 1] - v[il, j] - v[il, j + 1]) / float(ir - il)
    dudy = 0.5 * (u[i, jt] + u[i + 1, jt] - u[i, jb] - u[i + 1, jb]) / float(jt - jb)
    w[i, j] = dvdx - dudy


@wp.func
def confinement(w: wp.array2d(dtype=float), i: int, j: int, eps: float):
    """The vorticity-confinement force at cell (i, j): pushes along N x w, where N points
    up the gradient of |w| (towards the vortex cores), so small eddies are kept alive."""
    gx = 0.5 * (wp.abs(cell(w, i + 1, j)) - wp.abs(cell(w, i - 1, j)))
    gy = 0.5 * (wp.abs(cell(w, i, j + 1)) - wp.abs(cell(w, i, j - 1)))
    norm = wp.sqrt(gx * gx + gy * gy) + 1.0e-5
    wc = cell(w, i, j)
    return eps * wp.vec2(gy * wc, -gx * wc) / norm


# -- one step --------------------------------------------------------------------------
@wp.kernel
def advect_velocity(u: wp.array2d(dtype=float), v: wp.array2d(dtype=float),
                    w: wp.array2d(dtype=float), dye: wp.array2d(dtype=float),
                    jets: wp.array(dtype=wp.vec4), step: wp.array(dtype=int),
                    eps: float, buoyancy: float, radius: float, speed: float,
                    u_out: wp.array2d(dtype=float), v_out: wp.array2d(dtype=float)):
    i, j = wp.tid()  # over (n + 1) x (n + 1): the u faces and the v faces
    n = dye.shape[0]
    t = float(step[0])
    if j < n:  # u[i, j] at (i, j + 1/2); the walls' faces stay at rest
        value = float(0.0)
        if i > 0 and i < n:
            p = wp.vec2(float(i), float(j) + 0.5)
            b = trace_back(u, v, p)
            value = bilinear(u, b[0], b[1] - 0.5)
            value += 0.5 * (confinement(w, i - 1, j, eps)[0] + confinement(w, i, j, eps)[0])
            vel = wp.vec2(value, bilinear(v, p[0] - 0.5, p[1]))
            value = jets_velocity(jets, p, n, t, radius, speed, vel)[0]
        u_out[i, j] = value
    if i < n:  # v[i, j] at (i + 1/2, j)
        value = float(0.0)
        if j > 0 and j < n:
            p = wp.vec2(float(i) + 0.5, float(j))
            b = trace_back(u, v, p)
            value = bilinear(v, b[0] - 0.5, b[1])
            value += 0.5 * (confinement(w, i, j - 1, eps)[1] + confinement(w, i, j, eps)[1])
            value += buoyancy * 0.5 * (dye[i, j - 1] + dye[i, j])  # the dye is warm: it rises
            vel = wp.vec2(bilinear(u, p[0], p[1] - 0.5), value)
            value = jets_velocity(jets, p, n, t, radius, speed, vel)[1]
        v_out[i, j] = value


@wp.kernel
def divergence(u: wp.array2d(dtype=float), v: wp.array2d(dtype=float),
               div: wp.array2d(dtype=float)):
    i, j = wp.tid()
    div[i, j] = u[i + 1, j] - u[i, j] + v[i, j + 1] - v[i, j]


@wp.kernel
def jacobi(p: wp.array2d(dtype=float), div: wp.array2d(dtype=float),
           p_out: wp.array2d(dtype=float)):
    """One Jacobi sweep of laplacian(p) = div; walls: no flux (neighbours outside skipped)."""
    i, j = wp.tid()
    n = p.shape[0]
    total = float(0.0)
    count = float(0.0)
    if i > 0:
        total += p[i - 1, j]
        count += 1.0
    if i < n - 1:
        total += p[i + 1, j]
        count += 1.0
    if j > 0:
        total += p[i, j - 1]
        count += 1.0
    if j < n - 1:
        total += p[i, j + 1]
        count += 1.0
    p_out[i, j] = (total - div[i, j]) / count


@wp.kernel
def project(u_in: wp.array2d(dtype=float), v_in: wp.array2d(dtype=float),
            p: wp.array2d(dtype=float),
            u: wp.array2d(dtype=float), v: wp.array2d(dtype=float)):
    i, j = wp.tid()  # over (n + 1) x (n + 1)
    n = p.shape[0]
    if j < n:
        value = float(0.0)
        if i > 0 and i < n:
            value = u_in[i, j] - (p[i, j] - p[i - 1, j])
        u[i, j] = value
    if i < n:
        value = float(0.0)
        if j > 0 and j < n:
            value = v_in[i, j] - (p[i, j] - p[i, j - 1])
        v[i, j] = value


@wp.kernel
def advect_dye(dye: wp.array2d(dtype=float), u: wp.array2d(dtype=float),
               v: wp.array2d(dtype=float), dye_out: wp.array2d(dtype=float)):
    i, j = wp.tid()
    b = trace_back(u, v, wp.vec2(float(i) + 0.5, float(j) + 0.5))
    dye_out[i, j] = bilinear(dye, b[0] - 0.5, b[1] - 0.5)


@wp.kernel
def add_dye(dye_in: wp.array2d(dtype=float), jets: wp.array(dtype=wp.vec4),
            step: wp.array(dtype=int), radius: float, decay: float,
            dye: wp.array2d(dtype=float)):
    i, j = wp.tid()
    n = dye.shape[0]
    t = float(step[0])
    p = wp.vec2(float(i) + 0.5, float(j) + 0.5)
    value = dye_in[i, j] * decay
    for k in range(jets.shape[0]):
        a = wp.min(jet_weight(jets[k], p, n, t, radius), 1.0)
        value = value + (1.0 - value) * a
    dye[i, j] = value


@wp.kernel
def tick(step: wp.array(dtype=int)):
    step[0] = step[0] + 1


class Smoke:
    """The fields of an N x N smoke solver and its step (the launches, nothing else)."""

    def __init__(self, device, size: int, jacobi_iterations: int = 50):
        self.device = device
        self.n = n = size
        scale = n / 128.0  # velocities are in cells per step: keep the picture's speeds

        def zeros(shape):
            return wp.zeros(shape, dtype=float, device=device)

        self.u, self.u_tmp = zeros((n + 1, n)), zeros((n + 1, n))
        self.v, self.v_tmp = zeros((n, n + 1)), zeros((n, n + 1))
        self.dye, self.dye_tmp = zeros((n, n)), zeros((n, n))
        self.w, self.div = zeros((n, n)), zeros((n, n))
        self.p, self.p_tmp = zeros((n, n)), zeros((n, n))
        self.step_count = wp.zeros(1, dtype=int, device=device)
        self.jets = wp.array(JETS, dtype=wp.vec4, device=device)
        self.sweeps = max(jacobi_iterations // 2, 1)  # pairs: the result ends up in self.p
        self.eps = 0.15  # eps * h * (N x w) (Fedkiw et al.): in cells/step, free of n
        self.buoyancy = 0.0035 * scale
        self.radius = 5.0 * scale
        self.speed = 2.0 * scale
        self.decay = 0.995

    def step(self):
        n, d = self.n, self.device
        wp.launch(curl, (n, n), inputs=[self.u, self.v], outputs=[self.w], device=d)
        wp.launch(advect_velocity, (n + 1, n + 1),
                  inputs=[self.u, self.v, self.w, self.dye, self.jets, self.step_count,
                          self.eps, self.buoyancy, self.radius, self.speed],
                  outputs=[self.u_tmp, self.v_tmp], device=d)
        wp.launch(divergence, (n, n), inputs=[self.u_tmp, self.v_tmp], outputs=[self.div],
                  device=d)
        for _ in range(self.sweeps):  # ping-pong, warm-started from the last step's p
            wp.launch(jacobi, (n, n), inputs=[self.p, self.div], outputs=[self.p_tmp],
                      device=d)
            wp.launch(jacobi, (n, n), inputs=[self.p_tmp, self.div], outputs=[self.p],
                      device=d)
        wp.launch(project, (n + 1, n + 1), inputs=[self.u_tmp, self.v_tmp, self.p],
                  outputs=[self.u, self.v], device=d)
        wp.launch(advect_dye, (n, n), inputs=[self.dye, self.u, self.v],
                  outputs=[self.dye_tmp], device=d)
        wp.launch(add_dye, (n, n), inputs=[self.dye_tmp, self.jets, self.step_count,
                                           self.radius, self.decay],
                  outputs=[self.dye], device=d)
        wp.launch(tick, 1, inputs=[self.step_count], device=d)

    def divergence_now(self) -> float:
        """Max |divergence| of the current (projected) velocity."""
        out = wp.zeros((self.n, self.n), dtype=float, device=self.device)
        wp.launch(divergence, (self.n, self.n), inputs=[self.u, self.v], outputs=[out],
                  device=self.device)
        return float(np.abs(out.numpy()).max())


# -- the picture -------------------------------------------------------------------------
# dark blue -> indigo -> red-orange -> orange -> pale yellow -> white
_STOPS = np.array([0.0, 0.18, 0.42, 0.62, 0.85, 1.0])
_COLOURS = np.array([[0.01, 0.02, 0.07], [0.10, 0.08, 0.36], [0.78, 0.20, 0.12],
                     [0.98, 0.52, 0.08], [1.00, 0.86, 0.50], [1.00, 1.00, 1.00]])


def colour_map(t: np.ndarray) -> np.ndarray:
    t = np.clip(t, 0.0, 1.0)
    rgb = np.stack([np.interp(t, _STOPS, _COLOURS[:, c]) for c in range(3)], axis=-1)
    return (rgb * 255.0 + 0.5).astype(np.uint8)


def upsample(f: np.ndarray, k: int) -> np.ndarray:
    """Bilinear upsampling of a 2-D field by an integer factor (cell centres kept)."""
    if k == 1:
        return f
    out = f
    for axis in range(2):
        n = out.shape[axis]
        x = np.clip((np.arange(n * k) + 0.5) / k - 0.5, 0.0, n - 1.0)
        i0 = np.minimum(x.astype(int), n - 2)
        s = x - i0
        a, b = np.take(out, i0, axis=axis), np.take(out, i0 + 1, axis=axis)
        s = s[:, None] if axis == 0 else s[None, :]
        out = a * (1.0 - s) + b * s
    return out


def filmstrip(snapshots, height: int = 256) -> np.ndarray:
    """The dye fields (x, y indexed) as pictures (y up) side by side, 4-pixel gaps."""
    k = max(1, int(round(height / snapshots[0].shape[1])))
    pictures = [colour_map(upsample(s.T[::-1], k) ** 0.85) for s in snapshots]
    gap = np.zeros((pictures[0].shape[0], 4, 3), dtype=np.uint8)
    parts = []
    for picture in pictures:
        parts += [picture, gap]
    return np.concatenate(parts[:-1], axis=1)


def run(device="cpu", size=128, steps=300, frames=4, capture=True, out=None,
        jacobi_iterations=50, progress=None, timings=None) -> dict:
    """Simulate ``steps`` steps; returns the final fields, the picture and measurements."""
    timings = timings if timings is not None else Timings(device)
    sim = Smoke(device, size, jacobi_iterations)
    every = max(steps // max(frames, 1), 1)
    snapshots = []
    t0 = time.perf_counter()
    graph = None
    if capture:
        with timings("capture (compile)"):
            with wp.ScopedCapture(device=device) as scoped:
                sim.step()
            graph = scoped.graph
    for i in progress_bar(steps, "fluid", enabled=progress):
        with timings("simulate"):
            if graph is not None:
                wp.capture_launch(graph)
            else:
                sim.step()
        if (i + 1) % every == 0 and len(snapshots) < frames:
            with timings("snapshot"):
                snapshots.append(sim.dye.numpy().copy())
    wp.synchronize_device(device)
    seconds = time.perf_counter() - t0
    with timings("measure, picture"):
        div_before = float(np.abs(sim.div.numpy()).max())
        div_after = sim.divergence_now()
        image = filmstrip(snapshots) if snapshots else None
        if out is not None and image is not None:
            write_png(out, image)
    u, v = sim.u.numpy(), sim.v.numpy()
    velocity = np.stack([0.5 * (u[1:] + u[:-1]), 0.5 * (v[:, 1:] + v[:, :-1])], axis=-1)
    return {"dye": sim.dye.numpy(), "u": u, "v": v, "velocity": velocity,
            "pressure": sim.p.numpy(), "image": image, "snapshots": snapshots,
            "seconds": seconds, "steps": steps, "captured": graph is not None,
            "step_counter": int(sim.step_count.numpy()[0]),
            "launches_per_step": 7 + 2 * sim.sweeps, "jacobi_iterations": 2 * sim.sweeps,
            "divergence_before": div_before, "divergence": div_after}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--frames", type=int, default=4)
    parser.add_argument("--jacobi", type=int, default=50, help="Jacobi iterations per step")
    parser.add_argument("--no-capture", dest="capture", action="store_false",
                        help="launch the kernels one by one instead of replaying a graph")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "output",
                                                      "stable_fluids.png"))
    args = parser.parse_args(argv)
    timings = Timings(args.device)
    r = run(args.device, args.size, args.steps, args.frames, args.capture, args.out,
            args.jacobi, timings=timings)
    how = "one captured graph replayed" if r["captured"] else "plain launches"
    print(f"{args.size}x{args.size} grid, {r['steps']} steps ({r['launches_per_step']} "
          f"launches each, {r['jacobi_iterations']} Jacobi iterations; {how}) on "
          f"{args.device} in {r['seconds']:.1f} s (including compilation)")
    print(f"max |divergence| before projection {r['divergence_before']:.2e}, after "
          f"{r['divergence']:.2e}; dye in the box {r['dye'].sum():.0f} cells' worth")
    print(f"wrote {args.out}")
    timings.summary()
    return r


if __name__ == "__main__":
    main()
