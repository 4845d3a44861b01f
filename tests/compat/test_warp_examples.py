"""Warp 1.19's own core examples, unmodified, give the same results under numba_warp.

Needs NVIDIA Warp (the ``compat`` extra): each example file is read from the installed
wheel (site-packages/warp/examples/core), ported by rewriting its imports only
(loader.py) and imported under numba_warp; the original is imported under Warp. Both
are driven through the example's own ``Example`` class (or test function) with the same
inputs, headless and with short runs, and their state arrays are compared. The
examples that read USD meshes (example_mesh, example_raycast, example_mesh_intersect) are
imported with a ``pxr`` stand-in that serves meshes built in usd_stand_in.py, under Warp
as under numba_warp: their own kernels and steps run unchanged. Warp runs on
its CPU backend; numba_warp on every device of the ``device`` fixture.

Where Warp cannot be installed (the GPU machine has no network), ``make_reference.py
--warp-examples DIR`` (run where Warp is) copies the example files and Warp's results to
DIR; with ``NUMBA_WARP_WARP_EXAMPLES=DIR`` the tests read both from there.

Tolerances (see compare.py): on the CPU the runs agree bit for bit except where noted;
on CUDA they get float32-rounding tolerances.
"""

from __future__ import annotations

import pathlib

import numpy as np
import pytest

from .compare import EXACT, Tolerance, assert_agrees
from .loader import framework_needed, load_warp_example

SUBSCRIPT = "wp.array2d[dtype] subscript annotations"
CAPTURE = ("wp.ScopedCapture", "wp.capture_launch")
GRID = ("wp.HashGrid", "wp.hash_grid_query", "wp.hash_grid_point_id")


def _wave(module, device):
    # 3 frames of 16 substeps; stage_path=None: no USD renderer
    with module.wp.ScopedDevice(device):
        example = module.Example(stage_path=None)
        for _ in range(3):
            example.step()
        return {"grid0": example.sim_grid0.numpy(), "grid1": example.sim_grid1.numpy(),
                "vertices": example.sim_verts.numpy()}


def _fluid(module, device):
    # 2 frames (4 substeps of 100 captured Jacobi iterations each) on the 256 x 128 grid
    with module.wp.ScopedDevice(device):
        example = module.Example()
        for _ in range(2):
            example.step()
        return {"density": example.rho0.numpy(), "velocity": example.u0.numpy(),
                "pressure": example.p0.numpy(), "divergence": example.div.numpy()}


def _raymarch(module, device):
    # the example's renderer at 48 x 96 pixels instead of 1024 x 2048
    with module.wp.ScopedDevice(device):
        example = module.Example(height=48, width=96)
        example.render()
        return {"pixels": example.pixels.numpy()}


def _sph(module, device):
    # the example's own step() with 2 substeps instead of 40 (its 62,499 particles): a
    # substep is a grid build, density and acceleration over hash grid neighbours,
    # bounds, kick and drift
    with module.wp.ScopedDevice(device):
        example = module.Example(stage_path=None)
        example.sim_step_to_frame_ratio = 2
        example.step()
        return {"x": example.x.numpy(), "v": example.v.numpy(), "rho": example.rho.numpy(),
                "a": example.a.numpy()}


def _dem(module, device):
    # 2 frames of the example's own step() (a grid build, then the captured substeps),
    # with the graph captured again over 2 substeps instead of 64 (its 65,536 particles)
    wp = module.wp
    with wp.ScopedDevice(device):
        example = module.Example(stage_path=None)
        example.sim_substeps = 2
        with wp.ScopedCapture() as capture:
            example.simulate()
        example.graph = capture.graph
        for _ in range(2):
            example.step()
        return {"x": example.x.numpy(), "v": example.v.numpy()}


def _graph_capture(module, device):
    with module.wp.ScopedDevice(device):
        example = module.Example()
        for _ in range(3):
            example.step()
        return {"pixels": example.pixel_values.numpy(), "x": example.x.numpy()}


def _mesh(module, device):
    # 8 steps of the example's own step() (deform the mesh, refit, then its 1000 particles
    # collide with the mesh through mesh_query_point_sign_normal): the stand-in "bunny"
    # (usd_stand_in.py) sits inside the particles' box, so most of them query it
    with module.wp.ScopedDevice(device):
        example = module.Example(stage_path=None)
        for _ in range(8):
            example.step()
        return {"positions": example.positions.numpy(),
                "velocities": example.velocities.numpy(),
                "mesh_points": example.mesh.points.numpy()}


def _raycast(module, device):
    # the example's ray tracer (mesh_query_ray, the hit normal as colour) at 32 x 48 pixels
    with module.wp.ScopedDevice(device):
        example = module.Example(height=32, width=48)
        example.render()
        return {"pixels": example.pixels.numpy()}


def _sample_mesh(module, device):
    # the example's area CDF (atomic sum of triangle areas, prefix sum) and 3 frames of
    # 100 samples (rand_init/randf, lower_bound over the CDF, mesh_eval_position)
    with module.wp.ScopedDevice(device):
        example = module.Example(stage_path=None)
        frames = []
        for _ in range(3):
            example.step()
            frames.append(example.points.numpy())
        return {"cdf": example.cdf.numpy(), "points": np.stack(frames)}


