"""Warp's "Random" builtins: a counter-free 32-bit RNG, distributions and Perlin noise.

Contract:

* The RNG state is a ``uint32``. ``rand_init(seed)`` / ``rand_init(seed, offset)`` hash
  their arguments into a state. A draw *advances* the state with the full-period LCG
  ``s' = 747796405 * s + 2891336453 (mod 2**32)`` and outputs ``lowbias32(s')``, a
  bijective xor-shift-multiply finaliser (C. Wellons' "lowbias32" constants); the output
  permutation hides the LCG's weak low bits. Every random builtin is a *pure function* of
  its arguments here: called with a state it returns the value drawn from that state
  (advanced once, deterministically), and leaves the caller's variable unchanged, which
  is also Warp's Python-scope behaviour.
* Warp updates the state variable in place in kernels. For that, each state-advancing
  builtin ``X`` has a helper ``_X_next`` with the same arguments that returns the tuple
  ``(new_state, value)``; :data:`STATEFUL` maps ``"X" -> "_X_next"`` (and
  :data:`STATEFUL_FUNCS` the function objects), so the code generator can rewrite
  ``x = wp.X(state, ...)`` into ``state, x = _X_next(state, ...)``.
* Distributions: ``randu`` uint32 (or ``[low, high)`` by modulo), ``randi`` int32 (full
  range, or ``[low, high)``), ``randf`` float32 in ``[0, 1)`` (multiples of 2**-24) or
  ``[low, high)``, ``randn`` standard normal (Box-Muller, two draws), ``poisson`` uint32
  (Knuth's product method for ``lam < 10``, Hoermann's PTRS rejection above; ``lam <= 0``
  returns 0 without a draw), ``sample_cdf`` (binary search for the first ``cdf[i] >= u``)
  and the ``sample_*`` shapes (vec2f / vec3f; square and cube are ``[-0.5, 0.5)^n``).
* ``noise`` / ``pnoise`` (1-4D, float32): gradient (Perlin) noise on the integer lattice
  with hashed unit gradients and the quintic fade; zero at lattice points, |value| <=
  sqrt(N)/2; ``pnoise`` wraps lattice indices modulo its periods. ``curlnoise`` is the
  rotated gradient (2D) or the curl of three potentials (3D, 4D) of an fBm of that noise,
  so it is divergence-free. They never advance the state (it selects the field).
"""

from __future__ import annotations

import math

import numpy as np
from llvmlite import ir
from numba.core import types
from numba.extending import intrinsic, overload

from ..typing.scalars import ScalarType, scalar_types
from ..typing.vec import VecType, VectorValue, vector_class

__all__ = [
    "rand_init", "randi", "randu", "randf", "randn", "poisson", "sample_cdf",
    "sample_triangle", "sample_unit_cube", "sample_unit_disk", "sample_unit_hemisphere",
    "sample_unit_hemisphere_surface", "sample_unit_ring", "sample_unit_sphere",
    "sample_unit_sphere_surface", "sample_unit_square", "noise", "pnoise", "curlnoise",
]

F32, F64 = np.float32, np.float64
V2 = vector_class(2, scalar_types["float32"])
V3 = vector_class(3, scalar_types["float32"])
V4 = vector_class(4, scalar_types["float32"])
V4I = vector_class(4, scalar_types["int32"])

_M = 0xFFFFFFFF
_MIX1, _MIX2 = 0x7FEB352D, 0x846CA68B
_LCG_A, _LCG_C = 747796405, 2891336453
_GOLDEN = 0x9E3779B9
_ZERO, _HALF, _ONE, _TWO = F32(0.0), F32(0.5), F32(1.0), F32(2.0)
_TWO_PI = F32(2.0 * math.pi)
_THIRD = F32(1.0 / 3.0)
_JIT = {"error_model": "numpy"}


# ---------------------------------------------------------------------------------------
# 32-bit primitives: Python versions (exact integer arithmetic) and LLVM intrinsics
# ---------------------------------------------------------------------------------------


def _mix32(x):
    """lowbias32: a bijective avalanche hash of the low 32 bits of ``x``."""
    x = int(x) & _M
    x ^= x >> 16
    x = (x * _MIX1) & _M
    x ^= x >> 15
    x = (x * _MIX2) & _M
    return x ^ (x >> 16)


def _lcg(x):
    """One step of the state's LCG (mod 2**32)."""
    return (int(x) * _LCG_A + _LCG_C) & _M


