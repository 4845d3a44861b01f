"""Launching from several Python threads at once: results are right on every device and
under each of Numba's threading layers, in a fresh interpreter per layer: omp, tbb (the
``tbb`` package of the test extra) and workqueue (not thread-safe: it aborts the
interpreter on concurrent parallel regions, so it is used in turns;
runtime/cpu_schedule.run_cpu). A layer that cannot be loaded here is skipped."""

import os
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

import numba_warp as wp


@wp.kernel
def add_one(a: wp.array(dtype=float)):
    i = wp.tid()
    a[i] = a[i] + 1.0


def _launch_from_threads(device, threads=4, launches=40, n=20000):
    arrays = [wp.zeros(n, dtype=float, device=device) for _ in range(threads)]
    errors = []

    def work(a):
        try:
            for _ in range(launches):
                wp.launch(add_one, n, inputs=[a], device=device)
        except Exception as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)

    workers = [threading.Thread(target=work, args=(a,)) for a in arrays]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    wp.synchronize_device(device)
    return errors, [a.numpy() for a in arrays]


def test_launches_from_several_python_threads(device):
    errors, results = _launch_from_threads(device)
    assert not errors
    for r in results:
        np.testing.assert_array_equal(r, 40.0)


_WORKQUEUE_SCRIPT = textwrap.dedent("""
    import sys, threading
    sys.path.insert(0, {tests!r})
    import numpy as np
    import numba, numba_warp as wp
    from runtime.test_threads import _launch_from_threads
    errors, results = _launch_from_threads("cpu")
    assert not errors, errors
    assert all(np.all(r == 40.0) for r in results)
    print(numba.threading_layer())
""")


@pytest.mark.parametrize("layer", ["workqueue", "omp", "tbb"])
def test_concurrent_launches_under_each_threading_layer(layer):
    # without the turns, the workqueue layer aborts with "Concurrent access has been
    # detected"; pip's tbb puts libtbb in <prefix>/lib, off the loader's path
    tests = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    libs = os.path.join(sys.prefix, "lib")
    env = dict(os.environ, NUMBA_THREADING_LAYER=layer, NUMBA_NUM_THREADS="4",
               LD_LIBRARY_PATH=os.pathsep.join(
                   p for p in (libs, os.environ.get("LD_LIBRARY_PATH")) if p))
    run = subprocess.run([sys.executable, "-c", _WORKQUEUE_SCRIPT.format(tests=tests)],
                         env=env, capture_output=True, text=True, timeout=300)
    if run.returncode != 0 and "No threading layer could be loaded" in run.stderr:
        pytest.skip(f"Numba's {layer} layer cannot be loaded here")
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip().splitlines()[-1] == layer
