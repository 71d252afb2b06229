"""Reads on a hot standby (issue 25, item 3).

A private cluster of the test's own (the shared test server is never copied or stopped) gets
a streaming standby from ``gis-app db replica up``; the app is served on 127.0.0.1 by uvicorn
with ``GIS_APP_REPLICA_URL`` pointing there. Which server answered a request is shown by a
header only these tests add (``X-Test-Db-Role``, from the request state the read routing sets)
and proved by content: with the standby's replay paused, a change made on the primary is
missing from what the standby serves.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
import uvicorn
from e2e.e2e_helpers import _free_port

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the bench's helpers
from api.app import create_app
from api.reads import FENCE_COOKIE, FENCE_HEADER, read_fence, sign_fence
from bench.load_driver import primary_and_standby, with_sample
from gis_app.db import provision, replica
from gis_app.services import share_links
from gis_app.settings import DatabaseSettings, LinkSettings, Settings

ROOT = Path(__file__).resolve().parents[2]
ROLE = "x-test-db-role"
SPEC = {"need": "plant", "tenure": "lease", "gfa_m2_min": 1000}

pytestmark = pytest.mark.slow


@dataclass
class Pair:
    """A primary of the test's own and its standby made by ``gis-app db replica up``."""

    settings: DatabaseSettings
    primary_url: str
    standby_url: str
    tokens: dict[str, str]
    env: dict[str, str]
    site_id: int

    def one(self, url: str, sql: str, **params: object) -> object:
        """The first value of ``sql`` run on ``url`` (autocommit)."""
        return _one(url, sql, **params)

    def caught_up(self) -> bool:
        """The standby has replayed everything the primary has written."""
        end = str(self.one(self.primary_url, "SELECT pg_current_wal_lsn()::text"))
        done = str(self.one(self.standby_url, "SELECT pg_last_wal_replay_lsn()::text"))
        return replica.parse_lsn(done) >= replica.parse_lsn(end)

    def pause(self) -> None:
        self.one(self.standby_url, "SELECT pg_wal_replay_pause()")

    def resume(self) -> None:
        self.one(self.standby_url, "SELECT pg_wal_replay_resume()")


def _one(url: str, sql: str, **params: object) -> object:
    eng = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with eng.connect() as c:
            result = c.execute(sa.text(sql), params)
            return result.scalar() if result.returns_rows else None
    finally:
        eng.dispose()


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cli", *args], capture_output=True, text=True, env=env, timeout=300
    )


def _wait(what: str, ok: Callable[[], bool], timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not ok():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout_s} s: {what}")
        time.sleep(0.1)


@pytest.fixture(scope="module")
def pair() -> Iterator[Pair]:
    """The primary (migrated, the sample, an officer and a planner token) and its standby."""
    scratch = ROOT / "var" / "test-scratch"
    scratch.mkdir(parents=True, exist_ok=True)
    os.chmod(scratch.parent, 0o755)
    base = scratch / f"replica-{uuid.uuid4().hex[:8]}"
    settings = primary_and_standby(base)
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIS_APP_")} | {
        "GIS_APP_PG_DATA_DIR": str(settings.pg_data_dir),
        "GIS_APP_PG_PORT": str(settings.pg_port),
        "GIS_APP_REPLICA_DATA_DIR": str(settings.replica_data_dir),
        "GIS_APP_REPLICA_PORT": str(settings.replica_port),
    }
    try:
        provision.db_up(settings, log=lambda m: None)
        url = provision.local_cluster(settings).url()
        tokens = with_sample(url, ("officer", "planner"))
        site_id = int(str(_one(url, "SELECT min(id) FROM site")))
        made = _cli("db", "replica", "up", env=env)
        assert made.returncode == 0, made.stderr
        standby_url = made.stdout.strip().splitlines()[-1]
        assert standby_url.startswith("postgresql+psycopg2://")
        yield Pair(settings, url, standby_url, tokens, env, site_id)
    finally:
        _cli("db", "replica", "down", "--remove", env=env)
        provision.local_cluster(settings).down(log=lambda m: None)
        replica.local_standby(settings).down(log=lambda m: None)  # if --remove failed
        shutil.rmtree(base, ignore_errors=True)
        for f in base.parent.glob(f"{base.name}*"):
            shutil.rmtree(f, ignore_errors=True) if f.is_dir() else f.unlink()


