"""Officers' map at scale: page weight and time to the first drawn site in headless Chromium.

For each inventory size (default 1k, 100k, 1M sites) the script builds a throw-away database
(migrated, sample loaded for the jurisdiction, zones and infrastructure, then synthetic sites
added in one ``INSERT … SELECT generate_series`` with row triggers off), serves the app on
127.0.0.1 and opens the map page in Debian's Chromium several times with a cold cache. It
records the page HTML size, the bytes and requests until the map is idle, the time to the first
site drawn (``performance.mark('gis-first-site')``, set when the first feature is styled), the
time until tiles, list and layers are loaded, and the tiles' median latency. Then the drawn-
polygon search: random quadrilaterals of 2–8 km over the jurisdiction searched as the page's
list does (``GET /api/sites?intersects=…&limit=200``, count included) and as the POST search
(``POST /api/sites/search``), timed from the logged-in browser (p50/p95), the page opened with
a polygon in its URL (first site drawn, idle), and the plan of the polygon count
(``EXPLAIN ANALYZE``, showing the GiST index) written to
``bench/results/map_polygon_plan_<n>.txt`` (``<--out>_polygon_plan_<n>.txt`` for a run named
otherwise, so that a named run leaves the default run's plans alone). Last, the compare view of
2–4 random sites (``/compare?ids=…``), opened one after another until loaded (p50/p95).
Results go to ``bench/results/<--out>.json`` and ``.md`` (``map_bench`` by default).

    .venv/bin/python bench/map_bench.py                 # 1k, 100k, 1M; 5 runs each
    .venv/bin/python bench/map_bench.py --sizes 1000 --runs 3 --keep
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import shutil
import socket
import statistics
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

import sqlalchemy as sa
import uvicorn
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api.app import create_app  # noqa: E402
from gis_app.db import migrate, provision  # noqa: E402
from gis_app.db.engine import make_engine  # noqa: E402
from gis_app.db.site_queries import SiteFilter  # noqa: E402
from gis_app.services import accounts  # noqa: E402
from gis_app.services import tiles as tile_service  # noqa: E402
from gis_app.services.inventory import load_sample  # noqa: E402
from gis_app.settings import DatabaseSettings, Settings  # noqa: E402

RESULTS = ROOT / "bench" / "results"
USER, PASSWORD = "bench-officer", "bench-password-1"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

SYNTHETIC_SQL = """
INSERT INTO site (code, name_zh, name_en, kind, block, township, availability, readiness,
                  policy_status, planned_use, reserve_price_wan_per_mu, verified_at, geom,
                  district_code)
