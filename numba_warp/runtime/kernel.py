"""``@wp.kernel``: compiling a kernel for the CPU and for CUDA.

A kernel is parsed and checked when it is decorated; its code is generated on first
compile (Warp's rule: names used in a kernel may be defined after it). Errors in its code
are raised then too, as Warp does (see ``frontend/errors.DeferredError``); only unreadable
source and missing or unevaluable annotations fail the decorator. Compilation is per
(device kind, concrete argument types): the generated module holds

* ``<name>_body(tid, d0..d3, args...)``, one thread of the kernel (``@njit``);
* ``<name>_cpu(n, d0..d3, args...)``, the CPU launcher: a serial loop below
  ``config.cpu_parallel_threshold`` threads, above it ``config.cpu_threads`` threads
  claiming chunks of thread ids dynamically (``runtime/cpu_schedule``);
* ``<name>_cuda(n, d0..d3, args...)``, the CUDA kernel: a grid-stride loop that calls
  the same body (Numba turns it into a device function).

Both are compiled with Numba's on-disk cache, so a second process loads them.
"""

from __future__ import annotations

import ast
import re
import sys
import time
import types as types_module
import weakref

from numba import njit
from numba.core import types
from numba.core.dispatcher import Dispatcher

from .. import config
from ..frontend.errors import DeferredError, WarpCodegenError
from ..frontend.fence import check_annotations, check_syntax
from ..frontend.owned import thread_indexed_reads
from ..frontend.protocols import UserFunction, UserKernel
from ..frontend.source import parse_function, warp_key
from ..lazy import LazyModule
from ..lowering.debug_checks import SLOT_SYMBOL
from ..typing.argspec import arg_spec_from_annotation
from . import cuda_backend
from .cache import guard_disk_cache, load_generated_module, module_text
from .compile_errors import numba_errors
from .device import get_device, get_devices
from .fingerprint import describe_refs
from .func import checked_ref, func, redefinition_epoch, resolve_annotations
from .launch_plan import LaunchPlan
from .module import Module, get_module_if_made, module_of, resolve_module
from .launcher import (VARIANTS, bind_cpu_globals, bind_cuda_globals, entry_name,
                       launcher_module_source)

__all__ = ["Kernel", "kernel", "library_kernel", "load_module", "force_load", "all_kernels",
           "set_module_options", "get_module_options", "overload"]

_all_kernels: "weakref.WeakSet[Kernel]" = weakref.WeakSet()
# needed to compile only (see numba_warp/lazy.py): imported at the first compile
_codegen = LazyModule("numba_warp.frontend.codegen")
_checks = LazyModule("numba_warp.frontend.checks")
_adjoint = LazyModule("numba_warp.autodiff.assemble")
_tangent = LazyModule("numba_warp.autodiff.tangent")
_hessian = LazyModule("numba_warp.autodiff.hessian")


def all_kernels() -> list:
    """Every kernel object alive in this process."""
    return list(_all_kernels)


