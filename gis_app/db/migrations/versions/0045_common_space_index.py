"""A narrow space index for the common plant or building request (issue 24, item 3).

A plant or building need takes its candidates from ``ix_match_unit_space``, an index-only
scan of the vacant units of the wanted types, bounded by district and size. That index carries
every column any space need may read — 32 columns, 348 bytes an entry at 1M sites — and an
index-only scan copies each entry it reads and deforms it whole, whatever the query reads of
it. At 1M sites the any-type plant request reads 86,000 entries (to keep 30,000): counting
them alone took 30 ms through that index, 10 ms through one holding only its keys.

``ix_match_unit_space_common`` has the same keys and predicate and holds only what every plant
or building need reads (:data:`gis_app.db.models.MATCH_UNIT_SPACE_COMMON`: the building's
fields, the expressway distance, the record's freshness, the ids and codes; 235 bytes an entry).
The match statement folds away the criteria a request does not state, so a request that says
nothing of the site's place or land (port, ferry, shoreline, berth, land uses, preferred
townships or blocks) reads only those columns, and the planner takes the narrower index; the
others keep the full one. Measured on the 1M bench inventory, interleaved, the ranking
statement with and without it: see ``bench/results/match_space_index_ab.md``.

Revision ID: 0045
Revises: 0044
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0045"
down_revision: str | None = "0044"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KEYS = ["availability", "kind", "building_type", "district_code", "vacant_gfa_m2"]
#: as models.MATCH_UNIT_SPACE_COMMON at this revision, less the keys
_INCLUDE = [
    "site_id", "building_id", "site_units", "min_split_m2", "floor_height_m",
    "floor_load_kg_m2", "crane_t", "power_kva", "rent_yuan_m2_month", "sale_yuan_m2",
    "d_expressway", "verified_at", "occupancy", "offer", "site_code", "building_code",
]  # fmt: skip


def upgrade() -> None:
    """Create the narrow space index beside the full one."""
    op.create_index(
        "ix_match_unit_space_common",
        "match_unit",
        _KEYS,
        postgresql_where=sa.text("building_id IS NOT NULL AND vacant_gfa_m2 > 0 AND NOT blocked"),
        postgresql_include=_INCLUDE,
    )


def downgrade() -> None:
    """Drop it."""
    op.drop_index("ix_match_unit_space_common", table_name="match_unit")
