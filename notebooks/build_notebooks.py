"""Write the analysis notebooks from their cell sources (kept here so diffs stay readable).

Run: .venv/bin/python notebooks/build_notebooks.py
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

OVERVIEW = [
    new_markdown_cell(
        "# 资源库概览 / Inventory overview\n\n"
        "Sites and area (亩) by block, kind and availability, read from PostGIS with geopandas, "
        "and a Folium map. The database is the project's private cluster, or the server in "
        "`GIS_APP_DATABASE_URL`."
    ),
    new_code_cell(
        "from gis_app.db.engine import make_engine\n"
        "from gis_app.db.provision import database_url\n"
        "from gis_app.domain import vocab\n"
        "from gis_app.io.postgis_read import read_layer, read_sites\n"
        "from gis_app.settings import DatabaseSettings\n"
        "from maps.inventory_map import inventory_map\n\n"
        "engine = make_engine(database_url(DatabaseSettings()), application_name='notebook')\n"
        "sites = read_sites(engine)\n"
        "outline = read_layer(engine, 'jurisdiction')\n"
        "print(f'{len(sites)} sites, {sites.area_mu.sum():,.1f} 亩 in total; CRS {sites.crs}')"
    ),
    new_markdown_cell("## 按区块 / By block"),
    new_code_cell(
        "by_block = (sites.groupby('block')\n"
        "    .agg(sites=('code', 'count'), area_mu=('area_mu', 'sum'),\n"
        "         available_mu=('area_mu', lambda s: s[sites.loc[s.index, 'availability']\n"
        "                                                == 'available'].sum()))\n"
        "    .sort_values('area_mu', ascending=False).round(1))\n"
        "by_block"
    ),
    new_markdown_cell("## 按类型与招商状态 / By kind and availability"),
    new_code_cell(
        "table = sites.pivot_table(index='kind', columns='availability', values='area_mu',\n"
        "                          aggfunc='sum', fill_value=0).round(1)\n"
        "table.index = [vocab.SITE_KIND.bilingual(k) for k in table.index]\n"
        "table.columns = [vocab.AVAILABILITY.bilingual(k) for k in table.columns]\n"
        "table"
    ),
    new_markdown_cell("## 地图 / Map"),
    new_code_cell("m = inventory_map(sites, outline)\nm"),
    new_code_cell(
        "# sanity checks the test suite relies on\n"
        "assert len(sites) == by_block.sites.sum()\n"
        "assert abs(sites.area_mu.sum() - table.values.sum()) < 0.5\n"
        "engine.dispose()"
    ),
]


def write(name: str, cells: list) -> Path:
    """Write one notebook with a python3 kernel spec."""
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    path = HERE / name
    nbformat.write(nb, path)
    return path


if __name__ == "__main__":
    print(write("inventory_overview.ipynb", OVERVIEW))
