"""The vocabulary for declaring a builtin: one import gives every builtin module what it
needs to state a builtin's three parts in one block, next to each other.

A builtin ``f`` is declared as::

    def f(x):                      # 1. its Python-scope meaning (and Warp's docstring)
        \"\"\"...\"\"\"
        return python_scope(f, x)  #    or a NumPy/``math`` computation on ``as_array(x)``

    @implements(f)                 # 2. its Numba implementation, on every target
    def _ol_f(x):
        if is_vec(x, floats=True):
            return lambda x: ...

    @adjoint(f)                    # 3. its adjoint rule ...
    def adj_f(x, ret, adj_ret):
        return (...,)

    nondifferentiable(g)           #    ... or the mark that it has no gradient

Python scope has two strategies, both spelled here: :func:`python_scope` runs the
builtin's own Numba implementation through a cached ``njit`` dispatcher (one
implementation for both scopes; used where a NumPy formula would differ from the
kernel's arithmetic), and the NumPy/``math`` helpers :func:`as_array`,
:func:`scalar_out` and :func:`matrix_value` for builtins whose Python-scope formula is
exact in NumPy.

Also here: the type tests and result-class lookups the overloads dispatch on
(:func:`is_vec`, :func:`is_mat`, :func:`is_quat`, :func:`vcls`, :func:`mcls`, ...), the
scalar result rules (:func:`float_like`, :func:`same_kind_result`) and :func:`jitable`
for private helpers called from implementations and rules. The adjoint table itself
lives in ``registry`` (re-exported: ``adjoint``, ``nondifferentiable``, ``constructor``).

Of the package this module imports only ``typing/`` and ``registry``, so every builtin
module may import it.
"""

from __future__ import annotations

import functools

import numpy as np
from numba import njit
from numba.core import types
from numba.core.target_extension import current_target
from numba.extending import overload

from ..typing.mat import MatrixValue, MatType, matrix_class
from ..typing.scalars import ScalarType, WeakFloat, scalar_class_for, to_numba_type
from ..typing.vec import VectorValue, VecType, same_structure, vector_class
from .registry import adjoint, constructor, nondifferentiable, second_order

__all__ = [
    "JIT", "absent", "adjoint", "as_array", "concrete", "constructor", "dtype_arg",
    "float_like", "implements", "inline_on_cpu", "install_python_scope_compiler", "is_float",
    "is_int", "is_kind", "is_mat", "is_mat_shape", "is_number", "is_quat", "is_scalar", "is_vec",
    "is_vec3", "jitable", "matrix_value", "mcls", "nondifferentiable", "python_scope",
    "compiled_builtin",
    "same_kind_result", "scalar_out", "unary_adjoint", "vcls",
]

#: Numba options of builtin implementations: NumPy's error model (1/0 is inf, no
#: ZeroDivisionError), as Warp's builtins behave on every device
JIT = {"error_model": "numpy"}


# ---------------------------------------------------------------------------------------
# Declaring the Numba side
# ---------------------------------------------------------------------------------------


def implements(fn, *, jit_options=None, **options):
    """Decorator: the Numba implementation (an ``overload`` typer) of builtin ``fn`` on
    every target (CPU and CUDA). ``jit_options`` default to :data:`JIT`; other keyword
    arguments (``prefer_literal``, ``strict``) go to ``numba.extending.overload``.

    A call that mixes a spatial vector with a ``vector(6)`` (or a spatial matrix with a
    6x6 ``matrix``) of one dtype, which Warp's structural types accept, is typed as if
    every such argument were spatial: ``wp.dot(sv, wp.vector(...))`` as in Warp."""
    register = overload(fn, target="generic", jit_options=JIT if jit_options is None
                        else jit_options, **options)

    def decorate(typer):
        @functools.wraps(typer)
        def tolerant(*args, **kwargs):
            impl = typer(*args, **kwargs)
            if impl is None:
                spatial = [t for t in (*args, *kwargs.values())
                           if isinstance(t, (VecType, MatType)) and
                           t.kind in ("spatial_vector", "spatial_matrix")]
                if spatial:
                    impl = typer(*[_as_spatial(t, spatial) for t in args],
                                 **{k: _as_spatial(t, spatial) for k, t in kwargs.items()})
            return impl

        register(tolerant)
        return typer

    return decorate


def _as_spatial(t, spatial: list):
    """``t``, or the spatial type among ``spatial`` that is the same type in Warp."""
    return next((s for s in spatial if same_structure(t, s)), t)


