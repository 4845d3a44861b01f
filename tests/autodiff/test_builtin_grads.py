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


# Second order: every row with a second derivative, its Hessian-vector product
# (tape.hvp) along random directions against central differences of its gradient. Four
# compiled variants per chunk: CI checks the scalar and vector groups' first chunks; the
# whole table runs where a GPU is present or with NUMBA_WARP_LONG=1.
#: builtins without second derivatives (tape.hvp refuses them at the calling line); the
#: completeness test below keeps this list and the rule table in step
NO_SECOND_DERIVATIVE = {
    "svd3", "svd2", "eig3", "noise", "pnoise", "curlnoise", "closest_point_edge_edge",
    "quat_between_vectors", "quat_from_euler", "quat_from_matrix", "quat_rpy", "quat_slerp",
    "quat_to_axis_angle", "quat_to_euler", "quat_to_rpy", "quat_twist", "quat_twist_angle",
    "quat_twist_angle_signed", "transform_compose", "transform_decompose",
    "transform_from_matrix", "transform_to_matrix", "transform_twist", "transform_wrench",
    "mesh_query_point", "mesh_query_point_no_sign", "mesh_query_point_sign_normal",
    "mesh_query_point_sign_parity", "mesh_query_point_sign_winding_number",
    "mesh_query_furthest_point_no_sign", "mesh_query_ray", "mesh_eval_position",
    "mesh_eval_velocity"}
#: rows whose types the second derivative does not cover although the builtin's does
_NO_SECOND_ROWS = ("transform * transform", "transform_point(m44", "transform_vector(m44",
                   "div(f, m22)")


def _has_second(row) -> bool:
    return row.name not in NO_SECOND_DERIVATIVE and not row.key.startswith(_NO_SECOND_ROWS)


_HVP_ROWS = {g: [r for r in rows if _has_second(r)] for g, rows in ROWS.items()}
_HVP_ALL = [(f"{g}_{i // CHUNK}", rows[i:i + CHUNK])
            for g, rows in _HVP_ROWS.items() for i in range(0, len(rows), CHUNK)]
HVP_CHUNKS = _HVP_ALL if _ALL_TANGENTS else \
    [c for c in _HVP_ALL if c[0] in ("rows_scalar_0", "rows_vector_0")]


@pytest.mark.parametrize("name,rows", HVP_CHUNKS, ids=[c[0] for c in HVP_CHUNKS])
def test_builtin_hvps(name, rows, device):
    failures = check_rows(f"{name}_hvp", rows, device, mode="hvp")
    assert not failures, "\n".join(failures)


def test_every_rule_has_a_second_derivative_or_is_listed():
    """Each differentiable builtin's rule says how its second derivative is formed (and a
    rule compiled again as a function really compiles), or the builtin is listed in
    NO_SECOND_DERIVATIVE, whose builtins tape.hvp refuses with a clear error."""
    from numba_warp.autodiff.second_order import generic_rule_function

    missing, listed_but_has = [], []
    for name in _implemented():
        obj = getattr(lang, name, None) or getattr(wp, name, None)
        rule = rules.rule_for(obj) if obj is not None else None
        if rule is None or name in _NOT_VALUES:
            continue
        spec = rules.second_order_for(rule)
        works = spec is not None
        if isinstance(spec, tuple):
            overload = generic_rule_function(rule, spec[1], wp.func).overloads[0]
            try:
                overload.hessian_impl("hvp") if spec[0] == "via" else overload.tangent_impl()
            except Exception:
                works = False
        if not works and name not in NO_SECOND_DERIVATIVE:
            missing.append(name)
        if works and name in NO_SECOND_DERIVATIVE:
            listed_but_has.append(name)
    assert not missing, f"builtins with no second derivative, not listed: {missing}"
    assert not listed_but_has, f"listed, but they have second derivatives: {listed_but_has}"


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