def _show_role(app):
    """Test-only: the server that served the request (``standby``/``primary``) as a header."""

    async def wrapped(scope, receive, send):
        if scope["type"] != "http":
            return await app(scope, receive, send)

        async def send_with_role(message):
            if message["type"] == "http.response.start":
                role = str(scope.get("state", {}).get("db_role", "none"))
                message["headers"] = [*message.get("headers", []), (ROLE.encode(), role.encode())]
            await send(message)

        await app(scope, receive, send_with_role)

    return wrapped


@contextmanager
def served(pair: Pair, **db: object) -> Iterator[str]:
    """The app on a free port of 127.0.0.1, reading on the standby; its base URL."""
    settings = Settings(
        db=pair.settings.model_copy(
            update={"replica_url": pair.standby_url, "replica_check_s": 0.2, **db}
        ),
        # the tests' clients all come from 127.0.0.1
        links=LinkSettings(rate_limit_requests=100_000),
    )
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            _show_role(create_app(settings)),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="on",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    _wait("the app started", lambda: server.started or not thread.is_alive())
    assert thread.is_alive()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


def _client(base: str, pair: Pair, role: str) -> httpx.Client:
    return httpx.Client(
        base_url=base, headers={"Authorization": f"Bearer {pair.tokens[role]}"}, timeout=30
    )


def _settled(pair: Pair, base: str) -> None:
    """The standby has replayed everything and the app knows it."""
    _wait("the standby caught up", pair.caught_up)
    _wait(
        "the app sends reads to the standby",
        lambda: httpx.get(f"{base}/readyz").json()["standby"]["status"] == "ok",
    )


def test_the_cli_made_a_streaming_standby(pair: Pair) -> None:
    assert pair.one(pair.standby_url, "SELECT pg_is_in_recovery()") is True
    assert pair.one(
        pair.primary_url,
        "SELECT active FROM pg_replication_slots WHERE slot_name = :s",
        s=replica.SLOT,
    )
    st = _cli("db", "replica", "status", env=pair.env)
    assert st.returncode == 0, st.stderr
    assert "running" in st.stdout and "streaming" in st.stdout
    again = _cli("db", "replica", "up", env=pair.env)  # idempotent
    assert again.returncode == 0 and "already running" in again.stderr
    # the standby refuses writes
    with pytest.raises(sa.exc.InternalError, match="read-only"):
        pair.one(pair.standby_url, "CREATE TABLE nope (x int)")


