"""The backward pass's shortcuts through loops stay exact (see docs/perf_adjoint.md).

* A loop none of whose values the reverse pass reads before reversing it is not replayed
  before the reverse pass (a mass-spring force over CSR neighbour lists, as in
  ``benchmarks/bench_autodiff.py``, whose force is scaled by a time step after the loop);
* a product by a constant scalar (a literal, a kernel's scalar parameter) does not make the
  carried value a checkpoint (``v = v * 0.5 + x``);
* on the CPU, the reverse prefetches the elements its later iterations read (indices
  read from arrays, cast, taken modulo; 2-D arrays, arrays in structs);

and where they must not apply, they do not: a loop's value read after it by the reverse
pass or by a later loop's replay (a second running sum, a ``while`` loop's test), a
product of carried values, ``while`` loops with data-dependent trip counts, ``break``,
``continue``, a loop in a ``@wp.func``. Gradients are checked against central differences
in float64; the kernels are few and module-level (compile time).
"""

from __future__ import annotations

import numpy as np
import pytest

import numba_warp as wp
from numba_warp.autodiff.assemble import function_backward

from .gradtable import Row, check_rows, chunk_kernel

V3 = wp.array(dtype=wp.vec3d)
F64 = wp.array(dtype=wp.float64)
I32 = wp.array(dtype=wp.int32)


@wp.kernel
def springs_csr(x: V3, v: V3, start: I32, nbr: I32, rest: F64, k: wp.float64,
                dt: wp.float64, x_out: V3, v_out: V3):
    # the benchmark's kernel: trip counts read from data, the force only scaled after
    i = wp.tid()
    xi = x[i]
    f = wp.vec3d(0.0, 0.0, 0.0)
    for s in range(start[i], start[i + 1]):
        j = nbr[s]
        if j == i:
            continue
        d = x[j] - xi
        length = wp.length(d)
        f = f + d * (k * (length - rest[s]) / length)
    v1 = v[i] + f * dt
    v_out[i] = v1
    x_out[i] = xi + v1 * dt


@wp.func
def spring_force(x: V3, i: int, a: int, b: int, nbr: I32, rest: F64, k: wp.float64):
    f = wp.vec3d(0.0, 0.0, 0.0)
    for s in range(a, b):
        if nbr[s] == i:
            continue
        d = x[nbr[s]] - x[i]
        length = wp.length(d)
        f = f + d * (k * (length - rest[s]) / length)
    return f


@wp.kernel
def springs_scaled(x: V3, v: V3, start: I32, nbr: I32, rest: F64, k: wp.float64,
                   dt: wp.float64, x_out: V3, v_out: V3):
    # the force from a function; a second loop whose product (carried, and read after the
    # loop by the reverse pass) must be replayed and checkpointed
    i = wp.tid()
    xi = x[i]
    f = spring_force(x, i, start[i], start[i + 1], nbr, rest, k)
    p = wp.float64(1.0)
    for s in range(start[i], start[i + 1]):
        p = p * (0.5 + rest[s])
    v1 = v[i] + f * dt * p
    v_out[i] = v1
    x_out[i] = xi + v1 * dt


@wp.struct
class Graph:
    nbr: I32
    w: wp.array2d(dtype=wp.float64)


@wp.kernel
def gather_2d(x: V3, g: Graph, start: I32, loss: F64):
    # the reverse fetches ahead the elements of x and of g.w (a 2-D array, a struct's
    # field) its earlier iterations read, at indices cast and read from g.nbr
    i = wp.tid()
    nbr = g.nbr
    w = g.w
    acc = wp.float64(0.0)
    for s in range(start[i], start[i + 1]):
        j = wp.int32(nbr[s])
        acc = acc + w[i % 2, j] * wp.length(x[j] - x[i] + wp.vec3d(0.5, 0.0, 0.0))
    wp.atomic_add(loss, 0, acc * 0.5)


