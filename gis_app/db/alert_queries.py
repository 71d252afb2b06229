"""Alerts: reading an officer's alerts and marking one seen (SQLAlchemy Core on the models)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from gis_app.db.models import Alert, Requirement, Site

_ALERT = Alert.__table__
_COLUMNS = (
    Alert.id,
    Alert.requirement_id,
    Requirement.project_name,
    Alert.site_id,
    Site.code.label("site_code"),
    Site.name_zh.label("site_name_zh"),
    Site.name_en.label("site_name_en"),
    Alert.officer,
    Alert.reason,
    Alert.created_at,
    Alert.seen_at,
)


def _conditions(officer: str | None, unseen_only: bool) -> list[sa.ColumnElement[bool]]:
    where: list[sa.ColumnElement[bool]] = []
    if officer is not None:
        where.append(Alert.officer == officer)
    if unseen_only:
        where.append(Alert.seen_at.is_(None))
    return where


def count_alerts(conn: sa.Connection, officer: str | None, unseen_only: bool) -> int:
    """How many alerts there are for ``officer`` (every officer's when None)."""
    query = sa.select(sa.func.count()).select_from(_ALERT).where(*_conditions(officer, unseen_only))
    return int(conn.execute(query).scalar_one())


def alert_rows(
    conn: sa.Connection, officer: str | None, unseen_only: bool, limit: int, offset: int
) -> list[sa.RowMapping]:
    """One page of alerts with their requirement's project and the site, newest first."""
    query = (
        sa.select(*_COLUMNS)
        .join(Requirement, Requirement.id == Alert.requirement_id)
        .join(Site, Site.id == Alert.site_id)
        .where(*_conditions(officer, unseen_only))
        .order_by(Alert.created_at.desc(), Alert.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(conn.execute(query).mappings())


def alert_officer(conn: sa.Connection, alert_id: int) -> tuple[bool, str | None]:
    """Whether the alert exists, and its officer."""
    row = conn.execute(sa.select(Alert.officer).where(Alert.id == alert_id)).first()
    return (row is not None, row.officer if row is not None else None)


def mark_alert_seen(conn: sa.Connection, alert_id: int) -> None:
    """Set the alert's seen time (the first one stays)."""
    conn.execute(
        sa.update(_ALERT)
        .where(_ALERT.c.id == alert_id)
        .values(seen_at=sa.func.coalesce(_ALERT.c.seen_at, sa.func.now()))
    )


def as_json(row: Any) -> dict[str, Any]:
    """An alert row as JSON-ready values (ISO times)."""
    item = dict(row)
    item["created_at"] = row["created_at"].isoformat()
    item["seen_at"] = row["seen_at"].isoformat() if row["seen_at"] else None
    return item
