"""Debug-mode code: a generated kernel or function with its array accesses checked.

:func:`instrument` rewrites the forward code that :func:`codegen.generate` made (with
``mode="debug"``, so ``assert`` statements are kept) into code where

* every element load ``a[i, j]`` of an array (a parameter, an array field of a struct
  parameter, a local bound to one, a row view ``a[i]`` of one) and every load with a
  computed index whose base may be an array (``typing.Any`` parameters, other locals)
  goes through a checked ``getitem``;
* every store (``a[i] = v``, the ``store`` helper for struct fields), in-place update
  (``a[i] += v``) and atomic (``wp.atomic_add(a, i, v)``, ...) goes through its
  checked form;
* ``assert test`` becomes ``if not test: <record the failure>`` (and, in a kernel,
  ends the thread).

Each check carries a *site code*: a stable integer naming the user's file, line,
function and expression; :data:`SITES` maps codes back to :class:`CheckSite`. The
checks themselves (``lowering/debug_checks.py``) record the first failure of a launch;
the launcher turns it into one Python exception.

Not checked: loads with a constant index from locals that are not known to be arrays
(arrays made inside the kernel, arrays returned by calls), and backward passes (they
replay accesses the forward pass checked, on gradient arrays of the same shapes).
"""

from __future__ import annotations

import ast
import copy
import hashlib
import linecache
import operator

from ..lowering import debug_checks, kernel_helpers
from .emit import GeneratedSource, SourceWriter
from .naming import DEBUG_DEFINE_SLOT, DEBUG_PREFIX, DIMS, TID

__all__ = ["CheckSite", "SITES", "instrument"]


class CheckSite:
    """One checked access or assert in user code."""

    __slots__ = ("kind", "expr", "filename", "lineno", "function", "is_kernel", "root",
                 "message")

    def __init__(self, kind, expr, filename, lineno, function, is_kernel, root, message=""):
        self.kind = kind  # "read", "write", "atomic" or "assert"
        self.expr = expr  # the array expression (``a``, ``s.arr``) or the assert's test
        self.filename = filename
        self.lineno = lineno
        self.function = function
        self.is_kernel = is_kernel
        self.root = root  # the parameter the array comes from (None: a local)
        self.message = message  # an assert's message, when it is a string constant


#: site code -> CheckSite, for every site of every instrumented function in the process
SITES: dict[int, CheckSite] = {}



def _site_code(site: CheckSite, col: int) -> int:
    key = "\0".join(map(str, (site.filename, site.function, site.lineno, col, site.kind,
                              site.expr)))
    code = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "little") >> 1
    return code or 1


def _is_constant_index(node) -> bool:
    if isinstance(node, ast.Tuple):
        return all(_is_constant_index(e) for e in node.elts)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        return _is_constant_index(node.operand)
    return isinstance(node, ast.Constant)


def _index_count(node) -> int:
    return len(node.elts) if isinstance(node, ast.Tuple) else 1


