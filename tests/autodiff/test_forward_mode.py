"""Forward mode (tangents, JVPs): against central differences and against the reverse
pass (the dot-product test <u, J v> = <J^T u, v>), through loops, branches, functions,
structs and atomics, on every device. The per-builtin tangents are checked by the
gradient tables (test_builtin_grads.py::test_builtin_tangents)."""

from __future__ import annotations

import numpy as np
import pytest

import numba_warp as wp

N = 5


@wp.func
def soft_step(x: wp.float64, k: int):
    # an early return and a loop inside a function
    if x < wp.float64(-3.0):
        return wp.float64(0.0)
    s = wp.float64(0.0)
    for j in range(k):
        s = s + wp.tanh(x * wp.float64(j + 1)) / wp.float64(j + 1)
    return s


@wp.kernel
def mixed(x: wp.array(dtype=wp.float64), v: wp.array(dtype=wp.vec3d), n: int,
          y: wp.array(dtype=wp.float64), w: wp.array(dtype=wp.vec3d),
          total: wp.array(dtype=wp.float64)):
    i = wp.tid()
    a = x[i]
    p = v[i]
    # a dynamic loop carrying a scalar and a vector
    acc = wp.float64(0.0)
    q = p
    for j in range(n):
        acc = acc + wp.sin(a * wp.float64(j)) * wp.length(q)
        q = wp.cross(q, wp.vec3d(a, wp.float64(1.0), wp.float64(0.5))) * wp.float64(0.3)
    # a while loop with a break
    t = a
    k = 0
    while k < 10:
        t = t * wp.float64(0.9) + wp.float64(0.1) * wp.cos(t)
        if t < wp.float64(-0.2):
            break
        k += 1
    # branches
    if a > wp.float64(0.0):
        r = acc * t
    else:
        r = acc - soft_step(a, 3)
    # component writes on a vector, a matrix product
    q[1] = r * q[0]
    m = wp.outer(q, p)
    y[i] = r + wp.determinant(m + wp.identity(3, dtype=wp.float64))
    w[i] = m * p
    wp.atomic_add(total, 0, r * r)
    total[1 + i] += a * t


def _mixed_args(xv, vv, device):
    x = wp.array(xv, dtype=wp.float64, device=device)
    v = wp.array(vv, dtype=wp.vec3d, device=device)
    y = wp.zeros(N, dtype=wp.float64, device=device)
    w = wp.zeros(N, dtype=wp.vec3d, device=device)
    total = wp.zeros(N + 1, dtype=wp.float64, device=device)
    return x, v, y, w, total


def _mixed_outputs(xv, vv, device):
    x, v, y, w, total = _mixed_args(xv, vv, device)
    wp.launch(mixed, N, inputs=[x, v, 4], outputs=[y, w, total], device=device)
    return [y.numpy(), w.numpy(), total.numpy()]


def _inputs(seed=0):
    rng = np.random.default_rng(seed)
    xv = rng.uniform(-1.5, 1.5, N)
    vv = rng.normal(size=(N, 3))
    return rng, xv, vv


def test_jvp_matches_central_differences_through_control_flow(device):
    rng, xv, vv = _inputs()
    dx, dv = rng.normal(size=N), rng.normal(size=(N, 3))
    x, v, y, w, total = _mixed_args(xv, vv, device)
    tx = wp.array(dx, dtype=wp.float64, device=device)
    tv = wp.array(dv, dtype=wp.vec3d, device=device)
    ty, tw, ttotal = wp.jvp(mixed, N, inputs=[x, v, 4], tangent_inputs=[tx, tv, None],
                            outputs=[y, w, total], device=device)
    # the launch also computed the outputs
    want = _mixed_outputs(xv, vv, device)
    for got, ref in zip((y, w, total), want):
        np.testing.assert_allclose(got.numpy(), ref, rtol=1e-12)
    eps = 1e-6
    plus = _mixed_outputs(xv + eps * dx, vv + eps * dv, device)
    minus = _mixed_outputs(xv - eps * dx, vv - eps * dv, device)
    for got, p, m in zip((ty, tw, ttotal), plus, minus):
        np.testing.assert_allclose(got.numpy(), (p - m) / (2 * eps), rtol=1e-6, atol=1e-7)


