"""Promotion activities over the API: an officer logs trips out, delegations and events; a
leader sets the monthly minimum; each officer's months are counted against it; bad input is
refused field by field in both languages and nothing is written."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa

from gis_app.db.district_queries import home_of
from gis_app.db.project_models import ActivityMinimum, PromotionActivity
from gis_app.domain import activities
from gis_app.domain.errors import InvalidInput
from gis_app.services import activities as activity_service
from gis_app.services.projects import ProjectViewer

TODAY = dt.date.today()
YEAR = TODAY.year


def _count(engine: sa.Engine) -> int:
    with engine.connect() as c:
        return c.execute(sa.text("SELECT count(*) FROM promotion_activity")).scalar_one()


def test_registry_and_tables_agree_column_for_column() -> None:
    stored = {n for n, f in activities.ACTIVITY.items() if f.stored}
    columns = set(PromotionActivity.__table__.columns.keys())
    assert stored == columns - {"project_id"}  # the project is named by its code
    assert set(activities.MINIMUM) == set(ActivityMinimum.__table__.columns.keys()) - {
        "updated_by",
        "updated_at",
    }


def test_officer_logs_activities_and_progress_counts_them(ledger_url, ledger_engine, client_as):
    officer = client_as("officer", ledger_url)
    leader = client_as("leader", ledger_url)
    first = TODAY.replace(day=1)
    r = officer.post(
        "/api/activities",
        json={"kind": "外出招商", "held_on": first.isoformat(), "title": "赴宁波拜访海工企业",
              "place": "宁波", "counterpart": "某海工集团", "project_code": "XM-2025-001"},
    )  # fmt: skip
    assert r.status_code == 201, r.text
    a = r.json()
    assert (a["kind"], a["officer"], a["project_code"]) == (
        "trip_out",
        "test-officer",
        "XM-2025-001",
    )
    assert a["kind_label"] == {"zh": "外出招商", "en": "Trip out to investors"}
    r = officer.post(
        "/api/activities",
        json={"kind": "delegation", "held_on": TODAY.isoformat(), "title": "接待上海客商"},
    )
    assert r.status_code == 201, r.text

    # the leader sets two trips out a month for everyone, one delegation for test-officer
    r = leader.put(f"/api/activity-minimums/{YEAR}/trip_out", json={"per_month": 2})
    assert r.status_code == 200, r.text
    r = leader.put(
        f"/api/activity-minimums/{YEAR}/delegation",
        json={"per_month": 1, "officer": "test-officer"},
    )
    assert r.status_code == 200, r.text
    # an officer may not
    assert (
        officer.put(f"/api/activity-minimums/{YEAR}/trip_out", json={"per_month": 0}).status_code
        == 403
    )

    p = leader.get("/api/activity-progress").json()
    assert p["months"][-1] == f"{TODAY:%Y-%m}"
    rows = {(x["officer"], x["kind"]): x for x in p["rows"]}
    trips = rows[("test-officer", "trip_out")]
    assert trips["minimum"] == 2 and trips["counts"][-1] == 1 and trips["total"] == 1
    # every month before this one ended with no trip: short; this month is still running
    assert trips["short_months"] == p["months"][:-1]
    assert rows[("test-officer", "delegation")]["minimum"] == 1
    listed = leader.get("/api/activities", params={"kind": "trip_out"}).json()
    assert [x["title"] for x in listed] == ["赴宁波拜访海工企业"]


def test_bad_input_is_refused_field_by_field_and_nothing_is_written(
    ledger_url, ledger_engine, client_as
):
    officer = client_as("officer", ledger_url)
    before = _count(ledger_engine)
    tomorrow = TODAY + dt.timedelta(days=1)
    r = officer.post(
        "/api/activities",
        json={"kind": "trip_out", "held_on": tomorrow.isoformat(), "title": "明天的行程",
              "project_code": "XM-NOPE"},
    )  # fmt: skip
    assert r.status_code == 422, r.text
    body = r.json()
    by_field = {e["field"]: e for e in body["errors"]} if "errors" in body else {}
    assert {"held_on", "project_code"} <= set(by_field), body
    assert by_field["held_on"]["code"] == "date_in_future"
    assert "日期不能晚于今天" in by_field["held_on"]["message"]["zh"]
    assert by_field["project_code"]["message"]["en"].startswith("Project code")
    # an officer logs only their own
    r = officer.post(
        "/api/activities",
        json={"kind": "trip_out", "held_on": TODAY.isoformat(), "title": "x", "officer": "admin"},
    )
    assert r.status_code == 403
    assert _count(ledger_engine) == before


def test_an_activity_is_removed_by_its_officer_only(ledger_url, ledger_engine, client_as):
    officer = client_as("officer", ledger_url)
    other = client_as("planner", ledger_url)
    r = officer.post(
        "/api/activities",
        json={"kind": "promotion_event", "held_on": TODAY.isoformat(), "title": "推介会"},
    )
    aid = r.json()["id"]
    assert other.delete(f"/api/activities/{aid}").status_code == 403  # planners: no access
    with ledger_engine.begin() as c:
        from gis_app.services import accounts

        accounts.create_user(c, "officer-two", "test-password-1", ["officer"])
        actor = ProjectViewer("officer-two", frozenset({"officer"}))
    with ledger_engine.connect() as c:
        try:
            activity_service.delete_activity(c, aid, actor)
            raise AssertionError("another officer removed the activity")
        except activity_service.Forbidden:
            pass
    assert officer.delete(f"/api/activities/{aid}").status_code == 204
    assert officer.delete(f"/api/activities/{aid}").status_code == 404


def test_sample_activities_load_once_and_show_short_months(ledger_url, ledger_engine, tmp_path):
    """The illustrative activities of the sample ledger: loaded once for the officer (a second
    load adds nothing), counted against the 2026 minimum (February and August fall short); a
    file with a bad activity is refused naming it, and nothing of it is written."""
    from gis_app.services.inventory import SAMPLE_DIR

    sample = SAMPLE_DIR / "projects.json"
    with ledger_engine.connect() as c:
        n = activity_service.load_activities(c, sample, "test-officer", dt.date(2026, 12, 3))
        assert n >= 30
        assert (
            activity_service.load_activities(c, sample, "test-officer", dt.date(2026, 12, 3)) == 0
        )
        home = home_of(c, "test-officer")
        assert home is not None
        grid = activity_service.progress(c, 2026, dt.date(2026, 12, 3), home)
    assert _count(ledger_engine) == n
    trips = next(
        r for r in grid["rows"] if r["officer"] == "test-officer" and r["kind"] == "trip_out"
    )
    assert trips["minimum"] == 2 and trips["short_months"] == ["2026-02", "2026-08"]
    with ledger_engine.connect() as c:
        linked = c.execute(
            sa.text("SELECT count(*) FROM promotion_activity WHERE project_id IS NOT NULL")
        ).scalar_one()
    assert linked > 0

    bad = json.loads(sample.read_text(encoding="utf-8"))
    bad["activities"][5]["held_on"] = "2031-01-01"
    path = tmp_path / "projects.json"
    path.write_text(json.dumps(bad, ensure_ascii=False), encoding="utf-8")
    with ledger_engine.connect() as c, pytest.raises(InvalidInput) as info:
        activity_service.load_activities(c, path, "another-officer", dt.date(2026, 12, 3))
    assert "activity 6" in str(info.value) and "held_on" in str(info.value)
    assert _count(ledger_engine) == n
