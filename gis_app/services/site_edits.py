"""Planners' edits: status and attributes, geometry, split and merge, buildings and zones.

Every edit is one unit of work: the row is locked ``FOR UPDATE`` (waiting at most the
database's lock timeout, so a long QGIS edit session makes the API fail fast with a clear
message instead of hanging), its version is compared with the one the caller read (optimistic
concurrency: the ETag), the change is checked, written and committed with the acting user, a
note and a document reference recorded by the history trigger. On any error nothing is written.

Lineage: a split or merge makes new sites whose ``parent_ids`` name their parents; the parents
are *retired* — kept with their history, availability 'unavailable', ``retired_at`` set — and
the database refuses further edits of them (QGIS included). Buildings follow: on a merge they
move to the new site; on a split the caller says which child each building goes to.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import shapely
import sqlalchemy as sa
from shapely import wkb
from shapely.geometry import LineString, MultiLineString, MultiPolygon
from shapely.geometry.base import BaseGeometry

from gis_app.db import district_queries, edit_queries
from gis_app.domain import districts, fields, transitions, vocab
from gis_app.domain.error_vocab import Problem, at_part
from gis_app.domain.errors import (
    AvailabilityBlocked,
    GeometryRejected,
    InvalidInput,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    ReasonRequired,
    RetiredSite,
)
from gis_app.domain.vocab import Term
from gis_app.io import geometry_checks
from gis_app.io.fields import BUILDING_FIELDS, SITE_FIELDS, ZONE_FIELDS, Field, FieldError

# Same tolerance as the loader: outlines and parcels share edges only approximately (~1 m).
INSIDE_TOLERANCE_DEG = 1e-5
# Sites closer than this are adjacent for a merge (digitised shared edges rarely coincide).
ADJACENCY_TOLERANCE_M = 1.0
# A split's parts may leave or overlap this much of the parent (m², or this share of its area).
SPLIT_TOLERANCE_M2 = 1.0
SPLIT_TOLERANCE_SHARE = 1e-4

_LABELS = {"site": "site", "building": "building", "constraint_zone": "constraint zone"}
# Besides the columns the database keeps, the registry's fields with editable=False: who
# verified a site is the planner who records it.
EDIT_READ_ONLY = edit_queries.SITE_READ_ONLY | set(fields.names(fields.SITE, editable=False))


@dataclass
class EditResult:
    """What an edit did: the row's new version, the changes, overlaps, notes and lineage."""

    table: str
    id: int
    code: str
    version: int
    changed: bool
    changes: list[dict[str, Any]] = field(default_factory=list)
    overlaps: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    repair: dict[str, Any] | None = None
    area_m2: float | None = None
    area_before_m2: float | None = None
    children: list[dict[str, Any]] = field(default_factory=list)
    retired: list[dict[str, Any]] = field(default_factory=list)
    dry_run: bool = False

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return json.loads(json.dumps(asdict(self), default=_jsonable, ensure_ascii=False))


def _jsonable(v: Any) -> Any:
    if isinstance(v, dt.date | dt.datetime):
        return v.isoformat()
    return str(v)


def etag(version: int) -> str:
    """The ETag of a row version (a strong validator)."""
    return f'"{version}"'


def parse_if_match(value: str | None) -> int | None:
    """The version named by an ``If-Match`` header (``"7"``, ``W/"7"`` or ``7``); None if absent.

    ``*`` is refused: it would let a write overwrite whatever another planner saved meanwhile.
    """
    if value is None or not value.strip():
        return None
    v = value.strip()
    if v == "*":
        raise PreconditionRequired(
            "If-Match: * is not accepted; send the ETag of the version you read"
        )
    if "," in v:
        raise InvalidInput(
            "If-Match must carry a single ETag (the version you read)",
            code="bad_etag",
            field="If-Match",
        )
    v = v.removeprefix("W/").strip('"')
    if not v.isdigit():
        raise InvalidInput(
            f'If-Match {value!r} is not an ETag of this API (e.g. "7")',
            code="bad_etag",
            field="If-Match",
        )
    return int(v)


def feature_version(feature: str) -> int | None:
    """The version in a site's GeoJSON Feature (for its ETag)."""
    try:
        return int(json.loads(feature)["properties"]["version"])
    except (ValueError, KeyError, TypeError):
        return None


