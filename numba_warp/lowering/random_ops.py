"""Warp's random numbers: the PCG hash generator, its distributions and samplers.

Contract: the same seed and the same calls give NVIDIA Warp's streams (Warp 1.19,
``warp/native/rand.h``): integers bit for bit, floats computed in float32 with the same
operations in the same order (so equal on the CPU up to the last bit of a
transcendental function, and within float tolerance on CUDA, where Warp's and our
compilers may fuse multiply-adds).

* The state is a ``uint32``. One step is Jarzynski & Olano's PCG hash:
  ``b = 747796405 * s + 2891336453``, ``c = ((b >> ((b >> 28) + 4)) ^ b) * 277803737``,
  ``s' = (c >> 22) ^ c`` (mod 2**32). ``rand_init(seed) = pcg(seed)``,
  ``rand_init(seed, offset) = pcg(seed + pcg(offset))``. A draw *replaces* the state by
  ``pcg(state)`` and derives its value from the new state.
* ``randu`` is the new state; ``randi`` the same bits as an int32; the range forms are
  ``low + state % (high - low)`` in wrapping uint32 arithmetic. ``randf`` is
  ``(state >> 8) * 2**-24`` (float32 in [0, 1)); ``randf(s, low, high)`` is
  ``(high - low) * randf(s) + low``. ``randn`` is Box-Muller on two draws, in this order:
  ``sqrt(-2 log(u1 + 5.96e-8)) * cos(2 pi u2)``. The samplers, ``sample_cdf`` (first
  index with ``cdf[i] >= u``) and ``poisson`` (float32 product method below 10,
  Hoermann's PTRS from 10 on; ``lam == 0`` returns 0 without a draw) follow rand.h.
* One deliberate difference: a range with ``high == low`` returns ``low`` (Warp divides
  by zero). See docs/coming_from_warp.md, "Random numbers and noise".
* Every builtin here is a *pure function*: it returns the value drawn from the state it
  is given and leaves the caller's variable unchanged, which is Warp's Python-scope
  behaviour. Warp advances the state variable in place in kernels; for that each
  state-advancing builtin ``X`` has a helper ``_X_next`` (same arguments) returning
  ``(new_state, value)``. :data:`STATEFUL` maps ``"X" -> "_X_next"`` and
  :data:`STATEFUL_FUNCS` the function objects, so the code generator can rewrite
  ``x = wp.X(state, ...)`` into ``state, x = _X_next(state, ...)``.

The Perlin noise builtins live in :mod:`.noise_ops`, built on the public helpers here:
:func:`uniform_next`, :func:`rand_init_offset`, :func:`u32` and :func:`dual` (which makes
a function written once run at Python scope and in kernels).
"""

from __future__ import annotations

import math

import numpy as np
from llvmlite import ir
from numba.core import types
from numba.extending import intrinsic, overload

from ..typing.scalars import ScalarType, scalar_types
from ..typing.vec import vector_class
from .builtin import JIT, jitable, nondifferentiable
from .stateful_calls import register_stateful

__all__ = [
    "rand_init", "randi", "randu", "randf", "randn", "poisson", "sample_cdf",
    "sample_triangle", "sample_unit_cube", "sample_unit_disk", "sample_unit_hemisphere",
    "sample_unit_hemisphere_surface", "sample_unit_ring", "sample_unit_sphere",
    "sample_unit_sphere_surface", "sample_unit_square",
]

F32 = np.float32
V2 = vector_class(2, scalar_types["float32"])
V3 = vector_class(3, scalar_types["float32"])

_M = 0xFFFFFFFF
_PCG_A, _PCG_C, _PCG_MUL = 747796405, 2891336453, 277803737
_ZERO, _HALF, _ONE, _TWO = F32(0.0), F32(0.5), F32(1.0), F32(2.0)
_PI = F32(math.pi)  # M_PI_F
_TWO_PI = _TWO * _PI  # Warp's 2.f * M_PI_F
_RANDN_EPS = F32(5.96e-8)  # RANDN_EPSILON: keeps log() away from 0
_THIRD = _ONE / F32(3.0)


