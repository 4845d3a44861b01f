"""Warp's spatial_vector is a vector(6) and its spatial_matrix a matrix((6, 6)): Warp's
types compare by structure, so a program may store a 6-vector into an array of spatial
vectors, pass one to a function or kernel parameter of the other, mix them in arithmetic
and builtins, or launch a kernel on an array of the other. numba_warp keeps the spatial
kinds (names, spatial matrix products) and converts between them where Warp would.

Expected values: Warp 1.19 (CPU) ran the same kernels (``import warp as wp``) and printed
them; the same program's gradients were [2, 2, 2, 2, 2, 2] there too.
"""

import numpy as np
import pytest

import numba_warp as wp

vec6 = wp.types.vector(length=6, dtype=wp.float32)
mat66 = wp.types.matrix(shape=(6, 6), dtype=wp.float32)


@wp.func
def takes_spatial(v: wp.spatial_vector):
    return v[0] + v[5]


@wp.func
def takes_vec6(v: vec6):
    return v[1] * 2.0


@wp.func
def takes_spatial_matrix(m: wp.spatial_matrix):
    return m[0, 1]


@wp.kernel
def mixed(m: wp.array(dtype=wp.spatial_matrix), v: wp.array(dtype=wp.spatial_vector),
          out_sv: wp.array2d(dtype=wp.spatial_vector), out_f: wp.array(dtype=float),
          out_m: wp.array(dtype=wp.spatial_matrix)):
    x = wp.types.vector(1.0, 2.0, 3.0, 4.0, 5.0, 6.0)  # (wp.vector in Warp)
    out_sv[0, 0] = m[0] * v[0]                   # matrix * spatial vector
    out_sv[0, 1] = x                             # a vector(6) stored as a spatial vector
    out_sv[0, 2] = v[0] + x                      # mixed arithmetic
    out_sv[0, 3] = wp.spatial_cross(v[0], x)     # mixed builtin arguments
    y = v[0]
    if v[0][0] > -1.0:
        y = x                                    # one variable, both types
    out_sv[0, 4] = y + wp.spatial_vector(1.0, 1.0, 1.0, 1.0, 1.0, 1.0)
    wp.atomic_add(out_sv, 0, 5, x)
    out_sv[0, 5] += wp.vector(1.0, 1.0, 1.0, 1.0, 1.0, 1.0)
    out_f[0] = takes_spatial(x) + takes_vec6(v[0])   # @wp.func parameters
    out_f[1] = wp.dot(v[0], x) + wp.spatial_dot(v[0], wp.vector(1.0, 0.0, 0.0, 0.0, 0.0, 0.0))
    a = wp.types.matrix(shape=(6, 6), dtype=float)
    a[0, 1] = 3.0
    out_m[0] = a + wp.spatial_matrix()
    out_f[2] = takes_spatial_matrix(a)
    out_f[3] = float(x == wp.spatial_vector(1.0, 2.0, 3.0, 4.0, 5.0, 6.0))


def test_spatial_and_6_vectors_are_one_type(device):
    m = wp.array([np.arange(36, dtype=np.float32).reshape(6, 6)], dtype=wp.spatial_matrix,
                 device=device)
    v = wp.array([np.arange(6, dtype=np.float32)], dtype=wp.spatial_vector, device=device)
    out_sv = wp.zeros((1, 6), dtype=wp.spatial_vector, device=device)
    out_f = wp.zeros(4, dtype=float, device=device)
    out_m = wp.zeros(1, dtype=wp.spatial_matrix, device=device)
    wp.launch(mixed, 1, inputs=[m, v, out_sv, out_f, out_m], device=device)
    got = out_sv.numpy()[0]
    np.testing.assert_allclose(got[0], [55, 145, 235, 325, 415, 505])
    np.testing.assert_allclose(got[1], [1, 2, 3, 4, 5, 6])
    np.testing.assert_allclose(got[2], [1, 3, 5, 7, 9, 11])
    np.testing.assert_allclose(got[3], [-1, 2, -1, -2, 4, -2])
    np.testing.assert_allclose(got[4], [2, 3, 4, 5, 6, 7])
    np.testing.assert_allclose(got[5], [2, 3, 4, 5, 6, 7])
    np.testing.assert_allclose(out_f.numpy(), [9.0, 70.0, 3.0, 1.0])
    assert out_m.numpy()[0][0, 1] == 3.0


@wp.kernel
def spatial_param(v: wp.array(dtype=wp.spatial_vector), out: wp.array(dtype=float)):
    out[0] = wp.spatial_dot(v[0], v[0])


@wp.kernel
def plain_params(v: wp.array(dtype=vec6), m: wp.array(dtype=mat66), out: wp.array(dtype=float)):
    out[0] = wp.dot(v[0], m[0] * v[0])


def test_launch_takes_arrays_of_either_type_and_gradients_reach_them(device):
    ones = np.ones((1, 6), np.float32)
    cases = [
        (spatial_param, [wp.array(ones, dtype=vec6, device=device, requires_grad=True)]),
        (plain_params, [wp.array(ones, dtype=wp.spatial_vector, device=device,
                                 requires_grad=True),
                        wp.array(np.eye(6, dtype=np.float32)[None], dtype=wp.spatial_matrix,
                                 device=device, requires_grad=True)]),
    ]
    for kernel, inputs in cases:
        out = wp.zeros(1, dtype=float, device=device, requires_grad=True)
        tape = wp.Tape()
        with tape:
            wp.launch(kernel, 1, inputs=[*inputs, out], device=device)
        tape.backward(loss=out)
        assert out.numpy()[0] == 6.0
        np.testing.assert_allclose(inputs[0].grad.numpy(), 2 * ones)


@wp.kernel
def quat_store(out: wp.array(dtype=wp.quat)):
    out[0] = wp.vec4(1.0, 2.0, 3.0, 4.0)


def test_quaternions_are_not_4_vectors(device):
    # (Warp refuses this store too: a quaternion is its own type)
    with pytest.raises(wp.WarpCodegenError, match="cannot store a value of type vec4f"):
        wp.launch(quat_store, 1, inputs=[wp.zeros(1, dtype=wp.quat, device=device)],
                  device=device)


def test_same_structure_is_only_spatial_and_plain_6():
    from numba.core import types

    from numba_warp.typing.vec import same_structure

    sv, v6 = wp.spatial_vector._numba_type, vec6._numba_type
    sm, m66 = wp.spatial_matrix._numba_type, mat66._numba_type
    assert same_structure(sv, v6) and same_structure(v6, sv) and same_structure(sm, m66)
    assert not same_structure(sv, sv)  # (equal types need no conversion)
    assert not same_structure(sv, wp.spatial_vectord._numba_type)
    assert not same_structure(wp.vec4._numba_type, wp.quat._numba_type)
    assert not same_structure(wp.vector(7, float)._numba_type, wp.transform._numba_type)
    assert not same_structure(types.float64, types.float32)  # scalars: no kind, no length
    assert not same_structure(types.Array(types.float32, 1, "C"), types.float32)
