"""Allocation tracking: ``wp.ScopedMemoryTracker`` and ``wp.print_memory_report``, with
Warp 1.19's report.

While tracking is on (inside a ``ScopedMemoryTracker``, or from the start with
``wp.config.track_memory = True``), every array allocation (``memory.allocate_memory``:
arrays, their gradients, clones, GPU and pinned memory) is noted with its size, device,
label (``array[float32, 1000]``), the user's file:line and function, and the tracker
scopes open on the thread (``"outer/inner"``); a weak reference notes its release. The
totals are process-wide and kept until ``tracker.clear()``, as in Warp.
"""

from __future__ import annotations

import itertools
import os
import sys
import threading
import weakref

from .. import config
from ..typing.dtypes import type_name

__all__ = ["ScopedMemoryTracker", "print_memory_report", "note_allocation", "tracking"]

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_lock = threading.Lock()
_local = threading.local()  # .scopes: the names of the open trackers
_enabled = [0]  # trackers (or the config) that turned tracking on
_order = itertools.count()


class _Record:
    __slots__ = ("device", "nbytes", "label", "where", "scope", "order")

    def __init__(self, device, nbytes, label, where, scope):
        self.device, self.nbytes, self.label = device, nbytes, label
        self.where, self.scope, self.order = where, scope, next(_order)


class _Totals:
    def __init__(self):
        self.count: dict = {}  # device -> allocations
        self.bytes: dict = {}
        self.live: dict = {}  # id -> _Record
        self.live_bytes: dict = {}
        self.peak: dict = {}
        self.scopes: dict = {}  # (scope, device) -> [count, bytes]


_totals = _Totals()


def tracking() -> bool:
    """Whether allocations are being noted."""
    return bool(_enabled[0]) or bool(getattr(config, "track_memory", False))


def _caller() -> str:
    frame = sys._getframe(2)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back
    if frame is None:
        return "<unknown>"
    return (f"{os.path.basename(frame.f_code.co_filename)}:{frame.f_lineno} : "
            f"{frame.f_code.co_name}()")


def note_allocation(device, shape, dtype, nbytes: int, owner) -> None:
    """Note an allocation whose memory lives as long as ``owner`` (call when
    :func:`tracking`)."""
    dims = shape[0] if len(shape) == 1 else tuple(shape)
    label = f"array[{type_name(dtype)}, {dims}]"
    scope = "/".join(getattr(_local, "scopes", ()))
    rec = _Record(str(device), int(nbytes), label, _caller(), scope)
    t = _totals
    with _lock:
        d = rec.device
        t.count[d] = t.count.get(d, 0) + 1
        t.bytes[d] = t.bytes.get(d, 0) + rec.nbytes
        t.live[id(rec)] = rec
        t.live_bytes[d] = t.live_bytes.get(d, 0) + rec.nbytes
        t.peak[d] = max(t.peak.get(d, 0), t.live_bytes[d])
        if scope:
            entry = t.scopes.setdefault((scope, d), [0, 0])
            entry[0] += 1
            entry[1] += rec.nbytes
    try:
        weakref.finalize(owner, _released, t, id(rec))
    except TypeError:  # an owner without weak references: counted as live for good
        pass


def _released(totals, key):
    with _lock:
        rec = totals.live.pop(key, None)
        if rec is not None:
            totals.live_bytes[rec.device] -= rec.nbytes


def _size(n: int) -> str:
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.2f} {unit}"
    return f"{n} B"


def report_text(sort: str = "size", max_items: int = 10) -> str:
    """The report Warp prints (empty when nothing was allocated while tracking)."""
    if sort not in ("size", "chronological"):
        raise ValueError(f"Invalid sort order {sort!r}; expected 'size' or 'chronological'")
    t = _totals
    with _lock:
        if not t.count:
            return ""
        live = list(t.live.values())
        lines = ["Allocation Tracking Report", "  Total allocations:"]
        lines += [f"    {d:<17}{n} ({_size(t.bytes[d])})" for d, n in t.count.items()]
        lines.append("  Peak usage:")
        lines += [f"    {d:<17}{_size(p)}" for d, p in t.peak.items()]
        lines.append("  Live allocations:")
        for d in t.count:
            n = sum(1 for r in live if r.device == d)
            lines.append(f"    {d:<17}{n} ({_size(t.live_bytes.get(d, 0))})")
        scopes = sorted({s for s, _ in t.scopes})
        if len(scopes) > 1:
            lines += ["", "  Scope breakdown:"]
            for s in scopes:
                lines.append(f"    {s}:")
                for (s2, d), (n, b) in t.scopes.items():
                    if s2 == s:
                        lines.append(f"      {d}: {n} allocs, {_size(b)}")
    for d in t.count:
        mine = [r for r in live if r.device == d]
        if not mine:
            continue
        if sort == "size":
            mine.sort(key=lambda r: (-r.nbytes, r.order))
            title = f"  Live {d} allocations by size (largest first) (up to {max_items}):"
        else:
            mine.sort(key=lambda r: r.order)
            title = f"  Live {d} allocations chronological (up to {max_items}):"
        lines += ["", title]
        lines += [f"    {_size(r.nbytes)} : {d} : {r.label} : {r.where}"
                  for r in mine[:max_items]]
    return "\n".join(lines) + "\n"


