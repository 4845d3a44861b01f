"""``@wp.struct``: user-defined record types for kernels.

A struct class gets a Numba type (:class:`StructType`, a ``StructModel`` of its
fields), attribute reads in kernels, functional field updates (``s.x = v`` is
rewritten by the code generator into ``s = setattr_value(s, "x", v)``) and two
constructors in kernels: ``S()`` (all fields zero / null arrays) and ``S(f0, f1, ...)``
with every field in declaration order. Kernel parameters of struct type arrive
flattened field by field and are rebuilt with the second form.

At Python scope an instance is a plain object with one attribute per field.
"""

from __future__ import annotations

import ast
import sys

import numpy as np
from llvmlite import ir
from numba.core import cgutils, types
from numba.core.errors import TypingError
from numba.core.imputils import impl_ret_borrowed, lower_builtin, lower_getattr_generic
from numba.core.typing.templates import (
    AbstractTemplate,
    AttributeTemplate,
    infer_getattr,
    infer_global,
    signature,
)
from numba.extending import models, register_model

from .argspec import arg_spec_from_annotation, array_descriptor
from .registry import register_value_setattr

__all__ = ["StructType", "struct", "is_struct_class", "StructDescriptor", "struct_arrays",
           "struct_from_record"]


class StructType(types.Type):
    """Numba type of a ``@wp.struct`` value."""

    def __init__(self, descriptor: "StructDescriptor"):
        self.descriptor = descriptor
        super().__init__(name=f"struct[{descriptor.qualname}#{descriptor.uid}]")

    @property
    def key(self):
        return self.descriptor.uid

    @property
    def members(self):
        return self.descriptor.member_types

    def __reduce__(self):
        # Numba pickles signatures into its on-disk cache index. A struct type is
        # pickled by name and layout and resolves, in the loading process, to the struct
        # of that name and layout defined there (or to a type that matches nothing).
        return (_struct_type_for, (self.descriptor.stable_key,))


_by_stable_key: dict = {}


def _struct_type_for(stable_key):
    t = _by_stable_key.get(stable_key)
    return t if t is not None else types.Opaque(f"missing-struct[{stable_key}]")


#: the member an empty struct is laid out with: one byte, as a C++ empty struct (Warp's)
_EMPTY_PADDING = [("_pad", types.uint8)]


@register_model(StructType)
class _StructModel(models.StructModel):
    def __init__(self, dmm, fe_type):
        super().__init__(dmm, fe_type, list(fe_type.members) or _EMPTY_PADDING)
        self._array_members = [k for k, (_, t) in enumerate(fe_type.members)
                               if isinstance(t, types.Array)]

    def as_data(self, builder, value):
        # A struct stored in memory (an element of an array of structs) holds its arrays
        # as views: no owner (meminfo) and no Python parent. A kernel argument's array
        # has an owner only for the launch; a stored pointer to it would dangle.
        data = super().as_data(builder, value)
        for k in self._array_members:
            arr = builder.extract_value(data, k)
            for field in (0, 1):
                arr = builder.insert_value(arr, ir.Constant(arr.type.elements[field], None),
                                           field)
            data = builder.insert_value(data, arr, k)
        return data


@infer_getattr
class _StructAttributes(AttributeTemplate):
    key = StructType

    def generic_resolve(self, typ, attr):
        return dict(typ.members).get(attr)


@lower_getattr_generic(StructType)
def _struct_getattr(context, builder, typ, value, attr):
    names = [n for n, _ in typ.members]
    idx = names.index(attr)
    res = builder.extract_value(value, idx)
    return impl_ret_borrowed(context, builder, typ.members[idx][1], res)


def _setattr_rule(typingctx, base, name, value):
    members = dict(base.members)
    if name not in members:
        raise TypingError(f"struct {base.descriptor.qualname} has no field '{name}'")
    field_ty = members[name]
    if typingctx.can_convert(value, field_ty) is None:
        raise TypingError(
            f"cannot assign a value of type {value} to field '{name}' ({field_ty}) of "
            f"struct {base.descriptor.qualname}"
        )
    idx = [n for n, _ in base.members].index(name)

    def codegen(context, builder, sig, args):
        val = context.cast(builder, args[2], sig.args[2], field_ty)
        out = builder.insert_value(args[0], val, idx)
        return impl_ret_borrowed(context, builder, base, out)

    return base(base, types.literal(name), value), codegen


