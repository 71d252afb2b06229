"""Run Alembic migrations programmatically (no alembic.ini needed)."""

from __future__ import annotations

import functools
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    """Alembic config pointing at the packaged migrations and ``url``."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    # '%' must be escaped for configparser
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes["url"] = url
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Upgrade the database at ``url`` to ``revision``, then give the app's runtime group the
    rights on what the revisions created (:func:`gis_app.db.db_logins.ensure_runtime_group`)
    and mark the functions row security needs leakproof (:mod:`gis_app.db.row_security`).

    When revisions were applied, ``match_unit`` is vacuumed: the matches read it by index-only
    scans, which visit the heap for every entry until the visibility map says its pages are
    all visible — and a revision that rewrites the table (0033, 0042) leaves that map empty,
    which autovacuum does not notice (measured at 1M sites: the plant match over HTTP 151 ms
    until the vacuum, 61 ms after)."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            before = current_revision(conn)
        command.upgrade(alembic_config(url), revision)
        from gis_app.db import db_logins, row_security

        with engine.begin() as conn:
            db_logins.ensure_runtime_group(conn)
            row_security.ensure_leakproof(conn)
            after = current_revision(conn)
            vacuum = (
                after != before
                and conn.execute(
                    sa.text("SELECT to_regclass('match_unit') IS NOT NULL")
                ).scalar_one()
            )
        if vacuum:
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM (ANALYZE) match_unit")
    finally:
        engine.dispose()


def downgrade(url: str, revision: str = "base") -> None:
    """Downgrade the database at ``url`` to ``revision``."""
    command.downgrade(alembic_config(url), revision)


@functools.cache
def head_revision() -> str:
    """The newest migration revision shipped with the code (read once: the scripts do not
    change while the process runs, and reading them costs ~10 ms)."""
    script = ScriptDirectory.from_config(alembic_config("postgresql://unused"))
    head = script.get_current_head()
    if head is None:
        raise RuntimeError("no migrations found")
    return head


def current_revision(conn: sa.Connection) -> str | None:
    """The revision the connected database is at (``None`` when never migrated)."""
    return MigrationContext.configure(conn).get_current_revision()


def postgis_version(conn: sa.Connection) -> str | None:
    """The PostGIS library version of the connected database."""
    return conn.execute(sa.select(sa.func.postgis_lib_version())).scalar()
