"""PyTorch interop with Warp 1.19's names and meaning: ``wp.from_torch``, ``wp.to_torch``,
``wp.device_from_torch``/``device_to_torch``, ``wp.dtype_from_torch``/``dtype_to_torch``
and ``wp.stream_from_torch``/``stream_to_torch``.

Arrays are shared, never copied: ``from_torch(t)`` is a ``wp.array`` over the tensor's
memory (its strides kept; a vector/matrix ``dtype`` takes the trailing dimensions as its
components, which must be adjacent), and ``to_torch(a)`` a tensor over the array's. Each
keeps the other alive. Gradients are shared the same way: ``from_torch(t,
requires_grad=True)`` views ``t.grad`` as the array's ``grad`` (allocating it, zeroed, when
the tensor has none yet), so kernels recorded on a ``wp.Tape`` accumulate straight into
what ``torch.optim`` reads; ``to_torch`` of an array that requires grad gives a leaf
tensor whose ``.grad`` is the array's gradient.

:func:`torch_function` (numba_warp's own, not Warp's) makes a function of arrays that
launches kernels a differentiable torch function: its launches are recorded on a
``wp.Tape``, and torch's backward replays them.

torch is an optional dependency: it is imported by these functions, never by
``import numba_warp``.
"""

from __future__ import annotations

import functools

from ..runtime.array import array
from ..runtime.device import Stream, get_device
from ..runtime.factories import zeros
from ..runtime.foreign import element_layout
from ..typing.dtypes import element_type, from_numpy_dtype, type_name
from ..typing.scalars import scalar_types
from ..typing.structs import is_struct_class
from ..tape import Tape

__all__ = ["device_from_torch", "device_to_torch", "dtype_from_torch", "dtype_to_torch",
           "from_torch", "stream_from_torch", "stream_to_torch", "to_torch", "torch_function"]

#: torch dtype name -> our scalar type (bfloat16 and complex types have none)
_FROM_TORCH = {n: n for n in ("float16", "float32", "float64", "int8", "int16", "int32",
                              "int64", "uint8", "bool")}
#: our scalar type -> torch dtype name (unsigned types above uint8 map to the signed
#: type of their width, as in Warp: torch has no arithmetic for them)
_TO_TORCH = {**_FROM_TORCH, "uint16": "int16", "uint32": "int32", "uint64": "int64"}
#: scalar types a tensor of each torch dtype may be viewed as (same width; as Warp)
_COMPATIBLE = {"float16": {"float16"}, "float32": {"float32"}, "float64": {"float64"},
               "int64": {"int64", "uint64"}, "int32": {"int32", "uint32"},
               "int16": {"int16", "uint16"}, "int8": {"int8", "uint8"},
               "uint8": {"uint8", "int8"}, "bool": {"bool", "uint8", "int8"}}


def _torch():
    import torch  # optional dependency (pip install torch)

    return torch


def _torch_name(torch_dtype) -> str:
    return str(torch_dtype).replace("torch.", "")


def dtype_from_torch(torch_dtype):
    """The numba_warp scalar type of a ``torch.dtype`` (TypeError for bfloat16, complex
    and others numba_warp has no type for).

    Example
    -------
    >>> import torch
    >>> wp.dtype_from_torch(torch.float32) is wp.float32
    True
    >>> wp.dtype_from_torch(torch.int64) is wp.int64
    True
    >>> wp.dtype_from_torch(torch.bfloat16)
    Traceback (most recent call last):
    ...
    TypeError: Cannot convert torch.bfloat16 to a numba_warp type ...
    """
    name = _FROM_TORCH.get(_torch_name(torch_dtype))
    if name is None:
        raise TypeError(f"Cannot convert {torch_dtype} to a numba_warp type (float16/32/64, "
                        "int8/16/32/64, uint8 and bool tensors can be shared)")
    return scalar_types[name]


def dtype_to_torch(dtype):
    """The ``torch.dtype`` of a numba_warp scalar type (uint16/32/64 become the signed
    torch type of the same width, as in Warp).

    Example
    -------
    >>> wp.dtype_to_torch(wp.float16), wp.dtype_to_torch(wp.uint32)
    (torch.float16, torch.int32)
    """
    try:
        name = _TO_TORCH[type_name(element_type(dtype).dtype)]
    except (KeyError, TypeError):
        raise TypeError(f"Cannot convert {dtype} to a Torch type") from None
    return getattr(_torch(), name)


