"""Warp's Perlin noise builtins: ``noise``, ``pnoise`` and ``curlnoise``, with adjoints.

Contract: the same values as NVIDIA Warp 1.19 (``warp/native/noise.h``) for the same
state and coordinates, computed in float32 with the same operations in the same order
(equal on the CPU up to rounding of a fused multiply-add or a square root; within float
tolerance on CUDA). None of them advances the state: it selects the field.

* Lattice: for a coordinate ``x`` the cell is ``i0 = floor(x)``, ``i1 = i0 + 1`` and the
  offset ``d = x - floor(x)``. Each corner's gradient comes from the state
  ``(i_x * 73856093) ^ (i_y * 19349663) ^ ... ^ (i_last * p_last + state)`` (wrapping
  uint32, primes 73856093, 19349663, 53471161, 10000019): in 1D ``randf(h, -1, 1)``, in
  2-4D the normalised ``sample_unit_square/cube/hypercube(h)``. A corner's value is
  ``dot(d - corner, g)``; corners are blended axis by axis (x first) with
  ``(b - a) * S(t) + a`` and the quintic ``S(t) = 6t^5 - 15t^4 + 10t^3``.
* ``pnoise`` wraps lattice indices by their periods. For coordinates >= 0 that is
  Warp's field; for negative coordinates Warp's C remainder breaks the periodicity, and
  ours (a floor modulo, ``i mod |period|``) keeps it. A zero period does not wrap (Warp
  divides by zero). See docs/coming_from_warp.md, "Random numbers and noise".
* ``curlnoise(state, p, octaves=1, lacunarity=2.0, gain=0.5)``: with ``freq_i =
  lacunarity**i`` and ``amp_i = gain**i``, 2D returns ``(-G[1], G[0])`` for ``G = sum_i
  amp_i grad N(freq_i p)``; 3D/4D sum the gradients of three fields N1, N2, N3 per octave
  (states ``s``, ``s2 = rand_init(s, 10019689)``, ``s3 = rand_init(s2, 13112221)``, and
  the next octave starts from ``s3``) and return ``(G3.y - G2.z, G1.z - G3.x,
  G2.x - G1.y)``. The gradients are taken with respect to the scaled point.

Adjoints: ``noise`` and ``pnoise`` get the analytic gradient; ``curlnoise`` (built from
first derivatives) the analytic Hessians, chained through ``freq_i p``, and also exact
gradients for ``lacunarity`` and ``gain`` (Warp gives those none). State, periods and
octaves get none.

All three evaluate one *jet* recursion: a corner gives the value, or (value, gradient),
or (value, gradient, Hessian rows), and the same blend tree composes any of them.
"""

from __future__ import annotations

import math

import numpy as np
from numba.core import types

from ..typing.mat import flat_set
from ..typing.scalars import scalar_types
from ..typing.vec import VectorValue, VecType, vector_class
from .builtin import adjoint, implements
from .random_ops import (
    F32,
    dual,
    python_value,
    rand_init_offset,
    scalar_arg,
    u32,
    uniform_next,
)

__all__ = ["curlnoise", "noise", "pnoise"]

V2 = vector_class(2, scalar_types["float32"])
V3 = vector_class(3, scalar_types["float32"])
V4 = vector_class(4, scalar_types["float32"])
V4I = vector_class(4, scalar_types["int32"])

_P1, _P2, _P3, _P4 = 73856093, 19349663, 53471161, 10000019
_CURL_OFFSET2, _CURL_OFFSET3 = 10019689, 13112221
_ZERO, _HALF, _ONE, _TWO = F32(0.0), F32(0.5), F32(1.0), F32(2.0)


# ---------------------------------------------------------------------------------------
# Lattice gradients and corners
# ---------------------------------------------------------------------------------------


@dual
def _zero4():
    return V4(_ZERO, _ZERO, _ZERO, _ZERO)


