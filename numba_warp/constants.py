"""Warp's predefined constants, usable in kernels and at Python scope."""

import math

E = e = math.e
INF = math.inf
NAN = math.nan
LOG2E = math.log2(math.e)
LOG10E = math.log10(math.e)
LN2 = math.log(2.0)
LN10 = math.log(10.0)
PHI = (1.0 + math.sqrt(5.0)) / 2.0
PI = pi = math.pi
HALF_PI = math.pi / 2.0
TAU = tau = 2.0 * math.pi

__all__ = ["E", "e", "INF", "NAN", "LOG2E", "LOG10E", "LN2", "LN10", "PHI", "PI", "pi",
           "HALF_PI", "TAU", "tau"]
