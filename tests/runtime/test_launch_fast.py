"""wp.launch's fast path (``runtime/launch_fast.py``), the packed CUDA launches of
record_cmd (``runtime/cuda_launch.py``) and the CUDA launcher's prefetch hints.

The fast path must compute exactly what the full conversion path computes, take part in
everything a launch takes part in (write counters, tapes, redefined functions) and step
aside for anything it does not handle, so that the full path raises its errors.
"""

from __future__ import annotations

import ast
import struct
import itertools
import linecache
import textwrap

import numpy as np
import pytest
from numba.core import types

import numba_warp as wp
from numba_warp.frontend.owned import thread_indexed_reads
from numba_warp.runtime import launch_fast
from numba_warp.runtime.launch import LaunchError


@wp.kernel
def mixed(x: wp.array(dtype=float), y: wp.array(dtype=float), s: float, k: int,
          d: wp.float64, big: wp.int64, v: wp.vec3, out: wp.array(dtype=wp.vec3)):
    i = wp.tid()
    y[i] = x[i] * s + float(k) + float(d) + float(big % wp.int64(7))
    out[i] = v * x[i]


@wp.kernel
def axpy(x: wp.array(dtype=float), y: wp.array(dtype=float), a: float):
    i = wp.tid()
    y[i] = a * x[i] + y[i]


@wp.kernel
def scale_into(x: wp.array(dtype=float), y: wp.array(dtype=float), a: float):
    i = wp.tid()
    y[i] = a * x[i]


@wp.kernel
def grid2(a: wp.array2d(dtype=float)):
    i, j = wp.tid()
    a[i, j] = float(i * 10 + j)


def _expected(x, s, k, d, big):
    return x * np.float32(s) + np.float32(k) + np.float32(d) + np.float32(big % 7)


def test_fast_path_matches_the_full_path(device):
    n = 37
    x = wp.array(np.linspace(-1, 1, n, dtype=np.float32), device=device)
    ys = [wp.zeros(n, dtype=float, device=device) for _ in range(3)]
    outs = [wp.zeros(n, dtype=wp.vec3, device=device) for _ in range(3)]
    v = wp.vec3(1.0, 2.0, 3.0)
    args = (0.3, 5, 1.25, 2**40 + 3, v)
    assert mixed.launch_plan.fast is None or mixed.launch_plan.fast is not False
    # fast path (Python numbers, vector value)
    wp.launch(mixed, dim=n, inputs=[x, ys[0], *args, outs[0]], device=device)
    assert mixed.launch_plan.fast, "the kernel's parameters all have a fast path"
    # full path: NumPy scalars and a list for the vector are converted there
    wp.launch(mixed, dim=n, inputs=[x, ys[1], np.float32(0.3), np.int32(5), np.float64(1.25),
                                    np.int64(2**40 + 3), [1.0, 2.0, 3.0], outs[1]],
              device=device)
    # a recorded launch, run twice (the second run uses packed parameters on CUDA)
    cmd = wp.launch(mixed, dim=n, inputs=[x, ys[2], *args, outs[2]], device=device,
                    record_cmd=True)
    cmd.launch()
    cmd.launch()
    want = _expected(x.numpy(), 0.3, 5, 1.25, 2**40 + 3)
    for y, out in zip(ys, outs):
        np.testing.assert_array_equal(y.numpy(), want)
        np.testing.assert_array_equal(out.numpy(),
                                      x.numpy()[:, None] * np.float32([1, 2, 3]))


def test_fast_path_variants_and_dims(device):
    a = wp.zeros((3, 4), dtype=float, device=device)
    wp.launch(grid2, dim=(3, 4), inputs=[a], device=device)
    np.testing.assert_array_equal(a.numpy(), np.add.outer(np.arange(3) * 10, np.arange(4)))
    # a strided view takes another compiled variant (non-contiguous layout)
    base = wp.array(np.arange(10, dtype=np.float32), device=device)
    y = wp.zeros(5, dtype=float, device=device)
    view = base[::2]
    wp.launch(axpy, dim=5, inputs=[view, y, 2.0], device=device)
    wp.launch(axpy, dim=5, inputs=[base[:5], y, 1.0], device=device)
    np.testing.assert_array_equal(y.numpy(), 2 * np.arange(0, 10, 2) + np.arange(5))
    # zero threads: nothing runs, nothing fails
    wp.launch(axpy, dim=0, inputs=[base, y, 1.0], device=device)


