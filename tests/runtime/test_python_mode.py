"""``wp.config.mode = "python"``: kernels run by the interpreter, thread by thread, with
the kernel's types, so that pdb, print and coverage work inside them. Each kernel here is
run compiled and in Python mode and the results compared."""

import os
import sys

import numpy as np
import pytest

import numba_warp as wp


@wp.struct
class Params:
    k: float
    offset: wp.vec3
    weights: wp.array(dtype=float)


@wp.struct
class Particle:
    x: wp.vec3
    m: float


@wp.func
def soft(v: float):
    if v < 0.0:
        return 0.0  # early return
    return v / (1.0 + v)


@wp.func
def soft(v: wp.vec3):  # noqa: F811 - an overload, chosen by the argument's type
    return wp.vec3(soft(v[0]), soft(v[1]), soft(v[2]))


@wp.func
def bump(v: wp.vec3):
    v[0] = v[0] + 100.0  # a parameter is a copy: the caller's value is unchanged
    return v


@wp.kernel
def everything(x: wp.array(dtype=float), v: wp.array(dtype=wp.vec3),
               parts: wp.array(dtype=Particle), p: Params, seed: int, n_loop: int,
               out: wp.array(dtype=float), vout: wp.array(dtype=wp.vec3),
               iout: wp.array(dtype=wp.int32), u8: wp.array(dtype=wp.uint8),
               total: wp.array(dtype=float), mout: wp.array(dtype=wp.mat33)):
    i = wp.tid()
    a = v[i]
    a[0] = 5.0  # a copy of the element: v is unchanged
    c = bump(a)
    b = soft(a + p.offset) * p.k + c * 0.0
    state = wp.rand_init(seed, i)
    r = wp.randf(state) + wp.randf(state)  # the state advances between draws
    s = float(0.0)
    k = int(0)
    while k < n_loop:
        k += 1
        if k == 2:
            continue
        s = s + wp.sin(x[i] * float(k))
        if s > 1.5:
            break
    out[i] = wp.sin(x[i]) * 2.0 + soft(x[i]) + r + p.weights[i] + s
    vout[i] = b + parts[i].x * parts[i].m
    parts[i].m = parts[i].m + 1.0  # a field of an array element, written in place
    iout[i] = wp.int32(2147483647) + wp.int32(i) * wp.int32(3)  # wraps around
    u8[i] = wp.uint8(250) + wp.uint8(i * 3)
    wp.atomic_add(total, 0, x[i])
    loc = wp.zeros(shape=3, dtype=float)
    for j in range(3):
        loc[j] = float(j) * x[i]
    total[1] += loc[2]
    q = wp.quat_from_axis_angle(wp.normalize(wp.vec3(1.0, 2.0, 3.0)), x[i])
    m = wp.quat_to_matrix(q) * 2.0
    mout[i] = wp.transpose(m) @ wp.diag(wp.vec3(1.0, 2.0, x[i]))


def _run(device, n=7):
    rng = np.random.default_rng(1)
    x = wp.array(rng.uniform(-1, 2, n).astype(np.float32), device=device)
    v = wp.array(rng.uniform(-1, 1, (n, 3)).astype(np.float32), dtype=wp.vec3, device=device)
    parts = wp.zeros(n, dtype=Particle, device=device)
    pn = parts.numpy()
    pn["x"] = rng.uniform(-1, 1, (n, 3))
    pn["m"] = rng.uniform(1, 2, n)
    parts = wp.array(pn, dtype=Particle, device=device)
    p = Params()
    p.k = 2.0
    p.offset = wp.vec3(1.0, 0.0, -1.0)
    p.weights = wp.array(np.linspace(0, 1, n).astype(np.float32), device=device)
    outs = [wp.zeros(n, device=device), wp.zeros(n, dtype=wp.vec3, device=device),
            wp.zeros(n, dtype=wp.int32, device=device), wp.zeros(n, dtype=wp.uint8, device=device),
            wp.zeros(2, device=device), wp.zeros(n, dtype=wp.mat33, device=device)]
    wp.launch(everything, n, inputs=[x, v, parts, p, 7, 4, *outs], device=device)
    return [o.numpy() for o in outs] + [parts.numpy()["m"], v.numpy(), p.weights.numpy()]


