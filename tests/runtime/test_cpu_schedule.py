"""Parallel CPU launches (docs/perf_cpu.md): above ``wp.config.cpu_parallel_threshold``
threads a team of ``wp.config.cpu_threads`` threads claims chunks of thread ids
dynamically. Every id must run exactly once, whatever the launch's size (not a multiple
of the chunk), rank (1-D to 4-D) and team size, and the settings apply from the next
launch on. The same launches run on every device; thread settings only matter on the CPU.
"""

import numba
import numpy as np
import pytest

import numba_warp as wp
from numba_warp.runtime import cpu_schedule


@wp.kernel
def count_visits(hits: wp.array4d(dtype=wp.int32)):
    i, j, k, l = wp.tid()  # in a launch of lower rank, the missing indices are 0
    wp.atomic_add(hits, i, j, k, l, 1)


@wp.kernel
def write_ids(out: wp.array4d(dtype=wp.int32)):
    i, j, k, l = wp.tid()
    out[i, j, k, l] = ((i * out.shape[1] + j) * out.shape[2] + k) * out.shape[3] + l


# sizes above the default threshold (8192); none is a multiple of a chunk
DIMS = [(3 * 8192 + 7,), (101, 83), (13, 17, 61), (5, 7, 11, 29)]


def _thread_counts():
    top = cpu_schedule.max_threads()
    return sorted({1, 2 if top >= 2 else 1, top}) + [None]


@pytest.mark.parametrize("dims", DIMS, ids=lambda d: f"{len(d)}d")
def test_every_thread_runs_once_for_each_team_size(device, dims):
    hits = wp.zeros(tuple(dims) + (1,) * (4 - len(dims)), dtype=wp.int32, device=device)
    counts = _thread_counts()
    for threads in counts:  # the setting changes between launches
        wp.config.cpu_threads = threads
        try:
            wp.launch(count_visits, dim=dims, inputs=[hits], device=device)
        finally:
            wp.config.cpu_threads = None
    got = hits.numpy()
    assert got.min() == got.max() == len(counts), np.flatnonzero(got != len(counts))[:10]


@pytest.mark.parametrize("shape", [(1, 1, 1, 3), (3, 1, 2, 1), (7, 5, 3, 11), (2, 9, 8, 64)])
def test_4d_ids_unravel_under_chunking(device, shape, monkeypatch):
    # threshold 1: every launch runs in parallel, also ones with fewer ids than threads
    monkeypatch.setattr(wp.config, "cpu_parallel_threshold", 1)
    out = wp.full(shape, -1, dtype=wp.int32, device=device)
    wp.launch(write_ids, dim=shape, inputs=[out], device=device)
    np.testing.assert_array_equal(out.numpy(), np.arange(np.prod(shape)).reshape(shape))


def test_a_launch_leaves_numbas_thread_count_as_it_was():
    top = cpu_schedule.max_threads()
    hits = wp.zeros((20000, 1, 1, 1), dtype=wp.int32, device="cpu")
    numba.set_num_threads(top)
    try:
        wp.config.cpu_threads = 1
        wp.launch(count_visits, dim=20000, inputs=[hits], device="cpu")
        assert numba.get_num_threads() == top
        if top > 1:  # None follows numba.set_num_threads
            numba.set_num_threads(top - 1)
            wp.config.cpu_threads = None
            wp.launch(count_visits, dim=20000, inputs=[hits], device="cpu")
            assert numba.get_num_threads() == top - 1
    finally:
        wp.config.cpu_threads = None
        numba.set_num_threads(top)
    assert (hits.numpy() == (2 if top > 1 else 1)).all()


@pytest.mark.parametrize("value", [0, -1, 10**6, 2.0, "4", True])
def test_cpu_threads_must_be_an_allowed_count(value):
    with pytest.raises(ValueError, match=r"cpu_threads must be None .*NUMBA_NUM_THREADS"):
        wp.config.cpu_threads = value
    assert wp.config.cpu_threads is None  # unchanged


@pytest.mark.parametrize("value", [-1, 1.5, None])
def test_cpu_parallel_threshold_must_be_a_count(value):
    before = wp.config.cpu_parallel_threshold
    with pytest.raises(ValueError, match="cpu_parallel_threshold must be an int >= 0"):
        wp.config.cpu_parallel_threshold = value
    assert wp.config.cpu_parallel_threshold == before


def test_cpu_settings_accept_numpy_ints(monkeypatch):
    monkeypatch.setattr(wp.config, "cpu_threads", np.int64(1))
    monkeypatch.setattr(wp.config, "cpu_parallel_threshold", np.int32(100))
    assert cpu_schedule.SETTINGS[cpu_schedule.THREADS] == 1
    assert cpu_schedule.SETTINGS[cpu_schedule.THRESHOLD] == 100


def test_a_kernel_of_few_heavy_threads_sets_its_own_parallel_threshold():
    # the CPU refit gives each thread a whole subtree (256 of them): below the default
    # threshold (8192 threads) it would run on one thread
    from numba_warp.geometry import lbvh

    assert "_wp_team_threads(_wp_n, 2)" in lbvh._refit_subtrees.source
    assert "_wp_team_threads(_wp_n, _wp_setting(" in lbvh._refit_top.source
