"""``wp.jax_kernel`` and ``wp.jax_callable`` (Warp 1.19's names and calling convention):
numba_warp kernels, and Python functions that launch them, called from JAX code, eagerly
and under ``jax.jit`` and ``jax.vmap``, with gradients through ``jax.grad`` for kernels
(``enable_backward=True``: a ``jax.custom_vjp`` whose backward pass launches the
kernel's adjoint).

The calling convention is Warp's: the kernel's (or function's) leading parameters are
the inputs, its last ``num_outputs`` parameters the outputs, which the call returns as a
list of new JAX arrays. Array inputs are JAX (or NumPy) arrays of the parameter's scalar
type, vector/matrix elements as trailing dimensions; scalar inputs must be static Python
values (``static_argnames`` under ``jax.jit``). The launch dimensions are ``launch_dims``
or the shape of the first array input; outputs have ``output_dims`` or the launch
dimensions. ``in_out_argnames`` names inputs that are also outputs: the kernel updates
them and the call returns their new value.

How it runs: through ``jax.pure_callback``. XLA hands the callback the inputs as host
buffers; numba_warp views them without a copy, launches on the CPU (multithreaded) and
returns the outputs. Under ``jax.jit`` that is one host callback in the compiled
program. For JAX arrays on a GPU, XLA copies the inputs to the host and the outputs back
around the callback: results are right, the kernel runs on the CPU. (Warp instead
registers an XLA FFI target with its native library and launches on JAX's CUDA stream;
that path is not provided.) Outputs start zeroed, where Warp's are uninitialised buffers;
``graph_mode``, ``module_preload_mode``, ``graph_cache_max``, ``stage_*_argnames`` and
``block_dim`` are accepted and have nothing to act on here.

jax is an optional dependency: it is imported by these functions, never by
``import numba_warp``.
"""

from __future__ import annotations

import enum
import functools
import inspect
import threading

import numpy as np

from ..runtime.device import get_device
from ..runtime.foreign import foreign_view
from ..runtime.kernel import Kernel
from ..runtime.launch import launch
from ..typing.argspec import arg_spec_from_annotation
from ..typing.dtypes import type_name

__all__ = ["JaxCallableGraphMode", "JaxModulePreloadMode", "clear_jax_callable_graph_cache",
           "jax_callable", "jax_kernel"]


class JaxCallableGraphMode(enum.IntEnum):
    """Warp's CUDA graph modes for :func:`jax_callable` (accepted; the callback path
    captures no graphs).

    Example
    -------
    >>> [mode.name for mode in wp.JaxCallableGraphMode]
    ['NONE', 'JAX', 'WARP', 'WARP_STAGED', 'WARP_STAGED_EX']
    """

    NONE = 0
    JAX = 1
    WARP = 2
    WARP_STAGED = 3
    WARP_STAGED_EX = 4


class JaxModulePreloadMode(enum.IntEnum):
    """Warp's module preload modes (accepted; kernels compile on their first call).

    Example
    -------
    >>> [mode.name for mode in wp.JaxModulePreloadMode]
    ['NONE', 'CURRENT_DEVICE', 'ALL_DEVICES']
    """

    NONE = 0
    CURRENT_DEVICE = 1
    ALL_DEVICES = 2


def clear_jax_callable_graph_cache(*args, **kwargs) -> None:
    """Warp's cache of CUDA graphs captured by ``jax_callable``: this path keeps none.

    Example
    -------
    >>> wp.clear_jax_callable_graph_cache()  # nothing to clear
    """


#: one callback runs at a time (XLA may call from several threads, e.g. under pmap; the
#: CPU backend's parallel launches must not nest)
_LOCK = threading.Lock()


def _jax():
    import jax  # optional dependency (pip install jax)

    return jax


class _Param:
    """One parameter of the kernel or function: its name, whether it is an array, its
    element type (arrays) or annotation class (scalars)."""

    def __init__(self, name: str, spec, where: str):
        self.name = name
        self.is_array = spec.kind == "array"
        if self.is_array:
            if spec.generic_dtype:
                raise TypeError(f"{where}: parameter '{name}' is an array of any dtype; "
                                "JAX needs a concrete dtype (annotate it)")
            self.element = spec.element
            self.ndim = spec.ndim
            self.inner = tuple(self.element.inner_shape)
            self.dtype = np.dtype(self.element.scalar_np)
        elif spec.kind in ("scalar", "value"):
            self.cast = spec.annotation
        else:
            raise TypeError(f"{where}: parameter '{name}' is a {spec.kind}; JAX calls take "
                            "arrays and static scalars only")

    def jax_shape(self, outer) -> tuple:
        return tuple(outer) + self.inner

    def describe(self) -> str:
        return f"{type_name(self.element.dtype)} array of {self.ndim} dimension(s)"