def test_python_mode_matches_compiled(device, monkeypatch):
    compiled = _run(device)
    monkeypatch.setattr(wp.config, "mode", "python")
    interpreted = _run(device)
    for got, want in zip(interpreted, compiled):
        if want.dtype.kind in "iub":
            np.testing.assert_array_equal(got, want)
        else:
            np.testing.assert_allclose(got, want, rtol=2e-6, atol=2e-6)


@wp.kernel
def grid(a: wp.array2d(dtype=int)):
    i, j = wp.tid()
    a[i, j] = 10 * i + j


@wp.kernel
def leading(lead: wp.array(dtype=int)):
    k = wp.tid()  # in a 2-D launch: the leading coordinate, as Warp
    wp.atomic_add(lead, k, 1)


def test_multi_dimensional_tid(device, monkeypatch):
    monkeypatch.setattr(wp.config, "mode", "python")
    a = wp.zeros((2, 3), dtype=int, device=device)
    lead = wp.zeros(2, dtype=int, device=device)
    wp.launch(grid, (2, 3), inputs=[a], device=device)
    wp.launch(leading, (2, 3), inputs=[lead], device=device)
    np.testing.assert_array_equal(a.numpy(), [[0, 1, 2], [10, 11, 12]])
    np.testing.assert_array_equal(lead.numpy(), [3, 3])


@wp.kernel
def read_past_end(a: wp.array(dtype=float), out: wp.array(dtype=float)):
    i = wp.tid()
    out[i] = a[i + 1]


def test_out_of_bounds_raises_at_the_users_line(monkeypatch):
    monkeypatch.setattr(wp.config, "mode", "python")
    a = wp.zeros(3)
    with pytest.raises(IndexError, match=r"index 3 is out of bounds for axis 0 of array 'a'") \
            as info:
        wp.launch(read_past_end, 3, inputs=[a, wp.zeros(3)])
    frames = [(f.filename, f.lineno) for f in __import__("traceback").extract_tb(
        info.value.__traceback__)]
    line = read_past_end.func.__code__.co_firstlineno + 3  # (the decorator's line + 3)
    assert (__file__, line) in frames
    assert any("thread (2,)" in note for note in info.value.__notes__)


@wp.kernel
def traced(a: wp.array(dtype=float)):
    i = wp.tid()
    if i % 2 == 0:
        a[i] = 1.0
    else:
        a[i] = 2.0
    breakpoint()


def test_breakpoint_and_tracing_stop_in_the_kernels_own_frame(monkeypatch):
    """``breakpoint()`` stops in the kernel's frame with its variables (what pdb shows),
    and a trace function (what coverage uses) sees the kernel's own lines."""
    monkeypatch.setattr(wp.config, "mode", "python")
    seen = []
    monkeypatch.setattr(sys, "breakpointhook",
                        lambda: seen.append(dict(sys._getframe(1).f_locals)))
    lines = set()

    def tracer(frame, event, arg):
        if frame.f_code.co_filename == __file__ and event == "line":
            lines.add(frame.f_lineno)
        return tracer

    a = wp.zeros(4)
    sys.settrace(tracer)
    try:
        wp.launch(traced, 4, inputs=[a])
    finally:
        sys.settrace(None)
    assert [s["i"] for s in seen] == [0, 1, 2, 3]
    assert seen[1]["a"][1] == 2.0
    first = traced.func.__code__.co_firstlineno
    assert {first + 2, first + 3, first + 4, first + 6, first + 7} <= lines  # (not 'else:')
    np.testing.assert_array_equal(a.numpy(), [1, 2, 1, 2])


@wp.kernel
def printing(a: wp.array(dtype=wp.vec3)):
    i = wp.tid()
    print(a[i] * 2.0)


