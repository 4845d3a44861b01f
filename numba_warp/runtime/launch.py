"""``wp.launch``: checking arguments against a kernel's annotations and running it.

Each argument is converted by the rule for its parameter kind into

* its Numba type (the compiled variant is chosen by the tuple of these),
* the value the CPU launcher takes (NumPy views and NumPy scalars), and
* the flattened values the CUDA kernel takes (numba-cuda's kernel ABI: an array is
  ``meminfo, parent, nitems, itemsize, data, *shape, *strides``).

Errors name the kernel, the parameter, what was expected and what was given.
"""

from __future__ import annotations

import ctypes
import functools
import math
import typing

import numpy as np
from numba.core import types
from numba.np.numpy_support import from_dtype

from .. import config
from ..typing.argspec import ArgSpec
from ..typing.dtypes import element_type, type_name
from ..typing.scalars import ScalarType, scalar_class_for
from ..typing.vec import same_structure
from . import capture_state, cuda_backend, handles, recording
from .cpu_schedule import run_cpu
from .foreign import foreign_view
from .array import ARRAY_MAX_DIMS, array, null_array, same_type_view
from .indexed import indexedarray
from .checks import run_checked
from .device import get_device
from .kernel import Kernel
from .launch_fast import try_launch
from .python_mode import python_mode, run_python_mode

__all__ = ["launch", "launch_tiled", "Launch", "LaunchBounds", "LaunchArguments", "LaunchError"]


class LaunchError(TypeError):
    """Bad arguments to ``wp.launch``."""


def _fail(kernel, name, message):
    raise LaunchError(f"wp.launch({kernel.__name__}): argument '{name}' {message}")


def _writes_param(kernel, name) -> bool:
    """Whether the kernel may write its array parameter ``name``."""
    names = kernel.arg_names
    return any(names[k] == name for k, attrs in kernel.launch_plan.write_params()
               if not attrs)


def _convert_array(kernel, name, spec, value, device, out):
    if value is None:
        # Warp's null array: no elements; a launch that may touch it runs checked, so an
        # access is a clear error (see runtime/checks.py), not a stray memory access
        value = _empty_array(spec, None, device)
        out.nulls = (out.nulls or []) + [name]
    elif not isinstance(value, array):
        # another library's array: a zero-copy view with the parameter's dtype (as Warp)
        view, problem = foreign_view(value, None if spec.generic_dtype else spec.element,
                                     device, writes=_writes_param(kernel, name))
        if view is None:
            _fail(kernel, name, f"expects {spec.describe()}, got {type(value).__name__}, "
                                f"which {problem}")
        value = view
    if value.device is None:  # (annotations have no device)
        _fail(kernel, name, "is an array annotation (wp.array(dtype=...)) with no memory; "
                            "pass an allocated array such as wp.zeros(n, dtype=...)")
    if value.device != device:
        _fail(kernel, name, f"is on device '{value.device}' but the kernel is launched on "
                            f"'{device}'; move it with a.to('{device}') or launch on "
                            f"device='{value.device}'")
    if value.ndim != spec.ndim:
        _fail(kernel, name, f"expects a {spec.ndim}-D array, got a {value.ndim}-D array of "
                            f"shape {value.shape}")
    if not spec.generic_dtype and value.element_type.numba_type != spec.element.numba_type:
        if not same_structure(value.element_type.numba_type, spec.element.numba_type):
            _fail(kernel, name, f"expects an array of {type_name(spec.dtype)}, got an array "
                                f"of {type_name(value.dtype)}")
        value = same_type_view(value, spec.dtype)
    data = value.launch_data()
    out.types.append(data.numba_type)
    if device.is_cpu:
        out.cpu.append(data.cpu_arg)
    else:
        out.cuda.extend(data.cuda_args)
    out.arrays.append(value)


def _scalar_value(kernel, name, nbtype, value):
    cls = scalar_class_for(nbtype)
    v = value.typed() if isinstance(type(value), ScalarType) else value  # (wrapped, as Warp)
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(nbtype, types.Integer) and isinstance(v, float):
        _fail(kernel, name, f"expects an integer ({cls.__name__}), got the float {v!r}")
    if not isinstance(v, (int, float, bool)):
        _fail(kernel, name, f"expects a {cls.__name__} scalar, got {type(value).__name__}")
    try:
        with np.errstate(over="raise"):
            return cls._np_dtype.type(v)
    except (OverflowError, FloatingPointError):
        _fail(kernel, name, f"value {v!r} does not fit in {cls.__name__}")


def _convert_scalar(kernel, name, nbtype, value, device, out):
    nv = _scalar_value(kernel, name, nbtype, value)
    if nbtype == types.uint64:  # maybe a spatial structure's id
        bad = handles.problem(int(nv), device)
        if bad is not None:
            _fail(kernel, name, bad)
    out.types.append(nbtype)
    if device.is_cpu:
        out.cpu.append(nv)
    elif nbtype == types.boolean:
        out.cuda.append(bool(nv))
    elif nbtype == types.float64:
        out.cuda.append(float(nv))
    else:
        out.cuda.append(nv)


