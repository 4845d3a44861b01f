"""The C side of DLPack: structures, capsules and the export table (no NumPy, no devices).

This module holds everything that talks to C: the ``ctypes`` mirrors of the
``dlpack.h`` structures, private prototypes of the CPython C-API functions
used on capsules, the capsule name buffers, the table of exported tensors,
the deleter / capsule-destructor callbacks and the native LLVM trampolines
that wrap them.  It knows nothing about NumPy dtypes, shapes or strides:
:mod:`numba_warp.runtime.dlpack_export` fills the structures for an export
(what ``wp.array.__dlpack__`` needs, hence this floor), and
:mod:`numba_warp.interop.dlpack` consumes other libraries' capsules.

Contract
--------
Export table
    :func:`export_capsule` registers a filled managed struct, with the
    objects it must keep alive, in a module-level table before creating the
    capsule, whose ``managed->deleter`` is the deleter below and whose
    destructor is the capsule destructor below.  :func:`release_export`
    drops the entry (idempotent); it is what the deleter does, whichever of
    the consumer or the destructor of an unconsumed capsule calls it first.
    :func:`producer_deleter` recognises every deleter address that
    designates one of our exports, so that an importer releases a
    round-tripped tensor directly.

Callbacks
    ``_deleter_impl`` and ``_capsule_destructor_impl`` are ``ctypes``
    callbacks that never let an exception escape into C.  When ``llvmlite``
    is importable (and ``NUMBA_WARP_DLPACK_PURE_CTYPES`` is unset or ``0``)
    the addresses handed to C are native trampolines, JIT-compiled at the first export,
    that acquire the GIL and save/restore a Python error already in flight
    around them (:data:`NATIVE_TRAMPOLINES` is then True); otherwise the
    ``ctypes`` callbacks are used directly and such an error is only
    reported through ``sys.unraisablehook``.

Capsules
    :data:`capsule_new`, :data:`capsule_get_pointer`, :data:`capsule_is_valid`
    and :data:`capsule_get_name` are the CPython functions of the same name
    (``PyCapsule_*``) on a live capsule object; :func:`mark_consumed` renames a
    capsule to its ``"used_*"`` name (the name buffers must outlive it, so
    only this module sets names).

Lifetime
    The callbacks, the JIT-compiled code, the capsule names and the export
    table are made immortal (deliberately never freed), so capsules or
    consumer arrays that outlive this module during interpreter shutdown
    never call into freed memory.  Once the interpreter is finalising, the
    native deleter does nothing (the tensor is leaked).
"""

from __future__ import annotations

import ctypes
import os
import string
import warnings

try:  # a numba dependency, so normally present; without it the pure-ctypes mode is used
    import llvmlite.binding as llvm
except ImportError:  # pragma: no cover
    llvm = None

__all__ = [
    "DLDevice",
    "DLDataType",
    "DLTensor",
    "DLManagedTensor",
    "DLPackVersion",
    "DLManagedTensorVersioned",
    "NAME_LEGACY",
    "NAME_VERSIONED",
    "NAME_USED_LEGACY",
    "NAME_USED_VERSIONED",
    "NATIVE_TRAMPOLINES",
    "CAPSULE_TYPE",
    "capsule_new",
    "capsule_get_pointer",
    "capsule_is_valid",
    "capsule_get_name",
    "export_capsule",
    "mark_consumed",
    "producer_deleter",
    "release_export",
    "live_export_count",
]

NAME_LEGACY = b"dltensor"
NAME_VERSIONED = b"dltensor_versioned"
NAME_USED_LEGACY = b"used_dltensor"
NAME_USED_VERSIONED = b"used_dltensor_versioned"

# ---------------------------------------------------------------------------
# Structures (dlpack.h)
# ---------------------------------------------------------------------------


class DLDevice(ctypes.Structure):
    """``DLDevice``: device type and ordinal."""

    _fields_ = [("device_type", ctypes.c_int32), ("device_id", ctypes.c_int32)]


class DLDataType(ctypes.Structure):
    """``DLDataType``: type code, bits per lane and number of lanes."""

    _fields_ = [("code", ctypes.c_uint8), ("bits", ctypes.c_uint8), ("lanes", ctypes.c_uint16)]


