"""The fence: which Python syntax kernels and functions may use.

Kernel code is a typed subset of Python. This pass walks a function's AST once and
rejects everything outside the subset with the user's file and line, before any code
is generated, so users never see a Numba traceback for a syntax they cannot use.
"""

from __future__ import annotations

import ast
import operator

from .. import lang
from .resolve import Resolver, Unresolved
from .source import ParsedFunction

__all__ = ["check_annotations", "check_syntax", "static_subtrees"]

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
    """Raise :class:`WarpCodegenError` at the first construct kernels do not support.

    The argument of ``wp.static(...)`` is Python evaluated when the kernel is built, so
    any Python syntax may appear there (set, list and dict literals, comprehensions).
    """
    what = "kernels" if is_kernel else "functions"
    fdef = parsed.tree
    _check_parameters(parsed, what)
    skipped = static_subtrees(parsed)
    allowed_starred = {id(a) for node in ast.walk(fdef) if isinstance(node, ast.Call)
                       for a in node.args if isinstance(a, ast.Starred)}
    # '*v[1:3]' (a starred argument that is a slice) is one of the starred forms
    skipped |= {id(node.value.slice) for node in ast.walk(fdef)
                if id(node) in allowed_starred and isinstance(node.value, ast.Subscript) and
                isinstance(node.value.slice, ast.Slice)}
    _check_integer_constants(parsed, fdef, skipped)
    if not is_kernel:
        _check_falls_off_the_end(parsed, fdef)
    for node in ast.walk(fdef):
        if node is fdef or node in fdef.args.args or id(node) in skipped:
            continue
        if isinstance(node, ast.expr) and node in _annotation_nodes(fdef):
            continue
        if isinstance(node, ast.Starred) and id(node) not in allowed_starred:
            raise parsed.error(
                f"starred expressions (*x) are only supported as call arguments in {what} "
                "(f(*v), wp.vec4(*v, 1.0)), not in assignments or tuples",
                node, "Unpack into as many names as there are elements, or index the "
                "sequence (a = v[0]).")
        kind = _REJECTED.get(type(node))
        if kind is not None:
            name, hint = kind
            raise parsed.error(f"{name} are not supported in {what}", node, hint)
        if not isinstance(node, (*_ALLOWED, ast.Starred)):
            raise parsed.error(f"'{type(node).__name__}' syntax is not supported in {what}", node)
        if isinstance(node, ast.Return) and node.value is not None and is_kernel:
            raise parsed.error(
                f"kernel '{parsed.name}' returns a value; kernels cannot return values",
                node,
                "Write results to an output array argument instead.",
            )
        if isinstance(node, ast.For) and not isinstance(node.target, ast.Name):
            raise parsed.error("a 'for' loop variable must be a single name", node,
                               "Unpack inside the loop: 'for row in m: a, b = row[0], row[1]'.")
        if isinstance(node, (ast.For, ast.While)) and node.orelse:
            raise parsed.error(f"'else' blocks on loops are not supported in {what}", node)
        if isinstance(node, ast.Constant) and isinstance(node.value, (bytes, complex)):
            raise parsed.error(f"{type(node.value).__name__} constants are not supported", node)


_FOLDED = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
           ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow,
           ast.LShift: operator.lshift, ast.RShift: operator.rshift, ast.BitAnd: operator.and_,
           ast.BitOr: operator.or_, ast.BitXor: operator.xor}
_TOO_LARGE = 2 ** 200  # (stands for a constant too large to compute: 10 ** 10 ** 10)


def _folded_int(node):
    """The value of an integer constant or of an expression of them (Python folds ``2 **
    70`` into one constant), or None."""
    if isinstance(node, ast.Constant):
        return node.value if type(node.value) is int else None
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd, ast.Invert)):
        v = _folded_int(node.operand)
        return None if v is None else {ast.USub: operator.neg, ast.UAdd: operator.pos,
                                       ast.Invert: operator.invert}[type(node.op)](v)
    if not (isinstance(node, ast.BinOp) and type(node.op) in _FOLDED):
        return None
    a, b = _folded_int(node.left), _folded_int(node.right)
    if a is None or b is None:
        return None
    if isinstance(node.op, (ast.Pow, ast.LShift)) and (b < 0 or abs(a) > 1 and b > 256):
        return None if b < 0 else _TOO_LARGE  # (a negative power is a float)
    try:
        return _FOLDED[type(node.op)](a, b)
    except (ZeroDivisionError, ValueError, OverflowError):
        return None


