"""Site read queries that serialise in PostGIS (``ST_AsGeoJSON``), not row by row in Python."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field, make_dataclass
from typing import Any

import sqlalchemy as sa

from gis_app.db.project_queries import projects_of_site_sql
from gis_app.domain import fields, landuse, vocab
from gis_app.domain.error_vocab import field_label
from gis_app.domain.errors import InvalidInput, UnknownVocabularyValue
from gis_app.domain.filters import REGISTRY_FILTERS, RegistryFilter
from gis_app.domain.search_area import (
    MAX_RADIUS_KM,
    SearchArea,
    out_of_range,
    parse_search_area,
)

#: the properties of a site in the API and in exports: the registry's ``exported`` fields
SITE_PROPERTY_COLUMNS: tuple[str, ...] = fields.names(fields.SITE, exported=True)

#: columns the site list may be sorted by: the registry's ``sortable`` fields
SORTABLE: frozenset[str] = frozenset(fields.names(fields.SITE, sortable=True))

#: upper bound of every numeric filter; larger values are typing errors, not searches
_MAX_NUMBER = 1e9
_M_PER_DEG_LAT = 110_574.0  # shortest degree of latitude (at the equator)
_M_PER_DEG_LON_EQ = 111_320.0

_ROUNDED = {"area_m2": 1, "area_mu": 3, "area_ha": 4, "area_m2_plane": 1}
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

# A site ``s``'s properties, and the site as a GeoJSON Feature. The properties are a row of
# their own: a row that also held the geometry would serialise it too (PostGIS casts geometry
# to GeoJSON in to_jsonb) only to drop it — half the time of a 500-site page.
_PROPS_JSONB = f"(SELECT to_jsonb(p) FROM (SELECT {_PROPS_SQL}) p)"
_FEATURE_SQL = f"""json_build_object(
                 'type', 'Feature', 'id', s.id,
                 'geometry', ST_AsGeoJSON(ST_Transform(s.geom, 4326), 7)::json,
                 'properties', {_PROPS_JSONB})::text"""

# --- filters ----------------------------------------------------------------------------------

_COMPARE = {
    "any": "{column} = ANY(:{p})",
    "min": "{column} >= :{p}",
    "max": "{column} <= :{p}",
    "is": "{column} = :{p}",
}
#: filters on tables kept per site: the alias and how a site is joined (EXISTS)
_SITE_TABLES = {
    "building": ("b", "building b WHERE b.site_id = s.id"),
    "site_current_use": ("u", "site_current_use u WHERE u.site_id = s.id"),
}

# Distance limits: parameter → infrastructure kind (site_distance is kept by triggers).
_DISTANCE_MAX: dict[str, str] = {
    "max_km_port": "port",
    "max_km_wharf": "wharf",
    "max_km_ferry": "ferry_terminal",
    "max_km_expressway": "expressway_interchange",
}
_RANGES = (("area_mu_min", "area_mu_max"), ("area_m2_min", "area_m2_max"))


@dataclass
class _ExplicitFilters:
    """The filters that are not one comparison on one column (see :class:`SiteFilter`)."""

    #: split/merged parents (retired) are history, not inventory; their sheet stays reachable
    include_retired: bool = False
    bbox: tuple[float, float, float, float] | None = None  # lon/lat WGS84
    q: str | None = None
    #: land-use codes of the 2023 classification or GB 50137, each matching its descendants
    #: and the corresponding classes of the other system
    land_use: list[str] = field(default_factory=list)
    area_mu_min: float | None = None
    area_mu_max: float | None = None
    area_m2_min: float | None = None
    area_m2_max: float | None = None
    max_price_wan_per_mu: float | None = None
    max_rent_yuan_m2_month: float | None = None
    max_km_port: float | None = None
    max_km_wharf: float | None = None
    max_km_ferry: float | None = None
    max_km_expressway: float | None = None
    near: tuple[float, float] | None = None  # lon/lat
    radius_km: float | None = None
    #: a drawn area: GeoJSON (text or object) or WKT in lon/lat (see gis_app.domain.search_area)
    intersects: Any = None
    #: widens ``intersects`` by this many km (a line along a road, a point)
    buffer_km: float | None = None
    verified_within_days: int | None = None

    def validate(self) -> None:
        """Check every value; raise an error naming the parameter and the bad value."""
        for flt in REGISTRY_FILTERS:
            value = getattr(self, flt.parameter)
            if flt.op == "any":
                for item in value:
                    voc = flt.field.vocabulary
                    if voc is None:
                        _check_text(flt.parameter, item)
                    elif item not in voc:
                        raise UnknownVocabularyValue(flt.parameter, item, voc.keys)
            elif flt.op in ("min", "max"):
                _check_number(flt.parameter, value)
            elif value is not None and not isinstance(value, bool):
                raise InvalidInput(
                    f"{flt.parameter} must be true or false, got {value!r}",
                    code="not_a_bool",
                    field=flt.parameter,
                )
        if self.q is not None:
            _check_text("q", self.q)
        for code in self.land_use:
            _check_text("land_use", code)
            try:
                landuse.expand_query(code)
            except UnknownVocabularyValue as e:
                raise UnknownVocabularyValue("land_use", code, e.allowed) from None
        numbers = (
            *("area_mu_min", "area_mu_max", "area_m2_min", "area_m2_max"),
            *("max_price_wan_per_mu", "max_rent_yuan_m2_month", "radius_km"),
            *_DISTANCE_MAX,
        )
        for name in numbers:
            _check_number(name, getattr(self, name))
        for lo, hi in _RANGES:
            a, b = getattr(self, lo), getattr(self, hi)
            if a is not None and b is not None and a > b:
                raise InvalidInput(
                    f"{lo} ({a}) is greater than {hi} ({b})",
                    code="range_inverted",
                    field=lo,
                    params={"value": a, "upper": field_label(hi), "upper_value": b},
                )
        if self.bbox is not None:
            _check_bbox(self.bbox)
        if (self.near is None) != (self.radius_km is None):
            raise InvalidInput(
                "near and radius_km go together: give both or neither",
                code="params_together",
                field="near" if self.near is None else "radius_km",
                params={"other": field_label("radius_km" if self.near is None else "near")},
            )
        if self.near is not None:
            lon, lat = self.near
            if not (_finite(lon) and _finite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
                raise InvalidInput(
                    f"near must be 'lon,lat' in degrees, got {self.near!r}",
                    code="bad_point",
                    field="near",
                    params={"value": f"{lon},{lat}"},
                )
            if self.radius_km is not None and not 0 < self.radius_km <= MAX_RADIUS_KM:
                raise out_of_range("radius_km", self.radius_km, MAX_RADIUS_KM)
        if self.intersects is not None:
            self.search_area()
        elif self.buffer_km is not None:
            raise InvalidInput(
                "buffer_km widens an area: give intersects with it",
                code="params_together",
                field="buffer_km",
                params={"other": field_label("intersects")},
            )
        d = self.verified_within_days
        if d is not None and not 0 <= d <= 36_500:
            raise InvalidInput(
                f"verified_within_days must be between 0 and 36500, got {d}",
                code="out_of_range",
                field="verified_within_days",
                params={"min": 0, "max": 36_500, "value": d},
            )

    def search_area(self) -> SearchArea | None:
        """The checked area of ``intersects`` (None: no area); InvalidInput when it is bad."""
        if self.intersects is None:
            return None
        return parse_search_area(self.intersects, self.buffer_km)

    def where(self) -> tuple[str, dict[str, Any]]:
        """SQL WHERE clause (on alias ``s``) and its parameters; index-friendly predicates."""
        clauses: list[str] = ["true" if self.include_retired else "s.retired_at IS NULL"]
        params: dict[str, Any] = {}
        joined: dict[str, list[str]] = {table: [] for table in _SITE_TABLES}
        building = joined["building"]
        for flt in REGISTRY_FILTERS:
            value = getattr(self, flt.parameter)
            if value is None or value == []:
                continue
            alias = "s" if flt.table == "site" else _SITE_TABLES[flt.table][0]
            sql = _COMPARE[flt.op].format(column=f"{alias}.{flt.field.name}", p=flt.parameter)
            (clauses if flt.table == "site" else joined[flt.table]).append(sql)
            params[flt.parameter] = list(value) if flt.op == "any" else value
        if self.land_use:
            codes_2023: set[str] = set()
            codes_gb: set[str] = set()
            for code in self.land_use:
                a, b = landuse.expand_query(code)
                codes_2023 |= a
                codes_gb |= b
            clauses.append("(s.planned_use = ANY(:lu_2023) OR s.legacy_use = ANY(:lu_gb))")
            params["lu_2023"] = sorted(codes_2023)
            params["lu_gb"] = sorted(codes_gb)
        # areas: both units compare against the indexed area_m2 column
        for name, op, factor in (
            ("area_mu_min", ">=", vocab.M2_PER_MU),
            ("area_mu_max", "<=", vocab.M2_PER_MU),
            ("area_m2_min", ">=", 1.0),
            ("area_m2_max", "<=", 1.0),
        ):
            value = getattr(self, name)
            if value is not None:
                clauses.append(f"s.area_m2 {op} :{name}")
                params[name] = value * factor
        if self.max_price_wan_per_mu is not None:
            clauses.append("s.reserve_price_wan_per_mu <= :max_price_wan_per_mu")
            params["max_price_wan_per_mu"] = self.max_price_wan_per_mu
        if self.max_rent_yuan_m2_month is not None:
            building.append("b.rent_yuan_m2_month <= :max_rent_yuan_m2_month")
            params["max_rent_yuan_m2_month"] = self.max_rent_yuan_m2_month
        for table, conditions in joined.items():
            if conditions:
                clauses.append(
                    f"EXISTS (SELECT 1 FROM {_SITE_TABLES[table][1]} AND "
                    + " AND ".join(conditions)
                    + ")"
                )
        for name, kind in _DISTANCE_MAX.items():
            value = getattr(self, name)
            if value is not None:
                clauses.append(
                    "EXISTS (SELECT 1 FROM site_distance d WHERE d.site_id = s.id "
                    f"AND d.infra_kind = '{kind}' AND d.distance_m <= :{name})"
                )
                params[name] = value * 1000.0
        if self.bbox:
            # A site is in the window when its outline touches it, not merely its bounding box
            # (an L-shaped or diagonal site can have its box over an empty corner). The box
            # lets the GiST index pick candidates; a site whose box lies inside the window
            # needs no GEOS test.
            clauses.append(
                "(s.geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4490) AND"
                " (s.geom @ ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4490)"
                " OR ST_Intersects(s.geom, ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4490))))"
            )
            params.update(dict(zip(("x0", "y0", "x1", "y1"), self.bbox, strict=True)))
        if self.near is not None and self.radius_km is not None:
            # The box lets the GiST index pick candidates; the geodesic distance decides.
            lon, lat = self.near
            metres = self.radius_km * 1000.0
            dlat = metres / _M_PER_DEG_LAT
            dlon = min(180.0, metres / (_M_PER_DEG_LON_EQ * max(math.cos(math.radians(lat)), 1e-6)))
            clauses.append(
                "s.geom && ST_MakeEnvelope(:nx0, :ny0, :nx1, :ny1, 4490) AND "
                "ST_DWithin(s.geom::geography, "
                "ST_SetSRID(ST_MakePoint(:near_lon, :near_lat), 4490)::geography, :near_m)"
            )
            params |= {
                "nx0": lon - dlon,
                "ny0": max(-90.0, lat - dlat),
                "nx1": lon + dlon,
                "ny1": min(90.0, lat + dlat),
                "near_lon": lon,
                "near_lat": lat,
                "near_m": metres,
            }
        area = self.search_area()
        if area is not None:
            # one constant geometry: ST_Intersects puts its box on the GiST index of site.geom
            # (the && operator), then tests the outlines; a buffer is computed on the
            # ellipsoid (geography) once, not per site
            shape = "ST_GeomFromText(:area_wkt, 4490)"
            if area.buffer_m is not None:
                shape = f"ST_SetSRID(ST_Buffer({shape}::geography, :area_buffer_m)::geometry, 4490)"
                params["area_buffer_m"] = area.buffer_m
            clauses.append(f"ST_Intersects(s.geom, {shape})")
            params["area_wkt"] = area.wkt
        if self.q:
            clauses.append(
                "(s.name_zh ILIKE :q ESCAPE '\\' OR s.name_en ILIKE :q ESCAPE '\\' "
                "OR s.code ILIKE :q ESCAPE '\\')"
            )
            params["q"] = "%" + _escape_like(self.q) + "%"
        if self.verified_within_days is not None:
            clauses.append("s.verified_at >= current_date - :verified_within_days")
            params["verified_within_days"] = int(self.verified_within_days)
        return " AND ".join(clauses), params


def _default(flt: RegistryFilter) -> Any:
    return field(default_factory=list) if flt.op == "any" else field(default=None)


SiteFilter = make_dataclass(
    "SiteFilter",
    [(f.parameter, f.annotation, _default(f)) for f in REGISTRY_FILTERS],
    bases=(_ExplicitFilters,),
    namespace={
        "__doc__": """Filters of the site list; all optional, combined with AND.

    Field names are the query parameters of ``GET /api/sites``. The registry's ``filterable``
    fields give one each (:data:`REGISTRY_FILTERS`); the others (:class:`_ExplicitFilters`)
    search areas in 亩 or m², land-use codes with their descendants, a box, a radius,
    distances to infrastructure, prices and text. Coordinates are WGS84/CGCS2000 lon/lat (the
    two differ by centimetres), areas in 亩 or m², distances in km.
    """,
        "__module__": __name__,
    },
)


def _finite(x: float) -> bool:
    return isinstance(x, int | float) and math.isfinite(x)


def _check_number(name: str, value: float | None) -> None:
    if value is None:
        return
    if not _finite(value) or value < 0 or value > _MAX_NUMBER:
        raise InvalidInput(
            f"{name} must be a number between 0 and {_MAX_NUMBER:g}, got {value}",
            code="out_of_range",
            field=name,
            params={"min": 0, "max": f"{_MAX_NUMBER:g}", "value": value},
        )


def _check_text(name: str, value: str) -> None:
    if "\x00" in value or len(value) > 200:
        raise InvalidInput(
            f"{name}: value {value[:40]!r} is not acceptable text",
            code="text_not_acceptable",
            field=name,
            params={"value": value[:40].replace("\x00", "␀"), "max_length": 200},
        )


def _check_bbox(bbox: tuple[float, float, float, float]) -> None:
    x0, y0, x1, y1 = bbox
    if not (all(_finite(v) for v in bbox) and -180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90):
        raise InvalidInput(
            f"bbox {','.join(map(str, bbox))} is not a lon/lat box with min <= max",
            code="bad_bbox",
            field="bbox",
            params={"value": ",".join(map(str, bbox))},
        )


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


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
        SELECT {_FEATURE_SQL}
          FROM (SELECT s.*
                  FROM site s
                 WHERE {where}
                 ORDER BY s.{sort} {direction} NULLS LAST, s.id
                 LIMIT :limit OFFSET :offset) s
         ORDER BY s.{sort} {direction} NULLS LAST, s.id"""
    params |= {"limit": limit, "offset": offset}
    return list(conn.execute(sa.text(sql), params).scalars())


