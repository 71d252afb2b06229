"""Officers' map at scale: page weight and time to the first drawn site in headless Chromium.

For each inventory size (default 1k, 100k, 1M sites) the script builds a throw-away database
(migrated, sample loaded for the jurisdiction, zones and infrastructure, then synthetic sites
added in one ``INSERT … SELECT generate_series`` with row triggers off), serves the app on
127.0.0.1 and opens the map page in Debian's Chromium several times with a cold cache. It
records the page HTML size, the bytes and requests until the map is idle, the time to the first
site drawn (``performance.mark('gis-first-site')``, set when the first feature is styled), the
time until tiles, list and layers are loaded, and the tiles' median latency. Results go to
``bench/results/map_bench.json`` and ``.md``.

    .venv/bin/python bench/map_bench.py                 # 1k, 100k, 1M; 5 runs each
    .venv/bin/python bench/map_bench.py --sizes 1000 --runs 3 --keep
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import socket
import statistics
import sys
import threading
import time
from pathlib import Path

import sqlalchemy as sa
import uvicorn
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api.app import create_app  # noqa: E402
from gis_app.db import migrate, provision  # noqa: E402
from gis_app.db.engine import make_engine  # noqa: E402
from gis_app.services import accounts  # noqa: E402
from gis_app.services import tiles as tile_service  # noqa: E402
from gis_app.services.inventory import load_sample  # noqa: E402
from gis_app.settings import DatabaseSettings, Settings  # noqa: E402

RESULTS = ROOT / "bench" / "results"
USER, PASSWORD = "bench-officer", "bench-password-1"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

SYNTHETIC_SQL = """
INSERT INTO site (code, name_zh, name_en, kind, block, township, availability, readiness,
                  policy_status, planned_use, reserve_price_wan_per_mu, verified_at, geom)
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
       ST_Multi(ST_MakeEnvelope(x, y, x + w, y + w * 0.8, 4490))
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
        with eng.begin() as c:
            x0, y0, x1, y1 = c.execute(
                sa.text(
                    "SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b) "
                    "FROM (SELECT ST_Extent(geom) b FROM jurisdiction) q"
                )
            ).one()
            c.execute(sa.text("SELECT setseed(0.42)"))
            # derived tables (distances, overlaps, alerts) are not what this measures
            c.execute(sa.text("ALTER TABLE site DISABLE TRIGGER USER"))
            t = time.perf_counter()
            c.execute(
                sa.text(SYNTHETIC_SQL),
                {"n": n - 73, "x0": x0, "y0": y0, "x1": x1 - 0.003, "y1": y1 - 0.003},
            )
            c.execute(sa.text("ALTER TABLE site ENABLE TRIGGER USER"))
            print(f"  inserted {n - 73} sites in {time.perf_counter() - t:.0f} s", flush=True)
            accounts.create_user(c, USER, PASSWORD, ["officer"])
        with eng.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(sa.text("VACUUM ANALYZE site"))
    finally:
        eng.dispose()
    return url


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


def measure(browser, base: str) -> dict:
    """One cold-cache load of the map page."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.goto(f"{base}/login?next=/favicon.ico")
    page.fill("#username", USER)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    page.goto(f"{base}/", wait_until="commit")
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


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


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
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[1_000, 100_000, 1_000_000])
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--keep", action="store_true", help="keep the bench databases")
    args = p.parse_args(argv)
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("chromium is not installed (bash scripts/bootstrap.sh --test)", file=sys.stderr)
        return 1
    from playwright.sync_api import sync_playwright

    st = provision.db_up(DatabaseSettings(), log=lambda m: None)
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    raw: dict[str, list[dict]] = {}
    summary = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        for n in args.sizes:
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
            finally:
                server.should_exit = True
                thread.join(timeout=10)
            raw[str(n)] = runs
            summary.append(
                summarise(n, runs)
                | {
                    "warm_first_site_ms": round(warm["first_site_ms"], 0),
                    "warm_idle_ms": round(warm["idle_ms"], 0),
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
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "map_bench.json").write_text(
        json.dumps({"machine": machine, "summary": summary, "runs": raw}, indent=2),
        encoding="utf-8",
    )
    (RESULTS / "map_bench.md").write_text(markdown(summary, machine), encoding="utf-8")
    print(markdown(summary, machine))
    return 0


if __name__ == "__main__":
    sys.exit(main())
