"""Planners' edits over HTTP: status, attributes, geometry, split/merge, history, files.

Every write names the version it was based on with ``If-Match: "<version>"`` (the ``ETag`` of
``GET /api/sites/{id}``, of the status form data, of a building or of a zone): without it the
answer is 428, and 412 when the record changed since — through the app, psql or QGIS, since
the version is bumped by a database trigger. A write that waits behind another transaction's
row lock (e.g. a QGIS edit session) fails after the lock timeout with 409 and a message.
``note`` and ``doc_ref`` go into the history with the change.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from fastapi import (
    APIRouter,
    BackgroundTasks,
    Form,
    Header,
    Query,
    Request,
    Response,
    UploadFile,
)
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, StrictBool, StrictFloat, StrictInt, create_model
from pydantic import Field as PydanticField

from api.auth import CurrentUser, Principal, allow
from api.deps import ConnDep, DbRoute, SettingsDep, SiteFilterDep
from api.schemas import IsoDate, StrictModel
from gis_app.domain import transitions
from gis_app.domain.errors import InvalidInput, PayloadTooLarge
from gis_app.io import export as site_export
from gis_app.io import geometry_checks, workbook
from gis_app.io.fields import BUILDING_FIELDS, SITE_FIELDS, ZONE_FIELDS, Field
from gis_app.io.imports import ImportOptions, UploadLimits
from gis_app.services import history as history_service
from gis_app.services import import_jobs
from gis_app.services import imports as import_service
from gis_app.services import site_edits as edits
from maps.style import AVAILABILITY_COLOURS

router = APIRouter(tags=["planners"], route_class=DbRoute)
READ = allow("officer", "planner", "admin")
PLAN = allow("planner", "admin")
GEOJSON = "application/geo+json"

IfMatch = Annotated[str | None, Header(description='ETag of the version you read, e.g. "7"')]

_PY: dict[str, Any] = {
    "text": str,
    "landuse": str,
    # JSON types as documented: "1.5" is not a number, 0 is not false, 0 is not 1970-01-01
    "float": StrictFloat,
    "int": StrictInt,
    "bool": StrictBool,
    "date": IsoDate,
    "text_list": list[str],
}


def _patch_model(name: str, fields: dict[str, Field], extra: dict[str, Any]) -> type[StrictModel]:
    """A strict body with every editable field optional (absent = unchanged), plus ``extra``."""
    spec: dict[str, Any] = {k: (_PY[f.type] | None, None) for k, f in fields.items()}
    spec |= {"note": (str | None, None), "doc_ref": (str | None, None)} | extra
    return create_model(name, __base__=StrictModel, **spec)  # type: ignore[call-overload]


_SITE_EDITABLE = {k: f for k, f in SITE_FIELDS.items() if k not in edits.EDIT_READ_ONLY}
SitePatch = _patch_model("SitePatch", _SITE_EDITABLE, {})
StatusPatch = _patch_model(
    "StatusPatch", {k: SITE_FIELDS[k] for k in transitions.STATUS_FIELDS}, {}
)
BuildingPatch = _patch_model("BuildingPatch", BUILDING_FIELDS, {})
ZonePatch = _patch_model(
    "ZonePatch",
    ZONE_FIELDS,
    {
        "geometry": (dict[str, Any] | None, None),
        "crs": (str, "EPSG:4326"),
        "repair": (StrictBool, False),
    },
)


def _split(body: StrictModel) -> tuple[dict[str, Any], str | None, str | None]:
    values = body.model_dump(exclude_unset=True)
    note, doc_ref = values.pop("note", None), values.pop("doc_ref", None)
    return values, note, doc_ref


def _edited(result: edits.EditResult, status: int = 200) -> JSONResponse:
    return JSONResponse(
        result.as_dict(), status_code=status, headers={"ETag": edits.etag(result.version)}
    )


# --- sites: attributes, status, geometry ----------------------------------------------------


# digits only: /api/sites/merge is another resource (PATCH there is a 405, not a bad site id)
@router.patch("/api/sites/{site_id:int}", dependencies=[PLAN])
def patch_site(
    site_id: int, body: SitePatch, conn: ConnDep, user: CurrentUser, if_match: IfMatch = None
) -> JSONResponse:
    """Change a site's attributes (If-Match required); the changes, overlaps and new ETag."""
    return _update_site(site_id, body, conn, user, if_match, status_only=False)


