"""Checked launches: debug mode (``wp.config.mode = "debug"``) and null arrays.

A checked launch runs the kernel's checked variant (``Kernel.compile_cpu/compile_cuda``
with ``debug=True``: every array access bounds-checked, asserts kept; see
``frontend/checks.py``) on every path (serial CPU, parallel CPU, CUDA). A failed check
records itself in the failure slot (``lowering/debug_checks.py``) and the thread goes
on without the access; after the launch (on CUDA after a synchronize; nothing traps,
so the context stays usable) :func:`run_checked` raises one exception for the first
failure:

* ``IndexError`` for an out-of-bounds access, naming the kernel, the array (the kernel
  argument it comes from), the index, the shape, the thread and the user's line;
* ``AssertionError`` for a failed ``assert``, with its source line and message.

Release-mode launches with a ``None`` array argument (a null array, as in Warp) that
the kernel may access are checked launches too, so touching the null array is this
error, not a crash.

Backward passes are not instrumented (they index where the checked forward pass did):
in debug mode they run with Numba's bounds checks, serially on the CPU (an exception
does not escape a ``prange`` loop), and their errors are reported with the kernel's
name but no line. On CUDA those checks do not report.
"""

from __future__ import annotations

import linecache
import math

import numpy as np

from ..lazy import LazyModule
from ..lowering import debug_checks as dc
from . import cuda_backend
from .cpu_schedule import run_cpu
from .launcher import variant_noun

__all__ = ["run_checked", "KernelIndexError", "KernelAssertionError"]

# the failure sites checked code was made with (the instrumentation is imported when a
# kernel is first compiled in debug mode; see numba_warp/lazy.py)
_instrumentation = LazyModule("numba_warp.frontend.checks")


class KernelIndexError(IndexError):
    """An out-of-bounds array access in a checked launch (debug mode)."""


class KernelAssertionError(AssertionError):
    """A failed ``assert`` in a checked launch (debug mode)."""


_SLOT_BYTES = dc.SLOT_WORDS * 8


def run_checked(lp, stream, n: int, padded: tuple) -> None:
    """Run the prepared launch ``lp`` with its checked variant; raise on a failure."""
    k = lp.kernel
    conv = lp.arguments
    if lp.device.ordinal < 0:
        entry = k.compile_cpu(tuple(conv.types), lp.adjoint, debug=True)
        slot = dc.cpu_slot
        slot[:] = 0
        try:
            run_cpu(entry, n, *padded, *conv.cpu)
        except (IndexError, SystemError) as exc:
            if slot[dc.SLOT_CODE] == 0:
                raise _numba_error(lp, exc) from None
        words = slot.copy()
        slot[:] = 0
    else:
        kernel, slot_ptr = k.compile_cuda(tuple(conv.types), lp.device, lp.adjoint,
                                          debug=True)
        threads = lp.block_dim
        blocks = cuda_backend.grid_blocks(n, threads, lp.max_blocks, lp.device.ordinal)
        s = stream if stream is not None else lp.device.stream
        cuda_backend.launch(kernel, s, blocks, threads, (n, *padded, *conv.cuda))
        if slot_ptr is None:
            return
        words = np.frombuffer(cuda_backend.read_device(slot_ptr, _SLOT_BYTES,
                                                       lp.device.ordinal), dtype=np.int64)
        if words[dc.SLOT_CODE] != 0:
            cuda_backend.memset8(slot_ptr, 0, _SLOT_BYTES, None, lp.device.ordinal)
    if words[dc.SLOT_CODE] != 0:
        raise failure_error(lp, words)


def failure_error(lp, words) -> Exception:
    """The exception for a recorded failure (``words``: the failure slot)."""
    site = _instrumentation.SITES.get(int(words[dc.SLOT_CODE]))
    k = lp.kernel
    what = variant_noun(lp.adjoint)
    head = f"{what} '{k.qualified_name}'"
    thread = _thread(int(words[dc.SLOT_TID]), lp.dim)
    if site is None:
        return KernelIndexError(f"{head}: a debug check failed{thread}, at an unknown place")
    where = f'\n  File "{site.filename}", line {site.lineno}, in {site.function}'
    line = _source_line(site)
    if line:
        where += f"\n    {line}"
    if site.kind == "assert":
        msg = f": {site.message}" if site.message else ""
        return KernelAssertionError(f"{head}: assertion failed{thread}{msg}{where}")
    nidx = int(words[dc.SLOT_NIDX])
    ndim = int(words[dc.SLOT_NDIM])
    index = tuple(int(v) for v in words[dc.SLOT_IDX:dc.SLOT_IDX + nidx])
    shape = tuple(int(v) for v in words[dc.SLOT_SHAPE:dc.SLOT_SHAPE + ndim])
    idx_text = ", ".join(map(str, index))
    verb = {"read": "read of", "write": "write to", "atomic": "atomic update of"}[site.kind]
    what = _describe_array(lp, site) if words[dc.SLOT_KIND] != dc.KIND_VALUE else \
        f"the vector/matrix '{site.expr}'"
    msg = (f"{head}: out-of-bounds {verb} {site.expr}[{idx_text}]{thread}: "
           f"{what} has shape {shape}{where}")
    nulls = lp.arguments.nulls or ()
    null = site.expr if site.expr in nulls else (site.root if site.root in nulls else None)
    if null is not None and site.is_kernel:
        msg += (f"\nArgument '{null}' was None (a null array): pass an array, or do not "
                "access it in this launch.")
    return KernelIndexError(msg)


def _describe_array(lp, site) -> str:
    if site.root is None:
        return f"array '{site.expr}'"
    if not site.is_kernel:
        if site.expr == site.root:
            return f"array parameter '{site.root}' of @wp.func {site.function}"
        return f"array '{site.expr}' (from parameter '{site.root}' of @wp.func {site.function})"
    if site.expr == site.root:
        return f"array argument '{site.root}'"
    return f"array '{site.expr}' (from argument '{site.root}')"


def _thread(tid: int, dims) -> str:
    if tid < 0 or tid >= math.prod(dims):
        return ""
    if len(dims) == 1:
        return f" in thread {tid}"
    return f" in thread {tuple(int(i) for i in np.unravel_index(tid, dims))}"


def _source_line(site) -> str:
    return linecache.getline(site.filename, site.lineno).strip()


def _numba_error(lp, exc) -> Exception:
    """A Numba bounds-check error (backward passes in debug mode), with the kernel named."""
    cause = exc if isinstance(exc, IndexError) else (exc.__cause__ or exc.__context__)
    what = variant_noun(lp.adjoint)
    text = str(cause) if cause is not None else str(exc)
    return KernelIndexError(
        f"{what} '{lp.kernel.qualified_name}': {text} (Numba's bounds check, wp.config.mode is "
        "'debug'). Backward passes are not instrumented, so the line is not known; the "
        "forward launch in debug mode reports the access with its line.")
