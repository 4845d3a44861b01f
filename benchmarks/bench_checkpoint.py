"""Long rollouts: the gradient of a 10,000-step particle rollout with a plain ``wp.Tape``
(one state array per step, as Warp's examples keep them) and with
``wp.checkpointed_rollout`` (checkpoints every sqrt(steps) steps, one segment recomputed at
a time): peak array memory (``wp.ScopedMemoryTracker``), time of the forward and the
backward pass, and the largest difference between the two gradients.

Run ``python benchmarks/bench_checkpoint.py [--steps 10000] [--particles N] [--device D]``
(``--plain-limit-gb``: skip the plain tape when its arrays would need more).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import numba_warp as wp  # noqa: E402


@wp.kernel
def integrate(x: wp.array(dtype=wp.vec3), v: wp.array(dtype=wp.vec3),
              drag: wp.array(dtype=float), dt: float,
              x_out: wp.array(dtype=wp.vec3), v_out: wp.array(dtype=wp.vec3)):
    i = wp.tid()
    a = wp.vec3(0.0, -9.8, 0.0) - drag[0] * v[i] * wp.length(v[i])
    vn = v[i] + a * dt
    xn = x[i] + vn * dt
    if xn[1] < 0.0:
        xn = wp.vec3(xn[0], -xn[1], xn[2])
        vn = wp.vec3(vn[0], -0.8 * vn[1], vn[2])
    x_out[i] = xn
    v_out[i] = vn


@wp.kernel
def energy(x: wp.array(dtype=wp.vec3), v: wp.array(dtype=wp.vec3), loss: wp.array(dtype=float)):
    i = wp.tid()
    wp.atomic_add(loss, 0, wp.dot(v[i], v[i]) + x[i][1])


def _initial(n, device):
    rng = np.random.default_rng(0)
    x0 = wp.array(rng.uniform(0, 2, (n, 3)), dtype=wp.vec3, device=device, requires_grad=True)
    v0 = wp.array(rng.uniform(-1, 1, (n, 3)), dtype=wp.vec3, device=device, requires_grad=True)
    drag = wp.array([0.05], dtype=float, device=device, requires_grad=True)
    return x0, v0, drag


def _timed(rollout, n, steps, device):
    """Run ``rollout(x0, v0, drag, loss)`` on a tape, then its backward pass: (forward s,
    backward s, the gradients of v0 and drag)."""
    x0, v0, drag = _initial(n, device)
    loss = wp.zeros(1, device=device, requires_grad=True)
    tape = wp.Tape()
    t0 = time.perf_counter()
    with tape:
        rollout(x0, v0, drag, loss)
    wp.synchronize_device(device)
    t1 = time.perf_counter()
    tape.backward(loss)
    wp.synchronize_device(device)
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1, (v0.grad.numpy(), drag.grad.numpy())


def plain(n, steps, device, dt=1e-3):
    def rollout(x0, v0, drag, loss):  # one state per step, as Warp's examples keep them
        xs, vs = [x0], [v0]
        for _ in range(steps):
            xs.append(wp.empty_like(x0, requires_grad=True))
            vs.append(wp.empty_like(v0, requires_grad=True))
            wp.launch(integrate, n, inputs=[xs[-2], vs[-2], drag, dt], outputs=[xs[-1], vs[-1]],
                      device=device)
        wp.launch(energy, n, inputs=[xs[-1], vs[-1]], outputs=[loss], device=device)

    return _timed(rollout, n, steps, device)


def checkpointed(n, steps, device, dt=1e-3):
    def rollout(x0, v0, drag, loss):
        def step(t, s_in, s_out):
            wp.launch(integrate, n, inputs=[*s_in, drag, dt], outputs=[*s_out], device=device)

        xf, vf = wp.checkpointed_rollout(step, (x0, v0), steps)
        wp.launch(energy, n, inputs=[xf, vf], outputs=[loss], device=device)

    return _timed(rollout, n, steps, device)


def measure(fn, *args):
    with wp.ScopedMemoryTracker(print=False) as tracker:
        tracker.clear()
        fwd, bwd, grads = fn(*args)
        peak = tracker.peak_bytes()
    return fwd, bwd, grads, peak


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, default=10000)
    ap.add_argument("--particles", type=int, default=None)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--plain-limit-gb", type=float, default=8.0)
    args = ap.parse_args(argv)
    dev = wp.get_device(args.device)
    n = args.particles or (65536 if dev.is_cuda else 1024)
    plain(n, 3, args.device)  # compile both passes
    checkpointed(n, 3, args.device)
    plain_gb = args.steps * 2 * 2 * n * 12 / 2**30  # states and their gradients
    rows = []
    ref = None
    if plain_gb <= args.plain_limit_gb:
        fwd, bwd, ref, peak = measure(plain, n, args.steps, args.device)
        rows.append(("plain wp.Tape", fwd, bwd, peak))
    fwd, bwd, grads, peak = measure(checkpointed, n, args.steps, args.device)
    rows.append(("checkpointed_rollout", fwd, bwd, peak))
    print(f"{args.steps} steps, {n} particles, {dev}")
    print(f"{'':24}{'forward s':>11}{'backward s':>12}{'peak MB':>10}")
    for name, f, b, p in rows:
        print(f"{name:24}{f:11.2f}{b:12.2f}{p / 2**20:10.1f}")
    if ref is not None:
        base, ck = rows[0], rows[1]
        diff = max(float(np.max(np.abs(a - b)) / max(np.max(np.abs(a)), 1e-30))
                   for a, b in zip(ref, grads))
        print(f"memory ratio plain/checkpointed: {base[3] / ck[3]:.1f}x; time ratio "
              f"checkpointed/plain: {(ck[1] + ck[2]) / (base[1] + base[2]):.2f}x; largest "
              f"relative gradient difference: {diff:.1e}")
    else:
        print(f"plain tape skipped: its arrays need {plain_gb:.1f} GB (--plain-limit-gb)")


if __name__ == "__main__":
    main()
