"""Everything that talks to CUDA, in one place (through numba-cuda and cuda.core).

The rest of the runtime asks this module for memory, copies, streams, events,
compiled kernels and launches, so a second CUDA backend (numba-cuda-mlir) can be
added here without touching user-facing code. Nothing here is imported until a
CUDA device is first used, so CPU-only programs never pay for CUDA start-up.
"""

from __future__ import annotations

import threading

import numpy as np

from ..typing.registry import install_cuda_typeof
from .cache import guard_disk_cache

__all__ = [
    "available",
    "device_count",
    "device_info",
    "ContextGuard",
    "grid_blocks",
    "alloc",
    "alloc_pinned",
    "memcpy_htod",
    "memcpy_dtoh",
    "memcpy_dtod",
    "memcpy_peer",
    "memset8",
    "memset32",
    "create_stream",
    "external_stream",
    "core_stream",
    "create_event",
    "compile_kernel",
    "global_address",
    "read_device",
    "launch",
]

_lock = threading.Lock()
_state = {"available": None}


def _np_compat():
    # numba-cuda 0.30 uses np.row_stack, which NumPy 2.5 removed; it is vstack.
    if not hasattr(np, "row_stack"):
        np.row_stack = np.vstack


def cuda():
    _np_compat()
    from numba import cuda as _cuda  # heavy: imported when CUDA is first used

    install_cuda_typeof()
    return _cuda


def driver():
    from numba.cuda.cudadrv import driver as _driver

    return _driver


def available() -> bool:
    """True when a CUDA driver and at least one GPU are present."""
    with _lock:
        if _state["available"] is None:
            try:
                _state["available"] = bool(cuda().is_available())
            except Exception:  # no driver, broken install: CPU only
                _state["available"] = False
        return _state["available"]


def device_count() -> int:
    return len(cuda().gpus) if available() else 0


def device_info(ordinal: int) -> dict:
    dev = cuda().gpus[ordinal]
    with ContextGuard(ordinal):
        free, total = cuda().current_context().get_memory_info()
    return {
        "name": dev.name.decode() if isinstance(dev.name, bytes) else str(dev.name),
        "arch": dev.compute_capability[0] * 10 + dev.compute_capability[1],
        "compute_capability": dev.compute_capability,
        "total_memory": total,
        "pci_bus_id": getattr(dev, "PCI_BUS_ID", None),
    }


class ContextGuard:
    """Make device ``ordinal``'s primary context current for a block (cheap if it is)."""

    __slots__ = ("ordinal", "_pushed")

    def __init__(self, ordinal: int):
        self.ordinal = ordinal
        self._pushed = None

    def __enter__(self):
        ctx = primary_context(self.ordinal)
        current = _current_ordinal()
        if current != self.ordinal:
            ctx.push()
            self._pushed = ctx
        return ctx

    def __exit__(self, *exc):
        if self._pushed is not None:
            self._pushed.pop()
            self._pushed = None


_contexts: dict[int, object] = {}


def primary_context(ordinal: int):
    ctx = _contexts.get(ordinal)
    if ctx is None:
        gpu = cuda().gpus[ordinal]
        ctx = gpu.get_primary_context()
        if _current_ordinal() is None:
            ctx.push()  # first use: leave it current, as CUDA runtime programs expect
        _contexts[ordinal] = ctx
    return ctx


def _current_ordinal():
    drv = driver()
    try:
        handle = drv.driver.cuCtxGetCurrent()
        if not handle or int(handle) == 0:
            return None
        return int(drv.driver.cuCtxGetDevice())
    except Exception:
        return None


def alloc(ordinal: int, nbytes: int):
    """Device memory on ``ordinal``: returns (owner, pointer). Freed when owner dies."""
    with ContextGuard(ordinal) as ctx:
        mem = ctx.memalloc(max(int(nbytes), 1))
    return mem, int(mem.device_ctypes_pointer.value or 0)


def alloc_pinned(nbytes: int):
    """Page-locked host memory: returns (owner, numpy uint8 buffer)."""
    with ContextGuard(0) as ctx:
        mem = ctx.memhostalloc(max(int(nbytes), 1))
    return mem, np.frombuffer(mem, dtype=np.uint8, count=int(nbytes))


def _handle(stream) -> int:
    return 0 if stream is None else int(stream.handle)


def memcpy_htod(dst: int, src: int, nbytes: int, stream=None, ordinal: int = 0) -> None:
    with ContextGuard(ordinal):
        driver().driver.cuMemcpyHtoDAsync(dst, src, nbytes, _handle(stream))


def memcpy_dtoh(dst: int, src: int, nbytes: int, stream=None, ordinal: int = 0) -> None:
    with ContextGuard(ordinal):
        driver().driver.cuMemcpyDtoHAsync(dst, src, nbytes, _handle(stream))


def memcpy_dtod(dst: int, src: int, nbytes: int, stream=None, ordinal: int = 0) -> None:
    with ContextGuard(ordinal):
        driver().driver.cuMemcpyDtoDAsync(dst, src, nbytes, _handle(stream))


