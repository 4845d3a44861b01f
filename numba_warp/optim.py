"""Stands for Warp's ``warp.optim``, which numba_warp does not provide: importing this module
raises ImportError saying why and what to use instead
(numba_warp/unsupported.py, MODULE_GAPS)."""

from .unsupported import refuse_import

refuse_import(__name__)
