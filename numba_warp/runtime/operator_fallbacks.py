"""The builtin operators written as function bodies.

As in Warp, a ``@wp.func`` named like an operator's builtin (``add`` for ``+``, ``mul`` for
``*`` and ``@``, ...) in a kernel's scope overloads that operator: ``a + b`` calls the
user's function when one of its overloads takes the operands' types, and the builtin
operator otherwise. The operator is compiled as a function whose overloads are the user's
plus one of these, taking any types (``Function.as_operator``). Their names start with an
underscore so that the operators in their bodies are the builtins.
"""

from typing import Any


def _add(a: Any, b: Any):
    return a + b


def _sub(a: Any, b: Any):
    return a - b


def _mul(a: Any, b: Any):
    return a * b


def _matmul(a: Any, b: Any):
    return a @ b


def _div(a: Any, b: Any):
    return a / b


def _floordiv(a: Any, b: Any):
    return a // b


def _mod(a: Any, b: Any):
    return a % b


def _pow(a: Any, b: Any):
    return a**b


def _bit_and(a: Any, b: Any):
    return a & b


def _bit_or(a: Any, b: Any):
    return a | b


def _bit_xor(a: Any, b: Any):
    return a ^ b


def _lshift(a: Any, b: Any):
    return a << b


def _rshift(a: Any, b: Any):
    return a >> b
