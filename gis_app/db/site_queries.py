"""Site read queries that serialise in PostGIS (``ST_AsGeoJSON``), not row by row in Python."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

# Columns every officer-facing read returns (internal-only columns are not among them).
SITE_PROPERTY_COLUMNS: tuple[str, ...] = (
    "id",
    "code",
    "name_zh",
    "name_en",
    "kind",
    "block",
    "township",
    "platform",
    "address",
    "geom_quality",
    "area_m2",
    "area_mu",
    "area_ha",
    "declared_area_mu",
    "planned_use",
    "legacy_use",
    "current_use",
    "far_min",
    "far_max",
    "coverage_min_pct",
    "green_max_pct",
    "height_limit_m",
    "ownership",
    "supply_stage",
    "readiness",
    "utilities",
    "policy_status",
    "policy_progress_pct",
    "planning_status",
    "in_ugb",
    "quota_status",
    "supply_mode",
    "standard_land",
    "invest_intensity_wan_per_mu",
    "tax_wan_per_mu_yr",
    "energy_tce_per_wan",
    "lease_years",
    "reserve_price_wan_per_mu",
    "shoreline_m",
    "berth_dwt",
    "water_depth_m",
    "availability",
    "blocking_note",
    "source_doc",
    "verified_at",
    "verified_by",
    "description_zh",
    "description_en",
    "photo_urls",
    "version",
    "created_at",
    "updated_at",
)

SORTABLE = {"code", "name_zh", "area_m2", "verified_at", "updated_at", "id"}

_ROUNDED = {"area_m2": 1, "area_mu": 3, "area_ha": 4}
_PROPS_SQL = (
    ", ".join(
        f"round(s.{c}::numeric, {_ROUNDED[c]})::float AS {c}" if c in _ROUNDED else f"s.{c}"
        for c in SITE_PROPERTY_COLUMNS
    )
    + """,
    (SELECT jsonb_object_agg(d.infra_kind, round(d.distance_m))
       FROM site_distance d WHERE d.site_id = s.id) AS distances_m,
    (SELECT count(*) FROM building b WHERE b.site_id = s.id) AS building_count"""
)


@dataclass
class SiteFilter:
    """Filters of the site list; all optional, combined with AND."""

    kinds: list[str] = field(default_factory=list)
    availability: list[str] = field(default_factory=list)
    blocks: list[str] = field(default_factory=list)
    townships: list[str] = field(default_factory=list)
    bbox: tuple[float, float, float, float] | None = None  # lon/lat WGS84
    q: str | None = None

    def where(self) -> tuple[str, dict[str, Any]]:
        """SQL WHERE clause (on alias ``s``) and its parameters; index-friendly predicates."""
        clauses: list[str] = ["true"]
        params: dict[str, Any] = {}
        if self.kinds:
            clauses.append("s.kind = ANY(:kinds)")
            params["kinds"] = self.kinds
        if self.availability:
            clauses.append("s.availability = ANY(:availability)")
            params["availability"] = self.availability
        if self.blocks:
            clauses.append("s.block = ANY(:blocks)")
            params["blocks"] = self.blocks
        if self.townships:
            clauses.append("s.township = ANY(:townships)")
            params["townships"] = self.townships
        if self.bbox:
            clauses.append("s.geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4490)")
            params.update(dict(zip(("x0", "y0", "x1", "y1"), self.bbox, strict=True)))
        if self.q:
            clauses.append("(s.name_zh ILIKE :q OR s.name_en ILIKE :q OR s.code ILIKE :q)")
            params["q"] = f"%{self.q}%"
        return " AND ".join(clauses), params


def count_sites(conn: sa.Connection, flt: SiteFilter) -> int:
    """Number of sites matching ``flt``."""
    where, params = flt.where()
    return int(
        conn.execute(sa.text(f"SELECT count(*) FROM site s WHERE {where}"), params).scalar_one()
    )


def site_features(
    conn: sa.Connection,
    flt: SiteFilter,
    *,
    limit: int,
    offset: int = 0,
    sort: str = "code",
    descending: bool = False,
) -> list[str]:
    """GeoJSON Feature strings (RFC 7946, WGS84 lon/lat) for one page of sites."""
    if sort not in SORTABLE:
        raise ValueError(f"cannot sort by {sort!r}")
    where, params = flt.where()
    direction = "DESC" if descending else "ASC"
    sql = f"""
        SELECT json_build_object(
                 'type', 'Feature', 'id', p.id,
                 'geometry', ST_AsGeoJSON(ST_Transform(p.geom, 4326), 7)::json,
                 'properties', to_jsonb(p) - 'geom')::text
          FROM (SELECT s.geom, {_PROPS_SQL}
                  FROM site s
                 WHERE {where}
                 ORDER BY s.{sort} {direction} NULLS LAST, s.id
                 LIMIT :limit OFFSET :offset) p
         ORDER BY p.{sort} {direction} NULLS LAST, p.id"""
    params |= {"limit": limit, "offset": offset}
    return list(conn.execute(sa.text(sql), params).scalars())


def site_feature(conn: sa.Connection, site_id: int) -> str | None:
    """One site as a GeoJSON Feature string, or ``None``."""
    sql = f"""
        SELECT json_build_object(
                 'type', 'Feature', 'id', p.id,
                 'geometry', ST_AsGeoJSON(ST_Transform(p.geom, 4326), 7)::json,
                 'properties', to_jsonb(p) - 'geom')::text
          FROM (SELECT s.geom, {_PROPS_SQL} FROM site s WHERE s.id = :id) p"""
    return conn.execute(sa.text(sql), {"id": site_id}).scalar()