def _mesh_intersect(module, device):
    # the example's one step: 12 cube triangles x 1024 random transforms, each tested
    # against the sphere through mesh_query_aabb and intersect_tri_tri
    with module.wp.ScopedDevice(device):
        example = module.Example(stage_path=None)
        example.step()
        return {"result": example.array_result.numpy()}


def _torch_example(module, device):
    # 10 Adam steps of the example's 1500 particles down the Rosenbrock function: its
    # torch.autograd.Function launches the kernel forward (from_torch of a vec2 view) and
    # adjoint (adj_inputs/adj_outputs into torch's gradient tensors), on torch's stream
    with module.wp.ScopedDevice(device):
        example = module.Example(headless=True)
        for _ in range(10):
            example.step()
        return {"xy": example.xy.detach().cpu().numpy(),
                "z": example.z.detach().cpu().numpy()}


def _cupy_example(module, device):
    # 3 saxpy launches straight on the example's CuPy arrays (CUDA) or NumPy arrays (CPU)
    with module.wp.ScopedDevice(device):
        example = module.Example()
        for _ in range(3):
            example.step()
        y = example.y
        return {"y": y.get() if hasattr(y, "get") else np.array(y)}


MESH = ("wp.Mesh", "wp.mesh_query_point_sign_normal", "wp.mesh_query_ray")

CASES = {
    # linear wave equation: rounding-size differences
    "example_wave": (_wave, ("wp.ScopedTimer",), {}, Tolerance(1e-5), Tolerance(2e-4)),
    # stable fluids: back-traced points that cross a cell edge on one device only may
    # differ by more than rounding; two frames keep the chaos small
    "example_fluid": (_fluid, ("wp.ScopedTimer", SUBSCRIPT, *CAPTURE), {},
                      Tolerance(1e-5), Tolerance(1e-3, frac=0.99, worst=0.05)),
    # normals from central differences with eps = 1e-5 amplify rounding ~100x, and the
    # specular term (** 80) amplifies that again: measured on the CPU, 0.08% of the
    # channels differ by more than 1e-4 (largest 0.0085)
    "example_raymarch": (_raymarch, ("wp.ScopedTimer",), {},
                         Tolerance(1e-4, frac=0.995, worst=0.05),
                         Tolerance(2e-2, frac=0.98, worst=1.0)),
    "example_graph_capture": (_graph_capture, ("wp.ScopedTimer", SUBSCRIPT, *CAPTURE), {},
                              Tolerance(1e-5), Tolerance(1e-4)),
    # SPH: the neighbours of each particle (same order as Warp's on the CPU: bit for bit
    # there) enter through kernels that vanish continuously at the smoothing length, so
    # a pair that is in range on one device only changes little; 2 substeps
    "example_sph": (_sph, (*GRID, "wp.ScopedTimer"), {}, Tolerance(1e-6), Tolerance(1e-4)),
    # DEM: a contact switches on at a distance threshold with a force jump of ~60 (a
    # velocity change of ~1 in a substep): a pair at the threshold within rounding
    # switches on one device only; 4 substeps keep such pairs few
    "example_dem": (_dem, (*GRID, *CAPTURE), {}, Tolerance(1e-6),
                    Tolerance(1e-4, frac=0.999, worst=0.1)),
    # PBD against the mesh: positions agree to float32 rounding (measured on the CPU:
    # 1e-6 of their scale); velocities are (x' - x) / dt, so a rounding of a projected
    # position (~2e-6 at |x| ~ 20) is amplified 60x (measured: 2.5e-6 of |v|max ~ 92).
    # On CUDA (against Warp's CUDA run: NVRTC and NVVM contract multiply-adds in other
    # places) one of the 1000 particles meets the mesh in another step (H200: 4e-4 of
    # the positions' scale, 1.1e-3 of the velocities')
    "example_mesh": (_mesh, (*MESH, "wp.ScopedTimer"), {"velocities": Tolerance(1e-4)},
                     Tolerance(1e-6), Tolerance(1e-4, frac=0.995, worst=5e-3)),
    "example_raycast": (_raycast, (*MESH, "wp.ScopedTimer"), {}, Tolerance(1e-6),
                        Tolerance(1e-4)),
    "example_sample_mesh": (_sample_mesh, ("wp.Mesh", "wp.lower_bound", "wp.ScopedTimer"), {},
                            Tolerance(1e-6), Tolerance(1e-5)),
    "example_mesh_intersect": (_mesh_intersect, ("wp.Mesh", "wp.mesh_query_aabb",
                                                 "wp.intersect_tri_tri"), {}, EXACT, EXACT),
    # torch's Adam on the kernel's gradients: the runs differ by kernel rounding only
    "example_torch": (_torch_example, ("wp.from_torch", "wp.to_torch", "wp.stream_from_torch",
                                       "wp.launch(adjoint=True)"), {},
                      Tolerance(1e-5), Tolerance(1e-5)),
    "example_cupy": (_cupy_example, ("CuPy/NumPy arrays as launch arguments",), {},
                     EXACT, EXACT),
}

