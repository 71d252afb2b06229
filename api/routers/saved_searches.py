"""Officers' saved searches of the map: save the current search (the query of
``GET /api/sites``, drawn area included) under a name, list and delete them. The database
alerts the officer when a site newly enters one (``GET /api/alerts?source=saved_search``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response
from pydantic import Field

from api.auth import CurrentUser, allow
from api.deps import SEARCH_PARAMETERS, ConnDep, DbRoute, SiteFilterDep
from api.schemas import StrictModel
from gis_app.domain.errors import InvalidInput
from gis_app.services import saved_searches as saved_service

router = APIRouter(prefix="/api/saved-searches", tags=["saved searches"], route_class=DbRoute)
OFFICER = allow("officer")


class SavedSearchBody(StrictModel):
    """The name of the search to save; the search itself is the query of the request."""

    name: str = Field(min_length=1, max_length=saved_service.MAX_NAME)


@router.post("", status_code=201, dependencies=[OFFICER])
def save_search(
    request: Request, body: SavedSearchBody, flt: SiteFilterDep, conn: ConnDep, user: CurrentUser
) -> dict[str, Any]:
    """Save the search given as query parameters (those of ``GET /api/sites``: filters and
    drawn area) under ``name``; the sites it holds now raise no alert, a site that newly
    enters it later does."""
    query = request.query_params.multi_items()
    unknown = sorted({k for k, _ in query} - SEARCH_PARAMETERS)
    if unknown:
        raise InvalidInput(
            f"query.{unknown[0]}: not a search parameter of GET /api/sites "
            f"(unknown: {', '.join(u[:40] for u in unknown[:5])})",
            code="not_a_search_parameter",
            params={"value": unknown[0][:40]},
        )
    return saved_service.save(conn, user.username, body.name, query, flt)


@router.get("", dependencies=[OFFICER])
def list_searches(conn: ConnDep, user: CurrentUser) -> list[dict[str, Any]]:
    """The caller's saved searches by name: the query to open on the map, the sites each
    holds now and its unseen alerts."""
    return saved_service.list_saved(conn, user.username)


@router.delete("/{search_id}", status_code=204, dependencies=[OFFICER])
def delete_search(
    search_id: Annotated[int, Path(ge=1, le=2**63 - 1)], conn: ConnDep, user: CurrentUser
) -> Response:
    """Delete one of the caller's saved searches (its alerts go with it)."""
    saved_service.delete(conn, search_id, user.username)
    return Response(status_code=204)
