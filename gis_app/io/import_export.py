"""File import and export of sites (and constraint zones) for planners and officers.

Import reads GeoPackage, (zipped) Shapefile, GeoJSON, CSV with a WKT column or lon/lat columns
and XLSX with lon/lat columns, in a declared CRS: the file's own (``.prj``, GeoPackage, GeoJSON)
or the one given (``EPSG:4490``, ``EPSG:4326``, the CGCS2000 Gauss-Krüger zones 4513–4554 such
as 4550, or ``gcj02`` — GCJ-02 has no EPSG code, so it must be named). Columns are mapped to
fields by name — the project's own names and export, the usual fields of Chinese planning data
(DKBH 地块编号, YDXZ 用地性质, YDMJ 用地面积, RJL 容积率, JZMD 建筑密度, LDL 绿地率, KZGD 限高,
DLMC 地类名称 …) — or by an explicit mapping.

Everything is checked before anything is written: every value against the field specs the
folder loader uses (:func:`gis_app.io.inventory_loader.check_values`), every geometry
(:mod:`gis_app.io.geometry_checks`), duplicate codes, status transitions against the current
rows, and overlaps that block availability. The report names each row and its problem, or
what it would change. Only a clean file is written: staged in a temporary table and applied in
one transaction (inserts, and updates of the changed rows only — re-importing a file changes
nothing). Killing the process at any point leaves the database as it was.

Export writes a filtered selection to GeoPackage, GeoJSON (RFC 7946), zipped Shapefile (UTF-8
with ``.cpg``), CSV (UTF-8 with BOM, WKT in EPSG:4490) and XLSX, with Chinese labels of
coded values beside the codes; importing an export changes nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
import sqlalchemy as sa
from shapely.geometry.base import BaseGeometry

from gis_app.db import edit_queries as q
from gis_app.db.models import SRID
from gis_app.db.site_queries import SITE_PROPERTY_COLUMNS, SiteFilter
from gis_app.domain import landuse, transitions, vocab
from gis_app.domain.errors import (
    InvalidInput,
    PayloadTooLarge,
    ReasonRequired,
    TransitionRefused,
)
from gis_app.io import geometry_checks as gc
from gis_app.io.fields import SITE_FIELDS, ZONE_FIELDS, Field, FieldError
from gis_app.io.inventory_loader import check_cross_fields, check_values
from gis_app.io.spreadsheet import safe_cell, unquote_cell

Progress = Callable[[str, int, int], None]

# --- layers and column names ---------------------------------------------------------------


@dataclass(frozen=True)
class ImportLayer:
    """A layer that files can be imported into."""

    name: str
    table: str
    fields: dict[str, Field]
    must_cover: bool  # inside the jurisdiction (sites) or only touching it (zones)


LAYERS: dict[str, ImportLayer] = {
    "sites": ImportLayer("sites", "site", SITE_FIELDS, True),
    "constraint_zones": ImportLayer("constraint_zones", "constraint_zone", ZONE_FIELDS, False),
}

#: fields whose values have Chinese labels in exports (vocabulary or land-use system)
_LABELLED: dict[str, vocab.Vocabulary | str] = {
    "kind": vocab.SITE_KIND,
    "geom_quality": vocab.GEOM_QUALITY,
    "ownership": vocab.OWNERSHIP,
    "supply_stage": vocab.SUPPLY_STAGE,
    "readiness": vocab.READINESS,
    "policy_status": vocab.POLICY_STATUS,
    "planning_status": vocab.PLANNING_STATUS,
    "in_ugb": vocab.IN_UGB,
    "quota_status": vocab.QUOTA_STATUS,
    "supply_mode": vocab.SUPPLY_MODE,
    "availability": vocab.AVAILABILITY,
    "planned_use": "2023",
    "legacy_use": "gb50137",
    "current_use": "sandiao",
}

# Columns an export carries that are derived or kept by the database: ignored on import.
DERIVED_COLUMNS = frozenset(
    {
        "id",
        "fid",
        "area_m2",
        "area_mu",
        "area_ha",
        "version",
        "created_at",
        "updated_at",
        "distances_m",
        "building_count",
        "parent_ids",
        "retired_at",
        "lon_wgs84",
        "lat_wgs84",
    }
)

# Shapefile field names are at most 10 characters: a fixed, reversible abbreviation per field.
SHP_NAMES: dict[str, str] = {
    "code": "code",
    "name_zh": "name_zh",
    "name_en": "name_en",
    "kind": "kind",
    "block": "block",
    "township": "township",
    "platform": "platform",
    "address": "address",
    "geom_quality": "geom_qual",
    "area_m2": "area_m2",
    "area_mu": "area_mu",
    "area_ha": "area_ha",
    "declared_area_mu": "decl_mu",
    "planned_use": "plan_use",
    "legacy_use": "legacy_use",
    "current_use": "cur_use",
    "far_min": "far_min",
    "far_max": "far_max",
    "coverage_min_pct": "cover_min",
    "green_max_pct": "green_max",
    "height_limit_m": "height_lim",
    "ownership": "ownership",
    "supply_stage": "supply_stg",
    "readiness": "readiness",
    "utilities": "utilities",
    "policy_status": "policy_st",
    "policy_progress_pct": "policy_pct",
    "planning_status": "plan_st",
    "in_ugb": "in_ugb",
    "quota_status": "quota_st",
    "supply_mode": "supply_md",
    "standard_land": "std_land",
    "invest_intensity_wan_per_mu": "invest_int",
    "tax_wan_per_mu_yr": "tax_per_mu",
    "energy_tce_per_wan": "energy_tce",
    "lease_years": "lease_yrs",
    "reserve_price_wan_per_mu": "res_price",
    "shoreline_m": "shore_m",
    "berth_dwt": "berth_dwt",
    "water_depth_m": "depth_m",
    "availability": "avail",
    "blocking_note": "block_note",
    "source_doc": "source_doc",
    "verified_at": "verif_at",
    "verified_by": "verif_by",
    "description_zh": "desc_zh",
    "description_en": "desc_en",
    "photo_urls": "photo_urls",
    "version": "version",
    "created_at": "created_at",
    "updated_at": "updated_at",
    "id": "id",
}
_SHP_LABEL_NAMES = {
    "kind": "kind_zh",
    "geom_quality": "geom_q_zh",
    "ownership": "owner_zh",
    "supply_stage": "sup_stg_zh",
    "readiness": "ready_zh",
    "policy_status": "pol_st_zh",
    "planning_status": "plan_st_zh",
    "in_ugb": "in_ugb_zh",
    "quota_status": "quota_zh",
    "supply_mode": "sup_md_zh",
    "availability": "avail_zh",
    "planned_use": "plan_us_zh",
    "legacy_use": "legacy_zh",
    "current_use": "cur_use_zh",
}
_FROM_SHP = {v.lower(): k for k, v in SHP_NAMES.items()}
_LABEL_COLUMNS = {f"{f}_zh" for f in _LABELLED} | {v.lower() for v in _SHP_LABEL_NAMES.values()}

# Usual field names of Chinese planning and survey data (upper-case pinyin initials or Chinese);
# targets starting with "_" are parsed specially (land-use code system, units, ranges).
PRESET_ALIASES: dict[str, str] = {
    "dkbh": "code",
    "dkdm": "code",
    "地块编号": "code",
    "编号": "code",
    "dkmc": "name_zh",
    "地块名称": "name_zh",
    "名称": "name_zh",
    "ydxz": "_landuse",
    "ydxzdh": "_landuse",
    "ydxzdm": "_landuse",
    "用地性质": "_landuse",
    "用地性质代码": "_landuse",
    "用地代码": "_landuse",
    "ydmj": "_area",
    "dkmj": "_area",
    "用地面积": "_area",
    "地块面积": "_area",
    "rjl": "_far",
    "容积率": "_far",
    "jzmd": "_coverage",
    "建筑密度": "_coverage",
    "ldl": "_green",
    "绿地率": "_green",
    "kzgd": "_height",
    "jzxg": "_height",
    "限高": "_height",
    "建筑限高": "_height",
    "控制高度": "_height",
    "dlmc": "_dlmc",
    "地类名称": "_dlmc",
    "dlbm": "current_use",
    "地类编码": "current_use",
}
_PSEUDO = {
    "_landuse": ("planned_use", "legacy_use"),
    "_area": ("declared_area_mu",),
    "_far": ("far_min", "far_max"),
    "_coverage": ("coverage_min_pct",),
    "_green": ("green_max_pct",),
    "_height": ("height_limit_m",),
    "_dlmc": ("current_use",),
}
_WKT_COLUMNS = ("wkt_epsg4490", "wkt", "geometry", "geom", "the_geom", "shape")
_LONLAT_COLUMNS = (
    ("lon_wgs84", "lat_wgs84"),
    ("lon", "lat"),
    ("lng", "lat"),
    ("longitude", "latitude"),
    ("经度", "纬度"),
    ("x", "y"),
)
_IMPLIED_CRS = {"wkt_epsg4490": 4490, "lon_wgs84": 4326}
# A lon/lat point in a table updates an existing site only if it lies this close to it.
POINT_TOLERANCE_M = 50.0
# Geometry within this distance (degrees, ~1 cm) of the stored one counts as unchanged.
GEOM_TOLERANCE_DEG = 1e-7


# --- options and report --------------------------------------------------------------------


@dataclass
class ImportOptions:
    """How to read and apply a file."""

    layer: str = "sites"
    crs: str | None = None
    mapping: dict[str, str] = field(default_factory=dict)
    encoding: str | None = None
    area_unit: str = "m2"  # unit of YDMJ/DKMJ (用地面积): m2, mu or ha
    repair: bool = False
    dry_run: bool = False
    note: str | None = None
    doc_ref: str | None = None


@dataclass
class RowReport:
    """The outcome for one row of the file."""

    row: int
    code: str | None
    status: str = "rejected"  # insert, update, unchanged, rejected
    problems: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class ImportReport:
    """The whole import: what was read, how columns were mapped, and each row's outcome."""

    source: str
    layer: str
    crs: str | None = None
    encoding: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    ignored_columns: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rows: list[RowReport] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # file-level problems
    dry_run: bool = False
    committed: bool = False

    def counts(self) -> dict[str, int]:
        """Rows per outcome."""
        out = {"insert": 0, "update": 0, "unchanged": 0, "rejected": 0}
        for r in self.rows:
            out[r.status] += 1
        return out

    @property
    def ok(self) -> bool:
        """True when nothing was rejected."""
        return not self.problems and not any(r.status == "rejected" for r in self.rows)

    def as_dict(self, max_rows: int = 1000) -> dict[str, Any]:
        """JSON-ready report; rejected rows first, at most ``max_rows`` rows listed."""
        ordered = sorted(self.rows, key=lambda r: (r.status != "rejected", r.row))
        shown = ordered[:max_rows]
        return {
            "source": self.source,
            "layer": self.layer,
            "crs": self.crs,
            "encoding": self.encoding,
            "dry_run": self.dry_run,
            "committed": self.committed,
            "ok": self.ok,
            "counts": self.counts(),
            "columns": self.columns,
            "ignored_columns": self.ignored_columns,
            "notes": self.notes,
            "problems": self.problems,
            "rows": [r.__dict__ for r in shown],
            "rows_omitted": len(ordered) - len(shown),
        }

    def summary(self) -> str:
        """A few lines for the CLI."""
        c = self.counts()
        head = "dry run" if self.dry_run else ("committed" if self.committed else "NOT loaded")
        lines = [
            f"{self.source}: {head} — {c['insert']} new, {c['update']} updated, "
            f"{c['unchanged']} unchanged, {c['rejected']} rejected"
        ]
        lines += [f"  problem: {p}" for p in self.problems]
        lines += [f"  note: {n}" for n in self.notes]
        rejected = [r for r in self.rows if r.status == "rejected"]
        for r in rejected[:200]:
            lines.append(f"  row {r.row} ({r.code or '-'}): " + "; ".join(r.problems))
        if len(rejected) > 200:
            lines.append(f"  … and {len(rejected) - 200} more rejected rows")
        return "\n".join(lines)


