"""``wp.indexedarray``: construction and checks, Python-scope methods, and kernels that
read, write and update elements through the indices.

Expected values marked "Warp 1.19" were printed by NVIDIA Warp 1.19.0 (CPU) for the same
program (run under ``import warp as wp`` and under numba_warp).
"""

from __future__ import annotations

import numpy as np
import pytest

import numba_warp as wp


@wp.kernel
def read_write_update(a: wp.indexedarray(dtype=float), out: wp.array(dtype=float)):
    i = wp.tid()
    out[i] = a[i] + float(a.shape[0]) + a[-1] + float(len(a))
    a[i] = a[i] * 10.0
    a[i] += 1.0
    wp.atomic_add(a, i, 0.5)


@wp.kernel
def gather_2d(a: wp.indexedarray2d(dtype=float), out: wp.array2d(dtype=float)):
    i, j = wp.tid()
    out[i, j] = a[i, j]


@wp.kernel
def bump_vectors(a: wp.indexedarray[wp.vec3]):
    i = wp.tid()
    a[i] += wp.vec3(1.0, 1.0, 1.0)


@wp.func
def indexed_value(a: wp.indexedarray(dtype=float), i: int) -> float:
    return a[i]


@wp.kernel
def through_function(a: wp.indexedarray(dtype=float), out: wp.array(dtype=float)):
    i = wp.tid()
    out[i] = indexed_value(a, i)


def test_kernel_reads_writes_and_atomics_go_through_indices(device):
    data = wp.array(np.arange(10, dtype=np.float32), device=device)
    ia = wp.indexedarray(data, wp.array([1, 3, 5, 7], dtype=int, device=device))
    out = wp.zeros(4, device=device)
    wp.launch(read_write_update, 4, inputs=[ia, out], device=device)
    # Warp 1.19 (without the len() term, which Warp kernels do not have for indexed arrays)
    np.testing.assert_array_equal(out.numpy(), [12 + 4, 14 + 4, 16 + 4, 18 + 4])
    np.testing.assert_array_equal(data.numpy(),
                                  [0, 11.5, 2, 31.5, 4, 51.5, 6, 71.5, 8, 9])  # Warp 1.19
    wp.launch(through_function, 4, inputs=[ia, out], device=device)
    np.testing.assert_array_equal(out.numpy(), [11.5, 31.5, 51.5, 71.5])


def test_two_dimensional_views(device):
    d2 = wp.array(np.arange(12, dtype=np.float32).reshape(3, 4), device=device)
    rows = wp.indexedarray2d(d2, [wp.array([2, 0], dtype=int, device=device), None])
    assert rows.shape == (2, 4) and rows.size == 8 and rows.ndim == 2
    np.testing.assert_array_equal(rows.numpy(), [[8, 9, 10, 11], [0, 1, 2, 3]])
    cols = wp.indexedarray(d2, [None, wp.array([3, 1], dtype=int, device=device)])
    np.testing.assert_array_equal(cols.numpy(), [[3, 1], [7, 5], [11, 9]])
    out = wp.zeros((2, 4), device=device)
    wp.launch(gather_2d, (2, 4), inputs=[rows, out], device=device)
    np.testing.assert_array_equal(out.numpy(), rows.numpy())
    cols.fill_(-1.0)  # Warp 1.19
    np.testing.assert_array_equal(d2.numpy(), [[0, -1, 2, -1], [4, -1, 6, -1],
                                               [8, -1, 10, -1]])
    rows.assign(np.full((2, 4), 7.0, np.float32))
    np.testing.assert_array_equal(d2.numpy(), [[7] * 4, [4, -1, 6, -1], [7] * 4])


