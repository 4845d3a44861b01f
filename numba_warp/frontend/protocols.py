"""What the compiler floors need of the runtime's callable objects.

``@wp.func`` functions and ``@wp.kernel`` kernels are runtime objects (they compile,
cache and launch), but the forward code generator, the effects analysis and the adjoint
compiler below the runtime meet them in user code. They see them through these two
abstract bases, which ``runtime.func.Function`` and ``runtime.kernel.Kernel`` derive
from; nothing here imports the runtime.
"""

from __future__ import annotations

import abc

__all__ = ["UserFunction", "UserKernel", "FunctionOverload"]


class FunctionOverload(abc.ABC):
    """One definition of a user function.

    ``params``: ``[(name, spec)]``, one per parameter (``spec`` is a
    ``typing.argspec`` spec).
    """

    params: list

    @abc.abstractmethod
    def generated(self):
        """The overload's forward code (a ``frontend.emit.GeneratedSource``)."""


class UserFunction(abc.ABC):
    """A ``@wp.func``: called from kernels, differentiated through its companions.

    ``overloads``: its definitions (:class:`FunctionOverload`); ``__name__``: its name.
    """

    overloads: list

    @abc.abstractmethod
    def call_layout(self, n_args: int, keywords: list) -> list | None:
        """Where a call's values go, per parameter: ``("arg", i)``, ``("kw", name)`` or
        ``("default", value)``; ``None`` when the overloads disagree."""

    @abc.abstractmethod
    def as_operator(self, fallback: str) -> "UserFunction":
        """This function overloading an operator, with the builtin ``fallback`` for
        other operand types."""

    @abc.abstractmethod
    def adjoint_callable(self):
        """A Numba-callable ``(args..., adj_args..., adj_ret) -> contributions``."""

    @abc.abstractmethod
    def grad_callable(self):
        """A Numba-callable ``(args...) -> adjoints of the inputs`` (``wp.grad(f)``)."""

    @abc.abstractmethod
    def replay_callable(self):
        """A Numba-callable ``(args...) -> value`` without side effects."""


class UserKernel(abc.ABC):
    """A ``@wp.kernel`` (``key``: its name). A marker: the code generator refuses to
    call a kernel from kernel code."""

    key: str
