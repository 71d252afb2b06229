"""The space key made exact and kept in a column: the space indexes no longer carry, nor the
plant match test, the five text columns it stands for (issue 24, item 3).

Revision 0052 led both space indexes with ``gis_app_space_key(district, availability, kind,
building type, offer)``, a 64-bit hash, and left the five tests in the statement, so a
collision could only cost a read. Two costs remained: the tests themselves (five text
comparisons per entry read, 5.7 of 15.0 ms of the any-type plant request's candidate scan at
1M sites), and the five text columns in every index entry, which PostgreSQL needs for an
index-only scan because the key was an expression over them.

Now the key is exact and stored:

* ``gis_app_district_key(code)``: 39 bits of the hash of a district's code; a unique index on
  ``district`` refuses a district whose part another already holds (so two districts never
  share one);
* ``gis_app_space_key`` puts the district's part above 6 bits per criterion, each the value's
  place in its vocabulary (0 for NULL; a value outside it, which the check constraints on
  ``site`` and ``building`` exclude, makes the key NULL and the unit no candidate);
* ``match_unit.space_key``: a generated column of it (written with every unit, by every
  writer: the app, imports, QGIS);
* both space indexes lead with the column and drop the district code, availability, kind,
  building type and offer; the match statement reads the key and leaves those tests out.

The function texts are ``match_criteria.district_key_function()`` and ``space_key_function()``
at this revision (a test checks that the database holds the current ones). Measured at 1M
sites, interleaved, before and after: ``bench/results/match_exact_key_ab.md``.

Revision ID: 0053
Revises: 0052
Create Date: 2026-12-05
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0053"
down_revision: str | None = "0052"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UNITS = (
    "building_id IS NOT NULL AND vacant_gfa_m2 > 0 AND NOT blocked"
    " AND occupancy IN ('vacant', 'partly_vacant')"
)
_DISTRICT_KEY = """
CREATE OR REPLACE FUNCTION gis_app_district_key(code text) RETURNS bigint
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
SELECT (hashtextextended(code, 0) & 549755813887)
$fn$;"""
_SPACE_KEY = """
CREATE OR REPLACE FUNCTION gis_app_space_key(district_code text, availability text, kind text, building_type text, offer text) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
SELECT ((hashtextextended(district_code, 0) & 549755813887) << 24)
     | (CASE WHEN availability IS NULL THEN 0 ELSE array_position(ARRAY['available', 'reserved', 'negotiating', 'signed', 'unavailable']::text[], availability) END::bigint << 18)
     | (CASE WHEN kind IS NULL THEN 0 ELSE array_position(ARRAY['land', 'standard_plant', 'plant', 'building', 'island', 'shoreline']::text[], kind) END::bigint << 12)
     | (CASE WHEN building_type IS NULL THEN 0 ELSE array_position(ARRAY['standard_plant', 'single_storey_plant', 'multi_storey_plant', 'warehouse', 'office', 'commercial', 'mixed']::text[], building_type) END::bigint << 6)
     | (CASE WHEN offer IS NULL THEN 0 ELSE array_position(ARRAY['lease', 'sale', 'lease_or_sale']::text[], offer) END::bigint << 0)
$fn$;"""
#: revision 0052's function (its hash)
_OLD_SPACE_KEY = """
CREATE OR REPLACE FUNCTION gis_app_space_key(district_code text, availability text, kind text,
                                             building_type text, offer text) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN hashtextextended(district_code || '|' || availability || '|' || kind || '|'
                        || COALESCE(building_type, '') || '|' || COALESCE(offer, ''), 0)
"""
_KEY_COLUMNS = "district_code, availability, kind, building_type, offer"
_RANGE = ["vacant_gfa_m2", "floor_height_m", "floor_load_kg_m2", "crane_t"]
#: as models at this revision
_INDEXES = {
    "ix_match_unit_space": [
        "site_id", "site_code", "building_id", "building_code", "d_port", "d_expressway",
        "d_ferry", "envelope", "planned_use", "legacy_use", "readiness", "shoreline_m",
        "berth_dwt", "water_depth_m", "township", "block", "verified_at", "min_split_m2",
        "power_kva", "rent_yuan_m2_month", "sale_yuan_m2", "site_units",
    ],
    "ix_match_unit_space_key": [
        "site_id", "building_id", "site_units", "min_split_m2", "power_kva",
        "rent_yuan_m2_month", "sale_yuan_m2", "d_expressway", "verified_at", "site_code",
        "building_code",
    ],
}  # fmt: skip
#: as revision 0052 left them
_OLD_INDEXES = {
    "ix_match_unit_space": [
        "site_id", "site_code", "building_id", "building_code", "d_port", "d_expressway",
        "d_ferry", "envelope", "kind", "planned_use", "legacy_use", "availability", "readiness",
        "shoreline_m", "berth_dwt", "water_depth_m", "township", "block", "verified_at",
        "building_type", "min_split_m2", "offer", "power_kva", "rent_yuan_m2_month",
        "sale_yuan_m2", "site_units", "district_code",
    ],
    "ix_match_unit_space_key": [
        "site_id", "building_id", "site_units", "min_split_m2", "power_kva",
        "rent_yuan_m2_month", "sale_yuan_m2", "d_expressway", "verified_at", "district_code",
        "availability", "kind", "building_type", "offer", "site_code", "building_code",
    ],
}  # fmt: skip


def _create_indexes(lead: str, indexes: dict[str, list[str]]) -> None:
    for name, include in indexes.items():
        op.execute(
            f"CREATE INDEX {name} ON match_unit ({', '.join([lead, *_RANGE])})"
            f" INCLUDE ({', '.join(include)}) WHERE {_UNITS}"
        )


def upgrade() -> None:
    """The exact key, its column, the districts' unique parts and the narrower indexes."""
    op.execute(_DISTRICT_KEY)
    op.execute("CREATE UNIQUE INDEX ux_district_space_key ON district (gis_app_district_key(code))")
    for name in _INDEXES:
        op.drop_index(name, table_name="match_unit")
    op.execute(_SPACE_KEY)
    op.execute(
        "ALTER TABLE match_unit ADD COLUMN space_key bigint"
        f" GENERATED ALWAYS AS (gis_app_space_key({_KEY_COLUMNS})) STORED"
    )
    _create_indexes("space_key", _INDEXES)


def downgrade() -> None:
    """Back to revision 0052: the hash key as the indexes' leading expression."""
    for name in _INDEXES:
        op.drop_index(name, table_name="match_unit")
    op.execute("ALTER TABLE match_unit DROP COLUMN space_key")
    op.execute(_OLD_SPACE_KEY)
    _create_indexes(f"gis_app_space_key({_KEY_COLUMNS})", _OLD_INDEXES)
    op.drop_index("ux_district_space_key", table_name="district")
    op.execute("DROP FUNCTION gis_app_district_key(text)")
