"""Small map of one site for its sheet: the outline, constraint-zone overlaps and the nearest
infrastructure, over the chosen basemap (offline: land from the jurisdiction outline)."""

from __future__ import annotations

import json
from typing import Any, ClassVar

import folium
from branca.element import MacroElement
from folium.elements import JSCSSMixin
from jinja2 import Template

from gis_app.domain import vocab
from maps import assets
from maps.basemaps import Basemap, tile_layers
from maps.officer_map import ZONE_COLOURS, ZONE_TOGGLES, MeasureTool
from maps.style import AVAILABILITY_COLOURS, KIND_DASH
from maps.text import map_text


class Gcj02Crs(JSCSSMixin, MacroElement):
    """Loads ``L.CRS.GCJ02`` (overlays shifted to GCJ-02 for a Gaode/AMap basemap)."""

    _template = Template("")
    default_js: ClassVar[list[tuple[str, str]]] = [("gis_gcj02", assets.asset_url("gis_gcj02"))]


class OfflineSea(MacroElement):
    """Paints the map background as sea, for the offline basemap drawn from land polygons."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            {{ this._parent.get_name() }}.getContainer().classList.add("gis-offline");
        {% endmacro %}
        """
    )


def base_map(basemap: Basemap, land: str | None, lang: str = "zh") -> folium.Map:
    """An empty map on ``basemap``; offline, ``land`` (GeoJSON text) is drawn as land on sea."""
    m = folium.Map(
        location=None,
        tiles=None,
        crs="GCJ02" if basemap.frame == "gcj02" else "EPSG3857",
        control_scale=True,
        max_zoom=19,
    )
    if basemap.frame == "gcj02":
        Gcj02Crs().add_to(m)
    if basemap.offline:
        OfflineSea().add_to(m)
        if land:
            folium.GeoJson(
                land,
                name=basemap.name.label(lang),
                style_function=lambda f: {
                    "stroke": False,
                    "fillColor": "#f4f1ea",
                    "fillOpacity": 1,
                },
                interactive=False,
                control=False,
            ).add_to(m)
    for layer in tile_layers(basemap, lang):
        layer.add_to(m)
    return m


def sheet_map(
    *,
    site: dict[str, Any],
    bounds: tuple[float, float, float, float],
    overlaps: list[dict[str, Any]],
    distances: list[dict[str, Any]],
    basemap: Basemap,
    land: str | None,
    lang: str = "zh",
    static_base: str = assets.STATIC_URL,
) -> folium.Map:
    """Map of one site (``site`` is a GeoJSON Feature, WGS84) with its overlaps and infrastructure.

    ``land`` is the jurisdiction as a GeoJSON string, drawn as land when ``basemap`` is offline.
    """
    m = base_map(basemap, land, lang)
    for o in overlaps:
        kind = o["zone_kind"]
        colour = ZONE_COLOURS[kind if kind in ZONE_TOGGLES else "other"]
        folium.GeoJson(
            json.dumps({"type": "Feature", "geometry": o["geometry"], "properties": {}}),
            name=f"{vocab.CONSTRAINT_KIND.label(kind, lang)} · {o['name_zh']}",
            style_function=lambda f, c=colour: {
                "color": c,
                "weight": 1,
                "fillColor": c,
                "fillOpacity": 0.45,
            },
            tooltip=map_text(
                f"{vocab.CONSTRAINT_KIND.bilingual(kind)} · {o['overlap_m2']:,.0f} m²"
            ),
        ).add_to(m)
    props = site["properties"]
    folium.GeoJson(
        json.dumps(site),
        name=props["name_zh"],
        style_function=lambda f: {
            "color": "#1f1f1f",
            "weight": 2,
            "dashArray": KIND_DASH.get(props["kind"]),
            "fillColor": AVAILABILITY_COLOURS.get(props["availability"], "#999"),
            "fillOpacity": 0.35,
        },
        tooltip=map_text(f"{props['name_zh']} · {props['code']}"),
    ).add_to(m)
    for d in distances:
        lon, lat = (
            d["geometry"]["coordinates"][:2]
            if d["geometry"]["type"] == "Point"
            else (
                None,
                None,
            )
        )
        if lon is None:
            continue
        folium.CircleMarker(
            [lat, lon],
            radius=5,
            color="#ffffff",
            weight=1.5,
            fill=True,
            fill_color="#2b5c8a",
            fill_opacity=1,
            tooltip=map_text(
                f"{d['name_zh']} · {vocab.INFRA_KIND.bilingual(d['infra_kind'])}"
                f" · {d['distance_m'] / 1000:.1f} km"
            ),
        ).add_to(m)
    x0, y0, x1, y1 = bounds
    m.fit_bounds([[y0, x0], [y1, x1]], padding=(30, 30), max_zoom=17)
    MeasureTool(lang).add_to(m)
    assets.lean(m)
    assets.localize(m, static_base)
    return m
