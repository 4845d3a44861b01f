"""Forward code generation: a user kernel or function AST -> plain Numba-ready Python.

What the rewrite does (everything else is passed through unchanged):

* ``wp.tid()`` becomes the thread index the launcher passes in, unravelled to 1-4D.
* Outside names are resolved now (closure, globals, builtins). Constants are inlined;
  float literals become *weak* literals (see ``typing.scalars``); other objects are
  bound as globals of the generated module.
* ``float(x)``/``int(x)``/``bool(x)`` cast to Warp's float32/int32/bool; ``min``, ``max``
  and ``abs`` are Warp's builtins.
* ``/`` and ``%`` follow Warp: truncating integer division and C-style remainder.
* Stores into locals of value type (``s.x = v``, ``v[0] = x``) become functional
  updates; ``a[i] += x`` on an array is an atomic add, as in Warp.
* Struct kernel parameters arrive flattened and are rebuilt in a prologue.
* Subscripts with slices (``v[1:3]``, ``m[0, 1:] = w``) become calls of
  ``lowering.slices`` (see ``frontend/slices.py``).
"""

from __future__ import annotations

import ast
import builtins
import copy
import enum
import types as pytypes

from .. import lang, unsupported
from ..lowering import kernel_helpers, slots
from ..lowering import sequences as seq_helpers
from ..typing.scalars import ScalarType, WeakFloatLiteral, scalar_types
from . import slices
from .emit import GeneratedSource, SourceWriter
from .callgraph import call_cycle
from .errors import WarpCodegenAttributeError, WarpCodegenKeyError
from .fence import check_syntax
from .naming import DIMS, MULTI_TARGET, TID, TID_REST, pinned_index
from .naming import ref as ref_name
from .protocols import UserFunction, UserKernel
from .resolve import Resolver, Unresolved, local_names, root_name
from .gradcall import grad_call
from .sequences import expand_starred, reversed_loop, sequence_loop
from .source import ParsedFunction, as_load
from .stateful import hoist_stateful_calls
from .unroll import NOT_CONSTANT, after_store, constant_int, emit_unrolled, resolves_to
from .unroll import unrolled_values

__all__ = ["generate"]


# operators written as calls of Warp's builtins, for Warp's fixed-width integer rules
_INT_OPERATORS = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.FloorDiv: "floordiv",
                  ast.LShift: "lshift", ast.RShift: "rshift", ast.BitAnd: "bit_and",
                  ast.BitOr: "bit_or", ast.BitXor: "bit_xor"}

# operator -> (name of the @wp.func that overloads it, as in Warp; builtin fallback)
_USER_OPERATORS = {ast.Add: ("add", "add"), ast.Sub: ("sub", "sub"), ast.Mult: ("mul", "mul"),
                   ast.MatMult: ("mul", "matmul"), ast.Div: ("div", "div"),
                   ast.FloorDiv: ("floordiv", "floordiv"), ast.Mod: ("mod", "mod"),
                   ast.Pow: ("pow", "pow"), ast.BitAnd: ("bit_and", "bit_and"),
                   ast.BitOr: ("bit_or", "bit_or"), ast.BitXor: ("bit_xor", "bit_xor"),
                   ast.LShift: ("lshift", "lshift"), ast.RShift: ("rshift", "rshift")}

_AUG_ATOMIC = {ast.Add: "atomic_add", ast.Sub: "atomic_sub", ast.BitAnd: "atomic_and",
               ast.BitOr: "atomic_or", ast.BitXor: "atomic_xor"}


