"""Forward-mode differentiation of kernels: Jacobian-vector products (numba_warp only).

The adjoint compiler also writes a *tangent* body for every kernel and ``@wp.func``
(``autodiff/tangent.py``): the forward computation carrying, beside each value, its
directional derivative along given input tangents. ``wp.launch(...,
tangent_inputs=..., tangent_outputs=...)`` runs it; :func:`jvp` is the convenience form
that allocates the output tangents.

Forward mode gives ``J v`` (how every output moves when the inputs move along ``v``) in
one launch, at about two to three times the forward cost, with no tape and no memory
beyond the tangent arrays; reverse mode (``wp.Tape``) gives ``u^T J``. Use forward mode
for few input directions and many outputs (sensitivities of a whole trajectory to one
parameter), reverse mode for one scalar loss and many inputs.
"""

from __future__ import annotations

import typing

from .runtime.array import array
from .runtime.factories import zeros_like
from .runtime.launch import launch

__all__ = ["jvp"]


def jvp(kernel, dim, inputs: typing.Sequence, tangent_inputs: typing.Sequence,
        outputs: typing.Sequence = (), device=None, stream=None, **launch_options) -> list:
    """Launch ``kernel`` and return the tangents of its outputs along ``tangent_inputs``.

    ``tangent_inputs`` matches ``inputs``: for each array argument an array of its shape
    and type holding the input direction, or None (no tangent: held constant). The
    kernel runs as with :func:`wp.launch` (it writes ``outputs``), and one new array per
    output array, zeroed and of the output's shape and type, receives the directional
    derivative of what the kernel writes there (None for outputs that are not arrays).

    Example
    -------
    >>> @wp.kernel
    ... def cube(x: wp.array(dtype=float), y: wp.array(dtype=float)):
    ...     i = wp.tid()
    ...     y[i] = x[i] * x[i] * x[i]
    >>> x = wp.array([1.0, 2.0], dtype=float)
    >>> y = wp.zeros(2, dtype=float)
    >>> (dy,) = wp.jvp(cube, 2, inputs=[x], tangent_inputs=[wp.ones(2, dtype=float)],
    ...                outputs=[y])
    >>> print(y.numpy(), dy.numpy())
    [1. 8.] [ 3. 12.]
    """
    tangent_outputs = [zeros_like(o) if isinstance(o, array) else None for o in outputs]
    launch(kernel, dim, inputs=inputs, outputs=outputs, device=device, stream=stream,
           tangent_inputs=tangent_inputs, tangent_outputs=tangent_outputs, **launch_options)
    return tangent_outputs
