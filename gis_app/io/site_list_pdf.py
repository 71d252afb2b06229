"""A PDF list of searched sites with a map, for officers to take to a meeting (ReportLab).

Landscape A4: a title saying what was searched, a map of the sites (outlines filled by
availability over the jurisdiction's outline, numbered like the list, with a scale bar) drawn
as vector graphics from the geometries in EPSG:4550 (CGCS2000 3° Gauss-Krüger, metres), then
the list — one row per site, its code linked to the site's sheet in the app. The columns are
registry fields (labels, units and digits from :mod:`gis_app.domain.fields`; coded values by
the Chinese labels the export frame carries). Fonts as for the investors' PDF
(:mod:`gis_app.io.pdf_export`).
"""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Mapping
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import geopandas as gpd
import pandas as pd
import shapely
from reportlab.graphics.shapes import Circle, Drawing, Line, Polygon, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import LongTable, Paragraph, SimpleDocTemplate, Spacer, TableStyle
from shapely.geometry.base import BaseGeometry

from gis_app.domain import fields
from gis_app.io.pdf_export import _font, _styles

#: the fields listed per site, in order (labels, units and digits from the registry)
LIST_FIELDS: tuple[str, ...] = (
    "code",
    "name_zh",
    "kind",
    "township",
    "area_mu",
    "availability",
    "planned_use",
    "readiness",
    "reserve_price_wan_per_mu",
)
#: the projected CRS the map is drawn in (metres; covers Zhoushan, see DESIGN.md)
MAP_EPSG = 4550
#: sites are numbered on the map up to this many (beyond, numbers would cover each other)
MAX_MAP_LABELS = 150
_PAGE = landscape(A4)
_MARGIN = 12 * mm
_MAP_W, _MAP_H = _PAGE[0] - 2 * _MARGIN, 105 * mm
_GREY = colors.HexColor("#777777")
_DEFAULT_FILL = "#999999"


def _label(name: str) -> str:
    f = fields.SITE[name]
    return f"{f.zh}<br/>{escape(f.en or name)}"


def _cell(row: pd.Series, name: str) -> str:
    """The text of a field for the list: the Chinese label of a coded value, numbers with the
    registry's digits."""
    f = fields.SITE[name]
    value = row.get(f"{name}_zh") if f"{name}_zh" in row.index else None
    if value is None or (isinstance(value, float) and math.isnan(value)):
        value = row.get(name)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if f.type in ("float", "int") and isinstance(value, int | float):
        return f"{value:,.{f.digits if f.digits is not None else 2}f}"
    return str(value)


def _rings(geom: BaseGeometry) -> list[Any]:
    """Exterior rings of a (multi)polygon, for drawing."""
    polys = getattr(geom, "geoms", [geom])
    return [p.exterior for p in polys if not p.is_empty and hasattr(p, "exterior")]


def _scale_bar(d: Drawing, metres_per_pt: float, x: float, y: float) -> None:
    """A scale bar of a round length about a sixth of the map's width."""
    target = metres_per_pt * _MAP_W / 6
    step = 10 ** math.floor(math.log10(target))
    length = max(s * step for s in (1, 2, 5) if s * step <= target)
    w = length / metres_per_pt
    d.add(Line(x, y, x + w, y, strokeColor=colors.black, strokeWidth=1.5))
    for tick in (x, x + w):
        d.add(Line(tick, y - 2, tick, y + 2, strokeColor=colors.black, strokeWidth=1))
    text = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    d.add(String(x + w + 4, y - 3, text, fontSize=7))


