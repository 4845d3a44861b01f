"""Warp's quaternion, transform and spatial builtins (``numba_warp.lowering.quat``,
``.transform``, ``.spatial``) in kernels on every device, in float32 and float64, against
NumPy references built independently (Rodrigues rotation matrices, products of
single-axis quaternions, closed-form spatial algebra), round trips (matrix, Euler
angles for all 12 axis sequences, axis-angle, transform inverse) and the edge cases
Warp documents (slerp endpoints and the shortest arc, the identity's axis-angle,
Shepperd branches of quat_from_matrix, ...), plus Python-scope calls.

A few generic kernels evaluate many builtins into the columns of output arrays.
"""

import math
import typing

import numpy as np
import pytest

import numba_warp as wp

Any = typing.Any

FLOAT_TYPES = [wp.float32, wp.float64]
IDS = {wp.float32: "float32", wp.float64: "float64"}
RNG = np.random.default_rng(7)


def _tol(dtype):
    return 2e-5 if dtype is wp.float32 else 1e-12


def _types(dtype):
    sfx = "f" if dtype is wp.float32 else "d"
    return {
        "vec3": getattr(wp, f"vec3{sfx}"), "quat": getattr(wp, f"quat{sfx}"),
        "transform": getattr(wp, f"transform{sfx}"), "mat33": getattr(wp, f"mat33{sfx}"),
        "mat44": getattr(wp, f"mat44{sfx}"), "sv": getattr(wp, f"spatial_vector{sfx}"),
        "sm": getattr(wp, f"spatial_matrix{sfx}"),
    }


# ---------------------------------------------------------------------------------------
# NumPy references
# ---------------------------------------------------------------------------------------


def unit(v):
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def np_axis_angle(axis, angle):
    return np.concatenate([axis * np.sin(angle / 2)[..., None], np.cos(angle / 2)[..., None]],
                          axis=-1)


def np_rodrigues(axis, angle):
    """Rotation matrices (n, 3, 3) from unit axes and angles."""
    out = []
    for k, a in zip(axis, angle):
        kx = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
        out.append(np.eye(3) * np.cos(a) + np.sin(a) * kx + (1 - np.cos(a)) * np.outer(k, k))
    return np.array(out)


def np_qmul(a, b):
    x1, y1, z1, w1 = np.moveaxis(a, -1, 0)
    x2, y2, z2, w2 = np.moveaxis(b, -1, 0)
    return np.stack([w1 * x2 + x1 * w2 + y1 * z2 - z1 * y2,
                     w1 * y2 + y1 * w2 + z1 * x2 - x1 * z2,
                     w1 * z2 + z1 * w2 + x1 * y2 - y1 * x2,
                     w1 * w2 - x1 * x2 - y1 * y2 - z1 * z2], axis=-1)


def np_qmat(q):
    """Rotation matrix of unit quaternions via the rotation of the basis (q e q*)."""
    out = np.empty(q.shape[:-1] + (3, 3))
    conj = q * np.array([-1, -1, -1, 1])
    for j in range(3):
        e = np.zeros(q.shape[:-1] + (4,))
        e[..., j] = 1.0
        out[..., :, j] = np_qmul(np_qmul(q, e), conj)[..., :3]
    return out


def np_from_euler(e, i, j, k):
    def axis_q(ax, ang):
        a = np.zeros(3)
        a[ax] = 1.0
        return np_axis_angle(a, np.asarray(ang))

    return np_qmul(np_qmul(axis_q(k, e[k]), axis_q(j, e[j])), axis_q(i, e[i]))


def assert_same_rotation(got, expect, tol, msg=""):
    """Quaternions equal up to sign."""
    got, expect = np.asarray(got, np.float64), np.asarray(expect, np.float64)
    d = np.minimum(np.abs(got - expect).max(axis=-1), np.abs(got + expect).max(axis=-1))
    assert d.max() <= tol, f"{msg}: max deviation {d.max()}"


def random_rotations(n):
    axis = unit(RNG.normal(size=(n, 3)))
    angle = RNG.uniform(-np.pi, np.pi, size=n)
    return axis, angle


# ---------------------------------------------------------------------------------------
# Quaternions
# ---------------------------------------------------------------------------------------


