"""The adjoint transformer and the tape: control flow, functions, arrays, errors.

Gradients are compared with central differences in float64 (``fd_grad``) or closed forms.
Kernels are module-level so each compiles once per device.
"""

from __future__ import annotations

import numpy as np
import pytest

import numba_warp as wp

F64 = wp.array(dtype=wp.float64)


def run_loss(kernel, dim, arrays, device, scalars=(), before=()):
    """Launch ``kernel(*before, *arrays, *scalars, loss)`` with a tape; return (loss, grads)."""
    xs = [wp.array(a, dtype=wp.float64, device=device, requires_grad=True) for a in arrays]
    loss = wp.zeros(1, dtype=wp.float64, device=device, requires_grad=True)
    tape = wp.Tape()
    with tape:
        wp.launch(kernel, dim=dim, inputs=[*before, *xs, *scalars, loss], device=device)
    tape.backward(loss)
    return loss.numpy()[0], [x.grad.numpy() for x in xs]


def fd_grad(kernel, dim, arrays, device, scalars=(), before=(), eps=1e-6):
    def f(vals):
        ys = [wp.array(v, dtype=wp.float64, device=device) for v in vals]
        loss = wp.zeros(1, dtype=wp.float64, device=device)
        wp.launch(kernel, dim=dim, inputs=[*before, *ys, *scalars, loss], device=device)
        return loss.numpy()[0]

    out = []
    for k, a in enumerate(arrays):
        g = np.zeros_like(a)
        for idx in np.ndindex(a.shape):
            p = [b.copy() for b in arrays]
            m = [b.copy() for b in arrays]
            p[k][idx] += eps
            m[k][idx] -= eps
            g[idx] = (f(p) - f(m)) / (2 * eps)
        out.append(g)
    return out


def check_fd(kernel, dim, arrays, device, scalars=(), before=(), rtol=1e-6, atol=1e-7):
    _, ad = run_loss(kernel, dim, arrays, device, scalars, before)
    fd = fd_grad(kernel, dim, arrays, device, scalars, before)
    for a, f in zip(ad, fd):
        np.testing.assert_allclose(a, f, rtol=rtol * 100, atol=atol * 100)
    return ad


# -- loops ------------------------------------------------------------------------------

@wp.kernel
def product_loop(x: F64, n: int, loss: F64):
    p = wp.float64(1.0)
    for i in range(n):
        p = p * x[i]
    wp.atomic_add(loss, 0, p)


def test_dynamic_loop_product_matches_closed_form(device):
    # Warp's documented failure (its docs, "Dynamic Loops"; NVIDIA/warp#1694)
    x = np.array([2.0, 3.0, 0.5, 4.0, 1.5])
    loss, (g,) = run_loss(product_loop, 1, [x], device, scalars=(5,))
    assert loss == pytest.approx(np.prod(x))
    np.testing.assert_allclose(g, np.prod(x) / x, rtol=1e-12)


def test_dynamic_loop_longer_than_the_checkpoint_stack(device):
    # 200 iterations, stack of 32: states are thinned and recomputed, still exact
    x = 1.0 + 0.01 * np.sin(np.arange(200.0))
    loss, (g,) = run_loss(product_loop, 1, [x], device, scalars=(200,))
    np.testing.assert_allclose(g, np.prod(x) / x, rtol=1e-10)


def test_loop_with_zero_iterations(device):
    x = np.array([2.0, 3.0])
    loss, (g,) = run_loss(product_loop, 1, [x], device, scalars=(0,))
    assert loss == 1.0
    np.testing.assert_array_equal(g, 0.0)


@wp.kernel
def nested_loops(n: int, x: F64, loss: F64):
    # NVIDIA/warp#1293: nested dynamic loops
    s = wp.float64(1.0)
    for i in range(n):
        t = wp.float64(0.0)
        for j in range(i + 1):
            t = t * x[j] + x[i]
        s = s * (1.0 + 0.1 * t)
    loss[0] = s


def test_nested_dynamic_loops(device):
    check_fd(nested_loops, 1, [np.linspace(0.2, 1.1, 6)], device, before=(6,))


@wp.kernel
def value_across_loop(n: int, x: F64, loss: F64):
    # NVIDIA/warp#1694: a value defined before a loop and used after it
    a = x[0] * 2.0
    s = wp.float64(0.0)
    for i in range(n):
        s = s + a * x[i] * x[i]
    loss[0] = s * a + wp.sin(a)


def test_value_defined_before_and_used_after_a_loop(device):
    check_fd(value_across_loop, 1, [np.array([0.7, -0.3, 1.1, 0.4])], device, before=(4,))


