"""``wp.Mesh``: Warp 1.19's triangle mesh for closest-point, ray and box queries in kernels,
built on the device that holds its points.

``Mesh(points, indices, velocities=None, support_winding_number=False,
bvh_constructor=None, bvh_leaf_size=None, groups=None)``: ``points`` (and ``velocities``)
are 1-D contiguous ``wp.vec3`` arrays, ``indices`` a 1-D contiguous ``wp.int32`` array of
three vertex indices per face, on one device. The faces get the linear BVH of
``geometry/lbvh.py`` (whatever ``bvh_constructor`` names, see ``geometry/bvh.py``); with
``support_winding_number`` its nodes also keep the far-field description the winding-number
sign needs. The queries are builtins in ``lowering/mesh_ops.py`` and
``lowering/mesh_queries.py``.

Checked at construction, with errors that say what is wrong: types, devices, a face count
that is not whole (``indices.size % 3``), vertex indices out of range (the first one is
named), NaN points. A mesh with no faces is allowed (queries find nothing), as in Warp.

``refit()`` after changing ``points`` in place; assigning ``mesh.points`` (same shape and
device) refits by itself; assigning ``mesh.velocities`` needs no refit. The Python object
keeps every array it was given alive: kernels read them through the mesh's ``id``. When
``points`` (``velocities``) require gradients, ``mesh_eval_position``
(``mesh_eval_velocity``) and ray hits add into their ``.grad`` arrays in backward passes.
"""

from __future__ import annotations


from ..lang import tid
from ..lowering import mesh_ops as ops
from ..lowering.atomics import atomic_add, atomic_min
from ..runtime import handles
from ..runtime.array import array
from ..runtime.factories import zeros
from ..runtime.kernel import library_kernel
from ..runtime.launch import launch
from ..typing.scalars import scalar_types
from ..typing.vec import vector_class
from .bvh import check_constructor, check_groups, write_descriptor
from .lbvh import LinearBvh

__all__ = ["Mesh"]

_I32, _I64 = scalar_types["int32"], scalar_types["int64"]
_F32 = scalar_types["float32"]
_VEC3 = vector_class(3, _F32)
_V3 = array(dtype=_VEC3, ndim=1)
_I1 = array(dtype=_I32, ndim=1)
_F1 = array(dtype=_F32, ndim=1)


@library_kernel("numba_warp_mesh_check_indices")
def _check_indices(indices: _I1, num_points: int, first_bad: _I1):
    i = tid()
    v = indices[i]
    if v < 0 or v >= num_points:
        atomic_min(first_bad, 0, i)


@library_kernel("numba_warp_mesh_edge_mean")
def _edge_mean(edges: _F1, n: int, stride: int, out: _F1):
    # each thread adds its strided share of the triangles' edge sums, over 3 n edges
    t = tid()
    s = float(0.0)  # noqa: UP018 - a kernel's dynamic float variable
    i = t
    while i < n:
        s += edges[i]
        i += stride
    atomic_add(out, 0, s / float(3 * n))


