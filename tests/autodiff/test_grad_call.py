"""``wp.grad(f)(args)`` in kernels: the adjoints of ``f``'s inputs for an output adjoint of
ones (vectors: all ones), one value for one input, a tuple for several (parameters left
to their defaults included). ``f`` is a ``@wp.func`` or a differentiable builtin.

Expected values are Warp 1.19's for the same kernels on the CPU. In a differentiated
kernel the call is a constant, as in Warp (which warns that gradients do not flow
through it): ``y = x * wp.grad(square)(x) + uses_grad(x)`` has ``dy/dx = 2x``.
"""

import numpy as np

import numba_warp as wp


@wp.func
def square(x: float):
    return x * x


@wp.func
def poly(x: float, y: float):
    return x * x * y + wp.sin(y)


@wp.func
def scaled_vector(v: wp.vec3, s: float):
    return v * s


@wp.func
def norm_squared(v: wp.vec3):
    return wp.dot(v, v)


@wp.func
def with_default(x: float, k: float = 3.0):
    return k * x * x


@wp.func
def uses_grad(x: float):
    return wp.grad(square)(x) * 3.0


@wp.kernel
def grad_calls(x: wp.array(dtype=float), out: wp.array(dtype=float)):
    a = x[0]
    out[0] = wp.grad(square)(a)
    dx, dy = wp.grad(poly)(a, 0.5)
    out[1] = dx
    out[2] = dy
    db, da = wp.grad(wp.atan2)(0.3, a)
    out[3] = db
    out[4] = da
    gv, gs = wp.grad(scaled_vector)(wp.vec3(1.0, 2.0, 3.0), a)
    out[5] = gv[0] + gv[1] * 10.0
    out[6] = gs
    out[7] = wp.grad(norm_squared)(wp.vec3(1.0, 2.0, 3.0))[2]
    out[8] = wp.grad(wp.sin)(a)
    gx, gk = wp.grad(with_default)(a)
    out[9] = gx + 100.0 * gk
    out[10] = uses_grad(a)


def test_grad_of_functions_and_builtins(device):
    x = wp.array([2.0], dtype=float, device=device)
    out = wp.zeros(11, dtype=float, device=device)
    wp.launch(grad_calls, dim=1, inputs=[x, out], device=device)
    # Warp 1.19 (out[9]: Warp's generated C++ fails to compile a defaulted parameter's
    # adjoint; the value is 2*k*x + 100 * x^2 with k = 3, x = 2)
    warp = [4.0, 2.0, 4.877582550048828, 0.48899754881858826, -0.07334963232278824, 22.0,
            6.0, 6.0, -0.416146844625473, 412.0, 12.0]
    np.testing.assert_allclose(out.numpy(), warp, rtol=1e-6)


@wp.kernel
def grad_as_constant(x: wp.array(dtype=float), y: wp.array(dtype=float)):
    i = wp.tid()
    y[i] = x[i] * wp.grad(square)(x[i]) + uses_grad(x[i])


def test_grad_call_is_a_constant_for_the_backward_pass(device):
    x = wp.array([2.0, 3.0], dtype=float, device=device, requires_grad=True)
    y = wp.zeros(2, dtype=float, device=device, requires_grad=True)
    tape = wp.Tape()
    with tape:
        wp.launch(grad_as_constant, dim=2, inputs=[x, y], device=device)
    tape.backward(grads={y: wp.ones(2, dtype=float, device=device)})
    np.testing.assert_allclose(y.numpy(), [20.0, 36.0])  # Warp 1.19
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 6.0])  # Warp 1.19
