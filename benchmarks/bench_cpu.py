"""CPU kernels side by side: numba_warp (all cores, dynamic chunks) against NVIDIA Warp's
CPU backend (one thread) and a serial ``@njit`` loop doing the same per-thread work,
on an idle machine and on a machine loaded with ``os.cpu_count() - 1`` busy processes.

Kernels:

* ``escape``: Mandelbrot escape time on a 2-D grid (compute-bound, a data-dependent
  loop; the points inside the set cost the most and sit together in the middle rows);
* ``uneven``: thread ``i`` runs ``M * (i / n)**3`` dependent multiply-adds (the last
  sixteenth of the ids holds a quarter of the work: a static split balances badly);
* ``saxpy``: ``y = a * x + y`` on float32 (memory bandwidth);
* ``numba_warp 1 thread``: the same launch with ``wp.config.cpu_threads = 1`` (what the
  threads gain over numba_warp's own serial code);
* ``launch``: the cost of one launch of a 4-array kernel over 16 threads (``wp.launch``,
  a recorded launch, and the compiled entry point alone) against Warp's ``wp.launch``.

Each round runs every implementation once, in turn, so all see the same load; the
figures are the median and best of the rounds. Ratios above 1 mean numba_warp is faster.

Run ``python benchmarks/bench_cpu.py [--quick] [--threads N] [--json PATH]
[--conditions idle,loaded]``. Never used by the tests; times vary with whatever else
the machine runs (say so when quoting them).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import statistics
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import numba

import numba_warp as wp

try:
    import warp
    warp.config.quiet = True
except ImportError:  # the side-by-side columns are left out
    warp = None

# -- numba_warp kernels -------------------------------------------------------------------


@wp.kernel
def escape(out: wp.array2d(dtype=float), x0: float, y0: float, step: float, iters: int):
    i, j = wp.tid()
    cx = x0 + float(j) * step
    cy = y0 + float(i) * step
    x = float(0.0)
    y = float(0.0)
    k = int(0)
    while k < iters and x * x + y * y <= 4.0:
        x, y = x * x - y * y + cx, 2.0 * x * y + cy
        k += 1
    out[i, j] = float(k)


@wp.kernel
def uneven(out: wp.array(dtype=float), work: int):
    i = wp.tid()
    f = float(i) / float(out.shape[0])
    m = int(float(work) * f * f * f)
    v = float(0.0)
    for _k in range(m):
        v = v * 0.999 + 0.001
    out[i] = v


@wp.kernel
def saxpy(a: float, x: wp.array(dtype=float), y: wp.array(dtype=float)):
    i = wp.tid()
    y[i] = a * x[i] + y[i]


@wp.kernel
def four_arrays(a: wp.array(dtype=float), b: wp.array(dtype=float), c: wp.array(dtype=float),
                d: wp.array(dtype=float)):
    i = wp.tid()
    a[i] = b[i] + c[i] * d[i]


# -- the same kernels under NVIDIA Warp -----------------------------------------------------

if warp is not None:
    @warp.kernel
    def w_escape(out: warp.array2d(dtype=float), x0: float, y0: float, step: float,
                 iters: int):
        i, j = warp.tid()
        cx = x0 + float(j) * step
        cy = y0 + float(i) * step
        x = float(0.0)
        y = float(0.0)
        k = int(0)
        while k < iters and x * x + y * y <= 4.0:
            x, y = x * x - y * y + cx, 2.0 * x * y + cy
            k += 1
        out[i, j] = float(k)

    @warp.kernel
    def w_uneven(out: warp.array(dtype=float), work: int):
        i = warp.tid()
        f = float(i) / float(out.shape[0])
        m = int(float(work) * f * f * f)
        v = float(0.0)
        for _k in range(m):
            v = v * 0.999 + 0.001
        out[i] = v

    @warp.kernel
    def w_saxpy(a: float, x: warp.array(dtype=float), y: warp.array(dtype=float)):
        i = warp.tid()
        y[i] = a * x[i] + y[i]

    @warp.kernel
    def w_four_arrays(a: warp.array(dtype=float), b: warp.array(dtype=float),
                      c: warp.array(dtype=float), d: warp.array(dtype=float)):
        i = warp.tid()
        a[i] = b[i] + c[i] * d[i]


# -- serial @njit loops (float32 throughout, as the kernels) --------------------------------

F32 = np.float32


@numba.njit(error_model="numpy")
def njit_escape(out, x0, y0, step, iters):
    two, four = F32(2.0), F32(4.0)
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            cx = x0 + F32(j) * step
            cy = y0 + F32(i) * step
            x = F32(0.0)
            y = F32(0.0)
            k = 0
            while k < iters and x * x + y * y <= four:
                x, y = x * x - y * y + cx, two * x * y + cy
                k += 1
            out[i, j] = k


@numba.njit(error_model="numpy")
def njit_uneven(out, work):
    n = out.shape[0]
    a, b = F32(0.999), F32(0.001)
    for i in range(n):
        f = F32(i) / F32(n)
        m = int(F32(work) * f * f * f)
        v = F32(0.0)
        for _k in range(m):
            v = v * a + b
        out[i] = v


@numba.njit
def njit_saxpy(a, x, y):
    for i in range(x.shape[0]):
        y[i] = a * x[i] + y[i]


# -- measuring -------------------------------------------------------------------------------

def rounds(fns: dict, count: int) -> dict:
    """Run each function once per round, in turn; {name: (median s, best s)}."""
    for fn in fns.values():
        fn()  # compile / warm up
    times = {name: [] for name in fns}
    for _ in range(count):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    return {name: (statistics.median(ts), min(ts)) for name, ts in times.items()}


def per_call(fn, calls: int, count: int) -> float:
    """Seconds per call of ``fn``, best of ``count`` batches of ``calls``."""
    fn()
    best = float("inf")
    for _ in range(count):
        t0 = time.perf_counter()
        for _ in range(calls):
            fn()
        best = min(best, (time.perf_counter() - t0) / calls)
    return best


def one_thread(fn):
    """``fn`` run with ``wp.config.cpu_threads = 1``: numba_warp's own serial speed."""
    def run():
        before = wp.config.cpu_threads
        wp.config.cpu_threads = 1
        try:
            fn()
        finally:
            wp.config.cpu_threads = before
    return run


