"""Investor pages: the anonymous capability URL ``/r/{token}`` (page, JSON, PDF, feedback).

Every response under ``/r/`` — pages, errors, 404s and 429s alike — carries
``Referrer-Policy: no-referrer`` (the token must not leak to another site through the Referer
header), ``X-Robots-Tag: noindex`` and ``Cache-Control: no-store``, and counts against a
per-client rate limit before the token is even looked at. Unknown, expired and revoked tokens
get the same 404 (same body, same headers). Only :mod:`gis_app.domain.public_schema` models are
serialised. GET changes nothing but the link's view counter; feedback is a POST carrying the
page's form token (a cross-site form cannot know it).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from json import JSONDecodeError
from typing import Annotated, Any, Literal
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse
from pydantic import Field, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.auth import allow_anonymous
from api.deps import ConnDep, DbRoute, ReadConnDep, SettingsDep
from api.errors import (
    DATABASE_DOWN,
    as_domain_error,
    error_body,
    http_error_body,
    status_for,
    unavailable_response,
    validation_detail,
    validation_errors,
    validation_problems,
)
from api.responses import file_response
from api.schemas import StrictModel
from api.templating import templates
from gis_app.domain import error_vocab, public_schema, vocab
from gis_app.domain.error_vocab import problem_from_pydantic
from gis_app.domain.errors import (
    CsrfFailed,
    DatabaseUnavailable,
    GisAppError,
    InvalidInput,
    LinkUnavailable,
    RateLimited,
)
from gis_app.domain.vocab import Term
from gis_app.services import attachments as attachment_service
from gis_app.services import brochure, investor_view
from gis_app.services import share_links as link_service
from gis_app.services.share_links import LinkContext, count_link_request
from maps import basemaps
from maps.investor_map import investor_map, render_parts
from maps.investor_map import legend as map_legend

#: headers of every response under /r/
HYGIENE: dict[str, str] = {
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow, noarchive",
    "Cache-Control": "no-store",
}
ROBOTS_TXT = "User-agent: *\nDisallow: /r/\nDisallow: /api/\n"
FEEDBACK_KINDS: tuple[str, ...] = ("interested", "not_suitable", "visit_request")


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _wants_json(request: Request) -> bool:
    return (
        request.url.path.endswith(".json")
        or request.query_params.get("format") == "json"
        or request.headers.get("content-type", "").startswith("application/json")
    )


def _message_page(
    request: Request, status: int, title: Term, text: str, lang: str | None = None
) -> HTMLResponse:
    token = request.path_params.get("token")
    back = f"/r/{quote(token, safe='')}" + (f"?lang={lang}" if lang else "") if token else None
    body = templates.get_template("investor_message.html").render(
        {"request": request, "title": title, "text": text, "lang": lang, "back": back}
    )
    return HTMLResponse(body, status_code=status)


def not_found_response(request: Request) -> Response:
    """The one 404 of /r/: the same for unknown, expired and revoked tokens."""
    if _wants_json(request):
        body = error_body(LinkUnavailable("not found / 链接无效"))
        return JSONResponse(body, status_code=404)
    body = templates.get_template("not_found.html").render(
        {"request": request, "ui": public_schema.ui}
    )
    return HTMLResponse(body, status_code=404)


def _error_response(request: Request, exc: GisAppError) -> Response:
    status = status_for(exc)
    if isinstance(exc, DatabaseUnavailable):
        return unavailable_response(request, exc)
    headers = {}
    if isinstance(exc, RateLimited):
        headers["Retry-After"] = str(exc.retry_after_s)
    if _wants_json(request) or (request.method != "POST" and status != 429):
        return JSONResponse(error_body(exc), status_code=status, headers=headers)
    title = public_schema.ui("too_many_title") if status == 429 else public_schema.ui("feedback")
    text = (
        public_schema.ui("too_many_text").zh + " " + public_schema.ui("too_many_text").en
        if status == 429
        else ""
    )
    if not text:  # the refusal in both languages, the page's first
        msg = error_vocab.message(exc.refusals[0])
        lang = request.query_params.get("lang") or "zh"
        text = f"{msg['en']} {msg['zh']}" if lang == "en" else f"{msg['zh']} {msg['en']}"
    resp = _message_page(request, status, title, text)
    resp.headers.update(headers)
    return resp


class InvestorRoute(DbRoute):
    """Route class of /r/: rate limit first, uniform 404, hygiene headers on every response."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """Wrap the route's handler."""
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                # the request is counted on the connection its endpoint then uses: one trip
                gate = request.app.state.db_gate
                settings = request.app.state.settings.links
                client = _client(request)
                async with gate.connection_with(
                    lambda conn: count_link_request(conn, client, settings)
                ) as (conn, _):
                    request.state.db_conn = conn
                    response = await original(request)
            except LinkUnavailable:
                response = not_found_response(request)
            except GisAppError as exc:
                response = _error_response(request, exc)
            except RequestValidationError as exc:
                # e.g. a NUL character in a field (api.schemas.refuse_nul), still with hygiene
                errors = validation_errors(exc)
                response = _error_response(
                    request,
                    InvalidInput(validation_detail(errors), refusals=validation_problems(exc)),
                )
            except DATABASE_DOWN as exc:
                response = unavailable_response(request, as_domain_error(exc))  # type: ignore[arg-type]
            except StarletteHTTPException as exc:
                response = JSONResponse(
                    http_error_body(exc), status_code=exc.status_code, headers=exc.headers
                )
            response.headers.update(HYGIENE)
            return response

        return handler