class Kernel(UserKernel):
    """A compiled-on-demand kernel; launch it with :func:`wp.launch`.

    Made by ``@wp.kernel``, or directly as in Warp: ``wp.Kernel(func, key="name")``
    (``source``: the function's source text, when it cannot be read from a file;
    ``code_transformers``: ``ast.NodeTransformer`` objects applied to its tree).

    Example
    -------
    >>> def double(a: wp.array(dtype=float)):
    ...     i = wp.tid()
    ...     a[i] = 2.0 * a[i]
    >>> k = wp.Kernel(double, key="double")  # what @wp.kernel makes
    >>> a = wp.array([1.0, 2.0], dtype=float)
    >>> wp.launch(k, dim=2, inputs=[a])
    >>> k.key, a.numpy().tolist()
    ('double', [2.0, 4.0])
    """

    def __init__(self, func, key: str | None = None, module=None, options: dict | None = None,
                 code_transformers=None, source: str | None = None, *,
                 enable_backward: bool | None = None, arg_types: dict | None = None,
                 deferred: bool = False):
        fn = func
        self.func = fn
        #: Warp's key: the function's qualified name as an identifier, or ``name=``
        self.key = key if key is not None else warp_key(fn)
        #: ``module.qualname``, unique in a process: for error messages and the cache
        # (functions made by exec(), a doctest's included, have no module: __main__)
        self.qualified_name = f"{fn.__module__ or '__main__'}.{fn.__qualname__}"
        #: the wp.Module the kernel belongs to (its options apply to it)
        self.module = (module if isinstance(module, Module)
                       else module_of(fn, module, key=self.key))
        self.options = dict(options or {})
        self._enable_backward = enable_backward  # None: the module's option
        self.__name__ = fn.__name__
        self.__qualname__ = fn.__qualname__
        self.__doc__ = fn.__doc__
        #: concrete instances made by :func:`overload` (signature -> Kernel)
        self.overloads: dict = {}
        #: the generic kernel this one is an overload of (None: not an overload)
        self.generic_parent = None
        self._code_transformers = list(code_transformers or ())
        self._source = source
        self._arg_types = arg_types
        self._parsed = None
        self._forget_generated()
        #: how many variants were loaded from the on-disk cache, compiled here, or found
        #: compiled in this process already (an identical kernel defined again)
        self.cache_stats = {"disk_hits": 0, "compiled": 0, "reused": 0}
        if not deferred:
            self._define()
        _all_kernels.add(self)
        self.module.register_kernel(self)

    def _define(self):
        """Parse and check the source. As in Warp, unreadable source and missing or
        unevaluable annotations fail here (when the kernel is made, unless it is
        ``deferred``); every other error in the code fails when it is compiled."""
        fn = self.func
        parsed = parse_function(fn, self._source, self._code_transformers)
        if self._arg_types is None:
            check_annotations(parsed, "kernel")
        anns = resolve_annotations(fn)
        anns.update(self._arg_types or {})
        self._arg_names = [a.arg for a in parsed.tree.args.args]
        self._arg_specs = None
        self._definition_error = None
        self._parsed = parsed
        try:
            check_syntax(parsed, is_kernel=True)
            self._arg_specs = self._read_arg_specs(anns)
        except WarpCodegenError as exc:
            self._definition_error = DeferredError(
                exc, f"when kernel '{fn.__qualname__}' is compiled: at its first launch or "
                "by wp.load_module")

    @property
    def parsed(self):
        """The kernel's parsed source (``frontend.source.ParsedFunction``)."""
        parsed = self._parsed
        if parsed is None:
            self._define()
            parsed = self._parsed
        return parsed

    @property
    def is_generic(self) -> bool:
        """Whether a parameter is generic (``typing.Any``, an array of any dtype)."""
        return any(spec.kind == "any" or (spec.kind == "array" and spec.generic_dtype)
                   for spec in self.arg_specs)

    def add_overload(self, arg_types: list) -> "Kernel":
        """The instance of this generic kernel for concrete ``arg_types`` (one per
        parameter), made once per signature; see :func:`overload`."""
        names = self.arg_names
        if len(arg_types) != len(names):
            raise RuntimeError(f"Invalid number of arguments for kernel {self.key}: it takes "
                               f"{len(names)} ({', '.join(names)}), {len(arg_types)} given")
        specs = []
        for name, template, t in zip(names, self.arg_specs, arg_types):
            where = f"argument '{name}' of the overload of kernel '{self.key}'"
            spec = arg_spec_from_annotation(t, where)
            if spec.kind == "any" or (spec.kind == "array" and spec.generic_dtype):
                raise TypeError(f"Kernel {self.key} argument '{name}' cannot be generic, "
                                f"got {spec.describe()}")
            if not _instance_of(spec, template):
                raise TypeError(f"Kernel {self.key} argument '{name}' type mismatch: expected "
                                f"{template.describe()}, got {spec.describe()}")
            specs.append(spec)
        sig = tuple(spec.describe() for spec in specs)
        ovl = self.overloads.get(sig)
        if ovl is None:
            ovl = Kernel(self.func, self.key, self.module, self.options,
                         self._code_transformers, self._source,
                         enable_backward=self._enable_backward,
                         arg_types=dict(zip(names, arg_types)))
            ovl.generic_parent = self
            self.overloads[sig] = ovl
        return ovl

    def get_overload(self, arg_types: list):
        """The overload made for ``arg_types`` by :func:`overload`, or None."""
        specs = [arg_spec_from_annotation(t, f"argument {k}") for k, t in enumerate(arg_types)]
        return self.overloads.get(tuple(spec.describe() for spec in specs))

    def _read_arg_specs(self, anns: dict) -> list:
        specs = []
        for name in self._arg_names:
            where = f"parameter '{name}' of kernel '{self.qualified_name}'"
            try:
                specs.append(arg_spec_from_annotation(anns[name], where))
            except TypeError as exc:
                raise self.parsed.error(str(exc), self.parsed.tree) from None
        if "return" in anns and anns["return"] is not None:
            raise self.parsed.error(f"kernel '{self.qualified_name}' declares a return type; "
                                    "kernels cannot return values", self.parsed.tree)
        return specs

    def _throw_definition_error(self):
        if self._parsed is None:
            self._define()
        if self._definition_error is not None:
            self._definition_error.throw()

    @property
    def arg_names(self) -> list:
        """The parameters' names, in order (an error in the kernel's code is raised here,
        as everything that launches or compiles the kernel reads them)."""
        self._throw_definition_error()
        return self._arg_names

    @property
    def arg_specs(self) -> list:
        """What each parameter accepts (``typing.argspec.ArgSpec``), in order."""
        self._throw_definition_error()
        return self._arg_specs

    def _forget_generated(self):
        """Drop generated code and every compiled variant (they are made again on use)."""
        self._generated = None
        self._checked = None
        self._tid_arity = None
        self._prefetch = None
        self._bwd = None
        self._tan = None
        self._modules: dict = {}  # (adjoint, debug) -> generated module
        self._cpu: dict = {}
        self._cuda: dict = {}
        self._cpu_fast: dict = {}
        self._ptx: dict = {}
        self._cuda_fast: dict = {}
        self._dependencies = None  # describe_refs() of the forward code when it was loaded
        self._epoch = redefinition_epoch()
        self._launch_plan = None  # holds the array effects of the code

    def _check_dependencies(self):
        """A ``@wp.func`` changed somewhere (a notebook cell was re-run): if this kernel's
        code reads it, regenerate and recompile on this launch instead of running stale
        code."""
        self._epoch = redefinition_epoch()
        if self._dependencies is not None and \
                describe_refs(self._generated.refs) != self._dependencies:
            self._forget_generated()

    @property
    def launch_plan(self) -> LaunchPlan:
        """What ``wp.launch`` works out once for this kernel (see ``launch_plan.py``)."""
        plan = self._launch_plan
        if plan is None:
            plan = self._launch_plan = LaunchPlan(self)
        return plan

    @property
    def enable_backward(self) -> bool:
        """Whether this kernel has a backward pass: its own ``enable_backward=``, else its
        module's option (``wp.set_module_options``; by default ``wp.config.enable_backward``
        as it was when the module was made, as in Warp)."""
        if self._enable_backward is not None:
            return bool(self._enable_backward)
        return bool(self.module.options.get("enable_backward", config.enable_backward))

    @enable_backward.setter
    def enable_backward(self, value):
        self._enable_backward = value

    @property
    def own_enable_backward(self) -> bool | None:
        """The kernel's own ``enable_backward=`` (None: its module's option decides)."""
        return self._enable_backward

    # -- code generation -------------------------------------------------------------
    @property
    def generated(self):
        if self._generated is None:
            self._throw_definition_error()
            self._generated = _codegen.generate(
                self.parsed, is_kernel=True, params=list(zip(self.arg_names, self.arg_specs)),
                gen_name=f"{self.parsed.name}_body", options={"mode": "release"})
        return self._generated

    @property
    def checked(self):
        """The debug-mode forward code (``wp.config.mode = "debug"``): asserts kept and
        every array access bounds-checked (see ``frontend/checks.py``)."""
        if self._checked is None:
            params = list(zip(self.arg_names, self.arg_specs))  # (raises a deferred error)
            gen = _codegen.generate(self.parsed, is_kernel=True, params=params,
                                    gen_name=f"{self.parsed.name}_body",
                                    options={"mode": "debug"})
            self._checked = _checks.instrument(gen, params, is_kernel=True, map_ref=checked_ref)
        return self._checked

    @property
    def tid_arity(self) -> int:
        arity = self._tid_arity
        if arity is None:
            arity = self._tid_arity = self.generated.tid_arity
        return arity

    @property
    def source(self) -> str:
        """The generated forward source of this kernel (readable Python), as cached (with
        where the kernel is defined in its header)."""
        return module_text(self._generated_module_source(for_display=True),
                           self.generated.refs)

    @property
    def adjoint(self):
        """The generated backward body (see ``numba_warp.autodiff``), made on first use."""
        bwd = self._bwd
        if bwd is None:
            if not self.enable_backward:
                raise WarpCodegenError(
                    f"kernel '{self.qualified_name}' has no backward pass: it was declared "
                    "with enable_backward=False (or its module's option enable_backward is "
                    "False: wp.set_module_options / wp.config.enable_backward)",
                    self.parsed.location())
            bwd = self._bwd = _adjoint.kernel_backward(
                self.generated, self.arg_names, self.arg_specs, f"{self.parsed.name}_bwd_body")
        return bwd

    @property
    def tangent(self):
        """The generated tangent (forward-mode) body (see ``autodiff/tangent.py``), made
        on first use."""
        tan = self._tan
        if tan is None:
            if not self.enable_backward:
                raise WarpCodegenError(
                    f"kernel '{self.qualified_name}' has no tangent (forward mode): it was "
                    "declared with enable_backward=False (or its module's option "
                    "enable_backward is False)", self.parsed.location())
            tan = self._tan = _tangent.kernel_tangent(
                self.generated, self.arg_names, self.arg_specs, f"{self.parsed.name}_jvp_body")
        return tan

    @property
    def tangent_source(self) -> str:
        """The generated tangent (forward-mode, JVP) source of this kernel (readable
        Python): the forward computation with each value's tangent ``_wp_tan_<name>``."""
        return module_text(self._generated_module_source(adjoint="tangent", for_display=True),
                           self.tangent.refs)

    def _hessian_body(self, which: str):
        """The tangent replay (``"tangent_replay"``) or Hessian body (``"hvp"``) of this
        kernel (see ``autodiff/hessian.py``), made on first use."""
        made = self.__dict__.setdefault("_hessian_bodies", {})
        body = made.get(which)
        if body is None:
            if not self.enable_backward:
                raise WarpCodegenError(
                    f"kernel '{self.qualified_name}' has no Hessian-vector product: it was "
                    "declared with enable_backward=False (or its module's option "
                    "enable_backward is False)", self.parsed.location())
            if which == "tangent_replay":
                body = _hessian.kernel_tangent_replay(
                    self.generated, self.arg_names, self.arg_specs,
                    f"{self.parsed.name}_jvpr_body")
            else:
                body = _hessian.kernel_hvp(self.generated, self.arg_names, self.arg_specs,
                                           f"{self.parsed.name}_hvp_body", func)
            made[which] = body
        return body

    def variant_source(self, variant=False) -> str:
        """The generated source (readable Python) of a variant: ``False`` (the kernel),
        ``True`` (its backward pass), ``"tangent"``, ``"tangent_replay"`` or ``"hvp"``."""
        return module_text(self._generated_module_source(adjoint=variant, for_display=True),
                           self._body(variant).refs)

    @property
    def hvp_source(self) -> str:
        """The generated Hessian-vector-product source of this kernel (readable Python):
        its backward pass with each value's tangent ``_wp_tan_<name>``."""
        return module_text(self._generated_module_source(adjoint="hvp", for_display=True),
                           self._hessian_body("hvp").refs)

    def _body(self, adjoint, debug: bool = False):
        """The generated body of a variant: forward (``adjoint`` False; ``debug``: the
        checked one), backward (True), tangent (``"tangent"``) or one of the Hessian
        variants (``"tangent_replay"``, ``"hvp"``)."""
        if adjoint == "tangent":
            return self.tangent
        if adjoint in ("tangent_replay", "hvp"):
            return self._hessian_body(adjoint)
        return self.adjoint if adjoint else (self.checked if debug else self.generated)

    @property
    def adjoint_source(self) -> str:
        """The generated backward source of this kernel (readable Python), as cached (with
        where the kernel is defined in its header)."""
        return module_text(self._generated_module_source(adjoint=True, for_display=True),
                           self.adjoint.refs)

    def _generated_module_source(self, adjoint: bool = False, debug: bool = False,
                                 for_display: bool = False) -> str:
        gen = self._body(adjoint, debug)
        prefetch = () if adjoint or debug else self._prefetched_params()
        return launcher_module_source(gen, self.parsed, self.qualified_name, self.options,
                                      adjoint, debug, prefetch, for_display)

    def _prefetched_params(self) -> set:
        """1-D array parameters read at exactly the thread index (``frontend/owned.py``),
        when their elements are small (16 bytes in all at most): the CUDA launcher
        prefetches their next element, and such kernels launch a grid of at most twice
        the resident blocks (``persistent_grid``). Measured on an H200: saxpy (two float
        arrays) runs at 94% of torch's bandwidth this way against 63% with one thread per
        element; a vec3 integrator (three 12-byte arrays) is faster with one thread per
        element and no hints, so larger elements keep that."""
        found = self._prefetch
        if found is None:
            found = set()
            if self.tid_arity <= 1:
                sizes = {n: s.element.itemsize for n, s in zip(self._arg_names, self._arg_specs)
                         if s.kind == "array" and s.ndim == 1 and not s.generic_dtype}
                found = thread_indexed_reads(self.parsed.tree, sizes) if sizes else set()
                if sum(sizes[n] for n in found) > 16:
                    found = set()
            self._prefetch = found
        return found

    @property
    def persistent_grid(self) -> bool:
        """Whether CUDA launches cap the grid at twice the resident blocks (see
        ``_prefetched_params``); otherwise one thread per element, as Warp launches."""
        return bool(self._prefetched_params())

    def _load(self, adjoint: bool = False, debug: bool = False):
        mod = self._modules.get((adjoint, debug))
        if mod is None:
            gen = self._body(adjoint, debug)
            source = self._generated_module_source(adjoint, debug)
            tag = f"kernel_{self.parsed.name}" + VARIANTS[adjoint][0]
            mod = load_generated_module(source, tag, gen.refs, origin=gen)
            body = getattr(mod, gen.name)
            if not isinstance(body, Dispatcher):
                # (an identical kernel defined again, e.g. a re-run notebook cell, shares
                # this module and finds the body compiled already)
                # No NRT in kernel bodies: arrays belong to the caller, so reference
                # counting is wasted work, and an operation that would allocate
                # (whole-array arithmetic) fails to compile, as on CUDA, instead of
                # running per thread.
                mod.__dict__[gen.name] = guard_disk_cache(
                    njit(cache=config.cache_kernels, _nrt=False,
                         **_jit_flags(debug, adjoint))(body))
            bind_cpu_globals(mod)
            self._modules[(adjoint, debug)] = mod
            if self._dependencies is None:
                self._dependencies = describe_refs(self.generated.refs)
        return mod

    # -- compilation -----------------------------------------------------------------
    def _entry_name(self, target: str, adjoint: bool) -> str:
        return entry_name(self.parsed.name, target, adjoint)

    def _type_body_for_cpu(self, argtypes: tuple, adjoint: bool):
        """Type-check the body alone for the CPU (its errors name the line; see
        ``compile_errors.numba_errors``)."""
        gen = self._body(adjoint)
        body = self._load(adjoint).__dict__[gen.name]
        body.compile((types.int64,) * 5 + tuple(argtypes))

    def compile_cpu(self, argtypes: tuple, adjoint: bool = False, debug: bool = False):
        """The CPU entry point for these Numba argument types (compiled once).

        With ``adjoint=True``, the backward pass, whose argument types are the forward
        ones followed by the adjoint parameters (see ``autodiff.assemble``). With
        ``debug=True``, the checked variant (``wp.config.mode = "debug"``).
        """
        if self._epoch != redefinition_epoch():
            self._check_dependencies()
        fast_key = (adjoint, debug, *map(id, argtypes))  # Numba types are interned
        hit = self._cpu_fast.get(fast_key)
        if hit is not None:
            return hit[0]
        key = (argtypes, adjoint) if not debug else (argtypes, adjoint, "debug")
        entry = self._cpu.get(key)
        if entry is None:
            mod = self._load(adjoint, debug)
            sig = types.void(*([types.int64] * 5), *argtypes)
            t0 = time.perf_counter()
            disp = _cpu_launcher(mod, self._entry_name("cpu", adjoint), debug, adjoint)
            compiled = disp.overloads.get(sig.args)
            if compiled is None:
                hits = sum(disp.stats.cache_hits.values())
                with numba_errors(self, adjoint):
                    disp.compile(sig.args)
                compiled = disp.overloads[sig.args]
                self._count_cache(sum(disp.stats.cache_hits.values()) - hits)
                _report(self, "cpu" + _variant_label(adjoint) +
                        (" (debug)" if debug else ""), t0)
            else:  # an identical kernel (a re-run notebook cell) compiled it already
                self.cache_stats["reused"] += 1
            # the compiled function's own CPython wrapper: no dispatcher type matching
            # (about 0.25 us of a 0.5 us dispatcher call with 4 arrays); it only unboxes
            entry = compiled.entry_point
            self._cpu[key] = entry
        self._cpu_fast[fast_key] = (entry, argtypes)
        return entry

    def compile_cuda(self, argtypes: tuple, device, adjoint: bool = False,
                     debug: bool = False):
        """The cuda.core Kernel for these argument types on ``device`` (compiled once).

        With ``debug=True``, the checked variant, returned as ``(kernel, slot address)``
        (the address of its failure slot on the device; None for a backward pass).
        """
        if self._epoch != redefinition_epoch():
            self._check_dependencies()
        fast_key = (device.ordinal, adjoint, debug, *map(id, argtypes))
        hit = self._cuda_fast.get(fast_key)
        if hit is not None:
            return hit[0]
        key = (argtypes, device.ordinal, adjoint, debug)
        entry = self._cuda.get(key)
        if entry is None:
            mod = self._load(adjoint, debug)
            bind_cuda_globals(mod)
            sig = types.void(*([types.int64] * 5), *argtypes)
            t0 = time.perf_counter()
            with numba_errors(self, adjoint, lambda: self._type_body_for_cpu(argtypes, adjoint)):
                entry, disp = cuda_backend.compile_kernel(
                    getattr(mod, self._entry_name("cuda", adjoint)), sig, device.ordinal,
                    cache=config.cache_kernels)
            if debug:
                slot = None if adjoint else cuda_backend.global_address(
                    disp, sig, device.ordinal, SLOT_SYMBOL)
                entry = (entry, slot)
            self._count_cache(sum(disp.stats.cache_hits.values()))
            self._cuda[key] = entry
            _report(self, str(device) + _variant_label(adjoint), t0)
        self._cuda_fast[fast_key] = (entry, argtypes)
        return entry

    def concrete_argtypes(self):
        """Numba argument types for contiguous arrays, or None if the kernel is generic."""
        out = []
        for spec in self.arg_specs:
            if spec.kind in ("any", "indexedarray") or (spec.kind == "array" and
                                                         spec.generic_dtype):
                return None
            if spec.kind == "array":
                out.append(types.Array(spec.element.numba_type, spec.ndim, "C"))
            elif spec.kind == "struct":
                out.extend(_flat_struct_types(spec.struct_cls))
            else:
                out.append(spec.numba_type)
        return tuple(out)

    def _count_cache(self, hits: int):
        key = "disk_hits" if hits else "compiled"
        self.cache_stats[key] += 1

    def compile_ptx(self, argtypes: tuple, cc=(9, 0), adjoint: bool = False,
                    debug: bool = False) -> str:
        """PTX for these argument types, compiled without a GPU (for checks and CI)."""
        if self._epoch != redefinition_epoch():
            self._check_dependencies()
        key = (argtypes, tuple(cc), adjoint, debug)
        ptx = self._ptx.get(key)
        if ptx is None:
            mod = self._load(adjoint, debug)
            bind_cuda_globals(mod)
            sig = types.void(*([types.int64] * 5), *argtypes)
            with numba_errors(self, adjoint, lambda: self._type_body_for_cpu(argtypes, adjoint)):
                ptx, _ = cuda_backend.cuda().compile_ptx(
                    getattr(mod, self._entry_name("cuda", adjoint)), sig, cc=cc)
            self._ptx[key] = ptx
        return ptx

    @property
    def compiled_cpu_signatures(self) -> list:
        """Argument types of every CPU forward variant compiled so far."""
        return [k[0] for k in self._cpu if not k[1] and len(k) == 2]

    @property
    def compiled_cpu_variants(self) -> list:
        """(argument types, adjoint) of every CPU release variant compiled so far."""
        return [k for k in self._cpu if len(k) == 2]

    @property
    def compiled_cpu_debug_variants(self) -> list:
        """(argument types, adjoint) of every CPU debug variant compiled so far."""
        return [k[:2] for k in self._cpu if len(k) == 3]

    def preload(self, device=None) -> None:
        """Generate the code and, when the parameters are all concrete, compile the
        variant launches with contiguous arrays will use on ``device`` (default: the
        current one), so that the first launch finds it ready."""
        dev = get_device(device)
        debug = config.mode == "debug"  # the variant launches will use
        self._load(debug=debug)
        argtypes = self.concrete_argtypes()
        if argtypes is None:
            return
        if dev.is_cpu:
            self.compile_cpu(argtypes, debug=debug)
        else:
            self.compile_cuda(argtypes, dev, debug=debug)

    def forget_compiled(self) -> None:
        """Drop the generated code and compiled variants (made again on the next launch)."""
        self._forget_generated()

    def __call__(self, *args, **kwargs):
        raise TypeError(f"kernel '{self.qualified_name}' cannot be called directly; launch it with "
                        f"wp.launch({self.__name__}, dim, inputs=[...])")

    def __repr__(self):
        return f"<wp.kernel {self.qualified_name}>"


