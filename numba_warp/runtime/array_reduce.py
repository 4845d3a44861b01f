"""Whole-array reductions, scans and casts of ``wp.utils`` (Warp 1.19's ``array_sum``,
``array_inner``, ``array_scan``, ``array_cast``), as kernels on the arrays' device.

Same signatures, checks and results as Warp (errors are ``RuntimeError`` where Warp's
are); nothing goes through the host, except the value returned when no ``out`` array
is given (Warp reads it back too). Floating-point sums are computed in chunks (in
parallel, then the partial sums in order), so their last bits can differ from Warp's.

* ``array_sum`` and ``array_inner`` reduce the last axis of a 4-D view: the reduced
  axis is moved last (a transposed view) and each thread sums one output element; a
  whole-array reduction is split into chunks whose partial sums are summed again.
* ``array_scan`` scans chunks in parallel: chunk sums, their exclusive scan, then each
  chunk scanned from its offset.
"""

from __future__ import annotations

import math
import typing

import numpy as np

from .. import lang
from ..lang import tid
from ..typing.dtypes import element_type, type_name
from ..typing.scalars import scalar_types
from . import cuda_scan
from .array import ARRAY_MAX_DIMS, allocate, array
from .factories import copy
from .kernel import library_kernel
from .launch import launch

__all__ = ["array_cast", "array_inner", "array_scan", "array_sum"]

_A4 = array(dtype=typing.Any, ndim=ARRAY_MAX_DIMS)
_A1 = array(dtype=typing.Any, ndim=1)
_FLOATS = ("float32", "float64")
_SCAN_TYPES = ("int32", "int64", "float32", "float64")
#: the most chunks a whole-array reduction or a scan is split into
MAX_CHUNKS = 4096


# -- kernels -----------------------------------------------------------------------------
@library_kernel("numba_warp_sum_last_axis")
def _sum_last(values: _A4, out: _A4):
    i, j, k = tid()
    s = values[i, j, k, 0]
    for r in range(1, values.shape[3]):
        s = s + values[i, j, k, r]
    out[i, j, k, 0] = s


def _inner_kernel(name: str, op):
    @library_kernel(f"numba_warp_inner_last_axis_{name}")
    def inner_last(a: _A4, b: _A4, out: _A4):
        i, j, k = tid()
        s = op(a[i, j, k, 0], b[i, j, k, 0])
        for r in range(1, a.shape[3]):
            s = s + op(a[i, j, k, r], b[i, j, k, r])
        out[i, j, k, 0] = s

    return inner_last


_INNER = {"scalar": _inner_kernel("scalar", lang.mul), "vector": _inner_kernel("vector", lang.dot),
          "matrix": _inner_kernel("matrix", lang.ddot)}


@library_kernel("numba_warp_scan_chunk_sums")
def _chunk_sums(x: _A1, chunk: int, partial: _A1):
    p = tid()
    start = p * chunk
    end = lang.min(start + chunk, x.shape[0])
    s = x[start]
    for i in range(start + 1, end):
        s = s + x[i]
    partial[p] = s


@library_kernel("numba_warp_scan_offsets")
def _chunk_offsets(partial: _A1, zero: typing.Any, offsets: _A1):
    s = zero
    for p in range(partial.shape[0]):
        v = partial[p]
        offsets[p] = s
        s = s + v


@library_kernel("numba_warp_scan_chunks")
def _scan_chunks(x: _A1, chunk: int, offsets: _A1, inclusive: int, out: _A1):
    p = tid()
    start = p * chunk
    end = lang.min(start + chunk, x.shape[0])
    s = offsets[p]
    for i in range(start, end):
        v = x[i]
        if inclusive != 0:
            s = s + v
            out[i] = s
        else:
            out[i] = s
            s = s + v


_CAST_KERNELS: dict = {}


def _cast_kernel(target):
    """``dest[...] = target(src[...])`` over 4-D views (one kernel per target type)."""
    k = _CAST_KERNELS.get(target)
    if k is None:
        @library_kernel("numba_warp_array_cast")
        def cast(dest: _A4, src: _A4):
            i, j, k, m = tid()
            dest[i, j, k, m] = target(src[i, j, k, m])

        k = _CAST_KERNELS[target] = cast
    return k


# -- helpers -----------------------------------------------------------------------------
def _scalar_name(dtype) -> str:
    return np.dtype(element_type(dtype).scalar_np).name


