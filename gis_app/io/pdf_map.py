"""A site's map for PDFs, drawn offline as vector graphics (ReportLab) from database geometry.

Input is :func:`gis_app.db.brochure_queries.site_map`: the box and GeoJSON geometries in
EPSG:4550 metres. Land (the jurisdiction) is drawn on sea, other sites in grey without any of
their attributes, the site in orange with a black outline, infrastructure as coloured symbols
with their names; a scale bar and a north arrow complete it. The projection is conformal with
metres as units, so one scale holds across the map; the arrow points to grid north, which at
Zhoushan is within about half a degree of true north.

The same drawing goes into the brochure PDF, the investor's recommendation PDF, and (as SVG)
the brochure's print page.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

from reportlab.graphics.shapes import Circle, Drawing, Group, Path, PolyLine, Rect, String
from reportlab.lib import colors

from gis_app.domain import public_schema, vocab

SEA = colors.HexColor("#dbe8f2")
LAND = colors.HexColor("#f4f1ea")
COAST = colors.HexColor("#b9c7d3")
NEIGHBOUR = colors.HexColor("#d6d6d6")
NEIGHBOUR_LINE = colors.HexColor("#a6a6a6")
SITE = colors.HexColor("#e8793a")
INK = colors.HexColor("#222222")
#: symbol colour per infrastructure kind
INFRA_COLOURS: dict[str, str] = {
    "port": "#1f5fa8",
    "wharf": "#2b8cbe",
    "ferry_terminal": "#17a398",
    "expressway_interchange": "#c0392b",
    "airport": "#6c3483",
    "rail": "#444444",
    "substation": "#b7950b",
}


class _Frame:
    """Maps EPSG:4550 metres into the drawing's points (same scale on both axes)."""

    def __init__(self, box: Sequence[float], width: float, height: float) -> None:
        x0, y0, x1, y1 = box
        self.x0, self.y0 = x0, y0
        self.scale = min(width / (x1 - x0), height / (y1 - y0))
        self.width, self.height = width, height

    def xy(self, x: float, y: float) -> tuple[float, float]:
        return (x - self.x0) * self.scale, (y - self.y0) * self.scale


def _rings(geometry: dict[str, Any] | None) -> Iterable[list[list[float]]]:
    """Every ring of a (Multi)Polygon, or of the polygons of a GeometryCollection."""
    if not geometry:
        return
    kind = geometry["type"]
    if kind == "Polygon":
        yield from geometry["coordinates"]
    elif kind == "MultiPolygon":
        for polygon in geometry["coordinates"]:
            yield from polygon
    elif kind == "GeometryCollection":
        for g in geometry["geometries"]:
            yield from _rings(g)


def _polygon(frame: _Frame, geometry: dict[str, Any] | None, **style: Any) -> Path | None:
    path = Path(fillMode=1, **style)  # 1: even-odd, so holes stay open
    empty = True
    for ring in _rings(geometry):
        if len(ring) < 3:
            continue
        empty = False
        path.moveTo(*frame.xy(*ring[0][:2]))
        for pt in ring[1:]:
            path.lineTo(*frame.xy(*pt[:2]))
        path.closePath()
    return None if empty else path


def _lines(geometry: dict[str, Any]) -> Iterable[list[list[float]]]:
    kind = geometry["type"]
    if kind == "LineString":
        yield geometry["coordinates"]
    elif kind == "MultiLineString":
        yield from geometry["coordinates"]
    elif kind == "GeometryCollection":
        for g in geometry["geometries"]:
            yield from _lines(g)


