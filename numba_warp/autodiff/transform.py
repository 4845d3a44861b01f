"""The adjoint transformer: a kernel's forward AST -> the source of its backward pass.

Input is the AST the forward code generator produced (outside names already resolved,
Warp's operator rules applied; see ``frontend.codegen``). It is lowered to the SSA form
of ``ir.py`` and written out as plain Python that Numba compiles:

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
"""

from __future__ import annotations

import ast
import copy
import re

from .. import config
from ..frontend.emit import SourceWriter
from ..lowering import registry as rules
from .ir import AtomicArr, Carrier, Effect, If, Let, Loop, Return, StoreArr

__all__ = ["build_ir", "BackwardWriter", "AdjointInfo", "ADJ_RET"]

_KEPT_BUILTINS = {"range", "len", "print", "True", "False", "None"}
_ATOMIC_OPS = {"atomic_add": "add", "atomic_sub": "sub", "atomic_min": "min",
               "atomic_max": "max", "atomic_and": "and", "atomic_or": "or",
               "atomic_xor": "xor", "atomic_exch": "exch", "atomic_cas": "cas"}
_EFFECT_NAMES = ("print", "printf", "expect_eq", "expect_neq", "expect_near", "breakpoint")
_ARRAY_HELPERS = ("store", "setattr_value", "inplace_add", "inplace_sub", "inplace_and",
                  "inplace_or", "inplace_xor")
_SLOT_HELPERS = ("slot_add", "slot_sub", "slot_and", "slot_or", "slot_xor")


def _lang():
    from .. import lang

    return lang


def _effect_objects():
    lang = _lang()
    return {id(getattr(lang, n)) for n in _EFFECT_NAMES if hasattr(lang, n)}


def _atomic_objects():
    lang = _lang()
    return {id(getattr(lang, n)): op for n, op in _ATOMIC_OPS.items() if hasattr(lang, n)}


# Warp's operator builtins, which the code generator writes for kernel operators (for
# fixed-width integer rules): the differentiable ones are lowered back to operators here,
# so that the reverse pass treats ``a + b`` as an addition (no values kept for it)
_OPERATOR_BUILTINS = {"add": "Add", "sub": "Sub", "mul": "Mult", "neg": "USub"}
# ... and the replay writes every operator through them again
_REPLAYED_OPERATORS = {"Add": "add", "Sub": "sub", "Mult": "mul", "FloorDiv": "floordiv",
                       "LShift": "lshift", "RShift": "rshift", "BitAnd": "bit_and",
                       "BitOr": "bit_or", "BitXor": "bit_xor", "USub": "neg"}


def _operator_objects():
    lang = _lang()
    return {id(getattr(lang, n)): op for n, op in _OPERATOR_BUILTINS.items()}


def _choice_objects():
    """wp.where(cond, true, false) and wp.select(cond, false, true): for each, where its
    arguments go, as indices into (cond, true, false)."""
    lang = _lang()
    return {id(lang.where): (0, 1, 2), id(lang.select): (0, 2, 1)}


def _array_helper_objects():
    from ..lowering import kernel_helpers as kh
    from ..lowering import slots

    objs = {id(getattr(kh, n)): n for n in _ARRAY_HELPERS}
    objs.update({id(getattr(slots, n)): n for n in _SLOT_HELPERS})
    return objs


class _LoopCtx:
    def __init__(self, loop, brk, cont):
        self.loop = loop
        self.brk = brk
        self.cont = cont


# ---------------------------------------------------------------------------------------
# AST -> IR
# ---------------------------------------------------------------------------------------

