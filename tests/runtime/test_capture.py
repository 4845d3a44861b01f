"""Graph capture with Warp 1.19's semantics, on every device.

What Warp 1.19 does (checked with Warp on the CPU: /tmp oracle scripts of the issue-11
runtime work run each scenario below under ``import warp``): work issued inside a capture
is recorded and does not run; ``capture_launch`` runs it with the same array objects (a
replay sees their current data) and the scalar arguments given at capture time;
``fill_``, ``zero_``, ``wp.copy``, ``assign`` and ``wp.clone`` are captured too; a tape
recorded inside a capture records its launches and ``tape.backward()`` is captured.
On a GPU this is a real CUDA stream capture (the GPU tests are run by the lead).
"""

from __future__ import annotations

import numpy as np
import pytest

import numba_warp as wp


@wp.kernel
def bump(a: wp.array(dtype=float)):
    i = wp.tid()
    a[i] = a[i] + 1.0


@wp.kernel
def scale(a: wp.array(dtype=float), s: float):
    i = wp.tid()
    a[i] = a[i] * s


@wp.kernel
def accumulate(src: wp.array(dtype=float), total: wp.array(dtype=float)):
    i = wp.tid()
    wp.atomic_add(total, 0, src[i])


@wp.kernel
def square(x: wp.array(dtype=float), y: wp.array(dtype=float)):
    i = wp.tid()
    y[i] = x[i] * x[i]


@wp.kernel
def countdown(counter: wp.array(dtype=wp.int32), steps: wp.array(dtype=float)):
    counter[0] = counter[0] - 1
    steps[0] = steps[0] + 1.0


def test_launches_are_recorded_not_run_and_replayed(device):
    a = wp.zeros(4, dtype=float, device=device)
    assert not wp.get_device(device).is_capturing
    with wp.ScopedCapture(device=device) as capture:
        assert wp.get_device(device).is_capturing
        wp.launch(bump, dim=4, inputs=[a], device=device)
        wp.launch(bump, dim=4, inputs=[a], device=device)
    assert not wp.get_device(device).is_capturing
    assert isinstance(capture.graph, wp.Graph) and capture.graph.device == device
    np.testing.assert_array_equal(a.numpy(), 0.0)  # nothing ran during the capture
    wp.capture_launch(capture.graph)
    np.testing.assert_array_equal(a.numpy(), 2.0)
    wp.capture_launch(capture.graph)
    np.testing.assert_array_equal(a.numpy(), 4.0)
    a.assign(np.array([10.0, 20.0, 30.0, 40.0], dtype=np.float32))  # same array, new data
    wp.capture_launch(capture.graph)
    np.testing.assert_array_equal(a.numpy(), [12.0, 22.0, 32.0, 42.0])


def test_scalar_arguments_are_taken_at_capture_time(device):
    a = wp.full(3, 2.0, dtype=float, device=device)
    s = 3.0
    wp.capture_begin(device=device)
    wp.launch(scale, dim=3, inputs=[a, s], device=device)
    graph = wp.capture_end(device=device)
    s = 10.0  # noqa: F841 - not seen by the graph
    wp.capture_launch(graph)
    np.testing.assert_array_equal(a.numpy(), 6.0)


def test_memory_operations_are_captured(device):
    a = wp.zeros(4, dtype=float, device=device)
    b = wp.zeros(4, dtype=float, device=device)
    src = wp.array([1.0, 2.0, 3.0, 4.0], dtype=float, device=device)
    with wp.ScopedCapture(device=device) as capture:
        a.fill_(5.0)
        wp.launch(bump, dim=4, inputs=[a], device=device)
        b.assign(src)
        wp.copy(a, src, dest_offset=2, src_offset=0, count=2)
        c = wp.clone(a)
    np.testing.assert_array_equal(a.numpy(), 0.0)
    np.testing.assert_array_equal(b.numpy(), 0.0)
    wp.capture_launch(capture.graph)
    np.testing.assert_array_equal(a.numpy(), [6.0, 6.0, 1.0, 2.0])
    np.testing.assert_array_equal(b.numpy(), [1.0, 2.0, 3.0, 4.0])
    np.testing.assert_array_equal(c.numpy(), [6.0, 6.0, 1.0, 2.0])
    src.fill_(9.0)  # the replay copies the source's current data
    wp.capture_launch(capture.graph)
    np.testing.assert_array_equal(b.numpy(), 9.0)
    with wp.ScopedCapture(device=device) as capture:
        b.zero_()
    np.testing.assert_array_equal(b.numpy(), 9.0)
    wp.capture_launch(capture.graph)
    np.testing.assert_array_equal(b.numpy(), 0.0)


