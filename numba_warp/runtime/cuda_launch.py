"""CUDA launches through the driver's ``cuLaunchKernel``, with parameters packed by
``struct`` into a buffer made once per compiled kernel.

numba-cuda's kernel ABI passes every argument flattened into scalars (an array is
``meminfo, parent, nitems, itemsize, data, *shape, *strides``). A generic launcher
(cuda.core's ``launch``) inspects the Python type of each of them on every launch. Here a
:class:`PackedKernel` works out, on its first launch, one ``struct`` layout for the whole
parameter list (one 8-byte slot per parameter), checks it against the parameter sizes
Numba compiled the kernel for, and from then on a launch is one ``pack_into`` and one
driver call.

The value kinds the launch code produces are fixed per parameter type (NumPy scalars
for the 8-, 16- and 32-bit types, Python ints for 64-bit integers and addresses, Python
floats for float64, ``bool`` for booleans), which is what makes a layout read from the
first launch's values right for every later one; the check against Numba's flattened
parameter types makes any slip an error instead of a wrong launch.

Launches hold the GIL through the driver call (``ctypes.PyDLL``), and a lock orders
packing and launching of one kernel between threads. Where the driver library cannot
be loaded here, or a value has no layout, the kernel launches through cuda.core.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import struct
import threading

import numpy as np

__all__ = ["PackedKernel", "PackedParams", "launch_error", "set_memory_release",
           "slot_code"]

#: the driver's CUDA_ERROR_OUT_OF_MEMORY
_OUT_OF_MEMORY = 2
#: CU_FUNC_ATTRIBUTE_LOCAL_SIZE_BYTES
_LOCAL_SIZE_BYTES = 3

#: struct codes per value kind, each padded to an 8-byte slot
_SLOT = {
    bool: "?7x", int: "q", float: "d",
    np.bool_: "?7x", np.int8: "b7x", np.uint8: "B7x", np.int16: "h6x", np.uint16: "H6x",
    np.int32: "i4x", np.uint32: "I4x", np.int64: "q", np.uint64: "Q",
    np.float16: "e6x", np.float32: "f4x", np.float64: "d",
}
#: bytes each struct code fills, to compare with the compiled parameter sizes
_SIZE = {"?": 1, "b": 1, "B": 1, "h": 2, "H": 2, "e": 2, "i": 4, "I": 4, "f": 4,
         "q": 8, "Q": 8, "d": 8}

_driver = {"lib": None, "loaded": False, "launch": None}
_driver_lock = threading.Lock()

#: set by the CUDA backend: ``release(ordinal) -> int`` frees the memory this process has
#: let go of on a device but not yet returned to the driver (numba-cuda defers frees) and
#: returns how many bytes; ``advice(ordinal) -> str`` says who holds the GPU's memory
_memory = {"release": None, "advice": None}


def set_memory_release(release, advice) -> None:
    """Install what a launch that ran out of memory calls before its retry, and the
    advice its error gives."""
    _memory.update(release=release, advice=advice)


def _libcuda():
    """The driver library through ctypes (holding the GIL in calls), or None."""
    if _driver["loaded"]:
        return _driver["lib"]
    with _driver_lock:
        if not _driver["loaded"]:
            lib = None
            for name in ("libcuda.so.1", ctypes.util.find_library("cuda"), "nvcuda.dll"):
                if not name:
                    continue
                try:
                    lib = ctypes.PyDLL(name)
                    break
                except OSError:
                    continue
            if lib is not None:
                vp = ctypes.c_void_p
                lib.cuKernelGetFunction.argtypes = [ctypes.POINTER(vp), vp]
                lib.cuKernelGetFunction.restype = ctypes.c_int
                lib.cuGetErrorName.argtypes = [ctypes.c_int, ctypes.POINTER(ctypes.c_char_p)]
                lib.cuGetErrorName.restype = ctypes.c_int
                lib.cuFuncGetAttribute.argtypes = [ctypes.POINTER(ctypes.c_int),
                                                   ctypes.c_int, vp]
                lib.cuFuncGetAttribute.restype = ctypes.c_int
                # the launch call without argtypes: its pointer arguments are c_void_p
                # objects made once and its ints fit in a C int, and ctypes converts
                # nothing per call (a third of the cost of the checked call)
                raw = lib["cuLaunchKernel"]
                raw.restype = ctypes.c_int
                _driver["launch"] = raw
            _driver["lib"] = lib
            _driver["loaded"] = True
    return _driver["lib"]


def launch_error(code: int, what: str) -> RuntimeError:
    """The error for a failed driver call."""
    lib = _libcuda()
    name = ctypes.c_char_p()
    if lib is not None and lib.cuGetErrorName(code, ctypes.byref(name)) == 0 and name.value:
        text = name.value.decode()
    else:
        text = f"error {code}"
    return RuntimeError(f"CUDA {what} failed: {text}")


def slot_code(value) -> str | None:
    """The struct code of a parameter value's 8-byte slot (None: no slot for it)."""
    return _SLOT.get(type(value))