#: one site's Feature, its properties with the projects that took it (stage, late milestones)
_DETAIL_SQL = f"""
    SELECT json_build_object(
             'type', 'Feature', 'id', s.id,
             'geometry', ST_AsGeoJSON(ST_Transform(s.geom, 4326), 7)::json,
             'properties', {_PROPS_JSONB}
                           || jsonb_build_object('projects', ({projects_of_site_sql("s")})))::text
      FROM site s WHERE s.id = :id"""


def site_feature(conn: sa.Connection, site_id: int, today: dt.date) -> str | None:
    """One site as a GeoJSON Feature string, or ``None``; its ``projects`` property lists the
    projects that took it, with their stage and milestones late as of ``today``."""
    return conn.execute(sa.text(_DETAIL_SQL), {"id": site_id, "today": today}).scalar()


def site_records(
    conn: sa.Connection,
    flt: SiteFilter,
    *,
    limit: int,
    offset: int = 0,
    sort: str = "code",
    descending: bool = False,
) -> str:
    """One page of sites as a JSON array of plain records (no geometry; a point on each site)."""
    if sort not in SORTABLE:
        raise ValueError(f"cannot sort by {sort!r}")
    where, params = flt.where()
    direction = "DESC" if descending else "ASC"
    sql = f"""
        SELECT COALESCE(json_agg(
                 {_PROPS_JSONB}
                 || jsonb_build_object(
                      'lon', round(ST_X(pt.pos)::numeric, 7),
                      'lat', round(ST_Y(pt.pos)::numeric, 7))
                 ORDER BY s.{sort} {direction} NULLS LAST, s.id), '[]')::text
          FROM (SELECT s.*
                  FROM site s
                 WHERE {where}
                 ORDER BY s.{sort} {direction} NULLS LAST, s.id
                 LIMIT :limit OFFSET :offset) s
         CROSS JOIN LATERAL (SELECT ST_Transform(ST_PointOnSurface(s.geom), 4326) AS pos) pt"""
    params |= {"limit": limit, "offset": offset}
    return str(conn.execute(sa.text(sql), params).scalar_one())


def site_outlines(conn: sa.Connection, site_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Outline (GeoJSON geometry, WGS84) and a point inside each of a few sites, by id.

    For maps of a short list (match results); the caller caps the list.
    """
    if not site_ids:
        return {}
    rows = conn.execute(
        sa.text(
            """SELECT s.id, ST_AsGeoJSON(ST_Transform(s.geom, 4326), 6)::json AS geometry,
                      ST_X(p.pt) AS lon, ST_Y(p.pt) AS lat
                 FROM site s
                CROSS JOIN LATERAL (SELECT ST_Transform(ST_PointOnSurface(s.geom), 4326) AS pt) p
                WHERE s.id = ANY(:ids)"""
        ),
        {"ids": list(site_ids)},
    ).mappings()
    return {r["id"]: dict(r) for r in rows}
