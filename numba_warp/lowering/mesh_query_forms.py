"""Gradients of the mesh queries, and Warp's older output-argument forms of them.

Adjoints (Warp's): a closest-point query's ``(u, v)`` carry gradients to the query
point (inside a face, the projection's barycentric coordinates; along an edge, the
position along it; at a vertex, none); a ray hit's ``(t, u, v)`` carry gradients to
``start`` and ``dir`` (``triangle_ops.ray_hit_adjoint``) and, beyond Warp, to the hit
face's vertices in the mesh's ``points.grad`` when the points require gradients. Signs,
faces, normals and the furthest point (a vertex) have none.

Output-argument forms (``stateful_calls.register_outputs``): ``hit =
wp.mesh_query_point(mesh, p, max_dist, inside, face, u, v)`` sets its output variables
when it finds a point and leaves them as they were otherwise, as in Warp; the helpers
here return the outputs and then the result, and their adjoints pass the outputs'
gradients through when nothing was found.
"""

from __future__ import annotations

import numpy as np
from numba.core import types

from ..typing.vec import vector_class
from .adjoint_values import adj_zero
from .builtin import adjoint, implements, jitable
from .bvh_ops import slot
from .handles import cast_like, tuple_range
from .mesh_ops import SLOT_POINTS_GRAD, face_vertices, scatter_grad, triangle
from .mesh_queries import (
    furthest_face,
    mesh_query_furthest_point_no_sign,
    mesh_query_point,
    mesh_query_point_no_sign,
    mesh_query_point_sign_normal,
    mesh_query_point_sign_parity,
    mesh_query_point_sign_winding_number,
    mesh_query_ray,
    point_no_sign,
    point_result,
    point_sign_normal,
    point_sign_parity,
    point_sign_rays,
    point_sign_winding,
    point_tuple,
    ray_result,
)
from .stateful_calls import register_outputs
from .triangle_ops import closest_point_adjoint, closest_point_to_triangle, ray_hit_adjoint

__all__: list = []

_F32 = np.float32
_VEC3 = vector_class(3, types.float32)
#: zero contributions of the arguments that have no gradient (sliced to length)
_ZEROS = (0,) * 16


# -- adjoints -----------------------------------------------------------------------------------

def point_adjoint(mesh, point, found, face, adj_u, adj_v):
    """The query point's adjoint from those of a closest point's ``(u, v)``."""


@implements(point_adjoint)
def _ol_point_adjoint(mesh, point, found, face, adj_u, adj_v):
    def impl(mesh, point, found, face, adj_u, adj_v):
        if not found:
            return _VEC3(_F32(0.0), _F32(0.0), _F32(0.0))
        p = point_tuple(point)
        a, b, c = triangle(mesh, face)
        _u, _v, region = closest_point_to_triangle(a, b, c, p)
        g = closest_point_adjoint(a, b, c, p, region, _F32(adj_u), _F32(adj_v))
        return _VEC3(g[0], g[1], g[2])

    return impl


def ray_adjoint(mesh, dir, found, face, t, u, v, adj_t, adj_u, adj_v):
    """(start, dir) adjoints of a ray hit's ``(t, u, v)``; the face's vertices' go into the
    mesh's points gradient (when it has one)."""


@implements(ray_adjoint)
def _ol_ray_adjoint(mesh, dir, found, face, t, u, v, adj_t, adj_u, adj_v):
    def impl(mesh, dir, found, face, t, u, v, adj_t, adj_u, adj_v):
        z = _F32(0.0)
        if not found:
            return _VEC3(z, z, z), _VEC3(z, z, z)
        a, b, c = triangle(mesh, face)
        gs, gd, ga, gb, gc = ray_hit_adjoint(point_tuple(dir), a, b, c, _F32(t), _F32(u),
                                             _F32(v), _F32(adj_t), _F32(adj_u), _F32(adj_v))
        grad = slot(mesh, SLOT_POINTS_GRAD)
        if grad != 0:
            i, j, k = face_vertices(mesh, face)
            scatter_grad(grad, i, _F32(1.0), ga)
            scatter_grad(grad, j, _F32(1.0), gb)
            scatter_grad(grad, k, _F32(1.0), gc)
        return _VEC3(gs[0], gs[1], gs[2]), _VEC3(gd[0], gd[1], gd[2])

    return impl


def _struct_point_rule(public):
    @adjoint(public, typed=True)
    def rule(*args):
        k = len(args) - 4  # (id, point, the other inputs..., ret, adj_ret)

        def impl(*args):
            ret, adj = args[-2], args[-1]
            g = point_adjoint(np.int64(args[0]), args[1], ret.result, ret.face, adj.u, adj.v)
            return (0, g) + tuple_range(_ZEROS, 0, k)

        return impl

    return rule


for _public in (mesh_query_point, mesh_query_point_no_sign, mesh_query_point_sign_normal,
                mesh_query_point_sign_winding_number, mesh_query_point_sign_parity):
    _struct_point_rule(_public)


@adjoint(mesh_query_furthest_point_no_sign, typed=True)
def _adj_furthest(*args):
    n = len(args) - 2
    return lambda *args: tuple_range(_ZEROS, 0, n)


