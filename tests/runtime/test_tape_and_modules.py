"""The Tape's API as in Warp 1.19 (seeding gradients by hand, ``grads=``, ``zero``,
``reset``, ``record_func``, ``launches`` as Warp's lists) and module options
(``enable_backward``, ``wp.set_module_options``, ``wp.get_module``, ``load_module``,
``force_load``).

Reference values are Warp 1.19's: the same programs under ``import warp`` (CPU) gave
x.grad = [2, 4, 6] after seeding loss.grad with 1, [4, 8, 12] with grads={loss: [2]},
[8, 16, 24] after a second backward without zero(); a kernel with enable_backward=False
recorded on a tape makes backward() warn and contribute nothing, and its adjoint=True
launch raises "Failed to find backward kernel".
"""

from __future__ import annotations

import sys
import types

import numpy as np
import pytest

import numba_warp as wp


@wp.kernel
def square(x: wp.array(dtype=float), y: wp.array(dtype=float)):
    i = wp.tid()
    y[i] = x[i] * x[i]


@wp.kernel
def total(y: wp.array(dtype=float), loss: wp.array(dtype=float)):
    i = wp.tid()
    wp.atomic_add(loss, 0, y[i])


@wp.kernel(enable_backward=False)
def square_no_backward(x: wp.array(dtype=float), y: wp.array(dtype=float)):
    i = wp.tid()
    y[i] = x[i] * x[i]


def _forward(device):
    x = wp.array([1.0, 2.0, 3.0], dtype=float, requires_grad=True, device=device)
    y = wp.zeros(3, dtype=float, requires_grad=True, device=device)
    loss = wp.zeros(1, dtype=float, requires_grad=True, device=device)
    tape = wp.Tape()
    with tape:
        wp.launch(square, 3, inputs=[x], outputs=[y], device=device)
        wp.launch(total, 3, inputs=[y, loss], device=device)
    return tape, x, y, loss


def test_backward_seeds(device):
    tape, x, y, loss = _forward(device)
    loss.grad.fill_(1.0)  # seeded by hand, then backward() with no arguments
    tape.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0, 6.0])
    np.testing.assert_array_equal(loss.grad.numpy(), [1.0])
    tape.zero()
    for g in (x.grad, y.grad, loss.grad):
        np.testing.assert_array_equal(g.numpy(), 0.0)
    tape.backward(grads={loss: wp.array([2.0], dtype=float, device=device)})
    np.testing.assert_array_equal(x.grad.numpy(), [4.0, 8.0, 12.0])
    tape.backward(grads={loss: wp.array([2.0], dtype=float, device=device)})
    np.testing.assert_array_equal(x.grad.numpy(), [8.0, 16.0, 24.0])  # accumulates
    tape.reset()
    assert tape.launches == [] and tape.scopes == []
    np.testing.assert_array_equal(x.grad.numpy(), 0.0)


def test_record_func_and_launch_records():
    tape, x, y, loss = _forward("cpu")
    calls = []
    tape.record_func(lambda: calls.append(x.grad.numpy().copy()), arrays=[x])
    with pytest.raises(RuntimeError, match="missing a gradient array"):
        tape.record_func(lambda: None, [wp.zeros(1, device="cpu")])
    tape.backward(loss)
    assert len(calls) == 1 and not calls[0].any()  # it ran first, before the launches
    # Warp keeps launches as [kernel, dim, max_blocks, inputs, outputs, device, ...]
    kernel, dim, _, inputs, outputs, dev = tape.launches[0][:6]
    assert kernel is square and dim == (3,) and inputs == [x] and outputs == [y]
    assert callable(tape.launches[-1])
    assert tape.visualize().startswith("digraph")


def test_scopes_follow_warp():
    tape = wp.Tape()
    tape.record_scope_begin("empty")
    tape.record_scope_end()  # an empty scope is dropped
    assert tape.scopes == []
    with pytest.raises(RuntimeError, match="no scope is open"):
        tape.record_scope_end()


