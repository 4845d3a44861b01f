"""The package's floors (docs: DESIGN.md "Layout"): each module imports only modules on
its own floor or below, imports inside function bodies are for optional or heavy
dependencies, and no module takes another module's underscore names. Read with ``ast``
from the source, so the structure cannot drift without this test failing."""

from __future__ import annotations

import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "numba_warp"

# bottom to top; config and constants are leaves anyone may import
FLOORS = ["typing", "lowering", "lang", "frontend", "autodiff", "runtime", "geometry",
          "tape", "autograd", "interop", "__init__"]
LEAVES = {"config", "constants", "version", "unsupported", "lazy"}
# imports that may sit in a function body: optional or heavy dependencies only
OPTIONAL = ("torch", "jax", "cupy", "IPython", "numba.cuda", "matplotlib", "PIL",
            "warp", "graphviz", "numba_cuda", "cuda", "llvmlite.binding", "nvtx")


def _modules():
    paths = sorted(PACKAGE.rglob("*.py"))
    assert len(paths) > 20, f"the package was not found at {PACKAGE}"
    for path in paths:
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        yield path, name, ast.parse(path.read_text(encoding="utf-8"))


def _floor(module: str) -> int:
    parts = module.split(".")
    top = parts[1] if len(parts) > 1 else "__init__"
    if top in LEAVES:
        return -1
    # a name from the package itself (``from numba_warp import __version__``) is the face's
    return FLOORS.index(top if top in FLOORS else "__init__")


def _target(path: pathlib.Path, module: str, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _imports():
    for path, module, tree in _modules():
        in_body = {id(sub) for fn in ast.walk(tree)
                   if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef))
                   for sub in ast.walk(fn)}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                target = _target(path, module, node)
                names = [a.name for a in node.names]
            elif isinstance(node, ast.Import):
                target, names = "", [a.name for a in node.names]
            elif _lazy_target(node) is not None:
                # LazyModule("numba_warp.x.y") (numba_warp/lazy.py): an import made at the
                # module's first use, under the same rules as an import statement
                target, names = _lazy_target(node), []
            else:
                continue
            yield path, module, node, target, names, id(node) in in_body


def _lazy_target(node) -> str | None:
    if not (isinstance(node, ast.Call) and node.args and
            isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
        return None
    fn = node.func
    name = fn.id if isinstance(fn, ast.Name) else getattr(fn, "attr", None)
    return node.args[0].value if name == "LazyModule" else None


def _where(path, node) -> str:
    return f"{path.relative_to(PACKAGE.parent)}:{node.lineno}"


def test_no_module_imports_a_floor_above_its_own():
    bad = []
    for path, module, node, target, names, _ in _imports():
        if not target.startswith("numba_warp"):
            continue
        targets = [f"{target}.{n}" for n in names] if target == "numba_warp" else [target]
        for t in targets:
            if _floor(t) > _floor(module):
                bad.append(f"{_where(path, node)}: {module} imports {t}")
    assert not bad, "imports that go up a floor:\n" + "\n".join(bad)


def test_imports_in_function_bodies_are_for_optional_dependencies():
    bad = []
    for path, module, node, target, names, in_body in _imports():
        if not in_body:
            continue
        whats = [target, *(f"{target}.{n}" for n in names)] if target else names
        if not any(w.startswith(OPTIONAL) for w in whats):
            bad.append(f"{_where(path, node)}: {whats[0]}")
    assert not bad, "imports inside function bodies:\n" + "\n".join(bad)


def test_no_module_takes_another_modules_private_names():
    bad = []
    for path, module, node, target, names, _ in _imports():
        if not target.startswith("numba_warp") or target == module:
            continue
        private = [n for n in names if n.startswith("_") and not n.startswith("__")]
        if private:
            bad.append(f"{_where(path, node)}: {target} {private}")
    assert not bad, "private names imported from other modules:\n" + "\n".join(bad)


def _docstring_lines(tree) -> set:
    """The line numbers of a module's docstrings (module, classes, functions): the API
    reference's examples live there, and documentation does not count as code."""
    lines = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                lines.update(range(body[0].lineno, body[0].end_lineno + 1))
    return lines


@pytest.mark.parametrize("limit", [800])
def test_modules_stay_readable(limit):
    long = []
    for p, _, tree in _modules():
        n = len(p.read_text().splitlines()) - len(_docstring_lines(tree))
        if n > limit:
            long.append(f"{p.relative_to(PACKAGE.parent)}: {n} lines besides docstrings")
    assert not long, f"modules over {limit} lines:\n" + "\n".join(long)


def test_functions_stay_readable():
    long = []
    for path, _, tree in _modules():
        docs = _docstring_lines(tree)
        for fn in ast.walk(tree):
            if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = sum(1 for ln in range(fn.lineno, fn.end_lineno + 1) if ln not in docs)
                if n > 80:
                    long.append(f"{_where(path, fn)}: {fn.name} ({n} lines)")
    assert not long, "functions over 80 lines:\n" + "\n".join(long)
