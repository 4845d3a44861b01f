"""The kernel cache: generated source files and Numba's compiled code beside them.

Generated code is written to a real ``.py`` file named by the hash of its contents
(which include, by value, everything it depends on; see ``fingerprint``), then
imported. Numba's on-disk cache (``cache=True``) keys its entries on that file, so an
edit anywhere upstream gives a new file and a fresh compile, and an unchanged kernel is
loaded from disk by a later process instead of being recompiled.

Layout: ``<root>/<build>/`` where ``<root>`` is ``wp.config.kernel_cache_dir``,
``$NUMBA_WARP_CACHE_DIR`` or ``~/.cache/numba_warp``, and ``<build>`` names this library's
build (its version and a hash of its source and of the toolchain's versions). Builds not
used for :data:`PRUNE_AFTER_DAYS` days, and all but the :data:`KEEP_BUILDS` most recently
used, are deleted when a process first uses the cache, so reinstalls and upgrades do not
make it grow without bound.

Generated modules are named ``numba_warp_generated.<tag>_<digest>`` and can be imported by
that name in any process (a finder on ``sys.meta_path`` execs the file from this build's
folder): Numba's cached code names the module of every function it links in (it rebuilds
each function's environment by importing it), and a kernel loaded from the cache must not
depend on this process having generated the code of the functions it calls. Such a module,
imported by name, has no globals bound; :func:`load_generated_module` binds them when the
code is generated in this process.

Failures never stop a program: a damaged cache entry (a truncated or garbage file) is
reported once, recompiled and replaced; a cache directory that cannot be written is
reported once and a temporary directory is used instead.
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.util
import os
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path

from .. import config
from ..lowering.cpu_init import load_cached_cpu_code
from ..version import __version__
from .fingerprint import describe_refs

__all__ = ["cache_dir", "cache_root", "library_hash", "load_generated_module",
           "clear_kernel_cache", "generated_origin", "guard_disk_cache", "PRUNE_AFTER_DAYS",
           "KEEP_BUILDS"]

#: Cache folders of other builds of this library are deleted after this many days unused.
PRUNE_AFTER_DAYS = 7
#: At most this many builds' folders are kept (the most recently used).
KEEP_BUILDS = 4

_PACKAGE = "numba_warp_generated"
_modules: dict[str, object] = {}
_exec_text: dict[str, str] = {}  # generated module name -> the source it was executed from
_origins: dict[str, object] = {}  # generated file path -> GeneratedSource(s) for line maps
_lib_hash: list[str] = []
_usable: dict[str, Path] = {}  # requested build folder -> the folder actually used
_warned: set = set()
_BUILD_PREFIX = "build-"


def cache_root() -> Path:
    """The configured cache root (it holds one folder per build of this library)."""
    root = config.kernel_cache_dir or os.environ.get("NUMBA_WARP_CACHE_DIR")
    return Path(root) if root else Path.home() / ".cache" / "numba_warp"


def cache_dir() -> Path:
    """This build's folder of the kernel cache (made, checked and pruned on first use)."""
    wanted = cache_root() / f"{_BUILD_PREFIX}{__version__}-{library_hash()}"
    key = str(wanted)
    path = _usable.get(key)
    if path is None:
        path = _usable[key] = _writable_or_temporary(wanted)
        if path == wanted:
            _prune_other_builds(wanted)
    return path


def _writable_or_temporary(path: Path) -> Path:
    try:
        path.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=path, suffix=".probe")
        os.close(fd)
        os.unlink(probe)
        os.utime(path)  # "last used", for pruning
        return path
    except OSError as exc:
        tmp = Path(tempfile.mkdtemp(prefix="numba_warp_cache_"))
        _warn_once(f"numba_warp: the kernel cache directory {path} cannot be written ({exc}); "
                   f"compiling into {tmp} for this process only. Set wp.config."
                   "kernel_cache_dir or $NUMBA_WARP_CACHE_DIR to a writable directory to "
                   "keep compiled kernels between runs.")
        return tmp


