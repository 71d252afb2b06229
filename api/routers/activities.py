"""Promotion activities over JSON: officers log their trips out, delegations received and
promotion events; leaders set the monthly minimum (责任状); officers and leaders read the
list and each officer's progress against the minimum."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from fastapi import Path as PathParam
from pydantic import Field, create_model

from api.auth import CurrentUser, allow
from api.deps import ConnDep, DbRoute
from api.project_deps import DistrictQuery, today, viewer_of
from api.schemas import IsoDate, StrictModel
from gis_app.domain import activities, vocab
from gis_app.services import activities as activity_service
from gis_app.services import project_report as report_service

router = APIRouter(tags=["activities"], route_class=DbRoute)
READ = allow("officer", "leader")
WRITE = allow("officer")
MINIMUMS = allow("leader")
Kind = Literal[(*vocab.ACTIVITY_KIND.keys, *(t.zh for t in vocab.ACTIVITY_KIND))]  # type: ignore[valid-type]
YearQuery = Annotated[int | None, Query(ge=2000, le=2100, description="default: this year")]


def _field(name: str) -> tuple[Any, Any]:
    f = activities.ACTIVITY[name]
    desc = f"{f.zh} / {f.en}"
    if f.vocabulary is not None:
        ann: Any = Kind
    elif f.type == "date":
        ann = IsoDate
    else:
        ann = Annotated[str, Field(min_length=1 if f.required else 0, max_length=f.length)]
    if f.required:
        return ann, Field(description=desc)
    return ann | None, Field(default=None, description=desc)


#: an activity to log: the registry's writable fields (officer: default the caller)
ActivityCreate = create_model(
    "ActivityCreate",
    __base__=StrictModel,
    **{name: _field(name) for name in activities.WRITABLE},
)


class MinimumValue(StrictModel):
    """How many activities of a kind each month at least; for one officer or everyone."""

    per_month: int = Field(ge=0, le=1000, strict=True)
    officer: str = Field(default="", max_length=100, description="user name; empty: everyone")


@router.get("/api/activities", dependencies=[READ])
def list_activities(
    conn: ConnDep,
    year: YearQuery = None,
    officer: Annotated[str | None, Query(max_length=100)] = None,
    kind: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[dict[str, Any]]:
    """The year's activities, newest first."""
    return activity_service.list_activities(
        conn, year or today().year, officer=officer, kind=kind, limit=limit
    )


@router.post("/api/activities", status_code=201, dependencies=[WRITE])
def log_activity(body: ActivityCreate, conn: ConnDep, user: CurrentUser) -> dict[str, Any]:  # type: ignore[valid-type]
    """Log one activity (an officer logs their own; admins anyone's); not in the future."""
    data = body.model_dump(exclude_none=True)  # type: ignore[attr-defined]
    return activity_service.log_activity(conn, data, viewer_of(user), today())


@router.delete("/api/activities/{activity_id}", status_code=204, dependencies=[WRITE])
def delete_activity(
    activity_id: Annotated[int, PathParam(ge=1, le=2**63 - 1)], conn: ConnDep, user: CurrentUser
) -> Response:
    """Remove an activity logged by mistake (its officer, who logged it, or an admin)."""
    activity_service.delete_activity(conn, activity_id, viewer_of(user))
    return Response(status_code=204)


@router.get("/api/activity-progress", dependencies=[READ])
def activity_progress(
    conn: ConnDep, user: CurrentUser, year: YearQuery = None, district: DistrictQuery = None
) -> dict[str, Any]:
    """Each officer's activities month by month against the monthly minimum, for
    ``district`` and the districts below it (default: the caller's district)."""
    now = today()
    where = report_service.report_district(conn, district, user.username)
    return activity_service.progress(conn, year or now.year, now, where.key)


@router.put("/api/activity-minimums/{year}/{kind}", dependencies=[MINIMUMS])
def put_minimum(
    year: Annotated[int, PathParam(ge=2000, le=2100)],
    kind: Literal[vocab.ACTIVITY_KIND.keys],  # type: ignore[valid-type]
    body: MinimumValue,
    conn: ConnDep,
    user: CurrentUser,
    district: DistrictQuery = None,
) -> dict[str, Any]:
    """Set the monthly minimum of one kind of activity for a year (leaders, admins): for every
    officer of ``district`` (default: the caller's), or for one officer."""
    data = {"year": year, "kind": kind} | body.model_dump()
    where = report_service.report_district(conn, district, user.username)
    return activity_service.set_minimum(conn, data, viewer_of(user), where.key)
