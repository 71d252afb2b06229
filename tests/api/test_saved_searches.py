"""Saved searches: the database holds what the API finds and alerts the officer when a site
newly enters one — whether the change came through the app or plain SQL (QGIS)."""

from __future__ import annotations

import io
from urllib.parse import parse_qsl

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from gis_app.db.engine import make_engine

SEARCH = "kind=land&max_km_port=5"


@pytest.fixture
def url(make_db) -> str:
    return make_db("sample")


def _ids(client, query: str) -> set[int]:
    fc = client.get(f"/api/sites?limit=1000&{query}").json()
    return {f["id"] for f in fc["features"]}


def _held(url: str, search_id: int) -> set[int]:
    eng = make_engine(url)
    try:
        with eng.connect() as c:
            return set(
                c.execute(
                    sa.text("SELECT site_id FROM saved_search_match WHERE saved_search_id = :i"),
                    {"i": search_id},
                ).scalars()
            )
    finally:
        eng.dispose()


def _sql(url: str, sql: str, **params) -> None:
    eng = make_engine(url, application_name="QGIS")
    try:
        with eng.begin() as c:
            c.execute(sa.text(sql), params)
    finally:
        eng.dispose()


@pytest.mark.parametrize(
    "query",
    [
        SEARCH + "&availability=available",
        "land_use=1001&area_mu_min=20&area_mu_max=300&readiness=cleared&readiness=raw",
        "q=%E5%B7%A5%E4%B8%9A&verified_within_days=3650&max_price_wan_per_mu=500",
        "kind=standard_plant&kind=plant&crane_min_t=5&max_rent_yuan_m2_month=40",
        "near=122.30,29.95&radius_km=8&township=%E5%85%AD%E6%A8%AA%E9%95%87",
        "bbox=122.0,29.7,122.5,30.1&rail_siding=false&max_km_expressway=20",
    ],
)
def test_the_database_holds_exactly_what_the_api_finds(url, client_as, query: str) -> None:
    c = client_as("officer", url=url)
    r = c.post(f"/api/saved-searches?{query}", json={"name": f"查询 {query[:30]}"})
    assert r.status_code == 201, r.text
    saved = r.json()
    want = _ids(c, query)
    assert _held(url, saved["id"]) == want
    assert saved["site_count"] == len(want) and saved["unseen_alerts"] == 0
    assert parse_qsl(saved["query"]) == parse_qsl(query)


def test_a_site_entering_by_plain_sql_alerts_the_officer_once(url, client_as) -> None:
    alice = client_as("officer", url=url)
    query = SEARCH + "&availability=available"
    name = "港口 5 公里内可招商用地"
    saved = alice.post(f"/api/saved-searches?{query}", json={"name": name}).json()
    outside = sorted(_ids(alice, SEARCH + "&availability=reserved&availability=negotiating"))
    assert outside, "the sample has land near a port that is not available"
    site = outside[0]
    assert alice.get("/api/alerts?source=saved_search").json() == []

    _sql(url, "UPDATE site SET availability = 'available' WHERE id = :id", id=site)
    alerts = alice.get("/api/alerts?source=saved_search&unseen=true").json()
    assert [(a["saved_search_id"], a["site_id"]) for a in alerts] == [(saved["id"], site)]
    assert alerts[0]["saved_search_name"] == name
    assert alerts[0]["saved_search_query"] == query
    assert "availability" in alerts[0]["reason"] and alerts[0]["requirement_id"] is None
    assert site in _held(url, saved["id"])
    # the officer's requirement alerts are apart; the list of all alerts holds it
    assert alice.get("/api/alerts?source=requirement").json() == []
    assert [a["id"] for a in alice.get("/api/alerts").json()] == [alerts[0]["id"]]

    # a further change while it stays in raises nothing; leaving and entering again does
    _sql(url, "UPDATE site SET blocking_note = '已核实' WHERE id = :id", id=site)
    assert len(alice.get("/api/alerts?source=saved_search").json()) == 1
    _sql(url, "UPDATE site SET availability = 'signed' WHERE id = :id", id=site)
    assert site not in _held(url, saved["id"])
    _sql(url, "UPDATE site SET availability = 'available' WHERE id = :id", id=site)
    assert len(alice.get("/api/alerts?source=saved_search").json()) == 2

    listed = alice.get("/api/saved-searches").json()
    assert [(s["id"], s["unseen_alerts"]) for s in listed] == [(saved["id"], 2)]
    # another user neither sees the search and its alerts nor can delete it
    bob = client_as("admin", url=url)
    assert bob.get("/api/saved-searches").json() == []
    assert bob.get("/api/alerts?source=saved_search").json() == []
    assert bob.delete(f"/api/saved-searches/{saved['id']}").status_code == 404
    assert alice.post(f"/api/alerts/{alerts[0]['id']}/seen").status_code == 204
    assert alice.get("/api/saved-searches").json()[0]["unseen_alerts"] == 1
    assert alice.delete(f"/api/saved-searches/{saved['id']}").status_code == 204
    assert alice.get("/api/alerts?source=saved_search").json() == []
    assert alice.get("/api/saved-searches").json() == []