def _unbatched(params, host) -> tuple:
    """(batch shape, the host arrays broadcast to it): under ``jax.vmap`` a callback gets
    leading batch dimensions on its arrays (all of them with ``broadcast_all``; size 1 on
    the unbatched ones with ``expand_dims``; none with ``sequential``)."""
    host = [np.asarray(h) for h in host]
    lead = [h.shape[:h.ndim - p.ndim - len(p.inner)] for p, h in zip(params, host)]
    batch = tuple(np.broadcast_shapes(*lead)) if lead else ()
    return batch, [np.broadcast_to(h, batch + h.shape[len(b):])
                   for h, b in zip(host, lead)]


def _dims(value) -> tuple:
    return (int(value),) if isinstance(value, (int, np.integer)) else \
        tuple(int(d) for d in value)


class _JaxCall:
    """A kernel or function called through ``jax.pure_callback`` (see the module
    docstring); ``run(arrays, dims)`` launches it on CPU ``wp.array``s."""

    def __init__(self, where: str, params: list, num_outputs: int, vmap_method,
                 launch_dims, output_dims, in_out_argnames):
        in_out_argnames = list(in_out_argnames or ())
        if len(set(in_out_argnames)) != len(in_out_argnames):
            raise ValueError(f"{where}: in_out_argnames must not name an argument twice")
        if not max(1, len(in_out_argnames)) <= num_outputs <= len(params):
            raise ValueError(f"{where}: num_outputs={num_outputs}, but it has "
                             f"{len(params)} parameter(s) and {len(in_out_argnames)} "
                             "in_out_argnames (num_outputs counts them)")
        self.where = where
        self.params = params
        # (as in Warp: the in-out arguments are inputs and count among the outputs)
        self.num_inputs = len(params) - num_outputs + len(in_out_argnames)
        self.outputs = params[self.num_inputs:]
        names = [p.name for p in params[:self.num_inputs]]
        self.in_out = [self._input_index(names, n) for n in in_out_argnames]
        for k in (*self.in_out, *range(self.num_inputs, len(params))):
            if not params[k].is_array:
                raise TypeError(f"{where}: output '{params[k].name}' must be an array")
        self.vmap_method = vmap_method
        self.launch_dims = launch_dims
        self.output_dims = output_dims
        self.first_array = next((k for k in range(self.num_inputs) if params[k].is_array),
                                None)
        #: the array inputs' parameters, in order (the callbacks' host arrays)
        self.array_inputs = [p for p in params[:self.num_inputs] if p.is_array]

    def _input_index(self, names, name) -> int:
        if name in names:
            return names.index(name)
        if name in (p.name for p in self.params):
            raise ValueError(f"{self.where}: in_out argument '{name}' comes after an "
                             "output-only argument; in-out arguments must come first")
        raise ValueError(f"{self.where}: in_out_argnames names '{name}', which is not a "
                         "parameter")

    # -- checking a call ----------------------------------------------------------------
    def _check_inputs(self, args) -> dict:
        """The static scalar inputs by index, after checking every input."""
        jax = _jax()
        if len(args) != self.num_inputs:
            raise ValueError(f"{self.where}: expected {self.num_inputs} inputs "
                             f"({', '.join(p.name for p in self.params[:self.num_inputs])})"
                             f", got {len(args)}")
        statics = {}
        for k, (p, v) in enumerate(zip(self.params, args)):
            if not p.is_array:
                if isinstance(v, jax.core.Tracer):
                    raise ValueError(f"{self.where}: argument '{p.name}' must be a static "
                                     "value (mark it static: jax.jit(..., static_argnames="
                                     f"['{p.name}']))")
                statics[k] = p.cast(v)
                continue
            dtype, shape = getattr(v, "dtype", None), getattr(v, "shape", None)
            if dtype is None or shape is None:
                raise TypeError(f"{self.where}: argument '{p.name}' expects a JAX array "
                                f"({p.describe()}), got {type(v).__name__}")
            if np.dtype(dtype) != p.dtype:
                raise TypeError(f"{self.where}: argument '{p.name}' holds {np.dtype(dtype)}"
                                f", expected {p.dtype} ({p.describe()})")
            if len(shape) != p.ndim + len(p.inner) or \
                    tuple(shape[len(shape) - len(p.inner):]) != p.inner:
                raise TypeError(f"{self.where}: argument '{p.name}' has shape "
                                f"{tuple(shape)}, expected {p.ndim} dimension(s)"
                                + (f" then {p.inner}" if p.inner else "")
                                + f" ({p.describe()})")
        return statics

    def _resolve(self, args, launch_dims, output_dims):
        """(launch dims, output ShapeDtypeStructs) of a call."""
        jax = _jax()
        if launch_dims is None:
            if self.first_array is None:
                raise RuntimeError(f"{self.where}: no array input to take the launch "
                                   "dimensions from: pass launch_dims")
            p = self.params[self.first_array]
            launch_dims = tuple(args[self.first_array].shape[:p.ndim])
        launch_dims = _dims(launch_dims)
        outs = [jax.ShapeDtypeStruct(tuple(args[k].shape), self.params[k].dtype)
                for k in self.in_out]
        for p in self.outputs:
            dims = output_dims
            if isinstance(dims, dict):
                if p.name not in dims:
                    raise ValueError(f"{self.where}: output_dims has no entry for output "
                                     f"'{p.name}'")
                dims = dims[p.name]
            dims = launch_dims if dims is None else _dims(dims)
            if len(dims) != p.ndim:
                raise ValueError(f"{self.where}: output '{p.name}' has {p.ndim} "
                                 f"dimension(s), but its dims are {dims}")
            outs.append(jax.ShapeDtypeStruct(p.jax_shape(dims), p.dtype))
        return launch_dims, outs

    # -- the callback ---------------------------------------------------------------------
    def _host_run(self, run, statics, dims, out_specs, *host):
        """What the callback does: ``host`` are the array inputs (NumPy, maybe with
        leading batch dimensions under ``jax.vmap``); returns the outputs."""
        batch, host = _unbatched(self.array_inputs, host)
        outs = [np.zeros(batch + tuple(s.shape), s.dtype) for s in out_specs]
        with _LOCK:
            for b in np.ndindex(*batch):
                self._run_one(run, statics, dims, [h[b] for h in host],
                              [o[b] for o in outs])
        return tuple(outs)

    def _run_one(self, run, statics, dims, host, outs):
        """One launch (one batch element) on CPU views of ``host`` and ``outs``."""
        it = iter(host)
        values = [statics[k] if k in statics else next(it)
                  for k in range(self.num_inputs)]
        for n, k in enumerate(self.in_out):
            outs[n][...] = values[k]
            values[k] = outs[n]
        values += outs[len(self.in_out):]
        cpu = get_device("cpu")
        views = [self._view(p, v, cpu) if p.is_array else v
                 for p, v in zip(self.params, values)]
        run(views, dims)

    def _view(self, p, value, cpu):
        view, problem = foreign_view(np.ascontiguousarray(value), p.element, cpu)
        if view is None:
            raise RuntimeError(f"{self.where}: argument '{p.name}' {problem}")
        return view

    def call(self, run, args, launch_dims, output_dims, vmap_method):
        jax = _jax()
        statics = self._check_inputs(args)
        dims, out_specs = self._resolve(args, launch_dims, output_dims)
        arrays = [a for k, a in enumerate(args) if k not in statics]
        callback = functools.partial(self._host_run, run, statics, dims, out_specs)
        outs = jax.pure_callback(callback, out_specs, *arrays,
                                 vmap_method=vmap_method or self.vmap_method)
        return list(outs)