def case_escape(size: int, iters: int = 256):
    step = 2.5 / size
    args = (-2.0, -1.25, step, iters)
    out = wp.zeros((size, size), dtype=float, device="cpu")
    out_h = np.zeros((size, size), dtype=np.float32)
    fns = {"numba_warp": lambda: wp.launch(escape, dim=out.shape, inputs=[out, *args],
                                           device="cpu"),
           "njit serial": lambda: njit_escape(out_h, F32(-2.0), F32(-1.25), F32(step), iters)}
    fns["numba_warp 1 thread"] = one_thread(fns["numba_warp"])
    if warp is not None:
        w_out = warp.zeros((size, size), dtype=float, device="cpu")
        fns["warp"] = lambda: warp.launch(w_escape, dim=w_out.shape, inputs=[w_out, *args],
                                          device="cpu")
    check = lambda: np.mean(np.abs(out.numpy() - out_h) > 1) < 0.01
    return f"escape {size}x{size}", fns, check


def case_uneven(n: int, work: int):
    out = wp.zeros(n, dtype=float, device="cpu")
    out_h = np.zeros(n, dtype=np.float32)
    fns = {"numba_warp": lambda: wp.launch(uneven, dim=n, inputs=[out, work], device="cpu"),
           "njit serial": lambda: njit_uneven(out_h, work)}
    fns["numba_warp 1 thread"] = one_thread(fns["numba_warp"])
    if warp is not None:
        w_out = warp.zeros(n, dtype=float, device="cpu")
        fns["warp"] = lambda: warp.launch(w_uneven, dim=n, inputs=[w_out, work],
                                          device="cpu")
    check = lambda: np.allclose(out.numpy(), out_h, rtol=1e-3, atol=1e-5)
    return f"uneven 2^{n.bit_length() - 1} (work {work})", fns, check


def case_saxpy(n: int):
    rng = np.random.default_rng(0)
    xh = rng.random(n, dtype=np.float32)
    yh = rng.random(n, dtype=np.float32)
    x, y = wp.array(xh, device="cpu"), wp.array(yh, device="cpu")
    fns = {"numba_warp": lambda: wp.launch(saxpy, dim=n, inputs=[2.0, x, y], device="cpu"),
           "njit serial": lambda: njit_saxpy(F32(2.0), xh, yh)}
    fns["numba_warp 1 thread"] = one_thread(fns["numba_warp"])
    if warp is not None:
        wx, wy = warp.array(xh, device="cpu"), warp.array(yh, device="cpu")
        fns["warp"] = lambda: warp.launch(w_saxpy, dim=n, inputs=[2.0, wx, wy],
                                          device="cpu")
    return f"saxpy 2^{n.bit_length() - 1}", fns, None


