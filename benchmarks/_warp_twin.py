"""Load a benchmark module a second time with NVIDIA Warp in place of numba_warp.

``load(path, name)`` executes the file's source with its line ``import numba_warp as wp``
replaced by ``import warp as wp``, as a module called ``name``. The code object keeps the
file's name and line numbers, so Warp's ``inspect.getsource`` of each kernel reads the
same text from disk, and every kernel of the module is the same source for both libraries.
"""

from __future__ import annotations

import sys
import types
from pathlib import Path

NUMBA_WARP_IMPORT = "import numba_warp as wp"


def load(path, name: str) -> types.ModuleType:
    """The module at ``path`` with ``wp`` bound to NVIDIA Warp (imported as ``name``)."""
    if name in sys.modules:
        return sys.modules[name]
    path = Path(path)
    text = path.read_text()
    if NUMBA_WARP_IMPORT not in text:
        raise ValueError(f"{path} has no line '{NUMBA_WARP_IMPORT}' to point at NVIDIA Warp")
    code = compile(text.replace(NUMBA_WARP_IMPORT, "import warp as wp", 1), str(path), "exec")
    module = types.ModuleType(name)
    module.__file__ = str(path)
    sys.modules[name] = module  # Warp groups kernels by their function's __module__
    try:
        exec(code, module.__dict__)  # noqa: S102 - our own benchmark file
    except BaseException:
        del sys.modules[name]
        raise
    return module


def import_warp(quiet: bool = True):
    """NVIDIA Warp, quiet, or None when it is not installed."""
    try:
        import warp  # optional baseline
    except ImportError:
        return None
    if quiet:
        warp.config.quiet = True  # Warp < 1.12
        if hasattr(warp, "LOG_WARNING"):
            warp.config.log_level = warp.LOG_WARNING
    return warp
