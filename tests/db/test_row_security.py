"""Row-level security on the inventory (revision 0035), with real PostgreSQL logins: a Putuo
planner's QGIS session reads and edits Putuo's sites only, counts and sums included; a reader
of the city reads both districts; the app's runtime login reads the scope it was given and
nothing without one; a spatial filter still uses the GiST index under the policies."""

from __future__ import annotations

import os

import psycopg2
import psycopg2.errors
import pytest
import sqlalchemy as sa
from people import People
from sqlalchemy.engine import make_url
from writers import DINGHAI, PUTUO

from gis_app.db import row_security, scope
from gis_app.db.engine import make_engine
from gis_app.services import accounts

# one corner of each district's sample ground (writers.py: the sample's two districts)
_PUTUO_SQL = "SELECT count(*), round(sum(area_m2)) FROM site WHERE district_code = %s"


def _one(conn: psycopg2.extensions.connection, sql: str, params: tuple = ()) -> tuple:
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchone()


def _truth(people: People, district: str | None) -> tuple:
    """Count and area of the sites of ``district`` (all when None), as the owner sees them."""
    with people.engine.connect() as c:
        where = "" if district is None else f"WHERE district_code = '{district}'"
        return tuple(
            c.execute(sa.text(f"SELECT count(*), round(sum(area_m2)) FROM site {where}")).one()
        )


def test_a_putuo_planners_login_reads_and_sums_putuo_only(people: People) -> None:
    putuo, everything = _truth(people, PUTUO), _truth(people, None)
    assert putuo[0] < everything[0]
    conn = people.connect("putuo_planner")
    try:
        assert _one(conn, "SELECT count(*), round(sum(area_m2)) FROM site") == putuo
        # a Dinghai site is not there, by id or by code, nor its buildings or distances
        assert _one(conn, "SELECT count(*) FROM site WHERE district_code = %s", (DINGHAI,)) == (0,)
        assert _one(
            conn,
            "SELECT count(*) FROM building b WHERE NOT EXISTS"
            " (SELECT 1 FROM site s WHERE s.id = b.site_id AND s.district_code = %s)",
            (PUTUO,),
        ) == (0,)
        assert _one(conn, "SELECT count(DISTINCT site_id) FROM site_distance")[0] <= putuo[0]
        # the history QGIS shows: Putuo's rows only
        with people.engine.connect() as c:
            dinghai_ids = list(
                c.execute(
                    sa.text("SELECT id FROM site WHERE district_code = :d"), {"d": DINGHAI}
                ).scalars()
            )
        assert dinghai_ids
        assert _one(
            conn,
            "SELECT count(*) FROM layer_history WHERE table_name = 'site' AND row_id = ANY(%s)",
            (dinghai_ids,),
        ) == (0,)
    finally:
        conn.close()


def test_a_putuo_planner_cannot_change_or_add_a_dinghai_site(people: People) -> None:
    with people.engine.connect() as c:
        dinghai_id, dinghai_geom = c.execute(
            sa.text("SELECT id, ST_AsText(geom) FROM site WHERE district_code = :d LIMIT 1"),
            {"d": DINGHAI},
        ).one()
        putuo_id = c.execute(
            sa.text("SELECT id FROM site WHERE district_code = :d LIMIT 1"), {"d": PUTUO}
        ).scalar_one()
    conn = people.connect("putuo_planner")
    try:
        with conn.cursor() as cur:
            cur.execute("UPDATE site SET name_zh = 'x' WHERE id = %s", (dinghai_id,))
            assert cur.rowcount == 0
            cur.execute("UPDATE site SET name_zh = name_zh || '' WHERE id = %s", (putuo_id,))
            assert cur.rowcount == 1
        conn.commit()
        # a new site on Dinghai ground gets Dinghai as its district, outside the writer's
        with (
            pytest.raises(psycopg2.errors.InsufficientPrivilege, match="row-level security"),
            conn.cursor() as cur,
        ):
            cur.execute(
                "INSERT INTO site (code, name_zh, kind, availability, geom)"
                " VALUES ('RLS-1', '越界', 'land', 'available',"
                " ST_Multi(ST_Buffer(ST_PointOnSurface(ST_GeomFromText(%s, 4490)),"
                " 0.0001)))",
                (dinghai_geom,),
            )
        conn.rollback()
    finally:
        conn.close()
    with people.engine.connect() as c:
        assert c.execute(sa.text("SELECT count(*) FROM site WHERE code = 'RLS-1'")).scalar() == 0


