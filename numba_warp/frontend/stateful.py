"""Builtins that update arguments in place (random states, query iterators).

In Warp, ``x = wp.randf(state)`` advances ``state`` and ``wp.hash_grid_query_next(query,
index)`` advances ``query`` and sets ``index`` (the C++ takes them by reference). Numba
passes values, so before code generation every such call is hoisted into its own
statement that reassigns them (``lowering/stateful_calls.py`` has the table)::

    a[i] = wp.randf(state) + wp.randf(state)
    # becomes
    state, _wp_rnd0 = _randf_next(state)
    state, _wp_rnd1 = _randf_next(state)
    a[i] = _wp_rnd0 + _wp_rnd1

``for i in wp.hash_grid_query(grid, p, r): body`` (a registered iterable query) becomes
``_wp_qry0 = wp.hash_grid_query(grid, p, r); i = 0`` and a loop of ``_wp_qry0, i, ok =
_hash_grid_query_next(_wp_qry0, i)``, leaving it when ``ok`` is False. A loop over a
variable assigned a query earlier in the function (``q = wp.hash_grid_query(...)``, then
``for i in q:``, as Warp's SPH and DEM examples write it) advances that variable itself,
as Warp's loop does (a second loop over the same query finds it exhausted).

Calls are hoisted in evaluation order. A call in a ``while`` condition is re-evaluated
each iteration (the loop becomes ``while True`` with the test inside); calls under
``and``/``or``/``x if c else y`` would change which draws happen, and are rejected. A call
whose state is not a variable (``wp.randf(wp.rand_init(seed))``) has nothing to update and
stays.
"""

from __future__ import annotations

import ast

from ..lowering import stateful_calls
from .naming import query_temp, random_temp
from .resolve import Unresolved

__all__ = ["hoist_stateful_calls"]


