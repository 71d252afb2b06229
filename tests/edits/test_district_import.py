"""Imports and districts (issue 26, item 5): a planner's file that does not say which district
its parcels are in gets each from its outline; a parcel across the district boundary is a
rejected row naming both districts, and nothing is written."""

from __future__ import annotations

import zipfile
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
import sqlalchemy as sa
from shapely import wkt
from shapely.geometry import box
from writers import DINGHAI, PUTUO, boundary_square

from gis_app.domain import vocab
from gis_app.io.imports import ImportOptions, checks
from gis_app.services.imports import import_file

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")


def _free_spot(engine: sa.Engine, district: str) -> tuple[float, float]:
    """A point of the district at least ~300 m from every site and blocking zone."""
    with engine.connect() as c:
        p = c.execute(
            sa.text(
                "SELECT ST_AsText(ST_PointOnSurface(ST_Difference(ST_Buffer(d.geom, -0.003),"
                " (SELECT ST_Buffer(ST_Union(geom), 0.003) FROM ("
                "   SELECT geom FROM site UNION ALL SELECT geom FROM constraint_zone) g))))"
                " FROM district d WHERE d.code = :d"
            ),
            {"d": district},
        ).scalar_one()
    point = wkt.loads(p)
    return point.x, point.y


def _shapefile(folder: Path, rows: list[tuple[str, str, object]]) -> Path:
    """A GBK Shapefile with Chinese headers as a planner's GIS writes it: no district column."""
    land = vocab.SITE_KIND.label("land")
    unavailable = vocab.AVAILABILITY.label("unavailable")
    gdf = gpd.GeoDataFrame(
        {
            "地块编号": [r[0] for r in rows],
            "地块名称": [r[1] for r in rows],
            "资源类型": [land] * len(rows),
            "招商状态": [unavailable] * len(rows),
        },
        geometry=[r[2] for r in rows],
        crs="EPSG:4490",
    )
    folder.mkdir()
    gdf.to_file(folder / "dk.shp", encoding="GBK", engine="pyogrio")
    (folder / "dk.cpg").write_text("GBK", encoding="ascii")
    archive = folder.parent / f"{folder.name}.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for f in folder.iterdir():
            zf.write(f, f.name)
    return archive


def _districts_of(engine: sa.Engine, codes: list[str]) -> dict[str, str]:
    with engine.connect() as c:
        return dict(
            c.execute(
                sa.text("SELECT code, district_code FROM site WHERE code = ANY(:c)"), {"c": codes}
            ).all()
        )


def test_a_file_without_districts_gets_them_from_the_outlines(
    edit_engine, scratch_dir, monkeypatch
) -> None:
    # every row's district is found against outlines GEOS has indexed (a long boundary would
    # otherwise cost milliseconds a row)
    asked = []
    real = checks.site_district

    def site_district(g, given, districts, **kw):
        asked.append(all(shapely.is_prepared(d.geom) for d in districts))
        return real(g, given, districts, **kw)

    monkeypatch.setattr(checks, "site_district", site_district)
    squares = {}
    for district in (PUTUO, DINGHAI):
        x, y = _free_spot(edit_engine, district)
        squares[district] = box(x - 0.0005, y - 0.0004, x + 0.0005, y + 0.0004)
    path = _shapefile(
        scratch_dir / "new",
        [
            ("PT-IMP-001", "普陀新增地块", squares[PUTUO]),
            ("ZS-DH-IMP-001", "定海新增地块", squares[DINGHAI]),
        ],
    )
    with edit_engine.connect() as c:
        report = import_file(c, path, ImportOptions(), user="planner")
    assert report.committed, report.summary()
    assert asked and all(asked)
    notes = {r.code: r.notes for r in report.rows}
    assert f"district {DINGHAI} (from the outline)" in notes["ZS-DH-IMP-001"]
    assert _districts_of(edit_engine, ["PT-IMP-001", "ZS-DH-IMP-001"]) == {
        "PT-IMP-001": PUTUO,
        "ZS-DH-IMP-001": DINGHAI,
    }


def test_a_parcel_across_the_boundary_is_a_rejected_row(edit_engine, scratch_dir) -> None:
    crossing = boundary_square(edit_engine)
    with edit_engine.connect() as c:
        before = c.execute(sa.text("SELECT count(*) FROM site")).scalar_one()
    x, y = _free_spot(edit_engine, DINGHAI)
    path = _shapefile(
        scratch_dir / "cross",
        [
            ("ZS-DH-IMP-002", "定海新增地块", box(x - 0.0005, y - 0.0004, x + 0.0005, y + 0.0004)),
            (
                "X-CROSS-001",
                "跨区地块",
                crossing,
            ),
        ],
    )
    with edit_engine.connect() as c:
        report = import_file(c, path, ImportOptions(), user="planner")
    assert not report.ok and not report.committed
    (crossing,) = [r for r in report.rows if r.code == "X-CROSS-001"]
    (problem,) = crossing.problems
    assert problem.startswith("crosses the boundary between ")
    assert "Putuo District" in problem and "Dinghai District (illustrative part)" in problem
    with edit_engine.connect() as c:
        assert c.execute(sa.text("SELECT count(*) FROM site")).scalar_one() == before