def _prune_other_builds(current: Path) -> None:
    try:
        builds = [p for p in current.parent.iterdir()
                  if p.is_dir() and p.name.startswith(_BUILD_PREFIX) and p != current]
        builds.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    except OSError:
        return
    now = time.time()
    for k, p in enumerate(builds):
        try:
            old = now - p.stat().st_mtime > PRUNE_AFTER_DAYS * 86400
        except OSError:
            continue
        if old or k >= KEEP_BUILDS - 1:
            shutil.rmtree(p, ignore_errors=True)


def _warn_once(message: str) -> None:
    if message not in _warned:
        _warned.add(message)
        warnings.warn(message, RuntimeWarning, stacklevel=3)


def guard_disk_cache(dispatcher, load_cached=load_cached_cpu_code):
    """Make a Numba dispatcher's on-disk cache failure-proof; returns the dispatcher.

    ``load_cached(load, load_unrefreshed, sig, target_context)`` reads one entry: the
    default skips starting Numba's CPU target where it can (see lowering/cpu_init); the
    CUDA backend passes its own.

    A cache entry that cannot be read (a truncated data file, a garbage index, code from
    a toolchain that no longer loads) is reported once, its index is reset, and the
    function is compiled and saved again. A cache that cannot be written is reported once
    and the compiled code is kept in memory.
    """
    disk = getattr(dispatcher, "_cache", None)
    load = getattr(disk, "load_overload", None)
    load_unrefreshed = getattr(disk, "_load_overload", None)
    save = getattr(disk, "save_overload", None)
    if load is None or save is None or getattr(disk, "_numba_warp_guarded", False):
        return dispatcher

    def guarded_load(sig, target_context):
        try:
            return load_cached(load, load_unrefreshed, sig, target_context)
        except Exception as exc:  # noqa: BLE001 - any unreadable entry is a cache miss
            where = getattr(disk, "cache_path", "?")
            _warn_once(f"numba_warp: a damaged kernel cache entry in {where} could not be "
                       f"read ({type(exc).__name__}: {exc}); it is recompiled and replaced.")
            try:
                disk.flush()  # an empty index: the entry is written again after compiling
            except OSError:
                pass
            return None

    def guarded_save(sig, data):
        try:
            save(sig, data)
        except OSError as exc:
            _warn_once(f"numba_warp: cannot write to the kernel cache "
                       f"({type(exc).__name__}: {exc}); compiled kernels are kept in memory "
                       "for this process only.")

    disk.load_overload = guarded_load
    disk.save_overload = guarded_save
    disk._numba_warp_guarded = True
    return dispatcher


_TOOLCHAIN = ("numba", "llvmlite", "numba-cuda", "cuda-bindings", "cuda-core",
              "nvidia-cuda-nvcc", "nvidia-nvvm", "cuda-toolkit", "numpy")


def toolchain_versions() -> str:
    """Versions of Python and of every package whose change can change compiled code."""
    parts = [f"numba_warp={__version__}", f"python={sys.version.split()[0]}"]
    listed = _dist_info_versions()
    for dist in _TOOLCHAIN:
        version = listed.get(_normalized(dist))
        if version is not None:
            parts.append(f"{dist}={version}")
    return " ".join(parts)


def _normalized(dist: str) -> str:
    return dist.lower().replace("-", "_").replace(".", "_")


def _dist_info_versions() -> dict:
    """``{normalized name: version}`` read off the ``<name>-<version>.dist-info`` (and
    legacy ``<name>-<version>[-pyX.Y].egg-info``) folders on ``sys.path``, the first of a
    name winning as for imports: one directory listing per path entry, where
    ``importlib.metadata`` would parse each package's METADATA file and scan every
    installed package for each one that is missing (~20 ms of a warm start)."""
    out: dict = {}
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for name in names:
            stem, dot, kind = name.rpartition(".")
            if dot and kind in ("dist-info", "egg-info") and stem.count("-") >= 1:
                dist, version = stem.split("-")[:2]
                out.setdefault(_normalized(dist), version)
    return out


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
        # imported by name already (a cached kernel linked it in): bind its globals,
        # so that its functions and the environments Numba rebuilt share one namespace
        mod = sys.modules.get(f"{_PACKAGE}.{name}")
        if mod is None or _exec_text.get(name) != source:
            mod = _import_generated(name, path)
        _modules[name] = mod
        if origin is not None:
            _origins[os.path.realpath(path)] = origin
    mod.__dict__.update(refs)
    return mod


