"""Warp's "Quaternion Math" builtins on angles: roll/pitch/yaw and Euler angles,
spherical interpolation and the swing-twist decomposition, for kernels, plain Numba code
and Python scope (same contract as ``quat``).

Semantics follow Warp's documentation: ``quat_rpy(r, p, y) == qz(y) * qy(p) * qx(r)``;
``quat_from_euler(e, i, j, k) == qk(e[k]) * qj(e[j]) * qi(e[i])`` (fixed axes, angles
indexed by axis); ``quat_slerp(a, b, t)`` is ``a * exp(t log(quat_inverse(a) * b))``
along the shortest arc (Warp's formula, also for quaternions that are not unit); the
twist builtins use the swing-twist decomposition about a unit axis.
"""

from __future__ import annotations

import math

from numba.core import types

from .builtin import (
    adjoint,
    dtype_arg,
    implements,
    is_number,
    is_quat,
    is_vec3,
    python_scope,
    vcls,
)
from .quat import quat_inverse
from .vector_math import dot

__all__ = [
    "quat_rpy", "quat_to_rpy", "quat_from_euler", "quat_to_euler", "quat_slerp",
    "quat_twist", "quat_twist_angle", "quat_twist_angle_signed",
]


# ---------------------------------------------------------------------------------------
# Roll, pitch, yaw and Euler angles
# ---------------------------------------------------------------------------------------


def quat_rpy(roll, pitch, yaw):
    """Rotation by ``roll`` about x, then ``pitch`` about y, then ``yaw`` about z (fixed
    axes): ``qz(yaw) * qy(pitch) * qx(roll)``.

    Example
    -------
    >>> q = wp.quat_rpy(0.0, 0.0, 0.5 * wp.pi)  # a yaw of 90 degrees
    >>> print(np.round(np.array(wp.quat_rotate(q, wp.vec3(1.0, 0.0, 0.0))), 4) + 0.0)
    [0. 1. 0.]
    >>> print(np.round(np.array(wp.quat_rpy(0.1, 0.2, 0.3)), 4))
    [0.0343 0.106  0.1436 0.9833]
    """
    return python_scope(quat_rpy, roll, pitch, yaw)


@implements(quat_rpy)
def _ol_quat_rpy(roll, pitch, yaw):
    if is_number(roll) and is_number(pitch) and is_number(yaw):
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


@adjoint(quat_rpy, typed=True)
def adj_quat_rpy(roll, pitch, yaw, ret, adj_ret):
    ft = dtype_arg(None, roll, pitch, yaw)

    def impl(roll, pitch, yaw, ret, adj_ret):
        h = ft(0.5)
        cr, sr = ft(math.cos(ft(roll) * h)), ft(math.sin(ft(roll) * h))
        cp, sp = ft(math.cos(ft(pitch) * h)), ft(math.sin(ft(pitch) * h))
        cy, sy = ft(math.cos(ft(yaw) * h)), ft(math.sin(ft(yaw) * h))
        x, y, z, w = ret[0], ret[1], ret[2], ret[3]
        gx, gy, gz, gw = adj_ret[0], adj_ret[1], adj_ret[2], adj_ret[3]
        # d/droll = q * (e_x / 2, 0), d/dyaw = (e_z / 2, 0) * q
        g_roll = h * (gx * w + gy * z - gz * y - gw * x)
        g_yaw = h * (-gx * y + gy * x + gz * w - gw * z)
        g_pitch = h * (gx * (-sr * sp * cy - cr * cp * sy) + gy * (cr * cp * cy - sr * sp * sy)
                       + gz * (-cr * sp * sy - sr * cp * cy) + gw * (sr * cp * sy - cr * sp * cy))
        return g_roll, g_pitch, g_yaw

    return impl


def quat_to_rpy(q):
    """``(roll, pitch, yaw)`` of a unit quaternion (inverse of :func:`quat_rpy`).

    Example
    -------
    >>> q = wp.quat_rpy(0.1, 0.2, 0.3)
    >>> print(np.round(np.array(wp.quat_to_rpy(q)), 4))
    [0.1 0.2 0.3]
    """
    return python_scope(quat_to_rpy, q)


