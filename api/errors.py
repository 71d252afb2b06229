"""The one table mapping domain errors to HTTP status codes."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from gis_app.domain import errors as e

log = logging.getLogger("gis_app.api")

STATUS: dict[type[e.GisAppError], int] = {
    e.NotFound: 404,
    e.LoadError: 422,
    e.UnknownVocabularyValue: 422,
    e.InvalidInput: 422,
    e.DatabaseUnavailable: 503,
    e.ProvisioningError: 503,
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
    async def _handle(request: Request, exc: e.GisAppError) -> JSONResponse:
        status = status_for(exc)
        if status >= 500:
            log.error(
                "%s %s failed: %r", request.method, request.url.path, exc, exc_info=exc.__cause__
            )
        return JSONResponse({"detail": exc.public_message}, status_code=status)
