"""numba_warp: NVIDIA Warp's programming model as a pure-Python Numba extension.

``import numba_warp as wp`` gives typed kernels (``@wp.kernel``, ``@wp.func``,
``@wp.struct``), ``wp.array`` and ``wp.launch`` on a multithreaded CPU and on
NVIDIA GPUs (through numba-cuda).
"""

from __future__ import annotations

from .version import __version__  # noqa: F401

import typing as _typing

from . import config  # noqa: F401
from .lang import *  # noqa: F401,F403
from .runtime.array import ARRAY_MAX_DIMS, array  # noqa: F401
from .runtime.factories import (  # noqa: F401
    clone,
    copy,
    empty,
    empty_like,
    from_numpy,
    full,
    full_like,
    ones,
    ones_like,
    zeros,
    zeros_like,
)
from .runtime.cache import clear_kernel_cache  # noqa: F401
from .runtime.device import (  # noqa: F401
    Device,
    ScopedDevice,
    get_cuda_device_count,
    get_cuda_devices,
    get_device,
    get_devices,
    get_preferred_device,
    is_cpu_available,
    is_cuda_available,
    set_device,
    synchronize,
    synchronize_device,
)
from .runtime.func import Function, func  # noqa: F401
from .runtime.kernel import (  # noqa: F401
    Kernel,
    get_module_options,
    kernel,
    load_module,
    set_module_options,
)
from .runtime.launch import Launch, launch  # noqa: F401
# installs wp.array's strided GPU fills/copies (kernels: runtime/array.py cannot import them)
from .runtime import array_kernels as _array_kernels  # noqa: F401
# keeps Python-scope builtins' compiled code (quaternions, transforms) in the kernel cache
from .runtime import python_scope as _python_scope  # noqa: F401
from .runtime.device import (  # noqa: F401
    Event,
    ScopedStream,
    Stream,
    get_event_elapsed_time,
    get_stream,
    record_event,
    set_stream,
    synchronize_event,
    synchronize_stream,
    wait_event,
    wait_stream,
)
from .frontend.errors import (  # noqa: F401
    WarpCodegenAttributeError,
    WarpCodegenError,
    WarpCodegenIndexError,
    WarpCodegenKeyError,
    WarpCodegenTypeError,
    WarpCodegenValueError,
)
from .interop import from_dlpack, to_dlpack  # noqa: F401
from .interop.numba_views import as_vectors  # noqa: F401
from .typing.scalars import scalar_types as _scalar_types
from .typing.structs import struct  # noqa: F401
from .typing.vec import ALIASES as _VEC_ALIASES
from .typing.vec import vector  # noqa: F401
from .typing.mat import ALIASES as _MAT_ALIASES
from .typing.mat import matrix  # noqa: F401
from .lowering import vector_ops as _vector_ops  # noqa: F401  (registers operators)
from .tape import Tape  # noqa: F401
from .checkpoint import checkpointed_rollout  # noqa: F401
from .forward_mode import jvp  # noqa: F401
from .runtime.custom_grad import adjoint, func_grad, func_replay  # noqa: F401
from . import autograd  # noqa: F401

globals().update(_VEC_ALIASES)
globals().update(_MAT_ALIASES)

bool = _scalar_types["bool"]  # noqa: A001 - Warp's name
int8 = _scalar_types["int8"]
uint8 = _scalar_types["uint8"]
int16 = _scalar_types["int16"]
uint16 = _scalar_types["uint16"]
int32 = _scalar_types["int32"]
uint32 = _scalar_types["uint32"]
int64 = _scalar_types["int64"]
uint64 = _scalar_types["uint64"]
#: Warp's annotation for object handles (Mesh, Bvh ids) in kernels: a uint64
handle = uint64
#: what a ``device=`` argument accepts: a Device, a name ("cpu", "cuda:0") or None
DeviceLike = Device | str | None
float16 = _scalar_types["float16"]
float32 = _scalar_types["float32"]
float64 = _scalar_types["float64"]
half = float16

Any = _typing.Any
Scalar = _typing.Any
Float = _typing.Any
Int = _typing.Any

# --- issue 11: arrays (array1d..4d, fixedarray, indexedarray, wp.utils, array operators) ---
from .runtime.array_annotations import (  # noqa: E402,F401
    array1d,
    array2d,
    array3d,
    array4d,
    fixedarray,
)
from .runtime import array_arith as _array_arith  # noqa: E402,F401  (installs a + b, ...)
from . import utils  # noqa: E402,F401
from .runtime.indexed import (  # noqa: E402,F401
    indexedarray,
    indexedarray1d,
    indexedarray2d,
    indexedarray3d,
    indexedarray4d,
)

