"""Prefix sums of integer arrays on a CUDA device, with block-cooperative kernels.

The generic kernels of ``array_reduce`` give each thread a chunk and leave one thread to
add up the chunks' totals: right on every device, but on a GPU that one thread walks
thousands of dependent loads (~1 ms for two million cells). Here a block of
:data:`THREADS` threads scans a tile of :data:`TILE` values in shared memory:

1. ``_tile_sums``: each block adds up its tile (coalesced loads);
2. ``_scan_sums``: one block scans the tiles' totals in place (exclusive) and writes the
   grand total; skipped up to :data:`FUSED_TILES` tiles (8M values), where each block of
   step 3 adds up the totals of the tiles before its own instead;
3. ``_scan_tiles``: each block loads its tile into shared memory, each thread adds up
   its run of :data:`ITEMS` consecutive values, the block scans those run totals, and
   the scanned tile is written back (to one or two outputs) with the tile's offset.

Values are added in int64 whether the arrays hold int32 or int64 (an int32 result is the
same: the sums wrap modulo 2**32 either way). Two or three launches, each close to the
memory bandwidth; they are ordinary stream work, so they can be captured in a CUDA graph.

These are plain numba-cuda kernels (shared memory, barriers), compiled through
``cuda_backend.compile_kernel`` like the kernels of ``wp.kernel`` and kept in numba-cuda's
disk cache. Their module global ``cuda`` is numba.cuda, bound on first use (importing it
costs ~0.2 s, which a CPU-only program never pays).
"""

from __future__ import annotations

import threading

import numpy as np
from numba.core import types
from numba.extending import register_jitable

from ..typing.scalars import scalar_types
from . import cuda_backend
from .factories import empty

__all__ = ["scan", "scratch_size", "signature", "bind", "THREADS", "ITEMS", "TILE"]

#: threads of a block; each scans :data:`ITEMS` consecutive values of a tile
THREADS = 256
ITEMS = 16
TILE = THREADS * ITEMS
_BANKS = 32
_I64 = scalar_types["int64"]
_PADDED = TILE + TILE // _BANKS  # a tile in shared memory, one pad per 32 values
#: up to this many tiles, ``_scan_tiles`` adds up the tile totals before each tile itself
#: (at most this many reads a block) and ``_scan_sums`` is not launched
FUSED_TILES = 2048

cuda = None  # numba.cuda, bound by _bind() before anything is compiled
_block_exclusive = None  # the device function made from _block_exclusive_py
_lock = threading.Lock()
_compiled: dict = {}  # (kernel name, element type name, ordinal) -> PackedKernel


def _block_exclusive_py(tmp, t, v):
    """(exclusive prefix of ``v`` over the block's threads, the block's total), through
    the shared array ``tmp`` of :data:`THREADS` int64 (a Hillis-Steele scan)."""
    tmp[t] = v
    cuda.syncthreads()
    offset = 1
    while offset < THREADS:
        a = tmp[t - offset] if t >= offset else 0
        cuda.syncthreads()
        tmp[t] += a
        cuda.syncthreads()
        offset *= 2
    before = tmp[t - 1] if t > 0 else 0
    total = tmp[THREADS - 1]
    cuda.syncthreads()
    return before, total


def _tile_sums(x, n, sums):
    t = cuda.threadIdx.x
    b = cuda.blockIdx.x
    base = b * TILE
    s = np.int64(0)
    for k in range(ITEMS):
        i = base + k * THREADS + t
        if i < n:
            s += np.int64(x[i])
    tmp = cuda.shared.array(THREADS, np.int64)
    _, total = _block_exclusive(tmp, t, s)
    if t == 0:
        sums[b] = total


def _scan_sums(sums, m, total):
    t = cuda.threadIdx.x
    tmp = cuda.shared.array(THREADS, np.int64)
    carry = 0
    for start in range(0, m, THREADS):
        i = start + t
        v = sums[i] if i < m else 0
        before, block_total = _block_exclusive(tmp, t, v)
        if i < m:
            sums[i] = carry + before
        carry += block_total
    if t == 0:
        total[0] = carry