class _Arrays:
    """Which expressions of a function are arrays, and of how many dimensions.

    ``ndim`` is an int for a known array, ``None`` for a value that may be an array
    (a ``typing.Any`` parameter), and ``False`` for anything else.
    """

    def __init__(self, params):
        self.names: dict[str, object] = {}
        self.structs: dict[str, type] = {}
        self.params = set()
        self.alias_root: dict[str, str] = {}
        for name, spec in params:
            kind = getattr(spec, "kind", "")
            if kind == "array":
                self.names[name] = spec.ndim
            elif kind == "any":
                self.names[name] = None
            elif kind == "struct":
                self.structs[name] = spec.struct_cls
            else:
                continue
            self.params.add(name)

    def ndim(self, node):
        if isinstance(node, ast.Name):
            return self.names.get(node.id, False)
        if isinstance(node, ast.Attribute):
            spec = self._field(node)
            if spec is not None and spec.kind == "array":
                return spec.ndim
            return False
        if isinstance(node, ast.Subscript):
            inner = self.ndim(node.value)
            if isinstance(inner, int) and inner is not False and \
                    not isinstance(node.slice, ast.Slice):
                k = _index_count(node.slice)
                return inner - k if k < inner else False
        return False

    def _field(self, node):
        """The field spec of ``s.a.b`` when ``s`` is a struct parameter, else None."""
        if isinstance(node.value, ast.Name):
            cls = self.structs.get(node.value.id)
        elif isinstance(node.value, ast.Attribute):
            spec = self._field(node.value)
            cls = spec.struct_cls if spec is not None and spec.kind == "struct" else None
        else:
            cls = None
        if cls is None:
            return None
        return dict(cls._wp_struct_.fields).get(node.attr)

    def follow_aliases(self, body):
        """Locals bound to arrays (``b = a``, ``f = s.field``, ``row = m[i]``)."""
        assigns = [n for stmt in body for n in ast.walk(stmt)
                   if isinstance(n, ast.Assign) and len(n.targets) == 1 and
                   isinstance(n.targets[0], ast.Name)]
        changed = True
        while changed:
            changed = False
            for node in assigns:
                name = node.targets[0].id
                nd = self.ndim(node.value)
                if nd is not False and name not in self.names and name not in self.structs:
                    self.names[name] = nd
                    root = self.root(node.value)
                    if root is not None:
                        self.alias_root[name] = root
                    changed = True

    def root(self, node):
        while isinstance(node, (ast.Attribute, ast.Subscript)):
            node = node.value
        if isinstance(node, ast.Name):
            return node.id if node.id in self.params else self.alias_root.get(node.id)
        return None


class _Instrument(ast.NodeTransformer):
    def __init__(self, gen: GeneratedSource, arrays: _Arrays, is_kernel: bool):
        self.gen = gen
        self.parsed = gen.parsed
        self.arrays = arrays
        self.is_kernel = is_kernel
        self.refs: dict[str, object] = {}

    def helper(self, fn) -> ast.Name:
        checked = debug_checks.CHECKED[fn] if fn in debug_checks.CHECKED else fn
        name = DEBUG_PREFIX + checked._name
        self.refs[name] = checked
        return ast.Name(name, ast.Load())

    def site(self, kind, expr_node, node, message="") -> ast.Constant:
        lineno = getattr(node, "lineno", None) or self.parsed.tree.lineno
        if kind == "assert":  # the test as the user wrote it, not as generated
            text = linecache.getline(self.parsed.filename, lineno).strip()
        else:
            text = ast.unparse(expr_node)
        site = CheckSite(kind, text, self.parsed.filename, lineno, self.parsed.qualname,
                         self.is_kernel, self.arrays.root(expr_node), message)
        code = _site_code(site, getattr(node, "col_offset", 0))
        SITES[code] = site
        return ast.Constant(code)

    def tid(self) -> ast.expr:
        return ast.Name(TID, ast.Load()) if self.is_kernel else ast.Constant(-1)

    def checked(self, fn, base, index, rest, site) -> ast.Call:
        args = [base, index, ast.Tuple(list(rest), ast.Load()), site, self.tid()]
        return ast.Call(self.helper(fn), args, [])

    def wants_check(self, base, index) -> bool:
        return self.arrays.ndim(base) is not False or not _is_constant_index(index)

    # -- statements ------------------------------------------------------------------
    def visit_Assert(self, node: ast.Assert):
        msg = node.msg.value if isinstance(node.msg, ast.Constant) else ""
        site = self.site("assert", node.test, node, str(msg))
        test = self.visit(node.test)
        call = ast.Call(self.helper(debug_checks.assert_failed), [site, self.tid()], [])
        body = [ast.Expr(call)] + ([ast.Return(None)] if self.is_kernel else [])
        out = ast.If(ast.UnaryOp(ast.Not(), test), body, [])
        return ast.fix_missing_locations(ast.copy_location(out, node))

    def visit_Assign(self, node: ast.Assign):
        target = node.targets[0]
        if len(node.targets) == 1 and isinstance(target, ast.Subscript) and \
                self.arrays.ndim(target.value) is not False:
            site = self.site("write", target.value, target)
            value = self.visit(node.value)
            index = self.visit(target.slice)
            call = self.checked(kernel_helpers.store, target.value, index, [value], site)
            return ast.copy_location(ast.Expr(call), node)
        self.generic_visit(node)
        return node

    # -- expressions -----------------------------------------------------------------
    def visit_Subscript(self, node: ast.Subscript):
        check = isinstance(node.ctx, ast.Load) and not isinstance(node.slice, ast.Slice) \
            and self.wants_check(node.value, node.slice)
        site = self.site("read", node.value, node) if check else None
        self.generic_visit(node)
        if not check:
            return node
        call = self.checked(operator.getitem, node.value, node.slice, [], site)
        return ast.copy_location(call, node)

    def visit_Call(self, node: ast.Call):
        fn = self.gen.refs.get(node.func.id) if isinstance(node.func, ast.Name) else None
        if fn is None or node.keywords or not _hashable_in(fn, debug_checks.CHECKED):
            self.generic_visit(node)
            return node
        n_values = debug_checks.SPREAD.get(fn)
        if n_values is not None:
            if len(node.args) < 2 + n_values:
                self.generic_visit(node)
                return node  # let the atomic's own typing report the bad call
            kind = "atomic"
        else:
            if len(node.args) != 3 or not self.wants_check(node.args[0], node.args[1]):
                self.generic_visit(node)
                return node
            kind = "write" if fn is kernel_helpers.store else "atomic"
        site = self.site(kind, node.args[0], node)
        self.generic_visit(node)
        args = node.args
        if n_values is not None:
            base, rest = args[0], args[len(args) - n_values:]
            index = ast.Tuple(args[1:len(args) - n_values], ast.Load())
        else:
            base, index, rest = args[0], args[1], args[2:]
        return ast.copy_location(self.checked(fn, base, index, rest, site), node)


