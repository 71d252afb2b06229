"""The extent of GeoJSON geometries, for framing a map on what it shows."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from shapely.geometry import shape

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 (lon/lat)


def bounds(geometries: Iterable[Mapping[str, Any] | None]) -> Box | None:
    """The box around every geometry given (``None`` entries skipped); ``None`` if there is none."""
    boxes = [shape(g).bounds for g in geometries if g]
    if not boxes:
        return None
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def leaflet(box: Box) -> list[list[float]]:
    """``box`` as Leaflet's ``[[south, west], [north, east]]``."""
    x0, y0, x1, y1 = box
    return [[y0, x0], [y1, x1]]
