"""Liveness and readiness probes."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from api.auth import allow_anonymous
from api.deps import DbRoute
from gis_app.domain.errors import DatabaseUnavailable
from gis_app.services.health import check_ready

router = APIRouter(tags=["health"], route_class=DbRoute)


@router.get("/healthz", dependencies=[allow_anonymous()])
def healthz() -> dict[str, str]:
    """Report that the process is up."""
    return {"status": "ok"}


@router.get("/readyz", dependencies=[allow_anonymous()])
def readyz(request: Request) -> JSONResponse:
    """Report whether the database is reachable and migrated to head (and, with a hot
    standby, its replication lag in bytes and seconds and whether reads go there)."""
    try:
        facts = check_ready(request.app.state.health_engine)
    except DatabaseUnavailable as e:
        return JSONResponse({"status": "unavailable", "detail": e.public_message}, status_code=503)
    if (reads := request.app.state.reads) is not None:
        # the hot standby: whether reads go there, and how far behind the primary it is
        facts = {**facts, "standby": reads.detail()}
    return JSONResponse({"status": "ok", **facts})
