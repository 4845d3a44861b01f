"""``wp.Tape``: records launches in the forward pass and replays their backward passes.

The tape observes runtime through its recording hook (``runtime/recording.py``): while
it records (``with tape:``) it is the installed observer, so ``wp.launch`` reports each
forward launch and ``wp.copy``/``wp.clone``/``array.assign`` each copy (copies are
differentiable). Runtime knows nothing of the tape.

Besides Warp's API, the tape checks that the gradient it computes is the right one:
every array a recorded launch reads is recorded with its write counter
(``array.version``), and ``backward()`` raises if one was written afterwards (by a later
launch, by the same launch, or by an array method), naming the array and the kernels,
instead of differentiating with values the forward pass never saw (NVIDIA/warp#1350,
#1294). Turn the check off with ``wp.config.check_array_versions = False``.
"""

from __future__ import annotations

import warnings

from numba.core import types

from . import config
from .runtime import capture_state, recording
from .runtime.array import array
from .typing.dtypes import type_name
from .lowering.adjoint_values import is_float_array
from .runtime.factories import zeros
from .runtime.launch import launch, launch_hessian

__all__ = ["Tape", "LaunchRecord", "FunctionRecord", "current_tape", "tape_to_dot", "tape_hvp"]


def current_tape():
    """The tape recording on this thread, or None."""
    observer = recording.current()
    return observer if isinstance(observer, Tape) else None


class LaunchRecord:
    """A kernel launch on a tape (``tape.launches``): its backward pass is launched."""

    __slots__ = ("kernel", "dim", "inputs", "outputs", "device", "block_dim", "max_blocks",
                 "reads", "index")

    def __init__(self, kernel, dim, inputs, outputs, device, block_dim, max_blocks, reads):
        self.kernel = kernel
        self.dim = dim
        self.inputs = list(inputs)
        self.outputs = list(outputs)
        self.device = device
        self.block_dim = block_dim
        self.max_blocks = max_blocks
        self.reads = reads  # [(array, version, parameter path)]
        self.index = 0

    @property
    def name(self) -> str:
        return self.kernel.key

    def __getitem__(self, i):
        # Warp keeps a launch as the list [kernel, dim, max_blocks, inputs, outputs,
        # device, block_dim, metadata]; code that indexes tape.launches[k] reads the same
        return (self.kernel, self.dim, self.max_blocks, self.inputs, self.outputs,
                self.device, self.block_dim, {})[i]

    def __len__(self):
        return 8


class FunctionRecord:
    """A Python callback on a tape (``tape.record_func``, copies): run in the backward
    pass."""

    __slots__ = ("backward", "arrays", "name", "reads", "index")

    def __init__(self, backward, arrays, name, reads=()):
        self.backward = backward
        self.arrays = list(arrays)
        self.name = name
        self.reads = list(reads)
        self.index = 0

    def __call__(self):
        # Warp keeps a recorded function as the callable itself
        self.backward()


