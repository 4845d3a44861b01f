"""Building the IR: a forward-generated body (AST) -> the SSA form of ``ir.py``.

Input is the AST the forward code generator produced (outside names already resolved,
Warp's operator rules applied; see ``frontend.codegen``). Every compound expression is
split into single operations bound once (``Let``); ``if`` arms end with phis; loops name
the variables they carry (``Carrier``; which ones, from the liveness in
``analysis.py``); ``break``, ``continue`` and ``return`` become flags and guarded
blocks. Calls of builtins stay calls, except the differentiable operator builtins,
which become operators again, and atomics, which become ``AtomicArr``.

The result is a :class:`BuiltBody`: the IR and what the builder learned about its
names (which are variables, which SSA names are the thread indices, which stand for
array parameters).
"""

from __future__ import annotations

import ast
import copy
import inspect
import re

from ..frontend import naming
from ..lowering import registry as rules
from . import callees
from .analysis import assigned_names, contains, is_pure, live_in, reads
from .callees import KEPT_BUILTINS
from .ir import AtomicArr, Carrier, Effect, If, Let, Loop, Return, StoreArr

__all__ = ["build_ir", "BuiltBody"]


class BuiltBody:
    """The IR of a body (``ir``) and what the backward writer needs to know of its names.

    ``taken``: every name in use (SSA names, parameters, bound globals); ``refs``: the
    forward body's bound globals; ``array_root``: SSA name -> the array parameter (or
    ``struct.field`` path) it stands for; ``tid_ssa``: the SSA names of the thread
    indices, in order (None where one is unused or reassigned).
    """

    def __init__(self, ir, builder: "_Builder"):
        self.ir = ir
        self.parsed = builder.parsed
        self.refs = builder.refs
        self.taken = builder.taken
        self.array_root = builder.array_root
        self.tid_ssa = builder.tid_ssa

    def is_var(self, atom) -> bool:
        """Whether ``atom`` is a variable of the body (it has an adjoint)."""
        return isinstance(atom, str) and atom in self.taken and atom not in self.refs \
            and atom not in KEPT_BUILTINS and atom.isidentifier()


def build_ir(gen, *, is_kernel, param_names, array_params, struct_params,
             prologue=()) -> BuiltBody:
    """Lower a forward-generated function body (``frontend.emit.GeneratedSource``) to
    the SSA form."""
    b = _Builder(gen, is_kernel=is_kernel, param_names=param_names,
                 array_params=array_params, struct_params=struct_params)
    out = []
    b.cur = out
    b.ret_flag = naming.RETURNED
    b.bind_atom(b.ret_flag, "False", gen.parsed.tree.lineno)
    b.statements(list(prologue) + list(gen.body))
    return BuiltBody(out, b)


class _LoopCtx:
    """The loop being built: its IR node and the SSA base names of its flags."""

    def __init__(self, loop, brk, cont):
        self.loop = loop
        self.brk = brk
        self.cont = cont


class _LoopShape:
    """How a loop is written: ``is_range`` (a ``for`` over a range, with the atoms
    ``start, stop, step``), ``as_while`` (written as a ``while`` loop: not a range, or
    it may ``break`` or ``return``, with ``counter`` the name counting a range's
    iterations), and its flags ``brk``/``cont`` and whether it may return."""

    def __init__(self, is_range, as_while, has_ret):
        self.is_range, self.as_while, self.has_ret = is_range, as_while, has_ret
        self.start = self.stop = self.step = None
        self.brk = self.cont = self.counter = None


