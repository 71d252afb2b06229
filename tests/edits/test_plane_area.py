"""Plane area beside ellipsoid area (issue 23 item 5): the database's Gauss-Krüger area of each
site against an independent pyproj computation, the zone picked from the centroid, the declared
area (YDMJ) compared with it on the import report and on the site sheet."""

from __future__ import annotations

import math
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
import sqlalchemy as sa
from edits.test_planner_files import _free_squares
from pyproj import CRS, Transformer
from shapely import wkb

from gis_app.domain import plane_area
from gis_app.io.imports import ImportOptions
from gis_app.services.imports import import_file
from gis_app.services.site_sheet import site_sheet

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def _zone(lon: float) -> int:
    """The CGCS2000 3° zone by the textbook rule, found by name in the EPSG database."""
    cm = 3 * round(lon / 3)
    crs = CRS.from_epsg(4534 + (cm - 75) // 3)
    assert f"CM {cm}E" in crs.name, crs.name
    return crs.to_epsg()


def _plane_area(g: shapely.Geometry, epsg: int) -> float:
    t = Transformer.from_crs(4490, epsg, always_xy=True)
    return shapely.transform(g, lambda c: np.column_stack(t.transform(c[:, 0], c[:, 1]))).area


def test_every_site_has_the_plane_area_pyproj_computes(conn: sa.Connection) -> None:
    rows = conn.execute(
        sa.text("SELECT code, ST_AsBinary(geom) g, area_m2, area_m2_plane, plane_epsg FROM site")
    ).all()
    assert len(rows) > 50
    for r in rows:
        g = wkb.loads(bytes(r.g))
        epsg = _zone(g.centroid.x)
        assert r.plane_epsg == epsg == 4550, r.code  # Zhoushan lies in the 123°E zone
        expected = _plane_area(g, epsg)
        assert r.area_m2_plane == pytest.approx(expected, rel=1e-9, abs=1e-3), r.code
        # the plane and the ellipsoid differ, by a few 0.01 % this close to the meridian
        assert 0 < abs(r.area_m2_plane - r.area_m2) / r.area_m2 < 5e-4, r.code


@pytest.mark.parametrize("lon", [75.2, 88.6, 101.4, 114.0, 116.4, 120.2, 121.4, 126.7, 134.9])
def test_zone_follows_the_centroid_longitude(conn: sa.Connection, lon: float) -> None:
    """Far from 123°E too: a 300 m square's zone and plane area as pyproj has them."""
    lat = 30.0
    square = shapely.box(lon, lat, lon + 0.003, lat + 0.003)
    got = conn.execute(
        sa.text(
            "SELECT gis_app_gk_epsg(g), ST_Area(ST_Transform(g, gis_app_gk_epsg(g))) "
            "FROM (SELECT ST_GeomFromText(:w, 4490) g) x"
        ),
        {"w": square.wkt},
    ).one()
    epsg = _zone(square.centroid.x)
    assert got[0] == epsg
    assert got[1] == pytest.approx(_plane_area(square, epsg), rel=1e-9)
    assert plane_area.central_meridian(epsg) == 3 * round(lon / 3)


def test_no_op_update_keeps_the_version(edit_engine) -> None:
    """The generated plane columns do not make every update look like a change."""
    with edit_engine.begin() as c:
        v = c.execute(sa.text("SELECT version FROM site WHERE code = 'PT-BL-001'")).scalar()
        c.execute(sa.text("UPDATE site SET name_zh = name_zh WHERE code = 'PT-BL-001'"))
        assert c.execute(sa.text("SELECT version FROM site WHERE code = 'PT-BL-001'")).scalar() == v


def _kg_layer(engine: sa.Engine, folder: Path, scale: list[float]) -> Path:
    """A 控规 layer in EPSG:4550 (GBK) whose YDMJ (m²) is the plane area times ``scale``."""
    squares = _free_squares(engine, len(scale))
    gk = [
        shapely.transform(
            g,
            lambda c: np.column_stack(
                Transformer.from_crs(4490, 4550, always_xy=True).transform(c[:, 0], c[:, 1])
            ),
        )
        for g in squares
    ]
    codes = [f"KG-A{i}" for i in range(len(scale))]
    gdf = gpd.GeoDataFrame(
        {
            "DKBH": codes,
            "DKMC": [f"面积核对地块{i}" for i in range(len(scale))],
            "YDMJ": [round(g.area * k, 2) for g, k in zip(gk, scale, strict=True)],
        },
        geometry=gk,
        crs="EPSG:4550",
    )
    folder.mkdir()
    gdf.to_file(folder / "kg.shp", encoding="GBK", engine="pyogrio")
    (folder / "kg.cpg").write_text("GBK", encoding="ascii")
    archive = folder.parent / "kg.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for f in folder.iterdir():
            zf.write(f, f.name)
    return archive


def test_declared_area_off_by_more_than_one_percent_is_flagged(edit_engine, scratch_dir) -> None:
    archive = _kg_layer(edit_engine, scratch_dir / "kg", [1.0, 1.009, 1.02, 0.97])
    opts = ImportOptions.parse(values=["kind=land", "availability=unavailable"])
    with edit_engine.connect() as c:
        rep = import_file(c, archive, opts, user="planner")
    assert rep.committed, rep.summary()  # a flag, not a refusal
    by_code = {r.code: r for r in rep.rows}
    assert by_code["KG-A0"].warnings == [] and by_code["KG-A1"].warnings == []
    assert "+2.00 %" in by_code["KG-A2"].warnings[0], by_code["KG-A2"].warnings
    assert "-3.00 %" in by_code["KG-A3"].warnings[0]
    assert "EPSG:4550" in by_code["KG-A3"].warnings[0]
    assert "warning: declared area" in rep.summary()
    assert rep.as_dict()["warnings"] == 2
    with edit_engine.connect() as c:
        ids = dict(c.execute(sa.text("SELECT code, id FROM site WHERE code LIKE 'KG-A%'")).all())
        flagged = site_sheet(c, ids["KG-A2"])
        fine = site_sheet(c, ids["KG-A1"])
    assert flagged.area_flag is not None and "+2.00%" in flagged.area_flag[0]
    assert fine.area_flag is None
    area = dict((v.key, v) for v in flagged.sections[1][1])
    assert {"area_m2", "area_m2_plane", "plane_epsg", "declared_area_mu"} <= set(area)
    assert area["plane_epsg"].zh == "EPSG:4550（中央经线 123°E）"
    plane = flagged.record["area_m2_plane"]
    assert math.isclose(flagged.record["declared_area_mu"] * 10000 / 15, plane * 1.02, rel_tol=1e-4)


def test_sheet_page_shows_both_areas_and_the_flag(edit_url, edit_engine, scratch_dir, client_as):
    archive = _kg_layer(edit_engine, scratch_dir / "kg", [1.05])
    with edit_engine.connect() as c:
        rep = import_file(
            c, archive, ImportOptions.parse(values=["kind=land", "availability=reserved"]), user="p"
        )
        assert rep.committed
        site_id = c.execute(sa.text("SELECT id FROM site WHERE code = 'KG-A0'")).scalar()
    page = client_as("officer", edit_url).get(f"/sites/{site_id}")
    assert page.status_code == 200
    html = page.text
    assert 'data-field="area_m2_plane"' in html and 'data-field="area_m2"' in html
    assert 'data-field="declared_area_gap"' in html and "+5.00%" in html
    feature = client_as("officer", edit_url).get(f"/api/sites/{site_id}").json()
    assert feature["properties"]["plane_epsg"] == 4550
    assert feature["properties"]["area_m2_plane"] > 0
