"""History of sites (with their lineage and buildings) and sites as they were at a past time.

The history table is written by database triggers for every change — through the app, psql or
QGIS — with the changed fields old → new (geometry as GeoJSON of the full-precision
coordinates), who (the app user, else the database user and application name) and when.

A past state is rebuilt by walking the history backwards from the current row: each change
after the moment is undone by putting back its old values. A site made by a split or merge did
not exist before its creation; asking for an earlier moment says so and names its parents.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from gis_app.db import edit_queries
from gis_app.domain.errors import InvalidInput, NotFound
from gis_app.services.paging import check_page

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Large values summarised in listings (the full value is one request away, with geometry=true).
_SUMMARISED = frozenset({"geom"})


@dataclass(frozen=True)
class AsOf:
    """A moment in the past: the end of a day (``date``) or an instant (``timestamp``)."""

    bound: str
    value: dt.date | dt.datetime

    @property
    def label(self) -> str:
        """The moment as given."""
        return self.value.isoformat()


def parse_as_of(text: str) -> AsOf:
    """Parse ``YYYY-MM-DD`` (the end of that day) or an ISO 8601 date-time (with offset)."""
    s = text.strip()
    try:
        if _DATE.match(s):
            return AsOf("date", dt.date.fromisoformat(s))
        value = dt.datetime.fromisoformat(s.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(
            f"as_of {text!r} is not a date (YYYY-MM-DD) or an ISO 8601 date-time",
            code="not_a_date",
            field="as_of",
        ) from None
    if value.tzinfo is None:
        raise InvalidInput(
            f"as_of {text!r} has no time zone; add one (e.g. +08:00) or give a date",
            code="needs_time_zone",
            field="as_of",
            params={"value": s[:40]},
        )
    return AsOf("timestamp", value)


def _summarise(changes: dict[str, Any], with_geometry: bool) -> dict[str, Any]:
    out = {}
    for k, (old, new) in changes.items():
        if k in _SUMMARISED and not with_geometry:
            out[k] = {
                "changed": True,
                "old_present": old is not None,
                "new_present": new is not None,
            }
        else:
            out[k] = [old, new]
    return out


def site_history(
    conn: sa.Connection,
    site_id: int,
    *,
    lineage: bool = True,
    buildings: bool = True,
    with_geometry: bool = False,
    limit: int = 200,
    offset: int = 0,
    max_limit: int = 1000,
) -> dict[str, Any]:
    """The site's history, newest first, with its ancestors' (up to the split or merge) and its
    buildings' entries; geometry values are summarised unless ``with_geometry``."""
    check_page(limit, offset, max_limit)
    summary = edit_queries.site_head(conn, site_id)
    if summary is None:
        raise NotFound(f"site {site_id} not found")
    scopes: list[tuple[str, int, Any]] = [("site", site_id, None)]
    ancestors = edit_queries.lineage_ancestors(conn, site_id) if lineage else []
    scopes += [("site", a["id"], a["until"]) for a in ancestors]
    if buildings:
        scopes += [("building", b["id"], None) for b in edit_queries.buildings_of(conn, [site_id])]
    codes = {site_id: summary["code"], **{a["id"]: a["code"] for a in ancestors}}
    entries = edit_queries.history_entries(conn, scopes, limit=limit, offset=offset)
    return {
        "site_id": site_id,
        "code": summary["code"],
        "version": summary["version"],
        "parents": [{"id": a["id"], "code": a["code"]} for a in ancestors],
        "children": edit_queries.children_of(conn, site_id),
        "entries": [
            {
                **{k: v for k, v in e.items() if k != "changes"},
                "site_code": codes.get(e["row_id"]) if e["table_name"] == "site" else None,
                "changes": _summarise(e["changes"], with_geometry),
            }
            for e in entries
        ],
    }


def site_state_as_of(conn: sa.Connection, site_id: int, when: AsOf) -> dict[str, Any]:
    """The site's row (as ``to_jsonb``) as it was at ``when``; :class:`NotFound` if it did not
    exist then."""
    state = edit_queries.row_state(conn, "site", site_id)
    entries = edit_queries.entries_after(conn, "site", site_id, when.bound, when.value)
    if state is None and not entries:
        raise NotFound(f"site {site_id} not found")
    updates_after = 0
    for e in entries:  # newest first: undo each change
        if e["action"] == "insert":
            parents = (state or {}).get("parent_ids") or []
            made = f" (made from sites {', '.join(map(str, parents))})" if parents else ""
            raise NotFound(
                f"site {site_id} did not exist at {when.label}; it was created "
                f"{e['changed_at']:%Y-%m-%d %H:%M}{made}"
            )
        if e["action"] == "delete":
            state = {k: old for k, (old, _new) in e["changes"].items()}
            continue
        updates_after += 1
        assert state is not None
        for k, (old, _new) in e["changes"].items():
            state[k] = old
    assert state is not None
    if state.get("version") is not None:
        state["version"] = state["version"] - updates_after
    last = edit_queries.last_change_before(conn, "site", site_id, when.bound, when.value)
    if last is not None:
        state["updated_at"] = last.isoformat()
    return state


def site_feature_as_of(conn: sa.Connection, site_id: int, when: AsOf) -> str:
    """The site as a GeoJSON Feature (WGS84) as it was at ``when``, marked with ``as_of``."""
    state = site_state_as_of(conn, site_id, when)
    feature = json.loads(edit_queries.feature_from_state(conn, state))
    feature["properties"]["as_of"] = when.label
    return json.dumps(feature, ensure_ascii=False)
