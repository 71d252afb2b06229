"""The project ledger per district (issue 26, revision 0040): each district's projects, months,
activities and targets are its own under row security — a Putuo officer neither lists nor
opens Dinghai's project, a Putuo leader's report and target progress sum Putuo's projects only
— while the city's leader reads both districts side by side, drills down to one, and sets a
district's target; a project takes no site of another district."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from writers import CITY, DINGHAI, PUTUO

from api.app import create_app
from gis_app.db.engine import make_engine
from gis_app.services import accounts
from gis_app.services.inventory import SAMPLE_DIR
from gis_app.services.projects import load_ledger
from gis_app.settings import DatabaseSettings, Settings

TODAY = dt.date(2026, 12, 3)
MONTH = f"{dt.date.today().year}-01"
#: Dinghai's project and its one month of figures (万元): the canary of every Putuo view
DINGHAI_FUNDS = 777.0
CANARY = "DH-CANARY-001"


@pytest.fixture
def ledger(make_db) -> Iterator[tuple[sa.Engine, dict[str, TestClient]]]:
    url = make_db("sample")
    eng = make_engine(url)
    people = {
        "pt_officer": (["officer"], PUTUO),
        "pt_leader": (["leader"], PUTUO),
        "dh_officer": (["officer"], DINGHAI),
        "city_leader": (["leader"], CITY),
        "city_officer": (["officer"], CITY),
    }
    clients: dict[str, TestClient] = {}
    with eng.begin() as c:
        for name, (roles, district) in people.items():
            user = name.replace("_", "-")
            accounts.create_user(c, user, "ledger-password-1", roles, district_code=district)
            _, token = accounts.create_token(c, user, "ledger")
            app = create_app(Settings(db=DatabaseSettings(database_url=url)))
            clients[name] = TestClient(app, headers={"Authorization": f"Bearer {token}"})
            clients[name].__enter__()
    with eng.connect() as c:
        # the illustrative ledger is Putuo's (its projects take Putuo's sites)
        assert load_ledger(c, SAMPLE_DIR / "projects.json", "pt-officer", TODAY)
    dh = clients["dh_officer"]
    r = dh.post(
        "/api/projects",
        json={"code": CANARY, "name": "定海示例项目", "sector": "manufacturing"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["district_code"] == DINGHAI
    r = dh.put(
        f"/api/projects/{r.json()['id']}/months/{MONTH}",
        json={"funds_fixed_asset_wan": DINGHAI_FUNDS},
    )
    assert r.status_code == 200, r.text
    r = dh.post(
        "/api/activities",
        json={"kind": "trip_out", "held_on": f"{MONTH}-05", "title": "定海外出招商"},
    )
    assert r.status_code == 201, r.text
    yield eng, clients
    for client in clients.values():
        client.__exit__(None, None, None)
    eng.dispose()


def _funds(report: dict) -> dict:
    return next(i for i in report["indicators"] if i["key"] == "funds")


def _codes(items: list[dict]) -> set[str]:
    return {p["code"] for p in items}


def test_a_districts_ledger_is_its_own_and_the_city_reads_both(ledger) -> None:
    eng, c = ledger
    with eng.connect() as conn:
        canary_id = conn.execute(
            sa.text("SELECT id FROM project WHERE code = :c"), {"c": CANARY}
        ).scalar_one()
        putuo_codes = set(
            conn.execute(
                sa.text("SELECT code FROM project WHERE district_code = :d"), {"d": PUTUO}
            ).scalars()
        )
    assert len(putuo_codes) == 12

    # Putuo's officer: Putuo's projects only; Dinghai's is not found, in the API and the page
    pt = c["pt_officer"]
    r = pt.get("/api/projects", params={"limit": 500})
    assert r.status_code == 200, r.text
    assert _codes(r.json()) == putuo_codes
    assert pt.get(f"/api/projects/{canary_id}").status_code == 404
    assert pt.get(f"/projects/{canary_id}").status_code == 404
    assert CANARY not in pt.get("/projects").text
    acts = pt.get("/api/activities").json()
    assert all(a["title"] != "定海外出招商" for a in acts)

    # Putuo's leader: the report and its figures hold no Dinghai project
    lead = c["pt_leader"]
    report = lead.get("/api/reports/indicators", params={"start": MONTH, "end": MONTH}).json()
    assert report["district"]["code"] == PUTUO
    assert CANARY not in _codes(_funds(report)["projects"])
    assert CANARY not in lead.get("/reports/indicators").text
    # naming Dinghai gets nothing of it either (row security, not the parameter, decides)
    there = lead.get(
        "/api/reports/indicators", params={"start": MONTH, "end": MONTH, "district": DINGHAI}
    ).json()
    assert _funds(there)["actual"] == 0 and _funds(there)["projects"] == []

    # the city's leader: both districts, and each on its own
    city = c["city_leader"]
    both = city.get("/api/reports/indicators", params={"start": MONTH, "end": MONTH}).json()
    assert both["district"]["code"] == CITY
    dinghai = city.get(
        "/api/reports/indicators", params={"start": MONTH, "end": MONTH, "district": DINGHAI}
    ).json()
    putuo = city.get(
        "/api/reports/indicators", params={"start": MONTH, "end": MONTH, "district": PUTUO}
    ).json()
    assert _codes(_funds(dinghai)["projects"]) == {CANARY}
    assert _funds(dinghai)["actual"] == pytest.approx(DINGHAI_FUNDS)
    assert CANARY not in _codes(_funds(putuo)["projects"])
    assert _funds(both)["actual"] == pytest.approx(
        _funds(putuo)["actual"] + _funds(dinghai)["actual"]
    )
    assert _codes(_funds(both)["projects"]) == _codes(_funds(putuo)["projects"]) | {CANARY}
    r = city.get("/api/reports/indicators", params={"district": "no-such"})
    assert r.status_code == 422 and r.json()["field"] == "district"

    # the city's ledger drilled down to one district: the list, its count and the page
    r = city.get("/api/projects", params={"district": DINGHAI, "limit": 500})
    assert r.status_code == 200, r.text
    assert _codes(r.json()) == {CANARY} and r.headers["X-Total-Count"] == "1"
    assert r.json()[0]["district_label"]["zh"].startswith("定海区")
    r = city.get("/api/projects", params={"district": PUTUO, "limit": 500})
    assert _codes(r.json()) == putuo_codes
    assert city.get("/api/projects", params={"district": "no-such"}).status_code == 422
    page = city.get("/projects", params={"district": DINGHAI}).text
    assert CANARY in page and not any(code in page for code in putuo_codes)
    assert city.get("/projects", params={"district": "no-such"}).status_code == 422

    # activities: Dinghai's count in the city's progress, not in Putuo's
    def trips(client: TestClient) -> int:
        grid = client.get("/api/activity-progress").json()
        return sum(r["total"] for r in grid["rows"] if r["officer"] == "dh-officer")

    assert trips(c["city_officer"]) == 1
    assert trips(pt) == 0


def test_targets_are_set_per_district_and_read_where_they_belong(ledger) -> None:
    eng, c = ledger
    year = int(MONTH[:4])
    lead, city = c["pt_leader"], c["city_leader"]
    # Putuo's leader sets Putuo's target; the city's leader sets Dinghai's and the city's own
    r = lead.put(f"/api/targets/{year}/district/funds", json={"value": 5000})
    assert r.status_code == 200, r.text
    r = city.put(
        f"/api/targets/{year}/district/funds", params={"district": DINGHAI}, json={"value": 1000}
    )
    assert r.status_code == 200, r.text
    r = city.put(f"/api/targets/{year}/district/funds", json={"value": 9000})
    assert r.status_code == 200, r.text
    # Putuo's leader may not set Dinghai's: refused, nothing written
    r = lead.put(
        f"/api/targets/{year}/district/funds", params={"district": DINGHAI}, json={"value": 1}
    )
    assert r.status_code == 403, r.text
    assert r.json()["code"] == "district_not_writable"
    with eng.connect() as conn:
        rows = dict(
            conn.execute(
                sa.text(
                    "SELECT district_code, value FROM indicator_target"
                    " WHERE year = :y AND scope = 'district' AND indicator = 'funds'"
                ),
                {"y": year},
            ).all()
        )
    assert rows == {PUTUO: 5000, DINGHAI: 1000, CITY: 9000}

    # each view reads its own target; Putuo's leader sees no Dinghai or city target
    def funds_target(client: TestClient, district: str | None = None) -> float | None:
        params = {"start": MONTH, "end": MONTH} | ({"district": district} if district else {})
        return _funds(client.get("/api/reports/indicators", params=params).json())["target"]

    assert funds_target(lead) == 5000
    assert funds_target(city) == 9000
    assert funds_target(city, DINGHAI) == 1000
    listed = lead.get("/api/targets", params={"year": year}).json()
    assert {t["district"]["code"] for t in listed} == {PUTUO}
    own = [t for t in listed if t["scope"] == "district" and t["indicator"] == "funds"]
    assert [t["target"] for t in own] == [5000]
    # the city's progress lists its own targets first, then its districts', each counting its
    # own district's projects
    listed = city.get("/api/targets", params={"year": year}).json()
    order = [t["district"]["code"] for t in listed]
    assert order == sorted(order, key=lambda d: (d != CITY, d)) and set(order) == {
        CITY,
        DINGHAI,
        PUTUO,
    }
    by = {
        t["district"]["code"]: t
        for t in listed
        if t["scope"] == "district" and t["indicator"] == "funds"
    }
    assert by[DINGHAI]["actual"] == pytest.approx(DINGHAI_FUNDS)
    assert by[CITY]["actual"] == pytest.approx(by[DINGHAI]["actual"] + by[PUTUO]["actual"])


def test_a_project_takes_no_site_of_another_district(ledger) -> None:
    eng, c = ledger
    with eng.connect() as conn:
        dinghai_site = conn.execute(
            sa.text(
                "SELECT code FROM site WHERE district_code = :d AND retired_at IS NULL"
                " AND availability = 'available' LIMIT 1"
            ),
            {"d": DINGHAI},
        ).scalar_one()
        pid = conn.execute(
            sa.text("SELECT id FROM project WHERE district_code = :d ORDER BY id LIMIT 1"),
            {"d": PUTUO},
        ).scalar_one()
        before = conn.execute(
            sa.text("SELECT count(*) FROM project_site WHERE project_id = :p"), {"p": pid}
        ).scalar_one()
    # an admin reads both districts: the district rule, not visibility, refuses it
    with eng.begin() as conn:
        accounts.create_user(conn, "ledger-admin", "ledger-password-1", ["admin"])
        _, token = accounts.create_token(conn, "ledger-admin", "ledger")
    url = eng.url.render_as_string(hide_password=False)
    with TestClient(
        create_app(Settings(db=DatabaseSettings(database_url=url))),
        headers={"Authorization": f"Bearer {token}"},
    ) as admin:
        r = admin.post(f"/api/projects/{pid}/sites", json={"site_code": dinghai_site})
        assert r.status_code == 422, r.text
        body = r.json()
        assert body["code"] == "site_other_district" and body["field"] == "site_code"
        assert "定海区" in body["message"]["zh"] and "普陀区" in body["message"]["zh"]
        # the city officer's new project taking a Dinghai site belongs to Dinghai
        r = c["city_officer"].post(
            "/api/projects",
            json={
                "code": "CITY-DH-1",
                "name": "市级登记的定海项目",
                "sector": "manufacturing",
                "site_codes": [dinghai_site],
            },
        )
        assert r.status_code == 201, r.text
        assert r.json()["district_code"] == DINGHAI
    with eng.connect() as conn:
        after = conn.execute(
            sa.text("SELECT count(*) FROM project_site WHERE project_id = :p"), {"p": pid}
        ).scalar_one()
    assert after == before


def test_monthly_minimums_are_set_for_the_district_shown(ledger) -> None:
    """Every officer's minimum goes to the district the leader names (default theirs); the
    city's leader sets Dinghai's, Putuo's leader may not (403, nothing written), and Dinghai's
    progress counts its officer against it."""
    eng, c = ledger
    year = int(MONTH[:4])
    city, lead = c["city_leader"], c["pt_leader"]
    r = city.put(
        f"/api/activity-minimums/{year}/trip_out",
        params={"district": DINGHAI},
        json={"per_month": 3, "officer": ""},
    )
    assert r.status_code == 200, r.text
    r = lead.put(
        f"/api/activity-minimums/{year}/trip_out",
        params={"district": DINGHAI},
        json={"per_month": 9, "officer": ""},
    )
    assert r.status_code == 403 and r.json()["code"] == "district_not_writable", r.text
    r = lead.put(f"/api/activity-minimums/{year}/trip_out", json={"per_month": 1, "officer": ""})
    assert r.status_code == 200, r.text
    with eng.connect() as conn:
        rows = dict(
            conn.execute(
                sa.text(
                    "SELECT district_code, per_month FROM activity_minimum"
                    " WHERE year = :y AND kind = 'trip_out' AND officer = ''"
                ),
                {"y": year},
            ).all()
        )
    assert rows == {DINGHAI: 3, PUTUO: 1}
    grid = city.get("/api/activity-progress", params={"district": DINGHAI}).json()
    row = next(r for r in grid["rows"] if r["officer"] == "dh-officer" and r["kind"] == "trip_out")
    assert row["minimum"] == 3 and row["total"] == 1
    mine = lead.get("/api/activity-progress").json()
    assert {m["district_code"] for m in mine["minimums"]} == {PUTUO}
