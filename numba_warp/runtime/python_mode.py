"""Kernels run by the interpreter: ``wp.config.mode = "python"`` (or a module's
``mode`` option set to ``"python"``).

A forward launch then calls the kernel's own Python code (rewritten by
``frontend/pymode.py``, keeping the user's file and lines) once per thread index, in
order, on the calling thread: ``breakpoint()``, pdb, ``print`` and coverage work inside
kernels and ``@wp.func`` functions, and an exception carries the user's traceback plus a
note naming the kernel and thread. Values have the kernel's types: array elements and
``float(x)`` are float32 NumPy scalars, integers wrap around (``wp.int8(200)`` is -56),
builtins are the Python-scope builtins (results kept in the arguments' float type),
``@wp.func`` overloads are chosen by the arguments' types, vectors, matrices and structs
are copied on assignment, random states advance, atomics return the old value. Arrays are
bounds-checked: an out-of-range index raises ``IndexError`` at the user's line.

Arrays on a GPU are copied to the host for the launch and back after it. Backward
launches (``Tape.backward``) run the compiled adjoint kernels. The geometry queries run
their compiled forms on the CPU (an iterable query collects its candidates when made, then
hands them out): the Mesh, Bvh or HashGrid must be on the CPU.
"""

from __future__ import annotations

import inspect
import threading
import weakref

import numba
import numpy as np
from numba.core import types

from .. import config, lang
from ..lazy import LazyModule
from ..lowering import stateful_calls
from ..lowering.builtin import compiled_builtin
from ..typing.dtypes import element_type
from ..typing.scalars import ScalarType
from ..typing.mat import matrix, matrix_class
from ..typing.vec import AggregateValue, vector, vector_class
from .array import array, copy_into
from .foreign import foreign_view
from .device import get_device
from .func import Function
from .handles import problem, structure_on
from .indexed import indexedarray

# the AST rewriter brings the compiler's front end: imported at its first use
_pymode = LazyModule("numba_warp.frontend.pymode")

__all__ = ["KernelArray", "python_mode", "run_python_mode"]

MODES = ("release", "debug", "python")

_state = threading.local()  # .index: the running thread's (i, j, k, l)
_compiled: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # kernel/overload
_PY_SCALARS = {float: np.float32, int: np.int32, bool: np.bool_}


# -- values ------------------------------------------------------------------------------

def _np_scalar_type(t):
    """The NumPy scalar type of a scalar annotation (float, int, bool, wp.float16, ...),
    else None."""
    if t in _PY_SCALARS:
        return _PY_SCALARS[t]
    if isinstance(t, ScalarType):
        return np.dtype(t._np_dtype).type
    if isinstance(t, type) and issubclass(t, np.generic):
        return t
    return None


def to_scalar(np_type, v):
    """``v`` as a scalar of NumPy type ``np_type``, as a kernel converts: integers wrap
    around, floats convert to integers by truncation."""
    v = getattr(v, "typed", lambda: v)() if isinstance(type(v), ScalarType) else v
    kind = np.dtype(np_type).kind
    if kind in "iu":
        if isinstance(v, (float, np.floating)):
            v = int(v) if np.isfinite(v) else 0
        bits = np.dtype(np_type).itemsize * 8
        v = int(v) & ((1 << bits) - 1)
        if kind == "i" and v >= 1 << (bits - 1):
            v -= 1 << bits
        return np_type(v)
    if kind == "b":
        return np.bool_(bool(v))
    return np_type(v)


def _aggregate_view(cls, storage: np.ndarray):
    """A vector/matrix value of class ``cls`` whose components are ``storage`` (no copy:
    writing a component writes the array)."""
    out = cls.__new__(cls)
    out._v = storage
    return out


def copy_value(v):
    """A kernel's assignment: vectors, matrices and structs are values."""
    if isinstance(v, AggregateValue):
        return _aggregate_view(type(v), v._v.copy())
    if isinstance(v, _Struct):
        return v.copy()
    return v


def _typed(annotation, value=None):
    """``x: annotation = value`` (no value: the type's zero)."""
    np_type = _np_scalar_type(annotation)
    if np_type is not None:
        return to_scalar(np_type, 0 if value is None else value)
    if value is None:
        return _call(annotation)
    if isinstance(value, AggregateValue) and type(value) is annotation:
        return copy_value(value)
    return _call(annotation, value)


