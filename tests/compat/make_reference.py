"""Regenerate tests/compat/data/<program>.npz: each program of tests/compat/programs run
under NVIDIA Warp 1.19 on the CPU, with the sizes the tests use.

Usage (needs ``pip install warp-lang==1.19.*``, i.e. the ``compat`` extra):

    python tests/compat/make_reference.py            # every program
    python tests/compat/make_reference.py prog_wave  # one
    python tests/compat/make_reference.py --warp-examples DIR [--device cuda:0]

``--warp-examples DIR`` copies the Warp core example files that the tests run
(``loader.WARP_EXAMPLES``) to DIR and stores Warp's results for them
(``warp_cpu_results.npz``), for a machine where Warp cannot be installed
(``NUMBA_WARP_WARP_EXAMPLES=DIR pytest tests/compat``; see test_warp_examples.py). With
``--device cuda:0`` (run where Warp's CUDA backend works) Warp runs the examples on that
GPU and the results go to ``warp_cuda_results.npz``: numba_warp's CUDA runs are then
compared with Warp's CUDA runs.

Each file stores the program's result arrays (float64 sums, float32 fields, int counts)
and ``warp_version``. The tests compare numba_warp's run of the same program against
them, so they run without Warp installed.
"""

from __future__ import annotations

import pathlib
import sys
import tempfile

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from loader import load_program  # noqa: E402
from sizes import PROGRAMS  # noqa: E402


def make(name: str, workdir: str) -> pathlib.Path:
    import warp

    warp.config.quiet = True
    module = load_program(HERE / "programs" / f"{name}.py", "warp", workdir)
    result = module.run("cpu", **PROGRAMS[name])
    out = HERE / "data" / f"{name}.npz"
    np.savez_compressed(out, warp_version=np.array(warp.__version__), **result)
    return out


def make_examples(folder: pathlib.Path, workdir: str, device: str = "cpu") -> pathlib.Path:
    import shutil
    import warp

    warp.config.quiet = True
    sys.path.insert(0, str(HERE.parent))  # tests/: the suite's package ``compat``
    from compat.loader import WARP_EXAMPLES, example_results, load_warp_example, \
        warp_examples_dir
    from compat.test_warp_examples import DRIVERS

    folder.mkdir(parents=True, exist_ok=True)
    results = {"warp_version": np.array(warp.__version__)}
    for name in WARP_EXAMPLES:
        shutil.copy(warp_examples_dir() / f"{name}.py", folder / f"{name}.py")
        state = DRIVERS[name](load_warp_example(name, "warp", workdir), device)
        results.update({f"{name}/{key}": value for key, value in state.items()})
    out = folder / example_results(device)
    np.savez_compressed(out, **results)
    return out


def main(argv: list[str]) -> None:
    if argv[:1] == ["--warp-examples"]:
        with tempfile.TemporaryDirectory() as workdir:
            device = argv[3] if argv[2:3] == ["--device"] else "cpu"
            out = make_examples(pathlib.Path(argv[1]), workdir, device)
        print(f"{out}: {out.stat().st_size} bytes")
        return
    names = argv or sorted(PROGRAMS)
    with tempfile.TemporaryDirectory() as workdir:
        for name in names:
            out = make(name, workdir)
            print(f"{out.relative_to(HERE.parent.parent)}: {out.stat().st_size} bytes")


if __name__ == "__main__":
    main(sys.argv[1:])
