"""SQL of promotion activities and their monthly minimum. Repositories: nothing here commits."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert

from gis_app.db.district_queries import user_district
from gis_app.db.project_models import ActivityMinimum, Project, PromotionActivity

ACT = PromotionActivity.__table__
MIN = ActivityMinimum.__table__
PROJECT = Project.__table__


def insert_activity(conn: sa.Connection, values: dict[str, Any]) -> int:
    """Record one activity (in its project's district, else its officer's); its id."""
    project = sa.select(PROJECT.c.district_code).where(PROJECT.c.id == values.get("project_id"))
    district = sa.func.coalesce(project.scalar_subquery(), user_district(values["officer"]))
    stmt = sa.insert(ACT).values(**values, district_code=district).returning(ACT.c.id)
    return conn.execute(stmt).scalar_one()


def has_activities(conn: sa.Connection, officer: str) -> bool:
    """Whether ``officer`` has logged any activity."""
    return bool(conn.execute(sa.select(sa.exists().where(ACT.c.officer == officer))).scalar())


def activity(conn: sa.Connection, activity_id: int) -> dict[str, Any] | None:
    """One activity, or None."""
    row = conn.execute(sa.select(ACT).where(ACT.c.id == activity_id)).mappings().first()
    return dict(row) if row else None


def delete_activity(conn: sa.Connection, activity_id: int) -> None:
    """Remove one activity."""
    conn.execute(sa.delete(ACT).where(ACT.c.id == activity_id))


def list_activities(
    conn: sa.Connection,
    start: dt.date,
    end: dt.date,
    *,
    officer: str | None = None,
    kind: str | None = None,
    limit: int = 200,
) -> list[dict[str, Any]]:
    """Activities held from ``start`` to ``end`` (inclusive), newest first, with the code of
    the project each is about."""
    query = (
        sa.select(*ACT.c, PROJECT.c.code.label("project_code"))
        .select_from(ACT.outerjoin(PROJECT, PROJECT.c.id == ACT.c.project_id))
        .where(ACT.c.held_on.between(start, end))
        .order_by(ACT.c.held_on.desc(), ACT.c.id.desc())
        .limit(limit)
    )
    if officer:
        query = query.where(ACT.c.officer == officer)
    if kind:
        query = query.where(ACT.c.kind == kind)
    return [dict(r) for r in conn.execute(query).mappings()]


def monthly_counts(
    conn: sa.Connection, start: dt.date, end: dt.date, districts: list[str]
) -> list[dict[str, Any]]:
    """Per officer, month and kind: how many activities of ``districts`` were held from
    ``start`` to ``end``."""
    month = sa.func.date_trunc("month", ACT.c.held_on).cast(sa.Date).label("month")
    query = (
        sa.select(ACT.c.officer, month, ACT.c.kind, sa.func.count().label("n"))
        .where(ACT.c.held_on.between(start, end), ACT.c.district_code.in_(districts))
        .group_by(ACT.c.officer, month, ACT.c.kind)
    )
    return [dict(r) for r in conn.execute(query).mappings()]


def minimums(conn: sa.Connection, year: int, districts: list[str]) -> list[dict[str, Any]]:
    """The year's monthly minimums of ``districts`` (officer '' applies to every officer of
    the district)."""
    query = sa.select(MIN.c.district_code, MIN.c.kind, MIN.c.officer, MIN.c.per_month).where(
        MIN.c.year == year, MIN.c.district_code.in_(districts)
    )
    return [dict(r) for r in conn.execute(query).mappings()]


def put_minimum(
    conn: sa.Connection,
    year: int,
    kind: str,
    officer: str,
    per_month: int,
    user: str,
    district: str | None = None,
) -> None:
    """Set one monthly minimum (replacing the one there was): an officer's in their district,
    every officer's ('') in ``district`` (default: ``user``'s)."""
    where = district if district and not officer else user_district(officer or user)
    stmt = insert(MIN).values(
        district_code=where,
        year=year,
        kind=kind,
        officer=officer,
        per_month=per_month,
        updated_by=user,
    )
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[MIN.c.district_code, MIN.c.year, MIN.c.kind, MIN.c.officer],
            set_={"per_month": per_month, "updated_by": user, "updated_at": sa.func.now()},
        )
    )


def project_id(conn: sa.Connection, code: str) -> int | None:
    """The id of the project with ``code``, or None."""
    return conn.execute(sa.select(PROJECT.c.id).where(PROJECT.c.code == code)).scalar()


def officers(conn: sa.Connection, districts: list[str] | None = None) -> dict[str, str]:
    """The active accounts holding the officer role (of ``districts``, else all): their
    district by user name."""
    rows = conn.execute(
        sa.text(
            "SELECT username, district_code FROM app_user"
            " WHERE 'officer' = ANY(roles) AND NOT disabled"
            " AND (CAST(:d AS text[]) IS NULL OR district_code = ANY(CAST(:d AS text[])))"
            " ORDER BY username"
        ),
        {"d": districts},
    )
    return {r.username: r.district_code for r in rows}
