"""Shared test set-up: a ``device`` fixture over the CPU and every GPU, the suite's kernel
cache, PTX compilation of every kernel the tests compiled (CUDA code generation is
checked even on machines without a GPU), and how pytest-xdist spreads the suite.

Kernel cache: kernels compile into ``.pytest_cache/numba_warp/`` of this checkout, which
is kept between runs, so a second run loads unchanged kernels instead of compiling them
(``NUMBA_WARP_CACHE_DIR=<empty folder>`` runs cold). Hits can never be stale: the keys are
the library's own (runtime/cache.py): a build folder per state of numba_warp's source and
of the toolchain, a generated module per hash of its text, which describes by value
everything the code reads. Test helpers that write kernel source (gradtable.py,
compat's ported programs) write it to content-named files beside the cache, so their
kernels have the same text, and so the same cache entries, in every run and worker.

PTX: after each test, each kernel variant compiled on the CPU and not yet checked in this
process is compiled to PTX; a variant whose generated text, argument types and target
compiled before (in another worker or an earlier run of the same build) is skipped: a
marker file per success is kept in the build's folder of the cache.

xdist: ``-n auto`` starts a worker per CPU this process may use, and the default
``load`` distribution is replaced by work stealing: each worker starts on a contiguous
share of the suite (a module's shared kernels compile in one worker) and idle workers
take over the tail of the busiest one's queue, so a few long tests (the gradient tables)
do not queue up behind each other on one worker.
"""

from __future__ import annotations

import gc
import hashlib
import os
import pathlib
import weakref

import pytest

try:
    from xdist.scheduler import WorkStealingScheduling
except ImportError:  # pytest-xdist (the test extra) is optional: the suite runs serially
    WorkStealingScheduling = None

_REPO = pathlib.Path(__file__).resolve().parent.parent
# JAX takes 75% of a GPU at its first use there: with several test processes on one GPU
# the others would run out of memory (set before any test imports jax)
os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
_cache = os.environ.setdefault("NUMBA_WARP_CACHE_DIR",
                               str(_REPO / ".pytest_cache" / "numba_warp"))

import numba_warp as wp  # noqa: E402
from numba_warp.runtime import kernel as _kernel_mod  # noqa: E402
from numba_warp.runtime import cuda_backend  # noqa: E402
from numba_warp.runtime.cache import cache_dir, library_hash  # noqa: E402

if os.environ.get("PYTEST_XDIST_WORKER") and cuda_backend.installed():
    # several test processes share a GPU: each returns the memory of freed arrays to the
    # driver soon (numba-cuda holds back up to a fifth of the GPU per process). A
    # precaution beside the JAX setting above, which was the cause of the out-of-memory
    # failures under many workers
    from numba.cuda.cudadrv import driver as _cuda_driver
    _cuda_driver.config.CUDA_DEALLOCS_RATIO = 0.02

HAS_GPU = wp.is_cuda_available()
DEVICES = ["cpu"] + [str(d) for d in wp.get_cuda_devices()]
PTX_CC = (9, 0)
#: numba-cuda (the ``cuda`` extra) is installed: kernels are also compiled to PTX
HAS_CUDA_BACKEND = cuda_backend.installed()

if not HAS_GPU and HAS_CUDA_BACKEND:
    # No GPU: let numba-cuda compile device functions to PTX for a pretend sm_90.
    import numba.cuda.dispatcher as _dispatcher

    class _FakeDevice:
        compute_capability = PTX_CC

    _dispatcher.get_current_device = lambda: _FakeDevice()


@pytest.fixture(params=DEVICES)
def device(request):
    """Every test that takes ``device`` runs on the CPU and on each GPU."""
    return request.param


@pytest.fixture
def cuda_backend_installed():
    """Skip a test that compiles CUDA code when numba-cuda is not installed."""
    if not HAS_CUDA_BACKEND:
        pytest.skip("needs numba-cuda: pip install '.[cuda]'")


@pytest.fixture
def gpu_device():
    if not HAS_GPU:
        pytest.skip("needs a CUDA GPU")
    return DEVICES[1]


