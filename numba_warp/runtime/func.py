"""``@wp.func``: user functions callable from kernels and other functions.

Each ``Function`` is registered once as a Numba overload, so kernels (and plain
``@numba.njit`` / ``@cuda.jit`` code) can call it on both targets. Several
definitions under one name are overloads, chosen by their annotations; parameters
annotated ``typing.Any`` are generic and specialised per call. Redefining a function
with the same signature (a re-run notebook cell) replaces it.

At Python scope a ``Function`` calls the original Python function.
"""

from __future__ import annotations

import hashlib
import inspect
import sys
import weakref

import numba
from numba.core import types
from numba.core.typing.templates import builtin_registry
from numba.extending import overload

from ..frontend import naming
from ..frontend.errors import DeferredError, WarpCodegenError
from ..frontend.fence import check_annotations, check_syntax
from ..frontend.protocols import FunctionOverload, UserFunction
from ..frontend.source import parse_function, warp_key
from ..lazy import LazyModule
from ..lowering.adjoint_values import adj_zero
from ..lowering.registry import nondifferentiable
from ..lowering.sequences import grad_source, one_like
from ..typing.argspec import arg_spec_from_annotation
from ..typing.indexed import IndexedArrayType
from ..typing.scalars import WeakFloat
from ..typing.vec import same_structure
from . import operator_fallbacks
from .cache import load_generated_module
from .fingerprint import code_fingerprint, describe_refs, describe_value

__all__ = ["Function", "func", "resolve_annotations", "checked_ref"]

_all_functions: "weakref.WeakSet[Function]" = weakref.WeakSet()
# needed to compile only (see numba_warp/lazy.py): imported at the first compile
_codegen = LazyModule("numba_warp.frontend.codegen")
_checks = LazyModule("numba_warp.frontend.checks")
_adjoint = LazyModule("numba_warp.autodiff.assemble")
_tangent = LazyModule("numba_warp.autodiff.tangent")
_hessian = LazyModule("numba_warp.autodiff.hessian")
_epoch = [0]


def redefinition_epoch() -> int:
    """A counter that advances whenever an existing ``@wp.func`` changes (a redefinition
    in a notebook cell, a new overload, a custom gradient): kernels compare it to decide
    whether to look at their dependencies again."""
    return _epoch[0]


def resolve_annotations(fn) -> dict:
    """The function's annotations as objects (string annotations are evaluated)."""
    anns = dict(getattr(fn, "__annotations__", {}))
    if any(isinstance(a, str) for a in anns.values()):
        scope = dict(fn.__globals__)
        if fn.__closure__:
            for name, cell in zip(fn.__code__.co_freevars, fn.__closure__):
                try:
                    scope[name] = cell.cell_contents
                except ValueError:
                    pass
        for k, v in anns.items():
            if isinstance(v, str):
                try:
                    anns[k] = eval(v, scope)  # noqa: S307 - the user's own annotation
                except NameError as exc:
                    raise NameError(
                        f"cannot evaluate the annotation '{v}' of parameter '{k}' of "
                        f"'{fn.__qualname__}' ({exc}); with 'from __future__ import "
                        "annotations', names used in annotations must be module-level"
                    ) from None
    return anns