def test_reads_come_from_the_standby_and_a_writer_reads_its_writes(pair: Pair) -> None:
    sid = pair.site_id
    with (
        served(pair, replica_max_lag_s=120, replica_max_lag_bytes=10**9) as base,
        _client(base, pair, "officer") as officer,
        _client(base, pair, "planner") as planner,
    ):
        # the tokens' first use is recorded on the primary; then the standby has it
        for c in (officer, planner):
            assert c.get(f"/api/sites/{sid}").status_code == 200
        _settled(pair, base)
        before = officer.get(f"/api/sites/{sid}")
        assert before.headers[ROLE] == "standby"
        old_name = before.json()["properties"]["name_en"]
        for path in ("/api/sites?format=json&limit=5", "/tiles/sites/9/430/210.pbf", "/readyz"):
            assert officer.get(path).status_code == 200
        for path in (
            "/api/sites?format=json&limit=5",
            "/ogc/collections/sites/items?limit=5",
            f"/api/sites/{sid}/matching-requirements",
        ):
            read = officer.get(path)
            assert (read.status_code, read.headers[ROLE]) == (200, "standby"), (path, read.text)
        matched = officer.post("/api/match", json=SPEC)
        assert matched.status_code == 200 and matched.headers[ROLE] == "standby"
        # a route not marked as reading only is not routed at all: the primary
        assert officer.get("/api/requirements").headers[ROLE] == "none"

        pair.pause()
        try:
            # someone else's change on the primary: not on the paused standby
            pair.one(
                pair.primary_url,
                "UPDATE site SET name_en = 'Renamed by SQL' WHERE id = :i",
                i=sid,
            )
            stale = officer.get(f"/api/sites/{sid}")
            assert stale.headers[ROLE] == "standby"
            assert stale.json()["properties"]["name_en"] == old_name
            _wait(
                "/readyz shows the lag (checked every 0.2 s)",
                lambda: httpx.get(f"{base}/readyz").json()["standby"].get("lag_bytes", 0) > 0,
            )
            ready = httpx.get(f"{base}/readyz").json()
            assert ready["standby"]["replay_paused"] and ready["standby"]["status"] == "ok"

            # the planner's own write: their reads go to the primary until it is replayed
            version = pair.one(pair.primary_url, "SELECT version FROM site WHERE id = :i", i=sid)
            edited = planner.patch(
                f"/api/sites/{sid}",
                json={"name_en": "Renamed by the planner"},
                headers={"If-Match": f'"{version}"'},
            )
            assert edited.status_code == 200, edited.text
            fence = edited.headers[FENCE_HEADER]
            assert planner.cookies[FENCE_COOKIE] == fence
            mine = planner.get(f"/api/sites/{sid}")
            assert mine.headers[ROLE] == "primary"
            assert mine.json()["properties"]["name_en"] == "Renamed by the planner"
            listed = planner.get("/api/sites", params={"format": "json", "q": "Renamed by"})
            assert listed.headers[ROLE] == "primary"
            assert [s["name_en"] for s in listed.json()] == ["Renamed by the planner"]
            # an API client without cookies that echoes the header is fenced the same way
            echo = officer.get(f"/api/sites/{sid}", headers={FENCE_HEADER: fence})
            assert echo.headers[ROLE] == "primary"
            # everyone else still reads the standby's (older) copy
            other = officer.get(f"/api/sites/{sid}")
            assert other.headers[ROLE] == "standby"
            assert other.json()["properties"]["name_en"] == old_name
        finally:
            pair.resume()
        _settled(pair, base)
        # the fence is met: back on the standby once the monitor has seen the replay
        _wait(
            "the planner reads on the standby again",
            lambda: planner.get(f"/api/sites/{sid}").headers[ROLE] == "standby",
        )
        after = planner.get(f"/api/sites/{sid}")
        assert after.json()["properties"]["name_en"] == "Renamed by the planner"


def test_a_standby_too_far_behind_is_routed_around(pair: Pair) -> None:
    sid = pair.site_id
    with served(pair, replica_max_lag_s=1.0) as base, _client(base, pair, "officer") as officer:
        officer.get(f"/api/sites/{sid}")
        _settled(pair, base)
        assert officer.get(f"/api/sites/{sid}").headers[ROLE] == "standby"
        pair.pause()
        try:
            pair.one(
                pair.primary_url, "UPDATE site SET name_zh = name_zh || '·' WHERE id = :i", i=sid
            )
            _wait(
                "the lag passed the limit",
                lambda: httpx.get(f"{base}/readyz").json()["standby"]["status"] == "not used",
            )
            ready = httpx.get(f"{base}/readyz").json()
            assert ready["status"] == "ok"
            assert ready["standby"]["lag_s"] > 1.0 and ready["standby"]["lag_bytes"] > 0
            assert "behind" in ready["standby"]["reason"]
            r = officer.get(f"/api/sites/{sid}")
            assert r.status_code == 200 and r.headers[ROLE] == "primary"
            assert r.json()["properties"]["name_zh"].endswith("·")
        finally:
            pair.resume()
        _settled(pair, base)
        assert officer.get(f"/api/sites/{sid}").headers[ROLE] == "standby"