@wp.kernel
def while_loop(x: F64, loss: F64):
    p = x[0]
    k = int(0)
    while p < 10.0:
        p = p * x[1] + 0.5
        k += 1
    loss[0] = p + wp.float64(k)


def test_while_loop_with_data_dependent_trip_count(device):
    check_fd(while_loop, 1, [np.array([1.3, 1.7])], device)


@wp.kernel
def break_continue(n: int, x: F64, loss: F64):
    s = wp.float64(0.0)
    for i in range(n):
        if x[i] < 0.0:
            continue
        s = s * x[i] + wp.sin(s + x[i])
        if s > 3.0:
            break
    loss[0] = s


def test_break_and_continue(device):
    check_fd(break_continue, 1, [np.array([0.5, -1.0, 1.2, 0.3, 2.0, 1.5, 0.1])], device,
             before=(7,))


@wp.kernel
def branches(x: F64, loss: F64):
    i = wp.tid()
    a = x[i]
    if a > 0.5:
        b = a * a
        c = b * 3.0
    elif a > 0.2:
        c = wp.exp(a)
    else:
        c = -a
    d = c if a < 0.9 else c * c
    wp.atomic_add(loss, 0, d)


def test_if_elif_else_and_conditional_expression(device):
    check_fd(branches, 4, [np.array([0.1, 0.3, 0.6, 0.95])], device)


@wp.func
def add_into(acc: F64, x: wp.float64):
    wp.atomic_add(acc, 0, x)
    return x


@wp.kernel
def untaken_branches(x: F64, acc: F64, loss: F64):
    i = wp.tid()
    a = x[i]
    y1 = wp.where(a > 0.0, wp.sqrt(a), 0.0 * a)  # sqrt(-1) is NaN, sqrt'(0) infinite
    y2 = wp.select(a > 0.0, -a, wp.log(a))  # select(cond, if false, if true)
    y3 = wp.sqrt(a) if a > 0.0 else 0.0 * a
    y4 = wp.where(a != 0.0, 1.0 / a, 0.0)
    # a branch with an array write keeps Warp's form (both values, the call's rule)
    y5 = wp.where(a > 0.0, a, add_into(acc, a * 3.0))
    unused = wp.sqrt(a)  # read by nothing: no gradient (Warp: NaN at a < 0)  # noqa: F841
    wp.atomic_add(loss, 0, y1 + y2 + y3 + y4 + y5)


def test_values_where_does_not_choose_get_no_gradient(device):
    # Warp gives NaN here (0 * the derivative of the unchosen value); `if` gives 0
    x = np.array([-1.0, 0.0, 4.0])
    xs = wp.array(x, dtype=wp.float64, device=device, requires_grad=True)
    acc = wp.zeros(1, dtype=wp.float64, device=device, requires_grad=True)
    loss = wp.zeros(1, dtype=wp.float64, device=device, requires_grad=True)
    tape = wp.Tape()
    with tape:
        wp.launch(untaken_branches, 3, inputs=[xs, acc, loss], device=device)
    tape.backward(loss)
    # per element: y1 + y2 + y3 + y4 + y5 and the derivative of each
    assert loss.numpy()[0] == pytest.approx((1.0 - 1.0 - 3.0) + 0.0 +
                                            (2.0 + np.log(4.0) + 2.0 + 0.25 + 4.0))
    np.testing.assert_allclose(xs.grad.numpy(), [-1.0 - 1.0 + 3.0, -1.0 + 3.0,
                                                 0.25 + 0.25 + 0.25 - 1.0 / 16.0 + 1.0])


@wp.kernel
def static_loop(x: F64, loss: F64):
    s = wp.float64(0.0)
    for i in range(3):
        for j in range(wp.static(2)):
            s = s * x[j] + x[i] * wp.float64(i + 1)
    loss[0] = s


def test_static_loops(device):
    check_fd(static_loop, 1, [np.array([0.3, -0.8, 1.2])], device)


# -- functions ------------------------------------------------------------------------------

@wp.func
def early_return(x: wp.float64, y: wp.float64):
    if x > y:
        return x * y
    return x + wp.sin(y)


@wp.func
def loop_in_func(x: wp.float64, n: int):
    p = wp.float64(1.0)
    for i in range(n):
        if p > 4.0:
            return p * x
        p = p * x + 0.1
    return p


@wp.kernel
def calls(a: F64, b: F64, loss: F64):
    i = wp.tid()
    wp.atomic_add(loss, 0, early_return(a[i], b[i]) * loop_in_func(a[i], 4))


def test_functions_with_early_returns_and_loops(device):
    check_fd(calls, 3, [np.array([0.5, 2.0, 1.5]), np.array([1.0, 1.0, 3.0])], device)


@wp.func
def safe_sqrt(x: wp.float64):
    return wp.sqrt(x)


