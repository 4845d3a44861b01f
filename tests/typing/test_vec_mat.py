"""Vector and matrix types: Python scope, kernels, arrays, operators, errors, plain Numba."""

import typing

import numba
import numpy as np
import pytest

import numba_warp as wp
from numba_warp.runtime.fingerprint import describe_value

# ---------------------------------------------------------------------------------------
# Python scope
# ---------------------------------------------------------------------------------------


def test_aliases_and_factories():
    assert wp.vec3 is wp.vec3f is wp.vector(3, wp.float32) is wp.vector(3, float)
    assert wp.vec2d is wp.vector(2, wp.float64)
    assert wp.mat33 is wp.mat33f is wp.matrix((3, 3), wp.float32)
    for n in (2, 3, 4):
        for sfx in ("b", "ub", "s", "us", "i", "ui", "l", "ul", "h", "f", "d"):
            cls = getattr(wp, f"vec{n}{sfx}")
            assert cls.length == n and len(cls()) == n
    for name in ("quat", "quath", "quatd", "transform", "transformd", "spatial_vector",
                 "spatial_vectord", "spatial_matrix", "mat22d", "mat44h"):
        assert getattr(wp, name) is not None
    assert wp.quat is not wp.vec4  # a quaternion is its own type
    assert wp.transform.length == 7 and wp.spatial_vector.length == 6
    assert wp.spatial_matrix.shape == (6, 6)


def test_python_scope_vector_values():
    v = wp.vec3(1, 2, 3)
    assert len(v) == 3 and v[1] == 2.0 and v.z == 3.0 and list(v) == [1.0, 2.0, 3.0]
    v[0] = 5
    v.y = 7
    assert list(v) == [5.0, 7.0, 3.0]
    assert list(v + wp.vec3(1.0)) == [6.0, 8.0, 4.0]
    assert list(2.0 * v - v) == [5.0, 7.0, 3.0]
    assert list(-v / 2.0) == [-2.5, -3.5, -1.5]
    assert wp.vec3(1, 2, 3) == wp.vec3(1, 2, 3) and wp.vec3(1, 2, 3) != wp.vec3(1, 2, 4)
    np.testing.assert_array_equal(np.asarray(v), [5.0, 7.0, 3.0])
    assert np.asarray(wp.vec3d(1, 2, 3)).dtype == np.float64
    assert list(wp.vec3(2.5)) == [2.5] * 3 and list(wp.vec3()) == [0.0] * 3
    assert list(wp.vec4(wp.vec3(1, 2, 3), 4)) == [1.0, 2.0, 3.0, 4.0]
    with pytest.raises(ValueError, match="3 components"):
        wp.vec3(1, 2)


