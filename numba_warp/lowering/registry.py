"""The table of adjoint rules, owned by the builtins and read by the adjoint compiler.

An adjoint rule of a builtin ``f(x1, ..., xn)`` is a function
``adj_f(x1, ..., xn, ret, adj_ret)`` returning a tuple of *contributions*, one per
argument, that the generated backward code adds into the arguments' adjoints
(``None`` or a zero for arguments with no gradient). Rules are written next to their
builtin, in the builtin's module, and registered when that module is imported, with
one of:

* ``@adjoint(f)``: the rule is plain kernel-style Python, compiled for every argument
  type (the common case);
* ``@adjoint(f, typed=True)``: the rule receives Numba *types* and returns an
  implementation, like ``numba.extending.overload`` (for rules that dispatch on types);
* ``register_rule(f, rule)``: ``rule`` is already callable from kernels (an overloaded
  function or an intrinsic), e.g. one rule shared by several builtins.

``nondifferentiable(f, ...)`` marks builtins whose result carries no gradient (integer
and boolean results, random numbers, queries); the backward pass skips them. A builtin
that is neither is an error when a kernel that calls it is differentiated.
``constructor(f, ...)`` marks builtins that build a value from components (their rule
slices the result's adjoint, see ``construct``); ``register_replay(f, g)`` makes the
backward pass's replay of the forward code call ``g`` instead of ``f``.

The rules of the code generator's array-updating helpers (``store``, ``inplace_add``,
``slot_add``...) also receive the gradient array as the "adjoint" of the array: see
``store_rules``. Operators (``a + b``, ``a * b``...) have rules keyed by the name of the
AST operator (``register_binop``); products of value kinds other than scalars, vectors
and matrices add theirs to :data:`MUL_RULES` (see ``operator_rules``).

Of the package this module imports only ``construct`` (which imports only ``typing/``),
so every builtin module may import it.
"""

from __future__ import annotations

from numba.extending import overload

from .construct import adj_construct

__all__ = [
    "BINOP_RULES",
    "CONSTRUCTORS",
    "MUL_RULES",
    "NONDIFF",
    "REPLAY",
    "RULES",
    "adjoint",
    "binop_rule",
    "constructor",
    "is_constructor",
    "is_nondifferentiable",
    "nondifferentiable",
    "register_binop",
    "register_replay",
    "register_rule",
    "replay_for",
    "rule_for",
    "SECOND_ORDER",
    "second_order",
    "second_order_for",
]

#: builtin -> Numba-callable rule (the function the generated code calls)
RULES: dict = {}
#: builtins with no gradient
NONDIFF: set = set()
#: builtin -> callable that the backward pass's replay runs instead (no side effects)
REPLAY: dict = {}
#: builtins that build a value from components (rule called as rule((args,), ret, adj))
CONSTRUCTORS: set = set()
#: (kind of a, kind of b) -> typed rule (a, b, ret, adj_ret) for ``a * b`` of value kinds
#: the generic product rule does not know (quaternions, transforms register theirs)
MUL_RULES: dict = {}
#: AST operator class name ("Add", "Mult"...) -> rule
BINOP_RULES: dict = {}
#: rule -> how the tangent of its contributions is formed (Hessian-vector products):
#: "linear", "bilinear", ("plain", fn), ("unary", deriv) or a second-order rule (see
#: ``autodiff/second_order.py``)
SECOND_ORDER: dict = {}


def _key(obj):
    try:
        hash(obj)
        return obj
    except TypeError:
        return id(obj)


def _each(builtin):
    return builtin if isinstance(builtin, (list, tuple)) else (builtin,)


def adjoint(builtin, *, typed: bool = False):
    """Register the decorated function as the adjoint rule of ``builtin`` (or of each
    builtin of a list)."""

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
            SECOND_ORDER.setdefault(_key(fn), ("plain", fn))
        register_rule(builtin, callable_)
        return callable_

    return wrap


def register_rule(builtin, rule):
    """Register ``rule``, already callable from kernels, as the rule of ``builtin`` (or
    of each builtin of a list)."""
    for b in _each(builtin):
        RULES[_key(b)] = rule


def second_order(spec, *rules_):
    """Say how the contributions of each rule in ``rules_`` get their tangent (see
    :data:`SECOND_ORDER`); a builtin stands for its registered rule."""
    for r in rules_:
        SECOND_ORDER[_key(RULES.get(_key(r), r))] = spec


def second_order_for(rule):
    try:
        return SECOND_ORDER.get(_key(rule))
    except TypeError:
        return None


def nondifferentiable(*builtins):
    """Mark builtins as having no gradient (integer/bool results, random numbers...)."""
    for b in builtins:
        NONDIFF.add(_key(b))


def register_replay(builtin, replay):
    """The backward pass's replay calls ``replay`` instead of ``builtin`` (no side effects)."""
    REPLAY[_key(builtin)] = replay


def constructor(*builtins):
    """Mark builtins as constructors: their adjoint slices the result's adjoint."""
    for b in builtins:
        CONSTRUCTORS.add(_key(b))
        RULES[_key(b)] = adj_construct
    SECOND_ORDER[_key(adj_construct)] = "linear"


def register_binop(op_name: str, rule):
    """The rule of the operator whose AST class is named ``op_name`` ("Add", "Pow"...)."""
    BINOP_RULES[op_name] = rule


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


def binop_rule(op_name: str):
    return BINOP_RULES.get(op_name)
