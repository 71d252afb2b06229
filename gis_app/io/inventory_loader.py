"""Load an inventory folder (the sample data, or a district's delivery) into PostGIS.

Every record of every layer is checked first — geometry present, valid, of the right type and
inside the jurisdiction; vocabulary values known; codes unique; references resolvable. Any
problem stops the load with a :class:`LoadError` that lists each problem naming the layer, the
feature and the field. The rows are upserted by ``code`` (loading the same folder twice leaves
the same rows) in the caller's transaction: :func:`gis_app.services.inventory.load_sample`
commits it, or rolls it back when anything fails.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pyogrio
import sqlalchemy as sa
from shapely import wkb
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from gis_app.db import district_queries, edit_queries, inventory_queries
from gis_app.db.engine import set_app_user
from gis_app.db.models import SRID
from gis_app.domain.districts import DistrictOutline, site_district
from gis_app.domain.error_vocab import Problem
from gis_app.domain.errors import GeometryRejected, LoadError
from gis_app.domain.vocab import Term
from gis_app.io.fields import (
    BUILDING_FIELDS,
    INFRA_FIELDS,
    JURISDICTION_FIELDS,
    SITE_FIELDS,
    ZONE_FIELDS,
    Field,
    FieldError,
)

# Tolerance for "inside the jurisdiction", in degrees (~1 m): outlines and parcels are often
# digitised from different sources and share edges only approximately.
_INSIDE_TOLERANCE_DEG = 1e-5


@dataclass(frozen=True)
class Layer:
    """One layer of an inventory folder and the table it loads into."""

    name: str
    filename: str
    table: str
    fields: dict[str, Field]
    geometry: str | None  # "polygon", "point_or_line" or None (no geometry)


#: the deployment's districts (and the city / province above them) into ``district``
JURISDICTION = Layer(
    "jurisdiction", "jurisdiction.geojson", "district", JURISDICTION_FIELDS, "polygon"
)
#: districts are written parents first (a district names its city)
_LEVEL_ORDER = {"province": 0, "city": 1, "district": 2}
INFRASTRUCTURE = Layer(
    "infrastructure", "infrastructure.geojson", "infrastructure", INFRA_FIELDS, "point_or_line"
)
ZONES = Layer(
    "constraint_zones", "constraint_zones.geojson", "constraint_zone", ZONE_FIELDS, "polygon"
)
SITES = Layer("sites", "sites.geojson", "site", SITE_FIELDS, "polygon")
BUILDINGS = Layer("buildings", "buildings.json", "building", BUILDING_FIELDS, None)
# Load order: what sites are checked against (jurisdiction) and derived from (infrastructure,
# zones) comes first; buildings reference sites.
LAYERS = (JURISDICTION, INFRASTRUCTURE, ZONES, SITES, BUILDINGS)


@dataclass
class Record:
    """One feature as read from a file: its position, attributes and geometry."""

    index: int
    props: dict[str, Any]
    geom: BaseGeometry | None = None

    def label(self, layer: Layer) -> str:
        """How problems name this record: layer, position and code."""
        code = self.props.get("code")
        return f"{layer.name} feature #{self.index + 1}" + (f" ({code})" if code else "")


@dataclass
class LoadReport:
    """Rows inserted and updated per layer."""

    inserted: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        """One line per layer."""
        return "\n".join(
            f"{name}: {self.inserted.get(name, 0)} inserted, {self.updated.get(name, 0)} updated"
            for name in self.inserted
        )


GEO_SUFFIXES = (".geojson", ".gpkg", ".shp")


def _layer_path(folder: Path, layer: Layer) -> Path:
    """The layer's file: its GeoJSON name, or the same stem as GeoPackage or Shapefile."""
    default = folder / layer.filename
    if default.exists() or layer.geometry is None:
        return default
    stem = Path(layer.filename).stem
    for suffix in GEO_SUFFIXES:
        if (folder / f"{stem}{suffix}").exists():
            return folder / f"{stem}{suffix}"
    return default


