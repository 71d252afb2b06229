"""SQL of the project ledger: projects, the sites they took, milestones, monthly figures,
targets, and the sums of the indicator report. Repositories: nothing here commits.

A project's stage (its last milestone reached) and its late flags are computed here, in the
query that lists projects, so that a page of projects costs one statement.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from gis_app.db.models import Building, Site
from gis_app.db.project_models import (
    IndicatorTarget,
    Project,
    ProjectBuilding,
    ProjectMilestone,
    ProjectMonth,
    ProjectSite,
)
from gis_app.domain import projects, vocab

P = Project.__table__
PS = ProjectSite.__table__
PB = ProjectBuilding.__table__
PMS = ProjectMilestone.__table__
PM = ProjectMonth.__table__
T = IndicatorTarget.__table__
S = Site.__table__
B = Building.__table__

_MILESTONE_ORDER = sa.literal(list(vocab.MILESTONE.keys), sa.ARRAY(sa.Text))


def _stage() -> sa.ScalarSelect[Any]:
    """The project's last milestone reached (an actual date), in milestone order."""
    return (
        sa.select(PMS.c.kind)
        .where(PMS.c.project_id == P.c.id, PMS.c.actual_date.is_not(None))
        .order_by(sa.func.array_position(_MILESTONE_ORDER, PMS.c.kind).desc())
        .limit(1)
        .scalar_subquery()
    )


#: a date: a Python date, or an SQL expression (a bind of a statement built once)
Day = dt.date | sa.ColumnElement[Any]


def _is_late(today: Day) -> sa.ColumnElement[bool]:
    """A watched milestone (开工, 达效) that is late: its planned date passed without an actual
    date, or it was reached after the planned date."""
    return sa.and_(
        PMS.c.kind.in_(projects.WATCHED_MILESTONES),
        PMS.c.planned_date.is_not(None),
        sa.or_(
            sa.and_(PMS.c.actual_date.is_(None), PMS.c.planned_date < today),
            PMS.c.actual_date > PMS.c.planned_date,
        ),
    )


def _late(today: Day) -> sa.ScalarSelect[Any]:
    """The project's late watched milestones (see :func:`_is_late`)."""
    return (
        sa.select(sa.func.coalesce(sa.func.array_agg(PMS.c.kind), sa.text("'{}'::text[]")))
        .where(PMS.c.project_id == P.c.id, _is_late(today))
        .scalar_subquery()
    )


def _days_late(today: dt.date) -> sa.ScalarSelect[Any]:
    """How many days the project's latest watched milestone is (or was) behind its plan."""
    behind = sa.func.coalesce(PMS.c.actual_date, today) - PMS.c.planned_date
    return (
        sa.select(sa.func.max(behind))
        .where(PMS.c.project_id == P.c.id, _is_late(today))
        .scalar_subquery()
    )


def _site_codes() -> sa.ScalarSelect[Any]:
    return (
        sa.select(sa.func.coalesce(sa.func.array_agg(S.c.code), sa.text("'{}'::text[]")))
        .select_from(PS.join(S, S.c.id == PS.c.site_id))
        .where(PS.c.project_id == P.c.id)
        .scalar_subquery()
    )


def project_columns(names: Sequence[str], today: dt.date) -> list[sa.ColumnElement[Any]]:
    """The columns ``names`` of ``project`` plus its stage, late flags and site codes."""
    return [
        *(P.c[n] for n in names),
        _stage().label("stage"),
        _late(today).label("late"),
        _site_codes().label("site_codes"),
    ]


