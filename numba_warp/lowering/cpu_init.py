"""Work for Numba's CPU target that waits until that target is first used.

Numba initialises its CPU target lazily: the first compile, or the first load of a
function from its disk cache, calls ``BaseContext.refresh()``, which imports Numba's
implementation modules, starts the NRT and installs every lowering registry (a quarter
of a second, most of a warm start). Parts of this package must act on that target too
(the float16 registry of ``half.py`` must be installed *after* Numba's registries;
``debug_checks.py`` registers a symbol with LLVM), and doing that at import time would
start the target in every process, including one that only allocates arrays.

* :func:`when_cpu_target_starts` queues work that runs once, right after the CPU target
  context's first ``refresh()`` (so before anything is typed or lowered with it), or at
  once if that has happened already. Plain ``@numba.njit`` code that uses this package's
  types goes through the same ``refresh()``, so it sees the same target as kernels do.
* :func:`before_cpu_code_links` queues work that machine code needs before it is linked
  (symbols): it runs at the first refresh, or in :func:`load_cached_cpu_code`.
* :func:`load_cached_cpu_code` loads a function from Numba's disk cache *without*
  refreshing the target: loading compiled code needs only the NRT (its symbols and
  atomics) and the symbols above, not Numba's typing and lowering tables. A process
  that only launches cached kernels never pays for those; the first real compile
  refreshes the target as usual.
"""

from __future__ import annotations

import threading

from numba.core.registry import cpu_target
from numba.core.runtime import rtsys

__all__ = ["before_cpu_code_links", "cpu_target_started", "load_cached_cpu_code",
           "when_cpu_target_starts"]

_lock = threading.RLock()
_pending: list = []  # run after the first refresh
_link_pending: list = []  # run before CPU code is first linked
_started = [False]
_linkable = [False]


def cpu_target_started() -> bool:
    """Whether the CPU target context has been refreshed (and the queued work done)."""
    return _started[0]


def _queue(queue: list, done: list, fn) -> None:
    with _lock:
        if not done[0]:
            queue.append(fn)
            return
    fn()


def when_cpu_target_starts(fn) -> None:
    """Run ``fn()`` right after the CPU target context's first refresh (now if it was
    refreshed already). Functions run once each, in the order they were queued."""
    _queue(_pending, _started, fn)


def before_cpu_code_links(fn) -> None:
    """Run ``fn()`` before CPU machine code is first linked or loaded (now if it was)."""
    _queue(_link_pending, _linkable, fn)


def _drain(queue: list, done: list) -> None:
    with _lock:
        if done[0]:
            return
        done[0] = True  # (a queued function that refreshes again must not recurse)
        while queue:
            queue.pop(0)()


class _RefreshThenRun:
    """The CPU context's ``refresh``: Numba's, then (once) the queued work."""

    __slots__ = ("ctx",)

    def __init__(self, ctx):
        self.ctx = ctx

    def __call__(self):
        type(self.ctx).refresh(self.ctx)
        if not _started[0]:
            _drain(_link_pending, _linkable)
            _drain(_pending, _started)


def load_cached_cpu_code(load, load_unrefreshed, sig, target_context):
    """Load ``sig`` from a Numba disk cache: ``load`` is the cache's ``load_overload``,
    ``load_unrefreshed`` its ``_load_overload`` (the same, without the ``refresh()`` of
    the whole target; None if this Numba lacks it). On the CPU target, before it has
    started, the latter is used (see the module docstring). Returns the compiled result,
    or None when the cache has no entry for ``sig``."""
    if _started[0] or load_unrefreshed is None or \
            target_context is not cpu_target.target_context:
        return load(sig, target_context)
    rtsys.initialize(target_context)  # the NRT's symbols and atomic helpers
    _drain(_link_pending, _linkable)
    try:
        return load_unrefreshed(sig, target_context)
    except Exception:  # noqa: BLE001 - whatever it lacked, the full path has
        return load(sig, target_context)


def _install() -> None:
    # The target context object is cheap to make (it is Numba's, shared by every CPU
    # dispatcher); only its refresh() is expensive. An attribute on the instance shadows
    # the class's method; Numba's subtargets (shallow copies sharing its tables) share it.
    # If something was compiled before this package was imported, the target is started
    # already; every compile refreshes it first, so the queued work still runs before
    # it is needed.
    ctx = cpu_target.target_context
    if not isinstance(ctx.__dict__.get("refresh"), _RefreshThenRun):
        ctx.refresh = _RefreshThenRun(ctx)


_install()
