"""Sequences in kernel code: ``f(*v)`` arguments and ``for x in <sequence>`` loops.

Warp expands ``*v`` (a vector, quaternion, transform, matrix's rows, or a slice of one
with constant bounds, or ``*a[i:j]`` of a 1-D array with constant non-negative bounds)
into one argument per element. Here too, when the length is known while the code is
generated (:func:`known_shape`: literals, annotated parameters, array elements, struct
fields, constructors, locals assigned only such values): ``f(*v)`` becomes
``f(v[0], v[1], v[2])``, which the backward pass differentiates like any call. Otherwise
the call spreads a tuple made when the code is typed (``f(*spread(v))``), which runs
forward but cannot be differentiated (the backward pass says so). Tuples are accepted
too (Warp refuses them).

Warp 1.19 refuses ``for`` loops over anything but ``range``; here a loop may also run
over a tuple, a vector, quaternion or transform (its components), a matrix (its rows),
``wp.static(<sequence>)`` and outside constant sequences (module tuples of numbers or
functions). A loop over constants is unrolled with the values (see ``unroll.py``); a
loop over a sequence of known length (and no ``break``/``continue``) is unrolled with
``x = seq[k]``, so tuples of mixed types work; any other loop runs over
``range(iter_len(seq))``. The sequence is evaluated once, before the loop, as Python
does. Loops over arrays are refused (their length is known only at run time). Warp's
``for i in reversed(range(...))`` runs over the reversed range's bounds.
"""

from __future__ import annotations

import ast
import builtins
import copy

from .. import lang
from ..lowering import sequences as seq_helpers
from .naming import sequence_index, sequence_temp
from .protocols import UserFunction
from .resolve import Unresolved
from .unroll import NOT_CONSTANT, constant_int, emit_unrolled, loop_jump, loop_static_names
from .unroll import resolves_to

__all__ = ["known_shape", "expand_starred", "sequence_loop", "reversed_loop"]

# builtins whose calls have effects: a starred argument built with one is not repeated
_EFFECTS = frozenset(("atomic_add", "atomic_sub", "atomic_min", "atomic_max", "atomic_and",
                      "atomic_or", "atomic_xor", "atomic_exch", "atomic_cas", "print",
                      "printf", "expect_eq", "expect_neq", "expect_near", "breakpoint"))
_PURE_PY = frozenset((builtins.min, builtins.max, builtins.abs, builtins.len, builtins.float,
                      builtins.int, builtins.bool))


def _outside_value(tr, node, default=None):
    if not tr.is_outside(node):
        return default
    try:
        return tr.resolver.resolve(node)
    except Unresolved:
        return default


def _value_shape(value):
    """The shape of a Python-scope value: a sequence's length, a vector's or matrix's
    shape."""
    if isinstance(value, (tuple, list, range)):
        return (len(value),)
    shape = getattr(type(value), "_value_shape", None)
    if shape is not None and not isinstance(value, type):
        return tuple(shape)
    return None


def _spec_shape(spec):
    if spec is not None and spec.kind == "value":
        shape = getattr(spec.annotation, "_value_shape", None)
        return tuple(shape) if shape is not None else None
    return None


def _field_spec(tr, node):
    """The spec of ``s.f`` (``s.f.g``...) when ``s`` is a struct parameter, else None."""
    if isinstance(node.value, ast.Name):
        spec = tr.param_specs.get(node.value.id)
    elif isinstance(node.value, ast.Attribute):
        spec = _field_spec(tr, node.value)
    else:
        return None
    if spec is None or spec.kind != "struct":
        return None
    return dict(spec.struct_cls._wp_struct_.fields).get(node.attr)


def array_spec(tr, node):
    """The spec of an array parameter (or struct field) ``node`` names, else None."""
    if isinstance(node, ast.Name) and node.id not in tr.unrolled:
        spec = tr.param_specs.get(node.id)
    elif isinstance(node, ast.Attribute):
        spec = _field_spec(tr, node)
    else:
        return None
    return spec if spec is not None and spec.kind == "array" else None


def known_shape(tr, node, seen: frozenset = frozenset()):
    """The shape of ``node``'s value when the code generator can see it (a tuple's
    ``(length,)``, a vector's, a matrix's ``(rows, cols)``), else None."""
    if isinstance(node, ast.Tuple):
        n = 0
        for e in node.elts:
            inner = known_shape(tr, e.value, seen) if isinstance(e, ast.Starred) else (1,)
            if inner is None:
                return None
            n += inner[0]
        return (n,)
    if isinstance(node, ast.Call):
        target = _outside_value(tr, node.func)
        if target is lang.static and len(node.args) == 1:
            try:
                return _value_shape(tr.resolver.evaluate(node.args[0], tr.unrolled))
            except Exception:  # noqa: BLE001 - reported where the expression is generated
                return None
        shape = getattr(target, "_value_shape", None) if isinstance(target, type) else None
        return tuple(shape) if shape is not None else None
    if isinstance(node, ast.Name):
        if node.id in tr.unrolled:
            return _value_shape(tr.unrolled[node.id])
        if node.id not in tr.locals:
            return _value_shape(_outside_value(tr, node))
        if node.id in tr.param_specs:
            return _spec_shape(tr.param_specs[node.id])
        return _local_shape(tr, node.id, seen)
    if isinstance(node, ast.Attribute):
        if tr.is_outside(node):
            return _value_shape(_outside_value(tr, node))
        return _spec_shape(_field_spec(tr, node))
    if isinstance(node, ast.Subscript):
        return _subscript_shape(tr, node, seen)
    return None