@wp.kernel
def quat_kernel(q: wp.array(dtype=Any), ax: wp.array(dtype=Any), ang: wp.array(dtype=Any),
                v: wp.array(dtype=Any), e: wp.array(dtype=Any), q2: wp.array(dtype=Any),
                outq: wp.array2d(dtype=Any), outv: wp.array2d(dtype=Any),
                outm: wp.array(dtype=Any), outs: wp.array2d(dtype=Any)):
    i = wp.tid()
    qi = q[i]
    outq[i, 0] = wp.quat_from_axis_angle(ax[i], ang[i])
    outq[i, 1] = wp.quat_inverse(qi)
    outq[i, 2] = wp.quat_from_matrix(wp.quat_to_matrix(qi))
    outq[i, 3] = wp.quat_rpy(e[i][0], e[i][1], e[i][2])
    outq[i, 4] = wp.quat_from_euler(e[i], 0, 1, 2)
    outq[i, 5] = wp.quat_from_euler(e[i], 2, 0, 1)
    outq[i, 6] = wp.quat_from_euler(e[i], 0, 1, 0)
    outq[i, 7] = wp.quat_slerp(qi * 2.0, q2[i], ang[i] * 0.1 + 0.5)
    outq[i, 8] = wp.quat_twist(ax[i], qi)
    outq[i, 9] = wp.quaternion(v[i], ang[i])
    outq[i, 10] = wp.quat_from_matrix(wp.transform_to_matrix(wp.transformation(v[i], qi)))
    outq[i, 11] = wp.quat_rpy(wp.quat_to_rpy(qi)[0], wp.quat_to_rpy(qi)[1],
                              wp.quat_to_rpy(qi)[2])
    outq[i, 12] = qi * wp.quat_inverse(qi)
    outv[i, 0] = wp.quat_rotate(qi, v[i])
    outv[i, 1] = wp.quat_rotate_inv(qi, v[i])
    outv[i, 2] = wp.quat_to_rpy(qi)
    axis, angle = wp.quat_to_axis_angle(qi)
    outv[i, 3] = axis
    outm[i] = wp.quat_to_matrix(qi)
    outs[i, 0] = angle
    outs[i, 1] = wp.quat_twist_angle(ax[i], qi)
    outs[i, 2] = wp.quat_twist_angle_signed(ax[i], qi)


N = 16