def _result(t, *updates):
    """The value of a stateful call rewritten by ``frontend/pymode``: its result."""
    return t[-1]


# -- structs -----------------------------------------------------------------------------

class _Struct:
    """A struct value in a kernel: fields read and written by name. ``fields`` maps each
    field to its value (arrays as :class:`KernelArray`, vectors as values) or, for an
    element of a struct array, a NumPy record it reads and writes."""

    __slots__ = ("_cls", "_fields", "_record")

    def __init__(self, cls, fields=None, record=None):
        object.__setattr__(self, "_cls", cls)
        object.__setattr__(self, "_fields", fields)
        object.__setattr__(self, "_record", record)

    @classmethod
    def from_instance(cls, inst, host):
        struct_cls = type(inst)
        fields = {}
        for name, spec in struct_cls._wp_struct_.fields:
            fields[name] = _from_argument(spec, getattr(inst, name), host)
        return cls(struct_cls, fields)

    def _spec(self, name):
        for n, spec in self._cls._wp_struct_.fields:
            if n == name:
                return spec
        raise AttributeError(f"struct '{self._cls.__name__}' has no field '{name}'")

    def __getattr__(self, name):
        spec = self._spec(name)
        if self._fields is not None:
            return self._fields[name]
        return _record_field(spec, self._record[name])

    def __setattr__(self, name, value):
        spec = self._spec(name)
        if self._fields is not None:
            self._fields[name] = _convert_to_spec(spec, value)
        else:
            self._record[name] = np.asarray(getattr(value, "_v", value))

    def copy(self):
        names = [n for n, _ in self._cls._wp_struct_.fields]
        return _Struct(self._cls, {n: copy_value(getattr(self, n)) for n in names})

    def __repr__(self):
        names = [n for n, _ in self._cls._wp_struct_.fields]
        return f"{self._cls.__name__}({', '.join(f'{n}={getattr(self, n)!r}' for n in names)})"


def _record_field(spec, value):
    if spec.kind == "struct":
        return _Struct(spec.struct_cls, record=value)
    if spec.kind == "value":
        return _aggregate_view(spec.annotation, value)
    return value[()] if isinstance(value, np.ndarray) else value


def _convert_to_spec(spec, value):
    if spec.kind == "scalar":
        return to_scalar(_np_scalar_type(spec.annotation) or np.float32, value)
    if spec.kind == "value":
        return copy_value(value) if isinstance(value, spec.annotation) else \
            spec.annotation(value)
    return copy_value(value)


# -- arrays ------------------------------------------------------------------------------

class KernelArray:
    """An array as a kernel sees it in Python mode: ``a[i, j]`` reads an element (a
    float32/int32/... NumPy scalar, or a vector/matrix/struct whose components are the
    array's), ``a[i] = v`` writes one, every index is bounds-checked."""

    __slots__ = ("_data", "_et", "_kind", "_name", "shape", "ndim", "_indices")

    def __init__(self, data: np.ndarray, et, ndim: int, name: str, indices=None):
        self._data = data
        self._et = et
        cls = et.dtype
        self._kind = ("struct" if hasattr(cls, "_wp_struct_") else
                      "aggregate" if isinstance(cls, type) and issubclass(cls, AggregateValue)
                      else "scalar")
        self._name = name
        self.ndim = ndim
        self.shape = tuple(int(s) for s in data.shape[:ndim]) if indices is None else \
            tuple(int(len(ix)) if ix is not None else int(s)
                  for ix, s in zip(indices, data.shape[:ndim]))
        self._indices = indices

    @property
    def numba_type(self):
        return types.Array(self._et.numba_type, self.ndim, "A")

    @property
    def size(self):
        return int(np.prod(self.shape))

    def __len__(self):
        return self.shape[0]

    def _locate(self, key):
        if type(key) is not tuple:
            key = (key,)
        if len(key) > self.ndim:
            raise IndexError(f"array '{self._name}' has {self.ndim} dimension(s), indexed "
                             f"with {len(key)} indices")
        idx = []
        for axis, k in enumerate(key):
            if isinstance(k, slice):
                raise IndexError(f"array '{self._name}': slices are not supported in kernels; "
                                 "index single elements")
            try:
                k = int(k.__index__())
            except (AttributeError, TypeError):
                raise IndexError(f"array '{self._name}': index {k!r} "
                                 f"({type(k).__name__}) is not an integer") from None
            if not 0 <= k < self.shape[axis]:
                raise IndexError(f"index {k} is out of bounds for axis {axis} of array "
                                 f"'{self._name}' with shape {self.shape}")
            if self._indices is not None and self._indices[axis] is not None:
                k = int(self._indices[axis][k])
            idx.append(k)
        return tuple(idx)

    def __getitem__(self, key):
        idx = self._locate(key)
        if len(idx) < self.ndim:
            rest = None if self._indices is None else self._indices[len(idx):]
            return KernelArray(self._data[idx], self._et, self.ndim - len(idx), self._name,
                               rest)
        elem = self._data[idx]
        if self._kind == "scalar":
            return elem
        if self._kind == "aggregate":
            return _aggregate_view(self._et.dtype, elem)
        return _Struct(self._et.dtype, record=elem)

    def __setitem__(self, key, value):
        idx = self._locate(key)
        if len(idx) < self.ndim:
            raise IndexError(f"array '{self._name}': assign single elements "
                             f"({self.ndim} indices)")
        if self._kind == "struct":
            rec = self._data[idx]
            for name, _ in self._et.dtype._wp_struct_.fields:
                setattr(_Struct(self._et.dtype, record=rec), name, getattr(value, name))
        elif self._kind == "aggregate":
            self._data[idx] = np.asarray(getattr(value, "_v", value))
        else:
            self._data[idx] = to_scalar(self._et.scalar_np.type, value)

    def __repr__(self):
        return f"<kernel array '{self._name}' {self.shape}>"


