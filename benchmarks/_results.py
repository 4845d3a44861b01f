"""The results format of ``benchmarks/run_all.py``, shared with ``tools/perf_report.py``.

A results file is JSON::

    {"format": "numba_warp-bench/1",
     "machine": {"date", "cpu", "cores", "gpu", "load_average", "versions": {...}, ...},
     "options": {"quick", "device", "only", "loaded"},
     "rows": [ROW, ...]}

and a ROW is one measurement of numba_warp next to its baselines::

    {"id": "launch",               # the case's id (what --only matches)
     "case": "wp.launch, 4 arrays",
     "device": "cpu" | "cuda" | "host",
     "unit": "us" | "ms" | "s" | "GB/s" | "TB/s" | "x",
     "better": "lower" | "higher",
     "numba_warp": 5.6,            # None when it could not be measured
     "baselines": {"NVIDIA Warp": 13.5, "torch": 7.1},
     "ratios": {"NVIDIA Warp": 2.41, ...},   # speed-up, see below
     "target": {"text": "<= 5 us", "max": 5.0} | {"min": ...}
               | {"ratio_min": 0.9, "baseline": "torch"} | None,
     "met": True | False | None,   # None: no target, or its baseline is missing
     "error": None | "what went wrong",
     "notes": "baselines skipped, details"}

``ratios`` are *speed-ups of numba_warp over each baseline*: baseline time / numba_warp time
for ``better == "lower"``, numba_warp throughput / baseline throughput for "higher". Above
1, numba_warp is better. A target either bounds numba_warp's own value (``max``/``min``)
or asks for at least ``ratio_min`` against a named baseline.
"""

from __future__ import annotations

import datetime
import math
import os
import platform
import shutil
import subprocess
from importlib import metadata
from pathlib import Path

FORMAT = "numba_warp-bench/1"
ROOT = Path(__file__).resolve().parent.parent
DEVICE_TITLES = {"cpu": "CPU", "cuda": "CUDA", "host": "Start-up (no device)"}
#: distributions whose versions a results file records (cupy is looked up by prefix)
VERSIONED = ["numba", "numba-cuda", "llvmlite", "numpy", "torch", "warp-lang", "cuda-core"]


def make_row(case_id, case, device, unit, better, numba_warp, baselines=None, target=None,
             notes="", error=None) -> dict:
    """A ROW (see the module docstring), its ratios and target status filled in."""
    row = {"id": case_id, "case": case, "device": device, "unit": unit, "better": better,
           "numba_warp": numba_warp, "baselines": dict(baselines or {}), "ratios": {},
           "target": target, "met": None, "error": error, "notes": notes}
    complete_row(row)
    return row


def error_row(case_id, case, device, error) -> dict:
    return make_row(case_id, case, device, "", "lower", None, error=error)


def complete_row(row: dict) -> dict:
    """(Re)compute ``ratios`` and ``met`` from the values."""
    value = row.get("numba_warp")
    row["ratios"] = {}
    for name, base in row.get("baselines", {}).items():
        if _usable(value) and _usable(base):
            row["ratios"][name] = base / value if row["better"] == "lower" else value / base
    bound = target_bound(row)
    row["met"] = None
    if bound is not None and _usable(value):
        row["met"] = bool(value <= bound if row["better"] == "lower" else value >= bound)
    return row


def target_bound(row: dict):
    """The value numba_warp must reach (at most, or at least) to meet the row's target;
    None without a target or when the baseline it refers to is missing."""
    target = row.get("target")
    if not target:
        return None
    if "max" in target:
        return target["max"]
    if "min" in target:
        return target["min"]
    base = row.get("baselines", {}).get(target.get("baseline"))
    if not _usable(base):
        return None
    r = target["ratio_min"]
    return base / r if row["better"] == "lower" else base * r


def _usable(x) -> bool:
    return isinstance(x, (int, float)) and math.isfinite(x) and x > 0


def fmt_value(value, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "x":
        return f"{value:.2f}x"
    digits = 3 if abs(value) < 1000 else 4
    return f"{value:.{digits}g} {unit}"


def fmt_ratio(r) -> str:
    return "-" if r is None else (f"{r:.2f}x" if r < 100 else f"{r:.0f}x")


def target_cell(row: dict) -> str:
    target = row.get("target")
    if not target:
        return ""
    mark = {True: "met", False: "**not met**", None: "n/a"}[row.get("met")]
    return f"{target['text']}: {mark}"


def markdown_table(rows, with_device=True) -> str:
    """A Markdown table of ROWs: case, numba_warp, baselines, speed-ups, target."""
    head = (["case"] + (["device"] if with_device else [])
            + ["numba_warp", "baselines", "speed-up vs baseline", "target"])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rows:
        if row.get("error"):
            nw, bases, ratios = "error", row["error"].replace("|", "/")[:300], ""
        else:
            nw = fmt_value(row["numba_warp"], row["unit"])
            bases = "; ".join(f"{k} {fmt_value(v, row['unit'])}"
                              for k, v in row["baselines"].items()) or "-"
            ratios = "; ".join(f"{fmt_ratio(v)} {k}" for k, v in row["ratios"].items()) or "-"
        cells = [row["case"]] + ([row["device"]] if with_device else [])
        cells += [nw, bases, ratios, target_cell(row)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------
# Machine information
# ---------------------------------------------------------------------------------------

def machine_info() -> dict:
    """What a reader needs to judge the numbers: date, CPU, cores, GPU, load, versions."""
    info = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "python": platform.python_version(), "platform": platform.platform(),
            "cpu": cpu_model(), "cores": os.cpu_count(), "cores_usable": machine_cores(),
            "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
            "gpu": gpu_name(), "versions": versions()}
    return info


def machine_cores() -> int:
    """The cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def gpu_name():
    """The first GPU's name (numba.cuda, else nvidia-smi), or None."""
    try:
        from numba import cuda  # optional: absent or driverless machines answer None

        if cuda.is_available():
            name = cuda.get_current_device().name
            return name.decode() if isinstance(name, bytes) else str(name)
    except Exception:  # noqa: BLE001, S110 - any failure means "no usable GPU"
        pass
    smi = shutil.which("nvidia-smi")
    if smi:
        try:
            out = subprocess.run([smi, "--query-gpu=name", "--format=csv,noheader"],
                                 capture_output=True, text=True, check=False, timeout=20)
            names = [n.strip() for n in out.stdout.splitlines() if n.strip()]
            if names:
                return names[0] + (f" (x{len(names)})" if len(names) > 1 else "")
        except (OSError, subprocess.SubprocessError):
            pass
    return None


def versions() -> dict:
    found = {}
    for dist in VERSIONED:
        try:
            found[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            found[dist] = None
    cupy = [d.metadata["Name"] for d in metadata.distributions()
            if (d.metadata["Name"] or "").lower().startswith("cupy")]
    found["cupy"] = metadata.version(cupy[0]) if cupy else None
    found["numba_warp"] = numba_warp_version()
    return found


def numba_warp_version() -> str:
    """numba_warp's version and the git commit of this checkout (``+dirty`` when edited)."""
    version = "?"
    version_file = ROOT / "numba_warp" / "version.py"
    if version_file.exists():
        for line in version_file.read_text().splitlines():
            if line.startswith("__version__"):
                version = line.split("=", 1)[1].strip().strip("\"'")
    try:
        commit = _git("rev-parse", "--short", "HEAD")
        dirty = _git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return version
    return f"{version} ({commit}{'+dirty' if dirty else ''})" if commit else version


def _git(*args) -> str:
    return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True,
                          check=False, timeout=10).stdout.strip()
