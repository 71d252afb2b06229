"""Database logic: version/updated_at bump, history, derived distances and zone overlaps.

These live in the database (not in Python) so that edits from psql and QGIS get the same
version bumps, history rows and derived values as edits through the app.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VERSIONED = ("site", "building", "constraint_zone", "requirement")

UPGRADE = r"""
CREATE FUNCTION gis_app_bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- generated columns (areas) are not yet computed in NEW, so they are left out
    IF to_jsonb(NEW) - ARRAY['version', 'updated_at', 'area_m2', 'area_mu', 'area_ha']
       IS DISTINCT FROM
       to_jsonb(OLD) - ARRAY['version', 'updated_at', 'area_m2', 'area_mu', 'area_ha'] THEN
        NEW.version := OLD.version + 1;
        NEW.updated_at := clock_timestamp();
    ELSE
        NEW.version := OLD.version;
        NEW.updated_at := OLD.updated_at;
    END IF;
    NEW.created_at := OLD.created_at;
    RETURN NEW;
END $$;

CREATE FUNCTION gis_app_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := clock_timestamp();
    RETURN NEW;
END $$;

CREATE FUNCTION gis_app_changed_by() RETURNS text LANGUAGE sql STABLE AS $$
    SELECT COALESCE(
        NULLIF(current_setting('gis_app.user', true), ''),
        session_user || COALESCE(' via ' || NULLIF(current_setting('application_name', true), ''), '')
    )
$$;

CREATE FUNCTION gis_app_history() RETURNS trigger LANGUAGE plpgsql AS $$
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

-- Nearest infrastructure of each kind for the given sites (all sites when NULL).
CREATE FUNCTION gis_app_refresh_site_distance(site_ids bigint[]) RETURNS void
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

CREATE FUNCTION gis_app_site_distance_trg() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM gis_app_refresh_site_distance(ARRAY[NEW.id]);
    RETURN NULL;
END $$;

CREATE FUNCTION gis_app_infrastructure_trg() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM gis_app_refresh_site_distance(NULL);
    RETURN NULL;
END $$;

-- Overlap of sites with constraint zones; either side may be restricted.
CREATE FUNCTION gis_app_refresh_overlap(site_ids bigint[], zone_ids bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
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

CREATE FUNCTION gis_app_site_overlap_trg() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM gis_app_refresh_overlap(ARRAY[NEW.id], NULL);
    RETURN NULL;
END $$;

CREATE FUNCTION gis_app_zone_overlap_trg() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM gis_app_refresh_overlap(NULL, ARRAY[NEW.id]);
    RETURN NULL;
END $$;

-- Land-use codes must exist in the reference table (QGIS edits included).
CREATE FUNCTION gis_app_check_land_use() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.planned_use IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM land_use_code WHERE system = '2023' AND code = NEW.planned_use) THEN
        RAISE EXCEPTION 'site %: unknown planned_use % (2023 land/sea classification code)',
            NEW.code, NEW.planned_use USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.legacy_use IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM land_use_code WHERE system = 'gb50137' AND code = NEW.legacy_use) THEN
        RAISE EXCEPTION 'site %: unknown legacy_use % (GB 50137-2011 code)',
            NEW.code, NEW.legacy_use USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.current_use IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM land_use_code WHERE system = 'sandiao' AND code = NEW.current_use) THEN
        RAISE EXCEPTION 'site %: unknown current_use % (三调 GB/T 21010 code)',
            NEW.code, NEW.current_use USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER site_check_land_use BEFORE INSERT OR UPDATE OF planned_use, legacy_use, current_use
    ON site FOR EACH ROW EXECUTE FUNCTION gis_app_check_land_use();
CREATE TRIGGER site_distance AFTER INSERT OR UPDATE OF geom ON site
    FOR EACH ROW EXECUTE FUNCTION gis_app_site_distance_trg();
CREATE TRIGGER site_overlap AFTER INSERT OR UPDATE OF geom ON site
    FOR EACH ROW EXECUTE FUNCTION gis_app_site_overlap_trg();
CREATE TRIGGER infrastructure_distance AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON infrastructure FOR EACH STATEMENT EXECUTE FUNCTION gis_app_infrastructure_trg();
CREATE TRIGGER zone_overlap AFTER INSERT OR UPDATE OF geom, kind ON constraint_zone
    FOR EACH ROW EXECUTE FUNCTION gis_app_zone_overlap_trg();
"""


def upgrade() -> None:
    op.execute(UPGRADE)
    for table in VERSIONED:
        op.execute(
            f"CREATE TRIGGER {table}_bump_version BEFORE UPDATE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION gis_app_bump_version()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_history AFTER INSERT OR UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION gis_app_history()"
        )
    op.execute(
        "CREATE TRIGGER infrastructure_touch BEFORE UPDATE ON infrastructure "
        "FOR EACH ROW EXECUTE FUNCTION gis_app_touch()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS infrastructure_touch ON infrastructure")
    for table in VERSIONED:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_history ON {table}")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_bump_version ON {table}")
    op.execute("""
        DROP TRIGGER IF EXISTS zone_overlap ON constraint_zone;
        DROP TRIGGER IF EXISTS infrastructure_distance ON infrastructure;
        DROP TRIGGER IF EXISTS site_overlap ON site;
        DROP TRIGGER IF EXISTS site_distance ON site;
        DROP TRIGGER IF EXISTS site_check_land_use ON site;
        DROP FUNCTION IF EXISTS gis_app_check_land_use();
        DROP FUNCTION IF EXISTS gis_app_zone_overlap_trg();
        DROP FUNCTION IF EXISTS gis_app_site_overlap_trg();
        DROP FUNCTION IF EXISTS gis_app_refresh_overlap(bigint[], bigint[]);
        DROP FUNCTION IF EXISTS gis_app_infrastructure_trg();
        DROP FUNCTION IF EXISTS gis_app_site_distance_trg();
        DROP FUNCTION IF EXISTS gis_app_refresh_site_distance(bigint[]);
        DROP FUNCTION IF EXISTS gis_app_history();
        DROP FUNCTION IF EXISTS gis_app_changed_by();
        DROP FUNCTION IF EXISTS gis_app_bump_version();
        DROP FUNCTION IF EXISTS gis_app_touch();
    """)
