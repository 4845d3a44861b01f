"""Warp's Random builtins (``lowering/random_ops.py``, ``lowering/noise_ops.py``).

The main check is against NVIDIA Warp itself: the kernels named in ``GOLDEN_KERNELS``
use only Warp's public API, and ``tests/data/make_warp_random.py`` ran their source under
Warp 1.19 (CPU) on the inputs stored with the results in ``tests/data/warp_random.npz``.
Integers (states, randi/randu/poisson, sample_cdf) must match bit for bit, floats to
float32 rounding (looser on CUDA, where compilers fuse multiply-adds), noise gradients
(Warp's adjoints) likewise. Then statistics of many draws (a normality test over 10^6
randn draws), shapes of the samplers, the code generator's in-place state contract, and
the structure of the noise (zero at lattice points, periodic, divergence-free curl).
"""

import math
import os

import numpy as np
import pytest

import numba_warp as wp
from numba_warp.lowering import random_ops
from numba_warp.lowering.random_ops import _poisson_next, _randf_next, _randi_next

GOLDEN_PATH = os.path.join(os.path.dirname(__file__), "..", "data", "warp_random.npz")
GOLDEN_KERNELS = ("int_streams", "float_streams", "noise_values", "noise_grads")
# the conftest compiles kernels to PTX when there is no GPU: noise_grads' backward pass
# replays its forward pass, so compiling the backward alone covers both
PTX_ADJOINT_ONLY = True


@pytest.fixture(scope="module")
def golden():
    with np.load(GOLDEN_PATH) as data:
        return dict(data)


def _tol(device, cpu, gpu):
    return cpu if device == "cpu" else gpu


# ---------------------------------------------------------------------------------------
# Kernels run under Warp too (public API only; keep in step with make_warp_random.py)
# ---------------------------------------------------------------------------------------


@wp.kernel
def int_streams(seeds: wp.array(dtype=wp.int32), offsets: wp.array(dtype=wp.int32),
                ranges: wp.array2d(dtype=wp.int32), uranges: wp.array2d(dtype=wp.uint32),
                lams: wp.array(dtype=float), out_u: wp.array2d(dtype=wp.uint32),
                out_i: wp.array2d(dtype=wp.int32)):
    i = wp.tid()
    out_u[i, 0] = wp.rand_init(seeds[i])
    s = wp.rand_init(seeds[i], offsets[i])
    out_u[i, 1] = s
    out_u[i, 2] = wp.randu(s)
    out_i[i, 0] = wp.randi(s)
    out_i[i, 1] = wp.randi(s, -5, 7)
    out_i[i, 2] = wp.randi(s, ranges[i, 0], ranges[i, 1])
    out_u[i, 3] = wp.randu(s, wp.uint32(10), wp.uint32(20))
    out_u[i, 4] = wp.randu(s, uranges[i, 0], uranges[i, 1])
    out_u[i, 5] = s
    for j in range(lams.shape[0]):
        out_u[i, 6 + 2 * j] = wp.poisson(s, lams[j])
        out_u[i, 7 + 2 * j] = s


@wp.kernel
def float_streams(seeds: wp.array(dtype=wp.int32), cdf: wp.array(dtype=float),
                  out: wp.array2d(dtype=float), out2: wp.array2d(dtype=wp.vec2),
                  out3: wp.array2d(dtype=wp.vec3), out_u: wp.array2d(dtype=wp.uint32)):
    i = wp.tid()
    s = wp.rand_init(seeds[i], i)
    out[i, 0] = wp.randf(s)
    out[i, 1] = wp.randf(s, -2.5, 7.25)
    out[i, 2] = wp.randn(s)
    out[i, 3] = wp.randn(s)
    out2[i, 0] = wp.sample_triangle(s)
    out2[i, 1] = wp.sample_unit_ring(s)
    out2[i, 2] = wp.sample_unit_disk(s)
    out2[i, 3] = wp.sample_unit_square(s)
    out3[i, 0] = wp.sample_unit_sphere_surface(s)
    out3[i, 1] = wp.sample_unit_sphere(s)
    out3[i, 2] = wp.sample_unit_hemisphere_surface(s)
    out3[i, 3] = wp.sample_unit_hemisphere(s)
    out3[i, 4] = wp.sample_unit_cube(s)
    out_u[i, 0] = wp.uint32(wp.sample_cdf(s, cdf))
    out_u[i, 1] = wp.uint32(wp.sample_cdf(s, cdf))
    out_u[i, 2] = s


