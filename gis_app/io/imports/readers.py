"""Readers of import files: GeoPackage, (zipped) Shapefile, GeoJSON, CSV and XLSX.

A file is read into a :class:`SourceTable` — column names, raw row values and geometries in the
file's own CRS — without touching the database. Text encodings are declared (``.cpg``, the
option) or detected as UTF-8 or GBK, and refused rather than read as mojibake; zip archives are
checked for entry count, size and compression ratio before anything is unpacked. Tables (CSV,
XLSX, GeoJSON without geometry) take their geometry from a WKT column or lon/lat columns.
A large GeoPackage or Shapefile is read in batches, its repeated text held once, and its rows
kept as columns until they are checked (:class:`ColumnRows`): a 1M-row file's memory is its
values, not a string per cell and a dict per row.
"""

from __future__ import annotations

import csv
import gc
import io
import re
import threading
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyogrio
import shapely
from shapely.geometry.base import BaseGeometry

from gis_app.domain.error_vocab import Problem
from gis_app.domain.errors import InvalidInput, PayloadTooLarge
from gis_app.io import geometry_checks
from gis_app.io.imports.options import LAYERS, ImportOptions, UploadLimits, python_codec
from gis_app.io.spreadsheet import unquote_cell

_WKT_COLUMNS = ("wkt", "geometry", "geom", "the_geom", "shape", "图形wkt", "图形", "wkt图形")
#: a WKT column that names its CRS: wkt_epsg4550, 图形WKT（EPSG:4550） (as exports write them)
_WKT_EPSG = re.compile(r"(?:wkt_epsg|图形wkt（epsg:)(\d{4,5})）?")
_LONLAT_COLUMNS = (
    ("lon_wgs84", "lat_wgs84"),
    ("经度（wgs84）", "纬度（wgs84）"),
    ("lon", "lat"),
    ("lng", "lat"),
    ("longitude", "latitude"),
    ("经度", "纬度"),
    ("x", "y"),
)
_IMPLIED_CRS = {"lon_wgs84": 4326, "经度（wgs84）": 4326}
#: how each cell of a Chinese CSV export's documentation row starts (the row is skipped)
DOC_PREFIX = "说明："


@dataclass
class SourceTable:
    """A file read into columns, raw row values and geometries (in the file's CRS)."""

    columns: list[str]
    #: the rows, each a dict column → value (a GIS file's: :class:`ColumnRows`)
    rows: Sequence[dict[str, Any]]
    #: in the file's CRS (a GIS file's: :class:`WkbGeoms`); None: the file has no geometry
    geoms: Sequence[BaseGeometry | None] | None
    #: rows whose geometry cannot be read, and why
    geom_errors: dict[int, Problem] = field(default_factory=dict)
    crs: geometry_checks.DeclaredCrs | None = None
    points: bool = False  # geometries are lon/lat points from table columns
    #: a table's blank WKT cell: the row keeps the stored outline (a new row needs one)
    optional_geometry: bool = False
    encoding: str | None = None
    notes: list[str] = field(default_factory=list)


def _file_refusal(detail: str, code: str, name: str, **params: Any) -> InvalidInput:
    """The refusal of the uploaded file ``name`` (the ``file`` field of the import form)."""
    return InvalidInput(detail, code=code, field="file", params={"value": name, **params})


def _detect_text_encoding(data: bytes, what: str) -> tuple[str, str | None]:
    """Encoding of undeclared text: UTF-8 if it decodes, else GB18030/GBK, else refuse."""
    try:
        data.decode("utf-8")
        return "utf-8", None
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        raise _file_refusal(
            f"{what}: the text is neither UTF-8 nor GBK/GB18030; declare the encoding",
            code="file_encoding_unknown",
            name=what,
        ) from None
    if not re.search(r"[\u4e00-\u9fff]", text):
        raise _file_refusal(
            f"{what}: the text is not UTF-8 and does not read as Chinese in GBK either; "
            "declare the encoding",
            code="file_encoding_unknown",
            name=what,
        )
    return "gb18030", f"{what}: no encoding declared; the text was detected as GBK (GB18030)"


