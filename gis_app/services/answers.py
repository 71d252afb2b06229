"""Investors' answers as news for officers: each answer on a link raises an alert for the
officer of the requirement it was recommended for, shown as a badge on the requirements list
and the requirement's page until the officer marks the answers read."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from gis_app.db import alert_queries
from gis_app.db.engine import set_app_user
from gis_app.domain import vocab

SNIPPET = 200


def answer_reason(kind: str, text: str | None) -> str:
    """The alert's reason: "客商反馈 · 感兴趣 / Investor answer · Interested: …"."""
    term = vocab.FEEDBACK_KIND.term(kind)
    reason = f"{vocab.FEEDBACK_KIND.zh} · {term.zh} / Investor answer · {term.en}"
    text = (text or "").strip()
    if text:
        reason += ": " + (text[:SNIPPET] + "…" if len(text) > SNIPPET else text)
    return reason


def record_answer_alert(
    conn: sa.Connection, feedback_id: int, kind: str, text: str | None
) -> int | None:
    """Raise the alert of a new answer (in the caller's transaction); None when the
    recommendation was not made for a requirement."""
    return alert_queries.add_answer_alert(conn, feedback_id, answer_reason(kind, text))


def unseen_counts(conn: sa.Connection, requirement_ids: list[int]) -> dict[int, int]:
    """Answers not yet marked read, per requirement."""
    return alert_queries.unseen_answer_counts(conn, requirement_ids)


def new_since(conn: sa.Connection, requirement_id: int) -> dt.datetime | None:
    """Answers to a requirement at or after this time are new (None: nothing new)."""
    return alert_queries.oldest_unseen_answer(conn, requirement_id)


def mark_read(conn: sa.Connection, requirement_id: int, username: str, *, admin: bool) -> int:
    """Mark the answers of a requirement read (the caller's alerts; an admin's: everyone's);
    commit; return how many alerts were marked."""
    set_app_user(conn, username, f"answers to requirement {requirement_id} read")
    n = alert_queries.mark_answers_seen(conn, requirement_id, None if admin else username)
    conn.commit()
    return n


def is_new(created_at: Any, since: dt.datetime | None) -> bool:
    """Whether an answer written at ``created_at`` is among the unread ones."""
    return since is not None and created_at is not None and created_at >= since