@implements(quat_to_rpy)
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


def _atan2_adj(a, b, g):
    """Contributions of ``g`` (the adjoint of ``atan2(a, b)``) to ``a`` and ``b``; zero
    where ``a = b = 0``."""


@implements(_atan2_adj)
def _ol_atan2_adj(a, b, g):
    def impl(a, b, g):
        d = a * a + b * b
        if d == 0.0:
            return g * 0.0, g * 0.0
        return g * b / d, -g * a / d

    return impl


@adjoint(quat_to_rpy, typed=True)
def adj_quat_to_rpy(q, ret, adj_ret):
    ft = q.dtype
    Q = vcls(4, ft, "quaternion")

    def impl(q, ret, adj_ret):
        x, y, z, w = q[0], q[1], q[2], q[3]
        one, two, four = ft(1.0), ft(2.0), ft(4.0)
        ra, rb = _atan2_adj(two * (w * x + y * z), one - two * (x * x + y * y), adj_ret[0])
        ya, yb = _atan2_adj(two * (w * z + x * y), one - two * (y * y + z * z), adj_ret[2])
        sp = two * (w * y - z * x)
        # asin of the clamped sine: zero gradient at and beyond the clamp
        ps = adj_ret[1] / ft(math.sqrt(one - sp * sp)) if -one < sp < one else ft(0.0)
        return (Q(two * (w * ra + y * ya - z * ps) - four * x * rb,
                  two * (z * ra + x * ya + w * ps) - four * y * (rb + yb),
                  two * (y * ra + w * ya - x * ps) - four * z * yb,
                  two * (x * ra + z * ya + y * ps)),)

    return impl


def _axis_quat(axis, angle, like):
    """Rotation of ``angle`` about coordinate axis ``axis`` (0, 1, 2), typed as ``like``."""