def test_arrays_made_in_a_capture_are_initialised_at_each_replay(device):
    x = wp.array([1.0, 2.0, 3.0], dtype=float, device=device)
    out = wp.zeros(1, dtype=float, device=device)
    with wp.ScopedCapture(device=device) as capture:
        total = wp.zeros(1, dtype=float, device=device)  # an accumulator
        wp.launch(accumulate, dim=3, inputs=[x, total], device=device)
        wp.copy(out, total)
    for _ in range(2):  # zeroed again at each replay: the sum does not pile up
        wp.capture_launch(capture.graph)
        np.testing.assert_array_equal(out.numpy(), [6.0])


def test_launch_objects_in_a_capture(device):
    a = wp.full(2, 1.0, dtype=float, device=device)
    cmd = wp.launch(scale, dim=2, inputs=[a, 2.0], device=device, record_cmd=True)
    with wp.ScopedCapture(device=device) as capture:
        cmd.launch()
    np.testing.assert_array_equal(a.numpy(), 1.0)
    wp.capture_launch(capture.graph)
    wp.capture_launch(capture.graph)
    np.testing.assert_array_equal(a.numpy(), 4.0)


def test_tape_inside_a_capture(device):
    # Warp 1.19: y = [1, 4, 9], x.grad = [2, 4, 6] after one replay, [4, 8, 12] after two
    x = wp.array([1.0, 2.0, 3.0], dtype=float, requires_grad=True, device=device)
    y = wp.zeros(3, dtype=float, requires_grad=True, device=device)
    tape = wp.Tape()
    with wp.ScopedCapture(device=device) as capture:
        with tape:
            wp.launch(square, dim=3, inputs=[x, y], device=device)
        y.grad.fill_(1.0)
        tape.backward()
    assert len(tape.launches) == 1
    np.testing.assert_array_equal(x.grad.numpy(), 0.0)
    wp.capture_launch(capture.graph)
    np.testing.assert_array_equal(y.numpy(), [1.0, 4.0, 9.0])
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0, 6.0])
    wp.capture_launch(capture.graph)
    np.testing.assert_array_equal(x.grad.numpy(), [4.0, 8.0, 12.0])


def test_tape_recorded_in_a_capture_with_backward_after_replays(device):
    # the forward pass is captured with its tape; each replay re-runs it, so backward()
    # after a replay is valid even though the replay wrote y again (and x was updated)
    x = wp.array([1.0, 2.0, 3.0], dtype=float, requires_grad=True, device=device)
    y = wp.zeros(3, dtype=float, requires_grad=True, device=device)
    tape = wp.Tape()
    with wp.ScopedCapture(device=device) as capture:
        with tape:
            wp.launch(square, dim=3, inputs=[x, y], device=device)
    for step in range(2):
        x.assign(np.array([1.0, 2.0, 3.0], dtype=np.float32) * (step + 1))
        wp.capture_launch(capture.graph)
        tape.zero()
        y.grad.fill_(1.0)
        tape.backward()
        np.testing.assert_array_equal(x.grad.numpy(), [2.0 * (step + 1), 4.0 * (step + 1),
                                                       6.0 * (step + 1)])
    x.fill_(0.0)  # written after the last replay: the tape's read is stale
    with pytest.raises(RuntimeError, match="overwritten"):
        tape.backward()


def test_capture_if_and_while_outside_a_capture(device):
    cond = wp.array([1], dtype=wp.int32, device=device)
    a = wp.zeros(1, dtype=float, device=device)
    wp.capture_if(cond, on_true=lambda: wp.launch(bump, 1, inputs=[a], device=device),
                  on_false=lambda: wp.launch(scale, 1, inputs=[a, 0.0], device=device))
    np.testing.assert_array_equal(a.numpy(), [1.0])
    counter = wp.array([3], dtype=wp.int32, device=device)
    steps = wp.zeros(1, dtype=float, device=device)
    wp.capture_while(counter, lambda: wp.launch(countdown, 1, inputs=[counter, steps],
                                                device=device))
    np.testing.assert_array_equal(steps.numpy(), [3.0])
    with pytest.raises(TypeError, match="int32"):
        wp.capture_if(a, on_true=lambda: None)


