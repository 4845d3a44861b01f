"""Bad kernels and bad launches raise clear exceptions.

Every check asserts the exception type and the key words of its message: the kernel
and argument names, what was expected and what was given, and for code errors the
user's file and line (this file's name and the offending line's number).
"""

import importlib.util
import inspect
import os
import sys
import textwrap
import warnings

import numpy as np
import pytest

import numba_warp as wp
from numba_warp.frontend.errors import WarpCodegenWarning

THIS_FILE = os.path.basename(__file__)

# Exceptions a bad launch may raise (LaunchError is a TypeError).
LAUNCH_ERRORS = (TypeError, ValueError)
# Exceptions a bad kernel may raise when it is defined, launched or compiled.
CODE_ERRORS = (wp.WarpCodegenError, TypeError, SyntaxError)


def line_of(fn, marker: str) -> int:
    """The file line number of the first source line of ``fn`` containing ``marker``."""
    fn = getattr(fn, "func", fn)
    lines, first = inspect.getsourcelines(fn)
    for k, text in enumerate(lines):
        if marker in text:
            return first + k
    raise AssertionError(f"marker {marker!r} not in the source of {fn.__name__}")


def assert_points_at(exc, fn, marker: str):
    msg = str(exc)
    lineno = line_of(fn, marker)
    assert THIS_FILE in msg, msg
    assert f"line {lineno}" in msg, f"expected line {lineno} in:\n{msg}"


# ---------------------------------------------------------------------------------------
# A good kernel, used both for bad launches and to check nothing is left broken
# ---------------------------------------------------------------------------------------


@wp.kernel
def fill_value(a: wp.array(dtype=float), x: float, n: int):
    i = wp.tid()
    a[i] = x + float(n)


def _check_good_launch(device):
    a = wp.zeros(4, dtype=float, device=device)
    wp.launch(fill_value, dim=4, inputs=[a, 1.5, 2], device=device)
    np.testing.assert_array_equal(a.numpy(), np.full(4, 3.5))


# ---------------------------------------------------------------------------------------
# Bad launches
# ---------------------------------------------------------------------------------------


def test_wrong_number_of_arguments(device):
    a = wp.zeros(4, dtype=float, device=device)
    with pytest.raises(LAUNCH_ERRORS) as info:
        wp.launch(fill_value, dim=4, inputs=[a, 1.0], device=device)
    msg = str(info.value)
    assert "fill_value" in msg
    assert "3" in msg and "2" in msg  # takes 3, given 2
    assert "a, x, n" in msg  # names the parameters


def test_too_many_arguments_across_inputs_and_outputs(device):
    a = wp.zeros(4, dtype=float, device=device)
    with pytest.raises(LAUNCH_ERRORS) as info:
        wp.launch(fill_value, dim=4, inputs=[a, 1.0, 2], outputs=[a], device=device)
    msg = str(info.value)
    assert "fill_value" in msg and "4" in msg and "3" in msg


def test_wrong_array_dtype(device):
    a = wp.zeros(4, dtype=wp.int32, device=device)
    with pytest.raises(LAUNCH_ERRORS) as info:
        wp.launch(fill_value, dim=4, inputs=[a, 1.0, 2], device=device)
    msg = str(info.value)
    assert "fill_value" in msg and "'a'" in msg
    assert "float32" in msg and "int32" in msg


def test_wrong_array_ndim(device):
    a = wp.zeros((4, 4), dtype=float, device=device)
    with pytest.raises(LAUNCH_ERRORS) as info:
        wp.launch(fill_value, dim=4, inputs=[a, 1.0, 2], device=device)
    msg = str(info.value)
    assert "fill_value" in msg and "'a'" in msg
    assert "1-D" in msg and "2-D" in msg


def test_scalar_where_array_expected(device):
    with pytest.raises(LAUNCH_ERRORS) as info:
        wp.launch(fill_value, dim=4, inputs=[1.0, 1.0, 2], device=device)
    msg = str(info.value)
    assert "'a'" in msg and "array" in msg and "float" in msg


def test_python_float_for_int_parameter(device):
    a = wp.zeros(4, dtype=float, device=device)
    with pytest.raises(LAUNCH_ERRORS) as info:
        wp.launch(fill_value, dim=4, inputs=[a, 1.0, 2.5], device=device)
    msg = str(info.value)
    assert "fill_value" in msg and "'n'" in msg
    assert "int" in msg and "2.5" in msg


def test_array_for_scalar_parameter(device):
    a = wp.zeros(4, dtype=float, device=device)
    with pytest.raises(LAUNCH_ERRORS) as info:
        wp.launch(fill_value, dim=4, inputs=[a, a, 2], device=device)
    msg = str(info.value)
    assert "'x'" in msg and "array" in msg


@wp.kernel
def small_ints(u: wp.uint8, n: int, out: wp.array(dtype=wp.int32)):
    out[0] = int(u) + n


def test_scalar_out_of_range(device):
    out = wp.zeros(1, dtype=wp.int32, device=device)
    with pytest.raises(LAUNCH_ERRORS) as info:
        wp.launch(small_ints, dim=1, inputs=[300, 1, out], device=device)
    assert "'u'" in str(info.value) and "300" in str(info.value)
    with pytest.raises(LAUNCH_ERRORS) as info:
        wp.launch(small_ints, dim=1, inputs=[1, 2**40, out], device=device)
    assert "'n'" in str(info.value) and str(2**40) in str(info.value)


