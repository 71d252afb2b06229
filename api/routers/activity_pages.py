"""The promotion activities page: officers log their trips out, delegations received and
promotion events; everyone who reads it sees each officer's month against the minimum; leaders
set the minimum. Plain HTML forms with the session's CSRF token (no script needed); a refusal
re-renders the page with each message in the page's language next to its field, keeps what
was typed, and saves nothing (422)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.auth import CurrentUser, allow
from api.deps import ConnDep, DbRoute
from api.errors import status_for
from api.form_errors import form_errors
from api.ledger_ui import UI
from api.project_deps import DistrictQuery, today, viewer_of
from api.templating import other_lang_url, page_lang, render_page
from gis_app.domain import activities, vocab
from gis_app.domain.errors import Forbidden, GisAppError, InvalidInput, NotFound
from gis_app.services import activities as activity_service
from gis_app.services import districts as district_service
from gis_app.services import project_report as report_service
from maps import assets, i18n

router = APIRouter(tags=["pages"], include_in_schema=False, route_class=DbRoute)
PAGE = allow("officer", "leader")
WRITE = allow("officer")
MINIMUMS = allow("leader")
#: refusals the page shows next to its forms (anything else is an error page)
_SHOWN = (InvalidInput, Forbidden, NotFound)


async def _form(request: Request) -> dict[str, Any]:
    form = await request.form()
    return {k: v for k, v in form.items() if k != "csrf_token" and isinstance(v, str)}


FormDep = Annotated[dict[str, str], Depends(_form)]


def _page(
    request: Request,
    conn: Any,
    user: Any,
    lang: str | None,
    year: int | None = None,
    district: str | None = None,
    *,
    error: GisAppError | None = None,
    form: str = "",
    typed: dict[str, str] | None = None,
    saved: bool = False,
) -> HTMLResponse:
    language = page_lang(lang)
    now = today()
    choices = district_service.readable_districts(conn)
    try:
        where = report_service.report_district(conn, district or None, user.username)
    except InvalidInput as e:
        error, where = e, report_service.report_district(conn, None, user.username)
    shown_year = year or now.year
    actor = viewer_of(user)
    other = "en" if language == "zh" else "zh"
    ctx = {
        "lang": language,
        "ui": UI,
        "i18n": i18n.UI,
        "vocab": vocab,
        "user": user,
        "css": assets.asset_url("gis_sitemap_css"),
        "other_lang_url": (
            other_lang_url(request, language)
            if request.method == "GET"
            else f"/activities?lang={other}"
        ),
        "reads_finance": True,
        "fields": activities.ACTIVITY,
        "minimum_fields": activities.MINIMUM,
        "kinds": list(vocab.ACTIVITY_KIND),
        "year": shown_year,
        "today": now.isoformat(),
        "items": activity_service.list_activities(conn, shown_year),
        "progress": activity_service.progress(conn, shown_year, now, where.key),
        "district": where,
        "district_choices": choices,
        "can_log": user.has("officer"),
        "can_set_minimum": actor.sets_targets,
        "username": user.username,
        "admin": actor.admin,
        "form": form,
        "typed": typed or {},
        "errors": form_errors(error, language, activities.ACTIVITY | activities.MINIMUM),
        "saved": saved,
    }
    resp = render_page(request, "activities.html", ctx)
    resp.status_code = 200 if error is None else status_for(error)
    return resp


@router.get("/activities", response_class=HTMLResponse, dependencies=[PAGE])
def activities_page(
    request: Request,
    conn: ConnDep,
    user: CurrentUser,
    lang: str | None = None,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    district: DistrictQuery = None,
    saved: Annotated[int, Query(ge=0, le=1)] = 0,
) -> HTMLResponse:
    """This year's activities, each officer's months against the minimum (of one district,
    for whoever reads several; default their own), and the forms."""
    return _page(request, conn, user, lang, year, district, saved=bool(saved))


def _saved(lang: str | None, district: str | None = None) -> RedirectResponse:
    query = {"lang": page_lang(lang), "saved": 1} | ({"district": district} if district else {})
    return RedirectResponse(f"/activities?{urlencode(query)}", status_code=303)


@router.post("/activities", response_class=HTMLResponse, dependencies=[WRITE])
def log_activity_form(
    request: Request, conn: ConnDep, user: CurrentUser, form: FormDep, lang: str | None = None
) -> Response:
    """Log an activity from the page's form."""
    data = {k: v for k, v in form.items() if k in activities.WRITABLE and v.strip()}
    try:
        activity_service.log_activity(conn, data, viewer_of(user), today())
    except _SHOWN as e:
        conn.rollback()
        return _page(request, conn, user, lang, error=e, form="log", typed=form)
    return _saved(lang)


@router.post("/activities/{activity_id}/delete", response_class=HTMLResponse, dependencies=[WRITE])
def delete_activity_form(
    request: Request,
    activity_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
    conn: ConnDep,
    user: CurrentUser,
    lang: str | None = None,
) -> Response:
    """Remove an activity logged by mistake."""
    try:
        activity_service.delete_activity(conn, activity_id, viewer_of(user))
    except _SHOWN as e:
        conn.rollback()
        return _page(request, conn, user, lang, error=e, form="list")
    return _saved(lang)


@router.post("/activities/minimums", response_class=HTMLResponse, dependencies=[MINIMUMS])
def set_minimum_form(
    request: Request, conn: ConnDep, user: CurrentUser, form: FormDep, lang: str | None = None
) -> Response:
    """Set a monthly minimum from the leaders' form (for the district the page shows)."""
    data = {k: v for k, v in form.items() if k in activities.MINIMUM}
    district = form.get("district") or None
    try:
        where = report_service.report_district(conn, district, user.username)
        activity_service.set_minimum(conn, data, viewer_of(user), where.key)
    except _SHOWN as e:
        conn.rollback()
        return _page(request, conn, user, lang, None, district, error=e, form="minimum", typed=form)
    return _saved(lang, where.key)
