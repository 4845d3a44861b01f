"""Timing: ``wp.ScopedTimer`` and Warp's CUDA activity timing (``wp.timing_begin``,
``wp.timing_end``, ``wp.timing_print``, ``wp.TimingResult``, ``wp.TIMING_*``).

Contract (Warp 1.19's):

* ``with wp.ScopedTimer("step"):`` measures the block's wall-clock time in milliseconds
  (``.elapsed``), prints ``"step took 1.23 ms"`` on exit (indented by four spaces per
  enclosing printing timer), appends it to ``dict[name]`` when a dict is given, and
  with ``synchronize=True`` waits for every GPU before and after the block, so that the
  time includes the GPU work queued in it. ``ScopedTimer.enabled = False`` turns every
  timer off. While a ``wp.Tape`` records, the timer's name opens a scope on the tape.
* Activity timing (``cuda_filter=`` or ``timing_begin``/``timing_end``) times each CUDA
  kernel launch, memcpy, memset and graph launch with CUDA events, as Warp does in its
  native layer. CPU work is not timed (as in Warp): on a CPU-only program
  ``timing_end()`` returns ``[]``.
* ``use_nvtx=True`` opens an NVTX range (the ``nvtx`` package) around the block when the
  package is installed; without it the timer warns once and times as usual.
"""

from __future__ import annotations

import cProfile
import sys
import threading
import time
import warnings

from . import cuda_backend, recording
from .device import get_device
from .device import synchronize as _synchronize_all

__all__ = ["ScopedTimer", "TimingResult", "timing_begin", "timing_end", "timing_print",
           "TIMING_KERNEL", "TIMING_KERNEL_BUILTIN", "TIMING_MEMCPY", "TIMING_MEMSET",
           "TIMING_GRAPH", "TIMING_ALL"]

#: activity kinds (Warp's values; ``cuda_filter`` is a bitwise or of them)
TIMING_KERNEL = cuda_backend.TIMING_KERNEL
TIMING_KERNEL_BUILTIN = cuda_backend.TIMING_KERNEL_BUILTIN
TIMING_MEMCPY = cuda_backend.TIMING_MEMCPY
TIMING_MEMSET = cuda_backend.TIMING_MEMSET
TIMING_GRAPH = cuda_backend.TIMING_GRAPH
TIMING_ALL = cuda_backend.TIMING_ALL


class TimingResult:
    """One timed CUDA activity: its ``device``, ``name`` (e.g. ``"forward kernel
    integrate"``, ``"memcpy HtoD"``), ``filter`` (its ``TIMING_*`` kind) and ``elapsed``
    time in milliseconds.

    Example
    -------
    >>> @wp.kernel
    ... def inc(a: wp.array(dtype=float)):
    ...     a[wp.tid()] += 1.0
    >>> a = wp.zeros(1000, dtype=float)
    >>> with wp.ScopedTimer("step", cuda_filter=wp.TIMING_KERNEL, print=False) as timer:
    ...     wp.launch(inc, dim=1000, inputs=[a])
    >>> results = timer.timing_results  # CUDA activities only: none on the CPU
    >>> all(isinstance(r, wp.TimingResult) and r.elapsed >= 0.0 for r in results)
    True
    >>> [r.name for r in results] == (["forward kernel inc"] if a.device.is_cuda else [])
    True
    """

    def __init__(self, device, name, filter, elapsed):  # noqa: A002 - Warp's name
        self.device = device
        self.name = name
        self.filter = filter
        self.elapsed = elapsed

    def __repr__(self):
        return f"TimingResult({self.device}, {self.name!r}, {self.filter}, {self.elapsed:.6f})"


def timing_begin(cuda_filter: int = TIMING_ALL, synchronize: bool = True) -> None:
    """Start timing the CUDA activities selected by ``cuda_filter`` (``wp.TIMING_*``).

    Example
    -------
    >>> @wp.kernel
    ... def inc(a: wp.array(dtype=float)):
    ...     a[wp.tid()] += 1.0
    >>> a = wp.zeros(1000, dtype=float)
    >>> wp.timing_begin(cuda_filter=wp.TIMING_KERNEL | wp.TIMING_MEMCPY)
    >>> wp.launch(inc, dim=1000, inputs=[a])
    >>> results = wp.timing_end()
    >>> [r.name for r in results] == (["forward kernel inc"] if a.device.is_cuda else [])
    True
    """
    if synchronize:
        _synchronize_all()
    cuda_backend.activity_begin(int(cuda_filter))