@dataclass(frozen=True)
class UploadLimits:
    """Limits on what an import may unpack and read."""

    max_unzipped_bytes: int = 1_000_000_000
    max_zip_ratio: float = 200.0
    max_features: int = 1_000_000
    geometry: gc.GeometryLimits = field(default_factory=gc.GeometryLimits)

    @classmethod
    def from_settings(cls, s: Any) -> UploadLimits:
        """Limits from an ``EditSettings``."""
        return cls(
            s.max_unzipped_bytes,
            s.max_zip_ratio,
            s.max_import_features,
            gc.GeometryLimits.from_settings(s),
        )


# --- reading -------------------------------------------------------------------------------


@dataclass
class SourceTable:
    """A file read into columns, raw row values and geometries (in the file's CRS)."""

    columns: list[str]
    rows: list[dict[str, Any]]
    geoms: list[BaseGeometry | None] | None  # None: the file has no geometry at all
    geom_errors: dict[int, str] = field(default_factory=dict)
    crs: gc.DeclaredCrs | None = None
    points: bool = False  # geometries are lon/lat points from table columns
    encoding: str | None = None
    notes: list[str] = field(default_factory=list)


_CODECS = {
    "utf-8": "utf-8",
    "utf8": "utf-8",
    "gbk": "gbk",
    "cp936": "gbk",
    "936": "gbk",
    "gb2312": "gbk",
    "gb18030": "gb18030",
    "big5": "big5",
    "latin1": "latin-1",
    "iso-8859-1": "latin-1",
    "88591": "latin-1",
}


