"""Hessian-vector products: forward mode over the backward pass.

For a scalar loss ``L(x)`` computed by recorded launches, ``H v`` is the directional
derivative of the gradient along ``v``: the tangent of the backward pass. Two kernel
variants serve ``Tape.hvp`` (``tape.py``):

* the *tangent replay* (``kernel_tangent_replay``): the tangent body of ``tangent.py``
  without the forward computation's side effects. Run over the recorded launches in
  order, it gives every array its tangent (``dx`` along ``v``) without writing the arrays
  the forward pass wrote (atomic sums would be counted twice).
* the *Hessian body* (``kernel_hvp``): the backward body of ``assemble.py`` (the replay,
  then the reverse statements) with, after each statement, its tangent. Run over the
  recorded launches last first, it accumulates the gradient into the gradient arrays,
  as the backward pass does, and the gradient's tangent (``H v``) into a second set of
  arrays.

The replay's tangents are the forward-mode compiler's (``TangentWriter``). The reverse
statements are linear in the adjoints except for the rule calls: a line such as
``adj_a = accum(adj_a, adj_getitem(x, adj_x, i, adj_n))`` has as its tangent the same line
over the adjoints' tangents (the writer writes it again with every adjoint name ``adj_z``
renamed ``tan_adj_z``). A rule call ``contrib = rule(x..., ret, adj_ret)`` needs the
rule's second derivatives: ``second_order.py`` says where each comes from; a rule without
them is a compile error at the user's line. Loop checkpoints keep the carried values'
tangents beside the values.
"""

from __future__ import annotations

import ast
import re

from ..frontend import naming
from ..frontend.emit import GeneratedSource, SourceWriter
from ..frontend.errors import WarpCodegenError
from ..frontend.naming import ADJ_PREFIX, ADJ_RET, CONTRIB, DIMS, RETAIN, RETURN_VALUE, TID, adj
from ..frontend.protocols import UserFunction
from ..lowering import registry as rules
from ..lowering import second_order_rules
from .analysis import Facts
from .callees import BINOP_SYMBOLS
from .assemble import adjoint_params, built_function, built_kernel, kernel_head, returns_value
from .ir import AtomicArr, Effect, If, Let, Loop, Return, StoreArr
from .second_order import generic_rule_function
from .tangent import TAN_RETURN, TangentWriter, kernel_tangent, retarget, tan
from .writer import BackwardWriter, LineNode, RefTable, tuple_source

__all__ = ["kernel_tangent_replay", "kernel_hvp", "function_hvp"]

_SO = naming.generated("so")  # temporaries of second-order rules