def test_reads_keep_working_when_the_standby_stops(pair: Pair) -> None:
    standby = replica.local_standby(pair.settings)
    calls: list[tuple[str, int, str]] = []
    stop = threading.Event()

    def reader(base: str, n: int) -> None:
        with _client(base, pair, "officer") as c:
            while not stop.is_set():
                for path in (
                    f"/api/sites?format=json&limit=20&offset={n}",
                    "/tiles/sites/10/861/420.pbf",
                ):
                    try:
                        r = c.get(path)
                        calls.append((path, r.status_code, r.headers.get(ROLE, "")))
                    except httpx.HTTPError as exc:
                        calls.append((path, 0, repr(exc)))
                try:
                    r = c.post("/api/match", json=SPEC)
                    calls.append(("match", r.status_code, r.headers.get(ROLE, "")))
                except httpx.HTTPError as exc:
                    calls.append(("match", 0, repr(exc)))

    with served(pair, replica_max_lag_s=120, replica_max_lag_bytes=10**9) as base:
        with _client(base, pair, "officer") as warm:
            warm.get("/api/sites?limit=1")
        _settled(pair, base)
        threads = [threading.Thread(target=reader, args=(base, n)) for n in range(4)]
        for t in threads:
            t.start()
        try:
            _wait("reads on the standby", lambda: sum(c[2] == "standby" for c in calls) >= 12, 60)
            standby.down(log=lambda m: None)  # fast shutdown under the stream of reads
            down_at = len(calls)
            _wait("reads on the primary", lambda: len(calls) > down_at + 30, 60)
            assert httpx.get(f"{base}/readyz").json()["standby"]["status"] != "ok"
            up = _cli("db", "replica", "up", env=pair.env)
            assert up.returncode == 0, up.stderr
            back_at = len(calls)
            _wait(
                "reads on the standby again",
                lambda: any(c[2] == "standby" for c in calls[back_at:]),
                60,
            )
        finally:
            stop.set()
            for t in threads:
                t.join(timeout=60)
    failed = [c for c in calls if c[1] != 200]
    assert not failed, failed[:5]  # no 500, no 503, no reset: the primary took the reads
    print(
        f"{len(calls)} reads; standby {sum(c[2] == 'standby' for c in calls)}, "
        f"primary {sum(c[2] == 'primary' for c in calls)}; stopped after {down_at}, "
        f"started again after {back_at}"
    )
    assert sum(c[2] == "primary" for c in calls[down_at:back_at]) >= 30


def _link_path(officer: httpx.Client, pair: Pair) -> str:
    """The path of a new investor link to a recommendation of one site."""
    made = officer.post(
        "/api/recommendations",
        json={"sites": [{"site_id": pair.site_id}], "title_zh": "备用库测试", "title_en": "T"},
    )
    assert made.status_code == 201, made.text
    link = officer.post(
        f"/api/recommendations/{made.json()['id']}/links",
        json={"recipient_name": "张先生", "recipient_org": "Example Co", "language": "zh"},
    )
    assert link.status_code == 201, link.text
    return httpx.URL(link.json()["url"]).path


def test_investor_pages_read_on_the_standby(pair: Pair) -> None:
    with (
        served(pair, replica_max_lag_s=120, replica_max_lag_bytes=10**9) as base,
        _client(base, pair, "officer") as officer,
    ):
        path = _link_path(officer, pair)
        _settled(pair, base)
        views_before = pair.one(pair.primary_url, "SELECT sum(view_count) FROM share_link")
        investor = httpx.get(f"{base}{path}.json")  # no cookie, no token: a stranger
        assert investor.status_code == 200, investor.text
        assert investor.headers[ROLE] == "standby"
        assert investor.headers["Referrer-Policy"] == "no-referrer"
        # the view is counted on the primary
        views = pair.one(pair.primary_url, "SELECT sum(view_count) FROM share_link")
        assert views == views_before + 1
        # a link the standby does not have yet opens all the same (read on the primary)
        pair.pause()
        try:
            fresh = _link_path(officer, pair)
            page = httpx.get(f"{base}{fresh}.json")
            assert page.status_code == 200, page.text
            assert page.json()["title_zh"] == "备用库测试"
            assert (
                pair.one(
                    pair.standby_url,
                    "SELECT count(*) FROM share_link WHERE token_hash = :h",
                    h=share_links.hash_token(fresh.rsplit("/", 1)[1]),
                )
                == 0
            )
        finally:
            pair.resume()


