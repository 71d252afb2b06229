"""Promotion activities (招商活动): officers log them, leaders set the monthly minimum, and the
progress view counts each officer's activities month by month against it (责任状).

Officers log their own activities (admins for anyone); officers, leaders and admins read all
of them (the office's list is shared); leaders and admins set the minimums. Each function
checks every field first and names each bad one, then writes and commits; nothing is written
when anything is refused.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from gis_app.db import activity_queries as q
from gis_app.db.district_queries import districts_below
from gis_app.db.edit_queries import translate_db_errors
from gis_app.db.engine import set_app_user
from gis_app.domain import activities, vocab
from gis_app.domain.error_vocab import Problem
from gis_app.domain.errors import Forbidden, InvalidInput, NotFound
from gis_app.domain.fields import Field, FieldError
from gis_app.services.projects import ProjectViewer


def _problem(f: Field, code: str, detail: str, **params: Any) -> Problem:
    return Problem(code, f.name, {"field": f.term, **params}, f"{f.name}: {detail}")


def _check(registry: Mapping[str, Field], data: Mapping[str, Any]) -> tuple[dict, list[Problem]]:
    """Every writable field of ``registry`` coerced, and a problem per bad one."""
    out: dict[str, Any] = {}
    problems: list[Problem] = []
    for name in sorted(set(data) - set(registry)):
        problems.append(Problem("unknown_field", name, {}, f"unknown field {name}"))
    for name, f in registry.items():
        if f.managed:
            continue
        value = data.get(name)
        if isinstance(value, str):
            value = value.strip()
        try:
            out[name] = f.coerce(value)
        except FieldError as e:
            problems.append(_problem(f, e.code, str(e), **e.params))
    return out, problems


def _activity(
    conn: sa.Connection, data: Mapping[str, Any], today: dt.date
) -> tuple[dict[str, Any], str | None, list[Problem]]:
    """An activity's values checked (not in the future; its project known), the project code
    it named, and a problem per bad field."""
    values, problems = _check(activities.ACTIVITY, data)
    spec = activities.ACTIVITY
    held_on = values.get("held_on")
    if held_on is not None and held_on > today:
        problems.append(
            _problem(spec["held_on"], "date_in_future", f"{held_on} is after today", value=held_on)
        )
    code = values.pop("project_code", None)
    if code:
        values["project_id"] = q.project_id(conn, code)
        if values["project_id"] is None:
            problems.append(
                _problem(spec["project_code"], "unknown_value", f"no project {code!r}", value=code)
            )
    return values, code, problems


def log_activity(
    conn: sa.Connection, data: Mapping[str, Any], actor: ProjectViewer, today: dt.date
) -> dict[str, Any]:
    """Record one activity (``officer`` defaults to the actor; an officer logs only their
    own) and commit; the activity as stored."""
    values, code, problems = _activity(conn, data, today)
    officer = values.get("officer") or actor.username
    if officer != actor.username and not actor.admin:
        raise Forbidden(f"activity: {actor.username!r} logs only their own activities")
    if officer not in q.officers(conn):
        problems.append(
            _problem(
                activities.ACTIVITY["officer"],
                "unknown_value",
                f"{officer!r} is not an officer's account",
                value=officer,
            )
        )
    if problems:
        what = f"activity {values.get('title') or ''}".strip()
        raise InvalidInput(f"{what}: " + "; ".join(p.detail for p in problems), refusals=problems)
    values |= {"officer": officer, "created_by": actor.username}
    set_app_user(conn, actor.username, "log activity")
    activity_id = q.insert_activity(conn, values)
    conn.commit()
    return _public(q.activity(conn, activity_id) or {}, code)


def load_activities(conn: sa.Connection, path: Path, officer: str, today: dt.date) -> int:
    """Record the activities and monthly minimums of a ledger file (``projects.json`` of the
    sample: illustrative) as ``officer``'s, in one transaction, each checked as the page checks
    it; nothing when ``officer`` already has activities. Returns how many were recorded."""
    try:
        ledger = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise InvalidInput(f"{path.name}: cannot read the ledger ({e})") from None
    if q.has_activities(conn, officer):
        return 0
    rows, minimums = [], []
    for n, item in enumerate(ledger.get("activities", []), 1):
        values, _, problems = _activity(conn, item, today)
        if problems:
            raise InvalidInput(
                f"{path.name}: activity {n}: " + "; ".join(p.detail for p in problems),
                refusals=problems,
            )
        rows.append(values | {"officer": officer, "created_by": officer})
    for n, item in enumerate(ledger.get("activity_minimums", []), 1):
        values, problems = _check(activities.MINIMUM, item)
        if problems:
            raise InvalidInput(
                f"{path.name}: minimum {n}: " + "; ".join(p.detail for p in problems),
                refusals=problems,
            )
        minimums.append(values)
    set_app_user(conn, officer, f"load {path.name}")
    for row in rows:
        q.insert_activity(conn, row)
    for m in minimums:
        q.put_minimum(conn, m["year"], m["kind"], m.get("officer") or "", m["per_month"], officer)
    conn.commit()
    return len(rows)


def delete_activity(conn: sa.Connection, activity_id: int, actor: ProjectViewer) -> None:
    """Remove an activity its officer (or whoever logged it, or an admin) no longer wants
    counted; commit."""
    row = q.activity(conn, activity_id)
    if row is None:
        raise NotFound(f"activity {activity_id} not found")
    if actor.username not in (row["officer"], row["created_by"]) and not actor.admin:
        raise Forbidden(f"activity {activity_id}: only {row['officer']!r} or an admin removes it")
    q.delete_activity(conn, activity_id)
    conn.commit()


def _public(row: Mapping[str, Any], project_code: str | None = None) -> dict[str, Any]:
    out = {k: v for k, v in row.items() if k != "project_id"}
    out.setdefault("project_code", project_code)
    for k in ("held_on", "created_at"):
        if isinstance(out.get(k), dt.date):
            out[k] = out[k].isoformat()
    kind = vocab.ACTIVITY_KIND.term(out["kind"]) if out.get("kind") else None
    out["kind_label"] = {"zh": kind.zh, "en": kind.en} if kind else None
    return out


def list_activities(
    conn: sa.Connection,
    year: int,
    *,
    officer: str | None = None,
    kind: str | None = None,
    limit: int = 200,
) -> list[dict[str, Any]]:
    """The year's activities, newest first (at most ``limit``)."""
    if kind is not None and kind not in vocab.ACTIVITY_KIND:
        raise InvalidInput(
            f"unknown activity kind {kind!r}",
            code="unknown_value",
            field="kind",
            params={"field": activities.ACTIVITY["kind"].term, "value": kind},
        )
    rows = q.list_activities(
        conn, dt.date(year, 1, 1), dt.date(year, 12, 31), officer=officer, kind=kind, limit=limit
    )
    return [_public(r) for r in rows]


