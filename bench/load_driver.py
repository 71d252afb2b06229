"""Many officers at once against a served app: the load driver of ``bench/load_bench.py`` and of
the overload and outage tests (tests/api/test_overload.py, tests/db/test_outage.py).

Each virtual officer is one ``httpx.AsyncClient`` with one keep-alive connection, sending the
officers' mix without pause: a bbox search of a random window of the inventory, a random site's
detail, and a match of one of two requirements (land, plant). Every request is recorded with its
status, latency and ``Retry-After``; a request that gets no answer within ``timeout_s`` is
recorded as ``timeout`` (a hang), a refused or reset connection as ``transport``.
"""

from __future__ import annotations

import asyncio
import random
import ssl
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import sqlalchemy as sa

from gis_app.settings import DatabaseSettings

#: the two requirements the mix matches (plausible for the sample and for synthetic inventories)
MATCH_BODIES: tuple[dict, ...] = (
    {
        "project_name": "load land",
        "need": "land",
        "land_use_codes": ["1001"],
        "land_mu_min": 20,
        "land_mu_max": 120,
    },
    {
        "project_name": "load plant",
        "need": "plant",
        "gfa_m2_min": 2000,
        "height_min_m": 6,
        "tenure": "lease",
    },
)


@dataclass(frozen=True)
class Request:
    """One request of the mix."""

    name: str
    method: str
    path: str
    params: dict | None = None
    json: dict | None = None


@dataclass
class Outcome:
    """What one request got."""

    name: str
    status: int | None
    ms: float
    error: str | None = None
    retry_after: str | None = None
    started: float = 0.0


@dataclass
class Inventory:
    """What the mix draws from: the sites' extent and ids."""

    extent: tuple[float, float, float, float]
    site_ids: list[int]

    @classmethod
    def read(cls, url: str, max_ids: int = 5000) -> Inventory:
        """Read the extent (WGS84) and up to ``max_ids`` random site ids of the database."""
        eng = sa.create_engine(url)
        try:
            with eng.connect() as c:
                box = c.execute(
                    sa.text(
                        "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) "
                        "FROM (SELECT ST_Extent(geom) AS e FROM site) s"
                    )
                ).one()
                ids = (
                    c.execute(
                        sa.text("SELECT id FROM site ORDER BY random() LIMIT :k"), {"k": max_ids}
                    )
                    .scalars()
                    .all()
                )
        finally:
            eng.dispose()
        return cls(tuple(float(v) for v in box), list(ids))  # type: ignore[arg-type]


def officer_mix(inv: Inventory, window: float = 0.25) -> Callable[[random.Random], Request]:
    """The officers' mix: bbox search, site detail, match, in equal parts.

    A bbox is ``window`` of the extent's width and height, placed at random inside it.
    """
    x0, y0, x1, y1 = inv.extent
    w, h = (x1 - x0) * window, (y1 - y0) * window

    def pick(rng: random.Random) -> Request:
        kind = rng.randrange(3)
        if kind == 0:
            bx, by = x0 + rng.random() * (x1 - x0 - w), y0 + rng.random() * (y1 - y0 - h)
            bbox = f"{bx:.5f},{by:.5f},{bx + w:.5f},{by + h:.5f}"
            return Request("bbox_search", "GET", "/api/sites", params={"bbox": bbox, "limit": 100})
        if kind == 1:
            return Request("site_detail", "GET", f"/api/sites/{rng.choice(inv.site_ids)}")
        return Request("match", "POST", "/api/match", json=rng.choice(MATCH_BODIES))

    return pick


