"""Map reads served per viewport: site vector tiles (``ST_AsMVT``) and reference layers.

Sites are never sent to the browser as a whole table. A tile holds the sites of one
Web-Mercator tile, in one of three forms chosen in the database:

- ``polygon``: site outlines clipped to the tile (zoom >= ``polygon_min_zoom``);
- ``point``: one point per site (lower zooms, or outlines too small to see);
- ``cluster``: when the tile holds more than ``max_features`` sites, one point per grid cell
  (32 x 32 cells per tile) with the number of sites in it.

Every feature carries ``own``: 1 when the site's (or cell's) centre lies in this tile, so that a
client counting drawn sites counts each exactly once although outlines and point symbols near
an edge are repeated in the neighbouring tile.

GCJ-02 frame (Gaode/AMap basemap): each site is translated by the GCJ-02 offset at its centre
before it is cut into the tile. Stored data is never shifted. The offset field changes by at
most about 2.5 m per km, so within one site the translation differs from a per-vertex shift by
well under a pixel at the zooms where outlines are drawn. The SQL formula is the one in
``gis_app.domain.gcj02`` (tests compare the two).

CGCS2000 (4490) lon/lat are relabelled as WGS84 (4326) before projecting: the two frames agree
to centimetres and PROJ applies no shift between them either, but looking up that (null)
transformation costs each new database connection ~0.3 s on its first tile.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import sqlalchemy as sa

from gis_app.db import prepared
from gis_app.db.ogc_queries import DATA_VERSION_SQL
from gis_app.db.site_queries import SiteFilter

Frame = Literal["wgs84", "gcj02"]
MVT_EXTENT = 4096
MVT_BUFFER = 64
CLUSTER_CELLS = 32
# GCJ-02 offsets stay below ~0.008 degrees; candidates are taken from a box this much larger.
_GCJ_MARGIN_DEG = 0.012


@dataclass(frozen=True)
class TileRequest:
    """One tile of the sites layer: address, frame and how to draw it."""

    z: int
    x: int
    y: int
    frame: Frame = "wgs84"
    polygon_min_zoom: int = 13
    max_features: int = 2000


def gcj02_offset_sql(lon: str, lat: str) -> tuple[str, str]:
    """SQL expressions of the GCJ-02 offset (dlon, dlat in degrees) at ``lon``/``lat``.

    Same formula as :func:`gis_app.domain.gcj02.wgs84_to_gcj02`; zero outside mainland China.
    """
    x = f"(({lon}) - 105.0)"
    y = f"(({lat}) - 35.0)"
    common = f"(20.0 * sin(6.0 * {x} * pi()) + 20.0 * sin(2.0 * {x} * pi())) * 2.0 / 3.0"
    dlat = (
        f"(-100.0 + 2.0 * {x} + 3.0 * {y} + 0.2 * {y} * {y} + 0.1 * {x} * {y}"
        f" + 0.2 * sqrt(abs({x})) + {common}"
        f" + (20.0 * sin({y} * pi()) + 40.0 * sin({y} / 3.0 * pi())) * 2.0 / 3.0"
        f" + (160.0 * sin({y} / 12.0 * pi()) + 320.0 * sin({y} * pi() / 30.0)) * 2.0 / 3.0)"
    )
    dlon = (
        f"(300.0 + {x} + 2.0 * {y} + 0.1 * {x} * {x} + 0.1 * {x} * {y}"
        f" + 0.1 * sqrt(abs({x})) + {common}"
        f" + (20.0 * sin({x} * pi()) + 40.0 * sin({x} / 3.0 * pi())) * 2.0 / 3.0"
        f" + (150.0 * sin({x} / 12.0 * pi()) + 300.0 * sin({x} / 30.0 * pi())) * 2.0 / 3.0)"
    )
    radlat = f"(({lat}) * pi() / 180.0)"
    magic = f"(1.0 - 0.00669342162296594323 * sin({radlat}) ^ 2)"
    inside = f"(({lon}) BETWEEN 72.004 AND 137.8347 AND ({lat}) BETWEEN 0.8293 AND 55.8271)"
    dlat_deg = (
        f"CASE WHEN {inside} THEN ({dlat} * 180.0) / ((6378245.0 * (1.0 - 0.00669342162296594323))"
        f" / ({magic} * sqrt({magic})) * pi()) ELSE 0.0 END"
    )
    dlon_deg = (
        f"CASE WHEN {inside} THEN ({dlon} * 180.0) / (6378245.0 / sqrt({magic})"
        f" * cos({radlat}) * pi()) ELSE 0.0 END"
    )
    return dlon_deg, dlat_deg


def gcj02_offsets(
    conn: sa.Connection, points: list[tuple[float, float]]
) -> list[tuple[float, float]]:
    """GCJ-02 offsets computed by the database's formula (used by tests and diagnostics)."""
    dlon, dlat = gcj02_offset_sql("p.lon", "p.lat")
    rows = conn.execute(
        sa.text(
            f"SELECT {dlon}, {dlat} FROM unnest(CAST(:lons AS float8[]), CAST(:lats AS float8[]))"
            " WITH ORDINALITY AS p(lon, lat, i) ORDER BY p.i"
        ),
        {"lons": [p[0] for p in points], "lats": [p[1] for p in points]},
    ).all()
    return [(float(a), float(b)) for a, b in rows]


