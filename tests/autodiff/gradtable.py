"""Table-driven gradient checks: one row per differentiable builtin.

A row names a builtin, the kinds of its arguments (with their valid input domain) and
the kinds of its results. Rows are compiled in chunks into one generated kernel each:
thread ``k`` evaluates row ``k`` on its own input arrays and writes
``loss[k] = <result, w>`` for a random weight ``w`` of the result's type. One backward
pass (seeding every ``loss[k]`` with 1) gives every row's gradient, and central
differences along random directions (all rows perturbed at once: the rows share nothing)
check them, in float64.

Argument kinds: ``f`` scalar, ``f+`` positive scalar, ``u`` scalar in (-0.9, 0.9),
``p1`` scalar in (0.2, 1.8),
``v2``/``v3``/``v4`` vectors, ``v3+`` vector of positive components, ``m22``/``m33``/
``m44`` matrices, ``spd33`` symmetric positive definite, ``q`` unit quaternion, ``t``
transform (unit rotation), ``q0`` the fixed unit quaternion (0, 0.6, 0, 0.8) (to reach
points where two arguments are equal), ``sv`` spatial vector, ``sm`` spatial matrix, ``c:<expr>``
a constant written into the kernel as is (not differentiated), e.g. ``c:1`` or
``c:wp.vec3d(0.0, 1.0, 0.0)``.

A row may give a ``body`` instead of a call: kernel source lines that compute ``r`` from
the arguments ``{0}``, ``{1}``, ... and the kernel's integer parameter ``n``
(``LOOP_N``, not known when the kernel compiles), for control flow around a builtin or
a statement (loops, component writes). ``prelude`` is module source the body needs
(a ``@wp.struct``).
"""

from __future__ import annotations

import numpy as np

import numba_warp as wp
from numba_warp.tape import tape_hvp
from generated_sources import import_source

DTYPES = {
    "f": ("wp.float64", ()), "f+": ("wp.float64", ()), "u": ("wp.float64", ()),
    "p1": ("wp.float64", ()),
    "v2": ("wp.vec2d", (2,)), "v3": ("wp.vec3d", (3,)), "v4": ("wp.vec4d", (4,)),
    "v3+": ("wp.vec3d", (3,)), "v3u": ("wp.vec3d", (3,)),
    "m22": ("wp.mat22d", (2, 2)), "m33": ("wp.mat33d", (3, 3)), "m44": ("wp.mat44d", (4, 4)),
    "spd33": ("wp.mat33d", (3, 3)), "spd22": ("wp.mat22d", (2, 2)),
    "q": ("wp.quatd", (4,)), "q0": ("wp.quatd", (4,)), "t": ("wp.transformd", (7,)),
    "sv": ("wp.spatial_vectord", (6,)), "sm": ("wp.spatial_matrixd", (6, 6)),
}
# well-separated singular values (m33s, m22s: random rotations around diag(3, 2, +-1) or
# diag(2, 1)) and eigenvalues (sym33s: symmetric, eigenvalues 1, 2.5, 4 in random order)
DTYPES.update({"m33s": ("wp.mat33d", (3, 3)), "m22s": ("wp.mat22d", (2, 2)),
               "sym33s": ("wp.mat33d", (3, 3))})


def _rotation(rng, n):
    q, r = np.linalg.qr(rng.normal(size=(n, n)))
    q = q * np.sign(np.diag(r))
    if np.linalg.det(q) < 0:
        q[:, 0] = -q[:, 0]
    return q


class Row:
    """One builtin call to check: ``fn(args...)`` with arguments and results of these kinds."""

    def __init__(self, name, args, out, *, call=None, tol=1e-5, eps=1e-6, key=None,
                 body=None, prelude=""):
        self.name = name  # the builtin's public name (for the completeness check)
        self.args = list(args)
        self.out = [out] if isinstance(out, str) else list(out)
        self.call = call or f"wp.{name}"
        self.body = body
        self.prelude = prelude
        self.tol = tol
        self.eps = eps
        self.key = key or f"{name}({', '.join(args)})"

    def __repr__(self):
        return self.key


def sample(kind, rng):
    shape = DTYPES[kind][1]
    if kind == "f+":
        return rng.uniform(0.5, 2.0)
    if kind == "u":
        return rng.uniform(-0.9, 0.9)
    if kind == "p1":
        return rng.uniform(0.2, 1.8)
    if kind == "v3+":
        return rng.uniform(0.5, 2.0, 3)
    if kind == "v3u":
        v = rng.normal(size=3)
        return v / np.linalg.norm(v)
    if kind in ("spd33", "spd22"):
        n = shape[0]
        a = rng.normal(size=(n, n))
        return a @ a.T + n * np.eye(n)
    if kind == "q":
        q = rng.normal(size=4)
        return q / np.linalg.norm(q)
    if kind == "q0":
        return np.array([0.0, 0.6, 0.0, 0.8])
    if kind == "t":
        q = rng.normal(size=4)
        return np.concatenate([rng.normal(size=3), q / np.linalg.norm(q)])
    if kind == "m33s":
        s = np.array([3.0, 2.0, rng.choice([-1.0, 1.0])])
        return _rotation(rng, 3) @ np.diag(s) @ _rotation(rng, 3).T
    if kind == "m22s":
        return _rotation(rng, 2) @ np.diag([2.0, 1.0]) @ _rotation(rng, 2).T
    if kind == "sym33s":
        q = _rotation(rng, 3)
        return q @ np.diag(rng.permutation([1.0, 2.5, 4.0])) @ q.T
    return rng.normal(size=shape) if shape else rng.normal()


