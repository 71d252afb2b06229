"""Geometry checks for planners' edits and file imports, with repair only on request.

A site geometry must be: finite 2-D coordinates in a declared CRS (EPSG code, or GCJ-02 by
name since it has none), a Polygon or MultiPolygon (stored as MultiPolygon), valid (the reason
otherwise is GEOS's, the same text ``ST_IsValidReason`` gives), within the vertex and area
limits, and inside the jurisdiction. When it is not inside, the check tries the usual mistakes
(latitude/longitude swapped, Web-Mercator or Gauss-Krüger metres labelled as degrees, the wrong
Gauss-Krüger zone) and says which one fits.

Repair runs only when asked: ``make_valid`` keeping the polygonal result (as
``ST_CollectionExtract(ST_MakeValid(g), 3)``), and the report says what changed — area before
and after, parts, vertices, and the pieces dropped. Everything here works on arrays of
geometries, so a 100 000-feature import is checked in vectorised shapely calls.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import shapely
from pyproj import CRS, Geod, Transformer
from pyproj.exceptions import CRSError
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry
from shapely.geometry.polygon import orient

from gis_app.db.models import SRID
from gis_app.domain.error_vocab import Problem
from gis_app.domain.errors import GeometryRejected, InvalidInput
from gis_app.domain.gcj02 import shift_coords
from gis_app.domain.vocab import Term

_GEOD = Geod(ellps="GRS80")  # the CGCS2000 ellipsoid (to 0.1 mm of GRS80)

#: names accepted for GCJ-02, which has no EPSG code
GCJ02_NAMES = frozenset({"gcj02", "gcj-02", "gcj_02", "mars", "amap", "gaode"})

# CRSs tried when a geometry lands outside the jurisdiction, to name the likely mistake.
_HINT_EPSG = (3857, 4549, 4550, 4551, 4528, 4529, 4530, 4326)


@dataclass(frozen=True)
class DeclaredCrs:
    """The CRS the input coordinates are in: an EPSG code, or GCJ-02."""

    epsg: int | None
    gcj02: bool = False

    @property
    def label(self) -> str:
        """``EPSG:4550`` or ``GCJ-02``."""
        return "GCJ-02" if self.gcj02 else f"EPSG:{self.epsg}"

    @property
    def geographic(self) -> bool:
        """Whether coordinates are degrees of longitude and latitude."""
        return self.gcj02 or _crs(self.epsg).is_geographic

    def describe(self) -> str:
        """Label and name, e.g. ``EPSG:4550 (CGCS2000 / 3-degree Gauss-Kruger CM 123E)``."""
        if self.gcj02:
            return "GCJ-02 (Gaode/AMap, Tencent web-map coordinates)"
        return f"EPSG:{self.epsg} ({_crs(self.epsg).name})"


STORAGE_CRS = DeclaredCrs(SRID)
WGS84 = DeclaredCrs(4326)


@lru_cache(maxsize=64)
def _crs(epsg: int | None) -> CRS:
    return CRS.from_epsg(epsg)


@lru_cache(maxsize=64)
def _transformer(source: int, target: int) -> Transformer:
    return Transformer.from_crs(source, target, always_xy=True)


def parse_crs(value: Any) -> DeclaredCrs:
    """Parse a declared CRS: ``EPSG:4550``, ``4550``, ``gcj02`` (any case); refuse others."""
    if isinstance(value, DeclaredCrs):
        return value
    text = str(value).strip()
    if text.lower() in GCJ02_NAMES:
        return DeclaredCrs(None, gcj02=True)
    code = text.upper().removeprefix("EPSG:").removeprefix("EPSG::")
    if text.lower().startswith("urn:ogc:def:crs:epsg:"):
        code = text.rsplit(":", 1)[-1]
    if text.upper() in ("CRS84", "OGC:CRS84", "URN:OGC:DEF:CRS:OGC:1.3:CRS84"):
        code = "4326"
    if not code.isdigit():
        raise InvalidInput(
            f"unknown CRS {value!r}: give an EPSG code (4490 CGCS2000, 4326 WGS84, 4528–4554 "
            "CGCS2000 Gauss-Krüger such as 4550) or 'gcj02'",
            code="unknown_crs",
            field="crs",
            params={"value": text[:80]},
        )
    try:
        crs = _crs(int(code))
    except CRSError:
        raise InvalidInput(
            f"unknown CRS EPSG:{code}",
            code="unknown_crs",
            field="crs",
            params={"value": f"EPSG:{code}"},
        ) from None
    if not (crs.is_geographic or crs.is_projected) or len(crs.axis_info) != 2:
        raise InvalidInput(
            f"EPSG:{code} ({crs.name}) is not a 2-D geographic or projected CRS",
            code="unknown_crs",
            field="crs",
            params={"value": f"EPSG:{code}"},
        )
    return DeclaredCrs(int(code))


def crs_of(crs: CRS | None) -> DeclaredCrs | None:
    """The :class:`DeclaredCrs` of a file's CRS (``None`` when the file declares none)."""
    if crs is None:
        return None
    if len(crs.axis_info) == 3:  # a GeoJSON with heights reports EPSG:4979; heights are dropped
        crs = crs.to_2d()
    epsg = crs.to_epsg(min_confidence=70)
    if epsg is None:
        raise InvalidInput(
            f"the file's CRS ({crs.name}) has no EPSG code; declare the CRS (e.g. EPSG:4550)",
            code="crs_without_epsg",
            field="crs",
            params={"value": crs.name[:80]},
        )
    return parse_crs(epsg)


