"""Isosurfaces (wp.geometry.IsoSurfaceMarchingCubes, IsoSurfaceNets, wp.MarchingCubes):
a sphere's area and volume against the analytic values, watertight and consistently
wound closed surfaces (also on noise, where every ambiguous cell case occurs), surfaces
cut by the grid's boundary, empty results, bounds, errors, Warp's deprecated names, the
gradient through a Tape, and NVIDIA Warp's own output when it is installed (the same
vertices and triangle counts). Fields are made with NumPy: the only kernels compiled are
the library's.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import numba_warp as wp
from numba_warp.geometry import cube_tables

from .oracle import optional_warp

MC = wp.geometry.IsoSurfaceMarchingCubes
NETS = wp.geometry.IsoSurfaceNets


def sphere_field(n, center, radius, spacing=1.0):
    x = np.arange(n, dtype=np.float64) * spacing
    d = np.sqrt((x[:, None, None] - center[0]) ** 2 + (x[None, :, None] - center[1]) ** 2
                + (x[None, None, :] - center[2]) ** 2)
    return (d - radius).astype(np.float32)


def noise_field(rng, shape, closed):
    f = rng.normal(size=shape).astype(np.float32)
    if closed:  # positive (outside) on the boundary: every component is closed
        f[[0, -1]] = f[:, [0, -1]] = f[:, :, [0, -1]] = 1.0
    return f


def faces_of(indices, per_face=3):
    return indices.numpy().reshape(-1, per_face)


def area_volume(verts, tris):
    a, b, c = verts[tris[:, 0]], verts[tris[:, 1]], verts[tris[:, 2]]
    area = 0.5 * np.linalg.norm(np.cross(b - a, c - a), axis=1).sum()
    volume = np.einsum("ij,ij->i", a, np.cross(b, c)).sum() / 6.0
    return area, volume


def edge_uses(tris):
    """How many triangles use each undirected edge, and whether each directed edge is used
    once (consistent winding)."""
    directed = np.concatenate([tris[:, [0, 1]], tris[:, [1, 2]], tris[:, [2, 0]]])
    _, uses = np.unique(np.sort(directed, axis=1), axis=0, return_counts=True)
    _, once = np.unique(directed, axis=0, return_counts=True)
    return uses, (once == 1).all()


def check_mesh(verts, tris, closed):
    assert tris.dtype == np.int32 and verts.dtype == np.float32
    assert ((tris >= 0) & (tris < len(verts))).all()
    assert (tris[:, 0] != tris[:, 1]).all() and (tris[:, 1] != tris[:, 2]).all() \
        and (tris[:, 0] != tris[:, 2]).all()
    assert np.array_equal(np.unique(tris), np.arange(len(verts)))  # every vertex used
    assert np.isfinite(verts).all()
    uses, wound = edge_uses(tris)
    assert wound
    if closed:
        assert (uses == 2).all()  # watertight
    else:
        assert (uses <= 2).all()


def warp_extract(warp, name, field_np, **kw):
    cls = getattr(warp.geometry, name)
    v, i = cls.extract(warp.array(field_np, dtype=warp.float32, device="cpu"), 0.0, **kw)
    return v.numpy(), i.numpy()


@pytest.mark.parametrize("name", ["IsoSurfaceMarchingCubes", "IsoSurfaceNets"])
def test_sphere_area_volume_watertight_and_warps_mesh(name, device):
    n, r = 32, 10.3
    center = (15.7, 16.2, 15.4)
    f = sphere_field(n, center, r)
    iso = getattr(wp.geometry, name)(n, n, n)
    iso.surface(wp.array(f, dtype=wp.float32, device=device), 0.0)
    assert iso.verts.device == wp.get_device(device) and iso.indices.dtype == wp.int32
    verts, tris = iso.verts.numpy(), faces_of(iso.indices)
    check_mesh(verts, tris, closed=True)
    area, volume = area_volume(verts, tris)
    assert area == pytest.approx(4 * math.pi * r * r, rel=0.02)
    assert volume == pytest.approx(4 / 3 * math.pi * r ** 3, rel=0.02)  # > 0: wound outward
    assert np.abs(np.linalg.norm(verts - center, axis=1) - r).max() < 0.1
    warp = optional_warp()
    if warp is not None:
        wv, wi = warp_extract(warp, name, f)
        np.testing.assert_allclose(verts, wv, atol=1e-5)  # the same vertices, same order
        assert len(wi) == iso.indices.size
        if name == "IsoSurfaceNets":  # one vertex per cell here: the very same faces
            assert np.array_equal(iso.indices.numpy(), wi)


@pytest.mark.parametrize("seed", [0, 1])
def test_noise_every_ambiguous_case_stays_watertight_and_matches_warps_counts(seed, device):
    rng = np.random.default_rng(seed)
    closed, cut = noise_field(rng, (9, 10, 11), True), noise_field(rng, (8, 7, 9), False)
    warp = optional_warp()
    for name in ("IsoSurfaceMarchingCubes", "IsoSurfaceNets"):
        cls = getattr(wp.geometry, name)
        for f, is_closed in ((closed, True), (cut, False)):
            v, i = cls.extract(wp.array(f, dtype=wp.float32, device=device), 0.0)
            check_mesh(v.numpy(), faces_of(i), closed=is_closed)
            if warp is not None:
                wv, wi = warp_extract(warp, name, f)
                assert (len(wv), len(wi)) == (v.shape[0], i.shape[0])
                np.testing.assert_allclose(np.sort(v.numpy(), axis=0), np.sort(wv, axis=0),
                                           atol=1e-5)


def test_surface_cut_by_the_grid_boundary(device):
    # a sphere through the grid's faces: the open rim lies on the boundary (no cell is
    # lost at the far faces), and both extractors' meshes are Warp's size
    n = 20
    f = sphere_field(n, (2.0, 10.0, 17.5), 8.0)
    warp = optional_warp()
    v, i = MC.extract(wp.array(f, dtype=wp.float32, device=device), 0.0)
    verts, tris = v.numpy(), faces_of(i)
    check_mesh(verts, tris, closed=False)
    directed = np.concatenate([tris[:, [0, 1]], tris[:, [1, 2]], tris[:, [2, 0]]])
    und, uses = np.unique(np.sort(directed, axis=1), axis=0, return_counts=True)
    rim = verts[und[uses == 1]].reshape(-1, 3)
    on_face = np.isclose(rim, 0.0, atol=1e-5) | np.isclose(rim, n - 1.0, atol=1e-5)
    assert len(rim) and on_face.any(axis=1).all()
    hi = verts.max(axis=0)
    assert hi[2] == pytest.approx(n - 1.0)  # reaches the far z face
    nets_v, nets_i = NETS.extract(wp.array(f, dtype=wp.float32, device=device), 0.0,
                                  topology="quad")
    quads = faces_of(nets_i, 4)
    check_mesh(nets_v.numpy(), np.concatenate([quads[:, :3], quads[:, [0, 2, 3]]]),
               closed=False)
    if warp is not None:
        for name, ours, kw in (("IsoSurfaceMarchingCubes", (v, i), {}),
                               ("IsoSurfaceNets", (nets_v, nets_i), {"topology": "quad"})):
            wv, wi = warp_extract(warp, name, f, **kw)
            assert (len(wv), len(wi)) == (ours[0].shape[0], ours[1].shape[0])


@pytest.mark.parametrize("cls", [MC, NETS])
def test_no_crossing_gives_empty_arrays_and_two_nodes_suffice(cls, device):
    f = wp.array(sphere_field(6, (2.5, 2.5, 2.5), 1.0), dtype=wp.float32, device=device)
    v, i = cls.extract(f, threshold=1000.0)
    assert v.shape == (0,) and i.shape == (0,) and i.dtype == wp.int32 and v.dtype == wp.vec3
    tiny = np.full((2, 2, 2), 1.0, np.float32)
    tiny[0, 0, 0] = -1.0
    v, i = cls.extract(wp.array(tiny, dtype=wp.float32, device=device), 0.0)
    assert v.shape[0] == (3 if cls is MC else 0) and i.shape[0] == (3 if cls is MC else 0)


def test_bounds_place_the_nodes(device):
    f = sphere_field(12, (5.5, 5.0, 6.0), 3.3)
    lower, upper = (-1.0, 2.0, 0.5), (1.0, 4.0, 6.0)
    field = wp.array(f, dtype=wp.float32, device=device)
    for cls in (MC, NETS):
        plain, _ = cls.extract(field, 0.0)
        placed, _ = cls.extract(field, 0.0, lower=wp.vec3(*lower), upper=upper)
        scale = (np.array(upper) - lower) / 11.0
        np.testing.assert_allclose(placed.numpy(), plain.numpy() * scale + lower, atol=1e-5)


def test_bad_input_errors_say_what_is_wrong():
    cpu = "cpu"
    with pytest.raises(ValueError, match="3D array"):
        MC.extract(wp.zeros((4, 4), dtype=wp.float32, device=cpu))
    for shape in ((1, 8, 8), (8, 8, 1), (0, 8, 8)):
        with pytest.raises(ValueError, match="at least 2 nodes on each axis"):
            NETS.extract(wp.zeros(shape, dtype=wp.float32, device=cpu))
    with pytest.raises(TypeError, match="wp.float32"):
        MC.extract(wp.zeros((4, 4, 4), dtype=wp.float64, device=cpu))
    with pytest.raises(TypeError, match="wp.array"):
        MC.extract(np.zeros((4, 4, 4), np.float32))
    with pytest.raises(ValueError, match="does not match context grid dimensions"):
        MC(4, 4, 5).surface(wp.zeros((4, 4, 4), dtype=wp.float32, device=cpu), 0.0)
    with pytest.raises(ValueError, match="topology"):
        NETS(4, 4, 4, topology="hexagon")
    f = sphere_field(8, (3.5, 3.5, 3.5), 2.0)
    f[2, 5, 1] = np.nan
    for cls in (MC, NETS):
        with pytest.raises(ValueError, match=r"NaN \(the first at index \(2, 5, 1\)\)"):
            cls.extract(wp.array(f, dtype=wp.float32, device=cpu), 0.0)


def test_warps_names_and_deprecated_spellings():
    with pytest.warns(DeprecationWarning, match="wp.geometry.IsoSurfaceMarchingCubes"):
        alias = wp.MarchingCubes
    assert alias is MC and issubclass(NETS, wp.geometry.IsoSurfaceBase)
    with pytest.raises(TypeError):
        wp.geometry.IsoSurfaceBase(4, 4, 4)  # abstract
    with pytest.warns(DeprecationWarning, match="domain_bounds_lower_corner"):
        iso = MC(4, 4, 4, domain_bounds_lower_corner=(1.0, 0.0, 0.0))
    assert tuple(iso.lower) == (1.0, 0.0, 0.0)
    with pytest.raises(TypeError, match="Cannot specify both"):
        MC(4, 4, 4, upper=(1.0, 1.0, 1.0), domain_bounds_upper_corner=(2.0, 2.0, 2.0))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        iso = MC(4, 4, 4, lower=(0.0, 0.0, 0.0))
        iso.resize(5, 6, 7)
        assert (iso.nx, iso.ny, iso.nz, iso.verts, iso.indices) == (5, 6, 7, None, None)
    field = wp.array(sphere_field(5, (2.0, 2.0, 2.0), 1.2), dtype=wp.float32, device="cpu")
    with pytest.warns(DeprecationWarning, match="extract_surface_marching_cubes"):
        v, i = MC.extract_surface_marching_cubes(field, 0.0)
    assert v.shape[0] > 0 and i.shape[0] % 3 == 0
    assert MC.CUBE_CORNER_OFFSETS[6] == (1, 1, 1) and MC.EDGE_TO_CORNERS[11] == (3, 7)
    assert len(MC.CASE_TO_TRI_RANGE) == 257 and MC.CASE_TO_TRI_RANGE[-1] == \
        len(MC.TRI_LOCAL_INDICES)


def test_case_tables_agree_with_warps():
    """Per cell case: Warp's triangle count, the same loops of edges, the same winding
    (each directed loop edge); surface nets: the same edge groups and ambiguous faces."""
    warp = optional_warp()
    if warp is None:
        pytest.skip("NVIDIA Warp is the oracle of this test")
    from warp._src.geometry import marching_cubes as wmc

    ranges, tris = cube_tables.mc_tables()
    assert ranges == tuple(wmc.MC_CASE_TO_TRI_RANGE)

    def boundary(t):
        d = {(t[k + a], t[k + b]) for k in range(0, len(t), 3) for a, b in ((0, 1), (1, 2),
                                                                             (2, 0))}
        return {e for e in d if e[::-1] not in d}

    for c in range(256):
        ours = tris[ranges[c]:ranges[c + 1]]
        theirs = wmc.MC_TRI_LOCAL_INDICES[ranges[c]:ranges[c + 1]]
        assert boundary(ours) == boundary(theirs), c
    # surface nets: Warp's (OpenVDB's) tables number corners round the y axis and mark
    # corners below the threshold; map each of our cases and edges onto theirs
    from warp._src.geometry import surface_nets as wsn

    corners, edges = cube_tables.CUBE_CORNER_OFFSETS, cube_tables.EDGE_TO_CORNERS

    def key(offsets, pair):
        a, b = offsets[pair[0]], offsets[pair[1]]
        return tuple(map(min, a, b)), next(d for d in range(3) if a[d] != b[d])

    ours_of = {key(corners, edges[e]): e for e in range(12)}
    their_edge = [ours_of[key(wsn._SN_CORNER_OFFSETS, p)] for p in wsn._SN_EDGE_TO_CORNERS]
    face = {1: 4, 2: 1, 3: 5, 4: 0, 5: 2, 6: 3}  # theirs (1-based) -> 2 * axis + side
    groups, ambiguous = cube_tables.sn_tables()
    for c in range(256):
        signs = sum((1 - (c >> corners.index(o) & 1)) << b
                    for b, o in enumerate(wsn._SN_CORNER_OFFSETS))
        row = wsn._SN_EDGE_GROUP_TABLE[13 * signs + 1:13 * signs + 13]
        theirs = {frozenset(their_edge[e] for e in range(12) if row[e] == g)
                  for g in set(row) - {0}}
        ours = {frozenset(e for e in range(12) if groups[12 * c + e] == g)
                for g in set(groups[12 * c:12 * c + 12]) - {0}}
        assert ours == theirs, c
        amb = wsn._SN_AMBIGUOUS_FACE[signs]
        assert ambiguous[c] == (face[amb] + 1 if amb else 0), c


@pytest.mark.parametrize("cls", [MC, NETS])
def test_gradient_reaches_the_field(cls, device):
    # d(area)/d(radius) of a sphere SDF is 8 pi r (Warp's test, on a smaller grid)
    n, r = 24, 0.5
    x = np.linspace(-1.0, 1.0, n)
    d = np.sqrt(x[:, None, None] ** 2 + x[None, :, None] ** 2 + x[None, None, :] ** 2)
    field = wp.array(d - r, dtype=wp.float32, device=device, requires_grad=True)
    tape = wp.Tape()
    with tape:
        verts, indices = cls.extract(field, 0.0, lower=(-1.0, -1.0, -1.0),
                                     upper=(1.0, 1.0, 1.0))
    assert verts.requires_grad
    v, tris = verts.numpy(), faces_of(indices)
    a, b, c = v[tris[:, 0]], v[tris[:, 1]], v[tris[:, 2]]
    nrm = np.cross(b - a, c - a)
    unit = nrm / np.linalg.norm(nrm, axis=1, keepdims=True)
    # d(area)/d(verts): per triangle 0.5 * unit x (opposite edge)
    g = np.zeros_like(v)
    np.add.at(g, tris[:, 0], 0.5 * np.cross(unit, c - b))
    np.add.at(g, tris[:, 1], 0.5 * np.cross(unit, a - c))
    np.add.at(g, tris[:, 2], 0.5 * np.cross(unit, b - a))
    tape.backward(grads={verts: wp.array(g, dtype=wp.vec3, device=device)})
    # the field is d - r: d(area)/dr = -sum of the field's gradient
    assert -field.grad.numpy().sum() == pytest.approx(8 * math.pi * r, rel=0.03)
