"""Sphinx configuration: the user guide (Markdown, through MyST) and the API reference
(written from ``api_reference.py`` at build time; autodoc reads the docstrings).

Build: ``python -m sphinx -W -b html docs docs/_build/html`` (``tests/test_docs.py`` does
it with warnings as errors).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import api_reference  # noqa: E402

import numba_warp  # noqa: E402

project = "numba_warp"
author = "the numba_warp developers"
release = numba_warp.__version__
extensions = ["sphinx.ext.autodoc", "sphinx.ext.napoleon", "myst_parser"]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "README.md"]
add_module_names = False
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
napoleon_numpy_docstring = True
napoleon_google_docstring = False
myst_heading_anchors = 3
# the guide's pages link to files of the repository (examples, README): not pages here
suppress_warnings = ["myst.xref_missing"]
try:
    import furo  # noqa: F401

    html_theme = "furo"
except ImportError:  # pragma: no cover
    html_theme = "alabaster"
html_title = "numba_warp"


def _write_reference(app):
    out = os.path.join(app.srcdir, "api")
    os.makedirs(out, exist_ok=True)
    for page, _title, _intro in api_reference.PAGES:
        text = api_reference.render_page(page)
        path = os.path.join(out, f"{page}.rst")
        old = open(path).read() if os.path.exists(path) else None
        if old != text:  # unchanged pages keep their time stamp (no rebuild)
            with open(path, "w") as f:
                f.write(text)


def setup(app):
    app.connect("builder-inited", _write_reference)
