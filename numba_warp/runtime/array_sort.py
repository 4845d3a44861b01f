"""Sorting and run-length encoding of ``wp.utils`` (Warp 1.19's ``radix_sort_pairs``,
``segmented_sort_pairs``, ``runlength_encode``), as kernels on the arrays' device.

Same signatures, in-place conventions and checks as Warp: the key and value arrays of a
sort hold at least ``2 * count`` elements and their second half is scratch space.

* ``radix_sort_pairs``: a stable least-significant-digit radix sort, 8 bits a pass
  (on the CPU up to 11 bits, in one chunk: see ``_sort_plan``). The elements are split
  into chunks; a pass counts each chunk's digits, scans the counts (digit-major, so
  equal digits keep their chunk order) and has each chunk scatter its elements in
  order. Keys are sorted as their bits: signed integers with
  the sign bit flipped, floats in IEEE total order (-0.0 before 0.0, as CUB does).
* ``segmented_sort_pairs``: one thread per segment, a stable bottom-up merge sort
  through the scratch half.
* ``runlength_encode``: run heads flagged, scanned into run indices, then each head
  writes its value and length.
"""

from __future__ import annotations

import math
import operator
import typing

import numpy as np

from .. import lang
from ..lang import tid
from ..typing.dtypes import element_type, type_name
from ..typing.scalars import scalar_types
from . import capture_state
from .array import allocate, array
from .array_reduce import MAX_CHUNKS, array_scan
from .factories import copy
from .func import func
from .kernel import library_kernel
from .launch import launch

__all__ = ["radix_sort_pairs", "runlength_encode", "segmented_sort_pairs"]

_A1 = array(dtype=typing.Any, ndim=1)
_I1 = array(dtype=int, ndim=1)
RADIX_BITS = 8
#: digit width of a sort on the CPU (see _sort_plan)
CPU_RADIX_BITS = 11
_I32 = scalar_types["int32"]

# key dtype name -> (unsigned view type, transform: 0 none, 1 flip sign bit, 2 float order)
_KEY_KINDS = {"int32": ("uint32", 1), "uint32": ("uint32", 0), "float32": ("uint32", 2),
              "int64": ("uint64", 1), "uint64": ("uint64", 0), "float64": ("uint64", 2)}


# -- radix sort kernels --------------------------------------------------------------------
@func
def _radix_digit(x: typing.Any, shift: typing.Any, mask: typing.Any, mode: int,
                 top: typing.Any, zero: typing.Any) -> int:
    if mode == 1:
        x = x ^ top
    elif mode == 2:
        if (x & top) != zero:
            x = ~x
        else:
            x = x | top
    return int((x >> shift) & mask)


@library_kernel("numba_warp_radix_count")
def _radix_count(keys: _A1, chunk: int, nchunks: int, shift: typing.Any, mask: typing.Any,
                 mode: int, top: typing.Any, zero: typing.Any, counts: _I1):
    p = tid()
    end = lang.min(p * chunk + chunk, keys.shape[0])
    for i in range(p * chunk, end):
        d = _radix_digit(keys[i], shift, mask, mode, top, zero)
        counts[d * nchunks + p] = counts[d * nchunks + p] + 1


@library_kernel("numba_warp_radix_scatter")
def _radix_scatter(keys: _A1, values: _A1, chunk: int, nchunks: int, shift: typing.Any,
                   mask: typing.Any, mode: int, top: typing.Any, zero: typing.Any,
                   offsets: _I1, keys_out: _A1, values_out: _A1):
    p = tid()
    end = lang.min(p * chunk + chunk, keys.shape[0])
    for i in range(p * chunk, end):
        k = keys[i]
        slot = _radix_digit(k, shift, mask, mode, top, zero) * nchunks + p
        j = offsets[slot]
        offsets[slot] = j + 1
        keys_out[j] = k
        values_out[j] = values[i]


def _check_sort_arrays(name, keys, values, count):
    if keys.size < 2 * count or values.size < 2 * count:
        raise RuntimeError(f"{name}(): keys and values array storage must be large enough to "
                           f"contain 2*count ({2 * count}) elements, got {keys.size} and "
                           f"{values.size}")
    if not keys.is_contiguous:
        raise RuntimeError(f"{name}() requires a contiguous keys array")
    if not values.is_contiguous:
        raise RuntimeError(f"{name}() requires a contiguous values array")


