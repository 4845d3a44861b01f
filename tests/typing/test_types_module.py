"""``wp.types`` (Warp's type construction and introspection) and ``wp.dtype_from_numpy`` /
``wp.dtype_to_numpy``, at Python scope.

Expected values were produced by running the same calls under NVIDIA Warp 1.19
(``warp.types``, ``warp._src.types`` for the names 1.19 no longer exports publicly) on
the corresponding Warp types; the deliberate differences are noted where they occur.
"""

import ctypes
import typing

import numpy as np
import pytest

import numba_warp as wp
import numba_warp.types as T

Any = typing.Any

# print([n for n in dir(warp.types) if not n.startswith("__")]) under Warp 1.19
WARP_PUBLIC_NAMES = [
    "is_array", "is_composite", "is_float", "is_int", "is_matrix", "is_quaternion",
    "is_scalar", "is_struct", "is_tile", "is_transformation", "is_value", "is_vector",
    "matrix", "quaternion", "transformation", "type_ctype", "type_is_array",
    "type_is_composite", "type_is_float", "type_is_int", "type_is_matrix",
    "type_is_quaternion", "type_is_scalar", "type_is_struct", "type_is_tile",
    "type_is_transformation", "type_is_value", "type_is_vector", "type_repr", "type_size",
    "type_size_in_bytes", "types_equal", "vector"]
# names older Warp code reaches through wp.types
COMMON_NAMES = ["type_scalar_type", "type_length", "float_types", "int_types", "scalar_types",
                "vector_types", "np_dtype_to_warp_type", "warp_type_to_np_dtype",
                "get_type_code", "scalar_base", "Any", "float32", "vec3", "mat33", "array"]


@wp.struct
class Plain:
    a: float
    b: wp.vec3


@wp.struct
class HoldsArray:
    a: wp.array(dtype=float)


VEC5 = T.vector(length=5, dtype=float)
MAT25D = T.matrix(shape=(2, 5), dtype=wp.float64)

TYPES = [float, int, wp.float32, wp.float16, wp.int8, wp.uint64, wp.bool, wp.vec3, wp.vec3d,
         wp.vec2i, wp.mat33, wp.mat22d, wp.quat, wp.quatd, wp.transform, wp.transformd,
         wp.spatial_vector, wp.spatial_matrix, VEC5, MAT25D, Plain]

