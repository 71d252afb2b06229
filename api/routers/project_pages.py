"""Pages of the project ledger: the list of projects with the forms to record one and to import
a month's figures from the office's XLSX sheet, and a project's page with its milestones, the
sites it took and its monthly figures (forms for its officer).

The forms post to these routes (plain HTML forms with the session's CSRF token; no script
needed). A refusal re-renders the page with the service's message, which names the record and
the problem, keeps what was typed, and saves nothing (422).
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from api.auth import CurrentUser, allow
from api.deps import ConnDep, DbRoute, SettingsDep
from api.errors import status_for
from api.form_errors import form_errors
from api.ledger_ui import UI
from api.project_deps import DistrictQuery, read_upload, today, viewer_of
from api.templating import other_lang_url, page_lang, render_page
from gis_app.domain import projects, vocab
from gis_app.domain.errors import (
    Conflict,
    Forbidden,
    GisAppError,
    InvalidInput,
    NotFound,
)
from gis_app.io import report_export
from gis_app.services import districts as district_service
from gis_app.services import project_report as report_service
from gis_app.services import projects as project_service
from maps import assets, i18n

router = APIRouter(tags=["pages"], include_in_schema=False, route_class=DbRoute)
PAGE = allow("officer", "planner", "leader")
WRITE = allow("officer")
FINANCE = allow("officer", "leader")
TARGETS = allow("leader")
IdPath = Annotated[int, Path(ge=1, le=2**63 - 1)]
PAGE_SIZE = 50
#: refusals a form shows next to itself, with their status (anything else is an error page)
_SHOWN = (InvalidInput, Forbidden, Conflict, NotFound)


async def form_data(request: Request) -> dict[str, Any]:
    """The posted form as {name: value} (text fields and uploaded files)."""
    form = await request.form()
    return {k: v for k, v in form.multi_items() if k != "csrf_token"}


FormDep = Annotated[dict[str, Any], Depends(form_data)]


def _base(request: Request, user: Any, lang: str | None, path: str) -> dict[str, Any]:
    language = page_lang(lang)
    other = "en" if language == "zh" else "zh"
    return {
        "lang": language,
        "ui": UI,
        "i18n": i18n.UI,
        "vocab": vocab,
        "user": user,
        "fields": projects.PROJECT,
        "month_fields": projects.MONTH,
        "figures": projects.FIGURES,
        "can_write": user.has("officer"),
        "reads_finance": viewer_of(user).reads_finance,
        "css": assets.asset_url("gis_sitemap_css"),
        # a page shown after a form was posted switches language on its GET address
        "other_lang_url": (
            other_lang_url(request, language) if request.method == "GET" else f"{path}?lang={other}"
        ),
    }


def _list_page(
    request: Request,
    conn: Any,
    user: Any,
    lang: str | None,
    *,
    sector: str | None = None,
    q: str | None = None,
    district: str | None = None,
    page: int = 1,
    error: GisAppError | None = None,
    typed: dict[str, Any] | None = None,
    imported: dict[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    ctx = _base(request, user, lang, "/projects")
    choices = district_service.readable_districts(conn)
    if district:
        try:
            report_service.report_district(conn, district, user.username)
        except InvalidInput as e:
            error, status_code, district = e, 422, None
    total, items = project_service.list_projects(
        conn,
        viewer_of(user),
        today(),
        sector=sector or None,
        q_text=q or None,
        district=district or None,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    ctx |= {
        "items": items,
        "total": total,
        "filters": {"sector": sector or "", "q": q or "", "district": district or ""},
        "district_choices": choices,
        "page": page,
        "pages": max(1, -(-total // PAGE_SIZE)),
        "errors": form_errors(error, ctx["lang"], _LIST_FORM),
        "typed": {k: v for k, v in (typed or {}).items() if isinstance(v, str)},
        "imported": imported,
    }
    resp = render_page(request, "projects.html", ctx)
    resp.status_code = status_code
    return resp


#: form fields of the ledger's pages beyond the registries' (a refusal about one shows beside it)
_LIST_FORM = frozenset(projects.PROJECT) | {"signed_on", "site_codes", "notes", "file"}
_TARGET_FORM = frozenset({"year", "scope", "scope_key", "indicator", "value"})
_PROJECT_FORMS = frozenset(projects.MONTH) | {"kind", "planned_date", "actual_date", "site_code"}


@router.get("/projects", response_class=HTMLResponse, dependencies=[PAGE])
def projects_page(
    request: Request,
    conn: ConnDep,
    user: CurrentUser,
    lang: str | None = None,
    sector: Annotated[str | None, Query(max_length=40)] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    district: DistrictQuery = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    """The project ledger: projects with stage and late milestones (of one district for whoever
    reads several); forms to record a project and to import monthly figures (officers)."""
    return _list_page(request, conn, user, lang, sector=sector, q=q, district=district, page=page)


def _project_body(form: dict[str, Any]) -> dict[str, Any]:
    """The JSON body of a new project from the page's form fields."""
    body: dict[str, Any] = {
        n: form[n] for n in projects.WRITABLE if isinstance(form.get(n), str) and form[n].strip()
    }
    signed = str(form.get("signed_on") or "").strip()
    if signed:
        body["milestones"] = {"signed": {"actual_date": signed}}
    codes = [c.strip() for c in str(form.get("site_codes") or "").replace("，", ",").split(",")]
    if any(codes):
        body["site_codes"] = [c for c in codes if c]
    return body


