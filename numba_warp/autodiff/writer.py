"""Writing a backward body: the IR (``ir.py``) -> Python source, in two parts.

1. a *replay* of the forward computation (no array writes, atomics or prints: those
   happened in the forward launch), which recomputes every intermediate value;
2. the *reverse* statements, last to first, each adding its inputs' contributions to
   their adjoint variables (``adj_<name>``) through the builtin's adjoint rule.

Control flow is reversed structurally: an ``if`` runs the reverse of the arm the replay
took. Loops are where Warp goes wrong (NVIDIA/warp#1694, #1293): a value carried from one
iteration to the next is overwritten, so the reverse pass cannot see it. Here the replay
stores the carried variables at the start of iterations in a thread-local stack of
``config.adjoint_stack_size`` entries; the reverse pass walks the iterations backwards,
restores the nearest stored state and recomputes forward from it to the iteration it
reverses. With at most ``stack_size`` iterations every state is stored and nothing is
recomputed; beyond that the stack keeps every 2nd, 4th, ... state (it is thinned as the
loop runs, so the trip count need not be known in advance) and the reverse pass
recomputes at most that many iterations for each. This is exact for any trip count,
for ``for`` over dynamic ranges, ``while``, ``break`` and ``continue``, and nested loops.

The writer writes statements into a ``frontend.emit.SourceWriter``; ``assemble.py``
puts the function heads and parts together.
"""

from __future__ import annotations

from .. import config, lang
from ..frontend import naming
from ..frontend.emit import SourceWriter
from ..frontend.naming import ADJ_RET, CONTRIB, adj
from ..frontend.protocols import UserFunction
from ..lowering import adjoint_helpers as helpers
from ..lowering import registry as rules
from . import callees
from .analysis import is_pure
from .build import BuiltBody
from .ir import AtomicArr, Effect, If, Let, Loop, Return, StoreArr
from .prefetch import DISTANCE, prefetch_plan

__all__ = ["RefTable", "BackwardWriter"]


class RefTable:
    """The globals of a generated backward module: the forward body's, and the rules and
    helpers the backward body calls, each bound once."""

    def __init__(self, refs: dict):
        self.refs = refs

    def ref(self, obj, hint: str) -> str:
        """The global name bound to ``obj`` (bound now if it is not yet)."""
        for k, v in self.refs.items():
            if v is obj:
                return k
        name, n = naming.ref(hint), 1
        while name in self.refs:
            n += 1
            name = naming.ref(hint, n)
        self.refs[name] = obj
        return name


def tuple_source(atoms) -> str:
    return "(" + "".join(a + ", " for a in atoms) + ")"


