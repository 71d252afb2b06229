"""HTML pages for officers, planners and admins: the site map and a site's sheet."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse
from starlette.routing import NoMatchFound

from api.auth import CurrentUser, allow, allow_anonymous
from api.deps import ConnDep, DbRoute, SettingsDep
from api.project_deps import today
from api.templating import other_lang_url, page_lang, render_page
from gis_app.domain import vocab
from gis_app.domain.filters import SEARCH_PARAMETERS, SEARCH_SECTIONS
from gis_app.domain.vocab import Term
from gis_app.services import attachments as attachment_service
from gis_app.services import districts as district_service
from gis_app.services import projects as project_service
from gis_app.services import site_sheet as sheet_service
from gis_app.services import tiles as tile_service
from maps import assets, basemaps, i18n, officer_map, sheet_map
from maps.style import AVAILABILITY_COLOURS

router = APIRouter(tags=["pages"], include_in_schema=False, route_class=DbRoute)
PAGE = allow("officer", "planner", "admin")

ENDPOINTS = {
    "sites": "/api/sites",
    "site": "/api/sites/{id}",
    "tiles": "/tiles/sites/{z}/{x}/{y}.pbf",
    "layers": "/tiles/layers/{layer}.geojson",
    "sheet": "/sites/{id}",
}
# Endpoints (by route name) of other parts of the app the sheet's buttons call, if installed:
# GET open requirements a site meets; POST a new recommendation; GET one recommendation.
MATCH_ROUTE = "matching_requirements"
RECOMMEND_ROUTE = "create_recommendation"
RECOMMENDATION_ROUTE = "get_recommendation"
REQUIREMENT_PAGE_ROUTE = "requirement_page"


def _url_for(request: Request, name: str, **params: object) -> str | None:
    try:
        return str(request.app.url_path_for(name, **params))
    except NoMatchFound:
        return None


def _layer_names(offered: list[basemaps.Basemap]) -> dict[str, dict[str, str]]:
    terms = [b.name for b in offered] + [
        i18n.UI[k] for k in ("sites_layer", "jurisdiction", "infrastructure", "other_zones")
    ]
    terms += [vocab.CONSTRAINT_KIND.term(k) for k in officer_map.ZONE_TOGGLES]
    out: dict[str, dict[str, str]] = {}
    for t in terms:
        out[t.zh] = out[t.en] = {"zh": t.zh, "en": t.en}
    return out


#: sections of the map's search form open when the page opens (the others fold)
OPEN_SECTIONS = ("identity", "size")


def _search_sections() -> list[dict[str, object]]:
    """The map's search form: every search parameter (but the map window), by section."""
    return [
        {
            "key": key,
            "zh": zh,
            "en": en,
            "open": key in OPEN_SECTIONS,
            "params": [p for p in SEARCH_PARAMETERS if p.section == key and p.control != "view"],
        }
        for key, (zh, en) in SEARCH_SECTIONS.items()
    ]


def _search_parameter_labels() -> list[dict[str, str]]:
    """What the page's script knows of each search parameter: name, control and labels."""
    return [
        {"name": p.name, "control": p.control, "zh": p.zh, "en": p.en} for p in SEARCH_PARAMETERS
    ]


@router.get("/favicon.ico", dependencies=[allow_anonymous()])
def favicon() -> FileResponse:
    """The app's icon (browsers ask for it on every page, the login page included)."""
    return FileResponse(
        assets.STATIC_DIR / "favicon.svg",
        media_type="image/svg+xml",
        headers={"Cache-Control": "public, max-age=86400"},
    )


@router.get("/", response_class=HTMLResponse, dependencies=[PAGE])
@router.get("/map", response_class=HTMLResponse, dependencies=[PAGE])
def map_page(
    request: Request,
    conn: ConnDep,
    settings: SettingsDep,
    user: CurrentUser,
    basemap: str | None = None,
    lang: str | None = None,
) -> HTMLResponse:
    """Show the site map: filters, results list, sites by viewport, basemaps, layers."""
    language = page_lang(lang)
    offered = basemaps.available(settings.map)
    chosen = basemaps.choose(settings.map, basemap)
    m = officer_map.site_map(
        basemap=chosen,
        offered=offered,
        bounds=tile_service.map_extent(conn),
        lang=language,
        options={
            "endpoints": ENDPOINTS,
            "listPageSize": settings.map.list_page_size,
            "layerNames": _layer_names(offered),
            "searchParameters": _search_parameter_labels(),
            # the popup names a site's district (a vocabulary read from the database)
            "districts": district_service.script_labels(conn),
        },
    )
    choices = tile_service.filter_choices(conn)
    return render_page(
        request,
        "map.html",
        {
            "map_parts": officer_map.render_parts(m, request.state.csp_nonce),
            "lang": language,
            "ui": i18n.UI,
            "vocab": vocab,
            "colours": AVAILABILITY_COLOURS,
            "choices": choices,
            "names_en": tile_service.english_names(conn, choices) if language == "en" else {},
            "land_use_options": i18n.land_use_options(),
            "districts": district_service.site_districts(conn),
            "search_sections": _search_sections(),
            "user": user,
        },
    )


