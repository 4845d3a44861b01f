"""The cases of ``run_all.py`` about whole processes (cold compile, warm start, import
time) and the autodiff case, which reuses the kernels of ``bench_autodiff.py``.

Start-up is measured in fresh Python processes (``_start_child.py``) so that nothing is
already imported or compiled: each cold compile gets its own empty kernel cache directory
(numba_warp's ``kernel_cache_dir``, Warp's ``kernel_cache_dir`` cleared with
``clear_kernel_cache()``); warm starts are later processes on the last of those caches.
The two libraries' processes alternate, so both see the same machine load.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import _warp_twin
import bench_autodiff
import numpy as np
from _harness import WARP, Skip
from _results import make_row

import numba_warp as wp

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CHILD = HERE / "_start_child.py"
KERNELS = 4  # in _bench_kernels.py


def child_env() -> dict:
    """The environment of a measured process: this checkout's numba_warp first."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env.pop("NUMBA_WARP_CACHE_DIR", None)
    return env


def run_python(args, what) -> str:
    proc = subprocess.run([sys.executable, *map(str, args)], capture_output=True, text=True,
                          check=False, timeout=900, env=child_env(), cwd=ROOT)
    if proc.returncode != 0:
        tail = (proc.stderr.strip() or proc.stdout.strip())[-400:]
        raise RuntimeError(f"{what} exited with {proc.returncode}: {tail}")
    return proc.stdout.strip().splitlines()[-1]


def start_process(library, device, cache_dir, clear=False) -> dict:
    """The timings (seconds) of one ``_start_child.py`` process."""
    args = [CHILD, library, device, cache_dir] + (["--clear"] if clear else [])
    return json.loads(run_python(args, f"the {library} start-up process on {device}"))


def start_libraries(device, ctx, notes) -> list:
    libraries = ["numba_warp"]
    try:
        ctx.warp_on(device)
        libraries.append("warp")
    except Skip as exc:
        notes.append(f"{WARP} skipped: {exc}")
    return libraries


def start_runs(device, ctx, notes):
    """{library: [cold timings]}, {library: [warm timings]}; a Warp failure is a note."""
    libraries = start_libraries(device, ctx, notes)
    cold = {lib: [] for lib in libraries}
    warm = {lib: [] for lib in libraries}
    with tempfile.TemporaryDirectory(prefix="numba_warp_bench_cache_") as tmp:
        caches = {}
        runs = [(cold, rep, True) for rep in range(ctx.pick(1, 3))]
        runs += [(warm, None, False) for _ in range(ctx.pick(2, 5))]
        for timings, rep, clear in runs:
            for lib in [lib for lib in libraries if lib in cold]:
                if clear:  # a fresh, empty cache; warm runs reuse the last one
                    caches[lib] = Path(tmp) / f"{lib}-{rep}"
                try:
                    timings[lib].append(start_process(lib, device, caches[lib], clear))
                except RuntimeError as exc:
                    if lib == "numba_warp":
                        raise
                    notes.append(f"{WARP} failed: {exc}")
                    del cold[lib], warm[lib]
    return cold, warm


def best(runs, key) -> float:
    return min(r[key] for r in runs)


def case_compile(device, ctx):
    notes = []
    cold, warm = start_runs(device, ctx, notes)
    has_warp = "warp" in cold
    note = "; ".join(notes)
    cold_base = {WARP: best(cold["warp"], "launch")} if has_warp else {}
    target = ({"text": "no slower than Warp", "ratio_min": 1.0, "baseline": WARP}
              if device != "cpu" else None)
    yield make_row("compile", f"cold compile, {KERNELS}-kernel module", device, "s", "lower",
                   best(cold["numba_warp"], "launch"), cold_base, target,
                   "; ".join(["first launches in a fresh process, empty kernel cache"] + notes))
    warm_base = {WARP: 1e3 * best(warm["warp"], "launch")} if has_warp else {}
    yield make_row("compile", f"warm start: first launches of {KERNELS} cached kernels", device,
                   "ms", "lower", 1e3 * best(warm["numba_warp"], "launch"), warm_base,
                   {"text": "<= 50 ms per kernel", "max": 50.0 * KERNELS}, note)
    after_base = {WARP: 1e3 * best(warm["warp"], "after_import")} if has_warp else {}
    yield make_row("compile", "warm start: import done to first results", device, "ms",
                   "lower", 1e3 * best(warm["numba_warp"], "after_import"), after_base, None,
                   "kernel definitions, device set-up, first launches; in those processes: "
                   + "; ".join(warm_summary(lib, runs) for lib, runs in warm.items()))


