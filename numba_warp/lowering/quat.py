"""Warp's "Quaternion Math" builtins for building quaternions, rotating vectors and
converting to and from matrices, for kernels, plain Numba code and Python scope (Euler
angles, interpolation and swing-twist are in ``quat_angles``).

Contract:

* Quaternions are ``VecType`` values of kind ``"quaternion"`` stored ``(x, y, z, w)``
  (``w`` is the real part), as in Warp. Every builtin works for any float dtype; the
  result has the dtype of the quaternion/vector/matrix argument, scalars are cast to it
  (float literals stay in that precision). Builtins that only take scalars return
  float32 unless the scalars are float64 (or a ``dtype=`` is given).
* Each builtin is one block in ``builtin``'s declaration form: a Python function, its
  Numba implementation (``@implements``: CPU and CUDA) and its adjoint rule. At Python
  scope the function runs that same implementation through a cached ``numba.njit``
  dispatcher (``builtin.python_scope``), so both scopes share one implementation.
  Python floats passed at Python scope are float32, like Warp's default ``float``.
* Semantics follow Warp's documentation: ``quat_inverse`` is the conjugate (unit
  quaternions); ``quat_rotate(q, v)`` is ``q v q^-1``; ``quat_to_matrix(q) @ v ==
  quat_rotate(q, v)``; ``quat_to_axis_angle`` returns ``(axis, angle)`` with angle in
  [0, pi].
* The adjoint rules differentiate the formulas implemented here as written (they do not
  assume unit quaternions unless a comment says so), so they agree with central
  differences of the forward code. ``quaternion(...)`` is a constructor (all its forms
  are concatenations or conversions); ``q * r`` of two quaternions has its product rule
  here (``MUL_RULES``).
"""

from __future__ import annotations

import math

from ..typing.scalars import to_numba_type
from ..typing.vec import VecType
from .builtin import (
    absent,
    adjoint,
    constructor,
    dtype_arg,
    implements,
    is_mat_shape,
    is_number,
    is_quat,
    is_vec3,
    mcls,
    nondifferentiable,
    python_scope,
    vcls,
)
from .kernel_helpers import store
from .registry import MUL_RULES
from .vector_math import cross, dot

__all__ = [
    "quaternion", "quat_identity", "quat_from_axis_angle", "quat_to_axis_angle",
    "quat_inverse", "quat_rotate", "quat_rotate_inv", "quat_to_matrix", "quat_from_matrix",
]


# ---------------------------------------------------------------------------------------
# Construction
# ---------------------------------------------------------------------------------------


def quaternion(x=None, y=None, z=None, w=None, dtype=None):
    """A quaternion: ``quaternion(x, y, z, w)``, ``quaternion(ijk: vec3, real)``,
    ``quaternion(q)`` (dtype conversion) or ``quaternion(dtype=...)`` (zero).

    At Python scope, ``quaternion(dtype=wp.float64)`` with no components returns the
    quaternion *type* (``wp.quatd``), as Warp's type constructor does.

    Example
    -------
    >>> print(wp.quaternion(wp.vec3(1.0, 2.0, 3.0), 4.0))  # (ijk, real)
    [1.0, 2.0, 3.0, 4.0]
    >>> wp.quaternion(1.0, 2.0, 3.0, 4.0, dtype=wp.float64)
    quatd(1.0, 2.0, 3.0, 4.0)
    >>> wp.quaternion(dtype=wp.float64) is wp.quatd
    True
    """
    if x is None:
        return vcls(4, to_numba_type(dtype if dtype is not None else float), "quaternion")
    return python_scope(quaternion, x, y, z, w, dtype)


@implements(quaternion)
def _ol_quaternion(x=None, y=None, z=None, w=None, dtype=None):
    if absent(x):
        Q = vcls(4, dtype_arg(dtype), "quaternion")
        return lambda x=None, y=None, z=None, w=None, dtype=None: Q()
    if isinstance(x, VecType) and absent(y):
        if x.kind != "quaternion":
            raise TypeError(f"quaternion() converts a quaternion, got {x}")
        Q = vcls(4, x.dtype if absent(dtype) else dtype_arg(dtype), "quaternion")
        return lambda x=None, y=None, z=None, w=None, dtype=None: Q(x)
    if is_vec3(x) and is_number(y) and absent(z) and absent(w):
        Q = vcls(4, x.dtype if absent(dtype) else dtype_arg(dtype), "quaternion")
        return lambda x=None, y=None, z=None, w=None, dtype=None: Q(x, y)
    if all(is_number(t) for t in (x, y, z, w)):
        Q = vcls(4, dtype_arg(dtype, x, y, z, w), "quaternion")
        return lambda x=None, y=None, z=None, w=None, dtype=None: Q(x, y, z, w)
    raise TypeError(f"quaternion() takes (x, y, z, w), (ijk: vec3, real) or a quaternion, "
                    f"got ({x}, {y}, {z}, {w})")


