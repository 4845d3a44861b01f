"""Every differentiable builtin's adjoint against central differences (float64).

Rows live in ``rows_*.py`` (one file per builtin group); ``gradtable.py`` compiles them
in chunks into generated kernels, checked in reverse mode (adjoints) and forward mode
(tangents, derived from the same rules). The completeness test fails when a builtin has an
adjoint rule but no row, or is neither differentiable nor marked as not.
"""

from __future__ import annotations

import importlib
import os

import pytest

import numba_warp as wp
from numba_warp import lang
from numba_warp.lowering import registry as rules

from .gradtable import check_rows

GROUP_FILES = ["rows_scalar", "rows_vector", "rows_quat", "rows_transform", "rows_spatial",
               "rows_decomp", "rows_random", "rows_geometry"]
CHUNK = 12
# without a GPU, the conftest compiles each kernel to PTX; the backward pass contains the
# forward replay, so compiling it alone checks both
PTX_ADJOINT_ONLY = True


def _rows():
    out = {}
    for name in GROUP_FILES:
        try:
            mod = importlib.import_module(f".{name}", __package__)
        except ModuleNotFoundError:
            continue
        out[name] = mod.ROWS
    return out


ROWS = _rows()
CHUNKS = [(f"{g}_{i // CHUNK}", rows[i:i + CHUNK])
          for g, rows in ROWS.items() for i in range(0, len(rows), CHUNK)]


@pytest.mark.parametrize("name,rows", CHUNKS, ids=[c[0] for c in CHUNKS])
def test_builtin_gradients(name, rows, device):
    failures = check_rows(name, rows, device)
    assert not failures, "\n".join(failures)


# Forward mode: every row's tangent (JVP) along random directions. The tangent of each
# chunk is a third compiled variant (~25 s on the 2-core CI machine): CI checks the first
# chunk of each group; the whole table runs where a GPU is present (16 cores) or with
# NUMBA_WARP_LONG=1 (all 23 chunks pass on the CPU).
_ALL_TANGENTS = bool(wp.get_cuda_device_count() or os.environ.get("NUMBA_WARP_LONG"))
TANGENT_CHUNKS = CHUNKS if _ALL_TANGENTS else [c for c in CHUNKS if c[0].endswith("_0")]


@pytest.mark.parametrize("name,rows", TANGENT_CHUNKS, ids=[c[0] for c in TANGENT_CHUNKS])
def test_builtin_tangents(name, rows, device):
    failures = check_rows(name, rows, device, mode="tangent")
    assert not failures, "\n".join(failures)


# builtins that are not functions of values (handled by the code generator or with
# side effects only), so neither a rule nor a "no gradient" mark applies
_NOT_VALUES = {"tid", "static", "print", "printf", "breakpoint", "expect_eq", "expect_neq",
               "expect_near", "array", "zeros", "atomic_add", "atomic_sub", "atomic_min",
               "atomic_max", "atomic_and", "atomic_or", "atomic_xor", "atomic_exch",
               "atomic_cas"}


def _implemented():
    path = os.path.join(os.path.dirname(__file__), "..", "data", "builtins_implemented.txt")
    with open(path) as f:
        return [ln.strip() for ln in f if ln.strip()]


def test_every_builtin_is_differentiable_or_marked():
    missing = []
    for name in _implemented():
        if name in _NOT_VALUES:
            continue
        obj = getattr(lang, name, None) or getattr(wp, name)
        if rules.rule_for(obj) is None and not rules.is_nondifferentiable(obj) and \
                not isinstance(obj, type):
            missing.append(name)
    assert not missing, f"builtins with no adjoint rule and no 'nondifferentiable' mark: {missing}"


def test_every_differentiable_builtin_has_a_row():
    covered = {r.name for rows in ROWS.values() for r in rows}
    missing = []
    for name in _implemented():
        obj = getattr(lang, name, None) or getattr(wp, name, None)
        if obj is None or name in _NOT_VALUES:
            continue
        if rules.rule_for(obj) is not None and name not in covered:
            missing.append(name)
    assert not missing, f"differentiable builtins with no gradient-table row: {missing}"
