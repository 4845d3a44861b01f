"""Timing helper shared by the benchmark scripts."""

from __future__ import annotations

import time


def best_of(fn, repeat=5):
    """The fastest of ``repeat`` timed calls of ``fn``, after one untimed warm-up call."""
    fn()
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def best_synced(fn, device, repeat=5):
    """``best_of`` for launches: each call waits for ``device`` to finish its work."""
    import numba_warp as wp

    def synced():
        fn()
        wp.synchronize_device(device)

    return best_of(synced, repeat)
