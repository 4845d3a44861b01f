"""Data-parallel numba_warp over every GPU of one host: a 2-D wave equation split into
strips, one process per GPU, with ``torch.distributed`` (NCCL) exchanging the strips'
edge rows every step and summing the wave's energy.

Each process owns a band of rows of the global grid plus one ghost row above and below.
Every step it sends its first and last rows to its neighbours and receives their edge
rows into its ghost rows (``torch.distributed`` point-to-point operations on
``wp.to_torch`` views of the numba_warp arrays: no copies), runs the stencil kernel on
its band, and every ``--report`` steps adds the processes' energies with ``all_reduce``.
The numba_warp kernels run on PyTorch's current CUDA stream (``wp.stream_from_torch``),
so the communication and the kernels are ordered without waiting on the host. The final
field is gathered to rank 0, checked against the same simulation in one process (they
agree bit for bit) and written as ``examples/output/multigpu.png``.

    torchrun --nproc_per_node=2 examples/example_multigpu.py            # 2 GPUs, NCCL
    torchrun --nproc_per_node=2 examples/example_multigpu.py --device cpu  # processes, gloo

``--size`` is the global grid (``--weak``: per process, for weak scaling).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numba_warp as wp  # noqa: E402
from _image import colorize, write_png  # noqa: E402


@wp.kernel
def wave_band(prev: wp.array2d(dtype=float), cur: wp.array2d(dtype=float),
              nxt: wp.array2d(dtype=float), c2: float, damping: float):
    # local row i + 1 of the band (rows 0 and n + 1 are the ghost rows)
    i, j = wp.tid()
    r = i + 1
    m = cur.shape[1]
    lap = (cur[r - 1, j] + cur[r + 1, j] + cur[r, wp.max(j - 1, 0)] +
           cur[r, wp.min(j + 1, m - 1)] - 4.0 * cur[r, j])
    nxt[r, j] = (2.0 * cur[r, j] - prev[r, j] + c2 * lap) * damping


@wp.kernel
def add_drop(cur: wp.array2d(dtype=float), row0: int, ci: float, cj: float, radius: float,
             height: float):
    i, j = wp.tid()
    gi = float(row0 + i)  # the global row of local band row i + 1
    d2 = (gi - ci) * (gi - ci) + (float(j) - cj) * (float(j) - cj)
    cur[i + 1, j] = cur[i + 1, j] + height * wp.exp(-d2 / (radius * radius))


@wp.kernel
def band_energy(cur: wp.array2d(dtype=float), total: wp.array(dtype=float)):
    i, j = wp.tid()
    u = cur[i + 1, j]
    wp.atomic_add(total, 0, u * u)


def _bands(rows: int, world: int):
    """(first global row, row count) of each process's band."""
    base, extra = divmod(rows, world)
    starts = np.cumsum([0] + [base + (k < extra) for k in range(world)])
    return [(int(starts[k]), int(starts[k + 1] - starts[k])) for k in range(world)]


class Band:
    """One process's share: three (rows + 2) x cols grids and their torch views."""

    def __init__(self, rows: int, cols: int, row0: int, device: str):
        import torch  # (an optional dependency: this example needs PyTorch)

        self.rows, self.cols, self.row0, self.device = rows, cols, row0, device
        self.grids = [wp.zeros((rows + 2, cols), dtype=float, device=device)
                      for _ in range(3)]
        self.views = [wp.to_torch(g) for g in self.grids]  # zero-copy
        self.energy = wp.zeros(1, dtype=float, device=device)
        self.energy_view = wp.to_torch(self.energy)
        self.torch = torch

    def exchange(self, rank: int, world: int, dist):
        """Fill the ghost rows of the current grid from the neighbours (reflecting at the
        global top and bottom)."""
        cur = self.views[1]
        ops = []
        if rank > 0:
            ops += [dist.P2POp(dist.isend, cur[1], rank - 1),
                    dist.P2POp(dist.irecv, cur[0], rank - 1)]
        if rank < world - 1:
            ops += [dist.P2POp(dist.isend, cur[self.rows], rank + 1),
                    dist.P2POp(dist.irecv, cur[self.rows + 1], rank + 1)]
        if ops:
            for req in dist.batch_isend_irecv(ops):
                req.wait()
        if rank == 0:
            cur[0].copy_(cur[1])
        if rank == world - 1:
            cur[self.rows + 1].copy_(cur[self.rows])

    def step(self):
        prev, cur, nxt = self.grids
        wp.launch(wave_band, dim=(self.rows, self.cols), inputs=[prev, cur, nxt, 0.2, 0.999],
                  device=self.device)
        self.grids = [cur, nxt, prev]
        self.views = self.views[1:] + self.views[:1]

    def drop(self, ci, cj, radius):
        for g in self.grids[:2]:
            wp.launch(add_drop, dim=(self.rows, self.cols),
                      inputs=[g, self.row0, ci, cj, radius, 1.0], device=self.device)


