"""(being written) Warp builtins: random_ops."""

__all__: list = []
