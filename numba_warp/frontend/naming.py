"""Every name the code generators invent, in one place.

Generated code (forward bodies, backward bodies, launchers) shares its namespace with the
user's variables. Names the generators make up start with ``_wp_``, which Warp reserves,
so they cannot meet a user's name; the one exception is the adjoint of a variable ``x``,
``adj_x`` (Warp's convention, and what users read in ``kernel.adjoint_source``): user
variables that start with ``adj_`` are renamed before a backward body is written.

Error messages speak of the user's names: :func:`as_user_wrote` strips the prefix from
generated names (``_wp_sqrt`` reads ``sqrt``), so it relies on every invented name
coming from here.
"""

from __future__ import annotations

import re

__all__ = [
    "PREFIX", "ADJ_PREFIX", "TID", "DIMS", "MULTI_TARGET", "TID_REST", "RETURNED",
    "RETURN_VALUE", "ADJ_RET", "RETAIN", "CONTRIB", "LAUNCH_COUNT", "LAUNCH_THREAD",
    "LAUNCH_STRIDE", "LAUNCH_INT64", "DEBUG_PREFIX", "DEBUG_DEFINE_SLOT", "generated",
    "is_generated", "ref", "adj", "is_adjoint_name", "renamed_adjoint",
    "renamed_local_adjoint", "pinned_index", "random_temp", "break_flag", "continue_flag",
    "range_counter", "carrier", "loop_local", "owned_grad", "as_user_wrote",
    "sequence_temp", "sequence_index", "query_temp",
]

#: what every invented name starts with
PREFIX = "_wp_"
#: what the adjoint of a variable is called: ``adj_x``
ADJ_PREFIX = "adj_"

# -- forward bodies (frontend/codegen.py) ---------------------------------------------
#: a kernel body's first parameter: the flat thread index
TID = PREFIX + "tid"
#: the launch dimensions a kernel body takes after the thread index
DIMS = tuple(f"{PREFIX}d{k}" for k in range(4))
#: the value of ``a = b = expr``, evaluated once
MULTI_TARGET = PREFIX + "multi"
#: the part of the thread index left while unravelling it into ``i, j, k = wp.tid()``
TID_REST = PREFIX + "rest"

# -- backward bodies (autodiff/) ------------------------------------------------------
#: the flag set when a function body has returned (control flow in SSA form)
RETURNED = PREFIX + "returned"
#: the value a function's replay returns
RETURN_VALUE = PREFIX + "retv"
#: a function's backward takes its return value's adjoint as this (a local variable
#: ``ret`` has the adjoint ``adj_ret``)
ADJ_RET = PREFIX + "adj_ret"
#: a kernel backward body's last parameter: the bits of the arrays made with
#: ``retain_grad=True``
RETAIN = PREFIX + "retain"
#: the contributions a gradient rule returns, one per argument
CONTRIB = PREFIX + "c"

# -- launchers (runtime/) -------------------------------------------------------------
#: the number of threads a launcher runs
LAUNCH_COUNT = PREFIX + "n"
#: a launcher's thread index
LAUNCH_THREAD = PREFIX + "t"
#: a CUDA launcher's grid stride
LAUNCH_STRIDE = PREFIX + "stride"
#: Numba's int64 type, bound in a CPU launcher's module
LAUNCH_INT64 = PREFIX + "int64"
#: what the names of debug-mode checks and their bookkeeping start with
DEBUG_PREFIX = PREFIX + "dbg_"
#: a debug-mode body's call that makes the failure slot's symbol known to its module
DEBUG_DEFINE_SLOT = DEBUG_PREFIX + "define_slot"

_GENERATED = re.compile(re.escape(PREFIX) + r"(\w+)")


def generated(base: str) -> str:
    """An invented name made from ``base`` (any text; non-identifier characters become
    ``_``)."""
    return PREFIX + re.sub(r"\W", "_", base)


def is_generated(name: str) -> bool:
    return name.startswith(PREFIX)


def ref(hint: str, k: int = 1) -> str:
    """The name that binds an outside object (a builtin, a constant, a gradient rule) in
    a generated module: ``_wp_<hint>``, and ``_wp_<hint>_<k>`` for the k-th (k > 1)
    object with the same hint."""
    base = generated(hint)
    return base if k == 1 else f"{base}_{k}"


def adj(name: str) -> str:
    """The adjoint of the variable ``name``."""
    return ADJ_PREFIX + name


def is_adjoint_name(name: str) -> bool:
    """Whether ``name`` reads as the adjoint of another variable (a user variable so
    named must be renamed in backward bodies)."""
    return name.startswith(ADJ_PREFIX)


def renamed_adjoint(name: str, k: int = 0) -> str:
    """The k-th candidate new name for a parameter (or thread index) ``adj_...``."""
    return f"p_{name}" if k == 0 else f"p_{name}_{k}"


def renamed_local_adjoint(name: str) -> str:
    """The base of the SSA names of a local variable ``adj_...`` in a backward body."""
    return "v_" + name


def pinned_index(k: int, line: int, col: int) -> str:
    """A local holding an index of an augmented assignment's target, evaluated once."""
    return f"{PREFIX}at{k}_{line}_{col}"


def sequence_temp(k: int) -> str:
    """A local holding the sequence a ``for`` loop iterates over (evaluated once)."""
    return f"{PREFIX}seq{k}"


def sequence_index(k: int) -> str:
    """The index of a ``for`` loop over a sequence, written as a loop over a range."""
    return f"{PREFIX}seqi{k}"


def random_temp(k: int) -> str:
    """A local holding the value of a stateful random call hoisted out of an expression."""
    return f"{PREFIX}rnd{k}"


def query_temp(k: int) -> str:
    """The query of a ``for`` loop over a spatial query (``for i in wp.hash_grid_query``)."""
    return f"{PREFIX}qry{k}"


def break_flag(loop_id: int) -> str:
    return f"{PREFIX}brk{loop_id}"


def continue_flag(loop_id: int) -> str:
    return f"{PREFIX}cont{loop_id}"


def range_counter(loop_id: int) -> str:
    """The counter of a ``for ... in range`` loop written as a ``while`` loop."""
    return f"{PREFIX}it{loop_id}"


def carrier(user: str, loop_id: int) -> str:
    """The SSA name of variable ``user`` at the start of each iteration of a loop."""
    return f"{user}_L{loop_id}"


def loop_local(loop_id: int, what: str) -> str:
    """A backward body's bookkeeping variable for a loop (trip count, stack, ...)."""
    return f"{PREFIX}L{loop_id}_{what}"


def owned_grad(root: str) -> str:
    """The local holding this thread's gradient element of an array it alone indexes."""
    return f"{PREFIX}g_{root}"


def as_user_wrote(text: str) -> str:
    """``text`` with invented names read as the user wrote them (``_wp_sqrt`` -> ``sqrt``)."""
    return _GENERATED.sub(r"\1", text)