def _codec(name: str) -> str:
    key = name.strip().lower().replace("_", "-")
    return _CODECS.get(key, _CODECS.get(key.replace("-", ""), key))


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
        raise InvalidInput(
            f"{what}: the text is neither UTF-8 nor GBK/GB18030; declare the encoding"
        ) from None
    if not re.search(r"[\u4e00-\u9fff]", text):
        raise InvalidInput(
            f"{what}: the text is not UTF-8 and does not read as Chinese in GBK either; "
            "declare the encoding"
        )
    return "gb18030", f"{what}: no encoding declared; the text was detected as GBK (GB18030)"


def _dbf_text(dbf: Path) -> bytes:
    data = dbf.read_bytes()
    if len(data) < 32:
        raise InvalidInput(f"{dbf.name}: not a dBASE file")
    n = int.from_bytes(data[4:8], "little")
    header = int.from_bytes(data[8:10], "little")
    rec = int.from_bytes(data[10:12], "little")
    return data[header : header + n * rec]


def _shapefile_encoding(shp: Path, declared: str | None) -> tuple[str, list[str]]:
    """The GDAL encoding name for a shapefile's text, checked so that nothing is mojibake."""
    dbf = next((p for p in shp.parent.glob(shp.stem + ".*") if p.suffix.lower() == ".dbf"), None)
    if dbf is None:
        raise InvalidInput(f"{shp.name}: the .dbf file (attributes) is missing")
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
        text.decode(_codec(name))
    except (UnicodeDecodeError, LookupError):
        source = "given" if declared else f"declared by {cpg.name}"
        raise InvalidInput(
            f"{shp.name}: the text does not decode as {name} ({source}); "
            "give the right encoding (e.g. GBK)"
        ) from None
    return ("CP936" if _codec(name) == "gbk" else name), notes


def safe_unzip(archive: Path, dest: Path, limits: UploadLimits) -> list[Path]:
    """Unpack a zip after checking entry count, sizes and compression ratio (zip bombs)."""
    try:
        zf = zipfile.ZipFile(archive)
    except zipfile.BadZipFile:
        raise InvalidInput(f"{archive.name}: not a valid zip file") from None
    with zf:
        infos = [i for i in zf.infolist() if not i.is_dir()]
        if len(infos) > 1000:
            raise InvalidInput(f"{archive.name}: {len(infos)} files in the zip (at most 1000)")
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
        raise InvalidInput(
            f"{archive}: no .shp, .gpkg, .geojson, .csv or .xlsx file inside the zip"
        )
    shp = [f for f in found if f.suffix.lower() == ".shp"]
    if len(shp) > 1 or (not shp and len(found) > 1):
        names = ", ".join(sorted(f.name for f in (shp or found)))
        raise InvalidInput(f"{archive}: several data files in the zip ({names}); send one")
    return shp[0] if shp else found[0]