def device_from_torch(torch_device):
    """The numba_warp device of a torch device (or its name: "cpu", "cuda", "cuda:1").

    Example
    -------
    >>> import torch
    >>> wp.device_from_torch(torch.device("cpu")).is_cpu, wp.device_from_torch("cpu") == "cpu"
    (True, True)
    """
    torch = _torch()
    if isinstance(torch_device, str):
        torch_device = torch.device(torch_device)
    elif not isinstance(torch_device, torch.device):
        raise ValueError("Argument must be a torch.device object or a string")
    if torch_device.type == "cpu":
        return get_device("cpu")
    if torch_device.type == "cuda":
        if torch_device.index is None:
            return get_device("cuda")
        return get_device(f"cuda:{torch_device.index}")
    raise RuntimeError(f"Unsupported Torch device type {torch_device.type} (cpu and cuda "
                       "are shared with numba_warp)")


def device_to_torch(device) -> str:
    """The torch device name of a numba_warp device ("cpu" or "cuda:N").

    Example
    -------
    >>> wp.device_to_torch("cpu")
    'cpu'
    >>> wp.device_to_torch(wp.get_preferred_device()) in ("cpu", "cuda:0")
    True
    """
    dev = get_device(device)
    return "cpu" if dev.is_cpu else f"cuda:{dev.ordinal}"


def _check_compatible(torch_dtype, et):
    tname = _torch_name(torch_dtype)
    allowed = _COMPATIBLE.get(tname)
    sname = type_name(from_numpy_dtype(et.scalar_np))
    if allowed is None or sname not in allowed:
        raise RuntimeError(f"Cannot convert Torch type {torch_dtype} to numba_warp type "
                           f"{type_name(et.dtype)} (its {sname} components would be "
                           f"{tname} values)")


def from_torch(t, dtype=None, requires_grad=None, grad=None, return_ctype=False,
               retain_grad=False):
    """A ``wp.array`` sharing the memory of the torch tensor ``t`` (see the module
    docstring). ``dtype``: the element type (default: the tensor's scalar type; a
    vector/matrix type takes the trailing dimensions); ``requires_grad`` (default:
    ``t.requires_grad``) shares ``t.grad`` or ``grad`` (a tensor or a ``wp.array``) as the
    array's gradient. ``return_ctype`` is accepted for Warp's signature and returns the
    array itself (numba_warp launches take arrays as fast).

    Example
    -------
    >>> import torch
    >>> t = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    >>> a = wp.from_torch(t, dtype=wp.vec3)  # one vec3 per row, no copy
    >>> a.shape, a.dtype is wp.vec3, a.device.is_cpu
    ((2,), True, True)
    >>> t[0, 0] = 10.0
    >>> a.numpy()[0].tolist()
    [10.0, 2.0, 3.0]
    >>> x = torch.zeros(3, requires_grad=True)
    >>> wp.from_torch(x).grad.shape, x.grad.tolist()  # x.grad made, shared with the array
    ((3,), [0.0, 0.0, 0.0])
    """
    torch = _torch()
    if not isinstance(t, torch.Tensor):
        raise TypeError(f"from_torch() expects a torch.Tensor, got {type(t).__name__}")
    scalar = dtype_from_torch(t.dtype)
    et = element_type(scalar if dtype is None else dtype)
    _check_compatible(t.dtype, et)
    itemsize = et.scalar_np.itemsize
    shape = tuple(t.shape)
    strides = tuple(s * itemsize for s in t.stride())
    if et.inner_shape:
        outer, outer_strides, problem = element_layout(shape, strides, itemsize, et)
        if problem is not None:
            raise RuntimeError(f"Could not convert PyTorch tensor with shape {shape} to "
                               f"numba_warp array with dtype={type_name(et.dtype)}: it "
                               f"{problem} (t.contiguous())")
        # (Warp's shape for a tensor that is one element: (1,))
        shape, strides = outer or (1,), outer_strides or (et.itemsize,)
    device = device_from_torch(t.device)
    if requires_grad is None:
        requires_grad = t.requires_grad
    a = array(ptr=t.data_ptr(), shape=shape, strides=strides, dtype=et, device=device,
              owner=t)
    if grad is not None:
        a.grad = grad if isinstance(grad, array) else \
            from_torch(grad, dtype=et.dtype, requires_grad=False)
    elif requires_grad:
        if t.grad is None:
            g = zeros(shape, dtype=et.dtype, device=device)
            t.grad = to_torch(g, requires_grad=False)
            a.grad = g
        else:
            a.grad = from_torch(t.grad, dtype=et.dtype, requires_grad=False)
    if retain_grad:
        a.retain_grad = True
    a._tensor = t  # (Warp's attribute: the tensor the array views)
    return a


