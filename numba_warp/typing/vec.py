"""Warp's vector family: ``vector(length, dtype)``, ``vec2..4`` and the quaternion,
transform and spatial-vector types, as Numba types and Python-scope values.

Contract:

* One Numba type class, :class:`VecType` (``kind`` is ``"vector"``, ``"quaternion"``,
  ``"transformation"`` or ``"spatial_vector"``; the kind takes part in the type's
  identity, so a ``quat`` is not a ``vec4``; a ``spatial_vector`` and a ``vector(6)``
  convert to each other, as Warp's types are one there: see :func:`same_structure`).
  Its data model is an LLVM array of the scalar type, so an array of ``vec3`` is laid
  out like an ``(n, 3)`` scalar array.
* One Python class per (kind, length, dtype), made by :func:`vector_class` and cached.
  Instances hold a small NumPy array, support indexing, ``x/y/z/w``, arithmetic with
  NumPy semantics and ``len``, and are accepted by ``wp.launch`` and by plain Numba code
  (boxing/unboxing).
* In kernels (and in ``@numba.njit`` / ``@cuda.jit`` code): constructors, component
  reads ``v[i]``/``v.x``, and functional component writes used by the code generator.
  Operators and vector math live in ``lowering/vector_ops.py``.
"""

from __future__ import annotations

import inspect
import operator

import numpy as np
from llvmlite import ir
from numba.core import cgutils, types
from numba.core.errors import TypingError
from numba.core.imputils import lower_builtin, lower_constant, lower_getattr_generic
from numba.core.typing.templates import (
    AbstractTemplate,
    AttributeTemplate,
    infer,
    infer_getattr,
    infer_global,
    signature,
)
from numba.core.typeconv import Conversion
from numba.extending import box, lower_cast, models, register_model, unbox

from .registry import register_typeof, register_value_setattr, register_value_setitem
from .scalars import ScalarType, scalar_class_for, scalar_types, to_numba_type

__all__ = ["VecType", "vector_class", "same_structure", "cast_same_structure",
           "register_vector_constructor",
           "VectorValue", "AggregateValue", "vector",
           "is_vector_class", "SUFFIX", "COMPONENT_NAMES", "keyword_pysig",
           "composite_type_named_by", "warp_class_attributes", "RUNTIME_SLICE_MESSAGE",
           "install_composite_product"]

SUFFIX = {"int8": "b", "uint8": "ub", "int16": "s", "uint16": "us", "int32": "i",
          "uint32": "ui", "int64": "l", "uint64": "ul", "float16": "h", "float32": "f",
          "float64": "d"}
_KIND_NAME = {"vector": "vec", "quaternion": "quat", "transformation": "transform",
              "spatial_vector": "spatial_vector"}
#: kind -> the names of its components as attributes (``v.x``, ``q.w``)
COMPONENT_NAMES = {"vector": "xyzw", "quaternion": "xyzw"}


class VecType(types.Type):
    """Numba type of a vector-family value of ``length`` components of ``dtype``."""

    def __init__(self, length: int, dtype, kind: str = "vector"):
        self.length = int(length)
        self.dtype = dtype
        self.kind = kind
        sfx = SUFFIX.get(str(dtype), str(dtype))
        base = _KIND_NAME[kind]
        name = f"{base}{self.length}{sfx}" if kind == "vector" else f"{base}{sfx}"
        super().__init__(name=name)

    @property
    def key(self):
        return (self.kind, self.length, self.dtype)

    def __len__(self):
        return self.length

    def __reduce__(self):
        # Numba pickles signatures into its disk cache index: rebuild through the class
        # factory, so the type comes back with its Python class (and no pickling cycle)
        return (_vec_type_for, (self.length, str(self.dtype), self.kind))

    def can_convert_to(self, typingctx, other):
        # Warp's spatial_vector is a vector(6) (its types compare by structure): a value
        # of the one is stored into arrays of, passed as, and mixed with the other
        if same_structure(self, other):
            return Conversion.safe
        return None


