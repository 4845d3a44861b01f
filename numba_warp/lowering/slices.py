"""Slices of vectors and matrices in kernels: ``v[1:3]``, ``v[::-1]``, ``m[0, 1:]``,
``m[1:, :2]``, ``m[:, 1]``, ``m[1:3]``, and stores into them (``v[1:3] = w``).

The code generator (``frontend/slices.py``) writes a subscript whose index holds a slice
with constant bounds and step as::

    getslice(x, "<spec>", (runtime int indices...))
    x = setslice(x, value, "<spec>", (runtime int indices...))

``spec`` lists the index positions, separated by ``,``: ``start:stop:step`` (a part left
out is empty), an integer constant, or ``#`` (the next run-time integer of the tuple).
Bounds follow Python's ``slice.indices`` (negative bounds count from the end, bounds
past the ends are clipped), as Warp 1.19 does. Results, as in Warp: a slice of any
vector-family value (quaternions and transforms included) is a plain vector; a matrix
indexed with one slice and one integer gives a vector, with slices only a matrix
(``m[1:3]`` keeps every column).

A store takes a value of exactly the selection's type (shape and dtype), as Warp
requires. The adjoint rules route gradients through the selected components only:
``getslice`` scatters its result's adjoint, ``setslice`` gathers the value's adjoint and
clears those components of the base's. Arrays (and anything else Numba can slice) fall
back to Numba's own slicing, with no gradient, as before.
"""

from __future__ import annotations

from numba.core import cgutils, types
from numba.core.errors import TypingError
from numba.extending import intrinsic, overload

from ..typing.mat import MatType, matrix_class
from ..typing.scalars import scalar_class_for
from ..typing.vec import RUNTIME_SLICE_MESSAGE, VecType, pack, vector_class
from .adjoint_values import adj_zero
from .builtin import JIT
from .registry import adjoint

__all__ = ["getslice", "setslice", "parse_slice_spec", "slice_plan"]


def parse_slice_spec(spec: str) -> list:
    """The positions of a spec: ``slice`` objects, ints, or ``"#"`` (run-time ints)."""
    out = []
    for part in spec.split(","):
        if part == "#":
            out.append("#")
        elif ":" in part:
            bounds = [int(p) if p else None for p in part.split(":")]
            out.append(slice(*bounds))
        else:
            out.append(int(part))
    return out


def _describe(positions) -> str:
    def one(p):
        if isinstance(p, slice):
            parts = ["" if v is None else str(v) for v in (p.start, p.stop, p.step)]
            return ":".join(parts[:2]) + (f":{parts[2]}" if parts[2] else "")
        return "i" if p == "#" else str(p)

    return "[" + ", ".join(one(p) for p in positions) + "]"


def _axis(position, n: int, axis: int, t, positions):
    """(kept, selection) for one axis of size ``n``: the selected indices of a slice
    (kept), or ``[("const", i)]``/``[("runtime", k)]`` for an integer (dropped)."""
    if isinstance(position, slice):
        if position.step == 0:
            raise TypingError(f"slice step cannot be zero in {t}{_describe(positions)}")
        picked = list(range(*position.indices(n)))
        if not picked:
            raise TypingError(f"{t}{_describe(positions)} selects no components (axis {axis} "
                              f"has {n}); a slice of a vector or matrix must select at least one")
        return True, [("const", i) for i in picked]
    if position == "#":
        return False, [("runtime", None)]
    if not -n <= position < n:
        raise TypingError(f"index {position} is out of range for axis {axis} of {t} "
                          f"(size {n})")
    return False, [("const", position % n)]