@pytest.mark.parametrize("dtype", FLOAT_TYPES, ids=IDS.get)
def test_quaternion_builtins(device, dtype):
    T = _types(dtype)
    npt = dtype._np_dtype
    axis, angle = random_rotations(N)
    q_np = np_axis_angle(axis, angle)
    q2_np = np_axis_angle(*random_rotations(N))
    q2_np[:4] *= -2.5  # non-unit, opposite-sign targets: slerp normalizes and flips them
    ax, ang = random_rotations(N)
    v_np = RNG.normal(size=(N, 3))
    e_np = RNG.uniform(-1.4, 1.4, size=(N, 3))
    arr = lambda x, t: wp.array(x.astype(npt), dtype=t, device=device)  # noqa: E731
    outq = wp.zeros((N, 13), dtype=T["quat"], device=device)
    outv = wp.zeros((N, 4), dtype=T["vec3"], device=device)
    outm = wp.zeros(N, dtype=T["mat33"], device=device)
    outs = wp.zeros((N, 3), dtype=dtype, device=device)
    wp.launch(quat_kernel, dim=N, inputs=[
        arr(q_np, T["quat"]), arr(ax, T["vec3"]), arr(ang, dtype), arr(v_np, T["vec3"]),
        arr(e_np, T["vec3"]), arr(q2_np, T["quat"]), outq, outv, outm, outs], device=device)
    gq, gv, gm, gs = outq.numpy(), outv.numpy(), outm.numpy(), outs.numpy()
    assert gq.dtype == npt
    tol = _tol(dtype)
    R = np_rodrigues(axis, angle)

    np.testing.assert_allclose(gq[:, 0], np_axis_angle(ax, ang), atol=tol)
    np.testing.assert_allclose(gq[:, 1], q_np * [-1, -1, -1, 1], atol=tol)
    assert_same_rotation(gq[:, 2], q_np, 2 * tol, "quat_from_matrix(quat_to_matrix)")
    for col, seq in ((3, (0, 1, 2)), (4, (0, 1, 2)), (5, (2, 0, 1)), (6, (0, 1, 0))):
        expect = np.array([np_from_euler(e, *seq) for e in e_np])
        np.testing.assert_allclose(gq[:, col], expect, atol=tol, err_msg=f"euler {seq}")
    np.testing.assert_allclose(gm, R, atol=tol)
    np.testing.assert_allclose(gv[:, 0], np.einsum("nij,nj->ni", R, v_np), atol=4 * tol)
    np.testing.assert_allclose(gv[:, 1], np.einsum("nji,nj->ni", R, v_np), atol=4 * tol)
    np.testing.assert_allclose(gq[:, 9], np.concatenate([v_np, ang[:, None]], 1), atol=tol)
    assert_same_rotation(gq[:, 10], q_np, 2 * tol, "quat_from_matrix(mat44)")
    assert_same_rotation(gq[:, 11], q_np, 20 * tol, "quat_rpy(quat_to_rpy)")
    np.testing.assert_allclose(gq[:, 12], np.tile([0, 0, 0, 1.0], (N, 1)), atol=tol)

    # axis-angle: angle in [0, pi], and rebuilding gives +-q
    assert (gs[:, 0] >= 0).all() and (gs[:, 0] <= np.pi + tol).all()
    np.testing.assert_allclose(gs[:, 0], np.abs(angle), atol=10 * tol)
    assert_same_rotation(np_axis_angle(gv[:, 3].astype(np.float64), gs[:, 0]), q_np,
                         10 * tol, "quat_to_axis_angle")

    # twist about ax: the twist component of q (closed form), its signed/unsigned angle
    s = np.einsum("ni,ni->n", q_np[:, :3], ax)
    twist = np.concatenate([ax * s[:, None], q_np[:, 3:]], 1)
    twist /= np.linalg.norm(twist, axis=1, keepdims=True)
    np.testing.assert_allclose(gq[:, 8], twist, atol=tol)
    signed = 2 * np.arctan2(s, q_np[:, 3])
    np.testing.assert_allclose(gs[:, 2], signed, atol=10 * tol)
    np.testing.assert_allclose(gs[:, 1], np.abs(signed), atol=10 * tol)

    # slerp: the shortest arc at constant rate from q to +-normalize(q2); Warp's formula
    # a * exp(t log(a^-1 b)) scales with a's norm
    t = ang * 0.1 + 0.5
    b = unit(q2_np) * np.sign(np.einsum("ni,ni->n", q_np, q2_np))[:, None]
    theta = np.arccos(np.clip(np.einsum("ni,ni->n", q_np, b), -1, 1))
    expect = (q_np * np.sin((1 - t) * theta)[:, None] + b * np.sin(t * theta)[:, None]) \
        / np.sin(theta)[:, None]
    np.testing.assert_allclose(gq[:, 7], 2.0 * expect, atol=40 * tol)


@wp.kernel
def euler_kernel(q: wp.array(dtype=Any), seq: wp.array2d(dtype=wp.int32),
                 oute: wp.array2d(dtype=Any), outq: wp.array2d(dtype=Any)):
    i, s = wp.tid()
    a, b, c = seq[s, 0], seq[s, 1], seq[s, 2]
    e = wp.quat_to_euler(q[i], a, b, c)
    oute[i, s] = e
    outq[i, s] = wp.quat_from_euler(e, a, b, c)


SEQUENCES = [(i, j, k) for i in range(3) for j in range(3) for k in range(3)
             if i != j and j != k]


@pytest.mark.parametrize("dtype", FLOAT_TYPES, ids=IDS.get)
def test_euler_all_sequences(device, dtype):
    T = _types(dtype)
    npt = dtype._np_dtype
    axis, angle = random_rotations(N)
    q_np = np_axis_angle(axis, angle)
    # gimbal lock for xyz (pitch = pi/2) and a rotation about one axis only
    q_np[0] = np_from_euler(np.array([0.3, np.pi / 2, -0.2]), 0, 1, 2)
    q_np[1] = np_axis_angle(np.array([0.0, 0.0, 1.0]), np.array(0.7))
    q_np[2] = [0.0, 0.0, 0.0, 1.0]
    seq = wp.array(np.array(SEQUENCES, dtype=np.int32), dtype=wp.int32, device=device)
    oute = wp.zeros((N, len(SEQUENCES)), dtype=T["vec3"], device=device)
    outq = wp.zeros((N, len(SEQUENCES)), dtype=T["quat"], device=device)
    wp.launch(euler_kernel, dim=(N, len(SEQUENCES)),
              inputs=[wp.array(q_np.astype(npt), dtype=T["quat"], device=device), seq, oute,
                      outq], device=device)
    ge, gq = oute.numpy().astype(np.float64), outq.numpy()
    tol = 50 * _tol(dtype) if dtype is wp.float32 else 1e-9
    for s, (i, j, k) in enumerate(SEQUENCES):
        for n in range(N):
            e = ge[n, s]
            if i != k:  # Tait-Bryan: axis-indexed angles, quat_from_euler inverts
                assert -np.pi / 2 - tol <= e[j] <= np.pi / 2 + tol
                assert_same_rotation(gq[n, s], q_np[n], tol, f"seq {(i, j, k)} q{n}")
                rebuilt = np_from_euler(e, i, j, k)
            else:  # proper Euler: third angle in slot 3 - i - j
                assert -tol <= e[j] <= np.pi + tol
                def axq(ax, a):  # noqa: E306
                    u = np.zeros(3)
                    u[ax] = 1.0
                    return np_axis_angle(u, np.array(a))
                rebuilt = np_qmul(np_qmul(axq(i, e[3 - i - j]), axq(j, e[j])), axq(i, e[i]))
            assert_same_rotation(rebuilt, q_np[n], tol, f"seq {(i, j, k)} q{n} (numpy)")


