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
"""

from __future__ import annotations

import datetime as dt
import shutil
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import shapely
import sqlalchemy as sa

from gis_app.db import edit_queries
from gis_app.db.models import SRID
from gis_app.db.site_queries import SITE_PROPERTY_COLUMNS, SiteFilter
from gis_app.domain import fields, landuse, vocab
from gis_app.domain.errors import InvalidInput
from gis_app.io.spreadsheet import safe_cell

#: fields whose values have Chinese labels in exports (vocabulary or land-use system): the
#: registry's fields with a Shapefile name for their label column
LABELLED: dict[str, vocab.Vocabulary | str] = {
    n: f.vocabulary or f.landuse_system or ""
    for n, f in fields.SITE.items()
    if f.shp_label is not None
}

#: columns an export carries that are derived or kept by the database: ignored on import
DERIVED_COLUMNS = frozenset(fields.names(fields.SITE, managed=True)) | {
    "fid",
    "distances_m",
    "building_count",
    "parent_ids",
    "retired_at",
    "lon_wgs84",
    "lat_wgs84",
}

# Shapefile field names are at most 10 characters: a fixed, reversible abbreviation per field
# (and per Chinese label column), declared in the registry.
SHP_NAMES: dict[str, str] = {n: f.shp for n, f in fields.SITE.items() if f.shp is not None}
SHP_LABEL_NAMES: dict[str, str] = {
    n: f.shp_label for n, f in fields.SITE.items() if f.shp_label is not None
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
_EXPORT_COLUMNS = [c for c in SITE_PROPERTY_COLUMNS]
_LIST_FIELDS = ("utilities", "photo_urls")
_DATE_FIELDS = ("verified_at", "created_at", "updated_at")

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


def _label(fieldname: str, key: Any) -> str | None:
    if key is None:
        return None
    src = LABELLED[fieldname]
    try:
        if isinstance(src, str):
            return landuse.label(src, key)
        return src.term(key).zh
    except Exception:  # an unknown stored code gets no label rather than failing the export
        return None


def _export_frame(
    conn: sa.Connection, flt: SiteFilter, max_sites: int, *, dates_as_text: bool = True
) -> gpd.GeoDataFrame:
    rows, total = edit_queries.export_rows(conn, flt, _EXPORT_COLUMNS, max_sites)
    if total > max_sites:
        raise InvalidInput(
            f"the selection holds {total} sites, more than the export limit of {max_sites}; "
            "narrow the filter",
            code="too_many_sites",
            params={"count": total, "max": max_sites},
        )
    geoms = [shapely.from_wkb(bytes(r.pop("geom_wkb"))) for r in rows]
    df = pd.DataFrame(rows, columns=_EXPORT_COLUMNS)
    for c in _LIST_FIELDS:
        df[c] = df[c].map(lambda v: ",".join(v) if isinstance(v, list) else v)
    if dates_as_text:
        for c in _DATE_FIELDS:
            df[c] = df[c].map(lambda v: v.isoformat() if isinstance(v, dt.date) else v)
    for f in LABELLED:
        df.insert(df.columns.get_loc(f) + 1, f"{f}_zh", df[f].map(lambda k, f=f: _label(f, k)))
    return gpd.GeoDataFrame(df, geometry=geoms, crs=f"EPSG:{SRID}")


def _spreadsheet_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with text that a spreadsheet would evaluate kept as text (``'`` before it)."""
    for c in frame.columns:
        if not pd.api.types.is_numeric_dtype(frame[c]):  # object or (pandas 3) str columns
            frame[c] = frame[c].map(safe_cell)
    return frame


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
    max_sites: int = 100_000,
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
    (what was searched), and holds at most :data:`PDF_MAX_SITES` sites.
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
    gdf = _export_frame(conn, flt, max_sites, dates_as_text=fmt not in ("gpkg", "xlsx", "pdf"))
    if to_crs is not None and fmt != "xlsx":
        gdf = gdf.to_crs(to_crs)
    stamp = dt.date.today().strftime("%Y%m%d")
    base = folder / f"sites_{stamp}"
    if fmt == "gpkg":
        out = base.with_suffix(".gpkg")
        _write_gpkg(gdf, out)
    elif fmt == "geojson":
        out = base.with_suffix(".geojson")
        if to_crs is None or to_crs.to_epsg() == 4326:
            pyogrio.write_dataframe(
                gdf.to_crs(4326), out, driver="GeoJSON", layer_options={"RFC7946": "YES"}
            )
        else:  # a named CRS is not RFC 7946 (WGS84 only): GDAL writes the crs member
            pyogrio.write_dataframe(gdf, out, driver="GeoJSON")
            notes.append(f"GeoJSON in EPSG:{to_crs.to_epsg()} (not RFC 7946, which is WGS84)")
    elif fmt == "csv":
        out = base.with_suffix(".csv")
        frame = _spreadsheet_cells(pd.DataFrame(gdf.drop(columns="geometry")))
        frame[wkt_column(to_crs.to_epsg() if to_crs else SRID)] = shapely.to_wkt(
            gdf.geometry.values, rounding_precision=-1
        )
        pts = gdf.geometry.representative_point().to_crs(4326)
        frame["lon_wgs84"], frame["lat_wgs84"] = pts.x.round(7), pts.y.round(7)
        _write_csv(frame, out, headers)
    elif fmt == "xlsx":
        out = base.with_suffix(".xlsx")
        frame = _spreadsheet_cells(pd.DataFrame(gdf.drop(columns="geometry")))
        pts = gdf.geometry.representative_point().to_crs(4326)
        frame["lon_wgs84"], frame["lat_wgs84"] = pts.x.round(7), pts.y.round(7)
        from gis_app.io.workbook import write_workbook

        write_workbook(frame, out, headers, sheet_url=sheet_url)
    elif fmt == "pdf":
        from gis_app.io.site_list_pdf import site_list_pdf

        out = base.with_suffix(".pdf")
        outline = edit_queries.jurisdiction_outline(conn)
        out.write_bytes(
            site_list_pdf(gdf, outline, title=title, sheet_url=sheet_url, colours=colours)
        )
    else:
        out, more = _write_shapefile(gdf, base, shp_encoding)
        notes += more
    return out, notes


