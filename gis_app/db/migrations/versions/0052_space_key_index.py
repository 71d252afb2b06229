"""The space index keyed by one number: a plant match at 1M sites reads its candidates in a
third less time (issue 24, item 3).

A plant or building need took its candidates from ``ix_match_unit_space_common``, keyed by
availability, kind, building type and district (text) before the vacant floor area, the offer
(lease, sale) a filter. On
PostgreSQL 15 an index scan checks every key of every entry it reads, and an index-only scan
deforms each entry whole, where a text key makes each later column's offset a walk from the
start. At 1M sites the any-type plant request reads 86,000 entries to keep 30,000.

``gis_app_space_key(district, availability, kind, building type, offer)`` folds them into one
64-bit hash (``hashtextextended``, immutable and stable across versions: hash partitioning
depends on it). ``ix_match_unit_space_key`` leads with it, then the vacant floor area, clear
height, floor load and crane capacity (so an entry that fails a stated minimum is passed over
in the index, not copied out), and carries the rest with the fixed-width columns first. A space
need asks for the keys of the combinations it accepts (``match_criteria.accepted_space_keys``);
its criteria stay in the statement, so a collision costs a read, never a wrong candidate.
Measured at 1M sites, interleaved, the plant ranking statement with the old index and the new:
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

_UNITS = "building_id IS NOT NULL AND vacant_gfa_m2 > 0 AND NOT blocked"
_FUNCTION = """
CREATE FUNCTION gis_app_space_key(district_code text, availability text, kind text,
                                  building_type text, offer text) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN hashtextextended(district_code || '|' || availability || '|' || kind || '|'
                        || COALESCE(building_type, '') || '|' || COALESCE(offer, ''), 0)
"""
#: as models.MATCH_UNIT_SPACE_KEYS / MATCH_UNIT_SPACE_INCLUDE at this revision
_KEYS = [
    "gis_app_space_key(district_code, availability, kind, building_type, offer)",
    "vacant_gfa_m2", "floor_height_m", "floor_load_kg_m2", "crane_t",
]  # fmt: skip
_INCLUDE = [
    "site_id", "building_id", "site_units", "min_split_m2", "power_kva", "rent_yuan_m2_month",
    "sale_yuan_m2", "d_expressway", "verified_at", "district_code", "availability", "kind",
    "building_type", "offer", "occupancy", "site_code", "building_code",
]  # fmt: skip
#: revision 0045's narrow space index
_OLD_KEYS = ["availability", "kind", "building_type", "district_code", "vacant_gfa_m2"]
_OLD_INCLUDE = [
    "site_id", "building_id", "site_units", "min_split_m2", "floor_height_m",
    "floor_load_kg_m2", "crane_t", "power_kva", "rent_yuan_m2_month", "sale_yuan_m2",
    "d_expressway", "verified_at", "occupancy", "offer", "site_code", "building_code",
]  # fmt: skip


def upgrade() -> None:
    """The space key function and the index it leads, instead of revision 0045's."""
    op.execute(_FUNCTION)
    op.drop_index("ix_match_unit_space_common", table_name="match_unit")
    op.execute(
        f"CREATE INDEX ix_match_unit_space_key ON match_unit ({', '.join(_KEYS)})"
        f" INCLUDE ({', '.join(_INCLUDE)}) WHERE {_UNITS}"
    )


def downgrade() -> None:
    """Back to revision 0045's narrow space index."""
    op.drop_index("ix_match_unit_space_key", table_name="match_unit")
    op.create_index(
        "ix_match_unit_space_common",
        "match_unit",
        _OLD_KEYS,
        postgresql_where=sa.text(_UNITS),
        postgresql_include=_OLD_INCLUDE,
    )
    op.execute("DROP FUNCTION gis_app_space_key(text, text, text, text, text)")