class DLTensor(ctypes.Structure):
    """``DLTensor``; ``shape``/``strides`` are ``int64_t *`` kept as raw addresses."""

    _fields_ = [
        ("data", ctypes.c_void_p),
        ("device", DLDevice),
        ("ndim", ctypes.c_int32),
        ("dtype", DLDataType),
        ("shape", ctypes.c_void_p),
        ("strides", ctypes.c_void_p),
        ("byte_offset", ctypes.c_uint64),
    ]


class DLManagedTensor(ctypes.Structure):
    """Legacy ``DLManagedTensor``; ``deleter`` is a raw function address."""

    _fields_ = [
        ("dl_tensor", DLTensor),
        ("manager_ctx", ctypes.c_void_p),
        ("deleter", ctypes.c_void_p),
    ]


class DLPackVersion(ctypes.Structure):
    """``DLPackVersion``: ABI major/minor version."""

    _fields_ = [("major", ctypes.c_uint32), ("minor", ctypes.c_uint32)]


class DLManagedTensorVersioned(ctypes.Structure):
    """DLPack 1.x ``DLManagedTensorVersioned``; ``deleter`` is a raw function address."""

    _fields_ = [
        ("version", DLPackVersion),
        ("manager_ctx", ctypes.c_void_p),
        ("deleter", ctypes.c_void_p),
        ("flags", ctypes.c_uint64),
        ("dl_tensor", DLTensor),
    ]


_LEGACY_DELETER_OFFSET = DLManagedTensor.deleter.offset
_VERSIONED_DELETER_OFFSET = DLManagedTensorVersioned.deleter.offset

# ---------------------------------------------------------------------------
# Python C-API through ctypes.pythonapi
#
# Private prototypes are bound instead of setting argtypes on the shared
# ``ctypes.pythonapi.<name>`` objects, so that other code using those objects
# with different argtypes is not affected.  PYFUNCTYPE keeps the GIL held and
# turns a set Python error into an exception.
# ---------------------------------------------------------------------------


def _capi(name, restype, *argtypes):
    return ctypes.PYFUNCTYPE(restype, *argtypes)((name, ctypes.pythonapi))


_py = ctypes.py_object
_vp = ctypes.c_void_p
_cp = ctypes.c_char_p

# Variants taking a live Python object (public: the capsule functions of both sides).
capsule_new = _capi("PyCapsule_New", _py, _vp, _vp, _vp)
capsule_get_pointer = _capi("PyCapsule_GetPointer", _vp, _py, _cp)
capsule_is_valid = _capi("PyCapsule_IsValid", ctypes.c_int, _py, _cp)
_PyCapsule_SetName = _capi("PyCapsule_SetName", ctypes.c_int, _py, _vp)
capsule_get_name = _capi("PyCapsule_GetName", _cp, _py)
# Variants taking a raw ``PyObject *``: used inside the capsule destructor,
# where the capsule's reference count is already zero and it must not be
# wrapped into a Python object again.
_PyCapsule_IsValid_raw = _capi("PyCapsule_IsValid", ctypes.c_int, _vp, _cp)
_PyCapsule_GetPointer_raw = _capi("PyCapsule_GetPointer", _vp, _vp, _cp)
_Py_IncRef = _capi("Py_IncRef", None, _py)
# Returns the current error type; the PYFUNCTYPE wrapper re-raises that error.
_PyErr_Occurred = _capi("PyErr_Occurred", _vp)

# Calling a producer's deleter: keep the GIL held (safe whether or not the
# deleter acquires it itself).
_DELETER_CALL = ctypes.PYFUNCTYPE(None, ctypes.c_void_p)
# Signature of both callbacks handed to C: ``void (*)(void *)``.
_CALLBACK_FUNCTYPE = ctypes.CFUNCTYPE(None, ctypes.c_void_p)


def _immortal(obj):
    """Leak one reference to ``obj`` so it is never freed, even at shutdown."""
    _Py_IncRef(obj)
    return obj


# Capsule names are stored by pointer (not copied) by PyCapsule_New and
# PyCapsule_SetName, so they must outlive every capsule.
_NAME_BUFFERS = _immortal(
    {
        name: _immortal(ctypes.create_string_buffer(name))
        for name in (NAME_LEGACY, NAME_VERSIONED, NAME_USED_LEGACY, NAME_USED_VERSIONED)
    }
)
_NAME_PTRS = {name: ctypes.addressof(buf) for name, buf in _NAME_BUFFERS.items()}

