"""How a parallel CPU launch shares its threads out: the settings it reads at each launch
and the compiled helpers the CPU launcher (``launcher.py``) calls.

A CPU launch of ``n`` threads runs serially on the calling thread below
``wp.config.cpu_parallel_threshold``. Above it, a team of ``T`` Numba threads
(``wp.config.cpu_threads``; None: Numba's current count, ``NUMBA_NUM_THREADS`` by
default) pulls chunks of consecutive thread ids from a shared atomic counter until none
is left: dynamic scheduling. Numba's own ``prange`` hands each thread a fixed share up
front (and ``numba.set_parallel_chunksize`` only changes that under the TBB layer; under
OpenMP and the workqueue layer chunks are still dealt out statically), so one thread
that the OS deschedules holds back the whole launch on a loaded machine. Here the
threads that run take its work over. Chunks are about ``n / (32 T)`` thread ids: few
enough that the counter costs nothing next to even the cheapest kernel, many enough to
balance kernels whose threads do very different amounts of work.

Idle team threads sleep (``OMP_WAIT_POLICY=PASSIVE``, set here unless the environment
sets it, before Numba starts its OpenMP pool). OpenMP's default lets them spin for a
while after each launch: on a loaded machine the OS deschedules a spinning thread, which
then waits a whole time slice (several ms) before it sees the next launch, and the launch
waits for it at its end; a sleeping thread is woken promptly. The price is a few us more
per parallel launch on an idle machine.

The settings live in a small C array (``SETTINGS``) that compiled launchers read through
an external symbol, so they take effect at the next launch without recompiling, cost
one load per launch and survive Numba's on-disk cache (the address is resolved when the
code is loaded, not baked into it). ``wp.config`` checks and writes them when they are
assigned (see :func:`install`); a value that is not allowed raises at that assignment.
"""

from __future__ import annotations

import ctypes
import os

import llvmlite.binding as llvm
import numpy as np
from llvmlite import ir
from numba import njit
from numba.core import cgutils, types
from numba.core import config as numba_config
from numba.extending import intrinsic
from numba.np.ufunc import parallel as numba_parallel

from .. import config

__all__ = [
    "CHUNKS_PER_THREAD",
    "SETTINGS",
    "THREADS",
    "THRESHOLD",
    "chunk_size",
    "claim",
    "install",
    "max_threads",
    "new_counter",
    "restore_threads",
    "setting",
    "team_size",
]

#: index in SETTINGS: the team size a launch asks for (0: Numba's current count)
THREADS = 0
#: index in SETTINGS: launches with fewer threads run serially
THRESHOLD = 1
_SLOTS = 4
#: chunks per team thread a parallel launch is cut into
CHUNKS_PER_THREAD = 32

_SYMBOL = "numba_warp_cpu_settings"
#: the settings compiled launchers read at each launch (int64 each; see the indices)
SETTINGS = (ctypes.c_int64 * _SLOTS)()
llvm.add_symbol(_SYMBOL, ctypes.addressof(SETTINGS))

_i32 = ir.IntType(32)
_i64 = ir.IntType(64)


def _prefer_sleeping_threads() -> None:
    # read by libgomp when it is loaded, i.e. when Numba starts its thread pool
    if not getattr(numba_parallel, "_is_initialized", False):
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def _ensure_thread_pool():
    # Numba registers get/set_num_threads with LLVM when it starts its thread pool
    numba_parallel._launch_threads()


@intrinsic
def setting(typingctx, index):
    """SETTINGS[index], read at run time."""
    if not isinstance(index, types.Integer):
        return None

    def codegen(context, builder, signature, args):
        table = ir.ArrayType(_i64, _SLOTS)
        gv = builder.module.globals.get(_SYMBOL)
        if gv is None:
            gv = ir.GlobalVariable(builder.module, table, _SYMBOL)
            gv.linkage = "external"
        idx = context.cast(builder, args[0], signature.args[0], types.int64)
        return builder.load(builder.gep(gv, [ir.Constant(_i32, 0), idx]))
    return types.int64(index), codegen


