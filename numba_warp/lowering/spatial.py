"""Warp's "Spatial Math" builtins, for kernels, plain Numba code and Python scope.

Contract:

* A spatial vector is a ``VecType`` of kind ``"spatial_vector"`` with 6 components: the
  angular part first (``w``, or the torque ``tau`` of a wrench: :func:`spatial_top`),
  then the linear part (``v``, or the force ``f``: :func:`spatial_bottom`), as in Warp.
  ``wp.spatial_vector(w, v)`` / ``wp.spatial_vector(6 scalars)`` is the type's own
  constructor (``typing/vec.py``).
* A spatial matrix is the 6x6 ``MatType`` of kind ``"spatial_matrix"``.
* Same structure as ``quat.py``: one Python function + one ``@implements`` per builtin,
  Python scope runs the overload through :func:`~.builtin.python_scope`. Results take the
  dtype of the arguments.
* Formulas (Warp's documentation): ``spatial_cross(a, b) = (wa x wb, va x wb + wa x vb)``;
  ``spatial_cross_dual(a, b) = (w x n + v x f, w x f)`` for a twist ``(w, v)`` and a
  wrench ``(n, f)``; ``spatial_adjoint(r, s) = [[r, 0], [s, r]]``; for a transform
  ``(R, p)``: ``transform_twist`` gives ``(R w, R v + p x R w)`` and ``transform_wrench``
  ``(R tau + p x R f, R f)``; ``velocity_at_point(qd, r) = v + w x r``.
"""

from __future__ import annotations

from .builtin import (
    adjoint,
    implements,
    is_kind,
    is_mat_shape,
    is_vec3,
    mcls,
    python_scope,
    vcls,
)
from .kernel_helpers import store
from .quat import quat_rotate, rotate_adj
from .transform import is_xform, transform_get_rotation, transform_get_translation, transformation

__all__ = [
    "spatial_top", "spatial_bottom", "spatial_dot", "spatial_cross", "spatial_cross_dual",
    "spatial_adjoint", "transform_twist", "transform_wrench", "velocity_at_point",
]


def is_spatial(t) -> bool:
    """A spatial vector, or a ``vector(6)`` (the same type in Warp)."""
    return is_kind(t, "spatial_vector", 6) or is_kind(t, "vector", 6)


def _cross(a, b):
    """Cross product of two vec3 (private; vector_math has the public one)."""


@implements(_cross)
def _ol_cross(a, b):
    if is_vec3(a) and a == b:
        V = vcls(3, a.dtype)
        return lambda a, b: V(a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2],
                              a[0] * b[1] - a[1] * b[0])


def spatial_top(svec):
    """The first three components (angular velocity / torque) as a vec3.

    Example
    -------
    >>> wp.spatial_top(wp.spatial_vector(1.0, 2.0, 3.0, 4.0, 5.0, 6.0))
    vec3f(1.0, 2.0, 3.0)
    """
    return python_scope(spatial_top, svec)


def spatial_bottom(svec):
    """The last three components (linear velocity / force) as a vec3.

    Example
    -------
    >>> wp.spatial_bottom(wp.spatial_vector(1.0, 2.0, 3.0, 4.0, 5.0, 6.0))
    vec3f(4.0, 5.0, 6.0)
    """
    return python_scope(spatial_bottom, svec)


for _fn, _off in ((spatial_top, 0), (spatial_bottom, 3)):

    def _register(fn=_fn, off=_off):
        @implements(fn)
        def _ol(svec):
            if is_spatial(svec):
                V = vcls(3, svec.dtype)
                return lambda svec: V(svec[off], svec[off + 1], svec[off + 2])

    _register()


def spatial_dot(a, b):
    """The dot product of two spatial vectors (power, for a twist and a wrench).

    Example
    -------
    >>> a = wp.spatial_vector(1.0, 2.0, 3.0, 4.0, 5.0, 6.0)
    >>> b = wp.spatial_vector(1.0, 0.0, 0.0, 0.0, 0.0, 2.0)
    >>> float(wp.spatial_dot(a, b))
    13.0
    """
    return python_scope(spatial_dot, a, b)


@implements(spatial_dot)
def _ol_spatial_dot(a, b):
    if is_spatial(a) and a == b:
        def impl(a, b):
            acc = a[0] * b[0]
            for i in range(1, 6):
                acc += a[i] * b[i]
            return acc

        return impl


def spatial_cross(a, b):
    """Spatial (motion) cross product of twists: ``(wa x wb, va x wb + wa x vb)``.

    Example
    -------
    >>> a = wp.spatial_vector(0.0, 0.0, 1.0, 1.0, 0.0, 0.0)  # (w, v)
    >>> b = wp.spatial_vector(1.0, 0.0, 0.0, 0.0, 2.0, 0.0)
    >>> print(wp.spatial_cross(a, b))
    [0.0, 1.0, 0.0, -2.0, 0.0, 0.0]
    """
    return python_scope(spatial_cross, a, b)


