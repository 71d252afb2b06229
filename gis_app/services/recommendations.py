"""Recommendations (a requirement's chosen sites with notes and explanations) and the
requirement's status along the deal pipeline.

A recommendation is made from a saved requirement's match results (the top matches, optionally
the near misses) or from a list of sites the officer picked, each with the officer's note. For a
requirement, each site's match explanation is stored at creation in public form (see
:func:`gis_app.domain.public_schema.stored_explanation_item`): what investors may read of it,
never the requirement's budget figures or the matcher's free text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from gis_app.db.district_queries import in_scope, recommendation_district
from gis_app.db.engine import set_app_user
from gis_app.db.models import Recommendation, RecommendationSite, Requirement, ShareLink, Site
from gis_app.domain import vocab
from gis_app.domain.errors import InvalidInput, NotFound, TransitionRefused, range_refusal
from gis_app.domain.public_schema import stored_explanation_item
from gis_app.matching.engine import MAX_LIMIT, MAX_NEAR_MISS_LIMIT
from gis_app.services import matching as matching_service
from gis_app.services import requirements as requirement_service
from gis_app.services.paging import check_page
from gis_app.settings import LinkSettings

MAX_TEXT = 5000
MAX_PAGE = 500

# --- requirement status -----------------------------------------------------------------------

#: the deal pipeline, in order; "dropped" is beside it
PIPELINE: tuple[str, ...] = (
    "new",
    "matching",
    "recommended",
    "visiting",
    "negotiating",
    "signed",
    "landed",
)
OPEN_STATUSES = frozenset(vocab.OPEN_REQUIREMENT_STATUSES)


def allowed_moves(old: str) -> tuple[str, ...]:
    """Statuses a requirement in ``old`` may move to: forward along the pipeline, or dropped
    from an open state. Landed and dropped are final."""
    vocab.REQUIREMENT_STATUS.term(old)
    if old in ("landed", "dropped"):
        return ()
    later = PIPELINE[PIPELINE.index(old) + 1 :]
    return (*later, "dropped") if old in OPEN_STATUSES else later


def check_status_move(requirement_id: int, old: str, new: str) -> None:
    """Refuse a status move that makes no sense, with a message that says what would."""
    vocab.REQUIREMENT_STATUS.term(new)
    label = vocab.REQUIREMENT_STATUS.bilingual
    where = f"requirement {requirement_id}"
    terms = {"old": vocab.REQUIREMENT_STATUS.term(old), "new": vocab.REQUIREMENT_STATUS.term(new)}
    if old == new:
        raise TransitionRefused(
            f"{where} is already {new} ({label(new)})",
            code="status_unchanged",
            field="status",
            params=terms,
        )
    allowed = allowed_moves(old)
    if new in allowed:
        return
    if not allowed:
        raise TransitionRefused(
            f"{where} is {old} ({label(old)}), a final status; it cannot move to {new}",
            code="status_final",
            field="status",
            params=terms,
        )
    if new == "dropped":
        why = "only an open requirement can be dropped"
    elif PIPELINE.index(new) < PIPELINE.index(old):
        why = "the status cannot go backwards"
    else:
        why = "not allowed"
    raise TransitionRefused(
        f"{where}: {old} ({label(old)}) → {new} ({label(new)}): {why}; "
        f"allowed next: {', '.join(allowed)}",
        code="status_move_refused",
        field="status",
        params=terms,
    )


def change_status(
    conn: sa.Connection,
    requirement_id: int,
    new: str,
    *,
    username: str,
    admin: bool = False,
    note: str | None = None,
    expected_version: int | None,
) -> dict[str, Any]:
    """Move a requirement to ``new`` (checked by :func:`check_status_move`) and commit.

    ``expected_version`` is the version the caller read (the requirement's ETag): the row is
    locked and compared first, so a move based on a stale page is refused with
    :class:`PreconditionFailed` (see :func:`requirements.lock_requirement`). The history
    trigger records the change with the user and ``note``.
    """
    if note is not None and (len(note) > MAX_TEXT or "\x00" in note):
        raise InvalidInput(
            f"note: at most {MAX_TEXT} characters of text",
            code="too_long",
            field="note",
            params={"max_length": MAX_TEXT},
        )
    current = requirement_service.lock_requirement(
        conn, requirement_id, requirement_service.Viewer(username, admin), expected_version
    )
    old = current["status"]
    if new not in vocab.REQUIREMENT_STATUS:
        raise InvalidInput(
            f"status {new[:40]!r} is unknown; allowed: {', '.join(vocab.REQUIREMENT_STATUS.keys)}",
            code="unknown_value",
            field="status",
            params={"value": new[:40]},
        )
    check_status_move(requirement_id, old, new)
    set_app_user(conn, username, note or f"status {old} → {new}")
    # the row is locked and of the version read: nothing can move it meanwhile
    moved = conn.execute(
        sa.update(Requirement)
        .where(Requirement.id == requirement_id)
        .values(status=new, status_changed_at=sa.func.now())
        .returning(Requirement.status_changed_at, Requirement.version)
    ).one()
    conn.commit()
    return {
        "id": requirement_id,
        "version": moved.version,
        "previous": old,
        "status": new,
        "status_label": {
            "zh": vocab.REQUIREMENT_STATUS.label(new),
            "en": vocab.REQUIREMENT_STATUS.label(new, "en"),
        },
        "status_changed_at": moved.status_changed_at,
        "allowed_next": list(allowed_moves(new)),
    }


# --- recommendations --------------------------------------------------------------------------

Viewer = requirement_service.Viewer


def visible_to(viewer: Viewer) -> sa.ColumnElement[bool]:
    """Recommendations ``viewer`` may see: those of their districts (or their own); of a
    confidential requirement only for the requirement's officer and creator (as the
    requirement itself), the author and admins."""
    if viewer.admin:
        return sa.true()
    return sa.and_(
        # a district's recommendations stay with it (a referral's outcome says only whether
        # and when one was sent: issue 26, item 3)
        sa.or_(
            in_scope(Recommendation.district_code, viewer.username),
            Recommendation.created_by == viewer.username,
        ),
        sa.or_(
            Recommendation.requirement_id.is_(None),
            Recommendation.created_by == viewer.username,
            sa.exists().where(
                Requirement.id == Recommendation.requirement_id,
                requirement_service.visible_to(viewer),
            ),
        ),
    )


def require_visible(conn: sa.Connection, recommendation_id: int, viewer: Viewer) -> None:
    """:class:`NotFound` unless the recommendation exists and ``viewer`` may see it."""
    found = conn.execute(
        sa.select(Recommendation.id).where(
            Recommendation.id == recommendation_id, visible_to(viewer)
        )
    ).first()
    if found is None:
        raise NotFound(f"recommendation {recommendation_id} not found")


@dataclass(frozen=True)
class SiteChoice:
    """A site the officer puts into a recommendation, with the note for the investor."""

    site_id: int
    note_zh: str | None = None
    note_en: str | None = None


def _text(field: str, value: str | None, limit: int = MAX_TEXT) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if "\x00" in value or len(value) > limit:
        raise InvalidInput(
            f"{field}: at most {limit} characters of text",
            code="too_long",
            field=field,
            params={"max_length": limit},
        )
    return value or None


def _public_criteria(criteria: Sequence[Any]) -> list[dict[str, Any]]:
    """The stored (public) form of a match result's criteria."""
    out: list[dict[str, Any]] = []
    for c in criteria:
        required = c.requirement
        if isinstance(required, list | tuple) and len(required) == 2 and c.key == "land_area":
            required = {"min": required[0], "max": required[1]}
        if c.hard:
            outcome = "unknown" if c.passed is None else ("pass" if c.passed else "fail")
        else:
            outcome = "pass" if (c.score or 0.0) >= 0.5 else "fail"
        item = stored_explanation_item(
            {
                "criterion": c.key,
                "hard": c.hard,
                "outcome": outcome,
                "site_value": c.site_value,
                "required": required,
                "score": c.score,
            }
        )
        if item is not None:
            out.append(item)
    return out


