"""Warp's "Transformations" builtins, for kernels, plain Numba code and Python scope.

Contract:

* A transform is a ``VecType`` of kind ``"transformation"`` with 7 components
  ``(p.x, p.y, p.z, q.x, q.y, q.z, q.w)``: a translation ``p`` and a unit rotation
  quaternion ``q``. It maps a point ``x`` to ``p + quat_rotate(q, x)``.
* Same structure as ``quat.py`` (one Python function + one ``@implements`` per builtin,
  Python scope runs the overload through :func:`~.builtin.python_scope`); results take the
  dtype of the transform/vector/matrix argument.
* ``transform_point``/``transform_vector`` also take a 4x4 matrix (``M @ (x, 1)`` and
  ``M @ (v, 0)``, no perspective divide). ``transform_to_matrix``/``transform_compose``
  build ``[R diag(s) | p; 0 0 0 1]``; ``transform_decompose`` returns ``(p, q, s)`` with
  ``s`` the column norms of the upper 3x3 block.
* ``transform_set_translation``/``transform_set_rotation`` modify the transform in place
  at Python scope (as Warp does); in kernels, where a transform is a value, they return
  the updated transform (write ``t = wp.transform_set_translation(t, p)``).
* Extras registered here: ``t.p`` and ``t.q`` read the translation and rotation of a
  transform in kernels, and ``a * b`` on two transforms is :func:`transform_multiply`.
"""

from __future__ import annotations

import math
import operator

import numpy as np
from numba.core import types
from numba.core.errors import TypingError
from numba.core.imputils import lower_builtin, lower_getattr
from numba.core.typing.templates import (
    AbstractTemplate,
    AttributeTemplate,
    infer_getattr,
    infer_global,
    signature,
)

