"""Fixtures of the compatibility suite: a folder for ported program files, and NVIDIA Warp
(the ``warp-lang`` wheel, the ``compat`` extra) when it is installed."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def ported_dir(tmp_path_factory):
    """Where the numba_warp ports of Warp programs are written (one file per program)."""
    return tmp_path_factory.mktemp("ported")


@pytest.fixture(scope="session")
def warp():
    """NVIDIA Warp, quiet; the test is skipped when it is not installed."""
    warp = pytest.importorskip("warp", reason="NVIDIA Warp (pip install '.[compat]') is the "
                               "oracle of this test")
    warp.config.quiet = True
    return warp
