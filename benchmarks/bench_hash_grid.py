"""HashGrid: build and neighbour count, numba_warp next to NVIDIA Warp on the same source.

Cases of issue 13 (Warp's reference on an H200, 2026-11-21: build 0.11 ms, count 0.69 ms):

* ``build``: ``wp.HashGrid(128, 128, 128).build(points, 1.5)`` on 1M uniform random
  points in a 100^3 box (cell width = the query radius);
* ``count``: for each of those points, the number of points within 1.5 (a
  ``wp.hash_grid_query`` loop filtered by distance, about 15 points each, itself
  included), one thread per point in the grid's cell order (``hash_grid_point_id``).

Both libraries run this file's kernels (``_warp_twin.load`` reads it again with ``import
warp as wp``), on "cpu" (numba_warp on every core; Warp's CPU backend runs serially) and
"cuda:0" when there is one. Times are best of 5 after a warm-up; the counts of the two
libraries are checked to be equal. ``ratio`` is Warp's time / numba_warp's (above 1:
numba_warp is faster). ``--quick``: 2^16 points in a box of the same density.

Run ``python benchmarks/bench_hash_grid.py [--quick] [--device cpu]``. Never used by the
tests.
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _warp_twin  # noqa: E402
import numba  # noqa: E402
from _timing import best_of  # noqa: E402

import numba_warp as wp  # noqa: E402

#: Warp 1.19 on an H200 (2026-11-21), ms: the issue's targets for "cuda:0"
H200_WARP_MS = {"build": 0.11, "count": 0.69}
RADIUS = 1.5
DIMS = (128, 128, 128)


@wp.kernel
def count_neighbors(grid: wp.uint64, points: wp.array(dtype=wp.vec3), radius: float,
                    counts: wp.array(dtype=int)):
    tid = wp.tid()
    i = wp.hash_grid_point_id(grid, tid)
    p = points[i]
    n = int(0)
    for j in wp.hash_grid_query(grid, p, radius):
        if wp.length(points[j] - p) <= radius:
            n += 1
    counts[i] = n


def _sync(lib, device):
    lib.synchronize_device(device)


def measure(lib, kernel, points_np, device):
    """(build seconds, count seconds, counts) for one library on one device."""
    points = lib.array(points_np, dtype=lib.vec3, device=device)
    counts = lib.zeros(len(points_np), dtype=int, device=device)
    grid = lib.HashGrid(*DIMS, device=device)

    def build():
        grid.build(points, RADIUS)
        _sync(lib, device)

    def count():
        lib.launch(kernel, dim=len(points_np), inputs=[grid.id, points, RADIUS, counts],
                   device=device)
        _sync(lib, device)

    t_build = best_of(build)
    t_count = best_of(count)
    return t_build, t_count, counts.numpy()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="2^16 points instead of 2^20")
    parser.add_argument("--device", action="append", help="cpu, cuda:0 (default: both)")
    args = parser.parse_args()
    n = 1 << 16 if args.quick else 1 << 20
    box = 100.0 * (n / (1 << 20)) ** (1.0 / 3.0)  # same density as 1M points in 100^3
    points_np = (np.random.default_rng(0).random((n, 3)) * box).astype(np.float32)
    devices = args.device or ["cpu"] + (["cuda:0"] if wp.is_cuda_available() else [])
    warp = _warp_twin.import_warp()
    twin = _warp_twin.load(__file__, "bench_hash_grid_warp") if warp else None
    print(f"HashGrid, {n} points in a {box:.1f}^3 box, radius {RADIUS}, grid {DIMS}; "
          f"numba_warp CPU threads: {numba.get_num_threads()} "
          f"(Warp's CPU backend: 1); {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.2f}")
    print(f"{'device':8s} {'case':6s} {'numba_warp':>12s} {'Warp':>12s} {'ratio':>7s}  note")
    for device in devices:
        ours = measure(wp, count_neighbors, points_np, device)
        theirs, note = None, ""
        if twin is None:
            note = "NVIDIA Warp not installed"
        elif device != "cpu" and not warp.is_cuda_available():
            note = "this NVIDIA Warp has no CUDA device"
        else:
            theirs = measure(warp, twin.count_neighbors, points_np, device)
            if not np.array_equal(ours[2], theirs[2]):
                bad = int(np.count_nonzero(ours[2] != theirs[2]))
                note = f"COUNTS DIFFER from Warp's at {bad} points"
        mean = float(ours[2].mean())
        for k, case in enumerate(("build", "count")):
            t_ours = ours[k] * 1e3
            t_warp = f"{theirs[k] * 1e3:10.3f}ms" if theirs else f"{'-':>12s}"
            ratio = f"{theirs[k] / ours[k]:7.2f}" if theirs else f"{'-':>7s}"
            extra = note or (f"mean count {mean:.2f}" if case == "count" else "")
            if device != "cpu" and not args.quick:
                extra += f" (Warp on an H200: {H200_WARP_MS[case]} ms)"
            print(f"{device:8s} {case:6s} {t_ours:10.3f}ms {t_warp} {ratio}  {extra}")


if __name__ == "__main__":
    main()