register_value_setattr(StructType, _setattr_rule)


class StructDescriptor:
    """Field layout of one ``@wp.struct`` class."""

    _next_uid = 0

    def __init__(self, cls, fields):
        StructDescriptor._next_uid += 1
        self.uid = f"{cls.__module__}.{cls.__qualname__}:{StructDescriptor._next_uid}"
        self.cls = cls
        self.qualname = cls.__qualname__
        self.fields = fields  # list of (name, ArgSpec)
        self.member_types = [(name, spec.member_type) for name, spec in fields]
        self.stable_key = f"{cls.__module__}.{cls.__qualname__}|{self.layout_key()}"
        self.numba_type = StructType(self)
        _by_stable_key[self.stable_key] = self.numba_type

    def layout_key(self):
        """A string that changes whenever the field layout changes (for cache keys)."""
        return ";".join(f"{n}:{s.member_type}" for n, s in self.fields)

    def rebuild_expression(self, prefix: str, ref) -> tuple[list[str], ast.expr]:
        """Flattened parameter names for a parameter ``prefix`` of this struct type, and
        the AST that rebuilds the struct from them (``ref(obj, hint)`` names a global)."""
        names: list[str] = []
        elts = []
        for name, spec in self.fields:
            flat = f"{prefix}__{name}"
            if spec.kind == "struct":
                sub_names, sub_expr = spec.struct_cls._wp_struct_.rebuild_expression(flat, ref)
                names.extend(sub_names)
                elts.append(sub_expr)
            else:
                names.append(flat)
                elts.append(ast.Name(flat, ast.Load()))
        return names, ast.Call(ref(self.cls, self.cls.__name__), elts, [])


def is_struct_class(obj) -> bool:
    return isinstance(obj, type) and hasattr(obj, "_wp_struct_")


def struct(cls):
    """Declare a struct type from an annotated class.

    Example
    -------
    >>> @wp.struct
    ... class Particles:
    ...     pos: wp.array(dtype=float)
    ...     mass: float
    >>> p = Particles()
    >>> p.mass = 1.0
    """
    annotations = dict(cls.__dict__.get("__annotations__", {}))
    if any(isinstance(a, str) for a in annotations.values()):
        scope = dict(vars(sys.modules[cls.__module__])) if cls.__module__ in sys.modules else {}
        scope.update(vars(cls))
        for k, v in annotations.items():
            if isinstance(v, str):
                annotations[k] = eval(v, scope)  # noqa: S307 - the user's own annotation
    fields = []
    for name, ann in annotations.items():
        spec = arg_spec_from_annotation(ann, f"field '{name}' of struct '{cls.__qualname__}'")
        if spec.kind == "any":
            raise TypeError(f"struct field '{name}' cannot be generic (typing.Any)")
        fields.append((name, spec))

    def __init__(self, *args, **kwargs):
        if len(args) > len(fields):
            raise TypeError(f"{cls.__qualname__}() takes at most {len(fields)} arguments")
        for (name, spec), value in zip(fields, args):
            setattr(self, name, value)
        for name, spec in fields[len(args):]:
            setattr(self, name, kwargs.pop(name) if name in kwargs else spec.default_value())
        if kwargs:
            raise TypeError(f"{cls.__qualname__} has no field(s) {sorted(kwargs)}")

    def __setattr__(self, name, value):
        spec = field_specs.get(name)
        if spec is None:
            raise AttributeError(f"struct {cls.__qualname__} has no field '{name}'")
        object.__setattr__(self, name, spec.coerce_field(value, f"{cls.__qualname__}.{name}"))

    def __repr__(self):
        inner = ", ".join(f"{n}={getattr(self, n)!r}" for n, _ in fields)
        return f"{cls.__qualname__}({inner})"

    field_specs = dict(fields)
    namespace = {
        "__init__": __init__,
        "__setattr__": __setattr__,
        "__repr__": __repr__,
        "__slots__": tuple(n for n, _ in fields),
        "__module__": cls.__module__,
        "__qualname__": cls.__qualname__,
        "__doc__": cls.__doc__,
    }
    new_cls = type(cls.__name__, (), namespace)
    descriptor = StructDescriptor(new_cls, fields)
    new_cls._wp_struct_ = descriptor
    new_cls.numpy_dtype = _numpy_dtype_or_none(fields)
    if new_cls.numpy_dtype is not None:
        # structs can be array elements: Numba lays the StructModel out like a C struct,
        # which is NumPy's aligned record layout (array fields: their data model, with
        # views' pointers, see argspec.array_descriptor)
        new_cls._numba_type = descriptor.numba_type
        new_cls._np_dtype = new_cls.numpy_dtype
        new_cls.to_record = _to_record
    _register_constructor(new_cls, descriptor)
    return new_cls