@wp.kernel
def quat_edge_kernel(q: wp.array(dtype=wp.quatd), m: wp.array(dtype=wp.mat33d),
                     outq: wp.array2d(dtype=wp.quatd), outv: wp.array(dtype=wp.vec3d),
                     outs: wp.array(dtype=wp.float64)):
    i = wp.tid()
    outq[i, 0] = wp.quat_from_matrix(m[i])
    outq[i, 1] = wp.quat_slerp(q[i], q[(i + 1) % 4], 0.0)
    outq[i, 2] = wp.quat_slerp(q[i], q[(i + 1) % 4], 1.0)
    outq[i, 3] = wp.quat_identity(dtype=wp.float64)
    outq[i, 4] = wp.quaternion(1.0, 2.0, 3.0, 4.0, dtype=wp.float64)
    outq[i, 5] = wp.quaternion(dtype=wp.float64)
    outq[i, 6] = wp.quat_twist(wp.vec3d(0.0, 0.0, 1.0), wp.quatd(1.0, 0.0, 0.0, 0.0))
    axis, angle = wp.quat_to_axis_angle(wp.quat_identity(dtype=wp.float64))
    outv[i] = axis
    outs[i] = angle


def test_quaternion_edge_cases(device):
    # rotations by ~pi about x, y, z and a generic one: every branch of Shepperd's method
    axes = np.array([[1.0, 0, 0], [0, 1.0, 0], [0, 0, 1.0], unit(np.array([1.0, 2, 3]))])
    angles = np.array([3.1, 3.0, 3.14, 0.5])
    q_np = np_axis_angle(axes, angles)
    q_np[3] *= -1.0  # w < 0
    m = wp.array(np_rodrigues(axes, angles), dtype=wp.mat33d, device=device)
    outq = wp.zeros((4, 7), dtype=wp.quatd, device=device)
    outv = wp.zeros(4, dtype=wp.vec3d, device=device)
    outs = wp.zeros(4, dtype=wp.float64, device=device)
    wp.launch(quat_edge_kernel, dim=4, inputs=[wp.array(q_np, dtype=wp.quatd, device=device),
                                               m, outq, outv, outs], device=device)
    g = outq.numpy()
    assert_same_rotation(g[:, 0], q_np, 1e-12, "quat_from_matrix branches")
    np.testing.assert_allclose(g[:, 1], q_np, atol=1e-14)  # slerp(a, b, 0) == a
    nxt = np.roll(q_np, -1, axis=0)
    sgn = np.sign(np.einsum("ni,ni->n", q_np, nxt))[:, None]
    np.testing.assert_allclose(g[:, 2], nxt * sgn, atol=1e-12)  # shortest arc
    np.testing.assert_array_equal(g[:, 3], np.tile([0, 0, 0, 1.0], (4, 1)))
    np.testing.assert_array_equal(g[:, 4], np.tile([1, 2, 3, 4.0], (4, 1)))
    np.testing.assert_array_equal(g[:, 5], np.zeros((4, 4)))
    np.testing.assert_array_equal(g[:, 6], np.tile([0, 0, 0, 1.0], (4, 1)))  # pure swing
    np.testing.assert_array_equal(outs.numpy(), np.zeros(4))
    np.testing.assert_array_equal(outv.numpy(), np.tile([1.0, 0, 0], (4, 1)))


