"""Python-scope arithmetic on Warp scalar values, checked against NVIDIA Warp 1.19.

The table was produced by evaluating each expression with ``import warp as wp`` (Warp
1.19.0, CPU) and recording the result's type name and value (for Warp scalar values,
``.value``): /tmp generator script ``gen_scal.py`` in the issue-11 runtime work, which
prints ``(expression, type(result).__name__, getattr(result, "value", result))``.
Warp returns int32 and float32 results as Python ``int``/``float``.
"""

from __future__ import annotations

import math

import pytest

import numba_warp as wp

WARP_1_19 = [
    ('wp.int8(100) + wp.int8(100)', 'int8', -56),
    ('wp.int8(-128) - wp.int8(1)', 'int8', 127),
    ('wp.int8(-7) / wp.int8(2)', 'int8', -3),
    ('wp.int8(-7) % wp.int8(2)', 'int8', -1),
    ('wp.int8(3) * wp.int8(2)', 'int8', 6),
    ('-wp.int8(-128)', 'int8', -128),
    ('+wp.int8(5)', 'int8', 5),
    ('abs(wp.int8(-5))', 'int8', 5),
    ('abs(wp.int8(-128))', 'int8', 128),
    ('wp.uint8(250) + wp.uint8(10)', 'uint8', 4),
    ('wp.uint8(3) - wp.uint8(5)', 'uint8', 254),
    ('-wp.uint8(3)', 'uint8', 253),
    ('wp.uint16(60000) + wp.uint16(6000)', 'uint16', 464),
    ('wp.int16(30000) + wp.int16(30000)', 'int16', -5536),
    ('wp.uint32(0) - wp.uint32(1)', 'uint32', 4294967295),
    ('wp.uint32(4000000000) + wp.uint32(4000000000)', 'uint32', 3705032704),
    ('-wp.uint32(1)', 'uint32', 4294967295),
    ('wp.int32(2**31 - 1) + 1', 'int', -2147483648),
    ('wp.int32(5) + wp.int32(3)', 'int', 8),
    ('wp.int32(-7) / 2', 'int', -3),
    ('wp.int32(-7) % 2', 'int', -1),
    ('wp.int32(7) % -2', 'int', 1),
    ('wp.int32(3) * 2', 'int', 6),
    ('2 - wp.int32(3)', 'int', -1),
    ('-wp.int32(3)', 'int', -3),
    ('+wp.int32(3)', 'int', 3),
    ('abs(wp.int32(-3))', 'int32', 3),
    ('wp.int64(2**63 - 1) + wp.int64(1)', 'int64', -9223372036854775808),
    ('wp.int64(-7) / wp.int64(2)', 'int64', -3),
    ('wp.uint64(0) - wp.uint64(1)', 'uint64', 18446744073709551615),
    ('-wp.int64(4)', 'int64', -4),
    ('wp.float16(0.1) + wp.float16(0.2)', 'float16', 0.300048828125),
    ('wp.float16(3.0) / wp.float16(7.0)', 'float16', 0.428466796875),
    # a tie between two halves: Warp rounds it away from zero
    ('wp.float16(5.275492379532281) - wp.float16(-4.898619485211566)', 'float16', 10.1796875),
    ('wp.float16(65504.0) * wp.float16(2.0)', 'float16', math.inf),
    ('wp.float16(1.5) ** wp.float16(2.0)', 'float16', 2.25),
    ('-wp.float16(2.0)', 'float16', -2.0),
    ('abs(wp.float16(-1.5))', 'float16', 1.5),
    ('round(wp.float16(2.5))', 'float16', 2),
    ('wp.float32(0.1) + 0.2', 'float', 0.30000001192092896),
    ('wp.float32(2.0) * wp.float32(3.0)', 'float', 6.0),
    ('3.0 - wp.float32(2.0)', 'float', 1.0),
    ('5.0 / wp.float32(2.0)', 'float', 2.5),
    ('wp.float32(1.5) ** 2.0', 'float', 2.25),
    ('2.0 ** wp.float32(1.5)', 'float', 2.8284270763397217),
    ('wp.float32(1e38) * 10.0', 'float', math.inf),
    ('wp.float32(-7.5) % 2.0', 'float', -1.5),
    ('wp.float32(1.5) / 0.0', 'float', math.inf),
    ('-wp.float32(2.5)', 'float', -2.5),
    ('abs(wp.float32(-2.5))', 'float32', 2.5),
    ('round(wp.float32(2.567), 2)', 'float32', 2.57),
    ('wp.float64(0.1) + wp.float64(0.2)', 'float64', 0.30000000000000004),
    ('wp.float64(-7.5) % wp.float64(2.0)', 'float64', -1.5),
    ('wp.float64(1.5) ** wp.float64(2.0)', 'float64', 2.25),
    ('wp.float64(1.5) / wp.float64(0.0)', 'float64', math.inf),
    ('-wp.float64(2.0)', 'float64', -2.0),
    ('wp.int8(3) < 5.5', 'bool', True),
    ('wp.int32(3) == wp.float32(3.0)', 'bool', True),
    ('wp.float32(0.1) == 0.1', 'bool', True),
    ('wp.int8(200) == 200', 'bool', True),
    ('wp.int32(5) < wp.uint8(7)', 'bool', True),
    ('wp.float16(1.5) >= 1.5', 'bool', True),
    ('str(wp.int8(200))', 'str', '-56'),
    ('repr(wp.int8(200))', 'str', 'int8(-56)'),
    ('repr(wp.float32(0.1))', 'str', 'float32(0.1)'),
    ('wp.int8(200).value', 'int', 200),
    ('int(wp.int8(200))', 'int', 200),
    ('wp.int8(200).__index__()', 'int', -56),
    ('float(wp.float32(0.1))', 'float', 0.1),
    ('bool(wp.int8(0))', 'bool', False),
    ('hash(wp.int8(200))', 'int', 200),
]


