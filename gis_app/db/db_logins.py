"""Personal PostgreSQL logins (QGIS, psql) with the rights of their app roles.

Each app user may get a login role of the same name. Its rights come from two group roles
per database, ``<database>_officer`` (reads the layers) and ``<database>_planner`` (also
inserts and updates sites, buildings and constraint zones; member of the officer group).
Groups are per database because roles belong to the whole cluster while grants belong to one
database: a planner of one inventory gets nothing in another on the same server. Membership
follows the app roles through ``gis_app_sync_db_login`` (revision 0014), which a trigger on
``app_user`` runs on every change of roles or of the disabled flag, whoever makes it.

Internal tables (accounts, tokens, sessions, login attempts, requirements, recommendations,
links, feedback, alerts, the matcher's tables, history itself and Alembic's) stay in
``public`` with no grant: PostgreSQL shows every schema's table names in its catalogs to every
login anyway, so a separate schema would hide no more, while the app's SQL, its pooler mode
and the trigger functions would all have to carry a search_path. QGIS lists only the
relations a login may read. Trigger functions that write tables a login cannot reach run as
their owner (revision 0014).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import make_url

#: what the officer group reads (tables, the history view and the districts' outlines)
READ_RELATIONS: tuple[str, ...] = (
    "site",
    "building",
    "constraint_zone",
    "infrastructure",
    "district",
    "jurisdiction",
    "land_use_code",
    "land_use_mapping",
    "site_distance",
    "site_constraint_overlap",
    "layer_history",
    "layer_styles",
    "qgis_projects",
)
#: what the planner group writes; DELETE on site reaches the trigger that says "retire it"
EDIT_TABLES: tuple[str, ...] = ("site", "building", "constraint_zone")
#: the group each app role maps to (admins edit the layers like planners)
GROUP_OF_APP_ROLE: dict[str, str] = {"officer": "officer", "planner": "planner", "admin": "planner"}
#: comment that marks a login role as one this app made (and may change)
MARKER = "gis_app database login"


def libpq_url(url: str) -> str:
    """``url`` (SQLAlchemy's ``postgresql+psycopg2://…``) as a URL libpq, psql and QGIS accept.

    SQLAlchemy's form for several hosts (``…@/db?host=h1:p1&host=h2:p2``, a failover
    formation) becomes libpq's own (``…@h1:p1,h2:p2/db``): libpq reads a ``host`` parameter
    as one host name and keeps only the last of several.
    """
    u = make_url(url).set(drivername="postgresql")
    hosts = u.query.get("host")
    hosts = (hosts,) if isinstance(hosts, str) else hosts
    if not hosts or any(h.startswith("/") for h in hosts):  # none, or a socket folder
        return u.render_as_string(hide_password=False)
    rest = {k: v for k, v in u.query.items() if k != "host"}
    scheme, _, tail = u.set(query=rest).render_as_string(hide_password=False).partition("://")
    login, _, database = tail.partition("/")  # "user:pw@" (or "") before the empty host
    return f"{scheme}://{login}{','.join(hosts)}/{database}"


def group_names(conn: sa.Connection) -> dict[str, str]:
    """The group role of each access level in this database: ``{"officer": …, "planner": …}``."""
    db = conn.execute(sa.text("SELECT current_database()")).scalar_one()
    return {level: f"{db}_{level}" for level in ("officer", "planner")}


def _role_exists(conn: sa.Connection, name: str) -> bool:
    return bool(
        conn.execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :n"), {"n": name}).first()
    )


def _ddl(conn: sa.Connection, template: str, *args: str) -> None:
    """Run a statement built server-side by ``format()`` (identifiers ``%I``, literals ``%L``)."""
    params = {f"a{i}": a for i, a in enumerate(args)}
    placeholders = ", ".join(f":a{i}" for i in range(len(args)))
    sql = conn.execute(
        sa.text(f"SELECT format(:t{', ' if args else ''}{placeholders})"), {"t": template, **params}
    ).scalar_one()
    # psycopg2 %-formats even a statement sent without parameters (a password may hold "%")
    conn.exec_driver_sql(sql.replace("%", "%%"))


def ensure_groups(conn: sa.Connection) -> dict[str, str]:
    """Create this database's group roles if missing and (re)grant their rights; idempotent.

    Needs a database user that may create roles (the private cluster's is a superuser).
    """
    groups = group_names(conn)
    for name in groups.values():
        if not _role_exists(conn, name):
            _ddl(conn, "CREATE ROLE %I NOLOGIN", name)
        _ddl(conn, "COMMENT ON ROLE %I IS %L", name, f"{MARKER} group")
    officer, planner = groups["officer"], groups["planner"]
    db = conn.execute(sa.text("SELECT current_database()")).scalar_one()
    _ddl(conn, "GRANT CONNECT ON DATABASE %I TO %I", db, officer)
    _ddl(conn, "GRANT USAGE ON SCHEMA public TO %I", officer)
    for rel in READ_RELATIONS:
        _ddl(conn, "GRANT SELECT ON %I TO %I", rel, officer)
    _ddl(conn, "GRANT %I TO %I", officer, planner)
    for table in EDIT_TABLES:
        _ddl(conn, "GRANT INSERT, UPDATE ON %I TO %I", table, planner)
        seq = conn.execute(
            sa.text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table}
        ).scalar()
        if seq:
            conn.exec_driver_sql(f"GRANT USAGE ON SEQUENCE {seq} TO {_quoted(conn, planner)}")
    _ddl(conn, "GRANT DELETE ON site TO %I", planner)
    return groups


def _quoted(conn: sa.Connection, name: str) -> str:
    return conn.execute(sa.text("SELECT quote_ident(:n)"), {"n": name}).scalar_one()


def login_state(conn: sa.Connection, username: str) -> tuple[bool, bool] | None:
    """``(ours, can_login)`` of the role named ``username``, or ``None`` when there is none."""
    row = conn.execute(
        sa.text(
            "SELECT shobj_description(oid, 'pg_authid') = :m, rolcanlogin"
            " FROM pg_roles WHERE rolname = :n"
        ),
        {"n": username, "m": MARKER},
    ).first()
    return None if row is None else (bool(row[0]), bool(row[1]))


def create_or_reset_login(conn: sa.Connection, username: str, password: str) -> bool:
    """Create the login role ``username`` (or set its password); True when it is new.

    The caller has checked that ``username`` is an app user and that a role of that name,
    if any, is one this app made (:func:`login_state`).
    """
    ensure_groups(conn)
    state = login_state(conn, username)
    if state is None:
        _ddl(conn, "CREATE ROLE %I LOGIN PASSWORD %L", username, password)
        _ddl(conn, "COMMENT ON ROLE %I IS %L", username, MARKER)
    else:
        _ddl(conn, "ALTER ROLE %I PASSWORD %L", username, password)
    conn.execute(sa.text("SELECT gis_app_sync_db_login(:u)"), {"u": username})
    return state is None


def login_groups(conn: sa.Connection, username: str) -> list[str]:
    """The group roles the login ``username`` is a member of, by name."""
    return list(
        conn.execute(
            sa.text(
                "SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid"
                " JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = :u ORDER BY 1"
            ),
            {"u": username},
        ).scalars()
    )


#: comment that marks the app's runtime login (one per cluster or deployment)
RUNTIME_MARKER = "gis_app runtime login"
#: comment that marks a database's runtime group
RUNTIME_GROUP_MARKER = "gis_app runtime group"


def runtime_group_name(conn: sa.Connection) -> str:
    """The runtime group of this database: the one recorded (revision 0032), else
    ``<database>_app``."""
    recorded = conn.execute(sa.text("SELECT role_name FROM app_runtime_group LIMIT 1")).scalar()
    if recorded:
        return recorded
    db = conn.execute(sa.text("SELECT current_database()")).scalar_one()
    return f"{db}_app"


def can_create_roles(conn: sa.Connection) -> bool:
    """Whether the connected user may create roles (superuser or ``CREATEROLE``)."""
    return bool(
        conn.execute(
            sa.text("SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user")
        ).scalar()
    )


#: the runtime group's rights: every table's rows and every sequence of the app's schema,
#: except PostGIS's own tables (readable by all already), Alembic's and the record of whom
#: history believes (read only: the app may not widen that trust)
RUNTIME_GRANTS = r"""
DO $$
DECLARE
    g text := %L;
    rel record;
BEGIN
    EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %%I TO %%I', current_database(), g);
    EXECUTE format('GRANT USAGE ON SCHEMA public TO %%I', g);
    FOR rel IN SELECT c.oid::regclass::text AS name, c.relkind
                 FROM pg_class c
                WHERE c.relnamespace = 'public'::regnamespace
                  AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
                  AND NOT EXISTS (SELECT 1 FROM pg_depend d
                                   WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                                     AND d.deptype = 'e') LOOP
        IF rel.relkind = 'S' THEN
            EXECUTE format('GRANT USAGE, SELECT, UPDATE ON SEQUENCE %%s TO %%I', rel.name, g);
        ELSIF rel.name IN ('alembic_version', 'app_runtime_group') THEN
            EXECUTE format('GRANT SELECT ON %%s TO %%I', rel.name, g);
        ELSE
            EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %%s TO %%I', rel.name, g);
        END IF;
    END LOOP;
    -- the district scope of a user and of an investor link, for the app to bind (0034)
    FOR rel IN SELECT p.oid::regprocedure::text AS name FROM pg_proc p
                WHERE p.pronamespace = 'public'::regnamespace
                  AND p.proname IN ('gis_app_user_scope', 'gis_app_recommendation_scope') LOOP
        EXECUTE format('GRANT EXECUTE ON FUNCTION %%s TO %%I', rel.name, g);
    END LOOP;
    -- tables and sequences later revisions create, as this user
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA public '
                   'GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO %%I', g);
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA public '
                   'GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO %%I', g);