def _convert_indexed(kernel, name, spec, value, device, out):
    """An indexed array, flattened as ``ArgSpec.flatten`` rebuilds it: the data array,
    one int32 index array per dimension (empty: not indexed), the extents."""
    if not isinstance(value, indexedarray):
        _fail(kernel, name, f"expects {spec.describe()}, got {type(value).__name__}")
    if value.device is None:
        _fail(kernel, name, "is an indexed array annotation with no data; pass "
                            "wp.indexedarray(data, indices)")
    data, indices, shape = value.launch_parts()
    data_spec = ArgSpec("array", None, dtype=None if spec.generic_dtype else spec.dtype,
                        ndim=spec.ndim, generic_dtype=spec.generic_dtype)
    _convert_array(kernel, f"{name}.data", data_spec, data, device, out)
    index_spec = ArgSpec("array", None, dtype=indices[0].dtype, ndim=1)
    for d, idx in enumerate(indices):
        _convert_array(kernel, f"{name}.indices[{d}]", index_spec, idx, device, out)
    for n in shape:
        _convert_scalar(kernel, f"{name}.shape", types.int64, n, device, out)


def _convert_struct(kernel, name, spec, value, device, out):
    cls = spec.struct_cls
    if not isinstance(value, cls):
        _fail(kernel, name, f"expects a {cls.__qualname__} struct, got {type(value).__name__}")
    for field, fspec in cls._wp_struct_.fields:
        _convert(kernel, f"{name}.{field}", fspec, getattr(value, field), device, out)


def _convert_value(kernel, name, spec, value, device, out):
    """Vectors, matrices, quaternions, ...: an instance, or anything of the right size."""
    cls = spec.annotation
    if type(value) is not cls:
        try:
            value = cls(value)
        except (TypeError, ValueError) as exc:
            _fail(kernel, name, f"expects a {cls.__name__}, got {type(value).__name__} "
                                f"({exc})")
    out.types.append(spec.numba_type)
    if device.is_cpu:
        out.cpu.append(value)
    else:
        out.cuda.extend(np.asarray(value).reshape(-1))  # NumPy scalars of the components


def _infer_spec(value):
    """The parameter spec a generic (typing.Any) parameter takes from its value."""
    if isinstance(value, array):
        return ArgSpec("array", None, dtype=value.dtype, ndim=value.ndim)
    if isinstance(value, indexedarray):
        return ArgSpec("indexedarray", None, dtype=value.dtype, ndim=value.ndim)
    if isinstance(type(value), ScalarType):
        return ArgSpec("scalar", type(value), numba_type=type(value)._numba_type)
    if isinstance(value, bool):
        return ArgSpec("scalar", bool, numba_type=types.boolean)
    if isinstance(value, int):
        return ArgSpec("scalar", int, numba_type=types.int32)
    if isinstance(value, float):
        return ArgSpec("scalar", float, numba_type=types.float32)
    if isinstance(value, np.generic):
        return ArgSpec("scalar", type(value), numba_type=from_dtype(value.dtype))
    if hasattr(type(value), "_wp_struct_"):
        return ArgSpec("struct", type(value), struct_cls=type(value))
    if hasattr(type(value), "_numba_type"):
        return ArgSpec("value", type(value), numba_type=type(value)._numba_type)
    return None


def _convert(kernel, name, spec, value, device, out):
    kind = spec.kind
    if kind == "any":
        template, spec = spec, _infer_spec(value)
        if spec is None or not template.accepts_type(spec.numba_type):
            _fail(kernel, name, f"({template.describe()}) cannot take a value of type "
                                f"{type(value).__name__}")
        kind = spec.kind
    if kind == "array":
        _convert_array(kernel, name, spec, value, device, out)
    elif kind == "indexedarray":
        _convert_indexed(kernel, name, spec, value, device, out)
    elif kind == "scalar":
        _convert_scalar(kernel, name, spec.numba_type, value, device, out)
    elif kind == "struct":
        _convert_struct(kernel, name, spec, value, device, out)
    elif kind == "value":
        _convert_value(kernel, name, spec, value, device, out)
    else:
        _fail(kernel, name, f"has an unsupported parameter kind {kind}")


class LaunchArguments:
    """A launch's converted arguments: their Numba types (which select the compiled
    variant), the CPU launcher's values or the CUDA kernel's flattened values, the
    arrays among them, and the parameter paths that were given None (null arrays)."""

    __slots__ = ("types", "cpu", "cuda", "arrays", "nulls")

    def __init__(self):
        self.types, self.cpu, self.cuda, self.arrays = [], [], [], []
        self.nulls = None  # parameter paths ("a", "s.field") given None, if any


def _launch_dims(kernel, dim):
    if type(dim) is int:
        dims = (dim,)
    elif type(dim) is tuple and all(type(d) is int for d in dim):
        dims = dim
    elif isinstance(dim, (int, np.integer)) and not isinstance(dim, bool):
        dims = (int(dim),)
    else:
        ok = isinstance(dim, (tuple, list)) and all(
            isinstance(d, (int, np.integer)) and not isinstance(d, bool) for d in dim)
        if not ok:
            raise LaunchError(f"wp.launch({kernel.__name__}): dim must be an int or a tuple of "
                              f"up to {ARRAY_MAX_DIMS} ints, got {dim!r}")
        dims = tuple(int(d) for d in dim)
    if not 1 <= len(dims) <= ARRAY_MAX_DIMS:
        raise LaunchError(f"wp.launch({kernel.__name__}): dim has {len(dims)} dimensions; "
                          f"launches have 1 to {ARRAY_MAX_DIMS}")
    if min(dims) < 0:
        raise LaunchError(f"wp.launch({kernel.__name__}): dim {dims} has a negative entry")
    if max(dims) >= 2**15 and math.prod(dims) > _MAX_THREADS:  # (4 dims < 2**15: fine)
        raise LaunchError(f"wp.launch({kernel.__name__}): dim {dims} asks for "
                          f"{math.prod(dims)} threads; a launch has at most 2**63 - 1")
    return dims


