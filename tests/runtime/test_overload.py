"""``wp.overload`` (a concrete instance of a generic kernel, by list, by dict or as a
decorator on a stub) and ``wp.Kernel(func, key=...)``, with Warp 1.19's rules and errors:
only generic kernels are overloaded, one type per parameter, names must exist; an
instance checks its argument types at launch; ``@wp.overload`` finds a kernel, never a
``@wp.func`` (Warp overloads functions by defining another ``@wp.func``)."""

from typing import Any

import numpy as np
import pytest

import numba_warp as wp


@wp.kernel
def scale_generic(a: wp.array(dtype=Any), s: Any):
    i = wp.tid()
    a[i] = a[i] * s


scale_f32 = wp.overload(scale_generic, [wp.array(dtype=wp.float32), wp.float32])
scale_f64 = wp.overload(scale_generic, {"a": wp.array(dtype=wp.float64), "s": wp.float64})


@wp.overload
def scale_generic(a: wp.array(dtype=wp.int32), s: wp.int32):  # noqa: F811 - Warp's form
    ...


def test_overload_forms(device):
    assert isinstance(scale_generic, wp.Kernel) and scale_generic.is_generic
    assert len(scale_generic.overloads) == 3
    assert not scale_f32.is_generic and scale_f32.generic_parent is scale_generic
    assert scale_f32.key == scale_generic.key
    assert wp.overload(scale_generic, [wp.array(dtype=wp.float32), wp.float32]) is scale_f32
    assert scale_generic.get_overload([wp.array(dtype=wp.float64), wp.float64]) is scale_f64
    a = wp.array([1.0, 2.0], dtype=wp.float32, device=device)
    wp.launch(scale_f32, dim=2, inputs=[a, 3.0], device=device)
    np.testing.assert_array_equal(a.numpy(), [3.0, 6.0])
    d = wp.array([1.0, 2.0], dtype=wp.float64, device=device)
    wp.launch(scale_f64, dim=2, inputs=[d, 0.5], device=device)
    np.testing.assert_array_equal(d.numpy(), [0.5, 1.0])
    n = wp.array([1, 2], dtype=wp.int32, device=device)
    wp.launch(scale_generic, dim=2, inputs=[n, 3], device=device)
    np.testing.assert_array_equal(n.numpy(), [3, 6])
    with pytest.raises(TypeError) as info:  # an instance checks its argument types
        wp.launch(scale_f32, dim=2, inputs=[d, 3.0], device=device)
    assert "float32" in str(info.value) and "float64" in str(info.value)


@wp.kernel
def concrete_kernel(a: wp.array(dtype=float)):
    pass


@wp.func
def generic_func(x: Any):
    return x


def test_overload_errors():
    with pytest.raises(RuntimeError, match="Only generic kernels"):
        wp.overload(concrete_kernel, [wp.array(dtype=float)])
    with pytest.raises(RuntimeError, match="Invalid number of arguments"):
        wp.overload(scale_generic, [wp.array(dtype=float)])
    with pytest.raises(RuntimeError, match="Invalid argument name 'b'"):
        wp.overload(scale_generic, {"b": float})
    with pytest.raises(TypeError, match="cannot be generic"):
        wp.overload(scale_generic, [wp.array(dtype=Any), float])
    with pytest.raises(TypeError, match="type mismatch"):
        wp.overload(scale_generic, [float, float])
    with pytest.raises(RuntimeError, match="@wp.func"):
        _overload_a_function()
    with pytest.raises(RuntimeError, match="Illegal statement"):
        _overload_stub_with_a_body()


def _overload_a_function():
    @wp.overload
    def generic_func(x: float):
        ...


def _overload_stub_with_a_body():
    @wp.overload
    def scale_generic(a: wp.array(dtype=wp.uint8), s: wp.uint8):
        return None


def add_value(a: wp.array(dtype=float), s: float):
    i = wp.tid()
    a[i] = a[i] + s


def test_kernel_object_made_directly(device):
    k = wp.Kernel(func=add_value, key="my_kernel")
    assert k.key == "my_kernel" and wp.Kernel(add_value).key == "add_value"
    a = wp.zeros(3, dtype=float, device=device)
    wp.launch(k, dim=3, inputs=[a, 2.0], device=device)
    np.testing.assert_array_equal(a.numpy(), [2.0, 2.0, 2.0])


SOURCE = """
def from_text(a: wp.array(dtype=float), s: float):
    i = wp.tid()
    a[i] = a[i] * s
"""


def test_kernel_made_from_source_text(device):
    scope = {"wp": wp}
    exec(SOURCE, scope)  # noqa: S102 - no file holds this function's source
    k = wp.Kernel(scope["from_text"], key="from_text", source=SOURCE)
    a = wp.full(2, 3.0, dtype=float, device=device)
    wp.launch(k, dim=2, inputs=[a, 2.0], device=device)
    np.testing.assert_array_equal(a.numpy(), [6.0, 6.0])
