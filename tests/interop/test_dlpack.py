"""Tests for numba_warp.interop.dlpack (CPU only, NumPy as the peer library)."""

import ctypes
import gc
import os
import subprocess
import sys
import textwrap
import threading
import weakref

import numpy as np
import pytest

from numba_warp.interop import dlpack as dl
from numba_warp.runtime import dlpack_capi

ALL_DTYPES = [
    np.bool_,
    np.int8,
    np.int16,
    np.int32,
    np.int64,
    np.uint8,
    np.uint16,
    np.uint32,
    np.uint64,
    np.float16,
    np.float32,
    np.float64,
]


class Owner:
    """Weak-referenceable stand-in for the library object owning the memory."""

    def __init__(self, array):
        self.array = array


class Exporter:
    """Minimal producer built on ``to_dlpack_capsule``."""

    def __init__(self, owner, ptr, shape, strides, dtype, *, readonly=False, device=None):
        self.owner = owner
        self.desc = (ptr, shape, strides, dtype)
        self.readonly = readonly
        self.device = device or (dl.KDL_CPU, 0)
        self.calls = []

    @classmethod
    def of(cls, array, **kwargs):
        return cls(Owner(array), array.ctypes.data, array.shape, array.strides, array.dtype,
                   **kwargs)

    def __dlpack_device__(self):
        return self.device

    def __dlpack__(self, *, stream=None, max_version=None, dl_device=None, copy=None):
        self.calls.append({"stream": stream, "max_version": max_version})
        versioned = max_version is not None and max_version[0] >= 1
        ptr, shape, strides, dtype = self.desc
        return dl.to_dlpack_capsule(ptr, shape, strides, dtype, *self.device, self.owner,
                                    versioned=versioned, readonly=self.readonly)


class LegacyExporter(Exporter):
    """Producer that predates DLPack 1.0 (no ``max_version`` keyword)."""

    def __dlpack__(self, stream=None):
        return super().__dlpack__(stream=stream)


def collect():
    gc.collect()


def capsule_name(capsule):
    return repr(capsule).split('"')[1]


_GET_POINTER = ctypes.PYFUNCTYPE(ctypes.c_void_p, ctypes.py_object, ctypes.c_char_p)(
    ("PyCapsule_GetPointer", ctypes.pythonapi)
)


def managed_address(capsule):
    return _GET_POINTER(capsule, capsule_name(capsule).encode())


def strided_cases():
    base4 = np.arange(2 * 3 * 4 * 5, dtype=np.float64).reshape(2, 3, 4, 5)
    base2 = np.arange(60, dtype=np.float64).reshape(6, 10)
    return {
        "1d": np.arange(7, dtype=np.float64),
        "1d-step": np.arange(20, dtype=np.float64)[::3],
        "1d-negative": np.arange(9, dtype=np.float64)[::-2],
        "2d": base2,
        "2d-transposed": base2.T,
        "2d-sliced": base2[1::2, ::-3],
        "3d": base4[1],
        "3d-sliced": base4[:, ::2, 1:],
        "4d": base4,
        "4d-permuted": base4.transpose(2, 0, 3, 1)[::-1, :, ::2],
        "0d": np.array(3.5),
        "empty": np.zeros((0, 3)),
    }


CASES = strided_cases()


@pytest.fixture(autouse=True)
def no_leaks():
    collect()
    before = dlpack_capi.live_export_count()
    yield
    collect()
    assert dlpack_capi.live_export_count() == before


def test_native_trampolines_built():
    # llvmlite ships with numba, so the error-preserving trampolines must be in use.
    assert dl.NATIVE_TRAMPOLINES


@pytest.mark.parametrize("versioned", [False, True])
@pytest.mark.parametrize("name", sorted(CASES))
def test_numpy_round_trip_strided(name, versioned):
    src = CASES[name].copy() if name == "empty" else CASES[name]
    exporter = Exporter.of(src) if versioned else LegacyExporter.of(src)
    out = np.from_dlpack(exporter)
    assert out.shape == src.shape and out.dtype == src.dtype
    assert out.strides == src.strides or src.size <= 1
    np.testing.assert_array_equal(out, src)
    if src.size:
        assert out.ctypes.data == src.ctypes.data
        assert np.shares_memory(out, src)
    if versioned:
        assert exporter.calls[0]["max_version"] is not None


