"""Kernels whose module defines @wp.func overloads of operators (Warp's feature: a
function named ``add``, ``sub`` or ``mul`` in a kernel's scope overloads ``+``, ``-``,
``*`` for the types it takes). Kept in their own module because the overloads apply to
every kernel and function in it."""

import numba_warp as wp


@wp.struct
class Complex:
    re: float
    im: float


@wp.func
def add(a: Complex, b: Complex):
    return Complex(a.re + b.re, a.im + b.im)


@wp.func
def mul(a: Complex, b: Complex):
    return Complex(a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re)


@wp.func
def mul(a: float, b: float):  # noqa: F811 - a second overload of the operator
    return wp.mul(wp.mul(a, b), 2.0)


@wp.func
def sub(a: wp.vec3, b: wp.vec3):
    return wp.cw_mul(a, b)


@wp.func
def index_of(log: wp.array(dtype=int), k: int) -> int:
    log[0] = log[0] * 10 + k  # records the order of the calls
    return k


@wp.kernel
def operators(x: wp.array(dtype=float), y: wp.array(dtype=float), v: wp.array(dtype=wp.vec3),
              cx: wp.array(dtype=Complex), w: wp.array(dtype=wp.vec3)):
    i = wp.tid()
    y[i] = x[i] * x[i]  # the user's mul(float, float): 2 x^2
    cx[i] = Complex(x[i], 1.0) * Complex(2.0, x[i]) + Complex(1.0, 1.0)
    v[i] -= wp.vec3(x[i], 2.0, 3.0)  # an array slot: atomic, the builtin operator
    n = 3
    y[i] += float(n * 2)  # ints: no user overload takes them, the builtin
    u = wp.vec3(1.0, 1.0, 1.0) * x[i]  # (vec3, float): no user overload, the builtin
    u -= wp.vec3(x[i], 2.0, 3.0)  # a local: the user's sub(vec3, vec3)
    w[i] = u


@wp.kernel
def evaluation_order(out: wp.array(dtype=float), log: wp.array(dtype=int)):
    out[index_of(log, 1)] *= float(index_of(log, 2))
    out[index_of(log, 0)] += float(index_of(log, 3))
