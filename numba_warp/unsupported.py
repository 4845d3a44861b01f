"""Warp names that numba_warp does not provide, and the clear errors they raise.

Every public name of NVIDIA Warp 1.19 (``dir(warp)``, ``warp.types``, ``warp.utils``, and
the kernel builtins Warp resolves as ``wp.<name>`` inside kernels) exists in numba_warp:
either as a real definition or as a *stub* from the table below. A stub is a placeholder
class that raises :class:`NotSupportedError` when it is called, subscripted or
instantiated, naming what is missing, why, and what to use instead. Inside a kernel the
frontend reports it as a ``WarpCodegenError`` at the user's file and line.

Stubs give way to real definitions by construction: a module serves them from its
``__getattr__`` (PEP 562), which Python consults only for names the module does not
define. A name implemented later needs no change here (its entry is then unused;
``tests/compat/test_api_names.py`` says so, to keep this table honest).

Two kinds of entries:

* ``unsupported``: outside numba_warp's design (needs Warp's native C++/CUDA library,
  CUDA features Numba does not expose, or another framework's runtime).
* ``not yet``: planned (geometry structures, framework interop), not available today.

This module is a leaf (imports nothing from the package) so that every floor, the
frontend included, may read it.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["NotSupportedError", "Gap", "GAPS", "MODULE_GAPS", "gap_of", "stub", "is_stub",
           "message", "module_getattr", "extend_module", "refuse_import"]


class NotSupportedError(NotImplementedError):
    """A Warp name that numba_warp does not provide was used."""


@dataclass(frozen=True)
class Gap:
    """A group of Warp names missing for one reason."""

    status: str  # "unsupported" or "not yet"
    why: str
    instead: str
    names: tuple  # qualified: "warp.tile_load", "warp.utils.AllocatorRmm", ...


def _names(module: str, words: str) -> tuple:
    return tuple(f"{module}.{w}" for w in words.split())


_TILE_BUILTINS = """
    tile_arange tile_argmax tile_argmin tile_assign tile_astype tile_atomic_add
    tile_atomic_add_indexed tile_axpy tile_broadcast tile_bvh_query_aabb tile_bvh_query_next
    tile_bvh_query_ray tile_cholesky tile_cholesky_inplace tile_cholesky_solve
    tile_cholesky_solve_inplace tile_diag_add tile_dot tile_empty tile_extract tile_fft
    tile_from_thread tile_full tile_ifft tile_load tile_load_indexed tile_lower_solve
    tile_lower_solve_inplace tile_map tile_matmul tile_max tile_mesh_query_aabb
    tile_mesh_query_aabb_next tile_min tile_ones tile_query_valid tile_randf tile_randi
    tile_reduce tile_reshape tile_scan_exclusive tile_scan_inclusive tile_scan_max_inclusive
    tile_scan_min_inclusive tile_scatter_add tile_scatter_masked tile_slice_indexed tile_sort
    tile_squeeze tile_stack_clear tile_stack_count tile_stack_pop tile_stack_push tile_store
    tile_store_indexed tile_sum tile_transpose tile_upper_solve tile_upper_solve_inplace
    tile_view tile_zeros untile
    tile tile_stack BvhQueryTiled MeshQueryAABBTiled
    bvh_query_aabb_tiled bvh_query_next_tiled bvh_query_ray_tiled mesh_query_aabb_tiled
    mesh_query_aabb_next_tiled
"""

_VOLUME = """
    Volume volume_index_to_world volume_index_to_world_dir volume_lookup volume_lookup_f
    volume_lookup_i volume_lookup_index volume_lookup_v volume_sample volume_sample_f
    volume_sample_grad volume_sample_grad_f volume_sample_grad_index volume_sample_i
    volume_sample_index volume_sample_v volume_store volume_store_f volume_store_i
    volume_store_v volume_voxel_count volume_world_to_index volume_world_to_index_dir
