"""Memory pools and peer access between GPUs, with Warp 1.19's names and answers.

* numba_warp allocates GPU memory with ``cuMemAlloc`` through numba-cuda, never from the
  stream-ordered memory pool: ``wp.is_mempool_enabled`` is False, and
  ``wp.set_mempool_enabled(device, True)`` (or ``wp.ScopedMempool``) changes nothing
  but warns once. Allocating inside a graph capture works anyway (see ``capture.py``).
* The pool queries and settings are real, on the device's default pool
  (``cuDeviceGetDefaultMemPool``): release threshold, used memory, and access from other
  GPUs (``wp.set_mempool_access_enabled``).
* Peer access (``wp.set_peer_access_enabled``) is real: ``cuCtxEnablePeerAccess``.
* On the CPU the answers are Warp's: pools and peer access are not supported (False),
  and asking to enable them or to read pool values is a ValueError.
"""

from __future__ import annotations

import warnings

from . import cuda_backend
from .device import get_device

__all__ = ["is_mempool_supported", "is_mempool_enabled", "set_mempool_enabled",
           "get_mempool_release_threshold", "set_mempool_release_threshold",
           "get_mempool_used_mem_current", "get_mempool_used_mem_high",
           "is_peer_access_supported", "is_peer_access_enabled", "set_peer_access_enabled",
           "is_mempool_access_supported", "is_mempool_access_enabled",
           "set_mempool_access_enabled", "ScopedMempool", "ScopedMempoolAccess",
           "ScopedPeerAccess"]


def is_mempool_supported(device) -> bool:
    """Whether the device has a stream-ordered memory pool (False on the CPU).

    Example
    -------
    >>> wp.is_mempool_supported("cpu")
    False
    >>> if wp.is_cuda_available():
    ...     supported = wp.is_mempool_supported("cuda:0")  # True on most GPUs
    """
    dev = get_device(device)
    return dev.is_cuda and cuda_backend.mempool_supported(dev.ordinal)


def is_mempool_enabled(device) -> bool:
    """Whether arrays on ``device`` are allocated from its memory pool: always False
    (numba_warp allocates with cuMemAlloc through numba-cuda).

    Example
    -------
    >>> [wp.is_mempool_enabled(d) for d in wp.get_devices()] == [False] * len(wp.get_devices())
    True
    """
    get_device(device)
    return False


_warned = [False]


def set_mempool_enabled(device, enable: bool) -> None:
    """Accepted for Warp programs: numba_warp does not allocate from memory pools, so
    enabling warns once and changes nothing (disabling is what is in place).

    Example
    -------
    >>> wp.set_mempool_enabled("cpu", False)  # what is in place: accepted
    >>> wp.set_mempool_enabled("cpu", True)
    Traceback (most recent call last):
    ...
    ValueError: Memory pools are only supported on CUDA devices
    """
    dev = get_device(device)
    if not enable:
        return
    if dev.is_cpu:
        raise ValueError("Memory pools are only supported on CUDA devices")
    if not cuda_backend.mempool_supported(dev.ordinal):
        raise RuntimeError(f"Device {dev} does not support memory pools")
    if not _warned[0]:
        _warned[0] = True
        warnings.warn("wp.set_mempool_enabled(): numba_warp allocates GPU memory with "
                      "cuMemAlloc (numba-cuda), not from the memory pool; the setting has no "
                      "effect (allocations inside graph captures work without it)",
                      stacklevel=2)


def _pool_device(device):
    dev = get_device(device)
    if not dev.is_cuda:
        raise ValueError("Memory pools are only supported on CUDA devices")
    if not cuda_backend.mempool_supported(dev.ordinal):
        raise RuntimeError(f"Device {dev} does not support memory pools")
    return dev


def get_mempool_release_threshold(device=None) -> int:
    """Bytes the device's default pool keeps reserved before releasing memory.

    Example
    -------
    >>> if wp.is_cuda_available() and wp.is_mempool_supported("cuda:0"):
    ...     assert wp.get_mempool_release_threshold("cuda:0") >= 0
    >>> wp.get_mempool_release_threshold("cpu")
    Traceback (most recent call last):
    ...
    ValueError: Memory pools are only supported on CUDA devices
    """
    return cuda_backend.mempool_get(_pool_device(device).ordinal, "RELEASE_THRESHOLD")


def set_mempool_release_threshold(device, threshold) -> None:
    """Set the default pool's release threshold: bytes, or a fraction (0, 1] of the
    device's memory.

    Example
    -------
    >>> if wp.is_cuda_available() and wp.is_mempool_supported("cuda:0"):
    ...     saved = wp.get_mempool_release_threshold("cuda:0")
    ...     wp.set_mempool_release_threshold("cuda:0", 1 << 30)  # keep up to 1 GiB
    ...     assert wp.get_mempool_release_threshold("cuda:0") == 1 << 30
    ...     wp.set_mempool_release_threshold("cuda:0", saved)
    >>> wp.set_mempool_release_threshold("cpu", 0)
    Traceback (most recent call last):
    ...
    ValueError: Memory pools are only supported on CUDA devices
    """
    dev = _pool_device(device)
    if threshold < 0:
        threshold = 0
    elif 0 < threshold <= 1:
        threshold = int(threshold * dev.total_memory)
    cuda_backend.mempool_set(dev.ordinal, "RELEASE_THRESHOLD", int(threshold))


