"""Small map of availability by block for the dashboard (Folium, offline: no tile server).

Each block is drawn as the hull of its sites, shaded by its available land (亩), over the
jurisdiction outline. The data are one feature per block, so they are embedded in the page.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import folium

from gis_app.domain.vocab import Term
from maps import assets, extent
from maps.text import text_properties

#: shades of available land, from none to most
SHADES: tuple[str, ...] = ("#d9d9d9", "#c7e9c0", "#74c476", "#31a354", "#006d2c")

WORDS: dict[str, Term] = {
    t.key: t
    for t in (
        Term("block", "区块", "Block"),
        Term("township", "街道/镇", "Township"),
        Term("sites", "资源数", "Sites"),
        Term("available_sites", "可招商资源数", "Available sites"),
        Term("available_mu", "可招商土地（亩）", "Available land (mu)"),
        Term("total_mu", "资源总面积（亩）", "Total area (mu)"),
        Term("available_share", "可招商占比（%）", "Available share (%)"),
        Term("legend", "可招商土地（亩）", "Available land (mu)"),
        Term("jurisdiction", "行政区界", "Jurisdiction"),
        Term("blocks", "区块", "Blocks"),
    )
}
_FIELDS = (
    "block",
    "township",
    "sites",
    "available_sites",
    "available_mu",
    "total_mu",
    "available_share",
)


def _breaks(values: list[float]) -> list[float]:
    """Upper bounds of the shaded classes above zero (equal steps up to the largest value)."""
    top = max(values, default=0.0)
    n = len(SHADES) - 1
    return [top * (i + 1) / n for i in range(n)] if top > 0 else []


def _shade(value: float, breaks: list[float]) -> str:
    if value <= 0 or not breaks:
        return SHADES[0]
    for i, b in enumerate(breaks):
        if value <= b:
            return SHADES[i + 1]
    return SHADES[-1]


def _extent(fc: Mapping[str, Any]) -> extent.Box | None:
    return extent.bounds(f.get("geometry") for f in fc.get("features", []))


def block_availability_map(
    blocks: Mapping[str, Any],
    outline: Mapping[str, Any] | None = None,
    lang: str = "zh",
    height_px: int = 380,
    static_base: str = assets.STATIC_URL,
) -> folium.Map:
    """Map blocks (GeoJSON FeatureCollection in WGS84, properties as in
    ``gis_app.services.stats.availability_map_data``) shaded by available land, with a legend.
    """
    m = folium.Map(
        location=[30.0, 122.2],
        zoom_start=9,
        tiles=None,
        control_scale=True,
        # SVG: a few block shapes, each an element a test (or a screen reader) can find
        prefer_canvas=False,
        height=f"{height_px}px",
    )
    box = _extent(blocks) or (_extent(outline) if outline else None)
    if box:
        m.fit_bounds(extent.leaflet(box))
    if outline and outline.get("features"):
        folium.GeoJson(
            dict(outline),
            name=WORDS["jurisdiction"].label(lang),
            style_function=lambda f: {
                "color": "#555",
                "weight": 1,
                "fill": True,
                "fillColor": "#f4f1e8",
                "fillOpacity": 0.6,
            },
            interactive=False,
        ).add_to(m)
    # block and township names are shown by the tooltip as HTML: escaped (keys too, alike)
    blocks = text_properties(blocks, ("block", "township"))
    breaks = _breaks([float(f["properties"]["available_mu"] or 0) for f in blocks["features"]])
    shades = {
        f["properties"]["block"]: _shade(float(f["properties"]["available_mu"] or 0), breaks)
        for f in blocks["features"]
    }
    if blocks["features"]:
        folium.GeoJson(
            blocks,
            name=WORDS["blocks"].label(lang),
            style_function=lambda f: {
                "color": "#1b4332",
                "weight": 1,
                "fillColor": shades.get(f["properties"]["block"], SHADES[0]),
                "fillOpacity": 0.8,
            },
            tooltip=folium.GeoJsonTooltip(
                fields=list(_FIELDS), aliases=[WORDS[k].label(lang) for k in _FIELDS]
            ),
        ).add_to(m)
    lower = 0.0
    items = [(SHADES[0], "0")]
    for shade_, upper in zip(SHADES[1:], breaks, strict=True):
        items.append((shade_, f"{lower:,.0f}–{upper:,.0f}"))
        lower = upper
    rows = [
        f'<div><span style="background:{c};width:12px;height:12px;display:inline-block;'
        f'margin-right:4px;border:1px solid #999"></span>{text}</div>'
        for c, text in items
    ]
    legend = (
        '<div class="gis-block-legend" style="position:absolute;bottom:18px;right:10px;'
        "z-index:999;background:#fff;padding:6px 8px;border:1px solid #999;"
        f'font:12px sans-serif"><b>{WORDS["legend"].label(lang)}</b>{"".join(rows)}</div>'
    )
    m.get_root().html.add_child(folium.Element(legend))
    assets.localize(m, static_base)
    return m
