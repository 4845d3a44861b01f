"""wp.config options that change how kernels are compiled and launched."""

import inspect
import os
import re

import numpy as np
import pytest

import numba_warp as wp


@wp.kernel
def write_sqrt(a: wp.array(dtype=float), x: float):
    i = wp.tid()
    a[i] = wp.sqrt(x)


def test_verify_fp_reports_nan(device, monkeypatch):
    a = wp.zeros(3, dtype=float, device=device)
    monkeypatch.setattr(wp.config, "verify_fp", True)
    wp.launch(write_sqrt, dim=3, inputs=[a, 4.0], device=device)  # finite: no error
    with pytest.raises(FloatingPointError, match="write_sqrt"):
        wp.launch(write_sqrt, dim=3, inputs=[a, -1.0], device=device)
    monkeypatch.setattr(wp.config, "verify_fp", False)
    wp.launch(write_sqrt, dim=3, inputs=[a, -1.0], device=device)  # off: NaN is allowed
    assert np.isnan(a.numpy()).all()


@wp.kernel
def scale_into(x: wp.array(dtype=float), s: float, y: wp.array(dtype=float)):
    i = wp.tid()
    y[i] = x[i] * s


def test_verify_fp_names_the_argument_and_where_the_nan_came_from(device, monkeypatch):
    monkeypatch.setattr(wp.config, "verify_fp", True)
    x = wp.array([1.0, 2.0, 3.0], dtype=float, device=device)
    y = wp.zeros(3, dtype=float, device=device)
    with pytest.raises(FloatingPointError) as info:  # the kernel made it: inf * 0
        wp.launch(scale_into, 3, inputs=[x, float("inf")], outputs=[y], device=device)
    msg = str(info.value)
    assert "scale_into" in msg and "produced" in msg and "'y'" in msg
    assert "first at index (0,)" in msg and "every input was finite" in msg
    x = wp.array([1.0, float("nan"), 3.0], dtype=float, device=device)
    y = wp.zeros(3, dtype=float, device=device)
    with pytest.raises(FloatingPointError) as info:  # a NaN input flows to the output
        wp.launch(scale_into, 3, inputs=[x, 2.0], outputs=[y], device=device)
    msg = str(info.value)
    assert "produced NaN or inf in 'y'" in msg and "index (1,)" in msg
    assert "'x' (shape (3,), first at index (1,)) already held NaN" in msg
    y = wp.zeros(3, dtype=float, device=device)
    with pytest.raises(FloatingPointError) as info:  # only the input holds one
        wp.launch(scale_into, 1, inputs=[x, 2.0], outputs=[y], device=device)
    assert "came into kernel" in str(info.value) and "'x'" in str(info.value)


# ---------------------------------------------------------------------------------------
# Debug mode: every array access is bounds-checked and asserts are kept, on every launch
# path (serial CPU below cpu_parallel_threshold threads, parallel CPU above it, CUDA);
# the first failure of a launch is raised after it, with the user's line.
# ---------------------------------------------------------------------------------------

THIS_FILE = os.path.basename(__file__)


@wp.func
def read_at(b: wp.array(dtype=float), i: int):
    return b[i]  # MARK-func


@wp.struct
class Holder:
    data: wp.array(dtype=float)


@wp.kernel
def accesses(a: wp.array(dtype=float), m: wp.array2d(dtype=float), h: Holder,
             out: wp.array(dtype=float), case: int, shift: int):
    i = wp.tid()
    j = i + shift
    if case == 0:
        out[j] = 1.0  # MARK-write
    elif case == 1:
        out[i] = a[j]  # MARK-read
    elif case == 2:
        wp.atomic_add(out, j, 1.0)  # MARK-atomic
    elif case == 3:
        out[i] += a[i] * 0.0 + m[j, 1]  # MARK-read2d
    elif case == 4:
        row = m[j]  # MARK-row
        out[i] = row[0]
    elif case == 5:
        out[i] = h.data[j]  # MARK-struct
    elif case == 6:
        out[i] = read_at(a, j)
    elif case == 7:
        v = wp.vec3(1.0, 1.0, 1.0)
        out[i] = v[shift]  # MARK-vec
    else:
        assert a[i] < 100000.0, "value too large"  # MARK-assert
        out[i] = a[i]


