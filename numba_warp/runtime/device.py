"""Devices: ``"cpu"``, ``"cuda"`` and ``"cuda:N"``, as in Warp and PyTorch, and their
CUDA streams and events.

The default device is the first GPU when one is present, else the CPU (Warp's rule);
``wp.set_device`` and ``wp.ScopedDevice`` change it. CUDA is only initialised when a
CUDA device is asked for (or the default device is first resolved).

Each GPU has a current stream (``wp.get_stream()``); launches and copies are queued
on it. ``wp.Stream`` makes a new one, ``wp.ScopedStream`` switches temporarily, and
events order or time work between streams.
"""

from __future__ import annotations

import ctypes

import os
import platform
import threading

from . import capture_state, cuda_backend
from .cuda_probe import gpu_possible

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
    "Stream",
    "Event",
    "ScopedStream",
    "get_stream",
    "set_stream",
    "wait_stream",
    "wait_event",
    "record_event",
    "synchronize_stream",
    "synchronize_event",
    "get_event_elapsed_time",
]


class Device:
    """A compute device. Compare with ``==`` or with its alias string (``"cuda:0"``).

    Example
    -------
    >>> cpu = wp.get_device("cpu")
    >>> cpu.is_cpu, cpu.is_cuda, cpu == "cpu", str(cpu)
    (True, False, True, 'cpu')
    >>> wp.zeros(2, device=cpu).device == cpu
    True
    """

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
            return platform.processor() or "CPU"
        return self._cuda_info()["name"]

    @property
    def arch(self) -> int:
        return 0 if self.is_cpu else self._cuda_info()["arch"]

    @property
    def total_memory(self) -> int:
        if self.is_cpu:
            return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        return self._cuda_info()["total_memory"]

    @property
    def is_uva(self) -> bool:
        return self.is_cuda

    @property
    def free_memory(self) -> int:
        """Bytes of memory free now (host memory for the CPU)."""
        if self.is_cpu:
            return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")
        return cuda_backend.free_memory(self.ordinal)

    # What Warp's Device reports; the CPU answers are Warp's (0, None or False).
    sm_count = property(lambda self: 0 if self.is_cpu else self._cuda_info()["sm_count"])
    max_shared_memory_per_block = property(
        lambda self: 0 if self.is_cpu else self._cuda_info()["max_shared_memory_per_block"])
    uuid = property(lambda self: None if self.is_cpu else self._cuda_info()["uuid"])
    pci_bus_id = property(lambda self: None if self.is_cpu else self._cuda_info()["pci_bus_id"])
    #: numba_warp uses each GPU's primary context (as Warp does by default)
    is_primary = property(lambda self: self.is_cuda)
    has_context = property(lambda self: self.is_cuda)
    #: arrays are never allocated from a stream-ordered pool here (see wp.is_mempool_enabled)
    is_mempool_enabled = property(lambda self: False)
    #: CUDA IPC handles are not provided (wp.from_ipc_handle is "not yet")
    is_ipc_supported = property(lambda self: False)

    @property
    def is_mempool_supported(self) -> bool:
        return self.is_cuda and cuda_backend.mempool_supported(self.ordinal)

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

    @property
    def is_capturing(self) -> bool:
        """Whether a graph capture is in progress on this device: on the CPU, one begun on
        this thread; on a GPU, one begun by ``wp.capture_begin`` on any of its streams, or
        any capture (another library's too) on its current stream."""
        if self.is_cpu:
            return capture_state.cpu_graph() is not None
        return _capture_on_device(self) or (self.has_stream and self._stream.is_capturing)

    def synchronize(self) -> None:
        if self.is_cuda:
            if _capture_on_device(self):
                raise RuntimeError(f"Cannot synchronize device {self} while graph capture is "
                                   "active: nothing captured has run yet. Synchronize after "
                                   "wp.capture_end() / the ScopedCapture block")
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


def _capture_on_device(dev: Device) -> bool:
    return bool(capture_state.active[0]) and any(
        g.device is dev for g in capture_state.cuda_captures())


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
    """True when at least one CUDA GPU can be used.

    Example
    -------
    >>> device = "cuda:0" if wp.is_cuda_available() else "cpu"
    >>> wp.zeros(3, device=device).device == device
    True
    """
    return bool(_cuda_list())