def to_storage(geoms: np.ndarray, crs: DeclaredCrs) -> np.ndarray:
    """Geometries transformed from ``crs`` to the storage CRS (EPSG:4490)."""
    return _reproject(geoms, crs, to_storage=True)


def from_storage(geoms: np.ndarray, crs: DeclaredCrs) -> np.ndarray:
    """Geometries transformed from EPSG:4490 to ``crs`` (for exports and tests)."""
    return _reproject(geoms, crs, to_storage=False)


def _reproject(geoms: np.ndarray, crs: DeclaredCrs, *, to_storage: bool) -> np.ndarray:
    if crs.gcj02:
        return shapely.transform(geoms, lambda c: shift_coords(c, to_gcj02=not to_storage))
    if crs.epsg == SRID:
        return geoms
    t = _transformer(crs.epsg, SRID) if to_storage else _transformer(SRID, crs.epsg)
    return shapely.transform(geoms, lambda c: np.column_stack(t.transform(c[:, 0], c[:, 1])))


@dataclass(frozen=True)
class GeometryLimits:
    """Limits a site geometry must keep (from :class:`gis_app.settings.EditSettings`)."""

    max_vertices: int = 100_000
    min_area_m2: float = 1.0
    max_area_m2: float = 200_000_000.0

    @classmethod
    def from_settings(cls, s: Any) -> GeometryLimits:
        """Limits from an ``EditSettings``."""
        return cls(s.max_vertices, s.min_area_m2, s.max_area_m2)


@dataclass
class RepairReport:
    """What a repair changed."""

    area_before_m2: float
    area_after_m2: float
    parts_before: int
    parts_after: int
    vertices_before: int
    vertices_after: int
    reason: str
    dropped: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready report."""
        return {
            "reason": self.reason,
            "area_before_m2": round(self.area_before_m2, 2),
            "area_after_m2": round(self.area_after_m2, 2),
            "parts_before": self.parts_before,
            "parts_after": self.parts_after,
            "vertices_before": self.vertices_before,
            "vertices_after": self.vertices_after,
            "dropped": self.dropped,
        }


@dataclass
class CheckedGeometry:
    """A checked geometry: the MultiPolygon in EPSG:4490 (or problems), notes and repairs."""

    geom: MultiPolygon | None
    #: what is wrong with it, coded (:mod:`gis_app.domain.error_vocab`)
    refusals: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    repair: RepairReport | None = None
    area_m2: float | None = None

    @property
    def problems(self) -> tuple[str, ...]:
        """The refusals' English details."""
        return tuple(p.detail for p in self.refusals)

    @property
    def ok(self) -> bool:
        """True when the geometry may be stored."""
        return self.geom is not None and not self.refusals


