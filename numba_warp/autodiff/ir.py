"""A small intermediate form for differentiation: SSA statements over atoms.

The builder (``build.py``) lowers a kernel's *forward-transformed* AST (see
``frontend.codegen``) into this form:

* every compound expression is split into single operations, each bound once to a new
  name (``Let``), so the value every operation saw in the forward pass is still there
  when the reverse pass needs it;
* a variable assigned in both arms of an ``if`` gets a fresh name after it, assigned at
  the end of each arm (a *phi*);
* loops name the variables they carry from one iteration to the next (``Carrier``):
  those are what the backward pass checkpoints;
* ``break``, ``continue`` and ``return`` become boolean flags and guarded blocks, so
  every block has one entry and one exit.

An *atom* is a string of Python source: an SSA variable or a constant / global name.
"""

from __future__ import annotations

import re

__all__ = ["Let", "StoreArr", "AtomicArr", "Effect", "If", "Loop", "Carrier", "Return",
           "names_in"]

_NAME = re.compile(r"[A-Za-z_]\w*")


def names_in(source: str) -> list:
    """The names a piece of source (an opaque expression, a condition) may read."""
    return _NAME.findall(source)


class Let:
    """``name = <kind>(data)``.

    kinds: ``copy`` (atom), ``const`` (source), ``call`` (func source, object, args,
    kwargs), ``binop`` (op, a, b), ``unop`` (op, a), ``getitem`` (base, indices),
    ``getattr`` (base, attr), ``tuple`` (atoms), ``opaque`` (source; no gradient),
    ``loopvar`` (loop whose index it is).
    """

    __slots__ = ("name", "kind", "data", "line", "phi")

    def __init__(self, name, kind, data, line, phi=False):
        self.name = name
        self.kind = kind
        self.data = data
        self.line = line
        self.phi = phi

    def operands(self) -> list:
        """The atoms this statement reads."""
        k, d = self.kind, self.data
        if k == "copy":
            return [d]
        if k in ("binop", "unop"):
            return list(d[1:])
        if k == "getitem":
            return [d[0], *d[1]]
        if k == "getattr":
            return [d[0]]
        if k == "tuple":
            return list(d)
        if k == "call":
            return list(d[2]) + [v for _, v in d[3]]
        if k == "opaque":
            return names_in(d)
        return []  # const, loopvar

    def __repr__(self):
        return f"Let({self.name} = {self.kind} {self.data!r})"


class StoreArr:
    """``arr[idx] = value`` on an array (``root``: the parameter the array is, if known;
    a store into an array made with ``retain_grad=True`` keeps its gradient)."""

    __slots__ = ("arr", "idx", "value", "line", "root")

    def __init__(self, arr, idx, value, line, root=None):
        self.arr, self.idx, self.value, self.line = arr, idx, value, line
        self.root = root


class AtomicArr:
    """``[target =] wp.atomic_<op>(arr, idx..., value)``."""

    __slots__ = ("op", "func", "arr", "idx", "value", "target", "line")

    def __init__(self, op, func, arr, idx, value, target, line):
        self.op, self.func, self.arr, self.idx = op, func, arr, idx
        self.value, self.target, self.line = value, target, line


class Effect:
    """A statement run only in the forward pass (print, assert...)."""

    __slots__ = ("src", "line")

    def __init__(self, src, line):
        self.src, self.line = src, line


class If:
    __slots__ = ("cond", "then", "orelse", "line")

    def __init__(self, cond, then, orelse, line):
        self.cond, self.then, self.orelse, self.line = cond, then, orelse, line


class Carrier:
    """A variable a loop carries across iterations.

    ``entry``: its name before the loop (None when it is first assigned in the loop);
    ``name``: the name it has at the start of each iteration; ``exit``: its name at the
    end of an iteration; ``after``: its name after the loop.
    """

    __slots__ = ("user", "entry", "name", "exit", "after")

    def __init__(self, user, entry, name):
        self.user, self.entry, self.name = user, entry, name
        self.exit = None
        self.after = None


class Loop:
    """``for`` over a range (``kind='range'``, bounds ``start, stop, step``) or ``while``
    (``kind='while'``), which runs while its test holds and none of its ``flags`` (the
    SSA names of its break and return flags) is set. The test is the user's condition
    (``cond``, source over the carriers) or, for a ``for`` loop written as a ``while``
    loop (it has a ``break`` or ``return``), ``range_test``: (counter, stop, step)."""

    __slots__ = ("id", "kind", "start", "stop", "step", "cond", "range_test", "flags",
                 "carriers", "body", "line", "needed", "after_needed")

    def __init__(self, id, kind, line):
        self.id = id
        self.kind = kind
        self.line = line
        self.start = self.stop = self.step = None
        self.cond = None
        self.range_test = None
        self.flags: list[str] = []
        self.carriers: list[Carrier] = []
        self.body: list = []
        self.needed = None
        self.after_needed = True

    def reads(self) -> list:
        """The atoms its bounds and its test read (not its body)."""
        return [self.start, self.stop, self.step, *names_in(self.cond or ""),
                *(self.range_test or ()), *self.flags]

    @property
    def checkpointed(self):
        """Carriers the replay saves per iteration: defined before the loop, and read by
        the reverse pass (a plain running sum, for one, is never read back)."""
        return [c for c in self.carriers if c.entry is not None and
                (self.needed is None or c.name in self.needed)]

    @property
    def replay_free(self):
        """Whether the replay that precedes this loop's reverse may skip running it: a
        ``range`` loop (its trip count is known before it runs), no carried value read
        back per iteration (nothing to checkpoint), none of its values read after it by
        the reverse pass, and every carrier entering with a value (which stands in for
        it, for typing only). The reverse pass then recomputes each iteration's values
        itself, as it does anyway."""
        return (self.kind == "range" and self.needed is not None and not self.needed and
                not self.after_needed and all(c.entry is not None for c in self.carriers))


class Return:
    """``return value`` in a function (the value's adjoint is the caller's ``adj_ret``)."""

    __slots__ = ("value", "line")

    def __init__(self, value, line):
        self.value, self.line = value, line