class _Host:
    """The host copies of a launch's GPU arrays, written back after it."""

    def __init__(self):
        self.back = []

    def view(self, arr):
        if isinstance(arr, indexedarray):
            return self.view(arr.data), [None if ix is None else self.view(ix)
                                         for ix in arr.indices]
        if arr.device is None or arr.device.is_cpu:
            return arr.numpy()
        host = arr.numpy()
        self.back.append((arr, host))
        return host

    def write_back(self):
        # (not assign(): the launch itself counts as the write, for the tape's checks)
        for arr, host in self.back:
            copy_into(arr, array(host, dtype=arr.dtype, device="cpu"))


def _kernel_array(arr, name: str, host: _Host) -> KernelArray:
    et = arr.element_type
    if isinstance(arr, indexedarray):
        data, indices = host.view(arr)
        return KernelArray(data, et, arr.ndim, name, indices)
    return KernelArray(host.view(arr), et, arr.ndim, name)


def _from_argument(spec, value, host: _Host, name: str = ""):
    """A launch argument (or struct field) as the kernel sees it."""
    kind = spec.kind
    if kind in ("array", "indexedarray"):
        if value is None:  # Warp's null array: every access is out of bounds
            et = spec.element if not spec.generic_dtype else element_type(float)
            return KernelArray(np.zeros((0,) * spec.ndim + et.inner_shape, et.np_dtype), et,
                               spec.ndim, name or "array")
        return _kernel_array(value, name or "array", host)
    if kind == "struct":
        return _Struct.from_instance(value, host)
    if kind == "scalar":
        return to_scalar(np.dtype(spec.numba_type.name).type
                         if spec.numba_type != types.boolean else np.bool_, value)
    if isinstance(value, AggregateValue):
        return copy_value(value)
    cls = getattr(spec, "annotation", None)
    if kind == "value" and isinstance(cls, type) and issubclass(cls, AggregateValue):
        return cls(value)  # (a tuple or list given for a vector parameter)
    return value


# -- calls -------------------------------------------------------------------------------

def _float_type(args):
    for a in args:
        if isinstance(a, np.floating):
            return type(a)
        if isinstance(a, AggregateValue) and a._v.dtype.kind == "f":
            return a._v.dtype.type
    return np.float32


def _int_type(args):
    for a in args:
        if isinstance(a, np.integer):
            return type(a)
    return None


def _settle(r, args):
    """A builtin's result in the kernel's types: a float in the arguments' float type
    (float32 by default, as a kernel's literals), a wrapped Warp scalar as NumPy's."""
    t = type(r)
    if t is float:
        return _float_type(args)(r)
    if t is int:
        it = _int_type(args)
        return r if it is None else to_scalar(it, r)
    if isinstance(t, ScalarType):
        return r.typed()
    return r


