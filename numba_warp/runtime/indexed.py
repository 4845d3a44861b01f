"""``wp.indexedarray``: a ``wp.array`` seen through per-dimension index arrays (Warp 1.19).

``wp.indexedarray(data, indices)`` takes a ``wp.array`` and either one ``int32`` index
array (for dimension 0) or a list of up to ``data.ndim`` entries, each an index array or
None (that dimension is not indexed). Its shape is, per dimension, the index array's
length or the data's extent; element ``[i, j]`` of a 2-D indexed array with indices for
dimension 0 only is ``data[indices[i], j]``. Nothing is copied: reads, writes and atomics
in kernels go through the indices to ``data``.

As a kernel parameter annotation: ``wp.indexedarray(dtype=float)``,
``wp.indexedarray2d(dtype=float)``, ``wp.indexedarray[float]`` or
``wp.indexedarray[float, 2]``. In kernels an indexed array supports ``ia[i, ...]``
(full indices; negative ones count from the end, as in Warp), stores, ``+=`` and the
``wp.atomic_*`` builtins, ``ia.shape`` and ``len(ia)``.

At Python scope: ``shape``, ``size``, ``ndim``, ``dtype``, ``device``, ``numpy()``,
``list()``, ``contiguous()``, ``to(device)``, ``assign()``, ``fill_()``, ``zero_()``;
``wp.copy``, ``wp.clone`` and ``wp.empty_like``/``zeros_like`` accept indexed arrays.

Gradients do not flow through indexed arrays (Warp's indexed arrays have none and drop
them without a word); here a backward pass through a kernel that takes an indexed view of
an array with ``requires_grad`` is an error instead.

The gathers, scatters and fills behind the methods are kernels, installed by
``runtime/array_kernels.py`` (they are built on launches, which import this module).
"""

from __future__ import annotations

import math
import typing

import numpy as np

from ..lowering import indexed_arrays  # noqa: F401  (element access in kernels)
from ..typing.argspec import parse_array_subscript
from ..typing.dtypes import element_type, type_name
from ..typing.scalars import scalar_types
from .array import ARRAY_MAX_DIMS, array, null_array
from .array_operators import ArrayOperators
from .device import get_device

__all__ = ["indexedarray", "indexedarray1d", "indexedarray2d", "indexedarray3d",
           "indexedarray4d", "install_indexed_kernels", "is_array_like"]

_KERNELS: dict = {}


def install_indexed_kernels(gather, scatter, fill) -> None:
    """Set ``gather(dst_array, src_indexed)``, ``scatter(dst_indexed, src_array)`` and
    ``fill(dst_indexed, value)``: the kernels behind the methods (same device)."""
    _KERNELS.update(gather=gather, scatter=scatter, fill=fill)


def _kernel(name: str):
    k = _KERNELS.get(name)
    if k is None:
        raise RuntimeError("indexed array copies need the kernels of "
                           "numba_warp.runtime.array_kernels, which `import numba_warp` "
                           "installs; the package's import did not finish")
    return k


def is_array_like(obj) -> bool:
    """A ``wp.array`` or a ``wp.indexedarray`` holding data (not an annotation)."""
    return isinstance(obj, (array, indexedarray))


def _check_index_array(indices, device, dim: int):
    if not isinstance(indices, array):
        raise ValueError(  # noqa: TRY004 - Warp 1.19 raises ValueError heref"indices for dimension {dim} must be a wp.array of int32, got "
                         f"{type(indices).__name__}")
    if indices.ndim != 1:
        raise ValueError(f"the index array for dimension {dim} must be one-dimensional, got "
                         f"{indices.ndim} dimensions")
    if indices.dtype is not scalar_types["int32"]:
        raise ValueError(f"the index array for dimension {dim} must use int32 (wp.int32 or "
                         f"int), got dtype {type_name(indices.dtype)}")
    if indices.device != device:
        raise ValueError(f"the index array for dimension {dim} is on {indices.device}, the "
                         f"data array on {device}")


