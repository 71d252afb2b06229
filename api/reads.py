"""Reads on a hot standby: which connection a request gets, and read-your-writes.

A route whose endpoint takes :data:`api.deps.ReadConnDep` only reads (the marker is the type
of its connection; :class:`api.deps.DbRoute` derives ``reads_only`` from it once, when the
route is made). With ``GIS_APP_REPLICA_URL`` set, such a request is served by the standby when

- the standby is up and replaying, within ``GIS_APP_REPLICA_MAX_LAG_S`` / ``…_BYTES`` of the
  primary (:class:`gis_app.db.replica.ReplicaMonitor`, checked about once a second), and
- it has replayed the caller's last write: after a request of a route that writes, the
  primary's WAL position is sent back in a signed cookie (``gis_app_read_after``, also as the
  header ``X-Read-After`` for API clients that keep no cookies and may echo it); until the
  standby has replayed that position, the caller's reads go to the primary.

Why a signed cookie and not a table: it costs no database round trip on the read path (a
table of fences on the primary would make every read take a primary connection first, which
is what the standby is there to spare), every app process and host sees it (it comes with the
request), and it ends by itself (a few minutes; by then the standby has long replayed it). It
is signed so that a client cannot make it name a position the primary never reached (its
reads would then go to the primary for as long as it lasted); a forged older position only
gives its sender older data. A client that drops cookies and does not echo the header reads
data at most the lag limit old.

Everything else — and every read while the standby is unusable — goes to the primary. A read
that the standby fails under (it stopped, a query cancelled by recovery) is run again on the
primary: reads change nothing, so running one twice is safe; the caller sees no error.

No deadlock with two pools: each has its own request gate (``ConnectionGate``), and a request
never waits at one gate while it holds a slot of the other except in one order — a read that
began on the standby may wait for the primary (a login lookup that must write, or the retry
above). The one request that holds a primary connection before it reads (an investor page:
its rate limit is counted on the primary) takes a standby slot only if one is free at once,
and otherwise reads on the primary connection it holds.
"""

from __future__ import annotations

import base64
import contextvars
import hashlib
import hmac
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import anyio
import sqlalchemy as sa
from starlette.requests import Request
from starlette.responses import Response

from gis_app.db import replica
from gis_app.db.engine import make_engine
from gis_app.db.replica import PrimaryNeeded, ReplicaMonitor
from gis_app.settings import DatabaseSettings

T = TypeVar("T")
log = logging.getLogger("gis_app.api")

FENCE_COOKIE = "gis_app_read_after"
FENCE_HEADER = "X-Read-After"
#: how long a fence holds (seconds): far longer than any lag the standby is used with
FENCE_TTL_S = 300
#: the errors a failure of the standby under a request raises (see _standby_failed: the request
#: is then run again on the primary)
STANDBY_FAILED: tuple[type[Exception], ...] = (
    sa.exc.OperationalError,
    sa.exc.InterfaceError,
)


@dataclass
class WriteFence:
    """Filled in a route that writes: the primary's WAL position after the request's work."""

    lsn: int | None = None

    def take(self, conn: sa.Connection) -> None:
        """Read the primary's WAL position on ``conn`` (after the endpoint committed; never
        raises: without it the caller merely may read from the standby a moment early)."""
        if conn.invalidated or conn.closed:
            return
        try:
            self.lsn = replica.write_position(conn)
            conn.rollback()
        except sa.exc.SQLAlchemyError as exc:
            log.warning("WAL position after a write not read: %s", exc)


#: the fence of the request being handled (set by :meth:`ReadRouting.handle` for routes that
#: write; the endpoint's worker thread sees the same object through the copied context)
CURRENT_FENCE: contextvars.ContextVar[WriteFence | None] = contextvars.ContextVar(
    "gis_app_write_fence", default=None
)


