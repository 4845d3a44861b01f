"""``print`` and ``wp.printf`` in kernels print what Warp prints.

The expected text is Warp 1.19's output for the same kernel on the CPU (C's printf, as
here): ``%g`` for floats, ``%d``/``%u``/``%lld`` for integers, True/False, vector and
matrix components followed by a space, quaternions and transforms in their own formats.
"""

import ctypes

import pytest

import numba_warp as wp

_libc = ctypes.CDLL(None)


@wp.struct
class Pair:
    a: float
    b: int


@wp.kernel
def prints(x: float, i: int):
    print(x)
    print(i)
    print(wp.uint8(200))
    print(x > 1.0)
    print(wp.float64(2.25))
    print(wp.float16(0.5))
    print(wp.vec3(1.0, 2.5, -3.0))
    print(wp.vec2i(3, 4))
    print(wp.mat22(1.0, 2.0, 3.0, 4.0))
    print(wp.quat_identity())
    print("hello 100%")
    print(wp.int64(123456789012))
    print(wp.transform_identity())
    print(Pair())
    wp.printf("%d %f %s\n", i, x, "str")
    wp.printf("i=%d u=%u x=%f d=%f\n", i, wp.uint32(7), x, wp.float64(2.25))
    wp.printf("%lld %g %e\n", wp.int64(1) << wp.int64(40), x, x)
    wp.printf("no args\n")
    wp.printf("%d\n", x > 1.0)


WARP_OUTPUT = """1.5
42
200
True
2.25
0.5
1 2.5 -3 
3 4 
1 2 
3 4 
0 0 0 1
hello 100%
123456789012
(0 0 0) (0 0 0 1)
<type without print implementation>
42 1.500000 str
i=42 u=7 x=1.500000 d=2.250000
1099511627776 1.5 1.500000e+00
no args
1
"""


def test_print_and_printf_write_warps_text(device, capfd):
    capfd.readouterr()
    wp.launch(prints, dim=1, inputs=[1.5, 42], device=device)
    wp.synchronize_device(device)
    _libc.fflush(None)  # C's stdout is buffered when it is not a terminal
    assert capfd.readouterr().out == WARP_OUTPUT


def test_print_takes_one_value(device):
    @wp.kernel
    def two_values(x: float):
        print(x, x)  # MARK-two

    with pytest.raises(wp.WarpCodegenError) as info:
        wp.launch(two_values, dim=1, inputs=[1.0], device=device)
    msg = str(info.value)
    assert "one value" in msg and "wp.printf" in msg and "MARK-two" in msg