def _csr(rng, n):
    counts = rng.integers(2, 5, n)
    start = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    nbr = rng.integers(0, n, int(start[-1])).astype(np.int32)
    nbr[0] = 0  # a spring of particle 0 to itself: skipped with 'continue'
    return start, nbr


def _directional_fd(grads, vals, loss, rng, eps=1e-6):
    """The worst relative error of backward-pass gradients ``grads`` of ``loss`` at
    ``vals`` against central differences along 3 random directions."""
    worst = 0.0
    for _ in range(3):
        dirs = [rng.normal(size=np.shape(a)) for a in vals]
        fd = (loss([a + eps * d for a, d in zip(vals, dirs)]) -
              loss([a - eps * d for a, d in zip(vals, dirs)])) / (2 * eps)
        ad = sum(float(np.sum(g * d)) for g, d in zip(grads, dirs))
        assert np.isfinite(ad) and np.isfinite(fd), (ad, fd)
        worst = max(worst, abs(ad - fd) / max(1.0, abs(fd)))
    return worst


def _springs_fd(kernel, device, seed):
    """Backward-pass gradients of <wx, x_out> + <wv, v_out> in x, v and rest against
    central differences along random directions; returns the worst relative error."""
    rng = np.random.default_rng(seed)
    n = 5
    start, nbr = _csr(rng, n)
    vals = [rng.normal(size=(n, 3)), rng.normal(size=(n, 3)),
            rng.uniform(0.5, 1.5, int(start[-1]))]
    wx, wv = rng.normal(size=(n, 3)), rng.normal(size=(n, 3))
    st, nb = wp.array(start, device=device), wp.array(nbr, device=device)

    def launch(values, grad):
        xs = [wp.array(values[0], dtype=wp.vec3d, device=device, requires_grad=grad),
              wp.array(values[1], dtype=wp.vec3d, device=device, requires_grad=grad),
              wp.array(values[2], dtype=wp.float64, device=device, requires_grad=grad)]
        outs = [wp.zeros(n, dtype=wp.vec3d, device=device, requires_grad=grad)
                for _ in range(2)]
        tape = wp.Tape()
        with tape:
            wp.launch(kernel, n, inputs=[xs[0], xs[1], st, nb, xs[2], 40.0, 0.01],
                      outputs=outs, device=device)
        return xs, outs, tape

    xs, outs, tape = launch(vals, True)
    tape.backward(grads={outs[0]: wx, outs[1]: wv})
    grads = [a.grad.numpy() for a in xs]

    def loss(values):
        _, (xo, vo), _ = launch(values, False)
        return float(np.sum(wx * xo.numpy()) + np.sum(wv * vo.numpy()))

    return _directional_fd(grads, vals, loss, rng)


@pytest.mark.parametrize("seed", [0, 1])
def test_loop_not_replayed_before_its_reverse_is_exact(device, seed):
    assert "not replayed here" in springs_csr.adjoint.source
    assert "stack_alloc(" not in springs_csr.adjoint.source
    assert _springs_fd(springs_csr, device, seed) < 1e-6


@pytest.mark.parametrize("seed", [0, 1])
def test_loop_read_after_it_is_replayed_and_checkpointed(device, seed):
    # the product p is read after its loop (f * dt * p) and by its own reverse (p * r):
    # replayed and checkpointed; the force loop, inside spring_force, is not replayed
    src = springs_scaled.adjoint.source
    assert src.count("not replayed here") == 0
    assert "stack_alloc(" in src
    ov = spring_force.overloads[0]
    assert "not replayed here" in function_backward(ov.generated(), ov.params, "f").source
    assert _springs_fd(springs_scaled, device, seed) < 1e-6


