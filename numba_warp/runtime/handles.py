"""Descriptors of spatial structures and the ids that name them, so that a launch can
refuse a bad id.

A structure's ``id`` (``wp.HashGrid``, ``wp.Bvh``, ``wp.Mesh``) is the address of its
descriptor on its device (``lowering/handles.py``); a kernel that is given the id of a
structure on another device, or of one that was garbage-collected, would read memory it
must not. Descriptors therefore come from per-device pools whose memory is never given
back: a freed structure's block returns to its pool's free list and is handed only to a
later structure, so no other allocation can ever sit at an id's address. A launch looks
every ``uint64`` argument up in two small tables: a live id on another device, or the id
of a freed structure whose block is not yet reused, is an error that names the argument
and says what to do. A ``uint64`` that is no structure's id (an array address, say)
passes untouched (one dict lookup).
"""

from __future__ import annotations

import collections
import threading
import weakref

import numpy as np

from ..typing.scalars import scalar_types
from .array import array

__all__ = ["allocate", "problem", "BLOCK_SLOTS"]

#: int64 slots of one descriptor block (the largest structure's descriptor fits)
BLOCK_SLOTS = 16
_BLOCKS_PER_CHUNK = 256
_I64 = scalar_types["int64"]

_lock = threading.RLock()  # (a finalizer may run while this thread holds it)
_live: dict = {}  # id -> (device, description)
_freed: dict = {}  # id -> description, while the block waits on its free list
_pools: dict = {}  # device -> _Pool


class _Pool:
    """Descriptor blocks on one device: chunks that live as long as the process, and a
    free list served oldest first (so a stale id stays recognisable as long as possible)."""

    def __init__(self, device):
        self.device = device
        self.chunks = []
        self.free = collections.deque()

    def take(self):
        if not self.free:
            chunk = array(np.zeros(_BLOCKS_PER_CHUNK * BLOCK_SLOTS, dtype=np.int64), dtype=_I64,
                          device=self.device)
            self.chunks.append(chunk)
            self.free.extend(chunk[i * BLOCK_SLOTS:(i + 1) * BLOCK_SLOTS]
                             for i in range(_BLOCKS_PER_CHUNK))
        return self.free.popleft()


def allocate(owner, device, what: str, slots: int):
    """A zeroed descriptor of ``slots`` int64 for ``owner`` (a ``what`` on ``device``):
    returns the device array and its id (address), which stays registered as ``owner``'s
    until ``owner`` is garbage-collected."""
    if slots > BLOCK_SLOTS:
        raise ValueError(f"a descriptor has at most {BLOCK_SLOTS} slots, {what} asks {slots}")
    with _lock:
        pool = _pools.get(device)
        if pool is None:
            pool = _pools[device] = _Pool(device)
        block = pool.take()
        id = block.ptr
        _freed.pop(id, None)
        _live[id] = (device, what)
    block.assign(np.zeros(BLOCK_SLOTS, dtype=np.int64))
    weakref.finalize(owner, _release, pool, block, id)
    return block[:slots], id


def _release(pool, block, id: int) -> None:
    with _lock:
        hit = _live.pop(id, None)
        if hit is None:
            return
        _freed[id] = hit[1]
        pool.free.append(block)


def structure_on(value, device) -> str | None:
    """What ``value`` is the id of (``"Mesh"``, ...) if it is a live structure on
    ``device``, else None (also for integers that are no structure's id)."""
    hit = _live.get(value)
    return hit[1] if hit is not None and (hit[0] is device or hit[0] == device) else None


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
