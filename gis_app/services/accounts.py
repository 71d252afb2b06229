"""Accounts: users and roles, password login with rate limits, web sessions, API tokens.

Passwords are hashed with Argon2. Session and API tokens are random (256 bits) and stored only
as SHA-256 hashes: they are high-entropy secrets, so a slow hash adds nothing, and the lookup
stays an index probe.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.dialects.postgresql import insert as pg_insert

from gis_app.db import district_queries
from gis_app.db.models import ApiToken, AppUser, DistrictRole, LoginAttempt, WebSession
from gis_app.db.replica import PrimaryNeeded
from gis_app.db.scope import NO_SCOPE, Scope
from gis_app.domain import vocab
from gis_app.domain.errors import (
    ConfigurationError,
    Conflict,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    RateLimited,
)
from gis_app.settings import SecuritySettings

_hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 10
_USERNAME = re.compile(r"^[a-z0-9._-]{2,64}$")
# a valid hash to verify against when the user does not exist, so timing does not tell
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))
KNOWN_DEFAULT_KEYS = {"", "changeme", "secret", "change-me", "dev", "development"}


@dataclass(frozen=True)
class Identity:
    """Who is calling: a logged-in user (session) or a script (API token)."""

    user_id: int
    username: str
    roles: frozenset[str]
    via: str  # "session" or "token"
    #: the districts the user reads and writes (``gis_app_user_scope``; empty at login, where
    #: nothing of a district is read)
    scope: Scope = NO_SCOPE

    def has(self, *roles: str) -> bool:
        """True when the user holds any of ``roles`` (admins hold every role)."""
        return "admin" in self.roles or bool(self.roles & set(roles))


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def hash_token(token: str) -> str:
    """SHA-256 hex of a session or API token."""
    return hashlib.sha256(token.encode()).hexdigest()


def _check_roles(roles: list[str]) -> list[str]:
    if not roles:
        # a user without a role could log in and reach nothing; name one
        raise InvalidInput(
            "a user needs at least one role: " + ", ".join(vocab.ROLE.keys),
            code="role_required",
            field="roles",
        )
    for r in roles:
        vocab.ROLE.term(r)
    return sorted(set(roles))


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            f"password must have at least {MIN_PASSWORD_LENGTH} characters",
            code="too_short",
            field="password",
            params={"min_length": MIN_PASSWORD_LENGTH},
        )


def _user(conn: sa.Connection, username: str) -> sa.Row:
    row = conn.execute(sa.select(AppUser.__table__).where(AppUser.username == username)).first()
    if row is None:
        raise NotFound(f"user {username!r} not found")
    return row


def _check_district(conn: sa.Connection, code: str | None) -> str:
    """``code`` once known as a district (city, province) row; without one the first district."""
    district = district_queries.existing_district(conn, code)
    if district is None and code is not None:
        raise InvalidInput(
            f"no district {code!r}",
            code="unknown_value",
            field="district_code",
            params={"value": code[:64]},
        )
    if district is None:
        raise InvalidInput(
            "no district is configured: load the districts first (gis-app load-sample, or an "
            "inventory folder's jurisdiction.geojson)",
            code="no_district",
        )
    return district


# -- users ---------------------------------------------------------------------------------
def create_user(
    conn: sa.Connection,
    username: str,
    password: str,
    roles: list[str],
    display_name: str | None = None,
    district_code: str | None = None,
) -> int:
    """Create a user of ``district_code`` (default: the first district); raises
    :class:`Conflict` when the username is taken, :class:`InvalidInput` for a district that
    does not exist or when no district is configured yet."""
    username = username.strip().lower()
    if not _USERNAME.match(username):
        raise InvalidInput(
            f"username {username!r} must be 2–64 of a-z 0-9 . _ -",
            code="bad_username",
            field="username",
            params={"value": username[:64]},
        )
    _check_password(password)
    exists = conn.execute(sa.select(AppUser.id).where(AppUser.username == username)).first()
    if exists:
        raise Conflict(
            f"user {username!r} already exists",
            code="user_exists",
            field="username",
            params={"value": username},
        )
    roles = _check_roles(roles)
    district = _check_district(conn, district_code)
    return conn.execute(
        sa.insert(AppUser)
        .values(
            username=username,
            password_hash=_hasher.hash(password),
            roles=roles,
            display_name=display_name,
            district_code=district,
        )
        .returning(AppUser.id)
    ).scalar_one()


#: a user's grants beyond their home district, as [{"district_code", "role"}] by code
_GRANTS = (
    sa.select(
        sa.func.coalesce(
            sa.func.jsonb_agg(
                aggregate_order_by(
                    sa.func.jsonb_build_object(
                        "district_code", DistrictRole.district_code, "role", DistrictRole.role
                    ),
                    DistrictRole.district_code,
                    DistrictRole.role,
                )
            ),
            sa.text("'[]'::jsonb"),
        )
    )
    .where(DistrictRole.user_id == AppUser.id)
    .scalar_subquery()
)


def list_users(conn: sa.Connection) -> list[dict]:
    """All users (never their password hashes)."""
    rows = conn.execute(
        sa.select(
            AppUser.id,
            AppUser.username,
            AppUser.display_name,
            AppUser.roles,
            AppUser.disabled,
            AppUser.created_at,
            AppUser.district_code,
            _GRANTS.label("district_roles"),
        ).order_by(AppUser.username)
    ).mappings()
    return [dict(r) for r in rows]


def set_roles(conn: sa.Connection, username: str, roles: list[str]) -> None:
    """Replace a user's roles."""
    _user(conn, username)
    conn.execute(
        sa.update(AppUser).where(AppUser.username == username).values(roles=_check_roles(roles))
    )