def print_memory_report(file=None, sort: str = "size", max_items: int = 10) -> None:
    """Print the allocation report (tracking must be on: a ``wp.ScopedMemoryTracker`` is
    open, or ``wp.config.track_memory`` is True).

    Example
    -------
    >>> import io
    >>> out = io.StringIO()
    >>> with wp.ScopedMemoryTracker("step", print=False) as tracker:
    ...     tracker.clear()
    ...     a = wp.zeros(256, dtype=wp.float32)
    ...     wp.print_memory_report(file=out)
    >>> "array[float32, 256]" in out.getvalue()
    True
    >>> wp.print_memory_report()  # no tracker open
    Traceback (most recent call last):
    ...
    RuntimeError: Allocation tracking is not active. ...
    """
    if not tracking():
        raise RuntimeError("Allocation tracking is not active. Set wp.config.track_memory = "
                           "True before calling wp.init(), or use wp.ScopedMemoryTracker as "
                           "a context manager.")
    print(report_text(sort, max_items), file=file or sys.stdout, end="")


class ScopedMemoryTracker:
    """Track allocations in a block and print a report on exit, as in Warp.

    Parameters: ``name`` (the scope; nested trackers make ``"outer/inner"``), ``active``
    (False: do nothing), ``print`` (print the report on exit), ``report_func`` (a callable
    given the report text instead of printing it).

    Example
    -------
    >>> reports = []
    >>> with wp.ScopedMemoryTracker("simulation", report_func=reports.append) as tracker:
    ...     tracker.clear()  # (the totals are process-wide: start from none)
    ...     state = wp.zeros(1000, dtype=wp.vec3)  # 12000 bytes
    >>> print(reports[0].splitlines()[0])
    Allocation Tracking Report
    >>> "11.72 KB" in reports[0], "array[vec3f, 1000]" in reports[0]
    (True, True)
    """

    def __init__(self, name: str = "root", active: bool = True, print: bool = True,  # noqa: A002
                 report_func=None):
        self.name = name
        self.active = active
        self.print = print
        self.report_func = report_func

    def __enter__(self):
        if self.active:
            _local.scopes = (*getattr(_local, "scopes", ()), self.name)
            _enabled[0] += 1
        return self

    def __exit__(self, *exc):
        if not self.active:
            return
        _local.scopes = getattr(_local, "scopes", ())[:-1]
        try:
            if self.print:
                self.report()
        finally:
            _enabled[0] -= 1

    def report(self, file=None, sort: str = "size", max_items: int = 10) -> None:
        """Print the allocation report (process-wide, since tracking began or ``clear``)."""
        text = report_text(sort, max_items)
        if not text:
            return
        if self.report_func is not None:
            self.report_func(text)
        else:
            print(text, file=file or sys.stdout, end="")

    def peak_bytes(self, device=None) -> int:
        """The most bytes of arrays alive at once on ``device`` (all devices: the largest
        of them) since tracking began or :meth:`clear`.

        Example
        -------
        >>> with wp.ScopedMemoryTracker(print=False) as tracker:
        ...     tracker.clear()
        ...     a = wp.zeros(1000, dtype=float, device="cpu")
        ...     del a
        ...     b = wp.zeros(500, dtype=float, device="cpu")
        ...     peak = tracker.peak_bytes("cpu")
        >>> peak
        4000
        """
        with _lock:
            peaks = _totals.peak
            return int(peaks.get(str(device), 0) if device is not None else
                       max(peaks.values(), default=0))

    def clear(self) -> None:
        """Forget everything noted so far (allocations still alive are no longer live)."""
        global _totals
        with _lock:
            _totals = _Totals()
