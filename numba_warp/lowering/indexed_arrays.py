"""``wp.indexedarray`` in kernels: an array seen through per-dimension index arrays.

An indexed array is a data array plus, for each dimension, an optional ``int32`` index
array: element ``ia[i, j]`` is ``data[idx0[i], j]`` when dimension 0 is indexed and
dimension 1 is not. Its shape is, per dimension, the index array's length or the data's
extent. As in Warp 1.19, negative indices count from the end of the indexed shape; an
absent index array arrives as an empty one (a present but empty index array gives an
extent of 0, so no in-bounds access ever reads it).

The type and its constructor are ``typing.indexed``'s; this module gives the element
access. Reads, writes and the atomics
(through the element pointer rule registered with ``lowering.atomics``) translate
indices, then address the data array; ``.shape`` is the indexed shape.
"""

from __future__ import annotations

import operator

from numba.core import cgutils, types
from numba.core.errors import TypingError
from numba.extending import overload

from ..typing.indexed import IndexedArrayType
from .atomics import element_pointer, register_array_like

__all__ = ["data_index"]

# -- index translation --------------------------------------------------------------------
_GEN_CACHE: dict = {}


def _gen(key, src: str, scope: dict):
    fn = _GEN_CACHE.get(key)
    if fn is None:
        exec(src, scope)  # noqa: S102 - fixed templates
        fn = _GEN_CACHE[key] = scope["f"]
    return fn


def data_index(ia, idx):
    """The data array's index (a tuple) of element ``idx`` (a tuple) of ``ia``."""


@overload(data_index, target="generic")
def _ol_data_index(ia, idx):
    n = ia.ndim
    lines = ["def f(ia, idx):"]
    for d in range(n):
        lines += [f"    j{d} = idx[{d}]",
                  f"    if j{d} < 0:",
                  f"        j{d} += ia.shape[{d}]",
                  f"    if ia.indices[{d}].shape[0] > 0:",
                  f"        j{d} = ia.indices[{d}][j{d}]"]
    lines.append(f"    return ({', '.join(f'j{d}' for d in range(n))},)")
    return _gen(("translate", n), "\n".join(lines) + "\n", {})


def _accessor(kind: str, is_tuple: bool):
    """``ia[idx]`` (``get``) or ``ia[idx] = v`` (``put``), for a tuple or a single index."""
    idx = "idx" if is_tuple else "(idx,)"
    if kind == "get":
        src = f"def f(ia, idx):\n    return ia.data[data_index(ia, {idx})]\n"
    else:
        src = f"def f(ia, idx, v):\n    ia.data[data_index(ia, {idx})] = v\n"
    return _gen((kind, is_tuple), src, {"data_index": data_index})


def _index_types(ia, idx):
    """The index types of ``ia[idx]`` (a full index of integers), or raise."""
    idxtys = list(idx.types) if isinstance(idx, types.BaseTuple) else [idx]
    if not all(isinstance(t, types.Integer) for t in idxtys):
        raise TypingError(f"a wp.indexedarray is indexed with integers, got "
                          f"({', '.join(map(str, idxtys))})")
    if len(idxtys) != ia.ndim:
        raise TypingError(
            f"a {ia.ndim}-D wp.indexedarray needs {ia.ndim} indices, got {len(idxtys)} "
            "(views of indexed arrays, ia[i] of a 2-D ia, are not supported; index every "
            "dimension)")
    return idxtys


@overload(operator.getitem, target="generic")
def _ol_getitem(ia, idx):
    if not isinstance(ia, IndexedArrayType):
        return None
    _index_types(ia, idx)
    return _accessor("get", isinstance(idx, types.BaseTuple))


@overload(operator.setitem, target="generic")
def _ol_setitem(ia, idx, v):
    if not isinstance(ia, IndexedArrayType):
        return None
    _index_types(ia, idx)
    return _accessor("put", isinstance(idx, types.BaseTuple))


@overload(len, target="generic")
def _ol_len(ia):
    if isinstance(ia, IndexedArrayType):
        return lambda ia: ia.shape[0]
    return None


def _element_pointer(context, builder, arrty, arr, idxtys, idxs):
    """Pointer to ``ia[idxs...]`` (for the atomics): the data element it stands for."""
    n = arrty.ndim
    tuple_ty = types.UniTuple(types.intp, n)
    wide = [context.cast(builder, v, t, types.intp) for v, t in zip(idxs, idxtys)]
    translated = context.compile_internal(
        builder, lambda ia, idx: data_index(ia, idx), tuple_ty(arrty, tuple_ty),
        [arr, context.make_tuple(builder, tuple_ty, wide)])
    data = cgutils.create_struct_proxy(arrty)(context, builder, value=arr).data
    data_idx = [builder.extract_value(translated, d) for d in range(n)]
    return element_pointer(context, builder, arrty.data_type, data, [types.intp] * n,
                           data_idx)


register_array_like(IndexedArrayType, _element_pointer)
