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
from .launcher import variant_noun

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
        if exc is None:
            return False
        if isinstance(exc, WarpCodegenError):  # ours, raised while Numba typed a call
            worded = _user_types(exc.short_message)
            location = exc.location
            if worded.startswith("no overload of function"):  # (at the call, not the def)
                location = _traceback_location(tb) or location
            if worded == exc.short_message and location is exc.location:
                return False
            raise type(exc)(worded, location, exc.hint) from None
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
            if not isinstance(exc, Exception):
                return False  # (KeyboardInterrupt, MemoryError's kin: not ours to word)
            raise _internal_error(exc, tb, self.k, self.adjoint) from exc
        err = translate_numba_error(exc, self.k, self.adjoint)
        if not err.located:  # (a typing rule's own exception: Numba added no place)
            location = _traceback_location(tb)
            if location is not None:
                if _numpy_call_failed(location.source_line() or "", _ANSI.sub("", str(exc))):
                    err = _compile_error(self.k, self.adjoint, _NUMPY_MESSAGE, location)
                else:
                    err = WarpCodegenError(err.short_message, location)
                    err.located = True
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
    text = _ANSI.sub("", str(exc))  # (Numba highlights with terminal codes where enabled)
    nested = _func_body_error(text)
    if nested is not None:  # (a @wp.func's body failed to type: report its line)
        err = translate_numba_error(_NestedError(nested), k, adjoint)
        if err.located:
            return err
    location = None
    for match in reversed(_FILE_LINE.findall(text)):
        filename, line = (match[0], match[1]) if match[0] else (match[2], match[3])
        location = _user_location(filename, int(line))
        if location is not None:
            break
    message = _PIPELINE.sub("", _clean_numba_message(text))
    if isinstance(exc, ImportError) and location is None:
        location = _numpy_line(k)  # (Numba's np.linalg without SciPy names no line)
    line = location.source_line() if location is not None else ""
    if isinstance(exc, ImportError) or _numpy_call_failed(line or "", text):
        message = _NUMPY_MESSAGE
    if "NRT required but not enabled" in text:
        message = ("an operation here would allocate a new array (for example arithmetic on "
                   "whole arrays), which kernels cannot do; read and write single elements "
                   "(a[i]) instead")
    return _compile_error(k, adjoint, message, location)


def _compile_error(k, adjoint: bool, message: str, location) -> WarpCodegenError:
    """The error for kernel ``k`` (its backward pass when ``adjoint``) at ``location``
    (None: the kernel's definition; ``located`` tells which)."""
    what = variant_noun(adjoint)
    err = WarpCodegenError(f"cannot compile {what} '{k.qualified_name}': {message}",
                           location or k.parsed.location())
    err.located = location is not None
    return err


class _NestedError(Exception):
    """The text of an error Numba nested in another."""


_FUNC_CALL = re.compile(r"No implementation of function Function\(<wp\.func \w+>\)")


def _func_body_error(text: str):
    """Numba reports a @wp.func whose body failed to type as 'no implementation' of the
    function at the call, with the body's error nested among the rejected candidates:
    that nested error's text, or None."""
    if not _FUNC_CALL.search(text):
        return None
    lines = text.splitlines()
    for k, line in enumerate(lines[:-1]):
        if "Rejected as the implementation raised a specific error:" in line and \
                "Failed in " in lines[k + 1]:
            indent = len(line) - len(line.lstrip())
            block = [re.sub(r"^\s*\w+Error: ", "", lines[k + 1])]
            for nxt in lines[k + 2:]:
                if nxt.strip() and len(nxt) - len(nxt.lstrip()) < indent:
                    break
                block.append(nxt[indent:])
            return "\n".join(block)
    return None


def _user_location(filename, line):
    """The user's place of line ``line`` of generated file ``filename``, or None."""
    gen = generated_origin(filename)
    if gen is None:
        return None
    source_line = _generated_line_origin(filename, line, gen)
    if source_line is None:
        return None
    return SourceLocation(gen.parsed.filename, source_line, gen.parsed.name)