SELECT 'SYN-' || lpad(g::text, 7, '0'),
       '合成地块' || g,
       'Synthetic site ' || g,
       (ARRAY['land', 'land', 'land', 'standard_plant', 'plant', 'building'])[1 + g % 6],
       '合成区块' || (g % 40),
       (ARRAY['沈家门街道', '东港街道', '展茅街道', '六横镇', '桃花镇'])[1 + g % 5],
       (ARRAY['available', 'reserved', 'negotiating', 'signed', 'unavailable'])[1 + (g * 7) % 5],
       (ARRAY['raw', 'partly_cleared', 'cleared'])[1 + g % 3],
       (ARRAY['not_started', 'surveying', 'approved', 'delivered'])[1 + g % 4],
       '100101',
       10 + (g % 40),
       DATE '2026-01-01' + (g % 300),
       ST_Multi(ST_MakeEnvelope(x, y, x + w, y + w * 0.8, 4490)),
       gis_app_home_district()  -- triggers are off: no district from the outline
  FROM (SELECT g,
               :x0 + random() * (:x1 - :x0) AS x,
               :y0 + random() * (:y1 - :y0) AS y,
               0.0004 + random() * 0.002 AS w
          FROM generate_series(1, :n) AS g) q
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_database(server_url: str, n: int) -> str:
    """A migrated database with the sample and ``n`` synthetic sites; returns its URL."""
    name = f"gis_app_bench_map_{n}"
    admin = sa.create_engine(
        make_url(server_url).set(database="postgres").render_as_string(hide_password=False),
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as c:
        c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    provision.ensure_postgis(url)
    migrate.upgrade(url, "head")
    eng = make_engine(url, DatabaseSettings(statement_timeout_s=3600))
    try:
        with eng.connect() as c:
            load_sample(c)
            in_sample = c.execute(sa.text("SELECT count(*) FROM site")).scalar_one()
        x0, y0, x1, y1 = _extent(url)
        with eng.begin() as c:
            c.execute(sa.text("SELECT setseed(0.42)"))
            # derived tables (distances, overlaps, alerts) are not what this measures
            c.execute(sa.text("ALTER TABLE site DISABLE TRIGGER USER"))
            t = time.perf_counter()
            c.execute(
                sa.text(SYNTHETIC_SQL),
                {"n": n - in_sample, "x0": x0, "y0": y0, "x1": x1 - 0.003, "y1": y1 - 0.003},
            )
            c.execute(sa.text("ALTER TABLE site ENABLE TRIGGER USER"))
            print(
                f"  inserted {n - in_sample} sites in {time.perf_counter() - t:.0f} s", flush=True
            )
            accounts.create_user(c, USER, PASSWORD, ["officer"])
        with eng.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(sa.text("VACUUM ANALYZE site"))
    finally:
        eng.dispose()
    return url


def _kept(server_url: str, n: int) -> str | None:
    """The URL of a bench database kept by an earlier ``--keep`` run, if it is there."""
    url = make_url(server_url).set(database=f"gis_app_bench_map_{n}")
    eng = sa.create_engine(url.render_as_string(hide_password=False))
    try:
        with eng.connect() as c:
            count = c.execute(sa.text("SELECT count(*) FROM site")).scalar_one()
    except sa.exc.OperationalError:
        return None
    finally:
        eng.dispose()
    if count != n:
        return None
    migrate.upgrade(url.render_as_string(hide_password=False), "head")
    return url.render_as_string(hide_password=False)


def serve(url: str) -> tuple[str, uvicorn.Server, threading.Thread]:
    """Serve the app on a free local port."""
    settings = Settings(db=DatabaseSettings(database_url=url))
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}", server, thread


MEASURE_JS = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const res = performance.getEntriesByType('resource');
  const tiles = res.filter(r => r.name.includes('/tiles/sites/'));
  const sum = a => a.reduce((s, r) => s + (r.transferSize || 0), 0);
  const mark = performance.getEntriesByName('gis-first-site')[0];
  return {
    html_bytes: nav.transferSize, html_body_bytes: nav.decodedBodySize,
    total_bytes: nav.transferSize + sum(res), requests: res.length + 1,
    tile_requests: tiles.length, tile_bytes: sum(tiles),
    tile_ms: tiles.map(r => r.duration),
    first_site_ms: mark ? mark.startTime : null,
    drawn_sites: gisApp.drawnSiteCount(),
    in_view: Number(document.getElementById('gis-list-status').getAttribute('data-total')),
  };
}"""


def _logged_in(browser, base: str):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.goto(f"{base}/login?next=/favicon.ico")
    page.fill("#username", USER)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    return context, page


def measure(browser, base: str, query: str = "") -> dict:
    """One cold-cache load of the map page (``query``: its search, e.g. a drawn polygon)."""
    context, page = _logged_in(browser, base)
    page.goto(f"{base}/{'?' + query if query else ''}", wait_until="commit")
    page.wait_for_function(
        "() => window.gisApp && document.body.getAttribute('data-gis-state') === 'idle'",
        timeout=600_000,
        polling=20,
    )
    idle_ms = page.evaluate("performance.now()")
    out = page.evaluate(MEASURE_JS)
    out["idle_ms"] = idle_ms
    context.close()
    return out


def polygons(extent: tuple[float, float, float, float], count: int, seed: int = 7) -> list[str]:
    """``count`` random convex quadrilaterals (WKT, lon/lat) of 2–8 km inside ``extent``."""
    rnd = random.Random(seed)
    x0, y0, x1, y1 = extent
    out = []
    for _ in range(count):
        size = rnd.uniform(2.0, 8.0) / 111.0  # degrees, about
        cx = rnd.uniform(x0 + size, x1 - size)
        cy = rnd.uniform(y0 + size, y1 - size)
        corners = []
        for k in range(4):
            angle = math.pi / 2 * k + rnd.uniform(-0.4, 0.4)
            r = size * rnd.uniform(0.6, 1.0)
            corners.append((cx + r * math.cos(angle), cy + r * math.sin(angle) * 0.9))
        corners.append(corners[0])
        out.append("POLYGON((" + ",".join(f"{x:.6f} {y:.6f}" for x, y in corners) + "))")
    return out


SEARCH_JS = """async ([url, body, csrf]) => {
  const t = performance.now();
  const r = await fetch(url, body === null ? {} : {
    method: 'POST', headers: {'Content-Type': 'application/json', 'X-CSRF-Token': csrf},
    body: JSON.stringify(body)});
  await r.text();
  const total = Number(r.headers.get('x-total-count'));
  return {ms: performance.now() - t, status: r.status, total: total};
}"""


def polygon_searches(browser, base: str, areas: list[str]) -> dict:
    """Time the polygon searches as the page's list asks for them, and as POST searches."""
    context, page = _logged_in(browser, base)
    csrf = page.evaluate("fetch('/api/me').then(r => r.json()).then(j => j.csrf_token)")
    get_ms, post_ms, found = [], [], []
    for wkt in areas:
        q = urlencode({"intersects": wkt, "limit": 200, "sort": "code"})
        r = page.evaluate(SEARCH_JS, [f"{base}/api/sites?{q}", None, csrf])
        assert r["status"] == 200, r
        get_ms.append(r["ms"])
        found.append(r["total"])
    for wkt in areas:
        r = page.evaluate(
            SEARCH_JS, [f"{base}/api/sites/search?limit=200", {"intersects": wkt}, csrf]
        )
        assert r["status"] == 200, r
        post_ms.append(r["ms"])
    context.close()
    return {"get_ms": get_ms, "post_ms": post_ms, "found": found}


