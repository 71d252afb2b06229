"""Map of one match result for the officers' requirement page (Folium): the listed sites only,
matches numbered in green, near misses in orange, each linking to its site sheet.

A match lists a few dozen sites at most (the engine caps the lists), so their outlines are
embedded in the page; the inventory itself is never loaded.
"""

from __future__ import annotations

import json
from typing import Any

import folium
from branca.element import MacroElement
from jinja2 import Template

from maps import assets, extent
from maps.basemaps import Basemap
from maps.officer_map import MeasureTool
from maps.sheet_map import base_map
from maps.text import map_text

MATCH_COLOUR = "#2e7d32"
NEAR_MISS_COLOUR = "#ef6c00"


class PlainPopup(MacroElement):
    """A popup bound with Leaflet itself (Folium's ``Popup`` needs jQuery, which the page
    does not load)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            {{ this._parent.get_name() }}.bindPopup({{ this.html|tojson }}, {maxWidth: 260});
        {% endmacro %}
        """
    )

    def __init__(self, html: str) -> None:
        super().__init__()
        self._name = "PlainPopup"
        self.html = html


def _label(props: dict[str, Any]) -> str:
    return f"{'≈' if props['near_miss'] else ''}{props['rank']}"


def match_map(
    *,
    features: list[dict[str, Any]],
    basemap: Basemap,
    land: str | None,
    fallback_bounds: extent.Box | None,
    lang: str = "zh",
    sheet_url: str = "/sites/{id}",
    static_base: str = assets.STATIC_URL,
) -> folium.Map:
    """The listed sites of a match (features of :func:`services.matching.result_outlines`).

    ``fallback_bounds`` (x0, y0, x1, y1) frames the map when nothing is listed.
    """
    m = base_map(basemap, land, lang)
    for f in features:
        p = f["properties"]
        colour = NEAR_MISS_COLOUR if p["near_miss"] else MATCH_COLOUR
        name = (p["name_en"] or p["name_zh"]) if lang == "en" else p["name_zh"]
        score = f"{p['score']:.1f}"
        tip = f"{_label(p)} · {p['code']} {name} · {score}"
        link = map_text(sheet_url.format(id=p["id"]) + f"?lang={lang}")
        popup = f'<a href="{link}">{map_text(p["code"])} {map_text(name or "")}</a><br>{score}'
        outline = folium.GeoJson(
            json.dumps({"type": "Feature", "geometry": f["geometry"], "properties": {}}),
            style_function=lambda _f, c=colour: {
                "color": c,
                "weight": 2,
                "fillColor": c,
                "fillOpacity": 0.3,
            },
            tooltip=map_text(tip),
        ).add_to(m)
        PlainPopup(popup).add_to(outline)
        marker = folium.Marker(
            [p["lat"], p["lon"]],
            icon=folium.DivIcon(
                html=(
                    f'<div class="gis-rank" data-site-id="{p["id"]}" style="background:{colour};'
                    "color:#fff;border:2px solid #fff;border-radius:11px;min-width:22px;"
                    "height:22px;line-height:18px;text-align:center;font:600 12px sans-serif;"
                    f'box-shadow:0 0 2px #0008">{map_text(_label(p))}</div>'
                ),
                icon_size=(22, 22),
                icon_anchor=(11, 11),
            ),
            tooltip=map_text(tip),
        ).add_to(m)
        PlainPopup(popup).add_to(marker)
    box = extent.bounds(f["geometry"] for f in features) or fallback_bounds
    if box is not None:
        m.fit_bounds(extent.leaflet(box), padding=(30, 30), max_zoom=16)
    MeasureTool(lang).add_to(m)
    assets.lean(m)
    assets.localize(m, static_base)
    return m
