"""``Tape.hvp``: Hessian-vector products of a recorded computation (forward over reverse).

1. The *tangent sweep*: every recorded launch, first to last, runs its tangent replay
   (``autodiff/hessian.py``), which writes the tangents (along ``v``) of what the launch
   wrote into tangent arrays, without writing the arrays themselves again.
2. The *reverse sweep*: every launch, last to first, runs its Hessian body, which does
   what its backward pass does (gradients into ``.grad``) and accumulates the tangents of
   the gradients, ``H v``, into a second array per array.

Both sweeps read the arrays as the forward pass left them, as the backward pass does; the
tape's version check guards the same way.
"""

from __future__ import annotations

from numba.core import types

from .runtime.array import array
from .runtime.factories import zeros
from .runtime.launch import launch_hessian
from .tape import FunctionRecord, check_loss

__all__ = ["tape_hvp"]


def _is_float(a) -> bool:
    """Whether an array's elements have float components (structs: any field)."""
    from .lowering.adjoint_values import is_float_array

    try:
        return is_float_array(types.Array(a.element_type.numba_type, 1, "A"))
    except Exception:
        return False


class _Table:
    """A second array per array (tangents, or tangents of gradients), made on demand."""

    def __init__(self, wanted):
        self.arrays: dict = {}
        self.keep: dict = {}
        self.wanted = wanted

    def get(self, a):
        hit = self.arrays.get(id(a))
        if hit is None and self.wanted(a):
            hit = zeros(a.shape, dtype=a.dtype, device=a.device)
            self.put(a, hit)
        return hit

    def put(self, a, t):
        self.arrays[id(a)] = t
        self.keep[id(a)] = a

    def argument(self, value):
        """The tangent-side argument for a launch argument: an array, a struct of them,
        or None."""
        if isinstance(value, array):
            return self.get(value)
        cls = type(value)
        if hasattr(cls, "_wp_struct_"):
            out = cls()
            for name, spec in cls._wp_struct_.fields:
                if spec.kind in ("array", "struct"):
                    setattr(out, name, self.argument(getattr(value, name)))
            return out
        return None


def tape_hvp(tape, loss, v: dict, seeds: dict | None = None) -> dict:
    """``tape.hvp(loss, v)``; or, with ``loss`` None, the gradient seeds ``{array:
    seed}`` of ``seeds`` (the Hessian of the sum of each array's elements weighted by
    its seed)."""
    if loss is not None:
        check_loss(loss, "tape.hvp")
    if not isinstance(v, dict) or not all(isinstance(a, array) for a in v):
        raise TypeError("tape.hvp(loss, v): v is a dict {array: direction array}")
    if not tape.launches:
        raise RuntimeError("tape.hvp(): nothing was recorded on this tape (since it was created "
                           "or last reset()); run the forward launches inside 'with tape:' "
                           "first")
    for rec in tape.launches:
        if isinstance(rec, FunctionRecord):
            raise RuntimeError(
                f"tape.hvp(): the tape holds '{rec.name}' (launch #{rec.index}), a recorded "
                "function or array copy; Hessian-vector products cover tapes of kernel "
                "launches only. Do the copy in a kernel of the recorded computation.")
        if not rec.kernel.enable_backward:
            raise RuntimeError(f"tape.hvp(): kernel '{rec.name}' (launch #{rec.index}) was "
                               "declared with enable_backward=False")
    # only arrays some launch reads need tangents (a loss accumulated by atomics from
    # every thread, read by none, would cost as much as the rest of the product)
    read = {id(a) for rec in tape.launches for a, _, _ in rec.reads}
    tangents = _Table(lambda a: id(a) in read and _is_float(a))
    for a, d in v.items():
        if not isinstance(d, array) or d.shape != a.shape or d.dtype != a.dtype:
            raise ValueError(
                f"tape.hvp(loss, v): the direction for an array of shape {a.shape} and dtype "
                f"{a.dtype.__name__} must be a wp.array of the same shape and dtype, got "
                f"{type(d).__name__ if not isinstance(d, array) else (d.shape, d.dtype.__name__)}")
        if d.device != a.device:
            raise ValueError(f"tape.hvp(loss, v): a direction is on {d.device}, its array on "
                             f"{a.device}")
        t = zeros(a.shape, dtype=a.dtype, device=a.device)
        t.assign(d)
        tangents.put(a, t)
    from . import config

    if config.check_array_versions:
        tape._check_versions()
    for rec in tape.launches:
        args = [*rec.inputs, *rec.outputs]
        launch_hessian(rec.kernel, rec.dim, args, rec.device, "tangent_replay",
                       [tangents.argument(x) for x in args], max_blocks=rec.max_blocks,
                       block_dim=rec.block_dim)
    if loss is not None:
        tape.loss = loss
        loss.grad.fill_(1.0)
    for a, seed in (seeds or {}).items():
        a.grad.assign(seed)
    hv = _Table(lambda a: a.requires_grad)
    for rec in reversed(tape.launches):
        args = [*rec.inputs, *rec.outputs]
        launch_hessian(rec.kernel, rec.dim, args, rec.device, "hvp",
                       [tangents.argument(x) for x in args],
                       [hv.argument(x) for x in args], max_blocks=rec.max_blocks,
                       block_dim=rec.block_dim)
    return {a: hv.get(a) for a in tape.gradients}
