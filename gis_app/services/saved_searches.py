"""Saved searches: an officer names the current search of the map (filters and drawn area);
the database keeps the sites it holds and alerts the officer when a site newly enters it —
whether the change came from a planner in the app, an import or QGIS (revision 0018)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa

from gis_app.db import saved_search_queries as queries
from gis_app.db.engine import set_app_user
from gis_app.db.site_queries import SiteFilter
from gis_app.domain.errors import Conflict, InvalidInput, NotFound

#: longest name of a saved search (characters)
MAX_NAME = 100
#: most saved searches one officer keeps (each is evaluated on every site change)
MAX_PER_OWNER = 50


def _as_json(row: Any) -> dict[str, Any]:
    item = dict(row)
    item["created_at"] = row["created_at"].isoformat()
    return item


def check_name(name: str) -> str:
    """The name stripped of surrounding spaces; :class:`InvalidInput` naming the problem."""
    text = (name or "").strip()
    problem = (
        "give the saved search a name"
        if not text
        else f"at most {MAX_NAME} characters, got {len(text)}"
        if len(text) > MAX_NAME
        else "control characters are not allowed"
        if any(ord(c) < 32 for c in text)
        else None
    )
    if problem:
        raise InvalidInput(f"name: {problem}", code="saved_search_name", field="name")
    return text


def save(
    conn: sa.Connection, owner: str, name: str, query: list[tuple[str, str]], flt: SiteFilter
) -> dict[str, Any]:
    """Save ``flt`` (given as the query parameters ``query`` of ``GET /api/sites``) under
    ``name`` for ``owner``; the sites it holds now are recorded without alerts; commit."""
    text = check_name(name)
    flt.validate()
    if queries.exists_named(conn, owner, text):
        raise Conflict(
            f"name: you already have a saved search called {text!r}",
            code="saved_search_exists",
            field="name",
            params={"value": text},
        )
    if len(queries.rows(conn, owner)) >= MAX_PER_OWNER:
        raise Conflict(
            f"you keep {MAX_PER_OWNER} saved searches already; delete one first",
            code="saved_search_limit",
            params={"max": MAX_PER_OWNER},
        )
    predicate, params = queries.compile_filter(flt)
    set_app_user(conn, owner, f"saved search {text}")
    search_id = queries.create(conn, owner, text, urlencode(query), predicate, params)
    queries.sync(conn, search_id, alert=False)
    conn.commit()
    return _as_json(queries.rows(conn, owner, search_id)[0])


def list_saved(conn: sa.Connection, owner: str) -> list[dict[str, Any]]:
    """``owner``'s saved searches by name, with the sites each holds and its unseen alerts."""
    return [_as_json(r) for r in queries.rows(conn, owner)]


def delete(conn: sa.Connection, search_id: int, owner: str) -> None:
    """Delete one of ``owner``'s saved searches with its alerts; commit."""
    exists, who = queries.owner_of(conn, search_id)
    if not exists or who != owner:
        raise NotFound(f"saved search {search_id} not found")
    set_app_user(conn, owner, f"saved search {search_id} deleted")
    queries.delete(conn, search_id)
    conn.commit()
