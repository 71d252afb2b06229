"""Personal database logins for QGIS and psql: history names the person, logins see layers only.

* ``layer_styles`` and ``qgis_projects``: the tables QGIS itself reads styles and projects
  from (their layout as QGIS creates them). ``gis-app qgis publish`` fills them.
* ``layer_history``: the history of sites, buildings and constraint zones, for logins that may
  not read ``history`` (it also holds requirements' changes).
* The trigger functions that write tables a personal login has no grant on (history, derived
  distances and overlaps, the matcher's units and matches, alerts) run as their owner
  (``SECURITY DEFINER``, with a fixed ``search_path`` so a login cannot slip its own objects
  in). ``session_user`` still names the login, so history records the person.
* ``gis_app.user`` (the app user the app passes for history) counts only in sessions of the
  tables' owner, the app's own database user: a personal login cannot write history in
  someone else's name.
* ``gis_app_sync_db_login(name)``: gives the login role of an app user the group role of its
  app roles in this database (``<database>_planner`` for planners and admins,
  ``<database>_officer`` for officers), none when disabled, and lets it log in only while it
  holds a group somewhere. A trigger on ``app_user`` runs it on every change of roles or of
  the disabled flag, from the app, the CLI or SQL. Roles belong to the cluster, so they are
  created by ``gis-app user db-login`` (``gis_app.db.db_logins``), not here; the downgrade
  takes this database's grants from them.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: trigger functions that write tables personal logins have no grant on
DEFINER_TRIGGERS = (
    "gis_app_history",
    "gis_app_site_distance_trg",
    "gis_app_site_overlap_trg",
    "gis_app_zone_overlap_trg",
    "gis_app_infrastructure_trg",
    "gis_app_context_match_trg",
    "gis_app_site_match_trg",
    "gis_app_building_match_trg",
    "gis_app_match_unit_site_trg",
    "gis_app_match_unit_building_trg",
    "gis_app_match_unit_zone_trg",
    "gis_app_match_unit_infrastructure_trg",
)

TRUSTED_USER = r"""
-- The app user named by gis_app.user, but only in a session of the tables' owner (the app's
-- own database user): a personal login cannot pass itself off as someone else.
CREATE FUNCTION gis_app_trusted_user() RETURNS text LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN pg_has_role(session_user,
                                 (SELECT relowner FROM pg_class
                                   WHERE oid = 'public.history'::regclass), 'MEMBER')
                THEN NULLIF(current_setting('gis_app.user', true), '') END
$$;

CREATE OR REPLACE FUNCTION gis_app_changed_by() RETURNS text LANGUAGE sql STABLE AS $$
    SELECT COALESCE(
        gis_app_trusted_user(),
        session_user || COALESCE(' via ' || NULLIF(current_setting('application_name', true), ''), '')
    )
$$;

CREATE OR REPLACE FUNCTION gis_app_history() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    o jsonb := CASE WHEN TG_OP = 'INSERT' THEN '{}'::jsonb ELSE to_jsonb(OLD) END;
    n jsonb := CASE WHEN TG_OP = 'DELETE' THEN '{}'::jsonb ELSE to_jsonb(NEW) END;
    diff jsonb;
BEGIN
    SELECT COALESCE(jsonb_object_agg(k, jsonb_build_array(o -> k, n -> k)), '{}'::jsonb)
      INTO diff
      FROM (SELECT jsonb_object_keys(o || n) AS k) keys
     WHERE k <> ALL (ARRAY['version', 'updated_at'])
       AND (o -> k) IS DISTINCT FROM (n -> k);
    IF TG_OP = 'UPDATE' AND diff = '{}'::jsonb THEN
        RETURN NULL;
    END IF;
    INSERT INTO history (table_name, row_id, action, changes, changed_by, app_user, db_user,
                         application_name, note, doc_ref)
    VALUES (TG_TABLE_NAME, COALESCE((n ->> 'id')::bigint, (o ->> 'id')::bigint), lower(TG_OP),
            diff, gis_app_changed_by(), gis_app_trusted_user(),
            session_user, NULLIF(current_setting('application_name', true), ''),
            NULLIF(current_setting('gis_app.note', true), ''),
            NULLIF(current_setting('gis_app.doc_ref', true), ''));
    RETURN NULL;
