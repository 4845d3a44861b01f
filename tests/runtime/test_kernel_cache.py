"""Compiled kernels are kept on disk and reused by a later process."""

import os
import subprocess
import sys
import textwrap
import time

import pytest

SCRIPT = textwrap.dedent(
    """
    import sys
    import numpy as np
    import numba_warp as wp

    device = sys.argv[1]

    @wp.struct
    class Sample:
        weight: float
        index: wp.int32

    @wp.kernel
    def cached_axpy(a: float, x: wp.array(dtype=float), y: wp.array(dtype=float),
                    s: wp.array(dtype=Sample)):
        i = wp.tid()
        y[i] = a * x[i] + y[i] * s[i].weight + float(s[i].index)

    x = wp.array(np.arange(8, dtype=np.float32), device=device)
    y = wp.ones(8, dtype=float, device=device)
    s = wp.array([Sample(weight=1.0, index=0)] * 8, dtype=Sample, device=device)
    wp.launch(cached_axpy, dim=8, inputs=[3.0, x, y, s], device=device)
    assert np.allclose(y.numpy(), 3 * np.arange(8) + 1)
    print("stats", cached_axpy.cache_stats["disk_hits"], cached_axpy.cache_stats["compiled"])
    """
)


def _runner(tmp_path, script_text, cache):
    script = tmp_path / "user_program.py"
    script.write_text(script_text)
    env = dict(os.environ, NUMBA_WARP_CACHE_DIR=str(cache))
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")

    def run(*args, with_stdout=False):
        out = subprocess.run([sys.executable, str(script), *args], env=env, capture_output=True,
                             text=True, timeout=300)
        assert out.returncode == 0, out.stderr
        line = [ln for ln in out.stdout.splitlines() if ln.startswith("stats")][0]
        stats = tuple(int(v) for v in line.split()[1:])
        return (stats, out.stderr, out.stdout) if with_stdout else (stats, out.stderr)

    return run


@pytest.mark.slow
def test_second_process_loads_compiled_kernel(tmp_path, device):
    cache = tmp_path / "cache"
    run = _runner(tmp_path, SCRIPT, cache)
    assert run(device) == ((0, 1), "")  # first process compiles
    assert run(device) == ((1, 0), "")  # second process loads it from disk
    generated = list(cache.rglob("kernel_cached_axpy_*.py"))
    assert len(generated) == 1
    text = generated[0].read_text()
    assert "def cached_axpy_body" in text and "# globals bound at load time:" in text

    # a damaged cache (garbage index files, truncated data files) is rebuilt, not fatal
    damaged = 0
    for f in cache.rglob("*.nbi"):
        f.write_bytes(b"garbage")
        damaged += 1
    for f in cache.rglob("*.nbc"):
        f.write_bytes(f.read_bytes()[:50])
        damaged += 1
    assert damaged >= 2
    stats, err = run(device)
    assert stats == (0, 1) and "damaged kernel cache entry" in err and \
        "recompiled and replaced" in err
    assert run(device) == ((1, 0), "")  # ... and replaced on disk


