"""Schema for issue 3 (search and matching: alerts, match support).

Requirement columns the matcher reads (berth class near the port, building types, accepted
availability, size tolerance, near-miss margin, weights, land-use codes expanded across the two
classifications); ``requirement_match`` (which open requirements each site meets now) and
``alert``; the database functions and triggers built from ``gis_app.matching`` that keep both
current for edits from the app, psql and QGIS alike.

The functions' SQL and the land-use expansion are frozen below, generated once (issue 19) from
``gis_app.matching.sql.install_ddl()`` and ``gis_app.domain.landuse.expand_query()``: a
migration must do the same thing whatever the application code becomes. A later change to the
criteria ships as a new migration carrying the new SQL (``install_ddl()``'s text, pasted), which
replaces these functions; a test checks that the database holds the current predicate.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TEXT_ARRAY = postgresql.ARRAY(sa.Text())

#: the match functions and triggers (install_ddl() without its leading DROP_DDL)
FUNCTIONS = r"""
CREATE FUNCTION gis_app_site_meets_requirement(p_site_id bigint, p_requirement_id bigint)
RETURNS boolean LANGUAGE sql STABLE AS $fn$
SELECT COALESCE((
  SELECT (NOT COALESCE((true), false) OR (s.kind = ANY(CASE r.need WHEN 'land' THEN ARRAY['land']::text[] WHEN 'plant' THEN ARRAY['standard_plant', 'plant']::text[] WHEN 'building' THEN ARRAY['building']::text[] WHEN 'island' THEN ARRAY['island']::text[] WHEN 'shoreline' THEN ARRAY['shoreline', 'land', 'island']::text[] ELSE ARRAY[]::text[] END)))
  AND (NOT COALESCE((cardinality(r.land_use_2023_codes) + cardinality(r.land_use_gb_codes) > 0), false) OR ((s.planned_use = ANY(r.land_use_2023_codes) OR s.legacy_use = ANY(r.land_use_gb_codes))))
  AND (NOT COALESCE((true), false) OR (s.availability = ANY(r.accept_availability)))
  AND (NOT COALESCE((true), false) OR (NOT EXISTS (SELECT 1 FROM site_constraint_overlap o WHERE o.site_id = s.id AND o.zone_kind IN ('basic_farmland', 'ecological_redline'))))
  AND (NOT COALESCE((r.need IN ('land', 'island', 'shoreline') AND (r.land_mu_min IS NOT NULL OR r.land_mu_max IS NOT NULL)), false) OR ((r.land_mu_min IS NULL OR s.area_m2 >= (r.land_mu_min * 666.6666666666666 * (1 - (r.size_tolerance_pct / 100.0))) * (1 - 0)) AND (r.land_mu_max IS NULL OR s.area_m2 <= (r.land_mu_max * 666.6666666666666 * (1 + (r.size_tolerance_pct / 100.0))) * (1 + 0))))
  AND (NOT COALESCE((r.readiness_min IS NOT NULL), false) OR (array_position(ARRAY['raw', 'partly_cleared', 'cleared']::text[], s.readiness) >= array_position(ARRAY['raw', 'partly_cleared', 'cleared']::text[], r.readiness_min)))
  AND (NOT COALESCE((r.shoreline_min_m IS NOT NULL OR r.need = 'shoreline'), false) OR (s.shoreline_m > 0 AND s.shoreline_m >= COALESCE(r.shoreline_min_m, 0) * (1 - 0)))
  AND (NOT COALESCE((r.berth_dwt_min IS NOT NULL), false) OR (s.berth_dwt >= r.berth_dwt_min * (1 - 0)))
  AND (NOT COALESCE((r.water_depth_min_m IS NOT NULL), false) OR (s.water_depth_m >= r.water_depth_min_m * (1 - 0)))
  AND (NOT COALESCE((r.max_km_port IS NOT NULL), false) OR ((CASE WHEN r.port_berth_dwt_min IS NULL THEN (SELECT min(d.distance_m) FROM site_distance d WHERE d.site_id = s.id AND d.infra_kind IN ('port', 'wharf')) ELSE ST_Distance(s.geom::geography, (SELECT ST_Collect(i.geom)::geography FROM infrastructure i WHERE i.kind IN ('port', 'wharf') AND i.berth_dwt >= r.port_berth_dwt_min)) END) <= (r.max_km_port * 1000.0) * (1 + 0)))
  AND (NOT COALESCE((r.max_km_expressway IS NOT NULL), false) OR ((SELECT d.distance_m FROM site_distance d WHERE d.site_id = s.id AND d.infra_kind = 'expressway_interchange') <= (r.max_km_expressway * 1000.0) * (1 + 0)))
  AND (NOT COALESCE((r.max_km_ferry IS NOT NULL), false) OR ((SELECT d.distance_m FROM site_distance d WHERE d.site_id = s.id AND d.infra_kind = 'ferry_terminal') <= (r.max_km_ferry * 1000.0) * (1 + 0)))
  AND (NOT COALESCE((r.need IN ('land', 'island', 'shoreline') AND r.max_price_wan_per_mu IS NOT NULL), false) OR (s.reserve_price_wan_per_mu <= r.max_price_wan_per_mu * (1 + 0)))
  AND (NOT (r.need IN ('plant', 'building')) OR EXISTS (SELECT 1 FROM building b WHERE b.site_id = s.id
      AND (NOT COALESCE((r.need IN ('plant', 'building')), false) OR (b.building_type = ANY(CASE WHEN cardinality(r.building_types) > 0 THEN r.building_types ELSE CASE r.need WHEN 'plant' THEN ARRAY['standard_plant', 'single_storey_plant', 'multi_storey_plant']::text[] WHEN 'building' THEN ARRAY['office', 'commercial', 'mixed']::text[] ELSE ARRAY[]::text[] END END)))
      AND (NOT COALESCE((r.need IN ('plant', 'building')), false) OR (b.occupancy IN ('vacant', 'partly_vacant') AND b.vacant_gfa_m2 > 0))
      AND (NOT COALESCE((r.need IN ('plant', 'building') AND r.gfa_m2_min IS NOT NULL), false) OR (b.vacant_gfa_m2 >= (r.gfa_m2_min * (1 - (r.size_tolerance_pct / 100.0))) * (1 - 0)))
      AND (NOT COALESCE((r.need IN ('plant', 'building') AND r.gfa_m2_max IS NOT NULL), false) OR (COALESCE(b.min_split_m2, b.vacant_gfa_m2) <= (r.gfa_m2_max * (1 + (r.size_tolerance_pct / 100.0))) * (1 + 0)))
      AND (NOT COALESCE((r.need IN ('plant', 'building') AND r.tenure <> 'either'), false) OR (b.offer = ANY(CASE r.tenure WHEN 'lease' THEN ARRAY['lease', 'lease_or_sale']::text[] WHEN 'lease_then_sell' THEN ARRAY['lease', 'lease_or_sale']::text[] WHEN 'buy' THEN ARRAY['sale', 'lease_or_sale']::text[] ELSE ARRAY[]::text[] END)))
      AND (NOT COALESCE((r.need IN ('plant', 'building') AND r.height_min_m IS NOT NULL), false) OR (b.floor_height_m >= r.height_min_m * (1 - 0)))
      AND (NOT COALESCE((r.need IN ('plant', 'building') AND r.floor_load_min_kg_m2 IS NOT NULL), false) OR (b.floor_load_kg_m2 >= r.floor_load_min_kg_m2 * (1 - 0)))
      AND (NOT COALESCE((r.need IN ('plant', 'building') AND COALESCE(r.crane_min_t, 0) > 0), false) OR (b.crane_t >= r.crane_min_t * (1 - 0)))
      AND (NOT COALESCE((r.need IN ('plant', 'building') AND r.power_kva IS NOT NULL), false) OR (b.power_kva >= r.power_kva * (1 - 0)))
      AND (NOT COALESCE((r.need IN ('plant', 'building') AND r.max_rent_yuan_m2_month IS NOT NULL AND r.tenure <> 'buy'), false) OR (b.rent_yuan_m2_month <= r.max_rent_yuan_m2_month * (1 + 0)))))
    FROM site s, requirement r
   WHERE s.id = p_site_id AND r.id = p_requirement_id), false)
