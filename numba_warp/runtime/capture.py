"""Graph capture, as in Warp 1.19: ``wp.capture_begin/capture_end/capture_launch``,
``wp.ScopedCapture``, ``wp.capture_if/capture_while``.

Between ``capture_begin`` and ``capture_end`` the work issued on the device is captured
into a :class:`Graph`, and *not run*; ``capture_launch(graph)`` runs it, as many times
as wanted, with the same arrays (so a replay sees their current data) and the scalar
arguments the launches had at capture time.

* CPU: kernel launches, ``fill_``/``zero_``, ``assign`` and ``wp.copy``/``wp.clone``
  are recorded in order (see ``capture_state``) and replayed in Python. Arrays made
  during the capture are allocated at once; their initial contents are recorded
  (``wp.zeros`` inside a capture is zeroed again at each replay, as in Warp).
* CUDA: a real CUDA stream capture of the device's current stream (or ``stream``):
  ``cuStreamBeginCapture`` / ``cuStreamEndCapture``, instantiated on the first
  ``capture_launch`` and launched with ``cuGraphLaunch``. Kernels are compiled (and
  arrays allocated) outside the graph in the relaxed capture mode; memory frees are
  held back while capturing. Host copies through pageable memory and synchronisation
  cannot be captured and raise a clear error.
"""

from __future__ import annotations

import enum
import functools

from . import capture_state, cuda_backend
from .capture_state import Graph
from .device import get_device
from .kernel import force_load

__all__ = ["CaptureMode", "Graph", "ScopedCapture", "capture_begin", "capture_end",
           "capture_launch", "capture_if", "capture_while", "capture_debug_dot_print",
           "capture_save", "capture_load", "capture_load_from_bytes",
           "is_conditional_graph_supported"]


class CaptureMode(enum.IntEnum):
    """CUDA stream capture mode (``cudaStreamCaptureMode``); ignored on the CPU.

    Example
    -------
    >>> [mode.name for mode in wp.CaptureMode]
    ['GLOBAL', 'THREAD_LOCAL', 'RELAXED']
    >>> with wp.ScopedCapture(device="cpu", capture_mode=wp.CaptureMode.RELAXED) as capture:
    ...     a = wp.zeros(3, dtype=float, device="cpu")
    >>> capture.graph.device.is_cpu
    True
    """

    GLOBAL = 0
    THREAD_LOCAL = 1
    RELAXED = 2


def capture_begin(device=None, stream=None, force_module_load=None, external: bool = False,
                  apic: bool = False, capture_mode=CaptureMode.THREAD_LOCAL) -> None:
    """Begin capturing the work issued on ``device`` (or ``stream``) into a graph.

    ``force_module_load=True`` compiles every kernel for the device first (kernels are
    otherwise compiled when first launched, also during a capture). ``external=True``:
    a CUDA capture on ``stream`` was begun by another library. ``apic`` is accepted
    (Warp's serialisable capture; ``capture_save`` is not supported here).

    Example
    -------
    >>> @wp.kernel
    ... def inc(a: wp.array(dtype=float)):
    ...     a[wp.tid()] += 1.0
    >>> a = wp.zeros(3, dtype=float, device="cpu")
    >>> wp.capture_begin(device="cpu")
    >>> wp.launch(inc, dim=3, inputs=[a], device="cpu")  # recorded, not run
    >>> graph = wp.capture_end(device="cpu")
    >>> wp.capture_launch(graph)
    >>> wp.capture_launch(graph)
    >>> print(a.numpy())
    [2. 2. 2.]
    """
    device = stream.device if stream is not None else get_device(device)
    if device.is_cpu:
        if capture_state.cpu_graph() is not None:
            raise RuntimeError("Graph capture already in progress")
        if force_module_load:
            force_load(device)
        capture_state.register(Graph(device))
        return
    stream = stream if stream is not None else device.stream
    if external:
        if not stream.is_capturing:
            raise RuntimeError("External capture reported, but the stream is not capturing")
    else:
        if stream.is_capturing:
            raise RuntimeError("Graph capture already in progress on this stream")
        if force_module_load:
            force_load(device)
    stream.core_stream  # noqa: B018 - made now: converting a stream queries the driver
    cleanup = cuda_backend.defer_cleanup(device.ordinal)
    cleanup.__enter__()
    try:
        if not external:
            cuda_backend.begin_capture(stream.numba_stream, device.ordinal,
                                       int(CaptureMode(capture_mode)))
        graph = Graph(device, cuda_backend.stream_capture_id(stream.numba_stream,
                                                             device.ordinal))
    except BaseException:
        cleanup.__exit__(None, None, None)
        raise
    graph._cleanup = cleanup
    graph._external = external
    capture_state.register(graph, stream)


