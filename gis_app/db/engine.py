"""Engine and sessions: one engine per process, one session per unit of work."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

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
    options = (
        f"-c lock_timeout={int(s.lock_timeout_s * 1000)} "
        f"-c statement_timeout={int(s.statement_timeout_s * 1000)}"
    )
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
    return sa.create_engine(
        url,
        pool_pre_ping=True,
        **pool_args,
        connect_args={
            "options": options,
            "application_name": application_name,
            "connect_timeout": 5,
        },
    )


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