$fn$;
COMMENT ON FUNCTION gis_app_site_meets_requirement(bigint, bigint) IS
  'True when the site meets every hard constraint of the requirement (gis_app.matching)';

CREATE FUNCTION gis_app_requirement_site_ids(p_requirement_id bigint)
RETURNS SETOF bigint LANGUAGE plpgsql STABLE AS $fn$
DECLARE
    req requirement;
BEGIN
    SELECT * INTO req FROM requirement WHERE id = p_requirement_id;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    -- the requirement goes in as constants so that the planner can use the site indexes
    RETURN QUERY EXECUTE format($q$SELECT s.id FROM (SELECT %L::text AS need, %L::text AS tenure, %L::text[] AS land_use_2023_codes, %L::text[] AS land_use_gb_codes, %L::float8 AS land_mu_min, %L::float8 AS land_mu_max, %L::float8 AS gfa_m2_min, %L::float8 AS gfa_m2_max, %L::float8 AS size_tolerance_pct, %L::float8 AS invest_total_wan, %L::float8 AS tax_commit_wan_per_mu_yr, %L::float8 AS power_kva, %L::float8 AS water_t_d, %L::float8 AS wastewater_t_d, %L::float8 AS floor_load_min_kg_m2, %L::float8 AS height_min_m, %L::float8 AS crane_min_t, %L::float8 AS shoreline_min_m, %L::integer AS berth_dwt_min, %L::float8 AS water_depth_min_m, %L::float8 AS max_km_port, %L::integer AS port_berth_dwt_min, %L::float8 AS max_km_expressway, %L::float8 AS max_km_ferry, %L::float8 AS max_price_wan_per_mu, %L::float8 AS max_rent_yuan_m2_month, %L::text AS readiness_min, %L::text[] AS building_types, %L::text[] AS accept_availability, %L::text[] AS preferred_townships, %L::text[] AS preferred_blocks) r, site s WHERE (NOT COALESCE((true), false) OR (s.kind = ANY(CASE r.need WHEN 'land' THEN ARRAY['land']::text[] WHEN 'plant' THEN ARRAY['standard_plant', 'plant']::text[] WHEN 'building' THEN ARRAY['building']::text[] WHEN 'island' THEN ARRAY['island']::text[] WHEN 'shoreline' THEN ARRAY['shoreline', 'land', 'island']::text[] ELSE ARRAY[]::text[] END)))
  AND (NOT COALESCE((cardinality(r.land_use_2023_codes) + cardinality(r.land_use_gb_codes) > 0), false) OR ((s.planned_use = ANY(r.land_use_2023_codes) OR s.legacy_use = ANY(r.land_use_gb_codes))))
  AND (NOT COALESCE((true), false) OR (s.availability = ANY(r.accept_availability)))
  AND (NOT COALESCE((true), false) OR (NOT EXISTS (SELECT 1 FROM site_constraint_overlap o WHERE o.site_id = s.id AND o.zone_kind IN ('basic_farmland', 'ecological_redline'))))
  AND (NOT COALESCE((r.need IN ('land', 'island', 'shoreline') AND (r.land_mu_min IS NOT NULL OR r.land_mu_max IS NOT NULL)), false) OR ((r.land_mu_min IS NULL OR s.area_m2 >= (r.land_mu_min * 666.6666666666666 * (1 - (r.size_tolerance_pct / 100.0))) * (1 - 0)) AND (r.land_mu_max IS NULL OR s.area_m2 <= (r.land_mu_max * 666.6666666666666 * (1 + (r.size_tolerance_pct / 100.0))) * (1 + 0))))
  AND (NOT COALESCE((r.readiness_min IS NOT NULL), false) OR (array_position(ARRAY['raw', 'partly_cleared', 'cleared']::text[], s.readiness) >= array_position(ARRAY['raw', 'partly_cleared', 'cleared']::text[], r.readiness_min)))
  AND (NOT COALESCE((r.shoreline_min_m IS NOT NULL OR r.need = 'shoreline'), false) OR (s.shoreline_m > 0 AND s.shoreline_m >= COALESCE(r.shoreline_min_m, 0) * (1 - 0)))
  AND (NOT COALESCE((r.berth_dwt_min IS NOT NULL), false) OR (s.berth_dwt >= r.berth_dwt_min * (1 - 0)))
  AND (NOT COALESCE((r.water_depth_min_m IS NOT NULL), false) OR (s.water_depth_m >= r.water_depth_min_m * (1 - 0)))
  AND (NOT COALESCE((r.max_km_port IS NOT NULL), false) OR ((CASE WHEN r.port_berth_dwt_min IS NULL THEN (SELECT min(d.distance_m) FROM site_distance d WHERE d.site_id = s.id AND d.infra_kind IN ('port', 'wharf')) ELSE ST_Distance(s.geom::geography, (SELECT ST_Collect(i.geom)::geography FROM infrastructure i WHERE i.kind IN ('port', 'wharf') AND i.berth_dwt >= r.port_berth_dwt_min)) END) <= (r.max_km_port * 1000.0) * (1 + 0)))
  AND (NOT COALESCE((r.max_km_expressway IS NOT NULL), false) OR ((SELECT d.distance_m FROM site_distance d WHERE d.site_id = s.id AND d.infra_kind = 'expressway_interchange') <= (r.max_km_expressway * 1000.0) * (1 + 0)))
  AND (NOT COALESCE((r.max_km_ferry IS NOT NULL), false) OR ((SELECT d.distance_m FROM site_distance d WHERE d.site_id = s.id AND d.infra_kind = 'ferry_terminal') <= (r.max_km_ferry * 1000.0) * (1 + 0)))
  AND (NOT COALESCE((r.need IN ('land', 'island', 'shoreline') AND r.max_price_wan_per_mu IS NOT NULL), false) OR (s.reserve_price_wan_per_mu <= r.max_price_wan_per_mu * (1 + 0)))
  AND (NOT (r.need IN ('plant', 'building')) OR EXISTS (SELECT 1 FROM building b WHERE b.site_id = s.id
      AND (NOT COALESCE((r.need IN ('plant', 'building')), false) OR (b.building_type = ANY(CASE WHEN cardinality(r.building_types) > 0 THEN r.building_types ELSE CASE r.need WHEN 'plant' THEN ARRAY['standard_plant', 'single_storey_plant', 'multi_storey_plant']::text[] WHEN 'building' THEN ARRAY['office', 'commercial', 'mixed']::text[] ELSE ARRAY[]::text[] END END)))
      AND (NOT COALESCE((r.need IN ('plant', 'building')), false) OR (b.occupancy IN ('vacant', 'partly_vacant') AND b.vacant_gfa_m2 > 0))
      AND (NOT COALESCE((r.need IN ('plant', 'building') AND r.gfa_m2_min IS NOT NULL), false) OR (b.vacant_gfa_m2 >= (r.gfa_m2_min * (1 - (r.size_tolerance_pct / 100.0))) * (1 - 0)))
      AND (NOT COALESCE((r.need IN ('plant', 'building') AND r.gfa_m2_max IS NOT NULL), false) OR (COALESCE(b.min_split_m2, b.vacant_gfa_m2) <= (r.gfa_m2_max * (1 + (r.size_tolerance_pct / 100.0))) * (1 + 0)))
      AND (NOT COALESCE((r.need IN ('plant', 'building') AND r.tenure <> 'either'), false) OR (b.offer = ANY(CASE r.tenure WHEN 'lease' THEN ARRAY['lease', 'lease_or_sale']::text[] WHEN 'lease_then_sell' THEN ARRAY['lease', 'lease_or_sale']::text[] WHEN 'buy' THEN ARRAY['sale', 'lease_or_sale']::text[] ELSE ARRAY[]::text[] END)))
      AND (NOT COALESCE((r.need IN ('plant', 'building') AND r.height_min_m IS NOT NULL), false) OR (b.floor_height_m >= r.height_min_m * (1 - 0)))
      AND (NOT COALESCE((r.need IN ('plant', 'building') AND r.floor_load_min_kg_m2 IS NOT NULL), false) OR (b.floor_load_kg_m2 >= r.floor_load_min_kg_m2 * (1 - 0)))
      AND (NOT COALESCE((r.need IN ('plant', 'building') AND COALESCE(r.crane_min_t, 0) > 0), false) OR (b.crane_t >= r.crane_min_t * (1 - 0)))
      AND (NOT COALESCE((r.need IN ('plant', 'building') AND r.power_kva IS NOT NULL), false) OR (b.power_kva >= r.power_kva * (1 - 0)))
      AND (NOT COALESCE((r.need IN ('plant', 'building') AND r.max_rent_yuan_m2_month IS NOT NULL AND r.tenure <> 'buy'), false) OR (b.rent_yuan_m2_month <= r.max_rent_yuan_m2_month * (1 + 0)))))$q$, req.need, req.tenure, req.land_use_2023_codes, req.land_use_gb_codes, req.land_mu_min, req.land_mu_max, req.gfa_m2_min, req.gfa_m2_max, req.size_tolerance_pct, req.invest_total_wan, req.tax_commit_wan_per_mu_yr, req.power_kva, req.water_t_d, req.wastewater_t_d, req.floor_load_min_kg_m2, req.height_min_m, req.crane_min_t, req.shoreline_min_m, req.berth_dwt_min, req.water_depth_min_m, req.max_km_port, req.port_berth_dwt_min, req.max_km_expressway, req.max_km_ferry, req.max_price_wan_per_mu, req.max_rent_yuan_m2_month, req.readiness_min, req.building_types, req.accept_availability, req.preferred_townships, req.preferred_blocks);