def test_copies_clones_and_arithmetic(device):
    data = wp.array(np.arange(6, dtype=np.float32), device=device)
    ia = wp.indexedarray1d(data, [wp.array([5, 0, 2], dtype=int, device=device)])
    c = wp.clone(ia)
    assert isinstance(c, wp.array) and c.numpy().tolist() == [5, 0, 2]
    z = wp.zeros(3, device=device)
    wp.copy(z, ia)
    assert z.numpy().tolist() == [5, 0, 2]
    wp.copy(ia, wp.array([1.0, 2.0, 3.0], dtype=float, device=device))
    assert data.numpy().tolist() == [2, 1, 3, 3, 4, 1]
    assert (ia * 2.0).numpy().tolist() == [2, 4, 6]
    ia += 1.0
    assert data.numpy().tolist() == [3, 1, 4, 3, 4, 2]
    assert wp.empty_like(ia).shape == (3,) and ia.to(device) is ia
    assert ia.list() == [2.0, 3.0, 4.0] and len(ia) == 3
    with pytest.raises(RuntimeError, match="indexed"):
        wp.copy(z, ia, count=2)


def test_vector_elements(device):
    v = wp.array(np.arange(12, dtype=np.float32).reshape(4, 3), dtype=wp.vec3, device=device)
    iv = wp.indexedarray(v, wp.array([3, 0], dtype=int, device=device))
    np.testing.assert_array_equal(iv.numpy(), [[9, 10, 11], [0, 1, 2]])
    iv.fill_(wp.vec3(1.0, 2.0, 3.0))
    wp.launch(bump_vectors, 2, inputs=[iv], device=device)
    np.testing.assert_array_equal(v.numpy(), [[2, 3, 4], [3, 4, 5], [6, 7, 8], [2, 3, 4]])
    iv.zero_()
    assert v.numpy()[0].tolist() == [0, 0, 0]


def test_annotations_and_bad_construction():
    ann = wp.indexedarray(dtype=float, ndim=2)
    assert ann.ndim == 2 and ann.device is None and ann.dtype is wp.float32
    assert wp.indexedarray[wp.vec3, 3].ndim == 3
    assert wp.indexedarray4d(dtype=float).ndim == 4
    data = wp.zeros(4, device="cpu")
    with pytest.raises(ValueError, match="int32"):
        wp.indexedarray(data, wp.array([0, 1], dtype=wp.int64, device="cpu"))
    with pytest.raises(ValueError, match="one-dimensional"):
        wp.indexedarray(data, wp.zeros((2, 2), dtype=int, device="cpu"))
    with pytest.raises(ValueError, match="2 index arrays"):
        wp.indexedarray(data, [None, None])
    with pytest.raises(ValueError, match="dtype"):
        wp.indexedarray(data, dtype=wp.float64)
    with pytest.raises(ValueError, match="wp.array"):
        wp.indexedarray(np.zeros(3))


def test_launch_checks_and_gradients(device):
    data = wp.array([1.0, 2.0, 3.0], dtype=float, device=device, requires_grad=True)
    ia = wp.indexedarray(data, wp.array([2, 0], dtype=int, device=device))
    out = wp.zeros(2, device=device, requires_grad=True)
    with pytest.raises(Exception, match="expects wp.indexedarray"):
        wp.launch(through_function, 2, inputs=[data, out], device=device)
    tape = wp.Tape()
    with tape:
        wp.launch(through_function, 2, inputs=[ia, out], device=device)
    assert out.numpy().tolist() == [3.0, 1.0]
    # Warp drops gradients through indexed arrays without a word: here it is an error
    with pytest.raises(Exception, match="indexedarray"):
        tape.backward(grads={out: wp.ones(2, device=device)})


@wp.struct
class Particle:
    mass: float
    vel: wp.vec2


def test_fill_with_a_struct(device):
    data = wp.zeros(4, dtype=Particle, device=device)
    ia = wp.indexedarray(data, wp.array([1, 3], dtype=int, device=device))
    p = Particle()
    p.mass = 2.0
    p.vel = wp.vec2(1.0, 3.0)
    ia.fill_(p)
    assert data.numpy()["mass"].tolist() == [0.0, 2.0, 0.0, 2.0]
    assert data.numpy()["vel"].tolist() == [[0, 0], [1, 3], [0, 0], [1, 3]]