def _bit_range(begin_bit, end_bit, width):
    end_bit = width if end_bit is None else end_bit
    if type(begin_bit) is not int or type(end_bit) is not int:
        raise RuntimeError("radix_sort_pairs(): begin_bit and end_bit must be integers")
    if not 0 <= begin_bit <= end_bit <= width:
        raise RuntimeError(f"radix_sort_pairs(): invalid radix sort bit range [{begin_bit}, "
                           f"{end_bit}) for {width}-bit keys")
    return begin_bit, end_bit


def _sort_plan(count: int, begin_bit: int, end_bit: int, device):
    """(chunk length, number of chunks, [(shift, bits) of each digit]) of a sort.

    On a GPU: up to MAX_CHUNKS chunks (a thread each) and 8-bit digits. On the CPU a
    launch of fewer threads than ``wp.config.cpu_parallel_threshold`` (8192) runs on
    one thread, as the sort's chunk launches (at most MAX_CHUNKS) do: one chunk then,
    whose digit counts stay small enough for digits of up to CPU_RADIX_BITS bits, so
    fewer passes (a hash grid's 21-bit cells: 2 instead of 3, and no copy back from
    the scratch half); the scans of MAX_CHUNKS * 256 counts per pass are gone too.
    """
    if device.is_cpu:
        chunk, nchunks, most = max(count, 1), 1, CPU_RADIX_BITS
    else:
        chunk = max(1, math.ceil(count / MAX_CHUNKS))
        nchunks, most = math.ceil(count / chunk), RADIX_BITS
    passes = math.ceil((end_bit - begin_bit) / most)
    digits, shift = [], begin_bit
    for k in range(passes):  # equal widths, the first ones a bit wider
        bits = math.ceil((end_bit - shift) / (passes - k))
        digits.append((shift, bits))
        shift += bits
    return chunk, nchunks, digits


def radix_sort_pairs(keys: array, values: array, count: int, begin_bit: int = 0,
                     end_bit: int | None = None) -> None:
    """Sort ``keys[:count]`` ascending, moving ``values[:count]`` with them (stable);
    Warp 1.19's ``wp.utils.radix_sort_pairs``.

    Keys are int32, uint32, float32, int64, uint64 or float64; values have 4- or 8-byte
    elements. Both arrays hold at least ``2 * count`` elements (the second half is
    scratch). ``begin_bit``/``end_bit`` restrict the sort to those bits of the keys.

    Example
    -------
    >>> keys = wp.array([3, 1, 2, 1, 0, 0, 0, 0], dtype=int)  # 4 keys, then scratch
    >>> values = wp.array([0, 1, 2, 3, 0, 0, 0, 0], dtype=int)
    >>> wp.utils.radix_sort_pairs(keys, values, 4)
    >>> print(keys.numpy()[:4], values.numpy()[:4])
    [1 1 2 3] [1 3 2 0]
    """
    if keys.device != values.device:
        raise RuntimeError(f"radix_sort_pairs(): keys and values array storage devices do not "
                           f"match ({keys.device} vs {values.device})")
    if count == 0:
        return
    _check_sort_arrays("radix_sort_pairs", keys, values, count)
    vsize = values.element_type.itemsize
    kind = _KEY_KINDS.get(np.dtype(keys.element_type.np_dtype).name)
    if vsize not in (4, 8) or kind is None or keys.element_type.inner_shape:
        raise RuntimeError(f"radix_sort_pairs(): unsupported keys and values data types: "
                           f"{type_name(keys.dtype)}, {type_name(values.dtype)}")
    utype = scalar_types[kind[0]]
    width = 8 * keys.element_type.itemsize
    begin_bit, end_bit = _bit_range(begin_bit, end_bit, width)
    if begin_bit == end_bit:
        return
    ukeys = keys.flatten().view(utype)
    uvals = values.flatten().view(scalar_types["uint32" if vsize == 4 else "uint64"])
    if kind[1] != 2 and _sort_with_cupy(ukeys, uvals, count, begin_bit, end_bit, kind[1]):
        return
    halves = [(ukeys[:count], uvals[:count]), (ukeys[count:2 * count], uvals[count:2 * count])]
    chunk, nchunks, digits = _sort_plan(count, begin_bit, end_bit, keys.device)
    counts = allocate(((1 << max(d for _, d in digits)) * nchunks,), element_type(_I32),
                      keys.device)
    offsets = allocate(counts.shape, counts.element_type, keys.device)
    npu = utype._np_dtype.type
    top, zero = npu(1 << (width - 1)), npu(0)
    src = 0
    for shift, bits in digits:
        n = (1 << bits) * nchunks
        (k_in, v_in), (k_out, v_out) = halves[src], halves[1 - src]
        digit_args = [chunk, nchunks, npu(shift), npu((1 << bits) - 1), kind[1], top, zero]
        counts[:n].zero_()
        launch(_radix_count, dim=nchunks, inputs=[k_in, *digit_args], outputs=[counts],
               device=keys.device)
        array_scan(counts[:n], offsets[:n], inclusive=False)
        launch(_radix_scatter, dim=nchunks, inputs=[k_in, v_in, *digit_args, offsets],
               outputs=[k_out, v_out], device=keys.device)
        src = 1 - src
    if src == 1:
        copy(halves[0][0], halves[1][0])
        copy(halves[0][1], halves[1][1])


