"""Schema for issue 6 (planners' workflow: lineage, document references, blocking overlaps).

* ``site.parent_ids`` / ``site.retired_at``: lineage of split and merged parcels. Children list
  their parents; a parent is retired (kept, never edited again, availability 'unavailable').
* ``history.doc_ref``: the document reference given with a change (``gis_app.doc_ref``),
  recorded next to the note by the history trigger.
* Triggers that hold for QGIS and psql edits too: a site overlapping 生态保护红线 or
  永久基本农田 cannot be made 'available' (nor have its geometry changed while 'available' so
  that it overlaps one), and a retired site refuses further edits.

Custom SQLSTATEs let the app turn these into clear domain errors: GA001 (availability blocked
by an overlap), GA002 (edit of a retired site).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Zone kinds whose overlap blocks availability (gis_app.domain.vocab.BLOCKING_CONSTRAINT_KINDS
# when this revision was written; a migration must not change with later code).
BLOCKING_KINDS = "'ecological_redline', 'basic_farmland'"

HISTORY_WITH_DOC_REF = r"""
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
"""

# The function as revision 0002 created it, restored on downgrade.
HISTORY_WITHOUT_DOC_REF = r"""
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
                         application_name, note)
    VALUES (TG_TABLE_NAME, COALESCE((n ->> 'id')::bigint, (o ->> 'id')::bigint), lower(TG_OP),
            diff, gis_app_changed_by(), NULLIF(current_setting('gis_app.user', true), ''),
            session_user, NULLIF(current_setting('application_name', true), ''),
            NULLIF(current_setting('gis_app.note', true), ''));
    RETURN NULL;
END $$;
"""

# The derived-table refreshes of revision 0002 written as "site_ids IS NULL OR id = ANY(...)":
# a generic plan cannot use an index for that, so every inserted site scanned the whole site
# and site_distance tables — quadratic in a bulk import (100 000 parcels would take hours).
# Same results, one branch per case, so each runs on its index. Triggers stay row-level (the
# matching triggers of 0004 rely on running after these, in name order).
FAST_REFRESH = r"""
CREATE OR REPLACE FUNCTION gis_app_site_distance_rows(site_ids bigint[])
RETURNS TABLE (site_id bigint, infra_kind text, infrastructure_id bigint, distance_m float8)
LANGUAGE sql STABLE AS $$
    -- KNN on degrees picks candidates via the GiST index; the geodesic distance then decides.
    SELECT s.id, k.kind, n.id, n.d
      FROM site s
     CROSS JOIN (SELECT DISTINCT kind FROM infrastructure) k
     CROSS JOIN LATERAL (
           SELECT c.id, c.d FROM (
               SELECT i.id, ST_Distance(s.geom::geography, i.geom::geography) AS d
                 FROM infrastructure i
                WHERE i.kind = k.kind
                ORDER BY i.geom <-> s.geom
                LIMIT 8) c
            ORDER BY c.d, c.id
            LIMIT 1) n
     WHERE site_ids IS NULL OR s.id = ANY (site_ids)
$$;

