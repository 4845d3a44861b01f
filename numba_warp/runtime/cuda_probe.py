"""Whether a CUDA GPU can be present, asked of the driver library without numba-cuda.

Importing numba-cuda (and cuda.core behind it) takes about half a second; a program's
first allocation or launch asks which device is the default (a GPU when there is one),
so without this check every CPU-only process would pay for it. :func:`gpu_possible`
loads the CUDA driver library with ``ctypes``, from the places numba-cuda looks
(``$NUMBA_CUDA_DRIVER``, the loader's search path, ``/usr/lib``, ``/usr/lib64``), and
asks it for the number of devices. It answers False only when the driver says there is
no GPU (or there is no driver to ask); anything else, including the CUDA simulator, is
left to numba-cuda, so it can never hide a GPU numba-cuda would find.
"""

from __future__ import annotations

import ctypes
import os
import sys

__all__ = ["gpu_possible"]


def _driver_candidates() -> list[str]:
    explicit = os.environ.get("NUMBA_CUDA_DRIVER")
    if explicit:
        return [explicit]
    if sys.platform == "win32":
        names, dirs = ["nvcuda.dll"], ["\\windows\\system32"]
    elif sys.platform == "darwin":
        names, dirs = ["libcuda.dylib"], ["/usr/local/cuda/lib"]
    else:
        names, dirs = ["libcuda.so", "libcuda.so.1"], ["/usr/lib", "/usr/lib64"]
    return names + [os.path.join(d, n) for d in dirs for n in names]


def gpu_possible() -> bool:
    """False when no CUDA driver can be loaded, or the driver reports no device; True
    otherwise (numba-cuda then decides)."""
    if os.environ.get("NUMBA_ENABLE_CUDASIM", "0") not in ("", "0"):
        return True  # the simulator needs no driver
    loader = ctypes.WinDLL if sys.platform == "win32" else ctypes.CDLL
    for path in _driver_candidates():
        try:
            lib = loader(path)
        except OSError:
            continue
        try:
            if lib.cuInit(0) != 0:
                return False  # no device, or a driver that cannot start: no GPU to use
            count = ctypes.c_int(0)
            return lib.cuDeviceGetCount(ctypes.byref(count)) != 0 or count.value > 0
        except (AttributeError, OSError):
            return True  # an unexpected library: let numba-cuda judge
    return False