def test_jvp_agrees_with_the_reverse_pass(device):
    # <u, J v> from forward mode equals <J^T u, v> from the tape, to rounding
    rng, xv, vv = _inputs(1)
    dx, dv = rng.normal(size=N), rng.normal(size=(N, 3))
    uy, uw, ut = rng.normal(size=N), rng.normal(size=(N, 3)), rng.normal(size=N + 1)
    x, v, y, w, total = _mixed_args(xv, vv, device)
    ty, tw, tt = wp.jvp(mixed, N, inputs=[x, v, 4],
                        tangent_inputs=[wp.array(dx, dtype=wp.float64, device=device),
                                        wp.array(dv, dtype=wp.vec3d, device=device), None],
                        outputs=[y, w, total], device=device)
    forward = (uy @ ty.numpy()) + np.sum(uw * tw.numpy()) + (ut @ tt.numpy())

    x, v, y, w, total = _mixed_args(xv, vv, device)
    for a in (x, v, y, w, total):
        a.requires_grad = True
    tape = wp.Tape()
    with tape:
        wp.launch(mixed, N, inputs=[x, v, 4], outputs=[y, w, total], device=device)
    tape.backward(grads={y: wp.array(uy, dtype=wp.float64, device=device),
                         w: wp.array(uw, dtype=wp.vec3d, device=device),
                         total: wp.array(ut, dtype=wp.float64, device=device)})
    reverse = (x.grad.numpy() @ dx) + np.sum(v.grad.numpy() * dv)
    assert forward == pytest.approx(reverse, rel=1e-11)


@wp.struct
class Body:
    pos: wp.array(dtype=wp.vec3)
    mass: wp.array(dtype=float)
    g: float


@wp.kernel
def potential(b: Body, e: wp.array(dtype=float)):
    i = wp.tid()
    p = b.pos[i]
    e[i] = b.mass[i] * b.g * p[1] + wp.float32(0.5) * wp.dot(p, p)


def test_tangents_of_arrays_in_structs(device):
    rng = np.random.default_rng(2)
    pos, mass = rng.normal(size=(N, 3)).astype(np.float32), rng.uniform(1, 2, N).astype(np.float32)
    dpos = rng.normal(size=(N, 3)).astype(np.float32)
    b = Body()
    b.pos = wp.array(pos, dtype=wp.vec3, device=device)
    b.mass = wp.array(mass, dtype=float, device=device)
    b.g = 9.8
    tb = Body()  # the tangent of a struct: a struct holding tangent arrays (mass: none)
    tb.pos = wp.array(dpos, dtype=wp.vec3, device=device)
    e = wp.zeros(N, dtype=float, device=device)
    (de,) = wp.jvp(potential, N, inputs=[b], tangent_inputs=[tb], outputs=[e], device=device)
    want = mass * 9.8 * dpos[:, 1] + np.sum(pos * dpos, axis=1)
    np.testing.assert_allclose(de.numpy(), want, rtol=1e-5)


@wp.func
def clipped_square(x: float):
    return wp.min(x * x, 4.0)


@wp.func_grad(clipped_square)
def adj_clipped_square(x: float, adj_ret: float):
    # a deliberately different derivative, to see that the tangent uses this one
    wp.adjoint[x] += 10.0 * adj_ret


@wp.kernel
def uses_custom_grad(x: wp.array(dtype=float), y: wp.array(dtype=float)):
    i = wp.tid()
    y[i] = clipped_square(x[i])


def test_functions_with_a_custom_gradient_take_their_tangent_from_it(device):
    x = wp.array([0.5, 1.0, 3.0], dtype=float, device=device)
    y = wp.zeros(3, dtype=float, device=device)
    (dy,) = wp.jvp(uses_custom_grad, 3, inputs=[x], tangent_inputs=[wp.ones(3, dtype=float,
                                                                            device=device)],
                   outputs=[y], device=device)
    np.testing.assert_allclose(y.numpy(), [0.25, 1.0, 4.0])
    np.testing.assert_allclose(dy.numpy(), [10.0, 10.0, 10.0])