FUNCTIONS_SCRIPT = textwrap.dedent(
    """
    import sys
    import numpy as np
    import numba_warp as wp

    device = sys.argv[1]


    @wp.struct
    class Params:
        scale: float
        weights: wp.array(dtype=float)


    @wp.func
    def weight(w: wp.array(dtype=float), i: int):  # a function taking an array
        return w[i]


    @wp.func
    def scaled(p: Params, x: float):  # taking a struct, calling a function taking an array
        return p.scale * x * weight(p.weights, 0)


    @wp.func
    def cube(x: float):
        return x * x * x


    @wp.func
    def outer(p: Params, x: float):  # nested calls
        return scaled(p, cube(x))


    @wp.func
    def shifted(x: float, w: wp.array(dtype=float)):
        return x * w[1]


    @wp.func
    def last_weight(w: wp.array(dtype=float)):  # called by a custom gradient only
        return weight(w, w.shape[0] - 1)


    @wp.func_grad(shifted)
    def adj_shifted(x: float, w: wp.array(dtype=float), adj_ret: float):
        wp.adjoint[x] += adj_ret * last_weight(w)  # a custom gradient calling a function


    @wp.func
    def read_slot(ids: wp.array(dtype=int), tid: int):
        return ids[tid]


    @wp.func
    def next_slot(counter: wp.array(dtype=int), ids: wp.array(dtype=int), tid: int):
        slot = wp.atomic_add(counter, 0, 1)
        ids[tid] = slot
        return slot


    @wp.func_replay(next_slot)
    def replay_next_slot(counter: wp.array(dtype=int), ids: wp.array(dtype=int), tid: int):
        return read_slot(ids, tid)  # a custom replay calling a function


    @wp.kernel
    def everything(p: Params, x: wp.array(dtype=float), counter: wp.array(dtype=int),
                   ids: wp.array(dtype=int), y: wp.array(dtype=float)):
        i = wp.tid()
        slot = next_slot(counter, ids, i)
        y[slot] = outer(p, x[slot]) + shifted(x[slot], p.weights)


    n = 4
    p = Params()
    p.scale = 0.5
    p.weights = wp.array([2.0, 3.0, 5.0], dtype=float, device=device)
    xs = np.arange(1, n + 1, dtype=np.float32) * 0.5
    x = wp.array(xs, dtype=float, device=device, requires_grad=True)
    counter = wp.zeros(1, dtype=int, device=device)
    ids = wp.zeros(n, dtype=int, device=device)
    y = wp.zeros(n, dtype=float, device=device, requires_grad=True)
    with wp.Tape() as tape:
        wp.launch(everything, n, inputs=[p, x, counter, ids, y], device=device)
    tape.backward(grads={y: wp.ones(n, dtype=float, device=device)})
    assert np.allclose(y.numpy(), xs**3 + 3 * xs), y.numpy()
    assert np.allclose(x.grad.numpy(), 3 * xs**2 + 5), x.grad.numpy()
    assert counter.numpy()[0] == n  # the replay did not count again
    print("grads", *x.grad.numpy().tolist())
    print("stats", everything.cache_stats["disk_hits"], everything.cache_stats["compiled"])


    @wp.kernel
    def late(w: wp.array(dtype=float), out: wp.array(dtype=float)):
        out[0] = last_weight(w) + weight(w, 0)


    if "late" in sys.argv:  # compiled after the cached kernels linked `last_weight` in
        out = wp.zeros(1, dtype=float, device=device)
        wp.launch(late, 1, inputs=[p.weights, out], device=device)
        assert out.numpy()[0] == 7.0, out.numpy()
    """
)


@pytest.mark.slow
def test_cached_kernels_link_functions_of_every_kind(tmp_path, device):
    """A kernel and its backward pass that call functions taking arrays and structs,
    nested functions, a custom gradient and a custom replay that call functions of their
    own: a second process loads both from disk (every generated module they link in is
    importable by name there) and gets the same gradients; a kernel compiled afterwards
    in that process calls a function whose module was imported that way."""
    run = _runner(tmp_path, FUNCTIONS_SCRIPT, tmp_path / "cache")
    stats, err, out = run(device, with_stdout=True)
    assert (stats, err) == ((0, 2), "")  # forward and backward compiled
    stats, err, again = run(device, "late", with_stdout=True)
    assert (stats, err) == ((2, 0), "")  # both loaded from disk, no damaged entries
    grads = [ln for ln in out.splitlines() if ln.startswith("grads")]
    assert grads and grads == [ln for ln in again.splitlines() if ln.startswith("grads")]


