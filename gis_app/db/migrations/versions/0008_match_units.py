"""Match units: what matching reads, one trigger-kept row per site and per building.

At a million sites the match query spent its time joining each candidate building to its site
and looking up distances and zone overlaps per candidate. ``match_unit`` folds all of that into
one row per thing an investor can be offered — the site itself (land needs) or a building with
its site's fields (space needs) — with the nearest port/expressway/ferry distances and the
blocking-zone flag, and carries it in covering indexes so that candidates come from index-only
scans. Triggers keep it current for every write, the app's and QGIS/psql edits alike:

* site insert/update (after the distance and overlap triggers, by name order) rebuilds that
  site's units; a building insert/update/delete rewrites that building's unit from its site's;
* infrastructure changes (after ``site_distance`` is recomputed) rebuild every unit;
* constraint-zone changes re-derive ``blocked`` for the units whose overlaps changed.

Retired (split or merged) sites have no units, so they never match.

Also: requirement ``industry`` was free text before GB/T 4754 codes were checked. Codes that
parse are normalised (``c26`` → ``C26``) and, when the requirement states no land-use codes,
its stored land-use sets take the industry's classes; text that is not a code moves into the
internal notes so that the requirement stays readable.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# frozen here (a migration must not change when the code moves on); a test checks they still
# agree with gis_app.matching.criteria.PORT_KINDS and vocab.BLOCKING_CONSTRAINT_KINDS
PORT_KINDS = "('port', 'wharf')"
BLOCKING_KINDS = "('basic_farmland', 'ecological_redline')"

SITE_COLUMNS = (
    "kind", "planned_use", "legacy_use", "availability", "area_m2", "area_mu", "readiness",
    "shoreline_m", "berth_dwt", "water_depth_m", "reserve_price_wan_per_mu", "policy_status",
    "quota_status", "planning_status", "township", "block", "far_max", "height_limit_m",
    "standard_land", "invest_intensity_wan_per_mu", "tax_wan_per_mu_yr", "utilities", "verified_at",
)  # fmt: skip
BUILDING_COLUMNS = (
    "building_type", "occupancy", "vacant_gfa_m2", "min_split_m2", "offer", "floor_height_m",
    "floor_load_kg_m2", "crane_t", "power_kva", "rent_yuan_m2_month", "sale_yuan_m2",
)  # fmt: skip
#: site fields only land needs read (their criteria fold away for space needs); left out of the
#: space index, which may hold at most 32 columns
LAND_ONLY = (
    "area_m2", "area_mu", "reserve_price_wan_per_mu", "policy_status", "quota_status",
    "planning_status", "far_max", "height_limit_m", "standard_land", "invest_intensity_wan_per_mu",
    "tax_wan_per_mu_yr", "utilities",
)  # fmt: skip
PAYLOAD = (
    "site_id", "site_code", "building_id", "building_code", "d_port", "d_expressway", "d_ferry",
    "blocked", "envelope", *SITE_COLUMNS, *BUILDING_COLUMNS,
)  # fmt: skip

_TYPES = {
    "site_id": "bigint", "site_code": "text", "building_id": "bigint", "building_code": "text",
    "d_port": "float8", "d_expressway": "float8", "d_ferry": "float8", "blocked": "boolean", "envelope": "geometry",
    "kind": "text", "planned_use": "text", "legacy_use": "text", "availability": "text",
    "area_m2": "float8", "area_mu": "float8", "readiness": "text", "shoreline_m": "float8",
    "berth_dwt": "integer", "water_depth_m": "float8", "reserve_price_wan_per_mu": "float8",
    "policy_status": "text", "quota_status": "text", "planning_status": "text",
    "township": "text", "block": "text", "far_max": "float8", "height_limit_m": "float8",
    "standard_land": "boolean", "invest_intensity_wan_per_mu": "float8",
    "tax_wan_per_mu_yr": "float8", "utilities": "text[]", "verified_at": "date",
    "building_type": "text", "occupancy": "text", "vacant_gfa_m2": "float8",
    "min_split_m2": "float8", "offer": "text", "floor_height_m": "float8",
    "floor_load_kg_m2": "float8", "crane_t": "float8", "power_kva": "float8",
    "rent_yuan_m2_month": "float8", "sale_yuan_m2": "float8",
}  # fmt: skip
_SA = {
    "bigint": sa.BigInteger(), "text": sa.Text(), "float8": sa.Float(), "boolean": sa.Boolean(),
    "integer": sa.Integer(), "text[]": sa.ARRAY(sa.Text()), "date": sa.Date(),
    "geometry": Geometry("GEOMETRY", srid=4490, spatial_index=False),
}  # fmt: skip
_NOT_NULL = {
    "site_id",
    "site_code",
    "blocked",
    "envelope",
    "kind",
    "availability",
    "area_m2",
    "area_mu",
}
_NOT_NULL |= {"standard_land", "utilities"}

_COLS = ", ".join(PAYLOAD)
_SITE_SELECT = ", ".join(
    ["s.id", "s.code", "NULL::bigint", "NULL::text", "s.d_port", "s.d_expressway", "s.d_ferry"]
    + ["s.blocked", "ST_Envelope(s.geom)"]
    + [f"s.{c}" for c in SITE_COLUMNS]
    + [f"NULL::{_TYPES[c]}" for c in BUILDING_COLUMNS]
)
_BUILDING_SELECT = ", ".join(
    ["s.id", "s.code", "b.id", "b.code", "s.d_port", "s.d_expressway", "s.d_ferry", "s.blocked"]
    + ["ST_Envelope(s.geom)"]
    + [f"s.{c}" for c in SITE_COLUMNS]
    + [f"b.{c}" for c in BUILDING_COLUMNS]
)

# a building's unit from its site's unit (s) and the building (b)
_BUILDING_FROM_UNIT = ", ".join(
    ["s.site_id", "s.site_code", "b.id", "b.code", "s.d_port", "s.d_expressway", "s.d_ferry"]
    + ["s.blocked", "s.envelope"]
    + [f"s.{c}" for c in SITE_COLUMNS]
    + [f"b.{c}" for c in BUILDING_COLUMNS]
)

FUNCTIONS = rf"""
CREATE FUNCTION gis_app_match_unit_rows(site_ids bigint[])
RETURNS TABLE ({", ".join(f"{c} {_TYPES[c]}" for c in PAYLOAD)})
LANGUAGE sql STABLE AS $$
    WITH s AS (
        SELECT s.*,
               (SELECT min(d.distance_m) FROM site_distance d
                 WHERE d.site_id = s.id AND d.infra_kind IN {PORT_KINDS}) AS d_port,
               (SELECT d.distance_m FROM site_distance d
                 WHERE d.site_id = s.id AND d.infra_kind = 'expressway_interchange')
                 AS d_expressway,
               (SELECT d.distance_m FROM site_distance d
                 WHERE d.site_id = s.id AND d.infra_kind = 'ferry_terminal') AS d_ferry,
               EXISTS (SELECT 1 FROM site_constraint_overlap o
                        WHERE o.site_id = s.id AND o.zone_kind IN {BLOCKING_KINDS}) AS blocked
          FROM site s
         WHERE s.retired_at IS NULL AND (site_ids IS NULL OR s.id = ANY (site_ids))
    )
    SELECT {_SITE_SELECT} FROM s
    UNION ALL
    SELECT {_BUILDING_SELECT} FROM s JOIN building b ON b.site_id = s.id
