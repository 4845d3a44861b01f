"""wp.Mesh on a tessellated sphere (an icosphere made here) against brute force over all
triangles and against the analytic sphere: closest points (each sign method: inside and
outside), ray casts (closest hit, any hit, crossings), face box and sphere queries,
Warp's older output-argument forms, mesh_eval_* / mesh_get_*, refits after the points
move, grouped meshes, gradients against finite differences, bad input."""

import numpy as np
import pytest

import numba_warp as wp

F32 = np.float32


def icosphere(level: int):
    """Points and faces (counter-clockwise seen from outside) of a unit icosphere."""
    t = (1.0 + 5.0 ** 0.5) / 2.0
    pts = [(-1, t, 0), (1, t, 0), (-1, -t, 0), (1, -t, 0), (0, -1, t), (0, 1, t), (0, -1, -t),
           (0, 1, -t), (t, 0, -1), (t, 0, 1), (-t, 0, -1), (-t, 0, 1)]
    faces = [(0, 11, 5), (0, 5, 1), (0, 1, 7), (0, 7, 10), (0, 10, 11), (1, 5, 9), (5, 11, 4),
             (11, 10, 2), (10, 7, 6), (7, 1, 8), (3, 9, 4), (3, 4, 2), (3, 2, 6), (3, 6, 8),
             (3, 8, 9), (4, 9, 5), (2, 4, 11), (6, 2, 10), (8, 6, 7), (9, 8, 1)]
    pts = [np.array(p, float) / np.linalg.norm(p) for p in pts]
    for _ in range(level):
        mids = {}

        def mid(a, b, mids=mids):
            key = (min(a, b), max(a, b))
            if key not in mids:
                m = pts[a] + pts[b]
                pts.append(m / np.linalg.norm(m))
                mids[key] = len(pts) - 1
            return mids[key]

        new = []
        for a, b, c in faces:
            ab, bc, ca = mid(a, b), mid(b, c), mid(c, a)
            new += [(a, ab, ca), (b, bc, ab), (c, ca, bc), (ab, bc, ca)]
        faces = new
    return np.array(pts).astype(F32), np.array(faces, dtype=np.int32)


POINTS, FACES = icosphere(2)


def _mesh(device, points=POINTS, faces=FACES, **kw):
    return wp.Mesh(wp.array(points, dtype=wp.vec3, device=device, requires_grad=True),
                   wp.array(faces.ravel(), dtype=wp.int32, device=device), **kw)


def _closest_distance(points, faces, xs):
    """Distance from each of ``xs`` to the nearest triangle (float64 brute force)."""
    a, b, c = (points[faces[:, k]].astype(float)[None] for k in range(3))
    p = xs.astype(float)[:, None]
    ab, ac, ap = b - a, c - a, p - a
    n = np.cross(ab, ac)
    nn = (n * n).sum(-1)
    # inside the face's prism: distance to the plane; otherwise to the nearest edge
    bary_c = (np.cross(ab, ap) * n).sum(-1) / nn
    bary_b = (np.cross(ap, ac) * n).sum(-1) / nn
    inside = (bary_b >= 0) & (bary_c >= 0) & (bary_b + bary_c <= 1)
    plane = np.abs((ap * n).sum(-1)) / np.sqrt(nn)

    def seg(u, v):
        d = v - u
        t = np.clip(((p - u) * d).sum(-1) / (d * d).sum(-1), 0, 1)
        return np.linalg.norm(p - (u + t[..., None] * d), axis=-1)

    edge = np.minimum(np.minimum(seg(a, b), seg(b, c)), seg(a, c))
    return np.where(inside, plane, edge).min(1)


