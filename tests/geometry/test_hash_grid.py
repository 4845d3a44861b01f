"""wp.HashGrid against brute force: every pair within the radius is found, through the
``while hash_grid_query_next`` form and the ``for`` forms (over the query or a variable
holding it), for negative coordinates, a grid smaller than the points' extent (cells
wrap around), float64 points and grouped builds; hash_grid_point_id is a permutation;
bad input is refused clearly."""

import numpy as np
import pytest

import numba_warp as wp


@wp.kernel
def count_while(grid: wp.uint64, points: wp.array(dtype=wp.vec3), radius: float,
                counts: wp.array(dtype=int), sums: wp.array(dtype=int)):
    t = wp.tid()
    i = wp.hash_grid_point_id(grid, t)
    p = points[i]
    query = wp.hash_grid_query(grid, p, radius)
    index = int(0)
    n = int(0)
    s = int(0)
    while wp.hash_grid_query_next(query, index):
        if wp.length(points[index] - p) <= radius:
            n += 1
            s += index
    counts[i] = n
    sums[i] = s


@wp.kernel
def count_for(grid: wp.uint64, points: wp.array(dtype=wp.vec3d), radius: wp.float64,
              counts: wp.array(dtype=int), sums: wp.array(dtype=int)):
    i = wp.tid()
    p = points[i]
    n = int(0)
    s = int(0)
    for index in wp.hash_grid_query(grid, p, radius):
        if wp.length(points[index] - p) <= radius:
            n += 1
            s += index
    counts[i] = n
    sums[i] = s


@wp.kernel
def count_group(grid: wp.uint64, points: wp.array(dtype=wp.vec3), groups: wp.array(dtype=int),
                radius: float, counts: wp.array(dtype=int), candidates: wp.array(dtype=int)):
    i = wp.tid()
    p = points[i]
    n = int(0)
    c = int(0)
    for index in wp.hash_grid_query(grid, p, radius, groups[i]):
        c += 1
        if wp.length(points[index] - p) <= radius and groups[index] == groups[i]:
            n += 1
    counts[i] = n
    candidates[i] = c


@wp.kernel
def point_ids(grid: wp.uint64, out: wp.array(dtype=int)):
    t = wp.tid()
    out[t] = wp.hash_grid_point_id(grid, t)


def _brute(points, radius, groups=None):
    d = np.linalg.norm(points[:, None, :] - points[None, :, :], axis=-1)
    near = d <= radius
    if groups is not None:
        near &= groups[:, None] == groups[None, :]
    idx = np.arange(len(points))
    return near.sum(1), (near * idx[None, :]).sum(1)


@pytest.fixture(scope="module")
def cloud():
    rng = np.random.default_rng(7)
    # negative and positive coordinates over 40 cells of width 0.5: the 8^3 grid wraps
    return rng.uniform(-10.0, 10.0, (600, 3))


def test_finds_every_pair_within_the_radius(device, cloud):
    radius = 1.3
    pts = wp.array(cloud.astype(np.float32), dtype=wp.vec3, device=device)
    grid = wp.HashGrid(8, 8, 8, device=device)
    grid.build(pts, 0.5)
    counts = wp.zeros(len(cloud), dtype=int, device=device)
    sums = wp.zeros(len(cloud), dtype=int, device=device)
    wp.launch(count_while, len(cloud), inputs=[grid.id, pts, radius, counts, sums],
              device=device)
    want_n, want_s = _brute(cloud.astype(np.float32).astype(np.float64), radius)
    np.testing.assert_array_equal(counts.numpy(), want_n)
    np.testing.assert_array_equal(sums.numpy(), want_s)
    ids = wp.zeros(len(cloud), dtype=int, device=device)
    wp.launch(point_ids, len(cloud), inputs=[grid.id, ids], device=device)
    np.testing.assert_array_equal(np.sort(ids.numpy()), np.arange(len(cloud)))
    # rebuilding with other points (more of them) replaces the contents
    more = np.concatenate([cloud, cloud[:100] + 0.05])
    pts2 = wp.array(more.astype(np.float32), dtype=wp.vec3, device=device)
    grid.build(pts2, 1.0)
    counts2 = wp.zeros(len(more), dtype=int, device=device)
    sums2 = wp.zeros(len(more), dtype=int, device=device)
    wp.launch(count_while, len(more), inputs=[grid.id, pts2, radius, counts2, sums2],
              device=device)
    want_n, want_s = _brute(more.astype(np.float32).astype(np.float64), radius)
    np.testing.assert_array_equal(counts2.numpy(), want_n)
    np.testing.assert_array_equal(sums2.numpy(), want_s)