@wp.kernel
def noise_values(seed: int, pts: wp.array(dtype=wp.vec4), out: wp.array2d(dtype=float),
                 curl: wp.array2d(dtype=wp.vec3)):
    i = wp.tid()
    s = wp.rand_init(seed)
    p = pts[i]
    p2 = wp.vec2(p[0], p[1])
    p3 = wp.vec3(p[0], p[1], p[2])
    out[i, 0] = wp.noise(s, p[0])
    out[i, 1] = wp.noise(s, p2)
    out[i, 2] = wp.noise(s, p3)
    out[i, 3] = wp.noise(s, p)
    out[i, 4] = wp.pnoise(s, p[0], 3)
    out[i, 5] = wp.pnoise(s, p2, 3, 5)
    out[i, 6] = wp.pnoise(s, p3, 2, 3, 4)
    out[i, 7] = wp.pnoise(s, p, 2, 3, 4, 5)
    c2 = wp.curlnoise(s, p2)
    curl[i, 0] = wp.vec3(c2[0], c2[1], 0.0)
    curl[i, 1] = wp.curlnoise(s, p3)
    curl[i, 2] = wp.curlnoise(s, p)
    c2 = wp.curlnoise(s, p2, wp.uint32(3), 2.0, 0.5)
    curl[i, 3] = wp.vec3(c2[0], c2[1], 0.0)
    curl[i, 4] = wp.curlnoise(s, p3, wp.uint32(3), 1.7, 0.6)
    curl[i, 5] = wp.curlnoise(s, p, octaves=wp.uint32(2), lacunarity=2.3, gain=0.45)
    curl[i, 6] = wp.curlnoise(s, p3, wp.uint32(0), 2.0, 0.5)


@wp.kernel
def noise_grads(seed: int, x1: wp.array(dtype=float), x2: wp.array(dtype=wp.vec2),
                x3: wp.array(dtype=wp.vec3), x4: wp.array(dtype=wp.vec4),
                y1: wp.array(dtype=float), y2: wp.array(dtype=wp.vec2),
                y3: wp.array(dtype=wp.vec3), y4: wp.array(dtype=wp.vec4),
                c2: wp.array(dtype=wp.vec2), c3: wp.array(dtype=wp.vec3),
                c4: wp.array(dtype=wp.vec4), c2o: wp.array(dtype=wp.vec2),
                c3o: wp.array(dtype=wp.vec3), out: wp.array2d(dtype=float)):
    i = wp.tid()
    s = wp.rand_init(seed)
    w2 = wp.vec2(0.3, -0.7)
    w3 = wp.vec3(0.3, -0.7, 1.1)
    out[i, 0] = wp.noise(s, x1[i])
    out[i, 1] = wp.noise(s, x2[i])
    out[i, 2] = wp.noise(s, x3[i])
    out[i, 3] = wp.noise(s, x4[i])
    out[i, 4] = wp.pnoise(s, y1[i], 3)
    out[i, 5] = wp.pnoise(s, y2[i], 3, 5)
    out[i, 6] = wp.pnoise(s, y3[i], 2, 3, 4)
    out[i, 7] = wp.pnoise(s, y4[i], 2, 3, 4, 5)
    out[i, 8] = wp.dot(wp.curlnoise(s, c2[i]), w2)
    out[i, 9] = wp.dot(wp.curlnoise(s, c3[i]), w3)
    out[i, 10] = wp.dot(wp.curlnoise(s, c4[i]), w3)
    out[i, 11] = wp.dot(wp.curlnoise(s, c2o[i], wp.uint32(3), 1.8, 0.55), w2)
    out[i, 12] = wp.dot(wp.curlnoise(s, c3o[i], wp.uint32(3), 1.7, 0.6), w3)