def is_cpu_available() -> bool:
    """True: the CPU device is always there.

    Example
    -------
    >>> wp.is_cpu_available()
    True
    """
    return True


def get_cuda_device_count() -> int:
    """How many CUDA GPUs can be used (0 without a GPU or CUDA driver).

    Example
    -------
    >>> n = wp.get_cuda_device_count()
    >>> (n > 0) == wp.is_cuda_available(), n == len(wp.get_cuda_devices())
    (True, True)
    """
    return len(_cuda_list())


def get_cuda_devices() -> list[Device]:
    """The CUDA devices (``"cuda:0"``, ``"cuda:1"``, ...), in ordinal order.

    Example
    -------
    >>> gpus = wp.get_cuda_devices()
    >>> all(d.is_cuda for d in gpus), len(gpus) == wp.get_cuda_device_count()
    (True, True)
    >>> [str(d) for d in gpus] == [f"cuda:{i}" for i in range(len(gpus))]
    True
    """
    return list(_cuda_list())


def get_devices() -> list[Device]:
    """Every device: the CPU first, then the CUDA devices.

    Example
    -------
    >>> devices = wp.get_devices()
    >>> devices[0].is_cpu, devices[1:] == wp.get_cuda_devices()
    (True, True)
    """
    return [_cpu, *_cuda_list()]


def get_preferred_device() -> Device:
    """The first GPU if there is one, else the CPU.

    Example
    -------
    >>> device = wp.get_preferred_device()
    >>> device.is_cuda == wp.is_cuda_available()
    True
    """
    devices = _cuda_list()
    return devices[0] if devices else _cpu


def get_device(ident=None) -> Device:
    """Resolve ``None`` (the current default), a string or a Device to a Device.

    Example
    -------
    >>> cpu = wp.get_device("cpu")
    >>> cpu.is_cpu, wp.get_device(cpu) is cpu
    (True, True)
    >>> with wp.ScopedDevice("cpu"):
    ...     print(wp.get_device())  # None: the current device
    cpu
    """
    if ident is None:
        dev = getattr(_local, "default", None)
        if dev is None:
            dev = _default_device()
        return dev
    if type(ident) is str:  # (the common case first: wp.launch(..., device="cpu"))
        hit = _by_name.get(ident)
        if hit is not None:
            return hit
    elif isinstance(ident, Device):
        return ident
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
            if not cuda_backend.installed() and gpu_possible():
                raise RuntimeError(f"device '{ident}' was requested: {cuda_backend.MISSING}")
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
    """Set the default device for array allocation and launches.

    Example
    -------
    >>> saved = wp.get_device()
    >>> wp.set_device("cpu")
    >>> wp.get_device().is_cpu, wp.zeros(2).device.is_cpu
    (True, True)
    >>> wp.set_device(saved)
    """
    dev = get_device(ident)
    _local.default = dev
    _process_default[0] = dev


class ScopedDevice:
    """``with wp.ScopedDevice("cuda:0"):`` makes a device the default inside the block.

    Example
    -------
    >>> with wp.ScopedDevice("cpu") as device:
    ...     a = wp.zeros(3)  # allocated on the block's device
    >>> device.is_cpu, a.device == device
    (True, True)
    """

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
    """Wait for all outstanding work on every initialised GPU.

    Example
    -------
    >>> @wp.kernel
    ... def inc(a: wp.array(dtype=float)):
    ...     a[wp.tid()] += 1.0
    >>> a = wp.zeros(4, dtype=float)
    >>> wp.launch(inc, dim=4, inputs=[a])  # queued: asynchronous on a GPU
    >>> wp.synchronize()  # every device has finished its work
    >>> print(a.numpy())
    [1. 1. 1. 1.]
    """
    if _cuda_devices:
        for dev in _cuda_devices:
            if dev.ordinal in cuda_backend._contexts:
                dev.synchronize()


def synchronize_device(device=None) -> None:
    """Wait for all outstanding work on one device.

    Example
    -------
    >>> @wp.kernel
    ... def inc(a: wp.array(dtype=float)):
    ...     a[wp.tid()] += 1.0
    >>> a = wp.zeros(4, dtype=float)
    >>> wp.launch(inc, dim=4, inputs=[a])
    >>> wp.synchronize_device(a.device)  # the launch has finished
    >>> print(a.numpy())
    [1. 1. 1. 1.]
    """
    get_device(device).synchronize()