class Mesh:
    """Triangle mesh for closest-point, ray and box queries in kernels (Warp's
    ``wp.Mesh``).

    Attributes: ``id`` (pass it to kernels as a ``wp.uint64``), ``device``, ``points``,
    ``indices``, ``velocities``, ``groups``, ``support_winding_number``.

    Example
    -------
    >>> points = wp.array([(0, 0, 0), (1, 0, 0), (0, 1, 0), (0, 0, 1)], dtype=wp.vec3)
    >>> indices = wp.array([0, 2, 1, 0, 1, 3, 0, 3, 2, 1, 2, 3], dtype=wp.int32)
    >>> mesh = wp.Mesh(points, indices)  # a tetrahedron, faces wound outwards
    >>> @wp.kernel
    ... def closest(mesh: wp.uint64, xs: wp.array(dtype=wp.vec3), out: wp.array(dtype=wp.vec3)):
    ...     i = wp.tid()
    ...     q = wp.mesh_query_point(mesh, xs[i], 1.0e6)
    ...     if q.result:
    ...         out[i] = wp.mesh_eval_position(mesh, q.face, q.u, q.v)
    >>> xs = wp.array([(0.2, 0.2, -1.0), (2.0, 2.0, 2.0)], dtype=wp.vec3)
    >>> out = wp.zeros(2, dtype=wp.vec3)
    >>> wp.launch(closest, 2, inputs=[mesh.id, xs, out])
    >>> print(np.round(out.numpy(), 4))
    [[0.2    0.2    0.    ]
     [0.3333 0.3333 0.3333]]
    """

    def __init__(self, points, indices, velocities=None, support_winding_number=False,
                 bvh_constructor=None, bvh_leaf_size=None, groups=None):
        _check_arrays(points, indices, velocities)
        self.device = points.device
        self._points = points
        self._velocities = velocities
        self.indices = indices
        self.support_winding_number = bool(support_winding_number)
        self._constructor = check_constructor(bvh_constructor)
        if self._constructor == "cubql" and (groups is not None or support_winding_number):
            raise RuntimeError("Grouped meshes and support_winding_number=True are not "
                               "supported with bvh_constructor='cubql'")
        if bvh_leaf_size is not None and bvh_leaf_size < 1:
            raise ValueError(f"bvh_leaf_size must be greater than or equal to 1, current "
                             f"value: {bvh_leaf_size}")
        num_tris = indices.size // 3
        self.groups = check_groups(groups, num_tris, self.device, "points", "indices / 3")
        self._check_index_range()
        self._tree = LinearBvh(self.device, num_tris, grouped=self.groups is not None,
                               winding=self.support_winding_number)
        self._edge = zeros(1, dtype=_F32, device=self.device)
        self._descriptor, self.id = handles.allocate(self, self.device, "Mesh",
                                                     ops.NUM_MESH_SLOTS)
        self._slots = None
        self._tree.build(self._source(), self.groups)
        self._edge_length()
        self._write_descriptor()
        bad = self._tree.nan_count() if num_tris else 0
        if bad:
            raise ValueError(f"Mesh: {bad} of the {num_tris} faces have a NaN or infinite "
                             "vertex coordinate; every point of a face must be finite")

    # -- Warp's API ------------------------------------------------------------------------
    @property
    def points(self):
        """The vertex positions (``wp.vec3``). Assigning an array of the same shape on the
        same device replaces them and refits the mesh.

        Example
        -------
        >>> mesh = wp.Mesh(wp.array([(0, 0, 0), (1, 0, 0), (0, 1, 0)], dtype=wp.vec3),
        ...                wp.array([0, 1, 2], dtype=wp.int32))
        >>> mesh.points = wp.array([(0, 0, 5), (1, 0, 5), (0, 1, 5)], dtype=wp.vec3)  # refits
        >>> print(mesh.points.numpy())
        [[0. 0. 5.]
         [1. 0. 5.]
         [0. 1. 5.]]
        """
        return self._points

    @points.setter
    def points(self, points_new):
        self._check_replacement(points_new, self._points, "points")
        self._points = points_new
        self._write_descriptor()
        self.refit()

    @property
    def velocities(self):
        """The vertex velocities (``wp.vec3``), or None. Assigning needs no refit.

        Example
        -------
        >>> points = wp.array([(0, 0, 0), (1, 0, 0), (0, 1, 0)], dtype=wp.vec3)
        >>> indices = wp.array([0, 1, 2], dtype=wp.int32)
        >>> mesh = wp.Mesh(points, indices, velocities=wp.zeros_like(points))
        >>> mesh.velocities = wp.full(3, wp.vec3(0.0, 0.0, 1.0), dtype=wp.vec3)
        >>> print(mesh.velocities.numpy()[:, 2])
        [1. 1. 1.]
        """
        return self._velocities

    @velocities.setter
    def velocities(self, velocities_new):
        if self._velocities is None:
            raise RuntimeError("This mesh was built without velocities; pass velocities= "
                               "when creating it")
        self._check_replacement(velocities_new, self._velocities, "velocities")
        self._velocities = velocities_new
        self._write_descriptor()

    def refit(self):
        """Recompute the boxes of the mesh's BVH (and average edge length) from ``points``,
        after they changed in place.

        Example
        -------
        >>> points = wp.array([(0, 0, 0), (1, 0, 0), (0, 1, 0), (0, 0, 1)], dtype=wp.vec3)
        >>> indices = wp.array([0, 2, 1, 0, 1, 3, 0, 3, 2, 1, 2, 3], dtype=wp.int32)
        >>> mesh = wp.Mesh(points, indices)  # a tetrahedron, faces wound outwards
        >>> wp.copy(points, wp.array([(0, 0, 2), (1, 0, 2), (0, 1, 2), (0, 0, 3)], dtype=wp.vec3))
        >>> mesh.refit()  # after moving the points in place
        >>> @wp.kernel
        ... def closest(mesh: wp.uint64, xs: wp.array(dtype=wp.vec3), out: wp.array(dtype=wp.vec3)):
        ...     i = wp.tid()
        ...     q = wp.mesh_query_point(mesh, xs[i], 1.0e6)
        ...     if q.result:
        ...         out[i] = wp.mesh_eval_position(mesh, q.face, q.u, q.v)
        >>> xs = wp.array([(0.2, 0.2, -1.0), (2.0, 2.0, 2.0)], dtype=wp.vec3)
        >>> out = wp.zeros(2, dtype=wp.vec3)
        >>> wp.launch(closest, 2, inputs=[mesh.id, xs, out])
        >>> print(np.round(out.numpy(), 4))  # the points found are on the moved tetrahedron
        [[0.2 0.2 2. ]
         [0.5 0.5 2. ]]
        """
        self._tree.refit(self._source())
        self._edge_length()
        self._write_descriptor()  # (the points' gradient array may have changed)

    # -- internals -------------------------------------------------------------------------
    def _source(self):
        return ("triangles", self._points, self.indices)

    def _check_index_range(self):
        if self.indices.size == 0:
            return
        first = zeros(1, dtype=_I32, device=self.device)
        first.fill_(self.indices.size)
        launch(_check_indices, self.indices.size, inputs=[self.indices, len(self._points),
                                                          first], device=self.device,
               record_tape=False)
        pos = int(first.numpy()[0])
        if pos < self.indices.size:
            value = int(self.indices[pos:pos + 1].numpy()[0])
            raise ValueError(f"Mesh: indices[{pos}] = {value} is out of range for "
                             f"{len(self._points)} points (vertex indices must be in "
                             f"[0, {len(self._points)}))")

    def _edge_length(self):
        n = self._tree.n
        if n == 0:
            return
        self._edge.zero_()
        stride = min(n, 64 if self.device.is_cpu else 16384)
        launch(_edge_mean, stride, inputs=[self._tree.edges, n, stride, self._edge],
               device=self.device, record_tape=False)

    def _write_descriptor(self):
        slots = dict(self._tree.slots())
        v = self._velocities
        slots.update({
            ops.SLOT_POINTS: self._points.ptr if len(self._points) else 0,
            ops.SLOT_NUM_POINTS: len(self._points),
            ops.SLOT_INDICES: self.indices.ptr if self.indices.size else 0,
            ops.SLOT_VELOCITIES: v.ptr if v is not None and len(v) else 0,
            ops.SLOT_EDGE: self._edge.ptr,
            ops.SLOT_WINDING: self._tree.props.ptr if self._tree.props is not None else 0,
            ops.SLOT_POINTS_GRAD: _grad_address(self._points),
            ops.SLOT_VELOCITIES_GRAD: _grad_address(v),
        })
        # the gradient arrays kernels add into stay alive as long as their address is here
        self._grads = (_grad_of(self._points), _grad_of(v))
        self._slots = write_descriptor(self._descriptor, slots, ops.NUM_MESH_SLOTS,
                                       ops.MAGIC_MESH, self._slots)

    def _check_replacement(self, new, old, name):
        if not isinstance(new, array) or new.dtype is not _VEC3 or not new.is_contiguous:
            raise RuntimeError(f"Mesh {name} should be a contiguous array of type wp.vec3")
        if new.device != old.device:
            raise RuntimeError(
                f"The new {name} and the original {name} must live on the same device, the "
                f"new {name} are on {new.device} while the old {name} are on {old.device}.")
        if new.ndim != 1 or new.shape[0] != old.shape[0]:
            raise RuntimeError(
                f"The new {name} and the original {name} must have the same shape, the new "
                f"{name}' shape is {new.shape}, while the old {name}' shape is {old.shape}.")


