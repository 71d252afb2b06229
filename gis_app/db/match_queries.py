"""Reverse matching reads: which open requirements a site meets, and how many sites each meets.

Both read what the reverse-match triggers keep (``gis_app_site_meets_requirement``, the
``requirement_match`` table); the forward match is built by :mod:`gis_app.matching.sql`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from gis_app.db.models import Requirement, RequirementMatch, Site

_REQUIREMENT = Requirement.__table__


def site_exists(conn: sa.Connection, site_id: int) -> bool:
    """Whether a site (current or retired) has this id."""
    return conn.execute(sa.select(Site.id).where(Site.id == site_id)).first() is not None


def requirements_met_by(
    conn: sa.Connection,
    site_id: int,
    statuses: Sequence[str],
    visible: sa.ColumnElement[bool],
) -> list[dict[str, Any]]:
    """Requirements in ``statuses`` and ``visible`` that the site meets now, newest first."""
    columns = _REQUIREMENT.c
    rows = conn.execute(
        sa.select(
            columns.id,
            columns.project_name,
            columns.need,
            columns.status,
            columns.officer,
            columns.industry,
            columns.confidential,
            columns.created_at,
        )
        .where(
            columns.status.in_(statuses),
            visible,
            sa.func.gis_app_site_meets_requirement(site_id, columns.id),
        )
        .order_by(columns.created_at.desc(), columns.id.desc())
    ).mappings()
    return [dict(r) for r in rows]


def match_counts(conn: sa.Connection, requirement_ids: Sequence[int]) -> dict[int, int]:
    """How many sites meet each requirement now (requirements meeting none are left out)."""
    if not requirement_ids:
        return {}
    rows = conn.execute(
        sa.select(RequirementMatch.requirement_id, sa.func.count())
        .where(RequirementMatch.requirement_id.in_(list(requirement_ids)))
        .group_by(RequirementMatch.requirement_id)
    ).all()
    return {int(r[0]): int(r[1]) for r in rows}