# ---------------------------------------------------------------------------------------
# Streams and events (one module with devices: a device owns its current stream, and a
# stream makes its device current)
# ---------------------------------------------------------------------------------------


class Stream:
    """A CUDA stream on a device.

    Parameters
    ----------
    device : the GPU (default: the current device, which must be a GPU).
    cuda_stream : an existing stream handle (an int) to wrap instead of creating one.

    Example
    -------
    >>> wp.Stream("cpu")
    Traceback (most recent call last):
    ...
    RuntimeError: streams are a CUDA feature; the CPU device has none
    >>> if wp.is_cuda_available():
    ...     s = wp.Stream("cuda:0")
    ...     with wp.ScopedStream(s):
    ...         a = wp.full(3, 2.0)  # allocated on cuda:0 and filled on s
    ...     s.synchronize()
    ...     assert s.device == "cuda:0" and a.numpy().tolist() == [2.0, 2.0, 2.0]
    """

    def __init__(self, device=None, priority: int = 0, cuda_stream: int | None = None):
        self.device = get_device(device)
        if self.device.is_cpu:
            raise RuntimeError("streams are a CUDA feature; the CPU device has none")
        self.priority = priority
        if cuda_stream is None:
            self._stream = cuda_backend.create_stream(self.device.ordinal)
        else:
            self._stream = cuda_backend.external_stream(int(cuda_stream), self.device.ordinal)
        self._cached_event = None
        self._core = None
        #: the raw CUstream handle (an int), read by every launch
        h = self._stream.handle
        self.handle = int(h) if h is not None else 0
        self.handle_c = ctypes.c_void_p(self.handle)  # (as launches pass it to the driver)

    @property
    def cuda_stream(self) -> int:
        """The raw ``CUstream`` handle as an int."""
        return self.handle

    @property
    def numba_stream(self):
        return self._stream

    @property
    def core_stream(self):
        """The cuda.core Stream for launches (converted once)."""
        cs = self._core
        if cs is None:
            cs = self._core = cuda_backend.core_stream(self._stream)
        return cs

    def __cuda_stream__(self):
        return (0, self.cuda_stream)

    def record_event(self, event: "Event | None" = None) -> "Event":
        event = event if event is not None else Event(self.device)
        event._event.record(self._stream)
        return event

    def wait_event(self, event: "Event") -> None:
        event._event.wait(self._stream)

    def wait_stream(self, other: "Stream", event: "Event | None" = None) -> None:
        if event is None:
            if other._cached_event is None:
                other._cached_event = Event(other.device)
            event = other._cached_event
        other.record_event(event)
        self.wait_event(event)

    def synchronize(self) -> None:
        if self.cuda_stream in cuda_backend.capturing_streams:
            raise RuntimeError("Cannot synchronize stream while graph capture is active: "
                               "nothing captured has run yet. Synchronize after "
                               "wp.capture_end() / the ScopedCapture block")
        self._stream.synchronize()

    @property
    def is_capturing(self) -> bool:
        """Whether a graph capture is in progress on this stream (ours or another
        library's)."""
        if self.cuda_stream in cuda_backend.capturing_streams:
            return True
        return cuda_backend.stream_is_capturing(self._stream, self.device.ordinal)

    @property
    def is_complete(self) -> bool:
        """True when all work queued on the stream has finished."""
        return cuda_backend.stream_query(self._stream, self.device.ordinal)

    def __repr__(self):
        return f"<Stream {self.cuda_stream:#x} on {self.device}>"


