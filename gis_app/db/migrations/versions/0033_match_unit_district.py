"""Match units carry their site's district; the candidate indexes hold it as a key (issue 26,
item 6).

A district officer's match (``districts`` bound, :func:`gis_app.matching.sql.statement`) kept
only the candidates whose site lies in the officer's districts by probing ``site`` by primary
key, once per candidate that passed the other filters: with 10 districts and 1M sites it ran
2.2–3.9x slower than the same match over every district (``bench/district_bench.py``).
``match_unit.district_code`` (the site's ``district_code``, NOT NULL as the site's) lets the
match test the district on the unit itself, in the index it reads its candidates from:

* ``gis_app_match_unit_rows`` returns it (last column), ``gis_app_refresh_match_units``
  writes it and a building's unit copies it from its site's unit. A site that changes district
  is an update of the site, which rebuilds its units (``site_unit_sync``), row by row and in
  bulk (revision 0028's statement trigger calls the same refresh), so its units move with it.
* The four candidate indexes (land, land by 2023 code, land by GB 50137 code, space) get
  ``district_code`` as a key column between their equality keys (availability, kind, land use
  or building type) and their size range: a district's match reads only the index entries of
  its districts (``district_code = ANY(:districts)``, an index condition that bounds the scan
  per district). A match over every district states every district instead
  (``district_code = ANY(ARRAY(SELECT code FROM district))``, the codes read in the match's own
  snapshot; every unit's district is a site's, a foreign key on ``district.code``): one range
  per district and combination of the equality keys, so it keeps its size bound (PostgreSQL 15
  has no skip scan; without any district condition the size range would no longer bound the
  scan).
* Every index was at PostgreSQL's 32-column limit (keys + INCLUDE). The slot comes from
  ``blocked``: the blocking-zones criterion applies to every requirement and has no margin, so
  no blocked unit is ever a match or a near miss. The indexes now leave blocked units out
  (``AND NOT blocked`` in their predicates): the match's ``NOT s.blocked`` is implied by the
  predicate, so the index-only scans no longer need the column, and the indexes lose the
  blocked units' entries. Should blocking ever become a soft criterion or gain a margin, these
  predicates must go (``tests/db/test_match_units.py`` checks that it has not).

The upgrade rewrites every unit (44 s at 1M sites on the project's machine, load 6): until
autovacuum has passed (or ``VACUUM ANALYZE match_unit``), the index-only scans visit the heap.

The SQL is literal, with the definitions the downgrade restores as revisions 0010–0028 left
them (a revision never imports another one).

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0033"
down_revision: str | None = "0032"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: the unit's columns as 0010 left them (the INSERT column lists of the functions)
_COLUMNS_0010 = (
    "site_id, site_code, building_id, building_code, d_port, d_expressway, d_ferry, blocked, "
    "envelope, kind, planned_use, legacy_use, availability, area_m2, area_mu, readiness, "
    "shoreline_m, berth_dwt, water_depth_m, reserve_price_wan_per_mu, policy_status, "
    "quota_status, planning_status, township, block, far_max, height_limit_m, standard_land, "
    "invest_intensity_wan_per_mu, tax_wan_per_mu_yr, utilities, verified_at, building_type, "
    "occupancy, vacant_gfa_m2, min_split_m2, offer, floor_height_m, floor_load_kg_m2, crane_t, "
    "power_kva, rent_yuan_m2_month, sale_yuan_m2, site_units"
)
_COLUMNS = _COLUMNS_0010 + ", district_code"
#: the unit's columns at this revision (a test checks they are the model's)
PAYLOAD = tuple(_COLUMNS.split(", "))

_ROWS_TYPE_0010 = (
    "site_id bigint, site_code text, building_id bigint, building_code text, "
    "d_port double precision, d_expressway double precision, d_ferry double precision, "
    "blocked boolean, envelope geometry, kind text, planned_use text, legacy_use text, "
    "availability text, area_m2 double precision, area_mu double precision, readiness text, "
    "shoreline_m double precision, berth_dwt integer, water_depth_m double precision, "
    "reserve_price_wan_per_mu double precision, policy_status text, quota_status text, "
    "planning_status text, township text, block text, far_max double precision, "
    "height_limit_m double precision, standard_land boolean, "
    "invest_intensity_wan_per_mu double precision, tax_wan_per_mu_yr double precision, "
    "utilities text[], verified_at date, building_type text, occupancy text, "
    "vacant_gfa_m2 double precision, min_split_m2 double precision, offer text, "
    "floor_height_m double precision, floor_load_kg_m2 double precision, "
    "crane_t double precision, power_kva double precision, "
    "rent_yuan_m2_month double precision, sale_yuan_m2 double precision, site_units smallint"
)

_SITE_VALUES = (
    "s.d_port, s.d_expressway, s.d_ferry, s.blocked, ST_Envelope(s.geom), s.kind, "
    "s.planned_use, s.legacy_use, s.availability, s.area_m2, s.area_mu, s.readiness, "
    "s.shoreline_m, s.berth_dwt, s.water_depth_m, s.reserve_price_wan_per_mu, s.policy_status, "
    "s.quota_status, s.planning_status, s.township, s.block, s.far_max, s.height_limit_m, "
    "s.standard_land, s.invest_intensity_wan_per_mu, s.tax_wan_per_mu_yr, s.utilities, "
    "s.verified_at"
)
_BUILDING_VALUES = (
    "b.building_type, b.occupancy, b.vacant_gfa_m2, b.min_split_m2, b.offer, b.floor_height_m, "
    "b.floor_load_kg_m2, b.crane_t, b.power_kva, b.rent_yuan_m2_month, b.sale_yuan_m2"
)
_NO_BUILDING = (
    "NULL::text, NULL::text, NULL::float8, NULL::float8, NULL::text, NULL::float8, "
    "NULL::float8, NULL::float8, NULL::float8, NULL::float8, NULL::float8"
)


def _rows_function(district: bool) -> str:
    """``gis_app_match_unit_rows``: with the site's district as its last column, or as 0010."""
    returns = _ROWS_TYPE_0010 + (", district_code text" if district else "")
    extra = ", s.district_code" if district else ""
    return f"""
CREATE FUNCTION gis_app_match_unit_rows(site_ids bigint[])
RETURNS TABLE ({returns})
LANGUAGE sql STABLE AS $function$
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
    SELECT s.id, s.code, NULL::bigint, NULL::text, {_SITE_VALUES}, {_NO_BUILDING}, NULL::smallint{extra} FROM s
    UNION ALL
    SELECT s.id, s.code, b.id, b.code, {_SITE_VALUES}, {_BUILDING_VALUES}, (count(*) FILTER (WHERE b.vacant_gfa_m2 > 0) OVER (PARTITION BY b.site_id))::smallint{extra} FROM s JOIN building b ON b.site_id = s.id
$function$;
"""