# (generated module name, launcher name) -> its CPU dispatcher. Generated modules are
# named by the hash of their text, so a kernel defined again with the same code (every
# unchanged kernel of a re-run notebook cell) finds its launcher compiled already.
_cpu_launchers: dict = {}


def _cpu_launcher(mod, name: str, debug: bool, adjoint: bool):
    """The ``njit(parallel=True)`` dispatcher of launcher ``name`` of generated ``mod``."""
    key = (mod.__name__, name)
    disp = _cpu_launchers.get(key)
    if disp is None:
        disp = _cpu_launchers[key] = guard_disk_cache(njit(
            parallel=True, cache=config.cache_kernels, **_jit_flags(debug, adjoint))(
            getattr(mod, name)))
    return disp


def _flat_struct_types(cls) -> list:
    out = []
    for _, spec in cls._wp_struct_.fields:
        if spec.kind == "struct":
            out.extend(_flat_struct_types(spec.struct_cls))
        elif spec.kind == "array":
            out.append(types.Array(spec.element.numba_type, spec.ndim, "C"))
        else:
            out.append(spec.numba_type)
    return out


def _jit_flags(debug: bool = False, adjoint: bool = False) -> dict:
    # checked (debug) forward code checks every access itself and reports after the
    # launch; backward passes are not instrumented and keep Numba's bounds checks
    return {"error_model": "numpy", "boundscheck": bool(debug and adjoint)}


