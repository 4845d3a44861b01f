"""Python-scope arithmetic on arrays (``a + b``, ``2.0 * a``, ``-a``, ``a += b``, ...):
results, types, broadcasting, errors and gradients, against NVIDIA Warp 1.19.

Expected values marked "Warp 1.19" were printed by Warp 1.19.0 (CPU) for the same
expressions (the script evaluated each under ``import warp as wp`` and numba_warp).
"""

from __future__ import annotations

import numpy as np
import pytest

import numba_warp as wp


def _arrays(device):
    return {
        "a": wp.array([1.0, 2.0, 3.0], dtype=float, device=device),
        "b": wp.array([4.0, 5.0, 6.0], dtype=float, device=device),
        "n": wp.array([-3.5, 2.0, 3.0], dtype=float, device=device),
        "i": wp.array([-7, 7, 3], dtype=int, device=device),
        "d": wp.array([1.0, 2.0, 3.0], dtype=wp.float64, device=device),
        "v": wp.array([[1.0, -2.0, 3.0], [4.0, 5.0, 6.0]], dtype=wp.vec3, device=device),
        "m": wp.array(np.arange(8, dtype=np.float32).reshape(2, 2, 2), dtype=wp.mat22,
                      device=device),
        "v2": wp.array([[1.0, 2.0], [3.0, 4.0]], dtype=wp.vec2, device=device),
        "q": wp.array([[0.0, 0.0, 0.0, 1.0]], dtype=wp.quat, device=device),
        "a2": wp.array(np.arange(6, dtype=np.float32).reshape(2, 3), device=device),
        "a21": wp.array([[0.0], [1.0]], dtype=float, device=device),
        "u8": wp.array([250, 3], dtype=wp.uint8, device=device),
    }


# (expression, result dtype, contents): Warp 1.19
CASES = [
    ("a + b", wp.float32, [5, 7, 9]),
    ("a - b", wp.float32, [-3, -3, -3]),
    ("2.0 * a", wp.float32, [2, 4, 6]),
    ("2.0 / a", wp.float32, [2.0, 1.0, np.float32(2) / np.float32(3)]),
    ("-a", wp.float32, [-1, -2, -3]),
    ("n // 2.0", wp.float32, [-2, 1, 1]),
    ("n % 2.0", wp.float32, [-1.5, 0, 1]),
    ("a ** 2.0", wp.float32, [1, 4, 9]),
    ("2.0 ** a", wp.float32, [2, 4, 8]),
    ("a / b", wp.float32, [0.25, np.float32(0.4), 0.5]),
    ("d * wp.float64(2.0)", wp.float64, [2, 4, 6]),
    ("i / 2", wp.int32, [-3, 3, 1]),
    ("i // 2", wp.int32, [-4, 3, 1]),
    ("i % 3", wp.int32, [-1, 1, 0]),
    ("u8 + u8", wp.uint8, [244, 6]),
    ("v * 2.0", wp.vec3, [[2, -4, 6], [8, 10, 12]]),
    ("v + wp.vec3(1.0, 1.0, 1.0)", wp.vec3, [[2, -1, 4], [5, 6, 7]]),
    ("m * v2", wp.vec2, [[2, 8], [32, 46]]),
    ("m * m", wp.mat22, [[[2, 3], [6, 11]], [[46, 55], [66, 79]]]),
    ("a2 + a", wp.float32, [[1, 3, 5], [4, 6, 8]]),
    ("a2 + a21", wp.float32, [[0, 1, 2], [4, 5, 6]]),
    ("a21 + a", wp.float32, [[1, 2, 3], [2, 3, 4]]),
    ("a2[:, 1] + a2[:, 2]", wp.float32, [3, 9]),
]


@pytest.mark.parametrize("expr,dtype,expect", CASES, ids=[c[0] for c in CASES])
def test_operators_match_warp(device, expr, dtype, expect):
    r = eval(expr, {"wp": wp}, _arrays(device))
    assert isinstance(r, wp.array) and r.dtype is dtype and r.device == wp.get_device(device)
    np.testing.assert_array_equal(r.numpy(), np.array(expect, dtype=r.numpy().dtype))


# (expression, exception): Warp 1.19 raises for each (RuntimeError for mixed scalar types,
# TypeError for unsupported ones, ValueError for shapes)
BAD = [
    ("a * 2", RuntimeError), ("d + a", RuntimeError), ("u8 + 1", RuntimeError),
    ("v * v", TypeError), ("i ** 2", TypeError), ("v % 2.0", TypeError),
    ("a + np.float32(1.0)", TypeError), ("a + [1.0, 2.0, 3.0]", TypeError),
    ("a2 @ a2", TypeError), ("a + wp.vec3(1.0, 2.0, 3.0)", TypeError),
    ("a + a2[:, :2]", ValueError),
]


@pytest.mark.parametrize("expr,exc", BAD, ids=[c[0] for c in BAD])
def test_bad_operands_raise_like_warp(expr, exc):
    with pytest.raises(exc):
        eval(expr, {"wp": wp, "np": np}, _arrays("cpu"))


def test_in_place_operators(device):
    y = wp.array([1.0, 2.0, 3.0], dtype=float, device=device)
    ptr = y.ptr
    y += wp.array([1.0, 2.0, 3.0], dtype=float, device=device)
    y *= 2.0
    y -= wp.array([4.0, 5.0, 6.0], dtype=float, device=device)
    y /= 2.0
    assert y.ptr == ptr and y.numpy().tolist() == [0.0, 1.5, 3.0]  # Warp 1.19
    ii = wp.array([1, 2, 3], dtype=int, device=device)
    ii //= 2
    ii %= 2
    assert ii.numpy().tolist() == [0, 1, 1]
    row = wp.array([[1.0, 2.0]], dtype=float, device=device)
    row += wp.array([1.0, 2.0], dtype=float, device=device)  # broadcast into row's shape
    assert row.numpy().tolist() == [[2.0, 4.0]]
    with pytest.raises(TypeError, match="shape"):
        y2 = wp.zeros(2, device=device)
        y2 += wp.zeros((1, 2), device=device)
    with pytest.raises(RuntimeError):
        ii += 1.5


def test_gradients_flow_through_operators(device):
    @wp.kernel
    def sum_squares(z: wp.array2d(dtype=float), loss: wp.array(dtype=float)):
        i, j = wp.tid()
        wp.atomic_add(loss, 0, z[i, j] * z[i, j])

    x = wp.array([1.0, 2.0, 3.0], dtype=float, requires_grad=True, device=device)
    y = wp.array(np.arange(6, dtype=np.float32).reshape(2, 3), requires_grad=True,
                 device=device)
    s = wp.array([[2.0], [3.0]], dtype=float, requires_grad=True, device=device)
    loss = wp.zeros(1, requires_grad=True, device=device)
    tape = wp.Tape()
    with tape:
        z = y * x - s
        wp.launch(sum_squares, z.shape, inputs=[z, loss], device=device)
    assert z.requires_grad
    tape.backward(loss)
    # Warp 1.19
    assert loss.numpy().tolist() == [189.0]
    assert x.grad.numpy().tolist() == [0.0, 40.0, 136.0]
    assert y.grad.numpy().tolist() == [[-4.0, 0.0, 24.0], [0.0, 20.0, 72.0]]
    assert s.grad.numpy().tolist() == [[-4.0], [-34.0]]
    assert not (wp.array([1, 2], dtype=int, device=device) + 1).requires_grad
