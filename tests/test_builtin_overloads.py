"""Coverage of Warp's builtin *overloads* (not just names) for the groups numba_warp covers.

``tests/data/warp_builtin_overloads.tsv`` lists every overload kind of every Warp 1.19
builtin (one line per distinct argument-kind list, read from Warp's builtin registry).
For each public builtin of the covered groups, each line becomes a sample call: its
argument kinds become concrete Numba types (``Float`` -> float32, ``vector`` -> vec3f,
...; spatial builtins get spatial vectors, ``noise(xy)`` a vec2, ...) and Numba's typing
context must accept ``wp.<name>(*args)``. The table of every overload and its status is
printed; the test fails when an overload kind is missing.

Lines handled by the code generator rather than by typing (``wp.tid()``, the output-
argument forms such as ``wp.svd3(A, U, sigma, V)``) are checked against the code
generator's tables, and the kinds numba_warp does not have are excluded, each for a
stated reason (``EXCLUDED``).
"""

from __future__ import annotations

import os
import re

import pytest
from numba.core import types
from numba.core.registry import cpu_target

import numba_warp as wp
from numba_warp.frontend import codegen

DATA = os.path.join(os.path.dirname(__file__), "data")
GROUPS = ("Scalar Math", "Vector Math", "Quaternion Math", "Transformations", "Spatial Math",
          "Random", "Operators", "Utility")

# Argument kinds numba_warp does not provide, with the reason.
# Lines of Warp's registry that Warp 1.19 programs cannot call, with the reason (checked
# against Warp): numba_warp gives the same error or meaning.
UNREACHABLE = {
    ("matrix", "pos: vector, rot: quaternion, scale: vector, dtype: Float"):
        "removed in Warp 1.19, which raises and names wp.transform_compose (as we do)",
}
# Lines whose dtype= Warp rejects (``wp.spatial_vector`` is the spatial_vectorf class,
# which raises "Remove the extraneous dtype parameter"): checked without dtype.
NO_DTYPE = {"spatial_vector"}
# Warp builtins outside the registry (Warp defines them as @wp.func in warp.utils)
EXTRA = [("quat_between_vectors", "a: vector, b: vector")]

EXCLUDED_KINDS = {
    "tile": "tiles belong to Warp's Tile Primitives, which numba_warp does not target",
    "indexedarray": "numba_warp has no indexed arrays (wp.indexedarray)",
    "fabricarray": "numba_warp has no Fabric arrays (USD/Omniverse interop)",
    "fixedarray": "Warp's fixed-size arrays are wp.zeros(shape, dtype) in kernels here, "
                  "which are ordinary arrays (the array rows cover them)",
}

F32, F64, I32 = types.float32, types.float64, types.int32


def _nb(cls):
    return cls._numba_type


_KINDS = {
    "Float": F32, "Int": I32, "bool": types.boolean, "Any": F32,
    "vector": _nb(wp.vec3), "quaternion": _nb(wp.quat), "matrix": _nb(wp.mat33),
    "transformation": _nb(wp.transform), "str": types.StringLiteral("%d\n"),
    "array(ndim=1, dtype=float32)": types.Array(F32, 1, "C"),
    "tuple": types.UniTuple(F32, 3),
}
_SPATIAL = {"spatial_top", "spatial_bottom", "spatial_dot", "spatial_cross",
            "spatial_cross_dual"}
_INTEGER_OPS = {"bit_and", "bit_or", "bit_xor", "lshift", "rshift", "invert"}
_INTEGER_ATOMICS = {"atomic_and", "atomic_or", "atomic_xor"}
# (name, parameter) -> sample type, where the kind alone does not say which shape
_BY_PARAM = {
    ("transform_twist", "x"): _nb(wp.spatial_vector),
    ("transform_wrench", "x"): _nb(wp.spatial_vector),
    ("velocity_at_point", "qd"): _nb(wp.spatial_vector),
    ("transform_point", "mat"): _nb(wp.mat44), ("transform_vector", "mat"): _nb(wp.mat44),
    ("transform_from_matrix", "mat"): _nb(wp.mat44),
    ("transform_decompose", "m"): _nb(wp.mat44),
    ("svd2", "A"): _nb(wp.mat22), ("quat_from_euler", "i"): types.IntegerLiteral(0),
    ("quat_from_euler", "j"): types.IntegerLiteral(1),
    ("quat_from_euler", "k"): types.IntegerLiteral(2),
    ("quat_to_euler", "i"): types.IntegerLiteral(0),
    ("quat_to_euler", "j"): types.IntegerLiteral(1),
    ("quat_to_euler", "k"): types.IntegerLiteral(2),
    ("identity", "n"): types.IntegerLiteral(3), ("zeros", "shape"): types.IntegerLiteral(3),
}
_NOISE_POINTS = {"xy": _nb(wp.vec2), "xyz": _nb(wp.vec3), "xyzt": _nb(wp.vec4)}
# parameters passed by keyword, as Warp programs write them
_KEYWORDS = {"dtype": types.NumberClass(F32), "length": types.IntegerLiteral(3),
             "shape": types.Tuple((types.IntegerLiteral(3), types.IntegerLiteral(3))),
             "ptr": types.int64}