def geodesic_area_m2(g: BaseGeometry) -> float:
    """Area on the CGCS2000 ellipsoid in m² of a lon/lat (Multi)Polygon; 0 for other types."""
    total = 0.0
    for part in shapely.get_parts(g):
        if isinstance(part, Polygon) and not part.is_empty:
            total += abs(_GEOD.geometry_area_perimeter(orient(part, 1.0))[0])
    return total


def _shoelace_area_m2(g: BaseGeometry) -> float:
    """Area "as drawn" (signed ring sums), meaningful also for an invalid polygon."""
    total = 0.0
    for part in shapely.get_parts(g):
        if isinstance(part, Polygon):
            for i, ring in enumerate([part.exterior, *part.interiors]):
                a = abs(_GEOD.polygon_area_perimeter(*np.asarray(ring.coords)[:, :2].T)[0])
                total += a if i == 0 else -a
    return total


def repair(g: BaseGeometry) -> tuple[MultiPolygon | None, RepairReport]:
    """Make ``g`` valid keeping only its polygonal part; say what changed."""
    reason = shapely.is_valid_reason(g)
    fixed = shapely.make_valid(g, method="structure", keep_collapsed=False)
    parts = list(shapely.get_parts(fixed))
    polys = [p for p in parts if isinstance(p, Polygon) and not p.is_empty]
    for p in list(polys):
        polys.remove(p)
        polys.extend(shapely.get_parts(p))
    dropped = [p.geom_type for p in parts if not isinstance(p, Polygon)]
    out = MultiPolygon(polys) if polys else None
    report = RepairReport(
        area_before_m2=_shoelace_area_m2(g),
        area_after_m2=geodesic_area_m2(out) if out is not None else 0.0,
        parts_before=int(shapely.get_num_geometries(g)),
        parts_after=len(polys),
        vertices_before=int(shapely.get_num_coordinates(g)),
        vertices_after=int(shapely.get_num_coordinates(out)) if out is not None else 0,
        reason=reason,
        dropped=dropped,
    )
    return out, report


def _not_finite(g: BaseGeometry) -> Problem:
    xy = shapely.get_coordinates(g, include_z=False)
    bad = np.argwhere(~np.isfinite(xy).all(axis=1))
    i = int(bad[0][0]) if len(bad) else 0
    at = f"({xy[i][0]}, {xy[i][1]})"
    return Problem(
        "geom_not_finite",
        "geom",
        {"vertex": i + 1, "value": at},
        f"has a coordinate that is not a finite number (NaN or infinity): vertex #{i + 1} is {at}",
    )


def _hint(en: str, zh: str) -> Term:
    """A hint appended to a message: " — …" in English, "——…" in Chinese."""
    return Term("hint", f"——{zh}", f" — {en}")


