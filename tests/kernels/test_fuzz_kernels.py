"""Random kernels: expression trees over scalars and vec3 values (arithmetic, wp.sin/cos/
abs/sqrt/exp/min/max/where/clamp, dot/cross/length), `if`/`elif`/`else`, static and dynamic
loops, `while` with `break`, `for` with `continue`, `@wp.func` calls with an early return,
mat33 and quaternion algebra, atomics, int32/uint8/int64 expressions that wrap around.

References: NVIDIA Warp running the same float32 program (where warp-lang is installed);
the same kernel run by the interpreter (``wp.config.mode = "python"``) for
every output, in float32 and in float64 (where the two must agree to rounding); a NumPy
twin of the core outputs (float64, int32 wrap-around). On machines without a GPU the suite
also compiles each kernel to PTX (conftest.py). The float64 variant is differentiated with
``wp.Tape`` and compared with PyTorch's autodiff of the twin (every thread; where torch is
installed) and with central differences of the kernel itself.

Kernels are written to content-named files beside the kernel cache (as the gradient
tables are), so a seed always gives the same kernel and cache entries. The CI run checks
``NUMBA_WARP_FUZZ_KERNELS`` seeds (default 3; the first third also in float64: compared
with Python mode and differentiated); run more by hand.
"""

import hashlib
import os
import random
from types import SimpleNamespace

import numpy as np
import pytest

import numba_warp as wp
from generated_sources import import_source

SEEDS = range(int(os.environ.get("NUMBA_WARP_FUZZ_KERNELS", "3")))
N = 257  # threads (odd: not a multiple of anything)
OUTPUTS = 4
EXTRAS = 3  # outputs of the statements checked against Python mode only


def _numpy_ops():
    """The array library a program's twin is evaluated with (``e["ops"]``): NumPy here,
    PyTorch in :func:`_torch_ops` (the reference autodiff)."""
    return SimpleNamespace(
        sin=np.sin, cos=np.cos, abs=np.abs, sqrt=np.sqrt, exp=np.exp, where=np.where,
        clamp=np.clip, minimum=np.minimum, maximum=np.maximum, relu=lambda a: np.maximum(a, 0.0),
        full=lambda c: np.full(N, c), stack=lambda xs: np.stack(xs, -1),
        sum=lambda a: np.sum(a, -1), norm=lambda a: np.linalg.norm(a, axis=-1),
        cross=lambda a, b: np.cross(a, b), true=lambda r: np.ones_like(r, dtype=bool))


def _torch_ops(torch):
    return SimpleNamespace(
        sin=torch.sin, cos=torch.cos, abs=torch.abs, sqrt=torch.sqrt, exp=torch.exp,
        where=torch.where, clamp=torch.clamp, minimum=torch.minimum, maximum=torch.maximum,
        relu=torch.relu, full=lambda c: torch.full((N,), c, dtype=torch.float64),
        stack=lambda xs: torch.stack(xs, -1), sum=lambda a: torch.sum(a, -1),
        norm=lambda a: torch.linalg.norm(a, dim=-1),
        cross=lambda a, b: torch.linalg.cross(a, b, dim=-1),
        true=lambda r: torch.ones_like(r, dtype=torch.bool))


# -- expression trees: (kernel source, NumPy function of the leaves) ----------------------

def _leaf(rng):
    if rng.random() < 0.75:
        name = rng.choice("xyz")
        return f"{name}[i]", lambda e, n=name: e[n]
    c = rng.choice([0.5, 1.25, -2.0, 3.0, -0.75])
    # (a float64 program's constants are float64: float32 literal arithmetic, such as
    # wp.exp(-0.75), would round where the float64 references do not)
    return f"CONST({c!r})", lambda e, c=c: e["ops"].full(c)


