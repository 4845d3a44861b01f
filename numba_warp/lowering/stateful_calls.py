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

Warp's older *output-argument* forms write results into variables passed after the
inputs and also return a value (``hit = wp.mesh_query_ray(mesh, p, d, t_max, t, u, v,
sign, n, face)``). Such a form is registered with the positions of its outputs; a call
with at least ``min_args`` positional arguments becomes ``t, u, v, sign, n, face, hit =
_helper(mesh, p, d, t_max, t, u, v, sign, n, face)`` (the helper gets every argument and
returns the outputs, then the result).
"""

from __future__ import annotations

__all__ = [
    "ITERABLE",
    "OUTPUTS",
    "STATEFUL",
    "register_iterable",
    "register_outputs",
    "register_stateful",
]

#: public builtin -> (pure helper, how many leading arguments the call updates)
STATEFUL: dict = {}
#: query constructor -> the public builtin that advances its query
ITERABLE: dict = {}
#: public builtin -> (helper, first output position, number of outputs, min. arguments)
OUTPUTS: dict = {}


def register_stateful(public, helper, updates: int = 1) -> None:
    """``public(a0, ..., ak-1, ...)`` updates its first ``updates`` arguments: ``helper``
    takes the same arguments and returns ``(a0', ..., ak-1', result)``."""
    STATEFUL[public] = (helper, updates)


def register_iterable(constructor, next_public) -> None:
    """``for i in constructor(...)`` iterates with ``while next_public(query, i)``."""
    ITERABLE[constructor] = next_public


def register_outputs(public, helper, first: int, count: int, min_args: int) -> None:
    """Calls of ``public`` with at least ``min_args`` positional arguments are its output
    form: arguments ``first .. first+count-1`` are variables the call sets; ``helper``
    takes every argument and returns ``(outputs..., result)``."""
    OUTPUTS[public] = (helper, first, count, min_args)