@implements(_axis_quat)
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
    angles ``e[i]``, ``e[j]``, ``e[k]``: ``qk * qj * qi``.

    Example
    -------
    >>> e = wp.vec3(0.1, 0.2, 0.3)
    >>> print(np.round(np.array(wp.quat_from_euler(e, 0, 1, 2)), 4))  # x, y, z: as quat_rpy
    [0.0343 0.106  0.1436 0.9833]
    >>> print(np.round(np.array(wp.quat_from_euler(e, 2, 1, 0)), 4))  # z by 0.3, y, then x
    [0.0641 0.0912 0.1534 0.9819]
    """
    return python_scope(quat_from_euler, e, i, j, k)


@implements(quat_from_euler)
def _ol_quat_from_euler(e, i, j, k):
    if is_vec3(e) and all(isinstance(t, types.Integer) for t in (i, j, k)):
        def impl(e, i, j, k):
            return (_axis_quat(k, e[k], e) * _axis_quat(j, e[j], e)
                    * _axis_quat(i, e[i], e))

        return impl


def _unit_quat(axis, like):
    """The pure quaternion ``(e_axis, 0)``, typed as ``like``."""


@implements(_unit_quat)
def _ol_unit_quat(axis, like):
    ft = like.dtype
    Q = vcls(4, ft, "quaternion")

    def impl(axis, like):
        one, z = ft(1.0), ft(0.0)
        return Q(one if axis == 0 else z, one if axis == 1 else z, one if axis == 2 else z, z)

    return impl


@adjoint(quat_from_euler, typed=True)
def adj_quat_from_euler(e, i, j, k, ret, adj_ret):
    ft = e.dtype
    V = vcls(3, ft)
    half = ft(0.5)

    def impl(e, i, j, k, ret, adj_ret):
        qk, qj, qi = _axis_quat(k, e[k], e), _axis_quat(j, e[j], e), _axis_quat(i, e[i], e)
        # q = qk qj qi: d/de[k] = (e_k / 2, 0) q, d/de[j] = qk (e_j / 2, 0) qj qi,
        # d/de[i] = q (e_i / 2, 0); an axis used twice (i == k) gets both terms
        gk = dot(adj_ret, _unit_quat(k, e) * ret) * half
        gj = dot(adj_ret, qk * _unit_quat(j, e) * qj * qi) * half
        gi = dot(adj_ret, ret * _unit_quat(i, e)) * half
        z = ft(0.0)
        return (V((gi if i == 0 else z) + (gj if j == 0 else z) + (gk if k == 0 else z),
                  (gi if i == 1 else z) + (gj if j == 1 else z) + (gk if k == 1 else z),
                  (gi if i == 2 else z) + (gj if j == 2 else z) + (gk if k == 2 else z)),
                0, 0, 0)

    return impl


def quat_to_euler(q, i, j, k):
    """Euler angles of ``q`` for fixed axes ``i``, ``j``, ``k`` (``j`` differs from both):
    ``e[i]`` the first, ``e[j]`` the second angle; the third goes to ``e[k]`` (Tait-Bryan,
    ``i != k``) or to ``e[3 - i - j]`` (proper Euler, ``i == k``).

    Example
    -------
    >>> q = wp.quat_from_euler(wp.vec3(0.1, 0.2, 0.3), 2, 1, 0)
    >>> print(np.round(np.array(wp.quat_to_euler(q, 2, 1, 0)), 4))
    [0.1 0.2 0.3]
    """
    return python_scope(quat_to_euler, q, i, j, k)


@implements(quat_to_euler)
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


@adjoint(quat_to_euler, typed=True)
def adj_quat_to_euler(q, i, j, k, ret, adj_ret):
    ft = q.dtype
    Q = vcls(4, ft, "quaternion")
    eps = 1e-7 if ft.bitwidth == 64 else 1e-3

    def impl(q, i, j, k, ret, adj_ret):
        proper = i == k
        kk = 3 - i - j if proper else k
        sign = ft((i - j) * (j - kk) * (kk - i) // 2)
        if proper:
            a, b, c, d = q[3], q[i], q[j], q[kk] * sign
        else:
            a, b, c, d = q[3] - q[j], q[i] + q[kk] * sign, q[j] + q[3], q[kk] * sign - q[i]
        rc, rab = ft(math.hypot(c, d)), ft(math.hypot(a, b))
        t2 = ft(2.0) * ft(math.atan2(rc, rab))
        g1, g2, g3 = adj_ret[i], adj_ret[j], adj_ret[3 - i - j]
        if not proper:
            g3 = g3 * sign
        z = ft(0.0)
        # the forward's branches near the singular angles (t3 = 0 there)
        if math.fabs(t2) <= eps:
            ghs, ghd = ft(2.0) * g1, z
        elif math.fabs(t2 - ft(math.pi)) <= eps:
            ghs, ghd = z, ft(-2.0) * g1
        else:
            ghs, ghd = g1 + g3, g3 - g1
        grc, grab = _atan2_adj(rc, rab, ft(2.0) * g2)
        gb, ga = _atan2_adj(b, a, ghs)
        gd, gc = _atan2_adj(d, c, ghd)
        if rc > z:  # hypot has no gradient at 0 (subgradient 0)
            gc, gd = gc + grc * c / rc, gd + grc * d / rc
        if rab > z:
            ga, gb = ga + grab * a / rab, gb + grab * b / rab
        if proper:
            a3, ai, aj, ak = ga, gb, gc, gd * sign
        else:
            a3, ai, aj, ak = ga + gc, gb - gd, gc - ga, (gd + gb) * sign
        return (Q((ai if i == 0 else z) + (aj if j == 0 else z) + (ak if kk == 0 else z),
                  (ai if i == 1 else z) + (aj if j == 1 else z) + (ak if kk == 1 else z),
                  (ai if i == 2 else z) + (aj if j == 2 else z) + (ak if kk == 2 else z),
                  a3), 0, 0, 0)

    return impl


# ---------------------------------------------------------------------------------------
# Interpolation and swing-twist
# ---------------------------------------------------------------------------------------


def quat_slerp(a, b, t):
    """Spherical interpolation from ``a`` (t = 0) towards ``b`` along the shortest arc:
    ``a * exp(t log(quat_inverse(a) * b))``, Warp's definition (the rotation part of
    ``quat_inverse(a) * b`` comes from ``quat_to_axis_angle``, so ``b``'s norm does not
    matter and the result has ``a``'s norm).

    Example
    -------
    >>> a = wp.quat_identity()
    >>> b = wp.quat_from_axis_angle(wp.vec3(0.0, 0.0, 1.0), 0.5 * wp.pi)
    >>> print(np.round(np.array(wp.quat_slerp(a, b, 0.5)), 4))  # 45 degrees about z
    [0.     0.     0.3827 0.9239]
    """
    return python_scope(quat_slerp, a, b, t)


@implements(quat_slerp)
def _ol_quat_slerp(a, b, t):
    if is_quat(a) and a == b and is_number(t):
        ft = a.dtype
        Q = vcls(4, ft, "quaternion")

        def impl(a, b, t):
            p = quat_inverse(a) * b
            s = ft(math.sqrt(p[0] * p[0] + p[1] * p[1] + p[2] * p[2]))
            k = ft(0.0)  # axis = u * k (zero for no rotation, as Warp's normalize)
            if s > ft(0.0):
                k = ft(-1.0) / s if p[3] < ft(0.0) else ft(1.0) / s
            angle = ft(2.0) * ft(math.atan2(s, math.fabs(p[3])))
            half = ft(ft(t) * angle) * ft(0.5)
            sn = ft(math.sin(half))
            e = Q(p[0] * k * sn, p[1] * k * sn, p[2] * k * sn, ft(math.cos(half)))
            return a * e

        return impl


@adjoint(quat_slerp, typed=True)
def adj_quat_slerp(a, b, t, ret, adj_ret):
    ft = a.dtype
    Q, V = vcls(4, ft, "quaternion"), vcls(3, ft)

    def impl(a, b, t, ret, adj_ret):
        # ret = a * e, e = (u sg sin(h) / s, cos(h)) with p = a^-1 b = (u, w), s = |u|,
        # phi = atan2(s, |w|), h = t phi, sg = sign(w): e is smooth at s = 0 (where
        # sin(h) / s -> t / |w|), so the gradient is exact there too
        tt = ft(t)
        p = quat_inverse(a) * b
        u = V(p[0], p[1], p[2])
        w = p[3]
        sg = ft(-1.0) if w < ft(0.0) else ft(1.0)
        aw = w * sg
        s = ft(math.sqrt(dot(u, u)))
        dd = s * s + w * w
        ge = quat_inverse(a) * adj_ret  # adjoint of e
        gv = V(ge[0], ge[1], ge[2])
        ug = dot(u, gv)
        if s > ft(0.0):
            phi = ft(math.atan2(s, aw))
            h = tt * phi
            sn, cs = ft(math.sin(h)), ft(math.cos(h))
            k = sn / s
            dk = (tt * cs * aw * s / dd - sn) / (s * s)  # d(sin(h) / s) / ds
            adj_u = (gv * k + u * (dk * ug / s)) * sg - u * (ge[3] * k * tt * aw / dd)
            adj_w = (ge[3] * sn * tt * s - sg * ug * cs * tt) / dd * sg
            adj_t = (sg * ug * cs / s - ge[3] * sn) * phi
            e = Q(u * (k * sg), cs)
        elif aw > ft(0.0):
            adj_u = gv * (sg * tt / aw)
            adj_w = ft(0.0)
            adj_t = ft(0.0)
            e = Q(ft(0.0), ft(0.0), ft(0.0), ft(1.0))
        else:  # the zero quaternion: no rotation defined
            adj_u = V()
            adj_w = ft(0.0)
            adj_t = ft(0.0)
            e = Q(ft(0.0), ft(0.0), ft(0.0), ft(1.0))
        adj_p = Q(adj_u, adj_w)
        # ret = a * e, p = a^-1 * b (a^-1 is the conjugate)
        adj_a = adj_ret * quat_inverse(e) + quat_inverse(adj_p * quat_inverse(b))
        return adj_a, a * adj_p, adj_t

    return impl


def quat_twist(axis, q):
    """The twist of ``q`` about the unit ``axis`` (swing-twist decomposition), normalized;
    the identity when it is undefined.

    Example
    -------
    >>> z = wp.vec3(0.0, 0.0, 1.0)
    >>> swing = wp.quat_from_axis_angle(wp.vec3(1.0, 0.0, 0.0), 0.3)
    >>> q = swing * wp.quat_from_axis_angle(z, 0.5)
    >>> print(np.round(np.array(wp.quat_twist(z, q)), 4))  # 0.5 radians about z
    [0.     0.     0.2474 0.9689]
    """
    return python_scope(quat_twist, axis, q)


@implements(quat_twist)
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


@adjoint(quat_twist, typed=True)
def adj_quat_twist(axis, q, ret, adj_ret):
    ft = q.dtype
    Q, V = vcls(4, ft, "quaternion"), vcls(3, ft)

    def impl(axis, q, ret, adj_ret):
        u = V(q[0], q[1], q[2])
        s = dot(u, axis)
        n = ft(math.sqrt(s * s + q[3] * q[3]))
        if n == ft(0.0):  # constant identity there
            return V(), Q()
        # ret = (axis s, w) / n with n = sqrt(s^2 + w^2)
        gu = V(adj_ret[0], adj_ret[1], adj_ret[2]) / n
        gn = -dot(ret, adj_ret) / n
        gs = dot(gu, axis) + gn * s / n
        gw = adj_ret[3] / n + gn * q[3] / n
        return gu * s + u * gs, Q(axis * gs, gw)

    return impl


def quat_twist_angle(axis, q):
    """Unsigned twist angle of ``q`` about the unit ``axis``: in [0, pi] if ``q.w >= 0``,
    else in (pi, 2 pi].

    Example
    -------
    >>> z = wp.vec3(0.0, 0.0, 1.0)
    >>> swing = wp.quat_from_axis_angle(wp.vec3(1.0, 0.0, 0.0), 0.3)
    >>> q = swing * wp.quat_from_axis_angle(z, -0.5)
    >>> round(float(wp.quat_twist_angle(z, q)), 4)
    0.5
    """
    return python_scope(quat_twist_angle, axis, q)


def quat_twist_angle_signed(axis, q):
    """Signed twist angle of ``q`` about the unit ``axis`` (right-hand rule): in [-pi, pi]
    if ``q.w >= 0``, else in [-2 pi, 2 pi].

    Example
    -------
    >>> z = wp.vec3(0.0, 0.0, 1.0)
    >>> swing = wp.quat_from_axis_angle(wp.vec3(1.0, 0.0, 0.0), 0.3)
    >>> q = swing * wp.quat_from_axis_angle(z, -0.5)
    >>> round(float(wp.quat_twist_angle_signed(z, q)), 4)
    -0.5
    """
    return python_scope(quat_twist_angle_signed, axis, q)


for _fn, _signed in ((quat_twist_angle, False), (quat_twist_angle_signed, True)):

    def _register(fn=_fn, signed=_signed):
        @implements(fn)
        def _ol(axis, q):
            if is_vec3(axis) and is_quat(q):
                ft = q.dtype

                def impl(axis, q):
                    s = q[0] * axis[0] + q[1] * axis[1] + q[2] * axis[2]
                    angle = ft(2.0) * ft(math.atan2(s, q[3]))
                    return angle if signed else ft(math.fabs(angle))

                return impl

    _register()


def _twist_angle_rule(builtin, signed):
    @adjoint(builtin, typed=True)
    def rule(axis, q, ret, adj_ret):
        ft = q.dtype
        Q, V = vcls(4, ft, "quaternion"), vcls(3, ft)

        def impl(axis, q, ret, adj_ret):
            u = V(q[0], q[1], q[2])
            s = dot(u, axis)
            # unsigned: |angle| has gradient sign(angle), sign(0) = 1 (as abs)
            g = adj_ret if signed or s >= ft(0.0) else -adj_ret
            gs, gw = _atan2_adj(s, q[3], ft(2.0) * g)
            return u * gs, Q(axis * gs, gw)

        return impl

    rule.__name__ = f"adj_{builtin.__name__}"
    return rule


_twist_angle_rule(quat_twist_angle, False)


_twist_angle_rule(quat_twist_angle_signed, True)
