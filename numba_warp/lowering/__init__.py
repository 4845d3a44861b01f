"""numba_warp.lowering"""
