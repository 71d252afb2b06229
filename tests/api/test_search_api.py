"""GET /api/sites filters: each checked against an independent reading of the sample files."""

from __future__ import annotations

import math

import pandas as pd
import pytest
import sqlalchemy as sa
from matching.sample_oracle import load
from pyproj import Geod
from shapely.geometry import Point


@pytest.fixture
def officer(client_as):
    return client_as("officer")


def _codes(client, **params) -> set[str]:
    r = client.get("/api/sites", params={"limit": 1000, **params})
    assert r.status_code == 200, r.text
    fc = r.json()
    assert fc["numberMatched"] == len(fc["features"]) == int(r.headers["x-total-count"])
    return {f["properties"]["code"] for f in fc["features"]}


def _where(mask) -> set[str]:
    return set(load().sites.index[mask])


def test_land_use_hierarchy_and_both_classifications(officer) -> None:
    s = load().sites
    industrial = _where(
        s.planned_use.str.startswith("1001") | s.legacy_use.fillna("").str[0].eq("M")
    )
    assert industrial and _codes(officer, land_use="1001") == industrial
    assert _codes(officer, land_use="M") == industrial
    class1 = _where(s.planned_use == "100101")
    assert _codes(officer, land_use="M1") == _codes(officer, land_use="100101") == class1
    assert _codes(officer, land_use="m1") == class1  # GB letters in lower case
    # 11 仓储 ↔ W; several codes combine with OR
    storage = _where(s.planned_use.str.startswith("11"))
    assert _codes(officer, land_use="W") == storage
    assert _codes(officer, land_use=["W", "M1"]) == storage | class1


def test_area_in_mu_and_m2(officer) -> None:
    s = load().sites
    want = _where((s.area_mu >= 50) & (s.area_mu <= 80))
    assert want and _codes(officer, area_mu_min=50, area_mu_max=80) == want
    m2 = {"area_m2_min": 50 * 10000 / 15, "area_m2_max": 80 * 10000 / 15}
    assert _codes(officer, **m2) == want


def test_status_filters(officer) -> None:
    s = load().sites
    want = _where(
        (s.readiness == "cleared")
        & (s.policy_status == "delivered")
        & s.quota_status.isin(["approved", "in_annual_plan"])
        & (s.kind == "land")
    )
    got = _codes(
        officer,
        readiness="cleared",
        policy_status="delivered",
        quota_status=["approved", "in_annual_plan"],
        kind="land",
    )
    assert want and got == want
    assert _codes(officer, supply_stage="idle") == _where(s.supply_stage == "idle")
    assert _codes(officer, planning_status="drafting") == _where(s.planning_status == "drafting")
    assert _codes(officer, platform="六横临港产业园") == _where(s.platform == "六横临港产业园")
    assert _codes(officer, block="展茅", township="展茅街道") == _where(
        (s.block == "展茅") & (s.township == "展茅街道")
    )


def test_building_specs_must_hold_in_one_building(officer) -> None:
    b = load().buildings
    one = b[(b.floor_height_m >= 9) & (b.crane_t >= 16)]
    got = _codes(officer, floor_height_min_m=9, crane_min_t=16)
    assert got == set(one.site_code)
    # PT-DG-003 has a 9 m hall (5 t crane) and an 8.5 m hall (16 t crane): no single building
    dg3 = b[b.site_code == "PT-DG-003"]
    assert (dg3.floor_height_m >= 9).any() and (dg3.crane_t >= 16).any()
    assert "PT-DG-003" not in got
    big = b[(b.vacant_gfa_m2 >= 5000) & (b.floor_load_kg_m2 >= 2000) & (b.power_kva >= 1000)]
    got = _codes(officer, vacant_gfa_min_m2=5000, floor_load_min_kg_m2=2000, power_min_kva=1000)
    assert got == set(big.site_code)
    cheap = b[b.rent_yuan_m2_month <= 15]
    assert _codes(officer, max_rent_yuan_m2_month=15) == set(cheap.site_code)


def test_marine_and_price_filters(officer) -> None:
    s = load().sites
    assert _codes(officer, shoreline_min_m=400) == _where(s.shoreline_m >= 400)
    assert _codes(officer, berth_dwt_min=50000) == _where(s.berth_dwt >= 50000)
    assert _codes(officer, water_depth_min_m=15) == _where(s.water_depth_m >= 15)
    assert _codes(officer, max_price_wan_per_mu=25) == _where(s.reserve_price_wan_per_mu <= 25)


@pytest.mark.parametrize(
    ("param", "column", "km"),
    [
        ("max_km_port", "d_port", 3),
        ("max_km_wharf", "d_wharf", 1),
        ("max_km_ferry", "d_ferry_terminal", 2),
        ("max_km_expressway", "d_expressway_interchange", 5),
    ],
)
def test_distance_limits_use_the_infrastructure_layer(officer, param, column, km) -> None:
    s = load().sites
    want = _where(s[column] <= km * 1000)
    assert want and _codes(officer, **{param: km}) == want


def test_bbox_near_and_text(officer) -> None:
    s = load().sites
    bbox = (122.2, 29.8, 122.4, 30.0)
    inside = _where(s.geometry.intersects(_box(*bbox)))
    assert inside and _codes(officer, bbox=",".join(map(str, bbox))) == inside
    # within 3 km of 沈家门 (geodesic, as the API measures)
    lon, lat = 122.30, 29.95
    geod = Geod(ellps="GRS80")
    near = set()
    for code, geom in s.geometry.items():
        if geom.contains(Point(lon, lat)):
            near.add(code)
            continue
        edge = geom.boundary.interpolate(geom.boundary.project(Point(lon, lat)))
        if geod.inv(lon, lat, edge.x, edge.y)[2] <= 3000:
            near.add(code)
    assert near and _codes(officer, near=f"{lon},{lat}", radius_km=3) == near
    assert _codes(officer, q="标准厂房") == _where(s.name_zh.str.contains("标准厂房"))
    assert _codes(officer, q="pt-kf-00") == _where(s.code.str.startswith("PT-KF-00"))
    assert _codes(officer, q="100%") == set()  # wildcards are literal


