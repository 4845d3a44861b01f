"""Forward mode: tangent (JVP) bodies for kernels and ``@wp.func`` functions.

A tangent body is the forward computation itself (array writes, atomics and prints
included) with, after every statement, the statement's tangent: for ``y = f(x1, ..., xn)``
the directional derivative ``tan_y = sum_i df/dxi . tan_xi``. It is written from the same
IR as the backward pass (``build.py``), so it covers the same Python subset; control flow
needs nothing special (a branch takes its tangent with it, a loop carries its variables'
tangents from one iteration to the next), so loops of any trip count are exact and cost
no memory.

Tangents of builtin calls come from their adjoint rules (``lowering.registry``): the
rule gives ``J^T u`` for any ``u``, so component ``k`` of ``J t`` is
``<J^T e_k, t>`` for the ``k``-th basis value ``e_k`` of the result's type
(``lowering.tangent_helpers``). A scalar result costs one call of the rule; a vec3 three.
Constructors (``wp.vec3(x, y, z)``) and the code generator's element updates are linear:
their tangent is the same operation on the tangents. ``@wp.func`` functions get a tangent
companion ``f__tan(p..., tan_p...) -> (value, tangent)``; those with a custom gradient
(``@wp.func_grad``) have their tangent from it, as builtins do.

Only values that depend on an array (or struct) parameter have tangents (activity
analysis); scalar parameters, like their gradients in the backward pass, carry none.

The kernel's tangent body takes the forward parameters, then one tangent per array
parameter (its tangent array, or an empty stand-in) and per struct parameter (a struct of
tangent arrays), then an unused ``_wp_retain``: the backward body's parameters, so that
both launch the same way.
"""

from __future__ import annotations

import re

from .. import lang
from ..frontend import naming
from ..frontend.emit import GeneratedSource, SourceWriter
from ..frontend.naming import RETURN_VALUE
from ..frontend.protocols import UserFunction
from ..lowering import adjoint_values, operators, scalar_math
from ..lowering import registry as rules
from ..lowering import tangent_helpers
from . import callees
from .assemble import adjoint_params, built_function, built_kernel, kernel_head, returns_value
from .ir import AtomicArr, Effect, If, Let, Loop, Return, StoreArr
from .writer import BackwardWriter, RefTable, LineNode, tuple_source

__all__ = ["kernel_tangent", "function_tangent", "tan"]

#: a function's tangent companion keeps its return value's tangent here
TAN_RETURN = naming.generated("tan_retv")
#: the (value, tangent) pair a call of a function's tangent companion returns
TAN_PAIR = naming.generated("tan_pair")
#: the contributions an adjoint rule returns for a basis value
TAN_CONTRIB = naming.generated("tan_c")
#: the component index of a result whose tangent is being built
TAN_K = naming.generated("tan_k")


def tan(name: str) -> str:
    """The tangent of the variable ``name``."""
    return naming.generated("tan_" + name)


# the array-updating helpers of the code generator, by object id -> name
_WRITE_HELPERS = callees.array_helpers()
# builtins whose tangent is written out: name -> (form, argument count); "linear": the
# builtin of the tangents, "bilinear": f(ta, b) + f(a, tb)
_DIRECT = {"add": ("linear", 2), "sub": ("linear", 2), "neg": ("linear", 1),
           "transpose": ("linear", 1), "cross": ("bilinear", 2), "dot": ("bilinear", 2),
           "outer": ("bilinear", 2), "ddot": ("bilinear", 2), "cw_mul": ("bilinear", 2),
           "normalize": ("normalize", 1)}
# ... and the adjoint helpers that adjoint rules call (their tangents: second order)
_HELPER_DIRECT = {id(adjoint_values.scale): ("bilinear", 2),
                  id(adjoint_values.accum): ("linear", 2),
                  id(adjoint_values.neg): ("linear", 1),
                  id(adjoint_values.adj_zero): ("zero", 1)}
# ``a / b`` in generated code (tangent_helpers.tan_div)
_DIVISIONS = (scalar_math.div, operators.div_approx)


