"""Comparing a numba_warp run with a Warp run, and marking tests that wait for a feature.

Tolerances are relative to the reference's largest magnitude (``scale``): an element
agrees when ``|got - want| <= rel * scale``. ``frac`` is the share of elements that must
agree, and every element must be within ``worst * scale``: a chaotic program (a ray that
grazes a silhouette, a back-traced point that lands on the other side of a cell edge)
may differ in a few elements by more than rounding, but never everywhere.

On the CPU numba_warp and Warp both compile without fused multiply-adds and evaluate in
the same order, so the programs here agree to the last bit or nearly (measured: 0
difference, 7e-6 for the ray marcher). CUDA contracts multiply-adds and has its own
transcendental functions, so GPU runs (compared with Warp's CPU run) get float32-rounding
tolerances that grow with the number of steps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


__all__ = ["Tolerance", "EXACT", "assert_agrees"]


@dataclass(frozen=True)
class Tolerance:
    rel: float
    frac: float = 1.0
    worst: float | None = None  # default: rel


EXACT = Tolerance(0.0)


def _check(name, got, want, tol: Tolerance) -> str | None:
    got = np.asarray(got)
    want = np.asarray(want)
    if got.shape != want.shape:
        return f"{name}: shape {got.shape}, Warp's is {want.shape}"
    if want.dtype.kind in "iub" or tol.rel == 0.0:
        bad = np.flatnonzero(got.ravel() != want.ravel())
        if bad.size:
            k = bad[0]
            return (f"{name}: {bad.size} of {want.size} elements differ (first at flat index "
                    f"{k}: {got.ravel()[k]} vs Warp's {want.ravel()[k]})")
        return None
    diff = np.abs(got.astype(np.float64) - want.astype(np.float64))
    scale = max(float(np.abs(want).max()), 1e-30) if want.size else 1.0
    if not np.all(np.isfinite(got)):
        where = ~np.isfinite(got.ravel())
        return f"{name}: non-finite values where Warp has {want.ravel()[where][:3]}"
    close = diff <= tol.rel * scale
    worst = (tol.worst if tol.worst is not None else tol.rel) * scale
    if close.mean() < tol.frac or diff.max() > worst:
        k = int(np.argmax(diff))
        return (f"{name}: {100 * close.mean():.2f}% of elements within {tol.rel:g} x {scale:.4g} "
                f"(need {100 * tol.frac:g}%), largest difference {diff.max():.4g} "
                f"(allowed {worst:.4g}) at flat index {k}: {got.ravel()[k]} vs Warp's "
                f"{want.ravel()[k]}")
    return None


def assert_agrees(got: dict, want, tolerances: dict, default: Tolerance, what: str):
    """Every array of ``want`` (a dict or an npz file) has its match in ``got``."""
    keys = [k for k in (want.files if hasattr(want, "files") else want) if k != "warp_version"]
    missing = sorted(set(keys) - set(got))
    assert not missing, f"{what}: results missing {missing}"
    problems = [p for k in keys
                if (p := _check(k, got[k], want[k], tolerances.get(k, default))) is not None]
    assert not problems, f"{what} differs from NVIDIA Warp:\n  " + "\n  ".join(problems)

