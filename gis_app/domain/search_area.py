"""The area of a spatial site search: a drawn polygon, or a line or point widened by a buffer.

An area arrives as GeoJSON (a geometry or a Feature, as text or already parsed) or as WKT /
EWKT, always in lon/lat degrees of WGS84 (EPSG:4326) or CGCS2000 (EPSG:4490, the storage
frame; the two differ by centimetres). Anything else is refused with a message saying what is
wrong and what to send instead: another CRS (named in GeoJSON's ``crs`` member or an EWKT
``SRID=``), coordinates that are not degrees (projected metres), an outline that crosses
itself, an area larger than a search may cover (the whole world), a line without a buffer.
The checked area is handed to the database as WKT (:attr:`SearchArea.wkt`); PostGIS does the
search on the GiST index of ``site.geom``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import shapely
from pyproj import Geod
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from shapely.geometry.polygon import orient

from gis_app.domain.errors import InvalidInput
from gis_app.domain.filters import SEARCH_PARAMETERS
from gis_app.domain.vocab import Term

#: the largest area a search may cover: a circle of the largest ``near`` radius (500 km)
MAX_RADIUS_KM = 500.0
MAX_AREA_KM2 = math.pi * MAX_RADIUS_KM**2
#: the widest buffer around a drawn line or point
MAX_BUFFER_KM = 50.0
#: vertices an area may have (a hand-drawn one has tens; an uploaded boundary thousands)
MAX_VERTICES = 20_000
#: characters of an area's text (GeoJSON or WKT); the POST search takes the longest ones
MAX_TEXT = 2_000_000
#: lon/lat frames accepted, by EPSG code
LONLAT_EPSG = (4326, 4490)

_GEOD = Geod(ellps="GRS80")  # the CGCS2000 ellipsoid (to 0.1 mm of GRS80)
_AREAL = ("Polygon", "MultiPolygon")
_LINEAR = ("LineString", "MultiLineString", "Point", "MultiPoint")
#: what shapely raises on coordinates of the wrong shape or type
_MALFORMED = (
    ValueError,
    TypeError,
    AttributeError,
    IndexError,
    KeyError,
    OverflowError,
    RecursionError,
    shapely.errors.ShapelyError,
)
_CRS84 = ("urn:ogc:def:crs:OGC:1.3:CRS84", "urn:ogc:def:crs:OGC::CRS84", "CRS84")


@dataclass(frozen=True)
class SearchArea:
    """A checked search area: WKT in lon/lat (SRID 4490 in the database) and its buffer."""

    wkt: str
    geom_type: str
    buffer_km: float | None
    area_km2: float

    @property
    def buffer_m(self) -> float | None:
        """The buffer in metres (None: the area as drawn)."""
        return None if self.buffer_km is None else self.buffer_km * 1000.0


def _fail(problem: str, code: str = "area_not_understood", **params: Any) -> InvalidInput:
    """The refusal of an area: the English ``problem`` for the detail, ``code`` of the error
    vocabulary with ``params`` for the message people read."""
    return InvalidInput(f"intersects: {problem}", code=code, field="intersects", params=params)


def _epsg_of_name(name: str) -> int | None:
    """EPSG code named by a CRS name such as ``EPSG:4550`` or ``urn:ogc:def:crs:EPSG::4326``."""
    if name.strip() in _CRS84:
        return 4326
    tail = name.replace("::", ":").rsplit(":", 1)[-1].strip()
    return int(tail) if tail.isdigit() else None


def _check_crs_member(obj: dict[str, Any]) -> None:
    crs = obj.get("crs")
    if crs is None:
        return
    name = crs.get("properties", {}).get("name") if isinstance(crs, dict) else None
    if not isinstance(name, str):
        raise _fail("the GeoJSON 'crs' member is not understood; leave it out and send lon/lat")
    epsg = _epsg_of_name(name)
    if epsg not in LONLAT_EPSG:
        raise _fail(
            f"the area is in {name[:60]!r}; send it in lon/lat degrees of WGS84 (EPSG:4326) "
            "or CGCS2000 (EPSG:4490)",
            "area_wrong_crs",
            value=name[:60],
        )


def out_of_range(name: str, value: Any, maximum: float) -> InvalidInput:
    """The refusal of a distance ``name`` (km) that is not above 0 and at most ``maximum``."""
    p = next(p for p in SEARCH_PARAMETERS if p.name == name)
    return InvalidInput(
        f"{name} must be above 0 and at most {maximum:g}, got {value}",
        code="not_in_range",
        field=name,
        params={"field": Term(name, p.zh, p.en), "min": 0, "max": f"{maximum:g}", "value": value},
    )


def _from_geojson(obj: Any) -> BaseGeometry:
    if not isinstance(obj, dict):
        raise _fail("expected a GeoJSON geometry object or WKT text")
    _check_crs_member(obj)
    if obj.get("type") == "Feature":
        return _from_geojson(obj.get("geometry"))
    gtype = obj.get("type")
    if gtype not in (*_AREAL, *_LINEAR):
        raise _fail(
            f"a {str(gtype)[:40]!r} cannot be a search area; send a Polygon, MultiPolygon, "
            "or a LineString / Point with buffer_km"
        )
    try:
        geom = shape(obj)
    except _MALFORMED as e:
        raise _fail(f"the GeoJSON {gtype} is malformed ({str(e)[:80]})") from None
    return geom


def _from_text(text: str) -> BaseGeometry:
    text = text.strip()
    if text.startswith("{"):
        try:
            obj = json.loads(text)
        except (ValueError, RecursionError):
            raise _fail("the text starts like GeoJSON but is not valid JSON") from None
        return _from_geojson(obj)
    if text.upper().startswith("SRID="):
        srid_text, _, text = text.partition(";")
        srid = srid_text[5:].strip()
        if not srid.isdigit() or int(srid) not in LONLAT_EPSG:
            raise _fail(
                f"the area is in SRID {srid[:12]}; send it in lon/lat degrees of WGS84 "
                "(SRID=4326) or CGCS2000 (SRID=4490)",
                "area_wrong_crs",
                value=f"EPSG:{srid[:12]}",
            )
    try:
        geom = shapely.from_wkt(text)
    except shapely.errors.ShapelyError as e:
        raise _fail(f"not GeoJSON nor WKT ({str(e).splitlines()[0][:80]})") from None
    if geom is None or geom.geom_type not in (*_AREAL, *_LINEAR):
        kind = "nothing" if geom is None else geom.geom_type
        raise _fail(
            f"a {kind} cannot be a search area; send a POLYGON, MULTIPOLYGON, "
            "or a LINESTRING / POINT with buffer_km"
        )
    return geom


def _check_degrees(geom: BaseGeometry) -> None:
    xy = shapely.get_coordinates(geom)
    if len(xy) == 0:
        raise _fail("the area is empty")
    if not all(math.isfinite(v) for v in xy.ravel()):
        raise _fail("a coordinate is not a finite number (NaN or infinity)")
    for x, y in xy:
        if not (-180.0 <= x <= 180.0 and -90.0 <= y <= 90.0):
            raise _fail(
                f"the vertex ({x:g}, {y:g}) is not longitude/latitude in degrees — the area "
                "looks like projected coordinates (metres); send lon/lat of WGS84 (EPSG:4326) "
                "or CGCS2000 (EPSG:4490)",
                "area_not_degrees",
                value=f"({x:g}, {y:g})",
            )
    x0, _, x1, _ = geom.bounds
    if x1 - x0 > 180.0:
        raise _fail(
            f"the area spans {x1 - x0:.0f}° of longitude; a search area must be smaller "
            f"(at most {MAX_AREA_KM2:,.0f} km²)",
            "area_too_large",
            value=f"{_geodesic_area_km2(geom):,.0f}",
            max=f"{MAX_AREA_KM2:,.0f}",
        )


def _geodesic_area_km2(geom: BaseGeometry) -> float:
    total = 0.0
    for part in shapely.get_parts(geom):
        if part.geom_type == "Polygon" and not part.is_empty:
            total += abs(_GEOD.geometry_area_perimeter(orient(part, 1.0))[0])
    return total / 1e6


def _geodesic_length_km(geom: BaseGeometry) -> float:
    return (
        sum(_GEOD.geometry_length(part) for part in shapely.get_parts(geom) if not part.is_empty)
        / 1000.0
    )


def parse_search_area(value: Any, buffer_km: float | None = None) -> SearchArea:
    """Check ``value`` (GeoJSON text or object, WKT or EWKT) as a search area.

    ``buffer_km`` widens the area by that distance; a line or point needs one. Raises
    :class:`InvalidInput` naming the problem: wrong CRS, not degrees, self-intersection,
    larger than :data:`MAX_AREA_KM2`, too many vertices, a bad buffer.
    """
    if buffer_km is not None and not (
        isinstance(buffer_km, int | float)
        and math.isfinite(buffer_km)
        and 0 < buffer_km <= MAX_BUFFER_KM
    ):
        raise out_of_range("buffer_km", buffer_km, MAX_BUFFER_KM)
    if isinstance(value, str):
        if len(value) > MAX_TEXT:
            raise _fail(f"the text is longer than {MAX_TEXT:,} characters")
        if "\x00" in value:
            raise _fail("the text holds a NUL character")
        geom = _from_text(value)
    else:
        geom = _from_geojson(value)
    if geom.is_empty:
        raise _fail("the area is empty")
    if shapely.get_num_coordinates(geom) > MAX_VERTICES:
        raise _fail(f"the area has more than {MAX_VERTICES:,} vertices; simplify it")
    geom = shapely.force_2d(geom)
    _check_degrees(geom)
    if not geom.is_valid:
        reason = shapely.is_valid_reason(geom)
        raise _fail(
            f"the outline crosses itself or is not a valid {geom.geom_type} ({reason}); "
            "draw it again without crossing lines",
            "area_crosses_itself",
            value=reason[:80],
        )
    if geom.geom_type in _LINEAR and buffer_km is None:
        raise _fail(
            f"a {geom.geom_type} has no area: give buffer_km (the distance around it)",
            "area_needs_buffer",
        )
    area = _geodesic_area_km2(geom)
    if buffer_km is not None:
        # an upper bound of the buffered area: the area, a band along the outline, a disc
        area += 2 * buffer_km * _geodesic_length_km(geom) + math.pi * buffer_km**2
    if area > MAX_AREA_KM2:
        raise _fail(
            f"the area covers about {area:,.0f} km²; a search area may cover at most "
            f"{MAX_AREA_KM2:,.0f} km² (a circle of {MAX_RADIUS_KM:g} km)",
            "area_too_large",
            value=f"{area:,.0f}",
            max=f"{MAX_AREA_KM2:,.0f}",
        )
    wkt = shapely.to_wkt(geom, rounding_precision=7, trim=True)
    return SearchArea(wkt=wkt, geom_type=geom.geom_type, buffer_km=buffer_km, area_km2=area)