def _map(
    gdf: gpd.GeoDataFrame, outline: BaseGeometry | None, colours: Mapping[str, str], font: str
) -> Drawing:
    """The sites (filled by availability, numbered) over the jurisdiction's outline."""
    d = Drawing(_MAP_W, _MAP_H)
    d.add(
        Polygon(
            [0, 0, _MAP_W, 0, _MAP_W, _MAP_H, 0, _MAP_H],
            fillColor=colors.HexColor("#eef3f7"),
            strokeColor=_GREY,
            strokeWidth=0.5,
        )
    )
    if gdf.empty:
        return d
    sites = gdf.to_crs(MAP_EPSG)
    x0, y0, x1, y1 = sites.total_bounds
    pad = max(x1 - x0, y1 - y0, 500.0) * 0.08
    x0, y0, x1, y1 = x0 - pad, y0 - pad, x1 + pad, y1 + pad
    scale = min(_MAP_W / (x1 - x0), _MAP_H / (y1 - y0))  # points per metre
    ox = (_MAP_W - (x1 - x0) * scale) / 2
    oy = (_MAP_H - (y1 - y0) * scale) / 2

    def pts(ring: Any) -> list[float]:
        out: list[float] = []
        for x, y in ring.coords:
            out += [ox + (x - x0) * scale, oy + (y - y0) * scale]
        return out

    if outline is not None:
        land = gpd.GeoSeries([outline], crs=gdf.crs).to_crs(MAP_EPSG).iloc[0]
        land = shapely.clip_by_rect(land, x0, y0, x1, y1).simplify(0.5 / scale)
        for ring in _rings(land):
            d.add(
                Polygon(
                    pts(ring),
                    fillColor=colors.HexColor("#f4f1ea"),
                    strokeColor=_GREY,
                    strokeWidth=0.6,
                    strokeDashArray=[3, 2],
                )
            )
    label = len(sites) <= MAX_MAP_LABELS
    for n, (geom, availability) in enumerate(
        zip(sites.geometry, sites["availability"], strict=True), start=1
    ):
        fill = colors.HexColor(colours.get(availability, _DEFAULT_FILL))
        minx, miny, maxx, maxy = geom.bounds
        if max(maxx - minx, maxy - miny) * scale < 3:  # too small to see: a dot
            p = geom.representative_point()
            d.add(
                Circle(
                    ox + (p.x - x0) * scale,
                    oy + (p.y - y0) * scale,
                    2.2,
                    fillColor=fill,
                    strokeColor=colors.black,
                    strokeWidth=0.4,
                )
            )
        else:
            for ring in _rings(geom):
                d.add(
                    Polygon(
                        pts(ring),
                        fillColor=fill,
                        fillOpacity=0.8,
                        strokeColor=colors.black,
                        strokeWidth=0.4,
                    )
                )
        if label:
            p = geom.representative_point()
            d.add(
                String(
                    ox + (p.x - x0) * scale + 3,
                    oy + (p.y - y0) * scale + 2,
                    str(n),
                    fontName=font,
                    fontSize=6.5,
                )
            )
    _scale_bar(d, 1 / scale, 8, 8)
    return d


def site_list_pdf(
    gdf: gpd.GeoDataFrame,
    outline: BaseGeometry | None,
    *,
    title: str | None = None,
    sheet_url: str | None = None,
    colours: Mapping[str, str] | None = None,
    today: dt.date | None = None,
) -> bytes:
    """The sites of an export frame (EPSG:4490, the export's columns) as a PDF list with a map.

    ``title`` says what was searched; ``sheet_url`` (``…/sites/{id}``) links each code to the
    site's sheet; ``colours`` fill the sites by availability on the map.
    """
    font = _font(None)
    st = _styles(font)
    buf = io.BytesIO()
    heading = "招商资源清单 / Site list"
    doc = SimpleDocTemplate(
        buf,
        pagesize=_PAGE,
        leftMargin=_MARGIN,
        rightMargin=_MARGIN,
        topMargin=_MARGIN,
        bottomMargin=_MARGIN + 3 * mm,
        title=heading,
        author="",
        creator="gis_app",
    )
    stamp = f"{today or dt.date.today():%Y-%m-%d}"

    def footer(canvas: Canvas, document: SimpleDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont(font, 8)
        canvas.setFillColor(colors.grey)
        canvas.drawString(_MARGIN, 7 * mm, f"{heading} · {stamp} · 内部资料 / internal")
        canvas.drawRightString(_PAGE[0] - _MARGIN, 7 * mm, f"第 {document.page} 页 / page")
        canvas.restoreState()

    story: list[Any] = [Paragraph(escape(heading), st["title"])]
    summary = f"共 {len(gdf)} 处 / {len(gdf)} sites · {stamp}"
    if title:
        summary = f"{title} · {summary}"
    story += [Paragraph(escape(summary), st["subtitle"]), Spacer(1, 3 * mm)]
    story += [_map(gdf, outline, colours or {}, font), Spacer(1, 4 * mm)]
    small = st["small"]
    data = [[Paragraph("#", small)] + [Paragraph(_label(c), small) for c in LIST_FIELDS]]
    for n, (_, row) in enumerate(gdf.iterrows(), start=1):
        cells = []
        for c in LIST_FIELDS:
            text = escape(_cell(row, c))
            if c == "code" and sheet_url and row.get("id") is not None:
                href = sheet_url.replace("{id}", str(int(row["id"])))
                text = f'<link href={quoteattr(href)} color="#0563C1">{text}</link>'
            cells.append(Paragraph(text, small))
        data.append([Paragraph(str(n), small), *cells])
    widths = [9, 26, 52, 18, 22, 20, 20, 45, 22, 24]
    table = LongTable(data, colWidths=[w * mm for w in widths], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.3, colors.HexColor("#bbbbbb")),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2f6")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    story.append(table)
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buf.getvalue()
