"""Warp's matrix family: ``matrix(shape, dtype)``, ``mat22..44`` and ``spatial_matrix``.

A :class:`MatType` is stored row-major as a flat LLVM array of ``rows * cols`` scalars
(so an array of ``mat33`` is laid out like an ``(n, 3, 3)`` scalar array). ``m[i, j]``
reads a component, ``m[i]`` a row (a vector); component and row writes are functional
updates used by the code generator. Python-scope values hold a NumPy array.
"""

from __future__ import annotations

import operator

import numpy as np
from numba.core import cgutils, types
from numba.core.errors import TypingError
from numba.core.imputils import lower_builtin
from numba.core.typing.templates import AbstractTemplate, infer, infer_global, signature
from numba.core.typeconv import Conversion
from numba.extending import intrinsic, lower_cast, models, register_model

from .registry import register_typeof, register_value_setitem
from .scalars import ScalarType, scalar_class_for, scalar_types, to_numba_type
from .vec import (
    RUNTIME_SLICE_MESSAGE,
    SUFFIX,
    AggregateValue,
    VectorValue,
    VecType,
    dynamic_component_pointer,
    keyword_pysig,
    pack,
    cast_same_structure,
    register_boxing,
    same_structure,
    unpack,
    vector_class,
    warp_class_attributes,
)

__all__ = ["MatType", "matrix_class", "MatrixValue", "matrix", "is_matrix_class", "componentwise",
           "flat_get", "flat_set", "register_matrix_constructor"]


class MatType(types.Type):
    """Numba type of a ``rows x cols`` matrix of ``dtype``."""

    def __init__(self, rows: int, cols: int, dtype, kind: str = "matrix"):
        self.shape = (int(rows), int(cols))
        self.dtype = dtype
        self.kind = kind
        sfx = SUFFIX.get(str(dtype), str(dtype))
        name = (f"mat{rows}{cols}{sfx}" if kind == "matrix" else f"spatial_matrix{sfx}")
        super().__init__(name=name)

    @property
    def key(self):
        return (self.kind, self.shape, self.dtype)

    @property
    def count(self) -> int:
        return self.shape[0] * self.shape[1]

    def __len__(self):
        return self.count

    def row_type(self) -> VecType:
        return vector_class(self.shape[1], scalar_class_for(self.dtype))._numba_type

    def __reduce__(self):
        # pickled (into Numba's cache index) by shape and dtype; see VecType.__reduce__
        return (_mat_type_for, (self.shape, str(self.dtype), self.kind))

    def can_convert_to(self, typingctx, other):
        # a spatial_matrix is a matrix((6, 6)) in Warp (see vec.same_structure)
        if same_structure(self, other):
            return Conversion.safe
        return None


def _mat_type_for(shape, dtype_name, kind):
    return matrix_class(shape, scalar_types[dtype_name], kind)._numba_type


register_model(MatType)(models.UniTupleModel)


lower_cast(MatType, MatType)(cast_same_structure)

#: what a matrix constructor takes as one component
_SCALAR = (types.Number, types.Boolean)


class MatrixValue(AggregateValue):
    """Base of the matrix classes (``wp.mat33`` ...)."""

    __slots__ = ()
    _shape: tuple
    _dtype: ScalarType
    _numba_type: MatType
    _np_dtype: np.dtype

    def __init__(self, *args):
        shape, sdt = self._shape, self._dtype._np_dtype
        n = shape[0] * shape[1]
        raw = [np.asarray(getattr(a, "_v", a), dtype=sdt) for a in args]
        if not raw:
            v = np.zeros(shape, dtype=sdt)
        elif len(raw) == 1 and raw[0].ndim == 0:
            v = np.full(shape, raw[0], dtype=sdt)
        else:
            flat = np.concatenate([r.reshape(-1) for r in raw])
            if flat.size != n:
                raise ValueError(f"{type(self).__name__} needs {n} components, got {flat.size}")
            v = flat.reshape(shape)
        self._v = v.copy()

    def __len__(self):
        return self._shape[0]

    def __getitem__(self, key):
        out = self._v[key]
        if np.ndim(out) == 0:
            return out.item()
        if np.ndim(out) == 1:  # a row, a column or a slice of one: a vector, as in Warp
            return vector_class(out.size, self._dtype)(out)
        return matrix_class(out.shape, self._dtype)(out)

    def __setitem__(self, key, value):
        self._v[key] = np.asarray(getattr(value, "_v", value))

    # Warp's row/column accessors of matrix values at Python scope
    def get_row(self, i: int):
        return vector_class(self._shape[1], self._dtype)(self._v[i])

    def get_col(self, j: int):
        return vector_class(self._shape[0], self._dtype)(self._v[:, j])

    def set_row(self, i: int, value) -> None:
        self._v[i] = np.asarray(getattr(value, "_v", value))

    def set_col(self, j: int, value) -> None:
        self._v[:, j] = np.asarray(getattr(value, "_v", value))

    def __repr__(self):
        rows = ", ".join("[" + ", ".join(repr(x) for x in r) + "]" for r in self._v.tolist())
        return f"{type(self).__name__}({rows})"

    def __add__(self, other):
        return self._new(self._v + np.asarray(getattr(other, "_v", other)))

    def __sub__(self, other):
        return self._new(self._v - np.asarray(getattr(other, "_v", other)))

    def __mul__(self, other):
        if isinstance(other, MatrixValue):
            return matrix_class((self._shape[0], other._shape[1]), self._dtype)(
                self._v @ other._v)
        if isinstance(other, VectorValue):
            return vector_class(self._shape[0], self._dtype)(self._v @ other._v)
        return self._new(self._v * getattr(other, "value", other))

    __matmul__ = __mul__

    def __rmul__(self, other):
        if isinstance(other, VectorValue):
            return vector_class(self._shape[1], self._dtype)(other._v @ self._v)
        return self._new(self._v * getattr(other, "value", other))

    def __truediv__(self, other):
        return self._new(self._v / getattr(other, "value", other))