class _Builder:
    def __init__(self, gen, *, is_kernel: bool, param_names, array_params, struct_params):
        self.gen = gen
        self.parsed = gen.parsed
        self.refs = gen.refs
        self.is_kernel = is_kernel
        self.array_params = set(array_params)
        self.struct_params = set(struct_params)
        self.env: dict[str, str] = {}
        self.taken: set[str] = set(gen.refs) | set(_KEPT_BUILTINS)
        self.counters: dict[str, int] = {}
        self.cur: list = []
        self.loops = 0
        self.undefined_carriers: dict[str, str] = {}  # carrier name -> user name
        self.array_root: dict[str, str] = {}  # ssa name -> array parameter it aliases
        self.tuple_atoms: dict[str, list] = {}  # ssa name of a tuple -> its elements
        self.loop_stack: list[_LoopCtx] = []
        self.ret_flag = None
        #: names that may be read after the statement being lowered (phis only for those)
        self.live: list[set] = []
        #: SSA names of the thread indices (wp.tid()), in order
        self.tid_ssa = [None] * len(getattr(gen, "tid_names", []))
        self.tid_seen: set = set()
        self._effects = _effect_objects()
        self._atomics = _atomic_objects()
        self._array_helpers = _array_helper_objects()
        self._operators = _operator_objects()
        self._choices = _choice_objects()
        for p in param_names:
            self.taken.add(p)
            self.env[p] = p
            if p in self.array_params:
                self.array_root[p] = p

    # -- names -----------------------------------------------------------------------
    def fresh(self, base: str) -> str:
        base = re.sub(r"\W", "_", base) or "t"
        if base.startswith("adj_"):
            base = "v_" + base
        if base not in self.taken:
            self.taken.add(base)
            return base
        n = self.counters.get(base, 0)
        while True:
            n += 1
            name = f"{base}_{n}"
            if name not in self.taken:
                self.counters[base] = n
                self.taken.add(name)
                return name

    def error(self, msg, node, hint=None):
        return self.parsed.error(msg, node, hint)

    def emit(self, stmt):
        self.cur.append(stmt)

    def is_local(self, name: str) -> bool:
        return name not in self.refs and name not in _KEPT_BUILTINS

    def obj(self, func_node):
        if isinstance(func_node, ast.Name):
            if func_node.id in self.refs:
                return self.refs[func_node.id]
            if func_node.id == "print":
                return print
            if func_node.id == "len":
                return len
            if func_node.id == "range":
                return range
        return None

    # -- expressions -----------------------------------------------------------------
    def read(self, name: str, node) -> str:
        ssa = self.env.get(name)
        if ssa is None:
            return name  # not yet assigned: let Python/Numba report it
        user = self.undefined_carriers.get(ssa)
        if user is not None:
            raise self.error(
                f"'{user}' is read in a loop before it is assigned in that iteration, so it "
                "carries a value from the previous iteration, but it has no value before the "
                "loop; the backward pass cannot replay it",
                node, f"Assign '{user}' before the loop (e.g. {user} = 0.0).")
        return ssa

    def let(self, kind, data, node, hint=None, phi=False) -> str:
        name = self.fresh(hint or "t")
        self.emit(Let(name, kind, data, getattr(node, "lineno", None), phi))
        return name

    def substitute(self, node) -> str:
        """Source of ``node`` with local names replaced by their current SSA names."""
        node = copy.deepcopy(node)
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Load) and \
                    self.is_local(sub.id):
                sub.id = self.read(sub.id, sub)
        return ast.unparse(node)

    def expr(self, node, hint=None) -> str:
        if isinstance(node, ast.Name):
            if self.is_local(node.id):
                return self.read(node.id, node)
            return node.id
        if isinstance(node, ast.Constant):
            return repr(node.value)
        line = node
        if isinstance(node, ast.Call):
            return self.call(node, hint)
        if isinstance(node, ast.BinOp):
            a = self.expr(node.left)
            b = self.expr(node.right)
            return self.let("binop", (type(node.op).__name__, a, b), line, hint)
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, (ast.USub, ast.UAdd)):
                a = self.expr(node.operand)
                return self.let("unop", (type(node.op).__name__, a), line, hint)
            return self.let("opaque", self.substitute(node), line, hint)
        if isinstance(node, (ast.Compare, ast.BoolOp)):
            return self.let("opaque", self.substitute(node), line, hint)
        if isinstance(node, ast.IfExp):
            return self.ifexp(node, hint)
        if isinstance(node, ast.Subscript):
            base = self.expr(node.value)
            sl = node.slice
            if isinstance(sl, ast.Slice) or (isinstance(sl, ast.Tuple) and any(
                    isinstance(e, ast.Slice) for e in sl.elts)):
                return self.let("opaque", self.substitute(node), line, hint)
            elts = sl.elts if isinstance(sl, ast.Tuple) else [sl]
            idx = [self.expr(e) for e in elts]
            return self.let("getitem", (base, idx), line, hint)
        if isinstance(node, ast.Attribute):
            base = self.expr(node.value)
            name = self.let("getattr", (base, node.attr), line, hint)
            root = self.array_root.get(base)
            if root is None and base in self.struct_params:
                self.array_root[name] = f"{base}.{node.attr}"
            return name
        if isinstance(node, ast.Tuple):
            atoms = [self.expr(e) for e in node.elts]
            name = self.let("tuple", atoms, line, hint)
            self.tuple_atoms[name] = atoms
            return name
        return self.let("opaque", self.substitute(node), line, hint)

    def call(self, node: ast.Call, hint):
        obj = self.obj(node.func)
        if not isinstance(node.func, ast.Name) or (obj is None and self.is_local(node.func.id)):
            raise self.error(f"cannot differentiate the call '{ast.unparse(node.func)}'", node)
        if any(isinstance(a, ast.Starred) for a in node.args):
            return self.let("opaque", self.substitute(node), node, hint)
        if id(obj) in self._atomics:
            return self.atomic(node, obj, hint)
        order = self._choices.get(id(obj))
        if order is not None and len(node.args) == 3 and not node.keywords:
            cond = self.expr(node.args[0])
            true, false = (node.args[order.index(k)] for k in (1, 2))
            return self.choice(cond, true, false, node, hint, (node.func.id, obj, order))
        args = [self.expr(a) for a in node.args]
        op = self._operators.get(id(obj))
        if op is not None and not node.keywords:
            if op == "USub" and len(args) == 1:
                return self.let("unop", (op, args[0]), node, hint)
            if op != "USub" and len(args) == 2:
                return self.let("binop", (op, *args), node, hint)
        kwargs = [(k.arg, self.expr(k.value)) for k in node.keywords]
        if kwargs and not rules.is_constructor(obj) and not isinstance(obj, type):
            args, kwargs = _positional(obj, args, kwargs)
        name = self.let("call", (node.func.id, obj, args, kwargs), node, hint)
        if id(obj) in self._array_helpers and args and args[0] in self.array_root:
            self.array_root[name] = self.array_root[args[0]]
        return name

    def atomic(self, node, obj, hint):
        if node.keywords or len(node.args) < 3:
            raise self.error("atomics take (array, indices..., value) positionally", node)
        op = self._atomics[id(obj)]
        n_values = 2 if op == "cas" else 1
        arr = self.expr(node.args[0])
        idx = [self.expr(a) for a in node.args[1:len(node.args) - n_values]]
        vals = [self.expr(a) for a in node.args[len(node.args) - n_values:]]
        target = self.fresh(hint or "old") if hint is not False else None
        self.emit(AtomicArr(op, node.func.id, arr, idx, vals[-1], target, node.lineno))
        return target

    def ifexp(self, node, hint):
        cond = self.expr(node.test)
        return self.choice(cond, node.body, node.orelse, node, hint)

    def choice(self, cond, true_node, false_node, node, hint, call=None):
        """``true if cond else false``, each value computed in its own branch, so the
        reverse pass differentiates only the value chosen: an infinite or NaN derivative
        in the other one (``wp.where(x > 0.0, wp.sqrt(x), 0.0)`` at ``x < 0``) is not
        multiplied by a zero adjoint into NaN.

        ``call`` is ``(name, object, order)`` for ``wp.where``/``wp.select``, which
        evaluate both values: when computing one has effects the backward pass must
        reverse (a function writing arrays), both stay unconditional, as written, and
        the call's own rule routes the adjoint (``order`` maps (cond, true, false) to
        the call's arguments).
        """
        name = self.fresh(hint or "t")
        blocks, atoms = [], []
        for value in (true_node, false_node):
            saved, self.cur = self.cur, []
            env = dict(self.env)
            atoms.append(self.expr(value))
            blocks.append(self.cur)
            self.env, self.cur = env, saved
        if call is not None and not all(self.pure(b) for b in blocks):
            fname, obj, order = call
            for b in blocks:
                self.cur.extend(b)
            args = [(cond, *atoms)[k] for k in order]
            self.emit(Let(name, "call", (fname, obj, args, []), node.lineno))
            return name
        for b, atom in zip(blocks, atoms):
            b.append(Let(name, "copy", atom, node.lineno, phi="if"))
        self.emit(If(cond, blocks[0], blocks[1], node.lineno))
        return name

    def pure(self, block) -> bool:
        """Whether skipping the reverse of ``block`` loses no gradient: only values, no
        array writes or atomics (whose adjoints do not flow through the value)."""
        for st in block:
            if isinstance(st, If):
                if not (self.pure(st.then) and self.pure(st.orelse)):
                    return False
            elif not isinstance(st, Let):
                return False
            elif st.kind == "call" and not self.pure_call(st.data[1]):
                return False
        return True

    def pure_call(self, obj) -> bool:
        from ..runtime.func import Function
        from .access import array_access

        if id(obj) in self._array_helpers:
            return False
        if isinstance(obj, Function):
            return all(not array_access(ov.generated(), [n for n, _ in ov.params])[1]
                       for ov in obj.overloads)
        return True

    # -- statements ------------------------------------------------------------------
    def bind(self, user: str, node, line_node):
        """``user = node``: evaluate into a new SSA version of ``user``."""
        name = self._bind(user, node, line_node)
        tid_names = getattr(self.gen, "tid_names", [])
        if user in tid_names and user not in self.tid_seen and not self.loop_stack:
            self.tid_seen.add(user)
            self.tid_ssa[tid_names.index(user)] = name
        return name

    def _bind(self, user: str, node, line_node):
        if isinstance(node, (ast.Name, ast.Constant)):
            atom = self.expr(node)
            kind = "copy" if isinstance(node, ast.Name) and self.is_local(node.id) else "const"
            name = self.let(kind, atom, line_node, user)
            if atom in self.array_root:
                self.array_root[name] = self.array_root[atom]
        else:
            name = self.expr(node, user)
        self.env[user] = name
        return name

    def unpack_atom(self, user: str, atom: str, line_node):
        """``user = atom`` for one element of a tuple assignment."""
        local = atom in self.taken and atom not in self.refs and atom not in _KEPT_BUILTINS
        name = self.let("copy" if local else "const", atom, line_node, user)
        if atom in self.array_root:
            self.array_root[name] = self.array_root[atom]
        self.env[user] = name

    def bind_atom(self, user: str, atom: str, line, kind="const"):
        name = self.fresh(user)
        self.emit(Let(name, kind, atom, line))
        self.env[user] = name
        return name

    def block(self, stmts) -> list:
        saved, self.cur = self.cur, []
        self.statements(stmts)
        out, self.cur = self.cur, saved
        return out

    def statements(self, stmts):
        outer = self.live[-1] if self.live else frozenset()
        for k, s in enumerate(stmts):
            later, defined = _live_in(stmts[k + 1:])
            self.live.append(later | (set(outer) - defined))
            try:
                self.statement(s)
            finally:
                self.live.pop()
            if self.may_exit(s):
                rest = stmts[k + 1:]
                if rest:
                    flags = self.active_flags()
                    if flags:
                        cond = self.let("opaque", "not (" + " or ".join(
                            self.env[f] for f in flags) + ")", s, "go")
                        self.if_block(cond, rest, [], s.lineno)
                        return
                    self.statements(rest)
                return

    def active_flags(self):
        out = []
        if self.loop_stack:
            ctx = self.loop_stack[-1]
            out += [f for f in (ctx.brk, ctx.cont) if f]
        if self.ret_flag:
            out.append(self.ret_flag)
        return [f for f in out if f in self.env]

    def may_exit(self, s) -> bool:
        if isinstance(s, (ast.Break, ast.Continue, ast.Return)):
            return True
        if isinstance(s, ast.If):
            return any(self.may_exit(x) for x in s.body + s.orelse)
        if isinstance(s, (ast.For, ast.While)):
            return any(isinstance(x, ast.Return) for x in ast.walk(s))
        return False

    def statement(self, s):
        if isinstance(s, ast.Assign):
            return self.assign(s)
        if isinstance(s, ast.Expr):
            return self.expr_stmt(s)
        if isinstance(s, ast.If):
            cond = self.expr(s.test, "cond")
            return self.if_block(cond, s.body, s.orelse, s.lineno)
        if isinstance(s, (ast.For, ast.While)):
            return self.loop(s)
        if isinstance(s, ast.Break):
            return self.bind_atom(self.loop_stack[-1].brk, "True", s.lineno)
        if isinstance(s, ast.Continue):
            return self.bind_atom(self.loop_stack[-1].cont, "True", s.lineno)
        if isinstance(s, ast.Return):
            if self.is_kernel:
                if s.value is not None:
                    raise self.error("kernels cannot return values", s)
                return self.bind_atom(self.ret_flag, "True", s.lineno)
            value = self.expr(s.value) if s.value is not None else "None"
            self.emit(Return(value, s.lineno))
            return self.bind_atom(self.ret_flag, "True", s.lineno)
        if isinstance(s, ast.Assert):
            return self.emit(Effect(f"assert {self.substitute(s.test)}", s.lineno))
        if isinstance(s, ast.Pass):
            return None
        raise self.error(f"the backward pass cannot differentiate a '{type(s).__name__}' "
                         "statement", s)

    def assign(self, s):
        target = s.targets[0]
        if isinstance(target, ast.Name):
            value = s.value
            if isinstance(value, ast.Call) and id(self.obj(value.func)) in self._atomics:
                name = self.atomic(value, self.obj(value.func), target.id)
                self.env[target.id] = name
                return
            self.bind(target.id, value, s)
            return
        if isinstance(target, ast.Tuple) and all(isinstance(e, ast.Name) for e in target.elts):
            # ``r, s = a, b`` (or of a tuple variable): element-wise, so that an array keeps
            # its gradient through the alias; every value is read before any is bound
            atoms = None
            if isinstance(s.value, ast.Tuple) and len(s.value.elts) == len(target.elts):
                atoms = [self.expr(v) for v in s.value.elts]
            elif isinstance(s.value, ast.Name) and self.is_local(s.value.id):
                atoms = self.tuple_atoms.get(self.read(s.value.id, s.value))
            if atoms is not None and len(atoms) == len(target.elts):
                for e, atom in zip(target.elts, atoms):
                    self.unpack_atom(e.id, atom, s)
                return
        if isinstance(target, ast.Tuple):
            t = self.expr(s.value, "tup")
            for k, e in enumerate(target.elts):
                self.env[e.id] = self.let("getitem", (t, [str(k)]), s, e.id)
            return
        if isinstance(target, ast.Subscript):
            arr = self.expr(target.value)
            sl = target.slice
            elts = sl.elts if isinstance(sl, ast.Tuple) else [sl]
            idx = [self.expr(e) for e in elts]
            value = self.expr(s.value)
            root = self.array_root.get(arr)
            self.emit(StoreArr(arr, idx, value, s.lineno, root))
            return
        raise self.error(f"cannot differentiate the assignment to '{ast.unparse(target)}'", s)

    def expr_stmt(self, s):
        call = s.value
        if not isinstance(call, ast.Call):
            return
        obj = self.obj(call.func)
        if obj is print or id(obj) in self._effects:
            self.emit(Effect(self.substitute(call), s.lineno))
            return
        if id(obj) in self._atomics:
            self.atomic(call, obj, False)
            return
        self.expr(call, "_")

    def if_block(self, cond, body, orelse, line):
        before = dict(self.env)
        then_ir = self.block(body)
        then_env, self.env = self.env, dict(before)
        else_ir = self.block(orelse)
        else_env = self.env
        merged = dict(before)
        live = self.live[-1] if self.live else None
        for user in sorted(set(then_env) | set(else_env)):
            a, b = then_env.get(user), else_env.get(user)
            if a == b:
                if a is not None:
                    merged[user] = a
                continue
            if live is not None and user not in live and not user.startswith("_wp_") and \
                    user not in before:
                continue  # not read afterwards: no merged value needed
            phi = self.fresh(user)
            if a is not None:
                then_ir.append(Let(phi, "copy", a, line, phi="if"))
            if b is not None:
                else_ir.append(Let(phi, "copy", b, line, phi="if"))
            merged[user] = phi
        self.env = merged
        self.emit(If(cond, then_ir, else_ir, line))

    # -- loops -----------------------------------------------------------------------
    def loop(self, s):
        self.loops += 1
        lid = self.loops
        body_stmts = list(s.body)
        if s.orelse:
            raise self.error("loops with an 'else' clause are not supported", s)
        has_break = _contains(body_stmts, ast.Break)
        has_cont = _contains(body_stmts, ast.Continue)
        has_ret = any(isinstance(x, ast.Return) for x in ast.walk(ast.Module(body_stmts, [])))
        is_range = isinstance(s, ast.For)
        if is_range:
            it = s.iter
            if not (isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and
                    it.func.id == "range" and not it.keywords and 1 <= len(it.args) <= 3):
                raise self.error("only 'for ... in range(...)' loops can be differentiated", s)
            if not isinstance(s.target, ast.Name):
                raise self.error("the loop variable must be a single name", s)
            rargs = [self.expr(a) for a in it.args]
            if len(rargs) == 1:
                start, stop, step = "0", rargs[0], "1"
            elif len(rargs) == 2:
                start, stop, step = rargs[0], rargs[1], "1"
            else:
                start, stop, step = rargs
        brk = self.fresh(f"_wp_brk{lid}") if has_break else None
        cont = self.fresh(f"_wp_cont{lid}") if has_cont else None
        if brk:
            self.bind_atom(brk, "False", s.lineno)
        counter = None
        as_while = not is_range or has_break or has_ret
        loop = Loop(lid, "while" if as_while else "range", s.lineno)
        if is_range and as_while:
            counter = f"_wp_it{lid}"
            self.bind_atom(counter, start, s.lineno, kind="copy" if start in self.env.values()
                           else "const")
        if is_range and not as_while:
            loop.start, loop.stop, loop.step = start, stop, step

        assigned = _assigned_names(body_stmts)
        if is_range:
            assigned.add(s.target.id)
        if brk:
            assigned.add(brk)
        if counter:
            assigned.add(counter)
        if has_ret and self.ret_flag:
            assigned.add(self.ret_flag)
        if cont:
            assigned.discard(cont)
        if is_range and not as_while:
            assigned.discard(s.target.id)

        # a variable needs carrying when an iteration may read the previous iteration's
        # value, or the loop's last value is read after the loop
        live_after = self.live[-1] if self.live else None
        if live_after is not None:
            live_in, _ = _live_in(body_stmts)
            if not is_range:
                live_in |= _reads(s.test)
            assigned = {u for u in assigned if u.startswith("_wp_") or u in live_in or
                        u in live_after}
        carriers = []
        outer_env = dict(self.env)
        for user in sorted(assigned):
            entry = outer_env.get(user)
            if entry in self.undefined_carriers:
                # first assigned in an enclosing loop's body, after this loop: no value
                # to enter with either (reading it first is the error in read())
                entry = None
            c = Carrier(user, entry, self.fresh(f"{user}_L{lid}"))
            carriers.append(c)
            self.env[user] = c.name
            if entry is None:
                self.undefined_carriers[c.name] = user
        loop.carriers = carriers

        if as_while:
            flags = [self.env[f] for f in (brk, self.ret_flag if has_ret else None) if f]
            if is_range:
                test = f"_wp_range_cond({self.env[counter]}, {stop}, {step})"
            else:
                test = self.substitute(s.test)
            loop.cond = test if not flags else \
                f"({test}) and not ({' or '.join(flags)})"

        self.loop_stack.append(_LoopCtx(loop, brk, cont))
        # live at the end of an iteration: what the next one reads before assigning it
        # (and its condition), and what is read after the loop
        next_reads = _live_in(body_stmts)[0]
        if not is_range:
            next_reads |= _reads(s.test)
        self.live.append((self.live[-1] if self.live else set()) | next_reads)
        saved, self.cur = self.cur, []
        if cont:
            self.bind_atom(cont, "False", s.lineno)
        if is_range and as_while:
            self.bind(s.target.id, ast.Name(counter, ast.Load()), s)
            step_atom = step
            self.let_user(counter, "binop", ("Add", self.env[counter], step_atom), s)
        elif is_range:
            self.env[s.target.id] = self.let("loopvar", lid, s, s.target.id)
        self.statements(body_stmts)
        loop.body = self.cur
        self.cur = saved
        self.loop_stack.pop()
        self.live.pop()
        for c in carriers:
            c.exit = self.env.get(c.user, c.name)
            self.undefined_carriers.pop(c.name, None)
        # a name first bound in the loop that no iteration assigns (the variable of an
        # inner range loop) carries nothing
        carriers = loop.carriers = [c for c in carriers
                                    if not (c.entry is None and c.exit == c.name)]
        self.env = outer_env
        self.emit(loop)
        for c in carriers:
            c.after = self.fresh(c.user)
            self.emit(Let(c.after, "copy", c.name, s.lineno, phi="after"))
            self.env[c.user] = c.after

    def let_user(self, user, kind, data, node):
        self.env[user] = self.let(kind, data, node, user)