GRAD_INPUTS = (("x1", float), ("x2", wp.vec2), ("x3", wp.vec3), ("x4", wp.vec4),
               ("y1", float), ("y2", wp.vec2), ("y3", wp.vec3), ("y4", wp.vec4),
               ("c2", wp.vec2), ("c3", wp.vec3), ("c4", wp.vec4), ("c2o", wp.vec2),
               ("c3o", wp.vec3))


# ---------------------------------------------------------------------------------------
# numba_warp only: the state-threading helpers and a bulk normal sampler
# ---------------------------------------------------------------------------------------


@wp.kernel
def scalar_draws(seed: int, out_f: wp.array2d(dtype=float), out_i: wp.array2d(dtype=wp.int32),
                 out_u: wp.array2d(dtype=wp.uint32)):
    i = wp.tid()
    s = wp.rand_init(seed, i)
    t = s
    out_f[i, 0] = wp.randf(t)  # advances t in place
    s, x = _randf_next(s)  # the explicit form of the same draw
    out_f[i, 1] = x
    out_i[i, 0] = wp.int32(t == s)
    s, k = _randi_next(s, -5, 7)
    out_i[i, 1] = k
    s, u = _poisson_next(s, 40.0)
    out_u[i, 0] = u
    s0 = s
    out_u[i, 1] = wp.poisson(s, 0.0)  # no draw
    out_i[i, 2] = wp.int32(s == s0)
    out_u[i, 2] = s
    # two draws in one expression: drawn left to right, each advancing r
    r = wp.rand_init(seed, i)
    v = wp.vec2(wp.randf(r), wp.randf(r))
    out_f[i, 2] = v[0]
    out_f[i, 3] = v[1]
    # in a loop: the state is carried from one iteration to the next
    r = wp.rand_init(seed, i)
    acc = float(0.0)
    for j in range(3):
        acc += wp.randf(r) * float(j + 1)
    out_f[i, 4] = acc
    for j in range(4):
        out_f[i, 5 + j] = wp.randn(r)


def _launch_int_streams(device, g):
    n = len(g["int_seeds"])
    out_u = wp.zeros((n, 6 + 2 * len(g["lams"])), dtype=wp.uint32, device=device)
    out_i = wp.zeros((n, 3), dtype=wp.int32, device=device)
    arrays = [wp.array(g[k], dtype=t, device=device) for k, t in (
        ("int_seeds", wp.int32), ("offsets", wp.int32), ("ranges", wp.int32),
        ("uranges", wp.uint32), ("lams", float))]
    wp.launch(int_streams, dim=n, inputs=[*arrays, out_u, out_i], device=device)
    return out_u.numpy(), out_i.numpy()


def _launch_float_streams(device, seeds, cdf):
    n = len(seeds)
    out = wp.zeros((n, 4), dtype=float, device=device)
    out2 = wp.zeros((n, 4), dtype=wp.vec2, device=device)
    out3 = wp.zeros((n, 5), dtype=wp.vec3, device=device)
    out_u = wp.zeros((n, 3), dtype=wp.uint32, device=device)
    wp.launch(float_streams, dim=n, device=device,
              inputs=[wp.array(seeds, dtype=wp.int32, device=device),
                      wp.array(cdf, dtype=float, device=device), out, out2, out3, out_u])
    return out.numpy(), out2.numpy(), out3.numpy(), out_u.numpy()


def _launch_noise_values(device, pts, seed=5):
    pts = np.ascontiguousarray(pts, dtype=np.float32)
    out = wp.zeros((len(pts), 8), dtype=float, device=device)
    curl = wp.zeros((len(pts), 7), dtype=wp.vec3, device=device)
    wp.launch(noise_values, dim=len(pts), device=device,
              inputs=[seed, wp.array(pts, dtype=wp.vec4, device=device), out, curl])
    return out.numpy(), curl.numpy()


# ---------------------------------------------------------------------------------------
# Warp's numbers
# ---------------------------------------------------------------------------------------