def _read_features(layer: Layer, path: Path, problems: list[str]) -> list[Record]:
    if layer.geometry is None:
        try:
            rows = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as e:
            problems.append(f"{layer.name}: cannot read {path.name}: {e}")
            return []
        if not isinstance(rows, list):
            problems.append(f"{layer.name}: {path.name} must hold a JSON array of objects")
            return []
        return [Record(i, r if isinstance(r, dict) else {"_": r}) for i, r in enumerate(rows)]
    try:
        gdf = gpd.read_file(path, engine="pyogrio")
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, OSError) as e:
        problems.append(f"{layer.name}: cannot read {path.name}: {e}")
        return []
    if gdf.crs is None:
        problems.append(
            f"{layer.name}: {path.name} declares no CRS (expected EPSG:{SRID} or "
            "a CRS that can be transformed to it)"
        )
        return []
    if gdf.crs.to_epsg() != SRID:
        gdf = gdf.to_crs(epsg=SRID)
    cols = [c for c in gdf.columns if c != gdf.geometry.name]
    records = []
    for i, (props, geom) in enumerate(zip(gdf[cols].to_dict("records"), gdf.geometry, strict=True)):
        records.append(Record(i, props, geom))
    return records


def _check_geometry(
    layer: Layer, rec: Record, outline: BaseGeometry | None, problems: list[str]
) -> bytes | None:
    g = rec.geom
    where = rec.label(layer)
    if g is None and layer is JURISDICTION and rec.props.get("level") in ("city", "province"):
        return None  # a city or province may leave its outline to its districts
    if g is None:
        problems.append(f"{where}: has no geometry")
        return None
    if g.is_empty:
        problems.append(f"{where}: geometry is empty")
        return None
    if not g.is_valid:
        problems.append(f"{where}: invalid geometry: {explain_validity(g)}")
        return None
    if layer.geometry == "polygon":
        if isinstance(g, Polygon):
            g = MultiPolygon([g])
        if not isinstance(g, MultiPolygon):
            problems.append(f"{where}: expected a Polygon or MultiPolygon, got {g.geom_type}")
            return None
    elif g.geom_type not in ("Point", "MultiPoint", "LineString", "MultiLineString"):
        problems.append(f"{where}: expected a point or line, got {g.geom_type}")
        return None
    if outline is not None and layer is not JURISDICTION:
        if layer is ZONES:
            if not outline.intersects(g):
                problems.append(f"{where}: lies entirely outside the jurisdiction")
        elif not outline.covers(g):
            x, y = g.representative_point().coords[0]
            outside = g.difference(outline)
            share = (
                f", {100 * outside.area / g.area:.1f}% of its area outside" if g.area > 0 else ""
            )
            problems.append(
                f"{where}: coordinates outside the jurisdiction (near {x:.5f}, {y:.5f}{share})"
            )
            return None
    return wkb.dumps(g)


def _districts(records: list[Record] | None, conn: sa.Connection) -> list[DistrictOutline]:
    """The district outlines sites are checked against: the folder's, else the database's."""
    if not records:
        return list(district_queries.district_outlines(conn))
    return sorted(
        (
            DistrictOutline(
                Term(str(r.props["code"]), str(r.props["name_zh"]), str(r.props.get("name_en"))),
                r.geom,
            )
            for r in records
            if r.geom is not None
            and r.geom.is_valid
            and r.props.get("level") in (None, "district")
            and r.props.get("code")
            and r.props.get("name_zh")
        ),
        key=lambda d: d.code,
    )


def _check_district(
    rec: Record, attrs: dict[str, Any], districts: list[DistrictOutline], problems: list[str]
) -> None:
    """A site lies in its district (or in one district, which it gets on insert)."""
    where = rec.label(SITES)
    try:
        site_district(
            wkb.loads(attrs["_wkb"]),
            attrs.get("district_code"),
            districts,
            where=where,
            site=str(attrs.get("code")),
        )
    except GeometryRejected as e:
        problems.extend(f"{where}: {p}" for p in e.problems)  # the folder loader's English


