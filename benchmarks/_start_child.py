"""One fresh process of the start-up cases of ``run_all.py`` (never imported by it).

``python _start_child.py LIBRARY DEVICE CACHE_DIR [--clear]`` with LIBRARY ``numba_warp``
or ``warp``: imports the library with its kernel cache in CACHE_DIR (``--clear`` empties
Warp's first), defines the four kernels of ``_bench_kernels.py``, allocates their arrays
on DEVICE, launches each kernel once and reads the results back. It prints one JSON line
of seconds:

* ``import``: ``import LIBRARY``;
* ``define``: loading the kernels' module (decorating the four kernels);
* ``init``: allocating the arrays (device and runtime initialisation);
* ``launch``: the four first launches, synchronised, results read back (compiling, or
  loading from the kernel cache);
* ``after_import``: from the end of the import to the results (define + init + launch);

and ``modules``, the number of modules imported by then, and ``heavy_modules``, those of
:data:`HEAVY_MODULES` among them (a warm CPU start should need none).

Only the standard library is imported before the timed import.
"""

import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
#: packages a process that only launches cached kernels should not have to import
HEAVY_MODULES = ("numba.cuda", "cuda.core", "torch", "jax", "cupy", "IPython", "matplotlib")


def main():
    library, device, cache_dir = sys.argv[1:4]
    clear = "--clear" in sys.argv[4:]
    os.environ["NUMBA_WARP_CACHE_DIR"] = cache_dir
    sys.path[:0] = [os.path.dirname(HERE), HERE]
    t0 = time.perf_counter()
    lib = __import__(library)
    t1 = time.perf_counter()
    lib.config.kernel_cache_dir = cache_dir
    if library == "warp":
        lib.config.log_level = getattr(lib, "LOG_WARNING", 30)
        if clear:
            lib.clear_kernel_cache()
    t2 = time.perf_counter()
    if library == "warp":
        import _warp_twin

        kernels = _warp_twin.load(os.path.join(HERE, "_bench_kernels.py"), "bench_kernels_warp")
    else:
        import _bench_kernels as kernels
    t3 = time.perf_counter()
    import numpy as np

    n = 1024
    ones = np.ones(n, dtype=np.float32)
    a, b, c, d = (lib.array(ones, device=device) for _ in range(4))
    x, v, f = (lib.array(np.ones((n, 3), dtype=np.float32), dtype=lib.vec3, device=device)
               for _ in range(3))
    pos = lib.array(np.zeros((n, 2), dtype=np.float32), device=device)
    lib.synchronize_device(device)
    t4 = time.perf_counter()
    lib.launch(kernels.four_arrays, n, inputs=[a, b, c, d], device=device)
    lib.launch(kernels.saxpy, n, inputs=[2.0, b, c], device=device)
    lib.launch(kernels.integrate, n, inputs=[x, v, f, d, 0.01], device=device)
    lib.launch(kernels.escape_time, n, inputs=[pos, a, 16], device=device)
    results = [a.numpy(), c.numpy(), x.numpy()]
    t5 = time.perf_counter()
    # escape_time of the origin runs all 16 iterations; saxpy gives 2*1+1
    assert results[0][0] == 16.0 and results[1][0] == 3.0, results
    heavy = [m for m in HEAVY_MODULES if m in sys.modules]
    print(json.dumps({"import": t1 - t0, "define": t3 - t2, "init": t4 - t3,
                      "launch": t5 - t4, "after_import": t5 - t2,
                      "modules": len(sys.modules), "heavy_modules": heavy}))


if __name__ == "__main__":
    main()