constructor(quaternion)


def quat_identity(dtype=None):
    """The identity rotation ``(0, 0, 0, 1)``.

    Example
    -------
    >>> wp.quat_identity()
    quatf(0.0, 0.0, 0.0, 1.0)
    >>> wp.quat_identity(dtype=wp.float64)
    quatd(0.0, 0.0, 0.0, 1.0)
    """
    return python_scope(quat_identity, dtype)


@implements(quat_identity)
def _ol_quat_identity(dtype=None):
    Q = vcls(4, dtype_arg(dtype), "quaternion")
    return lambda dtype=None: Q(0.0, 0.0, 0.0, 1.0)


nondifferentiable(quat_identity)


def quat_from_axis_angle(axis, angle):
    """Rotation of ``angle`` radians about the unit vector ``axis``:
    ``(axis * sin(angle / 2), cos(angle / 2))``.

    Example
    -------
    >>> q = wp.quat_from_axis_angle(wp.vec3(0.0, 0.0, 1.0), 0.5 * wp.pi)  # 90 degrees about z
    >>> print(np.round(np.array(q), 4))
    [0.     0.     0.7071 0.7071]
    """
    return python_scope(quat_from_axis_angle, axis, angle)


@implements(quat_from_axis_angle)
def _ol_quat_from_axis_angle(axis, angle):
    if is_vec3(axis) and is_number(angle):
        ft = axis.dtype
        Q = vcls(4, ft, "quaternion")

        def impl(axis, angle):
            half = ft(angle) * ft(0.5)
            s = ft(math.sin(half))
            return Q(axis[0] * s, axis[1] * s, axis[2] * s, ft(math.cos(half)))

        return impl


@adjoint(quat_from_axis_angle, typed=True)
def adj_quat_from_axis_angle(axis, angle, ret, adj_ret):
    ft = axis.dtype
    V = vcls(3, ft)

    def impl(axis, angle, ret, adj_ret):
        half = ft(angle) * ft(0.5)
        s, c = ft(math.sin(half)), ft(math.cos(half))
        g = V(adj_ret[0], adj_ret[1], adj_ret[2])
        return g * s, ft(0.5) * (c * dot(axis, g) - s * adj_ret[3])

    return impl


def quat_to_axis_angle(quat):
    """``(axis, angle)`` of the rotation ``quat`` (angle in [0, pi]); the axis is
    (1, 0, 0) when the angle is zero.

    Example
    -------
    >>> q = wp.quat_from_axis_angle(wp.vec3(0.0, 1.0, 0.0), 1.25)
    >>> axis, angle = wp.quat_to_axis_angle(q)
    >>> print(np.round(np.array(axis), 4), round(float(angle), 4))
    [0. 1. 0.] 1.25
    """
    return python_scope(quat_to_axis_angle, quat)


@implements(quat_to_axis_angle)
def _ol_quat_to_axis_angle(quat):
    if is_quat(quat):
        ft = quat.dtype
        V = vcls(3, ft)

        def impl(quat):
            q = -quat if quat[3] < ft(0.0) else quat
            s = ft(math.sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2]))
            angle = ft(2.0) * ft(math.atan2(s, q[3]))
            if s > ft(0.0):
                return V(q[0] / s, q[1] / s, q[2] / s), angle
            return V(1.0, 0.0, 0.0), angle

        return impl


@adjoint(quat_to_axis_angle, typed=True)
def adj_quat_to_axis_angle(quat, ret, adj_ret):
    ft = quat.dtype
    Q, V = vcls(4, ft, "quaternion"), vcls(3, ft)

    def impl(quat, ret, adj_ret):
        sg = ft(-1.0) if quat[3] < ft(0.0) else ft(1.0)
        u = V(quat[0], quat[1], quat[2]) * sg
        w = quat[3] * sg
        g_axis, g_angle = adj_ret
        s = ft(math.sqrt(dot(u, u)))
        if s == ft(0.0):  # the axis is a constant there and |u| has a kink: zero gradient
            return (Q(),)
        axis = u / s
        # angle = 2 atan2(s, w); axis = u / s
        d = ft(2.0) * g_angle / (s * s + w * w)
        adj_u = axis * (d * w) + (g_axis - axis * dot(axis, g_axis)) / s
        return (Q(adj_u, -d * s) * sg,)

    return impl