$$;

CREATE FUNCTION gis_app_refresh_match_units(site_ids bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF site_ids IS NULL THEN
        DELETE FROM match_unit;
        INSERT INTO match_unit ({_COLS}) SELECT * FROM gis_app_match_unit_rows(NULL);
    ELSE
        -- planned with the ids known, as gis_app_refresh_site_distance (revision 0005)
        EXECUTE 'DELETE FROM match_unit WHERE site_id = ANY ($1)' USING site_ids;
        -- buildings moved here by a statement whose row triggers have not all run yet (a merge
        -- moves several at once) still have units under their former site
        EXECUTE 'DELETE FROM match_unit WHERE building_id IN
                 (SELECT b.id FROM building b WHERE b.site_id = ANY ($1))' USING site_ids;
        EXECUTE 'INSERT INTO match_unit ({_COLS})
                 SELECT * FROM gis_app_match_unit_rows($1)' USING site_ids;
    END IF;
END $$;

CREATE FUNCTION gis_app_match_unit_site_trg() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM gis_app_refresh_match_units(ARRAY[NEW.id]);
    RETURN NULL;
END $$;

CREATE FUNCTION gis_app_match_unit_building_trg() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        DELETE FROM match_unit WHERE building_id = OLD.id;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        -- the site's fields come from its own unit, which the site's trigger keeps current
        -- (a retired site has none, so neither do its buildings)
        INSERT INTO match_unit ({_COLS})
        SELECT {_BUILDING_FROM_UNIT}
          FROM building b JOIN match_unit s ON s.site_id = b.site_id AND s.building_id IS NULL
         WHERE b.id = NEW.id;
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION gis_app_match_unit_infrastructure_trg() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM gis_app_refresh_match_units(NULL);
    RETURN NULL;
END $$;

CREATE FUNCTION gis_app_match_unit_zone_trg() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- only units that were blocked or whose site now overlaps a blocking zone can change
    UPDATE match_unit u SET blocked = x.now_blocked
      FROM (SELECT c.id, EXISTS (SELECT 1 FROM site_constraint_overlap o
                                  WHERE o.site_id = c.site_id
                                    AND o.zone_kind IN {BLOCKING_KINDS}) AS now_blocked
              FROM match_unit c
             WHERE c.blocked
                OR c.site_id IN (SELECT o.site_id FROM site_constraint_overlap o
                                  WHERE o.zone_kind IN {BLOCKING_KINDS})) x
     WHERE u.id = x.id AND u.blocked <> x.now_blocked;
    RETURN NULL;
END $$;

-- AFTER triggers fire in name order: these run after site_distance and site_overlap
-- (site) and after infrastructure_distance (infrastructure).
CREATE TRIGGER site_unit_sync AFTER INSERT OR UPDATE ON site
    FOR EACH ROW EXECUTE FUNCTION gis_app_match_unit_site_trg();
CREATE TRIGGER building_unit_sync AFTER INSERT OR UPDATE OR DELETE ON building
    FOR EACH ROW EXECUTE FUNCTION gis_app_match_unit_building_trg();
CREATE TRIGGER infrastructure_unit_sync AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON infrastructure FOR EACH STATEMENT EXECUTE FUNCTION gis_app_match_unit_infrastructure_trg();
CREATE TRIGGER zone_unit_sync AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON constraint_zone FOR EACH STATEMENT EXECUTE FUNCTION gis_app_match_unit_zone_trg();
"""

DROP = """
DROP TRIGGER IF EXISTS zone_unit_sync ON constraint_zone;
DROP TRIGGER IF EXISTS infrastructure_unit_sync ON infrastructure;
DROP TRIGGER IF EXISTS building_unit_sync ON building;
DROP TRIGGER IF EXISTS site_unit_sync ON site;
DROP FUNCTION IF EXISTS gis_app_match_unit_zone_trg();
DROP FUNCTION IF EXISTS gis_app_match_unit_infrastructure_trg();
DROP FUNCTION IF EXISTS gis_app_match_unit_building_trg();
DROP FUNCTION IF EXISTS gis_app_match_unit_site_trg();
DROP FUNCTION IF EXISTS gis_app_refresh_match_units(bigint[]);
DROP FUNCTION IF EXISTS gis_app_match_unit_rows(bigint[]);
"""


def _create_table() -> None:
    cols = [sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False)]
    cols += [sa.Column(c, _SA[_TYPES[c]], nullable=c not in _NOT_NULL) for c in PAYLOAD]
    op.create_table(
        "match_unit",
        *cols,
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_match_unit_site_id_site"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_unit")),
    )
    op.create_index("ix_match_unit_site_id", "match_unit", ["site_id"])
    op.create_index(
        "ux_match_unit_site",
        "match_unit",
        ["site_id"],
        unique=True,
        postgresql_where=sa.text("building_id IS NULL"),
    )
    op.create_index(
        "ux_match_unit_building",
        "match_unit",
        ["building_id"],
        unique=True,
        postgresql_where=sa.text("building_id IS NOT NULL"),
    )
    op.create_index(
        "ix_match_unit_blocked",
        "match_unit",
        ["site_id"],
        postgresql_where=sa.text("blocked"),
    )
    for name, use in (
        ("ix_match_unit_land", ()),
        ("ix_match_unit_land_planned_use", ("planned_use",)),
        ("ix_match_unit_land_legacy_use", ("legacy_use",)),
    ):
        keys = ("availability", "kind", *use, "area_m2")
        op.create_index(
            name,
            "match_unit",
            list(keys),
            postgresql_where=sa.text("building_id IS NULL"),
            postgresql_include=[c for c in PAYLOAD if c not in keys + BUILDING_COLUMNS],
        )
    space_keys = ("availability", "kind", "building_type", "vacant_gfa_m2")
    op.create_index(
        "ix_match_unit_space",
        "match_unit",
        list(space_keys),
        postgresql_where=sa.text("building_id IS NOT NULL AND vacant_gfa_m2 > 0"),
        postgresql_include=[c for c in PAYLOAD if c not in space_keys + LAND_ONLY],
    )


def _fix_industries() -> None:
    from gis_app.domain import industry, landuse
    from gis_app.domain.errors import UnknownVocabularyValue

    conn = op.get_bind()
    rows = conn.execute(
        sa.text(
            "SELECT id, industry, land_use_codes, notes FROM requirement "
            "WHERE industry IS NOT NULL ORDER BY id"
        )
    ).all()
    for rid, text, stated, notes in rows:
        try:
            code = industry.normalise(text)
        except UnknownVocabularyValue:
            note = f"行业（未识别的代码）/ industry (not a GB/T 4754 code): {text}"
            conn.execute(
                sa.text("UPDATE requirement SET industry = NULL, notes = :n WHERE id = :id"),
                {"id": rid, "n": f"{notes}\n{note}" if notes else note},
            )
            continue
        values: dict = {"id": rid, "ind": code}
        sets = ""
        if not stated:
            c2023: set[str] = set()
            cgb: set[str] = set()
            for c in industry.land_use_codes(code):
                a, b = landuse.expand_query(c)
                c2023 |= a
                cgb |= b
            values |= {"a": sorted(c2023), "b": sorted(cgb)}
            sets = ", land_use_2023_codes = :a, land_use_gb_codes = :b"
        conn.execute(
            sa.text(f"UPDATE requirement SET industry = :ind{sets} WHERE id = :id"), values
        )


def upgrade() -> None:
    _create_table()
    op.execute(FUNCTIONS)
    op.execute("SELECT gis_app_refresh_match_units(NULL)")
    _fix_industries()


def downgrade() -> None:
    op.execute(DROP)
    op.drop_table("match_unit")
