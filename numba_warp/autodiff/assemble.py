"""Backward functions for kernels and ``@wp.func``s, assembled from the IR.

A kernel's backward body takes the forward parameters, then one adjoint per array
parameter (its gradient array, or an empty stand-in) and per struct parameter (a struct
whose arrays are the gradients), then ``_wp_retain``, a bit mask of the array
parameters made with ``retain_grad=True``.

A function ``f(p...)`` gets two companions: ``f__adj(p..., adj_p..., adj_ret)``, which
replays ``f`` and returns the contributions to its parameters' adjoints (arrays receive
theirs in place, through the gradient arrays passed in ``adj_p``), and ``f__rep(p...)``,
which recomputes ``f``'s value without its side effects (array writes, atomics, prints),
for the replay of its callers.
"""

from __future__ import annotations

import ast
import copy

from ..frontend.codegen import DIMS, TID
from ..frontend.emit import SourceWriter
from .transform import ADJ_RET, AdjointInfo, BackwardWriter, build_ir

__all__ = ["BackwardSource", "kernel_backward", "function_backward"]


class BackwardSource:
    """Generated backward source, its globals, a line map and what the kernel takes."""

    def __init__(self, name, writer: SourceWriter, refs: dict, parsed, params, deps):
        self.name = name
        self.writer = writer
        self.refs = refs
        self.parsed = parsed
        self.params = params
        self.deps = deps

    @property
    def source(self) -> str:
        return self.writer.source()


def kernel_backward(gen, arg_names, arg_specs, name: str) -> BackwardSource:
    """The backward body of a kernel whose forward code is ``gen``."""
    gen, renamed = _without_adj_names(gen, arg_names)
    arg_names = [renamed.get(n, n) for n in arg_names]
    kinds = dict(zip(arg_names, (s.kind for s in arg_specs)))
    array_params = [n for n in arg_names if kinds[n] == "array"]
    struct_params = [n for n in arg_names if kinds[n] == "struct"]
    ir, builder = build_ir(gen, is_kernel=True, param_names=[TID, *DIMS, *arg_names],
                           array_params=array_params, struct_params=struct_params)
    info = AdjointInfo(dict(gen.refs))
    bw = BackwardWriter(builder, info, retain_var="_wp_retain")
    bw.retain_bits = {n: k for k, n in enumerate(arg_names) if kinds[n] == "array"}
    _resolve_retain(ir, bw.retain_bits)
    bw.index_loops(ir)
    # arrays each thread touches only at its own index: their gradient elements live in
    # locals for the reverse pass (one load, one store) instead of memory operations
    bw.owned = tuple(r for r in sorted(builder.exclusive) if r in array_params)

    adj_params: list[str] = []
    adj_prologue: list[str] = []
    for n, spec in zip(arg_names, arg_specs):
        if spec.kind == "array":
            adj_params.append(f"adj_{n}")
        elif spec.kind == "struct":
            flat, rebuild = spec.flatten(f"adj_{n}", lambda obj, hint: ast.Name(
                info.ref(obj, hint), ast.Load()))
            adj_params.extend(flat)
            adj_prologue.append(f"adj_{n} = {ast.unparse(rebuild)}")

    w = SourceWriter()
    origin = gen.parsed.tree.lineno
    head = [TID, *DIMS, *gen.params, *adj_params, "_wp_retain"]
    w.line(f"def {name}({', '.join(head)}):", origin)
    for stmt in gen.prologue:
        w.line(ast.unparse(stmt), origin, 1)
    for line in adj_prologue:
        w.line(line, origin, 1)
    zero = bw.h["adj_zero"]
    for n in [TID, *DIMS] + [n for n in arg_names if kinds[n] not in ("array", "struct")]:
        w.line(f"adj_{n} = {zero}({n})", origin, 1)
    w.line("# -- replay of the forward pass --", None, 1)
    bw.forward(w, ir, 1, checkpoints=True)
    w.line("# -- reverse pass --", None, 1)
    bw.load_owned(w, 1)
    bw.reverse(w, ir, 1)
    bw.store_owned(w, 1)
    return BackwardSource(name, w, info.refs, gen.parsed, head, gen.deps)


