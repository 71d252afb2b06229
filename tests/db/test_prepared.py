"""Prepared statements: same rows as the plain statement, prepared once per session, and
prepared again when the session lost them."""

from __future__ import annotations

import sqlalchemy as sa

from gis_app.db import prepared
from gis_app.matching import sql as match_sql
from gis_app.matching.engine import run_match
from gis_app.matching.spec import parse_spec

QUERY = """
SELECT s.code, s.area_m2::int AS area, :label AS label, CAST(:codes AS text[]) AS codes
  FROM site s
 WHERE s.kind = ANY(CAST(:kinds AS text[])) AND s.area_m2 >= :min_area
   AND (CAST(:township AS text) IS NULL OR s.township = :township)
   AND s.name_zh NOT LIKE '%never%' AND s.code::text <> ''
 ORDER BY s.code LIMIT :n"""
TYPES = {
    "label": "text",
    "codes": "text[]",
    "kinds": "text[]",
    "min_area": "float8",
    "township": "text",
    "n": "bigint",
}


def _held(conn: sa.Connection) -> list[str]:
    return list(
        conn.execute(
            sa.text("SELECT name FROM pg_prepared_statements WHERE name LIKE 'gis_app_%'")
        ).scalars()
    )


def test_rows_equal_the_plain_statement_for_every_bind_type(conn: sa.Connection) -> None:
    for params in (
        {"label": "50% 亩", "codes": [], "kinds": ["land", "plant"], "min_area": 10000.5},
        {"label": None, "codes": ["a'b"], "kinds": ["land"], "min_area": 0, "township": "六横镇"},
    ):
        params = {"township": None, "n": 5} | params
        want = conn.execute(sa.text(QUERY), params).mappings().all()
        got = prepared.execute(conn, QUERY, params, TYPES)
        assert [dict(r) for r in got] == [dict(r) for r in want]
        assert want  # not vacuous


def test_prepared_once_per_session_and_again_after_a_discard(engine: sa.Engine) -> None:
    params = {"label": "x", "codes": [], "kinds": ["land"], "min_area": 0, "township": None, "n": 3}
    with engine.connect() as c:
        c.exec_driver_sql("DEALLOCATE ALL")
        c.rollback()
        first = prepared.execute(c, QUERY, params, TYPES)
        c.rollback()  # a rollback keeps prepared statements
        assert len(_held(c)) == 1
        again = prepared.execute(c, QUERY, params | {"n": 2}, TYPES)
        assert [dict(r) for r in again] == [dict(r) for r in first[:2]]
        assert len(_held(c)) == 1
        c.exec_driver_sql("DEALLOCATE ALL")  # what a pooler's DISCARD ALL does
        assert [dict(r) for r in prepared.execute(c, QUERY, params, TYPES)] == [
            dict(r) for r in first
        ]
        c.rollback()


def test_a_bind_without_a_value_or_type_is_refused(conn: sa.Connection) -> None:
    try:
        prepared.execute(conn, QUERY, {"label": "x"}, TYPES)
    except ValueError as e:
        assert "codes" in str(e)
    else:
        raise AssertionError("missing binds were not refused")


def _plans(conn: sa.Connection, name: str) -> tuple[int, int]:
    return conn.execute(
        sa.text("SELECT custom_plans, generic_plans FROM pg_prepared_statements WHERE name = :n"),
        {"n": name},
    ).one()


def test_the_match_runs_prepared_with_plans_per_execution(conn: sa.Connection) -> None:
    spec = parse_spec({"need": "land", "land_use_codes": ["M"], "land_mu_min": 20})
    got = run_match(conn, spec, limit=200)
    again = run_match(conn, spec, limit=200)
    query, params = match_sql.statement(spec, limit=200)
    plain = conn.execute(sa.text(query), params).mappings().all()
    assert [m.code for m in got.matches] == [r["site_code"] for r in plain if r["n_fail"] == 0]
    assert got.matches and again == got
    # the ranking is planned for each execution with its values; the explanations of the listed
    # rows once, generically, for every requirement
    ranking = prepared._prepared_form(query)[0]
    explaining = prepared._prepared_form(match_sql.explanation(params, [(1, None)])[0])[0]
    assert _plans(conn, ranking) == (2, 0)
    assert _plans(conn, explaining) == (0, 2)
