"""Reverse matches and alerts are kept by the database: app edits and plain SQL alike."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from matching.sample_oracle import expected, load

from gis_app.db.engine import make_engine, transaction
from gis_app.services import requirements as req_service

M1_LAND = {
    "project_name": "一类工业项目",
    "need": "land",
    "land_use_codes": ["M1"],
    "land_mu_min": 35,
    "land_mu_max": 45,
}


@pytest.fixture
def db(make_db) -> Iterator[sa.Engine]:
    eng = make_engine(make_db("sample"), application_name="alert tests")
    yield eng
    eng.dispose()


def _create(eng: sa.Engine, data: dict, user: str = "alice") -> int:
    with eng.connect() as conn:
        return req_service.create_requirement(conn, data, user)["id"]


def _alerts(eng: sa.Engine) -> list[sa.Row]:
    with eng.connect() as c:
        return c.execute(
            sa.text(
                "SELECT a.requirement_id, s.code, a.officer, a.reason FROM alert a "
                "JOIN site s ON s.id = a.site_id ORDER BY a.id"
            )
        ).all()


def _sql(eng: sa.Engine, sql: str, app: str = "QGIS") -> None:
    with eng.begin() as c:
        c.execute(sa.text(f"SET LOCAL application_name = '{app}'"))
        c.execute(sa.text(sql))


def _matched(eng: sa.Engine, rid: int) -> set[str]:
    with eng.connect() as c:
        return set(
            c.execute(
                sa.text(
                    "SELECT s.code FROM requirement_match m JOIN site s ON s.id = m.site_id "
                    "WHERE m.requirement_id = :r"
                ),
                {"r": rid},
            ).scalars()
        )


def test_plain_sql_status_change_raises_exactly_one_alert(db: sa.Engine) -> None:
    rid = _create(db, M1_LAND)
    want, _ = expected(load(), M1_LAND, ({"100101"}, {"M1"}))
    assert _matched(db, rid) == want  # the sites that met it when it was saved ...
    assert _alerts(db) == []  # ... raise no alert: nothing changed on their side
    site = load().site("PT-KF-003")
    assert site.availability == "reserved" and site.planned_use == "100101"
    assert 35 <= site.area_mu <= 45 and site.blocking_pct == 0

    _sql(db, "UPDATE site SET availability = 'available' WHERE code = 'PT-KF-003'")
    alerts = _alerts(db)
    assert [(a.requirement_id, a.code, a.officer) for a in alerts] == [(rid, "PT-KF-003", "alice")]
    assert "PT-KF-003" in alerts[0].reason and "availability" in alerts[0].reason
    assert _matched(db, rid) == want | {"PT-KF-003"}

    # further edits while it still qualifies raise nothing new
    _sql(db, "UPDATE site SET blocking_note = '已放开' WHERE code = 'PT-KF-003'")
    _sql(db, "UPDATE site SET availability = 'available' WHERE code = 'PT-KF-003'")
    assert len(_alerts(db)) == 1
    # it stops qualifying (no alert) and qualifies again (a new alert)
    _sql(db, "UPDATE site SET availability = 'negotiating' WHERE code = 'PT-KF-003'")
    assert _matched(db, rid) == want and len(_alerts(db)) == 1
    _sql(db, "UPDATE site SET availability = 'available' WHERE code = 'PT-KF-003'")
    assert [a.code for a in _alerts(db)] == ["PT-KF-003", "PT-KF-003"]


def test_app_edit_raises_one_alert_for_the_matching_requirement_only(db: sa.Engine) -> None:
    rid = _create(db, M1_LAND)
    other = _create(db, M1_LAND | {"land_mu_min": 60, "land_mu_max": 80}, user="bob")
    closed = _create(db, M1_LAND | {"status": "dropped"}, user="carol")
    # an app edit: one transaction with the acting user set for the history trigger
    with transaction(db, user="planner-1", note="政策处理完成") as c:
        c.execute(sa.text("UPDATE site SET availability = 'available' WHERE code = 'PT-BL-002'"))
    alerts = _alerts(db)
    assert [(a.requirement_id, a.code) for a in alerts] == [(rid, "PT-BL-002")]
    assert other not in {a.requirement_id for a in alerts}
    assert _matched(db, closed) == set()


def test_rolled_back_edit_leaves_no_alert(db: sa.Engine) -> None:
    _create(db, M1_LAND)
    with db.connect() as c, c.begin() as tx:
        c.execute(sa.text("UPDATE site SET availability = 'available' WHERE code = 'PT-KF-003'"))
        assert c.execute(sa.text("SELECT count(*) FROM alert")).scalar_one() == 1
        tx.rollback()
    assert _alerts(db) == []


def test_building_change_raises_an_alert(db: sa.Engine) -> None:
    req = {
        "project_name": "重型装备",
        "need": "plant",
        "gfa_m2_min": 3000,
        "height_min_m": 10,
        "crane_min_t": 16,
        "tenure": "lease",
    }
    rid = _create(db, req)
    assert "PT-KF-009" not in _matched(db, rid)  # its 16-t hall (B3) is let
    _sql(
        db,
        "UPDATE building SET occupancy = 'vacant', vacant_gfa_m2 = gfa_m2 "
        "WHERE code = 'PT-KF-009-B3'",
    )
    alerts = _alerts(db)
    assert [(a.requirement_id, a.code) for a in alerts] == [(rid, "PT-KF-009")]
    assert "PT-KF-009-B3" in alerts[0].reason


def test_zone_change_raises_an_alert(db: sa.Engine) -> None:
    req = {"project_name": "物流仓储", "need": "land", "land_use_codes": ["W1"], "land_mu_min": 40}
    rid = _create(db, req)
    assert "PT-ZM-002" not in _matched(db, rid)  # 永久基本农田 overlaps it
    _sql(db, "DELETE FROM constraint_zone WHERE code = 'CZ-BF-001'")
    assert [(a.requirement_id, a.code) for a in _alerts(db)] == [(rid, "PT-ZM-002")]


def test_reverse_match_and_alert_api(db: sa.Engine, make_db, client_as) -> None:
    url = db.url.render_as_string(hide_password=False)
    alice = client_as("officer", url=url)
    created = alice.post("/api/requirements", json=M1_LAND)
    assert created.status_code == 201, created.text
    rid = created.json()["id"]
    assert created.json()["officer"] == "test-officer"
    with db.connect() as c:
        kf3 = c.execute(sa.text("SELECT id FROM site WHERE code = 'PT-KF-003'")).scalar_one()
    r = alice.get(f"/api/sites/{kf3}/matching-requirements")
    assert r.status_code == 200 and r.json() == []
    _sql(db, "UPDATE site SET availability = 'available' WHERE code = 'PT-KF-003'")
    r = alice.get(f"/api/sites/{kf3}/matching-requirements")
    assert [x["id"] for x in r.json()] == [rid]

    mine = alice.get("/api/alerts")
    assert mine.status_code == 200 and mine.headers["x-total-count"] == "1"
    (alert,) = mine.json()
    assert alert["site_code"] == "PT-KF-003" and alert["requirement_id"] == rid
    assert alert["seen_at"] is None
    assert alice.get("/api/alerts", params={"all": "true"}).status_code == 403
    admin = client_as("admin", url=url)
    assert admin.get("/api/alerts").json() == []  # not the admin's requirement
    assert [a["id"] for a in admin.get("/api/alerts", params={"all": "true"}).json()] == [
        alert["id"]
    ]
    assert client_as("planner", url=url).get("/api/alerts").status_code == 403
    assert alice.post(f"/api/alerts/{alert['id']}/seen").status_code == 204
    assert alice.get("/api/alerts", params={"unseen": "true"}).json() == []
    assert alice.post("/api/alerts/999999/seen").status_code == 404