PARAMS = list(CASES)

_warp_results: dict = {}


def warp_results(name: str, warp_examples, ported_dir, device="cpu") -> dict:
    """Warp's state after the example ``name`` (run under Warp on the CPU, or stored: then
    Warp's own CUDA run for a GPU ``device`` where one was stored)."""
    mode, source = warp_examples
    if mode == "stored":
        return source.results(name, device)
    if name not in _warp_results:
        drive = DRIVERS[name]
        _warp_results[name] = drive(load_warp_example(name, "warp", ported_dir), "cpu")
    return _warp_results[name]


@pytest.mark.parametrize("name", PARAMS)
def test_example_state_matches_warp(name, device, ported_dir, warp_examples):
    drive, _, tolerances, cpu_tol, cuda_tol = CASES[name]
    framework_needed(name, device)
    want = warp_results(name, warp_examples, ported_dir, device)
    got = drive(load_warp_example(name, "numba_warp", ported_dir), device)
    # (the per-array tolerances are the CPU's; on CUDA one tolerance covers every array)
    assert_agrees(got, want, tolerances if device == "cpu" else {},
                  cpu_tol if device == "cpu" else cuda_tol, f"{name} on {device}")


def _spin_lock(module, device):
    """The example's own check (raises unless every thread got the lock once), then the
    example's kernel launched directly on 4096 threads."""
    module.test_spinlock(device)
    wp = module.wp
    arrays = [wp.zeros(1, dtype=int, device=device) for _ in range(3)]
    wp.launch(module.test_spinlock_counter, dim=4096, inputs=arrays, device=device)
    return dict(zip(("counter", "atomic_counter", "lock"), (a.numpy() for a in arrays)))


def test_spin_lock_example(device, ported_dir, warp_examples):
    name = "example_spin_lock"
    want = warp_results(name, warp_examples, ported_dir)
    got = _spin_lock(load_warp_example(name, "numba_warp", ported_dir), device)
    assert_agrees(got, want, {}, EXACT, "spin lock")
    assert want["counter"][0] == 4096


def _drain_queue(module, device):
    """The example's kernel and struct on a queue whose buffer holds ``capacity`` items
    (the example's own test function allocates 4096 for a capacity of 8192: see below)."""
    wp = module.wp
    capacity = 8192
    queue = module.WorkQueue()
    queue.capacity = capacity
    queue.head = wp.array([0], dtype=int, device=device)
    queue.tail = wp.array([4096], dtype=int, device=device)
    items = np.concatenate([np.arange(4096), np.full(4096, -1)]).astype(np.int32)
    queue.buffer = wp.array(items, dtype=int, device=device)
    wp.launch(module.process_queue, dim=1024, inputs=[queue], device=device)
    wp.synchronize()
    return {"head": queue.head.numpy(), "tail": queue.tail.numpy(),
            "buffer": queue.buffer.numpy()}


def test_work_queue_example(device, ported_dir, warp_examples, capfd):
    name = "example_work_queue"
    want = warp_results(name, warp_examples, ported_dir)
    got = _drain_queue(load_warp_example(name, "numba_warp", ported_dir), device)
    capfd.readouterr()  # the kernel prints a line per item
    assert want["head"][0] == want["tail"][0] == 8192
    if device == "cpu":
        # 1024 threads run serially on both CPUs (below cpu_parallel_threshold): same order
        assert_agrees(got, want, {}, EXACT, f"{name} on {device}")
    else:
        # on a GPU the example's queue races (a dequeuer may read a slot before its
        # enqueuer wrote it, and then enqueues one more item), under Warp as here
        assert got["head"][0] == got["tail"][0] >= 8192


def test_work_queue_example_overrun_is_reported_in_debug_mode(device, ported_dir, warp_examples,
                                                              monkeypatch, capfd):
    """Warp's example allocates 4096 items for a queue of capacity 8192 and writes past the
    buffer's end. Under Warp (release) that corrupts memory silently; numba_warp's debug
    mode names the write, at the example's own line."""
    module = load_warp_example("example_work_queue", "numba_warp", ported_dir)
    monkeypatch.setattr(module.wp.config, "mode", "debug")
    with pytest.raises(IndexError) as info:
        module.test_work_queue(device)
    capfd.readouterr()
    lines = pathlib.Path(module.__file__).read_text().splitlines()
    line = lines.index("            queue.buffer[index] = item") + 1
    text = str(info.value)
    assert "queue.buffer[4096]" in text and "shape (4096,)" in text
    assert f'File "{module.__file__}", line {line}, in enqueue' in text


#: how each example's state is read (Warp's side and ours)
DRIVERS = {name: case[0] for name, case in CASES.items()}
DRIVERS["example_spin_lock"] = _spin_lock
DRIVERS["example_work_queue"] = _drain_queue