class _Transformer(ast.NodeTransformer):
    def __init__(self, parsed: ParsedFunction, is_kernel: bool, params: list, options: dict):
        self.parsed = parsed
        self.is_kernel = is_kernel
        self.resolver = Resolver(parsed.fn)
        self.locals = local_names(parsed.tree)
        #: parameter name -> its spec (``typing.argspec.ArgSpec``)
        self.param_specs = dict(params)
        self.array_params = {name for name, spec in params if getattr(spec, "is_array", False)}
        #: how many loops over sequences were written (their temporaries' numbers)
        self.sequence_count = 0
        self.options = options
        self.refs: dict[str, object] = {}
        self._ref_ids: dict[int, str] = {}
        self.deps: list = []
        self.tid_arity = 0
        self.tid_names: list[str] = []
        #: loop variables of unrolled loops -> their value in the iteration being emitted
        self.unrolled: dict[str, object] = {}

    # -- references ------------------------------------------------------------------
    def ref(self, obj, hint: str) -> ast.Name:
        """A Name bound, in the generated module, to ``obj``."""
        key = id(obj)
        name = self._ref_ids.get(key)
        if name is None:
            name, n = ref_name(hint), 1
            while name in self.refs:
                n += 1
                name = ref_name(hint, n)
            self.refs[name] = obj
            self._ref_ids[key] = name
            if isinstance(obj, UserFunction):
                self.deps.append(obj)
        return ast.Name(name, ast.Load())

    def helper(self, name: str) -> ast.Name:
        return self.ref(getattr(kernel_helpers, name), name.lstrip("_"))

    def value_node(self, value, hint: str, node) -> ast.expr:
        """AST for a resolved outside value: constants inline, anything else by ref."""
        if isinstance(value, bool) or value is None:
            return ast.Constant(value)
        if isinstance(value, (enum.IntEnum, enum.IntFlag)):
            return ast.Constant(int(value))  # an int32 constant, as in Warp
        if isinstance(value, int) and type(value) is int:
            return ast.Constant(value)
        if isinstance(value, enum.Enum):
            raise self.parsed.error(
                f"'{value}' is a member of the enum.Enum '{type(value).__name__}', which "
                "kernels cannot use as a value", node,
                f"Use its value ('{value}.value'), or derive the enum from enum.IntEnum.")
        if isinstance(value, (list, set, frozenset, dict)):
            raise self.parsed.error(
                f"a {type(value).__name__} cannot be used in kernel code", node,
                "Use a tuple, index the sequence inside wp.static() "
                "('wp.static(funcs[i])'), or loop over wp.static(<sequence>).")
        if isinstance(value, float) and type(value) is float:
            return self.ref(WeakFloatLiteral(value), f"c_{hint}")
        if isinstance(value, pytypes.ModuleType):
            raise self.parsed.error(f"module '{value.__name__}' cannot be used as a value", node)
        if isinstance(value, UserKernel):
            raise self.parsed.error(
                f"kernel '{value.key}' cannot be called from kernel code",
                node,
                "Make the shared code a @wp.func, or launch the kernels one after another.",
            )
        return self.ref(value, hint)

    def resolve_outside(self, node) -> ast.expr:
        try:
            value = self.resolver.resolve(node)
        except Unresolved as exc:
            # Warp's classes: a KeyError for an unknown name, an AttributeError for an
            # unknown attribute (both also WarpCodegenErrors)
            raise self.parsed.error(
                f"{exc.args[0]} (in {'kernel' if self.is_kernel else 'function'} "
                f"'{self.parsed.name}')",
                node,
                "Define it at module level, pass it as an argument, or check the spelling.",
                WarpCodegenAttributeError if exc.attribute else WarpCodegenKeyError,
            ) from None
        if unsupported.is_stub(value):  # a Warp name numba_warp lacks (wp.tile_load, ...)
            raise self.parsed.error(value.__stub_message__, node)
        value = _PY_BUILTIN_MAP.get(_builtin_key(value), value)
        if isinstance(value, _Special):
            return value.node(self, node)
        return self.value_node(value, ast.unparse(node).split(".")[-1], node)

    def is_outside(self, node) -> bool:
        name = root_name(node)
        return name is not None and name not in self.locals

    # -- expressions -----------------------------------------------------------------
    def visit_Name(self, node: ast.Name):
        if isinstance(node.ctx, ast.Load) and node.id in self.unrolled:
            value = self.unrolled[node.id]
            return ast.copy_location(self.value_node(value, node.id, node), node)
        if isinstance(node.ctx, ast.Load) and node.id not in self.locals and \
                node.id not in self.refs:
            return ast.copy_location(self.resolve_outside(node), node)
        return node

    def visit_Attribute(self, node: ast.Attribute):
        if isinstance(node.ctx, ast.Load) and self.is_outside(node):
            return ast.copy_location(self.resolve_outside(node), node)
        self.generic_visit(node)
        return node

    def visit_Constant(self, node: ast.Constant):
        if type(node.value) is float:
            return ast.copy_location(self.ref(WeakFloatLiteral(node.value), "lit"), node)
        return node

    def visit_Call(self, node: ast.Call):
        if any(isinstance(a, ast.Starred) for a in node.args):
            expand_starred(self, node)
        if isinstance(node.func, ast.Call) and self.is_outside(node.func.func) and \
                resolves_to(self, node.func.func, lang.grad):
            return grad_call(self, node)
        if self.is_outside(node.func):
            try:
                target = self.resolver.resolve(node.func)
            except Unresolved:
                target = None
            if target is lang.tid:
                return self.tid_expression(node)
            if target is lang.static:
                return self.static_value(node)
            if target is builtins.range:
                self.generic_visit(node)
                # Numba would truncate a float argument silently; Warp rejects it
                node.args = [ast.copy_location(ast.Call(self.helper("range_arg"), [a], []), a)
                             for a in node.args]
                return node
            if isinstance(target, UserFunction):
                self._refuse_recursion(target, node)
                self.generic_visit(node)
                return self.function_call(target, node)
        self.generic_visit(node)
        return node

    def _refuse_recursion(self, function, node: ast.Call):
        """A @wp.func that calls itself: refused here, as in Warp (Numba would fail with
        an unreadable nest of typing errors)."""
        # (a function of several overloads may call a sibling overload: left to typing)
        overloads = getattr(function, "overloads", None) or ()
        if len(overloads) == 1 and \
                getattr(getattr(overloads[0], "parsed", None), "fn", None) is self.parsed.fn:
            what = "calls itself"
        else:
            chain = call_cycle(function, self.parsed.fn) if overloads else None
            if chain is None or len(overloads) > 1 and chain[0] == self.parsed.name:
                return
            what = "calls itself through " + " -> ".join(f"'{n}'" for n in chain)
        raise self.parsed.error(
            f"@wp.func '{self.parsed.name}' {what}: recursion is not supported in kernels "
            "and functions (as in Warp)", node,
            "Rewrite it as a loop (for example with a fixed-size local array as a "
            "stack, wp.zeros(shape=..., dtype=...))")

    def function_call(self, function, node: ast.Call):
        """A call of a ``@wp.func`` with its keyword arguments and defaults put in place:
        Numba's overloads take positions, and so does the backward pass."""
        if any(isinstance(a, ast.Starred) for a in node.args) or \
                any(k.arg is None for k in node.keywords):
            return node
        keywords = {k.arg: k.value for k in node.keywords}
        try:
            layout = function.call_layout(len(node.args), list(keywords))
        except TypeError as exc:
            raise self.parsed.error(str(exc), node) from None
        if layout is None:
            return node
        args = []
        for kind, value in layout:
            if kind == "arg":
                args.append(node.args[value])
            elif kind == "kw":
                args.append(keywords[value])
            else:
                args.append(ast.copy_location(self.value_node(value, "default", node), node))
        node.args, node.keywords = args, []
        return node

    def static_value(self, node: ast.Call):
        if len(node.args) != 1 or node.keywords:
            raise self.parsed.error("wp.static() takes exactly one expression", node)
        try:
            value = self.resolver.evaluate(node.args[0], self.unrolled)
        except Exception as exc:  # the user's expression failed; say which and why
            raise self.parsed.error(f"wp.static() expression failed: {exc!r}", node) from None
        return ast.copy_location(self.value_node(value, "static", node), node)

    def visit_BoolOp(self, node: ast.BoolOp):
        # Warp's 'and'/'or' give a bool (C's && and ||): each operand's truth value,
        # evaluated left to right only as far as needed
        self.generic_visit(node)
        truth = self.ref(seq_helpers.truth, "truth")
        node.values = [v if _is_bool_expression(v) else
                       ast.copy_location(ast.Call(truth, [v], []), v) for v in node.values]
        return node

    def visit_Subscript(self, node: ast.Subscript):
        """``wp.static(seq)[k]`` with a constant ``k`` (a literal or an unrolled loop
        variable) is the item itself."""
        base = node.value
        if isinstance(node.ctx, ast.Load) and isinstance(base, ast.Call) and \
                self.is_outside(base.func) and resolves_to(self, base.func, lang.static) and \
                len(base.args) == 1:
            k = constant_int(self, node.slice)
            if k is not NOT_CONSTANT:
                try:
                    value = self.resolver.evaluate(base.args[0], self.unrolled)[k]
                except Exception as exc:  # the user's expression failed; say which and why
                    raise self.parsed.error(
                        f"wp.static() expression failed: {exc!r}", node) from None
                return ast.copy_location(self.value_node(value, "static", node), node)
        self.generic_visit(node)
        if isinstance(node.ctx, ast.Load):
            return slices.rewrite_load(self, node)  # constant slices of vectors/matrices
        return node

    def visit_BinOp(self, node: ast.BinOp):
        self.generic_visit(node)
        return self.rewrite_binop(node)

    def user_operator(self, op) -> ast.Name | None:
        """The operator as a user's ``@wp.func`` overloads it, if one named like the
        operator (``add``, ``mul``, ...) is in the function's scope (Warp's rule)."""
        name, fallback = _USER_OPERATORS.get(type(op), (None, None))
        if name is None or name in self.locals:
            return None
        try:
            found = self.resolver.lookup(name)
        except Unresolved:
            return None
        if not isinstance(found, UserFunction):
            return None
        return self.ref(found.as_operator(fallback), f"operator_{name}")

    def rewrite_binop(self, node: ast.BinOp):
        """Warp's operator rules on an already-transformed BinOp: a user's operator
        overload, C's integer division and remainder, and fixed-width (wrapping) integer
        arithmetic, shifts and bitwise operations, written as calls of the functions that
        implement them."""
        user = self.user_operator(node.op)
        if user is not None:
            return ast.copy_location(ast.Call(user, [node.left, node.right], []), node)
        helper = {ast.Div: "div", ast.Mod: "mod"}.get(type(node.op))
        if helper is not None:
            return ast.copy_location(
                ast.Call(self.helper(helper), [node.left, node.right], []), node)
        name = _INT_OPERATORS.get(type(node.op))
        if name is None or self._is_float_literal(node.left) or \
                self._is_float_literal(node.right):
            return node  # a float literal operand: float arithmetic, nothing to wrap
        return ast.copy_location(
            ast.Call(self.ref(getattr(lang, name), name), [node.left, node.right], []), node)

    def _is_float_literal(self, node) -> bool:
        return isinstance(node, ast.Name) and \
            isinstance(self.refs.get(node.id), WeakFloatLiteral)

    def visit_UnaryOp(self, node: ast.UnaryOp):
        operand = node.operand
        if isinstance(node.op, (ast.USub, ast.UAdd)) and isinstance(operand, ast.Constant) \
                and type(operand.value) in (int, float):
            # a signed literal is one literal: -1.19 in a float64 kernel keeps its digits
            value = -operand.value if isinstance(node.op, ast.USub) else operand.value
            return self.visit(ast.copy_location(ast.Constant(value), node))
        self.generic_visit(node)
        if isinstance(node.op, (ast.USub, ast.UAdd)):
            folded = self._fold_sign(node)
            if folded is not None:
                return folded
        name = {ast.USub: "neg", ast.Invert: "invert"}.get(type(node.op))
        if name is None or self._is_float_literal(node.operand):
            return node
        return ast.copy_location(
            ast.Call(self.ref(getattr(lang, name), name), [node.operand], []), node)

    def _fold_sign(self, node: ast.UnaryOp):
        """``-PI`` for an outside constant (a global, closure value or ``wp.constant``)
        is one literal, like ``-3.14``: it keeps all its digits in float64 contexts
        instead of being negated as a float32 value."""
        operand = node.operand
        sign = -1 if isinstance(node.op, ast.USub) else 1
        if self._is_float_literal(operand):
            value = sign * float(self.refs[operand.id])
            return ast.copy_location(self.ref(WeakFloatLiteral(value), "lit"), node)
        if isinstance(operand, ast.Constant) and type(operand.value) is int:
            return ast.copy_location(ast.Constant(sign * operand.value), node)
        return None

    # -- statements ------------------------------------------------------------------
    def visit_body(self, stmts: list[ast.stmt]) -> list[ast.stmt]:
        """Transformed statements; a statement may become none or several."""
        out: list[ast.stmt] = []
        for stmt in stmts:
            before = copy.deepcopy(stmt) if self.unrolled else None
            new = self.visit(stmt)
            if before is not None:
                after_store(self, before)
            if new is not None:
                out.extend(new if isinstance(new, list) else [new])
        return out

    def visit_For(self, node: ast.For):
        it = node.iter
        if isinstance(it, ast.Call) and self.is_outside(it.func) and \
                resolves_to(self, it.func, builtins.reversed):
            return reversed_loop(self, node)
        if not (isinstance(it, ast.Call) and self.is_outside(it.func) and (
                resolves_to(self, it.func, builtins.range) or
                resolves_to(self, it.func, lang.static))):
            return sequence_loop(self, node)
        values = unrolled_values(self, node)
        if values is not None:
            return emit_unrolled(self, node, values)
        node.iter = self.visit(node.iter)
        node.body = self.visit_body(node.body)
        return node

    def visit_If(self, node: ast.If):
        node.test = self.visit(node.test)
        node.body = self.visit_body(node.body)
        node.orelse = self.visit_body(node.orelse)
        return node

    def visit_While(self, node: ast.While):
        node.test = self.visit(node.test)
        node.body = self.visit_body(node.body)
        return node

    def visit_Expr(self, node: ast.Expr):
        if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            return None  # docstrings and bare string statements
        call = node.value
        outputs = self._output_arguments(call)
        if outputs is not None:
            # Warp's output-argument form, wp.svd3(A, U, sigma, V): values are immutable
            # here, so it becomes U, sigma, V = wp.svd3(A)
            n_in, names = outputs
            target = ast.Tuple([ast.Name(n, ast.Store()) for n in names], ast.Store())
            call.args = call.args[:n_in]
            return ast.copy_location(ast.Assign([target], self.visit(call)), node)
        if isinstance(call, ast.Call) and call.args and isinstance(call.args[0], ast.Name) \
                and self._updates_first_argument(call):
            # Warp's in-place builtins (wp.transform_set_translation(t, p)) modify their
            # first argument; values are immutable here, so assign the result back to it
            target = ast.Name(call.args[0].id, ast.Store())
            return ast.copy_location(ast.Assign([target], self.visit(call)), node)
        self.generic_visit(node)
        return node

    def _output_arguments(self, call):
        """(number of inputs, output names) for a call in Warp's output-argument form."""
        if not (isinstance(call, ast.Call) and self.is_outside(call.func)):
            return None
        try:
            target = self.resolver.resolve(call.func)
        except Unresolved:
            return None
        for name, n_in in OUTPUT_ARGUMENTS.items():
            if target is getattr(lang, name, None) and len(call.args) > n_in:
                outs = call.args[n_in:]
                if not all(isinstance(o, ast.Name) for o in outs):
                    raise self.parsed.error(
                        f"the output arguments of wp.{name}() must be variable names", call)
                return n_in, [o.id for o in outs]
        return None

    def _updates_first_argument(self, call) -> bool:
        if not self.is_outside(call.func):
            return False
        try:
            target = self.resolver.resolve(call.func)
        except Unresolved:
            return False
        return any(target is getattr(lang, n, None) for n in UPDATES_FIRST_ARGUMENT)

    def visit_Assert(self, node: ast.Assert):
        if self.options.get("mode") != "debug":
            return None
        self.generic_visit(node)
        return node

    def visit_Return(self, node: ast.Return):
        self.generic_visit(node)
        return node

    def visit_Assign(self, node: ast.Assign):
        if self._is_tid_call(node.value):
            return self.tid_assign(node)
        value = self.visit(node.value)
        out = []
        if len(node.targets) > 1:
            tmp = ast.Name(MULTI_TARGET, ast.Store())
            self.locals.add(tmp.id)
            out.append(ast.copy_location(ast.Assign([tmp], value), node))
            value = ast.Name(MULTI_TARGET, ast.Load())
        for target in node.targets:
            out.extend(self.assign(target, value, node))
        return out

    def visit_AnnAssign(self, node: ast.AnnAssign):
        if node.value is None:
            raise self.parsed.error("a declaration without a value is not supported", node)
        value = self.visit(node.value)
        try:
            ann = self.resolver.resolve(node.annotation)
        except Unresolved:
            ann = None
        ann = _PY_BUILTIN_MAP.get(_builtin_key(ann), ann)
        if isinstance(ann, ScalarType):
            value = ast.Call(self.ref(ann, ann.__name__), [value], [])
        return self.assign(node.target, value, node)

    def visit_AugAssign(self, node: ast.AugAssign):
        # Warp's order: the target's location (its indices), then the value, each once
        slices.reject_array_slice(self, node.target, node)
        pinned: list[ast.stmt] = []
        target = self.pin_target(node.target, pinned)
        value = self.visit(node.value)
        slot = self._array_slot(target) if type(node.op) in _AUG_ATOMIC else None
        if slot is not None and self.user_operator(node.op) is None:
            # a component of an array element (v[i].x += r): atomic, as in Warp
            root, indices, spec = slot
            name = "slot_" + _AUG_ATOMIC[type(node.op)][7:]
            helper = self.ref(getattr(slots, name), name)
            call = ast.Call(helper, [self.visit(as_load(root)), ast.Tuple(indices, ast.Load()),
                                     value, ast.Constant(spec)], [])
            return pinned + [ast.copy_location(ast.Expr(call), node)]
        if isinstance(target, ast.Subscript) and type(node.op) in _AUG_ATOMIC:
            base = self.visit(as_load(target.value))
            index = self.visit(target.slice)
            indices = list(index.elts) if isinstance(index, ast.Tuple) else [index]
            atomic = _AUG_ATOMIC[type(node.op)]
            if isinstance(target.value, ast.Name) and target.value.id in self.array_params:
                # an atomic update, whatever user operator overloads exist (as in Warp)
                call = ast.Call(self.helper(atomic), [base, *indices, value], [])
                return pinned + [ast.copy_location(ast.Expr(call), node)]
            if self.user_operator(node.op) is None and not slices.has_slice(index):
                call = ast.Call(self.helper("inplace_" + atomic[7:]), [base, index, value], [])
                return pinned + self.assign(target.value, call, node)
        current = self.visit(as_load(target))
        combined = self.rewrite_binop(ast.copy_location(ast.BinOp(current, node.op, value), node))
        return pinned + self.assign(target, combined, node)

    def _array_slot(self, target):
        """(array name, index expressions, spec) when ``target`` is a component of an
        element of an array parameter (``v[i].x``, ``m[i][1, 1]``, ``a[i][j]``), in the
        form ``lowering.slots`` takes; else None."""
        steps, indices = [], []
        node = target
        while True:
            if isinstance(node, ast.Attribute):
                steps.append("." + node.attr)
                node = node.value
                continue
            if not isinstance(node, ast.Subscript):
                return None
            sl = node.slice
            elts = list(sl.elts) if isinstance(sl, ast.Tuple) else [sl]
            if any(isinstance(e, ast.Slice) for e in elts):
                return None
            if isinstance(node.value, ast.Name) and node.value.id in self.array_params:
                if not steps:
                    return None  # the element itself: an ordinary atomic
                parts = [elts] + [p for p in reversed(indices)]
                flat = [self.visit(e) for part in parts for e in part]
                return node.value, flat, f"{len(elts)}:" + "|".join(reversed(steps))
            steps.append(",".join("#" * len(elts)))
            indices.append(elts)
            node = node.value

    def pin_target(self, target, out: list) -> ast.expr:
        """``target`` with each index that is not a name or a constant evaluated once, in
        order, into a new local (the statements go to ``out``)."""
        if isinstance(target, ast.Subscript):
            base = self.pin_target(target.value, out)
            index = target.slice
            elts = index.elts if isinstance(index, ast.Tuple) else [index]
            pinned = [self._pin_index(e, out) for e in elts]
            index = ast.Tuple(pinned, ast.Load()) if isinstance(index, ast.Tuple) else pinned[0]
            return ast.copy_location(ast.Subscript(base, index, target.ctx), target)
        if isinstance(target, ast.Attribute):
            base = self.pin_target(target.value, out)
            return ast.copy_location(ast.Attribute(base, target.attr, target.ctx), target)
        return target

    def _pin_index(self, index, out: list) -> ast.expr:
        simple = (ast.Name, ast.Constant, ast.Slice)
        if isinstance(index, simple) or (isinstance(index, ast.UnaryOp) and
                                         isinstance(index.operand, ast.Constant)):
            return index
        # (lines counted from the function's first: code that only moved stays the same,
        # and so does its cache entry)
        name = pinned_index(len(out), index.lineno - self.parsed.tree.lineno,
                            index.col_offset)
        self.locals.add(name)
        out.append(ast.copy_location(
            ast.Assign([ast.Name(name, ast.Store())], self.visit(index)), index))
        return ast.Name(name, ast.Load())

    def assign(self, target, value, origin) -> list[ast.stmt]:
        """Statements that store ``value`` into ``target`` with Warp's semantics."""
        if isinstance(target, (ast.Name, ast.Tuple)):
            if isinstance(target, ast.Tuple) and not all(
                isinstance(e, ast.Name) for e in target.elts
            ):
                raise self.parsed.error("tuple unpacking targets must be plain names", origin)
            return [ast.copy_location(ast.Assign([target], value), origin)]
        if isinstance(target, ast.Subscript):
            base = target.value
            call = slices.store_call(self, target, value, origin)
            if call is not None:  # v[1:3] = w
                return self.assign(base, call, origin)
            if isinstance(base, ast.Name) and base.id in self.array_params:
                store = ast.Subscript(base, self.visit(target.slice), ast.Store())
                return [ast.copy_location(ast.Assign([store], value), origin)]
            call = ast.Call(
                self.helper("store"),
                [self.visit(as_load(base)), self.visit(target.slice), value], []
            )
            return self.assign(base, call, origin)
        if isinstance(target, ast.Attribute):
            base = target.value
            if self.is_outside(base):
                raise self.parsed.error(
                    f"cannot assign to '{ast.unparse(target)}': it is not a local variable",
                    origin,
                )
            call = ast.Call(
                self.helper("setattr_value"),
                [self.visit(as_load(base)), ast.Constant(target.attr), value],
                [],
            )
            return self.assign(base, call, origin)
        raise self.parsed.error(f"cannot assign to '{ast.unparse(target)}'", origin)

    # -- wp.tid() --------------------------------------------------------------------
    def _is_tid_call(self, value) -> bool:
        if not (isinstance(value, ast.Call) and self.is_outside(value.func)):
            return False
        try:
            return self.resolver.resolve(value.func) is lang.tid
        except Unresolved:
            return False

    def tid_expression(self, node: ast.Call):
        """``wp.tid()`` used as a value (``a[wp.tid()]``): the one-dimensional index."""
        if not self.is_kernel:
            raise self.parsed.error(
                "wp.tid() can only be called in a kernel, not in a @wp.func", node,
                "Pass the thread index to the function as an argument.")
        if node.args or node.keywords:
            raise self.parsed.error("wp.tid() takes no arguments", node)
        if self.tid_arity > 1:
            raise self.parsed.error(
                f"wp.tid() is used as a single index here but unpacked into "
                f"{self.tid_arity} names elsewhere", node)
        self.tid_arity = 1
        call = ast.parse(self._tid_lead(1), mode="eval").body
        return ast.copy_location(call, node)

    def _tid_lead(self, arity: int) -> str:
        """The thread's index over the launch's first ``arity`` dims, as Warp numbers it:
        the thread id divided by the product of the dims past them (1 when the launch has
        no more dims than ``arity``; missing dims are 1, so their indices are 0)."""
        nonneg = self.helper("assume_nonneg").id
        if arity == len(DIMS):
            return f"{nonneg}({TID})"
        lead = self.helper("tid_lead").id
        return f"{nonneg}({lead}({TID}, {' * '.join(DIMS[arity:])}))"

    def tid_assign(self, node: ast.Assign):
        if not self.is_kernel:
            raise self.parsed.error(
                "wp.tid() can only be called in a kernel, not in a @wp.func",
                node,
                "Pass the thread index to the function as an argument.",
            )
        target = node.targets[0]
        names = target.elts if isinstance(target, ast.Tuple) else [target]
        if len(node.targets) != 1 or not all(isinstance(n, ast.Name) for n in names):
            raise self.parsed.error("wp.tid() must be assigned to one to four names", node)
        if len(names) > 4:
            raise self.parsed.error("wp.tid() returns at most 4 indices", node)
        arity = len(names)
        if self.tid_arity and self.tid_arity != arity:
            raise self.parsed.error(
                f"wp.tid() is unpacked into {arity} names here but {self.tid_arity} elsewhere",
                node,
            )
        self.tid_arity = arity
        if not self.tid_names:
            self.tid_names = [n.id for n in names]
        # Thread indices are int64 (Warp: int32). The launcher's index is known to be
        # non-negative, which lets LLVM drop negative-index wraparound and vectorise.
        nonneg = self.helper("assume_nonneg").id
        lines = []
        if arity == 1:
            lines.append(f"{names[0].id} = {self._tid_lead(1)}")
        else:
            div = self.helper("c_div").id
            rem = self.helper("c_rem").id
            rest = self._tid_lead(arity)
            for k in range(arity - 1, 0, -1):
                lines.append(f"{names[k].id} = {nonneg}({rem}({rest}, {DIMS[k]}))")
                lines.append(f"{TID_REST} = {nonneg}({div}({rest}, {DIMS[k]}))")
                rest = TID_REST
            lines.append(f"{names[0].id} = {rest}")
        stmts = ast.parse("\n".join(lines)).body
        return [ast.copy_location(s, node) for s in stmts]


