"""(being written) Warp builtins: quat."""

__all__: list = []
