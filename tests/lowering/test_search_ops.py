"""``wp.lower_bound`` (``lowering/search_ops.py``) against a brute-force search with
Warp 1.19's edge results (array.h: the search runs over ``[begin, end - 1]``, so a value
above every element gives ``end - 1``), on seeded sorted arrays with ties, and against
Warp itself where it is installed."""

import numpy as np
import pytest

import numba_warp as wp


@wp.kernel
def search(arr: wp.array(dtype=float), values: wp.array(dtype=float), begin: int, end: int,
           whole: wp.array(dtype=int), part: wp.array(dtype=int)):
    i = wp.tid()
    whole[i] = wp.lower_bound(arr, values[i])
    part[i] = wp.lower_bound(arr, begin, end, values[i])


def _expected(arr, values, begin, end):
    out = []
    for v in values:
        hits = [i for i in range(begin, end) if arr[i] >= v]
        out.append(hits[0] if hits and hits[0] < end - 1 else max(begin, end - 1))
    return np.array(out, dtype=np.int32)


def test_lower_bound_matches_brute_force(device):
    rng = np.random.default_rng(7)
    arr = np.sort(np.round(rng.random(37), 1)).astype(np.float32)  # many ties
    values = np.concatenate([arr, rng.random(40), [-1.0, 0.0, 2.0]]).astype(np.float32)
    begin, end = 5, 30
    whole = wp.zeros(len(values), dtype=int, device=device)
    part = wp.zeros(len(values), dtype=int, device=device)
    wp.launch(search, dim=len(values), device=device,
              inputs=[wp.array(arr, device=device), wp.array(values, device=device),
                      begin, end, whole, part])
    np.testing.assert_array_equal(whole.numpy(), _expected(arr, values, 0, len(arr)))
    np.testing.assert_array_equal(part.numpy(), _expected(arr, values, begin, end))
    assert wp.lower_bound(wp.array(arr, device=device), 2.0) == len(arr) - 1


def test_lower_bound_matches_warp():
    warp = pytest.importorskip("warp")
    warp.config.quiet = True
    arr = np.array([0.1, 0.2, 0.2, 0.5, 0.9], dtype=np.float32)
    values = np.array([0.0, 0.1, 0.15, 0.2, 0.6, 0.9, 1.0], dtype=np.float32)

    @warp.kernel
    def warp_search(arr: warp.array(dtype=float), values: warp.array(dtype=float),
                    whole: warp.array(dtype=int), part: warp.array(dtype=int)):
        i = warp.tid()
        whole[i] = warp.lower_bound(arr, values[i])
        part[i] = warp.lower_bound(arr, 1, 3, values[i])

    want = [warp.zeros(len(values), dtype=int, device="cpu") for _ in range(2)]
    warp.launch(warp_search, dim=len(values), device="cpu",
                inputs=[warp.array(arr, device="cpu"), warp.array(values, device="cpu"), *want])
    got = [wp.zeros(len(values), dtype=int, device="cpu") for _ in range(2)]
    wp.launch(search, dim=len(values), device="cpu",
              inputs=[wp.array(arr), wp.array(values), 1, 3, *got])
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g.numpy(), w.numpy())


def test_lower_bound_rejects_a_2d_array():
    with pytest.raises(Exception, match="1-D array"):
        wp.lower_bound(wp.zeros((2, 2), dtype=float), 0.5)
