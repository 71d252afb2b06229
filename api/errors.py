"""The one table mapping domain errors to HTTP status codes."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import Scope

from gis_app.domain import error_vocab
from gis_app.domain import errors as domain_errors
from gis_app.domain.error_vocab import Problem

log = logging.getLogger("gis_app.api")

STATUS: dict[type[domain_errors.GisAppError], int] = {
    domain_errors.NotFound: 404,
    domain_errors.LoadError: 422,
    domain_errors.UnknownVocabularyValue: 422,
    domain_errors.InvalidInput: 422,
    domain_errors.DatabaseUnavailable: 503,
    domain_errors.ProvisioningError: 503,
    domain_errors.NotAuthenticated: 401,
    domain_errors.Forbidden: 403,
    domain_errors.CsrfFailed: 403,
    domain_errors.RateLimited: 429,
    domain_errors.Conflict: 409,
    domain_errors.ConfigurationError: 500,
    # planners' workflow; EditConflict and its kin are Conflicts (409)
    domain_errors.PreconditionRequired: 428,
    domain_errors.PreconditionFailed: 412,
    domain_errors.LockTimeout: 409,
    domain_errors.PayloadTooLarge: 413,
    # investor links: unknown, expired and revoked tokens are all a plain 404
    domain_errors.LinkUnavailable: 404,
}


def status_for(exc: domain_errors.GisAppError) -> int:
    """HTTP status for a domain error (most specific class wins)."""
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500


#: what the database driver raises when the server is down, restarting or unreachable, or a
#: pool wait ran out: the request did not happen, and retrying later is the right answer
DATABASE_DOWN: tuple[type[Exception], ...] = (
    sa.exc.OperationalError,
    sa.exc.InterfaceError,
    sa.exc.TimeoutError,
)
DATABASE_DOWN_MESSAGE = "the database is unavailable; retry shortly / 数据库暂时不可用，请稍后重试"


def as_domain_error(exc: Exception) -> domain_errors.GisAppError | None:
    """The domain error a database failure stands for (None for other errors)."""
    if isinstance(exc, domain_errors.GisAppError):
        return exc
    if isinstance(exc, sa.exc.TimeoutError):
        return domain_errors.DatabaseBusy(DATABASE_DOWN_MESSAGE, retry_after_s=2)
    if isinstance(exc, DATABASE_DOWN) or (
        isinstance(exc, sa.exc.DBAPIError) and exc.connection_invalidated
    ):
        return domain_errors.DatabaseUnavailable(DATABASE_DOWN_MESSAGE)
    return None


def _wants_page(request: Request) -> bool:
    return request.method == "GET" and "text/html" in request.headers.get("accept", "")


def unavailable_response(request: Request, exc: domain_errors.DatabaseUnavailable) -> Response:
    """503 with ``Retry-After``: JSON for the API, a readable bilingual page for browsers."""
    headers = {"Retry-After": str(exc.retry_after_s), "Cache-Control": "no-store"}
    if _wants_page(request):
        from api.templating import templates

        body = templates.get_template("unavailable.html").render(
            {
                "request": request,
                "busy": isinstance(exc, domain_errors.DatabaseBusy),
                "retry": True,
                "retry_after": max(exc.retry_after_s, 5),
                # the same page again; never a link to another host ("//host/…")
                "again": "/"
                + request.url.path.lstrip("/")
                + (f"?{request.url.query}" if request.url.query else ""),
            }
        )
        return HTMLResponse(body, status_code=503, headers=headers)
    return JSONResponse(error_body(exc), status_code=503, headers=headers)


#: refusals of a page request that a browser gets as a page (others stay JSON)
_PAGE_STATUSES = frozenset({403, 404, 409, 422})
_TITLES = {
    403: ("无权访问", "Not allowed"),
    404: ("未找到", "Not found"),
    409: ("无法完成", "Cannot be done"),
    422: ("无法完成", "Cannot be done"),
}


def error_page(request: Request, exc: domain_errors.GisAppError, status: int) -> HTMLResponse:
    """A refused page request as a page: the message in the page's language (``?lang=``)."""
    from api.templating import page_lang, templates

    zh, en = _TITLES[status]
    body = templates.get_template("error_page.html").render(
        {
            "request": request,
            "lang": page_lang(request.query_params.get("lang")),
            "title": {"zh": zh, "en": en},
            "home": {"zh": "返回地图", "en": "Back to the map"},
            "message": error_vocab.message(exc.refusals[0]),
        }
    )
    return HTMLResponse(body, status_code=status)


# --- the error body: English detail, stable code, field and the message in both languages --------


def _entry(problem: Problem, loc: list[str | int] | None = None) -> dict[str, Any]:
    return {
        "loc": loc if loc is not None else ([problem.field] if problem.field else []),
        "msg": problem.detail,
        "type": problem.code,
        "code": problem.code,
        "field": problem.field,
        "message": error_vocab.message(problem),
    }


