"""SQL for planners' edits: row locks, updates, overlaps, lineage, history and past states.

Repositories here never commit; the services in :mod:`gis_app.services.site_edits` and
:mod:`gis_app.services.history` do. Database errors that the schema raises on purpose (lock
timeouts, the blocking-overlap and retired-site triggers, unique and check constraints) are
translated into domain errors by :func:`translate_db_errors`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from shapely import wkb
from shapely.geometry.base import BaseGeometry

from gis_app.db.engine import set_app_user
from gis_app.db.models import SRID, Building, ConstraintZone, CurrentUseParcel, Site
from gis_app.db.site_queries import SITE_PROPERTY_COLUMNS
from gis_app.domain import errors, fields
from gis_app.domain.error_vocab import Problem
from gis_app.domain.vocab import BLOCKING_CONSTRAINT_KINDS, Term

#: tables whose rows planners edit through the API (name → editable columns are checked by
#: the service against the field specs of gis_app.io.fields)
EDITABLE_TABLES = ("site", "building", "constraint_zone")
_TABLES: dict[str, sa.Table] = {
    model.__table__.name: model.__table__
    for model in (Site, Building, ConstraintZone, CurrentUseParcel)
}
_SITE = _TABLES["site"]

# Columns the database derives or keeps (the registry's ``managed`` fields and the columns it
# does not declare); never written by an edit.
SITE_READ_ONLY = frozenset(fields.names(fields.SITE, managed=True)) | fields.SITE_UNDECLARED


def _first_line(e: sa.exc.DBAPIError) -> str:
    orig = getattr(e, "orig", None)
    diag = getattr(orig, "diag", None)
    primary = getattr(diag, "message_primary", None)
    return primary or str(orig or e).strip().splitlines()[0]


def _district_term(d: Mapping[str, Any]) -> Term:
    return Term(str(d["code"]), str(d["zh"]), str(d["en"]))


def district_refusal(where: str, e: sa.exc.DBAPIError) -> errors.GeometryRejected:
    """The coded refusal of a district rule the database enforced (revision 0029): its DETAIL
    names the site and the districts (codes, Chinese and English names)."""
    diag = getattr(getattr(e, "orig", None), "diag", None)
    detail = json.loads(getattr(diag, "message_detail", None) or "{}")
    if getattr(e.orig, "pgcode", None) == "GA005":
        return errors.OutsideOwnDistrict(
            where,
            detail["site"],
            _district_term(detail["district"]),
            _district_term(detail["found"]),
        )
    return errors.CrossesDistrictBoundary(
        where, detail["site"], _district_term(detail["a"]), _district_term(detail["b"])
    )


@contextmanager
def translate_db_errors(where: str, values: Mapping[str, Any] | None = None) -> Iterator[None]:
    """Turn the database's deliberate refusals into domain errors naming ``where``; ``values``
    (the row being written) name the value a unique key refused when PostgreSQL does not (it
    leaves the key out of the message for a table under row security)."""
    try:
        yield
    except sa.exc.DBAPIError as e:
        code = getattr(getattr(e, "orig", None), "pgcode", None)
        msg = _first_line(e)
        if code == "55P03":
            raise errors.LockTimeout(
                f"{where} is locked by another transaction (e.g. a QGIS edit session); "
                "nothing was changed — try again once that edit is saved"
            ) from e
        if code == "57014":
            raise errors.LockTimeout(
                f"{where}: the database took too long (statement timeout); nothing was changed"
            ) from e
        if code == "40P01":
            raise errors.EditConflict(
                f"{where}: concurrent edits deadlocked; try again", code="try_again"
            ) from e
        if code == "GA001":
            raise errors.AvailabilityBlocked(msg) from e
        if code == "GA002":
            raise errors.RetiredSite(msg) from e
        # the rules every writer meets (migration 0013): the app checks them first, so these
        # only reach it when a check and the database disagree
        if code == "GA003":
            # the rule's message names the record too: keep its problem part
            raise errors.GeometryRejected(
                where,
                [Problem("geom_outside_jurisdiction", "geom", {}, msg.split(": ", 1)[-1])],
            ) from e
        if code == "GA004":
            raise errors.EditConflict(msg) from e
        if code in ("GA005", "GA006"):
            raise district_refusal(where, e) from e
        if code == "42501" and "row-level security" in msg:
            # a row of a district outside the writer's (revision 0035)
            raise errors.Forbidden(
                f"{where} lies in a district you may not change / 不在您可编辑的行政区范围内",
                code="district_not_writable",
                field="district_code",
            ) from e
        if is_district_key_taken(e):
            raise district_key_taken(where, (values or {}).get("code")) from e
        if code == "23505":
            detail = getattr(getattr(e.orig, "diag", None), "message_detail", None) or msg
            # "Key (code)=(PT-1) already exists.": the field and the value taken
            key = re.match(r"Key \((\w+)\)=\((.*)\) already exists", detail)
            field, value = (key.group(1), key.group(2)) if key else _unique_key(e, values)
            told = f"{where}: {value} already exists" if value is not None and not key else None
            raise errors.EditConflict(
                told or f"{where}: {detail}",
                code="duplicate" if value is not None else None,
                field=field,
                params={"value": value[:60]} if value is not None else None,
            ) from e
        if code in ("23514", "23502", "22P02", "22003", "23503"):
            # a CHECK, NOT NULL, type or foreign-key rule: name the column when PostgreSQL does
            column = getattr(getattr(e.orig, "diag", None), "column_name", None)
            raise errors.InvalidInput(
                f"{where}: {msg}", code="db_check_failed", field=column
            ) from e
        raise


#: the unique index that keeps each district's part of the space key its own (revision 0053)
DISTRICT_KEY_INDEX = "ux_district_space_key"


def is_district_key_taken(e: sa.exc.DBAPIError) -> bool:
    """Whether ``e`` refused a district whose code's part of the space key another district's
    code already has."""
    diag = getattr(getattr(e, "orig", None), "diag", None)
    return getattr(diag, "constraint_name", None) == DISTRICT_KEY_INDEX


def district_key_taken(where: str, code: Any) -> errors.EditConflict:
    """The refusal of a district code whose 39-bit hash another district's code shares (a hash
    collision, about one in 5 × 10^11 per pair): the record needs another code."""
    return errors.EditConflict(
        f"{where}: district code {code!r} has the same match-index key as another district's"
        " code (a rare hash collision); use another code",
        code="district_key_taken",
        field="code",
        params={"value": str(code)[:60]},
    )


def _unique_key(
    e: sa.exc.DBAPIError, values: Mapping[str, Any] | None
) -> tuple[str | None, str | None]:
    """The column and value of a one-column unique key (``uq_<table>_<column>``) that refused
    a row of ``values``: (None, None) when it cannot be told."""
    diag = getattr(getattr(e, "orig", None), "diag", None)
    name, table = getattr(diag, "constraint_name", None), getattr(diag, "table_name", None)
    prefix = f"uq_{table}_"
    if not (values and name and table and name.startswith(prefix)):
        return None, None
    column = name[len(prefix) :]
    value = values.get(column)
    return (column, str(value)) if value is not None else (None, None)


def set_edit_context(
    conn: sa.Connection, user: str | None, note: str | None = None, doc_ref: str | None = None
) -> None:
    """Tell the history trigger who edits, why, and on which document, for this transaction."""
    set_app_user(conn, user, note)
    conn.execute(sa.text("SELECT set_config('gis_app.doc_ref', :d, true)"), {"d": doc_ref or ""})


def lock_row(conn: sa.Connection, table: str, row_id: int) -> dict[str, Any] | None:
    """Lock one row ``FOR UPDATE`` (waiting at most the lock timeout) and return its columns.

    Geometry comes back as ``geom_wkb`` (bytes); other columns as Python values.
    """
    if table not in EDITABLE_TABLES:
        raise ValueError(table)
    geom = "ST_AsBinary(t.geom)" if table != "building" else "NULL::bytea"
    row = (
        conn.execute(
            sa.text(
                f"SELECT t.*, {geom} AS geom_wkb FROM {table} t WHERE t.id = :id FOR UPDATE OF t"
            ),
            {"id": row_id},
        )
        .mappings()
        .one_or_none()
    )
    if row is None:
        return None
    out = dict(row)
    out.pop("geom", None)
    if out.get("geom_wkb") is not None:
        out["geom_wkb"] = bytes(out["geom_wkb"])
    return out


def row_version(conn: sa.Connection, table: str, row_id: int) -> int | None:
    """The current version of a row (its ETag), or ``None`` when there is no such row."""
    if table not in EDITABLE_TABLES:
        raise ValueError(table)
    return conn.execute(
        sa.text(f"SELECT version FROM {table} WHERE id = :id"), {"id": row_id}
    ).scalar()


def update_row(conn: sa.Connection, table: str, row_id: int, values: dict[str, Any]) -> int:
    """Write ``values`` to one row; return its new version (bumped by the trigger)."""
    if table not in EDITABLE_TABLES:
        raise ValueError(table)
    target = _TABLES[table]
    return conn.execute(
        sa.update(target).where(target.c.id == row_id).values(values).returning(target.c.version)
    ).scalar_one()


def update_geom(conn: sa.Connection, table: str, row_id: int, geom: BaseGeometry) -> int:
    """Replace a row's geometry (EPSG:4490 MultiPolygon); return the new version."""
    if table not in ("site", "constraint_zone", "current_use_parcel"):
        raise ValueError(table)
    target = _TABLES[table]
    return conn.execute(
        sa.update(target)
        .where(target.c.id == row_id)
        .values(geom=_multi_from_wkb(sa.literal(wkb.dumps(geom), sa.LargeBinary)))
        .returning(target.c.version)
    ).scalar_one()


