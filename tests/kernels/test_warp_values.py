"""Values that must be NVIDIA Warp's: the expected numbers here were produced by running
the same programs under Warp 1.19 (CPU), and are stored so the tests need no Warp."""

import math

import aux_user_operators as uo  # tests/kernels is on sys.path (pytest rootdir rules)
import numpy as np
import pytest

import numba_warp as wp

PI = 3.141592653589793
CPI = wp.constant(3.141592653589793)
NAN = float("nan")


@wp.func
def vec_of(x: wp.float64):
    return wp.vec3d(x, -0.1, -PI)


@wp.kernel
def float64_constants(out: wp.array(dtype=wp.float64)):
    v = wp.vec3d(-PI, -CPI, -(3.141592653589793))
    out[0] = v[0]
    out[1] = v[1]
    out[2] = v[2]
    out[3] = wp.quatd(-0.1, 0.2, -0.3, 0.4)[0]
    out[4] = wp.mat22d(-0.1, 0.2, -0.3, 0.4)[0, 0]
    out[5] = wp.float64(-PI)
    w = vec_of(wp.float64(1.0))
    out[6] = w[1]
    out[7] = w[2]
    out[8] = wp.spatial_vectord(-0.1, 0.0, 0.0, 0.0, 0.0, 0.0)[0]
    out[9] = wp.float64(+PI)


def test_negated_constants_keep_float64_digits(device):
    out = wp.zeros(10, dtype=wp.float64, device=device)
    wp.launch(float64_constants, 1, [out], device=device)
    assert out.numpy().tolist() == [-PI, -PI, -PI, -0.1, -0.1, -PI, -0.1, -PI, -0.1, PI]


@wp.kernel
def min_max_clamp(x: wp.array(dtype=float), a: wp.array(dtype=float),
                  b: wp.array(dtype=float), out: wp.array(dtype=float)):
    i = wp.tid()
    out[i] = wp.min(x[i], a[i]) * 2.0 + wp.max(x[i], b[i]) * 3.0 + \
        wp.clamp(x[i], a[i], b[i]) * 5.0


@wp.kernel
def vec_min_max(x: wp.array(dtype=wp.vec3), y: wp.array(dtype=wp.vec3),
                out: wp.array(dtype=float), pair: wp.array(dtype=wp.vec3)):
    i = wp.tid()
    out[i] = wp.min(x[i]) * 2.0 + wp.max(x[i]) * 3.0
    pair[i] = wp.min(x[i], y[i]) + wp.max(x[i], y[i]) * 10.0


def test_min_max_clamp_nan_and_tie_rules_match_warp(device):
    # NaN loses to a number (C's fmin/fmax), clamp is min(max(a, x), b), and the
    # gradient goes where Warp sends it (ties: the second operand)
    X = [0.5, NAN, 0.0, 1.0, 2.0, -1.0, 0.5, NAN, 0.3]
    A = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, NAN, 0.1, 1.0]
    B = [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, NAN, 0.2]
    x, a, b = (wp.array(v, dtype=float, device=device, requires_grad=True) for v in (X, A, B))
    out = wp.zeros(9, dtype=float, device=device, requires_grad=True)
    tape = wp.Tape()
    with tape:
        wp.launch(min_max_clamp, 9, [x, a, b, out], device=device)
    tape.backward(grads={out: wp.ones(9, dtype=float, device=device)})
    np.testing.assert_array_equal(out.numpy(), [5.5, 3, 3, 8, 11, 1, 6.5, NAN, 2.5])
    np.testing.assert_array_equal(x.grad.numpy(), [5, 0, 5, 0, 3, 2, 7, 0, 5])
    np.testing.assert_array_equal(a.grad.numpy(), [2, 7, 2, 2, 2, 5, 0, 7, 0])
    np.testing.assert_array_equal(b.grad.numpy(), [3, 3, 3, 8, 5, 3, 3, 3, 5])

    V = [[1.0, NAN, 1.0], [NAN, 2.0, -1.0], [3.0, 3.0, 0.0], [NAN, NAN, NAN]]
    W = [[NAN, 0.0, 2.0], [1.0, NAN, -1.0], [NAN, NAN, 1.0], [0.0, NAN, NAN]]
    xv = wp.array(V, dtype=wp.vec3, device=device, requires_grad=True)
    yv = wp.array(W, dtype=wp.vec3, device=device)
    o = wp.zeros(4, dtype=float, device=device, requires_grad=True)
    pair = wp.zeros(4, dtype=wp.vec3, device=device)
    tape = wp.Tape()
    with tape:
        wp.launch(vec_min_max, 4, [xv, yv, o, pair], device=device)
    tape.backward(grads={o: wp.ones(4, dtype=float, device=device)})
    np.testing.assert_array_equal(o.numpy(), [5, 4, 9, NAN])
    np.testing.assert_array_equal(xv.grad.numpy(), [[5, 0, 0], [0, 3, 2], [3, 0, 2], [5, 0, 0]])
    np.testing.assert_array_equal(pair.numpy(), [[11, 0, 21], [11, 22, -11], [33, 33, 10],
                                                 [0, NAN, NAN]])


