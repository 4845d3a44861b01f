"""Name resolution for kernel and function bodies.

A name in kernel code is a local (assigned in the body, or a parameter), or it refers
to something outside: a closure cell, a module global, or a Python builtin. Outside
references are resolved *once, at code generation time*, like Warp does; the
generated code then refers to the resolved object (or inlines it when it is a
constant), which also makes closures over constants work for kernels made in
functions and notebook cells.
"""

from __future__ import annotations

import ast
import builtins
import types as pytypes

from .. import unsupported

__all__ = ["Resolver", "Unresolved", "local_names"]


class Unresolved(Exception):
    """A name or attribute could not be resolved; ``args[0]`` says which, ``attribute``
    whether it was an attribute (else a name)."""

    def __init__(self, message: str, attribute: bool = False):
        super().__init__(message)
        self.attribute = attribute


def local_names(fdef: ast.FunctionDef) -> set[str]:
    """Names bound in the function: parameters and every assignment target."""
    names = {a.arg for a in fdef.args.args}
    for node in ast.walk(fdef):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
    return names


class Resolver:
    """Looks names up in a function's closure, its module globals, then builtins."""

    def __init__(self, fn):
        self.fn = fn
        closure = {}
        if fn.__closure__:
            for name, cell in zip(fn.__code__.co_freevars, fn.__closure__):
                try:
                    closure[name] = cell.cell_contents
                except ValueError:  # empty cell: the name is not bound yet
                    pass
        self.closure = closure
        self.globals = fn.__globals__

    def lookup(self, name: str):
        if name in self.closure:
            return self.closure[name]
        if name in self.globals:
            return self.globals[name]
        if hasattr(builtins, name):
            return getattr(builtins, name)
        raise Unresolved(f"name '{name}' is not defined")

    def resolve(self, node: ast.expr):
        """Value of a Name or an attribute chain rooted at a non-local name."""
        if isinstance(node, ast.Name):
            return self.lookup(node.id)
        if isinstance(node, ast.Attribute):
            base = self.resolve(node.value)
            if unsupported.is_stub(base):  # wp.Volume.sample: the code generator reports it
                return base
            try:
                return getattr(base, node.attr)
            except AttributeError:
                what = (
                    f"module '{base.__name__}'"
                    if isinstance(base, pytypes.ModuleType)
                    else f"'{getattr(base, '__name__', type(base).__name__)}'"
                )
                raise Unresolved(f"{what} has no attribute '{node.attr}'", True) from None
        raise Unresolved(f"cannot resolve '{ast.unparse(node)}'")

    def evaluate(self, node: ast.expr, loop_values: dict | None = None):
        """Evaluate a compile-time expression (``wp.static``) in the function's scope;
        ``loop_values`` (the variables of enclosing unrolled loops) shadow outside names."""
        code = compile(ast.Expression(node), "<wp.static>", "eval")
        scope = dict(self.globals)
        scope.update(self.closure)
        scope.update(loop_values or {})
        return eval(code, scope)  # noqa: S307 - user's own compile-time expression


def root_name(node: ast.expr) -> str | None:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None
