"""``wp.launch``'s fast path: a per-kernel argument converter generated once.

Most launches in a simulation loop pass the same kinds of values every time: arrays of
the annotated dtype and ndim on the launch device, Python numbers for scalar
parameters, vector values. For a kernel whose parameters are all arrays, the four common
scalar types (float32/float64/int32/int64) and vector/matrix values, :func:`fast_launcher`
generates a Python function specialised to its parameter list that checks each argument
with ``type(x) is ...`` tests and returns the variant key (the device and the arrays'
Numba types) and the launcher's values, or None when any argument is not a common case.

:func:`try_launch` runs a launch on that path, or returns False without side effects;
``wp.launch`` then takes the full path, which converts, checks and explains every
argument (so every error message comes from one place). The fast path is skipped while
a Tape records, in debug mode, with ``verify_fp``, during graph capture and while CUDA
activity is timed.
"""

from __future__ import annotations

import struct

import numpy as np

from .. import config
from . import capture_state, cuda_backend, cuda_launch, handles, recording
from .cpu_schedule import run_cpu
from .cpu_schedule import serialize as serialize_cpu
from .array import array
from .device import get_device
from .foreign import cache_view, known_view, view_entry
from .func import redefinition_epoch

__all__ = ["FastLauncher", "fast_launcher", "try_launch"]

#: scalar parameter types the fast path takes: (Python type, the value's 8-byte CUDA
#: parameter slot (a struct code, as cuda_launch lays them out), lower and upper bound)
_SCALARS = {
    "float32": (float, "f4x", -3.4028234663852886e38, 3.4028234663852886e38),
    "float64": (float, "d", float("-inf"), float("inf")),
    "int32": (int, "i4x", -(2**31), 2**31 - 1),
    "int64": (int, "q", -(2**63), 2**63 - 1),
    "uint64": (int, "Q", 0, 2**64 - 1),
}
#: the CUDA launcher's leading parameters: the thread count and four dims
_HEAD = struct.Struct("<5q")


def _flat_value(v):
    """A vector/matrix value's components as NumPy scalars (CUDA flattens them)."""
    return np.asarray(v).reshape(-1)


def _value_codes(cls) -> str | None:
    """The CUDA parameter slots of a vector/matrix type's components."""
    try:
        proto = _flat_value(cls())
    except Exception:  # noqa: BLE001 - a value type that cannot be made empty: no fast path
        return None
    codes = [cuda_launch.slot_code(c) for c in proto]
    return None if None in codes else "".join(codes)


def _param_code(k: int, spec, ns: dict):
    """(checks, key part or None, CPU value, CUDA bytes, CUDA slot codes) source for
    parameter ``k``, or None if its kind has no fast path."""
    a = f"a{k}"
    if spec.kind == "array":
        ns[f"_E{k}"] = None if spec.generic_dtype else spec.element
        # another library's array: its cached view (foreign.view_entry), else a new one
        checks = [f"if type({a}) is not _array:",
                  f"    h = _entry(id({a}))",
                  f"    if h is not None and h[2] is dev and h[3] is _E{k} and "
                  f"h[1]({a}) == h[4]: {a} = h[5]",
                  "    else:",
                  f"        {a} = _foreign({a}, _E{k}, dev)",
                  f"        if {a} is None: return None",
                  f"if {a}.device is not dev or {a}.ndim != {spec.ndim}: return None",
                  f"d{k} = {a}.launch_cache or {a}.launch_data()"]
        if not spec.generic_dtype:
            ns[f"_T{k}"] = spec.element.numba_type
            checks.append(f"if d{k}.dtype is not _T{k}: return None")
        return (checks, f"id(d{k}.numba_type)", f"d{k}.cpu_arg", f"d{k}.cuda_bytes",
                "q" * (5 + 2 * spec.ndim))
    if spec.kind == "scalar":
        rule = _SCALARS.get(str(spec.numba_type))
        if rule is None:
            return None
        py, code, lo, hi = rule
        ns[f"_P{k}"], ns[f"_lo{k}"], ns[f"_hi{k}"] = py, lo, hi
        ns[f"_S{k}"] = struct.Struct("<" + code).pack
        checks = [f"if type({a}) is not _P{k} or not _lo{k} <= {a} <= _hi{k}: return None"]
        if py is int and lo == 0:  # uint64: maybe a structure's id (the slow path says why)
            ns["_handle_problem"] = handles.problem
            checks.append(f"if _handle_problem({a}, dev) is not None: return None")
        return checks, None, a, f"_S{k}({a})", code
    if spec.kind == "value" and isinstance(spec.annotation, type):
        codes = _value_codes(spec.annotation)
        if codes is None:
            return None
        ns[f"_V{k}"] = spec.annotation
        ns[f"_S{k}"] = struct.Struct("<" + codes).pack
        return ([f"if type({a}) is not _V{k}: return None"], None, a, f"_S{k}(*_flat({a}))",
                codes)
    return None


