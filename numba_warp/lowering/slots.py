"""Augmented assignment to a component of an array element, atomic as in Warp.

``v[i].x += r``, ``m[i][1, 1] -= r``, ``s[i].vel[2] += r`` update one scalar inside an
element of an array parameter. Warp makes that update atomic, so many threads may add to
the same component. The code generator writes such a statement as::

    slot_add(v, (i, <component indices>...), r, "<n>:<steps>")

``idx`` holds the element's indices then the run-time indices of the component path;
the literal ``spec`` says how the path goes: ``n`` indices select the element (fewer
than the array's dimensions: the next index steps complete it, ``a[i][j]``), then steps
separated by ``|``: ``.name`` (a struct field or a vector's ``x``/``y``/``z``/``w``),
``#`` (one index) or ``#,#`` (a matrix entry).

When the component is an int32/uint32/int64/uint64/float32/float64 (integers only for
``&``, ``|``, ``^``) the update is an atomic read-modify-write on the component's address
(LLVM ``atomicrmw`` on the CPU, ``atom.global`` on CUDA). Other components (float16,
small integers, fields of other value types) are loaded, updated and stored back, as
before; that matches Warp, which has no atomics for them either.
"""

from __future__ import annotations

from llvmlite import ir
from numba.core import types
from numba.core.errors import TypingError
from numba.core.imputils import impl_ret_borrowed
from numba.extending import intrinsic, overload

from ..typing.mat import MatType
from ..typing.structs import StructType
from ..typing.vec import COMPONENT_NAMES, VecType
from . import operators
from .atomics import (
    ATOMIC_SCALARS,
    INT_ONLY_OPS,
    element_pointer,
    emit_atomic,
    register_elementwise_atomic,
)
from .kernel_helpers import setattr_value, store

__all__ = [
    "component_type",
    "parse_spec",
    "slot_add",
    "slot_and",
    "slot_load",
    "slot_or",
    "slot_sub",
    "slot_xor",
]


def parse_spec(spec: str):
    """(number of element indices, [(".", name) | ("#", count)])."""
    head, _, rest = spec.partition(":")
    steps = []
    for step in rest.split("|") if rest else []:
        if step.startswith("."):
            steps.append((".", step[1:]))
        else:
            steps.append(("#", step.count("#")))
    return int(head), steps


def _walk(arr: types.Array, spec: str):
    """The component's type and a plan to reach it: ("elem", n indices) then
    ("gep", field/component number) / ("gep_idx", k, scale) steps; None when the path
    goes through something that is not stored in place (then the slower path is used)."""
    n_root, steps = parse_spec(spec)
    n_elem = n_root
    plan = []
    t = arr.dtype if n_elem == arr.ndim else None
    pending_row = None  # a matrix row selected by one index: (matrix type)
    for kind, arg in steps:
        if t is None:  # still completing the element's indices (a[i][j] on a 2-D array)
            if kind != "#" or n_elem + arg > arr.ndim:
                raise TypingError(f"cannot update '{spec}' of an element of {arr}")
            n_elem += arg
            if n_elem == arr.ndim:
                t = arr.dtype
            continue
        if pending_row is not None:
            mat = pending_row
            pending_row = None
            if kind == "#" and arg == 1:
                plan.append(("row_col", mat.shape[1]))
            elif kind == "." and arg in "xyzw"[: mat.shape[1]]:
                plan.append(("row_const", mat.shape[1], "xyzw".index(arg)))
            else:
                return None
            t = mat.dtype
        elif isinstance(t, StructType) and kind == ".":
            names = [n for n, _ in t.members]
            if arg not in names:
                raise TypingError(f"struct {t.descriptor.qualname} has no field '{arg}'")
            plan.append(("field", names.index(arg)))
            t = dict(t.members)[arg]
        elif isinstance(t, VecType) and kind == "." and arg in COMPONENT_NAMES.get(t.kind, ""):
            plan.append(("const", COMPONENT_NAMES[t.kind].index(arg)))
            t = t.dtype
        elif isinstance(t, VecType) and kind == "#" and arg == 1:
            plan.append(("index", 1))
            t = t.dtype
        elif isinstance(t, MatType) and kind == "#" and arg == 2:
            plan.append(("entry", t.shape[1]))
            t = t.dtype
        elif isinstance(t, MatType) and kind == "#" and arg == 1:
            pending_row = t
        else:
            return None
    if t is None or pending_row is not None:
        return None
    if n_elem != arr.ndim:
        return None
    return t, n_elem, plan


def component_type(arr: types.Array, spec: str):
    """The type of the component ``spec`` names (None when not a stored scalar)."""
    walked = _walk(arr, spec)
    return walked[0] if walked else None


def _component_pointer(context, builder, sig, args, n_elem, plan):
    arrty, idxty = sig.args[0], sig.args[1]
    vals = [builder.extract_value(args[1], k) for k in range(len(idxty))]
    ptr = element_pointer(context, builder, arrty, args[0], list(idxty)[:n_elem], vals[:n_elem])
    rest = [context.cast(builder, v, t, types.intp)
            for v, t in zip(vals[n_elem:], list(idxty)[n_elem:])]
    zero = ir.Constant(ir.IntType(32), 0)
    for step in plan:
        kind = step[0]
        if kind in ("field", "const"):
            ptr = builder.gep(ptr, [zero, ir.Constant(ir.IntType(32), step[1])], inbounds=True)
            continue
        if kind == "index":
            k = rest.pop(0)
        elif kind == "entry" or kind == "row_col":
            r, c = rest.pop(0), rest.pop(0)
            k = builder.add(builder.mul(r, ir.Constant(r.type, step[1])), c)
        else:  # row_const: a row then .x/.y/...
            r = rest.pop(0)
            k = builder.add(builder.mul(r, ir.Constant(r.type, step[1])),
                            ir.Constant(r.type, step[2]))
        ptr = builder.gep(ptr, [zero, k], inbounds=True)
    return ptr


