"""``wp.grad(f)(args)`` in kernel code.

Warp's ``wp.grad(f)`` called with ``f``'s arguments gives the adjoints of ``f``'s inputs for
an output adjoint of ones (``T(1)``: every component of a vector), one value for one
input, else a tuple. It runs in the forward pass; a backward pass treats the result as a
constant. The call becomes a call of ``f``'s grad callable: ``Function.grad_callable()``
for a ``@wp.func``, ``lowering.sequences.builtin_grad`` for a builtin with an adjoint
rule.
"""

from __future__ import annotations

import ast

from .. import lang
from ..lowering import sequences as seq_helpers
from .protocols import UserFunction
from .resolve import Unresolved
from .unroll import resolves_to

__all__ = ["grad_call"]


def grad_call(tr, node: ast.Call):
    """``wp.grad(f)(args)``: the adjoints of ``f``'s inputs for an output adjoint of
    ones, computed in the forward pass (a constant for the backward pass, as in
    Warp)."""
    maker = node.func
    if len(maker.args) != 1 or maker.keywords:
        raise tr.parsed.error("wp.grad() takes one function", maker)
    inner = maker.args[0]
    if isinstance(inner, ast.Call) and tr.is_outside(inner.func) and \
            resolves_to(tr, inner.func, lang.static) and len(inner.args) == 1:
        try:
            target = tr.resolver.evaluate(inner.args[0], tr.unrolled)
        except Exception as exc:  # the user's expression failed; say which and why
            raise tr.parsed.error(f"wp.static() expression failed: {exc!r}", inner) from None
    elif isinstance(inner, ast.Name) and inner.id in tr.unrolled:
        target = tr.unrolled[inner.id]
    else:
        try:
            target = tr.resolver.resolve(inner) if tr.is_outside(inner) else None
        except Unresolved:
            target = None
    if isinstance(target, UserFunction):
        callable_ = target.grad_callable()
    else:
        callable_ = seq_helpers.builtin_grad(target)
        if callable_ is None:
            raise tr.parsed.error(
                f"wp.grad() takes a @wp.func or a differentiable builtin, got "
                f"'{ast.unparse(inner)}'", maker)
    if node.keywords:
        raise tr.parsed.error("wp.grad(f)(...) takes its arguments by position", node)
    args = [tr.visit(a) for a in node.args]
    name = getattr(target, "__name__", "f")
    return ast.copy_location(ast.Call(tr.ref(callable_, f"grad_{name}"), args, []), node)
