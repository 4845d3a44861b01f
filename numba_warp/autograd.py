"""Debugging gradients: Jacobians by the backward pass and by finite differences.

``import numba_warp.autograd`` (or ``wp.autograd`` after ``import numba_warp as wp``)
gives Warp's utilities with Warp's meaning:

* :func:`jacobian` - the Jacobian of every (input, output) array pair of a kernel launch
  or of a Python function of arrays, one backward pass per output component;
* :func:`jacobian_fd` - the same by central differences, one pair of forward runs per
  input component;
* :func:`gradcheck` - both, compared (``|ad - fd| <= atol + rtol |fd|``), with a summary;
* :func:`gradcheck_tape` - :func:`gradcheck` for each launch recorded on a tape;
* :func:`jacobian_plot` - the Jacobians as images (needs matplotlib).

Only arrays with ``requires_grad=True`` take part. A Jacobian of input ``x`` and output
``y`` is a 2-D array of shape ``(y components, x components)``, components being the
scalars of the arrays in flat order (a ``vec3`` element has three).
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from .runtime.array import array
from .runtime.kernel import Kernel
from .runtime.launch import launch
from .tape import LaunchRecord, Tape

__all__ = ["jacobian", "jacobian_fd", "gradcheck", "gradcheck_tape", "jacobian_plot"]


# ---------------------------------------------------------------------------------------
# Running the function
# ---------------------------------------------------------------------------------------

def _names(function, inputs, outputs):
    if isinstance(function, Kernel):
        names = function.arg_names
        return names[:len(inputs)], names[len(inputs):len(inputs) + len(outputs)]
    return [f"input_{i}" for i in range(len(inputs))], \
        [f"output_{i}" for i in range(len(outputs))]


def _run(function, dim, inputs, outputs, device, max_blocks, block_dim):
    """Run once (outputs zeroed first); return the output arrays."""
    if isinstance(function, Kernel):
        for o in outputs:
            if isinstance(o, array):
                o.zero_()
        if device is None:  # the arrays' device, not the current one
            device = next((a.device for a in list(inputs) + list(outputs)
                           if isinstance(a, array)), None)
        launch(function, dim, inputs=inputs, outputs=outputs, device=device,
               max_blocks=max_blocks, block_dim=block_dim)
        return list(outputs)
    out = function(*inputs)
    return [out] if isinstance(out, array) else list(out)


def _diff_arrays(values):
    return [(i, v) for i, v in enumerate(values) if isinstance(v, array) and v.requires_grad]


def _flat(a: array) -> np.ndarray:
    return np.ascontiguousarray(a.numpy()).reshape(-1).astype(np.float64)


def _components(a: array) -> int:
    return int(a.size * max(1, int(np.prod(a.element_type.inner_shape))))


def _set_flat(a: array, values: np.ndarray):
    host = a.numpy()
    a.assign(values.reshape(host.shape).astype(host.dtype))


class _KeepVersions:
    """Restore arrays' write counters: data we put back is not an overwrite."""

    def __init__(self, arrays):
        self.arrays = [a for a in arrays if isinstance(a, array)]

    def __enter__(self):
        self.saved = [(a.version, a.last_writer) for a in self.arrays]
        return self

    def __exit__(self, *exc):
        for a, (version, writer) in zip(self.arrays, self.saved):
            a.reset_version(version, writer)
        return False


def _pairs(function, inputs, outputs, mask, out_arrays=None):
    in_names, out_names = _names(function, inputs, outputs)
    outs = out_arrays if out_arrays is not None else outputs
    pairs = []
    for i, x in _diff_arrays(inputs):
        for o, y in _diff_arrays(outs):
            if mask is not None:
                ok = any((a in (i, in_names[i] if i < len(in_names) else None)) and
                         (b in (o, out_names[o] if o < len(out_names) else None))
                         for a, b in mask)
                if not ok:
                    continue
            pairs.append((i, o))
    return pairs


