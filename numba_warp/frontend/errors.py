"""Errors raised while turning user kernels into Numba code.

Every error here carries the user's file and line, so a message reads like a
Python traceback line: what went wrong, where, and what to do instead.
"""

from __future__ import annotations

__all__ = ["WarpCodegenError", "SourceLocation"]


class SourceLocation:
    """A position in user source: file name, line number and the function's name."""

    __slots__ = ("filename", "lineno", "function")

    def __init__(self, filename: str, lineno: int, function: str):
        self.filename = filename
        self.lineno = lineno
        self.function = function

    def source_line(self) -> str:
        import linecache

        return linecache.getline(self.filename, self.lineno).strip()

    def __str__(self):
        return f'File "{self.filename}", line {self.lineno}, in {self.function}'


class WarpCodegenError(Exception):
    """A kernel or function could not be compiled; the message says where and why."""

    def __init__(self, message: str, location: SourceLocation | None = None, hint: str = ""):
        self.location = location
        self.hint = hint
        self.short_message = message
        text = message
        if location is not None:
            line = location.source_line()
            text = f"{message}\n  {location}" + (f"\n    {line}" if line else "")
        if hint:
            text += f"\n{hint}"
        super().__init__(text)