def _scalar(rng, depth):
    if depth == 0 or rng.random() < 0.2:
        return _leaf(rng)
    kind = rng.randrange(9)
    a, fa = _scalar(rng, depth - 1)
    b, fb = _scalar(rng, depth - 1)
    if kind == 0:
        op = rng.choice("+-*")
        f = {"+": lambda u, v: u + v, "-": lambda u, v: u - v, "*": lambda u, v: u * v}[op]
        return f"({a} {op} {b})", lambda e: f(fa(e), fb(e))
    if kind == 1:
        return f"({a} / (1.0 + {b} * {b}))", lambda e: fa(e) / (1.0 + fb(e) ** 2)
    if kind == 2:
        name = rng.choice(["sin", "cos", "abs"])
        return f"wp.{name}({a})", lambda e: getattr(e["ops"], name)(fa(e))
    if kind == 3:
        return f"wp.sqrt(1.0 + {a} * {a})", lambda e: e["ops"].sqrt(1.0 + fa(e) ** 2)
    if kind == 4:
        return (f"wp.exp(wp.clamp({a}, -4.0, 4.0))",
                lambda e: e["ops"].exp(e["ops"].clamp(fa(e), -4.0, 4.0)))
    if kind == 5:
        name = rng.choice(["min", "max"])
        return (f"wp.{name}({a}, {b})",
                lambda e: getattr(e["ops"], name + "imum")(fa(e), fb(e)))
    if kind == 6:
        c, fc = _scalar(rng, depth - 1)
        return (f"wp.where({a} > {b}, {c}, {b})",
                lambda e: e["ops"].where(fa(e) > fb(e), fc(e), fb(e)))
    if kind == 7:
        c, fc = _scalar(rng, depth - 1)
        va, vb = f"VEC3({a}, {b}, {c})", f"VEC3({b}, {c}, {a})"  # (vec3 or vec3d)
        pick = rng.randrange(3)

        def vec(e):
            stack = e["ops"].stack
            return stack([fa(e), fb(e), fc(e)]), stack([fb(e), fc(e), fa(e)])

        choice = rng.randrange(3)
        if choice == 0:
            return f"wp.dot({va}, {vb})", lambda e: e["ops"].sum(vec(e)[0] * vec(e)[1])
        if choice == 1:
            return f"wp.length({va})", lambda e: e["ops"].norm(vec(e)[0])
        return (f"wp.cross({va}, {vb})[{pick}]",
                lambda e: e["ops"].cross(vec(e)[0], vec(e)[1])[..., pick])

    def soft(e):  # (v < 0: 0, else v / (1 + v); written so no branch makes an inf)
        pos = e["ops"].relu(fa(e))
        return pos / (1.0 + pos)

    return f"soft_step({a})", soft


def _body(rng, o):
    """Statements computing output ``o`` and their NumPy twin (``e`` holds the leaves
    and ``n``, the dynamic trip count)."""
    e1, f1 = _scalar(rng, 3)
    e2, f2 = _scalar(rng, 2)
    e3, f3 = _scalar(rng, 2)
    e4, f4 = _scalar(rng, 2)
    src = [f"    r = {e1}",
           f"    if {e2} > 0.0:",
           f"        r = r + {e3}",
           "    else:",
           "        r = r * 0.5",
           "    for k in range(3):",
           f"        r = r * 0.5 + {e4} * float(k)",
           "    k = int(0)",
           "    while k < n:",
           "        r = wp.sin(r) + 0.25 * r",
           "        if r > 1.5:",
           "            break",
           "        k += 1",
           f"    out{o}[i] = r"]

    def ref(e):
        ops = e["ops"]
        r = f1(e)
        cond = f2(e)
        r = ops.where(cond > 0.0, r + f3(e), r * 0.5)
        for k in range(3):
            r = r * 0.5 + f4(e) * float(k)
        live = ops.true(r)
        for _ in range(e["n"]):
            r = ops.where(live, ops.sin(r) + 0.25 * r, r)
            live = live & ~(r > 1.5)
        return r, ops.abs(cond)

    return src, ref


