"""Export of sites to GeoPackage, GeoJSON, zipped Shapefile, CSV and XLSX, the import template,
and the file layout that imports read back.

A filtered selection is written with the officer-facing fields (no internal ones) and the
Chinese labels of coded values beside the codes (``<field>_zh``): GeoPackage (version 1.2, so
that GDAL 3.6 and the planners' older software read it without warnings; dates as dates) and
Shapefile in EPSG:4490 or any CRS asked for, GeoJSON per RFC 7946 (WGS84), CSV (UTF-8 with BOM,
WKT and a WGS84 point), XLSX (a WGS84 point, dates as dates, a sheet documenting each column,
each site's code and name linked to its sheet) and a PDF list with a map
(:mod:`gis_app.io.site_list_pdf`). CSV and XLSX carry Chinese headers (the registry's labels; a
coded field's column is "<label>代码" and its label column "<label>") unless keys are asked for;
a Chinese CSV has a second row of documentation, which the importer skips. Shapefile field
names are at most 10 characters: a fixed, reversible abbreviation per field (:data:`SHP_NAMES`,
declared in the field registry), which :mod:`gis_app.io.imports` maps back, so importing an
export changes nothing; its text is UTF-8 or, for older Chinese GIS software, GBK (``.cpg``
says which). The caller owns the connection and its transaction; export only reads.

How it runs (issue 24): PostGIS produces every value of the file — labels joined in SQL,
lists joined, dates as the format wants them, the outline as WKB or WKT in the CRS asked for
(:mod:`gis_app.db.export_queries`) — and sends the selection with one ``COPY … TO STDOUT`` to a
spool file beside the export (one statement and one snapshot, done in seconds even at 1M
sites, so no statement timeout runs while a slow writer works). The file is then read back in
batches of :data:`BATCH_BYTES` by Arrow's CSV reader (no Python object per value; the spool is
cut into files of :data:`PART_BYTES`, as the reader reads far ahead within a file) and each
batch goes on to its writer: GDAL's Arrow writer for GeoPackage, Shapefile and GeoJSON (one
layer, one transaction, the spatial index built once at the end, as ``ogr2ogr`` does), Arrow's
CSV writer, openpyxl's write-only workbook. Memory stays at one part of the spool and a few
batches whatever the selection; the disk holds the spool (about 1 KB per site) until the
export returns.
"""

from __future__ import annotations

import binascii
import csv
import datetime as dt
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyogrio.raw
import pyproj
import sqlalchemy as sa

from gis_app.db import export_queries
from gis_app.db.models import SRID
from gis_app.db.site_queries import SITE_PROPERTY_COLUMNS, SiteFilter
from gis_app.domain import fields, landuse, vocab
from gis_app.domain.errors import InvalidInput
from gis_app.io.spreadsheet import FORMULA_PATTERN, QUOTE

if TYPE_CHECKING:
    import geopandas as gpd

#: fields whose values have Chinese labels in exports (vocabulary or land-use system): the
#: registry's fields with a Shapefile name for their label column
LABELLED: dict[str, vocab.Vocabulary | str] = {
    n: f.vocabulary or f.landuse_system or ""
    for n, f in fields.SITE.items()
    if f.shp_label is not None
}

#: exported fields holding the code of a named row (a district): the export adds the row's
#: Chinese name after the code (``<table>_name_zh``, looked up when it runs; the code decides
#: on import and the name column is ignored)
REFERENCED: dict[str, str] = {
    n: f.references
    for n, f in fields.SITE.items()
    if f.exported and f.references in export_queries.NAMED_TABLES
}
#: name column → the code column it names
REFERENCE_NAMES: dict[str, str] = {f"{t}_name_zh": n for n, t in REFERENCED.items()}

#: columns an export carries that are derived or kept by the database: ignored on import
DERIVED_COLUMNS = (
    frozenset(fields.names(fields.SITE, managed=True))
    | set(REFERENCE_NAMES)
    | {
        "fid",
        "distances_m",
        "building_count",
        "parent_ids",
        "retired_at",
        "lon_wgs84",
        "lat_wgs84",
    }
)

