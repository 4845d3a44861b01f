"""Hessian-vector products (``tape.hvp``): against a dense Hessian built from central
differences of gradients, its symmetry, through loops (past the checkpoint stack),
branches, ``@wp.func`` calls and chains of launches, on every device. The per-builtin
second derivatives are checked by the gradient tables
(test_builtin_grads.py::test_builtin_hvps)."""

from __future__ import annotations

import numpy as np
import pytest

import numba_warp as wp
from numba_warp.frontend.errors import WarpCodegenError

from .test_forward_mode import soft_step as soft

N = 4


@wp.func
def spring(p: wp.vec3d, q: wp.vec3d, rest: wp.float64):
    d = wp.length(p - q) - rest
    return d * d


@wp.kernel
def springs(x: wp.array(dtype=wp.vec3d), rest: wp.float64, energy: wp.array(dtype=wp.float64)):
    i = wp.tid()
    j = (i + 1) % x.shape[0]
    wp.atomic_add(energy, 0, spring(x[i], x[j], rest))


@wp.kernel
def deform(x: wp.array(dtype=wp.vec3d), n: int, y: wp.array(dtype=wp.vec3d)):
    i = wp.tid()
    q = x[i]
    acc = wp.float64(0.0)
    # a dynamic loop carrying a scalar and a vector
    for j in range(n):
        acc = acc + wp.sin(q[0] * wp.float64(j)) * wp.length(q)
        q = q + wp.cross(q, wp.vec3d(wp.float64(0.2), q[2], wp.float64(0.5))) * wp.float64(0.1)
    # a while loop with a break
    t = q[1]
    k = 0
    while k < 9:
        t = t * wp.float64(0.9) + wp.float64(0.1) * wp.cos(t)
        if t < wp.float64(-0.5):
            break
        k += 1
    if acc > wp.float64(0.0):
        r = acc * t
    else:
        r = acc - soft(t, 3)
    damp = wp.exp(-t * t) / (wp.float64(1.0) + wp.pow(wp.abs(t), wp.float64(1.5)))
    # component writes on a vector and a matrix, an in-place add into an array
    q[1] = q[1] * r
    m = wp.outer(q, x[i])
    m[0, 1] = m[0, 1] * t
    y[i] = m * q
    y[i] += wp.normalize(q) * damp


@wp.kernel
def potential(y: wp.array(dtype=wp.vec3d), x: wp.array(dtype=wp.vec3d),
              energy: wp.array(dtype=wp.float64)):
    i = wp.tid()
    m = wp.outer(y[i], x[i]) + wp.identity(3, dtype=wp.float64)
    e = wp.dot(y[i], m * x[i]) / (wp.float64(1.0) + wp.length_sq(x[i]))
    wp.atomic_add(energy, 0, e + wp.float64(0.5) * wp.sqrt(wp.float64(1.0) + wp.dot(y[i], y[i])))


def _start(device, rng):
    return rng.normal(size=(N, 3))


def _record(X, device, n=7):
    x = wp.array(X, dtype=wp.vec3d, device=device, requires_grad=True)
    y = wp.zeros(N, dtype=wp.vec3d, device=device, requires_grad=True)
    energy = wp.zeros(1, dtype=wp.float64, device=device, requires_grad=True)
    tape = wp.Tape()
    with tape:
        wp.launch(springs, N, inputs=[x, 0.7], outputs=[energy], device=device)
        wp.launch(deform, N, inputs=[x, n], outputs=[y], device=device)
        wp.launch(potential, N, inputs=[y, x], outputs=[energy], device=device)
    return tape, x, energy


def _gradient(X, device):
    tape, x, energy = _record(X, device)
    tape.backward(energy)
    return x.grad.numpy().reshape(-1)


def _hvp(X, V, device):
    tape, x, energy = _record(X, device)
    hv = tape.hvp(energy, {x: wp.array(V, dtype=wp.vec3d, device=device)})
    return hv[x].numpy().reshape(-1), x.grad.numpy().reshape(-1)


@pytest.fixture(scope="module")
def small_stack():
    saved = wp.config.adjoint_stack_size
    wp.config.adjoint_stack_size = 4  # the 7-iteration loop thins its checkpoints
    yield
    wp.config.adjoint_stack_size = saved


