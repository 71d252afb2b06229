"""Referrals between districts (issue 26, item 3): refer a requirement to another district,
read its referrals' outcome, match a referred requirement against the receiving district's
sites, and move a referral's status."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response
from pydantic import Field

from api.auth import CurrentUser, allow
from api.deps import ConnDep, DbRoute, viewer_of
from api.responses import fast_json
from api.schemas import StrictModel
from gis_app.matching.engine import MAX_LIMIT, MAX_NEAR_MISS_LIMIT
from gis_app.services import referrals as referral_service

router = APIRouter(tags=["referrals"], route_class=DbRoute)
READ = allow("officer", "planner", "admin")
WRITE = allow("officer", "admin")
IdPath = Annotated[int, Path(ge=1, le=2**63 - 1)]


class ReferralCreate(StrictModel):
    """The district to refer a requirement to (its code, e.g. ``330902``) and a note for its
    officers."""

    to_district: str = Field(min_length=1, max_length=60)
    note: Annotated[str, Field(max_length=referral_service.MAX_NOTE)] | None = None


class ReferralMove(StrictModel):
    """A referral's next status: ``accepted`` or ``declined`` (the receiving district),
    ``closed`` or ``open`` again (the referring district)."""

    status: str = Field(max_length=40)


@router.post("/api/requirements/{requirement_id}/referrals", status_code=201, dependencies=[WRITE])
def refer_requirement(
    requirement_id: IdPath, body: ReferralCreate, conn: ConnDep, user: CurrentUser
) -> dict[str, Any]:
    """Refer a requirement of your district to another district with a note."""
    return referral_service.refer(
        conn, requirement_id, body.to_district, body.note, viewer_of(user)
    )


@router.get("/api/requirements/{requirement_id}/referrals", dependencies=[READ])
def requirement_referrals(
    requirement_id: IdPath, conn: ConnDep, user: CurrentUser
) -> list[dict[str, Any]]:
    """The referrals of a requirement and their outcome: district, status, how many of its
    sites matched, whether and when it sent a link (never its sites)."""
    return referral_service.referrals_of(conn, requirement_id, viewer_of(user))


@router.post("/api/referrals/{referral_id}/match", dependencies=[WRITE])
def match_referral(
    referral_id: IdPath,
    conn: ConnDep,
    user: CurrentUser,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
    near_miss_limit: Annotated[int, Query(ge=0, le=MAX_NEAR_MISS_LIMIT)] = 10,
) -> Response:
    """Match a requirement referred to your district against your district's sites; the
    referral keeps how many matched (an open one is accepted)."""
    referral, result = referral_service.match_referral(
        conn, referral_id, viewer_of(user), limit=limit, near_miss_limit=near_miss_limit
    )
    return fast_json({"referral": referral, "match": result})


@router.post("/api/referrals/{referral_id}/status", dependencies=[WRITE])
def move_referral(
    referral_id: IdPath, body: ReferralMove, conn: ConnDep, user: CurrentUser
) -> dict[str, Any]:
    """Accept or decline a referral to your district, or close (reopen) one of yours."""
    return referral_service.change_status(conn, referral_id, body.status, viewer_of(user))