def _normalize_axis(operation: str, axis, ndim: int) -> int:
    axis = int(np.asarray(axis).item()) if isinstance(axis, np.integer) else axis
    if not isinstance(axis, int) or isinstance(axis, bool):
        raise TypeError(f"{operation}() axis must be an integer, got {axis!r}")
    if axis < -ndim or axis >= ndim:
        raise IndexError(f"{operation}() axis {axis} is out of bounds for an array with "
                         f"{ndim} dimensions")
    return axis % ndim


def _last_axis_views(arrays, axis, count, out):
    """4-D views of ``arrays`` with ``axis`` last and cut to ``count`` entries, and of
    ``out`` (extent 1 along ``axis``)."""
    ndim = arrays[0].ndim
    perm = tuple(d for d in range(ndim) if d != axis) + (axis,)
    views = []
    for a in arrays:
        t = a.transpose(perm)
        if count > t.shape[-1]:
            raise RuntimeError(f"a count of {count} exceeds the extent {t.shape[-1]} of axis "
                               f"{axis}")
        views.append(t[..., :count].padded_view())
    return views, out.transpose(perm).padded_view()


def _flat_chunks(n: int) -> tuple[int, int]:
    """(chunks, chunk length) splitting ``n`` elements (n > 0)."""
    chunk = max(1, math.ceil(n / MAX_CHUNKS))
    return n // chunk, chunk


def _reduce_flat(kern, arrays, count: int, out: array, partial_et):
    """Reduce the first ``count`` elements (flat order) of ``arrays`` into ``out[0]``."""
    flats = [(a if a.is_contiguous else a.contiguous()).flatten()[:count] for a in arrays]
    chunks, chunk = _flat_chunks(count)
    rest = count - chunks * chunk
    device = out.device
    partial = allocate((chunks + (1 if rest else 0),), partial_et, device)
    main = [f[:chunks * chunk].reshape((chunks, chunk)).padded_view() for f in flats]
    launch(kern, dim=(1, 1, chunks), inputs=main,
           outputs=[partial[:chunks].reshape((chunks, 1)).padded_view()], device=device)
    if rest:
        tail = [f[chunks * chunk:].padded_view() for f in flats]
        launch(kern, dim=(1, 1, 1), inputs=tail, outputs=[partial[chunks:].padded_view()],
               device=device)
    # the partial sums (values, for an inner product) are summed in order by one thread
    launch(_sum_last, dim=(1, 1, 1), inputs=[partial.padded_view()],
           outputs=[out.padded_view()], device=device)


def _output(out, shape, dtype, device, name):
    if out is None:
        return allocate(shape, element_type(dtype), device), True
    if out.device != device:
        raise RuntimeError(f"{name}(): out storage device should match values array")
    if out.dtype is not element_type(dtype).dtype:
        raise RuntimeError(f"{name}(): out array should have type {type_name(dtype)}")
    if out.shape != shape:
        raise RuntimeError(f"{name}(): out array should have shape {shape}")
    return out, False


# -- public functions ----------------------------------------------------------------------
def array_sum(values: array, out: array | None = None, value_count: int | None = None,
              axis: int | None = None):
    """The sum of array elements (all of them, or along ``axis``); Warp 1.19's
    ``wp.utils.array_sum``.

    The scalar type must be float32 or float64 (vectors and matrices sum per component).
    With ``out=None`` and ``axis=None`` the sum is returned on the host (a NumPy scalar,
    or array for vector types); otherwise ``out`` (shape ``(1,)``, or ``values.shape``
    with extent 1 along ``axis``) holds it and is returned. ``value_count`` sums only
    the first elements (flat order, or along ``axis``).

    Example
    -------
    >>> a = wp.array([1.0, 2.0, 3.0, 4.0], dtype=wp.float32)
    >>> float(wp.utils.array_sum(a))
    10.0
    >>> m = wp.array([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]], dtype=wp.float32)
    >>> out = wp.zeros((2, 1), dtype=wp.float32)
    >>> wp.utils.array_sum(m, out=out, axis=1).numpy().tolist()  # per row
    [[3.0], [12.0]]
    >>> v = wp.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=wp.vec3)
    >>> print(wp.utils.array_sum(v))
    [5. 7. 9.]
    """
    if axis is not None:
        axis = _normalize_axis("array_sum", axis, values.ndim)
    count = (values.size if axis is None else values.shape[axis]) if value_count is None \
        else int(value_count)
    shape = (1,) if axis is None else tuple(1 if d == axis else n
                                            for d, n in enumerate(values.shape))
    if _scalar_name(values.dtype) not in _FLOATS:
        raise RuntimeError(f"array_sum(): unsupported data type {type_name(values.dtype)} "
                           "(float32 or float64 scalars, vectors or matrices)")
    out, host = _output(out, shape, values.dtype, values.device, "array_sum")
    if count <= 0 or values.size == 0 or 0 in shape:
        out.zero_()
    elif axis is None:
        if count > values.size:
            raise RuntimeError(f"array_sum(): value_count {count} exceeds the array's size "
                               f"{values.size}")
        _reduce_flat(_sum_last, [values], count, out, values.element_type)
    else:
        (v,), o = _last_axis_views([values], axis, count, out)
        launch(_sum_last, dim=v.shape[:3], inputs=[v], outputs=[o], device=values.device)
    if axis is None and host:
        return out.numpy()[0]
    return out


