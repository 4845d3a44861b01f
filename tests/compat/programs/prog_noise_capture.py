"""Scrolling terrain: fractal Brownian motion of Perlin noise, replayed as a captured graph.

A Warp program (written for this suite, in Warp's public API). A height map is the sum
of octaves of ``wp.noise`` (each octave one launch, halving amplitude and doubling
frequency); the octave launches are recorded once with ``wp.capture_begin`` /
``wp.capture_end`` and each frame replays them with ``wp.capture_launch`` after a kernel
scrolls the sample coordinates. ``run`` returns the final height map and coordinates.
"""

import numpy as np
import warp as wp


@wp.kernel
def add_octave(seed: int, frequency: float, amplitude: float, xs: wp.array[float],
               ys: wp.array[float], terrain: wp.array2d[float]):
    i, j = wp.tid()
    state = wp.rand_init(seed)
    p = wp.vec2(xs[j], ys[i]) * frequency
    terrain[i, j] += amplitude * wp.noise(state, p)


@wp.kernel
def scroll(coords: wp.array[float], velocity: float, dt: float):
    k = wp.tid()
    coords[k] = coords[k] + velocity * dt


class Terrain:
    def __init__(self, n=64, octaves=6, seed=7):
        self.n = n
        self.xs = wp.array(np.linspace(0.0, 3.0, n), dtype=float)
        self.ys = wp.array(np.linspace(-1.0, 2.0, n), dtype=float)
        self.heights = wp.zeros((n, n), dtype=float)
        device = wp.get_device()
        wp.capture_begin(device)
        try:
            frequency, amplitude = 1.5, 1.0
            for _ in range(octaves):
                wp.launch(add_octave, dim=(n, n),
                          inputs=[seed, frequency, amplitude, self.xs, self.ys],
                          outputs=[self.heights])
                frequency *= 2.0
                amplitude *= 0.5
        finally:
            self.graph = wp.capture_end(device)

    def frame(self):
        wp.launch(scroll, dim=self.n, inputs=[self.xs, 0.75, 1.0 / 30.0])
        self.heights.zero_()
        wp.capture_launch(self.graph)


def run(device, frames=3, n=64):
    with wp.ScopedDevice(device):
        terrain = Terrain(n)
        for _ in range(frames):
            terrain.frame()
        return {"heights": terrain.heights.numpy(), "xs": terrain.xs.numpy()}
