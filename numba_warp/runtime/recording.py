"""The recording hook: how an observer (the Tape) sees what runtime does.

Runtime never imports a recorder. A recorder installs itself here for as long as it
records (``with wp.Tape():`` does), on the current thread only, and runtime reports to
whatever is installed:

* ``wp.launch`` (forward launches with ``record_tape=True``) calls
  ``observer.record_launch(kernel, dim, max_blocks, inputs, outputs, device, block_dim,
  reads=[(array, version, parameter path), ...])`` before the kernel runs;
* copies (``wp.copy``, ``wp.clone``, ``array.assign``) call
  ``observer.record_copy(dest, src, what, dest_offset, src_offset, count)`` after they
  advanced ``dest``'s write counter and before they copy.

One observer at a time: installing a second one while one is installed is an error.
"""

from __future__ import annotations

import threading
import typing

__all__ = ["Observer", "active", "current", "install", "uninstall", "record_copy"]


class Observer(typing.Protocol):
    """What runtime calls on an installed observer (see the module docstring)."""

    def record_launch(self, kernel, dim, max_blocks, inputs, outputs, device,
                      block_dim=0, metadata=None, reads=None) -> None: ...

    def record_copy(self, dest, src, what: str, dest_offset: int, src_offset: int,
                    count: int) -> None: ...


_state = threading.local()
_count_lock = threading.Lock()
#: how many threads have an observer installed (a launch checks this before the
#: thread-local lookup: one list read when nothing records, the common case)
active = [0]


def current() -> Observer | None:
    """The observer installed on this thread, or None."""
    return getattr(_state, "observer", None)


def install(observer: Observer) -> None:
    """Report this thread's launches and copies to ``observer`` until :func:`uninstall`."""
    installed = current()
    if installed is not None and installed is not observer:
        raise RuntimeError(f"cannot record with {observer!r}: {installed!r} is recording "
                           "on this thread already; stop it first")
    if installed is None:
        with _count_lock:
            active[0] += 1
    _state.observer = observer


def uninstall(observer: Observer) -> None:
    """Stop reporting to ``observer`` (nothing happens if it is not the installed one)."""
    if current() is observer:
        _state.observer = None
        with _count_lock:
            active[0] -= 1


def record_copy(dest, src, what: str, dest_offset: int = 0, src_offset: int = 0,
                count: int = 0) -> None:
    """Report a copy ``dest <- src`` (``count`` elements, 0: as many as fit) to the
    installed observer, if any."""
    observer = current()
    if observer is not None:
        observer.record_copy(dest, src, what, dest_offset, src_offset, count)
