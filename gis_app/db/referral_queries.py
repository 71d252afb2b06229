"""SQL of referrals between districts (revision 0031): write a referral, read it, and read the
outcome the referring district may see (counts and dates only, never a site of the other
district)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert

from gis_app.db.district_queries import in_scope
from gis_app.db.models import District, Referral, Requirement

_DISTRICT_JSON = sa.func.gis_app_district_json


def district_row(conn: sa.Connection, code: str) -> sa.Row[Any] | None:
    """The district ``code`` (code, level, names), or None."""
    return conn.execute(
        sa.select(District.code, District.level, District.name_zh, District.name_en).where(
            District.code == code
        )
    ).one_or_none()


def district_choices(conn: sa.Connection, exclude: Sequence[str]) -> list[sa.Row[Any]]:
    """The district-level rows (code, names) but ``exclude``, by code."""
    return list(
        conn.execute(
            sa.select(District.code, District.name_zh, District.name_en)
            .where(District.level == "district", District.code.not_in(list(exclude)))
            .order_by(District.code)
        ).all()
    )


def insert_referral(
    conn: sa.Connection,
    *,
    requirement_id: int,
    from_district: str,
    to_district: str,
    note: str | None,
    username: str,
) -> int | None:
    """Insert a referral; its id, or None when the requirement was referred there already."""
    stmt = (
        pg_insert(Referral)
        .values(
            requirement_id=requirement_id,
            from_district=from_district,
            to_district=to_district,
            note=note,
            referred_by=username,
            status_changed_by=username,
        )
        .on_conflict_do_nothing(index_elements=["requirement_id", "to_district"])
        .returning(Referral.id)
    )
    return conn.execute(stmt).scalar()


def lock_referral(conn: sa.Connection, referral_id: int) -> sa.RowMapping | None:
    """The referral row, locked ``FOR UPDATE``; None when there is none."""
    return (
        conn.execute(sa.select(Referral).where(Referral.id == referral_id).with_for_update())
        .mappings()
        .one_or_none()
    )


def set_status(conn: sa.Connection, referral_id: int, status: str, username: str) -> None:
    """Move a referral to ``status``."""
    conn.execute(
        sa.update(Referral)
        .where(Referral.id == referral_id)
        .values(status=status, status_changed_at=sa.func.now(), status_changed_by=username)
    )


def record_match(
    conn: sa.Connection, referral_id: int, matched: int, username: str, accept: bool
) -> None:
    """Keep the outcome of the receiving district's match (and accept an open referral)."""
    values: dict[str, Any] = {
        "matched_count": matched,
        "matched_at": sa.func.now(),
        "matched_by": username,
    }
    if accept:
        values |= {
            "status": "accepted",
            "status_changed_at": sa.func.now(),
            "status_changed_by": username,
        }
    conn.execute(sa.update(Referral).where(Referral.id == referral_id).values(**values))


def _sent_links() -> tuple[sa.ColumnElement[Any], sa.ColumnElement[Any]]:
    """Per referral: the first investor link the receiving district made for the requirement,
    and how many recommendations it made — counted by ``gis_app_referral_sent`` (revision
    0039) past the policy that hides the other district's recommendations from the referring
    one (correlated to ``referral``)."""
    sent = "(gis_app_referral_sent(referral.id))"
    return (
        sa.literal_column(f"{sent}.recommended_at", sa.DateTime(timezone=True)),
        sa.literal_column(f"{sent}.recommendations", sa.BigInteger()),
    )


def referrals(
    conn: sa.Connection,
    *,
    requirement_ids: Sequence[int] | None = None,
    referral_id: int | None = None,
    received_by: str | None = None,
    open_only: bool = False,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Referrals with what either district may see of them: the districts (codes and names),
    note, status, who referred and when, the receiving district's match count and date, and
    whether and when it sent an investor link. ``received_by``: only those referred to the
    scope of that user; ``open_only``: not closed. Newest first, at most ``limit``."""
    first_link, recs = _sent_links()
    conds: list[sa.ColumnElement[bool]] = []
    if requirement_ids is not None:
        conds.append(Referral.requirement_id.in_(list(requirement_ids)))
    if referral_id is not None:
        conds.append(Referral.id == referral_id)
    if received_by is not None:
        conds.append(in_scope(Referral.to_district, received_by))
    if open_only:
        conds.append(Referral.status != "closed")
    rows = (
        conn.execute(
            sa.select(
                Referral.id,
                Referral.requirement_id,
                Requirement.project_name,
                _DISTRICT_JSON(Referral.from_district).label("from_district"),
                _DISTRICT_JSON(Referral.to_district).label("to_district"),
                Referral.note,
                Referral.status,
                Referral.referred_by,
                Referral.created_at,
                Referral.status_changed_at,
                Referral.matched_count,
                Referral.matched_at,
                first_link.label("recommended_at"),
                recs.label("recommendations"),
                Referral.version,
            )
            .join(Requirement, Requirement.id == Referral.requirement_id)
            .where(*conds)
            .order_by(Referral.created_at.desc(), Referral.id.desc())
            .limit(limit)
        )
        .mappings()
        .all()
    )
    return [dict(r) for r in rows]


def referred_to_scope(username: str) -> sa.ColumnElement[bool]:
    """SQL condition on ``requirement``: referred (and not closed) to ``username``'s scope."""
    return sa.exists().where(
        Referral.requirement_id == Requirement.id,
        Referral.status != "closed",
        in_scope(Referral.to_district, username),
    )
