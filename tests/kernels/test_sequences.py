"""Sequences in kernel code: starred call arguments, ``for`` loops over sequences, and
Python literals inside ``wp.static()``.

Warp 1.19 accepts ``f(*v)`` for vectors, quaternions, matrices (rows) and constant slices
of them and of 1-D arrays; the values of ``starred_forms`` below that Warp computes too
were checked against Warp 1.19 on the CPU (the same kernel with ``import warp``, tuples
left out). Loops over sequences and tuple starring are extensions (Warp refuses them);
their expected values are plain Python arithmetic. Gradients are checked against
central differences of the same kernel.
"""

import enum

import numpy as np
import pytest

import numba_warp as wp


@wp.func
def weigh3(a: float, b: float, c: float):
    return a + 2.0 * b + 3.0 * c


@wp.func
def doubled(v: wp.vec3):
    return v * 2.0


@wp.kernel
def starred_forms(x: wp.array(dtype=wp.vec3), a: wp.array(dtype=float), m: wp.mat22,
                  out: wp.array(dtype=float)):
    v = x[0]
    w = wp.vec4(*v, 4.0)  # a vector element of an array: its length is known
    out[0] = w[0] + 10.0 * w[3]
    out[1] = weigh3(*v)
    out[2] = wp.max(*wp.vec2(3.0, -4.0))
    out[3] = weigh3(*a[1:4])  # a 1-D array slice with constant bounds
    out[4] = weigh3(*wp.vec4(1.0, 2.0, 3.0, 4.0)[1:])
    out[5] = weigh3(1.0, *(2.0, 3.0))  # a tuple (Warp refuses tuples)
    r = wp.matrix_from_rows(*m)  # a matrix gives its rows
    out[6] = r[1, 0]
    q = wp.quat(0.0, 0.0, 0.6, 0.8)
    out[7] = wp.vec4(*q)[3]
    out[8] = weigh3(*doubled(v))  # length seen only when typed: spread as a tuple
    t = (v[2], v[1])
    out[9] = weigh3(0.5, *t)
    out[10] = weigh3(*v[::-1])


def test_starred_arguments(device):
    x = wp.array([[1.0, 2.0, 3.0]], dtype=wp.vec3, device=device)
    a = wp.array([1.0, 2.0, 3.0, 4.0, 5.0], dtype=float, device=device)
    m = wp.mat22(1.0, 2.0, 3.0, 4.0)
    out = wp.zeros(11, dtype=float, device=device)
    wp.launch(starred_forms, dim=1, inputs=[x, a, m, out], device=device)
    # out[0:5], [6], [7] and [10] are Warp 1.19's values for the same kernel
    expect = [41.0, 14.0, 3.0, 20.0, 20.0, 14.0, 3.0, 0.8, 28.0, 0.5 + 6.0 + 6.0, 10.0]
    np.testing.assert_allclose(out.numpy(), expect, rtol=1e-6)


@wp.func
def square(x: float):
    return x * x


@wp.func
def cube(x: float):
    return x * x * x


FUNCS = (square, cube)
NUMS = (1.0, 2.0, 4.0)
MODE = 2


class Axis(enum.IntEnum):
    X = 0
    Y = 1
    Z = 2


@wp.kernel
def sequence_loops(x: wp.array(dtype=wp.vec3), out: wp.array(dtype=float)):
    v = x[0]
    s = float(0.0)
    for c in v:  # a vector: unrolled, c = v[0], v[1], v[2]
        s += c
    out[0] = s
    k = int(0)
    for e in (1, 2.5, wp.vec2(1.0, 2.0)):  # mixed element types: unrolled
        k += 1
    out[1] = float(k)
    t = (1.0, 2.0, 4.0)
    s = 0.0
    for e in t:
        s += e
    out[2] = s
    s = 0.0
    for e in wp.static([1.0, 2.0, 8.0]):
        s += e
    for e in NUMS:  # a module tuple of constants
        s += 10.0 * e
    out[3] = s
    s = 0.0
    for f in wp.static(FUNCS):
        s += f(2.0)
    out[4] = s
    m = wp.mat22(1.0, 2.0, 3.0, 4.0)
    s = 0.0
    for row in m:  # a matrix: its rows
        s += row[0] * row[1]
    out[5] = s
    s = 0.0
    for c in v:  # 'break'/'continue': a loop over range(3)
        if c == 2.0:
            continue
        if c > 2.5:
            break
        s += c
    out[6] = s + 100.0 * c  # the loop variable keeps its last value
    for i in range(2):
        out[7 + i] = wp.static([square, cube][i])(3.0)
    out[9] = wp.static(FUNCS)[1](2.0)  # a constant index into a static sequence
    if wp.static(MODE in {1, 2}):
        out[10] = 1.0
    if wp.static(MODE in {3, 4}):
        out[10] = 2.0
    out[11] = wp.static(float(sum([i * i for i in range(4)])))
    out[12] = wp.static({"a": 1.5, "b": 2.5}["b"])
    q = wp.quat(1.0, 2.0, 3.0, 4.0)
    s = 0.0
    for c in q:
        s += c
    out[13] = s
    s = 0.0
    for axis in wp.static(list(Axis)):
        s += v[axis]
    out[14] = s
    k = int(15)
    for i in reversed(range(wp.tid() + 3)):  # Warp's reversed(range(...))
        out[k] = float(i)
        k += 1
    for i in reversed(range(5, 1, -2)):
        out[k] = float(i)
        k += 1
    for i in reversed(range(0)):
        out[k] = 99.0


