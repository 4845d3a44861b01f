"""Kernel source the tests generate, written to content-named files beside the suite's
kernel cache (tests/conftest.py) and imported from there: the same text gives the same
file, so the same kernel text (which names the file) and the same kernel-cache entries, in
every run and xdist worker. Kernels need a real file: numba_warp, like Warp, reads a
kernel's source from it."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import tempfile

_MODULES: dict = {}


def source_dir(kind: str) -> str:
    """The folder for generated files of ``kind``: beside the kernel cache, else the
    temporary folder."""
    base = os.environ.get("NUMBA_WARP_CACHE_DIR") or tempfile.gettempdir()
    return os.path.join(base, "test-sources", kind)


def import_source(src: str, kind: str, stem: str, module: str):
    """The module of ``src`` (named ``module``), written once to ``<kind>/<stem>_<hash>.py``
    and imported once per process."""
    digest = hashlib.sha256(src.encode()).hexdigest()[:16]
    key = (kind, stem, digest)
    mod = _MODULES.get(key)
    if mod is None:
        folder = source_dir(kind)
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, f"{stem}_{digest}.py")
        if not os.path.exists(path):  # (written whole, then renamed: workers may race)
            fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
            with os.fdopen(fd, "w") as f:
                f.write(src)
            os.replace(tmp, path)
        spec = importlib.util.spec_from_file_location(module, path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        _MODULES[key] = mod
    return mod