def _box(x0, y0, x1, y1):
    from shapely.geometry import box

    return box(x0, y0, x1, y1)


def test_verified_within_days(officer, engine: sa.Engine) -> None:
    with engine.connect() as c:
        today = c.execute(sa.text("SELECT current_date")).scalar_one()
    s = load().sites
    age = s.verified_at.map(lambda v: (today - pd.Timestamp(v).date()).days)
    assert _codes(officer, verified_within_days=365) == _where(age <= 365)
    assert _where(age > 365)  # the sample has stale records


def test_sort_page_and_plain_json(officer) -> None:
    s = load().sites
    land = (
        s[s.kind == "land"]
        .reset_index(drop=True)
        .sort_values(["area_mu", "code"], ascending=[False, True])
    )
    r = officer.get("/api/sites", params={"kind": "land", "sort": "-area_mu", "limit": 5})
    assert [f["properties"]["code"] for f in r.json()["features"]] == list(land.code[:5])
    r2 = officer.get(
        "/api/sites", params={"kind": "land", "sort": "-area_mu", "limit": 5, "offset": 5}
    )
    assert [f["properties"]["code"] for f in r2.json()["features"]] == list(land.code[5:10])
    assert r2.json()["numberMatched"] == len(land)
    js = officer.get(
        "/api/sites", params={"kind": "land", "sort": "-area_mu", "limit": 5, "format": "json"}
    )
    assert js.headers["content-type"].startswith("application/json")
    assert js.headers["x-total-count"] == str(len(land))
    rows = js.json()
    assert [r["code"] for r in rows] == list(land.code[:5])
    for row in rows:
        assert "geometry" not in row and "owner_contact" not in row
        geom = s.loc[row["code"]].geometry
        assert geom.buffer(1e-9).contains(Point(row["lon"], row["lat"]))
        assert math.isclose(row["area_mu"], s.loc[row["code"]].area_mu, abs_tol=0.01)
    assert (
        officer.get("/api/sites", params={"q": "nothing-like-this", "format": "json"}).json() == []
    )


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"kind": "castle"}, "castle"),
        ({"availability": "maybe"}, "maybe"),
        ({"readiness": "ready"}, "ready"),
        ({"supply_stage": "x"}, "supply_stage"),
        ({"policy_status": "x"}, "policy_status"),
        ({"planning_status": "x"}, "planning_status"),
        ({"quota_status": "x"}, "quota_status"),
        ({"land_use": "9999"}, "land_use"),
        ({"land_use": "#"}, "land_use"),
        ({"area_mu_min": 80, "area_mu_max": 50}, "area_mu_min"),
        ({"area_m2_min": 9, "area_m2_max": 1}, "area_m2_min"),
        ({"bbox": "1,2,3"}, "bbox"),
        ({"bbox": "122.4,29.8,122.2,30.0"}, "bbox"),
        ({"bbox": "0,0,200,10"}, "bbox"),
        ({"bbox": "a,b,c,d"}, "bbox"),
        ({"near": "122.3,29.9"}, "radius_km"),
        ({"near": "122.3", "radius_km": 1}, "near"),
        ({"near": "122.3,99", "radius_km": 1}, "near"),
        ({"near": "122.3,29.9", "radius_km": 5000}, "radius_km"),
        ({"area_mu_min": -1}, "area_mu_min"),
        ({"max_km_port": "nan"}, "max_km_port"),
        ({"crane_min_t": "inf"}, "crane_min_t"),
        ({"berth_dwt_min": 1e12}, "berth_dwt_min"),
        ({"verified_within_days": -1}, "verified_within_days"),
        ({"limit": 100000}, "limit"),
        ({"limit": 0}, "limit"),
        ({"offset": -1}, "offset"),
        ({"offset": 10**20}, "offset"),
        ({"sort": "owner_contact"}, "sort"),
        ({"format": "xml"}, "format"),
        ({"q": "a\x00b"}, "q"),
        ({"township": "x\x00"}, "township"),
    ],
)
def test_bad_input_is_422_naming_the_parameter(officer, params, named) -> None:
    r = officer.get("/api/sites", params=params)
    assert r.status_code == 422, (params, r.text)
    assert named in r.text


@pytest.mark.parametrize(
    "params",
    [
        {"limit": "ten"},
        {"area_mu_min": "lots"},
        {"verified_within_days": "1.5"},
        {"limit": 10**30},
        {"kind": "' OR 1=1 --"},
        {"land_use": "1001'; DROP TABLE site; --"},
        {"q": "%_\\'\""},
        {"block": "x" * 300},
    ],
)
def test_nothing_makes_the_server_fail(officer, params) -> None:
    r = officer.get("/api/sites", params=params)
    assert r.status_code < 500, r.text
    assert officer.get("/api/sites", params={"limit": 1}).status_code == 200


def test_site_id_out_of_range_is_not_a_server_error(officer) -> None:
    assert officer.get(f"/api/sites/{10**30}").status_code in (404, 422)
    assert officer.get(f"/api/sites/{10**30}/matching-requirements").status_code == 422


def test_search_needs_login(client) -> None:
    assert client.get("/api/sites", params={"land_use": "M"}).status_code == 401