@wp.func_grad(safe_sqrt)
def adj_safe_sqrt(x: wp.float64, adj_ret: wp.float64):
    if x > 0.0:
        wp.adjoint[x] += 1.0 / (2.0 * wp.sqrt(x)) * adj_ret


@wp.func
def scaled_root(x: wp.float64, s: wp.float64):
    return s * safe_sqrt(x)


@wp.func_grad(scaled_root)
def adj_scaled_root(x: wp.float64, s: wp.float64, adj_ret: wp.float64):
    # a custom gradient that itself calls a function with a custom gradient
    wp.adjoint[s] += safe_sqrt(x) * adj_ret
    wp.adjoint[x] += s * wp.where(x > 0.0, 0.5 / wp.sqrt(x), wp.float64(0.0)) * adj_ret


@wp.func
def uses_custom(x: wp.float64, s: wp.float64):
    return scaled_root(x, s) + safe_sqrt(x * s)


@wp.kernel
def custom_grads(x: F64, s: F64, loss: F64):
    i = wp.tid()
    wp.atomic_add(loss, 0, uses_custom(x[i], s[i]))


def test_custom_gradients_nest(device):
    x, s = np.array([1.0, 2.0, 0.0]), np.array([2.0, 0.5, 1.5])
    _, (gx, gs) = run_loss(custom_grads, 3, [x, s], device)
    with np.errstate(divide="ignore", invalid="ignore"):
        ex = np.where(x > 0, s * 0.5 / np.sqrt(x) + s * 0.5 / np.sqrt(x * s), 0.0)
        es = np.sqrt(x) + np.where(x * s > 0, x * 0.5 / np.sqrt(x * s), 0.0)
    np.testing.assert_allclose(gx, ex, rtol=1e-12)
    np.testing.assert_allclose(gs, es, rtol=1e-12)


@wp.func
def reversible_increment(buf: wp.array(dtype=int), buf_index: int, value: int,
                         thread_values: wp.array(dtype=int), tid: int):
    next_index = wp.atomic_add(buf, buf_index, value)
    thread_values[tid] = next_index
    return next_index


@wp.func_replay(reversible_increment)
def replay_reversible_increment(buf: wp.array(dtype=int), buf_index: int, value: int,
                                thread_values: wp.array(dtype=int), tid: int):
    return thread_values[tid]


@wp.kernel
def replayed(counter: wp.array(dtype=int), ids: wp.array(dtype=int), x: F64, out: F64):
    tid = wp.tid()
    idx = reversible_increment(counter, 0, 1, ids, tid)
    out[idx] = wp.sqrt(x[idx])


def test_custom_replay(device):
    n = 8
    x = wp.array(np.arange(1.0, n + 1), dtype=wp.float64, device=device, requires_grad=True)
    counter = wp.zeros(1, dtype=int, device=device)
    ids = wp.zeros(n, dtype=int, device=device)
    out = wp.zeros(n, dtype=wp.float64, device=device, requires_grad=True)
    with wp.Tape() as tape:
        wp.launch(replayed, n, inputs=[counter, ids, x], outputs=[out], device=device)
    tape.backward(grads={out: np.ones(n)})
    np.testing.assert_allclose(x.grad.numpy(), 0.5 / np.sqrt(np.arange(1.0, n + 1)))
    assert counter.numpy()[0] == n  # the replay did not run the atomic again


# -- arrays ---------------------------------------------------------------------------------

@wp.kernel
def write_twice(x: F64, y: F64):
    i = wp.tid()
    y[i] = x[i] * 2.0
    y[i] = x[i] * 3.0


@wp.kernel
def inplace_ops(x: F64, y: F64, z: F64):
    i = wp.tid()
    y[i] += x[i] * x[i]
    z[i] -= 2.0 * x[i]


@wp.kernel
def minmax(x: F64, lo: F64, hi: F64):
    i = wp.tid()
    wp.atomic_min(lo, 0, x[i])
    wp.atomic_max(hi, 0, x[i] * x[i])


def test_array_writes_follow_warps_rules(device):
    x = wp.array([1.0, 2.0], dtype=wp.float64, device=device, requires_grad=True)
    y = wp.zeros(2, dtype=wp.float64, device=device, requires_grad=True)
    with wp.Tape() as tape:
        wp.launch(write_twice, 2, inputs=[x], outputs=[y], device=device)
    tape.backward(grads={y: np.ones(2)})
    # the element's gradient is consumed by the last write only
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 3.0])
    np.testing.assert_allclose(y.grad.numpy(), [0.0, 0.0])

    x.grad.zero_()
    y = wp.zeros(2, dtype=wp.float64, device=device, requires_grad=True, retain_grad=True)
    with wp.Tape() as tape:
        wp.launch(write_twice, 2, inputs=[x], outputs=[y], device=device)
    tape.backward(grads={y: np.ones(2)})
    np.testing.assert_allclose(x.grad.numpy(), [5.0, 5.0])  # retain_grad: both writes count
    np.testing.assert_allclose(y.grad.numpy(), [1.0, 1.0])