def capture_end(device=None, stream=None) -> Graph:
    """End the capture begun by :func:`capture_begin`; the captured :class:`Graph`.

    Example
    -------
    >>> wp.capture_begin(device="cpu")
    >>> a = wp.full(3, 7.0, device="cpu")  # allocated now; filled at each replay
    >>> graph = wp.capture_end(device="cpu")
    >>> isinstance(graph, wp.Graph), graph.device.is_cpu
    (True, True)
    """
    if stream is None:
        cpu = capture_state.cpu_graph()
        if cpu is not None and (device is None or get_device(device).is_cpu):
            capture_state.unregister(cpu)
            return cpu
        device = get_device(device)
        if device.is_cpu:
            raise RuntimeError("Graph capture is not active on device 'cpu' (in this thread); "
                               "begin one with wp.capture_begin(device='cpu')")
        stream = device.stream
    graph = capture_state.graph_for_stream(stream)
    if graph is None:
        raise RuntimeError("Graph capture is not active on this stream")
    capture_state.unregister(graph)
    try:
        if not graph._external:
            graph.graph = cuda_backend.end_capture(stream.numba_stream, graph.device.ordinal)
    except cuda_backend.driver().CudaAPIError as exc:
        raise RuntimeError(
            f"CUDA graph capture failed ({exc}). Something in the capture was not "
            "capturable: a synchronization, a host copy, or work queued on another stream "
            "without an event. Do such work before wp.capture_begin() / the ScopedCapture "
            "block") from None
    finally:
        graph._cleanup.__exit__(None, None, None)
        graph._cleanup = None
    return graph


def capture_launch(graph: Graph, stream=None) -> None:
    """Run a captured graph (on ``stream``, default: the graph's device's current one).

    Example
    -------
    >>> @wp.kernel
    ... def inc(a: wp.array(dtype=float)):
    ...     a[wp.tid()] += 1.0
    >>> a = wp.zeros(2, dtype=float, device="cpu")
    >>> with wp.ScopedCapture(device="cpu") as capture:
    ...     wp.launch(inc, dim=2, inputs=[a], device="cpu")
    ...     wp.launch(inc, dim=2, inputs=[a], device="cpu")
    >>> for _ in range(3):
    ...     wp.capture_launch(capture.graph)  # two launches each time
    >>> print(a.numpy())
    [6. 6.]
    """
    if not isinstance(graph, Graph):
        raise TypeError(f"wp.capture_launch() takes a wp.Graph from wp.capture_end() or "
                        f"wp.ScopedCapture().graph, got {type(graph).__name__}")
    for a in graph.writes:
        a.mark_write("a graph replay (wp.capture_launch)")
    graph.rebase_reads()
    if graph.device.is_cpu:
        if capture_state.defer(graph.device, _replay_cpu, graph):
            return  # a replay inside another CPU capture is recorded in it
        _replay_cpu(graph)
        return
    if stream is not None and stream.device != graph.device:
        raise RuntimeError(f"Cannot launch graph from device {graph.device} on stream from "
                           f"device {stream.device}")
    stream = stream if stream is not None else graph.device.stream
    if graph.graph is None:
        raise RuntimeError("this graph was captured by another library (external=True); "
                           "launch it with that library")
    if graph.graph_exec is None:
        graph.graph_exec = cuda_backend.graph_instantiate(graph.graph, graph.device.ordinal)
    capture_state.retain(graph.device, graph)  # (a launch inside another capture)
    cuda_backend.graph_launch(graph.graph_exec, stream.numba_stream, graph.device.ordinal)


def _replay_cpu(graph: Graph) -> None:
    for op in graph.ops:
        op()


class ScopedCapture:
    """``with wp.ScopedCapture() as capture:`` captures the block; then
    ``wp.capture_launch(capture.graph)`` replays it.

    Example
    -------
    >>> @wp.kernel
    ... def inc(a: wp.array(dtype=float)):
    ...     a[wp.tid()] += 1.0
    >>> a = wp.zeros(3, dtype=float, device="cpu")
    >>> with wp.ScopedCapture(device="cpu") as capture:
    ...     wp.launch(inc, dim=3, inputs=[a], device="cpu")  # recorded, not run
    >>> print(a.numpy())
    [0. 0. 0.]
    >>> for _ in range(5):
    ...     wp.capture_launch(capture.graph)
    >>> print(a.numpy())
    [5. 5. 5.]
    """

    def __init__(self, device=None, stream=None, force_module_load=None, external=False,
                 apic: bool = False, capture_mode=CaptureMode.THREAD_LOCAL):
        self.device = device
        self.stream = stream
        self.force_module_load = force_module_load
        self.external = external
        self.apic = apic
        self.capture_mode = capture_mode
        self.active = False
        self.graph = None

    def __enter__(self):
        capture_begin(self.device, self.stream, self.force_module_load, self.external,
                      self.apic, self.capture_mode)
        self.active = True
        return self

    def __exit__(self, exc_type, exc, tb):
        if not self.active:
            return
        try:
            self.graph = capture_end(device=self.device, stream=self.stream)
        except Exception:
            if exc_type is None:  # never hide the block's own exception
                raise
        finally:
            self.active = False


