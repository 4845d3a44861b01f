"""Write counters that follow memory, not array objects.

``Tape.backward()`` detects inputs overwritten after a launch read them by comparing an
array's write counter (``array.version``) then and now. A write through any array over
the same bytes must advance the counter that every other array over those bytes sees:
a slice or ``view()`` of an array, but also an array made independently over the same
memory (``wp.array(ptr=a.ptr, ...)``, ``wp.array(np_data, copy=False)`` twice, a round
trip through DLPack or ``__cuda_array_interface__``).

So counters live in a registry of memory spans per device: an array's counter (made the
first time it is asked for) is the live counter of the span its bytes overlap, or a new
one registered for its span. Spans are kept disjoint and sorted by address; a span is
forgotten when no array holds its counter any more. (An array over two spans counted
separately before it, e.g. ``ptr=`` over two neighbouring allocations, shares the
first one's counter only.)
"""

from __future__ import annotations

import bisect
import threading
import weakref

__all__ = ["WriteCounter", "counter_for_memory"]


class WriteCounter(list):
    """``[writes so far, who wrote last]`` (a list: launches update it in place)."""

    __slots__ = ("__weakref__",)


class _Span:
    __slots__ = ("lo", "hi", "ref")

    def __init__(self, lo, hi, counter):
        self.lo, self.hi = lo, hi
        self.ref = weakref.ref(counter, _forgotten)


_lock = threading.Lock()
_starts: dict = {}  # device key -> sorted span starts
_spans: dict = {}  # device key -> spans, in the same order
_dead = [0]  # spans whose counter died since the last sweep
_total = [0]  # spans registered


def _forgotten(_ref):
    # may run inside a locked section (garbage collection): only count, sweep later
    _dead[0] += 1


def _sweep():
    for key, spans in _spans.items():
        live = [s for s in spans if s.ref() is not None]
        _spans[key] = live
        _starts[key] = [s.lo for s in live]
    _total[0] = sum(len(spans) for spans in _spans.values())
    _dead[0] = 0


def counter_for_memory(device_key, lo: int, hi: int) -> WriteCounter:
    """The write counter of the bytes ``[lo, hi)`` on a device (shared with every array
    already counted over any of them)."""
    if hi <= lo:
        return WriteCounter([0, None])  # no memory: nothing can alias it
    with _lock:
        if _dead[0] > 64 and 2 * _dead[0] > _total[0]:  # amortised: half of them dead
            _sweep()
        starts = _starts.setdefault(device_key, [])
        spans = _spans.setdefault(device_key, [])
        i = max(bisect.bisect_right(starts, lo) - 1, 0)
        while i < len(spans) and spans[i].lo < hi:
            span = spans[i]
            counter = span.ref() if span.hi > lo else None
            if counter is not None:
                _widen(starts, spans, i, lo, hi)
                return counter
            i += 1
        # no live span overlaps: drop the dead ones in the way, so spans stay disjoint
        at = bisect.bisect_left(starts, lo)
        if at > 0 and spans[at - 1].hi > lo:
            at -= 1
        while at < len(spans) and spans[at].lo < hi:
            del starts[at], spans[at]
            _total[0] -= 1
        counter = WriteCounter([0, None])
        starts.insert(at, lo)
        spans.insert(at, _Span(lo, hi, counter))
        _total[0] += 1
        return counter


def _widen(starts, spans, i, lo, hi):
    """Grow span ``i`` to cover ``[lo, hi)`` too, where that keeps spans disjoint."""
    span = spans[i]
    new_lo, new_hi = min(span.lo, lo), max(span.hi, hi)
    if i > 0 and spans[i - 1].hi > new_lo:
        return
    if i + 1 < len(spans) and spans[i + 1].lo < new_hi:
        return
    span.lo, span.hi = new_lo, new_hi
    starts[i] = new_lo