def _multi_from_wkb(value: sa.ColumnElement[bytes]) -> sa.ColumnElement[Any]:
    """An EPSG:4490 MultiPolygon made from WKB (a Polygon is wrapped)."""
    return sa.func.ST_Multi(sa.func.ST_GeomFromWKB(value, SRID))


def site_summary(conn: sa.Connection, site_id: int) -> dict[str, Any]:
    """Code, name, version, areas, availability and lineage of one site."""
    return dict(
        conn.execute(
            sa.text(
                "SELECT id, code, name_zh, version, availability, "
                "round(area_m2::numeric, 1)::float AS area_m2, "
                "round(area_mu::numeric, 3)::float AS area_mu, parent_ids, "
                "retired_at, updated_at FROM site WHERE id = :id"
            ),
            {"id": site_id},
        )
        .mappings()
        .one()
    )


def site_head(conn: sa.Connection, site_id: int) -> dict[str, Any] | None:
    """Id, code, name, version and lineage of a site, or ``None``."""
    return _row_by_id(
        conn,
        "SELECT id, code, name_zh, version, parent_ids, retired_at FROM site WHERE id = :id",
        site_id,
    )


def site_status(conn: sa.Connection, site_id: int, fields: list[str]) -> dict[str, Any] | None:
    """Identity, version and the given (status) columns of one site."""
    cols = ", ".join(f"s.{c}" for c in fields)
    return _row_by_id(
        conn,
        f"SELECT s.id, s.code, s.name_zh, s.version, s.retired_at, {cols} "
        "FROM site s WHERE s.id = :id",
        site_id,
    )


