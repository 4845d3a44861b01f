"""Geometry side by side: numba_warp against NVIDIA Warp (when ``import warp`` works) on the
same inputs, on the CPU (numba_warp: every core; Warp: one thread) and on CUDA when there is
a GPU. Issue 13's H200 references (Warp) are printed next to the CUDA rows.

Cases (one function each, ``bench_<case>(device, ctx) -> list of Row``; add a case by
writing its function and listing it in ``CASES``):

* ``marching_cubes``: ``wp.geometry.IsoSurfaceMarchingCubes.extract`` of a sphere's signed
  distance field on a 256^3 grid (64^3 with ``--quick``), end to end: counting, scan, the
  one host read of the totals, vertices and triangles. Both libraries get the same field
  and must produce the same numbers of vertices and triangles;
* ``surface_nets``: the same with ``wp.geometry.IsoSurfaceNets`` (triangles);
* ``mesh``: a unit UV sphere of ~1M triangles (~20k with ``--quick``): ``wp.Mesh``
  construction (BVH build), ``refit()``, closest points (``mesh_query_point_no_sign``) of
  as many random points in [-2, 2]^3 and rays from the centre in as many random
  directions (``mesh_query_ray``); kernels in ``_geometry_kernels.py``, the same source
  for both libraries, whose hit distances must agree.

Times are the best of N calls after a warm-up (compilation excluded), GPU work
synchronised. Run ``python benchmarks/bench_geometry.py [--quick] [--device cpu|cuda|all]
[--only REGEX] [--repeat N]``. Never used by the tests; on a shared machine the CPU
figures vary with its load (say so when quoting them).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from dataclasses import dataclass

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _warp_twin  # noqa: E402

import numba_warp as wp  # noqa: E402

#: issue 13's reference times of NVIDIA Warp on an H200, in ms, by case
H200_WARP_MS = {"marching_cubes": 3.4, "mesh build": 5.2, "mesh refit": 0.24,
                "mesh closest point": 169.0, "mesh rays": 2.35}


@dataclass
class Row:
    case: str
    what: str
    device: str
    ours_s: float
    warp_s: float | None = None
    note: str = ""


@dataclass
class Context:
    quick: bool
    repeat: int
    warp: object = None  # NVIDIA Warp, or None

    def warp_on(self, device):
        if self.warp is None:
            return None
        if device != "cpu" and not self.warp.is_cuda_available():
            return None
        return self.warp


def best_of(fn, device_sync, repeat):
    """The fastest of ``repeat`` timed calls (each synchronised), after one warm-up."""
    fn()
    device_sync()
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        device_sync()
        best = min(best, time.perf_counter() - t0)
    return best


def sphere_sdf(n: int) -> np.ndarray:
    """A sphere of radius n/3 at the grid's centre: signed distances at the nodes."""
    x = np.arange(n, dtype=np.float32) - (n - 1) / 2.0
    d = np.sqrt(x[:, None, None] ** 2 + x[None, :, None] ** 2 + x[None, None, :] ** 2)
    return (d - n / 3.0).astype(np.float32)


# -- cases -------------------------------------------------------------------------------------
def _isosurface(case: str, cls_name: str, device: str, ctx: Context) -> list:
    """One extraction of the sphere SDF by ``wp.geometry.<cls_name>`` in both libraries."""
    n = 64 if ctx.quick else 256
    f = sphere_sdf(n)
    field = wp.array(f, dtype=wp.float32, device=device)
    cls = getattr(wp.geometry, cls_name)

    def ours():
        return cls.extract(field, 0.0)

    t = best_of(ours, lambda: wp.synchronize_device(device), ctx.repeat)
    verts, indices = ours()
    row = Row(case, f"{n}^3 sphere SDF, {verts.shape[0]} verts, {indices.shape[0] // 3} tris",
              device, t)
    warp = ctx.warp_on(device)
    if warp is not None:
        wfield = warp.array(f, dtype=warp.float32, device=device)
        wcls = getattr(warp.geometry, cls_name)

        def theirs():
            return wcls.extract(wfield, 0.0)

        row.warp_s = best_of(theirs, lambda: warp.synchronize_device(device), ctx.repeat)
        wv, wi = theirs()
        if (wv.shape[0], wi.shape[0]) != (verts.shape[0], indices.shape[0]):
            row.note = f"MISMATCH: Warp has {wv.shape[0]} verts, {wi.shape[0] // 3} tris"
    return [row]


def bench_marching_cubes(device: str, ctx: Context) -> list:
    return _isosurface("marching_cubes", "IsoSurfaceMarchingCubes", device, ctx)


def bench_surface_nets(device: str, ctx: Context) -> list:
    return _isosurface("surface_nets", "IsoSurfaceNets", device, ctx)


def uv_sphere(n_lat: int, n_lon: int):
    """Points and triangle indices of a unit UV sphere (2 * n_lat * n_lon triangles,
    counter-clockwise seen from outside)."""
    th = np.linspace(0.0, np.pi, n_lat + 1)
    ph = np.linspace(0.0, 2.0 * np.pi, n_lon, endpoint=False)
    pts = np.stack([np.outer(np.sin(th), np.cos(ph)), np.outer(np.sin(th), np.sin(ph)),
                    np.outer(np.cos(th), np.ones_like(ph))], -1).reshape(-1, 3)
    i, j = np.meshgrid(np.arange(n_lat), np.arange(n_lon), indexing="ij")
    a, b = i * n_lon + j, i * n_lon + (j + 1) % n_lon
    c, d = a + n_lon, b + n_lon
    tris = np.concatenate([np.stack([a, c, b], -1), np.stack([b, c, d], -1)]).reshape(-1, 3)
    return pts.astype(np.float32), tris.astype(np.int32).reshape(-1)


