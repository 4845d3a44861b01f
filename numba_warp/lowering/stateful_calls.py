"""Builtins that, in Warp, update some of their arguments in place.

Warp's C++ takes a random state (``wp.randf(state)``) or a query and its output index
(``wp.hash_grid_query_next(query, index)``) by reference. Values are immutable here, so
each such builtin has a pure helper that returns the updated arguments followed by the
result, and the code generator (``frontend/stateful.py``) rewrites every call into an
assignment of those values::

    x = wp.randf(state)                      # state, x = _randf_next(state)
    while wp.hash_grid_query_next(q, i): ... # q, i, _ok = _hash_grid_query_next(q, i)

Query constructors that Warp lets a ``for`` loop iterate (``for i in
wp.hash_grid_query(...)``) are registered with their ``next`` builtin.
"""

from __future__ import annotations

__all__ = ["STATEFUL", "ITERABLE", "register_stateful", "register_iterable"]

#: public builtin -> (pure helper, how many leading arguments the call updates)
STATEFUL: dict = {}
#: query constructor -> the public builtin that advances its query
ITERABLE: dict = {}


def register_stateful(public, helper, updates: int = 1) -> None:
    """``public(a0, ..., ak-1, ...)`` updates its first ``updates`` arguments: ``helper``
    takes the same arguments and returns ``(a0', ..., ak-1', result)``."""
    STATEFUL[public] = (helper, updates)


def register_iterable(constructor, next_public) -> None:
    """``for i in constructor(...)`` iterates with ``while next_public(query, i)``."""
    ITERABLE[constructor] = next_public
