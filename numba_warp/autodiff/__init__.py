"""numba_warp.autodiff"""