def _sort_with_cupy(ukeys, uvals, count: int, begin_bit: int, end_bit: int, mode: int) -> bool:
    """Sort integer keys on a GPU with CuPy (CUB's radix sort) when CuPy is installed: an
    optional accelerator, ~20x faster than the kernels above for a million keys on an
    H200. Same result: CuPy's argsort is stable, and the keys it sorts are the digits the
    kernels would sort (the bits ``[begin_bit, end_bit)`` of the keys, signed keys with
    the sign bit flipped). Not during a graph capture (CuPy allocates temporaries).
    Returns False when it does not apply."""
    dev = ukeys.device
    if not dev.is_cuda or capture_state.active[0]:
        return False
    try:
        import cupy  # optional dependency
    except ImportError:
        return False
    width = 8 * ukeys.element_type.itemsize
    stream = dev.stream
    # (CuPy 14 takes a foreign stream through the CUDA stream protocol, which wp.Stream
    # speaks; older CuPy has ExternalStream only)
    from_external = getattr(cupy.cuda.Stream, "from_external", None)
    cp_stream = from_external(stream) if from_external is not None else \
        cupy.cuda.ExternalStream(stream.handle)
    with cupy.cuda.Device(dev.ordinal), cp_stream:
        k = cupy.asarray(ukeys)[:count]
        v = cupy.asarray(uvals)[:count]
        digits = k
        if mode == 1:  # signed keys: flip the sign bit, as the kernels do
            digits = k ^ k.dtype.type(1 << (width - 1))
        if begin_bit > 0 or end_bit < width:
            digits = (digits >> k.dtype.type(begin_bit)) & \
                k.dtype.type((1 << (end_bit - begin_bit)) - 1)
        order = cupy.argsort(digits)
        k[...] = k[order]
        v[...] = v[order]
    return True


# -- segmented sort ----------------------------------------------------------------------------
@func
def _before(keys: typing.Any, a: int, b: int) -> bool:
    """Whether keys[b] must come before keys[a] (strictly smaller: the sort is stable)."""
    return keys[b] < keys[a]


@library_kernel("numba_warp_segmented_sort")
def _segment_sort(keys: _A1, values: _A1, count: int, starts: _I1, ends: _I1, bad: _I1):
    seg = tid()
    s = starts[seg]
    e = ends[seg]
    if s < 0 or e > count or s > e:
        bad[0] = 1
    else:
        n = e - s
        src = 0  # where the segment's current order is: 0 (keys[s:e]) or count (scratch)
        width = 1
        while width < n:
            dst = count - src
            lo = 0
            while lo < n:
                mid = lang.min(lo + width, n)
                hi = lang.min(lo + 2 * width, n)
                i = lo
                j = mid
                for o in range(lo, hi):
                    take_right = False
                    if i >= mid:
                        take_right = True
                    elif j < hi:
                        take_right = _before(keys, src + s + i, src + s + j)
                    if take_right:
                        keys[dst + s + o] = keys[src + s + j]
                        values[dst + s + o] = values[src + s + j]
                        j += 1
                    else:
                        keys[dst + s + o] = keys[src + s + i]
                        values[dst + s + o] = values[src + s + i]
                        i += 1
                lo = hi
            src = dst
            width *= 2
        if src != 0:
            for o in range(n):
                keys[s + o] = keys[src + s + o]
                values[s + o] = values[src + s + o]


