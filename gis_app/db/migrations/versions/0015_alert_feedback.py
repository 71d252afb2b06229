"""An alert raised by an investor's answer names that answer.

Answer alerts were told apart from the matching triggers' alerts by the start of their reason
text; a column says it instead (and lets the answer be found from its alert). Alerts written
before keep NULL and read as the matching alerts they look like.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "alert",
        sa.Column(
            "feedback_id",
            sa.BigInteger(),
            sa.ForeignKey("feedback.id", ondelete="CASCADE", name="alert_feedback_id_fkey"),
            nullable=True,
        ),
    )
    op.create_index("ix_alert_feedback_id", "alert", ["feedback_id"])


def downgrade() -> None:
    op.drop_index("ix_alert_feedback_id", table_name="alert")
    op.drop_column("alert", "feedback_id")
