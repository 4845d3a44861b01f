"""(being written) Warp builtins: vector_math."""

__all__: list = []
