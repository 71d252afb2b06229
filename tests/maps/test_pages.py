"""Map and sheet pages, tile endpoints and map assets through the app (no browser)."""

from __future__ import annotations

import math
import re

import folium
import pytest
import sqlalchemy as sa
from folium.plugins import MeasureControl

from gis_app.settings import MapSettings
from maps import assets, basemaps, officer_map
from maps.export import export_html

HTML_LIMIT = 500 * 1024


def _insert_synthetic_sites(url: str, n: int) -> None:
    """Add ``n`` small square sites inside the sample's extent (triggers off: speed)."""
    from gis_app.db.engine import make_engine

    eng = make_engine(url)
    try:
        with eng.begin() as c:
            c.execute(sa.text("ALTER TABLE site DISABLE TRIGGER USER"))
            c.execute(
                sa.text(
                    """INSERT INTO site (code, name_zh, kind, availability, geom, district_code)
                       SELECT 'SYN-' || g, '合成地块' || g, 'land', 'available',
                              ST_Multi(ST_MakeEnvelope(x, y, x + 0.0004, y + 0.0004, 4490)),
                              gis_app_home_district()
                         FROM (SELECT g, 122.1 + (g % 700) * 0.0009 AS x,
                                      29.7 + (g / 700) * 0.0009 AS y
                                 FROM generate_series(1, :n) g) q"""
                ),
                {"n": n},
            )
            c.execute(sa.text("ALTER TABLE site ENABLE TRIGGER USER"))
    finally:
        eng.dispose()


def test_map_page_for_officers_only(client, client_as):
    r = client.get("/", headers={"accept": "text/html"}, follow_redirects=False)
    assert r.status_code in (303, 401)
    assert client.get("/tiles/sites/10/859/422.pbf").status_code == 401
    r = client_as("officer").get("/")
    assert r.status_code == 200
    assert "招商资源地图" in r.text
    assert "content-security-policy" in r.headers
    nonce = re.search(r"'nonce-([^']+)'", r.headers["content-security-policy"]).group(1)
    # every script of the page may run under the CSP (Folium writes its set-up inline)
    assert all(f'nonce="{nonce}"' in tag for tag in re.findall(r"<script[^>]*>", r.text))
    for role in ("planner", "admin"):
        assert client_as(role).get("/map").status_code == 200


def test_static_assets_are_public_and_pinned(client):
    r = client.get("/static/vendor/leaflet@1.9.4/dist/leaflet.js")
    assert r.status_code == 200 and b"Leaflet" in r.content[:2000]
    for rel in assets.VENDORED.values():
        assert (assets.STATIC_DIR / rel).is_file(), rel
    assert client.get("/favicon.ico").status_code == 200


def test_page_references_no_other_host(client_as):
    html = client_as("officer").get("/").text
    assert assets.external_references(html) == []
    srcs = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)
    assert srcs and all(s.startswith("/static/") or s.startswith("data:") for s in srcs)


def test_page_html_stays_small_whatever_the_inventory(client_as, make_db):
    url = make_db("sample")
    small = client_as("officer", url=url).get("/")
    assert small.status_code == 200
    _insert_synthetic_sites(url, 20_000)
    big = client_as("officer", url=url).get("/")
    assert big.status_code == 200
    assert len(big.content) < HTML_LIMIT
    # the page does not grow with the inventory (sites come by tile)
    assert abs(len(big.content) - len(small.content)) < 2_000
    assert "SYN-1" not in big.text
    # the tile over the synthetic sites (lon 122.1–122.7, lat 29.70–29.73) at zoom 10
    x = int((122.2 + 180) / 360 * 2**10)
    y = int((1 - math.asinh(math.tan(math.radians(29.71))) / math.pi) / 2 * 2**10)
    tile = client_as("officer", url=url).get(f"/tiles/sites/10/{x}/{y}.pbf")
    assert tile.status_code == 200 and tile.headers["x-tile-form"] == "cluster"
    assert len(tile.content) < 200_000


