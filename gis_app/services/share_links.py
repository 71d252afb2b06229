"""Share links: capability URLs ``/r/{token}`` for one recipient each, views, feedback.

A token is 256 random bits from :mod:`secrets` (43 URL-safe characters); the database keeps
only its SHA-256 hash, which is enough for a random secret (a slow hash adds nothing) and keeps
the lookup an index probe. Unknown, expired and revoked tokens are looked up by the same query
and fail with the same :class:`LinkUnavailable`, so a caller cannot tell them apart.

Anonymous pages are protected against forged posts by a per-link form token (an HMAC of the
link's token hash with the app's secret key) that only the page itself carries, and against
token guessing by a per-client rate limit (:func:`count_link_request`, shared by every process).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
import random
import re
import secrets
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from gis_app.db import rate_queries, scope
from gis_app.db.models import Feedback, Recommendation, RecommendationSite, ShareLink, Site
from gis_app.db.scope import Scope
from gis_app.domain import vocab
from gis_app.domain.errors import (
    Conflict,
    InvalidInput,
    LinkUnavailable,
    NotFound,
    RateLimited,
    range_refusal,
)
from gis_app.domain.public_schema import FeedbackReceipt, label_of
from gis_app.services import answers
from gis_app.services.recommendations import Viewer, require_visible, visible_to
from gis_app.settings import LinkSettings

#: random bytes per token (256 bits; the issue asks for at least 128)
TOKEN_BYTES = 32
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")
MAX_TEXT = 2000


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def new_token() -> str:
    """A fresh link token (URL-safe, 256 bits of randomness)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    """SHA-256 hex of a link token (what the database stores)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def form_token(secret_key: str, token_hash: str) -> str:
    """The feedback form token of a link: only a page rendered for that link carries it."""
    msg = f"share-link-feedback:{token_hash}".encode()
    return hmac.new(secret_key.encode("utf-8"), msg, hashlib.sha256).hexdigest()


def form_token_ok(secret_key: str, token_hash: str, given: str | None) -> bool:
    """Check a feedback form token in constant time."""
    return bool(given) and hmac.compare_digest(form_token(secret_key, token_hash), given or "")


@dataclass(frozen=True)
class LinkContext:
    """A valid link as the investor routes need it (never the token itself)."""

    id: int
    recommendation_id: int
    language: str
    expires_at: dt.datetime
    token_hash: str


def resolve(conn: sa.Connection, token: str) -> LinkContext:
    """The live link for ``token``; :class:`LinkUnavailable` if unknown, expired or revoked.
    From now on ``conn`` reads and writes the districts of the link's recommendation."""
    if not isinstance(token, str) or not _TOKEN_RE.match(token):
        raise LinkUnavailable("link not available")
    h = hash_token(token)
    row = conn.execute(
        sa.select(
            ShareLink.id,
            ShareLink.recommendation_id,
            ShareLink.language,
            ShareLink.expires_at,
            sa.func.gis_app_recommendation_scope(ShareLink.recommendation_id).label("districts"),
        ).where(
            ShareLink.token_hash == h,
            ShareLink.revoked_at.is_(None),
            ShareLink.expires_at > sa.func.now(),
        )
    ).first()
    if row is None:
        raise LinkUnavailable("link not available")
    # the link reads its recommendation's districts, and writes there (answers, views)
    scope.bind(conn, Scope.of(row.districts, row.districts))
    return LinkContext(row.id, row.recommendation_id, row.language, row.expires_at, h)


def record_view(conn: sa.Connection, link: LinkContext) -> None:
    """Count one view of the link (count, first and last time) and commit."""
    conn.execute(
        sa.update(ShareLink)
        .where(ShareLink.id == link.id)
        .values(
            view_count=ShareLink.view_count + 1,
            first_viewed_at=sa.func.coalesce(ShareLink.first_viewed_at, sa.func.now()),
            last_viewed_at=sa.func.now(),
        )
    )
    conn.commit()


# --- officer side ---------------------------------------------------------------------------