class _Overload(FunctionOverload):
    """One definition of a function: its parameters and, once generated, its code."""

    def __init__(self, fn, owner: "Function"):
        self.fn = fn
        self.owner = owner
        # As in Warp, unreadable source and missing or unevaluable annotations fail here;
        # other errors when a kernel that calls the function is compiled.
        self.parsed = parse_function(fn)
        check_annotations(self.parsed, "function")
        anns = resolve_annotations(fn)
        names = self.param_names = [a.arg for a in self.parsed.tree.args.args]
        self.params = []
        self.definition_error = None
        try:
            for name in names:
                where = f"parameter '{name}' of function '{fn.__qualname__}'"
                try:
                    self.params.append((name, arg_spec_from_annotation(anns[name], where)))
                except TypeError as exc:
                    raise self.parsed.error(str(exc)) from None
            check_syntax(self.parsed, is_kernel=False)
        except WarpCodegenError as exc:
            self.definition_error = DeferredError(
                exc, f"when a kernel that calls function '{fn.__qualname__}' is compiled")
        self._signature = tuple(spec.describe() for _, spec in self.params) \
            if len(self.params) == len(names) else tuple(repr(anns[n]) for n in names)
        #: the trailing parameters' default values, keyword-only ones included (they are
        #: ordinary parameters in kernel code, as in Warp)
        self.defaults = _declared_defaults(fn)
        self.n_defaults = len(self.defaults)
        self._impl = None
        self._generated = None
        self._bwd_module = None
        self._tan_module = None

    def signature_key(self):
        return self._signature

    def generated(self):
        if self._generated is None:
            if self.definition_error is not None:
                self.definition_error.throw()
            gen_name = f"{self.parsed.name}__func"
            self._generated = _codegen.generate(self.parsed, is_kernel=False,
                                                params=self.params, gen_name=gen_name)
        return self._generated

    def impl(self):
        """The generated Python function Numba compiles for this overload."""
        if self._impl is None:
            gen = self.generated()
            header = f"# @wp.func {self.parsed.qualname} from {self.parsed.filename}\n"
            mod = load_generated_module(header + gen.source, f"func_{self.parsed.name}",
                                        gen.refs, origin=gen)
            impl = getattr(mod, gen.name)
            if self.defaults:
                impl.__defaults__ = self.defaults
            self._impl = impl
        return self._impl

    def _companion_module(self, what: str, make, tag: str):
        """The loaded module of a generated companion (``make(gen, params, name)``:
        ``function_backward`` or ``function_tangent``)."""
        src = make(self.generated(), self.params, self.parsed.name)
        header = f"# {what} of @wp.func {self.parsed.qualname} from {self.parsed.filename}\n"
        return load_generated_module(header + src.source, f"func_{self.parsed.name}_{tag}",
                                     src.refs, origin=src)

    def _backward_module(self):
        if self._bwd_module is None:
            self._bwd_module = self._companion_module(
                "backward", _adjoint.function_backward, "bwd")
        return self._bwd_module

    def tangent_impl(self):
        """``f__tan(params..., tan_params...)`` -> (value, its tangent) (forward mode)."""
        if self._tan_module is None:
            self._tan_module = self._companion_module(
                "tangent", _tangent.function_tangent, "tan")
        return getattr(self._tan_module, f"{self.parsed.name}__tan")

    def hessian_impl(self, which: str):
        """The Hessian-vector-product companions (``autodiff/hessian.py``): ``"hvp"``
        (``f__hvp(p..., adj_p..., adj_ret, tan_p..., tan_adj_p..., tan_adj_ret)`` ->
        (contributions, their tangents)), ``"rtan"`` and ``"htan"`` (``f__rtan(p...,
        tan_p...)`` -> (value, tangent) without side effects; ``rtan`` still writes the
        tangents of array writes)."""
        if self.owner.custom_grad is not None:
            raise WarpCodegenError(
                f"@wp.func '{self.parsed.qualname}' has a custom gradient (@wp.func_grad): "
                "it has no second derivative, so Hessian-vector products through it cannot "
                "be computed", self.parsed.location())
        mod = getattr(self, "_hvp_module", None)
        if mod is None:
            mod = self._hvp_module = self._companion_module(
                "Hessian-vector product",
                lambda gen, params, name: _hessian.function_hvp(gen, params, name, func), "hvp")
        return getattr(mod, f"{self.parsed.name}__{which}")

    def adjoint_impl(self):
        """``f__adj(params..., adj_params..., adj_ret)`` -> contributions to the params."""
        custom = self.owner.custom_grad
        if custom is not None:
            return custom.impl(self)
        return getattr(self._backward_module(), f"{self.parsed.name}__adj")

    def replay_impl(self):
        """``f__rep(params...)``: the value of ``f`` without its side effects."""
        custom = self.owner.custom_replay
        if custom is not None:
            return custom.select_by_count(len(self.params)).impl()
        return getattr(self._backward_module(), f"{self.parsed.name}__rep")

    def partial_impl(self, which: str, n: int):
        """``adjoint_impl`` (``which="adj"``), ``replay_impl`` (``"rep"``) or
        ``tangent_impl`` (``"tan"``) for a call that passes the first ``n`` arguments, the
        others taking their defaults (a call the code generator could not complete:
        overloads that disagree)."""
        if which in ("hvp", "rtan", "htan"):
            full = self.hessian_impl(which)
        else:
            full = {"adj": self.adjoint_impl, "rep": self.replay_impl,
                    "tan": self.tangent_impl}[which]()
        m = len(self.params)
        if n == m:
            return full
        cache = self.__dict__.setdefault("_partial", {})
        hit = cache.get((which, n, id(full)))
        if hit is not None:
            return hit
        defaults = self.defaults
        impl, zero = naming.ref("impl"), naming.ref("adj_zero")
        refs = {impl: numba.njit(error_model="numpy")(full), zero: adj_zero}
        given = [f"p{i}" for i in range(n)]
        filled = []
        for i in range(n, m):
            filled.append(naming.ref(f"default_{i}"))
            refs[filled[-1]] = defaults[i - (m - len(defaults))]
        name = f"{self.parsed.name}__{which}{n}"
        if which == "adj":
            adj = [f"a{i}" for i in range(n)]
            zeros = [f"{zero}({d})" for d in filled]
            src = (f"def {name}({', '.join(given + adj)}, r):\n"
                   f"    return {impl}({', '.join(given + filled + adj + zeros)}, r)\n")
        elif which == "hvp":
            adj, tans, tadj = ([f"{c}{i}" for i in range(n)] for c in "ats")
            zeros = [f"{zero}({d})" for d in filled]
            src = (f"def {name}({', '.join(given + adj + ['r'] + tans + tadj + ['tr'])}):\n"
                   f"    return {impl}({', '.join(given + filled + adj + zeros + ['r'] + tans)}, "
                   f"{', '.join(zeros + tadj + zeros + ['tr'])})\n")
        elif which in ("tan", "rtan", "htan"):
            tans = [f"t{i}" for i in range(n)]
            zeros = [f"{zero}({d})" for d in filled]
            src = (f"def {name}({', '.join(given + tans)}):\n"
                   f"    return {impl}({', '.join(given + filled + tans + zeros)})\n")
        else:
            src = (f"def {name}({', '.join(given)}):\n"
                   f"    return {impl}({', '.join(given + filled)})\n")
        mod = load_generated_module(src, f"func_{name}", refs)
        impl = cache[(which, n, id(full))] = getattr(mod, name)
        return impl

    def content_hash(self, seen=None) -> str:
        """Hash of this overload's generated code, of every value it reads (by value) and,
        through those, of every function it calls (transitively)."""
        gen = self.generated()
        h = hashlib.sha256(gen.source.encode())
        h.update(describe_refs(gen.refs, set() if seen is None else seen).encode())
        h.update(describe_value(self.defaults).encode())
        return h.hexdigest()

    def match(self, args, exact: bool) -> bool:
        if self.definition_error is not None:
            self.definition_error.throw()
        n = len(self.params)
        if not (n - self.n_defaults <= len(args) <= n):
            return False
        return all(_accepts(spec, t, exact) for (_, spec), t in zip(self.params, args))