def test_capture_if_and_while_in_a_cpu_capture():
    cond = wp.array([0], dtype=wp.int32, device="cpu")
    a = wp.zeros(1, dtype=float, device="cpu")
    counter = wp.zeros(1, dtype=wp.int32, device="cpu")
    steps = wp.zeros(1, dtype=float, device="cpu")
    with wp.ScopedCapture(device="cpu") as capture:
        wp.capture_if(cond, on_true=lambda: wp.launch(bump, 1, inputs=[a], device="cpu"))
        wp.capture_while(counter, lambda: wp.launch(countdown, 1, inputs=[counter, steps],
                                                    device="cpu"))
    assert not wp.is_conditional_graph_supported()
    wp.capture_launch(capture.graph)  # the conditions are read at each replay
    np.testing.assert_array_equal(a.numpy(), [0.0])
    np.testing.assert_array_equal(steps.numpy(), [0.0])
    cond.fill_(1)
    counter.fill_(2)
    wp.capture_launch(capture.graph)
    np.testing.assert_array_equal(a.numpy(), [1.0])
    np.testing.assert_array_equal(steps.numpy(), [2.0])


def test_capture_errors_and_cleanup(tmp_path):
    with pytest.raises(RuntimeError, match="already in progress"):
        with wp.ScopedCapture(device="cpu"):
            with wp.ScopedCapture(device="cpu"):
                pass
    assert not wp.get_device("cpu").is_capturing
    with pytest.raises(RuntimeError, match="not active"):
        wp.capture_end(device="cpu")
    with pytest.raises(TypeError, match="wp.Graph"):
        wp.capture_launch(None)
    with pytest.raises(ZeroDivisionError):  # the block's own error is not hidden
        with wp.ScopedCapture(device="cpu"):
            1 / 0  # noqa: B018
    assert not wp.get_device("cpu").is_capturing
    with pytest.raises(NotImplementedError, match="capture_save"):
        wp.capture_save(None, "g.wrp")
    a = wp.zeros(2, dtype=float, device="cpu")
    with wp.ScopedCapture(device="cpu") as capture:
        wp.launch(bump, 2, inputs=[a], device="cpu")
        a.zero_()
    path = tmp_path / "g.dot"
    wp.capture_debug_dot_print(capture.graph, str(path))
    text = path.read_text()
    assert f"forward kernel {bump.key}" in text and "op0 -> op1" in text
    with pytest.raises(RuntimeError, match="loaded APIC graphs"):
        capture.graph.set_param("x", a)


# -- CUDA stream capture (run on a GPU by the lead) -----------------------------------------

@wp.kernel
def first_launched_in_a_capture(a: wp.array(dtype=float), s: float):
    i = wp.tid()
    a[i] = a[i] + s


def test_cuda_graph_runs_nothing_during_capture_and_replays(gpu_device):
    n = 1000
    a = wp.zeros(n, dtype=float, device=gpu_device)
    stream = wp.Stream(gpu_device)
    with wp.ScopedStream(stream):
        with wp.ScopedCapture(stream=stream) as capture:
            assert stream.is_capturing
            for _ in range(5):  # compiled inside the capture on its first launch
                wp.launch(first_launched_in_a_capture, dim=n, inputs=[a, 0.5],
                          device=gpu_device)
    assert not stream.is_capturing and capture.graph.graph is not None
    np.testing.assert_array_equal(a.numpy(), 0.0)
    wp.capture_launch(capture.graph, stream=stream)
    wp.synchronize_stream(stream)
    np.testing.assert_array_equal(a.numpy(), 2.5)
    wp.capture_launch(capture.graph, stream=stream)
    wp.capture_launch(capture.graph, stream=stream)
    wp.synchronize_stream(stream)
    np.testing.assert_array_equal(a.numpy(), 7.5)


def test_cuda_capture_refuses_host_round_trips(gpu_device):
    a = wp.zeros(4, dtype=float, device=gpu_device)
    with pytest.raises(RuntimeError, match="graph capture"):
        with wp.ScopedCapture(device=gpu_device):
            a.numpy()
    with pytest.raises(RuntimeError, match="graph capture"):
        with wp.ScopedCapture(device=gpu_device):
            wp.synchronize_device(gpu_device)
    with pytest.raises(NotImplementedError, match="conditional graph nodes"):
        with wp.ScopedCapture(device=gpu_device):
            wp.capture_if(wp.zeros(1, dtype=wp.int32, device=gpu_device), on_true=print)
    # the device works normally afterwards
    wp.launch(bump, dim=4, inputs=[a], device=gpu_device)
    np.testing.assert_array_equal(a.numpy(), 1.0)
