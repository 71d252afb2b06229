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
    new_markdown_cell(
        "## 看板数据 / Dashboard figures\n\n"
        "The same figures as the officers' dashboard (`/dashboard`, `GET /api/stats/…`), from "
        "`gis_app.services.stats`: available land (亩) and vacant floor area (m²) by block, and "
        "records not verified for more than a year."
    ),
    new_code_cell(
        "import pandas as pd\n"
        "from gis_app.services import stats\n\n"
        "with engine.connect() as conn:\n"
        "    available = stats.available(conn, 'block')\n"
        "    stale = stats.stale(conn, days=365, by='site')\n"
        "print(f\"available: {available.totals['available_mu']:,.1f} 亩 on \"\n"
        "      f\"{available.totals['available_sites']} sites, \"\n"
        "      f\"{available.totals['vacant_gfa_m2']:,.0f} m² vacant floor area; \"\n"
        "      f\"{stale.totals['stale_sites']} records not verified for a year\")\n"
        "pd.DataFrame(available.rows).set_index('label_zh')[\n"
        "    ['sites', 'available_sites', 'available_mu', 'vacant_gfa_m2']]"
    ),
    new_code_cell(
        "pd.DataFrame(stale.rows)[['code', 'name_zh', 'block', 'verified_at', 'days_since']]"
    ),
    new_code_cell(
        "# sanity checks the test suite relies on\n"
        "assert len(sites) == by_block.sites.sum()\n"
        "assert abs(sites.area_mu.sum() - table.values.sum()) < 0.5\n"
        "avail = sites.loc[sites.availability == 'available', 'area_mu'].sum()\n"
        "assert abs(available.totals['available_mu'] - avail) < 0.05\n"
        "engine.dispose()"
    ),
]

MATCH_WALK = [
    new_markdown_cell(
        "# 一次匹配的全过程 / A walk through a match\n\n"
        "An investor looks for 40–80 亩 of industrial land (2023 class 1001 工业用地) within "
        "15 km of a port, preferably in 六横镇. The requirement is matched as an officer would "
        "from the app (`gis_app.services.matching.match_spec`, the service behind "
        "`POST /api/match`) without saving it: hard constraints filter in PostGIS, soft scores "
        "rank, every result explains itself per criterion, and near misses say what would "
        "have to change."
    ),
    new_code_cell(
        "import pandas as pd\n"
        "import folium\n"
        "from gis_app.db.engine import make_engine\n"
        "from gis_app.db.provision import database_url\n"
        "from gis_app.io.postgis_read import read_layer, read_sites\n"
        "from gis_app.matching.report import match_report\n"
        "from gis_app.services.matching import match_spec\n"
        "from gis_app.settings import DatabaseSettings\n"
        "from maps.inventory_map import inventory_map\n\n"
        "engine = make_engine(database_url(DatabaseSettings()), application_name='notebook')\n"
        "requirement = {\n"
        "    'project_name': '船舶配件制造 / Marine parts plant',\n"
        "    'need': 'land',\n"
        "    'industry': 'C3735',\n"
        "    'land_use_codes': ['1001'],\n"
        "    'land_mu_min': 40, 'land_mu_max': 80,\n"
        "    'max_km_port': 15,\n"
        "    'preferred_townships': ['六横镇'],\n"
        "    'near_miss_margin_pct': 40,\n"
        "}\n"
        "with engine.connect() as conn:\n"
        "    result = match_spec(conn, requirement, limit=10, near_miss_limit=10)\n"
        "print(f'{result.total_matches} matching sites, {result.total_near_misses} near misses')"
    ),
    new_markdown_cell("## 排名结果 / Ranked results"),
    new_code_cell("print(match_report(result))"),
    new_code_cell(
        "ranked = pd.DataFrame([\n"
        "    {'rank': m.rank, 'code': m.code, 'name': m.name_zh, 'block': m.block,\n"
        "     'score': m.score, 'why': '；'.join(m.reasons_zh)}\n"
        "    for m in result.matches]).set_index('rank')\n"
        "ranked"
    ),
    new_markdown_cell(
        "## 第一名为什么合适 / Why the first site fits\n\n"
        "Hard constraints pass or fail; soft criteria earn points up to their weight."
    ),
    new_code_cell(
        "top = result.matches[0]\n"
        "pd.DataFrame([\n"
        "    {'criterion': f'{c.label_zh} {c.label_en}', 'hard': c.hard,\n"
        "     'site': c.site_text_zh, 'required': c.requirement_text_zh,\n"
        "     'passed': c.passed, 'points': c.points, 'of': c.max_points}\n"
        "    for c in top.criteria])"
    ),
    new_markdown_cell("## 差一项的候选 / Near misses: what would have to change"),
    new_code_cell(
        "pd.DataFrame([\n"
        "    {'code': m.code, 'name': m.name_zh, 'fails': m.failed, 'change': m.change_zh}\n"
        "    for m in result.near_misses])"
    ),
    new_markdown_cell(
        "## 地图 / Map\n\n"
        "Matches and near misses, coloured by availability; the number is the rank (N = near "
        "miss)."
    ),
    new_code_cell(
        "ids = [m.site_id for m in result.matches + result.near_misses]\n"
        "shown = read_sites(engine, 's.id = ANY(:ids)', {'ids': ids})\n"
        "outline = read_layer(engine, 'jurisdiction')\n"
        "m = inventory_map(shown, outline)\n"
        "labels = {r.site_id: str(r.rank) for r in result.matches}\n"
        "labels |= {r.site_id: 'N' for r in result.near_misses}\n"
        "points = shown.to_crs(4550).representative_point().to_crs(4326)\n"
        "for site_id, pt in zip(shown['id'], points):\n"
        "    folium.Marker([pt.y, pt.x], icon=folium.DivIcon(\n"
        "        html=f'<b style=\"font:14px sans-serif;background:#fff;padding:1px 4px;'\n"
        "             f'border:1px solid #333\">{labels[site_id]}</b>')).add_to(m)\n"
        "m"
    ),
    new_code_cell(
        "# sanity checks the test suite relies on\n"
        "assert result.total_matches >= 1\n"
        "assert [m.rank for m in result.matches] == list(range(1, len(result.matches) + 1))\n"
        "scores = [m.score for m in result.matches]\n"
        "assert scores == sorted(scores, reverse=True)\n"
        "assert all(c.passed for m in result.matches for c in m.criteria if c.hard)\n"
        "assert all(m.failed for m in result.near_misses)\n"
        "assert set(shown['id']) == set(ids)\n"
        "engine.dispose()"
    ),
]

