"""Which ``@wp.func`` functions a function calls, read from their source: to refuse
recursion through several functions (``ping`` calls ``pong`` calls ``ping``) at the call,
in the user's terms, where Numba fails with an unrelated-looking "no overload" error."""

from __future__ import annotations

import ast
import weakref

from .resolve import Resolver, local_names

__all__ = ["call_cycle"]

_LIMIT = 256  # functions visited at most (a program's call graph is far smaller)


_CALLEES: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _callees(overload):
    """The ``@wp.func`` objects one overload's body calls (by name, not locals)."""
    parsed = getattr(overload, "parsed", None)
    if parsed is None:
        return []
    try:
        return _CALLEES[overload]
    except (KeyError, TypeError):
        pass
    resolver = Resolver(parsed.fn)
    locals_ = local_names(parsed.tree)
    out = []
    for node in ast.walk(parsed.tree):
        if not isinstance(node, ast.Call):
            continue
        root = node.func
        while isinstance(root, ast.Attribute):
            root = root.value
        if not isinstance(root, ast.Name) or root.id in locals_:
            continue
        try:
            target = resolver.resolve(node.func)
        except Exception:  # noqa: BLE001 - unresolvable here: the code generator says why
            continue
        if getattr(target, "overloads", None) and hasattr(target, "call_layout"):
            out.append(target)
    try:
        _CALLEES[overload] = out
    except TypeError:  # (not weakly referable)
        pass
    return out


def call_cycle(callee, caller_fn):
    """The names along a chain of calls from ``@wp.func`` ``callee`` to the one defined
    by the Python function ``caller_fn`` (``["pong", "ping"]``: ``pong`` calls ``ping``),
    or None when there is none."""
    paths = {id(callee): [callee]}
    queue = [callee]
    while queue and len(paths) < _LIMIT:
        function = queue.pop(0)
        for ov in function.overloads:
            if getattr(getattr(ov, "parsed", None), "fn", None) is caller_fn:
                return [f.__name__ for f in paths[id(function)]]
            for nxt in _callees(ov):
                if id(nxt) not in paths:
                    paths[id(nxt)] = paths[id(function)] + [nxt]
                    queue.append(nxt)
    return None