def _subscript_shape(tr, node, seen):
    sl = node.slice
    if isinstance(sl, ast.Slice):
        base = known_shape(tr, node.value, seen)
        bounds = _slice_bounds(tr, sl)
        if base is None or bounds is None:
            return None
        return (len(range(*slice(*bounds).indices(base[0]))), *base[1:])
    n_index = len(sl.elts) if isinstance(sl, ast.Tuple) else 1
    spec = array_spec(tr, node.value)
    if spec is not None:
        if spec.generic_dtype or n_index != spec.ndim:
            return None
        shape = getattr(spec.dtype, "_value_shape", None)
        return tuple(shape) if shape is not None else None
    base = known_shape(tr, node.value, seen)
    if base is not None and len(base) == 2 and n_index == 1:
        return (base[1],)  # a matrix row
    return None


def _local_shape(tr, name: str, seen: frozenset):
    """A local's shape when every value assigned to it has the same known shape."""
    if name in seen:
        return None
    seen = seen | {name}
    shapes = set()
    for node in ast.walk(tr.parsed.tree):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name) and target.id == name:
                    shapes.add(known_shape(tr, node.value, seen))
                elif any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(target)):
                    return None  # unpacked or an element stored: not followed
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and \
                node.target.id == name and node.value is not None:
            shapes.add(known_shape(tr, node.value, seen))
        elif isinstance(node, ast.For) and any(
                isinstance(n, ast.Name) and n.id == name for n in ast.walk(node.target)):
            return None
    return shapes.pop() if len(shapes) == 1 else None


def _slice_bounds(tr, sl: ast.Slice):
    """(start, stop, step) of a slice whose given parts are integer constants, else None."""
    out = []
    for part in (sl.lower, sl.upper, sl.step):
        if part is None:
            out.append(None)
            continue
        value = constant_int(tr, part)
        if value is NOT_CONSTANT:
            return None
        out.append(value)
    return tuple(out)


def _is_pure(tr, node) -> bool:
    """Whether evaluating ``node`` more than once is the same as once (no user functions,
    atomics or prints in it)."""
    for sub in ast.walk(node):
        if not isinstance(sub, ast.Call):
            continue
        target = _outside_value(tr, sub.func)
        if target is None or isinstance(target, UserFunction):
            return False
        if isinstance(target, type) or target is lang.static or _is_pure_builtin(target):
            continue
        name = getattr(target, "__name__", "")
        if getattr(lang, name, None) is not target or name in _EFFECTS:
            return False
    return True


def _is_pure_builtin(target) -> bool:
    try:
        return target in _PURE_PY
    except TypeError:  # unhashable
        return False


def _slice_error(tr, message, node):
    return tr.parsed.error(f"starred argument: {message}", node)


def _star_items(tr, star: ast.Starred) -> list:
    """The arguments ``*value`` stands for (see the module docstring)."""
    value = star.value
    sl = value.slice if isinstance(value, ast.Subscript) and \
        isinstance(value.slice, ast.Slice) else None
    base = value.value if sl is not None else value
    bounds = _slice_bounds(tr, sl) if sl is not None else (None, None, None)
    if sl is not None and bounds is None:
        raise _slice_error(tr, "slice bounds must be integer constants (literals, module "
                           "constants, wp.static values or unrolled loop variables)", star)
    if bounds[2] == 0:
        raise _slice_error(tr, "the slice step cannot be zero", star)
    spec = array_spec(tr, base)
    if spec is not None:
        indices = _array_star_indices(tr, spec, sl, bounds, star)
    else:
        shape = known_shape(tr, base)
        if shape is None or not _is_pure(tr, base):
            spread = ast.Call(tr.ref(seq_helpers.spread, "spread"), [base], [])
            if sl is not None:
                spread = ast.Subscript(spread, copy.deepcopy(sl), ast.Load())
            return [ast.copy_location(ast.Starred(spread, ast.Load()), star)]
        indices = range(*slice(*bounds).indices(shape[0]))
    if not indices:
        raise _slice_error(tr, f"'*{ast.unparse(value)}' gives no values", star)
    return [ast.copy_location(ast.Subscript(copy.deepcopy(base), ast.Constant(k), ast.Load()),
                              star) for k in indices]


