"""The one table mapping domain errors to HTTP status codes."""

from __future__ import annotations

import logging
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from gis_app.domain import errors as e

log = logging.getLogger("gis_app.api")

STATUS: dict[type[e.GisAppError], int] = {
    e.NotFound: 404,
    e.LoadError: 422,
    e.UnknownVocabularyValue: 422,
    e.InvalidInput: 422,
    e.DatabaseUnavailable: 503,
    e.ProvisioningError: 503,
    e.NotAuthenticated: 401,
    e.Forbidden: 403,
    e.CsrfFailed: 403,
    e.RateLimited: 429,
    e.Conflict: 409,
    e.ConfigurationError: 500,
    # planners' workflow (issue 6); EditConflict and its kin are Conflicts (409)
    e.PreconditionRequired: 428,
    e.PreconditionFailed: 412,
    e.LockTimeout: 409,
    e.PayloadTooLarge: 413,
    # investor links (issue 5): unknown, expired and revoked tokens are all a plain 404
    e.LinkUnavailable: 404,
}


def status_for(exc: e.GisAppError) -> int:
    """HTTP status for a domain error (most specific class wins)."""
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500


def install(app: FastAPI) -> None:
    """Register the handler that turns domain errors into JSON responses."""

    @app.exception_handler(e.GisAppError)
    async def _handle(request: Request, exc: e.GisAppError) -> Response:
        status = status_for(exc)
        if (
            isinstance(exc, e.NotAuthenticated)
            and request.method == "GET"
            and "text/html" in request.headers.get("accept", "")
        ):
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
        headers = {}
        if isinstance(exc, e.RateLimited):
            headers["Retry-After"] = str(exc.retry_after_s)
        if isinstance(exc, e.NotAuthenticated):
            headers["WWW-Authenticate"] = "Bearer"
        if status >= 500:
            log.error(
                "%s %s failed: %r", request.method, request.url.path, exc, exc_info=exc.__cause__
            )
        return JSONResponse({"detail": exc.public_message}, status_code=status, headers=headers)