def same_structure(a, b) -> bool:
    """Two vector (or matrix) types that are one type in Warp: ``spatial_vector`` and
    ``vector(6)`` of a dtype, ``spatial_matrix`` and ``matrix((6, 6))`` of a dtype (any
    other pair of types, scalars included: False)."""
    kinds = {getattr(a, "kind", None), getattr(b, "kind", None)}
    if type(a) is not type(b) or kinds not in ({"vector", "spatial_vector"},
                                               {"matrix", "spatial_matrix"}):
        return False
    return (a.dtype == b.dtype and getattr(a, "length", None) == getattr(b, "length", None)
            and getattr(a, "shape", None) == getattr(b, "shape", None))


def _vec_type_for(length, dtype_name, kind):
    return vector_class(length, scalar_types[dtype_name], kind)._numba_type


register_model(VecType)(models.UniTupleModel)


@lower_cast(VecType, VecType)
def cast_same_structure(context, builder, fromty, toty, val):
    """A spatial_vector as a vector(6) and back (a spatial_matrix as a matrix((6, 6))):
    the same data (see ``same_structure``)."""
    if fromty == toty or same_structure(fromty, toty):
        return val
    raise NotImplementedError(f"no conversion from {fromty} to {toty}")


# ---------------------------------------------------------------------------------------
# Python-scope values
# ---------------------------------------------------------------------------------------


class AggregateValue:
    """What vector and matrix values share at Python scope: a NumPy array ``_v``."""

    __slots__ = ("_v",)
    _value_shape: tuple
    _dtype: ScalarType

    def _components(self) -> tuple:
        return tuple(self._v.reshape(-1).tolist())

    def __array__(self, dtype=None, copy=None):
        return self._v.astype(dtype) if dtype is not None else self._v.copy()

    def __eq__(self, other):
        try:
            return bool(np.array_equal(self._v, np.asarray(_raw(other))))
        except (TypeError, ValueError):
            return NotImplemented

    def __hash__(self):
        return hash((type(self).__name__, self._v.tobytes()))

    def _new(self, values):
        """A value of this type holding ``values``: the result of an arithmetic operator
        or builtin at Python scope (none of which Warp defines on bool components)."""
        if self._dtype._np_dtype.kind == "b":
            raise TypeError(f"{type(self).__name__} holds bools: vectors and matrices of bool "
                            "have no arithmetic (as in Warp); convert to an int or float type")
        out = object.__new__(type(self))
        out._v = np.asarray(values, dtype=self._dtype._np_dtype).reshape(self._value_shape)
        return out

    def __neg__(self):
        return self._new(-self._v)


#: kinds whose ``a * b`` is a product of two values of the type (as in kernels)
_PRODUCT_KINDS = ("quaternion", "transformation")
#: that product at Python scope: the kernels' own code, installed by lowering (which sits
#: above this floor; see :func:`install_composite_product`)
_product = [None]


def install_composite_product(fn) -> None:
    """Make ``q1 * q2`` / ``t1 * t2`` at Python scope call ``fn(a, b)``."""
    _product[0] = fn


class VectorValue(AggregateValue):
    """Base of the vector-family classes (``wp.vec3``, ``wp.quat``, ...)."""

    __slots__ = ()
    _length: int
    _dtype: ScalarType
    _kind: str
    _numba_type: VecType
    _np_dtype: np.dtype

    def __init__(self, *args):
        n, sdt = self._length, self._dtype._np_dtype
        if len(args) == 0:
            self._v = np.zeros(n, dtype=sdt)
        elif len(args) == 1 and np.ndim(_raw(args[0])) == 0:
            self._v = np.full(n, _raw(args[0]), dtype=sdt)
        elif len(args) == 1:
            v = np.asarray(_raw(args[0]), dtype=sdt).reshape(-1)
            if v.size != n:
                raise ValueError(f"{type(self).__name__} needs {n} components, got {v.size}")
            self._v = v.copy()
        else:
            parts = [np.asarray(_raw(a), dtype=sdt).reshape(-1) for a in args]
            v = np.concatenate(parts)
            if v.size != n:
                raise ValueError(f"{type(self).__name__} needs {n} components, got {v.size}")
            self._v = v

    def __len__(self):
        return self._length

    def __getitem__(self, i):
        out = self._v[i]
        if np.ndim(out) == 0:
            return out.item()
        return vector_class(out.size, self._dtype)(out)  # a slice is a vector, as in Warp

    def __setitem__(self, i, value):
        self._v[i] = _raw(value)

    def __iter__(self):
        return iter(self._v.tolist())

    def __repr__(self):
        return f"{type(self).__name__}({', '.join(repr(x) for x in self._v.tolist())})"

    def __str__(self):
        return "[" + ", ".join(str(x) for x in self._v.tolist()) + "]"

    def __add__(self, other):
        return self._new(self._v + _raw(other))

    __radd__ = __add__

    def __sub__(self, other):
        return self._new(self._v - _raw(other))

    def __rsub__(self, other):
        return self._new(_raw(other) - self._v)

    def __mul__(self, other):
        if isinstance(other, VectorValue):
            # quaternion and transform products, as in kernels; vector * vector is an error
            if type(other) is type(self) and self._kind in _PRODUCT_KINDS:
                return _product[0](self, other)
            return NotImplemented
        if hasattr(other, "_shape"):
            return NotImplemented  # vector * matrix is the matrix's __rmul__
        return self._new(self._v * _raw(other))

    def __rmul__(self, other):
        return self.__mul__(other)

    def __truediv__(self, other):
        return self._new(self._v / _raw(other))

    def __rtruediv__(self, other):
        return self._new(_raw(other) / self._v)

    def __pos__(self):
        return self._new(self._v.copy())