def _mac(key: str, payload: str) -> str:
    digest = hmac.new(key.encode(), b"read-after:" + payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode()


def sign_fence(key: str, lsn: int, now: float | None = None) -> str:
    """``<lsn>.<expires>.<mac>``: the position to wait for, until when, signed."""
    payload = f"{lsn:x}.{int((now or time.time()) + FENCE_TTL_S)}"
    return f"{payload}.{_mac(key, payload)}"


def read_fence(key: str, value: str | None, now: float | None = None) -> int | None:
    """The position a fence names, or None when absent, expired, malformed or not ours."""
    if not value:
        return None
    lsn_hex, _, rest = value.partition(".")
    expires, _, mac = rest.partition(".")
    if not hmac.compare_digest(mac, _mac(key, f"{lsn_hex}.{expires}")):
        return None
    try:
        if int(expires) < (now or time.time()):
            return None
        return int(lsn_hex, 16)
    except ValueError:
        return None


class ReadRouting:
    """Sends the reads of ``reads_only`` routes to the standby when it may serve them."""

    def __init__(self, primary_gate: Any, standby_gate: Any, monitor: ReplicaMonitor) -> None:
        self.primary_gate = primary_gate
        self.standby_gate = standby_gate
        self.monitor = monitor

    def close(self) -> None:
        """Stop the monitor and close the standby's pool (blocking)."""
        self.monitor.stop()
        self.standby_gate.engine.dispose()

    def detail(self) -> dict[str, object]:
        """The standby as ``/readyz`` shows it."""
        return self.monitor.state.detail()

    # -- the route wrapper (api.deps.DbRoute) ------------------------------------------------
    async def handle(
        self,
        request: Request,
        call: Callable[[Request], Awaitable[Response]],
        *,
        reads_only: bool,
        writes: bool,
    ) -> Response:
        """Run the route's handler: a read again on the primary when the standby failed under
        it; a write with its fence sent back."""
        if reads_only:
            request.state.reads_only = True
            try:
                return await call(request)
            except STANDBY_FAILED as exc:
                if getattr(request.state, "db_role", None) != "standby" or not _standby_failed(exc):
                    raise
                if not _recovery_conflict(exc):
                    self.monitor.mark_down(_reason(exc))
                log.warning("a read failed on the standby, run again on the primary: %s", exc)
                request.state.read_conn = None
                request.state.force_primary = True
                return await call(request)
        if not writes:
            return await call(request)
        fence = WriteFence()
        token = CURRENT_FENCE.set(fence)
        try:
            response = await call(request)
        finally:
            CURRENT_FENCE.reset(token)
        if fence.lsn is not None:
            value = sign_fence(request.app.state.secret_key, fence.lsn)
            response.set_cookie(
                FENCE_COOKIE, value, max_age=FENCE_TTL_S, httponly=True, samesite="lax", path="/"
            )
            response.headers[FENCE_HEADER] = value
        return response

    # -- choosing a connection ---------------------------------------------------------------
    def _fence(self, request: Request) -> int | None:
        value = request.headers.get(FENCE_HEADER) or request.cookies.get(FENCE_COOKIE)
        return read_fence(request.app.state.secret_key, value)

    def standby_serves(self, request: Request) -> bool:
        """True when this request's reads may go to the standby."""
        if getattr(request.state, "force_primary", False):
            return False
        return self.monitor.serves(self._fence(request))

    @asynccontextmanager
    async def connection_with(
        self, request: Request, fn: Callable[[sa.Connection, bool], T]
    ) -> AsyncIterator[tuple[sa.Connection, T]]:
        """A connection for a read request on which ``fn(conn, on_standby)`` ran (a login
        lookup): the standby's when it may serve the request, else the primary's. ``fn``
        raising :class:`PrimaryNeeded` on the standby, or the standby failing to connect,
        moves the request to the primary (nothing held while it waits there)."""
        async with AsyncExitStack() as stack:
            taken: tuple[sa.Connection, T] | None = None
            if self.standby_serves(request):
                try:
                    taken = await stack.enter_async_context(
                        self.standby_gate.connection_with(lambda c: fn(c, True))
                    )
                    request.state.db_role = "standby"
                except PrimaryNeeded:
                    pass
                except STANDBY_FAILED as exc:
                    self.monitor.mark_down(_reason(exc))
            if taken is None:
                taken = await stack.enter_async_context(
                    self.primary_gate.connection_with(lambda c: fn(c, False))
                )
                request.state.db_role = "primary"
            yield taken

    @asynccontextmanager
    async def read_connection(
        self, request: Request, held: sa.Connection | None
    ) -> AsyncIterator[sa.Connection]:
        """A connection for the reads of a request; ``held`` is a primary connection the
        request holds already (an investor page's): the standby's is then taken only if a
        slot is free at once, else the reads run on ``held``."""
        if held is None:
            async with self.connection_with(request, lambda c, on_standby: None) as (conn, _):
                yield conn
            return
        if self.standby_serves(request):
            async with AsyncExitStack() as stack:
                conn: sa.Connection | None = None
                try:
                    conn, _ = await stack.enter_async_context(
                        self.standby_gate.connection_with(lambda c: None, wait=False)
                    )
                except anyio.WouldBlock:
                    pass  # every standby slot is taken: read on the held connection
                except STANDBY_FAILED as exc:
                    self.monitor.mark_down(_reason(exc))
                if conn is not None:
                    request.state.db_role = "standby"
                    yield conn
                    return
        request.state.db_role = "primary"
        yield held


def _pgcode(exc: Exception) -> str | None:
    return getattr(getattr(exc, "orig", None), "pgcode", None)


def _recovery_conflict(exc: Exception) -> bool:
    """The standby cancelled the query to replay WAL it conflicted with (the standby is
    fine; the primary answers this one)."""
    return _pgcode(exc) == "40001"


def _standby_failed(exc: Exception) -> bool:
    """The standby, not the request, failed: the connection broke or could not be made, the
    server shut down, or recovery cancelled the query. (A statement timeout is the request's
    own failure and is not run again.)"""
    if isinstance(exc, sa.exc.DBAPIError) and exc.connection_invalidated:
        return True
    code = _pgcode(exc)
    return code is None or code in ("40001", "57P01", "57P02", "57P03")


def _reason(exc: Exception) -> str:
    lines = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def read_routing(
    primary_url: str,
    settings: DatabaseSettings,
    primary_gate: Any,
    gate_for: Callable[[sa.Engine, DatabaseSettings], Any],
) -> ReadRouting | None:
    """The process's read routing (None without ``GIS_APP_REPLICA_URL``): a pool and a
    request gate (``gate_for``) for the standby, and the monitor that checks it (started)."""
    if not settings.replica_url:
        return None
    pool = settings.model_copy(update={"pool_size": settings.replica_pool_size, "max_overflow": 0})
    standby = make_engine(settings.replica_url, pool, application_name="gis_app reads")
    check = settings.model_copy(
        update={"pool_size": 1, "max_overflow": 0, "statement_timeout_s": 5.0}
    )
    monitor = ReplicaMonitor(
        primary=make_engine(primary_url, check, application_name="gis_app replica check"),
        standby=make_engine(settings.replica_url, check, application_name="gis_app replica check"),
        max_lag_s=settings.replica_max_lag_s,
        max_lag_bytes=settings.replica_max_lag_bytes,
        interval_s=settings.replica_check_s,
    )
    monitor.start()
    return ReadRouting(primary_gate, gate_for(standby, pool), monitor)
