"""What a graph capture is in progress, and how runtime's operations take part in it.

``wp.capture_begin`` (``runtime/capture.py``) makes a :class:`Graph` and registers it
here; launches and memory operations (``runtime/launch.py``, ``array.fill_``, copies)
ask this module what to do with their work:

* On the CPU (a capture on this thread), work is *recorded, not run*: the operation
  hands a callable to :func:`defer`, which appends it to the graph and returns True; the
  caller then does nothing more. ``wp.capture_launch`` calls the recorded operations in
  order. They hold the same array objects, so a replay sees the arrays' current data.
* On a GPU, the CUDA driver captures whatever is queued on the capturing stream (it runs
  nothing until the graph is launched). :func:`defer` returns False there and the caller
  queues its work as usual; the graph keeps the arrays involved alive
  (:meth:`Graph.retain`), as the captured work refers to their memory.

Cheap when nothing is captured: every check starts with one list lookup.
"""

from __future__ import annotations

import functools
import threading

from . import cuda_backend

__all__ = ["Graph", "active", "cpu_graph", "graph_for_stream", "cuda_captures", "defer",
           "retain", "register", "unregister", "recording_into", "track_reads"]

#: number of captures in progress in the process (launches check this first)
active = [0]
_local = threading.local()  # .cpu: the CPU capture of this thread
_by_stream: dict = {}  # raw stream handle -> Graph (CUDA captures)


class Graph:
    """A captured sequence of work; replay it with ``wp.capture_launch(graph)``.

    On the CPU it is the list of recorded operations (``ops``); on a GPU the CUDA graph
    (``graph``, instantiated on first launch into ``graph_exec``). ``retained`` keeps the
    arrays and launches the captured work refers to alive as long as the graph.

    Example
    -------
    >>> @wp.kernel
    ... def inc(a: wp.array(dtype=float)):
    ...     a[wp.tid()] += 1.0
    >>> with wp.ScopedCapture(device="cpu") as capture:
    ...     a = wp.zeros(3, dtype=float, device="cpu")  # zeroed again at each replay
    ...     wp.launch(inc, dim=3, inputs=[a], device="cpu")
    >>> graph = capture.graph
    >>> isinstance(graph, wp.Graph), len(graph.ops)  # the fill and the launch
    (True, 2)
    >>> wp.capture_launch(graph)
    >>> wp.capture_launch(graph)
    >>> print(a.numpy())
    [1. 1. 1.]
    """

    def __init__(self, device, capture_id: int = 0):
        self.device = device
        self.capture_id = capture_id
        self.ops: list = []
        self.retained: list = []
        self.graph = None
        self.graph_exec = None
        #: arrays the captured work writes (a replay advances their write counters)
        self.writes: list = []
        self._stream = None  # the stream the capture runs on (CUDA)
        self._cleanup = None  # numba-cuda's deferred-free context, open while capturing
        self._external = False  # a CUDA capture begun by another library
        # the read lists ([(array, version, where)]) that launches recorded on a tape
        # during the capture, and per read how many writes the capture made after it
        self.read_lists: list = []
        self._read_deltas: list = []

    @property
    def params(self) -> dict:
        """Named parameters of a loaded graph: none (graphs are made by capture)."""
        return {}

    def set_param(self, name: str, arr) -> None:
        raise RuntimeError("set_param() is only supported on loaded APIC graphs "
                           "(wp.capture_load is not supported by numba_warp)")

    def get_param(self, name: str, arr) -> None:
        raise RuntimeError("get_param() is only supported on loaded APIC graphs "
                           "(wp.capture_load is not supported by numba_warp)")

    def get_param_ptr(self, name: str) -> int:
        raise RuntimeError("get_param_ptr() is only supported on loaded APIC graphs "
                           "(wp.capture_load is not supported by numba_warp)")

    @property
    def is_loaded(self) -> bool:
        """Always False: graphs are made by capture (``wp.capture_load`` is not
        supported)."""
        return False

    def finish_reads(self) -> None:
        """At the end of the capture: note, per tracked read, how many times the capture
        wrote the array after reading it."""
        self._read_deltas = [[a.version - v for a, v, _ in reads]
                             for reads in self.read_lists]

    def rebase_reads(self) -> None:
        """After a replay (which marked the graph's writes): the tracked reads happened
        again, in the same order; re-base their versions on the arrays' current ones, so
        a tape recorded in the capture sees the replayed state, and still sees writes
        made after the replay, or by the capture after the read."""
        for reads, deltas in zip(self.read_lists, self._read_deltas):
            reads[:] = [(a, a.version - d, w) for (a, _, w), d in zip(reads, deltas)]

    def retain(self, *objects) -> None:
        self.retained.extend(objects)

    def record(self, op) -> None:
        self.ops.append(op)

    def __del__(self):
        if self.graph is None and self.graph_exec is None:
            return
        try:
            cuda_backend.graph_destroy(self.graph, self.graph_exec, self.device.ordinal)
        except Exception:  # noqa: BLE001 - interpreter shutdown: the driver may be gone
            pass

    def __repr__(self):
        what = f"{len(self.ops)} operations" if self.device.is_cpu else "CUDA graph"
        return f"<wp.Graph on {self.device}: {what}>"