def current_version(conn: sa.Connection, table: str, row_id: int) -> int:
    """The row's version (its ETag); :class:`NotFound` when there is none."""
    v = edit_queries.row_version(conn, table, row_id)
    if v is None:
        raise NotFound(f"{_LABELS[table]} {row_id} not found")
    return v


# --- shared steps ---------------------------------------------------------------------------


def _where(table: str, row: Mapping[str, Any]) -> str:
    return f"{_LABELS[table]} {row.get('code') or row['id']}"


def _lock(
    conn: sa.Connection, table: str, row_id: int, expected_version: int | None
) -> dict[str, Any]:
    """Lock the row, then check that it exists, is the version the caller read, and is live."""
    if expected_version is None:
        raise PreconditionRequired(
            f"{_LABELS[table]} {row_id}: send If-Match with the ETag of the version you read "
            "(GET it first), so that an edit made meanwhile is not overwritten"
        )
    with edit_queries.translate_db_errors(f"{_LABELS[table]} {row_id}"):
        row = edit_queries.lock_row(conn, table, row_id)
    if row is None:
        raise NotFound(f"{_LABELS[table]} {row_id} not found")
    if row["version"] != expected_version:
        raise PreconditionFailed(
            f"{_where(table, row)} changed since you read it (you have version "
            f"{expected_version}, it is now {row['version']}; it may have been edited in QGIS): "
            "reload it and apply your change again",
            current_version=row["version"],
        )
    if table == "site" and row.get("retired_at") is not None:
        raise RetiredSite(
            f"{_where(table, row)} was retired on {row['retired_at']:%Y-%m-%d} (split or "
            "merged); edit its successors"
        )
    return row


