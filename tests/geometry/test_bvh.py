"""wp.Bvh against brute force on seeded random boxes: every query kind (box, ray, sphere,
capsule; the ``while bvh_query_next`` and ``for`` forms) reports exactly the boxes that
pass its test, each once; grouped trees restrict queries to a group's subtree; refit and
rebuild follow moved boxes; empty, one-box and all-equal trees; bad input is refused."""

import numpy as np
import pytest

import numba_warp as wp

F32 = np.float32
KINDS = 4  # box, ray (for form), sphere, capsule


@wp.kernel
def visit_all(bvh: wp.uint64, lo: wp.array(dtype=wp.vec3), hi: wp.array(dtype=wp.vec3),
              dirs: wp.array(dtype=wp.vec3), radius: float, root: int,
              hits: wp.array(dtype=int, ndim=3)):
    t = wp.tid()
    index = 0
    q = wp.bvh_query_aabb(bvh, lo[t], hi[t], root)
    while wp.bvh_query_next(q, index):
        hits[0, t, index] += 1
    for i in wp.bvh_query_ray(bvh, lo[t], dirs[t], root):
        hits[1, t, i] += 1
    qs = wp.bvh_query_sphere(bvh, lo[t], radius, root)
    while wp.bvh_query_next(qs, index):
        hits[2, t, index] += 1
    qc = wp.bvh_query_capsule(bvh, lo[t], dirs[t], radius, root)
    while wp.bvh_query_next(qc, index, 1.0):
        hits[3, t, index] += 1


@wp.kernel
def group_roots(bvh: wp.uint64, groups: wp.array(dtype=int), roots: wp.array(dtype=int)):
    t = wp.tid()
    roots[t] = wp.bvh_get_group_root(bvh, groups[t])


def _boxes(rng, n, spread=5.0):
    c = rng.uniform(-spread, spread, (n, 3)).astype(F32)
    h = rng.uniform(0.05, 0.6, (n, 3)).astype(F32)
    return c - h, c + h


