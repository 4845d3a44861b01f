"""Literals keep their precision: a signed float literal in a float64 kernel is one
float64 constant (not a float32 literal negated), in values and in gradients."""

import numpy as np

import numba_warp as wp


@wp.kernel
def signed_literals(a: wp.array(dtype=wp.float64), out: wp.array(dtype=wp.float64),
                    v: wp.array(dtype=wp.vec3d)):
    i = wp.tid()
    out[0] = a[i] * -1.19
    out[1] = -1.04 - a[i]
    out[2] = wp.float64(-0.6)
    out[3] = a[i] * +0.1
    v[0] = wp.vec3d(-3.141592653589793, -0.1, 2.718281828459045)


def test_negative_float_literals_keep_float64_precision(device):
    a = wp.array(np.array([3.0]), dtype=wp.float64, device=device, requires_grad=True)
    out = wp.zeros(4, dtype=wp.float64, device=device, requires_grad=True)
    v = wp.zeros(1, dtype=wp.vec3d, device=device)
    tape = wp.Tape()
    with tape:
        wp.launch(signed_literals, 1, [a, out, v], device=device)
    assert out.numpy().tolist() == [3.0 * -1.19, -1.04 - 3.0, -0.6, 3.0 * 0.1]
    assert v.numpy()[0].tolist() == [-3.141592653589793, -0.1, 2.718281828459045]
    tape.backward(grads={out: wp.array(np.array([1.0, 0.0, 0.0, 0.0]), dtype=wp.float64,
                                        device=device)})
    assert a.grad.numpy()[0] == -1.19  # the literal's exact float64 value