# ---------------------------------------------------------------------------------------
# 32-bit primitives: Python versions (exact integer arithmetic) and LLVM intrinsics.
# Each takes the low 32 bits of its integer argument(s), so callers may compute in any
# wider integer type (additions and products wrap consistently).
# ---------------------------------------------------------------------------------------


def pcg(x):
    """One step of Warp's generator (the PCG hash of the low 32 bits of ``x``)."""
    b = (int(x) * _PCG_A + _PCG_C) & _M
    c = (((b >> ((b >> 28) + 4)) ^ b) * _PCG_MUL) & _M
    return (c >> 22) ^ c


def unit_float(x):
    """The top 24 bits of ``x`` as a float32 in [0, 1) (Warp's ``randf`` of a state)."""
    return F32((int(x) & _M) >> 8) * F32(2.0 ** -24)


def _range(v, lo, hi):
    """``lo + v % (hi - lo)`` in wrapping uint32 arithmetic (``lo`` if ``hi == lo``)."""
    d = (int(hi) - int(lo)) & _M
    r = (int(v) & _M) % d if d else 0
    return (int(lo) + r) & _M


def u32(x):
    """The low 32 bits of an integer, as a uint32."""
    return int(x) & _M


def i32(x):
    """The low 32 bits of an integer, read as an int32."""
    x = int(x) & _M
    return x - (1 << 32) if x >= (1 << 31) else x


def _c32(k):
    return ir.Constant(ir.IntType(32), k - (1 << 32) if k >= (1 << 31) else k)


def _emit_pcg(b, v):
    v = b.add(b.mul(v, _c32(_PCG_A)), _c32(_PCG_C))
    shift = b.add(b.lshr(v, _c32(28)), _c32(4))  # 4..19: always a valid shift
    c = b.mul(b.xor(b.lshr(v, shift), v), _c32(_PCG_MUL))
    return b.xor(b.lshr(c, _c32(22)), c)


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


_k_pcg = _unary_intrinsic(types.uint32, _emit_pcg)
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


for _pyfn, _intr in ((pcg, _k_pcg), (unit_float, _k_unit), (u32, _k_u32), (i32, _k_i32)):
    _lower_unary(_pyfn, _intr)
overload(_range, target="generic")(lambda v, lo, hi: (lambda v, lo, hi: _k_range(v, lo, hi)))


def dual(fn):
    """Register ``fn`` (written to run both at Python scope and in Numba) as jitable.

    Such functions compute in float32 with ``F32`` constants: at Python scope on NumPy
    float32 scalars (``F32(math.f(x))`` rounds the double result), in Numba on float32
    values (``math.f`` of a float32 is the float32 function)."""
    return jitable(fn, strict=False)


def scalar_arg(v):
    """A Python-scope argument: Warp scalar values (``wp.uint32(5)``) become numbers."""
    return v.typed() if isinstance(type(v), ScalarType) else v


def python_value(v):
    """A Python-scope result: NumPy scalars become Python numbers."""
    return v.item() if isinstance(v, np.generic) else v


# ---------------------------------------------------------------------------------------
# Cores: (state, args...) -> (new_state, value), runnable at Python scope and in Numba
# ---------------------------------------------------------------------------------------


@dual
def uniform_next(state):
    s = pcg(state)
    return s, unit_float(s)


@dual
def _rand_init1(seed):
    return pcg(u32(seed))


@dual
def rand_init_offset(seed, offset):
    return pcg(u32(seed) + pcg(u32(offset)))


@dual
def _randu1(state):
    s = pcg(state)
    return s, s


@dual
def _randu3(state, low, high):
    s = pcg(state)
    return s, _range(s, low, high)


@dual
def _randi1(state):
    s = pcg(state)
    return s, i32(s)


@dual
def _randi3(state, low, high):
    s = pcg(state)
    return s, i32(_range(s, i32(low), i32(high)))


@dual
def _randf_range(state, low, high):
    s, u = uniform_next(state)
    lo = F32(low)
    return s, (F32(high) - lo) * u + lo


