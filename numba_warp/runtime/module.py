"""Warp's modules: the group of kernels a Python module defines, and their options.

As in Warp 1.19, a kernel belongs to the :class:`Module` named after its Python module
(``@wp.kernel(module="unique")``: one of its own; ``module="name"``: that one). A module
is made when first asked for (its first kernel, ``wp.get_module``,
``wp.set_module_options``) and takes its defaults from ``wp.config`` *then*: so
``wp.config.enable_backward = False`` before a module's first kernel turns backward
passes off for that module, and later changes of the config do not reach it (Warp's rule).

Options used here: ``enable_backward`` (kernels without their own ``enable_backward=``).
The others (``fast_math``, ``max_unroll``, ``lineinfo``, ``mode``, ``block_dim``, ...)
are accepted and kept, so programs that set or read them run; they do not change the
compiled code (see docs/coming_from_warp.md, "Modules and kernel options").
"""

from __future__ import annotations

import sys
import weakref

from .. import config

__all__ = ["Module", "get_module", "module_of", "resolve_module"]


def _default_options() -> dict:
    # Warp 1.19's keys and defaults, with the config read now (Warp reads it when the
    # module is made)
    return {
        "max_unroll": config.max_unroll,
        "enable_backward": config.enable_backward,
        "enable_mathdx_gemm": None,
        "enable_mathdx_solver": None,
        "enable_mathdx_fft": None,
        "fast_math": False,
        "fuse_fp": True,
        "lineinfo": False,
        "cuda_output": None,
        "mode": None,
        "optimization_level": None,
        "cpu_compiler_flags": None,
        "block_dim": config.block_dim,
        "compile_time_trace": False,
        "strip_hash": False,
        "extra_build_options": None,
        "deterministic": False,
        "deterministic_max_records": 0,
        "default_grid_stride": None,
    }


class Module:
    """The kernels of one module and their options (``wp.get_module(name)``).

    Example
    -------
    >>> m = wp.get_module("my_physics")
    >>> @wp.kernel(module=m)
    ... def integrate(x: wp.array(dtype=float)):
    ...     x[wp.tid()] += 1.0
    >>> list(m.kernels), m.options["enable_backward"]
    (['integrate'], True)
    """

    def __init__(self, name: str, loader=None):
        self.name = name
        self.loader = loader
        #: the module's options (``wp.set_module_options`` updates them)
        self.options = _default_options()
        self._kernels: weakref.WeakSet = weakref.WeakSet()

    @property
    def kernels(self) -> dict:
        """The module's live kernels by key."""
        return {k.key: k for k in list(self._kernels)}

    def register_kernel(self, kernel) -> None:
        self._kernels.add(kernel)

    def load(self, device=None, block_dim=None) -> bool:
        """Compile the module's kernels for ``device`` (see ``wp.load_module``)."""
        for k in list(self._kernels):
            k.preload(device)
        return True

    def unload(self) -> None:
        """Drop the compiled code of every kernel (it is made again on the next launch)."""
        for k in list(self._kernels):
            k.forget_compiled()

    def mark_modified(self) -> None:
        self.unload()

    def __repr__(self):
        return f"<wp.Module {self.name!r}>"


_modules: dict[str, Module] = {}


def get_module_if_made(name: str) -> Module | None:
    """The wp.Module called ``name`` if one has been made, else None (makes none)."""
    return _modules.get(name)


def get_module(name: str) -> Module:
    """The module called ``name`` (made, with the current defaults, if it is new).

    Example
    -------
    >>> m = wp.get_module("my_solver")
    >>> m.name, m is wp.get_module("my_solver")
    ('my_solver', True)
    """
    if not isinstance(name, str):
        raise TypeError(f"wp.get_module() takes a module name (str), got {type(name).__name__}")
    m = _modules.get(name)
    if m is None:
        m = _modules[name] = Module(name)
    return m


def resolve_module(module, depth: int = 2) -> Module:
    """A Module from what users pass as ``module=``: None (the caller's, ``depth`` frames
    up), a name, a Python module or a Module."""
    if module is None:
        module = sys._getframe(depth).f_globals.get("__name__", "__main__")
    if isinstance(module, Module):
        return module
    if isinstance(module, str):
        return get_module(module)
    name = getattr(module, "__name__", None)
    if isinstance(name, str):
        return get_module(name)
    raise TypeError(f"expected a module (a name, a Python module or a wp.Module), got "
                    f"{type(module).__name__}")


def module_of(fn, module=None, name: str | None = None, key: str = "") -> Module:
    """The module a kernel of function ``fn`` joins (``@wp.kernel(module=...)``)."""
    if module is None:
        return get_module(fn.__module__ or "__main__")  # exec()-made functions have None
    if isinstance(module, str) and module == "unique":
        # its own module, named after the kernel (and its key, to stay unique)
        return Module(f"{name or fn.__name__}_{abs(hash(key)) & 0xFFFFFFFF:08x}")
    return resolve_module(module)
