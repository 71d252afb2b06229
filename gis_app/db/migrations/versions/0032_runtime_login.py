"""The app serves requests as a runtime login that owns nothing (issue 26, item 2, step A).

Until now the app connected as the tables' owner, which row-level security never restricts.
From here the owner runs migrations and maintenance, and the web app (requests, import jobs,
investor links) connects as a runtime login: no superuser, no ``BYPASSRLS``, owning nothing,
a member of this database's ``<database>_app`` group, which holds the grants
(``gis_app.db.db_logins.ensure_runtime_group``, run after every upgrade).

* ``app_runtime_group``: the name of that group. Roles belong to the cluster, so they are made
  outside revisions; the name is kept in a table (not derived from ``current_database()``)
  because a database copied from a template keeps the template's grants, and so its group.
* ``gis_app_trusted_user()``: the app user passed in ``gis_app.user`` now counts in sessions of
  the owner *or* of a member of the runtime group (before: the owner only). A personal login
  (QGIS, psql) still cannot write history in someone else's name. It runs as its owner, as
  it reads ``app_runtime_group``, which no other login may read (``session_user`` still
  names the login).
* ``gis_app_app_user_login_trg()`` runs as its owner: a change of an app user's roles from the
  app (runtime login) keeps the personal login's groups in step, which only the owner may do
  (``gis_app_sync_db_login`` is not executable by anyone else).

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-04
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0032"
down_revision: str | None = "0031"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UPGRADE = r"""
CREATE TABLE app_runtime_group (
    role_name TEXT NOT NULL,
    CONSTRAINT pk_app_runtime_group PRIMARY KEY (role_name)
);

-- The app user named by gis_app.user, but only in a session of the tables' owner (migrations,
-- maintenance) or of the app's runtime login: a personal login cannot pass itself off as
-- someone else.
CREATE OR REPLACE FUNCTION gis_app_trusted_user() RETURNS text LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN pg_has_role(session_user,
                                 (SELECT relowner FROM pg_class
                                   WHERE oid = 'public.history'::regclass), 'MEMBER')
                  OR EXISTS (SELECT 1 FROM public.app_runtime_group g
                               JOIN pg_roles r ON r.rolname = g.role_name
                              WHERE pg_has_role(session_user, r.oid, 'MEMBER'))
                THEN NULLIF(current_setting('gis_app.user', true), '') END
$$;

-- it reads app_runtime_group, an internal table no personal login may list or read
ALTER FUNCTION gis_app_trusted_user() SECURITY DEFINER SET search_path = public, pg_temp;
ALTER FUNCTION gis_app_app_user_login_trg() SECURITY DEFINER SET search_path = public, pg_temp;
"""

# the runtime group loses this database's grants (roles belong to the cluster), and
# gis_app_trusted_user is as revision 0014 left it
DOWNGRADE = r"""
DO $$
DECLARE
    g text;
BEGIN
    FOR g IN SELECT a.role_name FROM app_runtime_group a
               JOIN pg_roles r ON r.rolname = a.role_name LOOP
        EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON TABLES FROM %I', g);
        EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON SEQUENCES FROM %I',
                       g);
        EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA public FROM %I', g);
        EXECUTE format('REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM %I', g);
        EXECUTE format('REVOKE ALL ON SCHEMA public FROM %I', g);
        EXECUTE format('REVOKE ALL ON DATABASE %I FROM %I', current_database(), g);
    END LOOP;
END $$;

ALTER FUNCTION gis_app_app_user_login_trg() SECURITY INVOKER RESET search_path;
ALTER FUNCTION gis_app_trusted_user() SECURITY INVOKER RESET search_path;

CREATE OR REPLACE FUNCTION gis_app_trusted_user() RETURNS text LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN pg_has_role(session_user,
                                 (SELECT relowner FROM pg_class
                                   WHERE oid = 'public.history'::regclass), 'MEMBER')
                THEN NULLIF(current_setting('gis_app.user', true), '') END
$$;

DROP TABLE app_runtime_group;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
