"""Debug-mode checks that generated kernel code calls: bounds-checked array accesses and
``assert``, recording the first failure of a launch in a *failure slot*.

Exceptions cannot leave a ``prange`` loop or a CUDA kernel, so a failed check does not
raise: it records what failed (a site code naming the user's file, line and
expression; the thread; the index; the array's shape) and the access is skipped (a
load gives zero). The launcher reads the slot after the launch and raises one Python
exception (``runtime/checks.py``).

The slot is sixteen int64 words (layout: ``SLOT_*`` below), written once per launch:
the first failing thread wins a compare-and-swap on word 0.

* CPU: one process-wide buffer, :data:`cpu_slot`, which compiled code reaches through
  the symbol ``SLOT_SYMBOL`` (registered with LLVM before CPU code is first linked, so
  code loaded from Numba's disk cache finds it in a new process).
* CUDA: a ``__device__`` global of each kernel's module. Device functions declare it;
  the kernel (the generated launcher calls :func:`define_slot`) defines it, so NVVM
  links them into one; the launcher reads it with ``cuModuleGetGlobal``.

The checked wrappers (``CHECKED[fn]``) take ``(base, index, rest, site, tid)`` and call
``fn`` (``operator.getitem``, the ``store``/``inplace_*`` helpers or an atomic) on
them. They check indices into arrays (against the shape) and component indices into
vectors and matrices (as Warp's debug builds do); on anything else, or when the index
is not made of integers, they are exactly ``fn``.
"""

from __future__ import annotations

import operator

import numpy as np
from llvmlite import binding as llvm_binding
from llvmlite import ir
from numba.core import cgutils, types
from numba.core.imputils import impl_ret_borrowed
from numba.extending import intrinsic

from ..typing.mat import MatType
from ..typing.vec import VecType
from . import atomics, kernel_helpers
from .atomics import is_cuda_context
from .cpu_init import before_cpu_code_links

__all__ = ["SLOT_SYMBOL", "SLOT_WORDS", "SLOT_CODE", "SLOT_TID", "SLOT_NIDX", "SLOT_IDX",
           "SLOT_NDIM", "SLOT_SHAPE", "SLOT_KIND", "KIND_ARRAY", "KIND_VALUE", "cpu_slot",
           "CHECKED", "SPREAD", "assert_failed", "define_slot", "emit_report"]

SLOT_SYMBOL = "_numba_warp_debug_slot"
SLOT_WORDS = 16
# word offsets: site code (0 = no failure), flat thread index (-1 = unknown), number of
# indices (-1 for an assert), up to 4 indices, array ndim, up to 4 extents
# and what was indexed (an array, or a vector/matrix value)
SLOT_CODE, SLOT_TID, SLOT_NIDX, SLOT_IDX, SLOT_NDIM, SLOT_SHAPE = 0, 1, 2, 3, 7, 8
SLOT_KIND = 12
KIND_ARRAY, KIND_VALUE = 0, 1

cpu_slot = np.zeros(SLOT_WORDS, dtype=np.int64)
# (before CPU code is first linked: the first call into LLVM loads it, ~50 ms)
before_cpu_code_links(lambda: llvm_binding.add_symbol(SLOT_SYMBOL, cpu_slot.ctypes.data))

_I64 = ir.IntType(64)
_SLOT_TYPE = ir.ArrayType(_I64, SLOT_WORDS)


def _slot(context, builder, define: bool = False):
    """The slot global of the module being built (declared; on CUDA optionally defined)."""
    module = builder.module
    gv = module.globals.get(SLOT_SYMBOL)
    if gv is None:
        space = 1 if is_cuda_context(context) else 0
        gv = ir.GlobalVariable(module, _SLOT_TYPE, SLOT_SYMBOL, addrspace=space)
        gv.align = 8
    if define and gv.initializer is None:
        gv.initializer = ir.Constant(_SLOT_TYPE, None)
    return gv


def _word(builder, gv, k: int):
    return builder.gep(gv, [ir.Constant(ir.IntType(32), 0), ir.Constant(ir.IntType(32), k)])