READINESS = [
    new_markdown_cell(
        "# 土地可供时序分析 / Land readiness: which blocks could be supplied soonest\n\n"
        "Sites not yet on offer (暂不可用 or 预留) and what each still waits for: policy "
        "handling (政策处理) to delivery, the regulatory plan (控规) to approval, the land "
        "quota (用地指标), clearing to 净地, and no overlap with 生态保护红线 or 永久基本农田. "
        '"Steps" count the procedures still to go in each pipeline '
        "(`gis_app.services.stats.STEPS`); they order sites by how close they are, they are "
        "not durations. The figures are those of the dashboard (`GET /api/stats/readiness`, "
        "`/api/stats/blockers`)."
    ),
    new_code_cell(
        "import folium\n"
        "import pandas as pd\n"
        "from gis_app.db.engine import make_engine\n"
        "from gis_app.db.provision import database_url\n"
        "from gis_app.io.postgis_read import read_layer, read_sites\n"
        "from gis_app.services import stats\n"
        "from gis_app.settings import DatabaseSettings\n\n"
        "engine = make_engine(database_url(DatabaseSettings()), application_name='notebook')\n"
        "with engine.connect() as conn:\n"
        "    blocks = stats.readiness(conn, by='block', soon_steps=2)\n"
        "    candidates = stats.readiness(conn, by='site')\n"
        "    blockers = stats.blockers(conn)\n"
        "sites = read_sites(engine, 's.retired_at IS NULL')\n"
        "print(f\"{len(sites)} sites, {candidates.totals['sites']} not yet on offer \"\n"
        "      f\"({candidates.totals['area_mu']:,.1f} 亩); {blocks.totals['soon_mu']:,.1f} 亩 \"\n"
        "      'within two steps')"
    ),
    new_markdown_cell(
        "## 各区块 / By block, soonest first\n\n"
        "`min_steps`: the nearest site of the block; `soon_mu`: area within two steps and free "
        "of blocking zones; `waiting_*`: sites still waiting for each procedure."
    ),
    new_code_cell(
        "by_block = pd.DataFrame(blocks.rows).set_index('label_zh').drop(\n"
        "    columns=['key', 'label_en'])\n"
        "by_block"
    ),
    new_markdown_cell("## 各地块 / Sites, soonest first, and what they wait for"),
    new_code_cell(
        "per_site = pd.DataFrame(candidates.rows)\n"
        "per_site[['code', 'name_zh', 'block', 'availability', 'area_mu', 'steps_total',\n"
        "          'waits_for', 'blocking_note']].head(20)"
    ),
    new_markdown_cell(
        "## 等待事项 / What the land waits for\n\n"
        "Area held up by each procedure (a site may wait for several), over all blocks, and "
        "the combinations that occur."
    ),
    new_code_cell(
        "waits = pd.Series({stats.BLOCKERS[k].zh: blockers.totals[f'{k}_mu']\n"
        "                   for k in stats.BLOCKERS}, name='亩').round(1)\n"
        "combos = (per_site.assign(waits=per_site.waits_for.replace('', '（无）'))\n"
        "          .groupby('waits').agg(sites=('code', 'count'), area_mu=('area_mu', 'sum'))\n"
        "          .sort_values('area_mu', ascending=False).round(1))\n"
        "display(waits.to_frame())\n"
        "combos"
    ),
    new_markdown_cell(
        "## 地图 / Map\n\n"
        "Sites not yet on offer, darker the more steps they need; red outline: overlaps a "
        "blocking zone."
    ),
    new_code_cell(
        "shown = sites.merge(per_site[['id', 'steps_total', 'zone_conflict', 'waits_for']],\n"
        "                    on='id').to_crs(4326)\n"
        "shown = shown.rename_geometry('geometry')\n"
        "outline = read_layer(engine, 'jurisdiction').to_crs(4326).rename_geometry('geometry')\n"
        "shades = ['#1a9850', '#91cf60', '#d9ef8b', '#fee08b', '#fc8d59', '#d73027']\n"
        "x0, y0, x1, y1 = shown.total_bounds\n"
        "m = folium.Map(tiles=None, control_scale=True)\n"
        "m.fit_bounds([[y0, x0], [y1, x1]])\n"
        "folium.GeoJson(outline[['geometry']].to_json(),\n"
        "               style_function=lambda f: {'color': '#333', 'weight': 1, 'fill': False}\n"
        "               ).add_to(m)\n"
        "data = shown[['code', 'name_zh', 'block', 'area_mu', 'steps_total', 'zone_conflict',\n"
        "              'waits_for', 'geometry']].copy()\n"
        "data['area_mu'] = data['area_mu'].round(1)\n"
        "folium.GeoJson(\n"
        "    data.to_json(),\n"
        "    style_function=lambda f: {\n"
        "        'fillColor': shades[min(f['properties']['steps_total'] // 3, len(shades) - 1)],\n"
        "        'fillOpacity': 0.8,\n"
        "        'color': '#d7301f' if f['properties']['zone_conflict'] else '#333',\n"
        "        'weight': 3 if f['properties']['zone_conflict'] else 1},\n"
        "    tooltip=folium.GeoJsonTooltip(\n"
        "        fields=['code', 'name_zh', 'block', 'area_mu', 'steps_total', 'waits_for'],\n"
        "        aliases=['编号', '名称', '区块', '面积(亩)', '剩余环节', '等待事项']),\n"
        ").add_to(m)\n"
        "m"
    ),
    new_code_cell(
        "# sanity checks the test suite relies on\n"
        "assert len(per_site) == candidates.totals['sites'] == len(shown)\n"
        "assert abs(by_block.candidate_mu.sum() - per_site.area_mu.sum()) < 0.1\n"
        "assert set(per_site.availability) <= {'unavailable', 'reserved'}\n"
        "steps = per_site.loc[~per_site.zone_conflict, 'steps_total']\n"
        "assert list(steps) == sorted(steps)  # soonest first\n"
        "engine.dispose()"
    ),
]


def write(name: str, cells: list) -> Path:
    """Write one notebook with a python3 kernel spec."""
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    path = HERE / name
    nbformat.write(nb, path)
    return path


if __name__ == "__main__":
    print(write("inventory_overview.ipynb", OVERVIEW))
    print(write("match_walkthrough.ipynb", MATCH_WALK))
    print(write("land_readiness.ipynb", READINESS))