_MAX_THREADS = 2**63 - 1


class LaunchBounds:
    """A launch's dimensions as Warp's ``launch_bounds_t`` shows them."""

    __slots__ = ("shape", "ndim", "size")

    def __init__(self, dims):
        self.shape = tuple(dims)
        self.ndim = len(dims)
        self.size = math.prod(dims)


_NOT_SET = object()


class Launch:
    """A prepared kernel launch, run again with :meth:`launch`; its parameters and
    dimensions can be changed in between (``set_param_at_index``, ``set_dim``, ...).

    ``wp.launch(..., record_cmd=True)`` returns one. Built directly, as Warp allows,
    ``wp.Launch(kernel, device)`` starts with default parameters (null arrays, zeros)
    and no threads: set them before launching. Warp's ctypes-level arguments (``hooks``,
    ``params``, ``params_addr``) have no meaning here and must be left out.

    Example
    -------
    >>> @wp.kernel
    ... def step(x: wp.array(dtype=float), dt: float):
    ...     x[wp.tid()] += dt
    >>> x = wp.zeros(2, dtype=float)
    >>> cmd = wp.launch(step, dim=2, inputs=[x, 0.1], record_cmd=True)  # not run yet
    >>> for dt in (1.0, 0.5):
    ...     cmd.set_param_by_name("dt", dt)
    ...     cmd.launch()
    >>> print(x.numpy())
    [1.5 1.5]
    """

    def __init__(self, kernel, device, hooks=None, params=None, params_addr=None, bounds=None,
                 max_blocks: int = 0, block_dim: int | None = None, adjoint: bool = False,
                 fwd_args=None, adj_args=None):
        if not isinstance(kernel, Kernel):
            raise TypeError(f"wp.Launch() expects a @wp.kernel, got {type(kernel).__name__}")
        if hooks is not None or params is not None or params_addr is not None:
            raise TypeError("wp.Launch(): hooks, params and params_addr are Warp's native "
                            "(ctypes) launch data and do not exist in numba_warp; pass the "
                            "kernel's arguments as fwd_args=[...] or set them with "
                            "set_params([...])")
        self.kernel = kernel
        self.device = get_device(device)
        dims = getattr(bounds, "shape", bounds)
        self.dim = (0,) if dims is None else _launch_dims(kernel, dims)
        self.stream = None
        self.block_dim = block_dim or config.block_dim
        self.max_blocks = max_blocks
        self.adjoint = adjoint
        self.fwd_args = list(fwd_args) if fwd_args is not None else \
            [_default_value(spec) for spec in kernel.arg_specs]
        self.adj_args = (list(adj_args) if adj_args is not None else []) if adjoint else None
        self._prepare()

    @classmethod
    def prepared(cls, kernel, dims, device, arguments, stream, block_dim, max_blocks,
                 adjoint, writes, checked, fwd_args, adj_args) -> "Launch":
        """A launch whose arguments ``wp.launch`` has converted already (the fast path)."""
        lp = cls.__new__(cls)
        lp.kernel, lp.dim, lp.device, lp.stream = kernel, dims, device, stream
        lp.block_dim, lp.max_blocks, lp.adjoint = block_dim, max_blocks, adjoint
        lp.arguments, lp._writes, lp._checked, lp._entry = arguments, writes, checked, None
        lp._packed = None
        lp.fwd_args, lp.adj_args = fwd_args, adj_args
        return lp

    def _prepare(self):
        """Convert the arguments (checking them) after any of them changed."""
        kernel, dev, args = self.kernel, self.device, self.fwd_args
        if any(a is _NOT_SET for a in args):  # a generic parameter not given yet
            self.arguments = self._entry = None
            self._writes, self._checked = (), False
            return
        plan = kernel.launch_plan
        conv = _convert_arguments(kernel, plan, args, dev)
        if self.adjoint:
            _convert_adjoints(kernel, args, self.adj_args, dev, conv)
            self._writes, self._checked = (), conv.nulls is not None
        else:
            self._writes = plan.written_arrays(args)
            self._checked = conv.nulls is not None and plan.may_access(conv.nulls)
        self.arguments = conv
        self._entry = None
        self._packed = None  # (CUDA) the packed parameters of a launch made again

    @property
    def bounds(self) -> LaunchBounds:
        return LaunchBounds(self.dim)

    def set_dim(self, dim) -> None:
        """Launch over ``dim`` threads (an int or a tuple of up to 4 ints) from now on."""
        dims = _launch_dims(self.kernel, dim)
        self.dim = dims

    def _index(self, index: int, adjoint: bool) -> int:
        names = self.kernel.arg_names
        if not isinstance(index, (int, np.integer)) or not 0 <= index < len(names):
            raise IndexError(f"Launch of '{self.kernel.key}': parameter index {index!r} is out "
                             f"of range; the kernel has {len(names)} parameters "
                             f"({', '.join(names)})")
        if adjoint and not self.adjoint:
            raise ValueError(f"Launch of '{self.kernel.key}' runs the forward pass; adjoint "
                             "parameters exist only in a launch made with adjoint=True")
        return int(index)

    def set_param_at_index(self, index: int, value, adjoint: bool = False) -> None:
        """Set the kernel argument at ``index`` (its gradient with ``adjoint=True``)."""
        i = self._index(index, adjoint)
        if adjoint:
            self.adj_args.extend([None] * (i + 1 - len(self.adj_args)))
            self.adj_args[i] = value
        else:
            self.fwd_args[i] = value
        self._prepare()

    def set_param_by_name(self, name: str, value, adjoint: bool = False) -> None:
        """Set the kernel argument called ``name`` (its gradient with ``adjoint=True``)."""
        names = self.kernel.arg_names
        if name not in names:
            raise ValueError(f"Argument '{name}' not found in kernel '{self.kernel.key}' "
                             f"(its parameters: {', '.join(names)})")
        self.set_param_at_index(names.index(name), value, adjoint)

    def set_params(self, values) -> None:
        """Set the first ``len(values)`` kernel arguments, in order."""
        values = list(values)
        if len(values) > len(self.fwd_args):
            raise ValueError(f"Launch of '{self.kernel.key}': {len(values)} values for "
                             f"{len(self.fwd_args)} parameters")
        self.fwd_args[:len(values)] = values
        self._prepare()

    def set_param_at_index_from_ctype(self, index: int, value, adjoint: bool = False) -> None:
        """Warp's unconverted setter: here the same as :meth:`set_param_at_index` (Python
        values; there are no ctypes structures)."""
        self.set_param_at_index(index, _plain_value(self, value), adjoint)

    def set_param_by_name_from_ctype(self, name: str, value) -> None:
        self.set_param_by_name(name, _plain_value(self, value))

    def set_params_from_ctypes(self, values) -> None:
        self.set_params([_plain_value(self, v) for v in values])

    def launch(self, stream=None) -> None:
        """Run the launch (on ``stream``, or the one given when it was made)."""
        if self.arguments is None:
            unset = [n for n, a in zip(self.kernel.arg_names, self.fwd_args) if a is _NOT_SET]
            raise LaunchError(f"Launch of '{self.kernel.key}': parameter(s) {', '.join(unset)} "
                              "(typing.Any) have no value yet; set them with "
                              "set_param_by_name() or set_params()")
        _run(self, stream if stream is not None else self.stream)

    def __repr__(self):
        what = "backward pass of " if self.adjoint else ""
        return f"<wp.Launch {what}{self.kernel.key} dim={self.dim} on {self.device}>"