def _unit(x):
    """The top 24 bits of ``x`` as a float32 in [0, 1)."""
    return F32((int(x) & _M) >> 8) * F32(2.0 ** -24)


def _range(v, lo, hi):
    """``lo + v % (hi - lo)`` in wrapping uint32 arithmetic (``lo`` if ``hi == lo``)."""
    d = (int(hi) - int(lo)) & _M
    r = (int(v) & _M) % d if d else 0
    return (int(lo) + r) & _M


def _u32(x):
    """The low 32 bits of an integer, as a uint32."""
    return int(x) & _M


def _i32(x):
    """The low 32 bits of an integer, read as an int32."""
    x = int(x) & _M
    return x - (1 << 32) if x >= (1 << 31) else x


def _c32(k):
    return ir.Constant(ir.IntType(32), k - (1 << 32) if k >= (1 << 31) else k)


def _emit_mix(b, v):
    for shift, mul in ((16, _MIX1), (15, _MIX2)):
        v = b.mul(b.xor(v, b.lshr(v, _c32(shift))), _c32(mul))
    return b.xor(v, b.lshr(v, _c32(16)))


def _unary_intrinsic(restype, emit):
    """An intrinsic of one integer argument (taken as its low 32 bits)."""

    @intrinsic
    def fn(typingctx, x):
        if not isinstance(x, types.Integer):
            return None

        def codegen(context, builder, sig, args):
            v = context.cast(builder, args[0], sig.args[0], types.uint32)
            return emit(builder, v)

        return restype(x), codegen

    return fn


_k_mix = _unary_intrinsic(types.uint32, _emit_mix)
_k_lcg = _unary_intrinsic(types.uint32, lambda b, v: b.add(b.mul(v, _c32(_LCG_A)),
                                                           _c32(_LCG_C)))
_k_u32 = _unary_intrinsic(types.uint32, lambda b, v: v)
_k_i32 = _unary_intrinsic(types.int32, lambda b, v: v)
_k_unit = _unary_intrinsic(types.float32, lambda b, v: b.fmul(
    b.uitofp(b.lshr(v, _c32(8)), ir.FloatType()), ir.Constant(ir.FloatType(), 2.0 ** -24)))


@intrinsic
def _k_range(typingctx, v, lo, hi):
    if not all(isinstance(t, types.Integer) for t in (v, lo, hi)):
        return None

    def codegen(context, builder, sig, args):
        x, a, c = (context.cast(builder, val, t, types.uint32)
                   for val, t in zip(args, sig.args))
        d = builder.sub(c, a)
        is_zero = builder.icmp_unsigned("==", d, _c32(0))
        r = builder.urem(x, builder.select(is_zero, _c32(1), d))
        return builder.add(a, builder.select(is_zero, _c32(0), r))

    return types.uint32(v, lo, hi), codegen


def _lower_unary(pyfn, intr):
    overload(pyfn, target="generic")(lambda x: (lambda x: intr(x)))


for _pyfn, _intr in ((_mix32, _k_mix), (_lcg, _k_lcg), (_unit, _k_unit), (_u32, _k_u32),
                     (_i32, _k_i32)):
    _lower_unary(_pyfn, _intr)
overload(_range, target="generic")(lambda v, lo, hi: (lambda v, lo, hi: _k_range(v, lo, hi)))


def _dual(fn):
    """Register ``fn`` (written to run both at Python scope and in Numba) as jitable."""
    overload(fn, target="generic", strict=False, jit_options=_JIT)(lambda *a, **k: fn)
    return fn


def _scalar(v):
    """A Python-scope argument: Warp scalar values (``wp.uint32(5)``) become numbers."""
    return v.value if isinstance(type(v), ScalarType) else v


def _py(v):
    """A Python-scope result: NumPy scalars become Python numbers."""
    return v.item() if isinstance(v, np.generic) else v


# ---------------------------------------------------------------------------------------
# Cores: (state, args...) -> (new_state, value), runnable at Python scope and in Numba
# ---------------------------------------------------------------------------------------


@_dual
def _uniform_next(state):
    s = _lcg(state)
    return s, _unit(_mix32(s))


@_dual
def _rand_init1(seed):
    return _mix32(seed ^ _GOLDEN)


@_dual
def _rand_init2(seed, offset):
    return _mix32(_mix32(seed ^ _GOLDEN) + _mix32(offset ^ 0x632BE5AB))


@_dual
def _randu1(state):
    s = _lcg(state)
    return s, _mix32(s)


@_dual
def _randu3(state, low, high):
    s = _lcg(state)
    return s, _range(_mix32(s), low, high)


