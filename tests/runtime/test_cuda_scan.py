"""runtime/cuda_scan.py: the block-cooperative prefix sums of integer arrays on a GPU
(wp.utils.array_scan's and the hash grid build's), against NumPy: on the GPU when there
is one, in numba-cuda's simulator (a subprocess) and compiled to PTX everywhere."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import numba_warp as wp
from numba_warp.runtime import cuda_scan

KERNELS = ("_tile_sums", "_scan_sums", "_scan_tiles")


@pytest.mark.parametrize("element", ["int32", "int64"])
def test_kernels_compile_to_ptx(element, cuda_backend_installed):
    from numba import cuda

    cuda_scan.bind()
    for name in KERNELS:
        fn = getattr(cuda_scan, name)
        ptx, _ = cuda.compile_ptx(fn, cuda_scan.signature(fn, element), cc=(9, 0))
        assert ".entry" in ptx and "bar.sync" in ptx


def test_kernels_in_the_cuda_simulator():
    # one tile and a bit (two blocks), both modes
    code = textwrap.dedent("""
        import numpy as np
        from numba import cuda
        from numba_warp.runtime import cuda_scan as cs
        cs.cuda = cuda
        cs._block_exclusive = cuda.jit(device=True)(cs._block_exclusive_py)
        n = cs.TILE + 300
        x = np.random.default_rng(1).integers(-9, 1000, n).astype(np.int32)
        tiles = 2
        sums = cuda.to_device(np.zeros(tiles, np.int64))
        dx, out = cuda.to_device(x), cuda.device_array_like(x)
        k1, k2, k3 = (cuda.jit(f) for f in (cs._tile_sums, cs._scan_sums, cs._scan_tiles))
        k1[tiles, cs.THREADS](dx, n, sums)
        host_sums = sums.copy_to_host()
        full = np.cumsum(x, dtype=np.int32)
        for fused in (True, False):  # (the tiles add up the totals before them, or k2 does)
            for inclusive in (0, 1):
                sums, total = cuda.to_device(host_sums), cuda.to_device(np.zeros(1, np.int64))
                if not fused:
                    k2[1, cs.THREADS](sums, tiles, total)
                k3[tiles, cs.THREADS](dx, n, sums, total if fused else total[:0], inclusive,
                                      out, out)
                want = full if inclusive else np.concatenate([[0], full[:-1]]).astype(np.int32)
                assert (out.copy_to_host() == want).all(), (fused, inclusive)
                assert total.copy_to_host()[0] == x.astype(np.int64).sum(), fused
        print("ok")
    """)
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="1")
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, timeout=600)
    assert run.returncode == 0 and run.stdout.strip().endswith("ok"), run.stderr[-3000:]


@pytest.mark.parametrize("n", [1, 255, 4096, 4097, 3 * 4096 * 7 + 5,
                               (cuda_scan.FUSED_TILES + 1) * cuda_scan.TILE + 7])
@pytest.mark.parametrize("dtype", [np.int32, np.int64])
def test_array_scan_on_the_gpu_matches_numpy(gpu_device, n, dtype):
    # (int32 sums past 2**31 wrap around, as in Warp)
    x = np.random.default_rng(n).integers(-100, 2**28, n).astype(dtype)
    a = wp.array(x, device=gpu_device)
    for inclusive in (True, False):
        out = wp.empty_like(a)
        wp.utils.array_scan(a, out, inclusive=inclusive)
        full = np.cumsum(x, dtype=dtype)
        want = full if inclusive else np.concatenate([[0], full[:-1]]).astype(dtype)
        np.testing.assert_array_equal(out.numpy(), want)
    wp.utils.array_scan(a, a, inclusive=True)  # in place
    np.testing.assert_array_equal(a.numpy(), np.cumsum(x, dtype=dtype))


def test_scan_writes_a_second_output_and_the_total(gpu_device):
    n = 10000
    x = np.arange(n, dtype=np.int32) % 7
    a = wp.array(x, device=gpu_device)
    out, out2 = wp.empty_like(a), wp.empty_like(a)
    scratch = wp.zeros(cuda_scan.scratch_size(n), dtype=wp.int64, device=gpu_device)
    cuda_scan.scan(a, out, out2=out2, scratch=scratch)
    want = np.concatenate([[0], np.cumsum(x)[:-1]])
    np.testing.assert_array_equal(out.numpy(), want)
    np.testing.assert_array_equal(out2.numpy(), want)
    assert scratch.numpy()[-1] == x.sum()
