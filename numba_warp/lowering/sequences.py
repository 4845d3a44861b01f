"""Helpers the code generator writes for sequences and truth values (never called by users).

* ``truth(x)``: Python's truth value of a number or bool, as a bool. ``a and b`` / ``a or
  b`` in kernels give a bool, as in Warp (C's ``&&`` / ``||``); the code generator writes
  ``truth(a) and truth(b)``, which keeps Python's short-circuit evaluation.
* ``iter_len(seq)``: the number of items a ``for`` loop over a vector, quaternion,
  transform, matrix (its rows) or tuple runs, known when the code is typed.
* ``spread(seq)``: the items of such a value as a tuple, for ``f(*v)`` calls whose
  length the code generator could not see.
* ``reversed_range(start, stop, step)``: ``(first, end, step)`` of the range that runs
  ``reversed(range(start, stop, step))`` (Warp's ``reversed``).
* ``one_like(x)``: a value of ``x``'s type with every float component 1 (the output
  adjoint ``wp.grad(f)`` seeds, as Warp's ``T(1)``), and :func:`builtin_grad`, the
  callable ``wp.grad(<builtin>)(...)`` is written as.

Arrays are refused with the message Warp users need: loop with ``range`` and index.
"""

from __future__ import annotations

from numba.core import types
from numba.core.errors import TypingError
from numba.extending import intrinsic

from ..typing.mat import MatType
from ..typing.vec import VecType
from .adjoint_values import accum, adj_zero
from .builtin import implements, nondifferentiable
from .registry import is_constructor, rule_for

__all__ = ["truth", "iter_len", "spread", "one_like", "builtin_grad", "grad_source",
           "reversed_range"]


def truth(x):
    return bool(x)


@implements(truth)
def _ol_truth(x):
    if isinstance(x, types.Boolean):
        return lambda x: x
    if isinstance(x, (types.Integer, types.Float)):
        return lambda x: x != 0
    raise TypingError(f"'and' / 'or' / 'not' take numbers or booleans in kernels, got {x}")


def _length(seq, what: str) -> int:
    if isinstance(seq, types.Array):
        raise TypingError(
            f"{what} an array ({seq}) is not supported: its length is known only at run "
            "time. Loop over its indices instead: 'for i in range(a.shape[0]): x = a[i]'.")
    if isinstance(seq, VecType):
        return seq.length
    if isinstance(seq, MatType):
        return seq.shape[0]
    if isinstance(seq, types.BaseTuple):
        return len(seq)
    raise TypingError(f"{what} a value of type {seq} is not supported; vectors, "
                      "quaternions, transforms, matrices (their rows) and tuples are")


def iter_len(seq):
    return len(seq)


@implements(iter_len)
def _ol_iter_len(seq):
    n = _length(seq, "a 'for' loop over")
    if isinstance(seq, types.BaseTuple) and not isinstance(seq, types.UniTuple) and n:
        raise TypingError(
            f"a 'for' loop over a tuple of mixed element types ({seq}) needs its length when "
            "the kernel is built and no 'break'/'continue' in its body, so that it can be "
            "unrolled: loop over the tuple literal itself, or over wp.static(...)")
    return lambda seq: n


def spread(seq):
    return tuple(seq)


@implements(spread)
def _ol_spread(seq):
    n = _length(seq, "a starred argument (*x) of")
    if isinstance(seq, types.BaseTuple):
        return lambda seq: seq
    return _spread_impl(n)


_SPREAD: dict = {}


def _spread_impl(n: int):
    impl = _SPREAD.get(n)
    if impl is None:
        items = "".join(f"seq[{k}], " for k in range(n))
        scope = {}
        exec(f"def impl(seq):\n    return ({items})\n", scope)  # noqa: S102 - our own text
        impl = _SPREAD[n] = scope["impl"]
    return impl


def reversed_range(start, stop, step):
    r = range(start, stop, step)
    return (r[-1], r[0] - step, -step) if r else (start, start, -step)