class indexedarray(ArrayOperators):
    """An indexed view of a ``wp.array`` (see the module docstring).

    Example
    -------
    >>> data = wp.array(np.arange(10, dtype=np.float32))
    >>> ia = wp.indexedarray(data, wp.array([1, 3, 5], dtype=int))
    >>> ia.numpy()
    array([1., 3., 5.], dtype=float32)
    """

    #: the typing floor recognises indexed arrays by this protocol (see typing/argspec.py)
    __wp_indexedarray__ = True
    is_contiguous = False

    def __init__(self, data: array | None = None, indices=None, dtype=None,
                 ndim: int | None = None):
        if dtype is not None and dtype is not typing.Any:
            dtype = element_type(dtype).dtype
        self.data = data
        self.indices = [None] * ARRAY_MAX_DIMS
        self._launch = None
        if data is None:  # an annotation (wp.indexedarray(dtype=float, ndim=2))
            self.dtype = typing.Any if dtype is None else dtype
            self.ndim = 1 if ndim is None else int(ndim)
            if not 1 <= self.ndim <= ARRAY_MAX_DIMS:
                raise ValueError(f"ndim must be between 1 and {ARRAY_MAX_DIMS}, got {ndim}")
            self.device = None
            self.pinned = False
            self.shape = (0,) * self.ndim
            return
        self._init_view(data, indices, dtype, ndim)

    def _init_view(self, data, indices, dtype, ndim):
        if not isinstance(data, array) or data.device is None:
            raise ValueError(f"indexed array data must be a wp.array, got "
                             f"{type(data).__name__}")
        if dtype is not None and dtype is not typing.Any and dtype is not data.dtype:
            raise ValueError(f"requested dtype ({type_name(dtype)}) does not match the dtype "
                             f"of the data array ({type_name(data.dtype)})")
        if ndim is not None and ndim != data.ndim:
            raise ValueError(f"requested dimensionality ({ndim}) does not match that of the "
                             f"data array ({data.ndim})")
        self.dtype = data.dtype
        self.ndim = data.ndim
        self.device = data.device
        self.pinned = data.pinned
        shape = list(data.shape)
        if isinstance(indices, array):
            indices = [indices]
        if indices is not None:
            if not isinstance(indices, (list, tuple)):
                raise ValueError("indices must be one wp.array or a list of wp.arrays (or "
                                 f"None entries), got {type(indices).__name__}")
            if len(indices) > self.ndim:
                raise ValueError(f"{len(indices)} index arrays given for a {self.ndim}-D "
                                 "array")
            for d, idx in enumerate(indices):
                if idx is not None:
                    _check_index_array(idx, data.device, d)
                    self.indices[d] = idx
                    shape[d] = idx.shape[0]
        self.shape = tuple(shape)

    @classmethod
    def __class_getitem__(cls, params):
        dtype, ndim = parse_array_subscript("indexedarray", params)
        return cls(dtype=dtype, ndim=ndim)

    # -- properties --------------------------------------------------------------------
    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def element_type(self):
        return self.data.element_type if self.data is not None else None

    @property
    def requires_grad(self) -> bool:
        """Always False: gradients do not flow through indexed arrays (as in Warp)."""
        return False

    grad = None

    def __len__(self):
        return self.shape[0]

    def __repr__(self):
        if self.device is None:
            dt = "Any" if self.dtype is typing.Any else type_name(self.dtype)
            return f"indexedarray(dtype={dt}, ndim={self.ndim})"
        return (f"indexedarray(shape={self.shape}, dtype={type_name(self.dtype)}, "
                f"device='{self.device}')")

    def __str__(self):
        return repr(self) if self.device is None else str(self.numpy())

    # -- write tracking: writes through the view are writes of the data ------------------
    def mark_write(self, writer: str = "a Python-scope write") -> None:
        self.data.mark_write(writer)

    @property
    def version(self) -> int:
        return self.data.version

    # -- launches ----------------------------------------------------------------------
    def launch_parts(self) -> tuple:
        """``(data, index arrays, shape)`` as a launch passes them: one index array per
        dimension, empty where the dimension is not indexed."""
        parts = self._launch
        if parts is None:
            empty = null_array(element_type(scalar_types["int32"]), 1, self.device)
            idx = tuple(self.indices[d] if self.indices[d] is not None else empty
                        for d in range(self.ndim))
            parts = self._launch = (self.data, idx, self.shape)
        return parts

    # -- host interop and methods ------------------------------------------------------
    def contiguous(self) -> array:
        """A new contiguous ``wp.array`` with the elements (gathered on the device)."""
        out = array(shape=self.shape, dtype=self.dtype, device=self.device)
        if self.size:
            _kernel("gather")(out, self)
        return out

    def to(self, device) -> indexedarray | array:
        """Itself on its own device; else a contiguous copy on ``device``."""
        dev = get_device(device)
        if dev == self.device:
            return self
        return self.contiguous().to(dev)

    def numpy(self) -> np.ndarray:
        """A NumPy copy of the elements."""
        return self.contiguous().numpy()

    def list(self) -> list:
        return self.contiguous().list()

    def assign(self, src) -> None:
        """Write ``src`` (an array of this shape, or array-like data) through the view."""
        if isinstance(src, indexedarray):
            src = src.contiguous()
        if not isinstance(src, array):
            src = array(src, dtype=self.dtype, device="cpu")
        if src.shape != self.shape:
            raise ValueError(f"cannot assign an array of shape {src.shape} to an indexed "
                             f"array of shape {self.shape}")
        if src.device != self.device:
            src = src.to(self.device)
        self.scatter_from(src)

    def scatter_from(self, src: array) -> None:
        """Write ``src`` (same shape, same device) through the view."""
        self.mark_write("indexedarray.assign()")
        if self.size:
            _kernel("scatter")(self, src)

    def fill_(self, value) -> None:
        """Set every element of the view (the data elements it selects) to ``value``."""
        if self.size == 0:
            return
        self.mark_write("indexedarray.fill_()")
        _kernel("fill")(self, value)

    def zero_(self) -> None:
        self.fill_(0)