class Tape:
    """Record launches (``with wp.Tape() as tape:``) and compute their gradients.

    Example
    -------
    >>> @wp.kernel
    ... def sum_of_squares(x: wp.array(dtype=float), loss: wp.array(dtype=float)):
    ...     i = wp.tid()
    ...     wp.atomic_add(loss, 0, x[i] * x[i])
    >>> x = wp.array([1.0, 2.0, 3.0], dtype=float, requires_grad=True)
    >>> loss = wp.zeros(1, dtype=float, requires_grad=True)
    >>> tape = wp.Tape()
    >>> with tape:
    ...     wp.launch(sum_of_squares, dim=3, inputs=[x], outputs=[loss])
    >>> tape.backward(loss)  # x.grad now holds d loss / d x = 2 x
    >>> print(loss.numpy(), x.grad.numpy())
    [14.] [2. 4. 6.]
    >>> tape.zero()  # the gradients, before another backward pass
    >>> print(x.grad.numpy())
    [0. 0. 0.]
    """

    def __init__(self):
        self.launches: list = []
        self.gradients: dict = {}
        self.scopes: list = []
        self.loss = None
        self._outer = None
        self._active = False

    # -- recording -------------------------------------------------------------------
    def __enter__(self):
        if isinstance(recording.current(), Tape):
            raise RuntimeError("a wp.Tape is already recording; tapes cannot be nested "
                               "(exit the other 'with' block first)")
        recording.install(self)  # (raises if another recorder is installed)
        self._active = True
        return self

    def __exit__(self, exc_type, exc, tb):
        recording.uninstall(self)
        self._active = False
        return False

    def record_launch(self, kernel, dim, max_blocks, inputs, outputs, device,
                      block_dim=0, metadata=None, reads=None):
        """Add a launch to the tape (``wp.launch`` does this while the tape records)."""
        rec = LaunchRecord(kernel, dim, inputs, outputs, device, block_dim, max_blocks,
                           reads if reads is not None else [])
        self._add(rec)
        for a in list(inputs) + list(outputs):
            self._note_grad(a)

    def record_func(self, backward, arrays):
        """Record a Python callback run (only) in the backward pass, at this point.

        ``arrays`` are arrays whose gradients ``tape.zero()`` should reset.
        """
        if not callable(backward):
            raise TypeError("tape.record_func(backward, arrays) needs a callable backward")
        for a in arrays:
            if not isinstance(a, array) or a.grad is None:
                raise RuntimeError(
                    f"Array {a!r} is not of type wp.array or is missing a gradient array. Set "
                    "array parameter requires_grad=True during instantiation.")
        self._add(FunctionRecord(backward, arrays, getattr(backward, "__name__", "function")))
        for a in arrays:
            self._note_grad(a)

    def record_copy(self, dest, src, what: str, dest_offset: int = 0, src_offset: int = 0,
                    count: int = 0):
        """Record a copy ``dest <- src`` (runtime reports ``wp.copy``, ``wp.clone`` and
        ``array.assign`` while the tape records): its adjoint runs in the backward pass."""
        if not (src.requires_grad or dest.requires_grad):
            return
        n = count or min(src.size, dest.size)

        def backward():
            if dest.grad is None or src.grad is None:
                return
            # the copy overwrote dest: its gradient is consumed (kept with retain_grad, as
            # in Warp; read at backward time so that a later change of the flag counts)
            _copy_adjoint(dest.grad, src.grad, dest_offset, src_offset, n,
                          not dest.retain_grad)

        backward.__name__ = what.rstrip("()")
        reads = [(src, src.version, "src")]
        self._add(FunctionRecord(backward, [dest, src], backward.__name__, reads))
        self._note_grad(src)
        self._note_grad(dest)

    def _add(self, rec):
        rec.index = len(self.launches)
        self.launches.append(rec)

    def _note_grad(self, a):
        if isinstance(a, array) and a.requires_grad:
            self.gradients[a] = a.grad
        elif hasattr(type(a), "_wp_struct_"):
            for name, spec in type(a)._wp_struct_.fields:
                self._note_grad(getattr(a, name))

    def record_scope_begin(self, scope_name: str, metadata=None):
        self.scopes.append((len(self.launches), scope_name, {} if metadata is None else metadata))

    def record_scope_end(self, remove_scope_if_empty: bool = True):
        """End the innermost scope (an empty one is dropped unless told otherwise)."""
        depth = sum(-1 if name is None else 1 for _, name, _ in self.scopes)
        if depth <= 0:
            raise RuntimeError("tape.record_scope_end(): no scope is open on this tape")
        last_start, last_name, _ = self.scopes[-1]
        if remove_scope_if_empty and last_name is not None and last_start == len(self.launches):
            self.scopes.pop()
        else:
            self.scopes.append((len(self.launches), None, None))

    # -- backward --------------------------------------------------------------------
    def backward(self, loss=None, grads: dict | None = None):
        """Run the backward pass of every recorded launch, last first.

        ``loss``: a one-element array with ``requires_grad``; its gradient is seeded with 1.
        ``grads``: ``{array: seed}``; each seed is written into that array's gradient.
        With neither, the gradients already in the arrays (``y.grad.fill_(1.0)``) are the
        seeds, as in Warp.
        """
        if not self.launches:
            raise RuntimeError("tape.backward(): nothing was recorded on this tape (since it "
                               "was created or last reset()); run the forward launches "
                               "inside 'with tape:' first")
        if loss is not None:
            check_loss(loss, "tape.backward")
            self.loss = loss
            loss.grad.fill_(1.0)
        for a, seed in (grads or {}).items():
            if not isinstance(a, array):
                raise TypeError("grads keys must be wp.arrays")
            if a.grad is None:
                a.grad = seed if isinstance(seed, array) else array(seed, dtype=a.dtype,
                                                                     device=a.device)
            else:
                a.grad.assign(seed)
            self.gradients[a] = a.grad
        if config.check_array_versions:
            self._check_versions()
        for rec in reversed(self.launches):
            if isinstance(rec, FunctionRecord):
                rec.backward()
                continue
            k = rec.kernel
            if not k.enable_backward:
                warnings.warn(_no_backward_message(k), stacklevel=2)
                continue
            launch(k, rec.dim, inputs=rec.inputs, outputs=rec.outputs, device=rec.device,
                   adjoint=True, max_blocks=rec.max_blocks, block_dim=rec.block_dim)

    def hvp(self, loss, v: dict) -> dict:
        """Hessian-vector product: ``H v``, where ``H`` is the Hessian of the scalar
        ``loss`` with respect to the arrays the recorded launches read, and ``v`` the
        direction ``{array: direction array}`` (arrays not in ``v`` have a zero
        direction). Returns ``{array: (H v) array}`` for every array with
        ``requires_grad`` the tape saw. It is the tangent of the backward pass (forward
        mode over reverse mode), exact through loops and branches like the gradient;
        the gradient itself accumulates into the arrays' ``.grad`` as with
        ``tape.backward(loss)`` (``tape.zero()`` before another call). numba_warp only.

        Example
        -------
        >>> @wp.kernel
        ... def cubes(x: wp.array(dtype=float), loss: wp.array(dtype=float)):
        ...     i = wp.tid()
        ...     wp.atomic_add(loss, 0, x[i] * x[i] * x[i])
        >>> x = wp.array([1.0, 2.0], dtype=float, requires_grad=True)
        >>> loss = wp.zeros(1, dtype=float, requires_grad=True)
        >>> tape = wp.Tape()
        >>> with tape:
        ...     wp.launch(cubes, dim=2, inputs=[x], outputs=[loss])
        >>> hv = tape.hvp(loss, {x: wp.array([1.0, 1.0], dtype=float)})
        >>> print(hv[x].numpy(), x.grad.numpy())  # H = diag(6 x), gradient 3 x^2
        [ 6. 12.] [ 3. 12.]
        """
        return tape_hvp(self, loss, v)

    def _check_versions(self):
        for rec in self.launches:
            for arr, version, where in rec.reads:
                if arr.version != version:
                    writer = arr.last_writer
                    who = (f"the same launch of '{rec.name}'" if writer == rec.name else
                           f"'{writer}'" if writer else "a later write")
                    raise RuntimeError(
                        f"tape.backward(): the array passed as '{where}' to kernel "
                        f"'{rec.name}' (launch #{rec.index} on the tape; shape "
                        f"{arr.shape}) was overwritten by {who} after '{rec.name}' read it. "
                        "Its gradient would be computed from values the forward pass did "
                        "not use. Write the new values to a different array (e.g. keep one "
                        "array per time step), or set wp.config.check_array_versions = False "
                        "if the overwrite cannot affect the gradient.")

    # -- utilities -------------------------------------------------------------------
    def zero(self):
        """Set every gradient array the tape has seen to zero."""
        for a, g in list(self.gradients.items()):
            if g is not None:
                g.zero_()
            if a.grad is not None and a.grad is not g:
                a.grad.zero_()
        for rec in self.launches:
            if isinstance(rec, FunctionRecord):
                for a in rec.arrays:
                    if getattr(a, "grad", None) is not None:
                        a.grad.zero_()

    def reset(self):
        """Forget the recorded launches and zero the gradients."""
        self.zero()
        self.launches = []
        self.scopes = []
        self.gradients = {}
        self.loss = None

    def get_adjoint(self, a):
        """The gradient array of ``a`` (None if it has none)."""
        return getattr(a, "grad", None)

    def visualize(self, filename: str | None = None, simplify_graph: bool = True,
                  hide_readonly_arrays: bool = False, array_labels: dict | None = None,
                  choose_longest_node_name: bool = True, ignore_graph_scopes: bool = False,
                  track_inputs=None, track_outputs=None, track_input_names=None,
                  track_output_names=None, graph_direction: str = "LR") -> str:
        """The recorded launches as a GraphViz ``dot`` graph (written to ``filename``).

        Kernels are boxes, arrays ellipses: green when they have ``requires_grad``, grey
        otherwise. Render with ``dot -Tsvg tape.dot -o tape.svg``.
        """
        dot = tape_to_dot(self, array_labels or {}, graph_direction, hide_readonly_arrays,
                          track_inputs or [], track_outputs or [], track_input_names or [],
                          track_output_names or [])
        if filename is not None:
            with open(filename, "w") as f:
                f.write(dot)
        return dot


