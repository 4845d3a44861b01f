"""Warp's "Quaternion Math" builtins, for kernels, plain Numba code and Python scope.

Contract:

* Quaternions are ``VecType`` values of kind ``"quaternion"`` stored ``(x, y, z, w)``
  (``w`` is the real part), as in Warp. Every builtin works for any float dtype; the
  result has the dtype of the quaternion/vector/matrix argument, scalars are cast to it
  (float literals stay in that precision). Builtins that only take scalars return
  float32 unless the scalars are float64 (or a ``dtype=`` is given).
* Each builtin is one block: a Python function and, right below it, its Numba
  ``@overload`` (target "generic": CPU and CUDA). At Python scope the function runs that
  same overload through a cached ``numba.njit`` dispatcher (:func:`python_scope`), so
  both scopes share one implementation. Python floats passed at Python scope are
  float32, like Warp's default ``float``.
* Semantics follow Warp's documentation: ``quat_inverse`` is the conjugate (unit
  quaternions); ``quat_rotate(q, v)`` is ``q v q^-1``; ``quat_to_matrix(q) @ v ==
  quat_rotate(q, v)``; ``quat_rpy(r, p, y) == qz(y) * qy(p) * qx(r)``;
  ``quat_from_euler(e, i, j, k) == qk(e[k]) * qj(e[j]) * qi(e[i])`` (fixed axes, angles
  indexed by axis); ``quat_to_axis_angle`` returns ``(axis, angle)`` with angle in
  [0, pi]; ``quat_slerp`` follows the shortest arc and normalizes ``b``; the twist
  builtins use the swing-twist decomposition about a unit axis.

The helpers at the top (type tests, class lookup, :func:`python_scope`) are shared by
``transform.py`` and ``spatial.py``.
"""

from __future__ import annotations

import math

import numpy as np
from numba.core import types
from numba.extending import overload

from ..typing.mat import MatType, MatrixValue, matrix_class
from ..typing.scalars import ScalarType, WeakFloat, to_numba_type
from ..typing.vec import VecType, VectorValue, vector_class

__all__ = [
    "quaternion", "quat_identity", "quat_from_axis_angle", "quat_to_axis_angle",
    "quat_inverse", "quat_rotate", "quat_rotate_inv", "quat_to_matrix", "quat_from_matrix",
    "quat_rpy", "quat_to_rpy", "quat_from_euler", "quat_to_euler", "quat_slerp",
    "quat_twist", "quat_twist_angle", "quat_twist_angle_signed",
]

JIT = {"error_model": "numpy"}

# ---------------------------------------------------------------------------------------
# Shared helpers
# ---------------------------------------------------------------------------------------


def absent(t) -> bool:
    """True for an omitted optional argument (or an explicit None)."""
    return t is None or isinstance(t, (types.Omitted, types.NoneType))


def is_kind(t, kind: str, n: int | None = None) -> bool:
    """A float vector-family type of ``kind`` (and ``n`` components if given)."""
    return (isinstance(t, VecType) and t.kind == kind and isinstance(t.dtype, types.Float)
            and (n is None or t.length == n))


def is_vec3(t) -> bool:
    return is_kind(t, "vector", 3)


def is_quat(t) -> bool:
    return is_kind(t, "quaternion", 4)


def is_mat(t, r: int, c: int) -> bool:
    return isinstance(t, MatType) and t.shape == (r, c) and isinstance(t.dtype, types.Float)


def is_real(t) -> bool:
    return isinstance(t, (types.Integer, types.Float)) and not isinstance(t, types.Boolean)


def vcls(n: int, dtype, kind: str = "vector"):
    """The Python class of a vector-family type (usable as a constructor in kernels)."""
    return vector_class(n, dtype, kind)


def mcls(r: int, c: int, dtype, kind: str = "matrix"):
    return matrix_class((r, c), dtype, kind)