# --- issue 11: runtime (timing, graph capture, Launch objects, modules, memory) ---
from .runtime.timing import (  # noqa: E402,F401
    TIMING_ALL,
    TIMING_GRAPH,
    TIMING_KERNEL,
    TIMING_KERNEL_BUILTIN,
    TIMING_MEMCPY,
    TIMING_MEMSET,
    ScopedTimer,
    TimingResult,
    timing_begin,
    timing_end,
    timing_print,
)
from .runtime.capture import (  # noqa: E402,F401
    CaptureMode,
    Graph,
    ScopedCapture,
    capture_begin,
    capture_debug_dot_print,
    capture_end,
    capture_if,
    capture_launch,
    capture_load,
    capture_load_from_bytes,
    capture_save,
    capture_while,
    is_conditional_graph_supported,
)
from .runtime.kernel import force_load  # noqa: E402,F401
from .runtime.launch import launch_tiled  # noqa: E402,F401
from .runtime.module import Module, get_module  # noqa: E402,F401
from .runtime.mempool import (  # noqa: E402,F401
    ScopedMempool,
    ScopedMempoolAccess,
    ScopedPeerAccess,
    get_mempool_release_threshold,
    get_mempool_used_mem_current,
    get_mempool_used_mem_high,
    is_mempool_access_enabled,
    is_mempool_access_supported,
    is_mempool_enabled,
    is_mempool_supported,
    is_peer_access_enabled,
    is_peer_access_supported,
    set_mempool_access_enabled,
    set_mempool_enabled,
    set_mempool_release_threshold,
    set_peer_access_enabled,
)
from .runtime.memory_tracker import ScopedMemoryTracker, print_memory_report  # noqa: E402,F401
# --- end issue 11: runtime ---

# Warp's predefined constants
from .constants import *  # noqa: E402,F401,F403

# --- issue 11: types (wp.types, dtype_from_numpy/dtype_to_numpy) ---
from . import types  # noqa: E402,F401
from .typing.introspect import dtype_from_numpy, dtype_to_numpy  # noqa: E402,F401

# --- issue 11: kernel language (wp.overload; wp.grad comes with the lang namespace) ---
from .runtime.kernel import overload  # noqa: E402,F401


def init() -> None:
    """Initialise the runtime. Optional: everything initialises on first use.

    Example
    -------
    >>> wp.init()
    >>> wp.is_cpu_available()
    True
    """
    get_devices()


def constant(x):
    """Mark a module-level value as a kernel constant (kernels inline it when compiled).

    Example
    -------
    >>> GRAVITY = wp.constant(-9.8)
    >>> @wp.kernel
    ... def fall(v: wp.array(dtype=float), dt: float):
    ...     i = wp.tid()
    ...     v[i] = v[i] + GRAVITY * dt
    >>> v = wp.zeros(2, dtype=float)
    >>> wp.launch(fall, dim=2, inputs=[v, 0.5])
    >>> print(v.numpy())
    [-4.9 -4.9]
    """
    return x


import warnings as _warnings  # noqa: E402

# --- issue 11: compat (Warp names numba_warp does not provide: clear errors, not
# AttributeError; see numba_warp/unsupported.py). Served by PEP 562 __getattr__, which
# Python consults only for names this module does not define: real definitions win. ---
import importlib as _importlib  # noqa: E402
import importlib.util as _importlib_util  # noqa: E402

from . import unsupported as _unsupported  # noqa: E402

#: public names served from a subpackage imported at their first use (wp.HashGrid, ...):
#: a program that never builds a spatial structure does not load them
_DEFERRED = {"HashGrid": "geometry", "Bvh": "geometry", "Mesh": "geometry",
             "is_cubql_available": "geometry", "geometry": None,
             **{name: "interop.torch_interop" for name in (
                 "from_torch", "to_torch", "device_from_torch", "device_to_torch",
                 "dtype_from_torch", "dtype_to_torch", "stream_from_torch",
                 "stream_to_torch", "torch_function")},
             **{name: "interop.jax_interop" for name in (
                 "from_jax", "to_jax", "device_from_jax", "device_to_jax", "dtype_from_jax",
                 "dtype_to_jax")},
             **{name: "interop.jax_callback" for name in (
                 "jax_kernel", "jax_callable", "clear_jax_callable_graph_cache",
                 "JaxCallableGraphMode", "JaxModulePreloadMode")}}


def _deferred(name: str):
    if name == "MarchingCubes":  # Warp's deprecated name; warns when read, as in Warp
        # stacklevel 3: the user's line, past the compat __getattr__ that calls this one
        _warnings.warn("wp.MarchingCubes is deprecated and will be removed in a future "
                       "version of Warp. Use wp.geometry.IsoSurfaceMarchingCubes instead.",
                       DeprecationWarning, stacklevel=3)
        return _deferred("geometry").IsoSurfaceMarchingCubes
    if name not in _DEFERRED:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    sub = _DEFERRED[name]
    module = _importlib.import_module(f"{__name__}.{sub or name}")
    value = module if sub is None else getattr(module, name)
    globals()[name] = value
    return value


__getattr__ = _unsupported.module_getattr("warp", __name__, _deferred)

# wp.types / wp.utils come from other modules; where present, they serve their stubs too
for _sub in ("types", "utils"):
    _mod = globals().get(_sub)
    if _mod is None and _importlib_util.find_spec(f"{__name__}.{_sub}") is not None:
        _mod = _importlib.import_module(f"{__name__}.{_sub}")
    _unsupported.extend_module(_mod, f"warp.{_sub}")
del _sub, _mod
