"""The API reference's table of contents: every public name of ``numba_warp`` in a section.

``docs/conf.py`` writes one reStructuredText page per entry of ``PAGES`` from it (autodoc
reads the docstrings), and ``tests/test_docs.py`` checks that every public name is in a
section, that each has a short example, and runs the examples. A name added to the
package without a section here fails that test, which says where to put it.

Functions and classes carry their example in their docstring (``>>>`` lines). Values
(constants, scalar types, the generated vector and matrix classes) cannot carry a
docstring of their own: their text and example are in ``VALUES`` below.
"""

from __future__ import annotations

import inspect
import re

import numba_warp as wp

#: (page, title, one-line intro)
PAGES = [
    ("kernels", "Kernels, functions and launches",
     "Declaring kernels, functions and structs, launching them, and compilation."),
    ("arrays", "Arrays", "Arrays, their factories, annotations and array utilities."),
    ("runtime", "Devices, streams, graphs and timing",
     "Devices, streams and events, memory pools, CUDA graph capture, timers."),
    ("autodiff", "Automatic differentiation",
     "Recording launches on a tape and computing gradients (see also the user guide's "
     "autodiff page)."),
    ("types", "Types", "Scalar, vector, matrix, quaternion, transform and spatial types."),
    ("builtins", "Kernel builtins",
     "Functions callable inside kernels and ``@wp.func`` functions; most also run from "
     "Python, on single values, as the examples show."),
    ("geometry", "Geometry", "Hash grids, bounding volume hierarchies, meshes, isosurfaces."),
    ("interop", "Interoperability", "DLPack, PyTorch and JAX."),
    ("constants", "Constants", "Mathematical and timing constants."),
]