def test_array_annotation_instead_of_array(device):
    with pytest.raises(LAUNCH_ERRORS) as info:
        wp.launch(fill_value, dim=4, inputs=[wp.array(dtype=float), 1.0, 2], device=device)
    assert "'a'" in str(info.value)


def test_array_on_another_device(gpu_device):
    a = wp.zeros(4, dtype=float, device="cpu")
    with pytest.raises(LAUNCH_ERRORS) as info:
        wp.launch(fill_value, dim=4, inputs=[a, 1.0, 2], device=gpu_device)
    msg = str(info.value)
    assert "fill_value" in msg and "'a'" in msg
    assert "cpu" in msg and gpu_device in msg


def test_negative_dim(device):
    a = wp.zeros(4, dtype=float, device=device)
    with pytest.raises(LAUNCH_ERRORS) as info:
        wp.launch(fill_value, dim=(4, -1), inputs=[a, 1.0, 2], device=device)
    msg = str(info.value)
    assert "fill_value" in msg and "negative" in msg
    with pytest.raises(LAUNCH_ERRORS):
        wp.launch(fill_value, dim=-3, inputs=[a, 1.0, 2], device=device)


def test_dim_with_five_dimensions(device):
    a = wp.zeros(4, dtype=float, device=device)
    with pytest.raises(LAUNCH_ERRORS) as info:
        wp.launch(fill_value, dim=(1, 1, 1, 1, 1), inputs=[a, 1.0, 2], device=device)
    msg = str(info.value)
    assert "fill_value" in msg and "5" in msg and "4" in msg


def test_dim_of_wrong_type(device):
    a = wp.zeros(4, dtype=float, device=device)
    with pytest.raises(LAUNCH_ERRORS) as info:
        wp.launch(fill_value, dim=2.5, inputs=[a, 1.0, 2], device=device)
    assert "dim" in str(info.value)


def test_dim_string_is_a_clear_error(device):
    a = wp.zeros(4, dtype=float, device=device)
    with pytest.raises(LAUNCH_ERRORS) as info:
        wp.launch(fill_value, dim="abc", inputs=[a, 1.0, 2], device=device)
    assert "dim" in str(info.value) and "fill_value" in str(info.value)


def test_dim_with_float_entries_is_rejected(device):
    a = wp.zeros(4, dtype=float, device=device)
    with pytest.raises(LAUNCH_ERRORS):
        wp.launch(fill_value, dim=(2.7,), inputs=[a, 1.0, 2], device=device)


def test_dim_with_too_many_threads(device):
    a = wp.zeros(4, dtype=float, device=device)
    with pytest.raises(LAUNCH_ERRORS) as info:
        wp.launch(fill_value, dim=(2**32, 2**32), inputs=[a, 1.0, 2], device=device)
    msg = str(info.value)
    assert "fill_value" in msg and "dim" in msg and "2**63" in msg


def test_gradient_of_the_wrong_shape(device):
    # the backward pass indexes a gradient where the forward pass indexed its array
    a = wp.zeros(4, dtype=float, device=device)
    with pytest.raises(LAUNCH_ERRORS) as info:
        wp.launch(fill_value, dim=4, inputs=[a, 1.0, 2], device=device, adjoint=True,
                  adj_inputs=[wp.zeros(2, dtype=float, device=device), 0.0, 0])
    msg = str(info.value)
    assert "fill_value" in msg and "adj_a" in msg and "(2,)" in msg and "(4,)" in msg


@wp.kernel
def optional_weights(a: wp.array(dtype=float), w: wp.array(dtype=float), use_w: int,
                     out: wp.array(dtype=float)):
    i = wp.tid()
    x = a[i]
    if use_w != 0:
        x = x * w[i]  # MARK-null-read
    out[i] = x  # MARK-null-write


def test_none_array_that_is_not_used_is_accepted(device):
    # Warp passes None as a null array; a kernel that does not touch it runs
    a = wp.array(np.arange(4, dtype=np.float32), device=device)
    out = wp.zeros(4, dtype=float, device=device)
    wp.launch(optional_weights, dim=4, inputs=[a, None, 0], outputs=[out], device=device)
    np.testing.assert_array_equal(out.numpy(), np.arange(4))


def test_none_array_that_is_read_is_a_clear_error(device):
    a = wp.array(np.arange(4, dtype=np.float32), device=device)
    out = wp.zeros(4, dtype=float, device=device)
    with pytest.raises(IndexError) as info:
        wp.launch(optional_weights, dim=4, inputs=[a, None, 1], outputs=[out], device=device)
    msg = str(info.value)
    assert "optional_weights" in msg and "'w'" in msg and "None" in msg
    assert_points_at(info.value, optional_weights, "MARK-null-read")


def test_none_output_array_is_a_clear_error(device):
    a = wp.array(np.arange(4, dtype=np.float32), device=device)
    with pytest.raises(IndexError) as info:
        wp.launch(optional_weights, dim=4, inputs=[a, a, 1], outputs=[None], device=device)
    msg = str(info.value)
    assert "optional_weights" in msg and "'out'" in msg and "None" in msg
    assert_points_at(info.value, optional_weights, "MARK-null-write")
    _check_good_launch(device)  # the interpreter and the device are fine


def test_launch_of_a_plain_function(device):
    def not_a_kernel(a):
        pass

    with pytest.raises(LAUNCH_ERRORS) as info:
        wp.launch(not_a_kernel, dim=1, inputs=[1], device=device)
    assert "kernel" in str(info.value)


def test_calling_a_kernel_directly():
    a = wp.zeros(4, dtype=float, device="cpu")
    with pytest.raises(TypeError) as info:
        fill_value(a, 1.0, 2)
    msg = str(info.value)
    assert "fill_value" in msg and "wp.launch" in msg