"""

_DLPACK_INSTEAD = ("exchange arrays through DLPack: wp.from_dlpack(tensor) and "
                   "<framework>.from_dlpack(array) are zero-copy")

GAPS: tuple = (
    Gap("unsupported",
        "tile programming needs cooperative thread blocks with shared memory, which "
        "numba_warp's kernels (one independent thread per launch index) do not model",
        "write the computation per thread with wp.tid() and wp.launch (loops over array "
        "elements, wp.atomic_* for reductions); for large matrix products or FFTs use "
        "NumPy/CuPy/PyTorch on the arrays",
        _names("warp", _TILE_BUILTINS)),
    Gap("unsupported",
        "NanoVDB volumes are read and sampled by Warp's native C++/CUDA library, which "
        "numba_warp (pure Python on Numba) does not include",
        "store the grid as a dense wp.array3d and sample it with your own trilinear "
        "@wp.func",
        _names("warp", _VOLUME)),
    Gap("unsupported",
        "hardware texture objects need the CUDA driver's texture API, which numba-cuda "
        "does not expose",
        "keep the texels in a wp.array2d/array3d and interpolate them in a @wp.func",
        _names("warp", "Texture Texture1D Texture2D Texture3D TextureAddressMode "
                       "TextureFilterMode TextureResourceFlags texture_sample")),
    Gap("unsupported",
        "CUDA/OpenGL interoperability needs the driver's graphics API, which numba-cuda "
        "does not expose",
        "copy results to the host with array.numpy() and upload them to your OpenGL "
        "buffer or texture",
        _names("warp", "RegisteredGLBuffer GLTextureResource")),
    Gap("unsupported",
        "native C++/CUDA snippets are compiled by Warp's C++ toolchain; numba_warp compiles "
        "Python through Numba",
        "write the function as a @wp.func in Python, or call your own @numba.njit / "
        "@cuda.jit(device=True) function from a kernel (docs/numba_interop.md)",
        _names("warp", "func_native")),
    Gap("unsupported",
        "Fabric arrays are views of NVIDIA Omniverse's Fabric scene data, which numba_warp "
        "does not connect to",
        "copy the data into a wp.array (or wp.indexedarray) and launch on that",
        _names("warp", "fabricarray fabricarrayarray indexedfabricarray "
                       "indexedfabricarrayarray")),
    Gap("unsupported",
        "PaddlePaddle interoperability is not provided",
        _DLPACK_INSTEAD + " (paddle.utils.dlpack)",
        _names("warp", "from_paddle to_paddle device_from_paddle device_to_paddle "
                       "dtype_from_paddle dtype_to_paddle stream_from_paddle")),
    Gap("unsupported",
        "numba_warp allocates GPU memory through numba-cuda's context and host memory "
        "with NumPy; Warp's allocator hooks (and CUDA managed memory) are not provided",
        "install a Numba EMM plugin (numba.cuda.set_memory_manager) to control GPU "
        "allocations; use wp.ScopedMempool where a memory pool is wanted",
        _names("warp", "Allocator CudaManagedAllocator ScopedAllocator set_device_allocator "
                       "get_device_allocator set_cuda_allocator")
        + _names("warp.utils", "AllocatorRmm")),
    Gap("unsupported",
        "the dense_* functions are legacy builtins that Warp itself no longer documents",
        "use the wp.mat types with wp.inverse/wp.determinant, or write the factorisation "
        "as a @wp.func; at Python scope use numpy.linalg",
        _names("warp", "dense_gemm dense_gemm_batched dense_chol dense_chol_batched "
                       "dense_solve dense_solve_batched dense_subs")),
    Gap("unsupported",
        "Numba has no bfloat16 scalar type on the CPU or in numba-cuda",
        "use wp.float16 (same size, different range) or wp.float32",
        _names("warp", "bfloat16")),
    Gap("unsupported",
        "Warp's ahead-of-time modules and LTO cache are binaries of its C++ toolchain",
        "numba_warp keeps compiled kernels on disk by itself (wp.config.kernel_cache_dir); "
        "wp.load_module compiles a module ahead of its first launch; wp.clear_kernel_cache "
        "empties the cache",
        _names("warp", "compile_aot_module load_aot_module clear_lto_cache "
                       "get_cpu_kernel_cache_key build_experimental")),
    Gap("unsupported",
        "thread block clusters and CUDA's occupancy and kernel attribute queries are not "
        "exposed by numba-cuda's launch path",
        "size launches with wp.config.block_dim",
        _names("warp", "get_cuda_max_cluster_dim get_cuda_kernel_properties "
                       "get_suggested_block_size")),
    Gap("unsupported",
        "Warp's deterministic mode reorders floating-point atomics inside Warp's native "
        "runtime; numba_warp does not have it",
        "reduce into per-thread slots and sum them in a fixed order (a second launch, or "
        "NumPy) where bitwise reproducibility matters",
        _names("warp", "DeterministicMode WarpDeterminismError")),
    Gap("unsupported",
        "numba_warp has no renderer: Warp's OpenGL viewer and USD writer are built on its "
        "own render kernels, pyglet and Pixar's USD library",
        "read results with array.numpy() and draw them with matplotlib, or write USD "
        "files with the pxr package (usd-core) yourself",
        _names("warp.render", "OpenGLRenderer UsdRenderer")),
    Gap("unsupported",
        "these are internal builtins of Warp's code generator (array element loads, "
        "stores and views), which Warp does not document for users",
        "index arrays directly: x = a[i], a[i] = x, a[i:j]",
        _names("warp", "address array_store index indexref load store view")),
    Gap("not yet",
        "these CUDA device queries and external-context mappings are not provided yet",
        "use wp.get_cuda_devices(), wp.get_device(...) and the Device's attributes; "
        "numba.cuda.detect() prints the CUDA set-up",
        _names("warp", "can_access get_cuda_device get_cuda_driver_version "
                       "get_cuda_supported_archs get_cuda_toolkit_version is_device_available "
                       "map_cuda_device unmap_cuda_device print_diagnostics MemoryKind")),
    Gap("not yet", "wp.map is not provided yet",
        "write the element-wise @wp.kernel and wp.launch it over the arrays' shape",
        _names("warp", "map")),
    Gap("not yet", "wp.expect_eq is not provided yet",
        "use wp.expect_near(a, b, 0.0), or an assert checked with wp.config.mode = 'debug'",
        _names("warp", "expect_eq")),
    Gap("not yet", "wp.transform_expand is not provided yet",
        "wp.transform(wp.vec3(v[0], v[1], v[2]), wp.quat(v[3], v[4], v[5], v[6]))",
        _names("warp", "transform_expand")),
    Gap("not yet", "wp.from_ptr (deprecated in Warp) is not provided",
        "wp.array(ptr=address, shape=..., dtype=..., device=...)",
        _names("warp", "from_ptr")),
    Gap("not yet",
        "CUDA inter-process sharing of arrays and events is not provided yet",
        "share data between processes through host memory (array.numpy()) or your own "
        "numba.cuda IPC handles",
        _names("warp", "from_ipc_handle event_from_ipc_handle")),
    Gap("not yet",
        "Warp's logging and profiling helpers are not provided yet",
        "use Python's logging module; profile with wp.ScopedTimer or Nsight Systems",
        _names("warp", "Logger ScopedLogger ScopedLogLevel get_logger set_logger LOG_DEBUG "
                       "LOG_INFO LOG_WARNING LOG_ERROR ScopedCudaProfiler cuda_profiler_start "
                       "cuda_profiler_stop")),
    Gap("unsupported",
        "numba_warp compiles @wp.func parameters by value through Numba, which has no "
        "references or raw addresses of local variables",
        "return the new value from the function (several values as a tuple: "
        "`a, b = f(a, b)`); to write memory, pass an array and an index",
        _names("warp", "ref address_of")),
    Gap("unsupported",
        "extra CUDA build options are for wp.func_native C++ snippets, which numba_warp "
        "does not compile",
        "write the function as a @wp.func, or call a @numba.cuda.jit(device=True) "
        "function from plain numba-cuda code",
        _names("warp", "ModuleBuildOptions")),
    Gap("not yet",
        "graph coloring (used by warp.sim's VBD solver) is not provided yet",
        "color the graph on the host, e.g. networkx.greedy_color, and upload the colors "
        "with wp.array",
        _names("warp.utils", "GraphColoringAlgorithm graph_coloring_assign "
                             "graph_coloring_balance graph_coloring_get_groups")),
    Gap("unsupported",
        "warp.utils.create_warp_function is an internal helper of Warp's code generator",
        "define the function with @wp.func",
        _names("warp.utils", "create_warp_function")),
)

# Warp's submodules that numba_warp does not provide. ``numba_warp.<name>`` exists so that
# importing it fails with this message (an ImportError; not ModuleNotFoundError, which
# ``from numba_warp import fem`` would turn into a bare "cannot import name") at the
# user's import line: nothing of these toolkits would work, so the first line that needs
# one says so, and ``try: import ... except ImportError`` feature checks stay truthful.
# (``numba_warp.render`` instead imports: Warp's examples import it unconditionally and
# only use a renderer when asked to; its renderers are stubs above.)
MODULE_GAPS: tuple = (
    Gap("unsupported",
        "Warp 1.19 itself no longer has warp.sim: it was removed in Warp 1.10 in favour of "
        "the Newton physics engine",
        "port the simulation to Newton (which runs on NVIDIA Warp), or write its kernels "
        "with numba_warp",
        ("warp.sim",)),
    Gap("unsupported",
        "Warp's finite-element toolkit is a large library built on Warp's own code "
        "generator (integrands, generated kernels, tiles)",
        "run the finite-element part under NVIDIA Warp, or assemble the system with "
        "numba_warp kernels and solve it with SciPy",
        ("warp.fem",)),
    Gap("unsupported",
        "Warp's block-sparse matrices (BSR) are not provided",
        "use scipy.sparse on the CPU or cupyx.scipy.sparse on the GPU, sharing arrays "
        "zero-copy through DLPack or the CUDA array interface",
        ("warp.sparse",)),
    Gap("not yet",
        "the optimizers (Adam, SGD) and iterative linear solvers of warp.optim are not "
        "provided yet",
        "update parameters with a small kernel after tape.backward() (p = p - lr * p.grad), "
        "or use torch.optim on tensors shared through DLPack",
        ("warp.optim",)),
)

_BY_NAME: dict = {name: gap for gap in GAPS + MODULE_GAPS for name in gap.names}
_STUBBED = frozenset(name for gap in GAPS for name in gap.names)  # modules are not stubs
_STUBS: dict = {}


def gap_of(qualname: str) -> Gap | None:
    """The entry for ``"warp.<name>"`` (or ``"warp.utils.<name>"``, ...), if any."""
    return _BY_NAME.get(qualname)


def _display(qualname: str) -> str:
    return "wp." + qualname[len("warp."):] if qualname.startswith("warp.") else qualname


def message(qualname: str, attribute: str | None = None) -> str:
    """What a user reads when ``qualname`` (or its ``attribute``) is used."""
    gap = _BY_NAME[qualname]
    head = _display(qualname) + (" is not available in numba_warp yet"
                                 if gap.status == "not yet" else " is not supported by numba_warp")
    if attribute is not None:
        head = f"{_display(qualname)}.{attribute}: {head}"
    return f"{head}: {gap.why}. Instead: {gap.instead}."


class _StubMeta(type):
    """Metaclass of stubs: any use other than naming them raises the stub's message."""

    def __call__(cls, *args, **kwargs):
        raise NotSupportedError(cls.__stub_message__)

    def __getitem__(cls, key):
        raise NotSupportedError(cls.__stub_message__)

    def __getattr__(cls, name):
        if name.startswith("_"):  # protocol probes (copy, pickle, numba, IPython)
            raise AttributeError(name)
        # wp.Volume.load_from_nvdb(...), np.dtype(wp.bfloat16) (reads .dtype), ...
        raise NotSupportedError(message(cls.__stub_qualname__, name))

    def __instancecheck__(cls, obj):
        return False

    def __repr__(cls):
        return f"<{_display(cls.__stub_qualname__)}: missing in numba_warp>"