def _inner_kind(dtype) -> str:
    et = element_type(dtype)
    return {0: "scalar", 1: "vector", 2: "matrix"}[len(et.inner_shape)]


def _check_pair(what: str, x, y, size: bool = True) -> None:
    """Warp's checks (and messages) for two arrays a helper combines: one device, one
    size (with ``size``), one element type."""
    if x.device != y.device:
        raise RuntimeError(f"{what} array storage devices do not match "
                           f"({x.device} vs {y.device})")
    if size and x.size != y.size:
        raise RuntimeError(f"{what} array storage sizes do not match ({x.size} vs {y.size})")
    if x.element_type != y.element_type:
        raise RuntimeError(f"{what} array data types do not match "
                           f"({type_name(x.dtype)} vs {type_name(y.dtype)})")


def array_inner(a: array, b: array, out: array | None = None, count: int | None = None,
                axis: int | None = None):
    """The inner product of two arrays of one shape and dtype (all elements, or along
    ``axis``); Warp 1.19's ``wp.utils.array_inner``. Vector elements contribute their
    dot product, matrix elements the sum of component products. The result's type is the
    scalar type (float32 or float64); the return conventions are ``array_sum``'s.

    Example
    -------
    >>> a = wp.array([1.0, 2.0, 3.0, 4.0], dtype=wp.float32)
    >>> b = wp.array([1.0, 0.0, 2.0, 1.0], dtype=wp.float32)
    >>> float(wp.utils.array_inner(a, b))  # 1 + 0 + 6 + 4
    11.0
    """
    if a.shape != b.shape:
        raise ValueError(f"array_inner() arguments must have the same shape, got {a.shape} "
                         f"and {b.shape}")
    _check_pair("array_inner(): a and b", a, b, size=False)
    if axis is not None:
        axis = _normalize_axis("array_inner", axis, a.ndim)
    n = (a.size if axis is None else a.shape[axis]) if count is None else int(count)
    shape = (1,) if axis is None else tuple(1 if d == axis else s
                                            for d, s in enumerate(a.shape))
    scalar = _scalar_name(a.dtype)
    if scalar not in _FLOATS:
        raise RuntimeError(f"array_inner(): unsupported data type {type_name(a.dtype)}")
    sdt = scalar_types[scalar]
    out, host = _output(out, shape, sdt, a.device, "array_inner")
    kern = _INNER[_inner_kind(a.dtype)]
    if n <= 0 or a.size == 0 or 0 in shape:
        if axis is None and host:
            return 0.0
        out.zero_()
        return out
    if axis is None:
        if n > a.size:
            raise RuntimeError(f"array_inner(): count {n} exceeds the arrays' size {a.size}")
        _reduce_flat(kern, [a, b], n, out, element_type(sdt))
    else:
        (va, vb), o = _last_axis_views([a, b], axis, n, out)
        launch(kern, dim=va.shape[:3], inputs=[va, vb], outputs=[o], device=a.device)
    if axis is None and host:
        return out.numpy()[0]
    return out


def _scan_view(arr: array, which: str) -> array:
    if arr.is_contiguous:
        return arr.flatten()
    if arr.ndim != 1:
        raise RuntimeError(f"array_scan(): {which} array must be contiguous or "
                           "one-dimensional")
    return arr