class TangentWriter(BackwardWriter):
    """Writes a tangent body: the forward statements, each followed by its tangent."""

    def __init__(self, body, refs: RefTable, active_params, facts=None, **options):
        super().__init__(body, facts, refs, **options)
        self.t = {n: refs.ref(getattr(tangent_helpers, n), n) for n in tangent_helpers.__all__}
        self.active = _activity(body.ir, set(active_params))

    # -- atoms ------------------------------------------------------------------------
    def is_active(self, atom) -> bool:
        return self.is_var(atom) and atom in self.active

    def tangent_of(self, atom) -> str:
        """Source of ``atom``'s tangent (a zero of its type when it has none)."""
        if self.is_active(atom):
            return tan(atom)
        return f"{self.h['adj_zero']}({atom})"

    def replay_name(self, fname, obj):
        return fname  # the real forward operations: array writes happen here

    # -- statements -------------------------------------------------------------------
    def forward_stmt(self, w, st, indent, checkpoints) -> bool:
        if isinstance(st, Let):
            self.let(w, st, indent)
            return True
        if isinstance(st, StoreArr):
            w.line(f"{st.arr}[{', '.join(st.idx)}] = {st.value}", st.line, indent)
            if self.is_active(st.arr):
                w.line(f"{self.t['tan_store']}({tan(st.arr)}, {tuple_source(st.idx)}, "
                       f"{self.tangent_of(st.value)})", st.line, indent)
            return True
        if isinstance(st, AtomicArr):
            return self.atomic(w, st, indent)
        if isinstance(st, Effect):
            w.line(st.src, st.line, indent)
            return True
        if isinstance(st, Return):
            if st.value != "None":
                w.line(f"{RETURN_VALUE} = {st.value}", st.line, indent)
                w.line(f"{TAN_RETURN} = {self.tangent_of(st.value)}", st.line, indent)
            return True
        if isinstance(st, If):
            return self.forward_if(w, st, indent, False)
        if isinstance(st, Loop):
            for c in st.carriers:
                if c.entry is not None and self.is_active(c.name):
                    w.line(f"{tan(c.name)} = {self.tangent_of(c.entry)}", st.line, indent)
            self.forward_loop(w, st, indent, checkpoints=False)
            return True
        raise AssertionError(st)

    def write_exits(self, w, loop, indent):
        super().write_exits(w, loop, indent)
        for c in loop.carriers:
            if c.exit != c.name and self.is_active(c.name):
                w.line(f"{tan(c.name)} = {self.tangent_of(c.exit)}", loop.line, indent)

    def atomic(self, w, st: AtomicArr, indent) -> bool:
        call = f"{st.func}({st.arr}, {', '.join(st.idx)}, {st.value})"
        if st.op == "cas":
            raise self.parsed.error("wp.atomic_cas has no tangent (forward mode)",
                                    LineNode(st.line))
        w.line(f"{st.target} = {call}" if st.target else call, st.line, indent)
        if not self.is_active(st.arr):
            if st.target:
                w.line(f"{tan(st.target)} = {self.h['adj_zero']}({st.target})", st.line, indent)
            return True
        if st.op in ("min", "max"):
            raise self.parsed.error(
                f"wp.atomic_{st.op} has no tangent (forward mode): which thread's value wins "
                "is decided by the race between threads", LineNode(st.line),
                "Compute the tangents with the reverse pass (wp.Tape), or reduce in a "
                "deterministic order.")
        call = (f"{self.t['tan_atomic']}({st.op!r}, {tan(st.arr)}, {tuple_source(st.idx)}, "
                f"{self.tangent_of(st.value)})")
        w.line(f"{tan(st.target)} = {call}" if st.target else call, st.line, indent)
        return True

    # -- the tangent of one SSA statement ---------------------------------------------
    def let(self, w, st: Let, indent):
        k, d, n, line = st.kind, st.data, st.name, st.line
        if k == "call" and isinstance(d[1], UserFunction) and self.is_active(n) and \
                getattr(d[1], "custom_grad", None) is None:
            self.user_call(w, st, indent)
            return
        w.line(f"{n} = {self.let_source(st)}", line, indent)
        if not self.is_active(n):
            return
        t = tan(n)
        if k == "copy":
            w.line(f"{t} = {self.tangent_of(d)}", line, indent)
        elif k == "unop":
            op, a = d
            ta = self.tangent_of(a)
            w.line(f"{t} = {self.h['neg']}({ta})" if op == "USub" else f"{t} = {ta}", line, indent)
        elif k == "binop" and d[0] in ("Add", "Sub"):
            op, a, b = d
            fn = callees.REPLAYED_OPERATORS[op]
            f = self.refs.ref(getattr(lang, fn), fn)
            w.line(f"{t} = {f}({self.tangent_of(a)}, {self.tangent_of(b)})", line, indent)
        elif k == "binop" and d[0] in ("Mult", "MatMult"):
            op, a, b = d
            w.line(f"{t} = {self.t['tan_mul']}({a}, {b}, {self.tangent_of(a)}, "
                   f"{self.tangent_of(b)})", line, indent)
        elif k == "binop":
            op, a, b = d
            rule = rules.binop_rule(op)
            if rule is None:
                raise self.parsed.error(
                    f"the operator '{callees.BINOP_SYMBOLS[op]}' has no derivative rule",
                    LineNode(line))
            self.from_rule(w, st, self.refs.ref(rule, rule.__name__), [a, b], [], indent)
        elif k == "getitem":
            base, idx = d
            w.line(f"{t} = {self.t['tan_getitem']}({base}, {self.tangent_of(base)}, "
                   f"{tuple_source(idx)})", line, indent)
        elif k == "getattr":
            base, attr = d
            w.line(f"{t} = {self.t['tan_getattr']}({base}, {self.tangent_of(base)}, "
                   f"{attr!r})", line, indent)
        elif k == "tuple":
            w.line(f"{t} = {tuple_source(self.tangent_of(a) for a in d)}", line, indent)
        elif k == "call":
            self.call(w, st, indent)
        else:  # const, opaque, loopvar: never active
            w.line(f"{t} = {self.h['adj_zero']}({n})", line, indent)

    def from_rule(self, w, st: Let, rule_ref: str, args, kwargs, indent, *,
                  adjoint_args=None):
        """``tan_n`` from an adjoint rule called with each basis value of ``n``'s type.
        ``adjoint_args``: a function's adjoint, which takes zero adjoints of its
        parameters (these) where a builtin's rule takes the result."""
        n, line = st.name, st.line
        t = tan(n)
        w.line(f"{t} = {self.h['adj_zero']}({n})", line, indent)
        terms = [f"{self.t['tan_dot']}({TAN_CONTRIB}[{i}], {tan(a)})"
                 for i, a in enumerate(args) if self.is_active(a)]
        if not terms:
            return
        middle = list(adjoint_args) if adjoint_args is not None else [n]
        call_args = list(args) + middle + [f"{self.t['tan_basis']}({n}, {TAN_K})"] + \
            [f"{kk}={v}" for kk, v in kwargs]
        w.line(f"for {TAN_K} in range({self.t['tan_count']}({n})):", line, indent)
        w.line(f"{TAN_CONTRIB} = {rule_ref}({', '.join(call_args)})", line, indent + 1)
        w.line(f"{t} = {self.t['tan_set']}({t}, {TAN_K}, {' + '.join(terms)})", line,
               indent + 1)

    def call(self, w, st: Let, indent):
        fname, obj, args, kwargs = st.data
        n, line = st.name, st.line
        t = tan(n)
        helper = _WRITE_HELPERS.get(id(obj))
        if helper is not None:
            self.write_helper(w, st, helper, indent)
            return
        if isinstance(obj, UserFunction):  # with a custom gradient: from its adjoint
            adj_ref = self.refs.ref(obj.adjoint_callable(), f"{obj.__name__}_adj")
            zeros = [f"{self.h['adj_zero']}({a})" for a in args]
            self.from_rule(w, st, adj_ref, args, [], indent, adjoint_args=zeros)
            return
        if rules.is_nondifferentiable(obj) or obj in (len, range):
            w.line(f"{t} = {self.h['adj_zero']}({n})", line, indent)
            return
        form = _HELPER_DIRECT.get(id(obj)) if not kwargs else None
        if form is None and not kwargs and \
                getattr(lang, getattr(obj, "__name__", ""), None) is obj:
            form = _DIRECT.get(obj.__name__)
        if form is not None and len(args) == form[1]:
            self.direct(w, st, form[0], indent)
            return
        if any(obj is d for d in _DIVISIONS) and len(args) == 2 and not kwargs:
            a, b = args
            w.line(f"{t} = {self.t['tan_div']}({a}, {b}, {self.tangent_of(a)}, "
                   f"{self.tangent_of(b)})", line, indent)
            return
        rule = rules.rule_for(obj)
        construct = rules.is_constructor(obj)
        if rule is None:
            rule, construct = callees.class_rule(obj)
        if construct:
            # linear in its components: the same constructor of the tangents (keyword
            # arguments, dtype= and shape=, only choose the type)
            parts = [self.tangent_of(a) for a in args] + [f"{kk}={v}" for kk, v in kwargs]
            w.line(f"{t} = {fname}({', '.join(parts)})", line, indent)
            return
        if rule is None:
            name = getattr(obj, "__name__", fname)
            raise self.parsed.error(
                f"'{name}' has no derivative rule, so kernels that call it have no tangent "
                "(forward mode)", LineNode(line),
                "Wrap the call in a @wp.func with a @wp.func_grad.")
        if any(self.is_active(v) for _, v in kwargs):
            raise self.parsed.error(
                f"the keyword argument(s) {', '.join(k for k, _ in kwargs)} of "
                f"'{getattr(obj, '__name__', fname)}' cannot be differentiated; pass them "
                "positionally", LineNode(line))
        self.from_rule(w, st, self.refs.ref(rule, getattr(rule, "__name__", "rule")), args,
                       kwargs, indent)

    def direct(self, w, st: Let, form: str, indent):
        """The tangent of a linear or bilinear builtin (or ``normalize``), written out."""
        fname, obj, args, kwargs = st.data
        n, line = st.name, st.line
        ts = [self.tangent_of(a) for a in args]
        add = self.refs.ref(lang.add, "add")
        if form == "linear":
            src = f"{fname}({', '.join(ts)})"
        elif form == "bilinear":
            (a, b), (ta, tb) = args, ts
            src = f"{add}({fname}({ta}, {b}), {fname}({a}, {tb}))"
        elif form == "zero":
            src = f"{self.h['adj_zero']}({n})"
        else:  # normalize
            src = f"{self.t['tan_normalize']}({args[0]}, {n}, {ts[0]})"
        w.line(f"{tan(n)} = {src}", line, indent)

    def write_helper(self, w, st: Let, helper: str, indent):
        """``n = store(base, idx, v)`` and the other element updates: linear, so the
        tangent is the same update of the tangents (on an array: of its tangent array)."""
        fname, obj, args, kwargs = st.data
        n, line = st.name, st.line
        base, rest = args[0], args[1:]
        tans = [rest[0], self.tangent_of(rest[1]), *rest[2:]]  # idx, v[, spec]
        if base in self.body.array_root:
            w.line(f"{self.t['tan_write']}({helper!r}, {self.tangent_of(base)}, "
                   f"{', '.join(tans)})", line, indent)
            w.line(f"{tan(n)} = {self.tangent_of(base)}", line, indent)
            return
        if helper not in ("store", "inplace_add", "inplace_sub", "setattr_value"):
            w.line(f"{tan(n)} = {self.h['adj_zero']}({n})", line, indent)
            return
        w.line(f"{tan(n)} = {self.t['tan_update']}({helper!r}, {self.tangent_of(base)}, "
               f"{', '.join(tans)})", line, indent)

    def user_call(self, w, st: Let, indent):
        fname, obj, args, kwargs = st.data
        n, line = st.name, st.line
        if kwargs:
            raise self.parsed.error(
                f"calls of @wp.func '{obj.__name__}' with keyword arguments have no tangent "
                "yet; pass them positionally", LineNode(line))
        r = self.companion(obj)
        w.line(f"{TAN_PAIR} = {r}({', '.join(list(args) + [self.tangent_of(a) for a in args])})",
               line, indent)
        w.line(f"{n} = {TAN_PAIR}[0]", line, indent)
        w.line(f"{tan(n)} = {TAN_PAIR}[1]", line, indent)


    def companion(self, fn) -> str:
        """The bound name of a ``@wp.func``'s tangent companion."""
        return self.refs.ref(fn.tangent_callable(), f"{fn.__name__}_tan")


