"""NVIDIA Warp as an optional oracle of the geometry tests: where it is installed, the
tests compare with it too; elsewhere they check against brute force and analytic
results only."""


def optional_warp():
    """``warp`` (quiet, with its geometry submodule) when installed, else None."""
    try:
        import warp
        import warp.geometry  # noqa: F401
    except ImportError:
        return None
    warp.config.quiet = True
    return warp