def _result_dtype(x):
    return np.float64 if x.element_type.scalar_np == np.float64 else np.float32


# ---------------------------------------------------------------------------------------
# Jacobians
# ---------------------------------------------------------------------------------------

def jacobian(function: Kernel | Callable, dim=None, inputs: Sequence | None = None,
             outputs: Sequence | None = None, input_output_mask=None, device=None,
             max_blocks: int = 0, block_dim: int = 256, max_outputs_per_var: int = -1,
             plot_jacobians: bool = False, metadata=None, kernel_name=None) -> dict:
    """Jacobians ``{(input index, output index): array}`` by the backward pass.

    Each output component is seeded in turn and one backward pass gives a row. Rows past
    ``max_outputs_per_var`` are left NaN.
    """
    inputs = list(inputs or [])
    outputs = list(outputs or [])
    with _KeepVersions(inputs + outputs):
        return _jacobian(function, dim, inputs, outputs, input_output_mask, device,
                         max_blocks, block_dim, max_outputs_per_var, plot_jacobians)


def _jacobian(function, dim, inputs, outputs, input_output_mask, device, max_blocks,
              block_dim, max_outputs_per_var, plot_jacobians):
    tape = Tape()
    with tape:
        outs = _run(function, dim, inputs, outputs, device, max_blocks, block_dim)
    pairs = _pairs(function, inputs, outputs, input_output_mask, outs)
    jac = {}
    by_output: dict = {}
    for i, o in pairs:
        by_output.setdefault(o, []).append(i)
    for o, ins in by_output.items():
        y = outs[o]
        m = _components(y)
        rows = m if max_outputs_per_var < 0 else min(m, max_outputs_per_var)
        mats = {i: np.full((m, _components(inputs[i])), np.nan) for i in ins}
        for r in range(rows):
            tape.zero()
            seed = np.zeros(m)
            seed[r] = 1.0
            host = y.numpy()
            tape.backward(grads={y: seed.reshape(host.shape).astype(host.dtype)})
            for i in ins:
                mats[i][r] = _flat(inputs[i].grad)
        tape.zero()
        for i in ins:
            jac[(i, o)] = array(mats[i].astype(_result_dtype(inputs[i])), device="cpu")
    if plot_jacobians:
        jacobian_plot(jac, function, inputs, outputs)
    return jac


def jacobian_fd(function: Kernel | Callable, dim=None, inputs: Sequence | None = None,
                outputs: Sequence | None = None, input_output_mask=None, device=None,
                max_blocks: int = 0, block_dim: int = 256, max_inputs_per_var: int = -1,
                eps: float = 1e-4, plot_jacobians: bool = False, metadata=None,
                kernel_name=None) -> dict:
    """Jacobians ``{(input index, output index): array}`` by central differences.

    Columns past ``max_inputs_per_var`` are left NaN. Inputs are restored afterwards.
    """
    inputs = list(inputs or [])
    outputs = list(outputs or [])
    with _KeepVersions(inputs + outputs):
        return _jacobian_fd(function, dim, inputs, outputs, input_output_mask, device,
                            max_blocks, block_dim, max_inputs_per_var, eps, plot_jacobians)