END $fn$;

CREATE FUNCTION gis_app_alert_reason(p_site_id bigint, p_requirement_id bigint, p_change text)
RETURNS text LANGUAGE sql STABLE AS $fn$
SELECT format('地块 %s 现已满足需求「%s」(#%s) 的全部硬性条件 / Site %s now meets every hard '
              'constraint of requirement "%s" (#%s)%s',
              s.code, r.project_name, r.id, s.code, r.project_name, r.id,
              COALESCE(' — ' || p_change, ''))
  FROM site s, requirement r WHERE s.id = p_site_id AND r.id = p_requirement_id
$fn$;

-- Bring requirement_match up to date for one requirement; new pairs raise alerts if asked.
CREATE FUNCTION gis_app_sync_requirement_matches(
    p_requirement_id bigint, p_alert boolean, p_change text) RETURNS void
LANGUAGE plpgsql AS $fn$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM requirement
                    WHERE id = p_requirement_id AND status IN ('new', 'matching', 'recommended', 'visiting', 'negotiating')) THEN
        DELETE FROM requirement_match WHERE requirement_id = p_requirement_id;
        RETURN;
    END IF;
    WITH now_ok AS (
        SELECT gis_app_requirement_site_ids(p_requirement_id) AS site_id
    ), gone AS (
        DELETE FROM requirement_match m
         WHERE m.requirement_id = p_requirement_id
           AND m.site_id NOT IN (SELECT site_id FROM now_ok)
    ), added AS (
        INSERT INTO requirement_match (requirement_id, site_id)
        SELECT p_requirement_id, site_id FROM now_ok
        ON CONFLICT DO NOTHING
        RETURNING site_id
    )
    INSERT INTO alert (requirement_id, site_id, officer, reason)
    SELECT p_requirement_id, a.site_id, COALESCE(r.officer, r.created_by),
           gis_app_alert_reason(a.site_id, p_requirement_id, p_change)
      FROM added a JOIN requirement r ON r.id = p_requirement_id
     WHERE p_alert;