def get_mempool_used_mem_current(device=None) -> int:
    """Bytes currently allocated from the device's default pool (by any library).

    Example
    -------
    >>> if wp.is_cuda_available() and wp.is_mempool_supported("cuda:0"):
    ...     used = wp.get_mempool_used_mem_current("cuda:0")
    ...     assert 0 <= used <= wp.get_mempool_used_mem_high("cuda:0")
    >>> wp.get_mempool_used_mem_current("cpu")
    Traceback (most recent call last):
    ...
    ValueError: Memory pools are only supported on CUDA devices
    """
    return cuda_backend.mempool_get(_pool_device(device).ordinal, "USED_MEM_CURRENT")


def get_mempool_used_mem_high(device=None) -> int:
    """The high-water mark of bytes allocated from the device's default pool.

    Example
    -------
    >>> if wp.is_cuda_available() and wp.is_mempool_supported("cuda:0"):
    ...     assert wp.get_mempool_used_mem_high("cuda:0") >= 0
    >>> wp.get_mempool_used_mem_high("cpu")
    Traceback (most recent call last):
    ...
    ValueError: Memory pools are only supported on CUDA devices
    """
    return cuda_backend.mempool_get(_pool_device(device).ordinal, "USED_MEM_HIGH")


# -- peer access --------------------------------------------------------------------------

def is_peer_access_supported(target_device, peer_device) -> bool:
    """Whether ``peer_device`` can be allowed to access ``target_device``'s memory.

    Example
    -------
    >>> wp.is_peer_access_supported("cpu", "cpu")
    False
    >>> if wp.get_cuda_device_count() >= 2:
    ...     supported = wp.is_peer_access_supported("cuda:0", "cuda:1")
    """
    t, p = get_device(target_device), get_device(peer_device)
    if not (t.is_cuda and p.is_cuda):
        return False
    return cuda_backend.peer_access_supported(t.ordinal, p.ordinal)


def is_peer_access_enabled(target_device, peer_device) -> bool:
    """Whether ``peer_device`` may currently access ``target_device``'s memory.

    Example
    -------
    >>> wp.is_peer_access_enabled("cpu", "cpu")
    False
    >>> if wp.get_cuda_device_count() >= 2 and wp.is_peer_access_supported("cuda:0", "cuda:1"):
    ...     enabled = wp.is_peer_access_enabled("cuda:0", "cuda:1")
    """
    t, p = get_device(target_device), get_device(peer_device)
    if not (t.is_cuda and p.is_cuda):
        return False
    return cuda_backend.peer_access_enabled(t.ordinal, p.ordinal)


def set_peer_access_enabled(target_device, peer_device, enable: bool) -> None:
    """Allow (or stop) ``peer_device`` accessing ``target_device``'s memory.

    Example
    -------
    >>> wp.set_peer_access_enabled("cpu", "cpu", False)  # always accepted
    >>> wp.set_peer_access_enabled("cpu", "cpu", True)
    Traceback (most recent call last):
    ...
    ValueError: Peer access is only supported between CUDA devices
    >>> if wp.get_cuda_device_count() >= 2 and wp.is_peer_access_supported("cuda:0", "cuda:1"):
    ...     saved = wp.is_peer_access_enabled("cuda:0", "cuda:1")
    ...     wp.set_peer_access_enabled("cuda:0", "cuda:1", True)
    ...     assert wp.is_peer_access_enabled("cuda:0", "cuda:1")
    ...     wp.set_peer_access_enabled("cuda:0", "cuda:1", saved)
    """
    t, p = get_device(target_device), get_device(peer_device)
    if not (t.is_cuda and p.is_cuda):
        if enable:
            raise ValueError("Peer access is only supported between CUDA devices")
        return
    if not cuda_backend.peer_access_supported(t.ordinal, p.ordinal):
        if enable:
            raise RuntimeError(f"Device {p} cannot access device {t}")
        return
    if t.ordinal != p.ordinal:
        cuda_backend.set_peer_access(t.ordinal, p.ordinal, enable)


def is_mempool_access_supported(target_device, peer_device) -> bool:
    """Whether ``peer_device`` can be allowed to access ``target_device``'s pool.

    Example
    -------
    >>> wp.is_mempool_access_supported("cpu", "cpu")
    False
    >>> if wp.get_cuda_device_count() >= 2:
    ...     supported = wp.is_mempool_access_supported("cuda:0", "cuda:1")
    """
    return is_mempool_supported(target_device) and is_peer_access_supported(target_device,
                                                                            peer_device)