def _anchor(geometry: dict[str, Any]) -> tuple[float, float] | None:
    """Where a feature's symbol goes: the point, or the middle vertex of a line."""
    if geometry["type"] == "Point":
        return tuple(geometry["coordinates"][:2])  # type: ignore[return-value]
    if geometry["type"] == "MultiPoint" and geometry["coordinates"]:
        return tuple(geometry["coordinates"][0][:2])  # type: ignore[return-value]
    pts = [p for line in _lines(geometry) for p in line]
    return tuple(pts[len(pts) // 2][:2]) if pts else None  # type: ignore[return-value]


def nice_length(max_m: float) -> float:
    """The longest 1, 2 or 5 × 10ⁿ metres not above ``max_m``."""
    exp = math.floor(math.log10(max_m))
    for step in (5, 2, 1):
        if step * 10**exp <= max_m:
            return float(step * 10**exp)
    return float(10 ** (exp - 1) * 5)


def _length_text(m: float) -> str:
    return f"{m / 1000:g} km" if m >= 1000 else f"{m:g} m"


def _scale_bar(frame: _Frame, font: str) -> Group:
    metres = nice_length(frame.width * 0.28 / frame.scale)
    length = metres * frame.scale
    x, y = 10.0, 10.0
    g = Group()
    g.add(
        Rect(
            x - 4, y - 4, length + 8, 20, fillColor=colors.white, strokeColor=None, fillOpacity=0.8
        )
    )
    g.add(Rect(x, y, length / 2, 3, fillColor=INK, strokeColor=INK, strokeWidth=0.5))
    g.add(
        Rect(
            x + length / 2,
            y,
            length / 2,
            3,
            fillColor=colors.white,
            strokeColor=INK,
            strokeWidth=0.5,
        )
    )
    g.add(String(x, y + 5.5, "0", fontName=font, fontSize=6.5, fillColor=INK))
    g.add(
        String(
            x + length,
            y + 5.5,
            _length_text(metres),
            fontName=font,
            fontSize=6.5,
            fillColor=INK,
            textAnchor="end",
        )
    )
    return g


def _north_arrow(frame: _Frame, font: str, lang: str) -> Group:
    cx, top = frame.width - 16.0, frame.height - 10.0
    g = Group()
    g.add(Circle(cx, top - 14, 11, fillColor=colors.white, strokeColor=None, fillOpacity=0.8))
    g.add(Path(fillColor=INK, strokeColor=INK, strokeWidth=0.5))
    arrow = g.contents[-1]
    arrow.moveTo(cx, top - 2)
    arrow.lineTo(cx + 5, top - 20)
    arrow.lineTo(cx, top - 16)
    arrow.lineTo(cx - 5, top - 20)
    arrow.closePath()
    label = public_schema.ui("map_north").label(lang)
    g.add(
        String(cx, top - 29, label, fontName=font, fontSize=7, fillColor=INK, textAnchor="middle")
    )
    return g


def site_map_drawing(
    data: dict[str, Any], width: float, height: float, font: str, lang: str = "zh"
) -> Drawing:
    """The map of ``data`` (:func:`gis_app.db.brochure_queries.site_map`) as a ReportLab
    drawing of ``width`` × ``height`` points, labels in ``lang`` with the CJK ``font``."""
    box = (data["x0"], data["y0"], data["x1"], data["y1"])
    frame = _Frame(box, width, height)
    d = Drawing(width, height)
    has_land = bool(data["land"])
    d.add(Rect(0, 0, width, height, fillColor=SEA if has_land else LAND, strokeColor=None))
    for land in data["land"]:
        shape = _polygon(frame, land, fillColor=LAND, strokeColor=COAST, strokeWidth=0.6)
        if shape is not None:
            d.add(shape)
    for other in data["neighbours"]:
        shape = _polygon(
            frame, other, fillColor=NEIGHBOUR, strokeColor=NEIGHBOUR_LINE, strokeWidth=0.4
        )
        if shape is not None:
            d.add(shape)
    site = _polygon(
        frame, data["site"], fillColor=SITE, fillOpacity=0.75, strokeColor=INK, strokeWidth=1.4
    )
    if site is not None:
        d.add(site)
        x0, y0, x1, y1 = site.getBounds()
        if max(x1 - x0, y1 - y0) < 24:
            # a small site in a wide view: a ring makes it easy to find
            r = max(x1 - x0, y1 - y0) / 2 + 9
            d.add(
                Circle(
                    (x0 + x1) / 2, (y0 + y1) / 2, r, fillColor=None, strokeColor=SITE, strokeWidth=2
                )
            )
    labels: list[tuple[float, float]] = []
    for feature in data["infrastructure"]:
        geometry = feature["geometry"]
        colour = colors.HexColor(INFRA_COLOURS.get(feature["kind"], "#555555"))
        for line in _lines(geometry):
            pts = [c for p in line for c in frame.xy(*p[:2])]
            if len(pts) >= 4:
                d.add(PolyLine(pts, strokeColor=colour, strokeWidth=1.6))
        anchor = _anchor(geometry)
        if anchor is None:
            continue
        x, y = frame.xy(*anchor)
        d.add(Circle(x, y, 3.6, fillColor=colour, strokeColor=colors.white, strokeWidth=1))
        # a label only where it does not sit on another one
        if all(abs(x - lx) > 40 or abs(y - ly) > 9 for lx, ly in labels):
            labels.append((x, y))
            name = public_schema.pick(lang, feature["name_zh"], feature["name_en"])
            kind = vocab.INFRA_KIND.label(feature["kind"], lang)
            text = name if kind in name else f"{name}（{kind}）" if lang == "zh" else name
            right = x < width - 90
            d.add(
                String(
                    x + (5 if right else -5),
                    y - 2.5,
                    text,
                    fontName=font,
                    fontSize=6.5,
                    fillColor=INK,
                    textAnchor="start" if right else "end",
                )
            )
    d.add(_scale_bar(frame, font))
    d.add(_north_arrow(frame, font, lang))
    # the legend: this site and other sites
    lx, ly = 10.0, height - 14.0
    d.add(Rect(lx - 4, ly - 14, 88, 24, fillColor=colors.white, strokeColor=None, fillOpacity=0.8))
    d.add(Rect(lx, ly, 9, 6, fillColor=SITE, strokeColor=INK, strokeWidth=0.8))
    d.add(
        String(
            lx + 13,
            ly + 0.5,
            public_schema.ui("map_site").label(lang),
            fontName=font,
            fontSize=6.5,
            fillColor=INK,
        )
    )
    d.add(Rect(lx, ly - 11, 9, 6, fillColor=NEIGHBOUR, strokeColor=NEIGHBOUR_LINE, strokeWidth=0.4))
    d.add(
        String(
            lx + 13,
            ly - 10.5,
            public_schema.ui("map_other_sites").label(lang),
            fontName=font,
            fontSize=6.5,
            fillColor=INK,
        )
    )
    d.add(Rect(0, 0, width, height, fillColor=None, strokeColor=INK, strokeWidth=0.8))
    return d