# ---------------------------------------------------------------------------------------
# Bad kernels: found by the syntax fence (when @wp.kernel is applied: a warning) and by
# name resolution, both raised when the kernel is compiled (its first launch), as in Warp;
# no Numba involved. Plain functions here, decorated inside the test.
# ---------------------------------------------------------------------------------------


def returns_value(a: wp.array(dtype=float)):
    i = wp.tid()
    return a[i]  # MARK-return


def uses_list_comprehension(a: wp.array(dtype=float)):
    i = wp.tid()
    b = [k for k in range(3)]  # MARK-listcomp
    a[i] = 1.0


def uses_try(a: wp.array(dtype=float)):
    i = wp.tid()
    try:  # MARK-try
        a[i] = 1.0
    except Exception:
        pass


def uses_with(a: wp.array(dtype=float)):
    i = wp.tid()
    with wp.ScopedDevice("cpu"):  # MARK-with
        a[i] = 1.0


def uses_lambda(a: wp.array(dtype=float)):
    i = wp.tid()
    f = lambda v: v * 2.0  # noqa: E731  MARK-lambda
    a[i] = 1.0


def uses_dict(a: wp.array(dtype=float)):
    i = wp.tid()
    d = {"x": 1.0}  # MARK-dict
    a[i] = 1.0


def uses_unknown_name(a: wp.array(dtype=float)):
    i = wp.tid()
    a[i] = undefined_thing_xyz * 2.0  # noqa: F821  MARK-unknown


def uses_unknown_builtin(a: wp.array(dtype=float)):
    i = wp.tid()
    a[i] = wp.no_such_builtin_xyz(1.0)  # MARK-unknown-builtin


def ranges_over_float(a: wp.array(dtype=float)):
    for j in range(2.5):  # MARK-range-float
        a[j] = 1.0


def ranges_over_float_value(a: wp.array(dtype=float)):
    n = a[0]
    for j in range(1, n):  # MARK-range-value
        a[j] = 1.0


def loops_over_array(a: wp.array(dtype=float)):
    for v in a:  # MARK-for
        pass


def calls_kernel(a: wp.array(dtype=float)):
    i = wp.tid()
    fill_value(a, 1.0, 2)  # MARK-kernel-call


@wp.func
def func_with_tid(x: float):
    i = wp.tid()  # MARK-func-tid
    return x


@wp.kernel
def calls_func_with_tid(a: wp.array(dtype=float)):
    i = wp.tid()
    a[i] = func_with_tid(1.0)


def unpacks_starred(a: wp.array(dtype=float)):
    v = wp.vec3(1.0, 2.0, 3.0)
    x, *rest = v  # MARK-star-assign


def starred_in_tuple(a: wp.array(dtype=float)):
    v = wp.vec2(1.0, 2.0)
    t = (*v, 3.0)  # MARK-star-tuple


def stars_whole_array(a: wp.array(dtype=float)):
    a[0] = wp.max(*a)  # MARK-star-array


def loop_unpacks_target(a: wp.array(dtype=float)):
    m = wp.mat22(1.0, 2.0, 3.0, 4.0)
    for x, y in m:  # MARK-for-target
        a[0] = x


def static_reads_runtime_item(a: wp.array(dtype=float)):
    v = wp.vec3(1.0, 2.0, 3.0)
    for c in v:  # MARK-for-static
        a[0] = wp.static(c * 2.0)


def static_gives_a_list(a: wp.array(dtype=float)):
    x = wp.static([1.0, 2.0])  # MARK-static-list
    a[0] = 1.0


def grad_of_a_value(a: wp.array(dtype=float)):
    a[0] = wp.grad(a)(1.0)  # MARK-grad


BAD_SYNTAX = [  # (function, marker, words in the message, found at definition)
    (unpacks_starred, "MARK-star-assign", ["starred", "call arguments"], True),
    (starred_in_tuple, "MARK-star-tuple", ["starred", "call arguments"], True),
    (stars_whole_array, "MARK-star-array", ["array", "slice"], False),
    (loop_unpacks_target, "MARK-for-target", ["for", "single name"], True),
    (static_reads_runtime_item, "MARK-for-static", ["wp.static", "'c'"], False),
    (static_gives_a_list, "MARK-static-list", ["list", "wp.static"], False),
    (grad_of_a_value, "MARK-grad", ["wp.grad", "@wp.func"], False),
    (returns_value, "MARK-return", ["return"], True),
    (uses_list_comprehension, "MARK-listcomp", ["list comprehension"], True),
    (uses_try, "MARK-try", ["try"], True),
    (uses_with, "MARK-with", ["with"], True),
    (uses_lambda, "MARK-lambda", ["lambda"], True),
    (uses_dict, "MARK-dict", ["dict"], True),
    (uses_unknown_name, "MARK-unknown", ["undefined_thing_xyz"], False),
    (uses_unknown_builtin, "MARK-unknown-builtin", ["no_such_builtin_xyz"], False),
    (loops_over_array, "MARK-for", ["for", "array", "range"], False),
    (ranges_over_float, "MARK-range-float", ["range", "integer"], False),
    (ranges_over_float_value, "MARK-range-value", ["range", "integer", "float32"], False),
    (calls_kernel, "MARK-kernel-call", ["fill_value"], False),
]


@pytest.mark.parametrize("kernel,marker,words,early", BAD_SYNTAX,
                         ids=[k.__name__ for k, _, _, _ in BAD_SYNTAX])
