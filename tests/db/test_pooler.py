"""The app behind a real PgBouncer in transaction mode (Debian's ``pgbouncer``, on loopback).

Fewer server connections than clients, so consecutive transactions of one client run on other
server connections: matches (server-side prepared statements) agree with a direct connection,
the timeouts hold per transaction and do not leak, the API reads and writes through it, and a
misconfigured app (session start-up options through a pooler) is told what to set.
"""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from needs import need

from api.app import create_app
from bench.load_driver import MATCH_BODIES, free_port
from gis_app.db.engine import make_engine
from gis_app.db.pooler import PgBouncer
from gis_app.services.health import check_ready
from gis_app.services.matching import match_spec
from gis_app.settings import DatabaseSettings, Settings

POOLED = DatabaseSettings(pooler="transaction", statement_timeout_s=7, lock_timeout_s=2)


@pytest.fixture
def bouncer(make_db, scratch_dir: Path):
    """A database of its own behind PgBouncer with 2 server connections."""
    need(
        bool(shutil.which("pgbouncer") or Path("/usr/sbin/pgbouncer").exists()),
        "pgbouncer is not installed",
    )
    url = make_db()
    with PgBouncer(url, scratch_dir / "pgbouncer", free_port(), server_connections=2) as b:
        yield url, b


def _ranking(result) -> list[tuple]:
    return [(m.site_id, m.building_id, m.score) for m in result.matches + result.near_misses]


def test_matches_through_the_pooler_agree_with_a_direct_connection(bouncer) -> None:
    url, b = bouncer
    direct = make_engine(url)
    pooled = make_engine(b.url, POOLED.model_copy(update={"pool_size": 8}))
    try:
        with direct.connect() as c:
            expected = [_ranking(match_spec(c, body)) for body in MATCH_BODIES]

        def run(i: int) -> list[tuple]:
            with pooled.connect() as c:
                return _ranking(match_spec(c, MATCH_BODIES[i % len(MATCH_BODIES)]))

        # 8 clients over 2 server connections, 48 matches: statements prepared on one server
        # connection are found missing on the other and prepared there, never clash
        with ThreadPoolExecutor(8) as pool:
            got = list(pool.map(run, range(48)))
        assert all(g == expected[i % len(MATCH_BODIES)] for i, g in enumerate(got))
        assert all(expected)
    finally:
        direct.dispose()
        pooled.dispose()


def test_timeouts_hold_per_transaction_and_do_not_leak(bouncer) -> None:
    _, b = bouncer
    pooled = make_engine(b.url, POOLED.model_copy(update={"pool_size": 4}))
    try:
        for _ in range(6):
            with pooled.connect() as c:
                assert c.execute(sa.text("SHOW statement_timeout")).scalar() == "7s"
                assert c.execute(sa.text("SHOW lock_timeout")).scalar() == "2s"
                assert c.execute(sa.text("SHOW jit")).scalar() == "off"
                # a transaction's own setting ends with it, whichever server connection ran it
                c.execute(sa.text("SET LOCAL statement_timeout = 1234"))
                c.commit()
                assert c.execute(sa.text("SHOW statement_timeout")).scalar() == "7s"
        short = make_engine(b.url, POOLED.model_copy(update={"statement_timeout_s": 0.3}))
        with short.connect() as c, pytest.raises(sa.exc.OperationalError, match="timeout"):
            c.execute(sa.text("SELECT pg_sleep(2)"))
        short.dispose()
    finally:
        pooled.dispose()


def test_the_api_reads_and_writes_through_the_pooler(bouncer, token_for) -> None:
    url, b = bouncer
    token = token_for(url, "planner")
    settings = Settings(db=POOLED.model_copy(update={"database_url": b.url}))
    with TestClient(create_app(settings), headers={"Authorization": f"Bearer {token}"}) as c:
        sites = c.get("/api/sites", params={"limit": 5, "format": "json"})
        assert sites.status_code == 200, sites.text
        site_id = sites.json()[0]["id"]
        assert c.post("/api/match", json=MATCH_BODIES[0]).status_code == 200
        # tiles run prepared statements too: repeated over two server connections
        tiles = [c.get("/tiles/sites/11/1719/845.pbf", params=p) for p in ({}, {"kind": "land"})]
        for _ in range(3):
            for p, first in zip(({}, {"kind": "land"}), tiles, strict=True):
                again = c.get("/tiles/sites/11/1719/845.pbf", params=p)
                assert again.status_code == 200 and again.content == first.content
        assert tiles[0].content and tiles[0].content != tiles[1].content
        got = c.get(f"/api/sites/{site_id}")
        changed = c.patch(
            f"/api/sites/{site_id}",
            json={"description_zh": "经连接池修改"},
            headers={"If-Match": got.headers["etag"]},
        )
        assert changed.status_code == 200, changed.text
        assert c.get("/readyz").status_code == 200
    with sa.create_engine(url).connect() as c:
        row = c.execute(
            sa.text(
                "SELECT s.description_zh, h.app_user FROM site s JOIN history h "
                "ON h.table_name = 'site' AND h.row_id = s.id WHERE s.id = :i "
                "ORDER BY h.id DESC LIMIT 1"
            ),
            {"i": site_id},
        ).one()
    assert row.description_zh == "经连接池修改"
    assert row.app_user == "test-planner"  # the app user reached the history trigger


def test_session_options_through_a_pooler_are_explained(bouncer) -> None:
    """An app not told about the pooler sends its timeouts as start-up options, which PgBouncer
    refuses: /readyz says which setting to use."""
    _, b = bouncer
    unaware = make_engine(b.url, DatabaseSettings(), pooled=False)
    try:
        with pytest.raises(Exception, match="GIS_APP_POOLER=transaction"):
            check_ready(unaware)
    finally:
        unaware.dispose()


def test_a_direct_connection_runs_without_jit(engine) -> None:
    """JIT compiling costs a costly-looking query (a list over a drawn area at 1M sites) more
    than it runs; the app's connections switch it off at start-up."""
    with engine.connect() as c:
        assert c.execute(sa.text("SHOW jit")).scalar() == "off"
