"""Backward pass vs forward pass: time of the generated adjoint kernel over the forward one.

Three representative kernels, on the CPU (all cores) and on CUDA when present:

* ``integrate`` - vec3 particle integration (semi-implicit Euler with gravity and drag);
* ``energy`` - a loss reduced with an atomic add (sum of squared distances to a target);
* ``springs`` - a mass-spring force step with a *dynamic* loop over each particle's springs
  (CSR neighbour lists, 6-14 springs per particle), whose force accumulator is carried
  across iterations, so the backward pass checkpoints and replays it.

The target is backward <= 3x forward. Times are best-of-5 launches of the forward kernel
and of its adjoint (``wp.launch(..., adjoint=True)``), after a warm-up that compiles both.
For reference, a backward pass that recomputes the forward and then the adjoint at least
costs about 2x. Run ``python benchmarks/bench_autodiff.py [--quick] [--breakdown]``.

``--breakdown`` adds rows for ``springs`` whose backward scatters into only some of the
input gradients (``grads=x``: the neighbours' positions, ``grads=rest``: the rest
lengths, ``grads=none``: no input gradient, so no atomic add at all): what each scatter
costs (see docs/perf_adjoint.md).
"""

from __future__ import annotations

import argparse
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numba_warp as wp  # noqa: E402
from _timing import best_of  # noqa: E402


@wp.kernel
def integrate(x: wp.array(dtype=wp.vec3), v: wp.array(dtype=wp.vec3), f: wp.array(dtype=wp.vec3),
              inv_mass: wp.array(dtype=float), dt: float, x_out: wp.array(dtype=wp.vec3),
              v_out: wp.array(dtype=wp.vec3)):
    i = wp.tid()
    g = wp.vec3(0.0, -9.8, 0.0)
    v1 = (v[i] + (f[i] * inv_mass[i] + g) * dt) * 0.999
    v_out[i] = v1
    x_out[i] = x[i] + v1 * dt


@wp.kernel
def energy(x: wp.array(dtype=wp.vec3), target: wp.array(dtype=wp.vec3), loss: wp.array(dtype=float)):
    i = wp.tid()
    d = x[i] - target[i]
    wp.atomic_add(loss, 0, wp.dot(d, d) * 0.5)


@wp.kernel
def springs(x: wp.array(dtype=wp.vec3), v: wp.array(dtype=wp.vec3), start: wp.array(dtype=int),
            nbr: wp.array(dtype=int), rest: wp.array(dtype=float), k: float, dt: float,
            x_out: wp.array(dtype=wp.vec3), v_out: wp.array(dtype=wp.vec3)):
    i = wp.tid()
    xi = x[i]
    f = wp.vec3(0.0, 0.0, 0.0)
    for s in range(start[i], start[i + 1]):
        d = x[nbr[s]] - xi
        length = wp.length(d)
        f = f + d * (k * (length - rest[s]) / length)
    v1 = v[i] + f * dt
    v_out[i] = v1
    x_out[i] = xi + v1 * dt


def timed_pair(kernel, dim, inputs, outputs, device, with_grads=None):
    """(forward seconds, backward seconds) for one kernel; ``with_grads``: the inputs
    whose gradients the backward pass computes (default: all that have one)."""
    def grad_in(a):
        if not isinstance(a, wp.array):
            return None
        if with_grads is None or any(a is b for b in with_grads):
            return a.grad
        # no gradient: an empty array (None would be the array's own .grad, as in Warp)
        return wp.empty(0, dtype=a.dtype, device=a.device)

    grads_in = [grad_in(a) for a in inputs]
    grads_out = [a.grad for a in outputs]

    def fwd():
        wp.launch(kernel, dim, inputs=inputs, outputs=outputs, device=device)
        wp.synchronize_device(device)

    def bwd():
        wp.launch(kernel, dim, inputs=inputs, outputs=outputs, adj_inputs=grads_in,
                  adj_outputs=grads_out, adjoint=True, device=device)
        wp.synchronize_device(device)

    return best_of(fwd), best_of(bwd)


def vec_array(data, device, grad=True):
    return wp.array(data.astype(np.float32), dtype=wp.vec3, device=device, requires_grad=grad)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--breakdown", action="store_true",
                        help="also time springs' backward scattering into some gradients")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    devices = ["cpu"] + (["cuda:0"] if wp.is_cuda_available() else [])
    width = 18 if args.breakdown else 10
    print(f"{'device':8s} {'kernel':{width}s} {'n':>6s} {'forward':>10s} {'backward':>10s} "
          f"{'bwd/fwd':>8s}")
    for device in devices:
        n = 1 << (16 if args.quick else (20 if device == "cpu" else 22))
        X = rng.standard_normal((n, 3))
        x, v, f = (vec_array(rng.standard_normal((n, 3)), device) for _ in range(3))
        x = vec_array(X, device)
        inv_m = wp.array(rng.uniform(0.5, 2.0, n).astype(np.float32), device=device,
                         requires_grad=True)
        xo, vo = vec_array(np.zeros((n, 3)), device), vec_array(np.zeros((n, 3)), device)
        results = [("integrate",) + timed_pair(integrate, n, [x, v, f, inv_m, 0.01],
                                               [xo, vo], device)]
        target = vec_array(X + 0.1, device)
        loss = wp.zeros(1, dtype=float, device=device, requires_grad=True)
        results.append(("energy",) + timed_pair(energy, n, [x, target], [loss], device))
        counts = rng.integers(6, 15, n)
        start = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
        nbr = rng.integers(0, n, int(start[-1])).astype(np.int32)
        rest = wp.array(rng.uniform(0.5, 1.5, int(start[-1])).astype(np.float32),
                        device=device, requires_grad=True)
        spring_inputs = [x, v, wp.array(start, device=device), wp.array(nbr, device=device),
                         rest, 50.0, 0.001]
        results.append(("springs",) + timed_pair(springs, n, spring_inputs, [xo, vo], device))
        if args.breakdown:
            for name, only in (("x", [x]), ("rest", [rest]), ("none", [])):
                results.append((f"springs grads={name}",) + timed_pair(
                    springs, n, spring_inputs, [xo, vo], device, with_grads=only))
        for name, tf, tb in results:
            print(f"{device:8s} {name:{width}s} 2^{int(math.log2(n)):<4d} {tf * 1e3:8.3f}ms "
                  f"{tb * 1e3:8.3f}ms {tb / tf:8.2f}")


if __name__ == "__main__":
    main()
