"""The registry of adjoint rules, and the rules for the core operators.

An adjoint rule of a builtin ``f(x1, ..., xn)`` is a function
``adj_f(x1, ..., xn, ret, adj_ret)`` returning a tuple of *contributions*, one per
argument, that the generated backward code adds into the arguments' adjoints
(``None`` or a zero for arguments with no gradient). Rules are written next to their
builtin, with one of:

* ``@adjoint(f)``: the rule is plain kernel-style Python, compiled for every argument
  type (the common case);
* ``@adjoint(f, typed=True)``: the rule receives Numba *types* and returns an
  implementation, like ``numba.extending.overload`` (for rules that dispatch on types).

``nondifferentiable(f, ...)`` marks builtins whose result carries no gradient (integer
and boolean results, random numbers, queries); the backward pass skips them. A builtin
that is neither is an error when a kernel that calls it is differentiated.

Array-updating helpers (``store``, ``inplace_add``...) have rules that also receive the
adjoint of the array (its gradient array): see :data:`ARRAY_RULES`.

Warp's conventions at non-differentiable points (subgradients) are documented on each
rule: ``abs`` has gradient 1 at 0 (sign(0) = 1), ``min``/``max`` send the gradient to
the first argument on ties, ``floor``-like functions have gradient 0.
"""

from __future__ import annotations

import numpy as np
from numba.core import types
from numba.extending import overload

__all__ = ["adjoint", "nondifferentiable", "rule_for", "is_nondifferentiable", "RULES",
           "NONDIFF", "binop_rule", "replay_for", "register_replay"]

#: builtin -> Numba-callable rule (the function the generated code calls)
RULES: dict = {}
#: builtins with no gradient
NONDIFF: set = set()
#: builtin -> callable that the backward pass's replay runs instead (no side effects)
REPLAY: dict = {}
#: builtins that build a value from components (rule called as rule((args,), ret, adj))
CONSTRUCTORS: set = set()


def _key(obj):
    try:
        hash(obj)
        return obj
    except TypeError:
        return id(obj)


def adjoint(builtin, *, typed: bool = False):
    """Register the decorated function as the adjoint rule of ``builtin``."""

    def wrap(fn):
        if typed:
            def stub(*args, **kwargs):
                raise RuntimeError(f"{fn.__name__} is an adjoint rule for kernels")

            stub.__name__ = stub.__qualname__ = fn.__name__
            overload(stub, target="generic", strict=False, prefer_literal=True,
                     jit_options={"error_model": "numpy"})(fn)
            callable_ = stub
        else:
            overload(fn, target="generic", strict=False,
                     jit_options={"error_model": "numpy"})(lambda *a, **k: fn)
            callable_ = fn
        for b in (builtin if isinstance(builtin, (list, tuple)) else (builtin,)):
            RULES[_key(b)] = callable_
        return callable_

    return wrap


def nondifferentiable(*builtins):
    """Mark builtins as having no gradient (integer/bool results, random numbers...)."""
    for b in builtins:
        NONDIFF.add(_key(b))


def register_replay(builtin, replay):
    """The backward pass's replay calls ``replay`` instead of ``builtin`` (no side effects)."""
    REPLAY[_key(builtin)] = replay


def constructor(*builtins):
    """Mark builtins as constructors: their adjoint slices the result's adjoint."""
    from .construct import adj_construct

    for b in builtins:
        CONSTRUCTORS.add(_key(b))
        RULES[_key(b)] = adj_construct


def is_constructor(obj) -> bool:
    try:
        return _key(obj) in CONSTRUCTORS
    except TypeError:
        return False


def rule_for(obj):
    try:
        return RULES.get(_key(obj))
    except TypeError:
        return None


def is_nondifferentiable(obj) -> bool:
    try:
        return _key(obj) in NONDIFF
    except TypeError:
        return False


def replay_for(obj):
    try:
        return REPLAY.get(_key(obj))
    except TypeError:
        return None


# ---------------------------------------------------------------------------------------
# Operators (a + b, a * b, ...): rules keyed by the AST operator
# ---------------------------------------------------------------------------------------

def _kind(t):
    from ..typing.mat import MatType
    from ..typing.vec import VecType

    if isinstance(t, (types.Integer, types.Boolean)):
        return "int"
    if isinstance(t, types.Float):
        return "scalar"
    if isinstance(t, MatType):
        return "matrix"
    if isinstance(t, VecType):
        return t.kind  # vector, quaternion, transformation, spatial_vector
    return None


def _inner(a, b):
    """Sum of products of the float components of two same-shaped values."""
    return float((np.asarray(a, dtype=float) * np.asarray(b, dtype=float)).sum())