def quat_inverse(quat):
    """The inverse of a unit quaternion: its conjugate ``(-x, -y, -z, w)``.

    Example
    -------
    >>> print(wp.quat_inverse(wp.quat(1.0, 2.0, 3.0, 4.0)))
    [-1.0, -2.0, -3.0, 4.0]
    >>> q = wp.quat_from_axis_angle(wp.vec3(1.0, 0.0, 0.0), 0.3)
    >>> print(np.round(np.array(q * wp.quat_inverse(q)), 4))  # the identity
    [0. 0. 0. 1.]
    """
    return python_scope(quat_inverse, quat)


@implements(quat_inverse)
def _ol_quat_inverse(quat):
    if is_quat(quat):
        Q = vcls(4, quat.dtype, "quaternion")
        z = quat.dtype(0.0)
        return lambda quat: Q(z - quat[0], z - quat[1], z - quat[2], quat[3])


@adjoint(quat_inverse)
def adj_quat_inverse(quat, ret, adj_ret):
    return (quat_inverse(adj_ret),)


def _adj_quat_mul(a, b, ret, adj_ret):
    # r = L(a) b = R(b) a with L(a)^T = L(conj a), R(b)^T = R(conj b)
    return adj_ret * quat_inverse(b), quat_inverse(a) * adj_ret


MUL_RULES[("quaternion", "quaternion")] = _adj_quat_mul


# ---------------------------------------------------------------------------------------
# Rotating vectors, matrices
# ---------------------------------------------------------------------------------------


def _rotate_impl(V, ft, sign):
    """``v' = v (2w^2 - 1) + 2w (u x v) + 2u (u . v)`` with ``u = sign * q.xyz``."""

    def impl(quat, vec):
        w = quat[3]
        ux, uy, uz = quat[0] * sign, quat[1] * sign, quat[2] * sign
        vx, vy, vz = vec[0], vec[1], vec[2]
        a = ft(2.0) * w * w - ft(1.0)
        b = ft(2.0) * w
        c = ft(2.0) * (ux * vx + uy * vy + uz * vz)
        return V(vx * a + (uy * vz - uz * vy) * b + ux * c,
                 vy * a + (uz * vx - ux * vz) * b + uy * c,
                 vz * a + (ux * vy - uy * vx) * b + uz * c)

    return impl


def quat_rotate(quat, vec):
    """Rotate ``vec`` by the unit quaternion ``quat``.

    Example
    -------
    >>> q = wp.quat_from_axis_angle(wp.vec3(0.0, 0.0, 1.0), 0.5 * wp.pi)
    >>> print(np.round(np.array(wp.quat_rotate(q, wp.vec3(1.0, 0.0, 0.0))), 4) + 0.0)
    [0. 1. 0.]
    """
    return python_scope(quat_rotate, quat, vec)


def quat_rotate_inv(quat, vec):
    """Rotate ``vec`` by the inverse of the unit quaternion ``quat``.

    Example
    -------
    >>> q = wp.quat_from_axis_angle(wp.vec3(0.0, 0.0, 1.0), 0.5 * wp.pi)
    >>> print(np.round(np.array(wp.quat_rotate_inv(q, wp.vec3(0.0, 1.0, 0.0))), 4) + 0.0)
    [1. 0. 0.]
    """
    return python_scope(quat_rotate_inv, quat, vec)


for _fn, _sign in ((quat_rotate, 1.0), (quat_rotate_inv, -1.0)):

    def _register(fn=_fn, sign=_sign):
        @implements(fn)
        def _ol(quat, vec):
            if is_quat(quat) and is_vec3(vec) and quat.dtype == vec.dtype:
                ft = quat.dtype
                return _rotate_impl(vcls(3, ft), ft, ft(sign))

    _register()


def rotate_adj(quat, vec, g, sign):
    """``(adj_quat, adj_vec)`` of ``_rotate_impl``'s formula for the result adjoint ``g``
    (``sign`` 1 for quat_rotate, -1 for quat_rotate_inv)."""


