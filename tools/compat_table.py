"""Write docs/compat_table.md: every public name of NVIDIA Warp 1.19 and its status in
numba_warp.

Names: Warp's top-level namespace (``dir(warp)``), ``warp.types`` and ``warp.utils``, and
the public kernel builtins that kernels reach as ``wp.<name>`` without being in
``dir(warp)`` (tile, volume and geometry queries, ``wp.tid``, ...). With Warp installed
they are read from Warp itself; without it, from the stored list next to this script
(``warp_1_19_names.txt``; ``--update-names`` rewrites it from the installed Warp).

Status of each name, read from numba_warp itself:

* **same**: numba_warp defines it, with Warp's meaning as far as we know;
* **differs on purpose**: defined, with a known, deliberate difference (``DIFFERS`` below,
  from docs/coming_from_warp.md);
* **not supported** / **not yet**: a stub (numba_warp/unsupported.py); the note is the
  error text a user gets;
* **missing**: neither (a gap to fill).

Usage::

    python tools/compat_table.py                 # write docs/compat_table.md (and drop
                                                 # arrived names from awaited_names.txt)
    python tools/compat_table.py --check         # exit 1 when the file is stale
    python tools/compat_table.py --update-names  # refresh the stored name list (needs Warp)
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
NAMES_FILE = pathlib.Path(__file__).resolve().parent / "warp_1_19_names.txt"
BUILTINS_TSV = ROOT / "tests" / "data" / "warp_builtins.tsv"
TABLE = ROOT / "docs" / "compat_table.md"
AWAITED_FILE = ROOT / "tests" / "compat" / "data" / "awaited_names.txt"
MODULES = ("warp", "warp.types", "warp.utils", "warp.render")
SUBMODULES = ("warp.autograd", "warp.render", "warp.geometry", "warp.optim", "warp.sparse",
              "warp.fem", "warp.sim")

sys.path.insert(0, str(ROOT))  # this checkout's numba_warp

import numba_warp  # noqa: E402
from numba_warp import unsupported  # noqa: E402

_INT_RULES = ("integers of two types follow C's promotion (Warp: a compile error); "
              "division by zero gives 0 and shifts take the count modulo the width "
              "(Warp: undefined)")
_NAN = "a NaN argument gives NaN (Warp clamps it to a number first)"

# Deliberate differences (docs/coming_from_warp.md has the details).
DIFFERS = {
    "warp.launch": "CPU launches run on all cores (Warp's CPU backend is one thread); "
                   "below wp.config.cpu_parallel_threshold threads they run serially",
    "warp.kernel": "compiled through Numba; a compile error names your file and line and is "
                   "also reported at definition as a WarpCodegenWarning",
    "warp.clear_kernel_cache": "the cache is ~/.cache/numba_warp (Warp: ~/.cache/warp) and "
                               "holds the generated Python next to the compiled code",
    "warp.Tape": "gradients of dynamic loops are exact (checkpointed); backward() raises when "
                 "an array read by a recorded launch was overwritten",
    "warp.static": "`for x in wp.static(seq)` unrolls over any sequence (Warp: a range); "
                   "break/continue in such a loop is an error",
    "warp.add": _INT_RULES, "warp.sub": _INT_RULES, "warp.mul": _INT_RULES,
    "warp.div": _INT_RULES, "warp.floordiv": _INT_RULES, "warp.lshift": _INT_RULES,
    "warp.rshift": _INT_RULES,
    "warp.mod": "float gradient in the divisor is -trunc(a / b) (Warp: 0); " + _INT_RULES,
    "warp.acos": _NAN, "warp.asin": _NAN, "warp.smoothstep": _NAN,
    "warp.quat_between_vectors": "opposite vectors give a half turn that maps a onto b "
                                 "(Warp: the identity)",
    "warp.quat_to_axis_angle": "the identity gives axis (1, 0, 0), a unit vector (Warp: "
                               "(0, 0, 0)); in the output-argument form the outputs' old "
                               "values get no gradient",
    "warp.svd3": "in the output-argument form the outputs' old values get no gradient",
    "warp.quat_slerp": "exact gradient when b = a or b = -a (Warp: 0 for b)",
    "warp.bit_count": "a Python int over 32 bits is counted in 64 bits at Python scope "
                      "(Warp truncates it)",
    "warp.pnoise": "lattice indices wrap with a floor modulo: periodic at negative "
                   "coordinates too (Warp's field stops repeating below zero)",
    "warp.randi": "high == low returns low (Warp divides by zero)",
    "warp.randu": "high == low returns low (Warp divides by zero)",
    "warp.curlnoise": "also differentiable in lacunarity and gain",
    "warp.sample_cdf": "also at Python scope, and with float64 CDFs",
    "warp.copy": "recorded on a Tape even when src gets its gradient array later",
    "warp.float32": "a Python-scope value is rounded to the type (Warp keeps the Python float "
                    "in .value)",
    "warp.float16": "a Python-scope value is rounded to the type (Warp keeps the Python float "
                    "in .value)",
}


def live_names() -> list[str] | None:
    """Warp's public names from the installed Warp, or None without it."""
    try:
        import warp
    except ImportError:
        return None

    warp.config.quiet = True
    # dir(warp) before importing warp.render: an imported submodule becomes an attribute
    top = {n for n in dir(warp) if not n.startswith("_")} - {"render"}
    names = [f"warp.{n}" for n in top]
    for module_name in MODULES[1:]:
        module = importlib.import_module(module_name)
        names += [f"{module_name}.{n}" for n in dir(module) if not n.startswith("_")]
    return sorted(names) + [f"warp.{n}" for n in kernel_only_builtins(top)]