def warm_summary(library, runs) -> str:
    """``import`` time, modules loaded and the heavy ones among them, for the notes."""
    last = runs[-1]
    heavy = ", ".join(last.get("heavy_modules", [])) or "none"
    return (f"{library}: import {best(runs, 'import'):.2f} s, {last.get('modules', '?')} "
            f"modules, heavy: {heavy}")


def import_seconds(module) -> float:
    code = (f"import time; t = time.perf_counter(); import {module}; "
            f"print(time.perf_counter() - t)")
    return float(run_python(["-c", code], f"import {module}"))


def case_import(device, ctx):
    reps = ctx.pick(3, 5)
    times = {"numba_warp": [], "warp": [] if ctx.warp is not None else None}
    for _ in range(reps):  # alternate, so both see the same load
        for module, runs in times.items():
            if runs is not None:
                runs.append(import_seconds(module))
    base = {WARP: min(times["warp"])} if times["warp"] else {}  # import warp
    yield make_row("import", "import numba_warp", "host", "s", "lower",
                   min(times["numba_warp"]), base, {"text": "<= 0.5 s", "max": 0.5},
                   f"fresh process, best of {reps}; baseline: import warp"
                   + ("" if base else f"; {ctx.warp_missing}"))


# ---------------------------------------------------------------------------------------
# Autodiff: the springs kernel of bench_autodiff.py
# ---------------------------------------------------------------------------------------

def springs_problem(lib, module, n, device):
    """The inputs and outputs of ``springs`` (CSR lists of 6-14 springs per particle)."""
    rng = np.random.default_rng(1)
    x, v = (module.vec_array(rng.standard_normal((n, 3)), device) for _ in range(2))
    counts = rng.integers(6, 15, n)
    start = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    nbr = rng.integers(0, n, int(start[-1])).astype(np.int32)
    rest = lib.array(rng.uniform(0.5, 1.5, int(start[-1])).astype(np.float32), device=device,
                     requires_grad=True)
    outputs = [module.vec_array(np.zeros((n, 3)), device) for _ in range(2)]
    inputs = [x, v, lib.array(start, device=device), lib.array(nbr, device=device), rest,
              50.0, 0.001]
    return inputs, outputs


def springs_times(lib, module, n, device):
    """(forward, backward) seconds, with bench_autodiff's own timing (best of 5)."""
    inputs, outputs = springs_problem(lib, module, n, device)
    return module.timed_pair(module.springs, n, inputs, outputs, device)


def case_autodiff(device, ctx):
    n = ctx.size(16, 20) if device == "cpu" else ctx.size(18, 22)
    fwd, bwd = springs_times(wp, bench_autodiff, n, device)
    notes, warp_times = [], None
    try:
        warp = ctx.warp_on(device)
        module = _warp_twin.load(HERE / "bench_autodiff.py", "bench_autodiff_warp")
        warp_times = springs_times(warp, module, n, device)
    except Skip as exc:
        notes.append(f"{WARP} skipped: {exc}")
    except Exception as exc:  # noqa: BLE001 - Warp may reject the kernel; still report ours
        notes.append(f"{WARP} failed: {type(exc).__name__}: {exc}"[:300])
    note = "; ".join(notes)
    size = f"2^{n.bit_length() - 1}"
    base = (lambda i: {WARP: 1e3 * warp_times[i]} if warp_times else {})
    yield make_row("autodiff", f"springs forward {size}", device, "ms", "lower", 1e3 * fwd,
                   base(0), None, note)
    yield make_row("autodiff", f"springs backward {size}", device, "ms", "lower", 1e3 * bwd,
                   base(1), None, note)
    ratio_base = {WARP: warp_times[1] / warp_times[0]} if warp_times else {}
    yield make_row("autodiff", "springs backward / forward", device, "x", "lower", bwd / fwd,
                   ratio_base, {"text": "<= 3x", "max": 3.0},
                   "Warp's backward of a dynamic loop is not exact; its cost is comparable")