_classes: dict = {}


def matrix_class(shape, dtype, kind: str = "matrix"):
    """The Python class for a matrix type (made once, then cached)."""
    rows, cols = (int(shape[0]), int(shape[1]))
    nbt = to_numba_type(dtype)
    scalar = scalar_class_for(nbt)
    if scalar is None:
        raise TypeError(f"matrices hold scalars (numbers or wp.bool), not {dtype!r}")
    key = (kind, rows, cols, nbt)
    cls = _classes.get(key)
    if cls is None:
        mt = MatType(rows, cols, nbt, kind)
        ns = {"__slots__": (), "_shape": (rows, cols), "_value_shape": (rows, cols),
              "_dtype": scalar,
              "_wp_scalar_type_": scalar, "_numba_type": mt,
              "_np_dtype": np.dtype((scalar._np_dtype, (rows, cols))),
              "__module__": "numba_warp",
              **warp_class_attributes(kind, (rows, cols), scalar)}
        cls = type(mt.name, (MatrixValue,), ns)
        cls.shape = (rows, cols)
        cls.dtype = scalar
        mt.python_class = cls
        _classes[key] = cls
        _register_constructor(cls, mt)
    return cls


def matrix(*args, shape=None, dtype=None):
    """A matrix type, or (in kernels) a matrix value.

    At Python scope ``wp.matrix((3, 3), wp.float64)`` or ``wp.matrix(shape=(3, 3),
    dtype=float)`` is the type. In kernels, ``wp.matrix(a, b, ..., shape=(r, c))`` builds a
    matrix from ``r * c`` components (row-major) and ``wp.matrix(shape=(r, c),
    dtype=...)`` a zero matrix.

    Example
    -------
    >>> mat32 = wp.matrix(shape=(3, 2), dtype=wp.float64)
    >>> m = mat32(1.0, 2.0, 3.0, 4.0, 5.0, 6.0)  # row-major
    >>> m.shape, m[2, 1], wp.matrix((3, 3), wp.float32) is wp.mat33
    ((3, 2), 6.0, True)
    >>> @wp.kernel
    ... def k(out: wp.array(dtype=wp.mat22)):
    ...     out[0] = wp.matrix(1.0, 2.0, 3.0, 4.0, shape=(2, 2))
    >>> out = wp.zeros(1, dtype=wp.mat22)
    >>> wp.launch(k, dim=1, inputs=[out])
    >>> print(out.numpy()[0])
    [[1. 2.]
     [3. 4.]]
    """
    if len(args) in (1, 2) and isinstance(args[0], tuple) and shape is None:
        return matrix_class(args[0], args[1] if len(args) == 2 else (dtype or float))
    if not args and shape is not None:
        return matrix_class(shape, dtype or float)
    if shape is None:
        raise TypeError("wp.matrix(*components) needs shape=(rows, cols)")
    return matrix_class(shape, dtype or float)(*args)