def _plain_value(lp, value):
    if isinstance(value, ctypes.Structure):
        raise TypeError(f"Launch of '{lp.kernel.key}': numba_warp launches take Python values "
                        f"(arrays, numbers, vectors, structs), not ctypes structures "
                        f"({type(value).__name__})")
    return value.value if isinstance(value, ctypes._SimpleCData) else value


def _default_value(spec):
    """Warp's default for an unset parameter: a null array, a zero, a default struct."""
    if spec.kind == "array":
        return None
    if spec.kind == "struct":
        return spec.struct_cls()
    if spec.kind == "value":
        return spec.annotation()
    if spec.kind == "scalar":
        return False if spec.numba_type == types.boolean else 0
    return _NOT_SET


def _run(lp: Launch, stream):
    dims = lp.dim
    n = math.prod(dims)
    if n == 0:
        return
    key = lp.kernel.key
    for a in lp._writes:
        a.mark_write(key)
    if capture_state.active[0] and _captured(lp, stream, n):
        return
    _execute(lp, stream, n)


def _execute(lp: Launch, stream, n: int):
    """Run the launch now (``n`` threads)."""
    before = _nonfinite_arrays(lp) if config.verify_fp else None
    padded = lp.dim + (1,) * (4 - len(lp.dim))
    args = lp.arguments
    if not lp.adjoint and python_mode(lp.kernel):
        run_python_mode(lp)
    elif lp._checked or config.mode == "debug":
        run_checked(lp, stream, n, padded)
    elif lp.device.ordinal < 0:
        if lp._entry is None:
            lp._entry = lp.kernel.compile_cpu(tuple(args.types), lp.adjoint)
        run_cpu(lp._entry, n, *padded, *args.cpu)
    else:
        s = stream if stream is not None else lp.device.stream
        if cuda_backend.timing_state[0] is None:
            _launch_cuda(lp, s, n, padded)
        else:
            with _timed_kernel(lp, s):
                _launch_cuda(lp, s, n, padded)
    if before is not None:
        _verify_fp(lp, before)


