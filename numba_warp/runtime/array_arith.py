"""Arithmetic on whole arrays at Python scope (``a + b``, ``2.0 * a``, ``a -= b``, ...),
with Warp 1.19's rules (its ``wp.array`` operators map the kernel builtin over the
elements):

* an operand is a ``wp.array`` (or ``wp.indexedarray``), or a value: a Python ``int``
  (int32), ``float`` (float32) or ``bool``, a Warp scalar (``wp.float64(2.0)``), vector,
  matrix, quaternion or transform; NumPy scalars, lists and NumPy arrays are refused;
* the element operation is the kernel-language operator (``+`` is ``wp.add``, ``/`` is
  ``wp.div``: integer division truncates, ...) and both operands' scalar types must be
  the same (``float64 + float32`` is an error, as in Warp; ``pow`` takes floats only);
* array shapes broadcast as in NumPy; the result is a new array of the operation's
  type on the first array's device, with ``requires_grad`` when an array operand has it
  and the result is of floats;
* ``a op= b`` writes into ``a``: the result must have ``a``'s shape and dtype;
* the work is a kernel launch on the device (a Tape records it, so it is
  differentiable); nothing goes through the host.

Each operator is one generic kernel over 4-D views (arrays of fewer dimensions are
viewed with leading extents of 1); an operand of extent 1 along a dimension is read at
index 0 there (broadcasting), so its gradient is accumulated with atomics. A value
operand is a 1-element array on the device.
"""

from __future__ import annotations

import typing

import numpy as np
from numba.core import types
from numba.core.registry import cpu_target

from .. import lang
from ..lang import tid
from ..typing.dtypes import element_type, type_name
from ..typing.scalars import ScalarType, scalar_class_for, scalar_types
from .array import ARRAY_MAX_DIMS, allocate, array
from .array_operators import install_array_operators
from .indexed import indexedarray
from .kernel import library_kernel
from .launch import launch

__all__ = ["OPERATORS", "array_binary", "array_unary"]

#: operator name -> the kernel-language function applied to the elements
OPERATORS = {"add": lang.add, "sub": lang.sub, "mul": lang.mul, "div": lang.div,
             "floordiv": lang.floordiv, "mod": lang.mod, "pow": lang.pow,
             "neg": lang.neg, "pos": lang.pos}
_SYMBOL = {"add": "+", "sub": "-", "mul": "*", "div": "/", "floordiv": "//", "mod": "%",
           "pow": "**", "neg": "-", "pos": "+"}

_A4 = array(dtype=typing.Any, ndim=ARRAY_MAX_DIMS)


class ArrayOperandError(RuntimeError, TypeError):
    """Operands of an array operator whose types do not go together (Warp raises a
    RuntimeError for mismatched scalar types and a TypeError for unsupported ones)."""


def _binary_kernel(name: str, op):
    @library_kernel(f"numba_warp_array_{name}")
    def binary(a: _A4, b: _A4, out: _A4):
        i, j, k, m = tid()
        x = a[lang.min(i, a.shape[0] - 1), lang.min(j, a.shape[1] - 1),
              lang.min(k, a.shape[2] - 1), lang.min(m, a.shape[3] - 1)]
        y = b[lang.min(i, b.shape[0] - 1), lang.min(j, b.shape[1] - 1),
              lang.min(k, b.shape[2] - 1), lang.min(m, b.shape[3] - 1)]
        out[i, j, k, m] = op(x, y)

    return binary


def _unary_kernel(name: str, op):
    @library_kernel(f"numba_warp_array_{name}")
    def unary(a: _A4, out: _A4):
        i, j, k, m = tid()
        out[i, j, k, m] = op(a[i, j, k, m])

    return unary


_KERNELS = {name: (_unary_kernel if name in ("neg", "pos") else _binary_kernel)(name, op)
            for name, op in OPERATORS.items()}


# -- operand types --------------------------------------------------------------------------
def _value_dtype(value):
    """The Warp type of a non-array operand, or None when it cannot be one."""
    if type(value) is bool:
        return scalar_types["bool"]
    if type(value) is int:
        return scalar_types["int32"]
    if type(value) is float:
        return scalar_types["float32"]
    cls = type(value)
    if isinstance(cls, ScalarType) or (hasattr(cls, "_numba_type") and
                                       hasattr(cls, "_value_shape")):
        return cls
    return None


def _numba_scalar(nbt):
    return getattr(nbt, "dtype", nbt) if not isinstance(nbt, types.Number) else nbt