def _to_record(self) -> tuple:
    """The struct's value as a tuple of field values (a NumPy record of its dtype)."""
    out = []
    for name, spec in type(self)._wp_struct_.fields:
        v = getattr(self, name)
        if spec.kind == "struct":
            v = v.to_record()
        elif spec.kind == "array":
            v = array_descriptor(v, spec.ndim)
        out.append(v)
    return tuple(out)


def struct_from_record(cls, record):
    """A struct instance with the values of one NumPy record of its dtype. Array fields
    become their annotations (a stored array is a raw view with no owner, so it is not
    handed out; Warp 1.19's ``array.list()`` does the same)."""
    out = cls()
    for (name, spec), v in zip(cls._wp_struct_.fields, record):
        if spec.kind == "struct":
            v = struct_from_record(spec.struct_cls, v)
        elif spec.kind == "array":
            v = spec.annotation
        elif spec.kind == "value":
            v = spec.annotation(v)
        setattr(out, name, v)
    return out


def struct_arrays(value) -> list:
    """The arrays held by a struct value's array fields, nested structs included."""
    out = []
    for name, spec in type(value)._wp_struct_.fields:
        v = getattr(value, name)
        if spec.kind == "struct":
            out.extend(struct_arrays(v))
        elif spec.kind == "array" and v is not None:
            out.append(v)
    return out


def _numpy_dtype_or_none(fields):
    if not fields:  # an empty struct takes one byte, as in C++ (and Warp)
        return np.dtype({"names": [], "formats": [], "itemsize": 1})
    try:
        return np.dtype([(n, s.numpy_dtype) for n, s in fields], align=True)
    except (AttributeError, TypeError):
        return None


def _register_constructor(cls, descriptor: StructDescriptor):
    sty = descriptor.numba_type
    member_types = [t for _, t in descriptor.member_types]

    class _Constructor(AbstractTemplate):
        key = cls

        def generic(self, args, kws):
            if kws:
                return None
            if not args:
                return signature(sty)
            if len(args) == len(member_types) and all(
                self.context.can_convert(a, m) is not None for a, m in zip(args, member_types)
            ):
                return signature(sty, *args)
            raise TypingError(
                f"{cls.__qualname__}() in a kernel takes no arguments (all fields zero) or "
                f"all {len(member_types)} fields in order, got ({', '.join(map(str, args))})")

    infer_global(cls, types.Function(_Constructor))

    @lower_builtin(cls)
    def _zero(context, builder, sig, args):
        return cgutils.get_null_value(context.get_value_type(sty))

    @lower_builtin(cls, types.VarArg(types.Any))
    def _from_fields(context, builder, sig, args):
        value = cgutils.get_null_value(context.get_value_type(sty))
        for i, (arg, aty, mty) in enumerate(zip(args, sig.args, member_types)):
            v = context.cast(builder, arg, aty, mty)
            context.nrt.incref(builder, mty, v) if context.enable_nrt else None
            value = builder.insert_value(value, v, i)
        return value