def _raw(x):
    if isinstance(x, AggregateValue):
        return x._v
    return getattr(x, "value", x) if not isinstance(x, (list, tuple, np.ndarray)) else x


def _attr_property(index):
    def get(self):
        return self._v[index].item()

    def set(self, value):
        self._v[index] = _raw(value)

    return property(get, set)


def _part_property(start: int, stop: int, kind: str):
    """A transform's ``p`` (components 0-2, a vec3) or ``q`` (3-6, a quaternion) at
    Python scope, as in Warp: a copy when read, written back when assigned."""
    def get(self):
        cls = vector_class(stop - start, self._numba_type.dtype, kind)
        return cls(*self._v[start:stop])

    def set(self, value):
        self._v[start:stop] = _raw(value)

    return property(get, set)


_classes: dict = {}


def vector_class(length: int, dtype, kind: str = "vector"):
    """The Python class for a vector-family type (made once, then cached)."""
    nbt = to_numba_type(dtype)
    scalar = scalar_class_for(nbt)
    if scalar is None:
        raise TypeError(f"vectors hold scalars (numbers or wp.bool), not {dtype!r}")
    if not 1 <= int(length) <= 64:
        raise ValueError(f"vector length must be between 1 and 64, got {length}")
    key = (kind, int(length), nbt)
    cls = _classes.get(key)
    if cls is not None:
        return cls
    vt = VecType(length, nbt, kind)
    ns = {
        "__slots__": (),
        "_length": int(length),
        "_dtype": scalar,
        "_wp_scalar_type_": scalar,
        "_kind": kind,
        "_numba_type": vt,
        "_value_shape": (int(length),),
        "_np_dtype": np.dtype((scalar._np_dtype, (int(length),))),
        "__module__": "numba_warp",
        **warp_class_attributes(kind, (int(length),), scalar),
    }
    for i, c in enumerate(COMPONENT_NAMES.get(kind, "")[: int(length)]):
        ns[c] = _attr_property(i)
    if kind == "transformation":
        ns["p"] = _part_property(0, 3, "vector")
        ns["q"] = _part_property(3, 7, "quaternion")
    cls = type(vt.name, (VectorValue,), ns)
    cls.length = int(length)
    cls.dtype = scalar
    vt.python_class = cls
    _classes[key] = cls
    _register_constructor(cls, vt)
    return cls


#: kind -> Warp's name of the generic C++ type (``_wp_generic_type_str_``)
_GENERIC_TYPE_STR = {"vector": "vec_t", "quaternion": "quat_t",
                     "transformation": "transform_t", "spatial_vector": "vec_t",
                     "matrix": "mat_t", "spatial_matrix": "mat_t"}