def _variant_label(adjoint) -> str:
    return {False: "", True: " (backward)", "tangent": " (tangent)",
            "tangent_replay": " (tangent replay)", "hvp": " (Hessian-vector product)"}[adjoint]


def _report(k, where, t0):
    if config.verbose and not config.quiet:
        print(f"numba_warp: compiled kernel '{k.qualified_name}' for {where} in "
              f"{(time.perf_counter() - t0) * 1000:.0f} ms")


_WARP_KERNEL_OPTIONS = ("launch_bounds", "cuda_max_registers", "enable_cuda_smem_spilling",
                        "cluster_dim", "entry_point_abi", "grid_stride")


def kernel(f=None, *, enable_backward: bool | None = None, module=None, name: str | None = None,
           module_options: dict | None = None, **options):
    """Declare a kernel (``@wp.kernel``); launch it with :func:`wp.launch`.

    ``enable_backward=False``: no backward pass (``tape.backward`` skips its launches
    with a warning, an ``adjoint=True`` launch is an error). ``module``: the wp.Module it
    joins (a name, ``"unique"`` for one of its own, or a Module); ``module_options``
    (with ``module="unique"``): that module's options. Warp's CUDA tuning options
    (``launch_bounds``, ``cuda_max_registers``, ``cluster_dim``, ``grid_stride``, ...)
    are accepted and kept in ``kernel.options``; they do not change the compiled code.

    Example
    -------
    >>> @wp.kernel
    ... def scale(a: wp.array(dtype=float), s: float):
    ...     i = wp.tid()
    ...     a[i] = a[i] * s
    >>> a = wp.array([1.0, 2.0, 3.0], dtype=float)
    >>> wp.launch(scale, dim=3, inputs=[a, 2.0])
    >>> print(a.numpy())
    [2. 4. 6.]
    """

    if name is not None and not isinstance(name, str):
        raise TypeError(f"name must be a str, got {type(name)}")
    if name is not None and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise ValueError(f"name must be a valid identifier ([A-Za-z_][A-Za-z0-9_]*), got {name!r}")
    unknown = sorted(set(options) - set(_WARP_KERNEL_OPTIONS))
    if unknown:
        raise TypeError(f"@wp.kernel got unexpected option(s) {', '.join(unknown)}; its options "
                        f"are enable_backward, module, module_options, name, "
                        f"{', '.join(_WARP_KERNEL_OPTIONS)}")
    if module_options is not None:
        if not isinstance(module_options, dict):
            raise TypeError(f"@wp.kernel: module_options must be a dict, got "
                            f"{type(module_options).__name__}")
        if not (isinstance(module, str) and module == "unique"):
            raise ValueError('@wp.kernel: module_options requires module="unique"; use '
                             "wp.set_module_options() for a shared module")

    def wrap(fn):
        key = name or warp_key(fn)
        mod = module_of(fn, module, name, key)
        if module_options:
            bad = sorted(set(module_options) - set(mod.options))
            if bad:
                raise ValueError(f"@wp.kernel for '{fn.__name__}': unknown module_options: "
                                 f"{', '.join(map(repr, bad))}; valid options are: "
                                 f"{', '.join(map(repr, sorted(mod.options)))}")
            mod.options.update(module_options)
        return Kernel(fn, key, mod, options, enable_backward=enable_backward)

    return wrap(f) if f is not None else wrap