@intrinsic
def claim(typingctx, counter, size):
    """Atomically add ``size`` to ``counter[0]``; the value it had (the first id of
    the chunk the caller now owns)."""
    if not (isinstance(counter, types.Array) and counter.dtype == types.int64):
        return None

    def codegen(context, builder, signature, args):
        ary = context.make_array(signature.args[0])(context, builder, args[0])
        size = context.cast(builder, args[1], signature.args[1], types.int64)
        return builder.atomic_rmw("add", ary.data, size, "monotonic")
    return types.int64(counter, size), codegen


@intrinsic
def _get_num_threads(typingctx):
    # Numba's jitted get_num_threads() reaches the pool through a ctypes pointer, which
    # stops the on-disk cache; this calls the C function by the symbol parfors use.
    _ensure_thread_pool()

    def codegen(context, builder, signature, args):
        # declared as parfor lowering declares it (the module may hold both calls);
        # the C function returns an int
        fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(_i64, []),
                                            "get_num_threads")
        return builder.sext(builder.trunc(builder.call(fn, []), _i32), _i64)
    return types.int64(), codegen


@intrinsic
def _set_num_threads(typingctx, n):
    _ensure_thread_pool()

    def codegen(context, builder, signature, args):
        fn = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.VoidType(), [_i32]), "set_num_threads")
        builder.call(fn, [builder.trunc(args[0], _i32)])
        return context.get_dummy_value()
    return types.none(types.int64), codegen


@njit(inline="always")
def team_size(n, serial_below):
    """(threads a launch of ``n`` threads uses, the count to restore after it or 0):
    1 below ``serial_below``; else ``wp.config.cpu_threads`` (applied to the calling
    thread for this launch; undone by :func:`restore_threads`) or Numba's count."""
    if n < serial_below:
        return 1, 0
    before = _get_num_threads()
    want = setting(THREADS)
    if want > 0 and want != before:
        _set_num_threads(want)
        return want, before
    return before, 0


@njit(inline="always")
def restore_threads(before):
    if before > 0:
        _set_num_threads(before)


@njit(inline="always")
def chunk_size(n, team):
    """Thread ids per chunk for a launch of ``n`` threads over ``team`` threads."""
    return max(1, n // (team * CHUNKS_PER_THREAD))


@njit(inline="always")
def new_counter():
    """The shared next-chunk counter of one launch."""
    return np.zeros(1, np.int64)


def max_threads() -> int:
    """The most threads a launch can use: Numba's pool size (``NUMBA_NUM_THREADS``)."""
    return int(numba_config.NUMBA_NUM_THREADS)


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _check_threads(value):
    top = max_threads()
    if value is None:
        SETTINGS[THREADS] = 0
        return value
    if not _is_int(value) or not 1 <= value <= top:
        raise ValueError(
            f"wp.config.cpu_threads must be None (Numba's thread count, "
            f"NUMBA_NUM_THREADS={top} here) or an int from 1 to {top}; got {value!r}. "
            "For more threads than that, set the environment variable NUMBA_NUM_THREADS "
            "before Python starts")
    SETTINGS[THREADS] = int(value)
    return value


def _check_threshold(value):
    if not _is_int(value) or value < 0:
        raise ValueError(f"wp.config.cpu_parallel_threshold must be an int >= 0 (launches "
                         f"with fewer threads run serially); got {value!r}")
    SETTINGS[THRESHOLD] = min(int(value), 2**62)
    return value


def install() -> None:
    """Check the current CPU settings of ``wp.config``, copy them to SETTINGS and make
    later assignments do the same (called once, when this module is imported)."""
    config.on_assign("cpu_threads", _check_threads)
    config.on_assign("cpu_parallel_threshold", _check_threshold)
    _check_threads(config.cpu_threads)
    _check_threshold(config.cpu_parallel_threshold)


_prefer_sleeping_threads()
install()