def warp_class_attributes(kind: str, shape: tuple, scalar) -> dict:
    """The class attributes Warp's vector/matrix classes carry and Warp code reads
    (``_length_``, ``_shape_``, ``_type_``, ``_wp_type_params_``, ...)."""
    count = shape[0] if len(shape) == 1 else shape[0] * shape[1]
    if kind in ("quaternion", "transformation"):
        params = (scalar,)
    else:
        params = (*shape, scalar)
    return {"_length_": count, "_shape_": tuple(shape), "_type_": scalar._type_,
            "_wp_type_params_": params, "_wp_generic_type_str_": _GENERIC_TYPE_STR[kind],
            "_wp_constructor_": {"quaternion": "quaternion",
                                 "transformation": "transformation"}.get(
                kind, "vector" if len(shape) == 1 else "matrix")}


def vector(*args, length=None, dtype=None):
    """A vector type, or (in kernels) a vector value.

    At Python scope ``wp.vector(3, wp.float64)`` or ``wp.vector(length=3, dtype=float)``
    is the type. In kernels, ``wp.vector(x, y, z)`` builds a vector of its arguments' type
    and ``wp.vector(length=3, dtype=wp.float64)`` a zero vector.

    Example
    -------
    >>> vec5 = wp.vector(length=5, dtype=wp.float32)
    >>> v = vec5(1.0, 2.0, 3.0, 4.0, 5.0)
    >>> len(v), v[4], wp.vector(3, wp.float32) is wp.vec3
    (5, 5.0, True)
    >>> @wp.kernel
    ... def k(out: wp.array(dtype=vec5)):
    ...     out[0] = wp.vector(1.0, 2.0, 3.0, 4.0, 5.0) * 2.0
    ...     out[1] = wp.vector(length=5, dtype=wp.float32)  # zeros
    >>> out = wp.full(2, vec5(-1.0, -1.0, -1.0, -1.0, -1.0))
    >>> wp.launch(k, dim=1, inputs=[out])
    >>> print(out.numpy())
    [[ 2.  4.  6.  8. 10.]
     [ 0.  0.  0.  0.  0.]]
    """
    if len(args) == 2 and isinstance(args[0], int) and length is None and dtype is None:
        return vector_class(args[0], args[1], "vector")
    if len(args) == 1 and isinstance(args[0], int) and length is None:
        return vector_class(args[0], float if dtype is None else dtype, "vector")
    if not args and length is not None:
        return vector_class(length, float if dtype is None else dtype, "vector")
    n = length if length is not None else len(args)
    return vector_class(n, float if dtype is None else dtype, "vector")(*args)


def keyword_pysig(n_positional: int, keywords: list):
    """A Python signature ``(a0, ..., a{n-1}, kw...)`` for folding keyword arguments.

    (Numba's argument folding mishandles keyword-only parameters, so the keywords are
    ordinary parameters after the positional ones.)
    """
    P = inspect.Parameter
    params = [P(f"a{i}", P.POSITIONAL_OR_KEYWORD) for i in range(n_positional)]
    params += [P(k, P.POSITIONAL_OR_KEYWORD) for k in keywords]
    return inspect.Signature(params)


def composite_type_named_by(t):
    """The VecType/MatType of a vector/matrix class used as a value in jitted code.

    (Such a class is typed as a ``types.Function`` whose template key is the class.)
    """
    templates = getattr(t, "templates", None)
    if templates:
        nbt = getattr(getattr(templates[0], "key", None), "_numba_type", None)
        if nbt is not None and hasattr(nbt, "dtype"):
            return nbt
    return None


def _dtype_of_class_type(t):
    """The Numba scalar type named by ``dtype=wp.float64`` (a NumberClass) in kernels."""
    return t.instance_type if isinstance(t, types.NumberClass) else None