def timing_end(synchronize: bool = True) -> list:
    """Stop activity timing; the :class:`TimingResult` of each activity since
    :func:`timing_begin`, in the order they were queued.

    Example
    -------
    >>> wp.timing_begin()
    >>> a = wp.zeros(3, dtype=float, device="cpu")  # CPU work is not timed
    >>> wp.timing_end()
    []
    """
    # the elapsed times need the events to have completed: wait for them either way
    records = cuda_backend.activity_end()
    if synchronize:
        _synchronize_all()
    return [TimingResult(get_device(f"cuda:{ordinal}"), name, flag, ms)
            for ordinal, name, flag, ms in records]


def timing_print(results: list, indent: str = "") -> None:
    """Print timing results as Warp does: a timeline, then totals per activity and per
    device.

    Example
    -------
    >>> wp.timing_print([])
    No activity
    >>> r = wp.TimingResult(wp.get_device("cpu"), "forward kernel inc", wp.TIMING_KERNEL, 0.25)
    >>> wp.timing_print([r, r])
    CUDA timeline:
    ----------------+---------+-------------------
    Time            | Device  | Activity
    ----------------+---------+-------------------
        0.250000 ms | cpu     | forward kernel inc
        0.250000 ms | cpu     | forward kernel inc
    <BLANKLINE>
    CUDA activity summary:
    ----------------+---------+-------------------
    Total time      | Count   | Activity
    ----------------+---------+-------------------
        0.500000 ms |       2 | forward kernel inc
    <BLANKLINE>
    CUDA device summary:
    ----------------+---------+-------------------
    Total time      | Count   | Device
    ----------------+---------+-------------------
        0.500000 ms |       2 | cpu
    """
    if not results:
        print("No activity")
        return
    width = max(len("Activity"), *(len(r.name) for r in results)) + 1
    dashes = "-" * width
    by_name: dict = {}
    by_device: dict = {}
    print(f"{indent}CUDA timeline:")
    print(f"{indent}----------------+---------+{dashes}")
    print(f"{indent}Time            | Device  | Activity")
    print(f"{indent}----------------+---------+{dashes}")
    for r in results:
        for table, key in ((by_device, r.device.alias), (by_name, r.name)):
            count, total = table.get(key, (0, 0.0))
            table[key] = (count + 1, total + r.elapsed)
        print(f"{indent}{r.elapsed:12.6f} ms | {r.device.alias:7s} | {r.name}")
    for title, column, table in (("CUDA activity summary", "Activity", by_name),
                                 ("CUDA device summary", "Device", by_device)):
        print()
        print(f"{indent}{title}:")
        print(f"{indent}----------------+---------+{dashes}")
        print(f"{indent}Total time      | Count   | {column}")
        print(f"{indent}----------------+---------+{dashes}")
        for key, (count, total) in table.items():
            print(f"{indent}{total:12.6f} ms | {count:7d} | {key}")


_nvtx_warned = [False]


def _nvtx():
    try:
        import nvtx  # noqa: PLC0415 - optional dependency
    except ImportError:
        if not _nvtx_warned[0]:
            _nvtx_warned[0] = True
            warnings.warn("wp.ScopedTimer(use_nvtx=True) needs the 'nvtx' package "
                          "(pip install nvtx); timing without NVTX ranges", stacklevel=3)
        return None
    return nvtx