def test_float64_points_and_the_for_form(device, cloud):
    radius = 0.9
    pts = wp.array(cloud, dtype=wp.vec3d, device=device)
    grid = wp.HashGrid(16, 4, 8, device=device, dtype=wp.float64)
    grid.build(pts, 0.7)
    counts = wp.zeros(len(cloud), dtype=int, device=device)
    sums = wp.zeros(len(cloud), dtype=int, device=device)
    wp.launch(count_for, len(cloud), inputs=[grid.id, pts, radius, counts, sums],
              device=device)
    want_n, want_s = _brute(cloud, radius)
    np.testing.assert_array_equal(counts.numpy(), want_n)
    np.testing.assert_array_equal(sums.numpy(), want_s)


def test_grouped_queries_see_only_their_group(device, cloud):
    radius = 1.5
    rng = np.random.default_rng(3)
    groups_np = rng.integers(0, 3, len(cloud)).astype(np.int32)
    pts = wp.array(cloud.astype(np.float32), dtype=wp.vec3, device=device)
    groups = wp.array(groups_np, dtype=int, device=device)
    grid = wp.HashGrid(8, 8, 8, device=device)
    grid.build(pts, 1.0, groups=groups)
    counts = wp.zeros(len(cloud), dtype=int, device=device)
    cand = wp.zeros(len(cloud), dtype=int, device=device)
    wp.launch(count_group, len(cloud), inputs=[grid.id, pts, groups, radius, counts, cand],
              device=device)
    want_n, _ = _brute(cloud.astype(np.float32).astype(np.float64), radius, groups_np)
    np.testing.assert_array_equal(counts.numpy(), want_n)
    # every candidate is of the query's group: fewer than without groups
    grid2 = wp.HashGrid(8, 8, 8, device=device)
    grid2.build(pts, 1.0)
    cand_all = wp.zeros(len(cloud), dtype=int, device=device)
    wp.launch(count_group, len(cloud), inputs=[grid2.id, pts, groups, radius, counts,
                                               cand_all], device=device)
    assert (cand.numpy() <= cand_all.numpy()).all() and cand.numpy().sum() < \
        cand_all.numpy().sum()


def test_empty_and_unbuilt_grids_find_nothing(device):
    pts = wp.zeros(4, dtype=wp.vec3, device=device)
    counts = wp.full(4, 7, dtype=int, device=device)
    sums = wp.zeros(4, dtype=int, device=device)
    grid = wp.HashGrid(4, 4, 4, device=device)
    wp.launch(count_for_f32, 4, inputs=[grid.id, pts, 1.0, counts, sums], device=device)
    np.testing.assert_array_equal(counts.numpy(), [0, 0, 0, 0])
    grid.build(wp.zeros(0, dtype=wp.vec3, device=device), 1.0)
    counts.fill_(7)
    wp.launch(count_for_f32, 4, inputs=[grid.id, pts, 1.0, counts, sums], device=device)
    np.testing.assert_array_equal(counts.numpy(), [0, 0, 0, 0])