def test_tile_endpoint_checks_its_input(client_as):
    c = client_as("officer")
    assert c.get("/tiles/sites/3/9/1.pbf").status_code == 422
    assert c.get("/tiles/sites/10/859/422.pbf?frame=bd09").status_code == 422
    r = c.get("/tiles/sites/10/859/422.pbf?kind=castle")
    assert r.status_code == 422 and "kind" in r.json()["detail"]
    r = c.get("/tiles/sites/10/859/422.mvt?availability=available&frame=gcj02")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    assert c.get("/tiles/layers/nothing.geojson").status_code == 404
    r = c.get("/tiles/layers/infrastructure.geojson?zoom=11&bbox=122,29.5,123,30.5")
    assert r.status_code == 200 and r.json()["features"]


def test_site_sheet_page(client_as, engine):
    with engine.connect() as c:
        sid = c.execute(sa.text("SELECT id FROM site WHERE code = 'PT-CB-002'")).scalar_one()
    c = client_as("officer")
    r = c.get(f"/sites/{sid}")
    assert r.status_code == 200
    assert "PT-CB-002" in r.text and "生态公益林" in r.text
    assert 'data-field="owner_contact"' in r.text  # internal fields are for officers
    assert assets.external_references(r.text) == []
    en = c.get(f"/sites/{sid}?lang=en")
    assert "Constraint-zone overlaps" in en.text
    assert c.get("/sites/999999").status_code == 404


def test_localize_replaces_every_folium_cdn_asset():
    m = folium.Map(tiles=None)
    folium.Marker([30, 122], icon=folium.Icon(icon="ship", prefix="fa")).add_to(m)
    assets.localize(m)
    html = m.get_root().render()
    assert assets.external_references(html) == []
    assert "/static/vendor/fontawesome-free@6.2.0/css/all.min.css" in html
    assert "/static/vendor/jquery@3.7.1/dist/jquery.min.js" in html


def test_localize_refuses_an_asset_the_app_does_not_serve():
    m = folium.Map(tiles=None)
    MeasureControl().add_to(m)  # leaflet-measure needs eval, which the pages' CSP forbids
    with pytest.raises(ValueError, match="leaflet_measure_js"):
        assets.localize(m)


def test_basemap_catalogue_and_hosts():
    none_only = MapSettings(basemaps=["none", "tianditu_vec", "osm"])
    assert [b.key for b in basemaps.available(none_only)] == ["none", "osm"]  # no key
    keyed = MapSettings(tianditu_key="K123", default_basemap="tianditu_img")
    offered = basemaps.available(keyed)
    tdt = next(b for b in offered if b.key == "tianditu_img")
    assert len(tdt.layers) == 2 and all("tk=K123" in s.url for s in tdt.layers)
    assert basemaps.choose(keyed, None).key == "tianditu_img"
    assert basemaps.choose(keyed, "amap").frame == "gcj02"
    assert basemaps.choose(MapSettings(), "bogus").key == "none"
    hosts = basemaps.tile_hosts(keyed)
    assert "https://t0.tianditu.gov.cn" in hosts and "https://webrd01.is.autonavi.com" in hosts
    assert basemaps.tile_hosts(MapSettings(basemaps=["none"])) == []
    mirror = MapSettings(basemaps=["osm"], tile_urls={"osm": "http://tiles.local/{z}/{x}/{y}.png"})
    assert basemaps.available(mirror)[0].layers[0].url.startswith("http://tiles.local/")


def test_gcj02_basemap_uses_the_shifted_crs():
    amap = basemaps.CATALOGUE["amap"]
    m = officer_map.site_map(basemap=amap, offered=[amap], bounds=(122, 29.7, 122.8, 30.2))
    html = m.get_root().render()
    assert "crs: L.CRS.GCJ02" in html
    assert html.index("js/gcj02.js") < html.index("L.CRS.GCJ02")


def test_export_is_standalone():
    fc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": 1,
                "geometry": {"type": "Point", "coordinates": [122.3, 29.95]},
                "properties": {
                    "id": 1,
                    "code": "X-1",
                    "name_zh": "测试",
                    "kind": "land",
                    "availability": "available",
                    "area_mu": 1.0,
                },
            }
        ],
    }
    empty = {"type": "FeatureCollection", "features": []}
    html = export_html(
        sites=fc,
        jurisdiction=empty,
        constraint_zones=empty,
        infrastructure=empty,
        bounds=(122.2, 29.9, 122.4, 30.0),
        title="t",
    )
    assert "/static/" not in html.replace("\\/static\\/", "")
    assert assets.external_references(html) == []
    assert "L.map(" in html and "X-1" in html
    assert 'url("data:image/png;base64,' in html  # Leaflet's control images are inlined
