"""Jinja2 templates shared by the HTML pages.

Which inline scripts may run is decided in the templates' source, not in the rendered page:
:class:`ScriptNonce` gives every ``<script`` tag written in a template file the request's CSP
nonce before the template is compiled. Values put into a page later (autoescaped, or Folium's
parts) never get one, so a stored ``</script><script>…`` cannot run even if it got through.
Folium's header gets the nonce from :func:`maps.parts.render_parts`; its set-up code goes into
a ``<script>`` element the template writes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2.ext import Extension

from maps.i18n import ADMIN_UI, IMPORT_UI, UI
from maps.parts import add_script_nonce

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"


@jinja2.pass_context
def csp_nonce(context: jinja2.runtime.Context) -> str:
    """The CSP nonce of the request a template is rendered for ("" without one)."""
    request = context.get("request")
    return str(getattr(getattr(request, "state", None), "csp_nonce", "") or "")


class ScriptNonce(Extension):
    """Adds ``nonce="{{ csp_nonce() }}"`` to each ``<script`` tag of a template's source."""

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        """The template source with its own script tags nonced (before compilation)."""
        return add_script_nonce(source, "{{ csp_nonce() }}")


@jinja2.pass_context
def session_csrf(context: jinja2.runtime.Context) -> str:
    """The CSRF token of the browser session a page is rendered for ("" without one), for the
    plain forms of the page (the log-out button)."""
    request = context.get("request")
    principal = getattr(getattr(request, "state", None), "principal", None)
    if request is None or principal is None:
        return ""
    return principal.csrf_token(request.app.state.secret_key) or ""


templates = Jinja2Templates(directory=str(TEMPLATE_DIR))
templates.env.add_extension(ScriptNonce)
templates.env.globals["csp_nonce"] = csp_nonce
templates.env.globals["session_csrf"] = session_csrf
templates.env.globals["LOGOUT"] = UI["logout"]
templates.env.globals["ADMIN_USERS"] = ADMIN_UI["users"]
templates.env.globals["IMPORTS"] = IMPORT_UI["imports"]


def page_lang(value: str | None) -> str:
    """The language a page is shown in: English when asked for, Chinese otherwise."""
    return "en" if value == "en" else "zh"


def other_lang_url(request: Request, language: str) -> str:
    """This page in the other language: the same path and query, ``lang`` switched."""
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    query.append(("lang", "en" if language == "zh" else "zh"))
    return request.url.path + "?" + urlencode(query)


def render_page(request: Request, name: str, context: dict[str, Any]) -> HTMLResponse:
    """Render template ``name`` as an HTML response; its own scripts carry the request's CSP
    nonce (:class:`ScriptNonce`), nothing the context brings in does."""
    body = templates.get_template(name).render({"request": request, **context})
    return HTMLResponse(body)
