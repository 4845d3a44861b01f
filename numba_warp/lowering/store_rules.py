"""Adjoint rules and replays of the code generator's store helpers.

Registered when this module is imported (``lang`` imports it with the builtins).

``store(base, idx, v)``, ``setattr_value(base, name, v)`` and ``inplace_add/sub(base, idx,
v)`` (see ``lowering.kernel_helpers``) update a value functionally (vectors, matrices,
structs) or write an array element in place. For values the reverse is the usual one:
the replaced component's adjoint goes to ``v`` and is cleared in the result's adjoint.
For arrays the "result" is the array itself, whose adjoint is its gradient array: a store
reads (and consumes) the element's gradient, an in-place add reads it. The backward
pass's replay of an array store writes nothing (the forward launch did).
"""

from __future__ import annotations

from numba.core import types
from numba.extending import overload

from ..typing.mat import MatType
from ..typing.structs import StructType
from ..typing.vec import VecType
from . import adjoint_helpers as h
from . import kernel_helpers as kh
from . import slots
from .adjoint_values import adj_zero, holds_arrays
from .registry import nondifferentiable, register_replay, register_rule

__all__: list = []


def adj_store_helper(base, idx, v, ret, adj_ret):
    """Reverse of ``ret = store(base, idx, v)``."""


@overload(adj_store_helper, target="generic", strict=False)
def _ol_store(base, idx, v, ret, adj_ret):
    if isinstance(base, types.Array):
        return lambda base, idx, v, ret, adj_ret: (
            None, None, h.adj_store(base, adj_ret, h.index_tuple(idx), False))
    if isinstance(base, (VecType, MatType)):
        def impl(base, idx, v, ret, adj_ret):
            g = adj_ret[idx]
            return kh.store(adj_ret, idx, h.adj_zero(g)), None, g

        return impl
    return None


def adj_inplace(base, idx, v, ret, adj_ret):
    """Reverse of ``ret = inplace_add(base, idx, v)`` (``base[idx] += v``)."""


@overload(adj_inplace, target="generic", strict=False)
def _ol_inplace(base, idx, v, ret, adj_ret):
    if isinstance(base, types.Array):
        return lambda base, idx, v, ret, adj_ret: (
            None, None, h.adj_atomic_add(base, adj_ret, h.index_tuple(idx)))
    return lambda base, idx, v, ret, adj_ret: (adj_ret, None, adj_ret[idx])


def adj_inplace_sub(base, idx, v, ret, adj_ret):
    """Reverse of ``base[idx] -= v``."""


@overload(adj_inplace_sub, target="generic", strict=False)
def _ol_inplace_sub(base, idx, v, ret, adj_ret):
    if isinstance(base, types.Array):
        return lambda base, idx, v, ret, adj_ret: (
            None, None, h.neg(h.adj_atomic_add(base, adj_ret, h.index_tuple(idx))))
    return lambda base, idx, v, ret, adj_ret: (adj_ret, None, h.neg(adj_ret[idx]))


_SETATTR: dict = {}


def adj_setattr(base, name, v, ret, adj_ret):
    """Reverse of ``ret = setattr_value(base, "name", v)``."""


@overload(adj_setattr, target="generic", strict=False, prefer_literal=True)
def _ol_setattr(base, name, v, ret, adj_ret):
    if not isinstance(name, types.StringLiteral):
        return None
    attr = name.literal_value
    if isinstance(base, StructType) and holds_arrays(dict(base.members)[attr]):
        return lambda base, name, v, ret, adj_ret: (adj_ret, None, None)
    fn = _SETATTR.get(attr)
    if fn is None:
        scope = {"setattr_value": kh.setattr_value, "adj_zero": h.adj_zero}
        exec(f"def f(base, name, v, ret, adj_ret):\n"  # noqa: S102 - fixed template
             f"    g = adj_ret.{attr}\n"
             f"    return setattr_value(adj_ret, '{attr}', adj_zero(g)), None, g\n", scope)
        fn = _SETATTR[attr] = scope["f"]
    return fn


def replay_store(base, idx, v):
    """``store`` in the backward pass's replay: values as usual, arrays untouched."""


@overload(replay_store, target="generic")
def _ol_replay_store(base, idx, v):
    if isinstance(base, types.Array):
        return lambda base, idx, v: base
    return lambda base, idx, v: kh.store(base, idx, v)


def _replay_inplace(helper):
    def replay(base, idx, v):
        """In-place update in the replay: values as usual, arrays untouched."""

    @overload(replay, target="generic")
    def _ol(base, idx, v):
        if isinstance(base, types.Array):
            return lambda base, idx, v: base
        return lambda base, idx, v: helper(base, idx, v)

    replay.__name__ = f"replay_{helper.__name__ if hasattr(helper, '__name__') else 'inplace'}"
    return replay


def adj_slot(base, idx, v, spec, ret, adj_ret):
    """Reverse of ``slot_add(base, idx, v, spec)`` (``base[i].x += v``): v's adjoint is
    the component of the gradient array's element."""


def adj_slot_sub(base, idx, v, spec, ret, adj_ret):
    """Reverse of ``base[i].x -= v``."""


def _slot_rule(sign: str):
    def ol(base, idx, v, spec, ret, adj_ret):
        if not isinstance(spec, types.StringLiteral):
            return None
        if not isinstance(slots.component_type(base, spec.literal_value), types.Float):
            return lambda base, idx, v, spec, ret, adj_ret: (None, None, adj_zero(v), None)
        scope = {"has_grad": h.has_grad, "slot_load": slots.slot_load, "neg": h.neg,
                 "adj_zero": h.adj_zero}
        exec("def f(base, idx, v, spec, ret, adj_ret):\n"  # noqa: S102 - fixed template
             "    if not has_grad(adj_ret):\n"
             "        return None, None, adj_zero(v), None\n"
             f"    return None, None, {sign}(slot_load(adj_ret, idx, spec)), None\n", scope)
        return scope["f"]

    return ol


overload(adj_slot, target="generic", strict=False, prefer_literal=True)(_slot_rule(""))
overload(adj_slot_sub, target="generic", strict=False, prefer_literal=True)(_slot_rule("neg"))


def _replay_slot(base, idx, v, spec):
    """A slot update in the backward pass's replay: the forward launch wrote it."""


@overload(_replay_slot, target="generic", strict=False)
def _ol_replay_slot(base, idx, v, spec):
    return lambda base, idx, v, spec: base


register_rule(kh.store, adj_store_helper)
register_rule(kh.setattr_value, adj_setattr)
register_rule(kh.inplace_add, adj_inplace)
register_rule(kh.inplace_sub, adj_inplace_sub)
nondifferentiable(kh.inplace_and, kh.inplace_or, kh.inplace_xor)
register_rule(slots.slot_add, adj_slot)
register_rule(slots.slot_sub, adj_slot_sub)
nondifferentiable(slots.slot_and, slots.slot_or, slots.slot_xor)
for _helper in (slots.slot_add, slots.slot_sub, slots.slot_and, slots.slot_or,
                slots.slot_xor):
    register_replay(_helper, _replay_slot)
register_replay(kh.store, replay_store)
for _helper in (kh.inplace_add, kh.inplace_sub, kh.inplace_and, kh.inplace_or,
                kh.inplace_xor):
    register_replay(_helper, _replay_inplace(_helper))