def adj_inner(a, b, ret, adj_ret):
    """Reverse of ``_inner(a, b)``."""


@overload(adj_inner, target="generic", strict=False)
def _ol_adj_inner(a, b, ret, adj_ret):
    from .helpers import scale

    return lambda a, b, ret, adj_ret: (scale(b, adj_ret), scale(a, adj_ret))


def _flat_count(t):
    from ..typing.mat import MatType

    return t.count if isinstance(t, MatType) else len(t)


@overload(_inner, target="generic")
def _ol_inner(a, b):
    from ..lowering.vector_math import _flat_get

    if isinstance(a, types.Number) and isinstance(b, types.Number):
        return lambda a, b: a * b
    n = _flat_count(a)
    if _flat_count(b) != n:
        from numba.core.errors import TypingError

        raise TypingError(f"_inner needs two values of one size, got {a} and {b}")

    def impl(a, b):
        s = _flat_get(a, 0) * _flat_get(b, 0)
        for k in range(1, n):
            s += _flat_get(a, k) * _flat_get(b, k)
        return s

    return impl


def adj_add(a, b, ret, adj_ret):
    return adj_ret, adj_ret


@overload(adj_add, target="generic", strict=False)
def _ol_adj_add(a, b, ret, adj_ret):
    return lambda a, b, ret, adj_ret: (adj_ret, adj_ret)


def adj_sub(a, b, ret, adj_ret):
    return adj_ret, -adj_ret


@overload(adj_sub, target="generic", strict=False)
def _ol_adj_sub(a, b, ret, adj_ret):
    from .helpers import neg

    return lambda a, b, ret, adj_ret: (adj_ret, neg(adj_ret))


def adj_neg(a, ret, adj_ret):
    return (-adj_ret,)


@overload(adj_neg, target="generic", strict=False)
def _ol_adj_neg(a, ret, adj_ret):
    from .helpers import neg

    return lambda a, ret, adj_ret: (neg(adj_ret),)


def adj_pos(a, ret, adj_ret):
    return (adj_ret,)


@overload(adj_pos, target="generic", strict=False)
def _ol_adj_pos(a, ret, adj_ret):
    return lambda a, ret, adj_ret: (adj_ret,)


#: (kind of a, kind of b) -> rule (a, b, ret, adj_ret) for products of other value kinds
#: (quaternions, transforms, spatial types register theirs next to their builtins)
MUL_RULES: dict = {}


def adj_mul(a, b, ret, adj_ret):
    """Reverse of ``a * b`` (and ``a @ b``) for scalars, vectors and matrices."""


@overload(adj_mul, target="generic", strict=False)
def _ol_adj_mul(a, b, ret, adj_ret):
    from ..lowering.vector_math import outer, transpose

    ka, kb = _kind(a), _kind(b)
    if ka == "int" and kb == "int":
        return lambda a, b, ret, adj_ret: (adj_ret, adj_ret)  # ints: accum ignores these
    if ka in ("scalar", "int") and kb in ("scalar", "int"):
        return lambda a, b, ret, adj_ret: (adj_ret * b, adj_ret * a)
    if ka in ("scalar", "int"):
        return lambda a, b, ret, adj_ret: (_inner(adj_ret, b), adj_ret * a)
    if kb in ("scalar", "int"):
        return lambda a, b, ret, adj_ret: (adj_ret * b, _inner(adj_ret, a))
    if ka == "matrix" and kb == "matrix":
        return lambda a, b, ret, adj_ret: (adj_ret * transpose(b), transpose(a) * adj_ret)
    if ka == "matrix" and kb in ("vector", "spatial_vector"):
        return lambda a, b, ret, adj_ret: (outer(adj_ret, b), transpose(a) * adj_ret)
    if ka in ("vector", "spatial_vector") and kb == "matrix":
        return lambda a, b, ret, adj_ret: (b * adj_ret, outer(a, adj_ret))
    rule = MUL_RULES.get((ka, kb))
    if rule is not None:
        return rule
    return None


def adj_div(a, b, ret, adj_ret):
    """Reverse of ``a / b``."""


@overload(adj_div, target="generic", strict=False)
def _ol_adj_div(a, b, ret, adj_ret):
    ka, kb = _kind(a), _kind(b)
    if ka == "int" and kb == "int":
        return lambda a, b, ret, adj_ret: (adj_ret, adj_ret)
    if kb in ("scalar", "int") and ka in ("scalar", "int"):
        return lambda a, b, ret, adj_ret: (adj_ret / b, -adj_ret * ret / b)
    if kb in ("scalar", "int"):
        # vector / scalar
        return lambda a, b, ret, adj_ret: (adj_ret / b, -_inner(adj_ret, ret) / b)
    if ka in ("scalar", "int"):
        # scalar / vector, component-wise: ret_i = a / b_i
        from ..lowering.vector_math import cw_div, cw_mul

        return lambda a, b, ret, adj_ret: (_sum_div(adj_ret, b),
                                           -cw_mul(adj_ret, cw_div(ret, b)))
    return None


