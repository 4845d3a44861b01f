"""Python-scope builtins whose compiled code is kept in the kernel cache.

Some builtins run at Python scope through their own Numba implementation
(``lowering/builtin.python_scope``: quaternions, transforms, spatial algebra), so both
scopes compute the same numbers. Compiled with a plain ``njit``, each such builtin
would cost every process a compile (a quarter to half a second) the first time a
program calls it, typically while setting up a scene. Installed here, the dispatcher of
builtin ``f`` is a generated module in this build's cache folder,
``pyscope_<f>_<hash>.py`` holding ``def call(*args): return f(*args)``, compiled with
Numba's disk cache: a later process loads it like a cached kernel. The folder follows
this library's source and toolchain (``cache.library_hash``), so an upgrade never runs
old code; the file is named by ``f``'s qualified name, and a builtin whose name another
one already took is compiled in memory only (two of them must never share an entry).
"""

from __future__ import annotations

import re

from numba import njit

from .. import config
from ..lowering.builtin import JIT, install_python_scope_compiler
from .cache import guard_disk_cache, load_generated_module
from .fingerprint import describe_value

__all__ = ["cached_dispatcher"]

_REF = "_wp_builtin"
_owners: dict = {}  # description of a builtin -> the builtin it was given to


def cached_dispatcher(fn):
    """A Numba dispatcher calling ``fn(*args)``, its compiled code in the kernel cache."""
    owner = _owners.setdefault(describe_value(fn), fn)
    if owner is not fn:
        def call(*a):
            return fn(*a)

        return njit(call, **JIT)
    name = re.sub(r"\W", "_", getattr(fn, "__name__", "builtin"))
    mod = load_generated_module(f"def call(*args):\n    return {_REF}(*args)\n",
                                f"pyscope_{name}", {_REF: fn})
    return guard_disk_cache(njit(mod.call, cache=config.cache_kernels, **JIT))


install_python_scope_compiler(cached_dispatcher)