# -- PTX of every kernel the tests ran -------------------------------------------------
# kernel -> the variants (argument types, adjoint, debug) compiled to PTX in this process
_checked: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _ptx_marker(k, sig, adjoint: bool) -> pathlib.Path:
    """The file that records that this release variant compiled to PTX: named by a hash of
    everything the PTX depends on (the library's build, the target, the generated module's
    text, which describes every value it reads by value, and the argument types)."""
    text = k.variant_source(adjoint)
    h = hashlib.sha256()
    for part in (library_hash(), repr(PTX_CC), repr(adjoint), repr(tuple(sig)), text):
        h.update(part.encode())
        h.update(b"\0")
    return cache_dir() / "ptx-checked" / h.hexdigest()[:32]


def _compile_ptx(k, sig, adjoint: bool, debug: bool) -> None:
    if debug:  # few; their checked text has no public spelling to key a marker on
        assert ".entry" in k.compile_ptx(sig, PTX_CC, adjoint=adjoint, debug=True)
        return
    marker = _ptx_marker(k, sig, adjoint)
    if marker.exists():
        return
    assert ".entry" in k.compile_ptx(sig, PTX_CC, adjoint=adjoint)
    marker.parent.mkdir(exist_ok=True)
    marker.touch()


def compile_all_to_ptx(kernels, adjoint_only: bool = False) -> int:
    """Compile each CPU variant of ``kernels`` not checked yet to PTX (``adjoint_only``:
    skip a forward variant whose backward was compiled: the backward replays the forward,
    so its PTX covers both). Returns how many variants were checked."""
    n = 0
    for k in kernels:
        release = k.compiled_cpu_variants
        variants = [(sig, adj, False) for sig, adj in release] + \
            [(sig, adj, True) for sig, adj in k.compiled_cpu_debug_variants]
        done = _checked.setdefault(k, set())
        for sig, adjoint, debug in variants:
            if (sig, adjoint, debug) in done:
                continue
            if adjoint_only and not adjoint and not debug and (sig, True) in release:
                done.add((sig, adjoint, debug))  # covered by the backward's PTX
                continue
            _compile_ptx(k, sig, adjoint, debug)
            done.add((sig, adjoint, debug))
            n += 1
    return n


@pytest.fixture(autouse=True, scope="module")
def _freeze_earlier_objects():
    """Objects made by earlier test modules (compiled kernels hold millions) go to the
    garbage collector's permanent generation: each full collection, ours (leak checks
    call gc.collect()) and Python's own, then scans only what this module made."""
    gc.freeze()
    yield


@pytest.fixture(autouse=True)
def _ptx_for_kernels_the_test_ran(request):
    """After each test, compile to PTX (no GPU) every kernel variant compiled on the CPU
    so far and not checked yet: those the test ran, whichever module defines them,
    including the package's own helper kernels. Checking after each test, rather than
    after each module, keeps the cost with the test that caused it (xdist balances by
    test) and catches kernels made inside a test before they are collected."""
    yield
    if HAS_GPU or not HAS_CUDA_BACKEND:
        return  # real CUDA launches already compiled them, or there is no CUDA backend
    kernels = _kernel_mod.all_kernels()
    if getattr(request.module, "PTX_SKIP_DOCTEST_KERNELS", False):
        # the API reference's examples (kernels defined in docstrings, which have no
        # module) run on a GPU in the GPU suite; the package's own kernels they compile
        # are still checked here
        kernels = [k for k in kernels if getattr(k.func, "__module__", None) is not None]
    compile_all_to_ptx(kernels, getattr(request.module, "PTX_ADJOINT_ONLY", False))


# -- pytest-xdist ------------------------------------------------------------------------
@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config):
    """``-n auto``: one worker per CPU this process may run on (compiling is single-threaded
    and CPU-bound; xdist's own count may take physical cores only)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """Work stealing instead of xdist's default ``load`` (which hands out contiguous
    chunks of up to a quarter of a worker's share at once: the gradient-table tests, next
    to each other, then all run on one worker while the others idle). An explicit
    ``--dist`` other than ``load`` is kept."""
    if config.getoption("dist") != "load":
        return None
    return WorkStealingScheduling(config, log)
