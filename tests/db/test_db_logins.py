"""Personal PostgreSQL logins: a planner's edits carry their name into history, an officer's
login reads only, internal tables stay out of reach, and the rights follow the app roles.

Every test connects with psycopg2 as the login itself, as QGIS and psql do.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg2
import psycopg2.errors
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from cli.main import main as cli_main
from gis_app.db.db_logins import libpq_url
from gis_app.db.engine import make_engine
from gis_app.domain.errors import Conflict, InvalidInput, NotFound
from gis_app.services import accounts, db_logins

INTERNAL = (
    "app_user", "api_token", "web_session", "login_attempt", "alert", "match_unit",
    "requirement", "requirement_match", "recommendation", "recommendation_site", "share_link",
    "feedback", "history", "alembic_version", "district_piece", "constraint_zone_piece",
)  # fmt: skip


class Logins:
    """A copy of the sample with a planner and an officer, each with a database login."""

    def __init__(self, url: str, engine: sa.Engine) -> None:
        self.url = url
        self.engine = engine
        tag = uuid.uuid4().hex[:6]
        self.planner, self.officer = f"pl-{tag}", f"of-{tag}"
        self.passwords: dict[str, str] = {}
        with engine.connect() as c:
            accounts.create_user(c, self.planner, "planner-password-1", ["planner"])
            accounts.create_user(c, self.officer, "officer-password-1", ["officer"])
            c.commit()
            for name in (self.planner, self.officer):
                self.passwords[name] = db_logins.create_db_login(c, name).password
            self.groups = list(db_logins.db_logins.group_names(c).values())

    def connect(self, name: str, application_name: str = "QGIS") -> psycopg2.extensions.connection:
        """A psycopg2 connection as ``name`` (its own login and password)."""
        dsn = libpq_url(
            make_url(self.url)
            .set(username=name, password=self.passwords[name])
            .render_as_string(hide_password=False)
        )
        return psycopg2.connect(dsn, application_name=application_name)


@pytest.fixture
def logins(make_db, admin_engine: sa.Engine) -> Iterator[Logins]:
    url = make_db("sample")
    eng = make_engine(url)
    made = Logins(url, eng)
    yield made
    eng.dispose()
    # the roles belong to the cluster: drop them once their database is gone
    with admin_engine.connect() as c:
        c.execute(sa.text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
        for role in (made.planner, made.officer, *made.groups):
            c.execute(sa.text(f'DROP ROLE IF EXISTS "{role}"'))


def _one(conn, sql: str, params: tuple = ()) -> tuple:
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchone()


def test_a_planners_edit_is_recorded_under_their_name(logins: Logins) -> None:
    with logins.connect(logins.planner) as conn:
        # a login cannot speak for an app user: the setting the app uses is ignored
        _one(conn, "SELECT set_config('gis_app.user', 'admin', true)")
        site_id, version = _one(
            conn,
            "UPDATE site SET blocking_note = 'QGIS 编辑' WHERE code = "
            "(SELECT min(code) FROM site WHERE retired_at IS NULL) RETURNING id, version",
        )
    conn.close()
    with logins.engine.connect() as c:
        h = c.execute(
            sa.text(
                "SELECT changes, changed_by, app_user, db_user FROM history"
                " WHERE table_name = 'site' AND row_id = :i ORDER BY id DESC LIMIT 1"
            ),
            {"i": site_id},
        ).one()
        unit_note = c.execute(
            sa.text("SELECT count(*) FROM match_unit WHERE site_id = :i"), {"i": site_id}
        ).scalar_one()
    assert h.db_user == logins.planner
    assert h.changed_by == f"{logins.planner} via QGIS"
    assert h.app_user is None
    assert h.changes["blocking_note"][1] == "QGIS 编辑"
    assert version >= 2 and unit_note >= 1  # triggers writing internal tables still ran


def test_a_planner_inserts_sites_and_edits_buildings_and_zones(logins: Logins) -> None:
    with logins.connect(logins.planner) as conn, conn.cursor() as cur:
        cur.execute(
            "INSERT INTO site (code, name_zh, kind, geom, legacy_use)"
            " SELECT 'QG-PL-1', 'QGIS 新地块', 'land', geom, 'M2' FROM site"
            " WHERE retired_at IS NULL ORDER BY code LIMIT 1 RETURNING id, planned_use"
        )
        new_id, planned = cur.fetchone()
        assert planned == "100102"  # the 2023 code filled by the database
        cur.execute(
            "UPDATE building SET vacant_gfa_m2 = 100 WHERE id = (SELECT min(id) FROM building)"
        )
        cur.execute(
            "UPDATE constraint_zone SET source = 'QGIS'"
            " WHERE id = (SELECT min(id) FROM constraint_zone)"
        )
        cur.execute(
            "SELECT db_user FROM layer_history WHERE row_id = %s AND table_name = 'site'", (new_id,)
        )
        assert cur.fetchone() == (logins.planner,)
        # the rules of revision 0013 speak to the planner too
        cur.execute("SAVEPOINT s")
        with pytest.raises(psycopg2.Error) as e:
            cur.execute(
                "SET LOCAL gis_app.allow_site_delete = 'on'; DELETE FROM site WHERE id = %s",
                (new_id,),
            )
        assert e.value.pgcode == "GA004" and "retire it instead" in str(e.value)
        cur.execute("ROLLBACK TO SAVEPOINT s")
        with pytest.raises(psycopg2.errors.CheckViolation) as e:
            cur.execute("UPDATE site SET readiness = 'clean' WHERE id = %s", (new_id,))
        assert "allowed: raw 毛地" in str(e.value)
        conn.rollback()
    conn.close()


def test_a_planners_zone_edit_is_cut_again_and_still_blocks(logins: Logins) -> None:
    # the blocking check and the pieces' trigger read and write the pieces, which the login
    # is not granted (revision 0055: they run as their owner)
    with logins.connect(logins.planner) as conn, conn.cursor() as cur:
        with pytest.raises(psycopg2.Error) as e:
            cur.execute("UPDATE site SET availability = 'available' WHERE code = 'PT-TT-002'")
        assert e.value.pgcode == "GA001" and "ecological_redline" in str(e.value)
        conn.rollback()
        cur.execute(
            "UPDATE constraint_zone SET geom = ST_Multi(ST_Translate(geom, 0.0005, 0))"
            " WHERE id = (SELECT zone_id FROM site_constraint_overlap o JOIN site s"
            "             ON s.id = o.site_id WHERE s.code = 'PT-TT-002') RETURNING id"
        )
        zone_id = cur.fetchone()[0]
    conn.close()
    with logins.engine.connect() as c:
        gap, m2, whole = c.execute(
            sa.text(
                "SELECT ST_Area(ST_SymDifference(ST_Union(p.geom), z.geom)),"
                " (SELECT overlap_m2 FROM site_constraint_overlap o JOIN site s"
                "   ON s.id = o.site_id WHERE s.code = 'PT-TT-002' AND o.zone_id = z.id),"
                " (SELECT ST_Area(ST_Intersection(s.geom, z.geom)::geography) FROM site s"
                "   WHERE s.code = 'PT-TT-002')"
                " FROM constraint_zone z JOIN constraint_zone_piece p ON p.zone_id = z.id"
                " WHERE z.id = :z GROUP BY z.id"
            ),
            {"z": zone_id},
        ).one()
    assert gap < 1e-12 and m2 == pytest.approx(whole, rel=1e-8)


def test_an_officers_login_reads_and_cannot_write(logins: Logins) -> None:
    conn = logins.connect(logins.officer)
    try:
        assert _one(conn, "SELECT count(*) FROM site")[0] > 10
        assert _one(conn, "SELECT count(*) FROM layer_history")[0] > 0
        for sql in (
            "UPDATE site SET blocking_note = 'x'",
            "INSERT INTO constraint_zone (code, kind, name_zh, geom) SELECT 'x', kind, 'x', geom"
            " FROM constraint_zone LIMIT 1",
            "DELETE FROM building",
        ):
            with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                _one(conn, sql)
            conn.rollback()
    finally:
        conn.close()


@pytest.mark.parametrize("who", ["planner", "officer"])
def test_internal_tables_are_neither_listed_nor_readable(logins: Logins, who: str) -> None:
    conn = logins.connect(getattr(logins, who))
    try:
        listed = {
            r[0]
            for r in _many(
                conn,
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'",
            )
        }
        assert not listed & set(INTERNAL)
        assert {"site", "building", "constraint_zone", "layer_history"} <= listed
        for table in INTERNAL:
            with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                _one(conn, f"SELECT 1 FROM {table} LIMIT 1")
            conn.rollback()
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            _one(conn, "SELECT gis_app_sync_db_login('admin')")
    finally:
        conn.close()


def _many(conn, sql: str) -> list[tuple]:
    with conn.cursor() as cur:
        cur.execute(sql)
        return cur.fetchall()


def test_the_login_follows_the_app_roles(logins: Logins) -> None:
    with logins.engine.connect() as c:
        accounts.set_roles(c, logins.planner, ["officer"])
        c.commit()
    conn = logins.connect(logins.planner)
    with pytest.raises(psycopg2.errors.InsufficientPrivilege):
        _one(conn, "UPDATE site SET blocking_note = 'x'")
    conn.close()
    with logins.engine.connect() as c:
        accounts.set_disabled(c, logins.planner, True)
        c.commit()
    with pytest.raises(psycopg2.OperationalError, match="not permitted to log in"):
        logins.connect(logins.planner)
    with logins.engine.connect() as c:
        accounts.set_disabled(c, logins.planner, False)
        accounts.set_roles(c, logins.planner, ["planner"])
        c.commit()
    with logins.connect(logins.planner) as conn:
        _one(conn, "UPDATE site SET blocking_note = 'back' WHERE id = (SELECT min(id) FROM site"
                   " WHERE retired_at IS NULL) RETURNING id")  # fmt: skip
    conn.close()


def test_refusals_name_the_problem(logins: Logins) -> None:
    with logins.engine.connect() as c:
        with pytest.raises(NotFound, match="'nobody'"):
            db_logins.create_db_login(c, "nobody")
        accounts.create_user(c, "gis_app", "gis-app-password-1", ["planner"])
        c.commit()
        with pytest.raises(Conflict, match="gis_app did not create"):
            db_logins.create_db_login(c, "gis_app")  # the app's own superuser is left alone
        accounts.set_disabled(c, logins.officer, True)
        c.commit()
        with pytest.raises(InvalidInput, match="is disabled"):
            db_logins.create_db_login(c, logins.officer)
        with pytest.raises(InvalidInput, match="12 characters"):
            db_logins.create_db_login(c, logins.planner, "short")


def test_cli_prints_a_libpq_url_and_makes_logins(
    logins: Logins, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setenv("GIS_APP_DATABASE_URL", logins.url)
    assert cli_main(["db", "url", "--libpq"]) == 0
    url = capsys.readouterr().out.strip()
    assert url.startswith("postgresql://") and "+psycopg2" not in url
    psycopg2.connect(url).close()  # what psql and QGIS take
    assert cli_main(["user", "db-login", logins.planner, "--password", "a-new-password-9"]) == 0
    out = capsys.readouterr().out
    assert f"database login '{logins.planner}' reset" in out and "_planner" in out
    logins.passwords[logins.planner] = "a-new-password-9"
    logins.connect(logins.planner).close()