@adjoint(mesh_query_ray, typed=True)
def _adj_ray(*args):
    k = len(args) - 5  # (id, start, dir, the other inputs..., ret, adj_ret)

    def impl(*args):
        ret, adj = args[-2], args[-1]
        gs, gd = ray_adjoint(np.int64(args[0]), args[2], ret.result, ret.face, ret.t, ret.u,
                             ret.v, adj.t, adj.u, adj.v)
        return (0, gs, gd) + tuple_range(_ZEROS, 0, k)

    return impl


# -- output-argument forms -----------------------------------------------------------------------

@jitable
def _normal(mesh, p, d, epsilon=1.0e-3):
    return point_sign_normal(mesh, p, d, _F32(epsilon))


@jitable
def _winding(mesh, p, d, accuracy=2.0, threshold=0.5):
    return point_sign_winding(mesh, p, d, _F32(accuracy), _F32(threshold))


@jitable
def _parity(mesh, p, d, n_sample=1, perturbation_scale=0.1):
    return point_sign_parity(mesh, p, d, n_sample, _F32(perturbation_scale))


@jitable
def _furthest(mesh, p, d):
    found, face, u, v = furthest_face(mesh, p, d)
    return point_result(found, face, u, v, _F32(0.0))


@jitable
def _through(found, adj):
    """An output's adjoint flows to the variable's old value when nothing was found."""
    if found:
        return adj_zero(adj)
    return adj


def _helper_stub(public, name):
    def helper(*args):
        raise RuntimeError(f"wp.{public.__name__}() can only be called inside a kernel")

    helper.__name__ = helper.__qualname__ = name
    return helper


def _point_form(public, name, compute, signed, min_args, differentiable=True):
    """Register the output form of closest-point query ``public``: outputs ``([inside,]
    face, u, v)`` after ``(id, point, dist)``, then the query's optional arguments."""
    nout = 4 if signed else 3
    end = 3 + nout
    helper = _helper_stub(public, name)

    @implements(helper)
    def typer(*args):
        if len(args) < 3 + nout:
            return None

        def impl(*args):
            q = compute(np.int64(args[0]), point_tuple(args[1]), _F32(args[2]),
                        *tuple_range(args, end, 99))
            outs = tuple_range(args, 3, end)
            if not q.result:
                return outs + (False,)
            tail = (cast_like(q.face, outs[-3]), cast_like(q.u, outs[-2]),
                    cast_like(q.v, outs[-1]), True)
            if signed:
                return (cast_like(q.sign, outs[0]),) + tail
            return tail

        return impl

    @adjoint(helper, typed=True)
    def rule(*args):
        rest = len(args) - 2 - 3 - nout

        def impl(*args):
            ret, adj = args[-2], args[-1]
            found = ret[-1]
            if differentiable:
                g = point_adjoint(np.int64(args[0]), args[1], found, ret[-4], adj[-3],
                                  adj[-2])
            else:
                g = adj_zero(args[1])
            outs = (_through(found, adj[0]), _through(found, adj[1]),
                    _through(found, adj[2]), _through(found, adj[3]))
            return (0, g, 0) + tuple_range(outs, 0, nout) + tuple_range(_ZEROS, 0, rest)

        return impl

    register_outputs(public, helper, 3, nout, min_args)


_point_form(mesh_query_point, "_mesh_query_point_outputs", point_sign_rays, True, 7)
_point_form(mesh_query_point_no_sign, "_mesh_query_point_no_sign_outputs", point_no_sign,
            False, 6)
_point_form(mesh_query_point_sign_normal, "_mesh_query_point_sign_normal_outputs", _normal,
            True, 7)
_point_form(mesh_query_point_sign_winding_number,
            "_mesh_query_point_sign_winding_number_outputs", _winding, True, 7)
_point_form(mesh_query_point_sign_parity, "_mesh_query_point_sign_parity_outputs", _parity,
            True, 7)
_point_form(mesh_query_furthest_point_no_sign, "_mesh_query_furthest_point_no_sign_outputs",
            _furthest, False, 6, differentiable=False)


_ray_outputs = _helper_stub(mesh_query_ray, "_mesh_query_ray_outputs")


@implements(_ray_outputs)
def _ol_ray_outputs(*args):
    if len(args) not in (10, 11):
        return None

    def impl(*args):
        q = ray_result(np.int64(args[0]), args[1], args[2], args[3], *tuple_range(args, 10, 11))
        outs = tuple_range(args, 4, 10)
        if not q.result:
            return outs + (False,)
        return (cast_like(q.t, outs[0]), cast_like(q.u, outs[1]), cast_like(q.v, outs[2]),
                cast_like(q.sign, outs[3]), q.normal, cast_like(q.face, outs[5]), True)

    return impl


@adjoint(_ray_outputs, typed=True)
def _adj_ray_outputs(*args):
    rest = len(args) - 2 - 10

    def impl(*args):
        ret, adj = args[-2], args[-1]
        found = ret[-1]
        gs, gd = ray_adjoint(np.int64(args[0]), args[2], found, ret[5], ret[0], ret[1],
                             ret[2], adj[0], adj[1], adj[2])
        outs = (_through(found, adj[0]), _through(found, adj[1]), _through(found, adj[2]),
                _through(found, adj[3]), _through(found, adj[4]), _through(found, adj[5]))
        return (0, gs, gd, 0) + outs + tuple_range(_ZEROS, 0, rest)

    return impl


register_outputs(mesh_query_ray, _ray_outputs, 4, 6, 10)
