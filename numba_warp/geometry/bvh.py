"""``wp.Bvh``: Warp 1.19's bounding volume hierarchy over boxes, built on the boxes' device.

``Bvh(lowers, uppers, constructor=None, groups=None, leaf_size=1)`` takes two 1-D
contiguous ``wp.vec3`` arrays of the same length on one device. In kernels,
``wp.bvh_query_aabb/ray/sphere/capsule(bvh.id, ...)`` with ``wp.bvh_query_next`` (or a
``for`` loop over the query) visit the boxes that pass the query's test
(``lowering/bvh_ops.py``).

Every build is the linear BVH of ``geometry/lbvh.py``, run as kernels on the arrays'
device: on the GPU as in Warp's ``"lbvh"``, and on the CPU on every core (Warp builds CPU
trees with a serial SAH or median split). Warp's constructor names ``"sah"``,
``"median"``, ``"lbvh"`` and ``"cubql"`` are accepted and checked as Warp checks them, and
all give this tree: query results do not depend on the constructor, only the speed of
queries may differ from Warp's SAH trees. Leaves hold one box each, whatever ``leaf_size``
says (it is checked, and only a performance hint in Warp).

The Python object keeps ``lowers``, ``uppers`` and ``groups`` alive as long as it lives,
because kernels read the tree (and ``refit`` the boxes) through their addresses. Boxes
whose centre is NaN are refused at construction.
"""

from __future__ import annotations

import numpy as np

from ..lowering import bvh_ops as ops
from ..runtime import handles
from ..runtime.array import array
from ..typing.scalars import scalar_types
from ..typing.vec import vector_class
from .lbvh import LinearBvh

__all__ = ["Bvh", "BvhConstructor", "check_constructor", "is_cubql_available"]

_I32 = scalar_types["int32"]
_I64 = scalar_types["int64"]
_VEC3 = vector_class(3, scalar_types["float32"])
_CONSTRUCTORS = ("sah", "median", "lbvh", "cubql")


class BvhConstructor:
    """Warp's names of BVH construction algorithms (all build the same tree here)."""

    SAH = "sah"
    MEDIAN = "median"
    LBVH = "lbvh"
    CUBQL = "cubql"


def is_cubql_available() -> bool:
    """Whether the cuBQL BVH builder is available: never here (``"cubql"`` is accepted
    and builds this package's own tree).

    Example
    -------
    >>> wp.is_cubql_available()
    False
    """
    return False


def check_constructor(constructor) -> str:
    """Warp's constructor argument as a lower-case name (ValueError if unknown)."""
    if constructor is None:
        return "lbvh"
    name = getattr(constructor, "name", constructor)
    if isinstance(name, str) and name.lower() in _CONSTRUCTORS:
        return name.lower()
    raise ValueError(f"Unknown BVH constructor '{constructor}', expected one of: "
                     + ", ".join(_CONSTRUCTORS))


def check_groups(groups, count: int, device, what: str, length_rule: str):
    """Warp's checks of a ``groups`` argument (int32, contiguous, same device, one per
    item)."""
    if groups is None:
        return None
    if not isinstance(groups, array) or groups.dtype is not _I32 or not groups.is_contiguous:
        raise RuntimeError("groups should be a contiguous array of type wp.int32")
    if groups.device != device:
        raise RuntimeError(f"groups must live on the same device as {what}")
    if groups.size != count:
        raise RuntimeError(f"groups must have the same length as {length_rule}")
    return groups.flatten() if groups.ndim > 1 else groups


def write_descriptor(descriptor, slots: dict, size: int, magic: int, previous=None):
    """Fill a structure's descriptor array (``size`` int64 slots) from ``slots``, unless
    they equal ``previous`` (what the last call returned); returns them."""
    s = np.zeros(size, dtype=np.int64)
    s[ops.SLOT_MAGIC] = magic
    for k, v in slots.items():
        s[k] = v
    if previous is None or not np.array_equal(s, previous):
        descriptor.assign(s)
    return s


