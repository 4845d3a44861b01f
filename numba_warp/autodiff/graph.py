"""GraphViz rendering of a tape (``Tape.visualize``)."""

from __future__ import annotations

from ..typing.dtypes import type_name

__all__ = ["tape_to_dot"]


def _label(a, labels) -> str:
    if a in labels:
        return str(labels[a])
    return f"{type_name(a.dtype)}{list(a.shape)}"


def tape_to_dot(tape, labels, direction, hide_readonly, track_inputs, track_outputs,
                track_input_names, track_output_names) -> str:
    from ..runtime.array import array
    from .tape import _Func

    lines = ["digraph tape {", f"  rankdir={direction};",
             '  node [fontname="Helvetica", fontsize=10];']
    arrays: dict[int, object] = {}
    written: set[int] = set()
    edges = []
    for rec in tape.launches:
        kid = f"k{rec.index}"
        if isinstance(rec, _Func):
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