@infer_global(matrix)
class _MatrixBuiltin(AbstractTemplate):
    prefer_literal = True

    def generic(self, args, kws):
        kws = dict(kws)
        shape, dtype = kws.pop("shape", None), kws.pop("dtype", None)
        if [getattr(a, "kind", None) for a in args] == ["vector", "quaternion", "vector"]:
            raise TypingError("wp.matrix(pos, rot, scale) was removed in Warp 1.19; use "
                              "wp.transform_compose(pos, rot, scale)")
        if kws or shape is None:
            raise TypingError("wp.matrix() in kernels needs a constant shape=(rows, cols)")
        dims = _literal_shape(shape)
        dt = dtype.instance_type if isinstance(dtype, types.NumberClass) else None
        if args:
            if not all(isinstance(a, _SCALAR) for a in args) or \
                    len(args) not in (1, dims[0] * dims[1]):
                raise TypingError(f"wp.matrix(shape={dims}) takes {dims[0] * dims[1]} numbers "
                                  f"(or one to fill with), got ({', '.join(map(str, args))})")
            first = args[0]
            dt = dt or (first if isinstance(first, types.Float) and str(first) != "float32"
                        else types.float32)
        mt = matrix_class(dims, scalar_class_for(dt or types.float32))._numba_type
        names = [k for k, v in (("shape", shape), ("dtype", dtype)) if v is not None]
        sig = signature(mt, *args, *[v for v in (shape, dtype) if v is not None])
        return sig.replace(pysig=keyword_pysig(len(args), names))


def _literal_shape(t):
    if isinstance(t, types.BaseTuple) and len(t) == 2 and all(
            isinstance(x, types.IntegerLiteral) for x in t):
        return tuple(x.literal_value for x in t)
    if hasattr(t, "literal_value") and isinstance(t.literal_value, tuple):
        return tuple(t.literal_value)
    raise TypingError(f"wp.matrix() needs a constant shape=(rows, cols), got {t}")


@lower_builtin(matrix, types.VarArg(types.Any))
def _lower_matrix_builtin(context, builder, sig, args):
    mt = sig.return_type
    n = sum(name.startswith("a") for name in sig.pysig.parameters)
    comps = [context.cast(builder, v, t, mt.dtype) for t, v in zip(sig.args[:n], args[:n])]
    if not comps:
        comps = [context.get_constant(mt.dtype, 0)] * mt.count
    elif len(comps) == 1:
        comps = comps * mt.count
    return pack(context, builder, mt, comps)


def register_matrix_constructor(fn) -> None:
    """Let kernels call ``fn`` as they call ``wp.matrix`` (for ``wp.types.matrix``)."""
    infer_global(fn)(_MatrixBuiltin)
    lower_builtin(fn, types.VarArg(types.Any))(_lower_matrix_builtin)


def is_matrix_class(obj) -> bool:
    return isinstance(obj, type) and issubclass(obj, MatrixValue)


@register_typeof(MatrixValue)
def _typeof_matrix(val, c):
    return type(val)._numba_type


register_boxing(MatType)


def _register_constructor(cls, mt: MatType):
    n = mt.count

    class _Constructor(AbstractTemplate):
        key = cls

        def generic(self, args, kws):
            if kws:
                return None
            if not args or (len(args) == 1 and isinstance(args[0], _SCALAR)):
                return signature(mt, *args)
            if len(args) == 1 and isinstance(args[0], MatType) and args[0].shape == mt.shape:
                return signature(mt, *args)
            if len(args) == n and all(isinstance(a, _SCALAR) for a in args):
                return signature(mt, *args)
            raise TypingError(
                f"{mt.name}() takes {n} numbers (row-major), one scalar, a {mt.shape[0]}x"
                f"{mt.shape[1]} matrix, or nothing; got ({', '.join(map(str, args))}). "
                "Use wp.matrix_from_rows() or wp.matrix_from_cols() to build from vectors")

    infer_global(cls, types.Function(_Constructor))

    @lower_builtin(cls)
    @lower_builtin(cls, types.VarArg(types.Any))
    def _construct(context, builder, sig, args):
        if len(args) == 1 and isinstance(sig.args[0], MatType):
            src = sig.args[0]
            comps = [context.cast(builder, c, src.dtype, mt.dtype)
                     for c in unpack(builder, args[0], n)]
        elif len(args) == 1:  # a scalar fills every component, as in Warp
            comps = [context.cast(builder, args[0], sig.args[0], mt.dtype)] * n
        elif not args:
            comps = [context.get_constant(mt.dtype, 0)] * n
        else:
            comps = [context.cast(builder, v, t, mt.dtype) for v, t in zip(args, sig.args)]
        return pack(context, builder, mt, comps)