def building_row(conn: sa.Connection, building_id: int, cols: list[str]) -> dict[str, Any] | None:
    """One building's given columns, its id, site code and version."""
    sel = ", ".join(f"b.{c}" for c in cols)
    return _row_by_id(
        conn,
        f"SELECT b.id, {sel}, s.code AS site_code, b.version, b.updated_at "
        "FROM building b JOIN site s ON s.id = b.site_id WHERE b.id = :id",
        building_id,
    )


def _row_by_id(conn: sa.Connection, sql: str, row_id: int) -> dict[str, Any] | None:
    """The one row ``sql`` selects for ``:id``, or ``None``."""
    row = conn.execute(sa.text(sql), {"id": row_id}).mappings().one_or_none()
    return dict(row) if row else None


def zone_feature(conn: sa.Connection, zone_id: int) -> tuple[str, int] | None:
    """A constraint zone as a GeoJSON Feature (WGS84) and its version."""
    row = conn.execute(
        sa.text("""
        SELECT json_build_object(
                 'type', 'Feature', 'id', z.id,
                 'geometry', ST_AsGeoJSON(ST_Transform(z.geom, 4326), 7)::json,
                 'properties', to_jsonb(z) - 'geom')::text AS f, z.version
          FROM constraint_zone z WHERE z.id = :id"""),
        {"id": zone_id},
    ).one_or_none()
    return (row.f, row.version) if row else None


def site_overlaps(conn: sa.Connection, site_id: int) -> list[dict[str, Any]]:
    """Constraint zones the site overlaps (kept current by trigger), largest first."""
    rows = conn.execute(
        sa.text(
            "SELECT z.id AS zone_id, z.code AS zone_code, z.kind AS zone_kind, "
            "z.name_zh AS zone_name, round(o.overlap_m2::numeric, 1)::float AS overlap_m2, "
            "o.overlap_pct::float AS overlap_pct "
            "FROM site_constraint_overlap o JOIN constraint_zone z ON z.id = o.zone_id "
            "WHERE o.site_id = :id ORDER BY o.overlap_m2 DESC, z.code"
        ),
        {"id": site_id},
    ).mappings()
    return [{**r, "blocking": r["zone_kind"] in BLOCKING_CONSTRAINT_KINDS} for r in rows]


def blocking_overlaps_of(conn: sa.Connection, geoms: Sequence[BaseGeometry]) -> list[str | None]:
    """For each EPSG:4490 geometry, the largest overlap with a blocking zone as text, or None."""
    if not geoms:
        return []
    rows = conn.execute(
        sa.text(
            "SELECT g.i, b.zone_kind, b.zone_code, b.zone_name, b.overlap_m2 "
            "FROM unnest(CAST(:w AS bytea[])) WITH ORDINALITY AS g(w, i) "
            f"CROSS JOIN LATERAL gis_app_blocking_overlap(ST_GeomFromWKB(g.w, {SRID})) b"
        ),
        {"w": [wkb.dumps(g) for g in geoms]},
    ).all()
    out: list[str | None] = [None] * len(geoms)
    for r in rows:
        out[r.i - 1] = (
            f"overlaps {r.zone_kind} zone {r.zone_code} ({r.zone_name}) by {r.overlap_m2:.0f} m²"
        )
    return out


def zone_overlaps(conn: sa.Connection, zone_id: int) -> list[dict[str, Any]]:
    """Sites a constraint zone overlaps, largest overlap first."""
    rows = conn.execute(
        sa.text(
            "SELECT s.id AS site_id, s.code AS site_code, s.availability, "
            "round(o.overlap_m2::numeric, 1)::float AS overlap_m2, "
            "o.overlap_pct::float AS overlap_pct FROM site_constraint_overlap o "
            "JOIN site s ON s.id = o.site_id WHERE o.zone_id = :z "
            "ORDER BY o.overlap_m2 DESC, s.code"
        ),
        {"z": zone_id},
    ).mappings()
    return [dict(r) for r in rows]