@router.post("/api/sites/{site_id}/status", dependencies=[PLAN])
def post_status(
    site_id: int, body: StatusPatch, conn: ConnDep, user: CurrentUser, if_match: IfMatch = None
) -> JSONResponse:
    """Update status fields (政策处理, 控规, 指标, 供应, 整理, 招商状态 …) with a note/document."""
    return _update_site(site_id, body, conn, user, if_match, status_only=True)


def _update_site(
    site_id: int,
    body: StrictModel,
    conn: sa.Connection,
    user: Principal,
    if_match: str | None,
    *,
    status_only: bool,
) -> JSONResponse:
    values, note, doc_ref = _split(body)
    result = edits.update_site(
        conn,
        site_id,
        values,
        expected_version=edits.parse_if_match(if_match),
        user=user.username,
        note=note,
        doc_ref=doc_ref,
        status_only=status_only,
    )
    return _edited(result)


@router.get("/api/sites/{site_id}/status-form", dependencies=[READ])
def status_form(site_id: int, conn: ConnDep, user: CurrentUser) -> JSONResponse:
    """Data of the status form: current values, choices with labels, overlaps, may-edit flag."""
    data = edits.status_form(conn, site_id)
    data["can_edit"] = user.has("planner")
    return JSONResponse(data, headers={"ETag": edits.etag(data["site"]["version"])})


class GeometryBody(StrictModel):
    """A new outline for a site."""

    geometry: dict[str, Any]
    crs: str = "EPSG:4326"
    repair: StrictBool = False
    dry_run: StrictBool = False
    note: str | None = None
    doc_ref: str | None = None


@router.put("/api/sites/{site_id}/geometry", dependencies=[PLAN])
def put_geometry(
    site_id: int,
    body: GeometryBody,
    conn: ConnDep,
    settings: SettingsDep,
    user: CurrentUser,
    if_match: IfMatch = None,
) -> JSONResponse:
    """Replace the outline (GeoJSON in ``crs``; ``gcj02`` allowed) after checks; repair on
    request; the zones it overlaps come back (a dry run saves nothing)."""
    result = edits.replace_site_geometry(
        conn,
        site_id,
        body.geometry,
        expected_version=edits.parse_if_match(if_match),
        user=user.username,
        crs=body.crs,
        repair=body.repair,
        limits=geometry_checks.GeometryLimits.from_settings(settings.edit),
        note=body.note,
        doc_ref=body.doc_ref,
        dry_run=body.dry_run,
    )
    return _edited(result)


class SplitBody(StrictModel):
    """How to split: a cutting line or the parts, and optionally the children's attributes."""

    line: dict[str, Any] | None = None
    parts: list[dict[str, Any]] | None = None
    crs: str = "EPSG:4326"
    children: list[dict[str, Any]] | None = None
    buildings: dict[str, int | str] | None = None
    note: str | None = None
    doc_ref: str | None = None


@router.post("/api/sites/{site_id}/split", status_code=201, dependencies=[PLAN])
def split_site(
    site_id: int,
    body: SplitBody,
    conn: ConnDep,
    settings: SettingsDep,
    user: CurrentUser,
    if_match: IfMatch = None,
) -> JSONResponse:
    """Split a site; the children keep the lineage and the parent is retired."""
    result = edits.split_site(
        conn,
        site_id,
        expected_version=edits.parse_if_match(if_match),
        user=user.username,
        line=body.line,
        parts=body.parts,
        crs=body.crs,
        children=body.children,
        buildings=body.buildings,
        limits=geometry_checks.GeometryLimits.from_settings(settings.edit),
        note=body.note,
        doc_ref=body.doc_ref,
    )
    return _edited(result, 201)


class MergePart(StrictModel):
    """One site to merge and the ETag of the version read."""

    site_id: int
    if_match: str


class MergeBody(StrictModel):
    """Sites to merge, the new site's attributes, and a reason if they are not adjacent."""

    sites: list[MergePart]
    values: dict[str, Any] | None = None
    note: str | None = None
    doc_ref: str | None = None


@router.post("/api/sites/merge", status_code=201, dependencies=[PLAN])
def merge_sites(body: MergeBody, conn: ConnDep, user: CurrentUser) -> JSONResponse:
    """Merge adjacent sites (others need a note) into a new one; the parents are retired."""
    versions = {p.site_id: edits.parse_if_match(p.if_match) for p in body.sites}
    result = edits.merge_sites(
        conn,
        [p.site_id for p in body.sites],
        expected_versions={k: v for k, v in versions.items() if v is not None},
        user=user.username,
        values=body.values,
        note=body.note,
        doc_ref=body.doc_ref,
    )
    return _edited(result, 201)


# --- history ----------------------------------------------------------------------------------