def set_minimum(
    conn: sa.Connection,
    data: Mapping[str, Any],
    actor: ProjectViewer,
    district: str | None = None,
) -> dict[str, Any]:
    """Set the monthly minimum of one kind of activity for a year (for every officer of
    ``district`` — default the actor's — when ``officer`` is empty; an officer's own in their
    district) and commit; the minimum as set. A district the actor may not lead: 403."""
    if not actor.sets_targets:
        raise Forbidden(f"{actor.username!r} may not set the monthly minimum (leaders do)")
    values, problems = _check(activities.MINIMUM, data)
    officer = values.get("officer") or ""
    if officer and officer not in q.officers(conn):
        problems.append(
            _problem(
                activities.MINIMUM["officer"],
                "unknown_value",
                f"{officer!r} is not an officer's account",
                value=officer,
            )
        )
    if problems:
        raise InvalidInput(
            "monthly minimum: " + "; ".join(p.detail for p in problems), refusals=problems
        )
    set_app_user(conn, actor.username, "set activity minimum")
    with translate_db_errors("monthly minimum"):
        q.put_minimum(
            conn,
            values["year"],
            values["kind"],
            officer,
            values["per_month"],
            actor.username,
            district,
        )
    conn.commit()
    return {"year": values["year"], "kind": values["kind"], "officer": officer,
            "per_month": values["per_month"]}  # fmt: skip


def progress(conn: sa.Connection, year: int, today: dt.date, district: str) -> dict[str, Any]:
    """Each officer's activities of ``district`` (and the districts below it) month by month
    from January (to this month, or December of a past year) against the monthly minimum (the
    officer's own, else their district's, else ``district``'s); months that ended below it
    are ``short``."""
    below = districts_below(conn, district)
    last = min(dt.date(year, 12, 1), today.replace(day=1))
    months = [dt.date(year, m, 1) for m in range(1, last.month + 1)] if last.year == year else []
    end = dt.date(year, 12, 31)
    counts: dict[tuple[str, str, dt.date], int] = {}
    for r in q.monthly_counts(conn, dt.date(year, 1, 1), end, below):
        counts[(r["officer"], r["kind"], r["month"])] = r["n"]
    minimums = q.minimums(conn, year, below)
    per: dict[tuple[str, str, str], int] = {
        (m["district_code"], m["officer"], m["kind"]): m["per_month"] for m in minimums
    }
    homes = q.officers(conn, below)
    names = sorted(set(homes) | {officer for officer, _, _ in counts})
    this_month = today.replace(day=1)
    rows = []
    for officer in names:
        for kind in vocab.ACTIVITY_KIND:
            home = homes.get(officer, district)
            keys = ((home, officer, kind.key), (home, "", kind.key), (district, "", kind.key))
            minimum = next((per[k] for k in keys if k in per), None)
            cells = [counts.get((officer, kind.key, m), 0) for m in months]
            if minimum is None and not any(cells):
                continue
            short = [
                m.strftime("%Y-%m")
                for m, n in zip(months, cells, strict=True)
                if minimum is not None and n < minimum and m < this_month
            ]
            rows.append(
                {
                    "officer": officer,
                    "kind": kind.key,
                    "kind_label": {"zh": kind.zh, "en": kind.en},
                    "minimum": minimum,
                    "counts": cells,
                    "total": sum(cells),
                    "short_months": short,
                }
            )
    return {
        "year": year,
        "months": [m.strftime("%Y-%m") for m in months],
        "current_month": this_month.strftime("%Y-%m") if this_month.year == year else None,
        "minimums": sorted(minimums, key=lambda m: (m["kind"], m["district_code"], m["officer"])),
        "rows": rows,
    }