def stub(qualname: str):
    """The stub standing for ``qualname`` (one class per name)."""
    found = _STUBS.get(qualname)
    if found is None:
        if qualname not in _STUBBED:
            raise KeyError(f"{qualname} is not in numba_warp's table of stubbed Warp names")
        text = message(qualname)
        name = qualname.rsplit(".", 1)[-1]
        # an exception class stays catchable (``except wp.WarpDeterminismError``)
        bases = (RuntimeError,) if name.endswith("Error") else ()
        attrs = {"__stub_qualname__": qualname, "__stub_message__": text, "__doc__": text,
                 "__module__": __name__}
        found = _STUBS[qualname] = _StubMeta(name, bases, attrs)
    return found


def is_stub(obj) -> bool:
    return isinstance(obj, _StubMeta)


def module_getattr(warp_module: str, module_name: str, previous=None):
    """A PEP 562 ``__getattr__`` serving the stubs of ``warp_module`` (e.g. "warp.utils")
    for the numba_warp module ``module_name``; ``previous`` is that module's own
    ``__getattr__``, if it had one, consulted first."""

    def __getattr__(name: str):
        if previous is not None:
            try:
                return previous(name)
            except AttributeError:
                pass
        qualname = f"{warp_module}.{name}"
        if qualname in _STUBBED:
            return stub(qualname)
        raise AttributeError(f"module '{module_name}' has no attribute '{name}'")

    return __getattr__


def extend_module(module, warp_module: str) -> None:
    """Serve ``warp_module``'s stubs from ``module`` (a numba_warp submodule), keeping the
    module's own ``__getattr__``; None (a module not present) is ignored."""
    if module is None or getattr(module, "__stub_module__", None) == warp_module:
        return
    previous = module.__dict__.get("__getattr__")
    module.__getattr__ = module_getattr(warp_module, module.__name__, previous)
    module.__stub_module__ = warp_module


def refuse_import(module_name: str) -> None:
    """Raise the ImportError of ``numba_warp.<name>`` for Warp's ``warp.<name>``."""
    qualname = "warp." + module_name.rsplit(".", 1)[-1]
    gap = _BY_NAME[qualname]
    status = "is not available in numba_warp yet" if gap.status == "not yet" \
        else "is not supported by numba_warp"
    raise ImportError(f"{qualname} {status} (import {module_name} failed): {gap.why}. "
                      f"Instead: {gap.instead}.", name=module_name)