def test_integer_streams_match_warp(device, golden):
    u, i = _launch_int_streams(device, golden)
    assert np.array_equal(u[:, :6], golden["int_u"][:, :6])  # states, randu
    assert np.array_equal(i, golden["int_i"])  # randi, all overloads
    assert np.array_equal(u[:, 6::2], golden["int_u"][:, 6::2])  # poisson samples
    assert np.array_equal(u[:, 7::2], golden["int_u"][:, 7::2])  # ... and draws consumed
    # Python scope: the same numbers, the state variable left alone
    for t in range(0, len(u), 17):
        seed, off = int(golden["int_seeds"][t]), int(golden["offsets"][t])
        assert wp.rand_init(seed) == u[t, 0] and wp.rand_init(seed, off) == u[t, 1]
        s = wp.rand_init(seed, off)
        assert wp.randu(s) == u[t, 2] == wp.randu(s)
        s, _ = random_ops._randu_next(s)
        assert wp.randi(s) == i[t, 0]
        s, _ = random_ops._randi_next(s)
        s, k = random_ops._randi_next(s, -5, 7)
        assert k == i[t, 1]
        lo, hi = (int(v) for v in golden["ranges"][t])
        s, k = random_ops._randi_next(s, lo, hi)
        assert k == i[t, 2]
        s, _ = random_ops._randu_next(s, 10, 20)
        s, k = random_ops._randu_next(s, *(int(v) for v in golden["uranges"][t]))
        assert (k, s) == (u[t, 4], u[t, 5])
        for j, lam in enumerate(golden["lams"]):
            s, k = random_ops._poisson_next(s, float(lam))
            assert (k, s) == (u[t, 6 + 2 * j], u[t, 7 + 2 * j]), (t, lam)


def test_float_streams_match_warp(device, golden):
    f, v2, v3, u = _launch_float_streams(device, golden["float_seeds"], golden["cdf"])
    assert np.array_equal(u, golden["float_u"])  # sample_cdf, and the draws consumed
    tol = _tol(device, 2e-6, 2e-5)
    np.testing.assert_allclose(f, golden["float_f"], rtol=tol, atol=tol)
    np.testing.assert_allclose(v2, golden["float_v2"], rtol=tol, atol=tol)
    np.testing.assert_allclose(v3, golden["float_v3"], rtol=tol, atol=tol)
    for t in (0, 5, 63):
        s = wp.rand_init(int(golden["float_seeds"][t]), t)
        assert wp.randf(s) == f[t, 0]
        s, _ = random_ops._randf_next(s)
        assert wp.randf(s, -2.5, 7.25) == pytest.approx(f[t, 1], rel=tol, abs=tol)
        s, _ = random_ops._randf_next(s, -2.5, 7.25)
        assert wp.randn(s) == pytest.approx(f[t, 2], rel=tol, abs=tol)
        s, _ = random_ops._randn_next(s)
        s, _ = random_ops._randn_next(s)
        for k, name in enumerate(("triangle", "unit_ring", "unit_disk", "unit_square")):
            s, v = getattr(random_ops, f"_sample_{name}_next")(s)
            assert np.allclose(np.array(v), v2[t, k], rtol=tol, atol=tol), name
        for k, name in enumerate(("sphere_surface", "sphere", "hemisphere_surface",
                                  "hemisphere", "cube")):
            s, v = getattr(random_ops, f"_sample_unit_{name}_next")(s)
            assert np.allclose(np.array(v), v3[t, k], rtol=tol, atol=tol), name
        s, k = random_ops._sample_cdf_next(s, golden["cdf"])
        assert k == u[t, 0]


def test_noise_matches_warp(device, golden):
    out, curl = _launch_noise_values(device, golden["pts"], int(golden["noise_seed"]))
    tol = _tol(device, 2e-6, 2e-5)
    np.testing.assert_allclose(out[:, :4], golden["noise"][:, :4], rtol=tol, atol=tol)
    # pnoise is Warp's field for coordinates >= 0 (Warp's is not periodic below 0)
    nonneg = np.all(golden["pts"] >= 0, axis=1)
    assert nonneg.sum() >= 100
    np.testing.assert_allclose(out[nonneg, 4:], golden["noise"][nonneg, 4:], rtol=tol, atol=tol)
    np.testing.assert_allclose(curl, golden["curl"], rtol=5 * tol, atol=5 * tol)
    s = wp.rand_init(int(golden["noise_seed"]))
    for t in (0, 1, 150):
        p = golden["pts"][t]
        assert wp.noise(s, float(p[0])) == pytest.approx(out[t, 0], abs=tol)
        assert wp.noise(s, wp.vec4(*p)) == pytest.approx(out[t, 3], abs=tol)
        if nonneg[t]:
            assert wp.pnoise(s, wp.vec3(*p[:3]), 2, 3, 4) == pytest.approx(out[t, 6], abs=tol)
        got = wp.curlnoise(s, wp.vec3(*p[:3]), 3, 1.7, 0.6)
        assert np.allclose(np.array(got), curl[t, 4], rtol=5 * tol, atol=5 * tol)