def set_district(conn: sa.Connection, username: str, district_code: str) -> None:
    """Move a user to another home district (where their new requirements and recommendations
    go); :class:`InvalidInput` naming ``district_code`` when there is no such district."""
    _user(conn, username)
    district = _check_district(conn, district_code)
    conn.execute(
        sa.update(AppUser).where(AppUser.username == username).values(district_code=district)
    )


def grant_district_role(
    conn: sa.Connection, username: str, district_code: str, role: str, by: str | None = None
) -> bool:
    """Give ``username`` ``role`` in ``district_code`` beyond their home district ("reader of
    the city": ``leader`` in the city's code); False when they held it already. The grant
    covers the districts below a city or province; a ``leader`` grant reads, others write."""
    user = _user(conn, username)
    district = _check_district(conn, district_code)
    if role not in vocab.GRANT_ROLES:
        raise InvalidInput(
            f"role {role!r} cannot be granted in a district (one of: "
            f"{', '.join(vocab.GRANT_ROLES)}; an admin holds every district already)",
            code="unknown_value",
            field="role",
            params={"value": role[:64]},
        )
    done = conn.execute(
        pg_insert(DistrictRole)
        .values(user_id=user.id, district_code=district, role=role, granted_by=by)
        .on_conflict_do_nothing()
    )
    return bool(done.rowcount)


def revoke_district_role(conn: sa.Connection, username: str, district_code: str, role: str) -> bool:
    """Take back a grant of :func:`grant_district_role`; False when there was none."""
    user = _user(conn, username)
    done = conn.execute(
        sa.delete(DistrictRole).where(
            DistrictRole.user_id == user.id,
            DistrictRole.district_code == district_code,
            DistrictRole.role == role,
        )
    )
    return bool(done.rowcount)


def set_district_roles(
    conn: sa.Connection, username: str, grants: list[tuple[str, str]], by: str | None = None
) -> None:
    """Replace ``username``'s grants beyond their home district with ``grants`` ((district
    code, role) pairs; each checked as :func:`grant_district_role` does, none half-applied)."""
    user = _user(conn, username)
    with conn.begin_nested():
        conn.execute(sa.delete(DistrictRole).where(DistrictRole.user_id == user.id))
        for district_code, role in grants:
            grant_district_role(conn, username, district_code, role, by)


