"""A requirement written with plain SQL (psql, QGIS) must carry its expanded land-use sets:
without them it would match every site and alert for all of them."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from gis_app.db.engine import make_engine
from gis_app.services import requirements as requirement_service

INSERT = (
    "INSERT INTO requirement (project_name, need, industry, land_use_codes,"
    " land_use_2023_codes, land_use_gb_codes)"
    " VALUES (:p, 'land', :i, :u, :a, :b) RETURNING id"
)


def _insert(conn: sa.Connection, p: str, i=None, u=(), a=(), b=()) -> int:
    values = {"p": p, "i": i, "u": list(u), "a": list(a), "b": list(b)}
    return conn.execute(sa.text(INSERT), values).scalar_one()


def _refused(conn: sa.Connection, sql: str, params: dict) -> str:
    with pytest.raises(sa.exc.DBAPIError) as err, conn.begin_nested():
        conn.execute(sa.text(sql), params)
    return str(err.value.orig)


def test_unexpanded_codes_are_refused_naming_requirement_and_codes(conn: sa.Connection) -> None:
    before = conn.execute(sa.text("SELECT count(*) FROM requirement")).scalar_one()
    values = {"p": "psql 录入", "i": None, "u": ["M2", "100101"], "a": [], "b": []}
    msg = _refused(conn, INSERT, values)
    assert 'requirement "psql 录入"' in msg and "{100101,M2}" in msg
    assert "land_use_2023_codes" in msg
    values = {"p": "只写行业", "i": "C26", "u": [], "a": [], "b": []}
    msg = _refused(conn, INSERT, values)
    assert 'requirement "只写行业"' in msg and "industry C26" in msg
    after = conn.execute(sa.text("SELECT count(*) FROM requirement")).scalar_one()
    assert after == before  # nothing half-written


def test_expanded_rows_and_the_service_pass(conn: sa.Connection, make_db) -> None:
    rid = _insert(conn, "手工展开", u=["M2"], a=["100102"], b=["M2"])
    assert rid
    eng = make_engine(make_db("empty"))
    try:
        with eng.connect() as c:  # the service commits: its own database
            data = {"project_name": "服务保存", "need": "land", "industry": "C26"}
            saved = requirement_service.create_requirement(c, data, "test")
    finally:
        eng.dispose()
    assert "100102" in saved["land_use_2023_codes"]


def test_updates_of_land_uses_are_checked_other_updates_never(conn: sa.Connection) -> None:
    rid = _insert(conn, "改用地", u=["M2"], a=["100102"], b=["M2"])
    msg = _refused(
        conn, "UPDATE requirement SET land_use_codes = '{M1}' WHERE id = :id", {"id": rid}
    )
    assert f"(#{rid})" in msg and "{M1}" in msg
    conn.execute(
        sa.text(
            "UPDATE requirement SET land_use_codes = '{M1}', land_use_2023_codes = '{100101}',"
            " land_use_gb_codes = '{M1}' WHERE id = :id"
        ),
        {"id": rid},
    )
    # an old row left inconsistent (e.g. restored from a dump without the trigger) can still
    # change status: only writes to its land uses are checked
    conn.execute(sa.text("ALTER TABLE requirement DISABLE TRIGGER requirement_land_use_check"))
    conn.execute(
        sa.text(
            "UPDATE requirement SET land_use_2023_codes = '{}', land_use_gb_codes = '{}'"
            " WHERE id = :id"
        ),
        {"id": rid},
    )
    conn.execute(sa.text("ALTER TABLE requirement ENABLE TRIGGER requirement_land_use_check"))
    conn.execute(sa.text("UPDATE requirement SET status = 'dropped' WHERE id = :id"), {"id": rid})
