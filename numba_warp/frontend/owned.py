"""Which array parameters a kernel reads at exactly its thread index.

``thread_indexed_reads(tree, params)`` looks at a kernel's source (its ``ast.FunctionDef``)
and returns the parameters ``p`` for which every use is ``p[i]``, where ``i`` is the name
bound once by ``i = wp.tid()``, and at least one such use reads the element. The CUDA
launcher prefetches those arrays' next element (``lowering/prefetch.py``); a parameter
used in any other way (another index, passed to a function, aliased, its ``shape``
read) is left out, so the answer errs on the side of prefetching nothing.
"""

from __future__ import annotations

import ast

__all__ = ["thread_indexed_reads"]


def _is_tid_call(node) -> bool:
    if not isinstance(node, ast.Call) or node.args or node.keywords:
        return False
    f = node.func
    return (isinstance(f, ast.Attribute) and f.attr == "tid") or \
        (isinstance(f, ast.Name) and f.id == "tid")


def _tid_name(tree: ast.FunctionDef) -> str | None:
    """The name bound by a top-level ``i = wp.tid()`` and never bound again."""
    names = [s.targets[0].id for s in tree.body
             if isinstance(s, ast.Assign) and len(s.targets) == 1
             and isinstance(s.targets[0], ast.Name) and _is_tid_call(s.value)]
    if len(names) != 1:
        return None
    name = names[0]
    stores = sum(1 for n in ast.walk(tree)
                 if isinstance(n, ast.Name) and n.id == name and not isinstance(n.ctx, ast.Load))
    return name if stores == 1 else None


def thread_indexed_reads(tree: ast.FunctionDef, params) -> set:
    tid = _tid_name(tree)
    if tid is None:
        return set()
    wanted = set(params)
    ok_uses: dict = {}  # parameter -> ids of its Name nodes used as x[tid]
    reads = set()
    aug_targets = {id(s.target) for s in ast.walk(tree) if isinstance(s, ast.AugAssign)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and \
                node.value.id in wanted and isinstance(node.slice, ast.Name) and \
                node.slice.id == tid:
            ok_uses.setdefault(node.value.id, set()).add(id(node.value))
            if isinstance(node.ctx, ast.Load) or id(node) in aug_targets:
                reads.add(node.value.id)
    out = set()
    for p in reads:
        uses = [n for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id == p]
        if all(id(n) in ok_uses[p] for n in uses):
            out.add(p)
    return out
