"""Other libraries' arrays as kernel arguments: zero-copy views through the array
interfaces, read with the kernel parameter's dtype, as Warp 1.19's ``wp.launch`` does.

A launch on a GPU takes any object with ``__cuda_array_interface__`` (CuPy, torch CUDA
tensors, Numba device arrays, JAX where exposed); a launch on the CPU any object with
``__array_interface__`` (NumPy arrays and the like) or an ``__array__()`` that returns a
view (torch CPU tensors). The memory is viewed with the parameter's element type: the
trailing dimensions of a float32 array of shape ``(n, 3)`` are the components of a
``wp.array(dtype=wp.vec3)`` of ``n`` elements. Nothing is converted: an array whose
scalars are not the parameter's (float64 data for a float32 parameter), whose trailing
dimensions do not spell the element, or whose components are not adjacent in memory is
refused with what to do, because a converted copy would silently drop the kernel's
writes. The view keeps the producer alive (its ``owner``).

The launch fast path (``launch_fast``) takes foreign arrays too, through
:func:`view_entry` and :func:`cache_view`: one view per producer object, reused while a
cheap fingerprint of it (data pointer, shape, strides, dtype) is unchanged, forgotten
when the object dies. Those
views do not own the producer (the fast path runs no launch that outlives the call: no
Tape recording, no graph capture, no ``record_cmd``), so the cache keeps nothing alive.
"""

from __future__ import annotations

import functools
import inspect
import math
import sys
import weakref

import numpy as np

from ..typing.dtypes import element_type, from_numpy_dtype, type_name
from ..typing.scalars import scalar_types
from .array import array, c_strides

__all__ = ["cache_view", "element_layout", "foreign_view", "known_view", "view_entry"]


def _interface(value, device):
    """(interface dict, owner, the object that gave the interface) of ``value`` for a
    launch on ``device``, or None."""
    source = value
    if getattr(value, "requires_grad", False) is True and callable(getattr(value, "detach",
                                                                           None)):
        # (torch gives no interface of a tensor that requires grad; one that reaches here
        # is used under torch.no_grad(): its detached alias shares its memory)
        source = value.detach()
    try:
        if device.is_cuda:
            iface = source.__cuda_array_interface__
            return iface, value, source
        iface = getattr(source, "__array_interface__", None)
        if iface is not None:
            return iface, value, source
        if isinstance(source, (list, tuple, dict, str, bytes)) or \
                not callable(getattr(source, "__array__", None)):
            return None
        host = source.__array__()
        return host.__array_interface__, (value, host), host
    except (AttributeError, TypeError, RuntimeError):  # (torch: a GPU tensor's __array__)
        return None


def _other_side(value, device) -> str | None:
    """Why ``value`` cannot be viewed on ``device`` when it lives on the other side."""
    if device.is_cpu:
        try:
            value.__cuda_array_interface__
        except Exception:  # noqa: BLE001 - any failure: not GPU memory
            return None
        return (f"is GPU memory, but the kernel is launched on '{device}': launch on its GPU "
                "or copy it to the host first (e.g. t.cpu())")
    if getattr(value, "__array_interface__", None) is not None or \
            callable(getattr(value, "__array__", None)):
        return (f"is host memory, but the kernel is launched on '{device}': copy it to "
                f"the GPU first (e.g. t.to('{device}')) or launch on 'cpu'")
    return None


def _tracks_grad(value) -> bool:
    """Whether ``value`` is a torch tensor whose use torch's autograd would record now."""
    if getattr(value, "requires_grad", False) is not True:
        return False
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(value, torch.Tensor) and torch.is_grad_enabled()


def _autograd_problem(value) -> str | None:
    if not _tracks_grad(value):
        return None
    return ("requires grad, but torch's autograd does not see wp.launch: the tensor's "
            "gradient would be lost without a word. Put the kernels in a "
            "torch.autograd.Function (wp.torch_function does it for you), record them on a "
            "wp.Tape with wp.from_torch(t) (which shares t.grad), or pass t.detach() / "
            "launch under torch.no_grad() if no gradient is wanted")


def _typeless(value) -> str | None:
    """Why ``value`` gives no interface, when its scalar type is none of numba_warp's
    (torch's bfloat16)."""
    dt = getattr(value, "dtype", None)
    name = str(dt).replace("torch.", "")
    if dt is None or name in scalar_types:
        return None
    return (f"holds {name} values (numba_warp has no {name} type): convert the data "
            "first (a copy, e.g. x.to(torch.float32))")


def element_layout(shape: tuple, strides: tuple, scalar_size: int, et) -> tuple:
    """(outer shape, outer byte strides, None) of memory of scalars laid out as ``shape`` /
    ``strides`` seen as elements ``et`` (whose components are the trailing dimensions), or
    (None, None, what is wrong)."""
    inner = tuple(et.inner_shape)
    k = len(inner)
    if len(shape) < k or shape[len(shape) - k:] != inner:
        return None, None, (f"has shape {shape}, but {type_name(et.dtype)} elements need "
                            f"trailing dimensions {inner}")
    if k and strides[len(strides) - k:] != c_strides(inner, scalar_size):
        return None, None, (f"has the components of its {type_name(et.dtype)} elements apart "
                            f"in memory (strides {strides}): pass a contiguous copy")
    return shape[:len(shape) - k], strides[:len(strides) - k], None