def _positional(obj, args, kwargs):
    """Keyword arguments of a builtin moved into position (gradient rules see positions).

    Parameters skipped between take their default (constants only); when that is not
    possible the keywords stay, and the reverse pass refuses a variable keyword argument.
    """
    import inspect

    try:
        params = list(inspect.signature(obj).parameters.values())
    except (TypeError, ValueError):
        return args, kwargs
    kw = dict(kwargs)
    out = list(args)
    for p in params[len(args):]:
        if not kw:
            break
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD, p.KEYWORD_ONLY):
            return args, kwargs
        if p.name in kw:
            out.append(kw.pop(p.name))
        elif p.default is not p.empty and isinstance(p.default, (int, float, bool)):
            out.append(repr(p.default))
        else:
            return args, kwargs
    if kw:
        return args, kwargs
    return out, []


def _contains(stmts, kind) -> bool:
    """Whether ``kind`` (Break/Continue) occurs at this loop level (not in inner loops)."""
    for s in stmts:
        if isinstance(s, kind):
            return True
        if isinstance(s, ast.If) and (_contains(s.body, kind) or _contains(s.orelse, kind)):
            return True
    return False


def _live_in(stmts) -> tuple[set, set]:
    """(names read before being assigned, names surely assigned) over ``stmts``."""
    live: set = set()
    assigned: set = set()
    for st in stmts:
        if isinstance(st, ast.Assign):
            live |= _reads(st.value) - assigned
            for t in st.targets:
                if not isinstance(t, (ast.Name, ast.Tuple)):
                    live |= _reads(t) - assigned
                assigned |= _target_names(t)
        elif isinstance(st, ast.If):
            live |= _reads(st.test) - assigned
            lb, ab = _live_in(st.body)
            lo, ao = _live_in(st.orelse)
            live |= (lb | lo) - assigned
            assigned |= ab & ao
        elif isinstance(st, (ast.For, ast.While)):
            # a loop may run no iteration: it surely assigns nothing
            live |= _loop_live_in(st) - assigned
        else:
            live |= _reads(st) - assigned
    return live, assigned