def _chunk_source(name, rows):
    params, lines = [], []
    for k, row in enumerate(rows):
        call_args = []
        for j, kind in enumerate(row.args):
            if kind.startswith("c:"):
                call_args.append(kind[2:])
                continue
            pname = f"a{k}_{j}"
            params.append(f"{pname}: wp.array(dtype={DTYPES[kind][0]})")
            call_args.append(f"{pname}[0]")
        for j, kind in enumerate(row.out):
            params.append(f"w{k}_{j}: wp.array(dtype={DTYPES[kind][0]})")
        lines.append(f"    if tid == {k}:")
        if row.body is not None:
            lines += ["        " + ln.format(*call_args) for ln in row.body]
        else:
            lines.append(f"        r = {row.call}({', '.join(call_args)})")
        if len(row.out) == 1:
            lines.append(f"        loss[{k}] = _inner(r, w{k}_0[0])")
        else:
            terms = " + ".join(f"_inner(r[{j}], w{k}_{j}[0])" for j in range(len(row.out)))
            lines.append(f"        loss[{k}] = {terms}")
    if _uses_n(rows):
        params.append("n: int")
    params.append("loss: wp.array(dtype=wp.float64)")
    preludes = "".join(p + "\n\n\n" for p in dict.fromkeys(r.prelude for r in rows) if p)
    return (
        "import numba_warp as wp\n"
        "from numba_warp.lowering.operator_rules import inner as _inner\n\n\n" + preludes +
        "@wp.kernel\n"
        f"def {name}({', '.join(params)}):\n"
        "    tid = wp.tid()\n" + "\n".join(lines) + "\n"
    )


LOOP_N = 3  # the value of ``n`` in body rows


def _uses_n(rows):
    return any(r.body is not None for r in rows)


def chunk_kernel(name, rows):
    """The generated kernel checking ``rows``, imported once from a real file named by
    its content (tests/generated_sources.py)."""
    mod = import_source(_chunk_source(name, rows), "gradtable", name, f"wp_gradtable_{name}")
    return getattr(mod, name)


def check_rows(name, rows, device, seed=0, directions=2, mode="backward"):
    """Compare backward-pass gradients (``mode="backward"``) or forward-mode tangents
    (``mode="tangent"``) with central differences; return failures."""
    kernel = chunk_kernel(name, rows)
    rng = np.random.default_rng(seed)
    inputs, weights = [], []
    for row in rows:
        inputs.append([None if k.startswith("c:") else np.asarray(sample(k, rng), np.float64)
                       for k in row.args])
        weights.append([np.asarray(rng.normal(size=DTYPES[k][1]) if DTYPES[k][1]
                                   else rng.normal(), np.float64) for k in row.out])

    def args_for(values, requires_grad):
        out = []
        for k, row in enumerate(rows):
            for kind, v in zip(row.args, values[k]):
                if v is not None:
                    out.append(wp.array(v[None], dtype=eval(DTYPES[kind][0]),  # noqa: S307
                                        device=device, requires_grad=requires_grad))
            for kind, w in zip(row.out, weights[k]):
                out.append(wp.array(w[None], dtype=eval(DTYPES[kind][0]), device=device))  # noqa: S307
        return out

    scalars = [LOOP_N] if _uses_n(rows) else []

    def losses(values):
        loss = wp.zeros(len(rows), dtype=wp.float64, device=device)
        wp.launch(kernel, dim=len(rows), inputs=[*args_for(values, False), *scalars, loss],
                  device=device)
        return loss.numpy()

    if mode == "tangent":
        return _check_tangents(kernel, rows, inputs, args_for, scalars, losses, rng,
                               directions, device)

    def gradients(values, directions=None):
        """Each row's input gradients (and, given ``directions``, the Hessian-vector
        products along them) at ``values``."""
        arrays = args_for(values, True)
        loss = wp.zeros(len(rows), dtype=wp.float64, device=device, requires_grad=True)
        tape = wp.Tape()
        with tape:
            wp.launch(kernel, dim=len(rows), inputs=[*arrays, *scalars, loss], device=device)
        hv = None
        if directions is None:
            tape.backward(grads={loss: np.ones(len(rows))})
        else:
            v = {a: wp.array(np.asarray(d)[None], dtype=a.dtype, device=device)
                 for a, d in zip([a for a in arrays if a.requires_grad],
                                 [d for dd in directions for d in dd if d is not None])}
            hv = tape_hvp(tape, None, v, seeds={loss: np.ones(len(rows))})
        grads, hvs, pos = [], [], 0
        for k, row in enumerate(rows):
            g, h = [], []
            for v in values[k]:
                if v is not None:
                    g.append(arrays[pos].grad.numpy()[0])
                    h.append(hv[arrays[pos]].numpy()[0] if hv is not None else None)
                    pos += 1
                else:
                    g.append(None)
                    h.append(None)
            pos += len(row.out)
            grads.append(g)
            hvs.append(h)
        return grads, hvs

    if mode == "hvp":
        return _check_hvp(rows, inputs, gradients, rng, directions)
    grads, _ = gradients(inputs)

    failures = []
    for _ in range(directions):
        dirs = [[None if v is None else rng.normal(size=np.shape(v)) for v in inp]
                for inp in inputs]
        plus = [[None if v is None else v + row.eps * d for v, d in zip(inp, dd)]
                for inp, dd, row in zip(inputs, dirs, rows)]
        minus = [[None if v is None else v - row.eps * d for v, d in zip(inp, dd)]
                 for inp, dd, row in zip(inputs, dirs, rows)]
        fd = (losses(plus) - losses(minus)) / (2 * np.array([r.eps for r in rows]))
        for k, row in enumerate(rows):
            ad = sum(float(np.sum(g * d)) for g, d in zip(grads[k], dirs[k]) if g is not None)
            scale = max(1.0, abs(fd[k]), abs(ad))
            if not np.isfinite(ad) or abs(ad - fd[k]) > row.tol * scale:
                failures.append(f"{row.key}: backward {ad:.8g} vs finite differences "
                                f"{fd[k]:.8g}")
    return failures


