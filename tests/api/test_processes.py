"""Several app processes behave as one (issue 25, item 1).

Two ``gis-app serve`` processes on one database, as two hosts behind a proxy would run: the
investor links' rate limit is counted in the database, so it holds across them, and a tile
that each process keeps in its slow-tile cache is cut again by both once the data changes.
"""

from __future__ import annotations

import math
import secrets
import sys
import time
from pathlib import Path

import httpx
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the bench's server runner
from bench.load_driver import ServedApp

ONE_PROCESS = {"GIS_APP_WORKERS": "1"}


def test_the_link_rate_limit_holds_across_processes(make_db) -> None:
    url = make_db("sample")
    env = ONE_PROCESS | {"GIS_APP_LINK_RATE_LIMIT_REQUESTS": "4"}
    with ServedApp(url, env) as a, ServedApp(url, env) as b:
        codes = [
            httpx.get(f"{app.base_url}/r/{secrets.token_urlsafe(32)}", timeout=10).status_code
            for app in (a, b, a, b, a, b)
        ]
        # another client (behind the local proxy uvicorn trusts) is not held back
        other = httpx.get(
            f"{b.base_url}/r/{secrets.token_urlsafe(32)}",
            headers={"X-Forwarded-For": "192.0.2.44"},
            timeout=10,
        ).status_code
    assert codes == [404, 404, 404, 404, 429, 429]
    assert other == 404


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def test_a_tile_cached_by_each_process_changes_for_both_after_a_write(make_db, token_for) -> None:
    url = make_db("sample")
    token = token_for(url, "officer")
    engine = sa.create_engine(url)
    with engine.connect() as c:
        site_id, lon, lat = c.execute(
            sa.text(
                "SELECT id, ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) "
                "FROM site WHERE code = 'PT-TT-001'"
            )
        ).one()
    x, y = _tile_of(lon, lat, 14)
    path = f"/tiles/sites/14/{x}/{y}.pbf"
    head = {"Authorization": f"Bearer {token}"}
    env = ONE_PROCESS | {"GIS_APP_MAP_TILE_CACHE_MIN_S": "0"}  # cache every tile
    renamed = f"改名{secrets.token_hex(3)}"
    with ServedApp(url, env) as a, ServedApp(url, env) as b:
        for app in (a, b):
            first = httpx.get(app.base_url + path, headers=head, timeout=10)
            again = httpx.get(app.base_url + path, headers=head, timeout=10)
            assert first.status_code == again.status_code == 200
            assert (first.headers["x-tile-cache"], again.headers["x-tile-cache"]) == (
                "miss",
                "hit",
            )
            assert renamed.encode() not in again.content
        # a planner renames the site in plain SQL (as from QGIS)
        with engine.begin() as c:
            c.execute(
                sa.text("UPDATE site SET name_zh = :n WHERE id = :i"), {"n": renamed, "i": site_id}
            )
        seen = {}
        deadline = time.monotonic() + 30  # the statistics behind the data version lag a little
        while len(seen) < 2 and time.monotonic() < deadline:
            for name, app in (("a", a), ("b", b)):
                r = httpx.get(app.base_url + path, headers=head, timeout=10)
                if name not in seen and renamed.encode() in r.content:
                    seen[name] = r.headers["x-tile-cache"]
            time.sleep(0.5)
    engine.dispose()
    # both processes cut the tile again (a miss), neither kept serving the old one
    assert seen == {"a": "miss", "b": "miss"}