@pytest.mark.slow
def test_unwritable_cache_directory_compiles_in_memory(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a directory")
    run = _runner(tmp_path, SCRIPT, blocker / "cache")  # cannot be created
    stats, err = run("cpu")
    assert stats == (0, 1)
    assert "cannot be written" in err and "NUMBA_WARP_CACHE_DIR" in err


def test_old_builds_are_pruned(tmp_path, monkeypatch):
    import numba_warp as wp
    from numba_warp.runtime import cache

    monkeypatch.setattr(wp.config, "kernel_cache_dir", str(tmp_path))
    monkeypatch.setattr(cache, "_usable", {})
    stale = tmp_path / "build-0.0.1-0123456789abcdef"
    recent = tmp_path / "build-0.0.2-0123456789abcdef"
    mine = tmp_path / "my_notes"
    for d in (stale, recent, mine):
        d.mkdir()
    old = time.time() - (cache.PRUNE_AFTER_DAYS + 1) * 86400
    os.utime(stale, (old, old))
    current = cache.cache_dir()
    assert current.parent == tmp_path and current.name.startswith("build-")
    assert not stale.exists() and recent.exists() and mine.exists()


def test_clear_kernel_cache(tmp_path, monkeypatch):
    import numba_warp as wp
    from numba_warp.runtime import cache

    monkeypatch.setattr(wp.config, "kernel_cache_dir", str(tmp_path))
    monkeypatch.setattr(cache, "_usable", {})
    (tmp_path / "stale.py").write_text("# stale")
    (cache.cache_dir() / "kernel_x.py").write_text("# generated")
    (tmp_path / "user_file.txt").write_text("not ours")
    wp.clear_kernel_cache()
    assert [p.name for p in tmp_path.iterdir()] == ["user_file.txt"]


# -- cache keys see every dependency ----------------------------------------------------

def _make_scale(s):
    @wp_mod().func
    def scale(x: float):
        return x * s

    return scale


def wp_mod():
    import numba_warp as wp

    return wp


@pytest.mark.parametrize("cache_kernels", [True, False])
def test_functions_from_one_factory_keep_their_closure_values(device, cache_kernels,
                                                               monkeypatch):
    wp = wp_mod()
    monkeypatch.setattr(wp.config, "cache_kernels", cache_kernels)
    f1, f2 = _make_scale(1.0), _make_scale(2.0)
    assert f1 is not f2

    @wp.kernel
    def use_f1(a: wp.array(dtype=float)):
        a[0] = f1(3.0)

    @wp.kernel
    def use_f2(a: wp.array(dtype=float)):
        a[0] = f2(3.0)

    a = wp.zeros(1, dtype=float, device=device)
    b = wp.zeros(1, dtype=float, device=device)
    wp.launch(use_f1, 1, [a], device=device)
    wp.launch(use_f2, 1, [b], device=device)
    assert a.numpy()[0] == 3.0 and b.numpy()[0] == 6.0


def test_overloads_still_join_in_one_scope(device):
    wp = wp_mod()

    @wp.func
    def pick(x: float):
        return x + 1.0

    @wp.func
    def pick(x: int):  # noqa: F811 - an overload, as in Warp
        return x * 10

    @wp.kernel
    def use_pick(a: wp.array(dtype=float), b: wp.array(dtype=int)):
        a[0] = pick(1.0)
        b[0] = pick(2)

    a = wp.zeros(1, dtype=float, device=device)
    b = wp.zeros(1, dtype=int, device=device)
    wp.launch(use_pick, 1, [a, b], device=device)
    assert a.numpy()[0] == 2.0 and b.numpy()[0] == 20


EDIT_SCRIPT = textwrap.dedent(
    """
    import sys
    import numba_warp as wp

    device = sys.argv[1]
    SCALE = float(sys.argv[2])
    C = wp.constant(@CONST@)

    @wp.func
    def weight(m: float):
        return m * @LITERAL@

    @wp.func
    def scaled(m: float):
        return weight(m) * SCALE + C

    @wp.kernel
    def edited(a: wp.array(dtype=float)):
        a[0] = scaled(2.0)

    @wp.kernel
    def untouched(a: wp.array(dtype=float)):
        a[0] = 7.0

    a = wp.zeros(1, dtype=float, device=device)
    wp.launch(edited, 1, [a], device=device)
    wp.launch(untouched, 1, [a], device=device)
    b = wp.zeros(1, dtype=float, device=device)
    wp.launch(edited, 1, [b], device=device)
    print("value", b.numpy()[0], "untouched_hits", untouched.cache_stats["disk_hits"])
    """
)


@pytest.mark.slow
def test_edits_inside_functions_recompile_across_processes(tmp_path, device):
    """A literal, a global read from sys.argv and a wp.constant inside a @wp.func, each
    changed between two runs of a program, give new values (the kernel calling them is
    recompiled), while an unchanged kernel keeps coming from the disk cache."""
    script = tmp_path / "user_program.py"
    env = dict(os.environ, NUMBA_WARP_CACHE_DIR=str(tmp_path / "cache"))
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")

    def run(literal, const, scale):
        script.write_text(EDIT_SCRIPT.replace("@LITERAL@", literal).replace("@CONST@", const))
        script.with_suffix(".pyc").unlink(missing_ok=True)
        out = subprocess.run([sys.executable, str(script), device, scale], env=env,
                             capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stderr
        words = out.stdout.split()
        return float(words[words.index("value") + 1]), int(words[-1])

    assert run("9.81", "3.0", "1.0") == (pytest.approx(2 * 9.81 + 3.0), 0)
    assert run("1.62", "3.0", "1.0") == (pytest.approx(2 * 1.62 + 3.0), 1)  # literal
    assert run("1.62", "3.0", "2.0") == (pytest.approx(2 * 1.62 * 2 + 3.0), 1)  # argv
    assert run("1.62", "5.0", "2.0") == (pytest.approx(2 * 1.62 * 2 + 5.0), 1)  # constant
