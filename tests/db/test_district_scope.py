"""Roles per district and the scope a session reads and writes (revision 0034): computed by the
database for personal logins (QGIS, psql), passed by the app for its runtime login, never
taken from a personal login that claims one."""

from __future__ import annotations

import importlib
import os

import psycopg2
import pytest
import sqlalchemy as sa
from people import People
from sqlalchemy.engine import make_url
from writers import CITY, DINGHAI, PUTUO

from gis_app.db import scope
from gis_app.db.engine import make_engine
from gis_app.domain.errors import InvalidInput
from gis_app.services import accounts

ALL = sorted((CITY, DINGHAI, PUTUO))


def _scopes(conn: psycopg2.extensions.connection) -> tuple[list[str], list[str]]:
    with conn.cursor() as cur:
        cur.execute("SELECT gis_app_read_scope(), gis_app_write_scope()")
        read, write = cur.fetchone()
    return sorted(read), sorted(write)


def test_a_login_reads_its_users_districts_and_writes_where_its_roles_write(
    people: People,
) -> None:
    expected = {
        "putuo_planner": ([PUTUO], [PUTUO]),
        "dinghai_officer": ([DINGHAI], [DINGHAI]),
        "admin": (ALL, ALL),
    }
    for who, want in expected.items():
        conn = people.connect(who)
        try:
            assert _scopes(conn) == want, who
            # a personal login that names districts itself gains nothing
            with conn.cursor() as cur:
                cur.execute(
                    "SELECT set_config('gis_app.districts', %s, false),"
                    " set_config('gis_app.write_districts', %s, false)",
                    (",".join(ALL), ",".join(ALL)),
                )
            assert _scopes(conn) == want, who
        finally:
            conn.close()


def test_a_city_leader_reads_the_city_and_its_districts_and_writes_nothing(
    people: People,
) -> None:
    with people.engine.connect() as c:
        assert accounts.user_scope(c, people.name("city_leader")) == scope.Scope(tuple(ALL), ())


def test_grants_add_districts_and_a_disabled_user_has_none(people: People) -> None:
    planner = people.name("putuo_planner")
    with people.engine.begin() as c:
        assert accounts.grant_district_role(c, planner, CITY, "leader", "test")
        assert not accounts.grant_district_role(c, planner, CITY, "leader", "test")
    conn = people.connect("putuo_planner")
    try:
        # reader of the city, planner of Putuo: reads all, writes Putuo only
        assert _scopes(conn) == (ALL, [PUTUO])
        with people.engine.begin() as c:
            accounts.grant_district_role(c, planner, DINGHAI, "planner", "test")
            assert accounts.district_roles(c, planner) == [(CITY, "leader"), (DINGHAI, "planner")]
        conn.rollback()
        assert _scopes(conn) == (ALL, sorted([PUTUO, DINGHAI]))
        with people.engine.begin() as c:
            assert accounts.revoke_district_role(c, planner, CITY, "leader")
            assert accounts.revoke_district_role(c, planner, DINGHAI, "planner")
            assert not accounts.revoke_district_role(c, planner, DINGHAI, "planner")
        conn.rollback()
        assert _scopes(conn) == ([PUTUO], [PUTUO])
        with people.engine.begin() as c:
            accounts.set_disabled(c, planner, True)
        conn.rollback()
        assert _scopes(conn) == ([], [])
    finally:
        conn.close()


def test_a_grant_names_a_known_district_and_a_grantable_role(people: People) -> None:
    planner = people.name("putuo_planner")
    with people.engine.begin() as c:
        with pytest.raises(InvalidInput, match="no district '999999'"):
            accounts.grant_district_role(c, planner, "999999", "officer")
        with pytest.raises(InvalidInput, match="role 'admin' cannot be granted"):
            accounts.grant_district_role(c, planner, DINGHAI, "admin")


def _runtime_engine(url: str) -> sa.Engine:
    runtime = make_url(url).set(
        username=os.environ["GIS_APP_RUNTIME_USER"],
        password=os.environ["GIS_APP_RUNTIME_PASSWORD"],
    )
    return make_engine(runtime.render_as_string(hide_password=False))


def _engine_scopes(conn: sa.Connection) -> tuple[list[str], list[str]]:
    read, write = conn.execute(sa.text("SELECT gis_app_read_scope(), gis_app_write_scope()")).one()
    return sorted(read), sorted(write)


