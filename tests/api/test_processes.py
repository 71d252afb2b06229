"""Several app processes behave as one (issue 25, item 1).

Two ``gis-app serve`` processes on one database, as two hosts behind a proxy would run: the
investor links' rate limit is counted in the database, so it holds across them, and a tile
that each process keeps in its slow-tile cache is cut again by both once the data changes.
"""

from __future__ import annotations

import secrets
import socket
import sys
import time
from pathlib import Path

import httpx
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the bench's server runner
from webmercator import tile_of

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
    x, y = tile_of(lon, lat, 14)
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


def _children(pid: int) -> set[int]:
    return {
        int(p)
        for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        if Path(f"/proc/{p}/cmdline").exists()
        and b"spawn_main" in Path(f"/proc/{p}/cmdline").read_bytes()  # not the resource tracker
    }


def _connections_by_process(port: int, pids: set[int]) -> dict[int, int]:
    """Established connections to ``port`` per server process (its sockets' inodes)."""
    inodes = {
        pid: {
            fd.readlink().name
            for fd in Path(f"/proc/{pid}/fd").iterdir()
            if fd.readlink().name.startswith("socket:")
        }
        for pid in pids
    }
    local = f":{port:04X}"
    established = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            f = line.split()
            if f[1].endswith(local) and f[3] == "01":  # 01: ESTABLISHED
                established.add(f"socket:[{f[9]}]")
    return {pid: len(established & inodes[pid]) for pid in pids}


def test_workers_share_connections_that_arrive_at_once_and_a_dead_one_is_replaced(
    sample_url: str,
) -> None:
    """``gis-app serve --workers 2``: 40 clients connecting at once land on both processes
    (uvicorn's shared socket gave one process 48 of 50); a worker killed is started again and
    the server answers throughout; SIGTERM stops every process."""
    with ServedApp(sample_url, {"GIS_APP_WORKERS": "2"}) as app:
        workers = _children(app.proc.pid)
        assert len(workers) == 2
        # connected in a burst, as a load client or a proxy opening its pool does: the kernel
        # completes the handshakes before any worker wakes to accept
        for _burst in range(3):
            socks = [
                socket.create_connection(("127.0.0.1", app.port), timeout=30) for _ in range(40)
            ]
            try:
                for sock in socks:
                    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
                for sock in socks:
                    assert sock.recv(64).startswith(b"HTTP/1.1 200")
                spread = _connections_by_process(app.port, workers)
                assert sum(spread.values()) == 40, spread
                assert min(spread.values()) >= 8, spread  # a hash split; uvicorn's own: 40/0
            finally:
                for sock in socks:
                    sock.close()
        victim = min(workers)
        import os
        import signal

        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            now = _children(app.proc.pid)
            if len(now) == 2 and victim not in now:
                break
            assert httpx.get(f"{app.base_url}/healthz", timeout=30).status_code == 200
            time.sleep(0.5)
        else:
            raise AssertionError(f"the killed worker was not replaced: {now}")
        for _ in range(10):  # the replacement answers too (both sockets are served)
            with httpx.Client(base_url=app.base_url, timeout=30) as c:
                assert c.get("/healthz").status_code == 200
        app.proc.terminate()
        assert app.proc.wait(timeout=60) == 0
        assert not any(Path(f"/proc/{p}").exists() for p in now)