@wp.kernel
def literal_kernel(out: wp.array(dtype=wp.quat), outt: wp.array(dtype=wp.transform),
                   outsv: wp.array(dtype=wp.spatial_vector)):
    out[0] = wp.quat_rpy(0.1, 0.2, 0.3)
    out[1] = wp.quat_from_axis_angle(wp.vec3(0.0, 0.0, 1.0), 0.5)
    out[2] = wp.quaternion(wp.vec3(1.0, 2.0, 3.0), 4.0)
    out[3] = wp.quat_identity()
    t = wp.transformation(wp.vec3(1.0, 2.0, 3.0), wp.quat_identity())
    outt[0] = t
    outt[1] = wp.transform_identity()
    outsv[0] = wp.spatial_vector(wp.vec3(1.0, 2.0, 3.0), wp.vec3(4.0, 5.0, 6.0))


def test_float32_defaults_and_literals(device):
    out = wp.zeros(4, dtype=wp.quat, device=device)
    outt = wp.zeros(2, dtype=wp.transform, device=device)
    outsv = wp.zeros(1, dtype=wp.spatial_vector, device=device)
    wp.launch(literal_kernel, dim=1, inputs=[out, outt, outsv], device=device)
    g = out.numpy()
    np.testing.assert_allclose(g[0], np_from_euler(np.array([0.1, 0.2, 0.3]), 0, 1, 2),
                               atol=1e-6)
    np.testing.assert_allclose(g[1], [0, 0, np.sin(0.25), np.cos(0.25)], atol=1e-7)
    np.testing.assert_array_equal(g[2], [1, 2, 3, 4])
    np.testing.assert_array_equal(g[3], [0, 0, 0, 1])
    np.testing.assert_array_equal(outt.numpy(), [[1, 2, 3, 0, 0, 0, 1], [0, 0, 0, 0, 0, 0, 1]])
    np.testing.assert_array_equal(outsv.numpy(), [[1, 2, 3, 4, 5, 6]])


# ---------------------------------------------------------------------------------------
# Transforms
# ---------------------------------------------------------------------------------------


@wp.kernel
def transform_kernel(t: wp.array(dtype=Any), t2: wp.array(dtype=Any), v: wp.array(dtype=Any),
                     s: wp.array(dtype=Any), outt: wp.array2d(dtype=Any),
                     outv: wp.array2d(dtype=Any), outq: wp.array2d(dtype=Any),
                     outm: wp.array2d(dtype=Any)):
    i = wp.tid()
    a = t[i]
    b = t2[i]
    outt[i, 0] = wp.transform_multiply(a, b)
    outt[i, 1] = a * b
    outt[i, 2] = wp.transform_inverse(a)
    outt[i, 3] = wp.transform_multiply(a, wp.transform_inverse(a))
    outt[i, 4] = wp.transform_from_matrix(wp.transform_to_matrix(a))
    outt[i, 5] = wp.transformation(a.p, b.q)
    outt[i, 6] = wp.transform_set_translation(a, v[i])
    outt[i, 7] = wp.transform_set_rotation(a, wp.transform_get_rotation(b))
    m = wp.transform_to_matrix(a)
    outv[i, 0] = wp.transform_point(a, v[i])
    outv[i, 1] = wp.transform_vector(a, v[i])
    outv[i, 2] = wp.transform_point(m, v[i])
    outv[i, 3] = wp.transform_vector(m, v[i])
    outv[i, 4] = wp.transform_get_translation(a)
    c = wp.transform_compose(v[i], a.q, s[i])
    p, q, sc = wp.transform_decompose(c)
    outv[i, 5] = p
    outv[i, 6] = sc
    outq[i, 0] = wp.transform_get_rotation(a)
    outq[i, 1] = q
    outm[i, 0] = m
    outm[i, 1] = c


