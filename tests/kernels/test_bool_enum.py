"""``and``/``or`` on numbers, and enum members as kernel constants, with Warp's results.

Expected values are Warp 1.19's, from the same kernels run with ``import warp`` on the
CPU: ``a and b`` / ``a or b`` give a *bool* (C's ``&&``/``||`` on the operands' truth
values), evaluated left to right only as far as needed; ``IntEnum``/``IntFlag`` members
are int32 constants; a plain ``enum.Enum`` member is refused (its ``.value`` is fine).
"""

import enum

import numpy as np
import pytest

import numba_warp as wp


@wp.func
def bump(a: wp.array(dtype=float), k: int, v: float):
    a[k] = a[k] + 1.0
    return v


@wp.kernel
def bool_operators(x: wp.array(dtype=float), out: wp.array(dtype=float),
                   side: wp.array(dtype=float)):
    a = x[0]  # 0.5
    b = x[1]  # 2.0
    z = x[2]  # 0.0
    out[0] = float(a and b)
    out[1] = float(a or b)
    out[2] = float(z or b)
    out[3] = float(z and b)
    i = int(a * 6.0)  # 3
    j = int(z)  # 0
    out[4] = float(i and 7)
    out[5] = float(j or 7)
    out[6] = float(j or 0)
    out[7] = float(wp.nan and 1.0)  # NaN is true, as in C and Python
    c = a and b
    out[8] = wp.where(c, 1.0, -1.0)
    # short-circuit: which operands run, in order
    p = bump(side, 1, 0.0) and bump(side, 2, 1.0)
    q = bump(side, 3, 1.0) or bump(side, 4, 1.0)
    r = bump(side, 5, 0.0) or bump(side, 6, 2.0) or bump(side, 7, 3.0)
    out[9] = float(p) + 10.0 * float(q) + 100.0 * float(r)
    if a > 0.0 and not (z > 0.0):
        out[10] = 1.0


def test_and_or_give_bools_and_short_circuit(device):
    x = wp.array([0.5, 2.0, 0.0], dtype=float, device=device)
    out = wp.zeros(11, dtype=float, device=device)
    side = wp.zeros(8, dtype=float, device=device)
    wp.launch(bool_operators, dim=1, inputs=[x, out, side], device=device)
    # Warp 1.19: [1, 1, 1, 0, 1, 1, 0, 1, 1, 110, 1] and side effects [0,1,0,1,0,1,1,0]
    np.testing.assert_array_equal(out.numpy(), [1, 1, 1, 0, 1, 1, 0, 1, 1, 110, 1])
    np.testing.assert_array_equal(side.numpy(), [0, 1, 0, 1, 0, 1, 1, 0])


class Color(enum.IntEnum):
    RED = 1
    GREEN = 2
    BLUE = 7


class Flags(enum.IntFlag):
    A = 1
    B = 2
    C = 4


class Shape(enum.Enum):
    BOX = 3


@wp.func
def times_ten(x: int):
    return x * 10


@wp.kernel
def enum_constants(c_arg: int, out: wp.array(dtype=float), outi: wp.array(dtype=wp.int32)):
    c = Color.BLUE
    out[0] = float(c)
    if c == Color.BLUE:
        out[1] = 1.0
    out[2] = float(times_ten(Color.GREEN))  # an int32 argument
    out[3] = float(Color.RED + Color.GREEN)
    out[4] = float(Color.BLUE.value)
    out[5] = float(c / 2)  # int32 division truncates
    f = Flags.A | Flags.C
    out[6] = float(f)
    if f & Flags.C:
        out[7] = 1.0
    out[8] = float(Shape.BOX.value)
    if c_arg == Color.GREEN:
        out[9] = 1.0
    out[10] = float(wp.static(Color.BLUE))
    for k in range(int(Color.GREEN)):
        out[11] += 1.0
    outi[0] = Color.BLUE * 2147483647  # int32 arithmetic wraps, as in Warp


def test_enum_members_are_int32_constants(device):
    out = wp.zeros(12, dtype=float, device=device)
    outi = wp.zeros(1, dtype=wp.int32, device=device)
    wp.launch(enum_constants, dim=1, inputs=[Color.GREEN, out, outi], device=device)
    np.testing.assert_array_equal(out.numpy(), [7, 1, 20, 3, 7, 3, 5, 1, 3, 1, 7, 2])
    assert outi.numpy()[0] == 2147483641  # Warp 1.19: 7 * (2**31 - 1) wrapped to int32


def uses_plain_enum_member(out: wp.array(dtype=float)):
    out[0] = float(Shape.BOX)  # MARK-enum


def test_plain_enum_member_is_refused_at_its_line(device):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        k = wp.kernel(uses_plain_enum_member)
    with pytest.raises(wp.WarpCodegenError) as info:
        wp.launch(k, dim=1, inputs=[wp.zeros(1, dtype=float, device=device)], device=device)
    msg = str(info.value)
    assert "Shape.BOX" in msg and "IntEnum" in msg and ".value" in msg
    assert "test_bool_enum.py" in msg and "MARK-enum" in msg
