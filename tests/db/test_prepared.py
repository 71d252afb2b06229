"""Prepared statements: same rows as the plain statement, prepared once per session, and
prepared again when the session lost them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from gis_app.db import prepared
from gis_app.db.engine import make_engine
from gis_app.matching import sql as match_sql
from gis_app.matching.engine import run_match
from gis_app.matching.spec import parse_spec
from gis_app.settings import DatabaseSettings

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


PARAMS = {"label": "x", "codes": [], "kinds": ["land"], "min_area": 0, "township": None, "n": 3}


def _statements(engine: sa.Engine) -> list[str]:
    """Every statement ``engine`` sends, as it sends it."""
    sent: list[str] = []
    sa.event.listen(
        engine, "before_cursor_execute", lambda c, cur, st, *a: sent.append(st.split("(")[0])
    )
    return sent


@pytest.fixture
def own_engine(sample_url: str) -> Iterator[sa.Engine]:
    """An engine of the test's own: its sessions hold only what the test prepared."""
    engine = make_engine(sample_url)
    yield engine
    engine.dispose()


def test_prepared_once_per_session_with_nothing_asked_before_an_execute(
    own_engine: sa.Engine,
) -> None:
    engine = own_engine
    with engine.connect() as c:
        first = prepared.execute(c, QUERY, PARAMS, TYPES)
        c.rollback()  # a rollback keeps prepared statements
        assert len(_held(c)) == 1
    sent = _statements(engine)
    with engine.connect() as c:  # the same pooled connection, the same session
        again = prepared.execute(c, QUERY, PARAMS | {"n": 2}, TYPES, plan="generic")
        sent = list(sent)
        assert [dict(r) for r in again] == [dict(r) for r in first[:2]]
        assert len(_held(c)) == 1
        c.rollback()
    # one trip: the plan mode and the EXECUTE; no look-up of what the session holds
    assert len(sent) == 1 and sent[0].startswith("SET LOCAL plan_cache_mode = force_generic_plan;")
    assert "EXECUTE gis_app_" in sent[0]


def test_a_session_that_lost_its_statements_fails_once_then_prepares_again(
    own_engine: sa.Engine,
) -> None:
    with own_engine.connect() as c:
        first = prepared.execute(c, QUERY, PARAMS, TYPES)
        c.exec_driver_sql("DEALLOCATE ALL")  # no pooler in between: nothing else does this
        with pytest.raises(sa.exc.OperationalError, match="does not exist"):
            prepared.execute(c, QUERY, PARAMS, TYPES)
        c.rollback()
        assert [dict(r) for r in prepared.execute(c, QUERY, PARAMS, TYPES)] == [
            dict(r) for r in first
        ]
        c.rollback()


def test_behind_a_pooler_the_session_is_asked_every_time(sample_url: str) -> None:
    eng = make_engine(sample_url, DatabaseSettings(pooler="transaction"))
    try:
        with eng.connect() as c:
            first = prepared.execute(c, QUERY, PARAMS, TYPES)
            c.rollback()
            c.exec_driver_sql("DEALLOCATE ALL")  # what a pooler's DISCARD ALL does
            assert [dict(r) for r in prepared.execute(c, QUERY, PARAMS, TYPES)] == [
                dict(r) for r in first
            ]
            assert len(_held(c)) == 1
            c.rollback()
    finally:
        eng.dispose()


def test_a_bind_without_a_value_or_type_is_refused(conn: sa.Connection) -> None:
    try:
        prepared.execute(conn, QUERY, {"label": "x"}, TYPES)
    except ValueError as e:
        assert "codes" in str(e)
    else:
        raise AssertionError("missing binds were not refused")


def _plans(conn: sa.Connection, name: str) -> tuple[int, int]:
    got = conn.execute(
        sa.text("SELECT custom_plans, generic_plans FROM pg_prepared_statements WHERE name = :n"),
        {"n": name},
    ).one_or_none()
    return tuple(got) if got else (0, 0)


