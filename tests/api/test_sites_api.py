"""The read-only site API: valid RFC 7946 GeoJSON in WGS84 lon/lat order, with areas."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from shapely.geometry import shape


@pytest.fixture
def officer(client_as):
    return client_as("officer")


def _check_feature(f: dict) -> None:
    assert f["type"] == "Feature"
    assert isinstance(f["id"], int)
    geom = shape(f["geometry"])
    assert geom.is_valid and geom.geom_type == "MultiPolygon"
    for x, y in geom.geoms[0].exterior.coords:
        # Putuo lies near 122.3°E 29.9°N: lon first, lat second (RFC 7946)
        assert 121.5 < x < 123.0 and 29.4 < y < 30.5
    props = f["properties"]
    assert props["area_m2"] > 0
    assert abs(props["area_mu"] - props["area_m2"] / 666.67) < 0.01
    for internal in (
        "owner_contact",
        "owner_name",
        "internal_note",
        "negotiation_note",
        "price_floor_wan_per_mu",
    ):
        assert internal not in props


def test_list_sites_geojson(officer, engine: sa.Engine) -> None:
    r = officer.get("/api/sites", params={"limit": 1000})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/geo+json")
    fc = r.json()
    assert fc["type"] == "FeatureCollection" and "crs" not in fc
    with engine.connect() as c:
        total = c.execute(sa.text("SELECT count(*) FROM site")).scalar_one()
    assert fc["numberMatched"] == total == len(fc["features"])
    assert r.headers["x-total-count"] == str(total)
    for f in fc["features"]:
        _check_feature(f)
    codes = [f["properties"]["code"] for f in fc["features"]]
    assert codes == sorted(codes)


def test_coordinates_match_database_in_lon_lat_order(officer, engine: sa.Engine) -> None:
    with engine.connect() as c:
        row = c.execute(
            sa.text(
                "SELECT id, ST_X(ST_StartPoint(ST_ExteriorRing(ST_GeometryN(geom, 1)))) x, "
                "ST_Y(ST_StartPoint(ST_ExteriorRing(ST_GeometryN(geom, 1)))) y "
                "FROM site ORDER BY id LIMIT 1"
            )
        ).one()
    f = officer.get(f"/api/sites/{row.id}").json()
    x, y = f["geometry"]["coordinates"][0][0][0]
    assert abs(x - row.x) < 1e-6 and abs(y - row.y) < 1e-6


def test_paging_filters_and_limits(officer, settings) -> None:
    page1 = officer.get("/api/sites", params={"limit": 5}).json()
    page2 = officer.get("/api/sites", params={"limit": 5, "offset": 5}).json()
    assert len(page1["features"]) == 5 == len(page2["features"])
    assert not {f["id"] for f in page1["features"]} & {f["id"] for f in page2["features"]}
    avail = officer.get("/api/sites", params={"availability": "available", "limit": 1000}).json()
    assert avail["features"] and all(
        f["properties"]["availability"] == "available" for f in avail["features"]
    )
    big = officer.get("/api/sites", params={"sort": "-area_m2", "limit": 3}).json()
    areas = [f["properties"]["area_m2"] for f in big["features"]]
    assert areas == sorted(areas, reverse=True)
    r = officer.get("/api/sites", params={"limit": settings.app.max_page_size + 1})
    assert r.status_code == 422 and "limit" in r.json()["detail"]
    r = officer.get("/api/sites", params={"kind": "castle"})
    assert r.status_code == 422 and "castle" in r.json()["detail"]
    r = officer.get("/api/sites", params={"bbox": "1,2,3"})
    assert r.status_code == 422


def test_bbox_filter(officer) -> None:
    all_fc = officer.get("/api/sites", params={"limit": 1000}).json()
    f0 = all_fc["features"][0]
    xs = [p[0] for p in f0["geometry"]["coordinates"][0][0]]
    ys = [p[1] for p in f0["geometry"]["coordinates"][0][0]]
    bbox = f"{min(xs)},{min(ys)},{max(xs)},{max(ys)}"
    got = officer.get("/api/sites", params={"bbox": bbox, "limit": 1000}).json()
    assert f0["id"] in {f["id"] for f in got["features"]}
    assert len(got["features"]) < len(all_fc["features"])


def test_get_site_and_404(officer) -> None:
    fc = officer.get("/api/sites", params={"limit": 1}).json()
    site_id = fc["features"][0]["id"]
    r = officer.get(f"/api/sites/{site_id}")
    assert r.status_code == 200
    f = json.loads(r.text)
    _check_feature(f)
    assert set(f["properties"]["distances_m"]) >= {"port", "ferry_terminal"}
    r = officer.get("/api/sites/999999999")
    assert r.status_code == 404 and "999999999" in r.json()["detail"]


def test_health_and_docs(client, officer) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ok"
    assert officer.get("/openapi.json").status_code == 200
    assert officer.get("/docs").status_code == 200
    assert client.get("/openapi.json").status_code == 401
    assert client.get("/api/sites").status_code == 401
