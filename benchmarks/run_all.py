"""Every performance case of issue 12 in one run: numba_warp next to its baselines.

    python benchmarks/run_all.py [--quick] [--device cpu|cuda|all] [--only PATTERN]
                                 [--json PATH] [--load N] [--list]

Each case measures numba_warp and its baselines (NVIDIA Warp whenever ``warp`` imports, and
on its device: a plain ``@njit`` call, NumPy, a numba-cuda dispatcher, torch, cupy) side by
side, interleaved in the same process, best of N. A baseline or device that is missing is
skipped with a note; a case that fails prints its error in its row and the run goes on.
The result is a Markdown table (and with ``--json``, a results file in the format of
``_results.py``, which ``tools/perf_report.py`` turns into docs/performance.md).

Cases (``--only`` matches a regular expression against ``id`` and title):

* ``launch`` - ``wp.launch`` of a trivial kernel with 4 array arguments, and a recorded
  launch (``record_cmd=True``, then ``cmd.launch()``): many launches / count, then one
  synchronisation;
* ``graph`` - ``wp.ScopedCapture`` of 100 launches, ``wp.capture_launch`` replay, per kernel;
* ``saxpy`` - bandwidth, 2^27 float32 on CUDA (torch ``y.add_(x, alpha=a)``, Warp, cupy),
  2^25 on the CPU (Warp, NumPy, serial ``@njit``);
* ``integrate`` - vec3 semi-implicit Euler in place, bandwidth (2^25 on CUDA);
* ``escape`` - a compute-bound kernel (escape-time loop) on the CPU against Warp's CPU
  backend and a serial ``@njit`` loop;
* ``loaded`` - CPU launch and the escape-time kernel again while ``--load`` busy processes
  run (the machine loaded by others);
* ``compile`` - cold compile of the 4-kernel module ``_bench_kernels.py`` in a fresh
  process with an empty kernel cache, then warm start from that cache in another process;
* ``import`` - ``import numba_warp`` against ``import warp`` in fresh processes;
* ``autodiff`` - the springs kernel of ``bench_autodiff.py``: forward, backward and their
  ratio, against Warp's for the same kernel (Warp's backward of a dynamic loop is not
  exact, but its cost is comparable).

Speed-ups are baseline time / numba_warp time (or throughput ratios): above 1 numba_warp
is faster. Never run by the tests, and no test asserts a time.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(HERE)]
import _results
import numba
from _cases_process import case_autodiff, case_compile, case_import  # processes, autodiff
from _harness import (
    CUDA,
    WARP,
    Baselines,
    Case,
    Skip,
    busy_processes,
    import_cupy,
    import_torch,
    make_context,
    per_call,
    sync_of,
)
from _results import error_row, make_row

import numba_warp as wp

# ---------------------------------------------------------------------------------------
# Launch overhead and graphs
# ---------------------------------------------------------------------------------------

def launch_times(lib, kernels, device, count, repeat):
    """(wp.launch, recorded launch) seconds for the 4-array kernel on 16 elements."""
    xs = [lib.zeros(16, dtype=float, device=device) for _ in range(4)]
    sync = sync_of(lib, device)
    t_launch = per_call(lambda: lib.launch(kernels.four_arrays, 16, inputs=xs, device=device),
                        count, repeat, sync)
    cmd = lib.launch(kernels.four_arrays, 16, inputs=xs, device=device, record_cmd=True)
    t_cmd = per_call(cmd.launch, count, repeat, sync)
    return t_launch, t_cmd


def njit_call_time(count, repeat):
    @numba.njit
    def four(a, b, c, d):
        for i in range(a.shape[0]):
            a[i] = b[i] + c[i] * d[i]

    xs = [np.zeros(16, dtype=np.float32) for _ in range(4)]
    return per_call(lambda: four(*xs), count, repeat)


def numba_cuda_launch_time(count, repeat):
    from numba import cuda  # only on CUDA machines

    @cuda.jit
    def four(a, b, c, d):
        i = cuda.grid(1)
        if i < a.shape[0]:
            a[i] = b[i] + c[i] * d[i]

    xs = [cuda.device_array(16, dtype=np.float32) for _ in range(4)]
    return per_call(lambda: four[1, 256](*xs), count, repeat, cuda.synchronize)


def torch_op_time(count, repeat):
    torch = import_torch()
    a = torch.zeros(16, device="cuda")
    return per_call(lambda: a.add_(1.0), count, repeat, torch.cuda.synchronize)


def case_launch(device, ctx):
    count, repeat = ctx.pick(2000, 20000), ctx.pick(3, 7)
    t_nw, t_nw_cmd = launch_times(wp, ctx.kernels, device, count, repeat)
    base = Baselines()
    warp_times = base.measure(WARP, lambda: launch_times(
        ctx.warp_on(device), ctx.warp_kernels, device, count, repeat))
    cmd_base = {WARP: warp_times[1] * 1e6} if warp_times else {}  # Warp's record_cmd
    launch_base = {WARP: warp_times[0] * 1e6} if warp_times else {}
    if device == "cpu":
        base.measure("@njit call", lambda: njit_call_time(count, repeat))
        extra = base.pick("@njit call")
        target, cmd_target = {"text": "<= 3 us", "max": 3.0}, None
    else:
        base.measure("numba-cuda dispatcher", lambda: numba_cuda_launch_time(count, repeat))
        base.measure("torch op", lambda: torch_op_time(count, repeat))
        extra = base.pick("numba-cuda dispatcher", "torch op")
        target, cmd_target = {"text": "<= 5 us", "max": 5.0}, {"text": "<= 3 us", "max": 3.0}
    launch_base.update({k: v * 1e6 for k, v in extra.items()})
    yield make_row("launch", "wp.launch, 4 arrays", device, "us", "lower", t_nw * 1e6,
                   launch_base, target, base.note())
    yield make_row("launch", "recorded launch (record_cmd)", device, "us", "lower",
                   t_nw_cmd * 1e6, cmd_base, cmd_target)


def graph_replay_time(lib, kernels, device, per_graph, replays, repeat):
    xs = [lib.zeros(16, dtype=float, device=device) for _ in range(4)]
    lib.launch(kernels.four_arrays, 16, inputs=xs, device=device)  # compile outside
    lib.synchronize_device(device)
    with lib.ScopedCapture(device=device) as capture:
        for _ in range(per_graph):
            lib.launch(kernels.four_arrays, 16, inputs=xs, device=device)
    graph = capture.graph
    return per_call(lambda: lib.capture_launch(graph), replays, repeat,
                    sync_of(lib, device)) / per_graph


def case_graph(device, ctx):
    per_graph, replays, repeat = 100, ctx.pick(20, 200), ctx.pick(3, 7)
    t_nw = graph_replay_time(wp, ctx.kernels, device, per_graph, replays, repeat)
    base = Baselines()
    base.measure(WARP, lambda: 1e6 * graph_replay_time(
        ctx.warp_on(device), ctx.warp_kernels, device, per_graph, replays, repeat))
    target = {"text": "<= 1 us", "max": 1.0} if device != "cpu" else None
    yield make_row("graph", f"graph replay, per kernel ({per_graph} captured)", device, "us",
                   "lower", t_nw * 1e6, base.values, target, base.note())


# ---------------------------------------------------------------------------------------
# Bandwidth and compute
# ---------------------------------------------------------------------------------------

def saxpy_time(lib, kernels, device, n, reps, repeat):
    x = lib.array(np.ones(n, dtype=np.float32), device=device)
    y = lib.array(np.ones(n, dtype=np.float32), device=device)
    lib.launch(kernels.saxpy, n, inputs=[2.0, x, y], device=device)
    check = y[:8].numpy()
    if not np.all(check == 3.0):
        raise AssertionError(f"saxpy gave {check}, expected 3.0")
    return per_call(lambda: lib.launch(kernels.saxpy, n, inputs=[2.0, x, y], device=device),
                    reps, repeat, sync_of(lib, device))


def torch_saxpy_time(n, reps, repeat):
    torch = import_torch()
    x, y = torch.ones(n, device="cuda"), torch.ones(n, device="cuda")
    return per_call(lambda: y.add_(x, alpha=2.0), reps, repeat, torch.cuda.synchronize)


def cupy_saxpy_time(n, reps, repeat):
    cupy = import_cupy()
    kernel = cupy.ElementwiseKernel("float32 a, float32 x", "float32 y", "y = a * x + y",
                                    "bench_saxpy")
    x, y = cupy.ones(n, dtype=np.float32), cupy.ones(n, dtype=np.float32)
    a = np.float32(2.0)
    kernel(a, x, y)
    if float(y[0]) != 3.0:
        raise AssertionError(f"cupy saxpy gave {float(y[0])}, expected 3.0")
    return per_call(lambda: kernel(a, x, y), reps, repeat, cupy.cuda.Device().synchronize)


def numpy_saxpy_time(n, reps, repeat):
    x, y = np.ones(n, dtype=np.float32), np.ones(n, dtype=np.float32)
    tmp = np.empty_like(x)
    a = np.float32(2.0)

    def run():
        np.multiply(x, a, out=tmp)
        np.add(y, tmp, out=y)
    return per_call(run, reps, repeat)


def njit_saxpy_time(n, reps, repeat):
    @numba.njit
    def saxpy(a, x, y):
        for i in range(x.shape[0]):
            y[i] = a * x[i] + y[i]

    x, y = np.ones(n, dtype=np.float32), np.ones(n, dtype=np.float32)
    return per_call(lambda: saxpy(np.float32(2.0), x, y), reps, repeat)


def case_saxpy(device, ctx):
    gpu = device != "cpu"
    log2 = (ctx.pick(24, 27) if gpu else ctx.pick(22, 25))
    n, reps, repeat = 1 << log2, ctx.pick(5, 20) if gpu else ctx.pick(2, 5), ctx.pick(3, 5)
    scale, unit = (1e12, "TB/s") if gpu else (1e9, "GB/s")
    to_bw = (lambda t: 12 * n / t / scale)  # read x and y, write y: 12 bytes per element
    t_nw = saxpy_time(wp, ctx.kernels, device, n, reps, repeat)
    base = Baselines()
    if gpu:
        base.measure("torch", lambda: to_bw(torch_saxpy_time(n, reps, repeat)))
    base.measure(WARP, lambda: to_bw(saxpy_time(ctx.warp_on(device), ctx.warp_kernels,
                                                device, n, reps, repeat)))
    if gpu:
        base.measure("cupy", lambda: to_bw(cupy_saxpy_time(n, reps, repeat)))
        target = {"text": ">= 0.9x torch", "ratio_min": 0.9, "baseline": "torch"}
    else:
        base.measure("serial @njit", lambda: to_bw(njit_saxpy_time(n, reps, repeat)))
        base.measure("NumPy", lambda: to_bw(numpy_saxpy_time(n, reps, repeat)))
        target = {"text": ">= serial @njit", "ratio_min": 1.0, "baseline": "serial @njit"}
    yield make_row("saxpy", f"saxpy 2^{log2} float32", device, unit, "higher", to_bw(t_nw),
                   base.values, target, base.note())


def integrate_time(lib, kernels, device, n, reps, repeat):
    vec = lambda: lib.zeros(n, dtype=lib.vec3, device=device)
    x, v, f = vec(), vec(), vec()
    inv_mass = lib.array(np.ones(n, dtype=np.float32), device=device)
    return per_call(lambda: lib.launch(kernels.integrate, n, inputs=[x, v, f, inv_mass, 0.001],
                                       device=device), reps, repeat, sync_of(lib, device))


def case_integrate(device, ctx):
    gpu = device != "cpu"
    log2 = ctx.pick(22, 25) if gpu else ctx.pick(20, 22)
    n, reps, repeat = 1 << log2, ctx.pick(5, 20) if gpu else ctx.pick(2, 5), ctx.pick(3, 5)
    scale, unit = (1e12, "TB/s") if gpu else (1e9, "GB/s")
    to_bw = (lambda t: 64 * n / t / scale)  # x, v, f, inv_mass read; x, v written
    t_nw = integrate_time(wp, ctx.kernels, device, n, reps, repeat)
    base = Baselines()
    base.measure(WARP, lambda: to_bw(integrate_time(ctx.warp_on(device), ctx.warp_kernels,
                                                    device, n, reps, repeat)))
    target = {"text": ">= Warp", "ratio_min": 1.0, "baseline": WARP} if gpu else None
    yield make_row("integrate", f"vec3 integrate 2^{log2}", device, unit, "higher",
                   to_bw(t_nw), base.values, target, base.note())


@numba.njit(error_model="numpy")
def _njit_escape_time(pos, out, iters):
    two, four = np.float32(2.0), np.float32(4.0)
    for i in range(pos.shape[0]):
        cx, cy = pos[i, 0], pos[i, 1]
        x, y = np.float32(0.0), np.float32(0.0)
        k = 0
        while k < iters:
            if x * x + y * y > four:
                break
            x, y = x * x - y * y + cx, two * x * y + cy
            k += 1
        out[i] = k


def escape_points(m):
    rng = np.random.default_rng(0)
    return (rng.random((m, 2), dtype=np.float32) * np.float32(3.0)
            - np.array([2.0, 1.5], dtype=np.float32))


def escape_time(lib, kernels, points, repeat, reference=None):
    pos = lib.array(points, device="cpu")
    out = lib.zeros(len(points), dtype=float, device="cpu")
    run = lambda: lib.launch(kernels.escape_time, len(points), inputs=[pos, out, 256],
                             device="cpu")
    run()
    if reference is not None:  # float rounding may move a few boundary points
        wrong = np.mean(np.abs(out.numpy() - reference) > 1)
        if wrong > 0.01:
            raise AssertionError(f"escape_time differs from serial @njit at {wrong:.1%}")
    return per_call(run, 1, repeat)


def escape_rows(case_id, title, ctx, m, repeat, target):
    points = escape_points(m)
    reference = np.zeros(m, dtype=np.float32)
    _njit_escape_time(points, reference, 256)
    t_nw = escape_time(wp, ctx.kernels, points, repeat, reference)
    base = Baselines()
    base.measure("serial @njit", lambda: 1e3 * per_call(
        lambda: _njit_escape_time(points, reference, 256), 1, repeat))
    base.measure(WARP, lambda: 1e3 * escape_time(ctx.warp_on("cpu"), ctx.warp_kernels,
                                                 points, repeat, reference))
    return make_row(case_id, title, "cpu", "ms", "lower", t_nw * 1e3, base.values, target,
                    base.note(f"{numba.get_num_threads()} threads"))


def case_escape(device, ctx):
    m = ctx.size(16, 19)
    cores = _results.machine_cores()
    need = 10.0 if cores >= 16 else 1.0
    target = {"text": f">= {need:g}x serial @njit ({cores} cores)", "ratio_min": need,
              "baseline": "serial @njit"}
    yield escape_rows("escape", f"escape time 2^{int(math.log2(m))}, 256 iters", ctx, m,
                      ctx.pick(3, 5), target)


def case_loaded(device, ctx):
    if ctx.load < 1:
        raise Skip("--load 0")
    count, repeat = ctx.pick(2000, 20000), ctx.pick(3, 7)
    m = ctx.size(16, 19)
    label = f"{ctx.load} busy process{'es' if ctx.load > 1 else ''}"
    with busy_processes(ctx.load):
        t_nw, _ = launch_times(wp, ctx.kernels, "cpu", count, repeat)
        base = Baselines()
        base.measure(WARP, lambda: 1e6 * launch_times(ctx.warp_on("cpu"), ctx.warp_kernels,
                                                      "cpu", count, repeat)[0])
        base.measure("@njit call", lambda: 1e6 * njit_call_time(count, repeat))
        yield make_row("loaded", f"wp.launch, 4 arrays, {label}", "cpu", "us", "lower",
                       t_nw * 1e6, base.values, {"text": "<= 3 us", "max": 3.0}, base.note())
        target = {"text": ">= serial @njit", "ratio_min": 1.0, "baseline": "serial @njit"}
        yield escape_rows("loaded", f"escape time 2^{int(math.log2(m))}, {label}", ctx, m,
                          ctx.pick(3, 5), target)



CASES = [
    Case("launch", "launch overhead", ("cpu", "cuda"), case_launch),
    Case("graph", "graph capture replay", ("cpu", "cuda"), case_graph),
    Case("saxpy", "saxpy bandwidth", ("cpu", "cuda"), case_saxpy),
    Case("integrate", "vec3 integration bandwidth", ("cpu", "cuda"), case_integrate),
    Case("escape", "compute-bound CPU kernel", ("cpu",), case_escape),
    Case("loaded", "CPU launch and compute with busy processes", ("cpu",), case_loaded),
    Case("compile", "cold compile and warm start", ("cpu", "cuda"), case_compile),
    Case("import", "import time", ("host",), case_import),
    Case("autodiff", "springs backward / forward", ("cpu", "cuda"), case_autodiff),
]


# ---------------------------------------------------------------------------------------
# Driver
# ---------------------------------------------------------------------------------------

def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="small sizes and few repeats (a few minutes on 2 cores)")
    parser.add_argument("--device", choices=("cpu", "cuda", "all"), default="all")
    parser.add_argument("--only", metavar="PATTERN", default=None,
                        help="run the cases whose id or title matches this regular expression")
    parser.add_argument("--json", metavar="PATH", default=None, help="write a results file")
    parser.add_argument("--load", type=int, default=1, metavar="N",
                        help="busy processes of the 'loaded' case (default 1)")
    parser.add_argument("--list", action="store_true", help="list the cases and exit")
    return parser.parse_args(argv)


def selected_cases(args) -> list:
    if not args.only:
        return list(CASES)
    pattern = re.compile(args.only, re.IGNORECASE)
    return [c for c in CASES if pattern.search(c.id) or pattern.search(c.title)]


def devices_for(case, args, has_cuda) -> list:
    wanted = {"all": ("cpu", "cuda"), "cpu": ("cpu",), "cuda": ("cuda",)}[args.device]
    out = []
    for d in case.devices:
        if d == "host" or (d == "cpu" and "cpu" in wanted):
            out.append(d)
        elif d == "cuda" and "cuda" in wanted and has_cuda:
            out.append(CUDA)
    return out


def run_cases(cases, args, ctx, has_cuda, log=print) -> list:
    rows = []
    for case in cases:
        for device in devices_for(case, args, has_cuda):
            t0 = time.perf_counter()
            try:
                for row in case.run(device, ctx):
                    row["device"] = "cuda" if row["device"].startswith("cuda") else row["device"]
                    rows.append(row)
            except Skip as exc:
                log(f"  {case.id} on {device}: skipped ({exc})")
                continue
            except Exception as exc:  # noqa: BLE001 - report and go on with the next case
                rows.append(error_row(case.id, case.title, device.split(":")[0],
                                      f"{type(exc).__name__}: {exc}"[:500]))
            log(f"  {case.id} on {device}: {time.perf_counter() - t0:.1f} s", flush=True)
    return rows


def main(argv=None):
    args = parse_args(argv)
    cases = selected_cases(args)
    if args.list:
        for c in CASES:
            print(f"{c.id:10s} {c.title} ({', '.join(c.devices)})")
        return 0
    has_cuda = wp.is_cuda_available()
    if args.device in ("cuda", "all") and not has_cuda:
        print("no CUDA device: CUDA cases skipped")
    ctx = make_context(args.quick, args.load)
    machine = _results.machine_info()
    machine["numba_threads"] = numba.get_num_threads()
    print(f"{machine['cpu']}, {machine['cores']} cores, GPU: {machine['gpu']}, "
          f"load average {machine['load_average']}", flush=True)
    rows = run_cases(cases, args, ctx, has_cuda)
    print()
    print(_results.markdown_table(rows))
    for row in rows:
        if row["notes"]:
            print(f"- {row['case']} ({row['device']}): {row['notes']}")
    if args.json:
        results = {"format": _results.FORMAT, "machine": machine,
                   "options": {"quick": args.quick, "device": args.device, "only": args.only,
                               "load": args.load},
                   "rows": rows}
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(results, indent=1) + "\n")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