# ---------------------------------------------------------------------------------------
# Conditional execution
# ---------------------------------------------------------------------------------------

def is_conditional_graph_supported() -> bool:
    """False: numba_warp does not build CUDA conditional graph nodes. ``capture_if`` and
    ``capture_while`` work outside captures and inside CPU captures.

    Example
    -------
    >>> wp.is_conditional_graph_supported()
    False
    """
    return False


def _check_condition(condition):
    if getattr(condition, "__wp_array__", False) and condition.device is not None and \
            getattr(condition.dtype, "__name__", "") == "int32" and condition.size >= 1:
        return condition.device
    raise TypeError("Condition must be a Warp array of int32 with a single element")


def _no_cuda_conditional(what: str, device, stream):
    s = stream if stream is not None else device.stream
    if capture_state.graph_for_stream(s) is not None or s.is_capturing:
        raise NotImplementedError(
            f"wp.{what} inside a CUDA graph capture needs CUDA conditional graph nodes, which "
            "numba_warp does not build (wp.is_conditional_graph_supported() is False). Call "
            f"wp.{what} outside the capture (it reads the condition and runs the body), or "
            "capture each body as its own graph and choose between them with "
            "wp.capture_launch")


def _condition_value(condition) -> bool:
    return bool(condition.numpy().reshape(-1)[0])


def _run_body(body, stream, kwargs):
    if isinstance(body, Graph):
        capture_launch(body, stream=stream)
    elif callable(body):
        body(**kwargs)
    else:
        raise TypeError(f"a branch or loop body must be a callable or a wp.Graph, got "
                        f"{type(body).__name__}")


def _record_body(body, device, kwargs) -> Graph:
    """Record what ``body`` does into a graph of its own (CPU capture)."""
    sub = Graph(device)
    with capture_state.recording_into(sub):
        _run_body(body, None, kwargs)
    return sub


def capture_if(condition, on_true=None, on_false=None, stream=None, **kwargs) -> None:
    """Run ``on_true`` or ``on_false`` (callables taking ``**kwargs``, or Graphs) as
    ``condition[0]`` (a wp.int32 array) is nonzero or zero.

    Outside a capture the condition is read now; inside a CPU capture it is read at each
    replay. Inside a CUDA capture: not supported (see ``is_conditional_graph_supported``).

    Example
    -------
    >>> @wp.kernel
    ... def inc(a: wp.array(dtype=float)):
    ...     a[wp.tid()] += 1.0
    >>> a = wp.zeros(2, dtype=float, device="cpu")
    >>> flag = wp.array([1], dtype=wp.int32, device="cpu")
    >>> with wp.ScopedCapture(device="cpu") as capture:
    ...     wp.capture_if(flag, on_true=lambda: wp.launch(inc, dim=2, inputs=[a], device="cpu"))
    >>> wp.capture_launch(capture.graph)  # flag[0] is 1: runs the launch
    >>> flag.numpy()[0] = 0  # (a CPU array's numpy() shares its memory)
    >>> wp.capture_launch(capture.graph)  # flag[0] is 0: skips it
    >>> print(a.numpy())
    [1. 1.]
    """
    if on_true is None and on_false is None:
        return
    device = _check_condition(condition)
    graph = capture_state.cpu_graph()
    if device.is_cpu and graph is not None:
        true_g = _record_body(on_true, device, kwargs) if on_true is not None else None
        false_g = _record_body(on_false, device, kwargs) if on_false is not None else None
        for g in (true_g, false_g):
            if g is not None:
                graph.writes.extend(g.writes)
                graph.read_lists.extend(g.read_lists)
        graph.record(functools.partial(_replay_if, condition, true_g, false_g))
        return
    if device.is_cuda:
        _no_cuda_conditional("capture_if", device, stream)
    body = on_true if _condition_value(condition) else on_false
    if body is not None:
        _run_body(body, stream, kwargs)


def _replay_if(condition, true_g, false_g):
    g = true_g if _condition_value(condition) else false_g
    if g is not None:
        _replay_cpu(g)


