"""What the cases of ``run_all.py`` share: the context (options, both libraries' kernels),
timing, baselines that may be missing, and busy processes that load the machine."""

from __future__ import annotations

import contextlib
import math
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import _bench_kernels
import _warp_twin

HERE = Path(__file__).resolve().parent

WARP = "NVIDIA Warp"
CUDA = "cuda:0"


@dataclass
class Case:
    id: str
    title: str
    devices: tuple
    run: Callable  # (device, ctx) -> iterator of rows


@dataclass
class Context:
    """What the cases share: options, and both libraries' copies of the kernels."""
    quick: bool
    load: int
    warp: object = None  # NVIDIA Warp, or None
    warp_missing: str = ""
    kernels: object = None  # _bench_kernels (numba_warp)
    warp_kernels: object = None  # the same file for Warp

    def size(self, quick_log2, full_log2):
        return 1 << (quick_log2 if self.quick else full_log2)

    def pick(self, quick, full):
        return quick if self.quick else full

    def warp_on(self, device):
        """NVIDIA Warp when it can run on ``device``, else raise Skip with the reason."""
        if self.warp is None:
            raise Skip(self.warp_missing)
        if device != "cpu" and not self.warp.is_cuda_available():
            raise Skip("this NVIDIA Warp has no CUDA device")
        return self.warp


class Skip(Exception):
    """A baseline that cannot run here (not installed, no device): a note, not an error."""


def make_context(quick, load) -> Context:
    ctx = Context(quick=quick, load=load, kernels=_bench_kernels)
    ctx.warp = _warp_twin.import_warp()
    if ctx.warp is None:
        ctx.warp_missing = "warp-lang is not installed"
    else:
        ctx.warp_kernels = _warp_twin.load(HERE / "_bench_kernels.py", "bench_kernels_warp")
    return ctx


# ---------------------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------------------

def per_call(fn, count, repeat, sync=None) -> float:
    """Seconds per call: the best of ``repeat`` runs of ``count`` calls, each run followed
    by ``sync()`` (so asynchronous work is counted), after a few warm-up calls."""
    for _ in range(min(count, 3)):
        fn()
    if sync:
        sync()
    best = math.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(count):
            fn()
        if sync:
            sync()
        best = min(best, (time.perf_counter() - t0) / count)
    return best


class Baselines:
    """Collects baseline values; a baseline that cannot run leaves a note instead."""

    def __init__(self):
        self.values: dict = {}
        self.notes: list = []

    def measure(self, name, fn):
        try:
            value = fn()
        except (Skip, ImportError) as exc:
            self.notes.append(f"{name} skipped: {exc}")
            return None
        except Exception as exc:  # noqa: BLE001 - a failing baseline must not stop the run
            self.notes.append(f"{name} failed: {type(exc).__name__}: {exc}"[:300])
            return None
        if value is not None:
            self.values[name] = value
        return value

    def pick(self, *names):
        return {n: self.values[n] for n in names if n in self.values}

    def note(self, *extra):
        return "; ".join(n for n in (*self.notes, *extra) if n)


def sync_of(lib, device):
    return lambda: lib.synchronize_device(device)


def import_torch():
    import torch  # optional baseline

    if not torch.cuda.is_available():
        raise Skip("torch has no CUDA device")
    return torch


def import_cupy():
    import cupy  # optional baseline

    return cupy


@contextlib.contextmanager
def busy_processes(count):
    """``count`` processes spinning on a core each, stopped (by their pid) on exit."""
    procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]
    try:
        time.sleep(0.2)  # let the scheduler spread them
        yield
    finally:
        for p in procs:
            p.kill()
            p.wait()


