"""Geometry checks: each bad geometry refused with a reason; CRS conversions to centimetres."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import shapely
from pyproj import Geod, Transformer
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, mapping, shape

from gis_app.domain.errors import GeometryRejected
from gis_app.domain.gcj02 import wgs84_to_gcj02
from gis_app.io import geometry_checks as gc

LIMITS = gc.GeometryLimits(max_vertices=10_000, min_area_m2=1.0, max_area_m2=2e8)


@pytest.fixture(scope="module")
def outline(sample_dir_module: Path):
    data = json.loads((sample_dir_module / "jurisdiction.geojson").read_text("utf-8"))
    # the districts' outlines (the city above them has none)
    g = shapely.union_all([shape(f["geometry"]) for f in data["features"] if f["geometry"]])
    return gc.prepared_outline(g, 1e-5)


@pytest.fixture(scope="module")
def sample_dir_module() -> Path:
    from gis_app.services.inventory import SAMPLE_DIR

    return SAMPLE_DIR


@pytest.fixture(scope="module")
def parcel(sample_dir_module: Path) -> MultiPolygon:
    data = json.loads((sample_dir_module / "sites.geojson").read_text("utf-8"))
    for f in data["features"]:
        if f["properties"]["code"] == "PT-KF-001":
            return shape(f["geometry"])
    raise AssertionError("sample parcel missing")


def _one(g, crs="EPSG:4490", outline=None, **kw) -> gc.CheckedGeometry:
    return gc.check_geometries([g], gc.parse_crs(crs), outline=outline, limits=LIMITS, **kw)[0]


def _max_dev_m(a, b) -> float:
    geod = Geod(ellps="GRS80")
    pa, pb = shapely.get_coordinates(a), shapely.get_coordinates(b)
    assert pa.shape == pb.shape
    _, _, d = geod.inv(pa[:, 0], pa[:, 1], pb[:, 0], pb[:, 1])
    return float(np.max(np.abs(d)))


def test_sample_parcel_passes(parcel, outline) -> None:
    r = _one(parcel, outline=outline)
    assert r.ok and r.problems == () and isinstance(r.geom, MultiPolygon)
    assert 1000 < r.area_m2 < 1e7


def test_bowtie_is_refused_with_the_reason_and_repaired_only_on_request(parcel, outline) -> None:
    x, y = parcel.centroid.x, parcel.centroid.y
    d = 0.001
    bowtie = Polygon([(x, y), (x + d, y + d), (x + d, y), (x, y + d), (x, y)])
    r = _one(bowtie, outline=outline)
    assert not r.ok and "Self-intersection" in r.problems[0] and "repair" in r.problems[0]
    fixed = _one(bowtie, outline=outline, repair_invalid=True)
    assert fixed.ok and fixed.geom.is_valid
    rep = fixed.repair.as_dict()
    assert rep["parts_before"] == 1 and rep["parts_after"] == 2
    assert "Self-intersection" in rep["reason"]
    # the two triangles are half the square; "as drawn" the signed rings cancel out
    square = gc.geodesic_area_m2(Polygon([(x, y), (x + d, y), (x + d, y + d), (x, y + d)]))
    assert rep["area_after_m2"] == pytest.approx(square / 2, rel=1e-3)
    assert rep["area_before_m2"] < rep["area_after_m2"]


@pytest.mark.parametrize(
    ("geom", "expected"),
    [
        (None, "no geometry"),
        (Polygon(), "empty"),
        (Point(122.3, 29.9), "expected a Polygon or MultiPolygon, got Point"),
        (LineString([(122.3, 29.9), (122.31, 29.91)]), "got LineString"),
    ],
)
def test_wrong_kinds_of_geometry(geom, expected: str) -> None:
    r = _one(geom)
    assert not r.ok and expected in r.problems[0]


def test_nan_and_infinite_coordinates(parcel) -> None:
    coords = np.asarray(parcel.geoms[0].exterior.coords)
    coords[2] = [np.nan, 29.9]
    r = _one(Polygon(coords))
    assert not r.ok and "not a finite number" in r.problems[0] and "vertex #3" in r.problems[0]
    coords[2] = [np.inf, 29.9]
    assert "not a finite number" in _one(Polygon(coords)).problems[0]


def test_z_and_m_are_dropped_and_said_so(parcel, outline) -> None:
    z = shapely.force_3d(parcel, 12.5)
    r = _one(z, outline=outline)
    assert r.ok and not shapely.has_z(r.geom)
    assert any("Z values dropped" in n for n in r.notes)
    xym = shapely.from_wkt(
        "POLYGON M ((122.3 29.9 1, 122.301 29.9 1, 122.301 29.901 1, 122.3 29.9 1))"
    )
    r = _one(xym)
    assert any("M values dropped" in n for n in r.notes)


def test_swapped_lat_lon_is_named(parcel, outline) -> None:
    swapped = shapely.transform(parcel, lambda c: c[:, ::-1])
    r = _one(swapped, crs="EPSG:4326", outline=outline)
    assert not r.ok
    assert "swapped" in r.problems[0]


def test_web_mercator_metres_labelled_as_degrees(parcel, outline) -> None:
    t = Transformer.from_crs(4490, 3857, always_xy=True)
    merc = shapely.transform(parcel, lambda c: np.column_stack(t.transform(c[:, 0], c[:, 1])))
    r = _one(merc, crs="EPSG:4326", outline=outline)
    assert not r.ok and "not degrees" in r.problems[0] and "EPSG:3857" in r.problems[0]


def test_gauss_krueger_metres_declared_in_the_wrong_zone(parcel, outline) -> None:
    t = Transformer.from_crs(4490, 4550, always_xy=True)
    gk = shapely.transform(parcel, lambda c: np.column_stack(t.transform(c[:, 0], c[:, 1])))
    r = _one(gk, crs="EPSG:4549", outline=outline)
    assert not r.ok and "outside the jurisdiction" in r.problems[0]
    assert "EPSG:4550" in r.problems[0]


def test_gauss_krueger_4550_round_trip_within_a_centimetre(parcel, outline) -> None:
    t = Transformer.from_crs(4490, 4550, always_xy=True)
    gk = shapely.transform(parcel, lambda c: np.column_stack(t.transform(c[:, 0], c[:, 1])))
    assert shapely.get_coordinates(gk)[0][0] > 400_000  # metres, not degrees
    r = _one(gk, crs="EPSG:4550", outline=outline)
    assert r.ok
    assert _max_dev_m(r.geom, parcel) < 0.01


def test_gcj02_input_lands_within_a_decimetre(parcel, outline) -> None:
    def shift(c):
        lon, lat = wgs84_to_gcj02(c[:, 0], c[:, 1])
        return np.column_stack([lon, lat])

    gcj = shapely.transform(parcel, shift)
    assert _max_dev_m(gcj, parcel) > 300  # the obfuscation moves Putuo by ~480 m
    r = _one(gcj, crs="gcj02", outline=outline)
    assert r.ok and _max_dev_m(r.geom, parcel) < 0.1


def test_vertex_and_area_limits(parcel) -> None:
    x, y = parcel.centroid.x, parcel.centroid.y
    ring = shapely.Point(x, y).buffer(0.001, quad_segs=5000)
    r = _one(ring)
    assert not r.ok and "vertices" in r.problems[0] and "10000" in r.problems[0]
    tiny = shapely.box(x, y, x + 1e-6, y + 1e-6)
    assert "below the minimum" in _one(tiny).problems[0]
    huge = shapely.box(120, 28, 124, 31)
    assert "above the maximum" in _one(huge).problems[0]


def test_outside_the_jurisdiction(outline) -> None:
    shanghai = shapely.box(121.47, 31.23, 121.48, 31.24)
    r = _one(shanghai, outline=outline)
    assert not r.ok and "outside the jurisdiction" in r.problems[0]


def test_geojson_parsing_is_strict() -> None:
    closed = [[122.3, 29.9], [122.301, 29.9], [122.301, 29.901], [122.3, 29.9]]
    open_ring = [*closed[:-1], [122.3, 29.901]]
    with pytest.raises(GeometryRejected, match="not closed"):
        gc.geometry_from_geojson({"type": "Polygon", "coordinates": [open_ring]}, "site X", 100)
    nan = [[122.3, float("nan")], *closed[1:]]
    with pytest.raises(GeometryRejected, match="not a finite number"):
        gc.geometry_from_geojson({"type": "Polygon", "coordinates": [nan]}, "site X", 100)
    with pytest.raises(GeometryRejected, match="got Point"):
        gc.geometry_from_geojson({"type": "Point", "coordinates": [1, 2]}, "site X", 100)
    with pytest.raises(GeometryRejected, match="empty"):
        gc.geometry_from_geojson({"type": "Polygon", "coordinates": []}, "site X", 100)
    with pytest.raises(GeometryRejected, match="measures are refused"):
        gc.geometry_from_geojson(
            {"type": "Polygon", "coordinates": [[[*p, 1, 2] for p in closed]]}, "site X", 100
        )
    with pytest.raises(GeometryRejected, match="limit of 3 vertices"):
        gc.geometry_from_geojson({"type": "Polygon", "coordinates": [closed]}, "site X", 3)
    g = gc.geometry_from_geojson(
        {"type": "Feature", "geometry": mapping(Polygon(closed))}, "site X", 100
    )
    assert g.equals(Polygon(closed))


def test_crs_parsing() -> None:
    assert gc.parse_crs("EPSG:4550").epsg == 4550
    assert gc.parse_crs(4528).label == "EPSG:4528"
    assert gc.parse_crs("GCJ-02").gcj02 and gc.parse_crs("gcj02").geographic
    assert not gc.parse_crs("4550").geographic
    for bad in ("EPSG:999999", "wgs", "EPSG:4978"):
        with pytest.raises(Exception, match=r"CRS|EPSG"):
            gc.parse_crs(bad)