def to_torch(a, requires_grad=None):
    """A torch tensor sharing the memory of ``a`` (vector/matrix elements become trailing
    dimensions). ``requires_grad`` (default: ``a.requires_grad``) makes it a leaf tensor
    that requires grad, whose ``.grad`` is ``a.grad`` when ``a`` has one.

    Example
    -------
    >>> a = wp.array([[1.0, 2.0, 3.0]], dtype=wp.vec3)
    >>> t = wp.to_torch(a)  # no copy
    >>> t.shape, t.dtype, t.tolist()
    (torch.Size([1, 3]), torch.float32, [[1.0, 2.0, 3.0]])
    >>> t.device.type == ("cuda" if a.device.is_cuda else "cpu")
    True
    >>> g = wp.to_torch(wp.zeros(2, dtype=float, requires_grad=True))
    >>> g.requires_grad, g.grad.tolist()  # a leaf tensor, its .grad the array's gradient
    (True, [0.0, 0.0])
    """
    torch = _torch()
    if not isinstance(a, array):
        raise TypeError(f"to_torch() expects a wp.array, got {type(a).__name__}")
    if requires_grad is None:
        requires_grad = a.requires_grad
    t = _tensor_view(torch, a)
    if requires_grad:
        t.requires_grad_(True)
        if a.grad is not None:
            t.grad = _tensor_view(torch, a.grad)
    return t


def _tensor_view(torch, a):
    if is_struct_class(a.dtype):
        raise RuntimeError("Cannot convert arrays of structs to Torch tensors")
    # (DLPack keeps the array alive for as long as the tensor lives)
    t = torch.utils.dlpack.from_dlpack(a)
    want = dtype_to_torch(from_numpy_dtype(a.element_type.scalar_np))
    return t if t.dtype == want else t.view(want)


def stream_from_torch(stream_or_device=None):
    """A ``wp.Stream`` on a torch CUDA stream (default: torch's current stream of the
    device given, or of the current device): launches on it order with torch's work.

    Example
    -------
    >>> import torch
    >>> if wp.is_cuda_available() and torch.cuda.is_available():
    ...     s = wp.stream_from_torch("cuda:0")  # torch's current stream on cuda:0
    ...     assert s.cuda_stream == torch.cuda.current_stream("cuda:0").cuda_stream
    ...     with wp.ScopedStream(s):
    ...         a = wp.zeros(3, dtype=float)  # queued on torch's stream
    >>> wp.get_device("cpu").is_cuda  # (the CPU has no streams)
    False
    """
    torch = _torch()
    stream = stream_or_device if isinstance(stream_or_device, torch.cuda.Stream) else \
        torch.cuda.current_stream(stream_or_device)
    out = Stream(device_from_torch(stream.device), cuda_stream=stream.cuda_stream)
    out._torch_stream = stream  # (keeps torch's stream object alive)
    return out


def stream_to_torch(stream_or_device=None):
    """A ``torch.cuda.ExternalStream`` on a ``wp.Stream`` (default: the current stream of
    the device given, or of the current device).

    Example
    -------
    >>> import torch
    >>> if wp.is_cuda_available() and torch.cuda.is_available():
    ...     ts = wp.stream_to_torch("cuda:0")  # numba_warp's current stream on cuda:0
    ...     assert ts.cuda_stream == wp.get_stream("cuda:0").cuda_stream
    ...     with torch.cuda.stream(ts):
    ...         t = torch.zeros(3, device="cuda:0")  # queued on numba_warp's stream
    >>> wp.get_device("cpu").is_cuda  # (the CPU has no streams)
    False
    """
    torch = _torch()
    stream = stream_or_device if isinstance(stream_or_device, Stream) else \
        get_device(stream_or_device).stream
    out = torch.cuda.ExternalStream(stream.cuda_stream, device=device_to_torch(stream.device))
    out._warp_stream = stream
    return out