def test_python_scope_quaternion_and_transform_products():
    # values printed by NVIDIA Warp 1.19 for the same expressions at Python scope
    q, r = wp.quat_rpy(0.1, 0.2, 0.3), wp.quat_rpy(0.3, 0.1, -0.2)
    want_q = [0.1683724969625473, 0.16346001625061035, 0.021619001403450966,
              0.9718354940414429]
    np.testing.assert_allclose(list(q * r), want_q, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(list(wp.mul(q, r)), want_q, rtol=1e-6, atol=1e-7)
    t1 = wp.transform(wp.vec3(1.0, 2.0, 3.0), q)
    t2 = wp.transform(wp.vec3(-1.0, 0.5, 2.0), r)
    np.testing.assert_allclose(list(t1 * t2), [0.36285996437072754, 2.11466908454895,
                                               5.19793176651001, *want_q], rtol=1e-6, atol=1e-7)
    assert type(q * r) is wp.quat and type(t1 * t2) is wp.transform
    with pytest.raises(TypeError):
        wp.vec3(1.0, 2.0, 3.0) * wp.vec3(1.0, 2.0, 3.0)


def test_python_scope_matrix_values():
    m = wp.mat22(1, 2, 3, 4)
    assert m[0, 1] == 2.0 and list(m[1]) == [3.0, 4.0]
    np.testing.assert_array_equal(np.asarray(m @ wp.mat22(1, 0, 0, 1)), [[1, 2], [3, 4]])
    assert list(m * wp.vec2(1, 1)) == [3.0, 7.0]
    assert list(wp.vec2(1, 1) * m) == [4.0, 6.0]
    m[0, 0] = 9
    assert m[0, 0] == 9.0
    np.testing.assert_array_equal(np.asarray(wp.mat22(2.0)), [[2, 2], [2, 2]])
    # Warp's row/column accessors (Warp 1.19 gives these values)
    m3 = wp.mat33(1, 2, 3, 4, 5, 6, 7, 8, 9)
    assert list(m3.get_row(1)) == [4.0, 5.0, 6.0] and list(m3.get_col(1)) == [2.0, 5.0, 8.0]
    assert type(m3.get_row(0)) is wp.vec3
    m3.set_row(0, wp.vec3(9.0, 9.0, 9.0))
    m3.set_col(2, wp.vec3(0.0, 0.0, 0.0))
    np.testing.assert_array_equal(np.asarray(m3), [[9, 9, 0], [4, 5, 0], [7, 8, 0]])


# ---------------------------------------------------------------------------------------
# Kernels
# ---------------------------------------------------------------------------------------


@wp.func
def scaled(v: wp.vec3, s: float):
    return v * s


@wp.struct
class Body:
    pos: wp.vec3
    rot: wp.mat33
    mass: float


@wp.kernel
def vec_ops(a: wp.array(dtype=wp.vec3), b: wp.array(dtype=wp.vec3), m: wp.mat33,
            out_v: wp.array(dtype=wp.vec3), out_s: wp.array2d(dtype=float), body: Body):
    i = wp.tid()
    x = a[i]
    y = b[i]
    out_v[i] = m * (x + y) - scaled(x, 2.0) + y * m + body.rot @ body.pos / body.mass
    j = i % 3
    v = wp.vec3(1.0, 2.0, 3.0)
    v[j] = 10.0
    v.x = v.x + 0.5
    w = wp.vec3(x)  # copy constructor
    w[2] += 1.0
    out_s[i, 0] = x[j] + v[0] + v[1] + v[2]
    out_s[i, 1] = m[1, 2] + m[j][j] + float(x == y) + float(x != y)
    out_s[i, 2] = w.z + (-x).y
    mm = wp.mat33(m)
    mm[0, 0] = 5.0
    mm[1] = wp.vec3(7.0, 8.0, 9.0)
    r = mm * wp.mat33(2.0)
    out_s[i, 3] = r[0, 0] + r[1, 2] + mm[2, 2]


def test_vector_kernel(device):
    rng = np.random.default_rng(1)
    n = 6
    A = rng.standard_normal((n, 3)).astype(np.float32)
    B = rng.standard_normal((n, 3)).astype(np.float32)
    B[0] = A[0]
    M = rng.standard_normal((3, 3)).astype(np.float32)
    body = Body()
    body.pos = wp.vec3(1.0, 2.0, 3.0)
    body.rot = wp.mat33(*np.eye(3).reshape(-1) * 2)
    body.mass = 4.0
    a = wp.array(A, dtype=wp.vec3, device=device)
    b = wp.array(B, dtype=wp.vec3, device=device)
    out_v = wp.zeros(n, dtype=wp.vec3, device=device)
    out_s = wp.zeros((n, 4), dtype=float, device=device)
    wp.launch(vec_ops, dim=n, inputs=[a, b, wp.mat33(*M.reshape(-1)), out_v, out_s, body],
              device=device)
    expect_v = (A + B) @ M.T - 2 * A + B @ M + np.array([2.0, 4.0, 6.0]) / 4.0
    np.testing.assert_allclose(out_v.numpy(), expect_v, rtol=1e-5, atol=1e-5)
    S = out_s.numpy()
    for i in range(n):
        j = i % 3
        v = np.array([1.0, 2.0, 3.0])
        v[j] = 10.0
        v[0] += 0.5
        assert S[i, 0] == pytest.approx(A[i, j] + v.sum(), rel=1e-5)
        same = float(np.array_equal(A[i], B[i]))
        assert S[i, 1] == pytest.approx(M[1, 2] + M[j, j] + same + (1 - same), rel=1e-5)
        assert S[i, 2] == pytest.approx(A[i, 2] + 1.0 - A[i, 1], rel=1e-5)
        mm = M.copy()
        mm[0, 0] = 5.0
        mm[1] = [7.0, 8.0, 9.0]
        r = mm @ np.full((3, 3), 2.0)
        assert S[i, 3] == pytest.approx(r[0, 0] + r[1, 2] + mm[2, 2], rel=1e-5)


@wp.kernel
def generic_norm(v: wp.array(dtype=typing.Any), out: wp.array(dtype=typing.Any)):
    i = wp.tid()
    x = v[i]
    out[i] = x[0] * x[0] + x[1] * x[1] + x[2] * x[2]


@pytest.mark.parametrize("vt,st", [(wp.vec3, wp.float32), (wp.vec3d, wp.float64)])
def test_vector_precision(device, vt, st):
    V = np.array([[0.1, 0.2, 0.3], [1e-3, 2.0, -3.0]])
    v = wp.array(V, dtype=vt, device=device)
    out = wp.zeros(2, dtype=st, device=device)
    wp.launch(generic_norm, dim=2, inputs=[v, out], device=device)
    np.testing.assert_allclose(out.numpy(), (V.astype(st._np_dtype) ** 2).sum(1),
                               rtol=1e-6 if st is wp.float32 else 1e-14)


@wp.kernel
def vec_atomics(src: wp.array(dtype=wp.vec3), acc: wp.array(dtype=wp.vec3),
                macc: wp.array(dtype=wp.mat22)):
    i = wp.tid()
    acc[i % 2] += src[i]
    wp.atomic_add(macc, 0, wp.mat22(1.0, 2.0, 3.0, 4.0))
    wp.atomic_max(acc, 2, src[i])


def test_vector_and_matrix_atomics(device):
    n = 20000
    S = (np.arange(n * 3, dtype=np.float32).reshape(n, 3) % 7)
    src = wp.array(S, dtype=wp.vec3, device=device)
    acc = wp.zeros(3, dtype=wp.vec3, device=device)
    macc = wp.zeros(1, dtype=wp.mat22, device=device)
    wp.launch(vec_atomics, dim=n, inputs=[src, acc, macc], device=device)
    A = acc.numpy()
    np.testing.assert_array_equal(A[0], S[0::2].sum(0))
    np.testing.assert_array_equal(A[1], S[1::2].sum(0))
    np.testing.assert_array_equal(A[2], S.max(0))
    np.testing.assert_array_equal(macc.numpy()[0], [[n, 2 * n], [3 * n, 4 * n]])


def test_vector_arrays_are_zero_copy_views(device):
    data = np.arange(12, dtype=np.float32).reshape(4, 3)
    a = wp.array(data, dtype=wp.vec3, device=device)
    assert a.shape == (4,) and a.strides == (12,)
    np.testing.assert_array_equal(a.numpy(), data)
    a[1:3].fill_(wp.vec3(9.0, 8.0, 7.0))
    assert a.numpy()[2].tolist() == [9.0, 8.0, 7.0]
    if device == "cpu":
        host = np.zeros((5, 3), dtype=np.float32)
        alias = wp.array(host, dtype=wp.vec3, copy=False, device="cpu")
        alias.fill_(wp.vec3(1.0, 2.0, 3.0))
        assert host[4].tolist() == [1.0, 2.0, 3.0]


# ---------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------


def _compile_error(fn, *args, device="cpu"):
    k = wp.kernel(fn)
    with pytest.raises(wp.WarpCodegenError) as info:
        wp.launch(k, dim=1, inputs=list(args), device=device)
    return str(info.value)


def adds_vec3_vec4(out: wp.array(dtype=wp.vec3)):
    out[0] = wp.vec3(1.0, 2.0, 3.0) + wp.vec4(1.0, 2.0, 3.0, 4.0)  # MARK


def mat33_times_vec4(out: wp.array(dtype=wp.vec3)):
    out[0] = wp.mat33(1.0) * wp.vec4(1.0)  # MARK


def index_out_of_range(out: wp.array(dtype=float)):
    v = wp.vec3(1.0, 2.0, 3.0)
    out[0] = v[3]  # MARK


def wrong_constructor_count(out: wp.array(dtype=wp.vec3)):
    out[0] = wp.vec3(1.0, 2.0)  # MARK


@pytest.mark.parametrize("fn,words", [
    (adds_vec3_vec4, ["vec3f", "vec4f", "+"]),
    (mat33_times_vec4, ["mat33f", "vec4f", "*"]),
    (index_out_of_range, ["index 3", "out of range"]),
    (wrong_constructor_count, ["vec3f", "3 components"]),
], ids=lambda x: getattr(x, "__name__", ""))
def test_type_errors_are_clear(fn, words):
    out = wp.zeros(1, dtype=float if fn is index_out_of_range else wp.vec3, device="cpu")
    msg = _compile_error(fn, out)
    for w in words:
        assert w in msg, msg
    assert "test_vec_mat.py" in msg and "MARK" in msg  # the user's line is shown
    assert len(msg) < 2000


# ---------------------------------------------------------------------------------------
# Inside plain Numba code (something Warp cannot do)
# ---------------------------------------------------------------------------------------


@numba.njit
def njit_uses_warp_types(points, m):
    pts = wp.as_vectors(points, wp.vec3)  # (n, 3) floats -> n vec3, no copy
    acc = wp.vec3(0.0)
    for i in range(pts.shape[0]):
        acc = acc + m * pts[i]
        pts[i] = pts[i] * 2.0
    return acc


def test_types_in_plain_njit():
    points = np.ones((10, 3), dtype=np.float32)
    m = wp.mat33(*np.diag([1.0, 2.0, 3.0]).reshape(-1))
    res = njit_uses_warp_types(points, m)
    assert isinstance(res, wp.vec3) and list(res) == [10.0, 20.0, 30.0]
    np.testing.assert_array_equal(points, 2.0)  # the view wrote through


def test_types_in_cuda_jit_compile_to_ptx():
    from numba import cuda

    def cuda_kernel(points, out):
        i = cuda.grid(1)
        if i < out.shape[0]:
            pts = wp.as_vectors(points, wp.vec3)
            q = wp.vec3(1.0, 2.0, 3.0) * 2.0
            out[i] = pts[i][0] * q.x + pts[i].y
    sig = (numba.float32[:, ::1], numba.float32[::1])
    if wp.is_cuda_available():
        kern = cuda.jit(sig)(cuda_kernel)
        pts = np.arange(6, dtype=np.float32).reshape(2, 3)
        out = cuda.device_array(2, dtype=np.float32)
        kern[1, 32](cuda.to_device(pts), out)
        np.testing.assert_allclose(out.copy_to_host(), pts[:, 0] * 2 + pts[:, 1])
    else:
        ptx, _ = cuda.compile_ptx(cuda_kernel, sig, cc=(9, 0))
        assert ".entry" in ptx


def test_strided_fill_kernel_with_vector_values(device):
    # the kernel GPU fills fall back to for element sizes memset cannot express
    from numba_warp.runtime.array_kernels import fill_strided

    a = wp.zeros(4, dtype=wp.vec3, device=device)
    fill_strided(a[1:3], wp.vec3(9.0, 8.0, 7.0))
    np.testing.assert_array_equal(a.numpy()[1:3], [[9, 8, 7], [9, 8, 7]])
    m = wp.zeros((2, 2), dtype=wp.mat22, device=device)
    m[:, 1].fill_(wp.mat22(1.0, 2.0, 3.0, 4.0))
    np.testing.assert_array_equal(m.numpy()[1, 1], [[1, 2], [3, 4]])
    np.testing.assert_array_equal(m.numpy()[1, 0], np.zeros((2, 2)))


@wp.kernel
def generic_constructors_and_local_arrays(out: wp.array(dtype=float)):
    i = wp.tid()
    v = wp.vector(1.0, 2.0, 3.0)
    z = wp.vector(length=4, dtype=wp.float64)
    m = wp.matrix(1.0, 2.0, 3.0, 4.0, shape=(2, 2))
    mz = wp.matrix(shape=(3, 3), dtype=wp.float64)
    buf = wp.zeros(shape=8, dtype=float)
    grid = wp.zeros(shape=(2, 3), dtype=wp.vec3)
    for j in range(8):
        buf[j] = float(j * i)
    grid[1, 2] = wp.vec3(1.0, 2.0, 3.0)
    s = float(0.0)
    for j in range(8):
        s += buf[j]
    out[i] = s + grid[1, 2][2] + grid[0, 0][0] + v[2] + float(z[3]) + m[1, 0] \
        + float(mz[2, 2]) + float(len(v)) + float(len(m))


def test_generic_constructors_and_local_arrays(device):
    out = wp.zeros(4, dtype=float, device=device)
    wp.launch(generic_constructors_and_local_arrays, dim=4, inputs=[out], device=device)
    np.testing.assert_array_equal(out.numpy(), [28 * i + 3 + 3 + 3 + 3 + 2 for i in range(4)])
    assert wp.vector(3, wp.float64) is wp.vec3d and wp.matrix((2, 2), float) is wp.mat22


@wp.kernel
def reads_through_pointer(addr: wp.uint64, out: wp.array(dtype=float)):
    i = wp.tid()
    a = wp.array(ptr=addr, shape=(4,), dtype=float)
    out[i] = a[i] * 2.0


def test_array_from_pointer_in_kernel(device):
    src = wp.array(np.arange(4, dtype=np.float32), device=device)
    out = wp.zeros(4, dtype=float, device=device)
    wp.launch(reads_through_pointer, dim=4, inputs=[src.ptr, out], device=device)
    np.testing.assert_array_equal(out.numpy(), [0.0, 2.0, 4.0, 6.0])


# ---------------------------------------------------------------------------------------
# Vector and matrix values as constants of kernels and functions
# ---------------------------------------------------------------------------------------

GRAVITY = wp.constant(wp.vec3(0.0, -9.8, 0.0))
OFFSET = wp.vec3d(0.5, 0.25, 0.125)  # a plain module-level value, no wp.constant
FLIP = wp.mat22(0.0, 1.0, 1.0, 0.0)
MASKS = wp.vec2ui(0xFFFFFFFF, 7)
HALVES = wp.vec2h(0.5, -65504.0)


@wp.func
def fall(v: wp.vec3, dt: float):
    return v + GRAVITY * dt


@wp.kernel
def uses_constant_values(v: wp.array(dtype=wp.vec3), d: wp.array(dtype=wp.vec3d),
                         m: wp.array(dtype=wp.mat22), u: wp.array(dtype=wp.vec2ui),
                         h: wp.array(dtype=wp.vec2h), f: wp.array(dtype=float)):
    i = wp.tid()
    v[i] = fall(v[i], 0.5)
    d[i] = d[i] + OFFSET
    m[i] = FLIP * m[i]
    u[i] = MASKS
    h[i] = HALVES
    f[i] = wp.half_pi + wp.PI + wp.phi + wp.ln2 + wp.LOG10E
    if wp.isinf(wp.inf) and wp.isnan(wp.nan):
        f[i] = f[i] + 1.0


def test_vector_and_matrix_constants_in_kernels(device):
    v = wp.zeros(2, dtype=wp.vec3, device=device)
    d = wp.zeros(2, dtype=wp.vec3d, device=device)
    m = wp.array(np.tile(np.array([[1, 2], [3, 4]], np.float32), (2, 1, 1)), dtype=wp.mat22,
                 device=device)
    u = wp.zeros(2, dtype=wp.vec2ui, device=device)
    h = wp.zeros(2, dtype=wp.vec2h, device=device)
    f = wp.zeros(2, dtype=float, device=device)
    wp.launch(uses_constant_values, dim=2, inputs=[v, d, m, u, h, f], device=device)
    np.testing.assert_allclose(v.numpy(), [[0, -4.9, 0]] * 2, rtol=1e-6)
    np.testing.assert_array_equal(d.numpy(), [[0.5, 0.25, 0.125]] * 2)
    np.testing.assert_array_equal(m.numpy(), [[[3, 4], [1, 2]]] * 2)
    np.testing.assert_array_equal(u.numpy(), [[0xFFFFFFFF, 7]] * 2)
    np.testing.assert_array_equal(h.numpy(), [[0.5, -65504.0]] * 2)
    expected = np.float32(np.pi / 2 + np.pi + (1 + 5 ** 0.5) / 2 + np.log(2) + np.log10(np.e))
    np.testing.assert_allclose(f.numpy(), [expected + 1] * 2, rtol=1e-6)


def _closure_kernel(scale, offset):
    @wp.func
    def shift(x: wp.vec3):
        return x + offset

    @wp.kernel
    def apply(out: wp.array(dtype=wp.vec3)):
        i = wp.tid()
        out[i] = scale * shift(out[i])

    return apply


def test_closure_constants_are_frozen_per_kernel_and_in_its_source(device):
    # Two kernels from the same source differing only in captured values: each computes
    # with its own, and the values are part of the generated source, which keys the disk
    # cache (an unchanged source with new values would reuse stale compiled code)
    out, called = [], []
    for k in range(2):
        scale = wp.mat33(*np.diag([1.0 + k, 2.0, 3.0]).reshape(-1))
        kern = _closure_kernel(scale, wp.vec3(float(k), 1.0, 1.0))
        a = wp.zeros(1, dtype=wp.vec3, device=device)
        wp.launch(kern, dim=1, inputs=[a], device=device)
        out.append(a.numpy()[0])
        assert describe_value(scale) in kern.source
        # the @wp.func's hash (part of the kernel's source) covers the value it captured
        called += [ln for ln in kern.source.splitlines() if ln.startswith("#   _wp_shift = ")]
    np.testing.assert_array_equal(out, [[0, 2, 3], [2, 2, 3]])
    assert len(called) == 2 and called[0] != called[1]


@numba.njit
def accumulate_in_place(points, m):
    vs = wp.as_vectors(points, wp.vec3)
    s = wp.vec3()
    p = wp.vec3(1.0)
    for i in range(vs.shape[0]):
        s += vs[i]
        p *= 2.0
    s -= p
    t = m
    t @= m
    t /= 2.0
    k = wp.vec3i(12, 10, 7)
    k &= wp.vec3i(10, 3, 2)
    k <<= wp.vec3i(1, 1, 1)
    return s, t, k


def test_augmented_assignment_in_plain_njit():
    vs = np.arange(6, dtype=np.float32).reshape(2, 3)
    s, t, k = accumulate_in_place(vs, FLIP)
    assert list(s) == [3 - 4, 5 - 4, 7 - 4]
    np.testing.assert_array_equal(np.asarray(t), [[0.5, 0], [0, 0.5]])
    assert list(k) == [16, 4, 4]


@numba.njit(parallel=True)
def _rotate_into(points, axis, angle, out):
    pts = wp.as_vectors(points, wp.vec3)
    res = wp.as_vectors(out, wp.vec3)  # the only use of `out`: writes through the view
    q = wp.quat_from_axis_angle(wp.normalize(axis), angle)
    for i in numba.prange(pts.shape[0]):
        res[i] = wp.quat_rotate(q, pts[i])


def test_writes_through_as_vectors_survive_parallel_loops():
    # Numba's parallel passes must see the view as an alias of its argument, or a prange
    # loop that only writes the view is dead code to them and is dropped without a word
    points = np.arange(3000, dtype=np.float32).reshape(1000, 3)
    out = np.full_like(points, -7.0)
    _rotate_into(points, wp.vec3(0.0, 0.0, 1.0), np.float32(0.5 * np.pi), out)
    want = np.stack([-points[:, 1], points[:, 0], points[:, 2]], axis=1)
    np.testing.assert_allclose(out, want, rtol=1e-5, atol=1e-3)