def foreign_view(value, element, device, owned: bool = True, writes: bool = False) -> tuple:
    """(a ``wp.array`` viewing ``value``'s memory, None) or (None, what is wrong).

    ``element`` is the parameter's element type (None: the parameter is generic, the
    array keeps its own scalar type); ``device`` the launch's device; ``owned``: the view
    keeps ``value`` alive; ``writes``: the kernel may write it (read-only memory is
    refused then)."""
    lost = _autograd_problem(value)
    if lost is not None:
        return None, lost
    found = _interface(value, device)
    if found is None:
        other = _other_side(value, device) or _typeless(value)
        if other is not None:
            return None, other
        where = "__cuda_array_interface__" if device.is_cuda else \
            "__array_interface__ or __array__()"
        return None, f"has no {where} to view it through"
    iface, owner, source = found
    if writes and iface["data"][1]:
        return None, ("is read-only memory (a JAX array, or a NumPy array with writeable="
                      "False), and the kernel writes it: pass a writable copy (e.g. "
                      "np.array(x)) or an array numba_warp allocated")
    if iface.get("mask") is not None:
        return None, "is a masked array (its interface has a mask), which kernels cannot read"
    npdt = np.dtype(iface["typestr"])
    shape = tuple(int(s) for s in iface["shape"])
    strides = iface.get("strides")
    strides = tuple(int(s) for s in strides) if strides is not None else \
        c_strides(shape, npdt.itemsize)
    et = element if element is not None else element_type(from_numpy_dtype(npdt))
    want = np.dtype(et.scalar_np)
    if npdt.kind != want.kind or npdt.itemsize != want.itemsize or not npdt.isnative:
        named = type_name(et.dtype)
        of = named if named == want.name else f"{named} ({want.name} components)"
        return None, (f"holds {npdt.name} values, but the parameter's elements are {of}: "
                      f"convert the data first (a copy, e.g. x.astype(np.{want.name}) or "
                      f"x.to(torch.{want.name}))")
    outer, outer_strides, problem = element_layout(shape, strides, npdt.itemsize, et)
    if problem is not None:
        return None, problem
    ptr = int(iface["data"][0])
    if ptr == 0 and math.prod(outer):
        return None, "has a null data pointer"
    if device.is_cuda:
        # (through array(): it learns which GPU the memory is on)
        probe = array(source, copy=False)
        if probe.device != device:
            return None, (f"is on device '{probe.device}' but the kernel is launched on "
                          f"'{device}'")
    return array(ptr=ptr, shape=outer, strides=outer_strides, dtype=et, device=device,
                 owner=owner if owned else None), None


# -- the fast path's cache ---------------------------------------------------------------
#: id(producer) -> (weakref, fingerprint function, device, element, fingerprint, view);
#: an entry is dropped when its producer dies (so a live id names the same object)
_cache: dict = {}
_fingerprints: dict = {}  # producer type -> fingerprint function (None: not cached)


def _interface_key(iface) -> tuple:
    return iface["data"][0], iface["shape"], iface.get("strides"), iface["typestr"]


def _fingerprint_of(cls):
    if issubclass(cls, np.ndarray):
        return lambda v: (v.__array_interface__["data"][0], v.shape, v.strides, v.dtype)
    if callable(getattr(cls, "data_ptr", None)) and callable(getattr(cls, "stride", None)):
        # (torch tensors; requires_grad: a view made under torch.no_grad() is not kept for
        # a tensor that requires grad, see _new_view)
        return lambda v: (v.data_ptr(), v.stride(), v.shape, v.dtype, v.requires_grad)
    if inspect.isdatadescriptor(getattr(cls, "__cuda_array_interface__", None)):
        # (CuPy arrays, Numba device arrays, ...: what their interface says)
        return lambda v: _interface_key(v.__cuda_array_interface__)
    return None  # (other producers: the full path, which reads their interface)


def _forget(key, ref):
    hit = _cache.get(key)
    if hit is not None and hit[0] is ref:
        del _cache[key]


#: ``view_entry(id(value))``: the cache entry of ``value``, or None. An entry is ``(weakref,
#: fingerprint function, device, element, fingerprint, view)``; it is current for a launch
#: on ``device`` with parameter element ``element`` if ``entry[1](value) == entry[4]``
#: (the launch fast path's generated converter inlines that check; when it fails, it
#: calls :func:`cache_view`)
view_entry = _cache.get


def cache_view(value, element, device):
    """A new view of ``value`` for the launch fast path, kept in the cache (a producer
    object of a type with a cheap fingerprint), or None: the full path then converts it
    (and explains a refusal)."""
    cls = type(value)
    fingerprint = _fingerprints.get(cls, False)
    if fingerprint is False:
        fingerprint = _fingerprints[cls] = _fingerprint_of(cls)
    if fingerprint is None:
        return None
    view, _ = foreign_view(value, element, device, owned=False, writes=True)
    if view is None or getattr(value, "requires_grad", False) is True:
        # (read-only memory, a tensor that requires grad: the full path, which checks
        # whether the kernel writes it, or explains)
        return None
    key = id(value)
    try:
        ref = weakref.ref(value, functools.partial(_forget, key))
    except TypeError:  # (not weakly referenceable: no cache)
        return view
    _cache[key] = (ref, fingerprint, device, element, fingerprint(value), view)
    return view


def known_view(value):
    """The view :func:`cached_view` last gave for ``value`` (it must have given one)."""
    return _cache[id(value)][5]