def test_print_in_python_mode(capsys, monkeypatch):
    monkeypatch.setattr(wp.config, "mode", "python")
    wp.launch(printing, 2, inputs=[wp.array([[1, 2, 3], [4, 5, 6]], dtype=wp.vec3)])
    assert capsys.readouterr().out.split("\n")[:2] == ["[2.0, 4.0, 6.0]", "[8.0, 10.0, 12.0]"]


@wp.kernel(module="unique", module_options={"mode": "python"})
def by_module_option(a: wp.array(dtype=float)):
    i = wp.tid()
    a[i] = float(i) / 3.0


def test_module_option_selects_python_mode():
    a = wp.zeros(3)
    wp.launch(by_module_option, 3, inputs=[a])
    np.testing.assert_allclose(a.numpy(), np.arange(3, dtype=np.float32) / np.float32(3))
    assert a.numpy().dtype == np.float32


def test_unknown_mode_is_refused(monkeypatch):
    with pytest.raises(ValueError, match="'release', 'debug', 'python'"):
        wp.config.mode = "interpreted"
    assert wp.config.mode == "release"


@wp.kernel
def square(x: wp.array(dtype=float), y: wp.array(dtype=float)):
    i = wp.tid()
    y[i] = x[i] * x[i]


def test_tape_records_python_mode_launches(device, monkeypatch):
    """The forward pass runs in the interpreter; the backward pass is the compiled one."""
    monkeypatch.setattr(wp.config, "mode", "python")
    x = wp.array([1.0, 2.0, 3.0], dtype=float, requires_grad=True, device=device)
    y = wp.zeros(3, requires_grad=True, device=device)
    tape = wp.Tape()
    with tape:
        wp.launch(square, 3, inputs=[x], outputs=[y], device=device)
    tape.backward(grads={y: wp.ones(3, device=device)})
    np.testing.assert_allclose(y.numpy(), [1, 4, 9])
    np.testing.assert_allclose(x.grad.numpy(), [2, 4, 6])


# -- geometry queries: the geometry tests' own kernels (compiled once for both) ----------

def _cloud(n=48):
    rng = np.random.default_rng(3)
    return rng.uniform(0, 1, (n, 3)).astype(np.float32)


def _hash_grid_counts():
    from geometry.test_hash_grid import count_while  # (hash_grid_query and its next)

    pts = wp.array(_cloud(), dtype=wp.vec3, device="cpu")
    grid = wp.HashGrid(8, 8, 8, device="cpu")
    grid.build(pts, 0.3)
    counts = wp.zeros(len(pts), dtype=int, device="cpu")
    sums = wp.zeros(len(pts), dtype=int, device="cpu")
    wp.launch(count_while, len(pts), inputs=[grid.id, pts, 0.3, counts, sums], device="cpu")
    return counts.numpy(), sums.numpy()


def _mesh_and_bvh_queries():
    from geometry.test_bvh import visit_all
    from geometry.test_mesh import face_queries, point_queries, ray_queries

    verts = np.array([[-1, -1, 0], [2, -1, 0], [-1, 2, 0], [2, 2, 0.5], [0.5, 0.5, 1.5]],
                     np.float32)
    faces = np.array([0, 1, 2, 1, 3, 2, 0, 1, 4, 1, 3, 4, 3, 2, 4, 2, 0, 4])
    mesh = wp.Mesh(points=wp.array(verts, dtype=wp.vec3, device="cpu"),
                   indices=wp.array(faces, dtype=int, device="cpu"))
    xs = wp.array(_cloud(16) * 2 - 0.5, dtype=wp.vec3, device="cpu")
    dirs = wp.array(np.tile([[0.1, 0.2, -1.0]], (16, 1)).astype(np.float32), dtype=wp.vec3,
                    device="cpu")
    out = [wp.zeros((16, 10), device="cpu"), wp.zeros((16, 9), device="cpu"),
           wp.zeros((3, 16, 6), dtype=int, device="cpu"),
           wp.zeros((4, 16, 16), dtype=int, device="cpu")]
    wp.launch(point_queries, 16, inputs=[mesh.id, xs, out[0]], device="cpu")
    wp.launch(ray_queries, 16, inputs=[mesh.id, xs, dirs, -1, out[1]], device="cpu")
    wp.launch(face_queries, 16, inputs=[mesh.id, xs, xs, 0.7, out[2]], device="cpu")
    lo = wp.array(_cloud(16) - 0.1, dtype=wp.vec3, device="cpu")
    bvh = wp.Bvh(lo, wp.array(_cloud(16) + 0.1, dtype=wp.vec3, device="cpu"))
    wp.launch(visit_all, 16, inputs=[bvh.id, lo, lo, dirs, 0.3, -1, out[3]], device="cpu")
    return [o.numpy() for o in out]


