"""Make ``warp_random.npz``: Warp's own random numbers, noise and noise gradients.

Runs the kernels named in ``GOLDEN_KERNELS`` of ``tests/lowering/test_random.py`` (their
source, with ``import warp as wp``) under NVIDIA Warp on the CPU, on inputs made here, and
stores inputs and outputs. Needs warp-lang (the tests do not). Rerun from the repository
root after changing those kernels or the inputs::

    python tests/data/make_warp_random.py

Made with Warp 1.19.0.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import tempfile

import numpy as np
import warp as wp

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.join(HERE, "..", "lowering", "test_random.py")
OUT = os.path.join(HERE, "warp_random.npz")


def _warp_kernels():
    """The golden kernels' source from the test module, compiled by Warp."""
    with open(TESTS) as f:
        src = f.read()
    tree = ast.parse(src)
    names = next(ast.literal_eval(n.value) for n in tree.body if isinstance(n, ast.Assign)
                 and getattr(n.targets[0], "id", None) == "GOLDEN_KERNELS")
    lines = src.splitlines()
    parts = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name in names:
            start = node.decorator_list[0].lineno - 1
            parts.append("\n".join(lines[start:node.end_lineno]))
    module_src = "import warp as wp\n\n\n" + "\n\n\n".join(parts) + "\n"
    path = os.path.join(tempfile.mkdtemp(prefix="warp_golden_"), "warp_random_kernels.py")
    with open(path, "w") as f:
        f.write(module_src)
    spec = importlib.util.spec_from_file_location("warp_random_kernels", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return {n: getattr(mod, n) for n in names}


_SPECIAL_RANGES = {  # reversed, full-width and wrapping spans among them
    np.int32: [[-5, 7], [3, -3], [-2**31, 2**31 - 1], [0, 1], [-1000, 10**9],
               [2**31 - 2, -2**31 + 3], [7, 8], [-100, -99]],
    np.uint32: [[10, 20], [20, 10], [0, 2**32 - 1], [5, 6], [2**32 - 3, 2], [1, 0], [0, 3],
                [2**31, 2**31 + 7]],
}


def _nonzero_span(rng, n, lo, hi, dtype):
    """``n`` pairs (low, high) with high - low != 0 (mod 2**32)."""
    pairs = rng.integers(lo, hi, size=(n, 2), dtype=np.int64)
    same = (pairs[:, 0] - pairs[:, 1]) % 2**32 == 0
    pairs[same, 1] = pairs[same, 0] + 1
    special = _SPECIAL_RANGES[dtype]
    pairs[: len(special)] = special
    return pairs.astype(dtype)


def main():
    wp.config.quiet = True
    wp.init()
    k = _warp_kernels()
    rng = np.random.default_rng(20260119)
    g = {}

    n = 128
    special = np.array([0, 1, 42, -1, -7, 2**31 - 1, -2**31, 123456789], dtype=np.int64)
    seeds = rng.integers(-2**31, 2**31, size=n, dtype=np.int64)
    seeds[: len(special)] = special
    g["int_seeds"] = seeds.astype(np.int32)
    g["offsets"] = rng.integers(-2**31, 2**31, size=n, dtype=np.int64).astype(np.int32)
    g["offsets"][:4] = [0, 1, -1, 2**31 - 1]
    g["ranges"] = _nonzero_span(rng, n, -2**31, 2**31, np.int32)
    g["uranges"] = _nonzero_span(rng, n, 0, 2**32, np.uint32)
    g["lams"] = np.array([0.0, 0.3, 3.5, 9.99, 10.0, 40.0, 1234.5, -2.0], dtype=np.float32)
    out_u = wp.zeros((n, 6 + 2 * len(g["lams"])), dtype=wp.uint32)
    out_i = wp.zeros((n, 3), dtype=wp.int32)
    wp.launch(k["int_streams"], dim=n, inputs=[
        wp.array(g["int_seeds"], dtype=wp.int32), wp.array(g["offsets"], dtype=wp.int32),
        wp.array(g["ranges"], dtype=wp.int32), wp.array(g["uranges"], dtype=wp.uint32),
        wp.array(g["lams"], dtype=float), out_u, out_i])
    g["int_u"], g["int_i"] = out_u.numpy(), out_i.numpy()

    n = 64
    g["float_seeds"] = rng.integers(-2**31, 2**31, size=n, dtype=np.int64).astype(np.int32)
    g["cdf"] = np.array([0.1, 0.5, 0.5, 0.7, 1.0], dtype=np.float32)
    out = wp.zeros((n, 4), dtype=float)
    out2 = wp.zeros((n, 4), dtype=wp.vec2)
    out3 = wp.zeros((n, 5), dtype=wp.vec3)
    out_u = wp.zeros((n, 3), dtype=wp.uint32)
    wp.launch(k["float_streams"], dim=n, inputs=[
        wp.array(g["float_seeds"], dtype=wp.int32), wp.array(g["cdf"], dtype=float),
        out, out2, out3, out_u])
    g["float_f"], g["float_v2"], g["float_v3"] = out.numpy(), out2.numpy(), out3.numpy()
    g["float_u"] = out_u.numpy()

    near = rng.integers(-6, 6, size=(12, 4)).astype(np.float64)
    near[6:] += rng.choice([-1e-4, 1e-4, 0.5], size=(6, 4))
    g["pts"] = np.concatenate([rng.uniform(0.0, 12.0, size=(110, 4)),
                               rng.uniform(-12.0, 12.0, size=(50, 4)), near]).astype(np.float32)
    g["noise_seed"] = np.int32(1234)
    n = len(g["pts"])
    out = wp.zeros((n, 8), dtype=float)
    curl = wp.zeros((n, 7), dtype=wp.vec3)
    wp.launch(k["noise_values"], dim=n,
              inputs=[int(g["noise_seed"]), wp.array(g["pts"], dtype=wp.vec4), out, curl])
    g["noise"], g["curl"] = out.numpy(), curl.numpy()

    n = 48
    specs = [("x1", float, 1, -6, 6), ("x2", wp.vec2, 2, -6, 6), ("x3", wp.vec3, 3, -6, 6),
             ("x4", wp.vec4, 4, -6, 6), ("y1", float, 1, 0, 10), ("y2", wp.vec2, 2, 0, 10),
             ("y3", wp.vec3, 3, 0, 10), ("y4", wp.vec4, 4, 0, 10),
             ("c2", wp.vec2, 2, -4, 4), ("c3", wp.vec3, 3, -4, 4), ("c4", wp.vec4, 4, -4, 4),
             ("c2o", wp.vec2, 2, -4, 4), ("c3o", wp.vec3, 3, -4, 4)]
    arrays = []
    for name, dtype, dim, lo, hi in specs:
        x = rng.uniform(lo, hi, size=(n, dim) if dim > 1 else n).astype(np.float32)
        g[f"grad_{name}"] = x
        arrays.append(wp.array(x, dtype=dtype, requires_grad=True))
    out = wp.zeros((n, len(specs)), dtype=float, requires_grad=True)
    tape = wp.Tape()
    with tape:
        wp.launch(k["noise_grads"], dim=n, inputs=[int(g["noise_seed"]), *arrays, out])
    tape.backward(grads={out: wp.ones(out.shape, dtype=float)})
    g["grad_out"] = out.numpy()
    for (name, *_), a in zip(specs, arrays):
        g[f"grad_{name}_adj"] = a.grad.numpy()

    np.savez_compressed(OUT, **g)
    print(f"wrote {OUT} ({os.path.getsize(OUT)} bytes) with Warp {wp.config.version}")


if __name__ == "__main__":
    main()