def slice_plan(t, spec: str):
    """(result type, [(row, col) per result component]) for ``t[spec]``; each of row and
    col is ``("const", i)`` or ``("runtime", k)`` (the k-th run-time index), col is None
    for vectors."""
    positions = parse_slice_spec(spec)
    dtype_cls = scalar_class_for(t.dtype)
    if isinstance(t, VecType):
        if len(positions) != 1:
            raise TypingError(f"{t} has one axis, indexed with {len(positions)}: "
                              f"{t}{_describe(positions)}")
        _, rows = _axis(positions[0], t.length, 0, t, positions)
        return vector_class(len(rows), dtype_cls)._numba_type, [(r, None) for r in rows]
    if len(positions) > 2:
        raise TypingError(f"{t} has two axes, indexed with {len(positions)}: "
                          f"{t}{_describe(positions)}")
    positions = positions + [slice(None)] * (2 - len(positions))
    runtime = 0
    axes = []
    for axis, (p, n) in enumerate(zip(positions, t.shape)):
        kept, sel = _axis(p, n, axis, t, positions)
        if sel[0][0] == "runtime":
            sel = [("runtime", runtime)]
            runtime += 1
        axes.append((kept, sel))
    (kept_r, rows), (kept_c, cols) = axes
    comps = [(r, c) for r in rows for c in cols]
    if kept_r and kept_c:
        result = matrix_class((len(rows), len(cols)), dtype_cls)._numba_type
    else:
        result = vector_class(len(rows) if kept_r else len(cols), dtype_cls)._numba_type
    return result, comps


def _runtime_indices(context, builder, ints_ty, ints, sizes):
    """The run-time indices as intp, negative ones wrapped (``sizes``: their axis size)."""
    out = []
    for k, n in enumerate(sizes):
        i = context.cast(builder, builder.extract_value(ints, k), ints_ty[k], types.intp)
        neg = builder.icmp_signed("<", i, i.type(0))
        out.append(builder.select(neg, builder.add(i, i.type(n)), i))
    return out


def _flat_positions(context, builder, t, comps, ints_ty, ints):
    """Per selected component: its flat (row-major) index, an int or an LLVM intp."""
    if isinstance(t, VecType):
        return [r[1] for r, _ in comps]
    cols = t.shape[1]
    runtime_axes = sorted({(part[1], axis) for rc in comps for axis, part in enumerate(rc)
                           if part[0] == "runtime"})
    sizes = [t.shape[axis] for _, axis in runtime_axes]
    vals = _runtime_indices(context, builder, ints_ty, ints, sizes)
    out = []
    for r, c in comps:
        if r[0] == "const" and c[0] == "const":
            out.append(r[1] * cols + c[1])
            continue
        rv = vals[r[1]] if r[0] == "runtime" else context.get_constant(types.intp, r[1])
        cv = vals[c[1]] if c[0] == "runtime" else context.get_constant(types.intp, c[1])
        out.append(builder.add(builder.mul(rv, rv.type(cols)), cv))
    return out


def _check_args(x, spec, ints):
    if not isinstance(spec, types.StringLiteral):
        raise TypingError("internal error: a slice's spec must be a constant string")
    if not (isinstance(ints, types.BaseTuple) and all(isinstance(i, types.Integer)
                                                     for i in ints)):
        raise TypingError(f"the integer indices next to a slice must be integers, got {ints}")


@intrinsic(prefer_literal=True)
def _get(typingctx, x, spec, ints):
    _check_args(x, spec, ints)
    result, comps = slice_plan(x, spec.literal_value)

    def codegen(context, builder, sig, args):
        flats = _flat_positions(context, builder, x, comps, ints, args[2])
        slot = None
        values = []
        for f in flats:
            if isinstance(f, int):
                values.append(builder.extract_value(args[0], f))
                continue
            if slot is None:
                slot = cgutils.alloca_once_value(builder, args[0])
            values.append(builder.load(builder.gep(slot, [f.type(0), f])))
        return pack(context, builder, result, values)

    return result(x, spec, ints), codegen