def cpu_graph():
    """The CPU capture in progress on this thread, or None."""
    return getattr(_local, "cpu", None) if active[0] else None


def graph_for_stream(stream):
    """The capture (begun by ``wp.capture_begin``) running on a ``wp.Stream``, or None."""
    if not _by_stream:
        return None
    return _by_stream.get(stream.cuda_stream)


def cuda_captures() -> list:
    """The CUDA captures in progress (begun by ``wp.capture_begin``)."""
    return list(_by_stream.values())


def register(graph: Graph, stream=None) -> None:
    """Make ``graph`` the capture in progress on its device (CPU: on this thread) or on
    ``stream`` (CUDA)."""
    if graph.device.is_cpu:
        _local.cpu = graph
    else:
        graph._stream = stream
        _by_stream[stream.cuda_stream] = graph
        cuda_backend.capturing_streams.add(stream.cuda_stream)
    active[0] += 1


def unregister(graph: Graph) -> None:
    graph.finish_reads()
    if graph.device.is_cpu:
        if getattr(_local, "cpu", None) is graph:
            _local.cpu = None
    else:
        handle = graph._stream.cuda_stream
        _by_stream.pop(handle, None)
        cuda_backend.capturing_streams.discard(handle)
    active[0] -= 1


class recording_into:
    """Record this thread's CPU work into ``graph`` for a block (the bodies of
    ``capture_if``/``capture_while`` inside a CPU capture)."""

    def __init__(self, graph: Graph):
        self.graph = graph
        self._saved = None

    def __enter__(self):
        self._saved = getattr(_local, "cpu", None)
        _local.cpu = self.graph
        active[0] += 1
        return self.graph

    def __exit__(self, *exc):
        _local.cpu = self._saved
        active[0] -= 1


def defer(devices, fn, *args) -> bool:
    """Record ``fn(*args)`` in the CPU capture of this thread when one of ``devices`` (a
    Device or a tuple of them) is the CPU and return True: the caller must not run it
    now. On a capturing GPU stream, keep ``args`` alive with the graph and return False:
    the caller queues the work, which the driver captures. Else False."""
    if not active[0]:
        return False
    if not isinstance(devices, tuple):
        devices = (devices,)
    graph = getattr(_local, "cpu", None)
    if graph is not None and any(d.is_cpu for d in devices):
        graph.record(functools.partial(fn, *args))
        return True
    for d in devices:
        if d.is_cuda and d.has_stream:
            g = _by_stream.get(d.stream.cuda_stream)
            if g is not None:
                g.retain(*args)
    return False


def track_reads(device, stream, reads: list) -> None:
    """A tape recorded ``reads`` for a launch on ``device`` (``stream``): if a capture
    records that launch, let its replays re-base the versions (``Graph.rebase_reads``)."""
    if device.is_cpu:
        graph = cpu_graph()
    else:
        graph = graph_for_stream(stream if stream is not None else device.stream)
    if graph is not None:
        graph.read_lists.append(reads)


def retain(device, *objects) -> None:
    """Keep ``objects`` alive with the capture running on ``device``'s current stream."""
    if active[0] and device.is_cuda and device.has_stream:
        g = _by_stream.get(device.stream.cuda_stream)
        if g is not None:
            g.retain(*objects)
