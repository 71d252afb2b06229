"""Dashboard figures as JSON, CSV or XLSX (``?format=``); the dashboard page draws from these."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import JSONResponse

from api.auth import allow
from api.deps import DbRoute, ReadConnDep
from api.schemas import IsoDate
from gis_app.db.stats_queries import Scope
from gis_app.services import stats
from gis_app.services.stats import StatTable

router = APIRouter(prefix="/api/stats", tags=["stats"], route_class=DbRoute)
READ = allow("officer", "planner", "admin")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_List = Annotated[list[str], Query()]
_RESPONSES = {
    200: {
        "content": {
            "application/json": {},
            "text/csv": {},
            XLSX: {},
        },
        "description": "the figure as JSON (default), CSV (UTF-8) or XLSX",
    }
}


async def site_scope(
    kind: _List = [],  # noqa: B006 - FastAPI copies defaults
    block: _List = [],  # noqa: B006
    township: _List = [],  # noqa: B006
    district_code: _List = [],  # noqa: B006
) -> Scope:
    """Parse ``kind``, ``block``, ``township`` and ``district_code`` (repeatable; the site
    search's parameters) into the sites a figure covers."""
    return stats.make_scope(kind, block, township, district_code)


ScopeDep = Annotated[Scope, Depends(site_scope)]


def _respond(table: StatTable, fmt: str) -> Response:
    stats.check_format(fmt)
    if fmt == "json":
        return JSONResponse(table.as_dict())
    if fmt == "csv":
        body, media = stats.to_csv(table), "text/csv; charset=utf-8"
    else:
        body, media = stats.to_xlsx(table), XLSX
    name = table.filename(fmt)
    return Response(
        body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@router.get("/available", response_class=Response, responses=_RESPONSES, dependencies=[READ])
def available(
    conn: ReadConnDep,
    scope: ScopeDep,
    by: str = "block",
    land_use_level: int = 2,
    format: str = "json",
) -> Response:
    """Available land (亩) and vacant floor area (m²) by block, township, kind or land use.

    ``by=land_use`` groups by the 2023 planned-use class cut to ``land_use_level`` (1–3).
    """
    return _respond(stats.available(conn, by, scope, land_use_level), format)


@router.get("/pipeline", response_class=Response, responses=_RESPONSES, dependencies=[READ])
def pipeline(
    conn: ReadConnDep, scope: ScopeDep, by: str = "supply_stage", format: str = "json"
) -> Response:
    """Sites and 亩 per supply stage, policy-handling, regulatory-plan or land-quota status."""
    return _respond(stats.pipeline(conn, by, scope), format)


@router.get("/blockers", response_class=Response, responses=_RESPONSES, dependencies=[READ])
def blockers(conn: ReadConnDep, scope: ScopeDep, format: str = "json") -> Response:
    """Per block, what holds up the sites not yet signed (policy, plan, quota, clearing, zones)."""
    return _respond(stats.blockers(conn, scope), format)


@router.get("/stuck-projects", response_class=Response, responses=_RESPONSES, dependencies=[READ])
def stuck_projects(
    conn: ReadConnDep,
    scope: ScopeDep,
    limit: Annotated[int, Query(ge=1, le=stats.MAX_ROWS)] = 500,
    format: str = "json",
) -> Response:
    """Sites taken by projects that are behind (开工 or 达效 late): the project, its stage,
    what is late and by how many days, the most behind first."""
    return _respond(stats.stuck_projects(conn, scope, limit=limit), format)


@router.get("/readiness", response_class=Response, responses=_RESPONSES, dependencies=[READ])
def readiness(
    conn: ReadConnDep,
    scope: ScopeDep,
    by: str = "block",
    soon_steps: int = 2,
    format: str = "json",
) -> Response:
    """Which blocks (or sites) not yet on offer could be supplied soonest, and what they await."""
    return _respond(stats.readiness(conn, by, scope, soon_steps), format)


@router.get("/stale", response_class=Response, responses=_RESPONSES, dependencies=[READ])
def stale(
    conn: ReadConnDep,
    scope: ScopeDep,
    days: int = stats.DEFAULT_STALE_DAYS,
    by: str = "block",
    as_of: IsoDate | None = None,
    limit: int = 500,
    format: str = "json",
) -> Response:
    """Records not verified for more than ``days`` days (or never), per block or per site."""
    return _respond(stats.stale(conn, days, by, scope, as_of, limit), format)


@router.get("/funnel", response_class=Response, responses=_RESPONSES, dependencies=[READ])
def funnel(
    conn: ReadConnDep,
    officer: _List = [],  # noqa: B006
    block: _List = [],  # noqa: B006
    district_code: _List = [],  # noqa: B006
    by: str = "none",
    format: str = "json",
) -> Response:
    """Requirement funnel new → recommended → visiting → negotiating → signed → landed (+dropped).

    Per stage: requirements now in it, reached it, dropped from it, and days spent in it (from
    the history of status changes). Narrow by ``officer``, ``block`` and ``district_code`` (the
    requirement's district; repeatable); group with ``by=officer`` or ``by=block``.
    """
    return _respond(stats.funnel(conn, by, officer, block, districts=district_code), format)


@router.get("/districts", response_class=Response, responses=_RESPONSES, dependencies=[READ])
def districts(conn: ReadConnDep, scope: ScopeDep, format: str = "json") -> Response:
    """The districts side by side (city view): per district, available land (亩), vacant floor
    area (m²), blocked sites and 亩 per blocker, and requirements per status."""
    return _respond(stats.districts(conn, scope), format)
