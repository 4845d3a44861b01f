"""wp.closest_point_edge_edge and wp.intersect_tri_tri: Warp 1.19's values on hand-picked
degenerate cases (stored: parallel, collinear, crossing and point-like edges; coplanar,
touching, edge-sharing triangles), Warp itself on seeded random inputs when it is
installed, and brute force (sampled closest points, float64 segment-triangle crossings).
The gradient of closest_point_edge_edge is checked in tests/autodiff (rows_geometry.py).
"""

from __future__ import annotations

import typing

import numpy as np
import pytest

import numba_warp as wp

from .oracle import optional_warp

Any = typing.Any

# (p1, q1, p2, q2, epsilon) -> Warp 1.19's (s, t, d), float32
EDGES = [
    ((0, 0, 0), (1, 0, 0), (0.5, 1, 1), (0.5, 1, -1), 1e-6),  # skew, perpendicular
    ((0, 0, 0), (1, 0, 0), (0.5, 1, 0), (2, 1, 0), 1e-6),  # parallel, overlapping
    ((0, 0, 0), (1, 0, 0), (2, 1, 0), (3, 1, 0), 1e-6),  # parallel, apart
    ((0, 0, 0), (1, 0, 0), (3, 1, 0), (2, 1, 0), 1e-6),  # antiparallel
    ((0, 0, 0), (2, 0, 0), (1, 0, 0), (3, 0, 0), 1e-6),  # collinear, overlapping
    ((1, 1, 1), (1, 1, 1), (0, 0, 0), (2, 0, 0), 1e-6),  # first a point
    ((0, 0, 0), (2, 0, 0), (1, 1, 1), (1, 1, 1), 1e-6),  # second a point
    ((0, 0, 0), (0, 0, 0), (1, 2, 2), (1, 2, 2), 1e-6),  # both points
    ((-1, 0, 0), (1, 0, 0), (0, -1, 0), (0, 1, 0), 1e-6),  # crossing
    ((0, 0, 0), (1, 0, 0), (1, 0, 0), (1, 1, 0), 1e-6),  # shared endpoint
    ((0, 0, 0), (1, 0, 0), (0.5, 1, 0.5), (0.5, 3, 0.5), 1e-6),  # t clamped to 0
    ((0, 0, 0), (1, 0, 0), (0.5, -3, 0.5), (0.5, -1, 0.5), 1e-6),  # t clamped to 1
    ((0, 0, 0), (1, 0, 0), (2, 1, 1), (2, 1, -1), 1e-6),  # s clamped to 1
    ((0, 0, 0), (1, 0, 0), (0.25, 1, 0), (1.25, 1.0001, 0), 1e-6),  # nearly parallel
    ((0, 0, 0), (0.001, 0, 0), (0.5, 1, 0), (0.5, 1.002, 0), 1e-3),  # both under epsilon
    ((0, 0, 0), (0, 0, 0), (1, 0, 0), (1, 2, 0), 0.0),  # zero length, epsilon 0
    ((0.3, -0.2, 0.7), (1.9, 0.4, -0.6), (-0.5, 1.1, 0.2), (0.8, -1.3, 0.9), 1e-6),
    ((2, 2, 2), (-2, -2, -2), (1, -1, 0), (-1, 1, 0), 1e-6),
]
EDGES_WARP = [
    (0.5, 0.5, 1.0), (0.5, 0.0, 1.0), (1.0, 0.0, 1.4142135381698608),
    (1.0, 1.0, 1.4142135381698608), (0.5, 0.0, 0.0), (0.0, 0.5, 1.4142135381698608),
    (0.5, 0.0, 1.4142135381698608), (0.0, 0.0, 3.0), (0.5, 0.5, 0.0), (1.0, 0.0, 0.0),
    (0.5, 0.0, 1.1180340051651), (0.5, 1.0, 1.1180340051651),
    (1.0, 0.5, 1.4142135381698608), (0.25, 0.0, 1.0), (0.0, 0.0, 1.1180340051651),
    (0.0, 0.0, 1.0), (0.0, 0.568010151386261, 0.1351834535598755), (0.5, 0.5, 0.0),
]
# (v0, v1, v2, u0, u1, u2) -> Warp 1.19's result (the same for vec3 and vec3d)
TRIS = [
    ((0, 0, 0), (2, 0, 0), (0, 2, 0), (1, 1, -1), (1, 1, 1), (1, -1, 0)),  # crossing
    ((0, 0, 0), (1, 0, 0), (0, 1, 0), (0, 0, 1), (1, 0, 1), (0, 1, 1)),  # parallel planes
    ((0, 0, 0), (2, 0, 0), (0, 2, 0), (0.5, 0.5, 0), (3, 0.5, 0), (0.5, 3, 0)),  # coplanar
    ((0, 0, 0), (1, 0, 0), (0, 1, 0), (2, 2, 0), (3, 2, 0), (2, 3, 0)),  # coplanar apart
    ((0, 0, 0), (4, 0, 0), (0, 4, 0), (0.5, 0.5, 0), (1, 0.5, 0), (0.5, 1, 0)),  # contained
    ((0, 0, 0), (2, 0, 0), (0, 2, 0), (0.5, 0.5, 0), (0.5, 0.5, 1), (1, 1, 1)),  # vertex on face
    ((0, 0, 0), (1, 0, 0), (0, 1, 0), (0, 0, 0), (1, 0, 0), (0, -1, 0)),  # coplanar, shared edge
    ((0, 0, 0), (1, 0, 0), (0, 1, 0), (0, 0, 0), (1, 0, 0), (0, 0, 1)),  # hinge on an edge
    ((0, 0, 0), (1, 0, 0), (0, 1, 0), (1, 0, 0), (2, 0, 1), (2, 1, 1)),  # one shared vertex
    ((0, 0, 0), (1, 0, 0), (0, 1, 0), (0.2, 0.2, 0.01), (0.6, 0.2, 0.01), (0.2, 0.6, 0.5)),
    ((0, 0, 0), (1, 0, 0), (0, 1, 0), (0.2, 0.2, -0.01), (0.6, 0.2, 0.3), (0.2, 0.6, 0.5)),
    ((0, 0, 0), (1, 0, 0), (0, 1, 0), (0, 0, 0), (1, 0, 0), (0, 1, 0)),  # identical
    ((0, 0, 0), (1, 0, 0), (0, 1, 0), (0.5, -1, 0), (0.5, -0.5, 0), (0.5, 0, 0)),  # sliver
    ((0, 0, 0), (1, 0, 0), (0, 1, 0), (0.25, 0.25, -1), (0.25, 0.25, 1), (0.25, 0.25, 0.5)),
    ((0, 0, 0), (1, 0, 0), (0, 1, 0), (1, 1, -1), (1, 1, 1), (1, 1, 0.5)),  # a miss
    ((0, 0, 0), (1, 0, 0), (0, 1, 0), (0.5, 0.5, 0), (1, 1, 1), (1, 1, -1)),  # edge touch
    ((0, 0, 0), (1, 0, 0), (0, 1, 0), (0.51, 0.51, 0), (1, 1, 1), (1, 1, -1)),  # just apart
    ((0, 0, 0), (1, 0, 0), (0, 1, 0), (-1, 0.5, 0), (2, 0.5, 0), (0.5, 0.5, 0)),
]
TRIS_WARP = [1, 0, 1, 0, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 0, 1, 0, 1]