def _jacobian_fd(function, dim, inputs, outputs, input_output_mask, device, max_blocks,
                 block_dim, max_inputs_per_var, eps, plot_jacobians):
    outs = _run(function, dim, inputs, outputs, device, max_blocks, block_dim)
    pairs = _pairs(function, inputs, outputs, input_output_mask, outs)
    jac = {}
    by_input: dict = {}
    for i, o in pairs:
        by_input.setdefault(i, []).append(o)
    saved_outputs = [_flat(y) if isinstance(y, array) else None for y in outs]
    for i, os_ in by_input.items():
        x = inputs[i]
        base = _flat(x)
        n = base.size
        cols = n if max_inputs_per_var < 0 else min(n, max_inputs_per_var)
        mats = {o: np.full((_components(outs[o]), n), np.nan) for o in os_}
        for c in range(cols):
            vals = []
            for sign in (1.0, -1.0):
                p = base.copy()
                p[c] += sign * eps
                _set_flat(x, p)
                res = _run(function, dim, inputs, outputs, device, max_blocks, block_dim)
                vals.append({o: _flat(res[o]) for o in os_})
            for o in os_:
                mats[o][:, c] = (vals[0][o] - vals[1][o]) / (2.0 * eps)
        _set_flat(x, base)
        for o in os_:
            jac[(i, o)] = array(mats[o].astype(_result_dtype(x)), device="cpu")
    if isinstance(function, Kernel):
        for y, v in zip(outs, saved_outputs):
            if v is not None:
                _set_flat(y, v)
    if plot_jacobians:
        jacobian_plot(jac, function, inputs, outputs)
    return jac


# ---------------------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------------------

def gradcheck(function: Kernel | Callable, dim=None, inputs: Sequence | None = None,
              outputs: Sequence | None = None, *, eps: float = 1e-4, atol: float = 1e-3,
              rtol: float = 1e-2, raise_exception: bool = True, input_output_mask=None,
              device=None, max_blocks: int = 0, block_dim: int = 256,
              max_inputs_per_var: int = -1, max_outputs_per_var: int = -1,
              plot_relative_error: bool = False, plot_absolute_error: bool = False,
              show_summary: bool = True) -> bool:
    """Whether the backward pass's Jacobians match central differences.

    Prints a table (input, output, max absolute and relative error, pass) when
    ``show_summary``; raises ``ValueError`` on a mismatch when ``raise_exception``.
    """
    inputs = list(inputs or [])
    outputs = list(outputs or [])
    fd = jacobian_fd(function, dim, inputs, outputs, input_output_mask, device, max_blocks,
                     block_dim, max_inputs_per_var, eps)
    ad = jacobian(function, dim, inputs, outputs, input_output_mask, device, max_blocks,
                  block_dim, max_outputs_per_var)
    in_names, out_names = _names(function, inputs, outputs)
    rows, ok = [], True
    for key in sorted(ad):
        a, f = ad[key].numpy().astype(np.float64), fd[key].numpy().astype(np.float64)
        both = ~(np.isnan(a) | np.isnan(f))
        diff = np.abs(a - f)[both]
        abs_err = float(diff.max()) if diff.size else 0.0
        rel = diff / np.maximum(np.abs(f[both]), 1e-12)
        rel_err = float(rel.max()) if rel.size else 0.0
        passed = bool(np.all(diff <= atol + rtol * np.abs(f[both])))
        ok &= passed
        i, o = key
        rows.append((in_names[i] if i < len(in_names) else str(i),
                     out_names[o] if o < len(out_names) else str(o), abs_err, rel_err, passed))
    name = getattr(function, "key", getattr(function, "__name__", "function"))
    table = _table(rows)
    if show_summary:
        print(table)
        print(f"Gradient check for {name} {'passed' if ok else 'FAILED'}")
    if plot_relative_error or plot_absolute_error:
        errs = {k: np.abs(ad[k].numpy() - fd[k].numpy()) / (
            np.abs(fd[k].numpy()) + 1e-12 if plot_relative_error else 1.0) for k in ad}
        jacobian_plot({k: array(v, device="cpu") for k, v in errs.items()}, function, inputs,
                      outputs, title="relative error" if plot_relative_error else
                      "absolute error")
    if not ok and raise_exception:
        raise ValueError(f"gradient check for {name} failed:\n{table}")
    return ok


def _table(rows) -> str:
    head = f"{'input':<16} {'output':<16} {'max abs err':>12} {'max rel err':>12}  pass"
    lines = [head, "-" * len(head)]
    for i, o, a, r, p in rows:
        lines.append(f"{i:<16} {o:<16} {a:12.4e} {r:12.4e}  {'PASS' if p else 'FAIL'}")
    return "\n".join(lines)


