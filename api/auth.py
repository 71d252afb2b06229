"""Who is calling and what they may do: sessions, API tokens, route policies, CSRF.

Every route declares its policy with exactly one dependency::

    @router.get("/api/things", dependencies=[allow("officer", "planner")])
    @router.get("/healthz", dependencies=[allow_anonymous()])

Admins pass every policy. A handler that needs the caller takes ``user: CurrentUser``.
Browsers authenticate with the session cookie set by ``POST /login``; a cookie-authenticated
write must carry the session's CSRF token (header ``X-CSRF-Token`` or form field
``csrf_token``; pages get it from ``GET /api/me`` or their template). Scripts send
``Authorization: Bearer <token>`` and need no CSRF token (nothing ambient to forge).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Annotated

import sqlalchemy as sa
from fastapi import Depends, FastAPI, Request, params
from fastapi.routing import APIRoute

from gis_app.db import scope
from gis_app.db.replica import PrimaryNeeded
from gis_app.domain.errors import CsrfFailed, Forbidden, NotAuthenticated
from gis_app.services import accounts
from gis_app.services.accounts import Identity

SESSION_COOKIE = "gis_app_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Principal:
    """The caller: anonymous, a logged-in user or a token holder."""

    identity: Identity | None
    session_token: str | None = None

    @property
    def authenticated(self) -> bool:
        """True for a known, enabled user."""
        return self.identity is not None

    @property
    def username(self) -> str:
        """The user's name ("anonymous" when not logged in)."""
        return self.identity.username if self.identity else "anonymous"

    @property
    def roles(self) -> frozenset[str]:
        """The user's roles (empty when anonymous)."""
        return self.identity.roles if self.identity else frozenset()

    @property
    def via(self) -> str:
        """ "session", "token" or "anonymous"."""
        return self.identity.via if self.identity else "anonymous"

    def has(self, *roles: str) -> bool:
        """True when the caller holds any of ``roles`` (admins hold every role)."""
        return self.identity is not None and self.identity.has(*roles)

    def csrf_token(self, secret_key: str) -> str | None:
        """The CSRF token for this session (None for tokens and anonymous callers)."""
        if self.session_token is None:
            return None
        return accounts.csrf_token(secret_key, self.session_token)


ANONYMOUS = Principal(None)


def _resolve(conn: sa.Connection, request: Request, on_standby: bool = False) -> Principal:
    """Look the caller's credentials up (blocking; runs in a worker thread), and let the
    request's transactions on ``conn`` read and write the caller's districts (row security).

    ``on_standby``: ``conn`` is a hot standby's, which cannot write and may lag: a lookup
    that would record the caller's activity, or finds no such login (it may be too new for
    the standby), raises :class:`PrimaryNeeded` to be done on the primary instead.
    """
    principal = _lookup(conn, request, on_standby)
    scope.bind(conn, principal.identity.scope if principal.identity else None)
    return principal


def _lookup(conn: sa.Connection, request: Request, on_standby: bool) -> Principal:
    settings = request.app.state.settings
    auth = request.headers.get("authorization", "")
    if auth:
        scheme, _, token = auth.partition(" ")
        ident = (
            accounts.resolve_token(conn, token.strip(), read_only=on_standby)
            if scheme.lower() == "bearer" and token.strip()
            else None
        )
        if ident is None:
            if on_standby:
                raise PrimaryNeeded("the token is not on the standby (yet)")
            # a wrong token is an error, not a silent fall-back to the cookie
            raise NotAuthenticated("invalid, expired or revoked API token")
        return Principal(ident)
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        ident = accounts.resolve_session(conn, cookie, settings.security, read_only=on_standby)
        if ident is not None:
            return Principal(ident, session_token=cookie)
        if on_standby:
            raise PrimaryNeeded("the session is not on the standby (yet)")
    return ANONYMOUS


def _has_credentials(request: Request) -> bool:
    return bool(request.headers.get("authorization") or request.cookies.get(SESSION_COOKIE))


async def current_principal(request: Request) -> Principal:
    """Dependency: the caller, as the route's policy resolved it (every route has one; a test
    checks); anonymous when none did."""
    return getattr(request.state, "principal", ANONYMOUS)


