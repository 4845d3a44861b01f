"""Everything that talks to CUDA, in one place (through numba-cuda and cuda.core).

The rest of the runtime asks this module for memory, copies, streams, events,
compiled kernels and launches, so a second CUDA backend (numba-cuda-mlir) can be
added here without touching user-facing code. Nothing here is imported until a
CUDA device is first used, so CPU-only programs never pay for CUDA start-up.
"""

from __future__ import annotations

import ctypes

import importlib.util
import sys
import threading

import numpy as np

from llvmlite import ir
from numba.core.target_extension import target_override

from ..typing.registry import install_cuda_typeof
from .cache import guard_disk_cache
from .cuda_launch import PackedKernel, set_memory_release
from .cuda_probe import gpu_possible

__all__ = [
    "available",
    "device_count",
    "device_info",
    "free_memory", "memory_info",
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


#: numba-cuda is numba_warp's CUDA backend, installed by the ``cuda`` extra
#: (``pip install "numba-warp[cuda]"``); without it numba_warp runs on the CPU only
#: (Numba's own deprecated ``numba.cuda`` is never used)
MISSING = ("numba_warp's CUDA support is not installed (numba-cuda and the CUDA wheels): "
           "pip install 'numba-warp[cuda]'")


def installed() -> bool:
    """Whether numba-cuda, the CUDA backend, is installed."""
    if _state.get("installed") is None:
        _state["installed"] = importlib.util.find_spec("numba_cuda") is not None
    return _state["installed"]


def cuda():
    if not installed():
        raise RuntimeError(MISSING)
    _np_compat()
    from numba import cuda as _cuda  # heavy: imported when CUDA is first used

    install_cuda_typeof()
    _skip_scipy_blas_probe()
    return _cuda


_BLAS_MODULE = "scipy.linalg.cython_blas"


def _skip_scipy_blas_probe() -> None:
    """numba-cuda's first compile in a process loads its NumPy support, whose import asks
    whether SciPy's BLAS can be imported (for ``np.dot`` inside ``np.convolve``-like
    helpers; without it they use a plain loop, which is what a GPU thread should run
    anyway). With SciPy installed that import costs ~0.25 s of every cold start. While
    numba-cuda loads its registries, the BLAS module reads as absent (a ``None`` entry in
    ``sys.modules``, removed right after) unless the program imported it already."""
    from numba.cuda.target import CUDATargetContext

    load = CUDATargetContext.load_additional_registries
    if getattr(load, "numba_warp_wrapped", False):
        return

    def load_additional_registries(self):
        block = _BLAS_MODULE not in sys.modules
        if block:
            sys.modules[_BLAS_MODULE] = None
        try:
            return load(self)
        finally:
            if block and _BLAS_MODULE in sys.modules and sys.modules[_BLAS_MODULE] is None:
                del sys.modules[_BLAS_MODULE]

    load_additional_registries.numba_warp_wrapped = True
    CUDATargetContext.load_additional_registries = load_additional_registries


def driver():
    from numba.cuda.cudadrv import driver as _driver

    return _driver


def available() -> bool:
    """True when a CUDA driver and at least one GPU are present."""
    with _lock:
        if _state["available"] is None:
            try:
                # (asking the driver first spares CPU-only processes numba-cuda's import)
                _state["available"] = installed() and gpu_possible() and \
                    bool(cuda().is_available())
            except Exception:  # no driver, broken install: CPU only
                _state["available"] = False
        return _state["available"]


def device_count() -> int:
    return len(cuda().gpus) if available() else 0


def device_info(ordinal: int) -> dict:
    dev = cuda().gpus[ordinal]
    free, total = memory_info(ordinal)
    return {
        "name": dev.name.decode() if isinstance(dev.name, bytes) else str(dev.name),
        "arch": dev.compute_capability[0] * 10 + dev.compute_capability[1],
        "compute_capability": dev.compute_capability,
        "total_memory": total,
        # Warp's spelling: domain:bus:device in hex
        "pci_bus_id": f"{dev.PCI_DOMAIN_ID:08X}:{dev.PCI_BUS_ID:02X}:{dev.PCI_DEVICE_ID:02X}",
        "uuid": str(dev.uuid),
        "sm_count": int(dev.MULTIPROCESSOR_COUNT),
        "max_shared_memory_per_block": int(dev.MAX_SHARED_MEMORY_PER_BLOCK),
    }


def memory_info(ordinal: int) -> tuple:
    """(free, total) bytes of GPU memory now (the driver's count: other processes' use
    included)."""
    with ContextGuard(ordinal):
        free, total = cuda().current_context().get_memory_info()
    return int(free), int(total)


def free_memory(ordinal: int) -> int:
    """Bytes of GPU memory free now (the driver's count: other processes' use included)."""
    return memory_info(ordinal)[0]


def release_deferred(ordinal: int) -> int:
    """Return to the driver the memory of arrays this process has freed on ``ordinal``
    but numba-cuda still holds (it defers frees, up to a fifth of the GPU's memory, since
    a free synchronizes the device); returns how many bytes."""
    ctx = _contexts.get(ordinal)
    # (numba-cuda queues freed memory on the context's memory manager)
    pending = getattr(getattr(ctx, "memory_manager", None), "deallocations", None)
    if pending is None:
        return 0
    held = int(getattr(pending, "_size", 0))
    with ContextGuard(ordinal):
        pending.clear()
    return held


def memory_advice(ordinal: int) -> str:
    """Who holds a GPU's memory, for an out-of-memory error: the free and total figures,
    and the libraries in this process known to keep memory for themselves."""
    parts = []
    try:
        free, total = memory_info(ordinal)
        parts.append(f"cuda:{ordinal} has {free / 2**30:,.2f} GiB free of "
                     f"{total / 2**30:,.1f} GiB (all processes; nvidia-smi lists them). ")
    except Exception:  # (the advice must not hide the error it explains)
        pass
    if "jax" in sys.modules:
        parts.append("JAX is loaded: it takes 75% of a GPU's memory at its first GPU use "
                     "unless XLA_PYTHON_CLIENT_PREALLOCATE=false is set before it starts. ")
    torch = sys.modules.get("torch")
    if torch is not None:
        try:
            reserved = int(torch.cuda.memory_reserved(ordinal)) if \
                torch.cuda.is_initialized() else 0
        except Exception:
            reserved = 0
        if reserved:
            parts.append(f"PyTorch's caching allocator holds {reserved / 2**30:,.2f} GiB "
                         "(torch.cuda.empty_cache() returns what it does not use). ")
    return "".join(parts)


set_memory_release(release_deferred, memory_advice)


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
    """Device memory on ``ordinal``: returns (owner, pointer). Freed when owner dies.

    During a graph capture the allocation is made outside the graph (cuMemAlloc is not
    capturable; the capture's thread is switched to the relaxed mode for the call): the
    graph then uses this memory at every replay, and keeps the array alive."""
    drv = driver()
    with ContextGuard(ordinal) as ctx:
        try:
            if capturing_streams:
                with relaxed_capture_mode():
                    mem = ctx.memalloc(max(int(nbytes), 1))
            else:
                mem = ctx.memalloc(max(int(nbytes), 1))
        except drv.CudaAPIError as exc:
            # (numba-cuda has already returned this process's deferred frees and retried)
            if exc.code != drv.binding.CUresult.CUDA_ERROR_OUT_OF_MEMORY:
                raise
            raise RuntimeError(
                f"failed to allocate {int(nbytes):,} bytes ({int(nbytes) / 2**30:,.2f} GiB) "
                f"on cuda:{ordinal}: CUDA_ERROR_OUT_OF_MEMORY. {memory_advice(ordinal)}"
                "Delete arrays you no longer need, or make smaller ones") from None
    return mem, int(mem.device_ctypes_pointer.value or 0)


def alloc_pinned(nbytes: int):
    """Page-locked host memory: returns (owner, numpy uint8 buffer)."""
    with ContextGuard(0) as ctx:
        mem = ctx.memhostalloc(max(int(nbytes), 1))
    # a writable view (np.frombuffer(mem) is read-only: Numba exports the buffer so),
    # whose base (a ctypes array holding ``mem``) keeps the allocation alive
    ptr = mem.host_pointer
    ptr = int(getattr(ptr, "value", ptr) or 0)
    raw = (ctypes.c_uint8 * max(int(nbytes), 1)).from_address(ptr)
    raw.owner = mem
    return mem, np.ctypeslib.as_array(raw)[:int(nbytes)]


def _handle(stream) -> int:
    return 0 if stream is None else int(stream.handle)


def _host_copy_in_capture(stream, pinned: bool, what: str) -> None:
    """A copy between the host and a GPU on a capturing stream: legal from pinned memory
    (the graph reads it at each replay); pageable memory cannot be captured."""
    if capturing_streams and not pinned and _handle(stream) in capturing_streams:
        raise RuntimeError(
            f"cannot copy {what} inside a CUDA graph capture: a copy through pageable host "
            "memory (a NumPy array, a CPU wp.array or a.numpy()) is not part of the graph. "
            "Copy before wp.capture_begin() / wp.ScopedCapture, or use a pinned CPU array "
            "(wp.empty(..., device='cpu', pinned=True)), which the graph reads at each "
            "replay")


def memcpy_htod(dst: int, src: int, nbytes: int, stream=None, ordinal: int = 0,
                pinned: bool = False) -> None:
    _host_copy_in_capture(stream, pinned, "host data to a GPU")
    with ContextGuard(ordinal), _Activity(TIMING_MEMCPY, "memcpy HtoD", stream, ordinal):
        driver().driver.cuMemcpyHtoDAsync(dst, src, nbytes, _handle(stream))


def memcpy_dtoh(dst: int, src: int, nbytes: int, stream=None, ordinal: int = 0,
                pinned: bool = False) -> None:
    _host_copy_in_capture(stream, pinned, "GPU data to the host")
    with ContextGuard(ordinal), _Activity(TIMING_MEMCPY, "memcpy DtoH", stream, ordinal):
        driver().driver.cuMemcpyDtoHAsync(dst, src, nbytes, _handle(stream))


def memcpy_dtod(dst: int, src: int, nbytes: int, stream=None, ordinal: int = 0) -> None:
    with ContextGuard(ordinal), _Activity(TIMING_MEMCPY, "memcpy DtoD", stream, ordinal):
        driver().driver.cuMemcpyDtoDAsync(dst, src, nbytes, _handle(stream))


def memcpy_peer(dst: int, dst_ordinal: int, src: int, src_ordinal: int, nbytes: int,
                stream=None) -> None:
    dctx = primary_context(dst_ordinal)
    sctx = primary_context(src_ordinal)
    with ContextGuard(dst_ordinal), _Activity(TIMING_MEMCPY, "memcpy PtoP", stream,
                                              dst_ordinal):
        driver().driver.cuMemcpyPeerAsync(dst, dctx.handle, src, sctx.handle, nbytes,
                                          _handle(stream))


def memset8(ptr: int, value: int, nbytes: int, stream=None, ordinal: int = 0) -> None:
    with ContextGuard(ordinal), _Activity(TIMING_MEMSET, "memset", stream, ordinal):
        driver().driver.cuMemsetD8Async(ptr, value & 0xFF, nbytes, _handle(stream))


def memset32(ptr: int, value: int, nwords: int, stream=None, ordinal: int = 0) -> None:
    with ContextGuard(ordinal), _Activity(TIMING_MEMSET, "memset", stream, ordinal):
        driver().driver.cuMemsetD32Async(ptr, value & 0xFFFFFFFF, nwords, _handle(stream))


def memset16(ptr: int, value: int, nwords: int, stream=None, ordinal: int = 0) -> None:
    with ContextGuard(ordinal), _Activity(TIMING_MEMSET, "memset", stream, ordinal):
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

    Returns the kernel to launch (a ``cuda_launch.PackedKernel``) and the dispatcher.
    With ``cache`` the cubin is kept on disk and a later process loads it instead of
    compiling.
    """
    # (module loading is not capturable: compiling during a graph capture runs in the
    # relaxed capture mode, which allows it; the compiled kernel is then captured)
    with ContextGuard(ordinal), relaxed_capture_mode():
        disp = guard_disk_cache(cuda().jit(cache=cache)(pyfunc), _load_cached_cuda_code)
        try:
            compiled = disp.compile(signature)
        except RuntimeError as exc:
            # code that links extra device libraries (float16 math) cannot be pickled
            # into numba-cuda's cache: compile it without the on-disk cache
            if not cache or "Cannot pickle" not in str(exc):
                raise
            disp = cuda().jit(cache=False)(pyfunc)
            compiled = disp.compile(signature)
        core = compiled._codelibrary.get_cufunc().kernel
        return PackedKernel(core, ordinal, _param_sizes(disp, signature)), disp


def _load_cached_cuda_code(load, load_unrefreshed, sig, target_context):
    """One entry of numba-cuda's disk cache. Its ``load_overload`` first refreshes the
    whole CUDA target (its typing and lowering registries, which import its NumPy, fp16
    and SciPy-backed linear algebra support: ~0.6 s on the first kernel of a process);
    a cached kernel (a cubin and its signature) needs none of that, so the entry is read
    directly. The first real compile still refreshes the target as usual."""
    if load_unrefreshed is None:
        return load(sig, target_context)
    try:
        with target_override("cuda"):
            return load_unrefreshed(sig, target_context)
    except Exception:  # noqa: BLE001 - whatever it lacked, the full path has
        return load(sig, target_context)


def _param_sizes(disp, signature) -> list | None:
    """Byte sizes of the compiled kernel's flattened parameters (numba-cuda's ABI), or
    None if a parameter's type is not a plain scalar or pointer."""
    sizes = []
    for t in disp.targetctx.get_arg_packer(signature.args).argument_types:
        if isinstance(t, ir.IntType):
            sizes.append(max(1, t.width // 8))
        elif isinstance(t, ir.PointerType):
            sizes.append(8)
        elif isinstance(t, (ir.FloatType, ir.DoubleType, ir.HalfType)):
            sizes.append({ir.FloatType: 4, ir.DoubleType: 8, ir.HalfType: 2}[type(t)])
        else:
            return None
    return sizes


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


_resident: dict = {}  # (ordinal, threads) -> blocks a launch uses at most by default


def _default_max_blocks(ordinal: int, threads: int) -> int:
    """Twice the blocks of ``threads`` the device holds at once (all its SMs at full
    occupancy): a persistent grid-stride launch (see ``Kernel.persistent_grid``)."""
    dev = cuda().gpus[ordinal]
    with ContextGuard(ordinal):
        per_sm = int(dev.MAX_THREADS_PER_MULTIPROCESSOR)
        sms = int(dev.MULTIPROCESSOR_COUNT)
    blocks = _resident[(ordinal, threads)] = 2 * sms * max(1, per_sm // threads)
    return blocks


def grid_blocks(n: int, threads: int, max_blocks: int, ordinal: int,
                persistent: bool = False) -> int:
    """Blocks of ``threads`` for ``n`` threads on device ``ordinal`` (grid-stride
    kernels cover the rest): at most ``max_blocks`` when it is positive, else, for a
    ``persistent`` grid, at most twice what the device runs at once; never more than
    CUDA's 2**31 - 1."""
    blocks = (n + threads - 1) // threads
    if max_blocks <= 0:
        if not persistent:
            return min(blocks, 2**31 - 1)
        max_blocks = _resident.get((ordinal, threads)) or _default_max_blocks(ordinal, threads)
    return min(blocks, max_blocks, 2**31 - 1)


def launch(kernel, stream, blocks: int, threads: int, args) -> None:
    """Launch a compiled kernel (from :func:`compile_kernel`) on ``stream`` (a numba_warp
    Stream) with its flattened arguments."""
    kernel.launch(stream, blocks, threads, args)


# ---------------------------------------------------------------------------------------
# Graph capture (CUDA stream capture) primitives; runtime/capture.py holds the API
# ---------------------------------------------------------------------------------------

#: raw handles of the streams a capture began on (wp.capture_begin, also external ones)
capturing_streams: set = set()

CAPTURE_MODE_GLOBAL, CAPTURE_MODE_THREAD_LOCAL, CAPTURE_MODE_RELAXED = 0, 1, 2


class relaxed_capture_mode:
    """Switch this thread to the relaxed capture mode for a block: allocations and module
    loads (not capturable, made outside the graph) are then allowed during a capture."""

    __slots__ = ("_saved",)

    def __enter__(self):
        binding = driver().binding
        self._saved = driver().driver.cuThreadExchangeStreamCaptureMode(
            binding.CUstreamCaptureMode(CAPTURE_MODE_RELAXED))
        return self

    def __exit__(self, *exc):
        driver().driver.cuThreadExchangeStreamCaptureMode(self._saved)


def stream_is_capturing(stream, ordinal: int) -> bool:
    """Whether a capture (ours or another library's) is active on ``stream``."""
    status = driver().binding.CUstreamCaptureStatus
    with ContextGuard(ordinal):
        st = driver().driver.cuStreamIsCapturing(_handle(stream))
    return st != status.CU_STREAM_CAPTURE_STATUS_NONE


def stream_capture_id(stream, ordinal: int) -> int:
    with ContextGuard(ordinal):
        info = driver().driver.cuStreamGetCaptureInfo(_handle(stream))
    return int(info[1])


def begin_capture(stream, ordinal: int, mode: int) -> None:
    binding = driver().binding
    with ContextGuard(ordinal):
        driver().driver.cuStreamBeginCapture(_handle(stream), binding.CUstreamCaptureMode(mode))


def end_capture(stream, ordinal: int):
    """End the capture on ``stream``: the captured ``CUgraph``."""
    with ContextGuard(ordinal):
        try:
            return driver().driver.cuStreamEndCapture(_handle(stream))
        finally:  # the caller has unregistered the stream: graphs released meanwhile go
            if not capturing_streams:
                _destroy_held_graphs()


def graph_instantiate(graph, ordinal: int):
    with ContextGuard(ordinal):
        return driver().driver.cuGraphInstantiate(graph, 0)


def graph_launch(graph_exec, stream, ordinal: int) -> None:
    with ContextGuard(ordinal), _Activity(TIMING_GRAPH, "graph launch", stream, ordinal):
        driver().driver.cuGraphLaunch(graph_exec, _handle(stream))


#: graphs released while a capture was open (destroying one then would invalidate it)
_held_graphs: list = []


def graph_destroy(graph, graph_exec, ordinal: int) -> None:
    """Destroy a graph and its executable; while a capture is open this waits for the
    capture to end (cuGraphExecDestroy is not allowed on a capturing thread)."""
    if capturing_streams:
        _held_graphs.append((graph, graph_exec, ordinal))
        return
    _graph_destroy_now(graph, graph_exec, ordinal)


def _destroy_held_graphs() -> None:
    while _held_graphs:
        _graph_destroy_now(*_held_graphs.pop())


def _graph_destroy_now(graph, graph_exec, ordinal: int) -> None:
    with ContextGuard(ordinal):
        if graph_exec is not None:
            driver().driver.cuGraphExecDestroy(graph_exec)
        if graph is not None:
            driver().driver.cuGraphDestroy(graph)


def graph_debug_dot(graph, path: str, verbose: bool) -> None:
    # CU_GRAPH_DEBUG_DOT_FLAGS_VERBOSE is bit 0
    driver().driver.cuGraphDebugDotPrint(graph, path.encode(), 1 if verbose else 0)


def defer_cleanup(ordinal: int):
    """numba-cuda's context manager that holds back frees (cuMemFree synchronises, which
    would break a capture) while it is open."""
    with ContextGuard(ordinal) as ctx:
        return ctx.defer_cleanup()


def driver_version() -> tuple | None:
    """The CUDA driver's version as (major, minor), or None without a driver."""
    if not available():
        return None
    v = int(driver().driver.cuDriverGetVersion())
    return (v // 1000, (v % 1000) // 10)


# ---------------------------------------------------------------------------------------
# Activity timing (wp.timing_begin / wp.ScopedTimer(cuda_filter=...)): CUDA events
# around each kernel launch, copy, memset and graph launch
# ---------------------------------------------------------------------------------------

TIMING_KERNEL = 1
TIMING_KERNEL_BUILTIN = 2
TIMING_MEMCPY = 4
TIMING_MEMSET = 8
TIMING_GRAPH = 16
TIMING_ALL = 0xFFFFFFFF

#: [filter, [(ordinal, name, flag, start event, end event), ...]] while timing, else None
timing_state: list = [None]


def activity_begin(cuda_filter: int) -> None:
    timing_state[0] = [cuda_filter, []]


def activity_end() -> list:
    """Stop timing: ``(ordinal, name, flag, milliseconds)`` per activity (waits for the
    activities' end events)."""
    state, timing_state[0] = timing_state[0], None
    out = []
    for ordinal, name, flag, start, end in (state[1] if state else ()):
        with ContextGuard(ordinal):
            driver().driver.cuEventSynchronize(end)
            ms = float(driver().driver.cuEventElapsedTime(start, end))
            driver().driver.cuEventDestroy(start)
            driver().driver.cuEventDestroy(end)
        out.append((ordinal, name, flag, ms))
    return out


def activity_timed(flag: int) -> bool:
    """Whether activities of kind ``flag`` are being timed (cheap; checked per launch)."""
    state = timing_state[0]
    return state is not None and bool(state[0] & flag)


class _Activity:
    """Time the block's work on ``stream`` as one activity when timing is on (and the
    stream is not capturing: events in a graph time nothing)."""

    __slots__ = ("flag", "name", "stream", "ordinal", "_start")

    def __init__(self, flag, name, stream, ordinal):
        self.flag, self.name, self.stream, self.ordinal = flag, name, stream, ordinal
        self._start = None

    def __enter__(self):
        state = timing_state[0]
        if state is not None and state[0] & self.flag and \
                _handle(self.stream) not in capturing_streams:
            self._start = _record_event(self.stream, self.ordinal)
        return self

    def __exit__(self, exc_type, *exc):
        if self._start is not None and exc_type is None:
            end = _record_event(self.stream, self.ordinal)
            timing_state[0][1].append((self.ordinal, self.name, self.flag, self._start, end))


def timed_activity(flag: int, name: str, stream, ordinal: int) -> _Activity:
    """A context manager timing the work queued on ``stream`` in its block (kernels)."""
    return _Activity(flag, name, stream, ordinal)


def _record_event(stream, ordinal: int):
    with ContextGuard(ordinal):
        ev = driver().driver.cuEventCreate(0)  # CU_EVENT_DEFAULT: timing enabled
        driver().driver.cuEventRecord(ev, _handle(stream))
    return ev


# ---------------------------------------------------------------------------------------
# Memory pools and peer access (wp.get_mempool_*, wp.set_peer_access_enabled, ...)
# ---------------------------------------------------------------------------------------

def _cudevice(ordinal: int):
    return driver().binding.CUdevice(ordinal)


def mempool_supported(ordinal: int) -> bool:
    attr = driver().binding.CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MEMORY_POOLS_SUPPORTED
    return bool(driver().driver.cuDeviceGetAttribute(attr, ordinal))


def _pool_attribute(name: str):
    return getattr(driver().binding.CUmemPool_attribute, f"CU_MEMPOOL_ATTR_{name}")


def mempool_get(ordinal: int, name: str) -> int:
    """An attribute (``RELEASE_THRESHOLD``, ``USED_MEM_CURRENT``, ...) of the device's
    default memory pool."""
    with ContextGuard(ordinal):
        pool = driver().driver.cuDeviceGetDefaultMemPool(_cudevice(ordinal))
        value = driver().driver.cuMemPoolGetAttribute(pool, _pool_attribute(name))
    return int(value)  # (a cuuint64_t)


def mempool_set(ordinal: int, name: str, value: int) -> None:
    binding = driver().binding
    with ContextGuard(ordinal):
        pool = driver().driver.cuDeviceGetDefaultMemPool(_cudevice(ordinal))
        driver().driver.cuMemPoolSetAttribute(pool, _pool_attribute(name),
                                              binding.cuuint64_t(int(value)))


def _peer_location(ordinal: int):
    binding = driver().binding
    loc = binding.CUmemLocation()
    loc.type = binding.CUmemLocationType.CU_MEM_LOCATION_TYPE_DEVICE
    loc.id = ordinal
    return loc


def mempool_access_enabled(target: int, peer: int) -> bool:
    flags = driver().binding.CUmemAccess_flags
    with ContextGuard(target):
        pool = driver().driver.cuDeviceGetDefaultMemPool(_cudevice(target))
        got = driver().driver.cuMemPoolGetAccess(pool, _peer_location(peer))
    return got == flags.CU_MEM_ACCESS_FLAGS_PROT_READWRITE


def set_mempool_access(target: int, peer: int, enable: bool) -> None:
    binding = driver().binding
    desc = binding.CUmemAccessDesc()
    desc.location = _peer_location(peer)
    desc.flags = (binding.CUmemAccess_flags.CU_MEM_ACCESS_FLAGS_PROT_READWRITE if enable else
                  binding.CUmemAccess_flags.CU_MEM_ACCESS_FLAGS_PROT_NONE)
    with ContextGuard(target):
        pool = driver().driver.cuDeviceGetDefaultMemPool(_cudevice(target))
        driver().driver.cuMemPoolSetAccess(pool, [desc], 1)


def peer_access_supported(target: int, peer: int) -> bool:
    if target == peer:
        return True
    return bool(driver().driver.cuDeviceCanAccessPeer(_cudevice(peer), _cudevice(target)))


_peer_enabled: dict = {}  # (target, peer) -> bool, once known


def _peer_call(target: int, peer: int, enable: bool) -> bool:
    """Enable (or disable) access from ``peer``'s context to ``target``'s memory; False
    when it was so already."""
    drv = driver()
    codes = drv.binding.CUresult
    with ContextGuard(peer):
        try:
            if enable:
                drv.driver.cuCtxEnablePeerAccess(primary_context(target).handle, 0)
            else:
                drv.driver.cuCtxDisablePeerAccess(primary_context(target).handle)
        except drv.CudaAPIError as exc:
            same = (codes.CUDA_ERROR_PEER_ACCESS_ALREADY_ENABLED if enable else
                    codes.CUDA_ERROR_PEER_ACCESS_NOT_ENABLED)
            if exc.code == same:
                return False
            raise RuntimeError(f"Failed to {'enable' if enable else 'disable'} peer access "
                               f"from device cuda:{peer} to device cuda:{target}: {exc}") \
                from None
    return True


def peer_access_enabled(target: int, peer: int) -> bool:
    """Whether ``peer``'s context may access ``target``'s memory. The driver has no query:
    the first time, probe by enabling it (and undo that if it was off)."""
    if target == peer:
        return True
    known = _peer_enabled.get((target, peer))
    if known is None:
        changed = _peer_call(target, peer, True)
        if changed:
            _peer_call(target, peer, False)
        known = _peer_enabled[(target, peer)] = not changed
    return known


def set_peer_access(target: int, peer: int, enable: bool) -> None:
    """Let ``peer``'s context access ``target``'s memory (or stop it)."""
    _peer_call(target, peer, enable)
    _peer_enabled[(target, peer)] = bool(enable)
