"""Basemap catalogue: Tianditu (天地图), Gaode/AMap (GCJ-02), OpenStreetMap and an offline one.

Each basemap names the frame its tiles are drawn in. Tianditu is CGCS2000, which is WGS84 to
within centimetres, so overlays go on it unshifted. Gaode/AMap tiles are in GCJ-02: pages using
it shift every overlay to GCJ-02 for display (a Leaflet CRS whose projection applies the
GCJ-02 offset, and vector tiles requested with ``frame=gcj02``); stored data is never shifted.
"none" is drawn from the database (land from the jurisdiction outline, constraint zones,
infrastructure) and makes no request to any other host.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import folium

from gis_app.domain.vocab import Term
from gis_app.settings import MapSettings


@dataclass(frozen=True)
class TileSource:
    """One raster tile layer of a basemap (a basemap may stack a label layer on top)."""

    url: str
    subdomains: str = ""
    max_zoom: int = 18


@dataclass(frozen=True)
class Basemap:
    """A basemap the officer can pick."""

    key: str
    name: Term
    frame: str  # "wgs84" or "gcj02"
    layers: tuple[TileSource, ...] = ()
    attribution: str = ""
    needs_key: bool = False
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def offline(self) -> bool:
        """True when the basemap needs no tile server (drawn from the database)."""
        return not self.layers


_TDT = (
    "https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
    "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={key}"
)
_TDT_ATTR = "© 天地图 Tianditu — 国家地理信息公共服务平台"

CATALOGUE: dict[str, Basemap] = {
    b.key: b
    for b in (
        Basemap("none", Term("none", "离线底图", "Offline basemap"), "wgs84"),
        Basemap(
            "tianditu_vec",
            Term("tianditu_vec", "天地图 矢量", "Tianditu map"),
            "wgs84",
            (
                TileSource(_TDT.replace("{layer}", "vec"), "01234567"),
                TileSource(_TDT.replace("{layer}", "cva"), "01234567"),
            ),
            _TDT_ATTR,
            needs_key=True,
        ),
        Basemap(
            "tianditu_img",
            Term("tianditu_img", "天地图 影像", "Tianditu imagery"),
            "wgs84",
            (
                TileSource(_TDT.replace("{layer}", "img"), "01234567"),
                TileSource(_TDT.replace("{layer}", "cia"), "01234567"),
            ),
            _TDT_ATTR,
            needs_key=True,
        ),
        Basemap(
            "amap",
            Term("amap", "高德地图", "Gaode (AMap)"),
            "gcj02",
            (
                TileSource(
                    "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1"
                    "&style=8&x={x}&y={y}&z={z}",
                    "1234",
                ),
            ),
            "© 高德地图 AutoNavi",
        ),
        Basemap(
            "osm",
            Term("osm", "OpenStreetMap", "OpenStreetMap"),
            "wgs84",
            (TileSource("https://tile.openstreetmap.org/{z}/{x}/{y}.png", max_zoom=19),),
            "© OpenStreetMap contributors",
        ),
    )
}


def available(settings: MapSettings) -> list[Basemap]:
    """Basemaps offered on the page, in the configured order, with URLs and keys filled in."""
    out: list[Basemap] = []
    for key in settings.basemaps:
        base = CATALOGUE.get(key)
        if base is None:
            raise ValueError(f"unknown basemap {key!r}; known: {', '.join(CATALOGUE)}")
        if base.needs_key and not settings.tianditu_key:
            continue
        layers = tuple(
            TileSource(
                settings.tile_urls.get(key if i == 0 else f"{key}_labels", src.url).replace(
                    "{key}", settings.tianditu_key or ""
                ),
                src.subdomains,
                src.max_zoom,
            )
            for i, src in enumerate(base.layers)
        )
        out.append(
            Basemap(base.key, base.name, base.frame, layers, base.attribution, base.needs_key)
        )
    if not out:
        out.append(CATALOGUE["none"])
    return out


def choose(settings: MapSettings, requested: str | None) -> Basemap:
    """The basemap to show: ``requested`` if offered, else the configured default, else none."""
    offered = {b.key: b for b in available(settings)}
    for key in (requested, settings.default_basemap, "none"):
        if key and key in offered:
            return offered[key]
    return next(iter(offered.values()))


def tile_hosts(settings: MapSettings) -> list[str]:
    """Origins of the offered basemaps' tile servers (for the pages' Content-Security-Policy)."""
    hosts: set[str] = set()
    for base in available(settings):
        for src in base.layers:
            parts = urlsplit(src.url)
            host = parts.netloc
            if "{s}" in host:
                hosts.update(
                    f"{parts.scheme}://{host.replace('{s}', s)}" for s in src.subdomains or "a"
                )
            elif host:
                hosts.add(f"{parts.scheme}://{host}")
    return sorted(hosts)


def tile_layers(basemap: Basemap, lang: str, **options: Any) -> list[folium.TileLayer]:
    """Folium tile layers of ``basemap`` (none for the offline basemap), kept out of the layer
    control; ``options`` go to every layer (e.g. ``overlay=False``)."""
    return [
        folium.TileLayer(
            tiles=src.url,
            attr=basemap.attribution,
            name=basemap.name.label(lang),
            subdomains=src.subdomains or "abc",
            max_zoom=src.max_zoom,
            max_native_zoom=src.max_zoom,
            control=False,
            **options,
        )
        for src in basemap.layers
    ]
