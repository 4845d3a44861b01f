"""Warp's Random builtins (``numba_warp.lowering.random_ops``) on every device.

Kernels thread the RNG state explicitly through the ``_X_next`` helpers (what the code
generator's in-place rewrite produces) and call the pure forms on a fresh state. Checks:
statistics of 10^5 draws (means, variances, frequencies, against closed forms), shapes
(points in the disk / ball / triangle, unit norms, hemisphere z >= 0), determinism and
agreement with the Python-scope builtins, and structural properties of the noise: zero
at lattice points, bounded, continuous, periodic (pnoise), zero-mean, and a curl noise
that is divergence-free and equals the rotated finite-difference gradient in 2D.
"""

import math
import typing

import numpy as np
import pytest

import numba_warp as wp
from numba_warp.lowering import random_ops
from numba_warp.lowering.random_ops import (
    _poisson_next, _randf_next, _randi_next, _randn_next, _randu_next, _sample_cdf_next,
    _sample_triangle_next, _sample_unit_cube_next, _sample_unit_disk_next,
    _sample_unit_hemisphere_next, _sample_unit_hemisphere_surface_next,
    _sample_unit_ring_next, _sample_unit_sphere_next, _sample_unit_sphere_surface_next,
    _sample_unit_square_next,
)

Any = typing.Any
N = 100_000


def _mean_tol(std, n=N):
    return 5.0 * std / math.sqrt(n)  # five standard errors


# ---------------------------------------------------------------------------------------
# Kernels
# ---------------------------------------------------------------------------------------


@wp.kernel
def scalar_draws(seed: int, out_f: wp.array2d(dtype=float), out_i: wp.array2d(dtype=wp.int32),
                 out_u: wp.array2d(dtype=wp.uint32)):
    i = wp.tid()
    s = wp.rand_init(seed, i)
    out_u[i, 0] = s
    t = s
    out_f[i, 0] = wp.randf(t)  # advances t in place
    s, x = _randf_next(s)  # the explicit form of the same draw
    out_f[i, 1] = x
    out_i[i, 3] = wp.int32(t == s)
    out_f[i, 2] = wp.randf(s, -2.0, 3.0)
    out_f[i, 3] = wp.randn(s)
    out_i[i, 0] = wp.randi(s)
    s, k = _randi_next(s, -5, 7)
    out_i[i, 1] = k
    out_u[i, 1] = wp.randu(s)
    out_u[i, 2] = wp.randu(s, wp.uint32(10), wp.uint32(20))
    out_u[i, 3] = wp.poisson(s, 3.5)
    s, u = _poisson_next(s, 40.0)
    out_u[i, 4] = u
    s0 = s
    out_u[i, 5] = wp.poisson(s, 0.0)  # no draw
    out_i[i, 2] = wp.int32(s == s0)
    out_u[i, 6] = s
    r = wp.rand_init(seed, i)
    out_u[i, 7] = wp.randi(r, -3, 3) + 3
    r = wp.rand_init(seed, i)
    out_u[i, 8] = wp.randu(r)
    out_u[i, 9] = wp.rand_init(seed)
    # two draws in one expression: drawn left to right, each advancing r
    r = wp.rand_init(seed, i)
    v = wp.vec2(wp.randf(r), wp.randf(r))
    out_f[i, 4] = v[0]
    out_f[i, 5] = v[1]
    # in a loop: the state is carried from one iteration to the next
    r = wp.rand_init(seed, i)
    acc = float(0.0)
    for j in range(3):
        acc += wp.randf(r) * float(j + 1)
    out_f[i, 6] = acc