def _segment_index_array(name: str, a: array):
    if a.dtype is not _I32:
        raise RuntimeError(f"segmented_sort_pairs(): {name} array must be of type int32")
    if a.ndim != 1:
        raise RuntimeError(f"segmented_sort_pairs(): {name} must be one-dimensional")
    if not a.is_contiguous:
        raise RuntimeError(f"segmented_sort_pairs() requires a contiguous {name} array")


def segmented_sort_pairs(keys: array, values: array, count: int, segment_start_indices: array,
                         segment_end_indices: array | None = None) -> None:
    """Sort ``keys`` (int32 or float32) with their ``values`` (int32) ascending and stably
    within each segment ``[start, end)`` of ``[0, count)``; Warp 1.19's
    ``wp.utils.segmented_sort_pairs``. Without ``segment_end_indices``, consecutive
    starts delimit the segments. Both arrays hold at least ``2 * count`` elements (the
    second half is scratch). Invalid segments raise ValueError on the CPU; on a GPU they
    are skipped (Warp does not check them there either).

    Example
    -------
    >>> keys = wp.array([3, 1, 2, 5, 4, 0, 0, 0, 0, 0], dtype=int)  # 5 keys, then scratch
    >>> values = wp.array([0, 1, 2, 3, 4, 0, 0, 0, 0, 0], dtype=int)
    >>> starts = wp.array([0, 3, 5], dtype=int)  # segments [0, 3) and [3, 5)
    >>> wp.utils.segmented_sort_pairs(keys, values, 5, starts)
    >>> print(keys.numpy()[:5], values.numpy()[:5])
    [1 2 3 4 5] [1 2 0 4 3]
    """
    if isinstance(count, bool):
        raise TypeError("count must be an integer")
    try:
        count = operator.index(count)
    except TypeError:
        raise TypeError("count must be an integer") from None
    if not 0 <= count <= (1 << 31) - 1:
        raise ValueError(f"count must be between 0 and 2**31 - 1, got {count}")
    devices = {keys.device, values.device, segment_start_indices.device}
    if segment_end_indices is not None:
        devices.add(segment_end_indices.device)
    if len(devices) != 1:
        raise RuntimeError("segmented_sort_pairs(): keys, values, and segment index array "
                           "storage devices must match")
    if count == 0:
        return
    _check_sort_arrays("segmented_sort_pairs", keys, values, count)
    _segment_index_array("segment_start_indices", segment_start_indices)
    if segment_end_indices is None:
        starts, ends = segment_start_indices[:-1], segment_start_indices[1:]
    else:
        _segment_index_array("segment_end_indices", segment_end_indices)
        if segment_end_indices.size != segment_start_indices.size:
            raise RuntimeError(
                "segmented_sort_pairs(): segment_start_indices and segment_end_indices must "
                f"have the same size ({segment_start_indices.size} vs "
                f"{segment_end_indices.size})")
        starts, ends = segment_start_indices, segment_end_indices
    if starts.size == 0:
        return
    kname, vname = (np.dtype(a.element_type.np_dtype).name for a in (keys, values))
    if kname not in ("int32", "float32") or vname != "int32":
        raise RuntimeError(f"segmented_sort_pairs(): unsupported data type "
                           f"{type_name(keys.dtype)} (keys int32 or float32, values int32)")
    bad = allocate((1,), element_type(_I32), keys.device, zero=True)
    launch(_segment_sort, dim=starts.size,
           inputs=[keys.flatten(), values.flatten(), count, starts, ends], outputs=[bad],
           device=keys.device)
    if keys.device.is_cpu and bad.numpy()[0]:
        raise ValueError("segmented_sort_pairs(): a segment is not a range [start, end) with "
                         f"0 <= start <= end <= count ({count}); those segments were left as "
                         "they were")