def _check_text(field: str, value: str | None, limit: int = 200) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if "\x00" in value or len(value) > limit:
        raise InvalidInput(
            f"{field}: text too long (max {limit}) or not acceptable",
            code="text_not_acceptable",
            field=field,
            params={"value": value[:40].replace("\x00", "␀"), "max_length": limit},
        )
    return value or None


def create_link(
    conn: sa.Connection,
    recommendation_id: int,
    *,
    viewer: Viewer,
    settings: LinkSettings,
    language: str = "zh",
    recipient_name: str | None = None,
    recipient_org: str | None = None,
    expires_days: int | None = None,
) -> tuple[dict[str, Any], str]:
    """Create a link for one recipient and commit; returns (link, token) — the token only here."""
    require_visible(conn, recommendation_id, viewer)
    vocab.LANGUAGE.term(language)
    days = settings.default_expiry_days if expires_days is None else expires_days
    if not 1 <= days <= settings.max_expiry_days:
        raise range_refusal(
            f"expires_days must be between 1 and {settings.max_expiry_days}, got {days}",
            "expires_days",
            days,
            1,
            settings.max_expiry_days,
        )
    name = _check_text("recipient_name", recipient_name)
    org = _check_text("recipient_org", recipient_org)
    if name is None and org is None:
        raise InvalidInput(
            "a link is for one recipient: give recipient_name or recipient_org",
            code="recipient_required",
            field="recipient_name",
        )
    token = new_token()
    link_id = conn.execute(
        sa.insert(ShareLink)
        .values(
            recommendation_id=recommendation_id,
            token_hash=hash_token(token),
            recipient_name=name,
            recipient_org=org,
            language=language,
            expires_at=sa.func.now() + dt.timedelta(days=days),
            created_by=viewer.username,
        )
        .returning(ShareLink.id)
    ).scalar_one()
    conn.commit()
    return get_link(conn, recommendation_id, link_id, viewer), token


def _link_status(row: Any, now: dt.datetime) -> str:
    if row.revoked_at is not None:
        return "revoked"
    if row.expires_at <= now:
        return "expired"
    return "active"


_LINK_COLUMNS = (
    ShareLink.id,
    ShareLink.recommendation_id,
    ShareLink.recipient_name,
    ShareLink.recipient_org,
    ShareLink.language,
    ShareLink.created_by,
    ShareLink.created_at,
    ShareLink.expires_at,
    ShareLink.extended_at,
    ShareLink.extended_by,
    ShareLink.revoked_at,
    ShareLink.revoked_by,
    ShareLink.view_count,
    ShareLink.first_viewed_at,
    ShareLink.last_viewed_at,
)


def _feedback_by_link(conn: sa.Connection, link_ids: list[int]) -> dict[int, list[dict]]:
    out: dict[int, list[dict]] = {i: [] for i in link_ids}
    if not link_ids:
        return out
    rows = conn.execute(
        sa.select(
            Feedback.id,
            Feedback.share_link_id,
            Feedback.site_id,
            Site.code.label("site_code"),
            Site.name_zh.label("site_name_zh"),
            Feedback.kind,
            Feedback.reason,
            Feedback.question,
            Feedback.language,
            Feedback.created_at,
        )
        .outerjoin(Site, Site.id == Feedback.site_id)
        .where(Feedback.share_link_id.in_(link_ids))
        .order_by(Feedback.created_at, Feedback.id)
    ).mappings()
    for r in rows:
        item = dict(r)
        item["kind_label"] = vocab.FEEDBACK_KIND.bilingual(r["kind"])
        out[r["share_link_id"]].append(item)
    return out


def list_links(conn: sa.Connection, recommendation_id: int, viewer: Viewer) -> list[dict[str, Any]]:
    """The recommendation's links with status, views and the feedback received on each."""
    require_visible(conn, recommendation_id, viewer)
    return _links(conn, [recommendation_id])[recommendation_id]


