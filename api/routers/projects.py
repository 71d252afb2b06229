"""The project ledger over JSON: projects, their milestones, the sites and buildings they took,
their monthly figures and the XLSX import of those figures.

Officers write their own projects (admins any); officers, leaders and admins read projects with
their financials; planners read projects' stages (no financials, no monthly figures).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Form, Header, Query, Response, UploadFile
from fastapi import Path as PathParam
from pydantic import Field, create_model

from api.auth import CurrentUser, allow
from api.deps import ConnDep, DbRoute, SettingsDep
from api.project_deps import DistrictQuery, read_upload, today, viewer_of
from api.schemas import IsoDate, StrictModel
from gis_app.domain import projects, vocab
from gis_app.io import report_export
from gis_app.services import project_report as report_service
from gis_app.services import projects as project_service
from gis_app.services import site_edits as edits

router = APIRouter(tags=["projects"], route_class=DbRoute)
#: projects and their stages: planners too (they get no financials)
READ = allow("officer", "planner", "leader")
#: financials (monthly figures, the report)
FINANCE = allow("officer", "leader")
WRITE = allow("officer")
IdPath = Annotated[int, PathParam(ge=1, le=2**63 - 1)]
MilestoneKind = Literal[vocab.MILESTONE.keys]  # type: ignore[valid-type]
MonthPath = Annotated[
    str, PathParam(pattern=r"^\d{4}-\d{2}$", description="the month, e.g. 2026-03")
]
IfMatch = Annotated[
    str | None,
    Header(description='ETag of the version you read, e.g. "3" (428 without it, 412 if stale)'),
]


def _annotation(f: Any) -> Any:
    if f.vocabulary is not None:
        # a key or its Chinese label (制造业), as people write them
        return Literal[(*f.vocabulary.keys, *(t.zh for t in f.vocabulary))]  # type: ignore[valid-type]
    # strict: JSON true/false is no number (ints stay valid floats)
    if f.type == "float":
        return Annotated[float, Field(ge=f.min or 0, le=1e12, strict=True)]
    if f.type == "int":
        return Annotated[int, Field(ge=int(f.min or 1), le=2**63 - 1, strict=True)]
    return Annotated[str, Field(min_length=1 if f.required else 0, max_length=500)]


def _body_fields(required: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in projects.WRITABLE:
        f = projects.PROJECT[name]
        ann = _annotation(f)
        desc = f"{f.zh} / {f.en}" + (f" ({f.unit})" if f.unit else "")
        # the name may come from the signed requirement (checked by the service)
        if required and f.required and name != "name":
            out[name] = (ann, Field(description=desc))
        else:
            out[name] = (ann | None, Field(default=None, description=desc))
    return out


class MilestoneDates(StrictModel):
    """A milestone's planned and actual dates (an actual date may not be in the future)."""

    planned_date: IsoDate | None = None
    actual_date: IsoDate | None = None


#: a new project: the registry's fields, its milestones and the sites it took
ProjectCreate = create_model(
    "ProjectCreate",
    __base__=StrictModel,
    milestones=(dict[MilestoneKind, MilestoneDates], Field(default_factory=dict)),
    site_codes=(list[Annotated[str, Field(min_length=1, max_length=100)]], Field(default=[])),
    **_body_fields(required=True),
)
#: a change to a project: any of its fields
ProjectPatch = create_model("ProjectPatch", __base__=StrictModel, **_body_fields(required=False))
#: one month of figures (amounts in 万元, foreign capital in 万美元; none negative)
MonthFigures = create_model(
    "MonthFigures",
    __base__=StrictModel,
    **{
        name: (
            Annotated[float, Field(ge=0, le=1e12, strict=True)] | None,
            Field(default=None, description=projects.MONTH[name].term.zh),
        )
        for name in projects.FIGURES
    },
)


class SiteTaken(StrictModel):
    """A site the project took, by code."""

    site_code: str = Field(min_length=1, max_length=100)


class BuildingTaken(StrictModel):
    """A building the project took, by id."""

    building_id: int = Field(ge=1, le=2**63 - 1, strict=True)