@pytest.mark.parametrize("dtype", FLOAT_TYPES, ids=IDS.get)
def test_transform_builtins(device, dtype):
    T = _types(dtype)
    npt = dtype._np_dtype
    qa, qb = np_axis_angle(*random_rotations(N)), np_axis_angle(*random_rotations(N))
    pa, pb = RNG.normal(size=(N, 3)), RNG.normal(size=(N, 3))
    ta, tb = np.concatenate([pa, qa], 1), np.concatenate([pb, qb], 1)
    v_np = RNG.normal(size=(N, 3))
    s_np = RNG.uniform(0.5, 2.0, size=(N, 3))
    arr = lambda x, t: wp.array(x.astype(npt), dtype=t, device=device)  # noqa: E731
    outt = wp.zeros((N, 8), dtype=T["transform"], device=device)
    outv = wp.zeros((N, 7), dtype=T["vec3"], device=device)
    outq = wp.zeros((N, 2), dtype=T["quat"], device=device)
    outm = wp.zeros((N, 2), dtype=T["mat44"], device=device)
    wp.launch(transform_kernel, dim=N, inputs=[
        arr(ta, T["transform"]), arr(tb, T["transform"]), arr(v_np, T["vec3"]),
        arr(s_np, T["vec3"]), outt, outv, outq, outm], device=device)
    gt, gv, gq, gm = outt.numpy(), outv.numpy(), outq.numpy(), outm.numpy()
    tol = 4 * _tol(dtype)
    Ra, Rb = np_qmat(qa), np_qmat(qb)

    def homog(R, p):
        M = np.tile(np.eye(4), (N, 1, 1))
        M[:, :3, :3], M[:, :3, 3] = R, p
        return M

    Ma, Mb = homog(Ra, pa), homog(Rb, pb)
    # composition: matrix of a * b is Ma @ Mb
    for col in (0, 1):
        np.testing.assert_allclose(homog(np_qmat(gt[:, col, 3:].astype(np.float64)),
                                         gt[:, col, :3]), Ma @ Mb, atol=tol)
    np.testing.assert_allclose(homog(np_qmat(gt[:, 2, 3:].astype(np.float64)), gt[:, 2, :3]),
                               np.linalg.inv(Ma), atol=tol)
    np.testing.assert_allclose(gt[:, 3], np.tile([0, 0, 0, 0, 0, 0, 1.0], (N, 1)), atol=tol)
    np.testing.assert_allclose(gt[:, 4, :3], pa, atol=tol)
    assert_same_rotation(gt[:, 4, 3:], qa, tol, "transform_from_matrix(transform_to_matrix)")
    np.testing.assert_allclose(gt[:, 5], np.concatenate([pa, qb], 1), atol=tol)
    np.testing.assert_allclose(gt[:, 6], np.concatenate([v_np, qa], 1), atol=tol)
    np.testing.assert_allclose(gt[:, 7], np.concatenate([pa, qb], 1), atol=tol)
    np.testing.assert_allclose(gm[:, 0], Ma, atol=tol)
    expect_point = np.einsum("nij,nj->ni", Ra, v_np) + pa
    np.testing.assert_allclose(gv[:, 0], expect_point, atol=tol)
    np.testing.assert_allclose(gv[:, 1], np.einsum("nij,nj->ni", Ra, v_np), atol=tol)
    np.testing.assert_allclose(gv[:, 2], expect_point, atol=tol)
    np.testing.assert_allclose(gv[:, 3], np.einsum("nij,nj->ni", Ra, v_np), atol=tol)
    np.testing.assert_allclose(gv[:, 4], pa, atol=tol)
    # compose / decompose
    C = homog(Ra * s_np[:, None, :], v_np)
    np.testing.assert_allclose(gm[:, 1], C, atol=tol)
    np.testing.assert_allclose(gv[:, 5], v_np, atol=tol)
    np.testing.assert_allclose(gv[:, 6], s_np, atol=tol)
    np.testing.assert_allclose(gq[:, 0], qa, atol=tol)
    assert_same_rotation(gq[:, 1], qa, tol, "transform_decompose rotation")


# ---------------------------------------------------------------------------------------
# Spatial math
# ---------------------------------------------------------------------------------------


@wp.kernel
def spatial_kernel(a: wp.array(dtype=Any), b: wp.array(dtype=Any), t: wp.array(dtype=Any),
                   r: wp.array(dtype=Any), m1: wp.array(dtype=Any), m2: wp.array(dtype=Any),
                   outsv: wp.array2d(dtype=Any), outv: wp.array2d(dtype=Any),
                   outs: wp.array(dtype=Any), outm: wp.array(dtype=Any)):
    i = wp.tid()
    outsv[i, 0] = wp.spatial_cross(a[i], b[i])
    outsv[i, 1] = wp.spatial_cross_dual(a[i], b[i])
    outsv[i, 2] = wp.transform_twist(t[i], a[i])
    outsv[i, 3] = wp.transform_wrench(t[i], b[i])
    outv[i, 0] = wp.spatial_top(a[i])
    outv[i, 1] = wp.spatial_bottom(a[i])
    outv[i, 2] = wp.velocity_at_point(a[i], r[i])
    outs[i] = wp.spatial_dot(a[i], b[i])
    outm[i] = wp.spatial_adjoint(m1[i], m2[i])