@implements(rotate_adj)
def _ol_rotate_adj(quat, vec, g, sign):
    ft = quat.dtype
    Q, V = vcls(4, ft, "quaternion"), vcls(3, ft)

    def impl(quat, vec, g, sign):
        s = ft(sign)
        w = quat[3]
        u = V(quat[0] * s, quat[1] * s, quat[2] * s)
        v = V(vec[0], vec[1], vec[2])
        gg = V(g[0], g[1], g[2])
        two = ft(2.0)
        uv, ug = dot(u, v), dot(u, gg)
        vxg = cross(v, gg)
        # r = v (2w^2 - 1) + 2w (u x v) + 2u (u . v); g . (u x v) = u . (v x g)
        adj_w = ft(4.0) * w * dot(gg, v) + two * dot(u, vxg)
        adj_u = (vxg * w + gg * uv + v * ug) * (two * s)
        adj_v = gg * (two * w * w - ft(1.0)) + cross(gg, u) * (two * w) + u * (two * ug)
        return Q(adj_u, adj_w), adj_v

    return impl


@adjoint(quat_rotate)
def adj_quat_rotate(quat, vec, ret, adj_ret):
    return rotate_adj(quat, vec, adj_ret, 1.0)


@adjoint(quat_rotate_inv)
def adj_quat_rotate_inv(quat, vec, ret, adj_ret):
    return rotate_adj(quat, vec, adj_ret, -1.0)


def quat_to_matrix(quat):
    """The 3x3 rotation matrix ``m`` with ``m @ v == quat_rotate(quat, v)``.

    Example
    -------
    >>> q = wp.quat_from_axis_angle(wp.vec3(0.0, 0.0, 1.0), 0.5 * wp.pi)
    >>> print(np.round(np.array(wp.quat_to_matrix(q)), 4) + 0.0)  # (+ 0.0: no -0.)
    [[ 0. -1.  0.]
     [ 1.  0.  0.]
     [ 0.  0.  1.]]
    """
    return python_scope(quat_to_matrix, quat)


@implements(quat_to_matrix)
def _ol_quat_to_matrix(quat):
    if is_quat(quat):
        ft = quat.dtype
        M = mcls(3, 3, ft)

        def impl(quat):
            x, y, z, w = quat[0], quat[1], quat[2], quat[3]
            d = ft(2.0) * w * w - ft(1.0)
            t = ft(2.0)
            return M(d + t * x * x, t * (x * y - w * z), t * (x * z + w * y),
                     t * (x * y + w * z), d + t * y * y, t * (y * z - w * x),
                     t * (x * z - w * y), t * (y * z + w * x), d + t * z * z)

        return impl


@adjoint(quat_to_matrix, typed=True)
def adj_quat_to_matrix(quat, ret, adj_ret):
    ft = quat.dtype
    Q = vcls(4, ft, "quaternion")

    def impl(quat, ret, adj_ret):
        x, y, z, w = quat[0], quat[1], quat[2], quat[3]
        G = adj_ret
        t, f = ft(2.0), ft(4.0)
        return (Q(f * x * G[0, 0] + t * (y * (G[0, 1] + G[1, 0]) + z * (G[0, 2] + G[2, 0])
                                         + w * (G[2, 1] - G[1, 2])),
                  f * y * G[1, 1] + t * (x * (G[0, 1] + G[1, 0]) + z * (G[1, 2] + G[2, 1])
                                         + w * (G[0, 2] - G[2, 0])),
                  f * z * G[2, 2] + t * (x * (G[0, 2] + G[2, 0]) + y * (G[1, 2] + G[2, 1])
                                         + w * (G[1, 0] - G[0, 1])),
                  f * w * (G[0, 0] + G[1, 1] + G[2, 2])
                  + t * (x * (G[2, 1] - G[1, 2]) + y * (G[0, 2] - G[2, 0])
                         + z * (G[1, 0] - G[0, 1]))),)

    return impl


def quat_from_matrix(mat):
    """The unit quaternion of a rotation matrix (3x3, or the top-left block of a 4x4).

    Example
    -------
    >>> m = wp.mat33(0.0, -1.0, 0.0,
    ...              1.0, 0.0, 0.0,
    ...              0.0, 0.0, 1.0)  # 90 degrees about z
    >>> print(np.round(np.array(wp.quat_from_matrix(m)), 4))
    [0.     0.     0.7071 0.7071]
    """
    return python_scope(quat_from_matrix, mat)


