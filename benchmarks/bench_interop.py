"""Interop overheads: ``wp.from_torch`` / ``wp.to_torch`` per call, and ``wp.launch`` with
other libraries' arrays against the same launch with ``wp.array``s (issue 14's target: a
launch with torch tensors costs at most 1.5x one with arrays).

Cases, on "cpu" and on "cuda:0" when there is a GPU (host time per call, best of 9 runs
of ``--calls`` calls after a warm-up, the cases' runs interleaved so that a busy spell of
the machine hits them alike; GPU launches are queued, not waited for, then the device is
synchronised outside the timing):

* ``launch wp.array``: a 4-array kernel on 16 elements with ``wp.array``s (the baseline);
* ``launch torch``: the same kernel with 4 torch tensors; ``launch numpy`` (CPU) / ``launch
  numba`` (GPU, Numba device arrays) with those;
* ``from_torch`` / ``to_torch``: one (1000, 3) float32 tensor as a ``wp.vec3`` array and
  back.

The ``ratio`` column is the case's time over the ``wp.array`` launch. Cases whose library
is not installed are skipped (torch: ``pip install torch``). Run ``python
benchmarks/bench_interop.py [--device cpu|cuda:0] [--calls N]``. Never used by the tests.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import numba_warp as wp  # noqa: E402

N = 16


@wp.kernel
def add3(a: wp.array(dtype=float), b: wp.array(dtype=float), c: wp.array(dtype=float),
         d: wp.array(dtype=float)):
    i = wp.tid()
    d[i] = a[i] + b[i] + c[i]


def _time_once(fn, calls: int, device) -> float:
    t0 = time.perf_counter()
    for _ in range(calls):
        fn()
    out = (time.perf_counter() - t0) / calls
    wp.synchronize_device(device)
    return out


def _per_call(fns: dict, calls: int, device) -> dict:
    """Host microseconds per call of each function: best of 9 interleaved runs."""
    for fn in fns.values():
        for _ in range(min(calls, 200)):
            fn()
    wp.synchronize_device(device)
    best = dict.fromkeys(fns, float("inf"))
    for _ in range(9):
        for name, fn in fns.items():
            best[name] = min(best[name], _time_once(fn, calls, device))
    return {name: t * 1e6 for name, t in best.items()}


def _launcher(args, device):
    return lambda: wp.launch(add3, N, inputs=args, device=device)


def cases(device, calls: int) -> list:
    """(case, microseconds per call) for ``device``; unavailable libraries are skipped."""
    fns = {"launch wp.array": _launcher(
        [wp.zeros(N, dtype=float, device=device) for _ in range(4)], device)}
    try:
        import torch
    except ImportError:
        torch = None
    if torch is not None:
        tdev = wp.device_to_torch(device)
        fns["launch torch"] = _launcher([torch.zeros(N, device=tdev) for _ in range(4)],
                                        device)
        t = torch.zeros(1000, 3, device=tdev)
        fns["from_torch"] = lambda: wp.from_torch(t, dtype=wp.vec3)
        a = wp.zeros(1000, dtype=wp.vec3, device=device)
        fns["to_torch"] = lambda: wp.to_torch(a)
    if wp.get_device(device).is_cpu:
        arrays = [np.zeros(N, np.float32) for _ in range(4)]
        fns["launch numpy"] = _launcher(arrays, device)
    else:
        from numba import cuda

        arrays = [cuda.device_array(N, dtype=np.float32) for _ in range(4)]
        fns["launch numba"] = _launcher(arrays, device)
    return list(_per_call(fns, calls, device).items())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", action="append", help="cpu, cuda:0 (default: both)")
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args(argv)
    devices = args.device or ["cpu"] + (["cuda:0"] if wp.is_cuda_available() else [])
    print(f"{'device':8} {'case':16} {'us/call':>9} {'ratio':>7}")
    for device in devices:
        rows = cases(device, args.calls)
        base = rows[0][1]
        for name, us in rows:
            ratio = f"{us / base:7.2f}" if name.startswith("launch") else "      -"
            print(f"{device:8} {name:16} {us:9.2f} {ratio}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