def _explanations(
    conn: sa.Connection,
    requirement_id: int,
    viewer: Viewer,
    *,
    top: int,
    include_near_misses: bool,
) -> tuple[list[int], dict[int, dict[str, Any]]]:
    """Run the match of a saved requirement: (ranked site ids, public explanation per site)."""
    result = matching_service.match_requirement(
        conn,
        requirement_id,
        viewer,
        limit=MAX_LIMIT,
        near_miss_limit=MAX_NEAR_MISS_LIMIT,
    )
    explanations: dict[int, dict[str, Any]] = {}
    ranked: list[int] = []
    for group, outcome in ((result.matches, "match"), (result.near_misses, "near_miss")):
        for m in group:
            if m.site_id in explanations:
                continue  # one row per site: its best building came first
            explanations[m.site_id] = {
                "outcome": outcome,
                "score": round(m.score, 2),
                "criteria": _public_criteria(m.criteria),
            }
            if outcome == "match" or include_near_misses:
                ranked.append(m.site_id)
    return ranked[:top], explanations


def _check_sites(conn: sa.Connection, site_ids: list[int]) -> None:
    rows = conn.execute(
        sa.select(Site.id, Site.code, Site.availability, Site.retired_at).where(
            Site.id.in_(site_ids)
        )
    ).all()
    found = {r.id: r for r in rows}
    missing = [i for i in site_ids if i not in found]
    if missing:
        raise NotFound(f"site(s) {', '.join(map(str, missing))} not found")
    for sid in site_ids:
        r = found[sid]
        if r.retired_at is not None:
            raise InvalidInput(
                f"site {r.code} (id {sid}) was split or merged and is retired; "
                "recommend its successors",
                code="site_retired",
                field="sites",
                params={"value": r.code},
            )
        if r.availability == "signed":
            raise InvalidInput(
                f"site {r.code} (id {sid}) is already signed (已签约)",
                code="site_signed",
                field="sites",
                params={"value": r.code},
            )