def emit_report(context, builder, site, tid, idxs, shape, kind: int = KIND_ARRAY):
    """Record a failure unless one is recorded already (first failing thread wins)."""
    gv = _slot(context, builder)
    res = builder.cmpxchg(_word(builder, gv, SLOT_CODE), ir.Constant(_I64, 0), site,
                          "monotonic", "monotonic")
    with builder.if_then(builder.extract_value(res, 1)):
        builder.store(tid, _word(builder, gv, SLOT_TID))
        nidx = len(idxs) if idxs is not None else -1
        builder.store(ir.Constant(_I64, nidx), _word(builder, gv, SLOT_NIDX))
        for d, v in enumerate(idxs or ()):
            builder.store(v, _word(builder, gv, SLOT_IDX + d))
        builder.store(ir.Constant(_I64, len(shape)), _word(builder, gv, SLOT_NDIM))
        builder.store(ir.Constant(_I64, kind), _word(builder, gv, SLOT_KIND))
        for d, v in enumerate(shape):
            builder.store(v, _word(builder, gv, SLOT_SHAPE + d))


def _extents(context, builder, ty, value):
    """The extents an index of ``ty`` is checked against, and the kind of ``ty``."""
    if isinstance(ty, types.Array):
        ary = context.make_array(ty)(context, builder, value)
        return cgutils.unpack_tuple(builder, ary.shape, ty.ndim), KIND_ARRAY
    dims = (ty.length,) if isinstance(ty, VecType) else ty.shape
    return [ir.Constant(_I64, d) for d in dims], KIND_VALUE


def _checkable(base, idxtys) -> bool:
    if not all(isinstance(t, types.Integer) for t in idxtys):
        return False
    if isinstance(base, types.Array):
        return len(idxtys) <= base.ndim
    if isinstance(base, VecType):
        return len(idxtys) == 1
    return isinstance(base, MatType) and len(idxtys) <= 2


def _in_bounds(context, builder, basety, base, idxtys, idxs, site, tid):
    """An i1 that is true when every index is inside its extent; reports when not."""
    shape, kind = _extents(context, builder, basety, base)
    zero = ir.Constant(_I64, 0)
    ok = cgutils.true_bit
    wide = []
    for d, (t, v) in enumerate(zip(idxtys, idxs)):
        v = context.cast(builder, v, t, types.int64)
        wide.append(v)
        inside = builder.and_(builder.icmp_signed(">=", v, zero),
                              builder.icmp_signed("<", v, shape[d]))
        ok = builder.and_(ok, inside)
    with builder.if_then(builder.not_(ok), likely=False):
        emit_report(context, builder, site, tid, wide, shape, kind)
    return ok


def _unpack(builder, ty, value):
    if isinstance(ty, types.BaseTuple):
        return list(ty.types), [builder.extract_value(value, k) for k in range(len(ty))]
    return [ty], [value]


