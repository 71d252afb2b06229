"""Reads of the OGC API – Features collections, serialised in PostGIS.

Every page is one statement: the rows of the page are picked by the table's primary key order
(``LIMIT``/``OFFSET``), filtered with index-friendly predicates (the bbox through the GiST
index of the geometry column), transformed to the requested CRS, axis-swapped where that CRS
says latitude/northing first, and written as GeoJSON Feature text by ``json_build_object`` and
``ST_AsGeoJSON``. Python only joins the feature texts into the response; no row is loaded as an
object.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

#: storage SRID of every layer (CGCS2000 lon/lat)
STORAGE_SRID = 4490

#: decimals kept in the database's own rounding of areas (as ``/api/sites``)
_ROUNDED = {"area_m2": 1, "area_mu": 3, "area_ha": 4, "area_m2_plane": 1}


@dataclass(frozen=True)
class Source:
    """Where a collection's rows come from.

    ``from_sql`` names the table(s) with aliases, ``id_sql`` the feature id, ``geom_sql`` the
    indexed geometry column, ``where_sql`` what every read of the collection adds (e.g. no
    retired sites), and ``alias`` the alias whose columns the properties are read from.
    """

    from_sql: str
    id_sql: str
    geom_sql: str
    where_sql: str
    alias: str
    #: extra properties: SQL expression → property name
    extra: tuple[tuple[str, str], ...] = ()


#: the tables behind the collections (the service decides which columns each caller reads)
SOURCES: dict[str, Source] = {
    "site": Source("site s", "s.id", "s.geom", "s.retired_at IS NULL", "s"),
    # a building has no outline of its own: it is drawn with its site's
    "building": Source(
        "building b JOIN site s ON s.id = b.site_id",
        "b.id",
        "s.geom",
        "s.retired_at IS NULL",
        "b",
        (("b.site_id", "site_id"), ("s.code", "site_code")),
    ),
    "constraint_zone": Source("constraint_zone z", "z.id", "z.geom", "true", "z"),
    "infrastructure": Source("infrastructure i", "i.id", "i.geom", "true", "i"),
    "jurisdiction": Source("jurisdiction j", "j.id", "j.geom", "true", "j"),
}


@dataclass(frozen=True)
class Output:
    """How geometries leave the database: SRID, axis swap and decimals."""

    srid: int
    swap_axes: bool
    digits: int


@dataclass(frozen=True)
class Query:
    """One read of a collection: columns, filters and the output CRS.

    ``where_sql``/``params`` are extra predicates (e.g. a site filter's on alias ``s``);
    ``bbox`` is a box in ``bbox_srid`` given as (minx, miny, maxx, maxy) in x = east order.
    """

    source: Source
    columns: tuple[str, ...]
    output: Output
    where_sql: str = "true"
    params: dict[str, Any] | None = None
    bbox: tuple[float, float, float, float] | None = None
    bbox_srid: int = 4326


def _column(alias: str, name: str) -> str:
    if name in _ROUNDED:
        return f"round({alias}.{name}::numeric, {_ROUNDED[name]})::float AS {name}"
    return f"{alias}.{name} AS {name}"


def _where(q: Query) -> tuple[str, dict[str, Any]]:
    clauses = [q.source.where_sql, q.where_sql]
    params = dict(q.params or {})
    if q.bbox is not None:
        # the transformed envelope is a constant of the statement: the GiST index answers &&
        clauses.append(
            f"ST_Intersects({q.source.geom_sql}, ST_Transform(ST_Segmentize("
            "ST_MakeEnvelope(:ogc_x0, :ogc_y0, :ogc_x1, :ogc_y1, :ogc_bsrid),"
            f" :ogc_seg), {STORAGE_SRID}))"
        )
        x0, y0, x1, y1 = q.bbox
        params |= {
            "ogc_x0": x0,
            "ogc_y0": y0,
            "ogc_x1": x1,
            "ogc_y1": y1,
            "ogc_bsrid": q.bbox_srid,
            # edges of a projected box curve in lon/lat: densify them (16 steps a side)
            "ogc_seg": max(x1 - x0, y1 - y0, 1e-9) / 16.0,
        }
    return " AND ".join(f"({c})" for c in clauses), params


def _geometry_sql(out: Output, column: str) -> str:
    g = column if out.srid == STORAGE_SRID else f"ST_Transform({column}, {int(out.srid)})"
    if out.swap_axes:
        g = f"ST_FlipCoordinates({g})"
    # options 0: no "crs" member (the CRS is said by the Content-Crs header)
    return f"ST_AsGeoJSON({g}, {int(out.digits)}, 0)::json"


def _feature_sql(q: Query) -> str:
    props = ", ".join(f"q.{c}" for c in (*q.columns, *(n for _, n in q.source.extra)))
    return f"""json_build_object(
                 'type', 'Feature', 'id', q.ogc_id,
                 'geometry', {_geometry_sql(q.output, "q.ogc_geom")},
                 'properties', (SELECT to_jsonb(p) FROM (SELECT {props}) p))::text"""


def _inner_select(q: Query) -> str:
    cols = [_column(q.source.alias, c) for c in q.columns]
    cols += [f"{expr} AS {name}" for expr, name in q.source.extra]
    return (
        f"SELECT {q.source.id_sql} AS ogc_id, {q.source.geom_sql} AS ogc_geom, "
        + ", ".join(cols)
        + f" FROM {q.source.from_sql}"
    )


def features(conn: sa.Connection, q: Query, *, limit: int, offset: int) -> tuple[str, int]:
    """One page of features (in id order) as the text of a JSON array's items, and their count.

    A page past the first starts at the id found ``offset`` rows in, by a scan that reads ids
    only (an index-only scan of ``ix_site_live_id`` when no other filter applies): skipping
    rows with ``OFFSET`` on the full select would read and project every skipped row.
    """
    where, params = _where(q)
    start = ""
    if offset > 0:
        ids = q.source.id_sql
        start = f"""AND {ids} >= (SELECT {ids} FROM {q.source.from_sql} WHERE {where}
                                  ORDER BY {ids} OFFSET :ogc_offset LIMIT 1)"""
    sql = f"""
        SELECT count(*)::int, COALESCE(string_agg(f, ',' ORDER BY ogc_id), '')
          FROM (SELECT q.ogc_id, {_feature_sql(q)} AS f
                  FROM ({_inner_select(q)}
                         WHERE {where} {start}
                         ORDER BY {q.source.id_sql}
                         LIMIT :ogc_limit) q) page"""
    row = conn.execute(sa.text(sql), params | {"ogc_limit": limit, "ogc_offset": offset}).one()
    return str(row[1]), int(row[0])


def count(conn: sa.Connection, q: Query) -> int:
    """Number of features matching ``q`` (every page together)."""
    where, params = _where(q)
    sql = f"SELECT count(*) FROM {q.source.from_sql} WHERE {where}"
    return int(conn.execute(sa.text(sql), params).scalar_one())


def feature(conn: sa.Connection, q: Query, fid: int) -> str | None:
    """One feature as GeoJSON text, or None when ``fid`` is not in the collection."""
    where, params = _where(q)
    sql = f"""
        SELECT {_feature_sql(q)}
          FROM ({_inner_select(q)} WHERE {where} AND {q.source.id_sql} = :ogc_fid) q"""
    return conn.execute(sa.text(sql), params | {"ogc_fid": fid}).scalar()


def lonlat_box(
    conn: sa.Connection, box: tuple[float, float, float, float], srid: int
) -> tuple[float, float, float, float] | None:
    """``box`` (x = east order, in ``srid``) as a lon/lat box, or None when PROJ cannot
    transform it (coordinates far outside the CRS). Runs in a savepoint, so that a refused
    transformation leaves the request's transaction usable."""
    sql = sa.text(
        """SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b) FROM (
             SELECT ST_Transform(ST_Segmentize(ST_MakeEnvelope(:x0, :y0, :x1, :y1, :srid),
                                               :seg), 4326)::box2d AS b) t"""
    )
    x0, y0, x1, y1 = box
    params = {
        "x0": x0,
        "y0": y0,
        "x1": x1,
        "y1": y1,
        "srid": srid,
        "seg": max(x1 - x0, y1 - y0, 1e-9) / 16.0,
    }
    try:
        with conn.begin_nested():
            row = conn.execute(sql, params).one()
    except sa.exc.DBAPIError as exc:
        if exc.connection_invalidated:
            raise
        return None
    if row[0] is None:
        return None
    return (float(row[0]), float(row[1]), float(row[2]), float(row[3]))


def data_version(conn: sa.Connection) -> str:
    """A cheap token that changes whenever the data the collections and tiles show changes.

    ``max(history.id)`` (of every district: ``gis_app_history_head()``, revision 0038, reads
    it past the row-level policies) is exact and an index probe: the history triggers write a
    row for every insert, update and delete of sites, buildings and zones, from the app, psql
    or QGIS alike. Infrastructure (a small table kept with ``updated_at``) is read as its row
    count and latest change. The tables' write counters (PostgreSQL statistics, lagging a write
    by up to ~10 s) add what neither sees: the jurisdiction, and a history row whose
    transaction commits after a later one's.
    """
    return conn.execute(sa.text(f"SELECT {DATA_VERSION_SQL}")).scalar_one()


#: the data version as one text expression, for a statement that reads it beside its own
#: rows (a tile: one round trip, and the version of the snapshot the tile was cut from)
DATA_VERSION_SQL = """
    concat_ws('-',
        (SELECT gis_app_history_head()),
        (SELECT count(*) || '.' || COALESCE(extract(epoch FROM max(updated_at))::text, '')
           FROM infrastructure),
        (SELECT sum(pg_stat_get_tuples_inserted(t) + pg_stat_get_tuples_updated(t)
                    + pg_stat_get_tuples_deleted(t))
           FROM unnest(ARRAY['site', 'building', 'constraint_zone', 'infrastructure',
                             'district', 'site_distance', 'history']::regclass[]) AS t))"""
