"""2-D wave equation: raindrops on a pond, written out as a PNG filmstrip.

Each step is one kernel launch over the grid (a 5-point Laplacian, leapfrog in time,
damped edges). Run ``python examples/example_wave.py`` (CPU, all cores) or add
``--device cuda`` for a GPU. Writes ``examples/output/wave.png``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import numba_warp as wp  # noqa: E402
from _image import colorize, write_png  # noqa: E402


@wp.func
def sample(f: wp.array2d(dtype=float), i: int, j: int, n: int, m: int):
    # reflecting borders: clamp the index into the grid
    return f[wp.clamp(i, 0, n - 1), wp.clamp(j, 0, m - 1)]


@wp.kernel
def wave_step(
    prev: wp.array2d(dtype=float),
    cur: wp.array2d(dtype=float),
    nxt: wp.array2d(dtype=float),
    c2: float,
    damping: float,
):
    i, j = wp.tid()
    n = cur.shape[0]
    m = cur.shape[1]
    lap = (
        sample(cur, i - 1, j, n, m)
        + sample(cur, i + 1, j, n, m)
        + sample(cur, i, j - 1, n, m)
        + sample(cur, i, j + 1, n, m)
        - 4.0 * cur[i, j]
    )
    nxt[i, j] = (2.0 * cur[i, j] - prev[i, j] + c2 * lap) * damping


@wp.kernel
def add_drop(cur: wp.array2d(dtype=float), ci: float, cj: float, radius: float, height: float):
    i, j = wp.tid()
    d2 = (float(i) - ci) * (float(i) - ci) + (float(j) - cj) * (float(j) - cj)
    cur[i, j] = cur[i, j] + height * wp.exp(-d2 / (radius * radius))


def run(device: str, size: int, steps: int, frames: int, out: str) -> np.ndarray:
    rng = np.random.default_rng(42)
    grids = [wp.zeros((size, size), dtype=float, device=device) for _ in range(3)]
    snapshots = []
    every = max(steps // frames, 1)
    t0 = time.perf_counter()
    for step in range(steps):
        if step % 40 == 0:  # a new raindrop
            ci, cj = rng.uniform(0.15, 0.85, 2) * size
            for g in grids[:2]:
                wp.launch(add_drop, dim=g.shape, inputs=[g, ci, cj, size / 60.0, 1.0],
                          device=device)
        prev, cur, nxt = grids
        wp.launch(wave_step, dim=cur.shape, inputs=[prev, cur, nxt, 0.2, 0.999], device=device)
        grids = [cur, nxt, prev]
        if (step + 1) % every == 0 and len(snapshots) < frames:
            snapshots.append(grids[1].numpy().copy())
    elapsed = time.perf_counter() - t0
    strip = np.concatenate([colorize(s, limit=0.5) for s in snapshots], axis=1)
    write_png(out, strip)
    print(f"{steps} steps of a {size}x{size} grid on {device} in {elapsed:.2f} s "
          f"(including compilation); wrote {out}")
    return snapshots[-1]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--frames", type=int, default=4)
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "output",
                                                      "wave.png"))
    args = parser.parse_args()
    run(args.device, args.size, args.steps, args.frames, args.out)
