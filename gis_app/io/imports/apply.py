"""Applying a checked file: staged in a temporary table, compared with the rows, written.

The rows are copied into a temporary table, compared with the current rows in one query
(changed fields, geometry moved beyond :data:`GEOM_TOLERANCE_DEG`, retired sites, a lon/lat
point's distance from the site) and checked against the rules that need them: status moves
(:mod:`gis_app.domain.transitions`), a new or newly available site on a blocking zone. Only
rows that change are written (so importing the same file twice changes nothing). The caller's
transaction holds it all; the service (:mod:`gis_app.services.imports`) commits or rolls back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import sqlalchemy as sa

from gis_app.db import edit_queries
from gis_app.domain import plane_area, transitions, vocab
from gis_app.domain.error_vocab import Problem, field_label
from gis_app.domain.errors import ReasonRequired, TransitionRefused
from gis_app.domain.vocab import Term
from gis_app.io.imports.checks import Prepared
from gis_app.io.imports.options import ImportOptions, Progress
from gis_app.io.imports.report import RowReport, RowValues

# A lon/lat point in a table updates an existing site only if it lies this close to it.
POINT_TOLERANCE_M = 50.0
# Geometry within this distance (degrees, ~1 cm) of the stored one counts as unchanged.
GEOM_TOLERANCE_DEG = 1e-7
#: rows per statement when a large file is written in bulk (progress is reported per statement)
BULK_CHUNK = 10_000


def _status_of(row: Mapping[str, Any]) -> dict[str, Any]:
    return {f: row.get(f) for f in transitions.STATUS_FIELDS}


def _shown(values: Mapping[str, Any]) -> dict[str, Any]:
    """Values as the report shows them (JSON: dates as ISO text)."""
    return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in values.items()}


def _check_declared_areas(
    conn: sa.Connection, rows: list[RowReport], values: list[dict[str, Any]]
) -> None:
    """Warn on rows whose declared area (YDMJ) is off the plane area by more than 1 %."""
    declared = {
        rows[i].row: (rows[i], v["declared_area_mu"])
        for i, v in enumerate(values)
        if v.get("declared_area_mu") is not None and not rows[i].refusals
    }
    if not declared:
        return
    for rownum, (m2, epsg) in edit_queries.stage_plane_areas(conn, list(declared)).items():
        rep, mu = declared[rownum]
        if plane_area.is_flagged(mu, m2):
            rep.warnings.append(plane_area.declared_gap_text(mu, m2, epsg)[1])


def _restore_code_zeros(
    conn: sa.Connection, table: str, rows: list[RowReport], values: list[dict[str, Any]]
) -> None:
    """Codes whose leading zeros a spreadsheet dropped (``7`` for the stored ``007``) are put
    back when one stored code fits, and refused with the candidates when several do. A code
    stored as it is given is never changed."""
    digits = {
        i: str(v["code"])
        for i, v in enumerate(values)
        if isinstance(v.get("code"), str) and v["code"].isdigit() and not rows[i].refusals
    }
    if not digits:
        return
    found = edit_queries.codes_sharing_digits(
        conn, table, sorted({c.lstrip("0") for c in digits.values()})
    )
    given = set(digits.values())
    restored: dict[str, int] = {}
    for i, code in digits.items():
        candidates = [c for c in found.get(code.lstrip("0"), []) if c != code]
        if not candidates or code in found.get(code.lstrip("0"), []):
            continue
        if len(candidates) > 1:
            rows[i].refuse(
                Problem(
                    "code_zeros_ambiguous",
                    "code",
                    {"value": code, "other": candidates},
                    f"code {code!r} lost its leading zeros and could be any of "
                    f"{', '.join(candidates)}; type the code as text",
                )
            )
        elif candidates[0] in given or candidates[0] in restored:
            other = restored.get(candidates[0])
            other_row = rows[other].row if other is not None else None
            at = (
                Term("row", f"（第 {other_row} 行）", f" (row {other_row})")
                if other_row is not None
                else ""
            )
            rows[i].refuse(
                Problem(
                    "code_zeros_collide",
                    "code",
                    {"value": code, "other": candidates[0], "where": at},
                    f"code {code!r} lost its leading zeros; {candidates[0]!r} is also in the file"
                    + (f" (row {other_row})" if other_row is not None else ""),
                )
            )
        else:
            restored[candidates[0]] = i
            values[i]["code"] = rows[i].code = candidates[0]
            rows[i].notes.append(
                f"code {code!r} read as {candidates[0]!r} (a spreadsheet dropped its zeros)"
            )


def apply_rows(
    conn: sa.Connection,
    prep: Prepared,
    opts: ImportOptions,
    user: str,
    tick: Progress,
    *,
    bulk: bool = False,
) -> None:
    """Stage the rows, compare them with the database, and (if all is well) write them.

    Runs in the caller's transaction and never commits: the rows of the report are marked
    insert, update, unchanged or rejected; nothing is written unless every row is fine and
    this is not a dry run. ``bulk`` (a large file): the rows are staged with ``COPY`` and
    sites are written with their history and derived tables computed per statement rather
    than per row (:func:`gis_app.db.edit_queries.bulk_apply`); the checks, the report and
    the rows written are the same.
    """
    layer = opts.import_layer
    report, values, geoms, points = prep.report, prep.values, prep.geoms, prep.points
    n = len(values)
    # row numbers are the file's (a chunk of a large file starts past 1)
    at = {rep.row: k for k, rep in enumerate(report.rows)}
    edit_queries.set_edit_context(conn, user, opts.note or f"import {report.source}", opts.doc_ref)
    # A large file legitimately runs longer than an API statement; locks still time out fast.
    edit_queries.no_statement_timeout(conn)
    _restore_code_zeros(conn, layer.table, report.rows, values)
    cols = [f for f in prep.fields if f in layer.fields]
    ref = layer.site_reference
    edit_queries.create_stage(conn, layer.table, cols, reference=ref)
    tick("staging", 0, n)
    fill = edit_queries.copy_stage if bulk else edit_queries.fill_stage
    fill(
        conn,
        cols,
        [
            (rep.row, v.get("code"), g, [v.get(c) for c in cols])
            for rep, v, g in zip(report.rows, values, geoms, strict=True)
        ],
        points=points,
        progress=lambda k: tick("staging", k, n),
    )
    if ref is not None and ref[0] in cols:
        for rownum, code in edit_queries.stage_resolve_sites(conn, ref[0], ref[1]).items():
            report.rows[at[rownum]].refuse(
                Problem(
                    "site_code_unknown",
                    ref[0],
                    {"value": code},
                    f"{ref[0]} {code!r}: no such site (or it was retired by a split or merge)",
                )
            )
        cols = [c for c in cols if c != ref[0]] + [ref[1]]
    tick("comparing", 0, n)
    status_cols = [f for f in transitions.STATUS_FIELDS if layer.table == "site"]
    current = edit_queries.compare_stage(
        conn, layer.table, cols, status_cols, GEOM_TOLERANCE_DEG, geometry=layer.geometry
    )
    candidates_blocking: list[int] = []
    to_insert: list[int] = []
    to_update: list[int] = []
    geom_rows: list[int] = []
    required = [f for f, spec in layer.fields.items() if spec.required]
    named_by_code: list[int] = []
    # rows giving the same fields share the report's tuple of their names and list of them
    names: dict[tuple[str, ...], tuple[str, ...]] = {}
    changed_lists: dict[tuple[str, ...], list[str]] = {}
    for i, rep in enumerate(report.rows):
        cur = current.get(rep.row)
        v = values[i]
        if rep.refusals or v.get("code") is None:
            if v.get("code") is None and not any(p.field == "code" for p in rep.refusals):
                rep.refuse(Problem("import_no_code", "code", {}, "no code"))
            continue
        if cur is None or cur["id"] is None:
            if "name_zh" in cols and v.get("name_zh") is None:
                v["name_zh"] = v["code"]
                named_by_code.append(rep.row)
                rep.notes.append("no name given: named after its code")
            missing = [f for f in required if v.get(f) is None]
            if missing:
                rep.refuse(
                    Problem(
                        "new_record_needs",
                        missing[0],
                        {"layer": layer.noun, "value": [field_label(f) for f in missing]},
                        f"a new {layer.noun.en} needs {', '.join(missing)}",
                    )
                )
            if layer.geometry and (geoms[i] is None or points):
                reason = (
                    Term("point", "经纬度点不够。", "a lon/lat point is not enough")
                    if points
                    else Term("none", "该行没有图形。", "this row has none")
                )
                rep.refuse(
                    Problem(
                        "new_record_needs_polygon",
                        "geom",
                        {"reason": reason},
                        f"a new record needs a polygon (a GIS file or a WKT column); {reason.en}",
                    )
                )
            if not rep.refusals:
                rep.status = "insert"
                given = tuple(sorted(v))
                rep.changed = changed_lists.setdefault(given, list(given))
                rep.values = RowValues.shared(
                    _shown({f: x for f, x in v.items() if x not in (None, [])}), names
                )
                to_insert.append(rep.row)
                if layer.table == "site" and v.get("availability") == "available":
                    candidates_blocking.append(rep.row)
            continue
        if cur.get("retired"):
            rep.refuse(
                Problem(
                    "import_site_retired",
                    "code",
                    {},
                    "the site was retired (split or merged); import its successors",
                )
            )
            continue
        changed = list(cur["changed"])
        if points and geoms[i] is not None:
            d = cur.get("point_distance_m")
            if d is not None and d > POINT_TOLERANCE_M:
                rep.refuse(
                    Problem(
                        "point_far_from_site",
                        "geom",
                        {"value": f"{d:.0f}", "max": f"{POINT_TOLERANCE_M:g}"},
                        f"the lon/lat lies {d:.0f} m from the site (more than "
                        f"{POINT_TOLERANCE_M:g} m): wrong CRS or swapped columns?",
                    )
                )
                continue
        elif cur.get("geom_changed"):
            changed.append("geom")
            geom_rows.append(rep.row)
        if layer.table == "site":
            requested = {f: v[f] for f in v if f in transitions.STATUS_FIELDS}
            try:
                transitions.check_changes(
                    f"row {rep.row} ({v['code']})", _status_of(cur), requested, opts.note
                )
            except (ReasonRequired, TransitionRefused) as e:
                detail = str(e).split(": ", 1)[1] + " (use --note)"
                for k, p in enumerate(e.refusals):  # the first carries the whole English detail
                    rep.refuse(replace(p, detail=detail if k == 0 else ""))
                continue
            final_available = v.get("availability", cur.get("availability")) == "available"
            if final_available and (
                "geom" in changed
                or ("availability" in changed and cur.get("availability") != "available")
            ):
                candidates_blocking.append(rep.row)
        rep.changed = sorted(changed)
        rep.values = RowValues.shared(_shown({f: v[f] for f in changed if f in v}), names)
        rep.status = "update" if changed else "unchanged"
        if changed:
            to_update.append(rep.row)
    if named_by_code:
        edit_queries.stage_name_from_code(conn, named_by_code)
    if layer.table == "site":
        _check_declared_areas(conn, report.rows, values)
    if candidates_blocking:
        for rownum, zone in edit_queries.stage_blocking(conn, candidates_blocking).items():
            rep = report.rows[at[rownum]]
            rep.refuse(
                Problem(
                    "blocked_by_zone",
                    "availability",
                    {
                        "kind": vocab.CONSTRAINT_KIND.term(zone.kind),
                        "value": zone.code,
                        "name": zone.name,
                        "area": f"{zone.overlap_m2:.0f}",
                    },
                    f"cannot be available: it overlaps {zone.kind} zone {zone.code} "
                    f"({zone.name}) by {zone.overlap_m2:.0f} m²; import it with another "
                    "availability or fix the geometry",
                )
            )
            rep.status = "rejected"
    for rep in report.rows:
        if rep.refusals:
            rep.status = "rejected"
    if not report.ok or opts.dry_run:
        return
    tick("writing", 0, n)
    ok = {r.row for r in report.rows if r.status != "rejected"}
    edit_queries.apply_stage(
        conn,
        layer.table,
        cols,
        geometry=layer.geometry,
        insert_rows=[r for r in to_insert if r in ok],
        update_rows=[r for r in to_update if r in ok],
        geom_rows=[r for r in geom_rows if r in ok],
        progress=lambda k: tick("writing", k, len(to_insert) + len(to_update)),
        bulk=bulk and layer.table == "site",
        chunk=BULK_CHUNK if bulk else 2000,
    )
