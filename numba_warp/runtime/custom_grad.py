"""``@wp.func_grad`` and ``@wp.func_replay``: user-written backward code for a function.

A custom gradient of ``f(x, y)`` is written as ``adj_f(x, y, adj_ret)`` and adds to the
inputs' adjoints with ``wp.adjoint[x] += ...`` (Warp's convention; for a function with
several return values, one ``adj_`` parameter per value). It is compiled into
``f__adj(x, y, adj_x, adj_y, adj_ret) -> (adj_x, adj_y)``, the form every function's
generated adjoint has, so custom gradients nest: a custom gradient may call functions
that have their own, and functions with custom gradients may be called anywhere.

A custom replay ``replay_f(x, y)`` has ``f``'s signature; the backward pass of a caller
runs it instead of ``f`` to recompute ``f``'s value (for functions with side effects).
"""

from __future__ import annotations

import ast
import copy

from ..frontend.errors import DeferredError, WarpCodegenError
from ..frontend.fence import check_annotations, check_syntax
from ..frontend.naming import adj
from ..frontend.source import ParsedFunction, parse_function
from ..lazy import LazyModule
from ..typing.argspec import arg_spec_from_annotation
from .cache import load_generated_module
from .func import Function, func, resolve_annotations

__all__ = ["func_grad", "func_replay", "adjoint", "CustomGrad"]

# needed to compile only (see numba_warp/lazy.py): imported at the first compile
_codegen = LazyModule("numba_warp.frontend.codegen")


class _Adjoint:
    """``wp.adjoint[x]`` in a ``@wp.func_grad`` body: the adjoint of parameter ``x``."""

    def __getitem__(self, item):
        raise RuntimeError("wp.adjoint[...] can only be used inside a @wp.func_grad function")


adjoint = _Adjoint()


def _is_adjoint_ref(node) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "adjoint") or \
        (isinstance(node, ast.Name) and node.id == "adjoint")


class _RewriteAdjoint(ast.NodeTransformer):
    def __init__(self, params, parsed, names):
        self.params = params
        self.parsed = parsed
        self.names = names  # parameter -> the generated variable holding its adjoint

    def visit_Subscript(self, node):
        self.generic_visit(node)
        if _is_adjoint_ref(node.value):
            key = node.slice
            if not (isinstance(key, ast.Name) and key.id in self.params):
                raise self.parsed.error(
                    f"wp.adjoint[...] takes a parameter name of the function "
                    f"({', '.join(self.params)}), got '{ast.unparse(key)}'", node)
            return ast.copy_location(ast.Name(self.names[key.id], type(node.ctx)()), node)
        return node


class CustomGrad:
    """A ``@wp.func_grad`` function, compiled per overload of the function it differentiates."""

    def __init__(self, fn, function):
        self.fn = fn
        self.function = function
        # as in Warp, missing annotations and a signature that fits no overload fail
        # here; other errors in the code when a kernel using it is compiled
        self.parsed = parse_function(fn)
        check_annotations(self.parsed, "@wp.func_grad function")
        n = len(self.parsed.tree.args.args)
        if not any(len(ov.params) < n for ov in function.overloads):
            raise self._arity_error(min(len(ov.params) for ov in function.overloads))
        self.definition_error = None
        try:
            check_syntax(self.parsed, is_kernel=False)
        except WarpCodegenError as exc:
            self.definition_error = DeferredError(
                exc, f"when a backward pass that uses this gradient of '{function.__name__}' "
                "is compiled")
        self._impls: dict = {}

    def _arity_error(self, n: int) -> WarpCodegenError:
        return self.parsed.error(
            f"@wp.func_grad function '{self.parsed.name}' must take the {n} parameters of "
            f"'{self.function.__name__}' followed by the adjoints of its return values "
            f"(e.g. adj_ret)")

    def impl(self, ov):
        hit = self._impls.get(id(ov))
        if hit is not None:
            return hit
        if self.definition_error is not None:
            self.definition_error.throw()
        n = len(ov.params)
        tree = copy.deepcopy(self.parsed.tree)
        names = [a.arg for a in tree.args.args]
        if len(names) <= n:
            raise self._arity_error(n)
        inputs, outs = names[:n], names[n:]
        # the adjoint accumulators and the incoming adjoint get names the user's code does
        # not use (Warp's own test declares locals named adj_a, adj_b)
        used = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)} | set(names)
        adj_names = {p: _unused(adj(p), used) for p in inputs}
        adj_ret = _unused(adj("ret"), used - set(outs))
        body = [_RewriteAdjoint(inputs, self.parsed, adj_names).visit(s) for s in tree.body]
        line = tree.lineno
        head = []
        if outs != [adj_ret]:
            head.append(f"{', '.join(outs)} = {adj_ret}")
        ret = f"return ({''.join(f'{adj_names[p]}, ' for p in inputs)})"
        new_body = [*_parse_at(head, line), *body, *_parse_at([ret], line)]
        params = inputs + [adj_names[p] for p in inputs] + [adj_ret]
        tree.args = ast.arguments(posonlyargs=[], args=[ast.arg(p) for p in params],
                                  kwonlyargs=[], kw_defaults=[], defaults=[])
        tree.body = new_body
        tree.name = f"{self.parsed.name}__cgrad"
        parsed = ParsedFunction(self.fn, tree, self.parsed.filename, self.parsed.source)
        anns = resolve_annotations(self.fn)
        specs = []
        for p in params:
            spec = None
            if p in inputs and p in anns:
                spec = arg_spec_from_annotation(anns[p], f"parameter '{p}'")
            specs.append((p, spec))
        gen = _codegen.generate(parsed, is_kernel=False, params=specs, gen_name=tree.name)
        header = f"# @wp.func_grad {self.parsed.qualname} from {self.parsed.filename}\n"
        mod = load_generated_module(header + gen.source, f"func_{tree.name}", gen.refs,
                                    origin=gen)
        impl = self._impls[id(ov)] = getattr(mod, gen.name)
        return impl


