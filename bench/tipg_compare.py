"""gis_app's OGC API (features pages and vector tiles) against tipg on the same database.

tipg (developmentseed's OGC Features and Tiles server for PostGIS) is installed by this script
into its own virtual environment (``var/tipg-venv``: its FastAPI and Starlette versions are
not the app's) and serves the ``site`` table of the bench database. gis_app is served by
``gis-app serve --workers 1`` (one process, as tipg's uvicorn), behind its login (a Bearer
token) and with its role's field set. Both on 127.0.0.1, measured one after the other in
interleaved rounds with the same requests:

* features: pages of ``--page`` sites (``/ogc/collections/sites/items`` vs
  ``/collections/public.site/items``, ``limit`` and ``offset``), by 1 and by 8 clients;
* tiles: z14 and z16 tiles holding sites (``/tiles/sites/{z}/{x}/{y}.pbf`` vs tipg's
  ``WebMercatorQuad`` tiles asking for the same properties), by 1 client.

Results: ``bench/results/tipg_compare.{json,md}``.

    .venv/bin/python bench/tipg_compare.py --sizes 100000          # one inventory
    .venv/bin/python bench/tipg_compare.py --sizes 1000000 --rounds 3
    .venv/bin/python bench/tipg_compare.py --reuse gis_app_bench_api_1000000_1 --only tiles
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import math
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
import sqlalchemy as sa
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.api_bench import (  # noqa: E402
    RESULTS,
    build_database,
    drop_database,
    machine,
    make_template,
    reuse_database,
)
from bench.load_driver import ServedApp, free_port  # noqa: E402
from gis_app.db import provision  # noqa: E402
from gis_app.settings import DatabaseSettings  # noqa: E402

TIPG_VENV = ROOT / "var" / "tipg-venv"
TIPG_VERSION = "1.6.1"
#: the properties gis_app's site tiles carry, asked of tipg too
TILE_PROPERTIES = "id,code,name_zh,name_en,kind,availability,area_mu"


def ensure_tipg() -> Path:
    """The Python of a virtual environment holding tipg (made on first use)."""
    python = TIPG_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(TIPG_VENV)], check=True)
    check = subprocess.run([str(python), "-c", "import tipg"], capture_output=True)
    if check.returncode != 0:
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", f"tipg=={TIPG_VERSION}", "uvicorn"],
            check=True,
        )
    return python


class TipgServer:
    """tipg on 127.0.0.1, serving the ``site`` table of ``db_url``."""

    def __init__(self, db_url: str) -> None:
        python = ensure_tipg()
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        url = make_url(db_url).set(drivername="postgresql")
        env = os.environ | {
            "DATABASE_URL": url.render_as_string(hide_password=False),
            "TIPG_DB_SCHEMAS": '["public"]',
            "TIPG_DB_TABLES": '["public.site"]',
            "TIPG_MAX_FEATURES_PER_QUERY": "10000",
        }
        self.proc = subprocess.Popen(
            [
                str(python),
                "-m",
                "uvicorn",
                "tipg.main:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--log-level",
                "warning",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base_url}/collections", timeout=5).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError("tipg did not start")

    def stop(self) -> None:
        """Stop the server."""
        self.proc.terminate()
        self.proc.wait(timeout=30)

    def __enter__(self) -> TipgServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def _tiles(url: str, z: int, k: int, seed: int) -> list[tuple[int, int, int]]:
    """``k`` tiles of zoom ``z`` that each hold at least one site (around random sites)."""
    eng = sa.create_engine(url)
    try:
        with eng.connect() as c:
            c.execute(sa.text("SELECT setseed(:s)"), {"s": seed / 1000})
            points = c.execute(
                sa.text(
                    "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM "
                    "site TABLESAMPLE SYSTEM (5) LIMIT :k) q"
                ),
                {"k": k},
            ).all()
    finally:
        eng.dispose()
    return [(z, *_tile_of(lon, lat, z)) for lon, lat in points]


async def _drive(
    base: str, headers: dict, paths: list[str], clients: int
) -> tuple[list[float], int, float, int]:
    """Send ``paths`` from ``clients`` keep-alive clients; latencies (ms), errors, seconds,
    bytes."""
    queue = list(paths)
    lat: list[float] = []
    errors = 0
    size = 0

    async def client() -> None:
        nonlocal errors, size
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=120) as c:
            while queue:
                path = queue.pop()
                t = time.perf_counter()
                r = await c.get(path)
                lat.append((time.perf_counter() - t) * 1000)
                if r.status_code != 200:
                    errors += 1
                size += len(r.content)

    t = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return lat, errors, time.perf_counter() - t, size


def _figures(lat: list[float], errors: int, seconds: float, size: int) -> dict:
    lat = sorted(lat)
    return {
        "requests": len(lat),
        "per_s": round(len(lat) / seconds, 1),
        "p50_ms": round(statistics.median(lat), 1),
        "p95_ms": round(lat[min(len(lat) - 1, int(0.95 * len(lat)))], 1),
        "errors": errors,
        "kb_per_response": round(size / max(len(lat), 1) / 1024, 1),
    }


ALL_CASES = ("features", "tiles")


def measure(
    url: str,
    token: str,
    rounds: int,
    page: int,
    requests: int,
    only: tuple[str, ...] = ALL_CASES,
    zooms: tuple[int, ...] = (14, 16),
) -> dict:
    """Interleaved rounds of each case on both servers; medians per case and server."""
    eng = sa.create_engine(url)
    with eng.connect() as c:
        n_sites = c.execute(sa.text("SELECT count(*) FROM site")).scalar_one()
    eng.dispose()
    rng = random.Random(22)
    offsets = [rng.randrange(0, max(1, n_sites - page)) for _ in range(requests)]
    tiles = {z: _tiles(url, z, requests, 22 + z) for z in zooms}
    ours_paths = {
        "features": [f"/ogc/collections/sites/items?limit={page}&offset={o}" for o in offsets],
        **{
            f"tile z{z}": [f"/tiles/sites/{z}/{x}/{y}.pbf" for z, x, y in tl]
            for z, tl in tiles.items()
        },
    }
    tipg_paths = {
        "features": [f"/collections/public.site/items?limit={page}&offset={o}" for o in offsets],
        **{
            f"tile z{z}": [
                f"/collections/public.site/tiles/WebMercatorQuad/{z}/{x}/{y}"
                f"?properties={TILE_PROPERTIES}"
                for z, x, y in tl
            ]
            for z, tl in tiles.items()
        },
    }
    cases = [("features", 1), ("features", 8), *((f"tile z{z}", 1) for z in zooms)]
    cases = [(c, n) for c, n in cases if ("tiles" if c.startswith("tile") else c) in only]
    runs: dict[str, dict[str, list[dict]]] = {}
    env = {"GIS_APP_WORKERS": "1"}
    ours_headers = {"Authorization": f"Bearer {token}", "Accept-Encoding": "gzip"}
    tipg_headers = {"Accept-Encoding": "gzip"}
    with ServedApp(url, env) as ours, TipgServer(url) as tipg:
        servers = {
            "gis_app": (ours.base_url, ours_headers, ours_paths),
            "tipg": (tipg.base_url, tipg_headers, tipg_paths),
        }
        for base, headers, paths in servers.values():  # warm-up
            for case in paths.values():
                asyncio.run(_drive(base, headers, case[:10], 2))
        for r in range(rounds):
            order = list(servers.items()) if r % 2 == 0 else list(servers.items())[::-1]
            for case, clients in cases:
                key = f"{case}, {clients} client{'s' if clients > 1 else ''}"
                for name, (base, headers, paths) in order:
                    res = _figures(*asyncio.run(_drive(base, headers, paths[case], clients)))
                    runs.setdefault(key, {}).setdefault(name, []).append(res)
                    print(f"  round {r + 1} {key} {name}: {res}", flush=True)
    return {"n_sites": n_sites, "page": page, "runs": runs}


def _median(items: list[dict], field: str) -> float:
    return round(statistics.median(i[field] for i in items), 1)


def markdown(doc: dict) -> str:
    """The results table."""
    m = doc["machine"]
    lines = [
        f"Machine: {m['nproc']} cores ({m['cpu']}), {m['memory_gib']} GiB RAM, PostgreSQL "
        f"{m['postgresql']}; gis_app (`gis-app serve --workers 1`, Bearer token) and tipg "
        f"{TIPG_VERSION} (uvicorn, one process) on the same database, both on 127.0.0.1 with "
        "the client; requests interleaved by round, medians of the rounds. Started "
        f"{doc['started']}; load average {doc['load_before']} before, {doc['load_after']} "
        "after.",
        "",
        "| sites | case | gis_app req/s | tipg req/s | throughput ratio | gis_app p50 / p95 ms "
        "| tipg p50 / p95 ms | KB per response (gis_app / tipg) | errors |",
        "|---:|---|---:|---:|---:|---|---|---|---:|",
    ]
    for inv in doc["inventories"]:
        for case, by in inv["runs"].items():
            o, t = by["gis_app"], by["tipg"]
            ratio = _median(o, "per_s") / max(_median(t, "per_s"), 0.1)
            lines.append(
                f"| {inv['n_sites']:,} | {case} | {_median(o, 'per_s')} | {_median(t, 'per_s')} "
                f"| {ratio:.2f}× | {_median(o, 'p50_ms')} / {_median(o, 'p95_ms')} | "
                f"{_median(t, 'p50_ms')} / {_median(t, 'p95_ms')} | "
                f"{_median(o, 'kb_per_response')} / {_median(t, 'kb_per_response')} | "
                f"{sum(r['errors'] for r in o + t)} |"
            )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run the comparison."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--page", type=int, default=500)
    p.add_argument("--requests", type=int, default=60)
    p.add_argument(
        "--reuse", metavar="DB", nargs="+", help="measure inventories kept by api_bench --keep"
    )
    p.add_argument("--only", nargs="+", choices=ALL_CASES, default=list(ALL_CASES))
    p.add_argument("--zooms", type=int, nargs="+", default=[14, 16], help="tile zoom levels")
    p.add_argument("--out", help="results file name (default tipg_compare[_CASE])")
    args = p.parse_args(argv)
    # a run of some cases only is kept beside the full comparison, not over it
    name = "tipg_compare" if set(args.only) == set(ALL_CASES) else f"tipg_compare_{args.only[0]}"
    name = args.out or name
    zooms = tuple(args.zooms)
    ensure_tipg()
    st = provision.db_up(DatabaseSettings(), log=lambda m: None)
    doc: dict = {
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(st.url),
        "load_before": " ".join(f"{v:.2f}" for v in os.getloadavg()),
        "inventories": [],
    }
    if args.reuse:
        for db in args.reuse:
            url, token = reuse_database(st.url, db)
            doc["inventories"].append(
                measure(url, token, args.rounds, args.page, args.requests, tuple(args.only), zooms)
            )
        _write(doc, name)
        return 0
    template = f"gis_app_bench_tipg_tpl_{os.getpid()}"
    make_template(st.url, template)
    try:
        for n in args.sizes:
            db_name = f"gis_app_bench_tipg_{n}_{os.getpid()}"
            try:
                url, token = build_database(st.url, template, db_name, n, log=print)
                doc["inventories"].append(
                    measure(
                        url, token, args.rounds, args.page, args.requests, tuple(args.only), zooms
                    )
                )
            finally:
                drop_database(st.url, db_name)
    finally:
        drop_database(st.url, template)
    _write(doc, name)
    return 0


def _write(doc: dict, name: str = "tipg_compare") -> None:
    """Results in ``bench/results/<name>.{json,md}``."""
    doc["load_after"] = " ".join(f"{v:.2f}" for v in os.getloadavg())
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(doc, indent=2), encoding="utf-8")
    (RESULTS / f"{name}.md").write_text(markdown(doc), encoding="utf-8")
    print(markdown(doc))


if __name__ == "__main__":
    sys.exit(main())