# case -> (marker, words in the message besides the kernel name)
CASES = {
    0: ("MARK-write", ["write", "out[", "argument 'out'"]),
    1: ("MARK-read", ["read", "a[", "argument 'a'"]),
    2: ("MARK-atomic", ["atomic", "out[", "argument 'out'"]),
    3: ("MARK-read2d", ["read", "m[", ", 1]", "argument 'm'"]),
    4: ("MARK-row", ["read", "m[", "argument 'm'"]),
    5: ("MARK-struct", ["read", "h.data[", "argument 'h'"]),
    6: ("MARK-func", ["read", "b[", "@wp.func read_at"]),
    7: ("MARK-vec", ["read", "v[3]", "vector"]),
    8: ("MARK-assert", ["assert", "value too large"]),
}


def _line_of(fn, marker):
    lines, first = inspect.getsourcelines(getattr(fn, "func", fn))
    return first + next(k for k, text in enumerate(lines) if marker in text)


def _accesses_args(device, n, case, shift, big=False):
    a = wp.array(np.arange(n, dtype=np.float32) * (1e6 if big else 1.0), device=device)
    m = wp.array(np.ones((n, 2), dtype=np.float32), device=device)
    h = Holder()
    h.data = a
    out = wp.zeros(n, dtype=float, device=device)
    return [a, m, h, out, case, shift], out