def _crs_hint(g: BaseGeometry, crs: DeclaredCrs, outline: BaseGeometry | None) -> Term | str:
    """Name the CRS mistake that would put ``g`` inside ``outline``, if one does (a
    bilingual hint; its English is the end of the problem's detail)."""
    if outline is None or g.is_empty:
        return ""
    try:
        x, y = shapely.get_coordinates(g.representative_point())[0]
    except (shapely.errors.GEOSException, IndexError):
        return ""
    trials: list[tuple[Term, float, float]] = []
    if crs.geographic:
        trials.append((_hint("latitude and longitude look swapped", "经度和纬度似乎颠倒了"), y, x))
    for epsg in _HINT_EPSG:
        if epsg == crs.epsg:
            continue
        c = _crs(epsg)
        if c.is_geographic != (abs(x) <= 180 and abs(y) <= 90):
            continue
        try:
            px, py = _transformer(epsg, SRID).transform(x, y)
        except Exception:  # any failure means "not this CRS"
            continue
        trials.append(
            (
                _hint(
                    f"the coordinates fit EPSG:{epsg} ({c.name}); declare that CRS",
                    f"坐标符合 EPSG:{epsg}（{c.name}），请声明该坐标系",
                ),
                px,
                py,
            )
        )
    for hint, px, py in trials:
        if math.isfinite(px) and math.isfinite(py) and outline.covers(shapely.Point(px, py)):
            return hint
    if crs.geographic and not (abs(x) <= 180 and abs(y) <= 90):
        return _hint(
            "these are not degrees but metres of a projected CRS (Web Mercator, "
            "Gauss-Krüger …); declare the CRS",
            "这些不是经纬度，而是投影坐标系（Web 墨卡托、高斯-克吕格等）的米，请声明坐标系",
        )
    if not crs.geographic and abs(x) <= 180 and abs(y) <= 90:
        return _hint(
            f"these look like degrees, not the metres of {crs.label}",
            f"这些像是经纬度，而不是 {crs.label} 的米",
        )
    return ""


def _en(hint: Term | str) -> str:
    return hint.en if isinstance(hint, Term) else hint


def areas_m2(geoms: np.ndarray) -> np.ndarray:
    """Areas in m² of lon/lat (Multi)Polygons, vectorised through an equal-area projection.

    EPSG:6933 (EASE-Grid 2.0) is equal-area on the ellipsoid, so this agrees with the geodesic
    area to well under 0.1 % — plenty for limits and reports, and thousands of times faster
    than one geodesic computation per polygon.
    """
    t = _to_equal_area()
    proj = shapely.transform(geoms, lambda c: np.column_stack(t.transform(c[:, 0], c[:, 1])))
    return shapely.area(proj)


@lru_cache(maxsize=1)
def _to_equal_area() -> Transformer:
    return Transformer.from_crs(SRID, 6933, always_xy=True)


def _per_geometry(values: np.ndarray, index: np.ndarray, n: int, fn: Any) -> np.ndarray:
    """Reduce per-coordinate booleans to one per geometry (``fn`` is np.logical_or etc.)."""
    out = np.zeros(n, dtype=bool)
    fn.at(out, index, values)
    return out


