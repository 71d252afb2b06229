"""Photos and documents of sites and buildings, kept in the database; an officer's contact.

Files live in the ``attachment`` table (``bytea``), not in a folder: several app processes on
several hosts then see the same files without a shared disk, ``pg_dump`` backs them up with
the records they belong to, and an upload or a deletion is one transaction with its metadata.
Sizes are bounded by the app (a photo is re-encoded, a few MB at most), and the content is
stored uncompressed out of line (JPEG, PNG and PDF are compressed already). A building's
files name its site too; the composite key follows the building when it moves to another site.

``app_user.contact`` is what an officer wants printed on brochures (phone, e-mail); NULL
prints nothing.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("app_user", sa.Column("contact", sa.Text(), nullable=True))
    op.create_unique_constraint("uq_building_id_site_id", "building", ["id", "site_id"])
    op.create_table(
        "attachment",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("site_id", sa.BigInteger(), nullable=False),
        sa.Column("building_id", sa.BigInteger(), nullable=True),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("media_type", sa.Text(), nullable=False),
        sa.Column("filename", sa.Text(), nullable=False),
        sa.Column("public", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("sha256", sa.Text(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("thumbnail", sa.LargeBinary(), nullable=True),
        sa.Column("created_by", sa.Text(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name="pk_attachment"),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name="fk_attachment_site_id_site", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["building_id", "site_id"],
            ["building.id", "building.site_id"],
            name="fk_attachment_building_id_building",
            ondelete="CASCADE",
            onupdate="CASCADE",
        ),
        sa.CheckConstraint("kind IN ('photo', 'document')", name="ck_attachment_kind_vocab"),
        sa.CheckConstraint(
            "media_type IN ('image/jpeg', 'image/png', 'application/pdf')",
            name="ck_attachment_media_type_known",
        ),
        sa.CheckConstraint("size_bytes = octet_length(content)", name="ck_attachment_size_ok"),
    )
    op.create_index("ix_attachment_site_id", "attachment", ["site_id"])
    op.create_index("ix_attachment_building_id", "attachment", ["building_id"])
    # JPEG, PNG and PDF are compressed already: keep them out of line without a second try
    op.execute("ALTER TABLE attachment ALTER COLUMN content SET STORAGE EXTERNAL")
    op.execute("ALTER TABLE attachment ALTER COLUMN thumbnail SET STORAGE EXTERNAL")


def downgrade() -> None:
    op.drop_index("ix_attachment_building_id", table_name="attachment")
    op.drop_index("ix_attachment_site_id", table_name="attachment")
    op.drop_table("attachment")
    op.drop_constraint("uq_building_id_site_id", "building", type_="unique")
    op.drop_column("app_user", "contact")