def district_roles(conn: sa.Connection, username: str) -> list[tuple[str, str]]:
    """``username``'s grants beyond their home district: (district code, role), sorted."""
    user = _user(conn, username)
    rows = conn.execute(
        sa.select(DistrictRole.district_code, DistrictRole.role)
        .where(DistrictRole.user_id == user.id)
        .order_by(DistrictRole.district_code, DistrictRole.role)
    ).all()
    return [(d, r) for d, r in rows]


def user_scope(conn: sa.Connection, username: str) -> Scope:
    """The districts ``username`` reads and writes (home district and grants, expanded)."""
    user = _user(conn, username)
    row = conn.execute(
        sa.select(*_SCOPE_COLUMNS).select_from(AppUser).where(AppUser.id == user.id)
    ).one()
    return _scope(row)


def set_disabled(conn: sa.Connection, username: str, disabled: bool = True) -> None:
    """Disable (or re-enable) a user; disabling ends their sessions at once."""
    user = _user(conn, username)
    conn.execute(sa.update(AppUser).where(AppUser.id == user.id).values(disabled=disabled))
    if disabled:
        conn.execute(
            sa.update(WebSession)
            .where(WebSession.user_id == user.id, WebSession.ended_at.is_(None))
            .values(ended_at=_now())
        )


def reset_password(conn: sa.Connection, username: str, password: str | None = None) -> str:
    """Set a new password (random when not given) and end the user's sessions; return it."""
    user = _user(conn, username)
    password = password or secrets.token_urlsafe(12)
    _check_password(password)
    conn.execute(
        sa.update(AppUser)
        .where(AppUser.id == user.id)
        .values(password_hash=_hasher.hash(password), password_changed_at=_now())
    )
    conn.execute(
        sa.update(WebSession)
        .where(WebSession.user_id == user.id, WebSession.ended_at.is_(None))
        .values(ended_at=_now())
    )
    return password


def check_own_change(
    actor: str, username: str, roles: list[str] | None, disabled: bool | None
) -> None:
    """Refuse an admin's change that would lock themselves out (:class:`Conflict`): disabling
    their own account or dropping their own admin role. Another admin can still do it."""
    if actor.strip().lower() != username.strip().lower():
        return
    if disabled:
        raise Conflict(
            f"you cannot disable your own account ({username!r}) / 不能停用自己的账号",
            code="own_account_disable",
        )
    if roles is not None and "admin" not in roles:
        raise Conflict(
            f"you cannot remove your own admin role ({username!r}) / 不能取消自己的管理员角色",
            code="own_admin_role",
            field="roles",
        )


def ensure_initial_admin(
    conn: sa.Connection, password: str | None = None, username: str = "admin"
) -> str | None:
    """On a fresh install create an admin; return its password (None when users exist)."""
    if conn.execute(sa.select(sa.func.count()).select_from(AppUser)).scalar_one():
        return None
    password = password or secrets.token_urlsafe(15)
    create_user(conn, username, password, ["admin"], "Administrator")
    return password


# -- login ---------------------------------------------------------------------------------
def _recent_failures(conn: sa.Connection, column, value: str, since: dt.datetime) -> int:
    return conn.execute(
        sa.select(sa.func.count())
        .select_from(LoginAttempt)
        .where(column == value, LoginAttempt.at >= since, LoginAttempt.success.is_(False))
    ).scalar_one()


