"""Pooled connections are checked before use only after sitting idle (gis_app.db.engine)."""

from __future__ import annotations

import time

import sqlalchemy as sa

from gis_app.db.engine import make_engine
from gis_app.settings import DatabaseSettings


def _pinged(engine: sa.Engine) -> list[int]:
    calls: list[int] = []
    ping = engine.dialect.do_ping

    def counting(dbapi_conn):
        calls.append(1)
        return ping(dbapi_conn)

    engine.dialect.do_ping = counting  # type: ignore[method-assign]
    return calls


def _backend(engine: sa.Engine) -> int:
    with engine.connect() as c:
        return c.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()


def test_a_connection_in_steady_use_is_not_pinged(sample_url: str) -> None:
    eng = make_engine(sample_url, DatabaseSettings(ping_idle_s=60))
    pinged = _pinged(eng)
    try:
        pids = {_backend(eng) for _ in range(5)}
        assert len(pids) == 1 and pinged == []
    finally:
        eng.dispose()


def test_a_connection_lost_while_idle_is_replaced_before_use(sample_url: str) -> None:
    eng = make_engine(sample_url, DatabaseSettings(ping_idle_s=0.05, pool_size=1))
    admin = make_engine(sample_url, pooled=False)
    pinged = _pinged(eng)
    try:
        lost = _backend(eng)
        with admin.connect() as a:  # as a restarted server or a firewall would
            a.execute(sa.text("SELECT pg_terminate_backend(:p)"), {"p": lost})
        time.sleep(0.2)
        # the request that follows works: the idle connection was checked and replaced
        assert _backend(eng) != lost
        assert pinged  # and it was the check that found it
    finally:
        eng.dispose()
        admin.dispose()
