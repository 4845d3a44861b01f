"""Kernels and functions defined in IPython/Jupyter cells behave like those in files."""

import pytest

IPython = pytest.importorskip("IPython")


@pytest.fixture(scope="module")
def shell():
    from IPython.core.interactiveshell import InteractiveShell

    sh = InteractiveShell.instance()
    ok = sh.run_cell("import numpy as np\nimport numba_warp as wp\n")
    assert ok.success
    yield sh
    InteractiveShell.clear_instance()


def run(shell, code):
    result = shell.run_cell(code)
    if result.error_before_exec or result.error_in_exec:
        raise result.error_before_exec or result.error_in_exec
    return result


def test_kernel_and_func_in_cells(shell, device):
    shell.user_ns["device"] = device
    run(shell, """
@wp.func
def twice(x: float):
    return 2.0 * x

@wp.kernel
def cell_kernel(a: wp.array(dtype=float), s: float):
    i = wp.tid()
    a[i] = twice(a[i]) + s
""")
    run(shell, """
a = wp.ones(4, dtype=float, device=device)
wp.launch(cell_kernel, 4, [a, 1.0], device=device)
result = a.numpy().tolist()
""")
    assert shell.user_ns["result"] == [3.0] * 4
    # re-running an edited cell replaces the function for kernels compiled afterwards
    run(shell, """
@wp.func
def twice(x: float):
    return 3.0 * x

@wp.kernel
def cell_kernel_2(a: wp.array(dtype=float)):
    i = wp.tid()
    a[i] = twice(a[i])

b = wp.ones(2, dtype=float, device=device)
wp.launch(cell_kernel_2, 2, [b], device=device)
result = b.numpy().tolist()
""")
    assert shell.user_ns["result"] == [3.0, 3.0]
    # ... and for kernels compiled before it: they regenerate instead of running stale code
    run(shell, """
a = wp.ones(4, dtype=float, device=device)
wp.launch(cell_kernel, 4, [a, 1.0], device=device)
result = a.numpy().tolist()
""")
    assert shell.user_ns["result"] == [4.0] * 4


def test_rerunning_an_identical_cell(shell, device):
    shell.user_ns["device"] = device
    cell = """
@wp.kernel
def rerun_kernel(a: wp.array(dtype=float)):
    i = wp.tid()
    a[i] = a[i] + 1.0

c = wp.zeros(3, dtype=float, device=device)
wp.launch(rerun_kernel, 3, [c], device=device)
result = c.numpy().tolist()
"""
    for _ in range(3):  # the same cell, run again unchanged
        run(shell, cell)
        assert shell.user_ns["result"] == [1.0, 1.0, 1.0]


def test_errors_point_into_the_cell(shell):
    from numba_warp.frontend.errors import WarpCodegenWarning

    # as in Warp, the cell defining the kernel runs; the error comes at the launch
    with pytest.warns(WarpCodegenWarning, match="list comprehensions") as caught:
        run(shell, """
@wp.kernel
def bad_cell_kernel(a: wp.array(dtype=float)):
    i = wp.tid()
    a[i] = [x for x in range(3)]
""")
    # IPython drops the leading blank line: the comprehension is on line 4 of the cell
    assert caught[0].lineno == 4
    with pytest.raises(Exception) as info:
        run(shell, "wp.launch(bad_cell_kernel, 1, [wp.zeros(1, dtype=float)], device='cpu')")
    msg = str(info.value)
    assert "list comprehensions" in msg and "line 4" in msg and "bad_cell_kernel" in msg
    assert "a[i] = [x for x in range(3)]" in msg