class JaxKernel:
    """A numba_warp kernel called from JAX (made by :func:`jax_kernel`)."""

    def __init__(self, kernel, num_outputs, vmap_method, launch_dims, output_dims,
                 in_out_argnames, enable_backward):
        if not isinstance(kernel, Kernel):
            raise TypeError(f"jax_kernel() expects a @wp.kernel, got {type(kernel).__name__}")
        where = f"jax_kernel({kernel.__name__})"
        params = [_Param(n, s, where) for n, s in zip(kernel.arg_names, kernel.arg_specs)]
        self.kernel = kernel
        self._call = _JaxCall(where, params, num_outputs, vmap_method, launch_dims,
                              output_dims, in_out_argnames)
        self.enable_backward = enable_backward
        if enable_backward and (in_out_argnames or output_dims is not None):
            raise NotImplementedError(f"{where}: in_out_argnames and output_dims are not "
                                      "supported with enable_backward=True (as in Warp)")
        self._check_writes(where, params)

    def _check_writes(self, where, params):
        """A kernel must not write an input that is not in ``in_out_argnames``: XLA owns
        input buffers, and a write would change a value JAX treats as immutable."""
        allowed = set(self._call.in_out)
        for k, _ in self.kernel.launch_plan.write_params():
            if k < self._call.num_inputs and k not in allowed:
                raise ValueError(f"{where}: the kernel writes input '{params[k].name}'; "
                                 "JAX arrays are immutable: make it an output, or list it "
                                 f"in in_out_argnames=['{params[k].name}']")

    def _run(self, views, dims):
        launch(self.kernel, dims, inputs=views[:self._call.num_inputs],
               outputs=views[self._call.num_inputs:], device="cpu")

    def __call__(self, *args, output_dims=None, launch_dims=None, vmap_method=None):
        c = self._call
        if not self.enable_backward:
            return c.call(self._run, args, launch_dims if launch_dims is not None
                          else c.launch_dims,
                          output_dims if output_dims is not None else c.output_dims,
                          vmap_method)
        if launch_dims is not None or output_dims is not None:
            raise ValueError(f"{c.where}: with enable_backward=True, launch_dims is fixed "
                             "when the wrapper is made (jax_kernel(..., launch_dims=...))")
        return _differentiable(self, args, vmap_method)


