"""Builtins that update a state argument in place (Warp's random number generators).

In Warp, ``x = wp.randf(state)`` advances ``state`` (the C++ takes it by reference). Numba
passes scalars by value, so before code generation every such call is hoisted into its
own statement that reassigns the state::

    a[i] = wp.randf(state) + wp.randf(state)
    # becomes
    state, _wp_rnd0 = _randf_next(state)
    state, _wp_rnd1 = _randf_next(state)
    a[i] = _wp_rnd0 + _wp_rnd1

Calls are hoisted in evaluation order. A call in a ``while`` condition is re-evaluated
each iteration (the loop becomes ``while True`` with the test inside); calls under
``and``/``or``/``x if c else y`` would change which draws happen, and are rejected. A call
whose state is not a variable (``wp.randf(wp.rand_init(seed))``) has nothing to update and
stays.
"""

from __future__ import annotations

import ast

from ..lowering import random_ops
from .naming import random_temp
from .resolve import Unresolved

__all__ = ["hoist_stateful_calls"]


class _Hoister:
    def __init__(self, transformer):
        self.tr = transformer
        self.counter = 0
        self.table = random_ops.STATEFUL_FUNCS

    def helper_for(self, call):
        if not (isinstance(call, ast.Call) and self.tr.is_outside(call.func)):
            return None
        try:
            target = self.tr.resolver.resolve(call.func)
        except Unresolved:
            return None
        try:
            return self.table.get(target)
        except TypeError:  # unhashable target
            return None

    def body(self, stmts: list) -> list:
        out = []
        for stmt in stmts:
            out.extend(self.statement(stmt))
        return out

    def statement(self, stmt) -> list:
        for field in ("body", "orelse"):
            if isinstance(getattr(stmt, field, None), list):
                setattr(stmt, field, self.body(getattr(stmt, field)))
        if isinstance(stmt, ast.While):
            pre = self.expression_calls(stmt, "test")
            if pre:
                test = ast.UnaryOp(ast.Not(), stmt.test)
                brk = ast.If(test, [ast.Break()], [])
                stmt.body = pre + [brk] + stmt.body
                stmt.test = ast.Constant(True)
                ast.fix_missing_locations(ast.copy_location(brk, stmt))
            return [stmt]
        fields = {ast.If: ("test",), ast.For: ("iter",)}.get(type(stmt))
        if fields is None:
            fields = [f for f in ("value", "target", "test", "msg") if hasattr(stmt, f)]
            if isinstance(stmt, ast.Assign):
                fields = ["value", "targets"]
        pre = []
        for f in fields:
            pre.extend(self.expression_calls(stmt, f))
        return pre + [stmt]

    def expression_calls(self, owner, field) -> list:
        """Hoist the stateful calls under ``owner.field``; return the new statements."""
        pre = []
        value = getattr(owner, field, None)
        if value is None:
            return pre
        if isinstance(value, list):
            setattr(owner, field, [self.rewrite(v, pre, False) for v in value])
        else:
            setattr(owner, field, self.rewrite(value, pre, False))
        return pre

    def rewrite(self, node, pre: list, conditional: bool):
        """Post-order: inner calls are drawn first, as Python evaluates them."""
        cond = conditional or isinstance(node, (ast.BoolOp, ast.IfExp))
        for name, value in ast.iter_fields(node):
            if isinstance(value, list):
                setattr(node, name, [self.rewrite(v, pre, cond) if isinstance(v, ast.AST)
                                     else v for v in value])
            elif isinstance(value, ast.AST):
                setattr(node, name, self.rewrite(value, pre, cond))
        helper = self.helper_for(node)
        if helper is None:
            return node
        parsed = self.tr.parsed
        if conditional:
            raise parsed.error(
                f"'{ast.unparse(node.func)}' advances its random state, which cannot happen "
                "inside 'and'/'or' or a conditional expression",
                node, "Draw the value in its own statement first.")
        if not node.args or not isinstance(node.args[0], ast.Name):
            return node  # a temporary state (wp.randf(wp.rand_init(s))): nothing to update
        state = node.args[0].id
        tmp = random_temp(self.counter)
        self.counter += 1
        self.tr.locals.update((tmp, state))
        call = ast.Call(self.tr.ref(helper, helper.__name__), list(node.args), node.keywords)
        assign = ast.Assign(
            [ast.Tuple([ast.Name(state, ast.Store()), ast.Name(tmp, ast.Store())], ast.Store())],
            call)
        pre.append(ast.fix_missing_locations(ast.copy_location(assign, node)))
        return ast.copy_location(ast.Name(tmp, ast.Load()), node)


def hoist_stateful_calls(transformer, stmts: list) -> list:
    """The statements with every state-advancing call hoisted (see the module docstring)."""
    return _Hoister(transformer).body(stmts)