class _Special:
    """A Python builtin whose meaning in kernels differs from plain Numba."""

    def __init__(self, make):
        self.make = make

    def node(self, transformer, node):
        return self.make(transformer, node)


def _builtin_key(value):
    return value if isinstance(value, (type, pytypes.BuiltinFunctionType)) else None


def _keep_builtin(name):
    return _Special(lambda t, node: ast.Name(name, ast.Load()))


def _warp_builtin(name):
    def make(t, node):
        return t.ref(getattr(lang, name), name)

    return _Special(make)


_PY_BUILTIN_MAP = {
    builtins.float: scalar_types["float32"],
    builtins.int: scalar_types["int32"],
    builtins.bool: scalar_types["bool"],
    builtins.range: _keep_builtin("range"),
    builtins.len: _keep_builtin("len"),
    builtins.print: _warp_builtin("print"),
    builtins.min: _warp_builtin("min"),
    builtins.max: _warp_builtin("max"),
    builtins.abs: _warp_builtin("abs"),
}


# Builtins with Warp's output-argument form (name -> number of inputs).
OUTPUT_ARGUMENTS = {"svd3": 1, "svd2": 1, "qr3": 1, "eig3": 1, "quat_to_axis_angle": 1,
                     "transform_decompose": 1}

# Builtins that Warp documents as modifying their first argument in place.
UPDATES_FIRST_ARGUMENT = ("transform_set_translation", "transform_set_rotation")


