"""三调 current land use (issue 23 item 6): a DLTB layer as the survey database exports it (a
GBK Shapefile without .cpg, Gauss-Krüger with the zone prefix, BSM/TBBH/DLBM/DLMC/ZLDWMC/TBMJ)
imported with ``--layer current_use``; each site's composition computed by overlay in
PostGIS, checked against shapely + pyproj's geodesic areas; shown on the sheet; a filter of
GET /api/sites; kept current when a site's outline or the parcels change."""

from __future__ import annotations

import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
import sqlalchemy as sa
from pyproj import Geod, Transformer
from shapely import wkb

from gis_app.domain import landuse
from gis_app.io.imports import ImportOptions
from gis_app.services.imports import import_file
from gis_app.services.site_sheet import site_sheet

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

GEOD = Geod(ellps="GRS80")  # CGCS2000's ellipsoid differs from GRS80 by 0.1 mm in b
# CGCS2000 / 3-degree Gauss-Kruger zone 41 (123°E), with the zone number before the easting,
# as 三调 databases deliver coordinates
ZONE_41 = 4529


def _site(engine: sa.Engine) -> tuple[int, str, shapely.Geometry]:
    """An available land parcel with no blocking overlap (id, code, outline in EPSG:4490)."""
    with engine.connect() as c:
        r = c.execute(
            sa.text(
                "SELECT s.id, s.code, ST_AsBinary(s.geom) FROM site s WHERE s.kind = 'land' "
                "AND s.availability = 'available' AND s.retired_at IS NULL "
                "AND NOT EXISTS (SELECT 1 FROM gis_app_blocking_overlap(s.geom)) "
                "ORDER BY s.code LIMIT 1"
            )
        ).one()
    return r[0], r[1], wkb.loads(bytes(r[2]))


def _parcels(site: shapely.Geometry) -> list[tuple[str, shapely.Geometry]]:
    """三调 parcels around a site: paddy west of its centroid, a rural road band, industry east."""
    x0, y0, x1, y1 = site.buffer(0.002).bounds
    cx = site.centroid.x
    w = (x1 - x0) * 0.02
    return [
        ("0101", shapely.box(x0, y0, cx - w, y1)),
        ("1006", shapely.box(cx - w, y0, cx + w, y1)),
        ("0601", shapely.box(cx + w, y0, x1, y1)),
    ]


def _dltb(folder: Path, parcels: list[tuple[str, shapely.Geometry]], dlmc=None) -> Path:
    """The DLTB layer as the survey database exports it: GBK text and no .cpg, zone-41 metres."""
    t = Transformer.from_crs(4490, ZONE_41, always_xy=True)
    geoms = [
        shapely.transform(g, lambda c: np.column_stack(t.transform(c[:, 0], c[:, 1])))
        for _, g in parcels
    ]
    codes = [code for code, _ in parcels]
    gdf = gpd.GeoDataFrame(
        {
            "BSM": [f"33090300{i:07d}" for i in range(len(parcels))],
            "TBBH": [str(100 + i) for i in range(len(parcels))],
            "DLBM": codes,
            "DLMC": dlmc or [landuse.SANDIAO[c].zh for c in codes],
            "ZLDWMC": ["沈家门街道泗湾村"] * len(parcels),
            "TBMJ": [round(g.area, 2) for g in geoms],
        },
        geometry=geoms,
        crs=f"EPSG:{ZONE_41}",
    )
    folder.mkdir()
    gdf.to_file(folder / "DLTB.shp", encoding="GBK", engine="pyogrio")
    for cpg in folder.glob("*.cpg"):
        cpg.unlink()  # the survey database writes none
    archive = folder.parent / f"{folder.name}.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for f in folder.iterdir():
            zf.write(f, f.name)
    return archive


def _expected(site: shapely.Geometry, parcels) -> dict[str, float]:
    """Share (%) of each 三调 group in the site, from geodesic areas of shapely intersections."""
    total = abs(GEOD.geometry_area_perimeter(site)[0])
    out: dict[str, float] = {}
    for code, g in parcels:
        piece = abs(GEOD.geometry_area_perimeter(site.intersection(g))[0])
        group = landuse.sandiao_group(code)
        out[group] = out.get(group, 0.0) + 100 * piece / total
    return out


def _import(engine: sa.Engine, path: Path, **kw):
    with engine.connect() as c:
        return import_file(c, path, ImportOptions.parse(layer="current_use", **kw), user="p")


def _composition(engine: sa.Engine, site_id: int):
    with engine.connect() as c:
        return (
            c.execute(sa.text("SELECT * FROM site_current_use WHERE site_id = :i"), {"i": site_id})
            .mappings()
            .first()
        )


