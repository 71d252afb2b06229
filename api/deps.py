"""Request dependencies: settings, a database connection per request, query parsing.

Handlers are plain ``def`` functions run in the thread pool; the database is reached only from
there. The event loop never waits on the database: a request first waits (asynchronously, for
a bounded time) for one of the gate's slots, and only then takes a pooled connection in a
thread. There are never more admitted requests than pooled connections, so a connection is
always free for an admitted request and the pool cannot deadlock the thread pool; a request
that waits too long gets 503 with ``Retry-After`` instead of hanging.
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager, suppress
from typing import Annotated, Any, TypeVar

import anyio
import sqlalchemy as sa
from fastapi import Depends, Query, Request
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import get_dependant, request_params_to_args
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from api.auth import SAFE_METHODS, Principal
from api.reads import CURRENT_FENCE, ReadRouting
from gis_app.db.site_queries import SiteFilter
from gis_app.domain.errors import DatabaseBusy, InvalidInput
from gis_app.domain.filters import REGISTRY_FILTERS
from gis_app.services.requirements import Viewer
from gis_app.settings import DatabaseSettings, Settings

T = TypeVar("T")
log = logging.getLogger("gis_app.api")


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
        """A gate with a slot per connection the engine's pool may open (every database use of
        a request, file imports included, goes through the gate)."""
        return cls(engine, settings.pool_size + settings.max_overflow, settings.queue_timeout_s)

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
        self, fn: Callable[[sa.Connection], T], *, wait: bool = True
    ) -> AsyncIterator[tuple[sa.Connection, T]]:
        """A pooled connection on which ``fn(conn)`` has run, in the same trip to a worker
        thread that took the connection. ``fn`` commits what it writes; the transaction of its
        reads stays open for the request's own statements. ``wait=False``: only if a slot is
        free now, else :class:`anyio.WouldBlock` (for a request already holding a connection
        of another gate, which must not wait here: api.reads)."""

        def _open() -> tuple[sa.Connection, T]:
            conn = self.engine.connect()
            try:
                return conn, fn(conn)
            except BaseException:
                give_back(conn)
                raise

        if wait:
            await self._admit()
        else:
            self._semaphore.acquire_nowait()
        try:
            # shielded: once taken, the connection must reach the code that gives it back
            with anyio.CancelScope(shield=True):
                conn, result = await run_in_threadpool(_open)
            try:
                yield conn, result
            finally:
                if conn.in_transaction() or conn.invalidated:
                    with anyio.CancelScope(shield=True):
                        await run_in_threadpool(give_back, conn)
                else:
                    # no transaction open (DbRoute ended it in the endpoint's thread): going
                    # back to the pool sends nothing to the server, so no trip to a thread
                    give_back(conn)
        finally:
            self._semaphore.release()


class DbRoute(APIRoute):
    """The route class of every router: a synchronous endpoint ends the transaction of the
    database connection it was given in its own worker thread, before it returns, so that
    the connection goes back to the pool without one more trip to a thread per request.

    A route whose endpoint takes :data:`ReadConnDep` only reads (``reads_only``): with a hot
    standby configured its reads may go there; a route that may write sends its caller the
    primary's WAL position after it (:mod:`api.reads`)."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if not inspect.iscoroutinefunction(endpoint):
            endpoint = _ending_transaction(endpoint)
        super().__init__(path, endpoint, **kwargs)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """With a standby configured, let :class:`api.reads.ReadRouting` run the handler."""
        original = super().get_route_handler()
        # (called by APIRoute.__init__, once the dependencies are known)
        #: the endpoint takes ReadConnDep: its reads may go to a hot standby (what it writes,
        #: if anything, it writes on a ConnDep: an investor page counts its view)
        self.reads_only = reads_only = _takes(self.dependant, get_read_conn)
        #: a route that may write: its caller's next reads wait until the standby has
        #: replayed what it wrote (api.reads)
        self.writes = writes = not reads_only and bool(self.methods - SAFE_METHODS)

        async def handler(request: Request) -> Response:
            routing: ReadRouting | None = getattr(request.app.state, "reads", None)
            if routing is None:
                return await original(request)
            return await routing.handle(request, original, reads_only=reads_only, writes=writes)

        return handler


