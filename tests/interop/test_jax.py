"""wp.from_jax / wp.to_jax and the JAX device and dtype helpers (Warp 1.19's names and
meaning): buffers shared through DLPack both ways, vector dtypes from trailing
dimensions, what has no numba_warp type refused."""

import numpy as np
import pytest

import numba_warp as wp

jax = pytest.importorskip("jax", reason="JAX (pip install jax) is the peer")
jnp = pytest.importorskip("jax.numpy")


@wp.kernel
def spread(p: wp.array(dtype=wp.vec3), out: wp.array(dtype=float)):
    i = wp.tid()
    out[i] = p[i][0] + 10.0 * p[i][2]


def _jax_device(device):
    try:
        return wp.device_to_jax(device)
    except RuntimeError:
        pytest.skip(f"JAX has no device for {device} here")


def test_buffers_are_shared_both_ways(device):
    jd = _jax_device(device)
    x = jax.device_put(jnp.arange(12, dtype=jnp.float32).reshape(4, 3), jd)
    a = wp.from_jax(x, dtype=wp.vec3)
    assert a.shape == (4,) and a.dtype == wp.vec3 and a.device == wp.get_device(device)
    out = wp.zeros(4, dtype=float, device=device)
    wp.launch(spread, 4, inputs=[a, out], device=device)
    back = wp.to_jax(out)  # no copy: JAX reads what the kernel wrote
    assert np.asarray(back).tolist() == [20.0, 53.0, 86.0, 119.0]  # NVIDIA Warp's figures
    assert wp.from_jax(x).shape == (4, 3)
    v = wp.to_jax(wp.full(2, wp.vec3(1.0, 2.0, 3.0), dtype=wp.vec3, device=device))
    assert v.shape == (2, 3) and np.asarray(v)[1].tolist() == [1.0, 2.0, 3.0]


def test_dtypes_and_devices():
    assert wp.dtype_from_jax(jnp.float32) is wp.float32
    assert wp.dtype_from_jax(jnp.dtype("int64")) is wp.int64
    assert wp.dtype_to_jax(wp.uint16) == jnp.uint16
    assert wp.dtype_to_jax(wp.bool) == jnp.bool_
    assert wp.device_from_jax(jax.devices("cpu")[0]) == wp.get_device("cpu")
    assert wp.device_to_jax("cpu").platform == "cpu"
    with pytest.raises(TypeError, match="bfloat16"):
        wp.dtype_from_jax(jnp.bfloat16)
    with pytest.raises(RuntimeError, match=r"need trailing dimensions \(3,\)"):
        wp.from_jax(jnp.zeros((4, 2), jnp.float32), dtype=wp.vec3)
    with pytest.raises(RuntimeError, match=r"float64 data as vec3f"):
        wp.from_jax(np.zeros((4, 3)), dtype=wp.vec3)


def test_jax_arrays_go_straight_into_launches_read_only(device):
    jd = _jax_device(device)
    p = jax.device_put(jnp.arange(12, dtype=jnp.float32).reshape(4, 3), jd)
    out = wp.zeros(4, dtype=float, device=device)
    wp.launch(spread, 4, inputs=[p, out], device=device)
    assert out.numpy().tolist() == [20.0, 53.0, 86.0, 119.0]
    # (JAX marks its buffers read-only in both interfaces: H200, JAX 0.11)
    frozen = jax.device_put(jnp.zeros(4, jnp.float32), jd)
    with pytest.raises(Exception, match=r"argument 'out'.*is read-only memory"):
        wp.launch(spread, 4, inputs=[p, frozen], device=device)
    assert np.asarray(frozen).tolist() == [0.0] * 4