def dtype_arg(dtype, *scalars):
    """The float dtype requested by a ``dtype=`` argument or implied by scalar arguments.

    Default float32; float64 scalars give float64; weak literals and ints give float32.
    """
    if not absent(dtype):
        if isinstance(dtype, types.NumberClass):
            return dtype.instance_type
        raise TypeError(f"dtype must be a float scalar type, got {dtype}")
    for s in scalars:
        if isinstance(s, types.Float) and not isinstance(s, WeakFloat) and s.bitwidth == 64:
            return types.float64
    return types.float32


_DISPATCHERS: dict = {}


def _py_arg(a):
    if isinstance(a, bool) or isinstance(a, (VectorValue, MatrixValue)):
        return a
    if isinstance(a, float):
        return np.float32(a)
    if isinstance(a, type) and not isinstance(a, ScalarType):
        nbt = to_numba_type(a)
        from ..typing.scalars import scalar_class_for

        return scalar_class_for(nbt) if nbt is not None else a
    return a


def python_scope(fn, *args):
    """Call builtin ``fn`` at Python scope by running its Numba overload (njit, cached)."""
    disp = _DISPATCHERS.get(fn)
    if disp is None:
        from numba import njit

        def call(*a):
            return fn(*a)

        disp = _DISPATCHERS[fn] = njit(call, **JIT)
    return disp(*[_py_arg(a) for a in args])


# ---------------------------------------------------------------------------------------
# Construction
# ---------------------------------------------------------------------------------------


def quaternion(x=None, y=None, z=None, w=None, dtype=None):
    """A quaternion: ``quaternion(x, y, z, w)``, ``quaternion(ijk: vec3, real)``,
    ``quaternion(q)`` (dtype conversion) or ``quaternion(dtype=...)`` (zero).

    At Python scope, ``quaternion(dtype=wp.float64)`` with no components returns the
    quaternion *type* (``wp.quatd``), as Warp's type constructor does.
    """
    if x is None:
        return vcls(4, to_numba_type(dtype if dtype is not None else float), "quaternion")
    return python_scope(quaternion, x, y, z, w, dtype)


@overload(quaternion, target="generic", jit_options=JIT)
def _ol_quaternion(x=None, y=None, z=None, w=None, dtype=None):
    if absent(x):
        Q = vcls(4, dtype_arg(dtype), "quaternion")
        return lambda x=None, y=None, z=None, w=None, dtype=None: Q()
    if isinstance(x, VecType) and absent(y):
        if x.kind != "quaternion":
            raise TypeError(f"quaternion() converts a quaternion, got {x}")
        Q = vcls(4, x.dtype if absent(dtype) else dtype_arg(dtype), "quaternion")
        return lambda x=None, y=None, z=None, w=None, dtype=None: Q(x)
    if is_vec3(x) and is_real(y) and absent(z) and absent(w):
        Q = vcls(4, x.dtype if absent(dtype) else dtype_arg(dtype), "quaternion")
        return lambda x=None, y=None, z=None, w=None, dtype=None: Q(x, y)
    if all(is_real(t) for t in (x, y, z, w)):
        Q = vcls(4, dtype_arg(dtype, x, y, z, w), "quaternion")
        return lambda x=None, y=None, z=None, w=None, dtype=None: Q(x, y, z, w)
    raise TypeError(f"quaternion() takes (x, y, z, w), (ijk: vec3, real) or a quaternion, "
                    f"got ({x}, {y}, {z}, {w})")


def quat_identity(dtype=None):
    """The identity rotation ``(0, 0, 0, 1)``."""
    return python_scope(quat_identity, dtype)


@overload(quat_identity, target="generic", jit_options=JIT)
def _ol_quat_identity(dtype=None):
    Q = vcls(4, dtype_arg(dtype), "quaternion")
    return lambda dtype=None: Q(0.0, 0.0, 0.0, 1.0)


def quat_from_axis_angle(axis, angle):
    """Rotation of ``angle`` radians about the unit vector ``axis``:
    ``(axis * sin(angle / 2), cos(angle / 2))``."""
    return python_scope(quat_from_axis_angle, axis, angle)


