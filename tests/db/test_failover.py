"""Failover drill (issue 25, item 4): a pg_auto_failover monitor and two PostgreSQL nodes on
loopback, synchronous replication, the app on a multi-host URL.

The formation is built by ``gis_app.db.failover`` (what ``gis-app db cluster up`` runs); the
schema and the sample go in through ``gis-app db migrate`` and ``gis-app load-sample`` on the
multi-host URL. ``gis-app serve`` then takes acknowledged writes (each officer sends the next
requirement only once the last one was answered) while the primary's keeper and PostgreSQL are
killed with SIGKILL, as a machine that dies: every answer is 201, 200 or 503 with Retry-After
(never a 500, a reset or a hang), every acknowledged write is on the new primary, the app
serves again without a restart, and the killed node, started again, rejoins as the standby
with every write. A killed standby only holds writes until the monitor lets the primary
commit alone. Then ``gis-app db failover`` switches by hand under the same stream.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg2
import pytest
import sqlalchemy as sa

from api.errors import as_domain_error
from gis_app.db.db_logins import libpq_url
from gis_app.db.engine import make_engine
from gis_app.db.failover import Formation
from gis_app.domain.errors import DatabaseUnavailable
from gis_app.services import accounts

ROOT = Path(__file__).resolve().parents[2]
#: a server on a cluster of its own serves as the owner: the runtime login the test run
#: made (tests/conftest.py) exists on the shared cluster only
NO_RUNTIME = {"GIS_APP_RUNTIME_USER": ""}
sys.path.insert(0, str(ROOT))  # the bench's served app
from bench.load_driver import ServedApp, free_port  # noqa: E402

WRITERS = 3
#: a request that takes longer than this counts as a hang
HANG_S = 20.0


def _cli(env: dict[str, str], *args: str) -> str:
    res = subprocess.run(
        [sys.executable, "-m", "cli", *args],
        env=os.environ | env,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=180,
    )
    assert res.returncode == 0, (args, res.stdout[-2000:], res.stderr[-2000:])
    return res.stdout


@pytest.fixture(scope="module")
def formation() -> Iterator[tuple[Formation, str]]:
    """A formation on free ports, migrated and loaded through the CLI, with an officer token."""
    base = ROOT / "var" / "test-failover" / uuid.uuid4().hex[:8]
    f = Formation(base, (free_port(), free_port(), free_port()))
    try:
        f.up(log=lambda m: None, timeout_s=150)
        env = {"GIS_APP_DATABASE_URL": f.url()}
        _cli(env, "db", "migrate")
        assert "sites: 77 inserted" in _cli(env, "load-sample")
        eng = make_engine(f.url())
        try:
            with eng.begin() as c:
                accounts.create_user(c, "failover-officer", "failover-password-1", ["officer"])
                _, token = accounts.create_token(c, "failover-officer", "failover drill")
        finally:
            eng.dispose()
        yield f, token
    finally:
        f.destroy(log=lambda m: None)


@dataclass
class Write:
    """One requirement sent by an officer, and what came back."""

    name: str
    start: float
    end: float
    status: int | None
    retry_after: str | None = None
    error: str | None = None


class Officers:
    """Officers recording requirements one after another (the next once the last was
    answered), from threads, until stopped."""

    def __init__(self, base: str, token: str, tag: str) -> None:
        self.base, self.token, self.tag = base, token, tag
        self.writes: list[Write] = []
        self.stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._loop, args=(i,)) for i in range(WRITERS)]

    def _loop(self, i: int) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        with httpx.Client(base_url=self.base, headers=headers, timeout=HANG_S * 2) as c:
            n = 0
            while not self.stop.is_set():
                n += 1
                name = f"{self.tag}-{i}-{n}"
                t = time.monotonic()
                try:
                    r = c.post("/api/requirements", json={"project_name": name, "need": "land"})
                    w = Write(
                        name, t, time.monotonic(), r.status_code, r.headers.get("retry-after")
                    )
                except httpx.HTTPError as e:
                    w = Write(name, t, time.monotonic(), None, error=repr(e))
                with self._lock:
                    self.writes.append(w)
                time.sleep(0.05)

    def acknowledged_since(self, since: float) -> int:
        """Writes started after ``since`` that were acknowledged."""
        with self._lock:
            return sum(1 for w in self.writes if w.start > since and w.status == 201)

    def wait_acknowledged(self, since: float, timeout_s: float) -> float:
        """Wait for an acknowledged write started after ``since``; return when it ended."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self._lock:
                ok = [w.end for w in self.writes if w.start > since and w.status == 201]
            if ok:
                return min(ok)
            time.sleep(0.1)
        raise AssertionError(f"no acknowledged write in {timeout_s} s")

    def __enter__(self) -> Officers:
        for th in self._threads:
            th.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for th in self._threads:
            th.join(timeout=HANG_S * 3)