def _check_hvp(rows, inputs, gradients, rng, directions):
    """Hessian-vector products (tape_hvp) along random directions against central
    differences of the gradients along them."""
    failures = []
    for _ in range(directions):
        dirs = [[None if v is None else rng.normal(size=np.shape(v)) for v in inp]
                for inp in inputs]
        _, hvs = gradients(inputs, dirs)
        shifted = []
        for sign in (1.0, -1.0):
            shifted.append(gradients(
                [[None if v is None else v + sign * row.eps * d for v, d in zip(inp, dd)]
                 for inp, dd, row in zip(inputs, dirs, rows)])[0])
        for k, row in enumerate(rows):
            for j, h in enumerate(hvs[k]):
                if h is None:
                    continue
                fd = (np.asarray(shifted[0][k][j]) - np.asarray(shifted[1][k][j])) / (2 * row.eps)
                scale = max(1.0, float(np.max(np.abs(fd))), float(np.max(np.abs(h))))
                err = float(np.max(np.abs(np.asarray(h) - fd)))
                if not np.all(np.isfinite(h)) or err > 10 * row.tol * scale:
                    failures.append(f"{row.key}: argument {j}: Hessian-vector product "
                                    f"{np.round(h, 6).tolist()} vs central differences of "
                                    f"the gradient {np.round(fd, 6).tolist()}")
    return failures


def _central_differences(rows, inputs, dirs, losses):
    plus = [[None if v is None else v + row.eps * d for v, d in zip(inp, dd)]
            for inp, dd, row in zip(inputs, dirs, rows)]
    minus = [[None if v is None else v - row.eps * d for v, d in zip(inp, dd)]
             for inp, dd, row in zip(inputs, dirs, rows)]
    return (losses(plus) - losses(minus)) / (2 * np.array([r.eps for r in rows]))


def _check_tangents(kernel, rows, inputs, args_for, scalars, losses, rng, directions,
                    device):
    """Forward mode: the loss's tangent along random input directions (one tangent
    launch per direction) against central differences along them."""
    failures = []
    for _ in range(directions):
        dirs = [[None if v is None else rng.normal(size=np.shape(v)) for v in inp]
                for inp in inputs]
        arrays = args_for(inputs, False)
        tangents, pos = [], 0
        for k, row in enumerate(rows):
            for kind, d in zip(row.args, dirs[k]):
                if d is not None:
                    tangents.append(wp.array(np.asarray(d)[None], dtype=arrays[pos].dtype,
                                             device=device))
                    pos += 1
            tangents += [None] * len(row.out)
            pos += len(row.out)
        loss = wp.zeros(len(rows), dtype=wp.float64, device=device)
        tan_loss = wp.zeros(len(rows), dtype=wp.float64, device=device)
        wp.launch(kernel, dim=len(rows), inputs=[*arrays, *scalars, loss], device=device,
                  tangent_inputs=[*tangents, *[None] * len(scalars), tan_loss])
        tl = tan_loss.numpy()
        fd = _central_differences(rows, inputs, dirs, losses)
        for k, row in enumerate(rows):
            scale = max(1.0, abs(fd[k]), abs(tl[k]))
            if not np.isfinite(tl[k]) or abs(tl[k] - fd[k]) > row.tol * scale:
                failures.append(f"{row.key}: tangent {tl[k]:.8g} vs finite differences "
                                f"{fd[k]:.8g}")
    return failures