@wp.kernel
def shape_draws(seed: int, out2: wp.array2d(dtype=wp.vec2), out3: wp.array2d(dtype=wp.vec3)):
    i = wp.tid()
    s = wp.rand_init(seed, i)
    out2[i, 0] = wp.sample_unit_square(s)
    s, v = _sample_unit_disk_next(s)
    out2[i, 1] = v
    out2[i, 2] = wp.sample_unit_ring(s)
    s, v = _sample_triangle_next(s)
    out2[i, 3] = v
    out3[i, 0] = wp.sample_unit_cube(s)
    s, w = _sample_unit_sphere_next(s)
    out3[i, 1] = w
    out3[i, 2] = wp.sample_unit_sphere_surface(s)
    s, w = _sample_unit_hemisphere_next(s)
    out3[i, 3] = w
    out3[i, 4] = wp.sample_unit_hemisphere_surface(s)
    # first draws from a fresh state, to compare with the Python-scope builtins
    r = wp.rand_init(seed, i)
    s, v = _sample_unit_square_next(r)
    out2[i, 4] = v
    s, v = _sample_unit_disk_next(r)
    out2[i, 5] = v
    s, v = _sample_unit_ring_next(r)
    out2[i, 6] = v
    out2[i, 7] = wp.sample_triangle(r)
    r = wp.rand_init(seed, i)
    out3[i, 5] = wp.sample_unit_sphere_surface(r)
    r = wp.rand_init(seed, i)
    out3[i, 6] = wp.sample_unit_cube(r)
    r = wp.rand_init(seed, i)
    s, w = _sample_unit_sphere_next(r)
    out3[i, 7] = w
    s, w = _sample_unit_hemisphere_next(r)
    out3[i, 8] = w
    s, w = _sample_unit_hemisphere_surface_next(r)
    out3[i, 9] = w


@wp.kernel
def cdf_draws(seed: int, cdf: wp.array(dtype=Any), out: wp.array2d(dtype=wp.int32)):
    i = wp.tid()
    s = wp.rand_init(seed, i)
    for j in range(4):
        out[i, j] = wp.sample_cdf(s, cdf)
    r = wp.rand_init(seed, i)
    r, k = _sample_cdf_next(r, cdf)
    out[i, 4] = k


@wp.kernel
def noise_kernel(seed: int, xs: wp.array(dtype=wp.vec4), out: wp.array2d(dtype=float),
                 curl: wp.array2d(dtype=wp.vec3)):
    i = wp.tid()
    p = xs[i]
    s = wp.rand_init(seed)
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
    c2 = wp.curlnoise(s, p2, 1, 2.0, 0.5)
    curl[i, 0] = wp.vec3(c2[0], c2[1], 0.0)
    curl[i, 1] = wp.curlnoise(s, p3, 3, 2.0, 0.5)
    curl[i, 2] = wp.curlnoise(s, p, 2, 2.0, 0.5)
    c2 = wp.curlnoise(s, p2, 3, 2.0, 0.5)
    curl[i, 3] = wp.vec3(c2[0], c2[1], 0.0)
    curl[i, 4] = wp.curlnoise(s, p3, 0, 2.0, 0.5)  # zero octaves: zero


def _scalar_run(device, seed=123, n=N):
    out_f = wp.zeros((n, 7), dtype=float, device=device)
    out_i = wp.zeros((n, 4), dtype=wp.int32, device=device)
    out_u = wp.zeros((n, 10), dtype=wp.uint32, device=device)
    wp.launch(scalar_draws, dim=n, inputs=[seed, out_f, out_i, out_u], device=device)
    return out_f.numpy(), out_i.numpy(), out_u.numpy()


def _shape_run(device, seed=7, n=N):
    out2 = wp.zeros((n, 8), dtype=wp.vec2, device=device)
    out3 = wp.zeros((n, 10), dtype=wp.vec3, device=device)
    wp.launch(shape_draws, dim=n, inputs=[seed, out2, out3], device=device)
    return out2.numpy(), out3.numpy()


def _noise_run(device, pts, seed=5):
    pts = np.ascontiguousarray(pts, dtype=np.float32)
    xs = wp.array(pts, dtype=wp.vec4, device=device)
    out = wp.zeros((len(pts), 8), dtype=float, device=device)
    curl = wp.zeros((len(pts), 5), dtype=wp.vec3, device=device)
    wp.launch(noise_kernel, dim=len(pts), inputs=[seed, xs, out, curl], device=device)
    return out.numpy(), curl.numpy()