@implements(spatial_cross)
def _ol_spatial_cross(a, b):
    if is_spatial(a) and a == b:
        S = vcls(6, a.dtype, "spatial_vector")

        def impl(a, b):
            wa, va = spatial_top(a), spatial_bottom(a)
            wb, vb = spatial_top(b), spatial_bottom(b)
            return S(_cross(wa, wb), _cross(va, wb) + _cross(wa, vb))

        return impl


def spatial_cross_dual(a, b):
    """Force cross product of a twist ``a = (w, v)`` and a wrench ``b = (n, f)``:
    ``(w x n + v x f, w x f)``.

    Example
    -------
    >>> a = wp.spatial_vector(0.0, 0.0, 1.0, 1.0, 0.0, 0.0)  # a twist (w, v)
    >>> b = wp.spatial_vector(1.0, 0.0, 0.0, 0.0, 2.0, 0.0)  # a wrench (n, f)
    >>> print(wp.spatial_cross_dual(a, b))
    [0.0, 1.0, 2.0, -2.0, 0.0, 0.0]
    """
    return python_scope(spatial_cross_dual, a, b)


@implements(spatial_cross_dual)
def _ol_spatial_cross_dual(a, b):
    if is_spatial(a) and a == b:
        S = vcls(6, a.dtype, "spatial_vector")

        def impl(a, b):
            w, v = spatial_top(a), spatial_bottom(a)
            n, f = spatial_top(b), spatial_bottom(b)
            return S(_cross(w, n) + _cross(v, f), _cross(w, f))

        return impl


def spatial_adjoint(r, s):
    """The 6x6 spatial matrix ``[[r, 0], [s, r]]`` of two 3x3 blocks.

    Example
    -------
    >>> r = wp.mat33(1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0)
    >>> s = wp.mat33(0.0, -1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0)
    >>> print(np.array(wp.spatial_adjoint(r, s)))
    [[ 1.  2.  3.  0.  0.  0.]
     [ 4.  5.  6.  0.  0.  0.]
     [ 7.  8.  9.  0.  0.  0.]
     [ 0. -1.  0.  1.  2.  3.]
     [ 1.  0.  0.  4.  5.  6.]
     [ 0.  0.  0.  7.  8.  9.]]
    """
    return python_scope(spatial_adjoint, r, s)


@implements(spatial_adjoint)
def _ol_spatial_adjoint(r, s):
    if is_mat_shape(r, 3, 3) and r == s:
        M = mcls(6, 6, r.dtype, "spatial_matrix")

        def impl(r, s):
            m = M()
            for i in range(3):
                for j in range(3):
                    m = store(m, (i, j), r[i, j])
                    m = store(m, (i + 3, j + 3), r[i, j])
                    m = store(m, (i + 3, j), s[i, j])
            return m

        return impl


def transform_twist(t, x):
    """A twist ``(w, v)`` mapped by the transform ``(R, p)``: ``(R w, R v + p x R w)``.

    Example
    -------
    >>> t = wp.transform(wp.vec3(1.0, 0.0, 0.0), wp.quat_identity())
    >>> spin = wp.spatial_vector(0.0, 0.0, 1.0, 0.0, 0.0, 0.0)  # about z, through the origin
    >>> print(wp.transform_twist(t, spin))  # about z, through (1, 0, 0)
    [0.0, 0.0, 1.0, 0.0, -1.0, 0.0]
    """
    return python_scope(transform_twist, t, x)


def transform_wrench(t, x):
    """A wrench ``(tau, f)`` mapped by the transform ``(R, p)``:
    ``(R tau + p x R f, R f)``.

    Example
    -------
    >>> t = wp.transform(wp.vec3(1.0, 0.0, 0.0), wp.quat_identity())
    >>> push = wp.spatial_vector(0.0, 0.0, 0.0, 0.0, 1.0, 0.0)  # a force along y
    >>> print(wp.transform_wrench(t, push))  # applied at (1, 0, 0): a torque about z
    [0.0, 0.0, 1.0, 0.0, 1.0, 0.0]
    """
    return python_scope(transform_wrench, t, x)


for _fn, _is_twist in ((transform_twist, True), (transform_wrench, False)):

    def _register(fn=_fn, is_twist=_is_twist):
        @implements(fn)
        def _ol(t, x):
            if is_xform(t) and is_spatial(x) and t.dtype == x.dtype:
                S = vcls(6, x.dtype, "spatial_vector")

                def impl(t, x):
                    q, p = transform_get_rotation(t), transform_get_translation(t)
                    top = quat_rotate(q, spatial_top(x))
                    bottom = quat_rotate(q, spatial_bottom(x))
                    if is_twist:
                        return S(top, bottom + _cross(p, top))
                    return S(top + _cross(p, bottom), bottom)

                return impl

    _register()