# ---------------------------------------------------------------------------
# Export side: registry and the Python-level callbacks
# ---------------------------------------------------------------------------

# address of the managed struct -> (managed struct, *what it keeps alive); see export_capsule
_EXPORTS = _immortal({})
# Every deleter address that designates one of our exports (filled below).
_OWN_DELETERS = _immortal(set())


def release_export(managed_ptr, _pop=_EXPORTS.pop):
    """Drop the registry entry of an exported tensor (idempotent)."""
    if managed_ptr:
        # Popping frees the ctypes structures and releases ``owner``.
        _pop(managed_ptr, None)


def _take_pending_exception(_occurred=_PyErr_Occurred):
    """Clear and return the Python error already set when C called us, if any.

    A ctypes callback runs Python code even when its C caller has an error
    set (e.g. an object deallocated while an exception propagates).  Any
    call through a PYFUNCTYPE prototype then re-raises that error, which is
    caught here so that the callback can do its work.
    """
    try:
        _occurred()
    except BaseException as exc:
        return exc
    return None


def _deleter_impl(managed_ptr, _release=release_export, _pending=_take_pending_exception):
    """Python part of ``managed->deleter`` for every exported tensor."""
    pending = _pending()
    try:
        _release(managed_ptr)
    except BaseException:  # never let an exception escape into C
        pass
    if pending is not None:
        # Only in pure-ctypes mode: the caller's error cannot be restored
        # from a ctypes callback; have ctypes report it as unraisable.
        raise pending


def _capsule_destructor_impl(
    capsule,
    _is_valid=_PyCapsule_IsValid_raw,
    _get_pointer=_PyCapsule_GetPointer_raw,
    _names=(
        (NAME_LEGACY, _LEGACY_DELETER_OFFSET),
        (NAME_VERSIONED, _VERSIONED_DELETER_OFFSET),
    ),
    _read_ptr=ctypes.c_void_p.from_address,
    _call=_DELETER_CALL,
    _release=release_export,
    _pending=_take_pending_exception,
    _own=_OWN_DELETERS,
):
    """Python capsule destructor (pure-ctypes mode only).

    Calls the managed tensor's deleter if the capsule was never consumed.
    ``capsule`` is the raw ``PyObject *`` (an int): the object is being
    deallocated and must not be turned into a Python object again.
    """
    pending = _pending()
    try:
        for name, deleter_offset in _names:
            if not _is_valid(capsule, name):
                continue
            managed = _get_pointer(capsule, name)
            if managed:
                deleter = _read_ptr(managed + deleter_offset).value
                if deleter in _own:
                    _release(managed)
                elif deleter:
                    _call(deleter)(managed)
            break
        # No match: renamed to "used_*", the consumer owns the tensor now.
    except BaseException:  # never let an exception escape into C
        pass
    if pending is not None:
        raise pending  # see _deleter_impl


# The ctypes trampolines for the two callbacks; never freed.
_PY_DELETER = _immortal(_CALLBACK_FUNCTYPE(_deleter_impl))
_PY_DESTRUCTOR = _immortal(_CALLBACK_FUNCTYPE(_capsule_destructor_impl))
_PY_DELETER_ADDR = ctypes.cast(_PY_DELETER, ctypes.c_void_p).value
_PY_DESTRUCTOR_ADDR = ctypes.cast(_PY_DESTRUCTOR, ctypes.c_void_p).value

# ---------------------------------------------------------------------------
# Native trampolines
#
# A ctypes callback cannot preserve a Python error that is already set when
# C calls it: CPython turns "returned a result with an error set" into a
# SystemError and ctypes then clears it.  That happens in ordinary code, e.g.
# ``np.from_dlpack(x).reshape(-3)``: the temporary array, hence our tensor,
# is freed while the ValueError is propagating, and NumPy does not save the
# error around ``managed->deleter``.  When llvmlite (a numba dependency) is
# available, the deleter and the capsule destructor therefore are two tiny
# native functions, JIT-compiled from the LLVM IR below, that save the error
# state (PyErr_Fetch/PyErr_Restore) around the Python-level work, exactly as
# the DLPack specification's reference capsule destructor does.
# ---------------------------------------------------------------------------