def _refresh_function(columns: str) -> str:
    """``gis_app_refresh_match_units`` inserting ``columns`` (those of the rows function)."""
    return f"""
CREATE OR REPLACE FUNCTION gis_app_refresh_match_units(site_ids bigint[])
RETURNS void LANGUAGE plpgsql AS $function$
BEGIN
    IF site_ids IS NULL THEN
        DELETE FROM match_unit;
        INSERT INTO match_unit ({columns}) SELECT * FROM gis_app_match_unit_rows(NULL);
    ELSE
        -- planned with the ids known, as gis_app_refresh_site_distance (revision 0005)
        EXECUTE 'DELETE FROM match_unit WHERE site_id = ANY ($1)' USING site_ids;
        -- buildings moved here by a statement whose row triggers have not all run yet (a merge
        -- moves several at once) still have units under their former site
        EXECUTE 'DELETE FROM match_unit WHERE building_id IN
                 (SELECT b.id FROM building b WHERE b.site_id = ANY ($1))' USING site_ids;
        EXECUTE 'INSERT INTO match_unit ({columns})
                 SELECT * FROM gis_app_match_unit_rows($1)' USING site_ids;
    END IF;
END $function$;
"""


def _building_trigger(district: bool) -> str:
    """``gis_app_match_unit_building_trg``: the building's unit from its site's unit (with the
    site unit's district, or as 0010)."""
    columns = _COLUMNS if district else _COLUMNS_0010
    site_values = _SITE_VALUES.replace("ST_Envelope(s.geom)", "s.envelope")
    extra = ", s.district_code" if district else ""
    return f"""
CREATE OR REPLACE FUNCTION gis_app_match_unit_building_trg()
RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path TO 'public', 'pg_temp'
AS $function$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        DELETE FROM match_unit WHERE building_id = OLD.id;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        -- the site's fields come from its own unit, which the site's trigger keeps current
        -- (a retired site has none, so neither do its buildings)
        INSERT INTO match_unit ({columns})
        SELECT s.site_id, s.site_code, b.id, b.code, {site_values}, {_BUILDING_VALUES}, (SELECT count(*) FROM building v WHERE v.site_id = b.site_id AND v.vacant_gfa_m2 > 0)::smallint{extra}
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
END $function$;
"""


