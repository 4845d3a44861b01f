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

    def run(*args):
        out = subprocess.run([sys.executable, str(script), *args], env=env, capture_output=True,
                             text=True, timeout=300)
        assert out.returncode == 0, out.stderr
        line = [ln for ln in out.stdout.splitlines() if ln.startswith("stats")][0]
        return tuple(int(v) for v in line.split()[1:]), out.stderr

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