def _without_adj_names(gen, param_names):
    """``gen`` with its variables named ``adj_...`` renamed, and the renaming.

    The backward pass names the adjoint of ``x`` ``adj_x``: a parameter (or tid variable)
    of that name would be the same variable. (Other locals named so are renamed as the IR
    is built.) The forward code keeps the user's names.
    """
    used = set(param_names) | set(gen.params)
    for stmt in [*gen.body, *gen.prologue]:
        used.update(n.id for n in ast.walk(stmt) if isinstance(n, ast.Name))
    mapping = {}
    for name in sorted(n for n in used if n.startswith("adj_")):
        new, k = f"p_{name}", 0
        while new in used:
            k += 1
            new = f"p_{name}_{k}"
        used.add(new)
        mapping[name] = new
    if not mapping:
        return gen, mapping

    class Rename(ast.NodeTransformer):
        def visit_Name(self, node):
            node.id = mapping.get(node.id, node.id)
            return node

    out = copy.copy(gen)
    out.body = [Rename().visit(copy.deepcopy(s)) for s in gen.body]
    out.prologue = [Rename().visit(copy.deepcopy(s)) for s in gen.prologue]
    out.params = [mapping.get(n, n) for n in gen.params]
    out.tid_names = [mapping.get(n, n) for n in getattr(gen, "tid_names", [])]
    return out, mapping


def _resolve_retain(block, bits):
    from .ir import If, Loop, StoreArr

    for st in block:
        if isinstance(st, StoreArr):
            st.retain_bit = bits.get(st.retain_bit) if st.retain_bit is not None else None
        elif isinstance(st, If):
            _resolve_retain(st.then, bits)
            _resolve_retain(st.orelse, bits)
        elif isinstance(st, Loop):
            _resolve_retain(st.body, bits)


def function_backward(gen, params, name: str) -> BackwardSource:
    """``<name>__adj`` and ``<name>__rep`` for a function whose forward code is ``gen``."""
    from .ir import If, Loop, Return

    gen, renamed = _without_adj_names(gen, [n for n, _ in params])
    params = [(renamed.get(n, n), s) for n, s in params]
    names = [n for n, _ in params]
    array_params = [n for n, s in params if getattr(s, "kind", "") == "array"]
    struct_params = [n for n, s in params if getattr(s, "kind", "") == "struct"]
    ir, builder = build_ir(gen, is_kernel=False, param_names=names, array_params=array_params,
                           struct_params=struct_params, prologue=gen.prologue)
    info = AdjointInfo(dict(gen.refs))
    bw = BackwardWriter(builder, info)
    bw.index_loops(ir)
    origin = gen.parsed.tree.lineno
    w = SourceWriter()

    adj = [f"adj_{n}" for n in names]
    w.line(f"def {name}__adj({', '.join(names + adj + [ADJ_RET])}):", origin)
    w.line("# -- replay --", None, 1)
    bw.forward(w, ir, 1, checkpoints=True)
    w.line("# -- reverse --", None, 1)
    bw.reverse(w, ir, 1)
    w.line(f"return ({''.join(a + ', ' for a in adj)})", origin, 1)
    w.blank()
    w.blank()

    def returns_value(block):
        for st in block:
            if isinstance(st, Return) and st.value != "None":
                return True
            if isinstance(st, If) and (returns_value(st.then) or returns_value(st.orelse)):
                return True
            if isinstance(st, Loop) and returns_value(st.body):
                return True
        return False

    w.line(f"def {name}__rep({', '.join(names)}):", origin)
    bw.replay_returns = True
    bw.forward(w, ir, 1, checkpoints=False)
    w.line("return _wp_retv" if returns_value(ir) else "return None", origin, 1)
    return BackwardSource(name, w, info.refs, gen.parsed, names, gen.deps)
