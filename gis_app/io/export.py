"""Export of sites to GeoPackage, GeoJSON, zipped Shapefile, CSV and XLSX, and the file layout
that imports read back.

A filtered selection is written with the officer-facing fields (no internal ones) and the
Chinese labels of coded values beside the codes (``<field>_zh``): GeoPackage and Shapefile in
EPSG:4490, GeoJSON per RFC 7946 (WGS84), CSV (UTF-8 with BOM, WKT in EPSG:4490 and a WGS84
point) and XLSX (a WGS84 point). Shapefile field names are at most 10 characters: a fixed,
reversible abbreviation per field (:data:`SHP_NAMES`, declared in the field registry), which
:mod:`gis_app.io.imports` maps back, so importing an export changes nothing. The caller owns
the connection and its transaction; export only reads.
"""

from __future__ import annotations

import datetime as dt
import shutil
import zipfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
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
}
_EXPORT_COLUMNS = [c for c in SITE_PROPERTY_COLUMNS]
_LIST_FIELDS = ("utilities", "photo_urls")


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


def _export_frame(conn: sa.Connection, flt: SiteFilter, max_sites: int) -> gpd.GeoDataFrame:
    rows, total = edit_queries.export_rows(conn, flt, _EXPORT_COLUMNS, max_sites)
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
    for f in LABELLED:
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
    names = {**SHP_NAMES, **{f"{f}_zh": n for f, n in SHP_LABEL_NAMES.items()}}
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