def test_fast_path_advances_write_counters_and_records_on_tapes(device):
    x = wp.full(8, 2.0, dtype=float, device=device, requires_grad=True)
    y = wp.zeros(8, dtype=float, device=device, requires_grad=True)
    before_x, before_y = x.version, y.version
    wp.launch(scale_into, dim=8, inputs=[x, y, 3.0], device=device)
    assert y.version == before_y + 1 and x.version == before_x  # y written, x only read
    tape = wp.Tape()
    with tape:
        wp.launch(scale_into, dim=8, inputs=[x, y, 3.0], device=device)
    tape.backward(grads={y: wp.ones(8, dtype=float, device=device)})
    np.testing.assert_array_equal(x.grad.numpy(), 3.0)


def test_full_path_errors_are_unchanged(device):
    x = wp.zeros(4, dtype=float, device=device)
    with pytest.raises(LaunchError, match="argument 'a' expects an integer|float"):
        wp.launch(axpy, dim=4, inputs=[x, x, "2"], device=device)
    with pytest.raises(LaunchError, match="expects an array of float32"):
        wp.launch(axpy, dim=4, inputs=[wp.zeros(4, dtype=int, device=device), x, 1.0],
                  device=device)
    with pytest.raises(LaunchError, match="takes 3 argument"):
        wp.launch(axpy, dim=4, inputs=[x, x], device=device)
    with pytest.raises(LaunchError, match="does not fit in float32"):
        wp.launch(axpy, dim=4, inputs=[x, x, 1e300], device=device)


@wp.struct
class Params:
    a: float


@wp.kernel
def with_struct(s: Params, y: wp.array(dtype=float)):
    y[wp.tid()] = s.a


def test_fast_launcher_made_only_for_common_parameter_kinds():
    assert launch_fast.fast_launcher(with_struct, with_struct.launch_plan) is False
    assert launch_fast.fast_launcher(axpy, axpy.launch_plan)


def test_thread_indexed_reads():
    src = textwrap.dedent("""
        def k(x, y, z, w, idx, s, a):
            i = wp.tid()
            y[i] = a * x[i] + y[i]
            z[i] = 1.0
            w[idx[i]] += x[i]
            v = s[i] + s.shape[0]
    """)
    tree = ast.parse(src).body[0]
    assert thread_indexed_reads(tree, ["x", "y", "z", "w", "idx", "s"]) == {"x", "y", "idx"}
    src2 = "def k(x):\n    i = wp.tid()\n    i = i + 1\n    x[i] = x[i]\n"
    assert thread_indexed_reads(ast.parse(src2).body[0], ["x"]) == set()


def test_cuda_launcher_prefetches_arrays_read_at_the_thread_index(device, cuda_backend_installed):
    x = wp.zeros(4, dtype=float, device=device)
    wp.launch(axpy, dim=4, inputs=[x, x, 1.0], device=device)
    src = axpy.source
    assert "_wp_prefetch(x, _wp_u)" in src and "_wp_prefetch(y, _wp_u)" in src
    arr = types.Array(types.float32, 1, "C")
    ptx = axpy.compile_ptx((arr, arr, types.float32))
    assert "prefetch.L2" in ptx
    # a write-only array is not prefetched (it would add a read of every element)
    assert "_wp_prefetch(out" not in mixed.source
    assert axpy.persistent_grid
    # large elements in all (3 x 12 bytes): one thread per element, no hints
    assert not integrate.persistent_grid and "_wp_prefetch" not in integrate.source


@wp.kernel
def integrate(x: wp.array(dtype=wp.vec3), v: wp.array(dtype=wp.vec3),
              f: wp.array(dtype=wp.vec3), dt: float):
    i = wp.tid()
    v[i] = v[i] + f[i] * dt
    x[i] = x[i] + v[i] * dt



_CELL_FUNC = """\
import numba_warp as wp

@wp.func
def helper(x: float):
    return x * FACTOR
"""
_CELL_KERNEL = """
@wp.kernel
def k(a: wp.array(dtype=float)):
    i = wp.tid()
    a[i] = helper(a[i])
"""
_cells = itertools.count(500)


def _run_cell(src: str, ns: dict) -> dict:
    fname = f"<ipython-input-{next(_cells)}-fastpath>"
    linecache.cache[fname] = (len(src), None, src.splitlines(True), fname)
    exec(compile(src, fname, "exec"), ns)  # noqa: S102 - a simulated notebook cell
    return ns