@overload(quat_from_axis_angle, target="generic", jit_options=JIT)
def _ol_quat_from_axis_angle(axis, angle):
    if is_vec3(axis) and is_real(angle):
        ft = axis.dtype
        Q = vcls(4, ft, "quaternion")

        def impl(axis, angle):
            half = ft(angle) * ft(0.5)
            s = ft(math.sin(half))
            return Q(axis[0] * s, axis[1] * s, axis[2] * s, ft(math.cos(half)))

        return impl


def quat_to_axis_angle(quat):
    """``(axis, angle)`` of the rotation ``quat`` (angle in [0, pi]); the axis is
    (1, 0, 0) when the angle is zero."""
    return python_scope(quat_to_axis_angle, quat)


@overload(quat_to_axis_angle, target="generic", jit_options=JIT)
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


def quat_inverse(quat):
    """The inverse of a unit quaternion: its conjugate ``(-x, -y, -z, w)``."""
    return python_scope(quat_inverse, quat)


@overload(quat_inverse, target="generic", jit_options=JIT)
def _ol_quat_inverse(quat):
    if is_quat(quat):
        Q = vcls(4, quat.dtype, "quaternion")
        z = quat.dtype(0.0)
        return lambda quat: Q(z - quat[0], z - quat[1], z - quat[2], quat[3])


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
    """Rotate ``vec`` by the unit quaternion ``quat``."""
    return python_scope(quat_rotate, quat, vec)


def quat_rotate_inv(quat, vec):
    """Rotate ``vec`` by the inverse of the unit quaternion ``quat``."""
    return python_scope(quat_rotate_inv, quat, vec)


for _fn, _sign in ((quat_rotate, 1.0), (quat_rotate_inv, -1.0)):

    def _register(fn=_fn, sign=_sign):
        @overload(fn, target="generic", jit_options=JIT)
        def _ol(quat, vec):
            if is_quat(quat) and is_vec3(vec) and quat.dtype == vec.dtype:
                ft = quat.dtype
                return _rotate_impl(vcls(3, ft), ft, ft(sign))

    _register()


def quat_to_matrix(quat):
    """The 3x3 rotation matrix ``m`` with ``m @ v == quat_rotate(quat, v)``."""
    return python_scope(quat_to_matrix, quat)


@overload(quat_to_matrix, target="generic", jit_options=JIT)
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


def quat_from_matrix(mat):
    """The unit quaternion of a rotation matrix (3x3, or the top-left block of a 4x4)."""
    return python_scope(quat_from_matrix, mat)


@overload(quat_from_matrix, target="generic", jit_options=JIT)
def _ol_quat_from_matrix(mat):
    if is_mat(mat, 3, 3) or is_mat(mat, 4, 4):
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


# ---------------------------------------------------------------------------------------
# Euler angles
# ---------------------------------------------------------------------------------------


def quat_rpy(roll, pitch, yaw):
    """Rotation by ``roll`` about x, then ``pitch`` about y, then ``yaw`` about z (fixed
    axes): ``qz(yaw) * qy(pitch) * qx(roll)``."""
    return python_scope(quat_rpy, roll, pitch, yaw)


@overload(quat_rpy, target="generic", jit_options=JIT)
def _ol_quat_rpy(roll, pitch, yaw):
    if is_real(roll) and is_real(pitch) and is_real(yaw):
        ft = dtype_arg(None, roll, pitch, yaw)
        Q = vcls(4, ft, "quaternion")

        def impl(roll, pitch, yaw):
            h = ft(0.5)
            cr, sr = ft(math.cos(ft(roll) * h)), ft(math.sin(ft(roll) * h))
            cp, sp = ft(math.cos(ft(pitch) * h)), ft(math.sin(ft(pitch) * h))
            cy, sy = ft(math.cos(ft(yaw) * h)), ft(math.sin(ft(yaw) * h))
            return Q(sr * cp * cy - cr * sp * sy, cr * sp * cy + sr * cp * sy,
                     cr * cp * sy - sr * sp * cy, cr * cp * cy + sr * sp * sy)

        return impl