@infer_global(vector)
class _VectorBuiltin(AbstractTemplate):
    def generic(self, args, kws):
        kws = dict(kws)
        length, dtype = kws.pop("length", None), kws.pop("dtype", None)
        if kws:
            return None
        dt = _dtype_of_class_type(dtype) if dtype is not None else None
        if args:
            counts = _flat_parts(args)
            if counts is None:
                raise TypingError(f"wp.vector() takes numbers, got {args}")
            first = args[0].dtype if isinstance(args[0], VecType) else args[0]
            dt = dt or (types.float32 if not isinstance(first, types.Float) or
                        str(first) == "float32" else first)
            n = sum(counts)
            if len(args) == 1 and counts == [1] and isinstance(length, types.IntegerLiteral):
                n = length.literal_value  # wp.vector(x, length=n) fills every component
        else:
            if not isinstance(length, types.IntegerLiteral):
                raise TypingError("wp.vector() needs components or a constant length=")
            n = length.literal_value
            dt = dt or types.float32
        vt = vector_class(n, scalar_class_for(dt))._numba_type
        names = [k for k, v in (("length", length), ("dtype", dtype)) if v is not None]
        sig = signature(vt, *args, *[v for v in (length, dtype) if v is not None])
        sig = sig.replace(pysig=keyword_pysig(len(args), names))
        return sig

    prefer_literal = True


@lower_builtin(vector, types.VarArg(types.Any))
def _lower_vector_builtin(context, builder, sig, args):
    vt = sig.return_type
    # the keyword arguments (length=, dtype=) come after the components; drop them
    n = sum(name.startswith("a") for name in sig.pysig.parameters) \
        if sig.pysig is not None else len(sig.args)
    return build_vector(context, builder, vt, sig.args[:n], args[:n])


def register_vector_constructor(fn) -> None:
    """Let kernels call ``fn`` as they call ``wp.vector`` (for ``wp.types.vector``, the
    same function in Warp)."""
    infer_global(fn)(_VectorBuiltin)
    lower_builtin(fn, types.VarArg(types.Any))(_lower_vector_builtin)


def is_vector_class(obj) -> bool:
    return isinstance(obj, type) and issubclass(obj, VectorValue)


@register_typeof(VectorValue)
def _typeof_vector(val, c):
    return type(val)._numba_type


def component_constant(context, dtype, value):
    """The LLVM constant of one scalar component of ``dtype``.

    float16 is held as its bits (an i16) on every target: numba-cuda's data model, and
    ours for the CPU (``lowering/half.py``).
    """
    if dtype == types.float16:
        return ir.Constant(ir.IntType(16), int(np.float16(value).view(np.uint16)))
    return context.get_constant(dtype, value)


def register_boxing(type_class):
    """Boxing/unboxing of a vector or matrix type between Numba and its Python class,
    and its values as compile-time constants.

    The Python value hands Numba a tuple of its components (row-major); boxing calls the
    class (``typ.python_class``) with them. Same layout as the type's data model. A value
    used as a global in jitted code (``G = wp.constant(wp.vec3(0.0, -9.8, 0.0))``, or a
    closure's ``wp.mat33``) is frozen into the code as a constant when it is compiled.
    """

    @lower_constant(type_class)
    def _constant(context, builder, typ, pyval):
        comps = np.asarray(pyval._v).reshape(-1).tolist()
        return ir.Constant(context.get_value_type(typ),
                           [component_constant(context, typ.dtype, x) for x in comps])

    @unbox(type_class)
    def _unbox(typ, obj, c):
        tup = c.pyapi.call_method(obj, "_components", ())
        native = c.unbox(types.UniTuple(typ.dtype, len(typ)), tup)
        c.pyapi.decref(tup)
        return native

    @box(type_class)
    def _box(typ, val, c):
        tup = c.box(types.UniTuple(typ.dtype, len(typ)), val)
        clsobj = c.pyapi.unserialize(c.pyapi.serialize_object(typ.python_class))
        out = c.pyapi.call(clsobj, tup)
        c.pyapi.decref(clsobj)
        c.pyapi.decref(tup)
        return out


register_boxing(VecType)


# ---------------------------------------------------------------------------------------
# Constructors in kernels
# ---------------------------------------------------------------------------------------


def _flat_parts(args):
    """Component count of each constructor argument, or None if one is not numeric."""
    counts = []
    for a in args:
        if isinstance(a, (types.Number, types.Boolean)):
            counts.append(1)
        elif isinstance(a, VecType):
            counts.append(a.length)
        else:
            return None
    return counts


