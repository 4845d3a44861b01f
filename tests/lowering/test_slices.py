"""Slices of vectors and matrices in kernels (``v[1:3]``, ``v[::-1]``, ``m[0, 1:]``,
``m[1:, :2]``, ``m[:, 1]``, ``m[1:3]``, ...), stores into them, their gradients and the
errors for what is not supported.

Forward values: the kernels ``slice_reads`` and ``slice_writes`` below ran under NVIDIA
Warp 1.19 on the inputs ``VS``/``MS``/``XS`` (float32, exact in binary); the numbers
stored here are what Warp wrote. Gradients are checked against central differences in
float64.
"""

from __future__ import annotations

import numpy as np
import pytest

import numba_warp as wp

vec5 = wp.types.vector(5, float)
vec5d = wp.types.vector(5, wp.float64)

VS = [[0.25, 0.75, 0.25, -1.25, 1.0], [0.5, -0.5, 0.5, 0.25, 0.25],
      [0.0, 0.5, -0.75, -0.25, -0.5]]
MS = [[[0.5, 0.0, -0.25], [-0.75, -0.25, 0.0], [-0.25, 1.25, 1.0]],
      [[-2.75, -2.0, -0.25], [-0.5, 0.25, 0.25], [2.0, -1.0, -0.5]],
      [[2.0, 0.75, 0.75], [-0.5, -1.75, 0.25], [0.0, -1.25, -0.75]]]
XS = [[-0.0, -1.0, -0.0, 0.0, 0.0, -0.5, 0.5], [1.0, 0.25, -0.75, 0.75, -0.5, 1.0, -1.0],
      [1.0, -0.0, -1.25, -0.25, 0.0, 0.25, -1.0]]
WARP_READS = [
    [3.25, 13.5, 102.75, 8.75, 6.25, -2.5, 1221.75, 122.5, -15.75, -2.5, 42.25, -10.0, 5.0,
     10.25, -145.25],
    [4.5, 52.75, 30.5, 2.75, -4.75, -4.5, -798.0, -99.5, 19.5, 2.75, -198.5, -71.5, -9.25,
     3.0, 1922.25],
    [-7.0, -3.0, -57.5, -5.25, 4.75, 8.25, -1268.0, -141.75, -183.0, -8.75, 76.75, -124.0,
     -10.25, -5.0, -54.25]]
WARP_VO = [[200.5, 20.0, 460.0, -2.25, 598.0], [201.0, 20.0, 460.0, -0.75, 596.5],
           [200.0, 20.0, 460.0, -1.25, 595.0]]
WARP_MO = [[[10.5, 16.0, -3.0], [0.0, 1.0, 0.0], [10.5, 16.0, -3.0]],
           [[-2.75, -4.0, -3.0], [10.0, 21.0, 0.25], [-2.75, -4.0, -3.0]],
           [[2.0, -4.0, -3.0], [0.0, 1.0, 0.25], [2.0, -4.0, -3.0]]]


@wp.kernel
def slice_reads(vs: wp.array(dtype=vec5), ms: wp.array(dtype=wp.mat33),
                qs: wp.array(dtype=wp.transform), out: wp.array2d(dtype=float)):
    t = wp.tid()
    v = vs[t]
    m = ms[t]
    x = qs[t]
    r = t % 3
    a = v[1:3]
    out[t, 0] = a[0] + a[1] * 10.0
    c = v[::-1]
    out[t, 1] = c[0] + c[1] * 10.0 + c[4] * 100.0
    d = v[::2]
    out[t, 2] = d[0] + d[1] * 10.0 + d[2] * 100.0
    e = v[-2:]
    out[t, 3] = e[0] + e[1] * 10.0
    f = v[3:0:-2]
    out[t, 4] = f[0] + f[1] * 10.0
    g = m[0, 1:]
    out[t, 5] = g[0] + g[1] * 10.0
    h = m[1:, :2]
    out[t, 6] = h[0, 0] + h[0, 1] * 10.0 + h[1, 0] * 100.0 + h[1, 1] * 1000.0
    i = m[:, 1]
    out[t, 7] = i[0] + i[1] * 10.0 + i[2] * 100.0
    j = m[1:3]
    out[t, 8] = j[0, 0] + j[1, 2] * 10.0 + j[0, 1] * 100.0
    k = m[r, 1:]
    out[t, 9] = k[0] + k[1] * 10.0
    o = m[::-1, r]
    out[t, 10] = o[0] + o[1] * 10.0 + o[2] * 100.0
    p = x[:3]
    out[t, 11] = p[0] + p[1] * 10.0 + p[2] * 100.0
    q = x[3:]
    out[t, 12] = q[0] + q[3] * 10.0
    w = v[-10:10]
    out[t, 13] = w[0] + w[4] * 10.0
    n = m[::2, ::-2]
    out[t, 14] = n[0, 0] + n[0, 1] * 10.0 + n[1, 0] * 100.0 + n[1, 1] * 1000.0