def _tid(targets):
    index = getattr(_state, "index", None)
    if index is None:
        raise RuntimeError("wp.tid() can only be called inside a kernel")
    return index[0] if targets in (None, 1) else index[:targets]


def _atomic(op):
    def run(arr, *rest):
        if not isinstance(arr, KernelArray):
            raise TypeError(f"atomics take an array as first argument, got {type(arr).__name__}")
        *idx, value = rest
        old = copy_value(arr[tuple(idx)])
        arr[tuple(idx)] = op(old, value)
        return old
    return run


def _componentwise(fn):
    def op(old, value):
        if isinstance(old, AggregateValue):
            return _aggregate_view(type(old), fn(old._v, np.asarray(getattr(value, "_v", value),
                                                                     dtype=old._v.dtype)))
        return type(old)(fn(old, value))
    return op


def _atomic_cas(arr, *rest):
    *idx, compare, value = rest
    old = copy_value(arr[tuple(idx)])
    if old == compare:
        arr[tuple(idx)] = value
    return old


def _local_zeros(shape=None, dtype=float, **kwargs):
    shape = kwargs.get("n", shape)
    shape = (int(shape),) if np.ndim(shape) == 0 else tuple(int(s) for s in shape)
    et = element_type(dtype)
    return KernelArray(np.zeros(shape, dtype=et.np_dtype), et, len(shape), "local array")


_SPECIAL = {
    lang.atomic_add: _atomic(lambda a, b: a + b),
    lang.atomic_sub: _atomic(lambda a, b: a - b),
    lang.atomic_min: _atomic(_componentwise(np.minimum)),
    lang.atomic_max: _atomic(_componentwise(np.maximum)),
    lang.atomic_and: _atomic(_componentwise(np.bitwise_and)),
    lang.atomic_or: _atomic(_componentwise(np.bitwise_or)),
    lang.atomic_xor: _atomic(_componentwise(np.bitwise_xor)),
    lang.atomic_exch: _atomic(lambda a, b: b),
    lang.atomic_cas: _atomic_cas,
    lang.static: lambda x: x,
}


def _kernel_vector(*args, length=None, dtype=None):
    """``wp.vector(...)`` in a kernel: a value (at Python scope it makes a type)."""
    parts = [np.ravel(a._v) if isinstance(a, AggregateValue) else [a] for a in args]
    values = [v for p in parts for v in p]
    if dtype is None:
        dtype = _float_type(args) if any(isinstance(v, (float, np.floating))
                                         for v in values) or not values else \
            (_int_type(values) or np.int32)
    if length is None:
        length = len(values)
    cls = vector_class(length, dtype)
    return cls(*values) if values else cls()


def _kernel_matrix(*args, shape=None, dtype=None):
    """``wp.matrix(...)`` in a kernel: a value."""
    parts = [np.ravel(a._v) if isinstance(a, AggregateValue) else [a] for a in args]
    values = [v for p in parts for v in p]
    if dtype is None:
        dtype = _float_type(args)
    if shape is None:
        raise TypeError("wp.matrix(...) in a kernel needs shape=(rows, cols)")
    cls = matrix_class(shape, dtype)
    return cls(*values) if values else cls()


_SPECIAL[vector] = _kernel_vector
_SPECIAL[matrix] = _kernel_matrix


def register_local_zeros(fn) -> None:
    """``fn`` (the runtime's ``wp.zeros``, defined above this module) makes a
    thread-local array when a kernel calls it."""
    _SPECIAL[fn] = _local_zeros


def _call(f, *args, __wp_targets__=None, **kwargs):
    if f is lang.tid:
        return _tid(__wp_targets__)
    try:
        special = _SPECIAL.get(f)
    except TypeError:  # unhashable
        special = None
    if special is not None:
        return special(*args, **kwargs)
    np_type = _np_scalar_type(f)
    if np_type is not None:
        return to_scalar(np_type, args[0] if args else 0)
    if isinstance(f, Function):
        return _run_function(f, args, kwargs)
    if isinstance(f, type) and hasattr(f, "_wp_struct_"):
        return _Struct.from_instance(f(*args, **kwargs), _Host())
    if not getattr(f, "__module__", "").startswith("numba_warp"):
        return f(*args, **kwargs)
    if f in stateful_calls.ITERABLE:
        return _Query(_collector(f)(*_native_args(f, args)))
    if not kwargs and id(f) in _BUILTINS:
        r = _native_call(f, args)
        if r is not _NO_NATIVE:
            return r
    try:
        r = f(*args, **kwargs)
    except RuntimeError as exc:
        if "inside a kernel" not in str(exc) and "only inside kernels" not in str(exc):
            raise
        raise RuntimeError(
            f"wp.{f.__name__}() exists only in compiled kernels and cannot take these "
            "arguments in Python mode; launch this kernel compiled (wp.config.mode = "
            "'release' or 'debug')") from None
    return _settle(r, args)