def test_inplace_add_sub_and_atomic_min_max(device):
    xv = np.array([1.5, -2.0, 0.5])
    x = wp.array(xv, dtype=wp.float64, device=device, requires_grad=True)
    y = wp.zeros(3, dtype=wp.float64, device=device, requires_grad=True)
    z = wp.zeros(3, dtype=wp.float64, device=device, requires_grad=True)
    with wp.Tape() as tape:
        wp.launch(inplace_ops, 3, inputs=[x, y, z], device=device)
    tape.backward(grads={y: np.ones(3), z: np.full(3, 0.5)})
    np.testing.assert_allclose(x.grad.numpy(), 2 * xv - 1.0)

    x.grad.zero_()
    lo = wp.array([10.0], dtype=wp.float64, device=device, requires_grad=True)
    hi = wp.array([-10.0], dtype=wp.float64, device=device, requires_grad=True)
    with wp.Tape() as tape:
        wp.launch(minmax, 3, inputs=[x, lo, hi], device=device)
    tape.backward(grads={lo: [1.0], hi: [1.0]})
    # min is x[1] = -2 (gradient 1); max of x^2 is 4 at x[1] (gradient 2 x = -4)
    np.testing.assert_allclose(x.grad.numpy(), [0.0, -3.0, 0.0])


@wp.struct
class Body:
    scale: wp.float64
    pts: wp.array(dtype=wp.vec3d)


@wp.kernel
def struct_and_vectors(b: Body, w: wp.array(dtype=wp.vec3d), loss: F64):
    i = wp.tid()
    p = b.pts[i] * b.scale
    v = wp.vec3d(p[0] * p[1], p.z, p[2] - p.x)
    v[1] = v[1] * 2.0
    wp.atomic_add(loss, 0, v[0] * w[i][0] + v[1] * w[i].y + v.z * w[i][2])


def test_structs_and_vector_components(device):
    rng = np.random.default_rng(3)
    pts, wv = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    b = Body()
    b.scale = 1.5
    b.pts = wp.array(pts, dtype=wp.vec3d, device=device, requires_grad=True)
    w = wp.array(wv, dtype=wp.vec3d, device=device, requires_grad=True)
    loss = wp.zeros(1, dtype=wp.float64, device=device, requires_grad=True)
    with wp.Tape() as tape:
        wp.launch(struct_and_vectors, 4, inputs=[b, w, loss], device=device)
    tape.backward(loss)
    s = 1.5
    P = pts * s
    gP = np.stack([wv[:, 0] * P[:, 1] - wv[:, 2], wv[:, 0] * P[:, 0],
                   2 * wv[:, 1] + wv[:, 2]], 1)
    np.testing.assert_allclose(b.pts.grad.numpy(), gP * s, rtol=1e-12)
    gw = np.stack([P[:, 0] * P[:, 1], 2 * P[:, 2], P[:, 2] - P[:, 0]], 1)
    np.testing.assert_allclose(w.grad.numpy(), gw, rtol=1e-12)


# -- tape -----------------------------------------------------------------------------------

@wp.kernel
def square(x: F64, y: F64):
    i = wp.tid()
    y[i] = x[i] * x[i]


@wp.kernel
def overwrite(z: F64, x: F64):
    i = wp.tid()
    x[i] = z[i]


@wp.kernel
def total(x: F64, loss: F64):
    i = wp.tid()
    wp.atomic_add(loss, 0, x[i])


@wp.kernel
def read_then_write(a: F64, b: F64):
    i = wp.tid()
    b[i] = a[i] * a[i]
    a[i] = 1.0


def test_overwritten_input_raises_naming_array_and_kernels(device):
    a = wp.array([1.0, 2.0, 3.0], dtype=wp.float64, device=device, requires_grad=True)
    b = wp.zeros_like(a)
    c = wp.array([-1.0, -2.0, -3.0], dtype=wp.float64, device=device, requires_grad=True)
    loss = wp.zeros(1, dtype=wp.float64, device=device, requires_grad=True)
    tape = wp.Tape()
    with tape:
        wp.launch(square, 3, inputs=[a], outputs=[b], device=device)
        wp.launch(overwrite, 3, inputs=[c], outputs=[a], device=device)
        wp.launch(total, 3, inputs=[b, loss], device=device)
    with pytest.raises(RuntimeError, match=r"'x' to kernel '.*square'.*overwritten by "
                                           r"'.*overwrite'"):
        tape.backward(loss)

    a2 = wp.array([1.0, 2.0, 3.0], dtype=wp.float64, device=device, requires_grad=True)
    b2 = wp.zeros_like(a2)
    loss2 = wp.zeros(1, dtype=wp.float64, device=device, requires_grad=True)
    tape = wp.Tape()
    with tape:
        wp.launch(read_then_write, 3, inputs=[a2, b2], device=device)
        wp.launch(total, 3, inputs=[b2, loss2], device=device)
    with pytest.raises(RuntimeError, match="same launch of '.*read_then_write'"):
        tape.backward(loss2)


