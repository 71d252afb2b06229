"""Saved searches: an officer's named search of the map, and an alert when a site newly enters it.

* ``saved_search``: owner, name, the search as the map's URL query (the parameters of
  ``GET /api/sites``) and the same search as an SQL condition on ``site s`` whose values are
  read from the ``params`` JSON (``$1->>'name'``): the condition is written by the app from
  its one site filter (``gis_app.db.site_queries.SiteFilter``), so the database evaluates
  exactly what the API searches; no value typed by a person is ever part of the SQL text.
* ``saved_search_match``: the sites each saved search holds now, kept by triggers on
  ``site`` and ``building`` (rows: an edit from the app, an import or QGIS) and on
  ``infrastructure`` (statements: distances change), like ``requirement_match``.
* A site that newly enters a saved search raises an ``alert`` for the search's owner (the
  alert table of requirements, whose ``requirement_id`` becomes optional: an alert names a
  requirement or a saved search).

The trigger functions run as their owner (``SECURITY DEFINER``, fixed ``search_path``) like
those of revision 0014: personal QGIS logins have no grant on these tables and cannot write
the conditions they run.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: trigger functions that write tables personal logins have no grant on
DEFINER_TRIGGERS = (
    "gis_app_saved_search_site_trg",
    "gis_app_saved_search_building_trg",
    "gis_app_saved_search_context_trg",
)

FUNCTIONS = r"""
-- The sites a saved search holds now (one site's id when p_site_id is given, if it is in).
CREATE FUNCTION gis_app_saved_search_site_ids(p_search_id bigint, p_site_id bigint)
RETURNS SETOF bigint LANGUAGE plpgsql STABLE AS $fn$
DECLARE
    ss saved_search;
BEGIN
    SELECT * INTO ss FROM saved_search WHERE id = p_search_id;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    IF p_site_id IS NULL THEN
        RETURN QUERY EXECUTE format('SELECT s.id FROM site s WHERE (%s)', ss.predicate)
            USING ss.params;
    ELSE
        RETURN QUERY EXECUTE format('SELECT s.id FROM site s WHERE s.id = $2 AND (%s)',
                                    ss.predicate)
            USING ss.params, p_site_id;
    END IF;
END $fn$;

CREATE FUNCTION gis_app_saved_search_reason(p_site_id bigint, p_search_id bigint, p_change text)
RETURNS text LANGUAGE sql STABLE AS $fn$
SELECT format('地块 %s 新进入保存的查询「%s」 / Site %s newly entered the saved search "%s"%s',
              s.code, ss.name, s.code, ss.name, COALESCE(' — ' || p_change, ''))
  FROM site s, saved_search ss WHERE s.id = p_site_id AND ss.id = p_search_id
$fn$;

-- Bring one saved search's matches up to date; sites that newly entered raise alerts if asked.
CREATE FUNCTION gis_app_sync_saved_search(p_search_id bigint, p_alert boolean, p_change text)
RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
    WITH now_in AS (
        SELECT gis_app_saved_search_site_ids(p_search_id, NULL) AS site_id
    ), gone AS (
        DELETE FROM saved_search_match m
         WHERE m.saved_search_id = p_search_id
           AND NOT EXISTS (SELECT 1 FROM now_in n WHERE n.site_id = m.site_id)
    ), added AS (
        INSERT INTO saved_search_match (saved_search_id, site_id)
        SELECT p_search_id, n.site_id FROM now_in n
        ON CONFLICT DO NOTHING
        RETURNING site_id
    )
    INSERT INTO alert (saved_search_id, site_id, officer, reason)
    SELECT p_search_id, a.site_id, ss.owner,
           gis_app_saved_search_reason(a.site_id, p_search_id, p_change)
      FROM added a JOIN saved_search ss ON ss.id = p_search_id
     WHERE p_alert;
END $fn$;

-- Bring every saved search up to date for one site; searches it newly entered raise alerts.
CREATE FUNCTION gis_app_sync_site_saved_searches(p_site_id bigint, p_change text)
RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
    sid bigint;
BEGIN
    FOR sid IN SELECT id FROM saved_search ORDER BY id LOOP
        IF EXISTS (SELECT 1 FROM gis_app_saved_search_site_ids(sid, p_site_id)) THEN
            INSERT INTO saved_search_match (saved_search_id, site_id)
            VALUES (sid, p_site_id) ON CONFLICT DO NOTHING;
            IF FOUND THEN
                INSERT INTO alert (saved_search_id, site_id, officer, reason)
                SELECT sid, p_site_id, ss.owner,
                       gis_app_saved_search_reason(p_site_id, sid, p_change)
                  FROM saved_search ss WHERE ss.id = sid;
            END IF;
        ELSE
            DELETE FROM saved_search_match WHERE saved_search_id = sid AND site_id = p_site_id;
        END IF;
    END LOOP;
END $fn$;

CREATE FUNCTION gis_app_saved_search_site_trg() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
    fields text;
BEGIN
    -- inventories without saved searches pay next to nothing
    IF NOT EXISTS (SELECT 1 FROM saved_search) THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        PERFORM gis_app_sync_site_saved_searches(NEW.id, '新增地块 / new site');
        RETURN NULL;
    END IF;
    fields := gis_app_changed_fields(to_jsonb(OLD), to_jsonb(NEW));
    IF fields IS NOT NULL THEN
        PERFORM gis_app_sync_site_saved_searches(NEW.id, '变更 / changed: ' || fields);
    END IF;
    RETURN NULL;
END $fn$;

CREATE FUNCTION gis_app_saved_search_building_trg() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
    fields text;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM saved_search) THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        fields := gis_app_changed_fields(to_jsonb(OLD), to_jsonb(NEW));
        IF fields IS NULL THEN
            RETURN NULL;
        END IF;
        PERFORM gis_app_sync_site_saved_searches(
            NEW.site_id, format('建筑 / building %s 变更 / changed: %s', NEW.code, fields));
        IF OLD.site_id <> NEW.site_id THEN
            PERFORM gis_app_sync_site_saved_searches(
                OLD.site_id, format('建筑 / building %s 移出 / moved out', OLD.code));
        END IF;
    ELSIF TG_OP = 'INSERT' THEN
        PERFORM gis_app_sync_site_saved_searches(
            NEW.site_id, format('新增建筑 / new building %s', NEW.code));
    ELSE
        PERFORM gis_app_sync_site_saved_searches(
            OLD.site_id, format('删除建筑 / building %s removed', OLD.code));
    END IF;
    RETURN NULL;
