"""A stand-in for Pixar's USD library (``pxr``, the ``usd-core`` wheel) for Warp's mesh
examples, which read their meshes with ``Usd.Stage.Open(path)`` and
``UsdGeom.Mesh(stage.GetPrimAtPath(prim)).GetPointsAttr().Get()`` /
``GetFaceVertexIndicesAttr().Get()``.

The suite does not need ``usd-core`` (a large wheel; the GPU machine has no network) nor
Warp's asset files: :func:`stand_in_pxr` puts a small ``pxr`` in ``sys.modules`` while an
example module is imported (the example binds ``Usd``/``UsdGeom`` then), and the
"stage" answers with meshes built here, keyed by file name and prim path, of the role the
example expects: a closed, outward-wound blob where Warp's bunny is (so particles fall
onto it and rays hit it), a cube and a sphere for the intersection example. Warp and
numba_warp read the same meshes, so the comparison is of the example's own kernels.
"""

from __future__ import annotations

import contextlib
import os
import sys
import types

import numpy as np

__all__ = ["MESHES", "USD_EXAMPLES", "stand_in_pxr"]

#: Warp's examples that load USD meshes
USD_EXAMPLES = ("example_mesh", "example_raycast", "example_mesh_intersect")


def _uv_sphere(n_lat: int, n_lon: int, radius, center):
    """A closed triangle mesh of a sphere (poles as single points, counter-clockwise from
    outside); ``radius(theta, phi)`` may vary with direction."""
    pts = [(0.0, 1.0, 0.0, 0.0, 0.0)]  # (direction, theta, phi): north pole first
    for i in range(1, n_lat):
        theta = np.pi * i / n_lat
        for j in range(n_lon):
            phi = 2.0 * np.pi * j / n_lon
            pts.append((np.sin(theta) * np.cos(phi), np.cos(theta),
                        np.sin(theta) * np.sin(phi), theta, phi))
    pts.append((0.0, -1.0, 0.0, np.pi, 0.0))
    points = np.array([np.array(p[:3]) * radius(p[3], p[4]) for p in pts]) + center
    south, ring = len(pts) - 1, (lambda i, j: 1 + (i - 1) * n_lon + j % n_lon)
    tris = [(0, ring(1, j + 1), ring(1, j)) for j in range(n_lon)]
    for i in range(1, n_lat - 1):
        for j in range(n_lon):
            a, b, c, d = ring(i, j), ring(i, j + 1), ring(i + 1, j), ring(i + 1, j + 1)
            tris += [(a, b, d), (a, d, c)]
    tris += [(ring(n_lat - 1, j), ring(n_lat - 1, j + 1), south) for j in range(n_lon)]
    return points.astype(np.float32), np.array(tris, dtype=np.int32).ravel()


def _cube(half: float):
    corners = np.array([[x, y, z] for x in (-half, half) for y in (-half, half)
                        for z in (-half, half)], dtype=np.float32)
    quads = [(0, 1, 3, 2), (4, 6, 7, 5), (0, 4, 5, 1), (2, 3, 7, 6), (0, 2, 6, 4),
             (1, 5, 7, 3)]
    tris = [t for a, b, c, d in quads for t in ((a, b, c), (a, c, d))]
    return corners, np.array(tris, dtype=np.int32).ravel()


def _blob_radius(theta, phi):
    return 0.8 * (1.0 + 0.15 * np.sin(3.0 * theta) * np.cos(2.0 * phi))


#: (file name, prim path) -> (points float32 (N, 3), face vertex indices int32)
MESHES = {
    ("bunny.usd", "/root/bunny"): _uv_sphere(12, 24, _blob_radius, (0.5, 1.2, 0.0)),
    ("cube.usd", "/root/cube"): _cube(1.0),
    ("sphere.usd", "/root/sphere"): _uv_sphere(10, 20, lambda t, p: 1.0, (0.0, 0.0, 0.0)),
}


class _Attr:
    def __init__(self, value):
        self._value = value

    def Get(self):
        return self._value.copy()


class _Prim:
    def __init__(self, key):
        self.key = key


class _Stage:
    def __init__(self, path):
        self.name = os.path.basename(path)

    @classmethod
    def Open(cls, path):
        return cls(path)

    def GetPrimAtPath(self, prim):
        key = (self.name, str(prim))
        if key not in MESHES:
            raise KeyError(f"the pxr stand-in has no mesh {key}: add it to MESHES")
        return _Prim(key)


class _Mesh:
    def __init__(self, prim: _Prim):
        self._points, self._indices = MESHES[prim.key]

    def GetPointsAttr(self):
        return _Attr(self._points)

    def GetFaceVertexIndicesAttr(self):
        return _Attr(self._indices)


def _modules() -> dict:
    pxr = types.ModuleType("pxr", "stand-in for Pixar's USD (tests/compat/usd_stand_in.py)")
    usd = types.ModuleType("pxr.Usd")
    usd.Stage = _Stage
    geom = types.ModuleType("pxr.UsdGeom")
    geom.Mesh = _Mesh
    pxr.Usd, pxr.UsdGeom = usd, geom
    return {"pxr": pxr, "pxr.Usd": usd, "pxr.UsdGeom": geom}


@contextlib.contextmanager
def stand_in_pxr():
    """``pxr`` is the stand-in inside the block (whether or not usd-core is installed),
    and what it was before after it."""
    stand_in = _modules()
    saved = {name: sys.modules.get(name) for name in stand_in}
    sys.modules.update(stand_in)
    try:
        yield
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module