def _mesh_times(lib, kernels, device, pts, tris, queries, dirs, repeat):
    sync = (lambda: lib.synchronize_device(device))
    points = lib.array(pts, dtype=lib.vec3, device=device)
    indices = lib.array(tris, dtype=lib.int32, device=device)
    t_build = best_of(lambda: lib.Mesh(points=points, indices=indices), sync, repeat)
    mesh = lib.Mesh(points=points, indices=indices)
    t_refit = best_of(mesh.refit, sync, repeat)
    q = lib.array(queries, dtype=lib.vec3, device=device)
    out = lib.zeros(len(queries), dtype=lib.vec3, device=device)
    t_closest = best_of(lambda: lib.launch(kernels.closest_points, len(queries),
                                           inputs=[mesh.id, q, 1.0e6, out], device=device),
                        sync, repeat)
    d = lib.array(dirs, dtype=lib.vec3, device=device)
    hits = lib.zeros(len(dirs), dtype=lib.float32, device=device)
    t_rays = best_of(lambda: lib.launch(kernels.ray_hits, len(dirs),
                                        inputs=[mesh.id, d, hits], device=device), sync, repeat)
    return (t_build, t_refit, t_closest, t_rays), hits.numpy()


def bench_mesh(device: str, ctx: Context) -> list:
    n_lat, n_lon = (70, 140) if ctx.quick else (500, 1000)
    pts, tris = uv_sphere(n_lat, n_lon)
    rng = np.random.default_rng(0)
    m = len(tris) // 3
    queries = rng.uniform(-2.0, 2.0, (m, 3)).astype(np.float32)
    dirs = rng.normal(size=(m, 3)).astype(np.float32)
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    import _geometry_kernels

    ours, hits = _mesh_times(wp, _geometry_kernels, device, pts, tris, queries, dirs,
                             ctx.repeat)
    names = ("mesh build", "mesh refit", "mesh closest point", "mesh rays")
    whats = (f"{m} triangles", f"{m} triangles", f"{m} random points in [-2, 2]^3",
             f"{m} rays from the centre")
    rows = [Row(n, w, device, t) for n, w, t in zip(names, whats, ours)]
    warp = ctx.warp_on(device)
    if warp is not None:
        twin = _warp_twin.load(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                            "_geometry_kernels.py"), "geometry_kernels_warp")
        theirs, whits = _mesh_times(warp, twin, device, pts, tris, queries, dirs, ctx.repeat)
        for r, t in zip(rows, theirs):
            r.warp_s = t
        if not np.allclose(hits, whits, atol=1e-4):
            rows[-1].note = "MISMATCH: hit distances differ from Warp's"
    return rows


CASES = {"marching_cubes": bench_marching_cubes, "surface_nets": bench_surface_nets,
         "mesh": bench_mesh}


# -- driver ------------------------------------------------------------------------------------
def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="small sizes (a 2-core machine)")
    p.add_argument("--device", choices=("cpu", "cuda", "all"), default="all")
    p.add_argument("--only", default="", help="a regular expression on case names")
    p.add_argument("--repeat", type=int, default=5, help="timed calls per measurement")
    return p.parse_args(argv)


def devices_for(which: str) -> list:
    out = ["cpu"] if which in ("cpu", "all") else []
    if which in ("cuda", "all") and wp.is_cuda_available():
        out.append("cuda:0")
    return out


def format_table(rows: list) -> str:
    lines = ["| case | what | device | numba_warp ms | Warp ms | Warp / numba_warp | "
             "H200 Warp ms | note |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        warp_ms = f"{r.warp_s * 1e3:.2f}" if r.warp_s is not None else "-"
        ratio = f"{r.warp_s / r.ours_s:.2f}" if r.warp_s is not None else "-"
        ref = H200_WARP_MS.get(r.case) if r.device != "cpu" else None
        lines.append(f"| {r.case} | {r.what} | {r.device} | {r.ours_s * 1e3:.2f} | {warp_ms} | "
                     f"{ratio} | {ref if ref is not None else '-'} | {r.note} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    args = parse_args(argv)
    warp = _warp_twin.import_warp()
    if warp is not None:
        import warp.geometry  # noqa: F401 - Warp's isosurfaces are an explicit import
    ctx = Context(quick=args.quick, repeat=args.repeat, warp=warp)
    rows = []
    for name, bench in CASES.items():
        if args.only and not re.search(args.only, name):
            continue
        for device in devices_for(args.device):
            rows += bench(device, ctx)
    print(f"numba_warp {wp.__version__}, " + (f"NVIDIA Warp {warp.__version__}" if warp
                                              else "NVIDIA Warp not installed") +
          f", {os.cpu_count()} CPU cores" + (" (--quick sizes)" if args.quick else ""))
    print(format_table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
