"""The ids of live spatial structures, so that a launch can refuse a bad one.

A structure's ``id`` (``wp.HashGrid``, ``wp.Bvh``, ``wp.Mesh``) is the address of its
descriptor on its device (``lowering/handles.py``); a kernel that is given the id of a
structure on another device, or of one that was garbage-collected, would read memory it
must not. Structures register their id here when they make it; a launch looks every
``uint64`` argument up in two small tables: a live id on another device, or a freed one,
is an error that names the argument and says what to do. A ``uint64`` that is no
structure's id passes untouched (one dict lookup).

Freed ids are remembered until their address is registered again (a new structure at
the same address) or until :data:`FREED_KEPT` newer ones push them out.
"""

from __future__ import annotations

import collections
import threading
import weakref

__all__ = ["register", "problem", "FREED_KEPT"]

#: how many freed ids are remembered
FREED_KEPT = 4096
_lock = threading.Lock()
_live: dict = {}  # id -> (device, description)
_freed: collections.OrderedDict = collections.OrderedDict()  # id -> description


def register(owner, id: int, device, what: str) -> None:
    """Record ``id`` as ``owner``'s (a ``what`` on ``device``) until ``owner`` is freed."""
    with _lock:
        _freed.pop(id, None)
        _live[id] = (device, what)
    weakref.finalize(owner, _release, id, what)


def _release(id: int, what: str) -> None:
    with _lock:
        if _live.pop(id, None) is None:
            return
        _freed[id] = what
        while len(_freed) > FREED_KEPT:
            _freed.popitem(last=False)


def problem(value, device) -> str | None:
    """What is wrong with passing ``value`` as a structure id to a launch on ``device``,
    or None (also for integers that are no structure's id)."""
    hit = _live.get(value)
    if hit is not None:
        if hit[0] is device or hit[0] == device:
            return None
        return (f"is the id of a {hit[1]} on {hit[0]}, but the launch runs on {device}: "
                f"build the structure on {device} (its arrays must live there)")
    what = _freed.get(value)
    if what is not None:
        return (f"is the id of a {what} that was freed (the Python object was garbage-"
                "collected): keep the object alive while kernels use its id")
    return None