@router.get("/api/projects", dependencies=[READ])
def list_projects(
    conn: ConnDep,
    user: CurrentUser,
    response: Response,
    officer: Annotated[str | None, Query(max_length=64)] = None,
    sector: Literal[vocab.SECTOR.keys] | None = None,  # type: ignore[valid-type]
    platform: Annotated[str | None, Query(max_length=200)] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    district: DistrictQuery = None,
    limit: Annotated[int, Query(ge=1, le=project_service.MAX_PAGE)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[dict[str, Any]]:
    """List projects newest first, with stage and late milestones (planners: no financials);
    the total is in ``X-Total-Count``. ``district``: of that district (a city: its districts')
    only; default every district the caller reads."""
    where = report_service.report_district(conn, district, user.username) if district else None
    total, items = project_service.list_projects(
        conn,
        viewer_of(user),
        today(),
        officer=officer,
        sector=sector,
        platform=platform,
        q_text=q,
        district=where.key if where else None,
        limit=limit,
        offset=offset,
    )
    response.headers["X-Total-Count"] = str(total)
    return items


@router.post("/api/projects", status_code=201, dependencies=[WRITE])
def create_project(body: ProjectCreate, conn: ConnDep, user: CurrentUser) -> dict[str, Any]:  # type: ignore[valid-type]
    """Record a project (from a signed requirement with ``requirement_id``, or directly); the
    sites in ``site_codes`` become ``signed``."""
    data = body.model_dump(exclude_unset=True, mode="json")  # type: ignore[attr-defined]
    return project_service.create_project(conn, data, viewer_of(user), today())


@router.get("/api/projects/{project_id}", dependencies=[READ])
def get_project(
    project_id: IdPath, conn: ConnDep, user: CurrentUser, response: Response
) -> dict[str, Any]:
    """One project: fields, stage, milestones, sites, buildings (and monthly figures for
    officers and leaders); its ``ETag`` is the version to send back as ``If-Match``."""
    record = project_service.get_project(conn, project_id, viewer_of(user), today())
    response.headers["ETag"] = edits.etag(record.get("version") or 0)
    return record


@router.patch("/api/projects/{project_id}", dependencies=[WRITE])
def update_project(
    project_id: IdPath,
    body: ProjectPatch,  # type: ignore[valid-type]
    conn: ConnDep,
    user: CurrentUser,
    response: Response,
    if_match: IfMatch = None,
) -> dict[str, Any]:
    """Change some fields of your project (``If-Match``: 428 without it, 412 when stale)."""
    record = project_service.update_project(
        conn,
        project_id,
        body.model_dump(exclude_unset=True),  # type: ignore[attr-defined]
        viewer_of(user),
        edits.parse_if_match(if_match),
        today(),
    )
    response.headers["ETag"] = edits.etag(record["version"])
    return record


@router.put("/api/projects/{project_id}/milestones/{kind}", dependencies=[WRITE])
def put_milestone(
    project_id: IdPath,
    kind: MilestoneKind,
    body: MilestoneDates,
    conn: ConnDep,
    user: CurrentUser,
) -> dict[str, Any]:
    """Record a milestone's planned and actual dates (both empty: remove it)."""
    return project_service.set_milestone(
        conn, project_id, kind, body.model_dump(mode="json"), viewer_of(user), today()
    )


@router.post("/api/projects/{project_id}/sites", dependencies=[WRITE])
def take_site(
    project_id: IdPath, body: SiteTaken, conn: ConnDep, user: CurrentUser
) -> dict[str, Any]:
    """Record a site the project took; the site becomes ``signed`` (with history)."""
    return project_service.take_site(conn, project_id, body.site_code, viewer_of(user), today())


@router.post("/api/projects/{project_id}/buildings", dependencies=[WRITE])
def take_building(
    project_id: IdPath, body: BuildingTaken, conn: ConnDep, user: CurrentUser
) -> dict[str, Any]:
    """Record a building the project took (its site becomes ``signed`` too)."""
    return project_service.take_building(
        conn, project_id, body.building_id, viewer_of(user), today()
    )


@router.put("/api/projects/{project_id}/months/{month}", dependencies=[WRITE])
def put_month(
    project_id: IdPath,
    month: MonthPath,
    body: Annotated[MonthFigures, Body()],  # type: ignore[valid-type]
    conn: ConnDep,
    user: CurrentUser,
) -> dict[str, Any]:
    """Record or correct one month of your project's figures (not a future month)."""
    return project_service.put_month(
        conn,
        project_id,
        month,
        body.model_dump(exclude_none=True),  # type: ignore[attr-defined]
        viewer_of(user),
        today(),
    )


class MonthImport(StrictModel):
    """An XLSX sheet of monthly figures (multipart form)."""

    file: UploadFile
    csrf_token: str | None = None  # read by the access policy for browser sessions


@router.post(
    "/api/project-months/import",
    responses={
        422: {
            "description": "nothing was imported: the message names every bad row",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
        }
    },
    dependencies=[WRITE],
)
def import_months(
    conn: ConnDep,
    settings: SettingsDep,
    user: CurrentUser,
    form: Annotated[MonthImport, Form(media_type="multipart/form-data")],
) -> dict[str, Any]:
    """Import monthly figures from the office's XLSX sheet (Chinese headers), all or nothing:
    one bad row (unknown project, negative figure, future month, a month twice) and nothing is
    written."""
    data, name = read_upload(form.file, settings.security.max_upload_bytes)
    return project_service.import_months(conn, data, name, viewer_of(user), today())


# --- the indicator report ----------------------------------------------------------------------

_MEDIA = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
_BINARY = {"type": "string", "format": "binary"}
MonthQuery = Annotated[
    str | None, Query(pattern=r"^\d{4}-\d{2}$", description="a month, e.g. 2026-01")
]


def report_title(report: dict[str, Any]) -> str:
    """The heading of the report's documents."""
    return f"{report['district']['zh']}招商引资主要指标完成情况（{report['period']['zh']}）"


@router.get(
    "/api/reports/indicators",
    responses={
        200: {
            "description": "the report as JSON, or as an XLSX or DOCX attachment (`format`)",
            "content": {m: {"schema": _BINARY} for m in _MEDIA.values()},
        }
    },
    dependencies=[FINANCE],
)
def indicator_report(
    conn: ConnDep,
    user: CurrentUser,
    start: MonthQuery = None,
    end: MonthQuery = None,
    district: DistrictQuery = None,
    format: Literal["json", "xlsx", "docx"] = "json",
) -> Any:
    """The indicators of the office's report for the months ``start``–``end`` (one year;
    default: this year so far): actual vs annual target, completion %, year-on-year, projects
    of 1亿元 or more and their share, by sector and platform — each with the projects it sums.
    ``district``: whose report (a city's sums its districts'); default the caller's."""
    s, e = report_service.parse_period(start, end, today())
    where = report_service.report_district(conn, district, user.username)
    report = report_service.indicator_report(conn, s, e, where)
    if format == "json":
        return report
    name = f"indicators_{report['period']['start']}_{report['period']['end']}.{format}"
    data = (
        report_export.report_xlsx(report)
        if format == "xlsx"
        else report_export.report_docx(report, report_title(report))
    )
    return Response(
        data,
        media_type=_MEDIA[format],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# --- targets (责任状) ----------------------------------------------------------------------------

#: who sets targets: leaders (and admins)
TARGETS = allow("leader")
YearPath = Annotated[int, PathParam(ge=2000, le=2100)]


class TargetValue(StrictModel):
    """An annual target: its value, and for a platform or an officer which one."""

    value: float = Field(ge=0, le=1e12, strict=True)
    scope_key: str = Field(default="", max_length=200, description="platform name or user name")


@router.get("/api/targets", dependencies=[FINANCE])
def list_targets(
    conn: ConnDep,
    user: CurrentUser,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    through: MonthQuery = None,
    district: DistrictQuery = None,
) -> list[dict[str, Any]]:
    """The year's targets (district, platforms, officers) of ``district`` and the districts
    below it (default: the caller's) with the month-by-month cumulative actual until
    ``through`` (default: this month) and the completion % so far."""
    where = report_service.report_district(conn, district, user.username)
    now = today()
    y = year or now.year
    end = report_service.parse_period(f"{y}-01", through, now)[1] if through else None
    last = end or (now.replace(day=1) if y == now.year else dt.date(y, 12, 1))
    return report_service.target_progress(conn, y, last, where)


@router.put("/api/targets/{year}/{scope}/{indicator}", dependencies=[TARGETS])
def put_target(
    year: YearPath,
    scope: Literal[projects.TARGET_SCOPE.keys],  # type: ignore[valid-type]
    indicator: Literal[projects.INDICATOR.keys],  # type: ignore[valid-type]
    body: TargetValue,
    conn: ConnDep,
    user: CurrentUser,
    district: DistrictQuery = None,
) -> list[dict[str, Any]]:
    """Set an annual target of ``district`` (default: the caller's), one of its platforms or
    officers (leaders, admins; refused 403 for a district the caller may not change)."""
    where = report_service.report_district(conn, district, user.username)
    return report_service.set_target(
        conn, where, year, scope, body.scope_key, indicator, body.value, user.username
    )