def check_loss(loss, what: str):
    """A loss is a one-element array with a gradient."""
    if not isinstance(loss, array):
        raise TypeError(f"{what}(loss=...) needs a wp.array, got {type(loss).__name__}")
    if loss.size != 1 or loss.element_type.inner_shape:
        raise ValueError(
            f"{what}(loss=...) needs a single-element loss (a scalar), got an array of "
            f"shape {loss.shape} and dtype {type_name(loss.dtype)}; reduce it to one value, "
            "or pass grads={array: seed} to tape.backward for a vector-Jacobian product")
    if not loss.requires_grad:
        raise ValueError("the loss array has no gradient: create it with requires_grad=True "
                         "(e.g. wp.zeros(1, dtype=float, requires_grad=True))")


def _no_backward_message(k) -> str:
    # Warp's wording (a warning there too), and what the warning means for the result
    where = ("is configured with the option 'enable_backward=False'"
             if k.own_enable_backward is not None else
             "is defined in a module with the option 'enable_backward=False' set")
    return (f"Running the tape backwards may produce incorrect gradients because recorded "
            f"kernel {k.key} {where}: its launches contribute no gradient. Record it with "
            f"record_tape=False if that is intended.")


def _copy_adjoint(dest_grad, src_grad, dest_offset, src_offset, n, consume=True):
    """src.grad[range] += dest.grad[range]; dest.grad[range] = 0 (elements, flat order).

    Inside a CPU graph capture this is recorded and runs at each replay; inside a CUDA
    capture the host round trip below raises (it cannot be captured)."""
    if capture_state.defer((dest_grad.device, src_grad.device), _copy_adjoint, dest_grad,
                           src_grad, dest_offset, src_offset, n, consume):
        return
    d = dest_grad.numpy()
    s = src_grad.numpy()
    df = d.reshape((-1,) + d.shape[dest_grad.ndim:]).copy()
    sf = s.reshape((-1,) + s.shape[src_grad.ndim:]).copy()
    sf[src_offset:src_offset + n] += df[dest_offset:dest_offset + n]
    src_grad.assign(sf.reshape(s.shape))
    if consume:
        df[dest_offset:dest_offset + n] = 0
        dest_grad.assign(df.reshape(d.shape))