def _int_expr(rng, depth):
    if depth == 0 or rng.random() < 0.25:
        if rng.random() < 0.7:
            name = rng.choice("pq")
            return f"{name}[i]", lambda e, n=name: e[n]
        c = rng.choice([3, -7, 65535, 2147483647, -2147483647])
        return f"wp.int32({c})", lambda e, c=c: np.full(N, c, np.int32)
    a, fa = _int_expr(rng, depth - 1)
    b, fb = _int_expr(rng, depth - 1)
    op = rng.choice(["+", "-", "*", "&", "|", "^"])
    f = {"+": np.add, "-": np.subtract, "*": np.multiply, "&": np.bitwise_and,
         "|": np.bitwise_or, "^": np.bitwise_xor}[op]
    return f"({a} {op} {b})", lambda e: f(np.int32(fa(e)), np.int32(fb(e))).astype(np.int32)


def _extra(rng, o):
    """Statements computing extra output ``o``: matrices, quaternions, a loop with
    ``continue`` and ``break``, a ``while`` loop over an ``if``/``elif``/``else`` calling a
    function. Checked against the same kernel run by Python mode, and differentiated."""
    a, b, c = (_scalar(rng, 2)[0] for _ in range(3))
    kind = rng.randrange(4)
    if kind == 0:
        return [f"    m = MAT33({a}, {b}, {c}, {b}, {c}, {a}, {c}, {a}, {b})",
                f"    w = m @ VEC3({c}, 1.0, {a})",
                "    ext = wp.dot(w, w) * 0.01 + wp.determinant(m) * 0.01 + "
                "wp.transpose(m)[1, 2]",
                f"    ext{o}[i] = ext"]
    if kind == 1:
        return [f"    qv = wp.quat_from_axis_angle(wp.normalize(VEC3({a}, {b}, 1.5)), {c})",
                f"    w = wp.quat_rotate(qv, VEC3({b}, 1.0, {a}))",
                "    ext = w[0] + 0.5 * w[2] + wp.quat_inverse(qv)[3]",
                f"    ext{o}[i] = ext"]
    if kind == 2:
        return [f"    lp = {a}",
                "    for k in range(5):",
                f"        if k == {rng.randrange(5)}:",
                "            continue",
                "        lp = lp * 0.5 + wp.sin(lp + float(k))",
                "        if lp > 1.2:",
                "            break",
                f"    ext{o}[i] = lp"]
    return [f"    t = {a}",
            "    m2 = int(0)",
            "    while m2 < n + 2:",
            "        m2 += 1",
            "        if t < -1.0:",
            "            t = t + 0.75",
            "        elif t > 1.0:",
            "            t = soft_step(t) - 0.25",
            "        else:",
            f"            t = t * 1.5 + 0.1 * {b}",
            f"    ext{o}[i] = t"]


