"""Modules of this package that are imported when first used, not with the package.

The code generator, the debug-mode instrumentation and the adjoint compiler are needed
only to compile a kernel (the adjoint compiler only for a backward pass), yet they are
about an eighth of the package's source: importing them with the package would make
every ``import numba_warp`` pay for them, including programs that only load kernels
from the disk cache or only run forward passes. A module that calls into them holds a
:class:`LazyModule` made at its top level::

    codegen = LazyModule("numba_warp.frontend.codegen")   # imported at the first use
    ...
    codegen.generate(...)

The import rules of ``tests/test_architecture.py`` (no import from a higher floor)
apply to the names given here as to ``import`` statements. This module is a leaf: it
imports nothing from the package.
"""

from __future__ import annotations

import importlib
import threading

__all__ = ["LazyModule"]


class LazyModule:
    """The module ``name``, imported at the first attribute access (thread-safe: the
    import system serialises the import itself)."""

    __slots__ = ("_lock", "_module", "_name")

    def __init__(self, name: str):
        self._name = name
        self._module = None
        self._lock = threading.Lock()

    def load(self):
        """The module itself (imported now if it was not)."""
        module = self._module
        if module is None:
            with self._lock:
                module = self._module
                if module is None:
                    module = self._module = importlib.import_module(self._name)
        return module

    def __getattr__(self, attr: str):
        return getattr(self.load(), attr)

    def __repr__(self):
        state = "imported" if self._module is not None else "not imported yet"
        return f"<LazyModule {self._name!r} ({state})>"