def library_kernel(name: str, cpu_parallel_from: int | None = None):
    """``@kernel(name=...)`` for this package's own kernels: parsed and checked at their
    first use instead of when they are made (their code is known to be good, and the ~40
    kernels behind array methods would otherwise cost every ``import numba_warp`` ~0.1 s;
    see docs/perf_startup.md). ``cpu_parallel_from``: launches of at least this many
    threads run on the CPU's thread team (default: ``wp.config.cpu_parallel_threshold``),
    for kernels whose threads each do much work (a subtree, a segment)."""
    options = {} if cpu_parallel_from is None else {"cpu_parallel_from": cpu_parallel_from}

    def wrap(fn):
        return Kernel(fn, name, module_of(fn, None, name, name), options=options,
                      deferred=True)

    return wrap


def _instance_of(spec, template) -> bool:
    """Whether the concrete parameter type ``spec`` fits the (maybe generic) ``template``."""
    if template.kind == "any":
        return True
    if spec.kind != template.kind:
        return False
    if template.kind == "array":
        return spec.ndim == template.ndim and (
            template.generic_dtype or spec.describe() == template.describe())
    return spec.describe() == template.describe()


def overload(kernel, arg_types=None):
    """An instance of a generic kernel for concrete argument types, as in Warp.

    ``wp.overload(k, [wp.array(dtype=wp.float32), wp.float32])`` (a type per parameter)
    or ``wp.overload(k, {"a": wp.array(dtype=wp.float64)})`` (by name; the others keep
    their annotation) returns the instance, a kernel whose parameters are those types.
    As a decorator on a stub with the kernel's name and concrete annotations
    (``@wp.overload`` / ``def k(a: wp.array(dtype=int), s: int): ...``) it makes the
    instance and returns the generic kernel. Launching the generic kernel compiles for
    the argument types it is given in any case; an instance checks its arguments.

    Example
    -------
    >>> @wp.kernel
    ... def square(a: wp.array(dtype=wp.Any)):
    ...     i = wp.tid()
    ...     a[i] = a[i] * a[i]
    >>> square_f64 = wp.overload(square, [wp.array(dtype=wp.float64)])
    >>> a = wp.array([1.0, 2.0, 3.0], dtype=wp.float64)
    >>> wp.launch(square_f64, dim=3, inputs=[a])
    >>> print(a.numpy())
    [1. 4. 9.]
    """
    if isinstance(kernel, Kernel):
        if not kernel.is_generic:
            raise RuntimeError(f"Only generic kernels can be overloaded.  Kernel {kernel.key} "
                               "is not generic")
        if isinstance(arg_types, dict):
            arg_list = [spec.annotation for spec in kernel.arg_specs]
            for name, t in arg_types.items():
                if name not in kernel.arg_names:
                    raise RuntimeError(f"Invalid argument name '{name}' in overload of kernel "
                                       f"{kernel.key} (its parameters: "
                                       f"{', '.join(kernel.arg_names)})")
                arg_list[kernel.arg_names.index(name)] = t
        elif isinstance(arg_types, (list, tuple)):
            arg_list = list(arg_types)
        elif arg_types is None:
            arg_list = []
        else:
            raise TypeError("Kernel overload types must be given in a list or dict")
        return kernel.add_overload(arg_list)
    if isinstance(kernel, types_module.FunctionType):
        return _overload_stub(kernel, sys._getframe(1).f_locals)
    raise RuntimeError(f"wp.overload() takes a generic kernel or a stub function, got "
                       f"{type(kernel).__name__}")