def _layout(values) -> str | None:
    """The struct format of a flattened parameter list (None: a value has no slot)."""
    parts = []
    for v in values:
        code = _SLOT.get(type(v))
        if code is None:
            return None
        parts.append(code)
    return "<" + "".join(parts)


def _slot_sizes(fmt: str) -> list:
    return [_SIZE[c] for c in fmt[1:] if c in _SIZE]


class PackedParams:
    """One parameter buffer and its pointer array: ``cuLaunchKernel``'s kernelParams."""

    __slots__ = ("buf", "ptrs", "address")

    def __init__(self, count: int):
        self.buf = ctypes.create_string_buffer(8 * max(count, 1))
        base = ctypes.addressof(self.buf)
        self.ptrs = (ctypes.c_void_p * max(count, 1))(*[base + 8 * k for k in range(count)])
        self.address = ctypes.c_void_p(ctypes.addressof(self.ptrs))


class PackedKernel:
    """A compiled CUDA kernel and what launching it needs (see the module docstring).

    ``core`` is the cuda.core Kernel (the fallback launcher's), ``param_sizes`` the
    byte sizes of the compiled kernel's flattened parameters (None: not known, no
    check), ``ordinal`` its device.
    """

    __slots__ = ("core", "ordinal", "func", "param_sizes", "_struct", "_params", "_lock",
                 "_fallback", "_raw")

    def __init__(self, core, ordinal: int, param_sizes: list | None):
        self.core = core
        self.ordinal = ordinal
        self.param_sizes = param_sizes
        self._struct = None
        self._params = None
        self._lock = threading.Lock()
        self._fallback = False
        self._raw = None  # the buffer launch_bytes uses, once its layout is checked
        self.func = None
        lib = _libcuda()
        if lib is None:
            self._fallback = True
            return
        # the kernel's function in the current (its device's) context: a CUfunction
        # launches in its own context, whichever context the launching thread has
        func = ctypes.c_void_p()
        code = lib.cuKernelGetFunction(ctypes.byref(func), int(core.handle))
        if code != 0:
            raise launch_error(code, "cuKernelGetFunction")
        self.func = func  # (a c_void_p: passed to the driver as it is)

    def _make_layout(self, values) -> bool:
        fmt = _layout(values)
        if fmt is None:
            self._fallback = True
            return False
        sizes = _slot_sizes(fmt)
        if self.param_sizes is not None and sizes != self.param_sizes:
            raise RuntimeError(
                "numba_warp internal error: the launch's parameter values "
                f"({[type(v).__name__ for v in values]}) do not match the compiled kernel's "
                f"parameter sizes {self.param_sizes}; please report this")
        self._struct = struct.Struct(fmt)
        self._buffer(len(values))
        return True

    def _buffer(self, count: int) -> PackedParams:
        """The kernel's shared parameter buffer (both launch layouts are one 8-byte slot
        per parameter), made on first use."""
        if self._params is None:
            self._params = PackedParams(count)
        return self._params

    def _submit(self, stream, blocks: int, threads: int, params: PackedParams) -> None:
        code = _driver["launch"](self.func, blocks, 1, 1, threads, 1, 1, 0, stream.handle_c,
                                 params.address, None)
        if code:
            self._failed(code, stream, blocks, threads, params)

    def _failed(self, code: int, stream, blocks: int, threads: int,
                params: PackedParams) -> None:
        """A launch the driver refused. Out of memory (the driver reserves the kernel's
        local memory, per thread times the threads the GPU can hold, at its first launch)
        is retried once after this process's deferred frees are returned; then it is an
        error that says what the kernel needs."""
        if code != _OUT_OF_MEMORY:
            raise launch_error(code, "kernel launch")
        release = _memory["release"]
        released = release(self.ordinal) if release is not None else 0
        code = _driver["launch"](self.func, blocks, 1, 1, threads, 1, 1, 0, stream.handle_c,
                                 params.address, None)
        if code == 0:
            return
        if code != _OUT_OF_MEMORY:
            raise launch_error(code, "kernel launch")
        raise RuntimeError(self.out_of_memory_message(released))

    def local_bytes(self) -> int | None:
        """Local memory (stack and spilled registers) per thread of this kernel, bytes."""
        lib = _libcuda()
        if lib is None or self.func is None:
            return None
        value = ctypes.c_int()
        if lib.cuFuncGetAttribute(ctypes.byref(value), _LOCAL_SIZE_BYTES, self.func) != 0:
            return None
        return int(value.value)

    def out_of_memory_message(self, released: int) -> str:
        local = self.local_bytes()
        need = (f"this kernel uses {local:,} bytes of local memory (stack and spilled "
                "registers) per thread, which the driver reserves for every thread the GPU "
                "can hold at once" if local else
                "the driver reserves memory for a kernel's local memory and launch")
        freed = (f"; {released / 2**20:,.0f} MiB of this process's released arrays were "
                 "returned to the driver and the launch retried" if released else
                 "; the launch was retried")
        advice = _memory["advice"]
        held = advice(self.ordinal) if advice is not None else ""
        return (f"CUDA kernel launch failed: CUDA_ERROR_OUT_OF_MEMORY on cuda:{self.ordinal}: "
                f"{need}{freed}. {held}Free GPU memory (delete arrays you no longer "
                "need), or lower the kernel's local memory (fewer large local "
                "vectors/matrices)")

    def check_layout(self, fmt: str) -> None:
        """Check a struct format (8-byte slots) that :meth:`launch_bytes` callers pack
        their parameters with against the compiled parameter sizes, once."""
        if self._raw is not None or self._fallback:
            return
        sizes = _slot_sizes(fmt)
        if self.param_sizes is not None and sizes != self.param_sizes:
            raise RuntimeError(
                f"numba_warp internal error: the launch layout {fmt} does not match the "
                f"compiled kernel's parameter sizes {self.param_sizes}; please report this")
        self._raw = self._buffer(len(sizes))

    def launch_bytes(self, stream, blocks: int, threads: int, data: bytes) -> None:
        """Launch with the parameters already packed in 8-byte slots in the layout given
        to :meth:`check_layout` (the launch fast path's)."""
        params = self._raw
        if params is None:  # (no driver library here: unpack and go through cuda.core)
            fmt = "<" + "q" * (len(data) // 8)
            return self._launch_core(stream, blocks, threads, struct.unpack(fmt, data))
        with self._lock:
            params.buf.raw = data
            self._submit(stream, blocks, threads, params)
        return None

    def pack(self, values) -> PackedParams | None:
        """A private parameter buffer holding ``values`` (for a launch made many times
        with the same values); None where this kernel launches through cuda.core."""
        if self._fallback or (self._struct is None and not self._make_layout(values)):
            return None
        params = PackedParams(len(values))
        self._struct.pack_into(params.buf, 0, *values)
        return params

    def launch_packed(self, stream, blocks: int, threads: int, params: PackedParams) -> None:
        """Launch with a buffer from :meth:`pack` on ``stream`` (a numba_warp Stream)."""
        self._submit(stream, blocks, threads, params)

    def launch(self, stream, blocks: int, threads: int, values) -> None:
        """Launch over ``blocks`` x ``threads`` on ``stream`` with the flattened values."""
        st = self._struct
        if st is None:
            if self._fallback or not self._make_layout(values):
                return self._launch_core(stream, blocks, threads, values)
            st = self._struct
        params = self._params
        with self._lock:
            st.pack_into(params.buf, 0, *values)
            self._submit(stream, blocks, threads, params)
        return None

    def _launch_core(self, stream, blocks, threads, values):
        from cuda.core import LaunchConfig  # (optional path: only without a loadable driver)
        from cuda.core import launch as core_launch

        core_launch(stream.core_stream, LaunchConfig(grid=blocks, block=threads), self.core,
                    *values)
