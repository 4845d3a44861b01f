"""Reading a user function's source and AST, wherever it was defined.

Works for functions in files, in Jupyter/IPython cells (IPython registers each cell
in :mod:`linecache`) and for functions made inside other functions. The returned
AST keeps the user's real line numbers.
"""

from __future__ import annotations

import ast
import hashlib
import inspect
import re
import textwrap

from .errors import SourceLocation, WarpCodegenError

__all__ = ["ParsedFunction", "parse_function", "warp_key"]


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

    def location(self, node=None) -> SourceLocation:
        lineno = getattr(node, "lineno", None) or self.tree.lineno
        return SourceLocation(self.filename, lineno, self.name)

    def error(self, message: str, node=None, hint: str = "") -> WarpCodegenError:
        return WarpCodegenError(message, self.location(node), hint)


def parse_function(fn) -> ParsedFunction:
    """Parse ``fn``'s source into an ``ast.FunctionDef`` with the file's line numbers."""
    try:
        lines, first = inspect.getsourcelines(fn)
        filename = inspect.getsourcefile(fn) or fn.__code__.co_filename
    except (OSError, TypeError) as exc:
        raise WarpCodegenError(
            f"cannot read the source code of '{fn.__qualname__}' ({exc}).",
            SourceLocation(fn.__code__.co_filename, fn.__code__.co_firstlineno, fn.__name__),
            "Kernels and functions must be defined in a file, a notebook cell or an IPython "
            "prompt; code built with exec() from a string needs a linecache entry.",
        ) from None
    source = textwrap.dedent("".join(lines))
    module = ast.parse(source)
    tree = module.body[0]
    if not isinstance(tree, ast.FunctionDef):
        raise WarpCodegenError(
            f"'{fn.__qualname__}' is not defined with a 'def' statement",
            SourceLocation(filename, first, fn.__name__),
        )
    ast.increment_lineno(module, first - 1)
    tree.decorator_list = []
    return ParsedFunction(fn, tree, filename, source)


def warp_key(fn) -> str:
    """Warp's ``key`` of a kernel or function: its qualified name as an identifier
    (``outer.<locals>.k`` -> ``outer__locals__k``; a module-level ``k`` -> ``k``)."""
    return re.sub(r"[^0-9a-zA-Z_]+", "", fn.__qualname__.replace(".", "__"))