def _ray_hits(points, faces, starts, dirs):
    """(t of the closest hit or inf, its face, number of hits at t >= 0) per ray."""
    a, b, c = (points[faces[:, k]].astype(float)[None] for k in range(3))
    s, d = starts.astype(float)[:, None], dirs.astype(float)[:, None]
    e1, e2 = b - a, c - a
    h = np.cross(d, e2)
    det = (e1 * h).sum(-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        sa = s - a
        u = (sa * h).sum(-1) / det
        q = np.cross(sa, e1)
        v = (d * q).sum(-1) / det
        t = (e2 * q).sum(-1) / det
    hit = (u >= 0) & (v >= 0) & (u + v <= 1) & (t >= 0) & (det != 0)
    tt = np.where(hit, t, np.inf)
    return tt.min(1), tt.argmin(1), hit.sum(1)


@wp.kernel
def point_queries(mesh: wp.uint64, xs: wp.array(dtype=wp.vec3), out: wp.array(dtype=float,
                                                                                 ndim=2)):
    i = wp.tid()
    x = xs[i]
    q = wp.mesh_query_point_no_sign(mesh, x, 100.0)
    out[i, 0] = float(q.result)
    out[i, 1] = wp.length(wp.mesh_eval_position(mesh, q.face, q.u, q.v) - x)
    out[i, 2] = wp.mesh_query_point(mesh, x, 100.0).sign
    out[i, 3] = wp.mesh_query_point_sign_normal(mesh, x, 100.0).sign
    out[i, 4] = wp.mesh_query_point_sign_winding_number(mesh, x, 100.0, 2.0, 0.5).sign
    out[i, 5] = wp.mesh_query_point_sign_parity(mesh, x, 100.0, 3).sign
    inside = 7.0
    face = -1
    u = 0.0
    v = 0.0
    found = wp.mesh_query_point(mesh, x, 0.3, inside, face, u, v)  # Warp's older form
    out[i, 6] = float(found)
    out[i, 7] = inside
    if found:
        out[i, 8] = wp.length(wp.mesh_eval_position(mesh, face, u, v) - x)
    far = wp.mesh_query_furthest_point_no_sign(mesh, x, 0.0)
    out[i, 9] = wp.length(wp.mesh_eval_position(mesh, far.face, far.u, far.v) - x)


@wp.kernel
def ray_queries(mesh: wp.uint64, starts: wp.array(dtype=wp.vec3),
                dirs: wp.array(dtype=wp.vec3), root: int,
                out: wp.array(dtype=float, ndim=2)):
    i = wp.tid()
    q = wp.mesh_query_ray(mesh, starts[i], dirs[i], 1.0e6, root)
    out[i, 0] = float(q.result)
    out[i, 1] = q.t
    out[i, 2] = float(q.face)
    out[i, 3] = q.sign
    p = wp.mesh_eval_position(mesh, q.face, q.u, q.v)
    out[i, 4] = wp.length(p - (starts[i] + q.t * dirs[i]))
    out[i, 5] = wp.dot(q.normal, wp.mesh_eval_face_normal(mesh, q.face))
    out[i, 6] = float(wp.mesh_query_ray_anyhit(mesh, starts[i], dirs[i], 1.0e6, root))
    out[i, 7] = float(wp.mesh_query_ray_count_intersections(mesh, starts[i], dirs[i], root))
    t = -1.0
    u = 0.0
    v = 0.0
    sign = 0.0
    n = wp.vec3()
    face = -1
    if wp.mesh_query_ray(mesh, starts[i], dirs[i], 1.0e6, t, u, v, sign, n, face, root):
        out[i, 8] = t


@wp.kernel
def face_queries(mesh: wp.uint64, lo: wp.array(dtype=wp.vec3), hi: wp.array(dtype=wp.vec3),
                 radius: float, hits: wp.array(dtype=int, ndim=3)):
    t = wp.tid()
    face = 0
    q = wp.mesh_query_aabb(mesh, lo[t], hi[t])
    while wp.mesh_query_aabb_next(q, face):
        hits[0, t, face] += 1
    for f in wp.mesh_query_sphere(mesh, lo[t], radius):
        hits[1, t, f] += 1
    for f in wp.bvh_query_aabb(wp.mesh_get_bvh(mesh), lo[t], hi[t]):
        hits[2, t, f] += 1


@wp.kernel
def lookups(mesh: wp.uint64, faces: wp.array(dtype=int), bary: wp.array(dtype=wp.vec2),
            group: int, out: wp.array(dtype=wp.vec3, ndim=2),
            idx: wp.array(dtype=int, ndim=2)):
    i = wp.tid()
    f = faces[i]
    out[i, 0] = wp.mesh_eval_position(mesh, f, bary[i][0], bary[i][1])
    out[i, 1] = wp.mesh_eval_velocity(mesh, f, bary[i][0], bary[i][1])
    out[i, 2] = wp.mesh_eval_face_normal(mesh, f)
    out[i, 3] = wp.mesh_get_point(mesh, 3 * f + 1)
    out[i, 4] = wp.mesh_get_velocity(mesh, 3 * f + 2)
    m = wp.mesh_get(mesh)
    out[i, 5] = m.points[m.indices[3 * f + 2]]
    idx[i, 0] = wp.mesh_get_index(mesh, 3 * f)
    idx[i, 1] = wp.mesh_get_group_root(mesh, group)


def _sphere_points(rng, n, inner=(0.2, 0.85), outer=(1.12, 1.8)):
    d = rng.normal(size=(n, 3))
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    r = np.where(np.arange(n) % 2 == 0, rng.uniform(*inner, n), rng.uniform(*outer, n))
    return (d * r[:, None]).astype(F32), r


def _points_run(mesh, xs, device):
    out = wp.zeros((len(xs), 10), dtype=float, device=device)
    wp.launch(point_queries, len(xs), inputs=[mesh.id, wp.array(xs, dtype=wp.vec3,
                                                                device=device), out],
              device=device)
    return out.numpy()


def test_closest_points_and_signs_on_a_closed_sphere(device):
    rng = np.random.default_rng(3)
    xs, r = _sphere_points(rng, 120)
    mesh = _mesh(device, support_winding_number=True)
    out = _points_run(mesh, xs, device)
    want = _closest_distance(POINTS, FACES, xs)
    assert out[:, 0].all()
    np.testing.assert_allclose(out[:, 1], want, rtol=1e-5, atol=1e-6)
    expected_sign = np.where(r < 1.0, -1.0, 1.0)
    for col, method in ((2, "rays"), (3, "normal"), (4, "winding"), (5, "parity")):
        np.testing.assert_array_equal(out[:, col], expected_sign, err_msg=method)
    # the output-argument form: set only when a point is within 0.3
    near = want < 0.3
    assert near.any() and (~near).any()
    np.testing.assert_array_equal(out[:, 6], near)
    np.testing.assert_array_equal(out[:, 7], np.where(near, expected_sign, 7.0))
    np.testing.assert_allclose(out[near, 8], want[near], rtol=1e-5, atol=1e-6)
    # the furthest point of the sphere is a vertex
    far = np.linalg.norm(xs[:, None].astype(float) - POINTS[None], axis=-1).max(1)
    np.testing.assert_allclose(out[:, 9], far, rtol=1e-5)

    # refit: points scaled in place, then a new points array assigned (refits by itself);
    # the first refit walks up past atomic counters, as GPU refits do, whatever the device
    mesh.points.assign(POINTS * F32(2.0))
    mesh._tree.walk_up = True
    mesh.refit()
    mesh._tree.walk_up = not device.startswith("cpu")
    np.testing.assert_allclose(_points_run(mesh, xs, device)[:, 1],
                               _closest_distance(POINTS * 2, FACES, xs), rtol=1e-5, atol=1e-6)
    mesh.points = wp.array(POINTS * F32(0.5), dtype=wp.vec3, device=device)
    out = _points_run(mesh, xs, device)
    np.testing.assert_allclose(out[:, 1], _closest_distance(POINTS * 0.5, FACES, xs),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(out[:, 4], np.where(r < 0.5, -1.0, 1.0))


def _rays_run(mesh, starts, dirs, device, root=-1):
    out = wp.zeros((len(starts), 9), dtype=float, device=device)
    wp.launch(ray_queries, len(starts), inputs=[mesh.id, wp.array(starts, dtype=wp.vec3,
                                                                  device=device),
                                                wp.array(dirs, dtype=wp.vec3, device=device),
                                                root, out], device=device)
    return out.numpy()


def test_ray_casts_against_brute_force_and_the_sphere(device):
    rng = np.random.default_rng(4)
    starts, _ = _sphere_points(rng, 96, inner=(0.0, 0.6), outer=(1.5, 3.0))
    dirs = rng.normal(size=(96, 3)).astype(F32)
    dirs[1::2] = dirs[1::2] * F32(0.4) - starts[1::2] / 2  # from outside: mostly inwards
    dirs[:6, 2] = 0.0  # parallel to a coordinate plane
    mesh = _mesh(device)
    out = _rays_run(mesh, starts, dirs, device)
    t, face, count = _ray_hits(POINTS, FACES, starts, dirs)
    hit = np.isfinite(t)
    assert hit.sum() > 70 and (~hit).sum() > 3
    np.testing.assert_array_equal(out[:, 0], hit)
    np.testing.assert_allclose(out[hit, 1], t[hit], rtol=1e-5)
    np.testing.assert_array_equal(out[hit, 2], face[hit])
    np.testing.assert_array_equal(out[:, 6], hit)
    np.testing.assert_array_equal(out[:, 7], count)
    np.testing.assert_allclose(out[hit, 8], t[hit], rtol=1e-5)
    assert (out[hit, 4] < 1e-5 * np.maximum(1, t[hit] * np.linalg.norm(dirs[hit], axis=1))).all()
    np.testing.assert_allclose(out[hit, 5], 1.0, rtol=1e-5)  # unit normal of the hit face
    # from inside, rays leave through the faces' backs; the analytic sphere's exit
    inner = np.linalg.norm(starts, axis=1) < 1.0
    assert (out[inner, 3] < 0).all() and (out[hit & ~inner, 3] > 0).all()
    s, d = starts[inner].astype(float), dirs[inner].astype(float)
    dd, sd = (d * d).sum(1), (s * d).sum(1)
    exit_t = (-sd + np.sqrt(sd * sd - dd * ((s * s).sum(1) - 1.0))) / dd
    # the polyhedron is inscribed: rays leave it a little before the sphere
    assert (out[inner, 1] <= exit_t * (1 + 1e-5)).all()
    radius = np.linalg.norm(s + out[inner, 1:2] * d, axis=1)
    assert (radius > 0.95).all() and (radius < 1 + 1e-5).all()


def _lookups_run(mesh, faces, bary, group, device):
    out = wp.zeros((len(faces), 6), dtype=wp.vec3, device=device)
    idx = wp.zeros((len(faces), 2), dtype=int, device=device)
    wp.launch(lookups, len(faces), inputs=[mesh.id, wp.array(faces, dtype=int, device=device),
                                           wp.array(bary, dtype=wp.vec2, device=device), group,
                                           out, idx], device=device)
    return out.numpy(), idx.numpy()


def test_grouped_mesh_rays_stay_in_their_group(device):
    pts = np.concatenate([POINTS, POINTS + F32([3.0, 0.0, 0.0])])
    faces = np.concatenate([FACES, FACES + len(POINTS)])
    groups = np.repeat(np.array([5, 9], dtype=np.int32), len(FACES))
    mesh = _mesh(device, pts, faces, groups=wp.array(groups, dtype=wp.int32, device=device))
    starts = np.array([[-2.0, 0.1, 0.05], [-2.0, -0.2, 0.1]], F32)
    dirs = np.array([[1.0, 0.0, 0.0], [1.0, 0.01, 0.0]], F32)
    whole = _rays_run(mesh, starts, dirs, device)
    assert (whole[:, 7] == 4).all() and (whole[:, 2] < len(FACES)).all()
    _, idx = _lookups_run(mesh, [0], [[0.2, 0.3]], 9, device)
    second = _rays_run(mesh, starts, dirs, device, root=int(idx[0, 1]))
    assert (second[:, 7] == 2).all() and (second[:, 2] >= len(FACES)).all()
    assert (second[:, 1] > 3.5).all()
    _, idx = _lookups_run(mesh, [0], [[0.2, 0.3]], 0, device)
    assert idx[0, 1] == -1  # no face has group 0: the whole mesh


def test_face_box_and_sphere_queries(device):
    rng = np.random.default_rng(6)
    mesh = _mesh(device)
    m = 24
    c = rng.uniform(-1.2, 1.2, (m, 3)).astype(F32)
    lo, hi = c - F32(0.3), c + F32(0.3)
    hits = wp.zeros((3, m, len(FACES)), dtype=int, device=device)
    wp.launch(face_queries, m, inputs=[mesh.id, wp.array(lo, dtype=wp.vec3, device=device),
                                       wp.array(hi, dtype=wp.vec3, device=device), 0.35,
                                       hits], device=device)
    hits = hits.numpy()
    tri = POINTS[FACES]
    tlo, thi = tri.min(1), tri.max(1)
    box = ~((tlo[None] > hi[:, None]).any(-1) | (thi[None] < lo[:, None]).any(-1))
    assert hits.max() <= 1 and box.sum() > 20
    np.testing.assert_array_equal(hits[0].astype(bool), box)
    np.testing.assert_array_equal(hits[2].astype(bool), box)  # the mesh's own BVH
    dist = np.stack([_closest_distance(POINTS, FACES[f:f + 1], lo) for f in
                     range(len(FACES))], 1)
    clear = np.abs(dist - 0.35) > 1e-5
    np.testing.assert_array_equal(hits[1].astype(bool)[clear], (dist <= 0.35)[clear])


def test_lookups_and_interpolation(device):
    rng = np.random.default_rng(8)
    vel = rng.normal(size=POINTS.shape).astype(F32)
    mesh = wp.Mesh(wp.array(POINTS, dtype=wp.vec3, device=device),
                   wp.array(FACES.ravel(), dtype=wp.int32, device=device),
                   velocities=wp.array(vel, dtype=wp.vec3, device=device))
    faces = rng.integers(0, len(FACES), 16)
    bary = rng.uniform(0, 0.5, (16, 2)).astype(F32)
    out, idx = _lookups_run(mesh, faces, bary, 3, device)
    i, j, k = FACES[faces].T
    u, v = bary[:, :1], bary[:, 1:]
    np.testing.assert_allclose(out[:, 0], u * POINTS[i] + v * POINTS[j] + (1 - u - v) *
                               POINTS[k], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out[:, 1], u * vel[i] + v * vel[j] + (1 - u - v) * vel[k],
                               rtol=1e-5, atol=1e-6)
    n = np.cross(POINTS[j] - POINTS[i], POINTS[k] - POINTS[i])
    np.testing.assert_allclose(out[:, 2], n / np.linalg.norm(n, axis=1, keepdims=True),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(out[:, 3], POINTS[j])
    np.testing.assert_array_equal(out[:, 4], vel[k])
    np.testing.assert_array_equal(out[:, 5], POINTS[k])
    np.testing.assert_array_equal(idx[:, 0], i)
    np.testing.assert_array_equal(idx[:, 1], -1)  # not a grouped mesh
    # without velocities, velocity lookups are zero
    out, _ = _lookups_run(_mesh(device), faces, bary, 0, device)
    assert not out[:, 1].any() and not out[:, 4].any()


@wp.kernel
def query_loss(mesh: wp.uint64, starts: wp.array(dtype=wp.vec3), dirs: wp.array(dtype=wp.vec3),
               xs: wp.array(dtype=wp.vec3), faces: wp.array(dtype=int),
               bary: wp.array(dtype=wp.vec2), closest_weight: float,
               loss: wp.array(dtype=float), found: wp.array(dtype=int, ndim=2)):
    i = wp.tid()
    total = 0.0
    q = wp.mesh_query_ray(mesh, starts[i], dirs[i], 1.0e6)
    if q.result:
        total = q.t + 0.7 * q.u - 0.4 * q.v
    p = wp.mesh_eval_position(mesh, faces[i], bary[i][0], bary[i][1])
    total += wp.dot(p, wp.vec3(0.3, -0.2, 0.5))
    c = wp.mesh_query_point_no_sign(mesh, xs[i], 100.0)
    total += closest_weight * (0.6 * c.u - 0.3 * c.v)
    loss[i] = total
    found[i, 0] = q.face
    found[i, 1] = c.face


def test_gradients_match_finite_differences(device):
    # ray hits carry gradients to start, dir and the hit face's vertices; evaluated
    # positions to the barycentric weights and the points; a closest point's (u, v) to the
    # query point (not to the vertices, as in Warp: its points term is left out here)
    rng = np.random.default_rng(9)
    n = 24
    starts, _ = _sphere_points(rng, n, inner=(0.0, 0.5), outer=(1.5, 2.0))
    dirs = (rng.normal(size=(n, 3)) * 0.3 - starts).astype(F32)
    xs, _ = _sphere_points(rng, n)
    faces = wp.array(rng.integers(0, len(FACES), n), dtype=int, device=device)
    bary = rng.uniform(0.1, 0.45, (n, 2)).astype(F32)
    data = {"starts": starts, "dirs": dirs, "xs": xs, "bary": bary, "points": POINTS}

    def run(values, weight, seed=None):
        """Per-query losses and the faces found; with ``seed``, the gradients of
        ``sum(seed * loss)``."""
        grads = seed is not None
        pts = wp.array(values["points"], dtype=wp.vec3, device=device, requires_grad=grads)
        mesh = wp.Mesh(pts, wp.array(FACES.ravel(), dtype=wp.int32, device=device))
        arrs = {k: wp.array(v, dtype=wp.vec2 if k == "bary" else wp.vec3, device=device,
                            requires_grad=grads) for k, v in values.items() if k != "points"}
        loss = wp.zeros(n, dtype=float, device=device, requires_grad=grads)
        found = wp.zeros((n, 2), dtype=int, device=device)
        tape = wp.Tape()
        with tape:
            wp.launch(query_loss, n, inputs=[mesh.id, arrs["starts"], arrs["dirs"], arrs["xs"],
                                             faces, arrs["bary"], weight, loss, found],
                      device=device)
        if not grads:
            return loss.numpy().astype(float), found.numpy()
        tape.backward(grads={loss: wp.array(seed, dtype=float, device=device)})
        return dict({k: a.grad.numpy() for k, a in arrs.items()}, points=pts.grad.numpy())

    eps = 2e-4
    _, base = run(data, 1.0)
    for key, value in data.items():
        weight = 0.0 if key == "points" else 1.0
        direction = rng.normal(size=value.shape).astype(F32)
        lp, fp = run({**data, key: value + F32(eps) * direction}, weight)
        lm, fm = run({**data, key: value - F32(eps) * direction}, weight)
        # (u, v) are those of the face found: a point closest to an edge or a vertex is
        # as close to the faces around it, and (u, v) jump where the choice changes
        same = ((fp == base) & (fm == base)).all(1)
        assert same.sum() >= n - 4, key
        numeric = ((lp - lm) / (2 * eps))[same].sum()
        grads = run(data, weight, seed=same.astype(F32))
        analytic = float((grads[key].astype(float) * direction).sum())
        assert analytic == pytest.approx(numeric, rel=2e-2, abs=5e-2), key


def test_bad_input_is_refused():
    pts = wp.array(POINTS[:12], dtype=wp.vec3)
    with pytest.raises(ValueError, match=r"indices\[4\] = 12 is out of range for 12 points"):
        wp.Mesh(pts, wp.array([0, 1, 2, 3, 12, 5], dtype=wp.int32))
    with pytest.raises(ValueError, match=r"indices\[2\] = -1 is out of range"):
        wp.Mesh(pts, wp.array([0, 1, -1], dtype=wp.int32))
    with pytest.raises(ValueError, match=r"size \(4\) is not a multiple of 3"):
        wp.Mesh(pts, wp.array([0, 1, 2, 3], dtype=wp.int32))
    with pytest.raises(RuntimeError, match="points should be a contiguous 1-D array of type "
                                           "wp.vec3, got 1-D vec3d"):
        wp.Mesh(wp.array(POINTS[:12], dtype=wp.vec3d), wp.array([0, 1, 2], dtype=wp.int32))
    with pytest.raises(RuntimeError, match="indices should be a contiguous array of type "
                                           "wp.int32, got int64"):
        wp.Mesh(pts, wp.array([0, 1, 2], dtype=wp.int64))
    with pytest.raises(ValueError, match="Unknown BVH constructor"):
        wp.Mesh(pts, wp.array([0, 1, 2], dtype=wp.int32), bvh_constructor="kd")
    bad = POINTS[:12].copy()
    bad[1, 0] = np.nan
    with pytest.raises(ValueError, match="1 of the 1 faces have a NaN or infinite vertex"):
        wp.Mesh(wp.array(bad, dtype=wp.vec3), wp.array([0, 1, 2], dtype=wp.int32))
    mesh = wp.Mesh(pts, wp.array([0, 1, 2], dtype=wp.int32))
    with pytest.raises(RuntimeError, match="must have the same shape"):
        mesh.points = wp.array(POINTS, dtype=wp.vec3)
    assert mesh.points is pts  # the mesh keeps the arrays kernels read alive


def test_a_mesh_without_faces_finds_nothing(device):
    mesh = wp.Mesh(wp.array(POINTS, dtype=wp.vec3, device=device),
                   wp.zeros(0, dtype=wp.int32, device=device))
    xs = np.array([[0.0, 0.0, 0.0], [2.0, 0.0, 0.0]], F32)
    out = _points_run(mesh, xs, device)
    assert not out[:, 0].any() and not out[:, 6].any()
    rays = _rays_run(mesh, xs, np.array([[1.0, 0, 0], [-1.0, 0, 0]], F32), device)
    assert not rays[:, 0].any() and not rays[:, 6].any() and not rays[:, 7].any()
