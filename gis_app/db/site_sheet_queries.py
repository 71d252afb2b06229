"""Reads for one site's sheet: the full record, buildings, distances, overlaps, history.

GeoJSON is WGS84: CGCS2000 coordinates are relabelled (the frames agree to centimetres; PROJ
shifts nothing between them but its lookup costs a new connection ~0.3 s).
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

from gis_app.db.site_queries import SITE_PROPERTY_COLUMNS
from gis_app.domain import fields

#: internal columns officers see on the sheet (never sent to investors)
INTERNAL_COLUMNS: tuple[str, ...] = fields.names(fields.SITE, group="internal")

HISTORY_LIMIT = 200


def site_record(conn: sa.Connection, site_id: int) -> dict[str, Any] | None:
    """Every column of one site (public and internal), its geometry as GeoJSON (WGS84)."""
    cols = ", ".join(f"s.{c}" for c in (*SITE_PROPERTY_COLUMNS, *INTERNAL_COLUMNS))
    row = (
        conn.execute(
            sa.text(
                f"""SELECT {cols},
                       ST_AsGeoJSON(ST_SetSRID(s.geom, 4326), 7) AS geometry,
                       ST_XMin(s.geom) AS x0, ST_YMin(s.geom) AS y0,
                       ST_XMax(s.geom) AS x1, ST_YMax(s.geom) AS y1
                  FROM site s WHERE s.id = :id"""
            ),
            {"id": site_id},
        )
        .mappings()
        .first()
    )
    if row is None:
        return None
    rec = dict(row)
    rec["geometry"] = json.loads(rec["geometry"])
    return rec


def site_buildings(conn: sa.Connection, site_id: int) -> list[dict[str, Any]]:
    """The site's buildings, every column, by code."""
    rows = conn.execute(
        sa.text("SELECT b.* FROM building b WHERE b.site_id = :id ORDER BY b.code"),
        {"id": site_id},
    ).mappings()
    return [dict(r) for r in rows]


def site_distances(conn: sa.Connection, site_id: int) -> list[dict[str, Any]]:
    """Distance to the nearest infrastructure of each kind, with its name and location."""
    rows = conn.execute(
        sa.text(
            """SELECT d.infra_kind, d.distance_m, i.id AS infrastructure_id, i.code, i.name_zh,
                      i.name_en, ST_AsGeoJSON(ST_SetSRID(i.geom, 4326), 7) AS geometry
                 FROM site_distance d JOIN infrastructure i ON i.id = d.infrastructure_id
                WHERE d.site_id = :id
                ORDER BY d.distance_m"""
        ),
        {"id": site_id},
    ).mappings()
    return [dict(r) | {"geometry": json.loads(r["geometry"])} for r in rows]


def site_overlaps(conn: sa.Connection, site_id: int) -> list[dict[str, Any]]:
    """Constraint zones the site overlaps, with the overlap in m² and % of the site."""
    rows = conn.execute(
        sa.text(
            """SELECT o.zone_kind, o.overlap_m2, o.overlap_pct, z.id AS zone_id, z.code,
                      z.name_zh, z.name_en, z.source, z.version_date,
                      ST_AsGeoJSON(ST_SetSRID(ST_Intersection(z.geom, s.geom), 4326), 7)
                          AS geometry
                 FROM site_constraint_overlap o
                 JOIN constraint_zone z ON z.id = o.zone_id
                 JOIN site s ON s.id = o.site_id
                WHERE o.site_id = :id
                ORDER BY o.overlap_m2 DESC"""
        ),
        {"id": site_id},
    ).mappings()
    return [dict(r) | {"geometry": json.loads(r["geometry"])} for r in rows]


def site_current_use(conn: sa.Connection, site_id: int) -> dict[str, Any] | None:
    """The site's 三调 current-use composition (None when the survey does not reach it)."""
    cols = ", ".join(f"u.{c}" for c in (*fields.SITE_CURRENT_USE, "classes", "computed_at"))
    row = (
        conn.execute(
            sa.text(f"SELECT {cols} FROM site_current_use u WHERE u.site_id = :id"),
            {"id": site_id},
        )
        .mappings()
        .first()
    )
    return dict(row) if row is not None else None


def site_history(
    conn: sa.Connection, site_id: int, limit: int = HISTORY_LIMIT
) -> list[dict[str, Any]]:
    """History rows of the site and of its buildings, newest first."""
    rows = conn.execute(
        sa.text(
            """SELECT h.id, h.table_name, h.row_id, h.action, h.changes, h.changed_by, h.note,
                      h.changed_at
                 FROM history h
                WHERE (h.table_name = 'site' AND h.row_id = :id)
                   OR (h.table_name = 'building' AND h.row_id IN (
                        SELECT b.id FROM building b WHERE b.site_id = :id))
                ORDER BY h.changed_at DESC, h.id DESC
                LIMIT :limit"""
        ),
        {"id": site_id, "limit": limit},
    ).mappings()
    return [dict(r) for r in rows]
