"""The recording hook (runtime/recording.py) and the kernel's launch plan: runtime reports
launches and copies to whatever observer is installed, without knowing the Tape."""

import numpy as np
import pytest

import numba_warp as wp
from numba_warp.runtime import recording


@wp.kernel
def scale_into(src: wp.array(dtype=float), dst: wp.array(dtype=float), s: float):
    i = wp.tid()
    dst[i] = src[i] * s


class Recorder:
    """An observer that keeps what runtime reports."""

    def __init__(self):
        self.launches, self.copies = [], []

    def record_launch(self, kernel, dim, max_blocks, inputs, outputs, device, block_dim=0,
                      metadata=None, reads=None):
        self.launches.append((kernel, dim, list(inputs), list(outputs), reads))

    def record_copy(self, dest, src, what, dest_offset, src_offset, count):
        self.copies.append((dest, src, what, dest_offset, src_offset, count))

    def __enter__(self):
        recording.install(self)
        return self

    def __exit__(self, *exc):
        recording.uninstall(self)


def test_observer_sees_launches_with_read_versions(device):
    src = wp.array(np.arange(4, dtype=np.float32), device=device)
    dst = wp.zeros(4, device=device)
    with Recorder() as rec:
        wp.launch(scale_into, 4, inputs=[src, dst, 2.0], device=device)
        wp.launch(scale_into, 4, inputs=[src, dst, 3.0], device=device, record_tape=False)
    assert recording.current() is None
    assert len(rec.launches) == 1
    kernel, dim, inputs, outputs, reads = rec.launches[0]
    assert kernel is scale_into and dim == (4,) and inputs[0] is src
    assert [(a is src, where) for a, _, where in reads] == [(True, "src")]
    # the launch wrote dst (its write counter advanced), not src
    assert dst.last_writer == scale_into.key and src.last_writer != scale_into.key
    np.testing.assert_allclose(dst.numpy(), 3.0 * np.arange(4))


def test_observer_sees_copies():
    a = wp.array(np.arange(6, dtype=np.float32), device="cpu")
    b = wp.zeros(6, device="cpu")
    with Recorder() as rec:
        wp.copy(b, a, dest_offset=1, src_offset=2, count=3)
        c = wp.clone(a)
        b.assign(np.ones(6, dtype=np.float32))
    assert [(r[0] is b, r[1] is a, r[2:]) for r in rec.copies[:1]] == \
        [(True, True, ("wp.copy()", 1, 2, 3))]
    assert rec.copies[1][0] is c and rec.copies[1][2] == "wp.clone()"
    assert rec.copies[2][0] is b and rec.copies[2][2] == "assign()"
    assert b.last_writer == "assign()"


def test_one_observer_at_a_time():
    with Recorder():
        with pytest.raises(RuntimeError, match="is recording"):
            recording.install(Recorder())
        with pytest.raises(RuntimeError, match="is recording"):
            with wp.Tape():
                pass
    tape = wp.Tape()
    with tape:
        assert recording.current() is tape
        with pytest.raises(RuntimeError, match="tapes cannot be nested"):
            with wp.Tape():
                pass
    assert recording.current() is None


def test_launch_plan_belongs_to_the_kernel():
    plan = scale_into.launch_plan
    assert plan is scale_into.launch_plan
    src_param, dst_param, s_param = plan.params
    assert src_param.is_array and src_param.ndim == 1 and dst_param.is_array
    assert not s_param.is_array and s_param.py_type is float
    src, dst = wp.zeros(2, device="cpu"), wp.zeros(2, device="cpu")
    assert plan.written_arrays([src, dst, 1.0]) == [dst]
    assert [(a is src, where) for a, where in plan.read_arrays([src, dst, 1.0])] == \
        [(True, "src")]
    assert plan.may_access(["dst"]) and not plan.may_access(["other"])
