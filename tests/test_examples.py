"""The examples run and write what they promise (small sizes)."""

import importlib.util
import os

import numpy as np

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")


def _load(name):
    spec = importlib.util.spec_from_file_location(name, os.path.join(EXAMPLES, f"{name}.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_wave_example(device, tmp_path):
    wave = _load("example_wave")
    out = tmp_path / "wave.png"
    field = wave.run(device, size=64, steps=120, frames=2, out=str(out))
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert np.all(np.isfinite(field)) and np.abs(field).max() > 1e-3
    # the same simulation on the CPU gives the same picture (to float32 rounding)
    if device != "cpu":
        ref = wave.run("cpu", size=64, steps=120, frames=2, out=str(tmp_path / "cpu.png"))
        np.testing.assert_allclose(field, ref, atol=1e-4)


def test_numba_interop_example(tmp_path):
    interop = _load("example_numba_interop")
    err = interop.main(str(tmp_path / "interop.png"))
    assert err < 1e-5
    assert (tmp_path / "interop.png").read_bytes()[:4] == b"\x89PNG"


def test_ballistics_example(device, tmp_path):
    # gradients through a 100-step dynamic loop per thread, with a bounce branch
    ballistics = _load("example_ballistics")
    out = tmp_path / "ballistics.png"
    first, last, miss = ballistics.run(device, shots=8, iterations=120, out=str(out))
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert last < 1e-3 * first and np.all(miss < 1e-3)


def test_torch_springs_example(device, tmp_path):
    # torch.optim trains spring stiffnesses through a 200-step loop inside a kernel
    import pytest

    pytest.importorskip("torch", reason="PyTorch (pip install torch) runs this example")
    springs = _load("example_torch_springs")
    out = tmp_path / "loss.png"
    losses = springs.run(device, springs=32, iterations=100, out=str(out))
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert losses[-1] < 1e-4 * losses[0]


def test_sdf_render_example(device, tmp_path):
    # the flagship: an SDF meshed by marching cubes and ray-traced through the mesh's BVH
    render = _load("example_sdf_render")
    stats = render.run(device, res=40, width=64, height=40, frames=2, out=str(tmp_path))
    assert (tmp_path / "sdf_render.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    obj = (tmp_path / "sdf_render.obj").read_text().splitlines()
    faces = [ln for ln in obj if ln.startswith("f ")]
    assert len(faces) == stats["triangles"][-1] > 100
    image = stats["image"].astype(float)
    assert image.shape == (40, 128, 3)
    # the shape sits in the middle of each frame, lit warm (red above blue) over a cool
    # background; the frame corners show the background
    centre = image[14:26, 24:40].reshape(-1, 3)
    corner = image[:4, :4].reshape(-1, 3)
    assert (centre[:, 0] - centre[:, 2]).max() > 40.0
    assert (corner[:, 2] - corner[:, 0]).min() > 0.0
    if device != "cpu":  # the same picture on the CPU, to rounding at silhouettes
        ref = render.run("cpu", res=40, width=64, height=40, frames=2,
                         out=str(tmp_path / "cpu"))
        assert ref["triangles"] == stats["triangles"]
        assert np.mean(np.abs(ref["image"].astype(float) - image) > 8.0) < 0.02


def test_loop_gradient_example(device, tmp_path):
    # the tape's gradient through a dynamic loop equals finite differences, and descent on
    # it lands on the least-squares rate; NVIDIA Warp 1.19's gradient of the loop is wrong
    example = _load("example_loop_gradient")
    out = tmp_path / "loop_gradient.png"
    r = example.run(device, out=str(out))
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert r["grad_error"] < 1e-6
    assert abs(r["fitted"] - r["optimum"]) < 1e-7 and r["losses"][-1] < 0.02 * r["losses"][0]
    if "warp_grad" in r:
        assert r["warp_grad_error"] > 0.05
        assert abs(r["warp_fitted"] - r["optimum"]) > 1e-6


def test_dem_pile_example(device, tmp_path):
    # a granular column collapses under gravity: contacts through the hash grid keep the
    # particles apart and inside the box, and the column gets lower and wider
    dem = _load("example_dem_pile")
    out = tmp_path / "dem.png"
    r = dem.run(device, particles=2304, frames=2, steps_per_frame=100, width=96, height=80,
                out=str(out))
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    x, radius = r["positions"], r["radius"]
    assert np.all(np.isfinite(x)) and x[:, 1].min() > 0.0
    assert np.abs(x[:, [0, 2]]).max() < dem.BOX
    column = 2.05 * radius  # (the spacing of the particles in the column: 12 x 12 x 16)
    assert x[:, 1].max() < 0.9 * 16 * column  # lower than it started
    assert np.ptp(x[:, 0]) > 1.3 * 12 * column  # and wider
    img = r["image"].astype(float)
    assert img.shape == (80, 192, 3) and (img[..., 0] - img[..., 2]).max() > 60.0  # orange grains


def test_newton_cg_example(device, tmp_path):
    # Newton-CG through tape.hvp (Hessian-vector products) against gradient descent
    newton_cg = _load("example_newton_cg")
    out = tmp_path / "newton_cg.png"
    newton, descent, X = newton_cg.run(device, size=8, out=str(out))
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert newton[-1][1] < 1e-9 * newton[0][1] and len(newton) < 25  # quadratic convergence
    # gradient descent takes over thirty times more steps to gain six digits
    assert sum(g > 1e-6 * descent[0][1] for _, g in descent) > 30 * len(newton)
    # the membrane sags in the middle, symmetrically
    depth = -X.reshape(8, 8, 3)[..., 1]
    assert depth[3:5, 3:5].min() > 0.05 and np.allclose(depth, depth.T, atol=1e-8)


def _torchrun(nproc, *args):
    import subprocess
    import sys

    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone",
           f"--nproc_per_node={nproc}", os.path.join(EXAMPLES, "example_multigpu.py"), *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=900)


def test_multigpu_example_on_processes(tmp_path):
    # the data-parallel example's exchange logic, over 2 CPU processes (gloo): the field
    # equals the one-process run bit for bit
    import pytest

    pytest.importorskip("torch", reason="PyTorch runs this example")
    out = tmp_path / "multigpu.png"
    done = _torchrun(2, "--device", "cpu", "--size", "48", "--steps", "50", "--report", "25",
                     "--check", "--out", str(out))
    assert done.returncode == 0, done.stderr[-3000:]
    assert "2 process(es) on cpu" in done.stdout
    assert "max difference 0," in done.stdout, done.stdout
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_multigpu_example_on_gpus(tmp_path):
    import pytest

    import numba_warp as wp

    if wp.get_cuda_device_count() < 2:
        pytest.skip("needs two GPUs")
    pytest.importorskip("torch", reason="PyTorch runs this example")
    n = wp.get_cuda_device_count()
    done = _torchrun(n, "--device", "cuda", "--size", "256", "--steps", "100", "--check",
                     "--out", str(tmp_path / "multigpu.png"))
    assert done.returncode == 0, done.stderr[-3000:]
    assert "max difference 0," in done.stdout, done.stdout