def test_noise_gradients_match_warp(device, golden):
    """The adjoints of noise, pnoise and curlnoise (position) against Warp's."""
    arrays = [wp.array(golden[f"grad_{name}"], dtype=t, device=device, requires_grad=True)
              for name, t in GRAD_INPUTS]
    n = len(arrays[0])
    out = wp.zeros((n, len(GRAD_INPUTS)), dtype=float, device=device, requires_grad=True)
    tape = wp.Tape()
    with tape:
        wp.launch(noise_grads, dim=n, inputs=[int(golden["noise_seed"]), *arrays, out],
                  device=device)
    tape.backward(grads={out: np.ones(out.shape, dtype=np.float32)})
    tol = _tol(device, 2e-5, 2e-4)
    np.testing.assert_allclose(out.numpy(), golden["grad_out"], rtol=tol, atol=tol)
    for (name, _), a in zip(GRAD_INPUTS, arrays):
        np.testing.assert_allclose(a.grad.numpy(), golden[f"grad_{name}_adj"], rtol=tol,
                                   atol=tol * 10, err_msg=name)


# ---------------------------------------------------------------------------------------
# Statistics
# ---------------------------------------------------------------------------------------


def test_randn_is_normal(device):
    """10^6 draws: moments, tail frequencies and the Kolmogorov-Smirnov distance."""
    n = 250_000
    out_f = wp.zeros((n, 9), dtype=float, device=device)
    out_i = wp.zeros((n, 3), dtype=wp.int32, device=device)
    out_u = wp.zeros((n, 3), dtype=wp.uint32, device=device)
    wp.launch(scalar_draws, dim=n, inputs=[2024, out_f, out_i, out_u], device=device)
    z = np.sort(out_f.numpy()[:, 5:].astype(np.float64).ravel())
    m = z.size
    assert np.all(np.isfinite(z))
    assert abs(z.mean()) < 5 / math.sqrt(m)
    assert abs(z.var() - 1.0) < 5 * math.sqrt(2 / m)
    assert abs(np.mean(z**3)) < 5 * math.sqrt(15 / m)  # skewness
    assert abs(np.mean(z**4) - 3.0) < 5 * math.sqrt(96 / m)  # kurtosis
    for c in (1.0, 2.0, 3.0, 4.0):
        p = math.erfc(c / math.sqrt(2))  # P(|z| > c)
        assert abs(np.mean(np.abs(z) > c) - p) < 5 * math.sqrt(p / m) + 1e-6, c
    cdf = 0.5 * (1.0 + np.array([math.erf(x / math.sqrt(2)) for x in z[::97]]))
    ranks = (np.arange(m)[::97] + 0.5) / m
    assert np.abs(cdf - ranks).max() < 1.63 / math.sqrt(m) + 1e-4  # KS, 1% level


