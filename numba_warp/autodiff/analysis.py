"""What the backward pass needs to keep: the analyses between building and writing.

On the forward AST (used while the IR is built, ``build.py``):

* :func:`live_in` / :func:`assigned_names`: which variables a statement list reads
  before assigning them, and which it assigns; from these the builder decides which
  variables a loop *carries* from one iteration to the next, and which merged values
  (phis) after an ``if`` are needed at all.

On the IR (``ir.py``), once built:

* :func:`read_atoms`: every name some statement reads. A value no statement reads has a
  zero adjoint: its reverse is skipped, so an infinite or NaN derivative there (an
  unused ``wp.sqrt`` of a negative number) cannot turn the zero into NaN.
* :func:`mark_needed`: which primal values the reverse pass reads; each loop learns
  which of its carried variables it must checkpoint (``Loop.needed``) and whether any
  value it leaves behind is read (``Loop.after_needed``). A product or quotient by a
  scalar whose own adjoint is dropped (a literal, a kernel's scalar parameter: see
  :func:`scalar_constants`) reads only that scalar: ``v = v * damping + f`` in a loop
  then needs no checkpoint, and ``f * dt`` after a loop no replay of the loop.
* :func:`exclusive_roots`: array parameters only ever indexed by the thread index, whose
  gradient elements each thread owns.
* :func:`is_pure`: whether skipping the reverse of a block loses no gradient.
"""

from __future__ import annotations

import ast
import numbers

from ..frontend.effects import array_access
from ..frontend.protocols import UserFunction
from ..lowering import registry as rules
from . import callees
from .ir import AtomicArr, If, Let, Loop, Return, StoreArr

__all__ = ["Facts", "live_in", "reads", "assigned_names", "contains", "read_atoms",
           "mark_needed", "scalar_constants", "exclusive_roots", "is_pure", "is_pure_call"]


class Facts:
    """The analyses of a built body (``build.BuiltBody``) the writer reads:
    ``read_atoms`` and, for a kernel, ``exclusive`` (see :func:`exclusive_roots`).
    Marks each loop's ``needed`` carriers in the IR. ``scalar_params``: the kernel's
    scalar parameters (their adjoints are dropped; a function's are returned)."""

    def __init__(self, body, *, is_kernel: bool, scalar_params=()):
        self.exclusive = exclusive_roots(body.ir, body.tid_ssa, body.array_root) \
            if is_kernel else set()
        self.read_atoms = read_atoms(body.ir)
        mark_needed(body.ir, scalar_constants(body.refs, scalar_params if is_kernel else ()))


# ---------------------------------------------------------------------------------------
# on the forward AST
# ---------------------------------------------------------------------------------------

def contains(stmts, kind) -> bool:
    """Whether ``kind`` (Break/Continue) occurs at this loop level (not in inner loops)."""
    for s in stmts:
        if isinstance(s, kind):
            return True
        if isinstance(s, ast.If) and (contains(s.body, kind) or contains(s.orelse, kind)):
            return True
    return False


def live_in(stmts) -> tuple[set, set]:
    """(names read before being assigned, names surely assigned) over ``stmts``."""
    live: set = set()
    assigned: set = set()
    for st in stmts:
        if isinstance(st, ast.Assign):
            live |= reads(st.value) - assigned
            for t in st.targets:
                if not isinstance(t, (ast.Name, ast.Tuple)):
                    live |= reads(t) - assigned
                assigned |= _target_names(t)
        elif isinstance(st, ast.If):
            live |= reads(st.test) - assigned
            lb, ab = live_in(st.body)
            lo, ao = live_in(st.orelse)
            live |= (lb | lo) - assigned
            assigned |= ab & ao
        elif isinstance(st, (ast.For, ast.While)):
            # a loop may run no iteration: it surely assigns nothing
            live |= _loop_live_in(st) - assigned
        else:
            live |= reads(st) - assigned
    return live, assigned


def _loop_live_in(loop) -> set:
    """Names a loop may read before assigning them: its bounds or condition, and what its
    body reads before assigning (later iterations read values of earlier ones, which the
    body assigned, or the values from before the loop, which count here)."""
    body, _ = live_in(loop.body)
    if isinstance(loop, ast.For):
        return reads(loop.iter) | (body - _target_names(loop.target))
    return reads(loop.test) | body


def reads(node) -> set:
    """The names ``node`` reads."""
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and
            isinstance(n.ctx, ast.Load)}