def test_two_gates_of_one_connection_each_do_not_deadlock(pair: Pair) -> None:
    """More clients than connections, one per pool: reads on the standby, investor pages
    (a primary connection, then a standby one if free at once), writes and the writer's
    fenced reads on the primary, logins looked up on the standby. Every request answers."""
    results: list[tuple[str, int]] = []
    stop = threading.Event()
    with served(
        pair,
        pool_size=1,
        replica_pool_size=1,
        queue_timeout_s=30,
        replica_max_lag_s=120,
        replica_max_lag_bytes=10**9,
    ) as base:
        with _client(base, pair, "officer") as officer:
            link = _link_path(officer, pair)
        with _client(base, pair, "planner") as planner:
            planner.get("/api/sites?limit=1")
        _settled(pair, base)
        site_ids = [
            int(i)
            for i in str(
                pair.one(pair.primary_url, "SELECT string_agg(id::text, ',') FROM site")
            ).split(",")
        ]

        def officer_reads(n: int) -> None:
            with _client(base, pair, "officer") as c:
                while not stop.is_set():
                    for path in (f"/api/sites?format=json&limit=10&offset={n}", link + ".json"):
                        results.append((path, c.get(path).status_code))
                    results.append(("match", c.post("/api/match", json=SPEC).status_code))

        def planner_writes(site_id: int) -> None:
            with _client(base, pair, "planner") as c:
                etag = c.get(f"/api/sites/{site_id}").headers["ETag"]
                k = 0
                while not stop.is_set():
                    k += 1
                    r = c.patch(
                        f"/api/sites/{site_id}",
                        json={"name_en": f"Edit {k}"},
                        headers={"If-Match": etag},
                    )
                    results.append(("patch", r.status_code))
                    etag = r.headers.get("ETag", etag)
                    mine = c.get(f"/api/sites/{site_id}")  # fenced: from the primary
                    results.append(("read own", mine.status_code))
                    if mine.json()["properties"]["name_en"] != f"Edit {k}":
                        results.append(("read own: stale", 0))

        threads = [threading.Thread(target=officer_reads, args=(n,)) for n in range(6)]
        threads += [threading.Thread(target=planner_writes, args=(i,)) for i in site_ids[-3:]]
        for t in threads:
            t.start()
        time.sleep(8)
        stop.set()
        for t in threads:
            t.join(timeout=60)
        assert not any(t.is_alive() for t in threads), "a client hangs"
    bad = [r for r in results if r[1] != 200]
    assert not bad, bad[:5]
    kinds = sorted({r[0].split("?")[0] for r in results})
    print({k: sum(r[0].split("?")[0] == k for r in results) for k in kinds})
    assert len(results) > 20 and any(r[0] == "read own" for r in results)


def test_a_fence_is_signed_and_expires() -> None:
    value = sign_fence("key", 0x16B374D848, now=1000.0)
    assert read_fence("key", value, now=1001.0) == 0x16B374D848
    assert read_fence("other key", value, now=1001.0) is None
    assert read_fence("key", value, now=1000.0 + 10_000) is None
    lsn, rest = value.split(".", 1)
    assert read_fence("key", f"{int(lsn, 16) + 1:x}.{rest}", now=1001.0) is None
    assert read_fence("key", "garbage", now=1001.0) is None
    assert replica.format_lsn(replica.parse_lsn("16/B374D848")) == "16/B374D848"