class Bvh:
    """Bounding volume hierarchy over boxes, for queries in kernels (Warp's ``wp.Bvh``).

    Attributes: ``id`` (pass it to kernels as a ``wp.uint64``), ``device``, ``lowers``,
    ``uppers``, ``groups``.

    Example
    -------
    >>> lowers = wp.array([(0.0, 0.0, 0.0), (2.0, 0.0, 0.0), (4.0, 0.0, 0.0)], dtype=wp.vec3)
    >>> uppers = wp.array([(1.0, 1.0, 1.0), (3.0, 1.0, 1.0), (5.0, 1.0, 1.0)], dtype=wp.vec3)
    >>> bvh = wp.Bvh(lowers, uppers)  # three unit boxes along x
    >>> @wp.kernel
    ... def overlaps(bvh: wp.uint64, lo: wp.vec3, hi: wp.vec3, hit: wp.array(dtype=int)):
    ...     query = wp.bvh_query_aabb(bvh, lo, hi)  # a wp.BvhQuery
    ...     i = int(0)
    ...     while wp.bvh_query_next(query, i):  # sets i to the next box
    ...         hit[i] = 1
    >>> hit = wp.zeros(3, dtype=int)
    >>> wp.launch(overlaps, 1, inputs=[bvh.id, wp.vec3(1.5, 0.0, 0.0), wp.vec3(4.5, 1.0, 1.0), hit])
    >>> print(hit.numpy())  # the boxes that overlap [1.5, 4.5] x [0, 1] x [0, 1]
    [0 1 1]
    """

    def __init__(self, lowers, uppers, constructor=None, groups=None, leaf_size: int = 1):
        _check_bounds(lowers, uppers)
        self.device = lowers.device
        self.lowers = lowers
        self.uppers = uppers
        self.groups = check_groups(groups, len(lowers), self.device, "lowers/uppers",
                                   "lowers/uppers")
        self._constructor = check_constructor(constructor)
        if leaf_size < 1:
            raise ValueError(f"leaf_size must be greater than or equal to 1, current value: "
                             f"{leaf_size}")
        self._tree = LinearBvh(self.device, len(lowers), grouped=self.groups is not None)
        self._descriptor, self.id = handles.allocate(self, self.device, "Bvh",
                                                     ops.NUM_BVH_SLOTS)
        self._build()
        bad = self._tree.nan_count() if len(lowers) else 0
        if bad:
            raise ValueError(f"Bvh: {bad} of the {len(lowers)} boxes have a NaN bound; every "
                             "lower and upper bound must be a number")

    def _source(self):
        return ("boxes", self.lowers, self.uppers)

    def _build(self):
        self._tree.build(self._source(), self.groups)
        write_descriptor(self._descriptor, self._tree.slots(), ops.NUM_BVH_SLOTS,
                         ops.MAGIC_BVH)

    def refit(self):
        """Recompute the boxes of the tree's nodes after ``lowers``/``uppers`` changed (the
        tree's shape stays: call :meth:`rebuild` after large changes).

        Example
        -------
        >>> lowers = wp.array([(0.0, 0.0, 0.0), (2.0, 0.0, 0.0), (4.0, 0.0, 0.0)], dtype=wp.vec3)
        >>> uppers = wp.array([(1.0, 1.0, 1.0), (3.0, 1.0, 1.0), (5.0, 1.0, 1.0)], dtype=wp.vec3)
        >>> bvh = wp.Bvh(lowers, uppers)
        >>> wp.copy(lowers, wp.array([(0, 0, 0), (2, 0, 0), (8, 0, 0)], dtype=wp.vec3))
        >>> wp.copy(uppers, wp.array([(1, 1, 1), (3, 1, 1), (9, 1, 1)], dtype=wp.vec3))
        >>> bvh.refit()  # box 2 moved to x in [8, 9]: the tree follows
        >>> @wp.kernel
        ... def overlaps(bvh: wp.uint64, lo: wp.vec3, hi: wp.vec3, hit: wp.array(dtype=int)):
        ...     query = wp.bvh_query_aabb(bvh, lo, hi)  # a wp.BvhQuery
        ...     i = int(0)
        ...     while wp.bvh_query_next(query, i):  # sets i to the next box
        ...         hit[i] = 1
        >>> hit = wp.zeros(3, dtype=int)
        >>> lo, hi = wp.vec3(1.5, 0.0, 0.0), wp.vec3(4.5, 1.0, 1.0)
        >>> wp.launch(overlaps, 1, inputs=[bvh.id, lo, hi, hit])
        >>> print(hit.numpy())
        [0 1 0]
        """
        self._tree.refit(self._source())

    def rebuild(self, constructor=None):
        """Build the tree again from the current ``lowers``/``uppers``, in place.
        ``constructor`` is checked as Warp checks it (every name builds the same tree).

        Example
        -------
        >>> lowers = wp.array([(0.0, 0.0, 0.0), (2.0, 0.0, 0.0), (4.0, 0.0, 0.0)], dtype=wp.vec3)
        >>> uppers = wp.array([(1.0, 1.0, 1.0), (3.0, 1.0, 1.0), (5.0, 1.0, 1.0)], dtype=wp.vec3)
        >>> bvh = wp.Bvh(lowers, uppers)
        >>> wp.copy(lowers, wp.array([(4, 0, 0), (-9, 0, 0), (0, 0, 0)], dtype=wp.vec3))
        >>> wp.copy(uppers, wp.array([(5, 1, 1), (-8, 1, 1), (1, 1, 1)], dtype=wp.vec3))
        >>> bvh.rebuild()  # large moves: a new tree over the boxes, under the same id
        >>> @wp.kernel
        ... def overlaps(bvh: wp.uint64, lo: wp.vec3, hi: wp.vec3, hit: wp.array(dtype=int)):
        ...     query = wp.bvh_query_aabb(bvh, lo, hi)  # a wp.BvhQuery
        ...     i = int(0)
        ...     while wp.bvh_query_next(query, i):  # sets i to the next box
        ...         hit[i] = 1
        >>> hit = wp.zeros(3, dtype=int)
        >>> lo, hi = wp.vec3(1.5, 0.0, 0.0), wp.vec3(4.5, 1.0, 1.0)
        >>> wp.launch(overlaps, 1, inputs=[bvh.id, lo, hi, hit])
        >>> print(hit.numpy())
        [1 0 0]
        """
        if constructor is not None:
            name = check_constructor(constructor)
            if (name == "cubql") != (self._constructor == "cubql"):
                raise ValueError("Cannot rebuild a cuBQL BVH with a different constructor; "
                                 "create a new BVH instead")
            self._constructor = name
        self._tree.build(self._source(), self.groups)


def _check_bounds(lowers, uppers):
    for name, a in (("lowers", lowers), ("uppers", uppers)):
        if not isinstance(a, array):
            raise TypeError(f"Bvh: {name} must be a wp.array of wp.vec3, got "
                            f"{type(a).__name__}")
    if len(lowers) != len(uppers):
        raise RuntimeError("The same number of lower and upper bounds must be provided")
    if lowers.device != uppers.device:
        raise RuntimeError("Lower and upper bounds must live on the same device")
    for name, a in (("lowers", lowers), ("uppers", uppers)):
        if a.dtype is not _VEC3 or not a.is_contiguous or a.ndim != 1:
            raise RuntimeError(f"{name} should be a contiguous array of type wp.vec3, got "
                               f"{a.ndim}-D {getattr(a.dtype, '__name__', a.dtype)}")
