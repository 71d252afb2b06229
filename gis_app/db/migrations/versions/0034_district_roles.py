"""Roles per district and the scope each session may read and write (issue 26, item 2, step B).

* ``district_role``: grants beyond a user's home district, one row per (user, district, role):
  "officer of 普陀区, reader (``leader``) of 舟山市". A user holds their own roles
  (``app_user.roles``) in their home district (``app_user.district_code``) without a row here;
  a grant on a city or province covers every district below it.
* ``gis_app_user_scope(user_id, for_write)``: the district codes a user may read (any grant) or
  write (home district when they hold a role that writes, and grants other than ``leader``),
  expanded to the districts below; every district for an admin; nothing for a disabled user.
* ``gis_app_read_scope()`` / ``gis_app_write_scope()``: the codes the *current session* may
  read / write, which the row-level policies (step C) compare ``district_code`` with. In a
  session of the app's runtime login (a member of the runtime group of revision 0032) they are
  the transaction-local settings ``gis_app.districts`` / ``gis_app.write_districts`` the app
  sets after authenticating a request; for any other login (QGIS, psql) the app user of the
  same name's scope, looked up here: such a login that sets the settings itself gains nothing.
  No setting and no such user: the empty array (a session that did not say who it is sees
  nothing).
* ``gis_app_recommendation_scope(id)``: the districts an investor link of that recommendation
  reads (its district and those below), for the app to bind once the link's token is checked.
* ``gis_app_runtime_session()``: whether the session's login is in the runtime group, said once
  for ``gis_app_trusted_user()`` and the scope functions.

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-04
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0034"
down_revision: str | None = "0033"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: the roles a grant may hold (vocab.ROLE but admin, which is every district's already)
GRANT_ROLES = ("officer", "planner", "leader")
#: the app roles that write (a leader reads only)
WRITING_ROLES = ("officer", "planner", "admin")

_ROLES_SQL = ", ".join(f"'{r}'" for r in GRANT_ROLES)
_WRITING_SQL = ", ".join(f"'{r}'" for r in WRITING_ROLES)

UPGRADE = f"""
CREATE TABLE district_role (
    user_id BIGINT NOT NULL,
    district_code TEXT NOT NULL,
    role TEXT NOT NULL,
    granted_by TEXT,
    granted_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
    CONSTRAINT pk_district_role PRIMARY KEY (user_id, district_code, role),
    CONSTRAINT fk_district_role_user_id_app_user FOREIGN KEY (user_id)
        REFERENCES app_user (id) ON DELETE CASCADE,
    CONSTRAINT fk_district_role_district_code_district FOREIGN KEY (district_code)
        REFERENCES district (code) ON UPDATE CASCADE,
    CONSTRAINT ck_district_role_role_known CHECK (role IN ({_ROLES_SQL}))
);
CREATE INDEX ix_district_role_district_code ON district_role (district_code);

-- codes and every district below them (a city: its districts; a province: three levels)
CREATE FUNCTION gis_app_districts_below(codes text[]) RETURNS text[]
LANGUAGE sql STABLE AS $$
    SELECT coalesce(array_agg(d.code ORDER BY d.code), '{{}}')
      FROM district d LEFT JOIN district p ON p.code = d.parent_code
     WHERE d.code = ANY(codes) OR d.parent_code = ANY(codes) OR p.parent_code = ANY(codes)
$$;

CREATE FUNCTION gis_app_user_scope(uid bigint, for_write boolean) RETURNS text[]
LANGUAGE sql STABLE AS $$
    SELECT CASE
             WHEN u.disabled THEN '{{}}'::text[]
             WHEN 'admin' = ANY(u.roles)
               THEN ARRAY(SELECT d.code FROM district d ORDER BY d.code)
             ELSE gis_app_districts_below(
                    CASE WHEN NOT for_write OR u.roles && ARRAY[{_WRITING_SQL}]
                         THEN ARRAY[u.district_code] ELSE '{{}}'::text[] END
                    || ARRAY(SELECT g.district_code FROM district_role g
                              WHERE g.user_id = u.id
                                AND (NOT for_write OR g.role <> 'leader')))
           END
      FROM app_user u WHERE u.id = uid
