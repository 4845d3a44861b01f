"""wp.Launch objects as Warp 1.19 builds them: ``wp.launch(..., record_cmd=True)`` and
``wp.Launch(kernel, device)``, with ``set_param_at_index``, ``set_param_by_name``,
``set_params``, ``set_dim`` and ``launch``.

The expected values are Warp 1.19's (the same sequence run under ``import warp`` on the
CPU printed them: 6, 3, then b = 0.5, then [0.25, 0.25, 0.5, 0.5], 30, and 60 from a
``wp.Launch`` built empty).
"""

from __future__ import annotations

import ctypes

import numpy as np
import pytest

import numba_warp as wp
from numba_warp.runtime.launch import LaunchError


@wp.kernel
def scale(a: wp.array(dtype=float), s: float):
    i = wp.tid()
    a[i] = a[i] * s


@wp.kernel
def times(x: wp.array(dtype=float), y: wp.array(dtype=float), s: float):
    i = wp.tid()
    y[i] = x[i] * s


def test_recorded_launch_and_setters(device):
    a = wp.full(4, 2.0, dtype=float, device=device)
    b = wp.full(4, 1.0, dtype=float, device=device)
    cmd = wp.launch(scale, dim=4, inputs=[a, 3.0], device=device, record_cmd=True)
    assert isinstance(cmd, wp.Launch)
    np.testing.assert_array_equal(a.numpy(), 2.0)  # recorded, not run
    cmd.launch()
    np.testing.assert_array_equal(a.numpy(), 6.0)
    cmd.set_param_by_name("s", 0.5)
    cmd.launch()
    np.testing.assert_array_equal(a.numpy(), 3.0)
    cmd.set_param_at_index(0, b)
    cmd.launch()
    np.testing.assert_array_equal(b.numpy(), 0.5)
    np.testing.assert_array_equal(a.numpy(), 3.0)
    cmd.set_dim(2)
    cmd.launch()
    np.testing.assert_array_equal(b.numpy(), [0.25, 0.25, 0.5, 0.5])
    cmd.set_params([a, 10.0])
    cmd.set_dim(4)
    cmd.launch()
    np.testing.assert_array_equal(a.numpy(), 30.0)
    assert cmd.bounds.shape == (4,) and cmd.bounds.size == 4


def test_launch_built_empty(device):
    a = wp.full(4, 30.0, dtype=float, device=device)
    cmd = wp.Launch(scale, wp.get_device(device))
    cmd.launch()  # no threads yet: nothing runs
    cmd.set_params([a, 2.0])
    cmd.set_dim(4)
    cmd.launch()
    np.testing.assert_array_equal(a.numpy(), 60.0)
    cmd2 = wp.Launch(scale, device, bounds=(2,), fwd_args=[a, 0.5])
    cmd2.launch()
    np.testing.assert_array_equal(a.numpy(), [30.0, 30.0, 60.0, 60.0])


def test_adjoint_launch_object(device):
    x = wp.array([1.0, 2.0], dtype=float, device=device, requires_grad=True)
    y = wp.zeros(2, dtype=float, device=device, requires_grad=True)
    y.grad.fill_(1.0)
    cmd = wp.launch(times, dim=2, inputs=[x, y, 3.0], adj_inputs=[x.grad, y.grad, 0.0],
                    adjoint=True, device=device, record_cmd=True)
    cmd.launch()
    np.testing.assert_array_equal(x.grad.numpy(), 3.0)
    other = wp.zeros(2, dtype=float, device=device)
    cmd.set_param_by_name("x", other, adjoint=True)  # the gradient of x goes elsewhere
    y.grad.fill_(1.0)
    cmd.launch()
    np.testing.assert_array_equal(other.numpy(), 3.0)
    np.testing.assert_array_equal(x.grad.numpy(), 3.0)


@wp.kernel
def lanes(a: wp.array2d(dtype=float)):
    i, lane = wp.tid()
    a[i, lane] = 1.0


def test_launch_tiled(device):
    a = wp.zeros((3, 32), dtype=float, device=device)
    wp.launch_tiled(lanes, dim=[3], inputs=[a], device=device, block_dim=32)
    # Warp: the trailing dimension is block_dim on a GPU, 1 on the CPU
    lanes_run = 32 if wp.get_device(device).is_cuda else 1
    np.testing.assert_array_equal(a.numpy().sum(axis=1), lanes_run)
    with pytest.raises(RuntimeError, match="'block_dim'"):
        wp.launch_tiled(lanes, dim=[3], inputs=[a], device=device)


def test_setter_errors():
    a = wp.zeros(2, dtype=float, device="cpu")
    cmd = wp.launch(scale, dim=2, inputs=[a, 1.0], device="cpu", record_cmd=True)
    with pytest.raises(ValueError, match="Argument 'zz' not found in kernel 'scale'"):
        cmd.set_param_by_name("zz", 1)
    with pytest.raises(LaunchError, match="argument 's' expects a float32"):
        cmd.set_param_at_index(1, "x")
    with pytest.raises(IndexError, match="out of range"):
        cmd.set_param_at_index(5, 1.0)
    with pytest.raises(ValueError, match="adjoint=True"):
        cmd.set_param_at_index(0, a, adjoint=True)
    with pytest.raises(LaunchError, match="dim"):
        cmd.set_dim("big")
    cmd.set_param_at_index_from_ctype(1, ctypes.c_float(4.0))
    cmd.launch()
    with pytest.raises(TypeError, match="ctypes structures"):
        cmd.set_param_at_index_from_ctype(0, _Point())
    with pytest.raises(TypeError, match="hooks, params and params_addr"):
        wp.Launch(scale, "cpu", params=[1, 2])


class _Point(ctypes.Structure):
    _fields_ = [("x", ctypes.c_float)]
