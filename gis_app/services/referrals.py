"""Referrals between districts (issue 26, item 3): an officer refers a requirement of their
district to another district with a note; that district's officers see it in their list,
match it against their own district's sites, accept or decline it and send their own
recommendation link; the referring district sees the outcome per referral — the district, the
status, how many of its sites matched, whether and when a link was sent — and nothing of the
other district's sites. A city's officer matches a requirement across every district below
the city (:func:`gis_app.services.matching.match_requirement` with the user's scope).

Who may do what is decided by districts (the user's home district and those below it, see
:func:`gis_app.db.district_queries.scope_codes`), on top of the route's role: the requirement's
district refers and closes; the receiving district matches, accepts and declines. Row-level
security (item 2) is not on yet; these rules are the app's own.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from gis_app.db import referral_queries as q
from gis_app.db.district_queries import user_scope
from gis_app.db.engine import set_app_user
from gis_app.domain import vocab
from gis_app.domain.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    TransitionRefused,
    UnknownVocabularyValue,
)
from gis_app.domain.vocab import Term
from gis_app.matching.engine import MatchResult
from gis_app.services import matching as match_service
from gis_app.services.requirements import Viewer, get_requirement

#: longest note (characters); the table checks it too (revision 0031)
MAX_NOTE = 2000
#: status moves the receiving district may make, and those the referring district may make
RECEIVER_MOVES: dict[str, tuple[str, ...]] = {
    "open": ("accepted", "declined"),
    "accepted": ("declined",),
    "declined": ("accepted",),
}
REFERRER_MOVES: dict[str, tuple[str, ...]] = {
    "open": ("closed",),
    "accepted": ("closed",),
    "declined": ("closed",),
    "closed": ("open",),
}


def _outcome(row: dict[str, Any]) -> dict[str, Any]:
    out = dict(row)
    for key, value in out.items():
        if isinstance(value, dt.datetime):
            out[key] = value.isoformat()
    out["status_label"] = {
        "zh": vocab.REFERRAL_STATUS.label(out["status"]),
        "en": vocab.REFERRAL_STATUS.label(out["status"], "en"),
    }
    out["recommendation_sent"] = out["recommended_at"] is not None
    return out


def _note(note: str | None) -> str | None:
    if note is None:
        return None
    if "\x00" in note:
        raise InvalidInput(
            "referral note must not contain NUL characters", code="text_nul", field="note"
        )
    note = note.strip()
    if len(note) > MAX_NOTE:
        raise InvalidInput(
            f"referral note: at most {MAX_NOTE} characters",
            code="too_long",
            field="note",
            params={"max_length": MAX_NOTE},
        )
    return note or None


def refers(conn: sa.Connection, record: dict[str, Any], viewer: Viewer) -> bool:
    """Whether ``viewer`` works for the requirement's district (or above it)."""
    return viewer.admin or record["district_code"] in user_scope(conn, viewer.username)


def refer(
    conn: sa.Connection,
    requirement_id: int,
    to_district: str,
    note: str | None,
    viewer: Viewer,
) -> dict[str, Any]:
    """Refer requirement ``requirement_id`` to district ``to_district`` with ``note``; commit.

    Only the requirement's district refers it (:class:`Forbidden`), to another district-level
    row (:class:`InvalidInput`), once per district (:class:`Conflict`).
    """
    record = get_requirement(conn, requirement_id, viewer)
    text = _note(note)
    if not refers(conn, record, viewer):
        raise Forbidden(
            f"requirement {requirement_id} belongs to district {record['district_code']}; "
            "only its officers refer it",
            code="referral_not_referring",
        )
    valid = isinstance(to_district, str) and "\x00" not in to_district
    target = q.district_row(conn, to_district) if valid else None
    if target is None or target.level != "district":
        raise InvalidInput(
            f"referral of requirement {requirement_id}: {to_district!r} is not a district",
            code="referral_not_a_district",
            field="to_district",
            params={"value": str(to_district)[:60]},
        )
    name = Term(target.code, target.name_zh, target.name_en or target.name_zh)
    if target.code == record["district_code"]:
        raise InvalidInput(
            f"requirement {requirement_id} belongs to {target.code} already",
            code="referral_own_district",
            field="to_district",
            params={"value": name},
        )
    set_app_user(conn, viewer.username, f"refer requirement {requirement_id} to {target.code}")
    new_id = q.insert_referral(
        conn,
        requirement_id=requirement_id,
        from_district=record["district_code"],
        to_district=target.code,
        note=text,
        username=viewer.username,
    )
    if new_id is None:
        conn.rollback()
        raise Conflict(
            f"requirement {requirement_id} was referred to {target.code} already",
            code="referral_exists",
            params={"value": name},
        )
    conn.commit()
    return _outcome(q.referrals(conn, referral_id=new_id)[0])


def referrals_of(conn: sa.Connection, requirement_id: int, viewer: Viewer) -> list[dict[str, Any]]:
    """The referrals of a requirement ``viewer`` may see: all of them for its own district,
    else those made to the viewer's district."""
    record = get_requirement(conn, requirement_id, viewer)
    received_by = None if refers(conn, record, viewer) else viewer.username
    rows = q.referrals(conn, requirement_ids=[requirement_id], received_by=received_by)
    return [_outcome(r) for r in rows]