def test_a_reader_of_the_city_reads_both_districts_and_writes_only_its_own(
    people: People,
) -> None:
    planner = people.name("putuo_planner")
    with people.engine.begin() as c:
        accounts.grant_district_role(c, planner, "330900", "leader")
        dinghai_id = c.execute(
            sa.text("SELECT id FROM site WHERE district_code = :d LIMIT 1"), {"d": DINGHAI}
        ).scalar_one()
    conn = people.connect("putuo_planner")
    try:
        assert _one(conn, "SELECT count(*), round(sum(area_m2)) FROM site") == _truth(people, None)
        with conn.cursor() as cur:
            cur.execute("UPDATE site SET name_zh = 'x' WHERE id = %s", (dinghai_id,))
            assert cur.rowcount == 0
        conn.rollback()
    finally:
        conn.close()


def _runtime(url: str) -> sa.Engine:
    u = make_url(url).set(
        username=os.environ["GIS_APP_RUNTIME_USER"],
        password=os.environ["GIS_APP_RUNTIME_PASSWORD"],
    )
    return make_engine(u.render_as_string(hide_password=False))


def test_the_runtime_login_reads_the_scope_it_is_given_and_nothing_without(
    people: People,
) -> None:
    eng = _runtime(people.url)
    try:
        with eng.connect() as c:
            count = "SELECT count(*), round(sum(area_m2)) FROM site"
            assert tuple(c.execute(sa.text(count)).one()) == (0, None)
            c.rollback()
            scope.bind(c, scope.Scope.of([DINGHAI], [DINGHAI]))
            assert tuple(c.execute(sa.text(count)).one()) == _truth(people, DINGHAI)
    finally:
        eng.dispose()


def test_a_spatial_filter_uses_the_gist_index_under_the_policies(people: People) -> None:
    """Without the leakproof marks the planner may not put ``geom && box`` on the GiST index
    of a table with policies (it would scan the caller's districts); a box around one site
    is the GiST index's to answer."""
    with people.engine.connect() as c:
        assert row_security.missing_leakproof(c) == []
        x, y = c.execute(
            sa.text(
                "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM site"
                " WHERE district_code = :d LIMIT 1) q"
            ),
            {"d": PUTUO},
        ).one()
    box = f"ST_MakeEnvelope({x - 1e-4}, {y - 1e-4}, {x + 1e-4}, {y + 1e-4}, 4490)"
    eng = _runtime(people.url)
    try:
        with eng.connect() as c:
            scope.bind(c, scope.Scope.of([PUTUO], [PUTUO]))
            for where in (f"geom && {box}", f"ST_Intersects(geom, {box})"):
                sql = f"SELECT id FROM site WHERE {where}"
                plan = "\n".join(c.execute(sa.text(f"EXPLAIN {sql}")).scalars())
                assert "idx_site_geom" in plan and "(geom && " in plan, plan
                assert len(c.execute(sa.text(sql)).all()) == 1
    finally:
        eng.dispose()


def test_a_statement_under_the_policies_may_still_run_in_parallel(people: People) -> None:
    """The scope functions are parallel restricted: the policies' InitPlan runs in the leader
    and the statement may use workers (an unsafe function would keep it on one process)."""
    eng = _runtime(people.url)
    try:
        with eng.connect() as c:
            scope.bind(c, scope.Scope.of([PUTUO], [PUTUO]))
            for setting in (
                "parallel_setup_cost = 0",
                "parallel_tuple_cost = 0",
                "min_parallel_table_scan_size = 0",
                "max_parallel_workers_per_gather = 2",
            ):
                c.execute(sa.text(f"SET LOCAL {setting}"))
            plan = "\n".join(
                c.execute(sa.text("EXPLAIN SELECT count(*) FROM site WHERE area_m2 > 0")).scalars()
            )
            assert "Gather" in plan, plan
    finally:
        eng.dispose()


