"""Turning transformed ASTs back into Python source, with a map to the user's lines.

Generated code lives in real files (so tracebacks, ``inspect``, pdb and Numba's
on-disk cache work). Each generated line remembers the user line it came from, so
compile errors can be reported at the user's file and line.
"""

from __future__ import annotations

import ast

__all__ = ["SourceWriter"]


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
