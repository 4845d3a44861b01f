"""numba_warp.frontend"""
