"""The officers' site map (Folium): basemaps, overlays, measure tool, and the site search app.

The map never embeds the inventory. Sites are drawn from vector tiles the app serves
(``/tiles/sites/{z}/{x}/{y}.pbf``, same filters as ``/api/sites``), the results list and popups
come from ``/api/sites``, and the reference layers (jurisdiction, constraint zones,
infrastructure) from ``/tiles/layers/…`` by viewport and zoom. The same builder makes the static
export, where a small selection is embedded instead (``embedded=``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import folium
from branca.element import MacroElement
from folium.elements import JSCSSMixin
from jinja2 import Template

from gis_app.domain import vocab
from maps import assets, i18n
from maps.basemaps import Basemap, tile_layers
from maps.parts import render_parts as render_parts  # the page parts, re-exported
from maps.style import (
    AVAILABILITY_COLOURS,
    INFRA_INK,
    INFRA_SYMBOLS,
    JURISDICTION_STYLE,
    KIND_DASH,
    SEARCH_AREA_COLOUR,
)

#: constraint-zone kinds that get their own toggle; the others share one ("other_zones")
ZONE_TOGGLES: tuple[str, ...] = ("ecological_redline", "basic_farmland", "ugb")
ZONE_COLOURS: dict[str, str] = {
    "ecological_redline": "#d7301f",
    "basic_farmland": "#b8860b",
    "ugb": "#6a3d9a",
    "other": "#41ab5d",
}
#: zone toggles shown when the page opens
ZONES_SHOWN: frozenset[str] = frozenset({"ecological_redline", "basic_farmland"})


class SiteMapApp(JSCSSMixin, MacroElement):
    """Wires the page's site search (filters, list, vector tiles, popups) to a Folium map."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            window.gisApp = GisSiteMap.attach(
                {{ this._parent.get_name() }}, {{ this.options|tojson }});
        {% endmacro %}
        """
    )

    default_js: ClassVar[list[tuple[str, str]]] = [
        ("gis_gcj02", assets.asset_url("gis_gcj02")),
        ("vectorGrid", assets.asset_url("vectorGrid")),
        ("gis_api", assets.asset_url("gis_api")),
        ("gis_sitemap", assets.asset_url("gis_sitemap")),
        ("geoman", assets.asset_url("geoman")),
        ("gis_search_area", assets.asset_url("gis_search_area")),
    ]
    default_css: ClassVar[list[tuple[str, str]]] = [
        ("gis_sitemap_css", assets.asset_url("gis_sitemap_css")),
        ("geoman_css", assets.asset_url("geoman_css")),
    ]
    #: assets a standalone export does without: vector tiles and the drawing of search areas
    LIVE_ONLY: ClassVar[frozenset[str]] = frozenset(
        {"vectorGrid", "geoman", "geoman_css", "gis_search_area"}
    )

    def __init__(self, options: Mapping[str, Any]) -> None:
        super().__init__()
        self._name = "SiteMapApp"
        self.options = dict(options)
        if self.options.get("mode") == "embedded":
            # a standalone export draws embedded GeoJSON and searches nothing
            self.default_js = [(n, u) for n, u in self.default_js if n not in self.LIVE_ONLY]
            self.default_css = [(n, u) for n, u in self.default_css if n not in self.LIVE_ONLY]


class MeasureTool(JSCSSMixin, MacroElement):
    """Distance and area measuring (m, km, m², 亩, ha) that works in any display frame."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            {{ this._parent.get_name() }}.gisMeasure = L.control.gisMeasure(
                {{ this.options|tojson }}).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )
    default_js: ClassVar[list[tuple[str, str]]] = [("gis_measure", assets.asset_url("gis_measure"))]
    default_css: ClassVar[list[tuple[str, str]]] = [
        ("gis_sitemap_css", assets.asset_url("gis_sitemap_css"))
    ]

    def __init__(self, lang: str = "zh", position: str = "topleft") -> None:
        super().__init__()
        self._name = "MeasureTool"
        self.options = {"lang": lang, "position": position}


