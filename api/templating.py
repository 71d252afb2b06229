"""Jinja2 templates shared by the HTML pages."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from api.security import add_csp_nonce

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
templates = Jinja2Templates(directory=str(TEMPLATE_DIR))


def page_lang(value: str | None) -> str:
    """The language a page is shown in: English when asked for, Chinese otherwise."""
    return "en" if value == "en" else "zh"


def other_lang_url(request: Request, language: str) -> str:
    """This page in the other language: the same path and query, ``lang`` switched."""
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    query.append(("lang", "en" if language == "zh" else "zh"))
    return request.url.path + "?" + urlencode(query)


def render_page(request: Request, name: str, context: dict) -> HTMLResponse:
    """Render template ``name`` as an HTML response carrying the request's CSP nonce."""
    body = templates.get_template(name).render({"request": request, **context})
    return HTMLResponse(add_csp_nonce(body, request.state.csp_nonce))