def test_uniform_and_integer_statistics(device):
    n = 100_000
    seeds = np.full(n, 123, dtype=np.int32)
    f, _, _, u = _launch_float_streams(device, seeds, np.array([0.1, 0.5, 0.5, 0.7, 1.0]))
    x = f[:, 0].astype(np.float64)
    assert x.min() >= 0.0 and x.max() < 1.0
    assert np.all(np.mod(x * 2.0**24, 1.0) == 0.0)  # multiples of 2^-24
    assert abs(x.mean() - 0.5) < 5 * math.sqrt(1 / 12 / n)
    assert abs(x.var() - 1 / 12) < 2e-3
    y = f[:, 1]
    assert y.min() >= -2.5 and y.max() < 7.25
    assert abs(np.corrcoef(x[:-1], x[1:])[0, 1]) < 0.015  # neighbouring threads
    assert abs(np.corrcoef(x, y)[0, 1]) < 0.015  # successive draws
    # sample_cdf: bin frequencies; the empty bin 2 is never chosen
    freq = np.bincount(u[:, :2].ravel().astype(np.int64), minlength=5) / (2 * n)
    assert np.all(np.abs(freq - [0.1, 0.4, 0.0, 0.2, 0.3]) < 0.006), freq
    g = {"int_seeds": seeds, "offsets": np.arange(n, dtype=np.int32),
         "ranges": np.tile(np.array([[-3, 3]], np.int32), (n, 1)),
         "uranges": np.tile(np.array([[7, 12]], np.uint32), (n, 1)),
         "lams": np.array([3.5, 40.0], np.float32)}
    uu, ii = _launch_int_streams(device, g)
    assert len(np.unique(uu[:, 1])) > n - 5  # rand_init(seed, i): distinct states
    assert np.all(uu[:, 0] == uu[0, 0])
    full = ii[:, 0].astype(np.float64)
    assert full.min() < -2.0**30 and full.max() > 2.0**30
    assert abs(np.mean(uu[:, 2] >> 31) - 0.5) < 0.01
    counts = np.bincount(ii[:, 1] + 5, minlength=12)
    assert counts.size == 12 and np.all(np.abs(counts / n - 1 / 12) < 5 * math.sqrt(1 / 12 / n))
    assert (ii[:, 2].min(), ii[:, 2].max()) == (-3, 2)
    assert (uu[:, 3].min(), uu[:, 3].max(), uu[:, 4].min(), uu[:, 4].max()) == (10, 19, 7, 11)
    for col, lam in ((6, 3.5), (8, 40.0)):
        k = uu[:, col].astype(np.float64)
        assert abs(k.mean() - lam) < 5 * math.sqrt(lam / n), (lam, k.mean())
        assert abs(k.var() - lam) < 0.03 * lam, (lam, k.var())
        for v in (0, 2, 3, 5) if lam < 10 else (30, 38, 40, 45):
            pmf = math.exp(v * math.log(lam) - lam - math.lgamma(v + 1))
            assert abs(np.mean(k == v) - pmf) < 5 * math.sqrt(pmf / n) + 1e-3, (lam, v)


def test_sample_shapes(device):
    n = 100_000
    _, v2, v3, _ = _launch_float_streams(device, np.full(n, 7, np.int32), np.array([1.0]))
    tri, ring, disk, sq = (v2[:, k].astype(np.float64) for k in range(4))
    assert tri.min() >= 0.0 and tri.sum(1).max() <= 1.0 + 1e-6
    assert np.all(np.abs(tri.mean(0) - 1 / 3) < 0.005)
    assert np.allclose(np.linalg.norm(ring, axis=1), 1.0, atol=2e-6)
    r2 = (disk**2).sum(1)
    assert r2.max() <= 1.0 + 1e-6 and abs(r2.mean() - 0.5) < 0.005
    assert sq.min() >= -0.5 and sq.max() < 0.5 and np.all(np.abs(sq.var(0) - 1 / 12) < 2e-3)
    for arr in (ring, disk):
        assert np.all(np.abs(arr.mean(0)) < 0.01)
    sph, ball, hsph, hball, cube = (v3[:, k].astype(np.float64) for k in range(5))
    assert np.allclose(np.linalg.norm(sph, axis=1), 1.0, atol=2e-6)
    assert np.all(np.abs((sph**2).mean(0) - 1 / 3) < 0.005)  # isotropic
    rb = (ball**2).sum(1)
    assert rb.max() <= 1.0 + 1e-6 and abs(rb.mean() - 0.6) < 0.005  # E[r^2] = 3/5
    assert hsph[:, 2].min() >= 0.0 and abs(hsph[:, 2].mean() - 0.5) < 0.005
    assert np.allclose(np.linalg.norm(hsph, axis=1), 1.0, atol=2e-6)
    assert hball[:, 2].min() >= 0.0 and abs(hball[:, 2].mean() - 0.375) < 0.005
    assert cube.min() >= -0.5 and cube.max() < 0.5
    assert np.all(np.abs(cube.var(0) - 1 / 12) < 2e-3)