def _make_checked(fn, name: str, spread: bool):
    """The checked form of ``fn``: see the module docstring.

    ``spread``: ``fn`` takes the indices as separate arguments (the atomics) rather than
    as one index argument (``getitem``, ``store``, ``inplace_*``).
    """

    def checked(typingctx, base, index, rest, site, tid):
        idxtys = list(index.types) if isinstance(index, types.BaseTuple) else [index]
        if not isinstance(rest, types.BaseTuple):
            return None
        argtys = (base, *idxtys, *rest.types) if spread else (base, index, *rest.types)
        fnty = typingctx.resolve_value_type(fn)
        inner = typingctx.resolve_function_type(fnty, argtys, {})
        if inner is None:
            return None
        check = _checkable(base, idxtys)

        def codegen(context, builder, sig, args):
            arr, idx_val, rest_val, site_val, tid_val = args
            _, idxs = _unpack(builder, index, idx_val)
            _, rest_vals = _unpack(builder, rest, rest_val)
            actual = (base, *idxtys, *rest.types) if spread else (base, index, *rest.types)
            values = [arr, *idxs, *rest_vals] if spread else [arr, idx_val, *rest_vals]
            # type the call again in this target's context: a Function type's implementation
            # keys are shared by all targets, and this intrinsic's typing may be cached
            # from a compile for another target
            tctx = context.typing_context
            fnty_here = tctx.resolve_value_type(fn)
            here = tctx.resolve_function_type(fnty_here, argtys, {})
            impl = context.get_function(fnty_here, here)

            def call(vals):
                cast = [context.cast(builder, v, t, ft)
                        for v, t, ft in zip(vals, actual, here.args)]
                return impl(builder, cast)

            if not check:
                return call(values)
            ok = _in_bounds(context, builder, base, arr, idxtys, idxs, site_val, tid_val)
            with builder.if_else(ok, likely=True) as (then, otherwise):
                with then:
                    good = call(values)
                    good_bb = builder.basic_block
                with otherwise:
                    bad = _skipped(context, builder, inner.return_type, base, arr, index,
                                   idxtys, values, call, spread)
                    bad_bb = builder.basic_block
            if inner.return_type == types.none:
                return context.get_dummy_value()
            phi = builder.phi(good.type)
            phi.add_incoming(good, good_bb)
            phi.add_incoming(bad, bad_bb)
            return phi

        return inner.return_type(base, index, rest, types.int64, types.int64), codegen

    checked.__name__ = checked.__qualname__ = f"checked_{name}"
    return intrinsic(checked)


def _skipped(context, builder, rtype, base, arr, index_ty, idxtys, values, call, spread):
    """The result of an access that failed its check (and is not done)."""
    if rtype == types.none:
        return None
    if rtype == base:  # store / inplace helpers return the array they updated
        return impl_ret_borrowed(context, builder, base, arr)
    if isinstance(rtype, types.Array) and not spread:
        # a partial index (a row of a 2-D array): the view at index 0, with every extent
        # zero, so that accesses through it are reported too and never touch memory
        zeros = [context.get_constant(t, 0) for t in idxtys]
        index = zeros[0] if not isinstance(index_ty, types.BaseTuple) else \
            context.make_tuple(builder, index_ty, zeros)
        view = context.make_array(rtype)(context, builder, call([values[0], index,
                                                                 *values[2:]]))
        view.shape = cgutils.pack_array(builder, [ir.Constant(_I64, 0)] * rtype.ndim)
        return view._getvalue()
    return context.get_constant_null(rtype)


@intrinsic
def assert_failed(typingctx, site, tid):
    """Record a failed ``assert`` (site code names the file, line and source)."""
    if not (isinstance(site, types.Integer) and isinstance(tid, types.Integer)):
        return None

    def codegen(context, builder, sig, args):
        s = context.cast(builder, args[0], sig.args[0], types.int64)
        t = context.cast(builder, args[1], sig.args[1], types.int64)
        emit_report(context, builder, s, t, None, ())
        return context.get_dummy_value()

    return types.none(site, tid), codegen


@intrinsic
def define_slot(typingctx):
    """Define the failure slot in the module of the kernel that calls this (CUDA)."""

    def codegen(context, builder, sig, args):
        if is_cuda_context(context):
            _slot(context, builder, define=True)
        return context.get_dummy_value()

    return types.none(), codegen


#: fn -> (its checked form, whether the indices are spread as separate arguments)
CHECKED: dict = {operator.getitem: _make_checked(operator.getitem, "getitem", spread=False)}
for _name in ("store", "inplace_add", "inplace_sub", "inplace_and", "inplace_or",
              "inplace_xor"):
    _fn = getattr(kernel_helpers, _name)
    CHECKED[_fn] = _make_checked(_fn, _name, spread=False)
for _name in atomics.__all__:
    if _name.startswith("atomic_"):
        _fn = getattr(atomics, _name)
        CHECKED[_fn] = _make_checked(_fn, _name, spread=True)
#: the functions whose indices are separate arguments, with their number of values
SPREAD = {getattr(atomics, n): (2 if n == "atomic_cas" else 1)
          for n in atomics.__all__ if n.startswith("atomic_")}