def capture_while(condition, while_body, stream=None, **kwargs) -> None:
    """Run ``while_body`` (a callable taking ``**kwargs``, or a Graph) while
    ``condition[0]`` (a wp.int32 array the body updates) is nonzero.

    Outside a capture the loop runs now; inside a CPU capture it runs at each replay.
    Inside a CUDA capture: not supported (see ``is_conditional_graph_supported``).

    Example
    -------
    >>> @wp.kernel
    ... def step(n: wp.array(dtype=wp.int32), total: wp.array(dtype=float)):
    ...     n[0] = n[0] - 1
    ...     total[0] += 1.0
    >>> n = wp.array([3], dtype=wp.int32, device="cpu")
    >>> total = wp.zeros(1, dtype=float, device="cpu")
    >>> wp.capture_while(n, lambda: wp.launch(step, dim=1, inputs=[n, total], device="cpu"))
    >>> print(n.numpy(), total.numpy())  # three iterations, until n[0] == 0
    [0] [3.]
    """
    device = _check_condition(condition)
    graph = capture_state.cpu_graph()
    if device.is_cpu and graph is not None:
        body_g = _record_body(while_body, device, kwargs)
        graph.writes.extend(body_g.writes)
        graph.read_lists.extend(body_g.read_lists)
        graph.record(functools.partial(_replay_while, condition, body_g))
        return
    if device.is_cuda:
        _no_cuda_conditional("capture_while", device, stream)
    while _condition_value(condition):
        _run_body(while_body, stream, kwargs)


def _replay_while(condition, body_g):
    while _condition_value(condition):
        _replay_cpu(body_g)


# ---------------------------------------------------------------------------------------
# Inspection and serialisation
# ---------------------------------------------------------------------------------------

def capture_debug_dot_print(graph: Graph, path: str, verbose: bool = True) -> None:
    """Write a graph as GraphViz ``dot`` to ``path``: a CUDA graph through the driver
    (``cuGraphDebugDotPrint``), a CPU graph as the chain of its recorded operations.

    Example
    -------
    >>> @wp.kernel
    ... def inc(a: wp.array(dtype=float)):
    ...     a[wp.tid()] += 1.0
    >>> import os, tempfile
    >>> a = wp.zeros(3, dtype=float, device="cpu")
    >>> with wp.ScopedCapture(device="cpu") as capture:
    ...     wp.launch(inc, dim=3, inputs=[a], device="cpu")
    >>> path = os.path.join(tempfile.mkdtemp(), "graph.dot")
    >>> wp.capture_debug_dot_print(capture.graph, path)
    >>> print(open(path).read())
    digraph cpu_graph {
      node [shape=box, fontname="Helvetica"];
      op0 [label="forward kernel inc"];
    }
    <BLANKLINE>
    """
    if graph.device.is_cuda:
        if graph.graph is None:
            raise RuntimeError("the graph was captured externally; it has no CUDA graph here")
        cuda_backend.graph_debug_dot(graph.graph, path, verbose)
        return
    lines = ["digraph cpu_graph {", '  node [shape=box, fontname="Helvetica"];']
    for i, op in enumerate(graph.ops):
        lines.append(f'  op{i} [label="{_op_label(op)}"];')
        if i:
            lines.append(f"  op{i - 1} -> op{i};")
    lines.append("}")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def _op_label(op) -> str:
    fn = getattr(op, "func", op)
    args = getattr(op, "args", ())
    kernel = getattr(args[0], "kernel", None) if args else None
    if kernel is not None:
        return f"{'backward' if args[0].adjoint else 'forward'} kernel {kernel.key}"
    return getattr(fn, "__name__", "operation")


def _no_serialisation(what: str):
    raise NotImplementedError(
        f"wp.{what}: saving and loading graphs (Warp's .wrp API-capture files) is not "
        "supported by numba_warp; capture the graph again in the process that runs it")


def capture_save(graph, path, *args, **kwargs):
    """Warp's serialised graphs (``.wrp`` files): not supported, NotImplementedError.

    Example
    -------
    >>> with wp.ScopedCapture(device="cpu") as capture:
    ...     a = wp.zeros(3, dtype=float, device="cpu")
    >>> wp.capture_save(capture.graph, "graph.wrp")
    Traceback (most recent call last):
    ...
    NotImplementedError: wp.capture_save: saving and loading graphs ... not supported ...
    """
    _no_serialisation("capture_save")


def capture_load(path, device=None):
    """Warp's serialised graphs (``.wrp`` files): not supported, NotImplementedError.

    Example
    -------
    >>> wp.capture_load("graph.wrp")
    Traceback (most recent call last):
    ...
    NotImplementedError: wp.capture_load: saving and loading graphs ... not supported ...
    """
    _no_serialisation("capture_load")


def capture_load_from_bytes(data, device=None, *args, **kwargs):
    """Warp's serialised graphs (``.wrp`` files): not supported, NotImplementedError.

    Example
    -------
    >>> wp.capture_load_from_bytes(b"")
    Traceback (most recent call last):
    ...
    NotImplementedError: wp.capture_load_from_bytes: saving and loading graphs ... not supported ...
    """
    _no_serialisation("capture_load_from_bytes")