def _grad_of(a):
    if a is None or not a.requires_grad or a.grad is None or not len(a.grad):
        return None
    return a.grad


def _grad_address(a) -> int:
    g = _grad_of(a)
    return 0 if g is None else g.ptr


def _check_arrays(points, indices, velocities):
    for name, a in (("points", points), ("indices", indices)):
        if not isinstance(a, array):
            raise TypeError(f"Mesh: {name} must be a wp.array, got {type(a).__name__}")
    if points.device != indices.device:
        raise RuntimeError("Mesh points and indices must live on the same device")
    if points.dtype is not _VEC3 or not points.is_contiguous or points.ndim != 1:
        raise RuntimeError("Mesh points should be a contiguous 1-D array of type wp.vec3, got "
                           f"{points.ndim}-D {getattr(points.dtype, '__name__', points.dtype)}")
    if velocities is not None:
        if not isinstance(velocities, array) or velocities.dtype is not _VEC3 or \
                not velocities.is_contiguous:
            raise RuntimeError("Mesh velocities should be a contiguous array of type wp.vec3")
        if velocities.device != points.device or len(velocities) != len(points):
            raise RuntimeError("Mesh velocities must live on the points' device and have one "
                               f"entry per point ({len(points)}), got {len(velocities)} on "
                               f"{velocities.device}")
    if indices.dtype is not _I32 or not indices.is_contiguous:
        raise RuntimeError("Mesh indices should be a contiguous array of type wp.int32, got "
                           f"{getattr(indices.dtype, '__name__', indices.dtype)}")
    if indices.ndim > 1:
        raise RuntimeError("Mesh indices should be a flattened 1d array of indices")
    if indices.size % 3:
        raise ValueError(f"Mesh indices hold three vertex indices per face, but their size "
                         f"({indices.size}) is not a multiple of 3")