def authenticate(
    conn: sa.Connection, username: str, password: str, client: str, sec: SecuritySettings
) -> Identity:
    """Check a password login, rate-limited per account and per client.

    Every attempt is recorded. Raises :class:`RateLimited` or :class:`NotAuthenticated` (with
    one message for unknown users, wrong passwords and disabled users alike).
    """
    username = username.strip().lower()
    window = dt.timedelta(minutes=sec.login_window_minutes)
    since = _now() - window
    if (
        _recent_failures(conn, LoginAttempt.username, username, since)
        >= sec.login_max_failures_per_account
        or _recent_failures(conn, LoginAttempt.client, client, since)
        >= sec.login_max_failures_per_client
    ):
        raise RateLimited(
            "too many failed logins; try again later / 登录失败次数过多，请稍后再试",
            int(window.total_seconds()),
        )
    row = conn.execute(sa.select(AppUser.__table__).where(AppUser.username == username)).first()
    ok = False
    try:
        ok = _hasher.verify(row.password_hash if row else _DUMMY_HASH, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        ok = False
    ok = ok and row is not None and not row.disabled
    conn.execute(sa.insert(LoginAttempt).values(username=username, client=client, success=ok))
    if not ok:
        raise NotAuthenticated(
            "wrong username or password, or the account is disabled / "
            "用户名或密码错误，或账号已停用"
        )
    if _hasher.check_needs_rehash(row.password_hash):
        conn.execute(
            sa.update(AppUser)
            .where(AppUser.id == row.id)
            .values(password_hash=_hasher.hash(password))
        )
    return Identity(row.id, row.username, frozenset(row.roles), "session")


def create_session(conn: sa.Connection, user_id: int, sec: SecuritySettings) -> str:
    """Start a web session; return the cookie token (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    conn.execute(
        sa.insert(WebSession).values(
            user_id=user_id,
            token_hash=hash_token(token),
            expires_at=_now() + dt.timedelta(hours=sec.session_hours),
        )
    )
    return token


# Built once: every request of a logged-in caller runs one of these two lookups, and building
# the statement anew each time cost more Python time than the handler of a site's detail.
#: the user's districts, read in the same statement as their session or token
_SCOPE_COLUMNS = (
    sa.func.gis_app_user_scope(AppUser.id, False).label("read_scope"),
    sa.func.gis_app_user_scope(AppUser.id, True).label("write_scope"),
)


def _scope(row: sa.Row) -> Scope:
    return Scope.of(row.read_scope, row.write_scope)


_SESSION_LOOKUP = (
    sa.select(
        WebSession.id,
        WebSession.last_seen_at,
        AppUser.id.label("user_id"),
        AppUser.username,
        AppUser.roles,
        *_SCOPE_COLUMNS,
    )
    .join(AppUser, AppUser.id == WebSession.user_id)
    .where(
        WebSession.token_hash == sa.bindparam("token_hash"),
        WebSession.ended_at.is_(None),
        WebSession.expires_at > sa.bindparam("now"),
        AppUser.disabled.is_(False),
    )
)


def resolve_session(
    conn: sa.Connection, token: str, sec: SecuritySettings, *, read_only: bool = False
) -> Identity | None:
    """The identity behind a session cookie, or None when unknown, ended, expired or idle.

    Commits when it records the session's activity (at most once a minute), as
    :func:`resolve_token` does; ``read_only`` (``conn`` is a hot standby's) raises
    :class:`PrimaryNeeded` instead, for the lookup to be done on the primary.
    """
    now = _now()
    row = conn.execute(_SESSION_LOOKUP, {"token_hash": hash_token(token), "now": now}).first()
    if row is None:
        return None
    if row.last_seen_at < now - dt.timedelta(minutes=sec.session_idle_minutes):
        return None
    if row.last_seen_at < now - dt.timedelta(minutes=1):  # limit writes on busy pages
        if read_only:
            raise PrimaryNeeded("the session's activity is due to be recorded")
        conn.execute(sa.update(WebSession).where(WebSession.id == row.id).values(last_seen_at=now))
        conn.commit()  # at once: the request's own work must not hold the session's row
    return Identity(row.user_id, row.username, frozenset(row.roles), "session", _scope(row))


def end_session(conn: sa.Connection, token: str) -> None:
    """Log out: end the session behind ``token``."""
    conn.execute(
        sa.update(WebSession)
        .where(WebSession.token_hash == hash_token(token))
        .values(ended_at=_now())
    )


# -- API tokens ----------------------------------------------------------------------------
TOKEN_PREFIX = "gat_"


def create_token(
    conn: sa.Connection, username: str, name: str, expires_days: int | None = None
) -> tuple[int, str]:
    """Create an API token for ``username``; return (id, token). The token is shown once."""
    user = _user(conn, username)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires = _now() + dt.timedelta(days=expires_days) if expires_days else None
    tid = conn.execute(
        sa.insert(ApiToken)
        .values(
            user_id=user.id,
            name=name,
            token_hash=hash_token(token),
            prefix=token[:10],
            expires_at=expires,
        )
        .returning(ApiToken.id)
    ).scalar_one()
    return tid, token


def list_tokens(conn: sa.Connection, username: str | None = None) -> list[dict]:
    """Tokens (prefix, not the secret) of one user, or of all users when None."""
    q = (
        sa.select(
            ApiToken.id,
            ApiToken.name,
            ApiToken.prefix,
            AppUser.username,
            ApiToken.created_at,
            ApiToken.expires_at,
            ApiToken.last_used_at,
            ApiToken.revoked_at,
        )
        .join(AppUser, AppUser.id == ApiToken.user_id)
        .order_by(ApiToken.id)
    )
    if username is not None:
        q = q.where(AppUser.username == username)
    return [dict(r) for r in conn.execute(q).mappings()]


def revoke_token(conn: sa.Connection, token_id: int, username: str | None = None) -> None:
    """Revoke a token; with ``username`` only that user's own token."""
    q = sa.update(ApiToken).where(ApiToken.id == token_id, ApiToken.revoked_at.is_(None))
    if username is not None:
        q = q.where(
            ApiToken.user_id
            == sa.select(AppUser.id).where(AppUser.username == username).scalar_subquery()
        )
    if conn.execute(q.values(revoked_at=_now())).rowcount == 0:
        raise NotFound(f"token {token_id} not found or already revoked")


_TOKEN_LOOKUP = (
    sa.select(
        ApiToken.id,
        ApiToken.last_used_at,
        AppUser.id.label("user_id"),
        AppUser.username,
        AppUser.roles,
        *_SCOPE_COLUMNS,
    )
    .join(AppUser, AppUser.id == ApiToken.user_id)
    .where(
        ApiToken.token_hash == sa.bindparam("token_hash"),
        ApiToken.revoked_at.is_(None),
        sa.or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > sa.bindparam("now")),
        AppUser.disabled.is_(False),
    )
)


def resolve_token(conn: sa.Connection, token: str, *, read_only: bool = False) -> Identity | None:
    """The identity behind an API token, or None when unknown, revoked, expired or disabled.

    Commits when it records the token's use (at most once a minute); a plain lookup leaves its
    transaction open for the caller's work (the request's reads run in it, one round trip less).
    ``read_only`` (``conn`` is a hot standby's): raises :class:`PrimaryNeeded` instead of
    recording the use.
    """
    now = _now()
    row = conn.execute(_TOKEN_LOOKUP, {"token_hash": hash_token(token), "now": now}).first()
    if row is None:
        return None
    if row.last_used_at is None or row.last_used_at < now - dt.timedelta(minutes=1):
        if read_only:
            raise PrimaryNeeded("the token's use is due to be recorded")
        conn.execute(sa.update(ApiToken).where(ApiToken.id == row.id).values(last_used_at=now))
        conn.commit()  # at once: the request's own work must not hold the token's row
    return Identity(row.user_id, row.username, frozenset(row.roles), "token", _scope(row))


# -- secret key and CSRF -------------------------------------------------------------------
def load_secret_key(sec: SecuritySettings) -> str:
    """The secret key: from settings; in development a random one kept in a file.

    In production mode a missing or well-known default key is a :class:`ConfigurationError`.
    """
    key = sec.secret_key
    if sec.production:
        if not key or key.strip().lower() in KNOWN_DEFAULT_KEYS or len(key) < 32:
            raise ConfigurationError(
                "production mode needs GIS_APP_SECRET_KEY: a random value of at least 32 "
                "characters (e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))')"
            )
        return key
    if key:
        return key
    path = sec.secret_key_file
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key + "\n")
    path.chmod(0o600)
    return key


def csrf_token(secret_key: str, session_token: str) -> str:
    """The CSRF token bound to a session (HMAC, so nothing is stored)."""
    return hmac.new(
        secret_key.encode(), b"csrf:" + session_token.encode(), hashlib.sha256
    ).hexdigest()


def csrf_ok(secret_key: str, session_token: str, given: str | None) -> bool:
    """True when ``given`` is the CSRF token of this session."""
    return bool(given) and hmac.compare_digest(csrf_token(secret_key, session_token), given)
