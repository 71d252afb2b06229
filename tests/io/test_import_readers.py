"""Reading import files: rows built the same whatever their number, the garbage collector
paused while they are built and restored after (also with several readers at once)."""

from __future__ import annotations

import gc
import threading
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from gis_app.io.imports.options import ImportOptions, UploadLimits
from gis_app.io.imports.readers import collector_paused, read_source


def test_rows_hold_every_column_of_every_feature(tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame(
        {"地块编号": ["A-1", "A-2", None], "面积": [1.5, 2.25, 3.0], "批次": [1, 2, 3]},
        geometry=[shapely.box(122, 30, 122.001, 30.001)] * 3,
        crs="EPSG:4490",
    )
    gdf.to_file(tmp_path / "p.gpkg", engine="pyogrio")
    src = read_source(tmp_path / "p.gpkg", tmp_path, ImportOptions(), UploadLimits())
    assert src.columns == ["地块编号", "面积", "批次"]
    assert src.rows == [
        {"地块编号": "A-1", "面积": 1.5, "批次": 1},
        {"地块编号": "A-2", "面积": 2.25, "批次": 2},
        {"地块编号": None, "面积": 3.0, "批次": 3},
    ]
    assert len({id(r) for r in src.rows}) == 3  # a dict per row, never shared
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