@pytest.mark.parametrize("expr,type_name,value", WARP_1_19, ids=[r[0] for r in WARP_1_19])
def test_matches_warp(expr, type_name, value):
    got = eval(expr, {"wp": wp})
    assert type(got).__name__ == type_name
    got_value = getattr(got, "value", got)
    if isinstance(value, float) and math.isinf(value):
        assert math.isinf(got_value) and (got_value > 0) == (value > 0)
    else:
        assert got_value == value and type(got_value) is type(value)


# Where Warp 1.19 raises (no builtin for the mix), numba_warp computes what a kernel
# computes: a Python number adopts the Warp operand's type, integers wrap, / truncates.
@pytest.mark.parametrize("expr,type_name,value", [
    ("wp.int8(100) + 100", "int8", -56),
    ("7 // wp.int8(2)", "int8", 3),
    ("wp.uint8(200) * 2", "uint8", 144),
    ("wp.int8(3) + wp.int32(4)", "int", 7),  # the wider type: int32, a Python int
    ("wp.int32(-1) + wp.uint32(0)", "uint32", 4294967295),  # unsigned at equal width
    ("wp.float16(1.5) + 1", "float16", 2.5),
    ("wp.float64(1.5) ** 2", "float64", 2.25),
    ("wp.int32(3) * 2.5", "float", 7.5),  # an integer type with a Python float
    ("wp.int16(5) // 0", "int16", 0),  # as in kernels: no trap
    ("wp.uint8(1) << 9", "uint8", 2),  # the shift count is taken modulo the width
])
def test_kernel_semantics_where_warp_raises(expr, type_name, value):
    got = eval(expr, {"wp": wp})
    assert type(got).__name__ == type_name
    assert getattr(got, "value", got) == value


def test_errors():
    with pytest.raises(TypeError):
        wp.int32(2) ** 2  # no integer power (Warp: TypeError too)
    with pytest.raises(TypeError):
        round(wp.int8(3))
    with pytest.raises(TypeError, match="string"):
        wp.int32("3")
    with pytest.raises(TypeError):
        wp.bool(True) + 1  # wp.bool is not a number type (Warp: TypeError)