def links_of(
    conn: sa.Connection, recommendation_ids: list[int], viewer: Viewer
) -> dict[int, list[dict[str, Any]]]:
    """:func:`list_links` of several recommendations in two queries (those ``viewer`` may not
    see are left out)."""
    visible = conn.execute(
        sa.select(Recommendation.id).where(
            Recommendation.id.in_(recommendation_ids), visible_to(viewer)
        )
    ).scalars()
    return _links(conn, list(visible))


def _links(conn: sa.Connection, recommendation_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    out: dict[int, list[dict[str, Any]]] = {i: [] for i in recommendation_ids}
    if not recommendation_ids:
        return out
    rows = conn.execute(
        sa.select(*_LINK_COLUMNS)
        .where(ShareLink.recommendation_id.in_(recommendation_ids))
        .order_by(ShareLink.id)
    ).all()
    now = _now()
    feedback = _feedback_by_link(conn, [r.id for r in rows])
    for r in rows:
        out[r.recommendation_id].append(
            {**r._asdict(), "status": _link_status(r, now), "feedback": feedback[r.id]}
        )
    return out


def get_link(
    conn: sa.Connection, recommendation_id: int, link_id: int, viewer: Viewer
) -> dict[str, Any]:
    """One link of a recommendation with status, views and feedback."""
    require_visible(conn, recommendation_id, viewer)
    row = conn.execute(
        sa.select(*_LINK_COLUMNS).where(
            ShareLink.id == link_id, ShareLink.recommendation_id == recommendation_id
        )
    ).first()
    if row is None:
        raise NotFound(f"link {link_id} of recommendation {recommendation_id} not found")
    return {
        **row._asdict(),
        "status": _link_status(row, _now()),
        "feedback": _feedback_by_link(conn, [link_id])[link_id],
    }


def revoke_link(
    conn: sa.Connection, recommendation_id: int, link_id: int, *, viewer: Viewer
) -> dict[str, Any]:
    """Revoke one link (the others keep working) and commit; revoking twice changes nothing."""
    get_link(conn, recommendation_id, link_id, viewer)
    conn.execute(
        sa.update(ShareLink)
        .where(ShareLink.id == link_id, ShareLink.revoked_at.is_(None))
        .values(revoked_at=sa.func.now(), revoked_by=viewer.username)
    )
    conn.commit()
    return get_link(conn, recommendation_id, link_id, viewer)


def extend_link(
    conn: sa.Connection,
    recommendation_id: int,
    link_id: int,
    *,
    days: int,
    viewer: Viewer,
    settings: LinkSettings,
) -> dict[str, Any]:
    """Move a link's expiry ``days`` later (from now if it has expired) and commit.

    A revoked link stays revoked (:class:`Conflict`): send a new link instead.
    """
    link = get_link(conn, recommendation_id, link_id, viewer)
    if link["revoked_at"] is not None:
        raise Conflict(
            f"link {link_id} was revoked on {link['revoked_at']:%Y-%m-%d}; "
            "a revoked link cannot be extended, create a new link instead",
            code="link_revoked",
            params={"value": f"{link['revoked_at']:%Y-%m-%d}"},
        )
    if days < 1:
        raise InvalidInput(
            f"days must be at least 1, got {days}",
            code="below_min",
            field="days",
            params={"min": 1, "value": days},
        )
    now = _now()
    new_expiry = max(now, link["expires_at"]) + dt.timedelta(days=days)
    limit = now + dt.timedelta(days=settings.max_expiry_days)
    if new_expiry > limit:
        raise InvalidInput(
            f"link {link_id} would then expire on {new_expiry:%Y-%m-%d}, later than the "
            f"{settings.max_expiry_days} days from today a link may stay valid",
            code="link_expiry_too_late",
            field="days",
            params={"value": f"{new_expiry:%Y-%m-%d}", "max": settings.max_expiry_days},
        )
    conn.execute(
        sa.update(ShareLink)
        .where(ShareLink.id == link_id)
        .values(expires_at=new_expiry, extended_at=sa.func.now(), extended_by=viewer.username)
    )
    conn.commit()
    return get_link(conn, recommendation_id, link_id, viewer)


# --- investor feedback ----------------------------------------------------------------------


def record_feedback(
    conn: sa.Connection,
    link: LinkContext,
    *,
    site_code: str | None,
    kind: str,
    reason: str | None,
    question: str | None,
    language: str,
    settings: LinkSettings,
) -> FeedbackReceipt:
    """Record an investor's answer about one site of the link (or a general question); commit.

    The site must be one of the link's recommendation (named by its code); any other code,
    existing or not, gets the same message. A "not suitable" answer needs a reason, a question
    its text. At most ``settings.feedback_max_per_day`` answers per link and day.
    """
    if kind not in vocab.FEEDBACK_KIND:
        raise InvalidInput(
            f"kind must be one of {', '.join(vocab.FEEDBACK_KIND.keys)}, got {kind[:40]!r}",
            code="unknown_value",
            field="kind",
            params={"value": kind[:40]},
        )
    vocab.LANGUAGE.term(language)
    reason = _check_text("reason", reason, MAX_TEXT)
    question = _check_text("question", question, MAX_TEXT)
    if kind == "not_suitable" and not reason:
        raise InvalidInput(
            "not_suitable: please give a reason / 请说明不合适的原因",
            code="not_suitable_needs_reason",
            field="reason",
        )
    if kind == "question" and not question:
        raise InvalidInput(
            "question: the question is empty / 请填写问题", code="question_empty", field="question"
        )
    site_id: int | None = None
    if site_code:
        site_id = conn.execute(
            sa.select(RecommendationSite.site_id)
            .join(Site, Site.id == RecommendationSite.site_id)
            .where(
                RecommendationSite.recommendation_id == link.recommendation_id,
                Site.code == site_code,
            )
        ).scalar()
        if site_id is None:
            raise InvalidInput(
                f"site {site_code[:40]!r} is not part of this recommendation",
                code="site_not_in_link",
                field="site",
                params={"value": site_code[:40]},
            )
    elif kind != "question":
        raise InvalidInput(
            f"{kind}: name the site this answer is about", code="feedback_needs_site", field="site"
        )
    recent = conn.execute(
        sa.select(sa.func.count())
        .select_from(Feedback)
        .where(
            Feedback.share_link_id == link.id,
            Feedback.created_at > sa.func.now() - dt.timedelta(days=1),
        )
    ).scalar_one()
    if recent >= settings.feedback_max_per_day:
        raise RateLimited("too many answers today; please try again tomorrow", 3600)
    feedback_id, created_at = conn.execute(
        sa.insert(Feedback)
        .values(
            share_link_id=link.id,
            site_id=site_id,
            kind=kind,
            reason=reason,
            question=question,
            language=language,
        )
        .returning(Feedback.id, Feedback.created_at)
    ).one()
    answers.record_answer_alert(conn, feedback_id, kind, reason or question)
    conn.commit()
    return FeedbackReceipt(
        received=True,
        site=site_code or None,
        kind=label_of(vocab.FEEDBACK_KIND, kind),  # type: ignore[arg-type]
        created_at=created_at,
    )


# --- rate limit -----------------------------------------------------------------------------


#: the scope of the investor links' counts in ``client_rate``
LINK_RATE_SCOPE = "link"


def count_link_request(conn: sa.Connection, client: str, settings: LinkSettings) -> None:
    """Count one request of ``client`` to ``/r/`` and commit it; :class:`RateLimited` once it
    is over the limit of its window.

    The counts live in the database, so every app process (on every host) shares one limit.
    Now and then the windows that ended long ago are forgotten, which bounds the table by the
    clients seen within about one window.
    """
    window = settings.rate_limit_window_s
    hits, left = rate_queries.hit(conn, LINK_RATE_SCOPE, client, window)
    if random.random() < _PRUNE_SHARE:
        rate_queries.prune(conn, window)
    conn.commit()
    if hits > settings.rate_limit_requests:
        retry = max(1, math.ceil(left))
        raise RateLimited("too many requests; please wait a moment / 请求过于频繁", retry)


#: the share of counted requests that also prune ended windows
_PRUNE_SHARE = 0.01
