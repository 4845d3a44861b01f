"""Errors raised while turning user kernels into Numba code.

Every error here carries the user's file and line, so a message reads like a
Python traceback line: what went wrong, where, and what to do instead.

Errors in a kernel's or function's code are found when it is decorated but raised when
it is compiled (its first launch, ``wp.load_module``, or the compile of a kernel that
calls it), as in Warp: one unsupported kernel must not make the module that defines it
fail to import. :class:`DeferredError` keeps such an error; at definition it is reported
as a :class:`WarpCodegenWarning` at the user's file and line.
"""

from __future__ import annotations

import linecache
import warnings

__all__ = ["WarpCodegenError", "WarpCodegenWarning", "DeferredError", "SourceLocation",
           "WarpCodegenTypeError", "WarpCodegenValueError", "WarpCodegenKeyError",
           "WarpCodegenIndexError", "WarpCodegenAttributeError"]


class SourceLocation:
    """A position in user source: file name, line number and the function's name."""

    __slots__ = ("filename", "lineno", "function")

    def __init__(self, filename: str, lineno: int, function: str):
        self.filename = filename
        self.lineno = lineno
        self.function = function

    def source_line(self) -> str:
        return linecache.getline(self.filename, self.lineno).strip()

    def __str__(self):
        return f'File "{self.filename}", line {self.lineno}, in {self.function}'


class WarpCodegenError(Exception):
    """A kernel or function could not be compiled; the message says where and why.

    Example
    -------
    >>> @wp.kernel
    ... def bad(a: wp.array(dtype=float)):
    ...     a[0] = wp.sin(1.0, 2.0)  # sin takes one argument
    >>> wp.launch(bad, dim=1, inputs=[wp.zeros(1, dtype=float)])
    Traceback (most recent call last):
    ...
    numba_warp.frontend.errors.WarpCodegenError: cannot compile kernel ...
    """

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


class WarpCodegenTypeError(WarpCodegenError, TypeError):
    """A kernel could not be compiled because of a type (Warp's exception name).

    Catch it as a ``wp.WarpCodegenError`` or as a ``TypeError``.

    Example
    -------
    >>> cls = wp.WarpCodegenTypeError
    >>> issubclass(cls, wp.WarpCodegenError), issubclass(cls, TypeError)
    (True, True)
    """


class WarpCodegenValueError(WarpCodegenError, ValueError):
    """A kernel could not be compiled because of a value (Warp's exception name).

    Catch it as a ``wp.WarpCodegenError`` or as a ``ValueError``.

    Example
    -------
    >>> cls = wp.WarpCodegenValueError
    >>> issubclass(cls, wp.WarpCodegenError), issubclass(cls, ValueError)
    (True, True)
    """


class WarpCodegenKeyError(WarpCodegenError, KeyError):
    """A kernel could not be compiled because a name is unknown (Warp's exception name).

    Catch it as a ``wp.WarpCodegenError`` or as a ``KeyError``.

    Example
    -------
    >>> cls = wp.WarpCodegenKeyError
    >>> issubclass(cls, wp.WarpCodegenError), issubclass(cls, KeyError)
    (True, True)
    >>> str(cls("unknown name 'g'"))  # not quoted, unlike a KeyError's
    "unknown name 'g'"
    """

    __str__ = Exception.__str__  # KeyError would quote the message


class WarpCodegenIndexError(WarpCodegenError, IndexError):
    """A kernel could not be compiled because of an index (Warp's exception name).

    Catch it as a ``wp.WarpCodegenError`` or as an ``IndexError``.

    Example
    -------
    >>> cls = wp.WarpCodegenIndexError
    >>> issubclass(cls, wp.WarpCodegenError), issubclass(cls, IndexError)
    (True, True)
    """


class WarpCodegenAttributeError(WarpCodegenError, AttributeError):
    """A kernel could not be compiled because of an attribute (Warp's exception name).

    Catch it as a ``wp.WarpCodegenError`` or as an ``AttributeError``.

    Example
    -------
    >>> cls = wp.WarpCodegenAttributeError
    >>> issubclass(cls, wp.WarpCodegenError), issubclass(cls, AttributeError)
    (True, True)
    """


class WarpCodegenWarning(UserWarning):
    """Code that will fail to compile, reported where it is defined (``@wp.kernel``,
    ``@wp.func``); the error itself is raised when the code is compiled."""


class DeferredError:
    """An error found in code at definition, raised each time the code is compiled."""

    __slots__ = ("error",)

    def __init__(self, error: WarpCodegenError, when: str):
        self.error = error
        loc = error.location
        if loc is not None:
            warnings.warn_explicit(f"{error.short_message} (raised {when})",
                                   WarpCodegenWarning, loc.filename, loc.lineno)

    def throw(self):
        """Raise the error again, as a new exception with the same message and place."""
        err = self.error
        raise WarpCodegenError(err.short_message, err.location, err.hint) from None
