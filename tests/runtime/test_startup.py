"""Start-up and recompilation (docs/perf_startup.md): what ``import numba_warp`` loads, a
second process running kernels from the disk cache, and a notebook user editing one
kernel or function recompiling only what depends on it (with the new answer: a stale
cache hit would be a silently wrong one). No test here measures time."""

import linecache
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import numba_warp as wp

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _run(tmp_path, text: str, *args, cache=None, cpu_only=False) -> str:
    """Run ``text`` as a fresh program (this checkout first on the path); its stdout.
    ``cpu_only``: as on a machine without a GPU (CUDA_VISIBLE_DEVICES empty)."""
    script = tmp_path / "program.py"
    script.write_text(textwrap.dedent(text))
    env = dict(os.environ, NUMBA_WARP_CACHE_DIR=str(cache or tmp_path / "cache"))
    if cpu_only:
        env["CUDA_VISIBLE_DEVICES"] = ""
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    out = subprocess.run([sys.executable, str(script), *args], env=env, capture_output=True,
                         text=True, timeout=300, check=False)
    assert out.returncode == 0, out.stderr
    assert "Warning" not in out.stderr, out.stderr
    return out.stdout


def _word(stdout: str, key: str) -> str:
    words = stdout.split()
    return words[words.index(key) + 1]


IMPORT_SCRIPT = """
    import sys
    import numba
    import numpy as np
    import numba_warp as wp
    from numba_warp.lowering.cpu_init import cpu_target_started

    # nothing heavy or optional comes with the import, and Numba's CPU target is not
    # started (that happens at the first compile)
    heavy = ("numba.cuda", "numba_cuda", "cuda.core", "torch", "IPython", "jax", "cupy",
             "numba.np.arrayobj", "numba_warp.geometry",
             # the compiler: imported at the first compile (numba_warp/lazy.py)
             "numba_warp.frontend.codegen", "numba_warp.frontend.checks",
             "numba_warp.autodiff")
    print("loaded", ",".join(m for m in heavy if m in sys.modules) or "-")
    print("started", cpu_target_started())

    # plain @numba.njit code uses the package's types and float16 right away
    @numba.njit
    def plain(a):
        v = wp.vec3(1.0, 2.0, 3.0)
        h = wp.float16(a[0]) * wp.float16(3.0)  # float16 arithmetic: float16 result
        return wp.dot(v, v) + wp.float32(h)

    print("plain", plain(np.array([0.1], dtype=np.float32)))
    print("cuda_after", "numba.cuda" in sys.modules)
"""


def test_import_loads_no_optional_stack_and_njit_works_at_once(tmp_path):
    out = _run(tmp_path, IMPORT_SCRIPT)
    assert _word(out, "loaded") == "-"
    assert _word(out, "started") == "False"
    # 14 + float16(float16(0.1) * 3) = 14 + 0.2998...
    expected = 14.0 + float(np.float16(np.float16(0.1) * np.float16(3.0)))
    assert float(_word(out, "plain")) == pytest.approx(expected, abs=1e-6)
    assert _word(out, "cuda_after") == "False"


