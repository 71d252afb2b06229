"""The officers' dashboard: charts drawn in the browser from ``/api/stats/…`` and a block map."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from api.auth import CurrentUser, allow
from api.deps import DbRoute, ReadConnDep
from api.templating import page_lang, render_page
from gis_app.domain import vocab
from gis_app.domain.vocab import Term
from gis_app.services import districts as district_service
from gis_app.services import stats
from maps import assets
from maps.availability_map import block_availability_map
from maps.officer_map import render_parts

router = APIRouter(tags=["pages"], include_in_schema=False, route_class=DbRoute)
PAGE = allow("officer", "planner", "admin")

CHART_JS = "vendor/chart.js@4.5.1/dist/chart.umd.min.js"
DASHBOARD_JS = "js/dashboard.js"

#: the page's own words (vocabulary labels come from gis_app.domain)
WORDS: dict[str, Term] = {
    t.key: t
    for t in (
        Term("title", "资源统计看板", "Inventory dashboard"),
        Term("map_link", "资源地图", "Site map"),
        Term("language", "English", "中文"),
        Term("kpi_available_mu", "可招商土地（亩）", "Available land (mu)"),
        Term("kpi_vacant_gfa", "空置建筑面积（㎡）", "Vacant floor area (m²)"),
        Term("kpi_available_sites", "可招商资源（处）", "Available sites"),
        Term("kpi_stale", "过期记录（处）", "Stale records"),
        Term("kpi_requirements", "在册项目需求", "Requirements on file"),
        Term("available", "可招商土地与空置建筑面积", "Available land and vacant floor area"),
        Term("pipeline", "土地供应进度", "Land pipeline"),
        Term("blockers", "各区块受阻原因（亩）", "What blocks each block (mu)"),
        Term(
            "stuck",
            "项目滞后的地块（开工、达效滞后）",
            "Sites whose projects are behind (start, output)",
        ),
        Term("stuck_none", "没有滞后的项目", "No project is behind"),
        Term("readiness", "哪些区块可最快供地", "Which blocks could be supplied soonest"),
        Term("stale", "超期未核实的记录", "Records not verified recently"),
        Term("funnel", "项目推进漏斗", "Requirement funnel"),
        Term("funnel_time", "各阶段停留时间（天）", "Time spent in each stage (days)"),
        Term("map", "各区块可招商土地分布", "Available land by block"),
        Term("group_by", "分组", "Group by"),
        Term("days", "天数", "Days"),
        Term("officer", "招商专员", "Officer"),
        Term("block", "区块", "Block"),
        Term("apply", "更新", "Update"),
        Term("data", "数据表", "Data table"),
        Term("download", "下载", "Download"),
        Term("loading", "加载中…", "Loading…"),
        Term("failed", "数据加载失败", "Could not load the figures"),
        Term("oldest_first", "最久未核实的记录", "Oldest checks first"),
        Term("none", "不分组", "No grouping"),
        Term(
            "soon_note", "近期可供：剩余环节不超过", "Within reach: at most this many steps to go"
        ),
        Term("all_records", "全部记录", "All records"),
        Term("kpi_islands", "可招商海岛（亩）", "Available islands (mu)"),
        Term("kpi_shoreline", "可招商岸线（米）", "Available shoreline (m)"),
        Term(
            "not_enough_time",
            "数据不足：尚无停留满 1 天的已完成阶段，暂不绘制停留时间",
            "Not enough data yet: no completed stage lasted a day, so no times are drawn",
        ),
        Term("dropped_total", "已放弃（不计入漏斗）", "Dropped (outside the funnel)"),
        Term("districts", "各区县对比", "Districts side by side"),
        Term("city_scope", "全市", "Whole city"),
        Term("scope", "统计范围", "Scope"),
        Term("back_to_city", "返回全市", "Back to the whole city"),
        Term(
            "drill_note",
            "点击区县名称查看该区县的看板",
            "Click a district to see its own dashboard",
        ),
    )
}

ENDPOINTS = {
    "available": "/api/stats/available",
    "pipeline": "/api/stats/pipeline",
    "blockers": "/api/stats/blockers",
    "readiness": "/api/stats/readiness",
    "stale": "/api/stats/stale",
    "stuck": "/api/stats/stuck-projects",
    "funnel": "/api/stats/funnel",
    "districts": "/api/stats/districts",
}


def _choices(keys: tuple[str, ...]) -> list[dict[str, str]]:
    return [
        {"key": k, "zh": stats.DIMENSION_TERMS[k].zh, "en": stats.DIMENSION_TERMS[k].en}
        for k in keys
    ]


@router.get("/dashboard", response_class=HTMLResponse, dependencies=[PAGE])
def dashboard(
    request: Request,
    conn: ReadConnDep,
    user: CurrentUser,
    lang: str | None = None,
    days: int = stats.DEFAULT_STALE_DAYS,
    district_code: Annotated[list[str], Query()] = [],  # noqa: B006 - FastAPI copies defaults
) -> HTMLResponse:
    """Show the dashboard: available land, pipelines, blockers, stale records, funnel, map.

    Without ``district_code`` it covers the whole deployment (the city view) and shows the
    districts side by side, each linking to the dashboard of that district (``district_code``
    given: every figure, download and the map cover that district only)."""
    language = page_lang(lang)
    chosen = district_service.chosen_districts(conn, district_code)
    scope = stats.make_scope(districts=[t.key for t in chosen])
    blocks, outline = stats.availability_map_data(conn, scope)
    parts = render_parts(block_availability_map(blocks, outline, language), request.state.csp_nonce)
    config = {
        "lang": language,
        "endpoints": ENDPOINTS,
        "staleDays": days,
        "words": {k: {"zh": t.zh, "en": t.en} for k, t in WORDS.items()},
        # a list: the legend keeps the blockers' order (tojson sorts object keys)
        "blockers": [{"key": k, "zh": t.zh, "en": t.en} for k, t in stats.BLOCKERS.items()],
        "openStatuses": list(vocab.OPEN_REQUIREMENT_STATUSES),
        # the funnel chart shows these stages only; working statuses count in their stage
        "funnelStages": list(stats.FUNNEL_STAGES),
        "stageOf": stats.FUNNEL_STAGE_OF,
        # every figure (and its downloads) covers these districts: the page's drill-down
        "scope": {stats.DISTRICT_PARAMETER: [t.key for t in chosen]},
        "cityView": not chosen,
        "drillUrl": "/dashboard?" + urlencode({"lang": language, "days": days}),
    }
    other = "en" if language == "zh" else "zh"
    scope_query = [(stats.DISTRICT_PARAMETER, t.key) for t in chosen]
    context = {
        "lang": language,
        "w": WORDS,
        "user": user,
        "config": config,
        "map_parts": parts,
        "chart_js": assets.STATIC_URL + "/" + CHART_JS,
        "dashboard_js": assets.STATIC_URL + "/" + DASHBOARD_JS,
        "api_js": assets.asset_url("gis_api"),
        "available_by": _choices(stats.AVAILABLE_BY),
        "pipeline_by": _choices(stats.PIPELINE_BY),
        "funnel_by": _choices(stats.FUNNEL_BY),
        "stale_days": days,
        "other_lang_url": "/dashboard?"
        + urlencode([("lang", other), ("days", days), *scope_query]),
        "map_url": "/?" + urlencode([("lang", language), *scope_query]),
        "districts": chosen,
        "city_url": "/dashboard?" + urlencode({"lang": language, "days": days}),
    }
    return render_page(request, "dashboard.html", context)
