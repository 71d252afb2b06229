"""Investor requirements: create, read, update, list, and match a saved one."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Path, Query, Response

from api.auth import CurrentUser, allow
from api.deps import ConnDep, DbRoute, viewer_of
from api.responses import fast_json
from gis_app.matching.spec import RequirementSpec, parse_weights
from gis_app.services import matching as match_service
from gis_app.services import requirements as req_service
from gis_app.services import site_edits as edits

router = APIRouter(prefix="/api/requirements", tags=["requirements"], route_class=DbRoute)
READ = allow("officer", "planner")
WRITE = allow("officer")
IdPath = Annotated[int, Path(ge=1, le=2**63 - 1)]
#: the ETag of the version the client read (``GET /api/requirements/{id}``); required on writes
IfMatch = Annotated[
    str | None,
    Header(description='ETag of the version you read, e.g. "3" (428 without it, 412 if stale)'),
]


@router.post("", status_code=201, dependencies=[WRITE])
def create_requirement(body: RequirementSpec, conn: ConnDep, user: CurrentUser) -> dict[str, Any]:
    """Record an investor requirement (``project_name`` and ``need`` are required)."""
    return req_service.create_requirement(conn, body, user.username)


@router.get("", dependencies=[READ])
def list_requirements(
    conn: ConnDep,
    user: CurrentUser,
    response: Response,
    status: Annotated[list[str], Query()] = [],  # noqa: B006 - FastAPI copies defaults
    need: Annotated[list[str], Query()] = [],  # noqa: B006
    officer: str | None = None,
    q: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """List the requirements the caller may see, newest first (total in ``X-Total-Count``)."""
    total, items = req_service.list_requirements(
        conn,
        viewer_of(user),
        status=status,
        need=need,
        officer=officer,
        q=q,
        limit=limit,
        offset=offset,
    )
    response.headers["X-Total-Count"] = str(total)
    return items


@router.get("/{requirement_id}", dependencies=[READ])
def get_requirement(
    requirement_id: IdPath, conn: ConnDep, user: CurrentUser, response: Response
) -> dict[str, Any]:
    """Return one requirement; its ``ETag`` is the version to send back as ``If-Match``."""
    record = req_service.get_requirement(conn, requirement_id, viewer_of(user))
    response.headers["ETag"] = edits.etag(record["version"])
    return record


@router.patch("/{requirement_id}", dependencies=[WRITE])
def update_requirement(
    requirement_id: IdPath,
    patch: Annotated[dict[str, Any], Body()],
    conn: ConnDep,
    user: CurrentUser,
    response: Response,
    if_match: IfMatch = None,
) -> dict[str, Any]:
    """Change some fields of a requirement; the result is checked as a whole.

    ``If-Match`` must carry the ETag of the version read: 428 without it, 412 when someone
    changed the requirement since (nothing is saved); the new ETag comes back.
    """
    record = req_service.update_requirement(
        conn,
        requirement_id,
        patch,
        viewer_of(user),
        expected_version=edits.parse_if_match(if_match),
    )
    response.headers["ETag"] = edits.etag(record["version"])
    return record


@router.get("/{requirement_id}/matches", dependencies=[READ])
def requirement_matches(
    requirement_id: IdPath,
    conn: ConnDep,
    user: CurrentUser,
    limit: int = 20,
    near_miss_limit: int = 10,
    margin_pct: float | None = None,
    weight: Annotated[list[str], Query()] = [],  # noqa: B006
) -> Response:
    """Rank the sites for a saved requirement, explained, with near misses apart.

    ``margin_pct`` overrides the requirement's near-miss margin; ``weight=price:30`` (repeatable)
    overrides a soft-score weight for this request.
    """
    result = match_service.match_requirement(
        conn,
        requirement_id,
        viewer_of(user),
        limit=limit,
        near_miss_limit=near_miss_limit,
        margin_pct=margin_pct,
        weights=parse_weights(weight),
    )
    return fast_json(result)