def compare_views(browser, base: str, url: str, count: int, seed: int = 11) -> dict:
    """Open the compare view of ``count`` random sets of 2–4 sites as an officer does (the
    page's URL with their ids) and time each until it is loaded; return the times (ms)."""
    rnd = random.Random(seed)
    eng = make_engine(url)
    try:
        with eng.connect() as c:
            top = c.execute(sa.text("SELECT max(id) FROM site")).scalar_one()
            ids = (
                c.execute(
                    sa.text("SELECT id FROM site WHERE id = ANY(:ids) AND retired_at IS NULL"),
                    {"ids": [rnd.randrange(1, top + 1) for _ in range(count * 8)]},
                )
                .scalars()
                .all()
            )
    finally:
        eng.dispose()
    rnd.shuffle(ids)
    context, page = _logged_in(browser, base)
    times: list[float] = []
    for i in range(count):
        chosen = ids[i * 4 : i * 4 + rnd.randint(2, 4)]
        if len(chosen) < 2:
            break
        response = page.goto(f"{base}/compare?ids={','.join(map(str, chosen))}")
        assert response is not None and response.status == 200, response
        times.append(
            page.evaluate(
                "(() => { const n = performance.getEntriesByType('navigation')[0];"
                " return n.loadEventEnd - n.startTime; })()"
            )
        )
    context.close()
    return {"views": len(times), "ms": times}


def _p95(values: list[float]) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]


def polygon_plan(url: str, wkt: str) -> str:
    """EXPLAIN ANALYZE of the page's count for one drawn polygon."""
    flt = SiteFilter(intersects=wkt)
    flt.validate()
    where, params = flt.where()
    eng = make_engine(url)
    try:
        with eng.connect() as c:
            rows = c.execute(
                sa.text(f"EXPLAIN (ANALYZE, BUFFERS) SELECT count(*) FROM site s WHERE {where}"),
                params,
            ).scalars()
            return "\n".join(rows)
    finally:
        eng.dispose()


def _extent(url: str) -> tuple[float, float, float, float]:
    eng = make_engine(url)
    try:
        with eng.connect() as c:
            x0, y0, x1, y1 = c.execute(
                sa.text(
                    "SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b) "
                    "FROM (SELECT ST_Extent(geom) b FROM jurisdiction) q"
                )
            ).one()
            return x0, y0, x1, y1
    finally:
        eng.dispose()


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def plan_name(out: str, n: int) -> str:
    """The file of a run's polygon plan: the default run's historic name, a named run's own."""
    return f"map_polygon_plan_{n}.txt" if out == "map_bench" else f"{out}_polygon_plan_{n}.txt"