END $fn$;

-- Bring requirement_match up to date for one site; requirements it newly meets raise alerts.
CREATE FUNCTION gis_app_sync_site_matches(p_site_id bigint, p_change text) RETURNS void
LANGUAGE plpgsql AS $fn$
BEGIN
    WITH now_ok AS (
        SELECT r.id FROM requirement r
         WHERE r.status IN ('new', 'matching', 'recommended', 'visiting', 'negotiating')
           AND gis_app_site_meets_requirement(p_site_id, r.id)
    ), gone AS (
        DELETE FROM requirement_match m
         WHERE m.site_id = p_site_id AND m.requirement_id NOT IN (SELECT id FROM now_ok)
    ), added AS (
        INSERT INTO requirement_match (requirement_id, site_id)
        SELECT id, p_site_id FROM now_ok
        ON CONFLICT DO NOTHING
        RETURNING requirement_id
    )
    INSERT INTO alert (requirement_id, site_id, officer, reason)
    SELECT a.requirement_id, p_site_id, COALESCE(r.officer, r.created_by),
           gis_app_alert_reason(p_site_id, a.requirement_id, p_change)
      FROM added a JOIN requirement r ON r.id = a.requirement_id;
END $fn$;

CREATE FUNCTION gis_app_changed_fields(o jsonb, n jsonb) RETURNS text
LANGUAGE sql IMMUTABLE AS $fn$
SELECT string_agg(k, ', ' ORDER BY k)
  FROM jsonb_object_keys(n) k
 WHERE k <> ALL (ARRAY['version', 'updated_at']) AND (o -> k) IS DISTINCT FROM (n -> k)
$fn$;

CREATE FUNCTION gis_app_open_requirements() RETURNS boolean LANGUAGE sql STABLE AS $fn$
SELECT EXISTS (SELECT 1 FROM requirement WHERE status IN ('new', 'matching', 'recommended', 'visiting', 'negotiating'))
$fn$;

CREATE FUNCTION gis_app_site_match_trg() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
    fields text;
BEGIN
    -- bulk loads into an inventory without open requirements pay next to nothing
    -- (closed requirements keep no matches, so there is nothing to bring up to date either)
    IF NOT gis_app_open_requirements() THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        PERFORM gis_app_sync_site_matches(NEW.id, '新增地块 / new site');
        RETURN NULL;
    END IF;
    fields := gis_app_changed_fields(to_jsonb(OLD), to_jsonb(NEW));
    IF fields IS NOT NULL THEN
        PERFORM gis_app_sync_site_matches(NEW.id, '变更 / changed: ' || fields);
    END IF;
    RETURN NULL;
END $fn$;

CREATE FUNCTION gis_app_building_match_trg() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
    fields text;
BEGIN
    IF NOT gis_app_open_requirements() THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        fields := gis_app_changed_fields(to_jsonb(OLD), to_jsonb(NEW));
        IF fields IS NULL THEN
            RETURN NULL;
        END IF;
        PERFORM gis_app_sync_site_matches(
            NEW.site_id, format('建筑 / building %s 变更 / changed: %s', NEW.code, fields));
        IF OLD.site_id <> NEW.site_id THEN
            PERFORM gis_app_sync_site_matches(
                OLD.site_id, format('建筑 / building %s 移出 / moved out', OLD.code));
        END IF;
    ELSIF TG_OP = 'INSERT' THEN
        PERFORM gis_app_sync_site_matches(
            NEW.site_id, format('新增建筑 / new building %s', NEW.code));
    ELSE
        PERFORM gis_app_sync_site_matches(
            OLD.site_id, format('删除建筑 / building %s removed', OLD.code));
    END IF;
    RETURN NULL;
END $fn$;

CREATE FUNCTION gis_app_requirement_match_trg() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    -- a new or edited requirement takes the sites that meet it now, without alerts
    PERFORM gis_app_sync_requirement_matches(NEW.id, false, NULL);
    RETURN NULL;
END $fn$;

CREATE FUNCTION gis_app_context_match_trg() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
    rid bigint;
BEGIN
    FOR rid IN SELECT id FROM requirement WHERE status IN ('new', 'matching', 'recommended', 'visiting', 'negotiating') ORDER BY id LOOP
        PERFORM gis_app_sync_requirement_matches(
            rid, true, format('%s 变更 / %s changed', TG_TABLE_NAME, TG_TABLE_NAME));
    END LOOP;
    RETURN NULL;
END $fn$;

-- Names sort after site_distance and site_overlap, so derived tables are current when these run.
CREATE TRIGGER site_requirement_match AFTER INSERT OR UPDATE ON site
    FOR EACH ROW EXECUTE FUNCTION gis_app_site_match_trg();
