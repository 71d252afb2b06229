"""The space indexes keyed by one number: a plant match at 1M sites reads its candidates in
less time (issue 24, item 3).

A plant or building need took its candidates from ``ix_match_unit_space`` or, when it reads
nothing of the site's place or land, the narrower ``ix_match_unit_space_common``, both keyed
by availability, kind, building type and district (text) before the vacant floor area, with
the offer (lease, sale) and the clear height, floor load and crane capacity as filters. On
PostgreSQL 15 an index scan checks every key of every entry it reads, and an index-only scan
deforms each entry whole, where a text key makes each later column's offset a walk from the
start. At 1M sites the any-type plant request read 86,000 entries to keep 30,000.

``gis_app_space_key(district, availability, kind, building type, offer)`` folds the five into
one 64-bit hash (``hashtextextended``, immutable and stable across versions: hash partitioning
depends on it). Both space indexes now lead with it, then the vacant floor area, clear height,
floor load and crane capacity (an entry that fails a stated minimum is passed over in the
index, not copied out). A space need asks for the keys of the combinations it accepts
(``match_criteria.accepted_space_keys``); its criteria stay in the statement, so a collision
costs a read, never a wrong candidate. The indexes hold only vacant or partly vacant buildings
(the vacancy criterion every space need applies), so they no longer carry the occupancy: the
full index keeps within PostgreSQL's 32 columns with the key added. ``ix_match_unit_space_key``
replaces ``ix_match_unit_space_common``. Measured at 1M sites, interleaved, before and after:
``bench/results/match_space_key_ab.md``.

Revision ID: 0052
Revises: 0051
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0052"
down_revision: str | None = "0051"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_UNITS = "building_id IS NOT NULL AND vacant_gfa_m2 > 0 AND NOT blocked"
_UNITS = f"{_OLD_UNITS} AND occupancy IN ('vacant', 'partly_vacant')"
_FUNCTION = """
CREATE FUNCTION gis_app_space_key(district_code text, availability text, kind text,
                                  building_type text, offer text) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN hashtextextended(district_code || '|' || availability || '|' || kind || '|'
                        || COALESCE(building_type, '') || '|' || COALESCE(offer, ''), 0)
"""
#: as models.MATCH_UNIT_SPACE_KEYS at this revision, after the space key
_KEYS = [
    "gis_app_space_key(district_code, availability, kind, building_type, offer)",
    "vacant_gfa_m2", "floor_height_m", "floor_load_kg_m2", "crane_t",
]  # fmt: skip
#: the narrow index's other columns (models.MATCH_UNIT_SPACE_COMMON at this revision)
_COMMON = [
    "site_id", "building_id", "site_units", "min_split_m2", "power_kva", "rent_yuan_m2_month",
    "sale_yuan_m2", "d_expressway", "verified_at", "district_code", "availability", "kind",
    "building_type", "offer", "site_code", "building_code",
]  # fmt: skip
#: the full index's other columns (every column a space need may read)
_FULL = [
    "site_id", "site_code", "building_id", "building_code", "d_port", "d_expressway", "d_ferry",
    "envelope", "kind", "planned_use", "legacy_use", "availability", "readiness", "shoreline_m",
    "berth_dwt", "water_depth_m", "township", "block", "verified_at", "building_type",
    "min_split_m2", "offer", "power_kva", "rent_yuan_m2_month", "sale_yuan_m2", "site_units",
    "district_code",
]  # fmt: skip
#: before: both keyed by availability, kind, building type, district and vacant floor area
_OLD_KEYS = ["availability", "kind", "building_type", "district_code", "vacant_gfa_m2"]
_OLD_COMMON = [
    "site_id", "building_id", "site_units", "min_split_m2", "floor_height_m",
    "floor_load_kg_m2", "crane_t", "power_kva", "rent_yuan_m2_month", "sale_yuan_m2",
    "d_expressway", "verified_at", "occupancy", "offer", "site_code", "building_code",
]  # fmt: skip
_OLD_FULL = [
    "site_id", "site_code", "building_id", "building_code", "d_port", "d_expressway", "d_ferry",
    "envelope", "planned_use", "legacy_use", "readiness", "shoreline_m", "berth_dwt",
    "water_depth_m", "township", "block", "verified_at", "occupancy", "min_split_m2", "offer",
    "floor_height_m", "floor_load_kg_m2", "crane_t", "power_kva", "rent_yuan_m2_month",
    "sale_yuan_m2", "site_units",
]  # fmt: skip
_INDEXES = {"ix_match_unit_space": _FULL, "ix_match_unit_space_key": _COMMON}
_OLD_INDEXES = {"ix_match_unit_space": _OLD_FULL, "ix_match_unit_space_common": _OLD_COMMON}


def upgrade() -> None:
    """The space key function and the two space indexes it leads."""
    op.execute(_FUNCTION)
    for name in _OLD_INDEXES:
        op.drop_index(name, table_name="match_unit")
    for name, include in _INDEXES.items():
        op.execute(
            f"CREATE INDEX {name} ON match_unit ({', '.join(_KEYS)})"
            f" INCLUDE ({', '.join(include)}) WHERE {_UNITS}"
        )


def downgrade() -> None:
    """Back to the text-keyed space indexes of revision 0045."""
    for name in _INDEXES:
        op.drop_index(name, table_name="match_unit")
    for name, include in _OLD_INDEXES.items():
        op.create_index(
            name,
            "match_unit",
            _OLD_KEYS,
            postgresql_where=sa.text(_OLD_UNITS),
            postgresql_include=include,
        )
    op.execute("DROP FUNCTION gis_app_space_key(text, text, text, text, text)")