def list_projects(
    conn: sa.Connection,
    names: Sequence[str],
    today: dt.date,
    *,
    officer: str | None = None,
    sector: str | None = None,
    platform: str | None = None,
    q: str | None = None,
    districts: Sequence[str] | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[int, list[dict[str, Any]]]:
    """Projects (newest first) with the columns ``names``, and how many match in all;
    ``districts``: of these districts only."""
    where = []
    if districts is not None:
        where.append(P.c.district_code.in_(list(districts)))
    if officer:
        where.append(P.c.officer == officer)
    if sector:
        where.append(P.c.sector == sector)
    if platform:
        where.append(P.c.platform == platform)
    if q:
        pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        where.append(sa.or_(P.c.name.ilike(pattern), P.c.code.ilike(pattern)))
    total = conn.execute(sa.select(sa.func.count()).select_from(P).where(*where)).scalar_one()
    rows = conn.execute(
        sa.select(*project_columns(names, today))
        .where(*where)
        .order_by(P.c.id.desc())
        .limit(limit)
        .offset(offset)
    ).mappings()
    return total, [dict(r) for r in rows]


def get_project(
    conn: sa.Connection, project_id: int, names: Sequence[str], today: dt.date
) -> dict[str, Any] | None:
    """One project with the columns ``names``, its stage and late flags; None if unknown."""
    row = (
        conn.execute(sa.select(*project_columns(names, today)).where(P.c.id == project_id))
        .mappings()
        .one_or_none()
    )
    return None if row is None else dict(row)


def projects_of_site(conn: sa.Connection, site_id: int, today: dt.date) -> list[dict[str, Any]]:
    """The projects that took a site, with their stage and late milestones."""
    taken = sa.exists().where(PS.c.project_id == P.c.id, PS.c.site_id == site_id)
    rows = conn.execute(
        sa.select(*project_columns(("id", "code", "name"), today)).where(taken).order_by(P.c.id)
    ).mappings()
    return [dict(r) for r in rows]


def projects_of_site_sql(site_alias: str) -> str:
    """SQL of a scalar subquery: the projects that took site ``<site_alias>.id`` as a JSON
    array of ``{id, code, name, stage, late}`` (``[]`` when none), late as of the bind
    ``:today`` — for statements written as text that show a site with its projects in one
    round trip (the rule is :func:`_stage`/:func:`_late`, as on the ledger)."""
    today = sa.literal_column("CAST(:today AS date)")
    site_id = sa.literal_column(f"{site_alias}.id")
    rows = (
        sa.select(P.c.id, P.c.code, P.c.name, _stage().label("stage"), _late(today).label("late"))
        .select_from(P.join(PS, PS.c.project_id == P.c.id))
        .where(PS.c.site_id == site_id)
        .order_by(P.c.id)
        .subquery("sp")
    )
    query = sa.select(
        sa.func.coalesce(sa.func.json_agg(sa.literal_column("sp")), sa.text("'[]'::json"))
    ).select_from(rows)
    return str(query.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))


def lock_project(conn: sa.Connection, project_id: int) -> dict[str, Any] | None:
    """Lock the project row ``FOR UPDATE``; its officer and version (None if unknown)."""
    row = (
        conn.execute(
            sa.select(P.c.id, P.c.officer, P.c.version, P.c.code, P.c.district_code)
            .where(P.c.id == project_id)
            .with_for_update()
        )
        .mappings()
        .one_or_none()
    )
    return None if row is None else dict(row)


def insert_project(conn: sa.Connection, values: dict[str, Any]) -> int:
    """Insert a project; its id."""
    return conn.execute(sa.insert(P).values(**values).returning(P.c.id)).scalar_one()


def update_project(conn: sa.Connection, project_id: int, values: dict[str, Any]) -> None:
    """Change some columns of a project (the version is bumped by the trigger)."""
    if values:
        conn.execute(sa.update(P).where(P.c.id == project_id).values(**values))


def project_ids_by_code(conn: sa.Connection, codes: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Projects by code: {code: {id, officer}} for the codes that exist."""
    rows = conn.execute(
        sa.select(P.c.code, P.c.id, P.c.officer).where(P.c.code.in_(sorted(set(codes))))
    ).mappings()
    return {r["code"]: {"id": r["id"], "officer": r["officer"]} for r in rows}


# --- milestones --------------------------------------------------------------------------------


def milestones(conn: sa.Connection, project_id: int) -> dict[str, dict[str, Any]]:
    """A project's milestones: {kind: {planned_date, actual_date}}."""
    rows = conn.execute(
        sa.select(PMS.c.kind, PMS.c.planned_date, PMS.c.actual_date).where(
            PMS.c.project_id == project_id
        )
    ).mappings()
    return {
        r["kind"]: {"planned_date": r["planned_date"], "actual_date": r["actual_date"]}
        for r in rows
    }


def set_milestone(
    conn: sa.Connection,
    project_id: int,
    kind: str,
    planned: dt.date | None,
    actual: dt.date | None,
) -> None:
    """Record a milestone's dates (both empty: the milestone is removed)."""
    if planned is None and actual is None:
        conn.execute(sa.delete(PMS).where(PMS.c.project_id == project_id, PMS.c.kind == kind))
        return
    stmt = sa.dialects.postgresql.insert(PMS).values(
        project_id=project_id, kind=kind, planned_date=planned, actual_date=actual
    )
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[PMS.c.project_id, PMS.c.kind],
            set_={"planned_date": planned, "actual_date": actual},
        )
    )


# --- sites and buildings -----------------------------------------------------------------------


def find_site(conn: sa.Connection, code: str) -> dict[str, Any] | None:
    """A site by code: id, code, names, availability, district, whether it is retired."""
    row = (
        conn.execute(
            sa.select(
                S.c.id,
                S.c.code,
                S.c.name_zh,
                S.c.availability,
                S.c.district_code,
                S.c.retired_at.is_not(None).label("retired"),
            ).where(S.c.code == code)
        )
        .mappings()
        .one_or_none()
    )
    return None if row is None else dict(row)


