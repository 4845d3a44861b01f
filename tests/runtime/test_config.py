"""wp.config options that change how kernels are compiled and launched."""

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


def test_debug_mode_checks_bounds(monkeypatch):
    monkeypatch.setattr(wp.config, "mode", "debug")

    @wp.kernel
    def out_of_bounds(a: wp.array(dtype=float)):
        i = wp.tid()
        a[i + 5] = 1.0

    a = wp.zeros(3, dtype=float, device="cpu")
    with pytest.raises(IndexError):
        wp.launch(out_of_bounds, dim=3, inputs=[a], device="cpu")


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