def array_scan(in_array: array, out_array: array, inclusive: bool = True) -> None:
    """Prefix sums of ``in_array`` (flat order) into ``out_array``: inclusive
    (``out[i] = in[0] + ... + in[i]``) or exclusive (``... + in[i-1]``, ``out[0] = 0``);
    Warp 1.19's ``wp.utils.array_scan``. Scalar or vector elements of int32, int64,
    float32 or float64 (vectors component-wise); arrays contiguous or 1-D; ``out_array``
    may be ``in_array``.

    Example
    -------
    >>> a = wp.array([1, 2, 3, 4], dtype=int)
    >>> out = wp.zeros(4, dtype=int)
    >>> wp.utils.array_scan(a, out)
    >>> print(out.numpy())
    [ 1  3  6 10]
    >>> wp.utils.array_scan(a, out, inclusive=False)
    >>> print(out.numpy())
    [0 1 3 6]
    """
    _check_pair("array_scan(): in and out", in_array, out_array)
    if in_array.size == 0:
        return
    x, y = _scan_view(in_array, "input"), _scan_view(out_array, "output")
    et = in_array.element_type
    if len(et.inner_shape) > 1 or np.dtype(et.scalar_np).name not in _SCAN_TYPES:
        raise RuntimeError(f"array_scan(): unsupported data type {type_name(in_array.dtype)}")
    n, dev = x.shape[0], in_array.device
    if dev.is_cuda and not et.inner_shape and x.is_contiguous and y.is_contiguous and \
            np.dtype(et.scalar_np).name in ("int32", "int64"):
        cuda_scan.scan(x, y, inclusive)  # block-cooperative kernels (integers are exact)
        return
    chunk = max(1, math.ceil(n / MAX_CHUNKS))
    chunks = math.ceil(n / chunk)
    partial = allocate((chunks,), et, dev)
    offsets = allocate((chunks,), et, dev)
    zero = et.dtype() if et.inner_shape else et.scalar_np.type(0)
    # not recorded on a Tape: Warp's array_scan is a native call that no Tape sees
    launch(_chunk_sums, dim=chunks, inputs=[x, chunk], outputs=[partial], device=dev,
           record_tape=False)
    launch(_chunk_offsets, dim=1, inputs=[partial, zero], outputs=[offsets], device=dev,
           record_tape=False)
    launch(_scan_chunks, dim=chunks, inputs=[x, chunk, offsets, 1 if inclusive else 0],
           outputs=[y], device=dev, record_tape=False)


def _scalar_view(a: array) -> array:
    """A contiguous array as a 1-D array of its scalars (vector/matrix components)."""
    et = a.element_type
    flat = a.flatten()
    n = flat.size * max(1, math.prod(et.inner_shape))
    return array(ptr=flat.ptr, shape=(n,), dtype=scalar_types[np.dtype(et.scalar_np).name],
                 device=a.device, capacity=n * et.scalar_np.itemsize)


def array_cast(in_array: array, out_array: array, count: int | None = None) -> None:
    """Convert elements of ``in_array`` into ``out_array`` (another dtype; Warp 1.19's
    ``wp.utils.array_cast``). Arrays of different dimensionality or element shapes are
    cast scalar by scalar in flat order; ``count`` (elements of ``in_array``) is for 1-D
    casts only; with one dtype the elements are copied.

    Example
    -------
    >>> f = wp.array([1.7, -2.5, 3.2], dtype=wp.float32)
    >>> i = wp.zeros(3, dtype=wp.int32)
    >>> wp.utils.array_cast(f, i)  # toward zero, as C casts
    >>> print(i.numpy())
    [ 1 -2  3]
    """
    if in_array.device != out_array.device:
        raise RuntimeError(f"array_cast(): array storage devices do not match "
                           f"({in_array.device} vs {out_array.device})")
    src_et, dst_et = in_array.element_type, out_array.element_type
    if in_array.ndim != out_array.ndim or src_et.inner_shape != dst_et.inner_shape:
        count = None if count is None else count * max(1, math.prod(src_et.inner_shape))
        in_array, out_array = _scalar_view(in_array), _scalar_view(out_array)
    if count is None:
        count = in_array.size
    if in_array.ndim > 1 and count < in_array.size:
        raise RuntimeError("array_cast(): partial cast is not supported for arrays with more "
                           "than one dimension")
    if in_array.element_type == out_array.element_type:
        copy(out_array, in_array, count=count)
        return
    if in_array.ndim > 1 and in_array.shape != out_array.shape:
        raise RuntimeError(f"array_cast(): array shapes do not match ({in_array.shape} vs "
                           f"{out_array.shape})")
    if count > in_array.size or count > out_array.size:
        raise RuntimeError(f"array_cast(): cast count ({count}) exceeds the input size "
                           f"({in_array.size}) or output size ({out_array.size})")
    if in_array.ndim == 1:
        in_array, out_array = in_array[:count], out_array[:count]
    if count == 0:
        return
    src, dst = in_array.padded_view(), out_array.padded_view()
    launch(_cast_kernel(out_array.dtype), dim=dst.shape, inputs=[dst, src],
           device=out_array.device)