_NATIVE_IR = string.Template(
    r"""
@name_legacy = private unnamed_addr constant [9 x i8] c"dltensor\00"
@name_versioned = private unnamed_addr constant [19 x i8] c"dltensor_versioned\00"

define void @nw_dlpack_deleter(ptr %managed) {
entry:
  %etype = alloca ptr
  %evalue = alloca ptr
  %etb = alloca ptr
  %init = call i32 inttoptr ($iptr $Py_IsInitialized to ptr)()
  %ready = icmp ne i32 %init, 0
  br i1 %ready, label %run, label %done
run:
  %gil = call i32 inttoptr ($iptr $PyGILState_Ensure to ptr)()
  call void inttoptr ($iptr $PyErr_Fetch to ptr)(ptr %etype, ptr %evalue, ptr %etb)
  call void inttoptr ($iptr $py_deleter to ptr)(ptr %managed)
  %t = load ptr, ptr %etype
  %v = load ptr, ptr %evalue
  %tb = load ptr, ptr %etb
  call void inttoptr ($iptr $PyErr_Restore to ptr)(ptr %t, ptr %v, ptr %tb)
  call void inttoptr ($iptr $PyGILState_Release to ptr)(i32 %gil)
  br label %done
done:
  ret void
}

define void @nw_dlpack_capsule_destructor(ptr %capsule) {
entry:
  %etype = alloca ptr
  %evalue = alloca ptr
  %etb = alloca ptr
  %is_legacy = call i32 inttoptr ($iptr $PyCapsule_IsValid to ptr)(
      ptr %capsule, ptr @name_legacy)
  %legacy = icmp ne i32 %is_legacy, 0
  br i1 %legacy, label %get_legacy, label %check_versioned
get_legacy:
  %ml = call ptr inttoptr ($iptr $PyCapsule_GetPointer to ptr)(ptr %capsule, ptr @name_legacy)
  br label %have_pointer
check_versioned:
  %is_versioned = call i32 inttoptr ($iptr $PyCapsule_IsValid to ptr)(
      ptr %capsule, ptr @name_versioned)
  %versioned = icmp ne i32 %is_versioned, 0
  br i1 %versioned, label %get_versioned, label %done
get_versioned:
  %mv = call ptr inttoptr ($iptr $PyCapsule_GetPointer to ptr)(ptr %capsule, ptr @name_versioned)
  br label %have_pointer
have_pointer:
  %managed = phi ptr [ %ml, %get_legacy ], [ %mv, %get_versioned ]
  %offset = phi $iptr [ $legacy_offset, %get_legacy ], [ $versioned_offset, %get_versioned ]
  %null_managed = icmp eq ptr %managed, null
  br i1 %null_managed, label %done, label %load_deleter
load_deleter:
  %slot = getelementptr i8, ptr %managed, $iptr %offset
  %deleter = load ptr, ptr %slot
  %null_deleter = icmp eq ptr %deleter, null
  br i1 %null_deleter, label %done, label %call_deleter
call_deleter:
  call void inttoptr ($iptr $PyErr_Fetch to ptr)(ptr %etype, ptr %evalue, ptr %etb)
  call void %deleter(ptr %managed)
  %t = load ptr, ptr %etype
  %v = load ptr, ptr %evalue
  %tb = load ptr, ptr %etb
  call void inttoptr ($iptr $PyErr_Restore to ptr)(ptr %t, ptr %v, ptr %tb)
  br label %done
done:
  ret void
}
"""
)


def _native_wanted() -> bool:
    return llvm is not None and \
        os.environ.get("NUMBA_WARP_DLPACK_PURE_CTYPES", "").strip() in ("", "0")


