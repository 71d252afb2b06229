"""The app serves as a runtime login that owns nothing and bypasses no row security; the owner
migrates. Its grants cover every table the revisions made, and history still names the app
user it passes, while a personal login passing one is still not believed."""

from __future__ import annotations

import os

import psycopg2
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from gis_app.db import db_logins, scope
from gis_app.db.db_logins import libpq_url
from gis_app.db.district_queries import district_codes
from gis_app.domain.errors import ProvisioningError


def _as_runtime(url: str) -> str:
    """``url`` with the test run's runtime login (tests/conftest.py ``templates``)."""
    return (
        make_url(url)
        .set(
            username=os.environ["GIS_APP_RUNTIME_USER"],
            password=os.environ["GIS_APP_RUNTIME_PASSWORD"],
        )
        .render_as_string(hide_password=False)
    )


def test_the_app_serves_as_a_login_row_security_applies_to(client) -> None:
    engine = client.app.state.engine
    assert engine.url.username == os.environ["GIS_APP_RUNTIME_USER"]
    with engine.connect() as c:
        login = c.execute(
            sa.text(
                "SELECT rolsuper, rolbypassrls, rolcreaterole, rolcreatedb,"
                " (SELECT count(*) FROM pg_class WHERE relowner = r.oid)"
                " FROM pg_roles r WHERE rolname = session_user"
            )
        ).one()
    assert tuple(login) == (False, False, False, False, 0)
    # the import jobs' and the health probes' connections are the same login
    assert client.app.state.import_engine.url.username == engine.url.username
    assert client.app.state.health_engine.url.username == engine.url.username
    assert client.get("/readyz").status_code == 200


def test_every_table_of_the_app_is_granted_to_the_runtime_group(conn) -> None:
    group = db_logins.runtime_group_name(conn)
    missing = conn.execute(
        sa.text(
            "SELECT c.relname FROM pg_class c"
            " WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v')"
            "   AND c.relname <> 'spatial_ref_sys'"
            "   AND NOT has_table_privilege(:g, c.oid, 'SELECT')"
        ),
        {"g": group},
    ).scalars()
    assert list(missing) == []
    # Alembic's table and whom history believes are read, never written, by the app
    for table in ("alembic_version", "app_runtime_group"):
        assert not conn.execute(
            sa.text("SELECT has_table_privilege(:g, :t, 'INSERT, UPDATE, DELETE')"),
            {"g": group, "t": table},
        ).scalar()
    assert conn.execute(
        sa.text("SELECT has_table_privilege(:g, 'site', 'INSERT, UPDATE, DELETE')"),
        {"g": group},
    ).scalar()


def test_history_names_the_app_user_the_runtime_login_passes(make_db) -> None:
    url = make_db()
    runtime = sa.create_engine(_as_runtime(url), poolclass=sa.pool.NullPool)
    scope.install(runtime)
    try:
        with runtime.begin() as c:
            # the districts the app passes for its caller (row security, revision 0035)
            scope.bind(c, scope.Scope.of(district_codes(c), district_codes(c)))
            c.execute(sa.text("SELECT set_config('gis_app.user', 'officer-wang', true)"))
            site_id = c.execute(
                sa.text(
                    "UPDATE site SET description_zh = '运行账号改的' WHERE id ="
                    " (SELECT min(id) FROM site) RETURNING id"
                )
            ).scalar_one()
        with runtime.connect() as c:
            scope.bind(c, scope.Scope.of(district_codes(c)))
            row = c.execute(
                sa.text(
                    "SELECT app_user, db_user FROM history WHERE table_name = 'site'"
                    " AND row_id = :i ORDER BY id DESC LIMIT 1"
                ),
                {"i": site_id},
            ).one()
    finally:
        runtime.dispose()
    assert row.app_user == "officer-wang"
    assert row.db_user == os.environ["GIS_APP_RUNTIME_USER"]


def test_runtime_login_refuses_a_role_that_bypasses_row_security(conn) -> None:
    owner = conn.execute(sa.text("SELECT current_user")).scalar_one()
    with pytest.raises(ProvisioningError, match="not a runtime login this app made"):
        db_logins.ensure_runtime_login(conn, owner, "whatever-password")


def test_the_runtime_login_cannot_change_the_schema_or_roles(sample_url: str) -> None:
    pg = psycopg2.connect(libpq_url(_as_runtime(sample_url)))
    try:
        cur = pg.cursor()
        for statement in (
            "ALTER TABLE site ADD COLUMN x int",
            "DROP TABLE history",
            "ALTER TABLE site DISABLE ROW LEVEL SECURITY",
            "CREATE ROLE sneaky LOGIN",
        ):
            cur.execute("SAVEPOINT s")
            with pytest.raises(psycopg2.Error, match=r"must be owner|permission denied"):
                cur.execute(statement)
            cur.execute("ROLLBACK TO SAVEPOINT s")
    finally:
        pg.rollback()
        pg.close()
