"""wp.jax_kernel / wp.jax_callable: kernels called from JAX code (jax.jit, jax.vmap,
jax.grad), gradients against finite differences, and clear refusals. (Agreement with
NVIDIA Warp's own jax_kernel on the same program: tests/compat, prog_jax.)"""

from functools import partial

import numpy as np
import pytest

import numba_warp as wp

jax = pytest.importorskip("jax", reason="JAX (pip install jax) is the peer")
jnp = pytest.importorskip("jax.numpy")


@pytest.fixture
def x64():
    """64-bit JAX types inside the test (restored after it)."""
    before = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    yield
    jax.config.update("jax_enable_x64", before)


@wp.kernel
def wave(a: wp.array(dtype=wp.float64), b: wp.array(dtype=wp.vec3d), s: wp.float64,
         out: wp.array(dtype=wp.float64)):
    i = wp.tid()
    acc = wp.float64(0.0)
    for k in range(3):
        acc += wp.sin(a[i] * b[i][k] * s) * wp.float64(k + 1)
    out[i] = acc * acc


@wp.kernel
def triple(x: wp.array(dtype=float), y: wp.array(dtype=float)):
    i = wp.tid()
    y[i] = 3.0 * x[i]


@wp.kernel
def writes_its_input(x: wp.array(dtype=float), y: wp.array(dtype=float)):
    i = wp.tid()
    x[i] = 0.0
    y[i] = 1.0


@wp.kernel
def gather(idx: wp.array(dtype=int), x: wp.array(dtype=float), y: wp.array(dtype=float)):
    i = wp.tid()
    y[i] = x[idx[i]] * x[idx[i]]


def _jax_device(device):
    try:
        return wp.device_to_jax(device)
    except RuntimeError:
        pytest.skip(f"JAX has no device for {device} here")


def _inputs(n=12):
    rng = np.random.default_rng(3)
    return rng.uniform(-1.0, 1.0, n), rng.uniform(-1.0, 1.0, (n, 3))


def test_gradients_match_finite_differences(device, x64):
    f = wp.jax_kernel(wave, enable_backward=True)
    weights = np.linspace(0.5, 1.5, 12)

    @partial(jax.jit, static_argnames=["s"])
    def loss(a, b, s):
        return jnp.sum(f(a, b, s)[0] * weights)

    a0, b0 = _inputs()
    with jax.default_device(_jax_device(device)):
        a, b = jnp.asarray(a0), jnp.asarray(b0)
        da, db = jax.grad(loss, argnums=(0, 1))(a, b, 0.7)
        h = 1e-6
        for x0, grad, which in ((a0, da, 0), (b0, db, 1)):
            fd = np.zeros_like(x0)
            for k in np.ndindex(x0.shape):
                up, dn = x0.copy(), x0.copy()
                up[k] += h
                dn[k] -= h
                args_up = (up, b0) if which == 0 else (a0, up)
                args_dn = (dn, b0) if which == 0 else (a0, dn)
                fd[k] = (float(loss(*args_up, 0.7)) - float(loss(*args_dn, 0.7))) / (2 * h)
            np.testing.assert_allclose(np.asarray(grad), fd, rtol=1e-6, atol=1e-8)


def test_vmap_methods_agree_with_a_loop(device):
    f = wp.jax_kernel(triple)
    with jax.default_device(_jax_device(device)):
        batch = jnp.arange(24, dtype=jnp.float32).reshape(3, 8)
        want = np.stack([np.asarray(f(row)[0]) for row in batch])
        for method in ("broadcast_all", "expand_dims", "sequential"):
            got = jax.jit(jax.vmap(lambda r, m=method: f(r, vmap_method=m)[0]))(batch)
            np.testing.assert_array_equal(np.asarray(got), want)
        np.testing.assert_array_equal(want, 3.0 * np.arange(24).reshape(3, 8))