def test_overwrite_after_recording_and_python_writes_are_detected(device):
    a = wp.array([1.0, 2.0], dtype=wp.float64, device=device, requires_grad=True)
    b = wp.zeros_like(a)
    loss = wp.zeros(1, dtype=wp.float64, device=device, requires_grad=True)
    tape = wp.Tape()
    with tape:
        wp.launch(square, 2, inputs=[a], outputs=[b], device=device)
        wp.launch(total, 2, inputs=[b, loss], device=device)
    a.fill_(5.0)  # outside the tape, before backward
    with pytest.raises(RuntimeError, match="fill_"):
        tape.backward(loss)


def test_writes_through_other_arrays_over_the_same_memory_are_detected(device):
    # the write counter follows the memory, not the Python object
    for alias_first in (False, True):
        a = wp.array([1.0, 2.0, 3.0], dtype=wp.float64, device=device, requires_grad=True)
        alias = wp.array(ptr=a.ptr + 8, shape=(2,), dtype=wp.float64, device=device)
        if alias_first:
            assert alias.version == a.version
        b = wp.zeros_like(a)
        loss = wp.zeros(1, dtype=wp.float64, device=device, requires_grad=True)
        tape = wp.Tape()
        with tape:
            wp.launch(square, 3, inputs=[a], outputs=[b], device=device)
            wp.launch(total, 3, inputs=[b, loss], device=device)
        wp.launch(overwrite, 2, inputs=[b], outputs=[alias], device=device)
        with pytest.raises(RuntimeError, match=r"'x' to kernel '.*square'.*overwritten by "
                                               r"'.*overwrite'"):
            tape.backward(loss)
    # separate arrays (maybe next to each other in memory) are not aliases
    c, d = (wp.zeros(2, dtype=wp.float64, device=device) for _ in range(2))
    before = d.version
    c.fill_(1.0)
    assert d.version == before
    if device == "cpu":
        host = np.zeros(3)
        e = wp.array(host, dtype=wp.float64, copy=False, device="cpu")
        f = wp.array(host, dtype=wp.float64, copy=False, device="cpu")
        e.fill_(1.0)
        assert f.version == e.version


def test_tape_api(device, tmp_path):
    x = wp.array([1.0, 2.0, 3.0], dtype=wp.float64, device=device, requires_grad=True)
    y = wp.zeros_like(x, requires_grad=True)
    loss = wp.zeros(1, dtype=wp.float64, device=device, requires_grad=True)
    tape = wp.Tape()
    with tape:
        wp.launch(square, 3, inputs=[x], outputs=[y], device=device)
        wp.launch(total, 3, inputs=[y, loss], device=device)
    calls = []
    tape.record_func(lambda: calls.append(1), [x])
    tape.backward(loss)
    assert calls == [1]
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0, 6.0])
    assert tape.gradients[x] is x.grad
    tape.zero()
    np.testing.assert_array_equal(x.grad.numpy(), 0.0)
    dot = tape.visualize(str(tmp_path / "tape.dot"), array_labels={x: "x"})
    assert dot.startswith("digraph") and "square" in dot and '"x"' in dot
    assert (tmp_path / "tape.dot").read_text() == dot
    tape.reset()
    with pytest.raises(RuntimeError, match="nothing was recorded"):
        tape.backward(loss)


def test_backward_rejects_bad_losses(device):
    x = wp.array([1.0, 2.0], dtype=wp.float64, device=device, requires_grad=True)
    y = wp.zeros_like(x, requires_grad=True)
    tape = wp.Tape()
    with tape:
        wp.launch(square, 2, inputs=[x], outputs=[y], device=device)
    with pytest.raises(ValueError, match="single-element loss"):
        tape.backward(y)
    nograd = wp.zeros(1, dtype=wp.float64, device=device)
    with pytest.raises(ValueError, match="requires_grad=True"):
        tape.backward(nograd)
    with pytest.raises(RuntimeError, match="already recording"):
        with tape:
            with wp.Tape():
                pass