def kernel_only_builtins(top: set) -> list[str]:
    rows = [ln.rstrip("\n").split("\t") for ln in BUILTINS_TSV.read_text().splitlines()[1:]]
    return sorted({name for name, _, visibility in rows
                   if visibility == "public" and name not in top})


def stored_names() -> list[str]:
    return [ln.strip() for ln in NAMES_FILE.read_text().splitlines()
            if ln.strip() and not ln.startswith("#")]


def _numba_module(warp_module: str):
    """numba_warp's module for ``warp_module`` ("warp.types" -> numba_warp.types), or None."""
    if warp_module == "warp":
        return numba_warp
    sub = warp_module.split(".", 1)[1]
    found = getattr(numba_warp, sub, None)
    if found is None and importlib.util.find_spec(f"numba_warp.{sub}") is not None:
        found = importlib.import_module(f"numba_warp.{sub}")
    return found


def status(qualname: str) -> tuple[str, str]:
    """(status, note) of one Warp name in this numba_warp."""
    warp_module, name = qualname.rsplit(".", 1)
    module = _numba_module(warp_module)
    if module is None:
        return "missing", f"numba_warp has no {warp_module.replace('warp', 'wp', 1)} module"
    try:
        value = getattr(module, name)
    except AttributeError:
        return "missing", ""
    if unsupported.is_stub(value):
        gap = unsupported.gap_of(value.__stub_qualname__)
        label = "not yet" if gap.status == "not yet" else "not supported"
        return label, f"[{_GAP_IDS[gap]}](#{_GAP_IDS[gap].lower()}): {value.__stub_message__}"
    if qualname in DIFFERS:
        return "differs on purpose", DIFFERS[qualname]
    return "same", ""


def submodule_status(warp_module: str) -> tuple[str, str]:
    numba_name = warp_module.replace("warp", "numba_warp", 1)
    if importlib.util.find_spec(numba_name) is None:
        return "missing", ""
    try:
        importlib.import_module(numba_name)
    except ImportError as exc:
        return "import fails", str(exc)
    gap = unsupported.gap_of(warp_module)
    if warp_module == "warp.render":
        return "imports", "its renderers are stubs (see warp.render above)"
    return ("imports", gap.why) if gap else ("imports", "")


_GAP_IDS = {gap: f"R{k}" for k, gap in enumerate(unsupported.GAPS, 1)}


def _short(note: str) -> str:
    """A stub's row: the reason's link and the first clause of the error text; the whole
    text is in the reasons section once per reason."""
    link, _, text = note.partition(": ")
    return f"{link}: {text.split(': ', 1)[0]}" if link.startswith("[R") else note


def _reasons(stubbed: dict) -> list[str]:
    out = ["## Reasons", "",
           "The error a user gets for each name of a group is this text, with the name.", ""]
    for gap, names in sorted(stubbed.items(), key=lambda item: int(_GAP_IDS[item[0]][1:])):
        ident = _GAP_IDS[gap]
        label = "not yet" if gap.status == "not yet" else "not supported"
        out += [f'<a id="{ident.lower()}"></a>', f"**{ident}** ({label}): "
                + ", ".join(f"`{n}`" for n in names), "",
                f"> {unsupported.message(gap.names[0])}", ""]
    return out


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _section(title: str, rows: list) -> list[str]:
    out = [f"## {title}", "", "| name | status | notes |", "|---|---|---|"]
    out += [f"| `{display}` | {state} | {_cell(_short(note))} |" for display, state, note in rows]
    return out + [""]


