"""``numba_warp.examples``: where Warp programs look for example files (``warp.examples``).

Warp's example programs say ``import warp.examples`` and open their meshes and images
from ``warp.examples.get_asset_directory()``. Under numba_warp the same calls return this
package's folder and its ``assets`` subfolder, as Warp's do for Warp's package.
numba_warp ships no assets (Warp's USD files belong to Warp's wheel): a program that
opens one gets the file system's error naming the missing path; point it at Warp's
``warp.examples.get_asset_directory()`` or at your own files instead.
"""

from __future__ import annotations

import os

__all__ = ["get_asset_directory", "get_source_directory"]


def get_source_directory() -> str:
    """This package's folder."""
    return os.path.realpath(os.path.dirname(__file__))


def get_asset_directory() -> str:
    """``<get_source_directory()>/assets`` (numba_warp ships no files there)."""
    return os.path.join(get_source_directory(), "assets")