@dual
def _randn1(state):
    s, u1 = uniform_next(state)  # Warp draws the radius first
    s, u2 = uniform_next(s)
    r = F32(math.sqrt(F32(-2.0) * F32(math.log(u1 + _RANDN_EPS))))
    return s, r * F32(math.cos(_TWO_PI * u2))


@dual
def _angle_next(state):
    """``randf(state, 0, 2 pi)``: a polar angle."""
    s, u = uniform_next(state)
    return s, _TWO_PI * u + _ZERO


@dual
def _sample_cdf2(state, cdf):
    s, u = uniform_next(state)
    lo, hi = 0, len(cdf) - 1
    while lo < hi:  # Warp's lower_bound
        mid = lo + (hi - lo) // 2
        if cdf[mid] < u:
            lo = mid + 1
        else:
            hi = mid
    return s, np.int32(lo)


@dual
def _sample_triangle1(state):
    s, u1 = uniform_next(state)
    r = F32(math.sqrt(u1))
    s, u2 = uniform_next(s)
    return s, V2(_ONE - r, u2 * r)


@dual
def _sample_unit_ring1(state):
    s, theta = _angle_next(state)
    return s, V2(F32(math.cos(theta)), F32(math.sin(theta)))


@dual
def _sample_unit_disk1(state):
    s, u = uniform_next(state)
    r = F32(math.sqrt(u))
    s, theta = _angle_next(s)
    return s, V2(r * F32(math.cos(theta)), r * F32(math.sin(theta)))


@dual
def _sphere_dir(state, z_scale):
    """Polar angle ``acos(1 - z_scale * u)`` and azimuth: (state, cos t sin p, sin t sin p,
    cos p) as in Warp's sphere samplers (z_scale 2: sphere, 1: hemisphere)."""
    s, u = uniform_next(state)
    phi = F32(math.acos(_ONE - z_scale * u))
    s, theta = _angle_next(s)
    sp = F32(math.sin(phi))
    return s, F32(math.cos(theta)), F32(math.sin(theta)), sp, F32(math.cos(phi))


@dual
def _surface(state, z_scale):
    s, ct, st, sp, cp = _sphere_dir(state, z_scale)
    return s, V3(ct * sp, st * sp, cp)


@dual
def _ball(state, z_scale):
    s, ct, st, sp, cp = _sphere_dir(state, z_scale)
    s, u = uniform_next(s)
    r = F32(math.pow(u, _THIRD))
    return s, V3(r * ct * sp, r * st * sp, r * cp)


@dual
def _sample_unit_sphere_surface1(state):
    return _surface(state, _TWO)


@dual
def _sample_unit_hemisphere_surface1(state):
    return _surface(state, _ONE)


@dual
def _sample_unit_sphere1(state):
    return _ball(state, _TWO)


@dual
def _sample_unit_hemisphere1(state):
    return _ball(state, _ONE)


@dual
def _sample_unit_square1(state):
    s, u1 = uniform_next(state)
    s, u2 = uniform_next(s)
    return s, V2(u1 - _HALF, u2 - _HALF)


@dual
def _sample_unit_cube1(state):
    s, u1 = uniform_next(state)
    s, u2 = uniform_next(s)
    s, u3 = uniform_next(s)
    return s, V3(u1 - _HALF, u2 - _HALF, u3 - _HALF)


# -- Poisson (rand.h's float32 port of NumPy's legacy samplers) --------------------------

_LOGGAM = tuple(F32(c) for c in (
    8.333333333333333e-02, -2.777777777777778e-03, 7.936507936507937e-04,
    -5.952380952380952e-04, 8.417508417508418e-04, -1.917526917526918e-03,
    6.410256410256410e-03, -2.955065359477124e-02, 1.796443723688307e-01,
    -1.39243221690590e+00))
_L0, _L1, _L2, _L3, _L4, _L5, _L6, _L7, _L8, _L9 = _LOGGAM
_LOG_2PI = F32(1.8378770664093453)
_SEVEN = F32(7.0)