def jitable(fn, *, jit_options=None, strict=True):
    """Make private helper ``fn`` callable from implementations and adjoint rules on
    every target (compiled per argument types); returns ``fn``."""

    @functools.wraps(fn)
    def typer(*args, **kwargs):
        return fn

    overload(fn, target="generic", strict=strict,
             jit_options=JIT if jit_options is None else jit_options)(typer)
    return fn


def inline_on_cpu(fn, typer):
    """Declare builtin or helper ``fn`` (``typer``: its overload) once more, for the CPU
    only, with ``inline="always"``: Numba then inlines it into the caller's IR there (a
    CPU overload takes precedence over the generic one, which still serves CUDA).

    For the steps of query loops and the per-primitive tests of traversals: LLVM does not
    inline them across Numba's libraries, and each call passed the query value through
    memory (a CPU hash grid neighbour count was ~10x slower: one thread, 2^16 points,
    390 -> 43 ms; benchmarks/bench_hash_grid.py). It costs compile time (~1 s per kernel
    with a neighbour loop). The declaration declines while numba-cuda compiles: numba-cuda
    consults CPU overloads too, and an inlined overload's typed IR (kept per argument types
    only) would then serve both targets. NVVM inlines device functions itself."""

    @functools.wraps(typer)
    def cpu_typer(*args, **kwargs):
        if current_target() != "cpu":
            return None
        return typer(*args, **kwargs)

    overload(fn, target="cpu", inline="always", jit_options=JIT)(cpu_typer)


def unary_adjoint(fn, deriv):
    """Register the adjoint rule of a unary scalar builtin ``fn`` from its derivative:
    the contribution to ``x`` is ``deriv(x, ret) * adj_ret``. ``deriv`` is plain Python
    (compiled with Numba's default error model, like a helper of the kernel)."""
    d = jitable(deriv, jit_options={}, strict=False)

    def rule(x, ret, adj_ret):
        return lambda x, ret, adj_ret: (d(x, ret) * adj_ret,)

    rule.__name__ = f"adj_{fn.__name__}"
    made = adjoint(fn, typed=True)(rule)
    second_order(("unary", deriv), made)
    return made


# ---------------------------------------------------------------------------------------
# Type tests (on Numba types, in typers)
# ---------------------------------------------------------------------------------------


def is_scalar(t) -> bool:
    return isinstance(t, (types.Integer, types.Float, types.Boolean))


def is_int(t) -> bool:
    return isinstance(t, types.Integer)


def is_float(t) -> bool:
    return isinstance(t, types.Float)


def is_number(t) -> bool:
    """An integer or float type (not a bool)."""
    return isinstance(t, (types.Integer, types.Float)) and not isinstance(t, types.Boolean)


def absent(t) -> bool:
    """True for an omitted optional argument (or an explicit None)."""
    return t is None or isinstance(t, (types.Omitted, types.NoneType))


def is_vec(t, n=None, floats=False, kinds=None, bools=False) -> bool:
    """A vector-family type (of ``n`` components, float, of one of ``kinds`` if given).

    Vectors of ``wp.bool`` only when ``bools``: as in Warp, the math builtins take
    vectors of numbers (Warp's ``Scalar``), never of bools."""
    return (isinstance(t, VecType) and (n is None or t.length == n)
            and (not floats or isinstance(t.dtype, types.Float))
            and (kinds is None or t.kind in kinds)
            and (bools or not isinstance(t.dtype, types.Boolean)))


def is_kind(t, kind: str, n: int | None = None) -> bool:
    """A float vector-family type of ``kind`` (and ``n`` components if given)."""
    return (isinstance(t, VecType) and t.kind == kind and isinstance(t.dtype, types.Float)
            and (n is None or t.length == n))


def is_vec3(t) -> bool:
    return is_kind(t, "vector", 3)


def is_quat(t) -> bool:
    return is_kind(t, "quaternion", 4)


def is_mat(t, square=False, floats=False, sizes=None, bools=False) -> bool:
    """A matrix type (square, float, with a row count in ``sizes`` if asked; of
    ``wp.bool`` only when ``bools``, see :func:`is_vec`)."""
    return (isinstance(t, MatType) and (not square or t.shape[0] == t.shape[1])
            and (not floats or isinstance(t.dtype, types.Float))
            and (sizes is None or t.shape[0] in sizes)
            and (bools or not isinstance(t.dtype, types.Boolean)))


def is_mat_shape(t, r: int, c: int) -> bool:
    """A float matrix type of shape ``(r, c)``."""
    return isinstance(t, MatType) and t.shape == (r, c) and isinstance(t.dtype, types.Float)


# ---------------------------------------------------------------------------------------
# Result types and classes
# ---------------------------------------------------------------------------------------