def memcpy_peer(dst: int, dst_ordinal: int, src: int, src_ordinal: int, nbytes: int,
                stream=None) -> None:
    dctx = primary_context(dst_ordinal)
    sctx = primary_context(src_ordinal)
    with ContextGuard(dst_ordinal):
        driver().driver.cuMemcpyPeerAsync(dst, dctx.handle, src, sctx.handle, nbytes,
                                          _handle(stream))


def memset8(ptr: int, value: int, nbytes: int, stream=None, ordinal: int = 0) -> None:
    with ContextGuard(ordinal):
        driver().driver.cuMemsetD8Async(ptr, value & 0xFF, nbytes, _handle(stream))


def memset32(ptr: int, value: int, nwords: int, stream=None, ordinal: int = 0) -> None:
    with ContextGuard(ordinal):
        driver().driver.cuMemsetD32Async(ptr, value & 0xFFFFFFFF, nwords, _handle(stream))


def memset16(ptr: int, value: int, nwords: int, stream=None, ordinal: int = 0) -> None:
    with ContextGuard(ordinal):
        driver().driver.cuMemsetD16Async(ptr, value & 0xFFFF, nwords, _handle(stream))


def create_stream(ordinal: int):
    """A new stream on ``ordinal`` that orders with the legacy default stream."""
    with ContextGuard(ordinal):
        return cuda().stream()


def external_stream(handle: int, ordinal: int):
    with ContextGuard(ordinal):
        return cuda().external_stream(handle)


_core_streams: dict[int, object] = {}


def core_stream(stream):
    """The cuda.core Stream for a numba-cuda stream (converted once and cached)."""
    key = _handle(stream)
    cs = _core_streams.get(key)
    if cs is None:
        cs = driver()._to_core_stream(stream if stream is not None else 0)
        _core_streams[key] = cs
    return cs


def stream_query(stream, ordinal: int) -> bool:
    """True when every operation queued on ``stream`` has completed."""
    from numba.cuda.cudadrv.driver import CudaAPIError

    with ContextGuard(ordinal):
        try:
            driver().driver.cuStreamQuery(_handle(stream))
            return True
        except CudaAPIError:  # CUDA_ERROR_NOT_READY
            return False


def create_event(ordinal: int, timing: bool):
    with ContextGuard(ordinal):
        return cuda().event(timing=timing)


def compile_kernel(pyfunc, signature, ordinal: int, cache: bool):
    """Compile ``pyfunc`` as a CUDA kernel for ``signature`` on device ``ordinal``.

    Returns the cuda.core Kernel to launch. With ``cache`` the cubin is kept on disk
    and a later process loads it instead of compiling.
    """
    with ContextGuard(ordinal):
        disp = guard_disk_cache(cuda().jit(cache=cache)(pyfunc))
        try:
            compiled = disp.compile(signature)
        except RuntimeError as exc:
            # code that links extra device libraries (float16 math) cannot be pickled
            # into numba-cuda's cache: compile it without the on-disk cache
            if not cache or "Cannot pickle" not in str(exc):
                raise
            disp = cuda().jit(cache=False)(pyfunc)
            compiled = disp.compile(signature)
        return compiled._codelibrary.get_cufunc().kernel, disp


def global_address(disp, signature, ordinal: int, name: str) -> int:
    """Device address of the global variable ``name`` of a compiled kernel's module."""
    with ContextGuard(ordinal):
        compiled = disp.overloads[tuple(signature.args)]
        mem, _ = compiled._codelibrary.get_cufunc().module.get_global_symbol(name)
        return int(mem.device_ctypes_pointer.value or 0)


def read_device(ptr: int, nbytes: int, ordinal: int) -> bytes:
    """``nbytes`` of device memory, copied synchronously (after all queued work)."""
    buf = np.zeros(nbytes, dtype=np.uint8)
    with ContextGuard(ordinal):
        driver().driver.cuCtxSynchronize()
        driver().driver.cuMemcpyDtoH(buf.ctypes.data, ptr, nbytes)
    return buf.tobytes()


_configs: dict = {}
_core_launch = []


def grid_blocks(n: int, threads: int, max_blocks: int = 0) -> int:
    """Blocks of ``threads`` for ``n`` threads (grid-stride kernels cover the rest):
    at most ``max_blocks`` when it is positive, and at most CUDA's 2**31 - 1."""
    blocks = (n + threads - 1) // threads
    if max_blocks > 0:
        blocks = min(blocks, max_blocks)
    return min(blocks, 2**31 - 1)


def launch(kernel, core_stream_obj, blocks: int, threads: int, args) -> None:
    """Launch a compiled kernel on a cuda.core stream with pre-flattened arguments."""
    cfg = _configs.get((blocks, threads))
    if cfg is None:
        from cuda.core import LaunchConfig
        from cuda.core import launch as core_launch

        _core_launch[:] = [core_launch]
        if len(_configs) > 4096:
            _configs.clear()
        cfg = _configs[(blocks, threads)] = LaunchConfig(grid=blocks, block=threads)
    _core_launch[0](core_stream_obj, cfg, kernel, *args)