def _unused(name, used) -> str:
    out, k = name, 0
    while out in used:
        k += 1
        out = f"{name}_{k}"
    used.add(out)
    return out


def _parse_at(lines, lineno):
    stmts = ast.parse("\n".join(lines)).body
    for s in stmts:
        for node in ast.walk(s):
            if hasattr(node, "lineno"):
                node.lineno = lineno
                node.end_lineno = lineno
    return stmts


def func_grad(forward):
    """Declare a custom gradient for the ``@wp.func`` ``forward``.

    Example
    -------
    >>> @wp.func
    ... def safe_sqrt(x: float):
    ...     return wp.sqrt(wp.max(x, 0.0))
    >>> @wp.func_grad(safe_sqrt)
    ... def adj_safe_sqrt(x: float, adj_ret: float):
    ...     if x > 0.0:  # the gradient at 0 is 0, not inf
    ...         wp.adjoint[x] += 1.0 / (2.0 * wp.sqrt(x)) * adj_ret
    >>> @wp.kernel
    ... def k(x: wp.array(dtype=float), y: wp.array(dtype=float)):
    ...     i = wp.tid()
    ...     y[i] = safe_sqrt(x[i])
    >>> x = wp.array([4.0, 0.0], dtype=float, requires_grad=True)
    >>> y = wp.zeros(2, dtype=float, requires_grad=True)
    >>> with wp.Tape() as tape:
    ...     wp.launch(k, dim=2, inputs=[x], outputs=[y])
    >>> tape.backward(grads={y: wp.ones(2, dtype=float)})
    >>> print(x.grad.numpy())
    [0.25 0.  ]
    """
    if not isinstance(forward, Function):
        raise TypeError(f"@wp.func_grad(f) needs a @wp.func, got {type(forward).__name__}")

    def wrap(fn):
        forward.custom_grad = CustomGrad(fn, forward)
        forward.changed()
        return fn

    return wrap


def func_replay(forward):
    """Declare the function the backward pass runs to recompute ``forward``'s value.

    Example
    -------
    A function with a side effect (it draws a ticket from a counter): the backward pass
    must reuse the ticket the forward pass drew, not draw another.

    >>> @wp.func
    ... def take(counter: wp.array(dtype=int), tickets: wp.array(dtype=int), i: int):
    ...     t = wp.atomic_add(counter, 0, 1)
    ...     tickets[i] = t
    ...     return t
    >>> @wp.func_replay(take)
    ... def replay_take(counter: wp.array(dtype=int), tickets: wp.array(dtype=int), i: int):
    ...     return tickets[i]
    >>> @wp.kernel
    ... def k(counter: wp.array(dtype=int), tickets: wp.array(dtype=int),
    ...       x: wp.array(dtype=float), y: wp.array(dtype=float)):
    ...     t = take(counter, tickets, wp.tid())
    ...     y[t] = x[t] * x[t]
    >>> counter, tickets = wp.zeros(1, dtype=int), wp.zeros(3, dtype=int)
    >>> x = wp.array([1.0, 2.0, 3.0], dtype=float, requires_grad=True)
    >>> y = wp.zeros(3, dtype=float, requires_grad=True)
    >>> with wp.Tape() as tape:
    ...     wp.launch(k, dim=3, inputs=[counter, tickets, x], outputs=[y])
    >>> tape.backward(grads={y: wp.ones(3, dtype=float)})
    >>> print(counter.numpy(), x.grad.numpy())
    [3] [2. 4. 6.]
    """
    if not isinstance(forward, Function):
        raise TypeError(f"@wp.func_replay(f) needs a @wp.func, got {type(forward).__name__}")

    def wrap(fn):
        replay = func(fn, name=f"{forward.__name__}__replay_{fn.__name__}")
        forward.custom_replay = replay
        forward.changed()
        return fn

    return wrap
