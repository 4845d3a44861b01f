"""Stands for Warp's ``warp.render``: importing it works (Warp's examples import it
unconditionally and use a renderer only when asked to), and its renderers
(``OpenGLRenderer``, ``UsdRenderer``) raise NotSupportedError when created, saying why and
what to use instead (numba_warp/unsupported.py)."""

from .unsupported import module_getattr

__getattr__ = module_getattr("warp.render", __name__)