def test_python_scope_min_max_clamp_follow_the_same_rules():
    assert wp.min(-1.0, NAN) == -1.0 and wp.min(NAN, -1.0) == -1.0
    assert wp.max(NAN, 2.0) == 2.0 and wp.max(2.0, NAN) == 2.0
    assert wp.clamp(NAN, 0.0, 1.0) == 0.0 and wp.clamp(0.5, 2.0, 1.0) == 1.0
    assert list(wp.min(wp.vec3(1.0, NAN, 2.0), wp.vec3(NAN, 1.0, 3.0))) == [1.0, 1.0, 2.0]
    assert wp.min(wp.vec3(NAN, 5.0, 2.0)) == 2.0 and wp.max(wp.vec3(NAN, 5.0, 2.0)) == 5.0
    assert math.isnan(wp.min(NAN, NAN))


_global_idx = 999
_global_j = 888


@wp.func
def one() -> int:
    return 1


@wp.func
def two() -> int:
    return 2


_funcs = [one, two]


@wp.kernel
def static_loop_variables(r: wp.array(dtype=int)):
    for _global_idx in range(3):  # a global of the same name must not shadow the loop
        r[_global_idx] = wp.static(_global_idx * 2 + 1)
    for _global_idx in range(2):
        for _global_j in range(2):
            k = _global_idx * 2 + _global_j
            r[3 + k] = wp.static(_global_idx * 10 + _global_j)
    k = 7
    for _global_idx in range(2):
        for _global_idx in range(3):
            pass
        r[k] = wp.static(_global_idx)
        k += 1
    for i in range(wp.static(len(_funcs))):
        r[9 + i] = wp.static(_funcs[i])()
    s = 0
    for f in wp.static(_funcs):  # a loop over a sequence, unrolled
        s += f()
    r[11] = s
    for i in range(2):
        i = i + 5
        r[12] = i
    r[13] = _global_idx


def test_static_reads_the_loop_variable_not_a_global(device):
    r = wp.zeros(14, dtype=int, device=device)
    wp.launch(static_loop_variables, 1, [r], device=device)
    assert r.numpy().tolist() == [1, 3, 5, 0, 1, 10, 11, 2, 2, 1, 2, 3, 6, 2]


def test_unrolled_loop_errors_name_the_line():
    n = 3

    def unroll_with_break(r: wp.array(dtype=int)):
        for i in range(3):
            if r[0] > 0:
                break
            r[i] = wp.static(i)

    def unroll_dynamic(r: wp.array(dtype=int), m: int):
        for i in range(m):
            r[i] = wp.static(i * n)

    for fn, what in ((unroll_with_break, "'break' in a loop that is unrolled"),
                     (unroll_dynamic, "range is not known when the kernel is built")):
        with pytest.raises(wp.WarpCodegenError, match=what) as info:
            wp.launch(wp.kernel(fn), 1, [wp.zeros(3, dtype=int)], device="cpu") \
                if fn is unroll_with_break else \
                wp.launch(wp.kernel(fn), 1, [wp.zeros(3, dtype=int), 3], device="cpu")
        assert "test_warp_values.py" in str(info.value)


def test_user_operator_overloads_and_augmented_assignment(device):
    x = wp.array([1.0, 2.0, 3.0], dtype=float, device=device, requires_grad=True)
    y = wp.zeros(3, dtype=float, device=device, requires_grad=True)
    v = wp.full(3, wp.vec3(1.0, 1.0, 1.0), dtype=wp.vec3, device=device)
    w = wp.zeros(3, dtype=wp.vec3, device=device)
    cx = wp.zeros(3, dtype=uo.Complex, device=device)
    tape = wp.Tape()
    with tape:
        wp.launch(uo.operators, 3, [x, y, v, cx, w], device=device)
    assert y.numpy().tolist() == [8.0, 14.0, 24.0]
    assert v.numpy().tolist() == [[0, -1, -2], [-1, -1, -2], [-2, -1, -2]]
    assert w.numpy().tolist() == [[1, 2, 3], [4, 4, 6], [9, 6, 9]]
    assert [tuple(c) for c in cx.numpy().tolist()] == [(3, 7), (5, 13), (7, 23)]
    tape.backward(grads={y: wp.ones(3, dtype=float, device=device)})
    assert x.grad.numpy().tolist() == [4.0, 8.0, 12.0]  # d(2 x^2)/dx