def _register_constructor(cls, vt: VecType):
    class _Constructor(AbstractTemplate):
        key = cls

        def generic(self, args, kws):
            if kws:
                return None
            counts = _flat_parts(args)
            if counts is None:
                raise TypingError(f"{vt.name}() takes numbers or vectors, got "
                                f"({', '.join(map(str, args))})")
            if len(args) == 0 or sum(counts) == vt.length or (len(args) == 1 and
                                                              counts[0] == 1):
                return signature(vt, *args)
            raise TypingError(
                f"{vt.name}() needs {vt.length} components (or one scalar to broadcast, or "
                f"no arguments for zero), got {sum(counts)} from ({', '.join(map(str, args))})")

    infer_global(cls, types.Function(_Constructor))

    @lower_builtin(cls)
    @lower_builtin(cls, types.VarArg(types.Any))
    def _construct(context, builder, sig, args):
        return build_vector(context, builder, vt, sig.args, args)


def build_vector(context, builder, vt: VecType, argtys, args):
    """LLVM value of ``vt`` from scalar/vector pieces (or a broadcast scalar, or zero)."""
    comps = []
    for t, v in zip(argtys, args):
        if isinstance(t, VecType):
            comps.extend(context.cast(builder, builder.extract_value(v, i), t.dtype, vt.dtype)
                         for i in range(t.length))
        else:
            comps.append(context.cast(builder, v, t, vt.dtype))
    if not comps:
        comps = [context.get_constant(vt.dtype, 0)] * vt.length
    elif len(comps) == 1:
        comps = comps * vt.length
    return pack(context, builder, vt, comps)


def pack(context, builder, vt, comps):
    """An LLVM aggregate of ``vt`` (a vector or matrix type) from component values."""
    value = cgutils.get_null_value(context.get_value_type(vt))
    for i, c in enumerate(comps):
        value = builder.insert_value(value, c, i)
    return value


def unpack(builder, value, n):
    return [builder.extract_value(value, i) for i in range(n)]


# ---------------------------------------------------------------------------------------
# Component access
# ---------------------------------------------------------------------------------------


@infer_getattr
class _VectorAttributes(AttributeTemplate):
    key = VecType

    def generic_resolve(self, typ, attr):
        names = COMPONENT_NAMES.get(typ.kind, "")
        if len(attr) == 1 and attr in names[: typ.length]:
            return typ.dtype
        return None


@lower_getattr_generic(VecType)
def _vector_getattr(context, builder, typ, value, attr):
    return builder.extract_value(value, COMPONENT_NAMES[typ.kind].index(attr))


def _static_index(typ, idx):
    """The constant component index of a literal integer, checked against the length."""
    if isinstance(idx, types.IntegerLiteral):
        i = idx.literal_value
        n = len(typ) if not hasattr(typ, "shape") else typ.shape[0]
        if not -n <= i < n:
            raise TypingError(f"index {i} is out of range for {typ} (valid: 0..{n - 1})")
        return i % n
    return None


@infer_global(operator.getitem)
class _VectorGetitem(AbstractTemplate):
    prefer_literal = True

    def generic(self, args, kws):
        if len(args) != 2 or kws or not isinstance(args[0], VecType):
            return None
        vt, idx = args
        if isinstance(idx, types.SliceType):
            raise TypingError(RUNTIME_SLICE_MESSAGE.format(t=vt))
        if not isinstance(idx, types.Integer):
            raise TypingError(f"{vt} components are indexed with an integer, got {idx}")
        _static_index(vt, idx)
        return signature(vt.dtype, vt, idx)


#: the error for a slice whose bounds are not constants (they reach Numba as run-time
#: slices; constant ones are rewritten by the code generator, see lowering/slices.py)
RUNTIME_SLICE_MESSAGE = (
    "a slice of a {t} needs compile-time constant bounds and step (as in Warp): v[1:3], "
    "v[::-1], m[0, 1:], with literals, module constants or wp.static(); this one has a "
    "bound or step known only at run time")


def dynamic_component_pointer(context, builder, agg, n, idx, idxty):
    """Pointer to component ``idx`` (a runtime int) of an aggregate held in a temporary."""
    slot = cgutils.alloca_once_value(builder, agg)
    i = context.cast(builder, idx, idxty, types.intp)
    neg = builder.icmp_signed("<", i, ir.Constant(i.type, 0))
    i = builder.select(neg, builder.add(i, ir.Constant(i.type, n)), i)
    zero = ir.Constant(ir.IntType(32), 0)
    return slot, builder.gep(slot, [zero, i])