def _sum_div(adj, b):
    """sum_i adj_i / b_i."""


@overload(_sum_div, target="generic")
def _ol_sum_div(adj, b):
    from ..lowering.vector_math import _flat_get

    n = _flat_count(b)

    def impl(adj, b):
        s = _flat_get(adj, 0) / _flat_get(b, 0)
        for k in range(1, n):
            s += _flat_get(adj, k) / _flat_get(b, k)
        return s

    return impl


def adj_mod(a, b, ret, adj_ret):
    """Reverse of C-style ``a % b`` on floats: a - b * trunc(a / b)."""


@overload(adj_mod, target="generic", strict=False)
def _ol_adj_mod(a, b, ret, adj_ret):
    if isinstance(a, types.Integer) and isinstance(b, types.Integer):
        return lambda a, b, ret, adj_ret: (adj_ret, adj_ret)
    if _kind(a) not in ("scalar", "int"):  # vectors, component-wise
        from ..lowering.vector_math import cw_div, cw_mul
        from .helpers import neg

        return lambda a, b, ret, adj_ret: (adj_ret, neg(cw_mul(adj_ret, cw_div(a - ret, b))))

    def impl(a, b, ret, adj_ret):
        q = (a - ret) / b  # = trunc(a / b)
        return adj_ret, -adj_ret * q

    return impl


def adj_pow(a, b, ret, adj_ret):
    """Reverse of ``a ** b``; the gradient in ``b`` is 0 where ``a <= 0``."""


@overload(adj_pow, target="generic", strict=False)
def _ol_adj_pow(a, b, ret, adj_ret):
    import math

    if isinstance(a, types.Integer) and isinstance(b, types.Integer):
        return lambda a, b, ret, adj_ret: (adj_ret, adj_ret)

    def impl(a, b, ret, adj_ret):
        if a == 0.0:
            ga = b * (a ** (b - 1.0)) if b >= 1.0 else ret * 0.0
        else:
            ga = b * ret / a
        gb = ret * math.log(a) if a > 0.0 else ret * 0.0
        return ga * adj_ret, gb * adj_ret

    return impl


def adj_zero_binop(a, b, ret, adj_ret):
    """Operators with no gradient (floor division, bit operations)."""


@overload(adj_zero_binop, target="generic", strict=False)
def _ol_adj_zero_binop(a, b, ret, adj_ret):
    return lambda a, b, ret, adj_ret: (None, None)


#: AST operator class name -> rule
BINOP_RULES = {
    "Add": adj_add, "Sub": adj_sub, "Mult": adj_mul, "MatMult": adj_mul, "Pow": adj_pow,
    "FloorDiv": adj_zero_binop, "LShift": adj_zero_binop, "RShift": adj_zero_binop,
    "BitAnd": adj_zero_binop, "BitOr": adj_zero_binop, "BitXor": adj_zero_binop,
}


def binop_rule(op_name: str):
    return BINOP_RULES.get(op_name)


def _register_core():
    """Rules for the code generator's helpers and the operator function forms."""
    from ..lowering import kernel_helpers as kh
    from ..lowering import intops, operators
    from ..lowering import scalar_math as sm

    from . import helper_rules

    helper_rules.register()
    RULES[_inner] = adj_inner
    RULES[kh.div] = adj_div
    RULES[kh.mod] = adj_mod
    RULES[sm.div] = adj_div
    RULES[sm.mod] = adj_mod
    RULES[operators.add] = adj_add
    RULES[operators.sub] = adj_sub
    RULES[operators.mul] = adj_mul
    RULES[operators.neg] = adj_neg
    RULES[operators.pos] = adj_pos
    RULES[operators.div_approx] = adj_div
    from .. import lang

    from ..typing.mat import matrix
    from ..typing.vec import vector

    constructor(vector, matrix, *(getattr(lang, n) for n in (
        "quaternion", "transformation", "matrix_from_rows") if hasattr(lang, n)))
    nondifferentiable(intops.assume_nonneg, intops.c_div, intops.c_rem, operators.bit_and,
                      operators.bit_or, operators.bit_xor, operators.lshift, operators.rshift,
                      operators.invert, operators.unot, operators.len, sm.floordiv)

