"""The version of numba_warp (a leaf module: the kernel cache keys on it)."""

__version__ = "0.1.0"