WARM_SCRIPT = """
    import sys
    import numpy as np
    import numba_warp as wp
    from numba_warp.lowering.cpu_init import cpu_target_started

    @wp.kernel
    def axpy(a: float, x: wp.array(dtype=wp.vec3), y: wp.array(dtype=wp.vec3)):
        i = wp.tid()
        y[i] = a * x[i] + y[i]

    @wp.kernel
    def read_at(src: wp.array(dtype=float), k: int, out: wp.array(dtype=float)):
        out[0] = src[k]

    x = wp.array(np.arange(12, dtype=np.float32).reshape(4, 3), dtype=wp.vec3)
    y = wp.ones(4, dtype=wp.vec3)
    wp.launch(axpy, 4, inputs=[2.0, x, y])
    assert np.allclose(y.numpy(), 2 * np.arange(12).reshape(4, 3) + 1), y.numpy()
    # a Python-scope builtin that runs its Numba implementation: cached like a kernel
    q = wp.quat_rpy(0.1, 0.2, 0.3)
    print("quat", ",".join(repr(float(c)) for c in q))

    # a checked kernel (debug mode) reports through a symbol that cached code links to
    wp.config.mode = "debug"
    src = wp.zeros(3, dtype=float)
    out = wp.zeros(1, dtype=float)
    try:
        wp.launch(read_at, 1, inputs=[src, 5, out])
        print("debug_error none")
    except Exception as exc:
        print("debug_error", "out-of-bounds" if "out-of-bounds read of src[5]" in str(exc) else repr(exc))
    wp.config.mode = "release"
    print("started_after_cached_launches", cpu_target_started())
    print("hits", axpy.cache_stats["disk_hits"] + read_at.cache_stats["disk_hits"])
    print("cuda", "numba.cuda" in sys.modules)
    print("adjoint_compiler", "numba_warp.autodiff" in sys.modules)  # forward passes only

    # a kernel compiled afterwards in the same process: the target starts then, float16
    # arithmetic included
    @wp.kernel
    def halves(a: wp.array(dtype=wp.float16)):
        i = wp.tid()
        a[i] = a[i] * wp.float16(3.0)

    h = wp.array(np.full(2, 0.1, dtype=np.float16), dtype=wp.float16)
    wp.launch(halves, 2, inputs=[h])
    print("half", float(h.numpy()[0]))
"""


@pytest.mark.slow
def test_second_process_launches_cached_kernels_without_numbas_compiler(tmp_path):
    """A process that launches kernels found in the disk cache (and calls a Python-scope
    builtin compiled by Numba) loads them without starting Numba's CPU target (its typing
    and lowering tables) and without numba-cuda; checked (debug) kernels still report;
    compiling a new kernel afterwards works."""
    first = _run(tmp_path, WARM_SCRIPT, cpu_only=True)
    assert _word(first, "debug_error") == "out-of-bounds"
    assert _word(first, "hits") == "0"
    second = _run(tmp_path, WARM_SCRIPT, cpu_only=True)
    assert _word(second, "quat") == _word(first, "quat")
    assert _word(second, "hits") == "2"
    assert _word(second, "started_after_cached_launches") == "False"
    assert _word(second, "debug_error") == "out-of-bounds"
    assert _word(second, "cuda") == "False"
    assert _word(second, "adjoint_compiler") == "False"
    assert float(_word(second, "half")) == float(np.float16(np.float16(0.1) * 3))


CUDA_ONLY_SCRIPT = """
    import numba.cuda.dispatcher as dispatcher
    import numba_warp as wp
    from numba_warp.lowering.cpu_init import cpu_target_started

    class PretendDevice:  # PTX for an sm_90 without a GPU (as tests/conftest.py does)
        compute_capability = (9, 0)

    dispatcher.get_current_device = lambda: PretendDevice()

    @wp.kernel
    def local_sums(x: wp.array(dtype=wp.vec3), q: wp.quat, y: wp.array(dtype=float)):
        i = wp.tid()
        loc = wp.zeros(shape=3, dtype=float)  # a local array: lowered like Numba's arrays
        loc[1] = wp.length(wp.quat_rotate(q, x[i]))
        y[i] = loc[1] + wp.sin(y[i])

    ptx = local_sums.compile_ptx(local_sums.concrete_argtypes())
    print("entry", ".entry" in ptx, "cpu_started", cpu_target_started())
"""


def test_cuda_code_compiles_in_a_process_that_never_compiled_for_the_cpu(tmp_path, cuda_backend_installed):
    """Nothing the first compile needs may be imported in the middle of it: numba-cuda
    types ``a + b`` and lowers it later, and an import that registers more overloads of
    ``operator.add`` in between (Numba's array implementation, which Numba's CPU target
    imports when it starts) made the lowering fail where the CPU had not compiled first."""
    out = _run(tmp_path, CUDA_ONLY_SCRIPT)
    assert _word(out, "entry") == "True"
    assert _word(out, "cpu_started") == "False"


