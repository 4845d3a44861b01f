"""Warp's predefined constants, usable in kernels and at Python scope.

Each has an upper-case and a lower-case name, as in Warp (``wp.PI`` / ``wp.pi``,
``wp.INF`` / ``wp.inf``, ...). In kernels they are float literals (Warp's float32 next
to float32 values, float64 next to float64 ones).
"""

import math

E = e = math.e
INF = inf = math.inf
NAN = nan = math.nan
LOG2E = log2e = math.log2(math.e)
LOG10E = log10e = math.log10(math.e)
LN2 = ln2 = math.log(2.0)
LN10 = ln10 = math.log(10.0)
PHI = phi = (1.0 + math.sqrt(5.0)) / 2.0
PI = pi = math.pi
HALF_PI = half_pi = math.pi / 2.0
TAU = tau = 2.0 * math.pi

__all__ = ["E", "e", "INF", "inf", "NAN", "nan", "LOG2E", "log2e", "LOG10E", "log10e", "LN2",
           "ln2", "LN10", "ln10", "PHI", "phi", "PI", "pi", "HALF_PI", "half_pi", "TAU", "tau"]