@_dual
def _randi1(state):
    s = _lcg(state)
    return s, _i32(_mix32(s))


@_dual
def _randi3(state, low, high):
    s = _lcg(state)
    return s, _i32(_range(_mix32(s), low, high))


@_dual
def _randf1(state):
    return _uniform_next(state)


@_dual
def _randf3(state, low, high):
    s, u = _uniform_next(state)
    lo = F32(low)
    return s, lo + (F32(high) - lo) * u


@_dual
def _randn1(state):
    s, u1 = _uniform_next(state)
    s, u2 = _uniform_next(s)
    r = F32(math.sqrt(F32(-2.0) * F32(math.log(_ONE - u1))))  # 1 - u1 is in (0, 1]
    return s, r * F32(math.cos(_TWO_PI * u2))


@_dual
def _poisson_knuth(state, lam):
    limit = math.exp(F64(0.0) - lam)
    s, k, p = state, 0, F64(1.0)
    while True:
        s, u = _uniform_next(s)
        p = p * F64(u)
        if p <= limit:
            return s, _u32(k)
        k += 1


@_dual
def _poisson_ptrs(state, lam):
    """Hoermann's transformed rejection with squeeze (PTRS), for ``lam >= 10``."""
    slam, loglam = math.sqrt(lam), math.log(lam)
    b = 0.931 + 2.53 * slam
    a = 0.02483 * b - 0.059
    log_inv_alpha = math.log(1.1239 + 1.1328 / (b - 3.4))
    vr = 0.9277 - 3.6224 / (b - 2.0)
    s = state
    while True:
        s, u0 = _uniform_next(s)
        s, v0 = _uniform_next(s)
        u, v = F64(u0) - 0.5, F64(v0)
        us = 0.5 - math.fabs(u)
        if us <= 0.0 or v <= 0.0:
            continue
        kf = int(math.floor((2.0 * a / us + b) * u + lam + 0.43))
        if us >= 0.07 and v <= vr:
            return s, _u32(kf)
        if kf < 0 or (us < 0.013 and v > us):
            continue
        lhs = math.log(v) + log_inv_alpha - math.log(a / (us * us) + b)
        if lhs <= kf * loglam - lam - math.lgamma(kf + 1.0):
            return s, _u32(kf)


@_dual
def _poisson2(state, lam):
    s = _u32(state)
    lam64 = F64(lam)
    if not lam64 > 0.0:
        return s, _u32(0)
    if lam64 < 10.0:
        return _poisson_knuth(s, lam64)
    return _poisson_ptrs(s, lam64)


@_dual
def _sample_cdf2(state, cdf):
    s, u = _uniform_next(state)
    lo, hi = 0, len(cdf) - 1
    while lo < hi:
        mid = (lo + hi) >> 1
        if cdf[mid] >= u:
            hi = mid
        else:
            lo = mid + 1
    return s, np.int32(lo)


@_dual
def _sample_unit_square1(state):
    s, u1 = _uniform_next(state)
    s, u2 = _uniform_next(s)
    return s, V2(u1 - _HALF, u2 - _HALF)


@_dual
def _sample_unit_cube1(state):
    s, u1 = _uniform_next(state)
    s, u2 = _uniform_next(s)
    s, u3 = _uniform_next(s)
    return s, V3(u1 - _HALF, u2 - _HALF, u3 - _HALF)


@_dual
def _sample_unit_ring1(state):
    s, u = _uniform_next(state)
    phi = _TWO_PI * u
    return s, V2(F32(math.cos(phi)), F32(math.sin(phi)))


@_dual
def _sample_unit_disk1(state):
    s, u1 = _uniform_next(state)
    s, u2 = _uniform_next(s)
    r, phi = F32(math.sqrt(u1)), _TWO_PI * u2
    return s, V2(r * F32(math.cos(phi)), r * F32(math.sin(phi)))


@_dual
def _sphere_point(s, z):
    """A uniform direction with the given z (uniform z gives a uniform sphere point)."""
    s, u = _uniform_next(s)
    r = F32(math.sqrt(max(_ZERO, _ONE - z * z)))
    phi = _TWO_PI * u
    return s, V3(r * F32(math.cos(phi)), r * F32(math.sin(phi)), z)


@_dual
def _sample_unit_sphere_surface1(state):
    s, u = _uniform_next(state)
    return _sphere_point(s, _ONE - _TWO * u)


@_dual
def _sample_unit_hemisphere_surface1(state):
    s, u = _uniform_next(state)
    return _sphere_point(s, _ONE - u)  # z in (0, 1]