@implements(quat_from_matrix)
def _ol_quat_from_matrix(mat):
    if is_mat_shape(mat, 3, 3) or is_mat_shape(mat, 4, 4):
        ft = mat.dtype
        Q = vcls(4, ft, "quaternion")

        def impl(mat):
            m00, m01, m02 = mat[0, 0], mat[0, 1], mat[0, 2]
            m10, m11, m12 = mat[1, 0], mat[1, 1], mat[1, 2]
            m20, m21, m22 = mat[2, 0], mat[2, 1], mat[2, 2]
            tr = m00 + m11 + m22
            if tr > ft(0.0):  # Shepperd: divide by the largest of 4w^2, 4x^2, 4y^2, 4z^2
                s = ft(2.0) * ft(math.sqrt(tr + ft(1.0)))
                q = Q(m21 - m12, m02 - m20, m10 - m01, s * s * ft(0.25)) / s
            elif m00 > m11 and m00 > m22:
                s = ft(2.0) * ft(math.sqrt(ft(1.0) + m00 - m11 - m22))
                q = Q(s * s * ft(0.25), m01 + m10, m02 + m20, m21 - m12) / s
            elif m11 > m22:
                s = ft(2.0) * ft(math.sqrt(ft(1.0) + m11 - m00 - m22))
                q = Q(m01 + m10, s * s * ft(0.25), m12 + m21, m02 - m20) / s
            else:
                s = ft(2.0) * ft(math.sqrt(ft(1.0) + m22 - m00 - m11))
                q = Q(m02 + m20, m12 + m21, s * s * ft(0.25), m10 - m01) / s
            n = ft(math.sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]))
            return q / n

        return impl


def from_matrix_adj(mat, g):
    """The adjoint (3x3) of the upper 3x3 block of ``mat`` in ``quat_from_matrix(mat)``
    for the result adjoint ``g``."""


@implements(from_matrix_adj)
def _ol_from_matrix_adj(mat, g):
    ft = mat.dtype
    Q, M = vcls(4, ft, "quaternion"), mcls(3, 3, ft)

    def impl(mat, g):
        m00, m01, m02 = mat[0, 0], mat[0, 1], mat[0, 2]
        m10, m11, m12 = mat[1, 0], mat[1, 1], mat[1, 2]
        m20, m21, m22 = mat[2, 0], mat[2, 1], mat[2, 2]
        one = ft(1.0)
        tr = m00 + m11 + m22
        # each branch gives q = P / |P| (its division by s > 0 cancels in the normalization)
        branch = 0 if tr > ft(0.0) else (1 if m00 > m11 and m00 > m22 else
                                          (2 if m11 > m22 else 3))
        if branch == 0:
            p = Q(m21 - m12, m02 - m20, m10 - m01, tr + one)
        elif branch == 1:
            p = Q(one + m00 - m11 - m22, m01 + m10, m02 + m20, m21 - m12)
        elif branch == 2:
            p = Q(m01 + m10, one + m11 - m00 - m22, m12 + m21, m02 - m20)
        else:
            p = Q(m02 + m20, m12 + m21, one + m22 - m00 - m11, m10 - m01)
        n = ft(math.sqrt(dot(p, p)))
        q = p / n
        a = (g - q * dot(q, g)) / n  # adjoint of p
        if branch == 0:
            d, o0, o1, o2 = a[3], a[0], a[1], a[2]
            return M(d, -o2, o1, o2, d, -o0, -o1, o0, d)
        if branch == 1:
            d, s01, s02 = a[0], a[1], a[2]
            return M(d, s01, s02, s01, -d, -a[3], s02, a[3], -d)
        if branch == 2:
            d = a[1]
            return M(-d, a[0], a[3], a[0], d, a[2], -a[3], a[2], -d)
        d = a[2]
        return M(-d, -a[3], a[0], a[3], -d, a[1], a[0], a[1], d)

    return impl


@adjoint(quat_from_matrix, typed=True)
def adj_quat_from_matrix(mat, ret, adj_ret):
    if is_mat_shape(mat, 3, 3):
        return lambda mat, ret, adj_ret: (from_matrix_adj(mat, adj_ret),)
    M = mcls(4, 4, mat.dtype)

    def impl(mat, ret, adj_ret):
        a = from_matrix_adj(mat, adj_ret)
        out = M()
        for i in range(3):
            for j in range(3):
                out = store(out, (i, j), a[i, j])
        return (out,)

    return impl
