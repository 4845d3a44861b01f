"""Gradient-table rows: Scalar Math and the operator forms (see gradtable.py)."""

from .gradtable import Row

ROWS = [
    Row("sqrt", ["f+"], "f"), Row("cbrt", ["f+"], "f"), Row("exp", ["u"], "f"),
    Row("log", ["f+"], "f"), Row("log2", ["f+"], "f"), Row("log10", ["f+"], "f"),
    Row("sin", ["f"], "f"), Row("cos", ["f"], "f"), Row("tan", ["u"], "f"),
    Row("asin", ["u"], "f"), Row("acos", ["u"], "f"), Row("atan", ["f"], "f"),
    Row("atan2", ["f", "f+"], "f"),
    Row("atan2", ["f"], "f", key="atan2(0, 0)", body=["z = {0} * wp.float64(0.0)",
                                                       "r = wp.atan2(z, z) + {0}"]), Row("sinh", ["u"], "f"), Row("cosh", ["u"], "f"),
    Row("tanh", ["f"], "f"), Row("erf", ["u"], "f"), Row("erfc", ["u"], "f"),
    Row("erfinv", ["u"], "f", tol=1e-4), Row("erfcinv", ["p1"], "f", tol=1e-4),
    Row("pow", ["f+", "f"], "f"), Row("abs", ["f"], "f"), Row("abs", ["v3"], "v3"),
    Row("sign", ["f"], "f"), Row("min", ["f", "f"], "f"), Row("max", ["f", "f"], "f"),
    Row("min", ["v3", "v3"], "v3"), Row("max", ["v3", "v3"], "v3"),
    Row("min", ["v4"], "f"), Row("max", ["v4"], "f"),
    Row("clamp", ["f", "c:-0.5", "c:0.5"], "f"),
    Row("clamp", ["u", "c:-0.3", "f+"], "f", key="clamp(x, lo, hi)"),
    Row("step", ["f"], "f"), Row("nonzero", ["f"], "f"), Row("degrees", ["f"], "f"),
    Row("radians", ["f"], "f"), Row("floor", ["f"], "f"), Row("ceil", ["f"], "f"),
    Row("trunc", ["f"], "f"), Row("round", ["f"], "f"), Row("rint", ["f"], "f"),
    Row("frac", ["f"], "f"), Row("copysign", ["f", "f"], "f"),
    Row("lerp", ["f", "f", "u"], "f"), Row("smoothstep", ["c:-2.0", "c:2.0", "u"], "f"),
    Row("smoothstep", ["c:-1.5", "f+", "u"], "f", key="smoothstep(a, b, x)"),
    Row("div", ["f", "f+"], "f"), Row("mod", ["f", "f+"], "f"), Row("add", ["f", "f"], "f"),
    # the divisor's gradient is -trunc(a / b) (Warp: 0): several turns, either sign
    Row("mod", ["f", "f+"], "f", key="mod(5 a, -b)",
        body=["r = wp.mod({0} * wp.float64(5.0), -{1})"]),
    Row("mod", ["f", "f+"], "f", key="5 a % b", body=["r = {0} * wp.float64(5.0) % {1}"]),
    Row("sub", ["v3", "v3"], "v3"), Row("mul", ["f", "v3"], "v3"),
    Row("mul", ["m33", "v3"], "v3"), Row("mul", ["m33", "m33"], "m33"),
    Row("mul", ["v3", "m33"], "v3"), Row("mul", ["v3", "f"], "v3"),
    Row("neg", ["v3"], "v3"), Row("pos", ["f"], "f"), Row("div_approx", ["f", "f+"], "f"),
    # vector overloads of the scalar builtins (lowering/composite_math.py)
    Row("sign", ["v3"], "v3", key="sign(v3)"), Row("mod", ["v3", "v3+"], "v3"),
]