def _loop_live_in(loop) -> set:
    """Names a loop may read before assigning them: its bounds or condition, and what its
    body reads before assigning (later iterations read values of earlier ones, which the
    body assigned, or the values from before the loop, which count here)."""
    body, _ = _live_in(loop.body)
    if isinstance(loop, ast.For):
        return _reads(loop.iter) | (body - _target_names(loop.target))
    return _reads(loop.test) | body


def _reads(node) -> set:
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


def _assigned_names(stmts) -> set:
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


def build_ir(gen, *, is_kernel, param_names, array_params, struct_params, prologue=()):
    """Lower a forward-generated function body to the SSA form."""
    b = _Builder(gen, is_kernel=is_kernel, param_names=param_names,
                 array_params=array_params, struct_params=struct_params)
    out = []
    b.cur = out
    b.ret_flag = "_wp_returned"
    b.bind_atom(b.ret_flag, "False", gen.parsed.tree.lineno)
    b.statements(list(prologue) + list(gen.body))
    b.exclusive = _exclusive_roots(out, b) if is_kernel else set()
    b.read_atoms = _read_atoms(out)
    mark_needed(out, b)
    return out, b


def _read_atoms(block, out=None) -> set:
    """Every name a statement of ``block`` reads. A value no statement reads has a zero
    adjoint: its reverse is skipped, so an infinite or NaN derivative there (an unused
    ``wp.sqrt`` of a negative number) cannot turn the zero into NaN."""
    out = set() if out is None else out

    def add(atoms):
        out.update(a for a in atoms if isinstance(a, str))

    for st in block:
        if isinstance(st, Let):
            k, d = st.kind, st.data
            if k == "copy":
                add([d])
            elif k in ("binop", "unop"):
                add(d[1:])
            elif k == "getitem":
                add([d[0], *d[1]])
            elif k == "getattr":
                add([d[0]])
            elif k == "tuple":
                add(d)
            elif k == "call":
                add(d[2])
                add(v for _, v in d[3])
            elif k == "opaque":
                add(re.findall(r"[A-Za-z_]\w*", d))
        elif isinstance(st, (StoreArr, AtomicArr)):
            add([st.arr, *st.idx, st.value])
        elif isinstance(st, Return):
            add([st.value])
        elif isinstance(st, If):
            add([st.cond])
            _read_atoms(st.then, out)
            _read_atoms(st.orelse, out)
        elif isinstance(st, Loop):
            add([st.start, st.stop, st.step])
            add(re.findall(r"[A-Za-z_]\w*", st.cond or ""))
            for c in st.carriers:
                add([c.entry, c.exit, c.name])
            _read_atoms(st.body, out)
    return out