def _program(seed, dtype):
    rng = random.Random(seed)
    bodies = [_body(rng, o) for o in range(OUTPUTS)]
    extras = [_extra(rng, o) for o in range(EXTRAS)]
    ie, fi = _int_expr(rng, 4)
    t = "wp.float64" if dtype == "f64" else "float"
    outs = ", ".join(f"out{o}: wp.array(dtype={t})" for o in range(OUTPUTS))
    exts = ", ".join(f"ext{o}: wp.array(dtype={t})" for o in range(EXTRAS))
    src = ["import numba_warp as wp", "", "",
           "@wp.func", f"def soft_step(v: {t}):", "    if v < 0.0:", f"        return {t}(0.0)",
           "    return v / (1.0 + v)", "", "",
           "@wp.kernel",
           f"def fuzz(x: wp.array(dtype={t}), y: wp.array(dtype={t}), z: wp.array(dtype={t}),"
           f" p: wp.array(dtype=wp.int32), q: wp.array(dtype=wp.int32), n: int, {outs}, "
           f"iout: wp.array(dtype=wp.int32), {exts}, acc: wp.array(dtype={t}), "
           "u8out: wp.array(dtype=wp.uint8), i64out: wp.array(dtype=wp.int64)):",
           "    i = wp.tid()"]
    for body, _ in bodies:
        src += body
    for extra in extras:
        src += extra
    src += [f"    iout[i] = {ie}",
            f"    wp.atomic_add(acc, 0, {_scalar(rng, 2)[0]})",
            f"    wp.atomic_max(acc, 1, {_scalar(rng, 2)[0]})",
            f"    u8out[i] = wp.uint8(p[i]) * wp.uint8({rng.randrange(256)}) + "
            "wp.uint8(q[i] & 255)",
            f"    i64out[i] = wp.int64(p[i]) * wp.int64(q[i]) + wp.int64({rng.randrange(-9, 9)})",
            ""]
    text = "\n".join(src).replace("VEC3", "wp.vec3d" if dtype == "f64" else "wp.vec3")
    text = text.replace("MAT33", "wp.mat33d" if dtype == "f64" else "wp.mat33")
    text = text.replace("CONST", "wp.float64" if dtype == "f64" else "")
    return text, [ref for _, ref in bodies], fi


def _kernel(seed, dtype):
    src, refs, iref = _program(seed, dtype)
    key = hashlib.sha256(src.encode()).hexdigest()[:16]
    return import_source(src, "fuzz", "fuzz", f"wp_fuzz_{key}").fuzz, refs, iref, src


def _inputs(seed, np_dtype):
    rng = np.random.default_rng(seed)
    leaves = {k: rng.uniform(-2.0, 2.0, N).astype(np_dtype) for k in "xyz"}
    ints = {k: rng.integers(-2**31, 2**31, N, dtype=np.int64).astype(np.int32) for k in "pq"}
    return leaves, ints, int(rng.integers(0, 5))


def _launch(kernel, leaves, ints, n, device, dtype, requires_grad=False, tape=None, lib=wp):
    """Run the kernel on ``leaves`` (name -> values); the arrays it made, by name. ``lib``:
    numba_warp, or NVIDIA Warp for its version of the program."""
    arr = {k: lib.array(v, dtype=dtype, device=device, requires_grad=requires_grad)
           for k, v in leaves.items()}
    arr.update({k: lib.array(v, dtype=lib.int32, device=device) for k, v in ints.items()})
    for name, count in (("out", OUTPUTS), ("ext", EXTRAS)):
        for o in range(count):
            arr[f"{name}{o}"] = lib.zeros(N, dtype=dtype, device=device,
                                          requires_grad=requires_grad)
    arr["acc"] = lib.array([0.0, -1e30], dtype=dtype, device=device,
                           requires_grad=requires_grad)
    arr["iout"] = lib.zeros(N, dtype=lib.int32, device=device)
    arr["u8out"] = lib.zeros(N, dtype=lib.uint8, device=device)
    arr["i64out"] = lib.zeros(N, dtype=lib.int64, device=device)
    inputs = [arr["x"], arr["y"], arr["z"], arr["p"], arr["q"], n,
              *(arr[f"out{o}"] for o in range(OUTPUTS)), arr["iout"],
              *(arr[f"ext{o}"] for o in range(EXTRAS)), arr["acc"], arr["u8out"],
              arr["i64out"]]
    with tape if tape is not None else _nothing():
        lib.launch(kernel, N, inputs=inputs, device=device)
    return arr


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


_PYTHON_MODE: dict = {}