@pytest.mark.parametrize("versioned", [False, True])
@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=lambda t: np.dtype(t).name)
def test_numpy_round_trip_dtypes(dtype, versioned):
    src = (np.arange(24).reshape(4, 6) % 3).astype(dtype)[::2, 1::2]
    exporter = Exporter.of(src) if versioned else LegacyExporter.of(src)
    out = np.from_dlpack(exporter)
    assert out.dtype == np.dtype(dtype)
    assert out.shape == src.shape and out.strides == src.strides
    np.testing.assert_array_equal(out, src)
    if versioned:
        # Same memory: writes are visible on both sides.
        out[0, 0] = src[0, 1]
        assert src[0, 0] == src[0, 1]
    else:
        # NumPy cannot know whether legacy (unversioned) memory is writable.
        assert not out.flags.writeable


def test_capsule_kinds_and_readonly():
    src = np.arange(6.0)
    caps = Exporter.of(src).__dlpack__()
    assert capsule_name(caps) == "dltensor"
    caps = Exporter.of(src).__dlpack__(max_version=(1, 2))
    assert capsule_name(caps) == "dltensor_versioned"
    del caps
    out = np.from_dlpack(Exporter.of(src, readonly=True))
    assert not out.flags.writeable
    np.testing.assert_array_equal(out, src)
    with pytest.raises(BufferError):
        dl.to_dlpack_capsule(src.ctypes.data, (6,), (8,), src.dtype, dl.KDL_CPU, 0, None,
                             readonly=True)


@pytest.mark.parametrize("versioned", [False, True])
@pytest.mark.parametrize("inner", [(3,), (2, 2)])
def test_inner_shape_dtype(inner, versioned):
    n = int(np.prod(inner))
    base = np.arange(10 * n, dtype=np.float32).reshape((10,) + inner)
    vec = np.dtype((np.float32, inner))
    # Every other vector: outer byte stride 2 * n * 4.
    owner = Owner(base)
    exporter = Exporter(owner, base.ctypes.data, (5,), (2 * n * 4,), vec)
    if not versioned:
        exporter.__class__ = LegacyExporter
    out = np.from_dlpack(exporter)
    assert out.shape == (5,) + inner and out.dtype == np.float32
    np.testing.assert_array_equal(out, base[::2])

    caps = dl.to_dlpack_capsule(base.ctypes.data, (5,), (2 * n * 4,), vec, dl.KDL_CPU, 0, owner,
                                versioned=versioned)
    ptr, shape, strides, dtype, dev, dev_id, keep = dl.from_dlpack_capsule(caps)
    assert (ptr, dev, dev_id) == (base.ctypes.data, dl.KDL_CPU, 0)
    assert shape == (5,) + inner and dtype == np.float32
    assert strides == (2 * n * 4,) + base.strides[1:]
    keep.release()


def test_vector_of_padded_vectors():
    # vec3 stored with a 16-byte stride (aligned struct): 16 is a multiple of 4.
    base = np.arange(8 * 4, dtype=np.float32).reshape(8, 4)
    out = np.from_dlpack(Exporter(Owner(base), base.ctypes.data, (8,), (16,),
                                  np.dtype((np.float32, 3))))
    np.testing.assert_array_equal(out, base[:, :3])


@pytest.mark.parametrize("versioned", [False, True])
def test_owner_alive_while_consumer_holds_data(versioned):
    src = np.arange(12.0).reshape(3, 4)
    owner = Owner(src)
    ref = weakref.ref(owner)
    exporter = Exporter(owner, src.ctypes.data, src.shape, src.strides, src.dtype)
    if not versioned:
        exporter.__class__ = LegacyExporter
    del owner
    out = np.from_dlpack(exporter)
    view = out[1:]
    del exporter, out
    collect()
    assert ref() is not None
    assert dlpack_capi.live_export_count() >= 1
    np.testing.assert_array_equal(view, src[1:])
    del view
    collect()
    assert ref() is None