@router.get("/api/sites/{site_id}/history", dependencies=[READ])
def site_history(
    site_id: int,
    conn: ConnDep,
    settings: SettingsDep,
    lineage: bool = True,
    buildings: bool = True,
    geometry: bool = False,
    limit: int = 200,
    offset: int = 0,
) -> JSONResponse:
    """Who changed what and when (newest first), with the parents' history up to a split or
    merge and the buildings'; geometry values only with ``geometry=true``."""
    data = history_service.site_history(
        conn,
        site_id,
        lineage=lineage,
        buildings=buildings,
        with_geometry=geometry,
        limit=limit,
        offset=offset,
        max_limit=settings.app.max_page_size,
    )
    return JSONResponse(json.loads(json.dumps(data, default=str, ensure_ascii=False)))


# --- buildings and constraint zones -------------------------------------------------------------


@router.get("/api/buildings/{building_id}", dependencies=[READ])
def get_building(building_id: int, conn: ConnDep) -> JSONResponse:
    """One building (internal fields left out), with its ETag."""
    data = edits.building(conn, building_id)
    return JSONResponse(data, headers={"ETag": edits.etag(data["version"])})


@router.patch("/api/buildings/{building_id}", dependencies=[PLAN])
def patch_building(
    building_id: int,
    body: BuildingPatch,
    conn: ConnDep,
    user: CurrentUser,
    if_match: IfMatch = None,
) -> JSONResponse:
    """Change a building (``site_code`` moves it); If-Match required."""
    values, note, doc_ref = _split(body)
    result = edits.update_building(
        conn,
        building_id,
        values,
        expected_version=edits.parse_if_match(if_match),
        user=user.username,
        note=note,
        doc_ref=doc_ref,
    )
    return _edited(result)


@router.get(
    "/api/constraint-zones/{zone_id}",
    response_class=Response,
    responses={200: {"content": {GEOJSON: {}}}},
    dependencies=[READ],
)
def get_zone(zone_id: int, conn: ConnDep) -> Response:
    """One constraint zone as a GeoJSON Feature (WGS84), with its ETag."""
    body, version = edits.zone_feature(conn, zone_id)
    return Response(body, media_type=GEOJSON, headers={"ETag": edits.etag(version)})


@router.patch("/api/constraint-zones/{zone_id}", dependencies=[PLAN])
def patch_zone(
    zone_id: int,
    body: ZonePatch,
    conn: ConnDep,
    settings: SettingsDep,
    user: CurrentUser,
    if_match: IfMatch = None,
) -> JSONResponse:
    """Change a constraint zone and/or its outline; overlaps with sites are recomputed."""
    values, note, doc_ref = _split(body)
    geometry = values.pop("geometry", None)
    crs = values.pop("crs", "EPSG:4326")
    repair = values.pop("repair", False)
    result = edits.update_zone(
        conn,
        zone_id,
        values,
        expected_version=edits.parse_if_match(if_match),
        user=user.username,
        geometry=geometry,
        crs=crs,
        repair=repair,
        limits=geometry_checks.GeometryLimits.from_settings(settings.edit),
        note=note,
        doc_ref=doc_ref,
    )
    return _edited(result)


# --- files --------------------------------------------------------------------------------------

_CHUNK = 1 << 20


class ImportForm(StrictModel):
    """A file to import and how to read it (multipart form)."""

    file: UploadFile
    layer: str = "sites"
    crs: str | None = None
    dry_run: bool = False
    mapping: str | None = None  # JSON {"COLUMN": "field"}
    # a value for every row: JSON {"field": "value"} or FIELD=VALUE lines, as the CLI's --set
    set: str | None = None
    encoding: str | None = None
    area_unit: str = "m2"
    repair: bool = False
    note: str | None = None
    doc_ref: str | None = None
    # run as a background job whatever the size (large files always do)
    background: bool = False
    csrf_token: str | None = None  # read by the access policy for browser sessions


class ImportJobAccepted(BaseModel):
    """A background import accepted: follow it at ``url``."""

    job_id: uuid.UUID
    status: str
    url: str


class ImportJobOut(BaseModel):
    """A background import: where it stands, and its report once it has ended."""

    id: uuid.UUID
    created_by: str
    created_at: dt.datetime
    file_name: str
    file_bytes: int
    options: dict[str, Any]
    status: str = PydanticField(description="queued, running, done, failed or cancelled")
    phase: str | None = PydanticField(
        description="reading, checking, staging, comparing, writing, committing, done"
    )
    done: int
    total: int
    cancel_requested: bool
    cancelled_by: str | None
    heartbeat_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    report: dict[str, Any] | None = PydanticField(
        description="the per-row report of POST /api/imports (done: committed, or not when "
        "a row was rejected or it was a dry run)"
    )
    error: str | None
    error_problem: dict[str, Any] | None = PydanticField(
        None,
        description="a failed job's refusal as the error vocabulary words it: code, field and "
        "message {zh, en} (error is its English detail)",
    )


