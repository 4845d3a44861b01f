"""Gradients through a dynamic loop, where NVIDIA Warp's are wrong: an inverse problem.

64 savings plans grow at one varying yearly rate, each for its own number of years (a
loop whose trip count is read from an array, its value carried from one year to the
next); from noisy observations of their final values, find the rate. The tape's
gradient of the misfit is checked against central finite differences at 41 rates, and
gradient descent on it lands on the least-squares rate (found independently by a
golden-section search on the loss alone). When NVIDIA Warp (``pip install warp-lang``)
is importable the same kernel runs under Warp too: its gradient of this loop is off by
up to ~30%, so its descent ends where that wrong gradient vanishes, not at the minimum
(Warp's documentation lists dynamic loops with loop-carried values among its autodiff
limitations). Run ``python examples/example_loop_gradient.py [--device cuda]``; writes
``examples/output/loop_gradient.png``: d loss/d rate over the rates (finite differences
grey, numba_warp blue on top of it, Warp red) and below, each gradient's relative error
against the finite differences on a log scale.
"""

from __future__ import annotations

import argparse
import importlib
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import numba_warp  # noqa: E402
from _image import write_png  # noqa: E402


def make_kernels(wp):
    """The program's kernels, written once, for ``wp`` (numba_warp or NVIDIA Warp)."""
    f64 = wp.float64

    @wp.kernel
    def grow(rate: wp.array(dtype=f64), years: wp.array(dtype=int),
             value: wp.array(dtype=f64)):
        i = wp.tid()
        v = f64(100.0)
        r = rate[0]  # (one rate for all the plans)
        for k in range(years[i]):  # dynamic trip count, value carried across years
            v = v * (f64(1.0) + r * (f64(1.0) + f64(0.5) * wp.sin(f64(k))))
        value[i] = v

    @wp.kernel
    def misfit(value: wp.array(dtype=f64), target: wp.array(dtype=f64),
               loss: wp.array(dtype=f64)):
        i = wp.tid()
        r = value[i] / target[i] - f64(1.0)
        wp.atomic_add(loss, 0, r * r)

    return grow, misfit


class Problem:
    """The plans, and loss/gradient evaluations under one library."""

    def __init__(self, wp, device, years, target):
        self.wp, self.device = wp, device
        self.grow, self.misfit = make_kernels(wp)
        self.years = wp.array(years, dtype=int, device=device)
        self.target = wp.array(target, dtype=wp.float64, device=device)

    def value(self, rate: np.ndarray) -> np.ndarray:
        wp = self.wp
        r = wp.array(rate, dtype=wp.float64, device=self.device)
        n = self.years.shape[0]
        v = wp.zeros(n, dtype=wp.float64, device=self.device)
        wp.launch(self.grow, n, inputs=[r, self.years], outputs=[v], device=self.device)
        return v.numpy()

    def loss_and_grad(self, rate: np.ndarray) -> tuple[float, np.ndarray]:
        wp = self.wp
        r = wp.array(rate, dtype=wp.float64, device=self.device, requires_grad=True)
        n = self.years.shape[0]
        v = wp.zeros(n, dtype=wp.float64, device=self.device, requires_grad=True)
        loss = wp.zeros(1, dtype=wp.float64, device=self.device, requires_grad=True)
        tape = wp.Tape()
        with tape:
            wp.launch(self.grow, n, inputs=[r, self.years], outputs=[v], device=self.device)
            wp.launch(self.misfit, n, inputs=[v, self.target], outputs=[loss],
                      device=self.device)
        tape.backward(loss)
        return float(loss.numpy()[0]), r.grad.numpy()


def golden_section(f, a: float, b: float, steps: int = 80) -> float:
    """The minimiser of a unimodal ``f`` on [a, b], from values alone (no gradient)."""
    g = (math.sqrt(5.0) - 1.0) / 2.0
    for _ in range(steps):
        c, d = b - g * (b - a), a + g * (b - a)
        if f(c) < f(d):
            b = d
        else:
            a = c
    return 0.5 * (a + b)


def descend(problem: Problem, rate: float, iterations: int, lr: float) -> tuple:
    """Gradient descent on the rate: the losses and where it ends."""
    losses = []
    for _ in range(iterations):
        loss, grad = problem.loss_and_grad(np.array([rate]))
        losses.append(loss)
        rate -= lr * float(grad[0])
    return losses, rate