CREATE TRIGGER building_requirement_match AFTER INSERT OR UPDATE OR DELETE ON building
    FOR EACH ROW EXECUTE FUNCTION gis_app_building_match_trg();
CREATE TRIGGER requirement_requirement_match AFTER INSERT OR UPDATE ON requirement
    FOR EACH ROW EXECUTE FUNCTION gis_app_requirement_match_trg();
CREATE TRIGGER zone_requirement_match AFTER INSERT OR UPDATE OR DELETE ON constraint_zone
    FOR EACH STATEMENT EXECUTE FUNCTION gis_app_context_match_trg();
CREATE TRIGGER infrastructure_requirement_match AFTER INSERT OR UPDATE OR DELETE
    ON infrastructure FOR EACH STATEMENT EXECUTE FUNCTION gis_app_context_match_trg();
"""

DROP = """
DROP TRIGGER IF EXISTS infrastructure_requirement_match ON infrastructure;
DROP TRIGGER IF EXISTS zone_requirement_match ON constraint_zone;
DROP TRIGGER IF EXISTS requirement_requirement_match ON requirement;
DROP TRIGGER IF EXISTS building_requirement_match ON building;
DROP TRIGGER IF EXISTS site_requirement_match ON site;
DROP FUNCTION IF EXISTS gis_app_context_match_trg();
DROP FUNCTION IF EXISTS gis_app_requirement_match_trg();
DROP FUNCTION IF EXISTS gis_app_building_match_trg();
DROP FUNCTION IF EXISTS gis_app_site_match_trg();
DROP FUNCTION IF EXISTS gis_app_changed_fields(jsonb, jsonb);
DROP FUNCTION IF EXISTS gis_app_open_requirements();
DROP FUNCTION IF EXISTS gis_app_sync_site_matches(bigint, text);
DROP FUNCTION IF EXISTS gis_app_sync_requirement_matches(bigint, boolean, text);
DROP FUNCTION IF EXISTS gis_app_alert_reason(bigint, bigint, text);
DROP FUNCTION IF EXISTS gis_app_requirement_site_ids(bigint);
DROP FUNCTION IF EXISTS gis_app_site_meets_requirement(bigint, bigint);
"""

# fmt: off
#: every 2023 and GB 50137 code → the 2023 codes and the GB 50137 codes (space-separated) that a
#: site may carry to match it: landuse.expand_query(code)
LAND_USE_SETS: dict[str, tuple[str, str]] = {
    "01": ("01 0101 0102 0103", "E2"),
    "0101": ("0101", "E2"),
    "0102": ("0102", "E2"),
    "0103": ("0103", "E2"),
    "02": ("02 0201 0202 0203 0204 0205", "E2"),
    "0201": ("0201", "E2"),
    "0202": ("0202", "E2"),
    "0203": ("0203", "E2"),
    "0204": ("0204", "E2"),
    "0205": ("0205", "E2"),
    "03": ("03 0301 0302 0303 0304", "E2"),
    "0301": ("0301", "E2"),
    "0302": ("0302", "E2"),
    "0303": ("0303", "E2"),
    "0304": ("0304", "E2"),
    "04": ("04 0401 0402 0403", "E2"),
    "0401": ("0401", "E2"),
    "0402": ("0402", "E2"),
    "0403": ("0403", "E2"),
    "05": ("05 0501 0502 0503 0504 0505 0506 0507", "E11 E2 E9"),
    "0501": ("0501", "E9"),
    "0502": ("0502", "E9"),
    "0503": ("0503", "E9"),
    "0504": ("0504", "E9"),
    "0505": ("0505", "E11"),
    "0506": ("0506", "E11"),
    "0507": ("0507", "E2"),
    "06": ("06 0601 060101 060102 0602 060201 060202 060203", "E2"),
    "0601": ("0601 060101 060102", "E2"),
    "060101": ("060101", "E2"),
    "060102": ("060102", "E2"),
    "0602": ("0602 060201 060202 060203", "E2"),
    "060201": ("060201", "E2"),
    "060202": ("060202", "E2"),
    "060203": ("060203", "E2"),
    "07": ("07 0701 070101 070102 070103 0702 0703 070301 070302 0704", "R R1 R11 R12 R2 R21 R22 R3 R31 R32"),
    "0701": ("0701 070101 070102 070103", "R1 R11 R12 R2 R21 R22 R3 R31 R32"),
    "070101": ("070101", "R1 R11 R12"),
    "070102": ("070102", "R2 R21 R22"),
    "070103": ("070103", "R3 R31 R32"),
    "0702": ("0702", "R12 R22 R32"),
    "0703": ("0703 070301 070302", "R R1 R11 R12 R2 R21 R22 R3 R31 R32"),
    "070301": ("070301", "R R1 R11 R12 R2 R21 R22 R3 R31 R32"),
    "070302": ("070302", "R R1 R11 R12 R2 R21 R22 R3 R31 R32"),
    "0704": ("0704", "R R1 R11 R12 R2 R21 R22 R3 R31 R32"),
    "08": ("08 0801 0802 0803 080301 080302 0804 080401 080402 080403 080404 080405 0805 080501 080502 0806 080601 080602 080603 0807 080701 080702 080703 080704", "A A1 A2 A21 A22 A3 A31 A32 A33 A34 A35 A4 A41 A42 A5 A51 A52 A53 A59 A6 A7 A8 A9"),
    "0801": ("0801", "A1"),
    "0802": ("0802", "A35"),
    "0803": ("0803 080301 080302", "A2 A21 A22"),
    "080301": ("080301", "A21"),
    "080302": ("080302", "A22"),
    "0804": ("0804 080401 080402 080403 080404 080405", "A3 A31 A32 A33 A34 A35"),
    "080401": ("080401", "A31"),
    "080402": ("080402", "A32"),
    "080403": ("080403", "A33"),
    "080404": ("080404", "A3 A31 A32 A33 A34 A35"),
    "080405": ("080405", "A34"),
    "0805": ("0805 080501 080502", "A4 A41 A42"),
    "080501": ("080501", "A41"),
    "080502": ("080502", "A42"),
    "0806": ("0806 080601 080602 080603", "A5 A51 A52 A53 A59"),
    "080601": ("080601", "A51"),
    "080602": ("080602", "A5 A51 A52 A53 A59"),
    "080603": ("080603", "A52"),
    "0807": ("0807 080701 080702 080703 080704", "A6"),
    "080701": ("080701", "A6"),
    "080702": ("080702", "A6"),
    "080703": ("080703", "A6"),
    "080704": ("080704", "A6"),
    "09": ("09 0901 090101 090102 090103 090104 090105 0902 0903 0904", "B B1 B11 B12 B13 B14 B2 B21 B22 B29 B3 B31 B32 B4 B41 B49 B9"),
    "0901": ("0901 090101 090102 090103 090104 090105", "B1 B11 B12 B13 B14 B4 B41 B49"),
    "090101": ("090101", "B11"),
    "090102": ("090102", "B12"),
    "090103": ("090103", "B13"),
    "090104": ("090104", "B14"),
    "090105": ("090105", "B4 B41 B49"),
    "0902": ("0902", "B2 B21 B22 B29"),
    "0903": ("0903", "B31"),
    "0904": ("0904", "B9"),
    "10": ("10 1001 100101 100102 100103 1002 1003", "H5 M M1 M2 M3"),
    "1001": ("1001 100101 100102 100103", "M M1 M2 M3"),
    "100101": ("100101", "M1"),
    "100102": ("100102", "M2"),
    "100103": ("100103", "M3"),
    "1002": ("1002", "H5"),
    "1003": ("1003", "H5"),
    "11": ("11 1101 110101 110102 110103 1102", "W W1 W2 W3"),
    "1101": ("1101 110101 110102 110103", "W W1 W2 W3"),
    "110101": ("110101", "W1"),
    "110102": ("110102", "W2"),
    "110103": ("110103", "W3"),
    "1102": ("1102", "W W1 W2 W3"),
    "12": ("12 1201 1202 1203 1204 1205 1206 1207 1208 120801 120802 120803 1209", "H21 H22 H23 H24 H25 S1 S2 S3 S4 S41 S42 S9"),
    "1201": ("1201", "H21"),
    "1202": ("1202", "H22"),
    "1203": ("1203", "H24"),
    "1204": ("1204", "H23"),
    "1205": ("1205", "H25"),
    "1206": ("1206", "S2"),
    "1207": ("1207", "S1"),
    "1208": ("1208 120801 120802 120803", "S3 S4 S41 S42"),
    "120801": ("120801", "S3"),
    "120802": ("120802", "S41"),
    "120803": ("120803", "S42"),
    "1209": ("1209", "S9"),
    "13": ("13 1301 1302 1303 1304 1305 1306 1307 1308 1309 1310 1311 1312", "H3 U U1 U11 U12 U13 U14 U15 U16 U2 U21 U22 U3 U31 U32 U9"),
    "1301": ("1301", "U11"),
    "1302": ("1302", "U21"),
    "1303": ("1303", "U12"),
    "1304": ("1304", "U13"),
    "1305": ("1305", "U14"),
    "1306": ("1306", "U15"),
    "1307": ("1307", "U15"),
    "1308": ("1308", "U16"),
    "1309": ("1309", "U22"),
    "1310": ("1310", "U31"),
    "1311": ("1311", "U32"),
    "1312": ("1312", "U9"),
    "14": ("14 1401 1402 1403", "G G1 G2 G3"),
    "1401": ("1401", "G1"),
    "1402": ("1402", "G2"),
    "1403": ("1403", "G3"),
    "15": ("15 1501 1502 1503 1504 1505 1506 1507", "A7 A8 A9 B9 H41 H42 H9"),
    "1501": ("1501", "H41"),
    "1502": ("1502", "A8"),
    "1503": ("1503", "A9"),
    "1504": ("1504", "A7"),
    "1505": ("1505", "H42"),
    "1506": ("1506", "B9"),
    "1507": ("1507", "H9"),
    "16": ("16", ""),
    "17": ("17 1701 1702 1703 1704 1705 1706", "E1 E11 E12 E13"),
    "1701": ("1701", "E11"),
    "1702": ("1702", "E11"),
    "1703": ("1703", "E12"),
    "1704": ("1704", "E13"),
    "1705": ("1705", "E13"),
    "1706": ("1706", "E11"),
    "18": ("18 1801 1802 1803 1804", ""),
    "1801": ("1801", ""),
    "1802": ("1802", ""),
    "1803": ("1803", ""),
    "1804": ("1804", ""),
    "19": ("19 1901 1902 1903 1904 1905 1906", ""),
    "1901": ("1901", ""),
    "1902": ("1902", ""),
    "1903": ("1903", ""),
    "1904": ("1904", ""),
    "1905": ("1905", ""),
    "1906": ("1906", ""),
    "20": ("20 2001 2002 2003 2004 2005", ""),
    "2001": ("2001", ""),
    "2002": ("2002", ""),
    "2003": ("2003", ""),
    "2004": ("2004", ""),
    "2005": ("2005", ""),
    "21": ("21 2101 2102", ""),
    "2101": ("2101", ""),
    "2102": ("2102", ""),
    "22": ("22 2201 2202 2203 2204 2205 2206", ""),
    "2201": ("2201", ""),
    "2202": ("2202", ""),
    "2203": ("2203", ""),
    "2204": ("2204", ""),
    "2205": ("2205", ""),
    "2206": ("2206", ""),
    "23": ("23 2301 2302 2303 2304 2305 2306 2307", "E2 E9"),
    "2301": ("2301", "E9"),
    "2302": ("2302", "E9"),
    "2303": ("2303", "E2"),
    "2304": ("2304", "E9"),
    "2305": ("2305", "E9"),
    "2306": ("2306", "E9"),
    "2307": ("2307", "E9"),
    "24": ("24", ""),
    "R": ("07 0701 070101 070102 070103 0702 0703 070301 070302 0704", "R R1 R11 R12 R2 R21 R22 R3 R31 R32"),
    "R1": ("070101 0702", "R1 R11 R12"),
    "R11": ("070101", "R11"),
    "R12": ("0702", "R12"),
    "R2": ("070102 0702", "R2 R21 R22"),
    "R21": ("070102", "R21"),
    "R22": ("0702", "R22"),
    "R3": ("070103 0702", "R3 R31 R32"),
    "R31": ("070103", "R31"),
    "R32": ("0702", "R32"),
    "A": ("08 0801 0802 0803 080301 080302 0804 080401 080402 080403 080404 080405 0805 080501 080502 0806 080601 080602 080603 0807 080701 080702 080703 080704 1502 1503 1504", "A A1 A2 A21 A22 A3 A31 A32 A33 A34 A35 A4 A41 A42 A5 A51 A52 A53 A59 A6 A7 A8 A9"),
    "A1": ("0801", "A1"),
    "A2": ("0803 080301 080302", "A2 A21 A22"),
    "A21": ("080301", "A21"),
    "A22": ("080302", "A22"),
    "A3": ("0802 0804 080401 080402 080403 080404 080405", "A3 A31 A32 A33 A34 A35"),
    "A31": ("080401", "A31"),
    "A32": ("080402", "A32"),
    "A33": ("080403", "A33"),
    "A34": ("080405", "A34"),
    "A35": ("0802", "A35"),
    "A4": ("0805 080501 080502", "A4 A41 A42"),
    "A41": ("080501", "A41"),
    "A42": ("080502", "A42"),
    "A5": ("0806 080601 080602 080603", "A5 A51 A52 A53 A59"),
    "A51": ("080601", "A51"),
    "A52": ("080603", "A52"),
    "A53": ("0806 080601 080602 080603", "A53"),
    "A59": ("0806 080601 080602 080603", "A59"),
    "A6": ("0807 080701 080702 080703 080704", "A6"),
    "A7": ("1504", "A7"),
    "A8": ("1502", "A8"),
    "A9": ("1503", "A9"),
    "B": ("09 0901 090101 090102 090103 090104 090105 0902 0903 0904 1506", "B B1 B11 B12 B13 B14 B2 B21 B22 B29 B3 B31 B32 B4 B41 B49 B9"),
    "B1": ("0901 090101 090102 090103 090104 090105", "B1 B11 B12 B13 B14"),
    "B11": ("090101", "B11"),
    "B12": ("090102", "B12"),
    "B13": ("090103", "B13"),
    "B14": ("090104", "B14"),
    "B2": ("0902", "B2 B21 B22 B29"),
    "B21": ("0902", "B21"),
    "B22": ("0902", "B22"),
    "B29": ("0902", "B29"),
    "B3": ("0903", "B3 B31 B32"),
    "B31": ("0903", "B31"),
    "B32": ("09 0901 090101 090102 090103 090104 090105 0902 0903 0904", "B32"),
    "B4": ("090105", "B4 B41 B49"),
    "B41": ("090105", "B41"),
    "B49": ("090105", "B49"),
    "B9": ("0904 1506", "B9"),
    "M": ("1001 100101 100102 100103", "M M1 M2 M3"),
    "M1": ("100101", "M1"),
    "M2": ("100102", "M2"),
    "M3": ("100103", "M3"),
    "W": ("11 1101 110101 110102 110103 1102", "W W1 W2 W3"),
    "W1": ("110101", "W1"),
    "W2": ("110102", "W2"),
    "W3": ("110103", "W3"),
    "S": ("1206 1207 1208 120801 120802 120803 1209", "S S1 S2 S3 S4 S41 S42 S9"),
    "S1": ("1207", "S1"),
    "S2": ("1206", "S2"),
    "S3": ("120801", "S3"),
    "S4": ("1208 120801 120802 120803", "S4 S41 S42"),
    "S41": ("120802", "S41"),
    "S42": ("120803", "S42"),
    "S9": ("1209", "S9"),
    "U": ("13 1301 1302 1303 1304 1305 1306 1307 1308 1309 1310 1311 1312", "U U1 U11 U12 U13 U14 U15 U16 U2 U21 U22 U3 U31 U32 U9"),
    "U1": ("1301 1303 1304 1305 1306 1307 1308", "U1 U11 U12 U13 U14 U15 U16"),
    "U11": ("1301", "U11"),
    "U12": ("1303", "U12"),
    "U13": ("1304", "U13"),
    "U14": ("1305", "U14"),
    "U15": ("1306 1307", "U15"),
    "U16": ("1308", "U16"),
    "U2": ("1302 1309", "U2 U21 U22"),
    "U21": ("1302", "U21"),
    "U22": ("1309", "U22"),
    "U3": ("1310 1311", "U3 U31 U32"),
    "U31": ("1310", "U31"),
    "U32": ("1311", "U32"),
    "U9": ("1312", "U9"),
    "G": ("14 1401 1402 1403", "G G1 G2 G3"),
    "G1": ("1401", "G1"),
    "G2": ("1402", "G2"),
    "G3": ("1403", "G3"),
    "H": ("1002 1003 1201 1202 1203 1204 1205 13 1301 1302 1303 1304 1305 1306 1307 1308 1309 1310 1311 1312 1501 1505 1507", "H H1 H11 H12 H13 H14 H2 H21 H22 H23 H24 H25 H3 H4 H41 H42 H5 H9"),
    "H1": ("", "H1 H11 H12 H13 H14"),
    "H11": ("", "H11"),
    "H12": ("", "H12"),
    "H13": ("", "H13"),
    "H14": ("", "H14"),
    "H2": ("1201 1202 1203 1204 1205", "H2 H21 H22 H23 H24 H25"),
    "H21": ("1201", "H21"),
    "H22": ("1202", "H22"),
    "H23": ("1204", "H23"),
    "H24": ("1203", "H24"),
    "H25": ("1205", "H25"),
    "H3": ("13 1301 1302 1303 1304 1305 1306 1307 1308 1309 1310 1311 1312", "H3"),
    "H4": ("1501 1505", "H4 H41 H42"),
    "H41": ("1501", "H41"),
    "H42": ("1505", "H42"),
    "H5": ("1002 1003", "H5"),
    "H9": ("1507", "H9"),
    "E": ("01 0101 0102 0103 02 0201 0202 0203 0204 0205 03 0301 0302 0303 0304 04 0401 0402 0403 0501 0502 0503 0504 0505 0506 0507 06 0601 060101 060102 0602 060201 060202 060203 17 1701 1702 1703 1704 1705 1706 2301 2302 2303 2304 2305 2306 2307", "E E1 E11 E12 E13 E2 E9"),
    "E1": ("0505 0506 17 1701 1702 1703 1704 1705 1706", "E1 E11 E12 E13"),
    "E11": ("0505 0506 1701 1702 1706", "E11"),
    "E12": ("1703", "E12"),
    "E13": ("1704 1705", "E13"),
    "E2": ("01 0101 0102 0103 02 0201 0202 0203 0204 0205 03 0301 0302 0303 0304 04 0401 0402 0403 0507 06 0601 060101 060102 0602 060201 060202 060203 2303", "E2"),
    "E9": ("0501 0502 0503 0504 2301 2302 2304 2305 2306 2307", "E9"),
}
# fmt: on


def upgrade() -> None:
    op.add_column("requirement", sa.Column("port_berth_dwt_min", sa.Integer(), nullable=True))
    op.add_column(
        "requirement",
        sa.Column("building_types", _TEXT_ARRAY, server_default="{}", nullable=False),
    )
    op.add_column(
        "requirement",
        sa.Column("accept_availability", _TEXT_ARRAY, server_default="{available}", nullable=False),
    )
    op.add_column(
        "requirement",
        sa.Column("size_tolerance_pct", sa.Float(), server_default="0", nullable=False),
    )
    op.add_column(
        "requirement",
        sa.Column("near_miss_margin_pct", sa.Float(), server_default="10", nullable=False),
    )
    op.add_column(
        "requirement",
        sa.Column(
            "weights", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False
        ),
    )
    op.add_column(
        "requirement",
        sa.Column("land_use_2023_codes", _TEXT_ARRAY, server_default="{}", nullable=False),
    )
    op.add_column(
        "requirement",
        sa.Column("land_use_gb_codes", _TEXT_ARRAY, server_default="{}", nullable=False),
    )
    op.create_check_constraint(
        op.f("ck_requirement_size_tolerance_range"),
        "requirement",
        "size_tolerance_pct BETWEEN 0 AND 50",
    )
    op.create_check_constraint(
        op.f("ck_requirement_near_miss_margin_range"),
        "requirement",
        "near_miss_margin_pct BETWEEN 0 AND 50",
    )

    op.create_table(
        "requirement_match",
        sa.Column("requirement_id", sa.BigInteger(), nullable=False),
        sa.Column("site_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "since", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["requirement_id"],
            ["requirement.id"],
            name=op.f("fk_requirement_match_requirement_id_requirement"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["site_id"],
            ["site.id"],
            name=op.f("fk_requirement_match_site_id_site"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("requirement_id", "site_id", name=op.f("pk_requirement_match")),
    )
    op.create_index(
        op.f("ix_requirement_match_site_id"), "requirement_match", ["site_id"], unique=False
    )
    op.create_table(
        "alert",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("requirement_id", sa.BigInteger(), nullable=False),
        sa.Column("site_id", sa.BigInteger(), nullable=False),
        sa.Column("officer", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["requirement_id"],
            ["requirement.id"],
            name=op.f("fk_alert_requirement_id_requirement"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_alert_site_id_site"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert")),
    )
    op.create_index(op.f("ix_alert_requirement_id"), "alert", ["requirement_id"], unique=False)
    op.create_index(op.f("ix_alert_site_id"), "alert", ["site_id"], unique=False)
    op.create_index("ix_alert_officer_created_at", "alert", ["officer", "created_at"], unique=False)

    op.create_index(
        "ix_site_kind_availability_area_m2",
        "site",
        ["kind", "availability", "area_m2"],
        unique=False,
    )
    op.create_index(
        "ix_building_building_type_vacant_gfa_m2",
        "building",
        ["building_type", "vacant_gfa_m2"],
        unique=False,
    )

    op.execute(FUNCTIONS)

    # Existing requirements: expand their land-use codes (the trigger then fills the matches).
    conn = op.get_bind()
    rows = conn.execute(
        sa.text("SELECT id, land_use_codes FROM requirement WHERE cardinality(land_use_codes) > 0")
    ).all()
    for rid, codes in rows:
        c2023: set[str] = set()
        cgb: set[str] = set()
        for code in codes:
            if code not in LAND_USE_SETS:  # not a code of either classification
                continue
            a, b = LAND_USE_SETS[code]
            c2023 |= set(a.split())
            cgb |= set(b.split())
        conn.execute(
            sa.text(
                "UPDATE requirement SET land_use_2023_codes = :a, land_use_gb_codes = :b "
                "WHERE id = :id"
            ),
            {"a": sorted(c2023), "b": sorted(cgb), "id": rid},
        )
    op.execute("SELECT gis_app_sync_requirement_matches(id, false, NULL) FROM requirement")


def downgrade() -> None:
    op.execute(DROP)
    op.drop_index("ix_building_building_type_vacant_gfa_m2", table_name="building")
    op.drop_index("ix_site_kind_availability_area_m2", table_name="site")
    op.drop_index("ix_alert_officer_created_at", table_name="alert")
    op.drop_index(op.f("ix_alert_site_id"), table_name="alert")
    op.drop_index(op.f("ix_alert_requirement_id"), table_name="alert")
    op.drop_table("alert")
    op.drop_index(op.f("ix_requirement_match_site_id"), table_name="requirement_match")
    op.drop_table("requirement_match")
    op.drop_constraint(op.f("ck_requirement_near_miss_margin_range"), "requirement", type_="check")
    op.drop_constraint(op.f("ck_requirement_size_tolerance_range"), "requirement", type_="check")
    for column in (
        "land_use_gb_codes",
        "land_use_2023_codes",
        "weights",
        "near_miss_margin_pct",
        "size_tolerance_pct",
        "accept_availability",
        "building_types",
        "port_berth_dwt_min",
    ):
        op.drop_column("requirement", column)
