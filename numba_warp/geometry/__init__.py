"""numba_warp.geometry: Warp's spatial structures, built on the device that owns the data
(their in-kernel queries are builtins in ``numba_warp/lowering``)."""

from .bvh import Bvh, is_cubql_available
from .hash_grid import HashGrid
from .mesh import Mesh

__all__ = ["Bvh", "HashGrid", "Mesh", "is_cubql_available"]