def test_unsupported_code_is_reported_at_its_line(device, kernel, marker, words, early):
    a = wp.zeros(4, dtype=float, device=device)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        k = wp.kernel(kernel)  # does not raise: the module defining it stays importable
    ours = [w for w in caught if issubclass(w.category, WarpCodegenWarning)]
    with pytest.raises(CODE_ERRORS) as info:
        wp.launch(k, dim=4, inputs=[a], device=device)
    msg = str(info.value)
    for w in words:
        assert w in msg, f"{w!r} not in:\n{msg}"
    assert kernel.__name__ in msg or any(w in msg for w in ("kernel", "kernels"))
    assert_points_at(info.value, kernel, marker)
    assert len(msg) < 2000
    # what the fence finds is also reported at definition, at the same line, same words
    assert len(ours) == (1 if early else 0), [str(w.message) for w in ours]
    if early:
        warning = ours[0]
        assert os.path.basename(warning.filename) == THIS_FILE
        assert warning.lineno == line_of(kernel, marker)
        assert str(warning.message).startswith(info.value.short_message)
    with pytest.raises(CODE_ERRORS) as again:  # the same error on every launch
        wp.launch(k, dim=4, inputs=[a], device=device)
    assert str(again.value) == msg


def test_tid_in_func_is_reported_at_its_line(device):
    a = wp.zeros(4, dtype=float, device=device)
    with pytest.raises(CODE_ERRORS) as info:
        wp.launch(calls_func_with_tid, dim=4, inputs=[a], device=device)
    assert "tid" in str(info.value)
    assert_points_at(info.value, func_with_tid, "MARK-func-tid")


def test_kernel_parameter_without_annotation():
    with pytest.raises(CODE_ERRORS) as info:

        @wp.kernel
        def no_annotation(a: wp.array(dtype=float), scale):  # MARK-no-ann
            i = wp.tid()

    msg = str(info.value)
    assert "scale" in msg and "annotation" in msg
    assert THIS_FILE in msg
    assert f"line {line_of(test_kernel_parameter_without_annotation, 'MARK-no-ann')}" in msg


def test_kernel_with_unsupported_annotation():
    with pytest.warns(WarpCodegenWarning, match="'s'"):

        @wp.kernel
        def bad_annotation(a: wp.array(dtype=float), s: str):
            i = wp.tid()

    with pytest.raises(CODE_ERRORS) as info:
        wp.launch(bad_annotation, dim=1, inputs=[wp.zeros(1, dtype=float), "x"], device="cpu")
    msg = str(info.value)
    assert "'s'" in msg and "bad_annotation" in msg and "str" in msg


def test_kernel_declaring_a_return_type():
    with pytest.warns(WarpCodegenWarning, match="return"):

        @wp.kernel
        def typed_return(a: wp.array(dtype=float)) -> float:
            i = wp.tid()

    with pytest.raises(CODE_ERRORS) as info:
        wp.launch(typed_return, dim=1, inputs=[wp.zeros(1, dtype=float)], device="cpu")
    assert "return" in str(info.value)


def test_array_annotation_with_an_unsupported_dtype():
    # Python evaluates the annotation when the 'def' runs; as in Warp, only the kernel fails
    with pytest.warns(WarpCodegenWarning):

        @wp.kernel
        def str_array(a: wp.array(dtype=str)):  # MARK-str-dtype
            i = wp.tid()

    with pytest.raises(CODE_ERRORS) as info:
        wp.launch(str_array, dim=1, inputs=[wp.zeros(1, dtype=float)], device="cpu")
    msg = str(info.value)
    assert "'a'" in msg and "dtype" in msg and "str" in msg
    assert_points_at(info.value, test_array_annotation_with_an_unsupported_dtype,
                     "MARK-str-dtype")


def test_errors_warp_raises_at_definition_are_raised_at_definition():
    # Warp checks these when the decorator runs: annotations, and custom gradients whose
    # signature fits no overload of the function
    with pytest.raises(CODE_ERRORS) as info:

        @wp.func
        def untyped(x, y: float):  # MARK-func-no-ann
            return x * y

    assert "'x'" in str(info.value) and "annotation" in str(info.value)
    assert_points_at(info.value, test_errors_warp_raises_at_definition_are_raised_at_definition,
                     "MARK-func-no-ann")
    with pytest.raises(NameError, match="NoSuchType"):

        @wp.kernel
        def unknown_annotation(a: "NoSuchType"):  # noqa: F821
            pass

    @wp.func
    def square(x: float):
        return x * x

    with pytest.raises(CODE_ERRORS, match="annotation"):

        @wp.func_grad(square)
        def adj_untyped(x, adj_ret):
            wp.adjoint[x] += 2.0 * x * adj_ret

    with pytest.raises(CODE_ERRORS, match="parameters of 'square'"):

        @wp.func_grad(square)
        def adj_too_short(x: float):
            wp.adjoint[x] += 2.0

    with pytest.raises(CODE_ERRORS, match="annotation"):

        @wp.func_replay(square)
        def replay_untyped(x):
            return x * x

    with pytest.raises(TypeError):
        wp.kernel(name=3)
    with pytest.raises(ValueError):
        wp.kernel(name="pkg.kernel")


def uses_set(x: float):
    s = {x}  # MARK-func-set
    return x


