"""Foundation benchmarks: launch overhead, saxpy bandwidth, a compute-bound kernel.

Everything is measured side by side in one run and printed as a table with ratios:

* launch overhead of ``wp.launch`` (4 array arguments) on the CPU and on CUDA, against
  calling a compiled ``@njit`` function, a numba-cuda dispatcher launch and a torch op;
* saxpy on the CPU (all cores) against NumPy and serial ``@njit``;
* a compute-bound kernel on the CPU against NumPy and serial ``@njit``;
* saxpy bandwidth on CUDA at 2**27 float32 against torch's ``y.add_(x, alpha=a)``.

Run ``python benchmarks/bench_foundation.py [--quick]``. Never used by the tests.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import numba  # noqa: E402

import numba_warp as wp  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _bench_kernels import escape_time, four_arrays, saxpy  # noqa: E402 - run_all.py's kernels

ROWS: list[tuple[str, str, float, str]] = []


def row(section, name, value, unit):
    ROWS.append((section, name, value, unit))
    print(f"  {section:<28} {name:<44} {value:12.3f} {unit}", flush=True)


def best_of(fn, repeat=5, number=1):
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - t0) / number)
    return best


@numba.njit
def njit_four(a, b, c, d):
    for i in range(a.shape[0]):
        a[i] = b[i] + c[i] * d[i]


@numba.njit
def njit_saxpy(a, x, y):
    for i in range(x.shape[0]):
        y[i] = a * x[i] + y[i]


@numba.njit(error_model="numpy")
def njit_escape_time(pos, out, iters):
    two, four = np.float32(2.0), np.float32(4.0)
    for i in range(pos.shape[0]):
        cx = pos[i, 0]
        cy = pos[i, 1]
        x = np.float32(0.0)
        y = np.float32(0.0)
        k = 0
        while k < iters:
            if x * x + y * y > four:
                break
            x, y = x * x - y * y + cx, two * x * y + cy
            k += 1
        out[i] = k


def numpy_escape_time(pos, iters):
    cx, cy = pos[:, 0], pos[:, 1]
    x = np.zeros_like(cx)
    y = np.zeros_like(cy)
    count = np.zeros_like(cx)
    for _ in range(iters):
        alive = x * x + y * y <= 4.0
        x, y = (np.where(alive, x * x - y * y + cx, x),
                np.where(alive, np.float32(2.0) * x * y + cy, y))
        count += alive
    return count


def bench_cpu(quick: bool):
    print("CPU (threads: %d)" % numba.get_num_threads())
    xs = [wp.zeros(16, dtype=float, device="cpu") for _ in range(4)]
    np_xs = [x.numpy() for x in xs]
    wp.launch(four_arrays, dim=16, inputs=xs, device="cpu")
    njit_four(*np_xs)
    n = 20000 if quick else 100000
    t_wp = best_of(lambda: wp.launch(four_arrays, dim=16, inputs=xs, device="cpu"), 3, n)
    cmd = wp.launch(four_arrays, dim=16, inputs=xs, device="cpu", record_cmd=True)
    t_cmd = best_of(cmd.launch, 3, n)
    t_nj = best_of(lambda: njit_four(*np_xs), 3, n)
    row("launch overhead (cpu)", "wp.launch, 4 arrays, dim=16", t_wp * 1e6, "us")
    row("launch overhead (cpu)", "wp.launch(record_cmd=True).launch()", t_cmd * 1e6, "us")
    row("launch overhead (cpu)", "plain @njit call, same work", t_nj * 1e6, "us")

    size = 1 << (22 if quick else 25)
    rng = np.random.default_rng(0)
    xh = rng.random(size, dtype=np.float32)
    yh = rng.random(size, dtype=np.float32)
    x = wp.array(xh, device="cpu")
    y = wp.array(yh, device="cpu")
    wp.launch(saxpy, dim=size, inputs=[2.0, x, y], device="cpu")
    njit_saxpy(np.float32(2.0), xh, yh)
    t_wp = best_of(lambda: wp.launch(saxpy, dim=size, inputs=[2.0, x, y], device="cpu"))
    t_nj = best_of(lambda: njit_saxpy(np.float32(2.0), xh, yh))
    t_np = best_of(lambda: np.add(np.multiply(np.float32(2.0), xh, out=xh), yh, out=yh))
    gb = 3 * 4 * size / 1e9
    row("saxpy (cpu) 2^%d" % int(np.log2(size)), "numba_warp (all cores)", gb / t_wp, "GB/s")
    row("saxpy (cpu) 2^%d" % int(np.log2(size)), "serial @njit", gb / t_nj, "GB/s")
    row("saxpy (cpu) 2^%d" % int(np.log2(size)), "NumPy (out=)", gb / t_np, "GB/s")
    row("saxpy (cpu)", "numba_warp / serial njit (speed-up)", t_nj / t_wp, "x")
    row("saxpy (cpu)", "numba_warp / NumPy (speed-up)", t_np / t_wp, "x")

    m = 1 << (16 if quick else 19)
    iters = 256
    pos_h = (rng.random((m, 2), dtype=np.float32) * np.float32(3.0) -
             np.array([2.0, 1.5], dtype=np.float32))
    pos = wp.array(pos_h, device="cpu")
    out = wp.zeros(m, dtype=float, device="cpu")
    out_h = np.zeros(m, dtype=np.float32)
    wp.launch(escape_time, dim=m, inputs=[pos, out, iters], device="cpu")
    njit_escape_time(pos_h, out_h, iters)
    ref = numpy_escape_time(pos_h, iters)
    # float rounding may flip a few boundary points by an iteration or so
    assert np.mean(np.abs(out.numpy() - out_h) > 1) < 0.01
    assert np.mean(np.abs(ref - out_h) > 1) < 0.01
    t_wp = best_of(lambda: wp.launch(escape_time, dim=m, inputs=[pos, out, iters],
                                     device="cpu"), 3)
    t_nj = best_of(lambda: njit_escape_time(pos_h, out_h, iters), 3)
    t_np = best_of(lambda: numpy_escape_time(pos_h, iters), 2)
    row("compute-bound (cpu) 2^%d" % int(np.log2(m)), "escape time, numba_warp (all cores)", t_wp * 1e3, "ms")
    row("compute-bound (cpu)", "serial @njit", t_nj * 1e3, "ms")
    row("compute-bound (cpu)", "NumPy", t_np * 1e3, "ms")
    row("compute-bound (cpu)", "numba_warp / serial njit (speed-up)", t_nj / t_wp, "x")
    row("compute-bound (cpu)", "numba_warp / NumPy (speed-up)", t_np / t_wp, "x")


def bench_cuda(quick: bool):
    dev = "cuda:0"
    print(f"CUDA ({wp.get_device(dev).name})")
    from numba import cuda

    xs = [wp.zeros(16, dtype=float, device=dev) for _ in range(4)]
    wp.launch(four_arrays, dim=16, inputs=xs, device=dev)
    wp.synchronize()
    n = 20000

    def many(fn):
        def run():
            for _ in range(n):
                fn()
            wp.synchronize()
        return run

    t_wp = best_of(many(lambda: wp.launch(four_arrays, dim=16, inputs=xs, device=dev)), 3) / n
    cmd = wp.launch(four_arrays, dim=16, inputs=xs, device=dev, record_cmd=True)
    t_cmd = best_of(many(cmd.launch), 3) / n

    @cuda.jit
    def nb_four(a, b, c, d):
        i = cuda.grid(1)
        if i < a.shape[0]:
            a[i] = b[i] + c[i] * d[i]

    dxs = [cuda.device_array(16, dtype=np.float32) for _ in range(4)]
    nb_four[1, 256](*dxs)
    cuda.synchronize()
    t_nb = best_of(many(lambda: nb_four[1, 256](*dxs)), 3) / n
    row("launch overhead (cuda)", "wp.launch, 4 arrays", t_wp * 1e6, "us")
    row("launch overhead (cuda)", "wp.launch(record_cmd=True).launch()", t_cmd * 1e6, "us")
    row("launch overhead (cuda)", "numba-cuda dispatcher, 4 arrays", t_nb * 1e6, "us")
    try:
        import torch

        ta = torch.zeros(16, device="cuda")
        torch.cuda.synchronize()
        t_t = best_of(many(lambda: ta.add_(1.0)), 3) / n
        row("launch overhead (cuda)", "torch op (a.add_(1))", t_t * 1e6, "us")
    except ImportError:
        torch = None

    size = 1 << (24 if quick else 27)
    x = wp.array(np.ones(size, dtype=np.float32), device=dev)
    y = wp.array(np.ones(size, dtype=np.float32), device=dev)
    start, end = wp.Event(dev, enable_timing=True), wp.Event(dev, enable_timing=True)
    reps = 20

    def timed(fn):
        fn()
        wp.synchronize()
        best = float("inf")
        for _ in range(3):
            wp.record_event(start)
            for _ in range(reps):
                fn()
            wp.record_event(end)
            best = min(best, wp.get_event_elapsed_time(start, end) / 1e3 / reps)
        return best

    gb = 3 * 4 * size / 1e9
    t_wp = timed(lambda: wp.launch(saxpy, dim=size, inputs=[2.0, x, y], device=dev))
    row("saxpy (cuda) 2^%d" % int(np.log2(size)), "numba_warp", gb / t_wp / 1e3, "TB/s")
    if torch is not None:
        tx = torch.ones(size, device="cuda")
        ty = torch.ones(size, device="cuda")
        ev0 = torch.cuda.Event(enable_timing=True)
        ev1 = torch.cuda.Event(enable_timing=True)
        ty.add_(tx, alpha=2.0)
        torch.cuda.synchronize()
        best = float("inf")
        for _ in range(3):
            ev0.record()
            for _ in range(reps):
                ty.add_(tx, alpha=2.0)
            ev1.record()
            torch.cuda.synchronize()
            best = min(best, ev0.elapsed_time(ev1) / 1e3 / reps)
        row("saxpy (cuda) 2^%d" % int(np.log2(size)), "torch y.add_(x, alpha=a)", gb / best / 1e3,
            "TB/s")
        row("saxpy (cuda)", "numba_warp bandwidth / torch", best / t_wp, "x")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="smaller sizes")
    args = parser.parse_args()
    bench_cpu(args.quick)
    if wp.is_cuda_available():
        bench_cuda(args.quick)
    else:
        print("CUDA: no GPU on this machine; CUDA rows skipped")


if __name__ == "__main__":
    main()
