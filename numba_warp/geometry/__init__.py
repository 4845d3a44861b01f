"""numba_warp.geometry: Warp's spatial structures, built on the device that owns the data
(their in-kernel queries are builtins in ``numba_warp/lowering``)."""

from .hash_grid import HashGrid  # noqa: F401

__all__ = ["HashGrid"]