@dual
def _loggam(x):
    """log(Gamma(x)) in float32, with rand.h's series (x >= 1 here)."""
    if x == _ONE or x == _TWO:
        return _ZERO
    n = int(_SEVEN - x) if x < _SEVEN else 0
    x0 = x + F32(n)
    x2 = (_ONE / x0) * (_ONE / x0)
    gl0 = _L9
    for c in (_L8, _L7, _L6, _L5, _L4, _L3, _L2, _L1, _L0):
        gl0 = gl0 * x2 + c
    gl = gl0 / x0 + _HALF * _LOG_2PI + (x0 - _HALF) * F32(math.log(x0)) - x0
    for _ in range(n):
        gl = gl - F32(math.log(x0 - _ONE))
        x0 = x0 - _ONE
    return gl


@dual
def _poisson_mult(state, lam):
    enlam = F32(math.exp(_ZERO - lam))
    s, k, prod = state, 0, _ONE
    while True:
        s, u = uniform_next(s)
        prod = prod * u
        if prod > enlam:
            k += 1
        else:
            return s, u32(k)


@dual
def _ptrs_constants(lam):
    slam = F32(math.sqrt(lam))
    b = F32(0.931) + F32(2.53) * slam
    a = F32(-0.059) + F32(0.02483) * b
    invalpha = F32(1.1239) + F32(1.1328) / (b - F32(3.4))
    vr = F32(0.9277) - F32(3.6224) / (b - _TWO)
    return a, b, invalpha, vr


@dual
def _poisson_ptrs(state, lam):
    """Hoermann's transformed rejection with squeeze, for ``lam >= 10``."""
    a, b, invalpha, vr = _ptrs_constants(lam)
    loglam = F32(math.log(lam))
    s = state
    while True:
        s, u = uniform_next(s)
        u = u - _HALF
        s, v = uniform_next(s)
        us = _HALF - abs(u)
        if us == _ZERO:  # Warp's candidate is then -inf: rejected below
            continue
        k = F32(math.floor((_TWO * a / us + b) * u + lam + F32(0.43)))
        if us >= F32(0.07) and v <= vr:
            return s, u32(int(k))
        if k < _ZERO or (us < F32(0.013) and v > us):
            continue
        # log(0) is -inf in float32 and accepts; Python's math.log would raise
        log_v = F32(math.log(v)) if v > _ZERO else F32(-np.inf)
        lhs = log_v + F32(math.log(invalpha)) - F32(math.log(a / (us * us) + b))
        if lhs <= _ZERO - lam + k * loglam - _loggam(k + _ONE):
            return s, u32(int(k))


@dual
def _poisson2(state, lam):
    s = u32(state)
    lam32 = F32(lam)
    if lam32 >= F32(10.0):
        return _poisson_ptrs(s, lam32)
    if lam32 == _ZERO:
        return s, u32(0)
    return _poisson_mult(s, lam32)  # also for lam < 0 or NaN: one draw, 0


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
        args = tuple(scalar_arg(a) for a in args)
        return args[:-1] + (py_arg(args[-1]),) if py_arg else args

    def next_fn(state, *args):
        s, v = core_for(len(args) + 1)(scalar_arg(state), *prep(args))
        return python_value(s), python_value(v)

    def public(state, *args):
        if not stateful:
            return python_value(core_for(len(args) + 1)(scalar_arg(state), *prep(args)))
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

    ol = dict(target="generic", jit_options=JIT, strict=False)
    overload(public, **ol)(value_typer if stateful else typer)
    if stateful:
        overload(next_fn, **ol)(typer)
        globals()[next_fn.__name__] = next_fn
    return public


def _array_arg(a):
    return a.numpy() if hasattr(a, "numpy") else np.asarray(a)