#: what a text cell became, per field and cell (``check_values``'s ``coerced``): a value, or the
#: refusal as (code, params, message)
Coerced = dict[tuple[str, str], tuple[bool, Any]]
#: results that may be shared between rows (a list would be one object in every row)
_SHAREABLE = (str, int, float, bool, dt.date, type(None))


def _coerced(spec: Field, value: Any) -> tuple[bool, Any]:
    try:
        return True, spec.coerce(value)
    except FieldError as e:
        return False, (e.code, e.params, str(e))


def check_values(
    fields: dict[str, Field],
    props: dict[str, Any],
    where: str,
    problems: list[Problem],
    *,
    only_given: bool = False,
    coerced: Coerced | None = None,
) -> dict[str, Any]:
    """Coerce ``props`` with the layer's field specs; append problems (coded, their details
    naming record and field).

    With ``only_given`` only the fields present in ``props`` are checked (an update of some
    fields of an existing record); otherwise every field is, and required ones must be there.
    ``coerced`` (one dict per file) remembers what each text cell of each field became: a file
    repeats the same vocabulary words, codes and names thousands of times.
    Used by the folder loader and by file imports (:mod:`gis_app.io.imports`).
    """
    out: dict[str, Any] = {}
    cache: Coerced = coerced if coerced is not None else {}
    for name, spec in fields.items():
        if only_given and name not in props:
            continue
        value = props.get(name)
        key = (name, value) if coerced is not None and type(value) is str else None
        known = cache.get(key) if key is not None else None
        if known is None:
            known = _coerced(spec, value)
            if key is not None and (not known[0] or isinstance(known[1], _SHAREABLE)):
                cache[key] = known
        ok, result = known
        if ok:
            out[name] = result
        else:
            code, params, text = result
            problems.append(Problem(code, name, dict(params), f"{where}: field {name}: {text}"))
    return out


def check_cross_fields(
    fields: dict[str, Field], values: dict[str, Any], where: str, problems: list[Problem]
) -> None:
    """Checks between fields of one record (FAR range, vacant floor space within GFA)."""
    if (
        fields is SITE_FIELDS
        and values.get("far_min") is not None
        and values.get("far_max") is not None
        and values["far_min"] > values["far_max"]
    ):
        problems.append(
            Problem(
                "far_min_above_max",
                "far_min",
                {"value": values["far_min"], "max": values["far_max"]},
                f"{where}: far_min {values['far_min']} exceeds far_max {values['far_max']}",
            )
        )
    if (
        fields is BUILDING_FIELDS
        and values.get("vacant_gfa_m2") is not None
        and values.get("gfa_m2") is not None
        and values["vacant_gfa_m2"] > values["gfa_m2"]
    ):
        problems.append(
            Problem(
                "vacant_above_gfa",
                "vacant_gfa_m2",
                {"value": values["vacant_gfa_m2"], "max": values["gfa_m2"]},
                f"{where}: vacant_gfa_m2 {values['vacant_gfa_m2']} exceeds gfa_m2 "
                f"{values['gfa_m2']}",
            )
        )


def _check_attributes(layer: Layer, rec: Record, problems: list[str]) -> dict[str, Any]:
    where = rec.label(layer)
    unknown = sorted(set(rec.props) - set(layer.fields) - {"id", "fid"})
    for name in unknown:
        problems.append(f"{where}: unknown field {name!r}")
    found: list[Problem] = []
    out = check_values(layer.fields, rec.props, where, found)
    check_cross_fields(layer.fields, out, where, found)
    problems.extend(p.detail for p in found)
    return out