# ---------------------------------------------------------------------------------------
# Component and row access
# ---------------------------------------------------------------------------------------


def _index_kind(mt, idx):
    """'component' for m[i, j], 'row' for m[i], else None."""
    if isinstance(idx, types.BaseTuple) and len(idx) == 2 and all(
            isinstance(t, types.Integer) for t in idx):
        return "component"
    if isinstance(idx, types.Integer):
        return "row"
    return None


def _check_literal(mt, idx):
    tys = list(idx) if isinstance(idx, types.BaseTuple) else [idx]
    for axis, t in enumerate(tys):
        if isinstance(t, types.IntegerLiteral):
            n = mt.shape[axis]
            if not -n <= t.literal_value < n:
                raise TypingError(f"index {t.literal_value} is out of range for axis {axis} "
                                 f"of {mt} (size {n})")


@infer_global(operator.getitem)
class _MatrixGetitem(AbstractTemplate):
    prefer_literal = True

    def generic(self, args, kws):
        if len(args) != 2 or kws or not isinstance(args[0], MatType):
            return None
        mt, idx = args
        kind = _index_kind(mt, idx)
        parts = list(idx) if isinstance(idx, types.BaseTuple) else [idx]
        if any(isinstance(p, types.SliceType) for p in parts):
            raise TypingError(RUNTIME_SLICE_MESSAGE.format(t=mt))
        if kind is None:
            raise TypingError(f"{mt} is indexed with m[i, j] or m[i] (integers), got {idx}")
        _check_literal(mt, idx)
        return signature(mt.dtype if kind == "component" else mt.row_type(), mt, idx)


def _flat_index(context, builder, mt, idxty, idx):
    """(flat component index as intp, row index) from m[i, j] indices."""
    cols = mt.shape[1]
    if isinstance(idxty, types.BaseTuple):
        i = context.cast(builder, builder.extract_value(idx, 0), idxty[0], types.intp)
        j = context.cast(builder, builder.extract_value(idx, 1), idxty[1], types.intp)
        i = _wrap(builder, i, mt.shape[0])
        j = _wrap(builder, j, cols)
        return builder.add(builder.mul(i, i.type(cols)), j)
    raise TypingError("expected two indices")


def _wrap(builder, i, n):
    neg = builder.icmp_signed("<", i, i.type(0))
    return builder.select(neg, builder.add(i, i.type(n)), i)


@infer
class _MatrixStaticGetitem(AbstractTemplate):
    """``m[1, 2]`` and ``m[1]`` with constant indices (typed as static_getitem)."""

    key = "static_getitem"

    def generic(self, args, kws):
        mt, idx = args
        if not isinstance(mt, MatType):
            return None
        if isinstance(idx, int):
            _check_literal(mt, types.literal(idx))
            return signature(mt.row_type(), *args)
        if isinstance(idx, tuple) and len(idx) == 2 and all(isinstance(i, int) for i in idx):
            _check_literal(mt, types.Tuple([types.literal(i) for i in idx]))
            return signature(mt.dtype, *args)
        return None


@lower_builtin("static_getitem", MatType, types.Any)
def _matrix_static_getitem(context, builder, sig, args):
    mt, idx = sig.args[0], args[1]
    if isinstance(idx, int):
        return matrix_row(context, builder, mt, args[0], idx % mt.shape[0])
    i, j = (k % n for k, n in zip(idx, mt.shape))
    return builder.extract_value(args[0], i * mt.shape[1] + j)


@lower_builtin(operator.getitem, MatType, types.BaseTuple)
def _matrix_getitem_component(context, builder, sig, args):
    mt, idxty = sig.args
    if all(isinstance(t, types.IntegerLiteral) for t in idxty):
        i, j = (t.literal_value % n for t, n in zip(idxty, mt.shape))
        return builder.extract_value(args[0], i * mt.shape[1] + j)
    flat = _flat_index(context, builder, mt, idxty, args[1])
    _, ptr = dynamic_component_pointer(context, builder, args[0], mt.count, flat, types.intp)
    return builder.load(ptr)


def matrix_row(context, builder, mt, value, row_index_value):
    """Row ``i`` (an LLVM intp, or a Python int) of a matrix value, as a vector value."""
    cols = mt.shape[1]
    rt = mt.row_type()
    if isinstance(row_index_value, int):
        comps = [builder.extract_value(value, row_index_value * cols + j) for j in range(cols)]
        return pack(context, builder, rt, comps)
    comps = []
    for j in range(cols):
        flat = builder.add(builder.mul(row_index_value, row_index_value.type(cols)),
                           row_index_value.type(j))
        _, ptr = dynamic_component_pointer(context, builder, value, mt.count, flat, types.intp)
        comps.append(builder.load(ptr))
    return pack(context, builder, rt, comps)