@pytest.mark.parametrize("dtype", FLOAT_TYPES, ids=IDS.get)
def test_spatial_builtins(device, dtype):
    T = _types(dtype)
    npt = dtype._np_dtype
    a_np, b_np = RNG.normal(size=(N, 6)), RNG.normal(size=(N, 6))
    q = np_axis_angle(*random_rotations(N))
    p = RNG.normal(size=(N, 3))
    r_np = RNG.normal(size=(N, 3))
    m1_np, m2_np = RNG.normal(size=(N, 3, 3)), RNG.normal(size=(N, 3, 3))
    arr = lambda x, t: wp.array(x.astype(npt), dtype=t, device=device)  # noqa: E731
    outsv = wp.zeros((N, 4), dtype=T["sv"], device=device)
    outv = wp.zeros((N, 3), dtype=T["vec3"], device=device)
    outs = wp.zeros(N, dtype=dtype, device=device)
    outm = wp.zeros(N, dtype=T["sm"], device=device)
    wp.launch(spatial_kernel, dim=N, inputs=[
        arr(a_np, T["sv"]), arr(b_np, T["sv"]), arr(np.concatenate([p, q], 1), T["transform"]),
        arr(r_np, T["vec3"]), arr(m1_np, T["mat33"]), arr(m2_np, T["mat33"]), outsv, outv,
        outs, outm], device=device)
    gsv, gv = outsv.numpy(), outv.numpy()
    tol = 10 * _tol(dtype)
    wa, va, wb, vb = a_np[:, :3], a_np[:, 3:], b_np[:, :3], b_np[:, 3:]
    cr = np.cross
    np.testing.assert_allclose(gsv[:, 0], np.concatenate([cr(wa, wb), cr(va, wb) + cr(wa, vb)],
                                                         1), atol=tol)
    np.testing.assert_allclose(gsv[:, 1], np.concatenate([cr(wa, wb) + cr(va, vb),
                                                          cr(wa, vb)], 1), atol=tol)
    R = np_qmat(q)
    Rw, Rv = np.einsum("nij,nj->ni", R, wa), np.einsum("nij,nj->ni", R, va)
    np.testing.assert_allclose(gsv[:, 2], np.concatenate([Rw, Rv + cr(p, Rw)], 1), atol=tol)
    # the twist map is spatial_adjoint(R, skew(p) R) applied to the twist
    skew = np.array([[[0, -z, y], [z, 0, -x], [-y, x, 0]] for x, y, z in p])
    adj = np.zeros((N, 6, 6))
    adj[:, :3, :3] = adj[:, 3:, 3:] = R
    adj[:, 3:, :3] = skew @ R
    np.testing.assert_allclose(gsv[:, 2], np.einsum("nij,nj->ni", adj, a_np), atol=tol)
    Rt, Rf = np.einsum("nij,nj->ni", R, wb), np.einsum("nij,nj->ni", R, vb)
    np.testing.assert_allclose(gsv[:, 3], np.concatenate([Rt + cr(p, Rf), Rf], 1), atol=tol)
    np.testing.assert_allclose(gv[:, 0], wa, atol=tol)
    np.testing.assert_allclose(gv[:, 1], va, atol=tol)
    np.testing.assert_allclose(gv[:, 2], va + cr(wa, r_np), atol=tol)
    np.testing.assert_allclose(outs.numpy(), np.einsum("ni,ni->n", a_np, b_np), atol=tol)
    expect = np.zeros((N, 6, 6))
    expect[:, :3, :3] = expect[:, 3:, 3:] = m1_np
    expect[:, 3:, :3] = m2_np
    np.testing.assert_allclose(outm.numpy(), expect, atol=tol)


# ---------------------------------------------------------------------------------------
# Python scope
# ---------------------------------------------------------------------------------------