def test_hash_grid_queries_in_python_mode(monkeypatch):
    compiled = _hash_grid_counts()
    monkeypatch.setattr(wp.config, "mode", "python")
    interpreted = _hash_grid_counts()
    assert compiled[0].sum() > len(compiled[0])  # neighbours found
    for got, want in zip(interpreted, compiled):
        np.testing.assert_array_equal(got, want)


@pytest.mark.skipif(not wp.get_cuda_device_count() and not os.environ.get("NUMBA_WARP_LONG"),
                    reason="compiles every query's Python-mode form (~1 min): run where a "
                           "GPU is present (16 cores) or with NUMBA_WARP_LONG=1")
def test_mesh_and_bvh_queries_in_python_mode(monkeypatch):
    """Every mesh and BVH query (point, sign variants, furthest point, ray, any-hit,
    intersection count, AABB, sphere, BVH box/ray/sphere/capsule, Warp's output-argument
    forms) gives in Python mode what it gives compiled."""
    compiled = _mesh_and_bvh_queries()
    monkeypatch.setattr(wp.config, "mode", "python")
    interpreted = _mesh_and_bvh_queries()
    assert compiled[1][:, 0].sum() > 0 and compiled[2].sum() > 0 and compiled[3].sum() > 0
    for got, want in zip(interpreted, compiled):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


def test_python_mode_needs_cpu_structures(device, monkeypatch):
    if device == "cpu":
        pytest.skip("the structures are on the CPU")
    from geometry.test_hash_grid import count_while

    pts = wp.array(_cloud(), dtype=wp.vec3, device=device)
    grid = wp.HashGrid(8, 8, 8, device=device)
    grid.build(pts, 0.3)
    monkeypatch.setattr(wp.config, "mode", "python")
    counts, sums = wp.zeros(len(pts), dtype=int, device=device), \
        wp.zeros(len(pts), dtype=int, device=device)
    with pytest.raises(RuntimeError, match="device='cpu'"):
        wp.launch(count_while, len(pts), inputs=[grid.id, pts, 0.3, counts, sums],
                  device=device)


@wp.func
def which(v: float):
    return 32


@wp.func
def which(v: wp.float64):  # noqa: F811 - an overload
    return 64


@wp.kernel
def pick_overloads(a: wp.array(dtype=wp.float64), b: wp.array(dtype=float),
                   out: wp.array(dtype=int)):
    i = wp.tid()
    out[0] = which(a[i])  # a NumPy float64 (a Python float subclass) picks float64
    out[1] = which(b[i])
    out[2] = which(1.5)  # a literal is a float32


def test_overloads_are_chosen_by_the_values_types(monkeypatch):
    monkeypatch.setattr(wp.config, "mode", "python")
    out = wp.zeros(3, dtype=int)
    wp.launch(pick_overloads, 1, inputs=[wp.zeros(1, dtype=wp.float64), wp.zeros(1), out])
    assert out.numpy().tolist() == [64, 32, 32]


@wp.kernel
def shift(a: wp.array(dtype=wp.vec3), d: wp.vec3):
    i = wp.tid()
    a[i] = a[i] + d


def test_a_tuple_for_a_vector_parameter(monkeypatch):
    monkeypatch.setattr(wp.config, "mode", "python")
    a = wp.zeros(2, dtype=wp.vec3, device="cpu")
    wp.launch(shift, 2, inputs=[a, (1.0, 2.0, 3.0)], device="cpu")
    np.testing.assert_array_equal(a.numpy(), [[1, 2, 3], [1, 2, 3]])