CREATE OR REPLACE FUNCTION gis_app_refresh_site_distance(site_ids bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF site_ids IS NULL THEN
        DELETE FROM site_distance;
        INSERT INTO site_distance (site_id, infra_kind, infrastructure_id, distance_m)
        SELECT * FROM gis_app_site_distance_rows(NULL);
    ELSE
        -- EXECUTE plans each time with the ids known: a cached generic plan made while the
        -- table was small keeps scanning it whole as a bulk insert makes it grow
        EXECUTE 'DELETE FROM site_distance WHERE site_id = ANY ($1)' USING site_ids;
        EXECUTE 'INSERT INTO site_distance (site_id, infra_kind, infrastructure_id, distance_m)
                 SELECT * FROM gis_app_site_distance_rows($1)' USING site_ids;
    END IF;
END $$;

CREATE OR REPLACE FUNCTION gis_app_refresh_overlap(site_ids bigint[], zone_ids bigint[])
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF site_ids IS NOT NULL THEN
        EXECUTE 'DELETE FROM site_constraint_overlap
                  WHERE site_id = ANY ($1) AND ($2 IS NULL OR zone_id = ANY ($2))'
          USING site_ids, zone_ids;
        EXECUTE 'INSERT INTO site_constraint_overlap
                        (site_id, zone_id, zone_kind, overlap_m2, overlap_pct)
        SELECT x.site_id, x.zone_id, x.kind, x.m2,
               round((100.0 * x.m2 / NULLIF(x.site_m2, 0))::numeric, 3)
          FROM (SELECT s.id AS site_id, z.id AS zone_id, z.kind, s.area_m2 AS site_m2,
                       ST_Area(ST_Intersection(s.geom, z.geom)::geography) AS m2
                  FROM site s JOIN constraint_zone z ON ST_Intersects(s.geom, z.geom)
                 WHERE s.id = ANY ($1) AND ($2 IS NULL OR z.id = ANY ($2))) x
         WHERE x.m2 > 0.01' USING site_ids, zone_ids;
    ELSIF zone_ids IS NOT NULL THEN
        DELETE FROM site_constraint_overlap WHERE zone_id = ANY (zone_ids);
        INSERT INTO site_constraint_overlap (site_id, zone_id, zone_kind, overlap_m2, overlap_pct)
        SELECT x.site_id, x.zone_id, x.kind, x.m2,
               round((100.0 * x.m2 / NULLIF(x.site_m2, 0))::numeric, 3)
          FROM (SELECT s.id AS site_id, z.id AS zone_id, z.kind, s.area_m2 AS site_m2,
                       ST_Area(ST_Intersection(s.geom, z.geom)::geography) AS m2
                  FROM constraint_zone z JOIN site s ON ST_Intersects(s.geom, z.geom)
                 WHERE z.id = ANY (zone_ids)) x
         WHERE x.m2 > 0.01;
    ELSE
        DELETE FROM site_constraint_overlap;
        INSERT INTO site_constraint_overlap (site_id, zone_id, zone_kind, overlap_m2, overlap_pct)
        SELECT x.site_id, x.zone_id, x.kind, x.m2,
               round((100.0 * x.m2 / NULLIF(x.site_m2, 0))::numeric, 3)
          FROM (SELECT s.id AS site_id, z.id AS zone_id, z.kind, s.area_m2 AS site_m2,
                       ST_Area(ST_Intersection(s.geom, z.geom)::geography) AS m2
                  FROM site s JOIN constraint_zone z ON ST_Intersects(s.geom, z.geom)) x
         WHERE x.m2 > 0.01;
    END IF;
END $$;
"""

# The functions as revision 0002 created them, restored on downgrade.
SLOW_REFRESH = r"""
CREATE OR REPLACE FUNCTION gis_app_refresh_site_distance(site_ids bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM site_distance WHERE site_ids IS NULL OR site_id = ANY (site_ids);
    INSERT INTO site_distance (site_id, infra_kind, infrastructure_id, distance_m)
    SELECT s.id, k.kind, n.id, n.d
      FROM site s
     CROSS JOIN (SELECT DISTINCT kind FROM infrastructure) k
     CROSS JOIN LATERAL (
           -- KNN on degrees picks candidates via the GiST index; the geodesic distance
           -- then decides, since a degree of longitude is shorter than one of latitude.
           SELECT c.id, c.d FROM (
               SELECT i.id, ST_Distance(s.geom::geography, i.geom::geography) AS d
                 FROM infrastructure i
                WHERE i.kind = k.kind
                ORDER BY i.geom <-> s.geom
                LIMIT 8) c
            ORDER BY c.d, c.id
            LIMIT 1) n
     WHERE site_ids IS NULL OR s.id = ANY (site_ids);
END $$;

CREATE OR REPLACE FUNCTION gis_app_refresh_overlap(site_ids bigint[], zone_ids bigint[])
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM site_constraint_overlap
     WHERE (site_ids IS NULL OR site_id = ANY (site_ids))
       AND (zone_ids IS NULL OR zone_id = ANY (zone_ids));
    INSERT INTO site_constraint_overlap (site_id, zone_id, zone_kind, overlap_m2, overlap_pct)
    SELECT x.site_id, x.zone_id, x.kind, x.m2, round((100.0 * x.m2 / NULLIF(x.site_m2, 0))::numeric, 3)
      FROM (
        SELECT s.id AS site_id, z.id AS zone_id, z.kind, s.area_m2 AS site_m2,
               ST_Area(ST_Intersection(s.geom, z.geom)::geography) AS m2
          FROM site s
          JOIN constraint_zone z ON ST_Intersects(s.geom, z.geom)
         WHERE (site_ids IS NULL OR s.id = ANY (site_ids))
           AND (zone_ids IS NULL OR z.id = ANY (zone_ids))
      ) x
     WHERE x.m2 > 0.01;  -- shared edges are not overlaps
END $$;
"""

TRIGGERS = rf"""
-- The largest overlap of a geometry with a zone that blocks availability (NULL when none).
CREATE FUNCTION gis_app_blocking_overlap(g geometry)
RETURNS TABLE (zone_id bigint, zone_code text, zone_kind text, zone_name text,
               overlap_m2 double precision)
LANGUAGE sql STABLE AS $$
    SELECT x.id, x.code, x.kind, x.name_zh, x.m2
      FROM (SELECT z.id, z.code, z.kind, z.name_zh,
                   ST_Area(ST_Intersection(g, z.geom)::geography) AS m2
              FROM constraint_zone z
             WHERE z.kind IN ({BLOCKING_KINDS}) AND ST_Intersects(g, z.geom)) x
     WHERE x.m2 > 0.01  -- shared edges are not overlaps (as in site_constraint_overlap)
     ORDER BY x.m2 DESC, x.code
     LIMIT 1
$$;

-- A site that overlaps a blocking zone cannot become 'available', and an available site cannot
-- take a geometry that overlaps one. Rows delivered that way (a ledger saying 可供 while the
-- overlay shows a conflict) are kept as delivered and flagged by site_constraint_overlap; the
-- conflict is resolved by a geometry edit that removes the overlap or another availability.
CREATE FUNCTION gis_app_check_blocking_overlap() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    b record;
BEGIN
    IF NEW.availability IS DISTINCT FROM 'available' THEN
        RETURN NEW;
    END IF;
    IF OLD.availability = 'available' AND ST_AsEWKB(OLD.geom) = ST_AsEWKB(NEW.geom) THEN
        RETURN NEW;
    END IF;
    SELECT * INTO b FROM gis_app_blocking_overlap(NEW.geom);
    IF b.zone_id IS NOT NULL THEN
        RAISE EXCEPTION 'site % (%) cannot be available: it overlaps % zone % (%) by % m²',
            NEW.code, NEW.name_zh, b.zone_kind, b.zone_code, b.zone_name, round(b.overlap_m2)
            USING ERRCODE = 'GA001',
                  HINT = 'remove the overlap from the geometry or choose another availability';
    END IF;
    RETURN NEW;
END $$;

-- A retired parcel (split or merged into others) keeps its last state for history.
CREATE FUNCTION gis_app_check_retired() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.retired_at IS NOT NULL AND NEW.retired_at IS NOT NULL
       AND to_jsonb(NEW) - ARRAY['version', 'updated_at', 'area_m2', 'area_mu', 'area_ha']
           IS DISTINCT FROM
           to_jsonb(OLD) - ARRAY['version', 'updated_at', 'area_m2', 'area_mu', 'area_ha'] THEN
        RAISE EXCEPTION 'site % (%) was retired on % (split or merged); edit its successors',
            OLD.code, OLD.name_zh, OLD.retired_at::date
            USING ERRCODE = 'GA002';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER site_check_blocking_overlap BEFORE UPDATE OF availability, geom ON site
    FOR EACH ROW EXECUTE FUNCTION gis_app_check_blocking_overlap();
CREATE TRIGGER site_check_retired BEFORE UPDATE ON site
    FOR EACH ROW EXECUTE FUNCTION gis_app_check_retired();
"""


def upgrade() -> None:
    op.add_column(
        "site",
        sa.Column(
            "parent_ids",
            postgresql.ARRAY(sa.BigInteger()),
            server_default="{}",
            nullable=False,
        ),
    )
    op.add_column("site", sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index(
        "ix_site_parent_ids", "site", ["parent_ids"], unique=False, postgresql_using="gin"
    )
    op.add_column("history", sa.Column("doc_ref", sa.Text(), nullable=True))
    op.execute(HISTORY_WITH_DOC_REF)
    op.execute(FAST_REFRESH)
    op.execute(TRIGGERS)


def downgrade() -> None:
    op.execute("""
        DROP TRIGGER IF EXISTS site_check_retired ON site;
        DROP TRIGGER IF EXISTS site_check_blocking_overlap ON site;
        DROP FUNCTION IF EXISTS gis_app_check_retired();
        DROP FUNCTION IF EXISTS gis_app_check_blocking_overlap();
        DROP FUNCTION IF EXISTS gis_app_blocking_overlap(geometry);
    """)
    op.execute(SLOW_REFRESH)
    op.execute("DROP FUNCTION IF EXISTS gis_app_site_distance_rows(bigint[])")
    op.execute(HISTORY_WITHOUT_DOC_REF)
    op.drop_column("history", "doc_ref")
    op.drop_index("ix_site_parent_ids", table_name="site", postgresql_using="gin")
    op.drop_column("site", "retired_at")
    op.drop_column("site", "parent_ids")