def _dbf_text(dbf: Path) -> bytes:
    data = dbf.read_bytes()
    if len(data) < 32:
        raise _file_refusal(f"{dbf.name}: not a dBASE file", code="file_unreadable", name=dbf.name)
    n = int.from_bytes(data[4:8], "little")
    header = int.from_bytes(data[8:10], "little")
    rec = int.from_bytes(data[10:12], "little")
    return data[header : header + n * rec]


def _shapefile_encoding(shp: Path, declared: str | None) -> tuple[str, list[str]]:
    """The GDAL encoding name for a shapefile's text, checked so that nothing is mojibake."""
    dbf = next((p for p in shp.parent.glob(shp.stem + ".*") if p.suffix.lower() == ".dbf"), None)
    if dbf is None:
        raise _file_refusal(
            f"{shp.name}: the .dbf file (attributes) is missing",
            code="file_unreadable",
            name=shp.name,
        )
    text = _dbf_text(dbf)
    cpg = next((p for p in shp.parent.glob(shp.stem + ".*") if p.suffix.lower() == ".cpg"), None)
    notes: list[str] = []
    if declared:
        name = declared
    elif cpg is not None:
        name = cpg.read_text("ascii", errors="replace").strip() or "UTF-8"
    else:
        codec, note = _detect_text_encoding(text, shp.name)
        notes += [note] if note else [f"{shp.name}: no .cpg; the text is UTF-8"]
        return codec.upper(), notes
    try:
        text.decode(python_codec(name))
    except (UnicodeDecodeError, LookupError):
        source = "given" if declared else f"declared by {cpg.name}"
        raise _file_refusal(
            f"{shp.name}: the text does not decode as {name} ({source}); "
            "give the right encoding (e.g. GBK)",
            code="file_encoding_unknown",
            name=shp.name,
        ) from None
    return ("CP936" if python_codec(name) == "gbk" else name), notes


def safe_unzip(archive: Path, dest: Path, limits: UploadLimits) -> list[Path]:
    """Unpack a zip after checking entry count, sizes and compression ratio (zip bombs)."""
    try:
        zf = zipfile.ZipFile(archive)
    except zipfile.BadZipFile:
        raise _file_refusal(
            f"{archive.name}: not a valid zip file", code="file_unreadable", name=archive.name
        ) from None
    with zf:
        infos = [i for i in zf.infolist() if not i.is_dir()]
        if len(infos) > 1000:
            raise _file_refusal(
                f"{archive.name}: {len(infos)} files in the zip (at most 1000)",
                code="zip_too_many_files",
                name=archive.name,
                count=len(infos),
                max=1000,
            )
        total = sum(i.file_size for i in infos)
        if total > limits.max_unzipped_bytes:
            raise PayloadTooLarge(
                f"{archive.name}: unpacks to {total:,} bytes, more than the limit of "
                f"{limits.max_unzipped_bytes:,}"
            )
        for i in infos:
            if i.file_size > 1_000_000 and i.file_size > limits.max_zip_ratio * max(
                i.compress_size, 1
            ):
                ratio = i.file_size / max(i.compress_size, 1)
                raise PayloadTooLarge(
                    f"{archive.name}: {i.filename} expands {ratio:.0f}-fold (a zip bomb?); refused"
                )
        out, written = [], 0
        for i in infos:
            name = Path(i.filename).name
            if not name or name.startswith("."):
                continue
            target = dest / name
            with zf.open(i) as src, target.open("wb") as dst:
                while chunk := src.read(1 << 20):
                    written += len(chunk)
                    if written > limits.max_unzipped_bytes:  # sizes in the header can lie
                        raise PayloadTooLarge(f"{archive.name}: unpacks beyond the limit")
                    dst.write(chunk)
            out.append(target)
    return out


_GIS_SUFFIXES = (".gpkg", ".shp", ".geojson", ".json", ".csv", ".xlsx")


def _pick_member(files: list[Path], archive: str) -> Path:
    found = [f for f in files if f.suffix.lower() in _GIS_SUFFIXES]
    if not found:
        raise _file_refusal(
            f"{archive}: no .shp, .gpkg, .geojson, .csv or .xlsx file inside the zip",
            code="zip_no_data_file",
            name=archive,
        )
    shp = [f for f in found if f.suffix.lower() == ".shp"]
    if len(shp) > 1 or (not shp and len(found) > 1):
        names = ", ".join(sorted(f.name for f in (shp or found)))
        raise _file_refusal(
            f"{archive}: several data files in the zip ({names}); send one",
            code="zip_several_files",
            name=archive,
            choices=names,
        )
    return shp[0] if shp else found[0]