def quat_to_rpy(q):
    """``(roll, pitch, yaw)`` of a unit quaternion (inverse of :func:`quat_rpy`)."""
    return python_scope(quat_to_rpy, q)


@overload(quat_to_rpy, target="generic", jit_options=JIT)
def _ol_quat_to_rpy(q):
    if is_quat(q):
        ft = q.dtype
        V = vcls(3, ft)

        def impl(q):
            x, y, z, w = q[0], q[1], q[2], q[3]
            one, two = ft(1.0), ft(2.0)
            roll = math.atan2(two * (w * x + y * z), one - two * (x * x + y * y))
            sp = two * (w * y - z * x)
            sp = -one if sp < -one else (one if sp > one else sp)
            yaw = math.atan2(two * (w * z + x * y), one - two * (y * y + z * z))
            return V(roll, math.asin(sp), yaw)

        return impl


def _axis_quat(axis, angle, like):
    """Rotation of ``angle`` about coordinate axis ``axis`` (0, 1, 2), typed as ``like``."""


@overload(_axis_quat, target="generic", jit_options=JIT)
def _ol_axis_quat(axis, angle, like):
    ft = like.dtype
    Q = vcls(4, ft, "quaternion")

    def impl(axis, angle, like):
        h = ft(angle) * ft(0.5)
        s, c = ft(math.sin(h)), ft(math.cos(h))
        z = ft(0.0)
        return Q(s if axis == 0 else z, s if axis == 1 else z, s if axis == 2 else z, c)

    return impl


def quat_from_euler(e, i, j, k):
    """Rotation about fixed axes ``i``, then ``j``, then ``k`` (in {0, 1, 2}) by the
    angles ``e[i]``, ``e[j]``, ``e[k]``: ``qk * qj * qi``."""
    return python_scope(quat_from_euler, e, i, j, k)


@overload(quat_from_euler, target="generic", jit_options=JIT)
def _ol_quat_from_euler(e, i, j, k):
    if is_vec3(e) and all(isinstance(t, types.Integer) for t in (i, j, k)):
        def impl(e, i, j, k):
            return (_axis_quat(k, e[k], e) * _axis_quat(j, e[j], e)
                    * _axis_quat(i, e[i], e))

        return impl


def quat_to_euler(q, i, j, k):
    """Euler angles of ``q`` for fixed axes ``i``, ``j``, ``k`` (``j`` differs from both):
    ``e[i]`` the first, ``e[j]`` the second angle; the third goes to ``e[k]`` (Tait-Bryan,
    ``i != k``) or to ``e[3 - i - j]`` (proper Euler, ``i == k``)."""
    return python_scope(quat_to_euler, q, i, j, k)