def test_integer_inputs_get_no_gradient(device):
    f = wp.jax_kernel(gather, enable_backward=True)
    with jax.default_device(_jax_device(device)):
        idx = jnp.array([2, 0, 2, 1], dtype=jnp.int32)
        x = jnp.array([1.0, 2.0, 3.0], dtype=jnp.float32)
        dx = jax.grad(lambda x: jnp.sum(f(idx, x, launch_dims=None)[0]))(x)
    np.testing.assert_allclose(np.asarray(dx), [2.0, 4.0, 12.0])  # 2 x per use


def test_callable_with_output_dims():
    def halves(x: wp.array(dtype=float), lo: wp.array(dtype=float), hi: wp.array(dtype=float)):
        n = lo.shape[0]
        wp.copy(lo, x, count=n)
        wp.copy(hi, x, src_offset=n, count=n)

    f = wp.jax_callable(halves, num_outputs=2, output_dims={"lo": 3, "hi": (3,)})
    lo, hi = jax.jit(f)(jnp.arange(6, dtype=jnp.float32))
    assert np.asarray(lo).tolist() == [0.0, 1.0, 2.0]
    assert np.asarray(hi).tolist() == [3.0, 4.0, 5.0]


def test_bad_calls_are_refused_clearly(x64):
    f = wp.jax_kernel(triple)
    with pytest.raises(TypeError, match=r"argument 'x' holds float64, expected float32"):
        f(jnp.zeros(4, dtype=jnp.float64))
    with pytest.raises(TypeError, match=r"argument 'x' has shape \(4, 2\), expected 1 dim"):
        f(jnp.zeros((4, 2), dtype=jnp.float32))
    with pytest.raises(ValueError, match=r"expected 1 inputs \(x\), got 2"):
        f(jnp.zeros(4, jnp.float32), jnp.zeros(4, jnp.float32))
    g = wp.jax_kernel(wave)
    with pytest.raises(ValueError, match=r"argument 's' must be a static value.*static_argn"):
        jax.jit(g)(jnp.zeros(4), jnp.zeros((4, 3)), 0.5)
    with pytest.raises(TypeError, match=r"argument 'b' has shape \(4, 2\).*then \(3,\)"):
        g(jnp.zeros(4), jnp.zeros((4, 2)), 0.5)
    with pytest.raises(ValueError, match=r"writes input 'x'.*in_out_argnames=\['x'\]"):
        wp.jax_kernel(writes_its_input)
    with pytest.raises(ValueError, match=r"num_outputs=3"):
        wp.jax_kernel(triple, num_outputs=3)
    with pytest.raises(ValueError, match=r"'nope', which is not a parameter"):
        wp.jax_kernel(triple, in_out_argnames=["nope"])
    with pytest.raises(NotImplementedError, match=r"in_out_argnames.*enable_backward"):
        wp.jax_kernel(writes_its_input, in_out_argnames=["x"], num_outputs=2,
                      enable_backward=True)
    with pytest.raises(TypeError, match=r"expects a @wp.kernel"):
        wp.jax_kernel(lambda x: x)


def test_in_out_arguments_return_their_update():
    f = wp.jax_kernel(writes_its_input, num_outputs=2, in_out_argnames=["x"])
    x = jnp.full(3, 5.0, dtype=jnp.float32)
    x_new, y = jax.jit(f)(x)
    assert np.asarray(x_new).tolist() == [0.0] * 3 and np.asarray(y).tolist() == [1.0] * 3
    assert np.asarray(x).tolist() == [5.0] * 3  # the input itself is not touched


@wp.kernel
def add_arrays(a: wp.array(dtype=float), b: wp.array(dtype=float), y: wp.array(dtype=float)):
    i = wp.tid()
    y[i] = a[i] + b[i]


def test_vmap_over_a_later_argument_only():
    # expand_dims gives the unbatched first argument a size-1 batch dimension: the batch
    # is the broadcast of every argument's
    f = wp.jax_kernel(add_arrays)
    a = jnp.arange(4, dtype=jnp.float32)
    batch = jnp.arange(12, dtype=jnp.float32).reshape(3, 4)
    want = np.asarray(batch) + np.arange(4)
    for method in ("broadcast_all", "expand_dims", "sequential"):
        got = jax.vmap(lambda b, m=method: f(a, b, vmap_method=m)[0])(batch)
        np.testing.assert_array_equal(np.asarray(got), want)
