"""The kernel language's builtins, gathered in one namespace.

``wp.tid()`` and ``wp.static()`` are handled by the code generator; every other name
here is a function with a Numba implementation (usable in kernels, in ``@wp.func``,
in plain ``@numba.njit`` / ``@cuda.jit`` code) and, where Warp has one, a Python-scope
meaning.
"""

from __future__ import annotations

from .lowering.atomics import (  # noqa: F401
    atomic_add,
    atomic_and,
    atomic_cas,
    atomic_exch,
    atomic_max,
    atomic_min,
    atomic_or,
    atomic_sub,
    atomic_xor,
)
from .lowering.scalar_math import *  # noqa: F401,F403
from .lowering.scalar_math import __all__ as _scalar_all
from .lowering import bvh_ops as _bvh_ops
from .lowering import composite_math as _composite_math  # noqa: F401 - overloads only
from .lowering import decompositions as _decompositions
from .lowering import geometry_prims as _geometry_prims
from .lowering import hash_grid_ops as _hash_grid_ops
from .lowering import half as _half  # noqa: F401 - float16 on the CPU
from .lowering import local_arrays as _local_arrays  # noqa: F401 - types wp.zeros in kernels
from .lowering import matrix_math as _matrix_math
from .lowering import mesh_ops as _mesh_ops
from .lowering import mesh_queries as _mesh_queries
from .lowering import mesh_query_forms as _mesh_query_forms  # noqa: F401 - rules, forms
from .lowering import noise_ops as _noise_ops
from .lowering import operator_rules as _operator_rules  # noqa: F401 - adjoint rules only
from .lowering import operators as _operators
from .lowering import quat as _quat
from .lowering import quat_angles as _quat_angles
from .lowering import quat_between as _quat_between
from .lowering import random_ops as _random_ops
from .lowering import search_ops as _search_ops
from .lowering import spatial as _spatial
from .lowering import store_rules as _store_rules  # noqa: F401 - adjoint rules only
from .lowering import transform as _transform
from .lowering import vector_math as _vector_math

__all__ = ["tid", "static", "grad", *_scalar_all, "atomic_add", "atomic_sub", "atomic_min",
           "atomic_max", "atomic_and", "atomic_or", "atomic_xor", "atomic_exch", "atomic_cas"]


for _mod in (_operators, _vector_math, _matrix_math, _decompositions, _quat, _quat_angles,
             _quat_between, _transform, _spatial, _random_ops, _noise_ops, _geometry_prims,
             _hash_grid_ops, _bvh_ops, _mesh_ops, _mesh_queries, _search_ops):
    globals().update({_n: getattr(_mod, _n) for _n in _mod.__all__})
    __all__ += list(_mod.__all__)


def tid():
    """The index of the current thread: ``i = wp.tid()`` or ``i, j = wp.tid()`` (up to 4-D).

    Only valid inside a kernel; the code generator replaces it with the launcher's index.

    Example
    -------
    >>> @wp.kernel
    ... def index(a: wp.array2d(dtype=int)):
    ...     i, j = wp.tid()
    ...     a[i, j] = 10 * i + j
    >>> a = wp.zeros((2, 3), dtype=int)
    >>> wp.launch(index, dim=(2, 3), inputs=[a])
    >>> print(a.numpy())
    [[ 0  1  2]
     [10 11 12]]
    """
    raise RuntimeError("wp.tid() can only be called inside a @wp.kernel")


def static(expr):
    """Evaluate ``expr`` when the kernel is compiled and use the result as a constant.

    Example
    -------
    >>> sizes = {"small": 4, "large": 64}
    >>> @wp.kernel
    ... def k(a: wp.array(dtype=int)):
    ...     a[wp.tid()] = wp.static(sizes["large"] * 2)  # Python, run at compile time
    >>> a = wp.zeros(2, dtype=int)
    >>> wp.launch(k, dim=2, inputs=[a])
    >>> print(a.numpy())
    [128 128]
    """
    return expr


class _GradOf:
    """What ``wp.grad(f)`` is at Python scope: a marker, callable only in kernels."""

    def __init__(self, fn):
        self.func = fn

    def __call__(self, *args, **kwargs):
        raise RuntimeError("wp.grad(f)(...) can only be called inside Warp kernels and "
                           "functions")

    def __repr__(self):
        return f"wp.grad({getattr(self.func, '__name__', self.func)!s})"


def grad(fn):
    """``wp.grad(f)(x, y)`` in a kernel or function: the adjoints of ``f``'s inputs for an
    output adjoint of ones (a single value for one input, else a tuple), as Warp computes
    them. ``f`` is a ``@wp.func`` or a differentiable builtin. Computed in the forward
    pass: the backward pass treats the result as a constant.

    Only valid inside kernels and functions; the code generator replaces the call.

    Example
    -------
    >>> @wp.func
    ... def f(x: float, y: float):
    ...     return x * x * y
    >>> @wp.kernel
    ... def k(out: wp.array(dtype=float)):
    ...     dx, dy = wp.grad(f)(3.0, 2.0)  # (2 x y, x * x)
    ...     out[0] = dx
    ...     out[1] = dy
    >>> out = wp.zeros(2, dtype=float)
    >>> wp.launch(k, dim=1, inputs=[out])
    >>> print(out.numpy())
    [12.  9.]
    """
    return _GradOf(fn)