class Event:
    """A CUDA event, for ordering work between streams and for timing.

    Example
    -------
    >>> wp.Event("cpu")
    Traceback (most recent call last):
    ...
    RuntimeError: events are a CUDA feature; the CPU device has none
    >>> if wp.is_cuda_available():
    ...     e = wp.Event("cuda:0")
    ...     e = wp.get_stream("cuda:0").record_event(e)
    ...     e.synchronize()
    ...     assert e.is_complete
    """

    def __init__(self, device=None, enable_timing: bool = False):
        self.device = get_device(device)
        if self.device.is_cpu:
            raise RuntimeError("events are a CUDA feature; the CPU device has none")
        self.enable_timing = enable_timing
        self._event = cuda_backend.create_event(self.device.ordinal, enable_timing)

    def synchronize(self) -> None:
        if _capture_on_device(self.device):
            raise RuntimeError("Cannot synchronize event while graph capture is active")
        self._event.synchronize()

    @property
    def is_complete(self) -> bool:
        return bool(self._event.query())


def get_stream(device=None) -> Stream:
    """The current stream of a GPU (default: the current device).

    Example
    -------
    >>> wp.get_stream("cpu")
    Traceback (most recent call last):
    ...
    RuntimeError: the CPU device has no streams; streams are a CUDA feature
    >>> if wp.is_cuda_available():
    ...     assert wp.get_stream("cuda:0") is wp.get_device("cuda:0").stream
    """
    return get_device(device).stream


def set_stream(stream: Stream, device=None, sync: bool = False) -> None:
    """Make ``stream`` the current stream of its device.

    Example
    -------
    >>> if wp.is_cuda_available():
    ...     saved = wp.get_stream("cuda:0")
    ...     s = wp.Stream("cuda:0")
    ...     wp.set_stream(s)  # work on cuda:0 now goes to s
    ...     assert wp.get_stream("cuda:0") is s
    ...     wp.set_stream(saved)
    >>> wp.get_device("cpu").is_cuda  # (the CPU has no streams)
    False
    """
    dev = stream.device if device is None else get_device(device)
    if sync and dev.has_stream:
        stream.wait_stream(dev.stream)
    dev.stream = stream


class ScopedStream:
    """``with wp.ScopedStream(s):`` queues work on ``s`` inside the block.

    Example
    -------
    >>> @wp.kernel
    ... def inc(a: wp.array(dtype=float)):
    ...     a[wp.tid()] += 1.0
    >>> if wp.is_cuda_available():
    ...     s = wp.Stream("cuda:0")
    ...     a = wp.zeros(3, dtype=float, device="cuda:0")
    ...     with wp.ScopedStream(s):  # launches and copies in the block go to s
    ...         wp.launch(inc, dim=3, inputs=[a])
    ...         assert wp.get_stream() is s
    ...     s.synchronize()
    ...     assert a.numpy().tolist() == [1.0, 1.0, 1.0]
    >>> with wp.ScopedStream(None):  # None: no change (for code with an optional stream)
    ...     a = wp.zeros(3, dtype=float, device="cpu")
    """

    def __init__(self, stream: Stream | None, sync_enter: bool = True, sync_exit: bool = False):
        self.stream = stream
        self.sync_enter = sync_enter
        self.sync_exit = sync_exit
        self._saved = None
        self._device_scope = None

    def __enter__(self):
        if self.stream is None:
            return None
        dev = self.stream.device
        self._device_scope = ScopedDevice(dev)
        self._device_scope.__enter__()
        self._saved = dev.stream
        if self.sync_enter and self._saved is not self.stream:
            self.stream.wait_stream(self._saved)
        dev.stream = self.stream
        return self.stream

    def __exit__(self, *exc):
        if self.stream is None:
            return
        dev = self.stream.device
        if self.sync_exit:
            self._saved.wait_stream(self.stream)
        dev.stream = self._saved
        self._device_scope.__exit__(*exc)


def wait_stream(other: Stream, event: Event | None = None) -> None:
    """Make the current stream wait for all work queued on ``other`` so far.

    Example
    -------
    >>> @wp.kernel
    ... def inc(a: wp.array(dtype=float)):
    ...     a[wp.tid()] += 1.0
    >>> if wp.is_cuda_available():
    ...     producer = wp.Stream("cuda:0")
    ...     a = wp.zeros(3, dtype=float, device="cuda:0")
    ...     with wp.ScopedStream(producer):
    ...         wp.launch(inc, dim=3, inputs=[a])
    ...     with wp.ScopedDevice("cuda:0"):
    ...         wp.wait_stream(producer)  # the current stream waits for the launch
    ...         b = wp.clone(a)  # queued on the current stream: after the launch
    ...     assert b.numpy().tolist() == [1.0, 1.0, 1.0]
    >>> wp.get_device("cpu").is_cuda  # (the CPU has no streams)
    False
    """
    get_stream(other.device).wait_stream(other, event)


