"""Vacant space in price order: a bar for a match run for the first time (issue 24, item 3).

A match run again sends the barred statement with the score its last run's last listed match
reached (``gis_app.matching.bars``): it reads its candidates once and scores and sorts only
those that may reach the bar. A requirement matched for the first time had no bar, and at 1M
sites the broad plant request then scored and sorted all of its ~29,000 matching units.

A first run of a space need now takes a bar from a sample: the first few hundred candidates of
its own index scan, scored, give the bar as the ``limit``-th best matching site's score. Their
scores must be at most their scores in the match, and one criterion stands in the way: the
price scores against the cheapest *match*, which only the whole scan knows. These two indexes
give a floor of it cheaply: the vacant units by rent, and by sale price, each with a price, read
in price order until one matches (the cheapest match) or a few hundred were read (none cheaper
than the dearest read matches). ``gis_app.matching.sql.bar_probe``; figures in
``docs/matching_performance.md``.

Every import and edit of a building's unit writes the two entries (a float each).

Revision ID: 0059
Revises: 0058
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0059"
down_revision: str | None = "0058"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: as models._SPACE_UNITS at this revision (match_criteria.space_units())
_SPACE_UNITS = (
    "building_id IS NOT NULL AND vacant_gfa_m2 > 0 AND NOT blocked"
    " AND occupancy IN ('vacant', 'partly_vacant')"
)
_PRICES = {"ix_match_unit_rent": "rent_yuan_m2_month", "ix_match_unit_sale": "sale_yuan_m2"}


def upgrade() -> None:
    """Create the two price indexes of vacant space."""
    for name, column in _PRICES.items():
        op.create_index(
            name,
            "match_unit",
            [column],
            postgresql_where=sa.text(f"{_SPACE_UNITS} AND {column} > 0"),
        )


def downgrade() -> None:
    """Drop them."""
    for name in _PRICES:
        op.drop_index(name, table_name="match_unit")