router = APIRouter(tags=["investor"], include_in_schema=False, route_class=InvestorRoute)
robots_router = APIRouter(include_in_schema=False, route_class=DbRoute)
ANYONE = allow_anonymous()


def _lang(link: LinkContext, requested: str | None) -> str:
    return requested if requested in ("zh", "en") else link.language


def _json(
    request: Request, link: LinkContext, view: public_schema.PublicRecommendation
) -> JSONResponse:
    data = view.model_dump(mode="json")
    data["feedback"] = {
        "url": f"/r/{request.path_params['token']}/feedback",
        "form_token": link_service.form_token(request.app.state.secret_key, link.token_hash),
        "kinds": [
            public_schema.label_of(vocab.FEEDBACK_KIND, k).model_dump()
            for k in vocab.FEEDBACK_KIND.keys
        ],
    }
    return JSONResponse(data)


def _link(conn: Any, reads: Any, token: str) -> tuple[LinkContext, Any]:
    """The live link, looked up on the primary, and the connection to read its pages on:
    ``reads`` (a hot standby's when one serves), or the primary's when the standby does not
    have the link yet (it was sent a moment ago; its recommendation came before it)."""
    link = link_service.resolve(conn, token)
    if reads is not conn:
        try:
            link_service.resolve(reads, token)
        except LinkUnavailable:
            reads = conn
    return link, reads


def _load(
    conn: Any, reads: Any, token: str
) -> tuple[LinkContext, public_schema.PublicRecommendation, Any]:
    """The live link, its public view and the connection it was read on (see :func:`_link`)."""
    link, reads = _link(conn, reads, token)
    view = investor_view.build_view(reads, link, file_base=f"/r/{quote(token, safe='')}/files")
    return link, view, reads


@robots_router.get("/robots.txt", response_class=PlainTextResponse, dependencies=[ANYONE])
def robots() -> PlainTextResponse:
    """Tell crawlers to keep out of investor links (and the API)."""
    return PlainTextResponse(ROBOTS_TXT)


@router.get("/r/{token}.json", dependencies=[ANYONE])
def link_json(token: str, request: Request, conn: ConnDep, reads: ReadConnDep) -> JSONResponse:
    """The recommendation as JSON (public fields only), for the investor's own systems."""
    link, view, reads = _load(conn, reads, token)
    link_service.record_view(conn, link)
    return _json(request, link, view)


@router.get("/r/{token}.pdf", dependencies=[ANYONE])
def link_pdf(
    token: str, conn: ConnDep, reads: ReadConnDep, settings: SettingsDep, lang: str | None = None
) -> Response:
    """The whole recommendation as a PDF, in the link's language (``lang`` to switch)."""
    link, view, reads = _load(conn, reads, token)
    pdf = brochure.recommendation_pdf(
        reads, link, view, _lang(link, lang), settings.links.pdf_font_path
    )
    link_service.record_view(conn, link)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": 'attachment; filename="recommendation.pdf"'},
    )


@router.get("/r/{token}/files/{attachment_id}", dependencies=[ANYONE])
def link_file(
    token: str, attachment_id: int, conn: ConnDep, reads: ReadConnDep, thumbnail: bool = False
) -> Response:
    """A photo or document of one of the link's sites that a planner marked public (the same
    404 as an unknown link for any other file)."""
    link, reads = _link(conn, reads, token)
    f = attachment_service.public_file(reads, link.recommendation_id, attachment_id, thumbnail)
    if f is None:
        raise LinkUnavailable("file not available")
    return file_response(f, private=False)


@router.get("/r/{token}/sites/{code}/brochure.pdf", dependencies=[ANYONE])
def link_brochure(
    token: str,
    code: str,
    conn: ConnDep,
    reads: ReadConnDep,
    settings: SettingsDep,
    lang: str | None = None,
) -> Response:
    """One site of the link as a one-page brochure (public fields, map, public photos)."""
    link, view, reads = _load(conn, reads, token)
    pdf = brochure.link_site_brochure(
        reads, link, view, code, _lang(link, lang), settings.links.pdf_font_path
    )
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": 'attachment; filename="site.pdf"'},
    )


