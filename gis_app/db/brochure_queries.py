"""What the brochure map of one site draws, read from the database in metres (EPSG:4550).

The box is centred on the site, at least ``min_half_m`` from the centre to each side (more for
a large site, and enough to take in the nearest port, wharf, ferry terminal, interchange or
airport within ``reach_m``), shaped to the map's aspect. Every layer is clipped to the box and
simplified to about a thousandth of its width in PostGIS, so a large jurisdiction or a dense
inventory sends only what the page can show. Neighbours are other current sites (never their
attributes).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

#: projected CRS of the map: CGCS2000 3° Gauss-Krüger, central meridian 123°E (Zhoushan)
MAP_SRID = 4550
MAX_NEIGHBOURS = 400
MAX_INFRASTRUCTURE = 60

_SQL = """
WITH s AS (SELECT geom, ST_Transform(geom, :srid) AS g FROM site WHERE id = :id),
c AS (SELECT ST_X(ST_Centroid(ST_Envelope(g))) AS cx, ST_Y(ST_Centroid(ST_Envelope(g))) AS cy,
             greatest(:min_half,
                      0.8 * greatest(ST_XMax(g) - ST_XMin(g), ST_YMax(g) - ST_YMin(g)),
                      -- wide enough to show the nearest port, interchange … within reach
                      1.15 * (SELECT max(d.distance_m) FROM site_distance d
                               WHERE d.site_id = :id AND d.infra_kind = ANY(:kinds)
                                 AND d.distance_m <= :reach)) AS h
        FROM s),
b AS (SELECT ST_MakeEnvelope(cx - h * greatest(:aspect, 1), cy - h / least(:aspect, 1),
                             cx + h * greatest(:aspect, 1), cy + h / least(:aspect, 1),
                             :srid) AS box FROM c),
bb AS (SELECT box, ST_Transform(box, 4490) AS box4490,
              (ST_XMax(box) - ST_XMin(box)) / 1500.0 AS tol FROM b)
SELECT ST_XMin(bb.box) AS x0, ST_YMin(bb.box) AS y0, ST_XMax(bb.box) AS x1,
       ST_YMax(bb.box) AS y1,
       (SELECT ST_AsGeoJSON(ST_Intersection(s.g, bb.box), 1)::json FROM s) AS site,
       (SELECT coalesce(json_agg(ST_AsGeoJSON(x.g, 1)::json), '[]'::json) FROM (
            SELECT ST_SimplifyPreserveTopology(
                       ST_Intersection(ST_Transform(j.geom, :srid), bb.box), bb.tol) AS g
              FROM jurisdiction j WHERE j.geom && bb.box4490) x
         WHERE NOT ST_IsEmpty(x.g)) AS land,
       (SELECT coalesce(json_agg(ST_AsGeoJSON(x.g, 1)::json), '[]'::json) FROM (
            SELECT ST_SimplifyPreserveTopology(
                       ST_Intersection(ST_Transform(o.geom, :srid), bb.box), bb.tol) AS g
              FROM site o
             WHERE o.geom && bb.box4490 AND o.id <> :id AND o.retired_at IS NULL
             ORDER BY o.id LIMIT :max_neighbours) x
         WHERE NOT ST_IsEmpty(x.g)) AS neighbours,
       (SELECT coalesce(json_agg(json_build_object(
                   'kind', x.kind, 'name_zh', x.name_zh, 'name_en', x.name_en,
                   'geometry', ST_AsGeoJSON(x.g, 1)::json)), '[]'::json) FROM (
            SELECT i.kind, i.name_zh, i.name_en,
                   ST_Intersection(ST_Transform(i.geom, :srid), bb.box) AS g
              FROM infrastructure i
             WHERE i.geom && bb.box4490 AND i.kind = ANY(:kinds)
             ORDER BY array_position(:kinds, i.kind), i.code LIMIT :max_infra) x
         WHERE NOT ST_IsEmpty(x.g)) AS infrastructure
  FROM bb
"""


def site_map(
    conn: sa.Connection,
    site_id: int,
    *,
    kinds: Sequence[str],
    aspect: float = 1.0,
    min_half_m: float = 2000.0,
    reach_m: float = 6000.0,
) -> dict[str, Any] | None:
    """The map data of one site (None when there is no such site): the box ``x0 … y1`` (wide
    enough for the nearest infrastructure of each of ``kinds`` up to ``reach_m`` away) and
    GeoJSON geometries in EPSG:4550 metres — ``site``, ``land`` (jurisdiction), ``neighbours``
    and ``infrastructure`` of ``kinds`` (with names)."""
    row = (
        conn.execute(
            sa.text(_SQL),
            {
                "id": site_id,
                "srid": MAP_SRID,
                "aspect": aspect,
                "min_half": min_half_m,
                "reach": reach_m,
                "kinds": list(kinds),
                "max_neighbours": MAX_NEIGHBOURS,
                "max_infra": MAX_INFRASTRUCTURE,
            },
        )
        .mappings()
        .first()
    )
    return dict(row) if row is not None and row["site"] is not None else None


def internal_values(conn: sa.Connection, site_id: int, columns: Sequence[str]) -> sa.RowMapping:
    """Internal columns of one site for the officers' copy (``columns`` from the registry)."""
    if not all(re.fullmatch(r"[a-z][a-z0-9_]*", c) for c in columns):
        raise ValueError(f"not column names: {columns}")
    cols = ", ".join(f"s.{c}" for c in columns)
    return (
        conn.execute(sa.text(f"SELECT {cols} FROM site s WHERE s.id = :id"), {"id": site_id})
        .mappings()
        .one()
    )
