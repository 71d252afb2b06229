"""Planner files as they arrive (issue 23): a 控规 Shapefile in GBK and EPSG:4550 with pinyin
fields and values for every row, XLSX exports edited in Excel as people do and imported back,
the import template, and exports for older GIS software (GBK Shapefile, any CRS, GeoPackage
that GDAL 3.6 reads without warnings).

The files are made the way their senders make them: the 控规 layer with pyogrio (as QGIS and
the planning system's GDAL write it), edits with openpyxl cell by cell.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pytest
import shapely
import sqlalchemy as sa
from pyproj import Transformer
from shapely import wkb

from gis_app.db.site_queries import SiteFilter
from gis_app.io.export import export_sites
from gis_app.io.imports import ImportOptions, ImportReport
from gis_app.services.imports import import_file

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

KG_COLUMNS = ("DKBH", "DKMC", "YDXZDH", "YDXZ", "YDMJ", "RJL", "JZMD", "LDL", "KZGD", "BZ")


def _import(engine: sa.Engine, path: Path, opts: ImportOptions) -> ImportReport:
    with engine.connect() as c:
        return import_file(c, path, opts, user="planner")


def _free_squares(engine: sa.Engine, n: int) -> list[shapely.Geometry]:
    """Small squares inside available land parcels that overlap no blocking zone."""
    with engine.connect() as c:
        rows = c.execute(
            sa.text(
                "SELECT ST_AsBinary(ST_Envelope(ST_Buffer(ST_PointOnSurface(s.geom), 0.0002))) "
                "FROM site s WHERE s.kind = 'land' AND s.availability = 'available' "
                "AND NOT EXISTS (SELECT 1 FROM gis_app_blocking_overlap(s.geom)) "
                "ORDER BY s.code LIMIT :n"
            ),
            {"n": n},
        ).all()
    assert len(rows) == n
    return [wkb.loads(bytes(r[0])) for r in rows]


def _kg_shapefile(engine: sa.Engine, folder: Path, extra: dict | None = None) -> Path:
    """A 控规 layer as the planning system sends it: EPSG:4550, GBK with a .cpg, pinyin fields."""
    squares = _free_squares(engine, 3)
    t = Transformer.from_crs(4490, 4550, always_xy=True)
    gk = [
        shapely.transform(g, lambda c: np.column_stack(t.transform(c[:, 0], c[:, 1])))
        for g in squares
    ]
    data = {
        "DKBH": ["KG-01", "KG-02", "KG-03"],
        "DKMC": ["临港一号地块", "", "蓝色海湾地块"],
        "YDXZDH": ["100101", "M1", "1001"],
        "YDXZ": ["一类工业用地", "一类工业用地", "工业用地"],
        "YDMJ": [round(g.area, 2) for g in gk],
        "RJL": ["1.2-2.0", "≥1.0", "≤2.5"],
        "JZMD": ["≥40%", "0.35", "≥30%"],
        "LDL": ["≤15%", "≤20%", "≤15%"],
        "KZGD": ["24米", "30", "24米"],
        "BZ": ["需整体出让", "近期实施", "海塘加固后供地"],
        **(extra or {}),
    }
    gdf = gpd.GeoDataFrame(data, geometry=gk, crs="EPSG:4550")
    folder.mkdir()
    gdf.to_file(folder / "kgdk.shp", encoding="GBK", engine="pyogrio")
    (folder / "kgdk.cpg").write_text("GBK", encoding="ascii")
    archive = folder.parent / f"{folder.name}.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for f in folder.iterdir():
            zf.write(f, f.name)
    return archive


def _site(engine: sa.Engine, code: str, *cols: str) -> tuple:
    with engine.connect() as c:
        return tuple(
            c.execute(
                sa.text(f"SELECT {', '.join(cols)} FROM site WHERE code = :c"), {"c": code}
            ).one()
        )


def _count(engine: sa.Engine) -> int:
    with engine.connect() as c:
        return c.execute(sa.text("SELECT count(*) FROM site")).scalar_one()


def test_kg_shapefile_needs_values_for_every_row_and_takes_them_from_set(
    edit_engine, scratch_dir: Path
) -> None:
    archive = _kg_shapefile(edit_engine, scratch_dir / "kg")
    # the bytes really are GBK, as the planning system writes them
    with zipfile.ZipFile(archive) as zf:
        dbf = zf.read("kgdk.dbf")
    assert "临港一号地块".encode("gbk") in dbf and "临港一号地块".encode() not in dbf
    bare = _import(edit_engine, archive, ImportOptions())
    assert not bare.committed
    assert all("needs kind, availability" in r.problems[0] for r in bare.rows), bare.summary()
    n = _count(edit_engine)
    opts = ImportOptions.parse(values=["kind=land", "availability=可招商"], dry_run=True)
    dry = _import(edit_engine, archive, opts)
    assert dry.ok, dry.summary()
    assert "4550" in dry.crs and dry.encoding == "CP936"
    by_code = {r.code: r for r in dry.rows}
    first = by_code["KG-01"].values
    assert first["kind"] == "land" and first["availability"] == "available"
    assert first["name_zh"] == "临港一号地块" and first["internal_note"] == "需整体出让"
    assert first["planned_use"] == "100101" and (first["far_min"], first["far_max"]) == (1.2, 2.0)
    assert by_code["KG-02"].values["name_zh"] == "KG-02"  # no DKMC: named after its code
    assert by_code["KG-02"].values["legacy_use"] == "M1"
    assert "insert" in dry.summary() and "availability=available" in dry.summary()
    assert _count(edit_engine) == n  # a dry run writes nothing
    rep = _import(
        edit_engine, archive, ImportOptions.parse(values=["kind=land", "availability=可招商"])
    )
    assert rep.committed, rep.summary()
    assert _site(edit_engine, "KG-02", "name_zh", "kind", "availability", "internal_note") == (
        "KG-02",
        "land",
        "available",
        "近期实施",
    )
    assert _site(edit_engine, "KG-01", "coverage_min_pct", "green_max_pct", "height_limit_m") == (
        40.0,
        15.0,
        24.0,
    )
    # declared YDMJ (plane m²) → 亩
    decl, area = _site(edit_engine, "KG-03", "declared_area_mu", "area_mu")
    assert abs(decl - area) / area < 0.01


def test_values_typed_in_qgis_cut_to_shapefile_names_are_read(
    edit_engine, scratch_dir: Path
) -> None:
    extra = {"kind": ["土地"] * 3, "availabili": ["可招商", "预留", "暂不可用"]}
    archive = _kg_shapefile(edit_engine, scratch_dir / "qgis", extra)
    rep = _import(edit_engine, archive, ImportOptions())
    assert rep.committed, rep.summary()
    assert rep.columns["availabili"] == "availability" and rep.columns["kind"] == "kind"
    assert _site(edit_engine, "KG-02", "availability")[0] == "reserved"
    assert _site(edit_engine, "KG-03", "availability")[0] == "unavailable"


def test_set_is_checked_before_the_file_is_read() -> None:
    from gis_app.domain.errors import InvalidInput

    with pytest.raises(InvalidInput, match="unknown availability value 'sold'"):
        ImportOptions.parse(values=["availability=sold"])
    with pytest.raises(InvalidInput, match="no such field"):
        ImportOptions.parse(values=["colour=red"])
    with pytest.raises(InvalidInput, match="every row needs its own code"):
        ImportOptions.parse(values=["code=X"])
    # by Chinese label too, and JSON as the API form sends it
    assert ImportOptions.parse(values=["招商状态=洽谈中"]).values == {"availability": "negotiating"}
    assert ImportOptions.parse(values='{"kind": "厂房"}').values == {"kind": "plant"}


def test_cli_set_and_dry_run_show_each_row(edit_url, scratch_dir: Path, monkeypatch, capsys):
    from cli.main import main
    from gis_app.db.engine import make_engine
    from gis_app.settings import DatabaseSettings

    monkeypatch.setenv("GIS_APP_DATABASE_URL", edit_url)
    eng = make_engine(edit_url, DatabaseSettings(), application_name="test")
    archive = _kg_shapefile(eng, scratch_dir / "cli")
    eng.dispose()
    args = ["import", str(archive), "--set", "kind=land", "--set", "availability=可招商"]
    assert main([*args, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "row 1 (KG-01): insert" in out and "internal_note=需整体出让" in out
    assert "row 2 (KG-02): insert" in out and "name_zh=KG-02" in out


def _sheet(path: Path):
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    heads = {c.value: c.column for c in ws[1]}
    rows = {ws.cell(r, heads["编号"]).value: r for r in range(2, ws.max_row + 1)}
    return wb, ws, heads, rows


def test_xlsx_export_edited_in_excel_round_trips(edit_engine, scratch_dir: Path) -> None:
    with edit_engine.connect() as c:
        out, _ = export_sites(c, SiteFilter(), "xlsx", scratch_dir)
        codes = [
            r[0]
            for r in c.execute(
                sa.text(
                    "SELECT code FROM site WHERE availability = 'available' "
                    "AND retired_at IS NULL ORDER BY code LIMIT 4"
                )
            )
        ]
    wb, ws, heads, rows = _sheet(out)
    assert wb.sheetnames[:2] == ["sites", "说明"]
    assert {"编号", "名称", "招商状态代码", "招商状态", "核实日期"} <= set(heads)
    # dates are date cells
    dated = [ws.cell(r, heads["核实日期"]) for r in rows.values()]
    assert any(c.is_date for c in dated if c.value is not None)
    a, b, c_, d = codes
    # a code that lost its leading zero (Excel made 0601 the number 601), name changed beside it
    ws.cell(rows[a], heads["规划用途（2023分类）代码"]).value = 601
    ws.cell(rows[a], heads["规划用途（2023分类）"]).value = None
    # dates as people type them
    ws.cell(rows[a], heads["核实日期"]).value = "2026/8/21"
    ws.cell(rows[b], heads["核实日期"]).value = "2026年8月21日"
    ws.cell(rows[c_], heads["核实日期"]).value = 46255  # a serial date: 2026-08-21
    # a name edited in the Chinese-headed column
    ws.cell(rows[b], heads["名称"]).value = "改名后的地块"
    # the label column changed, the code left as it was: refused, naming the row
    ws.cell(rows[d], heads["招商状态"]).value = "洽谈中"
    wb.save(out)
    before = _fingerprint(edit_engine)
    rep = _import(edit_engine, out, ImportOptions())
    assert not rep.committed
    refused = [r for r in rep.rows if r.status == "rejected"]
    assert [r.code for r in refused] == [d], rep.summary()
    assert "column 招商状态: '洽谈中' disagrees with column 招商状态代码" in refused[0].problems[0]
    assert f"row {refused[0].row} ({d})" in rep.summary()
    assert _fingerprint(edit_engine) == before  # all or nothing
    # the person clears the code (the name counts) and imports again: every edit arrives
    ws.cell(rows[d], heads["招商状态代码"]).value = None
    wb.save(out)
    rep = _import(edit_engine, out, ImportOptions())
    assert rep.committed, rep.summary()
    assert _site(edit_engine, a, "planned_use", "verified_at") == ("0601", dt.date(2026, 8, 21))
    assert _site(edit_engine, b, "name_zh", "verified_at") == ("改名后的地块", dt.date(2026, 8, 21))
    assert _site(edit_engine, c_, "verified_at")[0] == dt.date(2026, 8, 21)
    assert _site(edit_engine, d, "availability")[0] == "negotiating"
    assert rep.counts()["update"] == 4, rep.summary()


def _fingerprint(engine: sa.Engine) -> list:
    with engine.connect() as c:
        return c.execute(
            sa.text("SELECT code, version, to_jsonb(s) - 'updated_at' FROM site s ORDER BY code")
        ).all()


def test_ambiguous_or_unknown_codes_are_refused_with_the_row(edit_engine, scratch_dir) -> None:
    with edit_engine.connect() as c:
        out, _ = export_sites(c, SiteFilter(kind=["land"]), "xlsx", scratch_dir)
    wb, ws, heads, rows = _sheet(out)
    code = sorted(rows)[0]
    ws.cell(rows[code], heads["用地分类（GB 50137）代码"]).value = None
    ws.cell(rows[code], heads["用地分类（GB 50137）"]).value = "住宅用地"  # R11, R21 or R31?
    wb.save(out)
    rep = _import(edit_engine, out, ImportOptions())
    assert not rep.committed
    (bad,) = [r for r in rep.rows if r.problems]
    assert bad.code == code and "R11, R21, R31" in bad.problems[0]


def test_nul_in_a_csv_cell_is_refused_naming_row_and_column(edit_engine, scratch_dir) -> None:
    path = scratch_dir / "nul.csv"
    path.write_text("编号,名称,招商状态\nPT-KF-001,坏\x00名,可招商\n", encoding="utf-8")
    rep = _import(edit_engine, path, ImportOptions(crs="EPSG:4490"))
    assert not rep.committed
    assert rep.rows[0].problems == (
        "column 名称 (field name_zh): text may not contain NUL (\\u0000) characters",
    )
    # the page shows the same refusal in its language, naming the column the planner sees
    (said,) = rep.as_dict()["rows"][0]["messages"]
    assert said["zh"].startswith("列“名称”：") and said["en"].startswith("Column 名称: ")
    assert "row 1 (PT-KF-001)" in rep.summary()


def test_csv_export_has_chinese_headers_and_a_documentation_row(edit_engine, scratch_dir):
    with edit_engine.connect() as c:
        zh, _ = export_sites(c, SiteFilter(kind=["land"]), "csv", scratch_dir)
        (scratch_dir / "keys").mkdir()
        keys, _ = export_sites(
            c, SiteFilter(kind=["land"]), "csv", scratch_dir / "keys", headers="keys"
        )
    lines = zh.read_text("utf-8-sig").splitlines()
    assert lines[0].startswith("ID,编号,名称,英文名称,资源类型代码,资源类型,")
    assert lines[1].startswith("说明：") and "available 可招商" in lines[1]
    assert keys.read_text("utf-8-sig").startswith("id,code,name_zh,")
    for path in (zh, keys):
        rep = _import(edit_engine, path, ImportOptions())
        assert rep.ok and rep.counts()["unchanged"] == len(rep.rows), rep.summary()


def test_template_with_dropdowns_creates_sites_from_wkt(edit_engine, scratch_dir) -> None:
    from cli.main import main  # noqa: F401 (the CLI writes the same template; see below)
    from gis_app.io.workbook import write_template

    path = scratch_dir / "template.xlsx"
    write_template(path)
    wb = openpyxl.load_workbook(path)
    ws = wb["sites"]
    heads = {c.value: c.column for c in ws[1]}
    assert wb.sheetnames == ["sites", "取值", "说明"] and wb["取值"].sheet_state == "hidden"
    assert "图形WKT（EPSG:4490）" in heads and "招商状态" in heads
    lists = {
        next(iter(dv.sqref.ranges)).min_col: dv.formula1
        for dv in ws.data_validations.dataValidation
        if dv.type == "list"
    }
    ref = lists[heads["招商状态"]]
    col = ref.split("!$")[1][0]
    allowed = [c.value for c in wb["取值"][col][1:] if c.value]
    assert allowed == ["可招商", "预留", "洽谈中", "已签约", "暂不可用"]
    square = _free_squares(edit_engine, 1)[0]
    r = 2
    for head, value in {
        "编号": "TPL-001",
        "名称": "模板新增地块",
        "资源类型": "土地",
        "招商状态": "可招商",
        "规划用途（2023分类）": "100101 一类工业用地",
        "核实日期": dt.date(2026, 8, 21),
        "图形WKT（EPSG:4490）": square.wkt,
    }.items():
        ws.cell(r, heads[head]).value = value
    ws.cell(3, heads["编号"]).value = "TPL-002"  # a new site without an outline
    ws.cell(3, heads["资源类型"]).value = "厂房"
    ws.cell(3, heads["招商状态"]).value = "预留"
    wb.save(path)
    rep = _import(edit_engine, path, ImportOptions())
    assert not rep.committed
    assert [r.code for r in rep.rows if r.problems] == ["TPL-002"]
    assert "needs a polygon" in rep.rows[1].problems[0]
    ws.delete_rows(3)
    wb.save(path)
    rep = _import(edit_engine, path, ImportOptions())
    assert rep.committed, rep.summary()
    assert _site(edit_engine, "TPL-001", "kind", "availability", "planned_use", "name_zh") == (
        "land",
        "available",
        "100101",
        "模板新增地块",
    )


def test_cli_template_and_api_download(edit_url, scratch_dir, monkeypatch, capsys, client_as):
    from cli.main import main

    monkeypatch.setenv("GIS_APP_DATABASE_URL", edit_url)
    assert main(["export", "--template", "xlsx", "--out", str(scratch_dir)]) == 0
    path = Path(capsys.readouterr().out.strip())
    assert openpyxl.load_workbook(path).sheetnames == ["sites", "取值", "说明"]
    r = client_as("officer").get("/api/exports/template")
    assert r.status_code == 200 and r.content[:2] == b"PK"


def _unzip(archive: Path, dest: Path) -> Path:
    dest.mkdir()
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(dest)
    return dest


def test_gbk_shapefile_export_in_4550_reads_back_with_ogrinfo(edit_engine, scratch_dir) -> None:
    with edit_engine.connect() as c:
        out, _ = export_sites(c, SiteFilter(), "shp", scratch_dir, encoding="GBK", crs="EPSG:4550")
        name = c.execute(sa.text("SELECT name_zh FROM site ORDER BY code LIMIT 1")).scalar()
    folder = _unzip(out, scratch_dir / "shp")
    assert (folder / "sites.cpg").read_text() == "GBK"
    raw = (folder / "sites.dbf").read_bytes()
    assert name.encode("gbk") in raw
    prj = (folder / "sites.prj").read_text()
    assert prj.startswith('PROJCS["CGCS2000_3_Degree_GK_CM_123E"'), prj  # the ESRI name
    info = subprocess.run(
        ["ogrinfo", "-ro", "-al", "-geom=NO", str(folder / "sites.shp")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert name in info.stdout and "Warning" not in info.stderr, info.stderr
    rep = _import(edit_engine, out, ImportOptions())
    assert rep.ok and rep.counts()["unchanged"] == len(rep.rows), rep.summary()
    assert rep.encoding == "CP936" and "4550" in rep.crs


def test_gbk_export_refuses_text_gbk_cannot_hold(edit_engine, scratch_dir) -> None:
    from gis_app.domain.errors import InvalidInput

    with edit_engine.begin() as c:
        c.execute(sa.text("UPDATE site SET name_zh = '地块😀' WHERE code = 'PT-KF-001'"))
    with edit_engine.connect() as c, pytest.raises(InvalidInput, match="PT-KF-001 name_zh"):
        export_sites(c, SiteFilter(), "shp", scratch_dir, encoding="GBK")


def test_geopackage_reads_in_gdal_36_without_warnings_and_keeps_dates(edit_engine, scratch_dir):
    with edit_engine.connect() as c:
        out, _ = export_sites(c, SiteFilter(), "gpkg", scratch_dir, crs="EPSG:4550")
    info = subprocess.run(
        ["ogrinfo", "-ro", "-so", str(out), "sites"], capture_output=True, text=True, check=True
    )
    assert info.stderr.strip() == "", info.stderr
    assert "verified_at: Date" in info.stdout and "updated_at: DateTime" in info.stdout
    assert "CGCS2000 / 3-degree Gauss-Kruger CM 123E" in info.stdout
    rep = _import(edit_engine, out, ImportOptions())
    assert rep.ok and rep.counts()["unchanged"] == len(rep.rows), rep.summary()


def test_api_import_form_takes_set_and_export_takes_headers(edit_url, client_as, scratch_dir):
    url = edit_url
    planner = client_as("planner", url=url)
    eng = sa.create_engine(url)
    archive = _kg_shapefile(eng, scratch_dir / "api")
    eng.dispose()
    with archive.open("rb") as f:
        r = planner.post(
            "/api/imports",
            files={"file": ("kgdk.zip", f, "application/zip")},
            data={"set": "kind=land\navailability=可招商", "dry_run": "true"},
        )
    assert r.status_code == 200, r.text
    rows = {row["code"]: row for row in r.json()["rows"]}
    assert rows["KG-01"]["values"]["availability"] == "available"
    r = planner.get("/api/exports/sites", params={"format": "csv", "headers": "keys"})
    assert r.status_code == 200 and r.content.decode("utf-8-sig").startswith("id,code,")
    r = planner.get("/api/exports/sites", params={"format": "shp", "encoding": "GBK"})
    assert r.status_code == 200
    assert json.loads(r.headers.get("X-Export-Notes", "[]")) == []


def test_site_codes_that_lost_leading_zeros(edit_engine, scratch_dir) -> None:
    """A CSV saved from Excel turns the site code 007 into 7: put back when one stored code
    fits, refused with the candidates when several do."""
    with edit_engine.begin() as c:
        codes = c.execute(sa.text("SELECT code FROM site ORDER BY code LIMIT 3")).scalars().all()
        for old, new in zip(codes, ["007", "012", "0012"], strict=True):
            c.execute(sa.text("UPDATE site SET code = :n WHERE code = :o"), {"n": new, "o": old})
    path = scratch_dir / "edited.csv"
    path.write_text("编号,名称\n7,七号地块\n", encoding="gbk")
    rep = _import(edit_engine, path, ImportOptions())
    assert rep.committed, rep.summary()
    assert rep.rows[0].code == "007" and "read as '007'" in rep.rows[0].notes[0]
    assert _site(edit_engine, "007", "name_zh") == ("七号地块",)
    path.write_text("编号,名称\n7,七号地块\n12,十二号\n", encoding="gbk")
    before = _fingerprint(edit_engine)
    rep = _import(edit_engine, path, ImportOptions())
    assert not rep.committed
    assert "could be any of 0012, 012" in rep.rows[1].problems[0], rep.summary()
    assert _fingerprint(edit_engine) == before


def test_buildings_of_existing_sites_from_xlsx_without_geometry(edit_engine, scratch_dir):
    """Plants and buildings of existing sites as an officer types them in Excel: Chinese
    headers and labels, no geometry, the site named by its code."""
    with edit_engine.connect() as c:
        site = c.execute(
            sa.text("SELECT code FROM site WHERE kind = 'land' AND retired_at IS NULL LIMIT 1")
        ).scalar()
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["编号", "地块编号", "名称", "建筑类型", "层数", "建筑面积（㎡）", "空置面积（㎡）"])
    ws.append(["NEW-B1", site, "新建标准厂房", "标准厂房", 3, 5400, 5400])
    ws.append(["PT-KF-009-B1", None, None, None, None, None, 1200])  # update: vacancy only
    ws.append(["NEW-B2", "NO-SUCH-SITE", "仓库一", "仓库", 1, 800, 0])
    path = scratch_dir / "buildings.xlsx"
    wb.save(path)
    before = _fingerprint(edit_engine)
    rep = _import(edit_engine, path, ImportOptions.parse(layer="buildings"))
    assert not rep.committed and rep.crs is None
    assert [r.code for r in rep.rows if r.status == "rejected"] == ["NEW-B2"], rep.summary()
    assert "site_code 'NO-SUCH-SITE': no such site" in rep.rows[2].problems[0]
    assert _fingerprint(edit_engine) == before
    ws.delete_rows(4)
    wb.save(path)
    rep = _import(edit_engine, path, ImportOptions.parse(layer="buildings"))
    assert rep.committed, rep.summary()
    assert rep.counts() == {"insert": 1, "update": 1, "unchanged": 0, "rejected": 0}
    with edit_engine.connect() as c:
        new = c.execute(
            sa.text(
                "SELECT s.code, b.building_type, b.floors, b.gfa_m2 FROM building b "
                "JOIN site s ON s.id = b.site_id WHERE b.code = 'NEW-B1'"
            )
        ).one()
        old = c.execute(
            sa.text(
                "SELECT s.code, b.vacant_gfa_m2, b.name_zh FROM building b "
                "JOIN site s ON s.id = b.site_id WHERE b.code = 'PT-KF-009-B1'"
            )
        ).one()
    assert tuple(new) == (site, "standard_plant", 3, 5400.0)
    assert tuple(old) == ("PT-KF-009", 1200.0, "1号标准厂房一层")  # blank cells kept
    again = _import(edit_engine, path, ImportOptions.parse(layer="buildings"))
    assert again.counts()["unchanged"] == 2, again.summary()