$$;

-- an investor link's districts: its recommendation's and those below (a city's link)
CREATE FUNCTION gis_app_recommendation_scope(rid bigint) RETURNS text[]
LANGUAGE sql STABLE AS $$
    SELECT gis_app_districts_below(ARRAY[r.district_code]) FROM recommendation r WHERE r.id = rid
$$;

CREATE FUNCTION gis_app_runtime_session() RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM public.app_runtime_group g
                     JOIN pg_roles r ON r.rolname = g.role_name
                    WHERE pg_has_role(session_user, r.oid, 'MEMBER'))
$$;

CREATE FUNCTION gis_app_session_scope(for_write boolean) RETURNS text[]
LANGUAGE sql STABLE AS $$
    SELECT coalesce(
             CASE WHEN gis_app_runtime_session()
                  THEN string_to_array(nullif(current_setting(
                           CASE WHEN for_write THEN 'gis_app.write_districts'
                                ELSE 'gis_app.districts' END, true), ''), ',')
                  ELSE (SELECT gis_app_user_scope(u.id, for_write)
                          FROM app_user u WHERE u.username = session_user::text)
             END,
             '{{}}'::text[])
$$;

CREATE FUNCTION gis_app_read_scope() RETURNS text[] LANGUAGE sql STABLE AS $$
    SELECT gis_app_session_scope(false)
$$;

CREATE FUNCTION gis_app_write_scope() RETURNS text[] LANGUAGE sql STABLE AS $$
    SELECT gis_app_session_scope(true)
$$;

-- they read app_user, district_role and app_runtime_group, which no personal login may read;
-- session_user still names the login
ALTER FUNCTION gis_app_user_scope(bigint, boolean) SECURITY DEFINER
    SET search_path = public, pg_temp;
ALTER FUNCTION gis_app_recommendation_scope(bigint) SECURITY DEFINER
    SET search_path = public, pg_temp;
ALTER FUNCTION gis_app_runtime_session() SECURITY DEFINER SET search_path = public, pg_temp;
ALTER FUNCTION gis_app_session_scope(boolean) SECURITY DEFINER SET search_path = public, pg_temp;
-- another user's scope is the app's business (granted to the runtime group after upgrades)
REVOKE EXECUTE ON FUNCTION gis_app_user_scope(bigint, boolean) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION gis_app_recommendation_scope(bigint) FROM PUBLIC;

CREATE OR REPLACE FUNCTION gis_app_trusted_user() RETURNS text LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN pg_has_role(session_user,
                                 (SELECT relowner FROM pg_class
                                   WHERE oid = 'public.history'::regclass), 'MEMBER')
                  OR gis_app_runtime_session()
                THEN NULLIF(current_setting('gis_app.user', true), '') END
$$;
ALTER FUNCTION gis_app_trusted_user() SECURITY DEFINER SET search_path = public, pg_temp;
"""

DOWNGRADE = r"""
CREATE OR REPLACE FUNCTION gis_app_trusted_user() RETURNS text LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN pg_has_role(session_user,
                                 (SELECT relowner FROM pg_class
                                   WHERE oid = 'public.history'::regclass), 'MEMBER')
                  OR EXISTS (SELECT 1 FROM public.app_runtime_group g
                               JOIN pg_roles r ON r.rolname = g.role_name
                              WHERE pg_has_role(session_user, r.oid, 'MEMBER'))
                THEN NULLIF(current_setting('gis_app.user', true), '') END
$$;
ALTER FUNCTION gis_app_trusted_user() SECURITY DEFINER SET search_path = public, pg_temp;
DROP FUNCTION gis_app_write_scope();
DROP FUNCTION gis_app_read_scope();
DROP FUNCTION gis_app_session_scope(boolean);
DROP FUNCTION gis_app_runtime_session();
DROP FUNCTION gis_app_recommendation_scope(bigint);
DROP FUNCTION gis_app_user_scope(bigint, boolean);
DROP FUNCTION gis_app_districts_below(text[]);
DROP TABLE district_role;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
