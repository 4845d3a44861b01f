"""Gradient-table rows: the noise functions (see gradtable.py).

Noise is evaluated in float32, so the central differences take larger steps and the
tolerance is looser. The inputs are standard normal, so pnoise is also checked at
negative coordinates. curlnoise's rows with ``p1`` arguments check the gradients in
lacunarity and gain too (Warp gives those none). Random draws are not differentiable
(marked in random_ops).
"""

from .gradtable import Row

_S = "c:wp.uint32(42)"
_F32 = dict(eps=1e-3, tol=3e-3)

ROWS = [
    Row("noise", [_S, "f"], "f", **_F32),
    Row("noise", [_S, "v2"], "f", **_F32),
    Row("noise", [_S, "v3"], "f", **_F32),
    Row("noise", [_S, "v4"], "f", **_F32),
    Row("pnoise", [_S, "f", "c:3"], "f", **_F32),
    Row("pnoise", [_S, "v2", "c:3", "c:2"], "f", **_F32),
    Row("pnoise", [_S, "v3", "c:2", "c:4", "c:3"], "f", **_F32),
    Row("pnoise", [_S, "v4", "c:3", "c:2", "c:5", "c:4"], "f", **_F32),
    Row("curlnoise", [_S, "v2"], "v2", **_F32),
    Row("curlnoise", [_S, "v3"], "v3", **_F32),
    Row("curlnoise", [_S, "v4"], "v3", **_F32),
    Row("curlnoise", [_S, "v3", "c:2", "p1", "p1"], "v3", key="curlnoise(v3, lacunarity, gain)",
        **_F32),
    Row("curlnoise", [_S, "v2", "c:3", "p1", "p1"], "v2", key="curlnoise(v2, lacunarity, gain)",
        **_F32),
    Row("curlnoise", [_S, "v4", "c:wp.uint32(3)", "p1", "p1"], "v3",
        key="curlnoise(v4, lacunarity, gain)", **_F32),
    Row("curlnoise", [_S, "v4", "c:octaves=2", "c:gain=0.4"], "v3",
        key="curlnoise(v4, octaves=, gain=)", **_F32),
]
