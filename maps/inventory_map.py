"""Overview map of an inventory selection (notebooks, small static exports)."""

from __future__ import annotations

from typing import Any

import folium
import geopandas as gpd
from branca.element import Figure

from gis_app.domain import vocab
from maps import assets
from maps.style import AVAILABILITY_COLOURS, KIND_DASH
from maps.text import map_text


class SelfContainedFigure(Figure):
    """A Folium figure whose page carries every script and stylesheet it needs.

    Notebook output and ``save()`` files are read where neither the internet nor the app's
    ``/static`` is reachable (a notebook server on the intranet, a file sent by mail), so the
    vendored copies are embedded at render time, after every element has been added.
    """

    def render(self, **kwargs: Any) -> str:
        """The page, with the app's vendored assets inlined."""
        assets.localize(self)
        return assets.inline_html(super().render(**kwargs))


def _require_crs(gdf: gpd.GeoDataFrame, what: str) -> gpd.GeoDataFrame:
    if gdf.crs is None:
        raise ValueError(f"{what} has no CRS; set it (e.g. EPSG:4490) before mapping")
    gdf = gdf.to_crs(4326)
    return gdf if gdf.geometry.name == "geometry" else gdf.rename_geometry("geometry")


def inventory_map(
    sites: gpd.GeoDataFrame,
    outline: gpd.GeoDataFrame | None = None,
    lang: str = "zh",
) -> folium.Map:
    """Map ``sites`` coloured by availability with a legend, over an optional outline.

    ``sites`` needs the columns code, name_zh, kind, availability and area_mu, and a CRS (any;
    it is transformed to WGS84 for display). Meant for selections of up to a few thousand
    sites: the features are embedded in the page, and so are Leaflet and its stylesheet (no
    request to another host or to the app when the map is shown).
    """
    sites = _require_crs(sites, "sites")
    minx, miny, maxx, maxy = sites.total_bounds
    m = folium.Map(tiles=None, control_scale=True, prefer_canvas=True)
    # Leaflet is all this map needs: no jQuery, Bootstrap or icon fonts to embed
    assets.lean(m)
    SelfContainedFigure().add_child(m)
    m.fit_bounds([[miny, minx], [maxy, maxx]])
    if outline is not None:
        folium.GeoJson(
            _require_crs(outline, "outline")[["geometry"]].to_json(),
            name=vocab.Term("", "行政区界", "Jurisdiction").label(lang),
            style_function=lambda f: {"color": "#333", "weight": 2, "fill": False},
        ).add_to(m)
    data = sites[["code", "name_zh", "kind", "availability", "area_mu", "geometry"]].copy()
    data["availability_label"] = data["availability"].map(lambda k: vocab.AVAILABILITY.bilingual(k))
    data["kind_label"] = data["kind"].map(lambda k: vocab.SITE_KIND.bilingual(k))
    data["area_mu"] = data["area_mu"].round(1)
    # the tooltip shows its fields as HTML
    for col in ("name_zh", "code"):
        data[col] = data[col].map(map_text)
    folium.GeoJson(
        data.to_json(),
        name=vocab.Term("", "资源", "Sites").label(lang),
        style_function=lambda f: {
            "color": "#222",
            "weight": 1,
            "dashArray": KIND_DASH.get(f["properties"]["kind"]),
            "fillColor": AVAILABILITY_COLOURS[f["properties"]["availability"]],
            "fillOpacity": 0.7,
        },
        tooltip=folium.GeoJsonTooltip(
            fields=["name_zh", "code", "kind_label", "area_mu", "availability_label"],
            aliases=[
                "名称 Name",
                "编号 Code",
                "类型 Kind",
                "面积(亩) Area (mu)",
                "招商状态 Availability",
            ],
        ),
    ).add_to(m)
    legend = "".join(
        f'<div><span style="background:{c};width:12px;height:12px;display:inline-block;'
        f'margin-right:4px"></span>{vocab.AVAILABILITY.bilingual(k)}</div>'
        for k, c in AVAILABILITY_COLOURS.items()
    )
    m.get_root().html.add_child(
        folium.Element(
            '<div style="position:fixed;bottom:20px;left:20px;z-index:9999;background:#fff;'
            f'padding:6px 8px;border:1px solid #999;font:12px sans-serif">{legend}</div>'
        )
    )
    folium.LayerControl().add_to(m)
    return m
