"""Row security through the app (revision 0035): an officer of Putuo sees Putuo's sites only —
in the list and its count, a site's page, the OGC items, the exports and the dashboard's figures
— an officer of the city sees both districts, and a Putuo planner's import that reaches into
Dinghai is refused row by row, naming the site and the district, with nothing written."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from writers import CITY, DINGHAI, PUTUO, add_requirements

from api.app import create_app
from gis_app.db.engine import make_engine
from gis_app.services import accounts
from gis_app.settings import DatabaseSettings, MapSettings, Settings


@pytest.fixture
def db(make_db) -> Iterator[tuple[str, sa.Engine]]:
    url = make_db("sample")
    eng = make_engine(url)
    yield url, eng
    eng.dispose()


def _client(url: str, eng: sa.Engine, name: str, roles: list[str], district: str) -> TestClient:
    with eng.begin() as c:
        if not c.execute(
            sa.text("SELECT 1 FROM app_user WHERE username = :u"), {"u": name}
        ).first():
            accounts.create_user(c, name, "district-password-1", roles, district_code=district)
        _, token = accounts.create_token(c, name, "rls")
    app = create_app(Settings(db=DatabaseSettings(database_url=url)))
    client = TestClient(app, headers={"Authorization": f"Bearer {token}"})
    client.__enter__()
    return client


def _codes(eng: sa.Engine, district: str | None) -> set[str]:
    where = "retired_at IS NULL" + (f" AND district_code = '{district}'" if district else "")
    with eng.connect() as c:
        return set(c.execute(sa.text(f"SELECT code FROM site WHERE {where}")).scalars())


def test_a_putuo_officer_sees_putuo_only_and_a_city_officer_both(db) -> None:
    url, eng = db
    putuo, everything = _codes(eng, PUTUO), _codes(eng, None)
    assert putuo < everything
    for name, district, want in (("pt-off", PUTUO, putuo), ("city-off", CITY, everything)):
        officer = _client(url, eng, name, ["officer"], district)
        try:
            r = officer.get("/api/sites", params={"limit": 1000})
            assert r.status_code == 200, r.text
            assert {f["properties"]["code"] for f in r.json()["features"]} == want, name
            assert int(r.headers["X-Total-Count"]) == len(want)
            items = officer.get("/ogc/collections/sites/items", params={"limit": 1000}).json()
            assert {f["properties"]["code"] for f in items["features"]} == want, name
            exported = officer.get(
                "/api/exports/sites", params={"format": "csv", "headers": "keys"}
            )
            assert exported.status_code == 200, exported.text
            rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
            assert {r["code"] for r in rows} == want, name
        finally:
            officer.__exit__(None, None, None)


def test_another_districts_site_is_not_found_and_not_counted(db) -> None:
    url, eng = db
    with eng.connect() as c:
        dinghai_id = c.execute(
            sa.text("SELECT id FROM site WHERE district_code = :d LIMIT 1"), {"d": DINGHAI}
        ).scalar_one()
    officer = _client(url, eng, "pt-off2", ["officer"], PUTUO)
    planner = _client(url, eng, "pt-plan", ["planner"], PUTUO)
    try:
        assert officer.get(f"/api/sites/{dinghai_id}").status_code == 404
        assert officer.get(f"/sites/{dinghai_id}").status_code == 404
        r = planner.patch(
            f"/api/sites/{dinghai_id}", json={"name_en": "x"}, headers={"If-Match": '"1"'}
        )
        assert r.status_code == 404, r.text
        # the dashboard's figures count Putuo's sites only
        stats = officer.get("/api/stats/districts")
        assert stats.status_code == 200, stats.text
        rows = {row["key"]: row for row in stats.json()["rows"]}
        assert rows[PUTUO]["available_sites"] > 0
        assert rows[DINGHAI]["available_sites"] == rows[DINGHAI]["blocked_sites"] == 0
        assert rows[DINGHAI]["vacant_gfa_m2"] == 0
    finally:
        for c in (officer, planner):
            c.__exit__(None, None, None)


def test_a_putuo_planners_import_reaching_into_dinghai_is_refused_naming_the_site(
    db, tmp_path: Path
) -> None:
    url, eng = db
    with eng.connect() as c:
        rows = c.execute(
            sa.text(
                "SELECT code, district_code, ST_AsGeoJSON(geom) g FROM site"
                " WHERE code IN ('PT-GS-001', 'ZS-DH-LC-001') ORDER BY code"
            )
        ).all()
        before = c.execute(sa.text("SELECT count(*), max(updated_at) FROM site")).one()
    assert [r.district_code for r in rows] == [PUTUO, DINGHAI]
    path = tmp_path / "two_districts.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"code": r.code, "name_zh": f"{r.code} 改名"},
                        "geometry": json.loads(r.g),
                    }
                    for r in rows
                ],
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    planner = _client(url, eng, "pt-plan2", ["planner"], PUTUO)
    try:
        with path.open("rb") as f:
            r = planner.post("/api/imports", files={"file": (path.name, f, "application/geo+json")})
    finally:
        planner.__exit__(None, None, None)
    assert r.status_code == 422, r.text
    body = r.text
    assert "ZS-DH-LC-001" in body and "定海区（示意范围）" in body
    assert "a district you may not change" in body
    assert "PT-GS-001" not in body.split("nothing was loaded")[-1]  # the Putuo row was fine
    with eng.connect() as c:
        assert tuple(c.execute(sa.text("SELECT count(*), max(updated_at) FROM site")).one()) == (
            tuple(before)
        )


def test_one_process_serves_each_caller_their_own_tile_from_the_cache(db) -> None:
    """The process's slow-tile cache is keyed on the caller's districts: a city officer's cut
    of a tile over Dinghai is never handed to Putuo's officer, who shares the process."""
    url, eng = db
    with eng.begin() as c:
        lon, lat = c.execute(
            sa.text(
                "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM site"
                " WHERE district_code = :d ORDER BY id LIMIT 1) q"
            ),
            {"d": DINGHAI},
        ).one()
        c.execute(
            sa.text("UPDATE site SET name_zh = 'DHTILE' || id WHERE district_code = :d"),
            {"d": DINGHAI},
        )
        tokens = {}
        for name, district in (("tile-city", CITY), ("tile-pt", PUTUO)):
            accounts.create_user(c, name, "tile-password-1", ["officer"], district_code=district)
            tokens[name] = accounts.create_token(c, name, "tiles")[1]
    z = 13
    x = int((lon + 180) / 360 * 2**z)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * 2**z)
    # every tile counts as slow: each cut goes into the cache
    settings = Settings(db=DatabaseSettings(database_url=url), map=MapSettings(tile_cache_min_s=0))
    with TestClient(create_app(settings)) as c:
        path = f"/tiles/sites/{z}/{x}/{y}.mvt"
        city = c.get(path, headers={"Authorization": f"Bearer {tokens['tile-city']}"})
        assert city.status_code == 200 and b"DHTILE" in city.content
        again = c.get(path, headers={"Authorization": f"Bearer {tokens['tile-city']}"})
        assert again.headers["X-Tile-Cache"] == "hit"  # the cache is in use
        putuo = c.get(path, headers={"Authorization": f"Bearer {tokens['tile-pt']}"})
        assert putuo.status_code == 200, putuo.text
        assert b"DHTILE" not in putuo.content
        assert putuo.headers["X-Tile-Cache"] == "miss"
        assert "Authorization" in putuo.headers["Vary"] and "Cookie" in putuo.headers["Vary"]


