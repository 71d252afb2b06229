"""Checks of a whole file before the database is touched: columns, values, CRS, geometries.

:func:`open_source` reads a file and maps its columns; :meth:`Opened.check_rows` checks the
values of a run of rows against the field specs (:func:`gis_app.io.inventory_loader.check_values`)
and their geometries (:mod:`gis_app.io.geometry_checks`, in the declared CRS, against the
jurisdiction's outline and the districts), :func:`refuse_duplicates` their codes, and
:meth:`Opened.check_all` does all of it in one pass, returning the report so far with the
clean values and geometries in EPSG:4490 (the bulk path checks chunk by chunk,
:mod:`gis_app.io.imports.pipeline`). Checks that need the current rows (status moves,
blocking overlaps, retired sites) run when the rows are staged (:mod:`gis_app.io.imports.apply`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
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
from gis_app.io.imports.options import (
    ImportLayer,
    ImportOptions,
    Progress,
    UploadLimits,
    quiet,
)
from gis_app.io.imports.readers import SourceTable, read_source
from gis_app.io.imports.report import REPORT_ROWS, ImportReport, RowReport
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


def open_source(
    path: Path, opts: ImportOptions, limits: UploadLimits, work: Path, tick: Progress
) -> Opened | Prepared:
    """Read a file and map its columns: what :meth:`Opened.check_rows` checks, or, for a file
    refused as a whole (no code column, no rows), its report as a :class:`Prepared`."""
    layer = opts.import_layer
    report = ImportReport(
        path.name,
        layer.name,
        dry_run=opts.dry_run,
        values_kept=None if opts.full_report else REPORT_ROWS,
    )
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
    if not src.rows:
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
    return Opened(report, src, columns, labels, crs, opts, limits)


@dataclass
class Opened:
    """A file read and its columns mapped; its rows are checked by :meth:`check_rows`."""

    report: ImportReport
    src: SourceTable
    columns: dict[str, str]
    labels: dict[str, str]
    crs: geometry_checks.DeclaredCrs | None
    opts: ImportOptions
    limits: UploadLimits
    #: per file: which label agrees with which code, what each text cell became
    memo: dict[tuple[str, Any, Any], bool] = field(default_factory=dict)
    coerced: Coerced = field(default_factory=dict)

    @property
    def layer(self) -> ImportLayer:
        """The layer the file is imported into."""
        return self.opts.import_layer

    def check_all(
        self,
        outline: BaseGeometry | None,
        districts: Sequence[DistrictOutline] = (),
        district_names: dict[str, Term] | None = None,
        writable: frozenset[str] | None = None,
        *,
        tick: Progress = quiet,
    ) -> Prepared:
        """Check every row in one pass (again, if rows were checked before: the report's
        rows start afresh), duplicate codes included."""
        n = len(self.src.rows)
        self.report.rows = []
        tick("checking", 0, n)
        values, geoms = self.check_rows(
            0, n, outline, districts, district_names, writable, tick=tick
        )
        refuse_duplicates(self.report.rows, values, {})
        return Prepared(
            self.report, values, geoms, field_names(self.layer, values), self.src.points
        )

    def check_rows(
        self,
        start: int,
        stop: int,
        outline: BaseGeometry | None,
        districts: Sequence[DistrictOutline] = (),
        district_names: dict[str, Term] | None = None,
        writable: frozenset[str] | None = None,
        *,
        tick: Progress = quiet,
    ) -> tuple[list[dict[str, Any]], list[BaseGeometry | None]]:
        """Check rows ``start`` to ``stop`` (0-based, in order, each once): their reports are
        appended to the report's rows; their clean values and geometries (EPSG:4490)."""
        layer, src, report, n = self.layer, self.src, self.report, len(self.src.rows)
        code_col = next(c for c, t in self.columns.items() if t == "code")
        values: list[dict[str, Any]] = []
        reps: list[RowReport] = []
        # the chunk's rows built at once (a GIS file's are kept as its columns)
        for i, raw in enumerate(src.rows[start:stop], start):
            problems_i: list[Problem] = []
            code = raw.get(code_col)
            where = f"row {i + 1}" + (f" ({code})" if code not in (None, "") else "")
            v = row_values(
                layer,
                raw,
                self.columns,
                where,
                self.opts,
                problems_i,
                self.labels,
                self.memo,
                self.coerced,
            )
            # a row's report names the row already: its details drop the "row N (code): " prefix
            rep = RowReport(
                i + 1,
                v.get("code"),
                refusals=[replace(p, detail=p.detail.split(": ", 1)[1]) for p in problems_i],
            )
            if i in src.geom_errors:
                rep.refuse(src.geom_errors[i])
            reps.append(rep)
            values.append(v)
            if i % 5000 == 0:
                tick("checking", i, n)
        report.rows += reps
        geoms: list[BaseGeometry | None] = [None] * (stop - start)
        if src.geoms is not None and not src.points:
            # the chunk's outlines read at once (a GIS file's are kept as its WKB)
            given = src.geoms[start:stop]
            todo = [
                i
                for i in range(start, stop)
                if i not in src.geom_errors
                and not (src.optional_geometry and given[i - start] is None)
            ]
            checked = geometry_checks.check_geometries(
                [given[i - start] for i in todo],
                self.crs,
                outline=outline,
                limits=self.limits.geometry,
                repair_invalid=self.opts.repair,
                must_cover=layer.must_cover,
            )
            for i, c in zip(todo, checked, strict=True):
                reps[i - start].refusals += c.refusals
                reps[i - start].notes += c.notes
                geoms[i - start] = c.geom
        elif src.geoms is not None:
            pts = src.geoms[start:stop]
            stored = (
                geometry_checks.to_storage(np.asarray(pts, dtype=object), self.crs) if pts else []
            )
            for k, g in enumerate(stored):
                if g is not None and not np.isfinite(shapely.get_coordinates(g)).all():
                    reps[k].refuse(
                        Problem(
                            "lonlat_not_transformable", "geom", {}, "lon/lat cannot be transformed"
                        )
                    )
                else:
                    geoms[k] = g
        if layer.table == "site" and districts:
            _check_districts(reps, values, geoms, districts, district_names, writable)
        return values, geoms


def refuse_duplicates(
    rows: Sequence[RowReport], values: Sequence[dict[str, Any]], seen: dict[str, RowReport]
) -> bool:
    """Refuse the rows whose code another row has; ``seen`` (code → the first row with it)
    carries over from rows checked before. Whether any row was refused."""
    found = False
    for rep, v in zip(rows, values, strict=True):
        code = v.get("code")
        if code is None:
            continue
        first = seen.get(code)
        if first is None:
            seen[code] = rep
            continue
        found = True
        rep.refuse(_duplicate(code, first.row))
        if not any(p.code == "duplicate_code" for p in first.refusals):
            first.refuse(_duplicate(code, rep.row))
    return found


def field_names(layer: ImportLayer, values: Sequence[dict[str, Any]]) -> list[str]:
    """The fields the rows give (a new row without a name is named after its code when
    staged, so ``name_zh`` is staged whenever the layer has it), ``code`` aside."""
    named = {"name_zh"} if "name_zh" in layer.fields else set()
    return sorted(({f for v in values for f in v} | named) - {"code"})


def _check_districts(
    reps: Sequence[RowReport],
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
        rep = reps[i]
        if g is None or rep.refusals:
            continue
        given = values[i].get("district_code")
        code = str(values[i].get("code") or f"row {rep.row}")
        try:
            found = site_district(
                g, given, districts, where=f"row {rep.row}", site=code, names=names
            )
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
