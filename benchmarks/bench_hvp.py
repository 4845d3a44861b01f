"""Hessian-vector products: the cost of ``tape.hvp`` against the forward launches and
one gradient (``tape.backward``) of a spring-network energy, and against PyTorch's
Hessian-vector product (double backward) of the same energy, when torch is installed,
side by side; the products are compared.

Run ``python benchmarks/bench_hvp.py [--springs N] [--device D] [--repeat R]``.
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
def spring_energy(x: wp.array(dtype=wp.vec3), springs: wp.array(dtype=wp.vec2i),
                  rest: wp.array(dtype=float), energy: wp.array(dtype=float)):
    s = wp.tid()
    ij = springs[s]
    d = x[ij[0]] - x[ij[1]]
    stretch = wp.length(d) - rest[s]
    # a stiffening spring: quadratic plus a quartic term
    wp.atomic_add(energy, 0, 0.5 * stretch * stretch + 0.25 * stretch * stretch * stretch * stretch)


def _torch_hvp(X, pairs, rest, V, device, repeat):
    try:
        import torch
    except ImportError:
        return None, None
    dev = "cpu" if device == "cpu" else device
    x = torch.tensor(X, device=dev)
    v = torch.tensor(V, device=dev)
    i, j = (torch.tensor(pairs[:, k].astype(np.int64), device=dev) for k in (0, 1))
    r = torch.tensor(rest, device=dev)

    def run():
        xx = x.detach().requires_grad_(True)
        stretch = torch.linalg.norm(xx[i] - xx[j], dim=1) - r
        e = (0.5 * stretch ** 2 + 0.25 * stretch ** 4).sum()
        (g,) = torch.autograd.grad(e, xx, create_graph=True)
        (hv,) = torch.autograd.grad(g, xx, v)
        if dev != "cpu":
            torch.cuda.synchronize()
        return hv

    run()
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        hv = run()
        best = min(best, time.perf_counter() - t0)
    return best, hv.cpu().numpy()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--springs", type=int, default=1_000_000)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    m, device = args.springs, args.device
    n = max(2, m // 4)  # particles
    rng = np.random.default_rng(0)
    X = rng.uniform(0.0, 10.0, (n, 3)).astype(np.float32)
    pairs = np.stack([rng.integers(0, n, m), rng.integers(0, n, m)], 1).astype(np.int32)
    pairs[pairs[:, 0] == pairs[:, 1], 1] = (pairs[pairs[:, 0] == pairs[:, 1], 0] + 1) % n
    rest = (np.linalg.norm(X[pairs[:, 0]] - X[pairs[:, 1]], axis=1) *
            rng.uniform(0.8, 1.2, m)).astype(np.float32)
    V = rng.normal(size=(n, 3)).astype(np.float32)
    x = wp.array(X, dtype=wp.vec3, device=device, requires_grad=True)
    springs = wp.array(pairs, dtype=wp.vec2i, device=device)
    rest_w = wp.array(rest, dtype=float, device=device)
    v = wp.array(V, dtype=wp.vec3, device=device)
    energy = wp.zeros(1, dtype=float, device=device, requires_grad=True)

    def record():
        energy.zero_()
        tape = wp.Tape()
        with tape:
            wp.launch(spring_energy, m, inputs=[x, springs, rest_w], outputs=[energy],
                      device=device)
        return tape

    t_fwd = best_synced(lambda: record(), device, args.repeat)
    tape = record()

    def gradient():
        tape.zero()
        tape.backward(energy)

    t_grad = best_synced(gradient, device, args.repeat)
    out = {}

    def hvp():
        tape.zero()
        out["hv"] = tape.hvp(energy, {x: v})[x]

    t_hvp = best_synced(hvp, device, args.repeat)
    t_torch, torch_hv = _torch_hvp(X, pairs, rest, V, device, args.repeat)

    print(f"Hessian-vector product, {m:,} springs / {n:,} particles on {device} "
          f"(best of {args.repeat}):")
    print(f"  forward launch            {t_fwd * 1e3:9.2f} ms")
    print(f"  gradient (tape.backward)  {t_grad * 1e3:9.2f} ms   {t_grad / t_fwd:.2f}x the forward")
    print(f"  tape.hvp (gradient + H v) {t_hvp * 1e3:9.2f} ms   {t_hvp / t_fwd:.2f}x the forward, "
          f"{t_hvp / t_grad:.2f}x the gradient")
    if t_torch is not None:
        hv = out["hv"].numpy()
        err = np.abs(hv - torch_hv).max() / max(np.abs(torch_hv).max(), 1e-30)
        print(f"  torch double backward     {t_torch * 1e3:9.2f} ms   "
              f"numba_warp {t_torch / t_hvp:.2f}x faster; products agree to {err:.1e} "
              "(relative to the largest)")


if __name__ == "__main__":
    main()
