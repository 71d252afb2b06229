"""The session's district scope in PL/pgSQL (issue 26, item 6): every query under a policy
computes ``gis_app_read_scope()`` once (an InitPlan), and as three nested SQL functions it was
parsed and planned again in every query — 0.95 ms and ~400 buffer hits of catalog lookups per
statement at 1M sites, as much as a whole site detail. PL/pgSQL keeps its plans for the
session, so the scope costs a few microseconds. Same answers as revision 0034's.

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-04
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0036"
down_revision: str | None = "0035"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UPGRADE = r"""
CREATE OR REPLACE FUNCTION gis_app_session_scope(for_write boolean) RETURNS text[]
LANGUAGE plpgsql STABLE AS $$
DECLARE
    given text;
    uid bigint;
BEGIN
    IF EXISTS (SELECT 1 FROM app_runtime_group g JOIN pg_roles r ON r.rolname = g.role_name
                WHERE pg_has_role(session_user, r.oid, 'MEMBER')) THEN
        given := current_setting(CASE WHEN for_write THEN 'gis_app.write_districts'
                                      ELSE 'gis_app.districts' END, true);
        RETURN coalesce(string_to_array(nullif(given, ''), ','), '{}'::text[]);
    END IF;
    SELECT u.id INTO uid FROM app_user u WHERE u.username = session_user::text;
    RETURN coalesce(gis_app_user_scope(uid, for_write), '{}'::text[]);
END
$$;
ALTER FUNCTION gis_app_session_scope(boolean) SECURITY DEFINER SET search_path = public, pg_temp;

CREATE OR REPLACE FUNCTION gis_app_read_scope() RETURNS text[] LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN gis_app_session_scope(false);
END
$$;

CREATE OR REPLACE FUNCTION gis_app_write_scope() RETURNS text[] LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN gis_app_session_scope(true);
END
$$;
"""

# revision 0034's bodies (the policies of 0035 depend on the functions: replaced, not dropped)
DOWNGRADE = r"""
CREATE OR REPLACE FUNCTION gis_app_read_scope() RETURNS text[] LANGUAGE sql STABLE AS $$
    SELECT gis_app_session_scope(false)
$$;

CREATE OR REPLACE FUNCTION gis_app_write_scope() RETURNS text[] LANGUAGE sql STABLE AS $$
    SELECT gis_app_session_scope(true)
$$;

CREATE OR REPLACE FUNCTION gis_app_session_scope(for_write boolean) RETURNS text[]
LANGUAGE sql STABLE AS $$
    SELECT coalesce(
             CASE WHEN gis_app_runtime_session()
                  THEN string_to_array(nullif(current_setting(
                           CASE WHEN for_write THEN 'gis_app.write_districts'
                                ELSE 'gis_app.districts' END, true), ''), ',')
                  ELSE (SELECT gis_app_user_scope(u.id, for_write)
                          FROM app_user u WHERE u.username = session_user::text)
             END,
             '{}'::text[])
$$;
ALTER FUNCTION gis_app_session_scope(boolean) SECURITY DEFINER SET search_path = public, pg_temp;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