@router.post("/projects", response_class=HTMLResponse, dependencies=[WRITE])
def create_project_form(
    request: Request,
    conn: ConnDep,
    user: CurrentUser,
    form: FormDep,
    lang: str | None = None,
) -> Response:
    """Record a project from the page's form; on to its page."""
    try:
        record = project_service.create_project(conn, _project_body(form), viewer_of(user), today())
    except _SHOWN as e:
        conn.rollback()
        return _list_page(request, conn, user, lang, error=e, typed=form, status_code=status_for(e))
    return RedirectResponse(f"/projects/{record['id']}?lang={page_lang(lang)}", status_code=303)


@router.post("/projects/import", response_class=HTMLResponse, dependencies=[WRITE])
def import_months_form(
    request: Request,
    conn: ConnDep,
    settings: SettingsDep,
    user: CurrentUser,
    form: FormDep,
    lang: str | None = None,
) -> HTMLResponse:
    """Import monthly figures from an XLSX sheet (all or nothing); the page says what was
    imported or names every bad row."""
    upload = form.get("file")
    try:
        if not isinstance(upload, UploadFile):
            raise InvalidInput("no file was chosen / 请选择文件", code="required", field="file")
        data, name = read_upload(upload, settings.security.max_upload_bytes)
        result = project_service.import_months(conn, data, name, viewer_of(user), today())
    except _SHOWN as e:
        conn.rollback()
        return _list_page(request, conn, user, lang, error=e, status_code=status_for(e))
    return _list_page(request, conn, user, lang, imported=result)