def torch_function(fn):
    """Make ``fn`` a differentiable function of torch tensors (numba_warp's helper).

    ``fn`` takes ``wp.array``s (and any other values) and launches kernels; it returns an
    array or a tuple of arrays, which it allocates with ``requires_grad=True`` for them to
    carry gradients. The wrapped function takes tensors in their place: each is shared
    with ``fn`` as an array (no copy; one that requires grad gets a gradient array), the
    launches are recorded on a ``wp.Tape``, and the results come back as tensors sharing
    the arrays' memory. torch's backward seeds the results' gradients, replays the
    tape's backward pass and hands each input its gradient, so numba_warp kernels sit
    inside a torch model and ``torch.optim`` trains through them.

    Example
    -------
    >>> import torch
    >>> @wp.kernel
    ... def f(x: wp.array(dtype=float), w: wp.array(dtype=float), y: wp.array(dtype=float)):
    ...     i = wp.tid()
    ...     y[i] = x[i] * x[i] * w[i]
    >>> @wp.torch_function
    ... def x2w(x, w):
    ...     y = wp.empty_like(x, requires_grad=True)
    ...     wp.launch(f, x.shape, inputs=[x, w], outputs=[y], device=x.device)
    ...     return y
    >>> x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> w = torch.tensor([1.0, 1.0, 2.0], requires_grad=True)
    >>> loss = x2w(x, w).sum()  # 1 + 4 + 18
    >>> loss.backward()  # through the kernel's adjoint
    >>> loss.item(), x.grad.tolist(), w.grad.tolist()  # 2 x w, x * x
    (23.0, [2.0, 4.0, 12.0], [1.0, 4.0, 9.0])
    """
    @functools.wraps(fn)
    def call(*args):
        return _tape_function(_torch()).apply(fn, *args)

    return call


_TAPE_FUNCTION: list = []


def _tape_function(torch):
    """The ``torch.autograd.Function`` behind :func:`torch_function` (made once)."""
    if _TAPE_FUNCTION:
        return _TAPE_FUNCTION[0]

    class TapeFunction(torch.autograd.Function):
        @staticmethod
        def forward(ctx, fn, *args):
            arrays = [_shared_input(torch, x) for x in args]
            tape = Tape()
            with tape:
                outs = fn(*arrays)
            single = not isinstance(outs, (tuple, list))
            outs = (outs,) if single else tuple(outs)
            for k, o in enumerate(outs):
                if not isinstance(o, array):
                    raise TypeError(f"torch_function({fn.__name__}): result {k} is a "
                                    f"{type(o).__name__}; return wp.arrays")
            ctx.tape, ctx.arrays, ctx.outs = tape, arrays, outs
            tensors = tuple(to_torch(o, requires_grad=False) for o in outs)
            return tensors[0] if single else tensors

        @staticmethod
        def backward(ctx, *grads):
            seeds = {o: from_torch(g.contiguous(), dtype=o.dtype, requires_grad=False)
                     for o, g in zip(ctx.outs, grads) if g is not None and o.requires_grad}
            if seeds:
                ctx.tape.backward(grads=seeds)
            out = [None]  # (fn)
            for a in ctx.arrays:
                ok = isinstance(a, array) and a.requires_grad and seeds
                out.append(to_torch(a.grad, requires_grad=False).clone() if ok else None)
            ctx.tape.zero()  # (a second backward, retain_graph=True, starts afresh)
            return tuple(out)

    _TAPE_FUNCTION.append(TapeFunction)
    return TapeFunction


def _shared_input(torch, x):
    if not isinstance(x, torch.Tensor):
        return x
    a = from_torch(x.detach(), requires_grad=False)
    if x.requires_grad:
        a.requires_grad = True  # (its own zeroed gradient array)
    return a