class BackwardWriter:
    """Writes the replay and reverse passes of a built body.

    ``facts``: the analyses of the body (``analysis.Facts``); ``refs``: the module's
    globals; ``retain_var``/``retain_bits``: the kernel parameter holding the bits of
    the arrays made with ``retain_grad=True`` and each array parameter's bit; ``owned``:
    the array parameters whose gradient elements each thread owns (kept in locals);
    ``replay_returns``: the replay keeps a function's return value (for ``f__rep``).
    """

    def __init__(self, body: BuiltBody, facts, refs: RefTable, *, retain_var=None,
                 retain_bits=None, owned=(), replay_returns=False):
        self.body = body
        self.facts = facts
        self.refs = refs
        self.parsed = body.parsed
        self.retain_var = retain_var
        self.retain_bits = dict(retain_bits or {})
        self.owned = tuple(owned)
        self.replay_returns = replay_returns
        self.h = {n: refs.ref(getattr(helpers, n), n) for n in helpers.__all__}
        self.stack_size = int(getattr(config, "adjoint_stack_size", 32))
        self.loop_index: dict[int, str] = {}
        self.loops: dict[int, Loop] = {}
        self._index_loops(body.ir)

    def _index_loops(self, block):
        for st in block:
            if isinstance(st, Loop):
                self.loops[st.id] = st
                self._index_loops(st.body)
            elif isinstance(st, If):
                self._index_loops(st.then)
                self._index_loops(st.orelse)

    def is_var(self, atom) -> bool:
        return self.body.is_var(atom)

    # -- forward replay --------------------------------------------------------------
    def forward(self, w: SourceWriter, block, indent, *, checkpoints: bool):
        wrote = False
        for st in block:
            wrote |= self.forward_stmt(w, st, indent, checkpoints)
        if not wrote:
            w.line("pass", None, indent)
        return wrote

    def forward_stmt(self, w, st, indent, checkpoints) -> bool:
        if isinstance(st, Let):
            w.line(f"{st.name} = {self.let_source(st)}", st.line, indent)
            return True
        if isinstance(st, AtomicArr):
            if st.target:
                w.line(f"{st.target} = {self.h['atomic_replay']}({st.arr}, {tuple_source(st.idx)})",
                       st.line, indent)
                return True
            return False
        if isinstance(st, (StoreArr, Effect, Return)):
            if isinstance(st, Return) and self.replay_returns:
                w.line(f"{naming.RETURN_VALUE} = {st.value}", st.line, indent)
                return True
            return False
        if isinstance(st, If):
            return self.forward_if(w, st, indent, checkpoints)
        if isinstance(st, Loop):
            self.forward_loop(w, st, indent, checkpoints)
            return True
        raise AssertionError(st)

    def forward_if(self, w, st: If, indent, checkpoints) -> bool:
        w.line(f"if {st.cond}:", st.line, indent)
        self.forward(w, st.then, indent + 1, checkpoints=checkpoints)
        if st.orelse:
            w.line("else:", st.line, indent)
            self.forward(w, st.orelse, indent + 1, checkpoints=checkpoints)
        return True

    def let_source(self, st: Let) -> str:
        k, d = st.kind, st.data
        if k in ("copy", "const"):
            return d
        if k == "opaque":
            return d
        if k == "call":
            fname, obj, args, kwargs = d
            fname = self.replay_name(fname, obj)
            parts = list(args) + [f"{kk}={v}" for kk, v in kwargs]
            return f"{fname}({', '.join(parts)})"
        if k == "binop":
            op, a, b = d
            fn = callees.REPLAYED_OPERATORS.get(op)
            if fn is not None:
                return f"{self.refs.ref(getattr(lang, fn), fn)}({a}, {b})"
            return f"{a} {callees.BINOP_SYMBOLS[op]} {b}"
        if k == "unop":
            op, a = d
            if op == "USub":
                return f"{self.refs.ref(lang.neg, 'neg')}({a})"
            return f"+{a}"
        if k == "getitem":
            base, idx = d
            return f"{base}[{', '.join(idx)}]"
        if k == "getattr":
            base, attr = d
            return f"{base}.{attr}"
        if k == "tuple":
            return "(" + "".join(f"{a}, " for a in d) + ")"
        if k == "loopvar":
            loop = self.loops[d]
            return f"{loop.start} + {self.loop_index[d]} * {loop.step}"
        raise AssertionError(k)

    def replay_name(self, fname, obj):
        if isinstance(obj, UserFunction):
            return self.refs.ref(obj.replay_callable(), f"{obj.__name__}_replay")
        rep = rules.replay_for(obj)
        if rep is not None:
            return self.refs.ref(rep, f"{getattr(obj, '__name__', 'f')}_replay")
        return fname

    def lp(self, loop, what):
        return naming.loop_local(loop.id, what)

    def forward_loop(self, w, loop: Loop, indent, checkpoints):
        for c in loop.carriers:
            if c.entry is not None:
                w.line(f"{c.name} = {c.entry}", loop.line, indent)
        if checkpoints and loop.replay_free:
            return self.skipped_loop(w, loop, indent)
        stacks = checkpoints and loop.checkpointed
        lp = self.lp
        C = self.stack_size
        if checkpoints:
            w.line(f"{lp(loop, 'sh')} = 0", loop.line, indent)
            if stacks:
                w.line(f"{lp(loop, 'cnt')} = 0", loop.line, indent)
                for name in self.stacked(loop):
                    w.line(f"{lp(loop, 's_' + name)} = {self.h['stack_alloc']}({name}, {C})",
                           loop.line, indent)
        if loop.kind == "range":
            w.line(f"{lp(loop, 'n')} = {self.h['range_len']}({loop.start}, {loop.stop}, "
                   f"{loop.step})", loop.line, indent)
            k = lp(loop, "k")
            self.loop_index[loop.id] = k
            w.line(f"for {k} in range({lp(loop, 'n')}):", loop.line, indent)
        else:
            k = lp(loop, "n")
            if checkpoints:
                w.line(f"{k} = 0", loop.line, indent)
            w.line(f"while {self.loop_condition(loop)}:", loop.line, indent)
        inner = indent + 1
        if stacks:
            self.write_checkpoint(w, loop, k, inner)
        self.forward(w, loop.body, inner, checkpoints=False)
        self.write_exits(w, loop, inner)
        if loop.kind == "while" and checkpoints:
            w.line(f"{k} += 1", loop.line, inner)

    def skipped_loop(self, w, loop: Loop, indent):
        """The replay of a loop whose values the reverse pass does not read before it
        reverses the loop (``Loop.replay_free``): only its trip count. The body stays,
        under ``range(0)``, so that Numba gives its carriers the types the loop would
        (a literal ``0`` entering a loop that adds floats is a float after it)."""
        lp = self.lp
        w.line(f"# loop {loop.id}: the reverse pass reads none of its values: "
               "not replayed here", loop.line, indent)
        w.line(f"{lp(loop, 'n')} = {self.h['range_len']}({loop.start}, {loop.stop}, "
               f"{loop.step})", loop.line, indent)
        k = lp(loop, "k")
        self.loop_index[loop.id] = k
        w.line(f"for {k} in range(0):", loop.line, indent)
        self.forward(w, loop.body, indent + 1, checkpoints=False)
        self.write_exits(w, loop, indent + 1)

    def loop_condition(self, loop: Loop) -> str:
        test = loop.cond
        if loop.range_test is not None:
            test = f"{self.h['range_cond']}({', '.join(loop.range_test)})"
        return f"({test}) and not ({' or '.join(loop.flags)})" if loop.flags else test

    def write_checkpoint(self, w, loop, k, indent):
        lp = self.lp
        C = self.stack_size
        # a state every 2**sh iterations (sh grows when the stack is full)
        w.line(f"if {k} & ((1 << {lp(loop, 'sh')}) - 1) == 0:", loop.line, indent)
        w.line(f"if {lp(loop, 'cnt')} == {C}:", loop.line, indent + 1)
        for name in self.stacked(loop):
            w.line(f"{self.h['stack_compact']}({lp(loop, 's_' + name)})", loop.line, indent + 2)
        w.line(f"{lp(loop, 'cnt')} = {C // 2}", loop.line, indent + 2)
        w.line(f"{lp(loop, 'sh')} += 1", loop.line, indent + 2)
        for name in self.stacked(loop):
            w.line(f"{self.h['stack_set']}({lp(loop, 's_' + name)}, {lp(loop, 'cnt')}, "
                   f"{name})", loop.line, indent + 1)
        w.line(f"{lp(loop, 'cnt')} += 1", loop.line, indent + 1)

    def stacked(self, loop) -> list:
        """The variables a checkpointed loop keeps on stacks: its carriers' names."""
        return [c.name for c in loop.checkpointed]

    def write_exits(self, w, loop, indent):
        for c in loop.carriers:
            if c.exit != c.name:
                w.line(f"{c.name} = {c.exit}", loop.line, indent)

    # -- reverse ---------------------------------------------------------------------
    def defs(self, block):
        """(name, init source) for every variable a block defines directly."""
        out = []
        for st in block:
            if isinstance(st, Let) and not st.phi:
                out.append((st.name, self.init_source(st)))
            elif isinstance(st, Let) and st.phi == "after":
                out.append((st.name, f"{self.h['adj_zero']}({st.name})"))
            elif isinstance(st, AtomicArr) and st.target:
                out.append((st.target, f"{self.h['adj_zero']}({st.target})"))
            elif isinstance(st, If):
                seen = []
                for sub in st.then + st.orelse:
                    if isinstance(sub, Let) and sub.phi == "if" and sub.name not in seen:
                        seen.append(sub.name)
                out += [(n, f"{self.h['adj_zero']}({n})") for n in seen]
        return out

    def init_source(self, st: Let) -> str:
        z = f"{self.h['adj_zero']}({st.name})"
        if st.kind == "copy" and self.is_var(st.data):
            return f"{self.h['adj_alias']}({st.name}, {adj(st.data)})"
        if st.kind == "tuple" and any(a in self.body.array_root for a in st.data):
            # a tuple of arrays: its adjoint holds their gradient arrays
            parts = [f"{self.h['adj_alias']}({a}, {adj(a)})" if self.is_var(a) else
                     f"{self.h['adj_zero']}({a})" for a in st.data]
            return f"({', '.join(parts)}, )"
        if st.kind == "getattr" and self.is_var(st.data[0]):
            return (f"{self.h['adj_field_init']}({st.name}, {adj(st.data[0])}, "
                    f"{st.data[1]!r})")
        if st.kind == "call":
            fname, obj, args, kwargs = st.data
            if id(obj) in callees.array_helpers() and args and self.is_var(args[0]):
                return f"{self.h['adj_alias']}({st.name}, {adj(args[0])})"
        return z

    def reverse(self, w, block, indent, *, seeds=()):
        for name, init in self.defs(block):
            w.line(f"{adj(name)} = {init}", None, indent)
        for line in seeds:
            w.line(line, None, indent)
        wrote = False
        for st in reversed(block):
            wrote |= self.reverse_stmt(w, st, indent)
        if not wrote and not self.defs(block) and not seeds:
            w.line("pass", None, indent)

    def accum(self, w, atom, contrib, line, indent) -> bool:
        if self.is_var(atom):
            w.line(f"{adj(atom)} = {self.h['accum']}({adj(atom)}, {contrib})", line, indent)
            return True
        return False

    def reverse_stmt(self, w, st, indent) -> bool:
        if isinstance(st, Let):
            return self.reverse_let(w, st, indent)
        if isinstance(st, StoreArr):
            retain = "False"
            bit = self.retain_bits.get(st.root)
            if self.retain_var and bit is not None:
                retain = f"({self.retain_var} >> {bit}) & 1 != 0"
            reg = self.owned_register(st.arr)
            if reg is not None:
                total = f"{self.h['owned_total']}({reg}, {reg}_d, {reg}_z)"
                self.accum(w, st.value, total, st.line, indent)
                w.line(f"{reg}_z, {reg}_d = {self.h['consume']}({reg}_z, {reg}_d, {retain})",
                       st.line, indent)
                return True
            idx = tuple_source(st.idx)
            call = (f"{self.h['adj_store']}({st.arr}, {adj(st.arr)}, {idx}, {retain})")
            if not self.accum(w, st.value, call, st.line, indent):
                w.line(call, st.line, indent)
            return True
        if isinstance(st, AtomicArr):
            idx = tuple_source(st.idx)
            reg = self.owned_register(st.arr)
            if reg is not None and st.op in ("add", "sub"):
                total = f"{self.h['owned_total']}({reg}, {reg}_d, {reg}_z)"
                contrib = total if st.op == "add" else f"{self.h['neg']}({total})"
                return self.accum(w, st.value, contrib, st.line, indent)
            if st.op in ("add", "sub"):
                helper = self.h["adj_atomic_add" if st.op == "add" else "adj_atomic_sub"]
                return self.accum(w, st.value, f"{helper}({st.arr}, {adj(st.arr)}, {idx})",
                                  st.line, indent)
            if st.op in ("min", "max"):
                return self.accum(w, st.value, f"{self.h['adj_atomic_minmax']}({st.arr}, "
                                  f"{adj(st.arr)}, {idx}, {st.value})", st.line, indent)
            if st.op == "exch":
                return self.accum(w, st.value, f"{self.h['adj_store']}({st.arr}, "
                                  f"{adj(st.arr)}, {idx}, False)", st.line, indent)
            return False
        if isinstance(st, Effect):
            return False
        if isinstance(st, Return):
            return self.accum(w, st.value, ADJ_RET, st.line, indent)
        if isinstance(st, If):
            w.line(f"if {st.cond}:", st.line, indent)
            self.reverse(w, st.then, indent + 1)
            if st.orelse:
                w.line("else:", st.line, indent)
                self.reverse(w, st.orelse, indent + 1)
            return True
        if isinstance(st, Loop):
            self.reverse_loop(w, st, indent)
            return True
        raise AssertionError(st)

    def reverse_let(self, w, st: Let, indent) -> bool:
        k, d, n, line = st.kind, st.data, st.name, st.line
        adj_n = adj(n)
        if st.phi == "after":
            return False  # the loop's reverse takes this adjoint (see reverse_loop)
        if n not in self.facts.read_atoms and is_pure([st]):
            return False  # never read: its adjoint is zero
        if k == "copy":
            return self.accum(w, d, adj_n, line, indent)
        if k in ("const", "opaque", "loopvar"):
            return False
        if k == "unop":
            op, a = d
            contrib = f"{self.h['neg']}({adj_n})" if op == "USub" else adj_n
            return self.accum(w, a, contrib, line, indent)
        if k == "binop":
            op, a, b = d
            rule = rules.binop_rule(op)
            if rule is None:
                symbol = callees.BINOP_SYMBOLS[op]
                raise self.parsed.error(f"the operator '{symbol}' has no gradient rule",
                                        LineNode(line))
            if not (self.is_var(a) or self.is_var(b)):
                return False
            r = self.refs.ref(rule, rule.__name__)
            self.rule_line(w, st, rule, f"{CONTRIB} = {r}({a}, {b}, {n}, {adj_n})", indent)
            self.accum(w, a, f"{CONTRIB}[0]", line, indent)
            self.accum(w, b, f"{CONTRIB}[1]", line, indent)
            return True
        if k == "getitem":
            base, idx = d
            if not self.is_var(base):
                return False
            reg = self.owned_register(base)
            if reg is not None:
                d = reg + "_d"
                w.line(f"{d} = {self.h['accum']}({d}, {adj_n})", line, indent)
                return True
            w.line(f"{adj(base)} = {self.h['adj_getitem']}({base}, {adj(base)}, "
                   f"{tuple_source(idx)}, {adj_n})", line, indent)
            return True
        if k == "getattr":
            base, attr = d
            if not self.is_var(base):
                return False
            w.line(f"{adj(base)} = {self.h['adj_getattr']}({base}, {adj(base)}, "
                   f"{attr!r}, {adj_n})", line, indent)
            return True
        if k == "tuple":
            wrote = False
            for i, a in enumerate(d):
                wrote |= self.accum(w, a, f"{adj_n}[{i}]", line, indent)
            return wrote
        if k == "call":
            return self.reverse_call(w, st, indent)
        raise AssertionError(k)

    def reverse_call(self, w, st, indent) -> bool:
        fname, obj, args, kwargs = st.data
        n, line = st.name, st.line
        adj_n = adj(n)
        var_args = [a for a in args if self.is_var(a)]
        if isinstance(obj, UserFunction):
            if kwargs:
                raise self.parsed.error(f"calls of @wp.func '{obj.__name__}' with keyword "
                                        "arguments cannot be differentiated yet; pass them "
                                        "positionally", LineNode(line))
            if not var_args:
                return False
            r = self.refs.ref(obj.adjoint_callable(), f"{obj.__name__}_adj")
            adj_in = [f"{self.h['adj_alias']}({a}, {adj(a)})" if self.is_var(a) else
                      f"{self.h['adj_zero']}({a})" for a in args]
            self.rule_line(w, st, obj, f"{CONTRIB} = {r}({', '.join(args + adj_in)}, {adj_n})",
                           indent)
            for i, a in enumerate(args):
                self.accum(w, a, f"{CONTRIB}[{i}]", line, indent)
            return True
        if rules.is_nondifferentiable(obj) or obj in (len, range):
            return False
        rule = rules.rule_for(obj)
        construct = rules.is_constructor(obj)
        if rule is None:
            rule, construct = callees.class_rule(obj)
        if rule is None:
            name = getattr(obj, "__name__", fname)
            raise self.parsed.error(
                f"'{name}' has no gradient rule, so kernels that call it cannot be "
                "differentiated",
                LineNode(line),
                "Give the kernel enable_backward=False, or wrap the call in a @wp.func with "
                "a @wp.func_grad.")
        if not construct and any(self.is_var(v) for _, v in kwargs):
            raise self.parsed.error(
                f"the keyword argument(s) {', '.join(k for k, _ in kwargs)} of "
                f"'{getattr(obj, '__name__', fname)}' cannot be differentiated; pass them "
                "positionally", LineNode(line))
        if not var_args:
            return False
        r = self.refs.ref(rule, getattr(rule, "__name__", "rule"))
        if construct:
            # keyword arguments of constructors (dtype=, shape=) only choose the type
            self.rule_line(w, st, rule, f"{CONTRIB} = {r}(({''.join(a + ', ' for a in args)}), "
                           f"{n}, {adj_n})", indent)
        else:
            parts = list(args) + [n, adj_n] + [f"{kk}={v}" for kk, v in kwargs]
            self.rule_line(w, st, rule, f"{CONTRIB} = {r}({', '.join(parts)})", indent)
        for i, a in enumerate(args):
            self.accum(w, a, f"{CONTRIB}[{i}]", line, indent)
        return True

    def rule_line(self, w, st: Let, rule, text: str, indent):
        """Write ``text``, the call of ``rule`` (a builtin's gradient rule, or the
        ``UserFunction`` called) giving the contributions of statement ``st``."""
        w.line(text, st.line, indent)

    def reverse_loop(self, w, loop: Loop, indent):
        lp = self.lp
        for c in loop.carriers:
            w.line(f"{adj(c.name)} = {self.h['accum']}({self.h['adj_zero']}({c.name}), "
                   f"{adj(c.after)})", loop.line, indent)
        k = lp(loop, "k")
        w.line(f"for {k} in range({lp(loop, 'n')} - 1, -1, -1):", loop.line, indent)
        inner = indent + 1
        self.write_prefetch(w, loop, k, inner)
        if loop.checkpointed:
            sh, c_ = lp(loop, "sh"), lp(loop, "c")
            w.line(f"{c_} = {k} >> {sh}", loop.line, inner)
            for name in self.stacked(loop):
                w.line(f"{name} = {self.h['stack_get']}({lp(loop, 's_' + name)}, {c_})",
                       loop.line, inner)
            j = lp(loop, "j")
            w.line(f"for {j} in range({c_} << {sh}, {k}):", loop.line, inner)
            self.loop_index[loop.id] = j
            self.forward(w, loop.body, inner + 1, checkpoints=False)
            self.write_exits(w, loop, inner + 1)
        self.loop_index[loop.id] = k
        self.forward(w, loop.body, inner, checkpoints=True)
        seeds = []
        for c in loop.carriers:
            if c.exit != c.name:
                seeds.append(f"{adj(c.exit)} = {self.h['accum']}({adj(c.exit)}, "
                             f"{adj(c.name)})")
                seeds.append(f"{adj(c.name)} = {self.h['adj_zero']}({c.name})")
        self.reverse(w, loop.body, inner, seeds=seeds)
        for c in loop.carriers:
            if c.entry is not None:
                self.accum(w, c.entry, adj(c.name), loop.line, indent)

    def write_prefetch(self, w, loop: Loop, k: str, indent):
        """In the reverse's iteration ``k``, ask for the elements iteration
        ``k - DISTANCE`` will read and whose gradients it will add to (see
        ``prefetch.py``): their indices recomputed under new names."""
        plan = prefetch_plan(loop, self.body.array_root, self.owned)
        if plan is None:
            return
        w.line(f"if {k} >= {DISTANCE}:", loop.line, indent)
        names = {st.name: self.lp(loop, "p_" + st.name) for st in plan.lets}
        self.loop_index[loop.id] = f"({k} - {DISTANCE})"
        for st in plan.lets:
            w.line(f"{names[st.name]} = {self.let_source(_renamed(st, names))}", st.line,
                   indent + 1)
        for arr, idx in plan.reads:
            ix = tuple_source([names.get(a, a) for a in idx])
            w.line(f"{self.h['grad_prefetch']}({arr}, {adj(arr)}, {ix})", loop.line,
                   indent + 1)

    # -- gradients of arrays each thread owns (indexed by the thread index only) -------
    def owned_register(self, atom):
        """The local variable holding this thread's element of an owned array's gradient."""
        root = self.body.array_root.get(atom)
        if root is None or root not in self.owned:
            return None
        return naming.owned_grad(root)

    def load_owned(self, w, indent):
        """Read this thread's gradient elements of owned arrays, all at once, up front.

        Per array: ``g`` the element's gradient at the start, ``d`` this thread's
        contributions since, ``z`` whether a store consumed (zeroed) the element; the
        element's gradient is ``d if z else g + d``. Adding ``d`` back at the end (rather
        than storing the total) keeps aliased arguments exact.
        """
        tid = tuple_source(self.body.tid_ssa)
        for root in self.owned:
            g = naming.owned_grad(root)
            w.line(f"{g} = {self.h['owned_load']}({root}, {adj(root)}, {tid})", None, indent)
            w.line(f"{g}_d = {self.h['adj_zero']}({g})", None, indent)
            w.line(f"{g}_z = False", None, indent)

    def store_owned(self, w, indent):
        tid = tuple_source(self.body.tid_ssa)
        for root in self.owned:
            g = naming.owned_grad(root)
            w.line(f"{self.h['owned_store']}({adj(root)}, {tid}, {g}_d, {g}_z)", None, indent)


def _renamed(st: Let, names: dict) -> Let:
    """A copy of ``st`` reading ``names[a]`` for each operand ``a`` renamed."""
    def r(a):
        return names.get(a, a) if isinstance(a, str) else a

    k, d = st.kind, st.data
    if k == "copy":
        d = r(d)
    elif k in ("binop", "unop"):
        d = (d[0], *map(r, d[1:]))
    elif k == "getitem":
        d = (r(d[0]), [r(a) for a in d[1]])
    elif k == "call":
        d = (d[0], d[1], [r(a) for a in d[2]], [(kk, r(v)) for kk, v in d[3]])
    return Let(names.get(st.name, st.name), k, d, st.line)


class LineNode:
    def __init__(self, line):
        self.lineno = line
        self.col_offset = 0
