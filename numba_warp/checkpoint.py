"""Checkpointed rollouts: gradients of long simulations in O(sqrt(steps)) memory.

A differentiable rollout recorded on a ``wp.Tape`` keeps every intermediate state (the
backward pass reads them), so memory grows with the number of steps: Warp's users run out
of it at a few thousand steps (NVIDIA/warp#393, #524, #1963). :func:`checkpointed_rollout`
runs the steps with two state buffers, keeps a copy of the state every ``every`` steps,
and records the whole rollout on the tape as one entry. Its backward pass walks the
segments last to first: it restores the segment's first state, re-runs the segment's steps
on a tape of its own (``every`` states), seeds that tape with the gradient coming from the
later segment and runs its backward pass. Memory: ``steps / every`` checkpoints plus one
segment of ``every`` states and their gradients (``every = sqrt(steps)`` by default: about
``3 sqrt(steps)`` states in all). Time: the forward steps run twice. The gradients are the
full tape's (the same kernels on the same values), for deterministic steps.

Arrays the steps read besides the state (parameters, forces, ...) receive their gradients
as on a plain tape, and the tape's version checks cover them: writing one after the
rollout and before ``tape.backward()`` raises there.
"""

from __future__ import annotations

import copy
import math

from .runtime import recording
from .runtime.array import array
from .runtime.factories import clone, zeros_like
from .tape import FunctionRecord, Tape

__all__ = ["checkpointed_rollout"]


# -- states: a wp.array, a list/tuple/dict of them, a @wp.struct or an object with arrays ---

def _arrays(state) -> list:
    """The arrays of ``state``, in a fixed order."""
    if isinstance(state, array):
        return [state]
    if isinstance(state, (list, tuple)):
        return [a for s in state for a in _arrays(s)]
    if isinstance(state, dict):
        return [a for s in state.values() for a in _arrays(s)]
    fields = _fields(state)
    return [a for name in fields for a in _arrays(getattr(state, name))]


def _fields(state) -> list:
    struct = getattr(type(state), "_wp_struct_", None)
    if struct is not None:
        return [name for name, _ in struct.fields]
    return list(vars(state)) if hasattr(state, "__dict__") else []


def _rebuild(state, make):
    """A state shaped like ``state`` whose arrays are ``make(array)``; other values are
    copied."""
    if isinstance(state, array):
        return make(state)
    if isinstance(state, (list, tuple)):
        return type(state)(_rebuild(s, make) for s in state)
    if isinstance(state, dict):
        return {k: _rebuild(v, make) for k, v in state.items()}
    fields = _fields(state)
    if not fields:
        return copy.copy(state)
    out = type(state)() if hasattr(type(state), "_wp_struct_") else copy.copy(state)
    for name in fields:
        setattr(out, name, _rebuild(getattr(state, name), make))
    return out


def _differentiable(a) -> bool:
    return a.dtype is not None and a.element_type.scalar_np.kind == "f"


def _snapshot(state):
    """A copy of ``state``'s values (no gradients)."""
    return _rebuild(state, lambda a: clone(a, requires_grad=False))


def _buffer(state, grads: bool):
    """A state like ``state`` (zeros); float arrays get gradients when ``grads``."""
    return _rebuild(state, lambda a: zeros_like(
        a, requires_grad=grads and (a.requires_grad or _differentiable(a))))


def _assign(dst, src) -> None:
    for d, s in zip(_arrays(dst), _arrays(src)):
        d.assign(s)


class _ReadLog:
    """An observer of the forward steps: the arrays they read besides the state buffers,
    with their versions (for the tape's overwrite checks)."""

    def __init__(self, own: set):
        self.own = own
        self.reads: dict = {}

    def record_launch(self, kernel, dim, max_blocks, inputs, outputs, device, block_dim=0,
                      metadata=None, reads=None):
        for arr, version, where in reads or ():
            if id(arr) not in self.own:
                self.reads.setdefault(id(arr), (arr, version, f"{kernel.key}.{where}"))

    def record_copy(self, dest, src, what, dest_offset=0, src_offset=0, count=0):
        if id(src) not in self.own:
            self.reads.setdefault(id(src), (src, src.version, what))


