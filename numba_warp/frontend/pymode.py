"""Kernels as plain Python (``wp.config.mode = "python"``): the syntax tree of a kernel or
``@wp.func``, rewritten so that the interpreter runs it with kernel semantics.

The rewritten function keeps the user's file name and line numbers, so ``breakpoint()``,
pdb, tracebacks, ``print`` and coverage all show the user's own lines. The rewrite is
small; the runtime (``runtime/python_mode.py``) supplies the helpers it calls:

- every call ``f(a, b)`` becomes ``__wp_call__(f, a, b)``: the runtime's dispatcher gives
  ``wp.tid()`` the thread index, ``float``/``int``/``wp.uint8``... their kernel meaning
  (float32, wrapping integers), runs ``@wp.func`` callees in Python mode, and keeps
  builtin results in float32. ``breakpoint()`` and ``*.set_trace()`` calls stay as
  written, so the debugger stops in the kernel's own frame;
- ``i, j = wp.tid()`` passes the number of targets (``__wp_targets__=2``);
- a component read (``v[0]``, ``m[1, 2]``, ``v.x``) gives a NumPy scalar of the
  value's type (``__wp_getitem__``, ``__wp_getattr__``), where Python scope gives a float;
- kernels have value semantics: ``v = a[i]``, ``v = w``, ``v = s.p`` and ``return v``
  copy vectors, matrices and structs (``__wp_copy__``), so writing ``v[0]`` later does
  not change the array, ``w`` or ``s``;
- ``x: float = e`` converts ``e`` to the annotation (``__wp_typed__``);
- calls that update an argument in Warp (``wp.randf(state)``, the query iterators; see
  ``lowering/stateful_calls.py``) reassign the variable they were given, with an
  assignment expression: ``__wp_result__(__wp_t := __wp_stateful__(wp.randf, state),
  state := __wp_t[0])`` (the runtime calls the builtin's pure helper, which returns the
  updated arguments and the result).

Annotations and default values are not re-evaluated: the runtime sets the defaults from
the function object, and the kernel's parameters are converted before the call.
"""

from __future__ import annotations

import ast
import copy

from .. import lang
from ..lowering import stateful_calls
from .codegen import OUTPUT_ARGUMENTS, UPDATES_FIRST_ARGUMENT
from .resolve import Resolver, Unresolved, local_names

__all__ = ["HELPERS", "python_mode_function"]

#: the names the rewritten code calls, bound by the runtime (in this order)
HELPERS = ("__wp_call__", "__wp_copy__", "__wp_typed__", "__wp_result__", "__wp_stateful__",
           "__wp_getitem__", "__wp_getattr__")
_COMPONENTS = frozenset("xyzw")
_OUTER = "__wp_python_mode__"
_INNER = "__wp_function__"
_TEMP = "__wp_t"


def _name(id_: str) -> ast.Name:
    return ast.Name(id_, ast.Load())


def _is_debugger_call(func: ast.expr) -> bool:
    return (isinstance(func, ast.Name) and func.id == "breakpoint") or \
        (isinstance(func, ast.Attribute) and func.attr == "set_trace")


def _copyable(node) -> bool:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):  # (rewritten)
        return node.func.id in ("__wp_getitem__", "__wp_getattr__")
    return isinstance(node, (ast.Name, ast.Attribute, ast.Subscript))