CUDA_WARM_SCRIPT = """
    import sys
    import numpy as np
    import numba_warp as wp

    @wp.kernel
    def axpy(a: float, x: wp.array(dtype=wp.vec3), y: wp.array(dtype=wp.vec3)):
        i = wp.tid()
        wp.atomic_add(y, i, a * x[i])

    x = wp.array(np.ones((8, 3), dtype=np.float32), dtype=wp.vec3, device="cuda:0")
    y = wp.zeros(8, dtype=wp.vec3, device="cuda:0")
    wp.launch(axpy, 8, inputs=[2.0, x, y], device="cuda:0")
    print("y", y.numpy()[3, 2], "hits", axpy.cache_stats["disk_hits"])
    # numba-cuda's first compile loads its NumPy support: it imports numba.cuda.np.arraymath
    print("registries", "numba.cuda.np.arraymath" in sys.modules)
    print("blas_entry", "scipy.linalg.cython_blas" in sys.modules and
          sys.modules["scipy.linalg.cython_blas"] is None)

    K = wp.constant(float(len(sys.argv)))  # differs between the runs: compiled each time

    @wp.kernel
    def fresh(y: wp.array(dtype=wp.vec3)):
        i = wp.tid()
        y[i] = y[i] * K

    wp.launch(fresh, 8, inputs=[y], device="cuda:0")
    print("fresh", y.numpy()[3, 2], "compiled", fresh.cache_stats["compiled"])
"""


def test_second_process_loads_cached_cuda_kernels_without_numba_cudas_compiler(
        tmp_path, gpu_device):
    """A process whose CUDA kernels are in the disk cache loads them without loading
    numba-cuda's typing and lowering registries (most of a warm start: docs/
    perf_startup.md), and compiles a new kernel after that as usual; the first
    process's compile leaves no trace of skipping SciPy's BLAS probe in ``sys.modules``."""
    first = _run(tmp_path, CUDA_WARM_SCRIPT)
    assert (_word(first, "y"), _word(first, "hits")) == ("2.0", "0")
    assert _word(first, "registries") == "True"
    assert _word(first, "blas_entry") == "False"
    assert (_word(first, "fresh"), _word(first, "compiled")) == ("2.0", "1")
    second = _run(tmp_path, CUDA_WARM_SCRIPT, "again")
    assert (_word(second, "y"), _word(second, "hits")) == ("2.0", "1")
    assert _word(second, "registries") == "False"
    # a new kernel afterwards compiles as usual (the registries load then)
    assert (_word(second, "fresh"), _word(second, "compiled")) == ("4.0", "1")


EDIT_SCRIPT = """
    import sys
    import numba_warp as wp

    @wp.func
    def f(x: float):
        return x * @F@

    @wp.func
    def g(x: float):
        return x + 1.0

    @wp.kernel
    def uses_f(a: wp.array(dtype=float)):
        a[0] = f(2.0)

    @wp.kernel
    def uses_g(a: wp.array(dtype=float)):
        a[0] = g(2.0)

    @wp.kernel
    def plain(a: wp.array(dtype=float)):
        a[0] = @PLAIN@

    for k in (uses_f, uses_g, plain):
        a = wp.zeros(1, dtype=float)
        wp.launch(k, 1, [a])
        print(k.__name__, a.numpy()[0], k.cache_stats["compiled"])
"""


