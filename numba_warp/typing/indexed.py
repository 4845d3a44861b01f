"""The Numba type of ``wp.indexedarray`` values in kernels (see ``lowering.indexed_arrays``
for element access).

:class:`IndexedArrayType` is a value of three members: ``data`` (the array, layout "A"),
``indices`` (a tuple of ``ndim`` 1-D ``int32`` arrays; an empty one for a dimension that
is not indexed) and ``shape`` (the indexed extents). Kernel parameters of this type
arrive flattened (data, index arrays, extents; see ``typing.argspec``) and are rebuilt
with :func:`make_indexedarray`.
"""

from __future__ import annotations

from numba.core import cgutils, types
from numba.core.imputils import impl_ret_borrowed
from numba.extending import intrinsic, make_attribute_wrapper, models, register_model

__all__ = ["INDEX_ARRAY_TYPE", "IndexedArrayType", "make_indexedarray"]

#: the type of one dimension's index array in kernels
INDEX_ARRAY_TYPE = types.Array(types.int32, 1, "A")


class IndexedArrayType(types.Type):
    """Numba type of an indexed array of ``dtype`` and ``ndim`` dimensions."""

    def __init__(self, dtype, ndim: int):
        self.dtype = dtype
        self.ndim = int(ndim)
        self.data_type = types.Array(dtype, self.ndim, "A")
        self.indices_type = types.UniTuple(INDEX_ARRAY_TYPE, self.ndim)
        self.shape_type = types.UniTuple(types.intp, self.ndim)
        super().__init__(name=f"indexedarray({dtype}, {self.ndim}d)")

    @property
    def key(self):
        return self.dtype, self.ndim


@register_model(IndexedArrayType)
class _IndexedArrayModel(models.StructModel):
    def __init__(self, dmm, fe_type):
        members = [("data", fe_type.data_type), ("indices", fe_type.indices_type),
                   ("shape", fe_type.shape_type)]
        super().__init__(dmm, fe_type, members)


make_attribute_wrapper(IndexedArrayType, "shape", "shape")
make_attribute_wrapper(IndexedArrayType, "data", "data")
make_attribute_wrapper(IndexedArrayType, "indices", "indices")


@intrinsic
def make_indexedarray(typingctx, data, indices, shape):
    """An indexed array from its data array, a tuple of index arrays and its shape."""
    if not isinstance(data, types.Array) or not isinstance(indices, types.BaseTuple) or \
            len(indices) != data.ndim:
        return None
    rt = IndexedArrayType(data.dtype, data.ndim)

    def codegen(context, builder, sig, args):
        d, idx, shp = args
        out = cgutils.create_struct_proxy(rt)(context, builder)
        out.data = context.cast(builder, d, sig.args[0], rt.data_type)
        items = [context.cast(builder, builder.extract_value(idx, k), t, INDEX_ARRAY_TYPE)
                 for k, t in enumerate(sig.args[1])]
        out.indices = context.make_tuple(builder, rt.indices_type, items)
        dims = [context.cast(builder, builder.extract_value(shp, k), t, types.intp)
                for k, t in enumerate(sig.args[2])]
        out.shape = context.make_tuple(builder, rt.shape_type, dims)
        return impl_ret_borrowed(context, builder, rt, out._getvalue())

    return rt(data, indices, shape), codegen