def _overload_stub(fn, scope) -> Kernel:
    """``@wp.overload`` on a stub: add its annotations as an instance of the kernel of
    the same name; return that kernel."""
    found = scope.get(fn.__name__, fn.__globals__.get(fn.__name__))
    if not isinstance(found, Kernel):
        hint = ""
        if isinstance(found, UserFunction):
            hint = (" (it is a @wp.func: overload a function by defining another @wp.func "
                    "with the same name and concrete annotations)")
        raise RuntimeError(f"Failed to find a kernel named '{fn.__name__}' in module "
                           f"{fn.__module__}{hint}")
    for node in parse_function(fn).tree.body:
        if isinstance(node, ast.Pass) or (isinstance(node, ast.Expr) and isinstance(
                node.value, ast.Constant) and (isinstance(node.value.value, str) or
                                               node.value.value is ...)):
            continue
        raise RuntimeError("Illegal statement in kernel overload definition.  Only pass, "
                           "ellipsis (...), comments, or docstrings are allowed")
    anns = resolve_annotations(fn)
    ret = anns.pop("return", None)
    if ret is not None and ret is not type(None):
        raise TypeError("Return annotations are not allowed on @wp.overload stubs; omit the "
                        "return annotation or use `-> None`.")
    names = [a.arg for a in parse_function(fn).tree.args.args]
    missing = [n for n in names if n not in anns]
    if missing:
        raise RuntimeError(f"Incomplete argument annotations on kernel overload {fn.__name__}: "
                           f"{', '.join(missing)}")
    found.add_overload([anns[n] for n in names])
    return found