def _differentiable(jk: JaxKernel, args, vmap_method):
    """The call as a ``jax.custom_vjp``: the backward pass launches the kernel's adjoint
    on the inputs, the outputs and their cotangents, for the float array inputs."""
    jax = _jax()
    c = jk._call
    statics = c._check_inputs(args)
    dims, out_specs = c._resolve(args, c.launch_dims, None)
    arrays = [a for k, a in enumerate(args) if k not in statics]
    in_params = c.array_inputs
    grad_specs = [jax.ShapeDtypeStruct(tuple(a.shape), p.dtype)
                  for p, a in zip(in_params, arrays)]

    def forward(*xs):
        callback = functools.partial(c._host_run, jk._run, statics, dims, out_specs)
        return list(jax.pure_callback(callback, out_specs, *xs,
                                      vmap_method=vmap_method or c.vmap_method))

    f = jax.custom_vjp(forward)

    def fwd(*xs):
        outs = forward(*xs)
        return outs, (xs, outs)

    def bwd(res, cts):
        xs, outs = res
        callback = functools.partial(_adjoint_host, jk, statics, dims, grad_specs)
        grads = jax.pure_callback(callback, grad_specs, *xs, *outs, *cts,
                                  vmap_method=vmap_method or c.vmap_method)
        return tuple(g if np.dtype(p.dtype).kind == "f" else
                     np.zeros(g.shape, jax.dtypes.float0)
                     for p, g in zip(in_params, grads))

    f.defvjp(fwd, bwd)
    return f(*arrays)


def _adjoint_host(jk: JaxKernel, statics, dims, grad_specs, *host):
    """The backward callback: host holds the array inputs, the outputs and the outputs'
    cotangents (maybe batched); returns the array inputs' gradients."""
    c = jk._call
    n_in, n_out = len(grad_specs), len(c.outputs)
    in_params = c.array_inputs
    batch, host = _unbatched(in_params + c.outputs + c.outputs, host)
    grads = [np.zeros(batch + tuple(s.shape), s.dtype) for s in grad_specs]
    cpu = get_device("cpu")
    with _LOCK:
        for b in np.ndindex(*batch):
            xs = iter(c._view(p, host[k][b], cpu) for k, p in enumerate(in_params))
            inputs = [statics[k] if k in statics else next(xs) for k in range(c.num_inputs)]
            outputs = [c._view(p, np.array(host[n_in + k][b]), cpu)
                       for k, p in enumerate(c.outputs)]
            adj_out = [c._view(p, np.array(host[n_in + n_out + k][b]), cpu)
                       for k, p in enumerate(c.outputs)]
            g = iter(c._view(p, grads[k][b], cpu) for k, p in enumerate(in_params))
            adj_in = [None if k in statics else next(g) for k in range(c.num_inputs)]
            launch(jk.kernel, dims, inputs=inputs, outputs=outputs, adj_inputs=adj_in,
                   adj_outputs=adj_out, adjoint=True, device="cpu")
    return tuple(grads)