def _names_on(f: Formation, node: str, tag: str) -> set[str]:
    """The requirement names with ``tag`` stored on one node (primary or standby)."""
    pw = f.password_file.read_text().strip()
    eng = sa.create_engine(
        f"postgresql+psycopg2://gis_app:{pw}@127.0.0.1:{f.ports[node]}/{f.database}"
    )
    try:
        with eng.connect() as c:
            return set(
                c.execute(
                    sa.text("SELECT project_name FROM requirement WHERE project_name LIKE :t"),
                    {"t": f"{tag}-%"},
                ).scalars()
            )
    finally:
        eng.dispose()


def _replayed_on(f: Formation, node: str, tag: str, names: set[str], timeout_s: float = 30) -> None:
    """Wait until a standby has replayed every write in ``names`` (it acknowledges receiving
    WAL, then replays it a moment later)."""
    deadline = time.monotonic() + timeout_s
    while not names <= (stored := _names_on(f, node, tag)):
        assert time.monotonic() < deadline, sorted(names - stored)[:5]
        time.sleep(0.5)


def _check_answers(writes: list[Write], log: str) -> None:
    """Every write answered 201 or 503 with Retry-After, none hung."""
    errors = [(w.name, w.error) for w in writes if w.error]
    assert errors == [], (errors[:5], log[-3000:])
    assert {w.status for w in writes} <= {201, 503}, (
        sorted({w.status for w in writes}, key=str),
        log[-3000:],
    )
    assert max(w.end - w.start for w in writes) < HANG_S
    refused = [w for w in writes if w.status == 503]
    assert all(w.retry_after and int(w.retry_after) > 0 for w in refused)


def _report(what: str, t0: float, writes: list[Write], back_at: float, f: Formation) -> None:
    """Print what the drill measured (``pytest -s``), and the monitor's events."""
    refused = [w for w in writes if w.status == 503]
    span = (max(w.end for w in refused) - min(w.start for w in refused)) if refused else 0.0
    acks = sorted(w.end for w in writes if w.status == 201)
    gap = max(b - a for a, b in itertools.pairwise(acks))
    print(
        f"\n{what}: no write acknowledged for {gap:.1f} s; {len(refused)} writes answered 503 "
        f"over {span:.1f} s; longest answer {max(w.end - w.start for w in writes):.1f} s; "
        f"steady again {back_at - t0:.1f} s after the start\n{f.events(12)}",
        flush=True,
    )


@pytest.mark.slow
def test_primary_killed_under_acknowledged_writes(formation: tuple[Formation, str]) -> None:
    f, token = formation
    old = f.primary()
    assert old is not None
    other = next(n for n in f.state() if n.name != old.name)
    assert other.reported == "secondary"
    with ServedApp(f.url(), NO_RUNTIME) as app:
        with Officers(app.base_url, token, "kill") as officers:
            officers.wait_acknowledged(since=0, timeout_s=60)
            killed_at = time.monotonic()
            f.kill(old.name)
            back_at = officers.wait_acknowledged(since=killed_at + 0.5, timeout_s=90)
            while officers.acknowledged_since(back_at) < WRITERS * 3:
                time.sleep(0.1)  # served steadily again, same app processes
        ready = httpx.get(f"{app.base_url}/readyz", timeout=10)
        log = app.stop()
    writes = officers.writes
    _check_answers(writes, log)
    _report("primary killed", killed_at, writes, back_at, f)
    assert ready.status_code == 200, ready.text
    assert "Traceback" not in log, log[-3000:]

    states = {n.name: n for n in f.state()}
    assert states[other.name].reported in ("wait_primary", "primary")
    acknowledged = {w.name for w in writes if w.status == 201}
    stored = _names_on(f, other.name, "kill")
    assert acknowledged and acknowledged <= stored, sorted(acknowledged - stored)[:5]

    # the killed node, started again, rejoins as the standby and has every write
    f.up(log=lambda m: None, timeout_s=150)
    states = {n.name: n for n in f.state()}
    assert (states[old.name].reported, states[other.name].reported) == ("secondary", "primary")
    _replayed_on(f, old.name, "kill", acknowledged)
    # pg_autoctl rewinds what diverged and falls back to a full copy when the rewind fails
    # (as it may on a loaded machine); either way the node rejoined with every write (above)
    node_log = (f.base_dir / f"{old.name}.log").read_text()
    how = (
        "pg_rewind"
        if "pg_rewind: Done!" in node_log
        else "a base backup"
        if "pg_basebackup" in node_log
        else "following the new timeline"
    )
    print(f"the killed node rejoined by {how}", flush=True)


