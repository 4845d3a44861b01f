"""Warp names numba_warp does not provide fail clearly: at Python scope with
NotSupportedError (why, and what to use instead), inside a kernel with a
WarpCodegenError at the kernel's line; real definitions always win over stubs."""

from __future__ import annotations

import importlib
import sys
import types

import pytest

import numba_warp as wp
from numba_warp import unsupported
from numba_warp.frontend.errors import WarpCodegenError
from numba_warp.unsupported import NotSupportedError


@pytest.mark.parametrize("use", [
    lambda: wp.tile_load,  # naming it is fine ...
    lambda: wp.Volume,
])
def test_naming_a_stub_is_allowed(use):
    assert unsupported.is_stub(use())


@pytest.mark.parametrize("use, text", [
    (lambda: wp.tile_load(None, shape=4), "wp.tile_load is not supported by numba_warp"),
    (lambda: wp.Volume.load_from_nvdb("a.nvdb"), "wp.Volume.load_from_nvdb: wp.Volume is not"),
    (lambda: wp.bfloat16(1.0), "Numba has no bfloat16"),
    (lambda: wp.zeros(3, dtype=wp.bfloat16), "use wp.float16"),
    (lambda: wp.fabricarray[float], "Omniverse"),
    (lambda: wp.from_ipc_handle(None), "not available in numba_warp yet"),
    (lambda: wp.from_paddle(None), "PaddlePaddle"),
])
def test_using_a_stub_at_python_scope_raises_with_why_and_instead(use, text):
    with pytest.raises(NotSupportedError, match="Instead: ") as info:
        use()
    assert text in str(info.value)
    assert isinstance(info.value, NotImplementedError)


def test_stubs_are_classes_that_nothing_is_an_instance_of():
    assert not isinstance(1.0, wp.bfloat16)

    class Mine(wp.render.UsdRenderer if hasattr(wp, "render") else object):
        pass

    if hasattr(wp, "render"):
        with pytest.raises(NotSupportedError, match="UsdRenderer"):
            Mine("out.usd")
    with pytest.raises(AttributeError):  # protocol probes see a plain missing attribute
        wp.Volume.__array_interface__


def test_an_exception_stub_can_be_caught():
    try:
        raise KeyError("x")
    except wp.WarpDeterminismError:  # never raised by numba_warp; the clause must be legal
        pytest.fail("not this one")
    except KeyError:
        pass
    assert issubclass(wp.WarpDeterminismError, Exception)


def test_unknown_names_stay_attribute_errors():
    with pytest.raises(AttributeError, match="no attribute 'not_a_warp_name'"):
        wp.not_a_warp_name
    assert not hasattr(wp, "not_a_warp_name")
    assert hasattr(wp, "tile_load")


def test_a_real_definition_wins():
    sentinel = object()
    # (not monkeypatch.setattr: its undo would store the stub that the module's
    # __getattr__ returned as a real attribute, a public name from then on)
    wp.tile_load = sentinel
    try:
        assert wp.tile_load is sentinel
    finally:
        del wp.tile_load
    assert "tile_load" not in vars(wp) and wp.tile_load is not sentinel
    module = types.ModuleType("fake_utils")

    def own(name):  # a module's own lazy names come first
        if name == "other":
            return "own other"
        raise AttributeError(name)

    module.__getattr__ = own
    unsupported.extend_module(module, "warp.utils")
    module.array_sum = sum
    assert module.array_sum is sum
    assert unsupported.is_stub(module.AllocatorRmm)
    assert module.other == "own other"  # the module's own __getattr__ is kept


def _tile_kernel():
    @wp.kernel
    def uses_tiles(a: wp.array(dtype=float)):
        i = wp.tid()
        t = wp.tile_load(a, shape=8)  # the reported line
        a[i] = wp.tile_sum(t)[0]

    return uses_tiles


def _volume_kernel():
    @wp.kernel
    def samples_volume(v: wp.uint64, a: wp.array(dtype=float)):
        i = wp.tid()
        a[i] = wp.volume_sample_f(v, wp.vec3(0.0), wp.Volume.LINEAR)  # the reported line

    return samples_volume


@pytest.mark.parametrize("make, text", [
    (_tile_kernel, "wp.tile_load is not supported by numba_warp"),
    (_volume_kernel, "wp.volume_sample_f is not supported by numba_warp"),
])
def test_using_a_stub_in_a_kernel_is_a_codegen_error_at_its_line(make, text, device):
    kernel = make()
    inputs = [wp.zeros(8, dtype=float, device=device)]
    if "volume" in text:
        inputs.insert(0, 0)
    with pytest.raises(WarpCodegenError) as info:
        wp.launch(kernel, dim=8, inputs=inputs, device=device)
    message = str(info.value)
    assert text in message and "Instead: " in message
    assert __file__ in message and "# the reported line" in message


def test_render_imports_and_its_renderers_raise():
    render = importlib.import_module("numba_warp.render")
    with pytest.raises(NotSupportedError, match="matplotlib"):
        render.OpenGLRenderer()
    from numba_warp.render import UsdRenderer  # noqa: F401 - importing the name works


@pytest.mark.parametrize("name, text", [
    ("sim", "removed in Warp 1.10"), ("fem", "finite-element"), ("sparse", "scipy.sparse"),
    ("optim", "not available in numba_warp yet"),
])
def test_unprovided_submodules_fail_to_import_with_the_reason(name, text):
    for attempt in (lambda: importlib.import_module(f"numba_warp.{name}"),
                    lambda: exec(f"from numba_warp import {name}", {})):
        with pytest.raises(ImportError, match="Instead: ") as info:
            attempt()
        assert text in str(info.value)
        assert f"numba_warp.{name}" not in sys.modules
