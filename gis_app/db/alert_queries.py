"""Alerts: reading an officer's alerts and marking one seen, and the alerts investors' answers
raise (SQLAlchemy Core on the models)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from gis_app.db.models import (
    Alert,
    Feedback,
    Recommendation,
    RecommendationSite,
    Requirement,
    SavedSearch,
    ShareLink,
    Site,
)

#: what an alert is about: a requirement (matches and investors' answers) or a saved search
ALERT_SOURCES = ("all", "requirement", "saved_search")

_ALERT = Alert.__table__
_COLUMNS = (
    Alert.id,
    Alert.requirement_id,
    Requirement.project_name,
    Alert.saved_search_id,
    SavedSearch.name.label("saved_search_name"),
    SavedSearch.query.label("saved_search_query"),
    Alert.site_id,
    Site.code.label("site_code"),
    Site.name_zh.label("site_name_zh"),
    Site.name_en.label("site_name_en"),
    Alert.officer,
    Alert.reason,
    Alert.created_at,
    Alert.seen_at,
)


def _conditions(
    officer: str | None, unseen_only: bool, source: str = "all"
) -> list[sa.ColumnElement[bool]]:
    where: list[sa.ColumnElement[bool]] = []
    if officer is not None:
        where.append(Alert.officer == officer)
    if unseen_only:
        where.append(Alert.seen_at.is_(None))
    if source == "requirement":
        where.append(Alert.requirement_id.isnot(None))
    elif source == "saved_search":
        where.append(Alert.saved_search_id.isnot(None))
    return where


def count_alerts(
    conn: sa.Connection, officer: str | None, unseen_only: bool, source: str = "all"
) -> int:
    """How many alerts there are for ``officer`` (every officer's when None)."""
    query = (
        sa.select(sa.func.count())
        .select_from(_ALERT)
        .where(*_conditions(officer, unseen_only, source))
    )
    return int(conn.execute(query).scalar_one())


def alert_rows(
    conn: sa.Connection,
    officer: str | None,
    unseen_only: bool,
    limit: int,
    offset: int,
    source: str = "all",
) -> list[sa.RowMapping]:
    """One page of alerts with their requirement's project or their saved search, and the
    site, newest first."""
    query = (
        sa.select(*_COLUMNS)
        .select_from(_ALERT)
        .outerjoin(Requirement, Requirement.id == Alert.requirement_id)
        .outerjoin(SavedSearch, SavedSearch.id == Alert.saved_search_id)
        .join(Site, Site.id == Alert.site_id)
        .where(*_conditions(officer, unseen_only, source))
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


# --- investor answers ------------------------------------------------------------------------
# An investor's answer on a link becomes an alert for the requirement's officer, beside the
# alerts the matching triggers write; it names the answer (``feedback_id``). The alert table
# names a site; an answer without one (a general question) names the recommendation's first
# site.


def add_answer_alert(conn: sa.Connection, feedback_id: int, reason: str) -> int | None:
    """Record an alert for the answer ``feedback_id`` to the officer of the requirement its
    recommendation was made for; None when the recommendation has no requirement."""
    first_site = (
        sa.select(RecommendationSite.site_id)
        .where(RecommendationSite.recommendation_id == Recommendation.id)
        .order_by(RecommendationSite.rank, RecommendationSite.site_id)
        .limit(1)
        .scalar_subquery()
    )
    source = (
        sa.select(
            Requirement.id,
            sa.func.coalesce(Feedback.site_id, first_site),
            sa.func.coalesce(Requirement.officer, Requirement.created_by),
            sa.literal(reason),
            Feedback.id,
        )
        .select_from(Feedback)
        .join(ShareLink, ShareLink.id == Feedback.share_link_id)
        .join(Recommendation, Recommendation.id == ShareLink.recommendation_id)
        .join(Requirement, Requirement.id == Recommendation.requirement_id)
        .where(
            Feedback.id == feedback_id, sa.func.coalesce(Feedback.site_id, first_site).isnot(None)
        )
    )
    return conn.execute(
        sa.insert(_ALERT)
        .from_select(["requirement_id", "site_id", "officer", "reason", "feedback_id"], source)
        .returning(_ALERT.c.id)
    ).scalar()


def _is_answer() -> sa.ColumnElement[bool]:
    return Alert.feedback_id.isnot(None)


def unseen_answer_counts(conn: sa.Connection, requirement_ids: list[int]) -> dict[int, int]:
    """Unseen answer alerts per requirement (of whichever officer they are for)."""
    if not requirement_ids:
        return {}
    rows = conn.execute(
        sa.select(Alert.requirement_id, sa.func.count())
        .where(Alert.requirement_id.in_(requirement_ids), Alert.seen_at.is_(None), _is_answer())
        .group_by(Alert.requirement_id)
    )
    return {int(r[0]): int(r[1]) for r in rows}


def oldest_unseen_answer(conn: sa.Connection, requirement_id: int) -> Any:
    """When the oldest unseen answer alert of a requirement was written (None: none unseen)."""
    return conn.execute(
        sa.select(sa.func.min(Alert.created_at)).where(
            Alert.requirement_id == requirement_id, Alert.seen_at.is_(None), _is_answer()
        )
    ).scalar()


def mark_answers_seen(conn: sa.Connection, requirement_id: int, officer: str | None) -> int:
    """Mark the unseen answer alerts of a requirement seen (only ``officer``'s unless None);
    return how many."""
    query = sa.update(_ALERT).where(
        _ALERT.c.requirement_id == requirement_id,
        _ALERT.c.seen_at.is_(None),
        _ALERT.c.feedback_id.isnot(None),
    )
    if officer is not None:
        query = query.where(_ALERT.c.officer == officer)
    return conn.execute(query.values(seen_at=sa.func.now())).rowcount