def launch_costs(calls: int) -> dict:
    """Microseconds per launch of a 4-array kernel over 16 threads."""
    xs = [wp.zeros(16, dtype=float, device="cpu") for _ in range(4)]
    cmd = wp.launch(four_arrays, dim=16, inputs=xs, device="cpu", record_cmd=True)
    data = [x.launch_data() for x in xs]
    entry = four_arrays.compile_cpu(tuple(d.numba_type for d in data))
    raw = [d.cpu_arg for d in data]
    fns = {"wp.launch": lambda: wp.launch(four_arrays, dim=16, inputs=xs, device="cpu"),
           "recorded launch": cmd.launch,
           "compiled entry": functools.partial(entry, 16, 16, 1, 1, 1, *raw)}
    if warp is not None:
        ws = [warp.zeros(16, dtype=float, device="cpu") for _ in range(4)]
        fns["warp wp.launch"] = lambda: warp.launch(w_four_arrays, dim=16, inputs=ws,
                                                    device="cpu")
    return {name: per_call(fn, calls, 5) * 1e6 for name, fn in fns.items()}


class Load:
    """``count`` processes that spin on a core each while the block runs."""

    def __init__(self, count: int):
        self.count = count
        self.procs = []

    def __enter__(self):
        self.procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
                      for _ in range(self.count)]
        time.sleep(0.5)  # let them start
        return self

    def __exit__(self, *exc):
        for p in self.procs:
            p.kill()
        for p in self.procs:
            p.wait()


def measure(cases, count: int, calls: int) -> dict:
    out = {}
    for label, fns, check in cases:
        res = rounds(fns, count)
        if check is not None and not check():
            raise AssertionError(f"{label}: numba_warp and the serial loop disagree")
        out[label] = {name: {"median_ms": med * 1e3, "best_ms": best * 1e3}
                      for name, (med, best) in res.items()}
        show(label, out[label])
    out["launch (us per call, 4 arrays, dim=16)"] = costs = launch_costs(calls)
    print("  launch, 4 arrays, dim=16: " +
          ", ".join(f"{k} {v:.2f} us" for k, v in costs.items()), flush=True)
    return out


def show(label: str, res: dict) -> None:
    nw = res["numba_warp"]["median_ms"]
    parts = [f"{name} {r['median_ms']:9.2f} ms" for name, r in res.items()]
    ratios = [f"x{res[name]['median_ms'] / nw:5.2f} vs {name}" for name in res
              if name != "numba_warp"]
    print(f"  {label:<26} " + "  ".join(parts) + "   (" + ", ".join(ratios) + ")",
          flush=True)


def _threading_layer() -> str:
    wp.launch(four_arrays, dim=1 << 15, inputs=[wp.zeros(1 << 15, dtype=float, device="cpu")
                                                for _ in range(4)], device="cpu")
    return numba.threading_layer()  # known once a parallel launch has run


def machine() -> dict:
    return {"platform": platform.platform(), "processor": platform.processor(),
            "cpu_count": os.cpu_count(), "numba": numba.__version__,
            "numba_threads": numba.config.NUMBA_NUM_THREADS,
            "threading_layer": _threading_layer(),
            "warp": getattr(warp, "__version__", None), "python": platform.python_version()}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="smaller sizes, fewer rounds")
    ap.add_argument("--threads", type=int, default=None,
                    help="wp.config.cpu_threads (default: all of Numba's threads)")
    ap.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    ap.add_argument("--conditions", default="idle,loaded",
                    help="comma-separated: idle, loaded (default both)")
    ap.add_argument("--rounds", type=int, default=None, help="rounds per case")
    args = ap.parse_args(argv)
    wp.config.quiet = True
    wp.config.cpu_threads = args.threads
    count = args.rounds or (5 if args.quick else 9)
    calls = 2000 if args.quick else 20000
    cases = [case_escape(256 if args.quick else 1024),
             case_uneven(1 << (14 if args.quick else 16), 4096),
             case_saxpy(1 << (22 if args.quick else 25))]
    info = machine()
    threads = args.threads or numba.get_num_threads()
    print(f"numba_warp CPU: {threads} threads ({info['threading_layer']} layer), "
          f"{info['cpu_count']} cores; Warp {info['warp']} CPU: 1 thread; "
          f"ratios: time of the other / time of numba_warp (median of {count} rounds)")
    results = {"machine": info, "threads": threads, "quick": args.quick, "rounds": count,
               "conditions": {}}
    for cond in args.conditions.split(","):
        loaders = (os.cpu_count() or 1) - 1 if cond == "loaded" else 0
        print(f"{cond}" + (f" ({loaders} busy processes)" if loaders else "") + ":")
        with Load(loaders):
            results["conditions"][cond] = measure(cases, count, calls)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    return results


if __name__ == "__main__":
    main()