def jax_kernel(kernel, num_outputs=1, vmap_method="broadcast_all", launch_dims=None,
               output_dims=None, in_out_argnames=None, module_preload_mode=None,
               enable_backward: bool = False, has_side_effect: bool = False,
               block_dim=None) -> JaxKernel:
    """A function that JAX code calls to run ``kernel`` (see the module docstring):
    ``jax_kernel(k, num_outputs=2)(a, b)`` returns the kernel's last two parameters as
    new JAX arrays; ``enable_backward=True`` makes it differentiable with ``jax.grad``.

    Example
    -------
    >>> import jax
    >>> import jax.numpy as jnp
    >>> @wp.kernel
    ... def add(a: wp.array(dtype=float), b: wp.array(dtype=float), out: wp.array(dtype=float)):
    ...     i = wp.tid()
    ...     out[i] = a[i] + b[i]
    >>> jax_add = wp.jax_kernel(add)
    >>> (out,) = jax_add(jnp.array([1.0, 2.0]), jnp.array([10.0, 20.0]))
    >>> out.tolist()
    [11.0, 22.0]
    >>> jax.jit(lambda a: 2.0 * jax_add(a, a)[0])(jnp.array([1.0, 2.0])).tolist()
    [4.0, 8.0]
    """
    return JaxKernel(kernel, num_outputs, vmap_method, launch_dims, output_dims,
                     in_out_argnames, enable_backward)


class JaxCallable:
    """A Python function of ``wp.array``s called from JAX (made by :func:`jax_callable`)."""

    def __init__(self, func, num_outputs, vmap_method, output_dims, in_out_argnames):
        where = f"jax_callable({getattr(func, '__name__', func)})"
        sig = inspect.signature(func)
        params = []
        for p in sig.parameters.values():
            if p.annotation is inspect.Parameter.empty:
                raise TypeError(f"{where}: parameter '{p.name}' has no annotation (annotate "
                                "it as for a kernel, e.g. wp.array(dtype=float))")
            params.append(_Param(p.name, arg_spec_from_annotation(p.annotation, where),
                                 where))
        self.func = func
        self._call = _JaxCall(where, params, num_outputs, vmap_method, None, output_dims,
                              in_out_argnames)

    def _run(self, views, dims):
        self.func(*views)

    def __call__(self, *args, output_dims=None, vmap_method=None):
        c = self._call
        return c.call(self._run, args, None,
                      output_dims if output_dims is not None else c.output_dims, vmap_method)


def jax_callable(func, num_outputs: int = 1, graph_mode=None, vmap_method="broadcast_all",
                 output_dims=None, in_out_argnames=None, stage_in_argnames=None,
                 stage_out_argnames=None, graph_cache_max=None, module_preload_mode=None,
                 has_side_effect: bool = False) -> JaxCallable:
    """A function that JAX code calls to run ``func``, a Python function annotated like a
    kernel whose last ``num_outputs`` parameters are outputs it fills (it launches
    kernels on them; they are CPU ``wp.array``s). Outputs have ``output_dims`` or the
    shape of the first array input.

    Example
    -------
    >>> import jax.numpy as jnp
    >>> @wp.kernel
    ... def scale(a: wp.array(dtype=float), s: float, out: wp.array(dtype=float)):
    ...     i = wp.tid()
    ...     out[i] = a[i] * s
    >>> def scale_by_3(a: wp.array(dtype=float), out: wp.array(dtype=float)):
    ...     wp.launch(scale, a.shape, inputs=[a, 3.0], outputs=[out], device=out.device)
    >>> f = wp.jax_callable(scale_by_3)
    >>> (y,) = f(jnp.array([1.0, 2.0, 3.0]))
    >>> y.tolist()
    [3.0, 6.0, 9.0]
    """
    return JaxCallable(func, num_outputs, vmap_method, output_dims, in_out_argnames)