# ---------------------------------------------------------------------------------------
# Scalar distributions
# ---------------------------------------------------------------------------------------


def test_uniform_and_normal_statistics(device):
    f, i, u = _scalar_run(device)
    assert np.array_equal(f[:, 0], f[:, 1]) and np.all(i[:, 3] == 1)  # in place == explicit
    x = f[:, 1]
    assert x.min() >= 0.0 and x.max() < 1.0
    assert np.all(np.mod(x.astype(np.float64) * 2.0**24, 1.0) == 0.0)  # multiples of 2^-24
    assert abs(x.mean() - 0.5) < _mean_tol(math.sqrt(1 / 12))
    assert abs(x.var() - 1 / 12) < 2e-3
    y = f[:, 2]
    assert y.min() >= -2.0 and y.max() < 3.0
    assert abs(y.mean() - 0.5) < _mean_tol(5 * math.sqrt(1 / 12))
    z = f[:, 3].astype(np.float64)
    assert np.all(np.isfinite(z))
    assert abs(z.mean()) < _mean_tol(1.0)
    assert abs(z.var() - 1.0) < 0.025
    assert abs(np.mean(np.abs(z) < 1.0) - math.erf(1 / math.sqrt(2))) < 0.008
    assert abs(np.mean(z**4) - 3.0) < 0.15  # kurtosis of a normal
    # independent streams: neighbouring threads and successive draws are uncorrelated
    assert abs(np.corrcoef(x[:-1], x[1:])[0, 1]) < 0.015
    assert abs(np.corrcoef(x, y)[0, 1]) < 0.015


def test_integer_distributions(device):
    f, i, u = _scalar_run(device)
    full = i[:, 0].astype(np.float64)
    assert full.min() < -2.0**30 and full.max() > 2.0**30
    assert abs(full.mean()) / 2.0**31 < _mean_tol(1 / math.sqrt(3))
    r = i[:, 1]
    assert r.min() == -5 and r.max() == 6
    counts = np.bincount(r + 5, minlength=12)
    assert np.all(np.abs(counts / N - 1 / 12) < 5 * math.sqrt(1 / 12 / N))
    assert u[:, 7].min() == 0 and u[:, 7].max() == 5  # randi(r, -3, 3) + 3
    uu = u[:, 1].astype(np.float64)
    assert uu.max() > 2.0**31 and abs(uu.mean() / 2.0**32 - 0.5) < 0.005
    assert u[:, 2].min() == 10 and u[:, 2].max() == 19
    # the top bit of randu/randi is fair, and rand_init(seed, i) gives distinct states
    assert abs(np.mean(u[:, 1] >> 31) - 0.5) < 0.01
    assert len(np.unique(u[:, 0])) > N - 5
    assert np.all(u[:, 9] == u[0, 9]) and u[0, 9] != u[0, 0]


def test_poisson(device):
    f, i, u = _scalar_run(device)
    for col, lam in ((3, 3.5), (4, 40.0)):
        k = u[:, col].astype(np.float64)
        assert abs(k.mean() - lam) < _mean_tol(math.sqrt(lam)), (lam, k.mean())
        assert abs(k.var() - lam) < 0.03 * lam, (lam, k.var())
        for v in (0, 2, 3, 5) if lam < 10 else (30, 38, 40, 45):
            pmf = math.exp(v * math.log(lam) - lam - math.lgamma(v + 1))
            assert abs(np.mean(k == v) - pmf) < 5 * math.sqrt(pmf / N) + 1e-3, (lam, v)
    assert np.all(u[:, 5] == 0) and np.all(i[:, 2] == 1)  # lam == 0: 0, state unchanged