END $$;
"""

# The functions as revisions 0002 and 0005 left them, restored on downgrade.
UNTRUSTED_USER = r"""
CREATE OR REPLACE FUNCTION gis_app_changed_by() RETURNS text LANGUAGE sql STABLE AS $$
    SELECT COALESCE(
        NULLIF(current_setting('gis_app.user', true), ''),
        session_user || COALESCE(' via ' || NULLIF(current_setting('application_name', true), ''), '')
    )
$$;

CREATE OR REPLACE FUNCTION gis_app_history() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    o jsonb := CASE WHEN TG_OP = 'INSERT' THEN '{}'::jsonb ELSE to_jsonb(OLD) END;
    n jsonb := CASE WHEN TG_OP = 'DELETE' THEN '{}'::jsonb ELSE to_jsonb(NEW) END;
    diff jsonb;
BEGIN
    SELECT COALESCE(jsonb_object_agg(k, jsonb_build_array(o -> k, n -> k)), '{}'::jsonb)
      INTO diff
      FROM (SELECT jsonb_object_keys(o || n) AS k) keys
     WHERE k <> ALL (ARRAY['version', 'updated_at'])
       AND (o -> k) IS DISTINCT FROM (n -> k);
    IF TG_OP = 'UPDATE' AND diff = '{}'::jsonb THEN
        RETURN NULL;
    END IF;
    INSERT INTO history (table_name, row_id, action, changes, changed_by, app_user, db_user,
                         application_name, note, doc_ref)
    VALUES (TG_TABLE_NAME, COALESCE((n ->> 'id')::bigint, (o ->> 'id')::bigint), lower(TG_OP),
            diff, gis_app_changed_by(), NULLIF(current_setting('gis_app.user', true), ''),
            session_user, NULLIF(current_setting('application_name', true), ''),
            NULLIF(current_setting('gis_app.note', true), ''),
            NULLIF(current_setting('gis_app.doc_ref', true), ''));
    RETURN NULL;
END $$;

DROP FUNCTION gis_app_trusted_user();
"""

LAYER_HISTORY = """
CREATE VIEW layer_history AS
SELECT id, table_name, row_id, action, changes, changed_by, db_user, application_name,
       note, doc_ref, changed_at
  FROM history
 WHERE table_name IN ('site', 'building', 'constraint_zone')
"""

SYNC_LOGIN = r"""
CREATE FUNCTION gis_app_sync_db_login(login_name text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    app record;
    planner text := current_database() || '_planner';
    officer text := current_database() || '_officer';
    want_planner boolean := false;
    want_officer boolean := false;
    g record;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles
                    WHERE rolname = login_name
                      AND shobj_description(oid, 'pg_authid') = 'gis_app database login') THEN
        RETURN;  -- no login of ours (never made, or a role this app did not create)
    END IF;
    SELECT roles, disabled INTO app FROM app_user u WHERE u.username = login_name;
    IF FOUND AND NOT app.disabled THEN
        want_planner := app.roles && ARRAY['planner', 'admin'];
        want_officer := NOT want_planner AND 'officer' = ANY (app.roles);
    END IF;
    FOR g IN SELECT r.rolname, CASE r.rolname WHEN planner THEN want_planner
                                              ELSE want_officer END AS wanted,
                    EXISTS (SELECT 1 FROM pg_auth_members m
                             WHERE m.roleid = r.oid
                               AND m.member = (SELECT oid FROM pg_roles
                                                WHERE rolname = login_name)) AS direct
               FROM pg_roles r WHERE r.rolname IN (planner, officer) LOOP
        IF g.wanted AND NOT g.direct THEN
            EXECUTE format('GRANT %I TO %I', g.rolname, login_name);
        ELSIF g.direct AND NOT g.wanted THEN
            EXECUTE format('REVOKE %I FROM %I', g.rolname, login_name);
        END IF;
    END LOOP;
    -- a login logs in while it holds a group of some database's inventory
    EXECUTE format(
        CASE WHEN EXISTS (
            SELECT 1 FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid
             WHERE m.member = (SELECT oid FROM pg_roles WHERE rolname = login_name)
               AND shobj_description(r.oid, 'pg_authid') = 'gis_app database login group')
        THEN 'ALTER ROLE %I LOGIN' ELSE 'ALTER ROLE %I NOLOGIN' END, login_name);