@_dual
def _sample_unit_sphere1(state):
    s, p = _sample_unit_sphere_surface1(state)
    s, u = _uniform_next(s)
    return s, p * F32(math.pow(u, _THIRD))


@_dual
def _sample_unit_hemisphere1(state):
    s, p = _sample_unit_hemisphere_surface1(state)
    s, u = _uniform_next(s)
    return s, p * F32(math.pow(u, _THIRD))


@_dual
def _sample_triangle1(state):
    s, u1 = _uniform_next(state)
    s, u2 = _uniform_next(s)
    su = F32(math.sqrt(u1))
    return s, V2(_ONE - su, u2 * su)


# ---------------------------------------------------------------------------------------
# The public builtins and their `_X_next` helpers
# ---------------------------------------------------------------------------------------


def _public(name, cores, doc, stateful=True, py_arg=None):
    """Make builtin ``name`` (and ``_name_next`` when stateful) from arity -> core.

    A stateful core returns ``(new_state, value)``; the builtin returns the value, the
    helper the pair. ``py_arg`` adapts the last argument at Python scope.
    """

    def core_for(n):
        core = cores.get(n)
        if core is None:
            raise TypeError(f"{name}() takes {' or '.join(map(str, sorted(cores)))} "
                            f"arguments, got {n}")
        return core

    def prep(args):
        args = tuple(_scalar(a) for a in args)
        return args[:-1] + (py_arg(args[-1]),) if py_arg else args

    def next_fn(state, *args):
        s, v = core_for(len(args) + 1)(_scalar(state), *prep(args))
        return _py(s), _py(v)

    def public(state, *args):
        if not stateful:
            return _py(core_for(len(args) + 1)(_scalar(state), *prep(args)))
        return next_fn(state, *args)[1]

    public.__name__ = public.__qualname__ = name
    public.__doc__ = doc
    next_fn.__name__ = next_fn.__qualname__ = f"_{name}_next"
    next_fn.__doc__ = f"``{name}`` as a pure function: ``(new_state, value)``."

    def typer(state, *args):
        core = cores.get(len(args) + 1)
        if core is not None and isinstance(state, types.Integer):
            return core

    def value_typer(state, *args):
        core = cores.get(len(args) + 1)
        if core is not None and isinstance(state, types.Integer):
            return lambda state, *args: core(state, *args)[1]

    ol = dict(target="generic", jit_options=_JIT, strict=False)
    overload(public, **ol)(value_typer if stateful else typer)
    if stateful:
        overload(next_fn, **ol)(typer)
        globals()[next_fn.__name__] = next_fn
    return public


def _array_arg(a):
    return a.numpy() if hasattr(a, "numpy") else np.asarray(a)


rand_init = _public("rand_init", {1: _rand_init1, 2: _rand_init2}, """Initialise an RNG state.

``rand_init(seed)`` or ``rand_init(seed, offset)`` (use a per-thread offset, e.g. the
thread index, so that threads draw uncorrelated sequences). Returns a uint32 state.""",
                    stateful=False)
randu = _public("randu", {1: _randu1, 3: _randu3}, """A random uint32.

``randu(state)`` is uniform over [0, 2**32); ``randu(state, low, high)`` over [low, high)
by modulo reduction (``low`` when ``high == low``). Advances ``state`` in kernels.""")
randi = _public("randi", {1: _randi1, 3: _randi3}, """A random int32.

``randi(state)`` is uniform over [-2**31, 2**31); ``randi(state, low, high)`` over
[low, high) by modulo reduction. Advances ``state`` in kernels.""")
randf = _public("randf", {1: _randf1, 3: _randf3}, """A random float32.

``randf(state)`` is uniform over [0, 1) in steps of 2**-24; ``randf(state, low, high)``
over [low, high). Advances ``state`` in kernels.""")
randn = _public("randn", {1: _randn1}, """A standard normal float32 (Box-Muller, two draws).

Advances ``state`` in kernels.""")
poisson = _public("poisson", {2: _poisson2}, """A Poisson(lam) sample, as a uint32.

Mean and variance ``lam``; ``lam <= 0`` gives 0 without a draw. Advances ``state``.""")
sample_cdf = _public("sample_cdf", {2: _sample_cdf2}, """Inverse-transform sample of a CDF.

Draws u in [0, 1) and returns the index (int32) of the first ``cdf[i] >= u``; ``cdf`` is a
1D non-decreasing array ending in 1.0. Advances ``state``.""", py_arg=_array_arg)
sample_triangle = _public("sample_triangle", {1: _sample_triangle1}, """Uniform point in a
triangle as barycentric coordinates (u, v), a vec2f (w = 1 - u - v).""")
sample_unit_ring = _public("sample_unit_ring", {1: _sample_unit_ring1}, """Uniform point on
the unit circle (a unit-length vec2f).""")
sample_unit_disk = _public("sample_unit_disk", {1: _sample_unit_disk1}, """Uniform point in
the unit disk (radius <= 1), a vec2f.""")
sample_unit_sphere_surface = _public("sample_unit_sphere_surface",
                                     {1: _sample_unit_sphere_surface1}, """Uniform point on
the unit sphere (a unit-length vec3f).""")
sample_unit_sphere = _public("sample_unit_sphere", {1: _sample_unit_sphere1}, """Uniform
point in the unit ball (radius <= 1), a vec3f.""")
sample_unit_hemisphere_surface = _public("sample_unit_hemisphere_surface",
                                         {1: _sample_unit_hemisphere_surface1}, """Uniform
point on the unit hemisphere z >= 0 (a unit-length vec3f).""")
sample_unit_hemisphere = _public("sample_unit_hemisphere", {1: _sample_unit_hemisphere1},
                                 """Uniform point in the unit half-ball z >= 0, a vec3f.""")