def _group(name: str, *, overlay: bool = True, show: bool = True) -> folium.FeatureGroup:
    return folium.FeatureGroup(name=name, overlay=overlay, show=show, control=True)


def site_map(
    *,
    basemap: Basemap,
    offered: list[Basemap],
    bounds: tuple[float, float, float, float] | None,
    lang: str = "zh",
    options: Mapping[str, Any] | None = None,
    embedded: Mapping[str, Any] | None = None,
    static_base: str = assets.STATIC_URL,
) -> folium.Map:
    """Build the site map for ``basemap`` (its frame decides the CRS) with every other offered.

    ``bounds`` (lon/lat) is where the map opens. ``options`` go to the page's script (endpoints,
    filters, list size); ``embedded`` holds GeoJSON for a standalone export (keys ``sites``,
    ``jurisdiction``, ``constraint_zones``, ``infrastructure``) instead of server endpoints.
    """
    label = i18n.UI
    m = folium.Map(
        location=None if bounds else [30.0, 122.2],
        zoom_start=10,
        tiles=None,
        crs="GCJ02" if basemap.frame == "gcj02" else "EPSG3857",
        control_scale=True,
        prefer_canvas=True,
        max_zoom=19,
    )
    if bounds:
        x0, y0, x1, y1 = bounds
        m.fit_bounds([[y0, x0], [y1, x1]])

    base_layers: dict[str, dict[str, str]] = {}
    offline_group: str | None = None
    for base in offered:
        group = _group(base.name.label(lang), overlay=False, show=base.key == basemap.key)
        if base.frame == basemap.frame:
            for layer in tile_layers(base, lang, overlay=False):
                layer.add_to(group)
        group.add_to(m)
        if base.offline:
            offline_group = group.get_name()
        base_layers[group.get_name()] = {"key": base.key, "frame": base.frame}

    sites = _group(label["sites_layer"].label(lang))
    jurisdiction = _group(label["jurisdiction"].label(lang))
    infrastructure = _group(label["infrastructure"].label(lang))
    zone_groups: dict[str, str] = {}
    for kind in (*ZONE_TOGGLES, "other"):
        name = (
            label["other_zones"].label(lang)
            if kind == "other"
            else vocab.CONSTRAINT_KIND.label(kind, lang)
        )
        g = _group(name, show=kind in ZONES_SHOWN)
        g.add_to(m)
        zone_groups[kind] = g.get_name()
    for g in (jurisdiction, infrastructure, sites):
        g.add_to(m)

    MeasureTool(lang).add_to(m)
    folium.LayerControl(position="topright", collapsed=True).add_to(m)

    app_options: dict[str, Any] = {
        "lang": lang,
        "frame": basemap.frame,
        "basemap": basemap.key,
        "baseLayers": base_layers,
        "offlineGroup": offline_group,
        "layers": {
            "sites": sites.get_name(),
            "jurisdiction": jurisdiction.get_name(),
            "infrastructure": infrastructure.get_name(),
            "zones": zone_groups,
        },
        "labels": i18n.ui_labels(),
        "vocab": i18n.vocab_labels(),
        "landUse": i18n.land_use_labels(),
        "colours": AVAILABILITY_COLOURS,
        "zoneColours": ZONE_COLOURS,
        "kindDash": KIND_DASH,
        "infraSymbols": INFRA_SYMBOLS,
        "infraInk": INFRA_INK,
        "infraOrder": list(vocab.INFRA_KIND.keys),
        "zoneOrder": [*ZONE_TOGGLES, "other"],
        "searchAreaColour": SEARCH_AREA_COLOUR,
        "jurisdictionStyle": JURISDICTION_STYLE,
        # JSON objects lose their key order in the page (keys are sorted): domain order here
        "availabilityOrder": list(vocab.AVAILABILITY.keys),
        "kindOrder": list(vocab.SITE_KIND.keys),
        "mode": "embedded" if embedded is not None else "live",
    }
    if embedded is not None:
        app_options["embedded"] = dict(embedded)
    app_options.update(options or {})
    SiteMapApp(app_options).add_to(m)
    assets.lean(m)
    assets.localize(m, static_base)
    return m