END $$;
REVOKE EXECUTE ON FUNCTION gis_app_sync_db_login(text) FROM PUBLIC;

CREATE FUNCTION gis_app_app_user_login_trg() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM gis_app_sync_db_login(CASE TG_OP WHEN 'DELETE' THEN OLD.username
                                             ELSE NEW.username END);
    RETURN NULL;
END $$;

CREATE TRIGGER app_user_db_login AFTER UPDATE OF roles, disabled OR DELETE ON app_user
    FOR EACH ROW EXECUTE FUNCTION gis_app_app_user_login_trg();
"""

#: this database's group roles lose their grants on downgrade (roles belong to the cluster)
REVOKE_GROUPS = r"""
DO $$
DECLARE
    g text;
BEGIN
    FOREACH g IN ARRAY ARRAY[current_database() || '_planner', current_database() || '_officer']
    LOOP
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = g) THEN
            EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA public FROM %I', g);
            EXECUTE format('REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM %I', g);
            EXECUTE format('REVOKE ALL ON SCHEMA public FROM %I', g);
            EXECUTE format('REVOKE ALL ON DATABASE %I FROM %I', current_database(), g);
        END IF;
    END LOOP;
END $$;
"""


def upgrade() -> None:
    op.create_table(
        "layer_styles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("f_table_catalog", sa.String(), nullable=True),
        sa.Column("f_table_schema", sa.String(), nullable=True),
        sa.Column("f_table_name", sa.String(), nullable=True),
        sa.Column("f_geometry_column", sa.String(), nullable=True),
        sa.Column("stylename", sa.Text(), nullable=True),
        sa.Column("styleqml", sa.Text(), nullable=True),
        sa.Column("stylesld", sa.Text(), nullable=True),
        sa.Column("useasdefault", sa.Boolean(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "owner", sa.String(length=63), server_default=sa.text("CURRENT_USER"), nullable=True
        ),
        sa.Column("ui", sa.Text(), nullable=True),
        sa.Column(
            "update_time",
            sa.DateTime(),
            server_default=sa.text("CURRENT_TIMESTAMP"),
            nullable=True,
        ),
        sa.Column("type", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_layer_styles")),
    )
    # QGIS keeps styles as xml, a type SQLAlchemy does not name
    for column in ("styleqml", "stylesld", "ui"):
        op.execute(f"ALTER TABLE layer_styles ALTER COLUMN {column} TYPE xml USING {column}::xml")
    op.create_table(
        "qgis_projects",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("metadata", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_qgis_projects")),
    )
    op.execute(LAYER_HISTORY)
    op.execute(TRUSTED_USER)
    for fn in DEFINER_TRIGGERS:
        op.execute(f"ALTER FUNCTION {fn}() SECURITY DEFINER SET search_path = public, pg_temp")
    op.execute(SYNC_LOGIN)


def downgrade() -> None:
    op.execute(REVOKE_GROUPS)
    op.execute("""
        DROP TRIGGER app_user_db_login ON app_user;
        DROP FUNCTION gis_app_app_user_login_trg();
        DROP FUNCTION gis_app_sync_db_login(text);
    """)
    for fn in DEFINER_TRIGGERS:
        op.execute(f"ALTER FUNCTION {fn}() SECURITY INVOKER RESET search_path")
    op.execute(UNTRUSTED_USER)
    op.execute("DROP VIEW layer_history")
    op.drop_table("qgis_projects")
    op.drop_table("layer_styles")