def received(
    conn: sa.Connection, requirement_ids: list[int], viewer: Viewer
) -> dict[int, dict[str, Any]]:
    """Of these requirements, those referred to ``viewer``'s district (not closed): the
    referral by requirement id (the latest when several)."""
    if not requirement_ids:
        return {}
    out: dict[int, dict[str, Any]] = {}
    rows = q.referrals(
        conn, requirement_ids=requirement_ids, received_by=viewer.username, open_only=True
    )
    for row in rows:
        out.setdefault(row["requirement_id"], _outcome(row))
    return out


def inbox(conn: sa.Connection, viewer: Viewer, limit: int = 50) -> list[dict[str, Any]]:
    """The referrals to ``viewer``'s district that are not closed, newest first (the
    requirements list shows them above the table)."""
    rows = q.referrals(conn, received_by=viewer.username, open_only=True, limit=limit)
    return [_outcome(r) for r in rows]


def refer_choices(conn: sa.Connection, record: dict[str, Any]) -> list[Term]:
    """The districts a requirement may still be referred to (not its own, not already)."""
    taken = [r["to_district"]["code"] for r in q.referrals(conn, requirement_ids=[record["id"]])]
    rows = q.district_choices(conn, [record["district_code"], *taken])
    return [Term(r.code, r.name_zh, r.name_en or r.name_zh) for r in rows]


def _locked(conn: sa.Connection, referral_id: int, viewer: Viewer) -> sa.RowMapping:
    """The referral locked for a change; :class:`NotFound` when it does not exist or its
    requirement is hidden from ``viewer``."""
    row = q.lock_referral(conn, referral_id)
    if row is None:
        conn.rollback()
        raise NotFound(f"referral {referral_id} not found")
    try:
        get_requirement(conn, row["requirement_id"], viewer)
    except NotFound:
        conn.rollback()
        raise NotFound(f"referral {referral_id} not found") from None
    return row


def _receives(conn: sa.Connection, row: sa.RowMapping, viewer: Viewer) -> bool:
    return viewer.admin or row["to_district"] in user_scope(conn, viewer.username)


def match_referral(
    conn: sa.Connection,
    referral_id: int,
    viewer: Viewer,
    *,
    limit: int = 20,
    near_miss_limit: int = 10,
) -> tuple[dict[str, Any], MatchResult]:
    """Match a referred requirement against the receiving district's sites only; keep how
    many matched (an open referral is accepted by it); commit. Returns (referral, result)."""
    row = _locked(conn, referral_id, viewer)
    if not _receives(conn, row, viewer):
        conn.rollback()
        raise Forbidden(
            f"referral {referral_id} goes to district {row['to_district']}; only its officers "
            "match it",
            code="referral_not_receiving",
        )
    if row["status"] in ("declined", "closed"):
        conn.rollback()
        _refuse_move(referral_id, row["status"], "accepted")
    record = get_requirement(conn, row["requirement_id"], viewer)
    result = match_service.match_record(
        conn,
        record,
        limit=limit,
        near_miss_limit=near_miss_limit,
        districts=[row["to_district"]],
    )
    set_app_user(conn, viewer.username, f"match referral {referral_id}")
    q.record_match(
        conn, referral_id, result.total_matches, viewer.username, accept=row["status"] == "open"
    )
    conn.commit()
    return _outcome(q.referrals(conn, referral_id=referral_id)[0]), result


def _refuse_move(referral_id: int, old: str, new: str) -> None:
    terms = {"old": vocab.REFERRAL_STATUS.term(old), "new": vocab.REFERRAL_STATUS.term(new)}
    if old == new:
        raise TransitionRefused(
            f"referral {referral_id} is already {new}",
            code="status_unchanged",
            field="status",
            params=terms,
        )
    raise TransitionRefused(
        f"referral {referral_id}: {old} → {new} is not a move its districts make",
        code="referral_move_refused",
        field="status",
        params=terms,
    )


def change_status(
    conn: sa.Connection, referral_id: int, status: str, viewer: Viewer
) -> dict[str, Any]:
    """Move a referral: the receiving district accepts or declines it, the referring district
    closes (or reopens) it; commit."""
    if status not in vocab.REFERRAL_STATUS:
        raise UnknownVocabularyValue("status", status, vocab.REFERRAL_STATUS.keys)
    row = _locked(conn, referral_id, viewer)
    old = row["status"]
    record = get_requirement(conn, row["requirement_id"], viewer)
    receiving, referring = _receives(conn, row, viewer), refers(conn, record, viewer)
    if status in RECEIVER_MOVES.get(old, ()) and not receiving:
        conn.rollback()
        raise Forbidden(
            f"referral {referral_id}: only officers of {row['to_district']} accept or decline",
            code="referral_not_receiving",
        )
    if status in REFERRER_MOVES.get(old, ()) and not referring:
        conn.rollback()
        raise Forbidden(
            f"referral {referral_id}: only officers of {row['from_district']} close or reopen",
            code="referral_not_referring",
        )
    if status not in RECEIVER_MOVES.get(old, ()) + REFERRER_MOVES.get(old, ()):
        conn.rollback()
        _refuse_move(referral_id, old, status)
    set_app_user(conn, viewer.username, f"referral {referral_id}: {old} → {status}")
    q.set_status(conn, referral_id, status, viewer.username)
    conn.commit()
    return _outcome(q.referrals(conn, referral_id=referral_id)[0])
