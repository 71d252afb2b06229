"""SQL of site exports: PostGIS produces every value of an export row, labels included.

The statement selects the current sites of a :class:`~gis_app.db.site_queries.SiteFilter` in
code order with the columns an export carries, each already in the form its file takes: the
Chinese label of a coded value beside it (looked up in a JSON parameter built from the
vocabularies and land-use tables, so that the registry stays their one source), lists joined
with commas, dates and times as ISO text where a format has no date type, the outline in the
CRS asked for (hex WKB, WKT or the geometry itself) and a WGS84 point inside the site.
:func:`copy_csv` runs it as one ``COPY … TO STDOUT`` into a file: one statement, one
snapshot, no Python object per value; the exporter (:mod:`gis_app.io.export`) then reads the
file back in batches, so neither side ever holds the selection.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import IO, Any

import sqlalchemy as sa

from gis_app.db import scope
from gis_app.db.models import SRID

#: a time stamp as ISO text, as Python's ``datetime.isoformat`` writes it (microseconds only
#: when there are any), in the session's time zone
_ISO_TEXT = (
    "CASE WHEN {c} IS NULL THEN NULL "
    "WHEN extract(microseconds FROM {c})::bigint % 1000000 = 0 "
    """THEN to_char({c}, 'YYYY-MM-DD"T"HH24:MI:SSTZH:TZM') """
    """ELSE to_char({c}, 'YYYY-MM-DD"T"HH24:MI:SS.USTZH:TZM') END"""
)
#: a time stamp for a reader that parses it (UTC, whatever the session's DateStyle and zone)
_ISO_UTC = """to_char({c} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"""
#: geometry encodings: hex WKB (CSV-safe), WKT, or the geometry itself (for GDAL's reader)
GEOMETRY_ENCODINGS = ("hex", "wkt", "native")
#: tables a site column may reference by code whose rows have a Chinese name (``name_zh``)
NAMED_TABLES = {"district": "district"}


@dataclass(frozen=True, slots=True)
class ExportColumns:
    """What an export row holds.

    ``columns`` are site columns; ``labels`` maps a coded one to its key → Chinese label table
    (a ``<field>_zh`` column follows it); ``lists`` are array columns joined with commas;
    ``dates`` and ``times`` are date and time-stamp columns, written as ISO text when
    ``dates_as_text`` (as Python writes them) and else in a form readers parse (``YYYY-MM-DD``,
    UTC time stamps ending in ``Z``); ``geometry`` is one of :data:`GEOMETRY_ENCODINGS` or
    ``None``, in EPSG:``srid``, as column ``geom``; ``point`` adds ``lon_wgs84`` and
    ``lat_wgs84`` of a point inside the site (7 decimals).
    """

    columns: Sequence[str]
    labels: Mapping[str, Mapping[str, str]]
    lists: Sequence[str] = ()
    dates: Sequence[str] = ()
    times: Sequence[str] = ()
    dates_as_text: bool = False
    geometry: str | None = "hex"
    srid: int = SRID
    point: bool = False
    #: columns holding the code of a row of a named table (``district``): the row's Chinese
    #: name follows as ``<table>_name_zh``, looked up when the export runs
    references: Mapping[str, str] = dataclasses.field(default_factory=dict)

    def names(self) -> list[str]:
        """The output columns in order: the site's (each label or referenced name after its
        code), the geometry, the point."""
        out: list[str] = []
        for c in self.columns:
            out.append(c)
            if c in self.labels:
                out.append(f"{c}_zh")
            if c in self.references:
                out.append(f"{self.references[c]}_name_zh")
        if self.geometry is not None:
            out.append("geom")
        if self.point:
            out += ["lon_wgs84", "lat_wgs84"]
        return out


def _expression(c: str, spec: ExportColumns) -> str:
    if c in spec.lists:
        return f"array_to_string(s.{c}, ',')"
    if c in spec.dates:
        return f"to_char(s.{c}, 'YYYY-MM-DD')"
    if c in spec.times:
        return (_ISO_TEXT if spec.dates_as_text else _ISO_UTC).format(c=f"s.{c}")
    return f"s.{c}"


def export_select(flt: Any, spec: ExportColumns) -> tuple[str, dict[str, Any]]:
    """The SELECT of an export: the current (not retired) sites matching ``flt`` (a
    SiteFilter) in code order, with the columns of ``spec``; the SQL text and its parameters.

    Each field's labels travel as one JSON parameter, a constant in which PostgreSQL looks
    each row's key up (a key without a label gets none, as an unknown stored code should).
    """
    if spec.geometry not in (*GEOMETRY_ENCODINGS, None):
        raise ValueError(f"unknown geometry encoding {spec.geometry!r}")
    where, params = flt.where()
    parts: list[str] = []
    for c in spec.columns:
        parts.append(f"{_expression(c, spec)} AS {c}")
        if c in spec.labels:
            parts.append(f"(CAST(:label_{c} AS jsonb) ->> s.{c}) AS {c}_zh")
        if c in spec.references:
            table = NAMED_TABLES[spec.references[c]]
            parts.append(
                f"(SELECT r.name_zh FROM {table} r WHERE r.code = s.{c})"
                f" AS {spec.references[c]}_name_zh"
            )
    if spec.geometry is not None:
        geom = "s.geom" if spec.srid == SRID else f"ST_Transform(s.geom, {int(spec.srid)})"
        parts.append(
            {
                "hex": f"encode(ST_AsBinary({geom}), 'hex')",
                "wkt": f"ST_AsText({geom}, 17)",
                "native": geom,
            }[spec.geometry]
            + " AS geom"
        )
    if spec.point:
        point = "ST_Transform(ST_PointOnSurface(s.geom), 4326)"
        parts += [
            f"round(ST_X({point})::numeric, 7)::float8 AS lon_wgs84",
            f"round(ST_Y({point})::numeric, 7)::float8 AS lat_wgs84",
        ]
    sql = (
        f"SELECT {', '.join(parts)} FROM site s "
        f"WHERE ({where}) AND s.retired_at IS NULL ORDER BY s.code"
    )
    labels = {
        f"label_{f}": json.dumps(dict(table), ensure_ascii=False)
        for f, table in spec.labels.items()
    }
    return sql, params | labels


def count_selection(conn: sa.Connection, flt: Any) -> int:
    """How many current sites match ``flt`` (a SiteFilter)."""
    where, params = flt.where()
    return conn.execute(
        sa.text(f"SELECT count(*) FROM site s WHERE ({where}) AND s.retired_at IS NULL"), params
    ).scalar_one()


def srid_known(conn: sa.Connection, srid: int) -> bool:
    """Whether PostGIS can transform to EPSG:``srid`` (it is in ``spatial_ref_sys``)."""
    return bool(
        conn.execute(
            sa.text("SELECT EXISTS (SELECT 1 FROM spatial_ref_sys WHERE srid = :s)"), {"s": srid}
        ).scalar_one()
    )


def literal_sql(conn: sa.Connection, sql: str, params: Mapping[str, Any]) -> str:
    """``sql`` with its parameters bound as literals by the driver, as it would send them
    (``COPY (…) TO STDOUT`` and GDAL's ``-sql`` take no parameters)."""
    compiled = sa.text(sql).compile(dialect=conn.dialect)
    values = compiled.construct_params(dict(params))
    dbapi = conn.connection.dbapi_connection
    cur = dbapi.cursor()  # type: ignore[union-attr]
    try:
        text = cur.mogrify(compiled.string, values)
    finally:
        cur.close()
    return text.decode("utf-8") if isinstance(text, bytes) else text


def copy_csv(conn: sa.Connection, sql: str, params: Mapping[str, Any], out: IO[bytes]) -> None:
    """Write the rows of ``sql`` to ``out`` as CSV (PostgreSQL's: unquoted empty is NULL, a
    quoted empty string is text, booleans ``t``/``f``), in the caller's transaction."""
    query = literal_sql(conn, sql, params)
    scope.send(conn)  # the driver's cursor below bypasses the engine's hooks
    dbapi = conn.connection.dbapi_connection
    cur = dbapi.cursor()  # type: ignore[union-attr]
    try:
        cur.copy_expert(f"COPY ({query}) TO STDOUT WITH (FORMAT csv)", out)
    finally:
        cur.close()
