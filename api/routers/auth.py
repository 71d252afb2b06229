"""Login, logout, the caller's identity, API tokens and user administration."""

from __future__ import annotations

import secrets
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import Field, StrictBool

from api.auth import SESSION_COOKIE, CurrentUser, allow, allow_anonymous
from api.deps import ConnDep, DbRoute, SettingsDep
from api.schemas import StrictModel
from api.templating import templates
from gis_app.domain import vocab
from gis_app.domain.errors import NotAuthenticated, RateLimited
from gis_app.services import accounts

router = APIRouter(tags=["accounts"], route_class=DbRoute)
LOGIN_CSRF_COOKIE = "gis_app_login_csrf"


def _safe_next(value: str | None) -> str:
    # only local paths, so the login form cannot be used as an open redirect
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"


def _secure(request: Request, settings) -> bool:
    forced = settings.security.cookie_secure
    return forced if forced is not None else request.url.scheme == "https"


def _login_page(
    request: Request,
    settings,
    *,
    error: str | None = None,
    status: int = 200,
    username: str | None = None,
    next_: str = "/",
) -> HTMLResponse:
    token = secrets.token_urlsafe(24)
    resp = templates.TemplateResponse(
        request,
        "login.html",
        {"csrf_token": token, "next": _safe_next(next_), "error": error, "username": username},
        status_code=status,
    )
    resp.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=_secure(request, settings),
        path="/login",
    )
    return resp


@router.get("/login", response_class=HTMLResponse, dependencies=[allow_anonymous()])
def login_form(request: Request, settings: SettingsDep, next: str = "/") -> HTMLResponse:
    """Show the login page."""
    return _login_page(request, settings, next_=next)


class LoginForm(StrictModel):
    """The login form's fields."""

    username: str = Field(max_length=64)
    password: str = Field(max_length=256)
    csrf_token: str = Field(default="", max_length=128)
    next: str = Field(default="/", max_length=2000)


_PAGE = {"text/html": {"schema": {"type": "string"}}}
#: the login form answers a refusal with the form again, as a page (documented as such)
_LOGIN_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "the login form", "content": _PAGE},
    303: {"description": "logged in: on to `next` (session cookie set)"},
    401: {"description": "wrong name or password: the form again", "content": _PAGE},
    403: {"description": "the form expired (login CSRF): the form again", "content": _PAGE},
    429: {
        "description": "too many failed logins: the form again",
        "content": _PAGE,
        "headers": {"Retry-After": {"schema": {"type": "integer"}}},
    },
}


@router.post(
    "/login",
    response_class=HTMLResponse,
    responses=_LOGIN_RESPONSES,
    dependencies=[allow_anonymous()],
)
def login(
    request: Request,
    settings: SettingsDep,
    conn: ConnDep,
    form: Annotated[LoginForm, Form()],
) -> Response:
    """Check the password and start a session (cookie); redirect to ``next``."""
    username, password, csrf_token, next = (
        form.username,
        form.password,
        form.csrf_token,
        form.next,
    )
    expected = request.cookies.get(LOGIN_CSRF_COOKIE)
    if not expected or not secrets.compare_digest(expected, csrf_token):
        return _login_page(
            request,
            settings,
            status=403,
            username=username,
            next_=next,
            error="表单已过期，请重试 / The form expired, please try again",
        )
    client = request.client.host if request.client else "unknown"
    try:
        ident = accounts.authenticate(conn, username, password, client, settings.security)
    except RateLimited as e:
        conn.commit()
        resp = _login_page(
            request, settings, status=429, username=username, next_=next, error=e.public_message
        )
        resp.headers["Retry-After"] = str(e.retry_after_s)
        return resp
    except NotAuthenticated as e:
        conn.commit()  # keep the failed attempt for the rate limit
        return _login_page(
            request, settings, status=401, username=username, next_=next, error=e.public_message
        )
    token = accounts.create_session(conn, ident.user_id, settings.security)
    conn.commit()
    resp = RedirectResponse(_safe_next(next), status_code=303)
    resp.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=_secure(request, settings),
        max_age=int(settings.security.session_hours * 3600),
        path="/",
    )
    resp.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return resp


@router.post(
    "/logout",
    status_code=303,
    response_class=RedirectResponse,
    responses={303: {"description": "logged out: on to /login"}},
    dependencies=[allow("officer", "planner", "admin", "leader")],
)
def logout(request: Request, conn: ConnDep) -> Response:
    """End the session and go back to the login page."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        accounts.end_session(conn, token)
        conn.commit()
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(SESSION_COOKIE, path="/")
    return resp


@router.get("/api/me", dependencies=[allow("officer", "planner", "admin")])
def me(request: Request, user: CurrentUser) -> dict:
    """Return the caller's name, roles and (for browser sessions) the CSRF token."""
    return {
        "username": user.username,
        "roles": sorted(user.roles),
        "via": user.via,
        "csrf_token": user.csrf_token(request.app.state.secret_key),
    }


class TokenCreate(StrictModel):
    """A new API token."""

    name: str = Field(min_length=1, max_length=100)
    expires_days: int | None = Field(default=None, ge=1, le=3650)