def test_manual_adjoint_launch(device):
    x = wp.array([1.0, 2.0, 3.0], dtype=wp.float64, device=device)
    y = wp.zeros_like(x)
    gx = wp.zeros_like(x)
    gy = wp.array([1.0, 1.0, 1.0], dtype=wp.float64, device=device)
    wp.launch(square, 3, inputs=[x], outputs=[y], adj_inputs=[gx], adj_outputs=[gy],
              adjoint=True, device=device)
    np.testing.assert_allclose(gx.numpy(), [2.0, 4.0, 6.0])
    # as under a tape (Warp leaves explicit output gradients as they were, and passes
    # them on once per write: 5 below)
    np.testing.assert_array_equal(gy.numpy(), [0.0, 0.0, 0.0])
    gx.zero_()
    gy.fill_(1.0)
    wp.launch(write_twice, 3, inputs=[x], outputs=[y], adj_inputs=[gx], adj_outputs=[gy],
              adjoint=True, device=device)
    np.testing.assert_array_equal(gx.numpy(), [3.0, 3.0, 3.0])


def test_manual_adjoint_launch_none_is_the_arrays_grad(device):
    # as in Warp (checked against warp-lang 1.19): None in adj_inputs, or a gradient
    # left out, is the array's own .grad; an empty array is no gradient at all
    x = wp.array([1.0, 2.0, 3.0], dtype=wp.float64, device=device, requires_grad=True)
    y = wp.zeros_like(x, requires_grad=True)
    gy = wp.array([1.0, 1.0, 1.0], dtype=wp.float64, device=device)
    wp.launch(square, 3, inputs=[x], outputs=[y], adj_inputs=[None], adj_outputs=[gy],
              adjoint=True, device=device)
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0, 6.0])
    y.grad.fill_(1.0)
    wp.launch(square, 3, inputs=[x], outputs=[y], adjoint=True, device=device)
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 8.0, 12.0])
    gy.fill_(1.0)
    none = wp.empty(0, dtype=wp.float64, device=device)
    wp.launch(square, 3, inputs=[x], outputs=[y], adj_inputs=[none], adj_outputs=[gy],
              adjoint=True, device=device)
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 8.0, 12.0])


def test_copies_are_differentiable(device):
    x = wp.array([1.0, 2.0, 3.0], dtype=wp.float64, device=device, requires_grad=True)
    y = wp.zeros_like(x, requires_grad=True)
    z = wp.zeros_like(x, requires_grad=True)
    with wp.Tape() as tape:
        wp.launch(square, 3, inputs=[x], outputs=[y], device=device)
        wp.copy(z, y)
        w = wp.clone(z, requires_grad=True)
        u = wp.zeros_like(x, requires_grad=True)
        u.assign(w)
    tape.backward(grads={u: np.ones(3)})
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0, 6.0])


def test_copy_adjoints_follow_the_copied_ranges(device):
    # Warp's test_copy.py: sub-range copies between contiguous and strided 1-D arrays
    n, src_offset, dest_offset, count = 6, 1, 3, 2
    seed = np.arange(10.0, 10.0 + n)
    for strided in (False, True):
        src = wp.array(np.arange(2.0 * n), dtype=wp.float64, device=device,
                       requires_grad=True)[::2 if strided else 1][:n]
        dst = wp.zeros(2 * n, dtype=wp.float64, device=device,
                       requires_grad=True)[::2 if strided else 1][:n]
        with wp.Tape() as tape:
            wp.copy(dst, src, dest_offset=dest_offset, src_offset=src_offset, count=count)
        np.testing.assert_array_equal(dst.numpy(), [0, 0, 0, 2 if strided else 1, 4 if
                                                    strided else 2, 0])
        tape.backward(grads={dst: seed})
        expect = np.zeros(n)
        expect[src_offset:src_offset + count] = seed[dest_offset:dest_offset + count]
        np.testing.assert_array_equal(src.grad.numpy(), expect)
        consumed = seed.copy()
        consumed[dest_offset:dest_offset + count] = 0.0  # the copy overwrote them
        np.testing.assert_array_equal(dst.grad.numpy(), consumed)


def test_backward_without_seeds_uses_the_gradients_already_set(device):
    # Warp's pattern: set the output gradient, then tape.backward() with no arguments
    src = wp.array([1.0, 2.0, 3.0], dtype=wp.float64, device=device, requires_grad=True)
    dst = wp.zeros(3, dtype=wp.float64, device=device, requires_grad=True, retain_grad=True)
    with wp.Tape() as tape:
        wp.copy(dst, src)
    dst.grad = wp.full(3, 2.0, dtype=wp.float64, device=device)  # a new array: read late
    tape.backward()
    np.testing.assert_array_equal(src.grad.numpy(), [2.0, 2.0, 2.0])
    np.testing.assert_array_equal(dst.grad.numpy(), [2.0, 2.0, 2.0])  # retain_grad