def test_augmented_assignment_evaluates_target_then_value_once(device):
    out = wp.full(3, 2.0, dtype=float, device=device)
    log = wp.zeros(1, dtype=int, device=device)
    wp.launch(uo.evaluation_order, 1, [out, log], device=device)
    assert log.numpy().tolist() == [1203]  # index 1, value 2, index 0, value 3: once each
    assert out.numpy().tolist() == [5.0, 8.0, 2.0]


# (data shape, dtype) -> the array shape Warp 1.19 gives, or None where it refuses
_SHAPES = [((4,), wp.quat, (1,)), ((3,), wp.vec3, (1,)), ((9,), wp.mat33, (1,)),
           ((12,), wp.vec3, (4,)), ((2, 6), wp.vec3, (2, 2)), ((3, 3), wp.vec3, (3,)),
           ((2, 9), wp.mat33, (2,)), ((3, 3), wp.mat33, (1,)), ((2, 3, 3), wp.mat33, (2,)),
           ((18,), wp.mat33, (2,)), ((8,), wp.quat, (2,)), ((2, 4, 3), wp.vec3, (2, 4)),
           ((7,), wp.transform, (1,)), ((2, 2), wp.mat22, (1,)), ((4, 3), wp.quat, None),
           ((2, 2), wp.quat, None), ((5,), wp.vec3, None), ((6,), wp.mat22, None)]


@pytest.mark.parametrize("data_shape,dtype,expected", _SHAPES)
def test_array_from_flat_data_has_warps_shape(data_shape, dtype, expected):
    data = np.arange(np.prod(data_shape), dtype=np.float32).reshape(data_shape)
    if expected is None:
        with pytest.raises(ValueError, match="element"):
            wp.array(data, dtype=dtype)
        return
    a = wp.array(data, dtype=dtype)
    assert a.shape == expected
    assert a.numpy().ravel().tolist() == data.ravel().tolist()


def test_python_scope_bit_count_and_str_use_the_type():
    assert wp.bit_count(wp.int8(-1)) == 8
    assert wp.bit_count(wp.int16(-1)) == 16
    assert wp.bit_count(wp.uint8(255)) == 8
    assert wp.bit_count(wp.int64(-1)) == 64
    assert wp.bit_count(-1) == 32  # a Python int is an int32, as in Warp
    assert str(wp.float32(0.1)) == "0.1" and str(wp.float64(-1.5)) == "-1.5"
    assert str(wp.int8(3)) == "3"


@wp.kernel
def nan_through_clamped_math(x: wp.array(dtype=float), out: wp.array(dtype=float)):
    out[0] = wp.acos(x[0])
    out[1] = wp.asin(x[0])
    out[2] = wp.smoothstep(0.0, 1.0, x[0])


def test_nan_is_not_clamped_into_a_number(device):
    # deliberate difference: Warp's acos(nan) is pi (its clamp drops the NaN)
    out = wp.zeros(3, dtype=float, device=device)
    wp.launch(nan_through_clamped_math, 1, [wp.array([NAN], dtype=float, device=device), out],
              device=device)
    assert np.isnan(out.numpy()).all()


@wp.struct
class Body:
    a: float
    v: wp.vec3
    n: int


@wp.kernel
def component_updates(x: wp.array(dtype=float), v: wp.array(dtype=wp.vec3),
                      m: wp.array(dtype=wp.mat22), s: wp.array(dtype=Body),
                      a2: wp.array2d(dtype=float)):
    i = wp.tid()
    j = i % 3
    v[0].x += x[j] * 2.0
    v[0][1] -= x[j] * x[j]
    m[0][1, 1] += x[j]
    m[0][0][1] -= 3.0 * x[j]
    s[0].a += x[j]
    s[0].v[2] += 4.0 * x[j]
    s[0].n += 1
    a2[1][j] += x[j] * 5.0


@wp.kernel
def component_loss(v: wp.array(dtype=wp.vec3), m: wp.array(dtype=wp.mat22),
                   s: wp.array(dtype=Body), a2: wp.array2d(dtype=float),
                   out: wp.array(dtype=float)):
    out[0] = v[0].x + 10.0 * v[0].y + 100.0 * m[0][1, 1] + 1000.0 * m[0][0, 1] + \
        s[0].a * 7.0 + s[0].v[2] * 9.0 + a2[1, 0] * 11.0 + a2[1, 2] * 13.0