def gradcheck_tape(tape, *, eps: float = 1e-4, atol: float = 1e-3, rtol: float = 1e-2,
                   raise_exception: bool = True, input_output_masks: dict | None = None,
                   blacklist_kernels=None, whitelist_kernels=None,
                   max_inputs_per_var: int = -1, max_outputs_per_var: int = -1,
                   plot_relative_error: bool = False, plot_absolute_error: bool = False,
                   show_summary: bool = True, reverse_launches: bool = False,
                   skip_to_launch_index: int = 0) -> bool:
    """:func:`gradcheck` on every kernel launch recorded on ``tape``.

    Each launch is re-run with its recorded arrays; the outputs are restored afterwards.
    """
    launches = [r for r in tape.launches if isinstance(r, LaunchRecord)]
    if reverse_launches:
        launches = launches[::-1]
    ok = True
    black = set(blacklist_kernels or [])
    white = set(whitelist_kernels or [])
    masks = input_output_masks or {}
    for rec in launches[skip_to_launch_index:]:
        k = rec.kernel
        if k in black or k.key in black or (white and k not in white and k.key not in white):
            continue
        saved = [(y, _flat(y)) for y in rec.inputs + rec.outputs if isinstance(y, array)]
        keep = _KeepVersions(rec.inputs + rec.outputs).__enter__()
        try:
            ok &= gradcheck(k, rec.dim, rec.inputs, rec.outputs, eps=eps, atol=atol,
                            rtol=rtol, raise_exception=raise_exception,
                            input_output_mask=masks.get(k.key, masks.get(k)),
                            device=rec.device, max_blocks=rec.max_blocks,
                            block_dim=rec.block_dim or 256,
                            max_inputs_per_var=max_inputs_per_var,
                            max_outputs_per_var=max_outputs_per_var,
                            plot_relative_error=plot_relative_error,
                            plot_absolute_error=plot_absolute_error,
                            show_summary=show_summary)
        finally:
            for y, v in saved:
                _set_flat(y, v)
            keep.__exit__()
    return ok


def jacobian_plot(jacobians: dict, kernel=None, inputs=None, outputs=None,
                  show_plot: bool = True, show_colorbar: bool = True,
                  scale_colors_per_submatrix: bool = False, title: str | None = None,
                  colormap: str = "coolwarm", log_scale: bool = False):
    """Show the Jacobians in a grid of images (inputs as columns, outputs as rows).

    Returns the matplotlib figure. Needs matplotlib (``pip install matplotlib``).
    """
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError("jacobian_plot needs matplotlib: pip install matplotlib") from exc
    ins = sorted({i for i, _ in jacobians})
    outs = sorted({o for _, o in jacobians})
    fig, axes = plt.subplots(len(outs), len(ins), squeeze=False,
                             figsize=(3 * len(ins) + 1, 3 * len(outs) + 1))
    in_names, out_names = (_names(kernel, inputs or [], outputs or [])
                           if kernel is not None else ([], []))
    for r, o in enumerate(outs):
        for c, i in enumerate(ins):
            ax = axes[r][c]
            j = jacobians.get((i, o))
            if j is None:
                ax.axis("off")
                continue
            data = j.numpy()
            if log_scale:
                data = np.log10(np.abs(data) + 1e-12)
            im = ax.imshow(data, cmap=colormap, interpolation="nearest")
            ax.set_xlabel(in_names[i] if i < len(in_names) else f"input {i}")
            ax.set_ylabel(out_names[o] if o < len(out_names) else f"output {o}")
            if show_colorbar:
                fig.colorbar(im, ax=ax)
    if title:
        fig.suptitle(title)
    if show_plot:
        plt.show()
    return fig