class ColumnRows(Sequence[dict[str, Any]]):
    """A GIS file's rows kept as the columns GDAL read (one array per field), each row's dict
    built when it is asked for. A dict per row held for the whole file was most of a large
    import's memory (a 1M-row, 74-field GeoPackage: ~1.5 GB of dicts beside the values
    themselves); the checks ask for each chunk's rows once (a slice, built in one go), the
    one-pass report again. The values are those ``ndarray.tolist`` gives, as before."""

    __slots__ = ("_columns", "_n", "_names")

    def __init__(self, names: list[str], columns: list[Any], n: int) -> None:
        self._names = names
        self._columns = columns
        self._n = n

    def __len__(self) -> int:
        return self._n

    def _slice(self, start: int, stop: int) -> list[dict[str, Any]]:
        if not self._columns:
            return [{} for _ in range(start, stop)]
        cols = [c[start:stop].tolist() for c in self._columns]
        return [dict(zip(self._names, vals, strict=True)) for vals in zip(*cols, strict=True)]

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            start, stop, step = i.indices(self._n)
            if step != 1:
                return [self[k] for k in range(start, stop, step)]
            return self._slice(start, max(start, stop))
        k = i + self._n if i < 0 else i
        if not 0 <= k < self._n:
            raise IndexError(f"row {i} of {self._n}")
        return self._slice(k, k + 1)[0]


class _SharedText:
    """Text columns read batch after batch with each distinct value held once: GDAL gives
    every cell its own string, though most columns repeat a few values (statuses, townships,
    a vocabulary's codes) — 3.6M strings, 301k distinct, in a 100k-row export. A column whose
    values are mostly distinct (codes, names) is left as read: sharing saves nothing there."""

    def __init__(self) -> None:
        self._held: dict[int, dict[str, str]] = {}
        self._distinct: set[int] = set()

    def column(self, j: int, values: Any) -> Any:
        """The batch's column ``j`` with its text values shared with earlier batches'."""
        if (
            j in self._distinct
            or not isinstance(values, np.ndarray)
            or values.dtype != np.dtype(object)
            or pd.api.types.infer_dtype(values) != "string"
        ):
            return values
        codes, found = pd.factorize(values, use_na_sentinel=True)
        if len(found) > len(values) // 2:
            self._distinct.add(j)
            self._held.pop(j, None)
            return values
        held = self._held.setdefault(j, {})
        shared = np.array([held.setdefault(v, v) for v in found], dtype=object)
        present = codes >= 0
        out = values.copy()
        out[present] = shared[codes[present]]
        return out


#: a GeoPackage or Shapefile with more features is read this many at a time
READ_BATCH = 50_000
_BATCHED = (".gpkg", ".shp")


class WkbGeoms(Sequence[BaseGeometry | None]):
    """A GIS file's outlines kept as the WKB GDAL gave, parsed when a chunk asks for them:
    parsed for the whole file, a 1M-row file's polygons held ~0.8 GB through the import, their
    WKB a third of that. Unreadable ones are found when the file is read
    (:func:`_unreadable`) and read as None here."""

    __slots__ = ("_wkb",)

    def __init__(self, wkb: np.ndarray) -> None:
        self._wkb = wkb

    def __len__(self) -> int:
        return len(self._wkb)

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return list(shapely.from_wkb(self._wkb[i], on_invalid="ignore"))
        return shapely.from_wkb(self._wkb[i], on_invalid="ignore")


def _unreadable(wkb: Any, first: int, errors: dict[int, Problem]) -> None:
    """Each outline of ``wkb`` (rows ``first`` …) GEOS cannot read: its reason into ``errors``
    under its row index."""
    parsed = shapely.from_wkb(wkb, on_invalid="ignore")
    for i, (raw, g) in enumerate(zip(wkb, parsed, strict=True)):
        if g is None and raw is not None:
            try:
                shapely.from_wkb(raw)
            except shapely.errors.GEOSException as e:
                reason = str(e).split(": ", 1)[-1]
                errors[first + i] = Problem(
                    "geom_unreadable", "geom", {"reason": reason}, f"unreadable geometry: {reason}"
                )