def _takes(dependant: Dependant, call: Callable[..., Any]) -> bool:
    """True when ``call`` is among the dependencies of ``dependant`` (at any depth)."""
    return any(d.call is call or _takes(d, call) for d in dependant.dependencies)


def _ending_transaction(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(endpoint)  # FastAPI reads the signature through __wrapped__
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return endpoint(*args, **kwargs)
        finally:
            fence = CURRENT_FENCE.get()
            for value in kwargs.values():
                if isinstance(value, sa.Connection) and value.in_transaction():
                    # what is not committed by now is not meant to be (give_back would roll
                    # it back too); a failure here leaves the connection to give_back
                    with suppress(sa.exc.SQLAlchemyError):
                        value.rollback()
                if isinstance(value, sa.Connection) and fence is not None:
                    fence.take(value)  # a route that writes, with a standby configured

    return call


def give_back(conn: sa.Connection) -> None:
    """Return a request's connection to the pool; never raise.

    The connection goes back after the response has been sent. If the database went away
    meanwhile, the rollback of ``close()`` fails: the connection is then dropped from the pool
    instead, because an error raised here could no longer become a response and would cut the
    client's connection.
    """
    try:
        conn.close()
    except sa.exc.SQLAlchemyError as exc:
        log.warning("a database connection could not be given back and is dropped: %s", exc)
        with suppress(sa.exc.SQLAlchemyError):
            conn.invalidate()


async def get_settings(request: Request) -> Settings:
    """The settings the app was created with (a coroutine: FastAPI would run a plain function
    in a worker thread, one more trip per request; this and the parsers below never block)."""
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


async def get_read_conn(request: Request) -> AsyncIterator[sa.Connection]:
    """A connection for a route that only reads: the hot standby's when one is configured
    and may serve this caller (:mod:`api.reads`), else the primary's as :func:`get_conn`.
    Nothing may be written on it."""
    routing: ReadRouting | None = getattr(request.app.state, "reads", None)
    taken = getattr(request.state, "read_conn", None)
    if taken is None and routing is None:
        taken = getattr(request.state, "db_conn", None)
    if taken is not None:
        yield taken
        return
    if routing is None:
        async with request.app.state.db_gate.connection() as conn:
            yield conn
        return
    held = getattr(request.state, "db_conn", None)
    async with routing.read_connection(request, held) as conn:
        yield conn


SettingsDep = Annotated[Settings, Depends(get_settings)]
ConnDep = Annotated[sa.Connection, Depends(get_conn)]
#: the connection of a route that only reads (the marker that lets it read on a standby)
ReadConnDep = Annotated[sa.Connection, Depends(get_read_conn)]


# --- query parsing shared by routers (a router imports no other router) ----------------------

_List = Annotated[list[str], Query()]


def _floats(name: str, value: str, n: int) -> tuple[float, ...]:
    try:
        parts = tuple(float(v) for v in value.split(","))
    except ValueError:
        parts = ()
    if len(parts) != n:
        shape = "minlon,minlat,maxlon,maxlat" if n == 4 else "lon,lat"
        raise InvalidInput(
            f"{name} must be '{shape}' (numbers), got {value[:80]!r}",
            code="bad_bbox" if n == 4 else "bad_point",
            field=name,
            params={"value": value[:80]},
        )
    return parts


def parse_bbox(value: str | None) -> tuple[float, float, float, float] | None:
    """``minlon,minlat,maxlon,maxlat`` (WGS84) as four numbers; None when not given."""
    if not value:
        return None
    x0, y0, x1, y1 = _floats("bbox", value, 4)
    return x0, y0, x1, y1


def _near(value: str | None) -> tuple[float, float] | None:
    if not value:
        return None
    lon, lat = _floats("near", value, 2)
    return lon, lat


async def site_filter(
    land_use: _List = [],  # noqa: B006 - FastAPI copies defaults
    area_mu_min: float | None = None,
    area_mu_max: float | None = None,
    area_m2_min: float | None = None,
    area_m2_max: float | None = None,
    max_price_wan_per_mu: float | None = None,
    max_rent_yuan_m2_month: float | None = None,
    max_km_port: float | None = None,
    max_km_wharf: float | None = None,
    max_km_ferry: float | None = None,
    max_km_expressway: float | None = None,
    bbox: str | None = None,
    near: str | None = None,
    radius_km: float | None = None,
    intersects: str | None = None,
    buffer_km: float | None = None,
    q: str | None = None,
    verified_within_days: int | None = None,
    **registry_filters: Any,
) -> SiteFilter:
    """Parse the search parameters of ``GET /api/sites`` into a checked :class:`SiteFilter`.

    The parameters of the registry's ``filterable`` fields (``kind``, ``availability``,
    ``water_depth_min_m`` …) come in ``registry_filters``; see the signature below.
    """
    flt = SiteFilter(
        land_use=land_use,
        area_mu_min=area_mu_min,
        area_mu_max=area_mu_max,
        area_m2_min=area_m2_min,
        area_m2_max=area_m2_max,
        max_price_wan_per_mu=max_price_wan_per_mu,
        max_rent_yuan_m2_month=max_rent_yuan_m2_month,
        max_km_port=max_km_port,
        max_km_wharf=max_km_wharf,
        max_km_ferry=max_km_ferry,
        max_km_expressway=max_km_expressway,
        bbox=parse_bbox(bbox),
        near=_near(near),
        radius_km=radius_km,
        intersects=intersects or None,
        buffer_km=buffer_km,
        q=q or None,
        verified_within_days=verified_within_days,
        **registry_filters,
    )
    flt.validate()
    return flt


def _with_registry_filters(parse: Callable[..., SiteFilter]) -> None:
    """Give ``parse`` one query parameter per registry filter in place of its ``**`` catch-all
    (FastAPI reads the parameters from the signature)."""
    explicit = [p for p in inspect.signature(parse).parameters.values() if p.kind != p.VAR_KEYWORD]
    derived = [
        inspect.Parameter(
            f.parameter,
            inspect.Parameter.KEYWORD_ONLY,
            default=[] if f.op == "any" else None,
            annotation=Annotated[f.annotation, Query(description=f.help)],
        )
        for f in REGISTRY_FILTERS
    ]
    parse.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in explicit] + derived,
        return_annotation=SiteFilter,
    )