def test_the_ledger_of_another_district_is_neither_read_nor_written(people: People) -> None:
    """Revision 0040: a Dinghai project, its month, milestone and history, an activity, a target
    and a minimum are invisible to the runtime login bound to Putuo (counts and sums included),
    and it can neither add nor change Dinghai's."""
    with people.engine.begin() as c:
        pid = c.execute(
            sa.text(
                "INSERT INTO project (code, name, sector, district_code)"
                " VALUES ('DH-RLS-1', '定海项目', 'manufacturing', :d) RETURNING id"
            ),
            {"d": DINGHAI},
        ).scalar_one()
        c.execute(
            sa.text(
                "INSERT INTO project_month (project_id, month, tax_wan)"
                " VALUES (:p, '2026-01-01', 5);"
                "INSERT INTO project_milestone (project_id, kind, actual_date)"
                " VALUES (:p, 'signed', '2026-01-02');"
                "INSERT INTO promotion_activity (kind, held_on, officer, title, created_by,"
                " district_code) VALUES ('trip_out', '2026-01-03', 'x', 't', 'x', :d);"
                "INSERT INTO indicator_target (district_code, year, scope, indicator, value)"
                " VALUES (:d, 2026, 'district', 'funds', 1);"
                "INSERT INTO activity_minimum (district_code, year, kind, per_month)"
                " VALUES (:d, 2026, 'trip_out', 3)"
            ),
            {"p": pid, "d": DINGHAI},
        )
    counts = {
        "project": "SELECT count(*) FROM project",
        "project_month": "SELECT count(*), sum(tax_wan) FROM project_month",
        "project_milestone": "SELECT count(*) FROM project_milestone",
        "promotion_activity": "SELECT count(*) FROM promotion_activity",
        "indicator_target": "SELECT count(*) FROM indicator_target",
        "activity_minimum": "SELECT count(*) FROM activity_minimum",
        "history": "SELECT count(*) FROM history WHERE table_name = 'project'",
    }
    with people.engine.connect() as c:
        owner = {k: tuple(c.execute(sa.text(q)).one()) for k, q in counts.items()}
    assert owner["project"][0] >= 1 and owner["history"][0] >= 1
    eng = _runtime(people.url)
    try:
        with eng.connect() as c:
            scope.bind(c, scope.Scope.of([PUTUO], [PUTUO]))
            seen = {k: tuple(c.execute(sa.text(q)).one()) for k, q in counts.items()}
            assert seen["project"][0] == owner["project"][0] - 1
            assert seen["project_month"] == (owner["project_month"][0] - 1, None)
            for table in ("project_milestone", "promotion_activity", "indicator_target"):
                assert seen[table][0] == owner[table][0] - 1, table
            assert seen["activity_minimum"][0] == owner["activity_minimum"][0] - 1
            assert seen["history"][0] == owner["history"][0] - 1
            changed = c.execute(
                sa.text("UPDATE project SET name = 'x' WHERE id = :p"), {"p": pid}
            ).rowcount
            assert changed == 0
            c.rollback()
            for sql in (
                "INSERT INTO project (code, name, sector, district_code)"
                " VALUES ('DH-RLS-2', 'x', 'manufacturing', :d)",
                "INSERT INTO indicator_target (district_code, year, scope, indicator, value)"
                " VALUES (:d, 2027, 'district', 'funds', 1)",
            ):
                with pytest.raises(sa.exc.ProgrammingError, match="row-level security"):
                    c.execute(sa.text(sql), {"d": DINGHAI})
                c.rollback()
    finally:
        eng.dispose()