END $$
"""


def ensure_runtime_group(conn: sa.Connection) -> str | None:
    """Create this database's runtime group if missing, record it, and (re)grant its rights;
    idempotent. Run by the owner after every upgrade (:func:`gis_app.db.migrate.upgrade`).

    Returns the group's name, or ``None`` when the database predates revision 0032 or the
    group is missing and the connected user may not create roles (a DBA creates it:
    ``CREATE ROLE <database>_app NOLOGIN``, then the next upgrade grants its rights).
    """
    if conn.execute(sa.text("SELECT to_regclass('public.app_runtime_group')")).scalar() is None:
        return None
    group = runtime_group_name(conn)
    if not _role_exists(conn, group):
        if not can_create_roles(conn):
            return None
        _ddl(conn, "CREATE ROLE %I NOLOGIN NOSUPERUSER NOBYPASSRLS", group)
        _ddl(conn, "COMMENT ON ROLE %I IS %L", group, RUNTIME_GROUP_MARKER)
    conn.execute(
        sa.text("INSERT INTO app_runtime_group (role_name) VALUES (:g) ON CONFLICT DO NOTHING"),
        {"g": group},
    )
    _ddl(conn, RUNTIME_GRANTS, group)
    return group


def ensure_runtime_login(conn: sa.Connection, username: str, password: str) -> None:
    """Create the app's runtime login ``username`` (or set its password) and make it a member
    of this database's runtime group, which must exist (:func:`ensure_runtime_group`).

    Refuses a role of that name that this app did not make, and one that would bypass
    row-level security (superuser, ``BYPASSRLS``) or owns the tables: the app must be subject
    to the policies.
    """
    from gis_app.domain.errors import ProvisioningError

    group = ensure_runtime_group(conn)
    if group is None or not _role_exists(conn, group):
        raise ProvisioningError(
            "the database has no runtime group: upgrade it (gis-app db migrate) as a user "
            "that may create roles, or have the DBA create it (CREATE ROLE <database>_app "
            "NOLOGIN) and upgrade again"
        )
    row = conn.execute(
        sa.text(
            "SELECT shobj_description(oid, 'pg_authid') = :m, rolsuper OR rolbypassrls,"
            " oid = (SELECT relowner FROM pg_class WHERE oid = 'public.site'::regclass)"
            " FROM pg_roles WHERE rolname = :n"
        ),
        {"n": username, "m": RUNTIME_MARKER},
    ).first()
    if row is None:
        _ddl(
            conn,
            "CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS INHERIT"
            " PASSWORD %L",
            username,
            password,
        )
        _ddl(conn, "COMMENT ON ROLE %I IS %L", username, RUNTIME_MARKER)
    elif not row[0] or row[1] or row[2]:
        why = "is not a runtime login this app made" if not row[0] else "bypasses row security"
        raise ProvisioningError(f"role {username!r} {why}: choose another runtime login name")
    else:
        _ddl(conn, "ALTER ROLE %I LOGIN PASSWORD %L", username, password)
    _ddl(conn, "GRANT %I TO %I", group, username)
