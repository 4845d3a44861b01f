"""Fixtures of the compatibility suite: a folder for ported program files, and NVIDIA Warp
(the ``warp-lang`` wheel, the ``compat`` extra) when it is installed."""

from __future__ import annotations

import os
import pathlib

import numpy as np
import pytest

from .loader import EXAMPLES_ENV, example_results, warp_examples_dir


@pytest.fixture(scope="session")
def ported_dir(tmp_path_factory):
    """Where the numba_warp ports of Warp programs are written (one file per program):
    beside the suite's kernel cache (tests/conftest.py), the same folder in every run, so
    that their kernels (whose text names the file) are found in the cache."""
    base = os.environ.get("NUMBA_WARP_CACHE_DIR")
    if not base:
        return tmp_path_factory.mktemp("ported")
    path = pathlib.Path(base) / "test-sources" / "ported"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def warp():
    """NVIDIA Warp, quiet; the test is skipped when it is not installed."""
    warp = pytest.importorskip("warp", reason="NVIDIA Warp (pip install '.[compat]') is the "
                               "oracle of this test")
    warp.config.quiet = True
    return warp


class StoredWarp:
    """Warp's results for its own examples, read from ``$NUMBA_WARP_WARP_EXAMPLES``
    (written by ``make_reference.py --warp-examples``) where Warp is not installed: Warp's
    CUDA results for a GPU run where they were stored, else its CPU results."""

    def __init__(self, folder):
        self._data = {}
        for device in ("cpu", "cuda"):
            path = folder / example_results(device)
            if path.exists():
                with np.load(path) as data:
                    self._data[device] = {k: data[k] for k in data.files}

    def results(self, example: str, device="cpu") -> dict:
        """Warp's state after ``example``, to compare with a run on ``device``."""
        prefix = example + "/"
        for source in (("cpu",) if str(device) == "cpu" else ("cuda", "cpu")):
            data = self._data.get(source, {})
            out = {k[len(prefix):]: v for k, v in data.items() if k.startswith(prefix)}
            if out:
                return out
        pytest.fail(f"no stored Warp results for {example} in ${EXAMPLES_ENV}")


@pytest.fixture(scope="session")
def warp_examples():
    """How the Warp-example tests get Warp's side: ``("live", warp)`` when Warp is
    installed, ``("stored", StoredWarp)`` when ``$NUMBA_WARP_WARP_EXAMPLES`` names a folder
    of example files and Warp's results; else the test is skipped."""
    try:
        import warp
    except ImportError:
        if os.environ.get(EXAMPLES_ENV):
            return "stored", StoredWarp(warp_examples_dir())
        pytest.skip("NVIDIA Warp (pip install '.[compat]') is the oracle of this test "
                    f"(or set ${EXAMPLES_ENV}: see make_reference.py --warp-examples)")
    warp.config.quiet = True
    return "live", warp