@dual
def _axis4(k, s):
    """``s`` times the unit vector along axis ``k``."""
    return V4(s if k == 0 else _ZERO, s if k == 1 else _ZERO, s if k == 2 else _ZERO,
              s if k == 3 else _ZERO)


@dual
def _corner_hash(state, i0, i1, i2, i3, n):
    """Warp's ``ix * p1 ^ iy * p2 ^ ... ^ i_last * p_last + state`` (``+`` binds first)."""
    if n == 1:
        return u32(i0 * _P1 + state)
    if n == 2:
        return u32((i0 * _P1) ^ (i1 * _P2 + state))
    if n == 3:
        return u32((i0 * _P1) ^ (i1 * _P2) ^ (i2 * _P3 + state))
    return u32((i0 * _P1) ^ (i1 * _P2) ^ (i2 * _P3) ^ (i3 * _P4 + state))


@dual
def _lattice_gradient(state, i0, i1, i2, i3, n):
    """The gradient at a lattice point, a vec4f (zero past the ``n`` used axes)."""
    h = _corner_hash(state, i0, i1, i2, i3, n)
    h, u = uniform_next(h)
    if n == 1:
        return V4(_TWO * u + F32(-1.0), _ZERO, _ZERO, _ZERO)  # randf(h, -1, 1)
    c0 = u - _HALF
    h, u = uniform_next(h)
    c1 = u - _HALF
    c2, c3 = _ZERO, _ZERO
    if n >= 3:
        h, u = uniform_next(h)
        c2 = u - _HALF
    if n == 4:
        h, u = uniform_next(h)
        c3 = u - _HALF
    sq = c0 * c0 + c1 * c1
    if n >= 3:
        sq = sq + c2 * c2
    if n == 4:
        sq = sq + c3 * c3
    norm = F32(math.sqrt(sq))
    if not norm > _ZERO:
        return _zero4()
    return V4(c0 / norm, c1 / norm, c2 / norm if n >= 3 else _ZERO,
              c3 / norm if n == 4 else _ZERO)


@dual
def _corner(state, lo, hi, d, dims, bits):
    """(value, gradient) of corner ``bits`` (bit k set: the upper index along axis k)."""
    n = len(dims)
    b0, b1, b2, b3 = bits & 1, (bits >> 1) & 1, (bits >> 2) & 1, (bits >> 3) & 1
    g = _lattice_gradient(state, hi[0] if b0 else lo[0], hi[1] if b1 else lo[1],
                          hi[2] if b2 else lo[2], hi[3] if b3 else lo[3], n)
    v = (d[0] - _ONE if b0 else d[0]) * g[0]
    if n > 1:
        v = v + (d[1] - _ONE if b1 else d[1]) * g[1]
    if n > 2:
        v = v + (d[2] - _ONE if b2 else d[2]) * g[2]
    if n > 3:
        v = v + (d[3] - _ONE if b3 else d[3]) * g[3]
    return v, g


# ---------------------------------------------------------------------------------------
# Jets: order 0 a float32, order 1 (value, gradient), order 2 (value, gradient, rows)
# ---------------------------------------------------------------------------------------


@dual
def _fade(t):
    return t * t * t * (t * (t * F32(6.0) - F32(15.0)) + F32(10.0))


@dual
def _dfade(t):
    return F32(30.0) * t * t * (t * (t - _TWO) + _ONE)


@dual
def _ddfade(t):
    return F32(60.0) * t * (t * (t * _TWO - F32(3.0)) + _ONE)


@dual
def _leaf0(state, lo, hi, d, dims, bits):
    return _corner(state, lo, hi, d, dims, bits)[0]


@dual
def _leaf1(state, lo, hi, d, dims, bits):
    return _corner(state, lo, hi, d, dims, bits)


@dual
def _leaf2(state, lo, hi, d, dims, bits):
    v, g = _corner(state, lo, hi, d, dims, bits)
    z = _zero4()
    return v, g, (z, z, z, z)  # corner values are linear in the point