def test_the_runtime_login_reads_the_scope_the_app_binds_in_every_transaction(
    people: People,
) -> None:
    eng = _runtime_engine(people.url)
    try:
        with eng.connect() as c:
            assert _engine_scopes(c) == ([], [])  # nobody bound: nothing
            c.rollback()
            scope.bind(c, scope.Scope.of([DINGHAI, PUTUO], [PUTUO]))
            assert _engine_scopes(c) == (sorted([DINGHAI, PUTUO]), [PUTUO])
            c.commit()
            # a new transaction on the same connection gets it again (transaction-local)
            assert _engine_scopes(c) == (sorted([DINGHAI, PUTUO]), [PUTUO])
            c.rollback()
            # the driver's cursor used directly: send() first
            scope.send(c)
            raw = c.connection.dbapi_connection.cursor()
            raw.execute("SELECT current_setting('gis_app.write_districts')")
            assert raw.fetchone() == (PUTUO,)
            c.rollback()
        # back in the pool, the connection forgets it: the next user of it reads nothing
        with eng.connect() as c:
            assert _engine_scopes(c) == ([], [])
    finally:
        eng.dispose()


def test_the_app_binds_the_callers_scope_and_the_investor_links(people: People) -> None:
    """The login lookup of a request reads the user's scope in the same statement."""
    eng = _runtime_engine(people.url)
    try:
        with eng.connect() as c:
            _, token = accounts.create_token(c, people.name("dinghai_officer"), "t")
            c.commit()
            ident = accounts.resolve_token(c, token)
            assert ident is not None
            assert ident.scope == scope.Scope((DINGHAI,), (DINGHAI,))
    finally:
        eng.dispose()


def test_a_district_code_is_checked_before_it_is_sent() -> None:
    with pytest.raises(ValueError, match="not a district code"):
        scope.Scope.of(["330903', true); DROP TABLE site; --"]).statement()


def test_the_plpgsql_user_scope_answers_as_the_sql_one_did(people: People) -> None:
    """Revision 0051 rewrote ``gis_app_user_scope`` and ``gis_app_districts_below`` in
    PL/pgSQL (plans kept for the session): for every user — home district, grants on a city
    and on a district, a leader, an admin, a disabled one — and an id no user has, reading and
    writing, the same arrays as revision 0034's SQL bodies (its downgrade's text, run here as
    temporary functions)."""
    mig = importlib.import_module("gis_app.db.migrations.versions.0051_plpgsql_user_scope")
    old = mig.DOWNGRADE.replace("gis_app_districts_below(", "pg_temp.old_districts_below(")
    old = old.replace("FUNCTION gis_app_user_scope(", "FUNCTION pg_temp.old_user_scope(")
    assert "gis_app_districts_below" not in old and "FUNCTION gis_app_" not in old
    planner, officer = people.name("putuo_planner"), people.name("dinghai_officer")
    with people.engine.begin() as c:
        accounts.grant_district_role(c, planner, CITY, "leader", "test")
        accounts.grant_district_role(c, officer, PUTUO, "planner", "test")
    with people.engine.connect() as c:
        c.execute(sa.text(old))
        ids = c.execute(sa.text("SELECT id FROM app_user ORDER BY id")).scalars().all()
        assert len(ids) >= 4
        language = c.execute(
            sa.text(
                "SELECT lanname FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang"
                " WHERE proname = 'gis_app_user_scope'"
            )
        ).scalar_one()
        assert language == "plpgsql"
        for uid in [*ids, max(ids) + 1000]:
            for write in (False, True):
                new, was = c.execute(
                    sa.text("SELECT gis_app_user_scope(:u, :w), pg_temp.old_user_scope(:u, :w)"),
                    {"u": uid, "w": write},
                ).one()
                assert new == was, (uid, write)
        # a disabled user has none, as before
        c.execute(sa.text("UPDATE app_user SET disabled = true WHERE id = :u"), {"u": ids[0]})
        assert c.execute(
            sa.text("SELECT gis_app_user_scope(:u, false), pg_temp.old_user_scope(:u, false)"),
            {"u": ids[0]},
        ).one() == ([], [])
        c.rollback()
