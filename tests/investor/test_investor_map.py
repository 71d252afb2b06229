"""The investor map: the recommended sites numbered, context infrastructure, the configured
basemap (offline "none" by default; Gaode in its GCJ-02 frame), app-served assets only."""

from __future__ import annotations

import datetime as dt

from gis_app.domain import public_schema as P
from gis_app.domain import vocab
from gis_app.settings import MapSettings
from maps import basemaps
from maps.assets import external_references
from maps.investor_map import investor_map, render_parts

SQUARE = {
    "type": "MultiPolygon",
    "coordinates": [
        [[[122.3, 29.9], [122.31, 29.9], [122.31, 29.91], [122.3, 29.91], [122.3, 29.9]]]
    ],
}


def _view() -> tuple[P.PublicRecommendation, P.MapContext]:
    land = P.label_of(vocab.SITE_KIND, "land")
    site = P.PublicSite(
        rank=1,
        code="T-1",
        name_zh="测试<地块>",
        name_en="Test <plot>",
        kind=land,
        area=P.Area(m2=1000.0, mu=1.5, ha=0.1),
        indicators=P.Indicators(),
        status=[],
        summary=P.ui_label("in_preparation"),
        availability=P.public_availability("available"),
        lon=122.305,
        lat=29.905,
        geometry=SQUARE,
    )
    view = P.PublicRecommendation(
        title_zh="t",
        language="zh",
        expires_at=dt.datetime(2030, 1, 1, tzinfo=dt.UTC),
        sites=[site],
    )
    context = P.MapContext(
        infrastructure=[
            P.MapFeature(
                kind=P.label_of(vocab.INFRA_KIND, "port"), name_zh="港", lon=122.32, lat=29.92
            )
        ],
        outline=[SQUARE],
    )
    return view, context


def _html(basemap: str, **settings: object) -> str:
    view, context = _view()
    chosen = basemaps.choose(MapSettings(default_basemap=basemap, **settings), None)
    parts = render_parts(investor_map(view, context, chosen, "zh"))
    return "\n".join(parts.values())


def test_offline_basemap_asks_no_other_host() -> None:
    html = _html("none")
    assert external_references(html) == []
    assert "http://" not in html and "https://" not in html
    assert '"#site-T-1\\"' in html and "L.circleMarker" in html and "L.divIcon" in html
    # names are escaped before they reach Leaflet's HTML tooltips
    assert "测试<地块>" not in html and "测试&lt;地块&gt;" in html


def test_configured_basemaps_are_used() -> None:
    osm = _html("osm")
    assert "tile.openstreetmap.org" in osm and "L.tileLayer" in osm
    amap = _html("amap")
    assert "autonavi.com" in amap and "L.CRS.GCJ02" in amap and "/static/js/gcj02.js" in amap
    # a basemap that needs a key falls back to the offline one without it
    assert "tianditu" not in _html("tianditu_vec")
    assert "tianditu" in _html("tianditu_vec", tianditu_key="k")
