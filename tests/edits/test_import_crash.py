"""A 100 000-feature import killed with SIGKILL at several points leaves the sites untouched."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
import sqlalchemy as sa

from gis_app.db.engine import make_engine

N = 100_000
APP_NAME = "gis-app import"


def _grid_file(url: str, folder: Path, n: int = N) -> Path:
    """n small squares (20 m) on a grid inside the largest island of the first district (a
    square across a district boundary would be refused)."""
    eng = make_engine(url)
    with eng.connect() as c:
        outline = shapely.from_wkb(
            bytes(
                c.execute(
                    sa.text(
                        "SELECT ST_AsBinary(geom) FROM district"
                        " WHERE code = gis_app_home_district()"
                    )
                ).scalar()
            )
        )
    eng.dispose()
    island = max(shapely.get_parts(outline), key=lambda p: p.area).buffer(-0.001)
    shapely.prepare(island)
    x0, y0, x1, y1 = island.bounds
    step, side = 0.00025, 0.0002
    xs, ys = np.meshgrid(np.arange(x0, x1, step), np.arange(y0, y1, step))
    boxes = shapely.box(xs.ravel(), ys.ravel(), xs.ravel() + side, ys.ravel() + side)
    boxes = boxes[shapely.covers(island, boxes)][:n]
    assert len(boxes) == n
    gdf = gpd.GeoDataFrame(
        {
            "code": [f"BULK-{i:06d}" for i in range(n)],
            "name_zh": [f"批量地块{i}" for i in range(n)],
            "kind": "land",
            "availability": "unavailable",
            "supply_stage": "land_bank",
        },
        geometry=boxes,
        crs="EPSG:4490",
    )
    path = folder / "bulk.gpkg"
    gdf.to_file(path, layer="sites", engine="pyogrio")
    return path


def _count(url: str) -> int:
    eng = make_engine(url)
    with eng.connect() as c:
        n = c.execute(sa.text("SELECT count(*) FROM site")).scalar_one()
    eng.dispose()
    return n


def _reap(url: str) -> None:
    """End the database sessions the killed importer left behind (the test's own)."""
    eng = make_engine(url)
    with eng.connect() as c:
        for _ in range(100):
            left = c.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND application_name = :a"
                ),
                {"a": APP_NAME},
            ).all()
            if not left:
                break
            time.sleep(0.1)
    eng.dispose()


def _run(url: str, path: Path, kill_at: str | None, delay: float = 0.0) -> int | None:
    env = {**os.environ, "GIS_APP_DATABASE_URL": url}
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli", "import", str(path), "--user", "crash-test"],
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stderr is not None
    try:
        for line in proc.stderr:
            if kill_at is not None and f"import: {kill_at}" in line:
                time.sleep(delay)
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                return None
        return proc.wait(timeout=900)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.slow
def test_sigkill_during_a_large_import_writes_nothing(make_db, scratch_dir: Path) -> None:
    url = make_db("sample")
    path = _grid_file(url, scratch_dir)
    before = _count(url)
    # kill while reading, checking (the first chunk), and writing: as the first chunk of
    # 10,000 is written (the next being checked in another thread) and 5 s later (the writing
    # of 100,000 parcels with their history, distances and overlaps takes most of a minute; a
    # kill then must leave nothing of the tens of thousands of rows already written)
    for phase, delay in (
        ("reading", 0.5),
        ("checking", 2.0),
        ("writing", 0.0),
        ("writing", 5.0),
    ):
        t0 = time.monotonic()
        assert _run(url, path, phase, delay) is None, f"import ended before {phase}"
        _reap(url)
        assert _count(url) == before, phase
        print(f"killed at {phase}+{delay}s after {time.monotonic() - t0:.0f} s")