def check_geometries(
    geoms: Sequence[BaseGeometry | None] | np.ndarray,
    crs: DeclaredCrs,
    *,
    outline: BaseGeometry | None,
    limits: GeometryLimits,
    repair_invalid: bool = False,
    must_cover: bool = True,
) -> list[CheckedGeometry]:
    """Check (and, if asked, repair) site geometries given in ``crs``; one result per input.

    ``outline`` is the jurisdiction in EPSG:4490, already buffered by the tolerance and
    prepared, or ``None`` to skip the inside check; ``must_cover=False`` only asks that the
    geometry touch it (constraint zones reach beyond the district). Results carry
    MultiPolygons in EPSG:4490. Every step runs on the whole array; messages are built only
    for the geometries that fail.
    """
    arr = np.empty(len(geoms), dtype=object)
    arr[:] = list(geoms)
    n = len(arr)
    out = [CheckedGeometry(None) for _ in range(n)]
    alive = np.ones(n, dtype=bool)

    def fail(mask: np.ndarray, problem: Any) -> None:
        for i in np.flatnonzero(mask & alive):
            out[i].refusals.append(problem(i) if callable(problem) else problem)
        alive[mask] = False

    missing = np.asarray([g is None for g in arr], dtype=bool)
    fail(missing, Problem("geom_missing", "geom", {}, "has no geometry"))
    fail(shapely.is_empty(arr) & ~missing, Problem("geom_empty", "geom", {}, "geometry is empty"))
    ncoords = shapely.get_num_coordinates(arr)
    fail(
        ncoords > limits.max_vertices,
        lambda i: Problem(
            "geom_too_many_vertices",
            "geom",
            {"value": int(ncoords[i]), "max": limits.max_vertices},
            f"has {ncoords[i]} vertices, more than the limit of {limits.max_vertices}",
        ),
    )
    has_z, has_m = shapely.has_z(arr), shapely.has_m(arr)
    live = np.flatnonzero(alive)
    xy, idx = shapely.get_coordinates(arr[live], return_index=True)  # heights are dropped
    bad = _per_geometry(~np.isfinite(xy).all(axis=1), idx, len(live), np.logical_or)
    mask = np.zeros(n, dtype=bool)
    mask[live[bad]] = True
    fail(mask, lambda i: _not_finite(arr[i]))
    for i in np.flatnonzero(alive & has_m):
        out[i].notes.append("M values dropped (measures are not stored)")
    for i in np.flatnonzero(alive & has_z):
        out[i].notes.append("Z values dropped (heights are not stored)")
    flat = alive & (has_z | has_m)
    if flat.any():
        arr[flat] = shapely.force_2d(arr[flat])
    types = shapely.get_type_id(arr)
    fail(
        alive & (types != 3) & (types != 6),
        lambda i: Problem(
            "geom_not_polygon",
            "geom",
            {"value": arr[i].geom_type},
            f"expected a Polygon or MultiPolygon, got {arr[i].geom_type}",
        ),
    )
    single = np.flatnonzero(alive & (types == 3))
    if len(single):
        arr[single] = shapely.multipolygons(arr[single], indices=np.arange(len(single)))
    if crs.geographic:
        live = np.flatnonzero(alive)
        xy, idx = shapely.get_coordinates(arr[live], return_index=True)
        off = (np.abs(xy[:, 0]) > 180) | (np.abs(xy[:, 1]) > 90)
        bad = _per_geometry(off, idx, len(live), np.logical_or)
        mask = np.zeros(n, dtype=bool)
        mask[live[bad]] = True

        def not_degrees(i: int) -> Problem:
            x0, y0 = shapely.get_coordinates(arr[i])[0]
            hint = _crs_hint(arr[i], crs, outline)
            return Problem(
                "geom_not_degrees",
                "geom",
                {"value": f"({x0:.1f}, {y0:.1f})", "crs": crs.label, "hint": hint},
                f"coordinates such as ({x0:.1f}, {y0:.1f}) are not degrees although "
                f"{crs.label} was declared{_en(hint)}",
            )

        fail(mask, not_degrees)
    live = np.flatnonzero(alive)
    if not len(live):
        return out
    raw = arr.copy()
    arr[live] = to_storage(arr[live], crs)
    xy, idx = shapely.get_coordinates(arr[live], return_index=True)
    bad = _per_geometry(~np.isfinite(xy).all(axis=1), idx, len(live), np.logical_or)
    mask = np.zeros(n, dtype=bool)
    mask[live[bad]] = True

    def not_transformable(i: int) -> Problem:
        hint = _crs_hint(raw[i], crs, outline)
        return Problem(
            "geom_not_transformable",
            "geom",
            {"crs": crs.label, "hint": hint},
            f"coordinates cannot be transformed from {crs.label}{_en(hint)}",
        )

    fail(mask, not_transformable)
    invalid = alive & ~shapely.is_valid(arr)
    if not repair_invalid:

        def not_valid(i: int) -> Problem:
            reason = shapely.is_valid_reason(arr[i])
            return Problem(
                "geom_invalid",
                "geom",
                {"reason": reason},
                f"invalid polygon: {reason} (send repair=true to fix it with make_valid, "
                "keeping the polygonal part)",
            )

        fail(invalid, not_valid)
    else:
        for i in np.flatnonzero(invalid):
            fixed, report = repair(arr[i])
            out[i].repair = report
            if fixed is None:
                out[i].refusals.append(
                    Problem(
                        "geom_nothing_left",
                        "geom",
                        {"reason": report.reason},
                        f"invalid polygon: {report.reason}; nothing polygonal is left",
                    )
                )
                alive[i] = False
                continue
            out[i].notes.append(
                f"repaired ({report.reason}): area {report.area_before_m2:.1f} → "
                f"{report.area_after_m2:.1f} m², parts {report.parts_before} → "
                f"{report.parts_after}"
                + (f", dropped {', '.join(report.dropped)}" if report.dropped else "")
            )
            arr[i] = fixed
    area = np.full(n, np.nan)
    live = np.flatnonzero(alive)
    if len(live):
        area[live] = areas_m2(arr[live])
    for i in live:
        out[i].area_m2 = float(area[i])
    fail(
        alive & (area < limits.min_area_m2),
        lambda i: Problem(
            "geom_too_small",
            "geom",
            {"value": f"{area[i]:.2f}", "min": limits.min_area_m2},
            f"area {area[i]:.2f} m² is below the minimum {limits.min_area_m2} m²",
        ),
    )

    def too_large(i: int) -> Problem:
        hint = _crs_hint(raw[i], crs, outline)
        return Problem(
            "geom_too_large",
            "geom",
            {"value": f"{area[i]:,.0f}", "max": f"{limits.max_area_m2:,.0f}", "hint": hint},
            f"area {area[i]:,.0f} m² is above the maximum {limits.max_area_m2:,.0f} m²{_en(hint)}",
        )

    fail(alive & (area > limits.max_area_m2), too_large)
    if outline is not None:
        live = np.flatnonzero(alive)
        mask = np.zeros(n, dtype=bool)
        if must_cover:
            mask[live] = ~shapely.covers(outline, arr[live])

            def outside(i: int) -> Problem:
                g = arr[i]
                x, y = shapely.get_coordinates(g.representative_point())[0]
                share = 100 * g.difference(outline).area / g.area if g.area > 0 else 100.0
                hint = _crs_hint(raw[i], crs, outline) if share > 99 else ""
                return Problem(
                    "geom_outside",
                    "geom",
                    {"value": f"{x:.5f}, {y:.5f}", "share": f"{share:.1f}", "hint": hint},
                    f"lies outside the jurisdiction (near {x:.5f}, {y:.5f}; {share:.1f}% of its "
                    f"area outside){_en(hint)}",
                )

            fail(mask, outside)
        else:
            mask[live] = ~shapely.intersects(outline, arr[live])

            def entirely_outside(i: int) -> Problem:
                hint = _crs_hint(raw[i], crs, outline)
                return Problem(
                    "geom_entirely_outside",
                    "geom",
                    {"hint": hint},
                    f"lies entirely outside the jurisdiction{_en(hint)}",
                )

            fail(mask, entirely_outside)
    for i in np.flatnonzero(alive):
        out[i].geom = arr[i]
    return out


