import time
from pathlib import Path

import geopandas as gpd
from test_import_crash import _grid_file

from gis_app.db.engine import make_engine
from gis_app.io import import_export as ie


def test_bench(make_db, scratch_dir: Path):
    url = make_db("sample")
    path = _grid_file(url, scratch_dir, 30_000)
    gdf = gpd.read_file(path)
    eng = make_engine(url)
    for k in range(3):
        part = gdf.iloc[k * 10000:(k + 1) * 10000]
        p = scratch_dir / f"p{k}.gpkg"
        part.to_file(p, layer="sites")
        t = time.monotonic()
        rep = ie.run_import(eng, p, ie.ImportOptions(), user="bench")
        print(f"\nbatch {k}: {time.monotonic() - t:.1f} s", rep.counts()["insert"])
    eng.dispose()
