"""The planners' import page: upload a file, follow the import as it runs, read its report.

The page sends the file to ``POST /api/imports`` as a background job (``background=true``)
from its script with the session's CSRF header, polls ``GET /api/imports/jobs/{id}`` for the
phase and rows done, can cancel (``POST …/cancel``: the import rolls back), and shows the
per-row report at the end — the same report the API and ``gis-app import`` give. The import
template (``GET /api/exports/template``) is a link of the page.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.auth import CurrentUser, allow
from api.deps import DbRoute
from api.templating import other_lang_url, page_lang, render_page
from gis_app.domain import vocab
from gis_app.io.imports import LAYERS
from maps import assets, i18n

router = APIRouter(tags=["pages"], include_in_schema=False, route_class=DbRoute)


@router.get("/imports", response_class=HTMLResponse, dependencies=[allow("planner", "admin")])
def imports_page(request: Request, user: CurrentUser, lang: str | None = None) -> HTMLResponse:
    """The import form, its progress and its report."""
    language = page_lang(lang)
    words = i18n.IMPORT_UI
    terms = {
        **words,
        "see_fields": i18n.UI["see_fields"],
        **{f"status_{t.key}": t for t in vocab.IMPORT_JOB_STATUS},
        **{f"phase_{t.key}": t for t in vocab.IMPORT_PHASE},
    }
    config = {
        "lang": language,
        "csrfToken": user.csrf_token(request.app.state.secret_key),
        "labels": {k: {"zh": t.zh, "en": t.en} for k, t in terms.items()},
        "endpoints": {"imports": "/api/imports"},
    }
    return render_page(
        request,
        "imports.html",
        {
            "lang": language,
            "w": words,
            "ui": i18n.UI,
            "user": user,
            "layers": [(name, words[f"layer_{name}"]) for name in LAYERS],
            "other_lang_url": other_lang_url(request, language),
            "config": config,
            "css": assets.asset_url("gis_sitemap_css"),
            "api_js": assets.asset_url("gis_api"),
            "js": assets.asset_url("gis_imports"),
        },
    )
