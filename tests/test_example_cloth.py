"""The cloth example runs small and ends draped over the sphere (examples/example_cloth.py)."""

import importlib.util
import os

import numpy as np

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")


def _load(name):
    spec = importlib.util.spec_from_file_location(name, os.path.join(EXAMPLES, f"{name}.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_cloth_example(device, tmp_path):
    # a 24 x 24 cloth falls 0.4 m onto a sphere for 2 s (1620 substeps) and drapes over it
    cloth = _load("example_cloth")
    out = tmp_path / "cloth.png"
    r = cloth.run(device, n=24, frames=4, width=80, height=64, out=str(out))
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    x, start = r["positions"], r["start"]
    assert x.shape == (24 * 24, 3) and np.all(np.isfinite(x))
    center = np.array(cloth.CENTER)
    top = center[1] + cloth.RADIUS + cloth.THICKNESS
    # every particle stays outside the sphere (by the cloth's thickness) and above the ground
    gap = np.linalg.norm(x - center, axis=1) - cloth.RADIUS
    assert gap.min() > cloth.THICKNESS - 1e-3 and abs(r["min_gap"] - gap.min()) < 1e-6
    assert x[:, 1].min() > cloth.THICKNESS - 1e-4
    # it fell: from a flat sheet at DROP to hanging around the ball, its hem low
    assert np.allclose(start[:, 1], cloth.DROP)
    assert x[:, 1].mean() < start[:, 1].mean() - 0.6
    assert x[:, 1].min() < 0.2 * center[1]
    # and rests on the sphere: the middle of the cloth sits on its top, a good part of
    # the cloth touches it, and nothing flies about any more
    middle = np.argmin(np.linalg.norm(start[:, [0, 2]], axis=1))
    assert abs(x[middle, 1] - top) < 0.02 and np.linalg.norm(x[middle, [0, 2]]) < 0.15
    assert x[:, 1].max() < top + 0.02
    assert np.mean(gap < 1.5 * cloth.THICKNESS) > 0.15
    assert np.linalg.norm(r["velocities"], axis=1).max() < 0.5
    # the springs hold: bounded stretch during the fall, little once draped
    assert 0.0 < r["max_strain"] < 0.2 and r["frame_strains"][-1] < 0.08
    image = r["image"].astype(float)
    assert image.shape == (64, 4 * 80, 3)
    # the last frame: red-and-cream fabric in the middle, the blue-grey sky in the top
    # corners (as in the first frame)
    last = image[:, -80:]
    red = last[22:42, 28:52, 0] - last[22:42, 28:52, 2]
    assert np.mean(red > 40.0) > 0.25
    for corner in (last[:4, :4], last[:4, -4:], image[:4, :4]):
        assert np.all(corner[..., 2] - corner[..., 0] > 15.0)