def live_site_id(conn: sa.Connection, code: str) -> int | None:
    """Id of the current (not retired) site with ``code``."""
    return conn.execute(
        sa.text("SELECT id FROM site WHERE code = :c AND retired_at IS NULL"), {"c": code}
    ).scalar()


def jurisdiction_outline(conn: sa.Connection) -> BaseGeometry | None:
    """The union of every district's outline (EPSG:4490: the ``jurisdiction`` view), or
    ``None`` when there is none."""
    row = conn.execute(sa.text("SELECT ST_AsBinary(ST_Union(geom)) FROM jurisdiction")).scalar()
    return wkb.loads(bytes(row)) if row else None


# --- split and merge ---------------------------------------------------------------------------

# Columns a child copies from its parent (everything a planner keyed in; not identity, geometry,
# derived or bookkeeping columns, and not the declared area, which belonged to the parent).
_NOT_COPIED = SITE_READ_ONLY | {"code", "name_zh", "name_en", "declared_area_mu"}


def site_columns(conn: sa.Connection) -> list[str]:
    """Columns of ``site`` in table order (generated ones included)."""
    return list(
        conn.execute(
            sa.text(
                "SELECT attname FROM pg_attribute WHERE attrelid = 'site'::regclass "
                "AND attnum > 0 AND NOT attisdropped ORDER BY attnum"
            )
        ).scalars()
    )


def split_by_line(conn: sa.Connection, site_id: int, line: BaseGeometry) -> list[BaseGeometry]:
    """Pieces of the site cut by ``line`` (EPSG:4490), largest first."""
    rows = conn.execute(
        sa.text(
            "SELECT ST_AsBinary(d.geom) FROM site s, "
            f"LATERAL ST_Dump(ST_Split(s.geom, ST_GeomFromWKB(:l, {SRID}))) d "
            "WHERE s.id = :id ORDER BY ST_Area(d.geom::geography) DESC"
        ),
        {"id": site_id, "l": wkb.dumps(line)},
    ).scalars()
    return [wkb.loads(bytes(r)) for r in rows]


def insert_child(
    conn: sa.Connection,
    source_id: int,
    parent_ids: list[int],
    geom: BaseGeometry,
    values: dict[str, Any],
) -> int:
    """Insert a site copying ``source_id``'s attributes, with ``values`` and ``geom``; its id."""
    copied = [c for c in site_columns(conn) if c not in _NOT_COPIED and c not in values]
    source = _SITE.alias("s")
    exprs = [
        *(source.c[c] for c in copied),
        *(sa.literal(v, _SITE.c[c].type) for c, v in values.items()),
        _multi_from_wkb(sa.literal(wkb.dumps(geom), sa.LargeBinary)),
        sa.literal(parent_ids, _SITE.c.parent_ids.type),
    ]
    child = sa.select(*exprs).where(source.c.id == source_id)
    return conn.execute(
        sa.insert(_SITE)
        .from_select([*copied, *values, "geom", "parent_ids"], child)
        .returning(_SITE.c.id)
    ).scalar_one()


def retire(conn: sa.Connection, site_ids: list[int]) -> None:
    """Retire parents of a split or merge: 'unavailable', ``retired_at`` now."""
    conn.execute(
        sa.update(_SITE)
        .where(_SITE.c.id.in_(site_ids))
        .values(availability="unavailable", retired_at=sa.func.clock_timestamp())
    )


def adjacency_groups(conn: sa.Connection, site_ids: list[int], tolerance_deg: float) -> int:
    """How many separate groups the sites form (touching within ``tolerance_deg`` = one)."""
    return conn.execute(
        sa.text(
            "SELECT count(DISTINCT c) FROM (SELECT ST_ClusterDBSCAN(geom, :eps, 1) "
            "OVER () AS c FROM site WHERE id = ANY(:ids)) x"
        ),
        {"ids": site_ids, "eps": tolerance_deg},
    ).scalar_one()


def union_of(conn: sa.Connection, site_ids: list[int]) -> BaseGeometry:
    """The union of the sites' geometries (EPSG:4490)."""
    row = conn.execute(
        sa.text("SELECT ST_AsBinary(ST_Multi(ST_Union(geom))) FROM site WHERE id = ANY(:ids)"),
        {"ids": site_ids},
    ).scalar_one()
    return wkb.loads(bytes(row))


def buildings_of(conn: sa.Connection, site_ids: list[int]) -> list[dict[str, Any]]:
    """Buildings on the given sites (id, code, site_id)."""
    return [
        dict(r)
        for r in conn.execute(
            sa.text(
                "SELECT id, code, site_id FROM building WHERE site_id = ANY(:ids) ORDER BY code"
            ),
            {"ids": site_ids},
        ).mappings()
    ]


