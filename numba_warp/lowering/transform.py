"""(being written) Warp builtins: transform."""

__all__: list = []