sample_unit_square = _public("sample_unit_square", {1: _sample_unit_square1}, """Uniform
point in the square [-0.5, 0.5)^2, a vec2f.""")
sample_unit_cube = _public("sample_unit_cube", {1: _sample_unit_cube1}, """Uniform point in
the cube [-0.5, 0.5)^3, a vec3f.""")

_STATEFUL_NAMES = ("randu", "randi", "randf", "randn", "poisson", "sample_cdf",
                   "sample_triangle", "sample_unit_ring", "sample_unit_disk",
                   "sample_unit_sphere_surface", "sample_unit_sphere",
                   "sample_unit_hemisphere_surface", "sample_unit_hemisphere",
                   "sample_unit_square", "sample_unit_cube")
STATEFUL = {n: f"_{n}_next" for n in _STATEFUL_NAMES}
"""Public stateful builtin name -> name of its ``(new_state, value)`` helper here."""
STATEFUL_FUNCS = {globals()[n]: globals()[h] for n, h in STATEFUL.items()}
"""The same map, between the function objects."""


# ---------------------------------------------------------------------------------------
# Perlin noise
# ---------------------------------------------------------------------------------------


@_dual
def _fade(t):
    return t * t * t * (t * (t * F32(6.0) - F32(15.0)) + F32(10.0))


@_dual
def _dfade(t):
    return F32(30.0) * t * t * (t * (t - _TWO) + _ONE)


@_dual
def _ddfade(t):
    return F32(60.0) * t * (_ONE - t) * (_ONE - _TWO * t)


@_dual
def _perlin(state, p, periods, n, axis):
    """Gradient noise of the first ``n`` components of the vec4f ``p`` (``axis < 0``), or
    its derivative along ``axis``. Lattice index k wraps modulo ``periods[k]`` if > 0."""
    return _perlin_d(state, p, periods, n, axis, -1)


@_dual
def _perlin_d(state, p, periods, n, a, b):
    """``_perlin`` (``a < 0``), its derivative along ``a`` (``b < 0``) or its second
    derivative along ``a`` and ``b``. Per lattice corner the noise is ``w * dot`` (times
    the gradient's inverse norm) with ``w`` a product of fades and ``dot`` linear in p."""
    base = _mix32(state + n * _GOLDEN)
    total = _ZERO
    for c in range(1 << n):
        h, w, da, db, dab = base, _ONE, _ONE, _ONE, _ONE
        for k in range(n):
            x = F32(p[k])
            fl = int(math.floor(x))  # (CUDA's floor returns a float)
            f, bit = x - F32(fl), (c >> k) & 1
            ii = fl + bit
            if periods[k] > 0:
                ii = ii % periods[k]
            h = _mix32(h + ii)
            t = _fade(f)
            wk = t if bit == 1 else _ONE - t
            dk = _dfade(f) if bit == 1 else _ZERO - _dfade(f)
            if k == a and k == b:
                dab = dab * (_ddfade(f) if bit == 1 else _ZERO - _ddfade(f))
            else:
                dab = dab * (dk if k == a or k == b else wk)
            da = da * (dk if k == a else wk)
            db = db * (dk if k == b else wk)
            w = w * wk
        dot, gg, ga, gb = _ZERO, _ZERO, _ZERO, _ZERO
        for k in range(n):
            h = _mix32(h + _GOLDEN)
            g = _TWO * _unit(h) - _ONE
            x = F32(p[k])
            dot += g * (x - F32(math.floor(x)) - F32((c >> k) & 1))
            gg += g * g
            if k == a:
                ga = g
            if k == b:
                gb = g
        inv = _ONE if n == 1 else _ONE / F32(math.sqrt(max(gg, F32(1e-12))))
        if a < 0:
            total += w * dot * inv
        elif b < 0:
            total += (da * dot + w * ga) * inv
        else:
            total += (dab * dot + da * gb + db * ga) * inv
    return total


