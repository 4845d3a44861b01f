"""Reading a user function's source and AST, wherever it was defined.

Works for functions in files, in Jupyter/IPython cells (IPython registers each cell
in :mod:`linecache`) and for functions made inside other functions. The returned
AST keeps the user's real line numbers.
"""

from __future__ import annotations

import ast
import copy
import hashlib
import inspect
import re
import textwrap

from .errors import SourceLocation, WarpCodegenError

__all__ = ["ParsedFunction", "parse_function", "warp_key", "as_load"]


class ParsedFunction:
    """A user function's AST plus where it came from."""

    def __init__(self, fn, tree: ast.FunctionDef, filename: str, source: str):
        self.fn = fn
        self.tree = tree
        self.filename = filename
        self.source = source
        self.name = fn.__name__
        self.qualname = fn.__qualname__
        self.source_hash = hashlib.sha256(source.encode()).hexdigest()
        #: why the parameters' default values cannot be used ("" when they can)
        self.defaults_error = ""

    def location(self, node=None) -> SourceLocation:
        lineno = getattr(node, "lineno", None) or self.tree.lineno
        return SourceLocation(self.filename, lineno, self.name)

    def error(self, message: str, node=None, hint: str = "",
              kind: type = WarpCodegenError) -> WarpCodegenError:
        """The error (``kind``: WarpCodegenError or one of its subclasses) to raise for
        ``node`` of this function."""
        return kind(message, self.location(node), hint)


def parse_function(fn, source: str | None = None, transformers=()) -> ParsedFunction:
    """Parse ``fn``'s source into an ``ast.FunctionDef`` with the file's line numbers.

    ``source`` replaces the source read from ``fn``'s file (its first line is then the
    function's first line); ``transformers`` (``ast.NodeTransformer`` objects) rewrite
    the tree, in order, as Warp's ``code_transformers`` do.
    """
    filename = fn.__code__.co_filename
    first = fn.__code__.co_firstlineno
    if source is None:
        try:
            lines, first = inspect.getsourcelines(fn)
            filename = inspect.getsourcefile(fn) or filename
        except (OSError, TypeError) as exc:
            raise WarpCodegenError(
                f"cannot read the source code of '{fn.__qualname__}' ({exc}).",
                SourceLocation(filename, first, fn.__name__),
                "Kernels and functions must be defined in a file, a notebook cell or an "
                "IPython prompt; code built with exec() from a string needs a linecache "
                "entry, or pass the source: wp.Kernel(func, source=text).",
            ) from None
        source = "".join(lines)
    else:  # its first line (blank lines skipped) is the function's first line
        text = source.split("\n")
        while text and not text[0].strip():
            text.pop(0)
        source = "\n".join(text)
    source = textwrap.dedent(source)
    module = ast.parse(source)
    tree = module.body[0] if module.body else None
    if not isinstance(tree, ast.FunctionDef):
        raise WarpCodegenError(
            f"'{fn.__qualname__}' is not defined with a 'def' statement",
            SourceLocation(filename, first, fn.__name__),
        )
    ast.increment_lineno(module, first - 1)
    tree.decorator_list = []
    for transformer in transformers:
        tree = ast.fix_missing_locations(transformer.visit(tree))
    parsed = ParsedFunction(fn, tree, filename, source)
    parsed.defaults_error = _keyword_only_as_positional(tree.args)
    return parsed


def _keyword_only_as_positional(args: ast.arguments) -> str:
    """Make keyword-only parameters ordinary ones, after the others, as Warp reads them
    (``def f(x, *, s=2.0)`` takes ``f(1.0, 3.0)`` too). Returns why the defaults cannot
    be used then (a parameter without a default after one with a default), else ""."""
    if not args.kwonlyargs:
        return ""
    has_default = [False] * (len(args.args) - len(args.defaults)) + [True] * len(args.defaults)
    has_default += [d is not None for d in args.kw_defaults]
    args.args = args.args + args.kwonlyargs
    names = [a.arg for a in args.args]
    for k in range(1, len(has_default)):
        if has_default[k - 1] and not has_default[k]:
            return (f"parameter '{names[k]}' has no default value but follows parameter "
                    f"'{names[k - 1]}', which has one (keyword-only parameters are ordinary "
                    "parameters in kernels and functions, as in Warp)")
    args.defaults = list(args.defaults) + [d for d in args.kw_defaults if d is not None]
    args.kwonlyargs, args.kw_defaults = [], []
    return ""


def warp_key(fn) -> str:
    """Warp's ``key`` of a kernel or function: its qualified name as an identifier
    (``outer.<locals>.k`` -> ``outer__locals__k``; a module-level ``k`` -> ``k``)."""
    return re.sub(r"[^0-9a-zA-Z_]+", "", fn.__qualname__.replace(".", "__"))


def as_load(node):
    """A copy of an assignment target (``v[1:3]``, ``s.a[i]``) with Load contexts, for
    reading the value it names."""
    node = copy.deepcopy(node)
    for sub in ast.walk(node):
        if hasattr(sub, "ctx"):
            sub.ctx = ast.Load()
    return node