def _target_names(target) -> set:
    """Local names an assignment target binds. The code generator writes a component
    store ``v[1] = x`` as ``v = store(v, 1, x)`` reusing the subscript's ``v``, whose
    context stays ``Load``: bound names are found by position, not by context."""
    if isinstance(target, ast.Name):
        return {target.id}
    if isinstance(target, (ast.Tuple, ast.List)):
        return set().union(*(_target_names(e) for e in target.elts))
    return set()  # a[i] = x, s.f = x on arrays / outside objects: no local is rebound


def assigned_names(stmts) -> set:
    """Every local name ``stmts`` may bind (at any depth)."""
    out = set()
    for s in stmts:
        for node in ast.walk(s):
            if isinstance(node, ast.Assign):
                for t in node.targets:
                    out |= _target_names(t)
            elif isinstance(node, ast.For):
                out |= _target_names(node.target)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                out.add(node.id)
    return out


# ---------------------------------------------------------------------------------------
# on the IR
# ---------------------------------------------------------------------------------------

def read_atoms(block, out=None) -> set:
    """Every name a statement of ``block`` reads (see the module docstring)."""
    out = set() if out is None else out

    def add(atoms):
        out.update(a for a in atoms if isinstance(a, str))

    for st in block:
        if isinstance(st, Let):
            add(st.operands())
        elif isinstance(st, (StoreArr, AtomicArr)):
            add([st.arr, *st.idx, st.value])
        elif isinstance(st, Return):
            add([st.value])
        elif isinstance(st, If):
            add([st.cond])
            read_atoms(st.then, out)
            read_atoms(st.orelse, out)
        elif isinstance(st, Loop):
            add(st.reads())
            for c in st.carriers:
                add([c.entry, c.exit, c.name])
            read_atoms(st.body, out)
    return out


_VALUE_FREE_BINOPS = ("Add", "Sub")


def mark_needed(block, constant=lambda atom: False) -> None:
    """Find which primal values the reverse pass reads, and tell each loop
    (``Loop.needed``: the names of its carriers whose per-iteration value is read;
    ``Loop.after_needed``: whether the replay must run it, for a value it leaves).

    Adjoints of sums, differences, negations, copies, component reads and constructors
    do not read their operands' values; everything else does (conservatively: every
    argument of every other rule), as do conditions, indices and loop bounds. Products
    and quotients by a ``constant`` (a scalar whose adjoint is dropped) read only it.

    A value is needed with the values it is computed from. A loop's value after it is
    computed by replaying the loop from its entry values; and the replay itself reads the
    tests of ``while`` loops (their trip counts): a loop must be replayed when one of its
    values after it leads to any of those (``live``).
    """
    defs: dict = {}
    carriers: dict = {}
    loops: list = []
    needed, tests = _seed_needed(block, defs, carriers, loops, constant)
    _close(needed, defs, carriers, through_loops=False)
    live = needed | tests
    _close(live, defs, carriers, through_loops=True)
    for loop in loops:
        loop.needed = {c.name for c in loop.carriers if c.name in needed}
        loop.after_needed = any(c.after in live for c in loop.carriers)


def _close(names: set, defs: dict, carriers: dict, *, through_loops: bool) -> None:
    """Add to ``names`` what computing them reads: the operands of their statements, a
    carried value's entry and iteration values, and (``through_loops``) the carried
    value a loop leaves (recomputed by replaying the loop, rather than restored)."""
    work = list(names)
    while work:
        name = work.pop()
        ops = []
        st = defs.get(name)
        if st is not None and (st.phi != "after" or through_loops):
            ops = list(st.operands())
        c = carriers.get(name)
        if c is not None:
            ops += [c.entry, c.exit]
        for o in ops:
            if isinstance(o, str) and o not in names:
                names.add(o)
                work.append(o)


def _binop_reads(data, constant) -> list:
    """The operands whose values the reverse of ``a <op> b`` reads (``Div`` stands for
    the ``wp.div`` call). ``a * c`` with ``c`` a constant scalar: ``adj_a += adj * c``
    (``c``'s own adjoint, which would read ``a``, is dropped); the same for ``c * a`` and
    ``a / c`` (``adj_a += adj / c``). Only scalars qualify: the adjoint of a transform in
    a product reads the transform."""
    op, a, b = data
    if op in _VALUE_FREE_BINOPS:
        return []
    if op in ("Mult", "Div") and constant(b):
        return [b]
    if op == "Mult" and constant(a):
        return [a]
    return [a, b]


