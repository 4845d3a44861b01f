"""Our own Warp programs (tests/compat/programs) run under numba_warp give NVIDIA Warp's
results.

Each program is written in Warp's public API with ``import warp as wp`` and is the same
kind of program as one of Warp's core examples (wave, fluid, raymarch, graph capture,
spin lock, work queue). It runs here under numba_warp, ported by changing its imports
only (loader.py), and is compared with

* the stored result of the same program under Warp 1.19 on the CPU
  (tests/compat/data/<program>.npz, written by tests/compat/make_reference.py), always;
* a live run under Warp, when Warp is installed (which also checks that the stored
  result is still Warp's).

Tolerances are per program and per device kind (see compare.py for their meaning).
"""

from __future__ import annotations

import pathlib

import numpy as np
import pytest

from .compare import EXACT, Tolerance, assert_agrees
from .loader import load_program
from .sizes import PROGRAMS

HERE = pathlib.Path(__file__).resolve().parent

SUBSCRIPT = "wp.array2d[dtype] subscript annotations"

# program -> (Warp features it relies on, CPU tolerance, CUDA tolerance)
CASES = {
    # linear and stable: rounding differences stay at rounding size
    "prog_wave": (("wp.ScopedTimer", SUBSCRIPT), Tolerance(1e-5), Tolerance(2e-4)),
    # floor() in the back-trace can move a sample to the next cell when a float32
    # difference crosses an integer: a few elements may differ more on CUDA (4 steps only)
    "prog_fluid": ((SUBSCRIPT, "wp.ScopedCapture", "wp.capture_launch"),
                   Tolerance(1e-5), Tolerance(1e-3, frac=0.99, worst=0.05)),
    # a ray that grazes an edge may hit on one device and miss on the other
    "prog_raymarch": ((SUBSCRIPT,), Tolerance(1e-4), Tolerance(1e-2, frac=0.99, worst=1.0)),
    "prog_noise_capture": ((SUBSCRIPT, "wp.capture_begin/capture_end", "wp.capture_launch"),
                           Tolerance(1e-5), Tolerance(1e-4)),
    # integer results that do not depend on thread order: exact
    "prog_spin_lock": ((), EXACT, EXACT),
    "prog_work_queue": ((), EXACT, EXACT),
    # kernels run on the CPU through jax.pure_callback under both; JAX computes the
    # inputs (on the GPU for a CUDA device: rounding may differ there)
    "prog_jax": (("wp.jax_kernel", "wp.jax_callable", "enable_backward=True"),
                 EXACT, Tolerance(1e-5)),
}

#: programs that import a framework: skipped where it is not installed
NEEDS = {"prog_jax": "jax"}

PARAMS = list(CASES)


def _tolerance(name, device):
    _, cpu, cuda = CASES[name]
    return cpu if device == "cpu" else cuda


def _run(name, backend, device, ported_dir):
    if name in NEEDS:
        pytest.importorskip(NEEDS[name], reason=f"{name} needs {NEEDS[name]}")
    module = load_program(HERE / "programs" / f"{name}.py", backend, ported_dir)
    return module.run(device, **PROGRAMS[name])


@pytest.mark.parametrize("name", PARAMS)
def test_program_matches_stored_warp_result(name, device, ported_dir):
    got = _run(name, "numba_warp", device, ported_dir)
    with np.load(HERE / "data" / f"{name}.npz") as ref:
        assert_agrees(got, ref, {}, _tolerance(name, device), f"{name} on {device}")


_warp_results: dict = {}


@pytest.mark.parametrize("name", PARAMS)
def test_program_matches_live_warp_run(name, device, ported_dir, warp):
    if name not in _warp_results:
        _warp_results[name] = _run(name, "warp", "cpu", ported_dir)
        with np.load(HERE / "data" / f"{name}.npz") as ref:
            assert_agrees(_warp_results[name], ref, {}, Tolerance(1e-5),
                          f"the stored result of {name} (run tests/compat/make_reference.py):"
                          " Warp's live run")
    got = _run(name, "numba_warp", device, ported_dir)
    assert_agrees(got, _warp_results[name], {}, _tolerance(name, device), f"{name} on {device}")
