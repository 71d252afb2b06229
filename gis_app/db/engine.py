"""Engine and sessions: one engine per process, one session per unit of work."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from gis_app.db import failover, prepared, scope
from gis_app.settings import DatabaseSettings


def make_engine(
    url: str,
    settings: DatabaseSettings | None = None,
    application_name: str = "gis_app",
    *,
    pooled: bool = True,
) -> sa.Engine:
    """Create the process's engine with timeouts that make writes fail fast behind locks.

    ``pooled=False`` opens a connection per use (health probes, which must answer even while
    every pooled connection is busy).
    """
    s = settings or DatabaseSettings()
    session: dict[str, int | str] = {
        "lock_timeout": int(s.lock_timeout_s * 1000),
        "statement_timeout": int(s.statement_timeout_s * 1000),
        # JIT compiles a query whose estimated cost is high — a list over a drawn area at 1M
        # sites — for 40+ ms, more than such a query runs: measured off, 546 → 86 ms
        "jit": "off",
    }
    connect_args: dict[str, Any] = {"application_name": application_name, "connect_timeout": 5}
    if s.pooler == "none":
        connect_args["options"] = " ".join(f"-c {k}={v}" for k, v in session.items())
    pool_args: dict = (
        {
            # a map page opens ~6 tile requests at once; new connections are slow to warm up
            "pool_size": s.pool_size,
            "max_overflow": s.max_overflow,
            # the API admits no more requests than connections (api.deps.ConnectionGate), so
            # this wait only bounds connections taken outside the gate (imports, scripts)
            "pool_timeout": s.queue_timeout_s,
        }
        if pooled
        else {"poolclass": sa.pool.NullPool}
    )
    engine = sa.create_engine(url, **pool_args, connect_args=connect_args)
    # Behind a transaction-mode pooler every transaction gets the session settings a direct
    # connection gets at start-up: SET LOCAL in front of its first statement, in the same trip,
    # so they hold on whichever server connection the pooler lends and end with it.
    per_transaction = ""
    if s.pooler == "transaction":
        per_transaction = "".join(f"SET LOCAL {k} = {v}; " for k, v in session.items())
    else:
        prepared.remember_per_session(engine)
    scope.install(engine, per_transaction)
    if pooled:
        _ping_when_idle(engine, s.ping_idle_s)
    failover.drop_demoted_connections(engine)
    return engine


def _ping_when_idle(engine: sa.Engine, idle_s: float) -> None:
    """Check a pooled connection with a round trip before use only when it sat idle for more
    than ``idle_s`` seconds (``pool_pre_ping`` would ping before every request).

    A connection that fails the check is replaced (the pool retries on ``DisconnectionError``).
    A connection in use when the server went away fails its statement instead: SQLAlchemy then
    invalidates every connection of the pool taken before, so each is reopened on its next use.
    """

    @sa.event.listens_for(engine, "checkin")
    def _checked_in(dbapi_conn: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @sa.event.listens_for(engine, "checkout")
    def _checked_out(dbapi_conn: Any, record: Any, proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since <= idle_s:
            return  # just opened, or in steady use
        try:
            engine.dialect.do_ping(dbapi_conn)  # outside any transaction (autocommit)
        except Exception as exc:  # any driver error: the connection is unusable
            raise sa.exc.DisconnectionError(f"pooled connection was lost: {exc}") from exc


def session_factory(engine: sa.Engine) -> sessionmaker[Session]:
    """Sessions bound to ``engine``; services commit, repositories do not."""
    return sessionmaker(engine, expire_on_commit=False)


def set_app_user(conn: sa.Connection | Session, user: str | None, note: str | None = None) -> None:
    """Tell the database triggers who is changing data in this transaction (for history)."""
    conn.execute(
        sa.text(
            "SELECT set_config('gis_app.user', :u, true), set_config('gis_app.note', :n, true)"
        ),
        {"u": user or "", "n": note or ""},
    )


@contextmanager
def transaction(
    engine: sa.Engine, user: str | None = None, note: str | None = None
) -> Iterator[sa.Connection]:
    """A connection in one transaction, committed on success, with the app user set."""
    with engine.begin() as conn:
        set_app_user(conn, user, note)
        yield conn
