"""numba_warp.runtime"""
