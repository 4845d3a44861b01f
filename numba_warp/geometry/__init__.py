"""numba_warp.geometry"""