def _python_mode_results(seed, dtype_name):
    """The kernel run by the interpreter (``wp.config.mode = "python"``) on the CPU."""
    key = (seed, dtype_name)
    if key not in _PYTHON_MODE:
        kernel = _kernel(seed, dtype_name)[0]
        np_dtype, dtype = (np.float64, wp.float64) if dtype_name == "f64" else \
            (np.float32, float)
        leaves, ints, n = _inputs(seed, np_dtype)
        old = wp.config.mode
        wp.config.mode = "python"
        try:
            arr = _launch(kernel, leaves, ints, n, "cpu", dtype)
        finally:
            wp.config.mode = old
        _PYTHON_MODE[key] = {k: v.numpy() for k, v in arr.items()}
    return _PYTHON_MODE[key]


def _compare_with_python_mode(arr, ref, src, rtol):
    for name, want in ref.items():
        got = arr[name].numpy()
        if want.dtype.kind in "iu":
            np.testing.assert_array_equal(got, want, err_msg=f"{name}\n{src}")
            continue
        close = np.isclose(got, want, rtol=rtol, atol=rtol)
        # a branch taken on a near-tie may differ (float32): most threads must agree
        assert np.mean(close) >= (0.95 if rtol > 1e-6 else 1.0), \
            f"{name}: {np.flatnonzero(~close)[:5]} {got[~close][:5]} vs {want[~close][:5]}\n{src}"


@pytest.mark.parametrize("seed", SEEDS)
def test_random_kernels_match_numpy_and_python_mode(device, seed):
    kernel, refs, iref, src = _kernel(seed, "f32")
    leaves, ints, n = _inputs(seed, np.float32)
    arr = _launch(kernel, leaves, ints, n, device, float)
    env = {k: v.astype(np.float64) for k, v in leaves.items()}
    env.update(ints, n=n, ops=_numpy_ops())
    with np.errstate(over="ignore"):
        np.testing.assert_array_equal(arr["iout"].numpy(), iref(env), err_msg=src)
    for o, ref in enumerate(refs):
        want, margin = ref(env)
        got = arr[f"out{o}"].numpy().astype(np.float64)
        # float32 against a float64 reference: a branch taken on a near-tie may differ
        close = np.isclose(got, want, rtol=2e-3, atol=2e-3)
        settled = margin > 1e-3
        assert np.all(close | ~settled), src
        assert np.mean(close) > 0.9, src
    _compare_with_python_mode(arr, _python_mode_results(seed, "f32"), src, rtol=2e-3)


_WARP: dict = {}


def _warp_results(warp, seed):
    """NVIDIA Warp's outputs for the float32 program of ``seed`` (its CPU backend), or the
    reason Warp refused the program (Warp rejects some programs numba_warp accepts, e.g.
    reassigning a constant-initialized variable inside a dynamic loop)."""
    if seed not in _WARP:
        src = _kernel(seed, "f32")[3].replace("import numba_warp as wp", "import warp as wp")
        key = hashlib.sha256(src.encode()).hexdigest()[:16]
        leaves, ints, n = _inputs(seed, np.float32)
        try:
            kernel = import_source(src, "fuzz-warp", "fuzz", f"warp_fuzz_{key}").fuzz
            arr = _launch(kernel, leaves, ints, n, "cpu", float, lib=warp)
            _WARP[seed] = {k: v.numpy() for k, v in arr.items()}
        except RuntimeError as exc:
            if "Error while parsing" not in str(exc):
                raise
            _WARP[seed] = str(exc).splitlines()[-1].lstrip(";")
    return _WARP[seed]