def is_mempool_access_enabled(target_device, peer_device) -> bool:
    """Whether ``peer_device`` may access ``target_device``'s default pool.

    Example
    -------
    >>> wp.is_mempool_access_enabled("cpu", "cpu")
    False
    >>> if wp.is_cuda_available() and wp.is_mempool_supported("cuda:0"):
    ...     assert wp.is_mempool_access_enabled("cuda:0", "cuda:0")  # its own pool: always
    """
    t, p = get_device(target_device), get_device(peer_device)
    if not (t.is_cuda and p.is_cuda) or not cuda_backend.mempool_supported(t.ordinal):
        return False
    if t.ordinal == p.ordinal:
        return True
    return cuda_backend.mempool_access_enabled(t.ordinal, p.ordinal)


def set_mempool_access_enabled(target_device, peer_device, enable: bool) -> None:
    """Allow (or stop) ``peer_device`` accessing ``target_device``'s default pool.

    Example
    -------
    >>> wp.set_mempool_access_enabled("cpu", "cpu", False)  # always accepted
    >>> wp.set_mempool_access_enabled("cpu", "cpu", True)
    Traceback (most recent call last):
    ...
    ValueError: Memory pool access is only supported between CUDA devices
    >>> if wp.get_cuda_device_count() >= 2 and wp.is_mempool_access_supported("cuda:0", "cuda:1"):
    ...     saved = wp.is_mempool_access_enabled("cuda:0", "cuda:1")
    ...     wp.set_mempool_access_enabled("cuda:0", "cuda:1", True)
    ...     assert wp.is_mempool_access_enabled("cuda:0", "cuda:1")
    ...     wp.set_mempool_access_enabled("cuda:0", "cuda:1", saved)
    """
    t, p = get_device(target_device), get_device(peer_device)
    if not (t.is_cuda and p.is_cuda):
        if enable:
            raise ValueError("Memory pool access is only supported between CUDA devices")
        return
    if not cuda_backend.mempool_supported(t.ordinal):
        if enable:
            raise RuntimeError(f"Device {t} does not support memory pools")
        return
    if not cuda_backend.peer_access_supported(t.ordinal, p.ordinal):
        if enable:
            raise RuntimeError(f"Device {p} cannot access device {t}")
        return
    if t.ordinal != p.ordinal:
        cuda_backend.set_mempool_access(t.ordinal, p.ordinal, enable)


# -- scoped settings ----------------------------------------------------------------------

class ScopedMempool:
    """``with wp.ScopedMempool(device, enable):`` sets the mempool setting for a block.

    Example
    -------
    >>> with wp.ScopedMempool("cpu", False):  # (the CPU has no pool to enable)
    ...     a = wp.zeros(3, device="cpu")
    >>> wp.is_mempool_enabled("cpu")
    False
    """

    def __init__(self, device, enable: bool):
        self.device = get_device(device)
        self.enable = enable

    def __enter__(self):
        self.saved_setting = is_mempool_enabled(self.device)
        set_mempool_enabled(self.device, self.enable)

    def __exit__(self, *exc):
        set_mempool_enabled(self.device, self.saved_setting)


class _ScopedPairSetting:
    """Set a (target, peer) device setting for a block, then restore it."""

    _get = _set = None  # the setting's query and update functions (subclasses)

    def __init__(self, target_device, peer_device, enable: bool):
        self.target_device = target_device
        self.peer_device = peer_device
        self.enable = enable

    def __enter__(self):
        self.saved_setting = type(self)._get(self.target_device, self.peer_device)
        type(self)._set(self.target_device, self.peer_device, self.enable)

    def __exit__(self, *exc):
        type(self)._set(self.target_device, self.peer_device, self.saved_setting)


class ScopedMempoolAccess(_ScopedPairSetting):
    """Allow (or stop) ``peer_device`` accessing ``target_device``'s pool for a block.

    Example
    -------
    >>> with wp.ScopedMempoolAccess("cpu", "cpu", False):  # disabling is always accepted
    ...     a = wp.zeros(3, device="cpu")
    >>> if wp.get_cuda_device_count() >= 2 and wp.is_mempool_access_supported("cuda:0", "cuda:1"):
    ...     with wp.ScopedMempoolAccess("cuda:0", "cuda:1", True):
    ...         assert wp.is_mempool_access_enabled("cuda:0", "cuda:1")
    >>> wp.is_mempool_access_enabled("cpu", "cpu")
    False
    """

    _get, _set = staticmethod(is_mempool_access_enabled), staticmethod(set_mempool_access_enabled)


class ScopedPeerAccess(_ScopedPairSetting):
    """Allow (or stop) ``peer_device`` accessing ``target_device``'s memory for a block.

    Example
    -------
    >>> with wp.ScopedPeerAccess("cpu", "cpu", False):  # disabling is always accepted
    ...     a = wp.zeros(3, device="cpu")
    >>> if wp.get_cuda_device_count() >= 2 and wp.is_peer_access_supported("cuda:0", "cuda:1"):
    ...     with wp.ScopedPeerAccess("cuda:0", "cuda:1", True):
    ...         assert wp.is_peer_access_enabled("cuda:0", "cuda:1")
    >>> wp.is_peer_access_enabled("cpu", "cpu")
    False
    """

    _get, _set = staticmethod(is_peer_access_enabled), staticmethod(set_peer_access_enabled)