_R = 6378137.0  # Web Mercator sphere radius


def _mercator_sql(lon: str, lat: str) -> tuple[str, str]:
    """Web-Mercator x/y of lon/lat by formula (no geometry, no PROJ: cheap per row)."""
    return (
        f"({_R} * radians({lon}))",
        f"({_R} * ln(tan(pi() / 4.0 + radians({lat}) / 2.0)))",
    )


def _tile_sites_sql(where: str, frame: Frame) -> tuple[str, str, str]:
    """``FROM … WHERE …`` of the sites in the tile, and their centre (mx, my in 3857).

    A site is in the tile when its outline (in the tile's frame) touches the tile's envelope,
    not merely its bounding box: the same rule as ``bbox`` of the site list. The MVT buffer is
    not added: it only gives clipped outlines room to join across tile edges, and a site that
    touches nothing but the buffer is drawn whole by the tile it does touch.

    The tile that owns a site (its centre lies there) always holds it, so that every site is
    counted exactly once even when the centre falls outside a concave outline.

    The centre is the bounding-box centre: cheap (read from the geometry header), good enough
    for a dot, and the same for every form, so each site is owned by exactly one tile.
    """
    lon = "((ST_XMin(k.b) + ST_XMax(k.b)) / 2.0)"
    lat = "((ST_YMin(k.b) + ST_YMax(k.b)) / 2.0)"
    if frame == "wgs84":
        box = "e.g"
        mx, my = _mercator_sql(lon, lat)
        touches = "(s.geom @ e.g OR ST_Intersects(s.geom, e.g))"
    else:
        box = f"ST_Expand(e.g, {_GCJ_MARGIN_DEG})"
        dlon, dlat = gcj02_offset_sql(lon, lat)
        mx, my = _mercator_sql(f"({lon} + {dlon})", f"({lat} + {dlat})")
        # the envelope moved back by the site's offset: the drawn (shifted) outline meets the
        # tile exactly when the stored one meets it
        touches = f"ST_Intersects(s.geom, ST_Translate(e.g, -({dlon}), -({dlat})))"
    sql = f"""
          FROM e, site s
          CROSS JOIN LATERAL (SELECT Box2D(s.geom) AS b) k
         WHERE s.geom && {box} AND {where} AND ({touches} OR {_own_sql(mx, my)})"""
    return sql, mx, my


def _candidates_sql(where: str, frame: Frame, *, full: bool) -> str:
    """Sites of the tile with their centre (mx, my in 3857); ``full`` adds the drawn columns."""
    from_sql, mx, my = _tile_sites_sql(where, frame)
    if frame == "wgs84":
        geom = "ST_Transform(ST_SetSRID(s.geom, 4326), 3857)"
    else:
        lon = "((ST_XMin(k.b) + ST_XMax(k.b)) / 2.0)"
        lat = "((ST_YMin(k.b) + ST_YMax(k.b)) / 2.0)"
        dlon, dlat = gcj02_offset_sql(lon, lat)
        geom = f"ST_Transform(ST_Translate(ST_SetSRID(s.geom, 4326), {dlon}, {dlat}), 3857)"
    cols = "s.id, s.availability"
    if full:
        cols += (
            ", s.code, s.name_zh, s.name_en, s.kind,"
            f" round(s.area_mu::numeric, 1)::float AS area_mu, {geom} AS g3857"
        )
    return f"""
        SELECT {cols}, {mx} AS mx, {my} AS my{from_sql}"""