def test_a_scoped_match_counts_the_units_of_the_districts_it_reads(
    people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Revision 0041: the match's planner gates count the units of the districts it reads, and
    only those the session may read (the statistics of a table under row security are hidden
    from the runtime login, so a definer's function reads them)."""
    from gis_app.matching import engine as match_engine

    with people.engine.begin() as c:
        c.execute(sa.text("ANALYZE match_unit"))
        rows = c.execute(
            sa.text(
                "SELECT x.v, x.f * c.reltuples FROM pg_stats st, pg_class c,"
                " unnest(st.most_common_vals::text::text[], st.most_common_freqs) AS x(v, f)"
                " WHERE st.tablename = 'match_unit' AND st.attname = 'district_code'"
                " AND c.oid = 'match_unit'::regclass"
            )
        ).all()
        units = {code: n for code, n in rows}
        assert units[PUTUO] > 10 * units[DINGHAI] > 0
        # the owner reads no district's scope: the gates fall back to the whole table
        owner = c.execute(
            sa.text("SELECT gis_app_match_units(ARRAY[:p, :d])"), {"p": PUTUO, "d": DINGHAI}
        ).scalar()
        assert owner is None
    threshold = (units[PUTUO] + units[DINGHAI]) / 2
    monkeypatch.setattr(match_engine, "PARALLEL_FROM_UNITS", threshold)
    eng = _runtime(people.url)
    try:
        with eng.connect() as c:
            scope.bind(c, scope.Scope.of([PUTUO], [PUTUO]))
            hidden = c.execute(
                sa.text("SELECT count(*) FROM pg_stats WHERE tablename = 'match_unit'")
            ).scalar()
            assert hidden == 0
            # Dinghai's units are not counted for a Putuo session, even when named
            got = c.execute(
                sa.text("SELECT gis_app_match_units(ARRAY[:p, :d])"), {"p": PUTUO, "d": DINGHAI}
            ).scalar()
            assert got == pytest.approx(units[PUTUO])
            c.rollback()
            for districts, worker in (([PUTUO], "1"), ([DINGHAI], "0"), (None, "1")):
                scope.bind(c, scope.Scope.of(districts or [PUTUO, DINGHAI], []))
                units = match_engine.scoped_units(c, districts) if districts else None
                c.exec_driver_sql(match_engine.settings_sql(units=units))
                shown = c.execute(sa.text("SHOW max_parallel_workers_per_gather")).scalar()
                assert shown == worker, districts
                c.rollback()
    finally:
        eng.dispose()


def test_a_first_run_takes_its_sampled_bar_under_row_security(
    people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Revision 0059: the sampled bar's probe reads match units under the session's scope like
    the match itself, and the first run it shortens lists what the match without it lists."""
    from gis_app.matching import bars
    from gis_app.matching import engine as match_engine
    from gis_app.matching.spec import parse_spec

    with people.engine.begin() as c:
        c.execute(sa.text("ANALYZE match_unit"))  # the gate reads the statistics
    spec = parse_spec({"need": "plant", "gfa_m2_min": 500, "tenure": "lease"})
    monkeypatch.setattr(match_engine, "SAMPLED_BAR_FROM_UNITS", 1)
    monkeypatch.setattr(match_engine, "MAX_COLLECTED_SHARE", 1.0)
    probes: list[bool] = []
    execute = match_engine.prepared.execute

    def spy(conn, query, params, *args, **kwargs):
        rows = execute(conn, query, params, *args, **kwargs)
        if "LIMIT :sample" in query:
            probes.append(bool(rows))
        return rows

    eng = _runtime(people.url)
    try:
        with eng.connect() as c:
            for districts in ([PUTUO], [PUTUO, DINGHAI]):
                scope.bind(c, scope.Scope.of(districts, []))
                listed = {}
                for sampled in (False, True):
                    bars.forget()
                    if sampled:
                        monkeypatch.setattr(match_engine.prepared, "execute", spy)
                    else:
                        monkeypatch.setattr(match_engine.prepared, "execute", execute)
                    listed[sampled] = match_engine.run_match(c, spec, limit=1).to_dict()
                    c.rollback()
                assert listed[True] == listed[False] and listed[True]["matches"], districts
                assert {m["district"]["code"] for m in listed[True]["matches"]} <= set(districts)
    finally:
        eng.dispose()
        bars.forget()
    assert probes == [True, True]  # each scope's first run sampled a bar