def _operands(st) -> list:
    if isinstance(st, Let):
        if st.kind in ("const", "opaque", "loopvar"):
            return []
        if st.kind == "call" and (rules.is_nondifferentiable(st.data[1]) or
                                  st.data[1] in (len, range)):
            return []
        return st.operands()
    return []


def _activity(block, active: set) -> set:
    """The variables whose values depend on an active one (fixed point over loops)."""
    while True:
        before = len(active)
        _active_pass(block, active)
        if len(active) == before:
            return active


def _active_pass(block, active: set):
    for st in block:
        if isinstance(st, Let):
            if any(a in active for a in _operands(st)):
                active.add(st.name)
        elif isinstance(st, AtomicArr):
            if st.target and st.arr in active:
                active.add(st.target)
        elif isinstance(st, If):
            _active_pass(st.then, active)
            _active_pass(st.orelse, active)
        elif isinstance(st, Loop):
            for c in st.carriers:
                if c.entry in active or c.exit in active:
                    active.add(c.name)
            _active_pass(st.body, active)
            for c in st.carriers:
                if c.exit in active:
                    active.add(c.name)


def kernel_tangent(gen, arg_names, arg_specs, name: str, writer=None) -> GeneratedSource:
    """The tangent body of a kernel whose forward code is ``gen`` (parameters as the
    backward body's: see ``assemble.kernel_backward``); ``writer(body, refs, active
    parameters)`` makes its writer (a ``TangentWriter`` by default)."""
    gen, arg_names, _, body, active = built_kernel(gen, arg_names, arg_specs, rename=False)
    refs = RefTable(dict(gen.refs))
    tw = (writer or TangentWriter)(body, refs, active)
    tan_params, prologue = adjoint_params(arg_names, arg_specs, refs)
    # the backward body's adjoint parameters (adj_x, adj_s_field...), named as tangents
    tan_params = [tan(p[len(naming.ADJ_PREFIX):]) for p in tan_params]
    prologue = [retarget(line) for line in prologue]

    w = SourceWriter()
    head = kernel_head(w, gen, name, tan_params, prologue)
    tw.forward(w, body.ir, 1, checkpoints=False)
    return GeneratedSource(name, head, w, refs.refs, gen.deps, gen.parsed)


def retarget(line: str) -> str:
    """A prologue line rebuilding ``adj_s`` from ``adj_s_...`` fields, for tangents."""
    return re.sub(r"\badj_(\w+)", lambda m: tan(m.group(1)), line)


def function_tangent(gen, params, name: str) -> GeneratedSource:
    """``<name>__tan(p..., tan_p...) -> (value, tangent)`` for a function whose forward
    code is ``gen``."""
    gen, names, body = built_function(gen, params, rename=False)
    refs = RefTable(dict(gen.refs))
    tw = TangentWriter(body, refs, names)
    origin = gen.parsed.tree.lineno
    w = SourceWriter()
    w.line(f"def {name}__tan({', '.join(names + [tan(n) for n in names])}):", origin)
    tw.forward(w, body.ir, 1, checkpoints=False)
    if returns_value(body.ir):
        w.line(f"return ({RETURN_VALUE}, {TAN_RETURN})", origin, 1)
    else:
        w.line("return (None, None)", origin, 1)
    return GeneratedSource(name, names, w, refs.refs, gen.deps, gen.parsed)