@_dual
def _fbm(state, p, n, axis, octaves, lacunarity, gain):
    """Sum over octaves i of gain**i * noise(lacunarity**i * p), or its ``axis`` derivative."""
    total, freq, amp = _ZERO, _ONE, _ONE
    periods = V4I(0, 0, 0, 0)
    for _ in range(_i32(octaves)):
        v = _perlin(state, p * freq, periods, n, axis)
        total += amp * (v if axis < 0 else v * freq)
        freq = freq * F32(lacunarity)
        amp = amp * F32(gain)
    return total


@_dual
def _curl2(state, p, octaves, lacunarity, gain):
    dx = _fbm(state, p, 2, 0, octaves, lacunarity, gain)
    dy = _fbm(state, p, 2, 1, octaves, lacunarity, gain)
    return V2(dy, _ZERO - dx)


@_dual
def _curl_seeds(state):
    """The states of the three potentials of the 3D curl."""
    return _mix32(state + 0x1B873593), _mix32(state + 0x5BD1E995), _mix32(state + 7)


@_dual
def _curl3(state, p, n, octaves, lacunarity, gain):
    s1, s2, s3 = _curl_seeds(state)
    return V3(_fbm(s3, p, n, 1, octaves, lacunarity, gain)
              - _fbm(s2, p, n, 2, octaves, lacunarity, gain),
              _fbm(s1, p, n, 2, octaves, lacunarity, gain)
              - _fbm(s3, p, n, 0, octaves, lacunarity, gain),
              _fbm(s2, p, n, 0, octaves, lacunarity, gain)
              - _fbm(s1, p, n, 1, octaves, lacunarity, gain))


_PAD = {1: _dual(lambda x: V4(F32(x), _ZERO, _ZERO, _ZERO)),
        2: _dual(lambda v: V4(v, _ZERO, _ZERO)),
        3: _dual(lambda v: V4(v, _ZERO)),
        4: _dual(lambda v: V4(v))}
_PERIODS = {1: _dual(lambda a: V4I(a, 0, 0, 0)),
            2: _dual(lambda a, b: V4I(a, b, 0, 0)),
            3: _dual(lambda a, b, c: V4I(a, b, c, 0)),
            4: _dual(lambda a, b, c, d: V4I(a, b, c, d))}


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
    """Perlin noise at ``p`` (float, vec2, vec3 or vec4): float32, zero at lattice points,
    |noise| <= sqrt(N)/2. ``state`` selects the field and is not advanced."""
    state, p = _scalar(state), _scalar(p)
    n = _dims(p)
    if n is None:
        raise TypeError(f"noise() takes a float or a vec2/vec3/vec4 coordinate, got {p!r}")
    return _py(_perlin(_u32(state), _PAD[n](p), V4I(0, 0, 0, 0), n, -1))


@overload(noise, target="generic", jit_options=_JIT)
def _ol_noise(state, p):
    n = _dims(p)
    if n is not None and isinstance(state, types.Integer):
        pad = _PAD[n]
        return lambda state, p: _perlin(state, pad(p), V4I(0, 0, 0, 0), n, -1)


def pnoise(state, p, *periods):
    """Periodic Perlin noise: ``pnoise(state, x, px)``, ``pnoise(state, xy, px, py)``, ...
    up to 4D; the field repeats with the integer period (> 0) along each axis."""
    state, p = _scalar(state), _scalar(p)
    n = _dims(p)
    periods = tuple(int(_scalar(q)) for q in periods)
    if n is None or len(periods) != n:
        raise TypeError("pnoise() takes a coordinate of N components and N periods")
    return _py(_perlin(_u32(state), _PAD[n](p), _PERIODS[n](*periods), n, -1))


