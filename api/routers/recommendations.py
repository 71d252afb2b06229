"""Officers' API for recommendations, their investor links, and requirement status moves."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Path, Query, Request, Response
from pydantic import Field

from api.auth import CurrentUser, Principal, allow
from api.deps import ConnDep, DbRoute, SettingsDep
from api.schemas import StrictModel
from gis_app.services import recommendations as rec_service
from gis_app.services import share_links as link_service
from gis_app.services import site_edits as edits
from gis_app.services.recommendations import SiteChoice, Viewer

router = APIRouter(tags=["recommendations"], route_class=DbRoute)
READ = allow("officer", "planner", "admin")
WRITE = allow("officer", "admin")
IdPath = Annotated[int, Path(ge=1, le=2**63 - 1)]
Text = Annotated[str, Field(max_length=5000)]


def _viewer(user: Principal) -> Viewer:
    return Viewer(user.username, admin="admin" in user.roles)


class SiteNote(StrictModel):
    """A site of the recommendation with the officer's note to the investor."""

    site_id: int = Field(ge=1, le=2**63 - 1)
    note_zh: Text | None = None
    note_en: Text | None = None


class RecommendationCreate(StrictModel):
    """A new recommendation: a saved requirement's matches and/or hand-picked sites."""

    requirement_id: int | None = Field(default=None, ge=1, le=2**63 - 1)
    #: the sites in order; empty with a requirement: its ``top`` matches
    sites: list[SiteNote] = Field(default_factory=list, max_length=200)
    top: int = Field(default=5, ge=1, le=200)
    include_near_misses: bool = False
    title_zh: Annotated[str, Field(max_length=200)] | None = None
    title_en: Annotated[str, Field(max_length=200)] | None = None
    intro_zh: Text | None = None
    intro_en: Text | None = None
    internal_note: Text | None = None


class LinkCreate(StrictModel):
    """A link for one recipient."""

    recipient_name: Annotated[str, Field(max_length=200)] | None = None
    recipient_org: Annotated[str, Field(max_length=200)] | None = None
    language: Literal["zh", "en"] = "zh"
    #: validity in days (default: the configured 30)
    expires_days: int | None = Field(default=None, ge=1, le=3650)


class LinkExtend(StrictModel):
    """Move a link's expiry later by ``days`` (from today if it has expired)."""

    days: int = Field(ge=1, le=3650)


class StatusMove(StrictModel):
    """A requirement's next status, with an optional note for the history."""

    status: str = Field(max_length=40)
    note: Text | None = None


def _link_url(request: Request, settings: Any, token: str) -> str:
    base = settings.app.public_base_url or str(request.base_url)
    return f"{base.rstrip('/')}/r/{token}"


@router.post("/api/recommendations", status_code=201, dependencies=[WRITE])
def create_recommendation(
    body: RecommendationCreate, conn: ConnDep, settings: SettingsDep, user: CurrentUser
) -> dict[str, Any]:
    """Create a recommendation from a saved requirement's matches or a list of sites."""
    return rec_service.create_recommendation(
        conn,
        username=user.username,
        admin="admin" in user.roles,
        settings=settings.links,
        requirement_id=body.requirement_id,
        sites=[SiteChoice(s.site_id, s.note_zh, s.note_en) for s in body.sites],
        top=body.top,
        include_near_misses=body.include_near_misses,
        title_zh=body.title_zh,
        title_en=body.title_en,
        intro_zh=body.intro_zh,
        intro_en=body.intro_en,
        internal_note=body.internal_note,
    )