END $fn$;

CREATE FUNCTION gis_app_saved_search_context_trg() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
    sid bigint;
BEGIN
    FOR sid IN SELECT id FROM saved_search ORDER BY id LOOP
        PERFORM gis_app_sync_saved_search(
            sid, true, format('%s 变更 / %s changed', TG_TABLE_NAME, TG_TABLE_NAME));
    END LOOP;
    RETURN NULL;
END $fn$;

-- Names sort after site_distance / infrastructure_distance: distances are current when these run.
CREATE TRIGGER site_saved_search AFTER INSERT OR UPDATE ON site
    FOR EACH ROW EXECUTE FUNCTION gis_app_saved_search_site_trg();
CREATE TRIGGER building_saved_search AFTER INSERT OR UPDATE OR DELETE ON building
    FOR EACH ROW EXECUTE FUNCTION gis_app_saved_search_building_trg();
CREATE TRIGGER infrastructure_saved_search AFTER INSERT OR UPDATE OR DELETE ON infrastructure
    FOR EACH STATEMENT EXECUTE FUNCTION gis_app_saved_search_context_trg();
"""

DROP = """
DROP TRIGGER IF EXISTS infrastructure_saved_search ON infrastructure;
DROP TRIGGER IF EXISTS building_saved_search ON building;
DROP TRIGGER IF EXISTS site_saved_search ON site;
DROP FUNCTION IF EXISTS gis_app_saved_search_context_trg();
DROP FUNCTION IF EXISTS gis_app_saved_search_building_trg();
DROP FUNCTION IF EXISTS gis_app_saved_search_site_trg();
DROP FUNCTION IF EXISTS gis_app_sync_site_saved_searches(bigint, text);
DROP FUNCTION IF EXISTS gis_app_sync_saved_search(bigint, boolean, text);
DROP FUNCTION IF EXISTS gis_app_saved_search_reason(bigint, bigint, text);
DROP FUNCTION IF EXISTS gis_app_saved_search_site_ids(bigint, bigint);
"""


def upgrade() -> None:
    op.create_table(
        "saved_search",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("owner", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("predicate", sa.Text(), nullable=False),
        sa.Column(
            "params", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_search")),
        sa.UniqueConstraint("owner", "name", name=op.f("uq_saved_search_owner_name")),
        sa.CheckConstraint(
            "char_length(btrim(name)) BETWEEN 1 AND 100", name=op.f("ck_saved_search_name_length")
        ),
    )
    op.create_table(
        "saved_search_match",
        sa.Column("saved_search_id", sa.BigInteger(), nullable=False),
        sa.Column("site_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "since", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["saved_search_id"],
            ["saved_search.id"],
            name=op.f("fk_saved_search_match_saved_search_id_saved_search"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["site.id"],
            name=op.f("fk_saved_search_match_site_id_site"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("saved_search_id", "site_id", name=op.f("pk_saved_search_match")),
    )
    op.create_index(
        op.f("ix_saved_search_match_site_id"), "saved_search_match", ["site_id"], unique=False
    )
    op.add_column(
        "alert",
        sa.Column(
            "saved_search_id",
            sa.BigInteger(),
            sa.ForeignKey(
                "saved_search.id",
                ondelete="CASCADE",
                name=op.f("fk_alert_saved_search_id_saved_search"),
            ),
            nullable=True,
        ),
    )
    op.create_index(op.f("ix_alert_saved_search_id"), "alert", ["saved_search_id"])
    op.alter_column("alert", "requirement_id", nullable=True)
    op.create_check_constraint(
        op.f("ck_alert_subject"),
        "alert",
        "requirement_id IS NOT NULL OR saved_search_id IS NOT NULL",
    )
    op.execute(FUNCTIONS)
    for fn in DEFINER_TRIGGERS:
        op.execute(f"ALTER FUNCTION {fn}() SECURITY DEFINER SET search_path = public, pg_temp")


def downgrade() -> None:
    op.execute(DROP)
    op.execute("DELETE FROM alert WHERE requirement_id IS NULL")
    op.drop_constraint(op.f("ck_alert_subject"), "alert", type_="check")
    op.alter_column("alert", "requirement_id", nullable=False)
    op.drop_index(op.f("ix_alert_saved_search_id"), table_name="alert")
    op.drop_column("alert", "saved_search_id")
    op.drop_index(op.f("ix_saved_search_match_site_id"), table_name="saved_search_match")
    op.drop_table("saved_search_match")
    op.drop_table("saved_search")