def _coerce(
    where: str,
    specs: Mapping[str, Field],
    values: Mapping[str, Any],
    allowed: set[str] | frozenset[str],
    read_only: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """Coerce requested values with the layer's field specs; name every bad field."""
    problems: list[Problem] = []
    out = {}
    for name, value in values.items():
        if name in read_only:
            detail = f"{name} is read-only (derived or kept by the database)"
            problems.append(Problem("read_only", name, {}, detail))
        elif name not in specs or name not in allowed:
            problems.append(Problem("not_editable_here", name, {}, f"{name} cannot be edited here"))
        else:
            try:
                out[name] = specs[name].coerce(value)
            except FieldError as e:
                problems.append(Problem(e.code, name, e.params, f"{name}: {e}"))
    if problems:
        raise InvalidInput(f"{where}: " + "; ".join(p.detail for p in problems), refusals=problems)
    return out


@dataclass(frozen=True)
class _Outlines:
    """What an edit's own checks test an outline against, made from the district rows."""

    #: the jurisdiction, buffered by the inside tolerance and prepared (None: none loaded)
    inside: BaseGeometry | None
    #: the district outlines, prepared
    district_outlines: Sequence[districts.DistrictOutline]


#: per thread (a prepared geometry is not shared between threads), the outlines with the
#: database and districts' version they were made for
_KEPT = threading.local()


def _outlines(conn: sa.Connection) -> _Outlines:
    """The outlines, kept per thread while the districts are unchanged (one version query
    an edit): a boundary of 38,000 vertices takes ~120 ms to merge, load and buffer, which
    every edit used to pay."""
    key = (
        conn.engine.url.render_as_string(hide_password=True),
        district_queries.outlines_version(conn),
    )
    kept = getattr(_KEPT, "outlines", None)
    if kept is not None and kept[0] == key:
        return kept[1]
    made = _Outlines(
        geometry_checks.prepared_outline(
            edit_queries.jurisdiction_outline(conn), INSIDE_TOLERANCE_DEG
        ),
        districts.prepared(district_queries.district_outlines(conn)),
    )
    _KEPT.outlines = (key, made)
    return made


def _site_district(
    conn: sa.Connection,
    where: str,
    code: str,
    geom: BaseGeometry,
    given: str | None,
    outlines: _Outlines,
) -> str | None:
    """The district of a site outline: ``given`` once checked against the districts'
    outlines, or the one it lies in (refusals name both districts; see
    :func:`gis_app.domain.districts.site_district`)."""
    return districts.site_district(
        geom,
        given,
        outlines.district_outlines,
        where=where,
        site=code,
        names=district_queries.district_terms(conn),
    )


def _run(conn: sa.Connection, work: Any, dry_run: bool = False) -> Any:
    """Run ``work()`` in the connection's transaction; commit (or roll back a dry run)."""
    try:
        result = work()
    except BaseException:
        conn.rollback()
        raise
    if dry_run:
        conn.rollback()
    else:
        conn.commit()
    return result


def _change_dicts(changes: list[transitions.Change]) -> list[dict[str, Any]]:
    return [
        {"field": c.field, "old": c.old, "new": c.new, "needed_reason": c.needs_reason}
        for c in changes
    ]


# --- attributes and status --------------------------------------------------------------------


def update_site(
    conn: sa.Connection,
    site_id: int,
    values: Mapping[str, Any],
    *,
    expected_version: int | None,
    user: str,
    note: str | None = None,
    doc_ref: str | None = None,
    status_only: bool = False,
    today: dt.date | None = None,
) -> EditResult:
    """Change a site's attributes (or only its status fields) and commit.

    Raises :class:`PreconditionRequired` without ``expected_version``,
    :class:`PreconditionFailed` when the site changed since, :class:`ReasonRequired` /
    :class:`TransitionRefused` for status changes that need a reason or make no sense,
    :class:`AvailabilityBlocked` when an overlap with 生态保护红线/永久基本农田 forbids
    'available', :class:`LockTimeout` when another transaction holds the row.
    """
    allowed = set(transitions.STATUS_FIELDS) if status_only else set(SITE_FIELDS)

    def work() -> EditResult:
        edit_queries.set_edit_context(conn, user, note, doc_ref)
        row = _lock(conn, "site", site_id, expected_version)
        where = _where("site", row)
        requested = _coerce(where, SITE_FIELDS, values, allowed, EDIT_READ_ONLY)
        if requested.get("district_code", row["district_code"]) != row["district_code"]:
            geom = wkb.loads(bytes(row["geom_wkb"]))
            _site_district(
                conn, where, row["code"], geom, requested["district_code"], _outlines(conn)
            )
        if "verified_at" in requested and requested["verified_at"] != row.get("verified_at"):
            requested["verified_by"] = user
        changes = transitions.check_changes(where, row, requested, note, today)
        result = EditResult("site", site_id, row["code"], row["version"], bool(changes))
        if changes:
            with edit_queries.translate_db_errors(where):
                result.version = edit_queries.update_row(
                    conn, "site", site_id, {c.field: c.new for c in changes}
                )
            result.code = requested.get("code", row["code"])
        result.changes = _change_dicts(changes)
        result.overlaps = edit_queries.site_overlaps(conn, site_id)
        return result

    return _run(conn, work)


# --- geometry -----------------------------------------------------------------------------------


def replace_site_geometry(
    conn: sa.Connection,
    site_id: int,
    geometry: Any,
    *,
    expected_version: int | None,
    user: str,
    crs: str | geometry_checks.DeclaredCrs = "EPSG:4326",
    repair: bool = False,
    limits: geometry_checks.GeometryLimits | None = None,
    note: str | None = None,
    doc_ref: str | None = None,
    dry_run: bool = False,
) -> EditResult:
    """Replace a site's geometry (GeoJSON in ``crs``) after checking it; repair only if asked.

    The response lists the constraint zones the new outline overlaps (computed by the database
    on save). A dry run checks and computes everything, then rolls back.
    """
    limits = limits or geometry_checks.GeometryLimits()
    declared = geometry_checks.parse_crs(crs)
    raw = geometry_checks.geometry_from_geojson(geometry, f"site {site_id}", limits.max_vertices)

    def work() -> EditResult:
        edit_queries.set_edit_context(conn, user, note, doc_ref)
        row = _lock(conn, "site", site_id, expected_version)
        where = _where("site", row)
        outlines = _outlines(conn)
        checked = geometry_checks.check_geometry(
            raw,
            declared,
            where=where,
            outline=outlines.inside,
            limits=limits,
            repair_invalid=repair,
        )
        _site_district(conn, where, row["code"], checked.geom, row["district_code"], outlines)
        before = edit_queries.site_summary(conn, site_id)
        with edit_queries.translate_db_errors(where):
            version = edit_queries.update_geom(conn, "site", site_id, checked.geom)
        after = edit_queries.site_summary(conn, site_id)
        return EditResult(
            "site",
            site_id,
            row["code"],
            version,
            version != row["version"],
            changes=[{"field": "geom", "old": None, "new": None, "needed_reason": None}]
            if version != row["version"]
            else [],
            overlaps=edit_queries.site_overlaps(conn, site_id),
            notes=[*checked.notes, f"CRS {declared.describe()} → EPSG:4490"],
            repair=checked.repair.as_dict() if checked.repair else None,
            area_m2=after["area_m2"],
            area_before_m2=before["area_m2"],
            dry_run=dry_run,
        )

    return _run(conn, work, dry_run)


# --- split and merge ----------------------------------------------------------------------------


def _bad_line(where: str, en: str, zh: str) -> GeometryRejected:
    return GeometryRejected(
        where, [Problem("cut_line_invalid", "line", {"reason": Term("line", zh, en)}, en)]
    )


def _line_from_geojson(obj: Any, where: str) -> BaseGeometry:
    if isinstance(obj, dict) and obj.get("type") == "Feature":
        obj = obj.get("geometry")
    if not isinstance(obj, dict) or obj.get("type") not in ("LineString", "MultiLineString"):
        raise _bad_line(
            where,
            "the cutting line must be a GeoJSON LineString",
            "分割线应为 GeoJSON LineString。",
        )
    try:
        g = shapely.geometry.shape(obj)
    except (ValueError, TypeError, AttributeError, shapely.errors.GEOSException) as e:
        raise _bad_line(where, f"unreadable line: {e}", f"无法读取：{e}") from None
    if g.is_empty or not isinstance(g, LineString | MultiLineString):
        raise _bad_line(where, "the cutting line is empty", "分割线为空。")
    if not all(map(_finite, shapely.get_coordinates(g).ravel())):
        raise _bad_line(
            where,
            "the cutting line has a NaN or infinite coordinate",
            "分割线有非有限数值（NaN 或无穷大）的坐标。",
        )
    return shapely.force_2d(g)


def _finite(v: float) -> bool:
    return v == v and v not in (float("inf"), float("-inf"))


def _child_values(
    where: str, parent: Mapping[str, Any], specs: list[dict[str, Any]], n: int
) -> list[dict[str, Any]]:
    if specs and len(specs) != n:
        raise InvalidInput(
            f"{where}: {n} parts but {len(specs)} child descriptions",
            code="split_children_count",
            field="children",
            params={"count": n, "value": len(specs)},
        )
    out = []
    for i in range(n):
        given = dict(specs[i]) if specs else {}
        given.setdefault("code", f"{parent['code']}-{i + 1}")
        given.setdefault("name_zh", f"{parent['name_zh']}-{i + 1}")
        if parent.get("name_en") and "name_en" not in given:
            given["name_en"] = f"{parent['name_en']} - {i + 1}"
        at = f"{where} child {i + 1}"
        out.append(_coerce(at, SITE_FIELDS, given, set(SITE_FIELDS), EDIT_READ_ONLY))
    codes = [v["code"] for v in out]
    if len(set(codes)) != len(codes):
        raise InvalidInput(
            f"{where}: child codes repeat: {', '.join(codes)}",
            code="split_codes_repeat",
            field="children",
            params={"value": ", ".join(codes)},
        )
    return out


def _check_children_availability(
    conn: sa.Connection,
    where: str,
    parent: Mapping[str, Any],
    values: list[dict[str, Any]],
    geoms: list[BaseGeometry],
) -> None:
    """A child that would be 'available' must not overlap a blocking zone (as the trigger)."""
    blocked = edit_queries.blocking_overlaps_of(conn, geoms)
    for v, b in zip(values, blocked, strict=True):
        if b and v.get("availability", parent["availability"]) == "available":
            raise AvailabilityBlocked(
                f"{where}: child {v['code']} cannot be available: it {b}; give it another "
                "availability"
            )


def split_site(
    conn: sa.Connection,
    site_id: int,
    *,
    expected_version: int | None,
    user: str,
    line: Any = None,
    parts: list[Any] | None = None,
    crs: str | geometry_checks.DeclaredCrs = "EPSG:4326",
    children: list[dict[str, Any]] | None = None,
    buildings: Mapping[str, int | str] | None = None,
    limits: geometry_checks.GeometryLimits | None = None,
    note: str | None = None,
    doc_ref: str | None = None,
) -> EditResult:
    """Split a site by a cutting line or into given polygons; children keep the lineage.

    The parts must cover the parent without overlapping each other (within 1 m² or 0.01 %);
    given polygons are clipped to the parent. ``children`` optionally gives each child's
    code, names and attributes (default: the parent's, code ``PARENT-1`` …). When the parent has
    buildings, ``buildings`` maps each building code to its child (1-based index or code).
    """
    limits = limits or geometry_checks.GeometryLimits()
    declared = geometry_checks.parse_crs(crs)
    if (line is None) == (parts is None):
        raise InvalidInput(
            f"site {site_id}: give either a cutting line or the parts, not both",
            code="split_line_or_parts",
            field="line",
        )

    def work() -> EditResult:
        row = _lock(conn, "site", site_id, expected_version)
        where = _where("site", row)
        parent_geom = wkb.loads(row["geom_wkb"])
        if line is not None:
            cut = _line_from_geojson(line, where)
            cut = geometry_checks.to_storage(np.asarray([cut], dtype=object), declared)[0]
            pieces = edit_queries.split_by_line(conn, site_id, cut)
            if len(pieces) < 2:
                raise InvalidInput(
                    f"{where}: the line does not cut the site into pieces (it must cross the "
                    "outline from edge to edge)",
                    code="split_line_not_cutting",
                    field="line",
                )
        else:
            if not parts or len(parts) < 2:
                raise InvalidInput(
                    f"{where}: a split needs at least two parts",
                    code="split_needs_two",
                    field="parts",
                )
            raws = [
                geometry_checks.geometry_from_geojson(
                    p, f"{where} part {i + 1}", limits.max_vertices
                )
                for i, p in enumerate(parts)
            ]
            outlines = _outlines(conn)
            checked = geometry_checks.check_geometries(
                raws, declared, outline=outlines.inside, limits=limits
            )
            problems = [at_part(i + 1, p) for i, c in enumerate(checked) for p in c.refusals]
            if problems:
                raise GeometryRejected(where, problems)
            pieces = _fit_parts(where, parent_geom, [c.geom for c in checked])
            for i, piece in enumerate(pieces):
                _site_district(
                    conn,
                    f"{where} part {i + 1}",
                    row["code"],
                    piece,
                    row["district_code"],
                    outlines,
                )
        values = _child_values(where, row, children or [], len(pieces))
        _check_children_availability(conn, where, row, values, pieces)
        codes = [v["code"] for v in values]
        own = edit_queries.buildings_of(conn, [site_id])
        target = _building_targets(where, own, buildings or {}, codes)
        edit_queries.set_edit_context(
            conn, user, f"split of {row['code']} into {', '.join(codes)}" + _tail(note), doc_ref
        )
        result = EditResult("site", site_id, row["code"], row["version"], True, dry_run=False)
        with edit_queries.translate_db_errors(where):
            ids = [
                edit_queries.insert_child(conn, site_id, [site_id], g, v)
                for g, v in zip(pieces, values, strict=True)
            ]
            for child_index, b_ids in target.items():
                edit_queries.move_buildings(conn, b_ids, ids[child_index])
            edit_queries.retire(conn, [site_id])
        result.children = [edit_queries.site_summary(conn, i) for i in ids]
        for c in result.children:
            c["overlaps"] = edit_queries.site_overlaps(conn, c["id"])
        result.retired = [edit_queries.site_summary(conn, site_id)]
        result.version = result.retired[0]["version"]
        result.area_before_m2 = result.retired[0]["area_m2"]
        result.area_m2 = round(sum(c["area_m2"] for c in result.children), 1)
        return result

    return _run(conn, work)


def _tail(note: str | None) -> str:
    return f": {note.strip()}" if note and note.strip() else ""


def _fit_parts(where: str, parent: BaseGeometry, parts: list[BaseGeometry]) -> list[BaseGeometry]:
    """Check that parts tile the parent; return them clipped to it."""
    parent_area = geometry_checks.geodesic_area_m2(parent)
    tol = max(SPLIT_TOLERANCE_M2, SPLIT_TOLERANCE_SHARE * parent_area)
    problems: list[Problem] = []
    for i, p in enumerate(parts):
        outside = geometry_checks.geodesic_area_m2(p.difference(parent))
        if outside > tol:
            problems.append(
                Problem(
                    "part_outside_site",
                    "geom",
                    {"part": i + 1, "area": f"{outside:.1f}"},
                    f"part {i + 1} reaches {outside:.1f} m² outside the site",
                )
            )
    for i in range(len(parts)):
        for j in range(i + 1, len(parts)):
            both = geometry_checks.geodesic_area_m2(parts[i].intersection(parts[j]))
            if both > tol:
                problems.append(
                    Problem(
                        "parts_overlap",
                        "geom",
                        {"part": i + 1, "other": j + 1, "area": f"{both:.1f}"},
                        f"parts {i + 1} and {j + 1} overlap by {both:.1f} m²",
                    )
                )
    gap = geometry_checks.geodesic_area_m2(parent.difference(shapely.union_all(parts)))
    if gap > tol:
        problems.append(
            Problem(
                "parts_leave_gap",
                "geom",
                {"area": f"{gap:.1f}"},
                f"the parts leave {gap:.1f} m² of the site uncovered",
            )
        )
    if problems:
        raise GeometryRejected(where, problems)
    out = []
    for p in parts:
        clipped = shapely.make_valid(p.intersection(parent))
        polys = [g for g in shapely.get_parts(clipped) if g.geom_type == "Polygon"]
        out.append(MultiPolygon(polys))
    return out


def _building_targets(
    where: str,
    own: list[dict[str, Any]],
    mapping: Mapping[str, int | str],
    codes: list[str],
) -> dict[int, list[int]]:
    """Child index → building ids, from a mapping of building code to child index or code."""
    unknown = sorted(set(mapping) - {b["code"] for b in own})
    if unknown:
        raise InvalidInput(
            f"{where}: buildings {', '.join(unknown)} are not on this site",
            code="building_of_other_site",
            field="buildings",
            params={"value": ", ".join(unknown)},
        )
    missing = [b["code"] for b in own if b["code"] not in mapping]
    if missing:
        raise InvalidInput(
            f"{where} has buildings {', '.join(missing)}: say which child each goes to "
            f"(buildings: {{code: child number 1–{len(codes)} or child code}})",
            code="split_building_target",
            field="buildings",
            params={"value": ", ".join(missing)},
        )
    out: dict[int, list[int]] = {}
    for b in own:
        t = mapping[b["code"]]
        if isinstance(t, str) and t in codes:
            k = codes.index(t)
        elif isinstance(t, int) and not isinstance(t, bool) and 1 <= t <= len(codes):
            k = t - 1
        else:
            raise InvalidInput(
                f"{where}: building {b['code']} → {t!r} is not a child",
                code="split_building_target_unknown",
                field="buildings",
                params={"value": b["code"], "new": str(t)[:40]},
            )
        out.setdefault(k, []).append(b["id"])
    return out


def merge_sites(
    conn: sa.Connection,
    site_ids: list[int],
    *,
    expected_versions: Mapping[int, int],
    user: str,
    values: Mapping[str, Any] | None = None,
    note: str | None = None,
    doc_ref: str | None = None,
) -> EditResult:
    """Merge adjacent sites into one (non-adjacent ones only with a reason); parents retire.

    The new site takes the first site's attributes unless ``values`` say otherwise, the union
    of the geometries, every building of the parents, and ``parent_ids`` naming them all.
    """
    ids = list(dict.fromkeys(site_ids))
    if len(ids) < 2:
        raise InvalidInput(
            "a merge needs at least two different sites", code="merge_needs_two", field="site_ids"
        )

    def work() -> EditResult:
        rows = {}
        for i in sorted(ids):  # one lock order for every merge, so two merges cannot deadlock
            rows[i] = _lock(conn, "site", i, expected_versions.get(i))
        first = rows[ids[0]]
        where = "merge of " + ", ".join(rows[i]["code"] for i in ids)
        groups = edit_queries.adjacency_groups(conn, ids, ADJACENCY_TOLERANCE_M / 111_320.0)
        if groups > 1 and not (note and note.strip()):
            raise ReasonRequired(
                f"{where}: the sites are not adjacent ({groups} separate groups more than "
                f"{ADJACENCY_TOLERANCE_M:g} m apart); give a reason (note) to merge them anyway",
                code="merge_needs_reason",
                field="note",
                params={"count": groups, "max": f"{ADJACENCY_TOLERANCE_M:g}"},
            )
        given = dict(values or {})
        kinds = {rows[i]["kind"] for i in ids}
        if len(kinds) > 1 and "kind" not in given:
            raise InvalidInput(
                f"{where}: the sites are of different kinds "
                f"({', '.join(sorted(kinds))}); say which kind the result is",
                code="merge_kinds_differ",
                field="kind",
                params={"value": [vocab.SITE_KIND.term(k) for k in sorted(kinds)]},
            )
        given.setdefault("code", f"{first['code']}-M")
        given.setdefault("name_zh", first["name_zh"])
        if first.get("name_en"):
            given.setdefault("name_en", first["name_en"])
        child = _coerce(where, SITE_FIELDS, given, set(SITE_FIELDS), EDIT_READ_ONLY)
        geom = edit_queries.union_of(conn, ids)
        _check_children_availability(conn, where, first, [child], [geom])
        edit_queries.set_edit_context(
            conn, user, f"{where} into {child['code']}" + _tail(note), doc_ref
        )
        with edit_queries.translate_db_errors(where):
            new_id = edit_queries.insert_child(conn, ids[0], ids, geom, child)
            edit_queries.move_buildings(
                conn, [b["id"] for b in edit_queries.buildings_of(conn, ids)], new_id
            )
            edit_queries.retire(conn, ids)
        summary = edit_queries.site_summary(conn, new_id)
        result = EditResult("site", new_id, summary["code"], summary["version"], True)
        result.children = [{**summary, "overlaps": edit_queries.site_overlaps(conn, new_id)}]
        result.retired = [edit_queries.site_summary(conn, i) for i in ids]
        result.area_before_m2 = round(sum(r["area_m2"] for r in result.retired), 1)
        result.area_m2 = summary["area_m2"]
        result.overlaps = result.children[0]["overlaps"]
        if groups > 1:
            result.notes.append(f"merged {groups} separate groups (reason given)")
        return result

    return _run(conn, work)


# --- buildings and constraint zones -------------------------------------------------------------


def update_building(
    conn: sa.Connection,
    building_id: int,
    values: Mapping[str, Any],
    *,
    expected_version: int | None,
    user: str,
    note: str | None = None,
    doc_ref: str | None = None,
) -> EditResult:
    """Change a building's attributes (``site_code`` moves it to another site) and commit."""
    read_only = frozenset({"id", "site_id", "version", "created_at", "updated_at"})

    def work() -> EditResult:
        edit_queries.set_edit_context(conn, user, note, doc_ref)
        row = _lock(conn, "building", building_id, expected_version)
        where = _where("building", row)
        requested = _coerce(where, BUILDING_FIELDS, values, set(BUILDING_FIELDS), read_only)
        if "site_code" in requested:
            site_id = edit_queries.live_site_id(conn, requested.pop("site_code"))
            if site_id is None:
                raise InvalidInput(
                    f"{where}: site_code is not a current site",
                    code="site_not_found",
                    field="site_code",
                    params={"value": str(values.get("site_code"))[:40]},
                )
            requested["site_id"] = site_id
        gfa = requested.get("gfa_m2", row.get("gfa_m2"))
        vacant = requested.get("vacant_gfa_m2", row.get("vacant_gfa_m2"))
        if gfa is not None and vacant is not None and vacant > gfa:
            raise InvalidInput(
                f"{where}: vacant_gfa_m2 {vacant} exceeds gfa_m2 {gfa}",
                code="vacant_above_gfa",
                field="vacant_gfa_m2",
                params={"value": vacant, "max": gfa},
            )
        changed = {k: v for k, v in requested.items() if row.get(k) != v}
        result = EditResult("building", building_id, row["code"], row["version"], bool(changed))
        if changed:
            with edit_queries.translate_db_errors(where):
                result.version = edit_queries.update_row(conn, "building", building_id, changed)
        result.changes = [
            {"field": k, "old": row.get(k), "new": v, "needed_reason": None}
            for k, v in changed.items()
        ]
        return result

    return _run(conn, work)


def update_zone(
    conn: sa.Connection,
    zone_id: int,
    values: Mapping[str, Any],
    *,
    expected_version: int | None,
    user: str,
    geometry: Any = None,
    crs: str | geometry_checks.DeclaredCrs = "EPSG:4326",
    repair: bool = False,
    limits: geometry_checks.GeometryLimits | None = None,
    note: str | None = None,
    doc_ref: str | None = None,
) -> EditResult:
    """Change a constraint zone's attributes and/or geometry; overlaps are recomputed."""
    limits = limits or geometry_checks.GeometryLimits()
    zone_limits = geometry_checks.GeometryLimits(
        limits.max_vertices, limits.min_area_m2, float("inf")
    )
    declared = geometry_checks.parse_crs(crs)
    raw = (
        geometry_checks.geometry_from_geojson(
            geometry, f"constraint zone {zone_id}", limits.max_vertices
        )
        if geometry is not None
        else None
    )
    read_only = frozenset({"id", "version", "created_at", "updated_at", "geom"})

    def work() -> EditResult:
        edit_queries.set_edit_context(conn, user, note, doc_ref)
        row = _lock(conn, "constraint_zone", zone_id, expected_version)
        where = _where("constraint_zone", row)
        requested = _coerce(where, ZONE_FIELDS, values, set(ZONE_FIELDS), read_only)
        changed = {k: v for k, v in requested.items() if row.get(k) != v}
        result = EditResult("constraint_zone", zone_id, row["code"], row["version"], False)
        with edit_queries.translate_db_errors(where):
            if changed:
                result.version = edit_queries.update_row(conn, "constraint_zone", zone_id, changed)
            if raw is not None:
                checked = geometry_checks.check_geometry(
                    raw,
                    declared,
                    where=where,
                    outline=_outlines(conn).inside,
                    limits=zone_limits,
                    repair_invalid=repair,
                    must_cover=False,
                )
                result.version = edit_queries.update_geom(
                    conn, "constraint_zone", zone_id, checked.geom
                )
                result.notes = checked.notes
                result.repair = checked.repair.as_dict() if checked.repair else None
                changed["geom"] = None
        result.changed = result.version != row["version"]
        result.changes = [
            {"field": k, "old": row.get(k) if k != "geom" else None, "new": v}
            for k, v in changed.items()
        ]
        result.overlaps = edit_queries.zone_overlaps(conn, zone_id)
        return result

    return _run(conn, work)


# --- reads that go with the edits ------------------------------------------------------------

_STATUS_VOCABS = {
    "policy_status": vocab.POLICY_STATUS,
    "planning_status": vocab.PLANNING_STATUS,
    "in_ugb": vocab.IN_UGB,
    "quota_status": vocab.QUOTA_STATUS,
    "supply_stage": vocab.SUPPLY_STAGE,
    "readiness": vocab.READINESS,
    "availability": vocab.AVAILABILITY,
}


def status_form(conn: sa.Connection, site_id: int) -> dict[str, Any]:
    """Current status values of a site, the choices with their labels, and its overlaps."""
    row = edit_queries.site_status(conn, site_id, [*transitions.STATUS_FIELDS, "verified_by"])
    if row is None:
        raise NotFound(f"site {site_id} not found")
    overlaps = edit_queries.site_overlaps(conn, site_id)
    fields = []
    for name in transitions.STATUS_FIELDS:
        spec = SITE_FIELDS[name]
        v = _STATUS_VOCABS.get(name)
        entry: dict[str, Any] = {"name": name, "type": spec.type, "min": spec.min, "max": spec.max}
        if v is not None:
            entry["label_zh"], entry["label_en"] = v.zh, v.en
            entry["choices"] = [{"key": t.key, "zh": t.zh, "en": t.en} for t in v]
        fields.append(entry)
    return json.loads(
        json.dumps(
            {
                "site": row,
                "fields": fields,
                "overlaps": overlaps,
                "availability_blocked": any(o["blocking"] for o in overlaps),
            },
            default=_jsonable,
            ensure_ascii=False,
        )
    )


def building(conn: sa.Connection, building_id: int) -> dict[str, Any]:
    """One building's officer-facing fields, its site code and version."""
    cols = [c for c in BUILDING_FIELDS if c not in ("owner_contact", "internal_note", "site_code")]
    row = edit_queries.building_row(conn, building_id, cols)
    if row is None:
        raise NotFound(f"building {building_id} not found")
    return json.loads(json.dumps(row, default=_jsonable, ensure_ascii=False))


def zone_feature(conn: sa.Connection, zone_id: int) -> tuple[str, int]:
    """One constraint zone as a GeoJSON Feature (WGS84) and its version."""
    found = edit_queries.zone_feature(conn, zone_id)
    if found is None:
        raise NotFound(f"constraint zone {zone_id} not found")
    return found
