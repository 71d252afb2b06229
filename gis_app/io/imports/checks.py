"""Checks of a whole file before the database is touched: columns, values, CRS, geometries.

:func:`prepare` reads a file, maps its columns, checks every value against the field specs
(:func:`gis_app.io.inventory_loader.check_values`), every geometry
(:mod:`gis_app.io.geometry_checks`, in the declared CRS, against the jurisdiction's outline)
and duplicate codes, and returns the report so far with the clean values and geometries in
EPSG:4490. Checks that need the current rows (status moves, blocking overlaps, retired sites)
run when the rows are staged (:mod:`gis_app.io.imports.apply`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from gis_app.domain import fields
from gis_app.domain.districts import DistrictOutline, site_district
from gis_app.domain.error_vocab import Problem
from gis_app.domain.errors import GeometryRejected, InvalidInput
from gis_app.domain.vocab import Term
from gis_app.io import geometry_checks
from gis_app.io.export import DERIVED_COLUMNS
from gis_app.io.imports.columns import map_columns, row_values
from gis_app.io.imports.options import ImportOptions, Progress, UploadLimits
from gis_app.io.imports.readers import SourceTable, read_source
from gis_app.io.imports.report import ImportReport, RowReport
from gis_app.io.inventory_loader import Coerced


def _resolve_crs(src: SourceTable, opts: ImportOptions, name: str) -> geometry_checks.DeclaredCrs:
    given = opts.declared_crs
    if given is None and src.crs is None:
        raise InvalidInput(
            f"{name} declares no CRS: give one (EPSG:4490 CGCS2000, EPSG:4326 WGS84, "
            "EPSG:4550 Gauss-Krüger 123°E …, or gcj02)",
            code="file_crs_missing",
            field="crs",
            params={"value": name},
        )
    if given is None:
        return src.crs  # type: ignore[return-value]
    if src.crs is None or src.crs == given:
        return given
    if given.gcj02 and src.crs.epsg in (4326, 4490):
        src.notes.append(f"{name} is labelled {src.crs.label}; coordinates read as GCJ-02")
        return given
    raise InvalidInput(
        f"{name} declares {src.crs.describe()} but {given.describe()} was given; "
        "drop the option or fix the file",
        code="file_crs_mismatch",
        field="crs",
        params={"value": name, "old": src.crs.describe(), "new": given.describe()},
    )


def prepare(
    path: Path,
    opts: ImportOptions,
    limits: UploadLimits,
    outline: BaseGeometry | None,
    work: Path,
    progress: Progress | None = None,
    districts: Sequence[DistrictOutline] = (),
    district_names: dict[str, Term] | None = None,
    writable: frozenset[str] | None = None,
) -> Prepared:
    """Read and check a file without the database: report, clean values, geometries, fields.

    Site outlines are checked against ``districts`` (each must lie in its row's district, or,
    when the file does not say, in one district, which the row gets when written), and that
    district against ``writable``, the districts the importing user may change (None: any).
    """
    layer = opts.import_layer
    report = ImportReport(path.name, layer.name, dry_run=opts.dry_run)
    tick = progress or (lambda *_: None)
    tick("reading", 0, 1)
    src = read_source(path, work, opts, limits)
    report.encoding = src.encoding
    report.notes += src.notes
    columns, ignored, problems, labels = map_columns(src.columns, layer, opts.mapping)
    report.columns, report.refusals = columns, problems
    kept = fields.column_names(layer.registry)
    derived = [
        c
        for c in ignored
        if c.lower() in DERIVED_COLUMNS or kept.get(c.strip().lower(), ("",))[0] in DERIVED_COLUMNS
    ]
    unknown = [c for c in ignored if c not in derived and c not in opts.mapping]
    report.ignored_columns = ignored
    if labels:
        report.notes.append(f"name columns checked against their codes: {', '.join(labels)}")
    if derived:
        report.notes.append(f"derived columns ignored (kept by the database): {', '.join(derived)}")
    if unknown:
        report.notes.append(f"unknown columns ignored: {', '.join(unknown)}")
    if "code" not in columns.values():
        shown = ", ".join(src.columns)
        report.refusals.append(
            Problem(
                "import_no_code_column",
                "code",
                {"value": shown},
                f"no code column (DKBH/地块编号/code); map one with code=COLUMN. Columns: {shown}",
            )
        )
    n = len(src.rows)
    if n == 0:
        report.refusals.append(
            Problem("import_no_rows", "file", {"value": path.name}, f"{path.name} holds no rows")
        )
    if report.refusals:
        return Prepared(report, [], [], [], False)
    if not layer.geometry and src.geoms is not None:
        report.notes.append(f"{path.name}: {layer.name} have no outline; the geometry is ignored")
        src.geoms, src.geom_errors, src.points = None, {}, False
    # a table without geometry (attributes of existing records) needs no CRS
    crs = _resolve_crs(src, opts, path.name) if src.geoms is not None else None
    report.crs = crs.describe() if crs is not None else None
    tick("checking", 0, n)
    values: list[dict[str, Any]] = []
    memo: dict[tuple[str, Any, Any], bool] = {}
    coerced: Coerced = {}
    for i, raw in enumerate(src.rows):
        problems_i: list[Problem] = []
        code = raw.get(next(c for c, t in columns.items() if t == "code"))
        where = f"row {i + 1}" + (f" ({code})" if code not in (None, "") else "")
        v = row_values(layer, raw, columns, where, opts, problems_i, labels, memo, coerced)
        # a row's report names the row already: its details drop the "row N (code): " prefix
        rep = RowReport(
            i + 1,
            v.get("code"),
            refusals=[replace(p, detail=p.detail.split(": ", 1)[1]) for p in problems_i],
        )
        if i in src.geom_errors:
            rep.refuse(src.geom_errors[i])
        report.rows.append(rep)
        values.append(v)
        if i % 5000 == 0:
            tick("checking", i, n)
    geoms: list[BaseGeometry | None] = [None] * n
    if src.geoms is not None and not src.points:
        todo = [
            i
            for i in range(n)
            if i not in src.geom_errors and not (src.optional_geometry and src.geoms[i] is None)
        ]
        checked = geometry_checks.check_geometries(
            [src.geoms[i] for i in todo],
            crs,
            outline=outline,
            limits=limits.geometry,
            repair_invalid=opts.repair,
            must_cover=layer.must_cover,
        )
        for i, c in zip(todo, checked, strict=True):
            report.rows[i].refusals += c.refusals
            report.rows[i].notes += c.notes
            geoms[i] = c.geom
    elif src.geoms is not None:
        pts = [g for g in src.geoms]
        stored = geometry_checks.to_storage(np.asarray(pts, dtype=object), crs) if pts else []
        for i, g in enumerate(stored):
            if g is not None and not np.isfinite(shapely.get_coordinates(g)).all():
                report.rows[i].refuse(
                    Problem("lonlat_not_transformable", "geom", {}, "lon/lat cannot be transformed")
                )
            else:
                geoms[i] = g
    if layer.table == "site" and districts:
        _check_districts(report, values, geoms, districts, district_names, writable)
    seen: dict[str, int] = {}
    for i, v in enumerate(values):
        code = v.get("code")
        if code is None:
            continue
        if code in seen:
            j = seen[code]
            report.rows[i].refuse(_duplicate(code, j + 1))
            if not any(p.code == "duplicate_code" for p in report.rows[j].refusals):
                report.rows[j].refuse(_duplicate(code, i + 1))
        else:
            seen[code] = i
    # a new row without a name is named after its code when staged: stage the column
    named = {"name_zh"} if "name_zh" in layer.fields else set()
    field_names = sorted(({f for v in values for f in v} | named) - {"code"})
    return Prepared(report, values, geoms, field_names, src.points)


def _check_districts(
    report: ImportReport,
    values: list[dict[str, Any]],
    geoms: list[BaseGeometry | None],
    districts: Sequence[DistrictOutline],
    names: dict[str, Term] | None,
    writable: frozenset[str] | None,
) -> None:
    """Each row's outline lies in its district, or in one district when the file names none
    (noted: the database assigns it on insert, by the same rule); that district is one the
    user may change (the database's row security would refuse the whole file)."""
    for i, g in enumerate(geoms):
        rep = report.rows[i]
        if g is None or rep.refusals:
            continue
        given = values[i].get("district_code")
        code = str(values[i].get("code") or f"row {i + 1}")
        try:
            found = site_district(g, given, districts, where=f"row {i + 1}", site=code, names=names)
        except GeometryRejected as e:
            rep.refusals += e.checks
            continue
        district = given or found
        if writable is not None and district is not None and district not in writable:
            term = (names or {}).get(district) or Term(district, district, district)
            rep.refusals.append(
                Problem(
                    "outside_write_scope",
                    "district_code",
                    {"value": code, "district": term},
                    f"site {code} lies in {term.zh} ({district}), a district you may not change",
                )
            )
            continue
        if given is None and found is not None:
            rep.notes.append(f"district {found} (from the outline)")


def _duplicate(code: Any, other_row: int) -> Problem:
    return Problem(
        "duplicate_code",
        "code",
        {"value": code, "other_row": other_row},
        f"duplicate code {code!r} (also row {other_row})",
    )


@dataclass
class Prepared:
    """A checked file: the report so far, clean values and geometries (EPSG:4490) per row."""

    report: ImportReport
    values: list[dict[str, Any]]
    geoms: list[BaseGeometry | None]
    fields: list[str]
    points: bool