def move_buildings(conn: sa.Connection, building_ids: list[int], site_id: int) -> None:
    """Put buildings on another site."""
    if building_ids:
        building = _TABLES["building"]
        conn.execute(
            sa.update(building).where(building.c.id.in_(building_ids)).values(site_id=site_id)
        )


# --- history -----------------------------------------------------------------------------------


def lineage_ancestors(conn: sa.Connection, site_id: int) -> list[dict[str, Any]]:
    """Every ancestor of a site (parents, their parents …) with the child's creation time."""
    rows = conn.execute(
        sa.text("""
        WITH RECURSIVE up(id, until) AS (
            SELECT p, s.created_at FROM site s, unnest(s.parent_ids) p WHERE s.id = :id
            UNION
            SELECT p, s.created_at FROM up JOIN site s ON s.id = up.id, unnest(s.parent_ids) p
        )
        SELECT up.id, max(up.until) AS until, s.code FROM up JOIN site s ON s.id = up.id
         GROUP BY up.id, s.code ORDER BY up.id"""),
        {"id": site_id},
    ).mappings()
    return [dict(r) for r in rows]


def children_of(conn: sa.Connection, site_id: int) -> list[dict[str, Any]]:
    """Sites made from this one by a split or merge."""
    return [
        dict(r)
        for r in conn.execute(
            sa.text(
                "SELECT id, code, name_zh FROM site WHERE parent_ids @> ARRAY[CAST(:id AS bigint)] "
                "ORDER BY code"
            ),
            {"id": site_id},
        ).mappings()
    ]