@dual
def _compose0(a, b, k, t):
    return (b - a) * _fade(t) + a


@dual
def _compose1(a, b, k, t):
    """Warp's interpolate_gradient: ((dg S) + (dv S') e_k) + grad a."""
    dv, s = b[0] - a[0], _fade(t)
    return dv * s + a[0], (b[1] - a[1]) * s + _axis4(k, dv * _dfade(t)) + a[1]


@dual
def _hess_row(ha, hb, i, k, s, ds1, dg, dv2):
    """Row ``i`` of the blended Hessian (Warp's noise_level_compose, same order)."""
    row = ha + (hb - ha) * s + _axis4(k, dg[i] * ds1)
    if i == k:
        row = row + dg * ds1 + _axis4(k, dv2)
    return row


@dual
def _compose2(a, b, k, t):
    s, s1, s2 = _fade(t), _dfade(t), _ddfade(t)
    dv, dg = b[0] - a[0], b[1] - a[1]
    grad = a[1] + dg * s + _axis4(k, dv * s1)
    ha, hb = a[2], b[2]
    rows = (_hess_row(ha[0], hb[0], 0, k, s, s1, dg, dv * s2),
            _hess_row(ha[1], hb[1], 1, k, s, s1, dg, dv * s2),
            _hess_row(ha[2], hb[2], 2, k, s, s1, dg, dv * s2),
            _hess_row(ha[3], hb[3], 3, k, s, s1, dg, dv * s2))
    return a[0] + dv * s, grad, rows


_LEAVES, _COMPOSES = (_leaf0, _leaf1, _leaf2), (_compose0, _compose1, _compose2)


def _order(jet):
    """A jet template's order (0, 1 or 2), from a Python value or a Numba type."""
    if isinstance(jet, (tuple, types.BaseTuple)):
        return len(jet) - 1
    return 0


def _leaf(state, lo, hi, d, dims, bits, jet):
    return _LEAVES[_order(jet)](state, lo, hi, d, dims, bits)


def _compose(a, b, k, t):
    return _COMPOSES[_order(a)](a, b, k, t)


@implements(_leaf)
def _ol_leaf(state, lo, hi, d, dims, bits, jet):
    leaf = _LEAVES[_order(jet)]
    return lambda state, lo, hi, d, dims, bits, jet: leaf(state, lo, hi, d, dims, bits)


@implements(_compose)
def _ol_compose(a, b, k, t):
    return _COMPOSES[_order(a)]


# The blend tree: level m blends along axis m-1 the two level m-1 jets of the corners
# that differ in bit m-1 (Warp's order: x pairs first, then y, z, t). ``dims`` is a tuple
# of N zeros: its length, the noise dimension, is known when Numba types the call, so
# only the levels used are compiled.


@dual
def _level1(state, lo, hi, d, dims, bits, jet):
    return _compose(_leaf(state, lo, hi, d, dims, bits, jet),
                    _leaf(state, lo, hi, d, dims, bits | 1, jet), 0, d[0])


@dual
def _level2(state, lo, hi, d, dims, bits, jet):
    return _compose(_level1(state, lo, hi, d, dims, bits, jet),
                    _level1(state, lo, hi, d, dims, bits | 2, jet), 1, d[1])


@dual
def _level3(state, lo, hi, d, dims, bits, jet):
    return _compose(_level2(state, lo, hi, d, dims, bits, jet),
                    _level2(state, lo, hi, d, dims, bits | 4, jet), 2, d[2])


@dual
def _level4(state, lo, hi, d, dims, bits, jet):
    return _compose(_level3(state, lo, hi, d, dims, bits, jet),
                    _level3(state, lo, hi, d, dims, bits | 8, jet), 3, d[3])


_LEVELS = {1: _level1, 2: _level2, 3: _level3, 4: _level4}
_DIMS = {n: (0,) * n for n in _LEVELS}


def _field(state, lo, hi, d, dims, jet):
    """The noise jet of field ``state`` in the cell (lo, hi) at offset ``d``."""
    return _LEVELS[len(dims)](state, lo, hi, d, dims, 0, jet)