def checkpointed_rollout(step, state, steps: int, every: int | None = None):
    """Run ``step(t, state_in, state_out)`` for ``t = 0 .. steps-1`` from ``state`` and
    return the final state; on a recording ``wp.Tape``, differentiable in
    O(sqrt(steps)) memory (module docstring).

    ``step`` launches kernels that read ``state_in`` and write every array of
    ``state_out`` (and may read other arrays: parameters get gradients as on a plain
    tape); it must not keep the states it is given. ``state``: a ``wp.array``, a
    list/tuple/dict of arrays, a ``@wp.struct`` or an object whose attributes hold arrays
    (a ``Model``-style state); the returned state is a new one of the same shape.
    ``every``: steps between checkpoints (default ``ceil(sqrt(steps))``).

    Example
    -------
    >>> @wp.kernel
    ... def decay(x: wp.array(dtype=float), k: wp.array(dtype=float),
    ...           y: wp.array(dtype=float)):
    ...     i = wp.tid()
    ...     y[i] = x[i] * (1.0 - k[0])
    >>> x0 = wp.array([1.0, 2.0], dtype=float, requires_grad=True)
    >>> k = wp.array([0.01], dtype=float, requires_grad=True)
    >>> loss = wp.zeros(1, dtype=float, requires_grad=True)
    >>> @wp.kernel
    ... def total(x: wp.array(dtype=float), loss: wp.array(dtype=float)):
    ...     wp.atomic_add(loss, 0, x[wp.tid()])
    >>> tape = wp.Tape()
    >>> with tape:
    ...     final = wp.checkpointed_rollout(
    ...         lambda t, a, b: wp.launch(decay, 2, inputs=[a, k], outputs=[b]), x0, 100)
    ...     wp.launch(total, 2, inputs=[final], outputs=[loss])
    >>> tape.backward(loss)  # d loss / d x0 = 0.99 ** 100, d loss / d k = -300 * 0.99 ** 99
    >>> print(x0.grad.numpy().round(4), k.grad.numpy().round(2))
    [0.366 0.366] [-110.92]
    """
    if not callable(step):
        raise TypeError(f"checkpointed_rollout(step, ...): step must be callable, got "
                        f"{type(step).__name__}")
    if not isinstance(steps, int) or steps < 1:
        raise ValueError(f"checkpointed_rollout: steps must be a positive int, got {steps!r}")
    every = math.ceil(math.sqrt(steps)) if every is None else every
    if not isinstance(every, int) or every < 1:
        raise ValueError(f"checkpointed_rollout: every must be a positive int, got {every!r}")
    if not _arrays(state):
        raise TypeError("checkpointed_rollout: the state holds no wp.array (give a wp.array, "
                        "a list/tuple/dict of arrays, a @wp.struct or an object with array "
                        "attributes)")
    outer = recording.current()
    buffers = [_buffer(state, False), _buffer(state, False)]
    own = {id(a) for s in (state, *buffers) for a in _arrays(s)}
    log = _ReadLog(own)
    checkpoints = [_snapshot(state)]
    if outer is not None:
        recording.uninstall(outer)
    recording.install(log)
    try:
        current = state
        for t in range(steps):
            nxt = buffers[t % 2]
            step(t, current, nxt)
            current = nxt
            if (t + 1) % every == 0 and t + 1 < steps:
                checkpoints.append(_snapshot(current))
    finally:
        recording.uninstall(log)
        if outer is not None:
            recording.install(outer)
    final = _rebuild(current, lambda a: clone(a, requires_grad=a.requires_grad or
                                              _differentiable(a)))
    del buffers
    if isinstance(outer, Tape):
        backward = _Backward(step, state, final, checkpoints, steps, every)
        arrays = [a for a in (*_arrays(state), *_arrays(final)) if a.grad is not None]
        reads = list(log.reads.values())
        outer._add(FunctionRecord(backward, arrays, "checkpointed_rollout", reads))
        for a in (*arrays, *(r[0] for r in reads)):
            outer._note_grad(a)
    return final


class _Backward:
    """The rollout's backward pass, segment by segment (see the module docstring)."""

    def __init__(self, step, initial, final, checkpoints, steps, every):
        self.step, self.initial, self.final = step, initial, final
        self.checkpoints, self.steps, self.every = checkpoints, steps, every
        self.__name__ = "checkpointed_rollout"

    def __call__(self):
        carry = [a.grad for a in _arrays(self.final)]
        for s in reversed(range(len(self.checkpoints))):
            start = s * self.every
            end = min(start + self.every, self.steps)
            carry = self._segment(self.checkpoints[s], start, end, carry)
        for a, g in zip(_arrays(self.initial), carry):
            if a.grad is not None and g is not None:
                a.grad += g

    def _segment(self, checkpoint, start, end, seeds):
        states = [_buffer(checkpoint, True) for _ in range(end - start + 1)]
        _assign(states[0], checkpoint)
        tape = Tape()
        with tape:
            for t in range(start, end):
                self.step(t, states[t - start], states[t - start + 1])
        for a, g in zip(_arrays(states[-1]), seeds):
            if a.grad is not None and g is not None:
                a.grad.assign(g)
        tape.backward()
        return [a.grad for a in _arrays(states[0])]
