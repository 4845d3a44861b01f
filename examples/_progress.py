"""Progress bars and a timing summary for the examples' long runs.

``steps(n, desc)`` iterates ``range(n)`` with a progress bar: tqdm's when tqdm is
installed (``pip install tqdm``, an optional dependency), else a one-line bar of its own on
a terminal, and nothing when the output is not a terminal (tests, CI logs, notebooks
without tqdm). ``Timings`` adds up the wall time of named phases, waiting for the device
at the end of each phase so that GPU work is counted where it was launched, and prints a
table at the end::

    timings = Timings(device)
    for step in steps(1000, "simulate"):
        with timings("simulate"):
            ...
    timings.summary()
"""

from __future__ import annotations

import sys
import time
from contextlib import contextmanager

import numba_warp as wp

try:  # optional: a nicer bar
    from tqdm.auto import tqdm as _tqdm
except ImportError:  # pragma: no cover - depends on the environment
    _tqdm = None


def _plain_bar(n: int, desc: str):
    """A minimal text bar on stderr, redrawn at most ~20 times a second."""
    start = time.perf_counter()
    last = 0.0
    for i in range(n):
        yield i
        now = time.perf_counter()
        if now - last > 0.05 or i + 1 == n:
            last = now
            done = (i + 1) / max(n, 1)
            bar = "#" * int(30 * done)
            sys.stderr.write(f"\r{desc}: [{bar:<30}] {i + 1}/{n} {now - start:6.1f} s")
            sys.stderr.flush()
    sys.stderr.write("\n")


def steps(n: int, desc: str = "steps", enabled: bool | None = None):
    """``range(n)`` with a progress bar (see the module's docstring for which one)."""
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        return range(n)
    if _tqdm is not None:
        return _tqdm(range(n), desc=desc, leave=True)
    return _plain_bar(n, desc)


class Timings:
    """Wall time per named phase; the device is synchronised at the end of each phase."""

    def __init__(self, device="cpu"):
        self.device = device
        self.total: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self._start = time.perf_counter()

    @contextmanager
    def __call__(self, phase: str):
        t0 = time.perf_counter()
        try:
            yield
        finally:
            wp.synchronize_device(self.device)
            self.total[phase] = self.total.get(phase, 0.0) + time.perf_counter() - t0
            self.calls[phase] = self.calls.get(phase, 0) + 1

    def summary(self, file=None) -> str:
        """Print (and return) a table: phase, calls, total seconds, milliseconds per call."""
        wall = time.perf_counter() - self._start
        lines = [f"{'phase':<18}{'calls':>8}{'total s':>10}{'ms/call':>10}"]
        for phase, seconds in self.total.items():
            calls = self.calls[phase]
            lines.append(f"{phase:<18}{calls:>8}{seconds:>10.2f}{1e3 * seconds / calls:>10.2f}")
        lines.append(f"{'wall (all)':<18}{'':>8}{wall:>10.2f}")
        text = "\n".join(lines)
        print(text, file=file if file is not None else sys.stdout)
        return text