def validate_folder(
    folder: Path, conn: sa.Connection, layers: tuple[Layer, ...] = LAYERS
) -> dict[str, list[dict[str, Any]]]:
    """Read and check ``layers`` (all by default) in ``folder``; raise :class:`LoadError`
    listing all problems.

    Returns the clean rows per layer name (attributes plus ``_wkb`` for geometry layers).
    """
    folder = Path(folder)
    problems: list[str] = []
    raw: dict[str, list[Record]] = {}
    for layer in layers:
        path = _layer_path(folder, layer)
        if not path.exists():
            if layer is SITES or layers == (JURISDICTION,):
                problems.append(f"sites: {path} not found")
            continue
        recs = _read_features(layer, path, problems)
        if not recs and layer in (SITES, JURISDICTION) and path.exists():
            problems.append(f"{layer.name}: {path.name} holds no features")
        raw[layer.name] = recs

    outline: BaseGeometry | None = None
    if raw.get("jurisdiction"):
        geoms = [
            r.geom
            for r in raw["jurisdiction"]
            if r.geom is not None and r.geom.is_valid and r.props.get("level") in (None, "district")
        ]
        outline = gpd.GeoSeries(geoms).union_all() if geoms else None
    else:
        outline = edit_queries.jurisdiction_outline(conn)
        if outline is None:
            problems.append("jurisdiction: no jurisdiction.geojson and none in the database")
    if outline is not None:
        outline = outline.buffer(_INSIDE_TOLERANCE_DEG)
    districts = _districts(raw.get("jurisdiction"), conn)

    clean: dict[str, list[dict[str, Any]]] = {}
    for layer in layers:
        rows = []
        seen: dict[str, int] = {}
        for rec in raw.get(layer.name, []):
            attrs = _check_attributes(layer, rec, problems)
            code = attrs.get("code")
            if code is not None:
                if code in seen:
                    problems.append(
                        f"{rec.label(layer)}: duplicate code {code!r} "
                        f"(also feature #{seen[code] + 1})"
                    )
                seen.setdefault(code, rec.index)
            if layer.geometry is not None:
                attrs["_wkb"] = _check_geometry(layer, rec, outline, problems)
            if layer is SITES and attrs.get("_wkb") is not None:
                _check_district(rec, attrs, districts, problems)
            if layer is JURISDICTION:
                attrs["level"] = attrs.get("level") or "district"
                attrs["illustrative"] = bool(attrs.get("illustrative"))
            rows.append(attrs)
        if layer is JURISDICTION:
            rows.sort(key=lambda r: _LEVEL_ORDER[r["level"]])
        clean[layer.name] = rows

    site_codes = {r["code"] for r in clean.get("sites", [])}
    missing = {
        r["site_code"] for r in clean.get("buildings", []) if r.get("site_code")
    } - site_codes
    if missing:
        known = inventory_queries.known_site_codes(conn, missing)
        for i, r in enumerate(clean.get("buildings", [])):
            if r.get("site_code") in missing - known:
                problems.append(
                    f"buildings feature #{i + 1} ({r.get('code')}): site_code "
                    f"{r['site_code']!r} is not a known site"
                )
    if problems:
        raise LoadError(str(folder), problems)
    return clean


def load_folder(
    conn: sa.Connection, folder: Path, user: str = "loader", layers: tuple[Layer, ...] = LAYERS
) -> LoadReport:
    """Validate ``folder`` and upsert its records (of ``layers``, all by default) in the
    caller's transaction (no commit). ``(JURISDICTION,)`` loads only the districts: what a new
    deployment configures before its users and inventory.

    Raises :class:`LoadError` listing every problem before anything is written.
    """
    report = LoadReport()
    set_app_user(conn, user, f"load {Path(folder).name}")
    clean = validate_folder(folder, conn, layers)
    for layer in layers:
        rows = clean.get(layer.name)
        if not rows:
            continue
        stmt = inventory_queries.upsert_by_code(layer.table, list(layer.fields), layer.geometry)
        ins = upd = 0
        for row in rows:
            try:
                inserted = conn.execute(stmt, row).scalar_one()
            except sa.exc.DBAPIError as e:
                where = f"{layer.name} {row.get('code')}"
                if edit_queries.is_district_key_taken(e):
                    problem = str(edit_queries.district_key_taken(where, row.get("code")))
                    raise LoadError(str(folder), [problem]) from e
                msg = str(e.orig).strip().splitlines()[0]
                raise LoadError(str(folder), [f"{where}: {msg}"]) from e
            ins += bool(inserted)
            upd += not inserted
        report.inserted[layer.name] = ins
        report.updated[layer.name] = upd
    return report