def _of_dims(ndim: int):
    def make(*args, **kwargs):
        kwargs["ndim"] = ndim
        return indexedarray(*args, **kwargs)

    make.__name__ = make.__qualname__ = f"indexedarray{ndim}d"
    make.__doc__ = f"Create or annotate a {ndim}-D ``wp.indexedarray``.\n" + _EXAMPLES[ndim]
    return make


# the docstrings' examples
_EXAMPLES = {1: """
Example
-------
>>> @wp.kernel
... def add_one(a: wp.indexedarray1d(dtype=float)):
...     a[wp.tid()] += 1.0
>>> data = wp.zeros(5, dtype=float)
>>> ia = wp.indexedarray1d(data, wp.array([0, 2, 4], dtype=int))
>>> wp.launch(add_one, dim=ia.shape, inputs=[ia])
>>> print(data.numpy())
[1. 0. 1. 0. 1.]
""", 2: """
Example
-------
>>> data = wp.array([[0, 1], [2, 3]], dtype=int)
>>> ia = wp.indexedarray2d(data, [wp.array([1, 0], dtype=int), None])  # rows 1 and 0
>>> print(ia.numpy())
[[2 3]
 [0 1]]
""", 3: """
Example
-------
>>> data = wp.array(np.arange(8).reshape(2, 2, 2), dtype=int)
>>> ia = wp.indexedarray3d(data, [None, wp.array([1], dtype=int), None])
>>> ia.shape  # (data[:, 1:2, :]: [[[2, 3]], [[6, 7]]])
(2, 1, 2)
""", 4: """
Example
-------
>>> data = wp.array(np.arange(16).reshape(2, 2, 2, 2), dtype=int)
>>> ia = wp.indexedarray4d(data, [wp.array([1], dtype=int)] * 4)  # data[1, 1, 1, 1]
>>> ia.shape, ia.ndim
((1, 1, 1, 1), 4)
"""}


indexedarray1d = _of_dims(1)
indexedarray2d = _of_dims(2)
indexedarray3d = _of_dims(3)
indexedarray4d = _of_dims(4)
