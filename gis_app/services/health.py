"""Readiness: the database answers and its schema is at the code's migration head."""

from __future__ import annotations

import sqlalchemy as sa

from gis_app.db import migrate, pooler
from gis_app.domain.errors import DatabaseUnavailable


def check_ready(engine: sa.Engine) -> dict[str, str]:
    """Return database facts, or raise :class:`DatabaseUnavailable` saying what is wrong."""
    try:
        with engine.connect() as conn:
            current = migrate.current_revision(conn)
            postgis = migrate.postgis_version(conn)
    except sa.exc.SQLAlchemyError as e:
        advice = pooler.connect_advice(e)
        raise DatabaseUnavailable(
            f"database unreachable: {advice}" if advice else "database unreachable"
        ) from e
    head = migrate.head_revision()
    if current != head:
        raise DatabaseUnavailable(
            f"database schema at {current or 'nothing'}, code expects {head}; "
            "run `gis-app db migrate`"
        )
    return {"database": "ok", "revision": current, "postgis": str(postgis)}
