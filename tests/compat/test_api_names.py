"""Every public name of NVIDIA Warp 1.19 exists in numba_warp (defined, or a stub that
raises a clear error), and the table in docs/coming_from_warp.md says which is which.

The names come from the installed Warp when there is one, else from the stored list
tools/warp_1_19_names.txt (``python tools/compat_table.py --update-names`` refreshes it).
"""

from __future__ import annotations

import difflib
import importlib.util
import pathlib


import numba_warp
from numba_warp import unsupported

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _tool():
    spec = importlib.util.spec_from_file_location("compat_table", ROOT / "tools/compat_table.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


TOOL = _tool()
NAMES = TOOL.stored_names()


def _missing(names):
    return sorted(n for n in names if TOOL.status(n)[0] == "missing")


def test_every_warp_name_exists():
    missing = _missing(NAMES)
    assert not missing, (
        f"{len(missing)} Warp 1.19 names with neither a definition nor a stub in numba_warp: "
        f"{missing}. Implement them, or add an entry to numba_warp/unsupported.py (why "
        "and what to use instead), then run python tools/compat_table.py")


def test_every_stub_names_a_warp_name():
    known = set(NAMES)
    bogus = [n for gap in unsupported.GAPS for n in gap.names if n not in known]
    assert not bogus, f"numba_warp/unsupported.py stubs names Warp 1.19 does not have: {bogus}"


def test_no_stub_entry_is_shadowed_by_a_real_definition():
    # a name implemented since its stub was written: the stub is never served, and the
    # table entry would mislead whoever reads numba_warp/unsupported.py
    shadowed = []
    for gap in unsupported.GAPS:
        for qualname in gap.names:
            module = TOOL._numba_module(qualname.rsplit(".", 1)[0])
            if module is not None and qualname.rsplit(".", 1)[1] in vars(module):
                shadowed.append(qualname)
    assert not shadowed, ("implemented now: remove these names from "
                          f"numba_warp/unsupported.py: {shadowed}")


def test_stored_name_list_is_warp_1_19s(warp):
    assert warp.__version__.startswith("1.19")
    assert TOOL.live_names() == NAMES, \
        "tools/warp_1_19_names.txt is stale: run python tools/compat_table.py --update-names"


def test_compat_table_is_current():
    names = TOOL.live_names() or NAMES
    old, new = TOOL.embedded(), TOOL.render(names)
    diff = "\n".join(list(difflib.unified_diff(old.splitlines(), new.splitlines(), "committed",
                                                "now", lineterm=""))[:40])
    assert old == new, ("the table in docs/coming_from_warp.md is stale: run python "
                        f"tools/compat_table.py\n{diff}")


def test_compat_table_quotes_the_stub_errors():
    text = TOOL.TABLE.read_text()
    assert "| `wp.tile_load` | not supported | [R1](#r1): wp.tile_load is not supported" in text
    for gap in unsupported.GAPS:  # each reason's full error text, as a user gets it
        if any(TOOL.status(n)[0] in ("not yet", "not supported") for n in gap.names):
            assert f"> {unsupported.message(gap.names[0])}" in text
    assert numba_warp.Volume.__stub_message__ == unsupported.message("warp.Volume")
