"""Helpers that generated kernel code calls (never called by users directly).

The forward code generator rewrites stores and in-place updates into calls of these:

* ``store(base, index, value)`` -> the updated ``base``. On an array it is an ordinary
  element store (and returns the array); on a value type (a vector, matrix, quaternion,
  transform or struct) it returns a copy with one component replaced.
* ``setattr_value(base, "name", value)`` -> a copy of a struct/vector with a field replaced.
* ``inplace_add(base, index, value)`` and friends: ``a[i] += x``. On arrays this is
  Warp's atomic add; on value types a read-modify-store.

Value types register their update rules in the typing floor
(``typing/registry.py``: ``register_value_setitem``, ``register_value_setattr``);
``store`` and ``setattr_value`` look them up there.
"""

from __future__ import annotations

import operator

from numba.core import types
from numba.core.errors import TypingError
from numba.core.imputils import impl_ret_borrowed
from numba.extending import intrinsic

from ..typing.registry import value_setattr_rule, value_setitem_rule
from .atomics import (  # noqa: F401 - re-exported for generated code
    atomic_add,
    atomic_and,
    atomic_or,
    atomic_sub,
    atomic_xor,
    element_pointer,
    emit_atomic,
)
from .intops import (  # noqa: F401 - re-exported for generated code
    assume_nonneg,
    c_div,
    c_rem,
    range_arg,
    tid_lead,
)
from .scalar_math import div, mod  # noqa: F401 - re-exported for generated code

__all__ = [
    "store",
    "setattr_value",
    "inplace_add",
    "inplace_sub",
    "inplace_and",
    "inplace_or",
    "inplace_xor",
]

def _index_types(index):
    return list(index.types) if isinstance(index, types.BaseTuple) else [index]


@intrinsic
def store(typingctx, base, index, value):
    if isinstance(base, types.Array):
        if base.mutable is False:
            raise TypingError("cannot store into a read-only array")
        setitem_sig = typingctx.resolve_function_type(operator.setitem, (base, index, value), {})
        if setitem_sig is None:
            raise TypingError(f"cannot store {value} into an element of {base}")

        def codegen(context, builder, sig, args):
            impl = context.get_function(operator.setitem, setitem_sig)
            cast = [context.cast(builder, v, t, ft)
                    for v, t, ft in zip(args, sig.args, setitem_sig.args)]
            impl(builder, cast)
            return impl_ret_borrowed(context, builder, sig.return_type, args[0])

        return base(base, index, value), codegen
    rule = value_setitem_rule(base)
    if rule is None:
        raise TypingError(f"cannot assign to an element of a value of type {base}")
    return rule(typingctx, base, index, value)


@intrinsic(prefer_literal=True)
def setattr_value(typingctx, base, name, value):
    if not isinstance(name, types.StringLiteral):
        return None
    rule = value_setattr_rule(base)
    if rule is None:
        raise TypingError(f"cannot assign to attribute '{name.literal_value}' of {base}")
    return rule(typingctx, base, name.literal_value, value)


def _inplace(op_name: str, op):
    """``base[index] op= value``: atomic on arrays, read-modify-store on value types.

    An intrinsic (inlined), so that on CUDA no device function returns an array.
    """

    @intrinsic
    def fn(typingctx, base, index, value):
        if isinstance(base, types.Array):
            idx = _index_types(index)
            if len(idx) != base.ndim or not all(isinstance(t, types.Integer) for t in idx):
                raise TypingError(f"'{op_name}=' on a {base.ndim}-D array element needs "
                                f"{base.ndim} integer indices")

            def codegen(context, builder, sig, args):
                if isinstance(sig.args[1], types.BaseTuple):
                    idx_vals = [builder.extract_value(args[1], k) for k in range(len(idx))]
                else:
                    idx_vals = [args[1]]
                ptr = element_pointer(context, builder, base, args[0], idx, idx_vals)
                val = context.cast(builder, args[2], sig.args[2], base.dtype)
                emit_atomic(context, builder, op_name, base.dtype, ptr, val)
                return impl_ret_borrowed(context, builder, base, args[0])

            return base(base, index, value), codegen

        def update(b, i, v):
            return store(b, i, op(b[i], v))

        def codegen(context, builder, sig, args):
            return context.compile_internal(builder, update, sig, args)

        return base(base, index, value), codegen

    return fn


inplace_add = _inplace("add", operator.add)
inplace_sub = _inplace("sub", operator.sub)
inplace_and = _inplace("and", operator.and_)
inplace_or = _inplace("or", operator.or_)
inplace_xor = _inplace("xor", operator.xor)