def _build_native_trampolines():
    """JIT-compile the native deleter and capsule destructor.

    Returns
    -------
    tuple or None
        ``(deleter_address, destructor_address)``, or ``None`` when llvmlite fails.
    """
    try:
        def addr(name):
            return ctypes.cast(getattr(ctypes.pythonapi, name), ctypes.c_void_p).value

        symbols = {
            name: addr(name)
            for name in (
                "Py_IsInitialized",
                "PyGILState_Ensure",
                "PyGILState_Release",
                "PyErr_Fetch",
                "PyErr_Restore",
                "PyCapsule_IsValid",
                "PyCapsule_GetPointer",
            )
        }
        ir = _NATIVE_IR.substitute(
            symbols,
            iptr=f"i{8 * ctypes.sizeof(ctypes.c_void_p)}",
            py_deleter=_PY_DELETER_ADDR,
            legacy_offset=_LEGACY_DELETER_OFFSET,
            versioned_offset=_VERSIONED_DELETER_OFFSET,
        )
        llvm.initialize_native_target()
        llvm.initialize_native_asmprinter()
        module = llvm.parse_assembly(ir)
        module.verify()
        target_machine = llvm.Target.from_default_triple().create_target_machine()
        module.triple = target_machine.triple
        module.data_layout = str(target_machine.target_data)
        engine = llvm.create_mcjit_compiler(module, target_machine)
        engine.finalize_object()
        deleter = engine.get_function_address("nw_dlpack_deleter")
        destructor = engine.get_function_address("nw_dlpack_capsule_destructor")
        if not (deleter and destructor):
            return None
        # The machine code must outlive every capsule and consumer array.
        _immortal((engine, target_machine))
        return deleter, destructor
    except Exception:
        return None


#: True when the deleter and capsule destructor are the native trampolines
#: (errors in flight are preserved); False in pure-ctypes mode. The trampolines are
#: compiled at the first export (starting LLVM costs an import ~50 ms); should that fail,
#: a RuntimeWarning says so and the ctypes callbacks are used.
NATIVE_TRAMPOLINES = _native_wanted()

_OWN_DELETERS.add(_PY_DELETER_ADDR)
_ADDRESSES: list = []  # [(deleter address, capsule destructor address)], made on first use


def _callback_addresses() -> tuple:
    """The deleter and capsule destructor addresses exports use (made once)."""
    if not _ADDRESSES:
        native = _build_native_trampolines() if NATIVE_TRAMPOLINES else None
        if NATIVE_TRAMPOLINES and native is None:
            warnings.warn("numba_warp: the native DLPack trampolines could not be compiled "
                          "with llvmlite; the ctypes callbacks are used (an error in flight "
                          "when a consumer frees a tensor is then reported as unraisable)",
                          RuntimeWarning, stacklevel=3)
        addresses = native or (_PY_DELETER_ADDR, _PY_DESTRUCTOR_ADDR)
        _OWN_DELETERS.add(addresses[0])
        _ADDRESSES.append(addresses)
    return _ADDRESSES[0]


# The capsule type (types.CapsuleType only exists from Python 3.13).
CAPSULE_TYPE = type(capsule_new(_NAME_PTRS[NAME_LEGACY], _NAME_PTRS[NAME_LEGACY], None))


def export_capsule(managed, keep: tuple):
    """Wrap a filled ``DLManagedTensor`` or ``DLManagedTensorVersioned`` in a new capsule.

    Sets ``managed->manager_ctx`` and ``managed->deleter`` and registers ``managed`` in the
    export table with ``keep`` (what must live as long as the tensor: the shape and
    strides arrays, the owner of the memory) until the deleter runs.  The capsule is
    named ``"dltensor_versioned"`` for a versioned struct, ``"dltensor"`` otherwise.
    """
    versioned = isinstance(managed, DLManagedTensorVersioned)
    name = NAME_VERSIONED if versioned else NAME_LEGACY
    addr = ctypes.addressof(managed)
    deleter, destructor = _callback_addresses()
    managed.manager_ctx = addr
    managed.deleter = deleter
    _EXPORTS[addr] = (managed, *keep)
    try:
        return capsule_new(addr, _NAME_PTRS[name], destructor)
    except BaseException:
        _EXPORTS.pop(addr, None)
        raise


def mark_consumed(capsule, versioned: bool) -> None:
    """Rename a valid DLPack capsule to ``"used_dltensor[_versioned]"``: its consumer owns
    the tensor from then on, and the capsule's destructor leaves it alone."""
    _PyCapsule_SetName(capsule, _NAME_PTRS[NAME_USED_VERSIONED if versioned else NAME_USED_LEGACY])


def producer_deleter(deleter_addr: int):
    """A callable ``f(managed_ptr)`` running the deleter at ``deleter_addr``, or None when
    the address is NULL.  One of our own exports is released directly (no trip through C)."""
    if deleter_addr in _OWN_DELETERS:
        return release_export
    if deleter_addr:
        return _DELETER_CALL(deleter_addr)
    return None


def live_export_count() -> int:
    """Number of exported tensors whose deleter has not run yet (for tests)."""
    return len(_EXPORTS)
