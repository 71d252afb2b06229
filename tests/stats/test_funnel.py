"""The requirement funnel: counts and times from status changes recorded by the history trigger.

Requirements are created and moved with plain SQL (the triggers record every change, as they
would for an edit from psql or QGIS); the history timestamps are then set to known days so the
times in each stage are exact.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from gis_app.db.engine import make_engine, set_app_user
from gis_app.services import stats

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
AS_OF = T0 + dt.timedelta(days=100)


def _day(d: float) -> dt.datetime:
    return T0 + dt.timedelta(days=d)


def _create(
    eng: sa.Engine, name: str, officer: str, day: float, blocks: list[str] | None = None
) -> int:
    with eng.begin() as c:
        set_app_user(c, officer, "new requirement")
        rid = c.execute(
            sa.text(
                "INSERT INTO requirement (project_name, officer, need, preferred_blocks, "
                "created_at, status_changed_at) VALUES (:n, :o, 'land', :b, :t, :t) RETURNING id"
            ),
            {"n": name, "o": officer, "b": blocks or [], "t": _day(day)},
        ).scalar_one()
        _date_last_change(c, rid, day)
    return rid


def _date_last_change(c: sa.Connection, rid: int, day: float) -> None:
    c.execute(
        sa.text(
            "UPDATE history SET changed_at = :t WHERE id = (SELECT max(id) FROM history "
            "WHERE table_name = 'requirement' AND row_id = :r)"
        ),
        {"t": _day(day), "r": rid},
    )


def _move(
    eng: sa.Engine, rid: int, officer: str, moves: list[tuple[str, float]], touch: bool = True
) -> None:
    """Change the status in one transaction per move; ``touch`` also sets status_changed_at."""
    for status, day in moves:
        with eng.begin() as c:
            set_app_user(c, officer, f"status → {status}")
            extra = ", status_changed_at = :t" if touch else ""
            c.execute(
                sa.text(f"UPDATE requirement SET status = :s{extra} WHERE id = :r"),
                {"s": status, "r": rid, "t": _day(day)},
            )
            _date_last_change(c, rid, day)


@pytest.fixture(scope="module")
def funnel_db(server_url, templates) -> Iterator[tuple[sa.Engine, dict[str, int]]]:
    """A copy of the sample with five requirements moved along known days."""
    import uuid

    from sqlalchemy.engine import make_url

    name = f"gis_app_t_funnel_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(
        make_url(server_url).set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as c:
        c.execute(
            sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{make_url(templates["sample"]).database}"')
        )
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    eng = make_engine(url)
    ids: dict[str, int] = {}
    # R1: the whole way to landed
    ids["R1"] = _create(eng, "R1 船舶配件", "officer_a", 0, ["六横"])
    _move(
        eng,
        ids["R1"],
        "officer_a",
        [
            ("recommended", 10),
            ("visiting", 15),
            ("negotiating", 25),
            ("signed", 55),
            ("landed", 85),
        ],
    )
    # R2: dropped after the recommendation
    ids["R2"] = _create(eng, "R2 冷链仓储", "officer_a", 0, ["东港"])
    _move(eng, ids["R2"], "officer_a", [("recommended", 4), ("dropped", 6)])
    # R3: visiting now; status_changed_at not kept up (as from QGIS): history decides
    ids["R3"] = _create(eng, "R3 水产加工", "officer_b", 50, ["六横"])
    _move(eng, ids["R3"], "officer_b", [("recommended", 60), ("visiting", 70)], touch=False)
    # R4: new; belongs to 东港 through a recommended site there
    ids["R4"] = _create(eng, "R4 海工装备", "officer_b", 90)
    with eng.begin() as c:
        rec = c.execute(
            sa.text(
                "INSERT INTO recommendation (requirement_id, title_zh) VALUES (:r, '推荐') "
                "RETURNING id"
            ),
            {"r": ids["R4"]},
        ).scalar_one()
        c.execute(
            sa.text(
                "INSERT INTO recommendation_site (recommendation_id, site_id, rank) "
                "SELECT :rec, id, 1 FROM site WHERE block = '东港' ORDER BY code LIMIT 1"
            ),
            {"rec": rec},
        )
    # R5: through matching, dropped while visiting; no block
    ids["R5"] = _create(eng, "R5 新材料", "officer_b", 20)
    _move(
        eng,
        ids["R5"],
        "officer_b",
        [("matching", 21), ("recommended", 23), ("visiting", 33), ("dropped", 40)],
    )
    yield eng, ids
    eng.dispose()
    with admin.connect() as c:
        c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _by_status(table: stats.StatTable, group: object = "-") -> dict[str, dict]:
    return {r["key"]: r for r in table.rows if group == "-" or r.get("group") == group}


def test_history_records_who_moved_it(funnel_db) -> None:
    eng, ids = funnel_db
    with eng.connect() as c:
        who = (
            c.execute(
                sa.text(
                    "SELECT DISTINCT changed_by FROM history WHERE table_name = 'requirement' "
                    "AND row_id = :r"
                ),
                {"r": ids["R3"]},
            )
            .scalars()
            .all()
        )
    assert who == ["officer_b"]


def test_counts_reached_and_dropped(funnel_db) -> None:
    eng, _ = funnel_db
    with eng.connect() as c:
        t = stats.funnel(c, as_of=AS_OF)
    rows = _by_status(t)
    assert list(rows) == [
        "new",
        "matching",
        "recommended",
        "visiting",
        "negotiating",
        "signed",
        "landed",
        "dropped",
    ]
    current = {k: r["current"] for k, r in rows.items()}
    assert current == {
        "new": 1,
        "matching": 0,
        "recommended": 0,
        "visiting": 1,
        "negotiating": 0,
        "signed": 0,
        "landed": 1,
        "dropped": 2,
    }
    reached = {k: r["reached"] for k, r in rows.items()}
    assert reached == {
        "new": 5,
        "matching": None,
        "recommended": 4,
        "visiting": 3,
        "negotiating": 1,
        "signed": 1,
        "landed": 1,
        "dropped": 2,
    }
    dropped_from = {k: r["dropped_from"] for k, r in rows.items() if r["dropped_from"]}
    assert dropped_from == {"recommended": 1, "visiting": 1}
    assert rows["recommended"]["conversion_pct"] == pytest.approx(80.0)
    assert rows["matching"]["conversion_pct"] is None
    assert rows["visiting"]["conversion_pct"] == pytest.approx(75.0)
    assert rows["negotiating"]["conversion_pct"] == pytest.approx(100 / 3, abs=0.05)
    assert t.totals == {
        "requirements": 5,
        "dropped": 2,
        "completed_stays": 13,
        "longest_days": 30.0,
        "times_enough_data": True,
    }


def test_time_in_each_stage(funnel_db) -> None:
    eng, _ = funnel_db
    with eng.connect() as c:
        rows = _by_status(stats.funnel(c, as_of=AS_OF))
    # completed stays: new R1 10, R2 4, R3 10, R5 1; recommended R1 5, R2 2, R3 10, R5 10 …
    assert rows["new"]["completed"] == 4
    assert rows["new"]["mean_days"] == pytest.approx(6.25)
    assert rows["new"]["median_days"] == pytest.approx(7.0)
    assert rows["new"]["max_days"] == pytest.approx(10.0)
    assert rows["matching"]["mean_days"] == pytest.approx(2.0)
    assert rows["recommended"]["mean_days"] == pytest.approx(6.75)
    assert rows["recommended"]["median_days"] == pytest.approx(7.5)
    assert rows["visiting"]["completed"] == 2
    assert rows["visiting"]["mean_days"] == pytest.approx(8.5)
    assert rows["negotiating"]["mean_days"] == pytest.approx(30.0)
    assert rows["signed"]["mean_days"] == pytest.approx(30.0)
    assert rows["landed"]["completed"] == 0 and rows["landed"]["mean_days"] is None
    # still in the stage at AS_OF: R4 new 10 d, R3 visiting 30 d, R1 landed 15 d, R2/R5 dropped
    assert rows["new"]["in_stage_mean_days"] == pytest.approx(10.0)
    assert rows["visiting"]["in_stage_mean_days"] == pytest.approx(30.0)
    assert rows["landed"]["in_stage_mean_days"] == pytest.approx(15.0)
    assert rows["dropped"]["in_stage_mean_days"] == pytest.approx((94 + 60) / 2)


def test_per_officer(funnel_db) -> None:
    eng, _ = funnel_db
    with eng.connect() as c:
        t = stats.funnel(c, by="officer", as_of=AS_OF)
        only_a = stats.funnel(c, officers=["officer_a"], as_of=AS_OF)
    a, b = _by_status(t, "officer_a"), _by_status(t, "officer_b")
    assert {r["group"] for r in t.rows} == {"officer_a", "officer_b"}
    assert a["new"]["reached"] == 2 and a["landed"]["reached"] == 1
    assert a["dropped"]["current"] == 1 and a["recommended"]["dropped_from"] == 1
    assert b["new"]["reached"] == 3 and b["visiting"]["reached"] == 2
    assert b["recommended"]["mean_days"] == pytest.approx(10.0)
    assert a["new"]["mean_days"] == pytest.approx(7.0)
    assert _by_status(only_a)["new"]["reached"] == 2
    assert _by_status(only_a)["signed"]["mean_days"] == pytest.approx(30.0)


def test_per_block(funnel_db) -> None:
    eng, _ = funnel_db
    with eng.connect() as c:
        t = stats.funnel(c, by="block", as_of=AS_OF)
        liuheng = stats.funnel(c, blocks=["六横"], as_of=AS_OF)
    groups = {r["group"] for r in t.rows}
    assert groups == {"六横", "东港", None}  # R5 prefers no block and has no recommendation
    lh, dg = _by_status(t, "六横"), _by_status(t, "东港")
    assert lh["new"]["reached"] == 2 and lh["visiting"]["reached"] == 2
    assert lh["landed"]["reached"] == 1
    assert dg["new"]["reached"] == 2  # R2 by preference, R4 by a recommended site
    assert dg["new"]["current"] == 1 and dg["dropped"]["current"] == 1
    assert _by_status(liuheng)["visiting"]["current"] == 1
    assert _by_status(liuheng)["new"]["reached"] == 2


def test_requirement_without_history_uses_status_changed_at(funnel_db) -> None:
    eng, _ = funnel_db
    rid = _create(eng, "R6 导入", "officer_c", 30)
    with eng.begin() as c:
        c.execute(
            sa.text(
                "UPDATE requirement SET status = 'visiting', status_changed_at = :t WHERE id = :r"
            ),
            {"t": _day(80), "r": rid},
        )
        c.execute(
            sa.text("DELETE FROM history WHERE table_name = 'requirement' AND row_id = :r"),
            {"r": rid},
        )
    with eng.connect() as c:
        rows = _by_status(stats.funnel(c, officers=["officer_c"], as_of=AS_OF))
    assert rows["visiting"]["current"] == 1
    assert rows["visiting"]["reached"] == 1 and rows["new"]["reached"] == 1
    assert rows["visiting"]["in_stage_mean_days"] == pytest.approx(20.0)


def test_funnel_endpoint_and_downloads(funnel_db, client_as) -> None:
    eng, _ = funnel_db
    client = client_as("officer", url=eng.url.render_as_string(hide_password=False))
    body = client.get("/api/stats/funnel", params={"by": "officer", "officer": "officer_b"}).json()
    assert {r["group"] for r in body["rows"]} == {"officer_b"}
    rows = {r["key"]: r for r in body["rows"]}
    assert rows["visiting"]["reached"] == 2
    assert rows["recommended"]["mean_days"] == pytest.approx(10.0)
    csv = client.get("/api/stats/funnel", params={"format": "csv"})
    assert csv.headers["content-type"].startswith("text/csv")
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("键 / Key,名称 / Name (zh)")
    assert len(lines) == 1 + 8
    assert client.get("/api/stats/funnel", params={"by": "team"}).status_code == 422


def _stage_reached(rows: dict[str, dict]) -> list[int]:
    return [rows[st]["reached"] for st in stats.FUNNEL_STAGES]


def test_a_skipped_stage_counts_as_passed_and_the_funnel_never_grows(funnel_db) -> None:
    """new → negotiating straight away (a stage skipped) and a move back: the cumulative
    counts of the stages never go up from one stage to the next."""
    eng, _ = funnel_db
    skip = _create(eng, "R7 跳过推荐", "officer_skip", 10)
    _move(eng, skip, "officer_skip", [("negotiating", 20)])
    back = _create(eng, "R8 退回", "officer_skip", 10)
    _move(eng, back, "officer_skip", [("visiting", 12), ("recommended", 14)])
    with eng.connect() as c:
        rows = _by_status(stats.funnel(c, officers=["officer_skip"], as_of=AS_OF))
        every = _by_status(stats.funnel(c, as_of=AS_OF))
        per_officer = stats.funnel(c, by="officer", as_of=AS_OF)
    assert _stage_reached(rows) == [2, 2, 2, 1, 0, 0]
    for table in (rows, every):
        reached = _stage_reached(table)
        assert all(a >= b for a, b in itertools.pairwise(reached)), reached
    for officer in {r["group"] for r in per_officer.rows}:
        reached = _stage_reached(_by_status(per_officer, officer))
        assert all(a >= b for a, b in itertools.pairwise(reached)), officer


def test_stage_times_on_fresh_data_are_not_enough(funnel_db) -> None:
    """Moves minutes apart: no stage lasted a day, so the dashboard says "not enough data"."""
    eng, _ = funnel_db
    rid = _create(eng, "R9 新鲜", "officer_fresh", 99.99)
    _move(eng, rid, "officer_fresh", [("recommended", 99.995), ("visiting", 99.999)])
    with eng.connect() as c:
        t = stats.funnel(c, officers=["officer_fresh"], as_of=AS_OF)
    assert t.totals["completed_stays"] == 2
    assert t.totals["times_enough_data"] is False
    with eng.connect() as c:
        assert stats.funnel(c, officers=["officer_a"], as_of=AS_OF).totals["times_enough_data"]