@wp.kernel
def edge_edge(p: wp.array(dtype=Any), eps: wp.array(dtype=Any), out: wp.array(dtype=Any)):
    i = wp.tid()
    out[i] = wp.closest_point_edge_edge(p[4 * i], p[4 * i + 1], p[4 * i + 2], p[4 * i + 3],
                                        eps[i])


@wp.kernel
def tri_tri(p: wp.array(dtype=Any), out: wp.array(dtype=int)):
    i = wp.tid()
    out[i] = wp.intersect_tri_tri(p[6 * i], p[6 * i + 1], p[6 * i + 2], p[6 * i + 3],
                                  p[6 * i + 4], p[6 * i + 5])


def run_edges(points, eps, device, vec=wp.vec3, scalar=wp.float32):
    """(n, 4, 3) endpoints and (n,) epsilons -> (n, 3) results of closest_point_edge_edge."""
    n = len(points)
    p = wp.array(np.asarray(points).reshape(-1, 3), dtype=vec, device=device)
    e = wp.array(np.asarray(eps), dtype=scalar, device=device)
    out = wp.zeros(n, dtype=vec, device=device)
    wp.launch(edge_edge, n, [p, e, out], device=device)
    return out.numpy()


def run_tris(tris, device, vec=wp.vec3):
    n = len(tris)
    p = wp.array(np.asarray(tris).reshape(-1, 3), dtype=vec, device=device)
    out = wp.zeros(n, dtype=int, device=device)
    wp.launch(tri_tri, n, [p, out], device=device)
    return out.numpy()