def take_site(conn: sa.Connection, project_id: int, site_id: int) -> None:
    """Link a site to the project and mark it ``signed`` (the site's history records it)."""
    conn.execute(
        sa.dialects.postgresql.insert(PS)
        .values(project_id=project_id, site_id=site_id)
        .on_conflict_do_nothing()
    )
    conn.execute(
        sa.update(S)
        .where(S.c.id == site_id, S.c.availability != "signed")
        .values(availability="signed")
    )


def project_district(conn: sa.Connection, project_id: int) -> str:
    """The district of project ``project_id``."""
    return conn.execute(sa.select(P.c.district_code).where(P.c.id == project_id)).scalar_one()


def find_building(conn: sa.Connection, building_id: int) -> dict[str, Any] | None:
    """A building's id and site (None if unknown)."""
    row = (
        conn.execute(sa.select(B.c.id, B.c.site_id).where(B.c.id == building_id))
        .mappings()
        .one_or_none()
    )
    return None if row is None else dict(row)


def take_building(conn: sa.Connection, project_id: int, building_id: int) -> None:
    """Link a building to the project."""
    conn.execute(
        sa.dialects.postgresql.insert(PB)
        .values(project_id=project_id, building_id=building_id)
        .on_conflict_do_nothing()
    )


def project_sites(conn: sa.Connection, project_id: int) -> list[dict[str, Any]]:
    """The sites a project took, with their buildings the project took."""
    rows = conn.execute(
        sa.select(
            S.c.id,
            S.c.code,
            S.c.name_zh,
            S.c.name_en,
            S.c.kind,
            S.c.availability,
            S.c.platform,
            sa.func.round(sa.cast(S.c.area_mu, sa.Numeric), 2).label("area_mu"),
        )
        .select_from(PS.join(S, S.c.id == PS.c.site_id))
        .where(PS.c.project_id == project_id)
        .order_by(S.c.code)
    ).mappings()
    return [dict(r) for r in rows]


def project_buildings(conn: sa.Connection, project_id: int) -> list[dict[str, Any]]:
    """The buildings a project took (id, site code, type, floor area)."""
    rows = conn.execute(
        sa.select(B.c.id, S.c.code.label("site_code"), B.c.building_type, B.c.gfa_m2)
        .select_from(PB.join(B, B.c.id == PB.c.building_id).join(S, S.c.id == B.c.site_id))
        .where(PB.c.project_id == project_id)
        .order_by(B.c.id)
    ).mappings()
    return [dict(r) for r in rows]


# --- monthly figures ---------------------------------------------------------------------------


def months(conn: sa.Connection, project_id: int) -> list[dict[str, Any]]:
    """A project's monthly figures, newest month first."""
    rows = conn.execute(
        sa.select(PM).where(PM.c.project_id == project_id).order_by(PM.c.month.desc())
    ).mappings()
    return [dict(r) for r in rows]


def existing_months(
    conn: sa.Connection, pairs: Iterable[tuple[int, dt.date]]
) -> set[tuple[int, dt.date]]:
    """Which of the (project id, month) pairs already have figures."""
    pairs = list(pairs)
    if not pairs:
        return set()
    rows = conn.execute(
        sa.select(PM.c.project_id, PM.c.month).where(
            sa.tuple_(PM.c.project_id, PM.c.month).in_(pairs)
        )
    )
    return {(r.project_id, r.month) for r in rows}


def put_month(
    conn: sa.Connection, project_id: int, month: dt.date, figures: dict[str, Any], user: str
) -> None:
    """Record (or replace) one month of a project's figures."""
    values = {**figures, "entered_by": user, "updated_at": sa.func.now()}
    stmt = sa.dialects.postgresql.insert(PM).values(project_id=project_id, month=month, **values)
    conn.execute(
        stmt.on_conflict_do_update(index_elements=[PM.c.project_id, PM.c.month], set_=values)
    )


def insert_months(conn: sa.Connection, rows: list[dict[str, Any]]) -> None:
    """Insert many months at once (the import; a duplicate key fails the whole statement)."""
    if rows:
        conn.execute(sa.insert(PM), rows)


# --- targets -----------------------------------------------------------------------------------


def targets(conn: sa.Connection, year: int, districts: Sequence[str]) -> list[dict[str, Any]]:
    """Every target of ``year`` set for one of ``districts``."""
    rows = conn.execute(
        sa.select(T.c.district_code, T.c.scope, T.c.scope_key, T.c.indicator, T.c.value).where(
            T.c.year == year, T.c.district_code.in_(list(districts))
        )
    ).mappings()
    return [dict(r) for r in rows]