def test_python_scope():
    q = wp.quat_from_axis_angle(wp.vec3(0.0, 0.0, 1.0), np.pi / 2)
    assert type(q) is wp.quatf
    np.testing.assert_allclose(wp.quat_rotate(q, wp.vec3(1.0, 0.0, 0.0)), [0, 1, 0], atol=1e-6)
    np.testing.assert_allclose(wp.quat_rotate_inv(q, wp.vec3(1.0, 0.0, 0.0)), [0, -1, 0],
                               atol=1e-6)
    assert type(wp.quat_identity(dtype=wp.float64)) is wp.quatd
    assert type(wp.quat_rpy(0.1, 0.2, 0.3)) is wp.quatf
    assert wp.quaternion(dtype=wp.float64) is wp.quatd
    assert wp.transformation(dtype=wp.float64) is wp.transformd
    m = wp.quat_to_matrix(q)
    assert type(m) is wp.mat33f
    assert_same_rotation(np.asarray(wp.quat_from_matrix(m)), np.asarray(q), 1e-6)
    axis, angle = wp.quat_to_axis_angle(q)
    np.testing.assert_allclose(axis, [0, 0, 1])
    assert abs(angle - np.pi / 2) < 1e-6
    # Warp's doc example: roll pi/2 then yaw pi/2 maps (1, 2, 3) to (3, 1, 2)
    r = wp.quat_rotate(wp.quat_rpy(np.pi / 2, 0.0, np.pi / 2), wp.vec3(1.0, 2.0, 3.0))
    np.testing.assert_allclose(r, [3, 1, 2], atol=1e-5)

    t = wp.transformation(wp.vec3(1.0, 2.0, 3.0), q)
    assert type(t) is wp.transformf
    np.testing.assert_allclose(wp.transform_point(t, wp.vec3(1.0, 0.0, 0.0)), [1, 3, 3],
                               atol=1e-6)
    np.testing.assert_allclose(wp.transform_vector(t, wp.vec3(1.0, 0.0, 0.0)), [0, 1, 0],
                               atol=1e-6)
    np.testing.assert_allclose(wp.transform_multiply(t, wp.transform_inverse(t)),
                               [0, 0, 0, 0, 0, 0, 1], atol=1e-6)
    t2 = wp.transform_identity()
    assert wp.transform_set_translation(t2, wp.vec3(5.0, 6.0, 7.0)) is None  # in place
    wp.transform_set_rotation(t2, q)
    np.testing.assert_allclose(t2, [5, 6, 7, *np.asarray(q)])
    # Warp's doc examples for the spatial builtins
    a = wp.spatial_vector(0.0, 0.0, 1.0, 0.0, 0.0, 0.0)
    b = wp.spatial_vector(0.0, 0.0, 0.0, 1.0, 0.0, 0.0)
    np.testing.assert_array_equal(wp.spatial_cross(a, b), [0, 0, 0, 0, 1, 0])
    np.testing.assert_array_equal(
        wp.spatial_cross_dual(wp.spatial_vector(0.0, 0.0, 1.0, 1.0, 0.0, 0.0),
                              wp.spatial_vector(0.0, 0.0, 0.0, 0.0, 1.0, 0.0)),
        [0, 0, 1, -1, 0, 0])
    assert wp.spatial_dot(a, a) == 1.0
    np.testing.assert_array_equal(wp.velocity_at_point(a, wp.vec3(1.0, 0.0, 0.0)), [0, 1, 0])


def test_transform_p_and_q_at_python_scope():
    # Warp's transform classes have p (a vec3) and q (a quaternion) at Python scope too
    t = wp.transform(wp.vec3(1.0, 2.0, 3.0), wp.quat_identity())
    assert isinstance(t.p, wp.vec3) and list(t.p) == [1.0, 2.0, 3.0]
    assert isinstance(t.q, wp.quat) and list(t.q) == [0.0, 0.0, 0.0, 1.0]
    t.p = wp.vec3(4.0, 5.0, 6.0)
    t.q = wp.quat(0.0, 0.0, 1.0, 0.0)
    assert list(t) == [4.0, 5.0, 6.0, 0.0, 0.0, 1.0, 0.0]
    assert isinstance(wp.transformd().p, wp.vec3d)


def test_python_scope_keeps_numpy_float64_arguments_in_float64():
    """A NumPy float64 is a Python float subclass: Python scope rounded it to float32 like a
    plain Python float (found by the kernel fuzzer, comparing with Python mode)."""
    q = wp.quat_from_axis_angle(wp.vec3d(0.0, 0.0, 1.0), np.float64(0.77))
    assert q[3] == math.cos(0.385)
    assert wp.quat_from_axis_angle(wp.vec3(0.0, 0.0, 1.0), 0.77)[3] == \
        np.float32(math.cos(np.float32(0.77) * np.float32(0.5)))
