"""Web-Mercator tile addresses for tests that ask for the tile holding a place."""

from __future__ import annotations

import math


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    """The column and row of the zoom-``z`` tile holding ``lon``, ``lat`` (XYZ scheme)."""
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y
