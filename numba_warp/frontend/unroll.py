"""Loops unrolled at code generation time, so that ``wp.static`` can read the loop variable.

Warp evaluates ``wp.static(expr)`` once, when the kernel is built. Inside a loop over a
constant range, ``expr`` may use the loop variable: Warp unrolls such a loop and evaluates
the expression once per iteration with the variable's value (a module global of the same
name does not shadow it). Loops over ``wp.static(sequence)`` are unrolled the same way.

Here the loop body is emitted once per value. In each copy, reads of the loop variable
are replaced by the value itself (a constant, or a reference to the object), and
``wp.static`` expressions see it. A number is also assigned to the variable, so that the
variable keeps Python's meaning once the body assigns to it or after the loop.
"""

from __future__ import annotations

import ast
import builtins
import copy

from .. import lang
from ..typing.scalars import ScalarType
from .resolve import Unresolved

__all__ = ["after_store", "emit_unrolled", "unrolled_values", "constant_int", "NOT_CONSTANT",
           "loop_jump", "resolves_to"]

NOT_CONSTANT = object()


def resolves_to(tr, func, target) -> bool:
    if not tr.is_outside(func):
        return False
    try:
        return tr.resolver.resolve(func) is target
    except Unresolved:
        return False


def loop_static_names(tr, body) -> set[str]:
    """Names read by the ``wp.static`` expressions in ``body`` (nested loops included)."""
    names: set[str] = set()
    for stmt in body:
        for node in ast.walk(stmt):
            if isinstance(node, ast.Call) and node.args and \
                    resolves_to(tr, node.func, lang.static):
                names.update(n.id for n in ast.walk(node.args[0]) if isinstance(n, ast.Name))
    return names


def constant_int(tr, node):
    """The value of an integer expression known at code generation time (a literal, an
    unrolled loop variable, a ``wp.static`` value, an outside constant), else
    NOT_CONSTANT."""
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = constant_int(tr, node.operand)
        if value is NOT_CONSTANT:
            return value
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.Name) and node.id in tr.unrolled:
        value = tr.unrolled[node.id]
    elif isinstance(node, ast.Call) and len(node.args) == 1 and \
            resolves_to(tr, node.func, lang.static):
        try:
            value = tr.resolver.evaluate(node.args[0], tr.unrolled)
        except Exception:  # reported when the expression itself is generated
            return NOT_CONSTANT
    elif isinstance(node, (ast.Name, ast.Attribute)) and tr.is_outside(node):
        try:
            value = tr.resolver.resolve(node)
        except Unresolved:
            return NOT_CONSTANT
    else:
        return NOT_CONSTANT
    if isinstance(type(value), ScalarType):
        value = value.typed()
    return value if isinstance(value, int) and not isinstance(value, bool) else NOT_CONSTANT


def constant_range(tr, loop: ast.For):
    """The loop's ``range`` when it is ``range(...)`` of compile-time integers, else None."""
    it = loop.iter
    if not (isinstance(it, ast.Call) and resolves_to(tr, it.func, builtins.range)) or \
            it.keywords or not 1 <= len(it.args) <= 3:
        return None
    args = [constant_int(tr, a) for a in it.args]
    if any(a is NOT_CONSTANT for a in args):
        return None
    return range(*args)


def unrolled_values(tr, loop: ast.For):
    """The values to unroll ``loop`` over, or None for an ordinary loop.

    A loop over ``wp.static(...)`` is always unrolled; a loop over ``range`` when a
    ``wp.static`` expression in its body reads the loop variable.
    """
    it, var = loop.iter, loop.target.id
    if isinstance(it, ast.Call) and resolves_to(tr, it.func, lang.static):
        if len(it.args) != 1 or it.keywords:
            raise tr.parsed.error("wp.static() takes exactly one expression", it)
        try:
            seq = tr.resolver.evaluate(it.args[0], tr.unrolled)
            return list(seq)
        except Exception as exc:
            raise tr.parsed.error(
                f"wp.static() loop sequence failed: {exc!r}", it,
                "The expression must evaluate, when the kernel is built, to a range or "
                "a sequence.") from None
    if var not in loop_static_names(tr, loop.body):
        return None
    values = constant_range(tr, loop)
    if values is None:
        raise tr.parsed.error(
            f"wp.static() reads the loop variable '{var}', but the loop's range is not "
            "known when the kernel is built", loop,
            "Give range() integer constants (literals, module constants or wp.static "
            "values) so the loop can be unrolled, or move the wp.static() out of the loop.")
    return list(values)


def loop_jump(body, kinds=(ast.Break, ast.Continue)) -> ast.stmt | None:
    """A ``break``/``continue`` in ``body`` that belongs to this loop (not a nested one)."""
    for stmt in body:
        if isinstance(stmt, kinds):
            return stmt
        if isinstance(stmt, (ast.For, ast.While, ast.FunctionDef)):
            continue
        found = loop_jump([c for c in ast.iter_child_nodes(stmt) if isinstance(c, ast.stmt)],
                              kinds)
        if found is not None:
            return found
    return None


def _stores(stmt, name: str) -> bool:
    return any(isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Store)
               for n in ast.walk(stmt))


def _is_number(value) -> bool:
    return isinstance(value, (int, float, bool)) or isinstance(type(value), ScalarType)


def emit_unrolled(tr, loop: ast.For, values: list) -> list[ast.stmt]:
    """The statements of ``loop`` unrolled over ``values``."""
    var = loop.target.id
    jump = loop_jump(loop.body, (ast.Break, ast.Continue))
    if jump is not None:
        raise tr.parsed.error(
            f"'{type(jump).__name__.lower()}' in a loop that is unrolled when the kernel is "
            f"built (a loop over wp.static(...) or over constants, or one whose wp.static() "
            f"expressions read the loop variable '{var}')", jump,
            "Use an 'if' around the rest of the body instead.")
    saved = tr.unrolled.get(var, NOT_CONSTANT)
    out: list[ast.stmt] = []
    for value in values:
        tr.unrolled[var] = value
        if _is_number(value):
            assign = ast.Assign([ast.Name(var, ast.Store())], tr.value_node(value, var, loop))
            out.append(ast.copy_location(assign, loop))
        for stmt in loop.body:
            out.extend(tr.visit_body([copy.deepcopy(stmt)]))
    if saved is NOT_CONSTANT:
        tr.unrolled.pop(var, None)
    else:
        tr.unrolled[var] = saved
    return out


def after_store(tr, stmt) -> None:
    """Forget an unrolled variable's value once ``stmt`` assigns to it: later reads use
    the variable. A loop over a constant range leaves its last value, as in Python."""
    for var in [v for v in tr.unrolled if _stores(stmt, v)]:
        if isinstance(stmt, ast.For) and isinstance(stmt.target, ast.Name) and \
                stmt.target.id == var:
            values = constant_range(tr, stmt)
            if values:
                tr.unrolled[var] = values[-1]
                continue
        del tr.unrolled[var]