@router.post(
    "/api/imports",
    responses={
        200: {"description": "loaded (or checked, for a dry run): the per-row report"},
        202: {
            "description": "a large file (or background=true): runs as a job; poll its url",
            "model": ImportJobAccepted,
        },
        422: {
            "description": "nothing was loaded: the report names every rejected row",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
        },
    },
    dependencies=[PLAN],
)
def post_import(
    request: Request,
    conn: ConnDep,
    settings: SettingsDep,
    user: CurrentUser,
    form: Annotated[ImportForm, Form(media_type="multipart/form-data")],
) -> JSONResponse:
    """Import a file (.gpkg, .zip Shapefile, .geojson, .csv, .xlsx): every row is checked first;
    all rows are written in one transaction or none.

    200 with the per-row report when it was loaded (or checked, for a dry run); 422 with the
    report naming every rejected row when nothing was loaded. A file of at least
    `GIS_APP_EDIT_IMPORT_JOB_MIN_BYTES` (or `background=true`) runs as a background job: 202
    with its URL (`GET /api/imports/jobs/{id}`: progress, then the report), cancellable.
    """
    file = form.file
    opts = ImportOptions.parse(
        layer=form.layer,
        crs=form.crs,
        mapping=form.mapping,
        encoding=form.encoding,
        area_unit=form.area_unit,
        repair=form.repair,
        dry_run=form.dry_run,
        note=form.note,
        doc_ref=form.doc_ref,
        values=form.set,
    )
    name = Path(file.filename or "upload").name
    limit = settings.security.max_upload_bytes
    with tempfile.TemporaryDirectory(prefix="gis_app_upload_") as tmp:
        path = Path(tmp) / name
        size = 0
        with path.open("wb") as out:
            while chunk := file.file.read(_CHUNK):
                size += len(chunk)
                if size > limit:
                    raise PayloadTooLarge(f"{name}: larger than the upload limit of {limit} bytes")
                out.write(chunk)
        if form.background or size >= settings.edit.import_job_min_bytes:
            return _start_job(request, conn, settings, user, path, opts, size)
        report = import_service.import_file(
            conn,
            path,
            opts,
            user=user.username,
            limits=UploadLimits.from_settings(settings.edit),
        )
    body = report.as_dict()
    if not report.ok:
        body["detail"] = f"{name}: nothing was loaded — " + "; ".join(
            report.problems
            or [
                f"row {r.row} ({r.code or '-'}): {'; '.join(r.problems)}"
                for r in report.rows
                if r.problems
            ][:20]
        )
    return JSONResponse(body, status_code=200 if report.ok else 422)


def _start_job(
    request: Request,
    conn: sa.Connection,
    settings: Any,
    user: Principal,
    upload: Path,
    opts: ImportOptions,
    size: int,
) -> JSONResponse:
    """Hand the upload to the process's job runner: 202 and the job's URL."""
    folder = Path(tempfile.mkdtemp(prefix="gis_app_job_"))  # the job removes it
    path = folder / upload.name
    shutil.move(upload, path)
    try:
        job_id = request.app.state.import_runner.submit(
            conn,
            import_jobs.JobRequest(
                path,
                opts,
                user.username,
                UploadLimits.from_settings(settings.edit),
                user.identity.scope if user.identity else None,
            ),
            size,
        )
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    url = f"/api/imports/jobs/{job_id}"
    body = ImportJobAccepted(job_id=job_id, status="queued", url=url)
    return JSONResponse(body.model_dump(mode="json"), status_code=202, headers={"Location": url})


@router.get("/api/imports/jobs/{job_id}", response_model=ImportJobOut, dependencies=[PLAN])
def get_import_job(
    job_id: uuid.UUID, conn: ConnDep, settings: SettingsDep, user: CurrentUser
) -> dict[str, Any]:
    """A background import (yours, or any for admins): status, phase, rows done of rows, and the
    report once it has ended."""
    return import_jobs.job_status(
        conn,
        job_id,
        user=user.username,
        admin="admin" in user.roles,
        stale_s=settings.edit.import_job_stale_s,
    )