def _from_raw(meta: dict, geoms: Any, fields: list[np.ndarray]) -> tuple[list, list, dict]:
    names = [str(n) for n in meta["fields"]]
    n = len(geoms) if geoms is not None else (len(fields[0]) if fields else 0)
    rows = [{} for _ in range(n)]
    for name, values in zip(names, fields, strict=True):
        for i, v in enumerate(values.tolist() if hasattr(values, "tolist") else values):
            rows[i][name] = v
    errors: dict[int, str] = {}
    out: list[BaseGeometry | None] = []
    if geoms is not None:
        parsed = shapely.from_wkb(geoms, on_invalid="ignore")
        for i, (raw, g) in enumerate(zip(geoms, parsed, strict=True)):
            if g is None and raw is not None:
                try:
                    shapely.from_wkb(raw)
                except shapely.errors.GEOSException as e:
                    errors[i] = f"unreadable geometry: {str(e).split(': ', 1)[-1]}"
            out.append(g)
    return names, rows, {"geoms": out if geoms is not None else None, "errors": errors}


def _read_gis(path: Path, opts: ImportOptions, limits: UploadLimits) -> SourceTable:
    notes: list[str] = []
    encoding = None
    kw: dict[str, Any] = {}
    if path.suffix.lower() == ".shp":
        encoding, notes = _shapefile_encoding(path, opts.encoding)
        kw["encoding"] = encoding
    layer = None
    if path.suffix.lower() == ".gpkg":
        layers = [str(x[0]) for x in pyogrio.list_layers(path)]
        if len(layers) > 1:
            wanted = [x for x in layers if x in (opts.layer, LAYERS[opts.layer].table)]
            if not wanted:
                raise InvalidInput(
                    f"{path.name} holds several layers ({', '.join(layers)}); "
                    f"name one '{opts.layer}'"
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
        meta, _, geoms, fields = pyogrio.raw.read(path, layer=layer, datetime_as_string=True, **kw)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as e:
        raise InvalidInput(f"{path.name}: cannot read the file: {e}") from None
    columns, rows, g = _from_raw(meta, geoms, list(fields))
    crs = None
    if meta.get("crs"):
        crs = gc.crs_of(pyogrio_crs(meta["crs"]))
    if path.suffix.lower() in (".geojson", ".json") and crs is not None:
        head = path.read_bytes()[:4096]
        if b'"crs"' not in head:
            notes.append(f"{path.name}: no crs member; coordinates are WGS84 lon/lat (RFC 7946)")
    if path.suffix.lower() == ".xlsx":
        rows = _unquoted(rows)
    if path.suffix.lower() == ".xlsx" or (g["geoms"] is None and path.suffix.lower() != ".shp"):
        return _table_geometry(columns, rows, encoding or "UTF-8", notes, path.name)
    return SourceTable(
        columns, rows, g["geoms"], g["errors"], crs, encoding=encoding or "UTF-8", notes=notes
    )


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
        codec = _codec(opts.encoding)
    else:
        codec, note = _detect_text_encoding(data, path.name)
        notes += [note] if note else []
    try:
        text = data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        raise InvalidInput(f"{path.name}: the text does not decode as {codec}") from None
    sample = text[:8192]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text, newline=""), dialect=dialect)
    columns = [c.strip() for c in (reader.fieldnames or [])]
    if not columns:
        raise InvalidInput(f"{path.name}: no header row")
    rows = []
    for i, r in enumerate(reader):
        if i >= limits.max_features:
            raise PayloadTooLarge(f"{path.name}: more than {limits.max_features:,} rows")
        rows.append({k.strip(): v for k, v in r.items() if k is not None})
    return _table_geometry(columns, _unquoted(rows), codec, notes, path.name)