def _hashable_in(obj, table) -> bool:
    try:
        return obj in table
    except TypeError:
        return False


def instrument(gen: GeneratedSource, params, *, is_kernel: bool,
               map_ref=lambda obj: obj) -> GeneratedSource:
    """The debug-mode version of ``gen`` (made with ``mode="debug"``); see the module
    docstring. ``map_ref`` replaces each bound object (a ``@wp.func`` by its checked
    twin); the result is a new :class:`GeneratedSource` with the same name and
    parameters."""
    arrays = _Arrays(params)
    body = copy.deepcopy(gen.body)
    arrays.follow_aliases(list(gen.prologue) + body)
    tr = _Instrument(gen, arrays, is_kernel)
    out_body = []
    for stmt in body:
        new = tr.visit(stmt)
        out_body.extend(new if isinstance(new, list) else [new])
    out_body = [ast.fix_missing_locations(s) for s in out_body]

    writer = SourceWriter()
    head = [TID, *DIMS] if is_kernel else []
    origin = gen.parsed.tree.lineno
    writer.line(f"def {gen.name}({', '.join(head + list(gen.params))}):", origin)
    for stmt in gen.prologue:
        writer.line(ast.unparse(stmt), origin, 1)
    writer.statements(out_body, 1)
    refs = {k: map_ref(v) for k, v in gen.refs.items()}
    refs.update(tr.refs)
    refs[DEBUG_DEFINE_SLOT] = debug_checks.define_slot
    return GeneratedSource(gen.name, gen.params, writer, refs, [map_ref(d) for d in gen.deps],
                           gen.parsed, tid_arity=gen.tid_arity, body=out_body,
                           prologue=gen.prologue, tid_names=gen.tid_names)
