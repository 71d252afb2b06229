"""The city view of the dashboard (issue 26, item 4): the districts side by side, their figures
computed by GROUP BY district_code in PostGIS agreeing with SQL counted here, and every figure
narrowed to one district (the drill-down)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from writers import DINGHAI, PUTUO, add_requirements

from gis_app.db.engine import make_engine
from gis_app.services import stats

_SQL_PER_DISTRICT = """
    SELECT s.district_code AS key,
           count(*) FILTER (WHERE s.availability = 'available') AS available_sites,
           COALESCE(sum(s.area_mu) FILTER (WHERE s.availability = 'available'
                                           AND s.kind = 'land'), 0) AS available_land_mu,
           COALESCE(sum((SELECT sum(b.vacant_gfa_m2) FROM building b WHERE b.site_id = s.id))
                    FILTER (WHERE s.availability = 'available'), 0) AS vacant_gfa_m2,
           count(*) FILTER (WHERE s.availability <> 'signed' AND (
               s.policy_status NOT IN ('delivered') AND s.policy_status IS NOT NULL
               OR s.planning_status <> 'approved'
               OR s.quota_status IN ('pending', 'applied', 'in_annual_plan')
               OR s.readiness IN ('raw', 'partly_cleared')
               OR EXISTS (SELECT 1 FROM site_constraint_overlap o WHERE o.site_id = s.id
                          AND o.zone_kind IN ('ecological_redline', 'basic_farmland')))
           ) AS blocked_sites
      FROM site s WHERE s.retired_at IS NULL GROUP BY 1
"""


def sql_per_district(conn: sa.Connection) -> dict[str, dict]:
    """Per district, counted here independently of the app's queries."""
    out = {r["key"]: dict(r) for r in conn.execute(sa.text(_SQL_PER_DISTRICT)).mappings()}
    for key, status, n in conn.execute(
        sa.text("SELECT district_code, status, count(*) FROM requirement GROUP BY 1, 2")
    ):
        out.setdefault(key, {})[f"req_{status}"] = n
    return out


#: requirements recorded in each district (status → how many), so that the pipeline has figures
_REQUIREMENTS = {DINGHAI: {"new": 2, "negotiating": 1}, PUTUO: {"matching": 1, "dropped": 1}}


@pytest.fixture
def with_requirements(make_db) -> Iterator[tuple[str, sa.Connection]]:
    """A copy of the sample with :data:`_REQUIREMENTS` recorded, and a connection to it."""
    url = make_db("sample")
    eng = make_engine(url)
    add_requirements(eng, _REQUIREMENTS)
    with eng.connect() as c:
        yield url, c
    eng.dispose()


def test_districts_side_by_side_agree_with_sql(client_as, with_requirements) -> None:
    url, conn = with_requirements
    officer = client_as("officer", url=url)
    r = officer.get("/api/stats/districts")
    assert r.status_code == 200, r.text
    t = r.json()
    assert [row["key"] for row in t["rows"]] == [DINGHAI, PUTUO]  # district level, by code
    assert t["rows"][0]["label_zh"] == "定海区（示意范围）"
    assert t["rows"][1]["label_en"] == "Putuo District"
    want = sql_per_district(conn)
    for row in t["rows"]:
        w = want[row["key"]]
        assert row["available_sites"] == w["available_sites"]
        assert row["available_land_mu"] == pytest.approx(float(w["available_land_mu"]), abs=0.01)
        assert row["vacant_gfa_m2"] == pytest.approx(float(w["vacant_gfa_m2"]), abs=0.1)
        assert row["blocked_sites"] == w["blocked_sites"]
        for status in ("new", "matching", "negotiating", "signed", "dropped"):
            assert row[f"req_{status}"] == w.get(f"req_{status}", 0)
            assert row[f"req_{status}"] == _REQUIREMENTS[row["key"]].get(status, 0)
    # still open: new, matching, recommended, visiting, negotiating (not dropped)
    assert [row["open_requirements"] for row in t["rows"]] == [3, 1]
    assert sum(row["available_sites"] for row in t["rows"]) == t["totals"]["available_sites"]
    # drilled down: one district's row, and the other figures follow the same scope
    one = officer.get("/api/stats/districts", params={"district_code": DINGHAI}).json()
    assert [row["key"] for row in one["rows"]] == [DINGHAI]
    avail = officer.get("/api/stats/available", params={"district_code": DINGHAI}).json()
    assert avail["totals"]["available_sites"] == want[DINGHAI]["available_sites"]
    assert avail["params"]["district_code"] == [DINGHAI]
    by_district = officer.get("/api/stats/available", params={"by": "district"}).json()
    assert {row["key"]: row["label_zh"] for row in by_district["rows"]} == {
        DINGHAI: "定海区（示意范围）",
        PUTUO: "普陀区",
    }
    csv_body = officer.get("/api/stats/districts", params={"format": "csv"})
    assert csv_body.status_code == 200 and "定海区（示意范围）" in csv_body.content.decode("utf-8")


def test_the_blockers_of_the_city_view_are_those_of_the_blocker_figure(conn) -> None:
    # the per-district blockers and the per-block figure count the same sites, in total
    per_district = stats.districts(conn)
    per_block = stats.blockers(conn)
    for key in ("blocked_sites", "blocked_mu", "policy_mu", "zone_mu"):
        assert per_district.totals[key] == pytest.approx(per_block.totals[key], abs=0.05)


def test_the_funnel_and_the_dashboard_follow_the_district(client_as, with_requirements) -> None:
    url, _ = with_requirements
    officer = client_as("officer", url=url)
    for district, statuses in _REQUIREMENTS.items():
        f = officer.get("/api/stats/funnel", params={"district_code": district}).json()
        assert f["totals"]["requirements"] == sum(statuses.values())
        assert f["params"]["district_code"] == [district]
    page = officer.get("/dashboard", params={"district_code": DINGHAI})
    assert page.status_code == 200
    assert 'id="gis-city-link"' in page.text and "定海区（示意范围）" in page.text
    assert 'id="card-districts"' not in page.text
    city = officer.get("/dashboard")
    assert 'id="card-districts"' in city.text and 'id="gis-city-link"' not in city.text
    assert officer.get("/dashboard", params={"district_code": "nowhere"}).status_code == 422
