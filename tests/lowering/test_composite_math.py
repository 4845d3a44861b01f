"""Warp's builtins on vectors, matrices, quaternions and transforms that extend scalar or
utility builtins (``numba_warp.lowering.composite_math`` and the operators of
``vector_ops``), in kernels on every device and at Python scope, against NumPy and
against values NVIDIA Warp 1.19 computes (noted where a case is Warp's convention):

sign of vectors (sign(0) == sign(-0) == sign(nan) == 1), isfinite/isnan/isinf of
vectors, quaternions and matrices (one bool), lerp of vectors, matrices, quaternions
(component-wise, not a slerp) and transforms, mod of vectors (C's remainder), scalar /
matrix, bit operations on integer vectors and matrices, normalize of a zero quaternion
(the identity), transformation(7 components), quat_between_vectors.
"""

import numpy as np
import pytest

import numba_warp as wp

MAT22I = wp.matrix((2, 2), wp.int32)


@wp.kernel
def float_overloads(a: wp.array(dtype=wp.vec3), b: wp.array(dtype=wp.vec3),
                    t: wp.array(dtype=float), v: wp.array2d(dtype=wp.vec3),
                    q: wp.array2d(dtype=wp.quat), m: wp.array2d(dtype=wp.mat22),
                    x: wp.array2d(dtype=wp.transform), flags: wp.array2d(dtype=wp.int32)):
    i = wp.tid()
    va, vb, s = a[i], b[i], t[i]
    v[i, 0] = wp.sign(va)
    v[i, 1] = wp.lerp(va, vb, s)
    v[i, 2] = wp.mod(va, vb)
    v[i, 3] = va % vb
    qa = wp.quat(va[0], va[1], va[2], 1.0)
    qb = wp.quat(vb[0], vb[1], vb[2], -1.0)
    q[i, 0] = wp.lerp(qa, qb, s)
    q[i, 1] = wp.normalize(qa * 0.0)
    q[i, 2] = wp.quat_between_vectors(va, vb)
    ma = wp.mat22(va[0], va[1], va[2], 1.0)
    mb = wp.mat22(vb[0], vb[1], vb[2], 2.0)
    m[i, 0] = wp.lerp(ma, mb, s)
    m[i, 1] = wp.div(2.0, ma)
    m[i, 2] = 2.0 / ma
    x[i, 0] = wp.lerp(wp.transform(va, qa), wp.transform(vb, qb), s)
    x[i, 1] = wp.transformation(va[0], va[1], va[2], qa[0], qa[1], qa[2], qa[3], dtype=float)
    flags[i, 0] = int(wp.isfinite(va))
    flags[i, 1] = int(wp.isnan(va))
    flags[i, 2] = int(wp.isinf(va))
    flags[i, 3] = int(wp.isfinite(qa))
    flags[i, 4] = int(wp.isnan(qa))
    flags[i, 5] = int(wp.isinf(ma))
    flags[i, 6] = int(wp.isfinite(ma))


def _warp_quat_between(a, b):
    """Warp's formula: normalize(quat(cross(a', b'), 1 + dot(a', b')))."""
    a = a / np.linalg.norm(a)
    b = b / np.linalg.norm(b)
    q = np.append(np.cross(a, b), 1.0 + a @ b)
    return q / np.linalg.norm(q)


def _run_float_overloads(device, a, b, t):
    n = len(a)
    outs = [wp.zeros((n, 4), dtype=dt, device=device)
            for dt in (wp.vec3, wp.quat, wp.mat22, wp.transform)]
    flags = wp.zeros((n, 7), dtype=wp.int32, device=device)
    wp.launch(float_overloads, dim=n, device=device,
              inputs=[wp.array(a, dtype=wp.vec3, device=device),
                      wp.array(b, dtype=wp.vec3, device=device),
                      wp.array(t, dtype=float, device=device), *outs, flags])
    return [o.numpy() for o in outs] + [flags.numpy()]