def summarise(n: int, runs: list[dict]) -> dict:
    """Medians of the runs for one size."""
    tile_ms = [t for r in runs for t in r["tile_ms"]]
    return {
        "sites": n,
        "runs": len(runs),
        "html_kb": round(_median([r["html_body_bytes"] for r in runs]) / 1024, 1),
        "transferred_kb": round(_median([r["total_bytes"] for r in runs]) / 1024, 1),
        "requests": _median([r["requests"] for r in runs]),
        "tile_requests": _median([r["tile_requests"] for r in runs]),
        "tile_kb": round(_median([r["tile_bytes"] for r in runs]) / 1024, 1),
        "first_site_ms": round(_median([r["first_site_ms"] for r in runs]), 0),
        "idle_ms": round(_median([r["idle_ms"] for r in runs]), 0),
        "tile_p50_ms": round(_median(tile_ms), 0),
        "tile_max_ms": round(max(tile_ms), 0) if tile_ms else None,
        "drawn_sites": _median([r["drawn_sites"] for r in runs]),
    }


def markdown(summary: list[dict], machine: str) -> str:
    """The results table."""
    lines = [
        f"Machine: {machine}. Headless Chromium, 1400×900 viewport, empty browser cache and "
        "empty server tile cache, basemap none, initial view = the whole jurisdiction (synthetic "
        "sites spread over it: the densest case). Medians over the runs. Repeat visit: the "
        "same page again with the server's cache of slow tiles warm.",
        "",
        "| sites | page HTML | transferred until idle | requests (tiles) | first site drawn "
        "| map idle | tile p50 / max | repeat visit: first site / idle |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in summary:
        lines.append(
            f"| {s['sites']:,} | {s['html_kb']} KB | {s['transferred_kb']} KB "
            f"| {s['requests']:.0f} ({s['tile_requests']:.0f}) | {s['first_site_ms']:.0f} ms "
            f"| {s['idle_ms']:.0f} ms | {s['tile_p50_ms']:.0f} / {s['tile_max_ms']:.0f} ms "
            f"| {s['warm_first_site_ms']:.0f} / {s['warm_idle_ms']:.0f} ms |"
        )
    polygon_rows = [s for s in summary if "polygon" in s]
    if polygon_rows:
        lines += [
            "",
            "Drawn-polygon search: random quadrilaterals of 2–8 km over the jurisdiction, timed "
            "from the logged-in browser (fetch, server and database; one request at a time). "
            "List = `GET /api/sites?intersects=<WKT>&limit=200` (what the page's list asks, "
            "with the count); POST = `POST /api/sites/search` with the same area in the body. "
            "Page = the map opened with the polygon in its URL (cold tile cache). Plans in "
            + ", ".join(
                f"`{s['polygon'].get('plan_file', 'map_polygon_plan_<n>.txt')}`"
                for s in polygon_rows
            )
            + ".",
            "",
            "| sites | searches | sites found (median) | list p50 / p95 | POST p50 / p95 "
            "| page: first site / idle |",
            "|---:|---:|---:|---:|---:|---:|",
        ]
        for s in polygon_rows:
            g = s["polygon"]
            lines.append(
                f"| {s['sites']:,} | {g['searches']} | {g['found_median']:.0f} "
                f"| {g['get_p50_ms']:.0f} / {g['get_p95_ms']:.0f} ms "
                f"| {g['post_p50_ms']:.0f} / {g['post_p95_ms']:.0f} ms "
                f"| {g['page_first_site_ms']:.0f} / {g['page_idle_ms']:.0f} ms |"
            )
    compare_rows = [s for s in summary if "compare" in s]
    if compare_rows:
        lines += [
            "",
            "Compare view: 2–4 random sites side by side (`/compare?ids=…`), opened in the "
            "logged-in browser one after another; time from navigation to the load event.",
            "",
            "| sites | views | p50 | p95 |",
            "|---:|---:|---:|---:|",
        ]
        lines += [
            f"| {s['sites']:,} | {s['compare']['views']} | {s['compare']['p50_ms']:.0f} ms "
            f"| {s['compare']['p95_ms']:.0f} ms |"
            for s in compare_rows
        ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[1_000, 100_000, 1_000_000])
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--keep", action="store_true", help="keep the bench databases")
    p.add_argument("--polygons", type=int, default=60, help="drawn-polygon searches per size")
    p.add_argument("--reuse", action="store_true", help="use a kept bench database if there")
    p.add_argument("--compares", type=int, default=20, help="compare views opened per size")
    p.add_argument("--out", default="map_bench", help="results file name (bench/results/)")
    args = p.parse_args(argv)
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("chromium is not installed (bash scripts/bootstrap.sh --test)", file=sys.stderr)
        return 1
    from playwright.sync_api import sync_playwright

    st = provision.db_up(DatabaseSettings(), log=lambda m: None)
    RESULTS.mkdir(parents=True, exist_ok=True)
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    raw: dict[str, list[dict]] = {}
    summary = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        for n in args.sizes:
            url = _kept(st.url, n) if args.reuse else None
            if url is None:
                print(f"{n:,} sites: building the database", flush=True)
                url = build_database(st.url, n)
            base, server, thread = serve(url)
            try:
                measure(browser, base)  # warm the server (connections, plans), not measured
                runs = []
                for i in range(args.runs):
                    # cold: the server's cache of slow (crowded) tiles is emptied before each run
                    tile_service._TILE_CACHE.clear()
                    r = measure(browser, base)
                    print(
                        f"  run {i + 1}: first site {r['first_site_ms']:.0f} ms, idle "
                        f"{r['idle_ms']:.0f} ms, {r['total_bytes'] / 1024:.0f} KB",
                        flush=True,
                    )
                    runs.append(r)
                warm = measure(browser, base)  # a repeat visit: slow tiles come from the cache
                print(f"  warm: first site {warm['first_site_ms']:.0f} ms", flush=True)
                areas = polygons(_extent(url), args.polygons)
                searched = polygon_searches(browser, base, areas)
                tile_service._TILE_CACHE.clear()
                drawn_page = measure(browser, base, urlencode({"intersects": areas[0]}))
                plan = polygon_plan(url, areas[0])
                plan_file = RESULTS / plan_name(args.out, n)
                plan_file.write_text(
                    f"-- {n:,} sites; the page's count for one drawn polygon\n"
                    f"-- {areas[0]}\n{plan}\n",
                    encoding="utf-8",
                )
                polygon = {
                    "searches": len(areas),
                    "found_median": _median(searched["found"]),
                    "get_p50_ms": round(_median(searched["get_ms"]), 0),
                    "get_p95_ms": round(_p95(searched["get_ms"]), 0),
                    "post_p50_ms": round(_median(searched["post_ms"]), 0),
                    "post_p95_ms": round(_p95(searched["post_ms"]), 0),
                    "page_first_site_ms": round(drawn_page["first_site_ms"] or float("nan"), 0),
                    "page_idle_ms": round(drawn_page["idle_ms"], 0),
                    "uses_gist_index": "idx_site_geom" in plan,
                    "plan_file": plan_file.name,
                }
                print(f"  polygon search: {polygon}", flush=True)
                compared = compare_views(browser, base, url, args.compares)
                compare = {
                    "views": compared["views"],
                    "p50_ms": round(_median(compared["ms"]), 0),
                    "p95_ms": round(_p95(compared["ms"]), 0),
                }
                print(f"  compare view: {compare}", flush=True)
            finally:
                server.should_exit = True
                thread.join(timeout=10)
            raw[str(n)] = runs
            raw[f"{n}_polygon_ms"] = searched  # type: ignore[assignment]
            summary.append(
                summarise(n, runs)
                | {
                    "warm_first_site_ms": round(warm["first_site_ms"], 0),
                    "warm_idle_ms": round(warm["idle_ms"], 0),
                    "polygon": polygon,
                    "compare": compare,
                }
            )
            if not args.keep:
                admin = sa.create_engine(
                    make_url(st.url).set(database="postgres").render_as_string(hide_password=False),
                    isolation_level="AUTOCOMMIT",
                )
                with admin.connect() as c:
                    name = make_url(url).database
                    c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()
        browser.close()
    (RESULTS / f"{args.out}.json").write_text(
        json.dumps({"machine": machine, "summary": summary, "runs": raw}, indent=2),
        encoding="utf-8",
    )
    (RESULTS / f"{args.out}.md").write_text(markdown(summary, machine), encoding="utf-8")
    print(markdown(summary, machine))
    return 0


if __name__ == "__main__":
    sys.exit(main())
