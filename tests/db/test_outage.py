"""PostgreSQL stopped under a stream of requests (issue 18, defect 5).

A cluster of the test's own (so the shared test server keeps running) serves an app started with
``gis-app serve``. Officers read and write without pause; the cluster is stopped for a few
seconds and started again. While it is down every request gets 503 with a JSON reason and
``Retry-After`` (a page gets a readable page), never a 500 or a reset connection; every write
the app acknowledged is in the database afterwards; the app recovers without a restart.
"""

from __future__ import annotations

import os
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from e2e.e2e_helpers import _free_port

from gis_app.db import migrate, provision
from gis_app.db.engine import make_engine
from gis_app.services import accounts
from gis_app.services.inventory import load_sample

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the bench's load driver
from bench.load_driver import ServedApp

ROOT = Path(__file__).resolve().parents[2]
#: a server on a cluster of its own serves as the owner: the runtime login the test run
#: made (tests/conftest.py) exists on the shared cluster only
NO_RUNTIME = {"GIS_APP_RUNTIME_USER": ""}
WRITERS, READERS = 4, 4


@pytest.fixture
def own_cluster() -> provision.LocalCluster:
    """A private cluster on a free port, migrated, with the sample and an officer token."""
    base = ROOT / "var" / "test-outage"
    base.mkdir(parents=True, exist_ok=True)
    os.chmod(base.parent, 0o755)
    os.chmod(base, 0o755)
    cluster = provision.LocalCluster(base / uuid.uuid4().hex[:8], _free_port())
    cluster.up(log=lambda m: None)
    try:
        url = cluster.url()
        migrate.upgrade(url, "head")
        eng = make_engine(url)
        try:
            with eng.connect() as c:
                load_sample(c)
            with eng.begin() as c:
                accounts.create_user(c, "outage-officer", "outage-password-1", ["officer"])
                _, token = accounts.create_token(c, "outage-officer", "outage test")
        finally:
            eng.dispose()
        cluster.token = token  # type: ignore[attr-defined]
        yield cluster
    finally:
        cluster.down(log=lambda m: None)
        import shutil

        shutil.rmtree(cluster.data_dir, ignore_errors=True)
        cluster.password_file.unlink(missing_ok=True)


@dataclass
class Call:
    """One request of the stream: what, when it started and ended, what came back."""

    kind: str
    start: float
    end: float
    status: int | None
    name: str = ""
    body: dict | None = None
    retry_after: str | None = None
    error: str | None = None


class Stream:
    """Officers reading and writing without pause from threads, until stopped."""

    def __init__(self, base: str, headers: dict[str, str]) -> None:
        self.base, self.headers = base, headers
        self.calls: list[Call] = []
        self.stop = threading.Event()
        self._lock = threading.Lock()
        self.threads = [
            threading.Thread(target=self._loop, args=("write", i)) for i in range(WRITERS)
        ] + [threading.Thread(target=self._loop, args=("read", i)) for i in range(READERS)]

    def _loop(self, kind: str, i: int) -> None:
        with httpx.Client(base_url=self.base, headers=self.headers, timeout=30) as c:
            n = 0
            while not self.stop.is_set():
                n += 1
                name = f"outage-{i}-{n}" if kind == "write" else ""
                t = time.monotonic()
                try:
                    if kind == "write":
                        r = c.post("/api/requirements", json={"project_name": name, "need": "land"})
                    else:
                        r = c.get("/api/sites", params={"limit": 5})
                    json_body = r.headers.get("content-type", "").startswith("application/json")
                    call = Call(
                        kind,
                        t,
                        time.monotonic(),
                        r.status_code,
                        name,
                        r.json() if json_body else None,
                        r.headers.get("retry-after"),
                    )
                except httpx.HTTPError as e:
                    call = Call(kind, t, time.monotonic(), None, name, error=repr(e))
                with self._lock:
                    self.calls.append(call)
                time.sleep(0.02)

    def wait_for(self, since: float, timeout_s: float = 90) -> None:
        """Wait until a read and a write that started after ``since`` both succeeded."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self._lock:
                ok = {(c.kind, c.status) for c in self.calls if c.start > since}
            if ("read", 200) in ok and ("write", 201) in ok:
                return
            time.sleep(0.1)
        raise AssertionError(f"no successful read and write since {since}")

    def __enter__(self) -> Stream:
        for th in self.threads:
            th.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for th in self.threads:
            th.join(timeout=60)


@pytest.mark.slow
def test_database_stopped_under_load(own_cluster: provision.LocalCluster) -> None:
    cluster = own_cluster
    headers = {"Authorization": f"Bearer {cluster.token}"}  # type: ignore[attr-defined]
    with ServedApp(cluster.url(), NO_RUNTIME) as app, Stream(app.base_url, headers) as stream:
        stream.wait_for(since=0)
        cluster.down(log=lambda m: None)
        stopped_at = time.monotonic()
        time.sleep(2)
        # while it is down: the readiness probe and a page say so, readably
        ready = httpx.get(f"{app.base_url}/readyz", timeout=10)
        page = httpx.get(
            f"{app.base_url}/map", headers=headers | {"Accept": "text/html"}, timeout=10
        )
        restart_at = time.monotonic()
        cluster.up(log=lambda m: None)
        up_at = time.monotonic()
        # recovered by itself, without restarting the app
        stream.wait_for(since=up_at)
        time.sleep(1)
        stream.stop.set()
        ready_after = httpx.get(f"{app.base_url}/readyz", timeout=10)
        stream.__exit__(None, None, None)
        log = app.stop()
    calls = stream.calls

    assert ready.status_code == 503 and ready.json()["status"] == "unavailable"
    assert page.status_code == 503 and "暂时无法使用" in page.text, page.text[:300]
    assert page.headers["content-type"].startswith("text/html")
    assert ready_after.status_code == 200, ready_after.text
    # every request got an answer (no reset, no hang), and only these answers
    errors = [(c.kind, round(c.start - stopped_at, 2), c.error) for c in calls if c.error]
    assert errors == [], (errors[:5], log[-3000:])
    assert {c.status for c in calls} <= {200, 201, 503}, log[-3000:]
    # only 503s while it was down, each with a JSON reason and Retry-After
    during = [c for c in calls if stopped_at + 0.5 < c.start and c.end < restart_at]
    assert during and {c.status for c in during} == {503}
    for c in calls:
        if c.status == 503:
            assert c.retry_after and int(c.retry_after) > 0
            assert c.body and c.body["detail"]
    # nothing but success once it was back (after the first success)
    back = min(c.start for c in calls if c.start > up_at and c.status in (200, 201))
    assert {c.status for c in calls if c.start > back + 0.5} <= {200, 201}
    # no acknowledged write lost
    acknowledged = {c.name for c in calls if c.kind == "write" and c.status == 201}
    eng = sa.create_engine(cluster.url())
    try:
        with eng.connect() as conn:
            stored = set(
                conn.execute(
                    sa.text(
                        "SELECT project_name FROM requirement WHERE project_name LIKE 'outage-%'"
                    )
                ).scalars()
            )
    finally:
        eng.dispose()
    assert acknowledged and acknowledged <= stored, sorted(acknowledged - stored)[:5]
    assert "Traceback" not in log, log[-3000:]