def test_float_overloads(device):
    rng = np.random.default_rng(3)
    a = rng.uniform(-3, 3, (6, 3)).astype(np.float32)
    b = rng.uniform(0.5, 2, (6, 3)).astype(np.float32) * np.sign(rng.uniform(-1, 1, (6, 3)))
    b = b.astype(np.float32)
    a[0] = [0.0, -0.0, 1.0]
    t = rng.uniform(-0.5, 1.5, 6).astype(np.float32)
    v, q, m, x, flags = _run_float_overloads(device, a, b, t)
    tol = dict(rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(v[:, 0], np.where(a < 0, -1.0, 1.0))  # sign(-0.0) == 1
    np.testing.assert_allclose(v[:, 1], a * (1 - t[:, None]) + b * t[:, None], **tol)
    np.testing.assert_allclose(v[:, 2], np.fmod(a, b), **tol)
    np.testing.assert_allclose(v[:, 3], np.fmod(a, b), **tol)
    qa = np.concatenate([a, np.ones((6, 1))], axis=1)
    qb = np.concatenate([b, -np.ones((6, 1))], axis=1)
    np.testing.assert_allclose(q[:, 0], qa * (1 - t[:, None]) + qb * t[:, None], **tol)
    np.testing.assert_array_equal(q[:, 1], np.tile([0, 0, 0, 1], (6, 1)))  # Warp's identity
    np.testing.assert_allclose(q[:, 2], [_warp_quat_between(p, r) for p, r in zip(a, b)],
                               rtol=1e-5, atol=2e-6)
    ma = np.concatenate([a, np.ones((6, 1))], axis=1).reshape(6, 2, 2)
    mb = np.concatenate([b, 2 * np.ones((6, 1))], axis=1).reshape(6, 2, 2)
    np.testing.assert_allclose(m[:, 0], ma * (1 - t[:, None, None]) + mb * t[:, None, None],
                               **tol)
    with np.errstate(divide="ignore"):  # 2 / +-0 is +-inf, as in the kernel
        np.testing.assert_allclose(m[:, 1], 2.0 / ma, **tol)
        np.testing.assert_allclose(m[:, 2], 2.0 / ma, **tol)
    xa, xb = np.concatenate([a, qa], axis=1), np.concatenate([b, qb], axis=1)
    np.testing.assert_allclose(x[:, 0], xa * (1 - t[:, None]) + xb * t[:, None], **tol)
    np.testing.assert_array_equal(x[:, 1], xa)
    np.testing.assert_array_equal(flags, np.tile([1, 0, 0, 1, 0, 0, 1], (6, 1)))


def test_classification_of_non_finite_values(device):
    nan, inf = np.float32(np.nan), np.float32(np.inf)
    a = np.array([[0, nan, 1], [0, inf, 1], [-inf, nan, 0]], dtype=np.float32)
    b = np.ones((3, 3), dtype=np.float32)
    *_, flags = _run_float_overloads(device, a, b, np.zeros(3, np.float32))
    # (isfinite, isnan, isinf) of the vector, then of quat(v, 1) and mat22(v, 1)
    np.testing.assert_array_equal(flags, [[0, 1, 0, 0, 1, 0, 0], [0, 0, 1, 0, 0, 1, 0],
                                          [0, 1, 1, 0, 1, 1, 0]])


def test_sign_of_nan_is_one(device):
    a = np.array([[np.nan, -2.0, -0.0]], dtype=np.float32)
    v, *_ = _run_float_overloads(device, a, np.ones((1, 3), np.float32), np.zeros(1, np.float32))
    np.testing.assert_array_equal(v[0, 0], [1.0, -1.0, 1.0])


def test_quat_between_opposite_and_zero_vectors(device):
    # opposite directions: a half turn that maps a onto b (Warp 1.19 returns the identity,
    # which does not); nearly opposite ones stay accurate; a zero vector: the identity
    a = np.array([[1, 0, 0], [1, 2, 3], [0.3, -0.2, 5], [1, 2, 3], [0, 0, 0]], np.float32)
    b = np.array([[-2, 0, 0], [-1, -2, -3], [-0.6, 0.4, -10], [-1, -2, -3.001], [1, 0, 0]],
                 np.float32)
    _, q, *_ = _run_float_overloads(device, a, b, np.zeros(5, np.float32))
    for k in range(4):
        rot = wp.quat_rotate(wp.quat(*q[k, 2]), wp.vec3(*(a[k] / np.linalg.norm(a[k]))))
        np.testing.assert_allclose(rot, b[k] / np.linalg.norm(b[k]), atol=2e-6)
        np.testing.assert_allclose(np.linalg.norm(q[k, 2]), 1.0, atol=1e-6)
    np.testing.assert_array_equal(q[4, 2], [0, 0, 0, 1])


@wp.kernel
def integer_overloads(a: wp.array(dtype=wp.vec3i), b: wp.array(dtype=wp.vec3i),
                      v: wp.array2d(dtype=wp.vec3i), m: wp.array2d(dtype=MAT22I)):
    i = wp.tid()
    x, y = a[i], b[i]
    v[i, 0] = x & y
    v[i, 1] = wp.bit_or(x, y)
    v[i, 2] = wp.bit_xor(x, y)
    v[i, 3] = wp.lshift(x, y)
    v[i, 4] = x >> y
    v[i, 5] = ~x
    v[i, 6] = wp.invert(x)
    v[i, 7] = wp.mod(x, y)
    v[i, 8] = wp.sign(x)
    z = x
    z &= y
    z |= wp.vec3i(64, 64, 64)
    v[i, 9] = z
    ma = MAT22I(x[0], x[1], x[2], 5)
    mb = MAT22I(y[0], y[1], y[2], 3)
    m[i, 0] = ma & mb
    m[i, 1] = ma << mb
    m[i, 2] = ~ma


def test_integer_overloads(device):
    # values from Warp 1.19: (12, 10, -7) op (10, 3, 2)
    a = np.array([[12, 10, -7], [-9, 0, 5]], np.int32)
    b = np.array([[10, 3, 2], [4, 7, -3]], np.int32)
    v = wp.zeros((2, 10), dtype=wp.vec3i, device=device)
    m = wp.zeros((2, 3), dtype=MAT22I, device=device)
    wp.launch(integer_overloads, dim=2, device=device,
              inputs=[wp.array(a, dtype=wp.vec3i, device=device),
                      wp.array(b, dtype=wp.vec3i, device=device), v, m])
    v, m = v.numpy(), m.numpy()
    np.testing.assert_array_equal(v[0, :6], [[8, 2, 0], [14, 11, -5], [6, 9, -5],
                                             [12288, 80, -28], [0, 1, -2], [-13, -11, 6]])
    np.testing.assert_array_equal(v[:, 6], ~a)
    np.testing.assert_array_equal(v[:, 7], np.fmod(a, b))
    np.testing.assert_array_equal(v[:, 8], np.where(a < 0, -1, 1))
    np.testing.assert_array_equal(v[:, 9], (a & b) | 64)
    ma = np.concatenate([a, [[5], [5]]], axis=1).reshape(2, 2, 2)
    mb = np.concatenate([b, [[3], [3]]], axis=1).reshape(2, 2, 2)
    np.testing.assert_array_equal(m[:, 0], ma & mb)
    np.testing.assert_array_equal(m[0, 1], (ma << mb)[0])
    np.testing.assert_array_equal(m[:, 2], ~ma)


@wp.kernel
def near_checks(a: wp.array(dtype=wp.vec3), b: wp.array(dtype=wp.vec3)):
    i = wp.tid()
    wp.expect_near(a[i], b[i], 0.1)
    wp.expect_near(wp.quat(a[i], 1.0), wp.quat(b[i], 1.0), 0.1)
    wp.expect_near(wp.mat22(a[i][0], 0.0, 0.0, 1.0), wp.mat22(b[i][0], 0.0, 0.0, 1.0), 0.1)


def test_expect_near_of_composites_compiles_and_runs(device):
    # (it prints only when the values differ; the message goes to the C stdout)
    a = wp.array(np.ones((2, 3), np.float32), dtype=wp.vec3, device=device)
    wp.launch(near_checks, dim=2, inputs=[a, a], device=device)
    wp.synchronize_device(device)


def test_python_scope():
    v = wp.vec3(1.0, -2.0, 0.0)
    assert wp.sign(v) == wp.vec3(1.0, -1.0, 1.0)
    assert wp.isfinite(v) and not wp.isnan(v) and not wp.isinf(v)
    assert wp.isnan(wp.mat22(0.0, np.nan, 0.0, 0.0)) and wp.isinf(wp.quat(0.0, 0.0, np.inf, 1))
    assert wp.lerp(v, wp.vec3(3.0, 2.0, 1.0), 0.5) == wp.vec3(2.0, 0.0, 0.5)
    assert wp.mod(wp.vec3(7.5, -7.5, 3.0), wp.vec3(2.0, 2.0, -2.0)) == wp.vec3(1.5, -1.5, 1.0)
    assert wp.mod(wp.vec3i(7, -7, 3), wp.vec3i(2, 2, 0)) == wp.vec3i(1, -1, 0)
    assert wp.normalize(wp.quat(0.0, 0.0, 0.0, 0.0)) == wp.quat(0.0, 0.0, 0.0, 1.0)
    q = wp.quat_between_vectors(wp.vec3(1.0, 0.0, 0.0), wp.vec3(0.0, 2.0, 0.0))
    np.testing.assert_allclose(q, [0, 0, 2 ** -0.5, 2 ** -0.5], rtol=1e-6)
    t = wp.transformation(1.0, 2.0, 3.0, 0.0, 0.0, 0.0, 1.0, dtype=wp.float64)
    assert isinstance(t, wp.transformd) and list(t) == [1, 2, 3, 0, 0, 0, 1]


def test_matrix_from_pos_rot_scale_names_its_replacement():
    @wp.kernel
    def old_matrix(out: wp.array(dtype=wp.mat44)):
        out[0] = wp.matrix(wp.vec3(0.0), wp.quat_identity(), wp.vec3(1.0), dtype=float)

    with pytest.raises(wp.WarpCodegenError, match="transform_compose"):
        wp.launch(old_matrix, dim=1, inputs=[wp.zeros(1, dtype=wp.mat44, device="cpu")],
                  device="cpu")