def test_loops_over_sequences_and_static_literals(device):
    x = wp.array([[1.0, 2.0, 3.0]], dtype=wp.vec3, device=device)
    out = wp.zeros(21, dtype=float, device=device)
    wp.launch(sequence_loops, dim=1, inputs=[x, out], device=device)
    expect = [6.0, 3.0, 7.0, 11.0 + 70.0, 4.0 + 8.0, 2.0 + 12.0, 1.0 + 300.0, 9.0, 27.0, 8.0,
              1.0, 14.0, 2.5, 10.0, 6.0, 2.0, 1.0, 0.0, 3.0, 5.0, 0.0]  # [15:20]: Warp's
    np.testing.assert_allclose(out.numpy(), expect)


@wp.kernel
def sequence_grads(x: wp.array(dtype=wp.vec3), y: wp.array(dtype=float)):
    i = wp.tid()
    v = x[i]
    w = wp.vec4(*v, 2.0)
    s = weigh3(*v) * v[0]
    for c in v:
        s += c * c * c
    for row in wp.mat22(v[0], v[1], v[2], 1.0):
        s += row[0] * row[1]
    t = (v[0], v[1] * 2.0)
    for e in t:
        s += e * e
    for c in v:  # a loop over range(3) (it may break)
        if c > 100.0:
            break
        s += wp.sin(c) * c
    for j in reversed(range(i + 3)):  # a run-time bound
        if j < 3:
            s += v[j] * float(j + 1) * s
    y[i] = s + wp.dot(w, w)


def _sequence_grads_forward(x):
    v = x
    s = (v[0] + 2 * v[1] + 3 * v[2]) * v[0] + (v ** 3).sum() + v[0] * v[1] + v[2]
    s += v[0] ** 2 + (2 * v[1]) ** 2 + (np.sin(v) * v).sum()
    for j in (2, 1, 0):
        s += v[j] * (j + 1) * s
    return s + (v ** 2).sum() + 4.0


def test_gradients_through_starred_arguments_and_sequence_loops(device):
    xs = np.array([[0.3, -0.7, 1.1], [1.2, 0.5, -0.4]])
    x = wp.array(xs, dtype=wp.vec3, device=device, requires_grad=True)
    y = wp.zeros(2, dtype=float, device=device, requires_grad=True)
    tape = wp.Tape()
    with tape:
        wp.launch(sequence_grads, dim=2, inputs=[x, y], device=device)
    tape.backward(grads={y: wp.ones(2, dtype=float, device=device)})
    np.testing.assert_allclose(y.numpy(), [_sequence_grads_forward(r) for r in xs], rtol=1e-5)
    eps = 1e-6
    fd = np.zeros_like(xs)
    for i in range(2):
        for j in range(3):
            d = np.zeros(3)
            d[j] = eps
            fd[i, j] = (_sequence_grads_forward(xs[i] + d) -
                        _sequence_grads_forward(xs[i] - d)) / (2 * eps)
    np.testing.assert_allclose(x.grad.numpy(), fd, rtol=1e-4, atol=1e-4)


@wp.kernel
def spread_unknown_length(x: wp.array(dtype=wp.vec3), y: wp.array(dtype=float)):
    i = wp.tid()
    y[i] = weigh3(*doubled(x[i]))  # MARK-spread


def test_starred_argument_of_unknown_length_runs_but_has_no_backward(device):
    x = wp.array([[1.0, 2.0, 3.0]], dtype=wp.vec3, device=device, requires_grad=True)
    y = wp.zeros(1, dtype=float, device=device, requires_grad=True)
    tape = wp.Tape()
    with tape:
        wp.launch(spread_unknown_length, dim=1, inputs=[x, y], device=device)
    assert y.numpy()[0] == pytest.approx(28.0)
    with pytest.raises(wp.WarpCodegenError) as info:
        tape.backward(grads={y: wp.ones(1, dtype=float, device=device)})
    msg = str(info.value)
    assert "starred" in msg and "test_sequences.py" in msg and "MARK-spread" in msg