def _project_page(
    request: Request,
    conn: Any,
    user: Any,
    project_id: int,
    lang: str | None,
    *,
    error: GisAppError | None = None,
    typed: dict[str, Any] | None = None,
    saved: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    ctx = _base(request, user, lang, f"/projects/{project_id}")
    record = project_service.get_project(conn, project_id, viewer_of(user), today())
    ctx |= {
        "record": record,
        "groups": projects.PROJECT_GROUPS,
        "errors": form_errors(error, ctx["lang"], _PROJECT_FORMS),
        "typed": {k: v for k, v in (typed or {}).items() if isinstance(v, str)},
        "saved": saved,
    }
    resp = render_page(request, "project.html", ctx)
    resp.status_code = status_code
    return resp


@router.get("/projects/{project_id}", response_class=HTMLResponse, dependencies=[PAGE])
def project_page(
    request: Request,
    project_id: IdPath,
    conn: ConnDep,
    user: CurrentUser,
    lang: str | None = None,
    saved: Annotated[str | None, Query(max_length=40)] = None,
) -> HTMLResponse:
    """A project: its fields, milestones, sites and (officers, leaders) monthly figures."""
    return _project_page(request, conn, user, project_id, lang, saved=saved)


def _after_write(
    request: Request,
    conn: Any,
    user: Any,
    project_id: int,
    lang: str | None,
    form: dict[str, Any],
    write: Any,
    what: str,
) -> Response:
    try:
        write()
    except _SHOWN as e:
        conn.rollback()
        return _project_page(
            request, conn, user, project_id, lang, error=e, typed=form, status_code=status_for(e)
        )
    return RedirectResponse(
        f"/projects/{project_id}?lang={page_lang(lang)}&saved={what}", status_code=303
    )


@router.post("/projects/{project_id}/milestones", response_class=HTMLResponse, dependencies=[WRITE])
def milestone_form(
    request: Request,
    project_id: IdPath,
    conn: ConnDep,
    user: CurrentUser,
    form: FormDep,
    lang: str | None = None,
) -> Response:
    """Record a milestone's planned and actual dates."""
    dates = {k: form.get(k) or None for k in ("planned_date", "actual_date")}
    return _after_write(
        request,
        conn,
        user,
        project_id,
        lang,
        form,
        lambda: project_service.set_milestone(
            conn, project_id, str(form.get("kind") or ""), dates, viewer_of(user), today()
        ),
        "milestone",
    )


@router.post("/projects/{project_id}/sites", response_class=HTMLResponse, dependencies=[WRITE])
def site_form(
    request: Request,
    project_id: IdPath,
    conn: ConnDep,
    user: CurrentUser,
    form: FormDep,
    lang: str | None = None,
) -> Response:
    """Record a site the project took (it becomes signed)."""
    return _after_write(
        request,
        conn,
        user,
        project_id,
        lang,
        form,
        lambda: project_service.take_site(
            conn, project_id, str(form.get("site_code") or ""), viewer_of(user), today()
        ),
        "site",
    )


@router.post("/projects/{project_id}/months", response_class=HTMLResponse, dependencies=[WRITE])
def month_form(
    request: Request,
    project_id: IdPath,
    conn: ConnDep,
    user: CurrentUser,
    form: FormDep,
    lang: str | None = None,
) -> Response:
    """Record one month of the project's figures."""
    figures = {n: form[n] for n in projects.FIGURES if str(form.get(n) or "").strip()}
    return _after_write(
        request,
        conn,
        user,
        project_id,
        lang,
        form,
        lambda: project_service.put_month(
            conn, project_id, form.get("month"), figures, viewer_of(user), today()
        ),
        "month",
    )


@router.get("/reports/indicators", response_class=HTMLResponse, dependencies=[FINANCE])
def report_page(
    request: Request,
    conn: ConnDep,
    user: CurrentUser,
    lang: str | None = None,
    start: Annotated[str | None, Query(max_length=20)] = None,
    end: Annotated[str | None, Query(max_length=20)] = None,
    district: DistrictQuery = None,
    saved: Annotated[int, Query(ge=0, le=1)] = 0,
) -> HTMLResponse:
    """The indicator report of a district (or city) for a period: figures against targets,
    year on year, big projects, by sector and platform, with charts, each figure opening onto
    the projects it sums; the same as XLSX and DOCX; leaders set the year's targets on it."""
    return _report(request, conn, user, lang, start, end, district, saved=bool(saved))


def _report(
    request: Request,
    conn: Any,
    user: Any,
    lang: str | None,
    start: str | None,
    end: str | None,
    district: str | None,
    *,
    target_error: GisAppError | None = None,
    typed: dict[str, Any] | None = None,
    saved: bool = False,
) -> HTMLResponse:
    ctx = _base(request, user, lang, "/reports/indicators")
    error = None
    try:
        s, e = report_service.parse_period(start or None, end or None, today())
    except InvalidInput as err:
        error = err
        s, e = report_service.parse_period(None, None, today())
    try:
        where = report_service.report_district(conn, district or None, user.username)
    except InvalidInput as err:
        error = err
        where = report_service.report_district(conn, None, user.username)
    report = report_service.indicator_report(conn, s, e, where)
    ctx |= {
        "report": report,
        "prose": report_export.report_prose(report),
        "errors": form_errors(error, ctx["lang"], ("start", "end", "district")),
        "district_choices": district_service.readable_districts(conn),
        "indicator_key": projects.INDICATOR_BY_KEY,
        "sector_max": max((g["funds"] for g in report["by_sector"]), default=0) or 1,
        "platform_max": max((g["funds"] for g in report["by_platform"]), default=0) or 1,
        "targets": report_service.target_progress(conn, s.year, e, where),
        "can_set_targets": viewer_of(user).sets_targets,
        "target_errors": form_errors(target_error, ctx["lang"], _TARGET_FORM),
        "typed": {k: v for k, v in (typed or {}).items() if isinstance(v, str)},
        "target_saved": saved,
        "vocab_scope": list(projects.TARGET_SCOPE),
    }
    resp = render_page(request, "report.html", ctx)
    resp.status_code = 422 if error is not None else 200
    if target_error is not None:
        resp.status_code = status_for(target_error)
    return resp


@router.post("/reports/targets", response_class=HTMLResponse, dependencies=[TARGETS])
def set_target_form(
    request: Request, conn: ConnDep, user: CurrentUser, form: FormDep, lang: str | None = None
) -> Response:
    """Set an annual target from the leaders' form on the report; back to the report."""
    start, end = str(form.get("start") or ""), str(form.get("end") or "")
    district = str(form.get("district") or "")
    try:
        year = _form_number(form, "year", int)
        value = _form_number(form, "value", float)
        where = report_service.report_district(conn, district or None, user.username)
        report_service.set_target(
            conn,
            where,
            year,
            str(form.get("scope") or ""),
            str(form.get("scope_key") or ""),
            str(form.get("indicator") or ""),
            value,
            user.username,
        )
    except _SHOWN as e:
        conn.rollback()
        return _report(request, conn, user, lang, start, end, district, target_error=e, typed=form)
    query = urlencode(
        {"lang": page_lang(lang), "start": start, "end": end, "district": where.key, "saved": 1}
    )
    return RedirectResponse(f"/reports/indicators?{query}#gis-targets", status_code=303)


def _form_number(form: dict[str, Any], name: str, kind: type) -> Any:
    text = str(form.get(name) or "").strip()
    try:
        return kind(text)
    except ValueError:
        code = "not_an_integer" if kind is int else "not_a_number"
        raise InvalidInput(
            f"target: {name} {text!r} is not a number",
            code=code,
            field=name,
            params={"field": UI[name], "value": text},
        ) from None
