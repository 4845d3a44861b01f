"""``wp.checkpointed_rollout``: the gradients of a rollout recomputed segment by segment
are the full tape's, for states given as arrays, tuples, dicts, structs and objects; the
tape's overwrite checks cover the arrays the steps read."""

import numpy as np
import pytest

import numba_warp as wp


@wp.kernel
def integrate(x: wp.array(dtype=wp.vec3), v: wp.array(dtype=wp.vec3),
              drag: wp.array(dtype=float), dt: float,
              x_out: wp.array(dtype=wp.vec3), v_out: wp.array(dtype=wp.vec3)):
    i = wp.tid()
    a = wp.vec3(0.0, -9.8, 0.0) - drag[0] * v[i] * wp.length(v[i])
    vn = v[i] + a * dt
    xn = x[i] + vn * dt
    if xn[1] < 0.0:  # a floor: bounce (a branch in the dynamics)
        xn = wp.vec3(xn[0], -xn[1], xn[2])
        vn = wp.vec3(vn[0], -0.8 * vn[1], vn[2])
    x_out[i] = xn
    v_out[i] = vn


@wp.kernel
def energy(x: wp.array(dtype=wp.vec3), v: wp.array(dtype=wp.vec3),
           loss: wp.array(dtype=float)):
    i = wp.tid()
    wp.atomic_add(loss, 0, wp.dot(v[i], v[i]) + x[i][1] * x[i][0])


class State:
    def __init__(self, x, v):
        self.x, self.v = x, v
        self.label = "particles"  # (not an array: copied)


@wp.struct
class StructState:
    x: wp.array(dtype=wp.vec3)
    v: wp.array(dtype=wp.vec3)


def _pack(kind, x, v):
    if kind == "tuple":
        return (x, v)
    if kind == "dict":
        return {"x": x, "v": v}
    if kind == "object":
        return State(x, v)
    s = StructState()
    s.x, s.v = x, v
    return s


def _unpack(kind, s):
    if kind == "tuple":
        return s
    if kind == "dict":
        return s["x"], s["v"]
    return s.x, s.v


def _problem(device, n=16):
    rng = np.random.default_rng(0)
    x0 = wp.array(rng.uniform(0, 2, (n, 3)), dtype=wp.vec3, device=device, requires_grad=True)
    v0 = wp.array(rng.uniform(-1, 1, (n, 3)), dtype=wp.vec3, device=device, requires_grad=True)
    drag = wp.array([0.05], dtype=float, device=device, requires_grad=True)
    return x0, v0, drag


def _full_tape(device, steps, dt=0.01):
    x0, v0, drag = _problem(device)
    xs, vs = [x0], [v0]
    loss = wp.zeros(1, device=device, requires_grad=True)
    tape = wp.Tape()
    with tape:
        for _ in range(steps):
            xs.append(wp.zeros_like(x0, requires_grad=True))
            vs.append(wp.zeros_like(v0, requires_grad=True))
            wp.launch(integrate, len(x0), inputs=[xs[-2], vs[-2], drag, dt],
                      outputs=[xs[-1], vs[-1]], device=device)
        wp.launch(energy, len(x0), inputs=[xs[-1], vs[-1]], outputs=[loss], device=device)
    tape.backward(loss)
    return loss.numpy(), x0.grad.numpy(), v0.grad.numpy(), drag.grad.numpy()


def _checkpointed(device, steps, kind, every=None, dt=0.01):
    x0, v0, drag = _problem(device)
    loss = wp.zeros(1, device=device, requires_grad=True)

    def step(t, s_in, s_out):
        (xi, vi), (xo, vo) = _unpack(kind, s_in), _unpack(kind, s_out)
        wp.launch(integrate, len(xi), inputs=[xi, vi, drag, dt], outputs=[xo, vo],
                  device=device)

    tape = wp.Tape()
    with tape:
        final = wp.checkpointed_rollout(step, _pack(kind, x0, v0), steps, every=every)
        xf, vf = _unpack(kind, final)
        wp.launch(energy, len(x0), inputs=[xf, vf], outputs=[loss], device=device)
    tape.backward(loss)
    return (loss.numpy(), x0.grad.numpy(), v0.grad.numpy(), drag.grad.numpy()), drag, tape


@pytest.mark.parametrize("kind,every", [("tuple", None), ("dict", 7), ("object", 1),
                                        ("struct", 50)])
def test_checkpointed_gradients_equal_the_full_tape(device, kind, every):
    steps = 50  # (every=None: 8 segments of up to 8 steps; 50: one segment)
    want = _full_tape(device, steps)
    got, _, _ = _checkpointed(device, steps, kind, every)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-7)
    assert np.abs(want[3]).sum() > 0  # the drag gets a gradient through every step


def test_overwriting_a_parameter_after_the_rollout_is_caught(device):
    x0, v0, drag = _problem(device)
    loss = wp.zeros(1, device=device, requires_grad=True)

    def step(t, s_in, s_out):
        wp.launch(integrate, len(x0), inputs=[*s_in, drag, 0.01], outputs=[*s_out],
                  device=device)

    tape = wp.Tape()
    with tape:
        xf, vf = wp.checkpointed_rollout(step, (x0, v0), 10)
        wp.launch(energy, len(x0), inputs=[xf, vf], outputs=[loss], device=device)
    drag.assign([0.5])  # the recomputed steps would use this value
    with pytest.raises(RuntimeError, match="overwritten"):
        tape.backward(loss)


def test_bad_arguments_are_explained():
    with pytest.raises(ValueError, match="steps must be a positive int"):
        wp.checkpointed_rollout(lambda t, a, b: None, wp.zeros(2), 0)
    with pytest.raises(TypeError, match="holds no wp.array"):
        wp.checkpointed_rollout(lambda t, a, b: None, [1.0, 2.0], 3)