_VALUE_FREE_BINOPS = ("Add", "Sub")


def mark_needed(block, b):
    """Find which primal values the reverse pass reads, and tell each loop.

    Adjoints of sums, differences, negations, copies, component reads and constructors
    do not read their operands' values; everything else does (conservatively: every
    argument of every other rule), as do conditions, indices and loop bounds. A loop's
    carried variable is checkpointed only when its per-iteration value is read.
    """
    from ..runtime.func import Function

    needed: set = set()
    defs: dict = {}
    carriers: dict = {}
    loops: list = []

    def seed(atoms):
        for a in atoms:
            if isinstance(a, str):
                needed.add(a)

    def scan(stmts):
        for st in stmts:
            if isinstance(st, Let):
                defs[st.name] = st
                k, d = st.kind, st.data
                if k == "binop" and d[0] not in _VALUE_FREE_BINOPS:
                    seed(d[1:])
                elif k == "getitem":
                    seed(d[1])
                elif k == "call":
                    fname, obj, args, kwargs = d
                    if isinstance(obj, Function) or not (
                            rules.is_constructor(obj) or _class_rule(obj)[0] is not None or
                            rules.is_nondifferentiable(obj)):
                        seed(args)
                        seed(v for _, v in kwargs)
                    if id(obj) in b._array_helpers:
                        seed(args[1:2])  # the index of store/inplace_*
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
                for c in st.carriers:
                    carriers[c.name] = c
                scan(st.body)

    scan(block)
    work = list(needed)
    while work:
        name = work.pop()
        ops = []
        st = defs.get(name)
        if st is not None and st.phi != "after":
            k, d = st.kind, st.data
            if k == "copy":
                ops = [d]
            elif k == "binop":
                ops = list(d[1:])
            elif k == "unop":
                ops = [d[1]]
            elif k == "getitem":
                ops = [d[0], *d[1]]
            elif k == "getattr":
                ops = [d[0]]
            elif k == "tuple":
                ops = list(d)
            elif k == "call":
                ops = list(d[2]) + [v for _, v in d[3]]
            elif k == "opaque":
                ops = re.findall(r"[A-Za-z_]\w*", d)
        c = carriers.get(name)
        if c is not None:
            ops += [c.entry, c.exit]
        for o in ops:
            if isinstance(o, str) and o not in needed:
                needed.add(o)
                work.append(o)
    for loop in loops:
        loop.needed = {c.name for c in loop.carriers if c.name in needed}


