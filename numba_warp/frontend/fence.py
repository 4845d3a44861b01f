"""The fence: which Python syntax kernels and functions may use.

Kernel code is a typed subset of Python. This pass walks a function's AST once and
rejects everything outside the subset with the user's file and line, before any code
is generated, so users never see a Numba traceback for a syntax they cannot use.
"""

from __future__ import annotations

import ast

from .source import ParsedFunction

__all__ = ["check_annotations", "check_syntax"]

# Nodes that need no further checks.
_ALLOWED = (
    ast.Module,
    ast.FunctionDef,
    ast.arguments,
    ast.arg,
    ast.Assign,
    ast.AugAssign,
    ast.AnnAssign,
    ast.Expr,
    ast.If,
    ast.For,
    ast.While,
    ast.Break,
    ast.Continue,
    ast.Return,
    ast.Pass,
    ast.Assert,
    ast.Name,
    ast.Constant,
    ast.BinOp,
    ast.UnaryOp,
    ast.BoolOp,
    ast.Compare,
    ast.IfExp,
    ast.Call,
    ast.keyword,
    ast.Attribute,
    ast.Subscript,
    ast.Slice,  # slices of vectors and matrices (frontend/slices.py says what else)
    ast.Tuple,
    ast.Load,
    ast.Store,
    ast.expr_context,
    ast.operator,
    ast.unaryop,
    ast.boolop,
    ast.cmpop,
)

_REJECTED = {
    ast.ListComp: ("list comprehensions", "write an explicit 'for' loop"),
    ast.SetComp: ("set comprehensions", "write an explicit 'for' loop"),
    ast.DictComp: ("dict comprehensions", "write an explicit 'for' loop"),
    ast.GeneratorExp: ("generator expressions", "write an explicit 'for' loop"),
    ast.Lambda: ("lambda functions", "define a @wp.func instead"),
    ast.Try: ("try/except", "kernels cannot raise or catch exceptions"),
    ast.Raise: ("'raise' statements", "kernels cannot raise exceptions; write a flag to an array"),
    ast.With: ("'with' blocks", "move the code out of the 'with' block"),
    ast.FunctionDef: ("nested function definitions", "define a @wp.func at module level"),
    ast.ClassDef: ("class definitions", "define a @wp.struct at module level"),
    ast.Import: ("imports", "import at module level"),
    ast.ImportFrom: ("imports", "import at module level"),
    ast.Global: ("'global' statements", "pass the value as a kernel argument"),
    ast.Nonlocal: ("'nonlocal' statements", "pass the value as an argument"),
    ast.Delete: ("'del' statements", "remove the 'del'"),
    ast.List: ("list literals", "use a vector type (wp.vec3) or a tuple"),
    ast.Dict: ("dict literals", "use a @wp.struct"),
    ast.Set: ("set literals", "use a vector type or an array"),
    ast.Starred: ("starred expressions (*args)", "pass the arguments explicitly"),
    ast.Yield: ("yield expressions", "kernels are not generators"),
    ast.YieldFrom: ("yield expressions", "kernels are not generators"),
    ast.Await: ("await expressions", "kernels are not coroutines"),
    ast.NamedExpr: ("assignment expressions (:=)", "assign in a separate statement"),
    ast.JoinedStr: ("f-strings", "use wp.printf('%f', x) or print(x)"),
}
for _name in ("AsyncFunctionDef", "AsyncFor", "AsyncWith", "Match", "TryStar"):
    if hasattr(ast, _name):
        _REJECTED[getattr(ast, _name)] = (f"'{_name}' statements", "")


def check_syntax(parsed: ParsedFunction, is_kernel: bool) -> None:
    """Raise :class:`WarpCodegenError` at the first construct kernels do not support."""
    what = "kernels" if is_kernel else "functions"
    fdef = parsed.tree
    args = fdef.args
    if args.vararg or args.kwarg or args.kwonlyargs or args.posonlyargs:
        raise parsed.error(
            f"*args, **kwargs and keyword-only parameters are not supported in {what}",
            fdef,
            "Declare every parameter as a plain annotated argument.",
        )
    if is_kernel and args.defaults:
        raise parsed.error("kernel parameters cannot have default values", fdef)
    for node in ast.walk(fdef):
        if node is fdef or node in args.args:
            continue
        if isinstance(node, ast.expr) and node in _annotation_nodes(fdef):
            continue
        kind = _REJECTED.get(type(node))
        if kind is not None:
            name, hint = kind
            raise parsed.error(f"{name} are not supported in {what}", node, hint)
        if not isinstance(node, _ALLOWED):
            raise parsed.error(f"'{type(node).__name__}' syntax is not supported in {what}", node)
        if isinstance(node, ast.Return) and node.value is not None and is_kernel:
            raise parsed.error(
                f"kernel '{parsed.name}' returns a value; kernels cannot return values",
                node,
                "Write results to an output array argument instead.",
            )
        if isinstance(node, ast.For):
            _check_for(parsed, node, what)
        if isinstance(node, (ast.For, ast.While)) and node.orelse:
            raise parsed.error(f"'else' blocks on loops are not supported in {what}", node)
        if isinstance(node, ast.Constant) and isinstance(node.value, (bytes, complex)):
            raise parsed.error(f"{type(node.value).__name__} constants are not supported", node)


def check_annotations(parsed: ParsedFunction, what: str) -> None:
    """Raise :class:`WarpCodegenError` if a parameter has no annotation. Warp raises this
    one when the kernel or function is decorated (all other errors in the code, when it
    is compiled)."""
    for a in parsed.tree.args.args:
        if a.annotation is None:
            raise parsed.error(
                f"{what} parameter '{a.arg}' has no type annotation",
                a,
                f"Annotate every {what} parameter, e.g. 'x: wp.array(dtype=float)', "
                "'scale: float' or 'v: typing.Any'.",
            )


def _check_for(parsed, node: ast.For, what: str) -> None:
    it = node.iter
    ok = isinstance(it, ast.Call) and _call_name(it.func) in ("range", "static")
    if not ok:
        raise parsed.error(
            f"'for' loops in {what} must iterate over range(...)",
            node,
            "Write 'for i in range(n):' and index the sequence with i.",
        )
    if not isinstance(node.target, ast.Name):
        raise parsed.error("a 'for' loop variable must be a single name", node)


def _call_name(func) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _annotation_nodes(fdef: ast.FunctionDef) -> set:
    cached = getattr(fdef, "_wp_annotation_nodes", None)
    if cached is None:
        cached = set()
        for a in fdef.args.args:
            if a.annotation is not None:
                cached.update(ast.walk(a.annotation))
        if fdef.returns is not None:
            cached.update(ast.walk(fdef.returns))
        for node in ast.walk(fdef):
            if isinstance(node, ast.AnnAssign):
                cached.update(ast.walk(node.annotation))
        fdef._wp_annotation_nodes = cached
    return cached
