"""Python-scope arithmetic operators of arrays (Warp 1.19's ``wp.array`` operators).

``a + b``, ``a - b``, ``a * b``, ``a / b``, ``a // b``, ``a % b``, ``a ** b`` (and the
reflected forms, ``2.0 * a``), ``-a``, ``+a`` and the in-place ``+=``, ``-=``, ``*=``,
``/=``, ``//=``, ``%=``, ``**=`` apply the kernel-language operator element by element,
in a kernel on the arrays' device, with NumPy broadcasting; ``@`` is refused, as in Warp.
The rules (types, devices, gradients) are those of ``runtime/array_arith.py``, which
installs the implementation here: it launches kernels, and kernels are built on arrays,
so this base class of ``wp.array`` cannot import it.
"""

from __future__ import annotations

__all__ = ["ArrayOperators", "install_array_operators"]

_IMPL: dict = {}


def install_array_operators(binary, unary) -> None:
    """Set ``binary(op, left, right, out=None)`` and ``unary(op, operand)``; ``op`` is a
    name of ``runtime/array_arith.py``'s operator table (``"add"``, ``"neg"``, ...)."""
    _IMPL.update(binary=binary, unary=unary)


def _impl(kind: str):
    fn = _IMPL.get(kind)
    if fn is None:
        raise RuntimeError("array operators need numba_warp.runtime.array_arith, which "
                           "`import numba_warp` installs; the package's import did not finish")
    return fn


def _binary(op: str, reflected: bool = False):
    if reflected:
        def method(self, other):
            return _impl("binary")(op, other, self)
    else:
        def method(self, other):
            return _impl("binary")(op, self, other)
    method.__name__ = f"__{'r' if reflected else ''}{op}__"
    return method


def _inplace(op: str):
    def method(self, other):
        _impl("binary")(op, self, other, out=self)
        return self

    method.__name__ = f"__i{op}__"
    return method


def _unary(op: str):
    def method(self):
        return _impl("unary")(op, self)

    method.__name__ = f"__{op}__"
    return method


class ArrayOperators:
    """The arithmetic operators of ``wp.array`` and ``wp.indexedarray`` (see the module
    docstring)."""

    __slots__ = ()

    __add__, __radd__, __iadd__ = _binary("add"), _binary("add", True), _inplace("add")
    __sub__, __rsub__, __isub__ = _binary("sub"), _binary("sub", True), _inplace("sub")
    __mul__, __rmul__, __imul__ = _binary("mul"), _binary("mul", True), _inplace("mul")
    __truediv__ = _binary("div")
    __rtruediv__ = _binary("div", True)
    __itruediv__ = _inplace("div")
    __floordiv__ = _binary("floordiv")
    __rfloordiv__ = _binary("floordiv", True)
    __ifloordiv__ = _inplace("floordiv")
    __mod__, __rmod__, __imod__ = _binary("mod"), _binary("mod", True), _inplace("mod")
    __pow__, __rpow__, __ipow__ = _binary("pow"), _binary("pow", True), _inplace("pow")
    __neg__, __pos__ = _unary("neg"), _unary("pos")

    def __matmul__(self, other):
        raise TypeError("matrix multiplication (@) is not supported for wp.array objects (as "
                        "in Warp); multiply matrices element by element with '*' on arrays of "
                        "matrices, or write a kernel")

    __rmatmul__ = __imatmul__ = __matmul__
