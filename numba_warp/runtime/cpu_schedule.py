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
import threading

import llvmlite.binding as llvm
import numpy as np
from llvmlite import ir
from numba.core import cgutils, types
from numba.core import config as numba_config
from numba.extending import intrinsic
from numba.np.ufunc import parallel as numba_parallel

from .. import config

__all__ = ["CHUNKS_PER_THREAD", "SETTINGS", "THREADS", "THRESHOLD", "chunk_end", "chunk_size",
           "claim", "install", "max_threads", "new_counter", "run_cpu", "serialize",
           "setting", "swap_threads", "team_threads"]

#: Numba's workqueue threading layer aborts the interpreter when two Python threads run
#: parallel code at once; under it CPU launches from different Python threads take
#: turns. OpenMP and TBB are thread-safe: launches from several threads then run at the
#: same time. Numba picks the layer when it starts its thread pool, which the first CPU
#: launch does (it would at its first parallel launch anyway).
_TURNS = threading.Lock()
#: [True] while CPU launches go through :func:`run_cpu` (until the layer is known, and
#: for good under the workqueue layer)
serialize = [True]
_layer: list = [None]


def _start_pool() -> None:
    with _TURNS:
        if _layer[0] is None:
            numba_parallel._launch_threads()  # (Numba's own first-parallel-run step)
            _layer[0] = numba_parallel.threading_layer()
            serialize[0] = _layer[0] == "workqueue"


def run_cpu(entry, *args):
    """Call a compiled CPU launcher, safely when Python threads launch concurrently."""
    if _layer[0] is None:
        _start_pool()
    if not serialize[0]:
        return entry(*args)
    with _TURNS:
        return entry(*args)


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
        return _load_setting(builder, context.cast(builder, args[0], signature.args[0],
                                                   types.int64))
    return types.int64(index), codegen


def _load_setting(builder, index):
    gv = builder.module.globals.get(_SYMBOL)
    if gv is None:
        gv = ir.GlobalVariable(builder.module, ir.ArrayType(_i64, _SLOTS), _SYMBOL)
        gv.linkage = "external"
    if isinstance(index, int):
        index = _i64(index)
    return builder.load(builder.gep(gv, [_i32(0), index]))


@intrinsic
def claim(typingctx, counter, chunk):
    """Atomically add ``chunk`` to ``counter[0]``; the value it had: the first id of
    the chunk the caller now owns (ids from ``n`` on are nobody's)."""
    if not (isinstance(counter, types.Array) and counter.dtype == types.int64):
        return None

    def codegen(context, builder, signature, args):
        data = context.make_array(signature.args[0])(context, builder, args[0]).data
        size = context.cast(builder, args[1], signature.args[1], types.int64)
        return builder.atomic_rmw("add", data, size, "monotonic")
    return types.int64(counter, chunk), codegen


@intrinsic
def chunk_end(typingctx, start, chunk, n):
    """``min(start + chunk, n)``."""
    def codegen(context, builder, signature, args):
        start, chunk, n = (context.cast(builder, v, t, types.int64)
                           for v, t in zip(args, signature.args))
        end = builder.add(start, chunk)
        return builder.select(builder.icmp_signed("<", end, n), end, n)
    return types.int64(start, chunk, n), codegen


@intrinsic
def chunk_size(typingctx, n, team):
    """Thread ids per chunk: ``max(1, n // (team * CHUNKS_PER_THREAD))``."""
    def codegen(context, builder, signature, args):
        n, team = args
        size = builder.sdiv(n, builder.mul(team, _i64(CHUNKS_PER_THREAD)))
        return builder.select(builder.icmp_signed("<", size, _i64(1)), _i64(1), size)
    return types.int64(types.int64, types.int64), codegen


def _declare_get_num_threads(builder):
    # declared as parfor lowering declares it (one module may hold both); the C
    # function returns an int
    return cgutils.get_or_insert_function(builder.module, ir.FunctionType(_i64, []),
                                          "get_num_threads")


def _num_threads(builder):
    count = builder.call(_declare_get_num_threads(builder), [])
    return builder.sext(builder.trunc(count, _i32), _i64)


# Numba's jitted get/set_num_threads() reach the pool through ctypes pointers, which
# stop the on-disk cache; these call the C functions by the symbols parfors use. They
# are intrinsics, not @njit helpers, as they are typed for every kernel compiled.

@intrinsic
def team_threads(typingctx, n, serial_below):
    """The threads a launch of ``n`` threads uses: 1 below ``serial_below``, else
    ``wp.config.cpu_threads`` or (None) the calling thread's Numba count."""
    _ensure_thread_pool()

    def codegen(context, builder, signature, args):
        n, below = (context.cast(builder, v, t, types.int64)
                    for v, t in zip(args, signature.args))
        want = _load_setting(builder, THREADS)
        with builder.if_else(builder.icmp_signed("<", n, below)) as (small, large):
            with small:
                serial_bb = builder.basic_block
            with large:
                count = builder.select(builder.icmp_signed(">", want, _i64(0)), want,
                                       _num_threads(builder))
                team_bb = builder.basic_block
        team = builder.phi(_i64)
        team.add_incoming(_i64(1), serial_bb)
        team.add_incoming(count, team_bb)
        return team
    return types.int64(n, serial_below), codegen


@intrinsic
def swap_threads(typingctx, count):
    """Make ``count`` the calling thread's Numba thread count; the count it had."""
    _ensure_thread_pool()

    def codegen(context, builder, signature, args):
        count = context.cast(builder, args[0], signature.args[0], types.int64)
        before = _num_threads(builder)
        with builder.if_then(builder.icmp_signed("!=", count, before)):
            fn = cgutils.get_or_insert_function(
                builder.module, ir.FunctionType(ir.VoidType(), [_i32]), "set_num_threads")
            builder.call(fn, [builder.trunc(count, _i32)])
        return before
    return types.int64(count), codegen


_COUNTER = types.Array(types.int64, 1, "C")


@intrinsic
def new_counter(typingctx):
    """The shared next-chunk counter of one launch, 0: one int64 in the launcher's
    stack frame, which outlives the parallel loop that uses it (no allocation)."""
    def codegen(context, builder, signature, args):
        slot = cgutils.alloca_once(builder, _i64)
        builder.store(_i64(0), slot)
        ary = context.make_array(_COUNTER)(context, builder)
        context.populate_array(ary, data=slot, shape=[_i64(1)], strides=[_i64(8)],
                               itemsize=_i64(8), meminfo=None)
        return ary._getvalue()
    return _COUNTER(), codegen


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