rand_init = _public("rand_init", {1: _rand_init1, 2: rand_init_offset}, """Initialise an RNG state.

``rand_init(seed)`` or ``rand_init(seed, offset)`` (use a per-thread offset, e.g. the
thread index, so that threads draw distinct sequences). Returns a uint32 state; the same
as Warp's for the same arguments.

Example
-------
>>> wp.rand_init(42)
1223963391
>>> wp.rand_init(42, 7)  # seed 42, offset 7 (e.g. a thread index): another sequence
3115480925
""", stateful=False)
randu = _public("randu", {1: _randu1, 3: _randu3}, """A random uint32.

``randu(state)`` is uniform over [0, 2**32); ``randu(state, low, high)`` over [low, high)
by modulo reduction (``low`` when ``high == low``). Advances ``state`` in kernels.

Example
-------
>>> state = wp.rand_init(42)
>>> wp.randu(state), wp.randu(state, 0, 100)  # Python scope: state is not advanced
(2785308739, 39)
""")
randi = _public("randi", {1: _randi1, 3: _randi3}, """A random int32.

``randi(state)`` is uniform over [-2**31, 2**31); ``randi(state, low, high)`` over
[low, high) by modulo reduction. Advances ``state`` in kernels.

Example
-------
>>> state = wp.rand_init(42)
>>> wp.randi(state), wp.randi(state, -5, 5)  # Python scope: state is not advanced
(-1509658557, 4)
""")
randf = _public("randf", {1: uniform_next, 3: _randf_range}, """A random float32.

``randf(state)`` is uniform over [0, 1) in steps of 2**-24; ``randf(state, low, high)``
is ``(high - low) * randf(state) + low``. Advances ``state`` in kernels.

Example
-------
>>> state = wp.rand_init(42)
>>> round(wp.randf(state), 4), round(wp.randf(state, 10.0, 20.0), 4)  # state not advanced
(0.6485, 16.4851)
>>> @wp.kernel
... def draw(seed: int, out: wp.array(dtype=float)):
...     state = wp.rand_init(seed)
...     out[0] = wp.randf(state)  # advances state: the next draw differs
...     out[1] = wp.randf(state)
>>> out = wp.zeros(2, dtype=float)
>>> wp.launch(draw, dim=1, inputs=[42, out])
>>> print(out.numpy().round(4))
[0.6485 0.9324]
""")
randn = _public("randn", {1: _randn1}, """A standard normal float32 (Box-Muller, two draws).

Advances ``state`` in kernels.

Example
-------
>>> round(wp.randn(wp.rand_init(42)), 4)
0.8479
""")
poisson = _public("poisson", {2: _poisson2}, """A Poisson(lam) sample, as a uint32.

Mean and variance ``lam``; ``lam == 0`` gives 0 without a draw. Advances ``state``.

Example
-------
>>> state = wp.rand_init(42)
>>> int(wp.poisson(state, 3.0)), int(wp.poisson(state, 50.0)), int(wp.poisson(state, 0.0))
(5, 54, 0)
""")
sample_cdf = _public("sample_cdf", {2: _sample_cdf2}, """Inverse-transform sample of a CDF.

Draws u in [0, 1) and returns the index (int32) of the first ``cdf[i] >= u``; ``cdf`` is a
1D non-decreasing array ending in 1.0. Advances ``state``.

Example
-------
>>> cdf = wp.array([0.1, 0.5, 1.0], dtype=float)  # probabilities 0.1, 0.4, 0.5
>>> state = wp.rand_init(42)
>>> round(wp.randf(state), 4), int(wp.sample_cdf(state, cdf))  # u = 0.6485 > cdf[1]
(0.6485, 2)
""", py_arg=_array_arg)
sample_triangle = _public("sample_triangle", {1: _sample_triangle1}, """Uniform point in a
triangle as barycentric coordinates (u, v), a vec2f (w = 1 - u - v).

Example
-------
>>> [round(x, 4) for x in wp.sample_triangle(wp.rand_init(42))]  # u, v >= 0, u + v <= 1
[0.1947, 0.7508]
""")
sample_unit_ring = _public("sample_unit_ring", {1: _sample_unit_ring1}, """Uniform point on
the unit circle (a unit-length vec2f).

Example
-------
>>> p = wp.sample_unit_ring(wp.rand_init(42))
>>> [round(x, 4) for x in p], round(wp.length(p), 4)
([-0.5954, -0.8035], 1.0)
""")
sample_unit_disk = _public("sample_unit_disk", {1: _sample_unit_disk1}, """Uniform point in
the unit disk (radius <= 1), a vec2f.

Example
-------
>>> p = wp.sample_unit_disk(wp.rand_init(42))
>>> [round(x, 4) for x in p], round(wp.length(p), 4)
([0.7337, -0.332], 0.8053)
""")
sample_unit_sphere_surface = _public("sample_unit_sphere_surface",
                                     {1: _sample_unit_sphere_surface1}, """Uniform point on
the unit sphere (a unit-length vec3f).

Example
-------
>>> p = wp.sample_unit_sphere_surface(wp.rand_init(42))
>>> [round(x, 4) for x in p], round(wp.length(p), 4)
([0.8699, -0.3937, -0.297], 1.0)
""")
sample_unit_sphere = _public("sample_unit_sphere", {1: _sample_unit_sphere1}, """Uniform
point in the unit ball (radius <= 1), a vec3f.

Example
-------
>>> p = wp.sample_unit_sphere(wp.rand_init(42))
>>> [round(x, 4) for x in p], round(wp.length(p), 4)
([0.7625, -0.3451, -0.2603], 0.8765)
""")
sample_unit_hemisphere_surface = _public("sample_unit_hemisphere_surface",
                                         {1: _sample_unit_hemisphere_surface1}, """Uniform
point on the unit hemisphere z >= 0 (a unit-length vec3f).

Example
-------
>>> p = wp.sample_unit_hemisphere_surface(wp.rand_init(42))
>>> [round(x, 4) for x in p], round(wp.length(p), 4)
([0.8529, -0.386, 0.3515], 1.0)
""")
sample_unit_hemisphere = _public("sample_unit_hemisphere", {1: _sample_unit_hemisphere1},
                                 """Uniform point in the unit half-ball z >= 0, a vec3f.

Example
-------
>>> p = wp.sample_unit_hemisphere(wp.rand_init(42))
>>> [round(x, 4) for x in p], round(wp.length(p), 4)
([0.7476, -0.3383, 0.3081], 0.8765)
""")
sample_unit_square = _public("sample_unit_square", {1: _sample_unit_square1}, """Uniform
point in the square [-0.5, 0.5)^2, a vec2f.

Example
-------
>>> [round(x, 4) for x in wp.sample_unit_square(wp.rand_init(42))]
[0.1485, 0.4324]
""")
sample_unit_cube = _public("sample_unit_cube", {1: _sample_unit_cube1}, """Uniform point in
the cube [-0.5, 0.5)^3, a vec3f.

Example
-------
>>> [round(x, 4) for x in wp.sample_unit_cube(wp.rand_init(42))]
[0.1485, 0.4324, 0.1735]
""")