def _import_generated(name: str, path: Path):
    """Execute the generated file ``path`` as the module ``numba_warp_generated.<name>``."""
    spec = importlib.util.spec_from_file_location(f"{_PACKAGE}.{name}", path,
                                                  loader=_GeneratedLoader(name, path))
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    try:
        spec.loader.exec_module(mod)
    except BaseException:
        sys.modules.pop(spec.name, None)
        raise
    return mod


class _GeneratedLoader(importlib.abc.Loader):
    """Executes a generated file, remembering the text it ran (no bytecode cache: the
    files are small, and the text is compared with what a later generation expects)."""

    def __init__(self, name: str, path: Path):
        self.name = name
        self.path = path

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        text = self.path.read_text()
        code = compile(text, str(self.path), "exec", dont_inherit=True)
        _exec_text[self.name] = text
        exec(code, module.__dict__)  # noqa: S102 - our own generated file


class _GeneratedFinder(importlib.abc.MetaPathFinder):
    """Finds ``numba_warp_generated.<name>`` in the kernel cache of this build."""

    def find_spec(self, fullname, path=None, target=None):
        package, _, name = fullname.partition(".")
        if package != _PACKAGE:
            return None
        if not name:  # the package: a namespace for the generated modules
            return importlib.util.spec_from_loader(_PACKAGE, None, is_package=True)
        if "." in name:
            return None
        for folder in dict.fromkeys([cache_dir(), *_usable.values()]):
            file = folder / f"{name}.py"
            if file.is_file():
                return importlib.util.spec_from_file_location(
                    fullname, file, loader=_GeneratedLoader(name, file))
        return None


if not any(isinstance(f, _GeneratedFinder) for f in sys.meta_path):
    sys.meta_path.append(_GeneratedFinder())


def generated_origin(filename: str):
    """The generated function written to ``filename`` (any spelling of the path), or None."""
    return _origins.get(os.path.realpath(filename))


def clear_kernel_cache() -> None:
    """Delete all generated source and compiled kernels, of every build, from the cache
    root (``wp.config.kernel_cache_dir``, ``$NUMBA_WARP_CACHE_DIR`` or
    ``~/.cache/numba_warp``). A typical program's kernels take a few MB; the test suite's
    about 100 MB.

    Example
    -------
    A cache in a folder of its own, so that the example leaves the real one alone:

    >>> import os, tempfile
    >>> saved = wp.config.kernel_cache_dir
    >>> wp.config.kernel_cache_dir = tempfile.mkdtemp()
    >>> @wp.kernel
    ... def k(a: wp.array(dtype=float)):
    ...     a[wp.tid()] = 1.0
    >>> wp.launch(k, dim=1, inputs=[wp.zeros(1, dtype=float)])
    >>> len(os.listdir(wp.config.kernel_cache_dir))  # this build's folder
    1
    >>> wp.clear_kernel_cache()
    >>> os.listdir(wp.config.kernel_cache_dir)
    []
    >>> wp.config.kernel_cache_dir = saved
    """
    path = cache_root()
    if not path.is_dir():
        return
    for entry in path.iterdir():
        ours = entry.name.startswith(_BUILD_PREFIX) or entry.name == "__pycache__" or \
            entry.suffix in (".py", ".nbi", ".nbc", ".tmp")  # (the older flat layout)
        if not ours:
            continue
        if entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            try:
                entry.unlink()
            except OSError:
                pass
    _modules.clear()
    _exec_text.clear()
    _usable.clear()