# Shapefile field names are at most 10 characters: a fixed, reversible abbreviation per field
# (and per Chinese label column), declared in the registry.
SHP_NAMES: dict[str, str] = {n: f.shp for n, f in fields.SITE.items() if f.shp is not None}
SHP_LABEL_NAMES: dict[str, str] = {
    n: f.shp_label for n, f in fields.SITE.items() if f.shp_label is not None
}
#: a referenced row's name column: its code's Shapefile name with ``_name`` for ``_code``
#: (``dist_code`` → ``dist_name``)
_SHP_REFERENCE_NAMES: dict[str, str] = {
    col: f"{(fields.SITE[code].shp or code).removesuffix('_code')[:5]}_name"
    for col, code in REFERENCE_NAMES.items()
}


EXPORT_FORMATS: dict[str, tuple[str, str]] = {
    "gpkg": (".gpkg", "application/geopackage+sqlite3"),
    "geojson": (".geojson", "application/geo+json"),
    "shp": (".zip", "application/zip"),
    "csv": (".csv", "text/csv; charset=utf-8"),
    "xlsx": (".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "pdf": (".pdf", "application/pdf"),
}
#: the formats an import reads back unchanged (a PDF is for people)
DATA_FORMATS: tuple[str, ...] = tuple(f for f in EXPORT_FORMATS if f != "pdf")
#: a PDF list is read by people: it refuses selections longer than this many sites
PDF_MAX_SITES = 2000
#: header styles of CSV/XLSX: Chinese labels (people) or field keys (machines)
HEADER_STYLES = ("zh", "keys")
#: text encodings of Shapefile exports (the ``.cpg`` says which)
SHP_ENCODINGS = {"utf-8": "UTF-8", "gbk": "GBK"}
#: the most sites one export writes: twice the product's target inventory of 1M (a province's
#: 1M parcels and the sample's had to fit; the rows stream through in batches, so memory does
#: not grow with the selection)
MAX_SITES = 2_000_000
#: bytes of spooled rows read at a time (about 15,000 sites). One row must fit: 16 MB is an
#: outline of some 400,000 vertices as WKT (imports and edits allow 100,000,
#: ``GIS_APP_EDIT_MAX_VERTICES``)
BATCH_BYTES = 16 << 20
#: the spool is cut into files of about this many bytes (at row boundaries): Arrow's CSV reader
#: reads up to 32 blocks ahead of its consumer, which over one file of 1M sites held ~600 MB;
#: over parts of 64 MB it holds at most one part
PART_BYTES = 64 << 20
_EXPORT_COLUMNS = tuple(SITE_PROPERTY_COLUMNS)
_TYPES = {c: fields.SITE[c].type for c in _EXPORT_COLUMNS}
_LIST_FIELDS = tuple(c for c, t in _TYPES.items() if t == "text_list")
_DATE_FIELDS = tuple(c for c, t in _TYPES.items() if t == "date")
_TIME_FIELDS = tuple(c for c, t in _TYPES.items() if t == "datetime")

#: the start of each cell of a Chinese CSV's documentation row (the importer skips that row)
DOC_PREFIX = "说明："
#: Chinese headers of the geometry columns of tables (WKT, a WGS84 point)
GEOMETRY_HEADERS = {
    "wkt": "图形WKT",
    "lon_wgs84": "经度（WGS84）",
    "lat_wgs84": "纬度（WGS84）",
}


def wkt_column(epsg: int) -> str:
    """The name of a table's WKT column in EPSG:``epsg`` (the importer reads the CRS off it)."""
    return f"wkt_epsg{epsg}"


def column_header(column: str, style: str = "zh") -> str:
    """The header of an export column: its key, or its Chinese label from the registry.

    A coded field's own column is "<label>代码" and its label column ``<field>_zh`` is
    "<label>", so that both read naturally and the importer tells them apart.
    """
    if style == "keys":
        return column
    if column.startswith("wkt_epsg"):
        return f"{GEOMETRY_HEADERS['wkt']}（EPSG:{column[8:]}）"
    if column in GEOMETRY_HEADERS:
        return GEOMETRY_HEADERS[column]
    if column.endswith("_zh") and column[:-3] in LABELLED:
        return fields.SITE[column[:-3]].zh or column
    if column in REFERENCE_NAMES:
        return f"{fields.SITE[REFERENCE_NAMES[column]].zh}名称"
    f = fields.SITE.get(column)
    if f is None or not f.zh:
        return column
    return f"{f.zh}{fields.CODE_SUFFIX}" if column in LABELLED else f.zh


def column_doc(column: str) -> dict[str, str]:
    """What a column holds, for the documentation row or sheet: header, key, meaning, unit and
    the values allowed (vocabulary keys with their labels)."""
    if column.startswith("wkt_epsg") or column == "wkt":
        crs = column[8:] or "4490"
        meaning = f"地块边界，WKT 多边形，坐标系 EPSG:{crs} / outline as WKT (EPSG:{crs})"
        return {"header": column_header(column), "key": column, "meaning": meaning}
    if column in ("lon_wgs84", "lat_wgs84"):
        what = "经度" if column.startswith("lon") else "纬度"
        return {
            "header": column_header(column),
            "key": column,
            "meaning": f"地块内一点的{what}（WGS84），只用于核对位置 / a point in the site (WGS84)",
        }
    if column in REFERENCE_NAMES:
        f = fields.SITE[REFERENCE_NAMES[column]]
        return {
            "header": column_header(column),
            "key": column,
            "meaning": f"{f.zh}的中文名称（按代码填写，导入时忽略） / name of the {f.en.lower()}"
            " (from the code; ignored on import)",
        }
    label = column.endswith("_zh") and column[:-3] in LABELLED
    f = fields.SITE.get(column[:-3] if label else column)
    if f is None:
        return {"header": column_header(column), "key": column, "meaning": ""}
    allowed = ""
    if f.vocabulary is not None:
        allowed = "；".join(f"{t.key} {t.zh}" for t in f.vocabulary)
    elif f.landuse_system is not None:
        allowed = f"{f.landuse_system} 分类代码或名称，如 " + (
            "100101 一类工业用地"
            if f.landuse_system == "2023"
            else "M1 一类工业用地"
            if f.landuse_system == "gb50137"
            else "0601 工业用地"
        )
    kind = {
        "text": "文本",
        "float": "数字",
        "int": "整数",
        "bool": "是/否",
        "date": "日期，如 2026-08-21",
        "datetime": "时间（系统维护）",
        "text_list": "多个值，用逗号分隔",
        "landuse": "用地分类代码",
    }[f.type]
    if label:
        meaning = f"{f.zh}的中文名称（可改此列或代码列，两列须一致）"
    else:
        meaning = f"{f.zh} / {f.en}；{kind}"
        if f.managed:
            meaning += "；系统计算，导入时忽略"
        elif f.required:
            meaning += "；必填"
    return {
        "header": column_header(column),
        "key": column,
        "meaning": meaning,
        "unit": f.unit or "",
        "allowed": allowed,
    }


def _label_table(source: vocab.Vocabulary | str) -> dict[str, str]:
    """Key → Chinese label of a vocabulary or a land-use classification."""
    if isinstance(source, str):
        return {code: entry.zh for code, entry in landuse._table(source).items()}
    return {t.key: t.zh for t in source}


#: the Chinese labels of the coded fields, joined to the rows in SQL
LABEL_TABLES: dict[str, dict[str, str]] = {f: _label_table(s) for f, s in LABELLED.items() if s}


def _columns(fmt: str, srid: int) -> export_queries.ExportColumns:
    """The row PostGIS produces for a format: GeoPackage, XLSX and PDF keep dates as dates;
    CSV has the outline as WKT and, like XLSX, a WGS84 point; XLSX has no outline."""
    return export_queries.ExportColumns(
        columns=_EXPORT_COLUMNS,
        labels=LABEL_TABLES,
        references=REFERENCED,
        lists=_LIST_FIELDS,
        dates=_DATE_FIELDS,
        times=_TIME_FIELDS,
        dates_as_text=fmt not in ("gpkg", "xlsx", "pdf"),
        geometry=None if fmt == "xlsx" else ("wkt" if fmt == "csv" else "hex"),
        srid=SRID if fmt in ("xlsx", "pdf") else srid,
        point=fmt in ("csv", "xlsx"),
    )


def _read_type(name: str, spec: export_queries.ExportColumns) -> pa.DataType:
    """The Arrow type a spooled column is read as (the registry's type of the field)."""
    if name in ("lon_wgs84", "lat_wgs84"):
        return pa.float64()
    kind = _TYPES.get(name)
    if kind is None or name in spec.lists:  # a label column, the outline (hex or WKT)
        return pa.string()
    if kind in ("date", "datetime") and spec.dates_as_text:
        return pa.string()
    return {
        "int": pa.int64(),
        "float": pa.float64(),
        "bool": pa.bool_(),
        "date": pa.date32(),
        "datetime": pa.timestamp("us", tz="UTC"),
    }.get(kind, pa.string())


#: the geometry column as GDAL's Arrow writer takes it
_WKB_FIELD = pa.field("geom", pa.binary(), metadata={"ARROW:extension:name": "geoarrow.wkb"})


class _PartWriter:
    """A binary file-like object that writes to ``<stem>-0001.csv``, ``-0002`` … in ``folder``,
    opening the next once the current one holds :data:`PART_BYTES`. psycopg2 writes a ``COPY``
    one row per ``write`` call (PostgreSQL sends a row per CopyData message), so each file
    holds whole rows."""

    def __init__(self, folder: Path, stem: str) -> None:
        self.folder, self.stem = folder, stem
        self.paths: list[Path] = []
        self._file: IO[bytes] | None = None
        self._size = 0

    def write(self, data: bytes) -> int:
        """Write one row (a ``COPY`` data message)."""
        if self._file is None or self._size >= PART_BYTES:
            self.close()
            path = self.folder / f"{self.stem}-{len(self.paths) + 1:04d}.csv"
            self.paths.append(path)
            self._file = path.open("wb", buffering=1 << 20)
            self._size = 0
        self._size += len(data)
        return self._file.write(data)

    def close(self) -> None:
        """Close the current file."""
        if self._file is not None:
            self._file.close()
            self._file = None


class _Spool:
    """The selection's rows, copied from PostGIS into CSV files once and read back in batches
    as often as a writer needs (a Shapefile checks its text before writing it)."""

    def __init__(self, paths: list[Path], spec: export_queries.ExportColumns) -> None:
        self.paths = paths
        self.spec = spec
        self.names = spec.names()
        self._types = {n: _read_type(n, spec) for n in self.names}
        fields_ = [pa.field(n, t) for n, t in self._types.items()]
        if spec.geometry == "hex":
            fields_[self.names.index("geom")] = _WKB_FIELD
        #: the schema of the batches (hex outlines decoded to WKB)
        self.schema = pa.schema(fields_)

    @classmethod
    def copy(
        cls, conn: sa.Connection, flt: SiteFilter, spec: export_queries.ExportColumns, path: Path
    ) -> _Spool:
        """Run the export's statement into files named after ``path`` in its folder."""
        sql, params = export_queries.export_select(flt, spec)
        out = _PartWriter(path.parent, path.stem)
        try:
            export_queries.copy_csv(conn, sql, params, out)
        finally:
            out.close()
        return cls(out.paths, spec)

    def batches(self) -> Iterator[pa.RecordBatch]:
        """The rows in batches of about :data:`BATCH_BYTES` of CSV, typed, outlines as WKB."""
        for path in self.paths:  # no path at all: no site
            yield from self._batches(path)

    def _batches(self, path: Path) -> Iterator[pa.RecordBatch]:
        reader = pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(column_names=self.names, block_size=BATCH_BYTES),
            # PostgreSQL quotes a value holding a line break
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types=self._types,
                # PostgreSQL's CSV: an unquoted empty field is NULL, a quoted one is text
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=False,
                true_values=["t"],
                false_values=["f"],
            ),
        )
        at = self.names.index("geom") if self.spec.geometry == "hex" else None
        for batch in reader:
            if at is not None:
                batch = batch.set_column(at, _WKB_FIELD, _unhex(batch.column(at)))
            yield batch

    def reader(
        self,
        convert: Callable[[pa.RecordBatch], pa.RecordBatch] | None = None,
        schema: pa.Schema | None = None,
    ) -> pa.RecordBatchReader:
        """The batches as an Arrow stream (what GDAL's Arrow writer reads), each passed
        through ``convert`` if given, which gives batches of ``schema``."""
        batches = self.batches()
        if convert is not None:
            batches = (convert(b) for b in batches)
        return pa.RecordBatchReader.from_batches(schema or self.schema, batches)