def test_reshaped_flattened_and_transposed_views_share_the_gradient(device):
    # as in Warp: the view's .grad is the same view of the array's gradient
    x = wp.array(np.arange(6.0).reshape(2, 3), dtype=wp.float64, device=device,
                 requires_grad=True)
    y = wp.zeros(6, dtype=wp.float64, device=device, requires_grad=True)
    t = wp.zeros((3, 2), dtype=wp.float64, device=device, requires_grad=True)
    with wp.Tape() as tape:
        wp.launch(square, 6, inputs=[x.flatten()], outputs=[y], device=device)
        wp.copy(t, x.transpose())
    y.reshape((3, 2)).grad.fill_(1.0)
    t.grad.assign(np.arange(6.0).reshape(3, 2))
    tape.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2.0 * np.arange(6.0).reshape(2, 3) +
                               np.arange(6.0).reshape(3, 2).T)


@wp.kernel
def tuple_aliases(a: F64, b: F64, loss: F64):
    i = wp.tid()
    r, s = a, b
    pair = (r, s)
    u, v = pair
    x, y = a[i] * 2.0, b[i]
    x, y = y, x  # every value is read before any is bound
    u, v = v, u
    wp.atomic_add(loss, 0, u[i] * v[i] * x + y)


def test_arrays_unpacked_from_tuples_keep_their_gradients(device):
    a, b = np.array([1.0, 2.0]), np.array([3.0, -1.0])
    loss, (ga, gb) = run_loss(tuple_aliases, 2, [a, b], device)
    np.testing.assert_allclose(loss, np.sum(a * b * b + 2 * a))
    np.testing.assert_allclose(ga, b * b + 2)
    np.testing.assert_allclose(gb, 2 * a * b)


@wp.kernel(enable_backward=False)
def no_backward(x: F64, y: F64):
    i = wp.tid()
    y[i] = x[i] * 2.0


def test_enable_backward_false(device):
    x = wp.array([1.0], dtype=wp.float64, device=device, requires_grad=True)
    y = wp.zeros_like(x, requires_grad=True)
    with wp.Tape() as tape:
        wp.launch(no_backward, 1, inputs=[x], outputs=[y], device=device)
    with pytest.warns(UserWarning, match="enable_backward=False"):
        tape.backward(grads={y: [1.0]})
    assert x.grad.numpy()[0] == 0.0
    with pytest.raises(wp.WarpCodegenError, match="enable_backward=False"):
        no_backward.adjoint_source


# -- generated source and errors ---------------------------------------------------------

def test_adjoint_source_is_readable():
    src = product_loop.adjoint_source
    assert "def product_loop_bwd_body(" in src
    assert "adj_p" in src and "stack" in src
    assert __file__.replace(".pyc", ".py") in src or "test_autodiff.py" in src


def test_reading_a_loop_variable_before_assignment_is_a_compile_error():
    @wp.kernel
    def carried_from_nowhere(x: F64, n: int, loss: F64):
        for i in range(n):
            if i > 0:
                loss[0] = prev * 2.0  # noqa: F821 - the point of the test
            prev = x[i]

    with pytest.raises(wp.WarpCodegenError, match="'prev' is read in a loop before it is "
                                                  "assigned") as info:
        carried_from_nowhere.adjoint_source
    assert "test_autodiff.py" in str(info.value)


# -- autograd utilities ---------------------------------------------------------------------

@wp.kernel
def two_outputs(a: F64, b: wp.array(dtype=wp.vec3d), out1: F64, out2: wp.array(dtype=wp.vec3d)):
    i = wp.tid()
    bi = b[i]
    out1[i] = a[i] * bi[0] * bi[1] + wp.sin(bi[2])
    out2[i] = wp.vec3d(a[i] * a[i], bi[0] - bi[2], a[i] * bi[1])