def scalar_constants(refs: dict, scalar_params=()):
    """A test for atoms that are scalars whose adjoint is dropped: number literals, bound
    numbers (``refs``: the body's globals) and a kernel's scalar parameters (never
    reassigned in SSA form: the parameter's own name is its value on entry)."""
    params = set(scalar_params)

    def constant(atom) -> bool:
        if not isinstance(atom, str):
            return False
        if atom in params:
            return True
        if atom in refs:
            value = refs[atom]
            return isinstance(value, numbers.Number) and not isinstance(value, complex)
        try:
            float(atom)
        except ValueError:
            return False
        return not atom.isidentifier()  # ('inf', 'nan' are names here, not literals)

    return constant


def _seed_needed(block, defs: dict, carriers: dict, loops: list, constant):
    """(the names the reverse statements of ``block`` read directly, the names the tests
    of its ``while`` loops read); fills ``defs`` (name -> its Let), ``carriers`` (name ->
    Carrier) and ``loops``."""
    needed: set = set()
    tests: set = set()

    def seed(atoms):
        needed.update(a for a in atoms if isinstance(a, str))

    def scan(stmts):
        for st in stmts:
            if isinstance(st, Let):
                defs[st.name] = st
                if st.kind == "binop":
                    seed(_binop_reads(st.data, constant))
                elif st.kind == "getitem":
                    seed(st.data[1])
                elif st.kind == "call":
                    _seed_call(st.data, seed, constant)
            elif isinstance(st, StoreArr):
                seed(st.idx)
            elif isinstance(st, AtomicArr):
                seed(st.idx)
                if st.op in ("min", "max"):
                    seed([st.value])
            elif isinstance(st, If):
                seed([st.cond])
                scan(st.then)
                scan(st.orelse)
            elif isinstance(st, Loop):
                loops.append(st)
                seed([st.start, st.stop, st.step])
                if st.kind == "while":
                    tests.update(a for a in st.reads() if isinstance(a, str))
                for c in st.carriers:
                    carriers[c.name] = c
                scan(st.body)

    scan(block)
    return needed, tests


def _seed_call(data, seed, constant) -> None:
    _, obj, args, kwargs = data
    if callees.is_division(obj) and len(args) == 2 and not kwargs:
        seed(_binop_reads(("Div", *args), constant))
        return
    if isinstance(obj, UserFunction) or not (
            rules.is_constructor(obj) or callees.class_rule(obj)[0] is not None or
            rules.is_nondifferentiable(obj)):
        seed(args)
        seed(v for _, v in kwargs)
    if id(obj) in callees.array_helpers():
        seed(args[1:2])  # the index of store/inplace_*


def exclusive_roots(block, tid_ssa, array_root: dict) -> set:
    """Array parameters only ever indexed by the thread index (``a[i]`` with ``i = tid``).

    Each element's gradient is then touched by one thread only, so the backward pass
    accumulates it with plain loads and stores instead of atomics. ``tid_ssa``: the SSA
    names of the thread indices; ``array_root``: SSA name -> the array parameter it is.
    """
    tid = [t for t in tid_ssa if t is not None]
    if not tid or len(tid) != len(tid_ssa):
        return set()
    ok: dict[str, bool] = {}

    def use(atom, idx):
        root = array_root.get(atom)
        if root is None:
            return
        good = idx is not None and list(idx) == tid
        ok[root] = ok.get(root, True) and good

    def scan(stmts):
        for st in stmts:
            if isinstance(st, Let):
                if st.kind == "getitem":
                    use(st.data[0], st.data[1])
                elif st.kind in ("call", "tuple", "opaque"):
                    # (a copy has the same root, whose own uses are checked; getattr reads
                    # a.shape and the like)
                    for a in st.operands():
                        use(a, None)
            elif isinstance(st, (StoreArr, AtomicArr)):
                use(st.arr, st.idx)
            elif isinstance(st, If):
                scan(st.then)
                scan(st.orelse)
            elif isinstance(st, Loop):
                scan(st.body)

    scan(block)
    return {r for r, good in ok.items() if good}


def is_pure(block) -> bool:
    """Whether skipping the reverse of ``block`` loses no gradient: only values, no
    array writes or atomics (whose adjoints do not flow through the value)."""
    for st in block:
        if isinstance(st, If):
            if not (is_pure(st.then) and is_pure(st.orelse)):
                return False
        elif not isinstance(st, Let):
            return False
        elif st.kind == "call" and not is_pure_call(st.data[1]):
            return False
    return True


def is_pure_call(obj) -> bool:
    """Whether calling ``obj`` writes no arrays."""
    if id(obj) in callees.array_helpers():
        return False
    if isinstance(obj, UserFunction):
        return all(not array_access(ov.generated(), [n for n, _ in ov.params])[1]
                   for ov in obj.overloads)
    return True