class Policy:
    """A route's access rule: the roles allowed (None: anyone, including anonymous).

    For a route that needs a login, the credentials are looked up on the database connection
    the request will use (``api.deps.get_conn`` takes it over), in one trip to a worker thread;
    the connection goes back to the pool when the request ends.
    """

    def __init__(self, roles: tuple[str, ...] | None) -> None:
        self.roles = roles

    def __repr__(self) -> str:
        return "allow_anonymous()" if self.roles is None else f"allow{self.roles!r}"

    async def __call__(self, request: Request) -> AsyncIterator[Principal]:
        """Check the caller against the rule (and CSRF for cookie-authenticated writes)."""
        if self.roles is None:
            # public routes ignore credentials: a stale token must not lock anyone out of
            # /healthz, /login or an investor link (and they cost no lookup)
            request.state.principal = ANONYMOUS
            yield ANONYMOUS
            return
        if not _has_credentials(request):
            raise NotAuthenticated("login required / 请先登录")
        routing = getattr(request.app.state, "reads", None)
        if routing is not None and getattr(request.state, "reads_only", False):
            # a route that only reads: the login is looked up where its reads will run
            async with routing.connection_with(
                request, lambda c, on_standby: _resolve(c, request, on_standby)
            ) as (conn, principal):
                request.state.principal = principal
                request.state.read_conn = conn
                await self._check(request, principal)
                yield principal
            return
        gate = request.app.state.db_gate
        async with gate.connection_with(lambda c: _resolve(c, request)) as (
            conn,
            principal,
        ):
            request.state.principal = principal
            request.state.db_conn = conn
            await self._check(request, principal)
            yield principal

    async def _check(self, request: Request, principal: Principal) -> None:
        if not principal.authenticated:
            raise NotAuthenticated("login required / 请先登录")
        if not principal.has(*self.roles or ()) and not _leader_reads(request, principal, self):
            raise Forbidden(
                f"user {principal.username!r} lacks the role for this action "
                f"(needs one of: {', '.join(self.roles or ())})"
            )
        if principal.via == "session" and request.method not in SAFE_METHODS:
            given = request.headers.get(CSRF_HEADER)
            if given is None and request.headers.get("content-type", "").startswith(
                ("application/x-www-form-urlencoded", "multipart/form-data")
            ):
                form = await request.form()
                value = form.get(CSRF_FIELD)
                given = value if isinstance(value, str) else None
            key = request.app.state.secret_key
            if not accounts.csrf_ok(key, principal.session_token or "", given):
                raise CsrfFailed("missing or wrong CSRF token / 表单已过期，请刷新页面重试")


#: what leaders read besides the routes that name them: whatever officers or planners read
LEADER_READS = frozenset({"officer", "planner"})


def _leader_reads(request: Request, principal: Principal, policy: Policy) -> bool:
    """Leaders read every page and record officers or planners read, and write nothing."""
    return (
        request.method in SAFE_METHODS
        and principal.has("leader")
        and bool(LEADER_READS & set(policy.roles or ()))
    )


def allow(*roles: str) -> params.Depends:
    """Dependency: only callers holding one of ``roles`` (or admin) may use the route."""
    if not roles:
        raise ValueError("allow() needs at least one role; use allow_anonymous() for public")
    return Depends(Policy(tuple(roles)))


def allow_anonymous() -> params.Depends:
    """Dependency: the route is public (health probes, login, investor links)."""
    return Depends(Policy(None))


def iter_api_routes(app: FastAPI) -> Iterator[APIRoute]:
    """Every API route of ``app`` with its full path (through included routers)."""
    try:  # FastAPI >= 0.160 wraps included routers; this flattens them
        from fastapi.routing import _iter_included_route_candidates
    except ImportError:  # pragma: no cover - older FastAPI lists routes flat
        candidates = iter(app.routes)
    else:
        candidates = _iter_included_route_candidates(app.routes)
    for route in candidates:
        if isinstance(route, APIRoute):
            yield route


def route_policy(route: APIRoute) -> Policy | None:
    """The one Policy a route declares (None when it declares none or several)."""
    found = [d.call for d in route.dependant.dependencies if isinstance(d.call, Policy)]
    return found[0] if len(found) == 1 else None


CurrentUser = Annotated[Principal, Depends(current_principal)]