def render(names: list[str]) -> str:
    """The markdown table for ``names`` (qualified Warp names)."""
    by_module: dict = {}
    kernel_only = set(kernel_only_builtins(
        {n.split(".", 1)[1] for n in names if n.count(".") == 1}))
    counts: dict = {}
    stubbed: dict = {}
    for qualname in names:
        warp_module, name = qualname.rsplit(".", 1)
        state, note = status(qualname)
        counts[state] = counts.get(state, 0) + 1
        if state in ("not yet", "not supported"):
            gap = unsupported.gap_of(qualname)
            stubbed.setdefault(gap, []).append("wp." + qualname.split(".", 1)[1])
        section = "kernel" if warp_module == "warp" and name in kernel_only else warp_module
        display = "wp." + qualname.split(".", 1)[1]
        by_module.setdefault(section, []).append((display, state, note))
    summary = ", ".join(f"{state}: {counts[state]}" for state in
                        ("same", "differs on purpose", "not supported", "not yet", "missing")
                        if state in counts)
    lines = [
        "# NVIDIA Warp 1.19 names in numba_warp",
        "",
        "Generated by `tools/compat_table.py`: do not edit; run `python tools/compat_table.py`",
        "after changing the API. Every public name of Warp 1.19's `warp`, `warp.types`,",
        "`warp.utils` and `warp.render`, and the kernel builtins reached as `wp.<name>`.",
        "**same**: provided with Warp's meaning; **differs on purpose**: a deliberate",
        "difference (details in coming_from_warp.md); **not supported** / **not yet**: using",
        "it raises the error quoted (at the kernel's line when used in a kernel);",
        "**missing**: not provided yet, no stub (an AttributeError).",
        "",
        f"{len(names)} names. {summary}.",
        "",
    ]
    titles = {"warp": "warp (`import warp as wp`)", "warp.types": "warp.types",
              "warp.utils": "warp.utils", "warp.render": "warp.render",
              "kernel": "Kernel builtins outside dir(warp)"}
    for section, title in titles.items():
        if section in by_module:
            lines += _section(title, by_module[section])
    lines += ["## Submodules", "", "| module | `import numba_warp.<name>` | notes |",
              "|---|---|---|"]
    for warp_module in SUBMODULES:
        state, note = submodule_status(warp_module)
        lines.append(f"| `{warp_module}` | {state} | {_cell(note)} |")
    lines += [""] + _reasons(stubbed)
    return "\n".join(lines).rstrip("\n") + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the table is stale")
    parser.add_argument("--update-names", action="store_true",
                        help="rewrite the stored name list from the installed Warp")
    args = parser.parse_args(argv)
    live = live_names()
    if args.update_names:
        if live is None:
            parser.error("--update-names needs NVIDIA Warp (pip install '.[compat]')")
        NAMES_FILE.write_text("# NVIDIA Warp 1.19 public names (tools/compat_table.py "
                              "--update-names)\n" + "\n".join(live) + "\n")
    names = live if live is not None else stored_names()
    text = render(names)
    if args.check:
        stale = not TABLE.exists() or TABLE.read_text() != text
        if stale:
            print(f"{TABLE.relative_to(ROOT)} is stale: run python tools/compat_table.py")
        return int(stale)
    TABLE.write_text(text)
    print(f"wrote {TABLE.relative_to(ROOT)} ({len(names)} names)")
    prune_awaited()
    return 0


def prune_awaited() -> None:
    """Drop the names that exist now from the list of names other work is adding (the
    test baseline tests/compat/data/awaited_names.txt); never adds one."""
    lines = AWAITED_FILE.read_text().splitlines()
    keep = [ln for ln in lines if ln.startswith("#") or not ln.strip()
            or status(ln.strip())[0] == "missing"]
    if len(keep) != len(lines):
        AWAITED_FILE.write_text("\n".join(keep) + "\n")
        print(f"{AWAITED_FILE.relative_to(ROOT)}: {len(lines) - len(keep)} names arrived")


if __name__ == "__main__":
    sys.exit(main())