# --- the candidate indexes -------------------------------------------------------------------

_LAND_INCLUDE_0010 = [
    "site_id", "site_code", "building_id", "building_code", "d_port", "d_expressway", "d_ferry",
    "blocked", "envelope", "planned_use", "legacy_use", "area_mu", "readiness", "shoreline_m",
    "berth_dwt", "water_depth_m", "reserve_price_wan_per_mu", "policy_status", "quota_status",
    "planning_status", "township", "block", "far_max", "height_limit_m", "standard_land",
    "invest_intensity_wan_per_mu", "tax_wan_per_mu_yr", "utilities", "verified_at",
]  # fmt: skip
_SPACE_INCLUDE_0010 = [
    "site_id", "site_code", "building_id", "building_code", "d_port", "d_expressway", "d_ferry",
    "blocked", "envelope", "planned_use", "legacy_use", "readiness", "shoreline_m", "berth_dwt",
    "water_depth_m", "township", "block", "verified_at", "occupancy", "min_split_m2", "offer",
    "floor_height_m", "floor_load_kg_m2", "crane_t", "power_kva", "rent_yuan_m2_month",
    "sale_yuan_m2", "site_units",
]  # fmt: skip
_LEGACY = "legacy_use IS NOT NULL AND NOT gis_app_legacy_use_implied(planned_use, legacy_use)"
#: name, equality keys, range key (the district goes between them), predicate as 0008, 0010
#: and 0011 left it, INCLUDE as they left it
_INDEXES = (
    (
        "ix_match_unit_land",
        ("availability", "kind"),
        "area_m2",
        "building_id IS NULL",
        _LAND_INCLUDE_0010,
    ),
    (
        "ix_match_unit_land_planned_use",
        ("availability", "kind", "planned_use"),
        "area_m2",
        "building_id IS NULL",
        _LAND_INCLUDE_0010,
    ),
    (
        "ix_match_unit_land_legacy_use",
        ("availability", "kind", "legacy_use"),
        "area_m2",
        f"building_id IS NULL AND {_LEGACY}",
        _LAND_INCLUDE_0010,
    ),
    (
        "ix_match_unit_space",
        ("availability", "kind", "building_type"),
        "vacant_gfa_m2",
        "building_id IS NOT NULL AND vacant_gfa_m2 > 0",
        _SPACE_INCLUDE_0010,
    ),
)


def _drop_indexes() -> None:
    for name, *_ in _INDEXES:
        op.drop_index(name, table_name="match_unit")


def _create_indexes(district: bool) -> None:
    for name, equal, size, where, include in _INDEXES:
        keys = [*equal, "district_code", size] if district else [*equal, size]
        op.create_index(
            name,
            "match_unit",
            keys,
            postgresql_where=sa.text(f"{where} AND NOT blocked" if district else where),
            postgresql_include=[
                c for c in include if c not in keys and (not district or c != "blocked")
            ],
        )


def upgrade() -> None:
    _drop_indexes()  # rebuilt below: no index upkeep while every unit gets its district
    op.add_column("match_unit", sa.Column("district_code", sa.Text(), nullable=True))
    op.execute(
        "UPDATE match_unit u SET district_code = s.district_code FROM site s WHERE s.id = u.site_id"
    )
    op.alter_column("match_unit", "district_code", nullable=False)
    op.execute("DROP FUNCTION gis_app_match_unit_rows(bigint[])")
    op.execute(_rows_function(district=True))
    op.execute(_refresh_function(_COLUMNS))
    op.execute(_building_trigger(district=True))
    _create_indexes(district=True)


def downgrade() -> None:
    _drop_indexes()
    op.execute("DROP FUNCTION gis_app_match_unit_rows(bigint[])")
    op.execute(_rows_function(district=False))
    op.execute(_refresh_function(_COLUMNS_0010))
    op.execute(_building_trigger(district=False))
    op.drop_column("match_unit", "district_code")
    _create_indexes(district=False)