def _converter(specs):
    """The generated converter ``convert(args, dev, cpu) -> (key, values) | None`` (the
    CPU launcher's values, or the CUDA parameters' bytes) and the CUDA slot codes, or
    None if a parameter kind has no fast path."""
    ns = {"_array": array, "_flat": _flat_value, "_foreign": cache_view,
          "_entry": view_entry}
    body, keys, cpu_vals, cuda_parts, codes = [], ["dev.ordinal"], [], [], ["qqqqq"]
    for k, spec in enumerate(specs):
        code = _param_code(k, spec, ns)
        if code is None:
            return None
        checks, key, cpu_v, cuda_v, slots = code
        body.extend(checks)
        if key is not None:
            keys.append(key)
        cpu_vals.append(cpu_v)
        cuda_parts.append(cuda_v)
        codes.append(slots)
    names = "".join(f"a{k}, " for k in range(len(specs)))
    lines = ["def convert(args, dev, cpu):"]
    if specs:
        lines.append(f"    {names}= args")
    lines += [f"    {line}" for line in body]
    key = f"({', '.join(keys)},)"
    lines.append(f"    if cpu: return {key}, ({''.join(v + ', ' for v in cpu_vals)})")
    lines.append(f"    return {key}, ({''.join(v + ', ' for v in cuda_parts)})")
    exec(compile("\n".join(lines), "<numba_warp launch converter>", "exec"), ns)  # noqa: S102
    return ns["convert"], "<" + "".join(codes)


class FastLauncher:
    """A kernel's fast launch path (see the module docstring)."""

    __slots__ = ("kernel", "convert", "nargs", "writes", "variants", "epoch",
                 "specs", "persistent", "cuda_layout")

    def __init__(self, kernel, plan, convert, cuda_layout: str):
        self.kernel = kernel
        self.convert = convert
        self.cuda_layout = cuda_layout  # the struct format of the CUDA parameters
        self.specs = tuple(kernel.arg_specs)
        self.nargs = len(self.specs)
        self.writes = tuple(sorted({k for k, attrs in plan.write_params() if not attrs}))
        self.persistent = kernel.persistent_grid
        self.variants: dict = {}  # key -> (compiled entry, argument types kept alive)
        self.epoch = redefinition_epoch()

    def entry(self, key, args, dev):
        """The compiled variant for ``key`` (compiled on the first launch with it)."""
        hit = self.variants.get(key)
        if hit is not None:
            return hit[0]
        argtypes = tuple(_array_of(a).launch_data().numba_type if s.kind == "array"
                         else s.numba_type for s, a in zip(self.specs, args))
        if dev.ordinal < 0:
            entry = self.kernel.compile_cpu(argtypes)
        else:
            entry = self.kernel.compile_cuda(argtypes, dev)
            entry.check_layout(self.cuda_layout)
        self.variants[key] = (entry, argtypes)
        return entry


def _array_of(a):
    """A ``wp.array`` argument, or the view the converter made of another library's."""
    return a if type(a) is array else known_view(a)


def fast_launcher(kernel, plan):
    """The kernel's :class:`FastLauncher`, or False if its parameters have no fast path."""
    made = _converter(kernel.arg_specs)
    if made is None:
        return False
    return FastLauncher(kernel, plan, *made)


_MAX_THREADS = 2**63 - 1


def _tuple_dims(dim):
    """``(n, padded dims)`` for a launch dim that is a tuple of positive ints, or None
    (an int dim is handled inline in ``try_launch``)."""
    if type(dim) is tuple and 0 < len(dim) <= 4:
        n = 1
        for d in dim:
            if type(d) is not int or d <= 0:
                return None
            n *= d
        return (n, dim + (1,) * (4 - len(dim))) if n <= _MAX_THREADS else None
    return None


def try_launch(kernel, dim, inputs, outputs, device, stream, record_tape, max_blocks,
               block_dim) -> bool:
    """Run a forward launch on the fast path; False (nothing done) if it does not apply."""
    plan = kernel.launch_plan
    fl = plan.fast
    if fl is None:
        fl = plan.fast = fast_launcher(kernel, plan)
    if fl is False or config.mode != "release" or config.verify_fp or \
            kernel.module.options["mode"] is not None or \
            capture_state.active[0] or \
            (record_tape and recording.active[0] and recording.current() is not None):
        return False
    if type(dim) is int and 0 < dim <= _MAX_THREADS:
        n, padded = dim, (dim, 1, 1, 1)
    else:
        nd = _tuple_dims(dim)
        if nd is None:
            return False
        n, padded = nd
    args = inputs if not outputs else (*inputs, *outputs)
    if len(args) != fl.nargs:
        return False
    epoch = redefinition_epoch()
    if fl.epoch != epoch:  # a @wp.func changed: the full path checks
        fl.variants.clear()
        fl.epoch = epoch
        return False
    dev = stream.device if stream is not None else get_device(device)
    on_cpu = dev.ordinal < 0
    if not on_cpu and cuda_backend.timing_state[0] is not None:
        return False
    conv = fl.convert(args, dev, on_cpu)
    if conv is None:
        return False
    key, values = conv
    hit = fl.variants.get(key)
    entry = hit[0] if hit is not None else fl.entry(key, args, dev)
    if fl.writes:
        name = kernel.key
        for k in fl.writes:
            a = args[k]
            (a if type(a) is array else known_view(a)).mark_write(name)
    if on_cpu:
        if serialize_cpu[0]:
            run_cpu(entry, n, *padded, *values)
        else:
            entry(n, *padded, *values)
    else:
        s = stream if stream is not None else dev.stream
        threads = block_dim or config.block_dim
        blocks = cuda_backend.grid_blocks(n, threads, max_blocks, dev.ordinal,
                                          fl.persistent)
        entry.launch_bytes(s, blocks, threads, _HEAD.pack(n, *padded) + b"".join(values))
    return True
