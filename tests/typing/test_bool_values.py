"""Vectors and matrices of ``wp.bool``: what Warp 1.19 allows (construction, casts,
indexing, component stores, ``==``, ``wp.where``, arrays) works; arithmetic and math
builtins, which Warp refuses, are clear errors rather than bit tricks on bools."""

import numpy as np
import pytest

import numba_warp as wp

vec3bool = wp.types.vector(length=3, dtype=wp.bool)
mat22bool = wp.types.matrix(shape=(2, 2), dtype=wp.bool)


def test_python_scope():
    assert vec3bool is wp.vector(3, wp.bool) is wp.types.vector(3, bool)
    assert wp.types.type_repr(vec3bool) == "vector(length=3, dtype=bool)"
    assert wp.types.type_size_in_bytes(vec3bool) == 3  # Warp 1.19: 3
    v = vec3bool(True, False, True)
    assert list(v) == [True, False, True] and v[1] is False
    assert list(vec3bool(1, 0, 2)) == [True, False, True]  # Warp 1.19: [True, False, True]
    assert list(vec3bool()) == [False] * 3
    assert np.asarray(mat22bool(True, False, False, True)).tolist() == [[True, False],
                                                                          [False, True]]
    with pytest.raises(TypeError, match="no arithmetic"):
        v + v


@wp.kernel
def bool_values(a: wp.array(dtype=vec3bool), out: wp.array(dtype=vec3bool),
                m: wp.array(dtype=mat22bool), r: wp.array(dtype=int)):
    v = a[0]
    w = vec3bool(True, True, False)
    out[0] = w
    r[0] = int(v[1])
    r[1] = int(v == w)
    r[2] = int(v == vec3bool(True, False, True))
    mm = mat22bool(True, False, False, True)
    m[0] = mm
    r[3] = int(mm[0, 1]) + 10 * int(mm[1, 1])
    u = v
    u[0] = False
    out[1] = u
    f = wp.vec3(v)
    r[4] = int(f[0] + f[1] * 2.0 + f[2] * 4.0)
    out[2] = vec3bool(wp.vec3(1.0, 0.0, 2.0))
    out[3] = wp.where(v[0], w, v)
    r[5] = int(v.z)
    out[4] = vec3bool(1, 0, 2)
    row = mm[1]
    out[5] = vec3bool(row[0], row[1], v[2])
    m[1] = mat22bool(wp.mat22(0.0, 1.5, -1.0, 0.0))
    r[6] = int(v != w)


def test_bool_vectors_and_matrices_in_kernels(device):
    a = wp.array([vec3bool(True, False, True)], dtype=vec3bool, device=device)
    assert a.numpy().dtype == np.bool_ and a.numpy().shape == (1, 3)
    out = wp.zeros(6, dtype=vec3bool, device=device)
    m = wp.zeros(2, dtype=mat22bool, device=device)
    r = wp.zeros(7, dtype=int, device=device)
    wp.launch(bool_values, 1, inputs=[a, out, m, r], device=device)
    # the same kernel under Warp 1.19 (without r[6]: Warp's != on bool vectors does not
    # compile) printed these
    assert out.numpy().astype(int).tolist() == [[1, 1, 0], [0, 0, 1], [1, 0, 1], [1, 1, 0],
                                                [1, 0, 1], [0, 1, 1]]
    assert m.numpy().astype(int).tolist() == [[[1, 0], [0, 1]], [[0, 1], [1, 0]]]
    assert r.numpy().tolist() == [0, 0, 1, 10, 5, 1, 1]


@wp.kernel
def bool_add(a: wp.array(dtype=vec3bool)):
    a[0] = a[0] + a[0]


@wp.kernel
def bool_scale(a: wp.array(dtype=vec3bool)):
    a[0] = a[0] * 2.0


@wp.kernel
def bool_dot(a: wp.array(dtype=vec3bool), r: wp.array(dtype=int)):
    r[0] = int(wp.dot(a[0], a[0]))


@wp.kernel
def bool_neg(m: wp.array(dtype=mat22bool)):
    m[0] = -m[0]


@pytest.mark.parametrize("kernel, words", [
    (bool_add, r"unsupported operand type\(s\) for \+: vec3bool"),
    (bool_scale, "cannot compute \\* on a vec3bool: vectors and matrices of bool"),
    (bool_dot, "dot.*vec3bool"),
    (bool_neg, r"for -: mat22bool"),
])
def test_arithmetic_on_bools_is_an_error(device, kernel, words):
    # Warp 1.19 refuses each of these too (no overload for vectors of bool)
    args = [wp.zeros(1, dtype=vec3bool, device=device)]
    if kernel is bool_dot:
        args.append(wp.zeros(1, dtype=int, device=device))
    if kernel is bool_neg:
        args = [wp.zeros(1, dtype=mat22bool, device=device)]
    with pytest.raises(wp.WarpCodegenError, match=words):
        wp.launch(kernel, 1, inputs=args, device=device)