def history_entries(
    conn: sa.Connection,
    scopes: Sequence[tuple[str, int, Any]],
    *,
    limit: int,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """History rows of several (table, row id, until) scopes, newest first.

    ``until`` bounds an ancestor's entries to the time its child was made (``None``: all).
    """
    if not scopes:
        return []
    clauses, params = [], {"limit": limit, "offset": offset}
    for i, (table, row_id, until) in enumerate(scopes):
        c = f"(h.table_name = :t{i} AND h.row_id = :r{i}"
        params[f"t{i}"], params[f"r{i}"] = table, row_id
        if until is not None:
            c += f" AND h.changed_at <= :u{i}"
            params[f"u{i}"] = until
        clauses.append(c + ")")
    sql = f"""
        SELECT h.id, h.table_name, h.row_id, h.action, h.changes, h.changed_by, h.app_user,
               h.db_user, h.application_name, h.note, h.doc_ref, h.changed_at
          FROM history h
         WHERE {" OR ".join(clauses)}
         ORDER BY h.changed_at DESC, h.id DESC
         LIMIT :limit OFFSET :offset"""
    return [dict(r) for r in conn.execute(sa.text(sql), params).mappings()]


def row_state(conn: sa.Connection, table: str, row_id: int) -> dict[str, Any] | None:
    """The row as JSON (``to_jsonb``: the representation the history trigger stores)."""
    if table not in EDITABLE_TABLES:
        raise ValueError(table)
    return conn.execute(
        sa.text(f"SELECT to_jsonb(t) FROM {table} t WHERE t.id = :id"), {"id": row_id}
    ).scalar()


def entries_after(
    conn: sa.Connection, table: str, row_id: int, bound: str, when: Any
) -> list[dict[str, Any]]:
    """History entries of one row after a moment, newest first (to walk back from the present).

    ``bound`` is ``"date"`` (after the end of that day, in the database's time zone) or
    ``"timestamp"`` (strictly after that instant).
    """
    cond = (
        "h.changed_at >= (CAST(:w AS date) + 1)::timestamptz"
        if bound == "date"
        else ("h.changed_at > CAST(:w AS timestamptz)")
    )
    return [
        dict(r)
        for r in conn.execute(
            sa.text(
                "SELECT h.id, h.action, h.changes, h.changed_at FROM history h "
                f"WHERE h.table_name = :t AND h.row_id = :r AND {cond} "
                "ORDER BY h.changed_at DESC, h.id DESC"
            ),
            {"t": table, "r": row_id, "w": when},
        ).mappings()
    ]


def last_change_before(conn: sa.Connection, table: str, row_id: int, bound: str, when: Any) -> Any:
    """When the row last changed at or before the moment (``None`` if never recorded)."""
    cond = (
        "h.changed_at < (CAST(:w AS date) + 1)::timestamptz"
        if bound == "date"
        else ("h.changed_at <= CAST(:w AS timestamptz)")
    )
    return conn.execute(
        sa.text(
            f"SELECT max(h.changed_at) FROM history h WHERE h.table_name = :t "
            f"AND h.row_id = :r AND {cond}"
        ),
        {"t": table, "r": row_id, "w": when},
    ).scalar()


_ROUNDED = {"area_m2": 1, "area_mu": 3, "area_ha": 4, "area_m2_plane": 1}


def feature_from_state(conn: sa.Connection, state: dict[str, Any]) -> str:
    """A GeoJSON Feature (WGS84) of a site state given as ``to_jsonb(site)``."""
    props = ", ".join(
        f"round(r.{c}::numeric, {_ROUNDED[c]})::float AS {c}" if c in _ROUNDED else f"r.{c}"
        for c in SITE_PROPERTY_COLUMNS
    )
    return conn.execute(
        sa.text(f"""
        SELECT json_build_object(
                 'type', 'Feature', 'id', p.id,
                 'geometry', ST_AsGeoJSON(ST_Transform(p.geom, 4326), 7)::json,
                 'properties', to_jsonb(p) - 'geom')::text
          FROM (SELECT r.geom, {props}, r.parent_ids, r.retired_at
                  FROM jsonb_populate_record(NULL::site, CAST(:s AS jsonb)) r) p"""),
        {"s": _json(state)},
    ).scalar_one()


def _json(v: Any) -> str:
    import json

    return json.dumps(v, ensure_ascii=False, default=str)


# --- file imports: staging, comparison, atomic apply ------------------------------------------

_STAGE = "import_stage"


def _not_null_defaults(conn: sa.Connection, table: str) -> dict[str, str | None]:
    """NOT NULL columns and their defaults: a blank cell keeps the current (or default) value."""
    rows = conn.execute(
        sa.text(
            "SELECT column_name, column_default FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = :t AND is_nullable = 'NO'"
        ),
        {"t": table},
    ).all()
    return {r.column_name: r.column_default for r in rows}


def codes_sharing_digits(conn: sa.Connection, table: str, bare: list[str]) -> dict[str, list[str]]:
    """Codes of ``table`` made of digits only that are one of ``bare`` once their leading
    zeros are dropped: bare form → the codes (a spreadsheet turns ``007`` into ``7``)."""
    if table not in _TABLES:
        raise ValueError(table)
    rows = conn.execute(
        sa.text(
            f"SELECT ltrim(code, '0') AS bare, code FROM {table} "
            "WHERE code ~ '^[0-9]+$' AND ltrim(code, '0') = ANY(:b) ORDER BY code"
        ),
        {"b": bare},
    ).all()
    out: dict[str, list[str]] = {}
    for r in rows:
        out.setdefault(r.bare, []).append(r.code)
    return out


def no_statement_timeout(conn: sa.Connection) -> None:
    """Lift the statement timeout for this transaction (the lock timeout stays)."""
    conn.execute(sa.text("SET LOCAL statement_timeout = 0"))


def create_stage(
    conn: sa.Connection,
    table: str,
    cols: list[str],
    *,
    reference: tuple[str, str] | None = None,
) -> None:
    """A temporary table shaped like ``table``'s ``cols``, dropped when the transaction ends.

    ``reference`` (field, column), e.g. a building's (``site_code``, ``site_id``): the field
    is staged as text and resolved into the column by :func:`stage_resolve_sites`. A table
    without an outline (buildings) gets an empty ``geom`` column in the stage only.
    """
    if table not in ("site", "constraint_zone", "current_use_parcel", "building"):
        raise ValueError(table)
    stored = [c for c in cols if reference is None or c != reference[0]]
    if reference is not None:
        stored.append(reference[1])
    has_geom = "geom" in _TABLES[table].c
    select = ", ".join(["code", *stored, *(["geom"] if has_geom else [])])
    conn.execute(sa.text(f"DROP TABLE IF EXISTS {_STAGE}"))
    conn.execute(
        sa.text(
            f"CREATE TEMP TABLE {_STAGE} ON COMMIT DROP AS SELECT {select} FROM {table} "
            "WITH NO DATA"
        )
    )
    extra = [] if has_geom else [f"ADD COLUMN geom geometry(MultiPolygon, {SRID})"]
    if reference is not None:
        extra.append(f"ADD COLUMN {reference[0]} text")
    conn.execute(
        sa.text(
            f"ALTER TABLE {_STAGE} ADD COLUMN rownum int PRIMARY KEY, "
            f"ADD COLUMN point geometry(Point, {SRID}), ADD COLUMN apply_geom boolean "
            "NOT NULL DEFAULT false" + "".join(f", {e}" for e in extra)
        )
    )


def stage_resolve_sites(conn: sa.Connection, field: str, column: str) -> dict[int, str]:
    """Fill ``column`` of the staged rows with the id of the live site their ``field`` names;
    the rows naming no such site (row number → the code given)."""
    conn.execute(
        sa.text(
            f"UPDATE {_STAGE} t SET {column} = s.id FROM site s "
            f"WHERE s.code = t.{field} AND s.retired_at IS NULL"
        )
    )
    rows = conn.execute(
        sa.text(
            f"SELECT rownum, {field} FROM {_STAGE} WHERE {field} IS NOT NULL AND {column} IS NULL"
        )
    ).all()
    return {r[0]: r[1] for r in rows}


def fill_stage(
    conn: sa.Connection,
    cols: list[str],
    rows: list[tuple[int, Any, BaseGeometry | None, list[Any]]],
    *,
    points: bool,
    progress: Any = None,
    page: int = 2000,
) -> None:
    """Insert (row number, code, geometry, values) tuples into the stage, a page at a time."""
    from psycopg2.extras import execute_values

    target = "point" if points else "geom"
    names = ", ".join(["rownum", "code", *cols, target])
    gexpr = f"ST_GeomFromWKB(%s, {SRID})" if points else f"ST_Multi(ST_GeomFromWKB(%s, {SRID}))"
    template = "(" + ", ".join(["%s", "%s", *(["%s"] * len(cols)), gexpr]) + ")"
    raw = conn.connection.dbapi_connection
    with raw.cursor() as cur:
        for start in range(0, len(rows), page):
            chunk = rows[start : start + page]
            data = [
                (n, code, *vals, wkb.dumps(g) if g is not None else None)
                for n, code, g, vals in chunk
            ]
            execute_values(
                cur, f"INSERT INTO {_STAGE} ({names}) VALUES %s", data, template, page_size=page
            )
            if progress:
                progress(start + len(chunk))


#: characters COPY's text format escapes
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value: Any) -> str:
    """One value in COPY's text format (NULL as ``\\N``; arrays as array literals)."""
    kind = type(value)
    if value is None:
        return "\\N"
    if kind is str:  # the usual cell first
        return value.translate(_COPY_ESCAPES)
    if kind is float:
        return repr(value)
    if kind is bool:
        return "t" if value else "f"
    if kind is int:
        return str(value)
    if isinstance(value, list | tuple):
        inner = ",".join(
            "NULL" if v is None else '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'
            for v in value
        )
        text = "{" + inner + "}"
    elif hasattr(value, "isoformat"):
        text = value.isoformat()
    elif isinstance(value, dict):
        text = _json(value)
    else:
        text = str(value)
    return text.translate(_COPY_ESCAPES)


