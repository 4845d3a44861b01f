"""Second-order rules: the tangent of a builtin's adjoint contributions.

A Hessian-vector product is the tangent (forward mode) of the backward pass
(``hessian.py``). Each ``contrib = rule(x..., ret, adj_ret)`` of the backward pass then
needs its own tangent along ``(tan_x..., tan_ret, tan_adj_ret)``. The registry
(``lowering.registry.SECOND_ORDER``) says how each rule gets it:

* ``"linear"``: the contributions depend on the primal values only through their types
  or through quantities constant near the point (``add``, constructors, ``min``,
  ``abs``, ``floor``...): the tangent is the rule applied to ``tan_adj_ret``.
* ``"bilinear"``: ``ret`` is bilinear in two arguments (products, ``dot``, ``cross``):
  the tangent is ``rule(x, ret, tan_adj_ret) + rule(tan_x, tan_ret, adj_ret)``.
* ``("plain", fn)``: the rule is plain kernel-style Python; it is compiled again as a
  generic ``@wp.func`` whose tangent companion the forward-mode compiler writes (so the
  second derivatives come from the first-order rules of what the rule calls).
* ``("unary", deriv)``: a scalar function whose rule is ``deriv(x, ret) * adj_ret``;
  ``deriv`` (a lambda) is compiled as a generic ``@wp.func`` the same way.
* any other object: a Numba-callable second-order rule
  ``(x..., ret, adj_ret, tan_x..., tan_ret, tan_adj_ret) -> tangents of the
  contributions`` (division and ``pow``).

Rules with none of these have no second derivative: a Hessian-vector product through
them is a compile error at the user's line, never a wrong number.
"""

from __future__ import annotations

import ast
import inspect
import linecache
import math
import textwrap
import types
import typing

from .. import lang
from ..lowering import registry as rules
from ..lowering import second_order_rules  # noqa: F401 (registers the typed forms)
from .second_order_defs import DEFS

__all__ = ["second_order_spec", "generic_rule_function"]

for _name, _spec in DEFS.items():
    # (replaces a plain rule's own entry: some call helpers with no rule)
    rules.second_order(_spec, getattr(lang, _name))

_GENERIC: dict = {}


def second_order_spec(rule):
    """How ``rule``'s contributions get their tangent (see the module's text), or None."""
    return rules.second_order_for(rule)


def generic_rule_function(key, fn, make_function):
    """``fn`` (a plain rule, or a lambda ``deriv(x, ret)``) compiled as a generic
    ``@wp.func`` (every parameter ``typing.Any``) by ``make_function`` (``wp.func``: the
    runtime passes it down), made once."""
    hit = _GENERIC.get(id(key))
    if hit is not None:
        return hit[1]
    if fn.__name__ == "<lambda>":  # (a lambda of the scalar table)
        fdef = _lambda_def(fn, f"d_{getattr(key, '__name__', 'rule')}")
    else:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
        fdef = tree.body[0]
        fdef.decorator_list = []
    for a in fdef.args.args:
        a.annotation = ast.Attribute(ast.Name("typing", ast.Load()), "Any", ast.Load())
    fdef.returns = None
    module = ast.Module([fdef], [])
    ast.fix_missing_locations(module)
    src = ast.unparse(module) + "\n"
    filename = f"<second order of {fn.__module__}.{getattr(key, '__name__', fdef.name)}>"
    linecache.cache[filename] = (len(src), None, src.splitlines(True), filename)
    scope = dict(fn.__globals__)
    scope["typing"] = typing
    scope["math"] = _kernel_math()
    exec(compile(src, filename, "exec"), scope)
    made = make_function(scope[fdef.name])
    _GENERIC[id(key)] = (key, made)  # (keeps key alive: ids stay unique)
    return made


def _kernel_math():
    """``math`` for rules compiled as functions: its functions as the builtins of the
    same name (which have derivative rules), its constants as they are."""
    return types.SimpleNamespace(**{n: getattr(lang, n, getattr(math, n)) for n in dir(math)
                                    if not n.startswith("_")})


def _lambda_def(fn, name: str) -> ast.FunctionDef:
    """``def name(params): return <body>`` from the source of a one-lambda expression."""
    lines, _ = inspect.getsourcelines(fn)
    text = textwrap.dedent("".join(lines)).strip()
    tree = None
    while text:
        try:
            tree = ast.parse(text)
            break
        except SyntaxError:  # a call spanning lines: cut at the last parenthesis
            text = text[:-1]
    lambdas = [n for n in ast.walk(tree)] if tree is not None else []
    lambdas = [n for n in lambdas if isinstance(n, ast.Lambda)]
    if len(lambdas) != 1:
        raise RuntimeError(f"cannot read the derivative lambda of {name} from its source")
    lam = lambdas[0]
    return ast.FunctionDef(name=name, args=lam.args, body=[ast.Return(lam.body)],
                           decorator_list=[], returns=None, type_params=[])