# n: 16 threads run serially on the CPU, 8192 + 16 run in parallel (prange)
@pytest.mark.parametrize("n", [16, 8192 + 16], ids=["serial", "parallel"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_debug_mode_reports_the_first_failure(device, monkeypatch, n, case):
    monkeypatch.setattr(wp.config, "mode", "debug")
    marker, words = CASES[case]
    args, out = _accesses_args(device, n, case, shift=0 if case == 8 else 3, big=case == 8)
    exc_type = AssertionError if case == 8 else IndexError
    with pytest.raises(exc_type) as info:
        wp.launch(accesses, dim=n, inputs=args, device=device)
    msg = str(info.value)
    assert "accesses" in msg, msg
    for w in words:
        assert w in msg, f"{w!r} not in:\n{msg}"
    thread = re.search(r"in thread (\d+)", msg)
    assert (thread is None) == (case == 6), msg  # a @wp.func does not know its thread
    if case < 7:
        # one of the failing threads (the first to fail) is reported, with its index
        index = int(re.search(r"\[(\d+)", msg).group(1))
        assert n <= index < n + 3, msg
        assert thread is None or int(thread.group(1)) == index - 3, msg
        assert f"shape ({n}," in msg, msg
    elif case == 7:
        assert "shape (3,)" in msg, msg
    assert THIS_FILE in msg and f"line {_line_of(accesses if case != 6 else read_at, marker)}" \
        in msg, msg
    # nothing is left broken: the same kernel, in bounds, gives the right answer
    args, out = _accesses_args(device, n, case, shift=0)
    wp.launch(accesses, dim=n, inputs=args, device=device)
    expected = np.ones(n) if case in (0, 2, 3, 4, 7) else np.arange(n)
    np.testing.assert_array_equal(out.numpy(), expected)


@wp.kernel
def shifted_square(a: wp.array(dtype=float), s: int, out: wp.array(dtype=float)):
    i = wp.tid()
    out[i] = a[i + s] * a[i + s]


@pytest.mark.parametrize("n", [16, 8192 + 16], ids=["serial", "parallel"])
def test_debug_mode_backward_pass_reports_out_of_bounds(monkeypatch, n):
    # backward passes are not instrumented; on the CPU they run serially in debug mode,
    # with Numba's bounds checks (their errors escape a serial loop, not a prange one)
    monkeypatch.setattr(wp.config, "mode", "debug")
    a = wp.ones(n, dtype=float, device="cpu", requires_grad=True)
    out = wp.zeros(n, dtype=float, device="cpu", requires_grad=True)

    def backward(shift):
        wp.launch(shifted_square, dim=n, inputs=[a, shift], outputs=[out], device="cpu",
                  adj_inputs=[None, 0], adj_outputs=[wp.ones(n, dtype=float, device="cpu")],
                  adjoint=True)

    with pytest.raises(IndexError, match="backward pass of kernel .*shifted_square"):
        backward(2)
    a.grad.zero_()  # (the threads before the failing one did their work)
    backward(0)
    np.testing.assert_array_equal(a.grad.numpy(), np.full(n, 2.0))


def test_debug_mode_is_read_at_launch(device, monkeypatch):
    # the same kernel object: unchecked in release mode (the bad write is skipped by the
    # kernel's own guard here), checked as soon as debug mode is on, unchecked again after
    args, out = _accesses_args(device, 8, 1, shift=0)
    wp.launch(accesses, dim=8, inputs=args, device=device)
    monkeypatch.setattr(wp.config, "mode", "debug")
    args[-1] = 1
    with pytest.raises(IndexError, match="a\\[8\\]"):
        wp.launch(accesses, dim=8, inputs=args, device=device)
    monkeypatch.setattr(wp.config, "mode", "release")
    args[-1] = 0
    wp.launch(accesses, dim=8, inputs=args, device=device)
    np.testing.assert_array_equal(out.numpy(), np.arange(8))


def test_debug_kernel_defines_its_failure_slot_for_cuda(monkeypatch, cuda_backend_installed):
    # the CUDA launcher reads the slot by name from the kernel's module; no GPU needed
    monkeypatch.setattr(wp.config, "mode", "debug")
    args, _ = _accesses_args("cpu", 4, 1, shift=0)
    wp.launch(accesses, dim=4, inputs=args, device="cpu")
    sig = accesses.compiled_cpu_debug_variants[0][0]
    ptx = accesses.compile_ptx(sig, debug=True)
    assert ".visible .global .align 8 .b8 _numba_warp_debug_slot[128]" in ptx
    # a CUDA compile in between must not break the next CPU compile of a checked store
    # (Numba shares a function's implementation keys between targets)
    a = wp.zeros(3, dtype=float, device="cpu")
    wp.launch(write_sqrt, dim=3, inputs=[a, 4.0], device="cpu")
    np.testing.assert_array_equal(a.numpy(), [2.0, 2.0, 2.0])


def test_debug_mode_reports_a_none_struct_field(device, monkeypatch):
    monkeypatch.setattr(wp.config, "mode", "debug")
    args, _ = _accesses_args(device, 4, 5, shift=0)
    args[2] = Holder()  # data left None: a null array
    with pytest.raises(IndexError) as info:
        wp.launch(accesses, dim=4, inputs=args, device=device)
    assert "h.data" in str(info.value) and "None" in str(info.value)


@wp.kernel
def half_axpy(a: wp.array(dtype=wp.float16), b: wp.array(dtype=wp.float16)):
    i = wp.tid()
    b[i] = a[i] * wp.float16(2.0) + a[i]


def test_float16_kernels(device):
    a = wp.array(np.arange(4, dtype=np.float16), device=device)
    b = wp.zeros(4, dtype=wp.float16, device=device)
    # (on the CPU, float16 values are computed in float32 and rounded: lowering/half.py)
    wp.launch(half_axpy, dim=4, inputs=[a, b], device=device)
    np.testing.assert_array_equal(b.numpy(), np.arange(4, dtype=np.float16) * 3)
