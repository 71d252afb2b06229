"""Alerts: a site newly meets an open requirement (recorded by database triggers)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from gis_app.db.engine import set_app_user
from gis_app.domain.errors import Forbidden, InvalidInput, NotFound

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
) -> tuple[int, list[dict[str, Any]]]:
    """Alerts for ``username`` (every officer's with ``everyone``, admins only), newest first."""
    if everyone and not admin:
        raise Forbidden("only admins may list every officer's alerts (all=true)")
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit must be between 1 and {MAX_PAGE}, got {limit}")
    if not 0 <= offset <= 10_000_000:
        raise InvalidInput(f"offset must be between 0 and 10000000, got {offset}")
    where = ["true"]
    params: dict[str, Any] = {"limit": limit, "offset": offset}
    if not everyone:
        where.append("a.officer = :officer")
        params["officer"] = username
    if unseen_only:
        where.append("a.seen_at IS NULL")
    cond = " AND ".join(where)
    total = conn.execute(sa.text(f"SELECT count(*) FROM alert a WHERE {cond}"), params).scalar_one()
    rows = conn.execute(
        sa.text(
            f"""SELECT a.id, a.requirement_id, r.project_name, a.site_id, s.code AS site_code,
                       s.name_zh AS site_name_zh, s.name_en AS site_name_en, a.officer, a.reason,
                       a.created_at, a.seen_at
                  FROM alert a
                  JOIN requirement r ON r.id = a.requirement_id
                  JOIN site s ON s.id = a.site_id
                 WHERE {cond}
                 ORDER BY a.created_at DESC, a.id DESC
                 LIMIT :limit OFFSET :offset"""
        ),
        params,
    ).mappings()
    out = []
    for r in rows:
        item = dict(r)
        item["created_at"] = r["created_at"].isoformat()
        item["seen_at"] = r["seen_at"].isoformat() if r["seen_at"] else None
        out.append(item)
    return int(total), out


def mark_seen(conn: sa.Connection, alert_id: int, username: str, *, admin: bool = False) -> None:
    """Mark an alert as seen by its officer (or an admin); commit."""
    row = conn.execute(
        sa.text("SELECT officer FROM alert WHERE id = :id"), {"id": alert_id}
    ).first()
    if row is None or (row.officer != username and not admin):
        raise NotFound(f"alert {alert_id} not found")
    set_app_user(conn, username, f"alert {alert_id} seen")
    conn.execute(
        sa.text("UPDATE alert SET seen_at = COALESCE(seen_at, now()) WHERE id = :id"),
        {"id": alert_id},
    )
    conn.commit()
