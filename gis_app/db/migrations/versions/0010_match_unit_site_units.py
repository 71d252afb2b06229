"""Match units of buildings carry how many vacant buildings their site has.

A plant or building request lists sites, not buildings: the match query counted the sites with a
fitting building, kept each site's best building and left a site out of the near misses when
another of its buildings fits, by grouping every candidate building by site. At a million sites
that grouping was a fifth of the query (25,000 candidate sites). Most sites have one vacant
building, and such a site needs no grouping: its building is the site. ``site_units`` (on
building units: the number of the site's buildings with vacant floor area) tells the query
which candidates those are, so that it groups only the buildings of sites with several, and it
bounds how many rows one site can have in a list.

Kept by the same triggers as the rest of the unit: a site's refresh computes it for all its
buildings; a building insert, delete, move or vacancy change recounts its site (and the site it
left).

The SQL is literal: this revision carries its own copy of what it installs and of revision
0008's definitions that its downgrade restores, instead of deriving them from 0008's module
(see ``gis_app/db/migrations/env.py`` for why a revision never imports another one).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: the unit's columns: revision 0008's, then the new count
PAYLOAD = (
    "site_id", "site_code", "building_id", "building_code", "d_port", "d_expressway", "d_ferry",
    "blocked", "envelope", "kind", "planned_use", "legacy_use", "availability", "area_m2",
    "area_mu", "readiness", "shoreline_m", "berth_dwt", "water_depth_m",
    "reserve_price_wan_per_mu", "policy_status", "quota_status", "planning_status", "township",
    "block", "far_max", "height_limit_m", "standard_land", "invest_intensity_wan_per_mu",
    "tax_wan_per_mu_yr", "utilities", "verified_at", "building_type", "occupancy",
    "vacant_gfa_m2", "min_split_m2", "offer", "floor_height_m", "floor_load_kg_m2", "crane_t",
    "power_kva", "rent_yuan_m2_month", "sale_yuan_m2", "site_units",
)  # fmt: skip

FUNCTIONS = r"""
DROP FUNCTION gis_app_match_unit_rows(bigint[]);
CREATE FUNCTION gis_app_match_unit_rows(site_ids bigint[])
RETURNS TABLE (site_id bigint, site_code text, building_id bigint, building_code text, d_port float8, d_expressway float8, d_ferry float8, blocked boolean, envelope geometry, kind text, planned_use text, legacy_use text, availability text, area_m2 float8, area_mu float8, readiness text, shoreline_m float8, berth_dwt integer, water_depth_m float8, reserve_price_wan_per_mu float8, policy_status text, quota_status text, planning_status text, township text, block text, far_max float8, height_limit_m float8, standard_land boolean, invest_intensity_wan_per_mu float8, tax_wan_per_mu_yr float8, utilities text[], verified_at date, building_type text, occupancy text, vacant_gfa_m2 float8, min_split_m2 float8, offer text, floor_height_m float8, floor_load_kg_m2 float8, crane_t float8, power_kva float8, rent_yuan_m2_month float8, sale_yuan_m2 float8, site_units smallint)
LANGUAGE sql STABLE AS $$
    WITH s AS (
        SELECT s.*,
               (SELECT min(d.distance_m) FROM site_distance d
                 WHERE d.site_id = s.id AND d.infra_kind IN ('port', 'wharf')) AS d_port,
               (SELECT d.distance_m FROM site_distance d
                 WHERE d.site_id = s.id AND d.infra_kind = 'expressway_interchange')
                 AS d_expressway,
               (SELECT d.distance_m FROM site_distance d
                 WHERE d.site_id = s.id AND d.infra_kind = 'ferry_terminal') AS d_ferry,
               EXISTS (SELECT 1 FROM site_constraint_overlap o
                        WHERE o.site_id = s.id AND o.zone_kind IN ('basic_farmland', 'ecological_redline')) AS blocked
          FROM site s
         WHERE s.retired_at IS NULL AND (site_ids IS NULL OR s.id = ANY (site_ids))
    )
    SELECT s.id, s.code, NULL::bigint, NULL::text, s.d_port, s.d_expressway, s.d_ferry, s.blocked, ST_Envelope(s.geom), s.kind, s.planned_use, s.legacy_use, s.availability, s.area_m2, s.area_mu, s.readiness, s.shoreline_m, s.berth_dwt, s.water_depth_m, s.reserve_price_wan_per_mu, s.policy_status, s.quota_status, s.planning_status, s.township, s.block, s.far_max, s.height_limit_m, s.standard_land, s.invest_intensity_wan_per_mu, s.tax_wan_per_mu_yr, s.utilities, s.verified_at, NULL::text, NULL::text, NULL::float8, NULL::float8, NULL::text, NULL::float8, NULL::float8, NULL::float8, NULL::float8, NULL::float8, NULL::float8, NULL::smallint FROM s
    UNION ALL
    SELECT s.id, s.code, b.id, b.code, s.d_port, s.d_expressway, s.d_ferry, s.blocked, ST_Envelope(s.geom), s.kind, s.planned_use, s.legacy_use, s.availability, s.area_m2, s.area_mu, s.readiness, s.shoreline_m, s.berth_dwt, s.water_depth_m, s.reserve_price_wan_per_mu, s.policy_status, s.quota_status, s.planning_status, s.township, s.block, s.far_max, s.height_limit_m, s.standard_land, s.invest_intensity_wan_per_mu, s.tax_wan_per_mu_yr, s.utilities, s.verified_at, b.building_type, b.occupancy, b.vacant_gfa_m2, b.min_split_m2, b.offer, b.floor_height_m, b.floor_load_kg_m2, b.crane_t, b.power_kva, b.rent_yuan_m2_month, b.sale_yuan_m2, (count(*) FILTER (WHERE b.vacant_gfa_m2 > 0) OVER (PARTITION BY b.site_id))::smallint FROM s JOIN building b ON b.site_id = s.id
