"""The kernel cache: generated source files and Numba's compiled code beside them.

Generated code is written to a real ``.py`` file named by the hash of its contents
(which include the hashes of everything it depends on and of this library's own
source), then imported. Numba's on-disk cache (``cache=True``) keys its entries on
that file, so an edit anywhere upstream gives a new file and a fresh compile, and an
unchanged kernel is loaded from disk by a later process instead of being recompiled.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import sys
import tempfile
from pathlib import Path

from .. import config
from .fingerprint import describe_refs

__all__ = ["cache_dir", "library_hash", "load_generated_module", "clear_kernel_cache",
           "generated_origin"]

_modules: dict[str, object] = {}
_origins: dict[str, object] = {}  # generated file path -> GeneratedFunction(s) for line maps
_lib_hash: list[str] = []


def cache_dir() -> Path:
    root = config.kernel_cache_dir or os.environ.get("NUMBA_WARP_CACHE_DIR")
    if root is None:
        from .. import __version__

        root = Path.home() / ".cache" / "numba_warp" / __version__
    path = Path(root)
    path.mkdir(parents=True, exist_ok=True)
    return path


_TOOLCHAIN = ("numba", "llvmlite", "numba-cuda", "cuda-bindings", "cuda-core",
              "nvidia-cuda-nvcc", "nvidia-nvvm", "cuda-toolkit", "numpy")


def toolchain_versions() -> str:
    """Versions of Python and of every package whose change can change compiled code."""
    from importlib import metadata

    from .. import __version__

    parts = [f"numba_warp={__version__}", f"python={sys.version.split()[0]}"]
    for dist in _TOOLCHAIN:
        try:
            parts.append(f"{dist}={metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            pass
    return " ".join(parts)


def library_hash() -> str:
    """Hash of this package's source files and of the toolchain's versions (numba,
    llvmlite, numba-cuda, the CUDA toolkit's packages), so cached kernels follow both."""
    if not _lib_hash:
        h = hashlib.sha256()
        pkg = Path(__file__).resolve().parent.parent
        for f in sorted(pkg.rglob("*.py")):
            st = f.stat()
            h.update(f"{f.relative_to(pkg)}:{st.st_size}:{st.st_mtime_ns}".encode())
        h.update(toolchain_versions().encode())
        _lib_hash.append(h.hexdigest()[:16])
    return _lib_hash[0]


def module_text(source: str, refs: dict) -> str:
    """The text of a generated module: ``source`` under a header that describes, by value,
    every global it is given. The header is part of the file's content hash, so a changed
    constant, literal, closure value or called function gives a new file and a compile."""
    return f"# globals bound at load time:\n{describe_refs(refs)}\n{source}"


def load_generated_module(source: str, tag: str, refs: dict, origin=None):
    """Write ``source`` (under a header describing ``refs``) to the cache (once) and
    import it; ``refs`` become its globals."""
    source = module_text(source, refs)
    digest = hashlib.sha256((library_hash() + source).encode()).hexdigest()[:20]
    name = f"{tag}_{digest}"
    mod = _modules.get(name)
    if mod is None:
        path = cache_dir() / f"{name}.py"
        if not path.exists() or path.read_text() != source:
            fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
            with os.fdopen(fd, "w") as f:
                f.write(source)
            os.replace(tmp, path)
        spec = importlib.util.spec_from_file_location(f"numba_warp_generated.{name}", path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        sys.modules[spec.name] = mod
        _modules[name] = mod
        if origin is not None:
            _origins[os.path.realpath(path)] = origin
    mod.__dict__.update(refs)
    return mod


def generated_origin(filename: str):
    """The generated function written to ``filename`` (any spelling of the path), or None."""
    return _origins.get(os.path.realpath(filename))


def clear_kernel_cache() -> None:
    """Delete all generated source and compiled kernels from the cache directory."""
    path = cache_dir()
    for entry in path.iterdir():
        if entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            try:
                entry.unlink()
            except OSError:
                pass
    _modules.clear()