@implements(reversed_range)
def _ol_reversed_range(start, stop, step):
    def impl(start, stop, step):
        n = len(range(start, stop, step))
        return start + (n - 1) * step, start - step, -step

    return impl


def _one(context, builder, ty):
    if isinstance(ty, types.Float):
        return context.get_constant(ty, 1.0)
    if isinstance(ty, (types.Integer, types.Boolean)):
        return context.get_constant(ty, 1)
    if isinstance(ty, VecType):
        parts = [ty.dtype] * ty.length
    elif isinstance(ty, MatType):
        parts = [ty.dtype] * ty.count
    elif isinstance(ty, types.BaseTuple):
        parts = list(ty.types)
    else:
        raise TypingError(f"wp.grad() cannot seed an output adjoint of type {ty}")
    out = context.get_constant_undef(ty)
    for k, pt in enumerate(parts):
        out = builder.insert_value(out, _one(context, builder, pt), k)
    return out


@intrinsic
def one_like(typingctx, x):
    """A value of ``x``'s type whose every component is 1."""
    t = types.unliteral(x)
    _check_one(t)

    def codegen(context, builder, sig, args):
        return _one(context, builder, t)

    return t(x), codegen


def _check_one(t):
    if isinstance(t, types.BaseTuple):
        for et in t.types:
            _check_one(et)
    elif not isinstance(t, (types.Number, types.Boolean, VecType, MatType)):
        raise TypingError(f"wp.grad() needs a function that returns numbers, vectors or "
                          f"matrices, got {t}")


def grad_source(n: int, forward: str, adjoint: str, user: bool, n_out: int = 0) -> str:
    """Source of ``impl(a0, ..., a{n-1})`` returning the adjoints of the inputs of
    ``forward`` for an output adjoint of ones: the rule ``adjoint`` of a builtin takes
    ``(args..., ret, adj_ret)`` and returns contributions; a user function's adjoint
    takes ``(args..., adj_args..., adj_ret)`` and returns the adjoints of all its
    ``n_out`` parameters (those left to their defaults too, as in Warp)."""
    args = [f"a{k}" for k in range(n)]
    head = f"def impl({', '.join(args)}):\n    r = {forward}({', '.join(args)})\n"
    if user:
        zeros = [f"adj_zero({a})" for a in args]
        body = f"    c = {adjoint}({', '.join(args + zeros)}, one_like(r))\n"
        out = [f"c[{k}]" for k in range(n_out or n)]
    else:
        body = f"    c = {adjoint}({', '.join(args)}, r, one_like(r))\n"
        out = [f"accum(adj_zero({a}), c[{k}])" for k, a in enumerate(args)]
    result = out[0] if len(out) == 1 else f"({', '.join(out)},)"
    return head + body + f"    return {result}\n"


_GRADS: dict = {}


def builtin_grad(fn):
    """A kernel-callable ``g(*args)`` giving the adjoints of the builtin ``fn``'s inputs
    for an output adjoint of ones (``wp.grad(fn)``), or None when ``fn`` has no adjoint
    rule."""
    try:
        rule = rule_for(fn)
    except TypeError:
        return None
    if rule is None or is_constructor(fn) or isinstance(fn, type):
        return None
    stub = _GRADS.get(id(fn))
    if stub is not None:
        return stub

    def stub(*args):
        raise RuntimeError("wp.grad(f)(...) can only be called inside Warp kernels")

    stub.__name__ = stub.__qualname__ = f"grad_{getattr(fn, '__name__', 'builtin')}"
    impls: dict = {}

    @implements(stub, strict=False)
    def _ol_grad(*args):
        n = len(args)
        if n not in impls:
            scope = {"F": fn, "R": rule, "one_like": one_like, "accum": accum,
                     "adj_zero": adj_zero}
            exec(grad_source(n, "F", "R", user=False), scope)  # noqa: S102 - our own text
            impls[n] = scope["impl"]
        return impls[n]

    nondifferentiable(stub)
    _GRADS[id(fn)] = stub
    return stub


nondifferentiable(truth, iter_len, one_like, reversed_range)