def create_recommendation(
    conn: sa.Connection,
    *,
    username: str,
    settings: LinkSettings,
    admin: bool = False,
    requirement_id: int | None = None,
    sites: Sequence[SiteChoice] = (),
    top: int = 5,
    include_near_misses: bool = False,
    title_zh: str | None = None,
    title_en: str | None = None,
    intro_zh: str | None = None,
    intro_en: str | None = None,
    internal_note: str | None = None,
) -> dict[str, Any]:
    """Create a recommendation and commit; returns it as :func:`get_recommendation` does.

    With ``requirement_id`` and no ``sites``, the ``top`` matches of the saved requirement are
    taken (and its near misses after them with ``include_near_misses``). With ``sites``, those
    sites in that order; for a requirement each gets its match explanation when the match lists
    it (a site the match does not list is marked as chosen by the officer). A requirement that
    is new or matching moves to "recommended".
    """
    if not 1 <= top <= settings.max_sites:
        raise range_refusal(
            f"top must be between 1 and {settings.max_sites}, got {top}",
            "top",
            top,
            1,
            settings.max_sites,
        )
    if len(sites) > settings.max_sites:
        raise InvalidInput(
            f"at most {settings.max_sites} sites per recommendation",
            code="too_many_sites",
            field="sites",
            params={"count": len(sites), "max": settings.max_sites},
        )
    ids = [s.site_id for s in sites]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise InvalidInput(
            f"site(s) {', '.join(map(str, dupes))} listed more than once",
            code="sites_repeated",
            field="sites",
            params={"value": ", ".join(map(str, dupes))},
        )
    notes = {s.site_id: s for s in sites}
    requirement: dict[str, Any] | None = None
    explanations: dict[int, dict[str, Any]] = {}
    if requirement_id is not None:
        viewer = Viewer(username, admin)
        requirement = requirement_service.get_requirement(conn, requirement_id, viewer)
        ranked, explanations = _explanations(
            conn, requirement_id, viewer, top=top, include_near_misses=include_near_misses
        )
        if not ids:
            if not ranked:
                raise InvalidInput(
                    f"requirement {requirement_id} has no matching sites to recommend; "
                    "pick sites by hand (sites=[…]) or widen the requirement",
                    code="no_matches_to_recommend",
                    field="sites",
                )
            ids = ranked
    elif not ids:
        raise InvalidInput(
            "give requirement_id (recommend its matches) or sites (a list)",
            code="no_sites_chosen",
            field="sites",
        )
    _check_sites(conn, ids)
    values = {
        "title_zh": _text("title_zh", title_zh, 200) or "投资选址推荐",
        "title_en": _text("title_en", title_en, 200) or "Site recommendation",
        "intro_zh": _text("intro_zh", intro_zh),
        "intro_en": _text("intro_en", intro_en),
        "internal_note": _text("internal_note", internal_note),
    }
    set_app_user(conn, username, "create recommendation")
    rec_id = conn.execute(
        sa.insert(Recommendation)
        .values(
            requirement_id=requirement_id,
            created_by=username,
            district_code=recommendation_district(requirement_id, username),
            **values,
        )
        .returning(Recommendation.id)
    ).scalar_one()
    rows = []
    for rank, sid in enumerate(ids, start=1):
        choice = notes.get(sid, SiteChoice(sid))
        explanation = explanations.get(sid)
        if requirement is not None and explanation is None:
            explanation = {"outcome": "chosen", "criteria": []}
        rows.append(
            {
                "recommendation_id": rec_id,
                "site_id": sid,
                "rank": rank,
                "note_zh": _text(f"note_zh of site {sid}", choice.note_zh),
                "note_en": _text(f"note_en of site {sid}", choice.note_en),
                "explanation": explanation,
            }
        )
    conn.execute(sa.insert(RecommendationSite), rows)
    moved = None
    if requirement is not None and requirement["status"] in ("new", "matching"):
        set_app_user(conn, username, f"recommendation {rec_id} created")
        # only from new/matching: a move made meanwhile (e.g. to visiting) is not undone
        moved = conn.execute(
            sa.update(Requirement)
            .where(Requirement.id == requirement_id, Requirement.status.in_(("new", "matching")))
            .values(status="recommended", status_changed_at=sa.func.now())
            .returning(Requirement.version)
        ).scalar()
    conn.commit()
    out = get_recommendation(conn, rec_id, Viewer(username, admin))
    if moved is not None and requirement is not None and moved == requirement["version"] + 1:
        # the move was the only change since the requirement was read here: a page that read
        # that version may take the new one as its ETag (anything else must be reloaded)
        out["requirement_moved"] = {
            "status": "recommended",
            "from_version": requirement["version"],
            "version": moved,
        }
    return out


