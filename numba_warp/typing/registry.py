"""The typing floor's registries: ``typeof`` for both Numba targets, and the rules for
functional updates of value types (``v[i] = x``, ``s.f = x`` on vectors, matrices and
structs).

``typeof``: numba-cuda keeps its own ``typeof`` dispatch table, which it consults before
Numba's; for classes (whose type is a subclass of ``type``) and ``float`` subclasses its
own handlers answer first, so such registrations must be made in both tables. The CUDA
side is filled in lazily, when numba-cuda is first imported by the runtime, so CPU-only
programs never import it.

Value updates: the code generator rewrites a component store on a value into
``store(base, index, value)`` / ``setattr_value(base, "name", value)`` (see
``lowering/kernel_helpers.py``), which return the updated copy. Each value type
registers, for its Numba type class, a rule ``rule(typingctx, base, index_or_name,
value) -> (signature, codegen)`` that types and lowers the update (or raises
``TypingError``); the helpers look the rule up with :func:`value_setitem_rule` /
:func:`value_setattr_rule`.
"""

from __future__ import annotations

from numba.extending import typeof_impl

__all__ = ["register_typeof", "install_cuda_typeof", "register_value_setitem",
           "register_value_setattr", "value_setitem_rule", "value_setattr_rule"]

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


# Numba type class -> rule(typingctx, base, index, value) -> (signature, codegen)
_setitem_rules: dict[type, object] = {}
# Numba type class -> rule(typingctx, base, name: str, value) -> (signature, codegen)
_setattr_rules: dict[type, object] = {}


def register_value_setitem(type_class, rule) -> None:
    """``base[index] = value`` on values of Numba type ``type_class`` (and subclasses)."""
    _setitem_rules[type_class] = rule


def register_value_setattr(type_class, rule) -> None:
    """``base.name = value`` on values of Numba type ``type_class`` (and subclasses)."""
    _setattr_rules[type_class] = rule


def _find(rules, t):
    for cls, rule in rules.items():
        if isinstance(t, cls):
            return rule
    return None


def value_setitem_rule(t):
    """The setitem rule for Numba type ``t``, or None when ``t`` has none."""
    return _find(_setitem_rules, t)


def value_setattr_rule(t):
    """The setattr rule for Numba type ``t``, or None when ``t`` has none."""
    return _find(_setattr_rules, t)
