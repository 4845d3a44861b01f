"""Global settings, with Warp's names where they apply (``wp.config.mode = "debug"``).

Settings are read when a kernel is compiled (``kernel_cache_dir``, ``cache_kernels``,
``max_unroll``; change them before the first launch of a kernel) or at each launch
(``mode``, ``verify_fp``, ``cpu_threads``, ``cpu_parallel_threshold``). A setting that
another module checks (:func:`on_assign`) raises at the assignment when its value is not
allowed, as Warp's own enum settings do.
"""

import sys
import types as _types

#: "release", "debug" or "python", read at each launch. Debug runs each kernel's checked
#: variant: every array access bounds-checked and ``assert`` kept, on every launch path;
#: the first failure is raised after the launch as IndexError/AssertionError with the
#: user's line. Python runs each forward launch in the interpreter, thread by thread, on
#: the CPU (GPU arrays are copied over and back), with the kernel's types: ``breakpoint()``,
#: pdb, ``print`` and coverage work inside kernels and functions (docs/guide.md,
#: "Debugging"). A module's ``mode`` option (``wp.set_module_options({"mode": "python"})``)
#: overrides it for that module's kernels.
mode = "release"

#: After every launch, check the kernel's array arguments for NaN/inf and raise.
verify_fp = False

#: Suppress informational messages.
quiet = False

#: Print a line for each kernel compiled (and where it was cached).
verbose = False

#: Where generated source and compiled kernels are kept. None: ~/.cache/numba_warp/<ver>
#: (or $NUMBA_WARP_CACHE_DIR when set).
kernel_cache_dir = None

#: Keep compiled kernels on disk so that a later process reuses them.
cache_kernels = True

#: CPU launches with fewer threads than this run serially on the calling thread (no
#: thread-pool start-up cost); larger ones are shared out over ``cpu_threads`` threads in
#: chunks, dynamically (docs/perf_cpu.md). Read at each launch.
cpu_parallel_threshold = 8192

#: Threads a parallel CPU launch uses, from 1 (serial, like Warp's CPU backend) to
#: Numba's pool size ``NUMBA_NUM_THREADS`` (an environment variable, read when the
#: process starts; all cores by default). None: Numba's current count
#: (``numba.set_num_threads``). Read at each launch.
cpu_threads = None

#: CUDA threads per block.
block_dim = 256

#: Generate backward (adjoint) kernels by default; per kernel with enable_backward=.
enable_backward = True

#: Accepted for Warp compatibility. Loops are not unrolled: the backward pass replays
#: every loop exactly, whatever its trip count (see ``adjoint_stack_size``).
max_unroll = 16

#: Loop states the backward pass keeps per loop and thread. A loop of up to this many
#: iterations is reversed with no recomputation; a longer one keeps every 2nd, 4th, ...
#: state and recomputes from the nearest (exact either way). Costs this many copies of
#: the loop's carried variables in thread-local memory.
adjoint_stack_size = 32

#: Raise in ``Tape.backward()`` when an array a recorded launch read was overwritten
#: before the backward pass (the gradient would be computed from the wrong values).
check_array_versions = True

#: Track every array allocation from the start (``wp.print_memory_report()``), as
#: ``wp.ScopedMemoryTracker`` does inside its block.
track_memory = False


_checks: dict = {}


def on_assign(name: str, check) -> None:
    """Make ``wp.config.<name> = value`` call ``check(value)`` first: it raises for a
    value that is not allowed, else returns the value to store (and may apply it)."""
    _checks[name] = check


class _Config(_types.ModuleType):
    def __setattr__(self, name, value):
        check = _checks.get(name)
        if check is not None:
            value = check(value)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Config
