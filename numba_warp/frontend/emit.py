"""Turning transformed ASTs back into Python source, with a map to the user's lines.

Generated code lives in real files (so tracebacks, ``inspect``, pdb and Numba's
on-disk cache work). Each generated line remembers the user line it came from, so
compile errors can be reported at the user's file and line.

Every generator (forward bodies, debug-mode bodies, backward bodies) hands its output
over as one :class:`GeneratedSource`.
"""

from __future__ import annotations

import ast

__all__ = ["SourceWriter", "GeneratedSource"]


class SourceWriter:
    """Accumulates generated source lines and, for each, the user's line number."""

    def __init__(self):
        self.lines: list[str] = []
        self.origin: list[int | None] = []

    def line(self, text: str, origin: int | None = None, indent: int = 0) -> None:
        for part in text.split("\n"):
            self.lines.append("    " * indent + part)
            self.origin.append(origin)

    def blank(self) -> None:
        self.line("")

    def statements(self, body: list[ast.stmt], indent: int) -> None:
        """Write statements, keeping compound statements' structure and origins."""
        if not body:
            self.line("pass", None, indent)
            return
        for stmt in body:
            self.statement(stmt, indent)

    def statement(self, stmt: ast.stmt, indent: int) -> None:
        origin = getattr(stmt, "lineno", None)
        if isinstance(stmt, ast.If):
            self.line(f"if {ast.unparse(stmt.test)}:", origin, indent)
            self.statements(stmt.body, indent + 1)
            if stmt.orelse:
                self.line("else:", origin, indent)
                self.statements(stmt.orelse, indent + 1)
        elif isinstance(stmt, ast.For):
            head = f"for {ast.unparse(stmt.target)} in {ast.unparse(stmt.iter)}:"
            self.line(head, origin, indent)
            self.statements(stmt.body, indent + 1)
        elif isinstance(stmt, ast.While):
            self.line(f"while {ast.unparse(stmt.test)}:", origin, indent)
            self.statements(stmt.body, indent + 1)
        else:
            self.line(ast.unparse(stmt), origin, indent)

    def source(self) -> str:
        return "\n".join(self.lines) + "\n"


class GeneratedSource:
    """One generated function (or several, for a backward module): its source, the
    outside objects it binds and a map to the user's lines.

    ``name``: the generated function's name; ``params``: its parameters (a kernel's
    forward body: the flattened kernel parameters, after the thread index and launch
    dimensions; a backward body: all of them); ``writer``: the :class:`SourceWriter`
    holding the lines and their origins; ``refs``: global name -> object;
    ``deps``: the ``@wp.func`` functions called; ``parsed``: the user's
    ``ParsedFunction``; ``tid_arity``: how many indices ``wp.tid()`` gives (kernels).
    A forward body also keeps its transformed statements, the input of the debug-mode
    instrumentation and of the adjoint compiler: ``body``, ``prologue`` (struct
    parameters rebuilt, arguments cast) and ``tid_names`` (the user's names of the
    thread indices, in order).
    """

    def __init__(self, name, params, writer: SourceWriter, refs: dict, deps: list, parsed,
                 *, tid_arity: int = 0, body=(), prologue=(), tid_names=()):
        self.name = name
        self.params = list(params)
        self.writer = writer
        self.refs = refs
        self.deps = deps
        self.parsed = parsed
        self.tid_arity = tid_arity
        self.body: list = list(body)
        self.prologue: list = list(prologue)
        self.tid_names: list = list(tid_names)

    @property
    def source(self) -> str:
        return self.writer.source()