@intrinsic(prefer_literal=True)
def _set(typingctx, x, value, spec, ints):
    _check_args(x, spec, ints)
    result, comps = slice_plan(x, spec.literal_value)
    if value != result:
        what = "vector" if isinstance(result, VecType) else "matrix"
        raise TypingError(
            f"cannot store a {value} into {x}{_describe(parse_slice_spec(spec.literal_value))}: "
            f"the slice is a {result} ({what} of {len(comps)} {result.dtype} components), and "
            f"the value must be exactly that type (as in Warp)")

    def codegen(context, builder, sig, args):
        flats = _flat_positions(context, builder, x, comps, ints, args[3])
        out = args[0]
        slot = None
        for k, f in enumerate(flats):
            comp = builder.extract_value(args[1], k)
            if isinstance(f, int) and slot is None:
                out = builder.insert_value(out, comp, f)
                continue
            if slot is None:
                slot = cgutils.alloca_once_value(builder, out)
            if isinstance(f, int):
                f = context.get_constant(types.intp, f)
            builder.store(comp, builder.gep(slot, [f.type(0), f]))
        return builder.load(slot) if slot is not None else out

    return x(x, value, spec, ints), codegen


def getslice(x, spec, ints):
    """``x[<slice>]`` in kernels (written by the code generator; see the module doc)."""
    raise RuntimeError("getslice is written by the kernel code generator")


def setslice(x, value, spec, ints):
    """``x[<slice>] = value`` in kernels: a copy of ``x`` with the selection replaced."""
    raise RuntimeError("setslice is written by the kernel code generator")


def _fallback_source(spec: str, n_ints: int) -> str:
    """``x[...]`` for types Numba slices itself (arrays, tuples)."""
    parts, k = [], 0
    for p in parse_slice_spec(spec):
        if p == "#":
            parts.append(f"ints[{k}]")
            k += 1
        elif isinstance(p, slice):
            parts.append(":".join("" if v is None else str(v) for v in (p.start, p.stop,
                                                                         p.step)))
        else:
            parts.append(str(p))
    return f"def impl(x, spec, ints):\n    return x[{', '.join(parts)}]\n"


_fallbacks: dict = {}


@overload(getslice, target="generic", prefer_literal=True, jit_options=JIT)
def _ol_getslice(x, spec, ints):
    if not isinstance(spec, types.StringLiteral) or not isinstance(ints, types.BaseTuple):
        return None
    if isinstance(x, types.Array):
        raise TypingError("slices of arrays are not supported in kernels; index single "
                          "elements, or slice arrays at Python scope")
    if spec.literal_value == "?":  # a bound or step known only at run time
        raise TypingError(RUNTIME_SLICE_MESSAGE.format(t=x))
    if isinstance(x, (VecType, MatType)):
        return lambda x, spec, ints: _get(x, spec, ints)
    key = (spec.literal_value, len(ints))
    impl = _fallbacks.get(key)
    if impl is None:
        scope: dict = {}
        exec(_fallback_source(*key), scope)  # noqa: S102 - source built from the spec above
        impl = _fallbacks[key] = scope["impl"]
    return impl


@overload(setslice, target="generic", prefer_literal=True, jit_options=JIT)
def _ol_setslice(x, value, spec, ints):
    if isinstance(x, (VecType, MatType)):
        return lambda x, value, spec, ints: _set(x, value, spec, ints)
    raise TypingError(f"slice assignment works on vectors and matrices in kernels, not on "
                      f"a {x}")


@adjoint(getslice, typed=True)
def adj_getslice(x, spec, ints, ret, adj_ret):
    if isinstance(x, (VecType, MatType)):
        def impl(x, spec, ints, ret, adj_ret):
            return _set(adj_zero(x), adj_ret, spec, ints), None, None

        return impl
    return lambda x, spec, ints, ret, adj_ret: (None, None, None)


@adjoint(setslice, typed=True)
def adj_setslice(x, value, spec, ints, ret, adj_ret):
    def impl(x, value, spec, ints, ret, adj_ret):
        return (_set(adj_ret, adj_zero(value), spec, ints), _get(adj_ret, spec, ints), None,
                None)

    return impl