class _Rewrite(ast.NodeTransformer):
    def __init__(self, fn, tree: ast.FunctionDef):
        self.resolver = Resolver(fn)
        self.locals = local_names(tree)

    def _target(self, func):
        """The object a call's function names, when it is not a local variable."""
        root = func
        while isinstance(root, ast.Attribute):
            root = root.value
        if not isinstance(root, ast.Name) or root.id in self.locals:
            return None
        try:
            return self.resolver.resolve(func)
        except Unresolved:
            return None

    def _stateful(self, node: ast.Call):
        """``f(state, ...)`` for a builtin that updates its leading arguments: the call of
        its pure helper, reassigning the arguments that are variables."""
        target = self._target(node.func)
        try:
            entry = stateful_calls.STATEFUL.get(target)
            outputs = stateful_calls.OUTPUTS.get(target)
        except TypeError:  # unhashable
            return None
        if entry is not None:
            updated = node.args[:entry[1]]
            if len(updated) < entry[1]:
                return None
        elif outputs is not None and len(node.args) >= outputs[3]:
            updated = node.args[outputs[1]:outputs[1] + outputs[2]]  # (output arguments)
        else:
            return None
        if not all(isinstance(a, ast.Name) for a in updated):
            return None  # nothing to update (as in compiled kernels)
        call = ast.Call(_name("__wp_stateful__"), [node.func, *node.args], node.keywords)
        parts = [ast.NamedExpr(ast.Name(_TEMP, ast.Store()), call)]
        for k, arg in enumerate(updated):
            parts.append(ast.NamedExpr(ast.Name(arg.id, ast.Store()), ast.Subscript(
                _name(_TEMP), ast.Constant(k), ast.Load())))
        return ast.Call(_name("__wp_result__"), parts, [])

    def visit_Call(self, node: ast.Call):
        self.generic_visit(node)
        if _is_debugger_call(node.func):
            return node
        stateful = self._stateful(node)
        if stateful is not None:
            return ast.copy_location(stateful, node)
        return ast.copy_location(
            ast.Call(_name("__wp_call__"), [node.func, *node.args], node.keywords), node)

    def visit_Expr(self, node: ast.Expr):
        """Warp's statement forms: ``wp.svd3(A, U, s, V)`` sets ``U, s, V`` (becomes ``U, s,
        V = wp.svd3(A)``), ``wp.transform_set_translation(t, p)`` updates ``t``."""
        call = node.value
        target = self._target(call.func) if isinstance(call, ast.Call) else None
        for name, n_in in OUTPUT_ARGUMENTS.items():
            if target is getattr(lang, name, None) and len(call.args) > n_in and \
                    all(isinstance(a, ast.Name) for a in call.args[n_in:]):
                names = [ast.Name(a.id, ast.Store()) for a in call.args[n_in:]]
                call.args = call.args[:n_in]
                return self.visit(ast.copy_location(
                    ast.Assign([ast.Tuple(names, ast.Store())], call), node))
        if target is not None and call.args and isinstance(call.args[0], ast.Name) and \
                any(target is getattr(lang, n, None) for n in UPDATES_FIRST_ARGUMENT):
            return self.visit(ast.copy_location(
                ast.Assign([ast.Name(call.args[0].id, ast.Store())], call), node))
        self.generic_visit(node)
        return node

    def visit_Subscript(self, node: ast.Subscript):
        self.generic_visit(node)
        if not isinstance(node.ctx, ast.Load):
            return node
        return ast.copy_location(
            ast.Call(_name("__wp_getitem__"), [node.value, node.slice], []), node)

    def visit_Attribute(self, node: ast.Attribute):
        self.generic_visit(node)
        if not isinstance(node.ctx, ast.Load) or node.attr not in _COMPONENTS:
            return node
        return ast.copy_location(
            ast.Call(_name("__wp_getattr__"), [node.value, ast.Constant(node.attr)], []), node)

    def visit_Assign(self, node: ast.Assign):
        self.generic_visit(node)
        value = node.value
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and \
                value.func.id == "__wp_call__" and len(value.args) == 1 and not value.keywords:
            # a call without arguments (wp.tid()): tell it how many values are unpacked
            first = node.targets[0]
            count = len(first.elts) if isinstance(first, ast.Tuple) else 1
            value.keywords = [ast.keyword("__wp_targets__", ast.Constant(count))]
        elif isinstance(value, ast.Tuple):
            value.elts = [self._copy(e) if _copyable(e) else e for e in value.elts]
        elif _copyable(value):
            node.value = self._copy(value)
        return node

    def visit_AnnAssign(self, node: ast.AnnAssign):
        self.generic_visit(node)
        args = [node.annotation] + ([node.value] if node.value is not None else [])
        typed = ast.Call(_name("__wp_typed__"), args, [])
        return ast.copy_location(ast.Assign([node.target], typed), node)

    def visit_Return(self, node: ast.Return):
        self.generic_visit(node)
        if node.value is not None and _copyable(node.value):
            node.value = self._copy(node.value)
        return node

    @staticmethod
    def _copy(node):
        return ast.copy_location(ast.Call(_name("__wp_copy__"), [node], []), node)


def python_mode_function(parsed, helpers: dict):
    """The user's function (``parsed``: ``frontend.source.ParsedFunction``), rewritten
    for Python mode and compiled with its own file and lines; ``helpers`` maps each
    name in :data:`HELPERS` to its implementation. Annotations and defaults are dropped
    (the caller sets ``__defaults__``)."""
    fn = parsed.fn
    tree = copy.deepcopy(parsed.tree)
    tree = _Rewrite(fn, tree).visit(tree)
    args = tree.args
    for a in (*args.posonlyargs, *args.args, *args.kwonlyargs):
        a.annotation = None
    args.defaults, args.kw_defaults = [], [None] * len(args.kwonlyargs)
    tree.returns = None
    tree.decorator_list = []
    name = tree.name
    tree.name = _INNER  # (not the user's name: it would shadow the global one inside)
    free = list(fn.__code__.co_freevars)
    outer = ast.FunctionDef(
        _OUTER, ast.arguments([], [ast.arg(n) for n in (*HELPERS, *free)], None, [], [],
                              None, []),
        [tree, ast.Return(_name(tree.name))], [], None, type_params=[])
    ast.copy_location(outer, tree)
    module = ast.fix_missing_locations(ast.Module([outer], []))
    code = compile(module, parsed.filename, "exec")
    namespace: dict = {}
    exec(code, fn.__globals__, namespace)  # noqa: S102 - the user's own function
    cells = []
    for cell in fn.__closure__ or ():
        try:
            cells.append(cell.cell_contents)
        except ValueError:  # not bound yet
            cells.append(None)
    inner = namespace[_OUTER](*(helpers[h] for h in HELPERS), *cells)
    inner.__code__ = inner.__code__.replace(co_name=name, co_qualname=fn.__qualname__)
    inner.__name__, inner.__qualname__ = name, fn.__qualname__
    return inner