# -- run-length encoding -----------------------------------------------------------------------
@library_kernel("numba_warp_run_heads")
def _run_heads(values: _A1, heads: _I1):
    i = tid()
    h = 1
    if i > 0:  # noqa: SIM102 - values[i - 1] is read only when i > 0
        if values[i] == values[i - 1]:
            h = 0
    heads[i] = h


@library_kernel("numba_warp_run_starts")
def _run_starts(values: _A1, heads: _I1, runs: _I1, run_values: _A1, starts: _I1):
    i = tid()
    if heads[i] != 0:
        r = runs[i] - 1
        run_values[r] = values[i]
        starts[r] = i


@library_kernel("numba_warp_run_lengths")
def _run_lengths(heads: _I1, runs: _I1, starts: _I1, run_lengths: _I1, run_count: _I1):
    i = tid()
    n = heads.shape[0]
    total = runs[n - 1]
    if i == 0:
        run_count[0] = total
    if heads[i] != 0:
        r = runs[i] - 1
        end = n
        if r + 1 < total:
            end = starts[r + 1]
        run_lengths[r] = end - i


def runlength_encode(values: array, run_values: array, run_lengths: array,
                     run_count: array | None = None, value_count: int | None = None):
    """Run-length encode ``values[:value_count]`` (int32): each run's value into
    ``run_values``, its length into ``run_lengths`` (int32), the number of runs into
    ``run_count[0]`` (returned) or, without ``run_count``, returned as an int; Warp
    1.19's ``wp.utils.runlength_encode``.

    Example
    -------
    >>> values = wp.array([1, 1, 2, 2, 2, 7], dtype=int)
    >>> run_values = wp.zeros(6, dtype=int)
    >>> run_lengths = wp.zeros(6, dtype=int)
    >>> n = wp.utils.runlength_encode(values, run_values, run_lengths)
    >>> n, run_values.numpy()[:n].tolist(), run_lengths.numpy()[:n].tolist()
    (3, [1, 2, 7], [2, 3, 1])
    """
    if run_values.device != values.device or run_lengths.device != values.device:
        raise RuntimeError("runlength_encode(): run_values, run_lengths and values storage "
                           "devices do not match")
    if value_count is None:
        value_count = values.size
    elif value_count < 0:
        raise RuntimeError(f"runlength_encode(): value_count must be non-negative, got "
                           f"{value_count}")
    if run_values.size < value_count or run_lengths.size < value_count:
        raise RuntimeError(f"runlength_encode(): output array storage sizes must be at least "
                           f"equal to value_count ({value_count})")
    if values.element_type != run_values.element_type:
        raise RuntimeError(f"runlength_encode(): values and run_values data types do not match "
                           f"({type_name(values.dtype)} vs {type_name(run_values.dtype)})")
    if run_lengths.dtype is not _I32:
        raise RuntimeError("runlength_encode(): run_lengths array must be of type int32")
    if run_count is not None:
        if run_count.device != values.device:
            raise RuntimeError("runlength_encode(): run_count storage device does not match "
                               "other arrays")
        if run_count.dtype is not _I32:
            raise RuntimeError("runlength_encode(): run_count array must be of type int32")
    if value_count == 0:
        if run_count is None:
            return 0
        run_count.zero_()
        return run_count
    if values.dtype is not _I32:
        raise RuntimeError(f"runlength_encode(): unsupported data type {type_name(values.dtype)}")
    host = run_count is None
    dev, n, et = values.device, value_count, element_type(_I32)
    if host:
        run_count = allocate((1,), et, dev)
    v = values.flatten()[:n] if values.is_contiguous else values[:n]
    heads, runs, starts = (allocate((n,), et, dev) for _ in range(3))
    launch(_run_heads, dim=n, inputs=[v], outputs=[heads], device=dev)
    array_scan(heads, runs, inclusive=True)
    launch(_run_starts, dim=n, inputs=[v, heads, runs], outputs=[run_values, starts], device=dev)
    launch(_run_lengths, dim=n, inputs=[heads, runs, starts], outputs=[run_lengths, run_count],
           device=dev)
    return int(run_count.numpy()[0]) if host else run_count
