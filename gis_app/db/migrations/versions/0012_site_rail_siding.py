"""Sites record whether they have a rail siding (铁路专用线).

Yes, no, or not recorded (NULL): a siding matters to heavy industry and logistics, and an
unsurveyed site must not read as one without.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("site", sa.Column("rail_siding", sa.Boolean(), nullable=True))


def downgrade() -> None:
    op.drop_column("site", "rail_siding")