def _unhex(column: pa.Array) -> pa.Array:
    """Hex text (``encode(…, 'hex')``) as binary: one decode of the batch's whole buffer."""
    if column.null_count or column.offset:  # not what the reader gives; decode value by value
        return pa.array(
            [bytes.fromhex(v) if v is not None else None for v in column.to_pylist()], pa.binary()
        )
    n = len(column)
    if n == 0:
        return pa.array([], pa.binary())
    _, offsets_buf, data = column.buffers()
    offsets = np.frombuffer(offsets_buf, dtype=np.int32, count=n + 1)
    start, end = int(offsets[0]), int(offsets[-1])
    raw = binascii.unhexlify(memoryview(data)[start:end])
    half = ((offsets - start) // 2).astype(np.int32)
    return pa.Array.from_buffers(pa.binary(), n, [None, pa.py_buffer(half), pa.py_buffer(raw)])


def _spreadsheet_text(batch: pa.RecordBatch, skip: tuple[str, ...] = ()) -> pa.RecordBatch:
    """``batch`` with text that a spreadsheet would evaluate kept as text (``'`` before it):
    :func:`gis_app.io.spreadsheet.safe_cell` on whole columns."""
    columns = []
    for name, col in zip(batch.schema.names, batch.columns, strict=True):
        if pa.types.is_string(col.type) and name not in skip:
            risky = pc.match_substring_regex(col, FORMULA_PATTERN)
            if pc.any(risky).as_py():
                col = pc.if_else(risky, pc.binary_join_element_wise(QUOTE, col, ""), col)
        columns.append(col)
    return pa.RecordBatch.from_arrays(columns, schema=batch.schema)


def target_crs(crs: str | int | None) -> pyproj.CRS | None:
    """The CRS an export is asked for (``EPSG:4550``, ``4549`` …), checked; None for the default."""
    if crs is None or (isinstance(crs, str) and not crs.strip()):
        return None
    text = str(crs).strip()
    try:
        out = pyproj.CRS.from_user_input(f"EPSG:{text}" if text.isdigit() else text)
    except pyproj.exceptions.CRSError:
        raise InvalidInput(
            f"unknown CRS {crs!r}; e.g. EPSG:4490, EPSG:4326 or EPSG:4550",
            code="unknown_crs",
            field="crs",
            params={"value": text[:80]},
        ) from None
    if out.to_epsg() is None:
        raise InvalidInput(
            f"CRS {crs!r} has no EPSG code; name one such as EPSG:4550",
            code="crs_without_epsg",
            field="crs",
            params={"value": text[:80]},
        )
    return out


def export_sites(
    conn: sa.Connection,
    flt: SiteFilter,
    fmt: str,
    folder: Path,
    max_sites: int = MAX_SITES,
    *,
    headers: str = "zh",
    encoding: str = "UTF-8",
    crs: str | int | None = None,
    sheet_url: str | None = None,
    colours: Mapping[str, str] | None = None,
    title: str | None = None,
) -> tuple[Path, list[str]]:
    """Write the sites matching ``flt`` to a file in ``folder``; the file and notes.

    ``headers`` is ``zh`` (Chinese labels, with a documentation row or sheet) or ``keys``
    (field names) for CSV/XLSX; ``encoding`` is the Shapefile's text encoding (UTF-8 or GBK);
    ``crs`` the CRS of GeoPackage, Shapefile, CSV WKT and GeoJSON (default EPSG:4490; GeoJSON
    WGS84). ``sheet_url`` (``…/sites/{id}``) links each site of an XLSX or PDF to its sheet;
    a PDF is a list with a map (sites in ``colours`` by availability), headed by ``title``
    (what was searched), and holds at most :data:`PDF_MAX_SITES` sites. A selection of more
    than ``max_sites`` is refused with its count before any row is read; a refusal while
    writing (text GBK cannot hold) leaves no file behind.
    """
    if fmt not in EXPORT_FORMATS:
        raise InvalidInput(
            f"format must be one of {', '.join(EXPORT_FORMATS)}, not {fmt!r}",
            code="unknown_value",
            field="format",
            params={"value": str(fmt)[:40]},
        )
    if headers not in HEADER_STYLES:
        raise InvalidInput(
            f"headers must be zh or keys, not {headers!r}",
            code="unknown_value",
            field="headers",
            params={"value": str(headers)[:40]},
        )
    shp_encoding = SHP_ENCODINGS.get(str(encoding).strip().lower().replace("_", "-"))
    if shp_encoding is None:
        raise InvalidInput(
            f"encoding must be UTF-8 or GBK, not {encoding!r}",
            code="unknown_value",
            field="encoding",
            params={"value": str(encoding)[:40]},
        )
    to_crs = target_crs(crs)
    notes: list[str] = []
    if shp_encoding != "UTF-8" and fmt != "shp":
        notes.append(f"the encoding applies to Shapefiles only; {fmt} is written in UTF-8")
    if to_crs is not None and fmt in ("xlsx", "pdf"):
        notes.append(f"{fmt} has no coordinates to reproject; the CRS applies to the other formats")
    if fmt == "pdf":
        max_sites = min(max_sites, PDF_MAX_SITES)
    total = export_queries.count_selection(conn, flt)
    if total > max_sites:
        raise InvalidInput(
            f"the selection holds {total} sites, more than the export limit of {max_sites}; "
            "narrow the filter",
            code="too_many_sites",
            params={"count": total, "max": max_sites},
        )
    # GeoJSON is WGS84 (RFC 7946) unless another CRS is named
    srid = to_crs.to_epsg() if to_crs is not None else (4326 if fmt == "geojson" else SRID)
    if srid != SRID and not export_queries.srid_known(conn, srid):
        raise InvalidInput(
            f"the database cannot project to EPSG:{srid}; name another CRS such as EPSG:4550",
            code="unknown_crs",
            field="crs",
            params={"value": f"EPSG:{srid}"},
        )
    crs_wkt = (to_crs or pyproj.CRS.from_epsg(srid)).to_wkt()
    base = folder / f"sites_{dt.date.today():%Y%m%d}"
    out = base.with_suffix(EXPORT_FORMATS[fmt][0])
    with tempfile.TemporaryDirectory(prefix="gis_app_export_rows_") as work:
        spool = _Spool.copy(conn, flt, _columns(fmt, srid), Path(work) / "rows.csv")
        try:
            if fmt == "gpkg":
                _write_gdal(spool, out, "GPKG", crs_wkt, dataset_options={"VERSION": "1.2"})
            elif fmt == "geojson":
                rfc = {"RFC7946": "YES"} if srid == 4326 else None
                _write_gdal(spool, out, "GeoJSON", crs_wkt, layer_options=rfc)
                if srid != 4326:  # a named CRS is not RFC 7946 (WGS84 only): GDAL writes `crs`
                    notes.append(f"GeoJSON in EPSG:{srid} (not RFC 7946, which is WGS84)")
            elif fmt == "csv":
                _write_csv(spool, out, headers, wkt_column(srid))
            elif fmt == "xlsx":
                from gis_app.io.workbook import write_workbook

                rows = (
                    row
                    for batch in spool.batches()
                    for row in zip(
                        *(c.to_pylist() for c in _spreadsheet_text(batch).columns), strict=True
                    )
                )
                write_workbook(spool.names, rows, out, headers, sheet_url=sheet_url)
            elif fmt == "pdf":
                from gis_app.db import edit_queries
                from gis_app.io.site_list_pdf import site_list_pdf

                outline = edit_queries.jurisdiction_outline(conn)
                pdf = site_list_pdf(
                    _frame(spool), outline, title=title, sheet_url=sheet_url, colours=colours
                )
                out.write_bytes(pdf)
            else:
                notes += _write_shapefile(spool, base, out, crs_wkt, shp_encoding)
        except BaseException:
            out.unlink(missing_ok=True)
            raise
    return out, notes


def _write_gdal(
    spool: _Spool,
    out: Path,
    driver: str,
    crs_wkt: str,
    *,
    reader: pa.RecordBatchReader | None = None,
    **options: Any,
) -> None:
    """Stream the rows into one layer ``sites`` of a new ``driver`` file with GDAL's Arrow
    writer (GeoPackage: one transaction, the spatial index built once at the end)."""
    pyogrio.raw.write_arrow(
        reader or spool.reader(),
        out,
        layer="sites",
        driver=driver,
        geometry_name="geom",
        geometry_type="MultiPolygon",
        crs=crs_wkt,
        **options,
    )


def _frame(spool: _Spool) -> gpd.GeoDataFrame:
    """The rows as a GeoDataFrame in EPSG:4490 (for the PDF list, at most 2,000 sites)."""
    import geopandas as gpd  # (imported here: a command-line export of data needs neither)
    import pandas as pd
    import shapely

    rows = [r for batch in spool.batches() for r in batch.to_pylist()]
    frame = pd.DataFrame(rows, columns=spool.names)
    geoms = shapely.from_wkb(frame.pop("geom").to_numpy(dtype=object))
    return gpd.GeoDataFrame(frame, geometry=geoms, crs=f"EPSG:{SRID}")


def _write_csv(spool: _Spool, out: Path, headers: str, wkt: str) -> None:
    """CSV for Excel/WPS (UTF-8 with BOM); Chinese headers get a documentation row. The
    header rows go through Python's CSV writer, the data rows through Arrow's."""
    columns = [wkt if n == "geom" else n for n in spool.names]
    with out.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow([column_header(c, headers) for c in columns])
        if headers == "zh":
            writer.writerow([DOC_PREFIX + _doc_text(column_doc(c)) for c in columns])
    options = pacsv.WriteOptions(include_header=False, quoting_style="needed")
    with out.open("ab") as f:
        for batch in spool.batches():
            pacsv.write_csv(_spreadsheet_text(batch, skip=("geom",)), f, write_options=options)


def _doc_text(doc: dict[str, str]) -> str:
    parts = [doc["meaning"]]
    if doc.get("unit"):
        parts.append(f"单位 {doc['unit']}")
    if doc.get("allowed"):
        parts.append(f"可选值 {doc['allowed']}")
    parts.append(f"字段 {doc['key']}")
    return "；".join(p for p in parts if p)


#: what a Shapefile's ``.dbf`` holds of one text value
_SHP_MAX_BYTES = 254


def _shapefile_text(spool: _Spool, codec: str) -> tuple[list[str], list[str]]:
    """Read the rows once before writing: the values GBK cannot hold (``code column``, the
    first 21) and the text columns with a value longer than a ``.dbf`` holds in ``codec``."""
    bad: list[str] = []
    long: set[str] = set()
    text = [
        n for n in spool.names if n != "geom" and pa.types.is_string(spool.schema.field(n).type)
    ]
    for batch in spool.batches():
        codes = batch.column("code")
        for name in text:
            col = batch.column(name)
            utf8 = pc.binary_length(col)
            ascii_only = pc.all(pc.fill_null(pc.string_is_ascii(col), True)).as_py()
            if codec == "gbk" and len(bad) < 21 and not ascii_only:
                bad += _not_gbk(codes, col, name, limit=21 - len(bad))
            if name in long or (pc.max(utf8).as_py() or 0) <= _SHP_MAX_BYTES:
                continue  # GBK never takes more bytes than UTF-8
            if codec == "utf-8":
                long.add(name)
                continue
            for v in pc.filter(col, pc.greater(utf8, _SHP_MAX_BYTES)).to_pylist():
                if len(v.encode("gbk", errors="replace")) > _SHP_MAX_BYTES:
                    long.add(name)
                    break
    return bad, [n for n in spool.names if n in long]


def _not_gbk(codes: pa.Array, col: pa.Array, name: str, limit: int) -> list[str]:
    """``code name`` of the values of ``col`` that GBK cannot hold (at most ``limit``)."""
    values = col.to_pylist()
    try:  # one encode of the column's text: the common case, every value fits
        "\n".join(v for v in values if v is not None).encode("gbk")
        return []
    except UnicodeEncodeError:
        pass
    bad = []
    for code, v in zip(codes.to_pylist(), values, strict=True):
        if v is None or len(bad) >= limit:
            continue
        try:
            v.encode("gbk")
        except UnicodeEncodeError:
            bad.append(f"{code} {_SHP_ALL.get(name, name)}")
    return bad


#: Shapefile names of the label columns (``<field>_zh``)
_SHP_LABELS: dict[str, str] = {f"{f}_zh": n for f, n in SHP_LABEL_NAMES.items()}
#: every exported column's Shapefile field name
_SHP_ALL: dict[str, str] = {**SHP_NAMES, **_SHP_LABELS, **_SHP_REFERENCE_NAMES}


def _write_shapefile(
    spool: _Spool, base: Path, out: Path, crs_wkt: str, encoding: str = "UTF-8"
) -> list[str]:
    """A zipped Shapefile (``sites.shp`` …) with ≤ 10-character field names, its text in
    ``encoding`` (the ``.cpg`` says which); text GBK cannot hold is refused naming the site
    and field, columns with text longer than 254 bytes are left out with a note."""
    notes = []
    codec = "utf-8" if encoding == "UTF-8" else "gbk"
    bad, dropped = _shapefile_text(spool, codec)
    if bad:
        raise InvalidInput(
            "GBK cannot hold some characters of "
            + ", ".join(bad[:20])
            + ("…" if len(bad) > 20 else "")
            + "; export in UTF-8 or correct the text",
            code="gbk_cannot_encode",
            field="encoding",
            params={"value": ", ".join(bad[:5]) + ("…" if len(bad) > 5 else "")},
        )
    if dropped:
        notes.append("Shapefile text is limited to 254 bytes; left out: " + ", ".join(dropped))
    keep = [n for n in spool.names if n not in dropped]
    names = _SHP_ALL
    schema = pa.schema(
        [
            spool.schema.field(n).with_name(names.get(n, n)) if n != "geom" else _WKB_FIELD
            for n in keep
        ]
    )

    def convert(batch: pa.RecordBatch) -> pa.RecordBatch:
        return pa.RecordBatch.from_arrays([batch.column(n) for n in keep], schema=schema)

    folder = base.parent / f"{base.name}_shp"
    folder.mkdir()
    try:
        shp = folder / "sites.shp"
        gdal_encoding = "UTF-8" if codec == "utf-8" else "CP936"
        _write_gdal(
            spool,
            shp,
            "ESRI Shapefile",
            crs_wkt,
            reader=spool.reader(convert, schema),
            encoding=gdal_encoding,
        )
        # GDAL writes no .cpg for CP936; older software reads the code page from it
        for cpg in folder.glob("*.cpg"):
            cpg.unlink()
        (folder / "sites.cpg").write_text(encoding, encoding="ascii")
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
            for f in sorted(folder.iterdir()):
                zf.write(f, f.name)
    finally:
        shutil.rmtree(folder)
    return notes