def _launch_cuda(lp: Launch, s, n: int, padded: tuple):
    """Launch on the GPU. A Launch made again (``record_cmd``) packs its parameters once
    (on its second run) and then reuses them while its dims, stream and block size
    stay the same."""
    packed = lp._packed
    if packed and packed[0] is lp.dim and packed[1] is s and \
            packed[2] == lp.block_dim and packed[3] == lp.max_blocks:
        lp._entry.launch_packed(s, packed[4], packed[2], packed[5])
        return
    entry = lp._entry
    if entry is None:
        entry = lp._entry = lp.kernel.compile_cuda(tuple(lp.arguments.types), lp.device,
                                                   lp.adjoint)
    threads = lp.block_dim
    blocks = cuda_backend.grid_blocks(n, threads, lp.max_blocks, lp.device.ordinal,
                                      lp.kernel.persistent_grid)
    values = (n, *padded, *lp.arguments.cuda)
    if packed is False:  # launched before: keep the parameters packed from now on
        params = entry.pack(values)
        if params is not None:
            lp._packed = (lp.dim, s, threads, lp.max_blocks, blocks, params)
    elif packed is None:
        lp._packed = False
    entry.launch(s, blocks, threads, values)


_PASS_NAMES = {False: "forward", True: "backward", "tangent": "tangent",
               "tangent_replay": "tangent replay", "hvp": "Hessian-vector product"}


def _timed_kernel(lp: Launch, s):
    key = lp.kernel.key
    builtin = key.startswith("numba_warp_")  # the array methods' own kernels
    flag = cuda_backend.TIMING_KERNEL_BUILTIN if builtin else cuda_backend.TIMING_KERNEL
    name = (f"builtin kernel {key}" if builtin else
            f"{_PASS_NAMES.get(lp.adjoint, 'backward')} kernel {key}")
    return cuda_backend.timed_activity(flag, name, s.numba_stream, lp.device.ordinal)


def _captured(lp: Launch, stream, n: int) -> bool:
    """Take part in a graph capture, if one records this launch (see capture_state):
    on the CPU record it (compiled now, so that errors show at the capture); on a GPU
    queue it on the capturing stream, which records it. False: no capture involved."""
    dev = lp.device
    if dev.is_cpu:
        graph = capture_state.cpu_graph()
        if graph is None:
            return False
        if lp._entry is None and not (lp._checked or config.mode != "release" or
                                      python_mode(lp.kernel)):
            lp._entry = lp.kernel.compile_cpu(tuple(lp.arguments.types), lp.adjoint)
        graph.record(functools.partial(_execute, lp, stream, n))
        graph.writes.extend(lp._writes)
        return True
    s = stream if stream is not None else dev.stream
    graph = capture_state.graph_for_stream(s)
    if graph is None:
        return False
    if python_mode(lp.kernel):
        raise RuntimeError(f"kernel '{lp.kernel.key}' runs in the interpreter (mode 'python'), "
                           "which a CUDA graph capture cannot record; capture it in mode "
                           "'release' or 'debug', or do not capture while debugging")
    graph.retain(lp)
    graph.writes.extend(lp._writes)
    if config.verify_fp:
        raise RuntimeError("wp.config.verify_fp reads every launch's results back to the host, "
                           "which a CUDA graph capture cannot do; turn it off while capturing")
    if lp._checked or config.mode == "debug":
        _launch_checked_in_capture(lp, s, n)
    else:
        _execute(lp, s, n)
    return True


def _launch_checked_in_capture(lp: Launch, s, n: int):
    """A checked launch in a CUDA capture: the checked variant is captured, but its failure
    slot cannot be read back inside the graph; a failure in a replay is reported by the
    next checked launch of the kernel outside a capture."""
    padded = lp.dim + (1,) * (4 - len(lp.dim))
    kern, _ = lp.kernel.compile_cuda(tuple(lp.arguments.types), lp.device, lp.adjoint,
                                     debug=True)
    blocks = cuda_backend.grid_blocks(n, lp.block_dim, lp.max_blocks,
                                      lp.device.ordinal, lp.kernel.persistent_grid)
    cuda_backend.launch(kern, s, blocks, lp.block_dim,
                        (n, *padded, *lp.arguments.cuda))


def _array_names(lp: Launch) -> dict:
    """id(array) -> the parameter it was passed as (or its adjoint's, "adj_<name>")."""
    names = {}
    for name, value in zip(lp.kernel.arg_names, lp.fwd_args or ()):
        names.setdefault(id(value), name)
    for name, value in zip(lp.kernel.arg_names, lp.adj_args or ()):
        names.setdefault(id(value), f"adj_{name}")
    return names


def _nonfinite_arrays(lp: Launch) -> dict:
    """The float array arguments holding NaN or inf now: {id: (array, first index)}."""
    out = {}
    for arr in (lp.arguments.arrays if lp.arguments is not None else ()):
        if arr.size and arr.element_type.scalar_np.kind == "f":
            data = arr.numpy()
            bad = ~np.isfinite(data)
            if bad.any():
                out[id(arr)] = (arr, tuple(int(i) for i in np.argwhere(bad)[0]))
    return out


def _verify_fp(lp: Launch, before: dict) -> None:
    """``wp.config.verify_fp``: raise if the launch left NaN or inf in a float array,
    naming the parameter and the first bad element, and whether the kernel produced it or
    it was there before the launch (an input that came from earlier work)."""
    after = _nonfinite_arrays(lp)
    if not after:
        return
    names = _array_names(lp)
    k = f"kernel '{lp.kernel.qualified_name}'"

    def where(key):
        arr, index = after.get(key) or before[key]
        return f"'{names.get(key, 'an array argument')}' (shape {arr.shape}, first at " \
               f"index {index})"

    made = [key for key in after if key not in before]
    held = [where(key) for key in before]
    if made:
        extra = f"; {', '.join(held)} already held NaN or inf before it ran" if held else \
            "; every input was finite"
        raise FloatingPointError(
            f"{k} produced NaN or inf in {', '.join(where(key) for key in made)}{extra} "
            "(wp.config.verify_fp is on)")
    raise FloatingPointError(
        f"NaN or inf in {', '.join(held)} came into {k} as input: it was there before the "
        "launch (from earlier work or the data given; wp.config.verify_fp is on)")