_STATEFUL_NAMES = ("randu", "randi", "randf", "randn", "poisson", "sample_cdf",
                   "sample_triangle", "sample_unit_ring", "sample_unit_disk",
                   "sample_unit_sphere_surface", "sample_unit_sphere",
                   "sample_unit_hemisphere_surface", "sample_unit_hemisphere",
                   "sample_unit_square", "sample_unit_cube")
STATEFUL = {n: f"_{n}_next" for n in _STATEFUL_NAMES}
"""Public stateful builtin name -> name of its ``(new_state, value)`` helper here."""
STATEFUL_FUNCS = {globals()[n]: globals()[h] for n, h in STATEFUL.items()}
"""The same map, between the function objects."""
for _public_fn, _helper in STATEFUL_FUNCS.items():
    register_stateful(_public_fn, _helper, updates=1)


# Random draws have no gradient (the state is an integer and the values are samples).

nondifferentiable(rand_init, randu, randi, randf, randn, poisson, sample_cdf, sample_triangle,
                  sample_unit_ring, sample_unit_disk, sample_unit_sphere_surface,
                  sample_unit_sphere, sample_unit_hemisphere_surface, sample_unit_hemisphere,
                  sample_unit_square, sample_unit_cube, *STATEFUL_FUNCS.values())