#: the kernel language's builtin functions (ids): Python mode runs their compiled forms,
#: so its numbers are the compiled kernel's (Python scope computes some in double
#: precision, and orders eig3/svd3's results as NumPy does)
_BUILTINS = frozenset(id(v) for k, v in vars(lang).items()
                      if k in lang.__all__ and callable(v) and not isinstance(v, type) and
                      k not in ("tid", "static", "grad", "printf", "print", "breakpoint"))
_NO_NATIVE = object()
_NATIVE_FAILED: set = set()


def _native_call(f, args):
    """``f(*args)`` through its compiled form, or ``_NO_NATIVE`` when that form does not
    take these arguments (types, keyword arguments: the Python-scope form then runs)."""
    sig = (id(f), tuple(type(a) for a in args))
    if sig in _NATIVE_FAILED:
        return _NO_NATIVE
    native = _native_args(f, args)
    try:
        r = compiled_builtin(f)(*native)
    except (numba.core.errors.NumbaError, TypeError, ValueError):
        _NATIVE_FAILED.add(sig)
        return _NO_NATIVE
    return _settle_all(r, native)


def _settle_all(r, args):
    """A compiled builtin's result in the kernel's types (tuples and query results
    field by field)."""
    if isinstance(r, tuple):
        if hasattr(r, "_fields"):  # a query's result
            return type(r)(*(np.float32(v) if type(v) is float else
                             np.int32(v) if type(v) is int else v for v in r))
        return tuple(_settle(v, args) for v in r)
    return _settle(r, args)


def _stateful(f, *args):
    """A builtin that updates some of its arguments (``wp.randf(state)``, the output
    forms of the mesh queries): its pure helper, compiled, returns the updated arguments
    and then the result. A Python-mode query (:class:`_Query`) advances itself."""
    if isinstance(args[0] if args else None, _Query):
        return args[0].advance(args[1])
    entry = stateful_calls.STATEFUL.get(f) or stateful_calls.OUTPUTS[f]
    args = _native_args(f, args)
    out = compiled_builtin(entry[0])(*args)
    return tuple(_settle(v, args) for v in out)


class _Query:
    """A geometry query in Python mode (``wp.hash_grid_query``, ``wp.mesh_query_aabb``,
    ``wp.bvh_query_ray``, ...): the candidates the compiled query finds, in its order,
    handed out by ``for i in query`` and ``wp.*_query_next(query, i)``."""

    __slots__ = ("_found", "_at")

    def __init__(self, found):
        self._found = found
        self._at = 0

    def advance(self, index):
        if self._at >= len(self._found):
            return self, index, False
        self._at += 1
        return self, self._found[self._at - 1], True

    def __iter__(self):
        while self._at < len(self._found):
            self._at += 1
            yield self._found[self._at - 1]


_COLLECTORS: dict = {}


def _collector(ctor):
    """A compiled function running query ``ctor(*args)`` to its end: the indices found."""
    collect = _COLLECTORS.get(ctor)
    if collect is None:
        nxt = stateful_calls.STATEFUL[stateful_calls.ITERABLE[ctor]][0]

        def run(*args):
            n = 0
            q = ctor(*args)
            i = 0
            while True:
                q, i, ok = nxt(q, i)
                if not ok:
                    break
                n += 1
            out = np.empty(n, np.int32)
            q = ctor(*args)
            i = 0
            for k in range(n):
                q, i, ok = nxt(q, i)
                out[k] = i
            return out

        collect = _COLLECTORS[ctor] = numba.njit(run)
    return collect


def _native_args(f, args):
    """Arguments for a builtin's compiled form: Python numbers as float32/int32 (a
    kernel's literals). A structure id must be of a live structure on the CPU."""
    out = []
    for a in args:
        t = type(a)
        out.append(np.float32(a) if t is float else np.int32(a) if t is int else a)
    if out and isinstance(out[0], np.uint64) and \
            structure_on(int(out[0]), get_device("cpu")) is None:
        why = problem(int(out[0]), get_device("cpu")) or "is no structure's id"
        raise RuntimeError(
            f"wp.{f.__name__}(): the id {int(out[0])} {why}. Python mode runs kernels on "
            "the CPU: to step through this kernel, build its Mesh/Bvh/HashGrid with "
            "device='cpu'")
    return out


