"""Gradients through ``@wp.func`` calls: keyword arguments, defaults, and names in the
user's code that the generated backward code also uses (``adj_x``, ``ret``...).

Each case is a program that runs under NVIDIA Warp too; the expected gradients are
Warp's where Warp is right, closed forms or central differences otherwise.
"""

from __future__ import annotations

import numpy as np

import numba_warp as wp

from .test_autodiff import F64, check_fd, run_loss


# -- keyword arguments and defaults ---------------------------------------------------

@wp.func
def scaled_square(a: wp.float64, b: wp.float64 = 3.0):
    return a * a * b


@wp.func
def weighted(v: wp.vec3d, s: wp.float64 = 2.0, w: wp.vec3d = wp.vec3d(1.0, 2.0, 3.0)):
    return wp.dot(v, w) * s


@wp.func
def calls_with_keywords(x: wp.float64, y: wp.float64):
    return scaled_square(x, b=y) + scaled_square(b=x, a=y) + weighted(wp.vec3d(x), w=wp.vec3d(y))


@wp.kernel
def keyword_calls(x: F64, y: F64, loss: F64):
    i = wp.tid()
    value = calls_with_keywords(x[i], y[i]) + scaled_square(a=y[i]) + weighted(wp.vec3d(y[i]))
    wp.atomic_add(loss, 0, value)


def test_keyword_arguments_and_defaults_forward_and_backward(device):
    x, y = np.array([1.0, -2.0, 0.5]), np.array([3.0, 1.5, -1.0])
    loss, (gx, gy) = run_loss(keyword_calls, 3, [x, y], device)
    expect = x * x * y + y * y * x + 3 * x * y * 2 + 3 * y * y + 12 * y
    np.testing.assert_allclose(loss, expect.sum())
    np.testing.assert_allclose(gx, 2 * x * y + y * y + 6 * y)
    np.testing.assert_allclose(gy, x * x + 2 * x * y + 6 * x + 6 * y + 12)


def test_unknown_keyword_is_an_error_at_the_call():
    @wp.kernel
    def bad_keyword(x: F64):
        x[0] = scaled_square(x[0], c=2.0)

    try:
        bad_keyword.adjoint_source
    except wp.WarpCodegenError as exc:
        msg = str(exc)
    else:
        raise AssertionError("no error")
    assert "no parameter 'c' (its parameters: a, b)" in msg
    assert "test_functions.py" in msg


# -- names the backward code uses too -------------------------------------------------

@wp.func
def clash(a: float, b: float) -> float:
    return a + b


@wp.func_grad(clash)
def adj_clash(a: float, b: float, adj_ret: float):
    # Warp's test_grad.py 'name_clash': locals named like the generated adjoints
    adj_a = 0.0
    adj_b = 0.0
    if a < 0.0:
        adj_a = adj_ret
    if b > 0.0:
        adj_b = adj_ret
    wp.adjoint[a] += adj_a
    wp.adjoint[b] += adj_b


@wp.kernel
def clash_kernel(input_a: wp.array(dtype=float), input_b: wp.array(dtype=float),
                 output: wp.array(dtype=float)):
    tid = wp.tid()
    output[tid] = clash(input_a[tid], input_b[tid])


def test_custom_gradient_locals_named_like_adjoints(device):
    a = wp.array([1.0, -2.0, 3.0], dtype=float, device=device, requires_grad=True)
    b = wp.array([4.0, 5.0, -6.0], dtype=float, device=device, requires_grad=True)
    out = wp.zeros(3, dtype=float, device=device, requires_grad=True)
    with wp.Tape() as tape:
        wp.launch(clash_kernel, 3, inputs=[a, b], outputs=[out], device=device)
    tape.backward(grads={out: np.ones(3, dtype=np.float32)})
    np.testing.assert_array_equal(a.grad.numpy(), [0.0, 1.0, 0.0])
    np.testing.assert_array_equal(b.grad.numpy(), [1.0, 1.0, 0.0])


@wp.func
def names_of_adjoints(adj_a: wp.float64, a: wp.float64):
    sin = a * 2.0  # a local named like a builtin
    ret = sin * adj_a  # its adjoint is adj_ret, the name of the incoming adjoint
    adj_ret = ret + a
    return adj_ret


@wp.kernel
def names_kernel(a: F64, adj_a: F64, loss: F64):
    i = wp.tid()
    dot = a[i]
    length = wp.sin(dot) * dot
    adj_dot = names_of_adjoints(length, adj_a[i]) * 3.0
    wp.atomic_add(loss, 0, adj_dot + dot)


def test_parameters_and_locals_named_like_adjoints(device):
    # a parameter adj_a next to a, locals ret / adj_ret / adj_dot / sin / dot / length
    check_fd(names_kernel, 2, [np.array([1.0, 2.0]), np.array([0.5, -1.5])], device)


@wp.func
def overloaded(a: wp.float64):
    return a * a


@wp.func
def overloaded(a: wp.vec3d, s: wp.float64 = 2.0):  # noqa: F811 - a second overload
    return wp.dot(a, a) * s


@wp.kernel
def overloaded_calls(x: F64, loss: F64):
    i = wp.tid()
    # f(x) fits both overloads, one with a default: the default is filled in at typing
    wp.atomic_add(loss, 0, overloaded(x[i]) + overloaded(wp.vec3d(x[i])))


def test_defaults_of_one_overload_among_several(device):
    x = np.array([1.0, 2.0])
    loss, (gx,) = run_loss(overloaded_calls, 2, [x], device)
    np.testing.assert_allclose(loss, np.sum(7 * x * x))
    np.testing.assert_allclose(gx, 14 * x)