@lower_builtin(operator.getitem, MatType, types.Integer)
def _matrix_getitem_row(context, builder, sig, args):
    mt, idxty = sig.args
    if isinstance(idxty, types.IntegerLiteral):
        return matrix_row(context, builder, mt, args[0], idxty.literal_value % mt.shape[0])
    i = _wrap(builder, context.cast(builder, args[1], idxty, types.intp), mt.shape[0])
    return matrix_row(context, builder, mt, args[0], i)


def _setitem_rule(typingctx, base, index, value):
    kind = _index_kind(base, index)
    if kind is None:
        raise TypingError(f"{base} is indexed with m[i, j] or m[i] (integers), got {index}")
    _check_literal(base, index)
    target = base.dtype if kind == "component" else base.row_type()
    if typingctx.can_convert(value, target) is None:
        where = "a component" if kind == "component" else "a row"
        raise TypingError(f"cannot store a {value} in {where} of {base}")

    def codegen(context, builder, sig, args):
        mt = base
        if kind == "component":
            val = context.cast(builder, args[2], sig.args[2], mt.dtype)
            flat = _flat_index(context, builder, mt, index, args[1])
            slot, ptr = dynamic_component_pointer(context, builder, args[0], mt.count, flat,
                                                  types.intp)
            builder.store(val, ptr)
            return builder.load(slot)
        row = context.cast(builder, args[2], sig.args[2], target)
        i = _wrap(builder, context.cast(builder, args[1], index, types.intp), mt.shape[0])
        slot = None
        out = args[0]
        for j in range(mt.shape[1]):
            flat = builder.add(builder.mul(i, i.type(mt.shape[1])), i.type(j))
            slot, ptr = dynamic_component_pointer(context, builder, out, mt.count, flat,
                                                  types.intp)
            builder.store(builder.extract_value(row, j), ptr)
            out = builder.load(slot)
        return out

    return base(base, index, value), codegen


register_value_setitem(MatType, _setitem_rule)


# ---------------------------------------------------------------------------------------
# Component access by flat index, for code written once for vectors and matrices
# ---------------------------------------------------------------------------------------


@intrinsic
def flat_get(typingctx, x, i):
    """Component ``i`` of a vector or matrix in storage order (row-major)."""
    if not isinstance(x, (VecType, MatType)) or not isinstance(i, types.Integer):
        return None

    def codegen(context, builder, sig, args):
        slot = cgutils.alloca_once_value(builder, args[0])
        idx = context.cast(builder, args[1], sig.args[1], types.intp)
        zero = idx.type(0)
        return builder.load(builder.gep(slot, [zero, idx]))

    return x.dtype(x, i), codegen


@intrinsic
def flat_set(typingctx, x, i, v):
    """A copy of ``x`` with component ``i`` (storage order) replaced by ``v``."""
    if not isinstance(x, (VecType, MatType)) or not isinstance(i, types.Integer):
        return None

    def codegen(context, builder, sig, args):
        slot = cgutils.alloca_once_value(builder, args[0])
        idx = context.cast(builder, args[1], sig.args[1], types.intp)
        val = context.cast(builder, args[2], sig.args[2], x.dtype)
        builder.store(val, builder.gep(slot, [idx.type(0), idx]))
        return builder.load(slot)

    return x(x, i, v), codegen


def componentwise(op, n: int):
    """``impl(a, b)`` (for ``@overload``): ``op`` on each pair of components of two values
    of one vector/matrix type with ``n`` components, unrolled by LLVM."""
    def impl(a, b):
        out = a
        for i in range(n):
            out = flat_set(out, i, op(flat_get(a, i), flat_get(b, i)))
        return out

    return impl


def _aliases() -> dict:
    out = {}
    for n in (2, 3, 4):
        for sfx, dt in (("h", "float16"), ("f", "float32"), ("d", "float64")):
            out[f"mat{n}{n}{sfx}"] = matrix_class((n, n), scalar_types[dt])
        out[f"mat{n}{n}"] = out[f"mat{n}{n}f"]
    for sfx, dt in (("h", "float16"), ("f", "float32"), ("d", "float64")):
        out[f"spatial_matrix{sfx}"] = matrix_class((6, 6), scalar_types[dt], "spatial_matrix")
    out["spatial_matrix"] = out["spatial_matrixf"]
    return out


ALIASES = _aliases()
