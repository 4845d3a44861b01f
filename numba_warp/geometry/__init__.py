"""numba_warp.geometry: Warp's spatial structures, built on the device that owns the data
(their in-kernel queries are builtins in ``numba_warp/lowering``)."""

from .bvh import Bvh, is_cubql_available  # noqa: F401
from .hash_grid import HashGrid  # noqa: F401
from .mesh import Mesh  # noqa: F401

__all__ = ["Bvh", "HashGrid", "Mesh", "is_cubql_available"]
