"""Forward mode: the cost of a Jacobian-vector product against the forward launch, against
one vector-Jacobian product on the tape (forward + backward), and against PyTorch's
``torch.func.jvp`` of the same particle step (when torch is installed), side by side.

Run ``python benchmarks/bench_forward_mode.py [--particles N] [--device D] [--repeat R]``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import numba_warp as wp  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _timing import best_synced  # noqa: E402


@wp.kernel
def step(x: wp.array(dtype=wp.vec3), v: wp.array(dtype=wp.vec3), drag: float, dt: float,
         x_out: wp.array(dtype=wp.vec3), v_out: wp.array(dtype=wp.vec3)):
    i = wp.tid()
    a = wp.vec3(0.0, -9.8, 0.0) - drag * v[i] * wp.length(v[i])
    a = a - wp.normalize(x[i]) * wp.sin(wp.length(x[i]))
    vn = v[i] + a * dt
    x_out[i] = x[i] + vn * dt
    v_out[i] = vn


def _torch_jvp(xv, vv, dxv, dvv, device, repeat):
    try:
        import torch
    except ImportError:
        return None, None
    dev = "cpu" if device == "cpu" else device.replace("cuda:", "cuda:")
    x, v, dx, dv = (torch.tensor(a, device=dev) for a in (xv, vv, dxv, dvv))
    g = torch.tensor([0.0, -9.8, 0.0], device=dev)

    def f(x, v):
        speed = torch.linalg.norm(v, dim=1, keepdim=True)
        r = torch.linalg.norm(x, dim=1, keepdim=True)
        a = g - 0.05 * v * speed - x / r * torch.sin(r)
        vn = v + a * 0.01
        return x + vn * 0.01, vn

    def run():
        out = torch.func.jvp(f, (x, v), (dx, dv))
        if dev != "cpu":
            torch.cuda.synchronize()
        return out

    run()
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = run()
        best = min(best, time.perf_counter() - t0)
    return best, out[1][1].cpu().numpy()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--particles", type=int, default=1_000_000)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--repeat", type=int, default=10)
    args = ap.parse_args()
    n, device = args.particles, args.device
    rng = np.random.default_rng(0)
    xv, vv = rng.uniform(0.5, 2, (n, 3)).astype(np.float32), \
        rng.uniform(-1, 1, (n, 3)).astype(np.float32)
    dxv, dvv = rng.normal(size=(n, 3)).astype(np.float32), \
        rng.normal(size=(n, 3)).astype(np.float32)
    x = wp.array(xv, dtype=wp.vec3, device=device, requires_grad=True)
    v = wp.array(vv, dtype=wp.vec3, device=device, requires_grad=True)
    dx = wp.array(dxv, dtype=wp.vec3, device=device)
    dv = wp.array(dvv, dtype=wp.vec3, device=device)
    xo = wp.zeros(n, dtype=wp.vec3, device=device, requires_grad=True)
    vo = wp.zeros(n, dtype=wp.vec3, device=device, requires_grad=True)
    txo = wp.zeros(n, dtype=wp.vec3, device=device)
    tvo = wp.zeros(n, dtype=wp.vec3, device=device)
    inputs, outputs = [x, v, 0.05, 0.01], [xo, vo]

    t_fwd = best_synced(lambda: wp.launch(step, n, inputs=inputs, outputs=outputs, device=device),
                  device, args.repeat)
    t_jvp = best_synced(lambda: wp.launch(step, n, inputs=inputs, outputs=outputs, device=device,
                                    tangent_inputs=[dx, dv, None, None],
                                    tangent_outputs=[txo, tvo]), device, args.repeat)

    def vjp():
        tape = wp.Tape()
        with tape:
            wp.launch(step, n, inputs=inputs, outputs=outputs, device=device)
        tape.backward(grads={xo: dx, vo: dv})
        tape.zero()

    t_vjp = best_synced(vjp, device, args.repeat)
    t_torch, torch_dv = _torch_jvp(xv, vv, dxv, dvv, device, args.repeat)

    print(f"forward mode, {n:,} particles on {device} (best of {args.repeat}):")
    print(f"  forward launch                 {t_fwd * 1e3:9.2f} ms")
    print(f"  JVP launch (values + tangents) {t_jvp * 1e3:9.2f} ms   "
          f"{t_jvp / t_fwd:.2f}x the forward launch")
    print(f"  VJP on the tape (fwd + bwd)    {t_vjp * 1e3:9.2f} ms   "
          f"{t_vjp / t_fwd:.2f}x the forward launch")
    if t_torch is not None:
        err = np.abs(tvo.numpy() - torch_dv).max()
        print(f"  torch.func.jvp (same step)     {t_torch * 1e3:9.2f} ms   "
              f"numba_warp JVP {t_torch / t_jvp:.2f}x faster; tangents agree to {err:.1e}")


if __name__ == "__main__":
    main()