@implements(_field)
def _ol_field(state, lo, hi, d, dims, jet):
    level = _LEVELS[len(dims)]
    return lambda state, lo, hi, d, dims, jet: level(state, lo, hi, d, dims, 0, jet)


@dual
def _axis_cell(x, period):
    """(lower index, upper index, offset) along one axis; ``period != 0`` wraps."""
    x = F32(x)
    fl = math.floor(x)  # an integer on the CPU, a float on CUDA
    i0 = int(fl)
    off = x - F32(fl)
    if period == 0:
        return i0, i0 + 1, off
    p = abs(period)
    i0 = i0 % p  # floor modulo: periodic for negative coordinates too
    return i0, (i0 + 1) % p, off


@dual
def _cell(p, periods):
    """The lattice cell of the vec4 ``p``: (lower V4I, upper V4I, offsets V4)."""
    a0, b0, d0 = _axis_cell(p[0], periods[0])
    a1, b1, d1 = _axis_cell(p[1], periods[1])
    a2, b2, d2 = _axis_cell(p[2], periods[2])
    a3, b3, d3 = _axis_cell(p[3], periods[3])
    return V4I(a0, a1, a2, a3), V4I(b0, b1, b2, b3), V4(d0, d1, d2, d3)


@dual
def _noise_jet(state, p, periods, dims, jet):
    lo, hi, d = _cell(p, periods)
    return _field(u32(state), lo, hi, d, dims, jet)


@dual
def _grad_jet():
    return _ZERO, _zero4()


@dual
def _hess_jet():
    z = _zero4()
    return _ZERO, z, (z, z, z, z)


@dual
def _no_periods():
    return V4I(0, 0, 0, 0)


# ---------------------------------------------------------------------------------------
# Curl noise
# ---------------------------------------------------------------------------------------


@dual
def _curl2(state, p, octaves, lacunarity, gain):
    total, freq, amp = _zero4(), _ONE, _ONE
    lac, gn = F32(lacunarity), F32(gain)
    s = u32(state)
    for _ in range(int(octaves)):
        lo, hi, d = _cell(p * freq, _no_periods())
        total = total + _field(s, lo, hi, d, (0, 0), _grad_jet())[1] * amp
        amp = amp * gn
        freq = freq * lac
    return V2(_ZERO - total[1], total[0])


@dual
def _next_fields(s):
    """The states of an octave's second and third field, from its first."""
    s2 = rand_init_offset(s, _CURL_OFFSET2)
    return s2, rand_init_offset(s2, _CURL_OFFSET3)


@dual
def _curl3(state, p, dims, octaves, lacunarity, gain):
    g1, g2, g3 = _zero4(), _zero4(), _zero4()
    freq, amp = _ONE, _ONE
    lac, gn = F32(lacunarity), F32(gain)
    s1 = u32(state)
    for _ in range(int(octaves)):
        lo, hi, d = _cell(p * freq, _no_periods())
        s2, s3 = _next_fields(s1)
        g1 = g1 + _field(s1, lo, hi, d, dims, _grad_jet())[1] * amp
        g2 = g2 + _field(s2, lo, hi, d, dims, _grad_jet())[1] * amp
        g3 = g3 + _field(s3, lo, hi, d, dims, _grad_jet())[1] * amp
        s1 = s3  # Warp carries the third field's state into the next octave
        amp = amp * gn
        freq = freq * lac
    return V3(g3[1] - g2[2], g1[2] - g3[0], g2[0] - g1[1])


# ---------------------------------------------------------------------------------------
# Public builtins
# ---------------------------------------------------------------------------------------


_PAD = {1: dual(lambda x: V4(F32(x), _ZERO, _ZERO, _ZERO)),
        2: dual(lambda v: V4(v, _ZERO, _ZERO)),
        3: dual(lambda v: V4(v, _ZERO)),
        4: dual(lambda v: V4(v))}