def _is_bool_expression(node) -> bool:
    """Whether ``node`` (transformed) is a comparison, 'not' or 'and'/'or': a bool."""
    return isinstance(node, (ast.Compare, ast.BoolOp)) or (
        isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not))


def generate(parsed: ParsedFunction, *, is_kernel: bool, params: list, gen_name: str,
             options: dict | None = None) -> GeneratedSource:
    """Generate the forward Python source for a kernel body or a function.

    ``params`` lists ``(name, spec)`` for each parameter; a spec may expose
    ``flatten(name) -> (flat_names, rebuild_expr_ast, refs)`` (structs) and
    ``is_array``; scalar specs may expose ``cast_class`` for an argument cast.
    """
    check_syntax(parsed, is_kernel)
    options = options or {}
    tr = _Transformer(parsed, is_kernel, params, options)

    flat_params: list[str] = []
    prologue: list[ast.stmt] = []
    for name, spec in params:
        flattened = getattr(spec, "kind", "") in ("struct", "indexedarray")
        flatten = getattr(spec, "flatten", None) if flattened else None
        if flatten is not None and is_kernel:
            names, rebuild = flatten(name, tr.ref)
            flat_params.extend(names)
            prologue.append(ast.Assign([ast.Name(name, ast.Store())], rebuild))
        else:
            flat_params.append(name)
            cast = getattr(spec, "cast_class", None)
            if cast is not None and not is_kernel:
                call = ast.Call(tr.ref(cast, cast.__name__), [ast.Name(name, ast.Load())], [])
                prologue.append(ast.Assign([ast.Name(name, ast.Store())], call))

    body = tr.visit_body(hoist_stateful_calls(tr, copy.deepcopy(parsed.tree.body)))
    body = [ast.fix_missing_locations(s) for s in body]

    writer = SourceWriter()
    head = [TID, *DIMS] if is_kernel else []
    origin = parsed.tree.lineno
    writer.line(f"def {gen_name}({', '.join(head + flat_params)}):", origin)
    for stmt in prologue:
        writer.line(ast.unparse(ast.fix_missing_locations(stmt)), origin, 1)
    writer.statements(body, 1)
    return GeneratedSource(gen_name, flat_params, writer, tr.refs, tr.deps, parsed,
                           tid_arity=tr.tid_arity, body=body,
                           prologue=[ast.fix_missing_locations(s) for s in prologue],
                           tid_names=tr.tid_names)
