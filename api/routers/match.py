"""Match an unsaved requirement against the inventory."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from api.auth import allow
from api.deps import DbRoute, ReadConnDep
from api.responses import fast_json
from gis_app.matching.spec import RequirementSpec, parse_weights
from gis_app.services import matching as match_service

router = APIRouter(prefix="/api/match", tags=["matching"], route_class=DbRoute)


@router.post("", dependencies=[allow("officer", "planner")])
def match(
    body: RequirementSpec,
    conn: ReadConnDep,
    limit: int = 20,
    near_miss_limit: int = 10,
    margin_pct: float | None = None,
    weight: Annotated[list[str], Query()] = [],  # noqa: B006 - FastAPI copies defaults
) -> Response:
    """Rank the sites for a requirement given in the body (nothing is saved).

    Hard constraints decide; soft scores (weights: defaults, the body's ``weights``, then
    ``weight=criterion:number``) rank; each result explains every criterion in Chinese and
    English. Near misses fail one hard constraint by at most ``margin_pct`` (default 10).
    """
    result = match_service.match_spec(
        conn,
        body,
        limit=limit,
        near_miss_limit=near_miss_limit,
        margin_pct=margin_pct,
        weights=parse_weights(weight),
    )
    return fast_json(result)