@pytest.mark.parametrize("versioned", [False, True])
def test_unconsumed_capsule_releases_owner(versioned):
    owner = Owner(np.zeros(4))
    ref = weakref.ref(owner)
    before = dlpack_capi.live_export_count()
    caps = dl.to_dlpack_capsule(owner.array.ctypes.data, (4,), (8,), np.float64, dl.KDL_CPU, 0,
                                owner, versioned=versioned)
    del owner
    collect()
    assert ref() is not None
    assert dlpack_capi.live_export_count() == before + 1
    del caps
    collect()
    assert ref() is None
    assert dlpack_capi.live_export_count() == before


@pytest.mark.parametrize("versioned", [False, True])
def test_own_capsule_import_and_keepalive(versioned):
    src = np.arange(24, dtype=np.int16).reshape(2, 3, 4)[:, ::-1, 1:3]
    owner = Owner(src)
    ref = weakref.ref(owner)
    caps = dl.to_dlpack_capsule(src.ctypes.data, src.shape, src.strides, src.dtype, dl.KDL_CPU,
                                0, owner, versioned=versioned)
    del owner
    ptr, shape, strides, dtype, dev, dev_id, keep = dl.from_dlpack_capsule(caps)
    assert capsule_name(caps) == ("used_dltensor_versioned" if versioned else "used_dltensor")
    assert (ptr, shape, strides, dtype) == (src.ctypes.data, src.shape, src.strides, src.dtype)
    assert (dev, dev_id) == (dl.KDL_CPU, 0)
    assert keep.versioned == versioned and not keep.readonly
    assert keep.version == ((1, 0) if versioned else None)
    del caps  # consumed: dropping the capsule must not release the tensor
    collect()
    assert ref() is not None and not keep.released
    keep.release()
    assert keep.released and ref() is None
    keep.release()  # idempotent
    with pytest.raises(BufferError):
        # A consumed capsule cannot be consumed again.
        used = dl.to_dlpack_capsule(src.ctypes.data, src.shape, src.strides, src.dtype, 1, 0,
                                    None, versioned=versioned)
        dl.from_dlpack_capsule(used)
        dl.from_dlpack_capsule(used)


def test_keepalive_finalisation_releases_owner():
    owner = Owner(None)
    ref = weakref.ref(owner)
    result = dl.from_dlpack(dl.to_dlpack_capsule(0x1000, (2,), (4,), np.float32, dl.KDL_CUDA, 3,
                                                 owner, versioned=True, readonly=True))
    del owner
    assert result[4:6] == (dl.KDL_CUDA, 3) and result[0] == 0x1000
    assert result[6].readonly and result[6].flags & dl.DLPACK_FLAG_BITMASK_READ_ONLY
    collect()
    assert ref() is not None
    del result
    collect()
    assert ref() is None


@pytest.mark.parametrize("versioned", [False, True])
@pytest.mark.parametrize("name", sorted(CASES))
def test_import_numpy_producer(name, versioned):
    src = CASES[name].copy()
    ref = weakref.ref(src)
    producer = src if versioned else LegacyWrapper(src)
    ptr, shape, strides, dtype, dev, dev_id, keep = dl.from_dlpack(producer)
    assert keep.versioned == versioned
    assert (ptr, shape, dtype, dev, dev_id) == (src.ctypes.data, src.shape, src.dtype,
                                                 dl.KDL_CPU, 0)
    if src.size > 1:
        assert strides == src.strides
    # Rebuild a view from the raw description and compare.
    view = as_numpy(ptr, shape, strides, dtype)
    expected = src.copy()
    del producer, src
    collect()
    assert ref() is not None  # NumPy's deleter has not run: the memory is alive
    np.testing.assert_array_equal(view, expected)
    del view
    del keep
    collect()
    assert ref() is None


