"""Alerts for officers: a site newly meets one of their open requirements or newly entered one
of their saved searches; investors answered."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Response
from pydantic import Field

from api.auth import CurrentUser, allow
from api.deps import ConnDep, DbRoute
from api.schemas import StrictModel
from gis_app.services import alerts as alert_service
from gis_app.services import answers as answer_service

router = APIRouter(prefix="/api/alerts", tags=["alerts"], route_class=DbRoute)


@router.get("", dependencies=[allow("officer")])
def list_alerts(
    conn: ConnDep,
    user: CurrentUser,
    response: Response,
    all: bool = False,
    unseen: bool = False,
    limit: int = 100,
    offset: int = 0,
    source: Literal["all", "requirement", "saved_search"] = "all",
) -> list[dict[str, Any]]:
    """The caller's alerts, newest first; ``all=true`` lists every officer's (admins only);
    ``source`` keeps those of requirements or of saved searches only."""
    total, items = alert_service.list_alerts(
        conn,
        user.username,
        everyone=all,
        admin="admin" in user.roles,
        unseen_only=unseen,
        limit=limit,
        offset=offset,
        source=source,
    )
    response.headers["X-Total-Count"] = str(total)
    return items


@router.post("/{alert_id}/seen", status_code=204, dependencies=[allow("officer")])
def mark_seen(
    alert_id: Annotated[int, Path(ge=1, le=2**63 - 1)], conn: ConnDep, user: CurrentUser
) -> Response:
    """Mark one of the caller's alerts as seen."""
    alert_service.mark_seen(conn, alert_id, user.username, admin="admin" in user.roles)
    return Response(status_code=204)


class AnswersRead(StrictModel):
    """Whose investors' answers to mark read: one requirement's."""

    requirement_id: int = Field(ge=1, le=2**63 - 1)


@router.post("/answers/read", dependencies=[allow("officer")])
def mark_answers_read(body: AnswersRead, conn: ConnDep, user: CurrentUser) -> dict[str, int]:
    """Mark the investors' answers to a requirement read (the caller's alerts; admins: all)."""
    n = answer_service.mark_read(
        conn, body.requirement_id, user.username, admin="admin" in user.roles
    )
    return {"marked": n}
