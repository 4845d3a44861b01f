"""``wp.cast`` reinterprets bits, as Warp 1.19's does (expected values printed by NVIDIA
Warp 1.19 for the same kernel)."""

import pytest

import numba_warp as wp


@wp.kernel
def casts(f: wp.array(dtype=float), i: wp.array(dtype=wp.int32), u: wp.array(dtype=wp.uint32),
          h: wp.array(dtype=wp.int16), d: wp.array(dtype=wp.int64)):
    f[0] = wp.cast(wp.int32(0x40000000), wp.float32)
    i[0] = wp.cast(1.0, wp.int32)  # a float literal is a float32
    u[0] = wp.cast(wp.int32(-1), wp.uint32)
    h[0] = wp.cast(wp.float16(2.0), wp.int16)
    d[0] = wp.cast(wp.float64(1.5), wp.int64)


def test_cast_reinterprets_bits_in_kernels(device):
    out = [wp.zeros(1, dtype=t, device=device)
           for t in (float, wp.int32, wp.uint32, wp.int16, wp.int64)]
    wp.launch(casts, 1, inputs=out, device=device)
    assert [a.numpy()[0].item() for a in out] == [2.0, 1065353216, 4294967295, 16384,
                                                    4609434218613702656]


def test_cast_at_python_scope():
    assert wp.cast(wp.int32(0x40000000), wp.float32) == 2.0
    assert wp.cast(wp.float32(1.0), wp.int32) == 1065353216
    assert wp.cast(wp.float64(-0.0), wp.uint64) == 1 << 63
    assert wp.cast(wp.vec2h(1.0, 2.0), wp.uint32) == 0x40003C00  # a vector's bytes
    with pytest.raises(TypeError, match="same size"):
        wp.cast(wp.vec3(1.0, 2.0, 3.0), wp.int32)
    with pytest.raises(TypeError, match="same size"):
        wp.cast(wp.float64(1.0), wp.int32)
    assert float(wp.cast(wp.uint16(0x3C00), wp.float16)) == 1.0