def _traceback_location(tb):
    """The user's place of the innermost generated line Numba was typing or lowering when
    the exception of traceback ``tb`` was raised (its ``self.loc``), or None."""
    location = None
    while tb is not None:
        loc = getattr(tb.tb_frame.f_locals.get("self"), "loc", None)
        if isinstance(getattr(loc, "filename", None), str) and \
                isinstance(getattr(loc, "line", None), int):
            location = _user_location(loc.filename, loc.line) or location
        tb = tb.tb_next
    return location


def _internal_error(exc, tb, k, adjoint: bool) -> WarpCodegenError:
    """An exception Numba did not word (an AttributeError, a KeyError, ... from lowering
    code that met a type it does not handle), at the user's line that was being compiled
    (the innermost instruction location on the stack)."""
    location = _traceback_location(tb)
    line = location.source_line() if location is not None else ""
    if _NUMPY_CALL.search(line):
        message = _NUMPY_MESSAGE
    else:
        message = (f"this line cannot be compiled ({type(exc).__name__}: "
                   f"{as_user_wrote(_ANSI.sub('', str(exc)))}); check the types of its "
                   "values. This is a gap in numba_warp's error checks: please report it")
    return _compile_error(k, adjoint, message, location)


_NUMPY_CALL = re.compile(r"\b(np|numpy)\.\w")
_NUMPY_NAMES = re.compile(r"\b(?:np|numpy)\.(?:\w+\.)*(\w+)\s*\(")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_PIPELINE = re.compile(r"Failed in \w+ mode pipeline \(step: [^)]*\)\s*")


def _numpy_call_failed(line: str, text: str) -> bool:
    """Whether the error is about a NumPy function the user's ``line`` calls (Numba has
    no implementation of it, or names it: on CUDA ``np.zeros`` fails as ``zeros``)."""
    if not _NUMPY_CALL.search(line):
        return False
    if "No implementation" in text:
        return True
    return any(re.search(rf"\b{re.escape(name)}\b", text) for name in _NUMPY_NAMES.findall(line))
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
        return "; ".join(dict.fromkeys(_reword(m) for m in specific))
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
    return _reword(_retyped_in_loop(_no_overload(msg)))


def _reword(msg: str) -> str:
    """Numba's wording and type names in ours."""
    msg = _user_types(msg)
    for pattern, repl in _REWORDED:
        msg = pattern.sub(repl, msg)
    return msg


_REWORDED = [  # Numba's wording -> ours
    (re.compile(r"The compiler failed to analyze the bytecode\. Variable '(\w+)' is not "
                r"defined\."),
     r"variable '\1' is read before it is assigned (on at least one path to this line): "
     r"assign it first, e.g. before the 'if' or loop that assigns it"),
    (re.compile(r"Cannot unify (.+?) and (.+?) for '([A-Za-z_]\w*?)(?:_L\d+)?(?:\.\d+)*', "
                r"defined at \S+ \(\d+\)"),
     r"variable '\3' holds values of two types, \1 and \2 (it is assigned different types in "
     r"a loop or in the branches of an 'if'): give it one type"),
    (re.compile(r"Unknown attribute '(\w+)' of type (.+?)$"), r"\2 has no attribute '\1'"),
    (re.compile(r"Untyped global name '(\w+)': Cannot determine Numba type of <class "
                r"'function'>"),
     r"'\1' is a plain Python function: kernels and @wp.func functions can call only "
     r"@wp.func functions and builtins (decorate it with @wp.func)"),
    (re.compile(r"Untyped global name '(\w+)': Cannot determine Numba type of <class "
                r"'([\w.]+)'>"),
     r"global '\1' (a \2) cannot be used in kernel code: pass the value as an argument, or "
     r"make it a wp.constant"),
    (re.compile(r"Unsupported array index type (\w+) in "
                r"(?:\[[^\]]*\]|tuple of \d+ \w+|\w+\([^)]*\))"),
     r"array indices must be integers, got \1"),
]