@router.get("/r/{token}", response_class=HTMLResponse, dependencies=[ANYONE])
def link_page(
    token: str,
    request: Request,
    conn: ConnDep,
    reads: ReadConnDep,
    settings: SettingsDep,
    lang: str | None = None,
    format: str | None = None,
    sent: str | None = None,
) -> Response:
    """The investor's page: map, a sheet per site, PDF and JSON, answer forms."""
    link, view, reads = _load(conn, reads, token)
    if format == "json":
        link_service.record_view(conn, link)
        return _json(request, link, view)
    language = _lang(link, lang)
    other = "en" if language == "zh" else "zh"
    context = investor_view.map_context(reads, link)
    basemap = basemaps.choose(settings.map, None)
    nonce = request.state.csp_nonce
    parts = render_parts(investor_map(view, context, basemap, language), nonce)
    link_service.record_view(conn, link)
    body = templates.get_template("investor.html").render(
        {
            "request": request,
            "view": view,
            "lang": language,
            "other": other,
            "t": public_schema.ui_strings(language),
            "t_other": public_schema.ui_strings(other),
            "pick": public_schema.pick,
            "in_lang": public_schema.in_lang,
            "headline": public_schema.headline,
            "sheet_rows": public_schema.sheet_rows,
            "building_rows": public_schema.building_rows,
            "fmt": public_schema.fmt_num,
            "unit": public_schema.unit,
            "area_text": public_schema.area_text,
            "colon": "：" if language == "zh" else ": ",
            "token": quote(token, safe=""),
            "form_token": link_service.form_token(request.app.state.secret_key, link.token_hash),
            "feedback_kinds": [vocab.FEEDBACK_KIND.term(k) for k in FEEDBACK_KINDS],
            "sent": sent in vocab.FEEDBACK_KIND,
            "map": parts,
            "legend": map_legend(view, context, basemap, language),
            "nonce": nonce,
        }
    )
    # the template's own scripts carry the nonce (api.templating); the page is not nonced again
    return HTMLResponse(body)


class FeedbackIn(StrictModel):
    """An investor's answer: a site (by code) and interested / not suitable / visit, or a
    question (the site optional)."""

    site: Annotated[str, Field(max_length=64)] | None = None
    kind: Literal["interested", "not_suitable", "visit_request", "question"]
    reason: Annotated[str, Field(max_length=link_service.MAX_TEXT)] | None = None
    question: Annotated[str, Field(max_length=link_service.MAX_TEXT)] | None = None
    form_token: Annotated[str, Field(max_length=128)] = ""
    lang: Literal["zh", "en"] | None = None


def _same_origin(request: Request) -> bool:
    """False when the browser says the post comes from another site.

    The page's ``Referrer-Policy: no-referrer`` (which keeps the token out of every Referer)
    makes browsers send ``Origin: null`` with the page's own form, so ``null`` alone proves
    nothing; ``Sec-Fetch-Site`` is sent regardless of the referrer policy and decides when
    present. Without either (older browsers, scripts) the form token is the protection: a
    cross-site page cannot know it.
    """
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site in ("same-origin", "none")
    origin = request.headers.get("origin")
    if origin and origin != "null":
        return urlsplit(origin).netloc == request.headers.get("host", "")
    return True


async def _feedback_body(request: Request) -> tuple[FeedbackIn, bool]:
    ctype = request.headers.get("content-type", "")
    try:
        if ctype.startswith("application/json"):
            data = await request.json()
            is_form = False
        elif ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            data = {k: v for k, v in form.items() if isinstance(v, str)}
            is_form = True
        else:
            raise InvalidInput(
                "send the answer as JSON or as a form", code="unsupported_media_type"
            )
        if not isinstance(data, dict):
            raise InvalidInput(
                "the answer must be a JSON object", code="not_an_object", field="body"
            )
        return FeedbackIn.model_validate(data), is_form
    except JSONDecodeError:
        raise InvalidInput("the answer is not valid JSON", code="malformed_json") from None
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        detail = f"{where}: {first['msg']}"
        raise InvalidInput(detail, refusals=[problem_from_pydantic(first, detail)]) from None


@router.post("/r/{token}/feedback", dependencies=[ANYONE])
async def post_feedback(
    token: str, request: Request, conn: ConnDep, settings: SettingsDep
) -> Response:
    """Record an answer about one site (or a question) and tell the investor it arrived."""
    link = await run_in_threadpool(link_service.resolve, conn, token)
    body, is_form = await _feedback_body(request)
    if not _same_origin(request) or not link_service.form_token_ok(
        request.app.state.secret_key, link.token_hash, body.form_token
    ):
        raise CsrfFailed(
            "this form is not from the recommendation page; reload it and try again",
            code="form_not_from_page",
        )
    lang = body.lang or link.language
    receipt = await run_in_threadpool(
        lambda: link_service.record_feedback(
            conn,
            link,
            site_code=body.site,
            kind=body.kind,
            reason=body.reason,
            question=body.question,
            language=lang,
            settings=settings.links,
        )
    )
    if is_form:
        anchor = f"#site-{quote(body.site, safe='')}" if body.site else "#question"
        target = f"/r/{quote(token, safe='')}?lang={lang}&sent={body.kind}{anchor}"
        return RedirectResponse(target, status_code=303)
    return JSONResponse(receipt.model_dump(mode="json"), status_code=201)
