"""Alerts: a site newly meets an open requirement or newly entered a saved search (recorded by
database triggers), and investors' answers."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from gis_app.db import alert_queries
from gis_app.db.engine import set_app_user
from gis_app.domain.errors import Forbidden, InvalidInput, NotFound
from gis_app.services.paging import check_page

MAX_PAGE = 500


def list_alerts(
    conn: sa.Connection,
    username: str,
    *,
    everyone: bool = False,
    admin: bool = False,
    unseen_only: bool = False,
    limit: int = 100,
    offset: int = 0,
    source: str = "all",
) -> tuple[int, list[dict[str, Any]]]:
    """Alerts for ``username`` (every officer's with ``everyone``, admins only), newest first;
    ``source`` keeps those of requirements or of saved searches only."""
    if everyone and not admin:
        raise Forbidden("only admins may list every officer's alerts (all=true)")
    if source not in alert_queries.ALERT_SOURCES:
        raise InvalidInput(
            f"source must be one of {', '.join(alert_queries.ALERT_SOURCES)}, got {source[:40]!r}",
            code="unknown_value",
            field="source",
            params={"value": source[:40]},
        )
    check_page(limit, offset, MAX_PAGE)
    officer = None if everyone else username
    total = alert_queries.count_alerts(conn, officer, unseen_only, source)
    rows = alert_queries.alert_rows(conn, officer, unseen_only, limit, offset, source)
    return total, [alert_queries.as_json(r) for r in rows]


def mark_seen(conn: sa.Connection, alert_id: int, username: str, *, admin: bool = False) -> None:
    """Mark an alert as seen by its officer (or an admin); commit."""
    exists, officer = alert_queries.alert_officer(conn, alert_id)
    if not exists or (officer != username and not admin):
        raise NotFound(f"alert {alert_id} not found")
    set_app_user(conn, username, f"alert {alert_id} seen")
    alert_queries.mark_alert_seen(conn, alert_id)
    conn.commit()
