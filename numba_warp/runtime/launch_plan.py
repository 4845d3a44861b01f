"""A kernel's launch plan: what ``wp.launch`` works out once per kernel, not per launch.

The plan belongs to its Kernel (``kernel.launch_plan``; dropped with the generated code
when that is made again) and holds

* ``params``: per parameter, what the launch fast path checks, or None where every
  value goes through the full conversion (which checks and explains);
* the kernel's array effects (``frontend`` effects analysis of the generated code):
  which parameters (or struct fields of them) it reads and writes, so that a launch
  advances the write counters of the arrays it writes and a tape records the versions
  of those it reads.
"""

from __future__ import annotations

import numpy as np
from numba.core import types

from ..frontend.effects import array_access
from .array import array
from .indexed import indexedarray

__all__ = ["LaunchPlan", "ArrayParam", "ScalarParam"]


class ArrayParam:
    """An array parameter: an array of ``ndim`` dims (of ``dtype``, a Numba type; None:
    any dtype) on the launch device takes the fast path."""

    __slots__ = ("ndim", "dtype")
    is_array = True

    def __init__(self, ndim: int, dtype):
        self.ndim = ndim
        self.dtype = dtype


class ScalarParam:
    """A scalar parameter: a Python value of ``py_type`` within ``[lo, hi]`` takes the
    fast path, converted by ``to_numpy``; CUDA takes the NumPy value when
    ``numpy_on_cuda`` (32-bit types), else the Python value."""

    __slots__ = ("py_type", "to_numpy", "numpy_on_cuda", "lo", "hi")
    is_array = False

    def __init__(self, py_type, to_numpy, numpy_on_cuda, lo, hi):
        self.py_type = py_type
        self.to_numpy = to_numpy
        self.numpy_on_cuda = numpy_on_cuda
        self.lo = lo
        self.hi = hi


_FAST_SCALARS = {
    types.float32: ScalarParam(float, np.float32, True, -3.4e38, 3.4e38),
    types.float64: ScalarParam(float, np.float64, False, -1.7e308, 1.7e308),
    types.int32: ScalarParam(int, np.int32, True, -(2**31), 2**31 - 1),
    types.int64: ScalarParam(int, np.int64, False, -(2**63), 2**63 - 1),
}


def _fast_param(spec):
    if spec.kind == "array":
        return ArrayParam(spec.ndim, None if spec.generic_dtype else spec.element.numba_type)
    if spec.kind == "scalar":
        return _FAST_SCALARS.get(spec.numba_type)
    return None


class LaunchPlan:
    """Per-kernel launch facts (see the module docstring); made by ``Kernel.launch_plan``."""

    def __init__(self, kernel):
        self._kernel = kernel
        self.params = tuple(_fast_param(spec) for spec in kernel.arg_specs)
        self._reads = None  # [(parameter index, struct attributes, "a.b" path)]
        self._writes = None  # [(parameter index, struct attributes)]
        #: the kernel's launch_fast.FastLauncher (False: none; None: not made yet)
        self.fast = None

    def _analyse(self):
        k = self._kernel
        try:
            r, w = array_access(k.generated, k.arg_names)
        except Exception:  # noqa: BLE001 - analysis is best effort; codegen reports errors
            r, w = set(), set()
        index = {n: i for i, n in enumerate(k.arg_names)}
        self._reads = [(index[p[0]], p[1:], ".".join(p)) for p in sorted(r) if p[0] in index]
        self._writes = [(index[p[0]], p[1:]) for p in sorted(w) if p[0] in index]

    def write_params(self) -> list:
        """``(parameter index, struct attributes)`` of every array the kernel may write."""
        if self._writes is None:
            self._analyse()
        return self._writes

    def written_arrays(self, args) -> list:
        """The arrays among a launch's ``args`` that the kernel may write."""
        if self._writes is None:
            self._analyse()
        out = []
        for k, attrs in self._writes:
            a = _follow(args[k], attrs) if attrs else args[k]
            if type(a) is array:
                out.append(a)
            elif type(a) is indexedarray and a.data is not None:
                out.append(a.data)  # a write through the view is a write of its data
        return out

    def read_arrays(self, args) -> list:
        """``(array, parameter path)`` for the arrays among ``args`` the kernel may read."""
        if self._reads is None:
            self._analyse()
        out = []
        for k, attrs, where in self._reads:
            a = _follow(args[k], attrs) if attrs else args[k]
            if type(a) is array:
                out.append((a, where))
            elif type(a) is indexedarray and a.data is not None:
                out.append((a.data, where))
        return out

    def may_access(self, paths) -> bool:
        """Whether the kernel may read or write an array at one of the parameter paths
        (``"a"``, ``"s.field"``)."""
        if self._reads is None:
            self._analyse()
        if not self._reads and not self._writes:
            return True  # nothing known (or the analysis failed): assume it may
        names = self._kernel.arg_names
        touched = {where for _, _, where in self._reads}
        touched |= {".".join((names[k], *attrs)) for k, attrs in self._writes}
        return any(p in touched for p in paths)


def _follow(value, attrs):
    for attr in attrs:
        value = getattr(value, attr, None)
    return value