$$;

CREATE OR REPLACE FUNCTION gis_app_refresh_match_units(site_ids bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF site_ids IS NULL THEN
        DELETE FROM match_unit;
        INSERT INTO match_unit (site_id, site_code, building_id, building_code, d_port, d_expressway, d_ferry, blocked, envelope, kind, planned_use, legacy_use, availability, area_m2, area_mu, readiness, shoreline_m, berth_dwt, water_depth_m, reserve_price_wan_per_mu, policy_status, quota_status, planning_status, township, block, far_max, height_limit_m, standard_land, invest_intensity_wan_per_mu, tax_wan_per_mu_yr, utilities, verified_at, building_type, occupancy, vacant_gfa_m2, min_split_m2, offer, floor_height_m, floor_load_kg_m2, crane_t, power_kva, rent_yuan_m2_month, sale_yuan_m2, site_units) SELECT * FROM gis_app_match_unit_rows(NULL);
    ELSE
        -- planned with the ids known, as gis_app_refresh_site_distance (revision 0005)
        EXECUTE 'DELETE FROM match_unit WHERE site_id = ANY ($1)' USING site_ids;
        -- buildings moved here by a statement whose row triggers have not all run yet (a merge
        -- moves several at once) still have units under their former site
        EXECUTE 'DELETE FROM match_unit WHERE building_id IN
                 (SELECT b.id FROM building b WHERE b.site_id = ANY ($1))' USING site_ids;
        EXECUTE 'INSERT INTO match_unit (site_id, site_code, building_id, building_code, d_port, d_expressway, d_ferry, blocked, envelope, kind, planned_use, legacy_use, availability, area_m2, area_mu, readiness, shoreline_m, berth_dwt, water_depth_m, reserve_price_wan_per_mu, policy_status, quota_status, planning_status, township, block, far_max, height_limit_m, standard_land, invest_intensity_wan_per_mu, tax_wan_per_mu_yr, utilities, verified_at, building_type, occupancy, vacant_gfa_m2, min_split_m2, offer, floor_height_m, floor_load_kg_m2, crane_t, power_kva, rent_yuan_m2_month, sale_yuan_m2, site_units)
                 SELECT * FROM gis_app_match_unit_rows($1)' USING site_ids;
    END IF;
END $$;

-- the number of vacant buildings, on the building units of the given sites
CREATE FUNCTION gis_app_count_site_units(site_ids bigint[]) RETURNS void
LANGUAGE sql AS $$
    UPDATE match_unit u SET site_units = n.units
      FROM (SELECT x.id, (SELECT count(*) FROM building v WHERE v.site_id = x.id AND v.vacant_gfa_m2 > 0)::smallint AS units
              FROM unnest(site_ids) x(id)) n
     WHERE u.site_id = n.id AND u.building_id IS NOT NULL
       AND u.site_units IS DISTINCT FROM n.units
$$;

CREATE OR REPLACE FUNCTION gis_app_match_unit_building_trg() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        DELETE FROM match_unit WHERE building_id = OLD.id;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        -- the site's fields come from its own unit, which the site's trigger keeps current
        -- (a retired site has none, so neither do its buildings)
        INSERT INTO match_unit (site_id, site_code, building_id, building_code, d_port, d_expressway, d_ferry, blocked, envelope, kind, planned_use, legacy_use, availability, area_m2, area_mu, readiness, shoreline_m, berth_dwt, water_depth_m, reserve_price_wan_per_mu, policy_status, quota_status, planning_status, township, block, far_max, height_limit_m, standard_land, invest_intensity_wan_per_mu, tax_wan_per_mu_yr, utilities, verified_at, building_type, occupancy, vacant_gfa_m2, min_split_m2, offer, floor_height_m, floor_load_kg_m2, crane_t, power_kva, rent_yuan_m2_month, sale_yuan_m2, site_units)
        SELECT s.site_id, s.site_code, b.id, b.code, s.d_port, s.d_expressway, s.d_ferry, s.blocked, s.envelope, s.kind, s.planned_use, s.legacy_use, s.availability, s.area_m2, s.area_mu, s.readiness, s.shoreline_m, s.berth_dwt, s.water_depth_m, s.reserve_price_wan_per_mu, s.policy_status, s.quota_status, s.planning_status, s.township, s.block, s.far_max, s.height_limit_m, s.standard_land, s.invest_intensity_wan_per_mu, s.tax_wan_per_mu_yr, s.utilities, s.verified_at, b.building_type, b.occupancy, b.vacant_gfa_m2, b.min_split_m2, b.offer, b.floor_height_m, b.floor_load_kg_m2, b.crane_t, b.power_kva, b.rent_yuan_m2_month, b.sale_yuan_m2, (SELECT count(*) FROM building v WHERE v.site_id = b.site_id AND v.vacant_gfa_m2 > 0)::smallint
          FROM building b JOIN match_unit s ON s.site_id = b.site_id AND s.building_id IS NULL
         WHERE b.id = NEW.id;
    END IF;
    -- the site's other building units, when its number of vacant buildings may have changed
    IF TG_OP = 'INSERT' THEN
        PERFORM gis_app_count_site_units(ARRAY[NEW.site_id]);
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM gis_app_count_site_units(ARRAY[OLD.site_id]);
    ELSIF OLD.site_id <> NEW.site_id
          OR (OLD.vacant_gfa_m2 > 0) IS DISTINCT FROM (NEW.vacant_gfa_m2 > 0) THEN
        PERFORM gis_app_count_site_units(ARRAY[OLD.site_id, NEW.site_id]);
    END IF;
    RETURN NULL;
END $$;
"""

#: revision 0008's definitions of the three functions this revision replaces (downgrade)
FUNCTIONS_0008 = r"""
CREATE FUNCTION gis_app_match_unit_rows(site_ids bigint[])
RETURNS TABLE (site_id bigint, site_code text, building_id bigint, building_code text, d_port float8, d_expressway float8, d_ferry float8, blocked boolean, envelope geometry, kind text, planned_use text, legacy_use text, availability text, area_m2 float8, area_mu float8, readiness text, shoreline_m float8, berth_dwt integer, water_depth_m float8, reserve_price_wan_per_mu float8, policy_status text, quota_status text, planning_status text, township text, block text, far_max float8, height_limit_m float8, standard_land boolean, invest_intensity_wan_per_mu float8, tax_wan_per_mu_yr float8, utilities text[], verified_at date, building_type text, occupancy text, vacant_gfa_m2 float8, min_split_m2 float8, offer text, floor_height_m float8, floor_load_kg_m2 float8, crane_t float8, power_kva float8, rent_yuan_m2_month float8, sale_yuan_m2 float8)
LANGUAGE sql STABLE AS $$
    WITH s AS (
        SELECT s.*,
               (SELECT min(d.distance_m) FROM site_distance d
                 WHERE d.site_id = s.id AND d.infra_kind IN ('port', 'wharf')) AS d_port,
               (SELECT d.distance_m FROM site_distance d
                 WHERE d.site_id = s.id AND d.infra_kind = 'expressway_interchange')
                 AS d_expressway,
               (SELECT d.distance_m FROM site_distance d
                 WHERE d.site_id = s.id AND d.infra_kind = 'ferry_terminal') AS d_ferry,
               EXISTS (SELECT 1 FROM site_constraint_overlap o
                        WHERE o.site_id = s.id AND o.zone_kind IN ('basic_farmland', 'ecological_redline')) AS blocked
          FROM site s
         WHERE s.retired_at IS NULL AND (site_ids IS NULL OR s.id = ANY (site_ids))
    )
    SELECT s.id, s.code, NULL::bigint, NULL::text, s.d_port, s.d_expressway, s.d_ferry, s.blocked, ST_Envelope(s.geom), s.kind, s.planned_use, s.legacy_use, s.availability, s.area_m2, s.area_mu, s.readiness, s.shoreline_m, s.berth_dwt, s.water_depth_m, s.reserve_price_wan_per_mu, s.policy_status, s.quota_status, s.planning_status, s.township, s.block, s.far_max, s.height_limit_m, s.standard_land, s.invest_intensity_wan_per_mu, s.tax_wan_per_mu_yr, s.utilities, s.verified_at, NULL::text, NULL::text, NULL::float8, NULL::float8, NULL::text, NULL::float8, NULL::float8, NULL::float8, NULL::float8, NULL::float8, NULL::float8 FROM s
    UNION ALL
    SELECT s.id, s.code, b.id, b.code, s.d_port, s.d_expressway, s.d_ferry, s.blocked, ST_Envelope(s.geom), s.kind, s.planned_use, s.legacy_use, s.availability, s.area_m2, s.area_mu, s.readiness, s.shoreline_m, s.berth_dwt, s.water_depth_m, s.reserve_price_wan_per_mu, s.policy_status, s.quota_status, s.planning_status, s.township, s.block, s.far_max, s.height_limit_m, s.standard_land, s.invest_intensity_wan_per_mu, s.tax_wan_per_mu_yr, s.utilities, s.verified_at, b.building_type, b.occupancy, b.vacant_gfa_m2, b.min_split_m2, b.offer, b.floor_height_m, b.floor_load_kg_m2, b.crane_t, b.power_kva, b.rent_yuan_m2_month, b.sale_yuan_m2 FROM s JOIN building b ON b.site_id = s.id
$$;

CREATE OR REPLACE FUNCTION gis_app_refresh_match_units(site_ids bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF site_ids IS NULL THEN
        DELETE FROM match_unit;
        INSERT INTO match_unit (site_id, site_code, building_id, building_code, d_port, d_expressway, d_ferry, blocked, envelope, kind, planned_use, legacy_use, availability, area_m2, area_mu, readiness, shoreline_m, berth_dwt, water_depth_m, reserve_price_wan_per_mu, policy_status, quota_status, planning_status, township, block, far_max, height_limit_m, standard_land, invest_intensity_wan_per_mu, tax_wan_per_mu_yr, utilities, verified_at, building_type, occupancy, vacant_gfa_m2, min_split_m2, offer, floor_height_m, floor_load_kg_m2, crane_t, power_kva, rent_yuan_m2_month, sale_yuan_m2) SELECT * FROM gis_app_match_unit_rows(NULL);
    ELSE
        -- planned with the ids known, as gis_app_refresh_site_distance (revision 0005)
        EXECUTE 'DELETE FROM match_unit WHERE site_id = ANY ($1)' USING site_ids;
        -- buildings moved here by a statement whose row triggers have not all run yet (a merge
        -- moves several at once) still have units under their former site
        EXECUTE 'DELETE FROM match_unit WHERE building_id IN
                 (SELECT b.id FROM building b WHERE b.site_id = ANY ($1))' USING site_ids;
        EXECUTE 'INSERT INTO match_unit (site_id, site_code, building_id, building_code, d_port, d_expressway, d_ferry, blocked, envelope, kind, planned_use, legacy_use, availability, area_m2, area_mu, readiness, shoreline_m, berth_dwt, water_depth_m, reserve_price_wan_per_mu, policy_status, quota_status, planning_status, township, block, far_max, height_limit_m, standard_land, invest_intensity_wan_per_mu, tax_wan_per_mu_yr, utilities, verified_at, building_type, occupancy, vacant_gfa_m2, min_split_m2, offer, floor_height_m, floor_load_kg_m2, crane_t, power_kva, rent_yuan_m2_month, sale_yuan_m2)
                 SELECT * FROM gis_app_match_unit_rows($1)' USING site_ids;
    END IF;
END $$;

CREATE OR REPLACE FUNCTION gis_app_match_unit_building_trg() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        DELETE FROM match_unit WHERE building_id = OLD.id;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        -- the site's fields come from its own unit, which the site's trigger keeps current
        -- (a retired site has none, so neither do its buildings)
        INSERT INTO match_unit (site_id, site_code, building_id, building_code, d_port, d_expressway, d_ferry, blocked, envelope, kind, planned_use, legacy_use, availability, area_m2, area_mu, readiness, shoreline_m, berth_dwt, water_depth_m, reserve_price_wan_per_mu, policy_status, quota_status, planning_status, township, block, far_max, height_limit_m, standard_land, invest_intensity_wan_per_mu, tax_wan_per_mu_yr, utilities, verified_at, building_type, occupancy, vacant_gfa_m2, min_split_m2, offer, floor_height_m, floor_load_kg_m2, crane_t, power_kva, rent_yuan_m2_month, sale_yuan_m2)
        SELECT s.site_id, s.site_code, b.id, b.code, s.d_port, s.d_expressway, s.d_ferry, s.blocked, s.envelope, s.kind, s.planned_use, s.legacy_use, s.availability, s.area_m2, s.area_mu, s.readiness, s.shoreline_m, s.berth_dwt, s.water_depth_m, s.reserve_price_wan_per_mu, s.policy_status, s.quota_status, s.planning_status, s.township, s.block, s.far_max, s.height_limit_m, s.standard_land, s.invest_intensity_wan_per_mu, s.tax_wan_per_mu_yr, s.utilities, s.verified_at, b.building_type, b.occupancy, b.vacant_gfa_m2, b.min_split_m2, b.offer, b.floor_height_m, b.floor_load_kg_m2, b.crane_t, b.power_kva, b.rent_yuan_m2_month, b.sale_yuan_m2
          FROM building b JOIN match_unit s ON s.site_id = b.site_id AND s.building_id IS NULL
         WHERE b.id = NEW.id;
    END IF;
    RETURN NULL;
END $$;
"""

_SPACE_KEYS = ("availability", "kind", "building_type", "vacant_gfa_m2")
#: what the space index carries besides its keys, at this revision (with ``site_units``)
SPACE_INCLUDE = [
    "site_id", "site_code", "building_id", "building_code", "d_port", "d_expressway", "d_ferry",
    "blocked", "envelope", "planned_use", "legacy_use", "readiness", "shoreline_m", "berth_dwt",
    "water_depth_m", "township", "block", "verified_at", "occupancy", "min_split_m2", "offer",
    "floor_height_m", "floor_load_kg_m2", "crane_t", "power_kva", "rent_yuan_m2_month",
    "sale_yuan_m2", "site_units",
]  # fmt: skip
#: ... and at revision 0008
SPACE_INCLUDE_0008 = [c for c in SPACE_INCLUDE if c != "site_units"]


def _space_index(include: list[str]) -> None:
    op.create_index(
        "ix_match_unit_space",
        "match_unit",
        list(_SPACE_KEYS),
        postgresql_where=sa.text("building_id IS NOT NULL AND vacant_gfa_m2 > 0"),
        postgresql_include=include,
    )


def upgrade() -> None:
    op.add_column("match_unit", sa.Column("site_units", sa.SmallInteger(), nullable=True))
    op.execute(FUNCTIONS)
    op.execute(
        "UPDATE match_unit u SET site_units = n.units"
        " FROM (SELECT site_id, (count(*) FILTER (WHERE vacant_gfa_m2 > 0))::smallint AS units"
        "         FROM building GROUP BY site_id) n"
        " WHERE u.site_id = n.site_id AND u.building_id IS NOT NULL"
    )
    op.create_check_constraint(
        op.f("ck_match_unit_site_units_counted"),
        "match_unit",
        "building_id IS NULL OR site_units IS NOT NULL",
    )
    op.drop_index("ix_match_unit_space", table_name="match_unit")
    _space_index(SPACE_INCLUDE)


def downgrade() -> None:
    op.drop_index("ix_match_unit_space", table_name="match_unit")
    op.execute("DROP FUNCTION gis_app_match_unit_rows(bigint[])")
    op.execute("DROP FUNCTION gis_app_count_site_units(bigint[])")
    op.execute(FUNCTIONS_0008)
    op.drop_constraint(op.f("ck_match_unit_site_units_counted"), "match_unit")
    op.drop_column("match_unit", "site_units")
    _space_index(SPACE_INCLUDE_0008)
