"""Scalar Math and Utility builtins on vectors, matrices, quaternions and transforms.

These are more overloads of the scalar builtins (the same function objects as in
``scalar_math``, whose Python-scope forms accept composite values too). Meaning, as in
Warp 1.19:

* ``sign(v)``: component-wise on vectors, ``sign(0) == 1`` (and ``sign(nan) == 1``), as
  for scalars.
* ``isfinite(x)``: every component finite; ``isnan(x)`` / ``isinf(x)``: some component
  NaN / infinite. For vectors, quaternions, transforms and matrices; the result is a
  ``bool`` (integer components are always finite).
* ``lerp(a, b, t)``: ``a * (1 - t) + b * t`` component-wise for float vectors, matrices,
  quaternions and transforms (for quaternions this is not a slerp and the result is not
  normalized: use ``quat_slerp`` for rotations).
* ``mod(a, b)``: component-wise remainder of two vectors with C's sign rule (``fmod``
  for floats), as ``%`` on scalars.
* ``expect_near(a, b, tolerance)``: prints both values when some component differs by
  more than ``tolerance`` (vectors, quaternions, matrices).
"""

from __future__ import annotations

import math

from numba.core import types
from numba.extending import intrinsic

from ..typing.mat import MatType, flat_get, flat_set
from ..typing.vec import VecType
from . import scalar_math
from .builtin import implements, is_scalar, is_vec
from .operators import expect_near, printf

__all__: list = []  # overloads of builtins defined in scalar_math and operators

def _composite(t) -> bool:
    return isinstance(t, (VecType, MatType))


def _float_composite(t) -> bool:
    return _composite(t) and isinstance(t.dtype, types.Float)


@implements(scalar_math.sign)
def _ol_sign(x):
    if is_vec(x, kinds=("vector", "spatial_vector")):
        n = len(x)

        def impl(x):
            out = x
            for i in range(n):
                out = flat_set(out, i, -1 if flat_get(x, i) < 0 else 1)
            return out

        return impl


def _register_classification(fn, test, any_component: bool):
    """isfinite (all components) and isnan/isinf (any component) of composite values."""

    @implements(fn)
    def _ol(x):
        if not _composite(x):
            return None
        n = len(x)
        if not isinstance(x.dtype, types.Float):
            return lambda x: not any_component  # integers: finite, never NaN or inf

        def impl(x):
            for i in range(n):
                if test(flat_get(x, i)) == any_component:
                    return any_component
            return not any_component

        return impl


_register_classification(scalar_math.isfinite, math.isfinite, False)
_register_classification(scalar_math.isnan, math.isnan, True)
_register_classification(scalar_math.isinf, math.isinf, True)


@implements(scalar_math.lerp)
def _ol_lerp(a, b, t):
    if _float_composite(a) and a == b and is_scalar(t):
        n, ft = len(a), a.dtype

        def impl(a, b, t):
            s = ft(t)
            u = ft(1.0) - s
            out = a
            for i in range(n):
                out = flat_set(out, i, flat_get(a, i) * u + flat_get(b, i) * s)
            return out

        return impl


@implements(scalar_math.mod)
def _ol_mod(a, b):
    if is_vec(a) and a == b:
        n = len(a)

        def impl(a, b):
            out = a
            for i in range(n):
                out = flat_set(out, i, scalar_math.mod(flat_get(a, i), flat_get(b, i)))
            return out

        return impl


def _format_rows(t) -> str:
    """printf conversions for the components of ``t``, one line per matrix row."""
    conv = "%g" if isinstance(t.dtype, types.Float) else "%lld"
    if isinstance(t, MatType):
        rows, cols = t.shape
        return "\n".join("        " + " ".join([conv] * cols) for _ in range(rows))
    return " ".join([conv] * len(t))


@implements(expect_near)
def _ol_expect_near(a, b, tolerance=1e-6):
    if not (_composite(a) and a == b):
        return None
    n = len(a)
    sep = "\n" if isinstance(a, MatType) else " "
    fmt = (f"Error, expect_near() failed with tolerance %g\n    Expected:{sep}"
           f"{_format_rows(b)}\n    Actual:{sep}{_format_rows(a)}\n"
           "    Max absolute difference: %g\n")
    # printf needs its format as a literal in the source, and its values one by one
    values = ", ".join([f"wb[{i}]" for i in range(n)] + [f"wa[{i}]" for i in range(n)])
    src = (
        "def impl(a, b, tolerance=1e-6):\n"
        "    worst = 0.0\n"
        "    for i in range(n):\n"
        "        d = abs(f64(flat_get(a, i)) - f64(flat_get(b, i)))\n"
        "        if not d <= worst:  # a NaN difference counts as the worst\n"
        "            worst = d\n"
        "    if not worst <= f64(tolerance):\n"
        "        wa, wb = _widened(a, wide), _widened(b, wide)\n"
        f"        printf({fmt!r}, f64(tolerance), {values}, worst)\n"
    )
    scope = {"n": n, "flat_get": flat_get, "printf": printf, "_widened": _widened,
             "f64": types.float64,
             "wide": types.float64 if isinstance(a.dtype, types.Float) else types.int64}
    exec(compile(src, f"<expect_near {a}>", "exec"), scope)  # noqa: S102 - generated above
    return scope["impl"]


@intrinsic
def _widened(typingctx, x, wide):
    """The components of ``x`` as a tuple of float64 (or int64), for printf."""
    wt = wide.instance_type if isinstance(wide, types.NumberClass) else wide
    n = len(x)

    def codegen(context, builder, sig, args):
        comps = [context.cast(builder, builder.extract_value(args[0], i), x.dtype, wt)
                 for i in range(n)]
        return context.make_tuple(builder, sig.return_type, comps)

    return types.UniTuple(wt, n)(x, wide), codegen
