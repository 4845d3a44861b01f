"""Write the notebooks in notebooks/ from the cell texts below (outputs stripped).

Run ``python tools/make_notebooks.py`` after editing a cell here; tests/test_notebooks.py
executes every notebook headless and checks that the committed files carry no outputs.
"""

from __future__ import annotations

import pathlib

import nbformat

HERE = pathlib.Path(__file__).resolve().parent.parent / "notebooks"

SETUP = '''import os, sys
sys.path.insert(0, os.path.abspath(os.path.join("..", "examples")))  # the examples' helpers
import numpy as np
import numba_warp as wp
from IPython.display import Image, display

device = "cuda" if wp.is_cuda_available() else "cpu"
print("running on", device)'''

NOTEBOOKS = {
    "differentiable_loop.ipynb": [
        ("md", "# Gradients through a dynamic loop\n\n"
               "numba_warp turns each kernel into a backward kernel; a `wp.Tape` records "
               "launches and replays their backward passes. Loops whose trip count is only "
               "known at run time, with a value carried from one iteration to the next, are "
               "reversed exactly (NVIDIA Warp's documentation lists them as giving wrong "
               "gradients)."),
        ("code", SETUP),
        ("code", '''@wp.kernel
def product(x: wp.array(dtype=float), n: int, loss: wp.array(dtype=float)):
    p = float(1.0)
    for i in range(n):            # a dynamic loop with a loop-carried product
        p = p * x[i]
    wp.atomic_add(loss, 0, p)

x = wp.array([2.0, 3.0, 0.5, 4.0], dtype=float, requires_grad=True, device=device)
loss = wp.zeros(1, dtype=float, requires_grad=True, device=device)
tape = wp.Tape()
with tape:
    wp.launch(product, dim=1, inputs=[x, 4, loss], device=device)
tape.backward(loss)
grad = x.grad.numpy()
print("loss", loss.numpy()[0], "gradient", grad)
assert np.allclose(grad, [6.0, 4.0, 24.0, 3.0])   # d(x0 x1 x2 x3)/dxi'''),
        ("md", "An inverse problem through such a loop: one growth rate fitted to noisy "
               "final values of 64 plans that compound for different numbers of years. "
               "The plot shows d loss/d rate (finite differences grey, numba_warp blue, "
               "NVIDIA Warp red when `warp-lang` is installed) and each gradient's "
               "relative error against finite differences."),
        ("code", '''import example_loop_gradient
r = example_loop_gradient.run(device, out="output/loop_gradient.png")
print(f"worst relative gradient error {r['grad_error']:.1e}; fitted rate {r['fitted']:.8f}, "
      f"least-squares rate {r['optimum']:.8f}")
if "warp_grad" in r:
    print(f"NVIDIA Warp's gradient of the same loop: off by up to {100 * r['warp_grad_error']:.0f}%")
display(Image("output/loop_gradient.png"))'''),
    ],
    "geometry_render.ipynb": [
        ("md", "# Marching cubes and ray tracing\n\n"
               "A signed distance field sampled by a kernel, meshed by "
               "`wp.geometry.IsoSurfaceMarchingCubes`, and ray-traced through `wp.Mesh` "
               "(a BVH) with `wp.mesh_query_ray`: one thread per pixel, shadow rays too."),
        ("code", SETUP),
        ("code", '''import example_sdf_render
stats = example_sdf_render.run(device, res=64, width=320, height=200, frames=2, out="output")
print("triangles per frame:", stats["triangles"], f"({stats['seconds']:.1f} s with compilation)")
display(Image(stats["png"]))'''),
        ("md", "The mesh is an ordinary `wp.Mesh`: query it from your own kernels."),
        ("code", '''verts, faces = wp.geometry.IsoSurfaceMarchingCubes.extract(
    wp.array(np.fromfunction(lambda i, j, k: np.sqrt((i - 16.0)**2 + (j - 16.0)**2 + (k - 16.0)**2) - 10.0,
                             (33, 33, 33), dtype=np.float32), device=device), 0.0)
sphere = wp.Mesh(points=verts, indices=faces)

@wp.kernel
def closest(mesh: wp.uint64, points: wp.array(dtype=wp.vec3), dist: wp.array(dtype=float)):
    i = wp.tid()
    q = wp.mesh_query_point_sign_normal(mesh, points[i], 100.0)
    if q.result:
        p = wp.mesh_eval_position(mesh, q.face, q.u, q.v)
        dist[i] = wp.length(points[i] - p) * q.sign

pts = wp.array([[17.0, 15.0, 16.5], [16.0, 16.0, 40.0]], dtype=wp.vec3, device=device)
dist = wp.zeros(2, dtype=float, device=device)
wp.launch(closest, 2, inputs=[sphere.id, pts, dist], device=device)
print("signed distances (inside < 0):", dist.numpy())
assert -9.0 < dist.numpy()[0] < -8.0 and 13.5 < dist.numpy()[1] < 14.5'''),
    ],
    "numba_interop.ipynb": [
        ("md", "# numba_warp types inside your own Numba code\n\n"
               "Warp's vector, quaternion and matrix types and its builtins are Numba "
               "extensions: they work inside existing `@numba.njit` (and `@cuda.jit`) "
               "functions, and `wp.as_vectors` views an `(n, 3)` array as `vec3`s "
               "without a copy."),
        ("code", SETUP),
        ("code", '''import numba

@numba.njit(parallel=True)
def spin(points, axis, angle, out):
    pts = wp.as_vectors(points, wp.vec3)
    res = wp.as_vectors(out, wp.vec3)
    q = wp.quat_from_axis_angle(wp.normalize(axis), angle)
    for i in numba.prange(pts.shape[0]):
        res[i] = wp.quat_rotate(q, pts[i])

rng = np.random.default_rng(0)
points = rng.standard_normal((100_000, 3)).astype(np.float32)
out = np.empty_like(points)
spin(points, wp.vec3(0.0, 0.0, 1.0), 0.5 * np.pi, out)
# a quarter turn about z: (x, y, z) -> (-y, x, z)
np.testing.assert_allclose(out, np.stack([-points[:, 1], points[:, 0], points[:, 2]], 1), atol=1e-5)
print(out[:3])'''),
        ("code", '''import example_numba_interop
err = example_numba_interop.main("output/numba_interop.png")
print(f"worst difference from NumPy: {err:.1e}")
display(Image("output/numba_interop.png"))'''),
    ],
}


def build(name: str, cells) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell(text) if kind == "md" else
                nbformat.v4.new_code_cell(text) for kind, text in cells]
    for cell in nb.cells:  # (stable ids: the files change only when a cell does)
        cell.id = f"{name.split('.')[0]}-{nb.cells.index(cell)}"
    return nb


def main() -> None:
    HERE.mkdir(exist_ok=True)
    for name, cells in NOTEBOOKS.items():
        nbformat.write(build(name, cells), HERE / name)
        print("wrote", HERE / name)


if __name__ == "__main__":
    main()