# ---------------------------------------------------------------------------------------
# The state contract with the code generator
# ---------------------------------------------------------------------------------------


def test_in_place_state_and_python_scope(device):
    n = 64
    out_f = wp.zeros((n, 9), dtype=float, device=device)
    out_i = wp.zeros((n, 3), dtype=wp.int32, device=device)
    out_u = wp.zeros((n, 3), dtype=wp.uint32, device=device)
    wp.launch(scalar_draws, dim=n, inputs=[99, out_f, out_i, out_u], device=device)
    f, i, u = out_f.numpy(), out_i.numpy(), out_u.numpy()
    assert np.array_equal(f[:, 0], f[:, 1]) and np.all(i[:, 0] == 1)  # in place == explicit
    assert np.all(u[:, 1] == 0) and np.all(i[:, 2] == 1)  # poisson(s, 0): 0, no draw
    for t in range(0, n, 9):
        s = wp.rand_init(99, t)
        assert wp.randf(s) == f[t, 0] == wp.randf(s)  # Python scope: state not modified
        s1, x = random_ops._randf_next(s)
        s2, k = random_ops._randi_next(s1, -5, 7)
        assert (x, k) == (f[t, 1], i[t, 1])
        s3, p = random_ops._poisson_next(s2, 40.0)
        assert (p, s3) == (u[t, 0], u[t, 2])
        # wp.vec2(wp.randf(r), wp.randf(r)) draws left to right; a loop carries the state
        assert (f[t, 2], f[t, 3]) == (x, random_ops._randf_next(s1)[1])
        a1 = x
        s8, a2 = random_ops._randf_next(s1)
        a3 = random_ops._randf_next(s8)[1]
        assert f[t, 4] == pytest.approx(a1 + 2 * a2 + 3 * a3, rel=1e-6)


def test_stateful_table():
    names = set(random_ops.STATEFUL)
    assert names == set(random_ops.__all__) - {"rand_init"}
    s = wp.rand_init(3, 4)
    args = {"randf": (1.0, 2.0), "randi": (-4, 9), "randu": (2, 9), "poisson": (2.5,),
            "sample_cdf": (np.array([0.25, 0.5, 1.0]),)}
    for name, helper in random_ops.STATEFUL.items():
        fn, nxt = getattr(wp, name), getattr(random_ops, helper)
        assert random_ops.STATEFUL_FUNCS[fn] is nxt
        new_state, value = nxt(s, *args.get(name, ()))
        assert isinstance(new_state, int) and 0 <= new_state < 2**32 and new_state != s
        assert np.array_equal(np.array(fn(s, *args.get(name, ()))), np.array(value))
    with pytest.raises(TypeError):
        wp.randf(s, 1.0)
    # Warp scalar values are accepted at Python scope
    assert wp.randf(wp.uint32(s)) == wp.randf(s)
    assert wp.rand_init(wp.int32(3), wp.int32(4)) == s
    assert wp.noise(wp.uint32(s), wp.float32(0.25)) == wp.noise(s, 0.25) != 0.0
    assert wp.pnoise(s, 0.25, wp.int32(3)) == wp.pnoise(s, 3.25, 3) == wp.pnoise(s, -2.75, 3)
    # a period of 0 does not wrap (Warp divides by zero); a negative one acts as |period|
    assert wp.pnoise(s, 7.25, 0) == wp.noise(s, 7.25)
    assert wp.pnoise(s, wp.vec2(1.25, 4.5), -3, 5) == wp.pnoise(s, wp.vec2(1.25, 4.5), 3, 5)
    # where Warp divides by zero, a range of one value gives that value
    assert wp.randi(s, 5, 5) == 5 and wp.randu(s, 7, 7) == 7
    # poisson: lam == 0 draws nothing; a negative lam draws once and gives 0, as in Warp
    assert random_ops._poisson_next(s, 0.0) == (s, 0)
    assert random_ops._poisson_next(s, -1.0) == (random_ops._randu_next(s)[0], 0)


