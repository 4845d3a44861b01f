"""wp.ScopedTimer and activity timing (timing_begin/timing_end/timing_print), with Warp
1.19's output: ``"<name> took <ms> ms"``, four spaces of indent per enclosing printing
timer, ``dict`` accumulation, ``synchronize`` waiting for the GPUs."""

from __future__ import annotations

import re
import time

import numpy as np
import pytest

import numba_warp as wp
from numba_warp.runtime import timing


@wp.kernel
def bump(a: wp.array(dtype=float)):
    i = wp.tid()
    a[i] = a[i] + 1.0


def test_prints_name_took_ms(capsys):
    with wp.ScopedTimer("step") as t:
        time.sleep(0.01)
    out = capsys.readouterr().out
    assert re.fullmatch(r"step took \d+\.\d\d ms\n", out)
    assert isinstance(t.elapsed, float) and t.elapsed >= 9.0  # milliseconds
    assert out == f"step took {t.elapsed:.2f} ms\n"


def test_nesting_indents_printing_timers_only(capsys):
    with wp.ScopedTimer("outer"):
        with wp.ScopedTimer("inner"):
            pass
        with wp.ScopedTimer("quiet", print=False):
            with wp.ScopedTimer("inner2"):
                pass
    lines = capsys.readouterr().out.splitlines()
    assert [ln.split(" took ")[0] for ln in lines] == ["    inner", "    inner2", "outer"]


def test_dict_accumulates_and_extra_msg(capsys):
    d = {}
    for _ in range(2):
        with wp.ScopedTimer("a", dict=d, print=False) as t:
            pass
    assert len(d["a"]) == 2 and d["a"][-1] == t.elapsed
    with wp.ScopedTimer("m") as m:
        m.extra_msg = "(3 steps)"
    assert capsys.readouterr().out.endswith(" ms (3 steps)\n")


def test_inactive_and_disabled(capsys, monkeypatch):
    d = {}
    with wp.ScopedTimer("off", active=False, dict=d) as t:
        pass
    assert t.elapsed == 0.0 and d == {"off": []}
    monkeypatch.setattr(wp.ScopedTimer, "enabled", False)
    with wp.ScopedTimer("all_off") as t2:
        pass
    assert not t2.active and t2.elapsed == 0.0
    assert capsys.readouterr().out == ""


def test_synchronize_waits_before_and_after(monkeypatch):
    calls = []
    monkeypatch.setattr(timing, "_synchronize_all", lambda: calls.append(1))
    with wp.ScopedTimer("s", synchronize=True, print=False):
        assert len(calls) == 1
    assert len(calls) == 2


def test_detailed_profiles(capsys):
    with wp.ScopedTimer("prof", detailed=True):
        sorted(range(10))
    assert "function calls" in capsys.readouterr().out


def test_nvtx_without_the_package_warns_and_times(monkeypatch):
    monkeypatch.setattr(timing, "_nvtx_warned", [False])
    try:
        import nvtx  # noqa: F401
        pytest.skip("the nvtx package is installed")
    except ImportError:
        pass
    with pytest.warns(UserWarning, match="nvtx"):
        with wp.ScopedTimer("n", use_nvtx=True, print=False) as t:
            pass
    assert t.elapsed > 0.0


def test_timer_opens_a_tape_scope():
    with wp.Tape() as tape:
        with wp.ScopedTimer("forward", print=False):
            tape.record_func(lambda: None, [wp.zeros(1, requires_grad=True, device="cpu")])
        with wp.ScopedTimer("hidden", print=False, skip_tape=True):
            pass
    assert tape.scopes == [(0, "forward", {}), (1, None, None)]


def test_activity_timing_on_cpu_is_empty(capsys):
    # Warp times CUDA activities only
    a = wp.zeros(4, dtype=float, device="cpu")
    with wp.ScopedTimer("cf", cuda_filter=wp.TIMING_ALL) as t:
        wp.launch(bump, dim=4, inputs=[a], device="cpu")
    assert t.timing_results == []
    assert capsys.readouterr().out.startswith("cf took")
    wp.timing_begin()
    assert wp.timing_end() == []
    wp.timing_print([])
    assert capsys.readouterr().out == "No activity\n"
    assert (wp.TIMING_KERNEL, wp.TIMING_KERNEL_BUILTIN, wp.TIMING_MEMCPY, wp.TIMING_MEMSET,
            wp.TIMING_GRAPH, wp.TIMING_ALL) == (1, 2, 4, 8, 16, 0xFFFFFFFF)


def test_timing_print_format(capsys):
    dev = wp.get_device("cpu")
    results = [wp.TimingResult(dev, "forward kernel k", wp.TIMING_KERNEL, 0.5),
               wp.TimingResult(dev, "memcpy HtoD", wp.TIMING_MEMCPY, 0.25),
               wp.TimingResult(dev, "forward kernel k", wp.TIMING_KERNEL, 1.0)]
    wp.timing_print(results, indent="  ")
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "  CUDA timeline:"
    assert out[4] == "      0.500000 ms | cpu     | forward kernel k"
    assert "      1.500000 ms |       2 | forward kernel k" in out
    assert "      1.750000 ms |       3 | cpu" in out


def test_gpu_activities_are_timed(gpu_device):
    a = wp.array(np.zeros(64, dtype=np.float32), device=gpu_device)
    with wp.ScopedTimer("gpu", cuda_filter=wp.TIMING_ALL, print=False) as t:
        wp.launch(bump, dim=64, inputs=[a], device=gpu_device)
        a.assign(np.ones(64, dtype=np.float32))
        a.zero_()
    names = [r.name for r in t.timing_results]
    assert f"forward kernel {bump.key}" in names
    assert "memcpy HtoD" in names and "memset" in names
    assert all(r.elapsed >= 0.0 and r.device == gpu_device for r in t.timing_results)
    with wp.ScopedTimer("k", cuda_filter=wp.TIMING_KERNEL, print=False) as t2:
        wp.launch(bump, dim=64, inputs=[a], device=gpu_device)
        a.zero_()
    assert [r.filter for r in t2.timing_results] == [wp.TIMING_KERNEL]