def test_a_new_building_brings_a_site_into_a_building_search(url, client_as) -> None:
    c = client_as("officer", url=url)
    query = "crane_min_t=80"
    assert _ids(c, query) == set()
    saved = c.post(f"/api/saved-searches?{query}", json={"name": "80吨行车"}).json()
    site = sorted(_ids(c, "kind=standard_plant"))[0]
    _sql(
        url,
        "INSERT INTO building (site_id, code, name_zh, building_type, crane_t) "
        "VALUES (:s, 'B-TEST-80', '重型车间', 'single_storey_plant', 100)",
        s=site,
    )
    alerts = c.get("/api/alerts?source=saved_search").json()
    assert [(a["saved_search_id"], a["site_id"]) for a in alerts] == [(saved["id"], site)]
    assert "B-TEST-80" in alerts[0]["reason"]


@pytest.mark.parametrize(
    ("query", "body", "status", "message"),
    [
        (SEARCH, {"name": "   "}, 422, "name"),
        (SEARCH, {"name": "x" * 101}, 422, "name"),
        (SEARCH, {}, 422, "name"),
        (SEARCH, {"name": "a", "owner": "bob"}, 422, "owner"),
        (SEARCH + "&limit=5", {"name": "a"}, 422, "query.limit"),
        (SEARCH + "&basemap=osm", {"name": "a"}, 422, "query.basemap"),
        ("max_km_port=-3", {"name": "a"}, 422, "max_km_port"),
        ("kind=castle", {"name": "a"}, 422, "castle"),
        ("near=122.3,29.9", {"name": "a"}, 422, "near and radius_km"),
    ],
)
def test_bad_saved_searches_are_refused_with_the_reason(
    url, client_as, query, body, status, message
) -> None:
    c = client_as("officer", url=url)
    r = c.post(f"/api/saved-searches?{query}", json=body)
    assert r.status_code == status, r.text
    assert message in str(r.json()["detail"])
    assert c.get("/api/saved-searches").json() == []


def test_a_name_is_kept_once_per_officer(url, client_as) -> None:
    c = client_as("officer", url=url)
    assert c.post(f"/api/saved-searches?{SEARCH}", json={"name": "六横"}).status_code == 201
    r = c.post("/api/saved-searches?kind=plant", json={"name": "六横"})
    assert r.status_code == 409 and "六横" in r.json()["detail"]


def test_a_planner_import_brings_a_site_in(url, client_as, scratch_dir) -> None:
    officer = client_as("officer", url=url)
    query = "kind=land&availability=available"
    saved = officer.post(f"/api/saved-searches?{query}", json={"name": "可招商用地"}).json()
    site = next(
        s
        for s in officer.get("/api/sites?format=json&limit=1000&kind=land").json()
        if s["availability"] == "reserved"
    )
    # the planner exports the site, edits its availability in Excel and imports the file
    planner = client_as("planner", url=url)
    r = planner.get(f"/api/exports/sites?format=xlsx&q={site['code']}")
    assert r.status_code == 200
    book = load_workbook(io.BytesIO(r.content))
    ws = book["sites"]
    heads = [c.value for c in ws[1]]
    ws.cell(2, heads.index("招商状态代码") + 1, "available")
    ws.cell(2, heads.index("招商状态") + 1, "可招商")
    path = scratch_dir / "edited.xlsx"
    book.save(path)
    with path.open("rb") as f:
        r = planner.post("/api/imports", files={"file": ("edited.xlsx", f)})
    assert r.status_code == 200, r.text
    alerts = officer.get("/api/alerts?source=saved_search").json()
    assert [(a["saved_search_id"], a["site_id"]) for a in alerts] == [(saved["id"], site["id"])]
    assert "availability" in alerts[0]["reason"]