# ---------------------------------------------------------------------------------------
# Noise structure
# ---------------------------------------------------------------------------------------


def test_noise_structure(device):
    rng = np.random.default_rng(0)
    pts = rng.uniform(-20.0, 20.0, size=(2000, 4))
    lattice = rng.integers(-20, 20, size=(64, 4)).astype(np.float64)
    out, curl = _launch_noise_values(device, np.concatenate([pts, lattice]), seed=5)
    vals, at_lattice = out[:2000], out[2000:]
    assert np.all(at_lattice == 0.0)  # zero at integer points, for noise and pnoise
    for col, ndim in zip(range(8), (1, 2, 3, 4, 1, 2, 3, 4)):
        v = vals[:, col]
        assert np.all(np.abs(v) <= math.sqrt(ndim) / 2 + 1e-5), col
        assert v.std() > 0.05, col  # not trivially flat
    assert np.all(curl[:, 6] == 0.0)  # zero octaves: zero
    other, _ = _launch_noise_values(device, pts, seed=6)
    assert np.mean(other[:, :4] == vals[:, :4]) < 0.01  # the state selects the field


def test_noise_continuity_and_periodicity(device):
    """pnoise repeats with its periods, also at negative coordinates (where Warp's
    does not: docs/coming_from_warp.md)."""
    rng = np.random.default_rng(1)
    base = rng.uniform(-6.0, 6.0, size=(400, 4))
    h = 1e-3
    shift = np.array([6.0, 10.0, 8.0, 10.0])  # two periods (3, 5, 4, 5) of the 1-2D
    out, _ = _launch_noise_values(device, np.concatenate(
        [base, base + h, base + shift, base + np.array([2.0, 3.0, 4.0, 5.0])]))
    v0, vh, vs, vp = out[:400], out[400:800], out[800:1200], out[1200:]
    assert np.all(np.abs(vh - v0) < 8 * h * 2), np.abs(vh - v0).max()  # Lipschitz
    assert np.allclose(vs[:, 4], v0[:, 4], atol=2e-5)  # pnoise 1D, period 3
    assert np.allclose(vs[:, 5], v0[:, 5], atol=2e-5)  # pnoise 2D, periods (3, 5)
    assert np.allclose(vp[:, 6], v0[:, 6], atol=2e-5)  # pnoise 3D, one period each
    assert np.allclose(vp[:, 7], v0[:, 7], atol=2e-5)  # pnoise 4D
    assert not np.allclose(vs[:, 1], v0[:, 1], atol=1e-3)  # plain noise does not repeat


def test_curlnoise_is_a_curl(device):
    rng = np.random.default_rng(2)
    base = rng.uniform(-8.0, 8.0, size=(300, 4))
    h = 1e-3
    eye = np.eye(4) * h
    pts = np.concatenate([base] + [base + s * eye[k] for k in range(3) for s in (1, -1)])
    out, curl = _launch_noise_values(device, pts, seed=5)
    out, curl = out.astype(np.float64), curl.astype(np.float64)
    n = len(base)
    blk = [slice(n * (1 + j), n * (2 + j)) for j in range(6)]

    def d(arr, k):  # central difference along axis k
        return (arr[blk[2 * k]] - arr[blk[2 * k + 1]]) / (2 * h)

    # 2D, one octave: Warp's curl is (-dN/dy, dN/dx) of N = noise(state, xy)
    c2 = curl[:n, 0, :2]
    assert np.allclose(c2[:, 0], 0.0 - d(out[:, 1], 1), atol=2e-3)
    assert np.allclose(c2[:, 1], d(out[:, 1], 0), atol=2e-3)
    for col, dims in ((0, 2), (3, 2), (1, 3), (2, 3), (4, 3), (5, 3)):
        c = curl[:, col]
        div = sum(d(c[:, k], k) for k in range(dims))
        scale = np.abs(d(c[:, 0], 0)).mean() + 1e-9
        assert np.abs(div).max() < 0.01 * max(scale, 1.0), (col, np.abs(div).max(), scale)
        assert np.abs(c[:n]).mean() > 0.05, col