def test_another_districts_requirements_are_neither_listed_nor_counted(db) -> None:
    """Row security on requirements (revision 0039): Putuo's officer neither lists nor opens
    Dinghai's requirements, and the city view's requirement figures count none of them; the
    city's officer sees both; the app's login without a caller reads none."""
    url, eng = db
    add_requirements(eng, {DINGHAI: {"new": 2, "matching": 1}, PUTUO: {"new": 1}})
    with eng.connect() as c:
        dinghai_ids = set(
            c.execute(
                sa.text("SELECT id FROM requirement WHERE district_code = :d"), {"d": DINGHAI}
            ).scalars()
        )
    assert len(dinghai_ids) == 3
    putuo = _client(url, eng, "pt-req", ["officer"], PUTUO)
    city = _client(url, eng, "city-req", ["officer"], CITY)
    try:
        listed = {r["id"] for r in putuo.get("/api/requirements", params={"limit": 500}).json()}
        assert listed and not (listed & dinghai_ids)
        assert putuo.get(f"/api/requirements/{min(dinghai_ids)}").status_code == 404
        rows = {r["key"]: r for r in putuo.get("/api/stats/districts").json()["rows"]}
        assert rows[DINGHAI]["req_new"] == rows[DINGHAI]["req_matching"] == 0
        assert rows[PUTUO]["req_new"] >= 1
        seen = {r["id"] for r in city.get("/api/requirements", params={"limit": 500}).json()}
        assert dinghai_ids <= seen
        rows = {r["key"]: r for r in city.get("/api/stats/districts").json()["rows"]}
        assert rows[DINGHAI]["req_new"] == 2 and rows[DINGHAI]["req_matching"] == 1
    finally:
        for c in (putuo, city):
            c.__exit__(None, None, None)