@pytest.mark.slow
def test_standby_killed_writes_go_on(formation: tuple[Formation, str]) -> None:
    """A dead standby holds commits (synchronous replication) only until the monitor lets the
    primary commit alone; then writes go on, and the standby catches up when back."""
    f, token = formation
    f.up(log=lambda m: None, timeout_s=150)
    primary = f.primary()
    assert primary is not None
    standby = next(n for n in f.state() if n.name != primary.name)
    with ServedApp(f.url(), NO_RUNTIME) as app:
        with Officers(app.base_url, token, "standby") as officers:
            officers.wait_acknowledged(since=0, timeout_s=60)
            killed_at = time.monotonic()
            f.kill(standby.name)
            f.wait_for(lambda s: s[primary.name].reported == "wait_primary", "primary alone", 60)
            back_at = officers.wait_acknowledged(since=time.monotonic(), timeout_s=30)
        log = app.stop()
    _check_answers(officers.writes, log)
    _report("standby killed", killed_at, officers.writes, back_at, f)
    assert "Traceback" not in log, log[-3000:]
    acknowledged = {w.name for w in officers.writes if w.status == 201}
    assert acknowledged <= _names_on(f, primary.name, "standby")
    f.up(log=lambda m: None, timeout_s=150)
    now = f.primary()
    assert now is not None and now.name == primary.name
    _replayed_on(f, standby.name, "standby", acknowledged)


@pytest.mark.slow
def test_failover_by_hand_and_old_primary_rejoins(formation: tuple[Formation, str]) -> None:
    f, token = formation
    f.up(log=lambda m: None, timeout_s=150)  # healthy, whichever ran first
    old = f.primary()
    assert old is not None
    env = {
        "GIS_APP_FORMATION_DIR": str(f.base_dir),
        "GIS_APP_DATABASE_URL": f.url(),
    }
    with ServedApp(f.url(), NO_RUNTIME) as app:
        with Officers(app.base_url, token, "switch") as officers:
            officers.wait_acknowledged(since=0, timeout_s=60)
            started = time.monotonic()
            out = _cli(env, "db", "failover")
            back_at = officers.wait_acknowledged(since=time.monotonic(), timeout_s=60)
        log = app.stop()
    _check_answers(officers.writes, log)
    _report("failover by hand", started, officers.writes, back_at, f)
    assert "Traceback" not in log, log[-3000:]
    states = {n.name: n for n in f.state()}
    new = next(name for name in states if name != old.name)
    assert f"{new} is the primary" in out, out
    assert (states[new].reported, states[old.name].reported) == ("primary", "secondary")
    acknowledged = {w.name for w in officers.writes if w.status == 201}
    assert acknowledged and acknowledged <= _names_on(f, new, "switch")
    status = _cli(env, "db", "cluster", "status")
    assert f"{old.name}: 127.0.0.1:{f.ports[old.name]} secondary" in status, status
    # psql, pg_dump and QGIS get libpq's multi-host form, and land on the new primary
    libpq = _cli(env, "db", "url", "--libpq").strip()
    with psycopg2.connect(libpq) as c, c.cursor() as cur:
        cur.execute("SELECT inet_server_port(), pg_is_in_recovery()")
        assert cur.fetchone() == (f.ports[new], False)


def test_write_refused_as_read_only_drops_the_connection(sample_url: str) -> None:
    """On a URL asking for a writable server, a write refused because the server is read-only
    (a primary demoted under an open connection) invalidates the connection and reads as "the
    database is unavailable" (503), not a server error; elsewhere it stays an error."""
    sep = "&" if "?" in sample_url else "?"
    for attrs, invalidated in (("read-write", True), ("any", False)):
        eng = make_engine(f"{sample_url}{sep}target_session_attrs={attrs}")
        try:
            with pytest.raises(sa.exc.DBAPIError) as caught, eng.begin() as c:
                c.execute(sa.text("SET TRANSACTION READ ONLY"))
                c.execute(sa.text("CREATE TEMP TABLE demoted (x int)"))
            assert caught.value.connection_invalidated is invalidated
            assert isinstance(as_domain_error(caught.value), DatabaseUnavailable) is invalidated
        finally:
            eng.dispose()


def test_libpq_url_of_a_multi_host_url() -> None:
    """SQLAlchemy's multi-host form becomes libpq's (``h1:p1,h2:p2``); one host and a socket
    folder are left as they were."""
    assert libpq_url(
        "postgresql+psycopg2://app:p%40ss@/gis?host=127.0.0.1:5501&host=127.0.0.1:5502"
        "&target_session_attrs=read-write"
    ) == (
        "postgresql://app:p%40ss@127.0.0.1:5501,127.0.0.1:5502/gis?target_session_attrs=read-write"
    )
    assert libpq_url("postgresql+psycopg2://a:b@h:5/db") == "postgresql://a:b@h:5/db"
    assert libpq_url("postgresql+psycopg2://a@/db?host=/run/pg") == (
        "postgresql://a@/db?host=%2Frun%2Fpg"
    )