def test_dltb_layer_gives_each_site_its_composition(edit_engine, scratch_dir) -> None:
    site_id, _code, site = _site(edit_engine)
    parcels = _parcels(site)
    archive = _dltb(scratch_dir / "dltb", parcels)
    with zipfile.ZipFile(archive) as zf:  # the bytes really are GBK
        assert "水田".encode("gbk") in zf.read("DLTB.dbf")
        assert not any(n.endswith(".cpg") for n in zf.namelist())
    rep = _import(edit_engine, archive)
    assert rep.committed, rep.summary()
    assert rep.counts()["insert"] == 3 and "4529" in rep.crs
    assert any("detected as GBK" in n for n in rep.notes), rep.notes
    assert "TBMJ" in " ".join(rep.notes)  # reported as ignored, not silently dropped
    got = _composition(edit_engine, site_id)
    want = _expected(site, parcels)
    assert got["cultivated_pct"] == pytest.approx(want["cultivated"], abs=0.01)
    assert got["agricultural_pct"] == pytest.approx(want["agricultural"], abs=0.01)
    assert got["construction_pct"] == pytest.approx(want["construction"], abs=0.01)
    assert got["unused_pct"] == 0 and got["surveyed_pct"] == pytest.approx(100, abs=0.01)
    assert set(got["classes"]) == {"01", "10", "06"}
    assert 10 < got["cultivated_pct"] < 90 and 10 < got["construction_pct"] < 90
    # importing the same layer again changes nothing
    again = _import(edit_engine, archive)
    assert again.committed and again.counts()["unchanged"] == 3, again.summary()
    with edit_engine.connect() as c:
        sheet = site_sheet(c, site_id)
    assert sheet.current_use is not None
    assert sheet.current_use.summary[0].startswith(("耕地", "建设用地"))
    assert f"耕地 {got['cultivated_pct']:.1f}%" in sheet.current_use.summary[0]
    assert sheet.current_use.classes[0][0].key in ("01", "06")


def test_composition_is_a_filter_and_shows_on_the_sheet(
    edit_url, edit_engine, scratch_dir, client_as
) -> None:
    site_id, code, site = _site(edit_engine)
    parcels = _parcels(site)
    assert _import(edit_engine, _dltb(scratch_dir / "dltb", parcels)).committed
    share = _composition(edit_engine, site_id)["cultivated_pct"]
    officer = client_as("officer", edit_url)

    def codes(**params) -> set[str]:
        r = officer.get("/api/sites", params={"format": "json", "limit": 1000, **params})
        assert r.status_code == 200, r.text
        return (
            {s["code"] for s in r.json()["sites"]}
            if "sites" in r.json()
            else {s["code"] for s in r.json()}
        )

    with edit_engine.connect() as c:
        reached = set(
            c.execute(
                sa.text("SELECT s.code FROM site_current_use u JOIN site s ON s.id = u.site_id")
            ).scalars()
        )
    assert code in reached
    assert code in codes(cultivated_max_pct=share + 1)
    assert code not in codes(cultivated_max_pct=share - 1)
    # sites the survey does not reach are unknown: left out, not read as 0 % cropland
    assert codes(cultivated_max_pct=100) == reached
    assert code in codes(construction_min_pct=1)
    bad = officer.get("/api/sites", params={"cultivated_max_pct": "lots"})
    assert bad.status_code == 422
    page = officer.get(f"/sites/{site_id}")
    assert page.status_code == 200
    assert 'id="gis-current-use"' in page.text and "耕地" in page.text
    assert 'data-class="01"' in page.text and "01 耕地" in page.text


def test_composition_follows_outline_and_parcel_changes(edit_engine, scratch_dir) -> None:
    site_id, _code, site = _site(edit_engine)
    parcels = _parcels(site)
    assert _import(edit_engine, _dltb(scratch_dir / "dltb", parcels)).committed
    east = site.intersection(parcels[2][1])  # the site cut down to its industrial part
    with edit_engine.begin() as c:  # as QGIS would: a plain UPDATE of the outline
        c.execute(
            sa.text("UPDATE site SET geom = ST_Multi(ST_GeomFromText(:w, 4490)) WHERE id = :i"),
            {"w": east.wkt, "i": site_id},
        )
    got = _composition(edit_engine, site_id)
    assert got["construction_pct"] == pytest.approx(100, abs=0.01)
    assert got["cultivated_pct"] == 0
    with edit_engine.begin() as c:  # the survey is withdrawn
        c.execute(sa.text("DELETE FROM current_use_parcel WHERE use_code = '0601'"))
    assert _composition(edit_engine, site_id) is None


def test_dlmc_that_disagrees_with_dlbm_is_refused_naming_the_row(edit_engine, scratch_dir):
    _, _, site = _site(edit_engine)
    parcels = _parcels(site)
    archive = _dltb(scratch_dir / "dltb", parcels, dlmc=["水田", "农村道路", "旱地"])
    rep = _import(edit_engine, archive)
    assert not rep.committed
    bad = [r for r in rep.rows if r.status == "rejected"]
    assert [r.row for r in bad] == [3]
    assert "'旱地' disagrees with column DLBM" in bad[0].problems[0], bad[0].problems
    with edit_engine.connect() as c:
        assert c.execute(sa.text("SELECT count(*) FROM current_use_parcel")).scalar() == 0
    unknown = _dltb(scratch_dir / "dltb2", [("0199", parcels[0][1])], dlmc=["某地类"])
    rep = _import(edit_engine, unknown)
    assert not rep.committed and "unknown land-use code '0199'" in rep.summary(), rep.summary()


def test_database_groups_agree_with_the_domain(conn: sa.Connection) -> None:
    rows = conn.execute(
        sa.text(
            "SELECT code, gis_app_sandiao_group(code), gis_app_sandiao_class(code) "
            "FROM land_use_code WHERE system = 'sandiao'"
        )
    ).all()
    assert len(rows) == len(landuse.SANDIAO)
    for code, group, cls in rows:
        assert group == landuse.sandiao_group(code), code
        assert cls == landuse.ancestors("sandiao", code)[0], code
