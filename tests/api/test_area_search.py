"""Spatial search by a drawn area (``intersects``, ``buffer_km``): GET, POST, bad areas, plan.

Expected answers come from the sample files read with shapely (an independent reading), not
from the app's SQL.
"""

from __future__ import annotations

import json

import geopandas as gpd
import pytest
import sqlalchemy as sa
from matching.sample_oracle import load
from shapely.geometry import LineString, Polygon, mapping

from gis_app.db.site_queries import SiteFilter

#: a quadrilateral over the Zhujiajian / Shenjiamen side of Putuo
AREA = Polygon([(122.28, 29.88), (122.42, 29.90), (122.44, 29.98), (122.30, 29.99)])
#: a road-like line across the island
ROAD = LineString([(122.20, 29.95), (122.30, 29.96), (122.38, 29.93)])


@pytest.fixture
def officer(client_as):
    return client_as("officer")


def _codes(resp) -> set[str]:
    assert resp.status_code == 200, resp.text
    fc = resp.json()
    assert fc["numberMatched"] == len(fc["features"]) == int(resp.headers["x-total-count"])
    return {f["properties"]["code"] for f in fc["features"]}


def test_polygon_as_wkt_geojson_get_and_post_agree_with_the_files(officer) -> None:
    s = load().sites
    want = set(s.index[s.geometry.intersects(AREA)])
    assert 0 < len(want) < len(s)
    assert _codes(officer.get("/api/sites", params={"intersects": AREA.wkt, "limit": 1000})) == want
    as_json = json.dumps(mapping(AREA))
    assert _codes(officer.get("/api/sites", params={"intersects": as_json, "limit": 1000})) == want
    ewkt = "SRID=4490;" + AREA.wkt
    assert _codes(officer.get("/api/sites", params={"intersects": ewkt, "limit": 1000})) == want
    posted = officer.post(
        "/api/sites/search", params={"limit": 1000}, json={"intersects": mapping(AREA)}
    )
    assert _codes(posted) == want
    # the other filters combine with the area
    avail = set(s.index[s.geometry.intersects(AREA) & (s.availability == "available")])
    both = officer.post(
        "/api/sites/search",
        params={"limit": 1000, "availability": "available"},
        json={"intersects": {"type": "Feature", "geometry": mapping(AREA), "properties": {}}},
    )
    assert _codes(both) == avail


def test_line_with_buffer(officer) -> None:
    s = load().sites
    crossed = set(s.index[s.geometry.intersects(ROAD)])
    got = _codes(
        officer.get("/api/sites", params={"intersects": ROAD.wkt, "buffer_km": 1, "limit": 1000})
    )
    # every site the road crosses, every site clearly within 1 km, none clearly beyond it
    metres = s.geometry.to_crs(4550).distance(gpd.GeoSeries([ROAD], crs=s.crs).to_crs(4550).iloc[0])
    clearly_in = set(s.index[metres < 900])
    clearly_out = set(s.index[metres > 1100])
    assert crossed <= got and clearly_in <= got
    assert not got & clearly_out
    assert len(got) > len(crossed)


WORLD = "POLYGON((-180 -90,180 -90,180 90,-180 90,-180 -90))"
BOWTIE = "POLYGON((122.2 29.9,122.4 30.0,122.4 29.9,122.2 30.0,122.2 29.9))"
PROJECTED = "POLYGON((500000 3300000,510000 3300000,510000 3310000,500000 3300000))"


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"intersects": BOWTIE}, "crosses itself"),
        ({"intersects": WORLD}, "at most"),
        ({"intersects": "SRID=4550;" + AREA.wkt}, "SRID 4550"),
        ({"intersects": PROJECTED}, "projected"),
        (
            {
                "intersects": json.dumps(
                    {**mapping(AREA), "crs": {"type": "name", "properties": {"name": "EPSG:3857"}}}
                )
            },
            "EPSG:3857",
        ),
        ({"intersects": ROAD.wkt}, "buffer_km"),
        ({"intersects": ROAD.wkt, "buffer_km": 0}, "buffer_km"),
        ({"intersects": ROAD.wkt, "buffer_km": 500}, "buffer_km"),
        ({"buffer_km": 1}, "intersects"),
        ({"intersects": "not an area"}, "intersects"),
        ({"intersects": '{"type": "Polygon", "coordinates": [[1, 2]]}'}, "intersects"),
        ({"intersects": '{"type": "GeometryCollection", "geometries": []}'}, "intersects"),
        ({"intersects": "POLYGON EMPTY"}, "empty"),
        ({"intersects": "POINT(nan nan)", "buffer_km": 1}, "finite"),
        ({"near": "122.3,29.9", "radius_km": 0}, "radius_km"),
        ({"near": "122.3,29.9", "radius_km": 10000}, "radius_km"),
    ],
)
def test_bad_areas_are_refused_with_the_reason(officer, params, named) -> None:
    r = officer.get("/api/sites", params=params)
    assert r.status_code == 422, (params, r.text)
    assert named in r.json()["detail"], r.text


def test_post_search_refuses_an_area_in_the_url_too(officer) -> None:
    r = officer.post(
        "/api/sites/search", params={"intersects": AREA.wkt}, json={"intersects": AREA.wkt}
    )
    assert r.status_code == 422 and "body" in r.json()["detail"]
    r = officer.post("/api/sites/search", json={"intersects": {"type": "Polygon"}})
    assert r.status_code == 422 and "intersects" in r.json()["detail"]


def test_area_search_can_use_the_gist_index(conn: sa.Connection) -> None:
    """The area predicate is one the GiST index of site.geom answers (the planner picks it
    over a sequential scan when one is possible; the sample is too small to need it)."""
    for flt in (
        SiteFilter(intersects=AREA.wkt),
        SiteFilter(intersects=ROAD.wkt, buffer_km=2.0),
    ):
        flt.validate()
        where, params = flt.where()
        conn.execute(sa.text("SET LOCAL enable_seqscan = off"))
        explain = sa.text(f"EXPLAIN SELECT s.id FROM site s WHERE {where}")
        plan = "\n".join(conn.execute(explain, params).scalars())
        assert "idx_site_geom" in plan, plan