def test_fast_path_sees_a_redefined_function(device):
    """A notebook cell redefines a @wp.func that an existing kernel calls: the kernel's
    next launch (on the fast path too) runs the new code, not the compiled old one."""
    ns = _run_cell(_CELL_FUNC.replace("FACTOR", "2.0") + _CELL_KERNEL,
                   {"__name__": f"__fastpath_cell_{device.replace(':', '_')}__"})
    k = ns["k"]
    a = wp.ones(3, dtype=float, device=device)
    wp.launch(k, dim=3, inputs=[a], device=device)
    wp.launch(k, dim=3, inputs=[a], device=device)
    np.testing.assert_array_equal(a.numpy(), 4.0)
    _run_cell(_CELL_FUNC.replace("FACTOR", "10.0"), ns)  # only the function's cell re-run
    wp.launch(k, dim=3, inputs=[a], device=device)
    np.testing.assert_array_equal(a.numpy(), 40.0)


def test_fast_path_cuda_parameter_bytes_match_the_compiled_layout(cuda_backend_installed):
    """The fast path's CUDA parameters (8-byte slots packed per parameter type) against
    numba-cuda's flattened parameter sizes for the same argument types (no GPU needed)."""
    from numba_warp.runtime import cuda_backend, cuda_launch

    fl = launch_fast.fast_launcher(mixed, mixed.launch_plan)
    n = 4
    x = wp.zeros(n, dtype=float, device="cpu")
    y = wp.zeros(n, dtype=float, device="cpu")
    out = wp.zeros(n, dtype=wp.vec3, device="cpu")
    args = (x, y, 0.3, 5, 1.25, 2**40 + 3, wp.vec3(1.0, 2.0, 3.0), out)
    cpu = wp.get_device("cpu")
    key, parts = fl.convert(args, cpu, False)
    data = launch_fast._HEAD.pack(n, n, 1, 1, 1) + b"".join(parts)
    want = (struct.pack("<5q", n, n, 1, 1, 1) + x.launch_data().cuda_bytes +
            y.launch_data().cuda_bytes + struct.pack("<f4xi4xdq", 0.3, 5, 1.25, 2**40 + 3) +
            struct.pack("<f4xf4xf4x", 1.0, 2.0, 3.0) + out.launch_data().cuda_bytes)
    assert data == want
    argtypes = tuple(a.launch_data().numba_type if s.kind == "array" else s.numba_type
                     for s, a in zip(mixed.arg_specs, args))
    sig = types.void(*([types.int64] * 5), *argtypes)
    disp = cuda_backend.cuda().jit(lambda: None)
    assert cuda_launch._slot_sizes(fl.cuda_layout) == cuda_backend._param_sizes(disp, sig)
    assert len(data) == 8 * len(cuda_launch._slot_sizes(fl.cuda_layout))


def _fake_packed_kernel(cuda_launch, codes, monkeypatch):
    """A PackedKernel whose driver launch returns ``codes`` one after another."""
    calls = []

    def launch(*args):
        calls.append(args)
        return codes[min(len(calls), len(codes)) - 1]

    monkeypatch.setitem(cuda_launch._driver, "launch", launch)
    pk = cuda_launch.PackedKernel.__new__(cuda_launch.PackedKernel)
    pk.ordinal = 0
    pk.func = None  # (local_bytes() reads None: the message names no figure)

    class Stream:
        handle_c = None

    return pk, Stream(), cuda_launch.PackedParams(1), calls


def test_out_of_memory_launch_returns_deferred_frees_and_retries(monkeypatch):
    # the driver reserves a kernel's local memory at its first launch; numba-cuda holds
    # freed arrays back (up to a fifth of the GPU): a launch refused for memory returns
    # them and tries again instead of failing
    from numba_warp.runtime import cuda_launch
    released = []
    monkeypatch.setitem(cuda_launch._memory, "release",
                        lambda ordinal: released.append(ordinal) or 3 << 30)
    monkeypatch.setitem(cuda_launch._memory, "advice", lambda ordinal: "cuda:0 has 0 GiB. ")
    pk, stream, params, calls = _fake_packed_kernel(cuda_launch, [2, 0], monkeypatch)
    pk.launch_packed(stream, 4, 256, params)
    assert released == [0] and len(calls) == 2

    pk, stream, params, calls = _fake_packed_kernel(cuda_launch, [2, 2], monkeypatch)
    with pytest.raises(RuntimeError) as err:
        pk.launch_packed(stream, 4, 256, params)
    text = str(err.value)
    assert "CUDA_ERROR_OUT_OF_MEMORY on cuda:0" in text
    assert "3,072 MiB" in text and "retried" in text and "cuda:0 has 0 GiB" in text
    assert len(calls) == 2

    # other driver errors are not retried
    pk, stream, params, calls = _fake_packed_kernel(cuda_launch, [1], monkeypatch)
    released.clear()
    with pytest.raises(RuntimeError, match="kernel launch failed"):
        pk.launch_packed(stream, 4, 256, params)
    assert released == [] and len(calls) == 1