def test_the_match_runs_prepared_with_plans_chosen_by_the_inventory_size(
    conn: sa.Connection, monkeypatch
) -> None:
    from gis_app.matching import bars, engine

    kept = bars.kept
    monkeypatch.setattr(bars, "kept", lambda match: None)  # no bar, until the end
    spec = parse_spec({"need": "land", "land_use_codes": ["M"], "land_mu_min": 20})
    query, params = match_sql.statement(spec, limit=200)
    ranking = prepared._prepared_form(query)[0]
    explaining = prepared._prepared_form(match_sql.explanation(params, [(1, None)])[0])[0]
    ranked, explained = _plans(conn, ranking), _plans(conn, explaining)

    def planned() -> tuple[tuple[int, int], tuple[int, int]]:
        """(custom, generic) plans of the ranking and of the explanations since the start."""
        r, e = _plans(conn, ranking), _plans(conn, explaining)
        return (r[0] - ranked[0], r[1] - ranked[1]), (e[0] - explained[0], e[1] - explained[1])

    got = run_match(conn, spec, limit=200)
    again = run_match(conn, spec, limit=200)
    plain = conn.execute(sa.text(query), params).mappings().all()
    assert [m.code for m in got.matches] == [r["site_code"] for r in plain if r["n_fail"] == 0]
    assert got.matches and again == got
    # the sample (73 sites) is below the gate: the ranking's one generic plan, made once, runs
    # faster than planning it with the values; the explanations of the listed rows are always
    # planned once, generically
    assert planned() == ((0, 2), (0, 2))
    # a large inventory: the ranking is planned for each execution with its values
    monkeypatch.setattr(engine, "CUSTOM_PLANS_FROM_UNITS", 1)
    conn.exec_driver_sql("ANALYZE match_unit")  # the gate reads the table's statistics
    assert run_match(conn, spec, limit=200) == got
    assert run_match(conn, spec, limit=200) == got
    assert planned() == ((2, 2), (0, 4))
    # with the bar its last run kept, the match runs the barred statement, planned alike
    monkeypatch.setattr(bars, "kept", kept)
    bars.forget()
    assert run_match(conn, spec, limit=200) == got  # keeps the bar
    bar = bars.kept(bars.key(conn, query, params))
    assert bar is not None and bar.score == min(m.score for m in got.matches) - bars.SLACK
    barred = prepared._prepared_form(match_sql.statement(spec, limit=200, bar=bar.score)[0])[0]
    start = _plans(conn, barred)
    assert run_match(conn, spec, limit=200) == got
    assert run_match(conn, spec, limit=200) == got
    assert _plans(conn, barred) == (start[0] + 2, start[1]) and planned() == ((3, 2), (0, 7))


def test_a_session_keeps_the_most_recently_used_statements(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(prepared, "MAX_HELD", 3)
    queries = [QUERY.replace("LIMIT :n", f"LIMIT :n + {i}") for i in range(5)]
    with engine.connect() as c:
        c.exec_driver_sql("DEALLOCATE ALL")
        c.connection.info[prepared._HELD] = {}
        first = [r["code"] for r in prepared.execute(c, queries[0], PARAMS, TYPES)]
        for q in queries[1:3]:
            prepared.execute(c, q, PARAMS, TYPES)
        prepared.execute(c, queries[0], PARAMS, TYPES)  # used again: now the most recent
        for q in queries[3:]:
            prepared.execute(c, q, PARAMS, TYPES)
        names = {prepared._prepared_form(q)[0]: i for i, q in enumerate(queries)}
        assert sorted(names[n] for n in _held(c)) == [0, 3, 4]
        assert list(c.connection.info[prepared._HELD]) == [
            prepared._prepared_form(queries[i])[0] for i in (0, 3, 4)
        ]
        # an evicted statement is prepared again, making room in turn
        again = [r["code"] for r in prepared.execute(c, queries[1], PARAMS, TYPES)]
        assert sorted(names[n] for n in _held(c)) == [1, 3, 4]
        assert again[:3] == first[:3] and first
        c.rollback()
