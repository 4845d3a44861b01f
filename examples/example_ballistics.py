"""Aim 64 projectiles at 64 targets by gradient descent through their whole flight.

Each thread simulates one shot for ``steps`` time steps in a single kernel: quadratic air
drag and bounces off the ground (a branch), in a loop whose trip count is a kernel
argument; the loss is how far each shot is from its target when the time is up.
``wp.Tape`` differentiates the flight end to end; NVIDIA Warp's backward pass gets this
kind of dynamic loop wrong, here the loop's state is checkpointed per thread and the
gradient is exact. Gradient descent (Adam) on the launch velocities lands every shot
on its target. The picture shows the first flights (grey), the final ones (blue) and the
targets (red), and beside them the loss curve (log scale): ``examples/output/ballistics.png``.

    python examples/example_ballistics.py [--device cuda]
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numba_warp as wp  # noqa: E402
from _image import loss_curve, write_png  # noqa: E402


@wp.kernel
def fly(v0: wp.array(dtype=wp.vec2), target: wp.array(dtype=wp.vec2), steps: int, dt: float,
        drag: float, path: wp.array2d(dtype=wp.vec2), miss: wp.array(dtype=float)):
    i = wp.tid()
    x = wp.vec2(0.0, 0.0)
    v = v0[i]
    for s in range(steps):
        v = v + (wp.vec2(0.0, -9.81) - drag * wp.length(v) * v) * dt
        x = x + v * dt
        if x[1] < 0.0:  # bounce, losing 30% of the vertical speed
            x = wp.vec2(x[0], -x[1])
            v = wp.vec2(v[0], -0.7 * v[1])
        path[i, s] = x
    d = x - target[i]
    miss[i] = wp.dot(d, d)


@wp.kernel
def total(miss: wp.array(dtype=float), loss: wp.array(dtype=float)):
    i = wp.tid()
    wp.atomic_add(loss, 0, miss[i])


def run(device="cpu", shots=64, steps=100, iterations=200, out=None):
    """Optimise the launch velocities; return (first loss, last loss, squared misses)."""
    rng = np.random.default_rng(1)
    targets = np.stack([rng.uniform(3.0, 10.0, shots), rng.uniform(0.5, 5.0, shots)], 1)
    start = np.stack([rng.uniform(5.0, 7.0, shots), rng.uniform(9.0, 11.0, shots)], 1)
    v0 = wp.array(start.astype(np.float32), dtype=wp.vec2, device=device, requires_grad=True)
    target = wp.array(targets.astype(np.float32), dtype=wp.vec2, device=device)
    path = wp.zeros((shots, steps), dtype=wp.vec2, device=device)
    first_path = None
    m = np.zeros((shots, 2))
    s = np.zeros((shots, 2))
    losses = []
    for it in range(iterations):
        miss = wp.zeros(shots, dtype=float, device=device, requires_grad=True)
        loss = wp.zeros(1, dtype=float, device=device, requires_grad=True)
        tape = wp.Tape()
        with tape:
            wp.launch(fly, shots, inputs=[v0, target, steps, 0.01, 0.05],
                      outputs=[path, miss], device=device)
            wp.launch(total, shots, inputs=[miss], outputs=[loss], device=device)
        tape.backward(loss)
        losses.append(float(loss.numpy()[0]))
        if first_path is None:
            first_path = path.numpy().copy()
        # Adam step on the launch velocities
        g = v0.grad.numpy().astype(np.float64)
        m = 0.9 * m + 0.1 * g
        s = 0.999 * s + 0.001 * g * g
        step = 0.2 * (m / (1 - 0.9 ** (it + 1))) / (np.sqrt(s / (1 - 0.999 ** (it + 1))) + 1e-8)
        v0.assign((v0.numpy() - step).astype(np.float32))
        tape.zero()
    if out is not None:
        _draw(out, first_path, path.numpy(), targets, losses)
    return losses[0], losses[-1], miss.numpy()


def _draw(path_png, before, after, targets, losses, size=(360, 640)):
    h, w = size
    img = np.full((h, w, 3), 255, np.uint8)

    def px(p):
        x = np.clip((p[..., 0] / 11.0 * (w - 1)).astype(int), 0, w - 1)
        y = np.clip(h - 1 - (p[..., 1] / 7.0 * (h - 1)).astype(int), 0, h - 1)
        return y, x

    for pts, color in ((before, (190, 190, 190)), (after, (40, 90, 220))):
        y, x = px(pts.reshape(-1, 2))
        img[y, x] = color
    for t in targets:
        y, x = px(np.asarray(t))
        img[max(0, y - 3):y + 4, max(0, x - 3):x + 4] = (220, 30, 30)
    # beside it, the loss over the iterations (log scale)
    write_png(path_png, np.concatenate([img, loss_curve(losses, (h, 420))], axis=1))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "output", "ballistics.png")
    first, last, _ = run(args.device, out=out)
    print(f"summed squared miss distance: {first:.2f} -> {last:.5f}; wrote {out}")


if __name__ == "__main__":
    main()