def put_target(
    conn: sa.Connection,
    district: str,
    year: int,
    scope: str,
    scope_key: str,
    indicator: str,
    value: float,
) -> None:
    """Set one annual target of ``district`` (replacing the one there was)."""
    stmt = sa.dialects.postgresql.insert(T).values(
        district_code=district,
        year=year,
        scope=scope,
        scope_key=scope_key,
        indicator=indicator,
        value=value,
    )
    conn.execute(
        stmt.on_conflict_do_update(
            constraint="uq_indicator_target_district_year_scope_indicator",
            set_={"value": value},
        )
    )


# --- the indicator report ----------------------------------------------------------------------


def period_by_project(
    conn: sa.Connection, start: dt.date, end: dt.date, districts: Sequence[str]
) -> list[dict[str, Any]]:
    """Per project of ``districts`` with figures or a 注册 in [``start``, ``end``] (months,
    inclusive): the sums of each figure, whether it registered in the period, and what the
    report groups by."""
    sums = (
        sa.select(
            PM.c.project_id,
            *(sa.func.sum(PM.c[c]).label(c) for c in projects.FIGURES),
        )
        .where(PM.c.month.between(start, end))
        .group_by(PM.c.project_id)
        .subquery()
    )
    last_day = (end.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    registered = (
        sa.select(PMS.c.project_id)
        .where(PMS.c.kind == "registered", PMS.c.actual_date.between(start, last_day))
        .subquery()
    )
    rows = conn.execute(
        sa.select(
            P.c.id,
            P.c.code,
            P.c.name,
            P.c.sector,
            P.c.platform,
            P.c.officer,
            P.c.district_code,
            P.c.planned_fixed_asset_wan,
            *(sums.c[c] for c in projects.FIGURES),
            registered.c.project_id.is_not(None).label("registered"),
        )
        .select_from(
            P.outerjoin(sums, sums.c.project_id == P.c.id).outerjoin(
                registered, registered.c.project_id == P.c.id
            )
        )
        .where(
            sa.or_(sums.c.project_id.is_not(None), registered.c.project_id.is_not(None)),
            P.c.district_code.in_(list(districts)),
        )
        .order_by(P.c.code)
    ).mappings()
    return [dict(r) for r in rows]


def monthly_by_unit(
    conn: sa.Connection, start: dt.date, end: dt.date, districts: Sequence[str]
) -> list[dict[str, Any]]:
    """Per month of [``start``, ``end``], district, officer and platform (projects of
    ``districts``): the sums of each figure and the number of projects registered (注册) that
    month — what targets are measured against."""
    mine = P.c.district_code.in_(list(districts))
    figures = (
        sa.select(
            PM.c.month,
            P.c.district_code,
            P.c.officer,
            P.c.platform,
            *(sa.func.sum(PM.c[c]).label(c) for c in projects.FIGURES),
            sa.literal(0).label("registered"),
        )
        .select_from(PM.join(P, P.c.id == PM.c.project_id))
        .where(PM.c.month.between(start, end), mine)
        .group_by(PM.c.month, P.c.district_code, P.c.officer, P.c.platform)
    )
    month = sa.cast(sa.func.date_trunc("month", PMS.c.actual_date), sa.Date)
    registered = (
        sa.select(
            month.label("month"),
            P.c.district_code,
            P.c.officer,
            P.c.platform,
            *(sa.null().label(c) for c in projects.FIGURES),
            sa.func.count().label("registered"),
        )
        .select_from(PMS.join(P, P.c.id == PMS.c.project_id))
        .where(PMS.c.kind == "registered", month.between(start, end), mine)
        .group_by(month, P.c.district_code, P.c.officer, P.c.platform)
    )
    rows = conn.execute(sa.union_all(figures, registered)).mappings()
    return [dict(r) for r in rows]


def stuck_sites(
    conn: sa.Connection, today: dt.date, site_where: str, params: dict[str, Any], limit: int
) -> list[dict[str, Any]]:
    """Sites taken by a project whose 开工 or 达效 is late, the most days behind first, with
    the project, its stage and what is late; ``site_where`` is a condition on alias ``s``."""
    s = S.alias("s")
    late = _late(today)
    query = (
        sa.select(
            s.c.id,
            s.c.code,
            s.c.name_zh,
            s.c.block,
            s.c.township,
            s.c.area_mu,
            P.c.id.label("project_id"),
            P.c.code.label("project_code"),
            P.c.name.label("project_name"),
            P.c.officer,
            _stage().label("stage"),
            late.label("late"),
            _days_late(today).label("days_late"),
            sa.func.count().over().label("total"),
        )
        .select_from(PS.join(P, P.c.id == PS.c.project_id).join(s, s.c.id == PS.c.site_id))
        .where(sa.text(site_where).bindparams(**params), sa.func.cardinality(late) > 0)
        .order_by(sa.desc("days_late"), s.c.code)
        .limit(limit)
    )
    return [dict(r) for r in conn.execute(query).mappings()]
