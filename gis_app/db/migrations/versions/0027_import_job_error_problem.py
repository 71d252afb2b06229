"""The refusal that ended a failed import job, as the error vocabulary words it (code, field and
the message in Chinese and English), beside the English ``error``: the import page shows it in
its language next to the option it names (issue 21, item 1).

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-03
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add ``import_job.error_problem``."""
    op.execute("ALTER TABLE import_job ADD COLUMN error_problem JSONB")


def downgrade() -> None:
    """Drop ``import_job.error_problem``."""
    op.execute("ALTER TABLE import_job DROP COLUMN error_problem")
