"""Matching services: an unsaved requirement, a saved one, and the reverse (site → requirements)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from gis_app.db import match_queries, site_queries
from gis_app.db.district_queries import district_codes, user_scope
from gis_app.domain import vocab
from gis_app.domain.errors import NotFound
from gis_app.matching.engine import MatchResult, run_match
from gis_app.matching.spec import RequirementSpec, parse_spec
from gis_app.services.requirements import Viewer, get_requirement, spec_of, visible_to


def match_spec(
    conn: sa.Connection,
    data: Any,
    *,
    limit: int = 20,
    near_miss_limit: int = 10,
    margin_pct: float | None = None,
    weights: dict[str, float] | None = None,
) -> MatchResult:
    """Match a requirement that is not saved (a dict or a :class:`RequirementSpec`)."""
    spec = data if isinstance(data, RequirementSpec) else parse_spec(data)
    return run_match(
        conn,
        spec,
        limit=limit,
        near_miss_limit=near_miss_limit,
        margin_pct=margin_pct,
        weights=weights,
    )


def match_requirement(
    conn: sa.Connection,
    requirement_id: int,
    viewer: Viewer,
    *,
    limit: int = 20,
    near_miss_limit: int = 10,
    margin_pct: float | None = None,
    weights: dict[str, float] | None = None,
) -> MatchResult:
    """Match a saved requirement (its own margin and weights unless overridden) against the
    sites of ``viewer``'s districts (:func:`match_scope`)."""
    return match_record(
        conn,
        get_requirement(conn, requirement_id, viewer),
        limit=limit,
        near_miss_limit=near_miss_limit,
        margin_pct=margin_pct,
        weights=weights,
        districts=match_scope(conn, viewer),
    )


def match_scope(conn: sa.Connection, viewer: Viewer) -> list[str] | None:
    """The districts whose sites ``viewer``'s matches of saved requirements read: their home
    district and those below it — a district's officer their district (a requirement referred
    to them: against their own inventory), a city's officer every district of the city, in one
    ranked list naming each site's district (issue 26, item 3). None when that is every
    district of the deployment: the match then reads every district (a deployment of one
    district, a city officer of the only city, match as fast as before districts)."""
    scope = user_scope(conn, viewer.username)
    return None if set(district_codes(conn)) <= set(scope) else scope


def match_record(
    conn: sa.Connection,
    record: dict[str, Any],
    *,
    limit: int = 20,
    near_miss_limit: int = 10,
    margin_pct: float | None = None,
    weights: dict[str, float] | None = None,
    districts: list[str] | None = None,
) -> MatchResult:
    """:func:`match_requirement` of a requirement already read with ``get_requirement``;
    ``districts``: only sites of these districts (None: every site)."""
    return run_match(
        conn,
        spec_of(record),
        limit=limit,
        near_miss_limit=near_miss_limit,
        margin_pct=margin_pct,
        weights=weights,
        requirement_id=record["id"],
        districts=districts,
    )


def matching_requirements(
    conn: sa.Connection, site_id: int, viewer: Viewer
) -> list[dict[str, Any]]:
    """Open requirements the site meets now, by the same predicate the alert triggers use."""
    if not match_queries.site_exists(conn, site_id):
        raise NotFound(f"site {site_id} not found")
    rows = match_queries.requirements_met_by(
        conn, site_id, vocab.OPEN_REQUIREMENT_STATUSES, visible_to(viewer)
    )
    for item in rows:
        item["created_at"] = item["created_at"].isoformat()
        item["need_label"] = {
            "zh": vocab.NEED.label(item["need"]),
            "en": vocab.NEED.label(item["need"], "en"),
        }
    return rows


def result_outlines(conn: sa.Connection, result: MatchResult) -> list[dict[str, Any]]:
    """The listed sites of a match as GeoJSON Features (WGS84) for its map, ranked: matches
    first, then near misses; properties say which list, the rank and the score."""
    listed = [*result.matches, *result.near_misses]
    shapes = site_queries.site_outlines(conn, [m.site_id for m in listed])
    out = []
    for m in listed:
        shape = shapes.get(m.site_id)
        if shape is None:  # removed since the match ran
            continue
        out.append(
            {
                "type": "Feature",
                "geometry": shape["geometry"],
                "properties": {
                    "id": m.site_id,
                    "code": m.code,
                    "name_zh": m.name_zh,
                    "name_en": m.name_en,
                    "rank": m.rank,
                    "near_miss": m.near_miss,
                    "score": m.score,
                    "lon": shape["lon"],
                    "lat": shape["lat"],
                },
            }
        )
    return out


def match_counts(conn: sa.Connection, requirement_ids: list[int]) -> dict[int, int]:
    """How many sites meet each of these requirements now (the trigger-kept reverse matches;
    closed requirements keep none)."""
    return match_queries.match_counts(conn, requirement_ids)