class _Builder:
    """Lowers statements into ``self.cur``, tracking each user variable's current SSA
    name in ``self.env``."""

    def __init__(self, gen, *, is_kernel: bool, param_names, array_params, struct_params):
        self.gen = gen
        self.parsed = gen.parsed
        self.refs = gen.refs
        self.is_kernel = is_kernel
        self.array_params = set(array_params)
        self.struct_params = set(struct_params)
        self.env: dict[str, str] = {}
        self.taken: set[str] = set(gen.refs) | set(KEPT_BUILTINS)
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
        self.tid_ssa = [None] * len(gen.tid_names)
        self.tid_seen: set = set()
        self.effects = callees.effects()
        self.atomics = callees.atomics()
        self.array_helpers = callees.array_helpers()
        self.operators = callees.operators()
        self.choices = callees.choices()
        for p in param_names:
            self.taken.add(p)
            self.env[p] = p
            if p in self.array_params:
                self.array_root[p] = p

    # -- names -----------------------------------------------------------------------
    def fresh(self, base: str) -> str:
        base = re.sub(r"\W", "_", base) or "t"
        if naming.is_adjoint_name(base):
            base = naming.renamed_local_adjoint(base)
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
        return name not in self.refs and name not in KEPT_BUILTINS

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
            raise self.error(
                f"cannot differentiate the call '{naming.as_user_wrote(ast.unparse(node))}': "
                "the length of its starred argument is not known when the code is built",
                node, "Annotate the value's type (a parameter, a constructor such as "
                "wp.vec3(...), an array element), or pass its components one by one.")
        if id(obj) in self.atomics:
            return self.atomic(node, obj, hint)
        order = self.choices.get(id(obj))
        if order is not None and len(node.args) == 3 and not node.keywords:
            cond = self.expr(node.args[0])
            true, false = (node.args[order.index(k)] for k in (1, 2))
            return self.choice(cond, true, false, node, hint, (node.func.id, obj, order))
        args = [self.expr(a) for a in node.args]
        op = self.operators.get(id(obj))
        if op is not None and not node.keywords:
            if op == "USub" and len(args) == 1:
                return self.let("unop", (op, args[0]), node, hint)
            if op != "USub" and len(args) == 2:
                return self.let("binop", (op, *args), node, hint)
        kwargs = [(k.arg, self.expr(k.value)) for k in node.keywords]
        if kwargs and not rules.is_constructor(obj) and not isinstance(obj, type):
            args, kwargs = _positional(obj, args, kwargs)
        name = self.let("call", (node.func.id, obj, args, kwargs), node, hint)
        if id(obj) in self.array_helpers and args and args[0] in self.array_root:
            self.array_root[name] = self.array_root[args[0]]
        return name

    def atomic(self, node, obj, hint):
        if node.keywords or len(node.args) < 3:
            raise self.error("atomics take (array, indices..., value) positionally", node)
        op = self.atomics[id(obj)]
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
        if call is not None and not all(is_pure(b) for b in blocks):
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

    # -- statements ------------------------------------------------------------------
    def bind(self, user: str, node, line_node):
        """``user = node``: evaluate into a new SSA version of ``user``."""
        name = self._bind(user, node, line_node)
        tid_names = self.gen.tid_names
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
        local = atom in self.taken and atom not in self.refs and atom not in KEPT_BUILTINS
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
            later, defined = live_in(stmts[k + 1:])
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
            if isinstance(value, ast.Call) and id(self.obj(value.func)) in self.atomics:
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
        if obj is print or id(obj) in self.effects:
            self.emit(Effect(self.substitute(call), s.lineno))
            return
        if id(obj) in self.atomics:
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
            if live is not None and user not in live and not naming.is_generated(user) and \
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
        body = list(s.body)
        if s.orelse:
            raise self.error("loops with an 'else' clause are not supported", s)
        shape = self.loop_shape(s, lid, body)
        loop = Loop(lid, "while" if shape.as_while else "range", s.lineno)
        if shape.is_range and not shape.as_while:
            loop.start, loop.stop, loop.step = shape.start, shape.stop, shape.step
        outer_env = dict(self.env)
        carriers = loop.carriers = self.loop_carriers(s, lid, body, shape)
        if shape.as_while:
            self.loop_test(s, loop, shape)
        self.loop_body(s, body, loop, shape)
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

    def loop_shape(self, s, lid: int, body) -> _LoopShape:
        """How the loop ``s`` is written; evaluates a range's bounds and sets up the
        break flag and the range counter before the loop."""
        has_ret = any(isinstance(x, ast.Return) for x in ast.walk(ast.Module(body, [])))
        is_range = isinstance(s, ast.For)
        if is_range:
            it = s.iter
            if not (isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and
                    it.func.id == "range" and not it.keywords and 1 <= len(it.args) <= 3):
                raise self.error("only 'for ... in range(...)' loops can be differentiated", s)
            if not isinstance(s.target, ast.Name):
                raise self.error("the loop variable must be a single name", s)
            rargs = [self.expr(a) for a in it.args]
        shape = _LoopShape(is_range, not is_range or contains(body, ast.Break) or has_ret,
                           has_ret)
        if is_range:
            if len(rargs) == 1:
                shape.start, shape.stop, shape.step = "0", rargs[0], "1"
            elif len(rargs) == 2:
                shape.start, shape.stop, shape.step = rargs[0], rargs[1], "1"
            else:
                shape.start, shape.stop, shape.step = rargs
        if contains(body, ast.Break):
            shape.brk = self.fresh(naming.break_flag(lid))
        if contains(body, ast.Continue):
            shape.cont = self.fresh(naming.continue_flag(lid))
        if shape.brk:
            self.bind_atom(shape.brk, "False", s.lineno)
        if is_range and shape.as_while:
            shape.counter = naming.range_counter(lid)
            kind = "copy" if shape.start in self.env.values() else "const"
            self.bind_atom(shape.counter, shape.start, s.lineno, kind=kind)
        return shape

    def loop_carriers(self, s, lid: int, body, shape: _LoopShape) -> list:
        """The variables the loop carries, each bound to its name at the start of an
        iteration. A variable needs carrying when an iteration may read the previous
        iteration's value, or the loop's last value is read after the loop."""
        assigned = assigned_names(body)
        if shape.is_range:
            assigned.add(s.target.id)
        assigned.update(n for n in (shape.brk, shape.counter) if n)
        if shape.has_ret and self.ret_flag:
            assigned.add(self.ret_flag)
        assigned.discard(shape.cont)
        if shape.is_range and not shape.as_while:
            assigned.discard(s.target.id)
        live_after = self.live[-1] if self.live else None
        if live_after is not None:
            used, _ = live_in(body)
            if not shape.is_range:
                used |= reads(s.test)
            assigned = {u for u in assigned if naming.is_generated(u) or u in used or
                        u in live_after}
        carriers = []
        outer_env = dict(self.env)
        for user in sorted(assigned):
            entry = outer_env.get(user)
            if entry in self.undefined_carriers:
                # first assigned in an enclosing loop's body, after this loop: no value
                # to enter with either (reading it first is the error in read())
                entry = None
            c = Carrier(user, entry, self.fresh(naming.carrier(user, lid)))
            carriers.append(c)
            self.env[user] = c.name
            if entry is None:
                self.undefined_carriers[c.name] = user
        return carriers

    def loop_test(self, s, loop: Loop, shape: _LoopShape):
        """The condition of a loop written as ``while``, over the carriers."""
        loop.flags = [self.env[f] for f in (shape.brk, self.ret_flag if shape.has_ret
                                             else None) if f]
        if shape.is_range:
            loop.range_test = (self.env[shape.counter], shape.stop, shape.step)
        else:
            loop.cond = self.substitute(s.test)

    def loop_body(self, s, body, loop: Loop, shape: _LoopShape):
        self.loop_stack.append(_LoopCtx(loop, shape.brk, shape.cont))
        # live at the end of an iteration: what the next one reads before assigning it
        # (and its condition), and what is read after the loop
        next_reads = live_in(body)[0]
        if not shape.is_range:
            next_reads |= reads(s.test)
        self.live.append((self.live[-1] if self.live else set()) | next_reads)
        saved, self.cur = self.cur, []
        if shape.cont:
            self.bind_atom(shape.cont, "False", s.lineno)
        if shape.is_range and shape.as_while:
            counter = shape.counter
            self.bind(s.target.id, ast.Name(counter, ast.Load()), s)
            self.let_user(counter, "binop", ("Add", self.env[counter], shape.step), s)
        elif shape.is_range:
            self.env[s.target.id] = self.let("loopvar", loop.id, s, s.target.id)
        self.statements(body)
        loop.body = self.cur
        self.cur = saved
        self.loop_stack.pop()
        self.live.pop()

    def let_user(self, user, kind, data, node):
        self.env[user] = self.let(kind, data, node, user)


def _positional(obj, args, kwargs):
    """Keyword arguments of a builtin moved into position (gradient rules see positions).

    Parameters skipped between take their default (constants only); when that is not
    possible the keywords stay, and the reverse pass refuses a variable keyword argument.
    """
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
