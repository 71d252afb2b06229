"""Saved searches: the search as an SQL condition the database's triggers evaluate, and their
rows (revision 0018).

A saved search is kept current by the database, so the database needs the search itself, not
only its parameters: :func:`compile_filter` turns the one site filter of the app
(:class:`gis_app.db.site_queries.SiteFilter`, which ``GET /api/sites`` searches with) into its
SQL condition with each bound value read from a JSON object passed as ``$1``
(``($1->>'area_mu_min')::float8``). The values stay data (JSON), never SQL text, and the
database evaluates exactly the condition the API runs.
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa

from gis_app.db.models import Alert, SavedSearch, SavedSearchMatch

#: a bound parameter of the site filter's SQL (``:name``, not a ``::cast``)
_BIND = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")
_INT32 = 2**31 - 1
_SS = SavedSearch.__table__


def _reader(name: str, value: Any) -> str:
    """SQL reading the JSON value ``name`` of ``$1`` as the type the filter binds it as."""
    ref = f"($1->>'{name}')"
    if isinstance(value, bool):
        return f"{ref}::boolean"
    if isinstance(value, int):
        return f"{ref}::integer" if abs(value) <= _INT32 else f"{ref}::bigint"
    if isinstance(value, float):
        return f"{ref}::float8"
    if isinstance(value, str):
        return ref
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return f"ARRAY(SELECT jsonb_array_elements_text($1->'{name}'))"
    raise TypeError(f"saved searches cannot keep the filter value {name}={value!r}")


def compile_filter(flt: Any) -> tuple[str, dict[str, Any]]:
    """The SQL condition on ``site s`` of a checked site filter, its values read from ``$1``,
    and those values (JSON-ready)."""
    where, params = flt.where()
    unknown = set(_BIND.findall(where)) - set(params)
    if unknown:
        raise ValueError(f"the filter's SQL binds values it does not give: {sorted(unknown)}")
    predicate = _BIND.sub(lambda m: _reader(m.group(1), params[m.group(1)]), where)
    values = {k: list(v) if isinstance(v, tuple) else v for k, v in params.items()}
    return predicate, values


def create(
    conn: sa.Connection, owner: str, name: str, query: str, predicate: str, params: dict[str, Any]
) -> int:
    """Insert a saved search; its id (the matches are filled by :func:`sync`)."""
    return int(
        conn.execute(
            sa.insert(_SS)
            .values(
                owner=owner,
                name=name,
                query=query,
                predicate=predicate,
                params=params,
            )
            .returning(_SS.c.id)
        ).scalar_one()
    )


def sync(conn: sa.Connection, search_id: int, *, alert: bool) -> None:
    """Bring the sites the search holds up to date in the database (alerts when asked)."""
    conn.execute(
        sa.text("SELECT gis_app_sync_saved_search(:id, :alert, NULL)"),
        {"id": search_id, "alert": alert},
    )


def exists_named(conn: sa.Connection, owner: str, name: str) -> bool:
    """Whether ``owner`` already has a saved search called ``name``."""
    row = conn.execute(
        sa.select(SavedSearch.id).where(SavedSearch.owner == owner, SavedSearch.name == name)
    ).first()
    return row is not None


def owner_of(conn: sa.Connection, search_id: int) -> tuple[bool, str | None]:
    """Whether the saved search exists, and its owner."""
    row = conn.execute(sa.select(SavedSearch.owner).where(SavedSearch.id == search_id)).first()
    return (row is not None, row.owner if row is not None else None)


def delete(conn: sa.Connection, search_id: int) -> None:
    """Delete a saved search (its matches and alerts go with it)."""
    conn.execute(sa.delete(_SS).where(_SS.c.id == search_id))


def rows(conn: sa.Connection, owner: str, search_id: int | None = None) -> list[sa.RowMapping]:
    """``owner``'s saved searches by name: the sites each holds now and its unseen alerts."""
    held = (
        sa.select(sa.func.count())
        .select_from(SavedSearchMatch)
        .where(SavedSearchMatch.saved_search_id == SavedSearch.id)
        .scalar_subquery()
    )
    unseen = (
        sa.select(sa.func.count())
        .select_from(Alert)
        .where(Alert.saved_search_id == SavedSearch.id, Alert.seen_at.is_(None))
        .scalar_subquery()
    )
    query = (
        sa.select(
            SavedSearch.id,
            SavedSearch.name,
            SavedSearch.query,
            SavedSearch.created_at,
            held.label("site_count"),
            unseen.label("unseen_alerts"),
        )
        .where(SavedSearch.owner == owner)
        .order_by(SavedSearch.name, SavedSearch.id)
    )
    if search_id is not None:
        query = query.where(SavedSearch.id == search_id)
    return list(conn.execute(query).mappings())