def test_unsupported_code_in_a_function_is_raised_by_kernels_that_call_it(device):
    with pytest.warns(WarpCodegenWarning, match="set literals") as caught:
        bad = wp.func(uses_set)
    assert caught[0].lineno == line_of(uses_set, "MARK-func-set")
    assert bad(2.0) == 2.0  # Python scope runs the Python function

    @wp.kernel
    def calls_bad(a: wp.array(dtype=float)):
        i = wp.tid()
        a[i] = bad(1.0)

    a = wp.zeros(1, dtype=float, device=device)
    for _ in range(2):
        with pytest.raises(CODE_ERRORS) as info:
            wp.launch(calls_bad, dim=1, inputs=[a], device=device)
        assert "set literals" in str(info.value)
        assert_points_at(info.value, uses_set, "MARK-func-set")


MODULE_WITH_ONE_BAD_KERNEL = textwrap.dedent(
    """
    import numba_warp as wp

    @wp.kernel
    def good(a: wp.array(dtype=float)):
        i = wp.tid()
        a[i] = 2.0 * float(i)

    @wp.kernel
    def bad(a: wp.array(dtype=float)):
        i = wp.tid()
        a[i] = [1.0, 2.0][i]  # MARK
    """
)


def test_one_bad_kernel_leaves_its_module_usable(tmp_path, device):
    """As in Warp, an unsupported construct fails when its kernel is compiled: the module
    imports (with a warning at the line), its other kernels run, and launching the bad
    kernel or wp.load_module raise the error at the user's file and line."""
    path = tmp_path / "one_bad_kernel.py"
    path.write_text(MODULE_WITH_ONE_BAD_KERNEL)
    bad_line = MODULE_WITH_ONE_BAD_KERNEL.splitlines().index(
        "    a[i] = [1.0, 2.0][i]  # MARK") + 1
    spec = importlib.util.spec_from_file_location("one_bad_kernel", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["one_bad_kernel"] = mod
    try:
        with pytest.warns(WarpCodegenWarning, match="list literals") as caught:
            spec.loader.exec_module(mod)
        assert caught[0].filename == str(path) and caught[0].lineno == bad_line
        a = wp.zeros(3, dtype=float, device=device)
        wp.launch(mod.good, dim=3, inputs=[a], device=device)
        np.testing.assert_array_equal(a.numpy(), [0.0, 2.0, 4.0])
        for compile_it in (lambda: wp.launch(mod.bad, dim=3, inputs=[a], device=device),
                           lambda: wp.load_module(mod, device=device)):
            with pytest.raises(wp.WarpCodegenError) as info:
                compile_it()
            msg = str(info.value)
            assert "list literals" in msg and f'"{path}", line {bad_line}' in msg, msg
    finally:
        del sys.modules["one_bad_kernel"]


def _nested_kernel():
    @wp.kernel
    def inner(a: wp.array(dtype=float)):
        pass

    return inner


def test_key_is_warps_key():
    # Warp's key: the qualified name as an identifier; the module-qualified name is
    # kept for messages
    assert fill_value.key == "fill_value"
    assert fill_value.qualified_name.endswith("test_errors.fill_value")
    assert _nested_kernel().key == "_nested_kernel__locals__inner"
    assert func_with_tid.key == "func_with_tid"
    assert wp.kernel(name="renamed")(fill_value.func).key == "renamed"


# ---------------------------------------------------------------------------------------
# Type errors found while compiling the kernel body
# ---------------------------------------------------------------------------------------


@wp.kernel
def sin_of_array(a: wp.array(dtype=float), x: float):
    i = wp.tid()
    y = wp.sin(a)  # MARK-sin-array
    a[i] = y


@wp.kernel
def stores_array_into_element(a: wp.array(dtype=float), x: float):
    i = wp.tid()
    a[i] = a  # MARK-store-array


@wp.kernel
def adds_array_and_float(a: wp.array(dtype=float), x: float):
    i = wp.tid()
    y = a + x  # MARK-array-plus-float


@wp.kernel
def loops_over_array_alias(a: wp.array(dtype=float), x: float):
    b = a
    for v in b:  # MARK-for-alias
        a[0] = v


@wp.kernel
def loops_over_mixed_tuple_with_break(a: wp.array(dtype=float), x: float):
    for v in (1, 2.5):  # MARK-for-mixed
        if x > 0.0:
            break
        a[0] = float(v)


@pytest.mark.parametrize("kernel,marker,words", [
    (loops_over_array_alias, "MARK-for-alias", ["for", "array", "range("]),
    (loops_over_mixed_tuple_with_break, "MARK-for-mixed", ["mixed", "break"]),
], ids=["array_alias", "mixed_tuple_break"])
def test_loops_over_sequences_typed_later_point_at_the_loop(device, kernel, marker, words):
    a = wp.zeros(4, dtype=float, device=device)
    with pytest.raises(CODE_ERRORS) as info:
        wp.launch(kernel, dim=1, inputs=[a, 1.0], device=device)
    for w in words:
        assert w in str(info.value), str(info.value)
    assert_points_at(info.value, kernel, marker)
    kernel._cpu.clear()  # (nothing compiled; keep the module's PTX check away)


def test_type_error_is_short_and_names_the_file(device):
    a = wp.zeros(4, dtype=float, device=device)
    for k in (sin_of_array, stores_array_into_element):
        with pytest.raises(CODE_ERRORS) as info:
            wp.launch(k, dim=4, inputs=[a, 1.0], device=device)
        msg = str(info.value)
        assert k.__name__ in msg
        assert THIS_FILE in msg
        assert len(msg) < 2000, f"{len(msg)} characters:\n{msg}"
        assert "During:" not in msg and "Traceback" not in msg


def test_type_error_names_the_function_and_types(device):
    a = wp.zeros(4, dtype=float, device=device)
    with pytest.raises(CODE_ERRORS) as info:
        wp.launch(sin_of_array, dim=4, inputs=[a, 1.0], device=device)
    msg = str(info.value)
    assert "sin" in msg and "array" in msg


@pytest.mark.parametrize("kernel,marker", [(sin_of_array, "MARK-sin-array"),
                                           (stores_array_into_element, "MARK-store-array")],
                         ids=["sin_of_array", "store_array"])
def test_type_error_points_at_the_offending_line(device, kernel, marker):
    a = wp.zeros(4, dtype=float, device=device)
    with pytest.raises(CODE_ERRORS) as info:
        wp.launch(kernel, dim=4, inputs=[a, 1.0], device=device)
    assert_points_at(info.value, kernel, marker)


def test_array_arithmetic_is_rejected(device):
    a = wp.zeros(4, dtype=float, device=device)
    try:
        with pytest.raises(CODE_ERRORS) as info:
            wp.launch(adds_array_and_float, dim=4, inputs=[a, 1.0], device=device)
        assert "NRT" not in str(info.value)  # not Numba's allocator internals
        assert_points_at(info.value, adds_array_and_float, "MARK-array-plus-float")
    finally:
        # If the bug let it compile for the CPU, keep the module's PTX check from
        # tripping over it: this test already reports the problem.
        adds_array_and_float._cpu.clear()


# ---------------------------------------------------------------------------------------
# Nothing is left broken after errors
# ---------------------------------------------------------------------------------------


def test_good_kernels_still_launch_after_errors(device):
    a = wp.zeros(4, dtype=float, device=device)
    # a launch error, a fence error and a Numba type error, then good launches
    with pytest.raises(LAUNCH_ERRORS):
        wp.launch(fill_value, dim=4, inputs=[a], device=device)
    with pytest.warns(WarpCodegenWarning):
        dict_kernel = wp.kernel(uses_dict)
    with pytest.raises(CODE_ERRORS):
        wp.launch(dict_kernel, dim=4, inputs=[a], device=device)
    with pytest.raises(CODE_ERRORS):
        wp.launch(sin_of_array, dim=4, inputs=[a, 1.0], device=device)
    _check_good_launch(device)
    # the same failing kernels fail the same way again (no half-initialised state)
    with pytest.raises(CODE_ERRORS):
        wp.launch(dict_kernel, dim=4, inputs=[a], device=device)
    with pytest.raises(CODE_ERRORS):
        wp.launch(sin_of_array, dim=4, inputs=[a, 1.0], device=device)
    _check_good_launch(device)


@wp.kernel
def compiles_after_failure(a: wp.array(dtype=float), x: float):
    i = wp.tid()
    a[i] = wp.sin(x) + float(i)


def test_new_kernel_compiles_after_a_failed_compile(device):
    a = wp.zeros(3, dtype=float, device=device)
    with pytest.raises(CODE_ERRORS):
        wp.launch(stores_array_into_element, dim=4, inputs=[a, 1.0], device=device)
    wp.launch(compiles_after_failure, dim=3, inputs=[a, 0.5], device=device)
    np.testing.assert_allclose(a.numpy(), np.sin(np.float32(0.5)) + np.arange(3), rtol=1e-6)


def test_a_fixed_function_replaces_its_broken_definition(device):
    # a notebook cell with a bad annotation, fixed and run again
    with pytest.warns(WarpCodegenWarning, match="'x'"):

        @wp.func
        def halve(x: str):
            return x * 0.5

    @wp.func
    def halve(x: float):  # the same function, defined again
        return x * 0.5

    @wp.kernel
    def uses_halve(a: wp.array(dtype=float)):
        a[0] = halve(3.0)

    a = wp.zeros(1, dtype=float, device=device)
    wp.launch(uses_halve, dim=1, inputs=[a], device=device)
    assert a.numpy()[0] == 1.5


@wp.kernel
def uses_undefined_name(a: wp.array(dtype=float)):
    a[0] = name_nobody_defined  # noqa: F821  MARK-undefined


@wp.kernel
def uses_unknown_attribute(a: wp.array(dtype=float)):
    a[0] = wp.no_such_builtin(1.0)  # MARK-no-attr


def test_unknown_names_and_attributes_raise_warps_classes(device):
    # as in Warp: a KeyError for a name, an AttributeError for an attribute, both also
    # WarpCodegenErrors that point at the line
    with pytest.raises(wp.WarpCodegenKeyError) as info:
        wp.launch(uses_undefined_name, 1, inputs=[wp.zeros(1, device=device)], device=device)
    assert isinstance(info.value, KeyError) and "name_nobody_defined" in str(info.value)
    assert_points_at(info.value, uses_undefined_name, "MARK-undefined")
    with pytest.raises(wp.WarpCodegenAttributeError) as info:
        wp.launch(uses_unknown_attribute, 1, inputs=[wp.zeros(1, device=device)],
                  device=device)
    assert isinstance(info.value, AttributeError) and "no_such_builtin" in str(info.value)


@wp.func
def recursive_factorial(n: int) -> int:
    if n <= 1:
        return 1
    return n * recursive_factorial(n - 1)  # MARK-recursion


@wp.kernel
def calls_recursion(a: wp.array(dtype=int)):
    a[0] = recursive_factorial(5)


@wp.kernel
def length_of_a_scalar(a: wp.array(dtype=float)):
    a[0] = wp.length(a[0])  # MARK-builtin-types


def test_recursion_is_refused_at_the_recursive_call(device):
    with pytest.raises(wp.WarpCodegenError) as info:
        wp.launch(calls_recursion, 1, inputs=[wp.zeros(1, dtype=int, device=device)],
                  device=device)
    msg = str(info.value)
    assert "recursion" in msg and "recursive_factorial" in msg and "loop" in msg
    assert "nopython" not in msg and "Failed in" not in msg
    assert_points_at(info.value, recursive_factorial, "MARK-recursion")


@wp.func
def ping(x: float, n: int):
    if n <= 0:
        return x
    return pong(x * 0.5, n - 1)  # MARK-mutual


@wp.func
def pong(x: float, n: int):
    return ping(x + 1.0, n)


@wp.kernel
def calls_mutual_recursion(a: wp.array(dtype=float)):
    a[0] = ping(a[0], 3)


def test_recursion_through_several_functions_is_refused():
    # it read "@wp.func 'pong' has no overload that takes (float32, int32)"
    with pytest.raises(wp.WarpCodegenError) as info:
        wp.launch(calls_mutual_recursion, 1, inputs=[wp.zeros(1, device="cpu")], device="cpu")
    msg = str(info.value)
    assert "'ping' calls itself through 'pong' -> 'ping'" in msg and "recursion" in msg
    assert "no overload" not in msg
    assert_points_at(info.value, ping, "MARK-mutual")


def test_builtin_type_mismatch_reads_in_the_users_terms(device):
    with pytest.raises(wp.WarpCodegenError) as info:
        wp.launch(length_of_a_scalar, 1, inputs=[wp.zeros(1, device=device)], device=device)
    msg = str(info.value)
    assert "wp.length has no overload that takes (float32)" in msg
    assert ">>>" not in msg and "With argument" not in msg and "No match" not in msg
    assert_points_at(info.value, length_of_a_scalar, "MARK-builtin-types")


@wp.kernel
def makes_a_numpy_array(a: wp.array(dtype=float)):
    b = np.zeros(3)  # MARK-np-zeros
    a[0] = b[0]


@wp.kernel
def numpy_linear_algebra(a: wp.array(dtype=float)):
    a[0] = np.linalg.norm(wp.vec3(1.0, 2.0, 3.0))  # MARK-np-linalg


def test_numpy_calls_that_cannot_run_in_kernels_say_what_to_use(device):
    for kernel, mark in ((makes_a_numpy_array, "MARK-np-zeros"),
                         (numpy_linear_algebra, "MARK-np-linalg")):
        with pytest.raises(wp.WarpCodegenError) as info:
            wp.launch(kernel, 1, inputs=[wp.zeros(1, device=device)], device=device)
        msg = str(info.value)
        assert "NumPy function cannot run inside a kernel" in msg and "wp.zeros(shape=" in msg
        assert "nopython" not in msg and "scipy" not in msg.lower()
        assert_points_at(info.value, kernel, mark)


@wp.kernel
def retyped_in_a_loop(x: wp.array(dtype=wp.float64), n: int, out: wp.array(dtype=wp.float64)):
    i = wp.tid()
    r = wp.length(wp.vec3(1.0, 2.0, 3.0))  # a float32
    for k in range(3):
        r = r * 0.5 + x[i] * float(k)  # now a float64
    k = int(0)
    while k < n:
        r = wp.sin(r) + 0.25 * r
        if r > 1.5:
            break
        k += 1
    out[i] = r


def test_a_variable_retyped_in_a_loop_is_named_when_differentiated(device):
    x = wp.ones(2, dtype=wp.float64, device=device, requires_grad=True)
    out = wp.zeros(2, dtype=wp.float64, device=device, requires_grad=True)
    tape = wp.Tape()
    with tape:
        wp.launch(retyped_in_a_loop, 2, inputs=[x, 3], outputs=[out], device=device)
    out.grad.fill_(1.0)
    with pytest.raises(wp.WarpCodegenError) as info:
        tape.backward()
    msg = str(info.value)
    assert "variable 'r' changes type in a loop (float32, then float64)" in msg
    assert "wp_stack" not in msg and "unify" not in msg


# ---------------------------------------------------------------------------------------
# Found by the mutation fuzzer (test_fuzz_mutations.py): errors in Numba's terms, or at
# no line of the user's code
# ---------------------------------------------------------------------------------------


@wp.func
def mod_of_a_vector(n: wp.vec3):
    return n % 2  # MARK-func-body


@wp.kernel
def calls_broken_func(a: wp.array(dtype=float)):
    a[0] = mod_of_a_vector(wp.vec3(1.0, 2.0, 3.0))[0]


@wp.kernel
def stores_a_string(a: wp.array(dtype=float)):
    a[0] = "x"  # MARK-store-str


@wp.kernel
def float_array_index(a: wp.array(dtype=float)):
    a[0] = a[a[1]]  # MARK-float-index


@wp.kernel
def read_before_assignment(a: wp.array(dtype=float)):
    a[1] = b  # noqa: F821  MARK-unassigned
    b = 1.0  # noqa: F841


@wp.kernel
def two_types_in_a_loop(a: wp.array(dtype=wp.int32)):
    acc = wp.int32(0)
    for k in range(3):  # MARK-two-types (where the types meet)
        acc = acc + k
        acc = wp.vec2(1.0, 2.0)
    a[0] = acc[0]


@wp.kernel
def compares_vectors(a: wp.array(dtype=float)):
    v = wp.vec3(1.0, 2.0, 3.0)
    if v < v:  # MARK-compare
        a[0] = 1.0


@wp.kernel
def range_of_nothing(a: wp.array(dtype=float)):
    for k in range():  # MARK-range
        a[0] = 1.0


@wp.kernel
def sums_an_array_of_vectors(a: wp.array(dtype=wp.vec3), out: wp.array(dtype=float)):
    out[0] = np.sum(a)[0]  # MARK-np-sum


def plain_python_helper(z):
    return z * 2.0


@wp.kernel
def calls_a_plain_function(a: wp.array(dtype=float)):
    a[0] = plain_python_helper(1.0)  # MARK-plain-call


@wp.func
def typed_half(x: float):
    return x * 0.5


@wp.kernel
def calls_func_with_wrong_types(a: wp.array(dtype=float)):
    a[0] = typed_half(a)  # MARK-func-types


@wp.kernel
def identity_of_a_variable_size(a: wp.array(dtype=float)):
    m = wp.identity(n=a[0], dtype=float)  # MARK-identity
    a[0] = m[0, 0]


NUMBA_WORDED = [  # (kernel, marker, words; none of Numba's words may appear)
    (calls_a_plain_function, "MARK-plain-call", ["'plain_python_helper' is a plain Python "
                                                 "function", "@wp.func"]),
    (calls_func_with_wrong_types, "MARK-func-types", ["no overload of function 'typed_half'",
                                                      "array(dtype=float32)"]),
    (identity_of_a_variable_size, "MARK-identity", ["n must be a constant integer"]),
    (calls_broken_func, "MARK-func-body", ["wp.mod (the operator '%')", "(vec3f, int)"]),
    (stores_a_string, "MARK-store-str", ["store a value of type str", "array(dtype=float32)"]),
    (float_array_index, "MARK-float-index", ["array indices must be integers, got float32"]),
    (read_before_assignment, "MARK-unassigned", ["'b' is read before it is assigned"]),
    (two_types_in_a_loop, "MARK-two-types", ["'acc' holds values of two types", "vec2f"]),
    (compares_vectors, "MARK-compare", ["cannot compute vec3f < vec3f"]),
    (range_of_nothing, "MARK-range", ["range() has no overload that takes ()"]),
    (sums_an_array_of_vectors, "MARK-np-sum", ["NumPy function cannot run inside a kernel"]),
]
NUMBA_WORDS = ["Literal[", "1d, C", "Untyped global", "unicode_type", "analyze the bytecode",
               "Cannot unify", "Unknown attribute", "Unsupported array index", "must be Sets",
               "Function(<", "setitem", "_wp_", "nopython", ".pytest_cache",
               "has no attribute '_v'"]


@pytest.mark.parametrize("kernel,marker,words", NUMBA_WORDED,
                         ids=[k.key.split(".")[-1] for k, _, _ in NUMBA_WORDED])
def test_numba_errors_read_in_the_users_terms_at_the_users_line(kernel, marker, words):
    args = [wp.zeros(4, dtype=p.dtype if hasattr(p, "dtype") else float, device="cpu")
            for p in kernel.func.__annotations__.values()]
    with pytest.raises(wp.WarpCodegenError) as info:
        wp.launch(kernel, 1, inputs=args, device="cpu")
    msg = str(info.value)
    for w in words:
        assert w in msg, f"{w!r} not in:\n{msg}"
    for w in NUMBA_WORDS:
        assert w not in msg, f"{w!r} in:\n{msg}"
    target = mod_of_a_vector if kernel is calls_broken_func else kernel
    assert_points_at(info.value, target, marker)  # (a @wp.func's error: its own line)


def huge_integer(a: wp.array(dtype=wp.int64)):
    a[0] = 2 ** 70  # MARK-huge


def test_an_integer_constant_beyond_64_bits_is_refused():
    # it silently became 0
    with pytest.warns(WarpCodegenWarning, match="64 bits"):
        k = wp.kernel(huge_integer)
    with pytest.raises(wp.WarpCodegenError) as info:
        wp.launch(k, 1, inputs=[wp.zeros(1, dtype=wp.int64)], device="cpu")
    assert "2 ** 70" in str(info.value) and "does not fit in 64 bits" in str(info.value)
    assert_points_at(info.value, huge_integer, "MARK-huge")


def test_annotations_read_as_the_user_wrote_them():
    # they read "<class 'numba_warp.runtime.array.array'>"
    with pytest.warns(WarpCodegenWarning) as caught:

        @wp.func
        def bare_array(a: wp.array):
            return 1.0

        @wp.func
        def dict_annotation(b: dict):
            return 1.0

    bare, other = (str(w.message) for w in caught)
    assert "annotated 'wp.array' without a dtype" in bare and "dtype=float" in bare
    assert "unsupported type annotation dict" in other
    assert "<class" not in bare + other


def returns_on_some_paths(x: float):
    if x > 0.0:
        return x
    x = x * 2.0  # MARK-falls-off


def test_a_function_that_can_end_without_its_return_is_refused():
    # it returned None there, and the launch failed with "expected int64, got None"
    with pytest.warns(WarpCodegenWarning, match="reach its end"):
        f = wp.func(returns_on_some_paths)

    @wp.kernel
    def calls_it(a: wp.array(dtype=float)):
        a[0] = f(a[0])

    with pytest.raises(wp.WarpCodegenError) as info:
        wp.launch(calls_it, 1, inputs=[wp.zeros(1)], device="cpu")
    assert "returns a value (line" in str(info.value) and "return nothing" in str(info.value)
    assert_points_at(info.value, returns_on_some_paths, "MARK-falls-off")