#: (page, section title, names): sections in the order they are shown
SECTIONS = [
    ("kernels", "Declaring", "kernel func struct overload constant static tid grad "
                             "func_grad func_replay Kernel Function"),
    ("kernels", "Launching", "launch launch_tiled Launch"),
    ("kernels", "Modules and compilation", "Module get_module load_module force_load "
                                           "set_module_options get_module_options init "
                                           "clear_kernel_cache"),
    ("kernels", "Errors", "WarpCodegenError WarpCodegenAttributeError WarpCodegenIndexError "
                          "WarpCodegenKeyError WarpCodegenTypeError WarpCodegenValueError"),
    ("arrays", "Arrays", "array indexedarray"),
    ("arrays", "Factories", "zeros zeros_like ones ones_like full full_like empty empty_like "
                            "clone copy from_numpy"),
    ("arrays", "Annotations", "array1d array2d array3d array4d fixedarray indexedarray1d "
                              "indexedarray2d indexedarray3d indexedarray4d"),
    ("arrays", "Conversions", "dtype_from_numpy dtype_to_numpy as_vectors ARRAY_MAX_DIMS"),
    ("arrays", "Array utilities (wp.utils)", "utils.array_sum utils.array_inner "
                                             "utils.array_scan utils.array_cast "
                                             "utils.radix_sort_pairs utils.segmented_sort_pairs "
                                             "utils.runlength_encode"),
    ("runtime", "Devices", "Device DeviceLike get_device set_device get_devices "
                           "get_cuda_devices get_cuda_device_count get_preferred_device "
                           "is_cpu_available is_cuda_available ScopedDevice synchronize "
                           "synchronize_device"),
    ("runtime", "Streams and events", "Stream ScopedStream get_stream set_stream wait_stream "
                                      "synchronize_stream Event record_event wait_event "
                                      "synchronize_event get_event_elapsed_time"),
    ("runtime", "Graph capture", "ScopedCapture capture_begin capture_end capture_launch "
                                 "Graph CaptureMode capture_if capture_while "
                                 "is_conditional_graph_supported capture_save capture_load "
                                 "capture_load_from_bytes capture_debug_dot_print"),
    ("runtime", "Memory pools and peer access", "is_mempool_supported is_mempool_enabled "
                                                "set_mempool_enabled ScopedMempool "
                                                "get_mempool_release_threshold "
                                                "set_mempool_release_threshold "
                                                "get_mempool_used_mem_current "
                                                "get_mempool_used_mem_high "
                                                "is_mempool_access_supported "
                                                "is_mempool_access_enabled "
                                                "set_mempool_access_enabled "
                                                "ScopedMempoolAccess is_peer_access_supported "
                                                "is_peer_access_enabled "
                                                "set_peer_access_enabled ScopedPeerAccess"),
    ("runtime", "Memory tracking", "ScopedMemoryTracker print_memory_report"),
    ("runtime", "Timing", "ScopedTimer TimingResult timing_begin timing_end timing_print "
                          "TIMING_ALL TIMING_KERNEL TIMING_KERNEL_BUILTIN TIMING_MEMCPY "
                          "TIMING_MEMSET TIMING_GRAPH"),
    ("autodiff", "Tape", "Tape adjoint"),
    ("autodiff", "Long rollouts", "checkpointed_rollout"),
    ("autodiff", "Forward mode", "jvp"),
    ("types", "Scalar types", "bool int8 uint8 int16 uint16 int32 uint32 int64 uint64 "
                              "float16 half float32 float64 handle"),
    ("types", "Generic annotations", "Any Scalar Float Int"),
    ("types", "Type constructors", "vector matrix"),
    ("types", "Vectors", " ".join(f"vec{n}{s}" for n in (2, 3, 4)
                                  for s in ("", "b", "ub", "s", "us", "i", "ui", "l",
                                            "ul", "h", "f", "d"))),
    ("types", "Matrices", " ".join(f"mat{n}{n}{s}" for n in (2, 3, 4)
                                   for s in ("", "h", "f", "d"))),
    ("types", "Quaternions and transforms", "quat quath quatf quatd transform transformh "
                                            "transformf transformd"),
    ("types", "Spatial vectors and matrices", "spatial_vector spatial_vectorh "
                                              "spatial_vectorf spatial_vectord spatial_matrix "
                                              "spatial_matrixh spatial_matrixf "
                                              "spatial_matrixd"),
    ("builtins", "Scalar math", "module:numba_warp.lowering.scalar_math "
                                "module:numba_warp.lowering.scalar_special"),
    ("builtins", "Operators and control", "module:numba_warp.lowering.operators"),
    ("builtins", "Vector math", "module:numba_warp.lowering.vector_math"),
    ("builtins", "Matrix math", "module:numba_warp.lowering.matrix_math "
                                "module:numba_warp.lowering.decompositions"),
    ("builtins", "Quaternions", "module:numba_warp.lowering.quat "
                                "module:numba_warp.lowering.quat_angles "
                                "module:numba_warp.lowering.quat_between"),
    ("builtins", "Transforms", "module:numba_warp.lowering.transform"),
    ("builtins", "Spatial algebra", "module:numba_warp.lowering.spatial"),
    ("builtins", "Random numbers", "module:numba_warp.lowering.random_ops"),
    ("builtins", "Noise", "module:numba_warp.lowering.noise_ops"),
    ("builtins", "Atomics", "module:numba_warp.lowering.atomics"),
    ("builtins", "Searching and geometric primitives",
     "module:numba_warp.lowering.search_ops module:numba_warp.lowering.geometry_prims"),
    ("geometry", "Hash grids", "HashGrid module:numba_warp.lowering.hash_grid_ops"),
    ("geometry", "Bounding volume hierarchies", "Bvh module:numba_warp.lowering.bvh_ops"),
    ("geometry", "Meshes", "Mesh module:numba_warp.lowering.mesh_ops "
                           "module:numba_warp.lowering.mesh_queries"),
    ("geometry", "Isosurfaces", "geometry.IsoSurfaceMarchingCubes geometry.IsoSurfaceNets "
                                "is_cubql_available"),
    ("interop", "DLPack", "from_dlpack to_dlpack"),
    ("interop", "PyTorch", "from_torch to_torch device_from_torch device_to_torch "
                           "dtype_from_torch dtype_to_torch stream_from_torch stream_to_torch "
                           "torch_function"),
    ("interop", "JAX", "from_jax to_jax device_from_jax device_to_jax dtype_from_jax "
                       "dtype_to_jax jax_kernel jax_callable clear_jax_callable_graph_cache "
                       "JaxCallableGraphMode JaxModulePreloadMode"),
    ("constants", "Mathematical constants", "pi PI tau TAU half_pi HALF_PI e E phi PHI ln2 LN2 "
                                            "ln10 LN10 log2e LOG2E log10e LOG10E inf INF "
                                            "nan NAN"),
]