def _exclusive_roots(block, b) -> set:
    """Array parameters only ever indexed by the thread index (``a[i]`` with ``i = tid``).

    Each element's gradient is then touched by one thread only, so the backward pass
    accumulates it with plain loads and stores instead of atomics.
    """
    tid = [t for t in b.tid_ssa if t is not None]
    if not tid or len(tid) != len(b.tid_ssa):
        return set()
    ok: dict[str, bool] = {}

    def use(atom, idx):
        root = b.array_root.get(atom)
        if root is None:
            return
        good = idx is not None and list(idx) == tid
        ok[root] = ok.get(root, True) and good

    def scan(stmts):
        for st in stmts:
            if isinstance(st, Let):
                if st.kind == "getitem":
                    use(st.data[0], st.data[1])
                elif st.kind == "copy":
                    pass  # the copy has the same root; its own uses are checked
                elif st.kind == "getattr":
                    pass  # a.shape and the like
                elif st.kind == "call":
                    for a in st.data[2]:
                        use(a, None)
                    for _, a in st.data[3]:
                        use(a, None)
                elif st.kind == "tuple":
                    for a in st.data:
                        use(a, None)
                elif st.kind == "opaque":
                    for name in re.findall(r"[A-Za-z_]\w*", st.data):
                        use(name, None)
            elif isinstance(st, (StoreArr, AtomicArr)):
                use(st.arr, st.idx)
            elif isinstance(st, If):
                scan(st.then)
                scan(st.orelse)
            elif isinstance(st, Loop):
                scan(st.body)

    scan(block)
    return {r for r, good in ok.items() if good}


# ---------------------------------------------------------------------------------------
# IR -> source
# ---------------------------------------------------------------------------------------

class AdjointInfo:
    """What the writer needs to know about names: refs to add, and rule objects."""

    def __init__(self, refs: dict):
        self.refs = refs

    def ref(self, obj, hint: str) -> str:
        for k, v in self.refs.items():
            if v is obj:
                return k
        name, n = f"_wp_{hint}", 1
        while name in self.refs:
            n += 1
            name = f"_wp_{hint}_{n}"
        self.refs[name] = obj
        return name


def _tup(atoms) -> str:
    return "(" + "".join(a + ", " for a in atoms) + ")"


def _adj(name: str) -> str:
    return "adj_" + name


#: a function's backward takes its return value's adjoint as this (a local variable
#: ``ret`` has the adjoint ``adj_ret``)
ADJ_RET = "_wp_adj_ret"


