"""Coverage of Warp's builtin names (the reference list is a copy in tests/data).

Prints implemented vs missing public names per group. Fails if a name recorded in
tests/data/builtins_implemented.txt is no longer provided (set
NUMBA_WARP_UPDATE_COVERAGE=1 to record newly implemented names).
"""

import os

import numba_warp as wp
from numba_warp.unsupported import is_stub

DATA = os.path.join(os.path.dirname(__file__), "data")
GROUPS = ["Scalar Math", "Vector Math", "Quaternion Math", "Transformations", "Spatial Math",
          "Random", "Operators", "Utility", "Geometry"]


def _reference():
    rows = []
    with open(os.path.join(DATA, "warp_builtins.tsv")) as f:
        next(f)
        for line in f:
            name, group, visibility = line.rstrip("\n").split("\t")
            rows.append((name, group, visibility))
    return rows


# Names that exist at Python scope but whose kernel form (Warp's builtin of that name)
# is not implemented yet; they are counted as missing.
KERNEL_FORM_MISSING: set = set()


def _implemented(name):
    # a stub (numba_warp/unsupported.py) names a missing builtin: it is not implemented
    return hasattr(wp, name) and not is_stub(getattr(wp, name)) \
        and name not in KERNEL_FORM_MISSING


def coverage():
    out = {}
    for group in GROUPS:
        names = sorted(n for n, g, v in _reference() if g == group and v == "public")
        have = [n for n in names if _implemented(n)]
        out[group] = (have, sorted(set(names) - set(have)))
    return out


def test_builtin_coverage_report_and_no_regressions():
    cov = coverage()
    total_have = total = 0
    for group, (have, missing) in cov.items():
        total_have += len(have)
        total += len(have) + len(missing)
        print(f"{group:<16} {len(have):3d}/{len(have) + len(missing):3d}"
              + (f"  missing: {', '.join(missing)}" if missing else ""))
    print(f"{'total':<16} {total_have:3d}/{total:3d}")
    baseline_path = os.path.join(DATA, "builtins_implemented.txt")
    implemented = sorted({n for have, _ in cov.values() for n in have})
    if os.environ.get("NUMBA_WARP_UPDATE_COVERAGE"):
        with open(baseline_path, "w") as f:
            f.write("\n".join(implemented) + "\n")
    with open(baseline_path) as f:
        baseline = [ln.strip() for ln in f if ln.strip()]
    lost = [n for n in baseline if not _implemented(n)]
    assert not lost, f"builtins that used to be implemented are gone: {lost}"
