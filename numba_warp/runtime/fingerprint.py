"""Describing the values generated code depends on, by value, for cache keys.

Generated code refers to outside objects (resolved module globals, closure values,
``wp.constant`` values, ``wp.static`` results, float literals, functions it calls) by
name; Numba freezes their values into the compiled code. So the key of a compiled
kernel must cover those *values*, not just the generated source. This module turns each
such object into a stable string:

* numbers, strings, tuples and NumPy data by value (arrays by a hash of their bytes);
* vector/matrix values by type and components; scalar classes, types and structs by
  name and layout;
* ``@wp.func`` objects by their content hash (their own source, values and callees);
* user ``@numba.njit`` functions by their bytecode, constants and the simple globals
  they read;
* this library's own objects by qualified name (the library's source hash covers them).

An object with no value-based description falls back to its ``repr``; if that repr
holds an address, the key changes every process (a recompile, never a stale hit).
"""

from __future__ import annotations

import hashlib
import types as pytypes

import numpy as np

__all__ = ["describe_value", "describe_refs", "code_fingerprint"]

_LIBRARY_PREFIXES = ("numba_warp.", "numba.", "numba_cuda.", "llvmlite.")
_SIMPLE = (bool, int, float, complex, str, bytes, type(None))


def describe_refs(refs: dict, seen: set | None = None) -> str:
    """One line per generated-module global: ``name = <description>``."""
    seen = set() if seen is None else seen
    return "".join(f"#   {k} = {describe_value(v, seen)}\n" for k, v in sorted(refs.items()))


def describe_value(v, seen: set | None = None) -> str:
    """A stable string that changes whenever ``v``'s meaning in compiled code changes."""
    seen = set() if seen is None else seen
    if isinstance(v, _SIMPLE):
        # float subclasses (weak literals) by value: repr() is exact for floats
        base = type(v).__mro__[-2] if type(v) not in _SIMPLE else type(v)
        return f"{base.__name__}:{v!r}"
    if isinstance(v, np.generic):
        return f"np.{v.dtype}:{v.item()!r}"
    if isinstance(v, np.ndarray):
        digest = hashlib.sha256(np.ascontiguousarray(v).tobytes()).hexdigest()[:16]
        return f"ndarray {v.dtype}{v.shape} #{digest}"
    if isinstance(v, (tuple, list)):
        inner = ", ".join(describe_value(x, seen) for x in v)
        return f"{type(v).__name__}({inner})"
    content_hash = getattr(v, "content_hash", None)
    if callable(content_hash) and not isinstance(v, type):
        if id(v) in seen:
            return f"{type(v).__name__} {getattr(v, '__name__', '')} (recursive)"
        seen.add(id(v))
        return f"{type(v).__name__} {getattr(v, '__name__', '')} #{content_hash(seen)[:16]}"
    if isinstance(v, type) and hasattr(v, "_wp_struct_"):
        return f"struct {v.__module__}.{v.__qualname__} [{v._wp_struct_.layout_key()}]"
    components = getattr(v, "_components", None)
    if callable(components) and not isinstance(v, type):
        return f"{type(v).__name__}{components()!r}"
    struct_desc = getattr(type(v), "_wp_struct_", None)
    if struct_desc is not None:
        fields = ", ".join(f"{n}={describe_value(getattr(v, n, None), seen)}"
                           for n, _ in struct_desc.fields)
        return f"{type(v).__qualname__}({fields})"
    py_func = getattr(v, "py_func", None)
    if isinstance(py_func, pytypes.FunctionType):
        if _is_library(py_func):
            return f"jit {_qualname(py_func)}"
        return f"jit {_qualname(py_func)} #{code_fingerprint(py_func, seen)}"
    if isinstance(v, pytypes.FunctionType) and not _is_library(v):
        return f"function {_qualname(v)} #{code_fingerprint(v, seen)}"
    if isinstance(v, (type, pytypes.FunctionType, pytypes.BuiltinFunctionType,
                      pytypes.ModuleType)):
        return _qualname(v)
    text = repr(v)
    if " at 0x" in text and _is_library(v):
        text = getattr(v, "__name__", None) or getattr(v, "_name", None) or text
    return f"{type(v).__module__}.{type(v).__qualname__}: {text}"


def code_fingerprint(fn, seen: set | None = None) -> str:
    """Hash of a Python function's code, constants, defaults, closure values and the
    simple globals (numbers, strings, other functions) it reads."""
    seen = set() if seen is None else seen
    if id(fn) in seen:
        return "recursive"
    seen.add(id(fn))
    h = hashlib.sha256()
    _hash_code(h, fn.__code__)
    h.update(repr(fn.__defaults__).encode())
    if fn.__kwdefaults__:
        h.update(repr(fn.__kwdefaults__).encode())
    if fn.__closure__:
        for cell in fn.__closure__:
            try:
                h.update(describe_value(cell.cell_contents, seen).encode())
            except ValueError:  # an empty cell
                h.update(b"<empty>")
    names = _global_names(fn.__code__)
    for name in sorted(names):
        if name in fn.__globals__:
            value = fn.__globals__[name]
            if isinstance(value, pytypes.ModuleType):
                continue
            h.update(f"{name}={describe_value(value, seen)};".encode())
    return h.hexdigest()[:16]


def _hash_code(h, code) -> None:
    h.update(code.co_code)
    for const in code.co_consts:
        if isinstance(const, pytypes.CodeType):
            _hash_code(h, const)
        else:
            h.update(repr(const).encode())


def _global_names(code) -> set:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, pytypes.CodeType):
            names |= _global_names(const)
    return names


def _qualname(v) -> str:
    mod = getattr(v, "__module__", None) or type(v).__module__
    name = getattr(v, "__qualname__", None) or getattr(v, "__name__", None) or \
        type(v).__qualname__
    return f"{mod}.{name}"


def _is_library(v) -> bool:
    mod = getattr(v, "__module__", None)
    if not isinstance(mod, str):
        mod = type(v).__module__
    return mod in ("builtins", "math", "cmath", "operator", "numpy") or \
        (mod + ".").startswith(_LIBRARY_PREFIXES)