# ---------------------------------------------------------------------------------------
# GraphViz rendering (Tape.visualize)
# ---------------------------------------------------------------------------------------

def _label(a, labels) -> str:
    if a in labels:
        return str(labels[a])
    return f"{type_name(a.dtype)}{list(a.shape)}"


def tape_to_dot(tape, labels, direction, hide_readonly, track_inputs, track_outputs,
                track_input_names, track_output_names) -> str:
    """The launches on ``tape`` as a GraphViz ``dot`` graph (see ``Tape.visualize``)."""
    lines = ["digraph tape {", f"  rankdir={direction};",
             '  node [fontname="Helvetica", fontsize=10];']
    arrays: dict[int, object] = {}
    written: set[int] = set()
    edges = []
    for rec in tape.launches:
        kid = f"k{rec.index}"
        if isinstance(rec, FunctionRecord):
            lines.append(f'  {kid} [shape=box, style="rounded,dashed", label="{rec.name}"];')
            for a in rec.arrays:
                if isinstance(a, array):
                    arrays[id(a)] = a
                    edges.append(f"  a{id(a)} -> {kid} [style=dashed];")
            continue
        lines.append(f'  {kid} [shape=box, style="rounded,filled", fillcolor="#dddddd", '
                     f'label="{rec.kernel.__name__}\\n#{rec.index} dim={rec.dim}"];')
        names = rec.kernel.arg_names
        for k, a in enumerate(rec.inputs):
            if isinstance(a, array):
                arrays[id(a)] = a
                edges.append(f'  a{id(a)} -> {kid} [label="{names[k]}"];')
        for k, a in enumerate(rec.outputs):
            if isinstance(a, array):
                arrays[id(a)] = a
                written.add(id(a))
                edges.append(f'  {kid} -> a{id(a)} [label="{names[len(rec.inputs) + k]}"];')
    tracked = {id(a): n for a, n in zip(track_inputs, track_input_names or [None] * 99)}
    tracked.update({id(a): n for a, n in zip(track_outputs, track_output_names or [None] * 99)})
    for aid, a in arrays.items():
        if hide_readonly and aid not in written and not a.requires_grad:
            continue
        color = "#b7e4a7" if a.requires_grad else "#eeeeee"
        label = tracked.get(aid) or _label(a, labels)
        lines.append(f'  a{aid} [shape=ellipse, style=filled, fillcolor="{color}", '
                     f'label="{label}"];')
    lines.extend(edges)
    lines.append("}")
    return "\n".join(lines) + "\n"


# -- Hessian-vector products (Tape.hvp) ------------------------------------------------
# Forward over reverse (autodiff/hessian.py): 1. the tangent sweep: every recorded launch,
# first to last, runs its tangent replay, which writes the tangents (along v) of what the
# launch wrote into tangent arrays without writing the arrays again; 2. the reverse
# sweep: every launch, last to first, runs its Hessian body, which does what its backward
# pass does (gradients into .grad) and accumulates the gradients' tangents, H v, into a
# second array per array. Both read the arrays as the forward pass left them, as the
# backward pass does; the version check guards the same way.

