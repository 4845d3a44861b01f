"""The API reference: every public name is in it with a short example, the examples run,
and the Sphinx site (user guide and reference) builds with warnings as errors.

The examples are the ``>>>`` lines of each public function's and class's docstring (and
of the class's public methods, which the reference shows too), and ``VALUES`` of
``docs/api_reference.py`` for names that cannot carry a docstring (constants, scalar
types, the generated vector and matrix classes). They run with ``wp`` (numba_warp) and
``np`` (NumPy) already imported, on the default device, one section of the reference per
test so that pytest-xdist spreads them.
"""

from __future__ import annotations

import doctest
import importlib.util
import inspect
import os
import sys

import numpy as np
import pytest

import numba_warp as wp

DOCS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "docs")
sys.path.insert(0, DOCS)
import api_reference as ref  # noqa: E402

#: the examples' kernels are not compiled to PTX on machines without a GPU (conftest.py):
#: the GPU suite runs them on CUDA, and they are many small kernels
PTX_SKIP_DOCTEST_KERNELS = True
#: sections whose examples need an optional framework
NEEDS = {"PyTorch": "torch", "JAX": "jax"}
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _documented_members(cls) -> list:
    """(qualified name, docstring) of the public methods and properties a class defines
    itself, the ones autodoc's ``:members:`` shows."""
    out = []
    for name, member in vars(cls).items():
        if name.startswith("_"):
            continue
        target = member.fget if isinstance(member, property) else member
        target = getattr(target, "__func__", target)
        doc = getattr(target, "__doc__", None)
        if doc and (inspect.isfunction(target) or isinstance(member, property)):
            out.append((f"{cls.__name__}.{name}", inspect.cleandoc(doc)))
    return out


def _docs_of(name: str) -> list:
    """(label, text) of every example-bearing text the reference shows for ``name``."""
    if ref.is_value(name):
        return [(name, ref.VALUES[name][1])]
    obj = ref.resolve(name)
    out = [(name, inspect.getdoc(obj) or "")]
    if inspect.isclass(obj):
        out += _documented_members(obj)
    return out


def _section_ids():
    return [title for _page, title, _spec in ref.SECTIONS]


def test_every_public_name_is_in_the_reference():
    listed = [n for _p, _t, spec in ref.SECTIONS for n in ref.section_names(spec)]
    duplicates = sorted({n for n in listed if listed.count(n) > 1})
    assert not duplicates, f"listed in more than one section of docs/api_reference.py: " \
                           f"{duplicates}"
    missing = sorted(ref.public_names() - set(listed))
    assert not missing, ("public names missing from the API reference: add each to a "
                         f"section of docs/api_reference.py SECTIONS: {missing}")
    unknown = sorted(set(listed) - ref.public_names())
    assert not unknown, f"docs/api_reference.py lists names numba_warp does not have: {unknown}"


def test_every_public_name_has_an_example():
    names = [n for _p, _t, spec in ref.SECTIONS for n in ref.section_names(spec)]
    without = [n for n in names if ">>>" not in _docs_of(n)[0][1]]
    assert not without, (f"{len(without)} public names have no example (a '>>>' line in the "
                         f"docstring, or VALUES in docs/api_reference.py): {without}")


@pytest.mark.parametrize("section", _section_ids())
def test_reference_examples_run(section):
    needed = NEEDS.get(section)
    if needed and importlib.util.find_spec(needed) is None:
        pytest.skip(f"{needed} is not installed: its interop examples cannot run")
    spec = next(s for _p, t, s in ref.SECTIONS if t == section)
    parser = doctest.DocTestParser()
    failures = []
    for name in ref.section_names(spec):
        for label, text in _docs_of(name):
            if ">>>" not in text:
                continue
            test = parser.get_doctest(text, {"wp": wp, "np": np}, f"wp.{label}",
                                      f"<docstring of wp.{label}>", 0)
            runner = doctest.DocTestRunner(optionflags=FLAGS)
            report = []
            runner.run(test, out=report.append)
            if runner.failures:
                failures.append("".join(report))
    assert not failures, "\n".join(failures)


@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::PendingDeprecationWarning")
def test_sphinx_site_builds_without_warnings(tmp_path):
    pytest.importorskip("sphinx", reason="Sphinx (the test extra) builds the docs")
    pytest.importorskip("myst_parser", reason="myst-parser (the test extra) reads the guide")
    from sphinx.cmd.build import build_main

    warnings_file = tmp_path / "warnings.txt"
    status = build_main(["-W", "--keep-going", "-q", "-b", "html", "-w", str(warnings_file),
                         DOCS, str(tmp_path / "html")])
    assert status == 0, warnings_file.read_text()
    page = (tmp_path / "html" / "api" / "builtins.html").read_text()
    assert "mesh_query_ray" not in page and "quat_rotate" in page
    assert (tmp_path / "html" / "api" / "geometry.html").read_text().count("mesh_query_ray") > 0