#: module attributes that are not part of the API (submodules, ``from __future__`` names)
NOT_API = {"annotations", "autograd", "config", "constants", "frontend", "interop", "lang",
           "lazy", "lowering", "runtime", "tape", "types", "typing", "unsupported", "utils",
           "version", "geometry", "fem", "optim", "render", "sim", "sparse", "examples"}


def _scalar_doc(name: str) -> tuple[str, str]:
    return (f"The ``{name}`` scalar type: annotate parameters and arrays with it, or call it "
            "to make a value of that type.",
            f">>> wp.zeros(2, dtype=wp.{name}).dtype is wp.{name}\nTrue")


def _vector_example(name: str) -> str:
    cls = getattr(wp, name)
    n, kind = cls._length_, cls._wp_scalar_type_
    args = ", ".join(str(i + 1) if "int" in kind.__name__ or kind is wp.bool else f"{i + 1}.0"
                     for i in range(n))
    if kind is wp.bool:
        args = ", ".join("True" for _ in range(n))
    return f">>> v = wp.{name}({args})\n>>> v.dtype is wp.{kind.__name__}, len(v)\n(True, {n})"


def _matrix_example(name: str) -> str:
    cls = getattr(wp, name)
    rows, cols = cls._shape_
    kind = cls._wp_scalar_type_.__name__
    return (f">>> m = wp.{name}()  # zeros\n>>> m.dtype is wp.{kind}, m.shape\n"
            f"(True, ({rows}, {cols}))")


def _build_values() -> dict:
    values = {}
    for name in ("pi", "PI"):
        values[name] = ("pi, the ratio of a circle's circumference to its diameter.",
                        f">>> round(wp.{name}, 6)\n3.141593")
    for name in ("tau", "TAU"):
        values[name] = ("2 pi.", f">>> wp.{name} == 2.0 * wp.pi\nTrue")
    for name in ("half_pi", "HALF_PI"):
        values[name] = ("pi / 2.", f">>> wp.{name} == 0.5 * wp.pi\nTrue")
    for name in ("e", "E"):
        values[name] = ("Euler's number.", f">>> round(wp.{name}, 6)\n2.718282")
    for name in ("phi", "PHI"):
        values[name] = ("The golden ratio.", f">>> round(wp.{name}, 6)\n1.618034")
    for name, text, val in (("ln2", "Natural logarithm of 2.", "0.693147"),
                            ("ln10", "Natural logarithm of 10.", "2.302585"),
                            ("log2e", "Base-2 logarithm of e.", "1.442695"),
                            ("log10e", "Base-10 logarithm of e.", "0.434294")):
        for n in (name, name.upper()):
            values[n] = (text, f">>> round(wp.{n}, 6)\n{val}")
    for name in ("inf", "INF"):
        values[name] = ("Positive infinity (a float).", f">>> wp.isinf(wp.{name})\nTrue")
    for name in ("nan", "NAN"):
        values[name] = ("Not a number (a float).", f">>> wp.isnan(wp.{name})\nTrue")
    for name in ("bool int8 uint8 int16 uint16 int32 uint32 int64 uint64 float16 float32 "
                 "float64").split():
        values[name] = _scalar_doc(name)
    values["half"] = ("Another name of ``float16``.", ">>> wp.half is wp.float16\nTrue")
    values["handle"] = ("An unsigned 64-bit integer holding an object's id (``wp.uint64``): "
                        "the type of ``HashGrid.id``, ``Bvh.id`` and ``Mesh.id``.",
                        ">>> wp.handle is wp.uint64\nTrue")
    for name in ("Any", "Scalar", "Float", "Int"):
        values[name] = (f"``{name}``: a generic parameter annotation for ``@wp.func``; "
                        "each call compiles an overload for the argument types it gets.",
                        f">>> @wp.func\n... def twice(x: wp.{name}):\n...     return x + x\n"
                        f">>> twice is not None\nTrue")
    values["ARRAY_MAX_DIMS"] = ("The most dimensions an array can have.",
                                ">>> wp.ARRAY_MAX_DIMS\n4")
    for name in ("TIMING_ALL", "TIMING_KERNEL", "TIMING_KERNEL_BUILTIN", "TIMING_MEMCPY",
                 "TIMING_MEMSET", "TIMING_GRAPH"):
        values[name] = ("A flag of ``wp.timing_begin(cuda_filter=...)`` / "
                        "``wp.ScopedTimer(cuda_filter=...)``: which CUDA activities to time.",
                        f">>> wp.{name} & wp.TIMING_ALL == wp.{name}\nTrue")
    values["DeviceLike"] = ("What a ``device=`` argument accepts: a ``wp.Device``, a name "
                            "such as ``\"cpu\"`` or ``\"cuda:0\"``, or None (the current "
                            "device).", ">>> wp.get_device(\"cpu\").is_cpu\nTrue")
    values["adjoint"] = ("``wp.adjoint[x]``: inside a custom gradient function "
                         "(``@wp.func_grad``), the adjoint of argument ``x``.",
                         ">>> wp.adjoint is not None\nTrue")
    for section in SECTIONS:
        if section[1] in ("Vectors", "Matrices", "Quaternions and transforms",
                          "Spatial vectors and matrices"):
            for name in section[2].split():
                cls = getattr(wp, name)
                kind = cls._wp_scalar_type_.__name__
                shape = getattr(cls, "_shape_", (getattr(cls, "_length_", 0),))
                text = f"A {' x '.join(map(str, shape))} {section[1].lower()[:-1]} of {kind}."
                if section[1] == "Quaternions and transforms":
                    text = f"A {name.rstrip('hfd')} of {kind} components."
                example = (_matrix_example(name) if len(shape) == 2
                           else _vector_example(name))
                values[name] = (re.sub(r"vectors and matrice", "vector", text), example)
    return values


