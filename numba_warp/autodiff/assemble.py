"""Backward functions for kernels and ``@wp.func``s: the adjoint compiler's entry points.

Each runs the passes in order: build the IR (``build.py``), analyse it
(``analysis.py``), write the replay and reverse parts (``writer.py``), and puts them
under the function heads here. The result is a ``frontend.emit.GeneratedSource``.

A kernel's backward body takes the forward parameters, then one adjoint per array
parameter (its gradient array, or an empty stand-in) and per struct parameter (a struct
whose arrays are the gradients), then ``_wp_retain`` (``naming.RETAIN``), a bit mask of
the array parameters made with ``retain_grad=True``.

A function ``f(p...)`` gets two companions: ``f__adj(p..., adj_p..., adj_ret)``, which
replays ``f`` and returns the contributions to its parameters' adjoints (arrays receive
theirs in place, through the gradient arrays passed in ``adj_p``), and ``f__rep(p...)``,
which recomputes ``f``'s value without its side effects (array writes, atomics, prints),
for the replay of its callers.
"""

from __future__ import annotations

import ast
import copy

from ..frontend.emit import GeneratedSource, SourceWriter
from ..frontend.naming import ADJ_RET, DIMS, RETAIN, RETURN_VALUE, TID, adj
from ..frontend.naming import is_adjoint_name, renamed_adjoint
from .analysis import Facts
from .build import build_ir
from .ir import If, Loop, Return
from .writer import BackwardWriter, RefTable

__all__ = ["kernel_backward", "function_backward", "built_kernel", "built_function"]


def built_kernel(gen, arg_names, arg_specs, rename: bool = True):
    """The IR of a kernel's forward code ``gen``: (``gen`` with variables named like
    adjoints renamed when ``rename``, the parameter names, their kinds, the built body,
    the array and struct parameters)."""
    if rename:
        gen, renamed = _without_adj_names(gen, arg_names)
        arg_names = [renamed.get(n, n) for n in arg_names]
    kinds = dict(zip(arg_names, (s.kind for s in arg_specs)))
    array_params = [n for n in arg_names if kinds[n] == "array"]
    struct_params = [n for n in arg_names if kinds[n] == "struct"]
    body = build_ir(gen, is_kernel=True, param_names=[TID, *DIMS, *arg_names],
                    array_params=array_params, struct_params=struct_params)
    return gen, arg_names, kinds, body, array_params + struct_params


def built_function(gen, params, rename: bool = True):
    """The IR of a function's forward code ``gen``: (``gen``, renamed as
    ``built_kernel``'s, the parameter names, the built body)."""
    if rename:
        gen, renamed = _without_adj_names(gen, [n for n, _ in params])
        params = [(renamed.get(n, n), s) for n, s in params]
    names = [n for n, _ in params]
    body = build_ir(gen, is_kernel=False, param_names=names,
                    array_params=[n for n, s in params if getattr(s, "kind", "") == "array"],
                    struct_params=[n for n, s in params if getattr(s, "kind", "") == "struct"],
                    prologue=gen.prologue)
    return gen, names, body


def kernel_backward(gen, arg_names, arg_specs, name: str) -> GeneratedSource:
    """The backward body of a kernel whose forward code is ``gen``; its ``params`` are
    all the body's parameters, the thread index and launch dimensions first."""
    gen, arg_names, kinds, body, _ = built_kernel(gen, arg_names, arg_specs)
    array_params = [n for n in arg_names if kinds[n] == "array"]
    facts = Facts(body, is_kernel=True,
                  scalar_params=[n for n in arg_names if kinds[n] == "scalar"])
    refs = RefTable(dict(gen.refs))
    # arrays each thread touches only at its own index: their gradient elements live in
    # locals for the reverse pass (one load, one store) instead of memory operations
    bw = BackwardWriter(body, facts, refs, retain_var=RETAIN,
                        retain_bits={n: k for k, n in enumerate(arg_names)
                                     if kinds[n] == "array"},
                        owned=[r for r in sorted(facts.exclusive) if r in array_params])
    adj_params, adj_prologue = adjoint_params(arg_names, arg_specs, refs)

    w = SourceWriter()
    origin = gen.parsed.tree.lineno
    head = kernel_head(w, gen, name, adj_params, adj_prologue)
    zero = bw.h["adj_zero"]
    for n in [TID, *DIMS] + [n for n in arg_names if kinds[n] not in ("array", "struct")]:
        w.line(f"{adj(n)} = {zero}({n})", origin, 1)
    w.line("# -- replay of the forward pass --", None, 1)
    bw.forward(w, body.ir, 1, checkpoints=True)
    w.line("# -- reverse pass --", None, 1)
    bw.load_owned(w, 1)
    bw.reverse(w, body.ir, 1)
    bw.store_owned(w, 1)
    return GeneratedSource(name, head, w, refs.refs, gen.deps, gen.parsed)


