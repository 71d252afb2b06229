"""Officers' pages for investor requirements: the list with a form to record a new one, and a
requirement's page with its ranked matches on a map, near misses, and a recommendation link
built from the sites the officer ticks.

The pages read through the services; what they write goes through the JSON API
(``/api/requirements``, ``/api/recommendations``, status moves) from the page's script, so a
refusal reads the same in the browser as over the API.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse

from api.auth import CurrentUser, allow
from api.deps import ConnDep, DbRoute, SettingsDep, viewer_of
from api.templating import other_lang_url, page_lang, render_page
from gis_app.domain import vocab
from gis_app.domain.errors import InvalidInput
from gis_app.matching.engine import MAX_LIMIT, MAX_MARGIN_PCT, MAX_NEAR_MISS_LIMIT
from gis_app.services import alerts as alert_service
from gis_app.services import answers as answer_service
from gis_app.services import matching as match_service
from gis_app.services import recommendations as rec_service
from gis_app.services import referrals as referral_service
from gis_app.services import requirement_form
from gis_app.services import requirements as req_service
from gis_app.services import share_links as link_service
from gis_app.services import tiles as tile_service
from maps import assets, basemaps, i18n, match_map, officer_map

router = APIRouter(tags=["pages"], include_in_schema=False, route_class=DbRoute)
PAGE = allow("officer", "planner", "admin")
IdPath = Annotated[int, Path(ge=1, le=2**63 - 1)]
PAGE_SIZE = 50
ALERTS_SHOWN = 20
RECOMMENDATIONS_SHOWN = 50
REFERRALS_SHOWN = 50
#: how often an open requirement page asks for new answers (seconds)
POLL_SECONDS = 20
JS = "gis_requirements"


def _can_write(user: Any) -> bool:
    return user.has("officer")  # admins hold every role


def _config(request: Request, user: Any, language: str, **extra: Any) -> dict[str, Any]:
    return {
        "lang": language,
        "csrfToken": user.csrf_token(request.app.state.secret_key),
        "labels": i18n.ui_labels(),
        "endpoints": {
            "answersRead": "/api/alerts/answers/read",
            "requirements": "/api/requirements",
            "requirement": "/api/requirements/{id}",
            "page": "/requirements/{id}",
            "recommendations": "/api/recommendations",
            "links": "/api/recommendations/{id}/links",
            "status": "/api/requirements/{id}/status",
            "alertSeen": "/api/alerts/{id}/seen",
            "linkRevoke": "/api/recommendations/{rec}/links/{link}/revoke",
            "linkExtend": "/api/recommendations/{rec}/links/{link}/extend",
            "refer": "/api/requirements/{id}/referrals",
            "referralMatch": "/api/referrals/{id}/match",
            "referralStatus": "/api/referrals/{id}/status",
        },
        **extra,
    }


@router.get("/requirements", response_class=HTMLResponse, dependencies=[PAGE])
def requirements_page(
    request: Request,
    conn: ConnDep,
    user: CurrentUser,
    lang: str | None = None,
    status: Annotated[list[str], Query()] = [],  # noqa: B006 - FastAPI copies defaults
    need: Annotated[list[str], Query()] = [],  # noqa: B006
    q: Annotated[str | None, Query(max_length=100)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    """List the requirements the user may see (filters, pages); offer the new-requirement form."""
    language = page_lang(lang)
    total, items = req_service.list_requirements(
        conn,
        viewer_of(user),
        status=[s for s in status if s],
        need=[n for n in need if n],
        q=q or None,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    counts = match_service.match_counts(conn, [r["id"] for r in items])
    referred = referral_service.received(conn, [r["id"] for r in items], viewer_of(user))
    inbox = referral_service.inbox(conn, viewer_of(user), limit=REFERRALS_SHOWN)
    new_answers = answer_service.unseen_counts(conn, [r["id"] for r in items])
    alerts_total, alerts = (
        alert_service.list_alerts(conn, user.username, unseen_only=True, limit=ALERTS_SHOWN)
        if user.has("officer")
        else (0, [])
    )

    def page_url(n: int) -> str:
        query = [(k, v) for k, v in request.query_params.multi_items() if k != "page"]
        return "/requirements?" + urlencode([*query, ("page", str(n))])

    return render_page(
        request,
        "requirements.html",
        {
            "lang": language,
            "ui": i18n.UI,
            "vocab": vocab,
            "user": user,
            "can_write": _can_write(user),
            "items": items,
            "counts": counts,
            "referred": referred,
            "inbox": inbox,
            "new_answers": new_answers,
            "alerts": alerts,
            "alerts_total": alerts_total,
            "total": total,
            "filters": {"status": status, "need": need, "q": q or ""},
            "prev_url": page_url(page - 1) if page > 1 else None,
            "next_url": page_url(page + 1) if page * PAGE_SIZE < total else None,
            "page": page,
            "sections": requirement_form.SECTIONS,
            "form_values": requirement_form.form_values(),
            "choices": tile_service.filter_choices(conn),
            "other_lang_url": other_lang_url(request, language),
            "config": _config(request, user, language),
            "css": assets.asset_url("gis_sitemap_css"),
            "js": assets.asset_url(JS),
            "api_js": assets.asset_url("gis_api"),
        },
    )


@router.get("/requirements/{requirement_id}", response_class=HTMLResponse, dependencies=[PAGE])
def requirement_page(
    request: Request,
    requirement_id: IdPath,
    conn: ConnDep,
    settings: SettingsDep,
    user: CurrentUser,
    lang: str | None = None,
    basemap: str | None = None,
    margin_pct: Annotated[float | None, Query(ge=0, le=MAX_MARGIN_PCT)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
    near_miss_limit: Annotated[int, Query(ge=0, le=MAX_NEAR_MISS_LIMIT)] = 10,
) -> HTMLResponse:
    """One requirement: what it states, its ranked matches and near misses explained, on a map;
    the recommendations sent for it; and (officers) a status move and a new recommendation link.
    """
    language = page_lang(lang)
    viewer = viewer_of(user)
    record = req_service.get_requirement(conn, requirement_id, viewer)
    result, error = None, None
    try:
        result = match_service.match_record(
            conn,
            record,
            limit=limit,
            near_miss_limit=near_miss_limit,
            margin_pct=margin_pct,
            districts=match_service.match_scope(conn, viewer),
        )
    except InvalidInput as e:  # a stored row that no longer validates: say so, show the rest
        error = e.public_message
    features = match_service.result_outlines(conn, result) if result else []
    chosen = basemaps.choose(settings.map, basemap)
    extent = tile_service.map_extent(conn)
    land = (
        tile_service.reference_layer(conn, "jurisdiction", zoom=12, bbox=extent)
        if chosen.offline
        else None
    )
    m = match_map.match_map(
        features=features, basemap=chosen, land=land, fallback_bounds=extent, lang=language
    )
    live = _live_context(conn, record, viewer)
    title = record["project_name"] or f"#{requirement_id}"
    config = _config(
        request,
        user,
        language,
        requirementId=requirement_id,
        version=record["version"],  # sent back as If-Match by the change and status forms
        titleZh=f"{title} — 推荐资源",
        # the project name is Chinese text: the English default names the need instead
        titleEn=f"Recommended sites: {record['need_label']['en']}",
        pollSeconds=POLL_SECONDS,
    )
    return render_page(
        request,
        "requirement.html",
        {
            "lang": language,
            "ui": i18n.UI,
            "vocab": vocab,
            "user": user,
            "can_write": _can_write(user),
            "record": record,
            "summary": requirement_form.summary(record, language),
            "sections": requirement_form.SECTIONS,
            "form_values": requirement_form.form_values(record),
            "choices": tile_service.filter_choices(conn),
            "result": result,
            "error": error,
            "margin_pct": result.margin_pct if result else margin_pct,
            "limit": limit,
            "near_miss_limit": near_miss_limit,
            "max_limit": MAX_LIMIT,
            "max_margin": MAX_MARGIN_PCT,
            **live,
            **_referral_context(conn, record, viewer),
            "map_parts": officer_map.render_parts(m, request.state.csp_nonce),
            "other_lang_url": other_lang_url(request, language),
            "config": config,
            "js": assets.asset_url(JS),
            "api_js": assets.asset_url("gis_api"),
        },
    )


def _referral_context(conn: ConnDep, record: dict[str, Any], viewer: Any) -> dict[str, Any]:
    """The referral part of a requirement's page: for its own district the referrals made and
    their outcome, and the districts it may still go to; for a district it was referred to,
    that referral (from whom, the note) and the match against its own sites."""
    referrals = referral_service.referrals_of(conn, record["id"], viewer)
    own = referral_service.refers(conn, record, viewer)
    return {
        "referrals": referrals if own else [],
        "incoming": None if own else next(iter(referrals), None),
        "owns": own,
        "refer_choices": referral_service.refer_choices(conn, record) if own else [],
        "receiver_moves": referral_service.RECEIVER_MOVES,
        "referrer_moves": referral_service.REFERRER_MOVES,
    }


def _live_context(conn: ConnDep, record: dict[str, Any], viewer: Any) -> dict[str, Any]:
    """What the live parts of a requirement's page show (``_requirement_live.html``)."""
    _, recs = rec_service.list_recommendations(
        conn, viewer, requirement_id=record["id"], limit=RECOMMENDATIONS_SHOWN
    )
    since = answer_service.new_since(conn, record["id"])
    return {
        "recommendations": recs,
        "links": link_service.links_of(conn, [r["id"] for r in recs], viewer),
        "allowed_next": rec_service.allowed_moves(record["status"]),
        "new_answers": answer_service.unseen_counts(conn, [record["id"]]).get(record["id"], 0),
        "is_new": lambda created_at: answer_service.is_new(created_at, since),
    }


@router.get("/requirements/{requirement_id}/live", response_class=HTMLResponse, dependencies=[PAGE])
def requirement_live(
    request: Request,
    requirement_id: IdPath,
    conn: ConnDep,
    user: CurrentUser,
    lang: str | None = None,
) -> HTMLResponse:
    """The parts of a requirement's page that change while it is open (its status, the
    recommendations, links and answers), as HTML for the page's script to swap in."""
    viewer = viewer_of(user)
    record = req_service.get_requirement(conn, requirement_id, viewer)
    return render_page(
        request,
        "requirement_live.html",
        {
            "lang": page_lang(lang),
            "ui": i18n.UI,
            "vocab": vocab,
            "user": user,
            "can_write": _can_write(user),
            "record": record,
            "owns": referral_service.refers(conn, record, viewer),
            **_live_context(conn, record, viewer),
        },
    )
