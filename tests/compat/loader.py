"""Load one Warp program under NVIDIA Warp or under numba_warp, unmodified but for imports.

A Warp program is Python source that says ``import warp as wp``. Under numba_warp the
source is read as data, its ``warp`` imports are rewritten to ``numba_warp`` (one line
for one line, so every line number stays the user's), and the result is written to a
file and imported from it: both numba_warp and Warp read kernel source from files, and
a file keeps tracebacks and error locations readable.

The rewrite (the only change a user makes to port a program), line by line:

* ``import warp as wp`` -> ``import numba_warp as wp``
* ``import warp.render`` -> ``import numba_warp.render; import numba_warp as warp``
* ``import warp.X as Y``, ``from warp[.X] import Y``: the same with ``numba_warp``
* ``from warp.tests.unittest_utils import *`` -> ``import numpy as np`` (Warp's own test
  helpers, which the examples star-import for ``np`` only)
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import os
import pathlib
import re
import sys
import tempfile
import types

try:  # as the suite's package ``compat`` or, from make_reference.py, as a plain module
    from .usd_stand_in import USD_EXAMPLES, stand_in_pxr
except ImportError:
    from usd_stand_in import USD_EXAMPLES, stand_in_pxr

__all__ = ["BACKENDS", "FRAMEWORKS", "framework_needed", "port_source", "load_program",
           "load_warp_example", "WARP_EXAMPLES", "EXAMPLES_ENV", "EXAMPLE_RESULTS",
           "example_results", "warp_examples_dir"]

BACKENDS = ("numba_warp", "warp")

WARP_EXAMPLES = ("example_wave", "example_fluid", "example_raymarch", "example_graph_capture",
                 "example_spin_lock", "example_work_queue", "example_sph", "example_dem",
                 "example_mesh", "example_raycast", "example_sample_mesh",
                 "example_mesh_intersect", "example_torch", "example_cupy")

#: examples that import a framework at their top: (the framework, the devices it is
#: needed on). example_cupy uses NumPy on the CPU; there a stand-in serves its
#: ``import cupy`` where CuPy is not installed
FRAMEWORKS = {"example_torch": ("torch", ("cpu", "cuda")), "example_cupy": ("cupy", ("cuda",))}

_RULES = [
    (re.compile(r"^(\s*)from warp\.tests\.unittest_utils import \*\s*$"),
     r"\1import numpy as np  # ported: was `from warp.tests.unittest_utils import *`"),
    (re.compile(r"^(\s*)import warp as (\w+)\s*$"), r"\1import numba_warp as \2"),
    (re.compile(r"^(\s*)import warp\.([\w.]+) as (\w+)\s*$"), r"\1import numba_warp.\2 as \3"),
    (re.compile(r"^(\s*)import warp\.([\w.]+)\s*$"),
     r"\1import numba_warp.\2; import numba_warp as warp"),
    (re.compile(r"^(\s*)import warp\s*$"), r"\1import numba_warp as warp"),
    (re.compile(r"^(\s*)from warp((?:\.[\w.]+)?) import "), r"\1from numba_warp\2 import "),
]


def port_source(text: str) -> str:
    """``text`` with its ``warp`` imports made ``numba_warp`` ones (same line count)."""
    out = []
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        for pattern, repl in _RULES:
            if pattern.match(body):
                body = pattern.sub(repl, body)
                break
        out.append(body + line[len(line.rstrip("\r\n")):])
    ported = "".join(out)
    assert ported.count("\n") == text.count("\n")
    leftover = [ln for ln in ported.splitlines()
                if re.match(r"\s*(import|from)\s+warp\b", ln)]
    if leftover:
        raise ValueError(f"imports of warp that the port does not know: {leftover}")
    return ported


def _import_file(path: pathlib.Path, module_name: str):
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # Warp and dataclass-like decorators look it up
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[module_name]
        raise
    return module


def load_program(path, backend: str, workdir) -> object:
    """Import the Warp program at ``path`` under ``backend`` ("warp" or "numba_warp").

    Under numba_warp the ported source goes to ``workdir``; the module is cached in
    ``sys.modules`` by a name made of the program's name and the backend.
    """
    path = pathlib.Path(path)
    name = f"compat_{path.stem}_{backend}"
    if name in sys.modules:
        return sys.modules[name]
    if backend == "warp":
        return _import_file(path, name)
    if backend != "numba_warp":
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    ported = pathlib.Path(workdir) / f"{path.stem}__numba_warp.py"
    _write_if_changed(ported, port_source(path.read_text(encoding="utf-8")))
    return _import_file(ported, name)


def _write_if_changed(path: pathlib.Path, text: str) -> None:
    """Write ``text`` to ``path`` unless it holds it already; whole or not at all (other
    test workers may be importing the same file)."""
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


#: a folder with copies of Warp's example files and Warp's results for them
#: (``make_reference.py --warp-examples DIR``), for machines where Warp cannot be installed
#: (the GPU machine): the examples then run under numba_warp against those results
EXAMPLES_ENV = "NUMBA_WARP_WARP_EXAMPLES"
#: the file in that folder holding Warp's results, ``<example>/<array>`` keys
EXAMPLE_RESULTS = "warp_cpu_results.npz"


def example_results(device) -> str:
    """The file name of Warp's stored example results on ``device`` ("cpu" or a GPU)."""
    return EXAMPLE_RESULTS if str(device) == "cpu" else "warp_cuda_results.npz"


def warp_examples_dir() -> pathlib.Path:
    override = os.environ.get(EXAMPLES_ENV)
    if override:
        return pathlib.Path(override)
    spec = importlib.util.find_spec("warp")
    return pathlib.Path(spec.origin).parent / "examples" / "core"


def framework_needed(stem: str, device) -> None:
    """Skip the calling test when ``stem`` needs a framework that is not installed."""
    framework, devices = FRAMEWORKS.get(stem, (None, ()))
    if framework and str(device).split(":")[0] in devices and \
            importlib.util.find_spec(framework) is None:
        import pytest

        pytest.skip(f"{stem} needs {framework} (pip install {framework}) on {device}")


@contextlib.contextmanager
def _stand_in_cupy():
    """An empty ``cupy`` module inside the block where CuPy is not installed (for
    example_cupy, which touches CuPy on CUDA devices only)."""
    if "cupy" in sys.modules or importlib.util.find_spec("cupy") is not None:
        yield
        return
    sys.modules["cupy"] = types.ModuleType("cupy", "stand-in: CuPy is not installed")
    try:
        yield
    finally:
        sys.modules.pop("cupy", None)


def load_warp_example(stem: str, backend: str, workdir):
    """One of Warp's own example files, read from the installed wheel, under ``backend``.

    Under Warp it is imported as Warp ships it (``warp.examples.core.<stem>``). The
    examples that read USD meshes are imported with the ``pxr`` stand-in
    (usd_stand_in.py), and example_cupy with a ``cupy`` one where CuPy is not installed,
    for both backends.
    """
    context = stand_in_pxr() if stem in USD_EXAMPLES else \
        _stand_in_cupy() if stem == "example_cupy" else contextlib.nullcontext()
    with context:
        if backend == "warp":
            return importlib.import_module(f"warp.examples.core.{stem}")
        return load_program(warp_examples_dir() / f"{stem}.py", backend, workdir)
