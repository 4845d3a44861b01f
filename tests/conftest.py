"""Shared test set-up: a ``device`` fixture over the CPU and every GPU, a private kernel
cache, and PTX compilation of every kernel the tests compiled (CUDA code generation is
checked even on machines without a GPU)."""

from __future__ import annotations

import gc
import os
import tempfile

import pytest

_cache = os.environ.setdefault("NUMBA_WARP_CACHE_DIR",
                               tempfile.mkdtemp(prefix="numba_warp_test_cache_"))

import numba_warp as wp  # noqa: E402
from numba_warp.runtime import kernel as _kernel_mod  # noqa: E402

HAS_GPU = wp.is_cuda_available()
DEVICES = ["cpu"] + [str(d) for d in wp.get_cuda_devices()]

if not HAS_GPU:
    # No GPU: let numba-cuda compile device functions to PTX for a pretend sm_90.
    import numba.cuda.dispatcher as _dispatcher

    class _FakeDevice:
        compute_capability = (9, 0)

    _dispatcher.get_current_device = lambda: _FakeDevice()


@pytest.fixture(params=DEVICES)
def device(request):
    """Every test that takes ``device`` runs on the CPU and on each GPU."""
    return request.param


@pytest.fixture
def gpu_device():
    if not HAS_GPU:
        pytest.skip("needs a CUDA GPU")
    return DEVICES[1]


def compile_all_to_ptx(kernels, adjoint_only=False) -> int:
    n = 0
    for k in kernels:
        for sig, adjoint in k.compiled_cpu_variants:
            if adjoint_only and not adjoint and (sig, True) in k.compiled_cpu_variants:
                continue  # the backward pass replays the forward: its PTX covers both
            ptx = k.compile_ptx(sig, adjoint=adjoint)
            assert ".entry" in ptx
            n += 1
        for sig, adjoint in k.compiled_cpu_debug_variants:  # wp.config.mode = "debug"
            assert ".entry" in k.compile_ptx(sig, adjoint=adjoint, debug=True)
            n += 1
    return n


@pytest.fixture(autouse=True, scope="module")
def _freeze_earlier_objects():
    """Objects made by earlier test modules (compiled kernels hold millions) go to the
    garbage collector's permanent generation: each full collection, ours (leak checks
    call gc.collect()) and Python's own, then scans only what this module made."""
    gc.freeze()
    yield


@pytest.fixture(autouse=True, scope="module")
def _ptx_for_module_kernels(request):
    """After a test module, compile each kernel it ran on the CPU to PTX (no GPU).

    Covers kernels defined at module level (by their module), those created inside
    the module's tests (created while it ran) and the package's own helper kernels.
    Results are cached per kernel, so a test that already compiled a kernel to PTX costs
    nothing here.
    """
    before = set(map(id, _kernel_mod.all_kernels()))
    yield
    if HAS_GPU:
        return  # real CUDA launches already compiled them
    name = request.module.__name__
    # (and the package's own helper kernels, e.g. wp.utils and array operators, for the
    # argument types this module used them with; PTX is cached per variant)
    mine = [k for k in _kernel_mod.all_kernels()
            if id(k) not in before or getattr(k.func, "__module__", None) == name
            or str(getattr(k.func, "__module__", "")).startswith("numba_warp.")]
    compile_all_to_ptx(mine, getattr(request.module, "PTX_ADJOINT_ONLY", False))
