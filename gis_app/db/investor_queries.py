"""Reads of the investor view: a link's recommendation, its sites (public columns only), their
buildings and distances, and the map's context around them.

The column lists are the public whitelist of :mod:`gis_app.domain.public_schema`; every query is
keyed by the recommendation id the link resolved to, never by anything the caller sends.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from gis_app.domain import public_schema as public

_ROUNDED = {"area_m2": 1, "area_mu": 2, "area_ha": 4}
_SITE_COLUMNS = ", ".join(
    f"round(s.{c}::numeric, {_ROUNDED[c]})::float AS {c}" if c in _ROUNDED else f"s.{c}"
    for c in public.PUBLIC_SITE_COLUMNS
)
_BUILDING_COLUMNS = ", ".join(f"b.{c}" for c in public.PUBLIC_BUILDING_COLUMNS)
# the box around a recommendation's sites, padded by :pad degrees
_CONTEXT_BOX = """(SELECT ST_Expand(ST_SetSRID(ST_Extent(s.geom)::geometry, 4490), :pad)
                     FROM recommendation_site rs JOIN site s ON s.id = rs.site_id
                    WHERE rs.recommendation_id = :rid)"""


def recommendation_texts(conn: sa.Connection, recommendation_id: int) -> sa.RowMapping:
    """Title and introduction of a recommendation, in both languages."""
    return (
        conn.execute(
            sa.text(
                "SELECT title_zh, title_en, intro_zh, intro_en FROM recommendation WHERE id = :id"
            ),
            {"id": recommendation_id},
        )
        .mappings()
        .one()
    )


# public columns of a site with its outline (WGS84 GeoJSON) and a point on it
_SITE_SELECT = f"""{_SITE_COLUMNS},
                   ST_AsGeoJSON(ST_Transform(s.geom, 4326), 6)::json AS geometry,
                   ST_X(ST_Transform(ST_PointOnSurface(s.geom), 4326)) AS lon,
                   ST_Y(ST_Transform(ST_PointOnSurface(s.geom), 4326)) AS lat"""


def recommended_sites(conn: sa.Connection, recommendation_id: int) -> list[sa.RowMapping]:
    """The recommendation's sites in rank order: public columns, the officer's note and the
    match explanation, the outline (WGS84 GeoJSON) and a point on it."""
    return list(
        conn.execute(
            sa.text(
                f"""SELECT rs.site_id, rs.rank, rs.note_zh, rs.note_en, rs.explanation,
                       {_SITE_SELECT}
                  FROM recommendation_site rs JOIN site s ON s.id = rs.site_id
                 WHERE rs.recommendation_id = :rid
                 ORDER BY rs.rank, s.code"""
            ),
            {"rid": recommendation_id},
        ).mappings()
    )


def one_site(conn: sa.Connection, site_id: int) -> sa.RowMapping | None:
    """One site as :func:`recommended_sites` reads it (rank 1, no note, no explanation), for
    the brochure an officer prints."""
    return (
        conn.execute(
            sa.text(
                f"""SELECT s.id AS site_id, 1 AS rank, NULL::text AS note_zh,
                       NULL::text AS note_en, NULL::jsonb AS explanation, {_SITE_SELECT}
                  FROM site s WHERE s.id = :id"""
            ),
            {"id": site_id},
        )
        .mappings()
        .first()
    )


def recommendation_creator(conn: sa.Connection, recommendation_id: int) -> str | None:
    """Who created the recommendation (the officer whose contact its brochures print)."""
    return conn.execute(
        sa.text("SELECT created_by FROM recommendation WHERE id = :id"),
        {"id": recommendation_id},
    ).scalar()


def public_buildings(conn: sa.Connection, site_ids: Sequence[int]) -> list[sa.RowMapping]:
    """Public columns of the buildings of ``site_ids``, by site and code."""
    return list(
        conn.execute(
            sa.text(
                f"SELECT b.site_id, {_BUILDING_COLUMNS} FROM building b "
                "WHERE b.site_id = ANY(:ids) ORDER BY b.site_id, b.code"
            ),
            {"ids": list(site_ids)},
        ).mappings()
    )


def nearest_infrastructure(
    conn: sa.Connection, site_ids: Sequence[int], kinds: Sequence[str]
) -> list[sa.RowMapping]:
    """Distance of each site to its nearest infrastructure of each of ``kinds`` (in that
    order), with the infrastructure's names."""
    return list(
        conn.execute(
            sa.text(
                "SELECT d.site_id, d.infra_kind, d.distance_m, i.name_zh, i.name_en "
                "FROM site_distance d JOIN infrastructure i ON i.id = d.infrastructure_id "
                "WHERE d.site_id = ANY(:ids) AND d.infra_kind = ANY(:kinds) "
                "ORDER BY d.site_id, array_position(:kinds, d.infra_kind)"
            ),
            {"ids": list(site_ids), "kinds": list(kinds)},
        ).mappings()
    )


def context_infrastructure(
    conn: sa.Connection, recommendation_id: int, pad_deg: float, kinds: Sequence[str], limit: int
) -> list[sa.RowMapping]:
    """Infrastructure of ``kinds`` within ``pad_deg`` of the recommendation's sites (a point
    each, WGS84), at most ``limit``."""
    return list(
        conn.execute(
            sa.text(
                f"""SELECT i.kind, i.name_zh, i.name_en, ST_X(p.pt) AS lon, ST_Y(p.pt) AS lat
                      FROM infrastructure i
                      CROSS JOIN LATERAL (
                           SELECT ST_Transform(ST_PointOnSurface(i.geom), 4326) AS pt) p
                     WHERE i.geom && {_CONTEXT_BOX} AND i.kind = ANY(:kinds)
                     ORDER BY array_position(:kinds, i.kind), i.code
                     LIMIT :limit"""
            ),
            {"rid": recommendation_id, "pad": pad_deg, "kinds": list(kinds), "limit": limit},
        ).mappings()
    )


def context_outline(
    conn: sa.Connection, recommendation_id: int, pad_deg: float, tolerance_deg: float
) -> list[dict]:
    """The jurisdiction outlines near the recommendation's sites, simplified (WGS84 GeoJSON)."""
    return list(
        conn.execute(
            sa.text(
                f"""SELECT ST_AsGeoJSON(ST_Transform(
                           ST_SimplifyPreserveTopology(j.geom, :tol), 4326), 5)::json
                      FROM jurisdiction j WHERE j.geom && {_CONTEXT_BOX} ORDER BY j.id LIMIT 5"""
            ),
            {"rid": recommendation_id, "pad": pad_deg, "tol": tolerance_deg},
        ).scalars()
    )