def launch(kernel: Kernel, dim, inputs: typing.Sequence = (), outputs: typing.Sequence = (),
           adj_inputs: typing.Sequence = (), adj_outputs: typing.Sequence = (), device=None,
           stream=None, adjoint: bool = False, record_tape: bool = True,
           record_cmd: bool = False, max_blocks: int = 0, block_dim: int = 0, *,
           tangent_inputs: typing.Sequence | None = None,
           tangent_outputs: typing.Sequence | None = None):
    """Run ``kernel`` over ``dim`` threads (an int or a tuple of up to 4 ints).

    ``inputs`` followed by ``outputs`` are the kernel's arguments, in order. Launches are
    asynchronous on the device's current stream (or ``stream``); reading results with
    ``a.numpy()`` waits for them. While a ``wp.Tape`` records, the launch is recorded
    (unless ``record_tape=False``).

    Forward mode (numba_warp only): with ``tangent_inputs`` and/or ``tangent_outputs``
    (lists matching ``inputs`` and ``outputs``; an array of tangents, of the argument's
    shape and type, or None where an array has none) the launch runs the kernel's tangent
    (JVP) code: it computes and writes the outputs as usual, and writes the directional
    derivatives of what it writes, along the input tangents, into the output tangents
    (stores set them, atomic adds add to them: zero them first). See :func:`wp.jvp`.

    Example
    -------
    >>> @wp.kernel
    ... def saxpy(x: wp.array(dtype=float), a: float, y: wp.array(dtype=float)):
    ...     i = wp.tid()
    ...     y[i] = a * x[i] + y[i]
    >>> x = wp.array([1.0, 2.0, 3.0], dtype=float)
    >>> y = wp.ones(3, dtype=float)
    >>> wp.launch(saxpy, dim=x.shape, inputs=[x, 2.0], outputs=[y])
    >>> print(y.numpy())
    [3. 5. 7.]
    """
    tangent = tangent_inputs is not None or tangent_outputs is not None
    if type(kernel) is Kernel and not (adjoint or record_cmd or adj_inputs or adj_outputs or
                                       tangent) \
            and try_launch(kernel, dim, inputs, outputs, device, stream, record_tape,
                           max_blocks, block_dim):
        return None
    if not isinstance(kernel, Kernel):
        raise LaunchError(f"wp.launch() expects a @wp.kernel, got {type(kernel).__name__}")
    dims = _launch_dims(kernel, dim)
    args = [*inputs, *outputs]
    names = kernel.arg_names
    if len(args) != len(names):
        raise LaunchError(
            f"wp.launch({kernel.__name__}): the kernel takes {len(names)} argument(s) "
            f"({', '.join(names)}), but {len(args)} were given "
            f"({len(inputs)} inputs + {len(outputs)} outputs)")
    dev = stream.device if stream is not None else get_device(device)
    plan = kernel.launch_plan
    conv = _convert_arguments(kernel, plan, args, dev)
    bd = block_dim or config.block_dim
    if adjoint:
        if not kernel.enable_backward:
            raise RuntimeError(
                f"Failed to find backward kernel '{kernel.key}' from module "
                f"'{kernel.module.name}' for device '{dev}': the kernel has no backward pass "
                "(enable_backward=False on the kernel, or its module's option)")
        adj = [*adj_inputs, *adj_outputs]
        _convert_adjoints(kernel, args, adj, dev, conv)
        lp = Launch.prepared(kernel, dims, dev, conv, stream, bd, max_blocks, True, (),
                             conv.nulls is not None, args, adj)
    else:
        if adj_inputs or adj_outputs:
            raise LaunchError(f"wp.launch({kernel.__name__}): adj_inputs/adj_outputs are only "
                              "used with adjoint=True")
        checked = conv.nulls is not None and plan.may_access(conv.nulls)
        writes = plan.written_arrays(args)
        if tangent:
            if record_cmd:
                raise LaunchError(f"wp.launch({kernel.__name__}): record_cmd=True cannot record "
                                  "a tangent (forward-mode) launch; call wp.launch (or "
                                  "wp.jvp) with the tangents each time")
            tans = _tangent_list(kernel, "tangent_inputs", tangent_inputs, len(inputs)) + \
                _tangent_list(kernel, "tangent_outputs", tangent_outputs, len(outputs))
            tan_writes = _convert_tangents(kernel, args, tans, dev, conv)
            writes = [*writes, *(t for a, t in tan_writes if any(a is w for w in writes))]
        lp = Launch.prepared(kernel, dims, dev, conv, stream, bd, max_blocks,
                             "tangent" if tangent else False, writes, checked, args, None)
        if record_cmd:
            return lp
        observer = recording.current()
        if observer is not None and record_tape:
            # the versions of what the launch reads, before it writes (see tape.py)
            reads = [(a, a.version, where) for a, where in plan.read_arrays(args)]
            observer.record_launch(kernel, dims, max_blocks, inputs, outputs, dev, block_dim,
                                   reads=reads)
            if capture_state.active[0]:  # a replay re-reads them: see Graph.track_reads
                capture_state.track_reads(dev, stream, reads)
    if record_cmd:
        return lp
    _run(lp, stream)
    return None


