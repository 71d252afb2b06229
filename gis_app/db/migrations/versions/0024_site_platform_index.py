"""A btree index on site.platform, like block and township.

The map's search form offers the platforms found in the data (a loose index scan, which needs
the index to stay fast at a million sites), and ``platform=`` is a search filter.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-03
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_site_platform", "site", ["platform"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_site_platform", table_name="site")