def _parse(kinds: str) -> list[tuple[str, str]]:
    if not kinds.strip():
        return []
    return [tuple(p.split(": ", 1)) for p in re.split(r", (?=\*?\w+: )", kinds)]


def reference_rows() -> list[tuple[str, str]]:
    public = set()
    with open(os.path.join(DATA, "warp_builtins.tsv")) as f:
        next(f)
        for line in f:
            name, group, visibility = line.rstrip("\n").split("\t")
            if group in GROUPS and visibility == "public":
                public.add(name)
    rows = []
    with open(os.path.join(DATA, "warp_builtin_overloads.tsv")) as f:
        next(f)
        for line in f:
            name, _, kinds = line.rstrip("\n").split("\t")
            if name in public:
                rows.append((name, kinds))
    return rows


def _sample(name: str, pname: str, kind: str, composite):
    """A Numba type standing for an argument of this kind."""
    star = pname.startswith("*")
    pname = pname.lstrip("*")
    if (name, pname) in _BY_PARAM:
        return _BY_PARAM[(name, pname)]
    if name in ("noise", "pnoise", "curlnoise") and pname in _NOISE_POINTS:
        return _NOISE_POINTS[pname]
    if kind.startswith("array("):
        return types.Array(F32, 1, "C")
    if (name.startswith("norm_") or name == "smooth_normalize") and pname == "v":
        return _nb(wp.vec3)  # Warp's "Any": a vector
    if name in _INTEGER_OPS:
        return {"Int": I32, "vector": _nb(wp.vec3i),
                "matrix": wp.matrix((3, 3), wp.int32)._numba_type}[kind]
    if name in _SPATIAL and kind == "vector":
        return _nb(wp.spatial_vector)
    if kind == "Scalar":
        # a second scalar type, unless it must match a vector's or matrix's components
        return F32 if composite or star else F64
    return _KINDS[kind]


def sample_call(name: str, kinds: str):
    """``(args, kws)`` Numba types for one overload line."""
    params = _parse(kinds)
    composite = any(k in ("vector", "matrix", "quaternion", "transformation")
                    for _, k in params)
    args, kws = [], {}
    n_index = sum(1 for p, _ in params if p in ("i", "j", "k", "l"))
    for pname, kind in params:
        if pname in _KEYWORDS:
            if not (pname == "dtype" and name in NO_DTYPE):
                kws[pname] = _BY_PARAM.get((name, pname), _KEYWORDS[pname])
            continue
        t = _sample(name, pname, kind, composite)
        if name.startswith("atomic_"):  # Warp prints every array as ndim=1
            dt = I32 if name in _INTEGER_ATOMICS else F32
            t = types.Array(dt, n_index, "C") if pname == "arr" else (
                dt if pname in ("value", "compare") else t)
        if pname.startswith("*"):
            count = {"vector": 3, "matrix": 9, "transformation": 7}.get(name, 3)
            args.extend([t] * count)
        else:
            args.append(t)
    return args, kws


def _excluded(kinds: str):
    for word, why in EXCLUDED_KINDS.items():
        if word in kinds:
            return why
    return None


def _codegen_form(name: str, kinds: str):
    """Lines the code generator implements (not typing): a description, or None."""
    if name == "tid":
        return "code generator: launch indices"
    n_inputs = codegen.OUTPUT_ARGUMENTS.get(name)
    if n_inputs is not None and len(_parse(kinds)) > n_inputs:
        return "code generator: output arguments"
    return None


def check(name: str, kinds: str) -> tuple[str, str]:
    why = _excluded(kinds)
    if why is not None:
        return "EXCLUDED", why
    if (name, kinds) in UNREACHABLE:
        return "ok", "not callable in Warp 1.19: " + UNREACHABLE[(name, kinds)]
    form = _codegen_form(name, kinds)
    if form is not None:
        return "ok", form
    fn = getattr(wp, name, None)
    if fn is None:
        return "MISSING", "no such builtin"
    args, kws = sample_call(name, kinds)
    ctx = cpu_target.typing_context
    try:
        sig = ctx.resolve_function_type(ctx.resolve_value_type(fn), tuple(args), kws)
    except Exception as exc:  # typing errors of every kind: report them in the table
        return "MISSING", str(exc).strip().splitlines()[0][:90]
    if sig is None:
        return "MISSING", "no matching overload"
    return "ok", f"-> {sig.return_type}"


def test_every_overload_kind_is_implemented():
    cpu_target.typing_context.refresh()
    rows = reference_rows()
    assert len(rows) > 400  # the reference file is read
    rows += EXTRA
    missing = []
    counts = {"ok": 0, "MISSING": 0, "EXCLUDED": 0}
    for name, kinds in rows:
        status, note = check(name, kinds)
        counts[status] += 1
        print(f"{status:<8} {name}({kinds})  {note}")
        if status == "MISSING":
            missing.append(f"{name}({kinds}): {note}")
    print(counts)
    assert not missing, "Warp overloads without an implementation:\n" + "\n".join(missing)


@pytest.mark.parametrize("kinds", ["arr: tile", "a: <warp._src.fabric.fabricarray object>"])
def test_excluded_kinds_are_reported(kinds):
    assert check("add", kinds)[0] == "EXCLUDED"