def _check_integer_constants(parsed: ParsedFunction, fdef, skipped: set) -> None:
    """Integer constants (and constant expressions, ``2 ** 70``) must fit in 64 bits: a
    larger one would silently become another number."""
    annotations = _annotation_nodes(fdef)

    def visit(node):
        if id(node) in skipped or node in annotations:
            return
        value = _folded_int(node) if isinstance(node, (ast.Constant, ast.BinOp,
                                                       ast.UnaryOp)) else None
        if value is not None:
            if not -2 ** 63 <= value < 2 ** 64:
                shown = "" if isinstance(node, ast.Constant) or value == _TOO_LARGE else \
                    f" (= {value})"
                raise parsed.error(
                    f"the integer constant {ast.unparse(node)}{shown} does not fit in 64 bits",
                    node, "Kernel integers have at most 64 bits (wp.int64, wp.uint64); write "
                    "a float (2.0 ** 70) for a large value.")
            return
        for child in ast.iter_child_nodes(node):
            visit(child)

    for stmt in fdef.body:
        visit(stmt)


def _check_falls_off_the_end(parsed: ParsedFunction, fdef) -> None:
    """A function that returns a value on some paths must not reach its end: there it
    would return nothing (Numba makes the result optional, and the caller fails at run
    time, with no line)."""
    returns = [n for n in ast.walk(fdef) if isinstance(n, ast.Return) and n.value is not None]
    if returns and _completes(fdef.body):
        last = fdef.body[-1]
        raise parsed.error(
            f"function '{parsed.name}' returns a value (line {returns[0].lineno}) but can "
            "also reach its end, where it would return nothing", last,
            "End every path with a 'return <value>' (for example a last 'return' after "
            "the loop or 'if').")


def _completes(body) -> bool:
    """Whether running ``body`` can reach its end (conservatively: loops may run zero
    times, both branches of an 'if' may run)."""
    for stmt in body:
        if isinstance(stmt, (ast.Return, ast.Raise)):
            return False
        if isinstance(stmt, ast.If) and not (_completes(stmt.body) or
                                             _completes(stmt.orelse)):
            return False
        if isinstance(stmt, ast.While) and isinstance(stmt.test, ast.Constant) and \
                stmt.test.value and not _breaks(stmt.body):
            return False  # (while True: without a break)
    return True


def _breaks(body) -> bool:
    """Whether a 'break' in ``body`` leaves this loop (not a loop nested in it)."""
    for stmt in body:
        if isinstance(stmt, ast.Break):
            return True
        if isinstance(stmt, ast.If) and (_breaks(stmt.body) or _breaks(stmt.orelse)):
            return True
    return False


def _check_parameters(parsed: ParsedFunction, what: str) -> None:
    """Warp's parameter rules: keyword-only parameters are ordinary parameters (in the
    order written; ``source.parse_function`` has already made them so), a kernel's
    default values are accepted and not used (a launch passes every argument), and
    ``*args``, ``**kwargs`` and positional-only parameters are refused (Warp reads each
    of them as one plain parameter, which is not what they mean in Python)."""
    fdef = parsed.tree
    args = fdef.args
    extra = args.vararg or args.kwarg
    if extra is not None:
        star = "*" if extra is args.vararg else "**"
        raise parsed.error(
            f"variadic parameter '{star}{extra.arg}' is not supported in {what}",
            fdef, "Declare each parameter by name with its type (a vector or a struct can "
            "carry several values).")
    if args.posonlyargs:
        raise parsed.error(f"positional-only parameters ('/') are not supported in {what}",
                           fdef, "Remove the '/' from the parameter list.")
    if parsed.defaults_error:
        raise parsed.error(parsed.defaults_error, fdef,
                           "Give every parameter after the first one with a default a "
                           "default too.")


def static_subtrees(parsed: ParsedFunction) -> set:
    """ids of the nodes inside ``wp.static(...)`` arguments (Python, evaluated when the
    kernel is built). A call of a ``static`` that cannot be resolved yet (it is defined
    after the kernel) counts as ``wp.static``; the check made when the code is generated
    resolves every name."""
    resolver = Resolver(parsed.fn)
    out = set()
    for node in ast.walk(parsed.tree):
        if not (isinstance(node, ast.Call) and _call_name(node.func) == "static"):
            continue
        try:
            target = resolver.resolve(node.func)
        except Unresolved:
            target = lang.static
        except Exception:  # noqa: BLE001 - an attribute's __getattr__ failed: not static
            continue
        if target is lang.static:
            out.update(id(sub) for arg in node.args for sub in ast.walk(arg))
            out.update(id(sub) for kw in node.keywords for sub in ast.walk(kw))
    return out


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
