"""Subscripts with slices in kernel code, as the code generator rewrites them.

``x[1:3]``, ``m[i, 1:]``, ``m[::-1, :2]`` (a slice whose bounds and step are compile-time
constants: literals, module constants, ``wp.static`` values, variables of unrolled
loops) become calls of ``lowering.slices.getslice``; a store ``x[1:3] = v`` becomes
``x = setslice(x, v, ...)`` (see that module for the call's form and the semantics).
Subscripts of array parameters are left to Numba as written.

A slice with a bound or step known only at run time is an error: in a read when the
value's type is known (``getslice`` with the spec ``?``, a typing error at the user's
line), in a store at once. Slices of arrays are not supported in kernels (an error at
the user's line for array parameters; ``getslice`` refuses other arrays).
"""

from __future__ import annotations

import ast

import numpy as np

from ..lowering import slices as lowering_slices
from .source import as_load

__all__ = ["has_slice", "reject_array_slice", "rewrite_load", "store_call"]


def has_slice(index) -> bool:
    elts = index.elts if isinstance(index, ast.Tuple) else [index]
    return any(isinstance(e, ast.Slice) for e in elts)


def _constant(tr, node):
    """The int value of an (already transformed) slice part, None for an absent part,
    or ``...`` when it is not a compile-time integer."""
    if node is None:
        return None
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    if isinstance(node, ast.Name) and isinstance(tr.refs.get(node.id), np.integer):
        return int(tr.refs[node.id])
    return ...


def _spec(tr, index):
    """(spec, run-time index nodes) of a transformed index, or None when a slice part is
    not a compile-time integer (then also the offending source)."""
    elts = index.elts if isinstance(index, ast.Tuple) else [index]
    parts, runtime = [], []
    for e in elts:
        if isinstance(e, ast.Slice):
            bounds = [_constant(tr, p) for p in (e.lower, e.upper, e.step)]
            if ... in bounds:
                return None, e
            parts.append(":".join("" if b is None else str(b) for b in bounds))
            continue
        value = _constant(tr, e)
        if value is ... or value is None:
            parts.append("#")
            runtime.append(e)
        else:
            parts.append(str(value))
    return (",".join(parts), runtime), None


def _call(tr, name, args, node):
    fn = tr.ref(getattr(lowering_slices, name), name)
    return ast.copy_location(ast.Call(fn, args, []), node)


def reject_array_slice(tr, target, origin) -> None:
    """Slices of array parameters are not supported in kernels: say so at the user's line."""
    if isinstance(target, ast.Subscript) and has_slice(target.slice) and \
            isinstance(target.value, ast.Name) and target.value.id in tr.array_params:
        raise tr.parsed.error(f"slices of arrays are not supported in kernels "
                              f"('{ast.unparse(target)}')", origin,
                              "Index single elements; slice arrays at Python scope.")


def rewrite_load(tr, node: ast.Subscript) -> ast.expr:
    """A transformed ``x[index]`` read: a ``getslice`` call when the index has a slice,
    else the node unchanged. A slice with run-time bounds gets the spec ``?``, which
    ``getslice`` refuses with a message for the type it finds."""
    if not has_slice(node.slice):
        return node
    reject_array_slice(tr, node, node)
    found, _ = _spec(tr, node.slice)
    spec, runtime = found if found is not None else ("?", [])
    return _call(tr, "getslice", [node.value, ast.Constant(spec),
                                  ast.Tuple(runtime, ast.Load())], node)


def store_call(tr, target: ast.Subscript, value, origin) -> ast.expr | None:
    """The ``setslice(...)`` value to assign to ``target.value`` for a store into
    ``target`` (whose index has a slice), or None when the index has no slice."""
    if not has_slice(target.slice):
        return None
    reject_array_slice(tr, target, origin)
    index = tr.visit(target.slice)
    found, bad = _spec(tr, index)
    if found is None:
        raise tr.parsed.error(
            f"the slice '{ast.unparse(bad)}' in '{ast.unparse(target)}' has a bound or step "
            "that is not a compile-time constant; slices of vectors and matrices need "
            "constant integers (as in Warp)", origin,
            "Write the bounds as literals or module constants, use wp.static(), or assign "
            "the components one by one in a loop.")
    spec, runtime = found
    base = tr.visit(as_load(target.value))
    return _call(tr, "setslice", [base, value, ast.Constant(spec),
                                  ast.Tuple(runtime, ast.Load())], origin)