_PERIODS = {1: dual(lambda a: V4I(a, 0, 0, 0)),
            2: dual(lambda a, b: V4I(a, b, 0, 0)),
            3: dual(lambda a, b, c: V4I(a, b, c, 0)),
            4: dual(lambda a, b, c, d: V4I(a, b, c, d))}


def _dims(p):
    """Noise dimension of a coordinate: a Numba type or a Python-scope value (or None)."""
    if isinstance(p, VecType):
        return p.length if p.kind == "vector" and 2 <= p.length <= 4 else None
    if isinstance(p, VectorValue):
        return len(p) if 2 <= len(p) <= 4 else None
    if isinstance(p, (types.Integer, types.Float, int, float, np.generic)):
        return 1
    return None


def noise(state, p):
    """Perlin noise at ``p`` (float, vec2, vec3 or vec4), a float32; Warp's field for the
    same state. Zero at lattice points. ``state`` selects the field and is not advanced.

    Example
    -------
    >>> state = wp.rand_init(42)
    >>> round(wp.noise(state, 0.5), 4), round(wp.noise(state, wp.vec3(0.5, 0.25, 0.125)), 4)
    (0.2426, 0.3824)
    >>> wp.noise(state, wp.vec2(1.0, 2.0)) == 0.0  # zero at lattice points
    True
    """
    state, p = scalar_arg(state), scalar_arg(p)
    n = _dims(p)
    if n is None:
        raise TypeError(f"noise() takes a float or a vec2/vec3/vec4 coordinate, got {p!r}")
    return python_value(_noise_jet(state, _PAD[n](p), _no_periods(), _DIMS[n], _ZERO))


@implements(noise)
def _ol_noise(state, p):
    n = _dims(p)
    if n is not None and isinstance(state, types.Integer):
        pad, dims = _PAD[n], _DIMS[n]
        return lambda state, p: _noise_jet(state, pad(p), _no_periods(), dims, _ZERO)


def pnoise(state, p, *periods):
    """Periodic Perlin noise: ``pnoise(state, x, px)``, ``pnoise(state, xy, px, py)``, ...
    up to 4D; the field repeats with the integer period along each axis.

    Example
    -------
    >>> state = wp.rand_init(42)
    >>> a = wp.pnoise(state, wp.vec2(0.5, 0.25), 4, 4)
    >>> b = wp.pnoise(state, wp.vec2(4.5, 0.25), 4, 4)  # one period (4) further along x
    >>> round(a, 4), a == b
    (0.3151, True)
    """
    state, p = scalar_arg(state), scalar_arg(p)
    n = _dims(p)
    periods = tuple(int(scalar_arg(q)) for q in periods)
    if n is None or len(periods) != n:
        raise TypeError("pnoise() takes a coordinate of N components and N periods")
    return python_value(_noise_jet(state, _PAD[n](p), _PERIODS[n](*periods), _DIMS[n], _ZERO))


@implements(pnoise)
def _ol_pnoise(state, p, *periods):
    n = _dims(p)
    if n is not None and len(periods) == n and isinstance(state, types.Integer):
        pad, per, dims = _PAD[n], _PERIODS[n], _DIMS[n]
        return lambda state, p, *periods: _noise_jet(state, pad(p), per(*periods), dims,
                                                     _ZERO)


