"""``prefetch(array, index)``: a hint that the CUDA launcher gives for the next element.

The CUDA launcher is a grid-stride loop: thread ``t`` runs the kernel body for ``t``,
``t + stride``, ... One element load per thread and iteration cannot keep enough bytes
in flight to saturate HBM; the next iteration's loads cannot be moved above this
iteration's stores either (the compiler cannot prove that they touch other memory).
For arrays that the kernel reads at exactly its thread index (``a[i]`` with
``i = wp.tid()``), the launcher therefore asks the memory system for the next
iteration's element ahead of time (``prefetch.L2``): a hint with no effect on results,
which never faults and is only issued for indices inside the array.

On the CPU it emits nothing.
"""

from __future__ import annotations

from llvmlite import ir
from numba.core import types
from numba.extending import intrinsic

from .atomics import element_pointer, is_cuda_context

__all__ = ["prefetch"]


@intrinsic
def prefetch(typingctx, arr, index):
    if not isinstance(arr, types.Array) or arr.ndim != 1 or \
            not isinstance(index, types.Integer):
        return None
    sig = types.void(arr, index)

    def codegen(context, builder, signature, args):
        if is_cuda_context(context):
            ptr = element_pointer(context, builder, arr, args[0], (index,), (args[1],))
            addr = builder.ptrtoint(ptr, ir.IntType(64))
            hint = ir.InlineAsm(ir.FunctionType(ir.VoidType(), [ir.IntType(64)]),
                                "prefetch.L2 [$0];", "l", side_effect=True)
            builder.call(hint, [addr])
        return context.get_dummy_value()

    return sig, codegen
