"""Adjoints of building values: scalar casts and vector/matrix/quaternion/struct constructors.

A constructor's result is its arguments' components laid side by side (a ``vec3`` from
three scalars, a ``transform`` from a ``vec3`` and a ``quat``, a struct from its fields),
so each argument's adjoint is its slice of the result's adjoint. Two other forms: one
scalar filling every component (its adjoint is the sum), and one value converted to
another type of the same size (component-wise).

The generated backward code calls ``adj_construct((args...), ret, adj_ret)``.
"""

from __future__ import annotations

from numba.core import types
from numba.core.errors import TypingError
from numba.extending import intrinsic, overload

from ..typing.mat import MatType
from ..typing.structs import StructType
from ..typing.vec import VecType

__all__ = ["adj_cast", "adj_construct"]


def adj_cast(x, ret, adj_ret):
    """Reverse of a scalar conversion ``T(x)``: the adjoint passes through (cast back)."""
    return (adj_ret,)


@overload(adj_cast, target="generic", strict=False)
def _ol_adj_cast(x, ret, adj_ret):
    return lambda x, ret, adj_ret: (adj_ret,)


def _count(t):
    if isinstance(t, MatType):
        return t.count
    if isinstance(t, VecType):
        return t.length
    return None


def _scalar(t):
    return isinstance(t, (types.Number, types.Boolean))


@intrinsic
def adj_construct(typingctx, args, ret, adj_ret):
    """Contributions to each constructor argument from the result's adjoint."""
    if not isinstance(args, types.BaseTuple):
        raise TypingError("adj_construct takes the arguments as a tuple")
    arg_types = list(args.types)
    k = len(arg_types)
    if isinstance(ret, StructType):
        fields = [ft for _, ft in ret.members]
        if k not in (0, len(fields)):
            raise TypingError(f"cannot differentiate building {ret} from {k} values")
        out_types = fields[:k]

        def codegen(context, builder, sig, llargs):
            vals = [builder.extract_value(llargs[2], i) for i in range(k)]
            return context.make_tuple(builder, sig.return_type, vals)

        return types.Tuple(out_types)(args, ret, adj_ret), codegen

    n = _count(ret)
    if n is None:
        raise TypingError(f"no adjoint for constructing a {ret}")
    dt = ret.dtype
    if k == 1 and _scalar(arg_types[0]) and n > 1:
        mode = "fill"
        out_types = [dt]
    elif k == 1 and _count(arg_types[0]) == n:
        mode = "convert"
        out_types = [arg_types[0]]
    else:
        total = sum(1 if _scalar(t) else (_count(t) or 0) for t in arg_types)
        if total != n or any(not _scalar(t) and _count(t) is None for t in arg_types):
            raise TypingError(f"cannot differentiate building a {ret} from "
                              f"({', '.join(map(str, arg_types))})")
        mode = "concat"
        out_types = [dt if _scalar(t) else t for t in arg_types]

    def codegen(context, builder, sig, llargs):
        adj = llargs[2]
        comps = [builder.extract_value(adj, i) for i in range(n)]
        if mode == "fill":
            s = comps[0]
            for c in comps[1:]:
                s = builder.fadd(s, c) if isinstance(dt, types.Float) else builder.add(s, c)
            vals = [s]
        else:
            vals, off = [], 0
            for t in out_types:
                if _scalar(t):
                    vals.append(comps[off])
                    off += 1
                    continue
                m = _count(t)
                agg = context.get_constant_undef(t)
                for i in range(m):
                    agg = builder.insert_value(
                        agg, context.cast(builder, comps[off + i], dt, t.dtype), i)
                vals.append(agg)
                off += m
        return context.make_tuple(builder, sig.return_type, vals)

    return types.Tuple(out_types)(args, ret, adj_ret), codegen
