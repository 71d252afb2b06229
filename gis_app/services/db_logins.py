"""Personal database logins for QGIS and psql (see :mod:`gis_app.db.db_logins`)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import sqlalchemy as sa

from gis_app.db import db_logins
from gis_app.domain.errors import Conflict, InvalidInput, NotFound


@dataclass(frozen=True)
class DbLogin:
    """A login made or reset: its name, the password (shown once) and its group roles."""

    username: str
    password: str
    created: bool
    groups: list[str]


def create_db_login(conn: sa.Connection, username: str, password: str | None = None) -> DbLogin:
    """Give app user ``username`` a PostgreSQL login of the same name with its roles' rights.

    Run again, it sets a new password. Refused for an unknown or disabled user, a user with
    no role, and a name taken by a role this app did not create (the app's own database user,
    ``postgres`` …). Commits.
    """
    name = username.strip().lower()
    row = conn.execute(
        sa.text("SELECT roles, disabled FROM app_user WHERE username = :u"), {"u": name}
    ).first()
    if row is None:
        raise NotFound(f"user {name!r} not found")
    if row.disabled:
        raise InvalidInput(f"user {name!r} is disabled: enable it before giving it a login")
    if not set(row.roles) & set(db_logins.GROUP_OF_APP_ROLE):
        raise InvalidInput(f"user {name!r} has no role: give it officer or planner first")
    state = db_logins.login_state(conn, name)
    if state is not None and not state[0]:
        raise Conflict(
            f"a database role {name!r} exists that gis_app did not create; it is left alone"
        )
    if password is not None and len(password) < 12:
        raise InvalidInput("a database password needs at least 12 characters")
    password = password or secrets.token_urlsafe(15)
    try:
        created = db_logins.create_or_reset_login(conn, name, password)
        groups = db_logins.login_groups(conn, name)
    except sa.exc.ProgrammingError as e:  # insufficient privilege
        conn.rollback()
        raise Conflict(
            "the app's database user may not create roles (it needs CREATEROLE): "
            f"{getattr(e.orig, 'pgerror', e)}".strip()
        ) from e
    conn.commit()
    return DbLogin(name, password, created, groups)