def simulate(rank: int, world: int, device: str, size: int, steps: int, report: int, dist):
    """Run the strip of ``rank``; returns (its band of the final field, the energies
    every ``report`` steps, seconds per step)."""
    rows = cols = size
    row0, n = _bands(rows, world)[rank]
    band = Band(n, cols, row0, device)
    rng = np.random.default_rng(42)  # the same raindrops on every process
    energies = []
    warm = min(10, steps - 1)  # steps before the clock starts (the kernels compile)
    for s in range(steps):
        if s == warm:
            wp.synchronize_device(device)
            t0 = time.perf_counter()
        if s % 40 == 0:
            ci, cj = rng.uniform(0.15, 0.85, 2) * size
            band.drop(ci, cj, size / 60.0)
        if world > 1:
            band.exchange(rank, world, dist)
        else:
            cur = band.views[1]
            cur[0].copy_(cur[1])
            cur[n + 1].copy_(cur[n])
        band.step()
        if (s + 1) % report == 0:
            band.energy.zero_()
            wp.launch(band_energy, dim=(n, cols), inputs=[band.grids[1], band.energy],
                      device=device)
            if world > 1:
                dist.all_reduce(band.energy_view)
            energies.append(float(band.energy_view.cpu()[0]))
    wp.synchronize_device(device)
    per_step = (time.perf_counter() - t0) / (steps - warm)
    return band.grids[1].numpy()[1:n + 1], energies, per_step


def main(argv=None):
    import torch
    import torch.distributed as dist

    parser = argparse.ArgumentParser()
    parser.add_argument("--device", default="cuda", help="cuda (one GPU per process) or cpu")
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--report", type=int, default=100)
    parser.add_argument("--weak", action="store_true", help="--size rows per process")
    parser.add_argument("--check", action="store_true",
                        help="also run on one process and compare (rank 0)")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                      "output", "multigpu.png"))
    args = parser.parse_args(argv)
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local = int(os.environ.get("LOCAL_RANK", "0"))
    if args.device == "cuda":
        device = f"cuda:{local}"
        torch.cuda.set_device(local)
        backend = "nccl"
    else:
        device, backend = "cpu", "gloo"
    if world > 1:
        dist.init_process_group(backend)
    size = args.size * world if args.weak else args.size
    with wp.ScopedDevice(device):
        stream = wp.stream_from_torch(torch.cuda.current_stream()) if device != "cpu" else None
        with wp.ScopedStream(stream) if stream is not None else _nothing():
            field, energies, per_step = simulate(rank, world, device, size, args.steps,
                                                 args.report, dist)
    # gather the bands on rank 0
    if world > 1:
        parts = [None] * world
        dist.all_gather_object(parts, field)
        field = np.concatenate(parts)
    if rank == 0:
        print(f"{world} process(es) on {args.device}, {size}x{size} grid: "
              f"{per_step * 1e3:.3f} ms per step; energy {energies[-1]:.6g}")
        if args.check and world > 1:
            single, single_e, _ = simulate(0, 1, device, size, args.steps, args.report, None)
            err = float(np.abs(single - field).max())
            print(f"one process gives the same field: max difference {err:.3g}, energy "
                  f"{single_e[-1]:.6g}")
        write_png(args.out, colorize(field, limit=0.5))
    if world > 1:
        dist.destroy_process_group()
    return field, energies, per_step


class _nothing:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


if __name__ == "__main__":
    main()