@dataclass(frozen=True)
class _Action:
    id: str
    label: Term
    enabled: bool
    why: str = ""


@router.get("/sites/{site_id}", response_class=HTMLResponse, dependencies=[PAGE])
def site_page(
    request: Request,
    site_id: int,
    conn: ConnDep,
    settings: SettingsDep,
    user: CurrentUser,
    basemap: str | None = None,
    lang: str | None = None,
) -> HTMLResponse:
    """Show everything about one site: map, attributes, buildings, overlaps, history."""
    language = page_lang(lang)
    sheet = sheet_service.site_sheet(conn, site_id)
    chosen = basemaps.choose(settings.map, basemap)
    x0, y0, x1, y1 = sheet.bounds
    pad = max(x1 - x0, y1 - y0, 0.01)
    land = (
        tile_service.reference_layer(
            conn, "jurisdiction", zoom=14, bbox=(x0 - pad, y0 - pad, x1 + pad, y1 + pad)
        )
        if chosen.offline
        else None
    )
    feature = {
        "type": "Feature",
        "geometry": sheet.geometry,
        "properties": {
            "id": sheet.id,
            "code": sheet.code,
            "name_zh": sheet.name_zh,
            "kind": sheet.record["kind"],
            "availability": sheet.record["availability"],
        },
    }
    m = sheet_map.sheet_map(
        site=feature,
        bounds=sheet.bounds,
        overlaps=sheet.overlaps,
        distances=sheet.distances,
        basemap=chosen,
        land=land,
        lang=language,
    )
    ui = i18n.UI
    match_url = _url_for(request, MATCH_ROUTE, site_id=site_id)
    recommend_url = _url_for(request, RECOMMEND_ROUTE)
    recommendation_url = _url_for(request, RECOMMENDATION_ROUTE, recommendation_id=0)
    match_ok = match_url is not None
    rec_ok = recommend_url is not None and recommendation_url is not None
    actions = [
        _Action(
            "gis-start-match",
            ui["start_match"],
            match_ok,
            "" if match_ok else "matching is not installed in this app",
        ),
        _Action(
            "gis-add-recommendation",
            ui["add_to_recommendation"],
            rec_ok,
            "" if rec_ok else "recommendations are not installed in this app",
        ),
    ]
    csrf = user.csrf_token(request.app.state.secret_key)
    sheet_config = {
        "lang": language,
        "siteId": sheet.id,
        "matchUrl": match_url,
        "recommendUrl": recommend_url,
        "recommendationUrl": (recommendation_url or "").removesuffix("/0") + "/{id}",
        "linksUrl": (recommendation_url or "").removesuffix("/0") + "/{id}/links",
        "requirementPageUrl": (
            (_url_for(request, REQUIREMENT_PAGE_ROUTE, requirement_id=0) or "").removesuffix("/0")
            + "/{id}"
        ),
        "csrfToken": csrf,
        "titleZh": f"推荐：{sheet.name_zh}",
        "titleEn": f"Recommendation: {sheet.name('en')}",
        "labels": i18n.ui_labels(),
        "requirementStatus": i18n.vocab_labels()["requirement_status"],
    }
    return render_page(
        request,
        "site_sheet.html",
        {
            "map_parts": officer_map.render_parts(m, request.state.csp_nonce),
            "sheet": sheet,
            "site": sheet.record,
            "lang": language,
            "ui": ui,
            "vocab": vocab,
            "vocab_title": {n: Term(n, v.zh, v.en) for n, v in vocab.VOCABULARIES.items()},
            "blocking": vocab.BLOCKING_CONSTRAINT_KINDS,
            "colours": AVAILABILITY_COLOURS,
            "actions": actions,
            "back_url": "/?" + urlencode({"lang": language}),
            "other_lang_url": other_lang_url(request, language),
            "user": user,
            # the projects that took the site, with their stage (issue 27)
            "site_projects": project_service.projects_of_site(conn, site_id, today()),
            "csrf_token": csrf,
            "sheet_config": sheet_config,
            "sheet_js": assets.asset_url("gis_sheet"),
            "file_buildings": attachment_service.building_choices(conn, site_id),
            "api_js": assets.asset_url("gis_api"),
        },
    )
