"""The admins' users page: create users, set their roles, disable or enable them, reset
passwords, and see (and revoke) every API token.

The page reads through :mod:`gis_app.services.accounts`; what it changes goes through the JSON
API of :mod:`api.routers.auth` (``/api/users``, ``/api/tokens``) from the page's script with the
session's CSRF header, so a refusal reads the same in the browser as over the API.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.auth import CurrentUser, allow
from api.deps import ConnDep, DbRoute
from api.templating import other_lang_url, page_lang, render_page
from gis_app.domain import vocab
from gis_app.services import accounts
from gis_app.services import districts as district_service
from maps import assets, i18n

router = APIRouter(tags=["pages"], include_in_schema=False, route_class=DbRoute)


@router.get("/admin/users", response_class=HTMLResponse, dependencies=[allow("admin")])
def users_page(
    request: Request, conn: ConnDep, user: CurrentUser, lang: str | None = None
) -> HTMLResponse:
    """List users with their roles and state, and every API token (never a secret)."""
    language = page_lang(lang)
    words = {**i18n.ADMIN_UI}
    districts = district_service.home_districts(conn)
    config = {
        "lang": language,
        "csrfToken": user.csrf_token(request.app.state.secret_key),
        "me": user.username,
        "labels": {k: {"zh": t.zh, "en": t.en} for k, t in words.items()},
        "endpoints": {
            "users": "/api/users",
            "user": "/api/users/{name}",
            "reset": "/api/users/{name}/reset-password",
            "token": "/api/tokens/{id}",
        },
    }
    return render_page(
        request,
        "admin_users.html",
        {
            "lang": language,
            "w": words,
            "ui": i18n.UI,
            "user": user,
            "roles": list(vocab.ROLE),
            "districts": districts,
            "default_district": district_service.first_district(conn),
            "users": accounts.list_users(conn),
            "tokens": accounts.list_tokens(conn),
            "other_lang_url": other_lang_url(request, language),
            "config": config,
            "css": assets.asset_url("gis_sitemap_css"),
            "api_js": assets.asset_url("gis_api"),
            "js": assets.asset_url("gis_admin_users"),
        },
    )