_TYPE_WORDS = [  # Numba's spelling of a type -> Warp's
    (re.compile(r"\b(?:readonly )?array\((\w+), 1d, [CAF]\)"), r"array(dtype=\1)"),
    (re.compile(r"\b(?:readonly )?array\((\w+), ([2-4])d, [CAF]\)"), r"array\2d(dtype=\1)"),
    (re.compile(r"\bLiteral\[(\w+)\]\((?:[^()]|\([^()]*\))*\)"), r"\1"),
    (re.compile(r"\bunicode_type\b"), "str"),
    (re.compile(r"(?<=: )none(?= and )|(?<= and )none\b"), "None"),
    (re.compile(r"\breflected list\((?:[^()]|\([^()]*\))*\)(?:<iv=[^>]*>)?"), "list"),
    (re.compile(r"\bUniTuple\((\w+) x (\d+)\)"), r"tuple of \2 \1"),
    (re.compile(r"\bModule\(<module '([\w.]+)'[^>]*>\)"), r"module \1"),
]


def _user_types(msg: str) -> str:
    """Numba's names of types (``array(float32, 1d, C)``, ``Literal[int](50)``,
    ``unicode_type``) in Warp's terms (``array(dtype=float32)``, ``int``, ``str``)."""
    for pattern, repl in _TYPE_WORDS:
        msg = pattern.sub(repl, msg)
    return msg


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


_NO_IMPL = re.compile(r"No implementation of function (?:Function\()?<?(wp\.func |class ')?"
                      r"([\w.]+)'?>?\)? found for signature: >>> [\w.]+\((.*?)\)(?: .*)?$")


def _no_overload(msg: str) -> str:
    """Numba's "No implementation of function f found for signature: >>> f(types) With
    argument(s) ...: No match." in the user's terms."""
    m = _NO_IMPL.search(msg)
    if m is None:
        return msg
    kind, name, types = m.groups()
    parts = _split_types(types)
    if name in _COMPARISONS and len(parts) == 2:
        if name == "contains":
            return (f"cannot compute {parts[1]} in {parts[0]}: kernels have no 'in' for these "
                    "types (compare with '==' instead)")
        return (f"cannot compute {parts[0]} {_COMPARISONS[name]} {parts[1]}: comparisons take "
                "two scalars of the same kind (compare vector components, or wp.length(v))")
    if name in ("setitem", "getitem") and len(parts) == (3 if name == "setitem" else 2):
        if name == "setitem":
            return (f"cannot store a value of type {parts[2]} into {parts[0]} indexed with "
                    f"({parts[1]}): check the value's type and the number and types of the "
                    "indices")
        return (f"cannot index {parts[0]} with ({parts[1]}): indices are integers, one per "
                "dimension")
    what = (f"@wp.func '{name}'" if kind == "wp.func " else f"{name}()" if kind == "class '"
            else f"wp.{name}" if "." not in name else name)
    if name in _OPERATORS and not kind:
        what += f" (the operator '{_OPERATORS[name]}')"
    return (f"{what} has no overload that takes ({types}): check the argument types "
            "(vectors and matrices of the same length and scalar type, float vs int)")


_OPERATORS = {"add": "+", "sub": "-", "mul": "*", "div": "/", "floordiv": "//", "mod": "%",
              "pow": "**", "matmul": "@", "bit_and": "&", "bit_or": "|", "bit_xor": "^",
              "lshift": "<<", "rshift": ">>", "neg": "-", "pos": "+", "invert": "~"}
_COMPARISONS = {"lt": "<", "le": "<=", "gt": ">", "ge": ">=", "eq": "==", "ne": "!=",
                "contains": "in", "is_": "is", "is_not": "is not"}


def _split_types(types: str) -> list:
    """``"a, b(c, d), e"`` -> ``["a", "b(c, d)", "e"]``."""
    parts, depth, start = [], 0, 0
    for k, ch in enumerate(types):
        depth += ch in "(["
        depth -= ch in ")]"
        if ch == "," and depth == 0:
            parts.append(types[start:k].strip())
            start = k + 1
    parts.append(types[start:].strip())
    return [p for p in parts if p]


def _specific_errors(text: str) -> list:
    """The messages our own typing rules raised (Numba nests them among candidates)."""
    lines = text.splitlines()
    out = []
    for k, line in enumerate(lines):
        if "raised a specific error:" in line and k + 1 < len(lines):
            msg = re.sub(r"^\s*(\w+Error): ", "", lines[k + 1]).strip()
            if msg and msg not in out and "No implementation" not in msg and \
                    not msg.startswith(("Failed in ", "All arguments must be Sets")):
                out.append(msg)
    return out[:3]