# Warp 1.19, one entry per TYPES entry; wp.bool's repr is "bool" here (Warp prints
# "warp._src.types.bool") and a struct's is the test module's name
WARP_TYPE_TABLE = {
    "type_repr": ["float", "int", "float32", "float16", "int8", "uint64", "bool", "vec3f",
                  "vec3d", "vec2i", "mat33f", "mat22d", "quatf", "quatd", "transformf",
                  "transformd", "vector(length=6, dtype=float32)",
                  "matrix(shape=(6, 6), dtype=float32)", "vector(length=5, dtype=float32)",
                  "matrix(shape=(2, 5), dtype=float64)", f"{__name__}.Plain"],
    "type_size": [1, 1, 1, 1, 1, 1, 1, 3, 3, 2, 9, 4, 4, 4, 7, 7, 6, 36, 5, 10, 1],
    "type_size_in_bytes": [4, 4, 4, 2, 1, 8, 1, 12, 24, 8, 36, 32, 16, 32, 28, 56, 24, 144,
                           20, 80, 16],
    "type_is_int": [0, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    "type_is_float": [1, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    "type_is_scalar": [1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    "type_is_vector": [0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0],
    "type_is_matrix": [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 1, 0, 1, 0],
    "type_is_quaternion": [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0],
    "type_is_transformation": [0] * 14 + [1, 1] + [0] * 5,
    "type_is_composite": [0] * 7 + [1] * 13 + [0],
    "type_is_value": [1] * 20 + [0],
    "type_is_struct": [0] * 20 + [1],
    "type_is_array": [0] * 21,
    "get_type_code": ["f4", "i4", "f4", "f2", "i1", "u8", "b", "v3f4", "v3f8", "v2i4",
                      "m33f4", "m22f8", "qf4", "qf8", "tf4", "tf8", "v6f4", "m66f4", "v5f4",
                      "m25f8", None],
    "type_scalar_type": [float, int, wp.float32, wp.float16, wp.int8, wp.uint64, wp.bool,
                         wp.float32, wp.float64, wp.int32, wp.float32, wp.float64,
                         wp.float32, wp.float64, wp.float32, wp.float64, wp.float32,
                         wp.float32, wp.float32, wp.float64, Plain],
}

VALUES = [1, 1.5, True, wp.float32(1.0), np.float32(1), wp.vec3(), wp.mat33(), wp.quat(),
          wp.transform(), Plain(), wp.zeros(2), np.zeros(2), "x", wp.int8(3), wp.bool(True),
          VEC5()]
WARP_VALUE_TABLE = {
    "is_int": [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0],
    "is_float": [0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    "is_scalar": [1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0],
    "is_vector": [0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
    "is_matrix": [0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    "is_quaternion": [0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0],
    "is_transformation": [0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0],
    "is_composite": [0, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1],
    "is_value": [1, 1, 1, 1, 0, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1],
    "is_struct": [0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0],
    "is_array": [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0],
}


def test_names():
    assert wp.types is T
    missing = [n for n in WARP_PUBLIC_NAMES + COMMON_NAMES if not hasattr(T, n)]
    assert not missing


@pytest.mark.parametrize("name", sorted(WARP_TYPE_TABLE))
def test_type_functions_match_warp(name):
    got = [getattr(T, name)(t) if WARP_TYPE_TABLE[name][k] is not None else None
           for k, t in enumerate(TYPES)]
    expected = WARP_TYPE_TABLE[name]
    if isinstance(expected[0], int):
        got = [int(g) for g in got]
    assert got == expected


@pytest.mark.parametrize("name", sorted(WARP_VALUE_TABLE))
def test_value_predicates_match_warp(name):
    assert [int(getattr(T, name)(v)) for v in VALUES] == WARP_VALUE_TABLE[name]


def test_factories_return_the_existing_classes():
    assert T.vector(3, wp.float32) is wp.vec3 is T.vector(length=3, dtype=float)
    assert T.vector(length=5, dtype=float) is VEC5 is wp.vector(length=5, dtype=float)
    assert VEC5.length == 5 and len(VEC5()) == 5 and VEC5._wp_scalar_type_ is wp.float32
    assert T.matrix(shape=(2, 5), dtype=wp.float64) is MAT25D and MAT25D.shape == (2, 5)
    assert T.matrix((3, 3), float) is wp.mat33
    assert T.quaternion(dtype=float) is wp.quat and T.quaternion(wp.float64) is wp.quatd
    assert T.transformation(dtype=wp.float16) is wp.transformh
    assert T.vector(3, int) is wp.vec3i and T.vector(2, wp.uint8) is wp.vec2ub
    # Warp's class attributes, as Warp code reads them (values from Warp 1.19)
    assert (wp.vec3._length_, wp.vec3._shape_, wp.vec3._wp_type_params_) == \
        (3, (3,), (3, wp.float32))
    assert (wp.mat33._length_, wp.mat33._shape_, wp.mat33._wp_type_params_) == \
        (9, (3, 3), (3, 3, wp.float32))
    assert tuple(wp.quat._wp_type_params_) == (wp.float32,) and wp.quat._shape_ == (4,)
    assert wp.spatial_vector._wp_generic_type_str_ == "vec_t"
    assert wp.float32._type_ is ctypes.c_float and wp.float16._type_ is ctypes.c_uint16
    assert wp.float64._length_ == 1


def test_generic_types():
    g = T.vector(length=Any, dtype=Any)
    assert g is T.vector(Any, T.Scalar) and T.type_repr(g) == "vector(length=Any, dtype=Any)"
    assert T.type_repr(T.matrix((Any, Any), float)) == \
        "matrix(shape=(Any, Any), dtype=float32)"
    assert T.type_repr(T.quaternion()) == "quat(dtype=Any)"
    assert T.type_is_vector(g) and T.type_is_composite(g) and not T.type_is_matrix(g)
    assert g._shape_ == (0,) and T.type_size(g) == 0  # Warp's "unknown length"
    assert T.get_type_code(g) == "v??" and T.get_type_code(T.vector(3, Any)) == "v3?"
    assert not T.types_equal(g, wp.vec3) and T.types_equal(g, T.vector(Any, Any))
    assert g.matches_class(wp.vec3) and g.matches_class(wp.spatial_vectord)
    assert not g.matches_class(wp.quat) and not g.matches_class(wp.mat22)
    assert T.vector(3, Any).matches_class(wp.vec3i)
    assert not T.vector(3, Any).matches_class(wp.vec2)
    assert T.matrix((2, Any), wp.float64).matches_class(MAT25D)
    assert not T.matrix((2, Any), wp.float64).matches_class(wp.mat22)
    with pytest.raises(TypeError, match="generic type"):
        g()
    with pytest.raises(TypeError, match="positive int"):
        T.vector(0, float)
    with pytest.raises(ValueError, match="exactly two dimensions"):
        T.matrix((3,), float)
    with pytest.raises(TypeError, match="not a scalar type"):
        T.vector(3, "float32")


def test_types_equal():
    # Warp 1.19: True False True False True True True False True True
    assert T.types_equal(wp.vec3, T.vector(3, wp.float32))
    assert not T.types_equal(wp.vec3, wp.vec3d)
    assert T.types_equal(float, wp.float32) and T.types_equal(int, wp.int32)
    assert T.types_equal(bool, wp.bool) and not T.types_equal(wp.float32, wp.float64)
    assert not T.types_equal(wp.quat, wp.vec4)
    assert T.types_equal(wp.spatial_vector, T.vector(6, wp.float32))  # as in Warp
    assert T.types_equal(wp.array(dtype=float), wp.array(dtype=wp.float32))
    assert not T.types_equal(wp.array(dtype=float), wp.array(dtype=wp.vec3))
    assert T.types_equal(wp.mat22, T.matrix((2, 2), float))


def test_repr_of_arrays_and_any():
    # Warp 1.19: array(ndim=1, dtype=vec3f) array(shape=(3,), dtype=vec3f)
    #            array(ndim=2, dtype=float32) Any
    assert T.type_repr(wp.array(dtype=wp.vec3)) == "array(ndim=1, dtype=vec3f)"
    assert T.type_repr(wp.zeros(3, dtype=wp.vec3)) == "array(shape=(3,), dtype=vec3f)"
    assert T.type_repr(wp.array2d(dtype=float)) == "array(ndim=2, dtype=float32)"
    assert T.type_repr(Any) == "Any"
    assert T.type_is_array(wp.array) and not T.type_is_array(wp.vec3)
    assert T.get_type_code(wp.array(dtype=wp.vec3)) == "a1v3f4"


def test_ctypes_layouts():
    assert T.type_ctype(float) is ctypes.c_float and T.type_ctype(int) is ctypes.c_int32
    assert T.type_ctype(wp.bool) is ctypes.c_bool
    assert T.type_ctype(wp.float16) is ctypes.c_uint16  # Warp: the bits
    for t in (wp.vec3, wp.mat22d, wp.quat, wp.transformd, VEC5, MAT25D, Plain):
        assert ctypes.sizeof(T.type_ctype(t)) == T.type_size_in_bytes(t)
    assert [n for n, _ in T.type_ctype(Plain)._fields_] == ["a", "b"]
    with pytest.raises(TypeError, match="holds an array"):
        T.type_ctype(HoldsArray)
    # arrays of it exist (its array fields are views), so it has Warp's byte size
    assert T.type_size_in_bytes(HoldsArray) == wp.zeros(1, dtype=HoldsArray).strides[0]
    with pytest.raises(TypeError, match="concrete type"):
        T.type_size_in_bytes(Any)


def test_type_lists_and_length():
    assert len(T.vector_types) == 54 and T.vector_types[0] is wp.vec2b  # Warp's order
    assert T.vector_types[-1] is wp.spatial_matrixd
    assert T.float_types == (wp.float16, wp.float32, wp.float64)  # Warp adds bfloat16
    assert T.int_types[0] is wp.int8 and len(T.int_types) == 8
    assert T.scalar_types == T.int_types + T.float_types
    assert [T.type_length(t) for t in (wp.float32, wp.vec3, wp.mat22d, wp.quat, MAT25D)] \
        == [1, 3, 2, 4, 2]
    assert T.type_length([1, 2]) == 2 and T.type_length(tuple[int, int]) == 2
    assert issubclass(wp.float32, T.scalar_base) and isinstance(wp.int8(1), T.scalar_base)


def test_dtype_from_and_to_numpy():
    # Warp 1.19: float32 int64 <class 'numpy.float16'> <class 'numpy.bool'>
    assert wp.dtype_from_numpy(np.float32) is wp.float32
    assert wp.dtype_from_numpy(np.dtype("int64")) is wp.int64
    assert wp.dtype_from_numpy(np.bool_) is wp.bool
    assert wp.dtype_to_numpy(wp.float16) is np.float16
    assert wp.dtype_to_numpy(wp.bool) is np.bool_
    for t in T.scalar_and_bool_types:
        assert wp.dtype_from_numpy(wp.dtype_to_numpy(t)) is t
    assert T.np_dtype_to_warp_type[np.dtype(np.uint16)] is wp.uint16
    assert T.warp_type_to_np_dtype[wp.int8] is np.int8
    # Warp 1.19 raises TypeError "Cannot convert ... to a Warp type" for each
    for bad in (np.complex64, np.dtype("U3"), float, "float32",
                np.dtype(np.float32).newbyteorder(">")):
        with pytest.raises(TypeError, match="to a Warp type"):
            wp.dtype_from_numpy(bad)
    # ... and "Cannot convert ... to a NumPy type" for each
    for bad in (float, wp.vec3, int, np.float32, bool):
        with pytest.raises(TypeError, match="to a NumPy type"):
            wp.dtype_to_numpy(bad)