def test_determinism_and_python_scope(device):
    f, i, u = _scalar_run(device, seed=99, n=64)
    f2, i2, u2 = _scalar_run(device, seed=99, n=64)
    assert np.array_equal(f, f2) and np.array_equal(i, i2) and np.array_equal(u, u2)
    f3, _, _ = _scalar_run(device, seed=100, n=64)
    assert not np.any(f3[:, 1] == f[:, 1]) or np.mean(f3[:, 1] == f[:, 1]) < 0.1
    for t in range(0, 64, 9):
        s = wp.rand_init(99, t)
        assert s == int(u[t, 0]) and wp.rand_init(99) == int(u[t, 9])
        assert wp.randf(s) == f[t, 0] == wp.randf(s)  # Python scope: state not modified
        s1, x = random_ops._randf_next(s)
        assert x == f[t, 1]
        s2, x = random_ops._randf_next(s1, -2.0, 3.0)
        assert x == pytest.approx(f[t, 2], abs=1e-6)
        s3, z = random_ops._randn_next(s2)
        assert z == pytest.approx(f[t, 3], rel=1e-5, abs=1e-5)
        s4, k = random_ops._randi_next(s3)
        assert k == i[t, 0]
        s5, k = random_ops._randi_next(s4, -5, 7)
        assert k == i[t, 1]
        s6, k = random_ops._randu_next(s5)
        assert k == u[t, 1]
        assert wp.randi(s, -3, 3) + 3 == u[t, 7] and wp.randu(s) == u[t, 8]
        # wp.vec2(wp.randf(r), wp.randf(r)) draws left to right; a loop carries the state
        assert (f[t, 4], f[t, 5]) == (f[t, 1], random_ops._randf_next(s1)[1])
        s7, a1 = random_ops._randf_next(s)
        s8, a2 = random_ops._randf_next(s7)
        a3 = random_ops._randf_next(s8)[1]
        assert f[t, 6] == pytest.approx(a1 + 2 * a2 + 3 * a3, rel=1e-6)
        s9, _ = random_ops._poisson_next(s6, 3.5)
        s10, _ = random_ops._randu_next(s6, 10, 20)
        s10, p3 = random_ops._poisson_next(s10, 3.5)
        s10, p40 = random_ops._poisson_next(s10, 40.0)
        assert (p3, p40) == (u[t, 3], u[t, 4]) and s10 == u[t, 6]
        assert random_ops._poisson_next(s10, 0.0) == (s10, 0)


# ---------------------------------------------------------------------------------------
# Geometric samplers
# ---------------------------------------------------------------------------------------


def test_sample_shapes(device):
    v2, v3 = _shape_run(device)
    sq, disk, ring, tri = (v2[:, k].astype(np.float64) for k in range(4))
    assert sq.min() >= -0.5 and sq.max() < 0.5
    assert np.all(np.abs(sq.mean(0)) < _mean_tol(math.sqrt(1 / 12)))
    assert np.all(np.abs(sq.var(0) - 1 / 12) < 2e-3)
    r2 = (disk**2).sum(1)
    assert r2.max() <= 1.0 + 1e-6 and abs(r2.mean() - 0.5) < 0.005
    assert np.all(np.abs(disk.mean(0)) < 0.01)
    assert np.allclose(np.linalg.norm(ring, axis=1), 1.0, atol=2e-6)
    assert np.all(np.abs(ring.mean(0)) < 0.01)
    assert tri.min() >= 0.0 and (tri.sum(1)).max() <= 1.0 + 1e-6
    assert np.all(np.abs(tri.mean(0) - 1 / 3) < 0.005)
    cube, ball, sph, hball, hsph = (v3[:, k].astype(np.float64) for k in range(5))
    assert cube.min() >= -0.5 and cube.max() < 0.5
    assert np.all(np.abs(cube.var(0) - 1 / 12) < 2e-3)
    rb = (ball**2).sum(1)
    assert rb.max() <= 1.0 + 1e-6 and abs(rb.mean() - 0.6) < 0.005  # E[r^2] = 3/5
    assert np.all(np.abs(ball.mean(0)) < 0.01)
    assert np.allclose(np.linalg.norm(sph, axis=1), 1.0, atol=2e-6)
    assert np.all(np.abs(sph.mean(0)) < 0.01)
    assert np.all(np.abs((sph**2).mean(0) - 1 / 3) < 0.005)  # isotropic
    assert hsph[:, 2].min() >= 0.0 and np.allclose(np.linalg.norm(hsph, axis=1), 1.0,
                                                    atol=2e-6)
    assert abs(hsph[:, 2].mean() - 0.5) < 0.005 and np.all(np.abs(hsph[:, :2].mean(0)) < 0.01)
    rh = (hball**2).sum(1)
    assert hball[:, 2].min() >= 0.0 and rh.max() <= 1.0 + 1e-6
    assert abs(hball[:, 2].mean() - 0.375) < 0.005  # E[z] = 3/8 in the half ball
    # pure forms agree with the Python-scope builtins (same state, same point)
    for t in (0, 17, 4242):
        s = wp.rand_init(7, t)
        cases = [(wp.sample_unit_square, v2[t, 4]), (wp.sample_unit_disk, v2[t, 5]),
                 (wp.sample_unit_ring, v2[t, 6]), (wp.sample_triangle, v2[t, 7]),
                 (wp.sample_unit_cube, v3[t, 6]), (wp.sample_unit_sphere, v3[t, 7]),
                 (wp.sample_unit_hemisphere, v3[t, 8]),
                 (wp.sample_unit_hemisphere_surface, v3[t, 9]),
                 (wp.sample_unit_sphere_surface, v3[t, 5])]
        for fn, got in cases:
            assert np.allclose(np.array(fn(s)), got, atol=2e-6), fn.__name__