def _getter(spec: str, base: str = "a") -> tuple[str, list[str]]:
    """Python for reading the component (``a[idx[0]].vel[idx[1]]``) and the chain of
    expressions from the element down to it."""
    n_root, steps = parse_spec(spec)
    k = n_root
    expr = f"{base}[{', '.join(f'idx[{j}]' for j in range(n_root))}]"
    chain = [expr]
    for kind, arg in steps:
        if kind == ".":
            expr = f"{expr}.{arg}"
        else:
            expr = f"{expr}[{', '.join(f'idx[{j}]' for j in range(k, k + arg))}]"
            k += arg
        chain.append(expr)
    return expr, chain


_SLOW: dict = {}


def _slow_update(spec: str, op_name: str):
    """``a[...]...component = op(component, v)``, written with the functional helpers."""
    key = (spec, op_name)
    fn = _SLOW.get(key)
    if fn is None:
        _, chain = _getter(spec)
        n_root, steps = parse_spec(spec)
        lines = ["def f(a, idx, v, spec):", f"    new = op({chain[-1]}, v)"]
        k = n_root + sum(arg for kind, arg in steps if kind == "#")
        for depth in range(len(steps) - 1, -1, -1):
            kind, arg = steps[depth]
            if kind == ".":
                lines.append(f"    new = setattr_value({chain[depth]}, '{arg}', new)")
            else:
                k -= arg
                index = ", ".join(f"idx[{j}]" for j in range(k, k + arg))
                index = index if arg == 1 else f"({index})"
                lines.append(f"    new = store({chain[depth]}, {index}, new)")
        root = ", ".join(f"idx[{j}]" for j in range(n_root))
        lines.append(f"    a[{root}] = new")
        lines.append("    return a")
        scope = {"op": getattr(operators, op_name), "setattr_value": setattr_value, "store": store}
        exec("\n".join(lines), scope)  # noqa: S102 - generated from the fixed grammar above
        fn = _SLOW[key] = scope["f"]
    return fn


def _make(op: str, op_name: str):
    @intrinsic(prefer_literal=True)
    def slot(typingctx, arr, idx, value, spec):
        if not (isinstance(arr, types.Array) and isinstance(spec, types.StringLiteral)
                and isinstance(idx, types.BaseTuple)
                and all(isinstance(t, types.Integer) for t in idx)):
            return None
        if arr.mutable is False:
            raise TypingError("cannot update an element of a read-only array")
        sig = arr(arr, idx, value, spec)
        walked = _walk(arr, spec.literal_value)
        comp = walked[0] if walked else None
        atomic = comp in ATOMIC_SCALARS and not (op in INT_ONLY_OPS and
                                                   isinstance(comp, types.Float))
        if not atomic:
            slow = _slow_update(spec.literal_value, op_name)

            def slow_codegen(context, builder, sig, args):
                return context.compile_internal(builder, slow, sig, args)

            return sig, slow_codegen
        _, n_elem, plan = walked

        def codegen(context, builder, sig, args):
            ptr = _component_pointer(context, builder, sig, args, n_elem, plan)
            val = context.cast(builder, args[2], sig.args[2], comp)
            emit_atomic(context, builder, op, comp, ptr, val)
            return impl_ret_borrowed(context, builder, sig.return_type, args[0])

        return sig, codegen

    slot.__name__ = f"slot_{op}"
    return slot


slot_add = _make("add", "add")
slot_sub = _make("sub", "sub")
slot_and = _make("and", "bit_and")
slot_or = _make("or", "bit_or")
slot_xor = _make("xor", "bit_xor")

_LOADS: dict = {}


def slot_load(a, idx, spec):
    """The component ``spec`` of ``a``'s element (the adjoint of a slot update reads it
    from the gradient array)."""


def _ol_slot_load(a, idx, spec):
    if not isinstance(spec, types.StringLiteral):
        return None
    fn = _LOADS.get(spec.literal_value)
    if fn is None:
        expr, _ = _getter(spec.literal_value)
        scope: dict = {}
        exec(f"def f(a, idx, spec):\n    return {expr}\n", scope)  # noqa: S102
        fn = _LOADS[spec.literal_value] = scope["f"]
    return fn


overload(slot_load, target="generic", prefer_literal=True)(_ol_slot_load)


# ---------------------------------------------------------------------------------------
# Atomic add/sub of a whole struct into an array element: field by field (the gradient of
# an array of structs accumulates this way); non-float fields are left as they are
# ---------------------------------------------------------------------------------------


def _struct_atomic(context, builder, op, dtype, ptr, val):
    old = context.data_model_manager[dtype].load_from_data_pointer(builder, ptr)
    zero = ir.Constant(ir.IntType(32), 0)
    for k, (_, ft) in enumerate(dtype.members):
        scalar = ft.dtype if isinstance(ft, (VecType, MatType)) else ft
        if not (isinstance(ft, StructType) or (isinstance(scalar, types.Float) and
                                               scalar in ATOMIC_SCALARS)):
            continue  # integers, booleans, float16, arrays: no gradient to accumulate
        fptr = builder.gep(ptr, [zero, ir.Constant(ir.IntType(32), k)], inbounds=True)
        emit_atomic(context, builder, op, ft, fptr, builder.extract_value(val, k))
    return old


register_elementwise_atomic(StructType, _struct_atomic)