@pytest.mark.parametrize("seed", SEEDS)
def test_random_kernels_match_nvidia_warp(device, seed):
    """NVIDIA Warp (the oracle; its CPU backend) runs the same program: every output
    agrees, integers exactly, floats to float32 rounding (a branch taken on a near-tie
    may differ: a few threads are allowed to)."""
    warp = pytest.importorskip("warp", reason="NVIDIA Warp (pip install '.[compat]') is "
                               "the oracle of this test")
    warp.config.quiet = True
    theirs = _warp_results(warp, seed)
    if isinstance(theirs, str):
        pytest.skip(f"NVIDIA Warp refuses this program: {theirs}")
    kernel, _, _, src = _kernel(seed, "f32")
    leaves, ints, n = _inputs(seed, np.float32)
    ours = _launch(kernel, leaves, ints, n, device, float)
    for name, want in theirs.items():
        got = ours[name].numpy()
        if want.dtype.kind in "iu":
            np.testing.assert_array_equal(got, want, err_msg=f"{name} vs Warp\n{src}")
            continue
        close = np.isclose(got, want, rtol=1e-4, atol=1e-4, equal_nan=True)
        assert np.mean(close) >= 0.97, (f"{name} vs Warp: threads {np.flatnonzero(~close)[:5]}"
                                        f" {got[~close][:5]} vs {want[~close][:5]}\n{src}")


@pytest.mark.parametrize("seed", SEEDS[:max(1, len(SEEDS) // 3)])
def test_random_float64_kernels_match_python_mode(device, seed):
    """In float64 the interpreter and the compiled kernel take the same branches: every
    output agrees to rounding."""
    kernel, _, _, src = _kernel(seed, "f64")
    leaves, ints, n = _inputs(seed, np.float64)
    arr = _launch(kernel, leaves, ints, n, device, wp.float64)
    _compare_with_python_mode(arr, _python_mode_results(seed, "f64"), src, rtol=1e-9)


@pytest.mark.parametrize("seed", SEEDS[:max(1, len(SEEDS) // 3)])
def test_random_kernels_gradients_match_torch_and_central_differences(device, seed):
    """The tape's gradient of the float64 program against PyTorch's autodiff of its twin
    (every thread; where torch is installed) and against central differences of the
    kernel itself (a few threads, extras included)."""
    kernel, refs, _, src = _kernel(seed, "f64")
    leaves, ints, n = _inputs(seed, np.float64)

    def run(values, grad=False):
        tape = wp.Tape() if grad else None
        return _launch(kernel, values, ints, n, device, wp.float64, grad, tape), tape

    def total(arr, t, outputs):
        return sum(float(arr[name].numpy()[t]) for name in outputs)

    core = [f"out{o}" for o in range(OUTPUTS)]
    everything = core + [f"ext{o}" for o in range(EXTRAS)]
    arr, tape = run(leaves, grad=True)
    for name in core:  # d(sum of the core outputs)/d(inputs)
        arr[name].grad.fill_(1.0)
    tape.backward()
    grads = {k: arr[k].grad.numpy().copy() for k in "xyz"}
    try:
        import torch
    except ImportError:
        torch = None
    if torch is not None:
        env = {k: torch.tensor(v, requires_grad=True) for k, v in leaves.items()}
        env.update(n=n, ops=_torch_ops(torch))
        sum(ref(env)[0].sum() for ref in refs).backward()
        for k in "xyz":
            np.testing.assert_allclose(grads[k], env[k].grad.numpy(), rtol=1e-8, atol=1e-10,
                                       err_msg=f"d/d{k}: tape vs torch\n{src}")
    tape.zero()
    for name in everything:
        arr[name].grad.fill_(1.0)
    tape.backward()
    eps = 1e-6
    for name in "xyz":
        grad = arr[name].grad.numpy()
        for t in (0, 1, N // 2, N - 1):
            hi = {k: v.copy() for k, v in leaves.items()}
            lo = {k: v.copy() for k, v in leaves.items()}
            hi[name][t] += eps
            lo[name][t] -= eps
            fd = (total(run(hi)[0], t, everything) - total(run(lo)[0], t, everything)) / (2 * eps)
            if abs(fd) > 1e3:  # a branch switched inside the step: no derivative there
                continue
            assert abs(grad[t] - fd) <= 1e-4 * max(1.0, abs(fd)), \
                f"{name}[{t}]: tape {grad[t]} vs central difference {fd}\n{src}"