def curlnoise(state, p, octaves=1, lacunarity=2.0, gain=0.5):
    """Divergence-free noise field: for a vec2 the rotated fBm gradient of Perlin noise (a
    vec2f), for a vec3 or vec4 the curl of three fBm potentials (a vec3f; the 4th
    component is time). ``state`` selects the field and is not advanced.

    Example
    -------
    >>> state = wp.rand_init(42)
    >>> [round(x, 4) for x in wp.curlnoise(state, wp.vec2(0.5, 0.25))]
    [0.2771, 0.051]
    >>> [round(x, 4) for x in wp.curlnoise(state, wp.vec3(0.5, 0.25, 0.125), octaves=3)]
    [-0.25, 0.48, -0.7542]
    """
    state, p = scalar_arg(state), scalar_arg(p)
    n = _dims(p)
    if n is None or n == 1:
        raise TypeError(f"curlnoise() takes a vec2, vec3 or vec4 coordinate, got {p!r}")
    octaves, lacunarity, gain = (scalar_arg(a) for a in (octaves, lacunarity, gain))
    q = _PAD[n](p)
    if n == 2:
        return _curl2(state, q, octaves, lacunarity, gain)
    return _curl3(state, q, _DIMS[n], octaves, lacunarity, gain)


@implements(curlnoise)
def _ol_curlnoise(state, p, octaves=1, lacunarity=2.0, gain=0.5):
    n = _dims(p)
    if n is None or n == 1 or not isinstance(state, types.Integer):
        return None
    pad, dims = _PAD[n], _DIMS[n]
    if n == 2:
        return lambda state, p, octaves=1, lacunarity=2.0, gain=0.5: _curl2(
            state, pad(p), octaves, lacunarity, gain)
    return lambda state, p, octaves=1, lacunarity=2.0, gain=0.5: _curl3(
        state, pad(p), dims, octaves, lacunarity, gain)


# ---------------------------------------------------------------------------------------
# Adjoints
# ---------------------------------------------------------------------------------------


@dual
def _dot4(a, b):
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2] + a[3] * b[3]


@dual
def _octave_step(acc, v, rg, p, amp, freq, damp, dfreq):
    """Add one octave to (d/dp, d/dgain, d/dlacunarity): ``v`` is d<adj, R(grad N)>/dq at
    q = freq p and ``rg`` = <adj, R(grad N)>, for the octave's curl map R."""
    return (acc[0] + v * (amp * freq), acc[1] + damp * rg,
            acc[2] + amp * dfreq * _dot4(v, p))


@dual
def _curl2_adj(state, p, dims, octaves, lacunarity, gain, adj):
    """(d/dp, d/dgain, d/dlacunarity) of <_curl2(...), adj>; R(g) = (-g[1], g[0])."""
    a0, a1 = F32(adj[0]), F32(adj[1])
    lac, gn = F32(lacunarity), F32(gain)
    acc = (_zero4(), _ZERO, _ZERO)
    freq, amp, dfreq, damp = _ONE, _ONE, _ZERO, _ZERO  # dfreq = d freq / d lacunarity ...
    s = u32(state)
    for _ in range(int(octaves)):
        lo, hi, d = _cell(p * freq, _no_periods())
        _, g, h = _field(s, lo, hi, d, (0, 0), _hess_jet())
        acc = _octave_step(acc, h[0] * a1 - h[1] * a0, a1 * g[0] - a0 * g[1], p, amp, freq,
                           damp, dfreq)
        dfreq, freq = dfreq * lac + freq, freq * lac
        damp, amp = damp * gn + amp, amp * gn
    return acc


@dual
def _curl3_adj(state, p, dims, octaves, lacunarity, gain, adj):
    """The same for <_curl3(...), adj>; R(g1, g2, g3) = (g3.y - g2.z, g1.z - g3.x,
    g2.x - g1.y)."""
    a0, a1, a2 = F32(adj[0]), F32(adj[1]), F32(adj[2])
    lac, gn = F32(lacunarity), F32(gain)
    acc = (_zero4(), _ZERO, _ZERO)
    freq, amp, dfreq, damp = _ONE, _ONE, _ZERO, _ZERO
    s1 = u32(state)
    for _ in range(int(octaves)):
        lo, hi, d = _cell(p * freq, _no_periods())
        s2, s3 = _next_fields(s1)
        _, g1, h1 = _field(s1, lo, hi, d, dims, _hess_jet())
        _, g2, h2 = _field(s2, lo, hi, d, dims, _hess_jet())
        _, g3, h3 = _field(s3, lo, hi, d, dims, _hess_jet())
        v = (h3[1] - h2[2]) * a0 + (h1[2] - h3[0]) * a1 + (h2[0] - h1[1]) * a2
        rg = a0 * (g3[1] - g2[2]) + a1 * (g1[2] - g3[0]) + a2 * (g2[0] - g1[1])
        acc = _octave_step(acc, v, rg, p, amp, freq, damp, dfreq)
        s1 = s3
        dfreq, freq = dfreq * lac + freq, freq * lac
        damp, amp = damp * gn + amp, amp * gn
    return acc