_REC_COLUMNS = (
    Recommendation.id,
    Recommendation.requirement_id,
    Recommendation.title_zh,
    Recommendation.title_en,
    Recommendation.intro_zh,
    Recommendation.intro_en,
    Recommendation.internal_note,
    Recommendation.created_by,
    Recommendation.created_at,
)


def get_recommendation(
    conn: sa.Connection, recommendation_id: int, viewer: Viewer
) -> dict[str, Any]:
    """One recommendation for officers: its sites (notes, explanations) and link counts."""
    row = conn.execute(
        sa.select(*_REC_COLUMNS).where(Recommendation.id == recommendation_id, visible_to(viewer))
    ).first()
    if row is None:
        raise NotFound(f"recommendation {recommendation_id} not found")
    sites = conn.execute(
        sa.select(
            RecommendationSite.rank,
            RecommendationSite.site_id,
            Site.code,
            Site.name_zh,
            Site.name_en,
            Site.kind,
            Site.availability,
            sa.func.round(sa.cast(Site.area_mu, sa.Numeric), 2).label("area_mu"),
            RecommendationSite.note_zh,
            RecommendationSite.note_en,
            RecommendationSite.explanation,
        )
        .join(Site, Site.id == RecommendationSite.site_id)
        .where(RecommendationSite.recommendation_id == recommendation_id)
        .order_by(RecommendationSite.rank)
    ).mappings()
    links = conn.execute(
        sa.select(
            sa.func.count().label("links"),
            sa.func.count()
            .filter(ShareLink.revoked_at.is_(None), ShareLink.expires_at > sa.func.now())
            .label("active_links"),
            sa.func.coalesce(sa.func.sum(ShareLink.view_count), 0).label("views"),
        ).where(ShareLink.recommendation_id == recommendation_id)
    ).one()
    out = row._asdict()
    out["sites"] = [
        {**dict(s), "area_mu": None if s["area_mu"] is None else float(s["area_mu"])} for s in sites
    ]
    out |= {"links": links.links, "active_links": links.active_links, "views": int(links.views)}
    return out


def list_recommendations(
    conn: sa.Connection,
    viewer: Viewer,
    *,
    requirement_id: int | None = None,
    created_by: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[int, list[dict[str, Any]]]:
    """Recommendations, newest first, with site and link counts; and how many there are."""
    check_page(limit, offset, MAX_PAGE)
    conds: list[sa.ColumnElement[bool]] = [visible_to(viewer)]
    if requirement_id is not None:
        conds.append(Recommendation.requirement_id == requirement_id)
    if created_by:
        conds.append(Recommendation.created_by == created_by)
    where = sa.and_(*conds)
    total = conn.execute(
        sa.select(sa.func.count()).select_from(Recommendation).where(where)
    ).scalar_one()
    n_sites = (
        sa.select(sa.func.count())
        .where(RecommendationSite.recommendation_id == Recommendation.id)
        .scalar_subquery()
    )
    n_links = (
        sa.select(sa.func.count())
        .where(ShareLink.recommendation_id == Recommendation.id)
        .scalar_subquery()
    )
    views = (
        sa.select(sa.func.coalesce(sa.func.sum(ShareLink.view_count), 0))
        .where(ShareLink.recommendation_id == Recommendation.id)
        .scalar_subquery()
    )
    rows = conn.execute(
        sa.select(
            *_REC_COLUMNS,
            n_sites.label("site_count"),
            n_links.label("links"),
            views.label("views"),
        )
        .where(where)
        .order_by(Recommendation.created_at.desc(), Recommendation.id.desc())
        .limit(limit)
        .offset(offset)
    ).mappings()
    return int(total), [{**dict(r), "views": int(r["views"])} for r in rows]