VALUES = _build_values()


def resolve(name: str):
    """The object a reference name stands for (``utils.array_sum`` -> ``wp.utils.array_sum``)."""
    obj = wp
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


def public_names() -> set:
    """Every public name of ``numba_warp``: its namespace, the names it serves on first use
    (geometry, interop), and the array utilities of ``wp.utils``."""
    names = {n for n in dir(wp) if not n.startswith("_")
             and not inspect.ismodule(getattr(wp, n))} - NOT_API
    names |= set(wp._DEFERRED) - {"geometry"}
    names |= {f"utils.{n}" for n in dir(wp.utils) if not n.startswith("_")} - {"utils.annotations"}
    names |= {"geometry.IsoSurfaceMarchingCubes", "geometry.IsoSurfaceNets"}
    return names


def section_names(spec: str) -> list:
    """The names a section's spec lists (``module:X`` stands for every public name of
    numba_warp defined in module X, in alphabetical order)."""
    out = []
    for word in spec.split():
        if word.startswith("module:"):
            module = word[len("module:"):]
            out += sorted(n for n in dir(wp) if not n.startswith("_")
                          and getattr(getattr(wp, n), "__module__", None) == module
                          and (inspect.isfunction(getattr(wp, n))
                               or inspect.isclass(getattr(wp, n))))
        else:
            out.append(word)
    return out


def is_value(name: str) -> bool:
    """Documented from ``VALUES`` (no docstring of its own)."""
    return name in VALUES


def render_page(page: str) -> str:
    """The reStructuredText of one reference page."""
    title, intro = next((t, i) for p, t, i in PAGES if p == page)
    lines = [title, "=" * len(title), "", intro, "", ".. currentmodule:: numba_warp", ""]
    for sec_page, sec_title, spec in SECTIONS:
        if sec_page != page:
            continue
        lines += [sec_title, "-" * len(sec_title), ""]
        for name in section_names(spec):
            lines += _render_name(name)
    return "\n".join(lines) + "\n"


def _render_name(name: str) -> list:
    if is_value(name):
        text, example = VALUES[name]
        body = [f".. data:: {name}", "", f"   {text}", ""]
        return body + [f"   {ln}" for ln in example.splitlines()] + [""]
    obj = resolve(name)
    target = f"numba_warp.{name}" if "." in name else name
    if inspect.isclass(obj):
        return [f".. autoclass:: {target}", "   :members:", ""]
    return [f".. autofunction:: {target}", ""]