def concrete(t):
    """A weak float literal takes Warp's default float type, float32."""
    return types.float32 if isinstance(t, WeakFloat) else t


def float_like(t):
    """The float type a math function of ``t`` returns (ints and literals: float32)."""
    if isinstance(t, types.Float) and not isinstance(t, WeakFloat):
        return t
    return types.float32


def same_kind_result(a, b, float_only: bool = False):
    """Result type of a binary scalar builtin on ``a`` and ``b``.

    Floats win over ints; a weak literal adopts the other operand's float type;
    two ints unify to the wider int (or float32 when ``float_only``).
    """
    fa, fb = isinstance(a, types.Float), isinstance(b, types.Float)
    if fa and fb:
        if isinstance(a, WeakFloat):
            return concrete(b)
        if isinstance(b, WeakFloat):
            return a
        return a if a.bitwidth >= b.bitwidth else b
    if fa or fb:
        return concrete(a if fa else b)
    if float_only:
        return types.float32
    if isinstance(a, types.Boolean) or isinstance(b, types.Boolean):
        return b if isinstance(a, types.Boolean) else a
    if a == b:
        return a
    return a if a.bitwidth >= b.bitwidth else b


def dtype_arg(dtype, *scalars):
    """The float dtype requested by a ``dtype=`` argument or implied by scalar arguments.

    Default float32; float64 scalars give float64; weak literals and ints give float32.
    """
    if not absent(dtype):
        if isinstance(dtype, types.NumberClass):
            return dtype.instance_type
        raise TypeError(f"dtype must be a float scalar type, got {dtype}")
    for s in scalars:
        if isinstance(s, types.Float) and not isinstance(s, WeakFloat) and s.bitwidth == 64:
            return types.float64
    return types.float32


def _scalar_class(dtype):
    try:
        return scalar_class_for(dtype) or dtype
    except TypeError:  # an unhashable spelling: let vector_class/matrix_class judge it
        return dtype


def vcls(n: int, dtype, kind: str = "vector"):
    """The Python class of a vector-family type (usable as a constructor in kernels)."""
    return vector_class(n, _scalar_class(dtype), kind)


def mcls(r: int, c: int, dtype, kind: str = "matrix"):
    """The Python class of a matrix type (usable as a constructor in kernels)."""
    return matrix_class((r, c), _scalar_class(dtype), kind)


# ---------------------------------------------------------------------------------------
# Python scope
# ---------------------------------------------------------------------------------------


def as_array(x):
    """The NumPy array of a Python-scope vector/matrix (or array-like)."""
    return np.asarray(getattr(x, "_v", x))


def scalar_out(x):
    """A NumPy scalar result as the Python-scope value Warp returns."""
    return x.item() if hasattr(x, "item") else x


def matrix_value(values, dtype, kind="matrix"):
    """A Python-scope matrix of ``dtype`` holding ``values``."""
    values = np.asarray(values)
    return matrix_class(values.shape, dtype, kind)(values)


_DISPATCHERS: dict = {}


def _py_arg(a):
    if isinstance(a, (bool, VectorValue, MatrixValue)):
        return a
    if type(a) is float:  # (a Python float; np.float64, a float subclass, stays float64)
        return np.float32(a)
    if isinstance(a, type) and not isinstance(a, ScalarType):
        nbt = to_numba_type(a)
        return scalar_class_for(nbt) if nbt is not None else a
    return a


# makes the dispatcher of a builtin (None: a plain njit); the runtime installs one that
# keeps compiled code in the kernel cache (runtime/python_scope.py)
_MAKE_DISPATCHER: list = [None]


def install_python_scope_compiler(make) -> None:
    """Have ``make(fn)`` build the Numba dispatcher :func:`python_scope` runs ``fn``
    through (a dispatcher whose compiled code outlives the process, so a program's
    Python-scope quaternions do not cost a compile in every process)."""
    _MAKE_DISPATCHER[0] = make


def python_scope(fn, *args):
    """Call builtin ``fn`` at Python scope by running its Numba implementation (njit,
    cached per builtin). Python floats are float32, like Warp's default ``float``."""
    return compiled_builtin(fn)(*[_py_arg(a) for a in args])


def compiled_builtin(fn):
    """The Numba dispatcher that runs builtin (or helper) ``fn``'s implementation at
    Python scope: made once per ``fn`` and kept."""
    disp = _DISPATCHERS.get(fn)
    if disp is None:
        make = _MAKE_DISPATCHER[0]
        if make is not None:
            disp = make(fn)
        else:
            def call(*a):
                return fn(*a)

            disp = njit(call, **JIT)
        _DISPATCHERS[fn] = disp
    return disp