_with_registry_filters(site_filter)
SiteFilterDep = Annotated[SiteFilter, Depends(site_filter)]
#: the query parameters of ``GET /api/sites`` that say which sites (filters, area; not the page)
SEARCH_PARAMETERS: frozenset[str] = frozenset(inspect.signature(site_filter).parameters)
#: FastAPI's own reading of those parameters (their fields, types and refusals)
_SEARCH_FIELDS = get_dependant(path="", call=site_filter).query_params


async def quick_site_filter(request: Request) -> SiteFilter:
    """:func:`site_filter` for the routes a map asks for by the hundred (its vector tiles).

    A request that names none of the search parameters — a map's plain site layer, most
    tiles — gets the empty filter at once: FastAPI reading the 40 parameters it lacks took about
    a fifth of a small tile's time. A request that names any is read by FastAPI's own code from
    the same fields, refused with the same 422, and checked by :func:`site_filter`. The route
    declares none of them itself: :mod:`api.openapi` documents them on it, as ``GET /api/sites``
    has them.
    """
    if SEARCH_PARAMETERS.isdisjoint(request.query_params.keys()):
        return await site_filter()
    values, errors = request_params_to_args(_SEARCH_FIELDS, request.query_params)
    if errors:
        raise RequestValidationError(errors)
    return await site_filter(**values)


QuickSiteFilterDep = Annotated[SiteFilter, Depends(quick_site_filter)]


def viewer_of(user: Principal) -> Viewer:
    """The service-layer view of the caller (admins see confidential requirements)."""
    return Viewer(user.username, admin="admin" in user.roles)