def _scan_tiles(x, n, sums, total, inclusive, out, out2):
    t = cuda.threadIdx.x
    b = cuda.blockIdx.x
    base = b * TILE
    tile = cuda.shared.array(_PADDED, np.int64)
    tmp = cuda.shared.array(THREADS, np.int64)
    for k in range(ITEMS):
        j = k * THREADS + t
        i = base + j
        tile[j + j // _BANKS] = np.int64(x[i]) if i < n else np.int64(0)
    if total.shape[0] == 0:  # the tiles' offsets were scanned by _scan_sums
        offset = sums[b]
    else:  # few tiles: the block adds up the totals of those before it
        s = np.int64(0)
        for k in range(t, b, THREADS):
            s += sums[k]
        _, offset = _block_exclusive(tmp, t, s)
    cuda.syncthreads()
    s = np.int64(0)
    for k in range(ITEMS):
        j = t * ITEMS + k
        s += tile[j + j // _BANKS]
    before, tile_total = _block_exclusive(tmp, t, s)
    if total.shape[0] != 0 and b == cuda.gridDim.x - 1 and t == 0:
        total[0] = offset + tile_total
    run = offset + before
    for k in range(ITEMS):
        j = t * ITEMS + k
        v = tile[j + j // _BANKS]
        if inclusive != 0:
            run += v
            tile[j + j // _BANKS] = run
        else:
            tile[j + j // _BANKS] = run
            run += v
    cuda.syncthreads()
    for k in range(ITEMS):
        j = k * THREADS + t
        i = base + j
        if i < n:
            out[i] = tile[j + j // _BANKS]
            out2[i] = tile[j + j // _BANKS]


def bind():
    """Bind numba.cuda and the device function (first GPU use only)."""
    global cuda, _block_exclusive
    if _block_exclusive is None:
        cuda = cuda_backend.cuda()
        # (a jitable, not a device function: it compiles into each kernel, with no
        # device context needed, e.g. for PTX in CI)
        _block_exclusive = register_jitable(_block_exclusive_py)


def signature(fn, element: str):
    """The numba signature a kernel of this module is compiled with for ``element``
    (``"int32"`` or ``"int64"``) arrays."""
    a = types.Array(getattr(types, element), 1, "C")
    s64 = types.Array(types.int64, 1, "C")
    return types.void(*{"_tile_sums": (a, types.int64, s64),
                        "_scan_sums": (s64, types.int64, s64),
                        "_scan_tiles": (a, types.int64, s64, s64, types.int64, a, a)
                        }[fn.__name__])


def _kernel(fn, element: str, ordinal: int):
    key = (fn.__name__, element, ordinal)
    hit = _compiled.get(key)
    if hit is not None:
        return hit
    with _lock:
        if key not in _compiled:
            bind()
            kernel, _ = cuda_backend.compile_kernel(fn, signature(fn, element), ordinal,
                                                    cache=True)
            _compiled[key] = kernel
    return _compiled[key]


def _flat(a) -> tuple:
    """numba-cuda's flattened parameters of a 1-D contiguous array: meminfo, parent,
    nitems, itemsize, data, shape, strides."""
    size = a.element_type.itemsize
    return (0, 0, a.shape[0], size, a.ptr, a.shape[0], size)


def _flat_raw(ptr: int, count: int) -> tuple:
    """:func:`_flat` of ``count`` int64 at ``ptr``."""
    return (0, 0, count, 8, ptr, count, 8)


def scratch_size(n: int) -> int:
    """int64 elements of the scratch array :func:`scan` needs for ``n`` values."""
    return (n + TILE - 1) // TILE + 1


def scan(x, out, inclusive: bool = False, out2=None, scratch=None) -> None:
    """Prefix sums of the 1-D contiguous int32/int64 device array ``x`` into ``out``
    (and ``out2`` when given; both may be ``x``), inclusive or exclusive; ``scratch``
    (int64, :func:`scratch_size` elements) avoids an allocation. The grand total ends in
    ``scratch[-1]``. Queued on the device's current stream."""
    n = x.shape[0]
    if n == 0:
        return
    dev = x.device
    element = "int32" if x.element_type.itemsize == 4 else "int64"
    tiles = (n + TILE - 1) // TILE
    if scratch is None:
        scratch = empty(scratch_size(n), dtype=_I64, device=dev)
    # (the tile totals and the grand total are raw views of the scratch: no array objects)
    sums = _flat_raw(scratch.ptr, tiles)
    total = _flat_raw(scratch.ptr + 8 * tiles, 1)
    ordinal = dev.ordinal
    stream = dev.stream
    _kernel(_tile_sums, element, ordinal).launch(
        stream, tiles, THREADS, (*_flat(x), n, *sums))
    fused = tiles <= FUSED_TILES
    if not fused:
        _kernel(_scan_sums, "int64", ordinal).launch(
            stream, 1, THREADS, (*sums, tiles, *total))
    _kernel(_scan_tiles, element, ordinal).launch(
        stream, tiles, THREADS,
        (*_flat(x), n, *sums, *(total if fused else _flat_raw(scratch.ptr, 0)),
         int(inclusive), *_flat(out), *_flat(out if out2 is None else out2)))