def _own_sql(x: str, y: str) -> str:
    # half-open on each axis, so a centre on a shared tile edge belongs to exactly one tile
    return (
        f"({x} >= ST_XMin(e.m) AND {x} < ST_XMax(e.m)"
        f" AND {y} > ST_YMin(e.m) AND {y} <= ST_YMax(e.m))"
    )


#: the tile's envelope: ``m`` in Web Mercator, ``g`` its lon/lat box (EPSG:4490)
_ENVELOPE_SQL = """
        WITH e AS (
            SELECT ST_TileEnvelope(:tz, :tx, :ty) AS m,
                   ST_SetSRID(ST_Transform(ST_TileEnvelope(:tz, :tx, :ty), 4326)::box2d::geometry,
                              4490) AS g)"""


#: the binds of a tile statement besides the filter's (all integers)
_TILE_BINDS = ("tz", "tx", "ty", "cap", "max")
_INT4 = range(-(2**31), 2**31)


def _literal_type(value: Any) -> str | None:
    """The type PostgreSQL gives ``value`` written as psycopg2 writes it (a quoted string is
    ``unknown`` and takes its type from where it stands), or None when not sure."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, str):
        return "unknown"
    if isinstance(value, int):
        return "integer" if value in _INT4 else None
    if isinstance(value, float):
        return "numeric" if math.isfinite(value) else None
    if isinstance(value, list | tuple) and value:
        kinds = {_literal_type(v) for v in value}
        if len(kinds) == 1 and (kind := kinds.pop()) is not None:
            return ("text" if kind == "unknown" else kind) + "[]"
    return None


def _literal_types(params: dict[str, Any]) -> dict[str, str] | None:
    """Types of a filter's binds for a prepared statement that behaves as the same text with
    the values written in (None when one is not sure: the tile then runs as plain text)."""
    types = {name: _literal_type(value) for name, value in params.items()}
    return None if None in types.values() else types  # type: ignore[return-value]


def site_tile(conn: sa.Connection, flt: SiteFilter, req: TileRequest) -> tuple[bytes, str, str]:
    """The sites of one tile as a Mapbox Vector Tile (layer ``sites``), the form used and the
    data version it was cut at (:func:`gis_app.db.ogc_queries.data_version`, read in the same
    statement)."""
    where, flt_params = flt.where()
    params = {**flt_params, "tz": req.z, "tx": req.x, "ty": req.y}
    env = _ENVELOPE_SQL
    point = "ST_SetSRID(ST_MakePoint(c.mx, c.my), 3857)"
    form = "polygon" if req.z >= req.polygon_min_zoom else "point"
    # One statement for the usual tile: its sites (at most one more than a tile may hold) are
    # read once, counted, and drawn when they fit; only a crowded tile runs a second statement.
    # It is prepared once per session: parsing and planning it took more than running it
    # (0.5-1 ms of a 1-1.5 ms tile at 1M sites). The plain map's tile runs the one generic
    # plan (the envelope is a CTE: no plan depends on the values); a filtered one lets
    # PostgreSQL choose (plan_cache_mode auto), as its filter values may matter.
    sql = _drawn_tile_sql(where, req.frame, form)
    binds = {**params, "cap": req.max_features + 1, "max": req.max_features}
    types = _literal_types(flt_params)
    if types is None:
        version, n, data = conn.execute(sa.text(sql), binds).one()
    else:
        # the types name the statement too: a value typed otherwise gets its own
        sql += "\n-- " + ",".join(f"{k}={t}" for k, t in sorted(types.items()))
        types |= dict.fromkeys(_TILE_BINDS, "integer")
        plan = None if flt_params else "generic"
        row = prepared.execute(conn, sql, binds, types, plan=plan)[0]
        version, n, data = row["version"], row["n"], row["tile"]
    if n == 0:
        return b"", "empty", version
    if n <= req.max_features:
        return bytes(data or b""), form, version
    form = "cluster"
    cell = f"((ST_XMax(e.m) - ST_XMin(e.m)) / {CLUSTER_CELLS})"
    # a cluster is drawn as "available" when it holds any available site, else "other".
    # MATERIALIZED: each site's centre is computed once, not in every clause using it;
    # the larger work_mem keeps the grouping of a crowded tile in memory.
    conn.execute(sa.text("SET LOCAL work_mem = '64MB'"))
    sql = f"""{env},
        c AS MATERIALIZED ({_candidates_sql(where, req.frame, full=False)}),
        g AS (
            SELECT floor((c.mx - ST_XMin(e.m)) / {cell}) AS gx,
                   floor((c.my - ST_YMin(e.m)) / {cell}) AS gy,
                   count(*) AS n,
                   count(*) FILTER (WHERE c.availability = 'available') AS n_available,
                   min(c.id) AS id,
                   min(c.availability) AS availability,
                   avg(c.mx) AS mx, avg(c.my) AS my
              FROM c, e
             WHERE {_own_sql("c.mx", "c.my")}
             GROUP BY 1, 2)
        SELECT ST_AsMVT(t, 'sites', {MVT_EXTENT}, 'geom') FROM (
            SELECT CASE WHEN c.n = 1 THEN c.id END AS id, c.n::int AS n,
                   c.n_available::int AS n_available,
                   CASE WHEN c.n = 1 THEN c.availability
                        WHEN c.n_available > 0 THEN 'available' ELSE 'other' END
                       AS availability,
                   1 AS own, 'cluster' AS form,
                   ST_AsMVTGeom({point}, e.m, {MVT_EXTENT}, {MVT_BUFFER}, true) AS geom
              FROM g c, e) t WHERE t.geom IS NOT NULL"""
    data = conn.execute(sa.text(sql), params).scalar_one()
    return bytes(data or b""), form, version


def _drawn_tile_sql(where: str, frame: Frame, form: str) -> str:
    """``(version, n, tile)``: the data version, how many sites the tile holds (counted up to
    ``:cap``) and, when they are at most ``:max``, the tile drawn as outlines (``form``
    polygon) or points, its features in site order (the same bytes whatever plan found them:
    a tile cut again under the same data version and ETag is the same tile)."""
    point = "ST_SetSRID(ST_MakePoint(c.mx, c.my), 3857)"
    centre_geom = f"ST_AsMVTGeom({point}, e.m, {MVT_EXTENT}, {MVT_BUFFER}, false)"
    if form == "polygon":
        # an outline that collapses below a tile unit is still drawn, as its centre point
        geom = (
            f"COALESCE(ST_AsMVTGeom(c.g3857, e.m, {MVT_EXTENT}, {MVT_BUFFER}, true), {centre_geom})"
        )
    else:
        geom = centre_geom
    return f"""{_ENVELOPE_SQL},
        c AS MATERIALIZED ({_candidates_sql(where, frame, full=True)} LIMIT :cap),
        n AS (SELECT count(*) AS n FROM c)
        SELECT {DATA_VERSION_SQL} AS version, n.n,
               CASE WHEN n.n <= :max THEN (
                   SELECT ST_AsMVT(t, 'sites', {MVT_EXTENT}, 'geom') FROM (
                       SELECT c.id, c.code, c.name_zh, c.name_en, c.kind, c.availability,
                              c.area_mu, 1 AS n, {_own_sql("c.mx", "c.my")}::int AS own,
                              '{form}' AS form, {geom} AS geom
                         FROM c, e ORDER BY c.id) t WHERE t.geom IS NOT NULL) END AS tile
          FROM n"""


# --- reference layers (small tables; by bbox, simplified for the zoom) ----------------------

REFERENCE_LAYERS: dict[str, str] = {
    "jurisdiction": """
        SELECT j.id, j.code, j.name_zh, j.name_en, NULL::text AS kind, j.geom
          FROM jurisdiction j""",
    "constraint_zones": """
        SELECT z.id, z.code, z.name_zh, z.name_en, z.kind, z.geom FROM constraint_zone z""",
    "infrastructure": """
        SELECT i.id, i.code, i.name_zh, i.name_en, i.kind, i.geom FROM infrastructure i""",
}


#: how far beyond a clipped window its outlines reach, as a share of the window's larger side
CLIP_MARGIN = 0.05


def tolerance_for_zoom(zoom: int) -> float:
    """Simplification tolerance in degrees: about a quarter of a screen pixel at ``zoom``."""
    return 360.0 / (256 * 2**zoom) / 4


def reference_layer(
    conn: sa.Connection,
    layer: str,
    *,
    bbox: tuple[float, float, float, float] | None,
    zoom: int,
    kinds: list[str] | None = None,
    clip: bool = False,
) -> str:
    """A reference layer as a GeoJSON FeatureCollection string (WGS84), simplified for ``zoom``.

    ``clip`` (with ``bbox``): each outline cut to the window grown by ``CLIP_MARGIN`` of its
    size — what a map draws there, so a zone of 40,000 vertices sends its part, not all of it
    at every pan; the cut edges lie outside the window."""
    base = REFERENCE_LAYERS[layer]
    clauses = ["true"]
    params: dict[str, Any] = {"tol": tolerance_for_zoom(zoom)}
    shape = "r.geom"
    if bbox is not None:
        # intersection, as the site list's bbox: a zone whose box overlaps the window while
        # its outline does not is not in it (the && still puts the box on the GiST index)
        clauses.append("ST_Intersects(r.geom, ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4490))")
        params.update(dict(zip(("x0", "y0", "x1", "y1"), bbox, strict=True)))
        if clip:
            shape = "ST_ClipByBox2D(r.geom, ST_Expand(ST_MakeEnvelope(:x0, :y0, :x1, :y1), :m))"
            params["m"] = CLIP_MARGIN * max(bbox[2] - bbox[0], bbox[3] - bbox[1])
    if kinds:
        clauses.append("r.kind = ANY(:kinds)")
        params["kinds"] = kinds
    sql = f"""
        SELECT json_build_object('type', 'FeatureCollection', 'features',
                 COALESCE(json_agg(json_build_object(
                     'type', 'Feature', 'id', r.id,
                     'geometry', ST_AsGeoJSON(ST_SetSRID(
                         CASE WHEN GeometryType(r.geom) IN ('POINT', 'MULTIPOINT') THEN r.geom
                              ELSE ST_SimplifyPreserveTopology({shape}, :tol) END, 4326), 6)::json,
                     'properties', json_build_object('id', r.id, 'code', r.code,
                         'name_zh', r.name_zh, 'name_en', r.name_en, 'kind', r.kind))
                   ORDER BY r.id), '[]'::json))::text
          FROM ({base}) r
         WHERE {" AND ".join(clauses)}"""
    return conn.execute(sa.text(sql), params).scalar_one()


def jurisdiction_bounds(conn: sa.Connection) -> tuple[float, float, float, float] | None:
    """The jurisdiction's extent (lon/lat), or the sites' when there is no jurisdiction."""
    row = conn.execute(
        sa.text(
            """SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b) FROM (
                 SELECT COALESCE((SELECT ST_Extent(geom) FROM jurisdiction),
                                 ST_EstimatedExtent('public', 'site', 'geom')) AS b) q"""
        )
    ).first()
    if row is None or row[0] is None:
        return None
    return (float(row[0]), float(row[1]), float(row[2]), float(row[3]))


def features_bounds(
    conn: sa.Connection, site_ids: list[int]
) -> tuple[float, float, float, float] | None:
    """Extent (lon/lat) of the given sites."""
    row = conn.execute(
        sa.text(
            """SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b)
                 FROM (SELECT ST_Extent(geom) AS b FROM site WHERE id = ANY(:ids)) q"""
        ),
        {"ids": site_ids},
    ).first()
    if row is None or row[0] is None:
        return None
    return (float(row[0]), float(row[1]), float(row[2]), float(row[3]))


def english_names(conn: sa.Connection, column: str, values: list[str]) -> dict[str, str]:
    """The English name (``block_en``/``township_en``) of each of ``values`` of ``column``
    where some site has one (one index probe per value, not a scan of the table)."""
    if column not in {"block", "township"}:
        raise ValueError(f"no English names for column {column!r}")
    sql = f"""
        SELECT v, (SELECT {column}_en FROM site
                    WHERE {column} = v AND {column}_en IS NOT NULL AND {column}_en <> ''
                    LIMIT 1) AS en
          FROM unnest(CAST(:values AS text[])) AS v"""
    rows = conn.execute(sa.text(sql), {"values": values})
    return {v: en for v, en in rows if en}


def distinct_values(conn: sa.Connection, column: str) -> list[str]:
    """Distinct non-null values of an indexed site column (loose index scan, fast on big tables)."""
    if column not in {"block", "township", "platform"}:
        raise ValueError(f"no distinct-value lookup for column {column!r}")
    sql = f"""
        WITH RECURSIVE v AS (
            (SELECT {column} AS x FROM site WHERE {column} IS NOT NULL ORDER BY {column} LIMIT 1)
            UNION ALL
            SELECT (SELECT {column} FROM site WHERE {column} > v.x ORDER BY {column} LIMIT 1)
              FROM v WHERE v.x IS NOT NULL)
        SELECT x FROM v WHERE x IS NOT NULL"""
    return list(conn.execute(sa.text(sql)).scalars())