def launch_tiled(*args, **kwargs):
    """``wp.launch`` over ``dim`` with a trailing dimension of ``block_dim`` threads, as
    Warp's ``launch_tiled`` (both must be keywords). On a GPU the trailing dimension is
    ``block_dim`` (default ``wp.config.block_dim``); on the CPU it is 1, as in Warp
    without CPU thread blocks.

    Example
    -------
    >>> @wp.kernel
    ... def k(a: wp.array(dtype=int)):
    ...     i, lane = wp.tid()  # lane: the thread's index in its block
    ...     if lane == 0:
    ...         a[i] = 10 * i
    >>> a = wp.zeros(4, dtype=int)
    >>> wp.launch_tiled(k, dim=[4], inputs=[a], block_dim=64)
    >>> print(a.numpy())
    [ 0 10 20 30]
    """
    if "dim" not in kwargs:
        raise RuntimeError("Launch dimensions 'dim' argument should be passed via. keyword "
                           "args for wp.launch_tiled()")
    if "block_dim" not in kwargs:
        raise RuntimeError("Launch block dimension 'block_dim' argument should be passed via. "
                           "keyword args for wp.launch_tiled()")
    stream = kwargs.get("stream", args[7] if len(args) > 7 else None)
    device = stream.device if stream is not None else get_device(
        kwargs.get("device", args[6] if len(args) > 6 else None))
    bd = kwargs["block_dim"]
    bd = (bd if bd and bd > 0 else config.block_dim) if device.is_cuda else 1
    dim = kwargs["dim"]
    dim = [dim] if isinstance(dim, (int, np.integer)) else list(dim)
    if len(dim) > 3:
        raise RuntimeError("wp.launch_tiled() requires a grid with fewer than 4 dimensions")
    kwargs["dim"] = [*dim, bd]
    kwargs["block_dim"] = bd if device.is_cuda else kwargs["block_dim"]
    return launch(*args, **kwargs)


def _convert_arguments(kernel, plan, args, dev) -> LaunchArguments:
    """Check and convert a launch's arguments: the common cases on a fast path, the rest
    (and every error) through ``_convert``, which checks and explains."""
    conv = LaunchArguments()
    on_cpu = dev.ordinal < 0
    types_, cpu, cuda, arrays = conv.types, conv.cpu, conv.cuda, conv.arrays
    for name, spec, fast, value in zip(kernel.arg_names, kernel.arg_specs, plan.params, args):
        if fast is not None:
            if fast.is_array:
                if type(value) is array and value.device is dev and value.ndim == fast.ndim:
                    data = value.launch_data()
                    if fast.dtype is None or data.dtype is fast.dtype:
                        types_.append(data.numba_type)
                        if on_cpu:
                            cpu.append(data.cpu_arg)
                        else:
                            cuda.extend(data.cuda_args)
                        arrays.append(value)
                        continue
            elif type(value) is fast.py_type and fast.lo <= value <= fast.hi:
                nv = fast.to_numpy(value)
                types_.append(spec.numba_type)
                if on_cpu:
                    cpu.append(nv)
                else:
                    cuda.append(nv if fast.numpy_on_cuda else value)
                continue
        _convert(kernel, name, spec, value, dev, conv)
    return conv


def _empty_array(spec, primal, device):
    """An empty array of ``primal``'s element type and ndim (else the parameter's): Warp's
    null array, for ``None`` arguments and absent gradients."""
    if isinstance(primal, array):
        return null_array(primal.element_type, primal.ndim, device)
    return null_array(element_type(float) if spec.generic_dtype else spec.element, spec.ndim,
                      device)


def _adjoint_struct(value, device):
    """A struct like ``value`` whose arrays are their gradients (absent: empty arrays)."""
    cls = type(value)
    out = cls()
    for name, spec in cls._wp_struct_.fields:
        field = getattr(value, name)
        if spec.kind == "array":
            g = getattr(field, "grad", None) if isinstance(field, array) else None
            setattr(out, name, g if g is not None else _empty_array(spec, field, device))
        elif spec.kind == "struct":
            setattr(out, name, _adjoint_struct(field, device))
    return out


def _check_grad_shape(kernel, name, adj, value):
    """A gradient is empty (none) or has its array's shape: the backward pass indexes it
    where the forward pass indexed the array, unchecked."""
    if isinstance(adj, array) and isinstance(value, array) and adj.size and \
            adj.shape != value.shape:
        _fail(kernel, name, f"has shape {adj.shape}, but the gradient of '{name[4:]}' "
                            f"must have its shape {value.shape}")


