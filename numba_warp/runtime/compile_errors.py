"""Numba's compile errors as errors for people.

Numba reports errors in the generated source (the kernel cache's ``.py`` files) with
pipeline stages, overload candidates and generated names. A kernel's compile step runs
inside ``numba_errors``, which raises instead a ``WarpCodegenError`` at the user's file and
line (mapped back through the generated source's line origins) with the informative
part of Numba's message.
"""

from __future__ import annotations

import re

from numba.core import errors as nb_errors

from ..frontend.errors import SourceLocation, WarpCodegenError
from ..frontend.naming import as_user_wrote
from .cache import generated_origin

__all__ = ["numba_errors", "translate_numba_error"]


class numba_errors:
    """``with numba_errors(kernel, adjoint, retype):`` turns Numba's compile errors raised
    in the block into errors at the user's file and line.

    numba-cuda's typing errors carry no source location; for those, ``retype`` (when
    given) type-checks the same body for the CPU, whose error does, and that one is
    reported.
    """

    def __init__(self, k, adjoint: bool = False, retype=None):
        self.k = k
        self.adjoint = adjoint
        self.retype = retype

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc is None or isinstance(exc, WarpCodegenError):
            return False
        if isinstance(exc, NotImplementedError) and str(exc) == "float16":
            raise WarpCodegenError(
                f"cannot compile kernel '{self.k.qualified_name}' for the CPU: Numba's CPU "
                "target has no float16 arithmetic. float16 arrays work everywhere (storage, "
                "copies, views), and float16 kernels run on CUDA; on the CPU convert the data with "
                "a.numpy().astype(np.float32) or use float32 arrays.",
                self.k.parsed.location()) from None
        # (ImportError: Numba's np.linalg without SciPy fails so while typing)
        if not isinstance(exc, (nb_errors.NumbaError, TypeError, NameError, ValueError,
                                ImportError)):
            return False
        err = translate_numba_error(exc, self.k, self.adjoint)
        if not err.located and self.retype is not None:
            cpu_err = _cpu_typing_error(self.k, self.retype, self.adjoint)
            if cpu_err is not None and cpu_err.located:
                err = cpu_err
        raise err from None


def _cpu_typing_error(k, retype, adjoint=False):
    """The located error from type-checking the kernel body for the CPU, or None."""
    try:
        retype()
    except (nb_errors.NumbaError, TypeError, NameError, ValueError, ImportError) as exc:
        return translate_numba_error(exc, k, adjoint)
    return None


_FILE_LINE = re.compile(r'File "([^"]+)", line (\d+)|at (/[^\s]+\.py) \((\d+)\)')


def translate_numba_error(exc, k, adjoint: bool = False) -> WarpCodegenError:
    """The error for people for Numba's ``exc`` compiling kernel ``k``: the user's
    line when the error names a generated line, and Numba's message cleaned."""
    text = str(exc)
    location = None
    for match in reversed(_FILE_LINE.findall(text)):
        filename, line = (match[0], match[1]) if match[0] else (match[2], match[3])
        gen = generated_origin(filename)
        if gen is None:
            continue
        source_line = _generated_line_origin(filename, int(line), gen)
        if source_line is not None:
            location = SourceLocation(gen.parsed.filename, source_line, gen.parsed.name)
            break
    message = _clean_numba_message(text)
    if isinstance(exc, ImportError) and location is None:
        location = _numpy_line(k)  # (Numba's np.linalg without SciPy names no line)
    line = location.source_line() if location is not None else ""
    if isinstance(exc, ImportError) or (_NUMPY_CALL.search(line or "")
                                        and "No implementation" in text):
        message = _NUMPY_MESSAGE
    if "NRT required but not enabled" in text:
        message = ("an operation here would allocate a new array (for example arithmetic on "
                   "whole arrays), which kernels cannot do; read and write single elements "
                   "(a[i]) instead")
    what = "the backward pass of kernel" if adjoint else "kernel"
    err = WarpCodegenError(f"cannot compile {what} '{k.qualified_name}': {message}",
                           location or k.parsed.location())
    err.located = location is not None
    return err


_NUMPY_CALL = re.compile(r"\b(np|numpy)\.\w")
_NUMPY_MESSAGE = (
    "this NumPy function cannot run inside a kernel: kernels cannot make arrays "
    "(np.zeros, np.array, ...) and NumPy's linear algebra works on whole arrays. Use "
    "Warp's builtins instead: wp.zeros(shape=..., dtype=...) for a small thread-local "
    "array, wp.vec3/wp.mat33 values, wp.length, wp.dot, wp.inverse, wp.svd3, ... (NumPy "
    "math on single values, such as np.sin(x), works)")