def kernel_head(w: SourceWriter, gen, name: str, extra_params, extra_prologue) -> list:
    """Write the head of a kernel's generated backward or tangent body: the forward
    parameters, ``extra_params`` and ``_wp_retain``, then the forward prologue and
    ``extra_prologue``. Returns the parameters."""
    origin = gen.parsed.tree.lineno
    head = [TID, *DIMS, *gen.params, *extra_params, RETAIN]
    w.line(f"def {name}({', '.join(head)}):", origin)
    for stmt in gen.prologue:
        w.line(ast.unparse(stmt), origin, 1)
    for line in extra_prologue:
        w.line(line, origin, 1)
    return head


def adjoint_params(arg_names, arg_specs, refs: RefTable):
    """(the adjoint parameters of a kernel's backward body, prologue lines rebuilding
    the adjoints of struct parameters from their flattened fields)."""
    adj_params: list[str] = []
    adj_prologue: list[str] = []
    for n, spec in zip(arg_names, arg_specs):
        if spec.kind == "array":
            adj_params.append(adj(n))
        elif spec.kind == "struct":
            flat, rebuild = spec.flatten(adj(n), lambda obj, hint: ast.Name(
                refs.ref(obj, hint), ast.Load()))
            adj_params.extend(flat)
            adj_prologue.append(f"{adj(n)} = {ast.unparse(rebuild)}")
    return adj_params, adj_prologue


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
    for name in sorted(n for n in used if is_adjoint_name(n)):
        new, k = renamed_adjoint(name), 0
        while new in used:
            k += 1
            new = renamed_adjoint(name, k)
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
    out.tid_names = [mapping.get(n, n) for n in gen.tid_names]
    return out, mapping


def function_backward(gen, params, name: str) -> GeneratedSource:
    """``<name>__adj`` and ``<name>__rep`` for a function whose forward code is ``gen``."""
    gen, names, body = built_function(gen, params)
    facts = Facts(body, is_kernel=False)
    refs = RefTable(dict(gen.refs))
    origin = gen.parsed.tree.lineno
    w = SourceWriter()

    bw = BackwardWriter(body, facts, refs)
    adjs = [adj(n) for n in names]
    w.line(f"def {name}__adj({', '.join(names + adjs + [ADJ_RET])}):", origin)
    w.line("# -- replay --", None, 1)
    bw.forward(w, body.ir, 1, checkpoints=True)
    w.line("# -- reverse --", None, 1)
    bw.reverse(w, body.ir, 1)
    w.line(f"return ({''.join(a + ', ' for a in adjs)})", origin, 1)
    w.blank()
    w.blank()

    w.line(f"def {name}__rep({', '.join(names)}):", origin)
    rep = BackwardWriter(body, facts, refs, replay_returns=True)
    rep.forward(w, body.ir, 1, checkpoints=False)
    w.line(f"return {RETURN_VALUE}" if returns_value(body.ir) else "return None", origin, 1)
    return GeneratedSource(name, names, w, refs.refs, gen.deps, gen.parsed)


def returns_value(block) -> bool:
    for st in block:
        if isinstance(st, Return) and st.value != "None":
            return True
        if isinstance(st, If) and (returns_value(st.then) or returns_value(st.orelse)):
            return True
        if isinstance(st, Loop) and returns_value(st.body):
            return True
    return False