def check_geometry(
    g: BaseGeometry | None,
    crs: DeclaredCrs,
    *,
    where: str,
    outline: BaseGeometry | None,
    limits: GeometryLimits,
    repair_invalid: bool = False,
    must_cover: bool = True,
) -> CheckedGeometry:
    """Check one geometry; raise :class:`GeometryRejected` naming ``where`` if it fails."""
    r = check_geometries(
        [g],
        crs,
        outline=outline,
        limits=limits,
        repair_invalid=repair_invalid,
        must_cover=must_cover,
    )[0]
    if not r.ok:
        raise GeometryRejected(where, r.refusals)
    return r


def geometry_from_geojson(obj: Any, where: str, max_vertices: int) -> BaseGeometry:
    """Parse a GeoJSON geometry (or Feature) strictly: closed rings, finite numbers, polygons.

    Shapely would silently close an open ring and accept NaN; a planner's input must not be
    changed behind their back, so those are refused here with the ring and position named.
    """
    if isinstance(obj, dict) and obj.get("type") == "Feature":
        obj = obj.get("geometry")
    if not isinstance(obj, dict) or "type" not in obj:
        raise GeometryRejected(
            where,
            [
                Problem(
                    "geojson_not_geometry",
                    "geom",
                    {},
                    "expected a GeoJSON geometry object with 'type'",
                )
            ],
        )
    gtype = obj["type"]
    if gtype not in ("Polygon", "MultiPolygon"):
        raise GeometryRejected(
            where,
            [
                Problem(
                    "geom_not_polygon",
                    "geom",
                    {"value": str(gtype)[:40]},
                    f"expected a Polygon or MultiPolygon, got {gtype}",
                )
            ],
        )
    coords = obj.get("coordinates")
    if not isinstance(coords, list | tuple) or not coords:
        raise GeometryRejected(where, [Problem("geom_empty", "geom", {}, "geometry is empty")])
    polys = [coords] if gtype == "Polygon" else coords
    problems: list[Problem] = []
    count = 0
    out: list[Polygon] = []
    for pi, poly in enumerate(polys):
        if not isinstance(poly, list | tuple) or not poly:
            problems.append(
                Problem("polygon_no_rings", "geom", {"value": pi}, f"polygon {pi}: no rings")
            )
            continue
        rings = []
        for ri, ring in enumerate(poly):
            at = f"polygon {pi} ring {ri}"
            ring_at = Term(at, f"多边形 {pi} 环 {ri}", at)
            if not isinstance(ring, list | tuple) or len(ring) < 4:
                problems.append(
                    Problem(
                        "ring_too_short",
                        "geom",
                        {"value": ring_at},
                        f"{at}: a ring needs at least 4 positions",
                    )
                )
                continue
            count += len(ring)
            if count > max_vertices:
                raise GeometryRejected(
                    where,
                    [
                        Problem(
                            "geom_too_many_vertices",
                            "geom",
                            {"value": f"> {max_vertices}", "max": max_vertices},
                            f"more than the limit of {max_vertices} vertices",
                        )
                    ],
                )
            pts = []
            for k, p in enumerate(ring):
                pos = Term(
                    f"{at} position {k}", f"多边形 {pi} 环 {ri} 第 {k} 点", f"{at} position {k}"
                )
                if isinstance(p, list | tuple) and len(p) == 4:
                    problems.append(
                        Problem(
                            "ring_has_measures",
                            "geom",
                            {"value": pos},
                            f"{at} position {k}: 4 numbers (x, y, z, m) — measures are refused; "
                            "send [x, y] or [x, y, z] (heights are dropped)",
                        )
                    )
                    break
                if (
                    not isinstance(p, list | tuple)
                    or not 2 <= len(p) <= 3
                    or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in p)
                ):
                    problems.append(
                        Problem(
                            "ring_bad_position",
                            "geom",
                            {"value": pos, "other": repr(p)[:40]},
                            f"{at} position {k}: expected [x, y], got {p!r}",
                        )
                    )
                    break
                if not all(math.isfinite(v) for v in p):
                    problems.append(
                        Problem(
                            "ring_not_finite",
                            "geom",
                            {"value": pos},
                            f"{at} position {k}: coordinate is not a finite number (NaN or "
                            "infinity)",
                        )
                    )
                    break
                pts.append(p)
            else:
                if list(pts[0][:2]) != list(pts[-1][:2]):
                    problems.append(
                        Problem(
                            "ring_not_closed",
                            "geom",
                            {"value": ring_at, "first": str(pts[0][:2]), "last": str(pts[-1][:2])},
                            f"{at} is not closed (first {pts[0][:2]} and last {pts[-1][:2]} "
                            "differ)",
                        )
                    )
                    continue
                rings.append(pts)
        if rings and len(rings) == len(poly):
            out.append(Polygon(rings[0], rings[1:]))
    if problems:
        raise GeometryRejected(where, problems)
    return out[0] if gtype == "Polygon" else MultiPolygon(out)


def prepared_outline(outline: BaseGeometry | None, tolerance_deg: float) -> BaseGeometry | None:
    """The jurisdiction buffered by ``tolerance_deg`` and prepared for fast containment tests."""
    if outline is None:
        return None
    g = outline.buffer(tolerance_deg)
    shapely.prepare(g)
    return g