class LegacyWrapper:
    """Forwards to NumPy's legacy export; rejects ``max_version`` like old producers."""

    def __init__(self, array):
        self.array = array

    def __dlpack_device__(self):
        return self.array.__dlpack_device__()

    def __dlpack__(self, stream=None):
        return self.array.__dlpack__(stream=stream)


def as_numpy(ptr, shape, strides, dtype):
    """Wrap a raw host pointer (NumPy-only helper for the tests)."""
    if 0 in shape:
        return np.empty(shape, dtype)
    lo = sum(s * (n - 1) for s, n in zip(strides, shape) if s < 0)
    hi = sum(s * (n - 1) for s, n in zip(strides, shape) if s > 0)
    buf = (ctypes.c_char * (hi - lo + dtype.itemsize)).from_address(ptr + lo)
    return np.ndarray(shape, dtype, buffer=buf, offset=-lo, strides=strides)


def test_import_raw_capsule_and_numpy_lanes():
    src = np.arange(6, dtype=np.uint32)
    caps = src.__dlpack__()
    ptr, shape, strides, dtype, dev, dev_id, keep = dl.from_dlpack(caps)
    assert capsule_name(caps) == "used_dltensor"
    assert (ptr, shape, strides, dtype) == (src.ctypes.data, (6,), (4,), np.uint32)
    keep.release()


def test_null_strides_byte_offset_and_lanes():
    src = np.arange(4 * 6, dtype=np.float32).reshape(4, 6)
    for versioned, struct in ((False, dl.DLManagedTensor), (True, dl.DLManagedTensorVersioned)):
        caps = dl.to_dlpack_capsule(src.ctypes.data, (4, 3), (24, 8), np.float32, dl.KDL_CPU, 0,
                                    Owner(src), versioned=versioned)
        tensor = struct.from_address(managed_address(caps)).dl_tensor
        tensor.strides = None  # NULL strides: compact row-major
        tensor.byte_offset = 8
        ptr, shape, strides, dtype, _, _, keep = dl.from_dlpack_capsule(caps)
        assert ptr == src.ctypes.data + 8
        assert shape == (4, 3) and strides == (12, 4) and dtype == np.float32
        keep.release()

        caps = dl.to_dlpack_capsule(src.ctypes.data, (4, 3), (24, 8), np.float32, dl.KDL_CPU, 0,
                                    Owner(src), versioned=versioned)
        tensor = struct.from_address(managed_address(caps)).dl_tensor
        tensor.dtype.lanes = 2  # float32x2 vectors; strides count vectors
        ptr, shape, strides, dtype, _, _, keep = dl.from_dlpack_capsule(caps)
        assert dtype == np.dtype((np.float32, 2)) and strides == (6 * 8, 2 * 8)
        keep.release()


def test_unsupported_capsule_left_unconsumed():
    owner = Owner(None)
    ref = weakref.ref(owner)
    caps = dl.to_dlpack_capsule(0, (2,), (8,), np.float64, dl.KDL_CPU, 0, owner, versioned=True)
    del owner
    struct = dl.DLManagedTensorVersioned.from_address(managed_address(caps))
    struct.dl_tensor.dtype.code = dl.KDL_BFLOAT
    struct.dl_tensor.dtype.bits = 16
    with pytest.raises(BufferError):
        dl.from_dlpack_capsule(caps)
    assert capsule_name(caps) == "dltensor_versioned"
    struct.version.major = 2
    with pytest.raises(BufferError):
        dl.from_dlpack_capsule(caps)
    assert capsule_name(caps) == "dltensor_versioned"
    del struct, caps
    collect()
    assert ref() is None


