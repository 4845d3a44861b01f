"""Function forms of the operators and the Utility builtins, on every device."""

import numpy as np

import numba_warp as wp


@wp.kernel
def operator_forms(a: wp.array(dtype=int), f: wp.array(dtype=float),
                   out: wp.array(dtype=float), v: wp.array(dtype=wp.vec3)):
    x = a[0]
    out[0] = float(wp.add(x, 2) + wp.sub(x, 1) + wp.mul(x, 3) + wp.neg(x) + wp.pos(x))
    out[1] = float(wp.bit_and(x, 6) + wp.bit_or(x, 1) + wp.bit_xor(x, 3) + wp.lshift(x, 2)
                   + wp.rshift(x, 1) + wp.invert(x))
    out[2] = float(wp.unot(x)) + float(wp.unot(0)) + wp.where(x > 3, 1.0, 2.0) \
        + wp.select(x > 3, 1.0, 2.0)
    out[3] = float(wp.cast(wp.float32(f[0]), wp.int32) == 1076887552) \
        + float(wp.len(wp.vec3(1.0))) + float(wp.len(a)) \
        + float(len(wp.mat22(0.0)))
    out[4] = wp.div_approx(f[0], 2.0)
    out[5] = float(wp.block_dim() >= 1)
    w = wp.add(v[0], v[1])  # vectors too
    out[6] = w[0] + w[1] + w[2]
    wp.printf("printf: x=%d f=%f\n", x, f[0])
    wp.print(x)
    wp.expect_near(f[0], f[0], 0.1)
    wp.breakpoint()


def test_operator_forms(device):
    x = 5
    a = wp.array([x], dtype=int, device=device)
    f = wp.array([2.75], dtype=float, device=device)
    v = wp.array([[1, 2, 3], [4, 5, 6]], dtype=wp.vec3, device=device)
    out = wp.zeros(7, dtype=float, device=device)
    wp.launch(operator_forms, dim=1, inputs=[a, f, out, v], device=device)
    wp.synchronize()
    expect = [x + 2 + x - 1 + 3 * x - x + x,
              (x & 6) + (x | 1) + (x ^ 3) + (x << 2) + (x >> 1) + (~x),
              0 + 1 + 1 + 2, 1 + 3 + 1 + 2, 1.375, 1.0, 21.0]
    np.testing.assert_allclose(out.numpy(), expect)


def test_python_scope_forms():
    assert wp.add(2, 3) == 5 and wp.where(False, 1, 2) == 2 and wp.select(True, 1, 2) == 2
    assert wp.len(wp.vec4()) == 4 and wp.unot(0) and not wp.unot(3)
    assert wp.cast(wp.float32(2.75), wp.int32) == 1076887552  # the bits (as in Warp)
