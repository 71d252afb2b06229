"""Alembic environment: runs migrations against the URL given by ``gis_app.db.migrate``.

Revisions stand alone (issue 19). A file in ``versions/`` imports only Alembic, SQLAlchemy,
GeoAlchemy2 and the standard library: nothing of ``gis_app`` and nothing of another revision.
What it does is written out in its own file, SQL and data included, generated once from the
code of its day and pasted (the match functions of 0004 from ``gis_app.matching.sql``, the
land-use rows of 0003 and the expansions of 0004, 0008 and 0009 from ``gis_app.domain``). A
later change to the criteria, a vocabulary or an earlier revision can therefore never change
what an old revision does, and a database migrated today ends in the same schema as one
migrated when the revision shipped. Such a change ships as a new revision with the new SQL or
rows pasted in; the tests comparing the database with the code (the match predicate, the
land-use implications, the reference rows) say when one is due.

Reuse of an earlier revision's SQL: a revision that replaces functions carries its own literal
copy of the new definitions *and* of the earlier ones its downgrade restores (0005 for 0002's,
0010 for 0008's). We chose copies over a shared frozen helper module: a revision file is then
the whole record of what it runs, to be read and reviewed alone, and nothing outside it can
change it; a shared module would look like ordinary code yet must never be edited, and one
edit would silently change every revision importing it, which is the coupling this rule
removes. The price is some duplicated SQL in files nobody edits. ``tests/db/test_migrations.py``
holds both rules: no revision imports ``gis_app`` (or loads another revision), and every
downgrade restores exactly the schema its upgrade found.
"""

from __future__ import annotations

from alembic import context
from geoalchemy2 import alembic_helpers
from sqlalchemy import create_engine, pool

from gis_app.db.models import Base

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    url = config.attributes.get("url") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database URL: run migrations through `gis-app db migrate`")
    return url


def _configure(**kw) -> None:
    context.configure(
        target_metadata=target_metadata,
        include_object=alembic_helpers.include_object,
        process_revision_directives=alembic_helpers.writer,
        render_item=alembic_helpers.render_item,
        compare_type=True,
        **kw,
    )


def run_migrations_offline() -> None:
    """Emit SQL without a connection (``alembic upgrade --sql``)."""
    _configure(url=_url(), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run migrations on a live connection, in one transaction."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(_url(), poolclass=pool.NullPool)
    with engine.connect() as conn:
        _configure(connection=conn)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