def run(device="cpu", plans=64, iterations=400, out=None, with_warp=True) -> dict:
    rng = np.random.default_rng(7)
    years = rng.integers(3, 40, plans).astype(np.int32)
    ours = Problem(numba_warp, device, years, np.ones(plans))
    # noisy observations of plans that grew at 4%: the least-squares rate is near 0.04
    target = ours.value(np.array([0.04])) * (1.0 + 0.05 * rng.standard_normal(plans))
    ours.target.assign(target)

    def loss(rate: float) -> float:
        return float(np.sum((ours.value(np.array([rate])) / target - 1.0) ** 2))

    rates = np.linspace(0.02, 0.06, 41)
    h = 1e-7
    result = {"rates": rates,
              "fd": np.array([(loss(r + h) - loss(r - h)) / (2 * h) for r in rates]),
              "grad": np.array([ours.loss_and_grad(np.array([r]))[1][0] for r in rates])}
    scale = np.maximum(np.abs(result["fd"]), 1.0)
    result["grad_error"] = float(np.max(np.abs(result["grad"] - result["fd"]) / scale))
    result["optimum"] = golden_section(loss, 0.0, 0.1)
    result["losses"], result["fitted"] = descend(ours, 0.02, iterations, lr=2e-6)
    warp = _warp() if with_warp else None
    if warp is not None and (device == "cpu" or warp.is_cuda_available()):
        theirs = Problem(warp, device, years, target)
        result["warp_grad"] = np.array([theirs.loss_and_grad(np.array([r]))[1][0]
                                        for r in rates])
        result["warp_grad_error"] = float(np.max(np.abs(result["warp_grad"] - result["fd"])
                                                 / scale))
        result["warp_losses"], result["warp_fitted"] = descend(theirs, 0.02, iterations,
                                                               lr=2e-6)
    if out is not None:
        _plot(out, rates, result["fd"], result["grad"], result.get("warp_grad"))
    return result


def _warp():
    try:
        warp = importlib.import_module("warp")
    except ImportError:
        return None
    warp.config.quiet = True
    return warp


def _polyline(img, xs, ys, colour, width):
    """The line through the points, one pixel column at a time (``width`` pixels either
    side)."""
    cols = np.arange(int(xs[0]), int(xs[-1]) + 1)
    rows = np.interp(cols, xs, ys).astype(int)
    for k, x in enumerate(cols):
        lo, hi = sorted((rows[max(k - 1, 0)], rows[k]))
        img[max(0, lo - width):hi + width + 1, x] = colour


def _panel(img, top, height, curves, transform):
    """Curves (value arrays, colour, width) in rows top..top+height, with axes."""
    w = img.shape[1]
    shown = [transform(c) for c, _, _ in curves]
    lo, hi = min(v.min() for v in shown), max(v.max() for v in shown)
    hi = hi if hi > lo else lo + 1.0
    img[top + height, 30:w - 10] = (0, 0, 0)
    img[top:top + height, 30] = (0, 0, 0)
    for values, (_, colour, width) in zip(shown, curves):
        xs = np.linspace(31, w - 11, len(values))
        ys = top + (height - 1) - (values - lo) / (hi - lo) * (height - 1)
        _polyline(img, xs, ys, colour, width)
    return lo, hi


def _plot(path_png, rates, fd, grad, warp_grad, size=(420, 560)):
    """Top: d loss/d rate over the rates (arcsinh scale): finite differences thick grey,
    numba_warp blue on top of it, NVIDIA Warp red. Bottom: log10 of each gradient's
    relative error against the finite differences (blue near 1e-9, red near 1e-1)."""
    h, w = size
    img = np.full((h, w, 3), 255, np.uint8)
    curves = [(fd, (175, 175, 175), 3), (grad, (40, 90, 220), 0)]
    if warp_grad is not None:
        curves.append((warp_grad, (220, 50, 40), 0))
    lo, hi = _panel(img, 8, 230, curves, lambda c: np.arcsinh(c / 10.0))
    zero = int(8 + 229 - (0.0 - lo) / (hi - lo) * 229)
    img[zero, 30:w - 10:6] = (0, 0, 0)
    scale = np.maximum(np.abs(fd), 1.0)
    errors = [(np.abs(c - fd) / scale, colour, 1) for c, colour, _ in curves[1:]]
    lo, hi = _panel(img, 262, 140, errors, lambda e: np.log10(np.maximum(e, 1e-16)))
    for decade in range(math.ceil(lo), math.floor(hi) + 1):  # a tick per decade
        img[int(262 + 139 - (decade - lo) / (hi - lo) * 139), 25:31] = (0, 0, 0)
    write_png(path_png, img)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "output",
                                                      "loop_gradient.png"))
    args = parser.parse_args(argv)
    r = run(args.device, out=args.out)
    print(f"d loss/d rate at 41 rates against central finite differences: worst relative "
          f"error {r['grad_error']:.1e}")
    print(f"gradient descent: loss {r['losses'][0]:.4e} -> {r['losses'][-1]:.6e}, rate "
          f"{r['fitted']:.8f}; the least-squares rate (golden section on the loss alone) is "
          f"{r['optimum']:.8f}")
    if "warp_grad" in r:
        print(f"NVIDIA Warp, same kernel: gradient off by up to {100 * r['warp_grad_error']:.0f}"
              f"%; descent ends at rate {r['warp_fitted']:.8f}, loss "
              f"{r['warp_losses'][-1]:.6e} (the gradient it follows is not the loss's)")
    else:
        print("(pip install warp-lang to see NVIDIA Warp's gradient of the same loop)")
    print(f"wrote {args.out}")
    return r


if __name__ == "__main__":
    main()