@overload(pnoise, target="generic", jit_options=_JIT)
def _ol_pnoise(state, p, *periods):
    n = _dims(p)
    if n is not None and len(periods) == n and isinstance(state, types.Integer):
        pad, per = _PAD[n], _PERIODS[n]
        return lambda state, p, *periods: _perlin(state, pad(p), per(*periods), n, -1)


def curlnoise(state, p, octaves=1, lacunarity=2.0, gain=0.5):
    """Divergence-free noise field: the rotated gradient of fBm Perlin noise for a vec2
    (a vec2f), the curl of three fBm potentials for a vec3 or vec4 (a vec3f; the 4th
    component is time). ``state`` selects the field and is not advanced."""
    state, p = _scalar(state), _scalar(p)
    n = _dims(p)
    if n is None or n == 1:
        raise TypeError(f"curlnoise() takes a vec2, vec3 or vec4 coordinate, got {p!r}")
    q = _PAD[n](p)
    if n == 2:
        return _curl2(_u32(state), q, octaves, lacunarity, gain)
    return _curl3(_u32(state), q, n, octaves, lacunarity, gain)


@overload(curlnoise, target="generic", jit_options=_JIT)
def _ol_curlnoise(state, p, octaves=1, lacunarity=2.0, gain=0.5):
    n = _dims(p)
    if n is None or n == 1 or not isinstance(state, types.Integer):
        return None
    pad = _PAD[n]
    if n == 2:
        return lambda state, p, octaves=1, lacunarity=2.0, gain=0.5: _curl2(
            state, pad(p), octaves, lacunarity, gain)
    return lambda state, p, octaves=1, lacunarity=2.0, gain=0.5: _curl3(
        state, pad(p), n, octaves, lacunarity, gain)


# -- adjoints ---------------------------------------------------------------------------
# Random draws have no gradient (the state is an integer and the values are samples).
# The noise functions are smooth in their position (C2: quintic fade, per-corner
# gradients fixed within a lattice cell), so their adjoints are the analytic derivatives
# of the formulas above: noise/pnoise need the first derivatives of ``_perlin``,
# curlnoise (itself made of first derivatives) the second ones, and also has gradients
# in ``lacunarity`` and ``gain``. State, periods and octaves get none.

from ..autodiff.rules import adjoint, nondifferentiable  # noqa: E402

nondifferentiable(rand_init, randu, randi, randf, randn, poisson, sample_cdf, sample_triangle,
                  sample_unit_ring, sample_unit_disk, sample_unit_sphere_surface,
                  sample_unit_sphere, sample_unit_hemisphere_surface, sample_unit_hemisphere,
                  sample_unit_square, sample_unit_cube, *STATEFUL_FUNCS.values())


@_dual
def _perlin_grad(state, p, periods, n):
    """The gradient of ``_perlin`` at the vec4f ``p`` (zero past the ``n`` used axes)."""
    g0 = _perlin_d(state, p, periods, n, 0, -1)
    g1 = _perlin_d(state, p, periods, n, 1, -1) if n > 1 else _ZERO
    g2 = _perlin_d(state, p, periods, n, 2, -1) if n > 2 else _ZERO
    g3 = _perlin_d(state, p, periods, n, 3, -1) if n > 3 else _ZERO
    return V4(g0, g1, g2, g3)


@_dual
def _fbm_axis_adj(state, p, n, a, octaves, lacunarity, gain):
    """Derivatives of ``_fbm(..., axis=a, ...)``: by ``p`` (a vec4f: Hessian row ``a``
    scaled per octave), by ``gain`` and by ``lacunarity``."""
    periods = V4I(0, 0, 0, 0)
    lac, gn = F32(lacunarity), F32(gain)
    freq, amp, dfreq, damp = _ONE, _ONE, _ZERO, _ZERO  # dfreq = d freq / d lacunarity ...
    hp, dg, dl = V4(_ZERO, _ZERO, _ZERO, _ZERO), _ZERO, _ZERO
    for _ in range(_i32(octaves)):
        q = p * freq
        d1 = _perlin_d(state, q, periods, n, a, -1)
        h = V4(_perlin_d(state, q, periods, n, a, 0),
               _perlin_d(state, q, periods, n, a, 1) if n > 1 else _ZERO,
               _perlin_d(state, q, periods, n, a, 2) if n > 2 else _ZERO,
               _perlin_d(state, q, periods, n, a, 3) if n > 3 else _ZERO)
        hp = hp + h * (amp * freq * freq)
        dg += damp * freq * d1
        dl += amp * dfreq * (d1 + freq * (p[0] * h[0] + p[1] * h[1] + p[2] * h[2]
                                          + p[3] * h[3]))
        dfreq, freq = dfreq * lac + freq, freq * lac
        damp, amp = damp * gn + amp, amp * gn
    return hp, dg, dl