@overload(quat_to_euler, target="generic", jit_options=JIT)
def _ol_quat_to_euler(q, i, j, k):
    if is_quat(q) and all(isinstance(t, types.Integer) for t in (i, j, k)):
        ft = q.dtype
        V = vcls(3, ft)
        eps = 1e-7 if ft.bitwidth == 64 else 1e-3

        def impl(q, i, j, k):
            proper = i == k
            kk = 3 - i - j if proper else k
            sign = ft((i - j) * (j - kk) * (kk - i) // 2)
            if proper:
                a, b, c, d = q[3], q[i], q[j], q[kk] * sign
            else:
                a, b, c, d = q[3] - q[j], q[i] + q[kk] * sign, q[j] + q[3], q[kk] * sign - q[i]
            t2 = ft(2.0) * ft(math.atan2(math.hypot(c, d), math.hypot(a, b)))
            hs, hd = ft(math.atan2(b, a)), ft(math.atan2(d, c))
            if math.fabs(t2) <= eps:
                t1, t3 = ft(2.0) * hs, ft(0.0)
            elif math.fabs(t2 - ft(math.pi)) <= eps:
                t1, t3 = ft(-2.0) * hd, ft(0.0)
            else:
                t1, t3 = hs - hd, hs + hd
            if not proper:
                t3 = t3 * sign
                t2 = t2 - ft(math.pi / 2)
            return V(t1 if i == 0 else (t2 if j == 0 else t3),
                     t1 if i == 1 else (t2 if j == 1 else t3),
                     t1 if i == 2 else (t2 if j == 2 else t3))

        return impl


# ---------------------------------------------------------------------------------------
# Interpolation and swing-twist
# ---------------------------------------------------------------------------------------


def quat_slerp(a, b, t):
    """Spherical interpolation from ``a`` (t = 0) to ``normalize(b)`` or its negation
    (t = 1), along the shortest arc."""
    return python_scope(quat_slerp, a, b, t)


@overload(quat_slerp, target="generic", jit_options=JIT)
def _ol_quat_slerp(a, b, t):
    if is_quat(a) and a == b and is_real(t):
        ft = a.dtype

        def impl(a, b, t):
            nb = ft(math.sqrt(b[0] * b[0] + b[1] * b[1] + b[2] * b[2] + b[3] * b[3]))
            bb = b / nb
            d = a[0] * bb[0] + a[1] * bb[1] + a[2] * bb[2] + a[3] * bb[3]
            if d < ft(0.0):
                bb = -bb
                d = -d
            tt = ft(t)
            if d > ft(0.9995):  # nearly parallel: normalized lerp
                r = a * (ft(1.0) - tt) + bb * tt
                return r / ft(math.sqrt(r[0] * r[0] + r[1] * r[1] + r[2] * r[2] + r[3] * r[3]))
            theta = ft(math.acos(d))
            s = ft(math.sin(theta))
            return (a * ft(math.sin((ft(1.0) - tt) * theta)) + bb * ft(math.sin(tt * theta))) / s

        return impl


def quat_twist(axis, q):
    """The twist of ``q`` about the unit ``axis`` (swing-twist decomposition), normalized;
    the identity when it is undefined."""
    return python_scope(quat_twist, axis, q)


@overload(quat_twist, target="generic", jit_options=JIT)
def _ol_quat_twist(axis, q):
    if is_vec3(axis) and is_quat(q):
        ft = q.dtype
        Q = vcls(4, ft, "quaternion")

        def impl(axis, q):
            s = q[0] * axis[0] + q[1] * axis[1] + q[2] * axis[2]
            n = ft(math.sqrt(s * s + q[3] * q[3]))
            if n == ft(0.0):
                return Q(0.0, 0.0, 0.0, 1.0)
            return Q(axis[0] * s, axis[1] * s, axis[2] * s, q[3]) / n

        return impl


def quat_twist_angle(axis, q):
    """Unsigned twist angle of ``q`` about the unit ``axis``: in [0, pi] if ``q.w >= 0``,
    else in (pi, 2 pi]."""
    return python_scope(quat_twist_angle, axis, q)


def quat_twist_angle_signed(axis, q):
    """Signed twist angle of ``q`` about the unit ``axis`` (right-hand rule): in [-pi, pi]
    if ``q.w >= 0``, else in [-2 pi, 2 pi]."""
    return python_scope(quat_twist_angle_signed, axis, q)


for _fn, _signed in ((quat_twist_angle, False), (quat_twist_angle_signed, True)):

    def _register(fn=_fn, signed=_signed):
        @overload(fn, target="generic", jit_options=JIT)
        def _ol(axis, q):
            if is_vec3(axis) and is_quat(q):
                ft = q.dtype

                def impl(axis, q):
                    s = q[0] * axis[0] + q[1] * axis[1] + q[2] * axis[2]
                    angle = ft(2.0) * ft(math.atan2(s, q[3]))
                    return angle if signed else ft(math.fabs(angle))

                return impl

    _register()