@wp.kernel
def count_for_f32(grid: wp.uint64, points: wp.array(dtype=wp.vec3), radius: float,
                  counts: wp.array(dtype=int), again: wp.array(dtype=int)):
    i = wp.tid()
    neighbors = wp.hash_grid_query(grid, points[i], radius)  # Warp's SPH and DEM form
    n = int(0)
    for index in neighbors:
        n += 1
    counts[i] = n
    m = int(0)
    for index in neighbors:  # the first loop used the query up, as in Warp
        m += 1
    again[i] = m


def test_a_loop_over_a_query_variable(device, cloud):
    """``q = wp.hash_grid_query(...)`` then ``for i in q`` visits the candidates that
    ``for i in wp.hash_grid_query(...)`` visits, and leaves ``q`` used up (Warp: a second
    loop over it finds nothing)."""
    n = len(cloud)
    pts = wp.array(cloud.astype(np.float32), dtype=wp.vec3, device=device)
    grid = wp.HashGrid(8, 8, 8, device=device)
    grid.build(pts, 0.5)
    counts, again, unused, direct = (wp.zeros(n, dtype=int, device=device) for _ in range(4))
    wp.launch(count_for_f32, n, inputs=[grid.id, pts, 1.3, counts, again], device=device)
    # the direct form, through count_group (a grid built without groups ignores them)
    wp.launch(count_group, n, inputs=[grid.id, pts, wp.zeros(n, dtype=int, device=device),
                                      1.3, unused, direct], device=device)
    assert counts.numpy().sum() > n
    np.testing.assert_array_equal(counts.numpy(), direct.numpy())
    np.testing.assert_array_equal(again.numpy(), np.zeros(n))


def test_bad_input_is_refused():
    grid = wp.HashGrid(4, 4, 4, device="cpu")
    with pytest.raises(TypeError, match="should have type vec3"):
        grid.build(wp.zeros(3, dtype=wp.vec3d, device="cpu"), 1.0)
    with pytest.raises(ValueError, match="cell width must be positive"):
        grid.build(wp.zeros(3, dtype=wp.vec3, device="cpu"), 0.0)
    with pytest.raises(RuntimeError, match="same length as points"):
        grid.build(wp.zeros(3, dtype=wp.vec3, device="cpu"), 1.0,
                   groups=wp.zeros(2, dtype=int, device="cpu"))
    with pytest.raises(RuntimeError, match="dimensions must be positive"):
        wp.HashGrid(0, 4, 4)
    with pytest.raises(TypeError, match="Unsupported dtype"):
        wp.HashGrid(4, 4, 4, dtype=wp.int32)


@wp.kernel
def pair_energy(grid: wp.uint64, x: wp.array(dtype=wp.vec3), r: float,
                e: wp.array(dtype=float)):
    i = wp.tid()
    p = x[i]
    s = float(0.0)
    for j in wp.hash_grid_query(grid, p, r):
        d = wp.length(x[j] - p)
        if d < r and j != i:
            s += (r - d) * (r - d)
    wp.atomic_add(e, 0, s)


def test_gradients_flow_through_a_neighbour_loop(device):
    # a loop over a hash grid query is a loop like any other for the backward pass
    rng = np.random.default_rng(0)
    pts = rng.uniform(0.0, 3.0, (200, 3))
    x = wp.array(pts.astype(np.float32), dtype=wp.vec3, device=device, requires_grad=True)
    grid = wp.HashGrid(8, 8, 8, device=device)
    grid.build(x, 0.5)
    e = wp.zeros(1, dtype=float, device=device, requires_grad=True)
    tape = wp.Tape()
    with tape:
        wp.launch(pair_energy, 200, inputs=[grid.id, x, 0.5, e], device=device)
    tape.backward(e)

    def energy(p):
        d = np.linalg.norm(p[:, None] - p[None], axis=-1)
        np.fill_diagonal(d, np.inf)
        return np.where(d < 0.5, (0.5 - d) ** 2, 0.0).sum()

    p64 = pts.astype(np.float32).astype(np.float64)
    assert e.numpy()[0] == pytest.approx(energy(p64), rel=1e-5)
    num = np.zeros((6, 3))
    for k in range(6):
        for c in range(3):
            a, b = p64.copy(), p64.copy()
            a[k, c] += 1e-6
            b[k, c] -= 1e-6
            num[k, c] = (energy(a) - energy(b)) / 2e-6
    np.testing.assert_allclose(x.grad.numpy()[:6], num, atol=2e-4)