@wp.kernel
def slice_writes(vs: wp.array(dtype=vec5), ms: wp.array(dtype=wp.mat33),
                 vo: wp.array(dtype=vec5), mo: wp.array(dtype=wp.mat33)):
    t = wp.tid()
    v = vs[t]
    m = ms[t]
    r = t % 3
    v[1:3] = wp.vec2(20.0, 30.0)
    v[::2] += wp.vec3(100.0, 200.0, 300.0)
    v[3:] -= wp.vec2(1.0, 2.0)
    v[::-2] *= 2.0
    vo[t] = v
    m[0, 1:] = wp.vec2(-2.0, -3.0)
    m[1:, :2] = wp.mat22(0.0, 0.5, 1.0, 1.5)
    m[:, 1] *= 2.0
    m[r, :2] += wp.vec2(10.0, 20.0)
    m[2:] = m[:1]
    mo[t] = m


def test_slice_reads_match_warp(device):
    out = wp.zeros((3, 15), dtype=float, device=device)
    wp.launch(slice_reads, 3, device=device, inputs=[
        wp.array(VS, dtype=vec5, device=device), wp.array(MS, dtype=wp.mat33, device=device),
        wp.array(XS, dtype=wp.transform, device=device), out])
    np.testing.assert_array_equal(out.numpy(), WARP_READS)


def test_slice_stores_match_warp(device):
    vo = wp.zeros(3, dtype=vec5, device=device)
    mo = wp.zeros(3, dtype=wp.mat33, device=device)
    wp.launch(slice_writes, 3, device=device, inputs=[
        wp.array(VS, dtype=vec5, device=device), wp.array(MS, dtype=wp.mat33, device=device),
        vo, mo])
    np.testing.assert_array_equal(vo.numpy(), WARP_VO)
    np.testing.assert_array_equal(mo.numpy(), WARP_MO)


# -- gradients --------------------------------------------------------------------------

@wp.func
def slice_mix(v: vec5d, m: wp.mat33d, r: int):
    a = v[1:4]
    b = m[1:, ::-1]
    c = m[:, 2]
    w = v
    w[::2] = wp.vec3d(a[0] * a[1], m[0, 0], c[1])
    m2 = m
    m2[0, 1:] = wp.vec2d(v[0], v[4]) * wp.float64(2.0)
    m2[1:, 1:] += b[:, :2]
    e = v[1:4][::-1]
    k = m[r, :2]
    return (wp.dot(w, v) + wp.ddot(m2, m) + wp.dot(a, c) + b[1, 0] * b[0, 2] + e[0] * e[2]
            + k[0] * k[1] * v[r])


@wp.kernel
def slice_loss(vs: wp.array(dtype=vec5d), ms: wp.array(dtype=wp.mat33d),
               loss: wp.array(dtype=wp.float64)):
    t = wp.tid()
    wp.atomic_add(loss, 0, slice_mix(vs[t], ms[t], t % 3))


def _loss(v, m, device, tape=None):
    vs = wp.array(v, dtype=vec5d, device=device, requires_grad=tape is not None)
    ms = wp.array(m, dtype=wp.mat33d, device=device, requires_grad=tape is not None)
    loss = wp.zeros(1, dtype=wp.float64, device=device, requires_grad=tape is not None)
    if tape is None:
        wp.launch(slice_loss, len(v), inputs=[vs, ms, loss], device=device)
        return loss.numpy()[0]
    with tape:
        wp.launch(slice_loss, len(v), inputs=[vs, ms, loss], device=device)
    tape.backward(loss)
    return vs.grad.numpy(), ms.grad.numpy()