def _is_float(a) -> bool:
    """Whether an array's elements have float components (structs: any field)."""
    try:
        return is_float_array(types.Array(a.element_type.numba_type, 1, "A"))
    except Exception:
        return False


class _Table:
    """A second array per array (tangents, or tangents of gradients), made on demand."""

    def __init__(self, wanted):
        self.arrays: dict = {}
        self.keep: dict = {}
        self.wanted = wanted

    def get(self, a):
        hit = self.arrays.get(id(a))
        if hit is None and self.wanted(a):
            hit = zeros(a.shape, dtype=a.dtype, device=a.device)
            self.put(a, hit)
        return hit

    def put(self, a, t):
        self.arrays[id(a)] = t
        self.keep[id(a)] = a

    def argument(self, value):
        """The tangent-side argument for a launch argument: an array, a struct of them,
        or None."""
        if isinstance(value, array):
            return self.get(value)
        cls = type(value)
        if hasattr(cls, "_wp_struct_"):
            out = cls()
            for name, spec in cls._wp_struct_.fields:
                if spec.kind in ("array", "struct"):
                    setattr(out, name, self.argument(getattr(value, name)))
            return out
        return None


def tape_hvp(tape, loss, v: dict, seeds: dict | None = None) -> dict:
    """``tape.hvp(loss, v)``; or, with ``loss`` None, the gradient seeds ``{array:
    seed}`` of ``seeds`` (the Hessian of the sum of each array's elements weighted by
    its seed)."""
    if loss is not None:
        check_loss(loss, "tape.hvp")
    if not isinstance(v, dict) or not all(isinstance(a, array) for a in v):
        raise TypeError("tape.hvp(loss, v): v is a dict {array: direction array}")
    if not tape.launches:
        raise RuntimeError("tape.hvp(): nothing was recorded on this tape (since it was created "
                           "or last reset()); run the forward launches inside 'with tape:' "
                           "first")
    for rec in tape.launches:
        if isinstance(rec, FunctionRecord):
            raise RuntimeError(
                f"tape.hvp(): the tape holds '{rec.name}' (launch #{rec.index}), a recorded "
                "function or array copy; Hessian-vector products cover tapes of kernel "
                "launches only. Do the copy in a kernel of the recorded computation.")
        if not rec.kernel.enable_backward:
            raise RuntimeError(f"tape.hvp(): kernel '{rec.name}' (launch #{rec.index}) was "
                               "declared with enable_backward=False")
    # only arrays some launch reads need tangents (a loss accumulated by atomics from
    # every thread, read by none, would cost as much as the rest of the product)
    read = {id(a) for rec in tape.launches for a, _, _ in rec.reads}
    tangents = _Table(lambda a: id(a) in read and _is_float(a))
    for a, d in v.items():
        if not isinstance(d, array) or d.shape != a.shape or d.dtype != a.dtype:
            raise ValueError(
                f"tape.hvp(loss, v): the direction for an array of shape {a.shape} and dtype "
                f"{a.dtype.__name__} must be a wp.array of the same shape and dtype, got "
                f"{type(d).__name__ if not isinstance(d, array) else (d.shape, d.dtype.__name__)}")
        if d.device != a.device:
            raise ValueError(f"tape.hvp(loss, v): a direction is on {d.device}, its array on "
                             f"{a.device}")
        t = zeros(a.shape, dtype=a.dtype, device=a.device)
        t.assign(d)
        tangents.put(a, t)
    if config.check_array_versions:
        tape._check_versions()
    for rec in tape.launches:
        args = [*rec.inputs, *rec.outputs]
        launch_hessian(rec.kernel, rec.dim, args, rec.device, "tangent_replay",
                       [tangents.argument(x) for x in args], max_blocks=rec.max_blocks,
                       block_dim=rec.block_dim)
    if loss is not None:
        tape.loss = loss
        loss.grad.fill_(1.0)
    for a, seed in (seeds or {}).items():
        a.grad.assign(seed)
    hv = _Table(lambda a: a.requires_grad)
    for rec in reversed(tape.launches):
        args = [*rec.inputs, *rec.outputs]
        launch_hessian(rec.kernel, rec.dim, args, rec.device, "hvp",
                       [tangents.argument(x) for x in args],
                       [hv.argument(x) for x in args], max_blocks=rec.max_blocks,
                       block_dim=rec.block_dim)
    return {a: hv.get(a) for a in tape.gradients}
