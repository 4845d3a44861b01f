"""Compiled kernels are kept on disk and reused by a later process."""

import os
import subprocess
import sys
import textwrap

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


@pytest.mark.slow
def test_second_process_loads_compiled_kernel(tmp_path, device):
    script = tmp_path / "user_program.py"
    script.write_text(SCRIPT)
    env = dict(os.environ, NUMBA_WARP_CACHE_DIR=str(tmp_path / "cache"))
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")

    def run():
        out = subprocess.run([sys.executable, str(script), device], env=env, capture_output=True,
                             text=True, timeout=300)
        assert out.returncode == 0, out.stderr
        line = [ln for ln in out.stdout.splitlines() if ln.startswith("stats")][0]
        return tuple(int(v) for v in line.split()[1:])

    assert run() == (0, 1)  # first process compiles
    assert run() == (1, 0)  # second process loads it from disk
    generated = list((tmp_path / "cache").glob("kernel_cached_axpy_*.py"))
    assert len(generated) == 1
    assert "def cached_axpy_body" in generated[0].read_text()


def test_clear_kernel_cache(tmp_path, monkeypatch):
    import numba_warp as wp

    monkeypatch.setattr(wp.config, "kernel_cache_dir", str(tmp_path))
    (tmp_path / "stale.py").write_text("# stale")
    wp.clear_kernel_cache()
    assert list(tmp_path.iterdir()) == []