def test_closest_point_edge_edge_matches_warp_on_degenerate_edges(device):
    pts = np.array([c[:4] for c in EDGES], np.float32)
    got = run_edges(pts, [c[4] for c in EDGES], device)
    np.testing.assert_allclose(got, np.array(EDGES_WARP, np.float32), rtol=1e-6, atol=1e-6)
    # vec3d (Warp has vec3 only): the same weights, distances in float64
    got64 = run_edges(pts.astype(np.float64), [c[4] for c in EDGES], device, wp.vec3d,
                      wp.float64)
    np.testing.assert_allclose(got64, EDGES_WARP, rtol=1e-6, atol=1e-6)


def test_intersect_tri_tri_matches_warp_on_touching_and_coplanar_triangles(device):
    tris = np.array(TRIS, np.float64)
    assert run_tris(tris.astype(np.float32), device).tolist() == TRIS_WARP
    assert run_tris(tris, device, wp.vec3d).tolist() == TRIS_WARP


def _random_edges(rng, n):
    p = rng.normal(size=(n, 4, 3)).astype(np.float32)
    k = n // 4  # a quarter exactly parallel, a quarter with a shared endpoint
    p[:k, 3] = p[:k, 2] + 1.5 * (p[:k, 1] - p[:k, 0])
    p[k:2 * k, 2] = p[k:2 * k, 1]
    return p


def _closest_by_sampling(p):
    """Brute force in float64: for 4001 samples s on the first segment, the closest point of
    the second (clamped projection); the smallest distance found."""
    p = p.astype(np.float64)
    s = np.linspace(0.0, 1.0, 4001)[None, :, None]
    c1 = p[:, None, 0] + s * (p[:, None, 1] - p[:, None, 0])
    d2 = p[:, 3] - p[:, 2]
    t = np.einsum("nsk,nk->ns", c1 - p[:, None, 2], d2) / np.einsum("nk,nk->n", d2, d2)[:, None]
    c2 = p[:, None, 2] + np.clip(t, 0.0, 1.0)[..., None] * d2[:, None]
    return np.linalg.norm(c2 - c1, axis=-1).min(axis=1)


def test_closest_point_edge_edge_against_sampling_and_warp(device):
    rng = np.random.default_rng(7)
    p = _random_edges(rng, 400)
    got = run_edges(p, np.full(len(p), 1e-6, np.float32), device)
    s, t, d = got[:, 0], got[:, 1], got[:, 2]
    assert ((s >= 0) & (s <= 1) & (t >= 0) & (t <= 1)).all()
    c1 = p[:, 0] + s[:, None] * (p[:, 1] - p[:, 0])
    c2 = p[:, 2] + t[:, None] * (p[:, 3] - p[:, 2])
    np.testing.assert_allclose(d, np.linalg.norm(c2 - c1, axis=1), rtol=1e-5, atol=1e-6)
    sampled = _closest_by_sampling(p)
    assert (d <= sampled + 1e-5).all()  # never worse than any sampled pair
    np.testing.assert_allclose(d, sampled, atol=1e-5)  # and as close as the samples say
    warp = optional_warp()
    if warp is not None:  # the oracle itself (CPU), bit for bit
        @warp.kernel(module="unique")
        def warp_edge_edge(p: warp.array(dtype=warp.vec3), out: warp.array(dtype=warp.vec3)):
            i = warp.tid()
            out[i] = warp.closest_point_edge_edge(p[4 * i], p[4 * i + 1], p[4 * i + 2],
                                                  p[4 * i + 3], 1.0e-6)

        wout = warp.zeros(len(p), dtype=warp.vec3, device="cpu")
        warp.launch(warp_edge_edge, len(p), [warp.array(p.reshape(-1, 3), dtype=warp.vec3,
                                                        device="cpu"), wout], device="cpu")
        np.testing.assert_allclose(got, wout.numpy(), rtol=2e-6, atol=2e-6)