def error_body(exc: domain_errors.GisAppError) -> dict[str, Any]:
    """The :class:`api.schemas.ErrorBody` of a domain error.

    ``code``/``field``/``message`` are those of its first problem (the one a page shows when it
    shows one); ``errors`` lists every problem, each with its own field and message.
    """
    refusals = exc.refusals
    first = refusals[0]
    return {
        "detail": exc.public_message,
        "code": first.code,
        "field": first.field,
        "message": error_vocab.message(first),
        "errors": [_entry(p) for p in refusals],
    }


def install(app: FastAPI) -> None:
    """Register the handlers that turn domain and database errors into responses."""

    @app.exception_handler(sa.exc.SQLAlchemyError)
    async def _handle_db(request: Request, exc: sa.exc.SQLAlchemyError) -> Response:
        domain = as_domain_error(exc)
        if domain is None:
            raise exc
        log.warning("%s %s: database unavailable: %s", request.method, request.url.path, exc)
        return unavailable_response(request, domain)  # type: ignore[arg-type]

    @app.exception_handler(domain_errors.GisAppError)
    async def _handle(request: Request, exc: domain_errors.GisAppError) -> Response:
        status = status_for(exc)
        if (
            isinstance(exc, domain_errors.NotAuthenticated)
            and request.method == "GET"
            and "text/html" in request.headers.get("accept", "")
        ):
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
        if isinstance(exc, domain_errors.DatabaseUnavailable):
            return unavailable_response(request, exc)
        if _wants_page(request) and status in _PAGE_STATUSES:
            return error_page(request, exc, status)
        headers = {}
        if isinstance(exc, domain_errors.RateLimited):
            headers["Retry-After"] = str(exc.retry_after_s)
        if isinstance(exc, domain_errors.NotAuthenticated):
            headers["WWW-Authenticate"] = "Bearer"
        if status >= 500:
            log.error(
                "%s %s failed: %r", request.method, request.url.path, exc, exc_info=exc.__cause__
            )
        return JSONResponse(error_body(exc), status_code=status, headers=headers)


# --- refused requests: validation errors and HTTP errors of the framework ----------------------
# Every 4xx/5xx body is api.schemas.ErrorBody: {"detail": str, "errors": [...] (optional)}.


def validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    """The refused parameters and fields of ``exc`` as plain ``{loc, msg, type}`` entries."""
    out = []
    for err in exc.errors():
        loc = [p if isinstance(p, int | str) else str(p) for p in err.get("loc", ())]
        msg = str(err.get("msg", ""))
        entry = _entry(error_vocab.problem_from_pydantic(err, msg), loc)
        entry["type"] = str(err.get("type", ""))
        out.append(entry)
    return out


def validation_problems(exc: RequestValidationError) -> list[Problem]:
    """The refused parameters and fields of ``exc`` as problems of the error vocabulary."""
    return [error_vocab.problem_from_pydantic(err, str(err.get("msg", ""))) for err in exc.errors()]


def validation_body(errors: list[dict[str, Any]]) -> dict[str, Any]:
    """The :class:`api.schemas.ErrorBody` of refused parameters or fields (``errors`` as made
    by :func:`validation_errors`); code, field and message are those of the first."""
    first = errors[0] if errors else None
    return {
        "detail": validation_detail(errors),
        "code": first["code"] if first else "invalid_input",
        "field": first["field"] if first else None,
        "message": first["message"] if first else error_vocab.message(Problem("invalid_input")),
        "errors": errors,
    }


def validation_detail(errors: list[dict[str, Any]]) -> str:
    """One readable line naming every refused parameter or field."""
    parts = [f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in errors]
    return "; ".join(parts) or "invalid request"


def allowed_methods(app: FastAPI, scope: Scope) -> list[str]:
    """Every method some route serves at the request's path (for ``Allow`` on 405)."""
    from api.auth import iter_api_routes

    probe = {**scope, "type": "http"}
    methods: set[str] = set()
    for route in iter_api_routes(app):
        match, _ = route.matches(probe)
        if match != Match.NONE:
            methods |= route.methods or set()
    return sorted(methods)


def install_request_errors(app: FastAPI) -> None:
    """Register the handlers of refused requests, so that their bodies are ErrorBody too."""

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        return JSONResponse(validation_body(validation_errors(exc)), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            # Starlette names only the methods of the first route matching the path
            headers["Allow"] = ", ".join(allowed_methods(request.app, request.scope))
        if exc.status_code in (204, 304) or exc.status_code < 200:
            return Response(status_code=exc.status_code, headers=headers)
        return JSONResponse(http_error_body(exc), status_code=exc.status_code, headers=headers)


def http_error_body(exc: StarletteHTTPException) -> dict[str, Any]:
    """The :class:`api.schemas.ErrorBody` of an HTTP error of the framework."""
    code = HTTP_CODES.get(exc.status_code, "error")
    return error_body(domain_errors.GisAppError(str(exc.detail), code=code))


#: codes of the error vocabulary for the framework's own HTTP errors
HTTP_CODES: dict[int, str] = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}