def set_module_options(options: dict, module=None) -> None:
    """Set options of a module's kernels (default: the caller's module), as in Warp.

    ``module`` is a name, a Python module or a ``wp.Module``. ``enable_backward`` applies
    to the module's kernels without their own ``enable_backward=``; Warp's other options
    are accepted and kept (see ``runtime/module.py``).

    Example
    -------
    >>> wp.set_module_options({"enable_backward": False, "fast_math": True}, "my_forward_only")
    >>> @wp.kernel(module="my_forward_only")
    ... def k(a: wp.array(dtype=float)):
    ...     a[wp.tid()] = 1.0
    >>> k.enable_backward
    False
    """
    resolve_module(module, depth=2).options.update(options)


def get_module_options(module=None) -> dict:
    """A copy of a module's options (default: the caller's module), as in Warp.

    Example
    -------
    >>> wp.set_module_options({"max_unroll": 8}, "my_unrolled")
    >>> options = wp.get_module_options("my_unrolled")
    >>> options["max_unroll"], options["enable_backward"]
    (8, True)
    """
    return dict(resolve_module(module, depth=2).options)


def load_module(module=None, device=None, recursive: bool = False, block: bool = True) -> None:
    """Compile the kernels of ``module`` (a Python module or its name, or a wp.Module;
    default: the caller's) for ``device`` (default: the current device).

    Kernels whose parameters are all concrete are compiled with contiguous array layouts,
    the common case, so the first launch finds them ready; generic kernels
    (``typing.Any``) have their code generated and checked, and compile per argument
    types at launch. ``recursive``: also the Python modules whose names start with
    ``module.``.

    Example
    -------
    >>> m = wp.get_module("my_preloaded")
    >>> @wp.kernel(module=m)
    ... def k(a: wp.array(dtype=float)):
    ...     a[wp.tid()] = 2.0
    >>> sum(k.cache_stats.values())  # variants compiled or loaded from the disk cache
    0
    >>> wp.load_module(m)
    >>> sum(k.cache_stats.values())
    1
    """
    if module is None:
        module = sys._getframe(1).f_globals.get("__name__")
    if isinstance(module, Module):
        module.load(device)
        return
    if isinstance(module, str) and module not in sys.modules:
        # a wp.Module's name (Warp's meaning of a string), e.g. @wp.kernel(module="m2")
        named = get_module_if_made(module)
        if named is None:
            raise ValueError(f"wp.load_module({module!r}): no Python module or wp.Module of "
                             "that name has been made (pass the module object, or the "
                             "name of a module that defines kernels)")
        named.load(device)
        return
    name = module if isinstance(module, str) else module.__name__
    mod = sys.modules[name] if isinstance(module, str) else module
    kernels = [v for v in list(vars(mod).values()) if isinstance(v, Kernel)]
    if recursive:
        for sub_name, sub in list(sys.modules.items()):
            if sub_name.startswith(name + ".") and sub is not None:
                kernels += [v for v in list(vars(sub).values()) if isinstance(v, Kernel)]
    for k in kernels:
        k.preload(device)


def force_load(device=None, modules=None, block: bool = True) -> None:
    """Compile every kernel (of ``modules``, a list of wp.Modules; default: all) for
    ``device`` (a device or a list of them; default: every device), as in Warp.

    Example
    -------
    >>> m = wp.get_module("my_ready")
    >>> @wp.kernel(module=m)
    ... def k(a: wp.array(dtype=float)):
    ...     a[wp.tid()] = 2.0
    >>> wp.force_load(device="cpu", modules=[m])
    >>> len(k.compiled_cpu_signatures)
    1
    """
    if device is None:
        devices = get_devices()
    elif isinstance(device, (list, tuple)):
        devices = [get_device(d) for d in device]
    else:
        devices = [get_device(device)]
    kernels = all_kernels() if modules is None else [
        k for m in modules for k in resolve_module(m).kernels.values()]
    for dev in devices:
        for k in kernels:
            k.preload(dev)