def _segment_hits_triangle(a, b, tri):
    """Whether segments a-b cross triangles tri (float64, Moller-Trumbore), and how far from
    the decision the closest margin is (to skip near-touching cases)."""
    e1, e2 = tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]
    d = b - a
    h = np.cross(d, e2)
    det = np.einsum("nk,nk->n", e1, h)
    inv = 1.0 / det
    s = a - tri[:, 0]
    u = inv * np.einsum("nk,nk->n", s, h)
    q = np.cross(s, e1)
    v = inv * np.einsum("nk,nk->n", d, q)
    t = inv * np.einsum("nk,nk->n", e2, q)
    hit = (u >= 0) & (v >= 0) & (u + v <= 1) & (t >= 0) & (t <= 1)
    margin = np.min(np.abs([u, v, 1 - u - v, t, 1 - t]), axis=0)
    return hit, margin


def test_intersect_tri_tri_against_segment_crossings_and_warp(device):
    rng = np.random.default_rng(11)
    n = 600
    tris = rng.uniform(-1, 1, size=(n, 6, 3))  # about a quarter of the pairs meet
    # two triangles in general position meet iff an edge of one crosses the other
    hit = np.zeros(n, bool)
    margin = np.full(n, np.inf)
    for one, other in ((tris[:, :3], tris[:, 3:]), (tris[:, 3:], tris[:, :3])):
        for i, j in ((0, 1), (1, 2), (2, 0)):
            h, m = _segment_hits_triangle(one[:, i], one[:, j], other)
            hit |= h
            margin = np.minimum(margin, m)
    clear = margin > 1e-3
    assert clear.sum() > n * 0.9 and 0.15 < hit[clear].mean() < 0.85
    for vec, dt in ((wp.vec3, np.float32), (wp.vec3d, np.float64)):
        got = run_tris(tris.astype(dt), device, vec)
        assert (got[clear] == hit[clear]).all()
    warp = optional_warp()
    if warp is not None:
        @warp.kernel(module="unique")
        def warp_tri_tri(p: warp.array(dtype=warp.vec3), out: warp.array(dtype=int)):
            i = warp.tid()
            out[i] = warp.intersect_tri_tri(p[6 * i], p[6 * i + 1], p[6 * i + 2],
                                            p[6 * i + 3], p[6 * i + 4], p[6 * i + 5])

        wout = warp.zeros(n, dtype=int, device="cpu")
        t32 = tris.astype(np.float32).reshape(-1, 3)
        warp.launch(warp_tri_tri, n, [warp.array(t32, dtype=warp.vec3, device="cpu"), wout],
                    device="cpu")
        assert (run_tris(tris.astype(np.float32), device) == wout.numpy()).all()


def test_python_scope_calls_give_the_kernel_values():
    r = wp.closest_point_edge_edge(wp.vec3(0.0, 0.0, 0.0), wp.vec3(1.0, 0.0, 0.0),
                                   wp.vec3(0.5, 1.0, 1.0), wp.vec3(0.5, 1.0, -1.0), 1.0e-6)
    assert isinstance(r, wp.vec3) and list(r) == [0.5, 0.5, 1.0]
    args = [wp.vec3d(*v) for v in TRIS[5]]
    assert wp.intersect_tri_tri(*args) == 1
    assert wp.intersect_tri_tri(*[wp.vec3(*v) for v in TRIS[14]]) == 0


@wp.kernel
def wrong_types(out: wp.array(dtype=int)):
    out[0] = wp.intersect_tri_tri(wp.vec3(), wp.vec3(), wp.vec3(), wp.vec3d(), wp.vec3d(),
                                  wp.vec3d())


def test_mixed_precision_is_a_typing_error_naming_the_call():
    out = wp.zeros(1, dtype=int, device="cpu")
    with pytest.raises(Exception, match="intersect_tri_tri"):
        wp.launch(wrong_types, 1, [out], device="cpu")