@pytest.mark.slow
def test_editing_one_kernel_or_function_recompiles_only_what_uses_it(tmp_path):
    """Across processes (a script edited and run again): editing one kernel recompiles
    that kernel only; editing a function recompiles exactly the kernels that call it,
    and every kernel gives the answer of the code as it is now."""

    def run(f, plain):
        out = _run(tmp_path, EDIT_SCRIPT.replace("@F@", f).replace("@PLAIN@", plain))
        return {k: (float(_word(out, k)), int(out.split()[out.split().index(k) + 2]))
                for k in ("uses_f", "uses_g", "plain")}

    assert run("3.0", "7.0") == {"uses_f": (6.0, 1), "uses_g": (3.0, 1), "plain": (7.0, 1)}
    # the kernel edited: only it compiles
    assert run("3.0", "8.0") == {"uses_f": (6.0, 0), "uses_g": (3.0, 0), "plain": (8.0, 1)}
    # the function edited: only the kernel calling it compiles, with the new value
    assert run("5.0", "8.0") == {"uses_f": (10.0, 1), "uses_g": (3.0, 0), "plain": (8.0, 0)}
    # and back: the old entries are still on disk, and are the right ones again
    assert run("3.0", "7.0") == {"uses_f": (6.0, 0), "uses_g": (3.0, 0), "plain": (7.0, 0)}


# -- a notebook in one process: cells re-run with edits ------------------------------------

_cells = [0]


def _run_cell(namespace: dict, source: str) -> None:
    """Run ``source`` as a notebook cell does: compiled from text registered with
    linecache (so kernels can read their source), in one shared namespace."""
    _cells[0] += 1
    filename = f"<startup-cell-{_cells[0]}>"
    text = textwrap.dedent(source)
    linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
    exec(compile(text, filename, "exec"), namespace)  # noqa: S102 - the test's own code


CELL_FUNCS = """
@wp.func
def weight(x: float):
    return x * {w}

@wp.func
def offset(x: float):
    return x + 1.0
"""

CELL_KERNELS = """
@wp.kernel
def weighted(a: wp.array(dtype=float)):
    i = wp.tid()
    a[i] = weight(a[i])

@wp.kernel
def shifted(a: wp.array(dtype=float)):
    i = wp.tid()
    a[i] = offset(a[i])

@wp.kernel
def scaled(a: wp.array(dtype=float)):
    i = wp.tid()
    a[i] = a[i] * {s}
"""


def test_notebook_cells_recompile_only_what_changed(device):
    ns = {"wp": wp, "__name__": "startup_notebook"}
    names = ("weighted", "shifted", "scaled")

    def launch_all():
        out = {}
        for name in names:
            a = wp.full(2, 2.0, dtype=float, device=device)
            wp.launch(ns[name], 2, [a], device=device)
            out[name] = float(a.numpy()[0])
        return out

    def compiled():
        return {n: ns[n].cache_stats["compiled"] + ns[n].cache_stats["disk_hits"]
                for n in names}

    _run_cell(ns, CELL_FUNCS.format(w="3.0"))
    _run_cell(ns, CELL_KERNELS.format(s="5.0"))
    assert launch_all() == {"weighted": 6.0, "shifted": 3.0, "scaled": 10.0}
    # the kernels' cell re-run with one kernel edited: that one compiles, the others are
    # the same code and reuse what is compiled
    _run_cell(ns, CELL_KERNELS.format(s="7.0"))
    assert launch_all() == {"weighted": 6.0, "shifted": 3.0, "scaled": 14.0}
    if device == "cpu":  # (the reuse of compiled launchers is the CPU path's)
        assert compiled() == {"weighted": 0, "shifted": 0, "scaled": 1}
        assert ns["weighted"].cache_stats["reused"] == 1
    before = compiled()
    # the functions' cell re-run with one function edited: the kernel calling it is
    # compiled again (with the new value), the others keep their compiled code
    _run_cell(ns, CELL_FUNCS.format(w="4.0"))
    assert launch_all() == {"weighted": 8.0, "shifted": 3.0, "scaled": 14.0}
    if device == "cpu":
        after = compiled()
        assert {n: after[n] - before[n] for n in names} == \
            {"weighted": 1, "shifted": 0, "scaled": 0}