def _numpy_line(k):
    """The first line of kernel ``k``'s source that calls NumPy, or None."""
    parsed = k.parsed
    first = k.func.__code__.co_firstlineno  # (the source starts at the first decorator)
    for offset, text in enumerate(parsed.source.splitlines()):
        if _NUMPY_CALL.search(text) and not text.lstrip().startswith("#"):
            return SourceLocation(parsed.filename, first + offset, parsed.name)
    return None


def _generated_line_origin(filename, line, gen):
    """Map a line of a generated file back to the user's line."""
    try:
        with open(filename) as f:
            lines = f.read().split("\n")
    except OSError:
        return None
    src_lines = gen.writer.lines
    # the function's source sits in the file verbatim; find where it starts
    first = src_lines[0]
    try:
        start = lines.index(first)
    except ValueError:
        return None
    idx = line - 1 - start
    if 0 <= idx < len(gen.writer.origin):
        return gen.writer.origin[idx]
    return None


def _clean_numba_message(text: str) -> str:
    """The informative part of a Numba error: no pipeline names, code or candidates."""
    specific = _specific_errors(text)
    if specific:
        return "; ".join(specific)
    keep = []
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith(("File \"", "<source elided>")) or "<source elided>" in line:
            break  # the location block follows; we report the user's line instead
        if not line or line.startswith(("Failed in ", "During:", "There are ", "- Of which",
                                         "Overload", "Rejected as", "Enable logging",
                                         "This error may", "^", "raised from", "Known ",
                                         "Current ", "[", "*", "def ", "-")):
            continue
        keep.append(line)
        if len(keep) >= 6:
            break
    msg = " ".join(keep) or text.strip().splitlines()[0]
    msg = msg.replace("Function(<function ", "").replace("Function(<built-in function ", "")
    msg = as_user_wrote(msg)  # generated names read as the user wrote them
    msg = re.sub(r" at 0x[0-9a-f]+>\)", "", msg)
    msg = re.sub(r"\s+", " ", msg)
    return _retyped_in_loop(_no_overload(msg))


_STACKS = re.compile(r"Cannot unify wp_stack\[(\w+), \d+\] and wp_stack\[(\w+), \d+\] "
                     r"for '(?:L\d+_s_)?([A-Za-z_]\w*?)(?:_L\d+)?'")


def _retyped_in_loop(msg: str) -> str:
    """The backward pass keeps a loop variable's values on a typed stack: a variable that
    changes type in the loop (float32, then float64) cannot be kept."""
    m = _STACKS.search(msg)
    if m is None:
        return msg
    a, b, name = m.groups()
    return (f"variable '{name}' changes type in a loop ({a}, then {b}), which the backward "
            f"pass cannot record (Warp refuses it in the forward pass too): give '{name}' "
            f"one type, e.g. '{name} = wp.{b}(...)' where it is first assigned, or keep the "
            "other operands in its type (wp.vec3d for float64 vectors)")


_NO_IMPL = re.compile(r"No implementation of function (?:Function\()?<?(wp\.func )?([\w.]+)>?\)? "
                      r"found for signature: >>> [\w.]+\((.*?)\)(?: With argument\(s\).*)?$")


def _no_overload(msg: str) -> str:
    """Numba's "No implementation of function f found for signature: >>> f(types) With
    argument(s) ...: No match." in the user's terms."""
    m = _NO_IMPL.search(msg)
    if m is None:
        return msg
    user_func, name, types = m.groups()
    what = f"@wp.func '{name}'" if user_func else f"wp.{name}" if "." not in name else name
    return (f"{what} has no overload that takes ({types}): check the argument types "
            "(vectors and matrices of the same length and scalar type, float vs int)")


def _specific_errors(text: str) -> list:
    """The messages our own typing rules raised (Numba nests them among candidates)."""
    lines = text.splitlines()
    out = []
    for k, line in enumerate(lines):
        if "raised a specific error:" in line and k + 1 < len(lines):
            msg = re.sub(r"^\s*(\w+Error): ", "", lines[k + 1]).strip()
            if msg and msg not in out and "No implementation" not in msg and \
                    not msg.startswith("Failed in "):
                out.append(msg)
    return out[:3]
