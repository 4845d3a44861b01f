"""Kernel and function parameters as Warp 1.19 reads them.

Checked against Warp 1.19 on the CPU:

* a kernel's default values are accepted, but a launch passes every argument (Warp:
  "passed 2 arguments but kernel requires 3");
* keyword-only parameters are ordinary parameters, in the order written (a kernel
  ``k(x, out, *, s)`` launches with ``inputs=[x, out, s]``; a function ``f(x, *, s=3.0)``
  takes ``f(1.0)``, ``f(1.0, s=5.0)`` and ``f(1.0, 5.0)``);
* functions take keyword arguments and defaults at call sites (values below are Warp's).

``*args``, ``**kwargs`` and positional-only parameters are refused with a message (Warp
reads each of them as one plain parameter, which is not what they mean in Python).
"""

import warnings

import numpy as np
import pytest

import numba_warp as wp


@wp.func
def affine(x: float, scale: float = 2.0, off: float = 0.5):
    return x * scale + off


@wp.func
def scaled(x: float, *, t: float, s: float = 3.0):
    return x * s + t


@wp.func
def pick(v: wp.vec3 = wp.vec3(1.0, 2.0, 3.0), k: int = 2):
    return v[k]


@wp.kernel
def parameters(x: float, out: wp.array(dtype=float), *, s: float = 7.0):
    out[0] = affine(x)
    out[1] = affine(x, 3.0)
    out[2] = affine(x, off=1.0)
    out[3] = affine(x=2.0, scale=1.0)
    out[4] = affine(x, scale=4.0, off=0.0)
    out[5] = scaled(x, t=1.0)
    out[6] = scaled(x, 1.0, 5.0)  # keyword-only parameters taken by position, as in Warp
    out[7] = pick()
    out[8] = pick(wp.vec3(4.0, 5.0, 6.0), k=0)
    out[9] = s


def test_defaults_keywords_and_keyword_only_parameters(device):
    out = wp.zeros(10, dtype=float, device=device)
    wp.launch(parameters, dim=1, inputs=[1.0, out, 2.5], device=device)
    expect = [2.5, 3.5, 3.0, 2.5, 4.0, 4.0, 6.0, 3.0, 4.0, 2.5]
    np.testing.assert_array_equal(out.numpy(), expect)
    assert parameters.arg_names == ["x", "out", "s"]


def test_kernel_defaults_are_not_used_by_launches(device):
    out = wp.zeros(10, dtype=float, device=device)
    with pytest.raises(TypeError) as info:  # Warp: the kernel requires 3 arguments
        wp.launch(parameters, dim=1, inputs=[1.0, out], device=device)
    assert "3" in str(info.value) and "x, out, s" in str(info.value)


def variadic_kernel(x: float, *rest: float):
    pass


def keywords_kernel(x: float, **more: float):
    pass


def positional_only_kernel(x: float, /, out: wp.array(dtype=float)):
    pass


def default_then_required(x: float, *, s: float = 1.0, t: float):
    pass


@pytest.mark.parametrize("fn,words", [
    (variadic_kernel, ["*rest", "variadic"]),
    (keywords_kernel, ["**more", "variadic"]),
    (positional_only_kernel, ["positional-only"]),
    (default_then_required, ["'t'", "default"]),
], ids=["args", "kwargs", "posonly", "default-order"])
def test_unsupported_parameter_lists_are_refused(device, fn, words):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        k = wp.kernel(fn)
    with pytest.raises(wp.WarpCodegenError) as info:
        wp.launch(k, dim=1, inputs=[1.0], device=device)
    msg = str(info.value)
    for w in words:
        assert w in msg, msg
    assert "test_parameters.py" in msg and f"line {fn.__code__.co_firstlineno}" in msg


def test_unsupported_parameter_list_of_a_function_is_raised_by_its_caller(device):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")

        @wp.func
        def variadic(x: float, *args: float):
            return x

        @wp.kernel
        def calls_variadic(out: wp.array(dtype=float)):
            out[0] = variadic(1.0, 2.0)

    with pytest.raises(wp.WarpCodegenError) as info:
        wp.launch(calls_variadic, dim=1, inputs=[wp.zeros(1, dtype=float, device=device)],
                  device=device)
    assert "*args" in str(info.value)