class _CheckedOverload(_Overload):
    """An overload's debug-mode twin: its body with array accesses checked and asserts
    kept (``frontend/checks.py``); calls go to the checked twins of other functions."""

    def __init__(self, base: _Overload, owner: "Function"):
        self.__dict__.update(base.__dict__)
        self.base = base
        self.owner = owner
        self._impl = None
        self._generated = None
        self._bwd_module = None
        self._tan_module = None

    def generated(self):
        if self._generated is None:
            if self.definition_error is not None:
                self.definition_error.throw()
            gen = _codegen.generate(self.parsed, is_kernel=False, params=self.params,
                                    gen_name=f"{self.parsed.name}__func",
                                    options={"mode": "debug"})
            self._generated = _checks.instrument(gen, self.params, is_kernel=False,
                                                 map_ref=checked_ref)
        return self._generated


def checked_ref(obj):
    """What a debug-mode kernel or function binds in place of ``obj``."""
    return obj.checked() if isinstance(obj, Function) else obj


def _declared_defaults(fn) -> tuple:
    """Default values of the trailing parameters, in order (keyword-only ones last)."""
    values = [p.default for p in inspect.signature(fn).parameters.values()
              if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    k = len(values)
    while k and values[k - 1] is not inspect.Parameter.empty:
        k -= 1
    return tuple(values[k:])


def _layout(fn, n_args: int, keywords: list) -> list:
    params = list(inspect.signature(fn).parameters.values())
    names = [p.name for p in params]
    if n_args > len(params):
        raise TypeError(f"it takes {len(params)} argument(s), {n_args} given")
    for k in keywords:
        if k not in names:
            raise TypeError(f"it has no parameter '{k}' (its parameters: {', '.join(names)})")
        if names.index(k) < n_args:
            raise TypeError(f"parameter '{k}' is given twice (by position and by keyword)")
    out = []
    for i, p in enumerate(params):
        if i < n_args:
            out.append(("arg", i))
        elif p.name in keywords:
            out.append(("kw", p.name))
        elif p.default is not inspect.Parameter.empty:
            out.append(("default", p.default))
        else:
            raise TypeError(f"parameter '{p.name}' is missing")
    return out


def _accepts(spec, t, exact: bool) -> bool:
    kind = spec.kind
    if kind == "any":
        return spec.accepts_type(t)
    if kind == "scalar":
        if not isinstance(t, (types.Integer, types.Float, types.Boolean)):
            return False
        if exact:  # a float literal is a float32, as in Warp
            if isinstance(t, WeakFloat):
                return spec.numba_type == types.float32
            return types.unliteral(t) == spec.numba_type
        if isinstance(spec.numba_type, types.Float):
            return True  # literals, ints and other floats convert to a float parameter
        if isinstance(spec.numba_type, types.Integer):
            return isinstance(t, (types.Integer, types.Boolean))
        return True
    if kind == "array":
        return (isinstance(t, types.Array) and t.ndim == spec.ndim and
                (spec.generic_dtype or t.dtype == spec.element.numba_type))
    if kind == "indexedarray":
        return (isinstance(t, IndexedArrayType) and t.ndim == spec.ndim and
                (spec.generic_dtype or t.dtype == spec.element.numba_type))
    if kind == "struct":
        return getattr(t, "descriptor", None) is spec.struct_cls._wp_struct_
    if kind == "value":
        # (not exact: a vector(6) for a spatial_vector parameter and back, as in Warp)
        return t == spec.numba_type or (not exact and same_structure(t, spec.numba_type))
    return False


class Function(UserFunction):
    """A ``@wp.func``; call it from kernels, other funcs, or Python scope.

    Example
    -------
    >>> @wp.func
    ... def square(x: float):
    ...     return x * x
    >>> isinstance(square, wp.Function), square(3.0)
    (True, 9.0)
    """

    def __init__(self, key: str, name: str, qualified_name: str | None = None):
        #: Warp's key: the function's qualified name as an identifier, or ``name=``
        self.key = key
        #: ``module.qualname``: for error messages
        self.qualified_name = qualified_name or key
        self.__name__ = name
        self.__qualname__ = name
        self.overloads: list[_Overload] = []
        self.custom_grad = None
        self.custom_replay = None
        self._adj_stub = None
        self._rep_stub = None
        self._tan_stub = None
        self._grad_stub = None
        self._checked = None
        self._operators: dict[str, Function] = {}
        self._register_numba()
        _all_functions.add(self)

    def add(self, fn) -> None:
        ov = _Overload(fn, self)
        sig = ov.signature_key()
        changed = bool(self.overloads)
        # a new definition replaces the one with the same parameter types, and a broken
        # one with the same parameter names (a notebook cell fixed and run again)
        self.overloads = [o for o in self.overloads if o.signature_key() != sig and not (
            o.definition_error is not None and o.param_names == ov.param_names)] + [ov]
        if self._checked is not None:
            self._checked._sync()
        self._sync_operators()
        if changed:
            self.changed()
        self.__doc__ = fn.__doc__
        self.__wrapped__ = fn

    def checked(self) -> "Function":
        """This function's debug-mode twin (``wp.config.mode = "debug"``): the same
        overloads with array accesses bounds-checked and asserts kept."""
        twin = self._checked
        if twin is None:
            twin = self._checked = Function(self.key, self.__name__, self.qualified_name)
            twin._origin = self
            twin._sync()
        return twin

    def _sync(self) -> None:
        """Follow the overloads of the function this one is the debug twin of."""
        origin = self._origin
        old = {id(o.base): o for o in self.overloads}
        self.overloads = []
        for ov in origin.overloads:
            twin = old.get(id(ov))
            if twin is None:
                twin = _CheckedOverload(ov, self)
            self.overloads.append(twin)

    def as_operator(self, fallback: str) -> "Function":
        """This function in the role of an operator (Warp: a ``@wp.func`` named ``add`` in
        a kernel's scope overloads ``+``): a function with this one's overloads, chosen
        when they take the operand types exactly, and the builtin operator
        (``operator_fallbacks._<fallback>``) for any other types."""
        view = self._operators.get(fallback)
        if view is None:
            view = Function(self.key, self.__name__, self.qualified_name)
            view._fallback = _Overload(getattr(operator_fallbacks, "_" + fallback), view)
            self._operators[fallback] = view
            self._sync_operators()
        return view

    def _sync_operators(self) -> None:
        for view in self._operators.values():
            # tried last: select() takes an exact match first, in reverse order
            view.overloads = [view._fallback, *self.overloads]
            if view._checked is not None:
                view._checked._sync()

    def changed(self) -> None:
        """This function was redefined, got an overload or a custom gradient: compiled
        code that used it is stale. Numba caches each function's compiled form per
        argument types, and a caller's compiled form holds its callees', so every
        function forgets its compiled forms, and kernels regenerate on their next launch
        if their code depends on what changed (see ``redefinition_epoch``)."""
        _epoch[0] += 1
        for function in list(_all_functions):
            function._forget_compiled()

    def _forget_compiled(self):
        for template in self._templates:
            template._impl_cache.clear()
            template._compiled_overloads.clear()

    def select_by_count(self, n: int) -> _Overload:
        for ov in reversed(self.overloads):
            if len(ov.params) == n:
                return ov
        raise WarpCodegenError(f"function '{self.__name__}' has no overload with {n} "
                               "parameters", None)

    def adjoint_callable(self):
        """Numba-callable ``(args..., adj_args..., adj_ret) -> contributions``."""
        if self._adj_stub is None:
            function = self

            def typer(*args):
                n = (len(args) - 1) // 2
                return function.select(args[:n]).partial_impl("adj", n)

            self._adj_stub = self._stub(f"{self.__name__}__adj", typer)
        return self._adj_stub

    def tangent_callable(self):
        """Numba-callable ``(args..., tan_args...) -> (value, tangent)`` (forward mode)."""
        if self._tan_stub is None:
            function = self

            def typer(*args):
                n = len(args) // 2
                return function.select(args[:n]).partial_impl("tan", n)

            self._tan_stub = self._stub(f"{self.__name__}__tan", typer)
        return self._tan_stub

    def hessian_callable(self, which: str):
        """Numba-callable Hessian-vector-product companion (see
        ``_Overload.hessian_impl``): ``"hvp"``, ``"rtan"`` or ``"htan"``."""
        stubs = self.__dict__.setdefault("_hessian_stubs", {})
        if which not in stubs:
            function = self

            def typer(*args):
                n = (len(args) - 2) // 4 if which == "hvp" else len(args) // 2
                return function.select(args[:n]).partial_impl(which, n)

            stubs[which] = self._stub(f"{self.__name__}__{which}", typer)
        return stubs[which]

    def replay_callable(self):
        """Numba-callable ``(args...) -> value``, without side effects."""
        if self._rep_stub is None:
            function = self

            def typer(*args):
                return function.select(args).partial_impl("rep", len(args))

            self._rep_stub = self._stub(f"{self.__name__}__rep", typer)
        return self._rep_stub

    def grad_callable(self):
        """Numba-callable ``(args...) -> adjoints of the inputs`` for an output adjoint of
        ones: what ``wp.grad(f)(args)`` calls (a constant for backward passes)."""
        if self._grad_stub is None:
            function = self
            impls: dict = {}

            def typer(*args):
                n = len(args)
                ov = function.select(args)
                for (name, spec), t in zip(ov.params, args):
                    if isinstance(t, (types.Array, types.BaseTuple)) or spec.kind in (
                            "array", "struct"):
                        raise WarpCodegenError(
                            f"wp.grad({function.__name__}) needs a function of values "
                            f"(numbers, vectors, matrices); parameter '{name}' is {t}",
                            ov.parsed.location())
                key = (n, len(ov.params))
                if key not in impls:
                    scope = {"F": function.replay_callable(), "A": function.adjoint_callable(),
                             "one_like": one_like, "adj_zero": adj_zero}
                    exec(grad_source(n, "F", "A", user=True, n_out=key[1]), scope)  # noqa: S102
                    impls[key] = scope["impl"]
                return impls[key]

            self._grad_stub = self._stub(f"{self.__name__}__grad", typer)
            nondifferentiable(self._grad_stub)
        return self._grad_stub

    def _stub(self, name, typer):
        def stub(*args):
            raise RuntimeError(f"{name} is part of a generated backward pass")

        stub.__name__ = stub.__qualname__ = name
        overload(stub, target="generic", strict=False,
                 jit_options={"error_model": "numpy"})(typer)
        self._templates += [t for val, fty in builtin_registry.globals if val is stub
                            for t in getattr(fty, "templates", ())]
        return stub

    def __call__(self, *args, **kwargs):
        last_error = None
        for ov in reversed(self.overloads):
            try:
                inspect.signature(ov.fn).bind(*args, **kwargs)
            except TypeError as exc:
                last_error = exc
                continue
            return ov.fn(*args, **kwargs)
        raise TypeError(f"no overload of {self.__name__} accepts these arguments: {last_error}")

    def content_hash(self, seen=None) -> str:
        """Hash of every overload (code, values read, callees) and custom gradient."""
        seen = set() if seen is None else seen
        seen.add(id(self))
        h = hashlib.sha256()
        for ov in self.overloads:
            h.update(ov.content_hash(seen).encode())
        grad = self.custom_grad
        if grad is not None:  # a redefined custom gradient must change the key
            h.update(grad.parsed.source.encode())
            h.update(code_fingerprint(grad.fn, seen).encode())
        if self.custom_replay is not None:
            h.update(describe_value(self.custom_replay, seen).encode())
        return h.hexdigest()

    def call_layout(self, n_args: int, keywords: list) -> list | None:
        """Where a kernel's call ``f(<n_args values>, kw=...)`` puts its values: per
        parameter of ``f``, in order, ``("arg", i)``, ``("kw", name)`` or
        ``("default", value)``, so the call can be written with positional arguments only
        (the backward pass needs every argument in its place). ``None`` when the
        overloads that accept the call disagree and no keyword is used (the call stays as
        written). Raises ``TypeError`` for keywords that fit no overload.
        """
        layouts, errors = {}, []
        for ov in reversed(self.overloads):
            if ov.definition_error is not None:
                ov.definition_error.throw()
            try:
                layout = _layout(ov.fn, n_args, keywords)
            except TypeError as exc:
                errors.append(str(exc))
                continue
            layouts.setdefault(repr(layout), layout)
        if len(layouts) == 1:
            return next(iter(layouts.values()))
        if not layouts:
            raise TypeError(f"function '{self.__name__}' cannot be called this way: "
                            f"{'; '.join(dict.fromkeys(errors))}")
        if keywords:
            raise TypeError(f"the overloads of function '{self.__name__}' name or order "
                            f"their parameters differently, so the keyword argument(s) "
                            f"{', '.join(keywords)} are ambiguous; pass them by position")
        return None

    def select(self, args) -> _Overload:
        for exact in (True, False):
            for ov in reversed(self.overloads):
                if ov.match(args, exact):
                    return ov
        sigs = "\n".join(f"  {self.__name__}({', '.join(o.signature_key())})"
                         for o in self.overloads)
        raise WarpCodegenError(
            f"no overload of function '{self.__name__}' accepts arguments "
            f"({', '.join(str(types.unliteral(a)) for a in args)}); defined overloads:\n{sigs}",
            self.overloads[-1].parsed.location() if self.overloads else None,
        )

    def _register_numba(self):
        function = self

        def typer(*args):
            return function.select(args).impl()

        overload(self, target="generic", strict=False,
                 jit_options={"error_model": "numpy"})(typer)
        self._templates = [t for val, fty in builtin_registry.globals if val is self
                           for t in getattr(fty, "templates", ())]

    def __repr__(self):
        return f"<wp.func {self.__name__}>"


def func(f=None, *, name: str | None = None, module=None):
    """Declare a function callable from kernels (``@wp.func``).

    As in Warp, a definition whose name is already bound to a ``@wp.func`` in the scope
    where it is decorated adds an overload to that function (or, with the same parameter
    types, replaces that overload: a re-run notebook cell). Anywhere else it makes a new
    function, so functions made by a factory (``make_func(1.0)``, ``make_func(2.0)``)
    are separate functions with their own closure values.

    Example
    -------
    >>> @wp.func
    ... def lerp3(a: float, b: float, t: float):
    ...     return a + (b - a) * t
    >>> @wp.kernel
    ... def k(out: wp.array(dtype=float)):
    ...     i = wp.tid()
    ...     out[i] = lerp3(10.0, 20.0, float(i) * 0.5)
    >>> out = wp.zeros(3, dtype=float)
    >>> wp.launch(k, dim=3, inputs=[out])
    >>> print(out.numpy())
    [10. 15. 20.]
    >>> lerp3(1.0, 3.0, 0.25)  # at Python scope too
    1.5
    """
    scope = sys._getframe(1).f_locals  # where the decorator is applied

    def wrap(fn):
        function = scope.get(fn.__name__)
        if not isinstance(function, Function):
            function = Function(name or warp_key(fn), name or fn.__name__,
                                f"{fn.__module__}.{name or fn.__qualname__}")
        function.add(fn)
        return function

    return wrap(f) if f is not None else wrap