@_dual
def _curl_term(acc, s, a, wgt, p, n, octaves, lacunarity, gain):
    """``acc`` plus ``wgt`` times the derivatives of the ``a`` derivative of fBm ``s``."""
    h, dg, dl = _fbm_axis_adj(s, p, n, a, octaves, lacunarity, gain)
    return acc[0] + h * wgt, acc[1] + wgt * dg, acc[2] + wgt * dl


@_dual
def _curl2_adj(state, p, n, octaves, lacunarity, gain, adj):
    """(d/dp, d/dgain, d/dlacunarity) of <_curl2(...), adj> = adj0 d1 F - adj1 d0 F."""
    acc = (V4(_ZERO, _ZERO, _ZERO, _ZERO), _ZERO, _ZERO)
    acc = _curl_term(acc, state, 1, adj[0], p, 2, octaves, lacunarity, gain)
    return _curl_term(acc, state, 0, _ZERO - adj[1], p, 2, octaves, lacunarity, gain)


@_dual
def _curl3_adj(state, p, n, octaves, lacunarity, gain, adj):
    """The same for <_curl3(...), adj>, curl = (d1 F3 - d2 F2, d2 F1 - d0 F3, d0 F2 - d1 F1)."""
    s1, s2, s3 = _curl_seeds(state)
    acc = (V4(_ZERO, _ZERO, _ZERO, _ZERO), _ZERO, _ZERO)
    acc = _curl_term(acc, s3, 1, adj[0], p, n, octaves, lacunarity, gain)
    acc = _curl_term(acc, s2, 2, _ZERO - adj[0], p, n, octaves, lacunarity, gain)
    acc = _curl_term(acc, s1, 2, adj[1], p, n, octaves, lacunarity, gain)
    acc = _curl_term(acc, s3, 0, _ZERO - adj[1], p, n, octaves, lacunarity, gain)
    acc = _curl_term(acc, s2, 0, adj[2], p, n, octaves, lacunarity, gain)
    return _curl_term(acc, s1, 1, _ZERO - adj[2], p, n, octaves, lacunarity, gain)


def _like_p(p, g):
    """The contribution to coordinate ``p`` from the vec4f ``g`` (its first components)."""


@overload(_like_p, target="generic", jit_options=_JIT)
def _ol_like_p(p, g):
    if isinstance(p, (types.Integer, types.Float)):
        return lambda p, g: g[0]
    from .vector_math import _flat_set

    n = p.length

    def impl(p, g):
        out = p - p
        for k in range(n):
            out = _flat_set(out, k, g[k])
        return out

    return impl


@adjoint(noise, typed=True)
def adj_noise(state, p, ret, adj_ret):
    n = _dims(p)
    if n is None:
        return None
    pad = _PAD[n]

    def impl(state, p, ret, adj_ret):
        g = _perlin_grad(state, pad(p), V4I(0, 0, 0, 0), n)
        return _ZERO, _like_p(p, g * adj_ret)

    return impl


_PERIODS_OF = {1: _dual(lambda r: V4I(r[0], 0, 0, 0)),
               2: _dual(lambda r: V4I(r[0], r[1], 0, 0)),
               3: _dual(lambda r: V4I(r[0], r[1], r[2], 0)),
               4: _dual(lambda r: V4I(r[0], r[1], r[2], r[3]))}


@adjoint(pnoise, typed=True)
def adj_pnoise(state, p, *rest):
    """``rest`` is (periods..., ret, adj_ret)."""
    n = _dims(p)
    if n is None or len(rest) != n + 2:
        return None
    pad, per = _PAD[n], _PERIODS_OF[n]

    def impl(state, p, *rest):
        g = _perlin_grad(state, pad(p), per(rest), n)
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
    pad, core = _PAD[n], (_curl2_adj if n == 2 else _curl3_adj)

    def impl(state, p, x2, x3, x4=None, x5=None, x6=None, octaves=None, lacunarity=None,
             gain=None):
        xs = (x2, x3, x4, x5, x6, octaves, lacunarity, gain, 1, 2.0, 0.5)
        adj, o, lac, gn = xs[i_adj], xs[i_oct], xs[i_lac], xs[i_gain]
        gp, dg, dl = core(state, pad(p), n, o, lac, gn, adj)
        return _ZERO, _like_p(p, gp), _ZERO, dl, dg

    return impl