@wp.kernel
def racy_max(x: wp.array(dtype=float), m: wp.array(dtype=float)):
    wp.atomic_max(m, 0, x[wp.tid()])


@wp.kernel
def scale(x: wp.array(dtype=float), s: float, y: wp.array(dtype=float)):
    i = wp.tid()
    y[i] = s * x[i]


def test_bad_tangent_arguments_are_refused_clearly():
    x = wp.ones(3, dtype=float, device="cpu")
    y = wp.zeros(3, dtype=float, device="cpu")
    with pytest.raises(TypeError, match="only arrays .* carry tangents"):
        wp.launch(scale, 3, inputs=[x, 2.0], outputs=[y], device="cpu",
                  tangent_inputs=[None, 1.0])
    with pytest.raises(TypeError, match="has shape \\(2,\\)"):
        wp.launch(scale, 3, inputs=[x, 2.0], outputs=[y], device="cpu",
                  tangent_inputs=[wp.ones(2, dtype=float, device="cpu"), None])
    with pytest.raises(TypeError, match="tangent_inputs has 1 entries"):
        wp.launch(scale, 3, inputs=[x, 2.0], outputs=[y], device="cpu", tangent_inputs=[None])
    with pytest.raises(wp.WarpCodegenError, match="atomic_max has no tangent") as info:
        wp.jvp(racy_max, 3, inputs=[x], tangent_inputs=[x], outputs=[wp.zeros(1, device="cpu")],
               device="cpu")
    assert "test_forward_mode.py" in str(info.value)


def test_jvp_scalar_parameters_are_constants_and_untangented_arrays_too(device):
    x = wp.array([1.0, 2.0, 3.0], dtype=float, device=device)
    y = wp.zeros(3, dtype=float, device=device)
    (dy,) = wp.jvp(scale, 3, inputs=[x, 2.0], tangent_inputs=[None, None], outputs=[y],
                   device=device)
    np.testing.assert_allclose(dy.numpy(), 0.0)
    np.testing.assert_allclose(y.numpy(), [2.0, 4.0, 6.0])


def test_a_tangent_launch_is_recorded_on_the_tape_as_its_forward_launch(device):
    x = wp.array([0.5, 1.0, 2.0], dtype=float, device=device, requires_grad=True)
    y = wp.zeros(3, dtype=float, device=device, requires_grad=True)
    tape = wp.Tape()
    with tape:
        (dy,) = wp.jvp(scale, 3, inputs=[x, 3.0], tangent_inputs=[wp.ones_like(x), None],
                       outputs=[y], device=device)
    tape.backward(grads={y: wp.ones(3, dtype=float, device=device)})
    np.testing.assert_allclose(dy.numpy(), 3.0)
    np.testing.assert_allclose(x.grad.numpy(), 3.0)


def test_tangents_in_debug_mode_match_release(device, monkeypatch):
    rng, xv, vv = _inputs(3)
    dx = rng.normal(size=N)

    def run():
        x, v, y, w, total = _mixed_args(xv, vv, device)
        return wp.jvp(mixed, N, inputs=[x, v, 4], tangent_inputs=[
            wp.array(dx, dtype=wp.float64, device=device), None, None],
            outputs=[y, w, total], device=device)

    release = [t.numpy() for t in run()]
    monkeypatch.setattr(wp.config, "mode", "debug")
    debug = [t.numpy() for t in run()]
    for a, b in zip(release, debug):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_record_cmd_refuses_tangents():
    x = wp.ones(3, dtype=float, device="cpu")
    with pytest.raises(TypeError, match="record_cmd=True cannot record a tangent"):
        wp.launch(scale, 3, inputs=[x, 2.0], outputs=[wp.zeros(3, device="cpu")],
                  device="cpu", record_cmd=True, tangent_inputs=[x, None])