def _read_batch(
    path: Path, layer: str | int | None, kw: dict[str, Any], text: _SharedText, first: int
) -> tuple[list[str], str | None, list[Any], np.ndarray | None, dict[int, Problem], int]:
    """One ``pyogrio.raw.read`` (``kw`` may bound it): the layer's field names and CRS, the text
    columns shared (``text``), the geometries' WKB and the unreadable ones (rows from
    ``first``), and how many features were read."""
    meta, _, wkb, fields = pyogrio.raw.read(path, layer=layer, datetime_as_string=True, **kw)
    count = len(wkb) if wkb is not None else (len(fields[0]) if len(fields) else 0)
    if len(fields) != len(meta["fields"]) or any(len(c) != count for c in fields):
        raise ValueError("pyogrio returned fields of other lengths than the layer's features")
    errors: dict[int, Problem] = {}
    if wkb is not None:
        _unreadable(wkb, first, errors)
    names = [str(x) for x in meta["fields"]]
    shared = [text.column(j, c) for j, c in enumerate(fields)]
    return names, meta.get("crs"), shared, wkb, errors, count


def _read_raw(
    path: Path, layer: str | int | None, features: int, kw: dict[str, Any]
) -> tuple[str | None, list[str], ColumnRows, WkbGeoms | None, dict[int, Problem]]:
    """The layer read by pyogrio: its CRS, field names, rows, geometries (None: no
    geometry column) and unreadable geometries. A large GeoPackage or Shapefile is read in
    batches of :data:`READ_BATCH` features, each batch's text shared with the batches' before
    (:class:`_SharedText`) before the next is read, so that the cells' own strings of one
    batch, not of the whole file, are held at a time."""
    batched = path.suffix.lower() in _BATCHED and features > READ_BATCH
    text = _SharedText()
    names: list[str] = []
    crs: str | None = None
    parts: list[list[Any]] = []
    wkb: list[np.ndarray] = []
    errors: dict[int, Problem] = {}
    n = 0
    while True:
        bound = {"skip_features": n, "max_features": READ_BATCH} if batched else {}
        names, crs, columns, got, bad, count = _read_batch(path, layer, kw | bound, text, n)
        parts.append(columns)
        errors |= bad
        if got is not None:
            wkb.append(got)
        n += count
        if not batched or count < READ_BATCH:
            break
        # what pyogrio returns holds its arrays in a reference cycle, and the collector is
        # paused while a file is read: the batch's strings go only when the cycle does
        gc.collect(0)
    columns = [
        parts[0][j] if len(parts) == 1 else np.concatenate([p[j] for p in parts])
        for j in range(len(names))
    ]
    geoms = None
    if wkb:
        geoms = WkbGeoms(wkb[0] if len(wkb) == 1 else np.concatenate(wkb))
    return crs, names, ColumnRows(names, columns, n), geoms, errors