def copy_stage(
    conn: sa.Connection,
    cols: list[str],
    rows: list[tuple[int, Any, BaseGeometry | None, list[Any]]],
    *,
    points: bool,
    progress: Any = None,
    page: int = 20_000,
) -> None:
    """COPY (row number, code, geometry, values) tuples into the stage, a page at a time (the
    bulk path: one stream instead of INSERT statements). Geometries go as hex EWKB."""
    import io

    import numpy as np
    import shapely

    target = "point" if points else "geom"
    names = ", ".join(["rownum", "code", *cols, target])
    geoms = np.empty(len(rows), dtype=object)
    geoms[:] = [g for _, _, g, _ in rows]
    present = np.flatnonzero([g is not None for g in geoms])
    hexes = np.full(len(rows), "\\N", dtype=object)
    if len(present):
        hexes[present] = shapely.to_wkb(
            shapely.set_srid(geoms[present], SRID), hex=True, include_srid=True
        )
    raw = conn.connection.dbapi_connection
    with raw.cursor() as cur:
        for start in range(0, len(rows), page):
            buf = io.StringIO()
            for k in range(start, min(start + page, len(rows))):
                n, code, _, vals = rows[k]
                buf.write("\t".join([str(n), _copy_text(code), *map(_copy_text, vals), hexes[k]]))
                buf.write("\n")
            buf.seek(0)
            cur.copy_expert(f"COPY {_STAGE} ({names}) FROM STDIN", buf)
            if progress:
                progress(min(start + page, len(rows)))


def bulk_apply(conn: sa.Connection, on: bool) -> None:
    """Turn the bulk apply of site rows on or off for the rest of this transaction: while on,
    the site's per-row history and derived-table triggers stand aside and statement-level
    triggers do their work once per statement (migration 0028)."""
    conn.execute(
        sa.text("SELECT set_config('gis_app.bulk_apply', :v, true)"), {"v": "on" if on else "off"}
    )


def compare_stage(
    conn: sa.Connection,
    table: str,
    cols: list[str],
    status_cols: list[str],
    tolerance_deg: float,
    *,
    geometry: bool = True,
) -> dict[int, dict[str, Any]]:
    """Per staged row: the matching record (if any), its changed columns, geometry change
    (``geometry``: the table has outlines)."""
    keep = _not_null_defaults(conn, table)
    diffs = ", ".join(
        f"CASE WHEN t.{c} IS DISTINCT FROM s.{c}"
        + (f" AND t.{c} IS NOT NULL" if c in keep else "")
        + f" THEN '{c}' END"
        for c in cols
    )
    changed = f"array_remove(ARRAY[{diffs}]::text[], NULL)" if cols else "ARRAY[]::text[]"
    extra = "".join(f", s.{c} AS {c}" for c in status_cols if c not in ("availability",))
    retired = "s.retired_at IS NOT NULL" if table == "site" else "false"
    avail = "s.availability" if table == "site" else "NULL::text"
    geom_changed = (
        """CASE WHEN t.geom IS NULL OR s.id IS NULL THEN false
                    ELSE NOT (ST_NPoints(t.geom) = ST_NPoints(s.geom)
                              AND ST_HausdorffDistance(t.geom, s.geom) <= :tol) END"""
        if geometry
        else "false"
    )
    distance = (
        """CASE WHEN t.point IS NOT NULL AND s.id IS NOT NULL
                    THEN ST_Distance(t.point::geography, s.geom::geography) END"""
        if geometry
        else "NULL::float8"
    )
    sql = f"""
        SELECT t.rownum, s.id, {retired} AS retired, {changed} AS changed,
               {geom_changed} AS geom_changed,
               {distance} AS point_distance_m,
               {avail} AS availability{extra}
          FROM {_STAGE} t LEFT JOIN {table} s ON s.code = t.code"""
    return {
        r["rownum"]: dict(r) for r in conn.execute(sa.text(sql), {"tol": tolerance_deg}).mappings()
    }


