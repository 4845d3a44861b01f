"""Interop tests (PyTorch, JAX, CuPy, Numba, DLPack, array interfaces)."""
