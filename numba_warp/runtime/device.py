"""Devices: ``"cpu"``, ``"cuda"`` and ``"cuda:N"``, as in Warp and PyTorch.

The default device is the first GPU when one is present, else the CPU (Warp's rule);
``wp.set_device`` and ``wp.ScopedDevice`` change it. CUDA is only initialised when a
CUDA device is asked for (or the default device is first resolved).
"""

from __future__ import annotations

import threading

from . import cuda_backend

__all__ = [
    "Device",
    "get_device",
    "set_device",
    "ScopedDevice",
    "get_cuda_device_count",
    "is_cuda_available",
    "is_cpu_available",
    "get_cuda_devices",
    "get_devices",
    "get_preferred_device",
    "synchronize",
    "synchronize_device",
]


class Device:
    """A compute device. Compare with ``==`` or with its alias string (``"cuda:0"``)."""

    def __init__(self, alias: str, ordinal: int):
        self.alias = alias
        self.ordinal = ordinal
        self._info = None
        self._stream = None

    @property
    def is_cpu(self) -> bool:
        return self.ordinal < 0

    @property
    def is_cuda(self) -> bool:
        return self.ordinal >= 0

    @property
    def name(self) -> str:
        if self.is_cpu:
            import platform

            return platform.processor() or "CPU"
        return self._cuda_info()["name"]

    @property
    def arch(self) -> int:
        return 0 if self.is_cpu else self._cuda_info()["arch"]

    @property
    def total_memory(self) -> int:
        if self.is_cpu:
            import os

            return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        return self._cuda_info()["total_memory"]

    @property
    def is_uva(self) -> bool:
        return self.is_cuda

    def _cuda_info(self):
        if self._info is None:
            self._info = cuda_backend.device_info(self.ordinal)
        return self._info

    @property
    def context(self):
        """numba-cuda's primary context of this GPU."""
        if self.is_cpu:
            raise RuntimeError("the CPU device has no CUDA context")
        return cuda_backend.primary_context(self.ordinal)

    @property
    def stream(self):
        """The device's current stream (CUDA only)."""
        if self.is_cpu:
            raise RuntimeError("the CPU device has no streams; streams are a CUDA feature")
        if self._stream is None:
            from .stream import Stream

            self._stream = Stream(self)
        return self._stream

    @stream.setter
    def stream(self, s):
        if self.is_cpu:
            raise RuntimeError("the CPU device has no streams")
        if s.device != self:
            raise ValueError(f"stream belongs to {s.device}, not {self}")
        self._stream = s

    @property
    def has_stream(self) -> bool:
        return self._stream is not None

    def synchronize(self) -> None:
        if self.is_cuda:
            with cuda_backend.ContextGuard(self.ordinal):
                cuda_backend.cuda().synchronize()

    def __str__(self):
        return self.alias

    def __repr__(self):
        return f"Device('{self.alias}')"

    def __eq__(self, other):
        if isinstance(other, Device):
            return self is other
        if isinstance(other, str):
            try:
                return get_device(other) is self
            except (ValueError, RuntimeError):
                return False
        return NotImplemented

    def __hash__(self):
        return hash(self.alias)


_cpu = Device("cpu", -1)
_by_name: dict = {"cpu": _cpu}  # fixed names -> Device ("cuda" is not: it follows scopes)
_cuda_devices: list[Device] | None = None
_lock = threading.Lock()
_local = threading.local()


def _cuda_list() -> list[Device]:
    global _cuda_devices
    with _lock:
        if _cuda_devices is None:
            n = cuda_backend.device_count() if cuda_backend.available() else 0
            _cuda_devices = [Device(f"cuda:{i}", i) for i in range(n)]
        return _cuda_devices


def is_cuda_available() -> bool:
    """True when at least one CUDA GPU can be used."""
    return bool(_cuda_list())


def is_cpu_available() -> bool:
    return True


def get_cuda_device_count() -> int:
    return len(_cuda_list())


def get_cuda_devices() -> list[Device]:
    return list(_cuda_list())


def get_devices() -> list[Device]:
    return [_cpu, *_cuda_list()]


def get_preferred_device() -> Device:
    """The first GPU if there is one, else the CPU."""
    devices = _cuda_list()
    return devices[0] if devices else _cpu


def get_device(ident=None) -> Device:
    """Resolve ``None`` (the current default), a string or a Device to a Device."""
    if ident is None:
        dev = getattr(_local, "default", None)
        if dev is None:
            dev = _default_device()
        return dev
    if isinstance(ident, Device):
        return ident
    hit = _by_name.get(ident)
    if hit is not None:
        return hit
    if not isinstance(ident, str):
        alias = getattr(ident, "alias", None)  # a Warp-like device object
        if isinstance(alias, str):
            return get_device(alias)
        raise TypeError(f"expected a device name like 'cpu' or 'cuda:0', got {ident!r}")
    name = ident.strip().lower()
    if name == "cpu":
        return _cpu
    if name == "cuda" or name.startswith("cuda:"):
        if name != "cuda" and not name[5:].isdigit():
            raise ValueError(f"invalid device name '{ident}'; expected 'cuda:N'")
        devices = _cuda_list()
        if not devices:
            raise RuntimeError(
                f"device '{ident}' was requested but no CUDA GPU is available; "
                "use device='cpu' (wp.is_cuda_available() tells whether a GPU is present)"
            )
        if name == "cuda":
            cur = getattr(_local, "default", None)
            return cur if (cur is not None and cur.is_cuda) else devices[0]
        try:
            ordinal = int(name[5:])
        except ValueError:
            raise ValueError(f"invalid device name '{ident}'; expected 'cuda:N'") from None
        if not 0 <= ordinal < len(devices):
            raise ValueError(
                f"device '{ident}' does not exist: {len(devices)} CUDA device(s) are present"
            )
        _by_name[ident] = devices[ordinal]
        return devices[ordinal]
    raise ValueError(f"invalid device name '{ident}'; expected 'cpu', 'cuda' or 'cuda:N'")


_process_default: list = [None]


def _default_device() -> Device:
    if _process_default[0] is None:
        _process_default[0] = get_preferred_device()
    return _process_default[0]


def set_device(ident) -> None:
    """Set the default device for array allocation and launches."""
    dev = get_device(ident)
    _local.default = dev
    _process_default[0] = dev


class ScopedDevice:
    """``with wp.ScopedDevice("cuda:0"):`` makes a device the default inside the block."""

    def __init__(self, device):
        self.device = get_device(device)
        self._saved = None

    def __enter__(self):
        # a set_device() inside the block must not outlive it: save both levels
        self._saved = (getattr(_local, "default", None), _process_default[0])
        _local.default = self.device
        return self.device

    def __exit__(self, *exc):
        _local.default, _process_default[0] = self._saved


def synchronize() -> None:
    """Wait for all outstanding work on every initialised GPU."""
    if _cuda_devices:
        for dev in _cuda_devices:
            if dev.ordinal in cuda_backend._contexts:
                dev.synchronize()


def synchronize_device(device=None) -> None:
    """Wait for all outstanding work on one device."""
    get_device(device).synchronize()
