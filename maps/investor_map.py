"""The map of an investor recommendation page (Folium): the recommended sites, numbered, with
ports, wharves, ferry terminals and expressway interchanges around them for context.

Built only from the public view (:mod:`gis_app.domain.public_schema`). The few recommended
sites are embedded in the page (a recommendation holds at most a few dozen). The basemap is the
one the officers' map settings choose; "none" draws the jurisdiction outline as land and makes
no request to any other host. On a GCJ-02 basemap (Gaode/AMap) the map uses the app's GCJ-02
display frame (``maps/static/js/gcj02.js``) so overlays line up; stored data is never shifted.
"""

from __future__ import annotations

from typing import ClassVar

import folium
from branca.element import Element, MacroElement
from folium.elements import JSCSSMixin
from jinja2 import Template

from gis_app.domain import public_schema
from maps import assets, extent
from maps.basemaps import Basemap, tile_layers
from maps.parts import render_parts as render_parts  # the page parts, re-exported
from maps.text import map_text

SITE_COLOUR = "#c0392b"
INFRA_COLOURS: dict[str, str] = {
    "port": "#1f4e79",
    "wharf": "#2e75b6",
    "ferry_terminal": "#00838f",
    "expressway_interchange": "#7f6000",
}
LAND_FILL = "#f4f1e8"
SEA_BACKGROUND = "#d6e6f2"


class _Gcj02Frame(JSCSSMixin, MacroElement):
    """Loads the GCJ-02 display frame (``L.CRS.GCJ02``) for Gaode/AMap basemaps."""

    _template = Template("")
    default_js: ClassVar[list[tuple[str, str]]] = [("gis_gcj02", assets.asset_url("gis_gcj02"))]

    def __init__(self) -> None:
        super().__init__()
        self._name = "Gcj02Frame"


def _name(lang: str, zh: str | None, en: str | None) -> str:
    return (en or zh or "") if lang == "en" else (zh or en or "")


def investor_map(
    view: public_schema.PublicRecommendation,
    context: public_schema.MapContext,
    basemap: Basemap,
    lang: str = "zh",
    static_base: str = assets.STATIC_URL,
) -> folium.Map:
    """Build the map of a recommendation page in ``lang`` on ``basemap``."""
    m = folium.Map(
        location=[view.sites[0].lat, view.sites[0].lon] if view.sites else [30.0, 122.2],
        zoom_start=12,
        tiles=None,
        crs="GCJ02" if basemap.frame == "gcj02" else "EPSG3857",
        control_scale=True,
        max_zoom=19,
        width="100%",
        height="100%",
    )
    if basemap.frame == "gcj02":
        _Gcj02Frame().add_to(m)
    if basemap.offline:
        m.get_root().header.add_child(
            Element(f"<style>.leaflet-container{{background:{SEA_BACKGROUND}}}</style>")
        )
        for geom in context.outline:
            folium.GeoJson(
                {"type": "Feature", "geometry": geom, "properties": {}},
                style_function=lambda f: {
                    "color": "#8c8c8c",
                    "weight": 1,
                    "fillColor": LAND_FILL,
                    "fillOpacity": 1,
                },
                interactive=False,
                control=False,
            ).add_to(m)
    else:
        for layer in tile_layers(basemap, lang):
            layer.add_to(m)

    for feat in context.infrastructure:
        name = map_text(_name(lang, feat.name_zh, feat.name_en))
        folium.CircleMarker(
            [feat.lat, feat.lon],
            radius=5,
            color="#ffffff",
            weight=1.5,
            fill=True,
            fill_color=INFRA_COLOURS.get(feat.kind.key, "#555555"),
            fill_opacity=1,
            tooltip=f"{map_text(feat.kind.text(lang))}：{name}",
        ).add_to(m)

    for site in view.sites:
        name = map_text(_name(lang, site.name_zh, site.name_en))
        folium.GeoJson(
            {"type": "Feature", "geometry": site.geometry, "properties": {"code": site.code}},
            style_function=lambda f: {
                "color": SITE_COLOUR,
                "weight": 2,
                "fillColor": SITE_COLOUR,
                "fillOpacity": 0.25,
            },
            tooltip=f"{site.rank}. {name}",
            control=False,
        ).add_to(m)
        folium.Marker(
            [site.lat, site.lon],
            icon=folium.DivIcon(
                html=(
                    f'<a class="rank-marker" href="#site-{map_text(site.code)}" '
                    f'aria-label="{site.rank}. {name}">{site.rank}</a>'
                ),
                icon_size=(26, 26),
                icon_anchor=(13, 13),
                class_name="rank-marker-icon",
            ),
            tooltip=f"{site.rank}. {name}",
            # the link inside is the control: a focusable marker around it would nest two
            keyboard=False,
        ).add_to(m)

    box = extent.bounds(site.geometry for site in view.sites)
    if box:
        m.fit_bounds(extent.leaflet(box), padding=(24, 24), max_zoom=16)
    assets.localize(m, static_base)
    return m


def legend(
    view: public_schema.PublicRecommendation,
    context: public_schema.MapContext,
    basemap: Basemap,
    lang: str = "zh",
) -> list[dict[str, str]]:
    """The entries of the map's legend in ``lang``: what is drawn, with its colour and shape
    (``rank``, ``dot`` or ``area``); only kinds that are on the map."""
    t = public_schema.ui_strings(lang)
    items = []
    if view.sites:
        items.append({"shape": "rank", "colour": SITE_COLOUR, "label": t["legend_site"]})
    seen: dict[str, str] = {}
    for feat in context.infrastructure:
        seen.setdefault(feat.kind.key, feat.kind.text(lang))
    for key, colour in INFRA_COLOURS.items():  # in the legend's fixed order
        if key in seen:
            items.append({"shape": "dot", "colour": colour, "label": seen[key]})
    if basemap.offline and context.outline:
        items.append({"shape": "area", "colour": LAND_FILL, "label": t["legend_outline"]})
    return items