@router.post(
    "/api/imports/jobs/{job_id}/cancel",
    status_code=202,
    response_model=ImportJobOut,
    responses={409: {"description": "the job has already ended (what it wrote stays)"}},
    dependencies=[PLAN],
)
def cancel_import_job(
    job_id: uuid.UUID, conn: ConnDep, settings: SettingsDep, user: CurrentUser
) -> dict[str, Any]:
    """Cancel a background import: it stops and rolls back (nothing written); 202 with the job
    as it stands, 409 when it has already ended."""
    admin = "admin" in user.roles
    import_jobs.cancel_job(conn, job_id, user=user.username, admin=admin)
    return import_jobs.job_status(
        conn, job_id, user=user.username, admin=admin, stale_s=settings.edit.import_job_stale_s
    )


@router.get(
    "/api/exports/sites",
    response_class=Response,
    responses={
        200: {
            "description": "the file (as an attachment), by `format`",
            "content": {
                media.split(";")[0]: {"schema": {"type": "string", "format": "binary"}}
                for _, media in site_export.EXPORT_FORMATS.values()
            },
        }
    },
    dependencies=[READ],
)
def export_sites(
    request: Request,
    conn: ConnDep,
    flt: SiteFilterDep,
    background: BackgroundTasks,
    format: Literal["gpkg", "geojson", "shp", "csv", "xlsx", "pdf"] = "gpkg",
    headers: Literal["zh", "keys"] = "zh",
    encoding: Literal["UTF-8", "GBK"] = "UTF-8",
    crs: Annotated[str | None, Query(max_length=40, description="e.g. EPSG:4550")] = None,
) -> FileResponse:
    """Export the filtered sites (GeoPackage, GeoJSON, zipped Shapefile, CSV, XLSX, or a PDF
    list with a map) with Chinese labels beside coded values; importing a data file (not the
    PDF) back changes nothing. The filters are those of ``GET /api/sites``.

    CSV/XLSX headers are Chinese with a documentation row/sheet (``headers=keys`` for field
    names); XLSX and PDF link each site to its sheet; a Shapefile's text is UTF-8 or GBK;
    ``crs`` reprojects GeoPackage, Shapefile, CSV WKT and GeoJSON."""
    if format not in site_export.EXPORT_FORMATS:
        raise InvalidInput(
            f"format must be one of {', '.join(site_export.EXPORT_FORMATS)}",
            code="unknown_value",
            field="format",
            params={"value": format[:40]},
        )
    folder = Path(tempfile.mkdtemp(prefix="gis_app_export_"))
    try:
        path, notes = site_export.export_sites(
            conn,
            flt,
            format,
            folder,
            headers=headers,
            encoding=encoding,
            crs=crs,
            sheet_url=str(request.url_for("site_page", site_id=0)).removesuffix("/0") + "/{id}",
            colours=AVAILABILITY_COLOURS,
            title=_search_title(request),
        )
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    background.add_task(shutil.rmtree, folder, True)
    headers = {"X-Export-Notes": json.dumps(notes, ensure_ascii=True)} if notes else {}
    return FileResponse(
        path, media_type=site_export.EXPORT_FORMATS[format][1], filename=path.name, headers=headers
    )


#: query parameters of an export that say how to write the file, not which sites
_FILE_PARAMETERS = frozenset({"format", "headers", "encoding", "crs"})


def _search_title(request: Request) -> str:
    """What was searched, for the PDF's heading: the filters as given."""
    given = [f"{k}={v}" for k, v in request.query_params.multi_items() if k not in _FILE_PARAMETERS]
    text = "，".join(given)[:300]
    return f"筛选 / filters: {text}" if text else "全部资源 / all sites"


@router.get(
    "/api/exports/template",
    response_class=Response,
    responses={
        200: {
            "description": "the empty XLSX import template (as an attachment)",
            "content": {
                site_export.EXPORT_FORMATS["xlsx"][1]: {
                    "schema": {"type": "string", "format": "binary"}
                }
            },
        }
    },
    dependencies=[READ],
)
def export_template(background: BackgroundTasks, format: Literal["xlsx"] = "xlsx") -> FileResponse:
    """The XLSX template for importing sites: Chinese headers, dropdowns of the allowed values,
    a WKT outline column (EPSG:4490) and a sheet documenting each column."""
    folder = Path(tempfile.mkdtemp(prefix="gis_app_template_"))
    path = folder / "import_template.xlsx"
    try:
        workbook.write_template(path)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    background.add_task(shutil.rmtree, folder, True)
    return FileResponse(
        path, media_type=site_export.EXPORT_FORMATS["xlsx"][1], filename="import_template.xlsx"
    )
