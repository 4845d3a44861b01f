"""Generic value annotations (``wp.types.vector(length=Any, dtype=Any)``, ...): a
``@wp.func`` or kernel parameter that takes any type of one family and is specialised per
concrete argument type; other families are refused with a clear error."""

import typing

import numpy as np
import pytest

import numba_warp as wp

Any = typing.Any


@wp.func
def component_sum(v: wp.types.vector(length=Any, dtype=Any)):
    s = v[0]
    for i in range(1, len(v)):
        s += v[i]
    return s


@wp.func
def first_of_three(v: wp.types.vector(length=3, dtype=Any)):
    return v[0]


@wp.func
def corner(m: wp.types.matrix(shape=(Any, Any), dtype=Any)):
    return m[0, 0]


@wp.func
def real_part(q: wp.types.quaternion(dtype=Any)):
    return q[3]


@wp.func
def translation_x(t: wp.types.transformation(dtype=wp.float64)):
    return t[0]


mat25 = wp.types.matrix(shape=(2, 5), dtype=float)


@wp.func
def last_column_sum(m: mat25):  # a factory-made type as a concrete annotation
    return m[0, 4] + m[1, 4]


@wp.kernel
def generic_calls(a: wp.array(dtype=wp.vec3), b: wp.array(dtype=wp.vec2d),
                  c: wp.array(dtype=wp.vec3i), m: wp.array(dtype=wp.mat33),
                  w: wp.array(dtype=mat25), out: wp.array(dtype=float),
                  outd: wp.array(dtype=wp.float64), outi: wp.array(dtype=int)):
    i = wp.tid()
    out[i] = component_sum(a[i]) + first_of_three(a[i]) + corner(m[i]) \
        + real_part(wp.quat(0.0, 0.0, 0.0, 2.0)) + last_column_sum(w[i]) + corner(w[i])
    outd[i] = component_sum(b[i]) + corner(wp.mat22d(5.0, 1.0, 1.0, 1.0)) \
        + translation_x(wp.transformd(wp.vec3d(7.0, 0.0, 0.0), wp.quatd(0.0, 0.0, 0.0, 1.0)))
    outi[i] = component_sum(c[i]) + first_of_three(c[i]) + component_sum(wp.vec4i(1, 2, 3, 4))


def test_generic_functions_specialise_per_type(device):
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    b = np.arange(4, dtype=np.float64).reshape(2, 2) + 0.25
    c = np.arange(6, dtype=np.int32).reshape(2, 3) * 10
    m = np.stack([np.eye(3, dtype=np.float32) * (k + 1) for k in range(2)])
    w = np.arange(20, dtype=np.float32).reshape(2, 2, 5)
    out, outd, outi = (wp.zeros(2, dtype=t, device=device) for t in (float, wp.float64, int))
    wp.launch(generic_calls, 2, device=device,
              inputs=[wp.array(a, dtype=wp.vec3, device=device),
                      wp.array(b, dtype=wp.vec2d, device=device),
                      wp.array(c, dtype=wp.vec3i, device=device),
                      wp.array(m, dtype=wp.mat33, device=device),
                      wp.array(w, dtype=mat25, device=device), out, outd, outi])
    np.testing.assert_allclose(out.numpy(), a.sum(1) + a[:, 0] + m[:, 0, 0] + 2.0
                               + w[:, :, 4].sum(1) + w[:, 0, 0])
    # float64 all the way: the 0.25s survive exactly
    np.testing.assert_array_equal(outd.numpy(), b.sum(1) + 5.0 + 7.0)
    np.testing.assert_array_equal(outi.numpy(), c.sum(1) + c[:, 0] + 10)


@wp.kernel
def quat_into_vector_func(q: wp.array(dtype=wp.quat), out: wp.array(dtype=float)):
    out[0] = component_sum(q[0])


@wp.kernel
def vec2_into_length3_func(v: wp.array(dtype=wp.vec2), out: wp.array(dtype=float)):
    out[0] = first_of_three(v[0])


@pytest.mark.parametrize("kernel, dtype, got", [(quat_into_vector_func, wp.quat, "quatf"),
                                                 (vec2_into_length3_func, wp.vec2, "vec2f")])
def test_other_families_are_refused(device, kernel, dtype, got):
    out = wp.zeros(1, dtype=float, device=device)
    with pytest.raises(wp.WarpCodegenError, match=rf"(?s)accepts arguments \({got}\).*"
                                                  r"(vector\(length=Any|length=3)"):
        wp.launch(kernel, 1, inputs=[wp.zeros(1, dtype=dtype, device=device), out],
                  device=device)


@wp.kernel
def generic_kernel(v: wp.types.vector(length=3, dtype=Any), out: wp.array(dtype=float)):
    out[0] = float(v[0]) + float(v[1]) * 10.0 + float(v[2]) * 100.0


def test_generic_kernel_parameter(device):
    out = wp.zeros(1, dtype=float, device=device)
    wp.launch(generic_kernel, 1, inputs=[wp.vec3(1.0, 2.0, 3.0), out], device=device)
    assert out.numpy()[0] == 321.0
    wp.launch(generic_kernel, 1, inputs=[wp.vec3i(4, 5, 6), out], device=device)
    assert out.numpy()[0] == 654.0
    with pytest.raises(Exception, match=r"'v' \(vector\(length=3, dtype=Any\)\) cannot take "
                                        r"a value of type vec2f"):
        wp.launch(generic_kernel, 1, inputs=[wp.vec2(1.0, 2.0), out], device=device)
    with pytest.raises(Exception, match="cannot take a value of type quatf"):
        wp.launch(generic_kernel, 1, inputs=[wp.quat(), out], device=device)