@wp.kernel
def half_updates(h: wp.array(dtype=wp.vec3h), a: wp.array(dtype=wp.float16),
                 x: wp.array(dtype=wp.float16)):
    i = wp.tid()
    h[0].x += x[i % 4]
    a[0] += wp.float16(0.5)
    wp.atomic_min(a, 1, x[i % 4])
    wp.atomic_max(a, 2, x[i % 4])
    a[3] += x[i % 4] * wp.float16(2.0)


def test_component_updates_of_array_elements_are_atomic_and_differentiable(device):
    # many threads add to one component (v[0].x += ...): each update must count, as with
    # Warp's atomics; the gradients (through an array of structs too) are Warp's
    n = 30000  # threads; x[j] cycles through 1, 2, 3
    x = wp.array([1.0, 2.0, 3.0], dtype=float, device=device, requires_grad=True)
    v = wp.zeros(1, dtype=wp.vec3, device=device, requires_grad=True)
    m = wp.zeros(1, dtype=wp.mat22, device=device, requires_grad=True)
    s = wp.zeros(1, dtype=Body, device=device, requires_grad=True)
    a2 = wp.zeros((2, 3), dtype=float, device=device, requires_grad=True)
    wp.launch(component_updates, n, [x, v, m, s, a2], device=device)
    k = n // 3
    assert v.numpy().tolist() == [[12.0 * k, -14.0 * k, 0.0]]
    assert m.numpy().tolist() == [[[0.0, -18.0 * k], [0.0, 6.0 * k]]]
    body = s.numpy()[0]
    assert (body["a"], body["v"].tolist(), body["n"]) == (6.0 * k, [0, 0, 24.0 * k], n)
    assert a2.numpy().tolist() == [[0, 0, 0], [5.0 * k, 10.0 * k, 15.0 * k]]

    for arr in (v, m, s, a2):
        arr.zero_()
    out = wp.zeros(1, dtype=float, device=device, requires_grad=True)
    tape = wp.Tape()
    with tape:
        wp.launch(component_updates, 3, [x, v, m, s, a2], device=device)
        wp.launch(component_loss, 1, [v, m, s, a2, out], device=device)
    tape.backward(loss=out)
    assert out.numpy().tolist() == [-17020.0]
    assert x.grad.numpy().tolist() == [-2820.0, -2895.0, -2850.0]  # Warp 1.19's
    body = s.grad.numpy()[0]  # an array of structs gets its gradient, field by field
    assert (body["a"], body["v"].tolist(), body["n"]) == (7.0, [0, 0, 9.0], 0)


def test_float16_atomics_and_gradients(device):
    # float16 atomics, as in Warp: a compare-and-swap loop (on CUDA on the 32-bit word)
    x = wp.array([1.0, -2.0, 3.0, 0.5], dtype=wp.float16, device=device, requires_grad=True)
    h = wp.zeros(1, dtype=wp.vec3h, device=device, requires_grad=True)
    a = wp.zeros(4, dtype=wp.float16, device=device, requires_grad=True)
    wp.launch(half_updates, 1000, [h, a, x], device=device)
    assert h.numpy().tolist() == [[625.0, 0.0, 0.0]]
    assert a.numpy().tolist() == [500.0, -2.0, 3.0, 1250.0]
    tape = wp.Tape()
    with tape:
        wp.launch(half_updates, 4, [h, a, x], device=device)
    tape.backward(grads={a: wp.array([0.0, 0.0, 0.0, 1.0], dtype=wp.float16, device=device),
                         h: wp.array([[3.0, 0.0, 0.0]], dtype=wp.vec3h, device=device)})
    assert x.grad.numpy().tolist() == [5.0, 5.0, 5.0, 5.0]


@wp.kernel
def static_sequence_values(r: wp.array(dtype=float), q: wp.array(dtype=wp.int32)):
    x = float(0.0)
    for s in wp.static((0.5, 1.5)):
        x = x + s
    n = wp.int32(0)
    for c in wp.static((wp.int32(2), wp.int32(3))):
        n = n + c
    r[0] = x + s  # after the loop the variable holds its last value, as in Python
    q[0] = n + c


def test_loops_over_static_sequences_of_numbers(device):
    r = wp.zeros(1, dtype=float, device=device)
    q = wp.zeros(1, dtype=wp.int32, device=device)
    wp.launch(static_sequence_values, 1, [r, q], device=device)
    assert r.numpy().tolist() == [3.5] and q.numpy().tolist() == [8]