def stage_name_from_code(conn: sa.Connection, rownums: list[int]) -> None:
    """Staged rows ``rownums`` take their code as their name (new rows that had none)."""
    conn.execute(
        sa.text(f"UPDATE {_STAGE} SET name_zh = code WHERE rownum = ANY(:r)"), {"r": rownums}
    )


def stage_plane_areas(conn: sa.Connection, rownums: list[int]) -> dict[int, tuple[float, int]]:
    """Staged site rows' plane area (m²) and Gauss-Krüger zone, of the new outline or else the
    stored one, computed as the ``area_m2_plane`` column is."""
    rows = conn.execute(
        sa.text(f"""
        SELECT t.rownum, ST_Area(ST_Transform(g.geom, gis_app_gk_epsg(g.geom))) AS m2,
               gis_app_gk_epsg(g.geom) AS epsg
          FROM {_STAGE} t LEFT JOIN site s ON s.code = t.code
         CROSS JOIN LATERAL (SELECT COALESCE(t.geom, s.geom) AS geom) g
         WHERE t.rownum = ANY(:r) AND g.geom IS NOT NULL"""),
        {"r": rownums},
    ).all()
    return {r.rownum: (r.m2, r.epsg) for r in rows}


def stage_blocking(conn: sa.Connection, rownums: list[int]) -> dict[int, sa.Row]:
    """Staged rows whose outline (new, or else the stored one) overlaps a blocking zone:
    the zone's ``kind``, ``code``, ``name`` and ``overlap_m2``."""
    rows = conn.execute(
        sa.text(f"""
        SELECT t.rownum, b.zone_kind AS kind, b.zone_code AS code, b.zone_name AS name,
               b.overlap_m2
          FROM {_STAGE} t LEFT JOIN site s ON s.code = t.code
         CROSS JOIN LATERAL gis_app_blocking_overlap(COALESCE(t.geom, s.geom)) b
         WHERE t.rownum = ANY(:r)"""),
        {"r": rownums},
    ).all()
    return {r.rownum: r for r in rows}


def apply_stage(
    conn: sa.Connection,
    table: str,
    cols: list[str],
    *,
    insert_rows: list[int],
    update_rows: list[int],
    geom_rows: list[int],
    geometry: bool = True,
    progress: Any = None,
    chunk: int = 2000,
    bulk: bool = False,
) -> None:
    """Write staged rows: insert the new ones, update the changed ones (geometry if changed).

    Rows go in chunks (statements) so that progress can be shown; all in the caller's one
    transaction. ``bulk`` (site rows only): history and derived tables are computed once per
    chunk by the statement-level triggers instead of once per row (:func:`bulk_apply`).
    """
    keep = _not_null_defaults(conn, table)
    target = _TABLES[table]
    stage = sa.table(
        _STAGE, *(sa.column(c) for c in ["rownum", "code", *cols, "geom", "apply_geom"])
    )
    staged_rows = stage.c.rownum == sa.any_(sa.bindparam("r"))
    if geom_rows:
        conn.execute(sa.update(stage).where(staged_rows).values(apply_geom=True), {"r": geom_rows})
    done = 0
    geom = (
        {"geom": sa.case((stage.c.apply_geom, stage.c.geom), else_=target.c.geom)}
        if geometry
        else {}
    )
    update = (
        sa.update(target)
        .where(target.c.code == stage.c.code, staged_rows)
        .values(
            {
                c: sa.func.coalesce(stage.c[c], target.c[c]) if c in keep else stage.c[c]
                for c in cols
            }
            | geom
        )
    )
    # A blank cell of a new row takes the column's default (its SQL text from the catalog).
    values = [
        sa.func.coalesce(stage.c[c], sa.literal_column(keep[c])) if keep.get(c) else stage.c[c]
        for c in cols
    ]
    shape = [stage.c.geom] if geometry else []
    insert = sa.insert(target).from_select(
        ["code", *cols, *(["geom"] if geometry else [])],
        sa.select(stage.c.code, *values, *shape).where(staged_rows).order_by(stage.c.rownum),
    )
    if bulk:
        bulk_apply(conn, True)
    for stmt, rows in ((update, update_rows), (insert, insert_rows)):
        for start in range(0, len(rows), chunk):
            part = rows[start : start + chunk]
            conn.execute(stmt, {"r": part})
            done += len(part)
            if progress:
                progress(done)
    if bulk:
        bulk_apply(conn, False)