def _read_gis(path: Path, opts: ImportOptions, limits: UploadLimits) -> SourceTable:
    notes: list[str] = []
    encoding = None
    kw: dict[str, Any] = {}
    if path.suffix.lower() == ".shp":
        encoding, notes = _shapefile_encoding(path, opts.encoding)
        kw["encoding"] = encoding
    layer: str | int | None = None
    if path.suffix.lower() == ".xlsx":
        layer = 0  # the data sheet; an export's or template's others document it
    if path.suffix.lower() == ".gpkg":
        layers = [str(x[0]) for x in pyogrio.list_layers(path)]
        if len(layers) > 1:
            wanted = [x for x in layers if x in (opts.layer, LAYERS[opts.layer].table)]
            if not wanted:
                raise _file_refusal(
                    f"{path.name} holds several layers ({', '.join(layers)}); "
                    f"name one '{opts.layer}'",
                    code="file_several_layers",
                    name=path.name,
                    choices=", ".join(layers),
                )
            layer = wanted[0]
    try:
        info = pyogrio.read_info(path, layer=layer, **kw)
        if info["features"] > limits.max_features:
            raise PayloadTooLarge(
                f"{path.name}: {info['features']:,} features, more than the limit of "
                f"{limits.max_features:,}"
            )
        # datetimes as text: pyogrio 0.13's raw reader turns a time in the last millisecond of
        # a second into microsecond 1,000,000 and fails the whole read (geopandas' reader of
        # the inventory loader does not); the fields parse ISO text anyway
        if path.suffix.lower() == ".xlsx":
            # the first row holds the headers even when every row is text (a filled template)
            kw["HEADERS"] = "FORCE"
        layer_crs, columns, rows, geoms, errors = _read_raw(path, layer, info["features"], kw)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as e:
        raise _file_refusal(
            f"{path.name}: cannot read the file: {e}", code="file_unreadable", name=path.name
        ) from None
    crs = None
    if layer_crs:
        crs = geometry_checks.crs_of(pyogrio_crs(layer_crs))
    if path.suffix.lower() in (".geojson", ".json") and crs is not None:
        head = path.read_bytes()[:4096]
        if b'"crs"' not in head:
            notes.append(f"{path.name}: no crs member; coordinates are WGS84 lon/lat (RFC 7946)")
    if path.suffix.lower() == ".xlsx":
        rows = _unquoted(rows[:])
        # rows that a spreadsheet keeps only for their formats (a template's) hold nothing
        while rows and all(_empty(v) for v in rows[-1].values()):
            rows.pop()
    if path.suffix.lower() == ".xlsx" or (geoms is None and path.suffix.lower() != ".shp"):
        return _table_geometry(columns, rows[:], encoding or "UTF-8", notes, path.name)
    return SourceTable(columns, rows, geoms, errors, crs, encoding=encoding or "UTF-8", notes=notes)


def pyogrio_crs(text: str) -> Any:
    """A pyproj CRS from pyogrio's CRS string."""
    from pyproj import CRS

    return CRS.from_user_input(text)


def _read_csv(path: Path, opts: ImportOptions, limits: UploadLimits) -> SourceTable:
    data = path.read_bytes()
    notes: list[str] = []
    if data.startswith(b"\xef\xbb\xbf"):
        codec, data = "utf-8", data[3:]
    elif opts.encoding:
        codec = python_codec(opts.encoding)
    else:
        codec, note = _detect_text_encoding(data, path.name)
        notes += [note] if note else []
    try:
        text = data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        raise _file_refusal(
            f"{path.name}: the text does not decode as {codec}",
            code="file_encoding_unknown",
            name=path.name,
        ) from None
    sample = text[:8192]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text, newline=""), dialect=dialect)
    columns = [c.strip() for c in (reader.fieldnames or [])]
    if not columns:
        raise _file_refusal(f"{path.name}: no header row", code="file_no_header", name=path.name)
    rows = []
    for i, r in enumerate(reader):
        if i >= limits.max_features:
            raise PayloadTooLarge(f"{path.name}: more than {limits.max_features:,} rows")
        rows.append({k.strip(): v for k, v in r.items() if k is not None})
    if rows and _is_doc_row(rows[0]):
        rows = rows[1:]
        notes.append(f"{path.name}: the documentation row (说明：…) under the headers is skipped")
    return _table_geometry(columns, _unquoted(rows), codec, notes, path.name)


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _is_doc_row(row: dict[str, Any]) -> bool:
    """Whether a row is the documentation row a Chinese CSV export writes under its headers."""
    cells = [v for v in row.values() if isinstance(v, str) and v.strip()]
    return bool(cells) and all(v.startswith(DOC_PREFIX) for v in cells)