@infer
class _VectorStaticGetitem(AbstractTemplate):
    """``v[3]`` with a constant index (Numba types it as static_getitem)."""

    key = "static_getitem"

    def generic(self, args, kws):
        vt, idx = args
        if not isinstance(vt, VecType) or not isinstance(idx, int):
            return None
        _static_index(vt, types.literal(idx))
        return signature(vt.dtype, *args)


@lower_builtin("static_getitem", VecType, types.IntegerLiteral)
def _vector_static_getitem(context, builder, sig, args):
    vt = sig.args[0]
    return builder.extract_value(args[0], args[1] % vt.length)


@lower_builtin(operator.getitem, VecType, types.Integer)
def _vector_getitem(context, builder, sig, args):
    vt, idxty = sig.args
    if isinstance(idxty, types.IntegerLiteral):
        return builder.extract_value(args[0], _static_index(vt, idxty))
    _, ptr = dynamic_component_pointer(context, builder, args[0], vt.length, args[1], idxty)
    return builder.load(ptr)


def _setitem_rule(typingctx, base, index, value):
    if not isinstance(index, types.Integer):
        raise TypingError(f"{base} components are indexed with an integer, got {index}")
    _static_index(base, index)
    if typingctx.can_convert(value, base.dtype) is None:
        raise TypingError(f"cannot store a {value} in a component of {base}")

    def codegen(context, builder, sig, args):
        val = context.cast(builder, args[2], sig.args[2], base.dtype)
        if isinstance(index, types.IntegerLiteral):
            return builder.insert_value(args[0], val, _static_index(base, index))
        slot, ptr = dynamic_component_pointer(context, builder, args[0], base.length, args[1],
                                              index)
        builder.store(val, ptr)
        return builder.load(slot)

    return base(base, index, value), codegen


def _setattr_rule(typingctx, base, name, value):
    if base.kind == "transformation" and name in ("p", "q"):
        return _transform_part_rule(base, name, value)
    names = COMPONENT_NAMES.get(base.kind, "")
    if len(name) != 1 or name not in names[: base.length]:
        raise TypingError(f"{base} has no component '{name}'")
    idx = names.index(name)

    def codegen(context, builder, sig, args):
        val = context.cast(builder, args[2], sig.args[2], base.dtype)
        return builder.insert_value(args[0], val, idx)

    return base(base, types.literal(name), value), codegen


def _transform_part_rule(base, name, value):
    """``t.p = v`` (components 0-2) and ``t.q = q`` (3-6) on a transform."""
    n, start = (3, 0) if name == "p" else (4, 3)
    if not (isinstance(value, VecType) and value.length == n):
        raise TypingError(f"transform.{name} takes a {'vec3' if n == 3 else 'quat'}, got {value}")

    def codegen(context, builder, sig, args):
        out = args[0]
        for k in range(n):
            comp = context.cast(builder, builder.extract_value(args[2], k), value.dtype,
                                base.dtype)
            out = builder.insert_value(out, comp, start + k)
        return out

    return base(base, types.literal(name), value), codegen


register_value_setitem(VecType, _setitem_rule)
register_value_setattr(VecType, _setattr_rule)


# ---------------------------------------------------------------------------------------
# The named aliases
# ---------------------------------------------------------------------------------------


def _aliases() -> dict:
    out = {}
    for n in (2, 3, 4):
        for dt, sfx in SUFFIX.items():
            out[f"vec{n}{sfx}"] = vector_class(n, scalar_types[dt])
        out[f"vec{n}"] = out[f"vec{n}f"]
    for sfx, dt in (("h", "float16"), ("f", "float32"), ("d", "float64")):
        out[f"quat{sfx}"] = vector_class(4, scalar_types[dt], "quaternion")
        out[f"transform{sfx}"] = vector_class(7, scalar_types[dt], "transformation")
        out[f"spatial_vector{sfx}"] = vector_class(6, scalar_types[dt], "spatial_vector")
    out["quat"] = out["quatf"]
    out["transform"] = out["transformf"]
    out["spatial_vector"] = out["spatial_vectorf"]
    return out


ALIASES = _aliases()
