"""Regenerate tests/compat/data/<program>.npz: each program of tests/compat/programs run
under NVIDIA Warp 1.19 on the CPU, with the sizes the tests use.

Usage (needs ``pip install warp-lang==1.19.*``, i.e. the ``compat`` extra):

    python tests/compat/make_reference.py            # every program
    python tests/compat/make_reference.py prog_wave  # one

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


def main(argv: list[str]) -> None:
    names = argv or sorted(PROGRAMS)
    with tempfile.TemporaryDirectory() as workdir:
        for name in names:
            out = make(name, workdir)
            print(f"{out.relative_to(HERE.parent.parent)}: {out.stat().st_size} bytes")


if __name__ == "__main__":
    main(sys.argv[1:])