def _write_gpkg(gdf: gpd.GeoDataFrame, out: Path) -> None:
    """GeoPackage 1.2 with dates as Date fields and times as DateTime with their offset.

    Version 1.2: GDAL 3.6 (Debian 12's) warns on the 1.4 that newer GDAL writes. pyogrio's
    data-frame writer has no Date type (pandas has no day-resolution datetimes), so the
    columns go to its array writer, as the data-frame writer passes them, with the dates as
    ``datetime64[D]``.
    """
    names = [c for c in gdf.columns if c != gdf.geometry.name]
    data: list[Any] = []
    masks: list[Any] = []
    offsets: dict[str, np.ndarray] = {}
    for name in names:
        col = gdf[name]
        mask = None
        if fields.SITE.get(name, _NO_FIELD).type == "date":
            values = np.array(
                [np.datetime64(v, "D") if isinstance(v, dt.date) else None for v in col],
                dtype="datetime64[D]",
            )
        elif fields.SITE.get(name, _NO_FIELD).type == "datetime":
            stamps = [v if isinstance(v, dt.datetime) else None for v in col]
            values = np.array(
                [np.datetime64(v.replace(tzinfo=None), "us") if v else None for v in stamps],
                dtype="datetime64[us]",
            )
            # GDAL's offset: 100 is UTC, one step per 15 minutes (RFC 56)
            offsets[name] = np.array(
                [
                    100 + (v.utcoffset() or dt.timedelta()) // dt.timedelta(minutes=15) if v else 0
                    for v in stamps
                ],
                dtype=np.int16,
            )
        elif isinstance(col.array, pd.api.extensions.ExtensionArray) and not isinstance(
            col.array, pd.arrays.NumpyExtensionArray
        ):
            values, mask = np.asarray(col.array, dtype=object), np.asarray(col.isna())
        else:
            values = col.to_numpy()
        data.append(values)
        masks.append(mask)
    pyogrio.raw.write(
        out,
        shapely.to_wkb(gdf.geometry.values),
        data,
        names,
        field_mask=masks,
        layer="sites",
        driver="GPKG",
        geometry_type="MultiPolygon",
        crs=gdf.crs.to_wkt(),
        dataset_options={"VERSION": "1.2"},
        gdal_tz_offsets=offsets,
    )


_NO_FIELD = fields.Field("text")


def _write_csv(frame: pd.DataFrame, out: Path, headers: str) -> None:
    """CSV for Excel/WPS (UTF-8 with BOM); Chinese headers get a documentation row."""
    columns = list(frame.columns)
    frame = frame.rename(columns={c: column_header(c, headers) for c in columns})
    if headers == "zh":
        doc = {column_header(c): DOC_PREFIX + _doc_text(column_doc(c)) for c in columns}
        frame = pd.concat([pd.DataFrame([doc]), frame], ignore_index=True)
    frame.to_csv(out, index=False, encoding="utf-8-sig")


def _doc_text(doc: dict[str, str]) -> str:
    parts = [doc["meaning"]]
    if doc.get("unit"):
        parts.append(f"单位 {doc['unit']}")
    if doc.get("allowed"):
        parts.append(f"可选值 {doc['allowed']}")
    parts.append(f"字段 {doc['key']}")
    return "；".join(p for p in parts if p)


def _write_shapefile(
    gdf: gpd.GeoDataFrame, base: Path, encoding: str = "UTF-8"
) -> tuple[Path, list[str]]:
    notes = []
    codec = "utf-8" if encoding == "UTF-8" else "gbk"
    names = {**SHP_NAMES, **{f"{f}_zh": n for f, n in SHP_LABEL_NAMES.items()}}
    frame = gdf.rename(columns=names)
    if codec == "gbk":
        bad = []
        for col in frame.columns:
            if col == "geometry" or not pd.api.types.is_string_dtype(frame[col]):
                continue
            for code, v in zip(gdf["code"], frame[col], strict=True):
                if isinstance(v, str):
                    try:
                        v.encode(codec)
                    except UnicodeEncodeError:
                        bad.append(f"{code} {col}")
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
    dropped = []
    for col in list(frame.columns):
        if col == "geometry" or not pd.api.types.is_string_dtype(frame[col]):
            continue
        longest = frame[col].map(lambda v: len(str(v).encode(codec)) if v is not None else 0).max()
        if longest and longest > 254:
            dropped.append(col)
    if dropped:
        frame = frame.drop(columns=dropped)
        originals = [k for k, v in names.items() if v in dropped]
        notes.append("Shapefile text is limited to 254 bytes; left out: " + ", ".join(originals))
    folder = base.parent / f"{base.name}_shp"
    folder.mkdir()
    shp = folder / "sites.shp"
    gdal_encoding = "UTF-8" if codec == "utf-8" else "CP936"
    pyogrio.write_dataframe(frame, shp, driver="ESRI Shapefile", encoding=gdal_encoding)
    # GDAL writes no .cpg for CP936; older software reads the code page from it
    for cpg in folder.glob("*.cpg"):
        cpg.unlink()
    (folder / "sites.cpg").write_text(encoding, encoding="ascii")
    out = base.with_suffix(".zip")
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(folder.iterdir()):
            zf.write(f, f.name)
    shutil.rmtree(folder)
    return out, notes