def test_ids_of_freed_grids_and_grids_on_other_devices_are_refused(device):
    import gc

    pts = wp.zeros(4, dtype=wp.vec3, device=device)
    counts = wp.zeros(4, dtype=int, device=device)
    grid = wp.HashGrid(4, 4, 4, device=device)
    grid.build(pts, 1.0)
    stale = grid.id
    del grid
    gc.collect()
    with pytest.raises(Exception, match="argument 'grid'.*HashGrid that was freed"):
        wp.launch(count_for_f32, 4, inputs=[stale, pts, 1.0, counts, counts], device=device)
    other = "cpu" if device != "cpu" else None
    if other is None:
        return
    elsewhere = wp.HashGrid(4, 4, 4, device=other)
    with pytest.raises(Exception, match=f"argument 'grid'.*HashGrid on {other}"):
        wp.launch(count_for_f32, 4, inputs=[elsewhere.id, pts, 1.0, counts, counts],
                  device=device)
    # meshes and BVHs register their ids the same way
    lows = wp.zeros(1, dtype=wp.vec3, device=other)
    bvh = wp.Bvh(lows, wp.ones(1, dtype=wp.vec3, device=other))
    with pytest.raises(Exception, match=f"argument 'grid'.*Bvh on {other}"):
        wp.launch(count_for_f32, 4, inputs=[bvh.id, pts, 1.0, counts, counts],
                  device=device)


def test_a_freed_structures_address_is_never_an_arrays_address(device):
    # Descriptors come from pools that are never given back: the address of a freed
    # structure's id cannot come back as some array's address (which a launch would
    # then refuse as a freed id), and a new structure reuses the freed block as live.
    import gc

    pts = wp.zeros(4, dtype=wp.vec3, device=device)
    grids = [wp.HashGrid(4, 4, 4, device=device) for _ in range(8)]
    stale = {g.id for g in grids}
    del grids
    gc.collect()
    for _ in range(64):
        scratch = wp.zeros(16, dtype=wp.int64, device=device)
        assert scratch.ptr not in stale
    again = [wp.HashGrid(4, 4, 4, device=device) for _ in range(8)]
    counts, spent = (wp.zeros(4, dtype=int, device=device) for _ in range(2))
    for g in again:
        g.build(pts, 1.0)
        wp.launch(count_for_f32, 4, inputs=[g.id, pts, 1.0, counts, spent], device=device)
        assert counts.numpy().tolist() == [4, 4, 4, 4]


def test_points_are_ordered_as_warp_orders_them_on_every_device(device, cloud):
    # by cell, then by index within a cell (Warp's stable sort; the GPU's counting sort
    # must give the same order, so that neighbour sums add up in the same order)
    order = {}
    for dev in {"cpu", device}:
        pts = wp.array(cloud.astype(np.float32), dtype=wp.vec3, device=dev)
        grid = wp.HashGrid(8, 8, 8, device=dev)
        for radius in (2.0, 0.5):  # (a rebuild with another radius reuses the buffers)
            grid.build(pts, radius)
        ids = wp.zeros(len(cloud), dtype=int, device=dev)
        wp.launch(point_ids, len(cloud), inputs=[grid.id, ids], device=dev)
        order[dev] = ids.numpy()
    assert np.array_equal(np.sort(order[device]), np.arange(len(cloud)))
    np.testing.assert_array_equal(order[device], order["cpu"])
