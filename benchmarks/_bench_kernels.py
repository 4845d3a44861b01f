"""The four kernels of ``run_all.py``, written once against Warp's API.

This file is imported as is for numba_warp, and loaded again with ``warp`` in place of
``numba_warp`` for NVIDIA Warp (``_warp_twin.load``), so both libraries run the same
source. It is also the "4-kernel module" whose cold compile and warm start the start-up
cases measure (``_start_child.py``): keep it to these four kernels.
"""

import numba_warp as wp


@wp.kernel
def four_arrays(a: wp.array(dtype=float), b: wp.array(dtype=float), c: wp.array(dtype=float),
                d: wp.array(dtype=float)):
    i = wp.tid()
    a[i] = b[i] + c[i] * d[i]


@wp.kernel
def saxpy(a: float, x: wp.array(dtype=float), y: wp.array(dtype=float)):
    i = wp.tid()
    y[i] = a * x[i] + y[i]


@wp.kernel
def integrate(x: wp.array(dtype=wp.vec3), v: wp.array(dtype=wp.vec3),
              f: wp.array(dtype=wp.vec3), inv_mass: wp.array(dtype=float), dt: float):
    # semi-implicit Euler in place: 40 bytes read and 24 written per particle
    i = wp.tid()
    v1 = v[i] + (f[i] * inv_mass[i] + wp.vec3(0.0, -9.8, 0.0)) * dt
    v[i] = v1
    x[i] = x[i] + v1 * dt


@wp.kernel
def escape_time(pos: wp.array2d(dtype=float), out: wp.array(dtype=float), iters: int):
    # compute-bound with a data-dependent loop: Mandelbrot escape time per point
    i = wp.tid()
    cx = pos[i, 0]
    cy = pos[i, 1]
    # typed declarations: Warp's way to make variables a dynamic loop may reassign
    x = float(0.0)  # noqa: UP018
    y = float(0.0)  # noqa: UP018
    k = int(0)  # noqa: UP018, RUF046
    while k < iters:
        if x * x + y * y > 4.0:
            break
        x, y = x * x - y * y + cx, 2.0 * x * y + cy
        k += 1
    out[i] = float(k)
