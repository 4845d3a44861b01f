"""typeof registrations for both Numba targets.

numba-cuda keeps its own ``typeof`` dispatch table, which it consults before Numba's;
for classes (whose type is a subclass of ``type``) and ``float`` subclasses its own
handlers answer first, so such registrations must be made in both tables. The CUDA
side is filled in lazily, when numba-cuda is first imported by the runtime, so CPU-only
programs never import it.
"""

from __future__ import annotations

from numba.extending import typeof_impl

__all__ = ["register_typeof", "install_cuda_typeof"]

_pending: list = []
_installed = [False]


def register_typeof(cls):
    """Decorator: register a typeof function for ``cls`` on the CPU and CUDA targets."""

    def wrap(fn):
        typeof_impl.register(cls)(fn)
        _pending.append((cls, fn))
        if _installed[0]:
            _install_one(cls, fn)
        return fn

    return wrap


def _install_one(cls, fn):
    from numba.cuda.typing.typeof import typeof_impl as cuda_typeof_impl

    cuda_typeof_impl.register(cls)(fn)


def install_cuda_typeof() -> None:
    """Called once numba.cuda is imported: copy every registration to its table."""
    if _installed[0]:
        return
    for cls, fn in _pending:
        _install_one(cls, fn)
    _installed[0] = True