class BackwardWriter:
    """Writes the replay and reverse passes of an IR body."""

    def __init__(self, builder: _Builder, info: AdjointInfo, *, retain_var=None):
        from ..lowering import adjoint_helpers as helpers

        self.b = builder
        self.info = info
        self.parsed = builder.parsed
        self.retain_var = retain_var
        self.h = {n: info.ref(getattr(helpers, n), n) for n in helpers.__all__}
        self.stack_size = int(getattr(config, "adjoint_stack_size", 32))
        self.loop_index: dict[int, str] = {}
        self.vars_seen: set[str] = set()
        self.lines_written = 0

    def is_var(self, atom) -> bool:
        return isinstance(atom, str) and atom in self.b.taken and atom not in self.b.refs \
            and atom not in _KEPT_BUILTINS and atom.isidentifier()

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
                w.line(f"{st.target} = {self.h['atomic_replay']}({st.arr}, {_tup(st.idx)})",
                       st.line, indent)
                return True
            return False
        if isinstance(st, (StoreArr, Effect, Return)):
            if isinstance(st, Return) and self.replay_returns:
                w.line(f"_wp_retv = {st.value}", st.line, indent)
                return True
            return False
        if isinstance(st, If):
            w.line(f"if {st.cond}:", st.line, indent)
            self.forward(w, st.then, indent + 1, checkpoints=checkpoints)
            if st.orelse:
                w.line("else:", st.line, indent)
                self.forward(w, st.orelse, indent + 1, checkpoints=checkpoints)
            return True
        if isinstance(st, Loop):
            self.forward_loop(w, st, indent, checkpoints)
            return True
        raise AssertionError(st)

    replay_returns = False

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
            fn = _REPLAYED_OPERATORS.get(op)
            if fn is not None:
                return f"{self.info.ref(getattr(_lang(), fn), fn)}({a}, {b})"
            return f"{a} {_BINOPS[op]} {b}"
        if k == "unop":
            op, a = d
            if op == "USub":
                return f"{self.info.ref(_lang().neg, 'neg')}({a})"
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
        from ..runtime.func import Function

        if isinstance(obj, Function):
            return self.info.ref(obj.replay_callable(), f"{obj.__name__}_replay")
        rep = rules.replay_for(obj)
        if rep is not None:
            return self.info.ref(rep, f"{getattr(obj, '__name__', 'f')}_replay")
        return fname

    def lp(self, loop, what):
        return f"_wp_L{loop.id}_{what}"

    def forward_loop(self, w, loop: Loop, indent, checkpoints):
        for c in loop.carriers:
            if c.entry is not None:
                w.line(f"{c.name} = {c.entry}", loop.line, indent)
        stacks = checkpoints and loop.checkpointed
        lp = self.lp
        C = self.stack_size
        if checkpoints:
            w.line(f"{lp(loop, 'sh')} = 0", loop.line, indent)
            if stacks:
                w.line(f"{lp(loop, 'cnt')} = 0", loop.line, indent)
                for c in loop.checkpointed:
                    w.line(f"{lp(loop, 's_' + c.name)} = {self.h['stack_alloc']}({c.name}, {C})",
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
            w.line(f"while {loop.cond}:", loop.line, indent)
        inner = indent + 1
        if stacks:
            self.write_checkpoint(w, loop, k, inner)
        self.forward(w, loop.body, inner, checkpoints=False)
        self.write_exits(w, loop, inner)
        if loop.kind == "while" and checkpoints:
            w.line(f"{k} += 1", loop.line, inner)

    def write_checkpoint(self, w, loop, k, indent):
        lp = self.lp
        C = self.stack_size
        # a state every 2**sh iterations (sh grows when the stack is full)
        w.line(f"if {k} & ((1 << {lp(loop, 'sh')}) - 1) == 0:", loop.line, indent)
        w.line(f"if {lp(loop, 'cnt')} == {C}:", loop.line, indent + 1)
        for c in loop.checkpointed:
            w.line(f"{self.h['stack_compact']}({lp(loop, 's_' + c.name)})", loop.line, indent + 2)
        w.line(f"{lp(loop, 'cnt')} = {C // 2}", loop.line, indent + 2)
        w.line(f"{lp(loop, 'sh')} += 1", loop.line, indent + 2)
        for c in loop.checkpointed:
            w.line(f"{self.h['stack_set']}({lp(loop, 's_' + c.name)}, {lp(loop, 'cnt')}, "
                   f"{c.name})", loop.line, indent + 1)
        w.line(f"{lp(loop, 'cnt')} += 1", loop.line, indent + 1)

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
            return f"{self.h['adj_alias']}({st.name}, {_adj(st.data)})"
        if st.kind == "tuple" and any(a in self.b.array_root for a in st.data):
            # a tuple of arrays: its adjoint holds their gradient arrays
            parts = [f"{self.h['adj_alias']}({a}, {_adj(a)})" if self.is_var(a) else
                     f"{self.h['adj_zero']}({a})" for a in st.data]
            return f"({', '.join(parts)}, )"
        if st.kind == "getattr" and self.is_var(st.data[0]):
            return (f"{self.h['adj_field_init']}({st.name}, {_adj(st.data[0])}, "
                    f"{st.data[1]!r})")
        if st.kind == "call":
            fname, obj, args, kwargs = st.data
            if id(obj) in self.b._array_helpers and args and self.is_var(args[0]):
                return f"{self.h['adj_alias']}({st.name}, {_adj(args[0])})"
        return z

    def reverse(self, w, block, indent, *, seeds=()):
        for name, init in self.defs(block):
            w.line(f"{_adj(name)} = {init}", None, indent)
        for line in seeds:
            w.line(line, None, indent)
        wrote = False
        for st in reversed(block):
            wrote |= self.reverse_stmt(w, st, indent)
        if not wrote and not self.defs(block) and not seeds:
            w.line("pass", None, indent)

    def accum(self, w, atom, contrib, line, indent) -> bool:
        if self.is_var(atom):
            w.line(f"{_adj(atom)} = {self.h['accum']}({_adj(atom)}, {contrib})", line, indent)
            return True
        return False

    def reverse_stmt(self, w, st, indent) -> bool:
        if isinstance(st, Let):
            return self.reverse_let(w, st, indent)
        if isinstance(st, StoreArr):
            retain = "False"
            if self.retain_var and st.retain_bit is not None:
                retain = f"({self.retain_var} >> {st.retain_bit}) & 1 != 0"
            reg = self.owned_register(st.arr)
            if reg is not None:
                total = f"{self.h['owned_total']}({reg}, {reg}_d, {reg}_z)"
                self.accum(w, st.value, total, st.line, indent)
                w.line(f"{reg}_z, {reg}_d = {self.h['consume']}({reg}_z, {reg}_d, {retain})",
                       st.line, indent)
                return True
            idx = _tup(st.idx)
            call = (f"{self.h['adj_store']}({st.arr}, {_adj(st.arr)}, {idx}, {retain})")
            if not self.accum(w, st.value, call, st.line, indent):
                w.line(call, st.line, indent)
            return True
        if isinstance(st, AtomicArr):
            idx = _tup(st.idx)
            reg = self.owned_register(st.arr)
            if reg is not None and st.op in ("add", "sub"):
                total = f"{self.h['owned_total']}({reg}, {reg}_d, {reg}_z)"
                contrib = total if st.op == "add" else f"{self.h['neg']}({total})"
                return self.accum(w, st.value, contrib, st.line, indent)
            if st.op in ("add", "sub"):
                helper = self.h["adj_atomic_add" if st.op == "add" else "adj_atomic_sub"]
                return self.accum(w, st.value, f"{helper}({st.arr}, {_adj(st.arr)}, {idx})",
                                  st.line, indent)
            if st.op in ("min", "max"):
                return self.accum(w, st.value, f"{self.h['adj_atomic_minmax']}({st.arr}, "
                                  f"{_adj(st.arr)}, {idx}, {st.value})", st.line, indent)
            if st.op == "exch":
                return self.accum(w, st.value, f"{self.h['adj_store']}({st.arr}, "
                                  f"{_adj(st.arr)}, {idx}, False)", st.line, indent)
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
        adj_n = _adj(n)
        if st.phi == "after":
            return False  # the loop's reverse takes this adjoint (see reverse_loop)
        if n not in self.b.read_atoms and self.b.pure([st]):
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
                raise self.parsed.error(f"the operator '{_BINOPS[op]}' has no gradient rule",
                                        _line_node(line))
            if not (self.is_var(a) or self.is_var(b)):
                return False
            r = self.info.ref(rule, rule.__name__)
            w.line(f"_wp_c = {r}({a}, {b}, {n}, {adj_n})", line, indent)
            self.accum(w, a, "_wp_c[0]", line, indent)
            self.accum(w, b, "_wp_c[1]", line, indent)
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
            w.line(f"{_adj(base)} = {self.h['adj_getitem']}({base}, {_adj(base)}, "
                   f"{_tup(idx)}, {adj_n})", line, indent)
            return True
        if k == "getattr":
            base, attr = d
            if not self.is_var(base):
                return False
            w.line(f"{_adj(base)} = {self.h['adj_getattr']}({base}, {_adj(base)}, "
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
        from ..runtime.func import Function

        fname, obj, args, kwargs = st.data
        n, line = st.name, st.line
        adj_n = _adj(n)
        var_args = [a for a in args if self.is_var(a)]
        if isinstance(obj, Function):
            if kwargs:
                raise self.parsed.error(f"calls of @wp.func '{obj.__name__}' with keyword "
                                        "arguments cannot be differentiated yet; pass them "
                                        "positionally", _line_node(line))
            if not var_args:
                return False
            r = self.info.ref(obj.adjoint_callable(), f"{obj.__name__}_adj")
            adj_in = [f"{self.h['adj_alias']}({a}, {_adj(a)})" if self.is_var(a) else
                      f"{self.h['adj_zero']}({a})" for a in args]
            w.line(f"_wp_c = {r}({', '.join(args + adj_in)}, {adj_n})", line, indent)
            for i, a in enumerate(args):
                self.accum(w, a, f"_wp_c[{i}]", line, indent)
            return True
        if rules.is_nondifferentiable(obj) or obj in (len, range):
            return False
        rule = rules.rule_for(obj)
        construct = rules.is_constructor(obj)
        if rule is None:
            rule, construct = _class_rule(obj)
        if rule is None:
            name = getattr(obj, "__name__", fname)
            raise self.parsed.error(
                f"'{name}' has no gradient rule, so kernels that call it cannot be "
                "differentiated",
                _line_node(line),
                "Give the kernel enable_backward=False, or wrap the call in a @wp.func with "
                "a @wp.func_grad.")
        if not construct and any(self.is_var(v) for _, v in kwargs):
            raise self.parsed.error(
                f"the keyword argument(s) {', '.join(k for k, _ in kwargs)} of "
                f"'{getattr(obj, '__name__', fname)}' cannot be differentiated; pass them "
                "positionally", _line_node(line))
        if not var_args:
            return False
        r = self.info.ref(rule, getattr(rule, "__name__", "rule"))
        if construct:
            # keyword arguments of constructors (dtype=, shape=) only choose the type
            w.line(f"_wp_c = {r}(({''.join(a + ', ' for a in args)}), {n}, {adj_n})", line,
                   indent)
        else:
            parts = list(args) + [n, adj_n] + [f"{kk}={v}" for kk, v in kwargs]
            w.line(f"_wp_c = {r}({', '.join(parts)})", line, indent)
        for i, a in enumerate(args):
            self.accum(w, a, f"_wp_c[{i}]", line, indent)
        return True

    def reverse_loop(self, w, loop: Loop, indent):
        lp = self.lp
        for c in loop.carriers:
            w.line(f"{_adj(c.name)} = {self.h['accum']}({self.h['adj_zero']}({c.name}), "
                   f"{_adj(c.after)})", loop.line, indent)
        k = lp(loop, "k")
        w.line(f"for {k} in range({lp(loop, 'n')} - 1, -1, -1):", loop.line, indent)
        inner = indent + 1
        if loop.checkpointed:
            sh, c_ = lp(loop, "sh"), lp(loop, "c")
            w.line(f"{c_} = {k} >> {sh}", loop.line, inner)
            for c in loop.checkpointed:
                w.line(f"{c.name} = {self.h['stack_get']}({lp(loop, 's_' + c.name)}, {c_})",
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
                seeds.append(f"{_adj(c.exit)} = {self.h['accum']}({_adj(c.exit)}, "
                             f"{_adj(c.name)})")
                seeds.append(f"{_adj(c.name)} = {self.h['adj_zero']}({c.name})")
        self.reverse(w, loop.body, inner, seeds=seeds)
        for c in loop.carriers:
            if c.entry is not None:
                self.accum(w, c.entry, _adj(c.name), loop.line, indent)

    # -- gradients of arrays each thread owns (indexed by the thread index only) -------
    def owned_register(self, atom):
        """The local variable holding this thread's element of an owned array's gradient."""
        root = self.b.array_root.get(atom)
        if root is None or root not in self.owned:
            return None
        return f"_wp_g_{root}"

    owned: tuple = ()

    def load_owned(self, w, indent):
        """Read this thread's gradient elements of owned arrays, all at once, up front.

        Per array: ``g`` the element's gradient at the start, ``d`` this thread's
        contributions since, ``z`` whether a store consumed (zeroed) the element; the
        element's gradient is ``d if z else g + d``. Adding ``d`` back at the end (rather
        than storing the total) keeps aliased arguments exact.
        """
        tid = _tup(self.b.tid_ssa)
        for root in self.owned:
            g = f"_wp_g_{root}"
            w.line(f"{g} = {self.h['owned_load']}({root}, {_adj(root)}, {tid})", None, indent)
            w.line(f"{g}_d = {self.h['adj_zero']}({g})", None, indent)
            w.line(f"{g}_z = False", None, indent)

    def store_owned(self, w, indent):
        tid = _tup(self.b.tid_ssa)
        for root in self.owned:
            g = f"_wp_g_{root}"
            w.line(f"{self.h['owned_store']}({_adj(root)}, {tid}, {g}_d, {g}_z)", None, indent)

    @property
    def loops(self):
        found = getattr(self, "_loops", None)
        if found is None:
            found = self._loops = {}
        return found

    def index_loops(self, block):
        for st in block:
            if isinstance(st, Loop):
                self.loops[st.id] = st
                self.index_loops(st.body)
            elif isinstance(st, If):
                self.index_loops(st.then)
                self.index_loops(st.orelse)


def _class_rule(obj):
    """Rules for calling a type: scalar casts, vector/matrix/struct constructors."""
    from ..typing.scalars import ScalarType

    if isinstance(obj, ScalarType):
        from ..lowering.construct import adj_cast

        return adj_cast, False
    if isinstance(obj, type) and (hasattr(obj, "_wp_struct_") or hasattr(obj, "_numba_type")):
        from ..lowering.construct import adj_construct

        return adj_construct, True
    return None, False


class _line_node:
    def __init__(self, line):
        self.lineno = line
        self.col_offset = 0


_BINOPS = {"Add": "+", "Sub": "-", "Mult": "*", "MatMult": "@", "Div": "/", "FloorDiv": "//",
           "Mod": "%", "Pow": "**", "LShift": "<<", "RShift": ">>", "BitOr": "|",
           "BitXor": "^", "BitAnd": "&"}