from ..typing.scalars import to_numba_type
from ..typing.vec import VecType, install_composite_product, keyword_pysig, pack, unpack
from .builtin import (
    absent,
    adjoint,
    constructor,
    dtype_arg,
    implements,
    is_kind,
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
from .quat import (
    adj_quat_to_matrix,
    from_matrix_adj,
    quat_from_matrix,
    quat_inverse,
    quat_rotate,
    quat_to_matrix,
    rotate_adj,
)
from .registry import MUL_RULES

__all__ = [
    "transformation", "transform_identity", "transform_get_translation",
    "transform_get_rotation", "transform_set_translation", "transform_set_rotation",
    "transform_multiply", "transform_inverse", "transform_point", "transform_vector",
    "transform_to_matrix", "transform_from_matrix", "transform_compose",
    "transform_decompose",
]


def is_xform(t) -> bool:
    return is_kind(t, "transformation", 7)


# ---------------------------------------------------------------------------------------
# Construction and parts
# ---------------------------------------------------------------------------------------


def transformation(*args, dtype=None):
    """The transform of translation ``p`` (vec3) and rotation ``q`` (quaternion):
    ``transformation(p, q)``, or of its 7 components ``transformation(px, py, pz, qx, qy,
    qz, qw)``; ``dtype=`` converts.

    At Python scope, ``transformation(dtype=wp.float64)`` with no parts returns the
    transform *type* (``wp.transformd``), as Warp's type constructor does.

    Example
    -------
    >>> q = wp.quat_from_axis_angle(wp.vec3(0.0, 0.0, 1.0), 0.5 * wp.pi)
    >>> t = wp.transformation(wp.vec3(1.0, 2.0, 3.0), q)
    >>> print(np.round(np.array(t), 4))
    [1.     2.     3.     0.     0.     0.7071 0.7071]
    >>> wp.transformation(1.0, 2.0, 3.0, 0.0, 0.0, 0.0, 1.0, dtype=wp.float64)
    transformd(1.0, 2.0, 3.0, 0.0, 0.0, 0.0, 1.0)
    """
    if not args:
        return vcls(7, to_numba_type(dtype if dtype is not None else float), "transformation")
    if len(args) == 2:
        p, q = args
        dt = to_numba_type(dtype) if dtype is not None else p._numba_type.dtype
        return vcls(7, dt, "transformation")(np.concatenate([np.asarray(p), np.asarray(q)]))
    return vcls(7, to_numba_type(dtype if dtype is not None else float), "transformation")(
        *args)


@infer_global(transformation)
class _TransformationTemplate(AbstractTemplate):
    def generic(self, args, kws):
        kws = dict(kws)
        dtype = kws.pop("dtype", None)
        if kws:
            return None
        if len(args) == 2 and is_vec3(args[0]) and is_quat(args[1]):
            dt = args[0].dtype if absent(dtype) else dtype_arg(dtype)
        elif len(args) == 7 and all(is_number(a) for a in args):
            dt = dtype_arg(dtype, *args)
        else:
            raise TypingError("transformation() takes (p: vec3, q: quat) or 7 numbers, got "
                              f"({', '.join(map(str, args))})")
        sig = signature(vcls(7, dt, "transformation")._numba_type, *args,
                        *([] if dtype is None else [dtype]))
        return sig.replace(pysig=keyword_pysig(len(args), [] if dtype is None else ["dtype"]))


@lower_builtin(transformation, types.VarArg(types.Any))
def _lower_transformation(context, builder, sig, args):
    T = sig.return_type
    n = sum(name.startswith("a") for name in sig.pysig.parameters)
    if n == 2:
        (pt, qt), (p, q) = sig.args[:2], args[:2]
        parts = [(c, pt.dtype) for c in unpack(builder, p, 3)]
        parts += [(c, qt.dtype) for c in unpack(builder, q, 4)]
    else:
        parts = list(zip(args[:n], sig.args[:n]))
    return pack(context, builder, T, [context.cast(builder, v, t, T.dtype) for v, t in parts])


def transform_identity(dtype=None):
    """The identity transform ``(0, 0, 0, 0, 0, 0, 1)``.

    Example
    -------
    >>> wp.transform_identity()
    transformf(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0)
    >>> wp.transform_identity(dtype=wp.float64)
    transformd(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0)
    """
    return python_scope(transform_identity, dtype)


@implements(transform_identity)
def _ol_transform_identity(dtype=None):
    T = vcls(7, dtype_arg(dtype), "transformation")
    return lambda dtype=None: T(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0)


def transform_get_translation(xform):
    """The translation ``p`` of a transform, as a vec3.

    Example
    -------
    >>> t = wp.transform(wp.vec3(1.0, 2.0, 3.0), wp.quat_identity())
    >>> wp.transform_get_translation(t)
    vec3f(1.0, 2.0, 3.0)
    """
    return python_scope(transform_get_translation, xform)


@implements(transform_get_translation)
def _ol_get_translation(xform):
    if is_xform(xform):
        V = vcls(3, xform.dtype)
        return lambda xform: V(xform[0], xform[1], xform[2])


def transform_get_rotation(xform):
    """The rotation ``q`` of a transform, as a quaternion.

    Example
    -------
    >>> q = wp.quat_from_axis_angle(wp.vec3(0.0, 0.0, 1.0), 0.5 * wp.pi)
    >>> t = wp.transform(wp.vec3(1.0, 2.0, 3.0), q)
    >>> print(np.round(np.array(wp.transform_get_rotation(t)), 4))
    [0.     0.     0.7071 0.7071]
    """
    return python_scope(transform_get_rotation, xform)


@implements(transform_get_rotation)
def _ol_get_rotation(xform):
    if is_xform(xform):
        Q = vcls(4, xform.dtype, "quaternion")
        return lambda xform: Q(xform[3], xform[4], xform[5], xform[6])


def transform_set_translation(xform, p):
    """Set the translation of ``xform`` to ``p`` (in place at Python scope; in kernels the
    updated transform is returned).

    Example
    -------
    >>> t = wp.transform_identity()
    >>> wp.transform_set_translation(t, wp.vec3(4.0, 5.0, 6.0))
    >>> print(t)
    [4.0, 5.0, 6.0, 0.0, 0.0, 0.0, 1.0]
    """
    xform[0:3] = np.asarray(p)


def transform_set_rotation(xform, q):
    """Set the rotation of ``xform`` to ``q`` (in place at Python scope; in kernels the
    updated transform is returned).

    Example
    -------
    >>> t = wp.transform(wp.vec3(4.0, 5.0, 6.0), wp.quat_identity())
    >>> wp.transform_set_rotation(t, wp.quat(0.0, 0.0, 1.0, 0.0))  # 180 degrees about z
    >>> print(t)
    [4.0, 5.0, 6.0, 0.0, 0.0, 1.0, 0.0]
    """
    xform[3:7] = np.asarray(q)


@implements(transform_set_translation)
def _ol_set_translation(xform, p):
    if is_xform(xform) and is_vec3(p):
        T = vcls(7, xform.dtype, "transformation")
        return lambda xform, p: T(p[0], p[1], p[2], xform[3], xform[4], xform[5], xform[6])


@implements(transform_set_rotation)
def _ol_set_rotation(xform, q):
    if is_xform(xform) and is_quat(q):
        T = vcls(7, xform.dtype, "transformation")
        return lambda xform, q: T(xform[0], xform[1], xform[2], q[0], q[1], q[2], q[3])


# ---------------------------------------------------------------------------------------
# Algebra
# ---------------------------------------------------------------------------------------


def transform_multiply(a, b):
    """The composition ``a * b``: apply ``b``, then ``a``.

    Example
    -------
    >>> q = wp.quat_from_axis_angle(wp.vec3(0.0, 0.0, 1.0), 0.5 * wp.pi)
    >>> rotate = wp.transform(wp.vec3(0.0, 0.0, 0.0), q)
    >>> shift = wp.transform(wp.vec3(1.0, 0.0, 0.0), wp.quat_identity())
    >>> t = wp.transform_multiply(rotate, shift)  # shift, then rotate
    >>> print(np.round(np.array(wp.transform_get_translation(t)), 4) + 0.0)
    [0. 1. 0.]
    >>> print(np.round(np.array(wp.transform_get_translation(shift * rotate)), 4) + 0.0)
    [1. 0. 0.]
    """
    return python_scope(transform_multiply, a, b)


@implements(transform_multiply)
def _ol_transform_multiply(a, b):
    if is_xform(a) and a == b:
        T = vcls(7, a.dtype, "transformation")

        def impl(a, b):
            qa = transform_get_rotation(a)
            p = transform_get_translation(a) + quat_rotate(qa, transform_get_translation(b))
            return T(p, qa * transform_get_rotation(b))

        return impl


@implements(operator.mul)
def _ol_transform_mul_operator(a, b):
    if is_xform(a) and a == b:
        return lambda a, b: transform_multiply(a, b)


# Python scope: ``q1 * q2`` and ``t1 * t2`` run this operator's compiled code (the
# quaternion product is lowered in vector_ops), so they give the kernels' numbers
install_composite_product(lambda a, b: python_scope(operator.mul, a, b))


def transform_inverse(xform):
    """The inverse transform: ``(-quat_rotate_inv(q, p), quat_inverse(q))``.

    Example
    -------
    >>> q = wp.quat_from_axis_angle(wp.vec3(0.0, 0.0, 1.0), 0.5 * wp.pi)
    >>> t = wp.transform(wp.vec3(1.0, 2.0, 3.0), q)
    >>> print(np.round(np.array(wp.transform_inverse(t)), 4))
    [-2.      1.     -3.      0.      0.     -0.7071  0.7071]
    >>> p = wp.transform_point(t, wp.vec3(4.0, 5.0, 6.0))
    >>> print(np.round(np.array(wp.transform_point(wp.transform_inverse(t), p)), 4))
    [4. 5. 6.]
    """
    return python_scope(transform_inverse, xform)


@implements(transform_inverse)
def _ol_transform_inverse(xform):
    if is_xform(xform):
        ft = xform.dtype
        T = vcls(7, ft, "transformation")
        Q = vcls(4, ft, "quaternion")

        def impl(xform):
            z = ft(0.0)
            qi = Q(z - xform[3], z - xform[4], z - xform[5], xform[6])
            p = quat_rotate(qi, transform_get_translation(xform))
            return T(z - p[0], z - p[1], z - p[2], qi[0], qi[1], qi[2], qi[3])

        return impl


def transform_point(xform, point):
    """``p + quat_rotate(q, point)`` for a transform; ``M @ (point, 1)`` for a 4x4 matrix.

    Example
    -------
    >>> q = wp.quat_from_axis_angle(wp.vec3(0.0, 0.0, 1.0), 0.5 * wp.pi)
    >>> t = wp.transform(wp.vec3(1.0, 2.0, 3.0), q)
    >>> print(np.round(np.array(wp.transform_point(t, wp.vec3(1.0, 0.0, 0.0))), 4))
    [1. 3. 3.]
    >>> m = wp.transform_to_matrix(t)  # the same with a 4x4 matrix
    >>> print(np.round(np.array(wp.transform_point(m, wp.vec3(1.0, 0.0, 0.0))), 4))
    [1. 3. 3.]
    """
    return python_scope(transform_point, xform, point)


def transform_vector(xform, vec):
    """``quat_rotate(q, vec)`` for a transform; ``M @ (vec, 0)`` for a 4x4 matrix.

    Example
    -------
    >>> q = wp.quat_from_axis_angle(wp.vec3(0.0, 0.0, 1.0), 0.5 * wp.pi)
    >>> t = wp.transform(wp.vec3(1.0, 2.0, 3.0), q)
    >>> print(np.round(np.array(wp.transform_vector(t, wp.vec3(1.0, 0.0, 0.0))), 4) + 0.0)
    [0. 1. 0.]
    """
    return python_scope(transform_vector, xform, vec)


for _fn, _w in ((transform_point, 1.0), (transform_vector, 0.0)):

    def _register(fn=_fn, w=_w):
        @implements(fn)
        def _ol(xform, v):
            if is_xform(xform) and is_vec3(v) and v.dtype == xform.dtype:
                if w:
                    return lambda xform, v: (transform_get_translation(xform)
                                             + quat_rotate(transform_get_rotation(xform), v))
                return lambda xform, v: quat_rotate(transform_get_rotation(xform), v)
            if is_mat_shape(xform, 4, 4) and is_vec3(v) and v.dtype == xform.dtype:
                ft = v.dtype
                V = vcls(3, ft)
                h = ft(w)

                def impl(xform, v):
                    x, y, z = v[0], v[1], v[2]
                    return V(xform[0, 0] * x + xform[0, 1] * y + xform[0, 2] * z + xform[0, 3] * h,
                             xform[1, 0] * x + xform[1, 1] * y + xform[1, 2] * z + xform[1, 3] * h,
                             xform[2, 0] * x + xform[2, 1] * y + xform[2, 2] * z + xform[2, 3] * h)

                return impl

    _register()


# ---------------------------------------------------------------------------------------
# 4x4 matrices
# ---------------------------------------------------------------------------------------


def _compose_impl(M, ft):
    def impl(position, rotation, scale):
        r, s, p = quat_to_matrix(rotation), scale, position
        z, one = ft(0.0), ft(1.0)
        return M(r[0, 0] * s[0], r[0, 1] * s[1], r[0, 2] * s[2], p[0],
                 r[1, 0] * s[0], r[1, 1] * s[1], r[1, 2] * s[2], p[1],
                 r[2, 0] * s[0], r[2, 1] * s[1], r[2, 2] * s[2], p[2],
                 z, z, z, one)

    return impl


def transform_compose(position, rotation, scale):
    """The 4x4 matrix ``[R(rotation) diag(scale) | position; 0 0 0 1]``.

    Example
    -------
    >>> q = wp.quat_from_axis_angle(wp.vec3(0.0, 0.0, 1.0), 0.5 * wp.pi)
    >>> m = wp.transform_compose(wp.vec3(1.0, 2.0, 3.0), q, wp.vec3(2.0, 2.0, 2.0))
    >>> print(np.round(np.array(m), 4) + 0.0)
    [[ 0. -2.  0.  1.]
     [ 2.  0.  0.  2.]
     [ 0.  0.  2.  3.]
     [ 0.  0.  0.  1.]]
    """
    return python_scope(transform_compose, position, rotation, scale)


@implements(transform_compose)
def _ol_transform_compose(position, rotation, scale):
    if is_vec3(position) and is_quat(rotation) and is_vec3(scale):
        return _compose_impl(mcls(4, 4, position.dtype), position.dtype)


def transform_to_matrix(xform):
    """The 4x4 matrix ``[R(q) | p; 0 0 0 1]`` of a transform.

    Example
    -------
    >>> q = wp.quat_from_axis_angle(wp.vec3(0.0, 0.0, 1.0), 0.5 * wp.pi)
    >>> m = wp.transform_to_matrix(wp.transform(wp.vec3(1.0, 2.0, 3.0), q))
    >>> print(np.round(np.array(m), 4) + 0.0)
    [[ 0. -1.  0.  1.]
     [ 1.  0.  0.  2.]
     [ 0.  0.  1.  3.]
     [ 0.  0.  0.  1.]]
    """
    return python_scope(transform_to_matrix, xform)


@implements(transform_to_matrix)
def _ol_transform_to_matrix(xform):
    if is_xform(xform):
        V = vcls(3, xform.dtype)

        def impl(xform):
            return transform_compose(transform_get_translation(xform),
                                     transform_get_rotation(xform), V(1.0, 1.0, 1.0))

        return impl


def transform_from_matrix(mat):
    """The transform of a 4x4 rigid matrix: translation from the last column, rotation
    from the upper 3x3 block.

    Example
    -------
    >>> m = wp.mat44(0.0, -1.0, 0.0, 1.0,
    ...              1.0, 0.0, 0.0, 2.0,
    ...              0.0, 0.0, 1.0, 3.0,
    ...              0.0, 0.0, 0.0, 1.0)  # 90 degrees about z, then a shift
    >>> print(np.round(np.array(wp.transform_from_matrix(m)), 4))
    [1.     2.     3.     0.     0.     0.7071 0.7071]
    """
    return python_scope(transform_from_matrix, mat)


@implements(transform_from_matrix)
def _ol_transform_from_matrix(mat):
    if is_mat_shape(mat, 4, 4):
        T = vcls(7, mat.dtype, "transformation")
        V = vcls(3, mat.dtype)
        return lambda mat: T(V(mat[0, 3], mat[1, 3], mat[2, 3]), quat_from_matrix(mat))


def transform_decompose(m):
    """``(position, rotation, scale)`` of a 4x4 matrix ``[R diag(s) | p; 0 0 0 1]``.

    Example
    -------
    >>> q = wp.quat_from_axis_angle(wp.vec3(0.0, 0.0, 1.0), 0.5 * wp.pi)
    >>> m = wp.transform_compose(wp.vec3(1.0, 2.0, 3.0), q, wp.vec3(1.0, 2.0, 3.0))
    >>> p, r, s = wp.transform_decompose(m)
    >>> print(np.round(np.array(p), 4), np.round(np.array(r), 4), np.round(np.array(s), 4))
    [1. 2. 3.] [0.     0.     0.7071 0.7071] [1. 2. 3.]
    """
    return python_scope(transform_decompose, m)


@implements(transform_decompose)
def _ol_transform_decompose(m):
    if is_mat_shape(m, 4, 4):
        ft = m.dtype
        V = vcls(3, ft)
        M3 = mcls(3, 3, ft)

        def impl(m):
            sx = ft(math.sqrt(m[0, 0] * m[0, 0] + m[1, 0] * m[1, 0] + m[2, 0] * m[2, 0]))
            sy = ft(math.sqrt(m[0, 1] * m[0, 1] + m[1, 1] * m[1, 1] + m[2, 1] * m[2, 1]))
            sz = ft(math.sqrt(m[0, 2] * m[0, 2] + m[1, 2] * m[1, 2] + m[2, 2] * m[2, 2]))
            r = M3(m[0, 0] / sx, m[0, 1] / sy, m[0, 2] / sz,
                   m[1, 0] / sx, m[1, 1] / sy, m[1, 2] / sz,
                   m[2, 0] / sx, m[2, 1] / sy, m[2, 2] / sz)
            return V(m[0, 3], m[1, 3], m[2, 3]), quat_from_matrix(r), V(sx, sy, sz)

        return impl


# ---------------------------------------------------------------------------------------
# t.p and t.q in kernels
# ---------------------------------------------------------------------------------------


@infer_getattr
class _TransformAttributes(AttributeTemplate):
    key = VecType

    def generic_resolve(self, typ, attr):
        if typ.kind == "transformation" and attr in ("p", "q"):
            return vcls(3, typ.dtype)._numba_type if attr == "p" else vcls(
                4, typ.dtype, "quaternion")._numba_type
        return None


@lower_getattr(VecType, "p")
def _transform_p(context, builder, typ, value):
    return pack(context, builder, vcls(3, typ.dtype)._numba_type, unpack(builder, value, 3))


@lower_getattr(VecType, "q")
def _transform_q(context, builder, typ, value):
    comps = unpack(builder, value, 7)[3:]
    return pack(context, builder, vcls(4, typ.dtype, "quaternion")._numba_type, comps)


# -- adjoints ---------------------------------------------------------------------------
# One rule per differentiable builtin above (see lowering.registry): adj_f(args..., ret,
# adj_ret) returns the contributions to the arguments' adjoints, differentiating the
# formulas as implemented. ``transformation(p, q)`` is a constructor (concatenation of p
# and q).

constructor(transformation)
nondifferentiable(transform_identity)


@adjoint(transform_get_translation, typed=True)
def adj_transform_get_translation(xform, ret, adj_ret):
    T = vcls(7, xform.dtype, "transformation")
    return lambda xform, ret, g: (T(g[0], g[1], g[2], 0.0, 0.0, 0.0, 0.0),)


@adjoint(transform_get_rotation, typed=True)
def adj_transform_get_rotation(xform, ret, adj_ret):
    T = vcls(7, xform.dtype, "transformation")
    return lambda xform, ret, g: (T(0.0, 0.0, 0.0, g[0], g[1], g[2], g[3]),)


@adjoint(transform_set_translation, typed=True)
def adj_transform_set_translation(xform, p, ret, adj_ret):
    T, V = vcls(7, xform.dtype, "transformation"), vcls(3, xform.dtype)
    return lambda xform, p, ret, g: (T(0.0, 0.0, 0.0, g[3], g[4], g[5], g[6]),
                                     V(g[0], g[1], g[2]))


@adjoint(transform_set_rotation, typed=True)
def adj_transform_set_rotation(xform, q, ret, adj_ret):
    T, Q = vcls(7, xform.dtype, "transformation"), vcls(4, xform.dtype, "quaternion")
    return lambda xform, q, ret, g: (T(g[0], g[1], g[2], 0.0, 0.0, 0.0, 0.0),
                                     Q(g[3], g[4], g[5], g[6]))


@adjoint(transform_multiply)
def adj_transform_multiply(a, b, ret, adj_ret):
    # p = pa + rotate(qa, pb), q = qa * qb (see quat.py's product rule)
    qa, qb = transform_get_rotation(a), transform_get_rotation(b)
    gp, gq = transform_get_translation(adj_ret), transform_get_rotation(adj_ret)
    adj_qa, adj_pb = rotate_adj(qa, transform_get_translation(b), gp, 1.0)
    return (transformation(gp, adj_qa + gq * quat_inverse(qb)),
            transformation(adj_pb, quat_inverse(qa) * gq))


MUL_RULES[("transformation", "transformation")] = adj_transform_multiply


@adjoint(transform_inverse)
def adj_transform_inverse(xform, ret, adj_ret):
    # ret = (-rotate(qi, p), qi) with qi = conj(q)
    qi = quat_inverse(transform_get_rotation(xform))
    adj_qi, adj_p = rotate_adj(qi, transform_get_translation(xform),
                               -transform_get_translation(adj_ret), 1.0)
    return (transformation(adj_p, quat_inverse(adj_qi + transform_get_rotation(adj_ret))),)


def _point_vector_rule(builtin, w):
    @adjoint(builtin, typed=True)
    def rule(xform, v, ret, adj_ret):
        ft = v.dtype
        V = vcls(3, ft)
        if is_xform(xform):
            T = vcls(7, ft, "transformation")

            def impl(xform, v, ret, g):
                aq, av = rotate_adj(transform_get_rotation(xform), v, g, 1.0)
                return T(g * ft(w), aq), av

            return impl
        M = mcls(4, 4, ft)
        h = ft(w)

        def impl_mat(xform, v, ret, g):
            z = ft(0.0)
            return (M(g[0] * v[0], g[0] * v[1], g[0] * v[2], g[0] * h,
                      g[1] * v[0], g[1] * v[1], g[1] * v[2], g[1] * h,
                      g[2] * v[0], g[2] * v[1], g[2] * v[2], g[2] * h, z, z, z, z),
                    V(xform[0, 0] * g[0] + xform[1, 0] * g[1] + xform[2, 0] * g[2],
                      xform[0, 1] * g[0] + xform[1, 1] * g[1] + xform[2, 1] * g[2],
                      xform[0, 2] * g[0] + xform[1, 2] * g[1] + xform[2, 2] * g[2]))

        return impl_mat

    rule.__name__ = f"adj_{builtin.__name__}"
    return rule


_point_vector_rule(transform_point, 1.0)
_point_vector_rule(transform_vector, 0.0)


@adjoint(transform_compose, typed=True)
def adj_transform_compose(position, rotation, scale, ret, adj_ret):
    ft = position.dtype
    V, M3 = vcls(3, ft), mcls(3, 3, ft)

    def impl(position, rotation, scale, ret, G):
        r, s = quat_to_matrix(rotation), scale
        # M[i, j] = r[i, j] * s[j] (i, j < 3), M[i, 3] = p[i]
        adj_r = M3(G[0, 0] * s[0], G[0, 1] * s[1], G[0, 2] * s[2],
                   G[1, 0] * s[0], G[1, 1] * s[1], G[1, 2] * s[2],
                   G[2, 0] * s[0], G[2, 1] * s[1], G[2, 2] * s[2])
        adj_s = V(G[0, 0] * r[0, 0] + G[1, 0] * r[1, 0] + G[2, 0] * r[2, 0],
                  G[0, 1] * r[0, 1] + G[1, 1] * r[1, 1] + G[2, 1] * r[2, 1],
                  G[0, 2] * r[0, 2] + G[1, 2] * r[1, 2] + G[2, 2] * r[2, 2])
        return (V(G[0, 3], G[1, 3], G[2, 3]), adj_quat_to_matrix(rotation, r, adj_r)[0],
                adj_s)

    return impl


@adjoint(transform_to_matrix, typed=True)
def adj_transform_to_matrix(xform, ret, adj_ret):
    V = vcls(3, xform.dtype)

    def impl(xform, ret, adj_ret):
        ap, aq, _ = adj_transform_compose(transform_get_translation(xform),
                                          transform_get_rotation(xform), V(1.0, 1.0, 1.0),
                                          ret, adj_ret)
        return (transformation(ap, aq),)

    return impl


def _embed(a, p, like):
    """The 4x4 matrix (typed as ``like``) with upper 3x3 block ``a`` and last column
    ``(p, 0)``."""


@implements(_embed)
def _ol_embed(a, p, like):
    M = mcls(4, 4, like.dtype)

    def impl(a, p, like):
        out = M()
        for i in range(3):
            for j in range(3):
                out = store(out, (i, j), a[i, j])
            out = store(out, (i, 3), p[i])
        return out

    return impl


@adjoint(transform_from_matrix)
def adj_transform_from_matrix(mat, ret, adj_ret):
    return (_embed(from_matrix_adj(mat, transform_get_rotation(adj_ret)),
                   transform_get_translation(adj_ret), mat),)


@adjoint(transform_decompose, typed=True)
def adj_transform_decompose(m, ret, adj_ret):
    ft = m.dtype
    M3 = mcls(3, 3, ft)

    def impl(m, ret, adj_ret):
        gp, gq, gs = adj_ret
        s = ret[2]
        r = M3(m[0, 0] / s[0], m[0, 1] / s[1], m[0, 2] / s[2],
               m[1, 0] / s[0], m[1, 1] / s[1], m[1, 2] / s[2],
               m[2, 0] / s[0], m[2, 1] / s[1], m[2, 2] / s[2])
        ar = from_matrix_adj(r, gq)
        out = M3()
        for j in range(3):
            # r[i, j] = m[i, j] / s[j], s[j] = |column j|: d s[j] / d m[i, j] = r[i, j]
            a_s = gs[j] - (ar[0, j] * r[0, j] + ar[1, j] * r[1, j] + ar[2, j] * r[2, j]) / s[j]
            for i in range(3):
                out = store(out, (i, j), ar[i, j] / s[j] + a_s * r[i, j])
        return (_embed(out, gp, m),)

    return impl