@router.get("/api/tokens", dependencies=[allow("officer", "planner", "admin")])
def list_tokens(conn: ConnDep, user: CurrentUser, all: bool = False) -> list[dict]:
    """List your API tokens (admins: everyone's with ``all=true``); secrets are never shown."""
    return accounts.list_tokens(conn, None if (all and user.has("admin")) else user.username)


@router.post("/api/tokens", status_code=201, dependencies=[allow("officer", "planner", "admin")])
def create_token(body: TokenCreate, conn: ConnDep, user: CurrentUser) -> dict:
    """Create an API token for yourself; the token is in this response only."""
    tid, token = accounts.create_token(conn, user.username, body.name, body.expires_days)
    conn.commit()
    return {"id": tid, "name": body.name, "token": token}


@router.delete(
    "/api/tokens/{token_id}", status_code=204, dependencies=[allow("officer", "planner", "admin")]
)
def revoke_token(token_id: int, conn: ConnDep, user: CurrentUser) -> Response:
    """Revoke one of your tokens (admins: any token)."""
    accounts.revoke_token(conn, token_id, None if user.has("admin") else user.username)
    conn.commit()
    return Response(status_code=204)


#: a role a user may hold (a user holds at least one)
Role = Literal["officer", "planner", "admin", "leader"]


class UserCreate(StrictModel):
    """A new user with one or more roles; a random password is generated when none is given."""

    username: str = Field(min_length=2, max_length=64)
    roles: list[Role] = Field(min_length=1)
    display_name: str | None = Field(default=None, max_length=200)
    password: str | None = Field(default=None, min_length=10, max_length=256)
    #: the user's home district (code; a city's user: the city); default the first district
    district_code: str | None = Field(default=None, min_length=1, max_length=64)


class UserUpdate(StrictModel):
    """Changes to a user: roles (at least one), disabled (a JSON boolean) and/or the home
    district (a district's code)."""

    roles: list[Role] | None = Field(default=None, min_length=1)
    disabled: StrictBool | None = None
    district_code: str | None = Field(default=None, min_length=1, max_length=64)


@router.get("/api/users", dependencies=[allow("admin")])
def list_users(conn: ConnDep) -> list[dict]:
    """List users and their roles."""
    return accounts.list_users(conn)


@router.post("/api/users", status_code=201, dependencies=[allow("admin")])
def create_user(body: UserCreate, conn: ConnDep) -> dict:
    """Create a user; the generated password (if any) is shown once."""
    password = body.password or secrets.token_urlsafe(12)
    uid = accounts.create_user(
        conn, body.username, password, body.roles, body.display_name, body.district_code
    )
    conn.commit()
    return {
        "id": uid,
        "username": body.username.lower(),
        "password": None if body.password else password,
    }


@router.patch("/api/users/{username}", dependencies=[allow("admin")])
def update_user(username: str, body: UserUpdate, conn: ConnDep, user: CurrentUser) -> dict:
    """Change a user's roles, home district, or disable/enable the account (not your own admin
    role or account: 409)."""
    accounts.check_own_change(user.username, username, body.roles, body.disabled)
    if body.roles is not None:
        accounts.set_roles(conn, username, body.roles)
    if body.district_code is not None:
        accounts.set_district(conn, username, body.district_code)
    if body.disabled is not None:
        accounts.set_disabled(conn, username, body.disabled)
    conn.commit()
    row = next((u for u in accounts.list_users(conn) if u["username"] == username), None)
    return row or {}


class DistrictGrant(StrictModel):
    """A role in a district beyond the user's home district (a city's code covers its
    districts; ``leader`` reads, ``officer`` and ``planner`` read and write)."""

    district_code: str = Field(min_length=1, max_length=64)
    role: Literal[vocab.GRANT_ROLES]  # type: ignore[valid-type]


class DistrictGrants(StrictModel):
    """Every grant a user holds beyond their home district (replaces the ones held)."""

    grants: list[DistrictGrant] = Field(max_length=100)


@router.put("/api/users/{username}/district-roles", dependencies=[allow("admin")])
def set_district_roles(
    username: str, body: DistrictGrants, conn: ConnDep, user: CurrentUser
) -> dict:
    """Replace a user's roles in districts beyond their home one; the districts they now read
    and write (the scope row security gives their requests and database login)."""
    pairs = [(g.district_code, g.role) for g in body.grants]
    accounts.set_district_roles(conn, username, pairs, user.username)
    conn.commit()
    scope = accounts.user_scope(conn, username)
    return {
        "username": username,
        "district_roles": [
            {"district_code": d, "role": r} for d, r in accounts.district_roles(conn, username)
        ],
        "read_scope": list(scope.read),
        "write_scope": list(scope.write),
    }


@router.post("/api/users/{username}/reset-password", dependencies=[allow("admin")])
def reset_password(username: str, conn: ConnDep) -> dict:
    """Give a user a new random password (shown once) and end their sessions."""
    password = accounts.reset_password(conn, username)
    conn.commit()
    return {"username": username, "password": password}
