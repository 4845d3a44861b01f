"""Which array parameters a kernel reads and which it writes (for overwrite detection).

Found from the forward-generated AST: element loads are reads; element stores, atomics
and ``a[i] += x`` are writes; arrays passed to a ``@wp.func`` take that function's
summary (computed the same way); arrays passed to other builtins are reads. An array is
named by a *path*: ``("a",)`` for a parameter, ``("s", "field")`` for an array inside a
struct parameter. Local names bound to such arrays (``b = a``, ``f = s.field``) are
followed.
"""

from __future__ import annotations

import ast

from .. import lang
from ..lowering import kernel_helpers, slots
from .protocols import UserFunction

__all__ = ["array_access", "WRITE_HELPERS", "SLOT_HELPERS"]

#: the code generator's helpers that write their first argument (an array element, or
#: a value stored back into a local): ``lowering.kernel_helpers``
WRITE_HELPERS = ("store", "inplace_add", "inplace_sub", "inplace_and", "inplace_or",
                 "inplace_xor")
#: ... and the component updates of array elements (``v[i].x += r``): ``lowering.slots``
SLOT_HELPERS = ("slot_add", "slot_sub", "slot_and", "slot_or", "slot_xor")


def _write_objects():
    objs = {id(getattr(kernel_helpers, n)) for n in WRITE_HELPERS}
    objs |= {id(getattr(slots, n)) for n in SLOT_HELPERS}
    objs |= {id(getattr(lang, n)) for n in dir(lang) if n.startswith("atomic_")}
    return objs


def _path(node, alias):
    if isinstance(node, ast.Name):
        return alias.get(node.id)
    if isinstance(node, ast.Attribute):
        base = _path(node.value, alias)
        return None if base is None else base + (node.attr,)
    return None


def array_access(gen, params, _seen=None) -> tuple[set, set]:
    """(read paths, written paths) over the parameters ``params`` of ``gen``."""
    writers = _write_objects()
    alias = {p: (p,) for p in params}
    reads: set = set()
    writes: set = set()
    seen = _seen if _seen is not None else set()
    body = list(gen.prologue) + list(gen.body)
    for stmt in body:
        for node in ast.walk(stmt):
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                t = node.targets[0]
                if isinstance(t, ast.Name):
                    p = _path(node.value, alias)
                    if p is not None:
                        alias[t.id] = p
                elif isinstance(t, ast.Subscript):
                    p = _path(t.value, alias)
                    if p is not None:
                        writes.add(p)
            elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load):
                p = _path(node.value, alias)
                if p is not None:
                    reads.add(p)
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                obj = gen.refs.get(node.func.id)
                arg_paths = [_path(a, alias) for a in node.args]
                if id(obj) in writers:
                    if arg_paths and arg_paths[0] is not None:
                        writes.add(arg_paths[0])
                    arg_paths = arg_paths[1:]
                    for p in arg_paths:
                        if p is not None:
                            reads.add(p)
                elif isinstance(obj, UserFunction):
                    for ov in obj.overloads:
                        if id(ov) in seen:
                            continue
                        seen.add(id(ov))
                        names = [n for n, _ in ov.params]
                        r, wr = array_access(ov.generated(), names, seen)
                        seen.discard(id(ov))
                        for k, p in enumerate(arg_paths):
                            if p is None or k >= len(names):
                                continue
                            for sub in r:
                                if sub[0] == names[k]:
                                    reads.add(p + sub[1:])
                            for sub in wr:
                                if sub[0] == names[k]:
                                    writes.add(p + sub[1:])
                else:
                    for p in arg_paths:
                        if p is not None:
                            reads.add(p)
    return reads, writes