def test_hvp_dense_hessian(device, small_stack):
    """Every column H e_k against central differences of the gradient, and H = H^T."""
    rng = np.random.default_rng(3)
    X = _start(device, rng)
    dim = X.size
    H = np.zeros((dim, dim))
    for k in range(dim):
        e = np.zeros(dim)
        e[k] = 1.0
        H[:, k], g = _hvp(X, e.reshape(N, 3), device)
    eps = 1e-6
    H_fd = np.zeros((dim, dim))
    for k in range(dim):
        d = np.zeros(dim)
        d[k] = eps
        H_fd[:, k] = (_gradient(X + d.reshape(N, 3), device) -
                      _gradient(X - d.reshape(N, 3), device)) / (2 * eps)
    scale = np.abs(H).max()
    assert scale > 1.0
    np.testing.assert_allclose(H, H_fd, rtol=0, atol=2e-6 * scale)
    # symmetry is exact up to rounding (it is not built in: the two triangles come from
    # different directions)
    np.testing.assert_allclose(H, H.T, rtol=0, atol=1e-10 * scale)
    # the gradient computed alongside equals the backward pass's
    np.testing.assert_allclose(g, _gradient(X, device), rtol=1e-12, atol=1e-12)


def test_hvp_random_direction(device, small_stack):
    rng = np.random.default_rng(5)
    X = _start(device, rng)
    V = rng.normal(size=(N, 3))
    hv, _ = _hvp(X, V, device)
    eps = 1e-6
    fd = (_gradient(X + eps * V, device) - _gradient(X - eps * V, device)) / (2 * eps)
    np.testing.assert_allclose(hv, fd, rtol=1e-6, atol=1e-6 * np.abs(fd).max())


@wp.kernel
def quartic(x: wp.array(dtype=float), loss: wp.array(dtype=float)):
    i = wp.tid()
    wp.atomic_add(loss, 0, x[i] * x[i] * x[i] * x[i] + wp.sin(x[i]) * x[(i + 1) % x.shape[0]])


def test_hvp_float32(device):
    X = np.array([0.5, -1.0, 2.0], dtype=np.float32)
    x = wp.array(X, dtype=float, device=device, requires_grad=True)
    loss = wp.zeros(1, dtype=float, device=device, requires_grad=True)
    tape = wp.Tape()
    with tape:
        wp.launch(quartic, 3, inputs=[x], outputs=[loss], device=device)
    v = np.array([1.0, 2.0, -1.0], dtype=np.float32)
    hv = tape.hvp(loss, {x: wp.array(v, dtype=float, device=device)})[x].numpy()
    Xd = X.astype(np.float64)
    H = np.diag(12 * Xd ** 2 - np.sin(Xd) * np.roll(Xd, -1))
    for i in range(3):
        H[i, (i + 1) % 3] += np.cos(Xd[i])
        H[(i + 1) % 3, i] += np.cos(Xd[i])
    np.testing.assert_allclose(hv, H @ v, rtol=1e-5)


@wp.kernel
def uses_noise(x: wp.array(dtype=float), loss: wp.array(dtype=float)):
    i = wp.tid()
    s = wp.rand_init(3)
    wp.atomic_add(loss, 0, wp.noise(s, x[i]))


def test_hvp_errors(device):
    x = wp.array([0.5, 1.0], dtype=float, device=device, requires_grad=True)
    loss = wp.zeros(1, dtype=float, device=device, requires_grad=True)
    tape = wp.Tape()
    with tape:
        wp.launch(uses_noise, 2, inputs=[x], outputs=[loss], device=device)
    with pytest.raises(WarpCodegenError, match="'noise' has no second derivative") as info:
        tape.hvp(loss, {x: wp.zeros_like(x)})
    assert "test_hvp.py" in str(info.value)
    tape.backward(loss)  # the gradient is still there
    assert np.all(np.isfinite(x.grad.numpy()))

    tape = wp.Tape()
    with tape:
        wp.launch(quartic, 2, inputs=[x], outputs=[loss], device=device)
    with pytest.raises(ValueError, match="same shape and dtype"):
        tape.hvp(loss, {x: wp.zeros(3, dtype=float, device=device)})
    with pytest.raises(ValueError, match="single-element loss"):
        tape.hvp(x, {x: wp.zeros_like(x)})
    with pytest.raises(TypeError, match="dict"):
        tape.hvp(loss, [x])

    y = wp.zeros_like(x, requires_grad=True)
    tape = wp.Tape()
    with tape:
        wp.copy(y, x)
        wp.launch(quartic, 2, inputs=[y], outputs=[loss], device=device)
    with pytest.raises(RuntimeError, match="kernel launches only"):
        tape.hvp(loss, {x: wp.zeros_like(x)})
