"""Which array elements a loop's reverse may ask for ahead of time, and how to find them.

The reverse of a ``range`` loop runs its iterations backwards, each recomputing its values
(gathering array elements) and scattering into the gradients of the arrays it read,
with atomic adds. On the CPU an atomic add is a compare-and-swap: it waits for its
cache line, and no later load starts before it completes, so each iteration pays a
memory latency or two in turn where the forward loop overlaps them. The writer
therefore prefetches, in iteration ``k``, the elements iteration ``k - DISTANCE`` will
gather and scatter into (``lowering.adjoint_helpers.grad_prefetch``; nothing on CUDA).

:func:`prefetch_plan` finds the reads to prefetch: element reads ``a[idx]`` at the top
level of the loop body (run in every iteration, so evaluating their indices for another
iteration does what the forward pass did), of arrays defined before the loop, whose
indices change with the loop variable and are computed from it and values defined
before the loop by a few loads and integer operations (``nbr[s]`` in a CSR neighbour
loop, ``wp.int32``, ``%``). Those statements are recomputed for the earlier iteration
under new names.
"""

from __future__ import annotations

from . import callees
from .ir import If, Let, Loop

__all__ = ["DISTANCE", "PrefetchPlan", "prefetch_plan"]

#: how many iterations ahead (in the order the reverse runs them) elements are fetched
DISTANCE = 2
#: statements a plan may recompute per iteration (cheap index arithmetic only)
_MAX_STATEMENTS = 8
_INDEX_OPS = ("Add", "Sub", "Mult", "FloorDiv", "Mod")


class PrefetchPlan:
    """``lets``: the statements computing the indices, in order (their operands are
    those of the loop body, to be renamed); ``reads``: (array atom, index atoms)."""

    def __init__(self, lets, reads):
        self.lets = lets
        self.reads = reads


def prefetch_plan(loop: Loop, array_root: dict, owned) -> PrefetchPlan | None:
    """The reads of ``loop``'s body worth prefetching in its reverse (None if none).
    ``array_root``: SSA name -> the array parameter it is; ``owned``: array parameters
    only indexed by the thread index (their gradients are in registers)."""
    if loop.kind != "range":
        return None
    top = {st.name: st for st in loop.body if isinstance(st, Let)}
    inner = _defined_in(loop.body) | {c.name for c in loop.carriers}
    lets: list = []
    reads = []
    for st in loop.body:
        if not (isinstance(st, Let) and st.kind == "getitem"):
            continue
        base, idx = st.data
        root = array_root.get(base)
        if root is None or root in owned or base in inner:
            continue
        if not any(a in inner for a in idx):
            continue  # the same element in every iteration: in the cache after the first
        need = _slice(idx, top, inner, array_root)
        if need is None:
            continue
        new = [s for s in need if s not in lets]
        if len(lets) + len(new) > _MAX_STATEMENTS:
            continue
        lets += new
        reads.append((base, list(idx)))
    return PrefetchPlan(lets, reads) if reads else None


def _slice(atoms, top: dict, inner: set, array_root: dict):
    """The top-level statements that compute ``atoms`` (in order), or None when one of
    them is not cheap index arithmetic on the loop variable and loop invariants."""
    out: list = []

    def visit(atom) -> bool:
        if not isinstance(atom, str) or atom not in inner:
            return True  # a constant or a value defined before the loop
        st = top.get(atom)
        if st is None:
            return False  # carried, or defined under a condition or in an inner loop
        if st in out:
            return True
        k, d = st.kind, st.data
        if k == "loopvar" or k == "const":
            ok = True
        elif k == "copy":
            ok = visit(d)
        elif k == "binop":
            ok = d[0] in _INDEX_OPS and visit(d[1]) and visit(d[2])
        elif k == "unop":
            ok = visit(d[1])
        elif k == "getitem":
            ok = d[0] in array_root and d[0] not in inner and all(visit(a) for a in d[1])
        elif k == "call":
            _, obj, args, kwargs = d
            ok = callees.is_index_arithmetic(obj) and not kwargs and all(visit(a) for a in args)
        else:
            ok = False
        if ok:
            out.append(st)
        return ok

    return out if all(visit(a) for a in atoms) else None


def _defined_in(block) -> set:
    """Every name a block defines, at any depth."""
    out: set = set()
    for st in block:
        if isinstance(st, Let):
            out.add(st.name)
        elif getattr(st, "target", None):
            out.add(st.target)
        elif isinstance(st, If):
            out |= _defined_in(st.then) | _defined_in(st.orelse)
        elif isinstance(st, Loop):
            out |= _defined_in(st.body) | {c.name for c in st.carriers}
            out |= {c.after for c in st.carriers}
    return out