class ReplayTangentWriter(TangentWriter):
    """A tangent body without the forward computation's side effects: array writes,
    atomics and prints are not run again. ``write_tangents``: whether the tangents of
    array writes still go into the tangent arrays (the tangent replay) or not (the
    Hessian body, which runs after the tangent replay made them)."""

    def __init__(self, *args, write_tangents: bool, returns: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.write_tangents = write_tangents
        self.returns = returns  # a function's replay: keep the return value and tangent

    def replay_name(self, fname, obj):
        return BackwardWriter.replay_name(self, fname, obj)

    def forward_stmt(self, w, st, indent, checkpoints) -> bool:
        if isinstance(st, StoreArr):
            if self.write_tangents and self.is_active(st.arr):
                w.line(f"{self.t['tan_store']}({tan(st.arr)}, {tuple_source(st.idx)}, "
                       f"{self.tangent_of(st.value)})", st.line, indent)
                return True
            return False
        if isinstance(st, Effect) or (isinstance(st, Return) and not self.returns):
            return False
        if isinstance(st, If):
            return self.forward_if(w, st, indent, checkpoints)
        if isinstance(st, Loop):
            for c in st.carriers:
                if c.entry is not None and self.is_active(c.name):
                    w.line(f"{tan(c.name)} = {self.tangent_of(c.entry)}", st.line, indent)
            self.forward_loop(w, st, indent, checkpoints)
            return True
        return super().forward_stmt(w, st, indent, checkpoints)

    def atomic(self, w, st: AtomicArr, indent) -> bool:
        idx = tuple_source(st.idx)
        wrote = False
        if st.target:
            w.line(f"{st.target} = {self.h['atomic_replay']}({st.arr}, {idx})", st.line, indent)
            wrote = True
        active = self.is_active(st.arr)
        if active and st.op in ("min", "max", "cas"):
            raise self.parsed.error(
                f"wp.atomic_{st.op} has no tangent (forward mode), so Hessian-vector products "
                "through it cannot be computed: which thread's value wins is decided by the "
                "race between threads", LineNode(st.line))
        if active and self.write_tangents:
            call = (f"{self.t['tan_atomic']}({st.op!r}, {tan(st.arr)}, {idx}, "
                    f"{self.tangent_of(st.value)})")
            w.line(f"{tan(st.target)} = {call}" if st.target else call, st.line, indent)
            return True
        if st.target:
            w.line(f"{tan(st.target)} = {self.h['adj_zero']}({st.target})", st.line, indent)
        return wrote

    def write_helper(self, w, st: Let, helper: str, indent):
        fname, obj, args, kwargs = st.data
        if args[0] in self.body.array_root and not self.write_tangents:
            w.line(f"{tan(st.name)} = {self.tangent_of(args[0])}", st.line, indent)
            return
        super().write_helper(w, st, helper, indent)

    def companion(self, fn) -> str:
        """A ``@wp.func``'s replay-tangent companion (no side effects)."""
        which = "rtan" if self.write_tangents else "htan"
        return self.refs.ref(fn.hessian_callable(which), f"{fn.__name__}_{which}")


class _MirroredLines(SourceWriter):
    """A source writer that, while ``writer.mirror`` is on, follows every line that
    reads or writes adjoints with its tangent (see the module's text)."""

    def __init__(self, writer: "HessianWriter"):
        super().__init__()
        self.writer = writer

    def line(self, text: str, origin=None, indent: int = 0) -> None:
        super().line(text, origin, indent)
        if self.writer.mirror:
            mirrored = mirror_line(text)
            if mirrored is not None:
                super().line(mirrored, origin, indent)


_ADJ_TOKEN = re.compile(rf"\b({re.escape(ADJ_PREFIX)}\w+|{re.escape(CONTRIB)}|"
                        rf"{re.escape(ADJ_RET)})\b")


def _is_adjoint(name: str) -> bool:
    return name.startswith(ADJ_PREFIX) or name in (CONTRIB, ADJ_RET)


def mirror_line(text: str):
    """``text`` (a simple statement of a reverse pass) over the adjoints' tangents, or
    None when it reads no adjoint."""
    stripped = text.strip()
    if not _ADJ_TOKEN.search(stripped):
        return None
    if stripped.endswith(":"):
        raise AssertionError(f"a reverse-pass line with adjoints in a test: {stripped}")

    class Rename(ast.NodeTransformer):
        def visit_Name(self, node):
            if _is_adjoint(node.id):
                node.id = tan(node.id)
            return node

    tree = Rename().visit(ast.parse(stripped))
    return ast.unparse(tree)


class HessianWriter(ReplayTangentWriter):
    """Writes a backward body with the tangent of each of its statements."""

    def __init__(self, body, facts, refs, active_params, make_function, **options):
        super().__init__(body, refs, active_params, facts, write_tangents=False, **options)
        self.make_function = make_function  # wp.func (from the runtime)
        self.mirror = False
        self.so_count = 0

    def forward(self, w, block, indent, *, checkpoints: bool):
        was, self.mirror = self.mirror, False
        try:
            return super().forward(w, block, indent, checkpoints=checkpoints)
        finally:
            self.mirror = was

    def stacked(self, loop) -> list:
        names = super().stacked(loop)
        return names + [tan(c.name) for c in loop.checkpointed if self.is_active(c.name)]

    def write_prefetch(self, w, loop, k, indent):
        return  # (a hint only; the Hessian body goes without)

    # -- the tangents of rule calls ------------------------------------------------------
    def rule_line(self, w, st: Let, rule, text: str, indent):
        was, self.mirror = self.mirror, False
        try:
            w.line(text, st.line, indent)
            self.rule_tangent(w, st, rule, text, indent)
        finally:
            self.mirror = was

    def rule_tangent(self, w, st: Let, rule, text: str, indent):
        if isinstance(rule, UserFunction):
            self.function_tangent(w, st, rule, text, indent)
            return
        spec = rules.second_order_for(rule)
        name = _builtin_name(st)
        if spec == "linear":
            w.line(mirror_line(text), st.line, indent)
            return
        call = ast.parse(text.strip()).body[0].value
        if call.keywords and spec is not None:
            raise self.parsed.error(
                f"'{name}' is called with keyword arguments: its second derivative (for "
                "Hessian-vector products) takes them positionally", LineNode(st.line))
        *xs, ret, u = [ast.unparse(a) for a in call.args]
        r = ast.unparse(call.func)
        txs = [self.tangent_of(x) for x in xs]
        tret, tu = self.tangent_of(ret), tan(u)
        out = tan(CONTRIB)
        if spec == "bilinear":
            a, b = self.so_names(2)
            w.line(f"{a} = {r}({', '.join(xs + [ret, tu])})", st.line, indent)
            w.line(f"{b} = {r}({', '.join(txs + [tret, u])})", st.line, indent)
            tsum = self.refs.ref(second_order_rules.tan_sum, "tan_sum")
            w.line(f"{out} = {tuple_source(f'{tsum}({a}[{i}], {b}[{i}])' for i in range(len(xs)))}",
                   st.line, indent)
        elif spec is None:
            raise self.no_second_derivative(name, st)
        elif isinstance(spec, tuple) and spec[0] == "plain":
            f = self.refs.ref(self.generic(rule, spec, name, st).tangent_callable(),
                              f"{getattr(rule, '__name__', 'rule')}_so")
            w.line(f"{out} = {f}({', '.join(xs + [ret, u] + txs + [tret, tu])})[1]", st.line,
                   indent)
        elif isinstance(spec, tuple) and spec[0] == "via":
            # the builtin computed by a function of other builtins: that function's
            # Hessian companion (its parameters are values: zero adjoints)
            fn = self.generic(rule, spec, name, st)
            zeros = [f"{self.h['adj_zero']}({x})" for x in xs]
            self.function_tangent(
                w, st, fn, f"{CONTRIB} = f({', '.join(xs + zeros + [u])})", indent)
        elif isinstance(spec, tuple) and spec[0] == "unary":
            f = self.refs.ref(self.generic(rule, spec, name, st).tangent_callable(),
                              f"{getattr(rule, '__name__', 'rule')}_d")
            (d,) = self.so_names(1)
            w.line(f"{d} = {f}({xs[0]}, {ret}, {txs[0]}, {tret})", st.line, indent)
            w.line(f"{out} = ({self.h['accum']}({self.h['scale']}({tu}, {d}[0]), "
                   f"{self.h['scale']}({u}, {d}[1])), )", st.line, indent)
        else:
            f = self.refs.ref(spec, getattr(spec, "__name__", "so_rule"))
            w.line(f"{out} = {f}({', '.join(xs + [ret, u] + txs + [tret, tu])})", st.line,
                   indent)

    def no_second_derivative(self, name: str, st: Let):
        return self.parsed.error(
            f"'{name}' has no second derivative yet, so Hessian-vector products of kernels "
            "that call it cannot be computed", LineNode(st.line),
            "Gradients (wp.Tape.backward) and forward mode (wp.jvp) still work; for the "
            "Hessian-vector product, compute the operation with other builtins (in a "
            "@wp.func).")

    def generic(self, rule, spec, name: str, st: Let):
        """The generic function of a "plain", "unary" or "via" spec, its companion
        written now: a rule that calls helpers without derivative rules has no second
        derivative (an error here, at the user's line, not inside generated code)."""
        fn = generic_rule_function(rule, spec[1], self.make_function)
        overload = fn.overloads[0]
        try:
            overload.hessian_impl("hvp") if spec[0] == "via" else overload.tangent_impl()
        except WarpCodegenError:
            raise self.no_second_derivative(name, st) from None
        return fn

    def function_tangent(self, w, st: Let, fn, text: str, indent):
        """The tangent of ``contrib = f__adj(args..., adj_args..., adj_ret)``: from the
        function's own Hessian companion ``f__hvp``."""
        call = ast.parse(text.strip()).body[0].value
        parts = [ast.unparse(a) for a in call.args]
        m = (len(parts) - 1) // 2
        xs, adj_in, u = parts[:m], parts[m:2 * m], parts[-1]
        r = self.refs.ref(fn.hessian_callable("hvp"), f"{fn.__name__}_hvp")
        args = xs + adj_in + [u] + [self.tangent_of(x) for x in xs] + \
            [mirror_line(a) or a for a in adj_in] + [tan(u)]
        w.line(f"{tan(CONTRIB)} = {r}({', '.join(args)})[1]", st.line, indent)

    def so_names(self, k: int) -> list:
        self.so_count += 1
        return [f"{_SO}{self.so_count}_{i}" for i in range(k)]


def _builtin_name(st: Let) -> str:
    if st.kind == "binop":
        return f"operator {BINOP_SYMBOLS[st.data[0]]}"
    obj = st.data[1]
    return getattr(obj, "__name__", st.data[0])


def _needs_everything(block):
    """Checkpoint every carried value and replay every loop (the tangents need the
    values the plain backward pass can skip)."""
    for st in block:
        if isinstance(st, Loop):
            st.needed = None
            st.after_needed = True
            _needs_everything(st.body)
        elif isinstance(st, If):
            _needs_everything(st.then)
            _needs_everything(st.orelse)


def kernel_tangent_replay(gen, arg_names, arg_specs, name: str) -> GeneratedSource:
    """The tangent replay of a kernel (parameters as its tangent body's: see
    ``tangent.kernel_tangent``): tangents only, no forward side effects."""
    return kernel_tangent(gen, arg_names, arg_specs, name, lambda body, refs, active:
                          ReplayTangentWriter(body, refs, active, write_tangents=True))


def kernel_hvp(gen, arg_names, arg_specs, name: str, make_function) -> GeneratedSource:
    """The Hessian body of a kernel: the forward parameters, then per array (struct)
    parameter its gradient, its tangent and its gradient's tangent, then the retain
    mask (``_wp_retain``). ``make_function``: ``wp.func`` (second derivatives of some
    builtins are compiled as functions)."""
    gen, arg_names, kinds, body, active = built_kernel(gen, arg_names, arg_specs)
    facts = Facts(body, is_kernel=True,
                  scalar_params=[n for n in arg_names if kinds[n] == "scalar"])
    _needs_everything(body.ir)
    refs = RefTable(dict(gen.refs))
    hw = HessianWriter(body, facts, refs, active, make_function, retain_var=RETAIN,
                       retain_bits={n: k for k, n in enumerate(arg_names)
                                    if kinds[n] == "array"})
    adj_params, adj_prologue = adjoint_params(arg_names, arg_specs, refs)
    tan_params = [tan(p[len(ADJ_PREFIX):]) for p in adj_params]
    tadj_params = [tan(p) for p in adj_params]
    prologue = adj_prologue + [retarget(line) for line in adj_prologue] + \
        [_ADJ_TOKEN.sub(lambda m: tan(m.group(1)), line) for line in adj_prologue]

    w = _MirroredLines(hw)
    head = kernel_head(w, gen, name, adj_params + tan_params + tadj_params, prologue)
    origin = gen.parsed.tree.lineno
    zero = hw.h["adj_zero"]
    hw.mirror = True
    for n in [TID, *DIMS] + [n for n in arg_names if kinds[n] not in ("array", "struct")]:
        w.line(f"{adj(n)} = {zero}({n})", origin, 1)
    w.line("# -- replay of the forward pass, with tangents --", None, 1)
    hw.forward(w, body.ir, 1, checkpoints=True)
    w.line("# -- reverse pass, with tangents --", None, 1)
    hw.reverse(w, body.ir, 1)
    hw.mirror = False
    return GeneratedSource(name, head, w, refs.refs, gen.deps, gen.parsed)


def function_hvp(gen, params, name: str, make_function) -> GeneratedSource:
    """A function's Hessian companions: ``<name>__hvp(p..., adj_p..., adj_ret, tan_p...,
    tan_adj_p..., tan_adj_ret) -> (contributions, their tangents)`` and the replay
    tangents ``<name>__rtan`` / ``<name>__htan`` ``(p..., tan_p...) -> (value, tangent)``
    (``rtan`` writes the tangents of array writes, ``htan`` nothing)."""
    gen, names, body = built_function(gen, params)
    facts = Facts(body, is_kernel=False)
    _needs_everything(body.ir)
    refs = RefTable(dict(gen.refs))
    origin = gen.parsed.tree.lineno
    hw = HessianWriter(body, facts, refs, names, make_function)
    w = _MirroredLines(hw)
    adjs = [adj(n) for n in names]
    head = names + adjs + [ADJ_RET] + [tan(n) for n in names] + [tan(a) for a in adjs] + \
        [tan(ADJ_RET)]
    w.line(f"def {name}__hvp({', '.join(head)}):", origin)
    hw.forward(w, body.ir, 1, checkpoints=True)
    hw.mirror = True
    hw.reverse(w, body.ir, 1)
    hw.mirror = False
    w.line(f"return ({tuple_source(adjs)}, {tuple_source(tan(a) for a in adjs)})", origin, 1)
    for which, writes in (("rtan", True), ("htan", False)):
        w.blank()
        w.blank()
        rw = ReplayTangentWriter(body, refs, names, write_tangents=writes, returns=True)
        w.line(f"def {name}__{which}({', '.join(names + [tan(n) for n in names])}):", origin)
        rw.forward(w, body.ir, 1, checkpoints=False)
        if returns_value(body.ir):
            w.line(f"return ({RETURN_VALUE}, {TAN_RETURN})", origin, 1)
        else:
            w.line("return (None, None)", origin, 1)
    return GeneratedSource(name, names, w, refs.refs, gen.deps, gen.parsed)