@dataclass
class LoadRun:
    """The outcomes of one run and the figures made from them."""

    users: int
    duration_s: float
    outcomes: list[Outcome] = field(default_factory=list)
    probes: list[Outcome] = field(default_factory=list)

    def by_status(self) -> dict[str, int]:
        """Count of outcomes per status code (or error kind)."""
        out: dict[str, int] = {}
        for o in self.outcomes:
            key = str(o.status) if o.status is not None else (o.error or "error")
            out[key] = out.get(key, 0) + 1
        return dict(sorted(out.items()))

    def summary(self) -> dict:
        """p50/p95/p99 latency of answered requests, throughput and errors, overall and per
        request kind."""

        def stats(items: list[Outcome]) -> dict:
            ok = sorted(o.ms for o in items if o.status == 200)
            return {
                "requests": len(items),
                "ok": len(ok),
                "p50_ms": round(statistics.median(ok), 1) if ok else None,
                "p95_ms": round(_quantile(ok, 0.95), 1) if ok else None,
                "p99_ms": round(_quantile(ok, 0.99), 1) if ok else None,
            }

        names = sorted({o.name for o in self.outcomes})
        errors = sum(1 for o in self.outcomes if o.status != 200)
        return {
            "users": self.users,
            "duration_s": round(self.duration_s, 1),
            "requests_per_s": round(len(self.outcomes) / self.duration_s, 1),
            "errors": errors,
            "by_status": self.by_status(),
            **stats(self.outcomes),
            "per_request": {n: stats([o for o in self.outcomes if o.name == n]) for n in names},
        }


def _quantile(sorted_values: list[float], q: float) -> float:
    if len(sorted_values) == 1:
        return sorted_values[0]
    return statistics.quantiles(sorted_values, n=100, method="inclusive")[round(q * 100) - 1]


async def _send(client: httpx.AsyncClient, req: Request, timeout_s: float) -> Outcome:
    t = time.perf_counter()
    try:
        r = await client.request(
            req.method, req.path, params=req.params, json=req.json, timeout=timeout_s
        )
        await r.aread()
        return Outcome(
            req.name,
            r.status_code,
            (time.perf_counter() - t) * 1000,
            retry_after=r.headers.get("retry-after"),
            started=t,
        )
    except httpx.TimeoutException:
        return Outcome(req.name, None, (time.perf_counter() - t) * 1000, "timeout", started=t)
    except httpx.TransportError as e:
        return Outcome(
            req.name, None, (time.perf_counter() - t) * 1000, f"transport: {e!r}", started=t
        )


async def run_load(
    base_url: str,
    token: str,
    *,
    users: int,
    duration_s: float,
    mix: Callable[[random.Random], Request],
    timeout_s: float = 60.0,
    probe_every_s: float | None = 0.5,
    seed: int = 18,
    think_s: float = 0.0,
) -> LoadRun:
    """Drive ``users`` concurrent keep-alive clients for ``duration_s`` seconds, each pausing
    ``think_s`` on average between requests (0: none); meanwhile a separate anonymous client
    asks ``/readyz`` every ``probe_every_s`` seconds."""
    run = LoadRun(users, duration_s)
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    # one TLS context for all (httpx builds one per client otherwise, ~50 ms each), and every
    # client made before the clock starts
    tls = ssl.create_default_context()
    clients = [
        httpx.AsyncClient(base_url=base_url, headers=headers, limits=limits, verify=tls)
        for _ in range(users)
    ]
    deadline = time.perf_counter() + duration_s

    async def user(i: int) -> None:
        rng = random.Random(seed * 1000 + i)
        async with clients[i] as c:
            if think_s:  # officers start at their own moments, not all in the same instant
                await _pause(rng, think_s, deadline)
            while time.perf_counter() < deadline:
                outcome = await _send(c, mix(rng), timeout_s)
                run.outcomes.append(outcome)
                if think_s:
                    # an officer reads the answer before the next request (exponential pauses
                    # of mean think_s, so the officers do not march in step)
                    await _pause(rng, think_s, deadline)
                elif outcome.status is None and outcome.error != "timeout":
                    await asyncio.sleep(0.05)  # a refused connection: don't spin

    async def prober() -> None:
        async with httpx.AsyncClient(base_url=base_url, verify=tls) as c:
            while time.perf_counter() < deadline:
                run.probes.append(await _send(c, Request("readyz", "GET", "/readyz"), timeout_s))
                await asyncio.sleep(probe_every_s or 0)

    started = time.perf_counter()
    tasks = [user(i) for i in range(users)]
    if probe_every_s is not None:
        tasks.append(prober())
    await asyncio.gather(*tasks)
    run.duration_s = time.perf_counter() - started
    return run


