"""What the adjoint compiler knows about the objects a forward body calls.

The forward code generator binds every outside object a kernel uses to a global name
(``frontend.codegen``); the adjoint compiler recognises some of them by identity: the
builtins with effects the backward pass must not repeat (prints, atomics), the operator
builtins, ``wp.where``/``wp.select``, and the code generator's helpers that write an
array element or store into a local value. Gradient rules themselves come from the rule
table (``rules``); calls of types (casts, constructors) from :func:`class_rule`.
"""

from __future__ import annotations

import functools

from .. import lang
from ..frontend.effects import SLOT_HELPERS, WRITE_HELPERS
from ..lowering import kernel_helpers, slots
from ..typing.scalars import ScalarType
from ..lowering.construct import adj_cast, adj_construct

__all__ = ["KEPT_BUILTINS", "REPLAYED_OPERATORS", "BINOP_SYMBOLS", "effects", "atomics",
           "operators", "is_division", "choices", "array_helpers", "class_rule",
           "is_index_arithmetic"]

#: names the forward code keeps as Python's own (not bound objects)
KEPT_BUILTINS = frozenset({"range", "len", "print", "True", "False", "None"})

_ATOMIC_OPS = {"atomic_add": "add", "atomic_sub": "sub", "atomic_min": "min",
               "atomic_max": "max", "atomic_and": "and", "atomic_or": "or",
               "atomic_xor": "xor", "atomic_exch": "exch", "atomic_cas": "cas"}
_EFFECT_NAMES = ("print", "printf", "expect_eq", "expect_neq", "expect_near", "breakpoint")

# Warp's operator builtins, which the code generator writes for kernel operators (for
# fixed-width integer rules): the differentiable ones are lowered back to operators, so
# that the reverse pass treats ``a + b`` as an addition (no values kept for it)
_OPERATOR_BUILTINS = {"add": "Add", "sub": "Sub", "mul": "Mult", "neg": "USub"}

#: ... and the replay writes every operator through them again (operator -> builtin)
REPLAYED_OPERATORS = {"Add": "add", "Sub": "sub", "Mult": "mul", "FloorDiv": "floordiv",
                      "LShift": "lshift", "RShift": "rshift", "BitAnd": "bit_and",
                      "BitOr": "bit_or", "BitXor": "bit_xor", "USub": "neg"}

#: ``ast`` operator class name -> its symbol
BINOP_SYMBOLS = {"Add": "+", "Sub": "-", "Mult": "*", "MatMult": "@", "Div": "/",
                 "FloorDiv": "//", "Mod": "%", "Pow": "**", "LShift": "<<", "RShift": ">>",
                 "BitOr": "|", "BitXor": "^", "BitAnd": "&"}


@functools.cache
def effects() -> frozenset:
    """ids of the builtins run only in the forward pass (print, expect_*, ...)."""
    return frozenset(id(getattr(lang, n)) for n in _EFFECT_NAMES if hasattr(lang, n))


@functools.cache
def atomics() -> dict:
    """id of an atomic builtin -> its operation (``"add"``, ``"min"``, ``"cas"``, ...)."""
    return {id(getattr(lang, n)): op for n, op in _ATOMIC_OPS.items() if hasattr(lang, n)}


@functools.cache
def operators() -> dict:
    """id of a differentiable operator builtin -> the ``ast`` operator it stands for."""
    return {id(getattr(lang, n)): op for n, op in _OPERATOR_BUILTINS.items()}


def is_division(obj) -> bool:
    """Whether ``obj`` is ``wp.div``, the builtin the code generator writes for ``a / b``
    (a call, not an operator: its integer rule is Warp's, not Python's)."""
    return obj is lang.div


@functools.cache
def choices() -> dict:
    """wp.where(cond, true, false) and wp.select(cond, false, true): for each, where its
    arguments go, as indices into (cond, true, false)."""
    return {id(lang.where): (0, 1, 2), id(lang.select): (0, 2, 1)}


@functools.cache
def array_helpers() -> dict:
    """id -> name of the code generator's helpers that write their first argument."""
    objs = {id(getattr(kernel_helpers, n)): n for n in (*WRITE_HELPERS, "setattr_value")}
    objs.update({id(getattr(slots, n)): n for n in SLOT_HELPERS})
    return objs


def class_rule(obj):
    """(rule, is_constructor) for calling a type: scalar casts, vector/matrix/struct
    constructors; (None, False) for anything else."""
    if isinstance(obj, ScalarType):
        return adj_cast, False
    if isinstance(obj, type) and (hasattr(obj, "_wp_struct_") or hasattr(obj, "_numba_type")):
        return adj_construct, True
    return None, False


_INDEX_BUILTINS = ("div", "mod", "floordiv", "min", "max", "clamp", "abs")


def is_index_arithmetic(obj) -> bool:
    """Whether ``obj`` is a cheap builtin indices are computed with: a scalar cast
    (``wp.int32(x)``), ``wp.div``, ``wp.mod``, ``wp.min``, ``wp.max``, ``wp.clamp``..."""
    return isinstance(obj, ScalarType) or any(
        obj is getattr(lang, n, None) for n in _INDEX_BUILTINS)