def test_prefetched_reads_through_struct_fields_and_2d_arrays(device):
    src = gather_2d.adjoint.source
    assert "grad_prefetch(w, adj_w, (" in src and "grad_prefetch(x, adj_x, (" in src
    rng = np.random.default_rng(3)
    n = 6
    start, nbr = _csr(rng, n)
    vals = [rng.normal(size=(n, 3)), rng.normal(size=(2, n))]

    def launch(values, grad):
        x = wp.array(values[0], dtype=wp.vec3d, device=device, requires_grad=grad)
        g = Graph()
        g.nbr = wp.array(nbr, device=device)
        g.w = wp.array(values[1], dtype=wp.float64, device=device, requires_grad=grad)
        loss = wp.zeros(1, dtype=wp.float64, device=device, requires_grad=grad)
        tape = wp.Tape()
        with tape:
            wp.launch(gather_2d, n, inputs=[x, g, wp.array(start, device=device), loss],
                      device=device)
        return x, g, loss, tape

    x, g, loss, tape = launch(vals, True)
    tape.backward(loss)
    grads = [x.grad.numpy(), g.w.grad.numpy()]
    assert _directional_fd(grads, vals, lambda v: float(launch(v, False)[2].numpy()[0]),
                           rng) < 1e-6


# carried values scaled by constants: no checkpoint (the reverse reads only the
# constant), in each loop shape; and where the carried value is read back (a product or
# quotient of carried values, a value of the loop read after it), a checkpoint again
CASES = [
    # (name, body, whether a value is checkpointed)
    ("scaled, dynamic", ["s = {0}", "for i in range(n):", "    s = s * 0.5 + {1} * {0}",
                         "r = s * 3.0"], False),
    ("scaled by n", ["s = {0}", "for i in range(n):", "    s = n * s + {1}", "r = s"], False),
    ("divided by a literal", ["s = {0}", "for i in range(n):", "    s = s / 4.0 + {1}",
                              "r = s"], False),
    ("scaled, while", ["s = {0} * {0}", "while s < 20.0:", "    s = s * 1.5 + {1} * {1}",
                       "r = s"], False),
    # (a loop with a break counts its iterations: the counter is the checkpoint)
    ("scaled, break", ["s = {0}", "for i in range(n + 3):", "    if i == n:",
                       "        break", "    s = s * 0.5 + wp.sin({1} * {0})", "r = s"], True),
    ("scaled, continue", ["s = {0}", "for i in range(n + 1):", "    if i == 1:",
                          "        continue", "    s = 0.5 * s + {1}", "r = s * {1}"], False),
    ("scaled, nested", ["s = {0}", "for i in range(n):", "    t = s * 2.0",
                        "    for j in range(2):", "        t = t * 0.25 + {1}",
                        "    s = s + t * 0.5", "r = s"], False),
    ("carried product", ["s = {0}", "for i in range(n):", "    s = s * {1} + 0.1", "r = s"],
     True),
    ("carried dividend", ["s = {0}", "for i in range(n):", "    s = s / {1} + 0.2",
                          "r = s"], True),
    ("value from the loop after it", ["s = {0}", "t = {1}", "for i in range(n):",
                                      "    t = {1} * float(i + 1)", "    s = s + t * 0.5",
                                      "r = s * t"], False),
    # a sum's loop whose value only enters a later loop: replayed all the same, since the
    # later loop's replay reads it (for its own value after it; for a while loop's test)
    ("two loops in a row", ["s = {0}", "for i in range(n):", "    s = s + {1}",
                            "for i in range(n):", "    s = s + {1} * 0.5", "r = s * {0}"],
     False),
    ("while after a sum", ["s = {0}", "for i in range(n):", "    s = s + {1} * {1}",
                           "while s < 12.0:", "    s = s + 1.0 + {1} * {1}", "r = s + {0}"],
     False),
]
ROWS = [Row(name, ["f", "f"], "f", key=name, body=body) for name, body, _ in CASES]


def test_loop_values_are_checkpointed_and_replayed_only_when_read(device):
    for k, (row, (name, _, checkpointed)) in enumerate(zip(ROWS, CASES)):
        src = chunk_kernel(f"loop_replay_{k}", [row]).adjoint.source  # not compiled
        assert ("stack_alloc(" in src) == checkpointed, name
        assert "not replayed here" not in src, name  # every value of r is read (<r, w>)
    failures = check_rows("loop_replay_rows", ROWS, device)
    assert not failures, "\n".join(failures)
