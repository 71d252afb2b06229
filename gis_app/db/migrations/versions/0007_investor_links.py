"""Schema for issue 5 (investor recommendation links).

* ``share_link.extended_at`` / ``extended_by`` / ``revoked_by``: who extended or revoked a link
  and when (the officer sees it next to the views).
* ``feedback.language``: the language the investor answered in.
* ``feedback`` check: a "not suitable" answer carries its reason, a question its text.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("share_link", sa.Column("extended_at", TS, nullable=True))
    op.add_column("share_link", sa.Column("extended_by", sa.Text(), nullable=True))
    op.add_column("share_link", sa.Column("revoked_by", sa.Text(), nullable=True))
    op.add_column("feedback", sa.Column("language", sa.Text(), nullable=True))
    op.create_check_constraint(
        op.f("ck_feedback_language_vocab"), "feedback", "language IN ('zh', 'en')"
    )
    op.create_check_constraint(
        op.f("ck_feedback_reason_required"),
        "feedback",
        "kind <> 'not_suitable' OR length(btrim(reason)) > 0",
    )
    op.create_check_constraint(
        op.f("ck_feedback_question_required"),
        "feedback",
        "kind <> 'question' OR length(btrim(question)) > 0",
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_feedback_question_required"), "feedback", type_="check")
    op.drop_constraint(op.f("ck_feedback_reason_required"), "feedback", type_="check")
    op.drop_constraint(op.f("ck_feedback_language_vocab"), "feedback", type_="check")
    op.drop_column("feedback", "language")
    op.drop_column("share_link", "revoked_by")
    op.drop_column("share_link", "extended_by")
    op.drop_column("share_link", "extended_at")