def test_export_errors():
    a = np.zeros((4, 4), dtype=np.float32)
    args = (a.ctypes.data, (4, 4), (16, 4))
    with pytest.raises(BufferError):
        dl.to_dlpack_capsule(a.ctypes.data, (4, 4), (16, 6), np.float32, 1, 0, a)
    with pytest.raises(BufferError):
        dl.to_dlpack_capsule(*args, np.dtype(">f4"), 1, 0, a)
    with pytest.raises(BufferError):
        dl.to_dlpack_capsule(*args, np.dtype([("x", "f4")]), 1, 0, a)
    with pytest.raises(BufferError):
        dl.to_dlpack_capsule(*args, np.dtype("M8[s]"), 1, 0, a)
    with pytest.raises(BufferError):
        dl.to_dlpack_capsule(*args, object, 1, 0, a)
    with pytest.raises(ValueError):
        dl.to_dlpack_capsule(a.ctypes.data, (4, 4), (16,), np.float32, 1, 0, a)
    with pytest.raises(ValueError):
        dl.to_dlpack_capsule(a.ctypes.data, (-1,), (4,), np.float32, 1, 0, a)
    with pytest.raises(TypeError):
        dl.to_dlpack_capsule(a.ctypes.data, (4.0,), (4,), np.float32, 1, 0, a)
    if hasattr(np, "longdouble") and np.dtype(np.longdouble).itemsize > 8:
        with pytest.raises(BufferError):
            dl.to_dlpack_capsule(a.ctypes.data, (1,), (16,), np.longdouble, 1, 0, a)


def test_import_errors():
    with pytest.raises(TypeError):
        dl.from_dlpack_capsule(object())
    with pytest.raises(TypeError):
        dl.from_dlpack(object())
    with pytest.raises(TypeError):
        dl.from_dlpack_capsule(dlpack_capi.capsule_new(1, None, None))


def test_stream_forwarding():
    owner = Owner(None)
    gpu = Exporter(owner, 0x7000, (3,), (4,), np.float32, device=(dl.KDL_CUDA, 1))
    ptr, shape, strides, dtype, dev, dev_id, keep = dl.from_dlpack(gpu, stream=7)
    assert gpu.calls == [{"stream": 7, "max_version": (1, 0)}]
    assert (ptr, shape, strides, dev, dev_id) == (0x7000, (3,), (4,), dl.KDL_CUDA, 1)
    keep.release()
    old = LegacyExporter(owner, 0x7000, (3,), (4,), np.float32, device=(dl.KDL_CUDA, 0))
    dl.from_dlpack(old, stream=2)[6].release()
    assert old.calls == [{"stream": 2, "max_version": None}]
    # CPU producers must receive stream=None (NumPy raises otherwise).
    src = np.arange(3.0)
    dl.from_dlpack(src, stream=5)[6].release()
    dl.from_dlpack(LegacyWrapper(src), stream=5)[6].release()


def test_deleter_called_from_other_thread():
    owner = Owner(None)
    ref = weakref.ref(owner)
    keep = dl.from_dlpack(dl.to_dlpack_capsule(0, (0,), (4,), np.float32, 1, 0, owner))[6]
    del owner
    worker = threading.Thread(target=keep.release)
    worker.start()
    worker.join()
    assert keep.released
    collect()
    assert ref() is None


def test_many_exports_do_not_leak():
    src = np.arange(10.0)
    owner = Owner(src)
    ref = weakref.ref(owner)
    for i in range(2000):
        exporter = Exporter(owner, src.ctypes.data, (5,), (16,), src.dtype)
        if i % 4 == 0:
            out = np.from_dlpack(exporter)
            assert out[4] == 8.0
        elif i % 4 == 1:
            out = dl.from_dlpack(exporter)
        elif i % 4 == 2:
            out = exporter.__dlpack__(max_version=(1, 0))  # dropped unconsumed
        else:
            out = exporter.__dlpack__()
        del out, exporter
    del owner
    collect()
    assert ref() is None


