"""Train a simulation's parameters with torch.optim, through a numba_warp kernel.

256 damped springs each hang a mass, released from rest; each thread simulates one for
200 time steps in a loop inside the kernel. The springs' stiffnesses are a torch
parameter; the loss (in torch) is how far each mass ends from its target height.
``wp.torch_function`` turns the function that launches the kernel into a differentiable
torch function: torch's backward replays the launch's adjoint (exact through the loop),
and Adam fits the stiffnesses. The picture is the loss curve (log scale):
``examples/output/torch_springs.png``.

Needs PyTorch (``pip install torch``).

    python examples/example_torch_springs.py [--device cuda]
"""

from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numba_warp as wp  # noqa: E402
from _image import loss_curve, write_png  # noqa: E402

STEPS, DT = 200, 0.01


@wp.kernel
def hang(stiffness: wp.array(dtype=float), steps: int, dt: float,
         height: wp.array(dtype=float)):
    i = wp.tid()
    y = float(0.0)  # the spring's anchor, rest length 0
    v = float(0.0)
    k = stiffness[i]
    for s in range(steps):
        a = -k * y - 9.81 - 4.0 * v  # spring, gravity, damping (unit mass)
        v = v + a * dt
        y = y + v * dt
    height[i] = y


@wp.torch_function
def simulate(stiffness, steps, dt):
    height = wp.zeros(stiffness.shape[0], dtype=float, device=stiffness.device,
                      requires_grad=True)
    wp.launch(hang, stiffness.shape[0], inputs=[stiffness, steps, dt], outputs=[height],
              device=stiffness.device)
    return height


def run(device="cpu", springs=256, iterations=150, out=None):
    """Fit the stiffnesses; return the losses (one per iteration)."""
    import torch

    tdev = wp.device_to_torch(device)
    gen = torch.Generator().manual_seed(0)
    # targets reachable by stiffnesses between 20 and 60 (the mass settles at -9.81 / k)
    target = (-9.81 / (20.0 + 40.0 * torch.rand(springs, generator=gen))).to(tdev)
    stiffness = torch.full((springs,), 35.0, device=tdev, requires_grad=True)
    opt = torch.optim.Adam([stiffness], lr=1.0)
    losses = []
    for _ in range(iterations):
        opt.zero_grad()
        loss = (simulate(stiffness, STEPS, DT) - target).square().mean()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    if out is not None:
        write_png(out, loss_curve(losses))
    return losses


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "output",
                       "torch_springs.png")
    losses = run(args.device, out=out)
    print(f"mean squared height error: {losses[0]:.3e} -> {losses[-1]:.3e}; wrote {out}")


if __name__ == "__main__":
    main()