@router.get("/api/recommendations", dependencies=[READ])
def list_recommendations(
    conn: ConnDep,
    user: CurrentUser,
    response: Response,
    requirement_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
    created_by: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> list[dict[str, Any]]:
    """List recommendations, newest first (``X-Total-Count`` gives the total)."""
    total, rows = rec_service.list_recommendations(
        conn,
        _viewer(user),
        requirement_id=requirement_id,
        created_by=created_by,
        limit=limit,
        offset=offset,
    )
    response.headers["X-Total-Count"] = str(total)
    return rows


@router.get("/api/recommendations/{recommendation_id}", dependencies=[READ])
def get_recommendation(
    recommendation_id: IdPath, conn: ConnDep, user: CurrentUser
) -> dict[str, Any]:
    """One recommendation: sites with notes and match explanations, link counts."""
    return rec_service.get_recommendation(conn, recommendation_id, _viewer(user))


@router.post(
    "/api/recommendations/{recommendation_id}/links", status_code=201, dependencies=[WRITE]
)
def create_link(
    recommendation_id: IdPath,
    body: LinkCreate,
    request: Request,
    conn: ConnDep,
    settings: SettingsDep,
    user: CurrentUser,
) -> dict[str, Any]:
    """Create a link for one recipient; its URL (with the token) is in this response only."""
    link, token = link_service.create_link(
        conn,
        recommendation_id,
        viewer=_viewer(user),
        settings=settings.links,
        language=body.language,
        recipient_name=body.recipient_name,
        recipient_org=body.recipient_org,
        expires_days=body.expires_days,
    )
    return {**link, "url": _link_url(request, settings, token), "token": token}


@router.get("/api/recommendations/{recommendation_id}/links", dependencies=[READ])
def list_links(recommendation_id: IdPath, conn: ConnDep, user: CurrentUser) -> list[dict[str, Any]]:
    """The recommendation's links: recipient, status, views (count, first, last), feedback."""
    return link_service.list_links(conn, recommendation_id, _viewer(user))


@router.delete(
    "/api/recommendations/{recommendation_id}/links/{link_id}",
    dependencies=[WRITE],
)
def revoke_link(
    recommendation_id: IdPath, link_id: IdPath, conn: ConnDep, user: CurrentUser
) -> dict[str, Any]:
    """Revoke one link at once (the recommendation's other links keep working)."""
    return link_service.revoke_link(conn, recommendation_id, link_id, viewer=_viewer(user))


@router.post(
    "/api/recommendations/{recommendation_id}/links/{link_id}/revoke",
    dependencies=[WRITE],
)
def revoke_link_action(
    recommendation_id: IdPath, link_id: IdPath, conn: ConnDep, user: CurrentUser
) -> dict[str, Any]:
    """Revoke one link (the same as DELETE, for forms and clients without DELETE)."""
    return link_service.revoke_link(conn, recommendation_id, link_id, viewer=_viewer(user))


@router.post(
    "/api/recommendations/{recommendation_id}/links/{link_id}/extend",
    dependencies=[WRITE],
)
def extend_link(
    recommendation_id: IdPath,
    link_id: IdPath,
    body: LinkExtend,
    conn: ConnDep,
    settings: SettingsDep,
    user: CurrentUser,
) -> dict[str, Any]:
    """Extend one link by ``days`` (a revoked link cannot be extended)."""
    return link_service.extend_link(
        conn,
        recommendation_id,
        link_id,
        days=body.days,
        viewer=_viewer(user),
        settings=settings.links,
    )


@router.post("/api/requirements/{requirement_id}/status", dependencies=[WRITE])
def move_requirement_status(
    requirement_id: IdPath,
    body: StatusMove,
    conn: ConnDep,
    user: CurrentUser,
    response: Response,
    if_match: Annotated[
        str | None,
        Header(description='ETag of the requirement version you read, e.g. "3"'),
    ] = None,
) -> dict[str, Any]:
    """Move a requirement along new → matching → recommended → visiting → negotiating →
    signed → landed, or to dropped from any open status; other moves are refused (422).

    ``If-Match`` must carry the requirement's ETag as read: 428 without it, 412 when it was
    changed since (nothing is moved); the new ETag comes back.
    """
    moved = rec_service.change_status(
        conn,
        requirement_id,
        body.status,
        username=user.username,
        admin="admin" in user.roles,
        note=body.note,
        expected_version=edits.parse_if_match(if_match),
    )
    response.headers["ETag"] = edits.etag(moved["version"])
    return moved
