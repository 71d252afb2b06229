"""Sites carry the English names of their block, township and address.

English pages (investor links, the officers' map in English) show ``block_en``,
``township_en`` and ``address_en`` where the data has them and say "Chinese only" where not.
Nullable text, as ``name_en`` and ``description_en``.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("block_en", "township_en", "address_en")


def upgrade() -> None:
    for name in COLUMNS:
        op.add_column("site", sa.Column(name, sa.Text(), nullable=True))


def downgrade() -> None:
    for name in reversed(COLUMNS):
        op.drop_column("site", name)