def _like_p(p, g):
    """The contribution to coordinate ``p`` from the vec4f ``g`` (its first components)."""


@implements(_like_p)
def _ol_like_p(p, g):
    if isinstance(p, (types.Integer, types.Float)):
        return lambda p, g: g[0]
    n = p.length

    def impl(p, g):
        out = p - p
        for k in range(n):
            out = flat_set(out, k, g[k])
        return out

    return impl


@adjoint(noise, typed=True)
def adj_noise(state, p, ret, adj_ret):
    n = _dims(p)
    if n is None:
        return None
    pad, dims = _PAD[n], _DIMS[n]

    def impl(state, p, ret, adj_ret):
        g = _noise_jet(state, pad(p), _no_periods(), dims, _grad_jet())[1]
        return _ZERO, _like_p(p, g * adj_ret)

    return impl


_PERIODS_OF = {1: dual(lambda r: V4I(r[0], 0, 0, 0)),
               2: dual(lambda r: V4I(r[0], r[1], 0, 0)),
               3: dual(lambda r: V4I(r[0], r[1], r[2], 0)),
               4: dual(lambda r: V4I(r[0], r[1], r[2], r[3]))}


@adjoint(pnoise, typed=True)
def adj_pnoise(state, p, *rest):
    """``rest`` is (periods..., ret, adj_ret)."""
    n = _dims(p)
    if n is None or len(rest) != n + 2:
        return None
    pad, per, dims = _PAD[n], _PERIODS_OF[n], _DIMS[n]

    def impl(state, p, *rest):
        g = _noise_jet(state, pad(p), per(rest), dims, _grad_jet())[1]
        return _ZERO, _like_p(p, g * rest[-1]), _ZERO, _ZERO, _ZERO, _ZERO  # up to 4D

    return impl


def _absent(t):
    return t is None or isinstance(t, (types.NoneType, types.Omitted))


@adjoint(curlnoise, typed=True)
def adj_curlnoise(state, p, x2, x3, x4=None, x5=None, x6=None, octaves=None,
                  lacunarity=None, gain=None):
    """Called as (state, p, [octaves, lacunarity, gain,] ret, adj_ret, **keywords)."""
    n = _dims(p)
    if n is None or n == 1:
        return None
    given = [k for k, t in enumerate((x2, x3, x4, x5, x6)) if not _absent(t)]
    m = len(given)
    if given != list(range(m)):
        return None
    # indices into (x2..x6, octaves, lacunarity, gain, defaults 1, 2.0, 0.5)
    i_adj = m - 1
    picks = [k if k < m - 2 else (5 + k if not _absent(kw) else 8 + k)
             for k, kw in enumerate((octaves, lacunarity, gain))]
    i_oct, i_lac, i_gain = picks
    pad, dims, core = _PAD[n], _DIMS[n], (_curl2_adj if n == 2 else _curl3_adj)

    def impl(state, p, x2, x3, x4=None, x5=None, x6=None, octaves=None, lacunarity=None,
             gain=None):
        xs = (x2, x3, x4, x5, x6, octaves, lacunarity, gain, 1, 2.0, 0.5)
        adj, o, lac, gn = xs[i_adj], xs[i_oct], xs[i_lac], xs[i_gain]
        gp, dg, dl = core(state, pad(p), dims, o, lac, gn, adj)
        return _ZERO, _like_p(p, gp), _ZERO, dl, dg

    return impl
