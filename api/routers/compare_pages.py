"""Officers' comparison page: 2–4 sites side by side (``/compare?ids=3,8,12``), and the
configuration of the map page's result tools (compare ticks, exports, saved searches)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.auth import CurrentUser, Principal, allow
from api.deps import SEARCH_PARAMETERS, ConnDep, DbRoute
from api.templating import other_lang_url, page_lang, render_page, templates
from gis_app.domain import error_vocab, vocab
from gis_app.domain.errors import InvalidInput, NotFound
from gis_app.services import compare as compare_service
from maps import assets, i18n
from maps.style import AVAILABILITY_COLOURS

router = APIRouter(tags=["pages"], include_in_schema=False, route_class=DbRoute)
PAGE = allow("officer", "planner", "admin")

#: the words of the result tools, sent to the page script
TOOL_WORDS = (
    "compare",
    "add_to_compare",
    "open_compare",
    "clear",
    "compare_at_most",
    "compare_choose",
    "exporting",
    "export_done",
    "search_saved",
    "saved_searches",
    "no_saved_search",
    "delete",
    "sites_now",
    "search_alerts",
    "mark_seen",
    "open_sheet",
)


def result_tools_config(request: Request, user: Principal, lang: str) -> dict[str, Any]:
    """What the result tools' script needs: endpoints, words, the CSRF token, the roles."""
    return {
        "lang": lang,
        "csrfToken": user.csrf_token(request.app.state.secret_key),
        "officer": user.has("officer"),
        "maxCompare": compare_service.MAX_SITES,
        "endpoints": {
            "export": "/api/exports/sites",
            "savedSearches": "/api/saved-searches",
            "alerts": "/api/alerts",
            "alertSeen": "/api/alerts/{id}/seen",
            "compare": "/compare",
            "sheet": "/sites/{id}",
            "map": "/",
        },
        "searchParameters": sorted(SEARCH_PARAMETERS),
        "labels": {k: {"zh": i18n.UI[k].zh, "en": i18n.UI[k].en} for k in TOOL_WORDS},
    }


def result_tools(request: Request, user: Principal, lang: str) -> dict[str, Any]:
    """The result tools of a page (``_result_tools_scripts.html``): config, script, style."""
    return {
        "config": result_tools_config(request, user, lang),
        "js": assets.asset_url("gis_results"),
        "css": assets.asset_url("gis_results_css"),
    }


# the map page and the site sheet include the tools without their routes knowing of them
templates.env.globals["result_tools"] = result_tools


@router.get("/compare", response_class=HTMLResponse, dependencies=[PAGE])
def compare_page(
    request: Request,
    conn: ConnDep,
    user: CurrentUser,
    ids: str | None = None,
    lang: str | None = None,
) -> HTMLResponse:
    """2–4 sites side by side: every attribute by group, buildings, distances, overlaps, with
    the differences marked; printable. Bad ``ids`` get the page with the reason (422/404)."""
    language = page_lang(lang)
    comparison, error, status = None, None, 200
    try:
        comparison = compare_service.compare_sites(conn, compare_service.parse_ids(ids))
    except (InvalidInput, NotFound) as e:
        error = error_vocab.message(e.refusals[0])
        status = 404 if isinstance(e, NotFound) else 422
    response = render_page(
        request,
        "compare.html",
        {
            "lang": language,
            "ui": i18n.UI,
            "vocab": vocab,
            "user": user,
            "comparison": comparison,
            "error": error,
            "colours": AVAILABILITY_COLOURS,
            "blocking": vocab.BLOCKING_CONSTRAINT_KINDS,
            "other_lang_url": other_lang_url(request, language),
            "css": assets.asset_url("gis_sitemap_css"),
            "api_js": assets.asset_url("gis_api"),
        },
    )
    response.status_code = status
    return response