class ScopedTimer:
    """Time a block: ``with wp.ScopedTimer("step"):`` prints ``step took 1.23 ms``.

    The parameters are Warp 1.19's.

    Parameters
    ----------
    name
        The label printed and used as ``dict`` key.
    active
        False makes the timer do nothing (``ScopedTimer.enabled = False``: all).
    print
        Print the elapsed time on exit (default True).
    detailed
        Profile the block with cProfile and print its statistics on exit.
    dict
        A dict of lists; the elapsed time is appended to ``dict[name]``.
    use_nvtx, color
        An NVTX range named ``name`` (needs the ``nvtx`` package).
    synchronize
        Wait for all GPU work before and after the block.
    cuda_filter
        Time CUDA activities in the block (``wp.TIMING_*`` flags); the results are in
        ``.timing_results`` and printed with ``report_func`` (``timing_print``).
    skip_tape
        Do not open a scope on a recording ``wp.Tape``.

    Example
    -------
    >>> @wp.kernel
    ... def inc(a: wp.array(dtype=float)):
    ...     a[wp.tid()] += 1.0
    >>> a = wp.zeros(1000, dtype=float)
    >>> with wp.ScopedTimer("simulate", synchronize=True):
    ...     wp.launch(inc, dim=1000, inputs=[a])
    simulate took ... ms
    >>> times = {}
    >>> for _ in range(3):
    ...     with wp.ScopedTimer("step", print=False, dict=times):
    ...         wp.launch(inc, dim=1000, inputs=[a])
    >>> len(times["step"]), float(a.numpy()[0])
    (3, 4.0)
    """

    _thread_local = threading.local()
    #: False turns every timer off
    enabled = True

    def __init__(self, name: str, active: bool = True, print: bool = True,  # noqa: A002
                 detailed: bool = False, dict: dict | None = None,  # noqa: A002
                 use_nvtx: bool = False, color="rapids", synchronize: bool = False,
                 cuda_filter: int = 0, report_func=None, skip_tape: bool = False):
        self.name = name
        self.active = active and self.enabled
        self.print = print
        self.detailed = detailed
        self.dict = dict
        self.use_nvtx = use_nvtx
        self.color = color
        self.synchronize = synchronize
        self.cuda_filter = cuda_filter
        self.report_func = report_func or timing_print
        self.skip_tape = skip_tape
        self.elapsed = 0.0
        #: text appended to the printed line
        self.extra_msg = ""
        self.timing_results: list = []
        self._nvtx_range = None
        self._tape = None
        if dict is not None and name not in dict:
            dict[name] = []
        if not hasattr(ScopedTimer._thread_local, "indent"):
            ScopedTimer._thread_local.indent = -1

    def __enter__(self):
        if self.active:
            if self.synchronize:
                _synchronize_all()
            if self.cuda_filter:
                timing_begin(self.cuda_filter, synchronize=not self.synchronize)
            if self.detailed:
                self._profile = cProfile.Profile()
                self._profile.enable()
            if self.use_nvtx:
                nvtx = _nvtx()
                if nvtx is not None:
                    self._nvtx_range = nvtx.start_range(self.name, color=self.color)
            if self.print:
                ScopedTimer._thread_local.indent += 1
            self._start = time.perf_counter_ns()
        # the tape scope opens last: __exit__ does not run when entering fails
        observer = recording.current()
        if not self.skip_tape and hasattr(observer, "record_scope_begin"):
            self._tape = observer
            observer.record_scope_begin(self.name)
        return self

    def __exit__(self, exc_type, exc, tb):
        if self._tape is not None:
            self._tape.record_scope_end()
            self._tape = None
        if not self.active:
            return
        error = None
        if self.synchronize:
            try:
                _synchronize_all()
            except Exception as e:  # noqa: BLE001 - finish the timer, then report it
                error = e
        self.elapsed = (time.perf_counter_ns() - self._start) / 1e6
        if self._nvtx_range is not None:
            _nvtx().end_range(self._nvtx_range)
            self._nvtx_range = None
        if self.detailed:
            self._profile.disable()
            self._profile.print_stats(sort="tottime")
        if self.cuda_filter:
            try:
                self.timing_results = timing_end(synchronize=not self.synchronize)
            except Exception as e:  # noqa: BLE001
                error = e
        if self.dict is not None:
            self.dict[self.name].append(self.elapsed)
        if self.print:
            indent = "    " * ScopedTimer._thread_local.indent
            if self.timing_results:
                self.report_func(self.timing_results, indent=indent)
            extra = f" {self.extra_msg}" if self.extra_msg else ""
            sys.stdout.write(f"{indent}{self.name} took {self.elapsed:.2f} ms{extra}\n")
            ScopedTimer._thread_local.indent -= 1
        if error is not None and exc_type is None:
            raise error
