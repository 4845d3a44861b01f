"""numba_warp.interop"""
