"""Kernels called from JAX: wp.jax_kernel and wp.jax_callable under jax.jit, jax.vmap and
jax.grad.

A Warp program (written for this suite, in Warp's public API, with JAX). ``run`` calls
kernels from JAX code in each way Warp documents: one output, several outputs with vector
elements and a static scalar, an in-out argument, explicit launch dimensions, batched
under ``jax.vmap``, a Python function of arrays through ``jax_callable``, and gradients
of a loss through a differentiable kernel (``enable_backward=True``) with a loop, under
``jax.jit`` of ``jax.grad``. It returns every result as NumPy arrays.
"""

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import warp as wp


@wp.kernel
def triple(x: wp.array(dtype=float), y: wp.array(dtype=float)):
    i = wp.tid()
    y[i] = 3.0 * x[i]


@wp.kernel
def drift(x: wp.array(dtype=wp.vec3), v: wp.array(dtype=wp.vec3), dt: float,
          x_new: wp.array(dtype=wp.vec3), speed: wp.array(dtype=float)):
    i = wp.tid()
    x_new[i] = x[i] + v[i] * dt
    speed[i] = wp.length(v[i])


@wp.kernel
def accumulate(x: wp.array(dtype=float), total: wp.array(dtype=float)):
    i = wp.tid()
    total[i] = total[i] + x[i] * x[i]


@wp.kernel
def series(a: wp.array(dtype=float), b: wp.array(dtype=float), s: float,
           out: wp.array(dtype=float)):
    i = wp.tid()
    u = a[i] * s + b[i]
    term = float(1.0)
    acc = float(0.0)
    for k in range(4):
        acc += term / float(k + 1)
        term = term * u
    out[i] = acc * wp.sin(a[i])


def _scale_sum(x: wp.array(dtype=float), y: wp.array(dtype=float)):
    wp.launch(triple, dim=x.shape, inputs=[x], outputs=[y], device=x.device)
    wp.launch(accumulate, dim=x.shape, inputs=[x, y], device=x.device)


def run(device, n):
    out = {}
    jax_triple = wp.jax_kernel(triple)
    jax_drift = wp.jax_kernel(drift, num_outputs=2)
    jax_acc = wp.jax_kernel(accumulate, num_outputs=1, in_out_argnames=["total"])
    jax_short = wp.jax_kernel(triple, launch_dims=(n - 2,))
    jax_series = wp.jax_kernel(series, enable_backward=True)
    jax_scale_sum = wp.jax_callable(_scale_sum)

    @jax.jit
    def forward(x, p, v, total):
        (y,) = jax_triple(x)
        x_new, speed = jax_drift(p, v, 0.25)
        (total_new,) = jax_acc(x, total)
        (short,) = jax_short(x)
        (ss,) = jax_scale_sum(x)
        return y, x_new, speed, total_new, short, ss

    @partial(jax.jit, static_argnames=["s"])
    def loss(a, b, s):
        return jnp.sum(jax_series(a, b, s)[0] ** 2)

    with jax.default_device(wp.device_to_jax(device)):
        x = jnp.linspace(-1.0, 2.0, n, dtype=jnp.float32)
        p = jnp.arange(3 * n, dtype=jnp.float32).reshape(n, 3) * 0.1
        v = jnp.cos(p)
        total = jnp.full(n, 0.5, dtype=jnp.float32)
        names = ("y", "x_new", "speed", "total_new", "short", "scale_sum")
        out.update(zip(names, forward(x, p, v, total)))
        batch = jnp.stack([x, 2.0 * x, x - 1.0])
        out["vmap"] = jax.jit(jax.vmap(lambda r: jax_triple(r)[0]))(batch)
        a = jnp.linspace(-0.5, 0.5, n, dtype=jnp.float32)
        b = jnp.linspace(0.3, 0.1, n, dtype=jnp.float32)
        out["series"] = jax_series(a, b, 0.75)[0]
        out["loss"] = loss(a, b, 0.75)
        out["da"], out["db"] = jax.jit(jax.grad(loss, argnums=(0, 1)), static_argnames=["s"])(
            a, b, 0.75)
    return {k: np.asarray(v) for k, v in out.items()}