def test_slice_gradients_match_finite_differences(device):
    rng = np.random.default_rng(7)
    v, m = rng.normal(size=(3, 5)), rng.normal(size=(3, 3, 3))
    gv, gm = _loss(v, m, device, wp.Tape())
    eps = 1e-6
    for x, g in ((v, gv), (m, gm)):
        fd = np.zeros_like(x)
        for idx in np.ndindex(x.shape):
            x[idx] += eps
            hi = _loss(v, m, device)
            x[idx] -= 2 * eps
            lo = _loss(v, m, device)
            x[idx] += eps
            fd[idx] = (hi - lo) / (2 * eps)
        np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-7)
    assert np.abs(gv).min() > 0  # every component takes part


# -- Python scope -----------------------------------------------------------------------

def test_python_scope_slices():
    # Warp 1.19: vec2f([2.0, 3.0]), vec2f([2.0, 3.0]), vec3f([2.0, 5.0, 8.0]), and the
    # stores below give [1, 9, 9, 4, 5] and [[1, -1, -1], [4, 5, 6], [7, 8, 9]]
    v = vec5(1, 2, 3, 4, 5)
    assert type(v[1:3]) is wp.vec2 and list(v[1:3]) == [2.0, 3.0]
    assert type(v[::-1]) is vec5 and list(v[::-1]) == [5.0, 4.0, 3.0, 2.0, 1.0]
    m = wp.mat33(1, 2, 3, 4, 5, 6, 7, 8, 9)
    assert type(m[0, 1:]) is wp.vec2 and list(m[0, 1:]) == [2.0, 3.0]
    assert type(m[:, 1]) is wp.vec3 and list(m[:, 1]) == [2.0, 5.0, 8.0]
    assert type(m[1:, :2]) is wp.mat22 and np.asarray(m[1:, :2]).tolist() == [[4, 5], [7, 8]]
    assert type(m[1:3]) is wp.types.matrix((2, 3), float)
    v[1:3] = wp.vec2(9, 9)
    assert list(v) == [1.0, 9.0, 9.0, 4.0, 5.0]
    m[0, 1:] = wp.vec2(-1, -1)
    assert np.asarray(m).tolist() == [[1, -1, -1], [4, 5, 6], [7, 8, 9]]


# -- errors -----------------------------------------------------------------------------

@wp.kernel
def runtime_bound(vs: wp.array(dtype=vec5), out: wp.array(dtype=float)):
    n = wp.tid() + 2
    a = vs[0][0:n]  # MARK: runtime_bound
    out[0] = a[0]


@wp.kernel
def runtime_step_store(vs: wp.array(dtype=vec5), out: wp.array(dtype=float)):
    n = wp.tid() + 1
    v = vs[0]
    v[::n] = wp.vec3(1.0, 2.0, 3.0)  # MARK: runtime_step_store
    out[0] = v[0]


@wp.kernel
def wrong_store_type(vs: wp.array(dtype=vec5), out: wp.array(dtype=float)):
    v = vs[0]
    v[1:3] = wp.vec2d(1.0, 2.0)  # MARK: wrong_store_type
    out[0] = v[0]


@wp.kernel
def scalar_store(vs: wp.array(dtype=vec5), out: wp.array(dtype=float)):
    v = vs[0]
    v[1:3] = 0.0  # MARK: scalar_store
    out[0] = v[0]


@wp.kernel
def empty_slice(vs: wp.array(dtype=vec5), out: wp.array(dtype=float)):
    a = vs[0][3:1]  # MARK: empty_slice
    out[0] = a[0]


@wp.kernel
def array_slice(vs: wp.array(dtype=vec5), out: wp.array(dtype=float)):
    b = vs[1:]  # MARK: array_slice
    out[0] = b[0][0]


@pytest.mark.parametrize("kernel, words", [
    (runtime_bound, r"slice of a vec5f needs compile-time constant bounds"),
    (runtime_step_store, (r"the slice '::n' in 'v\[::n\]' has a bound or step that is not "
                          r"a compile-time constant")),
    (wrong_store_type, r"cannot store a vec2d into vec5f\[1:3\]: the slice is a vec2f"),
    (scalar_store, r"cannot store a .*float.* into vec5f\[1:3\]"),
    (empty_slice, r"vec5f\[3:1\] selects no components"),
    (array_slice, r"slices of arrays are not supported in kernels"),
])
def test_unsupported_slices_are_errors_at_the_line(device, kernel, words):
    marker = f"# MARK: {kernel.__name__}"
    with pytest.raises(wp.WarpCodegenError, match=words) as info:
        wp.launch(kernel, 1, device=device, inputs=[wp.zeros(2, dtype=vec5, device=device),
                                                    wp.zeros(1, dtype=float, device=device)])
    assert marker in str(info.value), str(info.value)
