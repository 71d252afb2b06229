"""The dashboard in headless Chromium: every chart drawn from /api/stats with the numbers an
independent geopandas computation gives, the block map, downloads, and no request to another
host."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from e2e_helpers import open_page

from gis_app.db.engine import set_app_user
from gis_app.domain import vocab
from gis_app.services import stats

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "stats"))
import itertools

import stats_independent as ind

CHARTS = ("available", "pipeline", "blockers", "readiness", "stale", "funnel", "funnel_time")

_CHART_DATA = """name => {
  const c = window.gisDashboard.charts[name];
  return { labels: c.data.labels,
           datasets: c.data.datasets.map(d => ({ key: d.gis_key, data: d.data })) };
}"""

_PAINTED = """name => {
  const canvas = document.getElementById('chart-' + name);
  const ctx = canvas.getContext('2d');
  const px = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  let n = 0;
  for (let i = 3; i < px.length; i += 4) if (px[i] > 0) n++;
  return { painted: n, chart: !!Chart.getChart(canvas) };
}"""


def _add_requirements(engine: sa.Engine) -> None:
    """Two requirements: one recommended then visiting, one dropped."""
    for name, moves in (("甲项目", ["recommended", "visiting"]), ("乙项目", ["dropped"])):
        with engine.begin() as c:
            set_app_user(c, "e2e-officer")
            rid = c.execute(
                sa.text(
                    "INSERT INTO requirement (project_name, officer, need) "
                    "VALUES (:n, 'e2e-officer', 'land') RETURNING id"
                ),
                {"n": name},
            ).scalar_one()
        for status in moves:
            with engine.begin() as c:
                set_app_user(c, "e2e-officer")
                c.execute(
                    sa.text("UPDATE requirement SET status = :s WHERE id = :r"),
                    {"s": status, "r": rid},
                )


def _wait_ready(page) -> None:
    page.wait_for_function(
        "() => document.body.getAttribute('data-dashboard-state') !== 'loading'", timeout=30000
    )
    assert page.get_attribute("body", "data-dashboard-state") == "ready"


def _series(chart: dict, key: str) -> list:
    return next(d["data"] for d in chart["datasets"] if d["key"] == key)


def _same(got: list, want: list) -> None:
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        if w is None or (isinstance(w, float) and math.isnan(w)):
            assert g is None
        else:
            assert g == pytest.approx(float(w), rel=1e-5, abs=0.02)


def test_dashboard_draws_every_chart_from_the_database(browser, live_app) -> None:
    _add_requirements(live_app.engine)
    sites = ind.sites_frame(live_app.engine)
    steps = ind.step_frame(sites, ind.blocking_overlap_ids(live_app.engine, sites))

    w = open_page(browser, live_app, "/dashboard")
    page = w.page
    _wait_ready(page)

    # drawn: a Chart.js chart on each canvas, with pixels painted; the stage times of moves
    # seconds old are not drawn on a 0–0.01-day axis: the card says there is not enough data
    for name in CHARTS:
        if name == "funnel_time":
            continue
        state = page.evaluate(_PAINTED, name)
        assert state["chart"], name
        assert state["painted"] > 500, name
    assert page.is_visible("#empty-funnel_time")
    assert "数据不足" in page.inner_text("#empty-funnel_time")
    assert not page.is_visible("#chart-funnel_time")

    # available land and vacant floor area by block (labels are the block names)
    chart = page.evaluate(_CHART_DATA, "available")
    exp = ind.available_by(sites, "block").loc[chart["labels"]]
    assert set(chart["labels"]) == set(sites["block"])
    _same(_series(chart, "available_land_mu"), list(exp["available_land_mu"]))
    _same(_series(chart, "available_island_mu"), list(exp["available_island_mu"]))
    _same(_series(chart, "vacant_gfa_m2"), list(exp["vacant_gfa_m2"]))
    # 可招商土地（亩）: land parcels only, against an SQL sum of geodesic areas (not area_mu)
    with live_app.engine.connect() as c:
        land, island, shore = c.execute(
            sa.text(
                "SELECT sum(ST_Area(geom::geography)) FILTER (WHERE kind = 'land') / (10000/15.0),"
                " sum(ST_Area(geom::geography)) FILTER (WHERE kind = 'island') / (10000/15.0),"
                " sum(shoreline_m) FILTER (WHERE kind = 'shoreline') "
                "FROM site WHERE retired_at IS NULL AND availability = 'available'"
            )
        ).one()
    everything = float(sites.loc[sites.is_available, "mu"].sum())
    assert float(land) < everything - 1  # plants, buildings, islands, shorelines left out

    def kpi(name: str) -> float:
        return float(page.inner_text(f"#kpi-{name}").replace(",", ""))

    assert kpi("available_land_mu") == pytest.approx(float(land), abs=0.06)
    assert kpi("available_island_mu") == pytest.approx(float(island), abs=0.06)
    assert kpi("available_shoreline_m") == pytest.approx(float(shore), abs=0.06)
    assert page.inner_text("#kpi-available_sites") == str(int(sites.is_available.sum()))

    # switch to kinds: labels in Chinese, numbers per kind
    page.select_option("#ctl-available-by", "kind")
    _wait_ready(page)
    chart = page.evaluate(_CHART_DATA, "available")
    by_kind = ind.available_by(sites, "kind")
    keys = [k for k in vocab.SITE_KIND.keys if k in by_kind.index]
    assert chart["labels"] == [vocab.SITE_KIND.label(k) for k in keys]
    _same(_series(chart, "available_land_mu"), list(by_kind.loc[keys, "available_land_mu"]))
    land_only = dict(zip(chart["labels"], _series(chart, "available_land_mu"), strict=True))
    assert land_only["厂房"] == 0 and land_only["海岛"] == 0 and land_only["土地"] > 0

    # supply-stage pipeline: every stage in order, zeros included
    chart = page.evaluate(_CHART_DATA, "pipeline")
    pipe = ind.pipeline_by(sites, "supply_stage")
    assert chart["labels"] == [vocab.SUPPLY_STAGE.label(k) for k in vocab.SUPPLY_STAGE.keys]
    want = [pipe["area_mu"].get(k, 0.0) for k in vocab.SUPPLY_STAGE.keys]
    _same(_series(chart, "area_mu"), want)

    # blockers and readiness per block
    chart = page.evaluate(_CHART_DATA, "blockers")
    blk = ind.blockers_by_block(steps).loc[chart["labels"]]
    for key in ("policy_mu", "planning_mu", "quota_mu", "clearing_mu", "zone_mu"):
        _same(_series(chart, key), list(blk[key]))
    # legible with every block of the sample (15 in Putuo, one in the Dinghai part): every
    # block named, bars several pixels thick
    blocks = len(ind.blockers_by_block(steps))
    assert blocks >= 15 and len(chart["labels"]) == blocks
    shown = page.evaluate(
        """() => { const c = window.gisDashboard.charts.blockers;
                   const bars = c.data.datasets.map((d, i) => c.getDatasetMeta(i).data)
                                 .flat().filter(b => b.width > 0);
                   return { ticks: c.scales.y.ticks.length,
                            thinnest: Math.min(...bars.map(b => b.height)) }; }"""
    )
    assert shown["ticks"] == blocks
    assert shown["thinnest"] >= 5
    chart = page.evaluate(_CHART_DATA, "readiness")
    rdy = ind.readiness_by_block(steps, 2).loc[chart["labels"]]
    _same(_series(chart, "soon_mu"), list(rdy["soon_mu"]))
    _same(_series(chart, "candidate_mu"), list(rdy["candidate_mu"]))

    # stale records (365 days before today)
    import datetime as dt

    chart = page.evaluate(_CHART_DATA, "stale")
    stl = ind.stale_by_block(sites, 365, dt.date.today()).loc[chart["labels"]]
    _same(_series(chart, "stale_sites"), list(stl["stale_sites"]))
    assert page.inner_text("#kpi-stale_sites") == str(int(stl["stale_sites"].sum()))

    # funnel: the two requirements added above; its stages only, cumulative, never growing
    chart = page.evaluate(_CHART_DATA, "funnel")
    assert chart["labels"] == [vocab.REQUIREMENT_STATUS.label(k) for k in stats.FUNNEL_STAGES]
    reached = dict(zip(chart["labels"], _series(chart, "reached"), strict=True))
    assert reached["新登记"] == 2 and reached["已推荐"] == 1 and reached["考察中"] == 1
    series = _series(chart, "reached")
    assert all(a >= b for a, b in itertools.pairwise(series)), series
    current = dict(zip(chart["labels"], _series(chart, "current"), strict=True))
    assert current["考察中"] == 1 and current["已推荐"] == 0
    assert page.inner_text("#funnel-dropped").endswith(": 1")
    assert page.inner_text("#kpi-requirements") == "2"

    # the block map: Leaflet drew one shape per block over the outline
    assert page.locator("#card-map .leaflet-container").count() == 1
    shapes = page.locator("#card-map path.leaflet-interactive").count()
    assert shapes == sites["block"].nunique()

    # downloads: each chart's links point at its endpoint with its parameters
    href = page.get_attribute('a[data-chart="available"][data-format="csv"]', "href")
    assert href == "/api/stats/available?by=kind&format=csv"
    r = page.request.get(live_app.base_url + href)
    assert r.status == 200 and r.headers["content-type"].startswith("text/csv")
    assert "可招商土地 / Available land (亩)" in r.text() and ",土地,Land parcel," in r.text()
    x = page.request.get(
        live_app.base_url + page.get_attribute('a[data-chart="funnel"][data-format="xlsx"]', "href")
    )
    assert x.status == 200 and x.body()[:2] == b"PK"

    assert w.errors == []
    others = [u for u in w.requests if not u.startswith(live_app.base_url + "/")]
    assert others == [], others
    page.context.close()


def test_dashboard_funnel_per_officer_in_english(browser, live_app) -> None:
    _add_requirements(live_app.engine)
    w = open_page(browser, live_app, "/dashboard?lang=en")
    page = w.page
    _wait_ready(page)
    page.select_option("#ctl-funnel-by", "officer")
    _wait_ready(page)
    chart = page.evaluate(_CHART_DATA, "funnel")
    assert chart["labels"][:3] == ["New", "Recommended", "Visiting"]
    assert len(chart["datasets"]) == 1  # one officer
    assert dict(zip(chart["labels"], chart["datasets"][0]["data"], strict=True))["New"] == 2
    page.fill("#ctl-funnel-officer", "nobody")
    page.click("#ctl-funnel-apply")
    _wait_ready(page)
    assert page.evaluate(_CHART_DATA, "funnel")["datasets"] == []
    assert w.errors == []
    assert [u for u in w.requests if not u.startswith(live_app.base_url + "/")] == []
    page.context.close()
