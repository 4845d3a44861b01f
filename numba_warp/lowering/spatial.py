"""(being written) Warp builtins: spatial."""

__all__: list = []