class _Hoister:
    def __init__(self, transformer):
        self.tr = transformer
        self.counter = 0
        self.table = stateful_calls.STATEFUL
        self.queries = 0
        #: variables last assigned a query constructor's result -> its ``next`` builtin
        self.query_vars: dict = {}

    def _target(self, call):
        if not (isinstance(call, ast.Call) and self.tr.is_outside(call.func)):
            return None
        try:
            return self.tr.resolver.resolve(call.func)
        except Unresolved:
            return None

    def helper_for(self, call):
        """(pure helper, number of updated arguments) of a stateful call, or None."""
        try:
            return self.table.get(self._target(call))
        except TypeError:  # unhashable target
            return None

    def outputs_for(self, call):
        """(helper, first, count) of a call in a builtin's output-argument form, or None."""
        try:
            entry = stateful_calls.OUTPUTS.get(self._target(call))
        except TypeError:
            return None
        if entry is None or len(call.args) < entry[3]:
            return None
        return entry[:3]

    def iterable_next(self, call):
        """The ``next`` builtin of a query constructor a ``for`` loop iterates, or None."""
        try:
            return stateful_calls.ITERABLE.get(self._target(call))
        except TypeError:
            return None

    def for_over_query(self, stmt, next_public, variable: str | None = None) -> list:
        """``for i in query(...)`` -> the query, the index and a ``while`` loop; for
        ``for i in q`` (``variable``: the query is in ``q``) the index and the loop."""
        parsed = self.tr.parsed
        if not isinstance(stmt.target, ast.Name):
            raise parsed.error("a loop over a spatial query takes one variable (the index)",
                               stmt.target)
        if stmt.orelse:
            raise parsed.error("a loop over a spatial query cannot have an 'else' block",
                               stmt, "Move the else block after the loop.")
        if variable is None:
            qname = query_temp(self.queries)
            self.queries += 1
        else:
            qname = variable
        index = stmt.target.id
        helper = self.table[next_public][0]
        found = random_temp(self.counter)
        self.counter += 1
        self.tr.locals.update((qname, index, found))
        make = ast.Assign([ast.Name(qname, ast.Store())], stmt.iter)
        start = ast.Assign([ast.Name(index, ast.Store())], ast.Constant(0))
        step = ast.Assign(
            [ast.Tuple([ast.Name(n, ast.Store()) for n in (qname, index, found)], ast.Store())],
            ast.Call(self.tr.ref(helper, helper.__name__),
                     [ast.Name(qname, ast.Load()), ast.Name(index, ast.Load())], []))
        leave = ast.If(ast.UnaryOp(ast.Not(), ast.Name(found, ast.Load())), [ast.Break()], [])
        loop = ast.While(ast.Constant(True), [step, leave, *self.body(stmt.body)], [])
        made = (make, start, loop) if variable is None else (start, loop)
        return [ast.fix_missing_locations(ast.copy_location(n, stmt)) for n in made]

    def note_query_variable(self, stmt: ast.Assign) -> None:
        """Remember ``q = <query constructor>(...)``; forget ``q`` when it is assigned
        anything else (the loop over it then gets the frontend's usual checks)."""
        for target in stmt.targets:
            for node in ast.walk(target):
                if isinstance(node, ast.Name):
                    self.query_vars.pop(node.id, None)
        if len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            next_public = self.iterable_next(stmt.value)
            if next_public is not None:
                self.query_vars[stmt.targets[0].id] = next_public

    def body(self, stmts: list) -> list:
        out = []
        for stmt in stmts:
            out.extend(self.statement(stmt))
        return out

    def statement(self, stmt) -> list:
        for field in ("body", "orelse"):
            if isinstance(getattr(stmt, field, None), list):
                setattr(stmt, field, self.body(getattr(stmt, field)))
        if isinstance(stmt, ast.For):
            next_public = self.iterable_next(stmt.iter)
            if next_public is not None:
                return self.for_over_query(stmt, next_public)
            if isinstance(stmt.iter, ast.Name) and stmt.iter.id in self.query_vars:
                return self.for_over_query(stmt, self.query_vars[stmt.iter.id], stmt.iter.id)
        if isinstance(stmt, ast.Assign):
            self.note_query_variable(stmt)
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
        entry = self.helper_for(node)
        if entry is None:
            outputs = self.outputs_for(node)
            return node if outputs is None else self.hoist_outputs(node, outputs, pre,
                                                                     conditional)
        helper, updates = entry
        parsed = self.tr.parsed
        if conditional:
            raise parsed.error(
                f"'{ast.unparse(node.func)}' updates its arguments, which cannot happen "
                "inside 'and'/'or' or a conditional expression",
                node, "Call it in its own statement first.")
        updated = node.args[:updates]
        if len(updated) < updates or not all(isinstance(a, ast.Name) for a in updated):
            if updates == 1:
                return node  # a temporary state (wp.randf(wp.rand_init(s))): nothing to update
            raise parsed.error(
                f"the first {updates} arguments of '{ast.unparse(node.func)}' must be "
                "variable names: the call updates them", node)
        names = [a.id for a in updated]
        tmp = random_temp(self.counter)
        self.counter += 1
        self.tr.locals.update((tmp, *names))
        call = ast.Call(self.tr.ref(helper, helper.__name__), list(node.args), node.keywords)
        assign = ast.Assign(
            [ast.Tuple([ast.Name(n, ast.Store()) for n in (*names, tmp)], ast.Store())],
            call)
        pre.append(ast.fix_missing_locations(ast.copy_location(assign, node)))
        return ast.copy_location(ast.Name(tmp, ast.Load()), node)


    def hoist_outputs(self, node, outputs, pre: list, conditional: bool):
        """``f(inputs..., outputs...)`` -> ``outputs..., tmp = helper(...)``; ``tmp``."""
        helper, first, count = outputs
        parsed = self.tr.parsed
        name = ast.unparse(node.func)
        if conditional:
            raise parsed.error(
                f"'{name}' with output arguments sets them, which cannot happen inside "
                "'and'/'or' or a conditional expression", node,
                "Call it in its own statement first.")
        outs = node.args[first:first + count]
        if not all(isinstance(a, ast.Name) for a in outs):
            raise parsed.error(f"the output arguments of '{name}' must be variable names",
                               node)
        names = [a.id for a in outs]
        tmp = random_temp(self.counter)
        self.counter += 1
        self.tr.locals.update((tmp, *names))
        call = ast.Call(self.tr.ref(helper, helper.__name__), list(node.args), node.keywords)
        assign = ast.Assign(
            [ast.Tuple([ast.Name(n, ast.Store()) for n in (*names, tmp)], ast.Store())], call)
        pre.append(ast.fix_missing_locations(ast.copy_location(assign, node)))
        return ast.copy_location(ast.Name(tmp, ast.Load()), node)


def hoist_stateful_calls(transformer, stmts: list) -> list:
    """The statements with every state-advancing call hoisted (see the module docstring)."""
    return _Hoister(transformer).body(stmts)
