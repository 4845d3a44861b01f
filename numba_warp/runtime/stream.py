"""CUDA streams and events with Warp's API.

Each GPU has a current stream (``wp.get_stream()``); launches and copies are queued
on it. ``wp.Stream`` makes a new one, ``wp.ScopedStream`` switches temporarily, and
events order or time work between streams.
"""

from __future__ import annotations

from . import cuda_backend
from .device import get_device

__all__ = [
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


class Stream:
    """A CUDA stream on a device.

    Parameters
    ----------
    device : the GPU (default: the current device, which must be a GPU).
    cuda_stream : an existing stream handle (an int) to wrap instead of creating one.
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

    @property
    def cuda_stream(self) -> int:
        """The raw ``CUstream`` handle as an int."""
        return int(self._stream.handle)

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
        self._stream.synchronize()

    @property
    def is_complete(self) -> bool:
        """True when all work queued on the stream has finished."""
        return cuda_backend.stream_query(self._stream, self.device.ordinal)

    def __repr__(self):
        return f"<Stream {self.cuda_stream:#x} on {self.device}>"


class Event:
    """A CUDA event, for ordering work between streams and for timing."""

    def __init__(self, device=None, enable_timing: bool = False):
        self.device = get_device(device)
        if self.device.is_cpu:
            raise RuntimeError("events are a CUDA feature; the CPU device has none")
        self.enable_timing = enable_timing
        self._event = cuda_backend.create_event(self.device.ordinal, enable_timing)

    def synchronize(self) -> None:
        self._event.synchronize()

    @property
    def is_complete(self) -> bool:
        return bool(self._event.query())


def get_stream(device=None) -> Stream:
    """The current stream of a GPU (default: the current device)."""
    return get_device(device).stream


def set_stream(stream: Stream, device=None, sync: bool = False) -> None:
    """Make ``stream`` the current stream of its device."""
    dev = stream.device if device is None else get_device(device)
    if sync and dev.has_stream:
        stream.wait_stream(dev.stream)
    dev.stream = stream


class ScopedStream:
    """``with wp.ScopedStream(s):`` queues work on ``s`` inside the block."""

    def __init__(self, stream: Stream | None, sync_enter: bool = True, sync_exit: bool = False):
        self.stream = stream
        self.sync_enter = sync_enter
        self.sync_exit = sync_exit
        self._saved = None
        self._device_scope = None

    def __enter__(self):
        if self.stream is None:
            return None
        from .device import ScopedDevice

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
    """Make the current stream wait for all work queued on ``other`` so far."""
    get_stream(other.device).wait_stream(other, event)


def wait_event(event: Event) -> None:
    """Make the current stream wait for ``event``."""
    get_stream(event.device).wait_event(event)


def record_event(event: Event | None = None) -> Event:
    """Record an event on the current stream of the current device."""
    return get_stream().record_event(event)


def synchronize_stream(stream=None) -> None:
    (stream if stream is not None else get_stream()).synchronize()


def synchronize_event(event: Event) -> None:
    event.synchronize()


def get_event_elapsed_time(start: Event, end: Event, synchronize: bool = True) -> float:
    """Milliseconds between two timing events."""
    if not (start.enable_timing and end.enable_timing):
        raise ValueError("both events need enable_timing=True to measure elapsed time")
    if synchronize:
        end.synchronize()
    return float(start._event.elapsed_time(end._event))