def _unquoted(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Spreadsheet rows with the ``'`` the exports put before formula-like text taken off."""
    return [{k: unquote_cell(v) for k, v in r.items()} for r in rows]


def _table_geometry(
    columns: list[str], rows: list[dict[str, Any]], encoding: str, notes: list[str], name: str
) -> SourceTable:
    """Geometry of a table from a WKT column or lon/lat columns (with the CRS they imply)."""
    lower = {c.lower(): c for c in columns}
    wkt_col = next((lower[c] for c in _WKT_COLUMNS if c in lower), None)
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
                errors[i] = f"unreadable WKT: {str(e).split(': ', 1)[-1]}"
        if wkt_col.lower() in _IMPLIED_CRS:
            crs = gc.parse_crs(_IMPLIED_CRS[wkt_col.lower()])
        columns = [c for c in columns if c != wkt_col]
        return SourceTable(columns, rows, geoms, errors, crs, encoding=encoding, notes=notes)
    pair = next(
        ((lower[a], lower[b]) for a, b in _LONLAT_COLUMNS if a in lower and b in lower), None
    )
    if pair is None:
        notes.append(f"{name}: no geometry (no WKT or lon/lat columns): attributes only")
        return SourceTable(columns, rows, None, {}, None, encoding=encoding, notes=notes)
    if pair[0].lower() in _IMPLIED_CRS:
        crs = gc.parse_crs(_IMPLIED_CRS[pair[0].lower()])
    geoms, errors = [], {}
    for i, r in enumerate(rows):
        x, y = r.pop(pair[0], None), r.pop(pair[1], None)
        try:
            fx, fy = float(x), float(y)
        except (TypeError, ValueError):
            geoms.append(None)
            if x not in (None, "") or y not in (None, ""):
                errors[i] = f"lon/lat ({x!r}, {y!r}) are not numbers"
            continue
        geoms.append(shapely.Point(fx, fy))
    columns = [c for c in columns if c not in pair]
    notes.append(f"{name}: positions from columns {pair[0]}/{pair[1]} (points)")
    return SourceTable(
        columns, rows, geoms, errors, crs, points=True, encoding=encoding, notes=notes
    )


def read_source(path: Path, work: Path, opts: ImportOptions, limits: UploadLimits) -> SourceTable:
    """Read an import file (a zip is unpacked into ``work`` first, safely)."""
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
                    raise InvalidInput(f"{path.name}: the {ext} file is missing")
        return _read_gis(path, opts, limits)
    raise InvalidInput(
        f"{path.name}: unsupported file type; send .gpkg, .zip (Shapefile), .geojson, .csv or .xlsx"
    )


# --- mapping and values --------------------------------------------------------------------


def map_columns(
    columns: list[str], layer: ImportLayer, mapping: Mapping[str, str]
) -> tuple[dict[str, str], list[str], list[str]]:
    """Column → field (or preset pseudo-field); the ignored columns; problems with the mapping."""
    out: dict[str, str] = {}
    ignored: list[str] = []
    problems: list[str] = []
    for src, dst in mapping.items():
        if src not in columns:
            problems.append(f"mapping names column {src!r}, which the file does not have")
        elif dst not in ("", "-") and dst not in layer.fields and dst not in _PSEUDO:
            problems.append(f"mapping {src!r} → {dst!r}: no such field in {layer.name}")
    for col in columns:
        key = col.strip().lower()
        if col in mapping:
            target = mapping[col]
            if target in ("", "-"):
                ignored.append(col)
            else:
                out[col] = target
        elif key in layer.fields:
            out[col] = key
        elif layer.name == "sites" and key in _FROM_SHP and _FROM_SHP[key] in layer.fields:
            out[col] = _FROM_SHP[key]
        elif layer.name == "sites" and key in PRESET_ALIASES:
            out[col] = PRESET_ALIASES[key]
        else:
            ignored.append(col)
    landuse_cols = [c for c, t in out.items() if t == "_landuse"]
    if len(landuse_cols) > 1:  # e.g. YDXZ (name) beside YDXZDH (code): read the code column
        coded = [c for c in landuse_cols if c.lower().endswith(("dh", "dm", "代码"))]
        keep = (coded or landuse_cols)[0]
        for c in landuse_cols:
            if c != keep:
                del out[c]
                ignored.append(c)
    seen: dict[str, str] = {}
    for col, target in out.items():
        for f in _PSEUDO.get(target, (target,)):
            if f in seen:
                problems.append(f"columns {seen[f]!r} and {col!r} both map to {f}")
            seen.setdefault(f, col)
    return out, ignored, problems


# Indicator cells read like "1.2-2.0", "≤2.0", "≥40%", "24米": unsigned numbers, any separator.
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def _numbers(value: Any) -> list[float]:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return [float(value)] if math.isfinite(value) else []
    return [float(x) for x in _NUMBER.findall(str(value))]


def _pseudo(target: str, value: Any, opts: ImportOptions) -> dict[str, Any]:
    """Values of the fields behind a preset column (``_far`` → far_min/far_max …)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return {}
    text = str(value).strip()
    if target == "_landuse":
        code = text.upper() if text[:1].isalpha() else text
        if landuse.is_valid("2023", code):
            return {"planned_use": code}
        if landuse.is_valid("gb50137", code):
            return {"legacy_use": code}
        for system, target_field in (("2023", "planned_use"), ("gb50137", "legacy_use")):
            hits = [c.code for c in landuse._table(system).values() if c.zh == text]
            if len(hits) == 1:
                return {target_field: hits[0]}
        raise FieldError(
            f"unknown land-use code {text!r} (neither the 2023 classification nor GB 50137)"
        )
    if target == "_dlmc":
        for system in ("sandiao", "2023"):
            hits = [c for c in landuse._table(system).values() if c.zh == text]
            if hits:
                if system == "sandiao":
                    return {"current_use": hits[0].code}
                raise FieldError(f"地类名称 {text!r} is a planning class, not a 三调 current use")
        raise FieldError(f"unknown 地类名称 {text!r} (not a 三调 class name)")
    nums = _numbers(value)
    if not nums:
        raise FieldError(f"expected a number, got {value!r}")
    if target == "_area":
        factor = {"m2": 1 / vocab.M2_PER_MU, "mu": 1.0, "ha": vocab.MU_PER_HA}[opts.area_unit]
        return {"declared_area_mu": round(nums[0] * factor, 4)}
    if target == "_far":
        if len(nums) >= 2:
            return {"far_min": nums[0], "far_max": nums[1]}
        if any(s in text for s in ("≥", ">=", ">", "不小于", "不低于")):
            return {"far_min": nums[0]}
        return {"far_max": nums[0]}
    pct = nums[0] * 100 if (nums[0] <= 1 and "%" not in text) else nums[0]
    if target == "_coverage":
        return {"coverage_min_pct": pct}
    if target == "_green":
        return {"green_max_pct": pct}
    return {"height_limit_m": nums[0]}  # _height


def _blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _row_values(
    layer: ImportLayer,
    raw: dict[str, Any],
    columns: dict[str, str],
    where: str,
    opts: ImportOptions,
    problems: list[str],
) -> dict[str, Any]:
    props: dict[str, Any] = {}
    for col, target in columns.items():
        value = raw.get(col)
        if isinstance(value, bytes):
            problems.append(f"{where}: column {col}: binary value")
            continue
        if target in _PSEUDO:
            try:
                props.update(_pseudo(target, value, opts))
            except FieldError as e:
                problems.append(f"{where}: column {col}: {e}")
        elif layer.fields[target].required and _blank(value):
            continue  # a blank required cell keeps the stored value (a new row must have it)
        else:
            props[target] = value
    values = check_values(layer.fields, props, where, problems, only_given=True)
    check_cross_fields(layer.fields, values, where, problems)
    return values


# --- the import ----------------------------------------------------------------------------


def _resolve_crs(src: SourceTable, opts: ImportOptions, name: str) -> gc.DeclaredCrs:
    given = gc.parse_crs(opts.crs) if opts.crs else None
    if given is None and src.crs is None:
        raise InvalidInput(
            f"{name} declares no CRS: give one (EPSG:4490 CGCS2000, EPSG:4326 WGS84, "
            "EPSG:4550 Gauss-Krüger 123°E …, or gcj02)"
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
        "drop the option or fix the file"
    )


def prepare(
    path: Path,
    opts: ImportOptions,
    limits: UploadLimits,
    outline: BaseGeometry | None,
    work: Path,
    progress: Progress | None = None,
) -> Prepared:
    """Read and check a file without the database: report, clean values, geometries, fields."""
    layer = LAYERS.get(opts.layer)
    if layer is None:
        raise InvalidInput(f"unknown layer {opts.layer!r}; choose {', '.join(LAYERS)}")
    if opts.area_unit not in ("m2", "mu", "ha"):
        raise InvalidInput(f"area unit must be m2, mu or ha, not {opts.area_unit!r}")
    report = ImportReport(path.name, layer.name, dry_run=opts.dry_run)
    tick = progress or (lambda *_: None)
    tick("reading", 0, 1)
    src = read_source(path, work, opts, limits)
    report.encoding = src.encoding
    report.notes += src.notes
    columns, ignored, problems = map_columns(src.columns, layer, opts.mapping)
    report.columns, report.problems = columns, problems
    labels = [c for c in ignored if c.lower() in _LABEL_COLUMNS]
    derived = [c for c in ignored if c.lower() in DERIVED_COLUMNS]
    unknown = [c for c in ignored if c not in labels and c not in derived and c not in opts.mapping]
    report.ignored_columns = ignored
    if labels:
        report.notes.append(f"label columns ignored (the codes are read): {', '.join(labels)}")
    if derived:
        report.notes.append(f"derived columns ignored (kept by the database): {', '.join(derived)}")
    if unknown:
        report.notes.append(f"unknown columns ignored: {', '.join(unknown)}")
    if "code" not in columns.values():
        report.problems.append(
            f"no code column (DKBH/地块编号/code); map one with code=COLUMN. Columns: "
            f"{', '.join(src.columns)}"
        )
    n = len(src.rows)
    if n == 0:
        report.problems.append(f"{path.name} holds no rows")
    if report.problems:
        return Prepared(report, [], [], [], False)
    crs = _resolve_crs(src, opts, path.name)
    report.crs = crs.describe()
    tick("checking", 0, n)
    values: list[dict[str, Any]] = []
    for i, raw in enumerate(src.rows):
        problems_i: list[str] = []
        code = raw.get(next(c for c, t in columns.items() if t == "code"))
        where = f"row {i + 1}" + (f" ({code})" if code not in (None, "") else "")
        v = _row_values(layer, raw, columns, where, opts, problems_i)
        rep = RowReport(i + 1, v.get("code"), problems=[p.split(": ", 1)[1] for p in problems_i])
        if i in src.geom_errors:
            rep.problems.append(src.geom_errors[i])
        report.rows.append(rep)
        values.append(v)
        if i % 5000 == 0:
            tick("checking", i, n)
    geoms: list[BaseGeometry | None] = [None] * n
    if src.geoms is not None and not src.points:
        todo = [i for i in range(n) if i not in src.geom_errors]
        checked = gc.check_geometries(
            [src.geoms[i] for i in todo],
            crs,
            outline=outline,
            limits=limits.geometry,
            repair_invalid=opts.repair,
            must_cover=layer.must_cover,
        )
        for i, c in zip(todo, checked, strict=True):
            report.rows[i].problems += c.problems
            report.rows[i].notes += c.notes
            geoms[i] = c.geom
    elif src.geoms is not None:
        pts = [g for g in src.geoms]
        stored = gc.to_storage(np.asarray(pts, dtype=object), crs) if pts else []
        for i, g in enumerate(stored):
            if g is not None and not np.isfinite(shapely.get_coordinates(g)).all():
                report.rows[i].problems.append("lon/lat cannot be transformed")
            else:
                geoms[i] = g
    seen: dict[str, int] = {}
    for i, v in enumerate(values):
        code = v.get("code")
        if code is None:
            continue
        if code in seen:
            j = seen[code]
            report.rows[i].problems.append(f"duplicate code {code!r} (also row {j + 1})")
            if not any("duplicate code" in p for p in report.rows[j].problems):
                report.rows[j].problems.append(f"duplicate code {code!r} (also row {i + 1})")
        else:
            seen[code] = i
    fields = sorted({f for v in values for f in v} - {"code"})
    return Prepared(report, values, geoms, fields, src.points)


@dataclass
class Prepared:
    """A checked file: the report so far, clean values and geometries (EPSG:4490) per row."""

    report: ImportReport
    values: list[dict[str, Any]]
    geoms: list[BaseGeometry | None]
    fields: list[str]
    points: bool


def _status_of(row: Mapping[str, Any]) -> dict[str, Any]:
    return {f: row.get(f) for f in transitions.STATUS_FIELDS}


def run_import(
    engine: sa.Engine,
    path: Path,
    opts: ImportOptions,
    *,
    user: str,
    limits: UploadLimits | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Check a file and, if every row is fine and it is not a dry run, apply it atomically."""
    limits = limits or UploadLimits()
    tick = progress or (lambda *_: None)
    layer = LAYERS.get(opts.layer)
    if layer is None:
        raise InvalidInput(f"unknown layer {opts.layer!r}; choose {', '.join(LAYERS)}")
    with engine.connect() as conn:
        outline = gc.prepared_outline(q.jurisdiction_outline(conn), 1e-5)
    with tempfile.TemporaryDirectory(prefix="gis_app_import_") as tmp:
        prep = prepare(path, opts, limits, outline, Path(tmp), tick)
    report = prep.report
    if report.problems:
        return report
    n = len(prep.values)
    with engine.connect() as conn:
        try:
            with q.translate_db_errors(f"import of {path.name}"):
                _apply(conn, layer, prep, opts, user, tick)
        except BaseException:
            conn.rollback()
            raise
        if report.ok and not opts.dry_run:
            tick("committing", n, n)
            conn.commit()
            report.committed = True
        else:
            conn.rollback()
    tick("done", n, n)
    return report


def _apply(
    conn: sa.Connection,
    layer: ImportLayer,
    prep: Prepared,
    opts: ImportOptions,
    user: str,
    tick: Progress,
) -> None:
    """Stage the rows, compare them with the database, and (if all is well) write them."""
    report, values, geoms, points = prep.report, prep.values, prep.geoms, prep.points
    n = len(values)
    q.set_edit_context(conn, user, opts.note or f"import {report.source}", opts.doc_ref)
    # A large file legitimately runs longer than an API statement; locks still time out fast.
    q.no_statement_timeout(conn)
    cols = [f for f in prep.fields if f in layer.fields]
    q.create_stage(conn, layer.table, cols)
    tick("staging", 0, n)
    q.fill_stage(
        conn,
        cols,
        [
            (i + 1, v.get("code"), g, [v.get(c) for c in cols])
            for i, (v, g) in enumerate(zip(values, geoms, strict=True))
        ],
        points=points,
        progress=lambda k: tick("staging", k, n),
    )
    tick("comparing", 0, n)
    status_cols = [f for f in transitions.STATUS_FIELDS if layer.table == "site"]
    current = q.compare_stage(conn, layer.table, cols, status_cols, GEOM_TOLERANCE_DEG)
    candidates_blocking: list[int] = []
    to_insert: list[int] = []
    to_update: list[int] = []
    geom_rows: list[int] = []
    required = [f for f, spec in layer.fields.items() if spec.required]
    for i, rep in enumerate(report.rows):
        cur = current.get(i + 1)
        v = values[i]
        if rep.problems or v.get("code") is None:
            if v.get("code") is None and not any("code" in p for p in rep.problems):
                rep.problems.append("no code")
            continue
        if cur is None or cur["id"] is None:
            missing = [f for f in required if v.get(f) is None]
            if missing:
                rep.problems.append(f"a new {layer.name[:-1]} needs {', '.join(missing)}")
            if geoms[i] is None or points:
                rep.problems.append(
                    "a new record needs a polygon (a GIS file or a WKT column); "
                    + ("a lon/lat point is not enough" if points else "this row has none")
                )
            if not rep.problems:
                rep.status = "insert"
                rep.changed = sorted(v)
                to_insert.append(i + 1)
                if layer.table == "site" and v.get("availability") == "available":
                    candidates_blocking.append(i + 1)
            continue
        if cur.get("retired"):
            rep.problems.append("the site was retired (split or merged); import its successors")
            continue
        changed = list(cur["changed"])
        if points and geoms[i] is not None:
            d = cur.get("point_distance_m")
            if d is not None and d > POINT_TOLERANCE_M:
                rep.problems.append(
                    f"the lon/lat lies {d:.0f} m from the site (more than {POINT_TOLERANCE_M:g} "
                    "m): wrong CRS or swapped columns?"
                )
                continue
        elif cur.get("geom_changed"):
            changed.append("geom")
            geom_rows.append(i + 1)
        if layer.table == "site":
            requested = {f: v[f] for f in v if f in transitions.STATUS_FIELDS}
            try:
                transitions.check_changes(
                    f"row {i + 1} ({v['code']})", _status_of(cur), requested, opts.note
                )
            except (ReasonRequired, TransitionRefused) as e:
                rep.problems.append(str(e).split(": ", 1)[1] + " (use --note)")
                continue
            final_available = v.get("availability", cur.get("availability")) == "available"
            if final_available and (
                "geom" in changed
                or ("availability" in changed and cur.get("availability") != "available")
            ):
                candidates_blocking.append(i + 1)
        rep.changed = sorted(changed)
        rep.status = "update" if changed else "unchanged"
        if changed:
            to_update.append(i + 1)
    if candidates_blocking:
        for rownum, text in q.stage_blocking(conn, candidates_blocking).items():
            rep = report.rows[rownum - 1]
            rep.problems.append(
                f"cannot be available: it {text}; import it with another availability or fix "
                "the geometry"
            )
            rep.status = "rejected"
    for rep in report.rows:
        if rep.problems:
            rep.status = "rejected"
    if not report.ok or opts.dry_run:
        return
    tick("writing", 0, n)
    ok = {r.row for r in report.rows if r.status != "rejected"}
    q.apply_stage(
        conn,
        layer.table,
        cols,
        insert_rows=[r for r in to_insert if r in ok],
        update_rows=[r for r in to_update if r in ok],
        geom_rows=[r for r in geom_rows if r in ok],
        progress=lambda k: tick("writing", k, len(to_insert) + len(to_update)),
    )


# --- export --------------------------------------------------------------------------------

EXPORT_FORMATS: dict[str, tuple[str, str]] = {
    "gpkg": (".gpkg", "application/geopackage+sqlite3"),
    "geojson": (".geojson", "application/geo+json"),
    "shp": (".zip", "application/zip"),
    "csv": (".csv", "text/csv; charset=utf-8"),
    "xlsx": (".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}
_EXPORT_COLUMNS = [c for c in SITE_PROPERTY_COLUMNS]
_LIST_FIELDS = ("utilities", "photo_urls")


def _label(fieldname: str, key: Any) -> str | None:
    if key is None:
        return None
    src = _LABELLED[fieldname]
    try:
        if isinstance(src, str):
            return landuse.label(src, key)
        return src.term(key).zh
    except Exception:  # an unknown stored code gets no label rather than failing the export
        return None


def _export_frame(conn: sa.Connection, flt: SiteFilter, max_sites: int) -> gpd.GeoDataFrame:
    rows, total = q.export_rows(conn, flt, _EXPORT_COLUMNS, max_sites)
    if total > max_sites:
        raise InvalidInput(
            f"the selection holds {total} sites, more than the export limit of {max_sites}; "
            "narrow the filter"
        )
    geoms = [shapely.from_wkb(bytes(r.pop("geom_wkb"))) for r in rows]
    df = pd.DataFrame(rows, columns=_EXPORT_COLUMNS)
    for c in _LIST_FIELDS:
        df[c] = df[c].map(lambda v: ",".join(v) if isinstance(v, list) else v)
    for c in ("verified_at", "created_at", "updated_at"):
        df[c] = df[c].map(lambda v: v.isoformat() if isinstance(v, dt.date) else v)
    for f in _LABELLED:
        df.insert(df.columns.get_loc(f) + 1, f"{f}_zh", df[f].map(lambda k, f=f: _label(f, k)))
    return gpd.GeoDataFrame(df, geometry=geoms, crs=f"EPSG:{SRID}")


def _spreadsheet_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with text that a spreadsheet would evaluate kept as text (``'`` before it)."""
    for c in frame.columns:
        if not pd.api.types.is_numeric_dtype(frame[c]):  # object or (pandas 3) str columns
            frame[c] = frame[c].map(safe_cell)
    return frame


def export_sites(
    conn: sa.Connection, flt: SiteFilter, fmt: str, folder: Path, max_sites: int = 100_000
) -> tuple[Path, list[str]]:
    """Write the sites matching ``flt`` to a file in ``folder``; the file and notes."""
    if fmt not in EXPORT_FORMATS:
        raise InvalidInput(f"format must be one of {', '.join(EXPORT_FORMATS)}, not {fmt!r}")
    gdf = _export_frame(conn, flt, max_sites)
    notes: list[str] = []
    stamp = dt.date.today().strftime("%Y%m%d")
    base = folder / f"sites_{stamp}"
    if fmt == "gpkg":
        out = base.with_suffix(".gpkg")
        pyogrio.write_dataframe(gdf, out, layer="sites", driver="GPKG")
    elif fmt == "geojson":
        out = base.with_suffix(".geojson")
        pyogrio.write_dataframe(
            gdf.to_crs(4326), out, driver="GeoJSON", layer_options={"RFC7946": "YES"}
        )
    elif fmt == "csv":
        out = base.with_suffix(".csv")
        frame = _spreadsheet_cells(pd.DataFrame(gdf.drop(columns="geometry")))
        frame["wkt_epsg4490"] = shapely.to_wkt(gdf.geometry.values, rounding_precision=-1)
        pts = gdf.geometry.representative_point().to_crs(4326)
        frame["lon_wgs84"], frame["lat_wgs84"] = pts.x.round(7), pts.y.round(7)
        frame.to_csv(out, index=False, encoding="utf-8-sig")
    elif fmt == "xlsx":
        out = base.with_suffix(".xlsx")
        frame = _spreadsheet_cells(pd.DataFrame(gdf.drop(columns="geometry")))
        pts = gdf.geometry.representative_point().to_crs(4326)
        frame["lon_wgs84"], frame["lat_wgs84"] = pts.x.round(7), pts.y.round(7)
        pyogrio.write_dataframe(frame, out, driver="XLSX", layer="sites")
    else:
        out, notes = _write_shapefile(gdf, base)
    return out, notes


def _write_shapefile(gdf: gpd.GeoDataFrame, base: Path) -> tuple[Path, list[str]]:
    notes = []
    names = {**SHP_NAMES, **{f"{f}_zh": n for f, n in _SHP_LABEL_NAMES.items()}}
    frame = gdf.rename(columns=names)
    dropped = []
    for col in list(frame.columns):
        if col == "geometry" or frame[col].dtype != object:
            continue
        longest = frame[col].map(lambda v: len(str(v).encode()) if v is not None else 0).max()
        if longest and longest > 254:
            dropped.append(col)
    if dropped:
        frame = frame.drop(columns=dropped)
        originals = [k for k, v in names.items() if v in dropped]
        notes.append("Shapefile text is limited to 254 bytes; left out: " + ", ".join(originals))
    folder = base.parent / f"{base.name}_shp"
    folder.mkdir()
    shp = folder / "sites.shp"
    pyogrio.write_dataframe(frame, shp, driver="ESRI Shapefile", encoding="UTF-8")
    (folder / "sites.cpg").write_text("UTF-8", encoding="ascii")
    out = base.with_suffix(".zip")
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(folder.iterdir()):
            zf.write(f, f.name)
    shutil.rmtree(folder)
    return out, notes


def report_json(report: ImportReport, max_rows: int = 1000) -> str:
    """The report as JSON text."""
    return json.dumps(report.as_dict(max_rows), ensure_ascii=False, default=str)