def test_errors_in_flight_are_preserved():
    # NumPy frees the temporary imported array while the error propagates; the
    # deleter must not clobber it (native trampoline).
    src = np.arange(6.0)
    with pytest.raises(ValueError, match="reshape"):
        np.from_dlpack(Exporter.of(src)).reshape(7)
    with pytest.raises(IndexError):
        np.from_dlpack(LegacyExporter.of(src))[10]
    # NumPy rejects a CUDA capsule after calling __dlpack__ and drops it
    # unconsumed: the capsule destructor runs with the error set.
    gpu = Exporter(Owner(None), 0x1000, (3,), (4,), np.float32, device=(dl.KDL_CUDA, 0))
    gpu.__dlpack_device__ = lambda: (dl.KDL_CPU, 0)
    with pytest.raises((BufferError, RuntimeError), match="evice"):
        np.from_dlpack(gpu)


PURE_CTYPES_SCRIPT = textwrap.dedent(
    """
    import gc, sys, weakref
    import numpy as np
    from numba_warp.interop import dlpack as dl
    from numba_warp.runtime import dlpack_capi

    assert not dl.NATIVE_TRAMPOLINES

    class Owner:
        pass

    for versioned in (False, True):
        src = np.arange(12, dtype=np.int32).reshape(3, 4)[:, ::2]
        owner = Owner()
        ref = weakref.ref(owner)

        class Exp:
            def __dlpack_device__(self):
                return (1, 0)

            def __dlpack__(self, **kwargs):
                return dl.to_dlpack_capsule(src.ctypes.data, src.shape, src.strides, src.dtype,
                                            1, 0, owner, versioned=versioned)

        out = np.from_dlpack(Exp())
        del owner
        gc.collect()
        assert ref() is not None and (out == src).all()
        del out
        gc.collect()
        assert ref() is None

        owner = Owner()
        ref = weakref.ref(owner)
        caps = dl.to_dlpack_capsule(0, (1,), (4,), np.float32, 1, 0, owner,
                                    versioned=versioned)
        del owner, caps
        gc.collect()
        assert ref() is None

        owner = Owner()
        ref = weakref.ref(owner)
        keep = dl.from_dlpack(dl.to_dlpack_capsule(0, (1,), (4,), np.float32, 1, 0, owner,
                                                   versioned=versioned))[6]
        del owner
        keep.release()
        assert ref() is None

        # Freed while an error propagates: released (and reported), never a crash.
        owner = Owner()
        ref = weakref.ref(owner)
        src = np.arange(6.0)
        class Exp2(Exp):
            def __dlpack__(self, **kwargs):
                return dl.to_dlpack_capsule(src.ctypes.data, src.shape, src.strides,
                                            src.dtype, 1, 0, owner, versioned=versioned)
        try:
            np.from_dlpack(Exp2()).reshape(7)
        except Exception:
            pass
        del owner
        gc.collect()
        assert ref() is None

    assert dlpack_capi.live_export_count() == 0
    print("PURE-CTYPES-OK")
    """
)


def test_pure_ctypes_mode():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ, NUMBA_WARP_DLPACK_PURE_CTYPES="1")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
    proc = subprocess.run([sys.executable, "-c", PURE_CTYPES_SCRIPT], env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "PURE-CTYPES-OK" in proc.stdout


def test_interpreter_exit_with_live_exports():
    # Capsules, consumer arrays and keepalives alive at shutdown must not crash.
    script = textwrap.dedent(
        """
        import numpy as np
        from numba_warp.interop import dlpack as dl
        src = np.arange(8.0)
        class Exp:
            def __dlpack_device__(self):
                return (1, 0)
            def __dlpack__(self, **kw):
                return dl.to_dlpack_capsule(src.ctypes.data, (8,), (8,), src.dtype, 1, 0, src,
                                            versioned=bool(kw.get("max_version")))
        held = [np.from_dlpack(Exp()), Exp().__dlpack__(), Exp().__dlpack__(max_version=(1, 0)),
                dl.from_dlpack(Exp()), dl.from_dlpack(np.arange(3))]
        print("EXIT-OK")
        """
    )
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    for pure in ("0", "1"):
        env = dict(os.environ, NUMBA_WARP_DLPACK_PURE_CTYPES=pure)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
        proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                              text=True, timeout=120)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "EXIT-OK" in proc.stdout