def _unquoted(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Spreadsheet rows with the ``'`` the exports put before formula-like text taken off."""
    return [{k: unquote_cell(v) for k, v in r.items()} for r in rows]


def _table_geometry(
    columns: list[str], rows: list[dict[str, Any]], encoding: str, notes: list[str], name: str
) -> SourceTable:
    """Geometry of a table from a WKT column or lon/lat columns (with the CRS they imply)."""
    lower = {c.strip().lower(): c for c in columns}
    named = next(((c, m) for c in lower if (m := _WKT_EPSG.fullmatch(c))), None)
    wkt_col = named[0] if named else next((c for c in _WKT_COLUMNS if c in lower), None)
    wkt_col = lower[wkt_col] if wkt_col is not None else None
    crs = None
    if wkt_col is not None:
        geoms: list[BaseGeometry | None] = []
        errors: dict[int, str] = {}
        for i, r in enumerate(rows):
            text = r.pop(wkt_col, None)
            if text is None or (isinstance(text, str) and not text.strip()):
                geoms.append(None)
                continue
            try:
                geoms.append(shapely.from_wkt(str(text)))
            except shapely.errors.GEOSException as e:
                geoms.append(None)
                reason = str(e).split(": ", 1)[-1]
                errors[i] = Problem(
                    "wkt_unreadable", "geom", {"reason": reason}, f"unreadable WKT: {reason}"
                )
        if named is not None:  # else the CRS must be given: GCJ-02 read as 4490 is ~500 m off
            crs = geometry_checks.parse_crs(int(named[1].group(1)))
        columns = [c for c in columns if c != wkt_col]
        return SourceTable(
            columns,
            rows,
            geoms,
            errors,
            crs,
            encoding=encoding,
            notes=notes,
            optional_geometry=True,
        )
    pair = next(
        ((lower[a], lower[b]) for a, b in _LONLAT_COLUMNS if a in lower and b in lower), None
    )
    if pair is None:
        notes.append(f"{name}: no geometry (no WKT or lon/lat columns): attributes only")
        return SourceTable(columns, rows, None, {}, None, encoding=encoding, notes=notes)
    if pair[0].strip().lower() in _IMPLIED_CRS:
        crs = geometry_checks.parse_crs(_IMPLIED_CRS[pair[0].strip().lower()])
    geoms, errors = [], {}
    for i, r in enumerate(rows):
        x, y = r.pop(pair[0], None), r.pop(pair[1], None)
        try:
            fx, fy = float(x), float(y)
        except (TypeError, ValueError):
            geoms.append(None)
            if x not in (None, "") or y not in (None, ""):
                errors[i] = Problem(
                    "lonlat_not_numbers",
                    "geom",
                    {"value": f"{x}, {y}"},
                    f"lon/lat ({x!r}, {y!r}) are not numbers",
                )
            continue
        geoms.append(shapely.Point(fx, fy))
    columns = [c for c in columns if c not in pair]
    notes.append(f"{name}: positions from columns {pair[0]}/{pair[1]} (points)")
    return SourceTable(
        columns, rows, geoms, errors, crs, points=True, encoding=encoding, notes=notes
    )


def read_source(path: Path, work: Path, opts: ImportOptions, limits: UploadLimits) -> SourceTable:
    """Read an import file (a zip is unpacked into ``work`` first, safely)."""
    with collector_paused():
        return _read_source(path, work, opts, limits)


_paused = 0
_paused_lock = threading.Lock()
_was_enabled = False


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off while a file's rows are built: millions of new
    dicts make it scan the growing heap again and again (a 1M-row, 74-field GeoPackage read in
    33 s with it, 22 s without). The switch is the process's, so the last of several readers
    at once turns it back on, and only if it was on."""
    global _paused, _was_enabled
    with _paused_lock:
        if _paused == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _paused += 1
    try:
        yield
    finally:
        with _paused_lock:
            _paused -= 1
            if _paused == 0 and _was_enabled:
                gc.enable()


def _read_source(path: Path, work: Path, opts: ImportOptions, limits: UploadLimits) -> SourceTable:
    suffix = path.suffix.lower()
    if suffix == ".zip":
        path = _pick_member(safe_unzip(path, work, limits), path.name)
        suffix = path.suffix.lower()
    if suffix == ".csv":
        return _read_csv(path, opts, limits)
    if suffix in _GIS_SUFFIXES:
        if suffix == ".shp":
            for ext in (".shx", ".dbf"):
                if not any(p.suffix.lower() == ext for p in path.parent.glob(path.stem + ".*")):
                    raise _file_refusal(
                        f"{path.name}: the {ext} file is missing",
                        code="file_unreadable",
                        name=path.name,
                    )
        return _read_gis(path, opts, limits)
    raise _file_refusal(
        f"{path.name}: unsupported file type; send .gpkg, .zip (Shapefile), .geojson, .csv "
        "or .xlsx",
        code="import_file_type",
        name=path.name,
    )
