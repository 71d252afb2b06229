"""Reading import files: rows built the same whatever their number, a large file read in
batches exactly as in one go (GeoPackage, a GBK Shapefile, an unreadable outline in a later
batch), repeated text held once, a batch's strings let go before the next is read; the
garbage collector paused while a file is read and restored after (also with several readers
at once)."""

from __future__ import annotations

import gc
import sqlite3
import struct
import threading
import tracemalloc
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from gis_app.io.imports import readers
from gis_app.io.imports.options import ImportOptions, UploadLimits
from gis_app.io.imports.readers import ColumnRows, collector_paused, read_source


def test_rows_hold_every_column_of_every_feature(tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame(
        {"地块编号": ["A-1", "A-2", None], "面积": [1.5, 2.25, 3.0], "批次": [1, 2, 3]},
        geometry=[shapely.box(122, 30, 122.001, 30.001)] * 3,
        crs="EPSG:4490",
    )
    gdf.to_file(tmp_path / "p.gpkg", engine="pyogrio")
    src = read_source(tmp_path / "p.gpkg", tmp_path, ImportOptions(), UploadLimits())
    assert src.columns == ["地块编号", "面积", "批次"]
    rows = src.rows[:]
    assert rows == [
        {"地块编号": "A-1", "面积": 1.5, "批次": 1},
        {"地块编号": "A-2", "面积": 2.25, "批次": 2},
        {"地块编号": None, "面积": 3.0, "批次": 3},
    ]
    assert len({id(r) for r in rows}) == 3  # a dict per row, never shared
    assert [src.rows[i] for i in range(3)] == rows == list(src.rows)
    assert src.rows[-1] == rows[2] and src.rows[::2] == rows[::2] and src.rows[5:9] == []
    with pytest.raises(IndexError):
        src.rows[3]
    rows[0]["地块编号"] = "changed"  # a caller's dict is its own
    assert src.rows[0]["地块编号"] == "A-1"
    # the outlines, parsed when asked for: a chunk's at once, or one
    assert len(src.geoms) == 3 and src.geoms[1:3] == [src.geoms[1], src.geoms[2]]
    assert src.geoms[-1].equals(shapely.box(122, 30, 122.001, 30.001))
    assert gc.isenabled()


@pytest.fixture
def collector_on():
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_collector_paused_while_reading_and_on_again_after(collector_on) -> None:
    inside = threading.Event()
    release = threading.Event()

    def other_reader() -> None:
        with collector_paused():
            inside.set()
            release.wait(10)

    with collector_paused():
        assert not gc.isenabled()
        t = threading.Thread(target=other_reader)
        t.start()
        assert inside.wait(10)
    # the first reader is done, the other is not: still paused
    assert not gc.isenabled()
    release.set()
    t.join()
    assert gc.isenabled()


def test_collector_left_off_if_it_was_off(collector_on) -> None:
    gc.disable()
    with collector_paused():
        pass
    assert not gc.isenabled()


def test_column_rows_without_fields() -> None:
    rows = ColumnRows([], [], 2)
    assert len(rows) == 2 and rows[:] == [{}, {}] and rows[1] == {}


def _parcels(n: int) -> gpd.GeoDataFrame:
    """``n`` parcels as a 控规 export gives them: a unique code and name, statuses and
    townships that repeat, numbers, blanks."""
    return gpd.GeoDataFrame(
        {
            "DKBH": [f"PT-{i:05d}" for i in range(n)],
            "地块名称": [f"塘头地块{i}号" for i in range(n)],
            "乡镇": [("沈家门街道", "展茅街道", "六横镇")[i % 3] for i in range(n)],
            "状态": [None if i % 7 == 0 else ("available", "reserved")[i % 2] for i in range(n)],
            "YDMJ": [1000.0 + i for i in range(n)],
            "批次": [i % 4 for i in range(n)],
        },
        geometry=[
            shapely.box(122.1 + i * 1e-4, 29.9, 122.1 + i * 1e-4 + 5e-5, 29.90005) for i in range(n)
        ],
        crs="EPSG:4490",
    )


def _unclosed_ring(gpkg: Path, fid: int) -> None:
    """Give feature ``fid`` an outline GDAL reads but GEOS does not (a ring of 3 points, not
    closed), written into the GeoPackage's blob as another program might."""
    wkb = struct.pack("<BII", 1, 3, 1) + struct.pack("<I", 3)
    wkb += b"".join(
        struct.pack("<dd", x, y) for x, y in ((122.1, 29.9), (122.2, 29.9), (122.2, 30))
    )
    blob = b"GP" + bytes([0, 1]) + struct.pack("<i", 4490) + wkb
    with sqlite3.connect(gpkg) as db:
        # the functions the GeoPackage's R-tree triggers call (GDAL's SQLite has them)
        db.create_function("ST_IsEmpty", 1, lambda _: 0)
        for name, value in (("MinX", 122.1), ("MaxX", 122.2), ("MinY", 29.9), ("MaxY", 30.0)):
            db.create_function(f"ST_{name}", 1, lambda _, v=value: v)
        table = db.execute("SELECT table_name FROM gpkg_contents").fetchone()[0]
        geom = db.execute(
            "SELECT column_name FROM gpkg_geometry_columns WHERE table_name = ?", (table,)
        ).fetchone()[0]
        db.execute(f'UPDATE "{table}" SET "{geom}" = ? WHERE fid = ?', (blob, fid))


def _read(path: Path, tmp: Path, opts: ImportOptions | None = None) -> readers.SourceTable:
    return read_source(path, tmp, opts or ImportOptions(), UploadLimits())


@pytest.mark.parametrize("kind", ["gpkg", "gbk_shapefile"])
def test_a_large_file_read_in_batches_as_in_one_go(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    gdf = _parcels(23)
    if kind == "gpkg":
        path = tmp_path / "parcels.gpkg"
        gdf.to_file(path, engine="pyogrio")
        _unclosed_ring(path, 18)  # in the fourth batch of five
    else:
        path = tmp_path / "kg.shp"
        gdf.to_file(path, engine="pyogrio", encoding="GBK")
        assert "乡镇".encode("gbk") in (tmp_path / "kg.dbf").read_bytes()
    whole = _read(path, tmp_path)
    monkeypatch.setattr(readers, "READ_BATCH", 5)
    batched = _read(path, tmp_path)
    assert batched.columns == whole.columns
    assert batched.rows[:] == whole.rows[:] and len(batched.rows) == 23
    assert batched.rows[22]["地块名称"] == "塘头地块22号"
    assert [g.wkb if g is not None else None for g in batched.geoms] == [
        g.wkb if g is not None else None for g in whole.geoms
    ]
    assert batched.crs == whole.crs and batched.encoding == whole.encoding
    assert batched.geom_errors == whole.geom_errors
    if kind == "gpkg":
        assert list(batched.geom_errors) == [17]  # the file's 18th row
        assert batched.geom_errors[17].code == "geom_unreadable"
        assert batched.geoms[17] is None


def test_repeated_text_held_once_across_batches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "parcels.gpkg"
    _parcels(40).to_file(path, engine="pyogrio")
    monkeypatch.setattr(readers, "READ_BATCH", 8)
    rows = _read(path, tmp_path).rows[:]
    assert rows[0]["乡镇"] == rows[39]["乡镇"] == "沈家门街道"
    assert rows[0]["乡镇"] is rows[39]["乡镇"]  # one string, though read in other batches
    assert rows[1]["状态"] is rows[33]["状态"]
    assert [r["状态"] for r in rows[:8]] == [None] + ["reserved", "available"] * 3 + [None]
    assert len({r["DKBH"] for r in rows}) == 40


def test_batches_let_go_of_their_strings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only one batch's cells are held at a time (the whole file's, read in one go): the
    collector is paused while reading, so this needs the batch's cycle collected."""
    path = tmp_path / "parcels.gpkg"
    gdf = _parcels(12_000)
    for k in range(12):  # wide, repetitive text: what a 控规 export's columns look like
        gdf[f"说明{k}"] = [f"控规说明文字第{i % 5}类，编号{k}" for i in range(12_000)]
    gdf.to_file(path, engine="pyogrio")

    def peak() -> int:
        gc.collect()
        tracemalloc.start()
        try:
            _read(path, tmp_path)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    whole = peak()
    monkeypatch.setattr(readers, "READ_BATCH", 1_000)
    assert peak() < 0.6 * whole