def _array_star_indices(tr, spec, sl, bounds, star):
    """Warp's rules for ``*a[i:j]`` of an array: 1-D, an explicit upper bound, no
    negative bounds or steps."""
    if sl is None:
        raise _slice_error(tr, "an array can be starred only as a slice with constant "
                           "bounds ('*a[0:3]'), as its length is known only at run time", star)
    if spec.ndim != 1:
        raise _slice_error(tr, f"only 1-D arrays can be starred, got {spec.ndim}-D", star)
    start, stop, step = bounds
    if stop is None:
        raise _slice_error(tr, "a starred array slice needs an explicit upper bound "
                           "('*a[0:3]', not '*a[0:]')", star)
    if (start or 0) < 0 or stop < 0 or (step or 1) < 0:
        raise _slice_error(tr, "a starred array slice cannot have negative bounds or step",
                           star)
    return range(start or 0, stop, step or 1)


def expand_starred(tr, call: ast.Call) -> None:
    """Replace the starred arguments of ``call`` (not yet transformed) in place."""
    args = []
    for a in call.args:
        args.extend(_star_items(tr, a) if isinstance(a, ast.Starred) else [a])
    call.args = args


def sequence_loop(tr, loop: ast.For) -> list:
    """The statements for ``for x in <sequence>`` (see the module docstring)."""
    it, var = loop.iter, loop.target.id
    if tr.is_outside(it):
        value = _outside_value(tr, it, NOT_CONSTANT)
        if isinstance(value, (tuple, list, range)) or _value_shape(value) is not None:
            return emit_unrolled(tr, loop, list(value))
    if array_spec(tr, it) is not None:
        raise tr.parsed.error(
            f"a 'for' loop over the array '{ast.unparse(it)}' is not supported: its length "
            "is known only at run time", loop,
            "Loop over its indices: 'for i in range(a.shape[0]): x = a[i]'.")
    if var in loop_static_names(tr, loop.body):
        raise tr.parsed.error(
            f"wp.static() reads the loop variable '{var}', whose values are known only when "
            "the kernel runs", loop,
            "Loop over wp.static(<sequence>) or a constant range so the loop is unrolled.")
    tr.unrolled.pop(var, None)  # the variable now holds run-time values
    k = tr.sequence_count
    tr.sequence_count += 1
    temp, index = sequence_temp(k), sequence_index(k)
    tr.locals.update((temp, index))
    shape = known_shape(tr, it)  # (before the expression is transformed)
    pre = [ast.copy_location(ast.Assign([ast.Name(temp, ast.Store())], tr.visit(it)), loop)]
    if shape is not None and loop_jump(loop.body) is None:
        for k in range(shape[0]):
            pre.append(_item_assign(var, temp, ast.Constant(k), loop))
            for stmt in loop.body:
                pre.extend(tr.visit_body([copy.deepcopy(stmt)]))
        return pre
    n = ast.Call(tr.ref(seq_helpers.iter_len, "iter_len"), [ast.Name(temp, ast.Load())], [])
    body = [_item_assign(var, temp, ast.Name(index, ast.Load()), loop)]
    body += tr.visit_body(loop.body)
    head = ast.Call(ast.Name("range", ast.Load()), [n], [])
    return pre + [ast.copy_location(ast.For(ast.Name(index, ast.Store()), head, body, []), loop)]


def _item_assign(var, temp, index, loop):
    item = ast.Subscript(ast.Name(temp, ast.Load()), index, ast.Load())
    return ast.copy_location(ast.Assign([ast.Name(var, ast.Store())], item), loop)


def reversed_loop(tr, node: ast.For) -> list:
    """``for i in reversed(range(...))``: a loop over the range with the reversed
    bounds (``lowering.sequences.reversed_range``), the bounds evaluated once."""
    it = node.iter
    inner = it.args[0] if len(it.args) == 1 and not it.keywords else None
    if not (isinstance(inner, ast.Call) and tr.is_outside(inner.func) and
            resolves_to(tr, inner.func, builtins.range) and 1 <= len(inner.args) <= 3
            and not inner.keywords):
        raise tr.parsed.error("reversed() in a kernel 'for' loop takes a range(...)",
                              node, "Write 'for i in reversed(range(n)):'.")
    args = [ast.copy_location(ast.Call(tr.helper("range_arg"), [tr.visit(a)], []), a)
            for a in inner.args]
    if len(args) == 1:
        args.insert(0, ast.Constant(0))
    if len(args) == 2:
        args.append(ast.Constant(1))
    k = tr.sequence_count
    tr.sequence_count += 1
    temp = sequence_temp(k)
    tr.locals.add(temp)
    bounds = ast.Call(tr.ref(seq_helpers.reversed_range, "reversed_range"), args, [])
    pre = ast.copy_location(ast.Assign([ast.Name(temp, ast.Store())], bounds), node)
    parts = [ast.Subscript(ast.Name(temp, ast.Load()), ast.Constant(j), ast.Load())
             for j in range(3)]
    node.iter = ast.copy_location(ast.Call(ast.Name("range", ast.Load()), parts, []), it)
    tr.unrolled.pop(node.target.id, None)
    node.body = tr.visit_body(node.body)
    return [pre, node]
