"""Request dependencies: settings, a database connection per request, query parsing.

Handlers are plain ``def`` functions run in the thread pool; the database is reached only from
there. The event loop never waits on the database: a request first waits (asynchronously, for
a bounded time) for one of the gate's slots, and only then takes a pooled connection in a
thread. There are never more admitted requests than pooled connections, so a connection is
always free for an admitted request and the pool cannot deadlock the thread pool; a request
that waits too long gets 503 with ``Retry-After`` instead of hanging.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Annotated, TypeVar

import anyio
import sqlalchemy as sa
from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from gis_app.domain.errors import DatabaseBusy
from gis_app.settings import DatabaseSettings, Settings

T = TypeVar("T")

#: connections of the pool the gate leaves for work outside requests (file imports open their
#: own transactions through the engine)
RESERVED_CONNECTIONS = 2


class ConnectionGate:
    """Admits at most ``slots`` requests to the database at once; the others wait in line for
    up to ``wait_s`` seconds and are then refused with :class:`DatabaseBusy` (503)."""

    def __init__(self, engine: sa.Engine, slots: int, wait_s: float) -> None:
        self.engine = engine
        self.slots = max(1, slots)
        self.wait_s = wait_s
        self._semaphore = anyio.Semaphore(self.slots)

    @classmethod
    def for_engine(cls, engine: sa.Engine, settings: DatabaseSettings) -> ConnectionGate:
        """A gate sized to the engine's pool, keeping a few connections in reserve."""
        capacity = settings.pool_size + settings.max_overflow
        slots = capacity - RESERVED_CONNECTIONS if capacity > RESERVED_CONNECTIONS else capacity
        return cls(engine, slots, settings.queue_timeout_s)

    async def _admit(self) -> None:
        with anyio.move_on_after(self.wait_s) as scope:
            await self._semaphore.acquire()
        if scope.cancelled_caught:
            raise DatabaseBusy(
                "the server is busy: every database connection is in use; retry shortly "
                "/ 服务器繁忙，请稍后重试",
                retry_after_s=max(1, round(self.wait_s / 5)),
            )

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[sa.Connection]:
        """A pooled connection for one request, taken and given back off the event loop."""
        async with self.connection_with(lambda conn: None) as (conn, _):
            yield conn

    @asynccontextmanager
    async def connection_with(
        self, fn: Callable[[sa.Connection], T]
    ) -> AsyncIterator[tuple[sa.Connection, T]]:
        """A pooled connection on which ``fn(conn)`` has run in a committed transaction, in the
        same trip to a worker thread that took the connection."""

        def _open() -> tuple[sa.Connection, T]:
            conn = self.engine.connect()
            try:
                with conn.begin():
                    return conn, fn(conn)
            except BaseException:
                conn.close()
                raise

        await self._admit()
        try:
            # shielded: once taken, the connection must reach the code that gives it back
            with anyio.CancelScope(shield=True):
                conn, result = await run_in_threadpool(_open)
            try:
                yield conn, result
            finally:
                with anyio.CancelScope(shield=True):
                    await run_in_threadpool(conn.close)
        finally:
            self._semaphore.release()

    async def run(self, fn: Callable[[sa.Connection], T]) -> T:
        """Run ``fn(conn)`` in one committed transaction, in one trip to a worker thread."""

        def _in_tx() -> T:
            with self.engine.begin() as conn:
                return fn(conn)

        await self._admit()
        try:
            with anyio.CancelScope(shield=True):
                return await run_in_threadpool(_in_tx)
        finally:
            self._semaphore.release()


def get_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    return request.app.state.settings


async def get_conn(request: Request) -> AsyncIterator[sa.Connection]:
    """A connection for the request (committed by the service that writes); 503 when none
    becomes free in time. The connection the access policy looked the caller up on is reused."""
    taken = getattr(request.state, "db_conn", None)
    if taken is not None:
        yield taken
        return
    gate: ConnectionGate = request.app.state.db_gate
    async with gate.connection() as conn:
        yield conn


SettingsDep = Annotated[Settings, Depends(get_settings)]
ConnDep = Annotated[sa.Connection, Depends(get_conn)]