def test_enable_backward_false():
    x = wp.array([1.0, 2.0], dtype=float, requires_grad=True, device="cpu")
    y = wp.zeros(2, dtype=float, requires_grad=True, device="cpu")
    tape = wp.Tape()
    with tape:
        wp.launch(square_no_backward, 2, inputs=[x, y], device="cpu")
    y.grad.fill_(1.0)
    with pytest.warns(UserWarning, match="recorded kernel .*enable_backward=False"):
        tape.backward()
    np.testing.assert_array_equal(x.grad.numpy(), 0.0)
    with pytest.raises(RuntimeError, match="Failed to find backward kernel"):
        wp.launch(square_no_backward, 2, inputs=[x, y], adj_inputs=[x.grad, y.grad],
                  adjoint=True, device="cpu")


def test_module_options():
    opts = wp.get_module_options()
    assert opts["enable_backward"] is True and opts["max_unroll"] == wp.config.max_unroll
    assert {"fast_math", "mode", "block_dim", "lineinfo"} <= set(opts)
    assert square.module is wp.get_module(__name__)
    assert square.key in square.module.kernels
    mod = types.ModuleType("wp_tape_modules_test")
    wp.set_module_options({"enable_backward": False, "fast_math": True}, mod)
    assert wp.get_module_options(mod)["fast_math"] is True
    assert wp.get_module_options(mod.__name__)["enable_backward"] is False

    @wp.kernel(module=mod.__name__)
    def in_mod(x: wp.array(dtype=float)):
        x[0] = 1.0

    @wp.kernel(module=mod.__name__, enable_backward=True)
    def own_option(x: wp.array(dtype=float)):
        x[0] = 1.0

    assert not in_mod.enable_backward and own_option.enable_backward
    wp.set_module_options({"enable_backward": True}, mod)
    assert in_mod.enable_backward


def test_config_enable_backward_is_read_when_the_module_is_made(monkeypatch):
    # Warp's rule: a module takes wp.config.enable_backward when it is made (its first
    # kernel); later changes of the config do not reach it
    monkeypatch.setattr(wp.config, "enable_backward", False)

    @wp.kernel(module="unique")
    def made_without(x: wp.array(dtype=float)):
        x[0] = 1.0

    monkeypatch.setattr(wp.config, "enable_backward", True)
    assert not made_without.enable_backward
    assert square.enable_backward  # its module was made before


def test_kernel_decorator_options():
    @wp.kernel(module="unique", module_options={"max_unroll": 4}, launch_bounds=256)
    def tuned(x: wp.array(dtype=float)):
        x[0] = 1.0

    assert tuned.module.options["max_unroll"] == 4 and tuned.options["launch_bounds"] == 256
    assert tuned.module is not square.module
    with pytest.raises(ValueError, match='module_options requires module="unique"'):
        wp.kernel(module_options={"max_unroll": 4})
    with pytest.raises(ValueError, match="unknown module_options"):
        wp.kernel(module="unique", module_options={"bogus": 1})(tuned.func)
    with pytest.raises(TypeError, match="unexpected option"):
        wp.kernel(launch_bound=256)


def test_load_module_and_force_load():
    wp.load_module(sys.modules[__name__], device="cpu")
    assert square.compiled_cpu_signatures  # compiled ahead of the first launch
    wp.load_module(wp.get_module(__name__), device="cpu")
    wp.force_load(device="cpu", modules=[__name__])


_named_module = wp.get_module("test_tape_and_modules_named")


@wp.kernel(module=_named_module)
def _in_named_module(a: wp.array(dtype=float)):
    a[wp.tid()] = 3.0


def test_load_module_by_a_wp_module_name():
    # Warp's meaning of a string: the name of a wp.Module (@wp.kernel(module=...))
    wp.load_module("test_tape_and_modules_named", device="cpu")
    assert sum(_in_named_module.cache_stats.values()) >= 1
    with pytest.raises(ValueError, match="no Python module or wp.Module"):
        wp.load_module("no_module_of_this_name")


def test_synchronize_stream_takes_a_device_or_nothing():
    # Warp's parameter is stream_or_device: a device (its current stream), or nothing
    wp.synchronize_stream("cpu")  # nothing to wait for on the CPU
    wp.synchronize_stream(wp.get_device("cpu"))
    wp.synchronize_stream()
    for d in wp.get_cuda_devices():
        wp.synchronize_stream(d)
        wp.synchronize_stream(str(d))