async def _pause(rng: random.Random, mean_s: float, deadline: float) -> None:
    """Sleep an exponential time of mean ``mean_s``, but not past ``deadline``."""
    await asyncio.sleep(min(rng.expovariate(1 / mean_s), max(0.0, deadline - time.perf_counter())))


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def primary_and_standby(base: Path) -> DatabaseSettings:
    """Settings of a private cluster and its standby in the new folder ``base`` (which the
    ``postgres`` user may enter), each on a free port (the replica bench and tests)."""
    base.mkdir(parents=True)
    for folder in (base.parent, base):
        folder.chmod(0o755)
    return DatabaseSettings(
        database_url=None,
        # the private cluster's own runtime login (made by the app), whatever the environment
        runtime_user=None,
        pg_data_dir=base / "pg",
        pg_port=free_port(),
        replica_data_dir=base / "standby",
        replica_port=free_port(),
    )


def with_sample(url: str, roles: tuple[str, ...]) -> dict[str, str]:
    """Migrate the empty database at ``url``, load the sample and make a user ``load-<role>``
    per role; return an API token per role."""
    from gis_app.db import migrate
    from gis_app.db.district_queries import top_district
    from gis_app.db.engine import make_engine
    from gis_app.services import accounts
    from gis_app.services.inventory import load_sample

    migrate.upgrade(url, "head")
    eng = make_engine(url)
    tokens = {}
    try:
        with eng.connect() as c:
            load_sample(c)
        with eng.begin() as c:
            # users of the city: they read and write every district (row security)
            city = top_district(c)
            for role in roles:
                accounts.create_user(
                    c, f"load-{role}", "load-password-1", [role], district_code=city
                )
                tokens[role] = accounts.create_token(c, f"load-{role}", "load")[1]
    finally:
        eng.dispose()
    return tokens


class ServedApp:
    """``gis-app serve`` (the default server command) in a subprocess on 127.0.0.1."""

    def __init__(self, db_url: str, env: dict[str, str] | None = None) -> None:
        import os
        import subprocess
        import sys
        import tempfile

        self.port = free_port()
        # a file, not a pipe: a server logging many refusals must never block on a full pipe
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - closed by stop()
        self.base_url = f"http://127.0.0.1:{self.port}"
        port = str(self.port)
        full_env = os.environ | {"GIS_APP_DATABASE_URL": db_url} | (env or {})
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "cli", "serve", "--host", "127.0.0.1", "--port", port],
            env=full_env,
            stdout=self.log if os.environ.get("GIS_APP_LOAD_ACCESS_LOG") else subprocess.DEVNULL,
            stderr=self.log,
        )
        # every worker process imports the app (a few CPU seconds each; far more on a busy
        # machine)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gis-app serve exited: {self.stop()}")
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("gis-app serve did not start within 120 s")

    def stop(self) -> str:
        """Stop the server; return what it wrote to stderr."""
        import subprocess

        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.log.closed:
            return ""
        self.log.seek(0)
        text = self.log.read().decode(errors="replace")
        self.log.close()
        return text

    def __enter__(self) -> ServedApp:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def run_load_sync(base_url: str, token: str, **kwargs: object) -> LoadRun:
    """:func:`run_load` from synchronous code, on an event loop in a thread of its own (the
    caller's thread may have a loop running already, as Playwright's sync API leaves it)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, run_load(base_url, token, **kwargs)).result()  # type: ignore[arg-type]
