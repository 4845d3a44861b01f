"""Tiny PNG writer and colour map for the examples (no plotting library needed)."""

from __future__ import annotations

import math
import os
import struct
import zlib

import numpy as np


def colorize(field: np.ndarray, limit: float | None = None) -> np.ndarray:
    """Map a signed scalar field to RGB: blue (negative), white (zero), red (positive)."""
    limit = float(limit if limit is not None else max(np.abs(field).max(), 1e-9))
    t = np.clip(field / limit, -1.0, 1.0)
    r = np.where(t > 0, 1.0, 1.0 + t)
    g = 1.0 - np.abs(t)
    b = np.where(t < 0, 1.0, 1.0 - t)
    rgb = np.stack([r, g, b], axis=-1)
    return (rgb * 255.0 + 0.5).astype(np.uint8)


def write_png(path: str, rgb: np.ndarray) -> None:
    """Write an (h, w, 3) uint8 image as a PNG file (making its folder if need be)."""
    h, w, _ = rgb.shape
    raw = b"".join(b"\x00" + rgb[y].tobytes() for y in range(h))

    def chunk(tag: bytes, data: bytes) -> bytes:
        body = tag + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    png = b"\x89PNG\r\n\x1a\n"
    png += chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(raw, 6))
    png += chunk(b"IEND", b"")
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "wb") as f:
        f.write(png)


def loss_curve(values, size=(300, 560)) -> np.ndarray:
    """An (h, w, 3) uint8 picture of log10(values) over the iterations: a blue curve on
    white, with axes and a tick per decade."""
    return log_curves([(np.arange(len(values)), values, (40, 90, 220))], size)


def log_curves(series, size=(300, 560)) -> np.ndarray:
    """An (h, w, 3) uint8 picture of curves ``(x values, y values, rgb colour)`` with
    log10 of y over x (all on the same axes): axes and a tick per decade of y."""
    h, w = size
    img = np.full((h, w, 3), 255, np.uint8)
    logs = [np.log10(np.maximum(np.asarray(y, dtype=np.float64), 1e-30)) for _, y, _ in series]
    lo = math.floor(min(v.min() for v in logs))
    hi = max(math.ceil(max(v.max() for v in logs)), lo + 1)
    x_hi = max(float(np.max(x)) for x, _, _ in series) or 1.0
    img[h - 20, 30:w - 10] = (0, 0, 0)  # axes
    img[10:h - 20, 30] = (0, 0, 0)
    for decade in range(lo, hi + 1):  # a tick per decade
        y = int((h - 30) - (decade - lo) / (hi - lo) * (h - 40))
        img[y, 25:31] = (0, 0, 0)
    for (x, _, color), ly in zip(series, logs):
        x = np.asarray(x, dtype=np.float64)
        px = np.linspace(31, 31 + (w - 42) * x.max() / x_hi, 4 * (w - 42))
        ys = np.interp((px - 31) / (w - 42) * x_hi, x, ly)
        py = ((h - 30) - (ys - lo) / (hi - lo) * (h - 40)).astype(int)
        for xx, yy in zip(px.astype(int), py):
            img[max(0, yy - 1):yy + 2, min(xx, w - 1)] = color
    return img