def _component(value, r):
    if isinstance(value, AggregateValue) and type(r) in (float, int, bool):
        return value._v.dtype.type(r)
    return r


def _getitem(value, key):
    """``value[key]`` in a kernel: a vector's or matrix's component keeps its type."""
    return _component(value, value[key])


def _getattr(value, name):
    return _component(value, getattr(value, name))


_IMPLS = {"__wp_call__": _call, "__wp_copy__": copy_value, "__wp_typed__": _typed,
          "__wp_result__": _result, "__wp_stateful__": _stateful, "__wp_getitem__": _getitem,
          "__wp_getattr__": _getattr}


def _callable(owner, parsed, defaults=()):
    fn = _compiled.get(owner)
    if fn is None:
        fn = _pymode.python_mode_function(parsed, _IMPLS)
        fn.__defaults__ = tuple(defaults) or None
        _compiled[owner] = fn
    return fn


def _type_of(v):
    if isinstance(v, KernelArray):
        return v.numba_type
    if isinstance(v, _Struct):
        return v._cls._numba_type
    t = type(v)  # (exact types: np.float64 is a float subclass)
    if t is bool:
        return types.boolean
    if t is int:
        return types.int32
    if t is float:
        return types.float32
    return numba.typeof(v)


def _run_function(f: Function, args, kwargs):
    if kwargs:
        ov = next((o for o in reversed(f.overloads) if _binds(o, args, kwargs)), None)
        if ov is None:
            f(*args, **kwargs)  # raises Function's error for a call that fits no overload
    else:
        ov = f.select(tuple(_type_of(a) for a in args))
    args = [_convert_to_spec(spec, a) if spec.kind in ("scalar", "value") else copy_value(a)
            for (_, spec), a in zip(ov.params, args)]
    return _callable(ov, ov.parsed, ov.defaults)(*args, **kwargs)


def _binds(ov, args, kwargs) -> bool:
    try:
        inspect.signature(ov.fn).bind(*args, **kwargs)
        return True
    except TypeError:
        return False


# -- launches ----------------------------------------------------------------------------

def python_mode(kernel) -> bool:
    """Whether forward launches of ``kernel`` run in the interpreter: its module's
    ``mode`` option, else ``wp.config.mode``."""
    mode = kernel.module.options["mode"]
    return (mode if mode is not None else config.mode) == "python" and \
        not kernel.qualified_name.startswith("numba_warp.")  # (this library's own kernels)


def _check_mode(value):
    if value not in MODES:
        raise ValueError(f"wp.config.mode must be one of {', '.join(map(repr, MODES))}, "
                         f"got {value!r}")
    return value


config.on_assign("mode", _check_mode)


def run_python_mode(lp) -> None:
    """Run forward launch ``lp`` in the interpreter, thread by thread."""
    kernel = lp.kernel
    parsed = kernel.parsed
    body = _callable(kernel, parsed)
    host = _Host()
    values = []
    for name, spec, value in zip(kernel.arg_names, kernel.arg_specs, lp.fwd_args):
        if spec.kind == "array" and value is not None and not isinstance(value, array):
            value, _ = foreign_view(value, None if spec.generic_dtype else spec.element,
                                    lp.device, writes=True)  # (checked by the launch)
        values.append(_from_argument(spec, value, host, name))
    by_value = [k for k, v in enumerate(values) if isinstance(v, (AggregateValue, _Struct))]
    dims = tuple(lp.dim) + (1,) * (4 - len(lp.dim))
    previous = getattr(_state, "index", None)
    try:
        with np.errstate(all="ignore"):
            for index in np.ndindex(*dims):
                _state.index = tuple(int(i) for i in index)
                args = list(values)
                for k in by_value:
                    args[k] = copy_value(values[k])
                try:
                    body(*args)
                except BaseException as exc:
                    exc.add_note(f"(wp.config.mode = 'python': in kernel '{kernel.key}', "
                                 f"thread {index[:len(lp.dim)]})")
                    raise
    finally:
        _state.index = previous
        host.write_back()