def _convert_adjoints(kernel, args, adj_args, device, conv, mask: bool = True):
    """Append the backward pass's extra arguments: gradients and (``mask``) the retain
    mask. Returns the mask."""
    retain = 0
    for k, (name, spec, value) in enumerate(zip(kernel.arg_names, kernel.arg_specs, args)):
        adj = adj_args[k] if k < len(adj_args) else None
        if spec.kind == "array":
            if adj is None and isinstance(value, array):
                adj = value.grad
            if adj is None:
                adj = _empty_array(spec, value, device)
            _check_grad_shape(kernel, f"adj_{name}", adj, value)
            _convert(kernel, f"adj_{name}", spec, adj, device, conv)
            if isinstance(value, array) and value.retain_grad:
                retain |= 1 << k
        elif spec.kind == "struct":
            if adj is None or not isinstance(adj, spec.struct_cls):
                adj = _adjoint_struct(value, device)
            _convert(kernel, f"adj_{name}", spec, adj, device, conv)
        elif spec.kind == "indexedarray" and isinstance(value, indexedarray) and \
                value.data.requires_grad:
            _fail(kernel, name, "is an indexed view of an array with requires_grad: gradients "
                                "do not flow through wp.indexedarray (Warp drops them without "
                                "a word). Gather the elements into a wp.array in a kernel "
                                "of the recorded computation and use that array instead")
    if mask:
        _convert_scalar(kernel, "_wp_retain", types.int64, retain, device, conv)
    return retain


def _tangent_list(kernel, what, given, n) -> list:
    if given is None:
        return [None] * n
    given = list(given)
    if len(given) != n:
        raise LaunchError(f"wp.launch({kernel.__name__}): {what} has {len(given)} entries; it "
                          f"needs one per argument it goes with ({n}; None for no tangent)")
    return given


def _tangent_struct(value, tangent, device):
    """A struct like ``value`` whose arrays are the tangents ``tangent`` holds in their
    place (a struct of the same type), or empty (no tangent)."""
    cls = type(value)
    out = cls()
    for name, spec in cls._wp_struct_.fields:
        field = getattr(value, name)
        given = getattr(tangent, name, None) if tangent is not None else None
        if spec.kind == "array":
            setattr(out, name, given if isinstance(given, array) else
                    _empty_array(spec, field, device))
        elif spec.kind == "struct":
            setattr(out, name, _tangent_struct(field, given, device))
    return out


def _convert_tangents(kernel, args, tangents, device, conv, mask: bool = True) -> list:
    """Append the tangent body's extra arguments (see ``autodiff/tangent.py``): a tangent
    array per array parameter, a struct of them per struct parameter, and (``mask``) an
    unused 0. Returns (array, its tangent array) pairs."""
    pairs = []
    for name, spec, value, t in zip(kernel.arg_names, kernel.arg_specs, args, tangents):
        if spec.kind == "array":
            if t is not None and not isinstance(t, array):
                _fail(kernel, f"tangent of {name}", f"is a {type(t).__name__}; a tangent is a "
                      "wp.array of the argument's shape and type (or None)")
            if t is not None and isinstance(value, array):
                if t.shape != value.shape or t.dtype != value.dtype:
                    _fail(kernel, f"tangent of {name}",
                          f"has shape {t.shape} and dtype {t.dtype}, but the array has shape "
                          f"{value.shape} and dtype {value.dtype}; a tangent matches both")
                if t.device != value.device:
                    _fail(kernel, f"tangent of {name}", f"is on {t.device}, the array on "
                          f"{value.device}")
                pairs.append((value, t))
            if t is None:
                t = _empty_array(spec, value, device)
            _convert(kernel, f"tangent of {name}", spec, t, device, conv)
        elif spec.kind == "struct":
            if t is not None and not isinstance(t, spec.struct_cls):
                _fail(kernel, f"tangent of {name}", f"is a {type(t).__name__}; the tangent of "
                      f"a struct is a {spec.struct_cls.__name__} holding tangent arrays")
            _convert(kernel, f"tangent of {name}", spec, _tangent_struct(value, t, device),
                     device, conv)
        elif t is not None:
            _fail(kernel, f"tangent of {name}", "is given, but only arrays (and arrays in "
                  "structs) carry tangents, as they carry gradients; pass None for "
                  f"parameter '{name}'")
    if mask:
        _convert_scalar(kernel, "_wp_retain", types.int64, 0, device, conv)
    return pairs


def launch_hessian(kernel: Kernel, dim, args, device, which: str, tangents,
                   tangent_adjoints=None, max_blocks: int = 0, block_dim: int = 0):
    """Run a variant of Hessian-vector products (``autodiff/hessian.py``) of a recorded
    launch: ``which="tangent_replay"`` (``tangents``: a tangent array or None per
    argument; they receive the tangents of what the kernel writes) or ``"hvp"`` (the
    arrays' gradients are read and accumulated as in the backward pass, and their
    tangents in ``tangent_adjoints``, one per argument)."""
    dims = _launch_dims(kernel, dim)
    dev = get_device(device)
    plan = kernel.launch_plan
    conv = _convert_arguments(kernel, plan, args, dev)
    if which == "hvp":
        retain = _convert_adjoints(kernel, args, [], dev, conv, mask=False)
        _convert_tangents(kernel, args, tangents, dev, conv, mask=False)
        _convert_tangents(kernel, args, tangent_adjoints, dev, conv, mask=False)
        _convert_scalar(kernel, "_wp_retain", types.int64, retain, dev, conv)
    else:
        _convert_tangents(kernel, args, tangents, dev, conv)
    lp = Launch.prepared(kernel, dims, dev, conv, None, block_dim or config.block_dim,
                         max_blocks, which, (), conv.nulls is not None, args, None)
    _run(lp, None)