def _slab(s, d, lo, hi, robust):
    """Warp's ray-box test (float32; NaN-ignoring min/max), queries x boxes."""
    big = F32(3.4028235e38)
    tmin = np.full((s.shape[0], lo.shape[0]), -big if robust else -np.inf, F32)
    tmax = np.full_like(tmin, big if robust else np.inf)
    ok = np.ones_like(tmin, dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        rcp = (F32(1.0) / d).astype(F32)
        for k in range(3):
            l1 = ((lo[None, :, k] - s[:, None, k]) * rcp[:, None, k]).astype(F32)
            l2 = ((hi[None, :, k] - s[:, None, k]) * rcp[:, None, k]).astype(F32)
            par = (d[:, None, k] == 0) if robust else np.zeros_like(ok)
            inside = (s[:, None, k] >= lo[None, :, k]) & (s[:, None, k] <= hi[None, :, k])
            ok &= ~par | inside
            tmin = np.where(par, tmin, np.fmax(np.fmin(l1, l2), tmin))
            tmax = np.where(par, tmax, np.fmin(np.fmax(l1, l2), tmax))
    return ok & (tmax >= 0) & (tmax >= tmin), tmin


def _expected(lo, hi, qlo, qhi, dirs, radius, members=None):
    """(kind, query, box) -> whether the box passes the query's test."""
    box = ~((lo[None] > qhi[:, None]).any(-1) | (hi[None] < qlo[:, None]).any(-1))
    ray, _ = _slab(qlo, dirs, lo, hi, robust=False)
    d = np.maximum(np.maximum(lo[None] - qlo[:, None], qlo[:, None] - hi[None]), 0)
    sphere = (d.astype(F32) ** 2).sum(-1) <= F32(radius) ** 2
    r = F32(radius)
    hit, t = _slab(qlo, dirs, lo - r, hi + r, robust=True)
    capsule = hit & ~(t > 1.0)
    out = np.stack([box, ray, sphere, capsule])
    if members is not None:
        out &= members[None, None, :]
    return out


def _run(bvh, qlo, qhi, dirs, radius, n, device, root=-1):
    m = len(qlo)
    hits = wp.zeros((KINDS, m, n), dtype=int, device=device)
    wp.launch(visit_all, m, inputs=[bvh.id, wp.array(qlo, dtype=wp.vec3, device=device),
                                    wp.array(qhi, dtype=wp.vec3, device=device),
                                    wp.array(dirs, dtype=wp.vec3, device=device), radius,
                                    root, hits], device=device)
    return hits.numpy()


def _queries(rng, m):
    qlo, qhi = _boxes(rng, m, 6.0)
    dirs = rng.normal(size=(m, 3)).astype(F32)
    dirs[:8, 0] = 0.0  # rays parallel to a slab
    dirs[8:12, 1:] = 0.0
    return qlo, qhi, dirs


def _assert_hits(got, want):
    assert got.max() <= 1, "an item was reported twice"
    for kind in range(KINDS):
        np.testing.assert_array_equal(got[kind].astype(bool), want[kind],
                                      err_msg=f"query kind {kind}")


def test_every_query_kind_finds_exactly_the_passing_boxes(device):
    rng = np.random.default_rng(11)
    lo, hi = _boxes(rng, 300)
    bvh = wp.Bvh(wp.array(lo, dtype=wp.vec3, device=device),
                 wp.array(hi, dtype=wp.vec3, device=device))
    qlo, qhi, dirs = _queries(rng, 48)
    got = _run(bvh, qlo, qhi, dirs, 0.8, 300, device)
    want = _expected(lo, hi, qlo, qhi, dirs, 0.8)
    assert want.sum() > 200
    _assert_hits(got, want)

    # refit after every box moved (same topology), then a rebuild
    lo2, hi2 = lo * F32(0.5) + F32(1.0), hi * F32(0.5) + F32(1.0)
    bvh.lowers.assign(lo2)
    bvh.uppers.assign(hi2)
    bvh._tree.walk_up = True  # the GPU's refit (atomic counters), whatever the device
    bvh.refit()
    _assert_hits(_run(bvh, qlo, qhi, dirs, 0.8, 300, device),
                 _expected(lo2, hi2, qlo, qhi, dirs, 0.8))
    bvh.rebuild("sah")
    _assert_hits(_run(bvh, qlo, qhi, dirs, 0.8, 300, device),
                 _expected(lo2, hi2, qlo, qhi, dirs, 0.8))


def test_grouped_tree_queries_one_group_from_its_root(device):
    rng = np.random.default_rng(5)
    lo, hi = _boxes(rng, 200)
    groups = rng.integers(-2, 4, 200).astype(np.int32)
    bvh = wp.Bvh(wp.array(lo, dtype=wp.vec3, device=device),
                 wp.array(hi, dtype=wp.vec3, device=device),
                 groups=wp.array(groups, dtype=wp.int32, device=device))
    asked = np.array([-2, -1, 0, 1, 2, 3, 7], dtype=np.int32)
    roots = wp.zeros(len(asked), dtype=int, device=device)
    wp.launch(group_roots, len(asked), inputs=[bvh.id, wp.array(asked, dtype=int,
                                                                device=device), roots],
              device=device)
    roots = roots.numpy()
    assert roots[-1] == -1  # a group with no item: the whole tree
    qlo, qhi, dirs = _queries(rng, 16)
    for g, root in zip(asked[:-1], roots[:-1]):
        assert root >= 0
        got = _run(bvh, qlo, qhi, dirs, 1.0, 200, device, root=int(root))
        _assert_hits(got, _expected(lo, hi, qlo, qhi, dirs, 1.0, members=groups == g))
    got = _run(bvh, qlo, qhi, dirs, 1.0, 200, device, root=-1)
    _assert_hits(got, _expected(lo, hi, qlo, qhi, dirs, 1.0))


@pytest.mark.parametrize("n", [0, 1, 64])
def test_small_and_degenerate_trees(device, n):
    # n = 64: every box the same (equal keys: the tree splits on positions)
    lo = np.zeros((n, 3), F32) - F32(0.5)
    hi = np.zeros((n, 3), F32) + F32(0.5)
    bvh = wp.Bvh(wp.array(lo, dtype=wp.vec3, device=device),
                 wp.array(hi, dtype=wp.vec3, device=device), constructor="median")
    rng = np.random.default_rng(2)
    qlo, qhi, dirs = _queries(rng, 12)
    got = _run(bvh, qlo, qhi, dirs, 0.5, max(n, 1), device)
    if n == 0:
        assert not got.any()  # an empty tree reports nothing
    else:
        _assert_hits(got, _expected(lo, hi, qlo, qhi, dirs, 0.5))


def test_bad_input_is_refused():
    v3 = wp.zeros(4, dtype=wp.vec3)
    with pytest.raises(RuntimeError, match="same number of lower and upper"):
        wp.Bvh(v3, wp.zeros(3, dtype=wp.vec3))
    with pytest.raises(RuntimeError, match="lowers should be a contiguous array of type "
                                           "wp.vec3"):
        wp.Bvh(wp.zeros(4, dtype=wp.vec3d), v3)
    with pytest.raises(ValueError, match="Unknown BVH constructor 'octree'"):
        wp.Bvh(v3, v3, constructor="octree")
    with pytest.raises(ValueError, match="leaf_size"):
        wp.Bvh(v3, v3, leaf_size=0)
    with pytest.raises(RuntimeError, match="groups must have the same length"):
        wp.Bvh(v3, v3, groups=wp.zeros(3, dtype=wp.int32))
    bad = np.zeros((4, 3), F32)
    bad[2, 1] = np.nan
    with pytest.raises(ValueError, match="1 of the 4 boxes have a NaN bound"):
        wp.Bvh(wp.array(bad, dtype=wp.vec3), v3)
    # the tree keeps the arrays it reads alive
    bvh = wp.Bvh(v3, v3)
    assert bvh.lowers is v3 and bvh.uppers is v3