def wait_event(event: Event) -> None:
    """Make the current stream wait for ``event``.

    Example
    -------
    >>> @wp.kernel
    ... def inc(a: wp.array(dtype=float)):
    ...     a[wp.tid()] += 1.0
    >>> if wp.is_cuda_available():
    ...     s = wp.Stream("cuda:0")
    ...     a = wp.zeros(3, dtype=float, device="cuda:0")
    ...     with wp.ScopedStream(s):
    ...         wp.launch(inc, dim=3, inputs=[a])
    ...         done = wp.record_event()
    ...     with wp.ScopedDevice("cuda:0"):
    ...         wp.wait_event(done)  # the current stream waits for the launch on s
    ...         b = wp.clone(a)
    ...     assert b.numpy().tolist() == [1.0, 1.0, 1.0]
    >>> wp.get_device("cpu").is_cuda  # (the CPU has no events)
    False
    """
    get_stream(event.device).wait_event(event)


def record_event(event: Event | None = None) -> Event:
    """Record an event on the current stream of the current device.

    Example
    -------
    >>> @wp.kernel
    ... def inc(a: wp.array(dtype=float)):
    ...     a[wp.tid()] += 1.0
    >>> if wp.is_cuda_available():
    ...     with wp.ScopedDevice("cuda:0"):
    ...         a = wp.zeros(3, dtype=float)
    ...         wp.launch(inc, dim=3, inputs=[a])
    ...         done = wp.record_event()  # marks the point after the launch
    ...     wp.synchronize_event(done)
    ...     assert done.is_complete and a.numpy().tolist() == [1.0, 1.0, 1.0]
    >>> wp.get_device("cpu").is_cuda  # (the CPU has no events)
    False
    """
    return get_stream().record_event(event)


def synchronize_stream(stream_or_device=None) -> None:
    """Wait until all work queued on a stream has finished: ``stream_or_device`` is a
    ``wp.Stream``, or a device (default: the current one) whose current stream is meant;
    nothing to wait for on the CPU.

    Example
    -------
    >>> if wp.is_cuda_available():
    ...     s = wp.Stream("cuda:0")
    ...     with wp.ScopedStream(s):
    ...         a = wp.full(1000, 2.0)  # filled on s
    ...     wp.synchronize_stream(s)
    ...     assert s.is_complete
    >>> wp.get_device("cpu").is_cuda  # (the CPU has no streams)
    False
    """
    if isinstance(stream_or_device, Stream):
        stream_or_device.synchronize()
        return
    device = get_device(stream_or_device)
    if device.is_cuda:
        device.stream.synchronize()


def synchronize_event(event: Event) -> None:
    """Wait until the work before ``event`` was recorded has finished.

    Example
    -------
    >>> if wp.is_cuda_available():
    ...     with wp.ScopedDevice("cuda:0"):
    ...         a = wp.full(1000, 2.0)
    ...         e = wp.record_event()
    ...     wp.synchronize_event(e)
    ...     assert e.is_complete
    >>> wp.get_device("cpu").is_cuda  # (the CPU has no events)
    False
    """
    event.synchronize()


def get_event_elapsed_time(start: Event, end: Event, synchronize: bool = True) -> float:
    """Milliseconds between two timing events.

    Example
    -------
    >>> if wp.is_cuda_available():
    ...     with wp.ScopedDevice("cuda:0"):
    ...         start = wp.record_event(wp.Event(enable_timing=True))
    ...         a = wp.zeros(1 << 20, dtype=float)
    ...         end = wp.record_event(wp.Event(enable_timing=True))
    ...     ms = wp.get_event_elapsed_time(start, end)
    ...     assert ms >= 0.0
    >>> wp.get_device("cpu").is_cuda  # (the CPU has no events)
    False
    """
    if not (start.enable_timing and end.enable_timing):
        raise ValueError("both events need enable_timing=True to measure elapsed time")
    if synchronize:
        end.synchronize()
    return float(start._event.elapsed_time(end._event))