def test_gradcheck_and_jacobians(device):
    a = wp.array([0.5, -1.0], dtype=wp.float64, device=device, requires_grad=True)
    b = wp.array([[0.3, 1.0, 2.0], [-0.4, -1.0, 0.1]], dtype=wp.vec3d, device=device,
                 requires_grad=True)
    o1 = wp.zeros(2, dtype=wp.float64, device=device, requires_grad=True)
    o2 = wp.zeros(2, dtype=wp.vec3d, device=device, requires_grad=True)
    assert wp.autograd.gradcheck(two_outputs, 2, [a, b], [o1, o2], eps=1e-6, atol=1e-6,
                                 rtol=1e-5, show_summary=False)
    jac = wp.autograd.jacobian(two_outputs, 2, [a, b], [o1, o2])
    jfd = wp.autograd.jacobian_fd(two_outputs, 2, [a, b], [o1, o2], eps=1e-6)
    assert set(jac) == {(0, 0), (0, 1), (1, 0), (1, 1)}
    assert jac[(1, 1)].shape == (6, 6)
    for k in jac:
        np.testing.assert_allclose(jac[k].numpy(), jfd[k].numpy(), atol=1e-6)
    sub = wp.autograd.jacobian(two_outputs, 2, [a, b], [o1, o2],
                               input_output_mask=[("a", "out1")], max_outputs_per_var=1)
    assert list(sub) == [(0, 0)] and np.isnan(sub[(0, 0)].numpy()[1]).all()
    with wp.Tape() as tape:
        wp.launch(two_outputs, 2, inputs=[a, b], outputs=[o1, o2], device=device)
    assert wp.autograd.gradcheck_tape(tape, eps=1e-6, atol=1e-6, rtol=1e-5,
                                      show_summary=False)


@wp.func
def wrong(x: wp.float64):
    return x * x


@wp.func_grad(wrong)
def adj_wrong(x: wp.float64, adj_ret: wp.float64):
    wp.adjoint[x] += 3.0 * x * adj_ret  # should be 2 x


@wp.kernel
def uses_wrong(x: F64, y: F64):
    i = wp.tid()
    y[i] = wrong(x[i])


def test_gradcheck_reports_a_wrong_gradient(device, capsys):
    x = wp.array([1.0, 2.0], dtype=wp.float64, device=device, requires_grad=True)
    y = wp.zeros_like(x, requires_grad=True)
    assert not wp.autograd.gradcheck(uses_wrong, 2, [x], [y], raise_exception=False)
    assert "FAIL" in capsys.readouterr().out
    with pytest.raises(ValueError, match="gradient check"):
        wp.autograd.gradcheck(uses_wrong, 2, [x], [y], show_summary=False)


@wp.kernel
def two_reads(a: F64, b: F64, loss: F64):
    i = wp.tid()
    wp.atomic_add(loss, 0, a[i] * b[i])


def test_the_same_array_passed_twice(device):
    x = wp.array([1.0, -2.0, 3.0], dtype=wp.float64, device=device, requires_grad=True)
    loss = wp.zeros(1, dtype=wp.float64, device=device, requires_grad=True)
    with wp.Tape() as tape:
        wp.launch(two_reads, 3, inputs=[x, x, loss], device=device)
    tape.backward(loss)
    np.testing.assert_allclose(x.grad.numpy(), [2.0, -4.0, 6.0])


@wp.kernel
def running_sum(n: int, x: F64, loss: F64):
    s = wp.float64(0.0)
    for i in range(n):
        s = s + x[i] * x[i]
    loss[0] = s


def test_only_values_the_reverse_pass_reads_are_checkpointed(device):
    # a running sum's adjoint never reads the sum: no stack; a product's does
    assert "stack_alloc(" not in running_sum.adjoint.source
    assert "stack_alloc(" in product_loop.adjoint.source
    check_fd(running_sum, 1, [np.array([0.5, -1.5, 2.0])], device, before=(3,))


def test_module_options_disable_backward():
    import types

    mod = types.ModuleType("wp_module_options_test")
    wp.set_module_options({"enable_backward": False}, mod)
    assert wp.get_module_options(mod)["enable_backward"] is False  # (Warp's full dict)

    @wp.kernel(module=mod.__name__)
    def k(x: F64):
        x[0] = 1.0

    assert not k.enable_backward
    wp.set_module_options({"enable_backward": True}, mod)
    assert k.enable_backward


@wp.struct
class Outputs:
    a: F64
    b: F64


@wp.kernel
def write_struct_arrays(s: Outputs, x: F64):
    i = wp.tid()
    s.a[i] = x[i] * 3.0
    s.b[i] += x[i] * x[i]
    s.b[i] -= x[i]


def test_writes_to_arrays_in_struct_parameters(device):
    s = Outputs()
    s.a = wp.zeros(3, dtype=wp.float64, device=device, requires_grad=True)
    s.b = wp.zeros(3, dtype=wp.float64, device=device, requires_grad=True)
    x = wp.array([1.0, 2.0, 3.0], dtype=wp.float64, device=device, requires_grad=True)
    with wp.Tape() as tape:
        wp.launch(write_struct_arrays, 3, inputs=[s, x], device=device)
    tape.backward(grads={s.a: np.ones(3), s.b: np.ones(3)})
    np.testing.assert_allclose(x.grad.numpy(), 3.0 + 2.0 * np.array([1.0, 2.0, 3.0]) - 1.0)