def _result_dtype(op: str, dtypes: list):
    """The element type of ``op`` over elements of ``dtypes`` (Warp's typing rules)."""
    nbts = [element_type(d).numba_type for d in dtypes]
    names = ", ".join(type_name(d) for d in dtypes)
    scalars = [_numba_scalar(t) for t in nbts]
    if any(s == types.boolean or not isinstance(s, types.Number) for s in scalars):
        raise ArrayOperandError(f"'{_SYMBOL[op]}' is not defined for elements of type "
                                f"({names})")
    if len(set(scalars)) > 1:
        raise ArrayOperandError(
            f"'{_SYMBOL[op]}' needs operands of one scalar type, got ({names}) (as in Warp: "
            "convert one side, e.g. a float64 array with wp.float64(2.0), an int32 array "
            "with an int)")
    if op == "pow" and not (isinstance(scalars[0], types.Float) and
                            all(isinstance(t, types.Number) for t in nbts)):
        raise ArrayOperandError(f"'**' is defined for float scalars only, got ({names})")
    ctx = cpu_target.typing_context
    ctx.refresh()
    fnty = ctx.resolve_value_type(OPERATORS[op])
    try:
        sig = ctx.resolve_function_type(fnty, tuple(nbts), {})
    except Exception:  # noqa: BLE001 - Numba raises assorted errors for no match
        sig = None
    if sig is None:
        raise ArrayOperandError(f"'{_SYMBOL[op]}' is not defined for elements of type "
                                f"({names})")
    rt = sig.return_type
    cls = getattr(rt, "python_class", None) or scalar_class_for(rt)
    if cls is None:
        raise ArrayOperandError(f"'{_SYMBOL[op]}' of ({names}) gives {rt}, which is not an "
                                "array element type")
    return cls


def _as_operand(value, device):
    """An array operand (indexed arrays gathered), or a value as a 1-element array."""
    if isinstance(value, indexedarray):
        return value.contiguous()
    if isinstance(value, array):
        return value
    dtype = _value_dtype(value)
    if dtype is None:
        raise ArrayOperandError(
            f"unsupported operand of type {type(value).__name__} for an array operator: use "
            "a wp.array, a Python int/float, or a Warp scalar/vector/matrix value (as in "
            "Warp, NumPy scalars, lists and NumPy arrays are not converted)")
    out = allocate((1,), element_type(dtype), device)
    out.fill_(value)
    return out


def _broadcast(shapes, symbol):
    try:
        return tuple(int(n) for n in np.broadcast_shapes(*shapes))
    except ValueError:
        raise ValueError(f"array shapes {' and '.join(map(str, shapes))} cannot be broadcast "
                         f"together for '{symbol}' (NumPy's rules)") from None


def _run(op: str, operands: list, out: array, shape: tuple):
    if out.size == 0:
        return
    dims = (1,) * (ARRAY_MAX_DIMS - len(shape)) + shape
    launch(_KERNELS[op], dim=dims, inputs=[a.padded_view() for a in operands],
           outputs=[out.padded_view()], device=out.device)


def array_binary(op: str, left, right, out=None):
    """``left <op> right`` element by element (see the module docstring); into ``out``
    (one of the operands, for ``op=``) when given."""
    first = next(x for x in (left, right) if isinstance(x, (array, indexedarray)))
    device = first.device
    for x in (left, right):
        if isinstance(x, (array, indexedarray)) and x.device != device:
            raise ValueError(f"array operands of '{_SYMBOL[op]}' are on different devices "
                             f"({left.device} and {right.device}); move one with .to()")
    a, b = _as_operand(left, device), _as_operand(right, device)
    dtype = _result_dtype(op, [a.dtype, b.dtype])
    arrays = [x for x in (left, right) if isinstance(x, (array, indexedarray))]
    shape = _broadcast([x.shape for x in arrays], _SYMBOL[op])
    if out is None:
        rg = any(x.requires_grad for x in arrays) and \
            element_type(dtype).scalar_np.kind == "f"
        result = allocate(shape, element_type(dtype), device)
        if rg:
            result.requires_grad = True
        _run(op, [a, b], result, shape)
        return result
    if out.shape != shape:
        raise TypeError(f"'{_SYMBOL[op]}=' would change the array's shape {out.shape} to "
                        f"{shape}; broadcast the other operand to it instead")
    if element_type(dtype) != out.element_type:
        raise TypeError(f"'{_SYMBOL[op]}=' gives elements of type {type_name(dtype)}, the "
                        f"array holds {type_name(out.dtype)}")
    if isinstance(out, indexedarray):
        tmp = allocate(shape, out.element_type, device)
        _run(op, [a, b], tmp, shape)
        out.scatter_from(tmp)
        return out
    _run(op, [a, b], out, shape)
    return out


def array_unary(op: str, operand):
    """``-a`` / ``+a`` element by element: a new array."""
    a = _as_operand(operand, operand.device)
    dtype = _result_dtype(op, [a.dtype])
    result = allocate(a.shape, element_type(dtype), a.device)
    if operand.requires_grad and element_type(dtype).scalar_np.kind == "f":
        result.requires_grad = True
    _run(op, [a], result, a.shape)
    return result


install_array_operators(array_binary, array_unary)
