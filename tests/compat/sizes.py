"""Problem sizes of the compatibility programs: the same for the stored Warp references
(make_reference.py) and the tests, so that the two runs are the same program."""

PROGRAMS = {
    "prog_wave": {"frames": 10, "n": 64},
    "prog_fluid": {"steps": 4, "nx": 64, "ny": 48},
    "prog_raymarch": {"height": 40, "width": 64},
    "prog_noise_capture": {"frames": 3, "n": 64},
    # above cpu_parallel_threshold (8192): numba_warp runs it on every core, Warp serially
    "prog_spin_lock": {"threads": 20000, "nbins": 16},
    "prog_work_queue": {"workers": 10000, "limit": 2047, "capacity": 4096},
    "prog_jax": {"n": 40},
}