def velocity_at_point(qd, r):
    """Linear velocity at offset ``r`` of a body with spatial velocity ``qd = (w, v)``:
    ``v + w x r``.

    Example
    -------
    >>> qd = wp.spatial_vector(0.0, 0.0, 2.0, 1.0, 0.0, 0.0)  # w = (0, 0, 2), v = (1, 0, 0)
    >>> wp.velocity_at_point(qd, wp.vec3(1.0, 0.0, 0.0))
    vec3f(1.0, 2.0, 0.0)
    """
    return python_scope(velocity_at_point, qd, r)


@implements(velocity_at_point)
def _ol_velocity_at_point(qd, r):
    if is_spatial(qd) and is_vec3(r) and qd.dtype == r.dtype:
        return lambda qd, r: spatial_bottom(qd) + _cross(spatial_top(qd), r)


# -- adjoints ---------------------------------------------------------------------------
# One rule per differentiable builtin above (see lowering.registry): adj_f(args..., ret,
# adj_ret) returns the contributions to the arguments' adjoints. For c = x cross y and a
# result adjoint g: adj_x = y x g, adj_y = g x x. Products of a spatial matrix with a
# spatial vector or matrix are MatType products (the generic rule in operator_rules).


def _spatial_part_rule(builtin, top):
    @adjoint(builtin, typed=True)
    def rule(svec, ret, adj_ret):
        S, V = vcls(6, svec.dtype, "spatial_vector"), vcls(3, svec.dtype)
        if top:
            return lambda svec, ret, g: (S(g, V()),)
        return lambda svec, ret, g: (S(V(), g),)

    rule.__name__ = f"adj_{builtin.__name__}"
    return rule


_spatial_part_rule(spatial_top, True)
_spatial_part_rule(spatial_bottom, False)


@adjoint(spatial_dot)
def adj_spatial_dot(a, b, ret, adj_ret):
    return b * adj_ret, a * adj_ret


@adjoint(spatial_cross, typed=True)
def adj_spatial_cross(a, b, ret, adj_ret):
    S = vcls(6, a.dtype, "spatial_vector")

    def impl(a, b, ret, g):
        # (wa x wb, va x wb + wa x vb)
        wa, va = spatial_top(a), spatial_bottom(a)
        wb, vb = spatial_top(b), spatial_bottom(b)
        gt, gb = spatial_top(g), spatial_bottom(g)
        return (S(_cross(wb, gt) + _cross(vb, gb), _cross(wb, gb)),
                S(_cross(gt, wa) + _cross(gb, va), _cross(gb, wa)))

    return impl


@adjoint(spatial_cross_dual, typed=True)
def adj_spatial_cross_dual(a, b, ret, adj_ret):
    S = vcls(6, a.dtype, "spatial_vector")

    def impl(a, b, ret, g):
        # (w x n + v x f, w x f)
        w, v = spatial_top(a), spatial_bottom(a)
        n, f = spatial_top(b), spatial_bottom(b)
        gt, gb = spatial_top(g), spatial_bottom(g)
        return (S(_cross(n, gt) + _cross(f, gb), _cross(f, gt)),
                S(_cross(gt, w), _cross(gt, v) + _cross(gb, w)))

    return impl


@adjoint(spatial_adjoint, typed=True)
def adj_spatial_adjoint(r, s, ret, adj_ret):
    M = mcls(3, 3, r.dtype)

    def impl(r, s, ret, G):
        ar, as_ = M(), M()
        for i in range(3):
            for j in range(3):
                ar = store(ar, (i, j), G[i, j] + G[i + 3, j + 3])
                as_ = store(as_, (i, j), G[i + 3, j])
        return ar, as_

    return impl


def _transform_spatial_rule(builtin, is_twist):
    @adjoint(builtin, typed=True)
    def rule(t, x, ret, adj_ret):
        S = vcls(6, x.dtype, "spatial_vector")

        def impl(t, x, ret, g):
            q, p = transform_get_rotation(t), transform_get_translation(t)
            gt, gb = spatial_top(g), spatial_bottom(g)
            if is_twist:  # (top, bottom + p x top)
                top = spatial_top(ret)
                a_top, a_bottom, a_p = gt + _cross(gb, p), gb, _cross(top, gb)
            else:  # (top + p x bottom, bottom)
                bottom = spatial_bottom(ret)
                a_top, a_bottom, a_p = gt, gb + _cross(gt, p), _cross(bottom, gt)
            aq1, a_x_top = rotate_adj(q, spatial_top(x), a_top, 1.0)
            aq2, a_x_bottom = rotate_adj(q, spatial_bottom(x), a_bottom, 1.0)
            return transformation(a_p, aq1 + aq2), S(a_x_top, a_x_bottom)

        return impl

    rule.__name__ = f"adj_{builtin.__name__}"
    return rule


_transform_spatial_rule(transform_twist, True)
_transform_spatial_rule(transform_wrench, False)


@adjoint(velocity_at_point, typed=True)
def adj_velocity_at_point(qd, r, ret, adj_ret):
    S = vcls(6, qd.dtype, "spatial_vector")
    # v + w x r
    return lambda qd, r, ret, g: (S(_cross(r, g), g), _cross(g, spatial_top(qd)))