@pytest.mark.parametrize("dtype", [wp.float32, wp.float64])
def test_sample_cdf(device, dtype):
    weights = np.array([0.1, 0.4, 0.0, 0.2, 0.3])
    cdf = np.cumsum(weights) / weights.sum()
    cdf[-1] = 1.0
    out = wp.zeros((N // 4, 5), dtype=wp.int32, device=device)
    wp.launch(cdf_draws, dim=N // 4, device=device,
              inputs=[11, wp.array(cdf, dtype=dtype, device=device), out])
    res = out.numpy()
    assert res.min() >= 0 and res.max() <= 4
    draws = res[:, :4].ravel()
    freq = np.bincount(draws, minlength=5) / draws.size
    assert freq[2] == 0.0  # an empty bin is never chosen
    assert np.all(np.abs(freq - weights) < 0.006), freq
    assert np.array_equal(res[:, 4], res[:, 0])
    s = wp.rand_init(11, 3)
    assert wp.sample_cdf(s, cdf) == res[3, 0]
    assert wp.sample_cdf(s, np.array([1.0])) == 0  # a single bin


# ---------------------------------------------------------------------------------------
# Noise
# ---------------------------------------------------------------------------------------


def test_noise_structure(device):
    rng = np.random.default_rng(0)
    pts = rng.uniform(0.0, 20.0, size=(4000, 4))
    lattice = rng.integers(0, 20, size=(64, 4)).astype(np.float64)
    out, _ = _noise_run(device, np.concatenate([pts, lattice]))
    vals, at_lattice = out[:4000], out[4000:]
    assert np.all(at_lattice == 0.0)  # zero at integer points, for noise and pnoise
    for col, ndim in zip(range(8), (1, 2, 3, 4, 1, 2, 3, 4)):
        v = vals[:, col]
        assert np.all(np.abs(v) <= math.sqrt(ndim) / 2 + 1e-5), col
        assert v.std() > 0.05, col  # not trivially flat
        assert abs(v.mean()) < 5 * v.std() / math.sqrt(1000), col  # ~zero mean
    again, _ = _noise_run(device, pts)
    assert np.array_equal(again, vals)  # deterministic
    other, _ = _noise_run(device, pts, seed=6)
    assert np.mean(other[:, :4] == vals[:, :4]) < 0.01  # the state selects the field
    # Python scope evaluates the same field
    s = wp.rand_init(5)
    p = pts[3].astype(np.float32)
    assert wp.noise(s, float(p[0])) == pytest.approx(vals[3, 0], abs=1e-5)
    assert wp.noise(s, wp.vec3(p[0], p[1], p[2])) == pytest.approx(vals[3, 2], abs=1e-5)
    assert wp.pnoise(s, wp.vec4(*p), 2, 3, 4, 5) == pytest.approx(vals[3, 7], abs=1e-5)


def test_noise_continuity_and_periodicity(device):
    rng = np.random.default_rng(1)
    base = rng.uniform(0.0, 6.0, size=(500, 4))
    h = 1e-3
    shift = np.array([6.0, 10.0, 8.0, 10.0])  # two periods (3, 5, 4, 5) of the 1-2D
    out, _ = _noise_run(device, np.concatenate([base, base + h, base + shift,
                                                base + np.array([2.0, 3.0, 4.0, 5.0])]))
    v0, vh, vs, vp = out[:500], out[500:1000], out[1000:1500], out[1500:]
    # Lipschitz: |d noise| <= (gradient bound) * |d x|; the gradient is bounded by ~3*sqrt(N)
    assert np.all(np.abs(vh - v0) < 8 * h * 2), np.abs(vh - v0).max()
    assert np.allclose(vs[:, 4], v0[:, 4], atol=2e-5)  # pnoise 1D, period 3
    assert np.allclose(vs[:, 5], v0[:, 5], atol=2e-5)  # pnoise 2D, periods (3, 5)
    assert np.allclose(vp[:, 6], v0[:, 6], atol=2e-5)  # pnoise 3D, one period each
    assert np.allclose(vp[:, 7], v0[:, 7], atol=2e-5)  # pnoise 4D
    assert not np.allclose(vs[:, 1], v0[:, 1], atol=1e-3)  # plain noise does not repeat


def test_curlnoise(device):
    rng = np.random.default_rng(2)
    base = rng.uniform(0.0, 8.0, size=(300, 4))
    h = 1e-3
    eye = np.eye(4) * h
    pts = np.concatenate([base] + [base + s * eye[k] for k in range(3) for s in (1, -1)])
    out, curl = _noise_run(device, pts)
    out, curl = out.astype(np.float64), curl.astype(np.float64)
    n = len(base)
    blk = [slice(n * (1 + j), n * (2 + j)) for j in range(6)]

    def d(arr, k):  # central difference along axis k
        return (arr[blk[2 * k]] - arr[blk[2 * k + 1]]) / (2 * h)

    # 2D, one octave: curl = (dpsi/dy, -dpsi/dx) with psi = noise(state, xy)
    c2 = curl[:n, 0, :2]
    assert np.allclose(c2[:, 0], d(out[:, 1], 1), atol=2e-3)
    assert np.allclose(c2[:, 1], 0.0 - d(out[:, 1], 0), atol=2e-3)
    for col, dims in ((0, 2), (3, 2), (1, 3), (2, 3)):
        c = curl[:, col]
        div = sum(d(c[:, k], k) for k in range(dims))
        scale = np.abs(d(c[:, 0], 0)).mean() + 1e-9
        assert np.abs(div).max() < 0.01 * max(scale, 1.0), (col, np.abs(div).max(), scale)
        assert np.abs(c[:n]).mean() > 0.05, col
    assert np.all(curl[:, 4] == 0.0)
    s = wp.rand_init(5)
    p = base[0].astype(np.float32)
    got = wp.curlnoise(s, wp.vec3(p[0], p[1], p[2]), 3, 2.0, 0.5)
    assert np.allclose(np.array(got), curl[0, 1], atol=1e-4)


# ---------------------------------------------------------------------------------------
# The contract with the code generator
# ---------------------------------------------------------------------------------------


def test_stateful_table():
    names = set(random_ops.STATEFUL)
    assert names <= set(random_ops.__all__)
    assert not names & {"rand_init", "noise", "pnoise", "curlnoise"}
    assert names == set(random_ops.__all__) - {"rand_init", "noise", "pnoise", "curlnoise"}
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
    assert wp.pnoise(s, 0.25, wp.int32(3)) == wp.pnoise(s, 3.25, 3)
