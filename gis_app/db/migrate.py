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
    and mark the functions row security needs leakproof (:mod:`gis_app.db.row_security`)."""
    command.upgrade(alembic_config(url), revision)
    from gis_app.db import db_logins, row_security

    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as conn:
            db_logins.ensure_runtime_group(conn)
            row_security.ensure_leakproof(conn)
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
